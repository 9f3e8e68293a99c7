/*
 * e2e_sor_crash.c - a smart parent survives omsd's kill -9, judged by the
 * venue: this FIX client -> omsd (omsd-sor-crash.conf) -> omsvenue over FIX
 * (omsvenue-sor-crash.conf, its own process, so its orders outlive omsd).
 *
 * The client sends a smart BUY 1 BTC-USD limited at the best ask (policy
 * best): the sweep takes the 0.5 shown there and the rest is posted at that
 * price. At its first fill (half done) omsd is killed with SIGKILL and
 * started again on the same data directory; the client logs on again with
 * its next MsgSeqNum and asks for what it missed (ResendRequest). The venue's liquidity provider
 * refills the level and fills the post, before or after omsd is back: the parent must end FILLED
 * (the client hears OrdStatus 2 with CumQty 1, and never a CumQty above 1),
 * and the venue's own record (orders.log: N per order, F per fill) must show
 * children whose fills add up to the parent exactly, none above the
 * parent's quantity at any line, no ClOrdID twice.
 *
 * The instant the client hears the parent FILLED, omsd is killed with
 * SIGKILL again and started once more: what the client was told of the
 * end, the store holds with its best-execution record. Read from omsd's
 * data directory once it stopped (the journal and its projection): exactly
 * one BestExecution event, the parent's (ClOrdID sorc1), filled 1, and its
 * `best_execution` row (docs/routing.md: the end and its BestExecution are
 * one unit, so the kill can not fall between them).
 *
 * usage: e2e_sor_crash OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR;
 * prints "e2e_sor_crash: ok" on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"
#include "oms/event.h"
#include "oms/store.h"

#define QTY_RAW 100000000LL /* 1, at 10^-8 */

static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1}, g_venue = {.name = "omsvenue", .pid = -1};
static char g_omsd_conf[600]; /* omsd's configuration with the venue's port */
static e2e_rawfix_t g_fix = {.fd = -1, .seq = 1};

static void die(const char *why) {
  fprintf(stderr, "e2e_sor_crash: FAIL: %s (logs: %s, %s)\n", why, g_omsd.log, g_venue.log);
  e2e_kill9(&g_omsd);
  e2e_kill9(&g_venue);
  exit(1);
}

static void start(e2e_proc_t *p) {
  if (e2e_start(p) != 0) die("a daemon did not listen");
}

static void send_msg(const char *type, const char *fields) {
  if (e2e_rawfix_send(&g_fix, type, fields) != 0) die("write");
}

/* The next message of type want (others skipped) into msg, within ms;
 * 0, or -1 (timeout or a closed connection). */
static int next_msg(const char *want, char *msg, size_t cap, int ms) {
  int r = e2e_rawfix_next(&g_fix, want, msg, cap, ms);
  if (r == E2E_RAWFIX_TOO_LONG) die("message too long");
  return r == 0 ? 0 : -1;
}

static long long raw(const char *dec) { return (long long)(atof(dec) * 1e8 + 0.5); }

static void logon(void) {
  for (int i = 0; i < 500 && (g_fix.fd = e2e_connect(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_fix.fd < 0) die("omsd did not listen");
  g_fix.len = 0;
  char msg[8192];
  long seen = g_fix.in_seq; /* before this Logon's answer moves it */
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (next_msg("A", msg, sizeof msg, 5000) != 0) die("no Logon answer");
  /* what omsd sent after the last message read (in flight when it died,
   * or sent while no one was logged on) */
  char rr[64];
  snprintf(rr, sizeof rr, "7=%ld|16=0|", seen + 1);
  if (seen > 0) send_msg("2", rr);
}

/* Every report of the parent: CumQty never above the parent; returns its
 * OrdStatus and sets *cum. */
static char parent_report(const char *msg, long long *cum) {
  char v[64];
  if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), "sorc1") != 0)
    die("a report of another ClOrdID");
  *cum = raw(e2e_rawfix_val(msg, 14, v, sizeof v));
  if (*cum > QTY_RAW) die("the client was told a CumQty above the parent's quantity");
  return e2e_rawfix_val(msg, 39, v, sizeof v)[0];
}

/* The venue's record: the children's fills at the venue, and what they held
 * at every line (open at their size, done at their fills). */
static long long venue_fills(void) {
  char path[1000], line[512];
  snprintf(path, sizeof path, "%s/orders.log", g_venue.data);
  FILE *f = fopen(path, "r");
  if (f == NULL) die("no orders.log at the venue");
  static char cl[64][48];
  static long long qty[64], filled[64];
  static int done[64];
  unsigned n = 0;
  long long total = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long id = 0;
    long long a = 0, b = 0, c = 0;
    char c1[48], acc[48], sym[16], side, ot, tif;
    unsigned si;
    if (sscanf(line, "N %llu %u %47s %47s %15s %c %c %c %lld %lld %lld", &id, &si, c1, acc, sym,
               &side, &ot, &tif, &a, &b, &c) == 11) {
      if (id != n + 1 || id >= 64) die("orders.log: an order out of order");
      n++;
      for (unsigned k = 1; k < n; k++)
        if (strcmp(cl[k], c1) == 0) die("the venue received a ClOrdID twice");
      snprintf(cl[n], sizeof cl[n], "%s", c1);
      qty[n] = a;
    } else if (sscanf(line, "F %llu %lld %lld", &id, &a, &b) == 3 && id >= 1 && id <= n) {
      filled[id] += a;
      total += a;
    } else if (sscanf(line, "D %llu", &id) == 1 && id >= 1 && id <= n) {
      done[id] = 1;
    } else if (line[0] != 'R') {
      die("orders.log: a line the test does not read");
    }
    long long held = 0;
    for (unsigned k = 1; k <= n; k++) held += done[k] ? filled[k] : qty[k];
    if (held > QTY_RAW) die("the children at the venue held more than the parent");
  }
  fclose(f);
  if (n < 2) die("fewer than two children reached the venue (a sweep and a post)");
  return total;
}

/* The BestExecution events in omsd's store: how many, and the last one's
 * parent and record. */
typedef struct bx_seen_s {
  int n;
  oms_order_t parent;
  oms_sor_bestex_t bx;
} bx_seen_t;

static int on_stored(void *ctx, const oms_event_t *ev) {
  bx_seen_t *b = ctx;
  if (ev->type != OMS_EVT_BEST_EXECUTION) return 0;
  uint32_t fills[OMS_SOR_MAX_VENUES];
  if (oms_store_bestex_decode(ev->algo, ev->algo_len, &b->bx, fills) != 0)
    die("a stored BestExecution event does not decode");
  b->parent = ev->order;
  b->n++;
  return 0;
}

static void check_stored_bestex(void) {
  char jdir[700], db[700];
  snprintf(jdir, sizeof jdir, "%s/journal", g_omsd.data);
  snprintf(db, sizeof db, "%s/oms.db", g_omsd.data);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, jdir, db);
  oms_store_t *st = NULL;
  if (oms_store_journal_open(&jc, &st) != 0) die("omsd's store does not open");
  bx_seen_t b;
  memset(&b, 0, sizeof b);
  if (oms_store_events_from(st, 1, 0, on_stored, &b) != 0) die("omsd's events do not read");
  if (b.n != 1) {
    fprintf(stderr, "e2e_sor_crash: %d BestExecution events stored\n", b.n);
    oms_store_close(st);
    die("not exactly one BestExecution event in the store");
  }
  if (strcmp(b.parent.client_order_id, "sorc1") != 0 || b.bx.parent_id != b.parent.order_id)
    die("the BestExecution event is not the parent's");
  if (b.bx.filled.raw != QTY_RAW || b.bx.qty.raw != QTY_RAW)
    die("the stored best-execution record does not say 1 of 1 filled");
  oms_bestex_row_t row;
  if (oms_store_get_best_execution(st, b.parent.order_id, &row) != 0 ||
      row.bx.filled.raw != QTY_RAW)
    die("no best_execution row for the parent");
  oms_store_close(st);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: e2e_sor_crash OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *why;
  if (e2e_pair_setup(&g_omsd, &g_venue, g_omsd_conf, argv[1], argv[2], argv[3], argv[4], argv[5],
                     &why) != 0)
    die(why);

  start(&g_venue);
  start(&g_omsd);
  logon();
  /* the venue session up, its quotes in the book: a sweep sent before would
   * find no venue quoting and end the parent */
  if (e2e_wait_log(&g_omsd, "msg=\"market data book live\" symbol=BTC-USD", 1, 30000) != 0)
    die("the venue's book never went live at omsd");
  char now[32], f[512], msg[8192], v[64];
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f,
           "11=sorc1|1=ACC1|55=BTC-USD|54=1|60=%s|38=1|40=2|44=65000.5|59=1|100=SMART|20110=best|",
           now);
  send_msg("D", f);
  long long cum = 0;
  char st = 0;
  /* New, then the first fill: half done */
  while (cum == 0) {
    if (next_msg("8", msg, sizeof msg, 10000) != 0) die("the parent did not start filling");
    st = parent_report(msg, &cum);
    if (st == '8') die("the smart parent was rejected");
  }
  if (cum >= QTY_RAW) die("the parent filled at once: no rest was posted");
  e2e_kill9(&g_omsd);
  close(g_fix.fd);
  start(&g_omsd);
  logon();
  /* whatever omsd sends after the restart: the parent's reports end FILLED */
  for (int guard = 0; st != '2' && guard < 200; guard++) {
    if (next_msg("8", msg, sizeof msg, 15000) != 0)
      die("the parent did not finish after the restart");
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), "sorc1") != 0) continue; /* not ours */
    st = parent_report(msg, &cum);
  }
  if (st != '2' || cum != QTY_RAW) die("the parent did not end FILLED with CumQty 1");
  /* told the end: killed at once, started again */
  e2e_kill9(&g_omsd);
  close(g_fix.fd);
  start(&g_omsd);
  logon();
  send_msg("5", "");
  next_msg("5", msg, sizeof msg, 2000);
  close(g_fix.fd);
  e2e_stop(&g_omsd, SIGTERM);
  e2e_stop(&g_venue, SIGTERM);
  long long at_venue = venue_fills();
  if (at_venue != QTY_RAW) die("the children's fills at the venue are not the parent's quantity");
  check_stored_bestex();
  printf("e2e_sor_crash: ok (CumQty 1 told, 1 filled at the venue, one BestExecution stored)\n");
  return 0;
}
