/*
 * engine_risk.h - the four places where the core meets the risk engine,
 * kept in one file so the core reads as a flow and the risk module's API
 * is adapted in one place. Every function accepts a NULL risk engine (no
 * pre-trade checks: every order passes).
 */
#ifndef OMS_ENGINE_RISK_H
#define OMS_ENGINE_RISK_H

#include "oms/engine.h"
#include "oms/order.h"
#include "oms/reason.h"
#include "oms/venue.h"

/* Runs the chain on a new order (PENDING, fully populated). Returns
 * OMS_R_NONE or the reason, with rej and check (the check's name) set. */
oms_reason_t oms__risk_check_new(oms_risk_t *risk, const oms_order_t *o, int64_t now_ns,
                                 oms_reject_t *rej, char *check, size_t check_cap);

/* oms__risk_check_new() and, when it passed, oms__risk_order_opened() in
 * one call (the open reuses the check's findings). Returns 0, OMS_EREJECTED
 * (refused: rej and check set) or OMS_EFULL (passed, but no room to open
 * it: refuse the order). */
int oms__risk_check_open(oms_risk_t *risk, const oms_order_t *o, int64_t now_ns, oms_reject_t *rej,
                         char *check, size_t check_cap);

/* Runs the chain on a modify: cur is the order, would the order it becomes. */
oms_reason_t oms__risk_check_modify(oms_risk_t *risk, const oms_order_t *cur,
                                    const oms_order_t *would, int64_t now_ns, oms_reject_t *rej,
                                    char *check, size_t check_cap);

/* A cancel asked by a client: only the cancel-rate budget can refuse it. */
oms_reason_t oms__risk_check_cancel(oms_risk_t *risk, const oms_order_t *o, int64_t now_ns,
                                    oms_reject_t *rej);

/* Reserves a new order's exposure the moment the OMS accepts it. Returns 0
 * or OMS_EFULL (no room in the risk engine's tables: refuse the order). */
int oms__risk_order_opened(oms_risk_t *risk, const oms_order_t *o);

/* Lets a daily-loss breach switch the account's state right after a fill. */
void oms__risk_after_fill(oms_risk_t *risk, const char *account, int64_t now_ns);

/* A position moved (fill, bust, restore): the concentration groups re-read it. */
void oms__risk_position_changed(oms_risk_t *risk, const char *account, const char *symbol);

/* Keeps the open-order aggregates in step with every committed change. */
void oms__risk_order_changed(oms_risk_t *risk, const oms_order_t *before, const oms_order_t *after,
                             int64_t now_ns);

/* Feeds reference prices (mid, else last trade) from a venue's market data. */
void oms__risk_market_data(oms_risk_t *risk, const oms_market_data_t *md);

/* Recovery, once the portfolio is back: each instrument's last traded
 * price (its portfolio mark, with its time) becomes its reference price
 * unless risk has a newer one, so that a restart does not refuse every
 * order for want of a price until market data arrives. */
void oms__risk_prices_recovered(oms_risk_t *risk, oms_portfolio_t *pf, const oms_instrument_t *ins,
                                uint32_t n);

#endif /* OMS_ENGINE_RISK_H */
