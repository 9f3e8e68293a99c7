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

/* Keys that share a home slot form one probe run; removing any of them
 * shifts the later ones back so that every one is still found. */
static void test_removal_shifts_a_probe_run_back(void **state) {
  (void)state;
  oms__u64map_t m;
  assert_int_equal(oms__u64map_init(&m, 8), 0);
  uint64_t same[4];
  int n = 0;
  uint32_t home = oms__u64map_slot(&m, 1);
  for (uint64_t k = 1; n < 4; k++)
    if (oms__u64map_slot(&m, k) == home) same[n++] = k;
  for (int i = 0; i < 4; i++) assert_int_equal(oms__u64map_put(&m, same[i], 100 + i), 0);
  /* the run wraps past the end of the table when home is near it */
  assert_true(oms__u64map_del(&m, same[0]));
  assert_true(oms__u64map_del(&m, same[2]));
  uint64_t v;
  assert_false(oms__u64map_get(&m, same[0], &v));
  assert_true(oms__u64map_get(&m, same[1], &v));
  assert_int_equal(v, 101);
  assert_true(oms__u64map_get(&m, same[3], &v));
  assert_int_equal(v, 103);
  assert_int_equal(m.count, 2);
  /* the home slot holds a member of the run again: no hole before it */
  assert_int_not_equal(m.ent[home].key, 0);
  oms__u64map_close(&m);
}

static void test_add_puts_only_a_missing_key(void **state) {
  (void)state;
  oms__u64map_t m;
  assert_int_equal(oms__u64map_init(&m, 4), 0);
  assert_int_equal(oms__u64map_add(&m, 0, 1), OMS_EINVAL);
  assert_int_equal(oms__u64map_add(&m, 5, 50), 1);
  assert_int_equal(oms__u64map_add(&m, 5, 51), 0);
  uint64_t v;
  assert_true(oms__u64map_get(&m, 5, &v));
  assert_int_equal(v, 50); /* the first value stays */
  for (uint64_t k = 6; m.count < m.limit; k++) assert_int_equal(oms__u64map_add(&m, k, k), 1);
  assert_int_equal(oms__u64map_add(&m, 1000, 1), OMS_EFULL);
  assert_int_equal(oms__u64map_add(&m, 5, 1), 0); /* present: no room needed */
  assert_false(oms__u64map_get(&m, 1000, &v));
  oms__u64map_close(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_del_match_a_reference),
      cmocka_unit_test(test_limits_and_reserved_key),
      cmocka_unit_test(test_removal_shifts_a_probe_run_back),
      cmocka_unit_test(test_add_puts_only_a_missing_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
