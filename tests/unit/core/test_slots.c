/* Tests for src/core/slots.c: the free entries of a fixed pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/slots.h"

static void test_entries_are_handed_out_in_order_until_none_is_left(void **state) {
  (void)state;
  oms__slots_t s;
  assert_int_equal(oms__slots_init(&s, 3), 0);
  assert_int_equal(oms__slots_used(&s), 0);
  assert_int_equal(oms__slots_take(&s), 0);
  assert_int_equal(oms__slots_take(&s), 1);
  assert_int_equal(oms__slots_take(&s), 2);
  assert_int_equal(oms__slots_take(&s), OMS__SLOT_NONE);
  assert_int_equal(oms__slots_used(&s), 3);
  /* a given-back entry is the next one taken */
  oms__slots_give(&s, 1);
  assert_int_equal(oms__slots_used(&s), 2);
  assert_int_equal(oms__slots_take(&s), 1);
  oms__slots_reset(&s);
  assert_int_equal(oms__slots_used(&s), 0);
  assert_int_equal(oms__slots_take(&s), 0);
  oms__slots_close(&s);
}

static void test_an_empty_pool_and_a_zeroed_one(void **state) {
  (void)state;
  oms__slots_t s;
  assert_int_equal(oms__slots_init(&s, 0), 0);
  assert_int_equal(oms__slots_take(&s), OMS__SLOT_NONE);
  oms__slots_close(&s);
  oms__slots_t z;
  memset(&z, 0, sizeof z);
  assert_int_equal(oms__slots_take(&z), OMS__SLOT_NONE);
  oms__slots_close(&z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_entries_are_handed_out_in_order_until_none_is_left),
      cmocka_unit_test(test_an_empty_pool_and_a_zeroed_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
