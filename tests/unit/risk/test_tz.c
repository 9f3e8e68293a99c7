/* Tests for src/risk/tz.c: fixed offsets, IANA zones read from TZif files
 * (winter, summer, the switch itself), and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "risk/risk_internal.h"

static oms_reject_t err;

static void test_fixed_offsets(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int32_t off;
  } ok[] = {{"UTC", 0},           {"GMT", 0},     {"Z", 0},
            {"+05:30", 19800},    {"-4", -14400}, {"UTC+01:00", 3600},
            {"GMT-0930", -34200}, {"+14", 50400}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    oms__tz_t tz;
    assert_int_equal(oms__tz_load(&tz, ok[i].name, "/nonexistent", &err), 0);
    assert_int_equal(oms__tz_offset(&tz, 0), ok[i].off);
    oms__tz_free(&tz);
  }
  static const char *const bad[] = {"", "+", "+15", "+05:7", "+05:60", "UTC+", "+1:2:3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    oms__tz_t tz;
    assert_int_not_equal(oms__tz_load(&tz, bad[i], "/nonexistent", &err), 0);
  }
  oms__tz_t tz;
  assert_int_equal(oms__tz_load(&tz, NULL, "/x", &err), OMS_ECONFIG);
}

static void test_new_york_winter_summer_and_switch(void **state) {
  (void)state;
  oms__tz_t tz;
  assert_int_equal(oms__tz_load(&tz, "America/New_York", "/usr/share/zoneinfo", &err), 0);
  assert_true(tz.n > 100);
  assert_int_equal(oms__tz_offset(&tz, INT64_C(1705330800)), -5 * 3600); /* 2024-01-15 */
  assert_int_equal(oms__tz_offset(&tz, INT64_C(1721050200)), -4 * 3600); /* 2024-07-15 */
  /* 2024-03-10 07:00 UTC: clocks go from 02:00 EST to 03:00 EDT. */
  assert_int_equal(oms__tz_offset(&tz, INT64_C(1710054000) - 1), -5 * 3600);
  assert_int_equal(oms__tz_offset(&tz, INT64_C(1710054000)), -4 * 3600);
  /* Before the first transition: local mean time of the file's first type. */
  assert_int_equal(oms__tz_offset(&tz, INT64_MIN / 2), tz.off0);
  oms__tz_free(&tz);
}

static void test_malformed_zone_files(void **state) {
  (void)state;
  char dir[] = "/tmp/oms_tz_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/Bad", dir);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("not a tzif file at all, but long enough to be read as one......", f);
  fclose(f);
  oms__tz_t tz;
  assert_int_equal(oms__tz_load(&tz, "Bad", dir, &err), OMS_ECONFIG);
  /* A truncated real file. */
  FILE *in = fopen("/usr/share/zoneinfo/Europe/London", "rb");
  assert_non_null(in);
  unsigned char buf[200];
  size_t n = fread(buf, 1, sizeof buf, in);
  fclose(in);
  snprintf(path, sizeof path, "%s/Short", dir);
  f = fopen(path, "wb");
  fwrite(buf, 1, n, f);
  fclose(f);
  assert_int_equal(oms__tz_load(&tz, "Short", dir, &err), OMS_ECONFIG);
  remove(path);
  snprintf(path, sizeof path, "%s/Bad", dir);
  remove(path);
  remove(dir);
  char longname[80];
  memset(longname, 'A', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(oms__tz_load(&tz, longname, dir, &err), OMS_ECONFIG);
  char longdir[600];
  memset(longdir, 'd', sizeof longdir - 1);
  longdir[sizeof longdir - 1] = '\0';
  assert_int_equal(oms__tz_load(&tz, "Europe/London", longdir, &err), OMS_ECONFIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixed_offsets),
      cmocka_unit_test(test_new_york_winter_summer_and_switch),
      cmocka_unit_test(test_malformed_zone_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
