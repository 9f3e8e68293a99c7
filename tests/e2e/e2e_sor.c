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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_proc.h"

static int g_fd = -1, g_seq = 1;
static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1};
static char g_in[1 << 16];
static size_t g_len;

static void die(const char *why) {
  fprintf(stderr, "e2e_sor: FAIL: %s\n", why);
  e2e_kill9(&g_omsd);
  exit(1);
}

static void utc(char *buf, size_t cap) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char s[24];
  strftime(s, sizeof s, "%Y%m%d-%H:%M:%S", &tm);
  snprintf(buf, cap, "%.17s.%03d", s, (int)(ts.tv_nsec / 1000000));
}

/* Sends type with body fields ("|" for SOH), header and trailer added. */
static void send_msg(const char *type, const char *fields) {
  char now[32], body[2048], msg[2400];
  utc(now, sizeof now);
  int n = snprintf(body, sizeof body, "35=%s|49=CLIENT1|56=OMS|34=%d|52=%s|%s", type, g_seq++, now,
                   fields);
  int m = snprintf(msg, sizeof msg, "8=FIX.4.4|9=%d|%s", n, body);
  for (int i = 0; i < m; i++)
    if (msg[i] == '|') msg[i] = '\001';
  unsigned sum = 0;
  for (int i = 0; i < m; i++) sum += (unsigned char)msg[i];
  m += snprintf(msg + m, sizeof msg - (size_t)m, "10=%03u\001", sum % 256);
  if (write(g_fd, msg, (size_t)m) != m) die("write");
}

/* The value of tag in message msg (SOH-separated), or "". */
static const char *val(const char *msg, int tag, char *out, size_t cap) {
  char key[16];
  int k = snprintf(key, sizeof key, "\001%d=", tag);
  const char *p = strstr(msg, key);
  out[0] = '\0';
  if (p == NULL) return out;
  p += k;
  size_t i = 0;
  while (p[i] != '\001' && p[i] != '\0' && i + 1 < cap) {
    out[i] = p[i];
    i++;
  }
  out[i] = '\0';
  return out;
}

/* The next application or admin message of type want (others skipped), in
 * msg; waits up to ms. Returns 0 or -1. */
static int next_msg(const char *want, char *msg, size_t cap, int ms) {
  for (int waited = 0; waited < ms;) {
    char *end = NULL;
    for (char *p = g_in; p + 3 < g_in + g_len; p++)
      if (p[0] == '\001' && p[1] == '1' && p[2] == '0' && p[3] == '=') {
        end = memchr(p + 4, '\001', (size_t)(g_in + g_len - (p + 4)));
        break;
      }
    if (end != NULL) {
      size_t n = (size_t)(end + 1 - g_in);
      if (n >= cap) die("message too long");
      msg[0] = '\001'; /* so that val() finds the first tag too */
      memcpy(msg + 1, g_in, n);
      msg[n + 1] = '\0';
      memmove(g_in, g_in + n, g_len - n);
      g_len -= n;
      char t[8];
      if (strcmp(val(msg, 35, t, sizeof t), want) == 0) return 0;
      continue;
    }
    struct pollfd pf = {.fd = g_fd, .events = POLLIN};
    if (poll(&pf, 1, 50) > 0) {
      ssize_t r = read(g_fd, g_in + g_len, sizeof g_in - g_len);
      if (r <= 0) die("omsd closed the connection");
      g_len += (size_t)r;
    } else {
      waited += 50;
    }
  }
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: e2e_sor OMSD CONFIG WORKDIR\n");
    return 2;
  }
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", argv[3], argv[3]);
  if (system(cmd) != 0) die("workdir");
  g_omsd.bin = argv[1];
  g_omsd.conf = argv[2];
  g_omsd.port = e2e_free_port();
  snprintf(g_omsd.data, sizeof g_omsd.data, "%s/data", argv[3]);
  snprintf(g_omsd.log, sizeof g_omsd.log, "%s/omsd.log", argv[3]);
  if (e2e_start(&g_omsd) != 0 || (g_fd = e2e_connect(g_omsd.port)) < 0) die("omsd did not listen");
  char msg[8192], v[64], v2[64];
  send_msg("A", "98=0|108=30|554=client1-secret|");
  if (next_msg("A", msg, sizeof msg, 5000) != 0) die("no Logon answer");
  usleep(200000); /* the venues' first quotes reach the book */
  char now[32], f[512];
  utc(now, sizeof now);
  snprintf(f, sizeof f, "11=sor1|1=ACC1|55=BTC-USD|54=1|60=%s|38=1|40=1|59=1|100=SMART|20110=take|",
           now);
  send_msg("D", f);
  if (next_msg("8", msg, sizeof msg, 5000) != 0) die("no ExecutionReport");
  if (strcmp(val(msg, 150, v, sizeof v), "0") != 0) die("the first report is not New");
  double sum = 0, lo = 1e18, hi = 0;
  int fills = 0;
  for (;;) {
    if (next_msg("8", msg, sizeof msg, 5000) != 0) die("the order did not fill");
    if (strcmp(val(msg, 11, v, sizeof v), "sor1") != 0) die("a report of another ClOrdID");
    if (strcmp(val(msg, 150, v, sizeof v), "F") != 0) die("a report other than a fill");
    double px = atof(val(msg, 31, v, sizeof v));
    sum += atof(val(msg, 32, v2, sizeof v2));
    lo = px < lo ? px : lo;
    hi = px > hi ? px : hi;
    fills++;
    if (strcmp(val(msg, 39, v, sizeof v), "2") == 0) break;
  }
  if (sum < 0.9999 || sum > 1.0001) die("the fills do not add up to the order");
  /* one venue's top of book holds 0.5: the sweep took both venues' */
  if (fills < 2 || lo == hi) die("the order was not split across the venues");
  send_msg("D", "11=sor2|1=ACC1|55=BTC-USD|54=1|60=20260101-00:00:00.000|38=1|40=1|59=1|20110=x|");
  if (next_msg("8", msg, sizeof msg, 5000) != 0) die("no answer to a bad policy");
  if (strcmp(val(msg, 150, v, sizeof v), "8") != 0 || strstr(msg, "20110") == NULL)
    die("a bad policy was not refused naming its tag");
  send_msg("5", "");
  next_msg("5", msg, sizeof msg, 2000);
  close(g_fd);
  e2e_stop(&g_omsd, SIGTERM);
  printf("e2e_sor: ok fills=%d prices %.1f..%.1f\n", fills, lo, hi);
  return 0;
}
