/*
 * risk.c - the risk engine: the chain, the open-order aggregates, the
 * trading states, reference prices and limit installation.
 *
 * NOTES ON THE DESIGN
 *
 * Aggregates. Every open order the OMS accepted has a record here (oms__ord_t,
 * in a pool found by order id through a core/u64map.h) holding exactly what it adds to the
 * aggregates: its reserved quantity on its side of its account+symbol, its notional and margin in
 * its account, and its self-trade price level. oms_risk_order_changed() recomputes that reservation
 * from the order as it is now and moves the aggregates by the difference to
 * the stored one, so it never trusts a delta, and applying the same state
 * twice changes nothing. A terminal order gives back everything it held.
 *
 * What an order reserves:
 *   quantity  its leaves; while a replace is pending, the larger of the old
 *             and the pending open quantity (either may become true);
 *   price     limit price (LIMIT, STOP_LIMIT), stop price (STOP), or for a
 *             MARKET order the reference price when it was opened; while a
 *             replace is pending, the larger of the old and pending prices;
 *   notional  quantity * price * multiplier; margin = notional * margin rate,
 *             with the multiplier and rate the portfolio had at open.
 *
 * Self-trade prices. Per account+symbol two sorted lists of price levels
 * (buys best = highest first, sells best = lowest first), each level counting
 * the resting orders at that price, from a pool sized for max_open_orders:
 * the check reads the head in O(1); an update walks the levels (few).
 * Resting means a LIMIT order in any open state, or a STOP_LIMIT once
 * TRIGGERED; STOP and untriggered stop-limits are not in the book.
 *
 * Lookups resolved once. Names are hashed when a record is made, not per
 * order: an account, strategy or account+symbol record remembers its entry
 * in the installed limit set (and the trading hours, and the symbol's
 * reference-price record) until oms_risk_set_limits() installs another set
 * (limits_gen); the records found for the last order are kept with its id,
 * so opening the order just checked, or checking its cancel, looks nothing
 * up. The duplicate guard keys on the strategy's record number and the
 * symbol's hash, both fixed for the life of the engine. Names are compared
 * a word at a time (oms__name_eq), not by strcmp. The open of an order just
 * checked shares the check's figures: the instrument is read through the
 * account+symbol record's portfolio hint, and the notional and margin come
 * from a memo of the last inputs (oms__notional, oms__margin: exact, the
 * same inputs give the same figures). An order's three names are hashed
 * together into one two-way set (trip) whose entry gives the three
 * records and where the pair's resolved limits were, each confirmed
 * (names by the entry's copy of their leading words, whole for names of
 * up to 7 bytes, 15 for a symbol, else by the records' keys; limits by
 * their pair and generation), so a stale entry costs a lookup, never a
 * wrong record.
 *
 * Layout. The engine's records start cache lines and span an odd number
 * of them (so one field of all records does not crowd a few of the
 * cache's sets); the account+symbol record keeps what every order reads
 * in the lines right after its key. Rare paths (a miss of the name or
 * limit caches, a logged chain, groups and the model) are out of line, to
 * keep the code every order runs small.
 *
 * Groups. An account+symbol record knows, per kind, its symbol's group in
 * the installed limits and the account+group record (oms__ag_t) holding the
 * account's exposure to that group: the gross notional its open orders in
 * the group reserve (moved with every reservation, like the account's) and
 * the sum of |position exposure| of its members. The position part is the
 * portfolio's, read into the record when the position may have moved: a
 * fill (oms_risk_position_changed), a new reference price of the symbol
 * (every record of the symbol, through a list kept per symbol: market data,
 * not the check path) and the order's own symbol at each check. Installing
 * limits recomputes every group aggregate from scratch (records, open
 * orders), so a group redefined at run time starts exact.
 *
 * The chain. A run prepares one oms_risk_input_t (records, resolved limits,
 * trading states, aggregates, portfolio snapshots, reference price, the
 * order's valuation), runs the checks in order until one fails, logs each,
 * and, only if all passed, calls every check's commit (the throttles and
 * the duplicate guard record the order then).
 *
 * Resolved limits. An order's limits depend only on its strategy and its
 * account+symbol record and on the installed set, so they are resolved
 * once per such pair (oms__rpair_t, a cache of two-way sets by record
 * numbers) and reused by reference; pairs that resolve alike share one
 * resolution (oms__rlim_t, found by content when a pair is resolved), so
 * the orders of many pairs read the same few cache lines. With it goes
 * the list of the chain positions to run: the built-in checks that those
 * limits alone pass (a
 * symbol the lists allow; concentration and VaR with no limit, outside any
 * group) are left out. When what is left is all built-in (the default
 * chain), it is first asked in one call whether all of them pass
 * (oms__builtins_pass, checks.c: each check inlined "dry", refusals only
 * noticed, tested one bit of the entry's mask each); only when one would
 * refuse does oms__run_builtins (a switch over the checks' numbers) run
 * them for real in the chain's order, to name the first and say why.
 * Installing limits or a chain voids every entry and resolution
 * (rlim_gen), so a change holds from the very next order; trading states,
 * aggregates and prices are read per order as before. With a log
 * installed every check runs, so that each is logged.
 *
 * Check and open. The engine checks a new order and opens it at once;
 * oms_risk_check_open does both in one call, and the open takes what the
 * check found (the records, the instrument the portfolio gave, the
 * reference price, the notional and margin memos) instead of finding it
 * again.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "order/order_internal.h"
#include "risk/risk_internal.h"

const char *oms__fmt(oms_dec_t d, char *buf) {
  oms_dec_format(d, buf, OMS_DEC_STRLEN);
  return buf;
}

/* ---- the built-in checks by name ----------------------------------------- */

static const oms_risk_check_t builtins[] = {
#define XX(id, nm) {nm, oms__check_##id, oms__commit_##id, NULL},
    OMS_RISK_BUILTIN_MAP(XX)
#undef XX
};
#define NBUILTIN (sizeof(builtins) / sizeof(builtins[0]))

const oms_risk_check_t *oms_risk_builtin(const char *name) {
  if (name == NULL) return NULL;
  for (size_t i = 0; i < NBUILTIN; i++)
    if (strcmp(builtins[i].name, name) == 0) return &builtins[i];
  return NULL;
}

/* ---- create / destroy ---------------------------------------------------- */

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t s = 8;
  while (s < n) s <<= 1;
  return s;
}

/* Account k's rings are ring_mem[(2k, 2k+1) * cap], strategy k's follow all
 * the accounts'. A record is zeroed when it is created, so the ring memory
 * is attached then. */
static void attach_rings(oms_risk_t *r, oms__ring_t *orders, oms__ring_t *cancels, size_t base) {
  orders->ts = r->ring_mem + base * r->cfg.rate_ring;
  cancels->ts = r->ring_mem + (base + 1) * r->cfg.rate_ring;
}

static int32_t acct_get(oms_risk_t *r, const char *id) {
  uint32_t before = r->accts.n;
  int32_t k = oms__ktab_get(&r->accts, id);
  if (k >= 0 && r->accts.n != before) {
    oms__acct_t *a = oms__ktab_rec(&r->accts, k);
    attach_rings(r, &a->orders, &a->cancels, 2 * (size_t)k);
  }
  return k;
}

static int32_t strat_get(oms_risk_t *r, const char *id) {
  uint32_t before = r->strats.n;
  int32_t k = oms__ktab_get(&r->strats, id);
  if (k >= 0 && r->strats.n != before) {
    oms__strat_t *s = oms__ktab_rec(&r->strats, k);
    attach_rings(r, &s->orders, &s->cancels, 2 * ((size_t)r->cfg.max_accounts + (size_t)k));
  }
  return k;
}

static uint64_t as_key(int32_t acct, uint64_t sym_hash) {
  return oms__hash_finish(sym_hash ^ ((uint64_t)acct + 1) * UINT64_C(0x9e3779b97f4a7c15));
}

static int32_t as_get(oms_risk_t *r, int32_t acct, const char *account, const char *symbol);

/* ---- group exposures ------------------------------------------------------ */

/* Finds the groups of account+symbol record k in the installed limits and
 * the account+group records (created). A full table leaves ag[kind] 0: the
 * check refuses orders in that group rather than not count them. */
static void as_groups(oms_risk_t *r, int32_t k) {
  oms__as_t *as = oms__ktab_rec(&r->as, k);
  memset(as->grp, 0, sizeof(as->grp));
  memset(as->ag, 0, sizeof(as->ag));
  as->in_group = false;
  if (r->limits == NULL || as->acct < 0) return;
  const char *account = ((const oms__acct_t *)oms__ktab_rec(&r->accts, as->acct))->h.key;
  for (int kind = 0; kind < OMS_RISK_GROUP_NKINDS; kind++) {
    int32_t g = oms__limits_group(r->limits, (oms_risk_group_kind_t)kind, as->h.key + as->sym_off);
    if (g < 0) continue;
    as->grp[kind] = g + 1;
    as->in_group = true;
    char key[OMS__KEY_MAX + 1];
    oms__key2(key, account, ((const oms__group_t *)oms__ktab_rec(&r->limits->groups, g))->h.key);
    int32_t a = oms__ktab_get(&r->ags, key);
    if (a >= 0) as->ag[kind] = a + 1;
  }
}

/* Sets the |position exposure| the record contributes to its groups. */
static void as_pos_set(oms_risk_t *r, oms__as_t *as, oms_dec_t exp_abs) {
  if (exp_abs.raw == as->pos_exp.raw) return;
  for (int kind = 0; kind < OMS_RISK_GROUP_NKINDS; kind++) {
    if (as->ag[kind] == 0) continue;
    oms__ag_t *g = oms__ktab_rec(&r->ags, as->ag[kind] - 1);
    g->pos = oms__sat_add(oms__sat_add(g->pos, as->pos_exp, -1), exp_abs, 1);
  }
  as->pos_exp = exp_abs;
}

int32_t oms__model_idx(const oms_risk_t *r, int32_t k) {
  if (r->model == NULL || k < 0) return -1;
  const oms__as_t *as = oms__ktab_rec(&r->as, k);
  if (as->sym < 0) return -1;
  return ((const oms__sym_t *)oms__ktab_rec(&r->syms, as->sym))->midx - 1;
}

int32_t oms__model_book(const oms_risk_t *r, int32_t acct) {
  if (r->model == NULL || acct < 0 || (uint32_t)acct + 1 >= oms_riskmodel_books(r->model))
    return -1;
  return acct + 1;
}

int32_t oms_risk_model_book(const oms_risk_t *r, const char *account) {
  if (r == NULL || r->model == NULL) return -1;
  if (account == NULL) return 0;
  return oms__model_book(r, oms__ktab_find(&r->accts, account));
}

/* Moves record k's exposure in the model by d (money, signed). */
static void model_add(oms_risk_t *r, int32_t k, double d) {
  if (d == 0 || r->model == NULL) return;
  int32_t i = oms__model_idx(r, k);
  int32_t b = oms__model_book(r, ((const oms__as_t *)oms__ktab_rec(&r->as, k))->acct);
  if (i >= 0 && b >= 0) (void)oms_riskmodel_add(r->model, (uint32_t)b, (uint32_t)i, d);
}

/* Enters a position's signed exposure into the model (the change). */
static void as_var_set(oms_risk_t *r, int32_t k, oms_dec_t exposure) {
  oms__as_t *as = oms__ktab_rec(&r->as, k);
  double x = oms_riskmodel_dec_in(exposure);
  if (x == as->var_pos) return;
  model_add(r, k, x - as->var_pos);
  as->var_pos = x;
}

/* Reads the position of a record in a group or in the model from the
 * portfolio. */
static void as_pos_read(oms_risk_t *r, oms__as_t *as) {
  int32_t k = (int32_t)(((char *)as - r->as.recs) / (ptrdiff_t)r->as.stride);
  bool in_model = oms__model_idx(r, k) >= 0;
  if (!r->has_pf || as->acct < 0 || (!as->in_group && !in_model)) return;
  const char *account = ((const oms__acct_t *)oms__ktab_rec(&r->accts, as->acct))->h.key;
  oms_pf_position_t p;
  oms_dec_t x = OMS_DEC_ZERO;
  if (r->pf.position(r->pf.ctx, account, as->h.key + as->sym_off, &p) == 0) x = p.exposure;
  if (as->in_group) as_pos_set(r, as, oms_dec_abs(x));
  if (in_model) as_var_set(r, k, x);
}

int oms_risk_set_model(oms_risk_t *r, oms_riskmodel_t *m, const char *const *symbols, uint32_t n) {
  if (r == NULL || (m != NULL && (symbols == NULL || n != oms_riskmodel_n(m)))) return OMS_EINVAL;
  for (uint32_t i = 0; i < r->syms.n; i++)
    ((oms__sym_t *)oms__ktab_rec(&r->syms, (int32_t)i))->midx = 0;
  for (uint32_t i = 0; i < r->as.n; i++)
    ((oms__as_t *)oms__ktab_rec(&r->as, (int32_t)i))->var_pos = 0;
  r->model = m;
  if (m == NULL) return 0;
  /* The books are entered from scratch: a model loaded at start holds the
   * exposures of the process that saved it (its account numbering too). */
  oms_riskmodel_clear_books(m);
  for (uint32_t i = 0; i < n; i++) {
    if (symbols[i] == NULL || strlen(symbols[i]) > OMS_SYMBOL_MAX) return OMS_EINVAL;
    int32_t k = oms__ktab_get(&r->syms, symbols[i]);
    if (k < 0) return OMS_EFULL;
    ((oms__sym_t *)oms__ktab_rec(&r->syms, k))->midx = (int32_t)i + 1;
  }
  /* Account+symbol records made before their symbol had a record. */
  for (uint32_t i = 0; i < r->as.n; i++) {
    oms__as_t *as = oms__ktab_rec(&r->as, (int32_t)i);
    if (as->sym < 0) as->sym = oms__ktab_find(&r->syms, as->h.key + as->sym_off);
    as_pos_read(r, as);
  }
  for (uint32_t i = 0; i < r->cfg.max_open_orders; i++) {
    const oms__ord_t *e = &r->ords[i];
    if (e->order_id == 0) continue;
    double d = oms_riskmodel_dec_in(e->notional);
    model_add(r, e->as, e->side == OMS_SIDE_BUY ? d : -d);
  }
  return 0;
}

/* Every group aggregate from scratch, for the limits just installed. */
static void groups_rebuild(oms_risk_t *r) {
  for (uint32_t i = 0; i < r->ags.n; i++) {
    oms__ag_t *g = oms__ktab_rec(&r->ags, (int32_t)i);
    g->pos = g->open = OMS_DEC_ZERO;
  }
  for (uint32_t i = 0; i < r->as.n; i++) {
    oms__as_t *as = oms__ktab_rec(&r->as, (int32_t)i);
    as->pos_exp = OMS_DEC_ZERO;
    as_groups(r, (int32_t)i);
    as_pos_read(r, as);
  }
  for (uint32_t i = 0; i < r->cfg.max_open_orders; i++) {
    const oms__ord_t *e = &r->ords[i];
    if (e->order_id == 0) continue;
    const oms__as_t *as = oms__ktab_rec(&r->as, e->as);
    for (int kind = 0; kind < OMS_RISK_GROUP_NKINDS; kind++) {
      if (as->ag[kind] == 0) continue;
      oms__ag_t *g = oms__ktab_rec(&r->ags, as->ag[kind] - 1);
      g->open = oms__sat_add(g->open, e->notional, 1);
    }
  }
}

int oms_risk_position_changed(oms_risk_t *r, const char *account, const char *symbol) {
  if (r == NULL || account == NULL || symbol == NULL || strlen(account) > OMS_ID_MAX ||
      strlen(symbol) > OMS_SYMBOL_MAX)
    return OMS_EINVAL;
  /* Created if new: a position restored at start, before any order. */
  int32_t a = acct_get(r, account);
  int32_t k = a < 0 ? -1 : as_get(r, a, account, symbol);
  if (k < 0) return OMS_EFULL;
  as_pos_read(r, oms__ktab_rec(&r->as, k));
  return 0;
}

int oms_risk_group_exposure(const oms_risk_t *r, const char *account, oms_risk_group_kind_t kind,
                            const char *name, oms_dec_t *positions, oms_dec_t *open_orders) {
  *positions = *open_orders = OMS_DEC_ZERO;
  if (r == NULL || account == NULL || name == NULL || (unsigned)kind >= OMS_RISK_GROUP_NKINDS ||
      strlen(name) > OMS_ID_MAX)
    return OMS_EINVAL;
  char g[OMS_ID_MAX + 2], key[OMS__KEY_MAX + 1];
  g[0] = (char)('0' + kind);
  strcpy(g + 1, name);
  oms__key2(key, account, g);
  int32_t k = oms__ktab_find(&r->ags, key);
  if (k < 0) return OMS_ENOTFOUND;
  const oms__ag_t *a = oms__ktab_rec(&r->ags, k);
  *positions = a->pos;
  *open_orders = a->open;
  return 0;
}

/* The account+symbol record of account (record acct) and symbol, created if
 * new. First by number: a record of the same account whose own symbol is
 * symbol has the key the joined name would have (keys are unique), so it is
 * the record the table would give; a record made from a cut joined name
 * (too long) never matches, and goes the slow way, as does a pair whose
 * number key another pair took or an account without a record (acct -1). */
static int32_t as_get(oms_risk_t *r, int32_t acct, const char *account, const char *symbol) {
  uint64_t nkey = as_key(acct, oms__hash_str(symbol, 0)), v;
  if (acct >= 0 && oms__u64map_get(&r->as_by_acct, nkey, &v)) {
    const oms__as_t *s = oms__ktab_rec(&r->as, (int32_t)v);
    if (s->acct == acct && strcmp(s->h.key + s->sym_off, symbol) == 0) return (int32_t)v;
  }
  char key[OMS__KEY_MAX + 1];
  oms__key2(key, account, symbol);
  uint32_t before = r->as.n;
  int32_t k = oms__ktab_get(&r->as, key);
  if (k >= 0 && r->as.n != before) {
    oms__as_t *s = oms__ktab_rec(&r->as, k);
    s->buy_levels = s->sell_levels = -1;
    const char *sep = strchr(s->h.key, '\x1f');
    s->sym_off = (uint16_t)(sep != NULL ? sep + 1 - s->h.key : (ptrdiff_t)strlen(s->h.key));
    s->sym_hash = oms__hash_str(s->h.key + s->sym_off, 0);
    s->acct = acct;
    /* (a separator inside the account would let two pairs share the key) */
    s->pf_whole = account != NULL && symbol != NULL && strchr(account, '\x1f') == NULL &&
                  strlen(account) + 1 + strlen(symbol) <= OMS__KEY_MAX;
    s->sym = -1;
    s->syms_seen = UINT32_MAX;
    /* The symbol's record now (no price yet is a zero one), so that a new
     * reference price can reach the positions of the symbol. */
    int32_t sk = oms__ktab_get(&r->syms, symbol);
    if (sk >= 0) {
      oms__sym_t *sy = oms__ktab_rec(&r->syms, sk);
      s->sym = sk;
      s->sym_next = sy->as_head;
      sy->as_head = k + 1;
    }
    as_groups(r, k);
    uint64_t have; /* acct -1: a full account table; the joined name finds it */
    if (acct >= 0 && !oms__u64map_get(&r->as_by_acct, nkey, &have)) /* room for every record */
      (void)oms__u64map_put(&r->as_by_acct, nkey, (uint64_t)k);
  }
  return k;
}

/* The cache slot of an order's name: its bytes before the NUL among its
 * first 8 (an order's names are arrays of 32 bytes or more, so 8 can be
 * read) mixed with salt. */
static uint32_t name_slot(const char *name, uint64_t salt) {
  uint64_t w;
  memcpy(&w, name, sizeof w);
  uint64_t z = (w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080);
  if (z != 0) w &= (z ^ (z - 1)) >> 8; /* little-endian: the bytes before the first NUL */
  /* the top bits of the product: each depends on every byte (the low bits
   * of oms__mix64 only on the low bytes, and names differ late: strat0 and
   * strat8 shared a slot) */
  return (uint32_t)(((w ^ salt) * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - OMS__NAME_BITS));
}

static int32_t acct_cached(oms_risk_t *r, const char *id) {
  uint32_t s = name_slot(id, 1);
  int32_t k = r->acct_cache[s] - 1;
  if (k >= 0 &&
      oms__name_eq(((const oms__acct_t *)oms__ktab_rec(&r->accts, k))->h.key, id, OMS_ID_MAX + 1))
    return k;
  k = acct_get(r, id);
  if (k >= 0) r->acct_cache[s] = k + 1;
  return k;
}

static int32_t strat_cached(oms_risk_t *r, const char *id) {
  uint32_t s = name_slot(id, 2);
  int32_t k = r->strat_cache[s] - 1;
  if (k >= 0 &&
      oms__name_eq(((const oms__strat_t *)oms__ktab_rec(&r->strats, k))->h.key, id, OMS_ID_MAX + 1))
    return k;
  k = strat_get(r, id);
  if (k >= 0) r->strat_cache[s] = k + 1;
  return k;
}

/* The account+symbol record, confirmed as as_get's probe by number is. */
static int32_t as_cached(oms_risk_t *r, int32_t acct, const char *account, const char *symbol) {
  if (acct < 0) return as_get(r, acct, account, symbol);
  uint32_t s = name_slot(symbol, ((uint64_t)acct + 3) * UINT64_C(0x9e3779b97f4a7c15));
  int32_t *way = r->as_cache[s];
  for (int w = 0; w < 2; w++) {
    int32_t k = way[w] - 1;
    if (k < 0) break; /* way 1 fills after way 0 */
    const oms__as_t *a = oms__ktab_rec(&r->as, k);
    if (a->acct == acct && oms__name_eq(a->h.key + a->sym_off, symbol, OMS_SYMBOL_MAX + 1)) {
      if (w == 1) { /* now the one used last */
        way[1] = way[0];
        way[0] = k + 1;
      }
      return k;
    }
  }
  int32_t k = as_get(r, acct, account, symbol);
  if (k >= 0) {
    way[1] = way[0];
    way[0] = k + 1;
  }
  return k;
}

/* Whether the records memo_* are those of o: the same names (three short
 * compares cost less than three hashes and probes). */
static bool memo_matches(const oms_risk_t *r, const oms_order_t *o) {
  const oms__acct_t *a = oms__ktab_rec(&r->accts, r->memo_acct);
  const oms__strat_t *st = oms__ktab_rec(&r->strats, r->memo_strat);
  const oms__as_t *as = oms__ktab_rec(&r->as, r->memo_as);
  /* memo_as was made for memo_acct's account: the symbol is what is left */
  return oms__name_eq(a->h.key, o->account_id, sizeof o->account_id) &&
         oms__name_eq(st->h.key, o->strategy_id, sizeof o->strategy_id) &&
         oms__name_eq(as->h.key + as->sym_off, o->symbol, sizeof o->symbol);
}

/* The 8 bytes of a name at p, those from its NUL on cleared; *end is
 * whether the NUL is among them. */
static inline uint64_t name_word(const char *p, bool *end) {
  uint64_t w = oms__load_le64(p);
  uint64_t z = (w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080);
  *end = z != 0;
  return z != 0 ? w & (z ^ (z - 1)) >> 8 : w;
}

/* The trip key of o (see oms__trip_t) into k; true when the key holds the
 * three names whole (each NUL inside it), so that equal keys are equal
 * names: the cleared words of two names that end inside them are equal
 * only if the names are, and never equal the words of a longer name (its
 * bytes are all nonzero there, the shorter name's NUL is zero). */
static inline bool trip_key(const oms_order_t *o, uint64_t k[OMS__TRIP_WORDS]) {
  bool ea, es, ey0, ey1 = true;
  k[0] = name_word(o->account_id, &ea);
  k[1] = name_word(o->strategy_id, &es);
  k[2] = name_word(o->symbol, &ey0);
  k[3] = ey0 ? 0 : name_word(o->symbol + 8, &ey1);
  return ea && es && ey1;
}

static oms__trip_t *trip_set(oms_risk_t *r, const uint64_t k[OMS__TRIP_WORDS]) {
  uint64_t h = k[0] * UINT64_C(0x9e3779b97f4a7c15) ^ k[1] * UINT64_C(0xc2b2ae3d27d4eb4f) ^ k[2] ^
               k[3] * UINT64_C(0xff51afd7ed558ccd);
  return r->trip[(h * UINT64_C(0x165667b19e3779f9)) >> (64 - OMS__TRIP_BITS)];
}

/* Whether t holds o's names, by the records' own keys (a key that does
 * not hold the names whole). */
static __attribute__((noinline)) bool trip_matches(const oms_risk_t *r, const oms__trip_t *t,
                                                   const oms_order_t *o) {
  const oms__acct_t *a = oms__ktab_rec(&r->accts, t->acct - 1);
  const oms__strat_t *st = oms__ktab_rec(&r->strats, t->strat - 1);
  const oms__as_t *as = oms__ktab_rec(&r->as, t->as - 1);
  /* as was made for a's account: the symbol is what is left */
  return oms__name_eq(a->h.key, o->account_id, sizeof o->account_id) &&
         oms__name_eq(st->h.key, o->strategy_id, sizeof o->strategy_id) &&
         oms__name_eq(as->h.key + as->sym_off, o->symbol, sizeof o->symbol);
}

static bool order_recs_miss(oms_risk_t *r, const oms_order_t *o, oms__trip_t *way,
                            const uint64_t k[OMS__TRIP_WORDS]);

/* The duplicate guard's key of the order in r->cur_* (as its
 * account+symbol record): strategy and symbol (records are never removed,
 * so the strategy's number names it for good). */
static inline uint64_t dup_key(const oms_risk_t *r, const oms__as_t *as) {
  return oms__mix64(as->sym_hash ^ ((uint64_t)r->cur_strat + 1) * UINT64_C(0x9e3779b97f4a7c15));
}

/* Finds (creating) the account, strategy and account+symbol records of o
 * into r->cur_*. False when a table is full. The answer is kept for o's id:
 * the engine checks an order and then opens it, and the open reuses it;
 * memo false: o is not the order of the last answer (a new order's check,
 * whose id is new), which is not tried. */
static inline __attribute__((always_inline)) bool order_recs_of(oms_risk_t *r, const oms_order_t *o,
                                                                bool memo) {
  r->cur_trip = NULL;
  if (memo && r->memo_id != 0 && r->memo_id == o->order_id && memo_matches(r, o)) {
    r->cur_acct = r->memo_acct;
    r->cur_strat = r->memo_strat;
    r->cur_as = r->memo_as;
    return true;
  }
  uint64_t k[OMS__TRIP_WORDS];
  bool whole = trip_key(o, k);
  oms__trip_t *way = trip_set(r, k);
  for (int w = 0; w < 2 && way[w].acct != 0; w++) {
    if (((way[w].key[0] ^ k[0]) | (way[w].key[1] ^ k[1]) | (way[w].key[2] ^ k[2]) |
         (way[w].key[3] ^ k[3])) != 0 ||
        (!whole && !trip_matches(r, &way[w], o)))
      continue;
    if (w == 1) { /* now the one used last */
      oms__trip_t t = way[1];
      way[1] = way[0];
      way[0] = t;
    }
    r->cur_trip = &way[0];
    r->cur_acct = r->memo_acct = way[0].acct - 1;
    r->cur_strat = r->memo_strat = way[0].strat - 1;
    r->cur_as = r->memo_as = way[0].as - 1;
    r->memo_id = o->order_id;
    return true;
  }
  return order_recs_miss(r, o, way, k);
}

static bool order_recs(oms_risk_t *r, const oms_order_t *o) { return order_recs_of(r, o, true); }

/* order_recs() past its two probes: by name, the slow way, into way[0]. */
static __attribute__((noinline, cold)) bool order_recs_miss(oms_risk_t *r, const oms_order_t *o,
                                                            oms__trip_t *way,
                                                            const uint64_t k[OMS__TRIP_WORDS]) {
  /* A stream of orders often keeps its account or strategy: the record of
   * the last order, if its name (a record's key, unique) is this one's, is
   * the one the table would give. */
  const oms__acct_t *ma = oms__ktab_rec(&r->accts, r->memo_acct);
  const oms__strat_t *ms = oms__ktab_rec(&r->strats, r->memo_strat);
  r->cur_acct = r->memo_acct < (int32_t)r->accts.n &&
                        oms__name_eq(ma->h.key, o->account_id, sizeof o->account_id)
                    ? r->memo_acct
                    : acct_cached(r, o->account_id);
  r->cur_strat = r->memo_strat < (int32_t)r->strats.n &&
                         oms__name_eq(ms->h.key, o->strategy_id, sizeof o->strategy_id)
                     ? r->memo_strat
                     : strat_cached(r, o->strategy_id);
  r->cur_as = as_cached(r, r->cur_acct, o->account_id, o->symbol);
  if (r->cur_acct < 0 || r->cur_strat < 0 || r->cur_as < 0) return false;
  way[1] = way[0];
  way[0] = (oms__trip_t){{k[0], k[1], k[2], k[3]},
                         r->cur_acct + 1,
                         r->cur_strat + 1,
                         r->cur_as + 1,
                         0,
                         0,
                         dup_key(r, (const oms__as_t *)oms__ktab_rec(&r->as, r->cur_as))};
  r->cur_trip = &way[0];
  r->memo_id = o->order_id;
  r->memo_acct = r->cur_acct;
  r->memo_strat = r->cur_strat;
  r->memo_as = r->cur_as;
  return true;
}

/* The symbol record (reference price) of an account+symbol record, or -1;
 * looked up again only when a symbol record was added since. */
static int32_t as_sym(const oms_risk_t *r, oms__as_t *as) {
  if (as->sym < 0 && as->syms_seen != r->syms.n) {
    as->sym = oms__ktab_find(&r->syms, as->h.key + as->sym_off);
    as->syms_seen = r->syms.n;
  }
  return as->sym;
}

/* oms__limits_resolve() for the order in r->cur_*, through the entries the
 * records remember (account, strategy, symbol: the same overlay order). */
static void resolve_cur(oms_risk_t *r, const oms_order_t *o, oms_risk_eff_limits_t *out) {
  const oms_risk_limits_t *l = r->limits;
  uint32_t gen = r->limits_gen;
  oms__acct_t *a = oms__ktab_rec(&r->accts, r->cur_acct);
  oms__strat_t *st = oms__ktab_rec(&r->strats, r->cur_strat);
  oms__as_t *as = oms__ktab_rec(&r->as, r->cur_as);
  if (a->lim_gen != gen) {
    a->lim = oms__limits_find(l, OMS_RISK_SCOPE_ACCOUNT, o->account_id);
    a->lim_gen = gen;
  }
  if (st->lim_gen != gen) {
    st->lim = oms__limits_find(l, OMS_RISK_SCOPE_STRATEGY, o->strategy_id);
    st->lim_gen = gen;
  }
  if (as->lim_gen != gen) {
    as->lim = oms__limits_find(l, OMS_RISK_SCOPE_SYMBOL, o->symbol);
    as->lim_gen = gen;
  }
  out->v = l->global;
  out->symbol_allowed = out->symbol_restricted = false;
  if (a->lim != NULL) oms__limit_overlay(&out->v, &a->lim->v);
  if (st->lim != NULL) oms__limit_overlay(&out->v, &st->lim->v);
  if (as->lim != NULL) {
    oms__limit_overlay(&out->v, &as->lim->v);
    out->symbol_allowed = as->lim->list == 1;
    out->symbol_restricted = as->lim->list == -1;
  }
}

const oms__hours_t *oms__find_hours(oms_risk_t *r, const oms_order_t *o) {
  oms__as_t *as = r->cur_asp;
  as->hours = oms__limits_hours(r->limits, o->symbol, o->venue);
  as->hours_gen = r->limits_gen;
  as->open_known = false;
  size_t n = strlen(o->venue);
  if (n >= sizeof(as->hours_venue)) {
    as->hours_gen = 0; /* a name that does not fit is looked up every time */
    n = 0;
  }
  memcpy(as->hours_venue, o->venue, n);
  as->hours_venue[n] = '\0';
  return as->hours;
}

/* The chain positions of built-in checks that cannot refuse an order under
 * lim whatever the order (the other built-ins read the order, the
 * aggregates or the portfolio): a symbol the lists allow, concentration
 * with no limit outside any group, VaR and stress with no limit. */
static uint32_t skip_mask(const oms_risk_t *r, const oms__as_t *as,
                          const oms_risk_eff_limits_t *lim) {
  uint32_t set = lim->v.set, m = 0;
  bool lists = lim->symbol_allowed && !lim->symbol_restricted;
  bool conc = !(set & (OMS_RL_MAX_CONCENTRATION | OMS_RL_MAX_CONCENTRATION_PCT)) && !as->in_group;
  bool var = !(set & (OMS_RL_MAX_VAR | OMS_RL_MAX_VAR_FIRM | OMS_RL_MAX_STRESS_LOSS));
  for (size_t i = 0; i < r->nchain; i++) {
    oms_reason_t (*f)(void *, const oms_risk_input_t *, oms_risk_result_t *) = r->chain[i].check;
    if ((f == oms__check_SYMBOL_LIST && lists) || (f == oms__check_CONCENTRATION && conc) ||
        (f == oms__check_VAR_STRESS && var))
      m |= 1u << i;
  }
  return m;
}

static const oms__rlim_t *rlim_fill(oms_risk_t *r, const oms_order_t *o, oms__rpair_t *set);

/* The resolved limits of the order in r->cur_* from the cache: where its
 * names' entry saw them last, else by the pair's set (rlim_fill on a
 * miss). */
static const oms__rlim_t *rlim_cur(oms_risk_t *r, const oms_order_t *o) {
  uint32_t gen = r->rlim_gen;
  int32_t st = r->cur_strat, as = r->cur_as;
  oms__trip_t *t = r->cur_trip; /* the names' entry: the pair's resolution last */
  if (t != NULL && t->rgen == gen) return &r->rblk[t->blk];
  uint64_t h = ((uint64_t)(uint32_t)st << 32 | (uint32_t)as) * UINT64_C(0x9e3779b97f4a7c15);
  oms__rpair_t *set = &r->rlim[(size_t)((h >> 40) & r->rlim_mask) * OMS__RLIM_WAYS];
  const oms__rlim_t *rl = NULL;
  for (int w = 0; w < OMS__RLIM_WAYS && rl == NULL; w++)
    if (set[w].gen == gen && set[w].strat == st && set[w].as == as) rl = &r->rblk[set[w].blk];
  if (rl == NULL) rl = rlim_fill(r, o, set); /* may start a generation */
  if (t != NULL) {
    t->rgen = r->rlim_gen;
    t->blk = (uint32_t)(rl - r->rblk);
  }
  return rl;
}

static void rlim_void(oms_risk_t *r);

/* The number of the shared resolution equal to b (all of its bytes, b
 * cleared before it was made), added if new; -1 when there is no room. */
static int32_t rblk_get(oms_risk_t *r, const oms__rlim_t *b) {
  uint32_t mask = 2 * r->rblk_cap - 1;
  if (r->rblk_gen != r->rlim_gen) { /* made under other limits or chain */
    memset(r->rblk_idx, 0, (size_t)(mask + 1) * sizeof(*r->rblk_idx));
    r->nrblk = 0;
    r->rblk_gen = r->rlim_gen;
  }
  uint64_t h = 0, w;
  for (size_t at = 0; at + sizeof w <= sizeof(*b); at += sizeof w) { /* a word at a time */
    memcpy(&w, (const char *)b + at, sizeof w);
    h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
  }
  uint32_t i = (uint32_t)oms__mix64(h) & mask;
  for (;; i = (i + 1) & mask) {
    uint32_t k = r->rblk_idx[i];
    if (k == 0) break;
    if (memcmp(&r->rblk[k - 1], b, sizeof(*b)) == 0) return (int32_t)(k - 1);
  }
  if (r->nrblk == r->rblk_cap) return -1;
  r->rblk[r->nrblk] = *b;
  r->rblk_idx[i] = ++r->nrblk;
  return (int32_t)(r->nrblk - 1);
}

/* rlim_cur() on a miss: resolves the pair and enters it into set's first
 * way, the other keeping the pair it held. */
static __attribute__((noinline)) const oms__rlim_t *rlim_fill(oms_risk_t *r, const oms_order_t *o,
                                                              oms__rpair_t *set) {
  int32_t st = r->cur_strat, as = r->cur_as;
  oms__rlim_t b;
  memset(&b, 0, sizeof b); /* padding too: resolutions are compared whole */
  resolve_cur(r, o, &b.v);
  uint32_t skip = skip_mask(r, oms__ktab_rec(&r->as, as), &b.v);
  b.builtin = true;
  for (size_t i = 0; i < r->nchain; i++) {
    if (skip & (1u << i)) continue;
    b.bid[b.nrun] = r->chain_bid[i];
    b.run[b.nrun++] = (uint8_t)i;
    if (r->chain_bid[i] == OMS__B_NONE)
      b.builtin = false;
    else
      b.bmask |= 1u << r->chain_bid[i];
  }
  b.need = oms__builtins_need(b.bmask);
  if (oms_dec_mul_int(b.v.v.tick_size, b.v.v.collar_ticks, &b.tick_band) != 0)
    b.tick_band = oms_dec_from_raw(OMS_DEC_MAX_RAW);
  int32_t k = rblk_get(r, &b);
  if (k < 0) { /* full: every pair and resolution voided, this one first again */
    rlim_void(r);
    k = rblk_get(r, &b);
  }
  memmove(&set[1], &set[0], (OMS__RLIM_WAYS - 1) * sizeof(*set));
  set[0] = (oms__rpair_t){r->rlim_gen, st, as, (uint32_t)k};
  return &r->rblk[k];
}

/* Voids every resolution the cache holds (a limit set or a chain
 * installed). */
static void rlim_void(oms_risk_t *r) {
  if (++r->rlim_gen == 0) {
    /* after 2^32 changes: start again from empty rather than trust a
     * generation number seen before */
    memset(r->rlim, 0, ((size_t)r->rlim_mask + 1) * OMS__RLIM_WAYS * sizeof(*r->rlim));
    memset(r->trip, 0, sizeof r->trip); /* their rgen too */
    r->rlim_gen = 1;
    r->rblk_gen = 0; /* no generation: the shared resolutions are made again */
  }
}

static void chain_resolve(oms_risk_t *r) {
  if (r->rlim != NULL) rlim_void(r); /* the skip masks name chain positions */
  r->ncommits = 0;
  r->commit_bmask = 0;
  r->commit_direct = true;
  for (size_t i = 0; i < r->nchain; i++) {
    r->chain_ctx[i] = r->chain[i].ctx ? r->chain[i].ctx : r;
    r->chain_bid[i] = OMS__B_NONE;
    for (uint8_t b = 0; b < NBUILTIN && r->chain[i].ctx == NULL; b++)
      if (r->chain[i].check == builtins[b].check) r->chain_bid[i] = b;
    if (r->chain[i].commit == NULL) continue;
    r->commits[r->ncommits++] = (uint8_t)i;
    uint8_t b = r->chain_bid[i];
    if (b == OMS__B_NONE || r->chain[i].commit != builtins[b].commit ||
        (r->commit_bmask & (1u << b)))
      r->commit_direct = false; /* another commit, or one twice: the table */
    else
      r->commit_bmask |= 1u << b;
  }
  if (!r->commit_direct) r->commit_bmask = 0;
}

int oms_risk_create(const oms_risk_config_t *cfg, oms_risk_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->max_accounts == 0 || cfg->max_strategies == 0 || cfg->max_symbols == 0 ||
      cfg->max_positions == 0 || cfg->max_open_orders == 0 || cfg->max_accounts > (1u << 20) ||
      cfg->max_strategies > (1u << 20) || cfg->max_symbols > (1u << 22) ||
      cfg->max_positions > (1u << 24) || cfg->max_open_orders > (1u << 24) ||
      cfg->rate_ring > (1u << 16) || cfg->duplicate_slots > (1u << 24))
    return OMS_EINVAL;
  /* on a cache line: its name cache's entries are one line each */
  oms_risk_t *r = oms__aligned_alloc(_Alignof(oms_risk_t), sizeof(*r));
  if (r == NULL) return OMS_ENOMEM;
  memset(r, 0, sizeof(*r));
  r->cfg = *cfg;
  if (r->cfg.rate_ring == 0) r->cfg.rate_ring = 256;
  if (r->cfg.duplicate_slots == 0) r->cfg.duplicate_slots = 4096;
  uint32_t ring = r->cfg.rate_ring;
  int rc = 0;
  if (oms__ktab_init(&r->accts, cfg->max_accounts, sizeof(oms__acct_t)) != 0 ||
      oms__ktab_init(&r->strats, cfg->max_strategies, sizeof(oms__strat_t)) != 0 ||
      oms__ktab_init(&r->as, cfg->max_positions, sizeof(oms__as_t)) != 0 ||
      oms__ktab_init(&r->syms, cfg->max_symbols, sizeof(oms__sym_t)) != 0 ||
      oms__ktab_init(&r->ags, cfg->max_positions, sizeof(oms__ag_t)) != 0)
    rc = OMS_ENOMEM;
  r->ords = oms__calloc(cfg->max_open_orders, sizeof(oms__ord_t));
  if (oms__slots_init(&r->ord_free, cfg->max_open_orders) != 0 ||
      oms__u64map_init(&r->ord_of, cfg->max_open_orders) != 0 ||
      oms__u64map_init(&r->as_by_acct, cfg->max_positions) != 0)
    rc = OMS_ENOMEM;
  r->levels = oms__calloc(cfg->max_open_orders, sizeof(oms__level_t));
  /* at most 1024 sets: the pairs a stream of orders cycles through (256
   * sets missed 8% of bench_core's 240 pairs: two ways overflowed) */
  uint32_t rsets = pow2_at_least(cfg->max_positions < 1024 ? cfg->max_positions : 1024);
  r->rlim_mask = rsets - 1;
  r->rlim = oms__calloc((size_t)rsets * OMS__RLIM_WAYS, sizeof(oms__rpair_t));
  r->rblk_cap = rsets * OMS__RLIM_WAYS;
  r->rblk = oms__aligned_alloc(64, (size_t)r->rblk_cap * sizeof(oms__rlim_t));
  r->rblk_idx = oms__calloc(2 * (size_t)r->rblk_cap, sizeof(uint32_t));
  r->rlim_gen = 1;
  uint32_t dslots = pow2_at_least(r->cfg.duplicate_slots);
  r->dup_mask = dslots / OMS__DUP_WAYS - 1;
  r->dups = oms__aligned_alloc(64, dslots * sizeof(oms__dup_t));
  if (r->dups != NULL) memset(r->dups, 0, dslots * sizeof(oms__dup_t));
  size_t nrings = 2 * ((size_t)cfg->max_accounts + cfg->max_strategies);
  r->ring_mem = oms__calloc(nrings * ring, sizeof(int64_t));
  if (rc != 0 || r->ords == NULL || r->levels == NULL || r->dups == NULL || r->ring_mem == NULL ||
      r->rlim == NULL || r->rblk == NULL || r->rblk_idx == NULL) {
    oms_risk_destroy(r);
    return OMS_ENOMEM;
  }
  for (uint32_t i = 0; i < cfg->max_open_orders; i++)
    r->levels[i].next = i + 1 < cfg->max_open_orders ? (int32_t)(i + 1) : -1;
  r->free_level = 0;
  for (size_t i = 0; i < NBUILTIN; i++) r->chain[i] = builtins[i];
  r->nchain = NBUILTIN;
  chain_resolve(r);
  r->cur_acct = r->cur_strat = r->cur_as = r->cur_sym = -1;
  r->limits_gen = 1;
  *out = r;
  return 0;
}

void oms_risk_destroy(oms_risk_t *r) {
  if (r == NULL) return;
  oms_risk_limits_destroy(r->limits);
  oms__ktab_free(&r->accts);
  oms__ktab_free(&r->strats);
  oms__ktab_free(&r->as);
  oms__ktab_free(&r->syms);
  oms__ktab_free(&r->ags);
  oms__free(r->ords);
  oms__slots_close(&r->ord_free);
  oms__u64map_close(&r->ord_of);
  oms__u64map_close(&r->as_by_acct);
  oms__free(r->levels);
  oms__free(r->rlim);
  oms__aligned_free(r->rblk);
  oms__free(r->rblk_idx);
  oms__aligned_free(r->dups);
  oms__free(r->ring_mem);
  oms__aligned_free(r);
}

void oms_risk_set_portfolio(oms_risk_t *r, const oms_portfolio_if_t *pf) {
  if (pf == NULL) {
    r->has_pf = false;
    memset(&r->pf, 0, sizeof(r->pf));
    return;
  }
  r->pf = *pf;
  r->has_pf = pf->account != NULL && pf->position != NULL && pf->instrument != NULL;
  r->pf_changes = r->has_pf && pf->changes != NULL ? pf->changes(pf->ctx) : NULL;
  for (uint32_t k = 0; k < r->as.n; k++) { /* the hints and reads were another portfolio's */
    oms__as_t *as = oms__ktab_rec(&r->as, (int32_t)k);
    as->pf_hint = 0;
    as->pf_gen = 0;
  }
}

void oms_risk_set_log(oms_risk_t *r, oms_risk_log_fn fn, void *ctx) {
  r->log = fn;
  r->log_ctx = ctx;
}

void oms_risk_set_state_cb(oms_risk_t *r, oms_risk_state_fn fn, void *ctx) {
  r->state_cb = fn;
  r->state_ctx = ctx;
}

int oms_risk_set_chain(oms_risk_t *r, const oms_risk_check_t *checks, size_t n) {
  if (checks == NULL || n == 0 || n > OMS__CHAIN_MAX) return OMS_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (checks[i].name == NULL || checks[i].check == NULL || strlen(checks[i].name) > 31)
      return OMS_EINVAL;
  memcpy(r->chain, checks, n * sizeof(*checks));
  r->nchain = n;
  chain_resolve(r);
  return 0;
}

/* ---- limits -------------------------------------------------------------- */

static bool known_symbol(const oms_risk_t *r, const char *symbol) {
  if (!r->has_pf) return true;
  oms_pf_instrument_t ins;
  return r->pf.instrument(r->pf.ctx, symbol, &ins) == 0;
}

static int rate_ok(const oms_risk_t *r, const oms_risk_limit_t *v, const char *where,
                   oms_reject_t *err) {
  uint32_t cap = r->cfg.rate_ring;
  uint32_t bits[] = {OMS_RL_ORDER_RATE_ACCOUNT, OMS_RL_ORDER_RATE_STRATEGY,
                     OMS_RL_CANCEL_RATE_ACCOUNT, OMS_RL_CANCEL_RATE_STRATEGY};
  uint32_t vals[] = {v->order_rate_account, v->order_rate_strategy, v->cancel_rate_account,
                     v->cancel_rate_strategy};
  for (int i = 0; i < 4; i++) {
    if ((v->set & bits[i]) && vals[i] > cap) {
      oms_reject_set(err, OMS_R_RISK_NO_LIMITS,
                     "limits %s: rate %u above the throttle ring of %u (rate_ring)", where, vals[i],
                     cap);
      return OMS_ECONFIG;
    }
  }
  return 0;
}

int oms_risk_set_limits(oms_risk_t *r, oms_risk_limits_t *l, oms_reject_t *err) {
  if (r == NULL || l == NULL) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits: none given");
    return OMS_EINVAL;
  }
  if (rate_ok(r, &l->global, "global", err) != 0) return OMS_ECONFIG;
  for (uint32_t i = 0; i < l->entries.n; i++) {
    const oms__lentry_t *e = oms__ktab_rec(&l->entries, (int32_t)i);
    const char *id = e->h.key + 1;
    if (rate_ok(r, &e->v, id, err) != 0) return OMS_ECONFIG;
    if (e->h.key[0] == '0' + OMS_RISK_SCOPE_SYMBOL && !known_symbol(r, id)) {
      oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits: unknown symbol %s", id);
      return OMS_ECONFIG;
    }
  }
  for (uint32_t i = 0; i < l->hours.n; i++) {
    const oms__hours_t *h = oms__ktab_rec(&l->hours, (int32_t)i);
    if (h->h.key[0] == 'S' && !known_symbol(r, h->h.key + 1)) {
      oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits: trading hours for unknown symbol %s",
                     h->h.key + 1);
      return OMS_ECONFIG;
    }
  }
  oms_risk_limits_destroy(r->limits);
  r->limits = l;
  r->limits_gen++; /* what the records remember of the old set is void */
  if (r->limits_gen == 0) r->limits_gen = 1;
  rlim_void(r);
  groups_rebuild(r);
  if (err != NULL) {
    err->code = OMS_R_NONE;
    err->text[0] = '\0';
  }
  return 0;
}

/* ---- reference prices and states ----------------------------------------- */

int oms_risk_set_reference_price(oms_risk_t *r, const char *symbol, oms_dec_t px, int64_t ts_ns) {
  if (symbol == NULL || !oms_dec_is_pos(px) || strlen(symbol) > OMS_SYMBOL_MAX) return OMS_EINVAL;
  int32_t k = oms__ktab_get(&r->syms, symbol);
  if (k < 0) return OMS_EFULL;
  oms__sym_t *s = oms__ktab_rec(&r->syms, k);
  s->ref_px = px;
  s->ref_ns = ts_ns;
  /* The model's latest price (O(1)); its returns are taken at its samples. */
  if (r->model != NULL && s->midx > 0)
    (void)oms_riskmodel_tick(r->model, (uint32_t)s->midx - 1, oms_riskmodel_dec_in(px));
  /* The positions in groups are valued anew (the portfolio was marked). */
  for (int32_t i = s->as_head; i != 0;) {
    oms__as_t *as = oms__ktab_rec(&r->as, i - 1);
    as_pos_read(r, as);
    i = as->sym_next;
  }
  return 0;
}

int oms_risk_restore_reference_price(oms_risk_t *r, const char *symbol, oms_dec_t px,
                                     int64_t ts_ns) {
  int32_t k = symbol != NULL ? oms__ktab_find(&r->syms, symbol) : -1;
  if (k >= 0) {
    const oms__sym_t *s = oms__ktab_rec(&r->syms, k);
    if (oms_dec_is_pos(s->ref_px) && s->ref_ns >= ts_ns) return 0;
  }
  return oms_risk_set_reference_price(r, symbol, px, ts_ns);
}

static oms_trading_state_t *state_slot(oms_risk_t *r, oms_risk_scope_t scope, const char *id,
                                       bool create) {
  if (scope == OMS_RISK_SCOPE_GLOBAL) return &r->global_state;
  if (id == NULL || strlen(id) > OMS_ID_MAX) return NULL;
  oms__ktab_t *t = scope == OMS_RISK_SCOPE_ACCOUNT    ? &r->accts
                   : scope == OMS_RISK_SCOPE_STRATEGY ? &r->strats
                                                      : NULL;
  if (t == NULL) return NULL;
  int32_t k = !create                           ? oms__ktab_find(t, id)
              : scope == OMS_RISK_SCOPE_ACCOUNT ? acct_get(r, id)
                                                : strat_get(r, id);
  if (k < 0) return NULL;
  return scope == OMS_RISK_SCOPE_ACCOUNT ? &((oms__acct_t *)oms__ktab_rec(t, k))->state
                                         : &((oms__strat_t *)oms__ktab_rec(t, k))->state;
}

int oms__set_state(oms_risk_t *r, oms_risk_scope_t scope, const char *id, oms_trading_state_t state,
                   const char *reason, int64_t now_ns) {
  if ((unsigned)state > OMS_TRADING_HALTED || (unsigned)scope > OMS_RISK_SCOPE_STRATEGY ||
      (scope != OMS_RISK_SCOPE_GLOBAL && (id == NULL || id[0] == '\0')))
    return OMS_EINVAL;
  oms_trading_state_t *slot = state_slot(r, scope, id, true);
  if (slot == NULL) return OMS_EFULL;
  oms_trading_state_t from = *slot;
  if (from == state) return 0;
  *slot = state;
  if (r->state_cb != NULL)
    r->state_cb(r->state_ctx, scope, scope == OMS_RISK_SCOPE_GLOBAL ? "" : id, from, state,
                reason ? reason : "", now_ns);
  return 0;
}

int oms_risk_set_state(oms_risk_t *r, oms_risk_scope_t scope, const char *id,
                       oms_trading_state_t state, const char *reason, int64_t now_ns) {
  return oms__set_state(r, scope, id, state, reason, now_ns);
}

oms_trading_state_t oms_risk_get_state(const oms_risk_t *r, oms_risk_scope_t scope,
                                       const char *id) {
  oms_trading_state_t *s = state_slot((oms_risk_t *)r, scope, id, false);
  return s ? *s : OMS_TRADING_ACTIVE;
}

const oms_risk_limits_t *oms_risk_current_limits(const oms_risk_t *r) {
  return r == NULL ? NULL : r->limits;
}

int oms_risk_each_state(const oms_risk_t *r, oms_risk_state_each_fn fn, void *ctx) {
  int rc = fn(ctx, OMS_RISK_SCOPE_GLOBAL, "", r->global_state);
  for (uint32_t i = 0; rc == 0 && i < r->accts.n; i++) {
    const oms__acct_t *a = oms__ktab_rec(&r->accts, (int32_t)i);
    rc = fn(ctx, OMS_RISK_SCOPE_ACCOUNT, a->h.key, a->state);
  }
  for (uint32_t i = 0; rc == 0 && i < r->strats.n; i++) {
    const oms__strat_t *s = oms__ktab_rec(&r->strats, (int32_t)i);
    rc = fn(ctx, OMS_RISK_SCOPE_STRATEGY, s->h.key, s->state);
  }
  return rc;
}

/* ---- open orders --------------------------------------------------------- */

/* The entry of order id, or NULL. The entry found or made last is tried
 * first: the engine reports one order's changes one after another (an
 * entry's order_id is its live id, 0 once free). */
static __attribute__((noinline)) oms__ord_t *ord_lookup(oms_risk_t *r, uint64_t id) {
  uint64_t i;
  if (!oms__u64map_get(&r->ord_of, id, &i)) return NULL;
  return r->last_ord = &r->ords[i];
}

static inline oms__ord_t *ord_find(oms_risk_t *r, uint64_t id) {
  oms__ord_t *e = r->last_ord;
  if (e != NULL && e->order_id == id && id != 0) return e;
  return ord_lookup(r, id);
}

static oms__ord_t *ord_insert(oms_risk_t *r, uint64_t id) {
  uint32_t i = oms__slots_take(&r->ord_free);
  if (i == OMS__SLOT_NONE) return NULL;
  (void)oms__u64map_put(&r->ord_of, id, i); /* sized for the pool: never full */
  memset(&r->ords[i], 0, sizeof(r->ords[i]));
  r->ords[i].order_id = id;
  return r->last_ord = &r->ords[i];
}

static void ord_delete(oms_risk_t *r, oms__ord_t *e) {
  if (!oms__u64map_del(&r->ord_of, e->order_id)) return;
  oms__slots_give(&r->ord_free, (uint32_t)(e - r->ords));
  e->order_id = 0;
}

/* Adds one order at px to a sorted level list (desc: highest first). */
static void level_add(oms_risk_t *r, int32_t *head, oms_dec_t px, bool desc) {
  int32_t *link = head;
  while (*link >= 0) {
    oms__level_t *lv = &r->levels[*link];
    if (lv->px.raw == px.raw) {
      lv->count++;
      return;
    }
    if (desc ? lv->px.raw < px.raw : lv->px.raw > px.raw) break;
    link = &lv->next;
  }
  /* The pool has one node per possible open order, so it can not run dry. */
  int32_t n = r->free_level;
  r->free_level = r->levels[n].next;
  r->levels[n].px = px;
  r->levels[n].count = 1;
  r->levels[n].next = *link;
  *link = n;
}

static void level_del(oms_risk_t *r, int32_t *head, oms_dec_t px) {
  for (int32_t *link = head; *link >= 0; link = &r->levels[*link].next) {
    oms__level_t *lv = &r->levels[*link];
    if (lv->px.raw != px.raw) continue;
    if (--lv->count == 0) {
      int32_t n = *link;
      *link = lv->next;
      lv->next = r->free_level;
      r->free_level = n;
    }
    return;
  }
}

static oms_dec_t value_px(const oms_order_t *o, oms_dec_t market_px) {
  switch (o->type) {
    case OMS_ORD_MARKET: return market_px;
    case OMS_ORD_STOP: return o->stop_price;
    default: return o->price;
  }
}

/* The self-trade price level o rests at, or 0. A parent order rests
 * nowhere (its children do, and are not entered): it reserves its exposure
 * but is no price a new order could trade with. */
static oms_dec_t level_px(const oms_order_t *o) {
  bool rests = o->algo == 0 &&
               (o->type == OMS_ORD_LIMIT ||
                (o->type == OMS_ORD_STOP_LIMIT &&
                 (o->state == OMS_STATE_TRIGGERED || o->restore_state == OMS_STATE_TRIGGERED ||
                  o->state == OMS_STATE_PARTIALLY_FILLED)));
  return rests ? o->price : OMS_DEC_ZERO;
}

/* The part of an entry that a reservation recomputes; the rest is fixed at
 * the open. */
typedef struct resv_s {
  oms_dec_t leaves, value_px, notional, margin, level_px;
} resv_t;

/* What o, as it is now, reserves (see NOTES); terminal says whether its
 * state is (the caller has asked). e holds the values kept from the open
 * (value of a market order, multiplier, margin rate). */
static void reservation(oms_risk_t *r, const oms_order_t *o, bool terminal, const oms__ord_t *e,
                        resv_t *out) {
  out->value_px = e->value_px;
  out->leaves = out->notional = out->margin = out->level_px = OMS_DEC_ZERO;
  if (terminal) return;
  oms_dec_t q = o->leaves_qty, px = value_px(o, e->value_px);
  if (o->state == OMS_STATE_PENDING_REPLACE) {
    oms_dec_t q2 = oms_dec_from_raw(o->pending_qty.raw - o->filled_qty.raw);
    q = oms_dec_max(q, q2);
    oms_order_t n = *o;
    if (oms_dec_is_pos(o->pending_price)) n.price = o->pending_price;
    if (oms_dec_is_pos(o->pending_stop_price)) n.stop_price = o->pending_stop_price;
    px = oms_dec_max(px, value_px(&n, e->value_px));
  }
  out->leaves = q;
  out->value_px = o->type == OMS_ORD_MARKET ? e->value_px : px;
  /* value_px is always the px that valued the reservation (a market order's
   * px is e->value_px), and multiplier and margin rate never change after
   * the open: the same quantity at the same price reserves what it did (an
   * acknowledgement, a transition that moves no quantity). */
  if (q.raw != 0 && q.raw == e->leaves.raw && px.raw == e->value_px.raw) {
    out->notional = e->notional;
    out->margin = e->margin;
  } else {
    if (oms__notional(r, q, px, e->multiplier, &out->notional) != 0)
      out->notional = oms_dec_from_raw(OMS_DEC_MAX_RAW);
    if (oms__margin(r, out->notional, e->margin_rate, &out->margin) != 0)
      out->margin = oms_dec_from_raw(OMS_DEC_MAX_RAW);
  }
  out->level_px = level_px(o);
}

/* move_reservation()'s part for the groups of s and the risk model: e's
 * notional becomes notional there (out of the common path's code). */
static __attribute__((noinline)) void move_groups_model(oms_risk_t *r, const oms__ord_t *e,
                                                        const oms__as_t *s, oms_dec_t notional) {
  if (s->in_group) {
    for (int kind = 0; kind < OMS_RISK_GROUP_NKINDS; kind++) {
      if (s->ag[kind] == 0) continue;
      oms__ag_t *g = oms__ktab_rec(&r->ags, s->ag[kind] - 1);
      g->open = oms__sat_add(oms__sat_add(g->open, e->notional, -1), notional, 1);
    }
  }
  if (r->model != NULL) {
    double d = oms_riskmodel_dec_in(notional) - oms_riskmodel_dec_in(e->notional);
    model_add(r, e->as, e->side == OMS_SIDE_BUY ? d : -d);
  }
}

/* Moves the aggregates from what e holds to what n holds, and stores n. */
static void move_reservation(oms_risk_t *r, oms__ord_t *e, const resv_t *n) {
  /* Most transitions (an acknowledgement, a pending state) move nothing:
   * n is e with these five fields recomputed. */
  if (n->leaves.raw == e->leaves.raw && n->notional.raw == e->notional.raw &&
      n->margin.raw == e->margin.raw && n->level_px.raw == e->level_px.raw) {
    e->value_px = n->value_px;
    return;
  }
  oms__acct_t *a = oms__ktab_rec(&r->accts, e->acct);
  oms__as_t *s = oms__ktab_rec(&r->as, e->as);
  a->open_notional = oms__sat_add(oms__sat_add(a->open_notional, e->notional, -1), n->notional, 1);
  a->open_margin = oms__sat_add(oms__sat_add(a->open_margin, e->margin, -1), n->margin, 1);
  if ((s->in_group || r->model != NULL) && e->notional.raw != n->notional.raw)
    move_groups_model(r, e, s, n->notional);
  bool buy = e->side == OMS_SIDE_BUY;
  oms_dec_t *side_qty = buy ? &s->open_buy : &s->open_sell;
  *side_qty = oms__sat_add(oms__sat_add(*side_qty, e->leaves, -1), n->leaves, 1);
  if (e->level_px.raw != n->level_px.raw) {
    int32_t *head = buy ? &s->buy_levels : &s->sell_levels;
    if (oms_dec_is_pos(e->level_px)) level_del(r, head, e->level_px);
    if (oms_dec_is_pos(n->level_px)) level_add(r, head, n->level_px, buy);
  }
  e->leaves = n->leaves;
  e->value_px = n->value_px;
  e->notional = n->notional;
  e->margin = n->margin;
  e->level_px = n->level_px;
}

/* Fills the new entry e of o (records a, st, as; every field but order_id
 * written: it holds nothing before) and reserves what o holds: ins is the
 * portfolio's instrument (NULL: none known, full margin at multiplier 1),
 * mkt_px the symbol's reference price (values a market order), given what
 * reservation() would make of it, or NULL to have it made. */
static inline __attribute__((always_inline)) void open_entry(oms_risk_t *r, const oms_order_t *o,
                                                             oms__ord_t *e,
                                                             const oms_pf_instrument_t *ins,
                                                             oms_dec_t mkt_px,
                                                             const resv_t *given) {
  e->acct = r->cur_acct;
  e->strat = r->cur_strat;
  e->as = r->cur_as;
  e->side = o->side;
  e->multiplier = ins != NULL ? ins->multiplier : oms_dec_from_raw(OMS_DEC_SCALE);
  e->margin_rate = ins != NULL ? ins->margin_rate : oms_dec_from_raw(OMS_DEC_SCALE);
  e->value_px = o->type == OMS_ORD_MARKET ? mkt_px : OMS_DEC_ZERO;
  e->notional = OMS_DEC_ZERO; /* what move_groups_model() moves from */
  oms__acct_t *ar = r->cur_ap;
  oms__as_t *s = r->cur_asp;
  ar->open_orders++;
  r->cur_sp->open_orders++;
  resv_t n;
  if (given != NULL) {
    n = *given;
  } else {
    e->leaves = e->margin = e->level_px = OMS_DEC_ZERO;
    reservation(r, o, false, e, &n);
  }
  /* move_reservation() from an entry holding nothing: each aggregate
   * moves by what n holds alone */
  ar->open_notional = oms__sat_add(ar->open_notional, n.notional, 1);
  ar->open_margin = oms__sat_add(ar->open_margin, n.margin, 1);
  if ((s->in_group || r->model != NULL) && n.notional.raw != 0)
    move_groups_model(r, e, s, n.notional);
  bool buy = e->side == OMS_SIDE_BUY;
  oms_dec_t *side_qty = buy ? &s->open_buy : &s->open_sell;
  *side_qty = oms__sat_add(*side_qty, n.leaves, 1);
  if (oms_dec_is_pos(n.level_px))
    level_add(r, buy ? &s->buy_levels : &s->sell_levels, n.level_px, buy);
  e->leaves = n.leaves;
  e->value_px = n.value_px;
  e->notional = n.notional;
  e->margin = n.margin;
  e->level_px = n.level_px;
}

/* An order opened without a check just before (oms_risk_order_opened):
 * restores, children's parents, tests. */
static __attribute__((noinline, cold)) int open_order(oms_risk_t *r, const oms_order_t *o) {
  if (!order_recs(r, o)) return OMS_EFULL;
  r->cur_ap = oms__ktab_rec(&r->accts, r->cur_acct);
  r->cur_sp = oms__ktab_rec(&r->strats, r->cur_strat);
  oms__as_t *rec = r->cur_asp = oms__ktab_rec(&r->as, r->cur_as);
  oms__ord_t *e = ord_insert(r, o->order_id);
  if (e == NULL) return OMS_EFULL;
  oms_pf_instrument_t ins;
  /* the hint of the account+symbol record: no lookup by name */
  uint64_t none = 0, *hint = rec->pf_whole ? &rec->pf_hint : &none;
  bool known = r->has_pf && (r->pf.instrument_hint != NULL
                                 ? r->pf.instrument_hint(r->pf.ctx, o->symbol, hint, &ins)
                                 : r->pf.instrument(r->pf.ctx, o->symbol, &ins)) == 0;
  oms_dec_t mkt = OMS_DEC_ZERO;
  if (o->type == OMS_ORD_MARKET) {
    int32_t k = as_sym(r, rec);
    if (k >= 0) mkt = ((const oms__sym_t *)oms__ktab_rec(&r->syms, k))->ref_px;
  }
  open_entry(r, o, e, known ? &ins : NULL, mkt, NULL);
  return 0;
}

/* Opens o, which the chain run whose input is in has just passed: its
 * records are r->cur_*, its instrument the one the portfolio gave the
 * check (in->position.ins: position() gives instrument()'s by the
 * interface's contract), a market order's value the reference price the
 * check read, and its notional and margin the memos the checks left.
 * One probe of the order map puts it. Anything out of the way (an order
 * already open, an id of 0, a symbol the portfolio does not know) goes
 * the way of oms_risk_order_opened. */
static int open_checked(oms_risk_t *r, const oms_order_t *o, const oms_risk_input_t *in) {
  if (o->order_id == 0 || !in->symbol_known || !r->has_pf || r->pf.account_position == NULL ||
      oms__state_terminal(o->state))
    return oms_risk_order_changed(r, NULL, o);
  uint32_t i = oms__slots_take(&r->ord_free);
  if (i == OMS__SLOT_NONE)
    return ord_find(r, o->order_id) ? oms_risk_order_changed(r, NULL, o) : OMS_EFULL;
  if (oms__u64map_add(&r->ord_of, o->order_id, i) != 1) { /* open already */
    oms__slots_give(&r->ord_free, i);
    return oms_risk_order_changed(r, NULL, o);
  }
  oms__ord_t *e = r->last_ord = &r->ords[i];
  e->order_id = o->order_id;
  /* What reservation() would make of the new entry, from the figures the
   * check made: the same price (the order's, or for a market order the
   * reference it was valued at), multiplier (the instrument's: the symbol
   * is known) and, when the open quantity is the leaves, the same
   * quantity, so the same notional. */
  resv_t n;
  const resv_t *given = NULL;
  oms_dec_t q = o->leaves_qty;
  if (in->notional_known && o->state != OMS_STATE_PENDING_REPLACE &&
      q.raw == o->qty.raw - o->filled_qty.raw) {
    n.leaves = q;
    n.value_px = in->order_px;
    n.notional = in->order_notional;
    if (oms__margin(r, n.notional, in->position.ins.margin_rate, &n.margin) != 0)
      n.margin = oms_dec_from_raw(OMS_DEC_MAX_RAW);
    n.level_px = level_px(o);
    given = &n;
  }
  open_entry(r, o, e, &in->position.ins, in->ref_px, given);
  return 0;
}

/* oms_risk_order_changed() past its common case: e is after's entry
 * (NULL: none), which moves. */
static __attribute__((noinline)) int order_moved(oms_risk_t *r, const oms_order_t *after,
                                                 oms__ord_t *e) {
  bool terminal = oms__state_terminal(after->state);
  if (e == NULL) return terminal ? 0 : open_order(r, after);
  resv_t n;
  reservation(r, after, terminal, e, &n);
  move_reservation(r, e, &n);
  if (terminal) {
    ((oms__acct_t *)oms__ktab_rec(&r->accts, e->acct))->open_orders--;
    ((oms__strat_t *)oms__ktab_rec(&r->strats, e->strat))->open_orders--;
    ord_delete(r, e);
  }
  return 0;
}

int oms_risk_order_changed(oms_risk_t *r, const oms_order_t *before, const oms_order_t *after) {
  (void)before; /* not trusted: the stored reservation is the "before" */
  oms__ord_t *e = ord_find(r, after->order_id);
  /* A resting limit order whose open quantity and price did not move (an
   * acknowledgement, a pending state: the submission's own transitions):
   * reservation() would give e back unchanged (leaves, its price as value
   * and as level, so the same notional and margin) and
   * move_reservation() then moves nothing. Tested before any frame is
   * made. */
  if (e != NULL && !oms__state_terminal(after->state) && after->type == OMS_ORD_LIMIT &&
      after->algo == 0 && after->state != OMS_STATE_PENDING_REPLACE && after->leaves_qty.raw != 0 &&
      after->leaves_qty.raw == e->leaves.raw && after->price.raw == e->value_px.raw &&
      after->price.raw == e->level_px.raw)
    return 0;
  return order_moved(r, after, e);
}

int oms_risk_order_opened(oms_risk_t *r, const oms_order_t *order) {
  return oms_risk_order_changed(r, NULL, order);
}

void oms_risk_aggregates(const oms_risk_t *r, const char *account, const char *strategy,
                         const char *symbol, oms_risk_aggr_t *out) {
  memset(out, 0, sizeof(*out));
  int32_t k;
  if (account != NULL && (k = oms__ktab_find(&r->accts, account)) >= 0) {
    const oms__acct_t *a = oms__ktab_rec(&r->accts, k);
    out->account_open_orders = a->open_orders;
    out->account_open_notional = a->open_notional;
    out->account_open_margin = a->open_margin;
  }
  if (strategy != NULL && (k = oms__ktab_find(&r->strats, strategy)) >= 0)
    out->strategy_open_orders = ((const oms__strat_t *)oms__ktab_rec(&r->strats, k))->open_orders;
  if (account != NULL && symbol != NULL) {
    char key[OMS__KEY_MAX + 1];
    oms__key2(key, account, symbol);
    if ((k = oms__ktab_find(&r->as, key)) >= 0) {
      const oms__as_t *s = oms__ktab_rec(&r->as, k);
      out->open_buy_qty = s->open_buy;
      out->open_sell_qty = s->open_sell;
      out->has_resting_buy = s->buy_levels >= 0;
      out->has_resting_sell = s->sell_levels >= 0;
      if (out->has_resting_buy) out->best_buy_px = r->levels[s->buy_levels].px;
      if (out->has_resting_sell) out->best_sell_px = r->levels[s->sell_levels].px;
    }
  }
}

/* ---- the chain ----------------------------------------------------------- */

static bool finish(oms_risk_result_t *res, const char *check, oms_reason_t code) {
  res->passed = code == OMS_R_NONE;
  res->check = check;
  res->reject.code = code;
  return res->passed;
}

static void clear_result(oms_risk_result_t *res) {
  res->passed = false;
  res->check = "";
  res->reject.code = OMS_R_NONE;
  res->reject.text[0] = '\0';
}

/* The portfolio's account and position of o into in, kept in its
 * account+symbol record as (when its key names the pair alone) until the
 * portfolio's change counter moves or the account's trading day ends (an
 * account not known has no day: only a change makes it known). */
static void pf_read(oms_risk_t *r, oms__as_t *as, const oms_order_t *o, int64_t now_ns,
                    oms_risk_input_t *in) {
  int known;
  if (r->pf.account_position != NULL) {
    uint64_t none = 0, *hint = as->pf_whole ? &as->pf_hint : &none;
    known = r->pf.account_position(r->pf.ctx, o->account_id, o->symbol, now_ns, hint, &in->account,
                                   &in->position);
  } else {
    known =
        (r->pf.account(r->pf.ctx, o->account_id, now_ns, &in->account) == 0 ? OMS_PF_ACCOUNT_KNOWN
                                                                            : 0) |
        (r->pf.position(r->pf.ctx, o->account_id, o->symbol, &in->position) == 0
             ? OMS_PF_SYMBOL_KNOWN
             : 0);
  }
  in->account_known = (known & OMS_PF_ACCOUNT_KNOWN) != 0;
  in->symbol_known = (known & OMS_PF_SYMBOL_KNOWN) != 0;
  if (r->pf_changes == NULL || !as->pf_whole) return;
  as->pf_gen = *r->pf_changes + 1; /* read after the call: a read may start a day */
  if (!in->account_known || in->account.day_start_ns > INT64_MAX - OMS_DAY_NS)
    as->pf_until = INT64_MAX;
  else
    as->pf_until = in->account.day_start_ns + OMS_DAY_NS;
  as->pf_known = known;
  as->pf_acct = in->account;
  as->pf_pos = in->position;
}

/* Fills in for o; false (res set) if the engine cannot even look at it. */
static bool prepare(oms_risk_t *r, oms_risk_action_t action, const oms_order_t *cur,
                    const oms_order_t *o, int64_t now_ns, const oms__rlim_t **rlim,
                    oms_risk_input_t *in, oms_risk_result_t *res) {
  /* Every field is written below (no 400-byte clear per order): those set
   * only on some paths are cleared on the others. */
  in->action = action;
  in->order = o;
  in->current = cur;
  in->now_ns = now_ns;
  in->child = o->parent_order_id != 0;
  if (r->limits == NULL) {
    oms_reject_set(&res->reject, OMS_R_RISK_NO_LIMITS, "risk: no limits installed");
    return finish(res, "risk", OMS_R_RISK_NO_LIMITS);
  }
  if (!order_recs_of(r, o, action != OMS_RISK_NEW)) {
    oms_reject_set(&res->reject, OMS_R_CAPACITY,
                   "risk: no room to track account %s, strategy %s or symbol %s", o->account_id,
                   o->strategy_id, o->symbol);
    return finish(res, "risk", OMS_R_CAPACITY);
  }
  const oms__acct_t *a = r->cur_ap = oms__ktab_rec(&r->accts, r->cur_acct);
  const oms__strat_t *st = r->cur_sp = oms__ktab_rec(&r->strats, r->cur_strat);
  oms__as_t *as = r->cur_asp = oms__ktab_rec(&r->as, r->cur_as);
  const oms__rlim_t *rl = rlim_cur(r, o);
  in->limits = &rl->v;
  *rlim = rl;
  /* the names' entry made it once */
  r->cur_dup_key = r->cur_trip != NULL ? r->cur_trip->dup_key : dup_key(r, as);
  r->cur_dup_fp = 0;
  in->state_global = r->global_state;
  in->state_account = a->state;
  in->state_strategy = st->state;
  in->state = in->state_global;
  if (in->state_account > in->state) in->state = in->state_account;
  if (in->state_strategy > in->state) in->state = in->state_strategy;

  oms_risk_aggr_t *g = &in->aggr;
  g->account_open_orders = a->open_orders;
  g->strategy_open_orders = st->open_orders;
  g->account_open_notional = a->open_notional;
  g->account_open_margin = a->open_margin;
  g->open_buy_qty = as->open_buy;
  g->open_sell_qty = as->open_sell;
  g->has_resting_buy = as->buy_levels >= 0;
  g->best_buy_px = g->has_resting_buy ? r->levels[as->buy_levels].px : OMS_DEC_ZERO;
  g->has_resting_sell = as->sell_levels >= 0;
  g->best_sell_px = g->has_resting_sell ? r->levels[as->sell_levels].px : OMS_DEC_ZERO;
  r->cur_mod_notional = OMS_DEC_ZERO;
  if (cur != NULL) {
    const oms__ord_t *e = ord_find(r, cur->order_id);
    if (e != NULL) {
      r->cur_mod_notional = e->notional;
      g->account_open_notional = oms__sat_add(g->account_open_notional, e->notional, -1);
      g->account_open_margin = oms__sat_add(g->account_open_margin, e->margin, -1);
      oms_dec_t *q = e->side == OMS_SIDE_BUY ? &g->open_buy_qty : &g->open_sell_qty;
      *q = oms__sat_add(*q, e->leaves, -1);
    }
  }

  if (r->has_pf) {
    if (r->pf_changes != NULL && as->pf_gen == *r->pf_changes + 1 && now_ns < as->pf_until) {
      in->account = as->pf_acct; /* nothing it depends on moved since */
      in->position = as->pf_pos;
      in->account_known = (as->pf_known & OMS_PF_ACCOUNT_KNOWN) != 0;
      in->symbol_known = (as->pf_known & OMS_PF_SYMBOL_KNOWN) != 0;
    } else {
      memset(&in->account, 0, sizeof in->account);
      memset(&in->position, 0, sizeof in->position);
      pf_read(r, as, o, now_ns, in);
    }
    oms_dec_t x = in->symbol_known ? in->position.exposure : OMS_DEC_ZERO;
    if (as->in_group) as_pos_set(r, as, oms_dec_abs(x));
    if (r->model != NULL && oms__model_idx(r, r->cur_as) >= 0) as_var_set(r, r->cur_as, x);
  } else {
    memset(&in->account, 0, sizeof in->account);
    memset(&in->position, 0, sizeof in->position);
    in->account_known = in->symbol_known = false;
  }
  int32_t sk = as_sym(r, as);
  r->cur_sym = sk;
  r->cur_syp = NULL;
  in->ref_px = OMS_DEC_ZERO;
  in->ref_ns = 0;
  if (sk >= 0) {
    const oms__sym_t *sy = r->cur_syp = oms__ktab_rec(&r->syms, sk);
    in->ref_px = sy->ref_px;
    in->ref_ns = sy->ref_ns;
  }
  in->order_px = value_px(o, in->ref_px);
  oms_dec_t open_qty = oms_dec_from_raw(o->qty.raw - o->filled_qty.raw);
  oms_dec_t mult = in->symbol_known ? in->position.ins.multiplier : oms_dec_from_raw(OMS_DEC_SCALE);
  in->order_notional = OMS_DEC_ZERO;
  in->notional_known = oms_dec_is_pos(in->order_px) &&
                       oms__notional(r, open_qty, in->order_px, mult, &in->order_notional) == 0;
  /* Reducing: opposite to the position, and together with the open orders
   * on its side it can not take the position through zero. */
  oms__i128 q = in->position.qty.raw;
  if (o->side == OMS_SIDE_SELL)
    in->reduces = q > 0 && (oms__i128)g->open_sell_qty.raw + open_qty.raw <= q;
  else
    in->reduces = q < 0 && (oms__i128)g->open_buy_qty.raw + open_qty.raw <= -q;
  return true;
}

/* Every check of the chain in order, each logged, until one refuses
 * (res set): false then. With a log installed only (out of the hot
 * path's code). */
static __attribute__((noinline, cold)) bool run_logged(oms_risk_t *r, const oms_order_t *o,
                                                       int64_t now_ns, const oms_risk_input_t *in,
                                                       oms_risk_result_t *res) {
  for (size_t i = 0, n = r->nchain; i < n; i++) {
    const oms_risk_check_t *c = &r->chain[i];
    res->reject.code = OMS_R_NONE;
    res->reject.text[0] = '\0';
    oms_reason_t code = c->check(r->chain_ctx[i], in, res);
    if (code != OMS_R_NONE && res->reject.code != code) res->reject.code = code;
    oms_risk_log_t rec = {
        o->order_id, c->name, code == OMS_R_NONE, code, code == OMS_R_NONE ? "" : res->reject.text,
        now_ns};
    r->log(r->log_ctx, &rec);
    if (code != OMS_R_NONE) return finish(res, c->name, code);
  }
  return true;
}

/* Runs the chain; with opened non-NULL (a new order) a pass also opens
 * the order, *opened receiving open_checked()'s result. Inlined into
 * oms_risk_check_open, the submission's, for its constant arguments;
 * run_any is the others'. */
static inline __attribute__((always_inline)) bool run_chain(oms_risk_t *r, oms_risk_action_t action,
                                                            const oms_order_t *cur,
                                                            const oms_order_t *o, int64_t now_ns,
                                                            oms_risk_result_t *res, int *opened) {
  oms_risk_input_t in;
  const oms__rlim_t *rl = NULL;
  clear_result(res);
  if (!prepare(r, action, cur, o, now_ns, &rl, &in, res)) {
    if (r->log != NULL) {
      oms_risk_log_t rec = {o->order_id,      res->check,       false,
                            res->reject.code, res->reject.text, now_ns};
      r->log(r->log_ctx, &rec);
    }
    return false;
  }
  if (r->log == NULL) { /* the hot case: the calls and nothing else */
    /* the chain less the checks that pass under these limits (skip_mask) */
    if (rl->builtin && !oms__builtins_pass(r, rl, &in)) {
      size_t at;
      oms_reason_t code = oms__run_builtins(r, rl->bid, rl->nrun, &in, res, &at);
      if (__builtin_expect(code != OMS_R_NONE, 0)) {
        if (res->reject.code != code) res->reject.code = code;
        return finish(res, r->chain[rl->run[at]].name, code);
      }
    }
    for (size_t k = 0, n = rl->builtin ? 0 : rl->nrun; k < n; k++) {
      size_t i = rl->run[k];
      res->reject.code = OMS_R_NONE;
      res->reject.text[0] = '\0';
      oms_reason_t code = r->chain[i].check(r->chain_ctx[i], &in, res);
      if (__builtin_expect(code != OMS_R_NONE, 0)) {
        if (res->reject.code != code) res->reject.code = code;
        return finish(res, r->chain[i].name, code);
      }
    }
  } else if (!run_logged(r, o, now_ns, &in, res)) {
    return false;
  }
  if (r->commit_direct) {
    if (r->commit_bmask != 0) oms__commit_builtins(r, r->commit_bmask, &in);
  } else {
    for (size_t k = 0; k < r->ncommits; k++) {
      size_t i = r->commits[k];
      r->chain[i].commit(r->chain_ctx[i], &in);
    }
  }
  res->reject.text[0] = '\0';
  if (opened != NULL) *opened = open_checked(r, o, &in);
  return finish(res, r->nchain ? r->chain[r->nchain - 1].name : "", OMS_R_NONE);
}

static __attribute__((noinline)) bool run_any(oms_risk_t *r, oms_risk_action_t action,
                                              const oms_order_t *cur, const oms_order_t *o,
                                              int64_t now_ns, oms_risk_result_t *res) {
  return run_chain(r, action, cur, o, now_ns, res, NULL);
}

bool oms_risk_check_new(oms_risk_t *r, const oms_order_t *order, int64_t now_ns,
                        oms_risk_result_t *res) {
  return run_any(r, OMS_RISK_NEW, NULL, order, now_ns, res);
}

int oms_risk_check_open(oms_risk_t *r, const oms_order_t *order, int64_t now_ns,
                        oms_risk_result_t *res) {
  int opened = 0;
  if (!run_chain(r, OMS_RISK_NEW, NULL, order, now_ns, res, &opened)) return OMS_EREJECTED;
  return opened;
}

bool oms_risk_check_modify(oms_risk_t *r, const oms_order_t *current, const oms_order_t *next,
                           int64_t now_ns, oms_risk_result_t *res) {
  return run_any(r, OMS_RISK_MODIFY, current, next, now_ns, res);
}

bool oms_risk_check_cancel(oms_risk_t *r, const oms_order_t *order, int64_t now_ns,
                           oms_risk_result_t *res) {
  clear_result(res);
  res->check = "order_rate";
  if (r->limits == NULL) return finish(res, "order_rate", OMS_R_NONE);
  oms_risk_eff_limits_t lim;
  int32_t a, s;
  if (order_recs(r, order)) {
    resolve_cur(r, order, &lim);
    a = r->cur_acct;
    s = r->cur_strat;
  } else {
    oms__limits_resolve(r->limits, order->account_id, order->strategy_id, order->symbol, &lim);
    a = acct_get(r, order->account_id);
    s = strat_get(r, order->strategy_id);
  }
  const oms_risk_limit_t *v = &lim.v;
  uint32_t cap = r->cfg.rate_ring;
  int64_t win = (v->set & OMS_RL_RATE_WINDOW) ? v->rate_window_ns : INT64_C(1000000000);
  oms__acct_t *acct = a >= 0 ? oms__ktab_rec(&r->accts, a) : NULL;
  oms__strat_t *st = s >= 0 ? oms__ktab_rec(&r->strats, s) : NULL;
  if (st != NULL && (v->set & OMS_RL_CANCEL_RATE_STRATEGY) &&
      oms__ring_full(&st->cancels, cap, v->cancel_rate_strategy, now_ns, win)) {
    oms_reject_set(&res->reject, OMS_R_RISK_THROTTLE,
                   "order_rate: %u cancels in the last %lld ms for strategy %s (limit %u)",
                   v->cancel_rate_strategy, (long long)(win / 1000000), order->strategy_id,
                   v->cancel_rate_strategy);
    return finish(res, "order_rate", OMS_R_RISK_THROTTLE);
  }
  if (acct != NULL && (v->set & OMS_RL_CANCEL_RATE_ACCOUNT) &&
      oms__ring_full(&acct->cancels, cap, v->cancel_rate_account, now_ns, win)) {
    oms_reject_set(&res->reject, OMS_R_RISK_THROTTLE,
                   "order_rate: %u cancels in the last %lld ms for account %s (limit %u)",
                   v->cancel_rate_account, (long long)(win / 1000000), order->account_id,
                   v->cancel_rate_account);
    return finish(res, "order_rate", OMS_R_RISK_THROTTLE);
  }
  if (st != NULL) oms__ring_push(&st->cancels, cap, now_ns);
  if (acct != NULL) oms__ring_push(&acct->cancels, cap, now_ns);
  return finish(res, "order_rate", OMS_R_NONE);
}

bool oms_risk_evaluate_account(oms_risk_t *r, const char *account, int64_t now_ns) {
  if (r->limits == NULL || !r->has_pf || account == NULL) return false;
  oms_risk_eff_limits_t lim;
  oms__limits_resolve(r->limits, account, NULL, NULL, &lim);
  if (!(lim.v.set & OMS_RL_DAILY_LOSS)) return false;
  oms_pf_account_t pa;
  if (r->pf.account(r->pf.ctx, account, now_ns, &pa) != 0) return false;
  if (pa.daily_pnl.raw >= -lim.v.daily_loss.raw) return false;
  if (oms_risk_get_state(r, OMS_RISK_SCOPE_ACCOUNT, account) < lim.v.daily_loss_action) {
    char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN], why[OMS_REASON_MAX + 1];
    snprintf(why, sizeof why, "daily loss limit breached: daily PnL %s, limit %s",
             oms__fmt(pa.daily_pnl, a), oms__fmt(lim.v.daily_loss, b));
    oms__set_state(r, OMS_RISK_SCOPE_ACCOUNT, account, lim.v.daily_loss_action, why, now_ns);
  }
  return true;
}
