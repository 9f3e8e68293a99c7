/*
 * store_pg.c - the journal's projection in PostgreSQL (libpq): the tables of
 * the SQLite projection, each row carrying the instance that wrote it, so
 * that several omsd instances can share one database (docs/store.md,
 * docs/deployment.md).
 *
 * The journal stays the source of truth of each instance; this is a
 * projection of it, as SQLite is by default. The journal store's projector
 * hands it batches that end at unit boundaries (oms__pg_project), and each
 * batch is ONE transaction that also moves the instance's cursor in
 * journal_projection: rows and cursor commit together or not at all. That is
 * why the session runs with synchronous_commit = off: a commit PostgreSQL
 * loses in a crash loses its cursor with it, and the projector writes the
 * batch again from the journal. Nothing on the order path waits for it: when
 * PostgreSQL is down or restarting a batch fails, is rolled back, is
 * reported, and is retried with backoff by the projector after a reconnect;
 * the journal keeps everything and the projection catches up.
 *
 * A batch costs few round trips: the positions its fills book are read once
 * each (one SELECT per account and symbol first met in the batch) and booked
 * in memory, then every write of the batch (BEGIN, the rows, the positions,
 * the cursor, COMMIT) goes out through libpq's pipeline mode as prepared
 * statements, with a sync every PIPE_SYNC statements so that neither side's
 * buffers fill.
 *
 * Two connections: the writer's (the projector: one thread at a time) and
 * the readers' (every query, under a lock), each reconnected on the next
 * call after it broke. The schema is versioned like SQLite's (store_schema.c):
 * `schema_version` rows, append-only migrations in the table `migrations`,
 * each in its own transaction under an advisory lock (two instances starting
 * together migrate once); a database newer than this build is refused.
 */
#include <endian.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/algo.h"
#include "oms/error.h"
#include "oms/lease.h"
#include "oms/store.h"
#include "store/store_int.h"
#include "store/store_sqlite.h" /* OMS__PARENT_COLS: one column order for both */

#define PIPE_SYNC 256                            /* statements between two syncs of the pipeline */
#define PG_LOCK_KEY INT64_C(0x6f6d735f736368)    /* the migrations' advisory lock */
#define CONNECT_RETRY_NS INT64_C(100000000)      /* a failed connect: not again for 100 ms */
#define CONNECT_RETRY_MAX_NS INT64_C(2000000000) /* ... doubling up to 2 s */
#define NUM_LEN 24                               /* an int64 as text */

/* ---- The schema ---------------------------------------------------------------------- */

typedef struct migration_s {
  int version;
  const char *description;
  const char *sql;
  /* Fills the new tables from what the database holds, in the migration's
   * transaction; NULL: none. false after set_err. */
  bool (*backfill)(PGconn *c, oms_store_error_t *e);
} migration_t;

static bool backfill_parents(PGconn *c, oms_store_error_t *e);

/* Append-only: a new table is one more entry. Decimals are NUMERIC (exact),
 * times BIGINT ns, enums TEXT names, snapshots and bodies BYTEA in the binary
 * form of event.h, as in SQLite. */
static const migration_t migrations[] = {
    {1, "the projection of SQLite schema 6, keyed by instance",
     "CREATE TABLE orders(instance TEXT NOT NULL, order_id BIGINT NOT NULL, client_order_id TEXT,"
     " strategy_id TEXT, account_id TEXT, venue TEXT, symbol TEXT, venue_order_id TEXT,"
     " side TEXT, type TEXT, tif TEXT, qty NUMERIC, price NUMERIC, stop_price NUMERIC,"
     " state TEXT, terminal SMALLINT, filled_qty NUMERIC, leaves_qty NUMERIC, avg_px NUMERIC,"
     " reject_code INTEGER, reject_reason TEXT, created_ns BIGINT, updated_ns BIGINT,"
     " last_event_seq BIGINT, snapshot BYTEA NOT NULL, PRIMARY KEY(instance, order_id));"
     "CREATE INDEX orders_clordid ON orders(instance, client_order_id, strategy_id);"
     "CREATE INDEX orders_strategy ON orders(instance, strategy_id, created_ns);"
     "CREATE INDEX orders_account ON orders(instance, account_id, created_ns);"
     "CREATE INDEX orders_active ON orders(instance, terminal, state);"
     "CREATE INDEX orders_created ON orders(instance, created_ns);"
     "CREATE TABLE events(instance TEXT NOT NULL, seq BIGINT NOT NULL, type TEXT NOT NULL,"
     " order_id BIGINT, event_ns BIGINT, state TEXT, body BYTEA NOT NULL,"
     " PRIMARY KEY(instance, seq));"
     "CREATE INDEX events_order ON events(instance, order_id, seq);"
     "CREATE INDEX events_time ON events(instance, event_ns);"
     "CREATE TABLE fills(instance TEXT NOT NULL, seq BIGINT NOT NULL, order_id BIGINT,"
     " exec_id TEXT, strategy_id TEXT, account_id TEXT, symbol TEXT, side TEXT, qty NUMERIC,"
     " price NUMERIC, fee NUMERIC, liquidity TEXT, ts_ns BIGINT, PRIMARY KEY(instance, seq));"
     "CREATE INDEX fills_order ON fills(instance, order_id, seq);"
     "CREATE TABLE positions(instance TEXT NOT NULL, account_id TEXT NOT NULL,"
     " symbol TEXT NOT NULL, qty NUMERIC, avg_px NUMERIC, realized_pnl NUMERIC, fees NUMERIC,"
     " updated_ns BIGINT, last_fill_seq BIGINT, opened_seq BIGINT, mark_px NUMERIC,"
     " mark_ns BIGINT, mark_seq BIGINT, PRIMARY KEY(instance, account_id, symbol));"
     "CREATE TABLE trading_states(instance TEXT NOT NULL, scope_kind INTEGER NOT NULL,"
     " scope_id TEXT NOT NULL, state INTEGER, reason TEXT, updated_ns BIGINT, event_seq BIGINT,"
     " PRIMARY KEY(instance, scope_kind, scope_id));"
     "CREATE TABLE fix_sessions(instance TEXT NOT NULL, session TEXT NOT NULL, next_in BIGINT,"
     " next_out BIGINT, PRIMARY KEY(instance, session));"
     "CREATE TABLE fix_sent(instance TEXT NOT NULL, session TEXT NOT NULL, seqnum BIGINT NOT NULL,"
     " msg BYTEA, PRIMARY KEY(instance, session, seqnum));"
     "CREATE TABLE sink_cursors(instance TEXT NOT NULL, sink TEXT NOT NULL, seq BIGINT,"
     " PRIMARY KEY(instance, sink));"
     "CREATE TABLE limit_changes(instance TEXT NOT NULL, seq BIGINT NOT NULL, ts_ns BIGINT,"
     " who TEXT, line TEXT, PRIMARY KEY(instance, seq));"
     "CREATE TABLE journal_projection(instance TEXT PRIMARY KEY, lsn BIGINT NOT NULL)",
     NULL},
    /* SQLite's schema 7 (store_parents.c): a child's parent and sequence, a
     * parent's algo, each parent's progress; back-filled like SQLite's. */
    {2, "parent orders: order_parents, parents (SQLite schema 7)",
     "CREATE TABLE order_parents(instance TEXT NOT NULL, order_id BIGINT NOT NULL,"
     " parent_order_id BIGINT NOT NULL, child_seq BIGINT NOT NULL, algo TEXT NOT NULL,"
     " PRIMARY KEY(instance, order_id));"
     "CREATE INDEX order_parents_parent ON order_parents(instance, parent_order_id, order_id);"
     "CREATE TABLE parents(instance TEXT NOT NULL, parent_order_id BIGINT NOT NULL,"
     " strategy TEXT NOT NULL, status TEXT NOT NULL, terminal SMALLINT NOT NULL,"
     " account_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, qty NUMERIC NOT NULL,"
     " filled_qty NUMERIC NOT NULL, open_qty NUMERIC NOT NULL, leaves_qty NUMERIC NOT NULL,"
     " avg_px NUMERIC NOT NULL, limit_px NUMERIC NOT NULL, slices_done BIGINT NOT NULL,"
     " slices BIGINT NOT NULL, children BIGINT NOT NULL, start_ns BIGINT NOT NULL,"
     " end_ns BIGINT NOT NULL, next_slice_ns BIGINT NOT NULL, params TEXT NOT NULL,"
     " created_ns BIGINT NOT NULL, updated_ns BIGINT NOT NULL, last_event_seq BIGINT NOT NULL,"
     " PRIMARY KEY(instance, parent_order_id));"
     "CREATE INDEX parents_status ON parents(instance, status, parent_order_id);"
     "CREATE INDEX parents_account ON parents(instance, account_id, parent_order_id);"
     "CREATE INDEX parents_symbol ON parents(instance, symbol, parent_order_id);",
     backfill_parents},
    /* SQLite schema 8 (store_bestex.c); a step of its own. */
    {3, "best execution of smart parents: best_execution, best_execution_venues",
     "CREATE TABLE best_execution(instance TEXT NOT NULL, parent_order_id BIGINT NOT NULL,"
     " account_id TEXT, symbol TEXT, side TEXT, arrival_ns BIGINT, arrival_bid NUMERIC,"
     " arrival_ask NUMERIC, qty NUMERIC, filled_qty NUMERIC, avg_px NUMERIC, notional NUMERIC,"
     " fees NUMERIC, improvement_px NUMERIC, improvement NUMERIC, eff_spread_px NUMERIC,"
     " venues INTEGER, event_ns BIGINT, event_seq BIGINT, PRIMARY KEY(instance, parent_order_id));"
     "CREATE TABLE best_execution_venues(instance TEXT NOT NULL, parent_order_id BIGINT NOT NULL,"
     " pos INTEGER NOT NULL, venue TEXT, fills INTEGER, children INTEGER, qty NUMERIC,"
     " notional NUMERIC, fees NUMERIC, PRIMARY KEY(instance, parent_order_id, pos))",
     NULL},
    /* SQLite schema 9: the engine's daily-PnL bases. */
    {4, "daily PnL bases: pnl_bases (SQLite schema 9)",
     "CREATE TABLE pnl_bases(instance TEXT NOT NULL, day_start_ns BIGINT NOT NULL,"
     " account_id TEXT NOT NULL, base NUMERIC NOT NULL,"
     " PRIMARY KEY(instance, day_start_ns, account_id))",
     NULL},
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

/* ---- The writer's prepared statements: one table -------------------------------------- *
 * (events and fills go in by COPY, copy_batch) */

#define POS_COLS                                                                     \
  "account_id, symbol, qty, avg_px, realized_pnl, fees, updated_ns, last_fill_seq, " \
  "opened_seq, mark_px, mark_ns, mark_seq"

/* name, parameters, SQL ($1 is always the instance) */
#define PG_STATEMENTS(X)                                                                           \
  X(COMMIT, 0, "COMMIT")                                                                           \
  X(ORDERS_IN, 0,                                                                                  \
    "INSERT INTO orders SELECT DISTINCT ON (order_id) * FROM orders_in ORDER BY order_id, "        \
    "last_event_seq DESC ON CONFLICT(instance, order_id) "                                         \
    "DO UPDATE SET client_order_id = EXCLUDED.client_order_id, strategy_id = "                     \
    "EXCLUDED.strategy_id, account_id = EXCLUDED.account_id, venue = EXCLUDED.venue, symbol = "    \
    "EXCLUDED.symbol, venue_order_id = EXCLUDED.venue_order_id, side = EXCLUDED.side, type = "     \
    "EXCLUDED.type, tif = EXCLUDED.tif, qty = EXCLUDED.qty, price = EXCLUDED.price, stop_price "   \
    "= EXCLUDED.stop_price, state = EXCLUDED.state, terminal = EXCLUDED.terminal, filled_qty = "   \
    "EXCLUDED.filled_qty, leaves_qty = EXCLUDED.leaves_qty, avg_px = EXCLUDED.avg_px, "            \
    "reject_code = EXCLUDED.reject_code, reject_reason = EXCLUDED.reject_reason, created_ns = "    \
    "EXCLUDED.created_ns, updated_ns = EXCLUDED.updated_ns, last_event_seq = "                     \
    "EXCLUDED.last_event_seq, snapshot = EXCLUDED.snapshot")                                       \
  X(TSTATE, 7,                                                                                     \
    "INSERT INTO trading_states(instance, scope_kind, scope_id, state, reason, updated_ns, "       \
    "event_seq) VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(instance, scope_kind, scope_id) "   \
    "DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason, updated_ns = "                \
    "EXCLUDED.updated_ns, event_seq = EXCLUDED.event_seq")                                         \
  X(POSITION_GET, 3,                                                                               \
    "SELECT " POS_COLS " FROM positions WHERE instance = $1 AND account_id = $2 AND symbol = $3")  \
  X(POSITION, 13,                                                                                  \
    "INSERT INTO positions(instance, " POS_COLS                                                    \
    ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT(instance, "      \
    "account_id, symbol) DO UPDATE SET qty = EXCLUDED.qty, avg_px = EXCLUDED.avg_px, "             \
    "realized_pnl = EXCLUDED.realized_pnl, fees = EXCLUDED.fees, updated_ns = "                    \
    "EXCLUDED.updated_ns, last_fill_seq = EXCLUDED.last_fill_seq, opened_seq = "                   \
    "EXCLUDED.opened_seq, mark_px = EXCLUDED.mark_px, mark_ns = EXCLUDED.mark_ns, mark_seq = "     \
    "EXCLUDED.mark_seq")                                                                           \
  X(FIXSEQ, 4,                                                                                     \
    "INSERT INTO fix_sessions(instance, session, next_in, next_out) VALUES($1, $2, $3, $4) "       \
    "ON CONFLICT(instance, session) DO UPDATE SET next_in = EXCLUDED.next_in, next_out = "         \
    "EXCLUDED.next_out")                                                                           \
  X(FIXSENT, 4,                                                                                    \
    "INSERT INTO fix_sent(instance, session, seqnum, msg) VALUES($1, $2, $3, $4) "                 \
    "ON CONFLICT(instance, session, seqnum) DO UPDATE SET msg = EXCLUDED.msg")                     \
  X(FIXSENT_SEQ, 3,                                                                                \
    "INSERT INTO fix_sessions(instance, session, next_in, next_out) VALUES($1, $2, 1, $3) "        \
    "ON CONFLICT(instance, session) DO UPDATE SET next_out = "                                     \
    "greatest(fix_sessions.next_out, EXCLUDED.next_out)")                                          \
  X(FIXDEL, 2, "DELETE FROM fix_sent WHERE instance = $1 AND session = $2")                        \
  X(FIXRESET, 2,                                                                                   \
    "INSERT INTO fix_sessions(instance, session, next_in, next_out) VALUES($1, $2, 1, 1) "         \
    "ON CONFLICT(instance, session) DO UPDATE SET next_in = 1, next_out = 1")                      \
  X(CURSOR, 3,                                                                                     \
    "INSERT INTO sink_cursors(instance, sink, seq) VALUES($1, $2, $3) "                            \
    "ON CONFLICT(instance, sink) DO UPDATE SET seq = EXCLUDED.seq")                                \
  X(LIMIT, 5,                                                                                      \
    "INSERT INTO limit_changes(instance, seq, ts_ns, who, line) VALUES($1, $2, $3, $4, $5) "       \
    "ON CONFLICT(instance, seq) DO UPDATE SET ts_ns = EXCLUDED.ts_ns, who = EXCLUDED.who, "        \
    "line = EXCLUDED.line")                                                                        \
  X(PNL_BASE, 4,                                                                                   \
    "INSERT INTO pnl_bases(instance, day_start_ns, account_id, base) VALUES($1, $2, $3, $4) "      \
    "ON CONFLICT(instance, day_start_ns, account_id) DO UPDATE SET base = EXCLUDED.base")          \
  X(ORDER_PARENT, 5,                                                                               \
    "INSERT INTO order_parents(instance, order_id, parent_order_id, child_seq, algo) "             \
    "VALUES($1, $2, $3, $4, $5) ON CONFLICT(instance, order_id) DO NOTHING")                       \
  X(PARENT, 24,                                                                                    \
    "INSERT INTO parents(instance, " OMS__PARENT_COLS                                              \
    ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, "                                                \
    "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) "                  \
    "ON CONFLICT(instance, parent_order_id) DO UPDATE SET strategy = EXCLUDED.strategy, status "   \
    "= EXCLUDED.status, terminal = EXCLUDED.terminal, account_id = EXCLUDED.account_id, symbol "   \
    "= EXCLUDED.symbol, side = EXCLUDED.side, qty = EXCLUDED.qty, filled_qty = "                   \
    "EXCLUDED.filled_qty, open_qty = EXCLUDED.open_qty, leaves_qty = EXCLUDED.leaves_qty, "        \
    "avg_px = EXCLUDED.avg_px, limit_px = EXCLUDED.limit_px, slices_done = EXCLUDED.slices_done, " \
    "slices = EXCLUDED.slices, children = EXCLUDED.children, start_ns = EXCLUDED.start_ns, "       \
    "end_ns = EXCLUDED.end_ns, next_slice_ns = EXCLUDED.next_slice_ns, params = "                  \
    "EXCLUDED.params, created_ns = EXCLUDED.created_ns, updated_ns = EXCLUDED.updated_ns, "        \
    "last_event_seq = EXCLUDED.last_event_seq")                                                    \
  X(BESTEX, 19,                                                                                    \
    "INSERT INTO best_execution(instance, parent_order_id, account_id, symbol, side, "             \
    "arrival_ns, arrival_bid, arrival_ask, qty, filled_qty, avg_px, notional, fees, "              \
    "improvement_px, improvement, eff_spread_px, venues, event_ns, event_seq) VALUES($1, "         \
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) "           \
    "ON CONFLICT(instance, parent_order_id) DO UPDATE SET account_id = EXCLUDED.account_id, "      \
    "symbol = EXCLUDED.symbol, side = EXCLUDED.side, arrival_ns = EXCLUDED.arrival_ns, "           \
    "arrival_bid = EXCLUDED.arrival_bid, arrival_ask = EXCLUDED.arrival_ask, qty = "               \
    "EXCLUDED.qty, filled_qty = EXCLUDED.filled_qty, avg_px = EXCLUDED.avg_px, notional = "        \
    "EXCLUDED.notional, fees = EXCLUDED.fees, improvement_px = EXCLUDED.improvement_px, "          \
    "improvement = EXCLUDED.improvement, eff_spread_px = EXCLUDED.eff_spread_px, venues = "        \
    "EXCLUDED.venues, event_ns = EXCLUDED.event_ns, event_seq = EXCLUDED.event_seq")               \
  X(BESTEX_DEL, 2,                                                                                 \
    "DELETE FROM best_execution_venues WHERE instance = $1 AND parent_order_id = $2")              \
  X(BESTEX_VENUE, 9,                                                                               \
    "INSERT INTO best_execution_venues(instance, parent_order_id, pos, venue, fills, "             \
    "children, qty, notional, fees) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)")                   \
  X(PROJECTED, 2,                                                                                  \
    "INSERT INTO journal_projection(instance, lsn) VALUES($1, $2) "                                \
    "ON CONFLICT(instance) DO UPDATE SET lsn = EXCLUDED.lsn")

enum {
#define PG_ENUM(name, n, sql) P_##name,
  PG_STATEMENTS(PG_ENUM)
#undef PG_ENUM
      P_COUNT
};

static const struct {
  const char *name;
  int nparams;
  const char *sql;
} stmts[P_COUNT] = {
#define PG_ROW(name, n, sql) {"oms_" #name, n, sql},
    PG_STATEMENTS(PG_ROW)
#undef PG_ROW
};

/* ---- The store ------------------------------------------------------------------------ */

typedef struct pos_slot_s {
  oms_position_t p;
  bool booked; /* changed in this batch: written back */
} pos_slot_t;

typedef struct pg_s {
  oms_store_t base;
  char *conninfo;
  char instance[OMS_ID_MAX + 1];
  uint64_t fence_token; /* the lease token every batch checks; 0: none */
  pthread_mutex_t wmu, rmu;
  PGconn *w, *r;
  bool prepared; /* the writer's statements, on this connection */
  /* Reconnect pacing, shared by both connections (under either lock: a
   * race only makes one extra attempt). */
  _Atomic int64_t connect_at, connect_wait;
  int queued; /* statements sent since the pipeline's last sync */
  pos_slot_t *pos;
  size_t npos, cap_pos;
  char *copy; /* a COPY's rows, text format (the writer's) */
  size_t ncopy, cap_copy;
  bool copy_oom;
  bool last[OMS__PROJECT_MAX]; /* oms__last_per_order's marks */
  bool orders_in;              /* this batch put rows into orders_in */
  uint8_t body[OMS_EVENT_BIN_MAX];
  uint8_t snap[OMS_ORDER_BIN_MAX];
  oms__parent_fields_t parent;                              /* send_event's */
  bool op_row[OMS__PROJECT_MAX], par_row[OMS__PROJECT_MAX]; /* mark_parents' */
  uint64_t keys_o[OMS__PROJECT_MAX], keys_p[OMS__PROJECT_MAX];
  oms__commit_hist_t commit_hist;
  _Atomic uint64_t n_txn, n_records, n_max_batch, n_failures;
} pg_t;

static void set_err(oms_store_error_t *e, const char *call, PGconn *c, const char *msg) {
  memset(e, 0, sizeof *e);
  snprintf(e->call, sizeof e->call, "%.47s", call);
  e->code = 1;
  const char *m = msg != NULL ? msg : c != NULL ? PQerrorMessage(c) : "no connection";
  snprintf(e->message, sizeof e->message, "%s", m);
  size_t n = strlen(e->message);
  while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' ')) e->message[--n] = '\0';
  for (char *ch = e->message; *ch; ch++) /* libpq's messages span lines; a log line must not */
    if (*ch == '\n' || *ch == '\t') *ch = ' ';
}

/* A connection that works, reconnecting one that broke. A failed connect
 * is not tried again for a while (CONNECT_RETRY_NS doubling to
 * CONNECT_RETRY_MAX_NS): while PostgreSQL is down every caller (the
 * projector, a waiter helping it, each query) fails at once without a
 * connect, and the log gets a line per attempt, not one per call. */
static PGconn *conn(pg_t *s, PGconn **c) {
  if (*c != NULL && PQstatus(*c) == CONNECTION_OK) return *c;
  int64_t now = oms__store_mono_ns();
  if (*c != NULL && now < s->connect_at) return NULL; /* *c keeps the last error */
  if (*c != NULL) PQfinish(*c);
  if (c == &s->w) s->prepared = false;
  /* Bounded by default, so that a server that does not answer (a lost
   * host, not a refused port) cannot hang omsd's open or a query; the
   * conninfo's own connect_timeout, expanded after, wins. */
  static const char *const kw[] = {"connect_timeout", "dbname", NULL};
  const char *val[] = {"5", s->conninfo, NULL};
  *c = PQconnectdbParams(kw, val, 1);
  if (PQstatus(*c) != CONNECTION_OK) {
    s->connect_wait = s->connect_wait == 0                         ? CONNECT_RETRY_NS
                      : s->connect_wait * 2 > CONNECT_RETRY_MAX_NS ? CONNECT_RETRY_MAX_NS
                                                                   : s->connect_wait * 2;
    s->connect_at = now + s->connect_wait;
    return NULL;
  }
  s->connect_wait = 0;
  /* A query (the admin API's reads) answers or fails within 10 s rather
   * than hang on a server that stopped answering; the writer's batches,
   * longer when catching up, are not bounded. */
  PGresult *res = PQexec(*c, c == &s->r ? "SET synchronous_commit = off; SET client_min_messages = "
                                          "warning; SET lock_timeout = '5s'; SET statement_timeout "
                                          "= '10s'"
                                        : "SET synchronous_commit = off; SET client_min_messages = "
                                          "warning; SET lock_timeout = '5s'");
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  return ok ? *c : NULL;
}

static bool exec_ok(PGconn *c, const char *sql) {
  PGresult *res = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(res);
  PQclear(res);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static int schema_version(PGconn *c) {
  PGresult *res = PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_version");
  int v = PQresultStatus(res) == PGRES_TUPLES_OK ? atoi(PQgetvalue(res, 0, 0)) : -1;
  PQclear(res);
  return v;
}

/* Brings the database to the latest version; the advisory lock makes two
 * instances opening at once take turns. */
static int migrate(PGconn *c, oms_store_error_t *e) {
  if (!exec_ok(c,
               "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY, "
               "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")) {
    set_err(e, "CREATE TABLE schema_version", c, NULL);
    return OMS_ESTORE;
  }
  for (size_t i = 0; i < N_MIGRATIONS; i++) {
    char lock[96], ins[160];
    snprintf(lock, sizeof lock, "BEGIN; SELECT pg_advisory_xact_lock(%" PRId64 ")", PG_LOCK_KEY);
    if (!exec_ok(c, lock)) {
      set_err(e, "migration lock", c, NULL);
      return OMS_ESTORE;
    }
    int v = schema_version(c);
    if (v < 0 || v >= migrations[i].version) {
      exec_ok(c, "COMMIT");
      if (v >= 0) continue;
      set_err(e, "SELECT schema_version", c, NULL);
      return OMS_ESTORE;
    }
    snprintf(ins, sizeof ins, "INSERT INTO schema_version(version, description) VALUES(%d, '%s')",
             migrations[i].version, migrations[i].description);
    if (!exec_ok(c, migrations[i].sql) ||
        (migrations[i].backfill != NULL && !migrations[i].backfill(c, e)) || !exec_ok(c, ins) ||
        !exec_ok(c, "COMMIT")) {
      if (e->call[0] == '\0') set_err(e, "migration", c, NULL);
      exec_ok(c, "ROLLBACK");
      return OMS_ESTORE;
    }
  }
  int v = schema_version(c);
  if (v > migrations[N_MIGRATIONS - 1].version) {
    set_err(e, "schema_version", c, "the database's schema is newer than this build");
    return OMS_ESTORE;
  }
  return 0;
}

static int prepare(pg_t *s, PGconn *c, oms_store_error_t *e) {
  if (s->prepared) return 0;
  /* The batch's order rows land here by COPY, then go into orders in one
   * upsert (ORDERS_IN): the connection's own table. */
  if (!exec_ok(c,
               "CREATE TEMP TABLE IF NOT EXISTS orders_in (LIKE orders) ON COMMIT DELETE ROWS")) {
    set_err(e, "CREATE TEMP TABLE orders_in", c, NULL);
    return OMS_ESTORE;
  }
  for (int i = 0; i < P_COUNT; i++) {
    PGresult *res = PQprepare(c, stmts[i].name, stmts[i].sql, stmts[i].nparams, NULL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
      set_err(e, "PQprepare", c, NULL);
      return OMS_ESTORE;
    }
  }
  s->prepared = true;
  return 0;
}

/* ---- Writing a batch ------------------------------------------------------------------ */

/* The parameters of one statement: text, or binary with a length. */
typedef struct params_s {
  const char *v[25];
  int len[25];
  int fmt[25];
  char num[25][NUM_LEN];
  char dec[25][OMS_DEC_STRLEN];
  int n;
} params_t;

static void p_begin(params_t *p, const pg_t *s) {
  p->n = 0;
  p->v[p->n] = s->instance;
  p->len[p->n] = 0;
  p->fmt[p->n++] = 0;
}
static void p_text(params_t *p, const char *t) {
  p->v[p->n] = t;
  p->len[p->n] = 0;
  p->fmt[p->n++] = 0;
}
static void p_i64(params_t *p, int64_t x) {
  snprintf(p->num[p->n], NUM_LEN, "%" PRId64, x);
  p_text(p, p->num[p->n]);
}
static void p_dec(params_t *p, oms_dec_t d) {
  oms_dec_format(d, p->dec[p->n], OMS_DEC_STRLEN);
  p_text(p, p->dec[p->n]);
}
static void p_bin(params_t *p, const void *b, size_t n) {
  p->v[p->n] = b;
  p->len[p->n] = (int)n;
  p->fmt[p->n++] = 1;
}

/* Drains the pipeline up to its sync: false if a statement failed. */
static bool drain(pg_t *s, oms_store_error_t *e) {
  bool ok = true;
  for (;;) {
    PGresult *res = PQgetResult(s->w);
    if (res == NULL) {
      if (PQstatus(s->w) != CONNECTION_OK) {
        if (ok) set_err(e, "PQgetResult", s->w, NULL);
        return false;
      }
      continue; /* the end of one statement's results */
    }
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_PIPELINE_SYNC) {
      PQclear(res);
      return ok;
    }
    if (ok && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char *m = PQresultErrorMessage(res);
      set_err(e, "pipeline", s->w, m && m[0] ? m : "aborted");
      ok = false;
    }
    PQclear(res);
  }
}

static bool sync_now(pg_t *s, oms_store_error_t *e) {
  s->queued = 0;
  if (PQpipelineSync(s->w) != 1) {
    set_err(e, "PQpipelineSync", s->w, NULL);
    return false;
  }
  return drain(s, e);
}

static bool send(pg_t *s, int which, params_t *p, oms_store_error_t *e) {
  if (PQsendQueryPrepared(s->w, stmts[which].name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
                          p ? p->fmt : NULL, 0) != 1) {
    set_err(e, stmts[which].name, s->w, NULL);
    return false;
  }
  return ++s->queued < PIPE_SYNC || sync_now(s, e);
}

/* ---- COPY: the batch's events and fills in one statement each ---- */

static void cp_raw(pg_t *s, const char *b, size_t n) {
  if (s->ncopy + n + 1 > s->cap_copy) {
    size_t cap = s->cap_copy ? s->cap_copy : 65536;
    while (cap < s->ncopy + n + 1) cap *= 2;
    char *c = oms__realloc(s->copy, cap);
    if (c == NULL) {
      s->copy_oom = true;
      return;
    }
    s->copy = c;
    s->cap_copy = cap;
  }
  memcpy(s->copy + s->ncopy, b, n);
  s->ncopy += n;
}

/* A text field, escaped for COPY's text format; NULL is \N. Ends with sep. */
static void cp_text(pg_t *s, const char *t, char sep) {
  if (t == NULL) {
    cp_raw(s, "\\N", 2);
  } else {
    for (const char *c = t; *c; c++) {
      char esc[2] = {'\\', *c};
      if (*c == '\\' || *c == '\t' || *c == '\n' || *c == '\r') {
        if (*c == '\t') esc[1] = 't';
        if (*c == '\n') esc[1] = 'n';
        if (*c == '\r') esc[1] = 'r';
        cp_raw(s, esc, 2);
      } else {
        cp_raw(s, c, 1);
      }
    }
  }
  cp_raw(s, &sep, 1);
}

static void cp_i64(pg_t *s, int64_t x, char sep) {
  char b[NUM_LEN];
  snprintf(b, sizeof b, "%" PRId64, x);
  cp_text(s, b, sep);
}

static void cp_dec(pg_t *s, oms_dec_t d, char sep) {
  char b[OMS_DEC_STRLEN];
  oms_dec_format(d, b, sizeof b);
  cp_text(s, b, sep);
}

/* bytea in hex: \\x then two digits a byte (the backslash escaped for COPY). */
static void cp_hex(pg_t *s, const uint8_t *b, size_t n, char sep) {
  static const char digits[] = "0123456789abcdef";
  cp_raw(s, "\\\\x", 3);
  for (size_t i = 0; i < n; i++) {
    char h[2] = {digits[b[i] >> 4], digits[b[i] & 15]};
    cp_raw(s, h, 2);
  }
  cp_raw(s, &sep, 1);
}

static bool copy_row_event(pg_t *s, const oms_event_t *ev, oms_store_error_t *e) {
  int n = oms_event_encode(ev, s->body, sizeof s->body);
  if (n < 0) {
    set_err(e, "oms_event_encode", NULL, "event too large");
    return false;
  }
  bool is_order = oms_event_is_order(ev->type) && ev->order.order_id != 0;
  cp_text(s, s->instance, '\t');
  cp_i64(s, (int64_t)ev->seq, '\t');
  cp_text(s, oms_event_type_name(ev->type), '\t');
  if (oms__event_has_order(ev))
    cp_i64(s, (int64_t)ev->order.order_id, '\t');
  else
    cp_text(s, NULL, '\t');
  cp_i64(s, ev->event_ns, '\t');
  cp_text(s, is_order ? oms_ord_state_str(ev->order.state) : NULL, '\t');
  cp_hex(s, s->body, (size_t)n, '\n');
  return true;
}

static void copy_row_fill(pg_t *s, const oms_event_t *ev) {
  const oms_order_t *o = &ev->order;
  char liq[2] = {ev->fill.liquidity, '\0'};
  cp_text(s, s->instance, '\t');
  cp_i64(s, (int64_t)ev->seq, '\t');
  cp_i64(s, (int64_t)o->order_id, '\t');
  cp_text(s, ev->fill.exec_id, '\t');
  cp_text(s, o->strategy_id, '\t');
  cp_text(s, o->account_id, '\t');
  cp_text(s, o->symbol, '\t');
  cp_text(s, oms_side_str(o->side), '\t');
  cp_dec(s, ev->fill.qty, '\t');
  cp_dec(s, ev->fill.price, '\t');
  cp_dec(s, ev->fill.fee, '\t');
  cp_text(s, liq, '\t');
  cp_i64(s, ev->event_ns, '\n');
}

/* The order's row, into orders_in (COPY). */
static bool copy_row_order(pg_t *s, const oms_event_t *ev, oms_store_error_t *e) {
  const oms_order_t *o = &ev->order;
  int n = oms_order_encode(o, s->snap, sizeof s->snap);
  if (n < 0) {
    set_err(e, "oms_order_encode", NULL, "order too large");
    return false;
  }
  cp_text(s, s->instance, '\t');
  cp_i64(s, (int64_t)o->order_id, '\t');
  cp_text(s, o->client_order_id, '\t');
  cp_text(s, o->strategy_id, '\t');
  cp_text(s, o->account_id, '\t');
  cp_text(s, o->venue, '\t');
  cp_text(s, o->symbol, '\t');
  cp_text(s, o->venue_order_id, '\t');
  cp_text(s, oms_side_str(o->side), '\t');
  cp_text(s, oms_ord_type_str(o->type), '\t');
  cp_text(s, oms_tif_str(o->tif), '\t');
  cp_dec(s, o->qty, '\t');
  cp_dec(s, o->price, '\t');
  cp_dec(s, o->stop_price, '\t');
  cp_text(s, oms_ord_state_str(o->state), '\t');
  cp_i64(s, oms_ord_state_is_terminal(o->state) ? 1 : 0, '\t');
  cp_dec(s, o->filled_qty, '\t');
  cp_dec(s, o->leaves_qty, '\t');
  cp_dec(s, o->avg_px, '\t');
  cp_i64(s, (int64_t)o->reject_code, '\t');
  cp_text(s, o->reject_reason, '\t');
  cp_i64(s, o->created_ns, '\t');
  cp_i64(s, o->updated_ns, '\t');
  cp_i64(s, (int64_t)ev->seq, '\t');
  cp_hex(s, s->snap, (size_t)n, '\n');
  return true;
}

/* Runs `sql` (a COPY ... FROM STDIN) with the rows in s->copy. */
static bool copy_in(pg_t *s, const char *sql, const char *label, oms_store_error_t *e) {
  if (s->copy_oom) {
    set_err(e, label, NULL, "out of memory");
    return false;
  }
  PGresult *res = PQexec(s->w, sql);
  bool ok = PQresultStatus(res) == PGRES_COPY_IN;
  PQclear(res);
  ok = ok && PQputCopyData(s->w, s->copy, (int)s->ncopy) == 1 && PQputCopyEnd(s->w, NULL) == 1;
  bool done = false;
  while ((res = PQgetResult(s->w)) != NULL) {
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
      done = true;
    else if (ok)
      set_err(e, label, s->w, PQresultErrorMessage(res));
    PQclear(res);
  }
  if (!ok || !done) {
    if (e->call[0] == '\0') set_err(e, label, s->w, NULL);
    return false;
  }
  return true;
}

/* The batch's events, then its fills, each in one COPY. */
static bool copy_batch(pg_t *s, const oms__rec_t *recs, size_t n, oms_store_error_t *e) {
  size_t fills = 0;
  s->ncopy = 0;
  s->copy_oom = false;
  for (size_t i = 0; i < n; i++)
    if (recs[i].kind == OMS__REC_EVENT && !copy_row_event(s, &recs[i].u.ev, e)) return false;
  if (s->ncopy > 0 &&
      !copy_in(s, "COPY events(instance, seq, type, order_id, event_ns, state, body) FROM STDIN",
               "COPY events", e))
    return false;
  s->ncopy = 0;
  for (size_t i = 0; i < n; i++)
    if (recs[i].kind == OMS__REC_EVENT && oms__event_is_fill(&recs[i].u.ev)) {
      copy_row_fill(s, &recs[i].u.ev);
      fills++;
    }
  if (fills > 0 &&
      !copy_in(s,
               "COPY fills(instance, seq, order_id, exec_id, strategy_id, account_id, symbol, "
               "side, qty, price, fee, liquidity, ts_ns) FROM STDIN",
               "COPY fills", e))
    return false;
  /* Each order's row once: for its last event in the batch. */
  bool *last = s->last;
  s->ncopy = 0;
  size_t orders = 0;
  for (size_t c = 0; c < n; c += OMS__PROJECT_MAX) {
    size_t m = n - c < OMS__PROJECT_MAX ? n - c : OMS__PROJECT_MAX;
    oms__last_per_order(recs + c, m, last);
    for (size_t i = 0; i < m; i++) {
      const oms__rec_t *r = &recs[c + i];
      if (r->kind != OMS__REC_EVENT || !last[i] || !oms_event_is_order(r->u.ev.type) ||
          r->u.ev.order.order_id == 0)
        continue;
      if (!copy_row_order(s, &r->u.ev, e)) return false;
      orders++;
    }
  }
  s->orders_in = orders > 0;
  return orders == 0 || copy_in(s, "COPY orders_in FROM STDIN", "COPY orders_in", e);
}

/* An event's rows but its own, its fill's and its order's (copy_batch
 * writes those). */
static void parent_params(params_t *p, const char *instance, const oms__parent_fields_t *f);

/* The parent whose state ev carries (0: none): a child's parent, or a
 * parent itself. */
static uint64_t parent_of(const oms_event_t *ev) {
  const oms_order_t *o = &ev->order;
  if (ev->algo_len == 0 || !oms_event_is_order(ev->type)) return 0;
  return o->parent_order_id ? o->parent_order_id : o->algo ? o->order_id : 0;
}

static bool seen(uint64_t *keys, size_t *n, uint64_t k) {
  for (size_t i = 0; i < *n; i++)
    if (keys[i] == k) return true;
  keys[(*n)++] = k;
  return false;
}

/* Which records of recs[0..m) (m <= OMS__PROJECT_MAX) write the parents'
 * tables: an order's row of order_parents once, at its last event here,
 * and a parent's row of parents at the last event here that carries its
 * state (rows go in seq order, so the last one is what a row-per-event
 * would have left). A batch of children then costs a statement per child
 * and per parent, not two per event. Linear in the distinct ids a chunk
 * holds. */
static void mark_parents(pg_t *s, const oms__rec_t *recs, size_t m) {
  size_t no = 0, np = 0;
  for (size_t i = m; i-- > 0;) {
    s->op_row[i] = s->par_row[i] = false;
    if (recs[i].kind != OMS__REC_EVENT) continue;
    const oms_event_t *ev = &recs[i].u.ev;
    const oms_order_t *o = &ev->order;
    if (oms_event_is_order(ev->type) && o->order_id != 0 && (o->parent_order_id || o->algo))
      s->op_row[i] = !seen(s->keys_o, &no, o->order_id);
    uint64_t pid = parent_of(ev);
    if (pid != 0) s->par_row[i] = !seen(s->keys_p, &np, pid);
  }
}

static bool send_event(pg_t *s, const oms_event_t *ev, bool op_row, bool par_row,
                       oms_store_error_t *e) {
  params_t p;
  if (ev->type == OMS_EVT_TRADING_STATE_CHANGED) {
    p_begin(&p, s);
    p_i64(&p, ev->scope_kind);
    p_text(&p, ev->scope_id);
    p_i64(&p, ev->new_state);
    p_text(&p, ev->text);
    p_i64(&p, ev->event_ns);
    p_i64(&p, (int64_t)ev->seq);
    if (!send(s, P_TSTATE, &p, e)) return false;
  }
  oms_sor_bestex_t bx;
  uint32_t fills[OMS_SOR_MAX_VENUES];
  if (ev->type == OMS_EVT_BEST_EXECUTION && ev->order.order_id != 0 &&
      oms_store_bestex_decode(ev->algo, ev->algo_len, &bx, fills) == 0) {
    p_begin(&p, s);
    p_i64(&p, (int64_t)ev->order.order_id);
    p_text(&p, ev->order.account_id);
    p_text(&p, ev->order.symbol);
    p_text(&p, oms_side_str(bx.side));
    p_i64(&p, bx.arrival_ns);
    const oms_dec_t d[10] = {bx.arrival_bid, bx.arrival_ask,  bx.qty,  bx.filled,
                             bx.avg_px,      bx.notional,     bx.fees, bx.improvement_px,
                             bx.improvement, bx.eff_spread_px};
    for (int i = 0; i < 10; i++) p_dec(&p, d[i]);
    p_i64(&p, bx.nvenues);
    p_i64(&p, ev->event_ns);
    p_i64(&p, (int64_t)ev->seq);
    if (!send(s, P_BESTEX, &p, e)) return false;
    p_begin(&p, s);
    p_i64(&p, (int64_t)ev->order.order_id);
    if (!send(s, P_BESTEX_DEL, &p, e)) return false;
    for (uint32_t i = 0; i < bx.nvenues; i++) {
      p_begin(&p, s);
      p_i64(&p, (int64_t)ev->order.order_id);
      p_i64(&p, i);
      p_text(&p, bx.venue[i].venue);
      p_i64(&p, fills[i]);
      p_i64(&p, bx.venue[i].children);
      p_dec(&p, bx.venue[i].qty);
      p_dec(&p, bx.venue[i].notional);
      p_dec(&p, bx.venue[i].fees);
      if (!send(s, P_BESTEX_VENUE, &p, e)) return false;
    }
  }
  const oms_order_t *o = &ev->order;
  if (op_row) {
    /* a parent or a child: its row of order_parents (the same at every event) */
    p_begin(&p, s);
    p_i64(&p, (int64_t)o->order_id);
    p_i64(&p, (int64_t)o->parent_order_id);
    p_i64(&p, o->child_seq);
    p_text(&p, o->algo ? oms_algo_strategy_name((oms_algo_strategy_t)o->algo) : "");
    if (!send(s, P_ORDER_PARENT, &p, e)) return false;
  }
  if (!par_row || !oms__parent_fields(ev, &s->parent)) return true;
  parent_params(&p, s->instance, &s->parent);
  return send(s, P_PARENT, &p, e);
}

/* PARENT's parameters: the instance, then OMS__PARENT_COLS. */
static void parent_params(params_t *p, const char *instance, const oms__parent_fields_t *f) {
  p->n = 0;
  p_text(p, instance);
  p_i64(p, (int64_t)f->parent_id);
  p_text(p, f->strategy);
  p_text(p, f->status);
  p_i64(p, f->terminal);
  p_text(p, f->account_id);
  p_text(p, f->symbol);
  p_text(p, f->side);
  for (int i = 0; i < 6; i++) p_text(p, f->dec[i]);
  p_i64(p, f->slices_done);
  p_i64(p, f->slices);
  p_i64(p, f->children);
  p_i64(p, f->start_ns);
  p_i64(p, f->end_ns);
  p_i64(p, f->next_slice_ns);
  p_text(p, f->params);
  p_i64(p, f->created_ns);
  p_i64(p, f->updated_ns);
  p_i64(p, (int64_t)f->seq);
}

static bool send_rec(pg_t *s, const oms__rec_t *r, size_t i, oms_store_error_t *e) {
  params_t p;
  p_begin(&p, s);
  switch (r->kind) {
    case OMS__REC_EVENT: return send_event(s, &r->u.ev, s->op_row[i], s->par_row[i], e);
    case OMS__REC_FIX_SEQNUMS:
      p_text(&p, r->u.fix.session);
      p_i64(&p, r->u.fix.next_in);
      p_i64(&p, r->u.fix.next_out);
      return send(s, P_FIXSEQ, &p, e);
    case OMS__REC_FIX_SENT:
      p_text(&p, r->u.fix.session);
      p_i64(&p, r->u.fix.seqnum);
      p_bin(&p, r->u.fix.msg, r->u.fix.len);
      if (!send(s, P_FIXSENT, &p, e)) return false;
      p_begin(&p, s);
      p_text(&p, r->u.fix.session);
      p_i64(&p, r->u.fix.seqnum + 1);
      return send(s, P_FIXSENT_SEQ, &p, e);
    case OMS__REC_FIX_RESET:
      p_text(&p, r->u.fix.session);
      return send(s, P_FIXDEL, &p, e) && send(s, P_FIXRESET, &p, e);
    case OMS__REC_CURSOR:
      p_text(&p, r->u.cur.sink);
      p_i64(&p, (int64_t)r->u.cur.seq);
      return send(s, P_CURSOR, &p, e);
    case OMS__REC_LIMIT:
      p_i64(&p, (int64_t)r->u.lim.seq);
      p_i64(&p, r->u.lim.ts_ns);
      p_text(&p, r->u.lim.who);
      /* the line is not NUL-terminated: sent as binary text, which is its bytes */
      p_bin(&p, r->u.lim.line, r->u.lim.len);
      return send(s, P_LIMIT, &p, e);
    case OMS__REC_PNL_BASE:
      p_i64(&p, r->u.pnl.day_start_ns);
      p_text(&p, r->u.pnl.account_id);
      p_dec(&p, r->u.pnl.base);
      return send(s, P_PNL_BASE, &p, e);
    default: return true; /* OMS__REC_NOP */
  }
}

static oms_dec_t col_dec(const PGresult *res, int row, int col) {
  oms_dec_t d = OMS_DEC_ZERO;
  if (!PQgetisnull(res, row, col)) (void)oms_dec_parse_cstr(PQgetvalue(res, row, col), &d);
  return d;
}

static int64_t col_i64(const PGresult *res, int row, int col) {
  return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void col_text(const PGresult *res, int row, int col, char *dst, size_t cap) {
  oms_strlcpy(dst, PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col), cap);
}

/* A row of POS_COLS, text format. */
static void position_from(const PGresult *res, int row, oms_position_t *p) {
  memset(p, 0, sizeof *p);
  col_text(res, row, 0, p->account_id, sizeof p->account_id);
  col_text(res, row, 1, p->symbol, sizeof p->symbol);
  p->qty = col_dec(res, row, 2);
  p->avg_px = col_dec(res, row, 3);
  p->realized_pnl = col_dec(res, row, 4);
  p->fees = col_dec(res, row, 5);
  p->updated_ns = col_i64(res, row, 6);
  p->last_fill_seq = (uint64_t)col_i64(res, row, 7);
  p->opened_seq = (uint64_t)col_i64(res, row, 8);
  p->mark_px = col_dec(res, row, 9);
  p->mark_ns = col_i64(res, row, 10);
  p->mark_seq = (uint64_t)col_i64(res, row, 11);
}

/* The batch's slot of ev's position, read from the database when the batch
 * first meets it (before the pipeline: one round trip per position). */
static pos_slot_t *pos_slot(pg_t *s, const oms_event_t *ev, oms_store_error_t *e) {
  const char *acct = ev->order.account_id, *sym = ev->order.symbol;
  for (size_t i = 0; i < s->npos; i++)
    if (strcmp(s->pos[i].p.account_id, acct) == 0 && strcmp(s->pos[i].p.symbol, sym) == 0)
      return &s->pos[i];
  if (s->npos == s->cap_pos) {
    size_t cap = s->cap_pos ? s->cap_pos * 2 : 16;
    pos_slot_t *n = oms__realloc(s->pos, cap * sizeof *n);
    if (n == NULL) {
      set_err(e, "positions", NULL, "out of memory");
      return NULL;
    }
    s->pos = n;
    s->cap_pos = cap;
  }
  const char *v[3] = {s->instance, acct, sym};
  PGresult *res = PQexecPrepared(s->w, stmts[P_POSITION_GET].name, 3, v, NULL, NULL, 0);
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    set_err(e, "SELECT positions", s->w, NULL);
    PQclear(res);
    return NULL;
  }
  pos_slot_t *slot = &s->pos[s->npos++];
  memset(slot, 0, sizeof *slot);
  if (PQntuples(res) > 0) position_from(res, 0, &slot->p);
  oms_strlcpy(slot->p.account_id, acct, sizeof slot->p.account_id);
  oms_strlcpy(slot->p.symbol, sym, sizeof slot->p.symbol);
  PQclear(res);
  return slot;
}

static bool book_positions(pg_t *s, const oms__rec_t *recs, size_t n, oms_store_error_t *e) {
  s->npos = 0;
  for (size_t i = 0; i < n; i++) {
    if (recs[i].kind != OMS__REC_EVENT || !oms__event_books(&recs[i].u.ev)) continue;
    pos_slot_t *slot = pos_slot(s, &recs[i].u.ev, e);
    if (slot == NULL) return false;
    if (oms__position_book(&slot->p, &recs[i].u.ev)) slot->booked = true;
  }
  return true;
}

static bool send_positions(pg_t *s, oms_store_error_t *e) {
  for (size_t i = 0; i < s->npos; i++) {
    const oms_position_t *q = &s->pos[i].p;
    if (!s->pos[i].booked) continue;
    params_t p;
    p_begin(&p, s);
    p_text(&p, q->account_id);
    p_text(&p, q->symbol);
    p_dec(&p, q->qty);
    p_dec(&p, q->avg_px);
    p_dec(&p, q->realized_pnl);
    p_dec(&p, q->fees);
    p_i64(&p, q->updated_ns);
    p_i64(&p, (int64_t)q->last_fill_seq);
    p_i64(&p, (int64_t)q->opened_seq);
    p_dec(&p, q->mark_px);
    p_i64(&p, q->mark_ns);
    p_i64(&p, (int64_t)q->mark_seq);
    if (!send(s, P_POSITION, &p, e)) return false;
  }
  return true;
}

/* Inside the batch's transaction: our lease token is still the group's.
 * The row stays locked FOR SHARE to the COMMIT, so a takeover (which
 * updates it) waits for this batch, and a batch after it sees the new
 * token: a superseded owner's writes are refused by the database. */
static bool fenced_ok(pg_t *s, oms_store_error_t *e) {
  if (s->fence_token == 0) return true;
  const char *v[1] = {s->instance};
  PGresult *r = PQexecParams(s->w, OMS_LEASE_FENCE_SQL, 1, NULL, v, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    set_err(e, "lease fence", s->w, NULL);
    PQclear(r);
    return false;
  }
  uint64_t now = PQntuples(r) == 1 ? strtoull(PQgetvalue(r, 0, 0), NULL, 10) : 0;
  PQclear(r);
  if (now == s->fence_token) return true;
  char m[128];
  snprintf(m, sizeof m, "fenced: lease token %llu of instance %s superseded by %llu",
           (unsigned long long)s->fence_token, s->instance, (unsigned long long)now);
  set_err(e, "lease fence", s->w, m);
  return false;
}

void oms__pg_set_fence(oms_store_t *base, uint64_t token) { ((pg_t *)base)->fence_token = token; }

int oms__pg_project(oms_store_t *base, const oms__rec_t *recs, size_t n, uint64_t lsn,
                    oms_store_error_t *e) {
  pg_t *s = (pg_t *)base;
  memset(e, 0, sizeof *e);
  pthread_mutex_lock(&s->wmu);
  int64_t t0 = oms__store_mono_ns();
  bool ok = conn(s, &s->w) != NULL;
  if (!ok) set_err(e, "PQconnectdb", s->w, NULL);
  ok = ok && prepare(s, s->w, e) == 0 && book_positions(s, recs, n, e);
  if (ok && !exec_ok(s->w, "BEGIN")) {
    set_err(e, "BEGIN", s->w, NULL);
    ok = false;
  }
  ok = ok && fenced_ok(s, e);
  ok = ok && copy_batch(s, recs, n, e);
  bool piped = ok && PQenterPipelineMode(s->w) == 1;
  if (ok && !piped) set_err(e, "PQenterPipelineMode", s->w, NULL);
  ok = piped;
  s->queued = 0;
  for (size_t c = 0; ok && c < n; c += OMS__PROJECT_MAX) {
    size_t m = n - c < OMS__PROJECT_MAX ? n - c : OMS__PROJECT_MAX;
    mark_parents(s, recs + c, m);
    for (size_t i = 0; ok && i < m; i++) ok = send_rec(s, &recs[c + i], i, e);
  }
  if (ok && s->orders_in) ok = send(s, P_ORDERS_IN, NULL, e);
  ok = ok && send_positions(s, e);
  if (ok) {
    params_t p;
    p_begin(&p, s);
    p_i64(&p, (int64_t)lsn);
    ok = send(s, P_PROJECTED, &p, e) && send(s, P_COMMIT, NULL, e);
  }
  /* The sync ends the transaction's statements; after a failure the server
   * skips to it and the open transaction is rolled back below. */
  if (piped) {
    oms_store_error_t e2;
    bool synced = sync_now(s, ok ? e : &e2);
    ok = ok && synced;
    if (PQstatus(s->w) == CONNECTION_OK) (void)PQexitPipelineMode(s->w);
  }
  if (!ok) {
    if (s->w != NULL && PQstatus(s->w) == CONNECTION_OK &&
        PQtransactionStatus(s->w) != PQTRANS_IDLE)
      exec_ok(s->w, "ROLLBACK");
    atomic_fetch_add_explicit(&s->n_failures, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->wmu);
    return OMS_ESTORE;
  }
  oms__commit_hist_add(&s->commit_hist, oms__store_mono_ns() - t0);
  atomic_fetch_add_explicit(&s->n_txn, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&s->n_records, n, memory_order_relaxed);
  if (n > atomic_load_explicit(&s->n_max_batch, memory_order_relaxed))
    atomic_store_explicit(&s->n_max_batch, n, memory_order_relaxed);
  pthread_mutex_unlock(&s->wmu);
  return 0;
}

/* ---- Migration 2's back-fill ---------------------------------------------------------- *
 * As SQLite's (store_parents.c): order_parents from every stored order's
 * snapshot (the only place the parent fields were), then each parent's row
 * from the newest event of it or its children that carries its state; every
 * instance's. A one-time cost proportional to the stored orders. */

static bool bf_exec(PGconn *c, const char *sql, int n, const char *const *v, const int *len,
                    const int *fmt, ExecStatusType want, PGresult **out, oms_store_error_t *e) {
  PGresult *res = PQexecParams(c, sql, n, NULL, v, len, fmt, out != NULL ? 1 : 0);
  if (PQresultStatus(res) != want) {
    set_err(e, "migration 2 back-fill", c, PQresultErrorMessage(res));
    PQclear(res);
    return false;
  }
  if (out != NULL)
    *out = res;
  else
    PQclear(res);
  return true;
}

static bool backfill_parents(PGconn *c, oms_store_error_t *e) {
  PGresult *all = NULL, *par = NULL;
  oms_order_t o;
  oms_event_t ev;
  params_t p;
  bool ok = bf_exec(c, "SELECT instance, snapshot FROM orders", 0, NULL, NULL, NULL,
                    PGRES_TUPLES_OK, &all, e);
  for (int i = 0; ok && i < PQntuples(all); i++) {
    if (oms_order_decode((const uint8_t *)PQgetvalue(all, i, 1), (size_t)PQgetlength(all, i, 1),
                         &o) != 0) {
      set_err(e, "migration 2 back-fill", c, "an order's snapshot does not decode");
      ok = false;
      break;
    }
    if (o.parent_order_id == 0 && o.algo == 0) continue;
    p.n = 0;
    p_text(&p, PQgetvalue(all, i, 0));
    p_i64(&p, (int64_t)o.order_id);
    p_i64(&p, (int64_t)o.parent_order_id);
    p_i64(&p, o.child_seq);
    p_text(&p, o.algo ? oms_algo_strategy_name((oms_algo_strategy_t)o.algo) : "");
    ok = bf_exec(c, stmts[P_ORDER_PARENT].sql, p.n, p.v, NULL, NULL, PGRES_COMMAND_OK, NULL, e);
  }
  PQclear(all);
  ok = ok && bf_exec(c,
                     "SELECT instance, order_id::text FROM order_parents WHERE algo <> '' AND "
                     "parent_order_id = 0",
                     0, NULL, NULL, NULL, PGRES_TUPLES_OK, &par, e);
  oms__parent_fields_t *f = ok ? oms__malloc(sizeof *f) : NULL;
  if (ok && f == NULL) {
    set_err(e, "migration 2 back-fill", c, "out of memory");
    ok = false;
  }
  for (int i = 0; ok && i < PQntuples(par); i++) {
    const char *v[2] = {PQgetvalue(par, i, 0), PQgetvalue(par, i, 1)};
    uint64_t id = strtoull(v[1], NULL, 10);
    PGresult *evs = NULL;
    ok = bf_exec(c,
                 "SELECT body FROM events WHERE instance = $1 AND (order_id = $2 OR order_id IN "
                 "(SELECT order_id FROM order_parents WHERE instance = $1 AND parent_order_id = "
                 "$2)) ORDER BY seq DESC",
                 2, v, NULL, NULL, PGRES_TUPLES_OK, &evs, e);
    for (int k = 0; ok && k < PQntuples(evs); k++) {
      if (oms_event_decode((const uint8_t *)PQgetvalue(evs, k, 0), (size_t)PQgetlength(evs, k, 0),
                           &ev) != 0 ||
          !oms__parent_fields(&ev, f) || f->parent_id != id)
        continue;
      parent_params(&p, v[0], f);
      ok = bf_exec(c, stmts[P_PARENT].sql, p.n, p.v, p.len, p.fmt, PGRES_COMMAND_OK, NULL, e);
      break; /* the newest is enough */
    }
    PQclear(evs);
  }
  oms__free(f);
  PQclear(par);
  return ok;
}

/* ---- Queries -------------------------------------------------------------------------- */

typedef int (*row_fn)(const PGresult *res, int row, void *cb, void *ctx);

/* Runs sql with the instance as $1 and params[0..n) after it, binary
 * results if binary, and calls row for each row until one returns non-zero
 * (returned). OMS_ESTORE when the query fails. */
static int query(pg_t *s, const char *sql, const char *const *params, int n, bool binary,
                 row_fn row, void *cb, void *ctx) {
  const char *v[12];
  v[0] = s->instance;
  for (int i = 0; i < n; i++) v[i + 1] = params[i];
  pthread_mutex_lock(&s->rmu);
  PGconn *c = conn(s, &s->r);
  PGresult *res = c ? PQexecParams(c, sql, n + 1, NULL, v, NULL, NULL, binary ? 1 : 0) : NULL;
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    PQclear(res);
    pthread_mutex_unlock(&s->rmu);
    return OMS_ESTORE;
  }
  pthread_mutex_unlock(&s->rmu);
  int rc = 0;
  for (int i = 0; rc == 0 && i < PQntuples(res); i++) rc = row(res, i, cb, ctx);
  PQclear(res);
  return rc;
}

static int row_order(const PGresult *res, int row, void *cb, void *ctx) {
  oms_order_t o;
  if (oms_order_decode((const uint8_t *)PQgetvalue(res, row, 0), (size_t)PQgetlength(res, row, 0),
                       &o) != 0)
    return OMS_ESTORE;
  return ((oms_order_cb)cb)(ctx, &o);
}

static int row_event(const PGresult *res, int row, void *cb, void *ctx) {
  oms_event_t ev;
  if (oms_event_decode((const uint8_t *)PQgetvalue(res, row, 0), (size_t)PQgetlength(res, row, 0),
                       &ev) != 0)
    return OMS_ESTORE;
  return ((oms_event_cb)cb)(ctx, &ev);
}

static int take_order(void *ctx, const oms_order_t *o) {
  *(oms_order_t *)ctx = *o;
  return 1;
}

static void num(char *buf, int64_t x) { snprintf(buf, NUM_LEN, "%" PRId64, x); }

static int pg_get_order(oms_store_t *base, uint64_t id, oms_order_t *out) {
  char a[NUM_LEN];
  num(a, (int64_t)id);
  const char *p[1] = {a};
  int rc = query((pg_t *)base, "SELECT snapshot FROM orders WHERE instance = $1 AND order_id = $2",
                 p, 1, true, row_order, (void *)take_order, out);
  return rc == 1 ? 0 : rc == 0 ? OMS_ENOTFOUND : rc;
}

static int pg_query_orders(oms_store_t *base, const oms_order_query_t *q, oms_order_cb cb,
                           void *ctx) {
  const char *state_sql = q != NULL ? oms__state_class_sql(q->state_class) : NULL;
  if (cb == NULL || state_sql == NULL) return OMS_EINVAL;
  char sql[1024], nums[5][NUM_LEN];
  const char *p[11];
  int n = 0;
  /* by parent: the parent's range of order_parents' index, each child's row
   * of orders by its key */
  size_t w = (size_t)snprintf(
      sql, sizeof sql, "SELECT snapshot FROM %s WHERE instance = $1",
      q->parent_order_id ? "order_parents JOIN orders USING (instance, order_id)" : "orders");
#define PG_WHERE(cond, fmt, val)                                \
  if (cond) {                                                   \
    p[n++] = (val);                                             \
    w += (size_t)snprintf(sql + w, sizeof sql - w, fmt, n + 1); \
  }
  if (q->order_id) num(nums[0], (int64_t)q->order_id);
  if (q->created_from_ns) num(nums[1], q->created_from_ns);
  if (q->created_to_ns) num(nums[2], q->created_to_ns);
  if (q->after_order_id) num(nums[3], (int64_t)q->after_order_id);
  PG_WHERE(q->order_id, " AND order_id = $%d", nums[0]);
  PG_WHERE(q->client_order_id && q->client_order_id[0], " AND client_order_id = $%d",
           q->client_order_id);
  PG_WHERE(q->strategy_id && q->strategy_id[0], " AND strategy_id = $%d", q->strategy_id);
  PG_WHERE(q->account_id && q->account_id[0], " AND account_id = $%d", q->account_id);
  PG_WHERE(q->symbol && q->symbol[0], " AND symbol = $%d", q->symbol);
  PG_WHERE(q->created_from_ns, " AND created_ns >= $%d", nums[1]);
  PG_WHERE(q->created_to_ns, " AND created_ns < $%d", nums[2]);
  PG_WHERE(q->venue && q->venue[0], " AND venue = $%d", q->venue);
  if (q->parent_order_id) num(nums[4], (int64_t)q->parent_order_id);
  PG_WHERE(q->after_order_id, " AND order_id > $%d", nums[3]);
  PG_WHERE(q->parent_order_id, " AND parent_order_id = $%d", nums[4]);
#undef PG_WHERE
  if (q->states) {
    /* the state names the rows hold; bits above the last state match nothing */
    w += (size_t)snprintf(sql + w, sizeof sql - w, " AND state IN (''");
    for (int i = 0; i < OMS_STATE_COUNT; i++)
      if (q->states & (1u << i))
        w += (size_t)snprintf(sql + w, sizeof sql - w, ",'%s'",
                              oms_ord_state_str((oms_ord_state_t)i));
    w += (size_t)snprintf(sql + w, sizeof sql - w, ")");
  } else {
    w += (size_t)snprintf(sql + w, sizeof sql - w, "%s", state_sql);
  }
  if (q->limit)
    snprintf(sql + w, sizeof sql - w, " ORDER BY order_id LIMIT %u", (unsigned)q->limit);
  else
    snprintf(sql + w, sizeof sql - w, " ORDER BY order_id");
  return query((pg_t *)base, sql, p, n, true, row_order, (void *)cb, ctx);
}

static const char *pg_col(void *ctx, int i) {
  const PGresult *res = ((const void **)ctx)[0];
  int row = *(const int *)((const void **)ctx)[1];
  return PQgetisnull(res, row, i) ? NULL : PQgetvalue(res, row, i);
}

static int row_parent(const PGresult *res, int row, void *cb, void *ctx) {
  oms_parent_row_t pr;
  const void *at[2] = {res, &row};
  oms__parent_from_cols(pg_col, at, &pr);
  return ((oms_parent_cb)cb)(ctx, &pr);
}

static int pg_query_parents(oms_store_t *base, const oms_parent_query_t *q, oms_parent_cb cb,
                            void *ctx) {
  if (q == NULL || cb == NULL) return OMS_EINVAL;
  char sql[1280], nums[3][NUM_LEN];
  const char *p[5];
  int n = 0;
  size_t w = (size_t)snprintf(
      sql, sizeof sql,
      "SELECT p.parent_order_id, p.strategy, p.status, p.account_id, p.symbol, p.side, p.qty, "
      "p.filled_qty, p.open_qty, p.leaves_qty, p.avg_px, p.limit_px, p.slices_done, p.slices, "
      "p.children, p.start_ns, p.end_ns, p.next_slice_ns, p.params, p.created_ns, p.updated_ns, "
      "p.last_event_seq, coalesce(o.client_order_id, ''), coalesce(o.state, '') FROM parents p "
      "LEFT JOIN orders o ON o.instance = p.instance AND o.order_id = p.parent_order_id "
      "WHERE p.instance = $1");
#define PG_WHERE(cond, fmt, val)                                \
  if (cond) {                                                   \
    p[n++] = (val);                                             \
    w += (size_t)snprintf(sql + w, sizeof sql - w, fmt, n + 1); \
  }
  if (q->parent_order_id) num(nums[0], (int64_t)q->parent_order_id);
  if (q->after_parent_id) num(nums[1], (int64_t)q->after_parent_id);
  if (q->limit) num(nums[2], (int64_t)q->limit);
  PG_WHERE(q->parent_order_id, " AND p.parent_order_id = $%d", nums[0]);
  PG_WHERE(q->account_id && q->account_id[0], " AND p.account_id = $%d", q->account_id);
  PG_WHERE(q->symbol && q->symbol[0], " AND p.symbol = $%d", q->symbol);
  PG_WHERE(q->after_parent_id,
           q->newest_first ? " AND p.parent_order_id < $%d" : " AND p.parent_order_id > $%d",
           nums[1]);
  if (q->statuses) { /* the names the rows hold; bits past the last match nothing */
    w += (size_t)snprintf(sql + w, sizeof sql - w, " AND p.status IN (''");
    for (int i = OMS_ALGO_WAITING; i <= OMS_ALGO_HALTED; i++)
      if (q->statuses & (1u << i))
        w += (size_t)snprintf(sql + w, sizeof sql - w, ",'%s'",
                              oms_algo_status_name((oms_algo_status_t)i));
    w += (size_t)snprintf(sql + w, sizeof sql - w, ")");
  }
  w += (size_t)snprintf(sql + w, sizeof sql - w, " ORDER BY p.parent_order_id%s",
                        q->newest_first ? " DESC" : "");
  PG_WHERE(q->limit, " LIMIT $%d", nums[2]);
#undef PG_WHERE
  return query((pg_t *)base, sql, p, n, false, row_parent, (void *)cb, ctx);
}

static int pg_events_for_order(oms_store_t *base, uint64_t id, oms_event_cb cb, void *ctx) {
  char a[NUM_LEN];
  num(a, (int64_t)id);
  const char *p[1] = {a};
  return query((pg_t *)base,
               "SELECT body FROM events WHERE instance = $1 AND order_id = $2 ORDER BY seq", p, 1,
               true, row_event, (void *)cb, ctx);
}

static int pg_events_from(oms_store_t *base, uint64_t from, size_t max, oms_event_cb cb,
                          void *ctx) {
  char a[NUM_LEN], b[NUM_LEN];
  num(a, (int64_t)from);
  num(b, (int64_t)max);
  const char *p[2] = {a, max ? b : NULL};
  return query((pg_t *)base,
               "SELECT body FROM events WHERE instance = $1 AND seq >= $2 ORDER BY seq "
               "LIMIT $3::bigint",
               p, 2, true, row_event, (void *)cb, ctx);
}

static int pg_events_between(oms_store_t *base, int64_t from_ns, int64_t to_ns, oms_event_cb cb,
                             void *ctx) {
  char a[NUM_LEN], b[NUM_LEN];
  num(a, from_ns);
  num(b, to_ns);
  const char *p[2] = {a, b};
  return query((pg_t *)base,
               "SELECT body FROM events WHERE instance = $1 AND event_ns >= $2 AND "
               "event_ns < $3 ORDER BY seq",
               p, 2, true, row_event, (void *)cb, ctx);
}

static int row_fill(const PGresult *res, int row, void *cb, void *ctx) {
  oms_fill_row_t f;
  char side[8], liq[4];
  memset(&f, 0, sizeof f);
  f.seq = (uint64_t)col_i64(res, row, 0);
  f.order_id = (uint64_t)col_i64(res, row, 1);
  col_text(res, row, 2, side, sizeof side);
  oms_side_parse(side, &f.side);
  col_text(res, row, 3, f.symbol, sizeof f.symbol);
  f.fill.qty = col_dec(res, row, 4);
  f.fill.price = col_dec(res, row, 5);
  f.fill.fee = col_dec(res, row, 6);
  col_text(res, row, 7, liq, sizeof liq);
  f.fill.liquidity = liq[0];
  col_text(res, row, 8, f.fill.exec_id, sizeof f.fill.exec_id);
  f.ts_ns = col_i64(res, row, 9);
  return ((oms_fill_cb)cb)(ctx, &f);
}

static int pg_fills_for_order(oms_store_t *base, uint64_t id, oms_fill_cb cb, void *ctx) {
  char a[NUM_LEN];
  num(a, (int64_t)id);
  const char *p[1] = {a};
  return query((pg_t *)base,
               "SELECT seq, order_id, side, symbol, qty, price, fee, liquidity, exec_id, ts_ns "
               "FROM fills WHERE instance = $1 AND order_id = $2 ORDER BY seq",
               p, 1, false, row_fill, (void *)cb, ctx);
}

static int row_position(const PGresult *res, int row, void *cb, void *ctx) {
  oms_position_t p;
  position_from(res, row, &p);
  return ((oms_position_cb)cb)(ctx, &p);
}

static int pg_load_positions(oms_store_t *base, oms_position_cb cb, void *ctx) {
  return query((pg_t *)base,
               "SELECT " POS_COLS
               " FROM positions WHERE instance = $1 "
               "ORDER BY account_id COLLATE \"C\", symbol COLLATE \"C\"",
               NULL, 0, false, row_position, (void *)cb, ctx);
}

static int take_position(void *ctx, const oms_position_t *p) {
  *(oms_position_t *)ctx = *p;
  return 1;
}

static int pg_get_position(oms_store_t *base, const char *account_id, const char *symbol,
                           oms_position_t *out) {
  memset(out, 0, sizeof *out);
  if (account_id == NULL || symbol == NULL || !account_id[0] || !symbol[0]) return OMS_EINVAL;
  const char *p[2] = {account_id, symbol};
  int rc = query((pg_t *)base,
                 "SELECT " POS_COLS
                 " FROM positions WHERE instance = $1 AND account_id = $2 AND symbol = $3",
                 p, 2, false, row_position, (void *)take_position, out);
  return rc == 1 ? 0 : rc == 0 ? OMS_ENOTFOUND : rc;
}

static int row_bestex(const PGresult *res, int row, void *cb, void *ctx) {
  (void)cb;
  oms_bestex_row_t *out = ctx;
  oms_sor_bestex_t *bx = &out->bx;
  char t[16];
  col_text(res, row, 0, out->account_id, sizeof out->account_id);
  col_text(res, row, 1, out->symbol, sizeof out->symbol);
  col_text(res, row, 2, t, sizeof t);
  (void)oms_side_parse(t, &bx->side);
  bx->arrival_ns = col_i64(res, row, 3);
  oms_dec_t *f[10] = {&bx->arrival_bid, &bx->arrival_ask,  &bx->qty,  &bx->filled,
                      &bx->avg_px,      &bx->notional,     &bx->fees, &bx->improvement_px,
                      &bx->improvement, &bx->eff_spread_px};
  for (int i = 0; i < 10; i++) *f[i] = col_dec(res, row, 4 + i);
  out->event_ns = col_i64(res, row, 14);
  out->event_seq = (uint64_t)col_i64(res, row, 15);
  return 1;
}

static int row_bestex_venue(const PGresult *res, int row, void *cb, void *ctx) {
  (void)cb;
  oms_bestex_row_t *out = ctx;
  if (out->bx.nvenues == OMS_SOR_MAX_VENUES) return 1;
  uint32_t i = out->bx.nvenues++;
  col_text(res, row, 0, out->bx.venue[i].venue, sizeof out->bx.venue[i].venue);
  out->fills[i] = (uint32_t)col_i64(res, row, 1);
  out->bx.venue[i].children = (uint32_t)col_i64(res, row, 2);
  out->bx.venue[i].qty = col_dec(res, row, 3);
  out->bx.venue[i].notional = col_dec(res, row, 4);
  out->bx.venue[i].fees = col_dec(res, row, 5);
  return 0;
}

static int pg_get_best_execution(oms_store_t *base, uint64_t id, oms_bestex_row_t *out) {
  char num[24];
  snprintf(num, sizeof num, "%" PRIu64, id);
  const char *p[1] = {num};
  int rc = query((pg_t *)base,
                 "SELECT account_id, symbol, side, arrival_ns, arrival_bid, arrival_ask, qty, "
                 "filled_qty, avg_px, notional, fees, improvement_px, improvement, eff_spread_px, "
                 "event_ns, event_seq FROM best_execution WHERE instance = $1 AND "
                 "parent_order_id = $2",
                 p, 1, false, row_bestex, NULL, out);
  if (rc != 1) return rc == 0 ? OMS_ENOTFOUND : rc;
  out->bx.parent_id = id;
  rc = query((pg_t *)base,
             "SELECT venue, fills, children, qty, notional, fees FROM best_execution_venues "
             "WHERE instance = $1 AND parent_order_id = $2 ORDER BY pos",
             p, 1, false, row_bestex_venue, NULL, out);
  return rc < 0 ? rc : 0;
}

static int row_tstate(const PGresult *res, int row, void *cb, void *ctx) {
  oms_trading_state_row_t t;
  memset(&t, 0, sizeof t);
  t.scope_kind = (uint8_t)col_i64(res, row, 0);
  col_text(res, row, 1, t.scope_id, sizeof t.scope_id);
  t.state = (uint8_t)col_i64(res, row, 2);
  col_text(res, row, 3, t.reason, sizeof t.reason);
  t.updated_ns = col_i64(res, row, 4);
  t.event_seq = (uint64_t)col_i64(res, row, 5);
  return ((oms_trading_state_cb)cb)(ctx, &t);
}

static int pg_load_trading_states(oms_store_t *base, oms_trading_state_cb cb, void *ctx) {
  return query((pg_t *)base,
               "SELECT scope_kind, scope_id, state, reason, updated_ns, event_seq FROM "
               "trading_states WHERE instance = $1 ORDER BY scope_kind, scope_id COLLATE \"C\"",
               NULL, 0, false, row_tstate, (void *)cb, ctx);
}

typedef struct two_s {
  int64_t a, b;
  int found;
} two_t;

static int row_two(const PGresult *res, int row, void *cb, void *ctx) {
  (void)cb;
  two_t *t = ctx;
  t->a = col_i64(res, row, 0);
  t->b = col_i64(res, row, 1);
  t->found = 1;
  return 0;
}

static int pg_last_seqs(oms_store_t *base, uint64_t *last_event_seq, uint64_t *last_order_id) {
  two_t t = {0, 0, 0};
  int rc = query((pg_t *)base,
                 "SELECT coalesce((SELECT max(seq) FROM events WHERE instance = $1), 0), "
                 "coalesce((SELECT max(order_id) FROM orders WHERE instance = $1), 0)",
                 NULL, 0, false, row_two, NULL, &t);
  if (rc != 0) return rc;
  *last_event_seq = (uint64_t)t.a;
  *last_order_id = (uint64_t)t.b;
  return 0;
}

static int row_clordid(const PGresult *res, int row, void *cb, void *ctx) {
  return ((oms_clordid_cb)cb)(ctx, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1));
}

static int pg_each_clordid(oms_store_t *base, oms_clordid_cb cb, void *ctx) {
  return query((pg_t *)base,
               "SELECT coalesce(strategy_id, ''), coalesce(client_order_id, '') FROM orders "
               "WHERE instance = $1",
               NULL, 0, false, row_clordid, (void *)cb, ctx);
}

static int pg_fill_seq_back(oms_store_t *base, uint64_t n, uint64_t *seq) {
  two_t t = {1, 0, 0};
  char a[NUM_LEN];
  num(a, (int64_t)(n - 1));
  const char *p[1] = {a};
  int rc = query((pg_t *)base,
                 "SELECT seq, 0 FROM fills WHERE instance = $1 ORDER BY seq DESC LIMIT 1 "
                 "OFFSET $2",
                 p, 1, false, row_two, NULL, &t);
  if (rc != 0) return rc;
  *seq = t.found ? (uint64_t)t.a : 1;
  return 0;
}

static bool session_ok(const char *session) {
  return session != NULL && session[0] != '\0' && strlen(session) <= OMS_STORE_SESSION_MAX;
}

static int pg_fix_get_seqnums(oms_store_t *base, const char *session, int64_t *next_in,
                              int64_t *next_out) {
  two_t t = {1, 1, 0};
  *next_in = *next_out = 1;
  if (!session_ok(session)) return OMS_EINVAL;
  const char *p[1] = {session};
  int rc = query((pg_t *)base,
                 "SELECT next_in, next_out FROM fix_sessions WHERE instance = $1 AND session = $2",
                 p, 1, false, row_two, NULL, &t);
  if (rc != 0) return rc;
  if (!t.found) return OMS_ENOTFOUND;
  *next_in = t.a;
  *next_out = t.b;
  return 0;
}

static int row_fixmsg(const PGresult *res, int row, void *cb, void *ctx) {
  uint64_t be;
  memcpy(&be, PQgetvalue(res, row, 0), sizeof be);
  return ((oms_fix_msg_cb)cb)(ctx, (int64_t)be64toh(be), PQgetvalue(res, row, 1),
                              (size_t)PQgetlength(res, row, 1));
}

static int pg_fix_fetch_sent(oms_store_t *base, const char *session, int64_t from, int64_t to,
                             oms_fix_msg_cb cb, void *ctx) {
  if (!session_ok(session) || cb == NULL) return OMS_EINVAL;
  char a[NUM_LEN], b[NUM_LEN];
  num(a, from);
  num(b, to <= 0 ? INT64_MAX : to);
  const char *p[3] = {session, a, b};
  return query((pg_t *)base,
               "SELECT seqnum, msg FROM fix_sent WHERE instance = $1 AND session = $2 AND "
               "seqnum >= $3 AND seqnum <= $4 ORDER BY seqnum",
               p, 3, true, row_fixmsg, (void *)cb, ctx);
}

static int pg_cursor_get(oms_store_t *base, const char *sink, uint64_t *seq) {
  two_t t = {0, 0, 0};
  *seq = 0;
  if (sink == NULL || sink[0] == '\0') return OMS_EINVAL;
  const char *p[1] = {sink};
  int rc = query((pg_t *)base, "SELECT seq, 0 FROM sink_cursors WHERE instance = $1 AND sink = $2",
                 p, 1, false, row_two, NULL, &t);
  if (rc == 0) *seq = (uint64_t)t.a;
  return rc;
}

static int row_limit(const PGresult *res, int row, void *cb, void *ctx) {
  oms_limit_change_row_t r;
  memset(&r, 0, sizeof r);
  r.seq = (uint64_t)col_i64(res, row, 0);
  r.ts_ns = col_i64(res, row, 1);
  col_text(res, row, 2, r.who, sizeof r.who);
  r.line = PQgetvalue(res, row, 3);
  r.len = (size_t)PQgetlength(res, row, 3);
  return ((oms_limit_change_cb)cb)(ctx, &r);
}

static int pg_limit_changes(oms_store_t *base, oms_limit_change_cb cb, void *ctx) {
  return query((pg_t *)base,
               "SELECT seq, ts_ns, who, line FROM limit_changes WHERE instance = $1 ORDER BY seq",
               NULL, 0, false, row_limit, (void *)cb, ctx);
}

typedef struct pnl_q_s {
  oms_pnl_base_cb cb;
  void *ctx;
  int64_t *day_start_ns;
  bool found;
} pnl_q_t;

/* The day's mark ('' sorts first) sets the day; each account's row goes to
 * the callback. */
static int row_pnl_base(const PGresult *res, int row, void *cb, void *ctx) {
  (void)cb;
  pnl_q_t *q = ctx;
  oms_pnl_base_row_t r;
  memset(&r, 0, sizeof r);
  r.day_start_ns = col_i64(res, row, 0);
  col_text(res, row, 1, r.account_id, sizeof r.account_id);
  r.base = col_dec(res, row, 2);
  q->found = true;
  *q->day_start_ns = r.day_start_ns;
  return r.account_id[0] == '\0' ? 0 : q->cb(q->ctx, &r);
}

static int pg_pnl_bases(oms_store_t *base, int64_t *day_start_ns, oms_pnl_base_cb cb, void *ctx) {
  pnl_q_t q = {cb, ctx, day_start_ns, false};
  int rc = query((pg_t *)base,
                 "SELECT day_start_ns, account_id, base FROM pnl_bases WHERE instance = $1 AND "
                 "day_start_ns = (SELECT MAX(day_start_ns) FROM pnl_bases WHERE instance = $1 AND "
                 "account_id = '') ORDER BY account_id",
                 NULL, 0, false, row_pnl_base, NULL, &q);
  return rc == 0 && !q.found ? OMS_ENOTFOUND : rc;
}

static void pg_stats(const oms_store_t *base, oms_store_stats_t *st) {
  pg_t *s = (pg_t *)base;
  memset(st, 0, sizeof *st);
  st->transactions = atomic_load_explicit(&s->n_txn, memory_order_relaxed);
  st->records = atomic_load_explicit(&s->n_records, memory_order_relaxed);
  st->max_batch = atomic_load_explicit(&s->n_max_batch, memory_order_relaxed);
  st->failures = atomic_load_explicit(&s->n_failures, memory_order_relaxed);
  oms__commit_hist_read(&s->commit_hist, st);
}

static void pg_close(oms_store_t *base) {
  pg_t *s = (pg_t *)base;
  if (s == NULL) return;
  if (s->w != NULL) PQfinish(s->w);
  if (s->r != NULL) PQfinish(s->r);
  pthread_mutex_destroy(&s->wmu);
  pthread_mutex_destroy(&s->rmu);
  oms__free(s->pos);
  oms__free(s->copy);
  oms__free(s->conninfo);
  oms__free(s);
}

/* The journal store writes through oms__pg_project and reads through these. */
static const oms_store_vtbl_t pg_vtbl = {
    .stats = pg_stats,
    .get_order = pg_get_order,
    .query_orders = pg_query_orders,
    .events_for_order = pg_events_for_order,
    .events_from = pg_events_from,
    .events_between = pg_events_between,
    .fills_for_order = pg_fills_for_order,
    .load_positions = pg_load_positions,
    .get_position = pg_get_position,
    .load_trading_states = pg_load_trading_states,
    .last_seqs = pg_last_seqs,
    .get_best_execution = pg_get_best_execution,
    .fix_get_seqnums = pg_fix_get_seqnums,
    .fix_fetch_sent = pg_fix_fetch_sent,
    .cursor_get = pg_cursor_get,
    .close = pg_close,
    .each_clordid = pg_each_clordid,
    .fill_seq_back = pg_fill_seq_back,
    .limit_changes = pg_limit_changes,
    .pnl_bases = pg_pnl_bases,
    .query_parents = pg_query_parents,
};

int oms__pg_open(const char *conninfo, const char *instance, oms_store_t **out,
                 oms_store_error_t *e) {
  *out = NULL;
  memset(e, 0, sizeof *e);
  if (conninfo == NULL || instance == NULL || instance[0] == '\0' || strlen(instance) > OMS_ID_MAX)
    return OMS_EINVAL;
  pg_t *s = oms__calloc(1, sizeof *s);
  if (s == NULL) return OMS_ENOMEM;
  s->base.vt = &pg_vtbl;
  pthread_mutex_init(&s->wmu, NULL);
  pthread_mutex_init(&s->rmu, NULL);
  oms_strlcpy(s->instance, instance, sizeof s->instance);
  int rc = OMS_ENOMEM;
  if ((s->conninfo = oms__strdup(conninfo)) == NULL) goto fail;
  rc = OMS_EDOWN; /* unreachable: the journal store trades without it (docs/store.md) */
  if (conn(s, &s->w) == NULL) {
    set_err(e, "PQconnectdb", s->w, NULL);
    goto fail;
  }
  rc = OMS_ESTORE;
  if ((rc = migrate(s->w, e)) != 0) goto fail;
  *out = &s->base;
  return 0;
fail:
  pg_close(&s->base);
  return rc;
}

int oms__pg_projected(oms_store_t *base, uint64_t *lsn) {
  pg_t *s = (pg_t *)base;
  two_t t = {0, 0, 0};
  *lsn = 0;
  int rc = query(s, "SELECT lsn, 0 FROM journal_projection WHERE instance = $1", NULL, 0, false,
                 row_two, NULL, &t);
  if (rc == 0) *lsn = (uint64_t)t.a;
  return rc;
}

int oms__pg_schema_version(oms_store_t *base) {
  pg_t *s = (pg_t *)base;
  pthread_mutex_lock(&s->rmu);
  PGconn *c = conn(s, &s->r);
  int v = c ? schema_version(c) : -1;
  pthread_mutex_unlock(&s->rmu);
  return v;
}
