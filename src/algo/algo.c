/*
 * algo.c - one parent order: its children, its schedule and the step that
 * turns time and market data into child intents.
 *
 * NOTES ON THE DESIGN
 *
 * A parent is an oms_algo_state_t: its parameters, the children it has open
 * (at most OMS_ALGO_MAX_CHILDREN, each with its quantity and fills), the
 * sums over them, where its schedule stands and the state of its random
 * generator. It holds no pointer, so the engine can journal it as bytes and
 * a restored parent continues exactly where it stood.
 *
 * Every change goes through three places: new_child() (the only maker of a
 * NEW intent), oms_algo_on_child_fill() and oms_algo_on_child_done(). With
 * Q the parent's quantity, F its filled and O its open quantity:
 *
 *   new_child:   refuses (OMS_EOVERFILL) unless F + O + q <= Q;  O += q
 *   fill q:      refuses unless q <= the child's open rest;     F += q, O -= q
 *   child done:  O -= the child's unfilled rest
 *
 * so F + O <= Q holds after each of them, and oms_algo_check() says so after
 * each step (a step works on a copy it only keeps if the check passes).
 *
 * THE STRATEGIES (step_* below)
 *   TWAP, VWAP  a schedule of n = ceil((end - start) / slice) slices. Slice
 *               k (from 0) aims at target(k) = Q * W(start + (k+1) * slice),
 *               W rising from 0 to 1: linear for TWAP, the cumulative volume
 *               profile for VWAP. At each slice the resting children are
 *               cancelled and one child is sent: the shortfall
 *               target - F - O (catch-up) or one nominal slice (no
 *               catch-up), randomised by size_var, capped by max_slice and
 *               by max_pov of the market volume since the start, held back
 *               below min_slice; the last slice sends all that is left,
 *               crossing. At the end the rest is cancelled (EXPIRED).
 *   POV         at each step the target is pov_rate of the market volume
 *               since the start; a child is sent for the shortfall between
 *               min_slice and max_slice.
 *   ICEBERG     one child at the limit, display_qty less up to display_var;
 *               when it is done the next step shows the next one.
 *   SNIPER      nothing until the far side shows at the limit or better,
 *               then one IOC child of min(shown, left) at the limit.
 *   TRAILING_STOP, MIT, LIT   watch the trigger price (trigger_type: the
 *               last trade, the far touch, or the mid); once triggered, a
 *               child for all that is left (market, or limit at the limit
 *               price), sent again for any rest the venue cancelled.
 *
 * LATE FILLS. A venue may report a fill after it confirmed the child's
 * cancel (its own race, or a fill derived from a status snapshot). It
 * happened, so it is booked: filled and the notional grow, late_qty says
 * how much came late. The child's rest had gone back to the schedule, so
 * filled + open may now exceed Q; that is the one state in which it may,
 * and `over` marks it: every step then cancels the open children and makes
 * none until filled + open <= Q again (oms_algo_check accepts it only with
 * `over` set and filled <= Q). A late fill beyond Q itself is refused
 * (OMS_EOVERFILL): the engine raises it as an overfill.
 *
 * THE MARKET'S INTERVAL VWAP. Each step adds the trades the engine saw on
 * the instrument since the previous step (the md's seen_* sums, which the
 * engine keeps from the market data) to mkt_volume and mkt_notional, from
 * the parent's first step at or after its start until it is terminal: the
 * market VWAP over the parent's life, against which oms_algo_slippage_bps()
 * measures its average price.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "algo/algo_int.h"
#include "oms/algo.h"
#include "oms/error.h"

#define NS_PER_S INT64_C(1000000000)

static bool has(const oms_algo_params_t *p, int param) { return (p->set & (1u << param)) != 0; }

bool oms_algo_status_is_terminal(oms_algo_status_t s) {
  return s == OMS_ALGO_COMPLETED || s == OMS_ALGO_CANCELLED || s == OMS_ALGO_EXPIRED ||
         s == OMS_ALGO_HALTED;
}

const char *oms_algo_status_name(oms_algo_status_t s) {
  switch (s) {
    case OMS_ALGO_WAITING: return "WAITING";
    case OMS_ALGO_WORKING: return "WORKING";
    case OMS_ALGO_COMPLETED: return "COMPLETED";
    case OMS_ALGO_CANCELLED: return "CANCELLED";
    case OMS_ALGO_EXPIRED: return "EXPIRED";
    case OMS_ALGO_HALTED: return "HALTED";
    default: return "UNKNOWN";
  }
}

static bool is_schedule(uint16_t s) { return s == OMS_ALGO_TWAP || s == OMS_ALGO_VWAP; }

static bool is_buy(const oms_algo_state_t *st) { return st->p.side == OMS_SIDE_BUY; }

/* The quantity not yet given to a child: Q - F - O. */
static oms_dec_t unplaced(const oms_algo_state_t *st) {
  return oms_dec_from_raw(st->p.qty.raw - st->filled.raw - st->open.raw);
}

static oms_dec_t lot_down(const oms_algo_state_t *st, oms_dec_t q) {
  if (q.raw <= 0) return OMS_DEC_ZERO;
  return oms_dec_from_raw(q.raw - q.raw % st->lot.raw);
}

/* Plans the schedule from the parameters (at init and after a replace). */
static void plan(oms_algo_state_t *st) {
  oms_algo_params_t *p = &st->p;
  if (p->slice_ns <= 0) p->slice_ns = p->strategy == OMS_ALGO_POV ? NS_PER_S : 60 * NS_PER_S;
  if (p->aggression == 0) {
    p->aggression = p->strategy == OMS_ALGO_POV ? OMS_AGGR_CROSS : OMS_AGGR_PASSIVE;
  }
  if (p->trail_unit == 0) p->trail_unit = OMS_TRAIL_PRICE;
  st->n_slices = 0;
  if (is_schedule(p->strategy)) {
    int64_t span = p->end_ns - p->start_ns;
    int64_t n = (span + p->slice_ns - 1) / p->slice_ns;
    st->n_slices = (uint32_t)(n > 100000 ? 100000 : n);
  }
}

int oms_algo_check(const oms_algo_state_t *st) {
  int64_t open = 0;
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++) {
    const oms_algo_child_t *c = &st->child[i];
    if (c->seq == 0) continue;
    if (c->filled.raw < 0 || c->filled.raw > c->qty.raw || c->seq >= st->next_seq) return 0;
    open += c->qty.raw - c->filled.raw;
  }
  if (open != st->open.raw || st->filled.raw < 0 || st->open.raw < 0) return 0;
  /* only a late fill (over) may leave filled + open above the quantity */
  if (st->filled.raw > st->p.qty.raw) return 0;
  if (st->filled.raw + st->open.raw > st->p.qty.raw && !st->over) return 0;
  /* a native iceberg's child holds it all: the venue shows the display */
  if (st->p.strategy == OMS_ALGO_ICEBERG && !st->native && st->open.raw > st->p.display_qty.raw)
    return 0;
  if (st->status == OMS_ALGO_COMPLETED && st->filled.raw != st->p.qty.raw) return 0;
  return (st->filled.raw == 0) == (st->cum_notional == 0);
}

int oms_algo_init(oms_algo_state_t *st, uint64_t parent_id, const oms_algo_params_t *p,
                  oms_dec_t tick, oms_dec_t lot, int64_t now_ns) {
  memset(st, 0, sizeof(*st));
  if (!oms_dec_is_pos(tick) || !oms_dec_is_pos(lot) ||
      oms_algo_params_validate(p, tick, lot, now_ns, NULL) != 0) {
    return OMS_EINVAL;
  }
  st->parent_id = parent_id;
  st->p = *p;
  if (!has(p, OMS_ALGO_P_start_ns)) st->p.start_ns = now_ns;
  st->tick = tick;
  st->lot = lot;
  st->status = OMS_ALGO_WAITING;
  st->next_seq = 1;
  st->created_ns = now_ns;
  st->rng = p->seed != 0 ? p->seed : parent_id;
  plan(st);
  st->next_slice_ns = st->p.start_ns;
  return 0;
}

/* ---- children ---- */

static oms_algo_child_t *find(oms_algo_state_t *st, uint32_t seq) {
  for (int i = 0; seq != 0 && i < OMS_ALGO_MAX_CHILDREN; i++) {
    if (st->child[i].seq == seq) return &st->child[i];
  }
  return NULL;
}

/* The one place a child is made: refuses what would break F + O <= Q. A
 * full child table is not an error: the child waits for a free slot. */
static int new_child_stop(oms_algo_state_t *st, oms_algo_out_t *out, oms_dec_t q, uint8_t type,
                          uint8_t tif, oms_dec_t px, oms_dec_t stop) {
  if (q.raw <= 0) return 0;
  if (st->filled.raw + st->open.raw + q.raw > st->p.qty.raw) return OMS_EOVERFILL;
  if (st->p.strategy == OMS_ALGO_ICEBERG && !st->native &&
      st->open.raw + q.raw > st->p.display_qty.raw) {
    return OMS_EOVERFILL;
  }
  oms_algo_child_t *c = NULL;
  for (int i = 0; c == NULL && i < OMS_ALGO_MAX_CHILDREN; i++) {
    if (st->child[i].seq == 0) c = &st->child[i];
  }
  if (c == NULL || out->n >= OMS_ALGO_MAX_INTENTS) return 0;
  oms_algo_intent_t in = {
      .kind = OMS_INTENT_NEW,
      .side = st->p.side,
      .type = type,
      .tif = tif,
      .child_seq = st->next_seq,
      .qty = q,
      .price = type == OMS_ORD_MARKET || type == OMS_ORD_STOP ? OMS_DEC_ZERO : px,
      .stop_price = stop};
  int rc = oms__algo_emit(out, &in);
  if (rc != 0) return rc;
  memset(c, 0, sizeof(*c));
  c->seq = st->next_seq++;
  c->qty = q;
  c->price = in.price;
  st->open.raw += q.raw;
  return 0;
}

static int new_child(oms_algo_state_t *st, oms_algo_out_t *out, oms_dec_t q, uint8_t type,
                     uint8_t tif, oms_dec_t px) {
  return new_child_stop(st, out, q, type, tif, px, OMS_DEC_ZERO);
}

/* Cancel intents for every open child not already being cancelled. */
static int cancel_children(oms_algo_state_t *st, oms_algo_out_t *out) {
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++) {
    oms_algo_child_t *c = &st->child[i];
    if (c->seq == 0 || c->cancelling) continue;
    oms_algo_intent_t in = {.kind = OMS_INTENT_CANCEL, .side = st->p.side, .child_seq = c->seq};
    int rc = oms__algo_emit(out, &in);
    if (rc != 0) return rc;
    c->cancelling = 1;
  }
  return 0;
}

static void finish_if_filled(oms_algo_state_t *st) {
  if (st->filled.raw == st->p.qty.raw && st->status != OMS_ALGO_CANCELLED &&
      st->status != OMS_ALGO_HALTED) {
    st->status = OMS_ALGO_COMPLETED;
  }
}

/* Clears `over` once filled + open fits in the quantity again. */
static void settle(oms_algo_state_t *st) {
  if (st->over && st->filled.raw + st->open.raw <= st->p.qty.raw) st->over = 0;
}

/* A fill on child seq, no longer open: see LATE FILLS above. */
static int late_fill(oms_algo_state_t *st, uint32_t seq, oms_dec_t qty, oms_dec_t px) {
  if (seq == 0 || seq >= st->next_seq) return OMS_ENOTFOUND;
  if (st->filled.raw + qty.raw > st->p.qty.raw) return OMS_EOVERFILL;
  st->filled.raw += qty.raw;
  st->late_qty.raw += qty.raw;
  st->cum_notional += (__int128)qty.raw * px.raw;
  if (st->filled.raw + st->open.raw > st->p.qty.raw) st->over = 1;
  finish_if_filled(st);
  return oms_algo_check(st) ? 0 : OMS_EOVERFILL;
}

int oms_algo_on_child_fill(oms_algo_state_t *st, uint32_t seq, oms_dec_t qty, oms_dec_t px) {
  if (qty.raw <= 0 || px.raw <= 0) return OMS_EINVAL;
  oms_algo_child_t *c = find(st, seq);
  if (c == NULL) return late_fill(st, seq, qty, px);
  if (qty.raw > c->qty.raw - c->filled.raw) return OMS_EOVERFILL;
  /* possible only after a late fill (over): the parent's own quantity */
  if (st->filled.raw + qty.raw > st->p.qty.raw) return OMS_EOVERFILL;
  c->filled.raw += qty.raw;
  st->filled.raw += qty.raw;
  st->open.raw -= qty.raw;
  st->cum_notional += (__int128)qty.raw * px.raw;
  finish_if_filled(st);
  return oms_algo_check(st) ? 0 : OMS_EOVERFILL;
}

int oms_algo_on_child_done(oms_algo_state_t *st, uint32_t seq) {
  oms_algo_child_t *c = find(st, seq);
  if (c == NULL) return OMS_ENOTFOUND;
  st->open.raw -= c->qty.raw - c->filled.raw;
  memset(c, 0, sizeof(*c));
  settle(st);
  /* a native order is the venue's to work: when it ends, the parent does */
  if (st->native && st->triggered && st->open.raw == 0 &&
      !oms_algo_status_is_terminal((oms_algo_status_t)st->status) && st->filled.raw < st->p.qty.raw)
    st->status = OMS_ALGO_CANCELLED;
  /* A smaller quantity from a replace takes effect once it fits. */
  if (st->pending_qty.raw != 0 && st->filled.raw + st->open.raw <= st->pending_qty.raw) {
    st->p.qty = st->pending_qty;
    st->pending_qty = OMS_DEC_ZERO;
    finish_if_filled(st);
  }
  return oms_algo_check(st) ? 0 : OMS_EOVERFILL;
}

oms_dec_t oms_algo_avg_px(const oms_algo_state_t *st) {
  if (st->filled.raw == 0) return OMS_DEC_ZERO;
  /* cum_notional is at 10^-16; the quotient by filled (10^-8) is at 10^-8. */
  __int128 n = st->cum_notional, d = st->filled.raw;
  __int128 q = n / d, r = n % d;
  if (2 * r > d || (2 * r == d && (q & 1))) q++;
  return oms_dec_from_raw((int64_t)q);
}

bool oms_algo_is_done(const oms_algo_state_t *st) {
  return oms_algo_status_is_terminal((oms_algo_status_t)st->status) && st->open.raw == 0;
}

/* ---- prices ---- */

static oms_dec_t tick_round(const oms_algo_state_t *st, oms_dec_t px, bool down) {
  oms_dec_t out = px;
  oms_dec_quantize(px, st->tick, down ? OMS_ROUND_FLOOR : OMS_ROUND_CEIL, &out);
  return out;
}

/* The child's order type, time in force and price for aggression aggr.
 * Returns false when there is no price to use (no quote and no limit). */
static bool price_for(const oms_algo_state_t *st, const oms_algo_md_t *md, int aggr, uint8_t *type,
                      uint8_t *tif, oms_dec_t *px) {
  bool buy = is_buy(st);
  bool lim = oms_dec_is_pos(st->p.limit_px);
  oms_dec_t near = OMS_DEC_ZERO, far = OMS_DEC_ZERO;
  if (md != NULL) {
    near = buy ? md->bid : md->ask;
    far = buy ? md->ask : md->bid;
  }
  *type = OMS_ORD_LIMIT;
  *tif = OMS_TIF_DAY;
  oms_dec_t p;
  if (aggr == OMS_AGGR_CROSS) {
    *tif = OMS_TIF_IOC;
    p = far;
  } else if (aggr == OMS_AGGR_MID && oms_dec_is_pos(near) && oms_dec_is_pos(far)) {
    p = tick_round(
        st, oms_dec_from_raw(near.raw / 2 + far.raw / 2 + (near.raw % 2 + far.raw % 2) / 2), buy);
  } else {
    p = near;
  }
  if (!oms_dec_is_pos(p)) {
    if (lim) {
      p = st->p.limit_px;
    } else if (aggr == OMS_AGGR_CROSS) {
      *type = OMS_ORD_MARKET;
      *px = OMS_DEC_ZERO;
      return true;
    } else {
      return false;
    }
  }
  if (lim) p = buy ? oms_dec_min(p, st->p.limit_px) : oms_dec_max(p, st->p.limit_px);
  *px = p;
  return true;
}

/* ---- TWAP and VWAP ---- */

/* Share of the quantity due by time t, as a fraction at 10^-8. */
static int64_t due_fraction(const oms_algo_state_t *st, int64_t t) {
  const oms_algo_params_t *p = &st->p;
  if (t <= p->start_ns) return 0;
  if (t >= p->end_ns) return OMS_DEC_SCALE;
  __int128 span = p->end_ns - p->start_ns, el = t - p->start_ns;
  __int128 total = 0, before = 0;
  for (int i = 0; i < p->profile_len; i++) total += p->profile[i].raw;
  /* TWAP, or a profile validation would have refused */
  if (p->strategy != OMS_ALGO_VWAP || total <= 0) return (int64_t)(el * OMS_DEC_SCALE / span);
  /* The profile's buckets split [start, end) evenly; within a bucket the
   * volume is taken as even. */
  int nb = p->profile_len;
  __int128 pos = el * nb; /* in bucket units * span */
  int b = (int)(pos / span);
  for (int i = 0; i < b; i++) before += p->profile[i].raw;
  __int128 part = (__int128)p->profile[b].raw * (pos - (__int128)b * span) / span;
  return (int64_t)((before + part) * OMS_DEC_SCALE / total);
}

static oms_dec_t share_of(oms_dec_t q, int64_t frac) {
  return oms_dec_from_raw((int64_t)((__int128)q.raw * frac / OMS_DEC_SCALE));
}

/* The rest of market volume since the start that max_pov still allows. */
static oms_dec_t pov_room(const oms_algo_state_t *st, const oms_algo_md_t *md, oms_dec_t rate) {
  if (md == NULL || !st->vol_known) return OMS_DEC_ZERO;
  oms_dec_t traded = oms_dec_from_raw(md->cum_volume.raw - st->vol_start.raw);
  int64_t room = share_of(traded, rate.raw).raw - st->filled.raw - st->open.raw;
  return oms_dec_from_raw(room > 0 ? room : 0);
}

static int expire(oms_algo_state_t *st, oms_algo_out_t *out) {
  st->status = OMS_ALGO_EXPIRED;
  return cancel_children(st, out);
}

/* Whether liquidity shown in md may be taken: once per snapshot. */
static bool fresh(oms_algo_state_t *st, const oms_algo_md_t *md) {
  if (md->ts_ns != 0 && md->ts_ns == st->took_md_ns) return false;
  st->took_md_ns = md->ts_ns;
  return true;
}

static int would_take(oms_algo_state_t *st, const oms_algo_md_t *md, oms_algo_out_t *out) {
  if (!has(&st->p, OMS_ALGO_P_would_px) || md == NULL) return 0;
  bool buy = is_buy(st);
  oms_dec_t far = buy ? md->ask : md->bid, far_qty = buy ? md->ask_qty : md->bid_qty;
  if (!oms_dec_is_pos(far) || !oms_dec_is_pos(far_qty)) return 0;
  if (buy ? oms_dec_gt(far, st->p.would_px) : oms_dec_lt(far, st->p.would_px)) return 0;
  oms_dec_t q = lot_down(st, oms_dec_min(far_qty, unplaced(st)));
  if (!oms_dec_is_pos(q) || !fresh(st, md)) return 0;
  return new_child(st, out, q, OMS_ORD_LIMIT, OMS_TIF_IOC, st->p.would_px);
}

static int step_schedule(oms_algo_state_t *st, int64_t now, const oms_algo_md_t *md,
                         oms_algo_out_t *out) {
  oms_algo_params_t *p = &st->p;
  if (now >= p->end_ns) return expire(st, out);
  int rc = would_take(st, md, out);
  if (rc != 0) return rc;
  if (now >= st->next_slice_ns && st->pending_qty.raw == 0) {
    int64_t k = (now - p->start_ns) / p->slice_ns;
    bool last = k + 1 >= (int64_t)st->n_slices;
    rc = cancel_children(st, out); /* resting children are re-priced */
    if (rc != 0) return rc;
    oms_dec_t left = unplaced(st);
    oms_dec_t want;
    if (last) {
      want = left;
    } else {
      int64_t target = share_of(p->qty, due_fraction(st, p->start_ns + (k + 1) * p->slice_ns)).raw;
      int64_t behind = target - st->filled.raw - st->open.raw;
      if (p->catch_up) {
        want = oms_dec_from_raw(behind);
      } else {
        oms_dec_t nominal = oms_dec_from_raw(p->qty.raw / (int64_t)st->n_slices);
        want = oms_dec_from_raw(behind < nominal.raw ? behind : nominal.raw);
      }
      if (oms_dec_is_pos(p->size_var) && oms_dec_is_pos(want)) {
        /* a factor in [1 - var, 1 + var) */
        oms_dec_t u = oms__algo_rand_frac(&st->rng);
        int64_t f = OMS_DEC_SCALE - p->size_var.raw +
                    (int64_t)((__int128)2 * p->size_var.raw * u.raw / OMS_DEC_SCALE);
        want = share_of(want, f);
      }
      if (oms_dec_is_pos(p->max_slice)) want = oms_dec_min(want, p->max_slice);
      if (has(p, OMS_ALGO_P_max_pov)) want = oms_dec_min(want, pov_room(st, md, p->max_pov));
      want = oms_dec_min(want, left);
      if (oms_dec_lt(want, p->min_slice) && oms_dec_lt(want, left)) want = OMS_DEC_ZERO;
    }
    want = lot_down(st, want);
    if (last && oms_dec_is_pos(want) && !oms_dec_eq(want, left)) want = left;
    uint8_t type, tif;
    oms_dec_t px;
    if (oms_dec_is_pos(want) &&
        price_for(st, md, last ? OMS_AGGR_CROSS : p->aggression, &type, &tif, &px)) {
      rc = new_child(st, out, want, type, tif, px);
      if (rc != 0) return rc;
    }
    int64_t next = p->start_ns + (k + 1) * p->slice_ns;
    if (oms_dec_is_pos(p->time_var) && !last) {
      oms_dec_t u = oms__algo_rand_frac(&st->rng);
      next += (int64_t)((__int128)p->slice_ns * p->time_var.raw / OMS_DEC_SCALE * u.raw /
                        OMS_DEC_SCALE);
    }
    st->next_slice_ns = next;
    st->slice_no = (uint32_t)(k + 1);
  } else if (st->slice_no >= st->n_slices && st->open.raw == 0 && st->pending_qty.raw == 0) {
    /* after the last slice, what its cancelled predecessors gave back goes too;
     * once per market data snapshot, so an IOC the book can not fill (a limit
     * away from the market) is not sent again after each cancel */
    oms_dec_t left = lot_down(st, unplaced(st));
    uint8_t type, tif;
    oms_dec_t px;
    if (oms_dec_is_pos(left) && md != NULL && price_for(st, md, OMS_AGGR_CROSS, &type, &tif, &px) &&
        fresh(st, md)) {
      rc = new_child(st, out, left, type, tif, px);
      if (rc != 0) return rc;
    }
  }
  out->next_wake_ns = st->next_slice_ns < p->end_ns ? st->next_slice_ns : p->end_ns;
  return 0;
}

/* ---- POV ---- */

static int step_pov(oms_algo_state_t *st, int64_t now, const oms_algo_md_t *md,
                    oms_algo_out_t *out) {
  oms_algo_params_t *p = &st->p;
  if (has(p, OMS_ALGO_P_end_ns) && now >= p->end_ns) return expire(st, out);
  int rc;
  if (now >= st->next_slice_ns) {
    /* resting children are re-priced once per interval */
    if (p->aggression != OMS_AGGR_CROSS) {
      rc = cancel_children(st, out);
      if (rc != 0) return rc;
    }
    st->next_slice_ns = now + p->slice_ns;
    st->slice_no++;
  }
  oms_dec_t want = pov_room(st, md, p->pov_rate), left = unplaced(st);
  if (oms_dec_is_pos(p->max_slice)) want = oms_dec_min(want, p->max_slice);
  want = lot_down(st, oms_dec_min(want, left));
  uint8_t type, tif;
  oms_dec_t px;
  if (oms_dec_is_pos(want) && (oms_dec_ge(want, p->min_slice) || oms_dec_eq(want, left)) &&
      price_for(st, md, p->aggression, &type, &tif, &px)) {
    rc = new_child(st, out, want, type, tif, px);
    if (rc != 0) return rc;
  }
  out->next_wake_ns = st->next_slice_ns;
  if (has(p, OMS_ALGO_P_end_ns) && p->end_ns < out->next_wake_ns) out->next_wake_ns = p->end_ns;
  return 0;
}

/* ---- iceberg and sniper ---- */

static int step_iceberg(oms_algo_state_t *st, oms_algo_out_t *out) {
  const oms_algo_params_t *p = &st->p;
  if (st->open.raw != 0 || st->pending_qty.raw != 0) return 0;
  oms_dec_t show = p->display_qty;
  if (oms_dec_is_pos(p->display_var)) {
    oms_dec_t u = oms__algo_rand_frac(&st->rng);
    int64_t less =
        (int64_t)((__int128)show.raw * p->display_var.raw / OMS_DEC_SCALE * u.raw / OMS_DEC_SCALE);
    show = oms_dec_from_raw(show.raw - less);
  }
  show = lot_down(st, oms_dec_min(show, unplaced(st)));
  if (!oms_dec_is_pos(show)) show = oms_dec_min(st->lot, unplaced(st));
  return new_child(st, out, show, OMS_ORD_LIMIT, OMS_TIF_DAY, p->limit_px);
}

static int step_sniper(oms_algo_state_t *st, int64_t now, const oms_algo_md_t *md,
                       oms_algo_out_t *out) {
  const oms_algo_params_t *p = &st->p;
  if (has(p, OMS_ALGO_P_end_ns)) {
    if (now >= p->end_ns) return expire(st, out);
    out->next_wake_ns = p->end_ns;
  }
  if (md == NULL || st->open.raw != 0 || st->pending_qty.raw != 0) return 0;
  bool buy = is_buy(st);
  oms_dec_t far = buy ? md->ask : md->bid, far_qty = buy ? md->ask_qty : md->bid_qty;
  if (!oms_dec_is_pos(far) || !oms_dec_is_pos(far_qty)) return 0;
  if (buy ? oms_dec_gt(far, p->limit_px) : oms_dec_lt(far, p->limit_px)) return 0;
  oms_dec_t left = unplaced(st);
  oms_dec_t q = lot_down(st, oms_dec_min(far_qty, left));
  if (oms_dec_lt(q, p->min_slice) && oms_dec_lt(q, left)) return 0;
  if (!oms_dec_is_pos(q) || !fresh(st, md)) return 0;
  return new_child(st, out, q, OMS_ORD_LIMIT, OMS_TIF_IOC, p->limit_px);
}

/* ---- emulated: trailing stop, MIT, LIT ---- */

static oms_dec_t trail_distance(const oms_algo_state_t *st) {
  const oms_algo_params_t *p = &st->p;
  oms_dec_t d = p->trail_offset;
  if (p->trail_unit == OMS_TRAIL_TICKS) {
    d = oms_dec_from_raw((int64_t)((__int128)p->trail_offset.raw * st->tick.raw / OMS_DEC_SCALE));
  } else if (p->trail_unit == OMS_TRAIL_BPS) {
    int64_t raw = (int64_t)((__int128)st->hwm.raw * p->trail_offset.raw / OMS_DEC_SCALE / 10000);
    oms_dec_quantize(oms_dec_from_raw(raw), st->tick, OMS_ROUND_HALF_EVEN, &d);
    if (!oms_dec_is_pos(d)) d = st->tick;
  }
  return d;
}

/* The price the emulated order watches (trigger_type); false if md does
 * not show it. */
static bool watched_px(const oms_algo_state_t *st, const oms_algo_md_t *md, oms_dec_t *px) {
  bool buy = is_buy(st);
  switch (st->p.trigger_type) {
    case OMS_TRIGGER_QUOTE: *px = buy ? md->ask : md->bid; break;
    case OMS_TRIGGER_MID:
      if (!oms_dec_is_pos(md->bid) || !oms_dec_is_pos(md->ask)) return false;
      *px = oms_dec_from_raw((int64_t)(((__int128)md->bid.raw + md->ask.raw) / 2));
      break;
    default: *px = md->last_px; break; /* LAST, and 0 (not given) */
  }
  return oms_dec_is_pos(*px);
}

/* Whether the emulated order fires at watched price px (and, for the
 * trailing stop, moves its high-water mark). */
static bool triggers(oms_algo_state_t *st, oms_dec_t px) {
  const oms_algo_params_t *p = &st->p;
  bool buy = is_buy(st);
  switch (p->strategy) {
    case OMS_ALGO_MIT:
    case OMS_ALGO_LIT:
      /* a buy is touched when the market trades down to the trigger */
      return buy ? oms_dec_le(px, p->trigger_px) : oms_dec_ge(px, p->trigger_px);
    default: break;
  }
  if (!st->activated) {
    if (has(p, OMS_ALGO_P_activation_px) &&
        (buy ? oms_dec_gt(px, p->activation_px) : oms_dec_lt(px, p->activation_px))) {
      return false;
    }
    st->activated = 1;
    st->hwm = px;
  }
  /* a sell stop trails below the highest price, a buy stop above the lowest */
  st->hwm = buy ? oms_dec_min(st->hwm, px) : oms_dec_max(st->hwm, px);
  oms_dec_t d = trail_distance(st);
  return buy ? px.raw >= st->hwm.raw + d.raw : px.raw <= st->hwm.raw - d.raw;
}

static int step_emulated(oms_algo_state_t *st, const oms_algo_md_t *md, oms_algo_out_t *out) {
  if (!st->triggered) {
    oms_dec_t px;
    if (md == NULL || !watched_px(st, md, &px) || !triggers(st, px)) return 0;
    st->triggered = 1;
    st->status = OMS_ALGO_WORKING;
  }
  if (st->open.raw != 0 || st->pending_qty.raw != 0) return 0;
  bool lim = st->p.strategy == OMS_ALGO_LIT || oms_dec_is_pos(st->p.limit_px);
  if (lim) return new_child(st, out, unplaced(st), OMS_ORD_LIMIT, OMS_TIF_DAY, st->p.limit_px);
  return new_child(st, out, unplaced(st), OMS_ORD_MARKET, OMS_TIF_IOC, OMS_DEC_ZERO);
}

/* ---- native: the venue works the type ---- */

/* One child for all the quantity, as the native type: a limit (ICEBERG,
 * its display travels beside it), a stop at the trigger (MIT: the venue
 * triggers it when touched) or a stop-limit (LIT), a stop at the trail
 * from the last trade (TRAILING_STOP: the venue moves it). */
static int step_native(oms_algo_state_t *st, const oms_algo_md_t *md, oms_algo_out_t *out) {
  const oms_algo_params_t *p = &st->p;
  if (st->triggered) return 0;
  oms_dec_t q = unplaced(st), stop = OMS_DEC_ZERO;
  uint8_t type = OMS_ORD_LIMIT;
  switch (p->strategy) {
    case OMS_ALGO_MIT:
      type = OMS_ORD_STOP;
      stop = p->trigger_px;
      break;
    case OMS_ALGO_LIT:
      type = OMS_ORD_STOP_LIMIT;
      stop = p->trigger_px;
      break;
    case OMS_ALGO_TRAILING_STOP: {
      oms_dec_t px;
      if (md == NULL || !watched_px(st, md, &px)) return 0; /* no price to trail yet */
      st->hwm = px;
      oms_dec_t d = trail_distance(st);
      stop = oms_dec_from_raw(is_buy(st) ? px.raw + d.raw : px.raw - d.raw);
      if (!oms_dec_is_pos(stop)) return 0;
      type = oms_dec_is_pos(p->limit_px) ? OMS_ORD_STOP_LIMIT : OMS_ORD_STOP;
      break;
    }
    default: break; /* ICEBERG */
  }
  int rc = new_child_stop(st, out, q, type, OMS_TIF_DAY, p->limit_px, stop);
  if (rc != 0) return rc;
  st->triggered = 1; /* released: the parent now follows its one child */
  st->status = OMS_ALGO_WORKING;
  return 0;
}

/* ---- the step ---- */

/* Adds the market's trades since the last look to the parent's interval. */
static void observe(oms_algo_state_t *st, const oms_algo_md_t *md) {
  bool rebase = !st->mkt_known || md->seen_volume.raw < st->mark_volume.raw ||
                md->seen_notional < st->mark_notional; /* the engine restarted */
  if (!rebase) {
    st->mkt_volume.raw += md->seen_volume.raw - st->mark_volume.raw;
    st->mkt_notional += md->seen_notional - st->mark_notional;
  }
  st->mark_volume = md->seen_volume;
  st->mark_notional = md->seen_notional;
  st->mkt_known = 1;
}

static int step(oms_algo_state_t *st, int64_t now, const oms_algo_md_t *md, oms_algo_out_t *out) {
  oms_algo_params_t *p = &st->p;
  if (md != NULL && now >= p->start_ns) observe(st, md);
  if (st->over) return cancel_children(st, out); /* see LATE FILLS */
  if (st->native) return step_native(st, md, out);
  bool timed = p->strategy != OMS_ALGO_TRAILING_STOP && p->strategy != OMS_ALGO_MIT &&
               p->strategy != OMS_ALGO_LIT && p->strategy != OMS_ALGO_ICEBERG;
  if (st->status == OMS_ALGO_WAITING && timed) {
    if (now < p->start_ns) {
      out->next_wake_ns = p->start_ns;
      return 0;
    }
    st->status = OMS_ALGO_WORKING;
  }
  /* Volume counts from the first snapshot seen at or after the start. */
  if (st->status == OMS_ALGO_WORKING && !st->vol_known && md != NULL) {
    st->vol_start = md->cum_volume;
    st->vol_known = 1;
  }
  switch (p->strategy) {
    case OMS_ALGO_TWAP:
    case OMS_ALGO_VWAP: return step_schedule(st, now, md, out);
    case OMS_ALGO_POV: return step_pov(st, now, md, out);
    case OMS_ALGO_ICEBERG: st->status = OMS_ALGO_WORKING; return step_iceberg(st, out);
    case OMS_ALGO_SNIPER: return step_sniper(st, now, md, out);
    default: return step_emulated(st, md, out);
  }
}

int oms_algo_step(oms_algo_state_t *st, int64_t now_ns, const oms_algo_md_t *md,
                  oms_algo_out_t *out) {
  out->n = 0;
  out->next_wake_ns = INT64_MAX;
  /* a late fill may complete a parent that still has children open */
  if (st->over) return cancel_children(st, out);
  if (oms_algo_status_is_terminal((oms_algo_status_t)st->status)) return 0;
  /* A step changes only the progress fields, from status on: those are
   * saved, and put back if the step is refused. */
  enum { FROM = offsetof(oms_algo_state_t, status), LEN = sizeof(oms_algo_state_t) - FROM };
  unsigned char save[LEN];
  memcpy(save, (unsigned char *)st + FROM, LEN);
  int rc = step(st, now_ns, md, out);
  if (rc == 0 && !oms_algo_check(st)) rc = OMS_EOVERFILL;
  if (rc != 0) {
    memcpy((unsigned char *)st + FROM, save, LEN);
    out->n = 0;
  }
  return rc;
}

/* ---- cancel, halt, replace ---- */

static int stop(oms_algo_state_t *st, oms_algo_out_t *out, oms_algo_status_t why) {
  out->n = 0;
  out->next_wake_ns = INT64_MAX;
  if (oms_algo_status_is_terminal((oms_algo_status_t)st->status)) return OMS_ESTATE;
  st->status = (uint8_t)why;
  return cancel_children(st, out);
}

int oms_algo_cancel(oms_algo_state_t *st, oms_algo_out_t *out) {
  return stop(st, out, OMS_ALGO_CANCELLED);
}

int oms_algo_halt(oms_algo_state_t *st, oms_algo_out_t *out) {
  return stop(st, out, OMS_ALGO_HALTED);
}

int oms_algo_expire(oms_algo_state_t *st, oms_algo_out_t *out) {
  return stop(st, out, OMS_ALGO_EXPIRED);
}

oms_dec_t oms_algo_interval_vwap(const oms_algo_state_t *st) {
  if (st->mkt_volume.raw <= 0) return OMS_DEC_ZERO;
  __int128 n = st->mkt_notional, d = st->mkt_volume.raw;
  __int128 q = n / d, r = n % d;
  if (2 * r > d || (2 * r == d && (q & 1))) q++;
  return oms_dec_from_raw((int64_t)q);
}

int oms_algo_slippage_bps(const oms_algo_state_t *st, oms_dec_t *bps) {
  *bps = OMS_DEC_ZERO;
  oms_dec_t avg = oms_algo_avg_px(st), vwap = oms_algo_interval_vwap(st);
  if (!oms_dec_is_pos(avg) || !oms_dec_is_pos(vwap)) return OMS_ENOTFOUND;
  /* (avg - vwap) / vwap * 10^4 bps, at 10^-8: both prices at 10^-8 */
  __int128 n = (__int128)(avg.raw - vwap.raw) * 10000 * OMS_DEC_SCALE, d = vwap.raw;
  if (!is_buy(st)) n = -n;
  __int128 q = n / d, r = n % d; /* C rounds toward zero; then half-even */
  __int128 r2 = 2 * (r < 0 ? -r : r);
  if (r2 > d || (r2 == d && (q & 1))) q += n < 0 ? -1 : 1;
  *bps = oms_dec_from_raw((int64_t)q);
  return 0;
}

int oms_algo_replace(oms_algo_state_t *st, const oms_algo_params_t *np, int64_t now_ns,
                     oms_algo_out_t *out, oms_algo_reject_t *rej) {
  out->n = 0;
  out->next_wake_ns = now_ns;
  if (oms_algo_status_is_terminal((oms_algo_status_t)st->status)) return OMS_ESTATE;
  oms_algo_reject_t scratch;
  if (rej == NULL) rej = &scratch;
  memset(rej, 0, sizeof(*rej));
  if (np->strategy != st->p.strategy || np->side != st->p.side) {
    rej->code = OMS_ALGO_R_REPLACE_CHANGES_STRATEGY;
    strcpy(rej->param, "strategy");
    rej->tag = 847;
    strcpy(rej->text, "strategy(847): a replace cannot change strategy or side");
    return OMS_EREJECTED;
  }
  oms_algo_params_t q = *np;
  /* The start stays where it was: the parent is already running. */
  q.start_ns = st->p.start_ns;
  q.set |= 1u << OMS_ALGO_P_start_ns;
  int rc = oms_algo_params_validate(&q, st->tick, st->lot, now_ns, rej);
  if (rc != 0) return rc;
  if (oms_dec_lt(q.qty, st->filled)) {
    char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
    oms_dec_format(q.qty, a, sizeof a);
    oms_dec_format(st->filled, b, sizeof b);
    rej->code = OMS_ALGO_R_QTY_BELOW_FILLED;
    strcpy(rej->param, "qty");
    rej->tag = 38;
    snprintf(rej->text, sizeof rej->text, "qty(38): %s below the filled %s", a, b);
    return OMS_EREJECTED;
  }
  rc = cancel_children(st, out);
  if (rc != 0) return rc;
  oms_dec_t old_qty = st->p.qty;
  uint64_t rng = st->rng;
  st->p = q;
  st->rng = rng;
  st->pending_qty = OMS_DEC_ZERO;
  if (st->filled.raw + st->open.raw > q.qty.raw) {
    st->p.qty = old_qty; /* until the cancels bring the open quantity down */
    st->pending_qty = q.qty;
  }
  plan(st);
  st->next_slice_ns = now_ns; /* re-plan at the next step */
  finish_if_filled(st);
  return 0;
}
