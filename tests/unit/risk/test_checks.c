/* Tests for src/risk/checks.c: every built-in check passes a plain order,
 * passes at its limit, refuses one tick or lot over, and says why with the
 * numbers. The fixture's limits pass everything, so each test changes one
 * thing and the check under test is the one that decides. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "oms/riskmodel.h"
#include "risk/risk_internal.h"
#include "risk_fixture.h"

static fixture_t F;
static oms_risk_result_t res;

static int setup(void **state) {
  (void)state;
  memset(&res, 0, sizeof res);
  return f_setup(&F);
}

static int teardown(void **state) {
  (void)state;
  f_teardown(&F);
  return 0;
}

static void set_scope(oms_risk_scope_t scope, const char *id, oms_risk_limit_t *v) {
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_set(F.lim, scope, id, v, &err), 0);
}

static oms_reason_t check(oms_side_t side, oms_ord_type_t type, const char *qty, const char *px) {
  oms_order_t o;
  f_order(&F, &o, side, type, qty, px);
  return f_check(&F, &o, F_NOW, &res);
}

#define EXPECT(want_code, want_check, want_text)       \
  do {                                                 \
    assert_int_equal(res.reject.code, (want_code));    \
    assert_false(res.passed);                          \
    assert_string_equal(res.check, (want_check));      \
    assert_string_equal(res.reject.text, (want_text)); \
  } while (0)

static void test_plain_order_passes_every_check(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100"), OMS_R_NONE);
  assert_true(res.passed);
  /* the last one: "var_stress" since issue 16 appended it */
  assert_string_equal(res.check, "var_stress");
  assert_string_equal(res.reject.text, "");
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_MARKET, "2", NULL), OMS_R_NONE);
}

/* ---- 1. max order size ---- */

static void test_max_order_qty_boundary(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "100", "100"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "100.001", "100");
  EXPECT(OMS_R_RISK_MAX_ORDER_QTY, "max_order_size",
         "max_order_size: quantity 100.001 exceeds limit 100 for BTC-USD (strategy s1)");
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "150", "100");
  EXPECT(OMS_R_RISK_MAX_ORDER_QTY, "max_order_size",
         "max_order_size: quantity 150 exceeds limit 100 for BTC-USD (strategy s1)");
}

static void test_max_order_notional_boundary(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_ORDER_NOTIONAL, .max_order_notional = T_D("1000")};
  set_scope(OMS_RISK_SCOPE_SYMBOL, "BTC-USD", &v);
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100.5");
  EXPECT(OMS_R_RISK_MAX_ORDER_NOTIONAL, "max_order_size",
         "max_order_size: notional 1005 exceeds limit 1000 for BTC-USD (strategy s1)");
  /* A market order is valued at the reference price. */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_MARKET, "10", NULL), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_MARKET, "10.001", NULL);
  EXPECT(OMS_R_RISK_MAX_ORDER_NOTIONAL, "max_order_size",
         "max_order_size: notional 1000.1 exceeds limit 1000 for BTC-USD (strategy s1)");
}

static void test_market_order_without_reference_cannot_be_valued(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_MARKET, "1", NULL);
  strcpy(o.symbol, "ETH-USD");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_NO_REFERENCE_PRICE, "max_order_size",
         "max_order_size: no price to value MARKET order for ETH-USD");
}

/* ---- 9. price collar ---- */

static void test_collar_percentage_boundary(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "105"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "95"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "105.5");
  EXPECT(OMS_R_RISK_PRICE_COLLAR, "price_collar",
         "price_collar: price 105.5 is 5.5 from reference 100 for BTC-USD (band 5)");
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "94.5");
  EXPECT(OMS_R_RISK_PRICE_COLLAR, "price_collar",
         "price_collar: price 94.5 is 5.5 from reference 100 for BTC-USD (band 5)");
}

static void test_collar_ticks_widen_the_band(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_COLLAR_TICKS, .collar_ticks = 20, .tick_size = T_D("0.5")};
  set_scope(OMS_RISK_SCOPE_SYMBOL, "BTC-USD", &v);
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "110"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "110.5");
  EXPECT(OMS_R_RISK_PRICE_COLLAR, "price_collar",
         "price_collar: price 110.5 is 10.5 from reference 100 for BTC-USD (band 10)");
}

static void test_collar_checks_stop_prices(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_STOP, "1", NULL);
  o.stop_price = T_D("105");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_STOP_LIMIT, "1", "104");
  o.stop_price = T_D("106");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_PRICE_COLLAR, "price_collar",
         "price_collar: stop price 106 is 6 from reference 100 for BTC-USD (band 5)");
}

static void test_reference_price_missing_or_stale(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  strcpy(o.symbol, "ETH-USD");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_NO_REFERENCE_PRICE, "price_collar",
         "price_collar: no reference price for ETH-USD");
  /* Exactly max age old passes; one nanosecond more is stale. */
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_MARKET, "1", NULL);
  assert_int_equal(f_check(&F, &o, F_NOW + 5 * F_SEC, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_MARKET, "2", NULL);
  f_check(&F, &o, F_NOW + 5 * F_SEC + 1, &res);
  EXPECT(OMS_R_RISK_STALE_REFERENCE_PRICE, "price_collar",
         "price_collar: reference price 100 for BTC-USD is 5000 ms old (max 5000 ms)");
}

/* ---- 2. max position ---- */

static void test_max_position_counts_open_buys(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t a, b;
  f_open(&F, &a, OMS_SIDE_BUY, "100", "99");
  f_open(&F, &b, OMS_SIDE_BUY, "50", "99");
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "50", "100"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "50.001", "100");
  EXPECT(OMS_R_RISK_MAX_POSITION, "max_position",
         "max_position: worst-case long position 200.001 exceeds limit 200 for BTC-USD "
         "(account ACC1: position 0, open buys 150, order 50.001)");
  /* Sells are not netted against buys: a sell is judged on its own side. */
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "100", "100.5"), OMS_R_NONE);
}

static void test_max_position_short_side_with_position(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("10"),
                                            T_D("100"), OMS_DEC_ZERO, F_NOW),
                   0);
  oms_order_t a, b;
  f_open(&F, &a, OMS_SIDE_SELL, "100", "101");
  f_open(&F, &b, OMS_SIDE_SELL, "10", "101");
  /* open sells 110 + 100 - long 10 = 200 short in the worst case. */
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "100", "101"), OMS_R_NONE);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "100", "101");
  assert_int_equal(res.reject.code, OMS_R_RISK_DUPLICATE_ORDER); /* same order again */
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "99.999", "101");
  assert_int_equal(res.reject.code, OMS_R_NONE);
  f_open(&F, &a, OMS_SIDE_SELL, "0.002", "101");
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "99.999", "101.5");
  EXPECT(OMS_R_RISK_MAX_POSITION, "max_position",
         "max_position: worst-case short position 200.001 exceeds limit 200 for BTC-USD "
         "(account ACC1: position 10, open sells 110.002, order 99.999)");
}

/* A parent's child: the parent reserved the exposure, so the exposure
 * checks and the duplicate guard pass it; the per-order rules still apply. */
static void test_a_child_passes_exposure_but_not_per_order_rules(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t a, o;
  f_open(&F, &a, OMS_SIDE_BUY, "100", "99");
  f_open(&F, &a, OMS_SIDE_BUY, "100", "99.5");
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(res.reject.code, OMS_R_RISK_MAX_POSITION);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  o.parent_order_id = 9;
  o.child_seq = 1;
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE); /* a slice like the last */
  o.qty = T_D("150");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_MAX_ORDER_QTY);
  o.qty = T_D("1");
  o.price = T_D("200");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_PRICE_COLLAR);
  /* a parent reserves its exposure but rests nowhere: no self-trade with it */
  oms_order_t parent;
  f_order(&F, &parent, OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100");
  parent.algo = 1000;
  assert_int_equal(oms_risk_order_opened(F.risk, &parent), 0);
  o.price = T_D("100.5");
  o.side = OMS_SIDE_BUY;
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  oms_order_t seller;
  f_open(&F, &seller, OMS_SIDE_SELL, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_SELF_TRADE);
}

/* ---- 3. max open orders ---- */

static void test_max_open_orders_per_strategy(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  for (int i = 0; i < 4; i++) f_open(&F, &o, OMS_SIDE_BUY, "1", "99");
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100"), OMS_R_NONE);
  f_open(&F, &o, OMS_SIDE_BUY, "1", "99");
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  EXPECT(OMS_R_RISK_MAX_OPEN_ORDERS, "max_open_orders",
         "max_open_orders: strategy s1 has 5 open orders (limit 5)");
  /* A modify opens nothing and passes at the limit. */
  oms_order_t next = o;
  next.qty = T_D("2");
  assert_true(oms_risk_check_modify(F.risk, &o, &next, F_NOW, &res));
  /* A terminal order frees its place. */
  oms_order_t done = o;
  done.state = OMS_STATE_CANCELLED;
  done.leaves_qty = OMS_DEC_ZERO;
  assert_int_equal(oms_risk_order_changed(F.risk, &o, &done), 0);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "3", "100"), OMS_R_NONE);
}

static void test_max_open_orders_per_account(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  for (int i = 0; i < 10; i++) {
    f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "99");
    snprintf(o.strategy_id, sizeof o.strategy_id, "s%d", 10 + i / 4);
    assert_int_equal(oms_risk_order_opened(F.risk, &o), 0);
  }
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  strcpy(o.strategy_id, "s9");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_MAX_OPEN_ORDERS, "max_open_orders",
         "max_open_orders: account ACC1 has 10 open orders (limit 10)");
}

/* ---- 10. credit limit ---- */

static void test_credit_limit_boundary(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_CREDIT_LIMIT, .credit_limit = T_D("10000")};
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  oms_order_t a, b;
  f_open(&F, &a, OMS_SIDE_BUY, "50", "100");
  f_open(&F, &b, OMS_SIDE_SELL, "40", "100"); /* gross: buys and sells add */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "99.5"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100"), OMS_R_RISK_SELF_TRADE);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10.001", "100");
  EXPECT(OMS_R_RISK_CREDIT_LIMIT, "credit_limit",
         "credit_limit: open notional 9000 + order 1000.1 = 10000.1 exceeds credit limit 10000 "
         "for account ACC1");
}

/* ---- 4. daily loss ---- */

static void test_daily_loss_boundary_and_switch(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("100"),
                                            T_D("100"), OMS_DEC_ZERO, F_NOW),
                   0);
  assert_int_equal(oms_portfolio_set_mark(F.pf, "BTC-USD", T_D("90"), F_NOW), 0);
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("90"), F_NOW);
  /* A loss equal to the limit passes. */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "90"), OMS_R_NONE);
  assert_int_equal(F.states, 0);
  assert_int_equal(oms_portfolio_set_mark(F.pf, "BTC-USD", T_D("89.99999999"), F_NOW), 0);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "90");
  EXPECT(OMS_R_RISK_DAILY_LOSS, "daily_loss",
         "daily_loss: daily PnL -1000.000001 breaches loss limit 1000 for account ACC1; "
         "account is REDUCE_ONLY");
  assert_int_equal(F.states, 1);
  assert_int_equal(F.last_scope, OMS_RISK_SCOPE_ACCOUNT);
  assert_string_equal(F.last_id, "ACC1");
  assert_int_equal(F.last_to, OMS_TRADING_REDUCE_ONLY);
  assert_string_equal(F.last_reason,
                      "daily loss limit breached: daily PnL -1000.000001, limit 1000");
  assert_int_equal(oms_risk_get_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1"),
                   OMS_TRADING_REDUCE_ONLY);
  /* A reducing order still passes. */
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10", "90"), OMS_R_NONE);
  assert_int_equal(F.states, 1);
}

static void test_daily_loss_can_halt(void **state) {
  (void)state;
  oms_risk_limit_t v = {
      .set = OMS_RL_DAILY_LOSS, .daily_loss = T_D("10"), .daily_loss_action = OMS_TRADING_HALTED};
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("10"), T_D("100"), T_D("11"),
                           F_NOW); /* the fee alone is a loss of 11 */
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100");
  EXPECT(OMS_R_RISK_DAILY_LOSS, "daily_loss",
         "daily_loss: daily PnL -11 breaches loss limit 10 for account ACC1; account is HALTED");
  assert_int_equal(F.last_to, OMS_TRADING_HALTED);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100.5");
  EXPECT(OMS_R_RISK_HALTED, "kill_switch",
         "kill_switch: trading halted (account ACC1); only cancels pass");
}

/* ---- 5. leverage ---- */

static void test_leverage_boundary(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_LEVERAGE, .max_leverage = T_D("0.1")};
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "100", "100"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "100", "100.5");
  EXPECT(OMS_R_RISK_LEVERAGE, "leverage",
         "leverage: gross exposure 0 + open orders 0 + order 10050 = 10050 exceeds 0.1 x equity "
         "100000 for account ACC1");
}

static void test_leverage_counts_positions_and_lets_reductions_pass(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_LEVERAGE, .max_leverage = T_D("0.1")};
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("100"), T_D("100"),
                           OMS_DEC_ZERO, F_NOW);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.001", "100");
  EXPECT(OMS_R_RISK_LEVERAGE, "leverage",
         "leverage: gross exposure 10000 + open orders 0 + order 0.1 = 10000.1 exceeds 0.1 x "
         "equity 100000 for account ACC1");
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "50", "100"), OMS_R_NONE);
}

static void test_leverage_needs_positive_equity(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  strcpy(o.account_id, "ACC2");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_LEVERAGE, "leverage", "leverage: equity 0 of account ACC2 is not positive");
}

/* ---- 6. margin ---- */

static void test_margin_boundary(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_MARGIN_USAGE, .max_margin_usage = T_D("0.01")};
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  /* 100 @ 100 at margin rate 0.1 needs 1000 = 0.01 x 100000. */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "100", "100"), OMS_R_NONE);
  oms_order_t a;
  f_open(&F, &a, OMS_SIDE_BUY, "10", "99");
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "90.1", "100"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "90.101", "100");
  EXPECT(OMS_R_RISK_MARGIN, "margin",
         "margin: required 1000.01 (positions 0, open orders 99, order 901.01) exceeds 0.01 x "
         "equity 100000 for account ACC1");
}

static void test_margin_needs_known_symbol_and_equity(void **state) {
  (void)state;
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_symbol_list(F.lim, "DOGE-USD", true, &err), 0);
  oms_risk_set_portfolio(F.risk, NULL); /* the symbol check in set_limits needs a portfolio */
  f_install(&F);
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  oms_risk_set_portfolio(F.risk, &pif);
  oms_risk_set_reference_price(F.risk, "DOGE-USD", T_D("100"), F_NOW);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  strcpy(o.symbol, "DOGE-USD");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_MARGIN, "margin", "margin: DOGE-USD has no margin rate in the portfolio");
  /* Negative equity. */
  oms_portfolio_set_cash(F.pf, "ACC1", T_D("-1"), F_NOW);
  oms_risk_limit_t v = {.set = OMS_RL_MAX_LEVERAGE | OMS_RL_MAX_MARGIN_USAGE};
  (void)v;
  oms_risk_check_t chain[] = {*oms_risk_builtin("margin")};
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 1), 0);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  EXPECT(OMS_R_RISK_MARGIN, "margin", "margin: equity -1 of account ACC1 is not positive");
}

/* ---- 7. symbol lists ---- */

static void test_symbol_whitelist_and_restricted_list(void **state) {
  (void)state;
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_symbol_list(F.lim, "ETH-USD", false, &err), 0);
  /* Whitelisting again does not lift a restriction. */
  assert_int_equal(oms_risk_limits_symbol_list(F.lim, "ETH-USD", true, &err), 0);
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  strcpy(o.symbol, "ETH-USD");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_SYMBOL_RESTRICTED, "symbol_list",
         "symbol_list: ETH-USD is on the restricted list");
  strcpy(o.symbol, "XRP-USD");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_SYMBOL_NOT_ALLOWED, "symbol_list",
         "symbol_list: XRP-USD is not on the whitelist");
}

/* ---- 8. trading hours ---- */

static void test_trading_hours_in_new_york(void **state) {
  (void)state;
  oms_reject_t err;
  oms_risk_window_t w = {0x3e, 9 * 60 + 30, 16 * 60}; /* Mon-Fri 09:30-16:00 */
  assert_int_equal(oms_risk_limits_hours(F.lim, "BTC-USD", false, "America/New_York", &w, 1, &err),
                   0);
  f_install(&F);
  oms_order_t o;
  /* 2024-01-15 is a Monday; New York is UTC-5 in winter. */
  int64_t open = INT64_C(1705329000) * F_SEC;  /* 14:30 UTC = 09:30 EST */
  int64_t close = INT64_C(1705352400) * F_SEC; /* 21:00 UTC = 16:00 EST */
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("100"), open - F_SEC);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, open, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  f_check(&F, &o, open - 1, &res);
  EXPECT(OMS_R_RISK_TRADING_HOURS, "trading_hours",
         "trading_hours: BTC-USD is closed at Mon 09:29 America/New_York");
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("100"), close - F_SEC);
  assert_int_equal(f_check(&F, &o, close - 1, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "3", "100");
  f_check(&F, &o, close, &res);
  EXPECT(OMS_R_RISK_TRADING_HOURS, "trading_hours",
         "trading_hours: BTC-USD is closed at Mon 16:00 America/New_York");
  /* Summer time: 2024-07-15 13:30 UTC = 09:30 EDT. */
  int64_t summer = INT64_C(1721050200) * F_SEC;
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("100"), summer);
  assert_int_equal(f_check(&F, &o, summer, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "4", "100");
  f_check(&F, &o, summer - 60 * F_SEC, &res);
  assert_int_equal(res.reject.code, OMS_R_RISK_TRADING_HOURS);
}

/* The open answer remembered for one UTC second serves only that second,
 * and only the hours it was found with. */
static void test_trading_hours_remembered_for_one_second(void **state) {
  (void)state;
  oms_reject_t err;
  oms_risk_window_t w = {0x3e, 9 * 60 + 30, 16 * 60};
  assert_int_equal(oms_risk_limits_hours(F.lim, "BTC-USD", false, "America/New_York", &w, 1, &err),
                   0);
  f_install(&F);
  oms_order_t o;
  int64_t close = INT64_C(1705352400) * F_SEC; /* Mon 16:00 EST */
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("100"), close - F_SEC);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, close - F_SEC, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  assert_int_equal(f_check(&F, &o, close - 1, &res), OMS_R_NONE); /* the same second */
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "3", "100");
  f_check(&F, &o, close, &res);
  EXPECT(OMS_R_RISK_TRADING_HOURS, "trading_hours",
         "trading_hours: BTC-USD is closed at Mon 16:00 America/New_York");
  /* New hours that close an hour earlier, within the second found open. */
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "4", "100");
  assert_int_equal(f_check(&F, &o, close - F_SEC, &res), OMS_R_NONE);
  oms_risk_window_t early = {0x3e, 9 * 60 + 30, 15 * 60};
  F.lim = f_limits();
  assert_int_equal(
      oms_risk_limits_hours(F.lim, "BTC-USD", false, "America/New_York", &early, 1, &err), 0);
  f_install(&F);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "5", "100");
  f_check(&F, &o, close - F_SEC + 1, &res);
  EXPECT(OMS_R_RISK_TRADING_HOURS, "trading_hours",
         "trading_hours: BTC-USD is closed at Mon 15:59 America/New_York");
}

static void test_trading_hours_missing_is_refused(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  strcpy(o.venue, "OTHER");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_NO_LIMITS, "trading_hours",
         "trading_hours: no trading hours configured for BTC-USD (venue OTHER)");
}

/* ---- 11. throttle ---- */

static void test_order_rate_sliding_window(void **state) {
  (void)state;
  f_install(&F);
  char qty[16];
  for (int i = 1; i <= 10; i++) {
    snprintf(qty, sizeof qty, "%d", i);
    assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, qty, "100"), OMS_R_NONE);
  }
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "11", "100");
  EXPECT(OMS_R_RISK_THROTTLE, "order_rate",
         "order_rate: 10 orders and modifies in the last 1000 ms for strategy s1 (limit 10)");
  /* Refused orders do not spend budget; the window slides. */
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "11", "100");
  assert_int_equal(f_check(&F, &o, F_NOW + F_SEC - 1, &res), OMS_R_RISK_THROTTLE);
  assert_int_equal(f_check(&F, &o, F_NOW + F_SEC, &res), OMS_R_NONE);
}

static void test_order_rate_per_account(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  for (int i = 0; i < 20; i++) {
    char qty[16];
    snprintf(qty, sizeof qty, "%d", i + 1);
    f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, qty, "100");
    snprintf(o.strategy_id, sizeof o.strategy_id, "s%d", 100 + i / 10);
    assert_int_equal(f_check(&F, &o, F_NOW + i, &res), OMS_R_NONE);
  }
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "21", "100");
  strcpy(o.strategy_id, "s200");
  f_check(&F, &o, F_NOW + 20, &res);
  EXPECT(OMS_R_RISK_THROTTLE, "order_rate",
         "order_rate: 20 orders and modifies in the last 1000 ms for account ACC1 (limit 20)");
}

static void test_cancel_budget_is_separate(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  for (int i = 0; i < 20; i++) assert_true(oms_risk_check_cancel(F.risk, &o, F_NOW, &res));
  assert_false(oms_risk_check_cancel(F.risk, &o, F_NOW, &res));
  EXPECT(OMS_R_RISK_THROTTLE, "order_rate",
         "order_rate: 20 cancels in the last 1000 ms for strategy s1 (limit 20)");
  /* Orders still have their own budget. */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100"), OMS_R_NONE);
  /* The account's cancel budget, across strategies. */
  for (int i = 0; i < 20; i++) {
    strcpy(o.strategy_id, "s7");
    assert_true(oms_risk_check_cancel(F.risk, &o, F_NOW, &res));
  }
  strcpy(o.strategy_id, "s8");
  assert_false(oms_risk_check_cancel(F.risk, &o, F_NOW, &res));
  EXPECT(OMS_R_RISK_THROTTLE, "order_rate",
         "order_rate: 40 cancels in the last 1000 ms for account ACC1 (limit 40)");
  assert_true(oms_risk_check_cancel(F.risk, &o, F_NOW + F_SEC, &res));
}

/* ---- 12. duplicates ---- */

static void test_duplicate_order_window(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1.5", "100"), OMS_R_NONE);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1.5", "100");
  f_check(&F, &o, F_NOW + 499 * F_MS, &res);
  EXPECT(OMS_R_RISK_DUPLICATE_ORDER, "duplicate_order",
         "duplicate_order: same BUY 1.5 BTC-USD @ 100 by strategy s1 499 ms ago (window 500 ms)");
  /* Any difference makes it a different order. */
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1.5", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1.5", "100.5"), OMS_R_NONE);
  /* Exactly the window later it is new again. */
  assert_int_equal(f_check(&F, &o, F_NOW + 500 * F_MS, &res), OMS_R_NONE);
}

static void test_duplicate_guard_forgets_oldest_when_full(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_ORDER_RATE_STRATEGY | OMS_RL_ORDER_RATE_ACCOUNT,
                        .order_rate_strategy = 1,
                        .order_rate_account = 1};
  set_scope(OMS_RISK_SCOPE_GLOBAL, NULL, &v);
  f_install(&F);
  /* Many distinct orders far apart in time: the table stays bounded. */
  oms_order_t o;
  char qty[16];
  for (int i = 0; i < 10000; i++) {
    snprintf(qty, sizeof qty, "0.%03d", 1 + i % 999);
    f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, qty, "100");
    oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("100"), F_NOW + i * F_SEC);
    assert_int_equal(f_check(&F, &o, F_NOW + i * F_SEC, &res), OMS_R_NONE);
  }
}

/* ---- 13. self-trade ---- */

static void test_self_trade_against_own_resting_orders(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t s1, s2, b1;
  f_open(&F, &s1, OMS_SIDE_SELL, "1", "101");
  f_open(&F, &s2, OMS_SIDE_SELL, "1", "102");
  f_open(&F, &b1, OMS_SIDE_BUY, "1", "99");
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100.5"), OMS_R_NONE);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "101");
  EXPECT(OMS_R_RISK_SELF_TRADE, "self_trade",
         "self_trade: BUY at 101 would cross own resting SELL at 101 in BTC-USD (account ACC1)");
  check(OMS_SIDE_BUY, OMS_ORD_MARKET, "1", NULL);
  EXPECT(OMS_R_RISK_SELF_TRADE, "self_trade",
         "self_trade: BUY at market would cross own resting SELL at 101 in BTC-USD (account "
         "ACC1)");
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "99.5"), OMS_R_NONE);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "99");
  EXPECT(OMS_R_RISK_SELF_TRADE, "self_trade",
         "self_trade: SELL at 99 would cross own resting BUY at 99 in BTC-USD (account ACC1)");
  /* When the best sell goes, the next one is the best. */
  oms_order_t done = s1;
  done.state = OMS_STATE_CANCELLED;
  oms_risk_order_changed(F.risk, &s1, &done);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "101.5"), OMS_R_NONE);
  /* Another account does not trade with ACC1. */
  oms_portfolio_set_cash(F.pf, "ACC3", T_D("100000"), F_NOW);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "102");
  strcpy(o.account_id, "ACC3");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  /* Stops do not rest in the book. */
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_STOP, "1", NULL);
  o.stop_price = T_D("102");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
}

/* ---- 14. kill switch ---- */

static void test_kill_switch_states(void **state) {
  (void)state;
  f_install(&F);
  oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("5"), T_D("100"),
                           OMS_DEC_ZERO, F_NOW);
  assert_int_equal(oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1",
                                      OMS_TRADING_REDUCE_ONLY, "ops", F_NOW),
                   0);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  EXPECT(OMS_R_RISK_REDUCE_ONLY, "kill_switch",
         "kill_switch: reduce-only (account): BUY 1 BTC-USD does not reduce position 5 of "
         "account ACC1");
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "5", "100"), OMS_R_NONE);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "5.001", "100");
  EXPECT(OMS_R_RISK_REDUCE_ONLY, "kill_switch",
         "kill_switch: reduce-only (account): SELL 5.001 BTC-USD does not reduce position 5 of "
         "account ACC1");
  /* Most restrictive wins. */
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_STRATEGY, "s1", OMS_TRADING_HALTED, "ops", F_NOW);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100");
  EXPECT(OMS_R_RISK_HALTED, "kill_switch",
         "kill_switch: trading halted (strategy s1); only cancels pass");
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_GLOBAL, NULL, OMS_TRADING_HALTED, "ops", F_NOW);
  check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100");
  EXPECT(OMS_R_RISK_HALTED, "kill_switch",
         "kill_switch: trading halted (global firm); only cancels pass");
  /* Cancels pass even when halted. */
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100");
  assert_true(oms_risk_check_cancel(F.risk, &o, F_NOW, &res));
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_GLOBAL, NULL, OMS_TRADING_REDUCE_ONLY, "ops", F_NOW);
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_STRATEGY, "s1", OMS_TRADING_ACTIVE, "ops", F_NOW);
  check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  EXPECT(OMS_R_RISK_REDUCE_ONLY, "kill_switch",
         "kill_switch: reduce-only (global): BUY 1 BTC-USD does not reduce position 5 of "
         "account ACC1");
}

static void test_reduce_only_instruction(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "100");
  o.instructions = OMS_INST_REDUCE_ONLY;
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_REDUCE_ONLY, "kill_switch",
         "kill_switch: reduce-only order SELL 1 BTC-USD does not reduce position 0 of account "
         "ACC1");
  oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_SELL, T_D("2"), T_D("100"),
                           OMS_DEC_ZERO, F_NOW);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  o.instructions = OMS_INST_REDUCE_ONLY;
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
}

/* ---- fail closed ---- */

static void test_missing_limits_fail_closed(void **state) {
  (void)state;
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  f_check(&F, &o, F_NOW, &res);
  EXPECT(OMS_R_RISK_NO_LIMITS, "risk", "risk: no limits installed");
  /* Limits without a field a check needs. */
  oms_risk_limits_destroy(F.lim);
  assert_int_equal(oms_risk_limits_create(&F.lim), 0);
  oms_risk_limit_t v = f_global_limits();
  oms_reject_t err;
  oms_risk_window_t all = {0x7f, 0, 1440};
  static const struct {
    uint32_t bit;
    const char *check, *text;
  } cases[] = {
      {OMS_RL_ORDER_RATE_STRATEGY, "order_rate", "strategy order rate"},
      {OMS_RL_ORDER_RATE_ACCOUNT, "order_rate", "account order rate"},
      {OMS_RL_DUPLICATE_WINDOW, "duplicate_order", "duplicate window"},
      {OMS_RL_MAX_ORDER_QTY, "max_order_size", "order quantity"},
      {OMS_RL_MAX_ORDER_NOTIONAL, "max_order_size", "order notional"},
      {OMS_RL_COLLAR_PCT | OMS_RL_COLLAR_TICKS, "price_collar", "collar"},
      {OMS_RL_MAX_REF_AGE, "price_collar", "reference price age"},
      {OMS_RL_MAX_POSITION, "max_position", "position"},
      {OMS_RL_MAX_OPEN_ORDERS_STRATEGY, "max_open_orders", "strategy open orders"},
      {OMS_RL_MAX_OPEN_ORDERS_ACCOUNT, "max_open_orders", "account open orders"},
      {OMS_RL_CREDIT_LIMIT, "credit_limit", "credit"},
      {OMS_RL_DAILY_LOSS, "daily_loss", "daily loss"},
      {OMS_RL_MAX_LEVERAGE, "leverage", "leverage"},
      {OMS_RL_MAX_MARGIN_USAGE, "margin", "margin usage"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    oms_risk_limits_t *l;
    assert_int_equal(oms_risk_limits_create(&l), 0);
    oms_risk_limit_t w = v;
    w.set &= ~cases[i].bit;
    assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &w, &err), 0);
    oms_risk_limits_symbol_list(l, "BTC-USD", true, &err);
    oms_risk_limits_hours(l, "BTC-USD", false, "UTC", &all, 1, &err);
    assert_int_equal(oms_risk_set_limits(F.risk, l, &err), 0);
    f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
    f_check(&F, &o, F_NOW, &res);
    char want[256];
    snprintf(want, sizeof want,
             "%s: no %s limit configured for BTC-USD (account ACC1, strategy s1)", cases[i].check,
             cases[i].text);
    EXPECT(OMS_R_RISK_NO_LIMITS, cases[i].check, want);
  }
}

/* ---- 15. concentration (issue 16) ---- */

static void test_concentration_in_one_instrument_counts_open_orders(void **state) {
  (void)state;
  oms_risk_limit_t v = {0};
  v.set = OMS_RL_MAX_CONCENTRATION;
  v.max_concentration = T_D("5000");
  set_scope(OMS_RISK_SCOPE_GLOBAL, NULL, &v);
  f_install(&F);
  /* valued at the reference price 100: 50 x 100 = 5000, at the limit */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "50", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "51", "100"), OMS_R_RISK_CONCENTRATION);
  EXPECT(OMS_R_RISK_CONCENTRATION, "concentration",
         "concentration: worst-case exposure 5100 to BTC-USD (long 51 at 100) exceeds limit 5000 "
         "(absolute) for account ACC1");
  oms_order_t rest;
  f_open(&F, &rest, OMS_SIDE_BUY, "30", "99");
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "21", "98"), OMS_R_RISK_CONCENTRATION);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "20", "98"), OMS_R_NONE);
  /* the other side is counted alone, never netted */
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "50", "101"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "51", "101"), OMS_R_RISK_CONCENTRATION);
  /* a child of a parent order was checked with its parent */
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "60", "100");
  o.parent_order_id = 99;
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
}

static void test_concentration_percent_of_equity_takes_the_smaller(void **state) {
  (void)state;
  oms_risk_limit_t v = {0};
  v.set = OMS_RL_MAX_CONCENTRATION | OMS_RL_MAX_CONCENTRATION_PCT;
  v.max_concentration = T_D("5000");
  v.max_concentration_pct = T_D("0.04");
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "41", "100"), OMS_R_RISK_CONCENTRATION);
  EXPECT(OMS_R_RISK_CONCENTRATION, "concentration",
         "concentration: worst-case exposure 4100 to BTC-USD (short 41 at 100) exceeds limit 4000 "
         "(the smaller of 5000 and 0.04 x equity 100000) for account ACC1");
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "40", "100"), OMS_R_NONE);
  /* an order that only reduces the position passes */
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("45"),
                                            T_D("100"), OMS_DEC_ZERO, F_NOW),
                   0);
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "45", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100"), OMS_R_RISK_CONCENTRATION);
  /* equity not positive: a percentage cannot be met (the leverage check
   * would refuse first, so concentration runs alone) */
  assert_int_equal(oms_risk_set_chain(F.risk, oms_risk_builtin("concentration"), 1), 0);
  oms_portfolio_set_cash(F.pf, "ACC1", T_D("-10000"), F_NOW);
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "46", "100"), OMS_R_RISK_CONCENTRATION);
  EXPECT(OMS_R_RISK_CONCENTRATION, "concentration",
         "concentration: equity -10000 of account ACC1 is not positive");
}

static void group(oms_risk_group_kind_t kind, const char *name, const char *amt, const char *pct) {
  static const char *const syms[] = {"BTC-USD", "ETH-USD"};
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_group(F.lim, kind, name, syms, 2, T_D(amt), T_D(pct), &err), 0);
}

static void test_concentration_in_a_group_sums_positions_and_open_orders(void **state) {
  (void)state;
  group(OMS_RISK_GROUP_SECTOR, "crypto", "8000", "0");
  oms_risk_set_reference_price(F.risk, "ETH-USD", T_D("200"), F_NOW);
  /* a position held before the limits: installing them reads it */
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "ETH-USD", OMS_SIDE_BUY, T_D("20"),
                                            T_D("200"), OMS_DEC_ZERO, F_NOW),
                   0);
  assert_int_equal(oms_risk_position_changed(F.risk, "ACC1", "ETH-USD"), 0);
  f_install(&F);
  oms_dec_t pos, open;
  assert_int_equal(
      oms_risk_group_exposure(F.risk, "ACC1", OMS_RISK_GROUP_SECTOR, "crypto", &pos, &open), 0);
  assert_int_equal(pos.raw, T_D("4000").raw);
  assert_int_equal(open.raw, 0);
  oms_order_t rest;
  f_open(&F, &rest, OMS_SIDE_BUY, "20", "100");
  assert_int_equal(
      oms_risk_group_exposure(F.risk, "ACC1", OMS_RISK_GROUP_SECTOR, "crypto", &pos, &open), 0);
  assert_int_equal(open.raw, T_D("2000").raw);
  /* 4000 + 2000 + 2000 = 8000: at the limit */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "20", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "21", "100"), OMS_R_RISK_CONCENTRATION);
  EXPECT(OMS_R_RISK_CONCENTRATION, "concentration",
         "concentration: sector group crypto exposure 8100 (positions 4000 + open orders 2000 + "
         "order 2100) exceeds limit 8000 (absolute) for account ACC1");
  /* ETH marked down to 150: the position counts 3000 */
  assert_int_equal(oms_portfolio_set_mark(F.pf, "ETH-USD", T_D("150"), F_NOW), 0);
  assert_int_equal(oms_risk_set_reference_price(F.risk, "ETH-USD", T_D("150"), F_NOW), 0);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "30", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "31", "100"), OMS_R_RISK_CONCENTRATION);
  /* a fill moves the position: the engine says so */
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "ETH-USD", OMS_SIDE_SELL, T_D("20"),
                                            T_D("150"), OMS_DEC_ZERO, F_NOW),
                   0);
  assert_int_equal(oms_risk_position_changed(F.risk, "ACC1", "ETH-USD"), 0);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "60", "100"), OMS_R_NONE);
  /* a modify is checked without the order's own reservation */
  oms_order_t bigger = rest;
  bigger.qty = T_D("80");
  assert_true(oms_risk_check_modify(F.risk, &rest, &bigger, F_NOW, &res));
  bigger.qty = T_D("81");
  assert_false(oms_risk_check_modify(F.risk, &rest, &bigger, F_NOW, &res));
  assert_int_equal(res.reject.code, OMS_R_RISK_CONCENTRATION);
  /* cancelled, the resting order no longer counts */
  oms_order_t done = rest;
  done.state = OMS_STATE_CANCELLED;
  done.leaves_qty = OMS_DEC_ZERO;
  assert_int_equal(oms_risk_order_changed(F.risk, &rest, &done), 0);
  assert_int_equal(
      oms_risk_group_exposure(F.risk, "ACC1", OMS_RISK_GROUP_SECTOR, "crypto", &pos, &open), 0);
  assert_int_equal(pos.raw, 0);
  assert_int_equal(open.raw, 0);
  assert_int_equal(
      oms_risk_group_exposure(F.risk, "ACC1", OMS_RISK_GROUP_SECTOR, "nope", &pos, &open),
      OMS_ENOTFOUND);
  assert_int_equal(oms_risk_position_changed(F.risk, NULL, "ETH-USD"), OMS_EINVAL);
}

static void test_correlated_instruments_count_as_one(void **state) {
  (void)state;
  group(OMS_RISK_GROUP_CORRELATION, "c1", "0", "0.05");
  oms_risk_set_reference_price(F.risk, "ETH-USD", T_D("200"), F_NOW);
  f_install(&F);
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "ETH-USD", OMS_SIDE_BUY, T_D("20"),
                                            T_D("200"), OMS_DEC_ZERO, F_NOW),
                   0);
  assert_int_equal(oms_risk_position_changed(F.risk, "ACC1", "ETH-USD"), 0);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "11", "100"), OMS_R_RISK_CORRELATION);
  EXPECT(OMS_R_RISK_CORRELATION, "concentration",
         "concentration: correlation group c1 exposure 5100 (positions 4000 + open orders 0 + "
         "order 1100) exceeds limit 5000 (0.05 x equity 100000) for account ACC1");
  /* a group with no limit of its own refuses nothing */
  oms_risk_limits_t *l;
  assert_int_equal(oms_risk_limits_clone(oms_risk_current_limits(F.risk), &l), 0);
  F.lim = l;
  group(OMS_RISK_GROUP_CORRELATION, "c1", "0", "0");
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "12", "100"), OMS_R_NONE);
  /* groups made anew (a risk model's, at a sample): the old ones emptied,
   * the new ones limit at once */
  assert_int_equal(oms_risk_limits_clone(oms_risk_current_limits(F.risk), &l), 0);
  F.lim = l;
  assert_int_equal(oms_risk_limits_clear_groups(l, OMS_RISK_GROUP_CORRELATION), 2);
  assert_int_equal(oms_risk_limits_clear_groups(l, OMS_RISK_GROUP_CORRELATION), 0);
  assert_int_equal(
      oms_risk_limits_group_of(l, OMS_RISK_GROUP_CORRELATION, "BTC-USD", NULL, NULL, NULL),
      OMS_ENOTFOUND);
  group(OMS_RISK_GROUP_CORRELATION, "corr.BTC-USD", "5000", "0");
  f_install(&F);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "11", "100"), OMS_R_RISK_CORRELATION);
  EXPECT(OMS_R_RISK_CORRELATION, "concentration",
         "concentration: correlation group corr.BTC-USD exposure 5100 (positions 4000 + open "
         "orders 0 + order 1100) exceeds limit 5000 (absolute) for account ACC1");
}

static void near_exposure(const oms_riskmodel_t *m, double want) {
  double got = oms_riskmodel_exposure(m, 1, 0);
  if (got < want - 1e-9 || got > want + 1e-9) fail_msg("exposure %.9f, want %.9f", got, want);
}

/* ---- 16. VaR and stress (issue 16) ---- */

/* Vols 2% (BTC) and 3% (ETH), correlation 0.5, 99%: a book long 1000 of
 * BTC has VaR 2.32635 x 1000 x 0.02 = 46.527. */
static oms_riskmodel_t *var_model(void) {
  oms_riskmodel_config_t c = {2, 4, 2, 0, 0, 0.99, 0};
  oms_riskmodel_t *m;
  assert_int_equal(oms_riskmodel_create(&c, &m), 0);
  double s[] = {4e-4, 3e-4, 3e-4, 9e-4}, crash[] = {-0.4, -0.4};
  assert_int_equal(oms_riskmodel_set_cov(m, s, NULL), 0);
  assert_int_equal(oms_riskmodel_set_scenario(m, 0, "crash", crash), 0);
  return m;
}

static void test_var_and_stress_limits_with_a_model(void **state) {
  (void)state;
  oms_riskmodel_t *m = var_model();
  static const char *const syms[] = {"BTC-USD", "ETH-USD"};
  oms_risk_limit_t v = {0};
  v.set = OMS_RL_MAX_VAR | OMS_RL_MAX_STRESS_LOSS;
  v.max_var = T_D("50");
  v.max_stress_loss = T_D("1000");
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v);
  f_install(&F);
  /* no model yet: a VaR limit cannot be met */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100"), OMS_R_RISK_VAR);
  EXPECT(OMS_R_RISK_VAR, "var_stress", "var_stress: no risk model for BTC-USD (account ACC1)");
  oms_order_t rest;
  f_open(&F, &rest, OMS_SIDE_BUY, "5", "100"); /* in the model as if filled: 500 */
  assert_int_equal(oms_risk_set_model(F.risk, m, syms, 2), 0);
  near_exposure(m, 500);
  /* 500 + 500 = 1000: VaR 46.53; 500 + 600: 51.18 > 50 */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "5", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "6", "100"), OMS_R_RISK_VAR);
  EXPECT(OMS_R_RISK_VAR, "var_stress",
         "var_stress: VaR of account ACC1 would be 51.17965323 (from 23.26347875) above limit "
         "50");
  /* a sell lowers it: passes */
  assert_int_equal(check(OMS_SIDE_SELL, OMS_ORD_LIMIT, "5", "101"), OMS_R_NONE);
  /* stress: crash -40% on 500 + 2000 of ETH = 1000 at the limit; 2020 above */
  oms_risk_set_reference_price(F.risk, "ETH-USD", T_D("200"), F_NOW);
  v.set = OMS_RL_MAX_STRESS_LOSS;
  oms_risk_limits_t *l;
  assert_int_equal(oms_risk_limits_clone(oms_risk_current_limits(F.risk), &l), 0);
  F.lim = l;
  oms_risk_limit_t big = {.set = OMS_RL_MAX_VAR, .max_var = T_D("1000000")};
  set_scope(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &big);
  f_install(&F);
  oms_order_t eth;
  f_order(&F, &eth, OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "200");
  strcpy(eth.symbol, "ETH-USD");
  assert_int_equal(f_check(&F, &eth, F_NOW, &res), OMS_R_NONE);
  f_order(&F, &eth, OMS_SIDE_BUY, OMS_ORD_LIMIT, "10.1", "200");
  strcpy(eth.symbol, "ETH-USD");
  assert_int_equal(f_check(&F, &eth, F_NOW, &res), OMS_R_RISK_STRESS);
  EXPECT(OMS_R_RISK_STRESS, "var_stress",
         "var_stress: loss of account ACC1 under scenario crash would be 1008 above limit 1000");
  /* a fill moves the position into the model, the order out of it */
  assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("5"),
                                            T_D("100"), OMS_DEC_ZERO, F_NOW),
                   0);
  oms_order_t done = rest;
  done.state = OMS_STATE_FILLED;
  done.filled_qty = done.qty;
  done.leaves_qty = OMS_DEC_ZERO;
  assert_int_equal(oms_risk_order_changed(F.risk, &rest, &done), 0);
  assert_int_equal(oms_risk_position_changed(F.risk, "ACC1", "BTC-USD"), 0);
  near_exposure(m, 500);
  /* the firm's VaR, at global scope only */
  assert_int_equal(oms_risk_limits_clone(oms_risk_current_limits(F.risk), &l), 0);
  F.lim = l;
  oms_risk_limit_t firm = {.set = OMS_RL_MAX_VAR_FIRM, .max_var_firm = T_D("40")};
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_set(F.lim, OMS_RISK_SCOPE_ACCOUNT, "ACC1", &firm, &err),
                   OMS_EINVAL);
  set_scope(OMS_RISK_SCOPE_GLOBAL, NULL, &firm);
  f_install(&F);
  /* 800: 37.22, at most 40; 900: 2.32635 x 18 = 41.87 */
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "3", "100"), OMS_R_NONE);
  assert_int_equal(check(OMS_SIDE_BUY, OMS_ORD_LIMIT, "4", "100"), OMS_R_RISK_VAR);
  EXPECT(OMS_R_RISK_VAR, "var_stress",
         "var_stress: VaR of the firm would be 41.87426174 (from 23.26347875) above limit 40");
  assert_int_equal(oms_risk_model_book(F.risk, NULL), 0);
  assert_true(oms_risk_model_book(F.risk, "ACC1") > 0);
  assert_int_equal(oms_risk_model_book(F.risk, "NOPE"), -1);
  /* attached again, as a model loaded at start that holds books already:
   * the books are entered once, not on top of what they held */
  assert_int_equal(oms_risk_set_model(F.risk, m, syms, 2), 0);
  near_exposure(m, 500);
  /* reference prices are the model's prices: BTC 100 -> 110 is a 10% return
   * at the next sample, S_00 = 0.94 x 4e-4 + 0.06 x 0.1^2 */
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("100"), F_NOW);
  oms_riskmodel_sample(m);
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("110"), F_NOW);
  oms_riskmodel_sample(m);
  assert_true(fabs(oms_riskmodel_cov(m, 0, 0) - 9.76e-4) < 1e-12);
  assert_true(fabs(oms_riskmodel_cov(m, 1, 1) - 0.94 * 9e-4) < 1e-12);
  assert_int_equal(oms_risk_set_model(F.risk, NULL, NULL, 0), 0);
  assert_int_equal(oms_risk_model_book(F.risk, NULL), -1);
  assert_int_equal(oms_risk_set_model(F.risk, m, syms, 3), OMS_EINVAL);
  oms_riskmodel_destroy(m);
}

/* The checks' own formatter writes what vsnprintf would, cut where it
 * would: strings, unsigned, int and long long with padded widths, and
 * what it does not handle itself (a precision, %%) through vsnprintf. */
static void __attribute__((format(printf, 2, 3))) want_of(char *want, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(want, OMS_REASON_MAX + 1, fmt, ap);
  va_end(ap);
}

static void test_refusal_text_formatter(void **state) {
  (void)state;
  oms_reject_t r;
  char want[OMS_REASON_MAX + 1], big[400];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
#define SAME(...)                                                                                  \
  do {                                                                                             \
    want_of(want, __VA_ARGS__);                                                                    \
    assert_int_equal(oms__risk_reject(&r, OMS_R_RISK_THROTTLE, __VA_ARGS__), OMS_R_RISK_THROTTLE); \
    assert_int_equal(r.code, OMS_R_RISK_THROTTLE);                                                 \
    assert_string_equal(r.text, want);                                                             \
  } while (0)
  SAME("plain text, no conversion");
  SAME("%s: %u orders in %lld ms (limit %u)", "order_rate", 7u, (long long)-1000, 0u);
  SAME("closed at %s %02d:%02d %s", "Mon", 9, 5, "America/New_York");
  SAME("[%3d] [%03d] [%02d] [%5lld] [%d]", -5, -5, 123, (long long)-42, -2147483647 - 1);
  SAME("%llu %lld", 18446744073709551615ull, (long long)INT64_MIN);
  SAME("100%% sure at %.2s", "abc");
  SAME("%s and %s", big, "cut");
  SAME("%s%s%s", "a", big + 250, "b");
  SAME("%s", "");
#undef SAME
}

/* oms__notional's own product for a whole quantity at multiplier 1 gives
 * what oms_notional gives, overflow included, and the memo repeats it. */
static void test_notional_memo_is_oms_notional(void **state) {
  (void)state;
  static const int64_t qs[] = {0,
                               OMS_DEC_SCALE,
                               -OMS_DEC_SCALE,
                               7 * OMS_DEC_SCALE,
                               -92233720368 * OMS_DEC_SCALE,
                               92233720368 * OMS_DEC_SCALE,
                               OMS_DEC_SCALE / 2,
                               INT64_MAX,
                               -INT64_MAX,
                               INT64_MIN,
                               3 * OMS_DEC_SCALE + 1};
  static const int64_t pxs[] = {0,         1,          -1,        OMS_DEC_SCALE, 12345678901,
                                INT64_MAX, -INT64_MAX, INT64_MIN, 100000001,     -100000001};
  static const int64_t mults[] = {0, OMS_DEC_SCALE, 2 * OMS_DEC_SCALE, OMS_DEC_SCALE / 4};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
    for (size_t j = 0; j < sizeof pxs / sizeof pxs[0]; j++)
      for (size_t k = 0; k < sizeof mults / sizeof mults[0]; k++)
        for (int again = 0; again < 2; again++) {
          oms_dec_t q = oms_dec_from_raw(qs[i]), px = oms_dec_from_raw(pxs[j]),
                    m = oms_dec_from_raw(mults[k]), want = {0}, got = {0};
          int rc = oms_notional(q, px, m, &want);
          assert_int_equal(oms__notional(F.risk, q, px, m, &got), rc);
          if (rc == 0) assert_int_equal(got.raw, want.raw);
        }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_notional_memo_is_oms_notional),
      T(test_concentration_in_one_instrument_counts_open_orders),
      T(test_concentration_percent_of_equity_takes_the_smaller),
      T(test_concentration_in_a_group_sums_positions_and_open_orders),
      T(test_correlated_instruments_count_as_one),
      T(test_var_and_stress_limits_with_a_model),
      T(test_plain_order_passes_every_check),
      T(test_max_order_qty_boundary),
      T(test_max_order_notional_boundary),
      T(test_market_order_without_reference_cannot_be_valued),
      T(test_collar_percentage_boundary),
      T(test_collar_ticks_widen_the_band),
      T(test_collar_checks_stop_prices),
      T(test_reference_price_missing_or_stale),
      T(test_max_position_counts_open_buys),
      T(test_max_position_short_side_with_position),
      T(test_a_child_passes_exposure_but_not_per_order_rules),
      T(test_max_open_orders_per_strategy),
      T(test_max_open_orders_per_account),
      T(test_credit_limit_boundary),
      T(test_daily_loss_boundary_and_switch),
      T(test_daily_loss_can_halt),
      T(test_leverage_boundary),
      T(test_leverage_counts_positions_and_lets_reductions_pass),
      T(test_leverage_needs_positive_equity),
      T(test_margin_boundary),
      T(test_margin_needs_known_symbol_and_equity),
      T(test_symbol_whitelist_and_restricted_list),
      T(test_trading_hours_in_new_york),
      T(test_trading_hours_remembered_for_one_second),
      T(test_trading_hours_missing_is_refused),
      T(test_order_rate_sliding_window),
      T(test_order_rate_per_account),
      T(test_cancel_budget_is_separate),
      T(test_duplicate_order_window),
      T(test_duplicate_guard_forgets_oldest_when_full),
      T(test_self_trade_against_own_resting_orders),
      T(test_kill_switch_states),
      T(test_reduce_only_instruction),
      T(test_missing_limits_fail_closed),
      T(test_refusal_text_formatter),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
