/* Tests for src/core/error.c and clock.c: the error and reason tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oms/error.h"
#include "oms/reason.h"

static void test_every_error_has_a_name_and_message(void **state) {
  (void)state;
#define XX(name, num, msg)                              \
  assert_string_equal(oms_err_name(num), "OMS_" #name); \
  assert_string_equal(oms_strerror(num), msg);
  OMS_ERRNO_MAP(XX)
#undef XX
  assert_string_equal(oms_err_name(0), "OMS_OK");
  assert_string_equal(oms_strerror(0), "success");
  assert_string_equal(oms_err_name(-9999), "OMS_UNKNOWN");
  assert_string_equal(oms_strerror(12345), "unknown error");
}

static void test_error_codes_are_stable(void **state) {
  (void)state;
  /* Stored and logged: these numbers must never change. */
  assert_int_equal(OMS_EINVAL, -1);
  assert_int_equal(OMS_ESTATE, -9);
  assert_int_equal(OMS_EOVERFILL, -10);
  assert_int_equal(OMS_R_RISK_MAX_ORDER_QTY, 100);
  assert_int_equal(OMS_R_DUPLICATE_CLORDID, 200);
  assert_int_equal(OMS_R_VENUE_REJECT, 300);
}

static void test_reason_names_round_trip(void **state) {
  (void)state;
#define XX(name, num, msg)                                            \
  {                                                                   \
    oms_reason_t r;                                                   \
    assert_int_equal(oms_reason_from_name(#name, &r), 0);             \
    assert_int_equal(r, num);                                         \
    assert_string_equal(oms_reason_name((oms_reason_t)(num)), #name); \
    assert_string_equal(oms_reason_desc((oms_reason_t)(num)), msg);   \
  }
  OMS_REASON_MAP(XX)
#undef XX
  oms_reason_t r;
  assert_int_equal(oms_reason_from_name("NO_SUCH_REASON", &r), OMS_ENOTFOUND);
  assert_int_equal(oms_reason_from_name(NULL, &r), OMS_ENOTFOUND);
  assert_string_equal(oms_reason_name((oms_reason_t)9999), "UNKNOWN");
  assert_string_equal(oms_reason_desc((oms_reason_t)9999), "unknown reason");
}

static void test_reject_set_formats_and_truncates(void **state) {
  (void)state;
  oms_reject_t r;
  assert_int_equal(oms_reject_set(&r, OMS_R_MIN_QTY, "quantity %d below %s", 5, "10"),
                   OMS_R_MIN_QTY);
  assert_int_equal(r.code, OMS_R_MIN_QTY);
  assert_string_equal(r.text, "quantity 5 below 10");
  char big[600];
  memset(big, 'y', sizeof big - 1);
  big[sizeof big - 1] = 0;
  oms_reject_set(&r, OMS_R_BAD_ID, "%s", big);
  assert_int_equal(strlen(r.text), OMS_REASON_MAX);
}

static void test_clocks(void **state) {
  (void)state;
  int64_t t = 42;
  oms_clock_t m = oms_clock_manual(&t);
  assert_int_equal(oms_clock_now(&m), 42);
  t = 43;
  assert_int_equal(oms_clock_now(&m), 43);
  oms_clock_t rt = oms_clock_realtime();
  int64_t now = oms_clock_now(&rt);
  assert_true(now > INT64_C(1700000000000000000)); /* after 2023 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_error_has_a_name_and_message),
      cmocka_unit_test(test_error_codes_are_stable),
      cmocka_unit_test(test_reason_names_round_trip),
      cmocka_unit_test(test_reject_set_formats_and_truncates),
      cmocka_unit_test(test_clocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
