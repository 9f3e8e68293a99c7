/*
 * router.c - venue selection, conversion, rate limiting, acknowledgement
 * timeouts and connection state; see route.h for the contract.
 *
 * NOTES ON THE DESIGN
 *
 * Everything is sized at creation: the venues array, per venue two bounded
 * rings of waiting messages (cancels, and the rest) and the symbol map, and
 * one pool of in-flight entries shared by all venues. Sending allocates
 * nothing.
 *
 * The token bucket counts in nanotokens (one message = 10^9) so that refill
 * is exact integer arithmetic on the injected clock: elapsed_ns * rate.
 *
 * In-flight orders (sent, no report yet) sit in a per-venue intrusive list in
 * deadline order. Every venue has a single timeout, so appending at the tail
 * keeps the list sorted, an acknowledgement unlinks in O(1), and poll() only
 * looks at the head. A timed-out entry gets a status query and goes back to
 * the tail with a new deadline; it stays until the venue reports anything.
 *
 * An in-flight entry is found by its order id without a hash: order ids are
 * handed out one after the other, so the orders in flight at once hold
 * distinct low bits, and entry `order_id & dmask` of a direct table (a power
 * of two at least max_inflight, free while its order_id is 0) is the
 * order's. Only an order whose slot is still held by one sent long before
 * goes to the overflow pool (max_inflight entries after the table, a free
 * list and a u64map), which lookups consult only while it holds anything.
 * At most max_inflight orders are tracked, wherever they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strkey.h"
#include "core/u64map.h"
#include "oms/error.h"
#include "oms/route.h"

#define NANOTOKEN INT64_C(1000000000)
#define NIL UINT32_MAX

typedef struct msg_s {
  int kind;
  bool dead; /* a queued new order cancelled before it was sent */
  uint64_t order_id;
  oms_venue_order_t vo;       /* OMS_ROUTE_NEW */
  oms_dec_t qty, price, stop; /* OMS_ROUTE_REPLACE */
} msg_t;

typedef struct ring_s {
  msg_t *m;
  uint32_t cap, head, count;
} ring_t;

typedef struct symmap_s {
  char symbol[OMS_SYMBOL_MAX + 1];
  char venue_symbol[OMS_SYMBOL_MAX + 1];
  oms_dec_t tick, lot;
} symmap_t;

typedef struct rvenue_s {
  oms_venue_t *v;
  oms__strkey_t key; /* v->name's */
  oms_venue_route_config_t cfg;
  int64_t tokens; /* nanotokens */
  int64_t refill_ns;
  ring_t cancels, others;
  symmap_t *syms;
  uint32_t nsyms, cap_syms;
  uint32_t head, tail; /* in-flight list in deadline order */
  uint32_t index;      /* in venues: tracking needs it, not a division */
  bool connected;
  bool ready; /* reconciled: new orders may go */
  oms_route_stats_t st;
} rvenue_t;

typedef struct inflight_s {
  uint64_t order_id;
  int64_t deadline_ns;
  uint32_t prev, next, venue;
  bool unknown;
} inflight_t;

struct oms_router_s {
  rvenue_t *venues;
  uint32_t nvenues, max_venues;
  inflight_t *inf;        /* the direct table [0, dmask], then the overflow pool */
  uint32_t dmask;         /* the direct table's size - 1 */
  uint32_t ninf, max_inf; /* tracked, at most */
  uint32_t free_inf;      /* the overflow pool's free list */
  oms__u64map_t inf_map;  /* order_id -> index in inf, for the overflow pool */
  oms_router_hooks_t hooks;
};

/* ---- rings --------------------------------------------------------------- */

static int ring_init(ring_t *q, uint32_t cap) {
  q->cap = cap;
  q->head = q->count = 0;
  q->m = cap ? oms__calloc(cap, sizeof(msg_t)) : NULL;
  return cap && q->m == NULL ? OMS_ENOMEM : 0;
}

static msg_t *ring_push(ring_t *q) {
  if (q->count == q->cap) return NULL;
  msg_t *m = &q->m[(q->head + q->count) % q->cap];
  q->count++;
  return m;
}

static msg_t *ring_front(ring_t *q) { return q->count ? &q->m[q->head] : NULL; }

static void ring_pop(ring_t *q) {
  q->head = (q->head + 1) % q->cap;
  q->count--;
}

/* ---- lifecycle ----------------------------------------------------------- */

int oms_router_create(uint32_t max_venues, uint32_t max_inflight, const oms_router_hooks_t *hooks,
                      oms_router_t **out) {
  *out = NULL;
  if (max_venues == 0 || max_inflight == 0) return OMS_EINVAL;
  /* The table and the pool are indexed below NIL. */
  uint64_t direct = 1;
  while (direct < max_inflight) direct <<= 1;
  if (direct + max_inflight >= NIL) return OMS_ENOMEM;
  oms_router_t *r = oms__calloc(1, sizeof(*r));
  if (r == NULL) return OMS_ENOMEM;
  r->max_venues = max_venues;
  r->venues = oms__calloc(max_venues, sizeof(rvenue_t));
  r->inf = oms__calloc(direct + max_inflight, sizeof(inflight_t));
  if (r->venues == NULL || r->inf == NULL || oms__u64map_init(&r->inf_map, max_inflight) != 0) {
    oms_router_destroy(r);
    return OMS_ENOMEM;
  }
  r->dmask = (uint32_t)(direct - 1);
  r->max_inf = max_inflight;
  uint32_t first = (uint32_t)direct, end = first + max_inflight;
  for (uint32_t i = first; i < end; i++) r->inf[i].next = i + 1 < end ? i + 1 : NIL;
  r->free_inf = first;
  if (hooks != NULL) r->hooks = *hooks;
  *out = r;
  return 0;
}

void oms_router_destroy(oms_router_t *r) {
  if (r == NULL) return;
  for (uint32_t i = 0; i < r->nvenues; i++) {
    rvenue_t *rv = &r->venues[i];
    oms_venue_destroy(rv->v);
    oms__free(rv->cancels.m);
    oms__free(rv->others.m);
    oms__free(rv->syms);
  }
  oms__free(r->venues);
  oms__free(r->inf);
  oms__u64map_close(&r->inf_map);
  oms__free(r);
}

static rvenue_t *find_venue(const oms_router_t *r, const char *name) {
  for (uint32_t i = 0; i < r->nvenues; i++)
    if (strcmp(r->venues[i].v->name, name) == 0) return &r->venues[i];
  return NULL;
}

/* oms__strkey_match(k, venue) for a venue's name, which has one or two
 * words (OMS_VENUE_MAX + 1 is 16 bytes): no loop over the words. */
_Static_assert(OMS_VENUE_MAX + 1 == 16, "a venue's name is two words");
static inline bool venue_match(const oms__strkey_t *k, const char *venue) {
  uint64_t x0, x1;
  memcpy(&x0, venue, sizeof x0);
  if (k->n == 1) return ((x0 ^ k->w[0]) & k->mask) == 0;
  memcpy(&x1, venue + 8, sizeof x1);
  return k->n == 2 && x0 == k->w[0] && ((x1 ^ k->w[1]) & k->mask) == 0;
}

/* The venue of o, found by the words of its name (core/strkey.h): twice on
 * every submission, so no strcmp. */
static rvenue_t *order_venue(const oms_router_t *r, const oms_order_t *o) {
  for (uint32_t i = 0; i < r->nvenues; i++)
    if (venue_match(&r->venues[i].key, o->venue)) return &r->venues[i];
  return NULL;
}

int oms_router_add_venue(oms_router_t *r, oms_venue_t *v, const oms_venue_route_config_t *cfg) {
  int rc = 0;
  if (v == NULL) return OMS_EINVAL;
  if (find_venue(r, v->name) != NULL) {
    rc = OMS_EEXIST;
    goto fail;
  }
  if (r->nvenues == r->max_venues) {
    rc = OMS_EFULL;
    goto fail;
  }
  rvenue_t *rv = &r->venues[r->nvenues];
  memset(rv, 0, sizeof(*rv));
  if (cfg != NULL) rv->cfg = *cfg;
  if (rv->cfg.burst == 0) rv->cfg.burst = rv->cfg.msgs_per_sec ? rv->cfg.msgs_per_sec : 1;
  if (rv->cfg.ack_timeout_ns <= 0) rv->cfg.ack_timeout_ns = NANOTOKEN;
  /* Cancels get a ring as large as the other one, and at least 64: a cancel
   * must not be refused because new orders filled the queue. */
  uint32_t qcap = rv->cfg.queue_capacity;
  if (ring_init(&rv->others, qcap) != 0 || ring_init(&rv->cancels, qcap < 64 ? 64 : qcap) != 0) {
    oms__free(rv->others.m);
    oms__free(rv->cancels.m);
    rc = OMS_ENOMEM;
    goto fail;
  }
  rv->v = v;
  rv->index = r->nvenues;
  oms__strkey_from_str(v->name, sizeof v->name, &rv->key);
  rv->tokens = (int64_t)rv->cfg.burst * NANOTOKEN;
  rv->connected = oms_venue_is_connected(v);
  rv->ready = true;
  rv->head = rv->tail = NIL;
  r->nvenues++;
  return 0;
fail:
  oms_venue_destroy(v);
  return rc;
}

oms_venue_t *oms_router_venue(oms_router_t *r, const char *name) {
  rvenue_t *rv = find_venue(r, name);
  return rv ? rv->v : NULL;
}

int oms_router_map_symbol(oms_router_t *r, const char *venue, const char *symbol,
                          const char *venue_symbol, oms_dec_t venue_tick, oms_dec_t venue_lot) {
  rvenue_t *rv = find_venue(r, venue);
  if (rv == NULL) return OMS_ENOTFOUND;
  if (strlen(symbol) > OMS_SYMBOL_MAX || strlen(venue_symbol) > OMS_SYMBOL_MAX ||
      oms_dec_is_neg(venue_tick) || oms_dec_is_neg(venue_lot))
    return OMS_EINVAL;
  symmap_t *m = NULL;
  for (uint32_t i = 0; i < rv->nsyms; i++)
    if (strcmp(rv->syms[i].symbol, symbol) == 0) m = &rv->syms[i];
  if (m == NULL) {
    if (rv->nsyms == rv->cap_syms) {
      uint32_t cap = rv->cap_syms ? rv->cap_syms * 2 : 8;
      symmap_t *n = oms__realloc(rv->syms, cap * sizeof(symmap_t));
      if (n == NULL) return OMS_ENOMEM;
      rv->syms = n;
      rv->cap_syms = cap;
    }
    m = &rv->syms[rv->nsyms++];
  }
  strcpy(m->symbol, symbol);
  strcpy(m->venue_symbol, venue_symbol);
  m->tick = venue_tick;
  m->lot = venue_lot;
  return 0;
}

/* ---- conversion ---------------------------------------------------------- */

static oms_reason_t convert_mapped(const rvenue_t *rv, const oms_order_t *o, oms_venue_order_t *vo,
                                   oms_reject_t *rej);

/* Writes o in the venue's format into vo. Returns OMS_R_NONE, or a reason
 * with rej set. Inline: every new order is converted once. */
static inline oms_reason_t convert(const rvenue_t *rv, const oms_order_t *o, oms_venue_order_t *vo,
                                   oms_reject_t *rej) {
  /* Every field is written, the native ones zero (native_of sets them for a
   * child): no memset of the whole struct first. */
  vo->order_id = o->order_id;
  memcpy(vo->account_id, o->account_id, sizeof(vo->account_id));
  memcpy(vo->symbol, o->symbol, sizeof(vo->symbol));
  vo->side = o->side;
  vo->type = o->type;
  vo->tif = o->tif;
  vo->instructions = o->instructions;
  vo->qty = o->qty;
  vo->price = o->price;
  vo->stop_price = o->stop_price;
  vo->expire_ns = o->expire_ns;
  vo->native = 0;
  vo->display_qty = vo->trail_offset = OMS_DEC_ZERO;
  return rv->nsyms > 0 ? convert_mapped(rv, o, vo, rej) : OMS_R_NONE;
}

/* The part of convert() for a venue that maps symbols: vo holds o's fields
 * and is given the venue's symbol, price and quantity if o's symbol is
 * mapped. Out of line: most venues map none. */
static __attribute__((noinline)) oms_reason_t convert_mapped(const rvenue_t *rv,
                                                             const oms_order_t *o,
                                                             oms_venue_order_t *vo,
                                                             oms_reject_t *rej) {
  const symmap_t *m = NULL;
  for (uint32_t i = 0; i < rv->nsyms && m == NULL; i++)
    if (strcmp(rv->syms[i].symbol, o->symbol) == 0) m = &rv->syms[i];
  if (m == NULL) return OMS_R_NONE;
  strcpy(vo->symbol, m->venue_symbol);
  /* Round against nobody: a buy never pays more, a sell never gets less. */
  oms_round_t pr = o->side == OMS_SIDE_BUY ? OMS_ROUND_FLOOR : OMS_ROUND_CEIL;
  if (oms_dec_is_pos(m->tick)) {
    if (oms_dec_is_pos(vo->price)) oms_dec_quantize(vo->price, m->tick, pr, &vo->price);
    if (oms_dec_is_pos(vo->stop_price))
      oms_dec_quantize(vo->stop_price, m->tick, pr, &vo->stop_price);
  }
  if (oms_dec_is_pos(m->lot)) oms_dec_quantize(vo->qty, m->lot, OMS_ROUND_DOWN, &vo->qty);
  if (!oms_dec_is_pos(vo->qty))
    return oms_reject_set(rej, OMS_R_LOT_SIZE, "quantity rounds to zero at venue %s lot",
                          rv->v->name);
  if ((o->type == OMS_ORD_LIMIT || o->type == OMS_ORD_STOP_LIMIT) && !oms_dec_is_pos(vo->price))
    return oms_reject_set(rej, OMS_R_TICK_SIZE, "price rounds to zero at venue %s tick",
                          rv->v->name);
  return OMS_R_NONE;
}

oms_reason_t oms_router_convert(oms_router_t *r, const oms_order_t *o, oms_venue_order_t *out,
                                oms_reject_t *rej) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL)
    return oms_reject_set(rej, OMS_R_UNKNOWN_VENUE, "no connector for venue %s", o->venue);
  return convert(rv, o, out, rej);
}

/* Whether o converts for a venue that maps symbols. Out of line: the check
 * of a venue that maps none (the usual) keeps no venue order on its stack. */
static __attribute__((noinline)) oms_reason_t converts(const rvenue_t *rv, const oms_order_t *o,
                                                       oms_reject_t *rej) {
  oms_venue_order_t vo;
  return convert(rv, o, &vo, rej);
}

oms_reason_t oms_router_check_new(oms_router_t *r, const oms_order_t *o, oms_reject_t *rej) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL)
    return oms_reject_set(rej, OMS_R_UNKNOWN_VENUE, "no connector for venue %s", o->venue);
  if (rv->nsyms > 0) {
    oms_reason_t why = converts(rv, o, rej);
    if (why != OMS_R_NONE) return why;
  }
  if (!rv->connected && !oms_venue_is_connected(rv->v))
    return oms_reject_set(rej, OMS_R_VENUE_DOWN, "venue %s is not connected", o->venue);
  return OMS_R_NONE;
}

/* ---- in-flight tracking -------------------------------------------------- */

static void inf_unlink(oms_router_t *r, uint32_t i) {
  inflight_t *e = &r->inf[i];
  rvenue_t *rv = &r->venues[e->venue];
  if (e->prev != NIL)
    r->inf[e->prev].next = e->next;
  else
    rv->head = e->next;
  if (e->next != NIL)
    r->inf[e->next].prev = e->prev;
  else
    rv->tail = e->prev;
  e->prev = e->next = NIL;
}

static void inf_append(oms_router_t *r, rvenue_t *rv, uint32_t i) {
  inflight_t *e = &r->inf[i];
  e->venue = rv->index;
  e->next = NIL;
  e->prev = rv->tail;
  if (rv->tail != NIL)
    r->inf[rv->tail].next = i;
  else
    rv->head = i;
  rv->tail = i;
}

/* The entry of order_id, or NIL. */
static inline uint32_t inf_find(const oms_router_t *r, uint64_t order_id) {
  uint32_t d = (uint32_t)order_id & r->dmask;
  if (r->inf[d].order_id == order_id && order_id != 0) return d;
  uint64_t idx;
  return r->inf_map.count > 0 && oms__u64map_get(&r->inf_map, order_id, &idx) ? (uint32_t)idx : NIL;
}

/* The entry order_id is to take when its slot d of the direct table is held
 * or the overflow pool holds anything; NIL when it is tracked already. Out
 * of line: most orders find their slot free and the pool empty. */
static __attribute__((noinline)) uint32_t track_slot(oms_router_t *r, uint64_t order_id,
                                                     uint32_t d) {
  if (r->inf[d].order_id == order_id) return NIL; /* already tracked */
  if (r->inf[d].order_id != 0) {
    /* Its slot is held: the overflow pool, which has room for as many as
     * may be tracked; the map, sized for it, refuses only a tracked id. */
    uint32_t i = r->free_inf;
    if (oms__u64map_add(&r->inf_map, order_id, i) != 1) return NIL; /* already tracked */
    r->free_inf = r->inf[i].next;
    return i;
  }
  uint64_t idx;
  return oms__u64map_get(&r->inf_map, order_id, &idx) ? NIL : d; /* tracked in the pool? */
}

/* Inline: every order sent is tracked, and the rare cases are in track_slot. */
static inline void track(oms_router_t *r, rvenue_t *rv, uint64_t order_id, int64_t now_ns) {
  /* Full: the venue's own reports still settle it. */
  if (order_id == 0 || r->ninf == r->max_inf) return;
  uint32_t i = (uint32_t)order_id & r->dmask;
  if ((r->inf[i].order_id != 0 || r->inf_map.count > 0) && (i = track_slot(r, order_id, i)) == NIL)
    return;
  inflight_t *e = &r->inf[i];
  e->order_id = order_id;
  e->deadline_ns = now_ns + rv->cfg.ack_timeout_ns;
  e->unknown = false;
  inf_append(r, rv, i);
  r->ninf++;
  rv->st.inflight++;
}

int oms_router_track_unknown(oms_router_t *r, const oms_order_t *o, int64_t now_ns) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL) return OMS_ENOTFOUND;
  uint32_t idx = inf_find(r, o->order_id);
  if (idx == NIL) {
    if (r->ninf == r->max_inf) return OMS_EFULL;
    track(r, rv, o->order_id, now_ns);
    if ((idx = inf_find(r, o->order_id)) == NIL) return OMS_EFULL;
  }
  r->inf[idx].unknown = true;
  if (rv->connected && oms_venue_query_status(rv->v, o->order_id) == 0) rv->st.status_queries++;
  return 0;
}

int oms_router_track_unknown_later(oms_router_t *r, const oms_order_t *o, int64_t now_ns) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL) return OMS_ENOTFOUND;
  uint32_t idx = inf_find(r, o->order_id);
  if (idx == NIL) {
    track(r, rv, o->order_id, now_ns);
    if ((idx = inf_find(r, o->order_id)) == NIL) return OMS_EFULL;
  }
  r->inf[idx].unknown = true;
  return 0;
}

void oms_router_acknowledged(oms_router_t *r, uint64_t order_id) {
  uint32_t i = inf_find(r, order_id);
  if (i == NIL) return;
  r->venues[r->inf[i].venue].st.inflight--;
  inf_unlink(r, i);
  r->inf[i].order_id = 0;
  r->ninf--;
  if (i <= r->dmask) return;
  oms__u64map_del(&r->inf_map, order_id);
  r->inf[i].next = r->free_inf;
  r->free_inf = i;
}

static void mark_unknown(oms_router_t *r, uint32_t i, const char *why) {
  inflight_t *e = &r->inf[i];
  e->unknown = true;
  if (r->hooks.on_status_unknown) r->hooks.on_status_unknown(r->hooks.ctx, e->order_id, why);
}

/* ---- sending ------------------------------------------------------------- */

static void refill(rvenue_t *rv, int64_t now_ns) {
  if (rv->cfg.msgs_per_sec == 0) return;
  int64_t cap = (int64_t)rv->cfg.burst * NANOTOKEN;
  if (now_ns > rv->refill_ns) {
    __int128 add = (__int128)(now_ns - rv->refill_ns) * rv->cfg.msgs_per_sec;
    int64_t t = add > cap ? cap : rv->tokens + (int64_t)add;
    rv->tokens = t > cap ? cap : t;
  }
  rv->refill_ns = now_ns;
}

static bool take_token(rvenue_t *rv, int64_t now_ns) {
  if (rv->cfg.msgs_per_sec == 0) return true;
  refill(rv, now_ns);
  if (rv->tokens < NANOTOKEN) return false;
  rv->tokens -= NANOTOKEN;
  return true;
}

static int transmit(oms_router_t *r, uint32_t vi, const msg_t *m, int64_t now_ns) {
  rvenue_t *rv = &r->venues[vi];
  int rc;
  switch (m->kind) {
    case OMS_ROUTE_NEW:
      rc = oms_venue_send_new(rv->v, &m->vo);
      if (rc == 0) {
        rv->st.sent_new++;
        track(r, rv, m->order_id, now_ns);
      }
      return rc;
    case OMS_ROUTE_CANCEL:
      rc = oms_venue_send_cancel(rv->v, m->order_id);
      if (rc == 0) rv->st.sent_cancel++;
      return rc;
    default:
      rc = oms_venue_send_replace(rv->v, m->order_id, m->qty, m->price, m->stop);
      if (rc == 0) rv->st.sent_replace++;
      return rc;
  }
}

/* Cold: a refusal is off the path of the orders that go. */
static __attribute__((cold, noinline)) int refuse(oms_reject_t *rej, oms_reason_t code,
                                                  const char *fmt, const char *venue) {
  oms_reject_set(rej, code, fmt, venue);
  return OMS_EREJECTED;
}

static __attribute__((cold, noinline)) int not_sent(rvenue_t *rv, int rc, oms_reject_t *rej);

/* The outcome of a message the connector was given now, rc its answer: 0,
 * or OMS_EREJECTED with rej set. */
static inline int sent(rvenue_t *rv, int rc, oms_reject_t *rej) {
  return rc == 0 ? 0 : not_sent(rv, rc, rej);
}

/* sent() when the connector refused. */
static int not_sent(rvenue_t *rv, int rc, oms_reject_t *rej) {
  if (rc == OMS_EDOWN) {
    rv->st.refused_down++;
    return refuse(rej, OMS_R_VENUE_DOWN, "venue %s is not connected", rv->v->name);
  }
  oms_reject_set(rej, OMS_R_VENUE_REJECT, "venue %s refused the message: %s", rv->v->name,
                 oms_strerror(rc));
  return OMS_EREJECTED;
}

/* Sends m now if the venue is up and a token is free and nothing of its
 * class waits before it; queues it otherwise, or refuses. */
static int dispatch(oms_router_t *r, rvenue_t *rv, const msg_t *m, int64_t now_ns,
                    oms_reject_t *rej) {
  uint32_t vi = (uint32_t)(rv - r->venues);
  bool is_cancel = m->kind == OMS_ROUTE_CANCEL;
  ring_t *q = is_cancel ? &rv->cancels : &rv->others;
  if (!rv->connected) {
    if (m->kind == OMS_ROUTE_NEW && !rv->cfg.hold_when_down) {
      rv->st.refused_down++;
      return refuse(rej, OMS_R_VENUE_DOWN, "venue %s is not connected", rv->v->name);
    }
    if (!is_cancel && m->kind != OMS_ROUTE_NEW) {
      rv->st.refused_down++;
      return refuse(rej, OMS_R_VENUE_DOWN, "venue %s is not connected", rv->v->name);
    }
  } else if (!rv->ready && !is_cancel) {
    /* Reconciling: nothing new goes before the OMS and the venue agree. */
    if (m->kind == OMS_ROUTE_NEW &&
        (rv->cfg.refuse_until_reconciled || rv->others.count == rv->others.cap)) {
      rv->st.refused_down++;
      return refuse(rej, OMS_R_VENUE_DOWN, "venue %s is reconciling", rv->v->name);
    }
  } else {
    bool waiting = rv->cancels.count > 0 || (!is_cancel && rv->others.count > 0);
    if (!waiting && take_token(rv, now_ns)) return sent(rv, transmit(r, vi, m, now_ns), rej);
  }
  msg_t *slot = ring_push(q);
  if (slot == NULL) {
    rv->st.refused_full++;
    return refuse(rej, OMS_R_VENUE_QUEUE_FULL, "venue %s rate limit queue is full", rv->v->name);
  }
  *slot = *m;
  rv->st.queued++;
  return OMS_ROUTE_QUEUED;
}

/* Whether a new order of rv goes now, dispatch's sending branch without
 * building its message: up, reconciled, nothing waiting, a token free. */
static inline bool goes_now(rvenue_t *rv, int64_t now_ns) {
  return rv->connected && rv->ready && rv->cancels.count == 0 && rv->others.count == 0 &&
         take_token(rv, now_ns);
}

/* The new order o the connector was given now, rc its answer. */
static inline int sent_new(oms_router_t *r, rvenue_t *rv, const oms_order_t *o, int rc,
                           int64_t now_ns, oms_reject_t *rej) {
  if (rc == 0) {
    rv->st.sent_new++;
    track(r, rv, o->order_id, now_ns);
  }
  return sent(rv, rc, rej);
}

int oms_router_send_new(oms_router_t *r, const oms_order_t *o, int64_t now_ns, oms_reject_t *rej) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL) return refuse(rej, OMS_R_UNKNOWN_VENUE, "no connector for venue %s", o->venue);
  /* The usual case: a venue that maps no symbol takes the order as it is
   * (its conversion would be a copy) when no native type is to be set. */
  const oms_venue_vtbl_t *vt = rv->v->vt;
  if (rv->nsyms == 0 && vt->send_order != NULL &&
      (o->parent_order_id == 0 || r->hooks.native_of == NULL) && goes_now(rv, now_ns))
    return sent_new(r, rv, o, vt->send_order(rv->v, o), now_ns, rej);
  /* convert() writes the whole of m.vo: it is not cleared twice. */
  msg_t m;
  if (convert(rv, o, &m.vo, rej) != OMS_R_NONE) return OMS_EREJECTED;
  if (o->parent_order_id != 0 && r->hooks.native_of) r->hooks.native_of(r->hooks.ctx, o, &m.vo);
  /* (When the token is not free dispatch asks again at the same time, which
   * changes nothing, and queues.) */
  if (goes_now(rv, now_ns))
    return sent_new(r, rv, o, oms_venue_send_new(rv->v, &m.vo), now_ns, rej);
  m.kind = OMS_ROUTE_NEW;
  m.dead = false;
  m.order_id = o->order_id;
  m.qty = m.price = m.stop = OMS_DEC_ZERO;
  return dispatch(r, rv, &m, now_ns, rej);
}

int oms_router_send_cancel(oms_router_t *r, const oms_order_t *o, int64_t now_ns,
                           oms_reject_t *rej) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL) return refuse(rej, OMS_R_UNKNOWN_VENUE, "no connector for venue %s", o->venue);
  /* A new order still waiting in our queue never reached the venue: drop it. */
  for (uint32_t k = 0; k < rv->others.count; k++) {
    msg_t *m = &rv->others.m[(rv->others.head + k) % rv->others.cap];
    if (m->order_id == o->order_id && m->kind == OMS_ROUTE_NEW && !m->dead) {
      m->dead = true;
      rv->st.cancelled_locally++;
      return OMS_ROUTE_CANCELLED_LOCALLY;
    }
  }
  msg_t m = {.kind = OMS_ROUTE_CANCEL, .order_id = o->order_id};
  return dispatch(r, rv, &m, now_ns, rej);
}

int oms_router_send_replace(oms_router_t *r, const oms_order_t *o, oms_dec_t new_qty,
                            oms_dec_t new_price, oms_dec_t new_stop_price, int64_t now_ns,
                            oms_reject_t *rej) {
  rvenue_t *rv = order_venue(r, o);
  if (rv == NULL) return refuse(rej, OMS_R_UNKNOWN_VENUE, "no connector for venue %s", o->venue);
  msg_t m = {.kind = OMS_ROUTE_REPLACE,
             .order_id = o->order_id,
             .qty = new_qty,
             .price = new_price,
             .stop = new_stop_price};
  return dispatch(r, rv, &m, now_ns, rej);
}

/* ---- connection state and polling ---------------------------------------- */

void oms_router_venue_state(oms_router_t *r, const char *venue, bool connected, int64_t now_ns) {
  rvenue_t *rv = find_venue(r, venue);
  if (rv == NULL || rv->connected == connected) return;
  rv->connected = connected;
  if (!connected) {
    for (uint32_t i = rv->head; i != NIL; i = r->inf[i].next)
      if (!r->inf[i].unknown) mark_unknown(r, i, "venue disconnected with the order in flight");
    return;
  }
  /* Back up: ask about everything whose fate we do not know, oldest first.
   * Every entry gets the same new deadline, so the list stays in order. */
  for (uint32_t i = rv->head; i != NIL; i = r->inf[i].next) {
    r->inf[i].deadline_ns = now_ns + rv->cfg.ack_timeout_ns;
    if (r->inf[i].unknown && oms_venue_query_status(rv->v, r->inf[i].order_id) == 0)
      rv->st.status_queries++;
  }
}

void oms_router_venue_ready(oms_router_t *r, const char *venue, bool ready) {
  rvenue_t *rv = find_venue(r, venue);
  if (rv != NULL) rv->ready = ready;
}

static void drain(oms_router_t *r, uint32_t vi, int64_t now_ns) {
  rvenue_t *rv = &r->venues[vi];
  if (!rv->connected) return;
  ring_t *qs[2] = {&rv->cancels, &rv->others};
  for (int k = 0; k < (rv->ready ? 2 : 1); k++) {
    ring_t *q = qs[k];
    msg_t *m;
    while ((m = ring_front(q)) != NULL) {
      if (m->dead) {
        ring_pop(q);
        continue;
      }
      if (!take_token(rv, now_ns)) return;
      msg_t copy = *m;
      ring_pop(q);
      int rc = transmit(r, vi, &copy, now_ns);
      if (rc != 0 && r->hooks.on_send_failed)
        r->hooks.on_send_failed(r->hooks.ctx, copy.order_id, copy.kind, rc);
    }
  }
}

static void check_timeouts(oms_router_t *r, uint32_t vi, int64_t now_ns) {
  rvenue_t *rv = &r->venues[vi];
  if (!rv->connected) return;
  /* Entries re-armed below move to the tail with a later deadline, so the
   * loop ends; at most every entry is visited once. */
  uint32_t n = rv->st.inflight;
  while (n-- > 0 && rv->head != NIL && r->inf[rv->head].deadline_ns <= now_ns) {
    uint32_t i = rv->head;
    if (!r->inf[i].unknown) mark_unknown(r, i, "no acknowledgement within the timeout");
    if (oms_venue_query_status(rv->v, r->inf[i].order_id) == 0) rv->st.status_queries++;
    inf_unlink(r, i);
    r->inf[i].deadline_ns = now_ns + rv->cfg.ack_timeout_ns;
    inf_append(r, rv, i);
  }
}

int oms_router_poll(oms_router_t *r, int64_t now_ns) {
  int delivered = 0;
  for (uint32_t vi = 0; vi < r->nvenues; vi++) {
    drain(r, vi, now_ns);
    check_timeouts(r, vi, now_ns);
    int n = oms_venue_poll(r->venues[vi].v, now_ns);
    if (n > 0) delivered += n;
  }
  return delivered;
}

int oms_router_stats(const oms_router_t *r, const char *venue, oms_route_stats_t *out) {
  const rvenue_t *rv = find_venue(r, venue);
  if (rv == NULL) return OMS_ENOTFOUND;
  *out = rv->st;
  out->queue_depth = rv->cancels.count + rv->others.count;
  out->connected = rv->connected;
  return 0;
}
