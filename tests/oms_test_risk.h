/* oms_test_risk.h - risk limits for tests that need a risk engine but are
 * not about risk: every limit set, all loose, so each test tightens one. */
#ifndef OMS_TEST_RISK_H
#define OMS_TEST_RISK_H

#include "oms/risk.h"
#include "oms_test.h"

#define T_MS INT64_C(1000000)

/* Limits loose enough for the scenarios; each risk test tightens one. */
/* As loose_limits, plus the trading hours w for key (a venue when
 * by_venue, else a symbol) when key is not NULL. */
static inline void loose_limits_hours(oms_risk_t *risk, const oms_risk_limit_t *extra,
                                      const char *key, bool by_venue, const oms_risk_window_t *w);

static inline void loose_limits(oms_risk_t *risk, const oms_risk_limit_t *extra) {
  loose_limits_hours(risk, extra, NULL, false, NULL);
}

static inline void loose_limits_hours(oms_risk_t *risk, const oms_risk_limit_t *extra,
                                      const char *key, bool by_venue, const oms_risk_window_t *w) {
  oms_risk_limits_t *l;
  assert_int_equal(oms_risk_limits_create(&l), 0);
  oms_risk_limit_t g = {
      .set = OMS_RL_MAX_ORDER_QTY | OMS_RL_MAX_ORDER_NOTIONAL | OMS_RL_MAX_POSITION |
             OMS_RL_MAX_OPEN_ORDERS_ACCOUNT | OMS_RL_MAX_OPEN_ORDERS_STRATEGY | OMS_RL_DAILY_LOSS |
             OMS_RL_MAX_LEVERAGE | OMS_RL_MAX_MARGIN_USAGE | OMS_RL_COLLAR_PCT |
             OMS_RL_MAX_REF_AGE | OMS_RL_CREDIT_LIMIT | OMS_RL_ORDER_RATE_ACCOUNT |
             OMS_RL_ORDER_RATE_STRATEGY | OMS_RL_CANCEL_RATE_ACCOUNT | OMS_RL_CANCEL_RATE_STRATEGY |
             OMS_RL_RATE_WINDOW | OMS_RL_DUPLICATE_WINDOW,
      .max_order_qty = T_D("100"),
      .max_order_notional = T_D("10000000"),
      .max_position = T_D("1000"),
      .max_open_orders_account = 100,
      .max_open_orders_strategy = 100,
      .daily_loss = T_D("1000000"),
      .daily_loss_action = OMS_TRADING_REDUCE_ONLY,
      .max_leverage = T_D("100"),
      .max_margin_usage = T_D("100"),
      .collar_pct = T_D("0.5"),
      .max_ref_age_ns = INT64_C(3600000000000),
      .credit_limit = T_D("50000000"),
      .order_rate_account = 200,
      .order_rate_strategy = 200,
      .cancel_rate_account = 200,
      .cancel_rate_strategy = 200,
      .rate_window_ns = 1000 * T_MS,
      .duplicate_window_ns = 1};
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err), 0);
  if (extra != NULL)
    assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "ACC1", extra, &err), 0);
  assert_int_equal(oms_risk_limits_symbol_list(l, "BTC-USD", true, &err), 0);
  oms_risk_window_t all_day = {.days = 0x7f, .start_min = 0, .end_min = 1440};
  assert_int_equal(oms_risk_limits_hours(l, "SIM", true, "UTC", &all_day, 1, &err), 0);
  if (key != NULL) assert_int_equal(oms_risk_limits_hours(l, key, by_venue, "UTC", w, 1, &err), 0);
  if (oms_risk_set_limits(risk, l, &err) != 0) fail_msg("limits refused: %s", err.text);
}

#endif /* OMS_TEST_RISK_H */
