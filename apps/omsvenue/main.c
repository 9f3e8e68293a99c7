/*
 * omsvenue - the simulated exchange as its own process: the matching venue
 * of src/venue behind a FIX 4.4 acceptor, for omsd's FIX venue connector (or
 * any FIX client) to trade against. docs/omsvenue.md describes it.
 *
 * This file is the command line, the poll loop and the network: a listener
 * on fix.address:fix.port and at most capacity.connections connections. A
 * new connection is bound to its session by its first message (a Logon's
 * SenderCompID/TargetCompID; a session already connected refuses a second);
 * from then on its bytes go to that session (venue.c). Output a socket can
 * not take at once waits in the connection's buffer (POLLOUT). The loop
 * wakes at least every millisecond to poll the matching venue and runs the
 * session timers every 200 ms. SIGTERM/SIGINT: Logout on every session, up
 * to 2 s for the answers, then the venue's last reports, and exit 0.
 *
 * Exit status: 0 after a clean stop, 1 when it could not start, 2 for a bad
 * command line or configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "omsvenue.h"

#define MS INT64_C(1000000)
#define TIMER_NS (200 * MS)
#define STOP_GRACE_NS (2000 * MS)

typedef struct vconn_s {
  int fd;
  int sess; /* -1 until its first message names it */
  bool closing;
  int64_t opened_ns;
  char *in;
  size_t nin;
  char *out;
  size_t nout, capout;
} vconn_t;

typedef struct net_s {
  vx_t *x;
  int lfd;
  vconn_t *conns;
  size_t ncap, inmax;
  int64_t logon_timeout_ns;
} net_t;

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static int flush_out(vconn_t *c) {
  while (c->nout > 0) {
    ssize_t n = send(c->fd, c->out, c->nout, MSG_NOSIGNAL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    memmove(c->out, c->out + n, c->nout - (size_t)n);
    c->nout -= (size_t)n;
  }
  return 0;
}

static int net_send(void *ctx, vconn_t *c, const char *data, size_t len) {
  (void)ctx;
  if (c->closing) return OMS_ECLOSED;
  if (c->nout == 0) {
    ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return OMS_EIO;
    if (n > 0) {
      data += n;
      len -= (size_t)n;
    }
  }
  if (len == 0) return 0;
  if (c->nout + len > c->capout) {
    size_t cap = c->capout ? c->capout : 65536;
    while (cap < c->nout + len) cap *= 2;
    char *p = realloc(c->out, cap);
    if (p == NULL) return OMS_ENOMEM;
    c->out = p;
    c->capout = cap;
  }
  memcpy(c->out + c->nout, data, len);
  c->nout += len;
  return 0;
}

static void net_close(void *ctx, vconn_t *c, const char *reason) {
  (void)ctx;
  if (!c->closing) LOG_INFO("msg=\"closing connection\" fd=%d reason=\"%s\"", c->fd, reason);
  c->closing = true;
}

/* Frees a connection slot; its session, if any, is told. */
static void drop(net_t *n, vconn_t *c) {
  (void)flush_out(c);
  close(c->fd);
  int s = c->sess;
  free(c->in);
  free(c->out);
  *c = (vconn_t){.fd = -1, .sess = -1};
  if (s >= 0) vx_disconnected(n->x, (size_t)s);
}

static void on_accept(net_t *n) {
  for (;;) {
    int fd = accept4(n->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    vconn_t *c = NULL;
    for (size_t i = 0; i < n->ncap && c == NULL; i++)
      if (n->conns[i].fd < 0) c = &n->conns[i];
    if (c == NULL || (c->in = malloc(n->inmax)) == NULL) {
      LOG_WARN("msg=\"connection refused: table full\"");
      close(fd);
      continue;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->sess = -1;
    c->opened_ns = app_now_ns();
  }
}

/* Binds c to the session its first message names. */
static int bind_session(net_t *n, vconn_t *c) {
  oms_fix_msg_t m;
  size_t used;
  int rc = oms_fix_parse(c->in, c->nin, NULL, &m, &used, NULL);
  if (rc == OMS_EAGAIN) return 0;
  oms_fix_str_t sender = {0}, target = {0};
  if (rc != 0 || !oms_fix_msg_is(&m, OMS_FIX_MSG_Logon) ||
      oms_fix_msg_get_str(&m, OMS_FIX_TAG_SenderCompID, &sender) != 0 ||
      oms_fix_msg_get_str(&m, OMS_FIX_TAG_TargetCompID, &target) != 0)
    return -1;
  int s = vx_find_session(n->x, sender, target);
  if (s < 0 || n->x->sess[s].conn != NULL) {
    LOG_WARN("msg=\"logon refused\" sender=%.*s target=%.*s why=\"%s\"", (int)sender.len,
             sender.ptr, (int)target.len, target.ptr,
             s < 0 ? "no such session" : "session already connected");
    return -1;
  }
  vsess_t *vs = &n->x->sess[s];
  vs->conn = c;
  c->sess = s;
  if (oms_fix_session_connect(vs->fs) != 0) return -1;
  LOG_INFO("msg=\"session connecting\" session=%s", vs->cfg->sender_comp_id);
  return 0;
}

static void on_readable(net_t *n, vconn_t *c) {
  ssize_t r = recv(c->fd, c->in + c->nin, n->inmax - c->nin, 0);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    c->closing = true;
    return;
  }
  if (r < 0) return;
  c->nin += (size_t)r;
  if (c->sess < 0 && bind_session(n, c) != 0) {
    c->closing = true;
    return;
  }
  if (c->sess < 0) return;
  size_t used = 0;
  (void)oms_fix_session_on_bytes(n->x->sess[c->sess].fs, c->in, c->nin, &used);
  if (c->fd < 0) return;
  memmove(c->in, c->in + used, c->nin - used);
  c->nin -= used;
  if (c->nin == n->inmax) c->closing = true; /* a message larger than the cap */
}

static int listen_on(net_t *n, const char *addr, int port) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) return -1;
  n->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (n->lfd < 0 || setsockopt(n->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(n->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(n->lfd, 64) != 0) {
    app_log_sys(OMS_LOG_ERROR, "bind", "object=listener", errno);
    return -1;
  }
  socklen_t sl = sizeof sa;
  getsockname(n->lfd, (struct sockaddr *)&sa, &sl);
  LOG_INFO("msg=listening address=%s port=%d", addr, ntohs(sa.sin_port));
  return 0;
}

static void run(net_t *n) {
  struct pollfd *pf = calloc(n->ncap + 1, sizeof *pf);
  int64_t next_timer = 0, stop_deadline = 0;
  if (pf == NULL) return;
  for (;;) {
    pf[0] = (struct pollfd){.fd = stop_deadline ? -1 : n->lfd, .events = POLLIN};
    for (size_t i = 0; i < n->ncap; i++) {
      vconn_t *c = &n->conns[i];
      pf[i + 1] = (struct pollfd){.fd = c->fd, .events = (short)(POLLIN | (c->nout ? POLLOUT : 0))};
    }
    int k = poll(pf, n->ncap + 1, 1);
    if (k > 0 && (pf[0].revents & POLLIN)) on_accept(n);
    for (size_t i = 0; k > 0 && i < n->ncap; i++) {
      vconn_t *c = &n->conns[i];
      if (c->fd < 0 || pf[i + 1].fd != c->fd) continue;
      if (pf[i + 1].revents & POLLOUT) (void)flush_out(c);
      if (pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) on_readable(n, c);
    }
    vx_poll(n->x);
    int64_t t = app_now_ns();
    if (t >= next_timer) {
      for (size_t i = 0; i < n->x->nsess; i++)
        if (n->x->sess[i].conn != NULL) (void)oms_fix_session_on_timer(n->x->sess[i].fs);
      for (size_t i = 0; i < n->ncap; i++) {
        vconn_t *c = &n->conns[i];
        if (c->fd >= 0 && c->sess < 0 && t - c->opened_ns > n->logon_timeout_ns) c->closing = true;
      }
      next_timer = t + TIMER_NS;
    }
    for (size_t i = 0; i < n->ncap; i++)
      if (n->conns[i].fd >= 0 && n->conns[i].closing) drop(n, &n->conns[i]);
    if (stop_signal && stop_deadline == 0) {
      LOG_INFO("msg=\"stopping\" signal=%d", (int)stop_signal);
      stop_deadline = t + STOP_GRACE_NS;
      for (size_t i = 0; i < n->x->nsess; i++)
        if (oms_fix_session_state(n->x->sess[i].fs) == OMS_FIX_SESSION_ACTIVE)
          (void)oms_fix_session_logout(n->x->sess[i].fs, "exchange closing");
    }
    if (stop_deadline) {
      bool any = false;
      for (size_t i = 0; i < n->ncap; i++) any |= n->conns[i].fd >= 0;
      if (!any || t >= stop_deadline) break;
    }
  }
  for (size_t i = 0; i < n->ncap; i++)
    if (n->conns[i].fd >= 0) drop(n, &n->conns[i]);
  free(pf);
}

static int serve(oms_config_t *cfg, int64_t session_end_ns) {
  app_log_level = cfg->log_level;
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  vx_t x = {0};
  net_t n = {.x = &x,
             .lfd = -1,
             .ncap = cfg->cap.connections,
             .inmax = 2 * cfg->cap.max_msg_bytes,
             .logon_timeout_ns = (int64_t)cfg->adm.logon_timeout_ms * MS};
  int status = 1;
  n.conns = calloc(n.ncap, sizeof *n.conns);
  if (n.conns != NULL && vx_open(&x, cfg, session_end_ns) == 0 &&
      listen_on(&n, cfg->fix_address, cfg->fix_port) == 0) {
    for (size_t i = 0; i < n.ncap; i++) n.conns[i] = (vconn_t){.fd = -1, .sess = -1};
    x.sess_send = net_send;
    x.sess_close = net_close;
    x.net = &n;
    run(&n);
    /* What the venue still had to say goes to the sessions' held lists;
     * its book is on file already. */
    vx_poll(&x);
    status = 0;
  }
  if (n.lfd >= 0) close(n.lfd);
  vx_close(&x);
  free(n.conns);
  LOG_INFO("msg=stopped status=%d", status);
  return status;
}

/* "HH:MM[:SS]" UTC to the next such time after now, in ns. */
static int parse_session_end(const char *s, int64_t *out) {
  int h, m, sec = 0, n;
  char tail;
  n = sscanf(s, "%d:%d:%d%c", &h, &m, &sec, &tail);
  if ((n != 2 && n != 3) || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return -1;
  int64_t now = app_now_ns(), day = INT64_C(86400) * 1000000000;
  int64_t t = now - now % day + ((int64_t)h * 3600 + m * 60 + sec) * 1000000000;
  *out = t > now ? t : t + day;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: omsvenue --config PATH [--port N] [--data-dir DIR] [--session-end HH:MM[:SS]]\n"
          "       omsvenue --version | --help\n\n"
          "The simulated exchange as a FIX 4.4 acceptor (docs/omsvenue.md), configured\n"
          "in PATH in omsd's format: fix, instruments, venues[0] (the matching engine),\n"
          "capacity, store.data_dir, logging.\n"
          "  --port N            listen on port N instead of fix.port (0: any free port)\n"
          "  --data-dir DIR      use DIR instead of store.data_dir\n"
          "  --session-end HH:MM[:SS]  DAY orders expire then (UTC), every day; default never\n");
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"port", required_argument, NULL, 'p'},
                                       {"data-dir", required_argument, NULL, 'd'},
                                       {"session-end", required_argument, NULL, 's'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *config = NULL, *port = NULL, *dir = NULL;
  int64_t session_end = 0;
  int o;
  while ((o = getopt_long(argc, argv, "c:p:d:s:Vh", opts, NULL)) != -1) {
    switch (o) {
      case 'c': config = optarg; break;
      case 'p': port = optarg; break;
      case 'd': dir = optarg; break;
      case 's':
        if (parse_session_end(optarg, &session_end) != 0) {
          fprintf(stderr, "omsvenue: --session-end: \"%s\" is not HH:MM[:SS]\n", optarg);
          return 2;
        }
        break;
      case 'V': printf("omsvenue %s\n", OMS_VERSION_STRING); return 0;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (config == NULL || optind != argc) {
    usage(stderr);
    return 2;
  }
  oms_config_t *cfg;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load(config, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "omsvenue: %s\n", err);
    return 2;
  }
  if (port != NULL) cfg->fix_port = atoi(port);
  if (dir != NULL) snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", dir);
  int status = serve(cfg, session_end);
  oms_config_destroy(cfg);
  return status;
}
