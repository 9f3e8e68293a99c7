/* Tests for src/risk/table.c: the keyed record table of the risk engine and
 * the limit set (records found by text key, never removed, grown only at
 * configuration time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "risk/risk_internal.h"

typedef struct rec_s {
  oms__khdr_t h;
  int value;
} rec_t;

static void test_records_are_created_once_and_found_by_key(void **state) {
  (void)state;
  oms__ktab_t t;
  assert_int_equal(oms__ktab_init(&t, 2, sizeof(rec_t)), 0);
  assert_int_equal(oms__ktab_find(&t, "ACC1"), -1);
  int32_t a = oms__ktab_get(&t, "ACC1");
  assert_int_equal(a, 0);
  ((rec_t *)oms__ktab_rec(&t, a))->value = 7;
  assert_int_equal(oms__ktab_get(&t, "ACC1"), a); /* found, not created again */
  assert_int_equal(((rec_t *)oms__ktab_rec(&t, a))->value, 7);
  int32_t b = oms__ktab_get(&t, "ACC2");
  assert_int_equal(b, 1);
  const rec_t *rb = oms__ktab_rec(&t, b);
  assert_string_equal(rb->h.key, "ACC2");
  assert_int_equal(rb->value, 0); /* a new record is zeroed */
  /* full */
  assert_int_equal(oms__ktab_get(&t, "ACC3"), -1);
  assert_int_equal(oms__ktab_find(&t, "ACC3"), -1);
  oms__ktab_free(&t);
}

static void test_growing_keeps_every_record_and_its_number(void **state) {
  (void)state;
  oms__ktab_t t;
  assert_int_equal(oms__ktab_init(&t, 1, sizeof(rec_t)), 0);
  assert_int_equal(oms__ktab_get(&t, "S1"), 0);
  ((rec_t *)oms__ktab_rec(&t, 0))->value = 11;
  assert_int_equal(oms__ktab_grow(&t), 0);
  assert_int_equal(t.cap, 2);
  assert_int_equal(oms__ktab_find(&t, "S1"), 0);
  assert_int_equal(((rec_t *)oms__ktab_rec(&t, 0))->value, 11);
  assert_int_equal(oms__ktab_get(&t, "S2"), 1);
  assert_int_equal(oms__ktab_get(&t, "S3"), -1);
  oms__ktab_free(&t);
  /* a table with no room at all grows to 8 */
  assert_int_equal(oms__ktab_init(&t, 0, sizeof(rec_t)), 0);
  assert_int_equal(oms__ktab_get(&t, "X"), -1);
  assert_int_equal(oms__ktab_grow(&t), 0);
  assert_int_equal(t.cap, 8);
  assert_int_equal(oms__ktab_get(&t, "X"), 0);
  oms__ktab_free(&t);
}

static void test_composite_and_overlong_keys(void **state) {
  (void)state;
  char key[OMS__KEY_MAX + 1];
  oms__key2(key, "ACC1", "BTC-USD");
  assert_string_equal(key,
                      "ACC1\x1f"
                      "BTC-USD");
  oms__key2(key, NULL, "BTC-USD");
  assert_string_equal(key,
                      "\x1f"
                      "BTC-USD");
  char a[OMS__KEY_MAX + 2];
  memset(a, 'a', sizeof a - 1);
  a[sizeof a - 1] = '\0';
  oms__key2(key, a, "b"); /* cut at the longest key */
  assert_int_equal(strlen(key), OMS__KEY_MAX);
  oms__ktab_t t;
  assert_int_equal(oms__ktab_init(&t, 4, sizeof(rec_t)), 0);
  assert_true(oms__ktab_get(&t, key) >= 0);
  assert_int_equal(oms__ktab_get(&t, a), -1); /* one byte too long */
  assert_int_equal(oms__ktab_find(&t, a), -1);
  oms__ktab_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records_are_created_once_and_found_by_key),
      cmocka_unit_test(test_growing_keeps_every_record_and_its_number),
      cmocka_unit_test(test_composite_and_overlong_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
