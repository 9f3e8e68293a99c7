/*
 * store_sqlite.c - the embedded order store on SQLite (WAL mode).
 *
 * NOTES ON THE DESIGN
 *
 * Three connections, three jobs, each opened SQLITE_OPEN_NOMUTEX (one thread
 * or one lock owns each, so SQLite's own mutexes are pure cost):
 *   wdb  the writer thread's (or, synchronous, the caller's): every write,
 *        and the checkpoints that restart the WAL (between two batches);
 *   rdb  queries, from any thread, serialised by rmu (query_only);
 *   cdb  the checkpointer thread's (os mode): PASSIVE checkpoints under load.
 * wal_autocheckpoint is 0: no checkpoint ever runs inside a commit (one there
 * pushes the commit p99 from 0.2 ms to 8-20 ms on this machine).
 *
 * Keeping the WAL small is what makes commits cheap: a WAL that only grows
 * makes every commit extend the file (block allocation, a new size for
 * fdatasync to flush, dirty pages for writeback): measured here, os mode
 * append->durable p50 0.28 ms with a growing WAL against 0.04 ms with one
 * restarted from its start. SQLite restarts the WAL at the first write after
 * a checkpoint that copied every frame, which a checkpoint concurrent with
 * the commits never does under steady load; so the writer itself finishes
 * it between two batches (see after_commit and writer_main).
 *
 * The writer spins (writer_spin_ns) on an empty queue before it sleeps: a
 * sleeping writer costs the producer a condvar signal (a system call) and
 * about 45 us of wake-up.
 *
 * The queue is a power-of-two ring of oms__rec_t, preallocated at open.
 * Producers (under mu, which also makes the ticket order equal the queue
 * order) copy a whole unit in and then publish `head` with release. The
 * writer takes [tail, head), writes it in one transaction, commits, then
 * publishes `durable` (the ticket of the batch's last record) and only then
 * `tail`, which frees the space. So everything that arrived while a commit
 * was in flight goes into the next transaction: one sync per batch.
 *
 * A fill event also moves its position: the writer reads the row of the
 * order's account and symbol, books the fill (oms__position_book, the
 * portfolio's arithmetic) and writes it back, inside the batch's
 * transaction, so a later fill in the same batch reads the earlier one's row
 * and a rolled-back batch leaves no position ahead of its fills.
 *
 * A failed batch is rolled back and stays in the queue; the store is FAILED
 * until a retry of the same batch commits (backoff in the writer, or
 * oms_store_recover). Appends without OMS_STORE_APPEND_MUST are refused
 * meanwhile. Every SQLite call on the write path is labelled and goes
 * through inject() first, the seam the fault-sweep tests use.
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "oms/algo.h"
#include "oms/error.h"
#include "oms/store.h"
#include "store/store_int.h"
#include "store/store_sqlite.h"

enum {
  W_BEGIN,
  W_COMMIT,
  W_EVENT,
  W_ORDER,
  W_FILL,
  W_TSTATE,
  W_POSITION_GET,
  W_POSITION,
  W_FIXSEQ,
  W_FIXSENT,
  W_FIXSENT_SEQ,
  W_FIXDEL,
  W_FIXRESET,
  W_CURSOR,
  W_LIMIT,
  W_PNL_BASE,
  W_PARENT,
  W_ORDER_PARENT,
  W_BESTEX,
  W_BESTEX_DEL,
  W_BESTEX_VENUE,
  W_COUNT
};

static const char *const wsql[W_COUNT] = {
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_COMMIT] = "COMMIT",
    [W_EVENT] =
        "INSERT INTO events(seq, type, order_id, event_ns, state, body) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    /* An order's row is updated in place: strategy, account, symbol, side
     * and creation time never change after oms_order_init, so leaving them
     * out of the SET spares their three indexes at every later write. */
    [W_ORDER] =
        "INSERT INTO orders(order_id, client_order_id, strategy_id, "
        "account_id, venue, symbol, venue_order_id, side, type, tif, qty, price, "
        "stop_price, state, terminal, filled_qty, leaves_qty, avg_px, reject_code, "
        "reject_reason, created_ns, updated_ns, last_event_seq, snapshot) VALUES(?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20, ?21, ?22, ?23, ?24) ON CONFLICT(order_id) DO UPDATE SET "
        "client_order_id = ?2, venue = ?5, venue_order_id = ?7, type = ?9, tif = ?10, "
        "qty = ?11, price = ?12, stop_price = ?13, state = ?14, terminal = ?15, "
        "filled_qty = ?16, leaves_qty = ?17, avg_px = ?18, reject_code = ?19, "
        "reject_reason = ?20, updated_ns = ?22, last_event_seq = ?23, snapshot = ?24",
    [W_FILL] =
        "INSERT INTO fills(seq, order_id, exec_id, strategy_id, account_id, symbol, side, "
        "qty, price, fee, liquidity, ts_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12)",
    [W_TSTATE] =
        "INSERT OR REPLACE INTO trading_states(scope_kind, scope_id, state, reason, "
        "updated_ns, event_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [W_POSITION_GET] = OMS__SQL_POSITION_GET,
    [W_POSITION] = OMS__SQL_POSITION_PUT,
    [W_FIXSEQ] =
        "INSERT OR REPLACE INTO fix_sessions(session, next_in, next_out) "
        "VALUES(?1, ?2, ?3)",
    [W_FIXSENT] = "INSERT OR REPLACE INTO fix_sent(session, seqnum, msg) VALUES(?1, ?2, ?3)",
    [W_FIXSENT_SEQ] =
        "INSERT INTO fix_sessions(session, next_in, next_out) VALUES(?1, 1, ?2) "
        "ON CONFLICT(session) DO UPDATE SET next_out = "
        "max(next_out, excluded.next_out)",
    [W_FIXDEL] = "DELETE FROM fix_sent WHERE session = ?1",
    [W_FIXRESET] =
        "INSERT OR REPLACE INTO fix_sessions(session, next_in, next_out) "
        "VALUES(?1, 1, 1)",
    [W_CURSOR] = "INSERT OR REPLACE INTO sink_cursors(sink, seq) VALUES(?1, ?2)",
    [W_LIMIT] =
        "INSERT OR REPLACE INTO limit_changes(seq, ts_ns, who, line) VALUES(?1, ?2, ?3, ?4)",
    [W_PNL_BASE] =
        "INSERT OR REPLACE INTO pnl_bases(day_start_ns, account_id, base) VALUES(?1, ?2, ?3)",
    [W_PARENT] = OMS__SQL_PARENT_PUT,
    [W_ORDER_PARENT] = OMS__SQL_ORDER_PARENT_PUT,
    [W_BESTEX] = OMS__SQL_BESTEX_PUT,
    [W_BESTEX_DEL] = OMS__SQL_BESTEX_DEL_VENUES,
    [W_BESTEX_VENUE] = OMS__SQL_BESTEX_VENUE_PUT,
};

static const char *const wlabel[W_COUNT] = {
    [W_BEGIN] = "BEGIN",
    [W_COMMIT] = "COMMIT",
    [W_EVENT] = "sqlite3_step(INSERT events)",
    [W_ORDER] = "sqlite3_step(UPSERT orders)",
    [W_FILL] = "sqlite3_step(INSERT fills)",
    [W_TSTATE] = "sqlite3_step(UPSERT trading_states)",
    [W_POSITION_GET] = "sqlite3_step(SELECT positions)",
    [W_POSITION] = "sqlite3_step(UPSERT positions)",
    [W_FIXSEQ] = "sqlite3_step(UPSERT fix_sessions)",
    [W_FIXSENT] = "sqlite3_step(INSERT fix_sent)",
    [W_FIXSENT_SEQ] = "sqlite3_step(UPDATE fix_sessions)",
    [W_FIXDEL] = "sqlite3_step(DELETE fix_sent)",
    [W_FIXRESET] = "sqlite3_step(RESET fix_sessions)",
    [W_CURSOR] = "sqlite3_step(UPSERT sink_cursors)",
    [W_LIMIT] = "sqlite3_step(INSERT limit_changes)",
    [W_PNL_BASE] = "sqlite3_step(UPSERT pnl_bases)",
    [W_PARENT] = "sqlite3_step(UPSERT parents)",
    [W_ORDER_PARENT] = "sqlite3_step(UPSERT order_parents)",
    [W_BESTEX] = "sqlite3_step(UPSERT best_execution)",
    [W_BESTEX_DEL] = "sqlite3_step(DELETE best_execution_venues)",
    [W_BESTEX_VENUE] = "sqlite3_step(INSERT best_execution_venues)",
};

typedef struct sq_s {
  oms_store_t base;
  oms_store_config_t cfg;
  char *path;
  sqlite3 *wdb, *rdb, *cdb;
  sqlite3_stmt *w[W_COUNT];
  sqlite3_stmt *wproj; /* the projection's cursor (oms__sqlite_project) */

  oms__rec_t *q;
  uint64_t cap, mask;
  _Alignas(64) _Atomic uint64_t head; /* producers (under mu) */
  _Alignas(64) _Atomic uint64_t tail; /* writer */
  _Alignas(64) _Atomic uint64_t durable;
  _Atomic bool failed;
  _Atomic uint64_t n_appends, n_refused, n_txn, n_records, n_max_batch, n_failures, n_ckpt;
  oms__commit_hist_t
      commit_hist; /* written by whoever commits (writer, or appender when synchronous) */

  pthread_mutex_t mu;   /* producers, writer state, waiters */
  pthread_cond_t wake;  /* the writer sleeps on it */
  pthread_cond_t done;  /* waiters: a batch committed or failed */
  uint64_t next_ticket; /* last ticket handed out */
  uint64_t last_seq;    /* highest event seq appended */
  uint64_t attempts;    /* batch attempts finished */
  bool stop, closing, writer_waiting, recover_req;
  oms_store_error_t err;

  pthread_mutex_t rmu; /* rdb */
  pthread_mutex_t wmu; /* wdb (NOMUTEX) while the writer thread uses it; uncontended but for
                          the test hook oms__store_sqlite_exec */

  _Atomic bool wake_req;  /* stop or recovery asked: ends the writer's spin */
  _Atomic int wal_frames; /* WAL frames after the last commit; 0 after a complete checkpoint */
  _Atomic int64_t last_commit_mono;
  int64_t last_ckpt_mono;  /* writer */
  int trig_at;             /* writer: WAL frames when it last asked for a checkpoint */
  _Atomic bool bg_busy;    /* the checkpointer thread is asked / running */
  _Atomic bool finish_req; /* the checkpointer ran: the writer finishes when idle */
  pthread_mutex_t cmu;     /* checkpointer */
  pthread_mutex_t ckmu;    /* held during every checkpoint */
  pthread_cond_t ccv;
  bool cstop;

  pthread_t writer, ckpt;
  bool threads;
  int efd;

  uint8_t body[OMS_EVENT_BIN_MAX]; /* write path scratch (writer only) */
  uint8_t snap[OMS_ORDER_BIN_MAX];
} sq_t;

static int64_t mono_ns(void) { return oms__store_mono_ns(); }

static struct timespec mono_at(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  return ts;
}

/* ---- The seam -------------------------------------------------------------- */

static int inject(sq_t *s, const char *call) {
  const oms_store_fault_t *f = s->cfg.fault;
  return f != NULL && f->inject != NULL ? f->inject(f->ctx, call) : 0;
}

static int errno_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return ENOSPC;
    case SQLITE_IOERR: return EIO;
    case SQLITE_BUSY: return EBUSY;
    default: return 0;
  }
}

static void set_err(sq_t *s, sqlite3 *db, oms_store_error_t *e, const char *call, int rc,
                    bool injected) {
  memset(e, 0, sizeof(*e));
  snprintf(e->call, sizeof e->call, "%s", call);
  if (injected) {
    e->code = rc;
    e->sys_errno = errno_for(rc);
    snprintf(e->message, sizeof e->message, "injected: %s", sqlite3_errstr(rc));
  } else {
    e->code = db ? sqlite3_extended_errcode(db) : rc;
    if ((e->code & 0xff) != (rc & 0xff)) e->code = rc;
    e->sys_errno = db ? sqlite3_system_errno(db) : 0;
    snprintf(e->message, sizeof e->message, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }
  (void)s;
}

/* Steps a write statement to completion through the seam, then resets it.
 * Returns SQLITE_OK or the failure (with *e set). */
static int run(sq_t *s, int which, oms_store_error_t *e) {
  sqlite3_stmt *st = s->w[which];
  int rc = inject(s, wlabel[which]);
  bool inj = rc != 0;
  if (!inj) rc = sqlite3_step(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return SQLITE_OK;
  }
  set_err(s, s->wdb, e, wlabel[which], rc, inj);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* ---- Writing one record ------------------------------------------------------ */

#define BIND_TEXT(st, i, str) sqlite3_bind_text((st), (i), (str), -1, SQLITE_STATIC)

static int write_order(sq_t *s, const oms_event_t *ev, oms_store_error_t *e) {
  const oms_order_t *o = &ev->order;
  sqlite3_stmt *st = s->w[W_ORDER];
  char dq[OMS_DEC_STRLEN], dp[OMS_DEC_STRLEN], ds[OMS_DEC_STRLEN], df[OMS_DEC_STRLEN],
      dl[OMS_DEC_STRLEN], da[OMS_DEC_STRLEN];
  int n = oms_order_encode(o, s->snap, sizeof s->snap);
  if (n < 0) {
    set_err(s, NULL, e, "oms_order_encode", SQLITE_TOOBIG, false);
    return SQLITE_TOOBIG;
  }
  oms_dec_format(o->qty, dq, sizeof dq);
  oms_dec_format(o->price, dp, sizeof dp);
  oms_dec_format(o->stop_price, ds, sizeof ds);
  oms_dec_format(o->filled_qty, df, sizeof df);
  oms_dec_format(o->leaves_qty, dl, sizeof dl);
  oms_dec_format(o->avg_px, da, sizeof da);
  sqlite3_bind_int64(st, 1, (sqlite3_int64)o->order_id);
  BIND_TEXT(st, 2, o->client_order_id);
  BIND_TEXT(st, 3, o->strategy_id);
  BIND_TEXT(st, 4, o->account_id);
  BIND_TEXT(st, 5, o->venue);
  BIND_TEXT(st, 6, o->symbol);
  BIND_TEXT(st, 7, o->venue_order_id);
  BIND_TEXT(st, 8, oms_side_str(o->side));
  BIND_TEXT(st, 9, oms_ord_type_str(o->type));
  BIND_TEXT(st, 10, oms_tif_str(o->tif));
  BIND_TEXT(st, 11, dq);
  BIND_TEXT(st, 12, dp);
  BIND_TEXT(st, 13, ds);
  BIND_TEXT(st, 14, oms_ord_state_str(o->state));
  sqlite3_bind_int(st, 15, oms_ord_state_is_terminal(o->state) ? 1 : 0);
  BIND_TEXT(st, 16, df);
  BIND_TEXT(st, 17, dl);
  BIND_TEXT(st, 18, da);
  sqlite3_bind_int(st, 19, (int)o->reject_code);
  BIND_TEXT(st, 20, o->reject_reason);
  sqlite3_bind_int64(st, 21, o->created_ns);
  sqlite3_bind_int64(st, 22, o->updated_ns);
  sqlite3_bind_int64(st, 23, (sqlite3_int64)ev->seq);
  sqlite3_bind_blob(st, 24, s->snap, n, SQLITE_STATIC);
  int rc = run(s, W_ORDER, e);
  if (rc != SQLITE_OK || (o->parent_order_id == 0 && o->algo == 0)) return rc;
  /* a parent or a child: its row of order_parents (the same at every event) */
  st = s->w[W_ORDER_PARENT];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)o->order_id);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)o->parent_order_id);
  sqlite3_bind_int64(st, 3, o->child_seq);
  BIND_TEXT(st, 4, o->algo ? oms_algo_strategy_name((oms_algo_strategy_t)o->algo) : "");
  return run(s, W_ORDER_PARENT, e);
}

static int write_fill(sq_t *s, const oms_event_t *ev, oms_store_error_t *e) {
  const oms_order_t *o = &ev->order;
  sqlite3_stmt *st = s->w[W_FILL];
  char dq[OMS_DEC_STRLEN], dp[OMS_DEC_STRLEN], df[OMS_DEC_STRLEN];
  char liq[2] = {ev->fill.liquidity, '\0'};
  oms_dec_format(ev->fill.qty, dq, sizeof dq);
  oms_dec_format(ev->fill.price, dp, sizeof dp);
  oms_dec_format(ev->fill.fee, df, sizeof df);
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)o->order_id);
  BIND_TEXT(st, 3, ev->fill.exec_id);
  BIND_TEXT(st, 4, o->strategy_id);
  BIND_TEXT(st, 5, o->account_id);
  BIND_TEXT(st, 6, o->symbol);
  BIND_TEXT(st, 7, oms_side_str(o->side));
  BIND_TEXT(st, 8, dq);
  BIND_TEXT(st, 9, dp);
  BIND_TEXT(st, 10, df);
  BIND_TEXT(st, 11, liq);
  sqlite3_bind_int64(st, 12, ev->event_ns);
  return run(s, W_FILL, e);
}

typedef struct wctx_s {
  sq_t *s;
  oms_store_error_t *e;
} wctx_t;

/* oms__position_write's step: through the seam, failures reported as run()
 * reports them. */
static int wstep(void *ctx, sqlite3_stmt *st, const char *label) {
  wctx_t *c = ctx;
  int rc = inject(c->s, label);
  bool inj = rc != 0;
  if (!inj) rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) set_err(c->s, c->s->wdb, c->e, label, rc, inj);
  return rc;
}

/* order_row: whether the order's row is written (the projection writes it
 * once per batch, for the order's last event in it). */
static int write_event(sq_t *s, const oms_event_t *ev, bool order_row, oms_store_error_t *e) {
  sqlite3_stmt *st = s->w[W_EVENT];
  int n = oms_event_encode(ev, s->body, sizeof s->body);
  if (n < 0) {
    set_err(s, NULL, e, "oms_event_encode", SQLITE_TOOBIG, false);
    return SQLITE_TOOBIG;
  }
  bool is_order = oms_event_is_order(ev->type) && ev->order.order_id != 0;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
  BIND_TEXT(st, 2, oms_event_type_name(ev->type));
  if (oms__event_has_order(ev)) sqlite3_bind_int64(st, 3, (sqlite3_int64)ev->order.order_id);
  if (is_order) BIND_TEXT(st, 5, oms_ord_state_str(ev->order.state));
  sqlite3_bind_int64(st, 4, ev->event_ns);
  sqlite3_bind_blob(st, 6, s->body, n, SQLITE_STATIC);
  int rc = run(s, W_EVENT, e);
  if (rc == SQLITE_OK && is_order && order_row) rc = write_order(s, ev, e);
  if (rc == SQLITE_OK && oms__event_is_fill(ev)) rc = write_fill(s, ev, e);
  if (rc == SQLITE_OK && oms__event_books(ev)) {
    wctx_t c = {s, e};
    rc = oms__position_write(s->w[W_POSITION_GET], s->w[W_POSITION], ev, wstep, &c);
  }
  if (rc == SQLITE_OK && ev->type == OMS_EVT_TRADING_STATE_CHANGED) {
    st = s->w[W_TSTATE];
    sqlite3_bind_int(st, 1, ev->scope_kind);
    BIND_TEXT(st, 2, ev->scope_id);
    sqlite3_bind_int(st, 3, ev->new_state);
    BIND_TEXT(st, 4, ev->text);
    sqlite3_bind_int64(st, 5, ev->event_ns);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)ev->seq);
    rc = run(s, W_TSTATE, e);
  }
  if (rc == SQLITE_OK && ev->type == OMS_EVT_BEST_EXECUTION) {
    wctx_t c = {s, e};
    rc = oms__bestex_write(&s->w[W_BESTEX], ev, wstep, &c);
  } else if (rc == SQLITE_OK && ev->algo_len > 0) {
    wctx_t c = {s, e};
    rc = oms__parent_write(s->w[W_PARENT], ev, wstep, &c);
  }
  return rc;
}

/* last: the record is its order's last event, or its session's last
 * FIX_SENT or FIX_SEQNUMS, in the batch (oms__last_per_order); only those
 * write the order's row or the session's row. Skipping the others changes
 * nothing: a FIX_SEQNUMS sets the row outright, so an earlier one and every
 * change between the two are overwritten by the later; and next_out only
 * grows between the records that set it outright (a session's sequence
 * numbers grow), so the last FIX_SENT's max() holds the earlier ones'. */
static int write_rec(sq_t *s, const oms__rec_t *r, bool last, oms_store_error_t *e) {
  sqlite3_stmt *st;
  int rc;
  switch (r->kind) {
    case OMS__REC_EVENT: return write_event(s, &r->u.ev, last, e);
    case OMS__REC_FIX_SEQNUMS:
      if (!last) return SQLITE_OK;
      st = s->w[W_FIXSEQ];
      BIND_TEXT(st, 1, r->u.fix.session);
      sqlite3_bind_int64(st, 2, r->u.fix.next_in);
      sqlite3_bind_int64(st, 3, r->u.fix.next_out);
      return run(s, W_FIXSEQ, e);
    case OMS__REC_FIX_SENT:
      st = s->w[W_FIXSENT];
      BIND_TEXT(st, 1, r->u.fix.session);
      sqlite3_bind_int64(st, 2, r->u.fix.seqnum);
      sqlite3_bind_blob(st, 3, r->u.fix.msg, (int)r->u.fix.len, SQLITE_STATIC);
      rc = run(s, W_FIXSENT, e);
      if (rc != SQLITE_OK || !last) return rc;
      st = s->w[W_FIXSENT_SEQ];
      BIND_TEXT(st, 1, r->u.fix.session);
      sqlite3_bind_int64(st, 2, r->u.fix.seqnum + 1);
      return run(s, W_FIXSENT_SEQ, e);
    case OMS__REC_FIX_RESET:
      BIND_TEXT(s->w[W_FIXDEL], 1, r->u.fix.session);
      rc = run(s, W_FIXDEL, e);
      if (rc != SQLITE_OK) return rc;
      BIND_TEXT(s->w[W_FIXRESET], 1, r->u.fix.session);
      return run(s, W_FIXRESET, e);
    case OMS__REC_CURSOR:
      st = s->w[W_CURSOR];
      BIND_TEXT(st, 1, r->u.cur.sink);
      sqlite3_bind_int64(st, 2, (sqlite3_int64)r->u.cur.seq);
      return run(s, W_CURSOR, e);
    case OMS__REC_LIMIT:
      st = s->w[W_LIMIT];
      sqlite3_bind_int64(st, 1, (sqlite3_int64)r->u.lim.seq);
      sqlite3_bind_int64(st, 2, r->u.lim.ts_ns);
      BIND_TEXT(st, 3, r->u.lim.who);
      sqlite3_bind_text(st, 4, r->u.lim.line, (int)r->u.lim.len, SQLITE_STATIC);
      return run(s, W_LIMIT, e);
    case OMS__REC_PNL_BASE: {
      char base[OMS_DEC_STRLEN];
      oms_dec_format(r->u.pnl.base, base, sizeof base);
      st = s->w[W_PNL_BASE];
      sqlite3_bind_int64(st, 1, r->u.pnl.day_start_ns);
      BIND_TEXT(st, 2, r->u.pnl.account_id);
      sqlite3_bind_text(st, 3, base, -1, SQLITE_TRANSIENT);
      return run(s, W_PNL_BASE, e);
    }
    default: return SQLITE_OK; /* OMS__REC_NOP */
  }
}

static void rollback(sq_t *s) {
  if (sqlite3_get_autocommit(s->wdb)) return;
  if (inject(s, "ROLLBACK") != 0) return; /* left open: the next attempt rolls back first */
  sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
}

/* Writes records [from, to) in one transaction. Returns SQLITE_OK, or the
 * failure with *e set and nothing of the batch left in the database. A
 * commit's duration goes into the histogram before it is published durable,
 * so whoever sees the ticket durable sees it counted. */
static int write_batch(sq_t *s, uint64_t from, uint64_t to, oms_store_error_t *e) {
  int64_t t0 = mono_ns();
  rollback(s); /* a transaction a failed ROLLBACK left open */
  if (!sqlite3_get_autocommit(s->wdb)) {
    set_err(s, s->wdb, e, "ROLLBACK", SQLITE_IOERR, true);
    return SQLITE_IOERR;
  }
  int rc = run(s, W_BEGIN, e);
  if (rc != SQLITE_OK) return rc;
  for (uint64_t i = from; i < to; i++) {
    rc = write_rec(s, &s->q[i & s->mask], true, e);
    if (rc != SQLITE_OK) goto undo;
  }
  rc = run(s, W_COMMIT, e);
  if (rc != SQLITE_OK) goto undo;
  oms__commit_hist_add(&s->commit_hist, mono_ns() - t0);
  return SQLITE_OK;
undo:
  rollback(s);
  return rc;
}

/* A PASSIVE checkpoint on db (never inside a commit: wal_autocheckpoint is
 * 0). When it copies every frame (no reader holds an older snapshot and no
 * commit came in meanwhile), the next write transaction restarts the WAL from
 * its first frame: the WAL is then overwritten in place, never grows, and a
 * commit's fdatasync has no new file size to flush. Returns whether it was
 * complete. */
static bool checkpoint_now(sq_t *s, sqlite3 *db) {
  int log = 0, ckpt = 0;
  /* One at a time: a PASSIVE checkpoint meeting another one returns
   * SQLITE_BUSY at once, and the writer's (the one that restarts the WAL)
   * must not be lost that way, or the WAL grows again under load. */
  pthread_mutex_lock(&s->ckmu);
  int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt);
  pthread_mutex_unlock(&s->ckmu);
  if (rc != SQLITE_OK) return false;
  atomic_fetch_add_explicit(&s->n_ckpt, 1, memory_order_relaxed);
  if (log != ckpt) return false;
  int seen = log;
  atomic_compare_exchange_strong(&s->wal_frames, &seen, 0);
  return true;
}

/* After a batch attempt: publish the outcome. Called without mu. */
static void batch_done(sq_t *s, uint64_t from, uint64_t to, int rc, oms_store_error_t *e) {
  if (rc == SQLITE_OK) {
    uint64_t ticket = s->q[(to - 1) & s->mask].ticket;
    uint64_t first = s->q[from & s->mask].ticket; /* read before tail frees the slots */
    uint64_t n = to - from;
    atomic_fetch_add_explicit(&s->n_txn, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->n_records, n, memory_order_relaxed);
    if (n > atomic_load_explicit(&s->n_max_batch, memory_order_relaxed))
      atomic_store_explicit(&s->n_max_batch, n, memory_order_relaxed);
    atomic_store_explicit(&s->last_commit_mono, mono_ns(), memory_order_relaxed);
    /* durable before tail: a ticket is never behind the space it frees. */
    atomic_store_explicit(&s->durable, ticket, memory_order_release);
    atomic_store_explicit(&s->tail, to, memory_order_release);
    if (s->efd >= 0) {
      uint64_t one = 1;
      ssize_t w = write(s->efd, &one, sizeof one);
      (void)w;
    }
    if (s->cfg.on_durable) s->cfg.on_durable(s->cfg.ctx, ticket);
    if (atomic_load(&s->failed) && s->cfg.on_error) {
      oms_store_error_t ok;
      memset(&ok, 0, sizeof ok);
      snprintf(ok.call, sizeof ok.call, "recovered");
      ok.first_ticket = first;
      ok.last_ticket = ticket;
      s->cfg.on_error(s->cfg.ctx, &ok);
    }
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->failed, false);
    s->attempts++;
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->mu);
  } else {
    e->first_ticket = s->q[from & s->mask].ticket;
    e->last_ticket = s->q[(to - 1) & s->mask].ticket;
    atomic_fetch_add_explicit(&s->n_failures, 1, memory_order_relaxed);
    /* Reported before waiters learn of it: the log line comes first. */
    if (s->cfg.on_error) s->cfg.on_error(s->cfg.ctx, e);
    pthread_mutex_lock(&s->mu);
    s->err = *e;
    atomic_store(&s->failed, true);
    s->attempts++;
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->mu);
  }
}

/* Spins (without mu) until the queue is not empty, stop or recovery is
 * asked, or spin_ns passed. Waking a sleeping thread on the other core costs
 * about 45 us on this machine; a short spin catches the next append of a
 * steady flow without it, and lets the producer skip the condvar signal. */
static bool spin_for_work(sq_t *s, uint64_t tail) {
  if (s->cfg.writer_spin_ns <= 0) return false;
  int64_t until = mono_ns() + s->cfg.writer_spin_ns;
  for (unsigned i = 1;; i++) {
    if (atomic_load_explicit(&s->head, memory_order_acquire) != tail ||
        atomic_load_explicit(&s->wake_req, memory_order_acquire))
      return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if ((i & 63) == 0 && mono_ns() >= until) return false;
  }
}

/* When the writer, idle, checkpoints by itself: checkpoint_idle_ns after the
 * last commit or checkpoint. */
static int64_t idle_checkpoint_at(sq_t *s) {
  int64_t c = atomic_load_explicit(&s->last_commit_mono, memory_order_relaxed);
  return (c > s->last_ckpt_mono ? c : s->last_ckpt_mono) + s->cfg.checkpoint_idle_ns;
}

/* The writer's checkpoint, between two batches. */
static void writer_checkpoint(sq_t *s) {
  pthread_mutex_lock(&s->wmu);
  bool complete = checkpoint_now(s, s->wdb);
  pthread_mutex_unlock(&s->wmu);
  atomic_store_explicit(&s->finish_req, false, memory_order_relaxed);
  s->last_ckpt_mono = mono_ns();
  s->trig_at = complete ? 0 : atomic_load_explicit(&s->wal_frames, memory_order_relaxed);
}

/* After a commit: every checkpoint_pages new frames, the checkpointer thread
 * copies them to the database (its own connection, concurrently with the
 * commits); the writer finishes the job at its next idle moment (see
 * writer_main), which is short since only the frames since then are left.
 * If the writer is never idle, it checkpoints at 4 x checkpoint_pages so the
 * WAL stays bounded. */
static void after_commit(sq_t *s) {
  int frames = atomic_load_explicit(&s->wal_frames, memory_order_relaxed);
  int pages = (int)s->cfg.checkpoint_pages;
  if (frames < s->trig_at) s->trig_at = 0; /* the WAL restarted */
  /* fsync mode: the WAL is synced by every commit, so a checkpoint costs the
   * database writes and one fdatasync; done by the writer itself it does not
   * compete with the commits for the disk (measured: better p99 than the
   * checkpointer thread). os mode: a checkpoint must first sync the WAL,
   * which no commit did; the checkpointer thread takes that. */
  bool fsync_mode = s->cfg.durability == OMS_DURABILITY_FSYNC;
  if (frames >= s->trig_at + (fsync_mode ? 1 : 4) * pages) {
    writer_checkpoint(s);
  } else if (frames >= s->trig_at + pages &&
             !atomic_load_explicit(&s->bg_busy, memory_order_acquire) &&
             !atomic_load_explicit(&s->finish_req, memory_order_relaxed)) {
    s->trig_at = frames;
    pthread_mutex_lock(&s->cmu);
    atomic_store_explicit(&s->bg_busy, true, memory_order_release);
    pthread_cond_signal(&s->ccv);
    pthread_mutex_unlock(&s->cmu);
  }
}

static void *writer_main(void *arg) {
  sq_t *s = arg;
  pthread_setname_np(pthread_self(), "oms-sq-writer");
  int64_t delay = s->cfg.retry_initial_ns;
  int64_t due = 0;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    atomic_store_explicit(&s->wake_req, false, memory_order_relaxed);
    if (atomic_load(&s->failed)) {
      if (s->recover_req) {
        s->recover_req = false;
      } else if (s->stop) {
        break;
      } else if (s->cfg.retry_initial_ns < 0) {
        pthread_cond_wait(&s->wake, &s->mu);
        continue;
      } else if (mono_ns() < due) {
        struct timespec ts = mono_at(due);
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
        continue;
      }
    } else if (head == tail) {
      if (s->stop) break;
      pthread_mutex_unlock(&s->mu);
      bool work = false;
      if (atomic_load_explicit(&s->finish_req, memory_order_relaxed) &&
          atomic_load_explicit(&s->wal_frames, memory_order_relaxed) > 0)
        writer_checkpoint(s); /* the checkpointer ran: finish while the queue is empty */
      else
        work = spin_for_work(s, tail);
      if (!work && atomic_load_explicit(&s->wal_frames, memory_order_relaxed) <= 0)
        atomic_store_explicit(&s->finish_req, false, memory_order_relaxed); /* nothing left */
      else if (!work && (atomic_load_explicit(&s->finish_req, memory_order_relaxed) ||
                         mono_ns() >= idle_checkpoint_at(s)))
        writer_checkpoint(s);
      pthread_mutex_lock(&s->mu);
      if (work || atomic_load_explicit(&s->head, memory_order_acquire) != tail || s->stop) continue;
      /* Sleep; with frames in the WAL, only until the idle checkpoint is due. */
      s->writer_waiting = true;
      if (atomic_load_explicit(&s->finish_req, memory_order_relaxed)) {
        /* the checkpointer finished meanwhile: go round again */
      } else if (atomic_load_explicit(&s->wal_frames, memory_order_relaxed) > 0) {
        struct timespec ts = mono_at(idle_checkpoint_at(s));
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
      } else {
        pthread_cond_wait(&s->wake, &s->mu);
      }
      s->writer_waiting = false;
      continue;
    }
    pthread_mutex_unlock(&s->mu);
    oms_store_error_t e;
    pthread_mutex_lock(&s->wmu);
    int rc = write_batch(s, tail, head, &e);
    pthread_mutex_unlock(&s->wmu);
    batch_done(s, tail, head, rc, &e);
    if (rc == SQLITE_OK) {
      delay = s->cfg.retry_initial_ns;
      after_commit(s);
    } else {
      due = mono_ns() + delay;
      delay = delay * 2 > s->cfg.retry_max_ns ? s->cfg.retry_max_ns : delay * 2;
    }
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* The checkpointer thread: when the writer asks, a PASSIVE checkpoint on its
 * own connection, then it asks the writer to finish at its next idle moment. */
static void *ckpt_main(void *arg) {
  sq_t *s = arg;
  pthread_setname_np(pthread_self(), "oms-sq-ckpt");
  pthread_mutex_lock(&s->cmu);
  for (;;) {
    while (!s->cstop && !atomic_load_explicit(&s->bg_busy, memory_order_acquire))
      pthread_cond_wait(&s->ccv, &s->cmu);
    if (s->cstop) break;
    pthread_mutex_unlock(&s->cmu);
    checkpoint_now(s, s->cdb);
    atomic_store_explicit(&s->finish_req, true, memory_order_relaxed);
    atomic_store_explicit(&s->bg_busy, false, memory_order_release);
    pthread_mutex_lock(&s->mu);
    if (s->writer_waiting) pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->cmu);
  }
  pthread_mutex_unlock(&s->cmu);
  return NULL;
}

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames) {
  (void)db;
  (void)name;
  atomic_store_explicit(&((sq_t *)ctx)->wal_frames, frames, memory_order_relaxed);
  return SQLITE_OK;
}

/* ---- Appending ------------------------------------------------------------------ */

typedef struct slot_ctx_s {
  sq_t *s;
  uint64_t at;
} slot_ctx_t;

static oms__rec_t *slot_at(void *ctx, size_t i) {
  slot_ctx_t *c = ctx;
  return &c->s->q[(c->at + i) & c->s->mask];
}

/* Reserves n records under mu: 0, or the refusal. */
static int reserve(sq_t *s, size_t n, unsigned flags) {
  if (s->closing) return OMS_ECLOSED;
  if (atomic_load(&s->failed) && !(flags & OMS_STORE_APPEND_MUST)) return OMS_ESTORE;
  uint64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit(&s->tail, memory_order_acquire);
  if (head - tail + n > s->cap) return OMS_EFULL;
  return 0;
}

/* Publishes n records written at head (under mu) and commits them inline in
 * synchronous mode. */
static int commit_appended(sq_t *s, size_t n, uint64_t *ticket) {
  uint64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
  *ticket = s->next_ticket;
  if (!s->cfg.synchronous) {
    atomic_fetch_add_explicit(&s->n_appends, 1, memory_order_relaxed);
    atomic_store_explicit(&s->head, head + n, memory_order_release);
    if (s->writer_waiting) pthread_cond_signal(&s->wake);
    return 0;
  }
  oms_store_error_t e;
  atomic_store_explicit(&s->head, head + n, memory_order_release);
  int rc = write_batch(s, head, head + n, &e);
  if (rc != SQLITE_OK) {
    e.first_ticket = e.last_ticket = *ticket;
    s->err = e;
    atomic_store(&s->failed, true);
    atomic_fetch_add_explicit(&s->n_failures, 1, memory_order_relaxed);
    atomic_store_explicit(&s->tail, head + n, memory_order_release); /* dropped */
    if (s->cfg.on_error) s->cfg.on_error(s->cfg.ctx, &e);
    return OMS_ESTORE;
  }
  atomic_fetch_add_explicit(&s->n_appends, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->n_txn, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->n_records, n, memory_order_relaxed);
  if (n > atomic_load_explicit(&s->n_max_batch, memory_order_relaxed))
    atomic_store_explicit(&s->n_max_batch, n, memory_order_relaxed);
  atomic_store_explicit(&s->durable, *ticket, memory_order_release);
  atomic_store_explicit(&s->tail, head + n, memory_order_release);
  atomic_store(&s->failed, false);
  if (atomic_load_explicit(&s->wal_frames, memory_order_relaxed) >= (int)s->cfg.checkpoint_pages)
    checkpoint_now(s, s->wdb);
  return 0;
}

static int sq_append(oms_store_t *base, const oms_store_unit_t *u, unsigned flags,
                     uint64_t *ticket) {
  sq_t *s = (sq_t *)base;
  size_t n;
  uint64_t max_seq;
  *ticket = 0;
  pthread_mutex_lock(&s->mu);
  int rc = oms__unit_check(u, s->last_seq, &n, &max_seq);
  if (rc == 0) rc = reserve(s, n == 0 ? 1 : n, flags);
  if (rc != 0) {
    atomic_fetch_add_explicit(&s->n_refused, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->mu);
    return rc;
  }
  uint64_t t = ++s->next_ticket;
  slot_ctx_t c = {s, atomic_load_explicit(&s->head, memory_order_relaxed)};
  if (n == 0) {
    oms__rec_t *r = slot_at(&c, 0);
    r->ticket = t;
    r->kind = OMS__REC_NOP;
    n = 1;
  } else {
    oms__unit_fill(u, t, slot_at, &c);
  }
  uint64_t prev_seq = s->last_seq;
  s->last_seq = max_seq;
  rc = commit_appended(s, n, ticket);
  if (rc != 0) { /* synchronous and not stored: as if never appended */
    s->last_seq = prev_seq;
    s->next_ticket--;
    *ticket = 0;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

/* Appends one non-unit record built by fill(). */
static int append_one(sq_t *s, oms__rec_kind_t kind, void (*fill)(oms__rec_t *, const void *),
                      const void *arg, uint64_t *ticket) {
  uint64_t dummy;
  if (ticket == NULL) ticket = &dummy;
  *ticket = 0;
  pthread_mutex_lock(&s->mu);
  int rc = reserve(s, 1, 0);
  if (rc != 0) {
    atomic_fetch_add_explicit(&s->n_refused, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->mu);
    return rc;
  }
  oms__rec_t *r = &s->q[atomic_load_explicit(&s->head, memory_order_relaxed) & s->mask];
  r->ticket = ++s->next_ticket;
  r->kind = kind;
  fill(r, arg);
  rc = commit_appended(s, 1, ticket);
  if (rc != 0) {
    s->next_ticket--;
    *ticket = 0;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

typedef struct fix_arg_s {
  const char *session;
  int64_t next_in, next_out, seqnum;
  const char *msg;
  size_t len;
} fix_arg_t;

static void fill_fix(oms__rec_t *r, const void *arg) {
  const fix_arg_t *a = arg;
  snprintf(r->u.fix.session, sizeof r->u.fix.session, "%s", a->session);
  r->u.fix.next_in = a->next_in;
  r->u.fix.next_out = a->next_out;
  r->u.fix.seqnum = a->seqnum;
  r->u.fix.len = (uint32_t)a->len;
  if (a->len) memcpy(r->u.fix.msg, a->msg, a->len);
}

static bool session_ok(const char *session) {
  return session != NULL && session[0] != '\0' && strlen(session) <= OMS_STORE_SESSION_MAX;
}

static int sq_fix_set_seqnums(oms_store_t *base, const char *session, int64_t next_in,
                              int64_t next_out, uint64_t *ticket) {
  if (!session_ok(session) || next_in < 1 || next_out < 1) return OMS_EINVAL;
  fix_arg_t a = {session, next_in, next_out, 0, NULL, 0};
  return append_one((sq_t *)base, OMS__REC_FIX_SEQNUMS, fill_fix, &a, ticket);
}

static int sq_fix_save_sent(oms_store_t *base, const char *session, int64_t seqnum, const char *msg,
                            size_t len, uint64_t *ticket) {
  if (!session_ok(session) || seqnum < 1 || (msg == NULL && len > 0)) return OMS_EINVAL;
  if (len > OMS_STORE_FIX_MSG_MAX) return OMS_ENOSPC;
  fix_arg_t a = {session, 0, 0, seqnum, msg, len};
  return append_one((sq_t *)base, OMS__REC_FIX_SENT, fill_fix, &a, ticket);
}

static int sq_fix_reset(oms_store_t *base, const char *session, uint64_t *ticket) {
  if (!session_ok(session)) return OMS_EINVAL;
  fix_arg_t a = {session, 1, 1, 0, NULL, 0};
  return append_one((sq_t *)base, OMS__REC_FIX_RESET, fill_fix, &a, ticket);
}

typedef struct cur_arg_s {
  const char *sink;
  uint64_t seq;
} cur_arg_t;

static void fill_cursor(oms__rec_t *r, const void *arg) {
  const cur_arg_t *a = arg;
  snprintf(r->u.cur.sink, sizeof r->u.cur.sink, "%s", a->sink);
  r->u.cur.seq = a->seq;
}

static int sq_cursor_set(oms_store_t *base, const char *sink, uint64_t seq, uint64_t *ticket) {
  if (sink == NULL || sink[0] == '\0' || strlen(sink) > OMS_ID_MAX) return OMS_EINVAL;
  cur_arg_t a = {sink, seq};
  return append_one((sq_t *)base, OMS__REC_CURSOR, fill_cursor, &a, ticket);
}

typedef struct lim_arg_s {
  uint64_t seq;
  int64_t ts_ns;
  const char *who, *line;
  size_t len;
} lim_arg_t;

static void fill_limit(oms__rec_t *r, const void *arg) {
  const lim_arg_t *a = arg;
  r->u.lim.seq = a->seq;
  r->u.lim.ts_ns = a->ts_ns;
  snprintf(r->u.lim.who, sizeof r->u.lim.who, "%s", a->who);
  r->u.lim.len = (uint32_t)a->len;
  memcpy(r->u.lim.line, a->line, a->len);
}

/* Its arguments checked by oms_store_limit_append. */
static int sq_limit_append(oms_store_t *base, uint64_t seq, int64_t ts_ns, const char *who,
                           const char *line, size_t len, uint64_t *ticket) {
  lim_arg_t a = {seq, ts_ns, who, line, len};
  return append_one((sq_t *)base, OMS__REC_LIMIT, fill_limit, &a, ticket);
}

static void fill_pnl_base(oms__rec_t *r, const void *arg) {
  r->u.pnl = *(const oms_pnl_base_row_t *)arg;
}

/* Its arguments checked by oms_store_pnl_base_append. */
static int sq_pnl_base_append(oms_store_t *base, const oms_pnl_base_row_t *row, uint64_t *ticket) {
  return append_one((sq_t *)base, OMS__REC_PNL_BASE, fill_pnl_base, row, ticket);
}

/* ---- Durability, waiting, recovery ------------------------------------------------ */

static uint64_t sq_durable_ticket(const oms_store_t *base) {
  return atomic_load_explicit(&((sq_t *)base)->durable, memory_order_acquire);
}

static int sq_wait(oms_store_t *base, uint64_t ticket, int64_t timeout_ns) {
  sq_t *s = (sq_t *)base;
  int64_t deadline = timeout_ns < 0 ? 0 : mono_ns() + timeout_ns;
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  while (atomic_load_explicit(&s->durable, memory_order_acquire) < ticket) {
    if (atomic_load(&s->failed) || s->cfg.synchronous) {
      rc = OMS_ESTORE;
      break;
    }
    if (timeout_ns < 0) {
      pthread_cond_wait(&s->done, &s->mu);
    } else {
      if (mono_ns() >= deadline) {
        rc = OMS_ETIMEDOUT;
        break;
      }
      struct timespec ts = mono_at(deadline);
      pthread_cond_timedwait(&s->done, &s->mu, &ts);
    }
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static int sq_recover(oms_store_t *base) {
  sq_t *s = (sq_t *)base;
  int rc = 0;
  pthread_mutex_lock(&s->mu);
  if (!atomic_load(&s->failed)) {
    pthread_mutex_unlock(&s->mu);
    return 0;
  }
  if (s->cfg.synchronous) {
    /* Nothing is queued: probe with an empty write transaction. */
    oms_store_error_t e;
    rollback(s);
    int r = run(s, W_BEGIN, &e);
    if (r == SQLITE_OK) r = run(s, W_COMMIT, &e);
    if (r != SQLITE_OK) {
      rollback(s);
      s->err = e;
      rc = OMS_ESTORE;
    } else {
      atomic_store(&s->failed, false);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
  }
  uint64_t before = s->attempts;
  s->recover_req = true;
  atomic_store_explicit(&s->wake_req, true, memory_order_release);
  pthread_cond_signal(&s->wake);
  while (s->attempts == before) pthread_cond_wait(&s->done, &s->mu);
  rc = atomic_load(&s->failed) ? OMS_ESTORE : 0;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static bool sq_failed(const oms_store_t *base) { return atomic_load(&((sq_t *)base)->failed); }

static void sq_last_error(const oms_store_t *base, oms_store_error_t *e) {
  sq_t *s = (sq_t *)base;
  pthread_mutex_lock(&s->mu);
  *e = s->err;
  pthread_mutex_unlock(&s->mu);
}

static void sq_stats(const oms_store_t *base, oms_store_stats_t *st) {
  sq_t *s = (sq_t *)base;
  memset(st, 0, sizeof(*st));
  st->appends = atomic_load(&s->n_appends);
  st->refused = atomic_load(&s->n_refused);
  st->transactions = atomic_load(&s->n_txn);
  st->records = atomic_load(&s->n_records);
  st->max_batch = atomic_load(&s->n_max_batch);
  st->failures = atomic_load(&s->n_failures);
  st->checkpoints = atomic_load(&s->n_ckpt);
  st->queued = atomic_load(&s->head) - atomic_load(&s->tail);
  oms__commit_hist_read(&s->commit_hist, st);
}

static int sq_durable_fd(const oms_store_t *base) { return ((sq_t *)base)->efd; }

/* ---- Queries ------------------------------------------------------------------------ */

/* Prepares sql on rdb (rmu held). Returns the statement or NULL. */
static sqlite3_stmt *rprep(sq_t *s, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (inject(s, "sqlite3_prepare_v2(query)") != 0) return NULL;
  if (sqlite3_prepare_v2(s->rdb, sql, -1, &st, NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return NULL;
  }
  return st;
}

/* Steps a query: SQLITE_ROW, SQLITE_DONE or an error. */
static int rstep(sq_t *s, sqlite3_stmt *st) {
  int rc = inject(s, "sqlite3_step(query)");
  return rc != 0 ? rc : sqlite3_step(st);
}

typedef int (*row_fn)(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx);

/* Runs a prepared query, calling row() for each row; finalizes st and
 * releases rmu. Returns 0, row()'s non-zero value, or OMS_ESTORE. */
static int rloop(sq_t *s, sqlite3_stmt *st, row_fn row, void *cb, void *ctx) {
  int rc;
  int out = 0;
  while ((rc = rstep(s, st)) == SQLITE_ROW) {
    out = row(s, st, cb, ctx);
    if (out != 0) break;
  }
  if (out == 0 && rc != SQLITE_DONE) out = OMS_ESTORE;
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->rmu);
  return out;
}

static int row_order(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_order_t o;
  if (oms_order_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &o) != 0)
    return OMS_ESTORE;
  return ((oms_order_cb)cb)(ctx, &o);
}

static int row_event(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_event_t ev;
  if (oms_event_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &ev) != 0)
    return OMS_ESTORE;
  return ((oms_event_cb)cb)(ctx, &ev);
}

static int row_fill(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_fill_row_t f;
  char side[8], liq[4];
  memset(&f, 0, sizeof f);
  f.seq = (uint64_t)sqlite3_column_int64(st, 0);
  f.order_id = (uint64_t)sqlite3_column_int64(st, 1);
  oms__col_text(st, 2, side, sizeof side);
  oms_side_parse(side, &f.side);
  oms__col_text(st, 3, f.symbol, sizeof f.symbol);
  f.fill.qty = oms__col_dec(st, 4);
  f.fill.price = oms__col_dec(st, 5);
  f.fill.fee = oms__col_dec(st, 6);
  oms__col_text(st, 7, liq, sizeof liq);
  f.fill.liquidity = liq[0];
  oms__col_text(st, 8, f.fill.exec_id, sizeof f.fill.exec_id);
  f.ts_ns = sqlite3_column_int64(st, 9);
  return ((oms_fill_cb)cb)(ctx, &f);
}

static int row_position(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_position_t p;
  oms__position_from_row(st, &p);
  return ((oms_position_cb)cb)(ctx, &p);
}

static int row_tstate(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_trading_state_row_t t;
  memset(&t, 0, sizeof t);
  t.scope_kind = (uint8_t)sqlite3_column_int(st, 0);
  oms__col_text(st, 1, t.scope_id, sizeof t.scope_id);
  t.state = (uint8_t)sqlite3_column_int(st, 2);
  oms__col_text(st, 3, t.reason, sizeof t.reason);
  t.updated_ns = sqlite3_column_int64(st, 4);
  t.event_seq = (uint64_t)sqlite3_column_int64(st, 5);
  return ((oms_trading_state_cb)cb)(ctx, &t);
}

static int row_fixmsg(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  return ((oms_fix_msg_cb)cb)(ctx, sqlite3_column_int64(st, 0),
                              (const char *)sqlite3_column_blob(st, 1),
                              (size_t)sqlite3_column_bytes(st, 1));
}

/* Locks rmu and prepares; on failure unlocks. */
static sqlite3_stmt *rbegin(sq_t *s, const char *sql) {
  pthread_mutex_lock(&s->rmu);
  sqlite3_stmt *st = rprep(s, sql);
  if (st == NULL) pthread_mutex_unlock(&s->rmu);
  return st;
}

static int take_order(void *ctx, const oms_order_t *o) {
  *(oms_order_t *)ctx = *o;
  return 1;
}

static int sq_get_order(oms_store_t *base, uint64_t id, oms_order_t *out) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s, "SELECT snapshot FROM orders WHERE order_id = ?1");
  if (st == NULL) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  int rc = rloop(s, st, row_order, (void *)take_order, out);
  return rc == 1 ? 0 : rc == 0 ? OMS_ENOTFOUND : rc;
}

static int sq_query_orders(oms_store_t *base, const oms_order_query_t *q, oms_order_cb cb,
                           void *ctx) {
  sq_t *s = (sq_t *)base;
  const char *state_sql = q != NULL ? oms__state_class_sql(q->state_class) : NULL;
  if (cb == NULL || state_sql == NULL) return OMS_EINVAL;
  /* A state mask becomes an IN list of the state names the rows hold. */
  char states[256] = "";
  if (q->states) {
    size_t n = (size_t)snprintf(states, sizeof states, " AND state IN (");
    const char *sep = "";
    for (int i = 0; i < OMS_STATE_COUNT && n < sizeof states; i++) {
      if (!(q->states & (1u << i))) continue;
      n += (size_t)snprintf(states + n, sizeof states - n, "%s'%s'", sep,
                            oms_ord_state_str((oms_ord_state_t)i));
      sep = ",";
    }
    /* bits above the last state match nothing */
    if (n < sizeof states) snprintf(states + n, sizeof states - n, "%s)", sep[0] ? "" : "''");
  }
  char sql[1024];
  snprintf(sql, sizeof sql,
           "SELECT snapshot FROM %s WHERE 1%s%s%s%s%s%s%s%s%s%s%s ORDER BY order_id LIMIT ?9",
           /* by parent: the parent's range of order_parents' index first (CROSS
            * JOIN keeps that order), each child's row of orders by its key */
           q->parent_order_id ? "order_parents CROSS JOIN orders USING (order_id)" : "orders",
           q->order_id ? " AND order_id = ?1" : "",
           q->client_order_id && q->client_order_id[0] ? " AND client_order_id = ?2" : "",
           q->strategy_id && q->strategy_id[0] ? " AND strategy_id = ?3" : "",
           q->account_id && q->account_id[0] ? " AND account_id = ?4" : "",
           q->symbol && q->symbol[0] ? " AND symbol = ?5" : "", q->states ? states : state_sql,
           q->created_from_ns ? " AND created_ns >= ?6" : "",
           q->created_to_ns ? " AND created_ns < ?7" : "",
           q->venue && q->venue[0] ? " AND venue = ?8" : "",
           q->after_order_id ? " AND order_id > ?10" : "",
           q->parent_order_id ? " AND parent_order_id = ?11" : "");
  sqlite3_stmt *st = rbegin(s, sql);
  if (st == NULL) return OMS_ESTORE;
  if (q->order_id) sqlite3_bind_int64(st, 1, (sqlite3_int64)q->order_id);
  if (q->client_order_id && q->client_order_id[0]) BIND_TEXT(st, 2, q->client_order_id);
  if (q->strategy_id && q->strategy_id[0]) BIND_TEXT(st, 3, q->strategy_id);
  if (q->account_id && q->account_id[0]) BIND_TEXT(st, 4, q->account_id);
  if (q->symbol && q->symbol[0]) BIND_TEXT(st, 5, q->symbol);
  if (q->created_from_ns) sqlite3_bind_int64(st, 6, q->created_from_ns);
  if (q->created_to_ns) sqlite3_bind_int64(st, 7, q->created_to_ns);
  if (q->venue && q->venue[0]) BIND_TEXT(st, 8, q->venue);
  if (q->after_order_id) sqlite3_bind_int64(st, 10, (sqlite3_int64)q->after_order_id);
  if (q->parent_order_id) sqlite3_bind_int64(st, 11, (sqlite3_int64)q->parent_order_id);
  sqlite3_bind_int64(st, 9, q->limit ? (sqlite3_int64)q->limit : -1);
  return rloop(s, st, row_order, (void *)cb, ctx);
}

static int row_parent(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_parent_row_t p;
  oms__parent_from_row(st, &p);
  return ((oms_parent_cb)cb)(ctx, &p);
}

/* The parents table's own columns (without `terminal`), then the order's. */
#define PARENT_SELECT                                                                             \
  "SELECT p.parent_order_id, p.strategy, p.status, p.account_id, p.symbol, p.side, p.qty, "       \
  "p.filled_qty, p.open_qty, p.leaves_qty, p.avg_px, p.limit_px, p.slices_done, p.slices, "       \
  "p.children, p.start_ns, p.end_ns, p.next_slice_ns, p.params, p.created_ns, p.updated_ns, "     \
  "p.last_event_seq, coalesce(o.client_order_id, ''), coalesce(o.state, '') FROM parents p LEFT " \
  "JOIN orders o ON o.order_id = p.parent_order_id"

static int sq_query_parents(oms_store_t *base, const oms_parent_query_t *q, oms_parent_cb cb,
                            void *ctx) {
  sq_t *s = (sq_t *)base;
  /* A status mask becomes an IN list of the names the rows hold. */
  char statuses[160] = "";
  if (q->statuses) {
    size_t n = (size_t)snprintf(statuses, sizeof statuses, " AND p.status IN (''");
    for (int i = OMS_ALGO_WAITING; i <= OMS_ALGO_HALTED; i++)
      if (q->statuses & (1u << i))
        n += (size_t)snprintf(statuses + n, sizeof statuses - n, ",'%s'",
                              oms_algo_status_name((oms_algo_status_t)i));
    snprintf(statuses + n, sizeof statuses - n, ")");
  }
  char sql[1024];
  snprintf(sql, sizeof sql,
           PARENT_SELECT " WHERE 1%s%s%s%s%s ORDER BY p.parent_order_id%s LIMIT ?9",
           q->parent_order_id ? " AND p.parent_order_id = ?1" : "",
           q->account_id && q->account_id[0] ? " AND p.account_id = ?2" : "",
           q->symbol && q->symbol[0] ? " AND p.symbol = ?3" : "", statuses,
           !q->after_parent_id ? ""
           : q->newest_first   ? " AND p.parent_order_id < ?4"
                               : " AND p.parent_order_id > ?4",
           q->newest_first ? " DESC" : "");
  sqlite3_stmt *st = rbegin(s, sql);
  if (st == NULL) return OMS_ESTORE;
  if (q->parent_order_id) sqlite3_bind_int64(st, 1, (sqlite3_int64)q->parent_order_id);
  if (q->account_id && q->account_id[0]) BIND_TEXT(st, 2, q->account_id);
  if (q->symbol && q->symbol[0]) BIND_TEXT(st, 3, q->symbol);
  if (q->after_parent_id) sqlite3_bind_int64(st, 4, (sqlite3_int64)q->after_parent_id);
  sqlite3_bind_int64(st, 9, q->limit ? (sqlite3_int64)q->limit : -1);
  return rloop(s, st, row_parent, (void *)cb, ctx);
}

static int sq_get_best_execution(oms_store_t *base, uint64_t id, oms_bestex_row_t *out) {
  sq_t *s = (sq_t *)base;
  pthread_mutex_lock(&s->rmu);
  int rc = oms__bestex_read(s->rdb, id, out);
  pthread_mutex_unlock(&s->rmu);
  return rc;
}

static int sq_events_for_order(oms_store_t *base, uint64_t id, oms_event_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s, "SELECT body FROM events WHERE order_id = ?1 ORDER BY seq");
  if (st == NULL) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  return rloop(s, st, row_event, (void *)cb, ctx);
}

static int sq_events_from(oms_store_t *base, uint64_t from, size_t max, oms_event_cb cb,
                          void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s, "SELECT body FROM events WHERE seq >= ?1 ORDER BY seq LIMIT ?2");
  if (st == NULL) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
  sqlite3_bind_int64(st, 2, max ? (sqlite3_int64)max : -1);
  return rloop(s, st, row_event, (void *)cb, ctx);
}

static int sq_events_between(oms_store_t *base, int64_t from_ns, int64_t to_ns, oms_event_cb cb,
                             void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s,
                            "SELECT body FROM events WHERE event_ns >= ?1 AND event_ns < ?2 "
                            "ORDER BY seq");
  if (st == NULL) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, from_ns);
  sqlite3_bind_int64(st, 2, to_ns);
  return rloop(s, st, row_event, (void *)cb, ctx);
}

static int sq_fills_for_order(oms_store_t *base, uint64_t id, oms_fill_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s,
                            "SELECT seq, order_id, side, symbol, qty, price, fee, liquidity, "
                            "exec_id, ts_ns FROM fills WHERE order_id = ?1 ORDER BY seq");
  if (st == NULL) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  return rloop(s, st, row_fill, (void *)cb, ctx);
}

static int sq_load_positions(oms_store_t *base, oms_position_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st =
      rbegin(s, "SELECT " OMS__POSITION_COLS " FROM positions ORDER BY account_id, symbol");
  if (st == NULL) return OMS_ESTORE;
  return rloop(s, st, row_position, (void *)cb, ctx);
}

static int take_position(void *ctx, const oms_position_t *p) {
  *(oms_position_t *)ctx = *p;
  return 1;
}

static int sq_get_position(oms_store_t *base, const char *account_id, const char *symbol,
                           oms_position_t *out) {
  sq_t *s = (sq_t *)base;
  memset(out, 0, sizeof *out);
  if (account_id == NULL || symbol == NULL || !account_id[0] || !symbol[0]) return OMS_EINVAL;
  sqlite3_stmt *st = rbegin(s, OMS__SQL_POSITION_GET);
  if (st == NULL) return OMS_ESTORE;
  BIND_TEXT(st, 1, account_id);
  BIND_TEXT(st, 2, symbol);
  int rc = rloop(s, st, row_position, (void *)take_position, out);
  return rc == 1 ? 0 : rc == 0 ? OMS_ENOTFOUND : rc;
}

static int row_limit(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  oms_limit_change_row_t r;
  memset(&r, 0, sizeof r);
  r.seq = (uint64_t)sqlite3_column_int64(st, 0);
  r.ts_ns = sqlite3_column_int64(st, 1);
  oms__col_text(st, 2, r.who, sizeof r.who);
  r.line = (const char *)sqlite3_column_text(st, 3);
  r.len = (size_t)sqlite3_column_bytes(st, 3);
  if (r.line == NULL) r.line = "";
  return ((oms_limit_change_cb)cb)(ctx, &r);
}

static int sq_limit_changes(oms_store_t *base, oms_limit_change_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s, "SELECT seq, ts_ns, who, line FROM limit_changes ORDER BY seq");
  if (st == NULL) return OMS_ESTORE;
  return rloop(s, st, row_limit, (void *)cb, ctx);
}

typedef struct pnl_q_s {
  oms_pnl_base_cb cb;
  void *ctx;
  int64_t *day_start_ns;
  bool found;
} pnl_q_t;

/* The day's mark ("" sorts first) sets the day; each account's row goes
 * to the callback. */
static int row_pnl_base(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  (void)cb;
  pnl_q_t *q = ctx;
  oms_pnl_base_row_t r;
  memset(&r, 0, sizeof r);
  r.day_start_ns = sqlite3_column_int64(st, 0);
  oms__col_text(st, 1, r.account_id, sizeof r.account_id);
  r.base = oms__col_dec(st, 2);
  q->found = true;
  *q->day_start_ns = r.day_start_ns;
  return r.account_id[0] == '\0' ? 0 : q->cb(q->ctx, &r);
}

static int sq_pnl_bases(oms_store_t *base, int64_t *day_start_ns, oms_pnl_base_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s, OMS__SQL_PNL_BASES);
  if (st == NULL) return OMS_ESTORE;
  pnl_q_t q = {cb, ctx, day_start_ns, false};
  int rc = rloop(s, st, row_pnl_base, NULL, &q);
  return rc == 0 && !q.found ? OMS_ENOTFOUND : rc;
}

static int sq_load_trading_states(oms_store_t *base, oms_trading_state_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = rbegin(s,
                            "SELECT scope_kind, scope_id, state, reason, updated_ns, "
                            "event_seq FROM trading_states ORDER BY 1, 2");
  if (st == NULL) return OMS_ESTORE;
  return rloop(s, st, row_tstate, (void *)cb, ctx);
}

typedef struct two_s {
  int64_t a, b;
  int found;
} two_t;

static int row_two(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  (void)cb;
  two_t *t = ctx;
  t->a = sqlite3_column_int64(st, 0);
  t->b = sqlite3_column_int64(st, 1);
  t->found = 1;
  return 0;
}

static int sq_last_seqs(oms_store_t *base, uint64_t *last_event_seq, uint64_t *last_order_id) {
  sq_t *s = (sq_t *)base;
  two_t t = {0, 0, 0};
  sqlite3_stmt *st = rbegin(s,
                            "SELECT coalesce((SELECT max(seq) FROM events), 0), "
                            "coalesce((SELECT max(order_id) FROM orders), 0)");
  if (st == NULL) return OMS_ESTORE;
  int rc = rloop(s, st, row_two, NULL, &t);
  if (rc != 0) return rc;
  *last_event_seq = (uint64_t)t.a;
  *last_order_id = (uint64_t)t.b;
  return 0;
}

static int row_clordid(sq_t *s, sqlite3_stmt *st, void *cb, void *ctx) {
  (void)s;
  const unsigned char *strategy = sqlite3_column_text(st, 0);
  const unsigned char *id = sqlite3_column_text(st, 1);
  return ((oms_clordid_cb)cb)(ctx, strategy ? (const char *)strategy : "",
                              id ? (const char *)id : "");
}

/* Two columns of the index orders_clordid: SQLite reads the index alone. */
static int sq_each_clordid(oms_store_t *base, oms_clordid_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st =
      rbegin(s, "SELECT strategy_id, client_order_id FROM orders INDEXED BY orders_clordid");
  if (st == NULL) return OMS_ESTORE;
  return rloop(s, st, row_clordid, (void *)cb, ctx);
}

static int sq_fill_seq_back(oms_store_t *base, uint64_t n, uint64_t *seq) {
  sq_t *s = (sq_t *)base;
  two_t t = {1, 0, 0};
  sqlite3_stmt *st = rbegin(s, "SELECT seq, 0 FROM fills ORDER BY seq DESC LIMIT 1 OFFSET ?1");
  if (st == NULL) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)(n - 1));
  int rc = rloop(s, st, row_two, NULL, &t);
  if (rc != 0) return rc;
  *seq = t.found ? (uint64_t)t.a : 1;
  return 0;
}

static int sq_fix_get_seqnums(oms_store_t *base, const char *session, int64_t *next_in,
                              int64_t *next_out) {
  sq_t *s = (sq_t *)base;
  two_t t = {1, 1, 0};
  *next_in = *next_out = 1;
  if (!session_ok(session)) return OMS_EINVAL;
  sqlite3_stmt *st = rbegin(s, "SELECT next_in, next_out FROM fix_sessions WHERE session = ?1");
  if (st == NULL) return OMS_ESTORE;
  BIND_TEXT(st, 1, session);
  int rc = rloop(s, st, row_two, NULL, &t);
  if (rc != 0) return rc;
  if (!t.found) return OMS_ENOTFOUND;
  *next_in = t.a;
  *next_out = t.b;
  return 0;
}

static int sq_fix_fetch_sent(oms_store_t *base, const char *session, int64_t from, int64_t to,
                             oms_fix_msg_cb cb, void *ctx) {
  sq_t *s = (sq_t *)base;
  if (!session_ok(session) || cb == NULL) return OMS_EINVAL;
  sqlite3_stmt *st = rbegin(s,
                            "SELECT seqnum, msg FROM fix_sent WHERE session = ?1 AND "
                            "seqnum >= ?2 AND seqnum <= ?3 ORDER BY seqnum");
  if (st == NULL) return OMS_ESTORE;
  BIND_TEXT(st, 1, session);
  sqlite3_bind_int64(st, 2, from);
  sqlite3_bind_int64(st, 3, to <= 0 ? INT64_MAX : to);
  return rloop(s, st, row_fixmsg, (void *)cb, ctx);
}

static int sq_cursor_get(oms_store_t *base, const char *sink, uint64_t *seq) {
  sq_t *s = (sq_t *)base;
  two_t t = {0, 0, 0};
  *seq = 0;
  if (sink == NULL || sink[0] == '\0') return OMS_EINVAL;
  sqlite3_stmt *st = rbegin(s, "SELECT seq, 0 FROM sink_cursors WHERE sink = ?1");
  if (st == NULL) return OMS_ESTORE;
  BIND_TEXT(st, 1, sink);
  int rc = rloop(s, st, row_two, NULL, &t);
  if (rc == 0) *seq = (uint64_t)t.a;
  return rc;
}

/* ---- Open and close ---------------------------------------------------------------- */

static void sq_close(oms_store_t *base);

static const oms_store_vtbl_t sq_vtbl = {
    .append = sq_append,
    .durable_ticket = sq_durable_ticket,
    .wait = sq_wait,
    .recover = sq_recover,
    .failed = sq_failed,
    .last_error = sq_last_error,
    .stats = sq_stats,
    .durable_fd = sq_durable_fd,
    .get_order = sq_get_order,
    .query_orders = sq_query_orders,
    .events_for_order = sq_events_for_order,
    .events_from = sq_events_from,
    .events_between = sq_events_between,
    .fills_for_order = sq_fills_for_order,
    .load_positions = sq_load_positions,
    .get_position = sq_get_position,
    .load_trading_states = sq_load_trading_states,
    .last_seqs = sq_last_seqs,
    .fix_set_seqnums = sq_fix_set_seqnums,
    .fix_get_seqnums = sq_fix_get_seqnums,
    .fix_save_sent = sq_fix_save_sent,
    .fix_fetch_sent = sq_fix_fetch_sent,
    .fix_reset = sq_fix_reset,
    .cursor_get = sq_cursor_get,
    .cursor_set = sq_cursor_set,
    .close = sq_close,
    .each_clordid = sq_each_clordid,
    .query_parents = sq_query_parents,
    .get_best_execution = sq_get_best_execution,
    .fill_seq_back = sq_fill_seq_back,
    .limit_append = sq_limit_append,
    .limit_changes = sq_limit_changes,
    .pnl_base_append = sq_pnl_base_append,
    .pnl_bases = sq_pnl_bases,
};

/* Opens a connection and applies the pragmas every connection needs. */
static int open_conn(sq_t *s, sqlite3 **db, bool writer, oms_store_error_t *e) {
  const char *call = "sqlite3_open_v2";
  int rc = inject(s, call);
  bool inj = rc != 0;
  if (!inj)
    rc = sqlite3_open_v2(s->path, db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA busy_timeout=%lld; PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             "PRAGMA wal_autocheckpoint=0;%s",
             (long long)s->cfg.busy_timeout_ms,
             s->cfg.durability == OMS_DURABILITY_OS ? "OFF" : "FULL",
             writer ? "" : "PRAGMA query_only=1;");
    call = "PRAGMA (open)";
    rc = inject(s, call);
    inj = rc != 0;
    if (!inj) rc = sqlite3_exec(*db, sql, NULL, NULL, NULL);
  }
  if (rc != SQLITE_OK) set_err(s, *db, e, call, rc, inj);
  return rc;
}

int oms_store_sqlite_open(const oms_store_config_t *cfg, oms_store_t **out) {
  oms_store_error_t e;
  int rc = OMS_ENOMEM;
  *out = NULL;
  memset(&e, 0, sizeof e);
  if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0' ||
      (cfg->queue_capacity & (cfg->queue_capacity - 1)) != 0)
    return OMS_EINVAL;
  sq_t *s = oms__calloc(1, sizeof(*s));
  if (s == NULL) return OMS_ENOMEM;
  s->base.vt = &sq_vtbl;
  s->cfg = *cfg;
  pthread_mutexattr_t ra;
  pthread_mutexattr_init(&ra);
  pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&s->rmu, &ra);
  pthread_mutexattr_destroy(&ra);
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->cmu, NULL);
  pthread_mutex_init(&s->wmu, NULL);
  pthread_mutex_init(&s->ckmu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->wake, &ca);
  pthread_cond_init(&s->done, &ca);
  pthread_cond_init(&s->ccv, &ca);
  pthread_condattr_destroy(&ca);

  s->efd = -1;
  if (s->cfg.queue_capacity == 0) s->cfg.queue_capacity = 8192;
  if (s->cfg.retry_initial_ns == 0) s->cfg.retry_initial_ns = 100000000;
  if (s->cfg.retry_max_ns == 0) s->cfg.retry_max_ns = 5000000000;
  if (s->cfg.checkpoint_pages == 0) s->cfg.checkpoint_pages = 1024;
  if (s->cfg.writer_spin_ns == 0) s->cfg.writer_spin_ns = 150000;
  if (s->cfg.checkpoint_idle_ns <= 0) s->cfg.checkpoint_idle_ns = 200000000;
  if (s->cfg.busy_timeout_ms <= 0) s->cfg.busy_timeout_ms = 2000;
  s->cap = s->cfg.queue_capacity;
  s->mask = s->cap - 1;
  s->path = oms__strdup(cfg->path);
  s->q = oms__calloc(s->cap, sizeof(oms__rec_t));
  if (s->path == NULL || s->q == NULL) goto fail_alloc;

  rc = OMS_ESTORE;
  if (open_conn(s, &s->wdb, true, &e) != SQLITE_OK) goto fail;
  if (inject(s, "schema migration") != 0 ||
      oms__schema_migrate(s->wdb, OMS__SCHEMA_LATEST, e.message, sizeof e.message) != 0) {
    snprintf(e.call, sizeof e.call, "schema migration");
    if (e.message[0] == '\0') snprintf(e.message, sizeof e.message, "injected");
    goto fail;
  }
  for (int i = 0; i < W_COUNT; i++) {
    if (sqlite3_prepare_v3(s->wdb, wsql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->w[i], NULL) !=
        SQLITE_OK) {
      set_err(s, s->wdb, &e, "sqlite3_prepare_v3", sqlite3_errcode(s->wdb), false);
      goto fail;
    }
  }
  sqlite3_wal_hook(s->wdb, wal_hook, s);

  if (open_conn(s, &s->rdb, false, &e) != SQLITE_OK) goto fail;
  uint64_t last_order;
  if (sq_last_seqs(&s->base, &s->last_seq, &last_order) != 0) {
    snprintf(e.call, sizeof e.call, "load last seq");
    goto fail;
  }
  if (!s->cfg.synchronous) {
    if (open_conn(s, &s->cdb, true, &e) != SQLITE_OK) goto fail;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
      snprintf(e.call, sizeof e.call, "eventfd");
      e.sys_errno = errno;
      goto fail;
    }
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) goto fail;
    if (pthread_create(&s->ckpt, NULL, ckpt_main, s) != 0) {
      pthread_mutex_lock(&s->mu);
      s->stop = true;
      atomic_store_explicit(&s->wake_req, true, memory_order_release);
      pthread_cond_signal(&s->wake);
      pthread_mutex_unlock(&s->mu);
      pthread_join(s->writer, NULL);
      goto fail;
    }
    s->threads = true;
  }
  *out = &s->base;
  return 0;
fail:
  if (s->cfg.on_error) s->cfg.on_error(s->cfg.ctx, &e);
fail_alloc:
  sq_close(&s->base);
  return rc;
}

static void sq_close(oms_store_t *base) {
  sq_t *s = (sq_t *)base;
  if (s == NULL) return;
  if (s->threads) {
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    s->stop = true;
    atomic_store_explicit(&s->wake_req, true, memory_order_release);
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    pthread_mutex_lock(&s->cmu);
    s->cstop = true;
    pthread_cond_signal(&s->ccv);
    pthread_mutex_unlock(&s->cmu);
    pthread_join(s->ckpt, NULL);
  }
  if (s->wdb != NULL && s->q != NULL && !atomic_load(&s->failed))
    sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  for (int i = 0; i < W_COUNT; i++) sqlite3_finalize(s->w[i]);
  sqlite3_finalize(s->wproj);
  sqlite3_close(s->cdb);
  sqlite3_close(s->rdb);
  sqlite3_close(s->wdb);
  if (s->efd >= 0) close(s->efd);
  pthread_cond_destroy(&s->ccv);
  pthread_cond_destroy(&s->done);
  pthread_cond_destroy(&s->wake);
  pthread_mutex_destroy(&s->cmu);
  pthread_mutex_destroy(&s->wmu);
  pthread_mutex_destroy(&s->ckmu);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->rmu);
  oms__free(s->q);
  oms__free(s->path);
  oms__free(s);
}

/* ---- The projection of the journal (store_journal.c) ------------------------------- */

#define PROJ_TABLE                                                                      \
  "CREATE TABLE IF NOT EXISTS journal_projection(id INTEGER PRIMARY KEY CHECK(id = 0)," \
  " lsn INTEGER NOT NULL)"

int oms__sqlite_projected(oms_store_t *base, uint64_t *lsn) {
  sq_t *s = (sq_t *)base;
  sqlite3_stmt *st = NULL;
  *lsn = 0;
  pthread_mutex_lock(&s->wmu);
  int rc = sqlite3_exec(s->wdb, PROJ_TABLE, NULL, NULL, NULL);
  if (rc == SQLITE_OK && s->wproj == NULL)
    rc = sqlite3_prepare_v3(s->wdb,
                            "INSERT OR REPLACE INTO journal_projection(id, lsn) VALUES(0, ?1)", -1,
                            SQLITE_PREPARE_PERSISTENT, &s->wproj, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(s->wdb, "SELECT lsn FROM journal_projection WHERE id = 0", -1, &st,
                            NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *lsn = (uint64_t)sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->wmu);
  return rc == SQLITE_OK ? 0 : OMS_ESTORE;
}

/* Marks in last[i] whether record i is its order's last event in the
 * batch, walking backwards with a small open-addressed set of the order ids
 * already met (n <= OMS__PROJECT_MAX, so the set never fills); and whether
 * a FIX_SENT or FIX_SEQNUMS record is its session's last of its kind, with
 * a short list of the (kind, session) pairs met (past SESSIONS_SEEN every
 * one is marked: more writes, never fewer). */
#define SESSIONS_SEEN 16
void oms__last_per_order(const oms__rec_t *recs, size_t n, bool *last) {
  uint64_t seen[2 * OMS__PROJECT_MAX];
  const oms__rec_t *sessions[SESSIONS_SEEN];
  size_t nsessions = 0;
  memset(seen, 0, sizeof seen);
  for (size_t i = n; i-- > 0;) {
    last[i] = true;
    if (recs[i].kind == OMS__REC_FIX_SENT || recs[i].kind == OMS__REC_FIX_SEQNUMS) {
      for (size_t k = 0; k < nsessions && last[i]; k++)
        last[i] = sessions[k]->kind != recs[i].kind ||
                  strcmp(sessions[k]->u.fix.session, recs[i].u.fix.session) != 0;
      if (last[i] && nsessions < SESSIONS_SEEN) sessions[nsessions++] = &recs[i];
      continue;
    }
    /* a record about an order (a BestExecution) writes no row of it: the
     * order event before it in the batch must */
    if (recs[i].kind != OMS__REC_EVENT || !oms_event_is_order(recs[i].u.ev.type)) continue;
    uint64_t id = recs[i].u.ev.order.order_id;
    if (id == 0) continue;
    size_t h = (size_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 32) % (2 * OMS__PROJECT_MAX);
    while (seen[h] != 0 && seen[h] != id) h = (h + 1) % (2 * OMS__PROJECT_MAX);
    last[i] = seen[h] == 0;
    seen[h] = id;
  }
}

int oms__sqlite_project(oms_store_t *base, const oms__rec_t *recs, size_t n, uint64_t lsn,
                        oms_store_error_t *e) {
  sq_t *s = (sq_t *)base;
  bool last[OMS__PROJECT_MAX];
  if (s->wproj == NULL) return OMS_EINVAL;
  memset(e, 0, sizeof *e);
  pthread_mutex_lock(&s->wmu);
  int64_t t0 = mono_ns();
  rollback(s); /* a transaction a failed ROLLBACK left open */
  int rc = sqlite3_get_autocommit(s->wdb) ? run(s, W_BEGIN, e) : SQLITE_IOERR;
  /* A batch longer than OMS__PROJECT_MAX (one large unit) is written in
   * chunks of it, in the same transaction: an order's row once per chunk. */
  for (size_t c = 0; rc == SQLITE_OK && c < n; c += OMS__PROJECT_MAX) {
    size_t m = n - c < OMS__PROJECT_MAX ? n - c : OMS__PROJECT_MAX;
    oms__last_per_order(recs + c, m, last);
    for (size_t i = 0; rc == SQLITE_OK && i < m; i++) rc = write_rec(s, &recs[c + i], last[i], e);
  }
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(s->wproj, 1, (sqlite3_int64)lsn);
    const char *label = "sqlite3_step(UPSERT journal_projection)";
    rc = inject(s, label);
    bool inj = rc != 0;
    if (!inj) rc = sqlite3_step(s->wproj);
    sqlite3_reset(s->wproj);
    if (rc == SQLITE_DONE)
      rc = run(s, W_COMMIT, e);
    else
      set_err(s, s->wdb, e, label, rc, inj);
  }
  if (rc != SQLITE_OK) {
    if (e->call[0] == '\0') set_err(s, s->wdb, e, "ROLLBACK", rc, false);
    rollback(s);
    atomic_fetch_add_explicit(&s->n_failures, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->wmu);
    return OMS_ESTORE;
  }
  oms__commit_hist_add(&s->commit_hist, mono_ns() - t0);
  atomic_fetch_add_explicit(&s->n_txn, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->n_records, n, memory_order_relaxed);
  if (n > atomic_load_explicit(&s->n_max_batch, memory_order_relaxed))
    atomic_store_explicit(&s->n_max_batch, n, memory_order_relaxed);
  if (atomic_load_explicit(&s->wal_frames, memory_order_relaxed) >= (int)s->cfg.checkpoint_pages)
    checkpoint_now(s, s->wdb);
  pthread_mutex_unlock(&s->wmu);
  return 0;
}

/* ---- Test hooks ----------------------------------------------------------------------- */

int oms__store_sqlite_schema_version(oms_store_t *base) {
  sq_t *s = (sq_t *)base;
  pthread_mutex_lock(&s->rmu);
  int v = oms__schema_version(s->rdb);
  pthread_mutex_unlock(&s->rmu);
  return v;
}

int oms__store_sqlite_exec(oms_store_t *base, const char *sql) {
  sq_t *s = (sq_t *)base;
  pthread_mutex_lock(&s->wmu);
  int rc = sqlite3_exec(s->wdb, sql, NULL, NULL, NULL);
  pthread_mutex_unlock(&s->wmu);
  return rc;
}
