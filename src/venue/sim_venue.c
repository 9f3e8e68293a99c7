/*
 * sim_venue.c - the simulated exchange behind the venue connector interface
 * (see include/oms/sim_venue.h for what it does; this note says how).
 *
 * NOTES ON THE DESIGN
 *
 * Orders. Every order the OMS sends gets a record from a preallocated pool,
 * found by OMS order id (see "Ids" below). The record
 * holds the venue's view (quantities, prices, status) and where the order is:
 * W_BOOK (resting in its symbol's book under book id = venue sequence number
 * vid), W_STOP (held aside in its symbol's stop list until triggered) or
 * W_NONE. A record that reaches a final status is appended to the `done` FIFO
 * and stays findable, so a late cancel is refused with TOO_LATE and a status
 * query still answers; when the pool is exhausted the oldest done record is
 * recycled (a query about it then answers UNKNOWN).
 *
 * Ids. The OMS hands out order ids one after the other, so the orders a
 * venue remembers (at most max_orders) mostly hold distinct low bits: entry
 * `order_id & id_mask` of a direct table (a power of two, at least
 * max_orders, 16 bytes an entry, free while its id is 0) is the order's,
 * and sequential ids fill it in address order (four to a cache line) where a
 * hash would scatter them. An id whose entry is held (by an order of long
 * ago, or ids that are not sequential) goes to the overflow map
 * (core/u64map.h), consulted only while it holds anything. A record that is
 * recycled gives its entry up before the new order takes one, so the usual
 * new order takes the entry of the one it replaces.
 *
 * Reports. A report is a compact event (cell_t, a cache line, with what
 * only fills and a few others carry in a side ring) in a power-of-two ring,
 * produced synchronously by the request or event that caused it, with a due
 * time that never goes backwards (so reports keep their production order).
 * poll() turns due events into oms_exec_report_t and hands them to the core.
 * A send is refused with OMS_EFULL while fewer than `reserve` slots are free,
 * so one request always has room for its reports; a sweep that produces more
 * than that when the ring is nearly full loses the excess, counted in
 * reports_dropped (size the ring for the worst burst). The ACCEPTED every
 * new order gets is written straight into its ring cell (push_ack).
 *
 * Matching. The book calls on_fill for each trade from inside
 * oms__book_submit; on_fill updates the records, queues FILL reports, and
 * records the range of traded prices. After every operation that can trade,
 * run_stops() triggers the stops that range reaches (buy stops at or below the
 * highest trade, sell stops at or above the lowest) in arrival order, runs
 * them as market or limit orders, and repeats with the range their own trades
 * made, so a cascade resolves completely before the operation returns. The
 * book is never re-entered from its own callback. A limit order that can
 * not trade on arrival (the usual passive order) rests through the book's
 * passive path (oms__book_post, inline) without the rest of this.
 *
 * Durable state (state_path; format in sim_state.c). jot() records every
 * change to a working order as it happens: W at acceptance and replace, T
 * when a stop fires; jot_report() records each report that fills or ends an
 * order, before push() numbers it: F for a fill that leaves it working, D
 * for the fill, cancel or expiry that ends it, with the report's number and
 * the trade; jot_sent() records after each poll's deliveries the number of
 * the last report delivered (S). At creation restore() folds the file into
 * each order's last state, queues again, under their own numbers and times,
 * the F and D reports above the S mark (news the OMS may not have: a kill
 * between a fill and its delivery), steps the liquidity providers aside,
 * puts the working orders back in their old queue order (sorted by the
 * record that last sent each to the back) and the newest finished_keep
 * finished ones onto the done FIFO (a status query answers for them), lets
 * the providers quote again, and starts a compacted file: the start, the S
 * mark, the working orders, the finished ones, and an F or D for each
 * report still queued. Ids of start k begin above k << 40, so a report
 * delivered twice (a kill after a delivery and before its S) carries the
 * same exec id both times and the engine drops the second.
 *
 * Time. Requests use the injected clock; poll(now) does the time-driven work:
 * DAY expiry at the session end (one scan per session), GTD expiry through a
 * min-heap of (expire time, order) with lazy deletion, the liquidity
 * provider's random walk and re-quotes, report delivery and market data
 * (a symbol's snapshot is built only when its book's version or its trade
 * count moved since the last look, not for every symbol at every poll).
 */
#include "oms/sim_venue.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "decimal/decimal_internal.h"

#include "core/ilist.h"
#include "core/strkey.h"
#include "core/u64map.h"
#include "oms/error.h"
#include "venue/book.h"
#include "venue/book_post.h"
#include "venue/sim_state.h"
#include "venue/vstep.h"

#define NIL OMS__ILIST_NIL

#define DEFAULT_MAX_ORDERS 65536u
#define DEFAULT_RING 16384u
#define MAX_LP_CATCHUP_STEPS 1000000
/* The first-word index of the symbols: a power of two, 4 slots a symbol. */
#define SYM_SLOTS 256u
#define SYM_SHARED 0xffu
_Static_assert(OMS_SIM_MAX_SYMBOLS < SYM_SHARED, "a slot holds a symbol's index + 1");

typedef __int128 i128;

enum { W_NONE = 0, W_BOOK, W_STOP };

/* The small fields fill the hole before notional (16-byte aligned): 96
 * bytes a record, not 112. */
typedef struct rec_s {
  uint64_t order_id;
  uint64_t vid; /* venue order number, also the book id */
  int64_t qty, filled, price, stop, expire_ns;
  uint32_t inst;
  uint16_t sym;
  uint8_t side, type;
  i128 notional;     /* sum of qty x px over its fills, raw x raw: AvgPx */
  oms__ilink_t link; /* stop list or done FIFO; link.next chains the free list */
  uint8_t tif;
  uint8_t where;  /* W_* */
  uint8_t status; /* oms_venue_status_t */
} rec_t;
_Static_assert(sizeof(rec_t) == 96, "a record is a cache line and a half");

/* A report, expanded into an oms_exec_report_t at delivery. For REPLACED,
 * qty/px/fee carry the new quantity, price and stop price. */
typedef struct ev_s {
  int64_t due_ns, ts_ns;
  uint64_t order_id, vid, exec;
  int64_t qty, px, fee, cum, leaves;
  const char *text; /* static text, or NULL for the reason's description */
  uint16_t reason;
  uint8_t type, liq, status;
} ev_t;

/* A report as the ring holds it: what every report has in one cache line
 * (the ring is 64-byte aligned), and what only fills, replaces, status
 * answers and texts have (qty, px, fee, text, all 0 otherwise) in the cell
 * of the same number of a side ring, written only when one of them is
 * not 0 (ext). The ACCEPTED of every new order fills one line, not one and
 * a half. */
typedef struct cell_s {
  int64_t due_ns, ts_ns;
  uint64_t order_id, vid, exec;
  int64_t cum, leaves;
  uint16_t reason;
  uint8_t type, liq, status;
  uint8_t ext; /* the side cell holds qty, px, fee and text */
} cell_t;
_Static_assert(sizeof(cell_t) == 64, "a report cell is a cache line");

typedef struct cellx_s {
  int64_t qty, px, fee;
  const char *text;
} cellx_t;

typedef struct expiry_s {
  int64_t at;
  uint64_t order_id;
  uint32_t rec;
} expiry_t;

typedef struct lp_state_s {
  oms_sim_lp_t cfg;
  int64_t ref, min_ref;
  int64_t next_step;
  uint64_t rng;
  bool dirty;
  bool hit; /* a quote was taken since the last re-quote, at hit_ns */
  int64_t hit_ns;
  uint32_t nids;
  uint64_t ids[2 * OMS_SIM_LP_MAX_LEVELS];
} lp_state_t;

/* An entry of the direct id table (see "Ids"). */
typedef struct ident_s {
  uint64_t order_id; /* 0: free */
  uint32_t rec;
} ident_t;

typedef struct sim_s sim_t;

/* What a new order reads of its symbol is its first cache line (the record
 * is 64-byte aligned): the first two words of the key it is matched against
 * (all of a name shorter than 16 bytes, the usual) and its last word's mask
 * as a shift, the book, whether it traded, and the instrument's tick and
 * lot as steps (venue/vstep.h: no division). The whole key (read only for
 * a longer name), the stops (read only when it traded, or for a stop
 * order) and the rest (the instrument, market data, the liquidity
 * provider) come after. */
typedef struct sym_s {
  uint64_t w[2];    /* key.w[0] and key.w[1] */
  uint8_t n;        /* key.n; 0 for a key sym_match takes whole */
  uint8_t mshift;   /* key.mask is mask_of(mshift) */
  bool traded;      /* since the last run_stops */
  uint8_t tick_rot; /* the rotations of tick and lot */
  uint8_t lot_rot;
  oms__book_t *book;
  oms__vstep_t tick, lot; /* of ins.tick_size and ins.lot_size */
  oms__ilist_t stops;     /* held stop orders, in arrival order */
  oms__strkey_t key;      /* ins.symbol's (core/strkey.h) */
  sim_t *v;
  oms_instrument_t ins;
  int64_t trade_hi, trade_lo;
  int64_t last_px, last_qty;
  uint64_t trades;
  bool md_sent;
  uint64_t md_trades;
  uint64_t md_book;     /* the book's version when publish_md last looked */
  int64_t volume;       /* traded quantity, raw: market data's cum_volume */
  oms_market_data_t md; /* last published */
  lp_state_t lp;
} sym_t;
_Static_assert(offsetof(sym_t, stops) == 64, "a new order reads one line of its symbol");

struct sim_s {
  oms_venue_t base; /* first: the core holds an oms_venue_t * */
  oms_clock_t clock;
  int64_t now; /* time of the request or poll in progress */
  int64_t ack_lat, fill_lat;
  oms_dec_t maker_rate, taker_rate;
  oms_round_t fee_round;
  uint64_t seed;
  uint32_t book_capacity;

  sym_t *syms[OMS_SIM_MAX_SYMBOLS];
  uint32_t nsyms;
  oms__u64map_t sym_map;       /* hash of the symbol -> index in syms (names checked) */
  uint8_t sym_slot[SYM_SLOTS]; /* by the first word of a symbol: see sym_of_order */

  rec_t *recs;
  uint32_t max_orders;
  uint32_t free_rec;
  oms__ilist_t done; /* records with a final status, oldest first */
  ident_t *idt;      /* the direct id table, [order_id & id_mask] */
  uint64_t id_mask;
  oms__u64map_t ids; /* the overflow: order_id -> record */

  cell_t *ring;   /* 64-byte aligned */
  cellx_t *ringx; /* the side ring: see cell_t */
  uint64_t ring_mask, head, tail;
  uint32_t reserve;
  int64_t last_due;

  expiry_t *heap;
  uint32_t nheap;

  int64_t session_end;
  bool session_expired;

  uint64_t next_vid, next_exec;
  bool connected, reported_connected;
  bool silent;
  uint32_t reject_n;
  oms_reason_t reject_reason;
  oms_sim_stats_t stats;
  size_t name_len;
  oms__sjournal_t *journal; /* NULL: no durable state */
};

static const oms_venue_vtbl_t sim_vtbl;

static sim_t *as_sim(oms_venue_t *v) {
  return (v != NULL && v->vt == &sim_vtbl) ? (sim_t *)v : NULL;
}
static const sim_t *as_csim(const oms_venue_t *v) {
  return (v != NULL && v->vt == &sim_vtbl) ? (const sim_t *)v : NULL;
}

/* ---- Fees ------------------------------------------------------------------ */

int oms_sim_fee(oms_dec_t qty, oms_dec_t px, oms_dec_t mult, oms_dec_t rate, oms_round_t mode,
                oms_dec_t *out) {
  const i128 e8 = OMS_DEC_SCALE, e16 = e8 * e8;
  i128 x = (i128)qty.raw * px.raw; /* scale 10^-16; |x| < 2^126 */
  i128 d = e16;
  if (mult.raw != 0 && mult.raw != OMS_DEC_SCALE) {
    i128 y;
    if (__builtin_mul_overflow(x, (i128)mult.raw, &y)) {
      /* Beyond any real trade: round the notional before the multiplier. */
      if (__builtin_mul_overflow(oms__dec_round_div(x, e8, mode), (i128)mult.raw, &x))
        return OMS_EOVERFLOW;
    } else {
      x = y;
      d = e16 * e8;
    }
  }
  i128 f;
  if (__builtin_mul_overflow(x, (i128)rate.raw, &f)) {
    /* Beyond any real trade: round the notional to 10^-8 first. */
    i128 n = oms__dec_round_div(x, d / e8, mode);
    if (__builtin_mul_overflow(n, (i128)rate.raw, &f)) return OMS_EOVERFLOW;
    d = e8;
  }
  i128 r = oms__dec_round_div(f, d, mode);
  if (r > OMS_DEC_MAX_RAW || r < OMS_DEC_MIN_RAW) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

/* ---- Ids ---------------------------------------------------------------------- */

/* The record of order_id, or NIL. */
static inline uint32_t id_get(const sim_t *v, uint64_t order_id) {
  const ident_t *d = &v->idt[order_id & v->id_mask];
  if (d->order_id == order_id && order_id != 0) return d->rec;
  uint64_t ri;
  return v->ids.count > 0 && oms__u64map_get(&v->ids, order_id, &ri) ? (uint32_t)ri : NIL;
}

/* Puts order_id (non-zero, not there) -> ri. Can not fail: the overflow
 * has room for every record. */
static inline void id_put(sim_t *v, uint64_t order_id, uint32_t ri) {
  ident_t *d = &v->idt[order_id & v->id_mask];
  if (d->order_id == 0) {
    d->order_id = order_id;
    d->rec = ri;
  } else {
    (void)oms__u64map_put(&v->ids, order_id, ri);
  }
}

/* Removes order_id (there). */
static inline void id_del(sim_t *v, uint64_t order_id) {
  ident_t *d = &v->idt[order_id & v->id_mask];
  if (d->order_id == order_id)
    d->order_id = 0;
  else
    oms__u64map_del(&v->ids, order_id);
}

/* ---- Records ------------------------------------------------------------------ */

/* The lists of records (core/ilist.h): a symbol's stops, the done FIFO, and
 * the stops one sweep triggers. */
static inline void list_append(sim_t *v, oms__ilist_t *l, uint32_t i) {
  oms__ilist_push_back(l, v->recs, sizeof(rec_t), offsetof(rec_t, link), i);
}
static inline void list_unlink(sim_t *v, oms__ilist_t *l, uint32_t i) {
  oms__ilist_unlink(l, v->recs, sizeof(rec_t), offsetof(rec_t, link), i);
}
static inline uint32_t list_pop(sim_t *v, oms__ilist_t *l) {
  return oms__ilist_pop_front(l, v->recs, sizeof(rec_t), offsetof(rec_t, link));
}

/* The oldest done record, its id given up; NIL if there is none. Out of
 * line: taken once the pool has been used once, but larger than the rest. */
static __attribute__((noinline)) uint32_t rec_recycle(sim_t *v) {
  uint32_t i = list_pop(v, &v->done);
  if (i == NIL) return NIL;
  id_del(v, v->recs[i].order_id);
  return i;
}

static inline uint32_t rec_alloc(sim_t *v) {
  uint32_t i = v->free_rec;
  if (i == NIL) return rec_recycle(v);
  v->free_rec = v->recs[i].link.next;
  return i;
}

static inline uint32_t rec_index(const sim_t *v, const rec_t *r) { return (uint32_t)(r - v->recs); }

/* A venue that can not record what it does can not promise anything: it
 * goes down (sends refused, reports held) until it is created again. */
static void state_failed(sim_t *v) {
  v->stats.state_errors++;
  v->connected = false;
}

static void to_sjrec(const sim_t *v, const rec_t *r, int kind, bool requeue, oms__sjrec_t *j) {
  memset(j, 0, sizeof(*j));
  j->kind = (uint8_t)kind;
  j->order_id = r->order_id;
  j->vid = r->vid;
  j->qty = r->qty;
  j->filled = r->filled;
  j->price = r->price;
  j->stop = r->stop;
  j->expire_ns = r->expire_ns;
  j->inst = r->inst;
  j->side = r->side;
  j->type = r->type;
  j->tif = r->tif;
  j->requeue = requeue;
  j->status = r->status;
  j->notional_lo = (uint64_t)r->notional;
  j->notional_hi = (int64_t)(r->notional >> 64);
  memcpy(j->symbol, v->syms[r->sym]->ins.symbol, sizeof(j->symbol));
}

/* Records a change to a working order in the state file (buffered; written
 * before the next report is delivered). */
static __attribute__((noinline)) void jot_write(sim_t *v, const rec_t *r, int kind, bool requeue) {
  oms__sjrec_t j;
  to_sjrec(v, r, kind, requeue, &j);
  if (oms__sj_append(v->journal, &j) != 0) state_failed(v);
}
/* Inline: a venue without a state file pays a test, not a call. */
static inline void jot(sim_t *v, const rec_t *r, int kind, bool requeue) {
  if (v->journal != NULL) jot_write(v, r, kind, requeue);
}

/* Records that every report numbered up to exec has been delivered: once a
 * poll, after its deliveries (a kill before it only makes a restart deliver
 * them again, and the engine drops a fill whose exec id it has seen). */
static void jot_sent(sim_t *v, uint64_t exec) {
  if (v->journal == NULL) return;
  oms__sjrec_t j;
  memset(&j, 0, sizeof(j));
  j.kind = OMS__SJ_SENT;
  j.exec = exec;
  if (oms__sj_append(v->journal, &j) != 0) state_failed(v);
}

/* Moves r to a final status and onto the done FIFO (the state file hears of
 * it with the report that tells it: jot_report). */
static void finish(sim_t *v, rec_t *r, oms_venue_status_t st) {
  r->status = (uint8_t)st;
  r->where = W_NONE;
  list_append(v, &v->done, rec_index(v, r));
}

static void stop_append(sim_t *v, sym_t *y, rec_t *r) {
  list_append(v, &y->stops, rec_index(v, r));
  r->where = W_STOP;
}

static void stop_unlink(sim_t *v, sym_t *y, rec_t *r) {
  list_unlink(v, &y->stops, rec_index(v, r));
  r->where = W_NONE;
}

/* Takes a working order out of its book or stop list. */
static void rec_withdraw(sim_t *v, rec_t *r) {
  sym_t *y = v->syms[r->sym];
  if (r->where == W_BOOK) {
    oms__book_cancel(y->book, r->vid, NULL);
  } else if (r->where == W_STOP) {
    stop_unlink(v, y, r);
  }
  r->where = W_NONE;
}

/* ---- Reports ------------------------------------------------------------------ */

static inline uint32_t ring_free(const sim_t *v) {
  return (uint32_t)(v->ring_mask + 1 - (v->tail - v->head));
}

/* The ring's next cell, numbered and due latency ns from now, after
 * everything queued; the caller writes the rest of it. NULL (the report
 * lost, counted) when the ring is full. */
static inline cell_t *push_cell(sim_t *v, int64_t latency) {
  if (ring_free(v) == 0) {
    v->stats.reports_dropped++;
    return NULL;
  }
  int64_t due = v->now + latency;
  if (due < v->last_due) due = v->last_due;
  v->last_due = due;
  cell_t *c = &v->ring[v->tail & v->ring_mask];
  c->due_ns = due;
  c->ts_ns = v->now;
  c->exec = ++v->next_exec;
  v->tail++;
  v->stats.reports_queued++;
  return c;
}

/* Writes e into the cell c (its due time, time and number included) and
 * the side cell if e needs it. */
static void store_cell(sim_t *v, cell_t *c, const ev_t *e) {
  c->due_ns = e->due_ns;
  c->ts_ns = e->ts_ns;
  c->order_id = e->order_id;
  c->vid = e->vid;
  c->exec = e->exec;
  c->cum = e->cum;
  c->leaves = e->leaves;
  c->reason = e->reason;
  c->type = e->type;
  c->liq = e->liq;
  c->status = e->status;
  c->ext = (e->qty | e->px | e->fee) != 0 || e->text != NULL;
  if (c->ext) {
    cellx_t *x = &v->ringx[c - v->ring];
    x->qty = e->qty;
    x->px = e->px;
    x->fee = e->fee;
    x->text = e->text;
  }
}

/* The report in the ring at position pos (queued). */
static void load_cell(const sim_t *v, uint64_t pos, ev_t *e) {
  const cell_t *c = &v->ring[pos & v->ring_mask];
  e->due_ns = c->due_ns;
  e->ts_ns = c->ts_ns;
  e->order_id = c->order_id;
  e->vid = c->vid;
  e->exec = c->exec;
  e->cum = c->cum;
  e->leaves = c->leaves;
  e->reason = c->reason;
  e->type = c->type;
  e->liq = c->liq;
  e->status = c->status;
  if (c->ext) {
    const cellx_t *x = &v->ringx[pos & v->ring_mask];
    e->qty = x->qty;
    e->px = x->px;
    e->fee = x->fee;
    e->text = x->text;
  } else {
    e->qty = e->px = e->fee = 0;
    e->text = NULL;
  }
}

/* Queues e to be delivered latency ns from now, after everything queued. */
static void push(sim_t *v, ev_t *e, int64_t latency) {
  cell_t *c = push_cell(v, latency);
  if (c == NULL) return;
  e->due_ns = c->due_ns;
  e->ts_ns = c->ts_ns;
  e->exec = c->exec;
  store_cell(v, c, e);
}

/* Queues the ACCEPTED of r, just taken (nothing filled), written straight
 * into its ring cell: every new order is acknowledged, so the generic
 * report() (a cleared event, a switch on the type, a copy) is kept off its
 * path. The cell's fields are those report() would give. */
static inline void push_ack(sim_t *v, const rec_t *r) {
  cell_t *c = push_cell(v, v->ack_lat);
  if (c == NULL) return;
  c->order_id = r->order_id;
  c->vid = r->vid;
  c->cum = 0;
  c->leaves = r->qty;
  c->reason = OMS_R_NONE;
  c->type = OMS_EXEC_ACCEPTED;
  c->liq = 0;
  c->status = OMS_VSTATUS_WORKING;
  c->ext = 0; /* qty, px, fee 0, no text */
}

/* Records in the state file a report that fills or finishes r, e, before
 * push() numbers it: FILL for a fill that leaves r working, DONE otherwise.
 * Its number (0 when the ring is full and the report is lost anyway) lets a
 * restart tell what was delivered (SENT) from what still has to be. */
static void jot_report(sim_t *v, const rec_t *r, const ev_t *e) {
  if (v->journal == NULL) return;
  oms__sjrec_t j;
  to_sjrec(v, r, r->status == OMS_VSTATUS_WORKING ? OMS__SJ_FILL : OMS__SJ_DONE, false, &j);
  j.exec = ring_free(v) > 0 ? v->next_exec + 1 : 0;
  j.last_qty = e->qty;
  j.last_px = e->px;
  j.fee = e->fee;
  j.liq = e->liq;
  j.reason = e->reason;
  j.ts_ns = v->now;
  if (oms__sj_append(v->journal, &j) != 0) state_failed(v);
}

/* The average price of r's fills, raw (0 before the first). */
static int64_t avg_px(const rec_t *r) {
  return r->filled > 0 ? (int64_t)oms__dec_round_div(r->notional, r->filled, OMS_ROUND_HALF_EVEN)
                       : 0;
}

/* Queues a report of type about r (not a fill). */
static void report(sim_t *v, const rec_t *r, oms_exec_type_t type, oms_reason_t reason,
                   const char *text, int64_t latency) {
  ev_t e;
  memset(&e, 0, sizeof(e));
  e.type = (uint8_t)type;
  e.order_id = r->order_id;
  e.vid = r->vid;
  e.reason = (uint16_t)reason;
  e.text = text;
  e.status = r->status;
  e.cum = r->filled;
  e.leaves = r->status == OMS_VSTATUS_WORKING ? r->qty - r->filled : 0;
  if (type == OMS_EXEC_REPLACED) {
    e.qty = r->qty;
    e.px = r->price;
    e.fee = r->stop;
  } else if (type == OMS_EXEC_STATUS) {
    e.px = avg_px(r);
  } else if (type == OMS_EXEC_CANCELLED || type == OMS_EXEC_EXPIRED) {
    jot_report(v, r, &e);
  }
  push(v, &e, latency);
}

static void reject_unknown(sim_t *v, uint64_t order_id, oms_exec_type_t type) {
  ev_t e;
  memset(&e, 0, sizeof(e));
  e.type = (uint8_t)type;
  e.order_id = order_id;
  e.reason = type == OMS_EXEC_STATUS ? OMS_R_NONE : OMS_R_VENUE_UNKNOWN_ORDER;
  e.status = OMS_VSTATUS_UNKNOWN;
  push(v, &e, v->ack_lat);
}

/* Writes prefix, '-', tag (may be empty) and n in decimal into dst. */
static void format_id(char *dst, const char *prefix, size_t plen, char tag, uint64_t n) {
  char digits[24];
  int k = 0;
  do {
    digits[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n != 0);
  memcpy(dst, prefix, plen);
  char *p = dst + plen;
  *p++ = '-';
  if (tag) *p++ = tag;
  while (k > 0) *p++ = digits[--k];
  *p = '\0';
}

static void deliver(sim_t *v, const ev_t *e) {
  oms_exec_report_t rep;
  memset(&rep, 0, sizeof(rep));
  rep.type = (oms_exec_type_t)e->type;
  rep.order_id = e->order_id;
  if (e->vid != 0) format_id(rep.venue_order_id, v->base.name, v->name_len, 0, e->vid);
  format_id(rep.exec_id, v->base.name, v->name_len, 'E', e->exec);
  rep.cum_qty.raw = e->cum;
  rep.leaves_qty.raw = e->leaves;
  if (rep.type == OMS_EXEC_FILL) {
    rep.last_qty.raw = e->qty;
    rep.last_px.raw = e->px;
    rep.fee.raw = e->fee;
    rep.liquidity = (char)e->liq;
  } else if (rep.type == OMS_EXEC_REPLACED) {
    rep.new_qty.raw = e->qty;
    rep.new_price.raw = e->px;
    rep.new_stop_price.raw = e->fee;
  } else if (rep.type == OMS_EXEC_STATUS) {
    rep.avg_px.raw = e->px;
  }
  rep.status = (oms_venue_status_t)e->status;
  rep.reason = (oms_reason_t)e->reason;
  const char *text = e->text;
  if (text == NULL && e->reason != OMS_R_NONE) text = oms_reason_desc(rep.reason);
  if (text != NULL) oms_strlcpy(rep.text, text, sizeof(rep.text));
  rep.ts_ns = e->ts_ns;
  v->base.handler.on_report(v->base.handler.ctx, &rep);
}

/* ---- Matching ----------------------------------------------------------------- */

static void fill_rec(sim_t *v, sym_t *y, rec_t *r, const oms__book_fill_t *f, char liq) {
  r->filled += f->qty.raw;
  r->notional += (i128)f->qty.raw * f->px.raw;
  ev_t e;
  memset(&e, 0, sizeof(e));
  e.type = OMS_EXEC_FILL;
  e.order_id = r->order_id;
  e.vid = r->vid;
  e.qty = f->qty.raw;
  e.px = f->px.raw;
  e.liq = (uint8_t)liq;
  e.cum = r->filled;
  e.leaves = r->qty - r->filled;
  oms_dec_t fee = OMS_DEC_ZERO;
  if (oms_sim_fee(f->qty, f->px, y->ins.multiplier, liq == 'M' ? v->maker_rate : v->taker_rate,
                  v->fee_round, &fee) != 0)
    fee = OMS_DEC_ZERO; /* a notional beyond the decimal range cannot be priced */
  e.fee = fee.raw;
  if (r->filled == r->qty) finish(v, r, OMS_VSTATUS_FILLED);
  e.status = r->status;
  jot_report(v, r, &e);
  push(v, &e, v->fill_lat);
}

static void on_fill(void *ctx, const oms__book_fill_t *f) {
  sym_t *y = (sym_t *)ctx;
  sim_t *v = y->v;
  v->stats.trades++;
  y->trades++;
  y->volume += f->qty.raw;
  y->last_px = f->px.raw;
  y->last_qty = f->qty.raw;
  if (!y->traded) {
    y->traded = true;
    y->trade_hi = y->trade_lo = f->px.raw;
  } else if (f->px.raw > y->trade_hi) {
    y->trade_hi = f->px.raw;
  } else if (f->px.raw < y->trade_lo) {
    y->trade_lo = f->px.raw;
  }
  if (f->maker_tag == 0) {
    /* The provider replenishes refill_ns after the first hit. */
    if (!y->lp.hit) {
      y->lp.hit = true;
      y->lp.hit_ns = v->now;
    }
    y->lp.dirty = true;
  } else {
    fill_rec(v, y, &v->recs[f->maker_tag - 1], f, 'M');
  }
  if (f->taker_tag != 0) fill_rec(v, y, &v->recs[f->taker_tag - 1], f, 'T');
}

/* execute() the whole way: the book order built, matched, its outcome
 * sorted. Out of line: the passive order (the usual) never comes here, and
 * this is most of execute's code. */
static __attribute__((noinline)) void trade(sim_t *v, sym_t *y, rec_t *r, bool market, uint32_t tag,
                                            int64_t leaves) {
  oms__book_order_t bo;
  bo.id = r->vid;
  bo.tag = tag;
  bo.side = (oms_side_t)r->side;
  bo.price.raw = market ? 0 : r->price;
  bo.qty.raw = leaves;
  bo.flags = market ? OMS_BOOK_MARKET : 0;
  if (r->tif == OMS_TIF_IOC) bo.flags |= OMS_BOOK_IOC;
  if (r->tif == OMS_TIF_FOK) bo.flags |= OMS_BOOK_FOK;
  if (r->inst & OMS_INST_POST_ONLY) bo.flags |= OMS_BOOK_POST_ONLY;
  oms__book_result_t res;
  int rc = oms__book_submit(y->book, &bo, &res);
  if (rc != 0) {
    finish(v, r, OMS_VSTATUS_CANCELLED);
    report(v, r, OMS_EXEC_CANCELLED, OMS_R_CAPACITY, "venue book full", v->fill_lat);
    return;
  }
  if (r->status != OMS_VSTATUS_WORKING) return; /* filled in full by on_fill */
  switch (res.outcome) {
    case OMS_BOOK_RESTED: r->where = W_BOOK; break;
    case OMS_BOOK_NOT_RESTED:
      finish(v, r, OMS_VSTATUS_CANCELLED);
      if (market) {
        report(v, r, OMS_EXEC_CANCELLED, OMS_R_NO_LIQUIDITY, NULL, v->fill_lat);
      } else {
        report(v, r, OMS_EXEC_CANCELLED, OMS_R_NONE, "IOC remainder cancelled", v->fill_lat);
      }
      break;
    case OMS_BOOK_FOK_REFUSED:
      finish(v, r, OMS_VSTATUS_CANCELLED);
      report(v, r, OMS_EXEC_CANCELLED, OMS_R_FOK_CANNOT_FILL, NULL, v->fill_lat);
      break;
    case OMS_BOOK_POST_ONLY_REFUSED:
    case OMS_BOOK_FILLED:
    default:
      /* Post-only is checked before the order is accepted; FILLED finished above. */
      finish(v, r, OMS_VSTATUS_CANCELLED);
      report(v, r, OMS_EXEC_CANCELLED, OMS_R_POST_ONLY_WOULD_CROSS, NULL, v->fill_lat);
      break;
  }
}

/* Sends a working order that is in neither the book nor a stop list to the
 * book as a market (MARKET, triggered STOP) or limit order; tag is its
 * record's index + 1 (below 2^32: a record index is). */
static inline __attribute__((always_inline)) void execute_tagged(sim_t *v, sym_t *y, rec_t *r,
                                                                 uint32_t tag) {
  bool market = r->type == OMS_ORD_MARKET || r->type == OMS_ORD_STOP;
  int64_t leaves = r->qty - r->filled;
  /* A limit order that may rest and can not trade (a passive order, the
   * most common) takes the book's passive path: no book order built, no
   * outcome to sort. What it does not take (a cross, a full book, anything
   * the book would refuse) goes the whole way. */
  if (!market && r->tif != OMS_TIF_IOC && r->tif != OMS_TIF_FOK && r->price > 0 && leaves > 0 &&
      oms__book_post_inline(y->book, r->vid, tag, (oms_side_t)r->side, oms_dec_from_raw(r->price),
                            oms_dec_from_raw(leaves))) {
    r->where = W_BOOK;
    return;
  }
  trade(v, y, r, market, tag, leaves);
}

/* execute_tagged() of a record whose index the caller does not have. */
static inline void execute(sim_t *v, sym_t *y, rec_t *r) {
  execute_tagged(v, y, r, rec_index(v, r) + 1);
}

/* The loop of run_stops, entered when a trade may have reached a stop. */
static void fire_stops(sim_t *v, sym_t *y) {
  while (y->traded && y->stops.head != NIL) {
    int64_t hi = y->trade_hi, lo = y->trade_lo;
    y->traded = false;
    oms__ilist_t fired;
    oms__ilist_init(&fired);
    for (uint32_t i = y->stops.head; i != NIL;) {
      rec_t *r = &v->recs[i];
      uint32_t nx = r->link.next;
      if (r->side == OMS_SIDE_BUY ? hi >= r->stop : lo <= r->stop) {
        stop_unlink(v, y, r);
        list_append(v, &fired, i);
      }
      i = nx;
    }
    /* Each is taken off `fired` before it runs, so execute() may put it on
     * the done FIFO. */
    for (uint32_t i = list_pop(v, &fired); i != NIL; i = list_pop(v, &fired)) {
      rec_t *r = &v->recs[i];
      report(v, r, OMS_EXEC_TRIGGERED, OMS_R_NONE, NULL, v->fill_lat);
      jot(v, r, OMS__SJ_TRIGGER, true);
      execute(v, y, r);
    }
  }
}

/* Triggers and runs the stops reached by the trades since the last call,
 * then those reached by their trades, until no trade is left unexamined.
 * Inline: after most orders there is no stop to look at. */
static inline void run_stops(sim_t *v, sym_t *y) {
  if (y->traded && y->stops.head != NIL) fire_stops(v, y);
  y->traded = false;
}

/* ---- Liquidity provider --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t xorshift64s(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * UINT64_C(0x2545f4914f6cdd1d);
}

static int64_t lp_spread_ticks(const sym_t *y) {
  const lp_state_t *lp = &y->lp;
  int64_t sp = lp->cfg.spread_ticks ? lp->cfg.spread_ticks : 1;
  if (lp->cfg.spread_bps > 0) {
    i128 num = (i128)lp->ref * lp->cfg.spread_bps, den = (i128)10000 * y->ins.tick_size.raw;
    sp = (int64_t)oms__dec_round_div(num, den, OMS_ROUND_CEIL);
    if (sp < 1) sp = 1;
  }
  return sp;
}

/* Cancels the provider's quotes and quotes afresh around its reference. */
static void lp_requote(sim_t *v, sym_t *y) {
  lp_state_t *lp = &y->lp;
  for (uint32_t k = 0; k < lp->nids; k++) oms__book_cancel(y->book, lp->ids[k], NULL);
  lp->nids = 0;
  lp->dirty = false;
  int64_t tick = y->ins.tick_size.raw, sp = lp_spread_ticks(y);
  int64_t bid0 = lp->ref - (sp / 2) * tick, ask0 = bid0 + sp * tick;
  for (uint32_t i = 0; i < lp->cfg.levels; i++) {
    for (int s = 0; s < 2; s++) {
      oms__book_order_t bo;
      bo.side = s ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      bo.price.raw = s ? bid0 - (int64_t)i * tick : ask0 + (int64_t)i * tick;
      if (bo.price.raw <= 0) continue;
      bo.id = ++v->next_vid;
      bo.tag = 0;
      bo.qty = lp->cfg.size;
      bo.flags = 0;
      oms__book_result_t res;
      if (oms__book_submit(y->book, &bo, &res) == 0 && res.outcome == OMS_BOOK_RESTED)
        lp->ids[lp->nids++] = bo.id;
    }
  }
  /* Trades made while quoting (taking a resting order the reference moved
   * through) do not call for another re-quote. */
  lp->dirty = false;
  lp->hit = false;
}

static void lp_poll(sim_t *v, sym_t *y, int64_t now) {
  lp_state_t *lp = &y->lp;
  if (!lp->cfg.enabled) return;
  if (lp->cfg.step_ns > 0 && now >= lp->next_step) {
    int64_t steps = (now - lp->next_step) / lp->cfg.step_ns + 1;
    lp->next_step += steps * lp->cfg.step_ns;
    if (steps > MAX_LP_CATCHUP_STEPS) steps = MAX_LP_CATCHUP_STEPS;
    int64_t walk = (int64_t)(lp->cfg.walk_ticks ? lp->cfg.walk_ticks : 1) * y->ins.tick_size.raw;
    int64_t before = lp->ref;
    for (int64_t k = 0; k < steps; k++) {
      int64_t d = (int64_t)(xorshift64s(&lp->rng) % 3) - 1;
      lp->ref += d * walk;
      if (lp->ref < lp->min_ref) lp->ref = lp->min_ref;
    }
    if (lp->ref != before) lp->dirty = true;
  }
  if (lp->dirty && !(lp->hit && now - lp->hit_ns < lp->cfg.refill_ns)) {
    lp_requote(v, y);
    run_stops(v, y);
  }
}

/* ---- Symbols ------------------------------------------------------------------ */

/* The slot of a symbol whose first word (its bytes up to a NUL) is w0. */
static inline uint32_t sym_slot_of(uint64_t w0) {
  return (uint32_t)((w0 * OMS__STRKEY_K) >> 56) & (SYM_SLOTS - 1);
}

/* The symbol an order names in its symbol array, or NULL. Every new order
 * names its symbol, so no scan, no strcmp, and most often no hash of the
 * whole name either: the slot of its first word names the one symbol that
 * can be it (index + 1; 0: none), checked whole (core/strkey.h). Only when
 * two symbols share a slot (SYM_SHARED: say two names that begin with the
 * same 8 bytes) does the hash of the whole name decide. */
static __attribute__((cold, noinline)) uint32_t sym_shared(const sim_t *v, const char *symbol) {
  uint64_t i;
  if (!oms__u64map_get(&v->sym_map, oms__strkey_hash_arr(symbol, OMS_SYMBOL_MAX + 1), &i)) return 0;
  return (uint32_t)i + 1;
}
/* oms__strkey_match(&y->key, symbol) from the symbol's first line when its
 * key has at most two words. */
/* The mask of a key's last word of shift s (below 64): the bytes up to the
 * NUL are the word's first in memory, its low bits on a little-endian
 * machine. */
static inline uint64_t mask_of(unsigned s) {
#if OMS__STRKEY_LE
  return UINT64_MAX >> s;
#else
  return UINT64_MAX << s;
#endif
}

static inline bool sym_match(const sym_t *y, const char *symbol) {
  if ((unsigned)y->n - 1u >= 2u) return oms__strkey_match(&y->key, symbol); /* n 0 or above 2 */
  uint64_t x0, x1;
  memcpy(&x0, symbol, sizeof x0);
  if (y->n == 1) return ((x0 ^ y->w[0]) & mask_of(y->mshift)) == 0;
  memcpy(&x1, symbol + 8, sizeof x1);
  return x0 == y->w[0] && ((x1 ^ y->w[1]) & mask_of(y->mshift)) == 0;
}
static inline sym_t *sym_of_order(const sim_t *v, const char *symbol, uint16_t *index) {
  bool nul;
  uint32_t s = v->sym_slot[sym_slot_of(oms__strkey_word(symbol, &nul))];
  if (s == SYM_SHARED) s = sym_shared(v, symbol);
  if (s == 0 || !sym_match(v->syms[s - 1], symbol)) return NULL;
  *index = (uint16_t)(s - 1);
  return v->syms[s - 1];
}

/* The symbol named by the C string symbol, or NULL. */
static sym_t *sym_find(const sim_t *v, const char *symbol, uint16_t *index) {
  oms__strkey_t key;
  uint64_t i;
  if (oms__strkey_from_str(symbol, OMS_SYMBOL_MAX + 1, &key) == 0 ||
      !oms__u64map_get(&v->sym_map, oms__strkey_hash(&key), &i) ||
      !oms__strkey_eq(&v->syms[i]->key, &key))
    return NULL;
  if (index != NULL) *index = (uint16_t)i;
  return v->syms[i];
}

static int lp_config_ok(const oms_sim_symbol_t *s) {
  const oms_sim_lp_t *lp = &s->lp;
  if (!lp->enabled) return 1;
  return lp->ref_px.raw > 0 && lp->levels >= 1 && lp->levels <= OMS_SIM_LP_MAX_LEVELS &&
         lp->size.raw > 0 && oms_dec_is_multiple(lp->size, s->ins.lot_size) && lp->step_ns >= 0 &&
         lp->refill_ns >= 0;
}

static int add_symbol(sim_t *v, const oms_sim_symbol_t *s) {
  const oms_instrument_t *ins = &s->ins;
  size_t len = strnlen(ins->symbol, sizeof(ins->symbol));
  if (len == 0 || len > OMS_SYMBOL_MAX || ins->tick_size.raw <= 0 || ins->lot_size.raw <= 0 ||
      ins->multiplier.raw < 0 || !lp_config_ok(s))
    return OMS_ECONFIG;
  uint64_t other;
  oms__strkey_t key;
  oms__strkey_from_str(ins->symbol, OMS_SYMBOL_MAX + 1, &key); /* length checked above */
  if (sym_find(v, ins->symbol, NULL) != NULL) return OMS_EEXIST;
  /* two names of one 64-bit hash: never seen, refused rather than scanned for */
  if (oms__u64map_get(&v->sym_map, oms__strkey_hash(&key), &other)) return OMS_ECONFIG;
  if (v->nsyms >= OMS_SIM_MAX_SYMBOLS) return OMS_EFULL;
  sym_t *y = (sym_t *)oms__aligned_alloc(64, sizeof(*y));
  if (y == NULL) return OMS_ENOMEM;
  memset(y, 0, sizeof(*y));
  int rc = oms__book_create(v->book_capacity, on_fill, y, &y->book);
  if (rc != 0) {
    oms__aligned_free(y);
    return rc;
  }
  y->v = v;
  y->ins = *ins;
  y->tick = oms__vstep(ins->tick_size, &y->tick_rot);
  y->lot = oms__vstep(ins->lot_size, &y->lot_rot);
  y->key = key;
  y->w[0] = key.w[0];
  y->w[1] = key.w[1];
  y->n = (uint8_t)key.n;
  y->mshift = 0;
  while (y->mshift < 64 && mask_of(y->mshift) != key.mask) y->mshift++;
  if (y->mshift == 64) y->n = 0; /* a mask no shift gives: never seen; matched whole */
  oms__ilist_init(&y->stops);
  v->syms[v->nsyms] = y;
  (void)oms__u64map_put(&v->sym_map, oms__strkey_hash(&key), v->nsyms); /* sized for all */
  uint8_t *slot = &v->sym_slot[sym_slot_of(key.w[0])];
  *slot = *slot == 0 ? (uint8_t)(v->nsyms + 1) : SYM_SHARED;
  if (s->lp.enabled) {
    lp_state_t *lp = &y->lp;
    lp->cfg = s->lp;
    int64_t tick = ins->tick_size.raw;
    lp->ref = (int64_t)oms__dec_round_div(lp->cfg.ref_px.raw, tick, OMS_ROUND_HALF_EVEN) * tick;
    uint64_t seed = v->seed ^ ((uint64_t)(v->nsyms + 1) * UINT64_C(0x9e3779b97f4a7c15));
    lp->rng = splitmix64(&seed) | 1u;
    lp->min_ref = (lp_spread_ticks(y) / 2 + (int64_t)lp->cfg.levels) * tick;
    if (lp->ref < lp->min_ref) lp->ref = lp->min_ref;
    v->now = oms_clock_now(&v->clock);
    lp->next_step = v->now + lp->cfg.step_ns;
    lp_requote(v, y);
  }
  v->nsyms++;
  return 0;
}

int oms_sim_venue_add_symbol(oms_venue_t *base, const oms_sim_symbol_t *sym) {
  sim_t *v = as_sim(base);
  if (v == NULL || sym == NULL) return OMS_EINVAL;
  return add_symbol(v, sym);
}

/* ---- The connector --------------------------------------------------------------- */

/* A new order's fields as the venue reads them, from an oms_venue_order_t
 * (send_new) or from the OMS order itself (send_order). Filled and read
 * inline: the compiler keeps it in registers, no copy is made. */
typedef struct nv_s {
  uint64_t order_id;
  const char *symbol; /* an array of OMS_SYMBOL_MAX + 1 */
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  uint32_t inst;
  oms_dec_t qty, price, stop;
  int64_t expire_ns;
} nv_t;

static inline bool valid_enums(const nv_t *o) {
  return (o->side == OMS_SIDE_BUY || o->side == OMS_SIDE_SELL) && o->type >= OMS_ORD_MARKET &&
         o->type <= OMS_ORD_STOP_LIMIT && o->tif >= OMS_TIF_GTC && o->tif <= OMS_TIF_GTD;
}

/* The venue's own checks of a new order; OMS_R_NONE if it may proceed. */
static inline oms_reason_t check_new(const sim_t *v, const sym_t *y, const nv_t *o,
                                     const char **text) {
  if (y == NULL) return OMS_R_UNKNOWN_INSTRUMENT;
  if (!valid_enums(o)) return OMS_R_BAD_ENUM;
  if (o->qty.raw <= 0) return OMS_R_QTY_NOT_POSITIVE;
  /* The quantity and the prices are positive here. */
  if (!oms__vstep_divides((uint64_t)o->qty.raw, y->lot, y->lot_rot)) return OMS_R_LOT_SIZE;
  bool has_px = o->type == OMS_ORD_LIMIT || o->type == OMS_ORD_STOP_LIMIT;
  bool has_stop = o->type == OMS_ORD_STOP || o->type == OMS_ORD_STOP_LIMIT;
  if (has_px && o->price.raw <= 0) return OMS_R_PRICE_REQUIRED;
  if (has_px && !oms__vstep_divides((uint64_t)o->price.raw, y->tick, y->tick_rot))
    return OMS_R_TICK_SIZE;
  if (has_stop && o->stop.raw <= 0) return OMS_R_STOP_REQUIRED;
  if (has_stop && !oms__vstep_divides((uint64_t)o->stop.raw, y->tick, y->tick_rot))
    return OMS_R_TICK_SIZE;
  if (o->inst & OMS_INST_POST_ONLY) {
    if (o->type != OMS_ORD_LIMIT) return OMS_R_POST_ONLY_NOT_LIMIT;
    if (o->tif == OMS_TIF_IOC || o->tif == OMS_TIF_FOK) return OMS_R_POST_ONLY_TIF;
  }
  if (o->tif == OMS_TIF_GTD && o->expire_ns <= 0) return OMS_R_EXPIRY_REQUIRED;
  if (o->tif == OMS_TIF_GTD && o->expire_ns <= v->now) return OMS_R_EXPIRY_PAST;
  if (o->tif == OMS_TIF_DAY && v->session_end > 0 && v->now >= v->session_end) {
    *text = "DAY order after the session end";
    return OMS_R_VENUE_REJECT;
  }
  if ((o->inst & OMS_INST_POST_ONLY) && oms__book_would_cross(y->book, o->side, o->price))
    return OMS_R_POST_ONLY_WOULD_CROSS;
  return OMS_R_NONE;
}

static void heap_push(sim_t *v, expiry_t e) {
  if (v->nheap == v->max_orders) {
    /* Drop entries of orders that are no longer working, then rebuild. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < v->nheap; i++) {
      const rec_t *r = &v->recs[v->heap[i].rec];
      if (r->order_id == v->heap[i].order_id && r->status == OMS_VSTATUS_WORKING)
        v->heap[k++] = v->heap[i];
    }
    v->nheap = 0;
    for (uint32_t i = 0; i < k; i++) heap_push(v, v->heap[i]);
  }
  uint32_t i = v->nheap++;
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (v->heap[p].at <= e.at) break;
    v->heap[i] = v->heap[p];
    i = p;
  }
  v->heap[i] = e;
}

static expiry_t heap_pop(sim_t *v) {
  expiry_t top = v->heap[0], last = v->heap[--v->nheap];
  uint32_t i = 0, n = v->nheap;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && v->heap[c + 1].at < v->heap[c].at) c++;
    if (last.at <= v->heap[c].at) break;
    v->heap[i] = v->heap[c];
    i = c;
  }
  if (n > 0) v->heap[i] = last;
  return top;
}

/* Whether the venue takes a request now: OMS_EDOWN when disconnected,
 * OMS_EFULL when the report ring lacks the room one request may need. On 0
 * the request's time is read from the clock. */
static int admit(sim_t *v) {
  if (!v->connected) return OMS_EDOWN;
  if (ring_free(v) < v->reserve) return OMS_EFULL;
  v->now = oms_clock_now(&v->clock);
  return 0;
}

/* Refuses the new order of r. Out of line and cold: off the path of the
 * orders the venue takes. */
static __attribute__((cold, noinline)) void refuse_new(sim_t *v, rec_t *r, oms_reason_t why,
                                                       const char *text) {
  finish(v, r, OMS_VSTATUS_REJECTED);
  report(v, r, OMS_EXEC_REJECTED, why, text, v->ack_lat);
}

/* send_new and send_order of o, admitted (admit): inline in each, so that
 * o's fields are read where they are, after the clock (no spill across its
 * call). */
static inline __attribute__((always_inline)) int send_new_of(sim_t *v, const nv_t *o) {
  if (id_get(v, o->order_id) != NIL) return OMS_EDUPLICATE;
  /* The id goes in after a done record recycled by rec_alloc gave its own
   * up: the entry it frees is most often the new order's. */
  uint32_t ri = rec_alloc(v);
  if (ri == NIL) return OMS_EFULL;
  id_put(v, o->order_id, ri);
  v->stats.orders++;

  /* Every field is written: the record is not cleared first. */
  rec_t *r = &v->recs[ri];
  r->order_id = o->order_id;
  r->vid = ++v->next_vid;
  r->qty = o->qty.raw;
  r->filled = 0;
  r->price = o->price.raw;
  r->stop = o->stop.raw;
  r->expire_ns = 0;
  r->notional = 0;
  r->link.prev = r->link.next = NIL;
  r->inst = o->inst;
  r->side = (uint8_t)o->side;
  r->type = (uint8_t)o->type;
  r->tif = (uint8_t)o->tif;
  r->where = W_NONE;
  r->status = OMS_VSTATUS_UNKNOWN;

  uint16_t si = 0;
  sym_t *y = sym_of_order(v, o->symbol, &si);
  r->sym = si;
  const char *text = NULL;
  oms_reason_t why = check_new(v, y, o, &text);
  if (why == OMS_R_NONE && v->reject_n > 0) {
    v->reject_n--;
    why = v->reject_reason;
    text = "injected rejection";
  }
  if (why != OMS_R_NONE) {
    refuse_new(v, r, why, text);
    return 0;
  }
  r->status = OMS_VSTATUS_WORKING;
  if (!v->silent) push_ack(v, r);
  if (r->tif == OMS_TIF_GTD) {
    r->expire_ns = o->expire_ns;
    heap_push(v, (expiry_t){r->expire_ns, r->order_id, ri});
  }
  jot(v, r, OMS__SJ_WORKING, true);
  if (r->type == OMS_ORD_STOP || r->type == OMS_ORD_STOP_LIMIT) {
    stop_append(v, y, r);
  } else if (o->type == OMS_ORD_LIMIT && o->tif != OMS_TIF_IOC && o->tif != OMS_TIF_FOK) {
    /* execute_tagged() without what check_new proved (a positive price and
     * quantity, nothing filled yet), from the order's fields at hand. */
    if (oms__book_post_inline(y->book, r->vid, ri + 1, o->side, o->price, o->qty))
      r->where = W_BOOK;
    else
      trade(v, y, r, false, ri + 1, o->qty.raw);
    run_stops(v, y);
  } else {
    execute_tagged(v, y, r, ri + 1); /* its index at hand: no division */
    run_stops(v, y);
  }
  return 0;
}

static int sim_send_new(oms_venue_t *base, const oms_venue_order_t *o) {
  sim_t *v = (sim_t *)base;
  if (o == NULL || o->order_id == 0) return OMS_EINVAL;
  int rc = admit(v);
  if (rc != 0) return rc;
  nv_t n = {o->order_id,     o->symbol, o->side,  o->type,       o->tif,
            o->instructions, o->qty,    o->price, o->stop_price, o->expire_ns};
  return send_new_of(v, &n);
}

/* The router's send_new of an order it does not convert (venue.h): the
 * same as sim_send_new of the conversion, which would copy o whole (the
 * account, which the venue does not read, included) to be read once. */
static int sim_send_order(oms_venue_t *base, const oms_order_t *o) {
  sim_t *v = (sim_t *)base;
  if (o->order_id == 0) return OMS_EINVAL;
  int rc = admit(v);
  if (rc != 0) return rc;
  nv_t n = {o->order_id,     o->symbol, o->side,  o->type,       o->tif,
            o->instructions, o->qty,    o->price, o->stop_price, o->expire_ns};
  return send_new_of(v, &n);
}

/* Finds a record that can be changed, or queues the refusal of type. */
static rec_t *find_working(sim_t *v, uint64_t order_id, oms_exec_type_t refusal) {
  uint32_t ri = id_get(v, order_id);
  if (ri == NIL) {
    reject_unknown(v, order_id, refusal);
    return NULL;
  }
  rec_t *r = &v->recs[ri];
  if (r->status != OMS_VSTATUS_WORKING) {
    report(v, r, refusal, OMS_R_TOO_LATE, NULL, v->ack_lat);
    return NULL;
  }
  return r;
}

static int sim_send_cancel(oms_venue_t *base, uint64_t order_id) {
  sim_t *v = (sim_t *)base;
  int rc = admit(v);
  if (rc != 0) return rc;
  rec_t *r = find_working(v, order_id, OMS_EXEC_CANCEL_REJECTED);
  if (r == NULL) return 0;
  rec_withdraw(v, r);
  finish(v, r, OMS_VSTATUS_CANCELLED);
  report(v, r, OMS_EXEC_CANCELLED, OMS_R_NONE, NULL, v->ack_lat);
  return 0;
}

static int sim_send_replace(oms_venue_t *base, uint64_t order_id, oms_dec_t new_qty,
                            oms_dec_t new_price, oms_dec_t new_stop) {
  sim_t *v = (sim_t *)base;
  if (new_qty.raw < 0 || new_price.raw < 0 || new_stop.raw < 0) return OMS_EINVAL;
  int rc = admit(v);
  if (rc != 0) return rc;
  rec_t *r = find_working(v, order_id, OMS_EXEC_REPLACE_REJECTED);
  if (r == NULL) return 0;
  sym_t *y = v->syms[r->sym];
  int64_t q = new_qty.raw ? new_qty.raw : r->qty;
  int64_t p = new_price.raw ? new_price.raw : r->price;
  int64_t s = new_stop.raw ? new_stop.raw : r->stop;
  oms_reason_t why = OMS_R_NONE;
  const char *text = NULL;
  if (q <= r->filled) {
    why = OMS_R_TOO_LATE;
    text = "new quantity not above the filled quantity";
  } else if (!oms_dec_is_multiple(oms_dec_from_raw(q), y->ins.lot_size)) {
    why = OMS_R_LOT_SIZE;
  } else if (!oms_dec_is_multiple(oms_dec_from_raw(p), y->ins.tick_size) ||
             !oms_dec_is_multiple(oms_dec_from_raw(s), y->ins.tick_size)) {
    why = OMS_R_TICK_SIZE;
  } else if (r->where == W_BOOK && p != r->price && (r->inst & OMS_INST_POST_ONLY) &&
             oms__book_would_cross(y->book, (oms_side_t)r->side, oms_dec_from_raw(p))) {
    why = OMS_R_POST_ONLY_WOULD_CROSS;
  }
  if (why != OMS_R_NONE) {
    report(v, r, OMS_EXEC_REPLACE_REJECTED, why, text, v->ack_lat);
    return 0;
  }
  if (r->where == W_BOOK && p == r->price && q <= r->qty) {
    /* Same price, no more quantity: keeps its place in the queue. */
    if (q < r->qty) oms__book_reduce(y->book, r->vid, oms_dec_from_raw(q - r->filled));
    r->qty = q;
    jot(v, r, OMS__SJ_WORKING, false);
    report(v, r, OMS_EXEC_REPLACED, OMS_R_NONE, NULL, v->ack_lat);
    return 0;
  }
  bool resting = r->where == W_BOOK;
  if (resting) rec_withdraw(v, r);
  r->qty = q;
  r->price = p;
  r->stop = s;
  jot(v, r, OMS__SJ_WORKING, resting);
  report(v, r, OMS_EXEC_REPLACED, OMS_R_NONE, NULL, v->ack_lat);
  if (resting) {
    /* A new price or a larger quantity goes to the back of the queue, and a
     * new price may trade at once. */
    execute(v, y, r);
    run_stops(v, y);
  }
  return 0;
}

static int sim_query_status(oms_venue_t *base, uint64_t order_id) {
  sim_t *v = (sim_t *)base;
  int rc = admit(v);
  if (rc != 0) return rc;
  uint32_t ri = id_get(v, order_id);
  if (ri == NIL) {
    reject_unknown(v, order_id, OMS_EXEC_STATUS);
  } else {
    report(v, &v->recs[ri], OMS_EXEC_STATUS, OMS_R_NONE, NULL, v->ack_lat);
  }
  return 0;
}

static bool sim_is_connected(const oms_venue_t *base) { return ((const sim_t *)base)->connected; }

static void expire_orders(sim_t *v, int64_t now) {
  if (v->session_end > 0 && !v->session_expired && now >= v->session_end) {
    v->session_expired = true;
    for (uint32_t i = 0; i < v->max_orders; i++) {
      rec_t *r = &v->recs[i];
      if (r->order_id != 0 && r->status == OMS_VSTATUS_WORKING && r->tif == OMS_TIF_DAY) {
        rec_withdraw(v, r);
        finish(v, r, OMS_VSTATUS_EXPIRED);
        report(v, r, OMS_EXEC_EXPIRED, OMS_R_NONE, NULL, v->fill_lat);
      }
    }
  }
  while (v->nheap > 0 && v->heap[0].at <= now) {
    expiry_t e = heap_pop(v);
    rec_t *r = &v->recs[e.rec];
    if (r->order_id != e.order_id || r->status != OMS_VSTATUS_WORKING) continue;
    rec_withdraw(v, r);
    finish(v, r, OMS_VSTATUS_EXPIRED);
    report(v, r, OMS_EXEC_EXPIRED, OMS_R_NONE, NULL, v->fill_lat);
  }
}

/* The first n levels of one side of the book into md's level 0 and depth. */
static void md_side(const oms__book_t *book, oms_side_t side, oms_market_data_t *md) {
  oms__book_level_t lv[OMS_MD_DEPTH];
  size_t n = oms__book_depth(book, side, lv, OMS_MD_DEPTH);
  bool buy = side == OMS_SIDE_BUY;
  if (n == 0) return;
  if (buy)
    md->bid = lv[0].px, md->bid_qty = lv[0].qty, md->n_bid_depth = (uint32_t)n - 1;
  else
    md->ask = lv[0].px, md->ask_qty = lv[0].qty, md->n_ask_depth = (uint32_t)n - 1;
  for (size_t i = 1; i < n; i++)
    (buy ? md->bid_depth : md->ask_depth)[i - 1] = (oms_md_level_t){lv[i].px, lv[i].qty};
}

/* Whether a and b show the same levels on both sides. */
static bool same_levels(const oms_market_data_t *a, const oms_market_data_t *b) {
  return a->bid.raw == b->bid.raw && a->bid_qty.raw == b->bid_qty.raw && a->ask.raw == b->ask.raw &&
         a->ask_qty.raw == b->ask_qty.raw && a->n_bid_depth == b->n_bid_depth &&
         a->n_ask_depth == b->n_ask_depth &&
         memcmp(a->bid_depth, b->bid_depth, a->n_bid_depth * sizeof(oms_md_level_t)) == 0 &&
         memcmp(a->ask_depth, b->ask_depth, a->n_ask_depth * sizeof(oms_md_level_t)) == 0;
}

/* Publishes the symbol's book (OMS_MD_DEPTH levels a side) and last trade
 * when either changed since the last snapshot. */
static void publish_md(sim_t *v, sym_t *y) {
  /* Nothing rested, traded or left since the last look: the snapshot would
   * be the one built then, which is the one published (or equal to it).
   * Every poll looks at every symbol, so most looks end here. */
  uint64_t book = oms__book_version(y->book);
  if (y->md_sent && y->md_book == book && y->md_trades == y->trades) return;
  y->md_book = book;
  oms_market_data_t md;
  memset(&md, 0, sizeof(md));
  md_side(y->book, OMS_SIDE_BUY, &md);
  md_side(y->book, OMS_SIDE_SELL, &md);
  memcpy(md.symbol, y->ins.symbol, sizeof(md.symbol));
  md.last_px.raw = y->last_px;
  md.last_qty.raw = y->last_qty;
  md.cum_volume.raw = y->volume;
  if (y->md_sent && y->md_trades == y->trades && same_levels(&md, &y->md)) return;
  md.ts_ns = v->now;
  y->md = md;
  y->md_sent = true;
  y->md_trades = y->trades;
  v->base.handler.on_market_data(v->base.handler.ctx, &md);
}

static int sim_poll(oms_venue_t *base, int64_t now_ns) {
  sim_t *v = (sim_t *)base;
  v->now = now_ns;
  const oms_venue_handler_t *h = &v->base.handler;
  if (v->connected != v->reported_connected) {
    v->reported_connected = v->connected;
    if (h->on_connection != NULL) h->on_connection(h->ctx, v->connected);
  }
  expire_orders(v, now_ns);
  for (uint32_t i = 0; i < v->nsyms; i++) lp_poll(v, v->syms[i], now_ns);
  /* Whatever a report may tell is on file before the report leaves. */
  if (v->journal != NULL && oms__sj_flush(v->journal) != 0) state_failed(v);
  if (!v->connected) return 0;
  int n = 0;
  uint64_t sent = 0;
  while (v->head != v->tail && v->ring[v->head & v->ring_mask].due_ns <= now_ns) {
    ev_t e;
    load_cell(v, v->head, &e);
    v->head++;
    sent = e.exec;
    if (h->on_report == NULL) continue;
    deliver(v, &e);
    n++;
  }
  /* An empty ring starts again at its first cell: the next reports (the
   * ACCEPTED of every new order) go to cells still in the cache rather
   * than marching through the whole ring. Positions only: numbers are
   * next_exec's. */
  if (v->head == v->tail) v->head = v->tail = 0;
  if (sent != 0) jot_sent(v, sent);
  if (h->on_market_data != NULL) {
    v->now = now_ns;
    for (uint32_t i = 0; i < v->nsyms; i++) publish_md(v, v->syms[i]);
  }
  return n;
}

static void sim_destroy(oms_venue_t *base) {
  sim_t *v = (sim_t *)base;
  oms__sj_close(v->journal);
  for (uint32_t i = 0; i < v->nsyms; i++) {
    oms__book_destroy(v->syms[i]->book);
    oms__aligned_free(v->syms[i]);
  }
  oms__free(v->idt);
  oms__u64map_close(&v->ids);
  oms__u64map_close(&v->sym_map);
  oms__free(v->heap);
  oms__aligned_free(v->ring);
  oms__free(v->ringx);
  oms__free(v->recs);
  oms__free(v);
}

static const oms_venue_vtbl_t sim_vtbl = {
    .send_new = sim_send_new,
    .send_cancel = sim_send_cancel,
    .send_replace = sim_send_replace,
    .query_status = sim_query_status,
    .is_connected = sim_is_connected,
    .poll = sim_poll,
    .destroy = sim_destroy,
    .send_order = sim_send_order,
};

/* ---- Durable state ----------------------------------------------------------------- */

/* An order as the state file last described it. */
typedef struct folded_s {
  oms__sjrec_t r;   /* its last W (or its D alone), filled and notional raised since */
  uint64_t prio;    /* the record that put it at the back of its queue */
  uint64_t done_at; /* the record that finished it: the finished are kept newest first */
  uint8_t status;   /* final status once finished */
  bool live, triggered, finished;
} folded_t;

static int by_prio(const void *a, const void *b) {
  uint64_t x = ((const folded_t *)a)->prio, y = ((const folded_t *)b)->prio;
  return (x > y) - (x < y);
}

static int by_done(const void *a, const void *b) {
  uint64_t x = (*(folded_t *const *)a)->done_at, y = (*(folded_t *const *)b)->done_at;
  return (x > y) - (x < y);
}

static int by_exec(const void *a, const void *b) {
  uint64_t x = (*(const oms__sjrec_t *const *)a)->exec, y = (*(const oms__sjrec_t *const *)b)->exec;
  return (x > y) - (x < y);
}

static i128 rec_notional(const oms__sjrec_t *r) {
  return (i128)(((unsigned __int128)(uint64_t)r->notional_hi << 64) | r->notional_lo);
}

/* What a fold of the file found. */
typedef struct folding_s {
  folded_t *orders;
  size_t n;
  const oms__sjrec_t **unsent; /* fills and ends whose report was not delivered */
  size_t nunsent;
  uint64_t epoch; /* one past the last start recorded */
  uint64_t sent;  /* every report numbered up to it was delivered */
} folding_t;

/* Folds the records into the last state of each order (out->orders sized
 * for n) and lists the FILL and DONE records that carry a report number
 * (out->unsent, sized for n; kept only if above the SENT mark, by the
 * caller). filled and notional only rise. */
static void fold(const oms__sjrec_t *log, size_t n, oms__u64map_t *m, folding_t *out) {
  for (size_t i = 0; i < n; i++) {
    const oms__sjrec_t *r = &log[i];
    if (r->kind == OMS__SJ_EPOCH) {
      if (r->vid + 1 > out->epoch) out->epoch = r->vid + 1;
      continue;
    }
    if (r->kind == OMS__SJ_SENT) {
      if (r->exec > out->sent) out->sent = r->exec;
      continue;
    }
    if ((r->kind == OMS__SJ_FILL || r->kind == OMS__SJ_DONE) && r->exec != 0)
      out->unsent[out->nunsent++] = r;
    uint64_t at;
    folded_t *f = NULL;
    if (oms__u64map_get(m, r->order_id, &at)) {
      f = &out->orders[at];
    } else if (r->kind == OMS__SJ_WORKING || (r->kind == OMS__SJ_DONE && r->symbol[0] != '\0')) {
      /* a DONE alone is a finished order a compaction kept */
      (void)oms__u64map_put(m, r->order_id, out->n); /* sized for n: never full */
      f = &out->orders[out->n++];
      memset(f, 0, sizeof(*f));
      f->r = *r;
      f->prio = i;
    } else {
      continue; /* the start of its story was compacted away: it is done */
    }
    if (r->filled > f->r.filled) f->r.filled = r->filled;
    if (rec_notional(r) > rec_notional(&f->r)) {
      f->r.notional_lo = r->notional_lo;
      f->r.notional_hi = r->notional_hi;
    }
    switch (r->kind) {
      case OMS__SJ_WORKING: {
        int64_t filled = f->r.filled;
        uint64_t lo = f->r.notional_lo;
        int64_t hi = f->r.notional_hi;
        f->r = *r;
        f->r.filled = filled;
        f->r.notional_lo = lo;
        f->r.notional_hi = hi;
        f->live = true;
        if (r->requeue) f->prio = i;
        break;
      }
      case OMS__SJ_TRIGGER:
        f->triggered = true;
        f->prio = i;
        break;
      case OMS__SJ_DONE:
        f->live = false;
        f->finished = true;
        f->status = r->status;
        f->done_at = i;
        break;
      default: break;
    }
  }
}

/* A new record for an order of the venue; NULL when the pool is full. */
static rec_t *restore_rec(sim_t *v, const oms__sjrec_t *s, uint16_t sym) {
  uint32_t ri = rec_alloc(v);
  if (ri == NIL) return NULL;
  rec_t *r = &v->recs[ri];
  memset(r, 0, sizeof(*r));
  r->order_id = s->order_id;
  r->vid = s->vid;
  r->qty = s->qty;
  r->filled = s->filled;
  r->notional = rec_notional(s);
  r->price = s->price;
  r->stop = s->stop;
  r->expire_ns = s->expire_ns;
  r->inst = s->inst;
  r->side = s->side;
  r->type = s->type;
  r->tif = s->tif;
  r->sym = sym;
  r->link.prev = r->link.next = NIL;
  if (id_get(v, r->order_id) != NIL) id_del(v, r->order_id); /* the last one counts */
  id_put(v, r->order_id, ri);
  return r;
}

/* Puts one order of the state file back where it was: its book (through
 * execute, which rests it), its stop list, or, finished, the done FIFO (so
 * a status query still answers for it). */
static void reinstate(sim_t *v, const folded_t *f) {
  uint16_t si = 0;
  sym_t *y = sym_find(v, f->r.symbol, &si);
  if (y == NULL) return; /* symbol gone: the venue answers UNKNOWN for it */
  rec_t *r = restore_rec(v, &f->r, si);
  if (r == NULL) return;
  if (f->finished) {
    finish(v, r, (oms_venue_status_t)f->status);
    v->stats.restored_finished++;
    return;
  }
  r->status = OMS_VSTATUS_WORKING;
  v->stats.restored++;
  if (r->tif == OMS_TIF_GTD) heap_push(v, (expiry_t){r->expire_ns, r->order_id, rec_index(v, r)});
  if ((r->type == OMS_ORD_STOP || r->type == OMS_ORD_STOP_LIMIT) && !f->triggered) {
    stop_append(v, y, r);
  } else {
    execute(v, y, r);
  }
}

/* Queues again, under its own number and time, a report the file has and
 * the OMS may not: a fill, or the end of a cancelled or expired order. */
static void redeliver(sim_t *v, const oms__sjrec_t *s) {
  if (ring_free(v) == 0) {
    v->stats.reports_dropped++;
    return;
  }
  ev_t e;
  memset(&e, 0, sizeof(e));
  bool fill = s->liq != 0;
  e.type = (uint8_t)(fill                               ? OMS_EXEC_FILL
                     : s->status == OMS_VSTATUS_EXPIRED ? OMS_EXEC_EXPIRED
                                                        : OMS_EXEC_CANCELLED);
  e.order_id = s->order_id;
  e.vid = s->vid;
  e.exec = s->exec;
  e.ts_ns = s->ts_ns;
  e.due_ns = v->now > v->last_due ? v->now : v->last_due;
  v->last_due = e.due_ns;
  e.qty = s->last_qty;
  e.px = s->last_px;
  e.fee = s->fee;
  e.liq = s->liq;
  e.cum = s->filled;
  e.status = s->kind == OMS__SJ_FILL ? OMS_VSTATUS_WORKING : s->status;
  e.leaves = e.status == OMS_VSTATUS_WORKING ? s->qty - s->filled : 0;
  e.reason = s->reason;
  store_cell(v, &v->ring[v->tail & v->ring_mask], &e);
  v->tail++;
  v->stats.reports_queued++;
  v->stats.redelivered++;
}

/* The FILL or DONE record of the queued report e (which fills or ends an
 * order), for the file a start writes: its report is still to be
 * delivered. */
static void unsent_rec(const sim_t *v, const ev_t *e, oms__sjrec_t *j) {
  uint32_t ri = id_get(v, e->order_id);
  if (ri != NIL) {
    to_sjrec(v, &v->recs[ri], OMS__SJ_DONE, false, j);
    j->notional_lo = 0; /* the order's own record has it */
    j->notional_hi = 0;
  } else {
    memset(j, 0, sizeof(*j)); /* symbol gone: the report alone */
  }
  bool working = e->status == OMS_VSTATUS_WORKING;
  j->kind = working ? OMS__SJ_FILL : OMS__SJ_DONE;
  j->order_id = e->order_id;
  j->vid = e->vid;
  j->exec = e->exec;
  j->ts_ns = e->ts_ns;
  j->filled = e->cum;
  j->qty = e->cum + e->leaves;
  j->last_qty = e->qty;
  j->last_px = e->px;
  j->fee = e->fee;
  j->liq = e->type == OMS_EXEC_FILL ? e->liq : 0;
  j->status = e->status;
  j->reason = e->reason;
  if (ri == NIL) j->symbol[0] = '\0';
}

/* Takes the orders of path back: the working ones into their books and
 * stop lists, the finished ones (the finished_keep newest) as answers to
 * status queries, and queues again every fill and end whose report had not
 * been delivered when the venue stopped. Then starts a new state file with
 * them alone: the start's number, the SENT mark, each working order (queue
 * order) and each kept finished order, and a FILL or DONE record for each
 * report still queued. Venue ids and exec ids of this start begin above
 * 2^40 x its number, so none repeats one of an earlier start. */
static int restore(sim_t *v, const char *path, uint32_t keep) {
  oms__sjrec_t *log = NULL, *out = NULL;
  folding_t fd;
  memset(&fd, 0, sizeof fd);
  folded_t **fin = NULL;
  size_t n = 0;
  int existed = 0;
  oms__u64map_t m;
  memset(&m, 0, sizeof m);
  int rc = oms__sj_load(path, &log, &n, &existed);
  if (rc != 0) return rc;
  rc = OMS_ENOMEM;
  size_t cap = n ? n : 1;
  fd.orders = (folded_t *)oms__malloc(cap * sizeof(*fd.orders));
  fd.unsent = (const oms__sjrec_t **)oms__malloc(cap * sizeof(*fd.unsent));
  fin = (folded_t **)oms__malloc(cap * sizeof(*fin));
  if (fd.orders == NULL || fd.unsent == NULL || fin == NULL ||
      oms__u64map_init(&m, (uint32_t)cap) != 0)
    goto done;
  fold(log, n, &m, &fd);
  uint64_t epoch = existed ? fd.epoch : 0;
  qsort(fd.orders, fd.n, sizeof(*fd.orders), by_prio);
  v->next_vid = v->next_exec = epoch << 40;
  v->now = oms_clock_now(&v->clock);
  /* First the news the OMS may not have had, in the order it happened. */
  size_t k = 0;
  for (size_t i = 0; i < fd.nunsent; i++)
    if (fd.unsent[i]->exec > fd.sent) fd.unsent[k++] = fd.unsent[i];
  qsort(fd.unsent, k, sizeof(*fd.unsent), by_exec);
  for (size_t i = 0; i < k; i++) redeliver(v, fd.unsent[i]);
  /* The provider steps aside while the orders go back, then quotes again
   * around them. */
  for (uint32_t i = 0; i < v->nsyms; i++) {
    lp_state_t *lp = &v->syms[i]->lp;
    for (uint32_t q = 0; q < lp->nids; q++) oms__book_cancel(v->syms[i]->book, lp->ids[q], NULL);
    lp->nids = 0;
  }
  size_t nfin = 0;
  for (size_t i = 0; i < fd.n; i++) {
    if (fd.orders[i].live) {
      reinstate(v, &fd.orders[i]);
    } else if (fd.orders[i].finished) {
      fin[nfin++] = &fd.orders[i];
    }
  }
  /* The newest finished, oldest first onto the done FIFO. */
  qsort(fin, nfin, sizeof(*fin), by_done);
  for (size_t i = nfin > keep ? nfin - keep : 0; i < nfin; i++) reinstate(v, fin[i]);
  for (uint32_t i = 0; i < v->nsyms; i++) {
    if (!v->syms[i]->lp.cfg.enabled) continue;
    lp_requote(v, v->syms[i]);
    run_stops(v, v->syms[i]);
  }
  /* The new file. */
  out = (oms__sjrec_t *)oms__malloc((2 * fd.n + 2 + (v->tail - v->head)) * sizeof(*out));
  if (out == NULL) goto done;
  size_t w = 0;
  memset(&out[w], 0, 2 * sizeof(*out));
  out[w].kind = OMS__SJ_EPOCH;
  out[w++].vid = epoch;
  out[w].kind = OMS__SJ_SENT;
  out[w++].exec = fd.sent;
  for (size_t i = 0; i < fd.n; i++) {
    uint32_t ri = id_get(v, fd.orders[i].r.order_id);
    if (!fd.orders[i].live || ri == NIL || v->recs[ri].status != OMS_VSTATUS_WORKING) continue;
    to_sjrec(v, &v->recs[ri], OMS__SJ_WORKING, true, &out[w++]);
    if (fd.orders[i].triggered) to_sjrec(v, &v->recs[ri], OMS__SJ_TRIGGER, true, &out[w++]);
  }
  for (uint32_t i = v->done.head; i != NIL; i = v->recs[i].link.next)
    to_sjrec(v, &v->recs[i], OMS__SJ_DONE, false, &out[w++]);
  for (uint64_t q = v->head; q != v->tail; q++) {
    ev_t e;
    load_cell(v, q, &e);
    if (e.type == OMS_EXEC_FILL || e.type == OMS_EXEC_CANCELLED || e.type == OMS_EXEC_EXPIRED)
      unsent_rec(v, &e, &out[w++]);
  }
  rc = oms__sj_rewrite(path, out, w, &v->journal);
done:
  oms__u64map_close(&m);
  oms__free(out);
  oms__free(fin);
  oms__free(fd.unsent);
  oms__free(fd.orders);
  oms__free(log);
  return rc;
}

int oms_sim_venue_create(const oms_sim_config_t *cfg, oms_venue_t **out) {
  if (out == NULL) return OMS_EINVAL;
  *out = NULL;
  if (cfg == NULL || cfg->clock.now_ns == NULL || cfg->ack_latency_ns < 0 ||
      cfg->fill_latency_ns < 0 || (cfg->symbols == NULL && cfg->nsymbols > 0) ||
      cfg->nsymbols > OMS_SIM_MAX_SYMBOLS)
    return OMS_ECONFIG;
  const char *name = cfg->name != NULL ? cfg->name : "SIM";
  size_t name_len = strlen(name);
  if (name_len == 0 || name_len > OMS_VENUE_MAX) return OMS_ECONFIG;
  uint32_t max_orders = cfg->max_orders ? cfg->max_orders : DEFAULT_MAX_ORDERS;
  if (max_orders >= NIL / 4) return OMS_ECONFIG;
  uint64_t ring_cap = 16;
  while (ring_cap < (cfg->report_capacity ? cfg->report_capacity : DEFAULT_RING)) ring_cap <<= 1;

  sim_t *v = (sim_t *)oms__calloc(1, sizeof(*v));
  if (v == NULL) return OMS_ENOMEM;
  v->recs = (rec_t *)oms__calloc(max_orders, sizeof(rec_t));
  uint64_t id_cap = 16;
  while (id_cap < max_orders) id_cap <<= 1;
  v->idt = (ident_t *)oms__calloc(id_cap, sizeof(ident_t));
  v->id_mask = id_cap - 1;
  v->ring = (cell_t *)oms__aligned_alloc(64, (size_t)ring_cap * sizeof(cell_t));
  v->ringx = (cellx_t *)oms__malloc((size_t)ring_cap * sizeof(cellx_t));
  v->heap = (expiry_t *)oms__malloc((size_t)max_orders * sizeof(expiry_t));
  if (v->recs == NULL || v->ring == NULL || v->ringx == NULL || v->heap == NULL || v->idt == NULL ||
      oms__u64map_init(&v->ids, max_orders) != 0 ||
      oms__u64map_init(&v->sym_map, OMS_SIM_MAX_SYMBOLS) != 0) {
    sim_destroy(&v->base); /* frees whatever was allocated; nsyms is 0 */
    return OMS_ENOMEM;
  }
  memset(v->ring, 0, (size_t)ring_cap * sizeof(cell_t)); /* fault the pages in now */
  memset(v->ringx, 0, (size_t)ring_cap * sizeof(cellx_t));
  memset(v->heap, 0, (size_t)max_orders * sizeof(expiry_t));
  v->base.vt = &sim_vtbl;
  memcpy(v->base.name, name, name_len + 1);
  v->name_len = name_len;
  v->clock = cfg->clock;
  v->ack_lat = cfg->ack_latency_ns;
  v->fill_lat = cfg->fill_latency_ns;
  v->maker_rate = cfg->maker_fee_rate;
  v->taker_rate = cfg->taker_fee_rate;
  v->fee_round = cfg->fee_round;
  v->seed = cfg->seed;
  v->book_capacity = cfg->book_capacity ? cfg->book_capacity : max_orders;
  v->max_orders = max_orders;
  for (uint32_t i = 0; i < max_orders; i++) v->recs[i].link.next = i + 1 < max_orders ? i + 1 : NIL;
  v->free_rec = 0;
  oms__ilist_init(&v->done);
  v->ring_mask = ring_cap - 1;
  v->reserve = ring_cap / 4 < 256 ? (uint32_t)(ring_cap / 4) : 256;
  v->session_end = cfg->session_end_ns;
  v->connected = v->reported_connected = true;
  for (size_t i = 0; i < cfg->nsymbols; i++) {
    int rc = add_symbol(v, &cfg->symbols[i]);
    if (rc != 0) {
      sim_destroy(&v->base);
      return rc;
    }
  }
  if (cfg->state_path != NULL) {
    int rc = restore(v, cfg->state_path, cfg->finished_keep ? cfg->finished_keep : max_orders);
    if (rc != 0) {
      sim_destroy(&v->base);
      return rc;
    }
  }
  *out = &v->base;
  return 0;
}

void oms_sim_venue_set_connected(oms_venue_t *base, bool connected) {
  sim_t *v = as_sim(base);
  if (v != NULL) v->connected = connected;
}

void oms_sim_venue_set_silent(oms_venue_t *base, bool silent) {
  sim_t *v = as_sim(base);
  if (v != NULL) v->silent = silent;
}

void oms_sim_venue_reject_next(oms_venue_t *base, uint32_t n, oms_reason_t reason) {
  sim_t *v = as_sim(base);
  if (v == NULL) return;
  v->reject_n = n;
  v->reject_reason = reason != OMS_R_NONE ? reason : OMS_R_VENUE_REJECT;
}

void oms_sim_venue_set_session_end(oms_venue_t *base, int64_t t_ns) {
  sim_t *v = as_sim(base);
  if (v == NULL) return;
  v->session_end = t_ns;
  v->session_expired = false;
}

const oms__book_t *oms__sim_venue_book(const oms_venue_t *base, const char *symbol) {
  const sim_t *v = as_csim(base);
  if (v == NULL || symbol == NULL) return NULL;
  const sym_t *y = sym_find(v, symbol, NULL);
  return y != NULL ? y->book : NULL;
}

oms_dec_t oms_sim_venue_lp_ref(const oms_venue_t *base, const char *symbol) {
  const sim_t *v = as_csim(base);
  if (v == NULL || symbol == NULL) return OMS_DEC_ZERO;
  const sym_t *y = sym_find(v, symbol, NULL);
  return (y != NULL && y->lp.cfg.enabled) ? oms_dec_from_raw(y->lp.ref) : OMS_DEC_ZERO;
}

/* Calls cb for each order the venue holds, working or (finished) also the
 * finished ones. */
static int walk(const oms_venue_t *base, bool finished,
                int (*cb)(void *ctx, const oms_sim_order_t *o), void *ctx) {
  const sim_t *v = as_csim(base);
  if (v == NULL || cb == NULL) return OMS_EINVAL;
  for (uint32_t i = 0; i < v->max_orders; i++) {
    const rec_t *r = &v->recs[i];
    if (r->order_id == 0 || (r->status != OMS_VSTATUS_WORKING && !finished)) continue;
    /* a record on the free list, never used since a recycle, has no status */
    if (r->status == OMS_VSTATUS_UNKNOWN) continue;
    oms_sim_order_t o;
    memset(&o, 0, sizeof(o));
    o.order_id = r->order_id;
    format_id(o.venue_order_id, v->base.name, v->name_len, 0, r->vid);
    oms_strlcpy(o.symbol, v->syms[r->sym]->ins.symbol, sizeof(o.symbol));
    o.side = (oms_side_t)r->side;
    o.type = (oms_ord_type_t)r->type;
    o.tif = (oms_tif_t)r->tif;
    o.qty.raw = r->qty;
    o.cum_qty.raw = r->filled;
    o.leaves_qty.raw = r->status == OMS_VSTATUS_WORKING ? r->qty - r->filled : 0;
    o.price.raw = r->price;
    o.stop_price.raw = r->stop;
    o.status = (oms_venue_status_t)r->status;
    o.avg_px.raw = avg_px(r);
    int rc = cb(ctx, &o);
    if (rc != 0) return rc;
  }
  return 0;
}

int oms_sim_venue_working(const oms_venue_t *base, int (*cb)(void *ctx, const oms_sim_order_t *o),
                          void *ctx) {
  return walk(base, false, cb, ctx);
}

int oms_sim_venue_orders(const oms_venue_t *base, int (*cb)(void *ctx, const oms_sim_order_t *o),
                         void *ctx) {
  return walk(base, true, cb, ctx);
}

void oms_sim_venue_stats(const oms_venue_t *base, oms_sim_stats_t *out) {
  const sim_t *v = as_csim(base);
  if (out == NULL) return;
  memset(out, 0, sizeof(*out));
  if (v == NULL) return;
  *out = v->stats;
  out->reports_pending = (uint32_t)(v->tail - v->head);
}
