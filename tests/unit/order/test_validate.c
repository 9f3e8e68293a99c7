/* Tests for src/order/validate.c: every request validation rule with its
 * code and exact reason text, the order in which the rules are checked, and
 * the instrument record check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oms_test.h"
#include "order/order_internal.h"

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

/* The request is refused with exactly this code and text, and the return
 * value agrees with the reject record. */
static void expect(oms_reason_t code, const char *text) {
  assert_int_equal(validate(), code);
  assert_int_equal(rej.code, code);
  assert_string_equal(rej.text, text);
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

static void test_every_rule_has_its_exact_text(void **state) {
  (void)state;
  oms_order_request_t ok = req;
  strcpy(req.client_order_id, "a b");
  expect(OMS_R_BAD_ID, "client_order_id must be 1..63 characters of [A-Za-z0-9._:@/-]");
  req = ok;
  strcpy(req.strategy_id, "");
  expect(OMS_R_BAD_ID, "strategy_id must be 1..63 characters of [A-Za-z0-9._:@/-]");
  req = ok;
  strcpy(req.account_id, "a;b");
  expect(OMS_R_BAD_ID, "account_id must be 1..63 characters of [A-Za-z0-9._:@/-]");
  req = ok;
  strcpy(req.symbol, "");
  expect(OMS_R_BAD_ID, "symbol must be 1..31 characters of [A-Za-z0-9._:@/-]");
  req = ok;
  memset(req.venue, 'V', sizeof req.venue);
  expect(OMS_R_BAD_ID, "venue must be 1..15 characters of [A-Za-z0-9._:@/-]");
  req = ok;
  memset(req.metadata, 'm', sizeof req.metadata);
  expect(OMS_R_METADATA_TOO_LONG, "metadata longer than 255 bytes");
  req = ok;
  req.side = (oms_side_t)0;
  expect(OMS_R_BAD_ENUM, "unknown side 0");
  req = ok;
  req.type = (oms_ord_type_t)5;
  expect(OMS_R_BAD_ENUM, "unknown order type 5");
  req = ok;
  req.tif = (oms_tif_t)0;
  expect(OMS_R_BAD_ENUM, "unknown time in force 0");
  req = ok;
  req.instructions = 0x84;
  expect(OMS_R_BAD_ENUM, "unknown instructions 0x84");
  req = ok;
  req.qty = T_D("-2.5");
  expect(OMS_R_QTY_NOT_POSITIVE, "quantity -2.5 must be positive");
  req = ok;
  req.price = T_D("0");
  expect(OMS_R_PRICE_REQUIRED, "LIMIT order needs a price");
  req.price = T_D("-0.5");
  expect(OMS_R_PRICE_NOT_POSITIVE, "price -0.5 must be positive");
  req.type = OMS_ORD_STOP;
  req.stop_price = T_D("1");
  expect(OMS_R_PRICE_FORBIDDEN, "STOP order must not carry a price");
  req.price = T_D("0");
  req.stop_price = T_D("0");
  expect(OMS_R_STOP_REQUIRED, "STOP order needs a stop price");
  req.stop_price = T_D("-3");
  expect(OMS_R_PRICE_NOT_POSITIVE, "stop price -3 must be positive");
  req.type = OMS_ORD_STOP_LIMIT;
  req.side = OMS_SIDE_SELL;
  req.stop_price = T_D("100");
  req.price = T_D("100.5");
  expect(OMS_R_STOP_WRONG_SIDE, "SELL stop-limit: limit price 100.5 is above the stop price 100");
  req = ok;
  req.stop_price = T_D("1");
  expect(OMS_R_STOP_FORBIDDEN, "LIMIT order must not carry a stop price");
  req = ok;
  req.instructions = OMS_INST_POST_ONLY;
  req.type = OMS_ORD_STOP_LIMIT;
  req.stop_price = T_D("65000");
  expect(OMS_R_POST_ONLY_NOT_LIMIT, "post-only on a STOP_LIMIT order");
  req = ok;
  req.instructions = OMS_INST_POST_ONLY;
  req.tif = OMS_TIF_IOC;
  expect(OMS_R_POST_ONLY_TIF, "post-only with IOC");
  req = ok;
  req.type = OMS_ORD_MARKET;
  req.price = T_D("0");
  req.tif = OMS_TIF_GTD;
  expect(OMS_R_MARKET_TIF, "market order with GTD");
  req = ok;
  req.tif = OMS_TIF_GTD;
  expect(OMS_R_EXPIRY_REQUIRED, "GTD needs an expiry");
  req.expire_ns = NOW - 1;
  expect(OMS_R_EXPIRY_PAST,
         "expiry 1699999999999999999 ns is not after now 1700000000000000000 ns");
  req.tif = OMS_TIF_IOC;
  expect(OMS_R_EXPIRY_FORBIDDEN, "expiry given with IOC");
  req = ok;
  strcpy(req.venue, "X");
  expect(OMS_R_UNKNOWN_INSTRUMENT, "unknown instrument BTC-USD on venue X");
  req = ok;
  req.type = OMS_ORD_STOP;
  req.price = T_D("0");
  req.stop_price = T_D("65000.25");
  expect(OMS_R_TICK_SIZE, "stop price 65000.25 is not a multiple of tick 0.5 for BTC-USD");
  req = ok;
  req.qty = T_D("0.002");
  ins.min_qty = T_D("0.003");
  expect(OMS_R_MIN_QTY, "quantity 0.002 below minimum 0.003 for BTC-USD");
  ins.min_qty = T_D("0");
  req.qty = T_D("90000000000");
  ins.max_qty = T_D("0");
  expect(OMS_R_NOTIONAL_OVERFLOW, "notional of BTC-USD out of range");
}

/* Each request below breaks two rules; the one checked first decides, so a
 * given bad request always gets the same reason. */
static void test_the_first_broken_rule_decides(void **state) {
  (void)state;
  oms_order_request_t ok = req;
  strcpy(req.account_id, "");
  memset(req.metadata, 'm', sizeof req.metadata);
  assert_int_equal(validate(), OMS_R_BAD_ID);
  req = ok;
  memset(req.metadata, 'm', sizeof req.metadata);
  req.side = (oms_side_t)7;
  assert_int_equal(validate(), OMS_R_METADATA_TOO_LONG);
  req = ok;
  req.instructions = 0x100;
  req.qty = T_D("0");
  assert_int_equal(validate(), OMS_R_BAD_ENUM);
  req = ok;
  req.qty = T_D("0");
  req.price = T_D("0");
  assert_int_equal(validate(), OMS_R_QTY_NOT_POSITIVE);
  req = ok;
  req.price = T_D("0");
  req.stop_price = T_D("1");
  assert_int_equal(validate(), OMS_R_PRICE_REQUIRED);
  req = ok;
  req.stop_price = T_D("1");
  req.instructions = OMS_INST_POST_ONLY;
  req.tif = OMS_TIF_FOK;
  assert_int_equal(validate(), OMS_R_STOP_FORBIDDEN);
  req = ok;
  req.instructions = OMS_INST_POST_ONLY;
  req.tif = OMS_TIF_IOC;
  req.expire_ns = NOW + 1;
  assert_int_equal(validate(), OMS_R_POST_ONLY_TIF);
  req = ok;
  req.tif = OMS_TIF_DAY;
  req.expire_ns = NOW + 1;
  assert_int_equal(oms_request_validate(&req, NULL, NOW, &rej), OMS_R_EXPIRY_FORBIDDEN);
  req = ok;
  strcpy(req.symbol, "ETH-USD");
  req.price = T_D("0.3");
  assert_int_equal(validate(), OMS_R_UNKNOWN_INSTRUMENT);
  req = ok;
  req.price = T_D("0.3");
  req.qty = T_D("0.0001");
  assert_int_equal(validate(), OMS_R_TICK_SIZE);
  req = ok;
  req.qty = T_D("0.0001");
  ins.min_qty = T_D("0.01");
  assert_int_equal(validate(), OMS_R_LOT_SIZE);
  req = ok;
  req.qty = T_D("0.001");
  req.price = T_D("0.5");
  ins.min_qty = T_D("0.01");
  assert_int_equal(validate(), OMS_R_MIN_QTY);
  ins.min_qty = T_D("0");
  assert_int_equal(validate(), OMS_R_MIN_NOTIONAL);
}

static void test_instrument_check_texts(void **state) {
  (void)state;
  oms_instrument_t bad = ins;
  strcpy(bad.symbol, "BTC USD");
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  assert_int_equal(rej.code, OMS_R_BAD_ID);
  assert_string_equal(rej.text, "instrument: bad symbol");
  bad = ins;
  bad.lot_size = T_D("-1");
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  assert_int_equal(rej.code, OMS_R_TICK_SIZE);
  assert_string_equal(rej.text, "instrument BTC-USD: tick and lot size must be positive");
  bad = ins;
  bad.multiplier = T_D("-1");
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  assert_int_equal(rej.code, OMS_R_MIN_QTY);
  assert_string_equal(rej.text, "instrument BTC-USD: limits must be >= 0 and min_qty <= max_qty");
  bad = ins;
  bad.max_qty = T_D("0"); /* no maximum: any minimum is fine */
  bad.min_qty = T_D("5000");
  assert_int_equal(oms_instrument_check(&bad, &rej), 0);
  bad.qty_precision = 9;
  assert_int_equal(oms_instrument_check(&bad, &rej), OMS_EINVAL);
  assert_int_equal(rej.code, OMS_R_TICK_SIZE);
  assert_string_equal(rej.text, "instrument BTC-USD: precision above 8 places");
}

/* The division-free multiple test answers as oms_dec_is_multiple does: for
 * odd, even and power-of-two steps, steps <= 0, values of either sign, the
 * extremes, and multiples and near-multiples drawn from a fixed seed. */
static void test_step_multiples_without_division(void **state) {
  (void)state;
  const int64_t steps[] = {1,         2,         3,         7,         10, 1000000, 1 << 20,
                           100000000, 123456789, 999999937, INT64_MAX, 0,  -5,      INT64_MIN};
  uint64_t seed = 0x2545f4914f6cdd1dULL;
  for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
    oms_dec_t step = oms_dec_from_raw(steps[k]);
    oms__step_t s = oms__step(step);
    const int64_t edge[] = {
        0, 1, -1, INT64_MAX, INT64_MIN, INT64_MIN + 1, steps[k], (int64_t)(0 - (uint64_t)steps[k])};
    for (size_t j = 0; j < sizeof(edge) / sizeof(edge[0]); j++) {
      oms_dec_t a = oms_dec_from_raw(edge[j]);
      if (edge[j] == INT64_MIN && steps[k] == -1) continue; /* % would trap */
      assert_int_equal(oms__dec_multiple(a, s), oms_dec_is_multiple(a, step));
    }
    for (int i = 0; i < 20000; i++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      int64_t v = (int64_t)(seed >> 1) >> (seed % 60);
      /* in unsigned arithmetic: a near-multiple of INT64_MAX wraps */
      if (steps[k] > 0 && i % 2 == 0)
        v = (int64_t)((uint64_t)((v / steps[k]) * steps[k]) + (uint64_t)(i % 3) - 1);
      if (seed & 1) v = (int64_t)(0 - (uint64_t)v);
      oms_dec_t a = oms_dec_from_raw(v);
      assert_int_equal(oms__dec_multiple(a, s), oms_dec_is_multiple(a, step));
    }
  }
}

/* A caller that knows the steps hold (OMS__KNOWN_STEPS) gets the answer it
 * would get without saying so: the rules after them still run. */
static void test_known_steps_change_no_answer(void **state) {
  (void)state;
  oms_reject_t other;
  assert_int_equal(oms__request_validate(&req, &ins, OMS__KNOWN_STEPS, NOW, &rej), OMS_R_NONE);
  ins.min_qty = T_D("2");
  assert_int_equal(oms__request_validate(&req, &ins, 0, NOW, &rej), OMS_R_MIN_QTY);
  assert_int_equal(oms__request_validate(&req, &ins, OMS__KNOWN_STEPS, NOW, &other), OMS_R_MIN_QTY);
  assert_string_equal(rej.text, other.text);
}

/* Validation from an instrument's hot record (what the engine passes, with
 * what it knows: the names matched, the venue's validity and the steps
 * tested with the record's oms__step) answers with the code and text of
 * validation from the record alone: for every rule the hot record's fields
 * decide (the steps, the size limits, the notional and its overflow, the
 * venue), each passing and refused. */
static void expect_hot_same(void) {
  oms__ins_hot_t hot;
  oms__ins_hot_set(&hot, &ins);
  assert_memory_equal(hot.symbol, ins.symbol, sizeof hot.symbol);
  assert_memory_equal(hot.venue, ins.venue, sizeof hot.venue);
  oms_reject_t plain, fast;
  memset(&plain, 0, sizeof plain);
  memset(&fast, 0, sizeof fast);
  oms_reason_t want = oms_request_validate(&req, &ins, NOW, &plain);
  bool price = req.type == OMS_ORD_LIMIT || req.type == OMS_ORD_STOP_LIMIT;
  bool stop = req.type == OMS_ORD_STOP || req.type == OMS_ORD_STOP_LIMIT;
  unsigned known = OMS__KNOWN_INSTRUMENT | (hot.venue_ok ? OMS__KNOWN_VENUE : 0);
  if ((!price || oms__dec_multiple(req.price, oms__ins_tick(&hot))) &&
      (!stop || oms__dec_multiple(req.stop_price, oms__ins_tick(&hot))) &&
      oms__dec_multiple(req.qty, oms__ins_lot(&hot)))
    known |= OMS__KNOWN_STEPS;
  assert_int_equal(oms__request_validate_hot(&req, &ins, &hot, known, NOW, &fast), want);
  assert_int_equal(fast.code, plain.code);
  assert_string_equal(fast.text, plain.text);
  /* and without the knowledge, from the hot record still */
  assert_int_equal(oms__request_validate_hot(&req, &ins, &hot, 0, NOW, &fast), want);
  assert_string_equal(fast.text, plain.text);
}

static void test_hot_record_changes_no_answer(void **state) {
  (void)state;
  expect_hot_same(); /* passes */
  req.price = T_D("65000.25");
  expect_hot_same(); /* off the tick (0.5 in t_instrument, or whatever it is) */
  req.price = T_D("65000.5");
  req.qty = T_D("1.23456789");
  expect_hot_same(); /* off the lot */
  req.qty = T_D("1.5");
  ins.min_qty = T_D("2");
  expect_hot_same();
  ins.min_qty = T_D("1");
  ins.max_qty = T_D("1");
  expect_hot_same();
  ins.max_qty = T_D("0");
  ins.min_notional = T_D("1000000");
  expect_hot_same();
  ins.multiplier = T_D("100");
  expect_hot_same(); /* the multiplier lifts it over */
  ins.multiplier = oms_dec_from_raw(INT64_MAX / 2);
  expect_hot_same(); /* notional overflow */
  ins.multiplier = T_D("0");
  ins.min_notional = T_D("0");
  req.type = OMS_ORD_STOP_LIMIT;
  req.stop_price = T_D("65000");
  expect_hot_same();
  req.stop_price = T_D("65000.3");
  expect_hot_same(); /* stop off the tick */
  req.type = OMS_ORD_MARKET;
  req.price = T_D("0");
  req.stop_price = T_D("0");
  expect_hot_same();
  ins.tick_size = T_D("0.00000003");
  ins.lot_size = T_D("0.00000006");
  req.qty = T_D("0.00000012");
  expect_hot_same(); /* odd and even steps */
  req.qty = T_D("0.00000009");
  expect_hot_same();
  strcpy(ins.venue, "bad venue");
  strcpy(req.venue, "bad venue");
  expect_hot_same();                        /* a venue no request may name */
  memset(ins.venue, 'V', sizeof ins.venue); /* no NUL */
  memset(req.venue, 'V', sizeof req.venue);
  expect_hot_same();
}

int main(void) {
  const struct CMUnitTest tests[] = {
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
      cmocka_unit_test_setup(test_every_rule_has_its_exact_text, setup),
      cmocka_unit_test_setup(test_the_first_broken_rule_decides, setup),
      cmocka_unit_test_setup(test_instrument_check_texts, setup),
      cmocka_unit_test(test_step_multiples_without_division),
      cmocka_unit_test_setup(test_known_steps_change_no_answer, setup),
      cmocka_unit_test_setup(test_hot_record_changes_no_answer, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
