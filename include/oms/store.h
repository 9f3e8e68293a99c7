/*
 * store.h - the order store: the durable record of every order, event, fill,
 * position, trading state, FIX session and sink cursor.
 *
 * The store is an interface (a function table, struct oms_store_vtbl_s) with
 * three implementations: the journal store (oms_store_journal_open below:
 * the journal is the write-ahead log, SQLite a projection of it; omsd's
 * default), the SQLite store (WAL mode, schema in docs/store.md) and a
 * memory store for tests and backtests (oms_store_memory_create). What
 * follows describes the SQLite store; the journal store keeps the same
 * contract with the journal's LSNs as tickets (docs/store.md).
 *
 * WRITE-AHEAD WITH GROUP COMMIT. The core thread hands the store one unit per
 * command (the events it produced, each carrying the order snapshot after the
 * change) with oms_store_append(). The call
 * copies the unit into a bounded, preallocated queue and returns at once with
 * a ticket (1, 2, 3... per append). A writer thread takes everything queued,
 * writes it in ONE transaction and commits (one sync per batch), then
 * publishes the highest durable ticket. The core releases venue sends and
 * acknowledgements of a unit only when oms_store_durable_ticket() >= its
 * ticket (poll it, poll oms_store_durable_fd(), or take the on_durable
 * callback). From one unit the store writes: a row in `events` per event
 * (seq > 0), the order's row in `orders` (its snapshot), a row in `fills` for
 * each fill event and the fill booked into its row in `positions`, and a row
 * in `trading_states` for each TradingStateChanged event.
 *
 * FAILURES. When a batch fails (disk full, I/O error, database locked) the
 * transaction is rolled back (nothing half-written), the error is reported
 * through on_error (the SQLite call, its result code and errno), and the store
 * is FAILED: its tickets are not durable, and new appends are refused with
 * OMS_ESTORE (the core refuses new orders with OMS_R_STORE_FAILED) unless
 * flagged OMS_STORE_APPEND_MUST (facts from a venue: fills, cancels). The
 * queued batch is kept and retried by the writer with exponential backoff, or
 * at once by oms_store_recover(); when the retry commits, those tickets become
 * durable and the store is healthy again. A ticket is never reported durable
 * unless its transaction committed.
 *
 * THREADS. Appends may come from several threads (the core, the FIX gateway,
 * sink runners); they are serialised by a short lock. Queries may be called
 * from any thread and see committed data only (call oms_store_flush() first
 * to read your own writes). The vtable functions of an implementation must
 * follow the same rules.
 */
#ifndef OMS_STORE_H
#define OMS_STORE_H

#include <stdbool.h>

#include "oms/bus.h"
#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/event.h"
#include "oms/order.h"
#include "oms/sor.h"

OMS_BEGIN_DECLS

/* ---- Records --------------------------------------------------------------- */

/* A position of one account in one symbol, as the stored fills make it: the
 * store books every fill event it writes into its account's and symbol's
 * position, in the same transaction, with the portfolio's own arithmetic
 * (oms_pf_book_fill), so the row equals what a portfolio fed the same fills
 * holds (quantity, average price, realized PnL before fees, fees). */
typedef struct oms_position_s {
  char account_id[OMS_ID_MAX + 1];
  char symbol[OMS_SYMBOL_MAX + 1];
  oms_dec_t qty; /* signed: negative is short */
  oms_dec_t avg_px;
  oms_dec_t realized_pnl;
  oms_dec_t fees;
  int64_t updated_ns;     /* event_ns of the last fill booked */
  uint64_t last_fill_seq; /* seq of the last fill event booked */
  /* For a recovery from this row instead of a replay of every fill
   * (oms_engine_recover): the seq of the fill that opened the position (the
   * portfolio walks positions in that order), and the last fill that moved
   * the symbol's mark in a portfolio (a fill or a correction; a bust does
   * not): its price, event_ns and seq. */
  uint64_t opened_seq;
  oms_dec_t mark_px;
  int64_t mark_ns;
  uint64_t mark_seq;
} oms_position_t;

/* The trading state of one scope (the kill switch), as last stored. */
typedef struct oms_trading_state_row_s {
  uint8_t scope_kind;
  char scope_id[OMS_ID_MAX + 1];
  uint8_t state;
  char reason[OMS_REASON_MAX + 1];
  int64_t updated_ns;
  uint64_t event_seq; /* the TradingStateChanged event that set it */
} oms_trading_state_row_t;

/* A fill, as stored in `fills`. */
typedef struct oms_fill_row_s {
  uint64_t seq; /* the event that carried it */
  uint64_t order_id;
  oms_side_t side;
  char symbol[OMS_SYMBOL_MAX + 1];
  oms_fill_info_t fill;
  int64_t ts_ns;
} oms_fill_row_t;

/* What one command produced: appended as one atomic unit. Events must have
 * strictly increasing seq across all appends (seq 0 events are skipped). */
typedef struct oms_store_unit_s {
  const oms_event_t *events;
  size_t n_events;
} oms_store_unit_t;

/* Append flags. */
#define OMS_STORE_APPEND_MUST 0x1u /* queue even if the store is FAILED */

/* ---- Queries ----------------------------------------------------------------- */

typedef enum oms_state_class_e {
  OMS_STATE_CLASS_ANY = 0,
  OMS_STATE_CLASS_ACTIVE, /* not terminal */
  OMS_STATE_CLASS_FILLED,
  OMS_STATE_CLASS_CANCELLED,
  OMS_STATE_CLASS_REJECTED,
  OMS_STATE_CLASS_EXPIRED,
  OMS_STATE_CLASS_TERMINAL
} oms_state_class_t;

/* Every set field narrows the result (AND). Strings: NULL or "" = any. */
typedef struct oms_order_query_s {
  uint64_t order_id; /* 0 = any */
  const char *client_order_id;
  const char *strategy_id;
  const char *account_id;
  const char *symbol;
  oms_state_class_t state_class;
  int64_t created_from_ns; /* created_ns >= from (0 = unbounded) */
  int64_t created_to_ns;   /* created_ns < to (0 = unbounded) */
  uint32_t limit;          /* 0 = no limit */
  const char *venue;
  /* A bit mask of (1u << oms_ord_state_t): the order's state is one of
   * them. 0 = state_class decides; when set, state_class is ignored. */
  uint32_t states;
  uint64_t after_order_id; /* order_id > this (paging; 0 = from the first) */
  /* The children of this parent order only (an index: bounded by the
   * parent's children, not by every order). 0 = any order. */
  uint64_t parent_order_id;
} oms_order_query_t;

/* A parent order as the projection keeps it (table `parents`, docs/store.md):
 * its algorithm's progress, from the state journaled with every event of the
 * parent or of one of its children. The parent's own order (state, client
 * order id, fills) is its row of `orders`; state and client_order_id are
 * copied here for a list. */
#define OMS_PARENT_PARAMS_MAX 1536
typedef struct oms_parent_row_s {
  uint64_t parent_order_id;
  uint16_t strategy; /* oms_algo_strategy_t */
  uint8_t status;    /* oms_algo_status_t */
  oms_side_t side;
  oms_ord_state_t state; /* the parent order's state (its row of `orders`) */
  char client_order_id[OMS_ID_MAX + 1];
  char account_id[OMS_ID_MAX + 1];
  char symbol[OMS_SYMBOL_MAX + 1];
  oms_dec_t qty;        /* the parent's quantity */
  oms_dec_t filled_qty; /* sum of the children's fills */
  oms_dec_t open_qty;   /* sum of the children's open quantity */
  oms_dec_t leaves_qty; /* qty - filled_qty */
  oms_dec_t avg_px;     /* exact average of the children's fills; 0 if none */
  oms_dec_t limit_px;   /* 0 = none */
  /* Where the schedule is: slices done of slices planned (0 of 0 for the
   * strategies without one), children sent so far, when the next slice is
   * due (0: none planned). */
  uint32_t slices_done, slices, children;
  int64_t start_ns, end_ns, next_slice_ns;
  /* The parameters as given, a JSON object keyed by the names of
   * docs/algos.md ({"strategy":"TWAP","side":"BUY","qty":"100",...}). */
  char params[OMS_PARENT_PARAMS_MAX];
  int64_t created_ns, updated_ns;
  uint64_t last_event_seq; /* the last event that carried its state */
} oms_parent_row_t;

/* Every set field narrows the result (AND). Strings: NULL or "" = any. */
typedef struct oms_parent_query_s {
  uint64_t parent_order_id; /* 0 = any */
  const char *account_id;
  const char *symbol;
  uint32_t statuses;        /* bit (1u << oms_algo_status_t) per status wanted; 0 = any */
  uint32_t limit;           /* 0 = no limit */
  uint64_t after_parent_id; /* parent_order_id > this (paging); newest_first: < this */
  bool newest_first;        /* by parent order id descending (a blotter's newest page) */
} oms_parent_query_t;

/* A smart-routed parent's best-execution record as the projection keeps it
 * (tables `best_execution` and `best_execution_venues`, docs/routing.md):
 * the BestExecution event's record, whose event carries the parent's
 * order id. bx.venue[i] is where fills[i] of its children's fills were. */
typedef struct oms_bestex_row_s {
  oms_sor_bestex_t bx;
  uint32_t fills[OMS_SOR_MAX_VENUES];
  char account_id[OMS_ID_MAX + 1];
  char symbol[OMS_SYMBOL_MAX + 1];
  int64_t event_ns;
  uint64_t event_seq;
} oms_bestex_row_t;

/* The BestExecution event's bytes (oms_event_t.algo): the record of
 * oms_sor_bestex_encode, then "BF" and one u32 a venue, the number of
 * fills there (an event written before fills were counted has none: 0).
 * encode returns the length or OMS_EFULL; decode 0 or OMS_ECORRUPT. */
OMS_EXTERN int oms_store_bestex_encode(const oms_sor_bestex_t *bx, const uint32_t *fills,
                                       uint8_t *buf, size_t cap);
OMS_EXTERN int oms_store_bestex_decode(const uint8_t *buf, size_t len, oms_sor_bestex_t *bx,
                                       uint32_t fills[OMS_SOR_MAX_VENUES]);

/* Result callbacks: return 0 to continue, non-zero to stop early (the query
 * then returns that value). The record is valid during the call only. */
typedef int (*oms_order_cb)(void *ctx, const oms_order_t *o);
typedef int (*oms_event_cb)(void *ctx, const oms_event_t *ev);
typedef int (*oms_fill_cb)(void *ctx, const oms_fill_row_t *f);
typedef int (*oms_position_cb)(void *ctx, const oms_position_t *p);
typedef int (*oms_trading_state_cb)(void *ctx, const oms_trading_state_row_t *t);
typedef int (*oms_parent_cb)(void *ctx, const oms_parent_row_t *p);
/* One stored outbound FIX message. */
typedef int (*oms_fix_msg_cb)(void *ctx, int64_t seqnum, const char *msg, size_t len);
/* One runtime limit change as stored (oms_store_limit_append): line[len]
 * is valid during the callback only. */
typedef struct oms_limit_change_row_s {
  uint64_t seq;
  int64_t ts_ns;
  char who[OMS_ID_MAX + 1];
  const char *line;
  size_t len;
} oms_limit_change_row_t;
typedef int (*oms_limit_change_cb)(void *ctx, const oms_limit_change_row_t *row);
/* One account's daily-PnL base as stored (oms_store_pnl_base_append). */
typedef struct oms_pnl_base_row_s {
  int64_t day_start_ns;            /* the trading day's start */
  char account_id[OMS_ID_MAX + 1]; /* "": the day's mark (see the functions) */
  oms_dec_t base;                  /* the account's PnL when its day began */
} oms_pnl_base_row_t;
typedef int (*oms_pnl_base_cb)(void *ctx, const oms_pnl_base_row_t *row);
/* One client order id (its strategy's), as oms_store_each_clordid gives it. */
typedef int (*oms_clordid_cb)(void *ctx, const char *strategy_id, const char *client_order_id);

/* ---- Failure reporting --------------------------------------------------------- */

typedef struct oms_store_error_s {
  char call[48];         /* "sqlite3_step(INSERT INTO events)", "COMMIT", ... */
  int code;              /* the SQLite result code (extended), 0 if none */
  int sys_errno;         /* errno of the failed system call, 0 if none */
  char message[192];     /* sqlite3_errmsg or our own text */
  uint64_t first_ticket; /* the tickets of the failed batch */
  uint64_t last_ticket;
} oms_store_error_t;

/* The buckets of the commit-latency histogram: their upper bounds in ns
 * (inclusive, increasing), from a fast os-mode commit (~35 us) to a disk
 * stalled for seconds. One table, read by every implementation and by
 * whoever exports the histogram (omsd's /metrics). */
#define OMS_STORE_COMMIT_BUCKETS 16
OMS_EXTERN extern const int64_t oms_store_commit_bounds_ns[OMS_STORE_COMMIT_BUCKETS];

typedef struct oms_store_stats_s {
  uint64_t appends;      /* units + other records accepted */
  uint64_t refused;      /* appends refused (failed or full) */
  uint64_t transactions; /* committed batch transactions */
  uint64_t records;      /* records written in committed transactions */
  uint64_t max_batch;    /* most records in one transaction */
  uint64_t failures;     /* failed batch attempts */
  uint64_t checkpoints;  /* WAL checkpoints run */
  uint64_t queued;       /* records in the queue now */
  /* How long commits took: for SQLite each committed batch transaction,
   * BEGIN to COMMIT with its sync (the writer thread's clock); for the
   * memory store each unit's apply. commit_hist[i] counts those that took
   * more than bound i-1 and at most oms_store_commit_bounds_ns[i];
   * commit_hist[OMS_STORE_COMMIT_BUCKETS] those above the last bound. Not
   * cumulative. commit_count is the sum of commit_hist (read together, so
   * they agree), commit_sum_ns their total time (read a moment apart: it
   * may include a commit or two the buckets do not yet show). */
  uint64_t commit_hist[OMS_STORE_COMMIT_BUCKETS + 1];
  uint64_t commit_count;
  uint64_t commit_sum_ns;
  /* The journal store's projection (docs/store.md, "PostgreSQL down"): its
   * last batch failed (or PostgreSQL was never reached since the start), and
   * whether the queries are answered from the journal's own view in memory
   * (PostgreSQL was unreachable at the start and has not caught up yet). */
  bool projection_failed;
  bool projection_local;
} oms_store_stats_t;

/* Fault injection for tests: called before every SQLite call that can fail,
 * with a label naming it. Return 0 to let the call run, or an SQLite result
 * code (SQLITE_FULL = 13, SQLITE_IOERR = 10, SQLITE_BUSY = 5) to make it fail
 * as if SQLite had returned it. May be called from the writer thread. */
typedef struct oms_store_fault_s {
  int (*inject)(void *ctx, const char *call);
  void *ctx;
} oms_store_fault_t;

/* ---- Configuration -------------------------------------------------------------- */

typedef enum oms_durability_e {
  /* synchronous=FULL: a commit is on the disk (fdatasync) before it is
   * durable. Survives power loss. The default. */
  OMS_DURABILITY_FSYNC = 0,
  /* synchronous=OFF in WAL mode: neither commits nor checkpoints ever sync;
   * a commit is in the OS page cache. Survives a crash of the process (the
   * kernel still writes the pages), not of the machine: a power loss can
   * lose recent transactions and can damage the database file, so run `os`
   * only where a replica or backup covers the machine. Its reward: time to
   * durable is the SQLite write (~35 us), and no checkpoint stalls a commit
   * behind a disk sync (p99 0.35 ms instead of 2.5 ms with NORMAL here). */
  OMS_DURABILITY_OS = 1
} oms_durability_t;

typedef struct oms_store_config_s {
  const char *path; /* the database file; created if missing */
  oms_durability_t durability;
  bool synchronous;        /* commit inside oms_store_append (no writer thread) */
  uint32_t queue_capacity; /* records (events + others); power of two; 0 = 8192 */
  int64_t
      retry_initial_ns; /* writer retry after a failure; 0 = 100 ms; <0 = never (recover only) */
  int64_t retry_max_ns; /* cap of the exponential backoff; 0 = 5 s */
  /* WAL bound, in frames (pages): every this many new frames the WAL is
   * checkpointed (PASSIVE, never inside a commit) so that it restarts from its
   * start and stays small: by the writer between two batches (fsync mode), or
   * by the checkpointer thread and finished by the writer at its next empty
   * queue (os mode; by the writer at 4x if never idle). 0 = 1024 (4 MiB).
   * See docs/store.md. */
  uint32_t checkpoint_pages;
  int64_t checkpoint_idle_ns; /* ... or when idle this long with a non-empty WAL; 0 = 200 ms */
  int64_t busy_timeout_ms;    /* sqlite3_busy_timeout; 0 = 2000 */
  /* Writer thread: called after each commit with the new durable ticket. */
  void (*on_durable)(void *ctx, uint64_t ticket);
  /* Writer (or caller, synchronous) thread: a batch failed or recovered
   * (err->code == 0 means recovered). */
  void (*on_error)(void *ctx, const oms_store_error_t *err);
  void *ctx;
  const oms_store_fault_t *fault; /* tests only; NULL in production */
  /* The writer spins this long on an empty queue before it sleeps on a
   * condition variable (waking a sleeping thread costs about 45 us on a
   * small VM; while it spins, an append needs no system call). Costs that
   * much CPU per idle period. 0 = 150 us; < 0 = never spin. */
  int64_t writer_spin_ns;
} oms_store_config_t;

/* Fills cfg with the defaults above and path. */
OMS_EXTERN void oms_store_config_init(oms_store_config_t *cfg, const char *path);

/* ---- The interface ------------------------------------------------------------------ */

typedef struct oms_store_s oms_store_t;

typedef struct oms_store_vtbl_s {
  int (*append)(oms_store_t *s, const oms_store_unit_t *u, unsigned flags, uint64_t *ticket);
  uint64_t (*durable_ticket)(const oms_store_t *s);
  int (*wait)(oms_store_t *s, uint64_t ticket, int64_t timeout_ns);
  int (*recover)(oms_store_t *s);
  bool (*failed)(const oms_store_t *s);
  void (*last_error)(const oms_store_t *s, oms_store_error_t *err);
  void (*stats)(const oms_store_t *s, oms_store_stats_t *st);
  int (*durable_fd)(const oms_store_t *s);

  int (*get_order)(oms_store_t *s, uint64_t order_id, oms_order_t *out);
  int (*query_orders)(oms_store_t *s, const oms_order_query_t *q, oms_order_cb cb, void *ctx);
  int (*events_for_order)(oms_store_t *s, uint64_t order_id, oms_event_cb cb, void *ctx);
  int (*events_from)(oms_store_t *s, uint64_t from_seq, size_t max, oms_event_cb cb, void *ctx);
  int (*events_between)(oms_store_t *s, int64_t from_ns, int64_t to_ns, oms_event_cb cb, void *ctx);
  int (*fills_for_order)(oms_store_t *s, uint64_t order_id, oms_fill_cb cb, void *ctx);
  int (*load_positions)(oms_store_t *s, oms_position_cb cb, void *ctx);
  int (*get_position)(oms_store_t *s, const char *account_id, const char *symbol,
                      oms_position_t *out);
  int (*load_trading_states)(oms_store_t *s, oms_trading_state_cb cb, void *ctx);
  int (*last_seqs)(oms_store_t *s, uint64_t *last_event_seq, uint64_t *last_order_id);

  int (*fix_set_seqnums)(oms_store_t *s, const char *session, int64_t next_in, int64_t next_out,
                         uint64_t *ticket);
  int (*fix_get_seqnums)(oms_store_t *s, const char *session, int64_t *next_in, int64_t *next_out);
  int (*fix_save_sent)(oms_store_t *s, const char *session, int64_t seqnum, const char *msg,
                       size_t len, uint64_t *ticket);
  int (*fix_fetch_sent)(oms_store_t *s, const char *session, int64_t from, int64_t to,
                        oms_fix_msg_cb cb, void *ctx);
  int (*fix_reset)(oms_store_t *s, const char *session, uint64_t *ticket);

  int (*cursor_get)(oms_store_t *s, const char *sink, uint64_t *seq);
  int (*cursor_set)(oms_store_t *s, const char *sink, uint64_t seq, uint64_t *ticket);

  void (*close)(oms_store_t *s);
  /* Waits until the queries see everything appended so far; NULL: wait for
   * the last ticket (the stores whose durable is what queries see). */
  int (*flush)(oms_store_t *s, int64_t timeout_ns);
  /* Recovery in time bounded by what is recent (both may be NULL: the
   * engine then replays every fill, and reads every order). */
  int (*each_clordid)(oms_store_t *s, oms_clordid_cb cb, void *ctx);
  int (*fill_seq_back)(oms_store_t *s, uint64_t n, uint64_t *seq);
  /* Runtime limit changes (both may be NULL: OMS_EUNSUPPORTED). */
  int (*limit_append)(oms_store_t *s, uint64_t seq, int64_t ts_ns, const char *who,
                      const char *line, size_t len, uint64_t *ticket);
  int (*limit_changes)(oms_store_t *s, oms_limit_change_cb cb, void *ctx);
  /* Parent orders (may be NULL: OMS_EUNSUPPORTED). */
  int (*query_parents)(oms_store_t *s, const oms_parent_query_t *q, oms_parent_cb cb, void *ctx);
  /* A smart parent's best-execution record (may be NULL: OMS_EUNSUPPORTED). */
  int (*get_best_execution)(oms_store_t *s, uint64_t parent_order_id, oms_bestex_row_t *out);
  /* Daily-PnL bases (both may be NULL: OMS_EUNSUPPORTED). */
  int (*pnl_base_append)(oms_store_t *s, const oms_pnl_base_row_t *row, uint64_t *ticket);
  int (*pnl_bases)(oms_store_t *s, int64_t *day_start_ns, oms_pnl_base_cb cb, void *ctx);
  /* true: append reads nothing of a unit's events but their number (a store
   * kept for its tickets alone, such as a benchmark's null store). An engine
   * with no other reader of its events then stages them without filling in
   * the parts of the order snapshot that a change never touches (its names,
   * metadata and audit ring): their bytes are undefined. false (the default
   * of a table that does not name it): every event is whole. */
  bool events_unread;
} oms_store_vtbl_t;

/* Every implementation starts with this header. */
struct oms_store_s {
  const oms_store_vtbl_t *vt;
};

/* Opens (creating or migrating) the SQLite store at cfg->path and, unless
 * cfg->synchronous, starts its writer and housekeeping threads. *out is NULL
 * on failure. Returns 0, OMS_EINVAL, OMS_ENOMEM, OMS_ESTORE (cannot open,
 * not a database, a newer schema than this build knows; detail through
 * cfg->on_error). */
OMS_EXTERN int oms_store_sqlite_open(const oms_store_config_t *cfg, oms_store_t **out);

/* ---- The journal store (src/store/store_journal.c, docs/store.md) ----------------
 * The journal (include/oms/journal.h) is the source of truth: append() writes
 * the unit's events and the FIX and cursor records into it on the caller's
 * thread, as one journal unit; the ticket is the unit's last LSN and is
 * durable when the journal says so. A projector thread applies the durable
 * records to the SQLite store at db_path (the tables queries read), or to
 * PostgreSQL (pg_conninfo: every row keyed by instance), one transaction per
 * batch with the last projected LSN. */
struct oms_journal_io_s;
typedef struct oms_store_journal_config_s {
  const char *journal_dir; /* the segments */
  const char *db_path;     /* the projection (SQLite) */
  oms_durability_t durability;
  uint64_t segment_bytes; /* 0 = 64 MiB */
  /* Retention: a segment is deleted once everything in it was projected at
   * least this long ago. 0 = keep every segment (the default). */
  int64_t retain_ns;
  /* The journal's syncer (fsync) or the appending thread (os): the durable
   * ticket advanced. */
  void (*on_durable)(void *ctx, uint64_t ticket);
  /* The journal or the projection failed (err->code == 0: recovered). */
  void (*on_error)(void *ctx, const oms_store_error_t *err);
  /* Something a person should know that is not a failure (a projection
   * rebuilt, a new data directory): a line of text. NULL: not said. */
  void (*on_warn)(void *ctx, const char *text);
  void *ctx;
  const oms_store_fault_t *fault;    /* the projection's SQLite seam (tests) */
  const struct oms_journal_io_s *io; /* the journal's system calls (tests) */
  int64_t syncer_spin_ns;            /* the journal's (0 = its default) */
  /* Records after which a projection transaction ends (at the end of the
   * unit that reaches it); 0 = 2048. Longer transactions write fewer bytes
   * for the same records (each rewrites the last page of every table and
   * index it touches) and hold the projection's lock longer. */
  size_t batch_records;
  /* The projection in PostgreSQL instead of SQLite at db_path (which is
   * then unused): a libpq conninfo ("host=127.0.0.1 port=5432 dbname=oms").
   * NULL or "" = SQLite. docs/store.md, "The PostgreSQL projection". */
  const char *pg_conninfo;
  /* The instance every PostgreSQL row carries: the projection reads and
   * writes this instance's rows only. NULL or "" = "main". */
  const char *instance;
  /* Fencing (include/oms/lease.h): non-zero, every PostgreSQL batch checks
   * in its own transaction that this is still the instance's lease token
   * (the group is the instance) and is refused, rolled back, otherwise. */
  uint64_t lease_token;
} oms_store_journal_config_t;

OMS_EXTERN void oms_store_journal_config_init(oms_store_journal_config_t *cfg,
                                              const char *journal_dir, const char *db_path);

/* Opens the journal store, recovering (docs/store.md): the journal is opened
 * (a torn tail cut), the projection checked (missing, empty or failing
 * quick_check while the journal has history: rebuilt from the journal;
 * quick_check is skipped after a clean close, see "<db>.clean") and
 * caught up with the journal before this returns, then the projector starts.
 * No journal: a new store if the projection has no history either, refused
 * (OMS_ESTORE) if it has. Returns 0, OMS_EINVAL, OMS_ENOMEM, OMS_ECORRUPT
 * (damage in the journal: on_error names the file and offset), OMS_ESTORE. */
OMS_EXTERN int oms_store_journal_open(const oms_store_journal_config_t *cfg, oms_store_t **out);

/* ---- Moving a SQLite-engine database into a journal (docs/store.md) ---------------
 * Builds a NEW journal store (cfg->journal_dir and cfg->db_path must not
 * exist: OMS_EEXIST) from the SQLite engine's database at old_db_path, which
 * is read and not changed: every stored event by seq (orders, fills,
 * positions and trading states follow from them), the FIX messages kept for
 * resend and each session's sequence numbers, the sink cursors and the
 * runtime limit changes. The store is then closed and the rows of each
 * table of oms_store_import_table() are counted in both databases: equal
 * counts are in rep->counts; any difference fails. Returns 0, or
 * OMS_EINVAL, OMS_EEXIST, OMS_ENOTFOUND (no database at old_db_path),
 * OMS_ECORRUPT (an event that does not decode), OMS_ESTORE, with
 * rep->error saying what; what was built is then left for the caller to
 * remove (omsjournal import does, and puts the old file back). */
#define OMS_STORE_IMPORT_TABLES 9
typedef struct oms_store_import_report_s {
  int64_t counts[OMS_STORE_IMPORT_TABLES];
  char error[256];
} oms_store_import_report_t;
OMS_EXTERN int oms_store_journal_import_sqlite(const char *old_db_path,
                                               const oms_store_journal_config_t *cfg,
                                               oms_store_import_report_t *rep);
/* The name of the i-th counted table ("orders", "events", "fills", ...), NULL past the last. */
OMS_EXTERN const char *oms_store_import_table(size_t i);

/* A store without durability, for tests and backtests: the same interface
 * over in-memory tables (lost at close). Every append is applied and durable
 * before it returns (on_durable is called from the appending thread);
 * queries see the same rows, in the same order, as the SQLite store would for
 * the same appends; durable_fd is -1; nothing fails but allocation
 * (OMS_ENOMEM, nothing applied). Of cfg (may be NULL) only on_durable and ctx
 * are used. Returns 0 or OMS_ENOMEM (*out NULL). */
OMS_EXTERN int oms_store_memory_create(const oms_store_config_t *cfg, oms_store_t **out);

/* Queues unit u (see the top of this file) and sets *ticket. Never blocks on
 * I/O. Returns 0; OMS_EFULL when the queue has no room for the whole unit
 * (nothing queued; the core refuses the order with a capacity reason);
 * OMS_ESTORE when the store is FAILED and flags lack OMS_STORE_APPEND_MUST;
 * OMS_EINVAL for an event seq not above the last appended one; OMS_ECLOSED
 * after close began. In synchronous mode the unit is committed before the
 * call returns (OMS_ESTORE if that failed; the unit is then not stored). */
static inline int oms_store_append(oms_store_t *s, const oms_store_unit_t *u, unsigned flags,
                                   uint64_t *ticket) {
  return s->vt->append(s, u, flags, ticket);
}
/* The highest ticket whose transaction committed (every lower ticket did
 * too). An atomic read: cheap enough for every loop iteration of the core. */
static inline uint64_t oms_store_durable_ticket(const oms_store_t *s) {
  return s->vt->durable_ticket(s);
}
/* Blocks until ticket is durable: 0; OMS_ETIMEDOUT after timeout_ns (< 0 =
 * forever); OMS_ESTORE if the store is FAILED before that. Not for the core
 * thread; for tools, tests and the FIX gateway. */
static inline int oms_store_wait(oms_store_t *s, uint64_t ticket, int64_t timeout_ns) {
  return s->vt->wait(s, ticket, timeout_ns);
}
/* Retries the failed batch now and waits for the outcome: 0 when the store is
 * healthy again, OMS_ESTORE when it still fails. */
static inline int oms_store_recover(oms_store_t *s) { return s->vt->recover(s); }
static inline bool oms_store_failed(const oms_store_t *s) { return s->vt->failed(s); }
/* The last failure (zeroed if none). */
static inline void oms_store_last_error(const oms_store_t *s, oms_store_error_t *e) {
  s->vt->last_error(s, e);
}
static inline void oms_store_stats(const oms_store_t *s, oms_store_stats_t *st) {
  s->vt->stats(s, st);
}
/* An eventfd that becomes readable when the durable ticket advances (read it
 * to rearm), or -1 if the implementation has none. Owned by the store. */
static inline int oms_store_durable_fd(const oms_store_t *s) { return s->vt->durable_fd(s); }

/* Waits until everything appended so far is durable (see oms_store_wait). */
OMS_EXTERN int oms_store_flush(oms_store_t *s, int64_t timeout_ns);

/* Order by id: 0 or OMS_ENOTFOUND. */
static inline int oms_store_get_order(oms_store_t *s, uint64_t id, oms_order_t *out) {
  return s->vt->get_order(s, id, out);
}
/* Orders matching q, by order id ascending. Returns 0, the callback's non-zero
 * value, or OMS_ESTORE. */
static inline int oms_store_query_orders(oms_store_t *s, const oms_order_query_t *q,
                                         oms_order_cb cb, void *ctx) {
  return s->vt->query_orders(s, q, cb, ctx);
}
/* Order by client order id within a strategy (NULL strategy = any): the most
 * recent order with that id. 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_store_get_order_by_clordid(oms_store_t *s, const char *strategy_id,
                                              const char *client_order_id, oms_order_t *out);
/* Parent orders matching q, by parent order id ascending (the `parents`
 * table and its indexes: a page costs its rows). Returns 0, the callback's
 * non-zero value, OMS_EINVAL, OMS_EUNSUPPORTED (the memory store keeps no
 * parents table) or OMS_ESTORE. The children of one parent are
 * oms_store_query_orders with q.parent_order_id. */
OMS_EXTERN int oms_store_query_parents(oms_store_t *s, const oms_parent_query_t *q,
                                       oms_parent_cb cb, void *ctx);
/* The best-execution record of smart parent parent_order_id (written when
 * it ended). Returns 0, OMS_ENOTFOUND (no such parent, or not ended yet),
 * OMS_EINVAL, OMS_EUNSUPPORTED or OMS_ESTORE. */
OMS_EXTERN int oms_store_get_best_execution(oms_store_t *s, uint64_t parent_order_id,
                                            oms_bestex_row_t *out);
/* Recovery: every non-terminal order, by order id. */
OMS_EXTERN int oms_store_load_active(oms_store_t *s, oms_order_cb cb, void *ctx);
/* The audit trail of one order: its events by seq. */
static inline int oms_store_events_for_order(oms_store_t *s, uint64_t id, oms_event_cb cb,
                                             void *ctx) {
  return s->vt->events_for_order(s, id, cb, ctx);
}
/* Replay: events with seq >= from_seq in order, at most max (0 = all). */
static inline int oms_store_events_from(oms_store_t *s, uint64_t from_seq, size_t max,
                                        oms_event_cb cb, void *ctx) {
  return s->vt->events_from(s, from_seq, max, cb, ctx);
}
/* Events with from_ns <= event_ns < to_ns, by seq. */
static inline int oms_store_events_between(oms_store_t *s, int64_t from_ns, int64_t to_ns,
                                           oms_event_cb cb, void *ctx) {
  return s->vt->events_between(s, from_ns, to_ns, cb, ctx);
}
static inline int oms_store_fills_for_order(oms_store_t *s, uint64_t id, oms_fill_cb cb,
                                            void *ctx) {
  return s->vt->fills_for_order(s, id, cb, ctx);
}
/* Every position, by account then symbol (flat ones included: a position
 * that was held stays with qty 0 and its realized PnL and fees). */
static inline int oms_store_load_positions(oms_store_t *s, oms_position_cb cb, void *ctx) {
  return s->vt->load_positions(s, cb, ctx);
}
/* The position of account_id in symbol: 0, OMS_ENOTFOUND (never filled;
 * *out zeroed), OMS_EINVAL (NULL or empty names) or OMS_ESTORE. */
static inline int oms_store_get_position(oms_store_t *s, const char *account_id, const char *symbol,
                                         oms_position_t *out) {
  return s->vt->get_position(s, account_id, symbol, out);
}
static inline int oms_store_load_trading_states(oms_store_t *s, oms_trading_state_cb cb,
                                                void *ctx) {
  return s->vt->load_trading_states(s, cb, ctx);
}
/* Recovery: the highest stored event seq and order id (0 if none). */
static inline int oms_store_last_seqs(oms_store_t *s, uint64_t *last_event_seq,
                                      uint64_t *last_order_id) {
  return s->vt->last_seqs(s, last_event_seq, last_order_id);
}
/* Recovery: the strategy and client order id of every stored order,
 * finished ones included, in no particular order, without decoding the
 * orders (the engine's duplicate filter is seeded from them). Falls back on
 * oms_store_query_orders where the implementation has no faster way.
 * Returns 0, the callback's non-zero value, or OMS_ESTORE. */
OMS_EXTERN int oms_store_each_clordid(oms_store_t *s, oms_clordid_cb cb, void *ctx);
/* Recovery: the seq of the n-th most recent fill stored (an event with a
 * row in `fills`; n >= 1), 1 if fewer were stored: the engine replays the
 * events from there to rebuild its window of recent execution ids. Returns
 * 0, OMS_EUNSUPPORTED (the implementation cannot tell: replay from seq 1) or
 * OMS_ESTORE. */
OMS_EXTERN int oms_store_fill_seq_back(oms_store_t *s, uint64_t n, uint64_t *seq);

/* ---- FIX session state ----------------------------------------------------------
 * Queued like units (a ticket; durable when committed). fix_save_sent stores
 * the outbound message with MsgSeqNum seqnum (replacing one with the same
 * number) and sets next_out to seqnum + 1 if that is higher. Messages are at
 * most OMS_STORE_FIX_MSG_MAX bytes (OMS_ENOSPC otherwise). */
#define OMS_STORE_FIX_MSG_MAX 2048
#define OMS_STORE_SESSION_MAX 63
static inline int oms_store_fix_set_seqnums(oms_store_t *s, const char *session, int64_t next_in,
                                            int64_t next_out, uint64_t *ticket) {
  return s->vt->fix_set_seqnums(s, session, next_in, next_out, ticket);
}
/* 0, or OMS_ENOTFOUND for a session never stored (then *next_in = *next_out = 1). */
static inline int oms_store_fix_get_seqnums(oms_store_t *s, const char *session, int64_t *next_in,
                                            int64_t *next_out) {
  return s->vt->fix_get_seqnums(s, session, next_in, next_out);
}
static inline int oms_store_fix_save_sent(oms_store_t *s, const char *session, int64_t seqnum,
                                          const char *msg, size_t len, uint64_t *ticket) {
  return s->vt->fix_save_sent(s, session, seqnum, msg, len, ticket);
}
/* Stored messages with from <= seqnum <= to (to <= 0: no upper bound), by seqnum. */
static inline int oms_store_fix_fetch_sent(oms_store_t *s, const char *session, int64_t from,
                                           int64_t to, oms_fix_msg_cb cb, void *ctx) {
  return s->vt->fix_fetch_sent(s, session, from, to, cb, ctx);
}
/* Sequence reset: seqnums back to 1/1 and the stored messages deleted. */
static inline int oms_store_fix_reset(oms_store_t *s, const char *session, uint64_t *ticket) {
  return s->vt->fix_reset(s, session, ticket);
}

/* ---- Sink cursors (the last seq each external sink acknowledged) ----------------- */
/* 0 (seq 0 if never set). */
static inline int oms_store_cursor_get(oms_store_t *s, const char *sink, uint64_t *seq) {
  return s->vt->cursor_get(s, sink, seq);
}
static inline int oms_store_cursor_set(oms_store_t *s, const char *sink, uint64_t seq,
                                       uint64_t *ticket) {
  return s->vt->cursor_set(s, sink, seq, ticket);
}

/* ---- Runtime limit changes (the admin API's; docs/admin-api.md) --------------------
 * One change is one record: its number seq (1, 2, ...: the caller numbers
 * them; a seq stored again replaces that row), when, who made it (may be
 * ""), and line, the change as
 * one line of text (omsd writes the canonical JSON of the change, the form
 * of the former limits.log). Queued like a unit (a ticket, durable when
 * committed: the journal store writes a LIMITS record on the caller's
 * thread; the SQLite store a row of `limit_changes`); a change takes effect
 * only once its ticket is durable. Lines are at most
 * OMS_STORE_LIMIT_LINE_MAX bytes (OMS_ENOSPC). OMS_EUNSUPPORTED where the
 * implementation keeps none (the memory store). */
#define OMS_STORE_LIMIT_LINE_MAX 2048
OMS_EXTERN int oms_store_limit_append(oms_store_t *s, uint64_t seq, int64_t ts_ns, const char *who,
                                      const char *line, size_t len, uint64_t *ticket);
/* Every stored change, by seq (after everything appended so far is
 * visible). Returns 0, the callback's non-zero value, OMS_EUNSUPPORTED or
 * OMS_ESTORE. */
OMS_EXTERN int oms_store_limit_changes(oms_store_t *s, oms_limit_change_cb cb, void *ctx);

/* ---- Daily-PnL bases (the engine's; docs/store.md, "daily PnL baseline") -----------
 * When a trading day begins the engine appends one row per account (its
 * PnL at that moment, the base its daily PnL is counted from) and then the
 * day's mark, a row with account_id "" (base 0): a day with its mark has
 * every account's row, since they came before it. Queued like a unit (a
 * ticket; the journal store writes a PNL_BASE record, the SQLite store a
 * row of `pnl_bases`); a row stored again (same day and account) replaces
 * the first. oms_store_pnl_base_append returns 0, OMS_EINVAL (an account
 * id too long), OMS_ESTORE or OMS_EUNSUPPORTED (a store that keeps none). */
OMS_EXTERN int oms_store_pnl_base_append(oms_store_t *s, const oms_pnl_base_row_t *row,
                                         uint64_t *ticket);
/* The latest day that has its mark: its start in *day_start_ns and cb for
 * each of its accounts' rows, by account (after everything appended so far
 * is visible). Returns 0, OMS_ENOTFOUND (no day has its mark:
 * *day_start_ns 0), the callback's non-zero value, OMS_EUNSUPPORTED or
 * OMS_ESTORE. */
OMS_EXTERN int oms_store_pnl_bases(oms_store_t *s, int64_t *day_start_ns, oms_pnl_base_cb cb,
                                   void *ctx);

/* The store as the bus sees it: the event log to catch up and replay from,
 * and the table of sink cursors (a save is queued like an append). */
OMS_EXTERN oms_replay_source_t oms_store_replay_source(oms_store_t *s);
OMS_EXTERN oms_cursor_store_t oms_store_cursor_store(oms_store_t *s);

/* Stops the writer after it wrote what is queued (if it can), checkpoints and
 * closes. Accepts NULL; cannot fail (a last failure goes to on_error). */
static inline void oms_store_close(oms_store_t *s) {
  if (s != NULL) s->vt->close(s);
}

OMS_END_DECLS

#endif /* OMS_STORE_H */
