/* Tests for src/algo/params.c: reading parameters from FIX tag=value pairs
 * and refusing bad ones with the right code, naming the parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/algo.h"
#include "oms_test.h"

#define NOW INT64_C(1700000000000000000)
#define SEC INT64_C(1000000000)

static oms_algo_params_t twap(void) {
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_TWAP, OMS_SIDE_BUY, T_D("1000"));
  p.start_ns = NOW;
  p.end_ns = NOW + 600 * SEC;
  p.set |= 1u << OMS_ALGO_P_start_ns | 1u << OMS_ALGO_P_end_ns;
  return p;
}

#define SET(p, f, v)                 \
  do {                               \
    (p).f = (v);                     \
    (p).set |= 1u << OMS_ALGO_P_##f; \
  } while (0)

static void refused(const oms_algo_params_t *p, oms_algo_refusal_t code, const char *param) {
  oms_algo_reject_t rej;
  assert_int_equal(oms_algo_params_validate(p, T_D("0.01"), T_D("1"), NOW, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, code);
  assert_string_equal(rej.param, param);
  /* the text names the parameter and its tag */
  assert_non_null(strstr(rej.text, param));
}

static void test_a_good_twap_is_accepted(void **state) {
  (void)state;
  oms_algo_params_t p = twap();
  SET(p, limit_px, T_D("101.5"));
  SET(p, max_pov, T_D("0.2"));
  SET(p, would_px, T_D("99"));
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.01"), T_D("1"), NOW, NULL), 0);
}

static void test_end_before_start_is_refused(void **state) {
  (void)state;
  oms_algo_params_t p = twap();
  p.end_ns = p.start_ns;
  refused(&p, OMS_ALGO_R_END_BEFORE_START, "end_ns");
  p = twap();
  p.start_ns = NOW - 100 * SEC;
  p.end_ns = NOW - 10 * SEC;
  refused(&p, OMS_ALGO_R_END_PASSED, "end_ns");
}

static void test_display_above_quantity_is_refused(void **state) {
  (void)state;
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_SELL, T_D("100"));
  SET(p, limit_px, T_D("10"));
  SET(p, display_qty, T_D("101"));
  refused(&p, OMS_ALGO_R_DISPLAY_ABOVE_QTY, "display_qty");
  p.display_qty = T_D("100");
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.01"), T_D("1"), NOW, NULL), 0);
  p.display_qty = T_D("0");
  refused(&p, OMS_ALGO_R_OUT_OF_BOUNDS, "display_qty");
}

static void test_participation_zero_or_above_one_is_refused(void **state) {
  (void)state;
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_POV, OMS_SIDE_BUY, T_D("100"));
  SET(p, pov_rate, T_D("0"));
  refused(&p, OMS_ALGO_R_PARTICIPATION, "pov_rate");
  p.pov_rate = T_D("1.01");
  refused(&p, OMS_ALGO_R_PARTICIPATION, "pov_rate");
  p.pov_rate = T_D("1");
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.01"), T_D("1"), NOW, NULL), 0);
  p = twap();
  SET(p, max_pov, T_D("0"));
  refused(&p, OMS_ALGO_R_PARTICIPATION, "max_pov");
}

static void test_unknown_strategy_is_refused(void **state) {
  (void)state;
  oms_algo_params_t p = twap();
  p.strategy = 7;
  refused(&p, OMS_ALGO_R_UNKNOWN_STRATEGY, "strategy");
  oms_algo_tag_t t[] = {{847, "SHOTGUN", 7}};
  oms_algo_reject_t rej;
  assert_int_equal(oms_algo_params_from_tags(t, 1, &p, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_UNKNOWN_STRATEGY);
  assert_int_equal(rej.tag, 847);
  assert_non_null(strstr(rej.text, "SHOTGUN"));
}

static void test_each_missing_or_misplaced_parameter_is_named(void **state) {
  (void)state;
  oms_algo_params_t p = twap();
  SET(p, slice_ns, 0);
  refused(&p, OMS_ALGO_R_SLICE_INTERVAL, "slice_ns");
  p = twap();
  p.set &= ~(1u << OMS_ALGO_P_end_ns);
  refused(&p, OMS_ALGO_R_MISSING, "end_ns");
  p = twap();
  SET(p, display_qty, T_D("5"));
  refused(&p, OMS_ALGO_R_NOT_APPLICABLE, "display_qty");
  oms_algo_params_init(&p, OMS_ALGO_SNIPER, OMS_SIDE_BUY, T_D("10"));
  refused(&p, OMS_ALGO_R_LIMIT_REQUIRED, "limit_px");
  oms_algo_params_init(&p, OMS_ALGO_LIT, OMS_SIDE_BUY, T_D("10"));
  SET(p, limit_px, T_D("10"));
  refused(&p, OMS_ALGO_R_MISSING, "trigger_px");
  p = twap();
  SET(p, min_slice, T_D("50"));
  SET(p, max_slice, T_D("40"));
  refused(&p, OMS_ALGO_R_MIN_ABOVE_MAX, "min_slice");
  p = twap();
  SET(p, limit_px, T_D("100"));
  SET(p, would_px, T_D("100.01"));
  refused(&p, OMS_ALGO_R_WOULD_BEYOND_LIMIT, "would_px");
  p = twap();
  p.side = OMS_SIDE_SELL;
  SET(p, limit_px, T_D("100"));
  SET(p, would_px, T_D("99.99"));
  refused(&p, OMS_ALGO_R_WOULD_BEYOND_LIMIT, "would_px");
  p = twap();
  SET(p, size_var, T_D("0.6"));
  refused(&p, OMS_ALGO_R_OUT_OF_BOUNDS, "size_var");
  p = twap();
  SET(p, aggression, 4);
  refused(&p, OMS_ALGO_R_OUT_OF_BOUNDS, "aggression");
  p = twap();
  SET(p, limit_px, T_D("100.001"));
  refused(&p, OMS_ALGO_R_TICK_SIZE, "limit_px");
  p = twap();
  p.qty = T_D("10.5");
  refused(&p, OMS_ALGO_R_LOT_SIZE, "qty");
  p = twap();
  p.qty = T_D("0");
  refused(&p, OMS_ALGO_R_OUT_OF_BOUNDS, "qty");
  oms_algo_params_init(&p, OMS_ALGO_VWAP, OMS_SIDE_BUY, T_D("10"));
  SET(p, end_ns, NOW + SEC);
  p.profile_len = 2;
  p.profile[0] = T_D("0");
  p.profile[1] = T_D("0");
  p.set |= 1u << OMS_ALGO_P_profile;
  refused(&p, OMS_ALGO_R_BAD_PROFILE, "profile");
  p.profile[1] = T_D("-1");
  refused(&p, OMS_ALGO_R_BAD_PROFILE, "profile");
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_SELL, T_D("10"));
  SET(p, trail_unit, OMS_TRAIL_BPS);
  SET(p, trail_offset, T_D("10000"));
  refused(&p, OMS_ALGO_R_OUT_OF_BOUNDS, "trail_offset");
  p.trail_unit = OMS_TRAIL_PRICE;
  p.trail_offset = T_D("0.015");
  refused(&p, OMS_ALGO_R_TICK_SIZE, "trail_offset");
  p.set &= ~(1u << OMS_ALGO_P_side);
  refused(&p, OMS_ALGO_R_MISSING, "side");
}

static int tags(oms_algo_params_t *p, oms_algo_reject_t *rej, const char *const *kv, size_t n) {
  oms_algo_tag_t t[32];
  for (size_t i = 0; i < n; i++) {
    const char *eq = strchr(kv[i], '=');
    t[i].tag = (uint32_t)atoi(kv[i]);
    t[i].value = eq + 1;
    t[i].len = strlen(eq + 1);
  }
  return oms_algo_params_from_tags(t, n, p, rej);
}

static void test_fix_tags_are_read_into_the_parameters(void **state) {
  (void)state;
  static const char *const kv[] = {"847=VWAP",
                                   "54=2",
                                   "38=500",
                                   "44=99.5",
                                   "20001=20231114-22:13:20",
                                   "20002=20231114-22:23:20.5",
                                   "20003=30000",
                                   "20004=0.1",
                                   "20005=0.25",
                                   "20006=10",
                                   "20007=100",
                                   "20008=0.3",
                                   "20010=MID",
                                   "20012=N",
                                   "20019=42",
                                   "20020=1,2,3.5",
                                   "55=BTC-USD",
                                   "11=abc"};
  oms_algo_params_t p;
  oms_algo_reject_t rej;
  assert_int_equal(tags(&p, &rej, kv, sizeof kv / sizeof kv[0]), 0);
  assert_int_equal(p.strategy, OMS_ALGO_VWAP);
  assert_int_equal(p.side, OMS_SIDE_SELL);
  assert_true(oms_dec_eq(p.qty, T_D("500")));
  assert_true(oms_dec_eq(p.limit_px, T_D("99.5")));
  assert_int_equal(p.start_ns, NOW);
  assert_int_equal(p.end_ns, NOW + 600 * SEC + SEC / 2);
  assert_int_equal(p.slice_ns, 30 * SEC);
  assert_int_equal(p.aggression, OMS_AGGR_MID);
  assert_int_equal(p.catch_up, 0);
  assert_int_equal(p.seed, 42);
  assert_int_equal(p.profile_len, 3);
  assert_true(oms_dec_eq(p.profile[2], T_D("3.5")));
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.5"), T_D("1"), NOW, &rej), 0);

  static const char *const kv2[] = {"847=1003",  "54=1",      "38=5",   "20015=25",
                                    "20016=BPS", "20017=100", "20012=Y"};
  assert_int_equal(tags(&p, &rej, kv2, 7), 0);
  assert_int_equal(p.strategy, OMS_ALGO_TRAILING_STOP);
  assert_int_equal(p.trail_unit, OMS_TRAIL_BPS);
  assert_int_equal(p.catch_up, 1);
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.5"), T_D("1"), NOW, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_NOT_APPLICABLE); /* catch_up is not a trailing stop's */

  /* the trigger price type, by name or number; not a TWAP's */
  static const char *const kv3[] = {"847=1004", "54=1", "38=5", "20018=100", "20021=QUOTE"};
  assert_int_equal(tags(&p, &rej, kv3, 5), 0);
  assert_int_equal(p.trigger_type, OMS_TRIGGER_QUOTE);
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.5"), T_D("1"), NOW, &rej), 0);
  static const char *const kv4[] = {"847=1004", "54=1", "38=5", "20018=100", "20021=4"};
  assert_int_equal(tags(&p, &rej, kv4, 5), 0);
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.5"), T_D("1"), NOW, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_OUT_OF_BOUNDS);
  static const char *const kv5[] = {"847=1000", "54=1", "38=5", "20002=20991231-00:00:00",
                                    "20021=MID"};
  assert_int_equal(tags(&p, &rej, kv5, 5), 0);
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.5"), T_D("1"), NOW, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_NOT_APPLICABLE);
}

static void test_bad_fix_values_are_refused(void **state) {
  (void)state;
  static const struct {
    const char *kv;
    oms_algo_refusal_t code;
  } cases[] = {
      {"20003=-5", OMS_ALGO_R_BAD_VALUE},
      {"20003=x", OMS_ALGO_R_BAD_VALUE},
      {"20001=2023-11-14", OMS_ALGO_R_BAD_VALUE},
      {"20001=20231314-22:13:20", OMS_ALGO_R_BAD_VALUE},
      {"20001=20231114-22:13:20.", OMS_ALGO_R_BAD_VALUE},
      {"20001=20231114-22:13:20x123", OMS_ALGO_R_BAD_VALUE},
      {"20012=T", OMS_ALGO_R_BAD_VALUE},
      {"20010=FAST", OMS_ALGO_R_BAD_VALUE},
      {"20010=99999999", OMS_ALGO_R_BAD_VALUE},
      {"20016=HUGE", OMS_ALGO_R_BAD_VALUE},
      {"54=BUYSELLBUYSELLBUYSELLBUYSELLBUYSELL", OMS_ALGO_R_BAD_VALUE},
      {"38=1e3", OMS_ALGO_R_BAD_VALUE},
      {"20019=-1", OMS_ALGO_R_BAD_VALUE},
      {"20020=1,,2", OMS_ALGO_R_BAD_VALUE},
      {"20999=1", OMS_ALGO_R_UNKNOWN_TAG},
      {"20003=99999999999999999", OMS_ALGO_R_BAD_VALUE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    oms_algo_params_t p;
    oms_algo_reject_t rej;
    const char *kv[] = {"847=TWAP", cases[i].kv};
    assert_int_equal(tags(&p, &rej, kv, 2), OMS_EREJECTED);
    assert_int_equal(rej.code, cases[i].code);
  }
  oms_algo_params_t p;
  oms_algo_reject_t rej;
  const char *dup[] = {"847=TWAP", "20003=5", "20003=6"};
  assert_int_equal(tags(&p, &rej, dup, 3), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_DUPLICATE_TAG);
  assert_string_equal(rej.param, "slice_ns");
  char many[400] = "20020=1";
  for (int i = 0; i < OMS_ALGO_PROFILE_MAX; i++) strcat(many, ",1");
  const char *big[] = {many};
  assert_int_equal(tags(&p, &rej, big, 1), OMS_EREJECTED);
  assert_int_equal(tags(&p, NULL, big, 1), OMS_EREJECTED);
}

static void test_names_round_trip(void **state) {
  (void)state;
  oms_algo_strategy_t s;
  assert_int_equal(oms_algo_strategy_parse("ICEBERG", &s), 0);
  assert_int_equal(s, OMS_ALGO_ICEBERG);
  assert_string_equal(oms_algo_strategy_name(OMS_ALGO_LIT), "LIT");
  assert_string_equal(oms_algo_strategy_name((oms_algo_strategy_t)3), "UNKNOWN");
  assert_int_equal(oms_algo_strategy_parse("twap", &s), OMS_ENOTFOUND);
  assert_string_equal(oms_algo_refusal_name(OMS_ALGO_R_PARTICIPATION), "PARTICIPATION");
  assert_string_equal(oms_algo_refusal_name(OMS_ALGO_R_NONE), "NONE");
  assert_string_equal(oms_algo_refusal_name((oms_algo_refusal_t)1), "UNKNOWN");
  assert_string_equal(oms_algo_param_name(OMS_ALGO_P_display_qty), "display_qty");
  assert_string_equal(oms_algo_param_name(OMS_ALGO_P_COUNT), "UNKNOWN");
  assert_int_equal(oms_algo_param_tag(OMS_ALGO_P_strategy), 847);
  assert_int_equal(oms_algo_param_tag(OMS_ALGO_P_COUNT), 0);
  /* every parameter tag is unique */
  for (int i = 0; i < OMS_ALGO_P_COUNT; i++) {
    for (int j = i + 1; j < OMS_ALGO_P_COUNT; j++) {
      assert_int_not_equal(oms_algo_param_tag(i), oms_algo_param_tag(j));
    }
  }
}

static void test_a_profile_is_learned_from_past_volumes(void **state) {
  (void)state;
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_VWAP, OMS_SIDE_BUY, T_D("100"));
  SET(p, end_ns, NOW + 60 * SEC);
  oms_dec_t vol[4] = {T_D("5000000000"), T_D("15000000000"), T_D("0"), T_D("30000000000")};
  assert_int_equal(oms_algo_profile_from_volumes(&p, vol, 4), 0);
  assert_int_equal(p.profile_len, 4);
  assert_true(oms_dec_eq(p.profile[0], T_D("10")));
  assert_true(oms_dec_eq(p.profile[1], T_D("30")));
  assert_true(oms_dec_eq(p.profile[3], T_D("60")));
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.01"), T_D("1"), NOW, NULL), 0);
  oms_dec_t bad[2] = {T_D("1"), T_D("-1")};
  assert_int_equal(oms_algo_profile_from_volumes(&p, bad, 2), OMS_EINVAL);
  assert_int_equal(oms_algo_profile_from_volumes(&p, vol + 2, 1), OMS_EINVAL);
  assert_int_equal(oms_algo_profile_from_volumes(&p, vol, 0), OMS_EINVAL);
  assert_int_equal(oms_algo_profile_from_volumes(&p, vol, OMS_ALGO_PROFILE_MAX + 1), OMS_EINVAL);
  assert_int_equal(p.profile_len, 4);
}

/* docs/algos.md documents every parameter with its tag, and every refusal. */
static void test_the_documentation_names_every_parameter_and_code(void **state) {
  (void)state;
  const char *dir = getenv("OMS_SOURCE_DIR");
  if (dir == NULL) skip();
  char path[512];
  snprintf(path, sizeof path, "%s/docs/algos.md", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char doc[65536];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  doc[n] = 0;
  char want[96];
  for (int k = 0; k < OMS_ALGO_P_COUNT; k++) {
    snprintf(want, sizeof want, "| `%s` | %u |", oms_algo_param_name(k), oms_algo_param_tag(k));
    if (strstr(doc, want) == NULL) fail_msg("docs/algos.md lacks the row %s", want);
  }
  for (int c = 500; c <= 520; c++) {
    snprintf(want, sizeof want, "| %d | `%s` |", c, oms_algo_refusal_name(c));
    if (strstr(doc, want) == NULL) fail_msg("docs/algos.md lacks the row %s", want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_good_twap_is_accepted),
      cmocka_unit_test(test_end_before_start_is_refused),
      cmocka_unit_test(test_display_above_quantity_is_refused),
      cmocka_unit_test(test_participation_zero_or_above_one_is_refused),
      cmocka_unit_test(test_unknown_strategy_is_refused),
      cmocka_unit_test(test_each_missing_or_misplaced_parameter_is_named),
      cmocka_unit_test(test_fix_tags_are_read_into_the_parameters),
      cmocka_unit_test(test_bad_fix_values_are_refused),
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_a_profile_is_learned_from_past_volumes),
      cmocka_unit_test(test_the_documentation_names_every_parameter_and_code),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
