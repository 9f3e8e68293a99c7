/*
 * engine_sor.c - smart order routing in the core: an order submitted with
 * a routing policy (oms_engine_submit_smart) is a parent order of strategy
 * OMS_SOR_ALGO whose children go to the venues the decision over the
 * consolidated book picks (src/sor); docs/routing.md.
 *
 * HOW IT WORKS
 *
 * The book (oms_sor_book_t) is fed by every market data snapshot and
 * connection change of a smart-routing venue. A parent has a record here:
 * its policy, side, size, limit and lot, and per venue at most one open
 * child (its sequence number, order id, size and filled quantity). The
 * record's `alloc` is what the children hold: the size of each open child
 * plus the filled quantity of each finished one. A decision only ever
 * places qty - alloc, and a child is counted in alloc before it is
 * submitted, so at every instant the children's open plus filled quantity,
 * across every venue, is at most the parent's (checked at every change:
 * sor_check).
 *
 * Routing happens only in oms_engine_poll() (never inside a venue's
 * callback), for the parents marked dirty: at acceptance and after any
 * child moved. A step asks the decision for qty - alloc with the venues
 * holding an open child as busy and the venues whose IOC child came back
 * short as skipped. Once every venue that could take is skipped, the skips
 * are forgotten if anything filled since they were set (the books have
 * moved), else the sweep is over. Posts wait until no IOC child is open, so
 * a sweep finishes before the rest is placed passively. A parent with
 * nothing routable and no child open ends: its unplaced rest is cancelled
 * (a MARKET order, the TAKE policy, every venue down).
 *
 * A child's fills become the parent's fills through the same path as the
 * algorithms' children (engine.c stage_parents): worked out on a scratch
 * copy of the record during the commit, installed once the unit is stored.
 * When the parent ends, its best-execution record (arrival NBBO, fills and
 * fees per venue, price improvement, effective spread) is emitted as a
 * BestExecution event, in the unit that ends it (below).
 *
 * DURABILITY. The record travels in the same store unit as every event
 * that changes it, as an algorithm parent's state does (engine_parent.c):
 * "SR", version 1, then the policy, the sizes, the skipped venues, what
 * each open child holds, and the best-execution figures so far (the "BX"
 * record of src/sor, then the fills per venue). It is on the parent's acceptance, on every event of
 * one of its children (a child's submission carries the record that
 * counts it, so a child is never in the store without the parent knowing
 * it), and on the parent's own cancel and end. Recovery (oms__sor_loaded,
 * oms__sor_recovered) takes the last record of each open smart parent from
 * the events since the oldest was accepted; a child the record counts open
 * whose order is not open in the store never reached it (the process died
 * inside the step) or ended: what it held beyond its fills goes back to
 * the parent. A recovered parent is held until every venue of the book
 * that is not down is reconciled and its instrument is quoted again (a
 * price on either side); then its unfilled rest is routed by the same rules. One
 * recovered while cancelling asks its open children's cancels again once the
 * venues are reconciled (theirs may have died with the process).
 *
 * The end and its BestExecution are one unit. Every change of a record in
 * a unit goes through a scratch copy, the parent's own cancel and end too
 * (parent_change), so the commit knows the smart parents the unit touches
 * (oms__sor_unit). For each that the unit leaves ended with no child open,
 * the commit stages the BestExecution event after the parent's own
 * (engine.c stage_bestex, oms__sor_unit_bestex) and the copy notes it
 * given (bx_sent), installed with the rest once the unit is stored. A crash
 * at any instant thus stores both or neither: a parent whose ending unit
 * was lost is still open in the store and ends again after the restart,
 * with its event; an ended parent is never loaded, so none is given twice.
 * The poll only retires the record (finish), and emits the event in a unit
 * of its own only if the ending unit had no room for it, which no path
 * reaches (such a unit holds at most three of MAX_STAGE's four events).
 */
#include "engine/engine_sor.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/u64map.h"
#include "oms/error.h"
#include "oms/store.h"

#define NIL UINT32_MAX
#define SCRATCH 4
#define DONE_KEPT 64 /* finished records kept for oms_engine_best_execution */

typedef struct skid_s {
  uint32_t seq; /* 0: none open at this venue */
  uint64_t order_id;
  oms_dec_t qty, cum;
  bool post;
} skid_t;

typedef struct srec_s {
  uint64_t order_id; /* 0: free */
  int ins;
  oms_sor_policy_t policy;
  oms_side_t side;
  oms_tif_t tif;
  oms_dec_t qty, limit, alloc, filled;
  skid_t kid[OMS_SOR_MAX_VENUES];
  uint32_t next_seq;
  uint32_t skip;
  bool filled_since_skip;
  uint32_t vfills[OMS_SOR_MAX_VENUES]; /* fills at bx.venue[i] */
  bool cancelling, ended, dirty;
  bool bx_sent;  /* its BestExecution is staged or stored */
  bool held;     /* recovered: waits for the venues (see DURABILITY) */
  bool present;  /* recovery: a record was found for it */
  uint32_t next; /* free list, dirty list */
  oms_sor_bestex_t bx;
} srec_t;

typedef struct scratch_s {
  uint32_t rec;
  srec_t r;
} scratch_t;

struct oms__sor_s {
  oms__sor_head_t h; /* first: engine_sor.h reads it */
  oms_sor_book_t *book;
  srec_t *rec;
  uint32_t cap, free_head, active;
  oms__u64map_t by_id;
  uint32_t dirty_head, dirty_tail;
  scratch_t scratch[SCRATCH];
  oms_sor_policy_t pending;
  oms_sor_bestex_t done[DONE_KEPT];
  uint32_t ndone;
  uint8_t blob[OMS_SOR_BESTEX_ENC_MAX];
  uint32_t held; /* recovered records not yet routing */
};

/* ---- lifecycle -------------------------------------------------------------- */

int oms__sor_create(uint32_t cap, uint32_t max_instruments, int64_t stale_ns, oms__sor_t **out) {
  *out = NULL;
  oms__sor_t *S = oms__calloc(1, sizeof(*S));
  if (S == NULL) return OMS_ENOMEM;
  S->cap = cap;
  S->rec = oms__calloc(cap, sizeof(srec_t));
  if (S->rec == NULL || oms__u64map_init(&S->by_id, cap) != 0 ||
      oms_sor_book_create(max_instruments, stale_ns, &S->book) != 0)
    goto fail;
  for (uint32_t i = 0; i < cap; i++) S->rec[i].next = i + 1 < cap ? i + 1 : NIL;
  S->free_head = cap ? 0 : NIL;
  S->dirty_head = S->dirty_tail = NIL;
  *out = S;
  return 0;
fail:
  oms__sor_destroy(S);
  return OMS_ENOMEM;
}

void oms__sor_destroy(oms__sor_t *S) {
  if (S == NULL) return;
  oms_sor_book_destroy(S->book);
  oms__u64map_close(&S->by_id);
  oms__free(S->rec);
  oms__free(S);
}

static uint32_t rec_of(const oms__sor_t *S, uint64_t order_id) {
  uint64_t v;
  return oms__u64map_get(&S->by_id, order_id, &v) ? (uint32_t)v : NIL;
}

static void mark_dirty(oms__sor_t *S, uint32_t ri) {
  srec_t *r = &S->rec[ri];
  if (r->dirty) return;
  r->dirty = true;
  r->next = NIL;
  if (S->dirty_tail != NIL)
    S->rec[S->dirty_tail].next = ri;
  else
    S->dirty_head = ri;
  S->dirty_tail = ri;
}

static void rec_free(oms__sor_t *S, uint32_t ri) {
  srec_t *r = &S->rec[ri];
  oms__u64map_del(&S->by_id, r->order_id);
  r->order_id = 0;
  r->next = S->free_head;
  S->free_head = ri;
  S->active--;
}

/* The invariant: the children hold at most the parent, and what they hold
 * is what their open sizes and finished fills say. */
static inline bool sor_check(const srec_t *r) {
  int64_t held = 0;
  for (int v = 0; v < OMS_SOR_MAX_VENUES; v++) {
    const skid_t *k = &r->kid[v];
    if (k->seq != 0 && k->cum.raw > k->qty.raw) return false;
  }
  for (int v = 0; v < OMS_SOR_MAX_VENUES; v++)
    if (r->kid[v].seq != 0) held += r->kid[v].qty.raw;
  return r->alloc.raw <= r->qty.raw && r->filled.raw <= r->alloc.raw && held <= r->alloc.raw;
}

/* ---- the journaled record ---------------------------------------------------------- */

#define SR_VERSION 1
#define SR_FIXED (8 + 8 + 4 * 8 + 4 + 4 + 1)
#define SR_KID (1 + 4 + 8 + 8 + 1)
#define SR_BX_MAX (4 + 16 * 8 + OMS_SOR_MAX_VENUES * (OMS_VENUE_MAX + 1 + 4 * 8 + 4))
_Static_assert(SR_FIXED + OMS_SOR_MAX_VENUES * SR_KID + 2 + SR_BX_MAX <= OMS_EVENT_ALGO_MAX,
               "a smart parent's record fits an event");

static void put(uint8_t **p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) *(*p)++ = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t **p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t) * (*p)++ << (8 * i);
  return v;
}

/* The record r as bytes (see DURABILITY); returns the length or OMS_EFULL. */
static int sr_encode(const srec_t *r, uint8_t *buf, size_t cap) {
  if (cap < SR_FIXED + OMS_SOR_MAX_VENUES * SR_KID + 2) return OMS_EFULL;
  uint8_t *p = buf;
  *p++ = 'S';
  *p++ = 'R';
  *p++ = SR_VERSION;
  *p++ = (uint8_t)r->policy;
  *p++ = (uint8_t)r->side;
  *p++ = (uint8_t)r->tif;
  *p++ = (uint8_t)((r->filled_since_skip ? 1 : 0) | (r->cancelling ? 2 : 0));
  *p++ = 0;
  put(&p, r->order_id, 8);
  put(&p, (uint64_t)r->qty.raw, 8);
  put(&p, (uint64_t)r->limit.raw, 8);
  put(&p, (uint64_t)r->alloc.raw, 8);
  put(&p, (uint64_t)r->filled.raw, 8);
  put(&p, r->next_seq, 4);
  put(&p, r->skip, 4);
  uint8_t *nk = p++;
  *nk = 0;
  for (int v = 0; v < OMS_SOR_MAX_VENUES; v++) {
    const skid_t *k = &r->kid[v];
    if (k->seq == 0) continue;
    *p++ = (uint8_t)v;
    put(&p, k->seq, 4);
    put(&p, (uint64_t)k->qty.raw, 8);
    put(&p, (uint64_t)k->cum.raw, 8);
    *p++ = k->post ? 1 : 0;
    (*nk)++;
  }
  size_t used = (size_t)(p - buf) + 2;
  int bl = oms_sor_bestex_encode(&r->bx, p + 2, cap - used);
  if (bl < 0 || used + (size_t)bl + 4 * r->bx.nvenues > cap) return OMS_EFULL;
  put(&p, (uint64_t)bl, 2);
  p += bl;
  for (uint32_t i = 0; i < r->bx.nvenues; i++) put(&p, r->vfills[i], 4);
  return (int)(p - buf);
}

/* Bytes back into r's journaled fields; 0 or OMS_ECORRUPT. */
static int sr_decode(const uint8_t *buf, size_t len, srec_t *r) {
  if (len < SR_FIXED + 2 || buf[0] != 'S' || buf[1] != 'R' || buf[2] != SR_VERSION)
    return OMS_ECORRUPT;
  const uint8_t *p = buf + 3, *end = buf + len;
  r->policy = (oms_sor_policy_t)*p++;
  r->side = (oms_side_t)*p++;
  r->tif = (oms_tif_t)*p++;
  uint8_t flags = *p++;
  p++;
  r->filled_since_skip = (flags & 1) != 0;
  r->cancelling = (flags & 2) != 0;
  r->order_id = get(&p, 8);
  r->qty.raw = (int64_t)get(&p, 8);
  r->limit.raw = (int64_t)get(&p, 8);
  r->alloc.raw = (int64_t)get(&p, 8);
  r->filled.raw = (int64_t)get(&p, 8);
  r->next_seq = (uint32_t)get(&p, 4);
  r->skip = (uint32_t)get(&p, 4);
  uint8_t nk = *p++;
  if (nk > OMS_SOR_MAX_VENUES || (size_t)(end - p) < (size_t)nk * SR_KID + 2) return OMS_ECORRUPT;
  memset(r->kid, 0, sizeof(r->kid));
  for (uint8_t i = 0; i < nk; i++) {
    uint8_t v = *p++;
    if (v >= OMS_SOR_MAX_VENUES) return OMS_ECORRUPT;
    skid_t *k = &r->kid[v];
    k->seq = (uint32_t)get(&p, 4);
    k->qty.raw = (int64_t)get(&p, 8);
    k->cum.raw = (int64_t)get(&p, 8);
    k->post = *p++ != 0;
  }
  size_t bl = (size_t)get(&p, 2);
  if ((size_t)(end - p) < bl || oms_sor_bestex_decode(p, bl, &r->bx) != 0) return OMS_ECORRUPT;
  p += bl;
  if ((size_t)(end - p) != 4 * (size_t)r->bx.nvenues) return OMS_ECORRUPT;
  for (uint32_t i = 0; i < r->bx.nvenues; i++) r->vfills[i] = (uint32_t)get(&p, 4);
  return sor_check(r) ? 0 : OMS_ECORRUPT;
}

/* ---- the public face ----------------------------------------------------------- */

int oms_engine_sor_add_venue(oms_engine_t *e, const oms_sor_venue_cfg_t *cfg) {
  if (cfg == NULL) return OMS_EINVAL;
  if (memchr(cfg->name, 0, sizeof(cfg->name)) == NULL ||
      oms_router_venue(oms_engine_router(e), cfg->name) == NULL)
    return OMS_ENOTFOUND;
  oms__sor_t *S = oms__engine_sor(e);
  int vi = oms_sor_book_add_venue(S->book, cfg);
  if (vi < 0) return vi;
  oms_route_stats_t rs;
  if (oms_router_stats(oms_engine_router(e), cfg->name, &rs) == 0 && !rs.connected)
    oms_sor_book_set_state(S->book, vi, OMS_SOR_DOWN);
  return 0;
}

int oms_engine_sor_set_state(oms_engine_t *e, const char *venue, oms_sor_venue_state_t state) {
  oms__sor_t *S = oms__engine_sor(e);
  int vi = oms_sor_book_venue(S->book, venue);
  if (vi < 0) return OMS_ENOTFOUND;
  oms_sor_book_set_state(S->book, vi, state);
  return 0;
}

const oms_sor_book_t *oms_engine_sor_book(const oms_engine_t *e) {
  return oms__engine_sor(e)->book;
}

int oms_engine_submit_smart(oms_engine_t *e, const oms_order_request_t *req,
                            oms_sor_policy_t policy, oms_submit_result_t *res) {
  static const oms_order_t no_order;
  oms__sor_t *S = oms__engine_sor(e);
  res->order = &no_order;
  res->duplicate = false;
  res->check[0] = '\0';
  res->reject.code = OMS_R_NONE;
  res->reject.text[0] = '\0';
  if (!oms_sor_policy_takes(policy) && !oms_sor_policy_posts(policy)) {
    oms_reject_set(&res->reject, OMS_R_BAD_ENUM, "unknown smart routing policy %d", (int)policy);
    return OMS_EREJECTED;
  }
  if (req->type != OMS_ORD_LIMIT && req->type != OMS_ORD_MARKET) {
    oms_reject_set(&res->reject, OMS_R_BAD_ENUM,
                   "smart routing takes LIMIT and MARKET orders only");
    return OMS_EREJECTED;
  }
  if (policy == OMS_SOR_POLICY_POST && req->type == OMS_ORD_MARKET) {
    oms_reject_set(&res->reject, OMS_R_BAD_ENUM, "policy post needs a limit price");
    return OMS_EREJECTED;
  }
  oms_order_request_t r = *req;
  const oms_sor_venue_cfg_t *vc = NULL;
  if (r.venue[0] == '\0') {
    for (int vi = 0; (vc = oms_sor_book_venue_cfg(S->book, vi)) != NULL; vi++)
      if (oms_engine_instrument(e, vc->name, r.symbol) != NULL) break;
    if (vc != NULL) memcpy(r.venue, vc->name, sizeof(vc->name));
  } else if (oms_sor_book_venue(S->book, r.venue) >= 0) {
    vc = oms_sor_book_venue_cfg(S->book, oms_sor_book_venue(S->book, r.venue));
  }
  if (vc == NULL) {
    oms_reject_set(&res->reject, OMS_R_UNKNOWN_VENUE, "no smart routing venue lists %s%s%s",
                   r.symbol, r.venue[0] ? " at " : "", r.venue);
    return OMS_EREJECTED;
  }
  S->pending = policy;
  oms__engine_make(e, 0, 0, OMS_SOR_ALGO);
  int rc = oms_engine_submit(e, &r, res);
  oms__engine_make(e, 0, 0, 0);
  return rc;
}

static const oms_sor_bestex_t *find_done(const oms__sor_t *S, uint64_t id) {
  uint32_t n = S->ndone < DONE_KEPT ? S->ndone : DONE_KEPT;
  for (uint32_t i = 0; i < n; i++)
    if (S->done[i].parent_id == id) return &S->done[i];
  return NULL;
}

int oms_engine_best_execution(const oms_engine_t *e, uint64_t parent_id, oms_sor_bestex_t *out) {
  const oms__sor_t *S = oms__engine_sor(e);
  uint32_t ri = rec_of(S, parent_id);
  const oms_sor_bestex_t *bx = ri != NIL ? &S->rec[ri].bx : find_done(S, parent_id);
  if (bx == NULL) return OMS_ENOTFOUND;
  *out = *bx;
  if (ri != NIL) oms_sor_bestex_finish(out);
  return 0;
}

/* ---- opening ---------------------------------------------------------------- */

int oms__sor_open(oms__sor_t *S, const oms_order_t *o, int64_t now_ns, uint8_t *blob, size_t cap) {
  int ins = oms_sor_book_instrument(S->book, o->symbol);
  if (ins < 0) return OMS_EFULL;
  uint32_t ri = S->free_head;
  if (ri == NIL) return OMS_EFULL;
  srec_t *r = &S->rec[ri];
  S->free_head = r->next;
  memset(r, 0, sizeof(*r));
  r->order_id = o->order_id;
  r->ins = ins;
  r->policy = S->pending;
  /* an order that must not rest never posts */
  if (o->tif == OMS_TIF_IOC || o->tif == OMS_TIF_FOK) r->policy = OMS_SOR_POLICY_TAKE;
  r->side = o->side;
  r->tif = o->tif == OMS_TIF_DAY ? OMS_TIF_DAY : OMS_TIF_GTC;
  r->qty = o->qty;
  r->limit = o->type == OMS_ORD_LIMIT ? o->price : OMS_DEC_ZERO;
  r->next = NIL;
  oms_sor_nbbo_t n;
  oms_sor_book_nbbo(S->book, ins, now_ns, &n);
  r->bx.parent_id = o->order_id;
  r->bx.side = o->side;
  r->bx.arrival_ns = now_ns;
  r->bx.arrival_bid = n.bid;
  r->bx.arrival_ask = n.ask;
  r->bx.qty = o->qty;
  int len = sr_encode(r, blob, cap);
  if (len < 0) {
    S->free_head = ri;
    r->order_id = 0;
    return OMS_EINVAL;
  }
  oms__u64map_put(&S->by_id, o->order_id, ri);
  S->active++;
  mark_dirty(S, ri);
  return len;
}

void oms__sor_drop(oms__sor_t *S, uint64_t order_id) {
  uint32_t ri = rec_of(S, order_id);
  if (ri != NIL) S->rec[ri].ended = true; /* on the dirty list: the poll frees it */
}

/* ---- children's events, within a commit ----------------------------------------- */

static scratch_t *scratch_for(oms__sor_t *S, uint32_t ri) {
  for (int k = 0; k < S->h.nscratch; k++)
    if (S->scratch[k].rec == ri) return &S->scratch[k];
  if (S->h.nscratch == SCRATCH) return NULL;
  scratch_t *sc = &S->scratch[S->h.nscratch++];
  sc->rec = ri;
  sc->r = S->rec[ri];
  return sc;
}

static int kid_of(const srec_t *r, uint32_t seq) {
  for (int v = 0; v < OMS_SOR_MAX_VENUES; v++)
    if (r->kid[v].seq == seq && seq != 0) return v;
  return -1;
}

static void venue_add(srec_t *r, const char *venue, oms_dec_t qty, oms_dec_t notional,
                      oms_dec_t fee, uint32_t children, uint32_t fills) {
  oms_sor_bestex_t *bx = &r->bx;
  uint32_t i = 0;
  while (i < bx->nvenues && strcmp(bx->venue[i].venue, venue) != 0) i++;
  if (i == bx->nvenues) {
    if (i == OMS_SOR_MAX_VENUES) return;
    memset(&bx->venue[i], 0, sizeof(bx->venue[i]));
    snprintf(bx->venue[i].venue, sizeof(bx->venue[i].venue), "%s", venue);
    bx->nvenues++;
  }
  bx->venue[i].qty.raw += qty.raw;
  bx->venue[i].notional.raw += notional.raw;
  bx->venue[i].fees.raw += fee.raw;
  bx->venue[i].children += children;
  r->vfills[i] += fills;
}

int oms__sor_child_event(oms__sor_t *S, const oms_order_t *before, const oms_event_t *ev,
                         oms__parent_fx_t *fx) {
  const oms_order_t *o = &ev->order;
  uint32_t ri = rec_of(S, o->parent_order_id);
  if (ri == NIL || S->rec[ri].ended) return 0;
  bool fill = (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED) &&
              oms_dec_is_pos(ev->fill.qty);
  bool ends = oms_ord_state_is_terminal(o->state) && !oms_ord_state_is_terminal(before->state);
  const srec_t *cur = &S->rec[ri];
  for (int k = 0; k < S->h.nscratch; k++)
    if (S->scratch[k].rec == ri) cur = &S->scratch[k].r;
  if (kid_of(cur, o->child_seq) < 0) return 0;
  memset(fx, 0, sizeof(*fx));
  fx->parent_id = o->parent_order_id;
  if (fill || ends) {
    scratch_t *sc = scratch_for(S, ri);
    if (sc == NULL) return 0;
    srec_t *r = &sc->r;
    cur = r;
    skid_t *k = &r->kid[kid_of(r, o->child_seq)];
    if (fill && k->cum.raw + ev->fill.qty.raw <= k->qty.raw) {
      k->cum.raw += ev->fill.qty.raw;
      r->filled.raw += ev->fill.qty.raw;
      r->filled_since_skip = true;
      oms_dec_t notional = OMS_DEC_ZERO;
      oms_dec_mul(ev->fill.qty, ev->fill.price, OMS_ROUND_HALF_EVEN, &notional);
      r->bx.filled.raw += ev->fill.qty.raw;
      r->bx.notional.raw += notional.raw;
      r->bx.fees.raw += ev->fill.fee.raw;
      venue_add(r, o->venue, ev->fill.qty, notional, ev->fill.fee, 0, 1);
      fx->ch[fx->nch++] = (oms_ord_change_t){.event = OMS_EV_FILL,
                                             .ts_ns = ev->event_ns,
                                             .fill_qty = ev->fill.qty,
                                             .fill_px = ev->fill.price};
    }
    if (ends) {
      /* what the child held beyond its fills goes back to the parent */
      r->alloc.raw -= k->qty.raw - k->cum.raw;
      int v = (int)(k - r->kid);
      /* a child settled by the reconciliation after a restart says
       * nothing of the venue's book now: no skip */
      if (!k->post && k->cum.raw < k->qty.raw && !r->held) r->skip |= 1u << v;
      k->seq = 0;
      bool open = false;
      for (int i = 0; i < OMS_SOR_MAX_VENUES; i++) open |= r->kid[i].seq != 0;
      if (r->cancelling && !open && r->filled.raw < r->qty.raw)
        fx->ch[fx->nch++] =
            (oms_ord_change_t){.event = OMS_EV_CANCEL_CONFIRM, .ts_ns = ev->event_ns};
    }
    assert(sor_check(r));
  }
  /* every event of a child carries the record as it leaves the parent: a
   * submission the record that counts the child (see DURABILITY) */
  int len = sr_encode(cur, S->blob, sizeof(S->blob));
  fx->blob = S->blob;
  fx->len = len > 0 ? (uint16_t)len : 0;
  return 1;
}

void oms__sor_commit(oms__sor_t *S) {
  for (int k = 0; k < S->h.nscratch; k++) {
    uint32_t ri = S->scratch[k].rec;
    srec_t *live = &S->rec[ri];
    /* the list links are the live record's, not the copy's */
    bool dirty = live->dirty;
    uint32_t next = live->next;
    *live = S->scratch[k].r;
    live->dirty = dirty;
    live->next = next;
    assert(sor_check(live));
    mark_dirty(S, ri); /* a child moved: look again at the next poll */
  }
  S->h.nscratch = 0;
}

void oms__sor_abort(oms__sor_t *S) { S->h.nscratch = 0; }

static bool any_open(const srec_t *r, bool ioc_only) {
  for (int v = 0; v < OMS_SOR_MAX_VENUES; v++)
    if (r->kid[v].seq != 0 && (!ioc_only || !r->kid[v].post)) return true;
  return false;
}

/* The BestExecution event of record r: its figures finished, the store's
 * encoding into blob[cap] (the length, 0 if it did not fit) and a line for
 * people into text. */
static size_t bestex_of(srec_t *r, uint8_t *blob, size_t cap, char *text, size_t tcap) {
  oms_sor_bestex_finish(&r->bx);
  int len = oms_store_bestex_encode(&r->bx, r->vfills, blob, cap);
  char avg[OMS_DEC_STRLEN], imp[OMS_DEC_STRLEN], fees[OMS_DEC_STRLEN];
  oms_dec_format(r->bx.avg_px, avg, sizeof(avg));
  oms_dec_format(r->bx.improvement_px, imp, sizeof(imp));
  oms_dec_format(r->bx.fees, fees, sizeof(fees));
  snprintf(text, tcap, "avg %s improvement %s per unit fees %s over %u venues", avg, imp, fees,
           r->bx.nvenues);
  return len > 0 ? (size_t)len : 0;
}

/* ---- the unit that ends a parent carries its BestExecution -------------------- */

uint64_t oms__sor_unit_parent(const oms__sor_t *S, int i) {
  return i < S->h.nscratch ? S->scratch[i].r.order_id : 0;
}

bool oms__sor_unit_bestex(oms__sor_t *S, int i, oms_event_t *ev) {
  srec_t *r = &S->scratch[i].r;
  if (r->bx_sent || any_open(r, false)) return false;
  /* on the copy: a refused unit leaves the live record unfinished */
  ev->algo_len = (uint16_t)bestex_of(r, ev->algo, sizeof(ev->algo), ev->text, sizeof(ev->text));
  r->bx_sent = true;
  return true;
}

/* The parent's own change ch[n] with its record as it leaves, through a
 * copy of the record the commit installs (so the unit knows the parent and
 * carries its BestExecution if it ends it). Returns the commit's result. */
static int parent_change(oms__sor_t *S, oms_engine_t *e, uint32_t ri, bool cancelling,
                         const oms_ord_change_t *ch, int n) {
  scratch_t *sc = scratch_for(S, ri); /* none open outside a commit */
  assert(sc != NULL && S->h.nscratch == 1);
  sc->r.cancelling |= cancelling;
  int len = sr_encode(&sc->r, S->blob, sizeof(S->blob));
  int rc = oms__engine_parent_apply(e, sc->r.order_id, ch, n, S->blob, len > 0 ? (size_t)len : 0);
  S->h.nscratch = 0; /* installed by the commit, or dropped */
  return rc;
}

/* ---- cancel, market data, connections ------------------------------------------- */

int oms__sor_cancel(oms__sor_t *S, oms_engine_t *e, uint64_t order_id, oms_reject_t *rej) {
  uint32_t ri = rec_of(S, order_id);
  if (ri == NIL) {
    /* a parent recovered without a routing record (journaled before
     * records were): it can still be cancelled; its children are orders
     * of their own, recovered and reconciled as any */
    int64_t now = oms__engine_now(e);
    oms_ord_change_t ch[2] = {{.event = OMS_EV_CANCEL_REQUEST, .ts_ns = now},
                              {.event = OMS_EV_CANCEL_CONFIRM,
                               .ts_ns = now,
                               .reason_text = "smart order cancelled after a restart"}};
    if (oms__engine_parent_apply(e, order_id, ch, 2, S->blob, 0) != 0) {
      oms_reject_set(rej, OMS_R_ORDER_PENDING, "smart order %llu can not be cancelled",
                     (unsigned long long)order_id);
      return OMS_EREJECTED;
    }
    rej->code = OMS_R_NONE;
    rej->text[0] = '\0';
    return 0;
  }
  if (S->rec[ri].ended || S->rec[ri].cancelling) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "smart order %llu is already ending",
                   (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  srec_t *r = &S->rec[ri];
  int64_t now = oms__engine_now(e);
  oms_ord_change_t ch[2] = {{.event = OMS_EV_CANCEL_REQUEST, .ts_ns = now},
                            {.event = OMS_EV_CANCEL_CONFIRM, .ts_ns = now}};
  bool open = any_open(r, false);
  int rc = parent_change(S, e, ri, true, ch, open ? 1 : 2);
  if (rc != 0) {
    oms_reject_set(rej, OMS_R_STORE_FAILED, "smart order %llu not cancelled: %s",
                   (unsigned long long)order_id, oms_strerror(rc));
    return OMS_EREJECTED;
  }
  r = &S->rec[ri]; /* cancelling: the commit installed it */
  /* the children's ends confirm the parent's cancel (oms__sor_child_event) */
  for (int v = 0; v < OMS_SOR_MAX_VENUES; v++)
    if (r->kid[v].seq != 0 && r->kid[v].order_id != 0)
      oms__engine_cancel_child(e, r->kid[v].order_id);
  rej->code = OMS_R_NONE;
  rej->text[0] = '\0';
  return 0;
}

void oms__sor_market_data(oms__sor_t *S, const char *venue, const oms_market_data_t *md) {
  int vi = oms_sor_book_venue(S->book, venue);
  if (vi >= 0) oms_sor_book_update(S->book, vi, md);
}

void oms__sor_connection(oms__sor_t *S, const char *venue, bool connected) {
  int vi = oms_sor_book_venue(S->book, venue);
  if (vi < 0) return;
  oms_sor_venue_state_t st = oms_sor_book_state(S->book, vi);
  if (!connected)
    oms_sor_book_set_state(S->book, vi, OMS_SOR_DOWN);
  else if (st == OMS_SOR_DOWN)
    oms_sor_book_set_state(S->book, vi, OMS_SOR_UP);
}

/* ---- routing ---------------------------------------------------------------------- */

/* A venue whose router queue holds messages is throttled (its rate budget
 * is spent): routing to it would only wait. */
static void refresh_throttle(oms__sor_t *S, oms_engine_t *e) {
  const oms_sor_venue_cfg_t *vc;
  for (int vi = 0; (vc = oms_sor_book_venue_cfg(S->book, vi)) != NULL; vi++) {
    oms_sor_venue_state_t st = oms_sor_book_state(S->book, vi);
    if (st != OMS_SOR_UP && st != OMS_SOR_THROTTLED) continue;
    oms_route_stats_t rs;
    if (oms_router_stats(oms_engine_router(e), vc->name, &rs) != 0) continue;
    oms_sor_book_set_state(S->book, vi, rs.queue_depth > 0 ? OMS_SOR_THROTTLED : OMS_SOR_UP);
  }
}

static void child_request(const oms_order_t *po, const srec_t *r, const oms_sor_child_t *c,
                          const char *venue, uint32_t seq, oms_order_request_t *q) {
  memset(q, 0, sizeof(*q));
  snprintf(q->client_order_id, sizeof(q->client_order_id), "R%llu.%u",
           (unsigned long long)po->order_id, seq);
  memcpy(q->strategy_id, po->strategy_id, sizeof(q->strategy_id));
  memcpy(q->account_id, po->account_id, sizeof(q->account_id));
  snprintf(q->venue, sizeof(q->venue), "%s", venue);
  memcpy(q->symbol, po->symbol, sizeof(q->symbol));
  q->side = r->side;
  q->type = OMS_ORD_LIMIT;
  q->tif = c->post ? r->tif : OMS_TIF_IOC;
  q->qty = c->qty;
  q->price = c->price;
}

/* Sends the children of plan p; returns how many became orders. */
static int send_children(oms__sor_t *S, oms_engine_t *e, uint32_t ri, const oms_sor_plan_t *p) {
  int sent = 0;
  for (uint32_t k = 0; k < p->n; k++) {
    const oms_sor_child_t *c = &p->child[k];
    srec_t *r = &S->rec[ri];
    const oms_order_t *po = oms__engine_order(e, r->order_id);
    if (po == NULL || r->kid[c->venue].seq != 0) continue;
    oms_order_t parent = *po; /* the submit below may move the pool */
    uint32_t seq = ++r->next_seq;
    /* counted before it exists: its events in the submit find it */
    r->kid[c->venue] = (skid_t){seq, 0, c->qty, OMS_DEC_ZERO, c->post};
    r->alloc.raw += c->qty.raw;
    venue_add(r, oms_sor_book_venue_cfg(S->book, c->venue)->name, OMS_DEC_ZERO, OMS_DEC_ZERO,
              OMS_DEC_ZERO, 1, 0);
    assert(sor_check(r));
    oms_order_request_t q;
    child_request(&parent, r, c, oms_sor_book_venue_cfg(S->book, c->venue)->name, seq, &q);
    oms_submit_result_t res;
    oms__engine_make(e, r->order_id, seq, 0);
    oms_engine_submit(e, &q, &res);
    oms__engine_make(e, 0, 0, 0);
    r = &S->rec[ri];
    skid_t *kd = &r->kid[c->venue];
    if (kd->seq != seq) { /* already ended inside the submit (refused) */
      r->skip |= 1u << c->venue;
      continue;
    }
    if (res.order->order_id == 0 || oms_ord_state_is_terminal(res.order->state)) {
      /* never became a working order and no event said so */
      r->alloc.raw -= kd->qty.raw - kd->cum.raw;
      kd->seq = 0;
      r->skip |= 1u << c->venue;
      continue;
    }
    kd->order_id = res.order->order_id;
    sent++;
  }
  return sent;
}

static void end_parent(oms__sor_t *S, oms_engine_t *e, uint32_t ri, const char *why) {
  oms_ord_change_t ch = {.event = OMS_EV_CANCEL_CONFIRM,
                         .ts_ns = oms__engine_now(e),
                         .reason = OMS_R_NONE,
                         .reason_text = why};
  parent_change(S, e, ri, false, &ch, 1);
}

/* The parent is over: its BestExecution went with the unit that ended it,
 * or, when that unit had no room left, goes now in a unit of its own. */
static void finish(oms__sor_t *S, oms_engine_t *e, uint32_t ri) {
  srec_t *r = &S->rec[ri];
  if (!r->bx_sent) {
    char text[OMS_REASON_MAX + 1];
    size_t len = bestex_of(r, S->blob, sizeof(S->blob), text, sizeof(text));
    r->bx_sent = true;
    oms__engine_emit_bestex(e, r->order_id, text, S->blob, len);
    r = &S->rec[ri];
  }
  S->done[S->ndone++ % DONE_KEPT] = r->bx;
  r->ended = true;
}

/* Every venue of the book that is not down agrees with the OMS (its open
 * orders reconciled). */
static bool reconciled(oms__sor_t *S, oms_engine_t *e) {
  const oms_sor_venue_cfg_t *vc;
  for (int vi = 0; (vc = oms_sor_book_venue_cfg(S->book, vi)) != NULL; vi++)
    if (oms_sor_book_state(S->book, vi) != OMS_SOR_DOWN &&
        !oms_engine_venue_reconciled(e, vc->name))
      return false;
  return true;
}

/* A recovered parent routes again once the venues it could use agree
 * with the OMS and its instrument is quoted again (a price on either side
 * at a usable venue): before that, a decision would find an empty book and
 * end it. */
static bool resumable(oms__sor_t *S, oms_engine_t *e, const srec_t *r, int64_t now) {
  if (!reconciled(S, e)) return false;
  oms_sor_nbbo_t n;
  oms_sor_book_nbbo(S->book, r->ins, now, &n);
  return n.usable != 0 && (oms_dec_is_pos(n.bid) || oms_dec_is_pos(n.ask));
}

static void step(oms__sor_t *S, oms_engine_t *e, uint32_t ri, int64_t now) {
  srec_t *r = &S->rec[ri];
  const oms_order_t *po = oms__engine_order(e, r->order_id);
  if (po == NULL || oms_ord_state_is_terminal(po->state)) {
    if (!any_open(r, false)) finish(S, e, ri);
    return;
  }
  if (r->cancelling) {
    if (r->held && any_open(r, false)) {
      /* recovered cancelling: the cancels of its children may have died
       * with the process; once the venues are reconciled, asked again (a
       * child already being cancelled refuses the second) */
      if (!reconciled(S, e)) {
        mark_dirty(S, ri);
        return;
      }
      r->held = false;
      S->held--;
      uint64_t kids[OMS_SOR_MAX_VENUES];
      int nk = 0;
      for (int v = 0; v < OMS_SOR_MAX_VENUES; v++)
        if (r->kid[v].seq != 0 && r->kid[v].order_id != 0) kids[nk++] = r->kid[v].order_id;
      for (int k = 0; k < nk; k++) oms__engine_cancel_child(e, kids[k]);
      r = &S->rec[ri];
    }
    /* recovered cancelling with nothing open (its last children never
     * reached the store): nothing will confirm it but this */
    if (!any_open(r, false)) {
      end_parent(S, e, ri, "smart order cancelled");
      po = oms__engine_order(e, S->rec[ri].order_id);
      if (po == NULL || oms_ord_state_is_terminal(po->state)) finish(S, e, ri);
    }
    return;
  }
  if (r->held) {
    if (!resumable(S, e, r, now)) {
      mark_dirty(S, ri); /* looked at again at the next poll */
      return;
    }
    r->held = false;
    S->held--;
  }
  oms_dec_t want = {r->qty.raw - r->alloc.raw};
  bool ioc_open = any_open(r, true);
  if (want.raw > 0) {
    const oms_instrument_t *ins = oms_engine_instrument(e, po->venue, po->symbol);
    oms_sor_request_t q = {.side = r->side,
                           .qty = want,
                           .limit_px = r->limit,
                           .lot = ins ? ins->lot_size : OMS_DEC_ZERO,
                           .skip = r->skip};
    for (int v = 0; v < OMS_SOR_MAX_VENUES; v++)
      if (r->kid[v].seq != 0) q.busy |= 1u << v;
    oms_sor_plan_t p;
    if (oms_sor_route(S->book, r->ins, r->policy, &q, now, &p) != 0) p.n = 0;
    bool takes = false;
    for (uint32_t k = 0; k < p.n; k++) takes |= !p.child[k].post;
    if (!takes && r->skip != 0 && r->filled_since_skip && oms_sor_policy_takes(r->policy)) {
      /* every venue was tried and something filled: the books moved */
      r->skip = 0;
      r->filled_since_skip = false;
      q.skip = 0;
      if (oms_sor_route(S->book, r->ins, r->policy, &q, now, &p) != 0) p.n = 0;
    }
    /* a sweep finishes before the rest is posted */
    uint32_t n = 0;
    for (uint32_t k = 0; k < p.n; k++)
      if (!(p.child[k].post && (ioc_open || takes))) p.child[n++] = p.child[k];
    p.n = n;
    if (send_children(S, e, ri, &p) > 0) return;
  }
  r = &S->rec[ri];
  if (!any_open(r, false) && r->alloc.raw < r->qty.raw) {
    end_parent(S, e, ri, "smart routing: no venue can take the rest");
    po = oms__engine_order(e, r->order_id);
    if (po == NULL || oms_ord_state_is_terminal(po->state)) finish(S, e, ri);
  }
}

int oms__sor_poll(oms__sor_t *S, oms_engine_t *e) {
  if (S->active == 0 || S->dirty_head == NIL) return 0;
  int64_t now = oms__engine_now(e);
  refresh_throttle(S, e);
  uint32_t ri = S->dirty_head, last = S->dirty_tail;
  S->dirty_head = S->dirty_tail = NIL;
  int n = 0;
  while (ri != NIL) {
    srec_t *r = &S->rec[ri];
    uint32_t next = ri == last ? NIL : r->next;
    r->dirty = false;
    if (!r->ended) {
      bool held = r->held;
      step(S, e, ri, now);
      n += !(held && S->rec[ri].held); /* waiting is no work */
    }
    if (S->rec[ri].ended && !S->rec[ri].dirty) rec_free(S, ri);
    ri = next;
  }
  return n;
}

/* ---- recovery ------------------------------------------------------------------------ */

bool oms__sor_loaded(oms__sor_t *S, const oms_order_t *o) {
  if (o->algo != OMS_SOR_ALGO)
    return o->parent_order_id != 0 && rec_of(S, o->parent_order_id) != NIL;
  int ins = oms_sor_book_instrument(S->book, o->symbol);
  uint32_t ri = S->free_head;
  if (ins < 0 || ri == NIL) return true; /* no record: it can be cancelled only */
  srec_t *r = &S->rec[ri];
  S->free_head = r->next;
  memset(r, 0, sizeof(*r));
  r->order_id = o->order_id;
  r->ins = ins;
  r->next = NIL;
  oms__u64map_put(&S->by_id, o->order_id, ri);
  S->active++;
  return true;
}

static int first_seq(void *ctx, const oms_event_t *ev) {
  uint64_t *from = ctx;
  if (ev->seq != 0 && ev->seq < *from) *from = ev->seq;
  return 1; /* its acceptance is enough */
}

/* A record on an event (the parent's or a child's): the last one wins. */
static int take_record(void *ctx, const oms_event_t *ev) {
  oms__sor_t *S = ctx;
  if (ev->algo_len < 2 || ev->algo[0] != 'S' || ev->algo[1] != 'R') return 0;
  srec_t *t = &S->scratch[0].r;
  memset(t, 0, sizeof(*t));
  if (sr_decode(ev->algo, ev->algo_len, t) != 0) return 0;
  uint32_t ri = rec_of(S, t->order_id);
  if (ri == NIL) return 0;
  int ins = S->rec[ri].ins;
  S->rec[ri] = *t;
  S->rec[ri].ins = ins;
  S->rec[ri].next = NIL;
  S->rec[ri].present = true;
  return 0;
}

/* A child the record counts open: its order, if it is open in memory. */
static uint64_t open_child(oms_engine_t *e, const oms_order_t *po, uint32_t seq, int *vi,
                           oms__sor_t *S) {
  char id[OMS_ID_MAX + 1];
  snprintf(id, sizeof(id), "R%llu.%u", (unsigned long long)po->order_id, seq);
  oms_order_t c;
  if (oms_engine_get_by_clordid(e, po->strategy_id, id, &c) != 0) return 0;
  const oms_order_t *live = oms__engine_order(e, c.order_id);
  if (live == NULL || oms_ord_state_is_terminal(live->state) ||
      live->parent_order_id != po->order_id)
    return 0;
  *vi = oms_sor_book_venue(S->book, live->venue);
  return live->order_id;
}

int oms__sor_recovered(oms__sor_t *S, oms_engine_t *e) {
  if (S->active == 0) return 0;
  oms_store_t *store = oms__engine_store(e);
  uint64_t from = UINT64_MAX;
  for (uint32_t ri = 0; ri < S->cap; ri++) {
    if (S->rec[ri].order_id == 0) continue;
    if (oms_store_events_for_order(store, S->rec[ri].order_id, first_seq, &from) < 0)
      return OMS_ESTORE;
  }
  if (from != UINT64_MAX && oms_store_events_from(store, from, 0, take_record, S) < 0)
    return OMS_ESTORE;
  for (uint32_t ri = 0; ri < S->cap; ri++) {
    srec_t *r = &S->rec[ri];
    const oms_order_t *po = r->order_id ? oms__engine_order(e, r->order_id) : NULL;
    if (r->order_id == 0) continue;
    if (!r->present || po == NULL) { /* no record journaled: cancel only */
      rec_free(S, ri);
      continue;
    }
    oms_order_t parent = *po;
    for (int v = 0; v < OMS_SOR_MAX_VENUES; v++) {
      skid_t *k = &r->kid[v];
      if (k->seq == 0 || k->order_id != 0) continue;
      int vi = -1;
      uint64_t id = open_child(e, &parent, k->seq, &vi, S);
      if (id == 0) {
        /* never reached the store, or ended: what it held beyond its
         * fills goes back to the parent */
        r->alloc.raw -= k->qty.raw - k->cum.raw;
        k->seq = 0;
        continue;
      }
      k->order_id = id;
      if (vi >= 0 && vi != v && r->kid[vi].seq == 0) { /* the venues were listed anew */
        r->kid[vi] = *k;
        memset(k, 0, sizeof(*k));
      }
    }
    assert(sor_check(r));
    r->held = true;
    S->held++;
    /* the children were loaded as whatever the venue last said; the
     * reconciliation that follows brings their news as events */
    mark_dirty(S, ri);
  }
  return 0;
}
