/*
 * engine_parent.c - parent orders in the core: a TWAP, VWAP, POV, iceberg,
 * sniper, trailing stop, MIT or LIT order is an order of the engine like any
 * other (same store, state machine and events) that is never routed; its
 * algorithm (src/algo) decides which children to send, and the engine sends
 * them as ordinary orders carrying the parent's id.
 *
 * HOW IT WORKS
 *
 * Each parent has a record here: its oms_algo_state_t, the order ids of its
 * open children by sequence number, its place in a min-heap of wake-up
 * times, on its instrument's list and on the list of parents to step.
 *
 * Stepping happens only in oms_engine_poll() (never inside a venue's
 * callback): a parent steps when its wake-up time came (the heap), when
 * market data for its instrument arrived (the last snapshot per instrument
 * is kept here), and after an event of one of its children (a fill, an
 * end). A step's NEW intents become children through the ordinary submit
 * path (validation, the per-order risk rules - the parent's exposure was
 * reserved once at acceptance - the router); CANCEL intents cancel them.
 *
 * The parent's order follows its children exactly: a child's fill is a FILL
 * of the parent at the same quantity and price (so the parent's cum and
 * average are the sums of its children's), and when the algorithm is done
 * (filled, cancelled, halted, expired, nothing open) the parent ends.
 *
 * DURABILITY. The parent's state (oms_algo_encode) travels in the same
 * store unit as every event that changes it: on the parent's own events
 * (accepted, cancel, fill, end) and on the events of its children (the
 * child's submission, fills and end). The change a child's event makes is
 * worked out on a copy during the commit and installed only once the unit
 * is appended, so a refused unit leaves the parent as it was. A step that
 * sends several children journals the whole step's state on the first
 * child's unit: if the process dies before the later children were
 * created, recovery finds them open in the state but absent from the
 * store, and reports them done (never sent), so nothing is sent twice and
 * nothing is lost from the schedule.
 *
 * THE END OF A DAY. A DAY parent lives until the close of the trading day
 * it was accepted in (oms_risk_limits_session_close, from the risk
 * engine's trading hours for its symbol or venue), a GTD parent until its
 * expire time, each also bounded by its algorithm's own end time: the
 * first step at or after that time expires it (oms_algo_expire) and
 * cancels its children. The close is worked out at the parent's first
 * step from its acceptance time, so a restart after the close expires it.
 *
 * THE MARKET'S TRADES. Each instrument record keeps the sums of the trades
 * its market data showed (the growth of cum_volume at the last price), so
 * that a parent measures the market's VWAP over its life (docs/algos.md);
 * the text of the parent's last event reports its slippage against it.
 */
#include "engine/engine_parent.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/u64map.h"
#include "oms/error.h"
#include "oms/risk.h"

#define NIL UINT32_MAX
#define SCRATCH 4
/* How long a parent waits after the OMS refused one of its children (risk,
 * validation) before it sends another: a refusal that persists (a collar,
 * a halted scope) costs one child a second, not one per poll. */
#define REFUSED_HOLD_NS INT64_C(1000000000)

_Static_assert(OMS_ALGO_ENC_SIZE <= OMS_EVENT_ALGO_MAX, "a parent's state fits an event");
_Static_assert((int)OMS_R_ALGO_UNKNOWN_STRATEGY == (int)OMS_ALGO_R_UNKNOWN_STRATEGY &&
                   (int)OMS_R_ALGO_REPLACE_CHANGES_STRATEGY ==
                       (int)OMS_ALGO_R_REPLACE_CHANGES_STRATEGY &&
                   (int)OMS_R_ALGO_VENUE_CANNOT == (int)OMS_ALGO_R_VENUE_CANNOT,
               "algo refusals keep their numbers as reasons");

/* What a refused submission's result points at: no order. */
static const oms_order_t no_order;

typedef struct kid_s {
  uint32_t seq; /* 0 = free */
  uint64_t order_id;
} kid_t;

typedef struct prec_s {
  oms_algo_state_t st;
  uint64_t order_id; /* 0 = free record */
  kid_t kid[OMS_ALGO_MAX_CHILDREN];
  uint32_t ins;                /* its instrument's record */
  uint32_t ins_prev, ins_next; /* on the instrument's list */
  uint32_t heap_pos;           /* NIL when not waiting on the clock */
  uint32_t next_dirty;
  int64_t wake_ns;
  int64_t hold_ns; /* a child was refused: no new one before then */
  bool dirty;
  bool present;     /* recovery: its order was loaded */
  bool ending;      /* its end was committed: freed at the next poll */
  bool listed;      /* on its instrument's list: market data steps it */
  bool closed;      /* expired by its session's close or its GTD time */
  int64_t close_ns; /* DAY close or GTD time; 0 not yet known, INT64_MAX none */
} prec_t;

typedef struct ins_s {
  uint64_t key;     /* 0 = free */
  oms_algo_md_t md; /* the last snapshot, with the sums of trades seen */
  bool vol_known;   /* md.cum_volume holds a previous snapshot's */
  uint32_t head;    /* its parents */
} ins_t;

/* A parent's state as a unit being committed would leave it. */
typedef struct scratch_s {
  uint32_t rec;
  bool ends;
  oms_algo_state_t st;
  uint8_t blob[OMS_ALGO_ENC_SIZE];
  char text[OMS_REASON_MAX + 1]; /* of the parent's end */
} scratch_t;

struct oms__parents_s {
  prec_t *rec;
  uint32_t cap, free_head, active;
  oms__u64map_t by_id; /* parent order id -> record */
  ins_t *ins;
  uint32_t ins_cap;
  oms__u64map_t ins_map; /* hash of (venue, symbol) -> instrument record */
  uint32_t *heap;
  uint32_t heap_n;
  uint32_t dirty_head, dirty_tail;
  scratch_t scratch[SCRATCH];
  int nscratch;
  oms_algo_params_t pending; /* of the parent being submitted */
  bool pending_native;       /* its venue works its type itself */
  oms_dec_t pending_tick, pending_lot;
  uint8_t blob[OMS_ALGO_ENC_SIZE];
  char text[OMS_REASON_MAX + 1];
};

/* ---- lifecycle ------------------------------------------------------------- */

int oms__parents_create(uint32_t cap, uint32_t max_instruments, oms__parents_t **out) {
  *out = NULL;
  oms__parents_t *P = oms__calloc(1, sizeof(*P));
  if (P == NULL) return OMS_ENOMEM;
  P->cap = cap;
  P->ins_cap = max_instruments;
  P->rec = oms__calloc(cap, sizeof(prec_t));
  P->heap = oms__calloc(cap, sizeof(uint32_t));
  P->ins = oms__calloc(max_instruments, sizeof(ins_t));
  if (P->rec == NULL || P->heap == NULL || P->ins == NULL ||
      oms__u64map_init(&P->by_id, cap) != 0 || oms__u64map_init(&P->ins_map, max_instruments) != 0)
    goto fail;
  for (uint32_t i = 0; i < cap; i++) P->rec[i].ins_next = i + 1 < cap ? i + 1 : NIL;
  P->free_head = cap ? 0 : NIL;
  for (uint32_t i = 0; i < max_instruments; i++) P->ins[i].head = NIL;
  P->dirty_head = P->dirty_tail = NIL;
  *out = P;
  return 0;
fail:
  oms__parents_destroy(P);
  return OMS_ENOMEM;
}

void oms__parents_destroy(oms__parents_t *P) {
  if (P == NULL) return;
  oms__free(P->rec);
  oms__free(P->heap);
  oms__free(P->ins);
  oms__u64map_close(&P->by_id);
  oms__u64map_close(&P->ins_map);
  oms__free(P);
}

/* ---- the heap of wake-up times ------------------------------------------------ */

static bool earlier(const oms__parents_t *P, uint32_t a, uint32_t b) {
  return P->rec[P->heap[a]].wake_ns < P->rec[P->heap[b]].wake_ns;
}

static void heap_swap(oms__parents_t *P, uint32_t a, uint32_t b) {
  uint32_t t = P->heap[a];
  P->heap[a] = P->heap[b];
  P->heap[b] = t;
  P->rec[P->heap[a]].heap_pos = a;
  P->rec[P->heap[b]].heap_pos = b;
}

static void heap_fix(oms__parents_t *P, uint32_t i) {
  while (i > 0 && earlier(P, i, (i - 1) / 2)) {
    heap_swap(P, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < P->heap_n && earlier(P, l, m)) m = l;
    if (r < P->heap_n && earlier(P, r, m)) m = r;
    if (m == i) return;
    heap_swap(P, i, m);
    i = m;
  }
}

static void heap_remove(oms__parents_t *P, uint32_t ri) {
  uint32_t i = P->rec[ri].heap_pos;
  if (i == NIL) return;
  P->rec[ri].heap_pos = NIL;
  P->heap_n--;
  if (i == P->heap_n) return;
  P->heap[i] = P->heap[P->heap_n];
  P->rec[P->heap[i]].heap_pos = i;
  heap_fix(P, i);
}

/* Parent ri wakes at t (INT64_MAX: only events wake it). */
static void wake_at(oms__parents_t *P, uint32_t ri, int64_t t) {
  prec_t *r = &P->rec[ri];
  if (t == INT64_MAX) {
    heap_remove(P, ri);
    return;
  }
  r->wake_ns = t;
  if (r->heap_pos == NIL) {
    r->heap_pos = P->heap_n;
    P->heap[P->heap_n++] = ri;
  }
  heap_fix(P, r->heap_pos);
}

static void mark_dirty(oms__parents_t *P, uint32_t ri) {
  prec_t *r = &P->rec[ri];
  if (r->dirty) return;
  r->dirty = true;
  r->next_dirty = NIL;
  if (P->dirty_tail != NIL)
    P->rec[P->dirty_tail].next_dirty = ri;
  else
    P->dirty_head = ri;
  P->dirty_tail = ri;
}

/* ---- records ------------------------------------------------------------------ */

static uint64_t ins_key(const char *venue, const char *symbol) {
  return oms__hash_str(symbol, oms__hash_str(venue, 0x6a09e667));
}

/* The record of an instrument, made on first sight; NIL when full. */
static uint32_t ins_of(oms__parents_t *P, const char *venue, const char *symbol) {
  uint64_t key = ins_key(venue, symbol), v;
  if (oms__u64map_get(&P->ins_map, key, &v)) return (uint32_t)v;
  for (uint32_t i = 0; i < P->ins_cap; i++) {
    if (P->ins[i].key != 0) continue;
    P->ins[i].key = key;
    oms__u64map_put(&P->ins_map, key, i);
    return i;
  }
  return NIL;
}

static uint32_t rec_of(const oms__parents_t *P, uint64_t order_id) {
  uint64_t v;
  return oms__u64map_get(&P->by_id, order_id, &v) ? (uint32_t)v : NIL;
}

static uint32_t rec_alloc(oms__parents_t *P, uint64_t order_id) {
  uint32_t ri = P->free_head;
  if (ri == NIL) return NIL;
  prec_t *r = &P->rec[ri];
  P->free_head = r->ins_next;
  memset(r, 0, sizeof(*r));
  r->order_id = order_id;
  r->ins = r->ins_prev = r->ins_next = r->heap_pos = r->next_dirty = NIL;
  oms__u64map_put(&P->by_id, order_id, ri);
  P->active++;
  return ri;
}

/* Whether market data between two wake-ups can change what p does: the
 * strategies that watch the book or the trades. A TWAP or VWAP without a
 * would price decides at its slices only (with the latest snapshot, which
 * is kept), so a book change costs it nothing. */
static bool watches_market(const oms_algo_params_t *p) {
  switch (p->strategy) {
    case OMS_ALGO_TWAP:
    case OMS_ALGO_VWAP: return (p->set & (1u << OMS_ALGO_P_would_px)) != 0;
    case OMS_ALGO_ICEBERG: return false;
    default: return true;
  }
}

static void ins_link(oms__parents_t *P, uint32_t ri, uint32_t ii) {
  prec_t *r = &P->rec[ri];
  r->ins = ii;
  if (ii == NIL || !watches_market(&r->st.p)) return;
  r->listed = true;
  r->ins_prev = NIL;
  r->ins_next = P->ins[ii].head;
  if (r->ins_next != NIL) P->rec[r->ins_next].ins_prev = ri;
  P->ins[ii].head = ri;
}

/* Frees record ri; not while it is on the list of parents to step. */
static void rec_free(oms__parents_t *P, uint32_t ri) {
  prec_t *r = &P->rec[ri];
  heap_remove(P, ri);
  if (r->listed) {
    if (r->ins_prev != NIL)
      P->rec[r->ins_prev].ins_next = r->ins_next;
    else
      P->ins[r->ins].head = r->ins_next;
    if (r->ins_next != NIL) P->rec[r->ins_next].ins_prev = r->ins_prev;
  }
  oms__u64map_del(&P->by_id, r->order_id);
  r->order_id = 0;
  r->ins_next = P->free_head;
  P->free_head = ri;
  P->active--;
}

static void kid_set(prec_t *r, uint32_t seq, uint64_t order_id) {
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++) {
    if (r->kid[i].seq == 0 || r->kid[i].seq == seq) {
      r->kid[i] = (kid_t){seq, order_id};
      return;
    }
  }
}

static uint64_t kid_get(const prec_t *r, uint32_t seq) {
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++)
    if (r->kid[i].seq == seq) return r->kid[i].order_id;
  return 0;
}

static bool child_open(const oms_algo_state_t *st, uint32_t seq) {
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++)
    if (st->child[i].seq == seq) return true;
  return false;
}

/* Forgets the children the algorithm no longer counts open. */
static void kid_prune(prec_t *r) {
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++)
    if (r->kid[i].seq != 0 && !child_open(&r->st, r->kid[i].seq)) r->kid[i].seq = 0;
}

/* ---- submission ------------------------------------------------------------------ */

/* The venue capability a strategy would use; 0 for the algorithms. */
static uint32_t cap_of(uint16_t strategy) {
  switch (strategy) {
    case OMS_ALGO_TRAILING_STOP: return OMS_VENUE_CAP_TRAILING_STOP;
    case OMS_ALGO_MIT: return OMS_VENUE_CAP_MIT;
    case OMS_ALGO_LIT: return OMS_VENUE_CAP_LIT;
    case OMS_ALGO_ICEBERG: return OMS_VENUE_CAP_ICEBERG;
    default: return 0;
  }
}

void oms__parents_native_of(oms__parents_t *P, const oms_order_t *o, oms_venue_order_t *vo) {
  uint32_t ri = rec_of(P, o->parent_order_id);
  if (ri == NIL || !P->rec[ri].st.native) return;
  const oms_algo_state_t *st = &P->rec[ri].st;
  vo->native = cap_of(st->p.strategy);
  if (vo->native == OMS_VENUE_CAP_ICEBERG) vo->display_qty = st->p.display_qty;
  if (vo->native == OMS_VENUE_CAP_TRAILING_STOP) {
    int64_t d = st->hwm.raw - o->stop_price.raw; /* the stop was set this far from the mark */
    vo->trail_offset = oms_dec_from_raw(d < 0 ? -d : d);
  }
}

/* Fills what the request says and the parameters do not. */
static void params_from_request(oms_algo_params_t *p, const oms_order_request_t *req) {
  if (!(p->set & (1u << OMS_ALGO_P_side))) OMS_ALGO_SET(p, side, (uint8_t)req->side);
  if (!(p->set & (1u << OMS_ALGO_P_qty))) OMS_ALGO_SET(p, qty, req->qty);
  if (!(p->set & (1u << OMS_ALGO_P_limit_px)) && oms_dec_is_pos(req->price))
    OMS_ALGO_SET(p, limit_px, req->price);
}

int oms_engine_submit_parent(oms_engine_t *e, const oms_order_request_t *req,
                             const oms_algo_params_t *params, oms_submit_result_t *res) {
  oms__parents_t *P = oms__engine_parents(e);
  res->order = &no_order;
  res->duplicate = false;
  res->check[0] = '\0';
  res->reject.code = OMS_R_NONE;
  res->reject.text[0] = '\0';
  oms_algo_params_t p = *params;
  params_from_request(&p, req);
  const oms_instrument_t *ins = oms_engine_instrument(e, req->venue, req->symbol);
  oms_algo_reject_t arej;
  if (oms_algo_params_validate(&p, ins ? ins->tick_size : OMS_DEC_ZERO,
                               ins ? ins->lot_size : OMS_DEC_ZERO, oms__engine_now(e),
                               &arej) != 0) {
    res->reject.code = (oms_reason_t)arej.code;
    snprintf(res->reject.text, sizeof(res->reject.text), "%s", arej.text);
    return OMS_EREJECTED;
  }
  /* The parent as an order: its side, size and limit; never routed, so its
   * type and time in force only tell risk how to value it. */
  oms_order_request_t r = *req;
  r.side = (oms_side_t)p.side;
  r.qty = p.qty;
  r.price = oms_dec_is_pos(p.limit_px) ? p.limit_px : OMS_DEC_ZERO;
  r.type = oms_dec_is_pos(r.price) ? OMS_ORD_LIMIT : OMS_ORD_MARKET;
  r.stop_price = OMS_DEC_ZERO;
  r.tif = r.tif == OMS_TIF_DAY || r.tif == OMS_TIF_GTD ? r.tif : OMS_TIF_GTC;
  r.expire_ns = r.tif == OMS_TIF_GTD ? req->expire_ns : 0;
  r.instructions = 0;
  /* Emulated types: the venue's own, if it works them; else the OMS's, if
   * the venue allows it (market data to watch); else refused. */
  uint32_t cap = cap_of(p.strategy);
  oms_venue_t *v = cap ? oms_router_venue(oms_engine_router(e), req->venue) : NULL;
  P->pending_native = v != NULL && (v->native & cap) != 0;
  if (v != NULL && !P->pending_native && (v->no_emulate & cap) != 0) {
    res->reject.code = OMS_R_ALGO_VENUE_CANNOT;
    snprintf(res->reject.text, sizeof(res->reject.text),
             "strategy(847): venue %s neither works %s itself (native) nor lets the OMS emulate "
             "it (emulate)",
             v->name, oms_venue_cap_name(cap));
    return OMS_EREJECTED;
  }
  P->pending = p;
  P->pending_tick = ins ? ins->tick_size : OMS_DEC_ZERO;
  P->pending_lot = ins ? ins->lot_size : OMS_DEC_ZERO;
  oms__engine_make(e, 0, 0, (uint16_t)p.strategy);
  int rc = oms_engine_submit(e, &r, res);
  oms__engine_make(e, 0, 0, 0);
  return rc;
}

int oms__parents_open(oms__parents_t *P, const oms_order_t *o, int64_t now_ns, uint8_t *blob,
                      size_t cap) {
  uint32_t ri = rec_alloc(P, o->order_id);
  if (ri == NIL) return OMS_EFULL;
  prec_t *r = &P->rec[ri];
  int rc = oms_algo_init(&r->st, o->order_id, &P->pending, P->pending_tick, P->pending_lot, now_ns);
  r->st.native = P->pending_native;
  ins_link(P, ri, ins_of(P, o->venue, o->symbol));
  int len = rc == 0 ? oms_algo_encode(&r->st, blob, cap) : rc;
  if (len < 0) {
    rec_free(P, ri);
    return OMS_EINVAL;
  }
  mark_dirty(P, ri);
  return len;
}

void oms__parents_drop(oms__parents_t *P, uint64_t order_id) {
  uint32_t ri = rec_of(P, order_id);
  if (ri == NIL) return;
  /* still on the list of parents to step: ended, so the poll frees it */
  P->rec[ri].ending = true;
}

/* ---- children's events, within a commit ---------------------------------------- */

static scratch_t *scratch_for(oms__parents_t *P, uint32_t ri) {
  for (int k = 0; k < P->nscratch; k++)
    if (P->scratch[k].rec == ri) return &P->scratch[k];
  if (P->nscratch == SCRATCH) return NULL;
  scratch_t *sc = &P->scratch[P->nscratch++];
  sc->rec = ri;
  sc->ends = false;
  sc->st = P->rec[ri].st;
  return sc;
}

/* Writes into text[OMS_REASON_MAX + 1] why the parent ended (why, NULL
 * for none) and how it did against the market: its average, the interval
 * VWAP and the slippage in bps (docs/algos.md), when both are known.
 * Returns text, or NULL when there is nothing to say. */
static const char *end_text(const oms_algo_state_t *st, const char *why, char *text) {
  oms_dec_t bps;
  if (oms_algo_slippage_bps(st, &bps) != 0) {
    if (why == NULL) return NULL;
    snprintf(text, OMS_REASON_MAX + 1, "%s", why);
    return text;
  }
  char a[OMS_DEC_STRLEN], v[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  oms_dec_format(oms_algo_avg_px(st), a, sizeof a);
  oms_dec_format(oms_algo_interval_vwap(st), v, sizeof v);
  oms_dec_format(bps, b, sizeof b);
  snprintf(text, OMS_REASON_MAX + 1, "%s%savg %s vwap %s slippage_bps %s", why ? why : "",
           why ? "; " : "", a, v, b);
  return text;
}

/* The change that ends a parent whose algorithm is done (closed: by its
 * session's close or GTD time); its text goes to text. */
static bool end_change(const oms_algo_state_t *st, bool closed, oms_ord_change_t *ch, char *text) {
  switch (st->status) {
    case OMS_ALGO_CANCELLED:
      ch->event = OMS_EV_CANCEL_CONFIRM;
      ch->reason_text = end_text(st, NULL, text);
      return true;
    case OMS_ALGO_HALTED:
      ch->event = OMS_EV_CANCEL_CONFIRM;
      ch->reason = OMS_R_RISK_HALTED;
      ch->reason_text = end_text(st, "parent stopped by a halt", text);
      return true;
    case OMS_ALGO_EXPIRED:
      ch->event = OMS_EV_EXPIRE;
      ch->reason_text = end_text(
          st, closed ? "parent's trading day closed" : "parent reached its end time", text);
      return true;
    default: return false; /* COMPLETED: its last fill made it FILLED */
  }
}

int oms__parents_child_event(oms__parents_t *P, const oms_order_t *before, const oms_event_t *ev,
                             oms__parent_fx_t *fx) {
  const oms_order_t *o = &ev->order;
  bool fill = (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED) &&
              oms_dec_is_pos(ev->fill.qty);
  uint32_t ri = rec_of(P, o->parent_order_id);
  if (ri == NIL || P->rec[ri].ending) {
    /* A fill after the parent ended (the venue filled the child after
     * confirming its cancel): the parent's order still takes it, as its
     * state machine takes a fill after CANCELLED or EXPIRED; it has no
     * algorithm state any more. */
    if (!fill) return 0;
    memset(fx, 0, sizeof(*fx));
    fx->parent_id = o->parent_order_id;
    fx->ch[fx->nch++] = (oms_ord_change_t){.event = OMS_EV_FILL,
                                           .ts_ns = ev->event_ns,
                                           .fill_qty = ev->fill.qty,
                                           .fill_px = ev->fill.price};
    fx->blob = P->blob;
    return 1;
  }
  scratch_t *sc = scratch_for(P, ri);
  if (sc == NULL) return 0;
  memset(fx, 0, sizeof(*fx));
  fx->parent_id = o->parent_order_id;
  bool ends = oms_ord_state_is_terminal(o->state) && !oms_ord_state_is_terminal(before->state);
  if (fill && oms_algo_on_child_fill(&sc->st, o->child_seq, ev->fill.qty, ev->fill.price) == 0) {
    fx->ch[fx->nch++] = (oms_ord_change_t){.event = OMS_EV_FILL,
                                           .ts_ns = ev->event_ns,
                                           .fill_qty = ev->fill.qty,
                                           .fill_px = ev->fill.price};
  }
  if (ends) oms_algo_on_child_done(&sc->st, o->child_seq);
  if ((fill || ends) && oms_algo_is_done(&sc->st) && sc->st.status != OMS_ALGO_COMPLETED) {
    oms_ord_change_t ch = {.ts_ns = ev->event_ns};
    if (end_change(&sc->st, P->rec[ri].closed, &ch, sc->text)) {
      fx->ch[fx->nch++] = ch;
      sc->ends = true;
    }
  }
  if (sc->st.status == OMS_ALGO_COMPLETED && oms_algo_is_done(&sc->st)) {
    /* the fill that completes it: its event says how it did */
    if (fx->nch > 0 && fx->ch[0].event == OMS_EV_FILL)
      fx->ch[0].reason_text = end_text(&sc->st, NULL, sc->text);
    sc->ends = true;
  }
  int len = oms_algo_encode(&sc->st, sc->blob, sizeof(sc->blob));
  fx->blob = sc->blob;
  fx->len = len > 0 ? (uint16_t)len : 0;
  return 1;
}

void oms__parents_commit(oms__parents_t *P) {
  for (int k = 0; k < P->nscratch; k++) {
    scratch_t *sc = &P->scratch[k];
    prec_t *r = &P->rec[sc->rec];
    bool moved = r->st.open.raw != sc->st.open.raw || r->st.filled.raw != sc->st.filled.raw;
    r->st = sc->st;
    assert(oms_algo_check(&r->st)); /* children's open + filled within the parent */
    kid_prune(r);
    if (sc->ends) r->ending = true;
    /* a child moved: the parent looks again at the next poll */
    if (moved || sc->ends) mark_dirty(P, sc->rec);
  }
  P->nscratch = 0;
}

void oms__parents_abort(oms__parents_t *P) { P->nscratch = 0; }

/* ---- cancel and halt ------------------------------------------------------------- */

static void send_cancels(oms_engine_t *e, prec_t *r, const oms_algo_out_t *out) {
  for (uint32_t i = 0; i < out->n; i++) {
    const oms_algo_intent_t *it = &out->intent[i];
    if (it->kind != OMS_INTENT_CANCEL) continue;
    uint64_t id = kid_get(r, it->child_seq);
    if (id != 0) oms__engine_cancel_child(e, id);
  }
}

int oms__parents_cancel(oms__parents_t *P, oms_engine_t *e, uint64_t order_id, bool halt,
                        oms_reject_t *rej) {
  uint32_t ri = rec_of(P, order_id);
  if (ri == NIL || P->rec[ri].ending) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "parent %llu is ending", (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  prec_t *r = &P->rec[ri];
  oms_algo_state_t st = r->st;
  oms_algo_out_t out;
  if ((halt ? oms_algo_halt(&st, &out) : oms_algo_cancel(&st, &out)) != 0) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "parent %llu is already %s, its children ending",
                   (unsigned long long)order_id, oms_algo_status_name(st.status));
    return OMS_EREJECTED;
  }
  oms_ord_change_t ch[2] = {{.event = OMS_EV_CANCEL_REQUEST, .ts_ns = oms__engine_now(e)}};
  int n = 1;
  bool done = oms_algo_is_done(&st);
  if (done) {
    ch[1].ts_ns = ch[0].ts_ns;
    end_change(&st, false, &ch[1], P->text);
    n = 2;
  }
  int len = oms_algo_encode(&st, P->blob, sizeof(P->blob));
  int rc = oms__engine_parent_apply(e, order_id, ch, n, P->blob, len > 0 ? (size_t)len : 0);
  if (rc != 0) {
    oms_reject_set(rej, OMS_R_STORE_FAILED, "parent %llu not cancelled: %s",
                   (unsigned long long)order_id, oms_strerror(rc));
    return OMS_EREJECTED;
  }
  r->st = st;
  if (done) r->ending = true;
  mark_dirty(P, ri);
  send_cancels(e, r, &out);
  rej->code = OMS_R_NONE;
  rej->text[0] = '\0';
  return 0;
}

int oms__parents_modify(oms__parents_t *P, oms_engine_t *e, uint64_t order_id, oms_dec_t qty,
                        oms_dec_t price, oms_reject_t *rej) {
  uint32_t ri = rec_of(P, order_id);
  if (ri == NIL || P->rec[ri].ending) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "parent %llu is ending", (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  prec_t *r = &P->rec[ri];
  oms_algo_state_t st = r->st;
  /* The order takes its new size at once: its children must fit in it. */
  if (qty.raw < st.filled.raw + st.open.raw) {
    oms_reject_set(rej, OMS_R_ALGO_QTY_BELOW_FILLED,
                   "qty(38): below what parent %llu has filled and open in its children; "
                   "cancel and send a new parent",
                   (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  oms_algo_params_t np = st.p;
  np.qty = qty;
  if (oms_dec_is_pos(price)) OMS_ALGO_SET(&np, limit_px, price);
  oms_algo_out_t out;
  oms_algo_reject_t arej;
  int64_t now = oms__engine_now(e);
  int rc = oms_algo_replace(&st, &np, now, &out, &arej);
  if (rc == OMS_EREJECTED) {
    oms_reject_set(rej, (oms_reason_t)arej.code, "%s", arej.text);
    return OMS_EREJECTED;
  }
  if (rc != 0) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "parent %llu is %s: nothing to re-plan",
                   (unsigned long long)order_id, oms_algo_status_name(st.status));
    return OMS_EREJECTED;
  }
  oms_ord_change_t ch[2] = {
      {.event = OMS_EV_REPLACE_REQUEST, .ts_ns = now, .new_qty = qty, .new_price = price},
      {.event = OMS_EV_REPLACE_CONFIRM, .ts_ns = now}};
  int len = oms_algo_encode(&st, P->blob, sizeof(P->blob));
  rc = oms__engine_parent_apply(e, order_id, ch, 2, P->blob, len > 0 ? (size_t)len : 0);
  if (rc != 0) {
    oms_reject_set(rej, OMS_R_STORE_FAILED, "parent %llu not replaced: %s",
                   (unsigned long long)order_id, oms_strerror(rc));
    return OMS_EREJECTED;
  }
  r->st = st;
  mark_dirty(P, ri);
  send_cancels(e, r, &out);
  rej->code = OMS_R_NONE;
  rej->text[0] = '\0';
  return 0;
}

/* ---- market data ------------------------------------------------------------------- */

void oms__parents_market_data(oms__parents_t *P, const char *venue, const oms_market_data_t *md) {
  uint32_t ii = ins_of(P, venue, md->symbol);
  if (ii == NIL) return;
  ins_t *in = &P->ins[ii];
  /* the volume traded since the last snapshot, at its last price */
  int64_t grew = in->vol_known ? md->cum_volume.raw - in->md.cum_volume.raw : 0;
  if (grew > 0 && oms_dec_is_pos(md->last_px)) {
    in->md.seen_volume.raw += grew;
    in->md.seen_notional += (__int128)grew * md->last_px.raw;
  }
  in->vol_known = true;
  in->md.bid = md->bid;
  in->md.bid_qty = md->bid_qty;
  in->md.ask = md->ask;
  in->md.ask_qty = md->ask_qty;
  in->md.last_px = md->last_px;
  in->md.last_qty = md->last_qty;
  in->md.cum_volume = md->cum_volume;
  in->md.ts_ns = md->ts_ns;
  for (uint32_t ri = in->head; ri != NIL; ri = P->rec[ri].ins_next) mark_dirty(P, ri);
}

/* ---- stepping ---------------------------------------------------------------------- */

/* Child intent it of parent r as a request. */
static void child_request(const oms_order_t *po, const oms_algo_intent_t *it,
                          oms_order_request_t *q) {
  memset(q, 0, sizeof(*q));
  snprintf(q->client_order_id, sizeof(q->client_order_id), "P%llu.%u",
           (unsigned long long)po->order_id, it->child_seq);
  memcpy(q->strategy_id, po->strategy_id, sizeof(q->strategy_id));
  memcpy(q->account_id, po->account_id, sizeof(q->account_id));
  memcpy(q->venue, po->venue, sizeof(q->venue));
  memcpy(q->symbol, po->symbol, sizeof(q->symbol));
  q->side = (oms_side_t)it->side;
  q->type = (oms_ord_type_t)it->type;
  q->tif = (oms_tif_t)it->tif;
  q->qty = it->qty;
  if (q->type == OMS_ORD_LIMIT || q->type == OMS_ORD_STOP_LIMIT) q->price = it->price;
  if (q->type == OMS_ORD_STOP || q->type == OMS_ORD_STOP_LIMIT) q->stop_price = it->stop_price;
}

/* Ends parent ri once its algorithm is done and nothing ended it yet. */
static void finish(oms__parents_t *P, oms_engine_t *e, uint32_t ri) {
  prec_t *r = &P->rec[ri];
  const oms_order_t *po = oms__engine_order(e, r->order_id);
  if (po == NULL || oms_ord_state_is_terminal(po->state)) {
    r->ending = true;
    return;
  }
  oms_ord_change_t ch = {.ts_ns = oms__engine_now(e)};
  if (!end_change(&r->st, r->closed, &ch, P->text)) return;
  int len = oms_algo_encode(&r->st, P->blob, sizeof(P->blob));
  if (oms__engine_parent_apply(e, r->order_id, &ch, 1, P->blob, len > 0 ? (size_t)len : 0) == 0)
    r->ending = true;
}

/* When a DAY parent's trading day closes, or a GTD parent's time comes
 * (INT64_MAX: never). */
static int64_t close_of(oms_engine_t *e, const prec_t *r, const oms_order_t *po) {
  int64_t close = INT64_MAX;
  if (po->tif == OMS_TIF_GTD && po->expire_ns > 0) close = po->expire_ns;
  oms_risk_t *risk = oms__engine_risk(e);
  int64_t c;
  if (po->tif == OMS_TIF_DAY && risk != NULL &&
      oms_risk_limits_session_close(oms_risk_current_limits(risk), po->venue, po->symbol,
                                    r->st.created_ns, &c) == 1 &&
      c < close)
    close = c;
  return close;
}

static void step(oms__parents_t *P, oms_engine_t *e, uint32_t ri, int64_t now) {
  prec_t *r = &P->rec[ri];
  const oms_order_t *po = oms__engine_order(e, r->order_id);
  if (po == NULL || oms_ord_state_is_terminal(po->state)) {
    r->ending = true;
    return;
  }
  if (r->close_ns == 0) r->close_ns = close_of(e, r, po);
  if (now >= r->close_ns && !oms_algo_status_is_terminal((oms_algo_status_t)r->st.status)) {
    oms_algo_out_t out;
    oms_algo_expire(&r->st, &out);
    r->closed = true;
    send_cancels(e, r, &out);
    if (oms_algo_is_done(&r->st)) finish(P, e, ri);
    return; /* its children's ends wake it */
  }
  if (now < r->hold_ns) {
    wake_at(P, ri, r->hold_ns);
    return;
  }
  const oms_algo_md_t *md = r->ins != NIL ? &P->ins[r->ins].md : NULL;
  oms_algo_out_t out;
  if (oms_algo_step(&r->st, now, md, &out) != 0) return;
  assert(oms_algo_check(&r->st));
  oms_order_t parent = *po; /* submits below may move the pool's copy */
  for (uint32_t i = 0; i < out.n; i++) {
    const oms_algo_intent_t *it = &out.intent[i];
    if (it->kind != OMS_INTENT_NEW) continue;
    oms_order_request_t q;
    child_request(&parent, it, &q);
    oms_submit_result_t res;
    oms__engine_make(e, r->order_id, it->child_seq, 0);
    oms_engine_submit(e, &q, &res);
    oms__engine_make(e, 0, 0, 0);
    if (res.order->state == OMS_STATE_REJECTED || res.order->order_id == 0)
      r->hold_ns = now + REFUSED_HOLD_NS;
    if (res.order->order_id != 0 && !res.duplicate) {
      if (child_open(&r->st, it->child_seq)) kid_set(r, it->child_seq, res.order->order_id);
    } else if (child_open(&r->st, it->child_seq)) {
      /* never became an order: the algorithm hears it is done */
      oms_algo_on_child_done(&r->st, it->child_seq);
    }
  }
  send_cancels(e, r, &out);
  if (oms_algo_is_done(&r->st)) {
    finish(P, e, ri);
    return;
  }
  int64_t wake = r->hold_ns > out.next_wake_ns ? r->hold_ns : out.next_wake_ns;
  wake_at(P, ri, wake < r->close_ns ? wake : r->close_ns);
}

int oms__parents_poll(oms__parents_t *P, oms_engine_t *e) {
  if (P->active == 0) return 0;
  int64_t now = oms__engine_now(e);
  while (P->heap_n > 0 && P->rec[P->heap[0]].wake_ns <= now) {
    uint32_t ri = P->heap[0];
    heap_remove(P, ri);
    mark_dirty(P, ri);
  }
  /* The parents marked now; those their steps mark wait for the next poll,
   * so a parent whose children are refused at once can not spin here. */
  uint32_t ri = P->dirty_head, last = P->dirty_tail;
  P->dirty_head = P->dirty_tail = NIL;
  int n = 0;
  while (ri != NIL) {
    prec_t *r = &P->rec[ri];
    uint32_t next = ri == last ? NIL : r->next_dirty;
    r->dirty = false;
    if (!r->ending) {
      step(P, e, ri, now);
      n++;
    }
    if (r->ending && !r->dirty) rec_free(P, ri);
    ri = next;
  }
  return n;
}

/* ---- recovery ------------------------------------------------------------------------ */

/* An open parent or child, as recovery loads it: a parent gets its record
 * (its state comes later), a child joins its parent's (loaded before it: its
 * id is lower). */
void oms__parents_loaded(oms__parents_t *P, const oms_order_t *o) {
  if (o->algo != 0) {
    uint32_t ri = rec_alloc(P, o->order_id);
    if (ri != NIL) P->rec[ri].ins = ins_of(P, o->venue, o->symbol);
  } else if (o->parent_order_id != 0) {
    uint32_t ri = rec_of(P, o->parent_order_id);
    if (ri != NIL) kid_set(&P->rec[ri], o->child_seq, o->order_id);
  }
}

/* The seq of a parent's first event (its acceptance): its states are all
 * at or after it. */
static int first_seq(void *ctx, const oms_event_t *ev) {
  uint64_t *from = ctx;
  if (ev->seq != 0 && ev->seq < *from) *from = ev->seq;
  return 1; /* the first is enough */
}

/* A state on an event (the parent's or a child's): the last one wins. */
static int take_state(void *ctx, const oms_event_t *ev) {
  oms__parents_t *P = ctx;
  if (ev->algo_len == 0) return 0;
  oms_algo_state_t *st = &P->scratch[0].st;
  if (oms_algo_decode(ev->algo, ev->algo_len, st) != 0) return 0;
  uint32_t ri = rec_of(P, st->parent_id);
  if (ri != NIL) {
    P->rec[ri].st = *st;
    P->rec[ri].present = true; /* a state was found */
  }
  return 0;
}

int oms__parents_recovered(oms__parents_t *P, oms_engine_t *e) {
  if (P->active == 0) return 0;
  oms_store_t *store = oms__engine_store(e);
  uint64_t from = UINT64_MAX;
  for (uint32_t ri = 0; ri < P->cap; ri++) {
    if (P->rec[ri].order_id == 0) continue;
    int rc = oms_store_events_for_order(store, P->rec[ri].order_id, first_seq, &from);
    if (rc < 0) return OMS_ESTORE;
  }
  /* Only the events since the oldest open parent was accepted: however
   * long the history, recovery reads what its open parents lived through. */
  if (from != UINT64_MAX && oms_store_events_from(store, from, 0, take_state, P) < 0)
    return OMS_ESTORE;
  int64_t now = oms__engine_now(e);
  for (uint32_t ri = 0; ri < P->cap; ri++) {
    prec_t *r = &P->rec[ri];
    if (r->order_id == 0) continue;
    if (!r->present) { /* no state stored: nothing to resume (never happens but damaged) */
      rec_free(P, ri);
      continue;
    }
    uint32_t ii = r->ins;
    r->ins = NIL;
    ins_link(P, ri, ii);
    /* Children the state counts open that the store never saw were never
     * created (the process died within the step that made them): done,
     * never sent, so the schedule gives their quantity back. */
    for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++) {
      uint32_t seq = r->st.child[i].seq;
      if (seq != 0 && kid_get(r, seq) == 0) oms_algo_on_child_done(&r->st, seq);
    }
    wake_at(P, ri, now);
  }
  return 0;
}
