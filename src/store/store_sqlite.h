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

#endif /* OMS_STORE_SQLITE_H */
