/*
 * engine_group.c - contingent orders in the core: OCO, OUO, OTO and
 * brackets (entry, take-profit, stop-loss) driven by the engine on real
 * venue orders, journaled and recovered like parent orders.
 *
 * HOW IT WORKS
 *
 * A group is an order of the engine, the group order, never routed (its
 * algo is OMS_GROUP_ALGO_BASE + the kind). Its members are ordinary orders
 * that carry the group order's id in parent_order_id and, in child_seq,
 * 4k + i + 1: member i (0..2), its k-th order from 0 (a bracket's members
 * are .1, .2 and .3; an exit released again after it ended, or shrunk, is
 * a further order of the same member: .6, .7, ...). src/algo
 * (oms_algo_group_t) decides what each member should hold; this file only
 * makes the venue orders agree with it:
 *
 *   event    a member's event (a fill, its end) is applied to a copy of the
 *            group's state during the commit that stages it, and the new
 *            state is journaled in the same unit; the copy is installed
 *            once the unit is appended (as for a parent's children);
 *   sync     at the next poll, every member is compared with its order:
 *            LIVE without an open order gets one (quantity: what the member
 *            holds less what it filled); LIVE with an order too small gets
 *            a replace to the new total (once the venue acknowledged the
 *            order and nothing else is pending); a member being cancelled
 *            or shrunk gets a cancel, and after it a new order for what is
 *            left (a reduce, see THE OVER-CLOSE RACE). Nothing
 *            else sends: intents are never kept, so a restart finds the
 *            same work from the same state.
 *
 * HELD STOPS. For a venue named by oms_engine_set_stops_held(), a STOP or
 * STOP_LIMIT member is not sent when it goes live: its group joins a list
 * that market data walks, and the first trade at or through the stop sets
 * the member's triggered bit; the next sync sends it as MARKET (LIMIT).
 *
 * RISK. The group order is checked once at acceptance for what the group
 * can add to the position: the members on the first member's side (the
 * entry of a bracket, the primary of an OTO, the legs of an OCO/OUO),
 * summed, or the larger for OCO/OUO (only one works in full). Exits, on the
 * other side, reduce what the entry opened: they are children for risk
 * (per-order rules only, no exposure). An OCO's leg on the other side (a
 * straddle) opens an exposure the group order can not hold: risk sees its
 * order as an ordinary one (oms__groups_risk_view). The exposure legs'
 * fills are the position's as they happen, so the group order reserves
 * only what its live exposure members can still add (oms__groups_reserve);
 * it takes their fills when the group ends, in one FILL (so its cum and
 * average are theirs) and, short of its quantity, a cancel.
 *
 * THE OVER-CLOSE RACE. When a fill on one leg of an OUO (or a bracket's
 * exit) arrives while the other leg's reduce or cancel is on its way, the
 * other leg may fill at the venue for the quantity it had. The engine never
 * sends anything that could add to it: a reduce is a cancel and then a new
 * order for the rest (a fill during a pending cancel is taken up to the
 * order's size; the order's state machine would refuse one above a pending
 * replace's smaller size, losing a real fill), so a shrinking member is out
 * of the market for one round trip; a member grows by replace only when
 * nothing else is pending; and a fill for more than the group thinks
 * the leg holds is taken as the venue's truth (the leg held the old
 * quantity), after which the other legs are cut to what is left, at zero
 * cancelled. What two legs resting at the venue fill at the same instant
 * can only be ruled out by the venue itself: the excess is counted on the
 * group (over_closed, in its journaled state) and named on the group
 * order's last event.
 *
 * DURABILITY. The group's record (oms_algo_group_encode) is followed on
 * the event by 28 bytes of the engine's: the orders made per member (3
 * bytes) and the triggered bits of held stops (1 byte), the exposure legs'
 * notional (i128 at 10^-16) and the over-closed quantity (i64). A
 * member order's submission carries the state that counts it, so after a
 * kill -9 a member is LIVE with an open order (nothing to send), or LIVE
 * without one (its submission never reached the store: sent now, once), and
 * the same client order id (G<group>.<seq>) could not be used twice anyway.
 */
#include "engine/engine_group.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/u64map.h"
#include "engine/engine_risk.h"
#include "oms/error.h"

#define NIL UINT32_MAX
#define SCRATCH 4
#define TRAILER 28
#define BLOB_MAX (OMS_ALGO_GROUP_ENC_SIZE + TRAILER)
#define OMS_HELD_VENUES 16
/* made[3], the pad byte of the trailer: bit i set once member i's held stop
 * triggered (it is then sent as a market or limit order). */
#define TRIGGERED 3

_Static_assert(BLOB_MAX <= OMS_EVENT_ALGO_MAX, "a group's state fits an event");

typedef struct gstate_s {
  oms_algo_group_t g;
  uint8_t made[OMS_ALGO_GROUP_MAX + 1]; /* orders made per member (k); [TRIGGERED] */
  __int128 exp_notional;                /* exposure legs' fills, qty * px at 10^-16 */
  int64_t over_closed;                  /* filled beyond the group's quantity (raw) */
} gstate_t;

typedef struct grec_s {
  uint64_t order_id; /* the group order; 0 = free */
  gstate_t s;
  uint64_t leg[OMS_ALGO_GROUP_MAX]; /* each member's current order, 0 = none */
  uint64_t ins_key;                 /* its instrument, while a stop is held here */
  uint32_t next_dirty, next_free;
  uint32_t armed_prev, armed_next; /* on the list of groups holding a stop */
  int64_t retry_ns;                /* a refused exit is sent again from then (not journaled) */
  bool dirty, ending, present, halted, armed;
} grec_t;

typedef struct scratch_s {
  uint32_t rec;
  bool ends;
  gstate_t s;
  uint8_t blob[BLOB_MAX];
  char text[OMS_REASON_MAX + 1]; /* the group order's last words */
} scratch_t;

struct oms__groups_s {
  grec_t *rec;
  uint32_t cap, free_head, active;
  oms__u64map_t by_id;
  uint32_t dirty_head, dirty_tail;
  scratch_t scratch[SCRATCH];
  int nscratch;
  oms_algo_group_t pending; /* of the group being submitted */
  uint8_t blob[BLOB_MAX];
  char text[OMS_REASON_MAX + 1];
  uint32_t armed_head;                  /* groups with a stop held in the OMS */
  uint64_t held_venue[OMS_HELD_VENUES]; /* hashes of the venues without native stops */
  uint32_t nheld;
};

static const oms_order_t no_order;

/* ---- names ---------------------------------------------------------------- */

const char *oms_group_member_name(oms_algo_group_kind_t kind, uint32_t i) {
  static const char *const bracket[] = {"entry", "take_profit", "stop_loss"};
  static const char *const oto[] = {"primary", "contingent"};
  static const char *const pair[] = {"leg1", "leg2"};
  if (kind == OMS_GROUP_BRACKET && i < 3) return bracket[i];
  if (kind == OMS_GROUP_OTO && i < 2) return oto[i];
  if ((kind == OMS_GROUP_OCO || kind == OMS_GROUP_OUO) && i < 2) return pair[i];
  return "member";
}

const char *oms_group_kind_name(oms_algo_group_kind_t kind) {
  switch (kind) {
#define XX(name, num) \
  case OMS_GROUP_##name: return #name;
    OMS_ALGO_GROUP_MAP(XX)
#undef XX
    default: return "UNKNOWN";
  }
}

int oms_group_kind_parse(const char *s, oms_algo_group_kind_t *out) {
#define XX(name, num)          \
  if (strcmp(s, #name) == 0) { \
    *out = OMS_GROUP_##name;   \
    return 0;                  \
  }
  OMS_ALGO_GROUP_MAP(XX)
#undef XX
  return OMS_ENOTFOUND;
}

/* ---- lifecycle -------------------------------------------------------------- */

int oms__groups_create(uint32_t cap, oms__groups_t **out) {
  *out = NULL;
  oms__groups_t *G = oms__calloc(1, sizeof(*G));
  if (G == NULL) return OMS_ENOMEM;
  G->cap = cap;
  G->rec = oms__calloc(cap ? cap : 1, sizeof(grec_t));
  if (G->rec == NULL || oms__u64map_init(&G->by_id, cap ? cap : 1) != 0) goto fail;
  for (uint32_t i = 0; i < cap; i++) G->rec[i].next_free = i + 1 < cap ? i + 1 : NIL;
  G->free_head = cap ? 0 : NIL;
  G->dirty_head = G->dirty_tail = G->armed_head = NIL;
  *out = G;
  return 0;
fail:
  oms__groups_destroy(G);
  return OMS_ENOMEM;
}

void oms__groups_destroy(oms__groups_t *G) {
  if (G == NULL) return;
  oms__free(G->rec);
  oms__u64map_close(&G->by_id);
  oms__free(G);
}

static uint32_t rec_of(const oms__groups_t *G, uint64_t order_id) {
  uint64_t v;
  return oms__u64map_get(&G->by_id, order_id, &v) ? (uint32_t)v : NIL;
}

static uint32_t rec_alloc(oms__groups_t *G, uint64_t order_id) {
  uint32_t ri = G->free_head;
  if (ri == NIL) return NIL;
  grec_t *r = &G->rec[ri];
  G->free_head = r->next_free;
  memset(r, 0, sizeof(*r));
  r->order_id = order_id;
  r->next_dirty = r->armed_prev = r->armed_next = NIL;
  oms__u64map_put(&G->by_id, order_id, ri);
  G->active++;
  return ri;
}

static void disarm(oms__groups_t *G, uint32_t ri) {
  grec_t *r = &G->rec[ri];
  if (!r->armed) return;
  if (r->armed_prev != NIL)
    G->rec[r->armed_prev].armed_next = r->armed_next;
  else
    G->armed_head = r->armed_next;
  if (r->armed_next != NIL) G->rec[r->armed_next].armed_prev = r->armed_prev;
  r->armed = false;
  r->armed_prev = r->armed_next = NIL;
}

static void arm(oms__groups_t *G, uint32_t ri, const oms_order_t *go) {
  grec_t *r = &G->rec[ri];
  if (r->armed) return;
  r->ins_key = oms__hash_str(go->symbol, oms__hash_str(go->venue, 0x3c6ef372));
  r->armed = true;
  r->armed_prev = NIL;
  r->armed_next = G->armed_head;
  if (G->armed_head != NIL) G->rec[G->armed_head].armed_prev = ri;
  G->armed_head = ri;
}

static void rec_free(oms__groups_t *G, uint32_t ri) {
  disarm(G, ri);
  grec_t *r = &G->rec[ri];
  oms__u64map_del(&G->by_id, r->order_id);
  r->order_id = 0;
  r->next_free = G->free_head;
  G->free_head = ri;
  G->active--;
}

static void mark_dirty(oms__groups_t *G, uint32_t ri) {
  grec_t *r = &G->rec[ri];
  if (r->dirty) return;
  r->dirty = true;
  r->next_dirty = NIL;
  if (G->dirty_tail != NIL)
    G->rec[G->dirty_tail].next_dirty = ri;
  else
    G->dirty_head = ri;
  G->dirty_tail = ri;
}

/* ---- the journaled state ------------------------------------------------------ */

static int encode(const gstate_t *s, uint8_t *buf, size_t cap) {
  int n = oms_algo_group_encode(&s->g, buf, cap);
  if (n < 0 || (size_t)n + TRAILER > cap) return OMS_ENOSPC;
  uint8_t *p = buf + n;
  uint64_t lo = (uint64_t)s->exp_notional,
           hi = (uint64_t)((unsigned __int128)s->exp_notional >> 64);
  memcpy(p, s->made, 4);
  memcpy(p + 4, &lo, 8);
  memcpy(p + 12, &hi, 8);
  memcpy(p + 20, &s->over_closed, 8);
  return n + TRAILER;
}

static int decode(const uint8_t *buf, size_t len, gstate_t *s) {
  memset(s, 0, sizeof(*s));
  if (len < TRAILER + 2 || buf[0] != 'O' || buf[1] != 'G') return OMS_ECORRUPT;
  size_t n = len - TRAILER;
  if (oms_algo_group_decode(buf, n, &s->g) != 0) return OMS_ECORRUPT;
  uint64_t lo, hi;
  memcpy(s->made, buf + n, 4);
  memcpy(&lo, buf + n + 4, 8);
  memcpy(&hi, buf + n + 12, 8);
  memcpy(&s->over_closed, buf + n + 20, 8);
  s->exp_notional = (__int128)(((unsigned __int128)hi << 64) | lo);
  return 0;
}

/* ---- what the group adds to the position ------------------------------------------ */

static bool pair_kind(uint8_t kind) { return kind == OMS_GROUP_OCO || kind == OMS_GROUP_OUO; }

/* The quantity the group order reserves: see RISK above. */
static int64_t exposure_qty(const oms_algo_group_t *g) {
  int64_t q = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    if (g->m[i].side != g->m[0].side) continue;
    int64_t mq = g->m[i].max_qty.raw;
    q = pair_kind(g->kind) ? (mq > q ? mq : q) : q + mq;
  }
  return q;
}

static int64_t exposure_filled(const oms_algo_group_t *g) {
  int64_t f = 0;
  for (uint32_t i = 0; i < g->n; i++)
    if (g->m[i].side == g->m[0].side) f += g->m[i].filled.raw;
  return f;
}

/* What the legs filled beyond what the group allows: an OCO/OUO's legs
 * together beyond its quantity, a bracket's exits (an OTO's opposite
 * contingent) beyond what the entry filled. */
static int64_t over_closed(const oms_algo_group_t *g) {
  int64_t f0 = g->m[0].filled.raw, f1 = g->m[1].filled.raw;
  int64_t over = 0, q0 = g->m[0].max_qty.raw, q1 = g->m[1].max_qty.raw;
  if (pair_kind(g->kind))
    over = f0 + f1 - (q0 > q1 ? q0 : q1); /* the larger leg, the legs on either side */
  else if (g->kind == OMS_GROUP_BRACKET)
    over = f1 + g->m[2].filled.raw - f0;
  else if (g->m[1].side != g->m[0].side)
    over = f1 - f0;
  return over > 0 ? over : 0;
}

/* ---- submission ------------------------------------------------------------------- */

static int refuse(oms_submit_result_t *res, oms_reason_t code, const char *fmt, const char *a,
                  const char *b) {
  res->order = &no_order;
  oms_reject_set(&res->reject, code, fmt, a, b);
  return OMS_EREJECTED;
}

static void leg_request(const oms_order_request_t *base, const oms_group_leg_t *l,
                        oms_order_request_t *q) {
  *q = *base;
  q->side = l->side;
  q->type = l->type;
  q->tif = l->tif;
  q->qty = l->qty;
  q->price = l->price;
  q->stop_price = l->stop_price;
  q->expire_ns = l->tif == OMS_TIF_GTD ? base->expire_ns : 0;
  q->instructions = 0;
}

/* The rules between members (each member is validated alone before). */
static int check_shape(oms_algo_group_kind_t kind, const oms_group_leg_t *l,
                       oms_submit_result_t *res) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  if (kind == OMS_GROUP_OUO && l[1].side != l[0].side)
    return refuse(res, OMS_R_GROUP_SIDE,
                  "leg2: side must be leg1's (%s%s): an OUO's fills reduce one position",
                  oms_side_str(l[0].side), "");
  if (kind == OMS_GROUP_OTO && oms_dec_gt(l[1].qty, l[0].qty)) {
    oms_dec_format(l[1].qty, a, sizeof a);
    oms_dec_format(l[0].qty, b, sizeof b);
    return refuse(res, OMS_R_GROUP_QTY, "contingent: qty %s above the primary's %s", a, b);
  }
  if (kind != OMS_GROUP_BRACKET) return 0;
  for (uint32_t i = 1; i < 3; i++) {
    const char *who = oms_group_member_name(kind, i);
    if (l[i].side == l[0].side)
      return refuse(res, OMS_R_GROUP_SIDE, "%s: side must be opposite to the entry's (%s)", who,
                    oms_side_str(l[0].side));
    if (oms_dec_gt(l[i].qty, l[0].qty)) {
      oms_dec_format(l[i].qty, a, sizeof a);
      oms_dec_format(l[0].qty, b, sizeof b);
      oms_reject_set(&res->reject, OMS_R_GROUP_QTY, "%s: qty %s above the entry's %s", who, a, b);
      res->order = &no_order;
      return OMS_EREJECTED;
    }
  }
  if (l[1].type != OMS_ORD_LIMIT)
    return refuse(res, OMS_R_GROUP_EXIT_TYPE, "take_profit: type must be LIMIT, not %s%s",
                  oms_ord_type_str(l[1].type), "");
  if (l[2].type != OMS_ORD_STOP && l[2].type != OMS_ORD_STOP_LIMIT)
    return refuse(res, OMS_R_GROUP_EXIT_TYPE,
                  "stop_loss: type must be STOP or STOP_LIMIT, not %s%s",
                  oms_ord_type_str(l[2].type), "");
  /* A buy entry profits above and stops out below; a sell the reverse.
   * Against the entry's limit when it has one, and always each other. */
  bool buy = l[0].side == OMS_SIDE_BUY;
  oms_dec_t tp = l[1].price, sl = l[2].stop_price;
  if (buy ? !oms_dec_gt(tp, sl) : !oms_dec_lt(tp, sl)) {
    oms_dec_format(tp, a, sizeof a);
    oms_dec_format(sl, b, sizeof b);
    return refuse(res, OMS_R_GROUP_EXIT_PRICE,
                  buy ? "take_profit: price %s not above stop_loss's stop_price %s"
                      : "take_profit: price %s not below stop_loss's stop_price %s",
                  a, b);
  }
  oms_dec_t px = l[0].price;
  if (oms_dec_is_pos(px) && (l[0].type == OMS_ORD_LIMIT || l[0].type == OMS_ORD_STOP_LIMIT)) {
    oms_dec_format(px, b, sizeof b);
    if (buy ? !oms_dec_gt(tp, px) : !oms_dec_lt(tp, px)) {
      oms_dec_format(tp, a, sizeof a);
      return refuse(res, OMS_R_GROUP_EXIT_PRICE,
                    buy ? "take_profit: price %s not above the entry's price %s"
                        : "take_profit: price %s not below the entry's price %s",
                    a, b);
    }
    if (buy ? !oms_dec_lt(sl, px) : !oms_dec_gt(sl, px)) {
      oms_dec_format(sl, a, sizeof a);
      return refuse(res, OMS_R_GROUP_EXIT_PRICE,
                    buy ? "stop_loss: stop_price %s not below the entry's price %s"
                        : "stop_loss: stop_price %s not above the entry's price %s",
                    a, b);
    }
  }
  return 0;
}

static bool sync(oms__groups_t *G, oms_engine_t *e, uint32_t ri);
static bool held_here(const oms__groups_t *G, const char *venue);

int oms_engine_submit_group(oms_engine_t *e, const oms_order_request_t *req,
                            oms_algo_group_kind_t kind, const oms_group_leg_t *legs, uint32_t n,
                            oms_submit_result_t *res) {
  oms__groups_t *G = oms__engine_groups(e);
  res->order = &no_order;
  res->duplicate = false;
  res->check[0] = '\0';
  res->reject.code = OMS_R_NONE;
  res->reject.text[0] = '\0';
  if (kind < OMS_GROUP_OCO || kind > OMS_GROUP_BRACKET) {
    oms_reject_set(&res->reject, OMS_R_GROUP_KIND,
                   "contingency type %d is not 1 OCO, 2 OUO, 3 OTO "
                   "or 4 BRACKET",
                   (int)kind);
    return OMS_EREJECTED;
  }
  uint32_t want = kind == OMS_GROUP_BRACKET ? 3 : 2;
  if (legs == NULL || n != want) {
    oms_reject_set(&res->reject, OMS_R_GROUP_MEMBERS, "%s takes %u members, not %u",
                   oms_group_kind_name(kind), want, n);
    return OMS_EREJECTED;
  }
  const oms_instrument_t *ins = oms_engine_instrument(e, req->venue, req->symbol);
  int64_t now = oms__engine_now(e);
  for (uint32_t i = 0; i < n; i++) {
    oms_order_request_t q;
    leg_request(req, &legs[i], &q);
    oms_reject_t r;
    if (oms_request_validate(&q, ins, now, &r) != OMS_R_NONE) {
      oms_reject_set(&res->reject, r.code, "%s: %s", oms_group_member_name(kind, i), r.text);
      return OMS_EREJECTED;
    }
  }
  if (check_shape(kind, legs, res) != 0) return OMS_EREJECTED;
  oms_algo_member_t m[OMS_ALGO_GROUP_MAX];
  memset(m, 0, sizeof m);
  for (uint32_t i = 0; i < n; i++)
    m[i] = (oms_algo_member_t){.side = (uint8_t)legs[i].side,
                               .type = (uint8_t)legs[i].type,
                               .tif = (uint8_t)legs[i].tif,
                               .max_qty = legs[i].qty,
                               .price = legs[i].price,
                               .stop_price = legs[i].stop_price};
  oms_algo_out_t out;
  if (oms_algo_group_init(&G->pending, 0, kind, m, n, &out) != 0) {
    oms_reject_set(&res->reject, OMS_R_GROUP_MEMBERS, "%s members do not make a group",
                   oms_group_kind_name(kind));
    return OMS_EREJECTED;
  }
  /* The group as an order: the first member's side and price, the size it
   * can add to the position (RISK above); never routed. */
  oms_order_request_t r = *req;
  r.side = legs[0].side;
  r.qty = oms_dec_from_raw(exposure_qty(&G->pending));
  r.price = oms_dec_is_pos(legs[0].price) ? legs[0].price : legs[0].stop_price;
  r.type = oms_dec_is_pos(r.price) ? OMS_ORD_LIMIT : OMS_ORD_MARKET;
  r.stop_price = OMS_DEC_ZERO;
  r.tif = legs[0].tif == OMS_TIF_DAY ? OMS_TIF_DAY : OMS_TIF_GTC;
  r.expire_ns = 0;
  r.instructions = 0;
  oms__engine_make(e, 0, 0, OMS__GROUP_ALGO(kind));
  int rc = oms_engine_submit(e, &r, res);
  oms__engine_make(e, 0, 0, 0);
  if (rc == 0 && !res->duplicate) {
    uint64_t id = res->order->order_id;
    uint32_t ri = rec_of(G, id);
    /* its first members go now, behind the group order's own unit */
    if (ri != NIL) sync(G, e, ri);
    res->order = oms__engine_order(e, id);
  }
  return rc;
}

int oms__groups_open(oms__groups_t *G, const oms_order_t *o, uint8_t *blob, size_t cap) {
  uint32_t ri = rec_alloc(G, o->order_id);
  if (ri == NIL) return OMS_EFULL;
  grec_t *r = &G->rec[ri];
  r->s.g = G->pending;
  r->s.g.group_id = o->order_id;
  int len = encode(&r->s, blob, cap);
  if (len < 0) {
    rec_free(G, ri);
    return OMS_EINVAL;
  }
  return len;
}

void oms__groups_drop(oms__groups_t *G, uint64_t order_id) {
  uint32_t ri = rec_of(G, order_id);
  if (ri != NIL && !G->rec[ri].dirty)
    rec_free(G, ri);
  else if (ri != NIL)
    G->rec[ri].ending = true;
}

/* ---- members' events, within a commit ------------------------------------------------ */

static scratch_t *scratch_for(oms__groups_t *G, uint32_t ri) {
  for (int k = 0; k < G->nscratch; k++)
    if (G->scratch[k].rec == ri) return &G->scratch[k];
  if (G->nscratch == SCRATCH) return NULL;
  scratch_t *sc = &G->scratch[G->nscratch++];
  sc->rec = ri;
  sc->ends = false;
  sc->s = G->rec[ri].s;
  return sc;
}

static uint32_t member_of(uint32_t child_seq) { return (child_seq - 1) % 4; }

/* The changes that end the group order: the exposure legs' fills in one
 * FILL, then, short of its quantity, a cancel. */
static int end_changes(const grec_t *r, const gstate_t *s, const oms_order_t *go, int64_t ts,
                       oms_ord_change_t ch[2], char *text, size_t cap) {
  int n = 0;
  int64_t f = exposure_filled(&s->g);
  int64_t left = go->qty.raw - go->filled_qty.raw;
  if (f > left) f = left;
  if (f > 0) {
    oms_dec_t px = OMS_DEC_ZERO;
    /* notional at 10^-16 over qty at 10^-8: a price at 10^-8, half-even */
    __int128 q = s->exp_notional / f, rem = s->exp_notional % f;
    if (2 * rem > f || (2 * rem == f && (q & 1))) q++;
    px = oms_dec_from_raw((int64_t)q);
    ch[n++] = (oms_ord_change_t){
        .event = OMS_EV_FILL, .ts_ns = ts, .fill_qty = oms_dec_from_raw(f), .fill_px = px};
  }
  char oc[OMS_DEC_STRLEN] = "";
  if (s->over_closed > 0) oms_dec_format(oms_dec_from_raw(s->over_closed), oc, sizeof oc);
  snprintf(text, cap, "group %s %s%s%s", oms_group_kind_name((oms_algo_group_kind_t)s->g.kind),
           r->halted    ? "stopped by a halt"
           : s->g.ended ? "ended"
                        : "done",
           s->over_closed > 0 ? "; legs over-closed by " : "", oc);
  if (f < left) {
    ch[n] = (oms_ord_change_t){.event = OMS_EV_CANCEL_CONFIRM, .ts_ns = ts, .reason_text = text};
    if (r->halted) ch[n].reason = OMS_R_RISK_HALTED;
    n++;
  } else if (n > 0) {
    ch[n - 1].reason_text = text;
  }
  return n;
}

/* How long a refused exit waits before it is sent again. */
#define EXIT_RETRY_NS INT64_C(1000000000)

/* Refusals that pass by themselves: a price collar or a limit does not, and
 * an exit refused for one ends its group as before. */
static bool passing(oms_reason_t r) {
  return r == OMS_R_RISK_NO_REFERENCE_PRICE || r == OMS_R_RISK_STALE_REFERENCE_PRICE ||
         r == OMS_R_RISK_THROTTLE || r == OMS_R_VENUE_DOWN || r == OMS_R_VENUE_QUEUE_FULL;
}

/* Whether member i's order, just ended, is an exit the venue never saw:
 * refused by the OMS for a passing reason with nothing filled, while the
 * group still wants it. */
static bool exit_refused(const oms_algo_group_t *g, uint32_t i, const oms_event_t *ev) {
  const oms_order_t *o = &ev->order;
  return (g->kind == OMS_GROUP_BRACKET || g->kind == OMS_GROUP_OTO) && i > 0 &&
         o->state == OMS_STATE_REJECTED && !oms_dec_is_pos(o->filled_qty) && passing(ev->reason) &&
         g->m[i].state == OMS_MEMBER_LIVE && !g->m[i].cancelling && !g->ended;
}

int oms__groups_child_event(oms__groups_t *G, const oms_order_t *before, const oms_event_t *ev,
                            oms__parent_fx_t *fx) {
  const oms_order_t *o = &ev->order;
  uint32_t ri = rec_of(G, o->parent_order_id);
  if (ri == NIL || G->rec[ri].ending || o->child_seq == 0) return 0;
  scratch_t *sc = scratch_for(G, ri);
  if (sc == NULL) return 0;
  uint32_t i = member_of(o->child_seq);
  oms_algo_group_t *g = &sc->s.g;
  if (i >= g->n) return 0;
  memset(fx, 0, sizeof(*fx));
  fx->parent_id = o->parent_order_id;
  bool fill = (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED) &&
              oms_dec_is_pos(ev->fill.qty);
  bool ends = oms_ord_state_is_terminal(o->state) && !oms_ord_state_is_terminal(before->state);
  oms_algo_out_t out;
  if (fill) {
    oms_algo_member_t *m = &g->m[i];
    int64_t q = ev->fill.qty.raw, t = m->filled.raw + q;
    if (t > m->qty.raw) {
      /* The order held more than the group's view (a reduce in flight, a
       * fill after its end): the venue is right. */
      m->qty.raw = t > m->max_qty.raw ? m->max_qty.raw : t;
      q = m->qty.raw - m->filled.raw;
    }
    if (q > 0 && oms_algo_group_on_fill(g, i, oms_dec_from_raw(q), &out) == 0 &&
        m->side == g->m[0].side)
      sc->s.exp_notional += (__int128)q * ev->fill.price.raw;
    int64_t over = over_closed(g);
    if (over > sc->s.over_closed) sc->s.over_closed = over;
  }
  if (ends && exit_refused(g, i, ev)) {
    /* An exit (a bracket's take-profit or stop-loss, an OTO's contingent)
     * refused before it reached the venue stays live and is sent again a
     * second later: the position it protects is real, and the usual causes
     * pass (no reference price yet after a restart, a throttle, a venue
     * reconnecting: passing()). Each refusal is an event. */
    G->rec[ri].retry_ns = ev->event_ns + EXIT_RETRY_NS;
    ends = false;
  }
  if (ends) oms_algo_group_on_done(g, i, &out);
  if (oms_algo_group_is_done(g) && !sc->ends) {
    const grec_t *r = &G->rec[ri];
    sc->ends = true;
    /* the group order takes no fill before its end: its quantity is the
     * exposure and nothing of it is filled yet */
    oms_order_t go;
    memset(&go, 0, sizeof go);
    go.qty = oms_dec_from_raw(exposure_qty(g));
    fx->nch = end_changes(r, &sc->s, &go, ev->event_ns, fx->ch, sc->text, sizeof sc->text);
  }
  int len = encode(&sc->s, sc->blob, sizeof(sc->blob));
  fx->blob = sc->blob;
  fx->len = len > 0 ? (uint16_t)len : 0;
  return 1;
}

void oms__groups_commit(oms__groups_t *G) {
  for (int k = 0; k < G->nscratch; k++) {
    scratch_t *sc = &G->scratch[k];
    grec_t *r = &G->rec[sc->rec];
    r->s = sc->s;
    if (sc->ends) r->ending = true;
    mark_dirty(G, sc->rec);
  }
  G->nscratch = 0;
}

void oms__groups_abort(oms__groups_t *G) { G->nscratch = 0; }

/* ---- cancel and halt ----------------------------------------------------------------- */

int oms__groups_cancel(oms__groups_t *G, oms_engine_t *e, uint64_t order_id, bool halt,
                       oms_reject_t *rej) {
  uint32_t ri = rec_of(G, order_id);
  if (ri == NIL || G->rec[ri].ending) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "group %llu is ending", (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  grec_t *r = &G->rec[ri];
  gstate_t s = r->s;
  oms_algo_out_t out;
  if (oms_algo_group_cancel(&s.g, &out) != 0) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "group %llu has no member left to cancel",
                   (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  int64_t now = oms__engine_now(e);
  oms_ord_change_t ch[3] = {{.event = OMS_EV_CANCEL_REQUEST, .ts_ns = now}};
  int n = 1;
  bool done = oms_algo_group_is_done(&s.g);
  bool was_halted = r->halted;
  r->halted = halt;
  if (done) {
    const oms_order_t *go = oms__engine_order(e, order_id);
    n += end_changes(r, &s, go, now, ch + 1, G->text, sizeof G->text);
  }
  int len = encode(&s, G->blob, sizeof(G->blob));
  int rc = oms__engine_parent_apply(e, order_id, ch, n, G->blob, len > 0 ? (size_t)len : 0);
  if (rc != 0) {
    r->halted = was_halted;
    oms_reject_set(rej, OMS_R_STORE_FAILED, "group %llu not cancelled: %s",
                   (unsigned long long)order_id, oms_strerror(rc));
    return OMS_EREJECTED;
  }
  r->s = s;
  if (done) r->ending = true;
  /* the members' cancels go now: a halt must not wait for a poll */
  if (!done) sync(G, e, ri);
  rej->code = OMS_R_NONE;
  rej->text[0] = '\0';
  return 0;
}

/* ---- making the orders agree with the group -------------------------------------------- */

static void member_request(const oms_order_t *go, const oms_algo_member_t *m, uint32_t seq,
                           oms_dec_t qty, oms_order_request_t *q) {
  memset(q, 0, sizeof(*q));
  snprintf(q->client_order_id, sizeof(q->client_order_id), "G%llu.%u",
           (unsigned long long)go->order_id, seq);
  memcpy(q->strategy_id, go->strategy_id, sizeof(q->strategy_id));
  memcpy(q->account_id, go->account_id, sizeof(q->account_id));
  memcpy(q->venue, go->venue, sizeof(q->venue));
  memcpy(q->symbol, go->symbol, sizeof(q->symbol));
  q->side = (oms_side_t)m->side;
  q->type = (oms_ord_type_t)m->type;
  q->tif = (oms_tif_t)m->tif;
  q->qty = qty;
  if (q->type == OMS_ORD_LIMIT || q->type == OMS_ORD_STOP_LIMIT) q->price = m->price;
  if (q->type == OMS_ORD_STOP || q->type == OMS_ORD_STOP_LIMIT) q->stop_price = m->stop_price;
}

/* A member's order that can take a replace or a cancel now. */
static bool settled(const oms_order_t *o) {
  return o->state == OMS_STATE_ACCEPTED || o->state == OMS_STATE_PARTIALLY_FILLED ||
         o->state == OMS_STATE_TRIGGERED;
}

/* Ends group order ri once every member is done and no event ended it (a
 * member that never became an order). */
static void finish(oms__groups_t *G, oms_engine_t *e, uint32_t ri) {
  grec_t *r = &G->rec[ri];
  const oms_order_t *go = oms__engine_order(e, r->order_id);
  if (go == NULL || oms_ord_state_is_terminal(go->state)) {
    r->ending = true;
    return;
  }
  oms_ord_change_t ch[2];
  int n = end_changes(r, &r->s, go, oms__engine_now(e), ch, G->text, sizeof G->text);
  int len = encode(&r->s, G->blob, sizeof(G->blob));
  if (n > 0 &&
      oms__engine_parent_apply(e, r->order_id, ch, n, G->blob, len > 0 ? (size_t)len : 0) == 0)
    r->ending = true;
}

/* Makes the members' orders what the group wants. Returns false when all it
 * did was wait for a refused exit's retry (no work for the loop to count). */
static bool sync(oms__groups_t *G, oms_engine_t *e, uint32_t ri) {
  grec_t *r = &G->rec[ri];
  const oms_order_t *go = oms__engine_order(e, r->order_id);
  if (go == NULL || oms_ord_state_is_terminal(go->state)) {
    r->ending = true;
    return true;
  }
  oms_order_t gcopy = *go; /* submits below may move the pool's copy */
  bool holding = false, waiting = false;
  for (uint32_t i = 0; i < r->s.g.n && !r->ending; i++) {
    const oms_algo_member_t *m = &r->s.g.m[i];
    const oms_order_t *o = r->leg[i] ? oms__engine_order(e, r->leg[i]) : NULL;
    if (o != NULL && oms_ord_state_is_terminal(o->state)) o = NULL;
    if (o == NULL) r->leg[i] = 0;
    if (m->state != OMS_MEMBER_LIVE) {
      if (o != NULL && o->state != OMS_STATE_PENDING_CANCEL)
        oms__engine_cancel_child(e, o->order_id);
      continue;
    }
    if (o == NULL) {
      int64_t q = m->qty.raw - m->filled.raw;
      oms_algo_out_t out;
      bool stop = m->type == OMS_ORD_STOP || m->type == OMS_ORD_STOP_LIMIT;
      if (stop && !m->cancelling && q > 0 && held_here(G, gcopy.venue) &&
          !(r->s.made[TRIGGERED] & (1u << i))) {
        /* kept in the OMS until the market trades through its stop */
        arm(G, ri, &gcopy);
        holding = true;
        continue;
      }
      if (m->cancelling || q <= 0) {
        /* asked to end an order that was never made */
        oms_algo_group_on_done(&r->s.g, i, &out);
        mark_dirty(G, ri);
        continue;
      }
      if (oms__engine_now(e) < r->retry_ns) {
        waiting = true; /* a refused exit: sent again once the second has passed */
        continue;
      }
      if (r->s.made[i] == UINT8_MAX) { /* 255 orders of one member: it is done */
        oms_algo_group_on_done(&r->s.g, i, &out);
        mark_dirty(G, ri);
        continue;
      }
      uint32_t seq = 4u * r->s.made[i] + i + 1;
      r->s.made[i]++; /* journaled on the member's first event */
      oms_order_request_t q_;
      member_request(&gcopy, m, seq, oms_dec_from_raw(q), &q_);
      if (stop && (r->s.made[TRIGGERED] & (1u << i))) {
        /* a held stop that triggered goes as what a venue's stop becomes */
        q_.type = m->type == OMS_ORD_STOP ? OMS_ORD_MARKET : OMS_ORD_LIMIT;
        q_.stop_price = OMS_DEC_ZERO;
      }
      oms_submit_result_t res;
      oms__engine_make(e, r->order_id, seq, 0);
      oms_engine_submit(e, &q_, &res);
      oms__engine_make(e, 0, 0, 0);
      if (res.order->order_id != 0 && !res.duplicate && res.order->parent_order_id == r->order_id) {
        if (!oms_ord_state_is_terminal(res.order->state)) r->leg[i] = res.order->order_id;
      } else if (r->s.g.m[i].state == OMS_MEMBER_LIVE) {
        /* never became an order (no room, a name taken): it is done */
        oms_algo_group_on_done(&r->s.g, i, &out);
        mark_dirty(G, ri);
      }
      continue;
    }
    int64_t base = m->filled.raw - o->filled_qty.raw; /* the member's earlier orders */
    int64_t want = m->qty.raw - base;
    if (m->cancelling || want < o->qty.raw) {
      /* A shrink is a cancel, then a new order for what is left: a fill
       * during a pending cancel is taken up to the order's whole size, one
       * above a pending replace's smaller size could not be (the order's
       * state machine refuses it). The group hears the cancel as asked. */
      if (o->state != OMS_STATE_PENDING_CANCEL && o->state != OMS_STATE_PENDING_REPLACE) {
        r->s.g.m[i].cancelling = 1;
        if (oms__engine_cancel_child(e, o->order_id) != 0 && r->leg[i] != 0) mark_dirty(G, ri);
      }
    } else if (want > o->qty.raw && settled(o)) {
      /* a growth (the entry filled more): a replace, which a fill can not
       * overtake harmfully */
      if (oms__engine_replace_child(e, o->order_id, oms_dec_from_raw(want)) != 0) mark_dirty(G, ri);
    }
  }
  if (!holding) disarm(G, ri);
  if (waiting) mark_dirty(G, ri); /* looked at again on the next poll */
  if (!r->ending && oms_algo_group_is_done(&r->s.g)) finish(G, e, ri);
  return !waiting;
}

/* ---- stop-losses held in the OMS ---------------------------------------------------------- */

static uint64_t venue_key(const char *venue) { return oms__hash_str(venue, 0x3c6ef372); }

static bool held_here(const oms__groups_t *G, const char *venue) {
  if (G->nheld == 0) return false;
  uint64_t k = venue_key(venue);
  for (uint32_t i = 0; i < G->nheld; i++)
    if (G->held_venue[i] == k) return true;
  return false;
}

int oms_engine_set_stops_held(oms_engine_t *e, const char *venue, bool held) {
  oms__groups_t *G = oms__engine_groups(e);
  uint64_t k = venue_key(venue);
  for (uint32_t i = 0; i < G->nheld; i++) {
    if (G->held_venue[i] != k) continue;
    if (!held) G->held_venue[i] = G->held_venue[--G->nheld];
    return 0;
  }
  if (!held) return 0;
  if (G->nheld == OMS_HELD_VENUES) return OMS_EFULL;
  G->held_venue[G->nheld++] = k;
  return 0;
}

/* A trade on venue: every held stop of its instrument that it reaches
 * triggers (a sell stop at or below its stop price, a buy at or above),
 * and its group sends it at the next poll. */
void oms__groups_market_data(oms__groups_t *G, const char *venue, const oms_market_data_t *md) {
  if (G->armed_head == NIL || !oms_dec_is_pos(md->last_px)) return;
  uint64_t key = oms__hash_str(md->symbol, oms__hash_str(venue, 0x3c6ef372));
  for (uint32_t ri = G->armed_head; ri != NIL; ri = G->rec[ri].armed_next) {
    grec_t *r = &G->rec[ri];
    if (r->ins_key != key) continue;
    for (uint32_t i = 0; i < r->s.g.n; i++) {
      const oms_algo_member_t *m = &r->s.g.m[i];
      if (m->state != OMS_MEMBER_LIVE || r->leg[i] != 0 ||
          (m->type != OMS_ORD_STOP && m->type != OMS_ORD_STOP_LIMIT))
        continue;
      bool hit = m->side == OMS_SIDE_SELL ? oms_dec_le(md->last_px, m->stop_price)
                                          : oms_dec_ge(md->last_px, m->stop_price);
      if (!hit) continue;
      r->s.made[TRIGGERED] |= (uint8_t)(1u << i); /* journaled on its order's first event */
      mark_dirty(G, ri);
    }
  }
}

int oms__groups_poll(oms__groups_t *G, oms_engine_t *e) {
  if (G->active == 0 || G->dirty_head == NIL) return 0;
  uint32_t ri = G->dirty_head, last = G->dirty_tail;
  G->dirty_head = G->dirty_tail = NIL;
  int n = 0;
  while (ri != NIL) {
    grec_t *r = &G->rec[ri];
    uint32_t next = ri == last ? NIL : r->next_dirty;
    r->dirty = false;
    if (r->order_id != 0 && !r->ending && sync(G, e, ri)) n++;
    if (r->order_id != 0 && r->ending && !r->dirty) rec_free(G, ri);
    ri = next;
  }
  return n;
}

/* ---- risk ---------------------------------------------------------------------------------- */

bool oms__groups_reserve(const oms__groups_t *G, const oms_order_t *go, oms_order_t *adj) {
  uint32_t ri = rec_of(G, go->order_id);
  if (ri == NIL || oms_ord_state_is_terminal(go->state)) return false;
  /* What the exposure members can still add: their fills are the
   * position's from the moment they happen (the group order takes them only
   * at its end), and a member that ended adds nothing more. */
  const oms_algo_group_t *g = &G->rec[ri].s.g;
  int64_t q = 0;
  for (uint32_t i = 0; i < g->n; i++) {
    const oms_algo_member_t *m = &g->m[i];
    if (m->side != g->m[0].side || m->state == OMS_MEMBER_DONE) continue;
    int64_t left = m->max_qty.raw - m->filled.raw;
    if (left < 0) left = 0;
    q = pair_kind(g->kind) ? (left > q ? left : q) : q + left;
  }
  if (q >= go->leaves_qty.raw) return false;
  *adj = *go;
  adj->leaves_qty.raw = q;
  return true;
}

const oms_order_t *oms__groups_risk_view(oms_engine_t *e, const oms_order_t *o, oms_order_t *tmp) {
  if (o->child_seq == 0 || oms__engine_groups(e)->active == 0) return o;
  const oms_order_t *go = oms__engine_order(e, o->parent_order_id);
  bool own = go != NULL ? go->algo == OMS__GROUP_ALGO(OMS_GROUP_OCO) && go->side != o->side
                        : oms_ord_state_is_terminal(o->state);
  if (!own) return o;
  *tmp = *o;
  tmp->parent_order_id = 0;
  return tmp;
}

void oms__groups_rereserve(oms__groups_t *G, oms_engine_t *e, uint64_t group_order_id) {
  oms_risk_t *risk = oms__engine_risk(e);
  if (risk == NULL || G->active == 0 || rec_of(G, group_order_id) == NIL) return;
  const oms_order_t *go = oms__engine_order(e, group_order_id);
  if (go == NULL) return;
  oms_order_t adj;
  oms__risk_order_changed(risk, go, oms__groups_reserve(G, go, &adj) ? &adj : go,
                          oms__engine_now(e));
}

/* ---- queries ---------------------------------------------------------------------------- */

int oms_engine_group(oms_engine_t *e, uint64_t group_order_id, oms_algo_group_t *out,
                     uint64_t member_order_id[OMS_ALGO_GROUP_MAX]) {
  oms__groups_t *G = oms__engine_groups(e);
  uint32_t ri = rec_of(G, group_order_id);
  if (ri == NIL) return OMS_ENOTFOUND;
  if (out != NULL) *out = G->rec[ri].s.g;
  if (member_order_id != NULL)
    for (int i = 0; i < OMS_ALGO_GROUP_MAX; i++) member_order_id[i] = G->rec[ri].leg[i];
  return 0;
}

int oms_engine_cancel_group(oms_engine_t *e, uint64_t group_order_id, oms_reject_t *rej) {
  const oms_order_t *go = oms__engine_order(e, group_order_id);
  if (go != NULL && !oms__group_algo(go->algo)) {
    oms_reject_set(rej, OMS_R_UNKNOWN_ORDER, "order %llu is not a group order",
                   (unsigned long long)group_order_id);
    return OMS_EREJECTED;
  }
  return oms_engine_cancel(e, group_order_id, rej);
}

/* ---- recovery ------------------------------------------------------------------------------ */

bool oms__groups_loaded(oms__groups_t *G, const oms_order_t *o) {
  if (oms__group_algo(o->algo)) {
    (void)rec_alloc(G, o->order_id);
    return true;
  }
  if (o->parent_order_id == 0 || o->child_seq == 0) return false;
  uint32_t ri = rec_of(G, o->parent_order_id);
  if (ri == NIL) return false;
  uint32_t i = member_of(o->child_seq);
  if (i < OMS_ALGO_GROUP_MAX) G->rec[ri].leg[i] = o->order_id;
  return true;
}

static int first_seq(void *ctx, const oms_event_t *ev) {
  uint64_t *from = ctx;
  if (ev->seq != 0 && ev->seq < *from) *from = ev->seq;
  return 1;
}

/* A group's state on an event (its own or a member's): the last one wins. */
static int take_state(void *ctx, const oms_event_t *ev) {
  oms__groups_t *G = ctx;
  if (ev->algo_len < 2 || ev->algo[0] != 'O' || ev->algo[1] != 'G') return 0;
  gstate_t *s = &G->scratch[0].s;
  if (decode(ev->algo, ev->algo_len, s) != 0) return 0;
  uint32_t ri = rec_of(G, s->g.group_id);
  if (ri != NIL) {
    G->rec[ri].s = *s;
    G->rec[ri].present = true;
  }
  return 0;
}

int oms__groups_recovered(oms__groups_t *G, oms_engine_t *e) {
  if (G->active == 0) return 0;
  oms_store_t *store = oms__engine_store(e);
  uint64_t from = UINT64_MAX;
  for (uint32_t ri = 0; ri < G->cap; ri++) {
    if (G->rec[ri].order_id == 0) continue;
    if (oms_store_events_for_order(store, G->rec[ri].order_id, first_seq, &from) < 0)
      return OMS_ESTORE;
  }
  if (from != UINT64_MAX && oms_store_events_from(store, from, 0, take_state, G) < 0)
    return OMS_ESTORE;
  for (uint32_t ri = 0; ri < G->cap; ri++) {
    grec_t *r = &G->rec[ri];
    if (r->order_id == 0) continue;
    if (!r->present) {
      rec_free(G, ri);
      continue;
    }
    /* the members' orders were loaded as whatever the venue last said; the
     * reconciliation that follows brings their news as events */
    mark_dirty(G, ri);
    oms__groups_rereserve(G, e, r->order_id); /* the group order loaded reserved its all */
    for (uint32_t i = 0; i < OMS_ALGO_GROUP_MAX; i++) {
      /* a leg of its own for risk may have been loaded before its group */
      const oms_order_t *o = r->leg[i] ? oms__engine_order(e, r->leg[i]) : NULL;
      oms_order_t own;
      const oms_order_t *v = o != NULL ? oms__groups_risk_view(e, o, &own) : NULL;
      if (v != NULL && v != o && oms__engine_risk(e) != NULL)
        oms__risk_order_changed(oms__engine_risk(e), o, v, oms__engine_now(e));
    }
  }
  return 0;
}
