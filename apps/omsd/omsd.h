/*
 * omsd.h - the daemon's private parts and how they fit (not installed).
 *
 *   main.c   the command line: options, overrides, --check-config
 *   wire.c   the data directory and its lock, and every component built from
 *            the configuration (store, portfolio, risk, engine, venues,
 *            gateway); the same code checks a configuration without
 *            opening the store
 *   loop.c   the epoll loop: fd watchers, signals, timers, engine polling,
 *            the lifecycle (start, run, graceful stop)
 *   net.c    the FIX listener, the connections and their output rings, and
 *            the gateway's I/O callbacks
 *   model.c  the market risk model: built, fed, sampled, saved, attached to
 *            risk; its reports and correlation groups
 *   banner.c what a person reads: the ready banner, one line per order event
 *   ../common/app_log.c  key=value log lines on stderr; failed system
 *            calls (shared with omsvenue)
 *
 * One thread runs all of it (besides the store's writer and the admin API's
 * HTTP threads, which hand this one their commands).
 * Anything that owns a file descriptor plugs into the loop with a watcher
 * (omsd_watch_add): that is how the FIX listener and every connection are
 * served. The admin HTTP API (admin.h) runs on libmicrohttpd's own threads
 * and reaches this one through a command queue whose eventfd is watched.
 */
#ifndef OMSD_H
#define OMSD_H

#include <stdbool.h>
#include <stdint.h>

#include "app_log.h"
#include "config/config.h"
#include "core/strmap.h"
#include "core/u64map.h"
#include "oms/gateway.h"
#include "oms/oms.h"
#include "oms/risk.h"

#define OMSD_MS INT64_C(1000000)

/* ---- the log (apps/common/app_log.c, shared with omsvenue) ----------------------------- */

/* omsd's files name the shared log by their daemon's prefix, as they always did. */
#define omsd_log_level app_log_level
#define omsd_log app_log
#define omsd_log_sys app_log_sys
#define omsd_now_ns app_now_ns

/* ---- loop.c: watchers ------------------------------------------------------------------ */

typedef struct omsd_s omsd_t;

/* Called from the loop with the epoll events of the watcher's fd. */
typedef void (*omsd_io_cb)(omsd_t *d, void *ctx, uint32_t events);

/* A file descriptor served by the loop. The owner keeps the struct (epoll
 * points at it) until omsd_watch_del; fd is -1 while not watched. */
typedef struct omsd_watch_s {
  int fd;
  uint32_t events;
  omsd_io_cb cb;
  void *ctx;
} omsd_watch_t;

/* A venue's reconciliation as the loop last logged it (loop.c). */
typedef struct omsd_recon_s {
  int64_t since_ns; /* when it was seen waiting; 0: not waiting */
  bool told_done;   /* "reconciled" logged for this connection */
  bool told_slow;   /* "not reconciled yet" logged */
} omsd_recon_t;

/* Starts watching fd for events (EPOLLIN, EPOLLOUT). Returns 0, or -1 with
 * the failed epoll_ctl logged (the caller still owns fd). */
int omsd_watch_add(omsd_t *d, omsd_watch_t *w, int fd, uint32_t events, omsd_io_cb cb, void *ctx);
/* Changes the events watched; a failure is logged. */
int omsd_watch_mod(omsd_t *d, omsd_watch_t *w, uint32_t events);
/* Stops watching (the fd is not closed). Accepts an unwatched w. */
void omsd_watch_del(omsd_t *d, omsd_watch_t *w);

/* Polls the engine until idle (at most 64 rounds); returns the work done. */
int omsd_poll_engine(omsd_t *d);

/* The whole life of a started daemon: data directory, components, network,
 * the loop until SIGTERM/SIGINT, the graceful stop. Returns the exit status
 * (0, or 1 when it could not start). Signals must already be blocked. */
int omsd_serve(omsd_t *d);

/* ---- cluster.c: several instances, the lease (docs/deployment.md) ----------------- */

/* Takes the instance's lease, waiting as a standby while another node holds
 * it; starts its renewer. 0 (held, or no cluster group), 1 (stopped by a
 * signal while waiting) or -1 (logged). Before the data directory opens. */
int omsd_cluster_acquire(omsd_t *d);
/* The data directory's lock is held by another process: waits 100 ms.
 * 0 to try again, -1 to give up (a signal, or the lease lost). */
int omsd_cluster_wait_dir(omsd_t *d, bool *said);
/* The engine's admit hook: the account owned and the lease held. */
int omsd_cluster_admit(void *ctx, const oms_order_request_t *req, oms_reject_t *rej);
/* Each loop turn: whether the lease is held now (logs a change; a loss
 * starts the fenced stop). Always true without a cluster group. */
bool omsd_cluster_may_act(omsd_t *d);
/* At the end of a stop: releases the lease (unless fenced) and frees it. */
void omsd_cluster_release(omsd_t *d);
/* The lease's state name and token for /healthz, or NULL (no cluster). */
const char *omsd_cluster_state(const omsd_t *d, unsigned long long *token);

/* ---- wire.c -------------------------------------------------------------------------- */

/* Creates the data directory and takes its lock (a second omsd refused). */
int omsd_open_data_dir(omsd_t *d);

/* Builds every component from d->cfg. check_only: everything but the store
 * (nothing is opened on disk) and recovery, so that --check-config runs
 * every validation a start runs. Returns 0 or -1 (logged); what was built
 * is freed by omsd_unwire either way. */
int omsd_wire(omsd_t *d, bool check_only);

/* Flushes the store (5 s at most) and frees every component. */
void omsd_unwire(omsd_t *d);

/* ---- model.c: the market risk model (docs/risk.md) ------------------------------------- */

/* Creates the model of the riskmodel group (none when absent), loads its
 * saved state or history file and attaches it to risk. After recovery.
 * check_only: nothing is read from the data directory or written. 0 or -1. */
int omsd_model_open(omsd_t *d, bool check_only);

/* Takes a sample and saves the state when their time has come (core thread). */
void omsd_model_on_timer(omsd_t *d, int64_t now);

/* What GET /v1/risk/var and /v1/risk/stress report, taken on the core
 * thread: row 0 the firm (account ""), then every configured account with a
 * book. Statistics as doubles; the API rounds them up into decimals. */
typedef struct omsd_model_row_s {
  char account[OMS_ID_MAX + 1];
  double var, hvar;   /* parametric and historical VaR */
  double stress_loss; /* the worst scenario loss (>= 0) */
  int worst;          /* its scenario, -1 none */
  double pnl[OMS_CFG_MAX_SCENARIOS];
} omsd_model_row_t;

typedef struct omsd_model_snap_s {
  bool has_model;
  uint32_t instruments;
  uint64_t samples;
  int64_t sample_ns; /* what the last sample cost */
  double lambda, confidence, horizon_days;
  uint32_t nscen;
  char scen[OMS_CFG_MAX_SCENARIOS][OMS_CFG_SCENARIO_NAME_MAX + 1];
  size_t nrows;
  omsd_model_row_t rows[OMS_CFG_MAX_ACCOUNTS + 1];
} omsd_model_snap_t;

/* Fills s (core thread: O(books (W n + W log W)) for historical VaR). */
void omsd_model_snapshot(omsd_t *d, omsd_model_snap_t *s);

/* Saves the state (not under --check-config), detaches and frees the model. */
void omsd_model_close(omsd_t *d);

/* ---- net.c --------------------------------------------------------------------------- */

#define OMSD_NONE UINT32_MAX /* no slot: the end of a list */

/* One client connection. Its output is a ring of a power-of-two size
 * (capacity.output_kib KiB and room for a last Logout), allocated at its
 * first send and freed with the connection: every send is queued there and
 * written at the end of the loop turn (omsd_net_flush). */
typedef struct omsd_conn_s {
  omsd_watch_t w;
  uint64_t id; /* (sequence << 16) | slot: names the slot, never reused */
  bool close_requested;
  bool logged_on;     /* its session is logged on: never evicted nor timed out */
  bool over_limit;    /* the backlog passed the limit: the session is being ended */
  bool let_logout;    /* the one send allowed past the limit: the Logout saying why */
  uint32_t addr;      /* the peer's IPv4 address, host order */
  uint32_t addr_slot; /* its entry in the address table */
  int64_t opened_ns;
  int64_t linger_until; /* closing: flushing the backlog until then (0: not yet) */
  uint32_t prev, next;  /* the list of connections not logged on, oldest first */
  char *out;
  uint64_t out_head, out_tail; /* bytes sent / queued since the ring was allocated */
} omsd_conn_t;

/* What the daemon remembers of one peer address: its open connections and
 * its failed logons in the current window. */
typedef struct omsd_addr_s {
  uint32_t addr;
  uint32_t conns;
  uint32_t fails;
  int64_t window_start;
} omsd_addr_t;

/* Failed logons of one configured client CompID in the current window. */
typedef struct omsd_fails_s {
  uint32_t fails;
  int64_t window_start;
} omsd_fails_t;

/* The gateway's I/O callbacks (send, close, log), bound to d. */
oms_gateway_io_t omsd_net_io(omsd_t *d);

/* Allocates the connection table and listens on fix.address:fix.port.
 * Returns 0 or -1 (logged). */
int omsd_net_open(omsd_t *d);

/* Closes the listener (shutdown: no new connections). */
void omsd_net_stop_accepting(omsd_t *d);

/* Ends the sessions whose backlog passed the limit (a Logout saying why)
 * and closes the connections the gateway asked to close once their backlog
 * is flushed (or after a short linger). */
void omsd_net_reap(omsd_t *d);

/* Closes the connections that did not log on within
 * admission.logon_timeout_ms (call a few times a second). */
void omsd_net_on_timer(omsd_t *d);

/* Writes what the connections queued during this loop turn: one send per
 * connection and turn (call at the end of every turn). */
void omsd_net_flush(omsd_t *d);

/* Flushes what it can and closes every connection, then the listener. */
void omsd_net_close(omsd_t *d);

/* ---- banner.c: what a person reads ------------------------------------------------------ */

/* One readable line per order event, trading-state change and alarm, at the
 * level its type has (info: acceptances, fills, cancels, refusals; debug:
 * the intermediate steps). Core thread; formats nothing below the log level. */
void omsd_log_event(const oms_event_t *ev);

/* The ready banner on stderr, once everything listens: the FIX address and
 * sessions, the admin API and blotter addresses, the tokens (a sample
 * token's value with a warning), and an omsctl command line to try. */
void omsd_print_ready(omsd_t *d);

/* ---- the daemon ---------------------------------------------------------------------- */

struct omsd_s {
  oms_config_t *cfg;
  const char *config_path;
  int lock_fd;
  int epfd;

  /* components (wire.c) */
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_engine_t *engine;
  oms_gateway_t *gw;
  oms_bus_t *bus; /* every durable event (NULL under --check-config): the admin API's feed */
  struct omsd_limits_log_s *limits_log; /* runtime limit changes (limits_log.h) */
  struct oms_stream_s *stream;          /* the event stream to NATS (NULL: stream group absent) */

  /* the market risk model (model.c): NULL when the riskmodel group is absent */
  struct oms_riskmodel_s *model;
  uint32_t model_books;                   /* risk's accounts + 1 (the firm) */
  char model_path[OMS_CFG_PATH_MAX + 32]; /* its saved state; "" under --check-config */
  int64_t model_next_sample, model_next_save, model_next_event;
  int64_t model_sample_ns; /* what the last sample cost */
  /* correlation groups (riskmodel.correlation_threshold): the partition in
   * force (group_of as oms_riskmodel_corr_groups gives it) and the limit set
   * it was installed in (a runtime limit change installs another: redone) */
  uint32_t corr_of[OMS_CFG_MAX_INSTRUMENTS];
  const void *corr_limits;
  uint32_t corr_groups;    /* groups of two or more in force */
  int64_t corr_install_ns; /* what the last installation cost */

  /* network (net.c) */
  omsd_watch_t listen_w;
  int listen_port; /* the bound port (fix.port may be 0) */
  omsd_conn_t *conns;
  uint32_t nconns;    /* capacity.connections */
  uint32_t out_cap;   /* output ring size, a power of two */
  uint64_t out_limit; /* backlog that ends a session: capacity.output_kib KiB */
  uint64_t conn_seq;
  uint32_t *free_slots; /* a stack of free connection slots */
  uint32_t nfree;
  uint32_t *dirty; /* slots with bytes queued this turn, written by omsd_net_flush */
  uint32_t ndirty;
  bool *dirty_mark; /* per slot: already on dirty (outlives the connection in it) */
  uint32_t unauth_head, unauth_tail; /* connections not logged on, oldest first */
  oms__u64map_t addr_of;             /* peer address + 1 -> entry of addrs */
  omsd_addr_t *addrs;
  uint32_t naddrs;      /* entries of addrs */
  uint32_t *free_addrs; /* a stack of free entries of addrs */
  uint32_t nfree_addrs;
  oms__strmap_t comp_of; /* configured client CompID -> entry of comp_fails */
  omsd_fails_t *comp_fails;

  /* the admin HTTP API (admin.c): NULL when the configuration has none */
  struct omsd_admin_s *admin;
  int admin_port; /* the bound port (admin.port may be 0) */

  /* loop (loop.c) */
  omsd_watch_t sig_w, store_w;
  omsd_recon_t recon[OMS_CFG_MAX_VENUES]; /* each venue's reconciliation, as last logged */
  bool stopping;
  int64_t stop_deadline;

  /* several instances (cluster.c): NULL/empty when the cluster group is absent */
  struct oms_lease_s *lease;
  oms__strmap_t owned; /* cluster.accounts */
  int lease_seen;      /* the oms_lease_state_t the loop last saw */
  bool fenced;         /* the lease was lost: exiting with status 3 */
};

/* Initialises d for cfg (nothing opened). */
void omsd_init(omsd_t *d, oms_config_t *cfg, const char *config_path);

#endif /* OMSD_H */
