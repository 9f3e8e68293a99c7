/* Tests for src/core/u64map.c against a plain array as the reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/u64map.h"
#include "oms/error.h"

static void test_put_get_del_match_a_reference(void **state) {
  (void)state;
  enum { N = 2000 };
  static uint64_t ref[N]; /* ref[k] = value + 1 of key k + 1, 0 = absent */
  memset(ref, 0, sizeof ref);
  oms__u64map_t m;
  assert_int_equal(oms__u64map_init(&m, N), 0);
  uint64_t x = 88172645463325252u;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t k = x % N;
    uint64_t v = 0;
    switch ((x >> 32) % 3) {
      case 0:
        assert_int_equal(oms__u64map_put(&m, k + 1, i), 0);
        ref[k] = (uint64_t)i + 1;
        break;
      case 1:
        assert_int_equal(oms__u64map_del(&m, k + 1), ref[k] != 0);
        ref[k] = 0;
        break;
      default:
        assert_int_equal(oms__u64map_get(&m, k + 1, &v), ref[k] != 0);
        if (ref[k]) assert_int_equal(v + 1, ref[k]);
    }
  }
  uint32_t count = 0;
  for (int k = 0; k < N; k++) count += ref[k] != 0;
  assert_int_equal(m.count, count);
  oms__u64map_clear(&m);
  assert_int_equal(m.count, 0);
  uint64_t v;
  assert_false(oms__u64map_get(&m, 5, &v));
  oms__u64map_close(&m);
}

static void test_limits_and_reserved_key(void **state) {
  (void)state;
  oms__u64map_t m;
  assert_int_equal(oms__u64map_init(&m, 4), 0);
  assert_int_equal(oms__u64map_put(&m, 0, 1), OMS_EINVAL);
  uint64_t v;
  assert_false(oms__u64map_get(&m, 0, &v));
  assert_false(oms__u64map_del(&m, 0));
  assert_false(oms__u64map_del(&m, 99));
  for (uint64_t k = 1; k <= m.limit; k++) assert_int_equal(oms__u64map_put(&m, k, k), 0);
  assert_int_equal(oms__u64map_put(&m, 1000, 1), OMS_EFULL);
  assert_int_equal(oms__u64map_put(&m, 1, 7), 0); /* replacing needs no room */
  assert_true(oms__u64map_get(&m, 1, &v));
  assert_int_equal(v, 7);
  oms__u64map_close(&m);
  oms__u64map_t z;
  memset(&z, 0, sizeof z);
  assert_false(oms__u64map_get(&z, 1, &v));
  assert_false(oms__u64map_del(&z, 1));
  oms__u64map_close(&z);
}

static void test_string_hash_is_never_zero_and_seeded(void **state) {
  (void)state;
  assert_int_not_equal(oms__hash_str("", 0), 0);
  assert_int_not_equal(oms__hash_str("abc", 1), oms__hash_str("abc", 2));
  assert_int_equal(oms__hash_str("abc", 1), oms__hash_str("abc", 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_del_match_a_reference),
      cmocka_unit_test(test_limits_and_reserved_key),
      cmocka_unit_test(test_string_hash_is_never_zero_and_seeded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
