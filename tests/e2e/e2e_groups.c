/*
 * e2e_groups.c - a bracket through omsd's FIX socket, as its client sees it
 * (docs/groups.md): a real omsd with one simulated venue that has no native
 * stops (hold_stops, tests/e2e/omsd-groups.conf), a quiet book and
 * max_position 2.
 *
 *   1. CLIENT1 sends a bracket (NewOrderSingle with TakeProfitPrice 20102 and
 *      StopLossPrice 20103): buy 1 crossing the ask. It hears the group order
 *      New, then each member's own reports under its ClOrdID G<id>.<n> with
 *      ListID(66) = the bracket's ClOrdID: the entry New and filled, the
 *      take-profit New. The stop-loss is held in the OMS: no report of it.
 *   2. Risk counts the entry's fill once (in the position, no longer in the
 *      group's reservation): a resting buy of 1 reaches max_position exactly
 *      and is accepted; 0.001 more is refused MAX_POSITION. (Before, the
 *      filled entry stayed reserved too and the buy of 1 was refused.)
 *   3. CLIENT2 sells 1 at market through the bids: the venue's last trade
 *      reaches the stop, the OMS releases the held stop-loss as a MARKET
 *      order, it fills, the take-profit is cancelled, the bracket ends
 *      filled.
 *   4. The same through a NewOrderList (35=E): an OCO list is a group, its
 *      first order reported under the list's ClOrdID with ListID, the held
 *      stop not; a cancel of the ListID ends it; a BidType other than 3 is a
 *      BusinessMessageReject naming the ListID.
 *   5. An OCO list on both sides (buy below, sell above) reserves each side:
 *      a sell that would pass the short limit with the sell leg is refused;
 *      a sell leg beyond the limit is refused as an order and ends its group.
 *
 * usage: e2e_groups OMSD CONFIG WORKDIR; prints "e2e_groups: ok" on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"

static int failures;
static e2e_rawfix_t g_c1 = {.fd = -1, .seq = 1};
static e2e_rawfix_t g_c2 = {.fd = -1, .seq = 1, .comp = "CLIENT2"};
static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1};

/* Every ExecutionReport CLIENT1 heard, in order. */
typedef struct er_s {
  char clordid[64], order_id[32], list_id[64], exec_type[4], status[4], ord_type[4], cum[32],
      text[256];
} er_t;
static er_t g_er[256];
static int g_ner;

static void die(const char *why) {
  fprintf(stderr, "e2e_groups: FAIL: %s\n", why);
  e2e_kill9(&g_omsd);
  exit(1);
}

static void send_msg(e2e_rawfix_t *c, const char *type, const char *fields) {
  if (e2e_rawfix_send(c, type, fields) != 0) die("write");
}

static int next_msg(e2e_rawfix_t *c, const char *want, char *msg, size_t cap, int ms) {
  int r = e2e_rawfix_next(c, want, msg, cap, ms);
  if (r == E2E_RAWFIX_CLOSED) die("omsd closed the connection");
  if (r == E2E_RAWFIX_TOO_LONG) die("message too long");
  return r;
}

/* Reads CLIENT1's reports until one of clordid with ExecType exec_type
 * (and, when status is not NULL, OrdStatus status); returns it, or dies
 * after ms. */
static const er_t *expect(const char *clordid, const char *exec_type, const char *status, int ms) {
  char msg[8192];
  int64_t end = e2e_mono_ms() + ms;
  while (e2e_mono_ms() < end) {
    if (next_msg(&g_c1, "8", msg, sizeof msg, (int)(end - e2e_mono_ms())) != 0) break;
    if (g_ner == (int)(sizeof g_er / sizeof g_er[0])) die("too many reports");
    er_t *r = &g_er[g_ner++];
    e2e_rawfix_val(msg, 11, r->clordid, sizeof r->clordid);
    e2e_rawfix_val(msg, 37, r->order_id, sizeof r->order_id);
    e2e_rawfix_val(msg, 66, r->list_id, sizeof r->list_id);
    e2e_rawfix_val(msg, 150, r->exec_type, sizeof r->exec_type);
    e2e_rawfix_val(msg, 39, r->status, sizeof r->status);
    e2e_rawfix_val(msg, 40, r->ord_type, sizeof r->ord_type);
    e2e_rawfix_val(msg, 14, r->cum, sizeof r->cum);
    e2e_rawfix_val(msg, 58, r->text, sizeof r->text);
    if (strcmp(r->clordid, clordid) == 0 && strcmp(r->exec_type, exec_type) == 0 &&
        (status == NULL || strcmp(r->status, status) == 0))
      return r;
  }
  fprintf(stderr, "e2e_groups: waited for %s 150=%s 39=%s; heard:\n", clordid, exec_type,
          status ? status : "*");
  for (int i = 0; i < g_ner; i++)
    fprintf(stderr, "  11=%s 66=%s 150=%s 39=%s 40=%s 14=%s 58=%s\n", g_er[i].clordid,
            g_er[i].list_id, g_er[i].exec_type, g_er[i].status, g_er[i].ord_type, g_er[i].cum,
            g_er[i].text);
  die("a report did not come");
  return NULL;
}

static int heard(const char *clordid) {
  int n = 0;
  for (int i = 0; i < g_ner; i++) n += strcmp(g_er[i].clordid, clordid) == 0;
  return n;
}

static void logon(e2e_rawfix_t *c, const char *password) {
  char f[128], msg[8192];
  if ((c->fd = e2e_connect(g_omsd.port)) < 0) die("omsd did not accept");
  snprintf(f, sizeof f, "98=0|108=30|554=%s|", password);
  send_msg(c, "A", f);
  if (next_msg(c, "A", msg, sizeof msg, 5000) != 0) die("no Logon answer");
}

static void order(e2e_rawfix_t *c, const char *fields) {
  char now[32], f[512];
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "55=BTC-USD|60=%s|%s", now, fields);
  send_msg(c, "D", f);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: e2e_groups OMSD CONFIG WORKDIR\n");
    return 2;
  }
  const char *why;
  if (e2e_omsd_setup(&g_omsd, argv[1], argv[2], argv[3], &why) != 0) die(why);
  if (e2e_start(&g_omsd) != 0) die("omsd did not listen");
  logon(&g_c1, "client1-secret");
  usleep(200000); /* the venue's first quotes reach the book and risk */

  /* 1. the bracket: the entry crosses the ask (0.5 at 65000.5, 0.5 at 65001) */
  order(&g_c1, "11=br1|54=1|38=1|40=2|44=65100|59=1|20102=66000|20103=64999|");
  const er_t *r = expect("br1", "0", NULL, 5000);
  CHECK(r->list_id[0] == '\0', "the group order itself carries no ListID: %s", r->list_id);
  /* the group order's id names its members */
  char entry[64], tp[64], sl[64];
  snprintf(entry, sizeof entry, "G%s.1", r->order_id);
  snprintf(tp, sizeof tp, "G%s.2", r->order_id);
  snprintf(sl, sizeof sl, "G%s.3", r->order_id);
  r = expect(entry, "0", NULL, 5000);
  CHECK(strcmp(r->list_id, "br1") == 0, "the entry's ListID is %s", r->list_id);
  r = expect(entry, "F", "2", 5000);
  CHECK(strcmp(r->list_id, "br1") == 0 && strcmp(r->cum, "1") == 0,
        "the entry's fill: ListID %s CumQty %s", r->list_id, r->cum);
  r = expect(tp, "0", NULL, 5000);
  CHECK(strcmp(r->list_id, "br1") == 0 && strcmp(r->ord_type, "2") == 0,
        "the take-profit: ListID %s OrdType %s", r->list_id, r->ord_type);
  usleep(300000);
  CHECK(heard(sl) == 0, "the stop-loss was reported before the market reached it");

  /* 2. position 1 (the entry) + 1 resting = max_position 2: accepted */
  order(&g_c1, "11=b2|54=1|38=1|40=2|44=64990|59=1|");
  r = expect("b2", "0", NULL, 5000);
  order(&g_c1, "11=b3|54=1|38=0.001|40=2|44=64990|59=1|");
  r = expect("b3", "8", NULL, 5000);
  CHECK(strstr(r->text, "MAX_POSITION") != NULL, "b3 refused for: %s", r->text);
  send_msg(&g_c1, "F", "11=b2c|41=b2|55=BTC-USD|54=1|60=20260101-00:00:00.000|");
  expect("b2c", "4", NULL, 5000);
  CHECK(heard(sl) == 0, "the stop-loss was reported before the market reached it");

  /* 3. another client's sell through the bids (64999.5, 64999) reaches the
   * stop: the held stop-loss goes as a MARKET order and fills */
  logon(&g_c2, "client2-secret");
  order(&g_c2, "11=s1|54=2|38=1|40=1|59=3|");
  r = expect(sl, "0", NULL, 5000);
  CHECK(strcmp(r->list_id, "br1") == 0 && strcmp(r->ord_type, "1") == 0,
        "the stop-loss released: ListID %s OrdType %s", r->list_id, r->ord_type);
  expect(sl, "F", "2", 5000);
  r = expect(tp, "4", NULL, 5000);
  r = expect("br1", "F", "2", 5000);
  CHECK(strcmp(r->cum, "1") == 0, "the bracket's CumQty %s", r->cum);
  CHECK(heard(entry) >= 3 && heard(tp) == 4 && heard(sl) >= 3, "members heard: %d %d %d",
        heard(entry), heard(tp), heard(sl));

  /* 4. the same kind of group as a FIX list (NewOrderList 35=E): an OCO of
   * a buy limit below the market and a buy stop above it (held here) */
  send_msg(&g_c1, "E",
           "66=L1|394=3|20101=1|68=2|73=2|"
           "11=L1a|67=1|55=BTC-USD|54=1|38=1|40=2|44=64985|59=1|"
           "11=L1b|67=2|55=BTC-USD|54=1|38=1|40=3|99=65100|59=1|");
  expect("L1", "0", NULL, 5000);
  r = expect("L1a", "0", NULL, 5000);
  CHECK(strcmp(r->list_id, "L1") == 0, "the list's first order: ListID %s", r->list_id);
  send_msg(&g_c1, "F", "11=L1x|41=L1|55=BTC-USD|54=1|60=20260101-00:00:00.000|");
  expect("L1a", "4", NULL, 5000);
  r = expect("L1x", "4", NULL, 5000);
  CHECK(heard("L1b") == 0, "the held buy stop of the list was reported");
  /* 5. an OCO on both sides (a range: buy below, sell above), reserved on
   * each side: a sell of 1.5 more would make the worst short 2.5 > 2 */
  send_msg(&g_c1, "E",
           "66=L3|394=3|20101=1|68=2|73=2|"
           "11=L3a|67=1|55=BTC-USD|54=1|38=1|40=2|44=64980|59=1|"
           "11=L3b|67=2|55=BTC-USD|54=2|38=1|40=2|44=65010|59=1|");
  expect("L3a", "0", NULL, 5000);
  r = expect("L3b", "0", NULL, 5000);
  CHECK(strcmp(r->list_id, "L3") == 0, "the sell leg's ListID %s", r->list_id);
  order(&g_c1, "11=s2|54=2|38=1.5|40=2|44=65020|59=1|");
  r = expect("s2", "8", NULL, 5000);
  CHECK(strstr(r->text, "MAX_POSITION") != NULL, "s2 refused for: %s", r->text);
  send_msg(&g_c1, "F", "11=L3x|41=L3|55=BTC-USD|54=1|60=20260101-00:00:00.000|");
  expect("L3x", "4", NULL, 5000);
  CHECK(heard("L3a") == 4 && heard("L3b") == 4, "L3's legs heard %d %d", heard("L3a"),
        heard("L3b"));
  /* a sell leg beyond the limit is refused by risk as an order of its own,
   * and the group ends */
  send_msg(&g_c1, "E",
           "66=L4|394=3|20101=1|68=2|73=2|"
           "11=L4a|67=1|55=BTC-USD|54=1|38=1|40=2|44=64970|59=1|"
           "11=L4b|67=2|55=BTC-USD|54=2|38=3|40=2|44=65010|59=1|");
  r = expect("L4b", "8", NULL, 5000);
  CHECK(strstr(r->text, "MAX_POSITION") != NULL && strcmp(r->list_id, "L4") == 0,
        "L4b refused for: %s (ListID %s)", r->text, r->list_id);
  expect("L4", "4", NULL, 5000);

  char msg[8192], v[256];
  send_msg(&g_c1, "E",
           "66=L2|394=1|20101=1|68=2|73=2|"
           "11=L2a|67=1|55=BTC-USD|54=1|38=1|40=2|44=64990|59=1|"
           "11=L2b|67=2|55=BTC-USD|54=1|38=1|40=3|99=65100|59=1|");
  if (next_msg(&g_c1, "j", msg, sizeof msg, 5000) != 0) die("no BusinessMessageReject");
  CHECK(strcmp(e2e_rawfix_val(msg, 379, v, sizeof v), "L2") == 0, "379=%s", v);
  CHECK(strstr(e2e_rawfix_val(msg, 58, v, sizeof v), "BidType(394)=1") != NULL, "58=%s", v);

  send_msg(&g_c1, "5", "");
  next_msg(&g_c1, "5", msg, sizeof msg, 2000);
  send_msg(&g_c2, "5", "");
  next_msg(&g_c2, "5", msg, sizeof msg, 2000);
  close(g_c1.fd);
  close(g_c2.fd);
  int rc = e2e_stop(&g_omsd, SIGTERM);
  CHECK(rc == 0, "omsd exited %d", rc);
  if (failures) {
    fprintf(stderr, "e2e_groups: %d failures\n", failures);
    return 1;
  }
  printf("e2e_groups: ok reports=%d\n", g_ner);
  return 0;
}
