/* Tests for src/core/hash.h: the one string hash and the one integer mixer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"

static void test_string_hash_is_never_zero_and_seeded(void **state) {
  (void)state;
  assert_int_not_equal(oms__hash_str("", 0), 0);
  assert_int_not_equal(oms__hash_str("abc", 1), oms__hash_str("abc", 2));
  assert_int_equal(oms__hash_str("abc", 1), oms__hash_str("abc", 1));
  assert_int_not_equal(oms__hash_str("abc", 0), oms__hash_str("abd", 0));
}

static void test_string_and_memory_hash_agree(void **state) {
  (void)state;
  const char *s = "BTC-USD";
  assert_int_equal(oms__hash_str(s, 9), oms__hash_mem(s, strlen(s), 9));
  assert_int_equal(oms__hash_str("", 3), oms__hash_mem("", 0, 3));
  /* a composite key: the second part hashed with the first part's hash */
  uint64_t ab = oms__hash_str("b", oms__hash_str("a", 0));
  assert_int_not_equal(ab, oms__hash_str("a", oms__hash_str("b", 0)));
}

static void test_mixer_spreads_sequential_ids_over_the_low_bits(void **state) {
  (void)state;
  assert_int_equal(oms__mix64(0), 0);
  /* 32768 sequential ids (order ids) into a table of 65536 slots, as a map
   * at its fill limit: a random spread hits about 1 - e^-0.5 (39%) of the
   * slots, and ids must not land in id order. */
  static uint8_t hit[65536];
  memset(hit, 0, sizeof hit);
  int in_order = 0, slots = 0;
  for (uint64_t id = 1; id <= 32768; id++) {
    uint32_t b = (uint32_t)oms__mix64(id) & 65535;
    in_order += b == (uint32_t)id;
    if (!hit[b]++) slots++;
  }
  assert_true(in_order < 64);
  assert_true(slots > 24000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_string_hash_is_never_zero_and_seeded),
      cmocka_unit_test(test_string_and_memory_hash_agree),
      cmocka_unit_test(test_mixer_spreads_sequential_ids_over_the_low_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
