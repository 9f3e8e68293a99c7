/*
 * e2e_lists.c - FIX lists (NewOrderList 35=E read as contingent groups,
 * docs/groups.md) through omsd's socket as their client sees them, across
 * a kill -9 of omsd: a real omsd whose simulated venue keeps its book and
 * holds stops in the OMS (tests/e2e/omsd-lists.conf).
 *
 *   1. LA, an OCO: a buy limit LAa resting below the market and a buy stop
 *      LAb above it (held in the OMS). The client hears ListStatus (35=N)
 *      as the members change: LAa New, LAb PendingNew (not sent yet).
 *   2. LB, an OTO: a buy LBa crossing the ask fills, and releases the sell
 *      LBb, reported under its own ClOrdID with ListID(66) LB.
 *   3. ListStatusRequest (35=M) for LA: a ListStatus Response.
 *   4. omsd is killed -9 and started again on its data; the client logs on.
 *   5. The lists' names came back from the journal: ListStatus of LA and LB
 *      names every member as the client did, with LBa's fill (CumQty,
 *      AvgPx); an OrderCancelRequest (35=F) naming LAa alone cancels it
 *      (reported 11 = the cancel's, 41=LAa, 66=LA) and so ends the OCO,
 *      the list AllDone.
 *   6. ListCancelRequest (35=K) for LB cancels LBb, reported under LBb with
 *      ListID LB, and the list ends AllDone; K for LA (done) cancels
 *      nothing and says so; K for an unknown ListID is a
 *      BusinessMessageReject, Unknown ID; a cancel of a member of an ended
 *      list is an OrderCancelReject, unknown order.
 *
 * usage: e2e_lists OMSD CONFIG WORKDIR; prints "e2e_lists: ok" on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"

static int failures;
static e2e_rawfix_t g_c = {.fd = -1, .seq = 1};
static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1};

/* Every message heard, in order, for the failure report. */
static char g_heard[512][512];
static int g_nheard;

static void die(const char *why) {
  fprintf(stderr, "e2e_lists: FAIL: %s (log: %s); heard:\n", why, g_omsd.log);
  for (int i = 0; i < g_nheard; i++) fprintf(stderr, "  %s\n", g_heard[i]);
  e2e_kill9(&g_omsd);
  exit(1);
}

static void send_msg(const char *type, const char *fields) {
  if (e2e_rawfix_send(&g_c, type, fields) != 0) die("write");
}

static void logon(void) {
  char msg[8192];
  for (int i = 0; i < 500 && (g_c.fd = e2e_connect(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_c.fd < 0) die("omsd did not accept");
  g_c.len = 0;
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (e2e_rawfix_next(&g_c, "A", msg, sizeof msg, 10000) != 0) die("no Logon answer");
}

/* The value of tag in the NoOrders entry of ListStatus msg whose ClOrdID
 * is clordid, or "". */
static const char *row(const char *msg, const char *clordid, int tag, char *out, size_t cap) {
  char key[96];
  snprintf(key, sizeof key, "\00111=%s\001", clordid);
  out[0] = '\0';
  const char *p = strstr(msg, key);
  if (p == NULL) return out;
  const char *end = strstr(p + 1, "\00111=");
  char entry[1024];
  size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
  if (n >= sizeof entry) n = sizeof entry - 1;
  memcpy(entry, p, n);
  entry[n] = '\001';
  entry[n + 1 < sizeof entry ? n + 1 : n] = '\0';
  return e2e_rawfix_val(entry, tag, out, cap);
}

/* Reads messages until one of type whose tag t1 is v1 (and, when t2 is not
 * 0, t2 is v2; t2 < 0: the NoOrders entry v2's OrdStatus is v3) arrives;
 * returns it in msg, or dies after 10 s. */
static const char *await(const char *type, int t1, const char *v1, int t2, const char *v2,
                         const char *v3, char *msg, size_t cap) {
  int64_t end = e2e_mono_ms() + 10000;
  char a[256], b[256];
  while (e2e_mono_ms() < end) {
    int r = e2e_rawfix_next(&g_c, NULL, msg, cap, (int)(end - e2e_mono_ms()));
    if (r == E2E_RAWFIX_CLOSED) die("omsd closed the connection");
    if (r != 0) break;
    e2e_rawfix_val(msg, 35, a, sizeof a);
    if (g_nheard < 512 && strcmp(a, "0") != 0) {
      char s11[64], s39[8], s66[64], s429[8];
      snprintf(g_heard[g_nheard++], sizeof g_heard[0], "35=%s 11=%s 39=%s 66=%s 429=%s", a,
               e2e_rawfix_val(msg, 11, s11, sizeof s11), e2e_rawfix_val(msg, 39, s39, sizeof s39),
               e2e_rawfix_val(msg, 66, s66, sizeof s66),
               e2e_rawfix_val(msg, 429, s429, sizeof s429));
    }
    if (strcmp(a, type) != 0 || strcmp(e2e_rawfix_val(msg, t1, b, sizeof b), v1) != 0) continue;
    if (t2 > 0 && strcmp(e2e_rawfix_val(msg, t2, b, sizeof b), v2) != 0) continue;
    if (t2 < 0 && strcmp(row(msg, v2, 39, b, sizeof b), v3) != 0) continue;
    return msg;
  }
  fprintf(stderr, "e2e_lists: waited for 35=%s %d=%s %d=%s %s\n", type, t1, v1, t2, v2 ? v2 : "",
          v3 ? v3 : "");
  die("a message did not come");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: e2e_lists OMSD CONFIG WORKDIR\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *why;
  if (e2e_omsd_setup(&g_omsd, argv[1], argv[2], argv[3], &why) != 0) die(why);
  if (e2e_start(&g_omsd) != 0) die("omsd did not listen");
  logon();
  usleep(200000); /* the venue's first quotes reach the book and risk */
  char msg[8192], v[256];

  /* 1. an OCO: a resting buy, a buy stop held in the OMS */
  send_msg("E",
           "66=LA|394=3|20101=1|68=2|73=2|"
           "11=LAa|67=1|55=BTC-USD|54=1|38=1|40=2|44=64980|59=1|"
           "11=LAb|67=2|55=BTC-USD|54=1|38=1|40=3|99=65100|59=1|");
  await("N", 66, "LA", -1, "LAa", "0", msg, sizeof msg);
  CHECK(strcmp(row(msg, "LAb", 39, v, sizeof v), "A") == 0, "LAb held: OrdStatus %s", v);
  CHECK(strcmp(row(msg, "LAb", 151, v, sizeof v), "1") == 0, "LAb held: LeavesQty %s", v);

  /* 2. an OTO: the primary fills at the ask, the contingent sell goes */
  send_msg("E",
           "66=LB|394=3|20101=3|68=2|73=2|"
           "11=LBa|67=1|55=BTC-USD|54=1|38=0.5|40=2|44=65001|59=1|"
           "11=LBb|67=2|55=BTC-USD|54=2|38=0.5|40=2|44=66000|59=1|");
  await("8", 11, "LBb", 150, "0", NULL, msg, sizeof msg);
  CHECK(strcmp(e2e_rawfix_val(msg, 66, v, sizeof v), "LB") == 0, "LBb's ListID %s", v);
  await("N", 66, "LB", -1, "LBb", "0", msg, sizeof msg);
  CHECK(strcmp(row(msg, "LBa", 39, v, sizeof v), "2") == 0, "LBa's OrdStatus %s", v);

  /* 3. asked */
  send_msg("M", "66=LA|");
  await("N", 66, "LA", 429, "2", NULL, msg, sizeof msg);
  CHECK(strcmp(e2e_rawfix_val(msg, 431, v, sizeof v), "3") == 0, "LA executing: 431=%s", v);
  CHECK(strcmp(row(msg, "LAa", 39, v, sizeof v), "0") == 0, "LAa: OrdStatus %s", v);

  /* 4. kill -9; the client logs on to the new omsd */
  e2e_kill9(&g_omsd);
  close(g_c.fd);
  g_c.fd = -1;
  if (e2e_start(&g_omsd) != 0) die("omsd did not start again");
  logon();

  /* 5. the names came back with the lists */
  send_msg("M", "66=LA|");
  await("N", 66, "LA", 429, "2", NULL, msg, sizeof msg);
  CHECK(strcmp(row(msg, "LAa", 39, v, sizeof v), "0") == 0, "after the restart LAa: 39=%s", v);
  CHECK(strcmp(row(msg, "LAb", 39, v, sizeof v), "A") == 0, "after the restart LAb: 39=%s", v);
  send_msg("M", "66=LB|");
  await("N", 66, "LB", 429, "2", NULL, msg, sizeof msg);
  CHECK(strcmp(row(msg, "LBa", 14, v, sizeof v), "0.5") == 0, "LBa's CumQty %s", v);
  CHECK(strcmp(row(msg, "LBa", 6, v, sizeof v), "65000.5") == 0, "LBa's AvgPx %s", v);
  CHECK(strcmp(row(msg, "LBb", 39, v, sizeof v), "0") == 0, "LBb: 39=%s", v);
  /* one member cancelled by its own name: the OCO ends with it */
  send_msg("F", "11=LAa-x|41=LAa|55=BTC-USD|54=1|60=20260101-00:00:00.000|");
  await("8", 11, "LAa-x", 150, "4", NULL, msg, sizeof msg);
  CHECK(strcmp(e2e_rawfix_val(msg, 41, v, sizeof v), "LAa") == 0, "the cancel's 41=%s", v);
  CHECK(strcmp(e2e_rawfix_val(msg, 66, v, sizeof v), "LA") == 0, "the cancel's 66=%s", v);
  await("N", 66, "LA", 429, "5", NULL, msg, sizeof msg);
  CHECK(strcmp(row(msg, "LAb", 39, v, sizeof v), "4") == 0, "LA done, LAb: 39=%s", v);

  /* 6. the whole list LB cancelled: its live member under its own name */
  char now[32], f[128];
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "66=LB|60=%s|", now);
  send_msg("K", f);
  await("8", 11, "LBb", 150, "4", NULL, msg, sizeof msg);
  CHECK(strcmp(e2e_rawfix_val(msg, 66, v, sizeof v), "LB") == 0, "LBb cancelled: 66=%s", v);
  await("N", 66, "LB", 429, "5", NULL, msg, sizeof msg);
  CHECK(strcmp(row(msg, "LBa", 39, v, sizeof v), "2") == 0 &&
            strcmp(row(msg, "LBb", 39, v, sizeof v), "4") == 0,
        "LB done: LBa %s", v);
  snprintf(f, sizeof f, "66=LA|60=%s|", now);
  send_msg("K", f);
  await("N", 66, "LA", 429, "2", NULL, msg, sizeof msg);
  CHECK(strstr(e2e_rawfix_val(msg, 444, v, sizeof v), "nothing to cancel") != NULL, "444=%s", v);
  snprintf(f, sizeof f, "66=LZ|60=%s|", now);
  send_msg("K", f);
  await("j", 379, "LZ", 380, "1", NULL, msg, sizeof msg);
  send_msg("F", "11=LAb-x|41=LAb|55=BTC-USD|54=1|60=20260101-00:00:00.000|");
  await("9", 11, "LAb-x", 102, "1", NULL, msg, sizeof msg);

  send_msg("5", "");
  e2e_rawfix_next(&g_c, "5", msg, sizeof msg, 2000);
  close(g_c.fd);
  int rc = e2e_stop(&g_omsd, SIGTERM);
  CHECK(rc == 0, "omsd exited %d", rc);
  if (failures) {
    fprintf(stderr, "e2e_lists: %d failures (log: %s)\n", failures, g_omsd.log);
    return 1;
  }
  printf("e2e_lists: ok messages=%d\n", g_nheard);
  return 0;
}
