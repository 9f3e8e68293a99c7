/*
 * e2e_sor.c - smart order routing through omsd's FIX socket: a client logs
 * on to a real omsd configured with two simulated venues that list the same
 * instrument (tests/e2e/omsd-sor.conf) and sends a NewOrderSingle with
 * ExDestination(100)=SMART and RoutingPolicy(20110)=take. It must hear New,
 * then fills that add up to the order at prices from both venues' books (one
 * venue's top of book holds half of it), and never of the children. Then an
 * unknown policy is refused naming the tag.
 *
 * usage: e2e_sor OMSD CONFIG WORKDIR; prints "e2e_sor: ok" on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e_proc.h"
#include "e2e_rawfix.h"

static e2e_rawfix_t g_fix = {.fd = -1, .seq = 1};
static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1};

static void die(const char *why) {
  fprintf(stderr, "e2e_sor: FAIL: %s\n", why);
  e2e_kill9(&g_omsd);
  exit(1);
}

static void send_msg(const char *type, const char *fields) {
  if (e2e_rawfix_send(&g_fix, type, fields) != 0) die("write");
}

/* The next message of type want (others skipped), in msg; waits up to ms.
 * Returns 0 or -1 (timeout); a closed connection is a failure. */
static int next_msg(const char *want, char *msg, size_t cap, int ms) {
  int r = e2e_rawfix_next(&g_fix, want, msg, cap, ms);
  if (r == E2E_RAWFIX_CLOSED) die("omsd closed the connection");
  if (r == E2E_RAWFIX_TOO_LONG) die("message too long");
  return r;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: e2e_sor OMSD CONFIG WORKDIR\n");
    return 2;
  }
  const char *why;
  if (e2e_omsd_setup(&g_omsd, argv[1], argv[2], argv[3], &why) != 0) die(why);
  if (e2e_start(&g_omsd) != 0 || (g_fix.fd = e2e_connect(g_omsd.port)) < 0)
    die("omsd did not listen");
  char msg[8192], v[64], v2[64];
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (next_msg("A", msg, sizeof msg, 5000) != 0) die("no Logon answer");
  usleep(200000); /* the venues' first quotes reach the book */
  char now[32], f[512];
  e2e_rawfix_utc(now, sizeof now);
  snprintf(f, sizeof f, "11=sor1|1=ACC1|55=BTC-USD|54=1|60=%s|38=1|40=1|59=1|100=SMART|20110=take|",
           now);
  send_msg("D", f);
  if (next_msg("8", msg, sizeof msg, 5000) != 0) die("no ExecutionReport");
  if (strcmp(e2e_rawfix_val(msg, 150, v, sizeof v), "0") != 0) die("the first report is not New");
  double sum = 0, lo = 1e18, hi = 0;
  int fills = 0;
  for (;;) {
    if (next_msg("8", msg, sizeof msg, 5000) != 0) die("the order did not fill");
    if (strcmp(e2e_rawfix_val(msg, 11, v, sizeof v), "sor1") != 0)
      die("a report of another ClOrdID");
    if (strcmp(e2e_rawfix_val(msg, 150, v, sizeof v), "F") != 0) die("a report other than a fill");
    double px = atof(e2e_rawfix_val(msg, 31, v, sizeof v));
    sum += atof(e2e_rawfix_val(msg, 32, v2, sizeof v2));
    lo = px < lo ? px : lo;
    hi = px > hi ? px : hi;
    fills++;
    if (strcmp(e2e_rawfix_val(msg, 39, v, sizeof v), "2") == 0) break;
  }
  if (sum < 0.9999 || sum > 1.0001) die("the fills do not add up to the order");
  /* one venue's top of book holds 0.5: the sweep took both venues' */
  if (fills < 2 || lo == hi) die("the order was not split across the venues");
  send_msg("D", "11=sor2|1=ACC1|55=BTC-USD|54=1|60=20260101-00:00:00.000|38=1|40=1|59=1|20110=x|");
  if (next_msg("8", msg, sizeof msg, 5000) != 0) die("no answer to a bad policy");
  if (strcmp(e2e_rawfix_val(msg, 150, v, sizeof v), "8") != 0 || strstr(msg, "20110") == NULL)
    die("a bad policy was not refused naming its tag");
  send_msg("5", "");
  next_msg("5", msg, sizeof msg, 2000);
  close(g_fix.fd);
  e2e_stop(&g_omsd, SIGTERM);
  printf("e2e_sor: ok fills=%d prices %.1f..%.1f\n", fills, lo, hi);
  return 0;
}
