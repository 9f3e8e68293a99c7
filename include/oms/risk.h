/*
 * risk.h - the pre-trade risk engine: a configured chain of checks that every
 * new order and every modify passes before it can reach a venue, the limits
 * the checks read, the open-order aggregates they need, and the trading
 * states (kill switch) of the firm, each account and each strategy.
 *
 * How the OMS core uses it (single thread, the core's):
 *
 *   startup   oms_risk_create(); oms_risk_set_portfolio(); build an
 *             oms_risk_limits_t and oms_risk_set_limits(); restore persisted
 *             trading states with oms_risk_set_state(); set the callbacks.
 *   market    oms_risk_set_reference_price() on every trade or mid update.
 *   submit    oms_risk_check_new(order in PENDING, fully populated). Passed:
 *             accept the order, then oms_risk_order_opened(order); or both
 *             in one oms_risk_check_open(order).
 *   modify    oms_risk_check_modify(current, as it would become).
 *   cancel    oms_risk_check_cancel() (only the cancel-rate budget; risk never
 *             blocks a cancel otherwise; cancels the OMS itself issues, such
 *             as on a halt, skip it).
 *   change    oms_risk_order_changed(before, after) after every change of an
 *             open order (fill, replace request/confirm/reject, cancel,
 *             expiry, reject). Fills go to the portfolio as well.
 *   marks     after fills and marks, oms_risk_evaluate_account() lets a
 *             daily-loss breach switch the account's state at once rather
 *             than at its next order.
 *
 * Results. A check returns a business outcome, not an error: an
 * oms_risk_result_t with a stable oms_reason_t (OMS_R_RISK_*), the name of
 * the check and a sentence with the numbers, e.g.
 * "max_order_size: quantity 150 exceeds limit 100 for BTC-USD (strategy s1)".
 *
 * Nothing on the check or aggregate path allocates; all tables are sized by
 * oms_risk_config_t at create. Every check is O(1) except trading hours
 * (binary search in a time zone's transitions) and the self-trade price
 * structure (updated in O(price levels) on order changes, read in O(1)).
 */
#ifndef OMS_RISK_H
#define OMS_RISK_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/portfolio.h"
#include "oms/reason.h"

OMS_BEGIN_DECLS

typedef struct oms_risk_s oms_risk_t;
typedef struct oms_risk_limits_s oms_risk_limits_t;

/* ---- Trading states (kill switch) ----------------------------------------- */

/* Ordered by restriction: the most restrictive state along an order's scopes
 * (global, its account, its strategy) wins. */
typedef enum oms_trading_state_e {
  OMS_TRADING_ACTIVE = 0,
  OMS_TRADING_REDUCE_ONLY = 1, /* only orders that reduce the position */
  OMS_TRADING_HALTED = 2       /* only cancels */
} oms_trading_state_t;

typedef enum oms_risk_scope_e {
  OMS_RISK_SCOPE_GLOBAL = 0,
  OMS_RISK_SCOPE_ACCOUNT = 1,
  OMS_RISK_SCOPE_STRATEGY = 2,
  OMS_RISK_SCOPE_SYMBOL = 3 /* limits only */
} oms_risk_scope_t;

OMS_EXTERN const char *oms_trading_state_str(oms_trading_state_t s);
OMS_EXTERN const char *oms_risk_scope_str(oms_risk_scope_t s);

/* ---- Limits --------------------------------------------------------------- */

/* The limit fields, one row each and in bit order: the single source of the
 * OMS_RL_* bits and of the daemon's configuration keys (src/config).
 *   X(NAME, field of oms_risk_limit_t, kind, configuration key)
 * kind DEC: an oms_dec_t > 0; U32: a uint32_t > 0; NS: an int64_t duration
 * in ns, configured in ms. Append new rows at the end (the bits are stored
 * nowhere, but keep them stable). collar_ticks comes with tick_size, and
 * daily_loss with daily_loss_action, which have no bit of their own. */
#define OMS_RISK_LIMIT_FIELDS(X)                                                         \
  X(MAX_ORDER_QTY, max_order_qty, DEC, "max_order_qty")                                  \
  X(MAX_ORDER_NOTIONAL, max_order_notional, DEC, "max_order_notional")                   \
  X(MAX_POSITION, max_position, DEC, "max_position")                                     \
  X(MAX_OPEN_ORDERS_ACCOUNT, max_open_orders_account, U32, "max_open_orders_account")    \
  X(MAX_OPEN_ORDERS_STRATEGY, max_open_orders_strategy, U32, "max_open_orders_strategy") \
  X(DAILY_LOSS, daily_loss, DEC, "daily_loss")                                           \
  X(MAX_LEVERAGE, max_leverage, DEC, "max_leverage")                                     \
  X(MAX_MARGIN_USAGE, max_margin_usage, DEC, "max_margin_usage")                         \
  X(COLLAR_PCT, collar_pct, DEC, "collar_pct")                                           \
  X(COLLAR_TICKS, collar_ticks, U32, "collar_ticks")                                     \
  X(MAX_REF_AGE, max_ref_age_ns, NS, "max_ref_age_ms")                                   \
  X(CREDIT_LIMIT, credit_limit, DEC, "credit_limit")                                     \
  X(ORDER_RATE_ACCOUNT, order_rate_account, U32, "order_rate_account")                   \
  X(ORDER_RATE_STRATEGY, order_rate_strategy, U32, "order_rate_strategy")                \
  X(CANCEL_RATE_ACCOUNT, cancel_rate_account, U32, "cancel_rate_account")                \
  X(CANCEL_RATE_STRATEGY, cancel_rate_strategy, U32, "cancel_rate_strategy")             \
  X(RATE_WINDOW, rate_window_ns, NS, "rate_window_ms")                                   \
  X(DUPLICATE_WINDOW, duplicate_window_ns, NS, "duplicate_window_ms")                    \
  X(MAX_CONCENTRATION, max_concentration, DEC, "max_concentration")                      \
  X(MAX_CONCENTRATION_PCT, max_concentration_pct, DEC, "max_concentration_pct")          \
  X(MAX_VAR, max_var, DEC, "max_var")                                                    \
  X(MAX_VAR_FIRM, max_var_firm, DEC, "max_var_firm")                                     \
  X(MAX_STRESS_LOSS, max_stress_loss, DEC, "max_stress_loss")

/* Which fields of an oms_risk_limit_t are set (a field not set is inherited
 * from a less specific scope): OMS_RL_MAX_ORDER_QTY = 1u << 0, ... */
enum {
#define OMS_RL_INDEX_(name, field, kind, key) OMS_RL_INDEX_##name,
  OMS_RISK_LIMIT_FIELDS(OMS_RL_INDEX_)
#undef OMS_RL_INDEX_
      OMS_RL_NFIELDS
};
enum {
#define OMS_RL_BIT_(name, field, kind, key) OMS_RL_##name = 1u << OMS_RL_INDEX_##name,
  OMS_RISK_LIMIT_FIELDS(OMS_RL_BIT_)
#undef OMS_RL_BIT_
};

/* The rows of OMS_RISK_LIMIT_FIELDS as data, in bit order, for whoever
 * reads or writes limits by key (the configuration, the admin API's
 * limits.log): the key, the OMS_RL_* bit, the kind and where the field
 * sits in an oms_risk_limit_t. */
typedef enum oms_risk_limit_kind_e {
  OMS_RL_KIND_DEC = 0, /* oms_dec_t */
  OMS_RL_KIND_U32 = 1, /* uint32_t */
  OMS_RL_KIND_NS = 2   /* int64_t ns, configured in ms */
} oms_risk_limit_kind_t;
typedef struct oms_risk_limit_field_s {
  const char *key;
  uint32_t bit;
  oms_risk_limit_kind_t kind;
  size_t offset;
} oms_risk_limit_field_t;
OMS_EXTERN extern const oms_risk_limit_field_t oms_risk_limit_fields[OMS_RL_NFIELDS];

/* One scope's limits. Every amount is in the account currency; every
 * quantity in the instrument's units. */
typedef struct oms_risk_limit_s {
  uint32_t set;                          /* OMS_RL_* bits of the fields given */
  oms_dec_t max_order_qty;               /* > 0 */
  oms_dec_t max_order_notional;          /* > 0 */
  oms_dec_t max_position;                /* > 0, absolute net quantity, worst case */
  uint32_t max_open_orders_account;      /* > 0 */
  uint32_t max_open_orders_strategy;     /* > 0 */
  oms_dec_t daily_loss;                  /* > 0: the largest loss allowed in a day */
  oms_trading_state_t daily_loss_action; /* REDUCE_ONLY or HALTED, with daily_loss */
  oms_dec_t max_leverage;                /* > 0: gross exposure / equity */
  oms_dec_t max_margin_usage;            /* > 0: required margin / equity, e.g. 1 */
  oms_dec_t collar_pct;                  /* > 0: fraction of the reference price, e.g. 0.05 */
  uint32_t collar_ticks;                 /* > 0, with tick_size: width in ticks */
  oms_dec_t tick_size;                   /* > 0 when collar_ticks is set */
  int64_t max_ref_age_ns;                /* > 0: older reference prices are stale */
  oms_dec_t credit_limit;                /* > 0: gross open notional of the account */
  uint32_t order_rate_account;           /* > 0: new orders + modifies per window */
  uint32_t order_rate_strategy;          /* > 0 */
  uint32_t cancel_rate_account;          /* > 0: cancels per window */
  uint32_t cancel_rate_strategy;         /* > 0 */
  int64_t rate_window_ns;                /* > 0: the throttle's sliding window */
  int64_t duplicate_window_ns;           /* > 0 */
  /* Concentration in one instrument (optional: unset, the check passes):
   * worst-case exposure |qty| x price x multiplier, at most this amount ... */
  oms_dec_t max_concentration; /* > 0 */
  /* ... and at most this fraction of the account's equity, e.g. 0.25. */
  oms_dec_t max_concentration_pct; /* > 0 */
  /* With a risk model attached (oms_risk_set_model; optional: unset, the
   * check passes): the account's parametric VaR after the order, the
   * firm's (global scope only), and the account's worst stress loss. */
  oms_dec_t max_var;         /* > 0 */
  oms_dec_t max_var_firm;    /* > 0 */
  oms_dec_t max_stress_loss; /* > 0 */
} oms_risk_limit_t;

/* A trading-hours window in local time of the schedule's zone. A window
 * whose end is not after its start runs over midnight into the next day
 * (and belongs to the day it starts). */
typedef struct oms_risk_window_s {
  uint8_t days;       /* bit d = weekday d, 0 Sunday .. 6 Saturday */
  uint16_t start_min; /* minutes after local midnight, 0..1439 */
  uint16_t end_min;   /* 1..1440; exclusive */
} oms_risk_window_t;

#define OMS_RISK_MAX_WINDOWS 16

/* Creates an empty limit set (everything refused: fail closed). Returns 0,
 * OMS_ENOMEM. The caller owns *out until it hands it to oms_risk_set_limits. */
OMS_EXTERN int oms_risk_limits_create(oms_risk_limits_t **out);
OMS_EXTERN void oms_risk_limits_destroy(oms_risk_limits_t *l);

/* Sets the fields of v marked in v->set for a scope: GLOBAL (id ignored),
 * ACCOUNT, STRATEGY or SYMBOL id; fields given again replace earlier ones.
 * Returns 0, or OMS_EINVAL / OMS_ENOMEM with err->text saying why (a
 * negative or zero limit, a bad id, a rate above the throttle ring). */
OMS_EXTERN int oms_risk_limits_set(oms_risk_limits_t *l, oms_risk_scope_t scope, const char *id,
                                   const oms_risk_limit_t *v, oms_reject_t *err);

/* Puts symbol on the whitelist (allowed = true) or the restricted list
 * (allowed = false; the restricted list overrides the whitelist). */
OMS_EXTERN int oms_risk_limits_symbol_list(oms_risk_limits_t *l, const char *symbol, bool allowed,
                                           oms_reject_t *err);

/* Sets the trading hours of a symbol (by_venue false) or of a venue, as n
 * windows in time zone tz: "UTC", a fixed offset "+05:30" / "UTC-04:00", or an
 * IANA name ("America/New_York") read from the zoneinfo directory now, not
 * on the check path. A symbol's schedule wins over its venue's. Refuses
 * overlapping or malformed windows and unknown zones (OMS_EINVAL / OMS_ECONFIG
 * with err->text). Orders for a symbol with neither schedule are refused. */
OMS_EXTERN int oms_risk_limits_hours(oms_risk_limits_t *l, const char *key, bool by_venue,
                                     const char *tz, const oms_risk_window_t *w, size_t n,
                                     oms_reject_t *err);

/* The close of the trading day open at at_ns for symbol at venue (the
 * schedule oms_risk_limits_hours set: the symbol's, else the venue's): the
 * latest end of the windows of the local day on which the window open at
 * at_ns started; an overnight window counts for the day it opens, a break
 * between two windows of a day does not end the day. What a DAY parent
 * order lives until. Returns 1 with *close_ns (UTC ns), 0 when no window is
 * open at at_ns, OMS_ENOTFOUND when neither has a schedule. */
OMS_EXTERN int oms_risk_limits_session_close(const oms_risk_limits_t *l, const char *venue,
                                             const char *symbol, int64_t at_ns, int64_t *close_ns);

/* The zoneinfo directory for IANA names; default "/usr/share/zoneinfo". */
OMS_EXTERN int oms_risk_limits_zoneinfo_dir(oms_risk_limits_t *l, const char *dir);

/* ---- Groups (concentration and correlation) ------------------------------ */

/* The kinds of instrument group, one row each: the single source of the
 * OMS_RISK_GROUP_* values and of their configuration names. An instrument
 * belongs to at most one group of each kind. CORRELATION groups are the
 * instruments whose pairwise correlation is above a threshold (see
 * include/oms/riskmodel.h, oms_riskmodel_corr_groups), refused with
 * OMS_R_RISK_CORRELATION; the others with OMS_R_RISK_CONCENTRATION. */
#define OMS_RISK_GROUP_KINDS(X) \
  X(SECTOR, "sector")           \
  X(ASSET_CLASS, "asset_class") \
  X(CURRENCY, "currency")       \
  X(UNDERLYING, "underlying")   \
  X(CORRELATION, "correlation")

typedef enum oms_risk_group_kind_e {
#define OMS_RG_ENUM_(name, str) OMS_RISK_GROUP_##name,
  OMS_RISK_GROUP_KINDS(OMS_RG_ENUM_)
#undef OMS_RG_ENUM_
      OMS_RISK_GROUP_NKINDS
} oms_risk_group_kind_t;

/* "sector", ...; "UNKNOWN" out of range. */
OMS_EXTERN const char *oms_risk_group_kind_str(oms_risk_group_kind_t k);
/* The kind called name; -1 if none. */
OMS_EXTERN int oms_risk_group_kind_parse(const char *name);

/* Defines (or extends) group name of kind with n member symbols and its
 * limits on an account's worst-case gross exposure to the group: at most
 * max_exposure (account currency; zero: none) and at most max_pct x equity
 * (zero: none). Given again, the limits are replaced and the members added.
 * Refuses a symbol already in another group of the same kind, bad names and
 * negative limits (OMS_EINVAL, err->text says why); OMS_ENOMEM. */
OMS_EXTERN int oms_risk_limits_group(oms_risk_limits_t *l, oms_risk_group_kind_t kind,
                                     const char *name, const char *const *symbols, size_t n,
                                     oms_dec_t max_exposure, oms_dec_t max_pct, oms_reject_t *err);

/* Takes every instrument out of the groups of kind (the groups stay, with no
 * members: they limit nothing); the number of instruments taken out. For
 * groups made anew, e.g. CORRELATION groups from a risk model at each
 * sample, on a copy (oms_risk_limits_clone) then oms_risk_set_limits. */
OMS_EXTERN uint32_t oms_risk_limits_clear_groups(oms_risk_limits_t *l, oms_risk_group_kind_t kind);

/* The group of kind that symbol belongs to (its name into name),
 * and its limits. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_risk_limits_group_of(const oms_risk_limits_t *l, oms_risk_group_kind_t kind,
                                        const char *symbol, char name[OMS_ID_MAX + 1],
                                        oms_dec_t *max_exposure, oms_dec_t *max_pct);

/* ---- Check input, result, and the check interface ------------------------ */

/* The open-order aggregates of the order's scopes, before this order. */
typedef struct oms_risk_aggr_s {
  uint32_t account_open_orders;
  uint32_t strategy_open_orders;
  oms_dec_t account_open_notional; /* gross: buys and sells add */
  oms_dec_t account_open_margin;   /* initial margin reserved by open orders */
  oms_dec_t open_buy_qty;          /* account + symbol */
  oms_dec_t open_sell_qty;         /* account + symbol */
  oms_dec_t best_buy_px;           /* highest resting buy; 0 if none */
  oms_dec_t best_sell_px;          /* lowest resting sell; 0 if none */
  bool has_resting_buy, has_resting_sell;
} oms_risk_aggr_t;

/* The resolved limits for one order (most specific scope wins per field). */
typedef struct oms_risk_eff_limits_s {
  oms_risk_limit_t v; /* v.set says which fields resolved */
  bool symbol_allowed;
  bool symbol_restricted;
} oms_risk_eff_limits_t;

/* ---- Reading a limit set (operators' views, runtime changes) --------------- */

/* A copy of l that owns its own memory (the caller owns *out): how a runtime
 * change is made, on a copy of the limits in force that is then installed
 * whole with oms_risk_set_limits. Returns 0 or OMS_ENOMEM (*out NULL). */
OMS_EXTERN int oms_risk_limits_clone(const oms_risk_limits_t *l, oms_risk_limits_t **out);

/* The fields set at one scope (GLOBAL: id ignored), not resolved. Returns 0,
 * or OMS_ENOTFOUND with *out zeroed when the scope has no entry (GLOBAL
 * always has one, maybe empty). */
OMS_EXTERN int oms_risk_limits_get(const oms_risk_limits_t *l, oms_risk_scope_t scope,
                                   const char *id, oms_risk_limit_t *out);

/* Called for each scope of a limit set; v is valid during the call (id is ""
 * for GLOBAL). Return 0 to go on, non-zero to stop. */
typedef int (*oms_risk_limits_fn)(void *ctx, oms_risk_scope_t scope, const char *id,
                                  const oms_risk_limit_t *v);

/* Calls fn for GLOBAL, then every account, strategy and symbol entry that
 * sets a field, in the order they were first set. Returns 0 or fn's value. */
OMS_EXTERN int oms_risk_limits_each(const oms_risk_limits_t *l, oms_risk_limits_fn fn, void *ctx);

/* The limits that apply to an order of account, strategy and symbol (any
 * may be NULL): for each field the most specific scope setting it. */
OMS_EXTERN void oms_risk_limits_resolve(const oms_risk_limits_t *l, const char *account,
                                        const char *strategy, const char *symbol,
                                        oms_risk_eff_limits_t *out);

typedef enum oms_risk_action_e { OMS_RISK_NEW = 0, OMS_RISK_MODIFY = 1 } oms_risk_action_t;

/* Everything a check reads. Prepared once per chain run. */
typedef struct oms_risk_input_s {
  oms_risk_action_t action;
  const oms_order_t *order;   /* the order, or for a modify as it would become */
  const oms_order_t *current; /* for a modify: the order as it is; else NULL */
  int64_t now_ns;
  const oms_risk_eff_limits_t *limits;
  oms_trading_state_t state; /* the most restrictive along global/account/strategy */
  oms_trading_state_t state_global, state_account, state_strategy;
  oms_risk_aggr_t aggr;
  /* This order's reservation is not in aggr (for a modify the current
   * order's reservation has been taken out). */
  oms_pf_account_t account; /* portfolio snapshot; zero if unknown */
  bool account_known;
  oms_pf_position_t position; /* zero qty if none */
  bool symbol_known;
  oms_dec_t ref_px; /* reference price; 0 if none */
  int64_t ref_ns;
  oms_dec_t order_px; /* the price that values the order (limit, stop or reference); 0 if none */
  oms_dec_t order_notional; /* qty * order_px * multiplier (for a modify: of the new order) */
  bool notional_known;
  bool reduces; /* the order can only reduce the position, with open orders */
  /* A child of a parent order (order->parent_order_id != 0): the parent was
   * checked and reserved for its whole size, so the checks of exposure
   * (position, open orders, credit, daily loss, leverage, margin) and the
   * duplicate guard (slices look alike) pass it; the per-order rules (kill
   * switch, lists, hours, rate, size, collar, self-trade) still apply. */
  bool child;
} oms_risk_input_t;

/* The name of the check, and the code and sentence if it failed. */
typedef struct oms_risk_result_s {
  bool passed;
  const char *check;   /* static name of the deciding check; "" if none ran */
  oms_reject_t reject; /* code OMS_R_NONE when passed */
} oms_risk_result_t;

/* One pre-trade check of the chain. check() returns OMS_R_NONE to pass, or
 * the oms_reason_t of the failure with res->reject set (res->check is filled
 * by the chain). commit(), optional, runs for every check of the chain after
 * the whole chain passed (throttles and the duplicate guard record the order
 * then). name is static text, at most 31 bytes. */
typedef struct oms_risk_check_s {
  const char *name;
  oms_reason_t (*check)(void *ctx, const oms_risk_input_t *in, oms_risk_result_t *res);
  void (*commit)(void *ctx, const oms_risk_input_t *in);
  void *ctx; /* NULL for built-in checks: they receive the engine */
} oms_risk_check_t;

/* The names of the built-in checks, in the default chain order. */
#define OMS_RISK_BUILTIN_MAP(XX)         \
  XX(KILL_SWITCH, "kill_switch")         \
  XX(SYMBOL_LIST, "symbol_list")         \
  XX(TRADING_HOURS, "trading_hours")     \
  XX(ORDER_RATE, "order_rate")           \
  XX(DUPLICATE, "duplicate_order")       \
  XX(MAX_ORDER_SIZE, "max_order_size")   \
  XX(PRICE_COLLAR, "price_collar")       \
  XX(MAX_POSITION, "max_position")       \
  XX(MAX_OPEN_ORDERS, "max_open_orders") \
  XX(CREDIT_LIMIT, "credit_limit")       \
  XX(DAILY_LOSS, "daily_loss")           \
  XX(LEVERAGE, "leverage")               \
  XX(MARGIN, "margin")                   \
  XX(SELF_TRADE, "self_trade")           \
  XX(CONCENTRATION, "concentration")     \
  XX(VAR_STRESS, "var_stress")

/* The built-in check called name, or NULL. */
OMS_EXTERN const oms_risk_check_t *oms_risk_builtin(const char *name);

/* ---- The engine ---------------------------------------------------------- */

typedef struct oms_risk_config_s {
  uint32_t max_accounts;    /* > 0 */
  uint32_t max_strategies;  /* > 0 */
  uint32_t max_symbols;     /* > 0: reference prices */
  uint32_t max_positions;   /* > 0: account+symbol pairs */
  uint32_t max_open_orders; /* > 0: open orders over all accounts */
  uint32_t rate_ring;       /* throttle ring per scope, >= the largest rate; 0 = 256 */
  uint32_t duplicate_slots; /* recent orders remembered; 0 = 4096 */
} oms_risk_config_t;

/* A structured line for every check run: the daemon routes it to its log or
 * the audit trail. text is "" when the check passed. */
typedef struct oms_risk_log_s {
  uint64_t order_id;
  const char *check;
  bool passed;
  oms_reason_t code;
  const char *text;
  int64_t now_ns;
} oms_risk_log_t;

typedef void (*oms_risk_log_fn)(void *ctx, const oms_risk_log_t *rec);

/* A trading state changed (by oms_risk_set_state or a daily-loss breach):
 * the core cancels open orders in scope on HALTED, persists and audits it. */
typedef void (*oms_risk_state_fn)(void *ctx, oms_risk_scope_t scope, const char *id,
                                  oms_trading_state_t from, oms_trading_state_t to,
                                  const char *reason, int64_t now_ns);

/* Creates an engine with all the memory it will use and the default chain
 * (every built-in check, in OMS_RISK_BUILTIN_MAP order), no limits (so every
 * order is refused: fail closed) and no portfolio. Returns 0 and *out, or
 * OMS_EINVAL / OMS_ENOMEM with *out NULL. */
OMS_EXTERN int oms_risk_create(const oms_risk_config_t *cfg, oms_risk_t **out);

/* Releases r and the limits it owns; NULL is fine. */
OMS_EXTERN void oms_risk_destroy(oms_risk_t *r);

/* The portfolio the checks read; copied. */
OMS_EXTERN void oms_risk_set_portfolio(oms_risk_t *r, const oms_portfolio_if_t *pf);

OMS_EXTERN void oms_risk_set_log(oms_risk_t *r, oms_risk_log_fn fn, void *ctx);
OMS_EXTERN void oms_risk_set_state_cb(oms_risk_t *r, oms_risk_state_fn fn, void *ctx);

/* Replaces the chain with n checks (copied), run in that order. Returns 0 or
 * OMS_EINVAL (n is 0 or above 32, a check without a name or function). */
OMS_EXTERN int oms_risk_set_chain(oms_risk_t *r, const oms_risk_check_t *checks, size_t n);

/* Installs l after validating it (every symbol-scoped entry, list entry and
 * hours key must be known to the portfolio, when one is set). On success r
 * owns l and the previous limits are released, all at once; on failure
 * (OMS_ECONFIG, err->text says why) the old limits stay in force and the
 * caller still owns l. */
OMS_EXTERN int oms_risk_set_limits(oms_risk_t *r, oms_risk_limits_t *l, oms_reject_t *err);

/* Reference price (last trade or mid) of symbol at ts_ns. Returns 0,
 * OMS_EINVAL (px <= 0) or OMS_EFULL. */
OMS_EXTERN int oms_risk_set_reference_price(oms_risk_t *r, const char *symbol, oms_dec_t px,
                                            int64_t ts_ns);
/* The same at recovery, from what was kept (the last fill's price and time,
 * as the portfolio's mark): set unless symbol has a price of ts_ns or later
 * already. The price keeps its own time, so the price collar's max_ref_age
 * judges it as any other: a restart within it trades at once, a later one
 * is refused as stale until market data comes. Returns 0 (set or kept) or
 * as above. */
OMS_EXTERN int oms_risk_restore_reference_price(oms_risk_t *r, const char *symbol, oms_dec_t px,
                                                int64_t ts_ns);

/* Sets a trading state (id ignored for GLOBAL) and calls the state callback
 * if it changed. Returns 0, OMS_EINVAL or OMS_EFULL. */
OMS_EXTERN int oms_risk_set_state(oms_risk_t *r, oms_risk_scope_t scope, const char *id,
                                  oms_trading_state_t state, const char *reason, int64_t now_ns);

/* The state set for one scope (not the resolved one); ACTIVE if unknown. */
OMS_EXTERN oms_trading_state_t oms_risk_get_state(const oms_risk_t *r, oms_risk_scope_t scope,
                                                  const char *id);

/* The limit set in force (owned by r), or NULL before oms_risk_set_limits. */
OMS_EXTERN const oms_risk_limits_t *oms_risk_current_limits(const oms_risk_t *r);

/* Called for each trading state by oms_risk_each_state (id "" for GLOBAL). */
typedef int (*oms_risk_state_each_fn)(void *ctx, oms_risk_scope_t scope, const char *id,
                                      oms_trading_state_t state);

/* Calls fn for the global state, then for every account and every strategy
 * the engine knows (it has seen an order or a state for it), in the order
 * they became known, with the state set for it. Returns 0 or fn's value. */
OMS_EXTERN int oms_risk_each_state(const oms_risk_t *r, oms_risk_state_each_fn fn, void *ctx);

/* Runs the chain for a new order (state PENDING, fully populated). Returns
 * true if it passed; *res says which check decided and why. */
OMS_EXTERN bool oms_risk_check_new(oms_risk_t *r, const oms_order_t *order, int64_t now_ns,
                                   oms_risk_result_t *res);

/* oms_risk_check_new() and, if the order passed, oms_risk_order_opened()
 * in one call: the open reuses what the check found (the order's records,
 * instrument and valuation) instead of finding it again. Returns 0 (passed
 * and opened), OMS_EREJECTED (refused, *res says why; nothing opened) or
 * OMS_EFULL (passed, *res as for a pass, but no room to open it: what
 * oms_risk_order_opened would have returned). */
OMS_EXTERN int oms_risk_check_open(oms_risk_t *r, const oms_order_t *order, int64_t now_ns,
                                   oms_risk_result_t *res);

/* Runs the chain for a modify: current is the open order, next the order as
 * it would become (new qty, price, stop price). */
OMS_EXTERN bool oms_risk_check_modify(oms_risk_t *r, const oms_order_t *current,
                                      const oms_order_t *next, int64_t now_ns,
                                      oms_risk_result_t *res);

/* A cancel request: only the cancel-rate budgets of the order's strategy and
 * account can refuse it (OMS_R_RISK_THROTTLE); passing records it. */
OMS_EXTERN bool oms_risk_check_cancel(oms_risk_t *r, const oms_order_t *order, int64_t now_ns,
                                      oms_risk_result_t *res);

/* The OMS accepted order: reserve its open quantity, notional and margin,
 * count it, and enter its price for self-trade prevention. Calling it again
 * for the same order_id is the same as oms_risk_order_changed(). Returns 0,
 * or OMS_EFULL (no room: the core should not accept the order). */
OMS_EXTERN int oms_risk_order_opened(oms_risk_t *r, const oms_order_t *order);

/* An open order changed; after is the order now (before may be NULL; it is
 * not trusted). The reservation is recomputed from after alone, so calling
 * this twice with the same after is harmless; a terminal after releases
 * everything. An unknown non-terminal order is opened. Returns 0 or
 * OMS_EFULL. */
OMS_EXTERN int oms_risk_order_changed(oms_risk_t *r, const oms_order_t *before,
                                      const oms_order_t *after);

/* Checks an account's daily PnL against its limit now and, on a breach,
 * switches it to the configured state (calling the state callback). Returns
 * true if the account is in breach. */
OMS_EXTERN bool oms_risk_evaluate_account(oms_risk_t *r, const char *account, int64_t now_ns);

/* Attaches a market risk model (include/oms/riskmodel.h; not owned, NULL
 * detaches) whose instrument k is symbols[k] (n of them). Account record a
 * (in the order accounts became known) is book a + 1; accounts beyond the
 * model's books have none, and orders of theirs are refused by a VaR or
 * stress limit. The engine keeps each book's exposures in the model: its
 * positions (from the portfolio, as for groups) and its open orders counted
 * as if filled (buys +, sells -, at their reserved notional). Every current
 * record's exposure is entered at once. Returns 0, OMS_EINVAL (n not the
 * model's), OMS_EFULL (no room for a symbol). */
struct oms_riskmodel_s;
OMS_EXTERN int oms_risk_set_model(oms_risk_t *r, struct oms_riskmodel_s *m,
                                  const char *const *symbols, uint32_t n);

/* The model book of account (NULL: the firm, OMS_RISKMODEL_TOTAL = 0), or
 * -1 when no model is attached or the account has no book. For reports. */
OMS_EXTERN int32_t oms_risk_model_book(const oms_risk_t *r, const char *account);

/* The position of account in symbol changed (a fill, a bust, a restore at
 * start): the engine re-reads its exposure from the portfolio into the
 * group aggregates, making the account+symbol record if new. Not on the
 * check path. Returns 0, OMS_EINVAL or OMS_EFULL. */
OMS_EXTERN int oms_risk_position_changed(oms_risk_t *r, const char *account, const char *symbol);

/* An account's worst-case gross exposure to group name of kind, as the
 * concentration check sees it before an order: |position exposure| summed
 * over the members, and the gross open-order notional. Returns 0 or
 * OMS_ENOTFOUND. */
OMS_EXTERN int oms_risk_group_exposure(const oms_risk_t *r, const char *account,
                                       oms_risk_group_kind_t kind, const char *name,
                                       oms_dec_t *positions, oms_dec_t *open_orders);

/* The aggregates of an account, strategy and account+symbol (any may be NULL). */
OMS_EXTERN void oms_risk_aggregates(const oms_risk_t *r, const char *account, const char *strategy,
                                    const char *symbol, oms_risk_aggr_t *out);

OMS_END_DECLS

#endif /* OMS_RISK_H */
