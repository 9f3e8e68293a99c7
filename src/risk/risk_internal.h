/*
 * risk_internal.h - what the files of src/risk share: a keyed record table,
 * time zones, the limit set's layout, and the engine's state.
 */
#ifndef OMS_RISK_INTERNAL_H
#define OMS_RISK_INTERNAL_H

#include <string.h>

#include "core/hash.h"
#include "core/slots.h"
#include "core/strmap.h"
#include "core/u64map.h"
#include "oms/error.h"
#include "oms/risk.h"
#include "oms/riskmodel.h"

typedef __int128 oms__i128;

/* ---- Keyed records -------------------------------------------------------- */

/* Every keyed record starts with this header. Keys are text: an id, or for
 * composite keys the parts joined by '\x1f'. */
#define OMS__KEY_MAX 103
typedef struct oms__khdr_s {
  char key[OMS__KEY_MAX + 1];
} oms__khdr_t;

/* A fixed array of records of `stride` bytes, each starting with an
 * oms__khdr_t, indexed by key (core/strmap.h). Records are never removed. */
typedef struct oms__ktab_s {
  char *recs;
  size_t stride;
  uint32_t n, cap;
  oms__strmap_t idx; /* key -> record number */
} oms__ktab_t;

int oms__ktab_init(oms__ktab_t *t, uint32_t cap, size_t stride);
void oms__ktab_free(oms__ktab_t *t);
/* Builds "a\x1fb" into buf[OMS__KEY_MAX + 1]; a or b may be NULL (""). */
void oms__key2(char *buf, const char *a, const char *b);
/* The record index of key, or -1. */
int32_t oms__ktab_find(const oms__ktab_t *t, const char *key);
/* Makes dst an independent copy of src (records copied byte for byte: the
 * caller deep-copies what they point to). 0 or OMS_ENOMEM (dst freed). */
int oms__ktab_clone(oms__ktab_t *dst, const oms__ktab_t *src);
/* Doubles the capacity (configuration-time tables only). 0 or OMS_ENOMEM. */
int oms__ktab_grow(oms__ktab_t *t);
/* Finds or creates (zeroed, header set) the record of key; -1 when full or
 * for a key longer than OMS__KEY_MAX. */
int32_t oms__ktab_get(oms__ktab_t *t, const char *key);

/* a + sign * b (sign +1 or -1), saturated to the decimal range: the
 * aggregates and the checks add up exposures that must not wrap. */
static inline oms_dec_t oms__sat_add(oms_dec_t a, oms_dec_t b, int sign) {
  /* In 64 bits with the overflow flag (some twenty of these per order): an
   * overflow saturates the way b pushed; INT64_MIN, in int64_t but below
   * the decimal range, clamps like the rest. */
  int64_t v;
  bool over = sign > 0 ? __builtin_add_overflow(a.raw, b.raw, &v)
                       : __builtin_sub_overflow(a.raw, b.raw, &v);
  if (over) v = (sign > 0) == (b.raw > 0) ? OMS_DEC_MAX_RAW : OMS_DEC_MIN_RAW;
  if (v < OMS_DEC_MIN_RAW) v = OMS_DEC_MIN_RAW;
  return oms_dec_from_raw(v);
}

static inline void *oms__ktab_rec(const oms__ktab_t *t, int32_t i) {
  return t->recs + (size_t)i * t->stride;
}

/* ---- Time zones ----------------------------------------------------------- */

/* A zone: a fixed offset, or the transitions of a TZif file. */
typedef struct oms__tz_s {
  char name[64];
  int32_t off0; /* seconds east of UTC before the first transition (or fixed) */
  uint32_t n;   /* transitions */
  int64_t *at;  /* transition times, seconds since the epoch, ascending */
  int32_t *off; /* offset in force from at[i] */
} oms__tz_t;

/* Loads tz (see oms_risk_limits_hours). Returns 0, OMS_ECONFIG (unknown or
 * malformed zone) or OMS_ENOMEM; err->text says why. */
int oms__tz_load(oms__tz_t *tz, const char *name, const char *zoneinfo_dir, oms_reject_t *err);
void oms__tz_free(oms__tz_t *tz);
/* Seconds east of UTC in force at t (seconds since the epoch). */
int32_t oms__tz_offset(const oms__tz_t *tz, int64_t t);

/* ---- Limits --------------------------------------------------------------- */

typedef struct oms__lentry_s {
  oms__khdr_t h; /* key: scope digit + id */
  oms_risk_limit_t v;
  int8_t list; /* symbols: 1 whitelisted, -1 restricted, 0 neither */
} oms__lentry_t;

typedef struct oms__hours_s {
  oms__khdr_t h; /* key: "S" or "V" + symbol or venue */
  oms__tz_t tz;
  uint32_t n;
  oms_risk_window_t w[OMS_RISK_MAX_WINDOWS];
} oms__hours_t;

/* A group of instruments (key: kind digit + name) and its limits (0: none). */
typedef struct oms__group_s {
  oms__khdr_t h;
  oms_risk_group_kind_t kind;
  oms_dec_t max_exposure, max_pct;
} oms__group_t;

/* A symbol's groups (key: the symbol): group record + 1 per kind, 0 none. */
typedef struct oms__member_s {
  oms__khdr_t h;
  int32_t grp[OMS_RISK_GROUP_NKINDS];
} oms__member_t;

struct oms_risk_limits_s {
  oms_risk_limit_t global;
  oms__ktab_t entries; /* oms__lentry_t */
  oms__ktab_t hours;   /* oms__hours_t */
  oms__ktab_t groups;  /* oms__group_t */
  oms__ktab_t members; /* oms__member_t */
  char zoneinfo_dir[256];
};

/* The entry of (scope, id), or NULL. */
const oms__lentry_t *oms__limits_find(const oms_risk_limits_t *l, oms_risk_scope_t scope,
                                      const char *id);
const oms__hours_t *oms__limits_hours(const oms_risk_limits_t *l, const char *symbol,
                                      const char *venue);
/* The group record of kind that symbol is in, or -1. */
int32_t oms__limits_group(const oms_risk_limits_t *l, oms_risk_group_kind_t kind,
                          const char *symbol);
/* Overlays the fields set in src onto dst. */
void oms__limit_overlay(oms_risk_limit_t *dst, const oms_risk_limit_t *src);
/* Resolves the limits for an order's account, strategy and symbol (any may be
 * NULL): global, then account, then strategy, then symbol, the later winning. */
void oms__limits_resolve(const oms_risk_limits_t *l, const char *account, const char *strategy,
                         const char *symbol, oms_risk_eff_limits_t *out);
/* Whether the local time at now_ns falls in one of h's windows; *wday and
 * *minute receive the local weekday and minute of the day. */
bool oms__hours_open(const oms__hours_t *h, int64_t now_ns, int *wday, int *minute);
/* The close of the trading day open at at_ns: the latest end of the
 * windows of the local day on which the window open at at_ns started (an
 * overnight window counts for the day it opens; a break between two
 * windows of one day does not end it). Returns 1 with *close_ns, or 0 when
 * no window is open at at_ns. */
int oms__hours_close(const oms__hours_t *h, int64_t at_ns, int64_t *close_ns);

/* ---- The engine ----------------------------------------------------------- */

typedef struct oms__ring_s {
  int64_t *ts; /* cap slots */
  uint32_t head, count;
} oms__ring_t;

/* The records below remember what they found in the installed limit set
 * (and the account+symbol record, its symbol's record), so that an order's
 * limits are resolved without hashing its names again: an entry is valid
 * while its *_gen equals the engine's limits_gen, which every
 * oms_risk_set_limits() advances (0 = never looked up). */
typedef struct oms__acct_s {
  oms__khdr_t h;
  /* with the key's tail, what an order does not read */
  oms__ring_t cancels;
  const oms__lentry_t *lim; /* its account entry, or NULL */
  /* what every order reads, on a line of its own (the third) */
  oms_trading_state_t state __attribute__((aligned(64)));
  uint32_t open_orders;
  oms_dec_t open_notional, open_margin;
  oms__ring_t orders;
  uint32_t lim_gen;
  /* The concentration check's fraction x equity as last computed, for the
   * instrument's limit [0] and a group's [1] (equity 0: none). */
  struct {
    oms_dec_t pct, equity, v;
  } pe[2];
  char spread[96]; /* to an odd number of lines (OMS__ODD_LINES) */
} __attribute__((aligned(64))) oms__acct_t;

typedef struct oms__strat_s {
  oms__khdr_t h;
  oms_trading_state_t state;
  uint32_t open_orders;
  oms__ring_t orders, cancels;
  const oms__lentry_t *lim; /* its strategy entry, or NULL */
  uint32_t lim_gen;
} __attribute__((aligned(64))) oms__strat_t;

typedef struct oms__as_s { /* account + symbol */
  /* Laid out by use: what every order reads (key, aggregates, the kept
   * portfolio reads) in the lines after the key, the rest (groups, model,
   * limits' entry) last; the record starts a cache line (ktab). */
  oms__khdr_t h;
  uint64_t sym_hash; /* of the symbol: the duplicate guard's key */
  oms_dec_t open_buy, open_sell;
  /* -- line 2 -- */
  int32_t buy_levels, sell_levels; /* sorted price level lists, best first; -1 empty */
  int32_t sym;                     /* the symbol's record (reference price), or -1 */
  uint32_t hours_gen;
  const oms__hours_t *hours; /* the trading hours for (symbol, hours_venue) */
  /* The start (ns) of a UTC second at which `hours` were found open:
   * oms__hours_open() reads the time only as its whole second, so the
   * other orders of that second skip the time zone and calendar
   * arithmetic. Forgotten whenever `hours` is looked up again. */
  int64_t open_ns;
  /* What the portfolio last gave for this pair (a pf_whole record only),
   * good while its change counter is pf_gen - 1 (0: nothing kept) and the
   * time is before pf_until (the end of the account's trading day then):
   * an order reads these instead of asking again. */
  uint64_t pf_gen;
  int64_t pf_until;
  /* The portfolio's memory of this pair (oms_portfolio_account_position),
   * kept only for a record whose key holds both names whole (a cut key
   * may stand for several pairs). Cleared by oms_risk_set_portfolio. */
  uint64_t pf_hint;
  uint16_t sym_off; /* where the symbol starts in h.key */
  bool in_group;
  bool open_known;
  bool pf_whole;
  uint8_t pf_known;
  /* -- line 3 on -- */
  char hours_venue[OMS_VENUE_MAX + 1];
  oms_pf_account_t pf_acct;
  oms_pf_position_t pf_pos;
  int32_t acct; /* the account's record */
  /* Concentration groups, found when the limits were installed:
   * per kind the limit set's group record + 1 and the account+group
   * aggregate record + 1 (0: none). pos_exp is the |exposure| of the
   * position last read from the portfolio, as summed into the groups. */
  int32_t grp[OMS_RISK_GROUP_NKINDS], ag[OMS_RISK_GROUP_NKINDS];
  oms_dec_t pos_exp;
  double var_pos;           /* the signed position exposure entered in the model */
  int32_t sym_next;         /* next account+symbol record of the same symbol + 1; 0 end */
  uint32_t syms_seen;       /* with sym -1: the symbol records there were */
  const oms__lentry_t *lim; /* the symbol's entry, or NULL */
  uint32_t lim_gen;
  char spread[108]; /* to an odd number of lines (OMS__ODD_LINES) */
} __attribute__((aligned(64))) oms__as_t;

typedef struct oms__sym_s {
  oms__khdr_t h;
  int32_t as_head; /* its account+symbol records (+ 1; 0 none), for marks */
  int32_t midx;    /* its instrument in the risk model + 1; 0 none */
  /* what every order reads, on a line of its own (the third) */
  oms_dec_t ref_px __attribute__((aligned(64)));
  int64_t ref_ns;
  /* The price collar's percentage band, ref_px x band_pct, as last
   * computed: reference prices change far less often than orders come. */
  oms_dec_t band_px, band_pct, band;
} __attribute__((aligned(64))) oms__sym_t;

/* An account's exposure to one group (key: account \x1f kind digit name):
 * sum of |position exposure| of its members, and gross open notional. */
/* A record of an even number of cache lines would put the same field of
 * all records in a few of the cache's sets (a 512-byte stride: 8 of 64),
 * where they evict each other; an odd number spreads them over all. */
#define OMS__ODD_LINES(t) _Static_assert(sizeof(t) % 128 == 64, #t ": an odd number of lines")
OMS__ODD_LINES(oms__acct_t);
OMS__ODD_LINES(oms__strat_t);
OMS__ODD_LINES(oms__as_t);
OMS__ODD_LINES(oms__sym_t);

typedef struct oms__ag_s {
  oms__khdr_t h;
  oms_dec_t pos, open;
} oms__ag_t;

typedef struct oms__level_s {
  oms_dec_t px;
  uint32_t count;
  int32_t next;
} oms__level_t;

/* What an open order holds in the aggregates. */
typedef struct oms__ord_s {
  uint64_t order_id; /* 0: a free entry of the pool */
  int32_t acct, strat, as;
  oms_side_t side;
  oms_dec_t leaves;   /* reserved quantity */
  oms_dec_t value_px; /* the price that values it (limit, stop, or reference at open) */
  oms_dec_t notional, margin;
  oms_dec_t multiplier, margin_rate; /* as at open */
  oms_dec_t level_px;                /* its self-trade price level; 0 if none */
} oms__ord_t;

/* A recent order in the duplicate guard: a 64-bit fingerprint of what makes
 * two orders the same (strategy, symbol, side, type, quantity, price; 0 =
 * free) and when it was seen. Four to a cache line, one line per lookup. */
typedef struct oms__dup_s {
  uint64_t fp;
  int64_t ts;
} oms__dup_t;
#define OMS__DUP_WAYS 4

#define OMS__CHAIN_MAX 32

/* Limits as resolved for an order (oms__limits_resolve) and the chain
 * positions to run under them, in order: the chain without the built-in
 * checks these limits alone make pass (see skip_mask in risk.c). Many
 * (strategy, account+symbol) pairs resolve alike (the same account,
 * strategy and symbol limits), so one copy serves them all: fewer lines
 * for the orders of many pairs to keep in the cache. */
typedef struct oms__rlim_s {
  uint8_t nrun;
  bool builtin;   /* every check to run is a built-in: bid[k] is run[k]'s number */
  uint32_t bmask; /* with builtin: 1 << bid[k] for every k (oms__builtins_pass) */
  uint32_t need;  /* the limits those built-ins need (oms__builtins_need) */
  /* tick_size x collar_ticks (saturated), the price collar's tick band */
  oms_dec_t tick_band;
  oms_risk_eff_limits_t v;
  /* last: read only by a chain run for real (a refusal, other checks) */
  uint8_t run[OMS__CHAIN_MAX];
  uint8_t bid[OMS__CHAIN_MAX];
} __attribute__((aligned(64))) oms__rlim_t; /* what every order reads in 4 lines */
OMS__ODD_LINES(oms__rlim_t);

/* A (strategy, account+symbol) pair of records and its resolution
 * (rblk[blk]), valid while gen equals the engine's rlim_gen (0: empty).
 * Two to a set. */
typedef struct oms__rpair_s {
  uint32_t gen;
  int32_t strat, as;
  uint32_t blk;
} oms__rpair_t;
#define OMS__RLIM_WAYS 2

/* An order's three names resolved at once: its account, strategy and
 * account+symbol records (+ 1; 0: an empty entry) and the shared
 * resolution (rblk[blk]) last found for that (strategy, account+symbol)
 * pair under rlim_gen rgen (0: none), under the names' leading words
 * (key: account's first 8 bytes, strategy's, symbol's first 16; bytes
 * from a NUL on cleared). Those words are the whole names when each holds
 * its NUL: then equal words are equal names, and a hit reads no record;
 * longer names are confirmed by the records' own keys. The resolution is
 * the pair's while rgen is the engine's rlim_gen (the shared resolutions
 * are only added to under one generation): nothing here is ever stale,
 * only missed. One entry a cache line: a hit reads one line (the pair's
 * set of rlim is not read). */
#define OMS__TRIP_WORDS 4
typedef struct oms__trip_s {
  uint64_t key[OMS__TRIP_WORDS];
  int32_t acct, strat, as;
  uint32_t rgen, blk;
  uint64_t dup_key; /* the duplicate guard's key of the names (see prepare) */
} __attribute__((aligned(64))) oms__trip_t;
_Static_assert(sizeof(oms__trip_t) == 64, "a name cache entry on one line");
#define OMS__TRIP_BITS 10
#define OMS__NAME_BITS 8
#define OMS__NAME_CACHE (1u << OMS__NAME_BITS)

struct oms_risk_s {
  oms_risk_config_t cfg;
  oms_risk_limits_t *limits; /* owned; NULL until set */
  oms_portfolio_if_t pf;
  bool has_pf;
  const uint64_t *pf_changes; /* the portfolio's change counter, or NULL */
  oms_risk_log_fn log;
  void *log_ctx;
  oms_risk_state_fn state_cb;
  void *state_ctx;
  oms_risk_check_t chain[OMS__CHAIN_MAX];
  size_t nchain;
  /* Resolved when the chain is set, so that an order's run makes only the
   * calls: each check's context (the engine for a built-in) and the
   * positions of the checks with a commit. */
  void *chain_ctx[OMS__CHAIN_MAX];
  uint8_t commits[OMS__CHAIN_MAX];
  uint8_t chain_bid[OMS__CHAIN_MAX]; /* each position's OMS__B_*, or OMS__B_NONE */
  size_t ncommits;
  /* Every commit a built-in's own with the engine as context, each once:
   * then 1 << OMS__B_* of each (oms__commit_builtins), else 0 (the table). */
  uint32_t commit_bmask;
  bool commit_direct;
  oms_trading_state_t global_state;

  oms__ktab_t accts, strats, as, syms;
  oms__ktab_t ags;        /* oms__ag_t, account+group exposures */
  oms_riskmodel_t *model; /* not owned; NULL: none */
  /* (account record, symbol) -> account+symbol record, beside the table's
   * index by the joined name: a probe by number and symbol hash instead of
   * building and hashing the joined key (see as_get). */
  oms__u64map_t as_by_acct;
  oms__ord_t *ords; /* the open orders: a pool of max_open_orders */
  oms__slots_t ord_free;
  oms__u64map_t ord_of; /* order id -> entry of ords */
  oms__ord_t *last_ord; /* the entry found or made last (ord_find), or NULL */
  oms__level_t *levels;
  int32_t free_level;
  oms__dup_t *dups;  /* buckets of OMS__DUP_WAYS, on cache lines */
  uint32_t dup_mask; /* buckets - 1 */
  int64_t *ring_mem;

  /* The records of the order being checked (valid during a chain run), and
   * its duplicate-guard key. */
  int32_t cur_acct, cur_strat, cur_as;
  int32_t cur_sym; /* the symbol record (reference price), or -1 */
  /* Those records themselves (the tables never move; cur_syp NULL with
   * cur_sym -1): the checks read them without the arithmetic. */
  oms__acct_t *cur_ap;
  oms__strat_t *cur_sp;
  oms__as_t *cur_asp;
  oms__sym_t *cur_syp;
  uint64_t cur_dup_key;
  uint64_t cur_dup_fp;        /* the order's fingerprint once the check made it; 0 not yet */
  oms_dec_t cur_mod_notional; /* a modify: what the current order reserves */
  /* The order whose records were looked up last: the engine opens the order
   * it has just checked, which then needs no lookup (0 = none). */
  uint64_t memo_id;
  int32_t memo_acct, memo_strat, memo_as;
  /* Direct-mapped caches in front of the name lookups of order_recs: the
   * record (+ 1; 0 empty) last found for a name whose first 8 bytes (and,
   * for account+symbol, account record) hash to the slot. A hit is
   * confirmed by comparing the record's own name, so a stale or colliding
   * slot costs a lookup, never a wrong record (records are never removed).
   * Account+symbol pairs are many more than accounts or strategies (160 in
   * 256 slots missed 15% of orders in bench_core): two ways a slot, the
   * one used last first. */
  /* In front of those, the three names of an order hashed together: one
   * probe of two ways (the one used last first) resolves all three. */
  oms__trip_t trip[1u << OMS__TRIP_BITS][2];
  oms__trip_t *cur_trip; /* the entry of the order being checked, or NULL */
  int32_t acct_cache[OMS__NAME_CACHE], strat_cache[OMS__NAME_CACHE];
  int32_t as_cache[OMS__NAME_CACHE][2];
  uint32_t limits_gen; /* advanced by every oms_risk_set_limits (see oms__acct_t) */
  /* Resolved limits by (strategy, account+symbol), direct-mapped sets of
   * OMS__RLIM_WAYS: an order's limits are resolved once per pair and
   * generation, not per order. rlim_gen advances with every change that
   * can alter a resolution or a skip mask: limits, chain. */
  oms__rpair_t *rlim;
  uint32_t rlim_mask; /* sets - 1 */
  uint32_t rlim_gen;
  /* The resolutions the pairs share, made under rblk_gen (another rlim_gen:
   * none yet), found by content through an open-addressed index of
   * their numbers + 1. As many as pairs: when full, every pair is voided
   * and they start again. */
  oms__rlim_t *rblk;
  uint32_t *rblk_idx;
  uint32_t nrblk, rblk_cap, rblk_gen;
  /* The last notional (oms_notional) and margin (notional x rate, half
   * even) computed, with their inputs: the check values an order and its
   * open reserves the same figures (oms__notional, oms__margin). All zero
   * is a true entry (0 x 0 x 0 = 0). */
  struct {
    oms_dec_t q, px, mult, v;
    int rc;
  } nmemo;
  struct {
    oms_dec_t n, rate, v;
    int rc;
  } mmemo;
};

/* oms_notional(q, px, mult, out), the same inputs giving the result kept. */
static inline int oms__notional(oms_risk_t *r, oms_dec_t q, oms_dec_t px, oms_dec_t mult,
                                oms_dec_t *out) {
  if (q.raw != r->nmemo.q.raw || px.raw != r->nmemo.px.raw || mult.raw != r->nmemo.mult.raw) {
    /* A whole quantity at multiplier 1 (or 0: none), the usual order: the
     * product is exact, q / scale x px, as oms_dec_mul makes it (no
     * rounding; the range is symmetric, so INT64_MIN is out of it too). */
    int64_t whole = q.raw / OMS_DEC_SCALE, v;
    if (q.raw % OMS_DEC_SCALE == 0 && (mult.raw == OMS_DEC_SCALE || mult.raw == 0))
      r->nmemo.rc = __builtin_mul_overflow(whole, px.raw, &v) || v == INT64_MIN
                        ? OMS_EOVERFLOW
                        : (r->nmemo.v = oms_dec_from_raw(v), 0);
    else
      r->nmemo.rc = oms_notional(q, px, mult, &r->nmemo.v);
    r->nmemo.q = q;
    r->nmemo.px = px;
    r->nmemo.mult = mult;
  }
  if (r->nmemo.rc == 0) *out = r->nmemo.v;
  return r->nmemo.rc;
}

/* oms_dec_mul(n, rate, OMS_ROUND_HALF_EVEN, out), remembered the same way. */
static inline __attribute__((always_inline)) int oms__margin(oms_risk_t *r, oms_dec_t n,
                                                             oms_dec_t rate, oms_dec_t *out) {
  /* A rate of 0 (none: the engine's instruments have none until set) or
   * of 1 (full margin) gives 0 or n exactly, as oms_dec_mul makes them
   * (n x 1 overflows only for an n outside the range). */
  if (rate.raw == 0) {
    *out = OMS_DEC_ZERO;
    return 0;
  }
  if (rate.raw == OMS_DEC_SCALE && n.raw >= OMS_DEC_MIN_RAW && n.raw <= OMS_DEC_MAX_RAW) {
    *out = n;
    return 0;
  }
  if (n.raw != r->mmemo.n.raw || rate.raw != r->mmemo.rate.raw) {
    r->mmemo.rc = oms_dec_mul(n, rate, OMS_ROUND_HALF_EVEN, &r->mmemo.v);
    r->mmemo.n = n;
    r->mmemo.rate = rate;
  }
  if (r->mmemo.rc == 0) *out = r->mmemo.v;
  return r->mmemo.rc;
}

/* The built-in checks by number, in OMS_RISK_BUILTIN_MAP's order. */
enum {
#define XX(id, name) OMS__B_##id,
  OMS_RISK_BUILTIN_MAP(XX)
#undef XX
      OMS__B_NONE /* not a built-in (or one given a context of its own) */
};

/* Runs the built-in checks ids[0..n) (OMS__B_*) in order with ctx (the
 * engine) until one refuses: returns OMS_R_NONE, or the refusal with *at
 * its index in ids and res as it wrote it. One call and a jump per check,
 * where the chain's table costs an indirect call each; the built-ins write
 * res only to refuse, so nothing is reset between them. */
oms_reason_t oms__run_builtins(void *ctx, const uint8_t *ids, size_t n, const oms_risk_input_t *in,
                               oms_risk_result_t *res, size_t *at);

/* Whether every built-in of rl->bmask passes in (whose limits are
 * rl->v), asked in OMS_RISK_BUILTIN_MAP's order whatever the chain's, each
 * check "dry": a refusal is only noticed, nothing written. All of them
 * passing is the common case and its answer is the chain's; on false the
 * chain is run for real (oms__run_builtins), in its order, to find which
 * check refuses first and say why. */
bool oms__builtins_pass(void *ctx, const oms__rlim_t *rl, const oms_risk_input_t *in);
/* The OMS_RL_* bits the built-ins of bmask refuse without. */
uint32_t oms__builtins_need(uint32_t bmask);

/* Built-in checks (checks.c). */
#define XX(id, name) \
  oms_reason_t oms__check_##id(void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res);
OMS_RISK_BUILTIN_MAP(XX)
#undef XX
/* Commits: only the throttle and the duplicate guard remember orders. */
void oms__commit_ORDER_RATE(void *ctx, const oms_risk_input_t *in);
void oms__commit_DUPLICATE(void *ctx, const oms_risk_input_t *in);

#define oms__commit_KILL_SWITCH NULL
#define oms__commit_SYMBOL_LIST NULL
#define oms__commit_TRADING_HOURS NULL
#define oms__commit_MAX_ORDER_SIZE NULL
#define oms__commit_PRICE_COLLAR NULL
#define oms__commit_MAX_POSITION NULL
#define oms__commit_MAX_OPEN_ORDERS NULL
#define oms__commit_CREDIT_LIMIT NULL
#define oms__commit_DAILY_LOSS NULL
#define oms__commit_LEVERAGE NULL
#define oms__commit_MARGIN NULL
#define oms__commit_SELF_TRADE NULL
#define oms__commit_CONCENTRATION NULL
#define oms__commit_VAR_STRESS NULL

/* The model's instrument of an account+symbol record and the book of its
 * account, or -1 (risk.c). */
int32_t oms__model_idx(const oms_risk_t *r, int32_t as);
int32_t oms__model_book(const oms_risk_t *r, int32_t acct);

/* Engine services the checks use: the throttle rings (inline: two of each
 * per order), then risk.c's. */
static inline bool oms__ring_full(const oms__ring_t *rg, uint32_t cap, uint32_t limit,
                                  int64_t now_ns, int64_t window_ns) {
  if (limit == 0) return true;
  if (rg->count < limit) return false;
  /* The limit-th most recent event decides: inside the window, the budget is spent. */
  uint32_t i = rg->head + cap - limit; /* in [0, 2 cap): limit <= cap (rate_ok) */
  int64_t t = rg->ts[i >= cap ? i - cap : i];
  return t > now_ns - window_ns;
}

static inline void oms__ring_push(oms__ring_t *rg, uint32_t cap, int64_t now_ns) {
  rg->ts[rg->head] = now_ns;
  rg->head = rg->head + 1 == cap ? 0 : rg->head + 1; /* no division on the order path */
  if (rg->count < cap) rg->count++;
}

/* What makes two orders the same, as one fingerprint: strategy and symbol
 * (the key prepare() made), side, type, quantity and price. Two different
 * orders share one with odds of 2^-64, as two names shared a hash before. */
static inline uint64_t oms__dup_fp(const oms_risk_t *r, const oms_order_t *o) {
  int64_t px = (o->type == OMS_ORD_STOP ? o->stop_price : o->price).raw;
  uint64_t h = oms__mix64(r->cur_dup_key ^ (uint64_t)o->qty.raw);
  h = oms__mix64(h + (uint64_t)px * UINT64_C(0x9e3779b97f4a7c15));
  h = oms__mix64(h ^ ((uint64_t)o->side | (uint64_t)o->type << 4) * UINT64_C(0xc2b2ae3d27d4eb4f));
  return h ? h : 1;
}

static inline oms__dup_t *oms__dup_bucket(const oms_risk_t *r, uint64_t fp) {
  return &r->dups[(size_t)((fp >> 32) & r->dup_mask) * OMS__DUP_WAYS];
}

/* The throttle's commit: the order counts in its strategy's and account's
 * windows. */
static inline void oms__commit_rate(void *ctx, const oms_risk_input_t *in) {
  oms_risk_t *r = ctx;
  oms__ring_push(&r->cur_sp->orders, r->cfg.rate_ring, in->now_ns);
  oms__ring_push(&r->cur_ap->orders, r->cfg.rate_ring, in->now_ns);
}

/* The duplicate guard's commit: remembers the order in its bucket, over its
 * own earlier sighting, in a free way, or over the oldest. */
static inline void oms__commit_dup(void *ctx, const oms_risk_input_t *in) {
  oms_risk_t *r = ctx;
  if (in->action != OMS_RISK_NEW) return;
  uint64_t fp = r->cur_dup_fp != 0 ? r->cur_dup_fp : oms__dup_fp(r, in->order);
  oms__dup_t *b = oms__dup_bucket(r, fp), *victim = &b[0];
  for (int i = 0; i < OMS__DUP_WAYS; i++) {
    if (b[i].fp == 0 || b[i].fp == fp) {
      victim = &b[i];
      break;
    }
    if (b[i].ts < victim->ts) victim = &b[i];
  }
  victim->fp = fp;
  victim->ts = in->now_ns;
}

/* The commits of the built-ins of bmask (1 << OMS__B_*, each once) with ctx
 * (the engine), in the chain run's own code where the chain's table makes
 * one indirect call each. They touch apart what they keep, so their order
 * is the chain's whatever it is. */
static inline void oms__commit_builtins(void *ctx, uint32_t bmask, const oms_risk_input_t *in) {
  if (bmask & (1u << OMS__B_ORDER_RATE)) oms__commit_rate(ctx, in);
  if (bmask & (1u << OMS__B_DUPLICATE)) oms__commit_dup(ctx, in);
}

/* The trading hours for the order being checked (r->cur_as), or NULL:
 * those its account+symbol record found for the same venue under the
 * same limits, else looked up (oms__find_hours). */
const oms__hours_t *oms__find_hours(oms_risk_t *r, const oms_order_t *o);
static inline const oms__hours_t *oms__cur_hours(oms_risk_t *r, const oms_order_t *o) {
  const oms__as_t *as = r->cur_asp;
  if (as->hours_gen == r->limits_gen && oms__name_eq(as->hours_venue, o->venue, sizeof o->venue))
    return as->hours;
  return oms__find_hours(r, o);
}
int oms__set_state(oms_risk_t *r, oms_risk_scope_t scope, const char *id, oms_trading_state_t state,
                   const char *reason, int64_t now_ns);

/* oms_reject_set() for the checks' refusals (checks.c): %s, %u, %d, %lld
 * with a zero or space padded width written directly, anything else by
 * vsnprintf; the same text and cut as oms_reject_set. */
oms_reason_t oms__risk_reject(oms_reject_t *r, oms_reason_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));

/* Formats d into buf[OMS_DEC_STRLEN] and returns buf. */
const char *oms__fmt(oms_dec_t d, char *buf);

#endif /* OMS_RISK_INTERNAL_H */
