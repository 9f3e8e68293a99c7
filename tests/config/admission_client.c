/*
 * admission_client.c - plays strangers and clients against a running omsd
 * (started by omsd_admission.sh on tests/config/admission.conf) over real
 * sockets, and checks what each is told:
 *
 *   flood      70 idle sockets from 18 addresses (127.0.0.10..27, 4 each:
 *              more than capacity.connections), then CLIENT1 still logs on
 *   per_addr   a 5th socket from an address holding 4 is closed at once
 *   timeout    a socket that never logs on is closed after about 1 s
 *   throttle   3 bad passwords for CLIENT2: the 4th Logon (right password,
 *              another address) is answered "logon throttled"; 3 unknown
 *              CompIDs from one address: its next Logon is throttled too
 *   slow       CLIENT1 sends TestRequests and reads nothing: the session
 *              ends with a Logout naming the output backlog
 *   store      (store_queue.conf) a burst the store's queue can not take:
 *              the session ends with a Logout naming the store failure
 *
 * Usage: admission_client PORT SCENARIO. Prints "ok SCENARIO" or
 * "FAIL SCENARIO: why" and exits 0 or 1. The FIX messages are written by
 * hand here (no liboms): this is the client's side of the wire.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *scenario;

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL %s: ", scenario);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TCP connection to omsd from 127.0.0.<last>; rcvbuf > 0 shrinks the
 * receive buffer before connecting (a client that reads little). */
static int dial(int last, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket: %s", strerror(errno));
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000000u | last)};
  if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0)
    fail("bind 127.0.0.%d: %s", last, strerror(errno));
  struct sockaddr_in to = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(0x7f000001u)};
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) fail("connect: %s", strerror(errno));
  return fd;
}

/* Writes one FIX 4.4 message: body is "35=..|..." after 8 and 9, with '|'
 * for SOH; 49/56/34/52 are added after MsgType. */
static size_t fix_msg(char *out, size_t cap, const char *sender, int seq, const char *body) {
  char ts[32], b[4096], *p;
  time_t t = time(NULL);
  strftime(ts, sizeof ts, "%Y%m%d-%H:%M:%S.000", gmtime(&t));
  const char *rest = strchr(body, '|');
  int n = snprintf(b, sizeof b, "%.*s|49=%s|56=OMS|34=%d|52=%s|%s", (int)(rest - body), body,
                   sender, seq, ts, rest + 1);
  for (p = b; *p; p++)
    if (*p == '|') *p = '\001';
  int h = snprintf(out, cap, "8=FIX.4.4\0019=%d\001%s", n, b);
  unsigned sum = 0;
  for (int i = 0; i < h; i++) sum += (unsigned char)out[i];
  h += snprintf(out + h, cap - (size_t)h, "10=%03u\001", sum % 256);
  return (size_t)h;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) fail("send: %s", strerror(errno));
    p += k;
    n -= (size_t)k;
  }
}

static void send_logon(int fd, const char *sender, const char *password) {
  char body[256], m[512];
  snprintf(body, sizeof body, "35=A|98=0|108=30|141=Y|554=%s|", password);
  send_all(fd, m, fix_msg(m, sizeof m, sender, 1, body));
}

/* Everything omsd sends until it closes the connection or timeout_s passes;
 * returns the bytes (SOH as '|') and sets *closed. */
static char *read_until_close(int fd, double timeout_s, int *closed, size_t *len) {
  static char buf[1 << 23];
  size_t n = 0;
  double end = now_s() + timeout_s;
  *closed = 0;
  while (now_s() < end && n < sizeof buf - 1) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
    if (k == 0 || (k < 0 && errno == ECONNRESET)) {
      *closed = 1;
      break;
    }
    if (k < 0) continue;
    n += (size_t)k;
  }
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\001') buf[i] = '|';
  buf[n] = '\0';
  if (len != NULL) *len = n;
  return buf;
}

/* Logs on as CLIENT1 and checks the Logon answer; returns the socket. */
static int logon_client1(int last) {
  int fd = dial(last, 0);
  send_logon(fd, "CLIENT1", "client1-secret");
  char got[1024];
  size_t n = 0;
  double end = now_s() + 5;
  while (now_s() < end && n < sizeof got - 1) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t k = recv(fd, got + n, sizeof got - 1 - n, 0);
    if (k <= 0) break;
    n += (size_t)k;
    got[n] = '\0';
    if (strstr(got, "\00135=A\001") != NULL) return fd;
  }
  got[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (got[i] == '\001') got[i] = '|';
  fail("CLIENT1 did not get a Logon back: \"%s\"", got);
  return -1;
}

static void logout_and_close(int fd) {
  char m[512];
  send_all(fd, m, fix_msg(m, sizeof m, "CLIENT1", 2, "35=5|"));
  int closed;
  (void)read_until_close(fd, 3, &closed, NULL);
  close(fd);
}

static void flood(void) {
  int fds[70];
  for (int i = 0; i < 70; i++) fds[i] = dial(10 + i / 4, 0);
  usleep(200 * 1000); /* omsd accepts them all (evicting the oldest) */
  int fd = logon_client1(1);
  logout_and_close(fd);
  for (int i = 0; i < 70; i++) close(fds[i]);
}

static void per_addr(void) {
  int fds[5];
  for (int i = 0; i < 5; i++) fds[i] = dial(60, 0);
  int closed;
  (void)read_until_close(fds[4], 2, &closed, NULL);
  if (!closed) fail("the 5th connection from 127.0.0.60 was not closed");
  (void)read_until_close(fds[0], 0.3, &closed, NULL);
  if (closed) fail("the 1st connection from 127.0.0.60 was closed at once");
  for (int i = 0; i < 5; i++) close(fds[i]);
}

static void timeout(void) {
  int fd = dial(70, 0);
  double t0 = now_s();
  int closed;
  (void)read_until_close(fd, 5, &closed, NULL);
  double took = now_s() - t0;
  if (!closed) fail("an idle connection was not closed within 5 s");
  if (took < 0.8 || took > 3)
    fail("an idle connection was closed after %.2f s, not about 1 s", took);
  close(fd);
}

/* One Logon; returns what omsd answered before it closed. */
static char *attempt(int last, const char *sender, const char *password) {
  int fd = dial(last, 0);
  send_logon(fd, sender, password);
  int closed;
  char *got = read_until_close(fd, 3, &closed, NULL);
  close(fd);
  if (!closed) fail("the Logon of %s from 127.0.0.%d did not end the connection", sender, last);
  return got;
}

static void throttle(void) {
  for (int i = 0; i < 3; i++) {
    char *got = attempt(80 + i, "CLIENT2", "wrong");
    if (strstr(got, "35=5|") == NULL) fail("a bad password got no Logout: \"%s\"", got);
  }
  char *got = attempt(84, "CLIENT2", "client2-secret");
  if (strstr(got, "35=5|") == NULL ||
      strstr(got, "58=logon throttled: 3 failed logons for CLIENT2") == NULL)
    fail("the 4th Logon of CLIENT2 was not throttled: \"%s\"", got);
  for (int i = 0; i < 3; i++) (void)attempt(90, "NOBODY", "x");
  got = attempt(90, "CLIENT1", "client1-secret");
  if (strstr(got, "58=logon throttled: 3 failed logons from 127.0.0.90") == NULL)
    fail("the 4th Logon from 127.0.0.90 was not throttled: \"%s\"", got);
  /* Another address is not held back by them. */
  logout_and_close(logon_client1(91));
}

/* TestRequests from seq 2 on, each answered with a Heartbeat, in batches
 * of per_batch every pause_us, without reading a byte. */
static void send_test_requests(int fd, int count, int per_batch, int pause_us) {
  static char batch[1 << 16];
  for (int seq = 2; seq < 2 + count;) {
    size_t n = 0;
    for (int i = 0; i < per_batch && seq < 2 + count; i++, seq++) {
      char body[64];
      snprintf(body, sizeof body, "35=1|112=T%d|", seq);
      n += fix_msg(batch + n, sizeof batch - n, "CLIENT1", seq, body);
    }
    const char *p = batch;
    while (n > 0) {
      ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) return; /* the session ended while we were still writing */
      p += k;
      n -= (size_t)k;
    }
    usleep((useconds_t)pause_us);
  }
}

/* The Logout in what was received, with its Text. */
static void expect_logout(const char *got, size_t len, const char *text) {
  const char *lo = strstr(got, "|35=5|");
  if (lo == NULL) fail("no Logout in %zu bytes received", len);
  if (strstr(lo, text) == NULL) fail("the Logout does not say \"%s\": \"%.200s\"", text, lo);
}

static void slow(void) {
  int fd = dial(100, 4096);
  send_logon(fd, "CLIENT1", "client1-secret");
  send_test_requests(fd, 8000, 100, 5000);
  size_t len;
  int closed;
  char *got = read_until_close(fd, 10, &closed, &len);
  close(fd);
  expect_logout(got, len, "58=output backlog over 16384 bytes: client not reading|");
  if (!closed) fail("the connection stayed open after the Logout");
}

/* A burst the store's queue (capacity.store_queue = 64) can not take. */
static void store(void) {
  int fd = dial(110, 0);
  send_logon(fd, "CLIENT1", "client1-secret");
  send_test_requests(fd, 20000, 500, 0);
  size_t len;
  int closed;
  char *got = read_until_close(fd, 10, &closed, &len);
  close(fd);
  expect_logout(got, len, "58=store failure: save_seqnums: OMS_EFULL (");
  if (!closed) fail("the connection stayed open after the Logout");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: admission_client PORT flood|per_addr|timeout|throttle|slow|store\n");
    return 2;
  }
  port = atoi(argv[1]);
  scenario = argv[2];
  static const struct {
    const char *name;
    void (*fn)(void);
  } all[] = {{"flood", flood},       {"per_addr", per_addr}, {"timeout", timeout},
             {"throttle", throttle}, {"slow", slow},         {"store", store}};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(all[i].name, scenario) == 0) {
      all[i].fn();
      printf("ok %s\n", scenario);
      return 0;
    }
  fprintf(stderr, "unknown scenario %s\n", scenario);
  return 2;
}
