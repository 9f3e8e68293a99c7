/* Tests for src/decimal/decimal.c: exact parsing, formatting and arithmetic,
 * and every way a bad input or an overflow is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oms/decimal.h"
#include "oms/error.h"

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr(s, &d), 0);
  return d;
}

static void assert_fmt(oms_dec_t d, const char *want) {
  char buf[OMS_DEC_STRLEN];
  int n = oms_dec_format(d, buf, sizeof buf);
  assert_int_equal(n, (int)strlen(want));
  assert_string_equal(buf, want);
}

static void test_point_one_plus_point_two_is_point_three(void **state) {
  (void)state;
  oms_dec_t s;
  assert_int_equal(oms_dec_add(D("0.1"), D("0.2"), &s), 0);
  assert_true(oms_dec_eq(s, D("0.3")));
  assert_fmt(s, "0.3");
}

static void test_parse_accepts_plain_decimals(void **state) {
  (void)state;
  assert_int_equal(D("1").raw, OMS_DEC_SCALE);
  assert_int_equal(D("-0.5").raw, -OMS_DEC_SCALE / 2);
  assert_int_equal(D("+2.25").raw, 225000000);
  assert_int_equal(D("12.").raw, 12 * OMS_DEC_SCALE);
  assert_int_equal(D(".5").raw, OMS_DEC_SCALE / 2);
  assert_int_equal(D("0.00000001").raw, 1);
  assert_int_equal(D("1.000000000000").raw, OMS_DEC_SCALE);
  assert_int_equal(D("000000000000000000000007").raw, 7 * OMS_DEC_SCALE);
  assert_int_equal(D("-0").raw, 0);
  assert_int_equal(D("92233720368.54775807").raw, INT64_MAX);
  assert_int_equal(D("-92233720368.54775807").raw, -INT64_MAX);
}

static void test_parse_refuses_bad_input(void **state) {
  (void)state;
  const char *bad[] = {"",      "abc", "1e5", "NaN", "nan", "inf",  "--1",   "+-1", " 1", "1 ",
                       "1.2.3", ".",   "-",   "+",   "1,5", "0x10", "1_000", "\t1", "１"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    oms_dec_t d = {42};
    assert_int_equal(oms_dec_parse_cstr(bad[i], &d), OMS_ESYNTAX);
    assert_int_equal(d.raw, 42); /* untouched */
  }
  oms_dec_t d;
  assert_int_equal(oms_dec_parse(NULL, 0, &d), OMS_ESYNTAX);
  assert_int_equal(oms_dec_parse_cstr(NULL, &d), OMS_ESYNTAX);
  assert_int_equal(oms_dec_parse("12", 0, &d), OMS_ESYNTAX);
}

static void test_parse_refuses_too_many_decimals(void **state) {
  (void)state;
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr("0.000000001", &d), OMS_EPRECISION);
  assert_int_equal(oms_dec_parse_cstr("1.123456789", &d), OMS_EPRECISION);
}

static void test_parse_refuses_out_of_range(void **state) {
  (void)state;
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr("92233720368.54775808", &d), OMS_EOVERFLOW);
  assert_int_equal(oms_dec_parse_cstr("92233720369", &d), OMS_EOVERFLOW);
  assert_int_equal(oms_dec_parse_cstr("-92233720368.54775808", &d), OMS_EOVERFLOW);
  assert_int_equal(oms_dec_parse_cstr("99999999999999999999999999999", &d), OMS_EOVERFLOW);
}

static void test_parse_uses_length_not_nul(void **state) {
  (void)state;
  oms_dec_t d;
  assert_int_equal(oms_dec_parse("1.5xyz", 3, &d), 0);
  assert_int_equal(d.raw, 150000000);
}

static void test_format_is_shortest_exact_text(void **state) {
  (void)state;
  assert_fmt(D("0"), "0");
  assert_fmt(D("-12"), "-12");
  assert_fmt(D("0.00000001"), "0.00000001");
  assert_fmt(D("-0.10"), "-0.1");
  assert_fmt(D("65000.50"), "65000.5");
  assert_fmt(oms_dec_from_raw(INT64_MAX), "92233720368.54775807");
  assert_fmt(oms_dec_from_raw(-INT64_MAX), "-92233720368.54775807");
}

static void test_format_refuses_small_buffer(void **state) {
  (void)state;
  char buf[4];
  assert_int_equal(oms_dec_format(D("123.5"), buf, sizeof buf), OMS_ENOSPC);
  assert_int_equal(oms_dec_format(D("123"), buf, sizeof buf), 3);
  assert_int_equal(oms_dec_format(D("1"), NULL, 0), OMS_ENOSPC);
}

static void test_round_trip_of_many_values(void **state) {
  (void)state;
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t raw = (int64_t)(x >> 1);
    if (i & 1) raw = -raw;
    if (i % 3 == 0) raw %= 1000000000;
    if (raw == INT64_MIN) continue;
    char buf[OMS_DEC_STRLEN];
    assert_true(oms_dec_format(oms_dec_from_raw(raw), buf, sizeof buf) > 0);
    oms_dec_t back;
    assert_int_equal(oms_dec_parse_cstr(buf, &back), 0);
    assert_int_equal(back.raw, raw);
  }
}

static void test_add_and_sub_detect_overflow(void **state) {
  (void)state;
  oms_dec_t out = {7}, max = oms_dec_from_raw(INT64_MAX), min = oms_dec_from_raw(-INT64_MAX);
  assert_int_equal(oms_dec_add(max, D("0.00000001"), &out), OMS_EOVERFLOW);
  assert_int_equal(out.raw, 7);
  assert_int_equal(oms_dec_sub(min, D("0.00000001"), &out), OMS_EOVERFLOW);
  assert_int_equal(oms_dec_sub(D("1"), D("3.5"), &out), 0);
  assert_true(oms_dec_eq(out, D("-2.5")));
  assert_int_equal(oms_dec_add(max, min, &out), 0);
  assert_int_equal(out.raw, 0);
}

static void test_mul_is_exact_and_rounds_half_even(void **state) {
  (void)state;
  oms_dec_t out;
  assert_int_equal(oms_dec_mul(D("1.5"), D("65000.5"), OMS_ROUND_HALF_EVEN, &out), 0);
  assert_fmt(out, "97500.75");
  /* 0.00000001 * 0.5 = 0.000000005: a tie, to even (0). */
  assert_int_equal(oms_dec_mul(D("0.00000001"), D("0.5"), OMS_ROUND_HALF_EVEN, &out), 0);
  assert_int_equal(out.raw, 0);
  /* 0.00000003 * 0.5 = 0.000000015: a tie, to even (2). */
  assert_int_equal(oms_dec_mul(D("0.00000003"), D("0.5"), OMS_ROUND_HALF_EVEN, &out), 0);
  assert_int_equal(out.raw, 2);
  assert_int_equal(oms_dec_mul(D("-0.00000003"), D("0.5"), OMS_ROUND_HALF_EVEN, &out), 0);
  assert_int_equal(out.raw, -2);
  assert_int_equal(oms_dec_mul(D("100000"), D("10000000"), OMS_ROUND_HALF_EVEN, &out),
                   OMS_EOVERFLOW);
}

static void test_every_rounding_mode(void **state) {
  (void)state;
  /* 1/3 and -1/3 and the ties 0.000000025 / -0.000000025, as x / y. */
  struct {
    const char *a, *b;
    oms_round_t m;
    int64_t want;
  } cases[] = {
      {"0.00000005", "2", OMS_ROUND_HALF_EVEN, 2},   {"0.00000005", "2", OMS_ROUND_HALF_UP, 3},
      {"0.00000005", "2", OMS_ROUND_DOWN, 2},        {"0.00000005", "2", OMS_ROUND_UP, 3},
      {"0.00000005", "2", OMS_ROUND_FLOOR, 2},       {"0.00000005", "2", OMS_ROUND_CEIL, 3},
      {"-0.00000005", "2", OMS_ROUND_HALF_EVEN, -2}, {"-0.00000005", "2", OMS_ROUND_HALF_UP, -3},
      {"-0.00000005", "2", OMS_ROUND_DOWN, -2},      {"-0.00000005", "2", OMS_ROUND_UP, -3},
      {"-0.00000005", "2", OMS_ROUND_FLOOR, -3},     {"-0.00000005", "2", OMS_ROUND_CEIL, -2},
      {"1", "3", OMS_ROUND_HALF_EVEN, 33333333},     {"2", "3", OMS_ROUND_HALF_EVEN, 66666667},
      {"-2", "3", OMS_ROUND_HALF_EVEN, -66666667},   {"1", "-3", OMS_ROUND_CEIL, -33333333},
      {"1", "-3", OMS_ROUND_FLOOR, -33333334},       {"0.00000007", "2", OMS_ROUND_HALF_EVEN, 4},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    oms_dec_t out;
    assert_int_equal(oms_dec_div(D(cases[i].a), D(cases[i].b), cases[i].m, &out), 0);
    assert_int_equal(out.raw, cases[i].want);
  }
}

static void test_div_refuses_zero_and_overflow(void **state) {
  (void)state;
  oms_dec_t out = {5};
  assert_int_equal(oms_dec_div(D("1"), D("0"), OMS_ROUND_HALF_EVEN, &out), OMS_EDIVZERO);
  assert_int_equal(oms_dec_div(D("90000000000"), D("0.5"), OMS_ROUND_HALF_EVEN, &out),
                   OMS_EOVERFLOW);
  assert_int_equal(out.raw, 5);
  assert_int_equal(oms_dec_div(D("97500.75"), D("1.5"), OMS_ROUND_HALF_EVEN, &out), 0);
  assert_fmt(out, "65000.5");
}

static void test_integers_and_helpers(void **state) {
  (void)state;
  oms_dec_t out;
  assert_int_equal(oms_dec_from_int(-42, &out), 0);
  assert_fmt(out, "-42");
  assert_int_equal(oms_dec_trunc_int(D("-42.9")), -42);
  assert_int_equal(oms_dec_from_int(92233720369, &out), OMS_EOVERFLOW);
  assert_int_equal(oms_dec_from_int(-92233720369, &out), OMS_EOVERFLOW);
  assert_int_equal(oms_dec_mul_int(D("0.1"), 3, &out), 0);
  assert_fmt(out, "0.3");
  assert_int_equal(oms_dec_mul_int(oms_dec_from_raw(INT64_MAX), 2, &out), OMS_EOVERFLOW);
  assert_true(oms_dec_lt(D("1"), D("2")) && oms_dec_le(D("2"), D("2")));
  assert_true(oms_dec_gt(D("3"), D("2")) && oms_dec_ge(D("2"), D("2")));
  assert_int_equal(oms_dec_cmp(D("1"), D("2")), -1);
  assert_int_equal(oms_dec_cmp(D("2"), D("2")), 0);
  assert_int_equal(oms_dec_cmp(D("3"), D("2")), 1);
  assert_true(oms_dec_eq(oms_dec_neg(D("1.5")), D("-1.5")));
  assert_true(oms_dec_eq(oms_dec_abs(D("-1.5")), D("1.5")));
  assert_true(oms_dec_eq(oms_dec_abs(D("1.5")), D("1.5")));
  assert_true(oms_dec_eq(oms_dec_min(D("1"), D("2")), D("1")));
  assert_true(oms_dec_eq(oms_dec_max(D("1"), D("2")), D("2")));
  assert_true(oms_dec_is_zero(OMS_DEC_ZERO) && oms_dec_is_pos(D("1")) && oms_dec_is_neg(D("-1")));
  assert_int_equal(oms_dec_places(D("12")), 0);
  assert_int_equal(oms_dec_places(D("0.00000001")), 8);
  assert_int_equal(oms_dec_places(D("1.25")), 2);
}

static void test_quantize_and_multiples(void **state) {
  (void)state;
  oms_dec_t out;
  assert_int_equal(oms_dec_quantize(D("100.37"), D("0.05"), OMS_ROUND_HALF_EVEN, &out), 0);
  assert_fmt(out, "100.35");
  assert_int_equal(oms_dec_quantize(D("100.37"), D("0.05"), OMS_ROUND_CEIL, &out), 0);
  assert_fmt(out, "100.4");
  assert_int_equal(oms_dec_quantize(D("-100.37"), D("0.05"), OMS_ROUND_FLOOR, &out), 0);
  assert_fmt(out, "-100.4");
  assert_int_equal(oms_dec_quantize(D("1"), D("0"), OMS_ROUND_DOWN, &out), OMS_EINVAL);
  assert_int_equal(oms_dec_quantize(oms_dec_from_raw(INT64_MAX), D("10"), OMS_ROUND_UP, &out),
                   OMS_EOVERFLOW);
  assert_true(oms_dec_is_multiple(D("100.35"), D("0.05")));
  assert_false(oms_dec_is_multiple(D("100.37"), D("0.05")));
  assert_true(oms_dec_is_multiple(D("100.37"), D("0")));
}

/* The product's and the quotient's division without a 128-bit division
 * give what the plain 128-bit arithmetic gives, in every mode, for values
 * of every size and sign (including the edges of the range). */
static __int128 ref_round(__int128 n, __int128 d, oms_round_t mode) {
  __int128 q = n / d, r = n % d;
  if (r == 0) return q;
  int sign = n < 0 ? -1 : 1;
  __int128 ar = r < 0 ? -r : r;
  int away = 0;
  switch (mode) {
    case OMS_ROUND_DOWN: away = 0; break;
    case OMS_ROUND_UP: away = 1; break;
    case OMS_ROUND_FLOOR: away = sign < 0; break;
    case OMS_ROUND_CEIL: away = sign > 0; break;
    case OMS_ROUND_HALF_UP: away = 2 * ar >= d; break;
    default: away = 2 * ar > d || (2 * ar == d && (q & 1) != 0); break;
  }
  return away ? q + sign : q;
}

static int ref_result(__int128 r, oms_dec_t *out) {
  if (r > INT64_MAX || r < -INT64_MAX) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static int64_t rand_raw(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  static const int64_t edge[] = {0,         1,          -1,        50000000,   -50000000,
                                 150000000, 100000000,  INT64_MAX, -INT64_MAX, INT64_MIN,
                                 99999999,  -250000000, 3};
  uint64_t kind = rng % 8, v = rng >> 8;
  if (kind == 0) return edge[v % (sizeof edge / sizeof edge[0])];
  if (kind == 1) return (int64_t)(v % (UINT64_C(1) << 36)) * 100000000 * ((rng & 1) ? -1 : 1);
  int bits = (int)(v % 63) + 1; /* magnitudes of every size */
  int64_t m = (int64_t)((v >> 6) & ((UINT64_C(1) << bits) - 1));
  return (rng & 1) ? -m : m;
}

static void test_mul_and_div_match_128_bit_arithmetic(void **state) {
  (void)state;
  for (int i = 0; i < 200000; i++) {
    oms_dec_t a = oms_dec_from_raw(rand_raw()), b = oms_dec_from_raw(rand_raw());
    for (int m = OMS_ROUND_HALF_EVEN; m <= OMS_ROUND_CEIL; m++) {
      oms_dec_t got = {0}, want = {0};
      int rc = oms_dec_mul(a, b, (oms_round_t)m, &got);
      int wrc =
          ref_result(ref_round((__int128)a.raw * b.raw, OMS_DEC_SCALE, (oms_round_t)m), &want);
      assert_int_equal(rc, wrc);
      if (rc == 0) assert_int_equal(got.raw, want.raw);
      if (b.raw == 0) continue;
      __int128 n = (__int128)a.raw * OMS_DEC_SCALE, d = b.raw;
      if (d < 0) n = -n, d = -d;
      rc = oms_dec_div(a, b, (oms_round_t)m, &got);
      wrc = ref_result(ref_round(n, d, (oms_round_t)m), &want);
      assert_int_equal(rc, wrc);
      if (rc == 0) assert_int_equal(got.raw, want.raw);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_point_one_plus_point_two_is_point_three),
      cmocka_unit_test(test_parse_accepts_plain_decimals),
      cmocka_unit_test(test_parse_refuses_bad_input),
      cmocka_unit_test(test_parse_refuses_too_many_decimals),
      cmocka_unit_test(test_parse_refuses_out_of_range),
      cmocka_unit_test(test_parse_uses_length_not_nul),
      cmocka_unit_test(test_format_is_shortest_exact_text),
      cmocka_unit_test(test_format_refuses_small_buffer),
      cmocka_unit_test(test_round_trip_of_many_values),
      cmocka_unit_test(test_add_and_sub_detect_overflow),
      cmocka_unit_test(test_mul_is_exact_and_rounds_half_even),
      cmocka_unit_test(test_every_rounding_mode),
      cmocka_unit_test(test_div_refuses_zero_and_overflow),
      cmocka_unit_test(test_integers_and_helpers),
      cmocka_unit_test(test_quantize_and_multiples),
      cmocka_unit_test(test_mul_and_div_match_128_bit_arithmetic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
