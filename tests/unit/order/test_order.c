/* Tests for src/order/order.c: enum names both ways, instrument checks, and
 * every request validation rule with its code and reason text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oms_test.h"

#define NOW INT64_C(1700000000000000000)

static oms_instrument_t ins;
static oms_order_request_t req;
static oms_reject_t rej;

static int setup(void **state) {
  (void)state;
  t_instrument(&ins, "BTC-USD");
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1.5", "65000.5");
  memset(&rej, 0, sizeof rej);
  return 0;
}

static oms_reason_t validate(void) { return oms_request_validate(&req, &ins, NOW, &rej); }

static void test_enum_names_round_trip(void **state) {
  (void)state;
  for (int s = 0; s < OMS_STATE_COUNT; s++) {
    oms_ord_state_t back;
    assert_int_equal(oms_ord_state_parse(oms_ord_state_str((oms_ord_state_t)s), &back), 0);
    assert_int_equal(back, s);
  }
  for (int e = 0; e < OMS_EV_COUNT; e++) {
    oms_ord_event_t back;
    assert_int_equal(oms_ord_event_parse(oms_ord_event_str((oms_ord_event_t)e), &back), 0);
    assert_int_equal(back, e);
  }
  oms_side_t side;
  assert_int_equal(oms_side_parse("SELL", &side), 0);
  assert_int_equal(side, OMS_SIDE_SELL);
  assert_int_equal(oms_side_parse("sell", &side), OMS_ENOTFOUND);
  assert_int_equal(oms_side_parse(NULL, &side), OMS_ENOTFOUND);
  oms_ord_type_t type;
  assert_int_equal(oms_ord_type_parse("STOP_LIMIT", &type), 0);
  assert_int_equal(type, OMS_ORD_STOP_LIMIT);
  oms_tif_t tif;
  assert_int_equal(oms_tif_parse("GTD", &tif), 0);
  assert_int_equal(tif, OMS_TIF_GTD);
  assert_int_equal(oms_tif_parse("", &tif), OMS_ENOTFOUND);
  assert_string_equal(oms_side_str(OMS_SIDE_BUY), "BUY");
  assert_string_equal(oms_side_str((oms_side_t)9), "UNKNOWN");
  assert_string_equal(oms_side_str((oms_side_t)0), "UNKNOWN");
  assert_string_equal(oms_ord_type_str(OMS_ORD_MARKET), "MARKET");
  assert_string_equal(oms_tif_str(OMS_TIF_IOC), "IOC");
  assert_string_equal(oms_ord_state_str(OMS_STATE_COUNT), "UNKNOWN");
  assert_string_equal(oms_ord_event_str((oms_ord_event_t)-1), "UNKNOWN");
}

static void test_terminal_and_working_states(void **state) {
  (void)state;
  int terminal = 0, working = 0;
  for (int s = 0; s < OMS_STATE_COUNT; s++) {
    terminal += oms_ord_state_is_terminal((oms_ord_state_t)s);
    working += oms_ord_state_is_working((oms_ord_state_t)s);
    assert_false(oms_ord_state_is_terminal((oms_ord_state_t)s) &&
                 oms_ord_state_is_working((oms_ord_state_t)s));
  }
  assert_int_equal(terminal, 4);
  assert_int_equal(working, 6);
  assert_false(oms_ord_state_is_working(OMS_STATE_PENDING));
}

static void test_valid_limit_order_passes(void **state) {
  (void)state;
  assert_int_equal(validate(), OMS_R_NONE);
  assert_int_equal(rej.code, OMS_R_NONE);
  assert_string_equal(rej.text, "");
}

static void test_identifiers_are_checked(void **state) {
  (void)state;
  strcpy(req.client_order_id, "");
  assert_int_equal(validate(), OMS_R_BAD_ID);
  assert_non_null(strstr(rej.text, "client_order_id"));
  strcpy(req.client_order_id, "has space");
  assert_int_equal(validate(), OMS_R_BAD_ID);
  memset(req.client_order_id, 'a', sizeof req.client_order_id); /* no NUL */
  assert_int_equal(validate(), OMS_R_BAD_ID);
  memset(req.client_order_id, 'a', OMS_ID_MAX);
  req.client_order_id[OMS_ID_MAX] = 0; /* exactly the maximum length */
  assert_int_equal(validate(), OMS_R_NONE);
  strcpy(req.strategy_id, "s;1");
  assert_int_equal(validate(), OMS_R_BAD_ID);
  assert_non_null(strstr(rej.text, "strategy_id"));
  strcpy(req.strategy_id, "s1");
  strcpy(req.account_id, "");
  assert_int_equal(validate(), OMS_R_BAD_ID);
  strcpy(req.account_id, "ACC1");
  strcpy(req.symbol, "BTC USD");
  assert_int_equal(validate(), OMS_R_BAD_ID);
  strcpy(req.symbol, "BTC-USD");
  strcpy(req.venue, "");
  assert_int_equal(validate(), OMS_R_BAD_ID);
  strcpy(req.venue, "SIM");
  memset(req.metadata, 'm', sizeof req.metadata);
  assert_int_equal(validate(), OMS_R_METADATA_TOO_LONG);
  assert_true(oms_id_valid("a.b_c:d@e/f-1", OMS_ID_MAX));
  assert_false(oms_id_valid("abc", 2));
}

static void test_enums_are_checked(void **state) {
  (void)state;
  req.side = (oms_side_t)3;
  assert_int_equal(validate(), OMS_R_BAD_ENUM);
  req.side = OMS_SIDE_BUY;
  req.type = (oms_ord_type_t)0;
  assert_int_equal(validate(), OMS_R_BAD_ENUM);
  req.type = OMS_ORD_LIMIT;
  req.tif = (oms_tif_t)6;
  assert_int_equal(validate(), OMS_R_BAD_ENUM);
  req.tif = OMS_TIF_GTC;
  req.instructions = 0x80;
  assert_int_equal(validate(), OMS_R_BAD_ENUM);
}

static void test_quantity_must_be_positive(void **state) {
  (void)state;
  req.qty = T_D("0");
  assert_int_equal(validate(), OMS_R_QTY_NOT_POSITIVE);
  assert_string_equal(rej.text, "quantity 0 must be positive");
  req.qty = T_D("-1");
  assert_int_equal(validate(), OMS_R_QTY_NOT_POSITIVE);
}

static void test_price_rules_by_order_type(void **state) {
  (void)state;
  req.price = T_D("0");
  assert_int_equal(validate(), OMS_R_PRICE_REQUIRED);
  assert_string_equal(rej.text, "LIMIT order needs a price");
  req.price = T_D("-5");
  assert_int_equal(validate(), OMS_R_PRICE_NOT_POSITIVE);
  req.type = OMS_ORD_MARKET;
  req.price = T_D("100");
  assert_int_equal(validate(), OMS_R_PRICE_FORBIDDEN);
  req.price = T_D("0");
  assert_int_equal(validate(), OMS_R_NONE);
  req.tif = OMS_TIF_GTD;
  req.expire_ns = NOW + 1;
  assert_int_equal(validate(), OMS_R_MARKET_TIF);
}

static void test_stop_price_rules(void **state) {
  (void)state;
  req.type = OMS_ORD_STOP;
  req.price = T_D("0");
  assert_int_equal(validate(), OMS_R_STOP_REQUIRED);
  req.stop_price = T_D("-1");
  assert_int_equal(validate(), OMS_R_PRICE_NOT_POSITIVE);
  req.stop_price = T_D("66000");
  assert_int_equal(validate(), OMS_R_NONE);
  req.type = OMS_ORD_LIMIT;
  req.price = T_D("65000");
  assert_int_equal(validate(), OMS_R_STOP_FORBIDDEN);
  /* A buy stop-limit's limit may not be below its stop. */
  req.type = OMS_ORD_STOP_LIMIT;
  req.price = T_D("65999.5");
  assert_int_equal(validate(), OMS_R_STOP_WRONG_SIDE);
  assert_string_equal(rej.text,
                      "BUY stop-limit: limit price 65999.5 is below the stop price 66000");
  req.price = T_D("66000");
  assert_int_equal(validate(), OMS_R_NONE);
  req.side = OMS_SIDE_SELL;
  req.price = T_D("66000.5");
  assert_int_equal(validate(), OMS_R_STOP_WRONG_SIDE);
  req.price = T_D("65000");
  assert_int_equal(validate(), OMS_R_NONE);
  req.stop_price = T_D("66000.3");
  assert_int_equal(validate(), OMS_R_TICK_SIZE);
  assert_non_null(strstr(rej.text, "stop price 66000.3"));
}

static void test_post_only_rules(void **state) {
  (void)state;
  req.instructions = OMS_INST_POST_ONLY;
  assert_int_equal(validate(), OMS_R_NONE);
  req.tif = OMS_TIF_IOC;
  assert_int_equal(validate(), OMS_R_POST_ONLY_TIF);
  req.tif = OMS_TIF_FOK;
  assert_int_equal(validate(), OMS_R_POST_ONLY_TIF);
  req.tif = OMS_TIF_GTC;
  req.type = OMS_ORD_MARKET;
  req.price = T_D("0");
  assert_int_equal(validate(), OMS_R_POST_ONLY_NOT_LIMIT);
  req.instructions = OMS_INST_REDUCE_ONLY;
  assert_int_equal(validate(), OMS_R_NONE);
}

static void test_gtd_needs_a_future_expiry(void **state) {
  (void)state;
  req.tif = OMS_TIF_GTD;
  assert_int_equal(validate(), OMS_R_EXPIRY_REQUIRED);
  req.expire_ns = NOW;
  assert_int_equal(validate(), OMS_R_EXPIRY_PAST);
  req.expire_ns = NOW + 1;
  assert_int_equal(validate(), OMS_R_NONE);
  req.tif = OMS_TIF_DAY;
  assert_int_equal(validate(), OMS_R_EXPIRY_FORBIDDEN);
}

static void test_instrument_must_match(void **state) {
  (void)state;
  assert_int_equal(oms_request_validate(&req, NULL, NOW, &rej), OMS_R_UNKNOWN_INSTRUMENT);
  strcpy(req.symbol, "ETH-USD");
  assert_int_equal(validate(), OMS_R_UNKNOWN_INSTRUMENT);
  assert_string_equal(rej.text, "unknown instrument ETH-USD on venue SIM");
  strcpy(req.symbol, "BTC-USD");
  strcpy(req.venue, "OTHER");
  assert_int_equal(validate(), OMS_R_UNKNOWN_INSTRUMENT);
}

static void test_tick_and_lot_conformance(void **state) {
  (void)state;
  req.price = T_D("65000.3");
  assert_int_equal(validate(), OMS_R_TICK_SIZE);
  assert_string_equal(rej.text, "price 65000.3 is not a multiple of tick 0.5 for BTC-USD");
  req.price = T_D("65000");
  req.qty = T_D("1.0005");
  assert_int_equal(validate(), OMS_R_LOT_SIZE);
  assert_string_equal(rej.text, "quantity 1.0005 is not a multiple of lot 0.001 for BTC-USD");
}

static void test_min_max_quantity_and_notional_boundaries(void **state) {
  (void)state;
  ins.min_qty = T_D("0.01");
  req.price = T_D("100000");
  req.qty = T_D("0.01"); /* equal to the minimum passes */
  assert_int_equal(validate(), OMS_R_NONE);
  req.qty = T_D("0.009"); /* one lot under fails */
  assert_int_equal(validate(), OMS_R_MIN_QTY);
  req.qty = T_D("1000");
  assert_int_equal(validate(), OMS_R_NONE);
  req.qty = T_D("1000.001");
  assert_int_equal(validate(), OMS_R_MAX_QTY);
  assert_string_equal(rej.text, "quantity 1000.001 above maximum 1000 for BTC-USD");
  /* notional: 0.02 * 500 = 10 passes; 0.02 * 499.5 = 9.99 fails */
  req.qty = T_D("0.02");
  req.price = T_D("500");
  assert_int_equal(validate(), OMS_R_NONE);
  req.price = T_D("499.5");
  assert_int_equal(validate(), OMS_R_MIN_NOTIONAL);
  assert_string_equal(rej.text, "notional 9.99 below minimum 10 for BTC-USD");
  /* with a multiplier */
  ins.multiplier = T_D("10");
  assert_int_equal(validate(), OMS_R_NONE);
  /* overflow of the notional is a clear refusal, not a wrap */
  ins.max_qty = T_D("0");
  req.qty = T_D("90000000000");
  req.price = T_D("90000000000");
  assert_int_equal(validate(), OMS_R_NOTIONAL_OVERFLOW);
}

static void test_instrument_check(void **state) {
  (void)state;
  assert_int_equal(oms_instrument_check(&ins, &rej), 0);
  oms_instrument_t bad = ins;
  bad.tick_size = T_D("0");
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  bad = ins;
  bad.min_qty = T_D("2000");
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  bad = ins;
  bad.price_precision = 9;
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  bad = ins;
  bad.symbol[0] = 0;
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
}

static void test_order_init_copies_request_in_pending(void **state) {
  (void)state;
  strcpy(req.metadata, "algo=twap");
  oms_order_t o;
  oms_order_init(&o, 7, &req, NOW);
  assert_int_equal(o.order_id, 7);
  assert_int_equal(o.state, OMS_STATE_PENDING);
  assert_string_equal(o.client_order_id, "c1");
  assert_string_equal(o.metadata, "algo=twap");
  assert_true(oms_dec_eq(o.leaves_qty, req.qty));
  assert_int_equal(o.created_ns, NOW);
  assert_int_equal(o.audit_count, 0);
  assert_true(oms_order_check(&o));
}

static void test_strlcpy_and_notional(void **state) {
  (void)state;
  char buf[4];
  assert_int_equal(oms_strlcpy(buf, "abc", sizeof buf), 0);
  assert_string_equal(buf, "abc");
  assert_int_equal(oms_strlcpy(buf, "abcd", sizeof buf), OMS_ENOSPC);
  assert_string_equal(buf, "");
  oms_dec_t n;
  assert_int_equal(oms_notional(T_D("2"), T_D("3.5"), T_D("0"), &n), 0);
  assert_true(oms_dec_eq(n, T_D("7")));
  assert_int_equal(oms_notional(T_D("2"), T_D("3.5"), T_D("100"), &n), 0);
  assert_true(oms_dec_eq(n, T_D("700")));
  assert_int_equal(oms_notional(T_D("90000"), T_D("90000000"), T_D("1"), &n), OMS_EOVERFLOW);
  assert_int_equal(oms_notional(T_D("90000"), T_D("900000"), T_D("1000"), &n), OMS_EOVERFLOW);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enum_names_round_trip),
      cmocka_unit_test(test_terminal_and_working_states),
      cmocka_unit_test_setup(test_valid_limit_order_passes, setup),
      cmocka_unit_test_setup(test_identifiers_are_checked, setup),
      cmocka_unit_test_setup(test_enums_are_checked, setup),
      cmocka_unit_test_setup(test_quantity_must_be_positive, setup),
      cmocka_unit_test_setup(test_price_rules_by_order_type, setup),
      cmocka_unit_test_setup(test_stop_price_rules, setup),
      cmocka_unit_test_setup(test_post_only_rules, setup),
      cmocka_unit_test_setup(test_gtd_needs_a_future_expiry, setup),
      cmocka_unit_test_setup(test_instrument_must_match, setup),
      cmocka_unit_test_setup(test_tick_and_lot_conformance, setup),
      cmocka_unit_test_setup(test_min_max_quantity_and_notional_boundaries, setup),
      cmocka_unit_test_setup(test_instrument_check, setup),
      cmocka_unit_test_setup(test_order_init_copies_request_in_pending, setup),
      cmocka_unit_test_setup(test_strlcpy_and_notional, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
