/*
 * reason.h - why an order was refused: the stable, machine-readable codes of
 * every business rejection (validation, risk, routing, venue, store), and the
 * record that carries a code together with a human-readable text.
 *
 * A reason code is stored in the order store, published in events and sent to
 * FIX clients in Text(58), so the table is append-only: a code never changes
 * its number or its name. Add new codes last.
 */
#ifndef OMS_REASON_H
#define OMS_REASON_H

#include "oms/common.h"

OMS_BEGIN_DECLS

/* XX(NAME, number, short description) */
#define OMS_REASON_MAP(XX)                                                        \
  XX(NONE, 0, "no reason")                                                        \
  /* order request validation */                                                  \
  XX(QTY_NOT_POSITIVE, 1, "quantity must be positive")                            \
  XX(PRICE_REQUIRED, 2, "price required for this order type")                     \
  XX(PRICE_FORBIDDEN, 3, "price not allowed for this order type")                 \
  XX(PRICE_NOT_POSITIVE, 4, "price must be positive")                             \
  XX(STOP_REQUIRED, 5, "stop price required for this order type")                 \
  XX(STOP_FORBIDDEN, 6, "stop price not allowed for this order type")             \
  XX(STOP_WRONG_SIDE, 7, "stop price on the wrong side of the limit price")       \
  XX(POST_ONLY_NOT_LIMIT, 8, "post-only is allowed on LIMIT orders only")         \
  XX(POST_ONLY_TIF, 9, "post-only cannot be IOC or FOK")                          \
  XX(EXPIRY_REQUIRED, 10, "GTD needs an expiry time")                             \
  XX(EXPIRY_PAST, 11, "expiry time is not in the future")                         \
  XX(EXPIRY_FORBIDDEN, 12, "expiry time is only allowed with GTD")                \
  XX(TICK_SIZE, 13, "price is not a multiple of the tick size")                   \
  XX(LOT_SIZE, 14, "quantity is not a multiple of the lot size")                  \
  XX(MIN_QTY, 15, "quantity below the instrument minimum")                        \
  XX(MAX_QTY, 16, "quantity above the instrument maximum")                        \
  XX(MIN_NOTIONAL, 17, "notional below the instrument minimum")                   \
  XX(BAD_ID, 18, "identifier empty, too long or with a bad character")            \
  XX(UNKNOWN_INSTRUMENT, 19, "unknown instrument")                                \
  XX(BAD_ENUM, 20, "unknown side, order type or time in force")                   \
  XX(METADATA_TOO_LONG, 21, "metadata exceeds its size cap")                      \
  XX(NOTIONAL_OVERFLOW, 22, "notional out of range")                              \
  XX(MARKET_TIF, 23, "time in force not allowed for a market order")              \
  XX(PRECISION, 24, "quantity or price has more than 8 decimal places")           \
  XX(VALUE_OUT_OF_RANGE, 25, "quantity or price out of range")                    \
  /* pre-trade risk */                                                            \
  XX(RISK_MAX_ORDER_QTY, 100, "order quantity above limit")                       \
  XX(RISK_MAX_ORDER_NOTIONAL, 101, "order notional above limit")                  \
  XX(RISK_MAX_POSITION, 102, "worst-case position above limit")                   \
  XX(RISK_MAX_OPEN_ORDERS, 103, "too many open orders")                           \
  XX(RISK_DAILY_LOSS, 104, "daily loss limit breached")                           \
  XX(RISK_LEVERAGE, 105, "leverage above limit")                                  \
  XX(RISK_MARGIN, 106, "insufficient margin")                                     \
  XX(RISK_SYMBOL_NOT_ALLOWED, 107, "symbol not on the whitelist")                 \
  XX(RISK_SYMBOL_RESTRICTED, 108, "symbol on the restricted list")                \
  XX(RISK_TRADING_HOURS, 109, "outside trading hours")                            \
  XX(RISK_PRICE_COLLAR, 110, "price outside the collar")                          \
  XX(RISK_NO_REFERENCE_PRICE, 111, "no reference price")                          \
  XX(RISK_STALE_REFERENCE_PRICE, 112, "reference price is stale")                 \
  XX(RISK_CREDIT_LIMIT, 113, "open notional above credit limit")                  \
  XX(RISK_THROTTLE, 114, "order rate above limit")                                \
  XX(RISK_DUPLICATE_ORDER, 115, "duplicate order within window")                  \
  XX(RISK_SELF_TRADE, 116, "order would trade with own resting order")            \
  XX(RISK_HALTED, 117, "trading halted")                                          \
  XX(RISK_REDUCE_ONLY, 118, "only position-reducing orders allowed")              \
  XX(RISK_NO_LIMITS, 119, "no risk limits configured")                            \
  XX(RISK_CONCENTRATION, 120, "exposure concentration above limit")               \
  XX(RISK_CORRELATION, 121, "correlated exposure above limit")                    \
  XX(RISK_VAR, 122, "value at risk above limit")                                  \
  XX(RISK_STRESS, 123, "stress scenario loss above limit")                        \
  /* OMS core and routing */                                                      \
  XX(DUPLICATE_CLORDID, 200, "client order id already in use")                    \
  XX(UNKNOWN_ORDER, 201, "unknown order")                                         \
  XX(ORDER_TERMINAL, 202, "order is already in a terminal state")                 \
  XX(ORDER_PENDING, 203, "order has a cancel or replace pending")                 \
  XX(VENUE_DOWN, 204, "venue not connected")                                      \
  XX(VENUE_QUEUE_FULL, 205, "venue rate limit queue full")                        \
  XX(UNKNOWN_VENUE, 206, "no connector for venue")                                \
  XX(STORE_FAILED, 207, "order store unavailable")                                \
  XX(CAPACITY, 208, "order capacity exhausted")                                   \
  XX(NOTHING_TO_CHANGE, 209, "modify changes nothing")                            \
  XX(MODIFY_BELOW_FILLED, 210, "new quantity below filled quantity")              \
  XX(ACCOUNT_NOT_OWNED, 211, "account owned by another omsd instance")            \
  XX(LEASE_LOST, 212, "this instance does not hold its ownership lease")          \
  /* venue (simulated or real) */                                                 \
  XX(VENUE_REJECT, 300, "rejected by venue")                                      \
  XX(POST_ONLY_WOULD_CROSS, 301, "post-only order would take liquidity")          \
  XX(FOK_CANNOT_FILL, 302, "fill-or-kill order cannot fill in full")              \
  XX(NO_LIQUIDITY, 303, "no liquidity for market order")                          \
  XX(VENUE_UNKNOWN_ORDER, 304, "venue does not know the order")                   \
  XX(TOO_LATE, 305, "order already done at venue")                                \
  /* gateway */                                                                   \
  XX(NOT_ENTITLED, 400, "not entitled to this account")                           \
  XX(UNSUPPORTED, 401, "unsupported request")                                     \
  /* parent orders: the refusals of include/oms/algo.h, same numbers */           \
  XX(ALGO_UNKNOWN_STRATEGY, 500, "unknown strategy")                              \
  XX(ALGO_BAD_VALUE, 501, "parameter value unreadable")                           \
  XX(ALGO_OUT_OF_BOUNDS, 502, "parameter outside its bounds")                     \
  XX(ALGO_MISSING, 503, "required parameter missing")                             \
  XX(ALGO_NOT_APPLICABLE, 504, "parameter does not apply to this strategy")       \
  XX(ALGO_END_BEFORE_START, 505, "end time not after start time")                 \
  XX(ALGO_SLICE_INTERVAL, 506, "slice interval must be positive")                 \
  XX(ALGO_DISPLAY_ABOVE_QTY, 507, "display quantity above order quantity")        \
  XX(ALGO_PARTICIPATION, 508, "participation must be in (0, 1]")                  \
  XX(ALGO_LIMIT_REQUIRED, 509, "limit price required for this strategy")          \
  XX(ALGO_MIN_ABOVE_MAX, 510, "minimum slice above maximum slice")                \
  XX(ALGO_WOULD_BEYOND_LIMIT, 511, "would price beyond the limit price")          \
  XX(ALGO_BAD_PROFILE, 512, "volume profile empty or all zero")                   \
  XX(ALGO_UNKNOWN_TAG, 513, "unknown algorithm tag")                              \
  XX(ALGO_DUPLICATE_TAG, 514, "tag given twice")                                  \
  XX(ALGO_TICK_SIZE, 515, "price not a multiple of the tick size")                \
  XX(ALGO_LOT_SIZE, 516, "quantity not a multiple of the lot size")               \
  XX(ALGO_END_PASSED, 517, "end time already passed")                             \
  XX(ALGO_QTY_BELOW_FILLED, 518, "new quantity below the filled quantity")        \
  XX(ALGO_REPLACE_CHANGES_STRATEGY, 519, "replace changes strategy or side")      \
  XX(ALGO_VENUE_CANNOT, 520, "venue neither works the type nor allows emulation") \
  /* contingent groups (engine.h, oms_engine_submit_group) */                     \
  XX(GROUP_KIND, 600, "unknown contingency type")                                 \
  XX(GROUP_MEMBERS, 601, "wrong number of group members")                         \
  XX(GROUP_SIDE, 602, "group member on the wrong side")                           \
  XX(GROUP_QTY, 603, "group member larger than the member it follows")            \
  XX(GROUP_EXIT_TYPE, 604, "bracket exit of the wrong order type")                \
  XX(GROUP_EXIT_PRICE, 605, "bracket exit price on the wrong side")

typedef enum oms_reason_e {
#define OMS_REASON_ENUM(name, num, msg) OMS_R_##name = (num),
  OMS_REASON_MAP(OMS_REASON_ENUM)
#undef OMS_REASON_ENUM
} oms_reason_t;

/* A rejection as the user sees it: the code and a sentence with the numbers
 * that decided it, e.g. "max_order_size: quantity 150 exceeds limit 100 for
 * BTC-USD (strategy s1)". */
typedef struct oms_reject_s {
  oms_reason_t code;
  char text[OMS_REASON_MAX + 1];
} oms_reject_t;

/* "QTY_NOT_POSITIVE" for OMS_R_QTY_NOT_POSITIVE; "UNKNOWN" for a code not in
 * the table. Never NULL. */
OMS_EXTERN const char *oms_reason_name(oms_reason_t code);

/* The short English description of code; never NULL. */
OMS_EXTERN const char *oms_reason_desc(oms_reason_t code);

/* Parses a name back to its code. Returns 0, or OMS_ENOTFOUND. */
OMS_EXTERN int oms_reason_from_name(const char *name, oms_reason_t *out);

/* Sets r->code and formats r->text printf-style; a text longer than the
 * buffer is cut (never overflows). Returns code, so a check can write
 * `return oms_reject_set(r, OMS_R_MIN_QTY, "...", ...)`. Cold: a refusal is
 * the exception, so the compiler moves each path that leads here out of its
 * caller's hot code (which then fits the instruction cache better). */
OMS_EXTERN oms_reason_t oms_reject_set(oms_reject_t *r, oms_reason_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));

OMS_END_DECLS

#endif /* OMS_REASON_H */
