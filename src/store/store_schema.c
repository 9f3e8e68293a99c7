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

#include "oms/error.h"
#include "store/store_int.h"
#include "store/store_sqlite.h"

typedef struct migration_s {
  int version;
  const char *description;
  const char *sql;
} migration_t;

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
     "CREATE INDEX fills_exec ON fills(exec_id);"},
    {2, "positions and trading states (kill switch)",
     "CREATE TABLE positions("
     " account_id TEXT NOT NULL, strategy_id TEXT NOT NULL, symbol TEXT NOT NULL,"
     " qty TEXT NOT NULL, avg_px TEXT NOT NULL, realized_pnl TEXT NOT NULL, fees TEXT NOT NULL,"
     " updated_ns INTEGER NOT NULL, PRIMARY KEY(account_id, strategy_id, symbol));"
     "CREATE TABLE trading_states("
     " scope_kind INTEGER NOT NULL, scope_id TEXT NOT NULL, state INTEGER NOT NULL,"
     " reason TEXT NOT NULL, updated_ns INTEGER NOT NULL, event_seq INTEGER NOT NULL,"
     " PRIMARY KEY(scope_kind, scope_id));"},
    {3, "FIX session state and sink cursors",
     "CREATE TABLE fix_sessions("
     " session TEXT PRIMARY KEY, next_in INTEGER NOT NULL, next_out INTEGER NOT NULL);"
     "CREATE TABLE fix_sent("
     " session TEXT NOT NULL, seqnum INTEGER NOT NULL, msg BLOB NOT NULL,"
     " PRIMARY KEY(session, seqnum)) WITHOUT ROWID;"
     "CREATE TABLE sink_cursors(sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);"},
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(OMS__SCHEMA_LATEST == 3, "OMS__SCHEMA_LATEST must match the last migration");

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
