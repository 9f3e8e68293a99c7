/*
 * e2e_venue_crash.c - a fill the exchange made but had not reported when it
 * was killed reaches omsd and the FIX client after its restart, exactly
 * once: this FIX client -> omsd (omsd-sor-crash.conf) -> omsvenue over FIX
 * (omsvenue-venue-crash.conf, which reports fills 5 s after they happen).
 *
 * The client buys 0.5 BTC-USD at the liquidity provider's offer: the order
 * fills at the venue at once, its acknowledgement comes back at once, its
 * fill report waits in the venue's ring. At the acknowledgement omsvenue is
 * killed with SIGKILL (its orders.log has the order and no fill: the report
 * had not left) and started again on the same data directory. Its matching
 * venue's state file still has the fill and that its report was never
 * delivered: it delivers it again at its first poll, omsvenue tells omsd
 * when omsd's session logs on again, omsd books it and tells the client.
 * The client must hear one fill (LastQty 0.5, CumQty 0.5, OrdStatus 2) and
 * no other in the 7 s after it (the original report was due after 5 s);
 * the venue's orders.log must show the fill once.
 *
 * Then the same with the report lost twice: a second order (vc2) fills at
 * the next offer, omsd and omsvenue are both killed at its acknowledgement,
 * omsvenue is started (its venue delivers the fill again, held in memory
 * for omsd's session, which is not there) and killed again before omsd is
 * back. Started once more, omsvenue settles vc2 from its venue's record;
 * omsd, started again, asks for vc2's status and derives the fill: the
 * client, logged on again, hears one fill of 0.5 for vc2 and never more
 * (counted as a FIX client counts: a copy resent in answer to its
 * ResendRequest, PossDupFlag Y at a MsgSeqNum already read, is not another).
 *
 * usage: e2e_venue_crash OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR;
 * prints "e2e_venue_crash: ok" on success.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"

#define QTY_RAW 50000000LL /* 0.5, at 10^-8 */

static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1}, g_venue = {.name = "omsvenue", .pid = -1};
static char g_omsd_conf[600]; /* omsd's configuration with the venue's port */
static e2e_rawfix_t g_fix = {.fd = -1, .seq = 1};

static void die(const char *why) {
  fprintf(stderr, "e2e_venue_crash: FAIL: %s (logs: %s, %s)\n", why, g_omsd.log, g_venue.log);
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

/* Whether msg is a resent copy (PossDupFlag 43=Y) of a message this client
 * already read, as a FIX client judges it: its MsgSeqNum at or below the
 * highest read. A report sent live just after the Logon is resent again by
 * the answer to the ResendRequest that asks for what was missed. */
static bool resent_copy(const char *msg, long *highest) {
  char v[32];
  long seq = atol(e2e_rawfix_val(msg, 34, v, sizeof v));
  bool dup = strcmp(e2e_rawfix_val(msg, 43, v, sizeof v), "Y") == 0 && seq <= *highest;
  if (seq > *highest) *highest = seq;
  return dup;
}

/* The venue's fills of its order id in orders.log, and whether it is there. */
static long long venue_fills(unsigned long long want, int *lines, int *known) {
  char path[1000], line[512];
  snprintf(path, sizeof path, "%s/orders.log", g_venue.data);
  FILE *f = fopen(path, "r");
  if (f == NULL) die("no orders.log at the venue");
  long long total = 0;
  *lines = *known = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long id = 0;
    long long a = 0, b = 0;
    if (sscanf(line, "N %llu", &id) == 1 && id == want) *known = 1;
    if (sscanf(line, "F %llu %lld %lld", &id, &a, &b) == 3 && id == want) {
      total += a;
      (*lines)++;
    }
  }
  fclose(f);
  return total;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: e2e_venue_crash OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *why;
  if (e2e_pair_setup(&g_omsd, &g_venue, g_omsd_conf, argv[1], argv[2], argv[3], argv[4], argv[5],
                     &why) != 0)
    die(why);

  start(&g_venue);
  start(&g_omsd);
  for (int i = 0; i < 500 && (g_fix.fd = e2e_connect(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_fix.fd < 0) die("omsd did not listen");
  char now[32], f[512], msg[8192], v[64];
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (next_msg("A", msg, sizeof msg, 5000) != 0) die("no Logon answer");
  usleep(1000000); /* the venue session up, its quotes in the book */
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "11=vc1|1=ACC1|55=BTC-USD|54=1|60=%s|38=0.5|40=2|44=65000.5|59=1|", now);
  send_msg("D", f);
  for (;;) {
    if (next_msg("8", msg, sizeof msg, 10000) != 0) die("the order was not acknowledged");
    char st = e2e_rawfix_val(msg, 39, v, sizeof v)[0];
    if (st == '8') die("the order was rejected");
    if (st == 'A') continue; /* pending new: sent to the venue */
    if (st != '0') die("the fill was reported before the kill: no window to test");
    break;
  }
  e2e_kill9(&g_venue);
  int lines, known;
  venue_fills(1, &lines, &known);
  if (!known) die("the venue's journal does not have the order");
  if (lines != 0) die("the venue had reported the fill before it was killed: no window to test");
  start(&g_venue);
  /* omsd reconnects on its own; the fill comes through it */
  int fills = 0;
  long highest = 0; /* the highest MsgSeqNum of a fill read */
  long long cum = 0;
  char st = 0;
  int64_t quiet_until = 0;
  for (;;) {
    int64_t left = quiet_until ? quiet_until - e2e_mono_ms() : 20000;
    if (left <= 0) break;
    if (next_msg("8", msg, sizeof msg, (int)left) != 0) {
      if (quiet_until) break;
      die("the fill never reached the client after the venue's restart");
    }
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), "vc1") != 0) continue;
    cum = raw(e2e_rawfix_val(msg, 14, v, sizeof v));
    if (cum > QTY_RAW) die("the client was told a CumQty above the order's quantity");
    st = e2e_rawfix_val(msg, 39, v, sizeof v)[0];
    if (e2e_rawfix_val(msg, 150, v, sizeof v)[0] != 'F') continue;
    if (resent_copy(msg, &highest)) continue;
    if (++fills > 1) die("the client was told of the fill twice");
    if (raw(e2e_rawfix_val(msg, 32, v, sizeof v)) != QTY_RAW) die("LastQty is not 0.5");
    quiet_until = e2e_mono_ms() + 7000; /* past the original report's due time */
  }
  if (fills != 1 || st != '2' || cum != QTY_RAW)
    die("the order did not end FILLED with CumQty 0.5");

  /* vc2: both killed at its acknowledgement, the venue twice */
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "11=vc2|1=ACC1|55=BTC-USD|54=1|60=%s|38=0.5|40=2|44=65001|59=1|", now);
  send_msg("D", f);
  for (;;) {
    if (next_msg("8", msg, sizeof msg, 10000) != 0) die("vc2 was not acknowledged");
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), "vc2") != 0) continue;
    char st2 = e2e_rawfix_val(msg, 39, v, sizeof v)[0];
    if (st2 == 'A') continue;
    if (st2 != '0') die("vc2 was not acknowledged as New before its fill");
    break;
  }
  e2e_kill9(&g_omsd);
  e2e_kill9(&g_venue);
  close(g_fix.fd);
  venue_fills(2, &lines, &known);
  if (!known || lines != 0) die("vc2's fill was reported before the kill: no window to test");
  start(&g_venue); /* delivers the fill again: held for omsd's session */
  usleep(300000);
  e2e_kill9(&g_venue);
  start(&g_venue); /* nothing left to deliver: vc2 settled from the venue's record */
  start(&g_omsd);
  for (int i = 0; i < 500 && (g_fix.fd = e2e_connect(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_fix.fd < 0) die("omsd did not listen again");
  g_fix.len = 0;
  long seen = g_fix.in_seq;
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (next_msg("A", msg, sizeof msg, 5000) != 0) die("no Logon answer after the restart");
  char rr[64];
  snprintf(rr, sizeof rr, "7=%ld|16=0|", seen + 1);
  send_msg("2", rr); /* whatever omsd sent while no one was logged on */
  fills = 0;
  cum = 0;
  st = 0;
  quiet_until = 0;
  for (;;) {
    int64_t left = quiet_until ? quiet_until - e2e_mono_ms() : 20000;
    if (left <= 0) break;
    if (next_msg("8", msg, sizeof msg, (int)left) != 0) {
      if (quiet_until) break;
      die("vc2's fill never reached the client after both restarts");
    }
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), "vc2") != 0) continue;
    cum = raw(e2e_rawfix_val(msg, 14, v, sizeof v));
    if (cum > QTY_RAW) die("the client was told a CumQty above vc2's quantity");
    st = e2e_rawfix_val(msg, 39, v, sizeof v)[0];
    if (e2e_rawfix_val(msg, 150, v, sizeof v)[0] != 'F') continue;
    if (resent_copy(msg, &highest)) continue;
    if (++fills > 1) die("the client was told of vc2's fill twice");
    if (raw(e2e_rawfix_val(msg, 32, v, sizeof v)) != QTY_RAW) die("vc2's LastQty is not 0.5");
    quiet_until = e2e_mono_ms() + 3000;
  }
  if (fills != 1 || st != '2' || cum != QTY_RAW) die("vc2 did not end FILLED with CumQty 0.5");
  send_msg("5", "");
  next_msg("5", msg, sizeof msg, 2000);
  close(g_fix.fd);
  e2e_stop(&g_omsd, SIGTERM);
  e2e_stop(&g_venue, SIGTERM);
  long long at_venue = venue_fills(1, &lines, &known);
  if (lines != 1 || at_venue != QTY_RAW) die("the venue's journal does not show vc1's fill once");
  at_venue = venue_fills(2, &lines, &known);
  if (lines != 1 || at_venue != QTY_RAW) die("the venue's journal does not show vc2's fill once");
  printf("e2e_venue_crash: ok (fills made before the kills told once, after the restarts)\n");
  return 0;
}
