/* The order's vocabulary in FIX 4.4 (oms/order_fix.h): every value of ours
 * goes to FIX and back unchanged, and FIX values oms does not take are
 * refused, not mapped to something near. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oms_test.h"

#include "oms/order_fix.h"

static void test_every_side_order_type_and_tif_goes_to_fix_and_back(void **state) {
  (void)state;
  const oms_side_t sides[] = {OMS_SIDE_BUY, OMS_SIDE_SELL};
  for (size_t i = 0; i < 2; i++) {
    oms_side_t back;
    assert_true(oms_side_of_fix(oms_fix_side(sides[i]), &back));
    assert_int_equal(back, sides[i]);
  }
  for (int t = OMS_ORD_MARKET; t <= OMS_ORD_STOP_LIMIT; t++) {
    oms_ord_type_t back;
    assert_true(oms_ord_type_of_fix(oms_fix_ord_type((oms_ord_type_t)t), &back));
    assert_int_equal(back, t);
  }
  for (int t = OMS_TIF_GTC; t <= OMS_TIF_GTD; t++) {
    oms_tif_t back;
    assert_true(oms_tif_of_fix(oms_fix_tif((oms_tif_t)t), &back));
    assert_int_equal(back, t);
  }
  assert_int_equal(oms_fix_side(OMS_SIDE_SELL), '2');
  assert_int_equal(oms_fix_ord_type(OMS_ORD_STOP_LIMIT), '4');
  assert_int_equal(oms_fix_tif(OMS_TIF_DAY), '0');
  assert_int_equal(oms_fix_tif(OMS_TIF_GTD), '6');
}

static void test_fix_values_oms_does_not_take_are_refused(void **state) {
  (void)state;
  oms_side_t s = OMS_SIDE_BUY;
  oms_ord_type_t t = OMS_ORD_LIMIT;
  oms_tif_t f = OMS_TIF_GTC;
  assert_false(oms_side_of_fix(OMS_FIX_SIDE_SELL_SHORT, &s)); /* a short sale */
  assert_false(oms_ord_type_of_fix('P', &t));                 /* pegged */
  assert_false(oms_tif_of_fix('2', &f));                      /* at the opening */
  assert_false(oms_tif_of_fix('\0', &f));
  assert_int_equal(s, OMS_SIDE_BUY); /* untouched */
  assert_int_equal(t, OMS_ORD_LIMIT);
  assert_int_equal(f, OMS_TIF_GTC);
  assert_int_equal(oms_fix_tif((oms_tif_t)0), 0);
  assert_int_equal(oms_fix_side((oms_side_t)9), 0);
  assert_int_equal(oms_fix_ord_type((oms_ord_type_t)9), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_side_order_type_and_tif_goes_to_fix_and_back),
      cmocka_unit_test(test_fix_values_oms_does_not_take_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
