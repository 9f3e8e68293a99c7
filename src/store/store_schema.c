/*
 * store_schema.c - the SQLite schema of the order store and its migrations.
 *
 * The schema is versioned: `schema_version` holds one row per applied
 * migration. A migration is static SQL applied in its own transaction
 * together with its schema_version row, so a database is always at exactly
 * one version. Migrations are append-only: a released migration never
 * changes; a change to the schema is a new migration. docs/store.md shows the
 * resulting tables.
 *
 * Decimals are stored as TEXT with their exact value ("1.5"); the complete
 * record of an order or event (every field, for recovery and replay) is the
 * BLOB in orders.snapshot / events.body, in the binary form of event.h.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "oms/error.h"
#include "store/store_int.h"
#include "store/store_sqlite.h"

typedef struct migration_s {
  int version;
  const char *description;
  const char *sql;
  int (*then)(sqlite3 *db); /* runs after sql, in the same transaction; NULL if none */
} migration_t;

static int rebuild_positions(sqlite3 *db);

static const migration_t migrations[] = {
    {1, "orders, event log, fills",
     "CREATE TABLE orders("
     " order_id INTEGER PRIMARY KEY,"
     " client_order_id TEXT NOT NULL, strategy_id TEXT NOT NULL, account_id TEXT NOT NULL,"
     " venue TEXT NOT NULL, symbol TEXT NOT NULL, venue_order_id TEXT NOT NULL,"
     " side TEXT NOT NULL, type TEXT NOT NULL, tif TEXT NOT NULL,"
     " qty TEXT NOT NULL, price TEXT NOT NULL, stop_price TEXT NOT NULL,"
     " state TEXT NOT NULL, terminal INTEGER NOT NULL,"
     " filled_qty TEXT NOT NULL, leaves_qty TEXT NOT NULL, avg_px TEXT NOT NULL,"
     " reject_code INTEGER NOT NULL, reject_reason TEXT NOT NULL,"
     " created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
     " last_event_seq INTEGER NOT NULL, snapshot BLOB NOT NULL);"
     "CREATE INDEX orders_clordid ON orders(client_order_id, strategy_id);"
     "CREATE INDEX orders_strategy ON orders(strategy_id, created_ns);"
     "CREATE INDEX orders_account ON orders(account_id, created_ns);"
     "CREATE INDEX orders_state ON orders(terminal, state);"
     "CREATE INDEX orders_created ON orders(created_ns);"
     "CREATE TABLE events("
     " seq INTEGER PRIMARY KEY, type TEXT NOT NULL, order_id INTEGER,"
     " event_ns INTEGER NOT NULL, state TEXT, body BLOB NOT NULL);"
     "CREATE INDEX events_order ON events(order_id, seq);"
     "CREATE INDEX events_time ON events(event_ns);"
     "CREATE TABLE fills("
     " seq INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, exec_id TEXT NOT NULL,"
     " strategy_id TEXT NOT NULL, account_id TEXT NOT NULL, symbol TEXT NOT NULL,"
     " side TEXT NOT NULL, qty TEXT NOT NULL, price TEXT NOT NULL, fee TEXT NOT NULL,"
     " liquidity TEXT NOT NULL, ts_ns INTEGER NOT NULL);"
     "CREATE INDEX fills_order ON fills(order_id, seq);"
     "CREATE INDEX fills_exec ON fills(exec_id);",
     NULL},
    {2, "positions and trading states (kill switch)",
     "CREATE TABLE positions("
     " account_id TEXT NOT NULL, strategy_id TEXT NOT NULL, symbol TEXT NOT NULL,"
     " qty TEXT NOT NULL, avg_px TEXT NOT NULL, realized_pnl TEXT NOT NULL, fees TEXT NOT NULL,"
     " updated_ns INTEGER NOT NULL, PRIMARY KEY(account_id, strategy_id, symbol));"
     "CREATE TABLE trading_states("
     " scope_kind INTEGER NOT NULL, scope_id TEXT NOT NULL, state INTEGER NOT NULL,"
     " reason TEXT NOT NULL, updated_ns INTEGER NOT NULL, event_seq INTEGER NOT NULL,"
     " PRIMARY KEY(scope_kind, scope_id));",
     NULL},
    {3, "FIX session state and sink cursors",
     "CREATE TABLE fix_sessions("
     " session TEXT PRIMARY KEY, next_in INTEGER NOT NULL, next_out INTEGER NOT NULL);"
     "CREATE TABLE fix_sent("
     " session TEXT NOT NULL, seqnum INTEGER NOT NULL, msg BLOB NOT NULL,"
     " PRIMARY KEY(session, seqnum)) WITHOUT ROWID;"
     "CREATE TABLE sink_cursors(sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);",
     NULL},
    /* Version 2's positions were keyed by strategy too and never written;
     * the table is replaced and filled from the stored fills. */
    {4, "positions per account and symbol, booked from the fills",
     "DROP TABLE positions;"
     "CREATE TABLE positions("
     " account_id TEXT NOT NULL, symbol TEXT NOT NULL,"
     " qty TEXT NOT NULL, avg_px TEXT NOT NULL, realized_pnl TEXT NOT NULL, fees TEXT NOT NULL,"
     " updated_ns INTEGER NOT NULL, last_fill_seq INTEGER NOT NULL,"
     " PRIMARY KEY(account_id, symbol));",
     NULL /* booked by 5, with its columns */},
    /* What a recovery needs to put a portfolio back from the rows instead
     * of replaying every fill (docs/store.md, "Recovery of the engine"). */
    {5, "positions: opening fill and last mark, for recovery",
     "ALTER TABLE positions ADD COLUMN opened_seq INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE positions ADD COLUMN mark_px TEXT NOT NULL DEFAULT '0';"
     "ALTER TABLE positions ADD COLUMN mark_ns INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE positions ADD COLUMN mark_seq INTEGER NOT NULL DEFAULT 0;"
     "DELETE FROM positions;",
     rebuild_positions},
    /* The admin API's runtime limit changes (once <data_dir>/limits.log):
     * one row per change, its line the canonical JSON of the change. */
    {6, "limit_changes",
     "CREATE TABLE limit_changes("
     " seq INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, who TEXT NOT NULL, line TEXT NOT NULL);",
     NULL},
    /* Parent orders (store_parents.c): the children's parent and sequence,
     * the parent's strategy, and each parent's progress; back-filled from
     * the stored snapshots and events. A table of its own rather than
     * columns of `orders`: ordinary orders pay nothing, and three ALTER
     * TABLEs (each re-parses the schema) would have made creating a
     * database half as expensive again. */
    {7, "parent orders: order_parents (parent_order_id, child_seq, algo), parents",
     "CREATE TABLE order_parents("
     " order_id INTEGER PRIMARY KEY, parent_order_id INTEGER NOT NULL,"
     " child_seq INTEGER NOT NULL, algo TEXT NOT NULL);"
     "CREATE INDEX order_parents_parent ON order_parents(parent_order_id, order_id);"
     "CREATE TABLE parents("
     " parent_order_id INTEGER PRIMARY KEY, strategy TEXT NOT NULL, status TEXT NOT NULL,"
     " terminal INTEGER NOT NULL, account_id TEXT NOT NULL, symbol TEXT NOT NULL,"
     " side TEXT NOT NULL, qty TEXT NOT NULL, filled_qty TEXT NOT NULL, open_qty TEXT NOT NULL,"
     " leaves_qty TEXT NOT NULL, avg_px TEXT NOT NULL, limit_px TEXT NOT NULL,"
     " slices_done INTEGER NOT NULL, slices INTEGER NOT NULL, children INTEGER NOT NULL,"
     " start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, next_slice_ns INTEGER NOT NULL,"
     " params TEXT NOT NULL, created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,"
     " last_event_seq INTEGER NOT NULL);"
     "CREATE INDEX parents_status ON parents(status, parent_order_id);"
     "CREATE INDEX parents_account ON parents(account_id, parent_order_id);"
     "CREATE INDEX parents_symbol ON parents(symbol, parent_order_id);",
     oms__parents_backfill},
    {8, "best execution of smart parents: best_execution, best_execution_venues",
     "CREATE TABLE best_execution("
     " parent_order_id INTEGER PRIMARY KEY, account_id TEXT NOT NULL, symbol TEXT NOT NULL,"
     " side TEXT NOT NULL, arrival_ns INTEGER NOT NULL, arrival_bid TEXT NOT NULL,"
     " arrival_ask TEXT NOT NULL, qty TEXT NOT NULL, filled_qty TEXT NOT NULL,"
     " avg_px TEXT NOT NULL, notional TEXT NOT NULL, fees TEXT NOT NULL,"
     " improvement_px TEXT NOT NULL, improvement TEXT NOT NULL, eff_spread_px TEXT NOT NULL,"
     " venues INTEGER NOT NULL, event_ns INTEGER NOT NULL, event_seq INTEGER NOT NULL);"
     "CREATE TABLE best_execution_venues("
     " parent_order_id INTEGER NOT NULL, venue TEXT NOT NULL, fills INTEGER NOT NULL,"
     " children INTEGER NOT NULL, qty TEXT NOT NULL, notional TEXT NOT NULL, fees TEXT NOT NULL,"
     " PRIMARY KEY(parent_order_id, venue));",
     oms__bestex_backfill},
    /* The engine's daily-PnL bases: each account's PnL when a trading day
     * began, and the day's mark (account_id ''), which recovery reads back
     * (docs/store.md, "daily PnL baseline"). */
    {9, "daily PnL bases: pnl_bases",
     "CREATE TABLE pnl_bases("
     " day_start_ns INTEGER NOT NULL, account_id TEXT NOT NULL, base TEXT NOT NULL,"
     " PRIMARY KEY(day_start_ns, account_id)) WITHOUT ROWID;",
     NULL},
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(OMS__SCHEMA_LATEST == 9, "OMS__SCHEMA_LATEST must match the last migration");

/* ---- positions -------------------------------------------------------------- */

oms_dec_t oms__col_dec(sqlite3_stmt *st, int i) {
  oms_dec_t d = OMS_DEC_ZERO;
  const unsigned char *t = sqlite3_column_text(st, i);
  if (t != NULL) oms_dec_parse_cstr((const char *)t, &d);
  return d;
}

void oms__col_text(sqlite3_stmt *st, int i, char *dst, size_t cap) {
  const unsigned char *t = sqlite3_column_text(st, i);
  oms_strlcpy(dst, t ? (const char *)t : "", cap);
}

void oms__position_from_row(sqlite3_stmt *st, oms_position_t *p) {
  memset(p, 0, sizeof *p);
  oms__col_text(st, 0, p->account_id, sizeof p->account_id);
  oms__col_text(st, 1, p->symbol, sizeof p->symbol);
  p->qty = oms__col_dec(st, 2);
  p->avg_px = oms__col_dec(st, 3);
  p->realized_pnl = oms__col_dec(st, 4);
  p->fees = oms__col_dec(st, 5);
  p->updated_ns = sqlite3_column_int64(st, 6);
  p->last_fill_seq = (uint64_t)sqlite3_column_int64(st, 7);
  p->opened_seq = (uint64_t)sqlite3_column_int64(st, 8);
  p->mark_px = oms__col_dec(st, 9);
  p->mark_ns = sqlite3_column_int64(st, 10);
  p->mark_seq = (uint64_t)sqlite3_column_int64(st, 11);
}

void oms__position_bind(sqlite3_stmt *st, const oms_position_t *p, char txt[5][OMS_DEC_STRLEN]) {
  oms_dec_format(p->qty, txt[0], OMS_DEC_STRLEN);
  oms_dec_format(p->avg_px, txt[1], OMS_DEC_STRLEN);
  oms_dec_format(p->realized_pnl, txt[2], OMS_DEC_STRLEN);
  oms_dec_format(p->fees, txt[3], OMS_DEC_STRLEN);
  oms_dec_format(p->mark_px, txt[4], OMS_DEC_STRLEN);
  sqlite3_bind_text(st, 1, p->account_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->symbol, -1, SQLITE_STATIC);
  for (int i = 0; i < 4; i++) sqlite3_bind_text(st, 3 + i, txt[i], -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, p->updated_ns);
  sqlite3_bind_int64(st, 8, (sqlite3_int64)p->last_fill_seq);
  sqlite3_bind_int64(st, 9, (sqlite3_int64)p->opened_seq);
  sqlite3_bind_text(st, 10, txt[4], -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 11, p->mark_ns);
  sqlite3_bind_int64(st, 12, (sqlite3_int64)p->mark_seq);
}

static void done_with(sqlite3_stmt *st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

int oms__position_write(sqlite3_stmt *get_st, sqlite3_stmt *put_st, const oms_event_t *ev,
                        oms__step_fn step, void *ctx) {
  oms_position_t p;
  memset(&p, 0, sizeof p);
  sqlite3_bind_text(get_st, 1, ev->order.account_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(get_st, 2, ev->order.symbol, -1, SQLITE_STATIC);
  int rc = step(ctx, get_st, "sqlite3_step(SELECT positions)");
  if (rc == SQLITE_ROW) oms__position_from_row(get_st, &p);
  done_with(get_st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
  if (!oms__position_book(&p, ev)) return SQLITE_OK;
  char txt[5][OMS_DEC_STRLEN];
  oms__position_bind(put_st, &p, txt);
  rc = step(ctx, put_st, "sqlite3_step(UPSERT positions)");
  done_with(put_st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int plain_step(void *ctx, sqlite3_stmt *st, const char *label) {
  (void)ctx;
  (void)label;
  return sqlite3_step(st);
}

/* Migration 5: books every stored fill, in seq order, as the writer does. */
static int rebuild_positions(sqlite3 *db) {
  sqlite3_stmt *fills = NULL, *get_st = NULL, *put_st = NULL;
  int rc =
      sqlite3_prepare_v2(db,
                         "SELECT body FROM events WHERE type IN ('OrderPartiallyFilled', "
                         "'OrderFilled', 'OrderFillBusted', 'OrderFillCorrected') ORDER BY seq",
                         -1, &fills, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_POSITION_GET, -1, &get_st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_POSITION_PUT, -1, &put_st, NULL);
  while (rc == SQLITE_OK) {
    rc = sqlite3_step(fills);
    if (rc != SQLITE_ROW) break;
    oms_event_t ev;
    rc = SQLITE_OK;
    if (oms_event_decode(sqlite3_column_blob(fills, 0), (size_t)sqlite3_column_bytes(fills, 0),
                         &ev) != 0)
      rc = SQLITE_CORRUPT;
    else if (oms__event_books(&ev))
      rc = oms__position_write(get_st, put_st, &ev, plain_step, NULL);
  }
  sqlite3_finalize(fills);
  sqlite3_finalize(get_st);
  sqlite3_finalize(put_st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- versions ---------------------------------------------------------------- */

int oms__schema_version(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                         NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return -1;
  }
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

int oms__schema_migrate(sqlite3 *db, int target, char *err, size_t errcap) {
  char *msg = NULL;
  int rc = sqlite3_exec(db,
                        "CREATE TABLE IF NOT EXISTS schema_version("
                        " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
                        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
                        NULL, NULL, &msg);
  if (rc != SQLITE_OK) goto fail;
  int current = oms__schema_version(db);
  if (current < 0) {
    rc = SQLITE_ERROR;
    goto fail;
  }
  if (current > OMS__SCHEMA_LATEST) {
    snprintf(err, errcap, "database schema version %d is newer than this build (%d)", current,
             OMS__SCHEMA_LATEST);
    return OMS_ESTORE;
  }
  for (int i = 0; i < N_MIGRATIONS; i++) {
    const migration_t *m = &migrations[i];
    if (m->version <= current || m->version > target) continue;
    char ins[256];
    snprintf(ins, sizeof ins, "INSERT INTO schema_version(version, description) VALUES(%d, '%s')",
             m->version, m->description);
    rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, m->sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK && m->then != NULL) rc = m->then(db);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, ins, NULL, NULL, &msg);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
      if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      goto fail;
    }
  }
  return 0;
fail:
  snprintf(err, errcap, "schema migration: %s", msg ? msg : sqlite3_errstr(rc));
  sqlite3_free(msg);
  return OMS_ESTORE;
}

int oms__store_sqlite_migrate_path(const char *path, int target) {
  sqlite3 *db = NULL;
  char err[256];
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
  int r = rc == SQLITE_OK ? oms__schema_migrate(db, target, err, sizeof err) : OMS_ESTORE;
  sqlite3_close(db);
  return r;
}
