/* Tests for src/core/strmap.c against a plain array as the reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"
#include "core/strmap.h"
#include "oms/error.h"

enum { KEY_MAX = 40 };

/* Key k of the reference: lengths from 0 (k = 0, the empty string) to KEY_MAX. */
static void ref_key(char *buf, int k) {
  int len = k % (KEY_MAX + 1);
  for (int i = 0; i < len; i++) buf[i] = (char)('a' + (k * 7 + i) % 26);
  buf[len] = '\0';
  if (len > 0) buf[0] = (char)('A' + k % 26 + (k / (KEY_MAX + 1)) % 6);
}

static void test_put_get_del_match_a_reference(void **state) {
  (void)state;
  enum { N = 500 };
  static uint64_t ref[N]; /* value + 1 of key k, 0 = absent */
  static char keys[N][KEY_MAX + 1];
  memset(ref, 0, sizeof ref);
  for (int k = 0; k < N; k++) ref_key(keys[k], k);
  /* two reference keys may coincide: keep the first of each */
  for (int k = 0; k < N; k++)
    for (int j = 0; j < k; j++)
      if (strcmp(keys[j], keys[k]) == 0) snprintf(keys[k], sizeof keys[k], "#%d", k);
  oms__strmap_t m;
  assert_int_equal(oms__strmap_init(&m, N, KEY_MAX), 0);
  uint64_t x = 88172645463325252u;
  for (int i = 0; i < 100000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int k = (int)(x % N);
    uint64_t v = 0;
    switch ((x >> 32) % 3) {
      case 0:
        assert_int_equal(oms__strmap_put(&m, keys[k], (uint64_t)i), 0);
        ref[k] = (uint64_t)i + 1;
        break;
      case 1:
        assert_int_equal(oms__strmap_del(&m, keys[k]), ref[k] != 0);
        ref[k] = 0;
        break;
      default:
        assert_int_equal(oms__strmap_get(&m, keys[k], &v), ref[k] != 0);
        if (ref[k]) assert_int_equal(v + 1, ref[k]);
    }
  }
  uint32_t count = 0;
  for (int k = 0; k < N; k++) count += ref[k] != 0;
  assert_int_equal(oms__strmap_count(&m), count);
  oms__strmap_clear(&m);
  assert_int_equal(oms__strmap_count(&m), 0);
  assert_false(oms__strmap_get(&m, keys[1], NULL));
  oms__strmap_close(&m);
}

/* Keys whose hashes share a home slot form one probe run; removing one
 * shifts the later ones back, and its entry is reused. */
static void test_removal_shifts_a_probe_run_back(void **state) {
  (void)state;
  oms__strmap_t m;
  assert_int_equal(oms__strmap_init(&m, 8, 15), 0);
  char same[4][16];
  int n = 0;
  uint32_t home = (uint32_t)oms__hash_str("id0", 0) & m.mask;
  for (int k = 0; n < 4; k++) {
    char key[16];
    snprintf(key, sizeof key, "id%d", k);
    if (((uint32_t)oms__hash_str(key, 0) & m.mask) == home) strcpy(same[n++], key);
  }
  for (int i = 0; i < 4; i++) assert_int_equal(oms__strmap_put(&m, same[i], 100u + i), 0);
  assert_true(oms__strmap_del(&m, same[0]));
  assert_true(oms__strmap_del(&m, same[2]));
  assert_false(oms__strmap_del(&m, same[2]));
  uint64_t v;
  assert_false(oms__strmap_get(&m, same[0], &v));
  assert_true(oms__strmap_get(&m, same[1], &v));
  assert_int_equal(v, 101);
  assert_true(oms__strmap_get(&m, same[3], &v));
  assert_int_equal(v, 103);
  assert_int_not_equal(m.slot[home].hash, 0); /* no hole left at the home slot */
  assert_int_equal(oms__strmap_count(&m), 2);
  /* the freed entries hold new keys */
  for (int i = 0; i < 6; i++) {
    char key[16];
    snprintf(key, sizeof key, "new%d", i);
    assert_int_equal(oms__strmap_put(&m, key, (uint64_t)i), 0);
  }
  assert_int_equal(oms__strmap_count(&m), 8);
  assert_true(oms__strmap_get(&m, "new5", &v));
  assert_int_equal(v, 5);
  assert_true(oms__strmap_get(&m, same[3], &v));
  assert_int_equal(v, 103);
  oms__strmap_close(&m);
}

static void test_a_full_map_refuses_new_keys_but_replaces_values(void **state) {
  (void)state;
  oms__strmap_t m;
  assert_int_equal(oms__strmap_init(&m, 3, 8), 0);
  assert_int_equal(oms__strmap_put(&m, "a", 1), 0);
  assert_int_equal(oms__strmap_put(&m, "b", 2), 0);
  assert_int_equal(oms__strmap_put(&m, "c", 3), 0);
  assert_int_equal(oms__strmap_put(&m, "d", 4), OMS_EFULL);
  assert_int_equal(oms__strmap_put(&m, "b", 20), 0); /* replacing needs no room */
  uint64_t v;
  assert_true(oms__strmap_get(&m, "b", &v));
  assert_int_equal(v, 20);
  assert_false(oms__strmap_get(&m, "d", &v));
  assert_true(oms__strmap_del(&m, "a"));
  assert_int_equal(oms__strmap_put(&m, "d", 4), 0);
  assert_int_equal(oms__strmap_count(&m), 3);
  oms__strmap_close(&m);
}

static void test_empty_and_longest_keys_are_keys_longer_ones_are_refused(void **state) {
  (void)state;
  oms__strmap_t m;
  assert_int_equal(oms__strmap_init(&m, 4, 63), 0);
  char longest[64], too_long[65];
  memset(longest, 'x', 63);
  longest[63] = '\0';
  memset(too_long, 'x', 64);
  too_long[64] = '\0';
  assert_int_equal(oms__strmap_put(&m, "", 7), 0);
  assert_int_equal(oms__strmap_put(&m, longest, 8), 0);
  assert_int_equal(oms__strmap_put(&m, too_long, 9), OMS_EINVAL);
  uint64_t v;
  assert_true(oms__strmap_get(&m, "", &v));
  assert_int_equal(v, 7);
  assert_true(oms__strmap_get(&m, longest, &v));
  assert_int_equal(v, 8);
  assert_false(oms__strmap_get(&m, too_long, &v));
  assert_false(oms__strmap_del(&m, too_long));
  /* a key is not found by its prefix, nor a prefix by the key */
  longest[62] = '\0';
  assert_false(oms__strmap_get(&m, longest, &v));
  assert_int_equal(oms__strmap_count(&m), 2);
  assert_true(oms__strmap_del(&m, ""));
  assert_false(oms__strmap_get(&m, "", &v));
  oms__strmap_close(&m);
}

static void test_bad_sizes_and_a_zeroed_map(void **state) {
  (void)state;
  oms__strmap_t m;
  assert_int_equal(oms__strmap_init(&m, 0, 8), OMS_EINVAL);
  assert_int_equal(oms__strmap_init(&m, (1u << 30) + 1, 8), OMS_EINVAL);
  oms__strmap_t z;
  memset(&z, 0, sizeof z);
  assert_false(oms__strmap_get(&z, "a", NULL));
  assert_false(oms__strmap_del(&z, "a"));
  oms__strmap_clear(&z);
  oms__strmap_close(&z);
  oms__strmap_close(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_del_match_a_reference),
      cmocka_unit_test(test_removal_shifts_a_probe_run_back),
      cmocka_unit_test(test_a_full_map_refuses_new_keys_but_replaces_values),
      cmocka_unit_test(test_empty_and_longest_keys_are_keys_longer_ones_are_refused),
      cmocka_unit_test(test_bad_sizes_and_a_zeroed_map),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
