/*
 * omsd - the OMS daemon: the engine, the simulated venue, risk, the order
 * store and the FIX 4.4 order-entry gateway, on one epoll loop.
 *
 * HOW IT WORKS
 * One thread runs everything that decides (the deterministic core): the
 * engine, the gateway and the FIX sessions. The loop waits on
 *   - the TCP listener and the client connections (bytes go to the gateway),
 *   - the store's durable eventfd (an append became durable: poll the engine
 *     so the effects waiting for it go out at once),
 *   - a signalfd for SIGTERM/SIGINT,
 * with a 1 ms timeout so the engine is polled (venue reports, liquidity
 * provider) at least every millisecond; session timers run every 200 ms.
 * The store's writer thread is the only other thread.
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting, Logout every session and wait
 * up to 2 s for the answers, poll the engine until idle, flush the store
 * (5 s at most), then close. A lock (flock) on DATA_DIR/omsd.lock refuses a
 * second omsd on the same data directory. Logs are key=value lines on
 * stderr, with levels.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "oms/config.h"
#include "oms/gateway.h"
#include "oms/oms.h"

#define MS INT64_C(1000000)
#define MAX_CONNS 64
#define OUTBUF_CAP (8u << 20)
#define TAG_LISTEN UINT64_C(0xFFFFFFFF00000001)
#define TAG_SIGNAL UINT64_C(0xFFFFFFFF00000002)
#define TAG_STORE UINT64_C(0xFFFFFFFF00000003)

/* ---- Logging ------------------------------------------------------------------------ */

static oms_log_level_t log_level = OMS_LOG_INFO;

static void logf_(oms_log_level_t lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(oms_log_level_t lvl, const char *fmt, ...) {
  if (lvl < log_level) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char line[1024];
  int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ts.tv_nsec / 1000, oms_log_level_name(lvl));
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s\n", line);
}
#define LOG_DEBUG(...) logf_(OMS_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) logf_(OMS_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) logf_(OMS_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) logf_(OMS_LOG_ERROR, __VA_ARGS__)

/* ---- The daemon --------------------------------------------------------------------------- */

typedef struct conn_s {
  int fd; /* -1: free */
  uint64_t id;
  bool close_requested;
  char *out;
  size_t out_len;
  bool want_out;
} conn_t;

typedef struct omsd_s {
  oms_config_t *cfg;
  int lock_fd, listen_fd, epfd, sig_fd, store_fd;
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_engine_t *engine;
  oms_venue_t *venues[OMS_CFG_MAX_VENUES];
  oms_gateway_t *gw;
  conn_t conns[MAX_CONNS];
  uint64_t next_conn_id;
  bool stopping;
  int listen_port; /* the actual port (for port 0) */
} omsd_t;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static conn_t *conn_by_id(omsd_t *d, uint64_t id) {
  for (int i = 0; i < MAX_CONNS; i++)
    if (d->conns[i].fd >= 0 && d->conns[i].id == id) return &d->conns[i];
  return NULL;
}

static void conn_update_events(omsd_t *d, conn_t *c) {
  struct epoll_event ev = {.events = EPOLLIN | (c->out_len > 0 ? EPOLLOUT : 0u), .data.u64 = c->id};
  if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
    LOG_ERROR("msg=\"epoll_ctl(MOD) failed\" conn=%llu errno=%d err=\"%s\"",
              (unsigned long long)c->id, errno, strerror(errno));
  c->want_out = c->out_len > 0;
}

static void conn_free(omsd_t *d, conn_t *c, const char *why) {
  if (c->fd < 0) return;
  LOG_INFO("msg=\"connection closed\" conn=%llu reason=\"%s\"", (unsigned long long)c->id, why);
  epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  free(c->out);
  c->out = NULL;
  c->out_len = 0;
  oms_gateway_conn_closed(d->gw, c->id);
}

/* Writes what is queued; returns -1 when the connection failed. */
static int conn_flush(conn_t *c) {
  while (c->out_len > 0) {
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      return -1;
    }
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
  }
  return 0;
}

static int gw_send(void *ctx, uint64_t id, const char *data, size_t len) {
  omsd_t *d = ctx;
  conn_t *c = conn_by_id(d, id);
  if (c == NULL || c->close_requested) return OMS_ECLOSED;
  if (c->out_len == 0) {
    while (len > 0) {
      ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        LOG_WARN("msg=\"send failed\" conn=%llu errno=%d err=\"%s\"", (unsigned long long)id, errno,
                 strerror(errno));
        return OMS_EIO;
      }
      data += n;
      len -= (size_t)n;
    }
    if (len == 0) return 0;
  }
  if (c->out_len + len > OUTBUF_CAP) {
    LOG_WARN("msg=\"output buffer full, slow consumer\" conn=%llu", (unsigned long long)id);
    return OMS_EFULL;
  }
  if (c->out == NULL) {
    c->out = malloc(OUTBUF_CAP);
    if (c->out == NULL) return OMS_ENOMEM;
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += len;
  if (!c->want_out) conn_update_events(d, c);
  return 0;
}

static void gw_close(void *ctx, uint64_t id, const char *reason) {
  omsd_t *d = ctx;
  conn_t *c = conn_by_id(d, id);
  if (c == NULL) return;
  LOG_DEBUG("msg=\"close requested\" conn=%llu reason=\"%s\"", (unsigned long long)id, reason);
  c->close_requested = true;
}

static void gw_log(void *ctx, oms_fix_log_level_t level, const char *text) {
  (void)ctx;
  logf_((oms_log_level_t)level, "component=fix %s", text);
}

static void on_event(void *ctx, const oms_event_t *ev) {
  omsd_t *d = ctx;
  if (ev->type == OMS_EVT_ALARM)
    LOG_ERROR("msg=alarm kind=%s code=%d text=\"%s\"", oms_alarm_kind_name(ev->alarm),
              ev->alarm_code, ev->text);
  else if (log_level <= OMS_LOG_DEBUG)
    LOG_DEBUG("msg=event seq=%llu type=%s order=%llu clordid=%s state=%s",
              (unsigned long long)ev->seq, oms_event_type_name(ev->type),
              (unsigned long long)ev->order.order_id, ev->order.client_order_id,
              oms_ord_state_str(ev->order.state));
  if (d->gw != NULL) oms_gateway_on_event(d->gw, ev);
}

static void store_error(void *ctx, const oms_store_error_t *e) {
  (void)ctx;
  LOG_ERROR("component=store msg=\"store failure\" call=\"%s\" code=%d errno=%d detail=\"%s\"",
            e->call, e->code, e->sys_errno, e->message);
}

/* ---- Setup --------------------------------------------------------------------------------- */

static int mkdir_p(const char *path) {
  char tmp[OMS_CFG_PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
  return 0;
}

static int take_lock(omsd_t *d) {
  char path[OMS_CFG_PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/omsd.lock", d->cfg->data_dir);
  d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (d->lock_fd < 0) {
    LOG_ERROR("msg=\"cannot open lock file\" call=open path=%s errno=%d err=\"%s\"", path, errno,
              strerror(errno));
    return -1;
  }
  if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    LOG_ERROR("msg=\"another omsd is running on this data directory\" path=%s errno=%d err=\"%s\"",
              path, errno, strerror(errno));
    return -1;
  }
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(d->lock_fd, 0) != 0 || write(d->lock_fd, pid, (size_t)n) != n)
    LOG_WARN("msg=\"cannot write pid to lock file\" path=%s", path);
  return 0;
}

static int setup_core(omsd_t *d) {
  oms_config_t *c = d->cfg;
  oms_clock_t clock = oms_clock_realtime();
  int64_t t = now_ns();
  int rc;
  oms_store_config_t sc;
  oms_store_config_init(&sc, c->store_path);
  sc.durability = c->durability;
  sc.on_error = store_error;
  /* How long the store's writer spins for work before it sleeps (the store's
   * default unless OMSD_WRITER_SPIN_US is set; -1: never spin). */
  const char *spin = getenv("OMSD_WRITER_SPIN_US");
  if (spin != NULL) sc.writer_spin_ns = (int64_t)atol(spin) * 1000;
  sc.ctx = d;
  rc = oms_store_sqlite_open(&sc, &d->store);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot open the store\" path=%s error=%s", c->store_path, oms_err_name(rc));
    return -1;
  }
  oms_portfolio_config_t pc = {.max_accounts = OMS_CFG_MAX_ACCOUNTS + 8,
                               .max_symbols = OMS_CFG_MAX_INSTRUMENTS,
                               .max_positions = 4096};
  /* The throttle rings cost rate_ring * 16 bytes per account and strategy. */
  oms_risk_config_t rcfg = {.max_accounts = (uint32_t)c->naccounts + 4,
                            .max_strategies = (uint32_t)(c->nstrategies + c->nsessions) + 4,
                            .max_symbols = OMS_CFG_MAX_INSTRUMENTS,
                            .max_positions = 4096,
                            .max_open_orders = 200000,
                            .rate_ring = 1u << 15};
  if ((rc = oms_portfolio_create(&pc, &d->pf)) != 0 ||
      (rc = oms_risk_create(&rcfg, &d->risk)) != 0) {
    LOG_ERROR("msg=\"cannot create portfolio/risk\" error=%s", oms_err_name(rc));
    return -1;
  }
  for (size_t i = 0; i < c->ninstruments; i++)
    oms_portfolio_set_instrument(d->pf, c->instruments[i].ins.symbol,
                                 c->instruments[i].ins.multiplier, OMS_DEC_ZERO);
  for (size_t i = 0; i < c->naccounts; i++)
    oms_portfolio_set_cash(d->pf, c->accounts[i].id, c->accounts[i].cash, t);
  oms_engine_config_t ec = {.clock = clock,
                            .max_orders = 1u << 18,
                            .outbox_capacity = 1u << 16,
                            .store = d->store,
                            .risk = d->risk,
                            .portfolio = d->pf,
                            .on_event = on_event,
                            .event_ctx = d};
  if ((rc = oms_engine_create(&ec, &d->engine)) != 0) {
    LOG_ERROR("msg=\"cannot create the engine\" error=%s", oms_err_name(rc));
    return -1;
  }
  oms_risk_limits_t *limits = oms_config_take_risk_limits(c);
  oms_reject_t err;
  if (oms_risk_set_limits(d->risk, limits, &err) != 0) {
    LOG_ERROR("msg=\"risk limits refused\" detail=\"%s\"", err.text);
    oms_risk_limits_destroy(limits);
    return -1;
  }
  for (size_t v = 0; v < c->nvenues; v++) {
    oms_sim_symbol_t syms[OMS_CFG_MAX_INSTRUMENTS];
    size_t n = 0;
    for (size_t i = 0; i < c->ninstruments; i++) {
      if (strcmp(c->instruments[i].ins.venue, c->venues[v].name) != 0) continue;
      memset(&syms[n], 0, sizeof syms[n]);
      syms[n].ins = c->instruments[i].ins;
      syms[n].lp = c->instruments[i].lp;
      n++;
      oms_engine_add_instrument(d->engine, &c->instruments[i].ins, NULL);
      if (c->instruments[i].lp.enabled) {
        oms_risk_set_reference_price(d->risk, c->instruments[i].ins.symbol,
                                     c->instruments[i].lp.ref_px, t);
        oms_portfolio_set_mark(d->pf, c->instruments[i].ins.symbol, c->instruments[i].lp.ref_px, t);
      }
    }
    oms_sim_config_t simc = {.name = c->venues[v].name,
                             .clock = clock,
                             .max_orders = 1u << 18,
                             .report_capacity = 1u << 16,
                             .ack_latency_ns = c->venues[v].ack_latency_ns,
                             .fill_latency_ns = c->venues[v].fill_latency_ns,
                             .maker_fee_rate = c->venues[v].maker_fee_rate,
                             .taker_fee_rate = c->venues[v].taker_fee_rate,
                             .seed = c->venues[v].seed,
                             .symbols = syms,
                             .nsymbols = n};
    if ((rc = oms_sim_venue_create(&simc, &d->venues[v])) != 0) {
      LOG_ERROR("msg=\"cannot create venue\" venue=%s error=%s", c->venues[v].name,
                oms_err_name(rc));
      return -1;
    }
    oms_venue_t *ven = d->venues[v];
    if ((rc = oms_engine_add_venue(d->engine, ven, &c->venues[v].route)) != 0) {
      d->venues[v] = NULL;
      LOG_ERROR("msg=\"cannot add venue\" venue=%s error=%s", c->venues[v].name, oms_err_name(rc));
      return -1;
    }
  }
  uint32_t loaded = 0;
  rc = oms_engine_recover(d->engine, &loaded);
  if (rc != 0) {
    LOG_ERROR("msg=\"recovery failed\" error=%s", oms_err_name(rc));
    return -1;
  }
  oms_engine_stats_t st;
  oms_engine_stats(d->engine, &st);
  LOG_INFO("msg=recovered open_orders=%u next_order_id=%llu next_event_seq=%llu", loaded,
           (unsigned long long)st.next_order_id, (unsigned long long)st.next_event_seq);

  oms_gateway_config_t gc = {.engine = d->engine,
                             .store = d->store,
                             .clock = clock,
                             .default_venue = c->venues[0].name,
                             .max_conns = MAX_CONNS,
                             .io = {.send = gw_send, .close = gw_close, .log = gw_log, .ctx = d}};
  if ((rc = oms_gateway_create(&gc, &d->gw)) != 0) {
    LOG_ERROR("msg=\"cannot create the gateway\" error=%s", oms_err_name(rc));
    return -1;
  }
  for (size_t i = 0; i < c->nsessions; i++) {
    const oms_cfg_session_t *s = &c->sessions[i];
    oms_gateway_session_config_t gs = {.client_comp_id = s->sender_comp_id,
                                       .our_comp_id = s->target_comp_id,
                                       .password = s->password,
                                       .account = s->account,
                                       .max_heartbeat_s = s->heartbeat_s,
                                       .cancel_on_disconnect = s->cancel_on_disconnect};
    if ((rc = oms_gateway_add_session(d->gw, &gs)) != 0) {
      LOG_ERROR("msg=\"cannot add session\" session=%s error=%s", s->sender_comp_id,
                oms_err_name(rc));
      return -1;
    }
  }
  return 0;
}

static int setup_net(omsd_t *d) {
  d->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (d->epfd < 0) {
    LOG_ERROR("msg=\"epoll_create1 failed\" errno=%d err=\"%s\"", errno, strerror(errno));
    return -1;
  }
  d->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(d->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)d->cfg->fix_port)};
  if (inet_pton(AF_INET, d->cfg->fix_address, &sa.sin_addr) != 1) {
    LOG_ERROR("msg=\"bad listen address\" address=%s", d->cfg->fix_address);
    return -1;
  }
  if (bind(d->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(d->listen_fd, 64) != 0) {
    LOG_ERROR("msg=\"cannot listen\" call=bind/listen address=%s port=%d errno=%d err=\"%s\"",
              d->cfg->fix_address, d->cfg->fix_port, errno, strerror(errno));
    return -1;
  }
  socklen_t sl = sizeof sa;
  getsockname(d->listen_fd, (struct sockaddr *)&sa, &sl);
  d->listen_port = ntohs(sa.sin_port);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};
  epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->listen_fd, &ev);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  d->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = TAG_SIGNAL};
  epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sig_fd, &ev);

  d->store_fd = oms_store_durable_fd(d->store);
  if (d->store_fd >= 0) {
    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = TAG_STORE};
    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->store_fd, &ev);
  }
  LOG_INFO("msg=listening address=%s port=%d sessions=%zu", d->cfg->fix_address, d->listen_port,
           d->cfg->nsessions);
  return 0;
}

static void accept_all(omsd_t *d) {
  for (;;) {
    int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        LOG_WARN("msg=\"accept failed\" errno=%d err=\"%s\"", errno, strerror(errno));
      return;
    }
    conn_t *c = NULL;
    for (int i = 0; i < MAX_CONNS && c == NULL; i++)
      if (d->conns[i].fd < 0) c = &d->conns[i];
    if (c == NULL) {
      LOG_WARN("msg=\"too many connections, refused\"");
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->id = ++d->next_conn_id;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = c->id};
    epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
    if (oms_gateway_conn_open(d->gw, c->id) != 0) {
      c->fd = -1;
      epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
      close(fd);
      continue;
    }
    LOG_INFO("msg=\"connection accepted\" conn=%llu", (unsigned long long)c->id);
  }
}

static void conn_readable(omsd_t *d, conn_t *c) {
  char buf[65536];
  for (;;) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n > 0) {
      oms_gateway_conn_data(d->gw, c->id, buf, (size_t)n);
      if (c->close_requested) break;
      if ((size_t)n < sizeof buf) return;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    conn_free(d, c, n == 0 ? "peer closed" : strerror(errno));
    return;
  }
}

/* Closes connections the gateway asked to close, after flushing them. */
static void reap(omsd_t *d) {
  for (int i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &d->conns[i];
    if (c->fd >= 0 && c->close_requested) {
      (void)conn_flush(c);
      conn_free(d, c, "closed by the gateway");
    }
  }
}

/* Polls the engine until it is idle (at most 64 times); returns the work done. */
static int poll_engine(omsd_t *d) {
  int total = 0;
  for (int i = 0; i < 64; i++) {
    int k = oms_engine_poll(d->engine);
    if (k <= 0) break;
    total += k;
  }
  return total;
}

static void run(omsd_t *d) {
  int64_t next_timer = 0, next_ref = 0, stop_deadline = 0, last_activity = 0;
  const char *spin_env = getenv("OMSD_SPIN_US");
  const int64_t spin_ns = spin_env != NULL ? (int64_t)atol(spin_env) * 1000 : 0;
  struct epoll_event evs[64];
  for (;;) {
    /* Spin (timeout 0) for a short while after activity: a sleeping core
     * thread costs a cross-core wake-up on every durable notification. */
    int64_t t_wait = now_ns();
    int n = epoll_wait(d->epfd, evs, 64, t_wait - last_activity < spin_ns ? 0 : 1);
    for (int i = 0; i < n; i++) {
      uint64_t tag = evs[i].data.u64;
      if (tag == TAG_LISTEN) {
        accept_all(d);
      } else if (tag == TAG_SIGNAL) {
        struct signalfd_siginfo si;
        while (read(d->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
          if (d->stopping) continue;
          LOG_INFO("msg=\"shutting down\" signal=%u", si.ssi_signo);
          d->stopping = true;
          epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
          close(d->listen_fd);
          d->listen_fd = -1;
          int k = oms_gateway_logout_all(d->gw, "omsd shutting down");
          LOG_INFO("msg=\"logout sent\" sessions=%d", k);
          stop_deadline = now_ns() + 2000 * MS;
        }
      } else if (tag == TAG_STORE) {
        uint64_t v;
        while (read(d->store_fd, &v, sizeof v) == (ssize_t)sizeof v) {
        }
      } else {
        conn_t *c = conn_by_id(d, tag);
        if (c == NULL) continue;
        if (evs[i].events & EPOLLOUT) {
          if (conn_flush(c) != 0) {
            conn_free(d, c, "write failed");
            continue;
          }
          if (c->out_len == 0) conn_update_events(d, c);
        }
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_readable(d, c);
      }
    }
    int worked = poll_engine(d);
    reap(d);
    int64_t t = now_ns();
    if (n > 0 || worked > 0) last_activity = t;
    if (t >= next_timer) {
      oms_gateway_on_timer(d->gw);
      reap(d);
      next_timer = t + 200 * MS;
    }
    if (t >= next_ref) {
      /* The liquidity providers' prices are the risk reference and the marks. */
      for (size_t i = 0; i < d->cfg->ninstruments; i++) {
        const oms_instrument_t *ins = &d->cfg->instruments[i].ins;
        for (size_t v = 0; v < d->cfg->nvenues; v++) {
          if (d->venues[v] == NULL || strcmp(d->cfg->venues[v].name, ins->venue) != 0) continue;
          oms_dec_t px = oms_sim_venue_lp_ref(d->venues[v], ins->symbol);
          if (oms_dec_is_pos(px)) {
            oms_risk_set_reference_price(d->risk, ins->symbol, px, t);
            oms_portfolio_set_mark(d->pf, ins->symbol, px, t);
          }
        }
      }
      next_ref = t + 1000 * MS;
    }
    if (d->stopping && (oms_gateway_sessions_connected(d->gw) == 0 || t >= stop_deadline)) break;
  }
}

static void teardown(omsd_t *d) {
  for (int i = 0; i < MAX_CONNS; i++) {
    if (d->conns[i].fd >= 0) {
      (void)conn_flush(&d->conns[i]);
      conn_free(d, &d->conns[i], "shutdown");
    }
  }
  if (d->engine != NULL) poll_engine(d);
  if (d->store != NULL) {
    int rc = oms_store_flush(d->store, 5000 * MS);
    if (rc != 0)
      LOG_ERROR("msg=\"store flush failed\" error=%s", oms_err_name(rc));
    else
      LOG_INFO("msg=\"store flushed\"");
  }
  oms_gateway_destroy(d->gw);
  oms_engine_destroy(d->engine);
  oms_risk_destroy(d->risk);
  oms_portfolio_destroy(d->pf);
  oms_store_close(d->store);
  if (d->listen_fd >= 0) close(d->listen_fd);
  if (d->sig_fd >= 0) close(d->sig_fd);
  if (d->epfd >= 0) close(d->epfd);
  if (d->lock_fd >= 0) close(d->lock_fd);
  oms_config_destroy(d->cfg);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: omsd --config PATH [--check-config] [--port N] [--data-dir DIR]\n"
          "            [--durability fsync|os] [--log-level LEVEL]\n"
          "       omsd --version | --help\n\n"
          "The OMS daemon: FIX 4.4 order entry, the engine, risk, the simulated venue and\n"
          "the order store, as configured in PATH (see docs/config.md).\n"
          "  --check-config      load and check the configuration, print \"ok\" or the error\n"
          "  --port N            listen on port N instead of fix.port (0: any free port)\n"
          "  --data-dir DIR      use DIR instead of store.data_dir\n"
          "  --durability MODE   override store.durability\n"
          "  --log-level LEVEL   override logging.level (debug, info, warn, error)\n");
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"check-config", no_argument, NULL, 'k'},
                                       {"port", required_argument, NULL, 'p'},
                                       {"data-dir", required_argument, NULL, 'd'},
                                       {"durability", required_argument, NULL, 'u'},
                                       {"log-level", required_argument, NULL, 'l'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *config = NULL, *port = NULL, *data_dir = NULL, *durability = NULL, *level = NULL;
  bool check = false;
  int o;
  while ((o = getopt_long(argc, argv, "c:kp:d:u:l:Vh", opts, NULL)) != -1) {
    switch (o) {
      case 'c': config = optarg; break;
      case 'k': check = true; break;
      case 'p': port = optarg; break;
      case 'd': data_dir = optarg; break;
      case 'u': durability = optarg; break;
      case 'l': level = optarg; break;
      case 'V': printf("omsd %s\n", OMS_VERSION_STRING); return 0;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (config == NULL || optind != argc) {
    usage(stderr);
    return 2;
  }
  omsd_t d;
  memset(&d, 0, sizeof d);
  d.lock_fd = d.listen_fd = d.epfd = d.sig_fd = d.store_fd = -1;
  for (int i = 0; i < MAX_CONNS; i++) d.conns[i].fd = -1;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load(config, &d.cfg, err, sizeof err) != 0) {
    fprintf(stderr, "omsd: %s\n", err);
    return 2;
  }
  if (port != NULL) {
    char *end;
    long p = strtol(port, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535) {
      fprintf(stderr, "omsd: --port: \"%s\" is not a port number\n", port);
      oms_config_destroy(d.cfg);
      return 2;
    }
    d.cfg->fix_port = (int)p;
  }
  if (data_dir != NULL) {
    const char *file = strrchr(d.cfg->store_path, '/');
    snprintf(d.cfg->data_dir, sizeof d.cfg->data_dir, "%s", data_dir);
    char path[OMS_CFG_PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s", data_dir, file != NULL ? file : "/oms.db");
    if (strlen(path) >= sizeof d.cfg->store_path) {
      fprintf(stderr, "omsd: --data-dir: path too long\n");
      oms_config_destroy(d.cfg);
      return 2;
    }
    memcpy(d.cfg->store_path, path, strlen(path) + 1);
  }
  if (durability != NULL) {
    if (strcmp(durability, "fsync") == 0)
      d.cfg->durability = OMS_DURABILITY_FSYNC;
    else if (strcmp(durability, "os") == 0)
      d.cfg->durability = OMS_DURABILITY_OS;
    else {
      fprintf(stderr, "omsd: --durability: \"%s\" is not fsync or os\n", durability);
      oms_config_destroy(d.cfg);
      return 2;
    }
  }
  if (level != NULL) {
    bool ok = false;
    for (int i = OMS_LOG_DEBUG; i <= OMS_LOG_ERROR; i++)
      if (strcmp(level, oms_log_level_name((oms_log_level_t)i)) == 0) {
        d.cfg->log_level = (oms_log_level_t)i;
        ok = true;
      }
    if (!ok) {
      fprintf(stderr, "omsd: --log-level: \"%s\" is not debug, info, warn or error\n", level);
      oms_config_destroy(d.cfg);
      return 2;
    }
  }
  if (check) {
    printf("%s: ok\n", config);
    oms_config_destroy(d.cfg);
    return 0;
  }
  log_level = d.cfg->log_level;
  /* Blocked before any thread starts (the store's writer), so that only the
   * loop's signalfd ever sees them. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  LOG_INFO("msg=starting version=%s config=%s data_dir=%s durability=%s", OMS_VERSION_STRING,
           config, d.cfg->data_dir, d.cfg->durability == OMS_DURABILITY_FSYNC ? "fsync" : "os");
  int status = 1;
  if (mkdir_p(d.cfg->data_dir) != 0) {
    LOG_ERROR("msg=\"cannot create data directory\" call=mkdir path=%s errno=%d err=\"%s\"",
              d.cfg->data_dir, errno, strerror(errno));
  } else if (take_lock(&d) == 0 && setup_core(&d) == 0 && setup_net(&d) == 0) {
    run(&d);
    status = 0;
  }
  teardown(&d);
  LOG_INFO("msg=stopped status=%d", status);
  return status;
}
