/*
 * bench_fix_roundtrip - NewOrderSingle to the first ExecutionReport through
 * omsd over loopback, with the bare TCP ping-pong of the same machine as the
 * floor, in one run.
 *
 * It starts omsd itself (../bin/omsd next to this program's directory) on a
 * free loopback port with its own configuration and a temporary data
 * directory, once with durability `os` and once with `fsync`, logs on as a
 * FIX client (plain C, our codec) and measures, per order, the time from
 * writing the NewOrderSingle to reading its first ExecutionReport
 * (PendingNew, sent once the order's store append is durable):
 *   - steady: an open loop at 10,000 orders per second;
 *   - full:   as fast as omsd answers, 16 orders in flight (a throughput
 *             line: its latency is 16 service times, Little's law);
 *   - closed_loop_1: one order in flight, the next sent when the first
 *             report arrives: the same closed loop as the ping-pong floor,
 *             so its p99 compares with the floor's.
 * The orders are IOC limit buys below the market (cancelled by the venue at
 * once), so nothing accumulates. Each one is several store writes (its
 * events and the ExecutionReports kept for resend): the store queue is 65536
 * here, so that a writer descheduled for a while on this shared machine
 * does not fill it (a full store queue ends the FIX session). The floor is a 200-byte ping-pong
 * between two processes over a loopback TCP connection.
 *
 * The hops: the same client, measuring to the venue's first answer (the
 * first report that is not PendingNew), once with the venue inside omsd
 * (one hop: client -> omsd -> client) and once with omsd routing over FIX to
 * omsvenue in a third process (two hops: client -> omsd -> omsvenue -> omsd
 * -> client), both in `os` durability, beside the ping-pong floor of the
 * same run. The venues answer with no latency of their own.
 *
 * The admin API's cost to the trading path (issue 12): omsd with its admin
 * API on, the same open loop at 10,000 orders/s in rounds that alternate
 * without and with admin load (which goes first alternates too, so a drift
 * of the machine weighs on both): fix_roundtrip_10k, and
 * fix_roundtrip_10k_admin_load while one thread holds an SSE stream on
 * /v1/events/stream (reading every event) and another calls GET /v1/orders
 * 50 times a second on a keep-alive connection; a comment line gives the
 * ratios of the medians. Then admin_get_order: GET /v1/orders/{id} (the
 * order, its audit trail and fills) on one keep-alive connection, one after
 * the other, beside the TCP ping-pong floor printed first. The HTTP clients
 * are libcurl, as omsctl is.
 *
 * Environment: OMS_BENCH_ROUNDS (default 5), OMS_BENCH_ORDERS (per round,
 * default 5000), OMS_BENCH_RATE (the steady rate, default 10000; the names
 * keep saying 10k), OMSD (path of omsd), OMSVENUE (path of omsvenue),
 * OMS_BENCH_HOPS_ONLY (set: the floor and the hop lines only),
 * OMS_BENCH_MODES (a list of "os", "fsync", "hops": only those lines after
 * the floor, no admin lines),
 * OMS_BENCH_ADMIN ("only": the floor and the admin lines only; "0": no
 * admin lines), OMS_BENCH_LOG_LEVEL (omsd's log level in the one-hop runs,
 * default warn; "info" measures the order log lines of issue 12),
 * OMS_BENCH_KEEP (set: keep the processes' directories and logs),
 * OMS_BENCH_TMPDIR (where those directories go, default /tmp: the data
 * directory's file system is part of what the `os` lines measure),
 * OMS_BENCH_LOAD_NICE (the admin load's client threads, default 19),
 * OMS_BENCH_LOAD ("sse", "poll" or both, the default: which clients load),
 * OMS_BENCH_POLL_PATH (what the poller GETs, default /v1/orders),
 * OMS_BENCH_RENICE_HTTP (an experiment: omsd's HTTP threads at that nice),
 * OMS_BENCH_STREAM_URL (a running nats-server: mode "os_stream" in
 * OMS_BENCH_MODES runs the os lines again with omsd's event stream to it,
 * named *_os_stream: docs/deployment.md),
 * OMS_BENCH_SEGMENT_MB (the journal's segment size in the one-hop os runs,
 * default omsd's 64: smaller puts more rolls inside each line; the line
 * names do not change, say so when quoting),
 * OMS_BENCH_CORE_THREAD (the body of omsd's omsd.core_thread group, e.g.
 * 'policy = "fifo"; priority = 10;': the core thread under a real-time
 * policy, docs/omsd.md; the line names do not change, say so when quoting),
 * OMS_BENCH_SPIN (set: the clients and the echo busy-poll their sockets
 * instead of sleeping; the line names do not change, say so when quoting),
 * OMS_BENCH_RT (a priority: the clients and the echo under SCHED_FIFO at it,
 * as a latency-bound strategy runs; omsd still starts on the ordinary
 * policy: its core thread gets the same with OMS_BENCH_CORE_THREAD),
 * OMS_BENCH_PIN ("C,S": the client pinned to CPU C, the echo server to CPU
 * S, omsd left free: pin its core thread to S with OMS_BENCH_CORE_THREAD
 * 'cpu = S;', so both lines run on the same two CPUs),
 * OMS_BENCH_PG_CONNINFO (a running PostgreSQL: mode "os_pg" in
 * OMS_BENCH_MODES runs the os lines again with omsd's projection in it,
 * store.projection = "postgres", named *_os_pg: docs/store.md).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "oms/error.h"
#include "oms/fix.h"

#define WINDOW 16

static const char *config_text =
    "fix = { address = \"127.0.0.1\"; port = 0;\n"
    "  sessions = ( { sender_comp_id = \"BENCH\"; target_comp_id = \"OMS\"; password = \"pw\";\n"
    "                 account = \"ACC1\"; heartbeat = 30; cancel_on_disconnect = true; } ); };\n"
    "accounts = ( { id = \"ACC1\"; cash = \"100000000\"; } );\n"
    "instruments = ( { symbol = \"BTC-USD\"; venue = \"SIM\"; tick = \"0.5\"; lot = \"0.001\";\n"
    "                  min_qty = \"0.001\"; max_qty = \"100\"; min_notional = \"10\"; } );\n"
    "venues = ( { name = \"SIM\"; liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\";\n"
    "             spread_ticks = 2; levels = 5; size = \"1\"; } ); } );\n"
    "risk = { global = { max_order_qty = \"100\"; max_order_notional = \"10000000\";\n"
    "  max_position = \"100000\"; max_open_orders_account = 100000; max_open_orders_strategy = "
    "100000;\n"
    "  collar_pct = \"0.5\"; max_ref_age_ms = 86400000; order_rate_account = 32000;\n"
    "  daily_loss = \"1000000\"; max_leverage = \"100\"; max_margin_usage = \"100\";\n"
    "  credit_limit = \"1000000000\";\n"
    "  order_rate_strategy = 32000; cancel_rate_account = 32000; cancel_rate_strategy = 32000;\n"
    "  rate_window_ms = 1000; duplicate_window_ms = 1; };\n"
    "  whitelist = [ \"BTC-USD\" ]; hours = ( { venue = \"SIM\"; } ); };\n"
    "store = { data_dir = \"var\"; durability = \"os\"; };\n"
    "capacity = { store_queue = 65536; };\n"
    "logging = { level = \"warn\"; };\n";

/* The two-hop setup: omsvenue on VENUE_PORT (printf %d), and omsd routing
 * BTC-USD to it over FIX, with its market data as risk's reference price
 * (the collar refuses every order until the first snapshot). */
static const char *venue_config_fmt =
    "fix = { address = \"127.0.0.1\"; port = %d;\n"
    "  sessions = ( { sender_comp_id = \"OMS\"; target_comp_id = \"VENUE\";\n"
    "    password = \"venue-secret\"; account = \"OMS\"; heartbeat = 30;\n"
    "    cancel_on_disconnect = false; } ); };\n"
    "accounts = ( { id = \"OMS\"; cash = \"0\"; } );\n"
    "instruments = ( { symbol = \"BTC-USD\"; venue = \"VENUE\"; tick = \"0.5\"; lot = \"0.001\";\n"
    "                  min_qty = \"0.001\"; max_qty = \"100\"; min_notional = \"10\"; } );\n"
    "venues = ( { name = \"VENUE\"; type = \"sim\"; liquidity = ( { symbol = \"BTC-USD\";\n"
    "  ref_px = \"65000\"; spread_ticks = 2; levels = 5; size = \"1\"; } ); } );\n"
    "risk = { global = { max_order_qty = \"100\"; }; };\n"
    "store = { data_dir = \"var\"; durability = \"os\"; };\n"
    "logging = { level = \"warn\"; };\n";

static const char *twohop_config_fmt =
    "fix = { address = \"127.0.0.1\"; port = 0;\n"
    "  sessions = ( { sender_comp_id = \"BENCH\"; target_comp_id = \"OMS\"; password = \"pw\";\n"
    "                 account = \"ACC1\"; heartbeat = 30; cancel_on_disconnect = true; } ); };\n"
    "accounts = ( { id = \"ACC1\"; cash = \"100000000\"; } );\n"
    "instruments = ( { symbol = \"BTC-USD\"; venue = \"XV\"; tick = \"0.5\"; lot = \"0.001\";\n"
    "                  min_qty = \"0.001\"; max_qty = \"100\"; min_notional = \"10\"; } );\n"
    "venues = ( { name = \"XV\"; type = \"fix\"; host = \"127.0.0.1\"; port = %d;\n"
    "  sender_comp_id = \"OMS\"; target_comp_id = \"VENUE\"; password = \"venue-secret\";\n"
    "  heartbeat_s = 30; reconnect_min_ms = 100; reconnect_max_ms = 1000; market_data = true; } "
    ");\n"
    "risk = { global = { max_order_qty = \"100\"; max_order_notional = \"10000000\";\n"
    "  max_position = \"100000\"; max_open_orders_account = 100000; max_open_orders_strategy = "
    "100000;\n"
    "  order_rate_account = 32000; collar_pct = \"0.5\"; max_ref_age_ms = 86400000;\n"
    "  daily_loss = \"1000000\"; max_leverage = \"100\"; max_margin_usage = \"100\";\n"
    "  credit_limit = \"1000000000\";\n"
    "  order_rate_strategy = 32000; cancel_rate_account = 32000; cancel_rate_strategy = 32000;\n"
    "  rate_window_ms = 1000; duplicate_window_ms = 1; };\n"
    "  whitelist = [ \"BTC-USD\" ]; hours = ( { venue = \"XV\"; } ); };\n"
    "store = { data_dir = \"var\"; durability = \"os\"; };\n"
    "capacity = { store_queue = 65536; };\n"
    "logging = { level = \"warn\"; };\n";

/* Set while the os_stream lines run: omsd publishes its events there. */
static const char *stream_url;
/* Set while the os_pg lines run: omsd's projection is in that PostgreSQL. */
static const char *pg_conninfo;

/* config_text with logging at OMS_BENCH_LOG_LEVEL (default warn). */
static void omsd_config(char *out, size_t cap) {
  const char *level = getenv("OMS_BENCH_LOG_LEVEL");
  const char *log = strstr(config_text, "logging = {");
  int w = snprintf(out, cap, "%.*slogging = { level = \"%s\"; };\n", (int)(log - config_text),
                   config_text, level != NULL ? level : "warn");
  if (pg_conninfo != NULL && w > 0 && (size_t)w < cap) {
    /* a new instance each time: each run's data directory is a new journal */
    static int runs;
    w += snprintf(out + w, cap - (size_t)w,
                  "store = { data_dir = \"var\"; durability = \"os\"; projection = \"postgres\";\n"
                  "  pg_conninfo = \"%s\"; instance = \"bench%d_%d\"; };\n",
                  pg_conninfo, (int)getpid(), ++runs);
    char *dup = strstr(out, "store = { data_dir = \"var\"; durability = \"os\"; };\n");
    if (dup != NULL)
      memset(dup, ' ', strlen("store = { data_dir = \"var\"; durability = \"os\"; };"));
  }
  if (stream_url != NULL && w > 0 && (size_t)w < cap)
    w += snprintf(out + w, cap - (size_t)w,
                  "stream = { nats_url = \"%s\"; stream = \"BENCH\"; };\n", stream_url);
  /* Smaller journal segments: more rolls inside each line (docs/journal.md). */
  const char *seg = getenv("OMS_BENCH_SEGMENT_MB");
  char *st = strstr(out, "store = { data_dir = \"var\"; durability = \"os\"; };");
  if (seg != NULL && atoi(seg) > 0 && st != NULL && pg_conninfo == NULL) {
    char line[96];
    int n =
        snprintf(line, sizeof line,
                 "store = { data_dir = \"var\"; durability = \"os\"; journal_segment_mb = %d; };",
                 atoi(seg));
    size_t old = strlen("store = { data_dir = \"var\"; durability = \"os\"; };");
    if (n > 0 && (size_t)w + (size_t)n - old < cap) {
      memmove(st + n, st + old, strlen(st + old) + 1);
      memcpy(st, line, (size_t)n);
      w += n - (int)old;
    }
  }
  const char *core = getenv("OMS_BENCH_CORE_THREAD");
  if (core != NULL && core[0] != '\0' && w > 0 && (size_t)w < cap)
    snprintf(out + w, cap - (size_t)w, "omsd = { core_thread = { %s }; };\n", core);
}

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(fd, (struct sockaddr *)&sa, sizeof sa);
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  close(fd);
  return ntohs(sa.sin_port);
}

static int connect_port(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      perror("bench: send");
      exit(1);
    }
    p += w;
    n -= (size_t)w;
  }
}

/* ---- The floor: 200-byte ping-pong ------------------------------------------------------- */

static uint64_t steady_gap_ns(void);

/* OMS_BENCH_SPIN: the clients and the echo busy-poll their sockets instead
 * of sleeping in ppoll/recv, as a latency-bound strategy does: no wake-up
 * through the scheduler (and, on a VM, the hypervisor) on their side. */
static bool spinning(void) {
  static int v = -1;
  if (v < 0) v = getenv("OMS_BENCH_SPIN") != NULL;
  return v == 1;
}

/* OMS_BENCH_PIN "C,S": the calling process to CPU C (client) or S (server),
 * or, with which < 0, back to every CPU (a child about to exec omsd). */
static void pin(int which) {
  const char *e = getenv("OMS_BENCH_PIN");
  int c, s;
  if (e == NULL || sscanf(e, "%d,%d", &c, &s) != 2) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (which < 0)
    for (int i = 0; i < CPU_SETSIZE; i++) CPU_SET(i, &set);
  else
    CPU_SET(which == 0 ? c : s, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0 && which >= 0) perror("bench: OMS_BENCH_PIN");
}

/* OMS_BENCH_RT: the calling process under SCHED_FIFO; the bench's own
 * process asks for the reset on fork, so the omsd it starts does not inherit
 * it (the echo server asks again). */
static void realtime(bool reset_on_fork) {
  const char *e = getenv("OMS_BENCH_RT");
  if (e == NULL) return;
  struct sched_param sp = {.sched_priority = atoi(e)};
  if (sched_setscheduler(0, SCHED_FIFO | (reset_on_fork ? SCHED_RESET_ON_FORK : 0), &sp) != 0) {
    perror("bench: OMS_BENCH_RT");
    exit(1);
  }
}

static void bench_ping_pong(int rounds, size_t n) {
  pin(0);
  int port = free_port();
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 1) != 0) {
    perror("bench: listen");
    exit(1);
  }
  pid_t pid = fork();
  if (pid == 0) {
    pin(1);
    realtime(false);
    int c = accept(lfd, NULL, NULL);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buf[200];
    for (;;) {
      size_t got = 0;
      while (got < sizeof buf) {
        ssize_t r = recv(c, buf + got, sizeof buf - got, spinning() ? MSG_DONTWAIT : 0);
        if (r < 0 && errno == EAGAIN) continue;
        if (r <= 0) _exit(0);
        got += (size_t)r;
      }
      write_all(c, buf, sizeof buf);
    }
  }
  close(lfd);
  int fd = connect_port(port);
  char buf[200];
  memset(buf, 'x', sizeof buf);
  bench_t b;
  bench_init(&b, "tcp_ping_pong_200B", n);
  for (int r = 0; r < rounds; r++) {
    bench_round_begin(&b);
    for (size_t i = 0; i < n + 500; i++) {
      uint64_t t0 = bench_now_ns();
      write_all(fd, buf, sizeof buf);
      size_t got = 0;
      while (got < sizeof buf) {
        ssize_t k = recv(fd, buf + got, sizeof buf - got, spinning() ? MSG_DONTWAIT : 0);
        if (k < 0 && errno == EAGAIN) continue;
        if (k <= 0) {
          perror("bench: recv");
          exit(1);
        }
        got += (size_t)k;
      }
      if (i >= 500) bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
  /* The same echo paced as the FIX open loop is (steady_round): a message
   * due every gap, the client asleep in ppoll between them, each answer
   * timed from its own send. A sleeping client and a sleeping echo are woken
   * for every message, which a back-to-back ping-pong never is: this line is
   * the machine's own tail for the 10k/s lines, beside the closed-loop floor. */
  const uint64_t gap = steady_gap_ns();
  bench_t pb;
  bench_init(&pb, "tcp_ping_pong_200B_10k_per_s", n);
  uint64_t *sent = calloc(n, sizeof *sent);
  for (int r = 0; r < rounds; r++) {
    bench_round_begin(&pb);
    uint64_t start = bench_now_ns();
    size_t next = 0, answered = 0, got = 0;
    while (answered < n) {
      uint64_t now = bench_now_ns();
      if (next < n && now >= start + next * gap) {
        sent[next] = bench_now_ns();
        write_all(fd, buf, sizeof buf);
        next++;
        continue;
      }
      int64_t wait = next < n ? (int64_t)(start + next * gap - now) : 10000000;
      struct pollfd pfd = {.fd = fd, .events = POLLIN};
      struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
      if (spinning()) ts = (struct timespec){0, 0};
      if (ppoll(&pfd, 1, &ts, NULL) <= 0) continue;
      char in[4096];
      ssize_t k = recv(fd, in, sizeof in, MSG_DONTWAIT);
      if (k <= 0) continue;
      uint64_t t = bench_now_ns();
      for (got += (size_t)k; got >= sizeof buf && answered < n; got -= sizeof buf)
        bench_add(&pb, t - sent[answered++]);
    }
    bench_round_end(&pb, 0);
  }
  bench_report(&pb);
  free(sent);
  close(fd);
  waitpid(pid, NULL, 0);
}

/* ---- The FIX client -------------------------------------------------------------------------- */

typedef struct client_s {
  int fd;
  int64_t seq;
  char in[1 << 20];
  size_t in_len;
  uint64_t *sent_ns; /* per order index */
  bool *answered;
  size_t outstanding;
} client_t;

static int64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fix_send(client_t *c, const char *type, const char *body) {
  char buf[1024];
  oms_fix_builder_t bld;
  oms_fix_header_t h = {.msg_type = type,
                        .sender_comp_id = "BENCH",
                        .target_comp_id = "OMS",
                        .msg_seq_num = c->seq++,
                        .sending_time_ns = wall_ns()};
  oms_fix_builder_begin_header(&bld, buf, sizeof buf, &h);
  /* body: "tag=value|tag=value|" */
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", body);
  for (char *save = NULL, *f = strtok_r(tmp, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
    char *eq = strchr(f, '=');
    *eq = '\0';
    oms_fix_add_cstr(&bld, (uint32_t)atoi(f), eq + 1);
  }
  size_t len;
  if (oms_fix_builder_finish(&bld, &len) != 0) {
    fprintf(stderr, "bench: cannot build %s\n", type);
    exit(1);
  }
  write_all(c->fd, buf, len);
}

/* Reads what is there (waiting up to timeout_ms for something) and calls
 * on_msg for each message. Returns the number of messages. */
typedef void (*msg_fn)(client_t *c, const oms_fix_msg_t *m, uint64_t now);
static int pump_ns(client_t *c, int64_t timeout_ns, msg_fn fn) {
  ssize_t r;
  if (spinning()) {
    uint64_t until = bench_now_ns() + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
    do r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
    while (r < 0 && errno == EAGAIN && bench_now_ns() < until);
  } else {
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    if (ppoll(&p, 1, &ts, NULL) <= 0) return 0;
    r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
  }
  if (r == 0) {
    fprintf(stderr, "bench: omsd closed the connection\n");
    exit(1);
  }
  if (r < 0) return 0;
  uint64_t now = bench_now_ns();
  c->in_len += (size_t)r;
  size_t off = 0;
  int n = 0;
  static oms_fix_msg_t m;
  for (;;) {
    size_t used = 0;
    int rc = oms_fix_parse(c->in + off, c->in_len - off, NULL, &m, &used, NULL);
    if (rc == OMS_EAGAIN) break;
    off += used;
    if (rc != 0) continue;
    n++;
    if (fn) fn(c, &m, now);
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  return n;
}

static int pump(client_t *c, int timeout_ms, msg_fn fn) {
  return pump_ns(c, (int64_t)timeout_ms * 1000000, fn);
}

static bench_t *cur_bench;
/* ExecType(150) of the last report counted (the probe waits for one not '8'). */
static char last_exec_type;
/* The hop benchmarks count the venue's first answer, not omsd's PendingNew. */
static bool skip_pending_new;

static void on_er(client_t *c, const oms_fix_msg_t *m, uint64_t now) {
  if (oms_fix_msg_is(m, "3") || oms_fix_msg_is(m, "5")) {
    oms_fix_str_t t = {0};
    oms_fix_msg_get_str(m, 58, &t);
    fprintf(stderr, "bench: omsd sent %.*s: %.*s\n", (int)m->msg_type.len, m->msg_type.ptr,
            (int)t.len, t.ptr ? t.ptr : "");
    return;
  }
  if (!oms_fix_msg_is(m, "8")) return;
  char exec_type = 0;
  if (skip_pending_new && oms_fix_msg_get_char(m, 150, &exec_type) == 0 && exec_type == 'A') return;
  last_exec_type = exec_type;
  oms_fix_str_t id;
  if (oms_fix_msg_get_str(m, 11, &id) != 0 || id.len < 2) return;
  /* ClOrdID "<prefix>-<index>" */
  const char *dash = memchr(id.ptr, '-', id.len);
  if (dash == NULL) return;
  size_t i = (size_t)strtoull(dash + 1, NULL, 10);
  if (c->answered[i]) return;
  c->answered[i] = true;
  c->outstanding--;
  if (cur_bench != NULL && c->sent_ns[i] != 0) {
    bench_add(cur_bench, now - c->sent_ns[i]);
    /* OMS_BENCH_SLOW_US: each slower answer named with its send time
     * (CLOCK_MONOTONIC), to line up with a `perf record -k mono` trace. */
    static long slow_ns = -1;
    if (slow_ns < 0)
      slow_ns = getenv("OMS_BENCH_SLOW_US") ? atol(getenv("OMS_BENCH_SLOW_US")) * 1000 : 0;
    if (slow_ns > 0 && now - c->sent_ns[i] > (uint64_t)slow_ns)
      fprintf(stderr, "slow %s %.*s sent=%.6f lat_us=%.0f\n", cur_bench->name, (int)id.len, id.ptr,
              (double)c->sent_ns[i] / 1e9, (double)(now - c->sent_ns[i]) / 1e3);
  }
}

static void send_order(client_t *c, const char *prefix, size_t i) {
  char body[256];
  char tt[OMS_FIX_TIME_LEN + 1];
  oms_fix_format_time(wall_ns(), tt);
  /* distinct prices, so that the duplicate-order guard never fires */
  unsigned px2 = 120000 - (unsigned)(i % 2000); /* in half units: 60000 - ... */
  snprintf(body, sizeof body, "11=%s-%zu|55=BTC-USD|54=1|60=%s|38=0.01|40=2|44=%u%s|59=3|", prefix,
           i, tt, px2 / 2, px2 % 2 ? ".5" : "");
  c->answered[i] = false;
  c->outstanding++;
  c->sent_ns[i] = bench_now_ns();
  fix_send(c, "D", body);
}

static void drain(client_t *c, size_t total) {
  uint64_t deadline = bench_now_ns() + 10ull * 1000000000ull;
  while (c->outstanding > 0 && bench_now_ns() < deadline) pump(c, 10, on_er);
  if (c->outstanding > 0)
    fprintf(stderr, "bench: %zu of %zu orders unanswered\n", c->outstanding, total);
  c->outstanding = 0;
}

static uint64_t steady_gap_ns(void) {
  const char *re = getenv("OMS_BENCH_RATE");
  uint64_t rate = re != NULL && atol(re) > 0 ? (uint64_t)atol(re) : 10000;
  return 1000000000u / rate; /* 10,000/s unless OMS_BENCH_RATE */
}

/* One round of the open loop into b: n orders named "<prefix>-<i>". */
static void steady_round(client_t *c, bench_t *b, const char *prefix, size_t n) {
  const uint64_t gap = steady_gap_ns();
  cur_bench = b;
  bench_round_begin(b);
  uint64_t start = bench_now_ns();
  for (size_t i = 0; i < n; i++) {
    uint64_t due = start + i * gap;
    /* Sleep in ppoll until the order is due, so that the client does not
     * take a core from omsd on this small machine. */
    for (uint64_t t = bench_now_ns(); t < due; t = bench_now_ns())
      pump_ns(c, (int64_t)(due - t), on_er);
    send_order(c, prefix, i);
    pump(c, 0, on_er);
  }
  drain(c, n);
  bench_round_end(b, 0);
  cur_bench = NULL;
}

static void run_steady(client_t *c, const char *name, int rounds, size_t n, int round_base,
                       bool report) {
  bench_t b;
  bench_init(&b, name, n);
  for (int r = 0; r < rounds; r++) {
    char prefix[16];
    snprintf(prefix, sizeof prefix, "s%d", round_base + r);
    steady_round(c, &b, prefix, n);
  }
  if (report)
    bench_report(&b);
  else
    free(b.samples);
}

/* The closed loop: `window` orders in flight, the next one sent when an
 * answer frees a place. */
static void run_full(client_t *c, const char *name, int rounds, size_t n, int round_base,
                     size_t window) {
  bench_t b;
  bench_init(&b, name, n);
  for (int r = 0; r < rounds; r++) {
    char prefix[16];
    snprintf(prefix, sizeof prefix, "f%d", round_base + r);
    cur_bench = &b;
    bench_round_begin(&b);
    for (size_t i = 0; i < n; i++) {
      while (c->outstanding >= window) pump(c, 100, on_er);
      send_order(c, prefix, i);
    }
    drain(c, n);
    bench_round_end(&b, 0);
  }
  cur_bench = NULL;
  bench_report(&b);
}

/* A process of ours under test: its temporary directory and pid. */
typedef struct proc_s {
  char dir[256];
  pid_t pid;
} proc_t;

/* The processes started and not yet stopped: killed if the bench exits
 * early (omsd ended the session), so none is left behind. */
static pid_t running[8];

static void kill_running(void) {
  for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
    if (running[i] > 0) kill(running[i], SIGKILL);
}

/* Writes text to DIR/NAME.conf and starts prog on it with args
 * (NULL-terminated) after --config and --data-dir, stderr to DIR/NAME.log. */
static void proc_start(proc_t *p, const char *prog, const char *name, const char *text,
                       const char *const *args) {
  const char *tmp = getenv("OMS_BENCH_TMPDIR");
  if (tmp == NULL || !tmp[0] || strlen(tmp) > 200) tmp = "/tmp";
  snprintf(p->dir, sizeof p->dir, "%s/bench-%s-XXXXXX", tmp, name);
  if (mkdtemp(p->dir) == NULL) {
    perror("bench: mkdtemp");
    exit(1);
  }
  char conf[PATH_MAX], log[PATH_MAX], data[PATH_MAX];
  snprintf(conf, sizeof conf, "%s/%s.conf", p->dir, name);
  snprintf(log, sizeof log, "%s/%s.log", p->dir, name);
  snprintf(data, sizeof data, "%s/data", p->dir);
  FILE *f = fopen(conf, "w");
  fputs(text, f);
  fclose(f);
  const char *argv[16] = {prog, "--config", conf, "--data-dir", data};
  size_t k = 5;
  for (size_t i = 0; args[i] != NULL && k < 15; i++) argv[k++] = args[i];
  argv[k] = NULL;
  p->pid = fork();
  if (p->pid == 0) {
    pin(-1);
    if (freopen(log, "w", stderr) == NULL) _exit(126);
    dup2(2, 1); /* not the bench's stdout: a pipe must end with the bench */
    execv(prog, (char *const *)argv);
    _exit(127);
  }
  static bool registered;
  if (!registered) atexit(kill_running);
  registered = true;
  for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
    if (running[i] == 0) {
      running[i] = p->pid;
      break;
    }
}

static void proc_stop(proc_t *p) {
  kill(p->pid, SIGTERM);
  int st;
  waitpid(p->pid, &st, 0);
  for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
    if (running[i] == p->pid) running[i] = 0;
  if (getenv("OMS_BENCH_KEEP") != NULL) {
    fprintf(stderr, "bench: kept %s\n", p->dir);
    return;
  }
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
  if (system(cmd) != 0) fprintf(stderr, "bench: could not remove %s\n", p->dir);
}

/* Connects to omsd on port and logs on. */
static client_t *client_open(int port, size_t n, const char *dir) {
  client_t *c = calloc(1, sizeof *c);
  c->sent_ns = calloc(n, sizeof *c->sent_ns);
  c->answered = calloc(n, sizeof *c->answered);
  c->fd = -1;
  for (int i = 0; i < 500 && c->fd < 0; i++) {
    c->fd = connect_port(port);
    if (c->fd < 0) usleep(10000);
  }
  if (c->fd < 0) {
    fprintf(stderr, "bench: omsd did not start (see %s)\n", dir);
    exit(1);
  }
  c->seq = 1;
  fix_send(c, "A", "98=0|108=30|554=pw|");
  if (pump(c, 5000, NULL) == 0) {
    fprintf(stderr, "bench: no Logon answer (see %s)\n", dir);
    exit(1);
  }
  return c;
}

static void client_close(client_t *c) {
  fix_send(c, "5", "");
  pump(c, 2000, NULL);
  close(c->fd);
  free(c->sent_ns);
  free(c->answered);
  free(c);
}

static void bench_omsd(const char *omsd, const char *durability, int rounds, size_t n) {
  char port_s[16];
  int port = free_port();
  snprintf(port_s, sizeof port_s, "%d", port);
  const char *args[] = {"--port", port_s, "--durability", durability, NULL};
  char conf[8192];
  omsd_config(conf, sizeof conf);
  proc_t p;
  proc_start(&p, omsd, "omsd", conf, args);
  client_t *c = client_open(port, n, p.dir);
  char name[64];
  /* warm-up */
  run_steady(c, "warmup", 1, n < 1000 ? n : 1000, 90, false);
  const char *sfx = stream_url != NULL ? "_stream" : pg_conninfo != NULL ? "_pg" : "";
  snprintf(name, sizeof name, "fix_nos_to_er_10k_per_s_%s%s", durability, sfx);
  run_steady(c, name, rounds, n, 0, true);
  snprintf(name, sizeof name, "fix_nos_to_er_full_speed_%s%s", durability, sfx);
  run_full(c, name, rounds, n, 0, WINDOW);
  /* One in flight: the closed loop the ping-pong floor is. */
  snprintf(name, sizeof name, "fix_nos_to_er_closed_loop_1_%s%s", durability, sfx);
  run_full(c, name, rounds, n, 10, 1);
  client_close(c);
  proc_stop(&p);
}

/* One hop and two hops to the venue's first answer, in the same run. */
static void bench_hops(const char *omsd, const char *omsvenue, int rounds, size_t n) {
  skip_pending_new = true;
  char port_s[16];
  int port = free_port();
  snprintf(port_s, sizeof port_s, "%d", port);
  const char *args[] = {"--port", port_s, "--durability", "os", NULL};
  char conf[8192];
  omsd_config(conf, sizeof conf);
  proc_t p;
  proc_start(&p, omsd, "omsd", conf, args);
  client_t *c = client_open(port, n, p.dir);
  run_steady(c, "warmup", 1, n < 1000 ? n : 1000, 90, false);
  run_steady(c, "fix_hop1_nos_to_venue_answer_10k_per_s_os", rounds, n, 0, true);
  client_close(c);
  proc_stop(&p);

  int vport = free_port();
  snprintf(conf, sizeof conf, venue_config_fmt, vport);
  proc_t v;
  const char *vargs[] = {NULL};
  proc_start(&v, omsvenue, "omsvenue", conf, vargs);
  snprintf(conf, sizeof conf, twohop_config_fmt, vport);
  port = free_port();
  snprintf(port_s, sizeof port_s, "%d", port);
  proc_start(&p, omsd, "omsd", conf, args);
  c = client_open(port, n, p.dir);
  /* The venue session logs on in the background: probe until it answers. */
  bool up = false;
  for (int i = 0; i < 100 && !up; i++) {
    send_order(c, "probe", (size_t)i); /* a new ClOrdID each time */
    for (int k = 0; k < 10 && c->outstanding > 0; k++) pump(c, 10, on_er);
    /* answered, and not refused: the venue's market data (risk's reference
     * price) has arrived too */
    up = c->outstanding == 0 && last_exec_type != '8';
    c->outstanding = 0;
    if (!up) usleep(50000);
  }
  if (!up) {
    fprintf(stderr, "bench: the venue did not answer over FIX (see %s and %s)\n", p.dir, v.dir);
  } else {
    run_steady(c, "warmup", 1, n < 1000 ? n : 1000, 90, false);
    run_steady(c, "fix_hop2_nos_to_venue_answer_10k_per_s_os", rounds, n, 0, true);
  }
  client_close(c);
  proc_stop(&p);
  proc_stop(&v);
  skip_pending_new = false;
}

/* ---- The admin API under load (issue 12) ------------------------------------------------------
 */

#define ADMIN_TOKEN "ops-secret-change-me"
#define POLL_HZ 50
#define GET_ORDER_N 2000

/* config_text with an admin API on admin_port (omsd_config gives the level). */
static void admin_config(char *out, size_t cap, int admin_port) {
  omsd_config(out, cap);
  size_t k = strlen(out);
  snprintf(out + k, cap - k,
           "admin = { address = \"127.0.0.1\"; port = %d; max_connections = 32;\n"
           "  tokens = ( { name = \"ops\"; token = \"" ADMIN_TOKEN
           "\"; role = \"admin\"; } ); };\n",
           admin_port);
}

typedef struct load_s {
  int port;
  atomic_int stop;
  bool sse, poll; /* which clients run (OMS_BENCH_LOAD) */
  pthread_t sse_thread, poll_thread;
  uint64_t sse_bytes, sse_events; /* written by the SSE thread, read after the join */
  uint64_t polls, poll_failures, poll_bytes;
} load_t;

static CURL *admin_handle(int port, const char *path, struct curl_slist **hdrs) {
  char url[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  CURL *h = curl_easy_init();
  *hdrs = curl_slist_append(NULL, "Authorization: Bearer " ADMIN_TOKEN);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  return h;
}

static size_t sse_write(char *p, size_t size, size_t nmemb, void *ctx) {
  load_t *l = ctx;
  size_t n = size * nmemb;
  l->sse_bytes += n;
  for (size_t i = 0; i + 3 < n; i++)
    if (memcmp(p + i, "id: ", 4) == 0 && (i == 0 || p[i - 1] == '\n')) l->sse_events++;
  return n;
}

static int sse_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)a, (void)b, (void)c, (void)d;
  return atomic_load(&((load_t *)ctx)->stop); /* non-zero ends the transfer */
}

/* The load's clients stand for programs on other machines: on this
 * two-core VM they run at nice 19 (OMS_BENCH_LOAD_NICE), so what the
 * comparison measures is what omsd's HTTP and events threads cost the
 * trading path, not what the clients' own CPU takes from omsd. */
static void nice_load_thread(void) {
  const char *e = getenv("OMS_BENCH_LOAD_NICE");
  int nice = e != NULL ? atoi(e) : 19;
  if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) != 0) perror("bench: setpriority");
}

/* Holds a stream open and reads every event until stop. */
static void *sse_main(void *arg) {
  load_t *l = arg;
  nice_load_thread();
  struct curl_slist *hdrs;
  CURL *h = admin_handle(l->port, "/v1/events/stream", &hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sse_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, l);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, sse_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, l);
  while (!atomic_load(&l->stop)) {
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_ABORTED_BY_CALLBACK && !atomic_load(&l->stop)) {
      fprintf(stderr, "bench: the event stream ended: %s\n", curl_easy_strerror(rc));
      usleep(100000);
    }
  }
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  return NULL;
}

static size_t count_write(char *p, size_t size, size_t nmemb, void *ctx) {
  (void)p;
  *(uint64_t *)ctx += size * nmemb;
  return size * nmemb;
}

/* GET /v1/orders POLL_HZ times a second (absolute deadlines) until stop. */
static void *poll_main(void *arg) {
  load_t *l = arg;
  nice_load_thread();
  struct curl_slist *hdrs;
  const char *path = getenv("OMS_BENCH_POLL_PATH");
  CURL *h = admin_handle(l->port, path != NULL ? path : "/v1/orders", &hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &l->poll_bytes);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!atomic_load(&l->stop)) {
    long status = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200)
      l->poll_failures++;
    l->polls++;
    next.tv_nsec += 1000000000 / POLL_HZ;
    if (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  return NULL;
}

/* An experiment, not a setting (OMS_BENCH_RENICE_HTTP=N): omsd's HTTP
 * threads (named MHD-*) at nice N, to see whether what the admin load costs
 * the FIX path is CPU the core thread loses to them. */
static void renice_http(pid_t omsd) {
  const char *e = getenv("OMS_BENCH_RENICE_HTTP");
  if (e == NULL) return;
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%ld/task", (long)omsd);
  DIR *d = opendir(dir);
  int reniced = 0;
  for (struct dirent *t; d != NULL && (t = readdir(d)) != NULL;) {
    char path[sizeof dir + sizeof t->d_name + 8], comm[32] = "";
    snprintf(path, sizeof path, "%s/%s/comm", dir, t->d_name);
    FILE *f = fopen(path, "r");
    if (f == NULL) continue;
    if (fgets(comm, sizeof comm, f) != NULL && strncmp(comm, "MHD", 3) == 0 &&
        setpriority(PRIO_PROCESS, (id_t)atol(t->d_name), atoi(e)) == 0)
      reniced++;
    fclose(f);
  }
  if (d != NULL) closedir(d);
  fprintf(stderr, "bench: %d HTTP threads of omsd at nice %s\n", reniced, e);
}

static void load_start(load_t *l, int port) {
  memset(l, 0, sizeof *l);
  l->port = port;
  atomic_init(&l->stop, 0);
  const char *which = getenv("OMS_BENCH_LOAD");
  l->sse = which == NULL || strstr(which, "sse") != NULL;
  l->poll = which == NULL || strstr(which, "poll") != NULL;
  if (l->sse) pthread_create(&l->sse_thread, NULL, sse_main, l);
  if (l->poll) pthread_create(&l->poll_thread, NULL, poll_main, l);
  usleep(200000); /* both connected and in their stride */
}

static void load_stop(load_t *l, uint64_t *events, uint64_t *polls, uint64_t *failures,
                      uint64_t *poll_bytes) {
  atomic_store(&l->stop, 1);
  if (l->sse) pthread_join(l->sse_thread, NULL);
  if (l->poll) pthread_join(l->poll_thread, NULL);
  *events += l->sse_events;
  *polls += l->polls;
  *failures += l->poll_failures;
  *poll_bytes += l->poll_bytes;
}

/* GET /v1/orders/{id} on one keep-alive connection, ids 1..ids in turn. */
static void bench_get_order(int port, int rounds, uint64_t ids) {
  bench_t b;
  bench_init(&b, "admin_get_order", GET_ORDER_N);
  struct curl_slist *hdrs;
  CURL *h = admin_handle(port, "/", &hdrs);
  uint64_t bytes = 0;
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
  uint64_t failures = 0, id = 0, connections = 0;
  long last_port = -1;
  for (int r = 0; r < rounds; r++) {
    bench_round_begin(&b);
    for (size_t i = 0; i < GET_ORDER_N + 200; i++) {
      char url[128];
      id = id % ids + 1;
      snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/orders/%llu", port, (unsigned long long)id);
      curl_easy_setopt(h, CURLOPT_URL, url);
      long status = 0;
      uint64_t t0 = bench_now_ns();
      CURLcode rc = curl_easy_perform(h);
      uint64_t t = bench_now_ns() - t0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
      long local_port = -1; /* a new local port: a new connection */
      curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &local_port);
      if (local_port != last_port) connections++;
      last_port = local_port;
      if (rc != CURLE_OK || status != 200) {
        if (failures++ == 0)
          fprintf(stderr, "bench: GET /v1/orders/%llu: %s, HTTP %ld\n", (unsigned long long)id,
                  curl_easy_strerror(rc), status);
        continue;
      }
      if (i >= 200) bench_add(&b, t);
    }
    bench_round_end(&b, 0);
  }
  printf(
      "# admin_get_order: keep-alive (libcurl): %llu connection(s) for %llu requests, %llu "
      "bytes a response on average, %llu failed\n",
      (unsigned long long)connections, (unsigned long long)rounds * (GET_ORDER_N + 200),
      (unsigned long long)(bytes / ((uint64_t)rounds * (GET_ORDER_N + 200))),
      (unsigned long long)failures);
  bench_report(&b);
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
}

typedef struct text_s {
  char *p;
  size_t n;
} text_t;

static size_t text_write(char *p, size_t size, size_t nmemb, void *ctx) {
  text_t *t = ctx;
  size_t k = size * nmemb;
  char *q = realloc(t->p, t->n + k + 1);
  if (q == NULL) return 0;
  memcpy(q + t->n, p, k);
  t->n += k;
  q[t->n] = '\0';
  t->p = q;
  return k;
}

/* The store's commits so far from /metrics: their count and total seconds. */
static void commit_totals(int port, double *count, double *sum) {
  struct curl_slist *hdrs;
  CURL *h = admin_handle(port, "/metrics", &hdrs);
  text_t t = {0};
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, text_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  *count = *sum = 0;
  if (curl_easy_perform(h) == CURLE_OK && t.p != NULL) {
    const char *c = strstr(t.p, "\noms_store_commit_latency_seconds_count");
    const char *s = strstr(t.p, "\noms_store_commit_latency_seconds_sum");
    if (c != NULL && (c = strchr(c + 1, ' ')) != NULL) *count = atof(c);
    if (s != NULL && (s = strchr(s + 1, ' ')) != NULL) *sum = atof(s);
  }
  free(t.p);
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
}

static double ratio(uint64_t *a, uint64_t *b, int n) {
  uint64_t x = bench_median(a, n), y = bench_median(b, n);
  return y ? (double)x / (double)y : 0;
}

static void bench_admin(const char *omsd, int rounds, size_t n) {
  char port_s[16];
  int port = free_port(), admin_port = free_port();
  snprintf(port_s, sizeof port_s, "%d", port);
  char conf[8192];
  admin_config(conf, sizeof conf, admin_port);
  const char *args[] = {"--port", port_s, "--durability", "os", NULL};
  proc_t p;
  proc_start(&p, omsd, "omsd", conf, args);
  client_t *c = client_open(port, n, p.dir);
  run_steady(c, "warmup", 1, n < 1000 ? n : 1000, 90, false);
  bench_t base, loaded;
  bench_init(&base, "fix_roundtrip_10k", n);
  bench_init(&loaded, "fix_roundtrip_10k_admin_load", n);
  uint64_t events = 0, polls = 0, failures = 0, poll_bytes = 0;
  double commit_n[2] = {0, 0}, commit_s[2] = {0, 0}; /* the store's commits: without, with */
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < 2; k++) {
      bool with_load = (k + r) % 2 == 1; /* r even: base first; r odd: loaded first */
      char prefix[16];
      snprintf(prefix, sizeof prefix, "%c%d", with_load ? 'l' : 'b', r);
      load_t load;
      if (with_load) {
        load_start(&load, admin_port);
        renice_http(p.pid);
      }
      double c0, s0, c1, s1;
      commit_totals(admin_port, &c0, &s0);
      steady_round(c, with_load ? &loaded : &base, prefix, n);
      commit_totals(admin_port, &c1, &s1);
      commit_n[with_load] += c1 - c0;
      commit_s[with_load] += s1 - s0;
      if (with_load) load_stop(&load, &events, &polls, &failures, &poll_bytes);
    }
  }
  printf(
      "# admin load: %llu events read from the SSE stream, %llu GET /v1/orders (%llu failed, "
      "%llu bytes each on average) over %d rounds of %zu orders\n",
      (unsigned long long)events, (unsigned long long)polls, (unsigned long long)failures,
      (unsigned long long)(polls ? poll_bytes / polls : 0), rounds, n);
  const char *which = getenv("OMS_BENCH_LOAD");
  bool want_sse = which == NULL || strstr(which, "sse") != NULL;
  if ((want_sse && events == 0) || failures > 0)
    fprintf(stderr, "bench: the admin load did not work (see %s)\n", p.dir);
  printf(
      "# store commits (from /metrics): without load %.0f, mean %.1f us; with load %.0f, mean "
      "%.1f us\n",
      commit_n[0], commit_n[0] > 0 ? commit_s[0] / commit_n[0] * 1e6 : 0, commit_n[1],
      commit_n[1] > 0 ? commit_s[1] / commit_n[1] * 1e6 : 0);
  printf("# fix_roundtrip_10k_admin_load / fix_roundtrip_10k: p50 %.3f p99 %.3f p999 %.3f\n",
         ratio(loaded.p50, base.p50, rounds), ratio(loaded.p99, base.p99, rounds),
         ratio(loaded.p999, base.p999, rounds));
  bench_report(&base);
  bench_report(&loaded);
  bench_get_order(admin_port, rounds, 1000);
  client_close(c);
  proc_stop(&p);
}

/* A program next to this one's build: ../bin/NAME, or the path in env. */
static void find_prog(const char *name, const char *env_name, char *out, size_t cap) {
  const char *env = getenv(env_name);
  if (env != NULL) {
    snprintf(out, cap, "%s", env);
    return;
  }
  char exe[PATH_MAX - 32];
  ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (k <= 0) exit(1);
  exe[k] = '\0';
  char *slash = strrchr(exe, '/');
  *slash = '\0';
  snprintf(out, cap, "%s/../bin/%s", exe, name);
}

int main(void) {
  char omsd[PATH_MAX], omsvenue[PATH_MAX];
  find_prog("omsd", "OMSD", omsd, sizeof omsd);
  find_prog("omsvenue", "OMSVENUE", omsvenue, sizeof omsvenue);
  if (access(omsd, X_OK) != 0) {
    fprintf(stderr, "bench_fix_roundtrip: %s not found; build omsd first (or set OMSD)\n", omsd);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  realtime(true);
  int rounds = bench_rounds();
  const char *ne = getenv("OMS_BENCH_ORDERS");
  size_t n = ne ? (size_t)atol(ne) : 5000;
  if (n < 100) n = 100;
  const char *admin = getenv("OMS_BENCH_ADMIN");
  bool admin_only = admin != NULL && strcmp(admin, "only") == 0;
  bool no_admin = admin != NULL && strcmp(admin, "0") == 0;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  bench_ping_pong(rounds, 10000);
  if (admin_only) {
    bench_admin(omsd, rounds, n);
    curl_global_cleanup();
    return 0;
  }
  const char *modes = getenv("OMS_BENCH_MODES");
  if (getenv("OMS_BENCH_HOPS_ONLY") == NULL) {
    if (modes == NULL || strstr(modes, "os") != NULL) bench_omsd(omsd, "os", rounds, n);
    if (modes == NULL || strstr(modes, "fsync") != NULL) bench_omsd(omsd, "fsync", rounds, n);
    if (modes != NULL && strstr(modes, "os_stream") != NULL) {
      stream_url = getenv("OMS_BENCH_STREAM_URL");
      if (stream_url == NULL)
        fprintf(stderr, "bench_fix_roundtrip: os_stream needs OMS_BENCH_STREAM_URL\n");
      else
        bench_omsd(omsd, "os", rounds, n);
      stream_url = NULL;
    }
    if (modes != NULL && strstr(modes, "os_pg") != NULL) {
      pg_conninfo = getenv("OMS_BENCH_PG_CONNINFO");
      if (pg_conninfo == NULL)
        fprintf(stderr, "bench_fix_roundtrip: os_pg needs OMS_BENCH_PG_CONNINFO\n");
      else
        bench_omsd(omsd, "os", rounds, n);
      pg_conninfo = NULL;
    }
  }
  if (modes != NULL && strstr(modes, "hops") == NULL) {
    /* the one-hop lines only */
  } else if (access(omsvenue, X_OK) == 0)
    bench_hops(omsd, omsvenue, rounds, n);
  else
    fprintf(stderr, "bench_fix_roundtrip: %s not found: no hop lines\n", omsvenue);
  if (!no_admin && modes == NULL && getenv("OMS_BENCH_HOPS_ONLY") == NULL)
    bench_admin(omsd, rounds, n);
  curl_global_cleanup();
  return 0;
}
