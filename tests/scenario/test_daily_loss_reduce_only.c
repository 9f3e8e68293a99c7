/* Scenario: an account loses more than its daily loss limit as the market
 * falls; the breach switches it to REDUCE_ONLY (reported through the state
 * callback), after which orders that add risk are refused and orders that
 * reduce the position still pass, until an operator reactivates it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../unit/risk/risk_fixture.h"

static void market(fixture_t *f, const char *px, int64_t t) {
  assert_int_equal(oms_portfolio_set_mark(f->pf, "BTC-USD", T_D(px), t), 0);
  assert_int_equal(oms_risk_set_reference_price(f->risk, "BTC-USD", T_D(px), t), 0);
}

static void test_daily_loss_breach_switches_account_to_reduce_only(void **state) {
  (void)state;
  fixture_t f;
  assert_int_equal(f_setup(&f), 0);
  f_install(&f);
  oms_risk_result_t res;
  oms_order_t o;
  int64_t t = F_NOW;

  /* 09:00 buy 50 @ 100, filled; the OMS tells risk and portfolio. */
  f_order(&f, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "50", "100");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_NONE);
  assert_int_equal(oms_risk_order_opened(f.risk, &o), 0);
  oms_order_t before = o;
  oms_ord_change_t ch = {.event = OMS_EV_SUBMIT, .ts_ns = t};
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  ch.event = OMS_EV_ACCEPT;
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  ch = (oms_ord_change_t){
      .event = OMS_EV_FILL, .ts_ns = t, .fill_qty = T_D("50"), .fill_px = T_D("100")};
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  assert_int_equal(oms_risk_order_changed(f.risk, &before, &o), 0);
  assert_int_equal(oms_portfolio_apply_fill(f.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("50"),
                                            T_D("100"), T_D("5"), t),
                   0);
  assert_false(oms_risk_evaluate_account(f.risk, "ACC1", t));

  /* The market falls: 100 -> 90 is a loss of 500 + 5 fees: within 1000. */
  t += 60 * F_SEC;
  market(&f, "90", t);
  assert_false(oms_risk_evaluate_account(f.risk, "ACC1", t));
  assert_int_equal(f.states, 0);
  /* 80.5: loss 975 + 5 = 980; still fine, and it may still add. */
  t += 60 * F_SEC;
  market(&f, "80.5", t);
  assert_false(oms_risk_evaluate_account(f.risk, "ACC1", t));
  f_order(&f, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "80.5");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_NONE);
  /* 80: loss 1000 + 5 = 1005 > 1000: breach on the mark update. */
  t += 60 * F_SEC;
  market(&f, "80", t);
  assert_true(oms_risk_evaluate_account(f.risk, "ACC1", t));
  assert_int_equal(f.states, 1);
  assert_int_equal(f.last_scope, OMS_RISK_SCOPE_ACCOUNT);
  assert_string_equal(f.last_id, "ACC1");
  assert_int_equal(f.last_from, OMS_TRADING_ACTIVE);
  assert_int_equal(f.last_to, OMS_TRADING_REDUCE_ONLY);
  assert_string_equal(f.last_reason, "daily loss limit breached: daily PnL -1005, limit 1000");

  /* Adding risk is refused, and the kill switch says why. */
  f_order(&f, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "80");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_RISK_REDUCE_ONLY);
  assert_string_equal(res.check, "kill_switch");
  assert_string_equal(res.reject.text,
                      "kill_switch: reduce-only (account): BUY 1 BTC-USD does not reduce "
                      "position 50 of account ACC1");
  /* Selling more than the position would flip it short: refused. */
  f_order(&f, &o, OMS_SIDE_SELL, OMS_ORD_LIMIT, "50.001", "80");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_RISK_REDUCE_ONLY);
  /* Reducing passes: sell 30, working; then 20 more is still a reduction,
   * but 20.001 is not (30 already working on the sell side). */
  f_order(&f, &o, OMS_SIDE_SELL, OMS_ORD_LIMIT, "30", "80");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_NONE);
  assert_int_equal(oms_risk_order_opened(f.risk, &o), 0);
  oms_order_t resting = o;
  f_order(&f, &o, OMS_SIDE_SELL, OMS_ORD_LIMIT, "20.001", "80");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_RISK_REDUCE_ONLY);
  f_order(&f, &o, OMS_SIDE_SELL, OMS_ORD_LIMIT, "20", "80.5");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_NONE);
  /* Cancels are never blocked. */
  assert_true(oms_risk_check_cancel(f.risk, &o, t, &res));

  /* The state stays until an operator lifts it (the core persists it). */
  t += 3600 * F_SEC;
  market(&f, "85", t);
  assert_int_equal(oms_risk_get_state(f.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1"),
                   OMS_TRADING_REDUCE_ONLY);
  assert_int_equal(oms_risk_set_state(f.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_ACTIVE,
                                      "risk manager", t),
                   0);
  assert_int_equal(f.states, 2);
  /* Buying now would trade against our own resting sell at 80... */
  f_order(&f, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "85");
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_RISK_SELF_TRADE);
  /* ...until it is cancelled. */
  oms_order_t done = resting;
  done.state = OMS_STATE_CANCELLED;
  done.leaves_qty = OMS_DEC_ZERO;
  assert_int_equal(oms_risk_order_changed(f.risk, &resting, &done), 0);
  assert_int_equal(f_check(&f, &o, t, &res), OMS_R_NONE);
  f_teardown(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_daily_loss_breach_switches_account_to_reduce_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
