/* store_sqlite.h - the schema functions store_sqlite.c uses (store_schema.c). */
#ifndef OMS_STORE_SQLITE_H
#define OMS_STORE_SQLITE_H

#include <sqlite3.h>
#include <stddef.h>

#include "oms/store.h"

/* The highest applied version, 0 for an empty schema_version, -1 if absent. */
int oms__schema_version(sqlite3 *db);

/* Brings db up to version target (each migration in its own transaction).
 * Returns 0, or OMS_ESTORE with a message in err (also for a database newer
 * than this build). */
int oms__schema_migrate(sqlite3 *db, int target, char *err, size_t errcap);

/* Column readers: a decimal stored as TEXT (0 if NULL or not a decimal), a
 * TEXT column into dst[cap] ("" if NULL, cut to fit). */
oms_dec_t oms__col_dec(sqlite3_stmt *st, int i);
void oms__col_text(sqlite3_stmt *st, int i, char *dst, size_t cap);

/* A whole row of `positions`, in this column order, for every statement that
 * reads or writes one (the writer, the queries, the rebuild of migration 5). */
#define OMS__POSITION_COLS                                                           \
  "account_id, symbol, qty, avg_px, realized_pnl, fees, updated_ns, last_fill_seq, " \
  "opened_seq, mark_px, mark_ns, mark_seq"
#define OMS__SQL_POSITION_GET \
  "SELECT " OMS__POSITION_COLS " FROM positions WHERE account_id = ?1 AND symbol = ?2"
#define OMS__SQL_POSITION_PUT                            \
  "INSERT OR REPLACE INTO positions(" OMS__POSITION_COLS \
  ") "                                                   \
  "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"

/* The latest day of `pnl_bases` that has its mark (account_id ''): the
 * mark's row first, then each account's, by account. */
#define OMS__SQL_PNL_BASES                                                     \
  "SELECT day_start_ns, account_id, base FROM pnl_bases WHERE day_start_ns = " \
  "(SELECT MAX(day_start_ns) FROM pnl_bases WHERE account_id = '') ORDER BY account_id"

/* The position in st's current row (columns as OMS__POSITION_COLS). */
void oms__position_from_row(sqlite3_stmt *st, oms_position_t *p);

/* Binds p to OMS__SQL_POSITION_PUT; txt holds the decimals' text and must
 * live until the statement is stepped. */
void oms__position_bind(sqlite3_stmt *st, const oms_position_t *p, char txt[5][OMS_DEC_STRLEN]);

/* Books fill ev into its row of `positions` (get_st: OMS__SQL_POSITION_GET,
 * put_st: OMS__SQL_POSITION_PUT, both on the connection in the write
 * transaction), stepping each statement through step(ctx, st, label), which
 * returns what sqlite3_step returned (or an injected failure); both statements
 * are reset afterwards. Returns SQLITE_OK or the failure. */
typedef int (*oms__step_fn)(void *ctx, sqlite3_stmt *st, const char *label);
int oms__position_write(sqlite3_stmt *get_st, sqlite3_stmt *put_st, const oms_event_t *ev,
                        oms__step_fn step, void *ctx);

/* ---- Parent orders (store_parents.c) ---- */

/* A row of `parents`, in this column order, for the writer, the back-fill
 * and the queries (which add the parent order's client_order_id and state
 * from `orders`, columns 22 and 23). */
#define OMS__PARENT_COLS                                                                      \
  "parent_order_id, strategy, status, terminal, account_id, symbol, side, qty, filled_qty, "  \
  "open_qty, leaves_qty, avg_px, limit_px, slices_done, slices, children, start_ns, end_ns, " \
  "next_slice_ns, params, created_ns, updated_ns, last_event_seq"
#define OMS__SQL_PARENT_PUT                                                                    \
  "INSERT OR REPLACE INTO parents(" OMS__PARENT_COLS                                           \
  ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, " \
  "?19, ?20, ?21, ?22, ?23)"

/* A child's or parent's row of order_parents: ?1 order_id, ?2
 * parent_order_id, ?3 child_seq, ?4 algo ('' for a child). */
#define OMS__SQL_ORDER_PARENT_PUT                                                     \
  "INSERT OR REPLACE INTO order_parents(order_id, parent_order_id, child_seq, algo) " \
  "VALUES(?1, ?2, ?3, ?4)"

/* The parameters set in p (algo.h) as a JSON object into buf[cap], keyed by
 * the names of the parameter table. Returns its length, or OMS_ENOSPC
 * (buf then holds "{}"). */
struct oms_algo_params_s;
int oms__parent_params_json(const struct oms_algo_params_s *p, char *buf, size_t cap);

/* When ev carries a parent's algorithm state, writes that parent's row of
 * `parents` with put_st (OMS__SQL_PARENT_PUT), stepped through step and
 * reset. Returns SQLITE_OK (also when ev carries no state, or one that does
 * not decode) or the failure. */
int oms__parent_write(sqlite3_stmt *put_st, const oms_event_t *ev, oms__step_fn step, void *ctx);

/* The parent in st's current row: the columns of OMS__PARENT_COLS but
 * `terminal`, then the order's client_order_id and state. */
void oms__parent_from_row(sqlite3_stmt *st, oms_parent_row_t *p);

/* Schema 7: the parent columns of `orders` from the stored snapshots, and a
 * row of `parents` for each stored parent. SQLITE_OK or the failure
 * (SQLITE_CORRUPT for a record that does not decode). */
int oms__parents_backfill(sqlite3 *db);

/* ---- Best execution (store_bestex.c) ---- */

#define OMS__SQL_BESTEX_PUT                                                                  \
  "INSERT OR REPLACE INTO best_execution(parent_order_id, account_id, symbol, side, "        \
  "arrival_ns, arrival_bid, arrival_ask, qty, filled_qty, avg_px, notional, fees, "          \
  "improvement_px, improvement, eff_spread_px, venues, event_ns, event_seq) VALUES(?1, ?2, " \
  "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
#define OMS__SQL_BESTEX_DEL_VENUES "DELETE FROM best_execution_venues WHERE parent_order_id = ?1"
#define OMS__SQL_BESTEX_VENUE_PUT                                                    \
  "INSERT INTO best_execution_venues(parent_order_id, venue, fills, children, qty, " \
  "notional, fees) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define OMS__SQL_BESTEX_GET                                                                  \
  "SELECT account_id, symbol, side, arrival_ns, arrival_bid, arrival_ask, qty, filled_qty, " \
  "avg_px, notional, fees, improvement_px, improvement, eff_spread_px, event_ns, event_seq " \
  "FROM best_execution WHERE parent_order_id = ?1"
#define OMS__SQL_BESTEX_VENUES                                                     \
  "SELECT venue, fills, children, qty, notional, fees FROM best_execution_venues " \
  "WHERE parent_order_id = ?1 ORDER BY rowid"

/* When ev is a BestExecution event with a record, writes its parent's rows
 * with put[0..2] (OMS__SQL_BESTEX_PUT, _DEL_VENUES, _VENUE_PUT), stepped
 * through step and reset. SQLITE_OK (also for an event without a record)
 * or the failure. */
int oms__bestex_write(sqlite3_stmt *const put[3], const oms_event_t *ev, oms__step_fn step,
                      void *ctx);
/* Parent id's rows: 0, OMS_ENOTFOUND or OMS_ESTORE. */
int oms__bestex_read(sqlite3 *db, uint64_t id, oms_bestex_row_t *out);
/* Schema 8: both tables and the events' order_id from the stored
 * BestExecution events. SQLITE_OK or the failure. */
int oms__bestex_backfill(sqlite3 *db);

#endif /* OMS_STORE_SQLITE_H */
