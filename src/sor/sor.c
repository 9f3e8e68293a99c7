/*
 * sor.c - the consolidated book across venues and the smart routing
 * decision; see include/oms/sor.h for the contract, docs/routing.md for the
 * policies.
 *
 * HOW IT WORKS
 *
 * The book is one array of instrument records sized at creation, found by a
 * hash of the symbol (checked against the name: a collision is a miss, never
 * another symbol's quotes). A record holds per venue its top of book, its
 * levels on each side (up to OMS_MD_DEPTH, best first) and a bit mask of the
 * venues that quote it. A market data snapshot overwrites one venue's
 * quote and levels of one symbol: the book is incremental (one venue at a
 * time, the others untouched), never rebuilt. A level the snapshot no
 * longer has is gone; levels out of price order end the copy there.
 *
 * The decision looks at the venues of one instrument only. For a sweep it
 * makes the list of candidates (usable, not skipped or busy, a best level
 * within the limit) and merges their levels by effective price: each step
 * takes the best level left across all venues, rounded down to the lot,
 * and moves that venue to its next level; a venue's takes add up into one
 * IOC child whose limit is the worst level taken. The effective price is
 * exact: price x (1 +- rate) in fixed point, rounded against us (a buy up,
 * a sell down), so a better quote with a worse fee loses by exactly its
 * fee, level by level. For a post it picks, among usable venues the limit
 * does not cross, the lowest maker fee (the best rebate), then the least
 * displayed size ahead of our price on our side (the queue: every level at
 * or better than our price), then the lowest latency.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/u64map.h"
#include "oms/error.h"
#include "oms/sor.h"

/* One side of a venue's book: its levels, best first, each strictly worse
 * in price than the one before and with a positive size. */
typedef struct sside_s {
  uint32_t n;
  oms_md_level_t lv[OMS_MD_DEPTH];
} sside_t;

typedef struct sins_s {
  char symbol[OMS_SYMBOL_MAX + 1];
  uint32_t listed; /* bit per venue that quoted it */
  oms_sor_quote_t q[OMS_SOR_MAX_VENUES];
  sside_t side[OMS_SOR_MAX_VENUES][2]; /* [venue][0 bids, 1 offers] */
} sins_t;

typedef struct svenue_s {
  oms_sor_venue_cfg_t cfg;
  oms_sor_venue_state_t state;
} svenue_t;

struct oms_sor_book_s {
  svenue_t venue[OMS_SOR_MAX_VENUES];
  uint32_t nvenues;
  int64_t stale_ns;
  sins_t *ins;
  uint32_t nins, cap;
  oms__u64map_t by_symbol;
};

/* ---- vocabularies ----------------------------------------------------------- */

static const struct {
  const char *name;
  bool take, post;
} policies[] = {[OMS_SOR_POLICY_NONE] = {"UNKNOWN", false, false},
#define X(name, num, wire, take, post, what) [num] = {wire, take, post},
                OMS_SOR_POLICY_MAP(X)
#undef X
};
#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))

const char *oms_sor_venue_state_name(oms_sor_venue_state_t s) {
  switch (s) {
#define X(name, num, wire, what) \
  case OMS_SOR_##name: return wire;
    OMS_SOR_VENUE_STATE_MAP(X)
#undef X
  }
  return "unknown";
}

const char *oms_sor_policy_name(oms_sor_policy_t p) {
  return (unsigned)p < NPOLICIES ? policies[p].name : "UNKNOWN";
}

int oms_sor_policy_parse(const char *s, oms_sor_policy_t *out) {
  for (unsigned i = 1; s != NULL && i < NPOLICIES; i++) {
    if (strcasecmp(s, policies[i].name) == 0) {
      *out = (oms_sor_policy_t)i;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

bool oms_sor_policy_takes(oms_sor_policy_t p) {
  return (unsigned)p < NPOLICIES && policies[p].take;
}
bool oms_sor_policy_posts(oms_sor_policy_t p) {
  return (unsigned)p < NPOLICIES && policies[p].post;
}

/* ---- the book ---------------------------------------------------------------- */

int oms_sor_book_create(uint32_t max_instruments, int64_t stale_ns, oms_sor_book_t **out) {
  *out = NULL;
  if (max_instruments == 0 || stale_ns < 0) return OMS_EINVAL;
  oms_sor_book_t *b = oms__calloc(1, sizeof(*b));
  if (b == NULL) return OMS_ENOMEM;
  b->stale_ns = stale_ns;
  b->cap = max_instruments;
  b->ins = oms__calloc(max_instruments, sizeof(sins_t));
  if (b->ins == NULL) goto fail;
  if (oms__u64map_init(&b->by_symbol, max_instruments) != 0) goto fail;
  *out = b;
  return 0;
fail:
  oms_sor_book_destroy(b);
  return OMS_ENOMEM;
}

void oms_sor_book_destroy(oms_sor_book_t *b) {
  if (b == NULL) return;
  oms__u64map_close(&b->by_symbol);
  oms__free(b->ins);
  oms__free(b);
}

int oms_sor_book_venue(const oms_sor_book_t *b, const char *name) {
  for (uint32_t i = 0; i < b->nvenues; i++)
    if (strcmp(b->venue[i].cfg.name, name) == 0) return (int)i;
  return OMS_ENOTFOUND;
}

int oms_sor_book_add_venue(oms_sor_book_t *b, const oms_sor_venue_cfg_t *cfg) {
  if (cfg == NULL || cfg->name[0] == '\0' || memchr(cfg->name, 0, sizeof(cfg->name)) == NULL)
    return OMS_EINVAL;
  if (oms_sor_book_venue(b, cfg->name) >= 0) return OMS_EEXIST;
  if (b->nvenues == OMS_SOR_MAX_VENUES) return OMS_EFULL;
  b->venue[b->nvenues] = (svenue_t){.cfg = *cfg, .state = OMS_SOR_UP};
  return (int)b->nvenues++;
}

const oms_sor_venue_cfg_t *oms_sor_book_venue_cfg(const oms_sor_book_t *b, int vi) {
  return vi >= 0 && (uint32_t)vi < b->nvenues ? &b->venue[vi].cfg : NULL;
}

void oms_sor_book_set_state(oms_sor_book_t *b, int vi, oms_sor_venue_state_t s) {
  if (vi >= 0 && (uint32_t)vi < b->nvenues) b->venue[vi].state = s;
}

oms_sor_venue_state_t oms_sor_book_state(const oms_sor_book_t *b, int vi) {
  return vi >= 0 && (uint32_t)vi < b->nvenues ? b->venue[vi].state : OMS_SOR_DOWN;
}

static uint64_t sym_key(const char *symbol) {
  uint64_t k = oms__hash_str(symbol, 0x510e527f);
  return k ? k : 1;
}

int oms_sor_book_find(const oms_sor_book_t *b, const char *symbol) {
  uint64_t v;
  if (!oms__u64map_get(&b->by_symbol, sym_key(symbol), &v)) return OMS_ENOTFOUND;
  return strcmp(b->ins[v].symbol, symbol) == 0 ? (int)v : OMS_ENOTFOUND;
}

int oms_sor_book_instrument(oms_sor_book_t *b, const char *symbol) {
  if (symbol == NULL || symbol[0] == '\0' || strlen(symbol) > OMS_SYMBOL_MAX) return OMS_EINVAL;
  uint64_t k = sym_key(symbol), v;
  if (oms__u64map_get(&b->by_symbol, k, &v))
    return strcmp(b->ins[v].symbol, symbol) == 0 ? (int)v : OMS_EFULL;
  if (b->nins == b->cap) return OMS_EFULL;
  sins_t *s = &b->ins[b->nins];
  strcpy(s->symbol, symbol);
  if (oms__u64map_put(&b->by_symbol, k, b->nins) != 0) return OMS_EFULL;
  return (int)b->nins++;
}

/* Copies side's levels of md, up to the first that is empty or not strictly
 * worse than the one before (the rest cannot be trusted to be in order, and
 * the sweep relies on the order). */
static void take_levels(sside_t *d, const oms_market_data_t *md, oms_side_t side) {
  bool buy = side == OMS_SIDE_BUY;
  uint32_t n = oms_md_levels(md, side), k = 0;
  for (uint32_t i = 0; i < n; i++) {
    oms_md_level_t l = oms_md_level(md, side, i);
    if (!oms_dec_is_pos(l.px) || !oms_dec_is_pos(l.qty)) break;
    if (k > 0 && (buy ? l.px.raw >= d->lv[k - 1].px.raw : l.px.raw <= d->lv[k - 1].px.raw)) break;
    d->lv[k++] = l;
  }
  d->n = k;
}

int oms_sor_book_update(oms_sor_book_t *b, int vi, const oms_market_data_t *md) {
  if (vi < 0 || (uint32_t)vi >= b->nvenues) return OMS_EINVAL;
  int ii = oms_sor_book_instrument(b, md->symbol);
  if (ii < 0) return ii;
  sins_t *s = &b->ins[ii];
  s->listed |= 1u << vi;
  s->q[vi] = (oms_sor_quote_t){md->bid, md->bid_qty, md->ask, md->ask_qty, md->ts_ns};
  take_levels(&s->side[vi][0], md, OMS_SIDE_BUY);
  take_levels(&s->side[vi][1], md, OMS_SIDE_SELL);
  return ii;
}

int oms_sor_book_levels(const oms_sor_book_t *b, int ins, int vi, oms_side_t side,
                        oms_md_level_t *out, uint32_t cap) {
  if (ins < 0 || (uint32_t)ins >= b->nins || vi < 0 || (uint32_t)vi >= b->nvenues ||
      (side != OMS_SIDE_BUY && side != OMS_SIDE_SELL))
    return OMS_ENOTFOUND;
  const sside_t *d = &b->ins[ins].side[vi][side == OMS_SIDE_SELL];
  uint32_t n = d->n < cap ? d->n : cap;
  if (n > 0) memcpy(out, d->lv, n * sizeof(*out));
  return (int)n;
}

int oms_sor_book_quote(const oms_sor_book_t *b, int ins, int vi, oms_sor_quote_t *out) {
  if (ins < 0 || (uint32_t)ins >= b->nins || vi < 0 || (uint32_t)vi >= b->nvenues)
    return OMS_ENOTFOUND;
  *out = b->ins[ins].q[vi];
  return 0;
}

static bool usable(const oms_sor_book_t *b, const sins_t *s, uint32_t vi, int64_t now) {
  if (b->venue[vi].state != OMS_SOR_UP || !(s->listed >> vi & 1)) return false;
  int64_t limit = b->venue[vi].cfg.stale_ns ? b->venue[vi].cfg.stale_ns : b->stale_ns;
  return limit <= 0 || now - s->q[vi].ts_ns <= limit;
}

bool oms_sor_book_usable(const oms_sor_book_t *b, int ins, int vi, int64_t now_ns) {
  if (ins < 0 || (uint32_t)ins >= b->nins || vi < 0 || (uint32_t)vi >= b->nvenues) return false;
  return usable(b, &b->ins[ins], (uint32_t)vi, now_ns);
}

int oms_sor_book_nbbo(const oms_sor_book_t *b, int ins, int64_t now_ns, oms_sor_nbbo_t *out) {
  memset(out, 0, sizeof(*out));
  if (ins < 0 || (uint32_t)ins >= b->nins) return OMS_ENOTFOUND;
  const sins_t *s = &b->ins[ins];
  for (uint32_t vi = 0; vi < b->nvenues; vi++) {
    if (!usable(b, s, vi, now_ns)) continue;
    out->usable |= 1u << vi;
    const oms_sor_quote_t *q = &s->q[vi];
    if (oms_dec_is_pos(q->bid) && oms_dec_is_pos(q->bid_qty)) {
      if (q->bid.raw > out->bid.raw) out->bid = q->bid, out->bid_qty = OMS_DEC_ZERO;
      if (q->bid.raw == out->bid.raw) out->bid_qty.raw += q->bid_qty.raw;
    }
    if (oms_dec_is_pos(q->ask) && oms_dec_is_pos(q->ask_qty)) {
      if (out->ask.raw == 0 || q->ask.raw < out->ask.raw)
        out->ask = q->ask, out->ask_qty = OMS_DEC_ZERO;
      if (q->ask.raw == out->ask.raw) out->ask_qty.raw += q->ask_qty.raw;
    }
  }
  return 0;
}

/* ---- the decision ----------------------------------------------------------- */

/* price x (1 + rate) for a buy, x (1 - rate) for a sell, rounded against us;
 * "better" is then lower for a buy and higher for a sell. */
static oms_dec_t effective(oms_side_t side, oms_dec_t px, oms_dec_t rate) {
  oms_dec_t fee = OMS_DEC_ZERO, out = px;
  bool buy = side == OMS_SIDE_BUY;
  if (oms_dec_mul(px, rate, buy ? OMS_ROUND_CEIL : OMS_ROUND_FLOOR, &fee) != 0) return px;
  if ((buy ? oms_dec_add(px, fee, &out) : oms_dec_sub(px, fee, &out)) != 0) return px;
  return out;
}

static bool better(oms_side_t side, oms_dec_t a, oms_dec_t b) {
  return side == OMS_SIDE_BUY ? a.raw < b.raw : a.raw > b.raw;
}

/* A venue in a sweep: where it stands in its levels on the side we take. */
typedef struct cand_s {
  uint32_t vi;
  const sside_t *d;
  uint32_t lvl;  /* the next level to take */
  oms_dec_t eff; /* its effective price */
  int64_t lat;
  int child; /* its child in the plan, or -1 */
} cand_t;

static bool ahead(oms_side_t side, const cand_t *a, const cand_t *b) {
  if (a->eff.raw != b->eff.raw) return better(side, a->eff, b->eff);
  if (a->lat != b->lat) return a->lat < b->lat;
  return a->vi < b->vi;
}

/* q (never negative here) rounded down to a multiple of lot (0: any). */
static oms_dec_t round_lot(oms_dec_t q, oms_dec_t lot) {
  if (oms_dec_is_pos(lot) && q.raw > 0) q.raw -= q.raw % lot.raw;
  return q;
}

/* Whether level px is within the request's limit (a market order: any). */
static bool within(const oms_sor_request_t *req, oms_dec_t px) {
  if (!oms_dec_is_pos(req->limit_px)) return true;
  return req->side == OMS_SIDE_BUY ? px.raw <= req->limit_px.raw : px.raw >= req->limit_px.raw;
}

/* Moves c to its next level within the limit; false when it has none. */
static bool next_level(const oms_sor_book_t *b, const oms_sor_request_t *req, cand_t *c) {
  if (c->lvl >= c->d->n || !within(req, c->d->lv[c->lvl].px)) return false;
  c->eff = effective(req->side, c->d->lv[c->lvl].px, b->venue[c->vi].cfg.taker_fee_rate);
  return true;
}

/* A merge of the venues' levels by effective price: each step takes the
 * best level left across all venues (a venue's levels only get worse, so
 * its next level is its best), until the request is taken or no level is
 * left within the limit. One IOC child per venue: the sum of the levels
 * taken there, its limit the worst of them. Each level's take is rounded
 * down to the lot on its own, so children stay multiples of it. */
static void sweep(const oms_sor_book_t *b, const sins_t *s, const oms_sor_request_t *req,
                  int64_t now, oms_sor_plan_t *out) {
  cand_t c[OMS_SOR_MAX_VENUES];
  uint32_t n = 0;
  int sd = req->side == OMS_SIDE_SELL; /* a buy takes offers */
  for (uint32_t vi = 0; vi < b->nvenues; vi++) {
    if ((req->skip | req->busy) >> vi & 1 || !usable(b, s, vi, now)) continue;
    c[n] = (cand_t){vi, &s->side[vi][!sd], 0, OMS_DEC_ZERO, b->venue[vi].cfg.latency_ns, -1};
    if (next_level(b, req, &c[n])) n++;
  }
  /* while at least one lot is left */
  int64_t least = oms_dec_is_pos(req->lot) ? req->lot.raw : 1;
  while (n > 0 && out->rest.raw >= least) {
    uint32_t k = 0;
    for (uint32_t i = 1; i < n; i++)
      if (ahead(req->side, &c[i], &c[k])) k = i;
    cand_t *x = &c[k];
    const oms_md_level_t *l = &x->d->lv[x->lvl];
    oms_dec_t q = round_lot(l->qty.raw < out->rest.raw ? l->qty : out->rest, req->lot);
    if (oms_dec_is_pos(q)) {
      oms_dec_t notional = OMS_DEC_ZERO;
      (void)oms_dec_mul(q, l->px, OMS_ROUND_HALF_EVEN, &notional);
      if (x->child < 0) {
        x->child = (int)out->n++;
        out->child[x->child] = (oms_sor_child_t){.venue = (uint8_t)x->vi};
      }
      oms_sor_child_t *ch = &out->child[x->child];
      ch->qty.raw += q.raw;
      ch->price = l->px;
      ch->eff_px = x->eff;
      (void)oms_dec_add(ch->notional, notional, &ch->notional);
      ch->levels++;
      out->rest.raw -= q.raw;
    }
    x->lvl++;
    if (!next_level(b, req, x)) c[k] = c[--n];
  }
}

/* The queue ahead of a post at px on our side d of a venue's book: the
 * displayed size at px and at every better price; nothing when px improves
 * the venue's best. Behind the last level known, all the levels known (a
 * floor: what lies between is not displayed to us). */
static oms_dec_t queue_ahead(oms_side_t side, const sside_t *d, oms_dec_t px) {
  bool buy = side == OMS_SIDE_BUY;
  oms_dec_t size = OMS_DEC_ZERO;
  /* a resting bid at or above ours (an offer at or below) is served first */
  for (uint32_t i = 0; i < d->n && (buy ? d->lv[i].px.raw >= px.raw : d->lv[i].px.raw <= px.raw);
       i++)
    (void)oms_dec_add(size, d->lv[i].qty, &size);
  return size;
}

static void post(const oms_sor_book_t *b, const sins_t *s, const oms_sor_request_t *req,
                 int64_t now, oms_sor_plan_t *out) {
  bool buy = req->side == OMS_SIDE_BUY;
  oms_dec_t q = round_lot(out->rest, req->lot);
  if (!oms_dec_is_pos(q)) return;
  int best = -1;
  oms_dec_t best_fee = OMS_DEC_ZERO, best_queue = OMS_DEC_ZERO;
  for (uint32_t vi = 0; vi < b->nvenues; vi++) {
    if (req->busy >> vi & 1 || !usable(b, s, vi, now)) continue;
    const oms_sor_quote_t *vq = &s->q[vi];
    oms_dec_t opp = buy ? vq->ask : vq->bid;
    /* a post that crosses the venue's other side would take, not rest */
    if (oms_dec_is_pos(opp) && (buy ? req->limit_px.raw >= opp.raw : req->limit_px.raw <= opp.raw))
      continue;
    oms_dec_t fee = b->venue[vi].cfg.maker_fee_rate;
    oms_dec_t queue = queue_ahead(req->side, &s->side[vi][!buy], req->limit_px);
    if (best >= 0) {
      if (fee.raw > best_fee.raw) continue;
      if (fee.raw == best_fee.raw) {
        if (queue.raw > best_queue.raw) continue;
        if (queue.raw == best_queue.raw &&
            b->venue[vi].cfg.latency_ns >= b->venue[best].cfg.latency_ns)
          continue;
      }
    }
    best = (int)vi;
    best_fee = fee;
    best_queue = queue;
  }
  if (best < 0) return;
  oms_sor_child_t *ch = &out->child[out->n++];
  *ch = (oms_sor_child_t){.venue = (uint8_t)best,
                          .post = true,
                          .qty = q,
                          .price = req->limit_px,
                          .eff_px = effective(req->side, req->limit_px, best_fee)};
  (void)oms_dec_mul(q, req->limit_px, OMS_ROUND_HALF_EVEN, &ch->notional);
  out->rest.raw -= q.raw;
}

int oms_sor_route(const oms_sor_book_t *b, int ins, oms_sor_policy_t policy,
                  const oms_sor_request_t *req, int64_t now_ns, oms_sor_plan_t *out) {
  out->n = 0;
  out->rest = OMS_DEC_ZERO;
  if (ins < 0 || (uint32_t)ins >= b->nins || (unsigned)policy >= NPOLICIES ||
      policy == OMS_SOR_POLICY_NONE || !oms_dec_is_pos(req->qty) || oms_dec_is_neg(req->limit_px) ||
      (req->side != OMS_SIDE_BUY && req->side != OMS_SIDE_SELL))
    return OMS_EINVAL;
  const sins_t *s = &b->ins[ins];
  out->rest = req->qty;
  if (policies[policy].take) sweep(b, s, req, now_ns, out);
  if (policies[policy].post && oms_dec_is_pos(req->limit_px) && oms_dec_is_pos(out->rest)) {
    oms_sor_request_t r = *req;
    for (uint32_t k = 0; k < out->n; k++) r.busy |= 1u << out->child[k].venue;
    post(b, s, &r, now_ns, out);
  }
  return 0;
}

/* ---- best execution ----------------------------------------------------------- */

int oms_sor_bestex_finish(oms_sor_bestex_t *bx) {
  bx->avg_px = bx->improvement_px = bx->improvement = bx->eff_spread_px = OMS_DEC_ZERO;
  if (!oms_dec_is_pos(bx->filled)) return 0;
  int rc = oms_dec_div(bx->notional, bx->filled, OMS_ROUND_HALF_EVEN, &bx->avg_px);
  if (rc != 0) return rc;
  bool buy = bx->side == OMS_SIDE_BUY;
  oms_dec_t ref = buy ? bx->arrival_ask : bx->arrival_bid;
  if (oms_dec_is_pos(ref)) {
    rc = buy ? oms_dec_sub(ref, bx->avg_px, &bx->improvement_px)
             : oms_dec_sub(bx->avg_px, ref, &bx->improvement_px);
    if (rc == 0)
      rc = oms_dec_mul(bx->improvement_px, bx->filled, OMS_ROUND_HALF_EVEN, &bx->improvement);
    if (rc != 0) return rc;
  }
  if (oms_dec_is_pos(bx->arrival_bid) && oms_dec_is_pos(bx->arrival_ask)) {
    /* 2 x (avg - mid) = 2 avg - (bid + ask), exact */
    oms_dec_t two_avg, sum;
    rc = oms_dec_add(bx->avg_px, bx->avg_px, &two_avg);
    if (rc == 0) rc = oms_dec_add(bx->arrival_bid, bx->arrival_ask, &sum);
    if (rc == 0)
      rc = buy ? oms_dec_sub(two_avg, sum, &bx->eff_spread_px)
               : oms_dec_sub(sum, two_avg, &bx->eff_spread_px);
  }
  return rc;
}

/* The record's wire form: "BX", version, venue count, then fixed-width
 * little-endian fields in the order of the struct. */
#define BX_VERSION 1

static void put64(uint8_t **p, uint64_t v) {
  for (int i = 0; i < 8; i++) (*p)[i] = (uint8_t)(v >> (8 * i));
  *p += 8;
}

static uint64_t get64(const uint8_t **p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)(*p)[i] << (8 * i);
  *p += 8;
  return v;
}

#define BX_FIXED (4 + 8 * 16)
#define BX_VENUE (OMS_VENUE_MAX + 1 + 8 * 4)

int oms_sor_bestex_encode(const oms_sor_bestex_t *bx, uint8_t *buf, size_t cap) {
  uint32_t nv = bx->nvenues > OMS_SOR_MAX_VENUES ? OMS_SOR_MAX_VENUES : bx->nvenues;
  size_t len = BX_FIXED + nv * BX_VENUE;
  if (cap < len) return OMS_EFULL;
  uint8_t *p = buf;
  *p++ = 'B';
  *p++ = 'X';
  *p++ = BX_VERSION;
  *p++ = (uint8_t)nv;
  const int64_t f[16] = {(int64_t)bx->parent_id,
                         bx->side,
                         bx->arrival_ns,
                         bx->arrival_bid.raw,
                         bx->arrival_ask.raw,
                         bx->qty.raw,
                         bx->filled.raw,
                         bx->avg_px.raw,
                         bx->notional.raw,
                         bx->fees.raw,
                         bx->improvement_px.raw,
                         bx->improvement.raw,
                         bx->eff_spread_px.raw,
                         0,
                         0,
                         0};
  for (int i = 0; i < 16; i++) put64(&p, (uint64_t)f[i]);
  for (uint32_t k = 0; k < nv; k++) {
    memcpy(p, bx->venue[k].venue, OMS_VENUE_MAX + 1);
    p += OMS_VENUE_MAX + 1;
    put64(&p, (uint64_t)bx->venue[k].qty.raw);
    put64(&p, (uint64_t)bx->venue[k].notional.raw);
    put64(&p, (uint64_t)bx->venue[k].fees.raw);
    put64(&p, bx->venue[k].children);
  }
  return (int)len;
}

int oms_sor_bestex_decode(const uint8_t *buf, size_t len, oms_sor_bestex_t *out) {
  memset(out, 0, sizeof(*out));
  if (len < BX_FIXED || buf[0] != 'B' || buf[1] != 'X' || buf[2] != BX_VERSION ||
      buf[3] > OMS_SOR_MAX_VENUES || len != BX_FIXED + (size_t)buf[3] * BX_VENUE)
    return OMS_ECORRUPT;
  const uint8_t *p = buf + 4;
  int64_t f[16];
  for (int i = 0; i < 16; i++) f[i] = (int64_t)get64(&p);
  out->parent_id = (uint64_t)f[0];
  out->side = (oms_side_t)f[1];
  out->arrival_ns = f[2];
  out->arrival_bid.raw = f[3];
  out->arrival_ask.raw = f[4];
  out->qty.raw = f[5];
  out->filled.raw = f[6];
  out->avg_px.raw = f[7];
  out->notional.raw = f[8];
  out->fees.raw = f[9];
  out->improvement_px.raw = f[10];
  out->improvement.raw = f[11];
  out->eff_spread_px.raw = f[12];
  out->nvenues = buf[3];
  for (uint32_t k = 0; k < out->nvenues; k++) {
    memcpy(out->venue[k].venue, p, OMS_VENUE_MAX + 1);
    p += OMS_VENUE_MAX + 1;
    if (memchr(out->venue[k].venue, 0, OMS_VENUE_MAX + 1) == NULL) {
      memset(out, 0, sizeof(*out));
      return OMS_ECORRUPT;
    }
    out->venue[k].qty.raw = (int64_t)get64(&p);
    out->venue[k].notional.raw = (int64_t)get64(&p);
    out->venue[k].fees.raw = (int64_t)get64(&p);
    out->venue[k].children = (uint32_t)get64(&p);
  }
  return 0;
}
