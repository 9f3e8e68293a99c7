/* risk_fixture.h - a portfolio and a risk engine with limits under which a
 * plain order passes every built-in check, so that a test can vary one thing
 * and watch one check decide. Shared by the risk tests. */
#ifndef OMS_RISK_FIXTURE_H
#define OMS_RISK_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms_test.h"

/* Monday 2024-01-15 15:00:00 UTC (10:00 in New York). */
#define F_NOW INT64_C(1705330800000000000)
#define F_SEC INT64_C(1000000000)
#define F_MS INT64_C(1000000)

typedef struct fixture_s {
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_risk_limits_t *lim; /* being built; installed by f_install() */
  uint64_t next_id;
  int states; /* state callbacks seen */
  oms_risk_scope_t last_scope;
  char last_id[64];
  oms_trading_state_t last_from, last_to;
  char last_reason[256];
} fixture_t;

static inline void f_state_cb(void *ctx, oms_risk_scope_t scope, const char *id,
                              oms_trading_state_t from, oms_trading_state_t to, const char *reason,
                              int64_t now_ns) {
  (void)now_ns;
  fixture_t *f = ctx;
  f->states++;
  f->last_scope = scope;
  snprintf(f->last_id, sizeof f->last_id, "%s", id);
  f->last_from = from;
  f->last_to = to;
  snprintf(f->last_reason, sizeof f->last_reason, "%s", reason);
}

/* The global limits under which a plain order passes. */
static inline oms_risk_limit_t f_global_limits(void) {
  oms_risk_limit_t v;
  memset(&v, 0, sizeof v);
  v.set = (OMS_RL_DUPLICATE_WINDOW << 1) - 1;
  v.max_order_qty = T_D("100");
  v.max_order_notional = T_D("1000000");
  v.max_position = T_D("200");
  v.max_open_orders_account = 10;
  v.max_open_orders_strategy = 5;
  v.daily_loss = T_D("1000");
  v.daily_loss_action = OMS_TRADING_REDUCE_ONLY;
  v.max_leverage = T_D("5");
  v.max_margin_usage = T_D("1");
  v.collar_pct = T_D("0.05");
  v.collar_ticks = 4;
  v.tick_size = T_D("0.5");
  v.max_ref_age_ns = 5 * F_SEC;
  v.credit_limit = T_D("2000000");
  v.order_rate_account = 20;
  v.order_rate_strategy = 10;
  v.cancel_rate_account = 40;
  v.cancel_rate_strategy = 20;
  v.rate_window_ns = F_SEC;
  v.duplicate_window_ns = 500 * F_MS;
  return v;
}

/* A fresh limit set with the fixture's global limits, whitelist and hours. */
static inline oms_risk_limits_t *f_limits(void) {
  oms_risk_limits_t *l = NULL;
  oms_reject_t err;
  if (oms_risk_limits_create(&l) != 0) __builtin_trap();
  oms_risk_limit_t v = f_global_limits();
  oms_risk_window_t all = {0x7f, 0, 1440};
  if (oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &v, &err) != 0 ||
      oms_risk_limits_symbol_list(l, "BTC-USD", true, &err) != 0 ||
      oms_risk_limits_symbol_list(l, "ETH-USD", true, &err) != 0 ||
      oms_risk_limits_hours(l, "SIM", true, "UTC", &all, 1, &err) != 0)
    __builtin_trap();
  return l;
}

static inline void f_install(fixture_t *f) {
  oms_reject_t err;
  if (oms_risk_set_limits(f->risk, f->lim, &err) != 0) {
    fprintf(stderr, "f_install: %s\n", err.text);
    __builtin_trap();
  }
  f->lim = NULL;
}

static inline int f_setup(fixture_t *f) {
  memset(f, 0, sizeof *f);
  oms_portfolio_config_t pc = {16, 16, 64, 0};
  oms_risk_config_t rc = {16, 16, 16, 64, 256, 64, 0};
  if (oms_portfolio_create(&pc, &f->pf) != 0 || oms_risk_create(&rc, &f->risk) != 0) return -1;
  oms_portfolio_set_instrument(f->pf, "BTC-USD", T_D("1"), T_D("0.1"));
  oms_portfolio_set_instrument(f->pf, "ETH-USD", T_D("1"), T_D("0.2"));
  oms_portfolio_set_instrument(f->pf, "XRP-USD", T_D("1"), T_D("0.5"));
  oms_portfolio_set_cash(f->pf, "ACC1", T_D("100000"), F_NOW);
  oms_portfolio_if_t pif = oms_portfolio_as_if(f->pf);
  oms_risk_set_portfolio(f->risk, &pif);
  oms_risk_set_state_cb(f->risk, f_state_cb, f);
  oms_risk_set_reference_price(f->risk, "BTC-USD", T_D("100"), F_NOW);
  f->lim = f_limits();
  f->next_id = 1;
  return 0;
}

static inline void f_teardown(fixture_t *f) {
  oms_risk_limits_destroy(f->lim);
  oms_risk_destroy(f->risk);
  oms_portfolio_destroy(f->pf);
}

/* An order in PENDING: BTC-USD, account ACC1, strategy s1, venue SIM. */
static inline void f_order(fixture_t *f, oms_order_t *o, oms_side_t side, oms_ord_type_t type,
                           const char *qty, const char *px) {
  oms_order_request_t req;
  char id[32];
  snprintf(id, sizeof id, "c%llu", (unsigned long long)f->next_id);
  t_request(&req, id, side, type, qty, px);
  if (type == OMS_ORD_MARKET) req.tif = OMS_TIF_IOC;
  oms_order_init(o, f->next_id++, &req, F_NOW);
}

/* Runs the chain for a new order; returns the reason code (0 passed). */
static inline oms_reason_t f_check(fixture_t *f, const oms_order_t *o, int64_t now,
                                   oms_risk_result_t *res) {
  bool ok = oms_risk_check_new(f->risk, o, now, res);
  if (ok != (res->reject.code == OMS_R_NONE)) __builtin_trap();
  return res->reject.code;
}

/* Opens a resting order (accepted at the venue) without running the chain. */
static inline void f_open(fixture_t *f, oms_order_t *o, oms_side_t side, const char *qty,
                          const char *px) {
  f_order(f, o, side, OMS_ORD_LIMIT, qty, px);
  if (oms_risk_order_opened(f->risk, o) != 0) __builtin_trap();
}

#endif /* OMS_RISK_FIXTURE_H */
