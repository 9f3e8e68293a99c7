/* Tests for src/core/hash.h: the string hashes and the integer mixer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* Every length from empty to full, with every byte after the NUL garbage:
 * the word-at-a-time hash of the array equals the byte-at-a-time hash of the
 * string, and gives the length. */
static void test_name_hash_of_an_array_equals_that_of_its_string(void **state) {
  (void)state;
  char a[64], str[64];
  for (size_t n = 0; n < sizeof a; n++) {
    for (size_t i = 0; i < sizeof a; i++) a[i] = (char)(0x41 + (i * 7 + n) % 50);
    a[n] = '\0';
    memcpy(str, a, n + 1);
    size_t len = 99;
    uint64_t h = oms__hash_name(a, sizeof a, 5, &len);
    assert_int_equal(len, n);
    assert_int_equal(h, oms__hash_name_str(str, 5));
    assert_int_not_equal(h, 0);
    /* other garbage after the NUL: the same hash */
    memset(a + n + 1, 0xff, sizeof a - n - 1);
    assert_int_equal(oms__hash_name(a, sizeof a, 5, &len), h);
  }
  assert_int_not_equal(oms__hash_name_str("abc", 1), oms__hash_name_str("abc", 2));
  assert_int_not_equal(oms__hash_name_str("abcdefgh", 0), oms__hash_name_str("abcdefg", 0));
  assert_int_not_equal(oms__hash_name_str("abcdefgh", 0), oms__hash_name_str("abcdefghi", 0));
}

static void test_name_hash_reports_an_array_without_nul(void **state) {
  (void)state;
  char a[16];
  memset(a, 'x', sizeof a);
  size_t len = 0;
  uint64_t h = oms__hash_name(a, sizeof a, 0, &len);
  assert_int_equal(len, sizeof a);
  assert_int_not_equal(h, 0);
  /* a high byte (0x80..0xff) is not taken for a NUL */
  char b[8] = {'a', (char)0x80, (char)0xff, (char)0x81, 'b', '\0', 'c', 'd'};
  assert_int_equal(oms__hash_name(b, sizeof b, 0, &len), oms__hash_name_str(b, 0));
  assert_int_equal(len, 5);
}

/* Client order ids as a table sees them: sequential, differing in one or two
 * characters; the low 16 bits of their hashes spread as random ones would. */
static void test_name_hash_spreads_sequential_ids(void **state) {
  (void)state;
  static uint8_t hit[65536];
  memset(hit, 0, sizeof hit);
  int slots = 0;
  char id[64];
  memset(id, 0, sizeof id);
  for (int i = 1; i <= 32768; i++) {
    size_t len;
    snprintf(id, sizeof id, "c%d", i);
    uint32_t b = (uint32_t)oms__hash_name(id, sizeof id, 7, &len) & 65535;
    if (!hit[b]++) slots++;
  }
  assert_true(slots > 24000);
}

/* oms__name_eq agrees with strcmp for names of every length against names
 * that differ anywhere up to and including the NUL, with garbage after. */
static void test_name_eq_agrees_with_strcmp(void **state) {
  (void)state;
  char a[32], b[32];
  for (size_t n = 0; n < sizeof a; n++) {
    for (size_t i = 0; i < sizeof a; i++) a[i] = b[i] = (char)('a' + i % 26);
    a[n] = '\0';
    memcpy(b, a, n + 1);
    memset(b + n + 1, '#', sizeof b - n - 1); /* garbage after the NUL */
    assert_true(oms__name_eq(a, b, sizeof a));
    assert_true(oms__name_eq(b, a, sizeof a));
    for (size_t d = 0; d <= n && d + 1 < sizeof a; d++) {
      char c[32];
      memcpy(c, b, sizeof c);
      c[d] = d == n ? 'x' : (char)(c[d] ^ 0x80); /* one byte differs, the NUL too */
      assert_int_equal(oms__name_eq(a, c, sizeof a), strcmp(a, c) == 0);
      assert_int_equal(oms__name_eq(c, a, sizeof a), strcmp(c, a) == 0);
      assert_false(oms__name_eq(a, c, sizeof a));
    }
  }
  char full1[8], full2[8];
  memset(full1, 'z', sizeof full1);
  memset(full2, 'z', sizeof full2);
  assert_true(oms__name_eq(full1, full2, sizeof full1));
  full2[7] = 'y';
  assert_false(oms__name_eq(full1, full2, sizeof full1));
}

/* A key of two names (oms__name_chain): the array form equals the string
 * form, and every split of one text into two names gives another key. */
static void test_name_chain_of_two_names(void **state) {
  (void)state;
  const char *text = "abcdefghijklmnopqrstuvwxyz012345";
  size_t n = strlen(text);
  uint64_t keys[40];
  for (size_t cut = 0; cut <= n; cut++) {
    char a[64], b[64], sa[64], sb[64];
    memset(a, '#', sizeof a); /* garbage after the NULs */
    memset(b, '#', sizeof b);
    memcpy(a, text, cut);
    a[cut] = '\0';
    memcpy(b, text + cut, n - cut);
    b[n - cut] = '\0';
    memcpy(sa, a, cut + 1);
    memcpy(sb, b, n - cut + 1);
    size_t la, lb;
    uint64_t h = oms__name_chain(oms__name_chain(11, a, sizeof a, &la), b, sizeof b, &lb);
    assert_int_equal(la, cut);
    assert_int_equal(lb, n - cut);
    assert_int_equal(h, oms__name_chain_str(oms__name_chain_str(11, sa), sb));
    keys[cut] = oms__hash_finish(h);
    for (size_t k = 0; k < cut; k++) assert_int_not_equal(keys[k], keys[cut]);
  }
}

/* Keys of (strategy, client order id) as the engine makes them: sequential
 * ids, short and long (differing only in a word's last byte too), spread
 * over the low 16 bits as random ones would. */
static void test_name_chain_spreads_sequential_ids(void **state) {
  (void)state;
  const char *fmt[] = {"c%d", "order-%09d", "%07d"};
  for (size_t f = 0; f < sizeof fmt / sizeof fmt[0]; f++) {
    static uint8_t hit[65536];
    memset(hit, 0, sizeof hit);
    int slots = 0;
    char strategy[64] = "strat7", id[64];
    memset(id, 0, sizeof id);
    for (int i = 1; i <= 32768; i++) {
      size_t len;
      snprintf(id, sizeof id, fmt[f], i);
      uint64_t h =
          oms__name_chain(oms__name_chain(3, strategy, sizeof strategy, &len), id, sizeof id, &len);
      uint32_t b = (uint32_t)oms__hash_finish(h) & 65535;
      if (!hit[b]++) slots++;
    }
    assert_true(slots > 24000);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_string_hash_is_never_zero_and_seeded),
      cmocka_unit_test(test_string_and_memory_hash_agree),
      cmocka_unit_test(test_mixer_spreads_sequential_ids_over_the_low_bits),
      cmocka_unit_test(test_name_hash_of_an_array_equals_that_of_its_string),
      cmocka_unit_test(test_name_hash_reports_an_array_without_nul),
      cmocka_unit_test(test_name_hash_spreads_sequential_ids),
      cmocka_unit_test(test_name_eq_agrees_with_strcmp),
      cmocka_unit_test(test_name_chain_of_two_names),
      cmocka_unit_test(test_name_chain_spreads_sequential_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
