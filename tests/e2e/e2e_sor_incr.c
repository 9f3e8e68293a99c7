/*
 * e2e_sor_incr.c - smart routing on a book kept from FIX incremental
 * refreshes: this FIX client -> omsd (omsd-sor-incr.conf: the venue with
 * market_data and md_updates = "incremental") -> omsvenue over FIX
 * (omsvenue-sor-incr.conf: a book of 5 levels of 0.5 from 65000.5 up that is
 * never re-quoted), each in its own process.
 *
 * omsd subscribes with MDUpdateType 1: one snapshot (W), then every change
 * comes as a MarketDataIncrementalRefresh (X). The client buys 0.8 smart
 * (policy take): 0.5 at 65000.5 and 0.3 at 65001. The venue then tells omsd
 * only by an X that 65000.5 is gone and 65001 holds 0.2. A second smart buy
 * of 0.4 must be routed on that book: filled 0.2 at 65001 and 0.2 at
 * 65001.5. Routed on the first snapshot instead, its child would be an IOC
 * limited at 65000.5, which finds nothing, and the take policy cancels it
 * unfilled. omsvenue's log must show the incremental subscription, omsd's
 * no untrusted book.
 *
 * usage: e2e_sor_incr OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR;
 * prints "e2e_sor_incr: ok" on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"

static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1}, g_venue = {.name = "omsvenue", .pid = -1};
static char g_omsd_conf[600]; /* omsd's configuration with the venue's port */
static e2e_rawfix_t g_fix = {.fd = -1, .seq = 1};

static void die(const char *why) {
  fprintf(stderr, "e2e_sor_incr: FAIL: %s (logs: %s, %s)\n", why, g_omsd.log, g_venue.log);
  e2e_kill9(&g_omsd);
  e2e_kill9(&g_venue);
  exit(1);
}

static void send_msg(const char *type, const char *fields) {
  if (e2e_rawfix_send(&g_fix, type, fields) != 0) die("write");
}

static int next_msg(const char *want, char *msg, size_t cap, int ms) {
  int r = e2e_rawfix_next(&g_fix, want, msg, cap, ms);
  if (r == E2E_RAWFIX_TOO_LONG) die("message too long");
  return r == 0 ? 0 : -1;
}

/* Sends a smart market buy of qty as id and reads its reports to the end:
 * the fills' total and lowest and highest price; its last OrdStatus. */
static char smart_buy(const char *id, const char *qty, double *sum, double *lo, double *hi) {
  char now[32], f[512], msg[8192], v[64], v2[64];
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "11=%s|1=ACC1|55=BTC-USD|54=1|60=%s|38=%s|40=1|59=1|100=SMART|20110=take|",
           id, now, qty);
  send_msg("D", f);
  *sum = 0, *lo = 1e18, *hi = 0;
  for (;;) {
    if (next_msg("8", msg, sizeof msg, 10000) != 0) die("the smart order did not finish");
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), id) != 0) continue;
    char et = e2e_rawfix_val(msg, 150, v, sizeof v)[0];
    if (et == 'F') {
      double px = atof(e2e_rawfix_val(msg, 31, v, sizeof v));
      *sum += atof(e2e_rawfix_val(msg, 32, v2, sizeof v2));
      *lo = px < *lo ? px : *lo;
      *hi = px > *hi ? px : *hi;
    }
    char st = e2e_rawfix_val(msg, 39, v, sizeof v)[0];
    if (st == '2' || st == '4' || st == '8') return st;
  }
}

/* Whether the file at path holds needle. */
static int log_has(const char *path, const char *needle) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  char line[2048];
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
  fclose(f);
  return found;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: e2e_sor_incr OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *why;
  if (e2e_pair_setup(&g_omsd, &g_venue, g_omsd_conf, argv[1], argv[2], argv[3], argv[4], argv[5],
                     &why) != 0)
    die(why);

  if (e2e_start(&g_venue) != 0 || e2e_start(&g_omsd) != 0) die("a daemon did not listen");
  for (int i = 0; i < 500 && (g_fix.fd = e2e_connect(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_fix.fd < 0) die("omsd did not listen");
  char msg[8192];
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (next_msg("A", msg, sizeof msg, 5000) != 0) die("no Logon answer");
  /* the venue session up, its snapshot in the book */
  if (e2e_wait_log(&g_omsd, "msg=\"market data book live\" symbol=BTC-USD", 1, 30000) != 0)
    die("the venue's book never went live at omsd");

  double sum, lo, hi;
  if (smart_buy("inc1", "0.8", &sum, &lo, &hi) != '2') die("the first order did not fill");
  if (sum < 0.7999 || sum > 0.8001 || lo != 65000.5 || hi != 65001)
    die("the first order did not take 0.5 at 65000.5 and 0.3 at 65001");
  usleep(1000000); /* the venue's X (sent at most every 100 ms) reaches omsd */
  double sum2, lo2, hi2;
  char st = smart_buy("inc2", "0.4", &sum2, &lo2, &hi2);
  if (st != '2' || sum2 < 0.3999 || sum2 > 0.4001)
    die("the second order did not fill: routed on a book the incremental refresh did not change");
  if (lo2 != 65001 || hi2 != 65001.5)
    die("the second order did not take 0.2 at 65001 and 0.2 at 65001.5");

  send_msg("5", "");
  next_msg("5", msg, sizeof msg, 2000);
  close(g_fix.fd);
  e2e_stop(&g_omsd, SIGTERM);
  e2e_stop(&g_venue, SIGTERM);
  if (!log_has(g_venue.log, "md_updates=incremental"))
    die("omsvenue did not log an incremental subscription");
  if (log_has(g_omsd.log, "market data book untrusted") ||
      log_has(g_omsd.log, "market data incremental refused"))
    die("omsd found the venue's incremental refreshes unusable");
  printf("e2e_sor_incr: ok (0.8 at %.1f..%.1f, then 0.4 at %.1f..%.1f on the updated book)\n", lo,
         hi, lo2, hi2);
  return 0;
}
