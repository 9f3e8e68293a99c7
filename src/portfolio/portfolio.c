/*
 * portfolio.c - positions and account figures kept up to date from fills and
 * mark prices (the accounting model is described in include/oms/portfolio.h).
 *
 * NOTES ON THE DESIGN
 *
 * Three fixed arrays, sized at create: symbols, accounts, positions. Each has
 * an index from its key to the array position: symbols and accounts a
 * core/strmap.h by id, positions a core/u64map.h by (account, symbol)
 * position. Nothing is ever deleted; a flat position stays in place.
 *
 * Every position caches its own unrealized PnL, exposure and margin at the
 * current mark, and every account caches the sums of those over its
 * positions. A change to a position (fill) or to a mark (set_mark) computes
 * the new cached values of each touched position and moves the account sums
 * by the difference, so reads never iterate. The positions of a symbol are
 * chained (next_in_sym) for set_mark.
 *
 * Changes are computed on copies and written back only when every step
 * succeeded: a result out of range leaves the portfolio as it was.
 */
#include "oms/portfolio.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strmap.h"
#include "core/u64map.h"
#include "oms/error.h"

typedef __int128 i128;

typedef struct sym_s {
  char id[OMS_SYMBOL_MAX + 1];
  oms_pf_instrument_t ins;
  bool explicit_mark; /* set by set_mark; otherwise marked at the last fill */
  int32_t first_pos;  /* chain of positions in this symbol, -1 ends */
} sym_t;

typedef struct acct_s {
  char id[OMS_ID_MAX + 1];
  oms_dec_t cash, realized, fees, upnl, gross, net, margin;
  int64_t day;        /* trading day index of day_base */
  oms_dec_t day_base; /* realized - fees + upnl at the start of that day */
  /* gross / equity as last divided (lev_equity 0: never): an account is
   * read per order, and its figures change far less often. */
  oms_dec_t lev_gross, lev_equity, lev;
} acct_t;

typedef struct pos_s {
  uint32_t acct, sym;
  int32_t next_in_sym;
  oms_dec_t qty, avg, realized, fees;
  oms_dec_t upnl, expo, margin; /* cached at the symbol's mark */
} pos_t;

typedef struct vals_s {
  oms_dec_t upnl, expo, margin;
} vals_t;

struct oms_portfolio_s {
  oms_portfolio_config_t cfg;
  sym_t *syms;
  acct_t *accts;
  pos_t *pos;
  vals_t *scratch; /* set_mark's new values, one per position */
  uint32_t nsyms, naccts, npos;
  oms__strmap_t sym_idx, acct_idx; /* id -> array position */
  oms__u64map_t pos_idx;           /* pos_key(account, symbol) -> array position */
  /* The account and the symbol found last, or -1: a submission asks for the
   * same names two or three times in a row (the account, the position, the
   * instrument), and a compare with the record's own name costs a fraction
   * of a hash and a probe. Records are never removed, so a number stays
   * good. Written by the lookups of const functions too: the portfolio has
   * one owner thread (see portfolio.h). */
  int32_t last_sym, last_acct;
  /* Moved by every change to what a read gives (oms_portfolio_changes):
   * each updating function moves it on entry, before it can fail, and a
   * trading day's start (roll_day) moves it too, read or not. */
  uint64_t changes;
};

/* ---- small helpers ------------------------------------------------------- */

static int fits(i128 v) { return v <= (i128)OMS_DEC_MAX_RAW && v >= (i128)OMS_DEC_MIN_RAW; }

static oms_dec_t saturate(i128 v) {
  if (v > (i128)OMS_DEC_MAX_RAW) return oms_dec_from_raw(OMS_DEC_MAX_RAW);
  if (v < (i128)OMS_DEC_MIN_RAW) return oms_dec_from_raw(OMS_DEC_MIN_RAW);
  return oms_dec_from_raw((int64_t)v);
}

static int64_t day_of(const oms_portfolio_t *p, int64_t now_ns) {
  int64_t t = now_ns - p->cfg.day_reset_ns;
  int64_t d = t / OMS_DAY_NS;
  if (t % OMS_DAY_NS < 0) d--;
  return d;
}

static oms_dec_t total_pnl(const acct_t *a) {
  return saturate((i128)a->realized.raw - a->fees.raw + a->upnl.raw);
}

/* Starts a new trading day for a if now_ns is past its day. */
static void roll_day(oms_portfolio_t *p, acct_t *a, int64_t now_ns) {
  int64_t d = day_of(p, now_ns);
  if (d > a->day) {
    p->changes++;
    a->day = d;
    a->day_base = total_pnl(a);
  }
}

/* ---- lookups ------------------------------------------------------------- */

static int32_t find_sym(const oms_portfolio_t *p, const char *id) {
  if (id == NULL) return -1;
  if (p->last_sym >= 0 && strcmp(p->syms[p->last_sym].id, id) == 0) return p->last_sym;
  uint64_t k;
  if (!oms__strmap_get(&p->sym_idx, id, &k)) return -1;
  ((oms_portfolio_t *)p)->last_sym = (int32_t)k;
  return (int32_t)k;
}

static int32_t find_acct(const oms_portfolio_t *p, const char *id) {
  if (id == NULL) return -1;
  if (p->last_acct >= 0 && strcmp(p->accts[p->last_acct].id, id) == 0) return p->last_acct;
  uint64_t k;
  if (!oms__strmap_get(&p->acct_idx, id, &k)) return -1;
  ((oms_portfolio_t *)p)->last_acct = (int32_t)k;
  return (int32_t)k;
}

/* Finds or creates account id. Returns its index, or a negative error. */
static int32_t get_acct(oms_portfolio_t *p, const char *id, int64_t now_ns) {
  if (id == NULL || id[0] == '\0') return OMS_EINVAL;
  int32_t k = find_acct(p, id);
  if (k >= 0) return k;
  /* OMS_EINVAL for an id too long, OMS_EFULL at max_accounts */
  int rc = oms__strmap_put(&p->acct_idx, id, p->naccts);
  if (rc != 0) return rc;
  p->changes++;
  k = (int32_t)p->naccts++;
  acct_t *a = &p->accts[k];
  memset(a, 0, sizeof(*a));
  strcpy(a->id, id);
  a->day = day_of(p, now_ns);
  return k;
}

/* Never 0 (the map's empty key): account and symbol are below 2^24. */
static uint64_t pos_key(uint32_t acct, uint32_t sym) { return ((uint64_t)acct << 32 | sym) + 1; }

static int32_t find_pos(const oms_portfolio_t *p, uint32_t acct, uint32_t sym) {
  uint64_t k;
  return oms__u64map_get(&p->pos_idx, pos_key(acct, sym), &k) ? (int32_t)k : -1;
}

/* ---- create / destroy ---------------------------------------------------- */

int oms_portfolio_create(const oms_portfolio_config_t *cfg, oms_portfolio_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->max_accounts == 0 || cfg->max_symbols == 0 || cfg->max_positions == 0 ||
      cfg->max_accounts > (1u << 24) || cfg->max_symbols > (1u << 24) ||
      cfg->max_positions > (1u << 26) || cfg->day_reset_ns < 0 || cfg->day_reset_ns >= OMS_DAY_NS)
    return OMS_EINVAL;
  oms_portfolio_t *p = oms__calloc(1, sizeof(*p));
  if (p == NULL) return OMS_ENOMEM;
  p->cfg = *cfg;
  p->last_sym = p->last_acct = -1;
  p->syms = oms__calloc(cfg->max_symbols, sizeof(sym_t));
  p->accts = oms__calloc(cfg->max_accounts, sizeof(acct_t));
  p->pos = oms__calloc(cfg->max_positions, sizeof(pos_t));
  p->scratch = oms__calloc(cfg->max_positions, sizeof(vals_t));
  if (p->syms == NULL || p->accts == NULL || p->pos == NULL || p->scratch == NULL ||
      oms__strmap_init(&p->sym_idx, cfg->max_symbols, OMS_SYMBOL_MAX) != 0 ||
      oms__strmap_init(&p->acct_idx, cfg->max_accounts, OMS_ID_MAX) != 0 ||
      oms__u64map_init(&p->pos_idx, cfg->max_positions) != 0) {
    oms_portfolio_destroy(p);
    return OMS_ENOMEM;
  }
  *out = p;
  return 0;
}

void oms_portfolio_destroy(oms_portfolio_t *p) {
  if (p == NULL) return;
  oms__free(p->syms);
  oms__free(p->accts);
  oms__free(p->pos);
  oms__free(p->scratch);
  oms__strmap_close(&p->sym_idx);
  oms__strmap_close(&p->acct_idx);
  oms__u64map_close(&p->pos_idx);
  oms__free(p);
}

/* ---- valuation ----------------------------------------------------------- */

/* The cached values of a position of qty at avg for instrument ins. */
static int value_of(oms_dec_t qty, oms_dec_t avg, const oms_pf_instrument_t *ins, vals_t *v) {
  v->upnl = v->expo = v->margin = OMS_DEC_ZERO;
  if (oms_dec_is_zero(qty)) return 0;
  oms_dec_t diff;
  int rc = oms_dec_sub(ins->mark_px, avg, &diff);
  if (rc == 0) rc = oms_notional(qty, diff, ins->multiplier, &v->upnl);
  if (rc == 0) rc = oms_notional(qty, ins->mark_px, ins->multiplier, &v->expo);
  if (rc == 0)
    rc = oms_dec_mul(oms_dec_abs(v->expo), ins->margin_rate, OMS_ROUND_HALF_EVEN, &v->margin);
  return rc;
}

/* *n = *a with the position values moved from old to new, and realized and
 * fees added; checked. */
static int acct_move(const acct_t *a, const vals_t *old, const vals_t *nw, oms_dec_t realized,
                     oms_dec_t fee, acct_t *n) {
  *n = *a;
  i128 upnl = (i128)a->upnl.raw - old->upnl.raw + nw->upnl.raw;
  i128 gross = (i128)a->gross.raw - (old->expo.raw < 0 ? -old->expo.raw : old->expo.raw) +
               (nw->expo.raw < 0 ? -nw->expo.raw : nw->expo.raw);
  i128 net = (i128)a->net.raw - old->expo.raw + nw->expo.raw;
  i128 margin = (i128)a->margin.raw - old->margin.raw + nw->margin.raw;
  i128 rl = (i128)a->realized.raw + realized.raw;
  i128 fees = (i128)a->fees.raw + fee.raw;
  i128 cash = (i128)a->cash.raw + realized.raw - fee.raw;
  if (!fits(upnl) || !fits(gross) || !fits(net) || !fits(margin) || !fits(rl) || !fits(fees) ||
      !fits(cash))
    return OMS_EOVERFLOW;
  n->upnl.raw = (int64_t)upnl;
  n->gross.raw = (int64_t)gross;
  n->net.raw = (int64_t)net;
  n->margin.raw = (int64_t)margin;
  n->realized.raw = (int64_t)rl;
  n->fees.raw = (int64_t)fees;
  n->cash.raw = (int64_t)cash;
  return 0;
}

/* Sets symbol k's instrument data to ins and revalues its positions, all or
 * nothing. */
static int revalue_symbol(oms_portfolio_t *p, int32_t k, const oms_pf_instrument_t *ins,
                          int64_t now_ns) {
  p->changes++;
  sym_t *s = &p->syms[k];
  static const oms_dec_t zero = {0};
  for (int32_t i = s->first_pos; i >= 0; i = p->pos[i].next_in_sym) {
    pos_t *ps = &p->pos[i];
    roll_day(p, &p->accts[ps->acct], now_ns);
    int rc = value_of(ps->qty, ps->avg, ins, &p->scratch[i]);
    vals_t old = {ps->upnl, ps->expo, ps->margin};
    acct_t n;
    if (rc == 0) rc = acct_move(&p->accts[ps->acct], &old, &p->scratch[i], zero, zero, &n);
    if (rc != 0) return rc;
  }
  for (int32_t i = s->first_pos; i >= 0; i = p->pos[i].next_in_sym) {
    pos_t *ps = &p->pos[i];
    vals_t old = {ps->upnl, ps->expo, ps->margin};
    acct_t *a = &p->accts[ps->acct];
    acct_t n;
    (void)acct_move(a, &old, &p->scratch[i], zero, zero, &n); /* checked above */
    *a = n;
    ps->upnl = p->scratch[i].upnl;
    ps->expo = p->scratch[i].expo;
    ps->margin = p->scratch[i].margin;
  }
  s->ins = *ins;
  return 0;
}

/* ---- updates ------------------------------------------------------------- */

int oms_portfolio_set_instrument(oms_portfolio_t *p, const char *symbol, oms_dec_t multiplier,
                                 oms_dec_t margin_rate) {
  if (p == NULL || symbol == NULL || oms_dec_is_neg(multiplier) || oms_dec_is_neg(margin_rate))
    return OMS_EINVAL;
  if (oms_dec_is_zero(multiplier)) multiplier = oms_dec_from_raw(OMS_DEC_SCALE);
  int32_t k = find_sym(p, symbol);
  if (k >= 0) {
    oms_pf_instrument_t ins = p->syms[k].ins;
    ins.multiplier = multiplier;
    ins.margin_rate = margin_rate;
    return revalue_symbol(p, k, &ins, ins.mark_ns);
  }
  if (!oms_id_valid(symbol, OMS_SYMBOL_MAX)) return OMS_EINVAL;
  int rc = oms__strmap_put(&p->sym_idx, symbol, p->nsyms); /* OMS_EFULL at max_symbols */
  if (rc != 0) return rc;
  p->changes++;
  k = (int32_t)p->nsyms++;
  sym_t *s = &p->syms[k];
  memset(s, 0, sizeof(*s));
  strcpy(s->id, symbol);
  s->ins.multiplier = multiplier;
  s->ins.margin_rate = margin_rate;
  s->first_pos = -1;
  return 0;
}

int oms_portfolio_set_mark(oms_portfolio_t *p, const char *symbol, oms_dec_t px, int64_t now_ns) {
  if (p == NULL || !oms_dec_is_pos(px)) return OMS_EINVAL;
  int32_t k = find_sym(p, symbol);
  if (k < 0) return OMS_ENOTFOUND;
  oms_pf_instrument_t ins = p->syms[k].ins;
  ins.mark_px = px;
  ins.mark_ns = now_ns;
  int rc = revalue_symbol(p, k, &ins, now_ns);
  if (rc == 0) p->syms[k].explicit_mark = true;
  return rc;
}

int oms_portfolio_set_cash(oms_portfolio_t *p, const char *account, oms_dec_t cash,
                           int64_t now_ns) {
  if (p == NULL || !oms_id_valid(account == NULL ? "" : account, OMS_ID_MAX)) return OMS_EINVAL;
  p->changes++;
  int32_t k = get_acct(p, account, now_ns);
  if (k < 0) return k;
  roll_day(p, &p->accts[k], now_ns);
  p->accts[k].cash = cash;
  return 0;
}

/* The position after a fill: quantity, average price and realized PnL. */
static int fill_math(const oms_pf_book_t *ps, oms_dec_t mult, oms_side_t side, oms_dec_t qty,
                     oms_dec_t px, oms_dec_t *nq, oms_dec_t *navg, oms_dec_t *realized) {
  int64_t q = ps->qty.raw, s = side == OMS_SIDE_BUY ? qty.raw : -qty.raw;
  i128 sum = (i128)q + s;
  if (!fits(sum)) return OMS_EOVERFLOW;
  nq->raw = (int64_t)sum;
  *realized = OMS_DEC_ZERO;
  if (q == 0 || (q > 0) == (s > 0)) {
    /* Opening or adding: exact weighted mean, rounded half-even. */
    i128 aq = q < 0 ? -(i128)q : q, as = s < 0 ? -(i128)s : s, cost;
    if (__builtin_mul_overflow(aq, (i128)ps->avg_px.raw, &cost)) return OMS_EOVERFLOW;
    i128 add;
    if (__builtin_mul_overflow(as, (i128)px.raw, &add) || __builtin_add_overflow(cost, add, &cost))
      return OMS_EOVERFLOW;
    i128 d = aq + as, a = cost / d, r = cost % d;
    if (2 * r > d || (2 * r == d && (a & 1))) a++;
    navg->raw = (int64_t)a; /* a mean of in-range prices is in range */
    return 0;
  }
  /* Reducing, closing or flipping. */
  int64_t aq = q < 0 ? -q : q;
  oms_dec_t closed = oms_dec_from_raw(qty.raw < aq ? qty.raw : aq);
  oms_dec_t diff;
  int rc = q > 0 ? oms_dec_sub(px, ps->avg_px, &diff) : oms_dec_sub(ps->avg_px, px, &diff);
  if (rc == 0) rc = oms_notional(closed, diff, mult, realized);
  if (rc != 0) return rc;
  if (nq->raw == 0)
    *navg = OMS_DEC_ZERO;
  else if ((nq->raw > 0) == (q > 0))
    *navg = ps->avg_px;
  else
    *navg = px;
  return 0;
}

int oms_pf_book_fill(const oms_pf_book_t *cur, oms_side_t side, oms_dec_t qty, oms_dec_t px,
                     oms_dec_t fee, oms_dec_t multiplier, oms_pf_book_t *next,
                     oms_dec_t *realized) {
  if (cur == NULL || next == NULL || (side != OMS_SIDE_BUY && side != OMS_SIDE_SELL) ||
      !oms_dec_is_pos(qty) || !oms_dec_is_pos(px))
    return OMS_EINVAL;
  oms_pf_book_t n;
  oms_dec_t r;
  int rc = fill_math(cur, multiplier, side, qty, px, &n.qty, &n.avg_px, &r);
  if (rc == 0) rc = oms_dec_add(cur->realized_pnl, r, &n.realized_pnl);
  if (rc == 0) rc = oms_dec_add(cur->fees, fee, &n.fees);
  if (rc != 0) return rc;
  *next = n;
  if (realized != NULL) *realized = r;
  return 0;
}

/* The position before a fill, from the position after it: the inverse of
 * fill_math, exact when the fill opened or added to the position (the mean
 * is unwound, rounded half-even) or reduced it without flattening or
 * flipping it (the average is unchanged and the realized part is taken
 * back). A fill that flattened or flipped the position lost the average it
 * closed against; it is taken back as an opposite fill at its own price,
 * which restores the quantity and fees but not that realized PnL
 * (docs/reconciliation.md). */
static int bust_math(const oms_pf_book_t *cur, oms_dec_t mult, oms_side_t side, oms_dec_t qty,
                     oms_dec_t px, oms_dec_t fee, oms_pf_book_t *prev, oms_dec_t *realized) {
  const oms_pf_book_t book = *cur, *ps = &book; /* prev may be cur */
  int64_t q = ps->qty.raw, s = side == OMS_SIDE_BUY ? qty.raw : -qty.raw;
  i128 qp = (i128)q - s;
  if (!fits(qp)) return OMS_EOVERFLOW;
  int rc = oms_dec_sub(ps->fees, fee, &prev->fees);
  if (rc != 0) return rc;
  prev->qty.raw = (int64_t)qp;
  *realized = OMS_DEC_ZERO;
  if (q != 0 && (q > 0) == (s > 0) && (qp == 0 || (qp > 0) == (s > 0))) {
    /* It opened or added: unwind the weighted mean. */
    i128 aq = q < 0 ? -(i128)q : q, as = s < 0 ? -(i128)s : s, ap = aq - as;
    i128 cost = aq * (i128)ps->avg_px.raw - as * (i128)px.raw;
    if (ap == 0) {
      prev->avg_px = OMS_DEC_ZERO;
    } else {
      i128 a = cost / ap, r = cost % ap;
      if (2 * r > ap || (2 * r == ap && (a & 1))) a++;
      if (!fits(a) || a <= 0) return OMS_EOVERFLOW;
      prev->avg_px.raw = (int64_t)a;
    }
    prev->realized_pnl = ps->realized_pnl;
    return 0;
  }
  if (q != 0 && qp != 0 && (qp > 0) == (q > 0)) {
    /* It reduced: the average stood; take its realized part back. */
    oms_dec_t diff, r;
    rc = q > 0 ? oms_dec_sub(px, ps->avg_px, &diff) : oms_dec_sub(ps->avg_px, px, &diff);
    if (rc == 0) rc = oms_notional(qty, diff, mult, &r);
    if (rc == 0) rc = oms_dec_sub(ps->realized_pnl, r, &prev->realized_pnl);
    if (rc != 0) return rc;
    prev->avg_px = ps->avg_px;
    *realized = oms_dec_neg(r);
    return 0;
  }
  /* Flattened or flipped: an opposite fill at its own price. */
  oms_pf_book_t n;
  rc = fill_math(ps, mult, side == OMS_SIDE_BUY ? OMS_SIDE_SELL : OMS_SIDE_BUY, qty, px, &n.qty,
                 &n.avg_px, realized);
  if (rc == 0) rc = oms_dec_add(ps->realized_pnl, *realized, &prev->realized_pnl);
  if (rc != 0) return rc;
  prev->avg_px = n.avg_px;
  return 0;
}

int oms_pf_book_bust(const oms_pf_book_t *cur, oms_side_t side, oms_dec_t qty, oms_dec_t px,
                     oms_dec_t fee, oms_dec_t multiplier, oms_pf_book_t *prev,
                     oms_dec_t *realized) {
  if (cur == NULL || prev == NULL || (side != OMS_SIDE_BUY && side != OMS_SIDE_SELL) ||
      !oms_dec_is_pos(qty) || !oms_dec_is_pos(px))
    return OMS_EINVAL;
  oms_pf_book_t n;
  oms_dec_t r;
  int rc = bust_math(cur, multiplier, side, qty, px, fee, &n, &r);
  if (rc != 0) return rc;
  *prev = n;
  if (realized != NULL) *realized = r;
  return 0;
}

static int post_fill(oms_portfolio_t *p, const char *account, const char *symbol, oms_side_t side,
                     oms_dec_t qty, oms_dec_t px, oms_dec_t fee, int64_t now_ns, bool bust) {
  if (p == NULL || account == NULL || !oms_id_valid(account, OMS_ID_MAX) ||
      (side != OMS_SIDE_BUY && side != OMS_SIDE_SELL) || !oms_dec_is_pos(qty) ||
      !oms_dec_is_pos(px))
    return OMS_EINVAL;
  p->changes++;
  int32_t sk = find_sym(p, symbol);
  if (sk < 0) return OMS_ENOTFOUND;
  int32_t ak = get_acct(p, account, now_ns);
  if (ak < 0) return ak;
  int32_t pk = find_pos(p, (uint32_t)ak, (uint32_t)sk);
  if (pk < 0 && p->npos == p->cfg.max_positions) return OMS_EFULL;
  roll_day(p, &p->accts[ak], now_ns);

  sym_t *s = &p->syms[sk];
  int rc;
  if (!s->explicit_mark && !bust) {
    /* Marked at the last fill: move the mark first, for every holder. */
    oms_pf_instrument_t ins = s->ins;
    ins.mark_px = px;
    ins.mark_ns = now_ns;
    rc = revalue_symbol(p, sk, &ins, now_ns);
    if (rc != 0) return rc;
  }
  pos_t cur;
  if (pk >= 0) {
    cur = p->pos[pk];
  } else {
    memset(&cur, 0, sizeof(cur));
    cur.acct = (uint32_t)ak;
    cur.sym = (uint32_t)sk;
    cur.next_in_sym = s->first_pos;
  }
  pos_t n = cur;
  oms_dec_t realized;
  oms_pf_book_t book = {cur.qty, cur.avg, cur.realized, cur.fees};
  if (bust)
    rc = bust_math(&book, s->ins.multiplier, side, qty, px, fee, &book, &realized);
  else
    rc = oms_pf_book_fill(&book, side, qty, px, fee, s->ins.multiplier, &book, &realized);
  n.qty = book.qty;
  n.avg = book.avg_px;
  n.realized = book.realized_pnl;
  n.fees = book.fees;
  vals_t nv;
  if (rc == 0) rc = value_of(n.qty, n.avg, &s->ins, &nv);
  vals_t old = {cur.upnl, cur.expo, cur.margin};
  acct_t na;
  if (rc == 0)
    rc = acct_move(&p->accts[ak], &old, &nv, realized, bust ? oms_dec_neg(fee) : fee, &na);
  if (rc != 0) return rc;
  n.upnl = nv.upnl;
  n.expo = nv.expo;
  n.margin = nv.margin;
  if (pk < 0) {
    pk = (int32_t)p->npos++;
    (void)oms__u64map_put(&p->pos_idx, pos_key((uint32_t)ak, (uint32_t)sk), (uint64_t)pk);
    s->first_pos = pk;
  }
  p->pos[pk] = n;
  p->accts[ak] = na;
  return 0;
}

int oms_portfolio_apply_fill(oms_portfolio_t *p, const char *account, const char *symbol,
                             oms_side_t side, oms_dec_t qty, oms_dec_t px, oms_dec_t fee,
                             int64_t now_ns) {
  return post_fill(p, account, symbol, side, qty, px, fee, now_ns, false);
}

int oms_portfolio_bust_fill(oms_portfolio_t *p, const char *account, const char *symbol,
                            oms_side_t side, oms_dec_t qty, oms_dec_t px, oms_dec_t fee,
                            int64_t now_ns) {
  return post_fill(p, account, symbol, side, qty, px, fee, now_ns, true);
}

/* ---- reads --------------------------------------------------------------- */

/* The figures of account record k (found), as oms_portfolio_account gives
 * them. */
static void account_out(oms_portfolio_t *p, int32_t k, int64_t now_ns, oms_pf_account_t *out) {
  acct_t *a = &p->accts[k];
  roll_day(p, a, now_ns);
  out->cash = a->cash;
  out->realized_pnl = a->realized;
  out->unrealized_pnl = a->upnl;
  out->fees = a->fees;
  out->equity = saturate((i128)a->cash.raw + a->upnl.raw);
  out->margin_used = a->margin;
  out->gross_exposure = a->gross;
  out->net_exposure = a->net;
  if (oms_dec_is_pos(out->equity)) {
    if (a->lev_equity.raw != out->equity.raw || a->lev_gross.raw != a->gross.raw) {
      if (oms_dec_div(a->gross, out->equity, OMS_ROUND_HALF_EVEN, &a->lev) != 0)
        a->lev = oms_dec_from_raw(OMS_DEC_MAX_RAW);
      a->lev_gross = a->gross;
      a->lev_equity = out->equity;
    }
    out->leverage = a->lev;
  }
  out->daily_pnl = saturate((i128)total_pnl(a).raw - a->day_base.raw);
  out->day_start_ns = a->day * OMS_DAY_NS + p->cfg.day_reset_ns;
}

/* The position of account record ak (or -1) in symbol record sk (found),
 * as oms_portfolio_position gives it. */
static void position_out(const oms_portfolio_t *p, int32_t ak, int32_t sk, oms_pf_position_t *out) {
  out->ins = p->syms[sk].ins;
  int32_t pk = ak < 0 ? -1 : find_pos(p, (uint32_t)ak, (uint32_t)sk);
  if (pk < 0) return;
  const pos_t *ps = &p->pos[pk];
  out->qty = ps->qty;
  out->avg_px = ps->avg;
  out->realized_pnl = ps->realized;
  out->unrealized_pnl = ps->upnl;
  out->fees = ps->fees;
  out->exposure = ps->expo;
  out->margin = ps->margin;
}

int oms_portfolio_account(oms_portfolio_t *p, const char *account, int64_t now_ns,
                          oms_pf_account_t *out) {
  memset(out, 0, sizeof(*out));
  int32_t k = p == NULL ? -1 : find_acct(p, account);
  if (k < 0) return OMS_ENOTFOUND;
  account_out(p, k, now_ns, out);
  return 0;
}

int oms_portfolio_position(const oms_portfolio_t *p, const char *account, const char *symbol,
                           oms_pf_position_t *out) {
  memset(out, 0, sizeof(*out));
  int32_t sk = p == NULL ? -1 : find_sym(p, symbol);
  if (sk < 0) return OMS_ENOTFOUND;
  position_out(p, find_acct(p, account), sk, out);
  return 0;
}

/* The hint holds the account's record + 1 in its low half and the
 * symbol's in its high half (0: not found yet, looked up again). Records
 * are never removed, so a number once found names its record for good. */
int oms_portfolio_account_position(oms_portfolio_t *p, const char *account, const char *symbol,
                                   int64_t now_ns, uint64_t *hint, oms_pf_account_t *acct,
                                   oms_pf_position_t *pos) {
  memset(acct, 0, sizeof(*acct));
  memset(pos, 0, sizeof(*pos));
  if (p == NULL) return 0;
  uint64_t h = *hint;
  int32_t ak = (int32_t)(uint32_t)h - 1, sk = (int32_t)(uint32_t)(h >> 32) - 1;
  if (ak < 0) ak = find_acct(p, account);
  if (sk < 0) sk = find_sym(p, symbol);
  *hint = (uint64_t)(uint32_t)(ak + 1) | (uint64_t)(uint32_t)(sk + 1) << 32;
  int known = 0;
  if (ak >= 0) {
    account_out(p, ak, now_ns, acct);
    known |= OMS_PF_ACCOUNT_KNOWN;
  }
  if (sk >= 0) {
    position_out(p, ak, sk, pos);
    known |= OMS_PF_SYMBOL_KNOWN;
  }
  return known;
}

int oms_portfolio_instrument(const oms_portfolio_t *p, const char *symbol,
                             oms_pf_instrument_t *out) {
  memset(out, 0, sizeof(*out));
  int32_t k = p == NULL ? -1 : find_sym(p, symbol);
  if (k < 0) return OMS_ENOTFOUND;
  *out = p->syms[k].ins;
  return 0;
}

int oms_portfolio_instrument_hint(const oms_portfolio_t *p, const char *symbol, uint64_t *hint,
                                  oms_pf_instrument_t *out) {
  int32_t k = (int32_t)(uint32_t)(*hint >> 32) - 1;
  if (k < 0) {
    k = p == NULL ? -1 : find_sym(p, symbol);
    if (k < 0) {
      memset(out, 0, sizeof(*out));
      return OMS_ENOTFOUND;
    }
    *hint = (uint64_t)(uint32_t)*hint | (uint64_t)(uint32_t)(k + 1) << 32;
  }
  *out = p->syms[k].ins;
  return 0;
}

/* ---- walks --------------------------------------------------------------- */

int oms_portfolio_each_position(const oms_portfolio_t *p, const char *account,
                                oms_pf_position_fn fn, void *ctx) {
  int32_t only = -1;
  if (account != NULL && (only = find_acct(p, account)) < 0) return 0;
  for (uint32_t i = 0; i < p->npos; i++) {
    const pos_t *ps = &p->pos[i];
    if (only >= 0 && ps->acct != (uint32_t)only) continue;
    oms_pf_position_t out = {.qty = ps->qty,
                             .avg_px = ps->avg,
                             .realized_pnl = ps->realized,
                             .unrealized_pnl = ps->upnl,
                             .fees = ps->fees,
                             .exposure = ps->expo,
                             .margin = ps->margin,
                             .ins = p->syms[ps->sym].ins};
    int rc = fn(ctx, p->accts[ps->acct].id, p->syms[ps->sym].id, &out);
    if (rc != 0) return rc;
  }
  return 0;
}

int oms_portfolio_each_account(oms_portfolio_t *p, int64_t now_ns, oms_pf_account_fn fn,
                               void *ctx) {
  for (uint32_t i = 0; i < p->naccts; i++) {
    oms_pf_account_t out;
    (void)oms_portfolio_account(p, p->accts[i].id, now_ns, &out);
    int rc = fn(ctx, p->accts[i].id, &out);
    if (rc != 0) return rc;
  }
  return 0;
}

/* ---- recovery from a store's positions ------------------------------------ */

int oms_portfolio_restore_position(oms_portfolio_t *p, const char *account, const char *symbol,
                                   const oms_pf_book_t *book, int64_t now_ns) {
  if (p == NULL || book == NULL || account == NULL || !oms_id_valid(account, OMS_ID_MAX))
    return OMS_EINVAL;
  p->changes++;
  int32_t sk = find_sym(p, symbol);
  if (sk < 0) return OMS_ENOTFOUND;
  int32_t ak = get_acct(p, account, now_ns);
  if (ak < 0) return ak;
  if (find_pos(p, (uint32_t)ak, (uint32_t)sk) >= 0) return OMS_EEXIST;
  if (p->npos == p->cfg.max_positions) return OMS_EFULL;
  roll_day(p, &p->accts[ak], now_ns);
  sym_t *s = &p->syms[sk];
  pos_t n;
  memset(&n, 0, sizeof(n));
  n.acct = (uint32_t)ak;
  n.sym = (uint32_t)sk;
  n.next_in_sym = s->first_pos;
  n.qty = book->qty;
  n.avg = book->avg_px;
  n.realized = book->realized_pnl;
  n.fees = book->fees;
  vals_t nv;
  static const vals_t none = {{0}, {0}, {0}};
  acct_t na;
  /* Its realized PnL and fees reach the account and its cash, as the fills
   * that made them did. */
  int rc = value_of(n.qty, n.avg, &s->ins, &nv);
  if (rc == 0) rc = acct_move(&p->accts[ak], &none, &nv, n.realized, n.fees, &na);
  if (rc != 0) return rc;
  n.upnl = nv.upnl;
  n.expo = nv.expo;
  n.margin = nv.margin;
  int32_t pk = (int32_t)p->npos++;
  (void)oms__u64map_put(&p->pos_idx, pos_key((uint32_t)ak, (uint32_t)sk), (uint64_t)pk);
  s->first_pos = pk;
  p->pos[pk] = n;
  p->accts[ak] = na;
  return 0;
}

int oms_portfolio_restore_mark(oms_portfolio_t *p, const char *symbol, oms_dec_t px,
                               int64_t now_ns) {
  if (p == NULL || !oms_dec_is_pos(px)) return OMS_EINVAL;
  int32_t k = find_sym(p, symbol);
  if (k < 0) return OMS_ENOTFOUND;
  if (p->syms[k].explicit_mark) return 0; /* a fill would not have moved it either */
  oms_pf_instrument_t ins = p->syms[k].ins;
  ins.mark_px = px;
  ins.mark_ns = now_ns;
  return revalue_symbol(p, k, &ins, now_ns);
}

/* ---- trading days across a restart ----------------------------------------- */

int64_t oms_portfolio_day_start(const oms_portfolio_t *p, int64_t now_ns) {
  return day_of(p, now_ns) * OMS_DAY_NS + p->cfg.day_reset_ns;
}

int oms_portfolio_each_day_base(oms_portfolio_t *p, int64_t now_ns, oms_pf_day_base_fn fn,
                                void *ctx) {
  for (uint32_t i = 0; i < p->naccts; i++) roll_day(p, &p->accts[i], now_ns);
  for (uint32_t i = 0; i < p->naccts; i++) {
    const acct_t *a = &p->accts[i];
    int rc = fn(ctx, a->id, a->day * OMS_DAY_NS + p->cfg.day_reset_ns, a->day_base);
    if (rc != 0) return rc;
  }
  return 0;
}

void oms_portfolio_reset_days(oms_portfolio_t *p, int64_t now_ns, bool from_now) {
  p->changes++;
  int64_t d = day_of(p, now_ns);
  for (uint32_t i = 0; i < p->naccts; i++) {
    acct_t *a = &p->accts[i];
    a->day = d;
    a->day_base = from_now ? total_pnl(a) : OMS_DEC_ZERO;
  }
}

int oms_portfolio_set_day_base(oms_portfolio_t *p, const char *account, int64_t now_ns,
                               oms_dec_t base) {
  if (p == NULL || !oms_id_valid(account == NULL ? "" : account, OMS_ID_MAX)) return OMS_EINVAL;
  p->changes++;
  int32_t k = get_acct(p, account, now_ns);
  if (k < 0) return k;
  p->accts[k].day = day_of(p, now_ns);
  p->accts[k].day_base = base;
  return 0;
}

/* ---- the interface ------------------------------------------------------- */

static int if_account(void *ctx, const char *account, int64_t now_ns, oms_pf_account_t *out) {
  return oms_portfolio_account(ctx, account, now_ns, out);
}

static int if_position(void *ctx, const char *account, const char *symbol, oms_pf_position_t *out) {
  return oms_portfolio_position(ctx, account, symbol, out);
}

static int if_account_position(void *ctx, const char *account, const char *symbol, int64_t now_ns,
                               uint64_t *hint, oms_pf_account_t *acct, oms_pf_position_t *pos) {
  return oms_portfolio_account_position(ctx, account, symbol, now_ns, hint, acct, pos);
}

static int if_instrument(void *ctx, const char *symbol, oms_pf_instrument_t *out) {
  return oms_portfolio_instrument(ctx, symbol, out);
}

static int if_instrument_hint(void *ctx, const char *symbol, uint64_t *hint,
                              oms_pf_instrument_t *out) {
  return oms_portfolio_instrument_hint(ctx, symbol, hint, out);
}

static const uint64_t *if_changes(void *ctx) { return oms_portfolio_changes(ctx); }

const uint64_t *oms_portfolio_changes(const oms_portfolio_t *p) { return &p->changes; }

oms_portfolio_if_t oms_portfolio_as_if(oms_portfolio_t *p) {
  oms_portfolio_if_t t = {
      p,         if_account, if_position, if_instrument, if_account_position, if_instrument_hint,
      if_changes};
  return t;
}
