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
 * usage: e2e_sor_crash OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR;
 * prints "e2e_sor_crash: ok" on success.
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

#define QTY_RAW 100000000LL /* 1, at 10^-8 */

typedef struct proc_s {
  const char *bin;
  char conf[900], data[900], log[900];
  int port;
  pid_t pid;
} proc_t;

static proc_t g_omsd, g_venue;
static int g_fd = -1, g_seq = 1;
static long g_in_seq; /* the last MsgSeqNum omsd sent that was read */
static char g_in[1 << 16];
static size_t g_len;

static void die(const char *why) {
  fprintf(stderr, "e2e_sor_crash: FAIL: %s (logs: %s, %s)\n", why, g_omsd.log, g_venue.log);
  proc_t *ps[2] = {&g_omsd, &g_venue};
  for (int i = 0; i < 2; i++)
    if (ps[i]->pid > 0) {
      kill(ps[i]->pid, SIGKILL);
      waitpid(ps[i]->pid, NULL, 0);
    }
  exit(1);
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &n);
  close(fd);
  return ntohs(a.sin_port);
}

static int connect_port(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void start(proc_t *p) {
  p->pid = fork();
  if (p->pid == 0) {
    if (!freopen(p->log, "a", stderr)) _exit(126);
    char port[16];
    snprintf(port, sizeof port, "%d", p->port);
    execl(p->bin, p->bin, "--config", p->conf, "--port", port, "--data-dir", p->data, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 1000; i++) { /* 10 s: the sanitizer build starts slowly */
    int fd = connect_port(p->port);
    if (fd >= 0) {
      close(fd);
      return;
    }
    usleep(10000);
  }
  die("a daemon did not listen");
}

static void stop(proc_t *p, int sig) {
  kill(p->pid, sig);
  waitpid(p->pid, NULL, 0);
  p->pid = -1;
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

/* The next message of type want (others skipped) into msg, within ms;
 * 0, or -1 (timeout or a closed connection). */
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
      msg[0] = '\001';
      memcpy(msg + 1, g_in, n);
      msg[n + 1] = '\0';
      memmove(g_in, g_in + n, g_len - n);
      g_len -= n;
      char t[24];
      long sq = atol(val(msg, 34, t, sizeof t));
      if (sq > g_in_seq) g_in_seq = sq;
      if (strcmp(val(msg, 35, t, sizeof t), want) == 0) return 0;
      continue;
    }
    struct pollfd pf = {.fd = g_fd, .events = POLLIN};
    if (poll(&pf, 1, 50) > 0) {
      ssize_t r = read(g_fd, g_in + g_len, sizeof g_in - g_len);
      if (r <= 0) return -1;
      g_len += (size_t)r;
    } else {
      waited += 50;
    }
  }
  return -1;
}

static long long raw(const char *dec) { return (long long)(atof(dec) * 1e8 + 0.5); }

static void logon(void) {
  for (int i = 0; i < 500 && (g_fd = connect_port(g_omsd.port)) < 0; i++) usleep(10000);
  if (g_fd < 0) die("omsd did not listen");
  g_len = 0;
  char msg[8192];
  long seen = g_in_seq; /* before this Logon's answer moves it */
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
  if (strcmp(val(msg, 11, v, sizeof v), "sorc1") != 0) die("a report of another ClOrdID");
  *cum = raw(val(msg, 14, v, sizeof v));
  if (*cum > QTY_RAW) die("the client was told a CumQty above the parent's quantity");
  return val(msg, 39, v, sizeof v)[0];
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

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: e2e_sor_crash OMSD OMSVENUE OMSD_CONF VENUE_CONF WORKDIR\n");
    return 2;
  }
  const char *work = argv[5];
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", work, work);
  if (system(cmd) != 0) die("workdir");
  signal(SIGPIPE, SIG_IGN);
  g_venue.bin = argv[2];
  snprintf(g_venue.conf, sizeof g_venue.conf, "%s", argv[4]);
  snprintf(g_venue.data, sizeof g_venue.data, "%s/venue", work);
  snprintf(g_venue.log, sizeof g_venue.log, "%s/omsvenue.log", work);
  g_venue.port = free_port();
  g_omsd.bin = argv[1];
  snprintf(g_omsd.conf, sizeof g_omsd.conf, "%s/omsd.conf", work);
  snprintf(g_omsd.data, sizeof g_omsd.data, "%s/data", work);
  snprintf(g_omsd.log, sizeof g_omsd.log, "%s/omsd.log", work);
  g_omsd.port = free_port();
  /* omsd's configuration with the venue's port */
  FILE *in = fopen(argv[3], "r");
  static char text[1 << 16];
  size_t tn = in ? fread(text, 1, sizeof text - 1, in) : 0;
  if (in) fclose(in);
  text[tn] = '\0';
  char *at = strstr(text, "port = 9879;");
  FILE *out = fopen(g_omsd.conf, "w");
  if (at == NULL || out == NULL) die("omsd's configuration");
  fprintf(out, "%.*sport = %d;%s", (int)(at - text), text, g_venue.port,
          at + strlen("port = 9879;"));
  fclose(out);

  start(&g_venue);
  start(&g_omsd);
  logon();
  usleep(1000000); /* the venue session up, its quotes in the book */
  char now[32], f[512], msg[8192], v[64];
  utc(now, sizeof now);
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
  stop(&g_omsd, SIGKILL);
  close(g_fd);
  start(&g_omsd);
  logon();
  /* whatever omsd sends after the restart: the parent's reports end FILLED */
  for (int guard = 0; st != '2' && guard < 200; guard++) {
    if (next_msg("8", msg, sizeof msg, 15000) != 0)
      die("the parent did not finish after the restart");
    if (strcmp(val(msg, 11, v, sizeof v), "sorc1") != 0) continue; /* not ours */
    st = parent_report(msg, &cum);
  }
  if (st != '2' || cum != QTY_RAW) die("the parent did not end FILLED with CumQty 1");
  send_msg("5", "");
  next_msg("5", msg, sizeof msg, 2000);
  close(g_fd);
  stop(&g_omsd, SIGTERM);
  stop(&g_venue, SIGTERM);
  long long at_venue = venue_fills();
  if (at_venue != QTY_RAW) die("the children's fills at the venue are not the parent's quantity");
  printf("e2e_sor_crash: ok (CumQty 1 told, 1 filled at the venue)\n");
  return 0;
}
