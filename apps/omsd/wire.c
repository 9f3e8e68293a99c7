/*
 * wire.c - every component of the daemon, built from the configuration.
 *
 * HOW IT WORKS
 * omsd_wire builds, in dependency order: the store (SQLite, its writer
 * thread), the event bus (lagging subscribers catch up from the store), the
 * portfolio (cash per account, one instrument per symbol), the risk engine
 * (with the limits the configuration built, then the runtime changes kept in
 * the store, a former limits.log imported once: limits_log.c), the engine, one
 * venue per `venues` entry (handed to the engine, which owns it): simulated
 * in this process, or a FIX connector (type "fix", docs/venues.md) whose
 * session numbers and sent messages live in the store like the gateway's,
 * recovery from the store, then the FIX gateway and its sessions. Every
 * capacity comes from the `capacity` group (docs/config.md gives what each
 * costs); nothing here is sized by a constant.
 *
 * Market data reaches risk (reference prices) and the portfolio (marks)
 * only through the engine: a venue publishes its book's best prices, the
 * engine's market-data handler sets both. Nothing here sets a price.
 *
 * --check-config runs the same function with check_only: everything is
 * built and validated except the store (no file is opened or created) and
 * recovery, so a configuration that passes the check starts, short of the
 * data directory, the store and the listening socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits_log.h"
#include "oms/fix_dict.h"
#include "oms/fix_venue.h"
#include "oms/lease.h"
#include "oms/stream.h"
#include "omsd.h"

#define STORE_FLUSH_NS (5000 * OMSD_MS)

/* ---- The data directory ------------------------------------------------------------ */

static int mkdir_p(const char *path) {
  char tmp[OMS_CFG_PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char was = *p;
    *p = '\0';
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
      char obj[OMS_CFG_PATH_MAX + 8];
      snprintf(obj, sizeof obj, "path=%s", tmp);
      omsd_log_sys(OMS_LOG_ERROR, "mkdir", obj, errno);
      return -1;
    }
    if (was == '\0') return 0;
    *p = was;
  }
}

int omsd_open_data_dir(omsd_t *d) {
  if (mkdir_p(d->cfg->data_dir) != 0) return -1;
  char path[OMS_CFG_PATH_MAX + 16], obj[OMS_CFG_PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/omsd.lock", d->cfg->data_dir);
  snprintf(obj, sizeof obj, "path=%s", path);
  d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (d->lock_fd < 0) {
    omsd_log_sys(OMS_LOG_ERROR, "open", obj, errno);
    return -1;
  }
  bool said = false;
  while (d->lease != NULL && flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
    if (omsd_cluster_wait_dir(d, &said) != 0) return -1;
  if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      LOG_ERROR("msg=\"another omsd is running on this data directory\" call=flock %s", obj);
    else
      omsd_log_sys(OMS_LOG_ERROR, "flock", obj, errno);
    return -1;
  }
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  if (ftruncate(d->lock_fd, 0) != 0)
    omsd_log_sys(OMS_LOG_WARN, "ftruncate", obj, errno);
  else if (write(d->lock_fd, pid, (size_t)n) != n)
    omsd_log_sys(OMS_LOG_WARN, "write", obj, errno);
  return 0;
}

/* ---- Callbacks ------------------------------------------------------------------------- */

static void on_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  omsd_log_event(ev);
}

/* The gateway hears of an event once it is written, not durable: it stores
 * the report behind the event and holds it until that is durable, so one
 * sync of the store (fsync durability) releases both (gateway.c). */
static void on_written(void *ctx, const oms_event_t *ev) {
  omsd_t *d = ctx;
  if (d->gw != NULL) oms_gateway_on_event(d->gw, ev);
}

/* Runs on the store's writer thread: only logs. */
static void on_store_error(void *ctx, const oms_store_error_t *e) {
  (void)ctx;
  LOG_ERROR("component=store msg=\"store failure\" call=\"%s\" code=%d errno=%d detail=\"%s\"",
            e->call, e->code, e->sys_errno, e->message);
}

/* ---- Components ---------------------------------------------------------------------------- */

static void on_store_warn(void *ctx, const char *text) {
  (void)ctx;
  LOG_WARN("component=store msg=\"%s\"", text);
}

/* The journal in <data_dir>/journal/, its projection in store_path. */
static int open_journal_store(omsd_t *d) {
  const oms_config_t *c = d->cfg;
  char dir[OMS_CFG_PATH_MAX + 16];
  snprintf(dir, sizeof dir, "%s/journal", c->data_dir);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, dir, c->store_path);
  jc.durability = c->durability;
  jc.segment_bytes = (uint64_t)c->journal_segment_mb << 20;
  jc.retain_ns = (int64_t)c->journal_retain_hours * 3600 * INT64_C(1000000000);
  jc.on_error = on_store_error;
  jc.on_warn = on_store_warn;
  jc.ctx = d;
  jc.pg_conninfo = c->pg_conninfo;
  jc.instance = c->store_instance;
  jc.lease_token = d->lease != NULL ? oms_lease_token(d->lease) : 0;
  const char *proj = c->pg_conninfo[0] ? "postgres" : c->store_path;
  int rc = oms_store_journal_open(&jc, &d->store);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot open the store\" engine=journal journal=%s projection=%s error=%s", dir,
              proj, oms_err_name(rc));
    return -1;
  }
  oms_store_stats_t st;
  uint64_t last_seq = 0, last_order = 0;
  oms_store_stats(d->store, &st);
  (void)oms_store_last_seqs(d->store, &last_seq, &last_order);
  LOG_INFO(
      "component=store msg=\"store open\" engine=journal journal=%s projection=%s "
      "journal_lsn=%llu projected_lsn=%llu last_event_seq=%llu last_order_id=%llu",
      dir, proj, (unsigned long long)oms_store_durable_ticket(d->store),
      (unsigned long long)(oms_store_durable_ticket(d->store) - st.queued),
      (unsigned long long)last_seq, (unsigned long long)last_order);
  if (st.projection_local) /* loud: the store said why (on_warn, on_error) */
    LOG_ERROR(
        "component=store msg=\"PostgreSQL unreachable: trading from the journal; queries "
        "answered from it in memory until PostgreSQL is back and caught up "
        "(GET /healthz: projection.state, metric oms_store_projection_state)\" "
        "projection=postgres");
  return 0;
}

static int open_store(omsd_t *d) {
  const oms_config_t *c = d->cfg;
  oms_store_config_t sc;
  oms_store_config_init(&sc, c->store_path);
  sc.durability = c->durability;
  sc.queue_capacity = c->cap.store_queue;
  sc.on_error = on_store_error;
  sc.ctx = d;
  /* How long the writer spins for work before it sleeps (the store's
   * default unless OMSD_WRITER_SPIN_US is set; -1: never spin). */
  const char *spin = getenv("OMSD_WRITER_SPIN_US");
  if (spin != NULL) sc.writer_spin_ns = (int64_t)atol(spin) * 1000;
  if (c->store_engine == OMS_CFG_STORE_JOURNAL) return open_journal_store(d);
  int rc = oms_store_sqlite_open(&sc, &d->store);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot open the store\" path=%s error=%s", c->store_path, oms_err_name(rc));
    return -1;
  }
  LOG_INFO("component=store msg=\"store open\" engine=sqlite path=%s", c->store_path);
  return 0;
}

static int build_core(omsd_t *d, bool check_only) {
  const oms_config_t *c = d->cfg;
  const oms_cfg_capacity_t *cap = &c->cap;
  int64_t t = omsd_now_ns();
  int rc;
  oms_portfolio_config_t pc = {.max_accounts = (uint32_t)c->naccounts + 8,
                               .max_symbols = OMS_CFG_MAX_INSTRUMENTS,
                               .max_positions = cap->positions,
                               .day_reset_ns = c->trading_day_start_ns};
  /* FIX sessions are strategies of their own besides the listed ones. */
  oms_risk_config_t rcfg = {.max_accounts = (uint32_t)c->naccounts + 4,
                            .max_strategies = (uint32_t)(c->nstrategies + c->nsessions) + 4,
                            .max_symbols = OMS_CFG_MAX_INSTRUMENTS,
                            .max_positions = cap->positions,
                            .max_open_orders = cap->open_orders,
                            .rate_ring = cap->rate_ring,
                            .duplicate_slots = cap->duplicate_slots};
  /* The bus carries every durable event to the admin API's events thread;
   * a subscriber that falls behind catches up from the store. */
  if (d->store != NULL) {
    oms_replay_source_t src = oms_store_replay_source(d->store);
    if ((rc = oms_bus_create(&src, &d->bus)) != 0) {
      LOG_ERROR("msg=\"cannot create the event bus\" error=%s", oms_err_name(rc));
      return -1;
    }
  }
  if ((rc = oms_portfolio_create(&pc, &d->pf)) != 0) {
    LOG_ERROR("msg=\"cannot create the portfolio\" error=%s", oms_err_name(rc));
    return -1;
  }
  d->model_books = rcfg.max_accounts + 1;
  if ((rc = oms_risk_create(&rcfg, &d->risk)) != 0) {
    LOG_ERROR("msg=\"cannot create the risk engine\" error=%s", oms_err_name(rc));
    return -1;
  }
  for (size_t i = 0; i < c->ninstruments; i++) {
    const oms_instrument_t *ins = &c->instruments[i].ins;
    if ((rc = oms_portfolio_set_instrument(d->pf, ins->symbol, ins->multiplier, OMS_DEC_ZERO)) !=
        0) {
      LOG_ERROR("msg=\"portfolio refused an instrument\" symbol=%s error=%s", ins->symbol,
                oms_err_name(rc));
      return -1;
    }
  }
  for (size_t i = 0; i < c->naccounts; i++)
    if ((rc = oms_portfolio_set_cash(d->pf, c->accounts[i].id, c->accounts[i].cash, t)) != 0) {
      LOG_ERROR("msg=\"portfolio refused an account\" account=%s error=%s", c->accounts[i].id,
                oms_err_name(rc));
      return -1;
    }
  oms_engine_config_t ec = {.clock = oms_clock_realtime(),
                            .max_orders = cap->orders,
                            .max_instruments = OMS_CFG_MAX_INSTRUMENTS,
                            .max_venues = OMS_CFG_MAX_VENUES,
                            .outbox_capacity = cap->outbox,
                            .exec_id_window = cap->exec_ids,
                            .store = d->store,
                            .risk = d->risk,
                            .portfolio = d->pf,
                            .bus = d->bus,
                            .on_event = on_event,
                            .event_ctx = d,
                            .on_written = on_written,
                            .written_ctx = d};
  if (c->cluster.enabled) {
    /* Order ids unique across instances: the instance's number above
     * OMS_CFG_ORDER_ID_BITS (recovery raises it past the stored ids). */
    ec.first_order_id = ((uint64_t)c->cluster.number << OMS_CFG_ORDER_ID_BITS) + 1;
    ec.admit = check_only ? NULL : omsd_cluster_admit;
    ec.admit_ctx = d;
  }
  if ((rc = oms_engine_create(&ec, &d->engine)) != 0) {
    LOG_ERROR("msg=\"cannot create the engine\" error=%s", oms_err_name(rc));
    return -1;
  }
  oms_risk_limits_t *limits = oms_config_take_risk_limits(d->cfg);
  /* The changes made at runtime (PUT /v1/risk/limits), stored, win over the file. */
  if (omsd_limits_log_open(d->cfg, limits, check_only ? NULL : d->store, &d->limits_log) != 0) {
    oms_risk_limits_destroy(limits);
    return -1;
  }
  oms_reject_t err;
  if (oms_risk_set_limits(d->risk, limits, &err) != 0) {
    LOG_ERROR("msg=\"risk limits refused\" detail=\"%s\"", err.text);
    oms_risk_limits_destroy(limits);
    return -1;
  }
  return 0;
}

/* ---- FIX venues: the session's store over the order store ---------------------------- */

/* The callbacks of one FIX venue's session, as the gateway's: numbers and
 * sent messages under the store's session name "venue:<name>", written
 * asynchronously (tickets); the connector holds bytes until durable. */
typedef struct venue_store_s {
  omsd_t *d;
  omsd_watch_t w;  /* the connector's socket in the loop */
  oms_store_t *st; /* NULL under --check-config: nothing kept */
  char key[OMS_STORE_SESSION_MAX + 1];
  uint64_t last_ticket, sent_ticket;
  char *fetch_buf;
  size_t fetch_cap, fetch_len;
  int fetch_found;
} venue_store_t;

static venue_store_t *venue_stores[OMS_CFG_MAX_VENUES];

static int vs_load_seqnums(void *ctx, int64_t *next_sender, int64_t *next_target) {
  venue_store_t *s = ctx;
  if (s->st == NULL) return OMS_ENOTFOUND;
  return oms_store_fix_get_seqnums(s->st, s->key, next_target, next_sender);
}

static int vs_save_seqnums(void *ctx, int64_t next_sender, int64_t next_target) {
  venue_store_t *s = ctx;
  if (s->st == NULL) return 0;
  return oms_store_fix_set_seqnums(s->st, s->key, next_target, next_sender, &s->last_ticket);
}

static int vs_save_sent(void *ctx, int64_t seq, const char *data, size_t len) {
  venue_store_t *s = ctx;
  if (s->st == NULL || len > OMS_STORE_FIX_MSG_MAX) return 0; /* too long: gap-filled */
  int rc = oms_store_fix_save_sent(s->st, s->key, seq, data, len, &s->sent_ticket);
  if (rc == 0) s->last_ticket = s->sent_ticket;
  return rc;
}

static int vs_fetch_cb(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  venue_store_t *s = ctx;
  (void)seqnum;
  if (len > s->fetch_cap) return OMS_ENOSPC;
  memcpy(s->fetch_buf, msg, len);
  s->fetch_len = len;
  s->fetch_found = 1;
  return 0;
}

static int vs_load_sent(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len) {
  venue_store_t *s = ctx;
  if (s->st == NULL) return OMS_ENOTFOUND;
  /* Queries see committed rows only: a resend is rare, its wait a commit. */
  if (s->sent_ticket > oms_store_durable_ticket(s->st)) {
    int rc = oms_store_wait(s->st, s->sent_ticket, INT64_C(2000000000));
    if (rc != 0) return rc;
  }
  s->fetch_buf = buf;
  s->fetch_cap = cap;
  s->fetch_found = 0;
  int rc = oms_store_fix_fetch_sent(s->st, s->key, seq, seq, vs_fetch_cb, s);
  if (rc != 0) return rc;
  if (!s->fetch_found) return OMS_ENOTFOUND;
  *len = s->fetch_len;
  return 0;
}

static int vs_reset(void *ctx) {
  venue_store_t *s = ctx;
  if (s->st == NULL) return 0;
  return oms_store_fix_reset(s->st, s->key, &s->last_ticket);
}

static uint64_t vs_last_ticket(void *ctx) { return ((venue_store_t *)ctx)->last_ticket; }

static uint64_t vs_durable_ticket(void *ctx) {
  venue_store_t *s = ctx;
  return s->st == NULL ? UINT64_MAX : oms_store_durable_ticket(s->st);
}

/* The loop wakes when the venue's socket is readable; the engine's poll,
 * right after the watchers in every iteration, reads it. */
static void venue_readable(omsd_t *d, void *ctx, uint32_t events) {
  (void)d;
  (void)ctx;
  (void)events;
}

static void venue_socket(void *ctx, int old_fd, int new_fd) {
  venue_store_t *s = ctx;
  if (old_fd >= 0) omsd_watch_del(s->d, &s->w);
  if (new_fd >= 0) (void)omsd_watch_add(s->d, &s->w, new_fd, EPOLLIN, venue_readable, s);
}

static void venue_log(void *ctx, oms_fix_log_level_t lvl, const char *text) {
  (void)ctx;
  omsd_log((oms_log_level_t)lvl, "%s", text);
}

/* Whether venue lists instrument ci (its own venue or one of also_on): the
 * liquidity provider it runs there, or NULL. */
static const oms_sim_lp_t *listing(const oms_cfg_instrument_t *ci, const char *venue) {
  if (strcmp(ci->ins.venue, venue) == 0) return &ci->lp;
  for (size_t j = 0; j < ci->nalso; j++)
    if (strcmp(ci->also_on[j], venue) == 0) return &ci->also_lp[j];
  return NULL;
}

/* venues[].hold_stops: a group's stop-loss for this venue is kept in the
 * OMS and released when the market trades through its stop. */
static int hold_stops(omsd_t *d, const oms_cfg_venue_t *cv) {
  if (!cv->hold_stops) return 0;
  int rc = oms_engine_set_stops_held(d->engine, cv->name, true);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot hold stops for venue\" venue=%s error=%s", cv->name, oms_err_name(rc));
    return -1;
  }
  LOG_INFO("msg=\"stop-losses held in the OMS\" venue=%s", cv->name);
  return 0;
}

/* A venue with smart = true takes part in smart routing (docs/routing.md). */
static int add_smart(omsd_t *d, const oms_cfg_venue_t *cv) {
  if (!cv->smart) return 0;
  oms_sor_venue_cfg_t sc = {.maker_fee_rate = cv->maker_fee_rate,
                            .taker_fee_rate = cv->taker_fee_rate,
                            .latency_ns = cv->latency_ns,
                            .stale_ns = cv->stale_ns};
  snprintf(sc.name, sizeof sc.name, "%s", cv->name);
  int rc = oms_engine_sor_add_venue(d->engine, &sc);
  if (rc != 0)
    LOG_ERROR("msg=\"cannot add smart routing venue\" venue=%s error=%s", cv->name,
              oms_err_name(rc));
  return rc == 0 ? 0 : -1;
}

/* The connector of a venue of type "fix": its instruments go to the
 * engine as for a simulated venue; the connector knows only the dialect. */
static int build_fix_venue(omsd_t *d, size_t v, bool check_only) {
  const oms_config_t *c = d->cfg;
  const oms_cfg_venue_t *cv = &c->venues[v];
  const oms_cfg_fix_venue_t *f = &cv->fix;
  oms_reject_t rej;
  memset(&rej, 0, sizeof rej);
  const char *md_syms[OMS_CFG_MAX_INSTRUMENTS];
  size_t n_md = 0;
  for (size_t i = 0; i < c->ninstruments; i++) {
    if (listing(&c->instruments[i], cv->name) == NULL) continue;
    oms_instrument_t ins = c->instruments[i].ins;
    snprintf(ins.venue, sizeof ins.venue, "%s", cv->name);
    if (oms_engine_add_instrument(d->engine, &ins, &rej) != 0) {
      LOG_ERROR("msg=\"engine refused an instrument\" symbol=%s detail=\"%s\"",
                c->instruments[i].ins.symbol, rej.text);
      return -1;
    }
    md_syms[n_md++] = c->instruments[i].ins.symbol;
  }
  venue_store_t *vs = calloc(1, sizeof *vs);
  if (vs == NULL) return -1;
  venue_stores[v] = vs;
  vs->d = d;
  vs->w.fd = -1;
  vs->st = check_only ? NULL : d->store;
  snprintf(vs->key, sizeof vs->key, "venue:%s", cv->name);
  oms_fix_session_store_t st = {vs_load_seqnums, vs_save_seqnums, vs_save_sent,
                                vs_load_sent,    vs_reset,        vs};
  oms_fix_venue_symbol_t syms[OMS_CFG_MAX_INSTRUMENTS];
  for (size_t i = 0; i < f->nsymbols; i++)
    syms[i] = (oms_fix_venue_symbol_t){f->symbols[i][0], f->symbols[i][1]};
  oms_fix_venue_tag_t tags[OMS_CFG_FIX_VENUE_TAGS];
  for (size_t i = 0; i < f->ntags; i++)
    tags[i] = (oms_fix_venue_tag_t){f->tags[i], f->tag_values[i]};
  oms_fix_venue_config_t fc = {
      .name = cv->name,
      .host = f->host,
      .port = f->port,
      .sender_comp_id = f->sender_comp_id,
      .target_comp_id = f->target_comp_id,
      .username = f->username[0] ? f->username : NULL,
      .password = f->password[0] ? f->password : NULL,
      .heartbeat_s = f->heartbeat_s,
      .reset_on_logon = f->reset_on_logon,
      .schedule = {.days = f->days, .start_s = f->start_s, .end_s = f->end_s},
      .reconnect_min_ns = f->reconnect_min_ns,
      .reconnect_max_ns = f->reconnect_max_ns,
      .symbols = syms,
      .nsymbols = f->nsymbols,
      .account = f->account,
      .ex_destination = f->ex_destination,
      .tags = tags,
      .ntags = f->ntags,
      .ord_types = f->ord_types,
      .tifs = f->tifs,
      .exec_insts = f->exec_insts,
      .mass_status = f->mass_status,
      .market_data = f->market_data,
      .md_incremental = f->md_incremental,
      .md_symbols = md_syms,
      .n_md_symbols = n_md,
      .max_orders = c->cap.venue_orders,
      .max_msg_len = c->cap.max_msg_bytes,
      .store = &st,
      .last_ticket = vs_last_ticket,
      .durable_ticket = vs_durable_ticket,
      .ticket_ctx = vs,
      .clock = oms_clock_realtime(),
      .on_socket = check_only ? NULL : venue_socket,
      .socket_ctx = vs,
      .log = venue_log};
  oms_venue_t *ven;
  int rc = oms_fix_venue_create(&fc, &ven);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot create venue\" venue=%s type=fix error=%s", cv->name, oms_err_name(rc));
    return -1;
  }
  LOG_INFO("msg=\"FIX venue\" venue=%s host=%s port=%d sender=%s target=%s", cv->name, f->host,
           f->port, f->sender_comp_id, f->target_comp_id);
  ven->native = cv->native;
  ven->no_emulate = cv->no_emulate;
  /* The engine owns the venue from here, also on failure. */
  if ((rc = oms_engine_add_venue(d->engine, ven, &cv->route)) != 0) {
    LOG_ERROR("msg=\"cannot add venue\" venue=%s error=%s", cv->name, oms_err_name(rc));
    return -1;
  }
  return hold_stops(d, cv) != 0 ? -1 : add_smart(d, cv);
}

static int build_venue(omsd_t *d, size_t v, bool check_only) {
  const oms_config_t *c = d->cfg;
  const oms_cfg_venue_t *cv = &c->venues[v];
  if (cv->is_fix) return build_fix_venue(d, v, check_only);
  oms_sim_symbol_t syms[OMS_CFG_MAX_INSTRUMENTS];
  size_t n = 0;
  oms_reject_t rej;
  memset(&rej, 0, sizeof rej);
  for (size_t i = 0; i < c->ninstruments; i++) {
    const oms_sim_lp_t *lp = listing(&c->instruments[i], cv->name);
    if (lp == NULL) continue;
    memset(&syms[n], 0, sizeof syms[n]);
    syms[n].ins = c->instruments[i].ins;
    snprintf(syms[n].ins.venue, sizeof syms[n].ins.venue, "%s", cv->name);
    syms[n].lp = *lp;
    n++;
    if (oms_engine_add_instrument(d->engine, &syms[n - 1].ins, &rej) != 0) {
      LOG_ERROR("msg=\"engine refused an instrument\" symbol=%s detail=\"%s\"",
                c->instruments[i].ins.symbol, rej.text);
      return -1;
    }
  }
  oms_sim_config_t simc = {.name = cv->name,
                           .clock = oms_clock_realtime(),
                           .max_orders = c->cap.venue_orders,
                           .book_capacity = c->cap.book_orders,
                           .report_capacity = c->cap.venue_reports,
                           .ack_latency_ns = cv->ack_latency_ns,
                           .fill_latency_ns = cv->fill_latency_ns,
                           .maker_fee_rate = cv->maker_fee_rate,
                           .taker_fee_rate = cv->taker_fee_rate,
                           .seed = cv->seed,
                           .symbols = syms,
                           .nsymbols = n};
  /* Its resting orders outlive the process, as an exchange's GTC orders do:
   * after a restart the recovered orders are still at the venue. */
  char book[OMS_CFG_PATH_MAX + OMS_VENUE_MAX + 16];
  if (cv->keep_book && !check_only) {
    snprintf(book, sizeof book, "%s/venue-%s.book", c->data_dir, cv->name);
    simc.state_path = book;
  }
  oms_venue_t *ven;
  int rc = oms_sim_venue_create(&simc, &ven);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot create venue\" venue=%s error=%s state=%s%s", cv->name,
              oms_err_name(rc), simc.state_path != NULL ? simc.state_path : "none",
              rc == OMS_ECORRUPT ? " hint=\"the state file is damaged or from a build before "
                                   "2026-12-02 (another layout): it holds the simulated venue's "
                                   "orders; move it aside to start the venue empty\""
                                 : "");
    return -1;
  }
  if (simc.state_path != NULL) {
    oms_sim_stats_t ss;
    oms_sim_venue_stats(ven, &ss);
    LOG_INFO("msg=\"venue book restored\" venue=%s orders=%u state=%s", cv->name, ss.restored,
             simc.state_path);
  }
  ven->native = cv->native;
  ven->no_emulate = cv->no_emulate;
  /* The engine owns the venue from here, also on failure. */
  if ((rc = oms_engine_add_venue(d->engine, ven, &cv->route)) != 0) {
    LOG_ERROR("msg=\"cannot add venue\" venue=%s error=%s", cv->name, oms_err_name(rc));
    return -1;
  }
  return hold_stops(d, cv) != 0 ? -1 : add_smart(d, cv);
}

/* The session's validation switches as the FIX layer's flags. */
static unsigned session_dict_flags(const oms_cfg_session_t *s) {
  unsigned f = 0;
  if (!s->validate) f |= OMS_FIX_DICT_OFF;
  if (!s->validate_enums) f |= OMS_FIX_DICT_NO_ENUMS;
  if (!s->validate_order) f |= OMS_FIX_DICT_NO_ORDER;
  if (s->allow_user_tags) f |= OMS_FIX_DICT_ALLOW_USER_TAGS;
  return f;
}

static int build_gateway(omsd_t *d) {
  const oms_config_t *c = d->cfg;
  oms_gateway_config_t gc = {.engine = d->engine,
                             .store = d->store,
                             .clock = oms_clock_realtime(),
                             .default_venue = c->venues[0].name,
                             .max_msg_len = c->cap.max_msg_bytes,
                             .max_tracked = c->cap.tracked_clordids,
                             .max_conns = c->cap.connections,
                             .io = omsd_net_io(d)};
  int rc = oms_gateway_create(&gc, &d->gw);
  if (rc != 0) {
    LOG_ERROR("msg=\"cannot create the gateway\" error=%s", oms_err_name(rc));
    return -1;
  }
  for (size_t i = 0; i < c->nsessions; i++) {
    const oms_cfg_session_t *s = &c->sessions[i];
    oms_gateway_session_config_t gs = {
        .client_comp_id = s->sender_comp_id,
        .our_comp_id = s->target_comp_id,
        .password = s->password,
        .account = s->account,
        .max_heartbeat_s = s->heartbeat_s,
        .sending_time_tolerance_ns = s->sending_time_tolerance_s > 0
                                         ? s->sending_time_tolerance_s * INT64_C(1000000000)
                                         : -1,
        .cancel_on_disconnect = s->cancel_on_disconnect,
        .fix_dict_flags = session_dict_flags(s)};
    if ((rc = oms_gateway_add_session(d->gw, &gs)) != 0) {
      LOG_ERROR("msg=\"cannot add session\" session=%s error=%s", s->sender_comp_id,
                oms_err_name(rc));
      return -1;
    }
  }
  return 0;
}

static int recover(omsd_t *d) {
  uint32_t loaded = 0;
  int rc = oms_engine_recover(d->engine, &loaded);
  if (rc != 0) {
    LOG_ERROR("msg=\"recovery failed\" error=%s", oms_err_name(rc));
    return -1;
  }
  oms_engine_stats_t st;
  oms_engine_stats(d->engine, &st);
  LOG_INFO("msg=recovered open_orders=%u next_order_id=%llu next_event_seq=%llu", loaded,
           (unsigned long long)st.next_order_id, (unsigned long long)st.next_event_seq);
  return 0;
}

/* Reports the events a client was never told of (a crash came between the
 * event and its report): before any connection, so they precede anything
 * new and a ResendRequest finds them. */
static int catch_up(omsd_t *d) {
  uint32_t n = 0;
  int rc = oms_gateway_catch_up(d->gw, &n);
  if (rc != 0) {
    LOG_ERROR("msg=\"FIX catch-up failed\" error=%s", oms_err_name(rc));
    return -1;
  }
  if (n > 0) LOG_WARN("msg=\"FIX reports caught up after a crash\" sessions=%u", n);
  return 0;
}

/* One line with every capacity, so a log says what the process was sized for. */
static void log_capacities(const oms_config_t *c) {
  char line[512];
  size_t n = 0;
#define CAP_KV(key, def, lo, hi, what) \
  if (n < sizeof line)                 \
    n += (size_t)snprintf(line + n, sizeof line - n, "%s%s=%u", n > 0 ? " " : "", #key, c->cap.key);
  OMS_CFG_CAPACITIES(CAP_KV)
#undef CAP_KV
  LOG_INFO("msg=capacity %s", line);
}

/* ---- The event stream to NATS JetStream (docs/deployment.md) ------------------------ */

static void stream_log(void *ctx, int error, const char *text) {
  (void)ctx;
  if (error != 0)
    LOG_WARN("component=stream msg=\"%s\" code=%d", text, error);
  else
    LOG_INFO("component=stream msg=\"%s\"", text);
}

/* Starts the publisher once the store serves: it reads the store and
 * never touches the core, so nothing here can slow an order. */
static int start_stream(omsd_t *d) {
  const oms_cfg_stream_t *c = &d->cfg->stream;
  if (!c->enabled) return 0;
  oms_stream_config_t sc = {.nats_url = c->nats_url,
                            .stream = c->stream,
                            .prefix = c->prefix,
                            .instance = c->instance,
                            .window = c->window,
                            .ack_timeout_ns = (int64_t)c->ack_timeout_ms * OMSD_MS,
                            .on_log = stream_log};
  oms_replay_source_t src = oms_store_replay_source(d->store);
  oms_cursor_store_t cur = oms_store_cursor_store(d->store);
  int rc = oms_stream_create(&sc, &src, &cur, &d->stream);
  if (rc == 0) rc = oms_stream_start(d->stream);
  if (rc != 0) {
    LOG_ERROR("component=stream msg=\"cannot start the event stream\" error=%s", oms_err_name(rc));
    return -1;
  }
  LOG_INFO(
      "component=stream msg=\"event stream started\" nats=%s stream=%s subjects=%s.%s.> "
      "window=%u",
      c->nats_url, c->stream, c->prefix, c->instance, c->window);
  return 0;
}

int omsd_wire(omsd_t *d, bool check_only) {
  if (!check_only) log_capacities(d->cfg);
  if (!check_only && open_store(d) != 0) return -1;
  if (build_core(d, check_only) != 0) return -1;
  for (size_t v = 0; v < d->cfg->nvenues; v++)
    if (build_venue(d, v, check_only) != 0) return -1;
  if (!check_only && recover(d) != 0) return -1;
  if (omsd_model_open(d, check_only) != 0) return -1;
  if (build_gateway(d) != 0) return -1;
  if (check_only) return 0;
  if (catch_up(d) != 0) return -1;
  return start_stream(d);
}

void omsd_unwire(omsd_t *d) {
  /* First: its last acks and its cursor reach the store before the flush. */
  oms_stream_stop(d->stream, 1000 * OMSD_MS);
  oms_stream_destroy(d->stream);
  d->stream = NULL;
  if (d->store != NULL) {
    int rc = oms_store_flush(d->store, STORE_FLUSH_NS);
    if (rc != 0)
      LOG_ERROR("msg=\"store flush failed\" error=%s", oms_err_name(rc));
    else
      LOG_INFO("msg=\"store flushed\"");
  }
  oms_gateway_destroy(d->gw);
  oms_engine_destroy(d->engine);
  omsd_model_close(d);     /* saved after the engine's last fills */
  oms_bus_destroy(d->bus); /* after the engine, which publishes on it */
  oms_risk_destroy(d->risk);
  oms_portfolio_destroy(d->pf);
  omsd_limits_log_close(d->limits_log);
  oms_store_close(d->store);
  for (size_t v = 0; v < OMS_CFG_MAX_VENUES; v++) {
    free(venue_stores[v]);
    venue_stores[v] = NULL;
  }
  d->gw = NULL;
  d->engine = NULL;
  d->bus = NULL;
  d->risk = NULL;
  d->pf = NULL;
  d->limits_log = NULL;
  d->store = NULL;
}
