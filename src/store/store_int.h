/*
 * store_int.h - what the store implementations share, and the hooks the
 * store's own tests use. Not part of the public API.
 */
#ifndef OMS_STORE_INT_H
#define OMS_STORE_INT_H

#include "oms/store.h"

/* One queued record. A unit becomes several records that all carry the
 * unit's ticket; a batch always ends on the last record of a unit. */
typedef enum oms__rec_kind_e {
  OMS__REC_NOP = 0, /* a unit with nothing to store: only its ticket */
  OMS__REC_EVENT,
  OMS__REC_FIX_SEQNUMS,
  OMS__REC_FIX_SENT,
  OMS__REC_FIX_RESET,
  OMS__REC_CURSOR,
  OMS__REC_LIMIT,
  OMS__REC_PNL_BASE
} oms__rec_kind_t;

typedef struct oms__fix_rec_s {
  char session[OMS_STORE_SESSION_MAX + 1];
  int64_t next_in, next_out; /* FIX_SEQNUMS */
  int64_t seqnum;            /* FIX_SENT */
  uint32_t len;
  char msg[OMS_STORE_FIX_MSG_MAX];
} oms__fix_rec_t;

typedef struct oms__cursor_rec_s {
  char sink[OMS_ID_MAX + 1];
  uint64_t seq;
} oms__cursor_rec_t;

/* A runtime limit change (oms_store_limit_append). */
typedef struct oms__limit_rec_s {
  uint64_t seq;
  int64_t ts_ns;
  char who[OMS_ID_MAX + 1];
  uint32_t len;
  char line[OMS_STORE_LIMIT_LINE_MAX];
} oms__limit_rec_t;

typedef struct oms__rec_s {
  uint64_t ticket;
  oms__rec_kind_t kind;
  union {
    oms_event_t ev;
    oms__fix_rec_t fix;
    oms__cursor_rec_t cur;
    oms__limit_rec_t lim;
    oms_pnl_base_row_t pnl; /* OMS__REC_PNL_BASE */
  } u;
} oms__rec_t;

/* The latest schema version this build knows. */
#define OMS__SCHEMA_LATEST 9

/* Creates (if needed) the database at path and applies the migrations up to
 * version `target` only: the tests build an old database with it. Returns 0
 * or OMS_ESTORE. */
int oms__store_sqlite_migrate_path(const char *path, int target);

/* The schema version of the open store's database, or < 0. */
int oms__store_sqlite_schema_version(oms_store_t *s);

/* Runs sql on the store's write connection (tests: PRAGMA max_page_count to
 * make the disk "full" for real). Returns the SQLite result code. */
int oms__store_sqlite_exec(oms_store_t *s, const char *sql);

/* Checks a unit and counts its records: every event with seq > 0 must have
 * a seq above last_seq and above the previous event's. Sets *n and
 * *max_seq (last_seq if the unit has no sequenced event). Returns 0 or
 * OMS_EINVAL. */
int oms__unit_check(const oms_store_unit_t *u, uint64_t last_seq, size_t *n, uint64_t *max_seq);

/* Writes the storable records of unit u into slot(ctx, 0), slot(ctx, 1)...
 * (the events with seq > 0), each with ticket. */
void oms__unit_fill(const oms_store_unit_t *u, uint64_t ticket,
                    oms__rec_t *(*slot)(void *ctx, size_t i), void *ctx);

/* The SQL condition (" AND ...", or "") that selects the orders of a state
 * class in an `orders` table with `terminal` and `state` columns: one table
 * for SQLite and PostgreSQL. NULL for a class out of range. */
const char *oms__state_class_sql(oms_state_class_t c);

/* Whether ev is a fill that the store records (a row in `fills`) and books
 * into its position: an OrderPartiallyFilled or OrderFilled of an order with
 * a fill quantity. */
bool oms__event_is_fill(const oms_event_t *ev);

/* Whether ev's row of `events` carries its order's id: an order's event,
 * or a record about one (a smart parent's BestExecution). */
static inline bool oms__event_has_order(const oms_event_t *ev) {
  return ev->order.order_id != 0 &&
         (oms_event_is_order(ev->type) || ev->type == OMS_EVT_BEST_EXECUTION);
}

/* Whether ev moves its position: a fill, or a bust or correction of one
 * (the old fill taken back with oms_pf_book_bust, a correction's new values
 * booked). */
bool oms__event_books(const oms_event_t *ev);

/* Books fill event ev into *p, the position of ev's account and symbol
 * (zeroed before its first fill), with the portfolio's arithmetic
 * (oms_pf_book_fill) and ev's multiplier (0 = 1): sets the account, symbol,
 * figures, updated_ns and last_fill_seq. Returns true; false, with *p
 * untouched, for a fill the portfolio refuses as well (quantity or price not
 * positive, a result out of range), which changes no position there either. */
bool oms__position_book(oms_position_t *p, const oms_event_t *ev);

/* ---- The projection of the journal (store_journal.c over store_sqlite.c) ---- */

/* Records after which a projection batch ends, at the end of the unit that
 * reaches it (a batch never ends inside a unit, so queries never see part
 * of one; a longer unit makes a longer batch). */
#define OMS__PROJECT_MAX 256

/* The SQLite store (opened synchronous: no threads) as the journal's
 * projection. oms__sqlite_projected creates the cursor's table
 * `journal_projection` if missing and reads the last projected LSN (0 if
 * none): 0 or OMS_ESTORE. oms__sqlite_project writes recs[0..n) (n <=
 * OMS__PROJECT_MAX) and the cursor lsn in one transaction, each order's row
 * once (for its last event in each OMS__PROJECT_MAX records of the batch;
 * n may exceed it): 0, OMS_EINVAL, or OMS_ESTORE with *e (nothing written).
 * One thread projects at a time. */
int oms__sqlite_projected(oms_store_t *s, uint64_t *lsn);
int oms__sqlite_project(oms_store_t *s, const oms__rec_t *recs, size_t n, uint64_t lsn,
                        oms_store_error_t *e);

/* Marks in last[i] (n <= OMS__PROJECT_MAX) whether record i is its order's
 * last event among recs[0..n), or its session's last FIX_SENT or last
 * FIX_SEQNUMS: the projections write an order's row, and SQLite's a
 * session's row, once per batch. */
void oms__last_per_order(const oms__rec_t *recs, size_t n, bool *last);

/* ---- The PostgreSQL projection (store_pg.c) ----
 * oms__pg_open connects with conninfo and migrates the schema: 0,
 * OMS_EINVAL, OMS_ENOMEM, OMS_EDOWN (not reached) or OMS_ESTORE with *e. The store it returns
 * answers the queries (its vtable's read functions, stats, close) for rows
 * of `instance` only; oms__pg_projected and oms__pg_project are
 * oms__sqlite_projected and oms__sqlite_project over it (one thread
 * projects at a time; a broken connection is reopened by the next call). */
int oms__pg_open(const char *conninfo, const char *instance, oms_store_t **out,
                 oms_store_error_t *e);
int oms__pg_projected(oms_store_t *s, uint64_t *lsn);
int oms__pg_project(oms_store_t *s, const oms__rec_t *recs, size_t n, uint64_t lsn,
                    oms_store_error_t *e);
/* Every later batch checks, in its transaction, that token is still the
 * lease token of the instance's group (0: no check). Before projecting. */
void oms__pg_set_fence(oms_store_t *s, uint64_t token);
/* The schema version of the PostgreSQL database, or < 0. */
int oms__pg_schema_version(oms_store_t *s);

/* A commit-latency histogram, written by one thread (the writer, or the
 * appender under the memory store's lock) and read by any: relaxed atomics,
 * no lock, a fixed array (nothing allocated, a bounded search per commit). */
typedef struct oms__commit_hist_s {
  _Atomic uint64_t n[OMS_STORE_COMMIT_BUCKETS + 1];
  _Atomic uint64_t sum_ns;
} oms__commit_hist_t;

/* Counts one commit that took ns (negative counts as 0). */
void oms__commit_hist_add(oms__commit_hist_t *h, int64_t ns);

/* Copies h into st's commit_hist, commit_count and commit_sum_ns. */
void oms__commit_hist_read(const oms__commit_hist_t *h, oms_store_stats_t *st);

/* The monotonic clock in ns, for the commit durations. */
int64_t oms__store_mono_ns(void);

/* ---- Parent orders, for both projections (store_parents.c) ---- */

/* A row of `parents` from the algorithm state an event carries: the
 * columns of OMS__PARENT_COLS (store_sqlite.h), decimals as text. */
typedef struct oms__parent_fields_s {
  uint64_t parent_id, seq;
  const char *strategy, *status, *side, *account_id, *symbol; /* static or ev's */
  int terminal;
  char dec[6][OMS_DEC_STRLEN]; /* qty, filled, open, leaves, avg_px, limit_px */
  int64_t slices_done, slices, children, start_ns, end_ns, next_slice_ns, created_ns, updated_ns;
  char params[OMS_PARENT_PARAMS_MAX];
} oms__parent_fields_t;

/* false when ev carries no parent state, or one that does not decode (the
 * projection then skips it). */
bool oms__parent_fields(const oms_event_t *ev, oms__parent_fields_t *f);

/* A query's row of parents, each column as text (NULL = none): the columns
 * of OMS__PARENT_COLS but `terminal`, then the order's client_order_id and
 * state. */
typedef const char *(*oms__col_fn)(void *ctx, int col);
void oms__parent_from_cols(oms__col_fn col, void *ctx, oms_parent_row_t *p);

#endif /* OMS_STORE_INT_H */
