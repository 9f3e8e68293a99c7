/*
 * loop.c - the daemon's one epoll loop and its lifecycle.
 *
 * HOW IT WORKS
 * Everything with a file descriptor is a watcher (omsd_watch_t): epoll's
 * data points at it and the loop calls its callback with the events. The
 * watchers today:
 *   - the FIX listener and every client connection (net.c),
 *   - the store's durable eventfd: an append became durable, so the loop
 *     wakes and polls the engine, and the effects waiting for it go out
 *     (not with the journal in os mode: durable inside the append, on this
 *     thread, so the effects leave in the same turn),
 *   - a signalfd for SIGTERM/SIGINT (graceful stop),
 *   - the admin API's command eventfd (admin.c): its HTTP threads queue
 *     commands, which run here between engine polls (at most 32 a turn),
 *     so they may call the engine directly.
 * The admin API starts after the FIX listener and stops first (before the
 * connections close and the components are freed): no HTTP thread is left
 * to queue a command, and the queued ones are failed.
 *
 * Each turn: wait (1 ms at most, so the engine is polled for venue reports
 * and liquidity providers at least every millisecond), dispatch the events,
 * poll the engine until idle, write the FIX messages that became durable
 * (oms_gateway_pump: no byte of a session leaves before it is stored),
 * close the connections the gateway gave up, every 200 ms run the FIX
 * session timers and the connection timers (logon timeout, linger) and
 * log each venue's reconciliation (watch_venues), and last write what the
 * turn queued for each connection, one send each (omsd_net_flush).
 *
 * Stop: the first SIGTERM/SIGINT closes the listener and sends Logout on
 * every session; the loop ends when no session is connected and the
 * cancels of cancel-on-disconnect are settled (no order pending cancel,
 * nothing in the engine's outbox), or after 2 s. Then the connections are
 * flushed and closed, and the engine is polled until the venues have
 * answered everything sent to them and the answers are stored
 * (store.stop_wait_ms at most: drain_venues), so a stop leaves no order
 * pending on its own account and the final Cancelled reports are events,
 * stored for resend; then the gateway's outboxes are flushed and the store
 * is flushed (omsd_unwire).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "oms/lease.h"
#include "omsd.h"

#define MAX_EVENTS 64
#define RECON_SLOW_NS (10000 * OMSD_MS) /* a reconciliation this long is told */
#define TIMER_NS (200 * OMSD_MS)
#define STOP_GRACE_NS (2000 * OMSD_MS)

int omsd_watch_add(omsd_t *d, omsd_watch_t *w, int fd, uint32_t events, omsd_io_cb cb, void *ctx) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    char obj[32];
    snprintf(obj, sizeof obj, "fd=%d", fd);
    omsd_log_sys(OMS_LOG_ERROR, "epoll_ctl(ADD)", obj, errno);
    return -1;
  }
  *w = (omsd_watch_t){.fd = fd, .events = events, .cb = cb, .ctx = ctx};
  return 0;
}

int omsd_watch_mod(omsd_t *d, omsd_watch_t *w, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = w};
  if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0) {
    char obj[32];
    snprintf(obj, sizeof obj, "fd=%d", w->fd);
    omsd_log_sys(OMS_LOG_ERROR, "epoll_ctl(MOD)", obj, errno);
    return -1;
  }
  w->events = events;
  return 0;
}

void omsd_watch_del(omsd_t *d, omsd_watch_t *w) {
  if (w->fd < 0) return;
  if (epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->fd, NULL) != 0) {
    char obj[32];
    snprintf(obj, sizeof obj, "fd=%d", w->fd);
    omsd_log_sys(OMS_LOG_WARN, "epoll_ctl(DEL)", obj, errno);
  }
  w->fd = -1;
}

int omsd_poll_engine(omsd_t *d) {
  int total = 0;
  for (int i = 0; i < 64; i++) {
    int k = oms_engine_poll(d->engine);
    if (k <= 0) break;
    total += k;
  }
  return total;
}

static void begin_stop(omsd_t *d, unsigned signo) {
  LOG_INFO("msg=\"shutting down\" signal=%u", signo);
  d->stopping = true;
  omsd_net_stop_accepting(d);
  int k = oms_gateway_logout_all(d->gw, "omsd shutting down");
  LOG_INFO("msg=\"logout sent\" sessions=%d", k);
  d->stop_deadline = omsd_now_ns() + STOP_GRACE_NS;
}

static void on_signal(omsd_t *d, void *ctx, uint32_t events) {
  (void)ctx;
  (void)events;
  struct signalfd_siginfo si;
  for (;;) {
    ssize_t n = read(d->sig_w.fd, &si, sizeof si);
    if (n == (ssize_t)sizeof si) {
      if (!d->stopping) begin_stop(d, si.ssi_signo);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) omsd_log_sys(OMS_LOG_ERROR, "read", "object=signalfd", errno);
    return;
  }
}

/* The durable eventfd only wakes the loop; the engine poll that follows
 * every turn does the work. */
static void on_store(omsd_t *d, void *ctx, uint32_t events) {
  (void)ctx;
  (void)events;
  uint64_t v;
  for (;;) {
    ssize_t n = read(d->store_w.fd, &v, sizeof v);
    if (n == (ssize_t)sizeof v) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN)
      omsd_log_sys(OMS_LOG_ERROR, "read", "object=store_eventfd", errno);
    return;
  }
}

static int loop_open(omsd_t *d) {
  d->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (d->epfd < 0) {
    omsd_log_sys(OMS_LOG_ERROR, "epoll_create1", "object=loop", errno);
    return -1;
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    omsd_log_sys(OMS_LOG_ERROR, "signalfd", "object=SIGTERM,SIGINT", errno);
    return -1;
  }
  if (omsd_watch_add(d, &d->sig_w, fd, EPOLLIN, on_signal, NULL) != 0) {
    close(fd);
    return -1;
  }
  /* The journal in os mode is durable inside the append, on this thread
   * (its eventfd is written all the same): the wake-up would only cost a
   * turn of the loop and two reads per append. An append from another
   * thread (a bus sink's cursor) is seen at the next turn, 1 ms at most. */
  if (d->cfg->store_engine == OMS_CFG_STORE_JOURNAL && d->cfg->durability == OMS_DURABILITY_OS)
    return 0;
  fd = oms_store_durable_fd(d->store);
  if (fd >= 0 && omsd_watch_add(d, &d->store_w, fd, EPOLLIN, on_store, NULL) != 0) return -1;
  return 0;
}

static void loop_close(omsd_t *d) {
  int fd = d->sig_w.fd;
  if (fd >= 0) {
    omsd_watch_del(d, &d->sig_w);
    if (close(fd) != 0) omsd_log_sys(OMS_LOG_WARN, "close", "object=signalfd", errno);
  }
  omsd_watch_del(d, &d->store_w); /* the store owns its eventfd */
  if (d->epfd >= 0 && close(d->epfd) != 0)
    omsd_log_sys(OMS_LOG_WARN, "close", "object=epoll", errno);
  d->epfd = -1;
}

static int count_order(void *ctx, const oms_order_t *o) {
  (void)o;
  ++*(uint32_t *)ctx;
  return 0;
}

/* No cancel in flight and nothing waiting for the store: the reports of
 * cancel-on-disconnect have been stored. A scan of the orders in memory,
 * run only while stopping. */
static bool settled(omsd_t *d) {
  oms_engine_stats_t st;
  oms_engine_stats(d->engine, &st);
  if (st.outbox_depth > 0) return false;
  uint32_t n = 0;
  oms_order_filter_t f = {.states = 1u << OMS_STATE_PENDING_CANCEL};
  (void)oms_engine_orders(d->engine, &f, count_order, &n);
  return n == 0;
}

/* What the engine still waits for from its venues: requests in flight or
 * queued at the router, reports held for the store, effects waiting to be
 * durable. */
static uint32_t venue_pending(omsd_t *d) {
  oms_engine_stats_t st;
  oms_engine_stats(d->engine, &st);
  uint32_t n = st.outbox_depth + st.held_reports;
  oms_router_t *r = oms_engine_router(d->engine);
  for (size_t i = 0; i < d->cfg->nvenues; i++) {
    oms_route_stats_t rs;
    if (oms_router_stats(r, d->cfg->venues[i].name, &rs) == 0) n += rs.inflight + rs.queue_depth;
  }
  return n;
}

/* The last part of a graceful stop: the loop goes on (store wake-ups
 * included) until nothing sent to a venue is unanswered or unstored, or the
 * configured wait is over. What is left then is settled at the next start by
 * a status query per order. */
static void drain_venues(omsd_t *d) {
  int64_t t0 = omsd_now_ns(), deadline = t0 + d->cfg->stop_wait_ns;
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    omsd_poll_engine(d);
    uint32_t left = venue_pending(d);
    int64_t t = omsd_now_ns();
    if (left == 0 || t >= deadline) {
      if (left == 0)
        LOG_INFO("msg=\"venues answered\" wait_ms=%lld", (long long)((t - t0) / OMSD_MS));
      else
        LOG_WARN("msg=\"stop wait over with venue answers missing\" pending=%u", left);
      return;
    }
    int n = epoll_wait(d->epfd, evs, MAX_EVENTS, 1);
    for (int i = 0; i < n; i++) {
      omsd_watch_t *w = evs[i].data.ptr;
      if (w->fd >= 0) w->cb(d, w->ctx, evs[i].events);
    }
  }
}

/* Logs each venue's reconciliation (docs/reconciliation.md): once per
 * connection when it is done, when it is seen waiting, and once more when it
 * has waited RECON_SLOW_NS. While a venue reconciles its new orders wait,
 * which an operator must be able to read in the log, not only in GET
 * /readyz. Looked at on the 200 ms timer: the times are that coarse. */
static void watch_venues(omsd_t *d, int64_t now) {
  oms_router_t *rt = oms_engine_router(d->engine);
  for (size_t i = 0; i < d->cfg->nvenues && i < OMS_CFG_MAX_VENUES; i++) {
    const char *name = d->cfg->venues[i].name;
    omsd_recon_t *w = &d->recon[i];
    oms_route_stats_t st;
    if (oms_router_stats(rt, name, &st) != 0 || !st.connected) {
      memset(w, 0, sizeof *w); /* the next connection reconciles again */
      continue;
    }
    if (oms_engine_venue_reconciled(d->engine, name)) {
      if (!w->told_done)
        LOG_INFO("msg=\"venue reconciled: new orders go\" venue=%s waited_ms=%lld", name,
                 (long long)(w->since_ns ? (now - w->since_ns) / OMSD_MS : 0));
      w->told_done = true;
      w->since_ns = 0;
      w->told_slow = false;
    } else if (w->since_ns == 0) {
      LOG_INFO("msg=\"venue reconciling: new orders wait for its word on the open ones\" venue=%s",
               name);
      w->since_ns = now;
      w->told_done = false;
    } else if (!w->told_slow && now - w->since_ns >= RECON_SLOW_NS) {
      LOG_WARN(
          "msg=\"venue not reconciled yet: new orders still wait\" venue=%s waited_ms=%lld "
          "queued=%u inflight=%u",
          name, (long long)((now - w->since_ns) / OMSD_MS), st.queue_depth, st.inflight);
      w->told_slow = true;
    }
  }
}

static void run(omsd_t *d) {
  int64_t next_timer = 0, last_activity = 0;
  /* omsd.core_thread.spin_us: poll (timeout 0) this long after the last work
   * before sleeping. A sleeping thread is woken by the next packet through the
   * scheduler and, on a virtual machine, through the hypervisor (an idle vCPU
   * halts); a spinning one is already running. Off by default: it costs a
   * CPU while it spins (docs/omsd.md). */
  const int64_t spin_ns = (int64_t)d->cfg->core_thread.spin_us * 1000;
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(d->epfd, evs, MAX_EVENTS, omsd_now_ns() - last_activity < spin_ns ? 0 : 1);
    if (n < 0) {
      if (errno != EINTR) omsd_log_sys(OMS_LOG_ERROR, "epoll_wait", "object=loop", errno);
      n = 0;
    }
    /* Asked before anything of the turn: a process paused past its
     * lease's deadline finds out here, before it routes or acknowledges. */
    bool owner = omsd_cluster_may_act(d);
    for (int i = 0; i < n; i++) {
      omsd_watch_t *w = evs[i].data.ptr;
      if (w->fd >= 0) w->cb(d, w->ctx, evs[i].events);
    }
    int worked = owner && omsd_cluster_may_act(d) ? omsd_poll_engine(d) : 0;
    worked += oms_gateway_pump(d->gw);
    omsd_net_reap(d);
    int64_t t = omsd_now_ns();
    if (n > 0 || worked > 0) last_activity = t;
    omsd_model_on_timer(d, t);
    if (t >= next_timer) {
      oms_gateway_on_timer(d->gw);
      omsd_net_reap(d);
      omsd_net_on_timer(d);
      watch_venues(d, t);
      next_timer = t + TIMER_NS;
    }
    omsd_net_flush(d); /* everything this turn produced: one send per connection */
    if (d->stopping && ((!d->fenced && oms_gateway_sessions_connected(d->gw) == 0 && settled(d)) ||
                        t >= d->stop_deadline))
      break;
  }
}

/* After the connections closed (a session that never answered the Logout
 * is cancelled on disconnect only now): polls the engine until its cancels
 * are settled and stored, 2 s at most. */
static void settle_engine(omsd_t *d) {
  int64_t deadline = omsd_now_ns() + STOP_GRACE_NS;
  for (;;) {
    omsd_poll_engine(d);
    if (settled(d) || omsd_now_ns() >= deadline) return;
    struct timespec ms = {0, OMSD_MS};
    nanosleep(&ms, NULL);
  }
}

/* omsd.core_thread.cpu: the CPU is the core thread's own. Called first in
 * omsd_serve, on the thread that becomes the core, before any other thread
 * exists: every thread omsd starts (the journal's prefaulter and syncer, the
 * projector, the admin API's, the lease renewer...) inherits this set, the
 * process's allowed CPUs without the core's, so none of them can hold the
 * core's CPU when it wakes (a scheduler trace caught the journal's
 * prefaulter holding the core's CPU for 7.5 ms while the core waited to run;
 * BENCHMARKS.md, issue 13 seventh pass). If that CPU is the only one
 * allowed, the others share it: `others` says so in the log.
 * core_thread_apply then pins the core itself. */
static void core_thread_exclude(omsd_t *d, char *others, size_t cap) {
  snprintf(others, cap, "any");
  int cpu = d->cfg->core_thread.cpu;
  cpu_set_t set;
  if (cpu < 0 || sched_getaffinity(0, sizeof set, &set) != 0 || !CPU_ISSET((size_t)cpu, &set))
    return; /* no pin, or a CPU core_thread_apply will refuse */
  CPU_CLR((size_t)cpu, &set);
  if (CPU_COUNT(&set) == 0) {
    snprintf(others, cap, "shared");
    return;
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0) return;
  /* the set as a list, "0,2-3", for the log */
  size_t w = 0;
  others[0] = '\0';
  for (int i = 0; i < CPU_SETSIZE && w < cap; i++) {
    if (!CPU_ISSET((size_t)i, &set) || (i > 0 && CPU_ISSET((size_t)(i - 1), &set))) continue;
    int j = i;
    while (j + 1 < CPU_SETSIZE && CPU_ISSET((size_t)(j + 1), &set)) j++;
    int n = j > i ? snprintf(others + w, cap - w, "%s%d-%d", w ? "," : "", i, j)
                  : snprintf(others + w, cap - w, "%s%d", w ? "," : "", i);
    if (n < 0) break;
    w += (size_t)n;
  }
}

/* omsd.core_thread (docs/omsd.md): the core thread pinned to a CPU and/or
 * under a real-time policy, applied here, after every other thread started
 * (they keep the ordinary policy: a thread inherits its creator's). A
 * refusal stops the start: an operator who asked for it must not run
 * without it believing otherwise. */
static int core_thread_apply(omsd_t *d, const char *others) {
  const oms_cfg_core_thread_t *t = &d->cfg->core_thread;
  const char *policy = oms_cfg_sched_policy_name(t->policy);
  if (t->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((size_t)t->cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0) {
      LOG_ERROR(
          "msg=\"omsd.core_thread refused by the OS\" call=pthread_setaffinity_np cpu=%d "
          "errno=%d error=\"%s\" hint=\"the CPU must exist and be in this process's allowed "
          "set (taskset, cgroup cpuset)\"",
          t->cpu, rc, strerror(rc));
      return -1;
    }
  }
  if (t->policy != OMS_CFG_SCHED_OTHER) {
    struct sched_param sp = {.sched_priority = t->priority};
    int rc = pthread_setschedparam(pthread_self(),
                                   t->policy == OMS_CFG_SCHED_FIFO ? SCHED_FIFO : SCHED_RR, &sp);
    if (rc != 0) {
      LOG_ERROR(
          "msg=\"omsd.core_thread refused by the OS\" call=pthread_setschedparam policy=%s "
          "priority=%d errno=%d error=\"%s\" hint=\"a real-time policy needs CAP_SYS_NICE or "
          "an RLIMIT_RTPRIO of at least the priority (ulimit -r, LimitRTPRIO= in systemd)\"",
          policy, t->priority, rc, strerror(rc));
      return -1;
    }
  }
  if (t->cpu >= 0 || t->policy != OMS_CFG_SCHED_OTHER || t->spin_us > 0)
    LOG_INFO("msg=\"core thread scheduled\" policy=%s priority=%d cpu=%d spin_us=%d others=%s",
             policy, t->priority, t->cpu, t->spin_us, others);
  return 0;
}

int omsd_serve(omsd_t *d) {
  int status = 1;
  char others[64];
  core_thread_exclude(d, others, sizeof others);
  int lease = omsd_cluster_acquire(d);
  if (lease == 1) status = 0; /* stopped while a standby */
  if (lease == 0 && omsd_open_data_dir(d) == 0 && omsd_wire(d, false) == 0 && loop_open(d) == 0 &&
      omsd_net_open(d) == 0 && omsd_admin_start(d) == 0 && core_thread_apply(d, others) == 0) {
    omsd_print_ready(d);
    run(d);
    status = d->fenced ? 3 : 0;
  }
  omsd_admin_stop(d);
  if (d->gw != NULL) oms_gateway_flush(d->gw, STOP_GRACE_NS);
  if (d->conns != NULL) omsd_net_close(d);
  /* A fenced process touches its venues no more: the new owner does. */
  if (d->engine != NULL && d->epfd >= 0 && status == 0) drain_venues(d);
  if (d->engine != NULL && !d->fenced) settle_engine(d);
  if (d->gw != NULL) oms_gateway_flush(d->gw, STOP_GRACE_NS); /* how far clients were told */
  loop_close(d);
  omsd_unwire(d);
  if (d->lock_fd >= 0 && close(d->lock_fd) != 0)
    omsd_log_sys(OMS_LOG_WARN, "close", "object=lock_file", errno);
  d->lock_fd = -1;
  omsd_cluster_release(d); /* after the store's last batch, which it fences */
  return status;
}

void omsd_init(omsd_t *d, oms_config_t *cfg, const char *config_path) {
  *d = (omsd_t){.cfg = cfg,
                .config_path = config_path,
                .lock_fd = -1,
                .epfd = -1,
                .lease_seen = OMS_LEASE_HELD};
  d->listen_w.fd = d->sig_w.fd = d->store_w.fd = -1;
}
