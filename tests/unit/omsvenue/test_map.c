/* test_map.c - omsvenue's FIX <-> simulated venue vocabulary
 * (apps/omsvenue/map.c): what a FIX order asks of the venue, and how the
 * venue's reports read as ExecType, OrdStatus and AvgPx. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "omsvenue.h"

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr(s, &d), 0);
  return d;
}

static oms_fix_order_fields_t fields(void) {
  oms_fix_order_fields_t f;
  memset(&f, 0, sizeof f);
  f.cl_ord_id = oms_fix_str("c1");
  f.symbol = oms_fix_str("BTC-USD");
  f.side = '2';
  f.ord_type = '4';
  f.order_qty = oms_fix_str("1.5");
  f.price = oms_fix_str("65000.5");
  f.stop_px = oms_fix_str("64000");
  f.time_in_force = '6';
  f.expire_time_ns = 123;
  f.post_only = 1;
  return f;
}

static void test_a_new_order_maps_every_field_the_venue_uses(void **state) {
  (void)state;
  oms_fix_order_fields_t f = fields();
  oms_venue_order_t o;
  const char *why = "x";
  assert_int_equal(vmap_new_order(&f, &o, &why), 0);
  assert_null(why);
  assert_string_equal(o.symbol, "BTC-USD");
  assert_int_equal(o.side, OMS_SIDE_SELL);
  assert_int_equal(o.type, OMS_ORD_STOP_LIMIT);
  assert_int_equal(o.tif, OMS_TIF_GTD);
  assert_int_equal(o.qty.raw, D("1.5").raw);
  assert_int_equal(o.price.raw, D("65000.5").raw);
  assert_int_equal(o.stop_price.raw, D("64000").raw);
  assert_int_equal(o.expire_ns, 123);
  assert_int_equal(o.instructions, OMS_INST_POST_ONLY);
}

static void test_what_the_exchange_does_not_trade_is_refused_with_a_reason(void **state) {
  (void)state;
  oms_venue_order_t o;
  const char *why;
  oms_fix_order_fields_t f = fields();
  f.side = '5'; /* sell short */
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_non_null(strstr(why, "side"));
  f = fields();
  f.ord_type = 'P'; /* pegged */
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_non_null(strstr(why, "order type"));
  f = fields();
  f.time_in_force = '2'; /* at the opening */
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_non_null(strstr(why, "time in force"));
  f = fields();
  f.order_qty = oms_fix_str("0");
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_non_null(strstr(why, "quantity"));
  f = fields();
  f.price = oms_fix_str("1.2.3");
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_string_equal(why, "bad price");
  f = fields();
  f.stop_px = oms_fix_str("x");
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_string_equal(why, "bad stop price");
  f = fields();
  f.symbol = oms_fix_str("A-SYMBOL-FAR-LONGER-THAN-ANY-THE-VENUE-KEEPS");
  assert_int_equal(vmap_new_order(&f, &o, &why), OMS_EINVAL);
  assert_string_equal(why, "unknown symbol");
}

static void test_enumerations_go_both_ways(void **state) {
  (void)state;
  const char sides[] = "12", types[] = "1234", tifs[] = "01346";
  for (const char *c = sides; *c; c++) {
    oms_side_t s;
    assert_int_equal(vmap_side(*c, &s), 0);
    assert_int_equal(vmap_fix_side(s), *c);
  }
  for (const char *c = types; *c; c++) {
    oms_ord_type_t t;
    assert_int_equal(vmap_ord_type(*c, &t), 0);
    assert_int_equal(vmap_fix_ord_type(t), *c);
  }
  for (const char *c = tifs; *c; c++) {
    oms_tif_t t;
    assert_int_equal(vmap_tif(*c, &t), 0);
    assert_int_equal(vmap_fix_tif(t), *c);
  }
}

static void test_every_venue_report_has_its_fix44_exec_type(void **state) {
  (void)state;
  assert_int_equal(vmap_exec_type(OMS_EXEC_ACCEPTED), '0');
  assert_int_equal(vmap_exec_type(OMS_EXEC_REJECTED), '8');
  assert_int_equal(vmap_exec_type(OMS_EXEC_FILL), 'F');
  assert_int_equal(vmap_exec_type(OMS_EXEC_CANCELLED), '4');
  assert_int_equal(vmap_exec_type(OMS_EXEC_REPLACED), '5');
  assert_int_equal(vmap_exec_type(OMS_EXEC_EXPIRED), 'C');
  assert_int_equal(vmap_exec_type(OMS_EXEC_TRIGGERED), 'D');
  assert_int_equal(vmap_exec_type(OMS_EXEC_RESTATED), 'D');
  assert_int_equal(vmap_exec_type(OMS_EXEC_STATUS), 'I');
  assert_int_equal(vmap_exec_type(OMS_EXEC_BUST), 'H');
  assert_int_equal(vmap_exec_type(OMS_EXEC_CORRECT), 'G');
}

static void test_ord_status_follows_the_quantities_and_the_final_states(void **state) {
  (void)state;
  oms_dec_t z = D("0"), one = D("1"), two = D("2");
  assert_int_equal(vmap_ord_status(OMS_EXEC_ACCEPTED, 0, z, two), '0');
  assert_int_equal(vmap_ord_status(OMS_EXEC_FILL, 0, one, one), '1');
  assert_int_equal(vmap_ord_status(OMS_EXEC_FILL, 0, two, z), '2');
  assert_int_equal(vmap_ord_status(OMS_EXEC_REPLACED, 0, one, one), '1');
  assert_int_equal(vmap_ord_status(OMS_EXEC_CANCELLED, 0, one, z), '4');
  assert_int_equal(vmap_ord_status(OMS_EXEC_EXPIRED, 0, z, z), 'C');
  assert_int_equal(vmap_ord_status(OMS_EXEC_REJECTED, 0, z, z), '8');
  assert_int_equal(vmap_ord_status(OMS_EXEC_STATUS, OMS_VSTATUS_WORKING, one, one), '1');
  assert_int_equal(vmap_ord_status(OMS_EXEC_STATUS, OMS_VSTATUS_FILLED, two, z), '2');
  assert_int_equal(vmap_ord_status(OMS_EXEC_STATUS, OMS_VSTATUS_CANCELLED, z, z), '4');
  assert_int_equal(vmap_ord_status(OMS_EXEC_STATUS, OMS_VSTATUS_EXPIRED, z, z), 'C');
  assert_int_equal(vmap_ord_status(OMS_EXEC_STATUS, OMS_VSTATUS_REJECTED, z, z), '8');
  assert_int_equal(vmap_ord_status(OMS_EXEC_STATUS, OMS_VSTATUS_UNKNOWN, z, z), '8');
}

static void test_avg_px_is_the_quantity_weighted_price(void **state) {
  (void)state;
  /* 1 @ 100 + 3 @ 104 = 4 @ 103 */
  __int128 n = (__int128)D("1").raw * D("100").raw + (__int128)D("3").raw * D("104").raw;
  assert_int_equal(vmap_avg_px(n, D("4")).raw, D("103").raw);
  assert_int_equal(vmap_avg_px(0, D("0")).raw, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_new_order_maps_every_field_the_venue_uses),
      cmocka_unit_test(test_what_the_exchange_does_not_trade_is_refused_with_a_reason),
      cmocka_unit_test(test_enumerations_go_both_ways),
      cmocka_unit_test(test_every_venue_report_has_its_fix44_exec_type),
      cmocka_unit_test(test_ord_status_follows_the_quantities_and_the_final_states),
      cmocka_unit_test(test_avg_px_is_the_quantity_weighted_price),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
