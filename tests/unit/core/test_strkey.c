/* Tests for src/core/strkey.h: every length a symbol and a venue name can
 * have, with and without garbage after the NUL, against strcmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/strkey.h"

#define SYM 32 /* OMS_SYMBOL_MAX + 1 */

/* name in an array of size bytes, the bytes after its NUL set to fill. */
static void put(char *arr, size_t size, const char *name, char fill) {
  memset(arr, fill, size);
  memcpy(arr, name, strlen(name) + 1);
}

/* A name of length len, its bytes drawn from seed. */
static void make(char *out, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++) out[i] = (char)('A' + (seed * 31u + (unsigned)i * 7u) % 26u);
  out[len] = '\0';
}

static void test_key_words_hash_and_mask_for_every_length(void **state) {
  (void)state;
  for (size_t size = 16; size <= SYM; size += 16) {
    for (size_t len = 0; len < size; len++) {
      char name[SYM + 1], arr[SYM];
      make(name, len, (unsigned)len);
      oms__strkey_t k;
      assert_int_equal(oms__strkey_from_str(name, size, &k), len / 8 + 1);
      for (char fill = 0; fill < 2; fill++) {
        put(arr, size, name, fill ? (char)0xff : 0);
        assert_true(oms__strkey_hash_arr(arr, size) == oms__strkey_hash(&k));
        assert_true(oms__strkey_hash(&k) != 0);
        assert_true(oms__strkey_match(&k, arr));
      }
    }
  }
}

static void test_match_is_strcmp(void **state) {
  (void)state;
  static const char *names[] = {"",
                                "A",
                                "SIM",
                                "XNAS",
                                "ABCDEFG",
                                "ABCDEFGH",
                                "ABCDEFGHI",
                                "SYM00-USD",
                                "SYM01-USD",
                                "SYM00-US",
                                "SYM00-USDT",
                                "BTC-USD-PERP",
                                "BTC-USD-SPOT",
                                "AAPL  240119C00150000",
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"};
  size_t n = sizeof names / sizeof names[0];
  for (size_t i = 0; i < n; i++) {
    oms__strkey_t k;
    assert_int_not_equal(oms__strkey_from_str(names[i], SYM, &k), 0);
    for (size_t j = 0; j < n; j++) {
      char arr[SYM];
      put(arr, SYM, names[j], 'x');
      bool same = strcmp(names[i], names[j]) == 0;
      assert_int_equal(oms__strkey_match(&k, arr), same);
      oms__strkey_t kj;
      oms__strkey_from_str(names[j], SYM, &kj);
      assert_int_equal(oms__strkey_eq(&k, &kj), same);
      if (!same) assert_true(oms__strkey_hash_arr(arr, SYM) != oms__strkey_hash(&k));
    }
  }
}

static void test_a_name_too_long_for_its_array_is_no_key(void **state) {
  (void)state;
  oms__strkey_t k;
  assert_int_equal(oms__strkey_from_str("ABCDEFGHIJKLMNOP", 16, &k), 0);
  assert_false(oms__strkey_match(&k, "ABCDEFGHIJKLMNOP"));
  char arr[16];
  memset(arr, 'Q', sizeof arr);
  assert_true(oms__strkey_hash_arr(arr, sizeof arr) == 0);
  assert_int_equal(oms__strkey_from_str("ABCDEFGHIJKLMNO", 16, &k), 2);
  assert_false(oms__strkey_match(&k, arr));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_words_hash_and_mask_for_every_length),
      cmocka_unit_test(test_match_is_strcmp),
      cmocka_unit_test(test_a_name_too_long_for_its_array_is_no_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
