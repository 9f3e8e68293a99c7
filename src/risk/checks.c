/*
 * checks.c - the built-in pre-trade checks.
 *
 * Each check reads only the prepared oms_risk_input_t (and, for the ones
 * with memory - throttle, duplicate guard, daily loss - the engine handed in
 * as ctx), decides with exact decimal comparisons, and on failure writes one
 * sentence that starts with its name and gives the numbers that decided it.
 * The boundary is always inclusive: a value equal to its limit passes.
 *
 * Fail closed: a check that needs a limit the resolved limits do not set
 * refuses with OMS_R_RISK_NO_LIMITS and says which limit is missing.
 *
 * Nothing here allocates; text is formatted only on failure.
 *
 * The checks are inlined twice: "dry" into oms__builtins_pass, which
 * only answers whether all the built-ins an order needs pass (the hot
 * path: no text, the refusals' code left out), and for real into one
 * runner, oms__run_builtins, which the engine calls when the dry answer
 * is no, in the chain's order; the table's oms__check_* entries are that
 * runner on a list of one. Refusal text is built in cold functions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "risk/risk_internal.h"

#define SET(in, bit) (((in)->limits->v.set & (bit)) != 0)

typedef char dbuf_t[OMS_DEC_STRLEN];

/* A check's refusal. Each check is written once and inlined twice (see
 * oms__builtins_pass): for real, where a refusal writes its sentence, and
 * "dry" (dry a constant true), where it only says that the check would
 * refuse: no text, no side effect beyond the caches the checks keep, so
 * the dry copies hold no formatting code at all. */
#define REJECT(code, ...) return dry ? (code) : oms__risk_reject(&res->reject, (code), __VA_ARGS__)
#define REJECT_BY(code, call) return dry ? (code) : (call)
/* A limit the check needs (refusing without it): dry, taken as set, for
 * oms__builtins_pass has made sure of all of them at once (need below). */
#define HAS(in, bit) (dry || SET(in, bit))
#define NO_LIMIT(check, what) REJECT_BY(OMS_R_RISK_NO_LIMITS, no_limit(in, res, check, what))

/* The refusals' oms_reject_set(): a refused order's latency is mostly its
 * sentence, and the formats below use only %s, %u, %d and %lld (with a
 * padded width), which this writes itself at a fraction of vsnprintf's
 * cost, with the same text and the same cut at the buffer's end. Anything
 * else it hands to vsnprintf. */
oms_reason_t oms__risk_reject(oms_reject_t *r, oms_reason_t code, const char *fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  r->code = code;
  char *out = r->text;
  size_t n = 0, cap = sizeof(r->text) - 1; /* n: the whole length, as vsnprintf counts */
  const char *f = fmt;
  for (;;) {
    const char *pct = strchr(f, '%');
    if (pct == NULL) pct = f + strlen(f);
    const char *str = f;
    size_t len = (size_t)(pct - f);
    char num[24];
    if (len == 0) {
      if (*pct == '\0') break;
      f = pct + 1;
      bool zero = *f == '0';
      if (zero) f++;
      int width = 0;
      while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
      int longs = 0;
      while (*f == 'l') longs++, f++;
      if (*f == 's' && longs == 0 && width == 0) {
        str = va_arg(ap, const char *);
        if (str == NULL) goto slow;
        len = strlen(str);
      } else if ((*f == 'd' || *f == 'u') && (longs == 0 || longs == 2)) {
        uint64_t mag;
        bool neg = false;
        if (*f == 'u') {
          mag = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
        } else {
          long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
          neg = v < 0;
          mag = neg ? 0 - (uint64_t)v : (uint64_t)v;
        }
        char *e = num + sizeof num, *q = e;
        do *--q = (char)('0' + mag % 10);
        while ((mag /= 10) != 0);
        int digits = (int)(e - q) + neg;
        if (zero)
          while (digits < width) *--q = '0', digits++;
        if (neg) *--q = '-';
        while (digits < width) *--q = ' ', digits++;
        str = q;
        len = (size_t)(e - q);
      } else if (*f == '%' && !zero && width == 0 && longs == 0) {
        str = "%";
        len = 1;
      } else {
        goto slow;
      }
      f++;
    } else {
      f = pct;
    }
    if (n < cap) memcpy(out + n, str, len < cap - n ? len : cap - n);
    n += len;
  }
  out[n < cap ? n : cap] = '\0';
  va_end(again);
  va_end(ap);
  return code;
slow:
  va_end(ap);
  if (vsnprintf(r->text, sizeof(r->text), fmt, again) < 0) r->text[0] = '\0';
  va_end(again);
  return code;
}

static __attribute__((cold, noinline)) oms_reason_t no_limit(const oms_risk_input_t *in,
                                                             oms_risk_result_t *res,
                                                             const char *check, const char *what) {
  const oms_order_t *o = in->order;
  return oms__risk_reject(&res->reject, OMS_R_RISK_NO_LIMITS,
                          "%s: no %s limit configured for %s (account %s, strategy %s)", check,
                          what, o->symbol, o->account_id, o->strategy_id);
}

static oms_dec_t open_qty(const oms_order_t *o) {
  return oms_dec_from_raw(o->qty.raw - o->filled_qty.raw);
}

/* Whether a * b >= c, exactly (a, b, c raw 10^-8 units): one 128-bit
 * comparison where a three-way answer made two. */
static bool mul_ge(oms_dec_t a, oms_dec_t b, oms_dec_t c) {
  return (oms__i128)a.raw * b.raw >= (oms__i128)c.raw * OMS_DEC_SCALE;
}

static oms_dec_t mul_sat(oms_dec_t a, oms_dec_t b) {
  oms_dec_t out;
  if (oms_dec_mul(a, b, OMS_ROUND_HALF_EVEN, &out) != 0)
    out = oms_dec_from_raw((a.raw < 0) != (b.raw < 0) ? OMS_DEC_MIN_RAW : OMS_DEC_MAX_RAW);
  return out;
}

static oms_dec_t add_sat(oms_dec_t a, oms_dec_t b) { return oms__sat_add(a, b, 1); }

/* ---- 14. kill switch ------------------------------------------------------ */

static inline __attribute__((always_inline)) oms_reason_t check_KILL_SWITCH(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  (void)ctx;
  const oms_order_t *o = in->order;
  dbuf_t a, b;
  if (in->state == OMS_TRADING_HALTED) {
    const char *scope = in->state_global == OMS_TRADING_HALTED    ? "global"
                        : in->state_account == OMS_TRADING_HALTED ? "account"
                                                                  : "strategy";
    const char *id = in->state_global == OMS_TRADING_HALTED    ? "firm"
                     : in->state_account == OMS_TRADING_HALTED ? o->account_id
                                                               : o->strategy_id;
    REJECT(OMS_R_RISK_HALTED, "kill_switch: trading halted (%s %s); only cancels pass", scope, id);
  }
  if (in->state == OMS_TRADING_REDUCE_ONLY && !in->reduces) {
    const char *scope = in->state_global == OMS_TRADING_REDUCE_ONLY    ? "global"
                        : in->state_account == OMS_TRADING_REDUCE_ONLY ? "account"
                                                                       : "strategy";
    REJECT(OMS_R_RISK_REDUCE_ONLY,
           "kill_switch: reduce-only (%s): %s %s %s does not reduce position %s "
           "of account %s",
           scope, oms_side_str(o->side), oms__fmt(open_qty(o), a), o->symbol,
           oms__fmt(in->position.qty, b), o->account_id);
  }
  if ((o->instructions & OMS_INST_REDUCE_ONLY) && !in->reduces)
    REJECT(OMS_R_RISK_REDUCE_ONLY,
           "kill_switch: reduce-only order %s %s %s does not reduce position %s "
           "of account %s",
           oms_side_str(o->side), oms__fmt(open_qty(o), a), o->symbol,
           oms__fmt(in->position.qty, b), o->account_id);
  return OMS_R_NONE;
}

/* ---- 7. symbol whitelist and restricted list ------------------------------ */

static inline __attribute__((always_inline)) oms_reason_t check_SYMBOL_LIST(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  (void)ctx;
  if (in->limits->symbol_restricted)
    REJECT(OMS_R_RISK_SYMBOL_RESTRICTED, "symbol_list: %s is on the restricted list",
           in->order->symbol);
  if (!in->limits->symbol_allowed)
    REJECT(OMS_R_RISK_SYMBOL_NOT_ALLOWED, "symbol_list: %s is not on the whitelist",
           in->order->symbol);
  return OMS_R_NONE;
}

/* ---- 8. trading hours ----------------------------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_TRADING_HOURS(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  oms_risk_t *r = ctx;
  const oms_order_t *o = in->order;
  const oms__hours_t *h = oms__cur_hours(r, o);
  if (h == NULL)
    REJECT(OMS_R_RISK_NO_LIMITS, "trading_hours: no trading hours configured for %s (venue %s)",
           o->symbol, o->venue);
  oms__as_t *as = r->cur_asp;
  int64_t since;
  if (as->open_known && !__builtin_sub_overflow(in->now_ns, as->open_ns, &since) && since >= 0 &&
      since < 1000000000)
    return OMS_R_NONE; /* in the second found open */
  int day, minute;
  if (oms__hours_open(h, in->now_ns, &day, &minute)) {
    int64_t sec = in->now_ns / 1000000000;
    if (in->now_ns % 1000000000 < 0) sec--;
    as->open_known = !__builtin_mul_overflow(sec, INT64_C(1000000000), &as->open_ns);
    return OMS_R_NONE;
  }
  REJECT(OMS_R_RISK_TRADING_HOURS, "trading_hours: %s is closed at %s %02d:%02d %s", o->symbol,
         wd[day], minute / 60, minute % 60, h->tz.name);
}

/* ---- 11. order-rate throttle ---------------------------------------------- */

static int64_t rate_window(const oms_risk_input_t *in) {
  return SET(in, OMS_RL_RATE_WINDOW) ? in->limits->v.rate_window_ns : INT64_C(1000000000);
}

static inline __attribute__((always_inline)) oms_reason_t check_ORDER_RATE(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  oms_risk_t *r = ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  if (!HAS(in, OMS_RL_ORDER_RATE_STRATEGY)) NO_LIMIT("order_rate", "strategy order rate");
  if (!HAS(in, OMS_RL_ORDER_RATE_ACCOUNT)) NO_LIMIT("order_rate", "account order rate");
  int64_t win = rate_window(in);
  const oms__strat_t *s = r->cur_sp;
  const oms__acct_t *a = r->cur_ap;
  if (oms__ring_full(&s->orders, r->cfg.rate_ring, v->order_rate_strategy, in->now_ns, win))
    REJECT(OMS_R_RISK_THROTTLE,
           "order_rate: %u orders and modifies in the last %lld ms for strategy %s "
           "(limit %u)",
           v->order_rate_strategy, (long long)(win / 1000000), o->strategy_id,
           v->order_rate_strategy);
  if (oms__ring_full(&a->orders, r->cfg.rate_ring, v->order_rate_account, in->now_ns, win))
    REJECT(OMS_R_RISK_THROTTLE,
           "order_rate: %u orders and modifies in the last %lld ms for account %s "
           "(limit %u)",
           v->order_rate_account, (long long)(win / 1000000), o->account_id, v->order_rate_account);
  return OMS_R_NONE;
}

void oms__commit_ORDER_RATE(void *ctx, const oms_risk_input_t *in) { oms__commit_rate(ctx, in); }

/* ---- 12. duplicate-order guard -------------------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_DUPLICATE(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  oms_risk_t *r = ctx;
  if (in->action != OMS_RISK_NEW) return OMS_R_NONE;
  if (!HAS(in, OMS_RL_DUPLICATE_WINDOW)) NO_LIMIT("duplicate_order", "duplicate window");
  uint64_t fp = oms__dup_fp(r, in->order);
  r->cur_dup_fp = fp; /* for the commit */
  int64_t win = in->limits->v.duplicate_window_ns;
  const oms__dup_t *b = oms__dup_bucket(r, fp);
  for (int i = 0; i < OMS__DUP_WAYS; i++) {
    const oms__dup_t *s = &b[i];
    if (s->fp == fp && s->ts > in->now_ns - win) {
      const oms_order_t *o = in->order;
      int64_t px = (o->type == OMS_ORD_STOP ? o->stop_price : o->price).raw;
      dbuf_t a, c;
      REJECT(OMS_R_RISK_DUPLICATE_ORDER,
             "duplicate_order: same %s %s %s @ %s by strategy %s %lld ms ago "
             "(window %lld ms)",
             oms_side_str(o->side), oms__fmt(o->qty, a), o->symbol,
             oms__fmt(oms_dec_from_raw(px), c), o->strategy_id,
             (long long)((in->now_ns - s->ts) / 1000000), (long long)(win / 1000000));
    }
  }
  return OMS_R_NONE;
}

void oms__commit_DUPLICATE(void *ctx, const oms_risk_input_t *in) { oms__commit_dup(ctx, in); }

/* ---- 1. max order size (quantity and notional) ----------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_MAX_ORDER_SIZE(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  (void)ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  dbuf_t a, b;
  if (!HAS(in, OMS_RL_MAX_ORDER_QTY)) NO_LIMIT("max_order_size", "order quantity");
  if (oms_dec_gt(o->qty, v->max_order_qty))
    REJECT(OMS_R_RISK_MAX_ORDER_QTY,
           "max_order_size: quantity %s exceeds limit %s for %s (strategy %s)", oms__fmt(o->qty, a),
           oms__fmt(v->max_order_qty, b), o->symbol, o->strategy_id);
  if (!HAS(in, OMS_RL_MAX_ORDER_NOTIONAL)) NO_LIMIT("max_order_size", "order notional");
  if (!in->notional_known)
    REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "max_order_size: no price to value %s order for %s",
           oms_ord_type_str(o->type), o->symbol);
  if (oms_dec_gt(in->order_notional, v->max_order_notional))
    REJECT(OMS_R_RISK_MAX_ORDER_NOTIONAL,
           "max_order_size: notional %s exceeds limit %s for %s (strategy %s)",
           oms__fmt(in->order_notional, a), oms__fmt(v->max_order_notional, b), o->symbol,
           o->strategy_id);
  return OMS_R_NONE;
}

/* ---- 9. price collar, reference price, staleness --------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_PRICE_COLLAR(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  oms_risk_t *r = ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  dbuf_t a, b, c, d;
  if (!SET(in, OMS_RL_COLLAR_PCT) && !SET(in, OMS_RL_COLLAR_TICKS))
    NO_LIMIT("price_collar", "collar");
  if (!HAS(in, OMS_RL_MAX_REF_AGE)) NO_LIMIT("price_collar", "reference price age");
  if (!oms_dec_is_pos(in->ref_px))
    REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "price_collar: no reference price for %s", o->symbol);
  int64_t age = in->now_ns - in->ref_ns;
  if (age > v->max_ref_age_ns)
    REJECT(OMS_R_RISK_STALE_REFERENCE_PRICE,
           "price_collar: reference price %s for %s is %lld ms old (max %lld ms)",
           oms__fmt(in->ref_px, a), o->symbol, (long long)(age / 1000000),
           (long long)(v->max_ref_age_ns / 1000000));
  oms_dec_t band = OMS_DEC_ZERO;
  if (SET(in, OMS_RL_COLLAR_PCT)) {
    oms__sym_t *sy = r->cur_syp;
    if (sy != NULL && sy->band_px.raw == in->ref_px.raw && sy->band_pct.raw == v->collar_pct.raw) {
      band = sy->band;
    } else {
      band = mul_sat(in->ref_px, v->collar_pct);
      if (sy != NULL) sy->band_px = in->ref_px, sy->band_pct = v->collar_pct, sy->band = band;
    }
  }
  if (SET(in, OMS_RL_COLLAR_TICKS)) {
    oms_dec_t t;
    if (rl != NULL) /* the same product, made when the limits were resolved */
      t = rl->tick_band;
    else if (oms_dec_mul_int(v->tick_size, v->collar_ticks, &t) != 0)
      t = oms_dec_from_raw(OMS_DEC_MAX_RAW);
    band = oms_dec_max(band, t);
  }
  oms_dec_t px[2];
  const char *what[2];
  int n = 0;
  if (o->type == OMS_ORD_LIMIT || o->type == OMS_ORD_STOP_LIMIT) {
    px[n] = o->price;
    what[n++] = "price";
  }
  if (o->type == OMS_ORD_STOP || o->type == OMS_ORD_STOP_LIMIT) {
    px[n] = o->stop_price;
    what[n++] = "stop price";
  }
  for (int i = 0; i < n; i++) {
    oms_dec_t dev = oms_dec_abs(add_sat(px[i], oms_dec_neg(in->ref_px)));
    if (oms_dec_gt(dev, band))
      REJECT(OMS_R_RISK_PRICE_COLLAR,
             "price_collar: %s %s is %s from reference %s for %s (band %s)", what[i],
             oms__fmt(px[i], a), oms__fmt(dev, b), oms__fmt(in->ref_px, c), o->symbol,
             oms__fmt(band, d));
  }
  return OMS_R_NONE;
}

/* ---- 2. max position (worst case) ------------------------------------------ */

static inline __attribute__((always_inline)) oms_reason_t check_MAX_POSITION(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  (void)ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  if (!HAS(in, OMS_RL_MAX_POSITION)) NO_LIMIT("max_position", "position");
  oms_dec_t q = in->position.qty, oq = open_qty(o), worst;
  bool buy = o->side == OMS_SIDE_BUY;
  if (buy)
    worst = add_sat(add_sat(q, in->aggr.open_buy_qty), oq);
  else
    worst = add_sat(add_sat(in->aggr.open_sell_qty, oq), oms_dec_neg(q));
  if (oms_dec_le(worst, v->max_position)) return OMS_R_NONE;
  dbuf_t a, b, c, d, e;
  REJECT(OMS_R_RISK_MAX_POSITION,
         "max_position: worst-case %s position %s exceeds limit %s for %s "
         "(account %s: position %s, open %s %s, order %s)",
         buy ? "long" : "short", oms__fmt(worst, a), oms__fmt(v->max_position, b), o->symbol,
         o->account_id, oms__fmt(q, c), buy ? "buys" : "sells",
         oms__fmt(buy ? in->aggr.open_buy_qty : in->aggr.open_sell_qty, d), oms__fmt(oq, e));
}

/* ---- 3. max open orders ----------------------------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_MAX_OPEN_ORDERS(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  (void)ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  if (!HAS(in, OMS_RL_MAX_OPEN_ORDERS_STRATEGY))
    NO_LIMIT("max_open_orders", "strategy open orders");
  if (!HAS(in, OMS_RL_MAX_OPEN_ORDERS_ACCOUNT)) NO_LIMIT("max_open_orders", "account open orders");
  if (in->action != OMS_RISK_NEW) return OMS_R_NONE; /* a modify opens nothing */
  if (in->aggr.strategy_open_orders >= v->max_open_orders_strategy)
    REJECT(OMS_R_RISK_MAX_OPEN_ORDERS, "max_open_orders: strategy %s has %u open orders (limit %u)",
           o->strategy_id, in->aggr.strategy_open_orders, v->max_open_orders_strategy);
  if (in->aggr.account_open_orders >= v->max_open_orders_account)
    REJECT(OMS_R_RISK_MAX_OPEN_ORDERS, "max_open_orders: account %s has %u open orders (limit %u)",
           o->account_id, in->aggr.account_open_orders, v->max_open_orders_account);
  return OMS_R_NONE;
}

/* ---- 10. credit limit (gross open notional) -------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_CREDIT_LIMIT(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  (void)ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  if (!HAS(in, OMS_RL_CREDIT_LIMIT)) NO_LIMIT("credit_limit", "credit");
  if (!in->notional_known)
    REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "credit_limit: no price to value %s order for %s",
           oms_ord_type_str(o->type), o->symbol);
  oms_dec_t total = add_sat(in->aggr.account_open_notional, in->order_notional);
  if (oms_dec_le(total, v->credit_limit)) return OMS_R_NONE;
  dbuf_t a, b, c, d;
  REJECT(OMS_R_RISK_CREDIT_LIMIT,
         "credit_limit: open notional %s + order %s = %s exceeds credit limit %s "
         "for account %s",
         oms__fmt(in->aggr.account_open_notional, a), oms__fmt(in->order_notional, b),
         oms__fmt(total, c), oms__fmt(v->credit_limit, d), o->account_id);
}

/* ---- 4. daily loss ---------------------------------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_DAILY_LOSS(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  oms_risk_t *r = ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  if (!HAS(in, OMS_RL_DAILY_LOSS)) NO_LIMIT("daily_loss", "daily loss");
  oms_dec_t pnl = in->account.daily_pnl;
  if (pnl.raw >= -v->daily_loss.raw) return OMS_R_NONE;
  /* A breach changes the account's state, and may then pass a reducing
   * order: dry, it only says "look again", for real. */
  if (dry) return OMS_R_RISK_DAILY_LOSS;
  dbuf_t a, b;
  if (in->state_account < v->daily_loss_action) {
    char why[OMS_REASON_MAX + 1];
    snprintf(why, sizeof why, "daily loss limit breached: daily PnL %s, limit %s", oms__fmt(pnl, a),
             oms__fmt(v->daily_loss, b));
    oms__set_state(r, OMS_RISK_SCOPE_ACCOUNT, o->account_id, v->daily_loss_action, why, in->now_ns);
  }
  if (v->daily_loss_action == OMS_TRADING_REDUCE_ONLY && in->reduces) return OMS_R_NONE;
  REJECT(OMS_R_RISK_DAILY_LOSS,
         "daily_loss: daily PnL %s breaches loss limit %s for account %s; "
         "account is %s",
         oms__fmt(pnl, a), oms__fmt(v->daily_loss, b), o->account_id,
         oms_trading_state_str(v->daily_loss_action));
}

/* ---- 5. leverage ------------------------------------------------------------ */

static inline __attribute__((always_inline)) oms_reason_t check_LEVERAGE(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  (void)ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  dbuf_t a, b, c, d, e, f;
  if (!HAS(in, OMS_RL_MAX_LEVERAGE)) NO_LIMIT("leverage", "leverage");
  if (in->reduces) return OMS_R_NONE;
  if (!in->account_known || !oms_dec_is_pos(in->account.equity))
    REJECT(OMS_R_RISK_LEVERAGE, "leverage: equity %s of account %s is not positive",
           oms__fmt(in->account.equity, a), o->account_id);
  if (!in->notional_known)
    REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "leverage: no price to value %s order for %s",
           oms_ord_type_str(o->type), o->symbol);
  oms_dec_t gross = add_sat(add_sat(in->account.gross_exposure, in->aggr.account_open_notional),
                            in->order_notional);
  if (mul_ge(v->max_leverage, in->account.equity, gross)) return OMS_R_NONE;
  REJECT(OMS_R_RISK_LEVERAGE,
         "leverage: gross exposure %s + open orders %s + order %s = %s exceeds "
         "%s x equity %s for account %s",
         oms__fmt(in->account.gross_exposure, a), oms__fmt(in->aggr.account_open_notional, b),
         oms__fmt(in->order_notional, c), oms__fmt(gross, d), oms__fmt(v->max_leverage, e),
         oms__fmt(in->account.equity, f), o->account_id);
}

/* ---- 6. margin -------------------------------------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_MARGIN(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  dbuf_t a, b, c, d, e, f;
  if (!HAS(in, OMS_RL_MAX_MARGIN_USAGE)) NO_LIMIT("margin", "margin usage");
  if (in->reduces) return OMS_R_NONE;
  if (!in->symbol_known)
    REJECT(OMS_R_RISK_MARGIN, "margin: %s has no margin rate in the portfolio", o->symbol);
  if (!in->account_known || !oms_dec_is_pos(in->account.equity))
    REJECT(OMS_R_RISK_MARGIN, "margin: equity %s of account %s is not positive",
           oms__fmt(in->account.equity, a), o->account_id);
  if (!in->notional_known)
    REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "margin: no price to value %s order for %s",
           oms_ord_type_str(o->type), o->symbol);
  oms_dec_t om;
  if (oms__margin(ctx, in->order_notional, in->position.ins.margin_rate, &om) != 0)
    om = oms_dec_from_raw((in->order_notional.raw < 0) != (in->position.ins.margin_rate.raw < 0)
                              ? OMS_DEC_MIN_RAW
                              : OMS_DEC_MAX_RAW);
  oms_dec_t req = add_sat(add_sat(in->account.margin_used, in->aggr.account_open_margin), om);
  if (mul_ge(v->max_margin_usage, in->account.equity, req)) return OMS_R_NONE;
  REJECT(OMS_R_RISK_MARGIN,
         "margin: required %s (positions %s, open orders %s, order %s) exceeds "
         "%s x equity %s for account %s",
         oms__fmt(req, a), oms__fmt(in->account.margin_used, b),
         oms__fmt(in->aggr.account_open_margin, c), oms__fmt(om, d),
         oms__fmt(v->max_margin_usage, e), oms__fmt(in->account.equity, f), o->account_id);
}

/* ---- 13. self-trade prevention ---------------------------------------------- */

static inline __attribute__((always_inline)) oms_reason_t check_SELF_TRADE(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  (void)ctx;
  const oms_order_t *o = in->order;
  if (o->type == OMS_ORD_STOP || o->type == OMS_ORD_STOP_LIMIT) return OMS_R_NONE;
  bool market = o->type == OMS_ORD_MARKET, buy = o->side == OMS_SIDE_BUY;
  bool has = buy ? in->aggr.has_resting_sell : in->aggr.has_resting_buy;
  if (!has) return OMS_R_NONE;
  oms_dec_t best = buy ? in->aggr.best_sell_px : in->aggr.best_buy_px;
  bool crosses = market || (buy ? oms_dec_ge(o->price, best) : oms_dec_le(o->price, best));
  if (!crosses) return OMS_R_NONE;
  dbuf_t a, b;
  REJECT(OMS_R_RISK_SELF_TRADE,
         "self_trade: %s at %s would cross own resting %s at %s in %s (account %s)",
         oms_side_str(o->side), market ? "market" : oms__fmt(o->price, a), buy ? "SELL" : "BUY",
         oms__fmt(best, b), o->symbol, o->account_id);
}

/* ---- 15. concentration (instrument and groups) ------------------------------ */

/* The limit from an amount and a fraction of equity (either may be unset):
 * the smaller. False when a fraction is set but the equity is not
 * positive. */
static bool conc_limit(const oms_risk_input_t *in, bool has_abs, oms_dec_t abs, bool has_pct,
                       oms_dec_t pct, oms_dec_t *limit, oms__acct_t *a, int slot) {
  if (has_pct && (!in->account_known || !oms_dec_is_pos(in->account.equity))) return false;
  oms_dec_t pe = OMS_DEC_ZERO, eq = in->account.equity;
  if (has_pct && a->pe[slot].pct.raw == pct.raw && a->pe[slot].equity.raw == eq.raw) {
    pe = a->pe[slot].v;
  } else if (has_pct) {
    pe = mul_sat(pct, eq);
    a->pe[slot].pct = pct;
    a->pe[slot].equity = eq;
    a->pe[slot].v = pe;
  }
  *limit = has_abs && has_pct ? oms_dec_min(abs, pe) : has_pct ? pe : abs;
  return true;
}

/* How the limit was made, for a refusal's text only. */
static const char *conc_why(const oms_risk_input_t *in, bool has_abs, oms_dec_t abs, bool has_pct,
                            oms_dec_t pct, char *why, size_t n) {
  dbuf_t a, b, c;
  if (has_abs && has_pct)
    snprintf(why, n, "the smaller of %s and %s x equity %s", oms__fmt(abs, a), oms__fmt(pct, b),
             oms__fmt(in->account.equity, c));
  else if (has_pct)
    snprintf(why, n, "%s x equity %s", oms__fmt(pct, b), oms__fmt(in->account.equity, c));
  else
    snprintf(why, n, "absolute");
  return why;
}

static __attribute__((cold, noinline)) oms_reason_t conc_equity(const oms_risk_input_t *in,
                                                                oms_risk_result_t *res) {
  dbuf_t a;
  return oms__risk_reject(&res->reject, OMS_R_RISK_CONCENTRATION,
                          "concentration: equity %s of account %s is not positive",
                          oms__fmt(in->account.equity, a), in->order->account_id);
}

static inline __attribute__((always_inline)) oms_reason_t check_CONCENTRATION(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  oms_risk_t *r = ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  const oms__as_t *as = r->cur_asp;
  oms__acct_t *acct = r->cur_ap;
  bool has_abs = SET(in, OMS_RL_MAX_CONCENTRATION), has_pct = SET(in, OMS_RL_MAX_CONCENTRATION_PCT);
  /* Optional, unlike the checks above: no limit and no group, nothing to do. */
  if ((!has_abs && !has_pct && !as->in_group) || in->reduces) return OMS_R_NONE;
  dbuf_t a, b, c, d, e;
  char why[160];
  oms_dec_t limit;
  if (has_abs || has_pct) {
    /* Worst case as max_position, valued at the reference price (the
     * order's own price without one). */
    oms_dec_t px = oms_dec_is_pos(in->ref_px) ? in->ref_px : in->order_px;
    if (!oms_dec_is_pos(px))
      REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "concentration: no price to value %s", o->symbol);
    oms_dec_t q = in->position.qty, oq = open_qty(o), worst, x;
    if (o->side == OMS_SIDE_BUY)
      worst = add_sat(add_sat(q, in->aggr.open_buy_qty), oq);
    else
      worst = add_sat(add_sat(in->aggr.open_sell_qty, oq), oms_dec_neg(q));
    oms_dec_t mult =
        in->symbol_known ? in->position.ins.multiplier : oms_dec_from_raw(OMS_DEC_SCALE);
    if (oms_notional(oms_dec_max(worst, OMS_DEC_ZERO), px, mult, &x) != 0)
      x = oms_dec_from_raw(OMS_DEC_MAX_RAW);
    if (!conc_limit(in, has_abs, v->max_concentration, has_pct, v->max_concentration_pct, &limit,
                    acct, 0))
      REJECT_BY(OMS_R_RISK_CONCENTRATION, conc_equity(in, res));
    if (oms_dec_gt(x, limit))
      REJECT(OMS_R_RISK_CONCENTRATION,
             "concentration: worst-case exposure %s to %s (%s %s at %s) exceeds "
             "limit %s (%s) for account %s",
             oms__fmt(x, a), o->symbol, o->side == OMS_SIDE_BUY ? "long" : "short",
             oms__fmt(worst, b), oms__fmt(px, c), oms__fmt(limit, d),
             conc_why(in, has_abs, v->max_concentration, has_pct, v->max_concentration_pct, why,
                      sizeof why),
             o->account_id);
  }
  for (int kind = 0; as->in_group && kind < OMS_RISK_GROUP_NKINDS; kind++) {
    if (as->grp[kind] == 0) continue;
    const oms__group_t *g = oms__ktab_rec(&r->limits->groups, as->grp[kind] - 1);
    bool ga = oms_dec_is_pos(g->max_exposure), gp = oms_dec_is_pos(g->max_pct);
    if (!ga && !gp) continue;
    const char *kn = oms_risk_group_kind_str((oms_risk_group_kind_t)kind);
    if (as->ag[kind] == 0)
      REJECT(OMS_R_CAPACITY, "concentration: no room to track %s group %s of account %s", kn,
             g->h.key + 1, o->account_id);
    if (!in->notional_known)
      REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "concentration: no price to value %s order for %s",
             oms_ord_type_str(o->type), o->symbol);
    const oms__ag_t *ag = oms__ktab_rec(&r->ags, as->ag[kind] - 1);
    oms_dec_t open = oms__sat_add(ag->open, r->cur_mod_notional, -1);
    oms_dec_t total = add_sat(add_sat(ag->pos, open), in->order_notional);
    if (!conc_limit(in, ga, g->max_exposure, gp, g->max_pct, &limit, acct, 1))
      REJECT_BY(OMS_R_RISK_CONCENTRATION, conc_equity(in, res));
    if (oms_dec_gt(total, limit))
      REJECT(kind == OMS_RISK_GROUP_CORRELATION ? OMS_R_RISK_CORRELATION : OMS_R_RISK_CONCENTRATION,
             "concentration: %s group %s exposure %s (positions %s + open orders %s + order %s) "
             "exceeds limit %s (%s) for account %s",
             kn, g->h.key + 1, oms__fmt(total, a), oms__fmt(ag->pos, b), oms__fmt(open, c),
             oms__fmt(in->order_notional, d), oms__fmt(limit, e),
             conc_why(in, ga, g->max_exposure, gp, g->max_pct, why, sizeof why), o->account_id);
  }
  return OMS_R_NONE;
}

/* ---- 16. VaR and stress (with a risk model) ---------------------------------- */

/* A model number as text, rounded up as it crosses into a decimal. */
static const char *fmt_risk(double v, char *buf) {
  oms_dec_t d;
  if (oms_riskmodel_dec_out(v, &d) != 0) d = oms_dec_from_raw(OMS_DEC_MAX_RAW);
  return oms__fmt(d, buf);
}

static inline __attribute__((always_inline)) oms_reason_t check_VAR_STRESS(
    void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res, const bool dry,
    const oms__rlim_t *rl __attribute__((unused))) {
  if (in->child) return OMS_R_NONE;
  oms_risk_t *r = ctx;
  const oms_risk_limit_t *v = &in->limits->v;
  const oms_order_t *o = in->order;
  bool hv = SET(in, OMS_RL_MAX_VAR), hf = SET(in, OMS_RL_MAX_VAR_FIRM),
       hs = SET(in, OMS_RL_MAX_STRESS_LOSS);
  /* Optional like concentration; a reducing order only lowers both. */
  if ((!hv && !hf && !hs) || in->reduces) return OMS_R_NONE;
  int32_t i = oms__model_idx(r, r->cur_as), b = oms__model_book(r, r->cur_acct);
  if (i < 0 || b < 0)
    REJECT(OMS_R_RISK_VAR, "var_stress: no risk model for %s (account %s)", o->symbol,
           o->account_id);
  if (!in->notional_known)
    REJECT(OMS_R_RISK_NO_REFERENCE_PRICE, "var_stress: no price to value %s order for %s",
           oms_ord_type_str(o->type), o->symbol);
  /* The order as if filled; a modify only adds what it changes (the
   * current order is in the model already). */
  double d = oms_riskmodel_dec_in(in->order_notional) - oms_riskmodel_dec_in(r->cur_mod_notional);
  if (o->side == OMS_SIDE_SELL) d = -d;
  dbuf_t a, c, e;
  double before, after;
  for (int firm = 0; firm < 2; firm++) {
    if (!(firm ? hf : hv)) continue;
    oms_riskmodel_ivar(r->model, firm ? OMS_RISKMODEL_TOTAL : (uint32_t)b, (uint32_t)i, d, &before,
                       &after);
    oms_dec_t lim = firm ? v->max_var_firm : v->max_var;
    /* An order that lowers VaR passes even above the limit. */
    if (after > before && after > oms_riskmodel_dec_in(lim))
      REJECT(OMS_R_RISK_VAR, "var_stress: VaR of %s%s would be %s (from %s) above limit %s",
             firm ? "the firm" : "account ", firm ? "" : o->account_id, fmt_risk(after, a),
             fmt_risk(before, c), oms__fmt(lim, e));
  }
  if (hs) {
    /* which scenario is the worst only for a refusal's text */
    double loss = oms_riskmodel_stress_after(r->model, (uint32_t)b, (uint32_t)i, d, NULL);
    if (loss > oms_riskmodel_dec_in(v->max_stress_loss) &&
        loss > oms_riskmodel_stress_after(r->model, (uint32_t)b, (uint32_t)i, 0, NULL)) {
      int worst;
      (void)oms_riskmodel_stress_after(r->model, (uint32_t)b, (uint32_t)i, d, &worst);
      REJECT(OMS_R_RISK_STRESS,
             "var_stress: loss of account %s under scenario %s would be %s above "
             "limit %s",
             o->account_id, oms_riskmodel_scenario_name(r->model, (uint32_t)worst),
             fmt_risk(loss, a), oms__fmt(v->max_stress_loss, c));
    }
  }
  return OMS_R_NONE;
}

/* ---- the built-ins run in one call -------------------------------------------- */

_Static_assert(OMS__B_NONE <= 32, "a built-in's bit in a 32-bit mask");

/* The limits each built-in needs (its HAS() tests), by OMS__B_*. */
static const uint32_t need[OMS__B_NONE] = {
    [OMS__B_ORDER_RATE] = OMS_RL_ORDER_RATE_STRATEGY | OMS_RL_ORDER_RATE_ACCOUNT,
    [OMS__B_DUPLICATE] = OMS_RL_DUPLICATE_WINDOW,
    [OMS__B_MAX_ORDER_SIZE] = OMS_RL_MAX_ORDER_QTY | OMS_RL_MAX_ORDER_NOTIONAL,
    [OMS__B_PRICE_COLLAR] = OMS_RL_MAX_REF_AGE,
    [OMS__B_MAX_POSITION] = OMS_RL_MAX_POSITION,
    [OMS__B_MAX_OPEN_ORDERS] = OMS_RL_MAX_OPEN_ORDERS_STRATEGY | OMS_RL_MAX_OPEN_ORDERS_ACCOUNT,
    [OMS__B_CREDIT_LIMIT] = OMS_RL_CREDIT_LIMIT,
    [OMS__B_DAILY_LOSS] = OMS_RL_DAILY_LOSS,
    [OMS__B_LEVERAGE] = OMS_RL_MAX_LEVERAGE,
    [OMS__B_MARGIN] = OMS_RL_MAX_MARGIN_USAGE,
};

uint32_t oms__builtins_need(uint32_t bmask) {
  uint32_t n = 0;
  for (int b = 0; b < OMS__B_NONE; b++)
    if (bmask & (1u << b)) n |= need[b];
  return n;
}

/* The dry copies of the checks an order's limits mostly leave out (a list,
 * groups, a risk model: see skip_mask in risk.c) are called, not inlined,
 * to keep oms__builtins_pass's code to what every order runs. */
#define RARE(id)                                                                        \
  static __attribute__((noinline))                                                      \
  oms_reason_t dry_##id(void *ctx, const oms_risk_input_t *in, const oms__rlim_t *rl) { \
    return check_##id(ctx, in, NULL, true, rl);                                         \
  }
RARE(SYMBOL_LIST)
RARE(CONCENTRATION)
RARE(VAR_STRESS)
#undef RARE
#define HOT(id)                                                                         \
  static inline __attribute__((always_inline))                                          \
  oms_reason_t dry_##id(void *ctx, const oms_risk_input_t *in, const oms__rlim_t *rl) { \
    return check_##id(ctx, in, NULL, true, rl);                                         \
  }
HOT(KILL_SWITCH)
HOT(TRADING_HOURS)
HOT(ORDER_RATE)
HOT(DUPLICATE)
HOT(MAX_ORDER_SIZE)
HOT(PRICE_COLLAR)
HOT(MAX_POSITION)
HOT(MAX_OPEN_ORDERS)
HOT(CREDIT_LIMIT)
HOT(DAILY_LOSS)
HOT(LEVERAGE)
HOT(MARGIN)
HOT(SELF_TRADE)
#undef HOT

/* The built-ins of HOT(): every one but those an order's limits mostly
 * leave out (RARE above). */
#define HOT_MASK                                                                                \
  ((1u << OMS__B_KILL_SWITCH) | (1u << OMS__B_TRADING_HOURS) | (1u << OMS__B_ORDER_RATE) |      \
   (1u << OMS__B_DUPLICATE) | (1u << OMS__B_MAX_ORDER_SIZE) | (1u << OMS__B_PRICE_COLLAR) |     \
   (1u << OMS__B_MAX_POSITION) | (1u << OMS__B_MAX_OPEN_ORDERS) | (1u << OMS__B_CREDIT_LIMIT) | \
   (1u << OMS__B_DAILY_LOSS) | (1u << OMS__B_LEVERAGE) | (1u << OMS__B_MARGIN) |                \
   (1u << OMS__B_SELF_TRADE))

bool oms__builtins_pass(void *ctx, const oms__rlim_t *rl, const oms_risk_input_t *in) {
  uint32_t m = rl->bmask;
  if ((in->limits->v.set & rl->need) != rl->need) return false; /* one refuses: no limit */
  /* The default chain under limits that leave the rare ones out: each
   * check without a test of the mask. */
  if (m == HOT_MASK) {
#define XX(id, name) \
  if ((HOT_MASK & (1u << OMS__B_##id)) && dry_##id(ctx, in, rl) != OMS_R_NONE) return false;
    OMS_RISK_BUILTIN_MAP(XX)
#undef XX
    return true;
  }
#define XX(id, name) \
  if ((m & (1u << OMS__B_##id)) && dry_##id(ctx, in, rl) != OMS_R_NONE) return false;
  OMS_RISK_BUILTIN_MAP(XX)
#undef XX
  return true;
}

oms_reason_t oms__run_builtins(void *ctx, const uint8_t *ids, size_t n, const oms_risk_input_t *in,
                               oms_risk_result_t *res, size_t *at) {
  for (size_t k = 0; k < n; k++) {
    oms_reason_t code;
    switch (ids[k]) {
#define XX(id, name) \
  case OMS__B_##id: code = check_##id(ctx, in, res, false, NULL); break;
      OMS_RISK_BUILTIN_MAP(XX)
#undef XX
      default: code = OMS_R_NONE; break; /* not a built-in: never listed */
    }
    if (__builtin_expect(code != OMS_R_NONE, 0)) {
      *at = k;
      return code;
    }
  }
  return OMS_R_NONE;
}

/* Each built-in alone, as the chain's table names it. */
#define XX(id, name)                                                                            \
  oms_reason_t oms__check_##id(void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res) { \
    static const uint8_t one = OMS__B_##id;                                                     \
    size_t at;                                                                                  \
    return oms__run_builtins(ctx, &one, 1, in, res, &at);                                       \
  }
OMS_RISK_BUILTIN_MAP(XX)
#undef XX
