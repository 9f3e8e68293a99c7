/*
 * e2e_daily_loss_restart.c - a daily loss limit decides the same across
 * omsd's kill -9 as without it, seen by a FIX client (docs/store.md, "daily
 * PnL baseline").
 *
 * omsd (omsd-daily-loss.conf: ACC1 configured, the simulated venue's book
 * still, daily_loss 50, halt) is given a trading day that begins about 15 s
 * after the test starts (risk.trading_day_start). Each round trip (buy 0.5
 * IOC, sell 0.5 IOC across the spread) loses about 33 (spread and taker
 * fees); a probe is a buy far below the market, IOC: accepted (then
 * cancelled unfilled) or refused. The day's steps, with what an
 * uninterrupted omsd answers:
 *   day 1: a round trip (-33); probe accepted;
 *   the day ends; omsd killed -9 and started (a restart on a later day than
 *   the last fill): probe accepted; a round trip (the day: -33.5); probe
 *   accepted (the daily PnL is the day's, not the -66.5 since the start);
 *   killed -9 and started again (the same day, its base journaled): probe
 *   accepted; a round trip (the day: about -67: the limit breached, the
 *   account halted); probe refused; killed -9 and started: probe refused
 *   with the same text.
 * Before the bases were journaled, a configured account's daily PnL counted
 * from 0 after any restart: the probes after the first two restarts were
 * refused.
 *
 * usage: e2e_daily_loss_restart OMSD OMSD_CONF WORKDIR; prints
 * "e2e_daily_loss_restart: ok" on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"

static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1};
static char g_conf[900];
static e2e_rawfix_t g_fix = {.fd = -1, .seq = 1};
static int failures, g_orders;

static void die(const char *why) {
  fprintf(stderr, "e2e_daily_loss_restart: FAIL: %s (log: %s)\n", why, g_omsd.log);
  e2e_kill9(&g_omsd);
  exit(1);
}

static void send_msg(const char *type, const char *fields) {
  if (e2e_rawfix_send(&g_fix, type, fields) != 0) die("write");
}

static void logon(void) {
  for (int i = 0; i < 500 && (g_fix.fd = e2e_connect(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_fix.fd < 0) die("omsd did not listen");
  g_fix.len = 0;
  char msg[8192];
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (e2e_rawfix_next(&g_fix, "A", msg, sizeof msg, 10000) != 0) die("no Logon answer");
}

/* omsd killed -9 and started again on its data; the client logs on again
 * (what was in flight is not needed: every order had its last report). */
static void crash_restart(void) {
  e2e_kill9(&g_omsd);
  close(g_fix.fd);
  g_fix.fd = -1;
  if (e2e_start(&g_omsd) != 0) die("omsd did not start again");
  logon();
}

/* One IOC order; its final OrdStatus (2 filled, 4 cancelled, 8 rejected),
 * the text of a rejection in text[cap]. */
static char order(int side, const char *qty, const char *px, char *text, size_t cap) {
  char now[32], f[512], msg[8192], id[32], v[256];
  snprintf(id, sizeof id, "dl%d", ++g_orders);
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "11=%s|1=ACC1|55=BTC-USD|54=%d|60=%s|38=%s|40=2|44=%s|59=3|", id, side, now,
           qty, px);
  send_msg("D", f);
  for (;;) {
    if (e2e_rawfix_next(&g_fix, "8", msg, sizeof msg, 10000) != 0) die("no report of an order");
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), id) != 0) continue;
    char st = e2e_rawfix_val(msg, 39, v, sizeof v)[0];
    if (st == '2' || st == '4' || st == '8') {
      if (text != NULL) e2e_rawfix_val(msg, 58, text, cap);
      return st;
    }
  }
}

/* Buys 0.5 at the asks and sells it at the bids. */
static void round_trip(const char *when) {
  char text[256];
  char b = order(1, "0.5", "65100", text, sizeof text);
  CHECK(b == '2', "%s: the buy ended %c (%s)", when, b, text);
  char s = order(2, "0.5", "64900", text, sizeof text);
  CHECK(s == '2', "%s: the sell ended %c (%s)", when, s, text);
}

/* A buy far below the market: accepted (cancelled unfilled, IOC) or refused. */
static char probe(const char *when, char want, char *text, size_t cap) {
  char px[16]; /* a price of its own: not a duplicate of the last probe (1 ms window) */
  snprintf(px, sizeof px, "%d", 60000 + g_orders);
  char st = order(1, "0.001", px, text, cap);
  CHECK(st == want, "%s: the probe ended %c, not %c (%s)", when, st, want, text);
  printf("%s: probe %s%s%s\n", when, st == '8' ? "refused" : "accepted", st == '8' ? ": " : "",
         st == '8' ? text : "");
  return st;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: e2e_daily_loss_restart OMSD OMSD_CONF WORKDIR\n");
    return 2;
  }
  const char *work = argv[3];
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", work, work);
  if (system(cmd) != 0) die("workdir");
  signal(SIGPIPE, SIG_IGN);
  g_omsd.bin = argv[1];
  snprintf(g_conf, sizeof g_conf, "%s/omsd.conf", work);
  g_omsd.conf = g_conf;
  snprintf(g_omsd.data, sizeof g_omsd.data, "%s/data", work);
  snprintf(g_omsd.log, sizeof g_omsd.log, "%s/omsd.log", work);
  g_omsd.port = e2e_free_port();
  /* The trading day begins 15 s from now (UTC, whole seconds). */
  time_t boundary = time(NULL) + 15;
  struct tm tm;
  gmtime_r(&boundary, &tm);
  char start[16];
  snprintf(start, sizeof start, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
  FILE *in = fopen(argv[2], "r");
  static char text[1 << 16];
  size_t tn = in ? fread(text, 1, sizeof text - 1, in) : 0;
  if (in) fclose(in);
  text[tn] = '\0';
  const char *key = "\"TRADING_DAY_START\"";
  char *at = strstr(text, key);
  FILE *out = fopen(g_conf, "w");
  if (at == NULL || out == NULL) die("omsd's configuration");
  fprintf(out, "%.*s\"%s\"%s", (int)(at - text), text, start, at + strlen(key));
  fclose(out);
  printf("the trading day begins at %s UTC\n", start);

  if (e2e_start(&g_omsd) != 0) die("omsd did not listen");
  logon();
  char t1[256], t2[256];
  round_trip("day 1");
  probe("day 1, after a round trip", '4', t1, sizeof t1);
  if (time(NULL) >= boundary) die("day 1 took too long (the machine is too slow for this test)");
  while (time(NULL) < boundary + 1) usleep(100000);

  crash_restart(); /* a later day than the last fill */
  probe("day 2, restarted", '4', t1, sizeof t1);
  round_trip("day 2");
  probe("day 2, after a round trip", '4', t1, sizeof t1);

  crash_restart(); /* the same day: its base comes back from the journal */
  probe("day 2, restarted again", '4', t1, sizeof t1);
  round_trip("day 2, second");
  probe("day 2, after the second round trip", '8', t1, sizeof t1);

  crash_restart();
  probe("day 2, restarted after the breach", '8', t2, sizeof t2);
  CHECK(strcmp(t1, t2) == 0, "the refusal changed across the restart: \"%s\" then \"%s\"", t1, t2);

  if (e2e_stop(&g_omsd, SIGTERM) != 0) CHECK(0, "omsd did not stop cleanly");
  if (failures != 0) {
    fprintf(stderr, "e2e_daily_loss_restart: %d failure(s) (log: %s)\n", failures, g_omsd.log);
    return 1;
  }
  printf("e2e_daily_loss_restart: ok\n");
  return 0;
}
