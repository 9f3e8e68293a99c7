/* Tests for src/riskmodel/riskmodel.c: every expected number is worked by
 * hand in the comment beside it (two- and three-instrument covariance, VaR
 * and incremental VaR, a stress scenario, a repaired non-PSD matrix), and a
 * saved model restarts into the same state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "oms/error.h"
#include "oms/riskmodel.h"

#define Z99 2.3263478740408408 /* standard normal quantile of 0.99 */
#define Z95 1.6448536269514722

static void near(double got, double want) {
  if (fabs(got - want) > 1e-9 * fmax(1, fabs(want))) fail_msg("got %.17g, want %.17g", got, want);
}

static oms_riskmodel_t *model(uint32_t n, double conf, uint32_t ns) {
  oms_riskmodel_config_t c = {n, 4, ns, 8, 0, conf, 0};
  oms_riskmodel_t *m;
  assert_int_equal(oms_riskmodel_create(&c, &m), 0);
  return m;
}

static void test_config_is_validated(void **state) {
  (void)state;
  oms_riskmodel_t *m = (oms_riskmodel_t *)1;
  oms_riskmodel_config_t c = {0, 1, 0, 0, 0, 0, 0};
  assert_int_equal(oms_riskmodel_create(&c, &m), OMS_EINVAL);
  assert_null(m);
  c.n = 2;
  c.lambda = 1;
  assert_int_equal(oms_riskmodel_create(&c, &m), OMS_EINVAL);
  c.lambda = 0;
  c.confidence = 0.4;
  assert_int_equal(oms_riskmodel_create(&c, &m), OMS_EINVAL);
  c.confidence = 0;
  assert_int_equal(oms_riskmodel_create(&c, &m), 0);
  near(oms_riskmodel_z(m), Z99); /* the defaults: 0.99, lambda 0.94, h 1 */
  assert_int_equal(oms_riskmodel_tick(m, 2, 1), OMS_EINVAL);
  assert_int_equal(oms_riskmodel_tick(m, 0, -1), OMS_EINVAL);
  assert_int_equal(oms_riskmodel_add(m, 9, 0, 1), OMS_EINVAL);
  oms_riskmodel_destroy(m);
  oms_riskmodel_destroy(NULL);
}

/* Two instruments, lambda 0.94, from a zero matrix:
 *   prices (100, 50) -> (101, 49.5): r = (0.01, -0.01)
 *     S = 0.06 r r^T = [[6e-6, -6e-6], [-6e-6, 6e-6]]
 *   -> (99.99, 50.49): r = (-0.01, 0.02)
 *     S = 0.94 S + 0.06 [[1e-4, -2e-4], [-2e-4, 4e-4]]
 *       = [[5.64e-6 + 6e-6, -5.64e-6 - 12e-6], [., 5.64e-6 + 24e-6]]
 *       = [[11.64e-6, -17.64e-6], [-17.64e-6, 29.64e-6]] */
static void test_ewma_covariance_two_instruments(void **state) {
  (void)state;
  oms_riskmodel_t *m = model(2, 0, 0);
  oms_riskmodel_tick(m, 0, 100);
  oms_riskmodel_tick(m, 1, 50);
  oms_riskmodel_sample(m); /* the first only records prices */
  assert_int_equal(oms_riskmodel_samples(m), 0);
  oms_riskmodel_tick(m, 0, 101);
  oms_riskmodel_tick(m, 1, 49.5);
  oms_riskmodel_sample(m);
  near(oms_riskmodel_cov(m, 0, 0) * 1e6, 6);
  near(oms_riskmodel_cov(m, 0, 1) * 1e6, -6);
  oms_riskmodel_tick(m, 0, 99.99);
  oms_riskmodel_tick(m, 1, 50.49);
  oms_riskmodel_sample(m);
  assert_int_equal(oms_riskmodel_samples(m), 2);
  near(oms_riskmodel_cov(m, 0, 0) * 1e6, 11.64);
  near(oms_riskmodel_cov(m, 0, 1) * 1e6, -17.64);
  near(oms_riskmodel_cov(m, 1, 0) * 1e6, -17.64);
  near(oms_riskmodel_cov(m, 1, 1) * 1e6, 29.64);
  /* exposure (1000, 500): q = 1e6 x 11.64e-6 + 2 x 5e5 x -17.64e-6 + 2.5e5 x 29.64e-6
   *   = 11.64 - 17.64 + 7.41 = 1.41 */
  oms_riskmodel_add(m, 1, 0, 1000);
  oms_riskmodel_add(m, 1, 1, 500);
  near(oms_riskmodel_var(m, 1), Z99 * sqrt(1.41));
  /* a new sample recomputes the book: returns 0 leave S x 0.94 */
  oms_riskmodel_sample(m);
  near(oms_riskmodel_var(m, 1), Z99 * sqrt(1.41 * 0.94));
  oms_riskmodel_destroy(m);
}

/* Vols 2% and 3%, correlation 0.5: S = [[4e-4, 3e-4], [3e-4, 9e-4]].
 * x = (100, 200): q = 4 + 12 + 36 = 52, VaR99 = 2.32635 x 7.21110 = 16.7755.
 * Buying 50 more of instrument 0: y = S x = (0.1, 0.21),
 *   q' = 52 + 2 x 50 x 0.1 + 2500 x 4e-4 = 63 (directly: 9 + 18 + 36). */
static void test_var_and_incremental_var_two_instruments(void **state) {
  (void)state;
  oms_riskmodel_t *m = model(2, 0.99, 0);
  double s[] = {4e-4, 3e-4, 3e-4, 9e-4};
  bool rep = true;
  assert_int_equal(oms_riskmodel_set_cov(m, s, &rep), 0);
  assert_false(rep);
  oms_riskmodel_add(m, 1, 0, 100);
  oms_riskmodel_add(m, 1, 1, 200);
  near(oms_riskmodel_var(m, 1), Z99 * sqrt(52));
  assert_true(fabs(oms_riskmodel_var(m, 1) - 16.7755) < 1e-4);
  near(oms_riskmodel_var(m, OMS_RISKMODEL_TOTAL), Z99 * sqrt(52));
  double before, after;
  oms_riskmodel_ivar(m, 1, 0, 50, &before, &after);
  near(before, Z99 * sqrt(52));
  near(after, Z99 * sqrt(63));
  oms_riskmodel_add(m, 1, 0, 50);
  near(oms_riskmodel_var(m, 1), after);
  near(oms_riskmodel_exposure(m, 1, 0), 150);
  oms_riskmodel_destroy(m);
}

/* Vols (1%, 2%, 3%), correlations 0.2 (0,1), -0.1 (0,2), 0.4 (1,2):
 * S01 = 4e-5, S02 = -3e-5, S12 = 2.4e-4. x = (1000, -500, 200):
 *   q = 100 + 100 + 36 + 2 (-20 - 6 - 24) = 136; VaR95 = 1.6449 sqrt(136).
 * Selling the 200 of instrument 2: y_2 = -0.03 - 0.12 + 0.18 = 0.03,
 *   q' = 136 - 2 x 200 x 0.03 + 40000 x 9e-4 = 160: the position was a hedge. */
static void test_var_three_instruments_and_a_hedge(void **state) {
  (void)state;
  oms_riskmodel_t *m = model(3, 0.95, 0);
  double s[] = {1e-4, 4e-5, -3e-5, 4e-5, 4e-4, 2.4e-4, -3e-5, 2.4e-4, 9e-4};
  assert_int_equal(oms_riskmodel_set_cov(m, s, NULL), 0);
  oms_riskmodel_add(m, 2, 0, 1000);
  oms_riskmodel_add(m, 2, 1, -500);
  oms_riskmodel_add(m, 2, 2, 200);
  near(oms_riskmodel_var(m, 2), Z95 * sqrt(136));
  double before, after;
  oms_riskmodel_ivar(m, 2, 2, -200, &before, &after);
  near(after, Z95 * sqrt(160));
  assert_true(after > before);
  /* another book adds to the total: x_total = (1000, -500, 200) + (0, 0, 100)
   *   q = 136 + 2 x 100 x y_2 + 1e4 x 9e-4 = 136 + 6 + 9 = 151 */
  oms_riskmodel_add(m, 3, 2, 100);
  near(oms_riskmodel_var(m, OMS_RISKMODEL_TOTAL), Z95 * sqrt(151));
  near(oms_riskmodel_var(m, 3), Z95 * 100 * 0.03);
  oms_riskmodel_ivar(m, 9, 0, 1, &before, &after);
  assert_true(before == 0 && after == 0);
  oms_riskmodel_destroy(m);
}

/* [[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]] has (1, -1, 1) as eigenvector
 * of eigenvalue 1 - 2 x 0.9 = -0.8 (the others 1.9, 1.9). Clipping it adds
 * 0.8/3 [[1, -1, 1], [-1, 1, -1], [1, -1, 1]]: diagonal 1.2667, off
 * +-0.6333; rescaled to the old unit diagonal the off-diagonal is
 * 0.6333 / 1.2667 = 0.5: [[1, .5, -.5], [.5, 1, .5], [-.5, .5, 1]]
 * (eigenvalues 1.5, 1.5, 0). */
static void test_non_psd_matrix_is_repaired(void **state) {
  (void)state;
  double a[] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1}, scratch[18];
  near(oms_riskmodel_min_eigen(a, 3, scratch), -0.8);
  oms_riskmodel_t *m = model(3, 0, 0);
  bool rep = false;
  assert_int_equal(oms_riskmodel_set_cov(m, a, &rep), 0);
  assert_true(rep);
  double want[] = {1, 0.5, -0.5, 0.5, 1, 0.5, -0.5, 0.5, 1}, got[9];
  for (uint32_t i = 0; i < 3; i++)
    for (uint32_t j = 0; j < 3; j++) {
      got[i * 3 + j] = oms_riskmodel_cov(m, i, j);
      near(got[i * 3 + j], want[i * 3 + j]);
    }
  assert_true(oms_riskmodel_min_eigen(got, 3, scratch) > -1e-12);
  /* a PSD matrix is left alone; a negative variance or NaN is refused */
  double psd[] = {1, 0.5, -0.5, 0.5, 1, 0.5, -0.5, 0.5, 1};
  assert_int_equal(oms_riskmodel_repair(psd, 3, scratch), 0);
  double negvar[] = {-1, 0, 0, 0, 1, 0, 0, 0, 1};
  assert_int_equal(oms_riskmodel_set_cov(m, negvar, NULL), OMS_EINVAL);
  double one[] = {-2}, s1[2];
  assert_int_equal(oms_riskmodel_repair(one, 1, s1), 1);
  assert_true(one[0] == 0);
  negvar[0] = NAN;
  assert_int_equal(oms_riskmodel_set_cov(m, negvar, NULL), OMS_EINVAL);
  oms_riskmodel_destroy(m);
}

/* Book 1: BTC +10000, ETH -4000, AAPL +5000.
 *   "crypto -40%"   (-.4, -.4, 0): -4000 + 1600 = -2400
 *   "equities -20%" (0, 0, -.2):   -1000
 *   "crypto +30%"   (.3, .3, 0):   3000 - 1200 = +1800
 * worst loss 2400 (crypto -40%). Buying 10000 AAPL: equities -3000, worst
 * 3000. Selling 10000 ETH instead: crypto -40% 1600 (a gain), crypto +30%
 * -1200, equities -1000: worst 1200 (crypto +30%). */
static void test_stress_scenarios_by_hand(void **state) {
  (void)state;
  oms_riskmodel_t *m = model(3, 0, 4);
  double c40[] = {-0.4, -0.4, 0}, eq20[] = {0, 0, -0.2}, up30[] = {0.3, 0.3, 0};
  oms_riskmodel_add(m, 1, 0, 10000); /* before the scenarios: set_scenario computes it */
  assert_int_equal(oms_riskmodel_set_scenario(m, 0, "crypto -40%", c40), 0);
  assert_int_equal(oms_riskmodel_set_scenario(m, 1, "equities -20%", eq20), 0);
  assert_int_equal(oms_riskmodel_set_scenario(m, 2, "crypto +30%", up30), 0);
  oms_riskmodel_add(m, 1, 1, -4000); /* after: moved incrementally */
  oms_riskmodel_add(m, 1, 2, 5000);
  assert_int_equal(oms_riskmodel_scenarios(m), 3);
  near(oms_riskmodel_stress_pnl(m, 1, 0), -2400);
  near(oms_riskmodel_stress_pnl(m, 1, 1), -1000);
  near(oms_riskmodel_stress_pnl(m, 1, 2), 1800);
  int worst;
  near(oms_riskmodel_stress_after(m, 1, 0, 0, &worst), 2400);
  assert_int_equal(worst, 0);
  assert_string_equal(oms_riskmodel_scenario_name(m, (uint32_t)worst), "crypto -40%");
  near(oms_riskmodel_stress_after(m, 1, 2, 10000, &worst), 3000);
  assert_int_equal(worst, 1);
  near(oms_riskmodel_stress_after(m, 1, 1, -10000, &worst), 1200);
  assert_int_equal(worst, 2);
  near(oms_riskmodel_stress_pnl(m, OMS_RISKMODEL_TOTAL, 0), -2400);
  near(oms_riskmodel_stress_after(m, 3, 0, 0, &worst), 0); /* an empty book loses nothing */
  assert_int_equal(worst, -1);
  assert_int_equal(oms_riskmodel_set_scenario(m, 4, "x", c40), OMS_EINVAL);
  assert_string_equal(oms_riskmodel_scenario_name(m, 3), "");
  oms_riskmodel_destroy(m);
}

/* Returns -10%, +10%, -5%, +5% on an exposure of 1000: P&L -100, 100, -50,
 * 50. At 75%: k = floor(0.25 x 4) = 1, the second worst, -50: HVaR 50. */
static void test_historical_var(void **state) {
  (void)state;
  oms_riskmodel_t *m = model(1, 0.75, 0);
  double px[] = {100, 90, 99, 94.05, 98.7525};
  for (int t = 0; t < 5; t++) {
    oms_riskmodel_tick(m, 0, px[t]);
    oms_riskmodel_sample(m);
  }
  near(oms_riskmodel_hvar(m, 1), 0); /* no exposure */
  oms_riskmodel_add(m, 1, 0, 1000);
  near(oms_riskmodel_hvar(m, 1), 50);
  oms_riskmodel_destroy(m);
}

/* Correlations 0.9 (0,1), 0.1 (1,2), 0.85 (2,3): above 0.8, {0,1} {2,3}. */
static void test_correlation_groups(void **state) {
  (void)state;
  oms_riskmodel_t *m = model(4, 0, 0);
  double s[16] = {0};
  for (int i = 0; i < 4; i++) s[i * 5] = 4e-4;
  s[1] = s[4] = 0.9 * 4e-4;
  s[6] = s[9] = 0.1 * 4e-4;
  s[11] = s[14] = 0.85 * 4e-4;
  assert_int_equal(oms_riskmodel_set_cov(m, s, NULL), 0);
  uint32_t g[4];
  assert_int_equal(oms_riskmodel_corr_groups(m, 0.8, g), 2);
  assert_int_equal(g[0], 0);
  assert_int_equal(g[1], 0);
  assert_int_equal(g[2], 2);
  assert_int_equal(g[3], 2);
  assert_int_equal(oms_riskmodel_corr_groups(m, 0.05, g), 1); /* all one chain */
  assert_int_equal(g[3], 0);
  oms_riskmodel_destroy(m);
}

static void test_money_crosses_with_explicit_rounding(void **state) {
  (void)state;
  oms_dec_t d;
  assert_int_equal(oms_riskmodel_dec_out(0.123456781, &d), 0);
  assert_int_equal(d.raw, 12345679); /* up, never understated */
  assert_int_equal(oms_riskmodel_dec_out(16.775, &d), 0);
  assert_int_equal(d.raw, 1677500000);
  assert_int_equal(oms_riskmodel_dec_out(NAN, &d), OMS_EOVERFLOW);
  assert_int_equal(oms_riskmodel_dec_out(1e30, &d), OMS_EOVERFLOW);
  near(oms_riskmodel_dec_in(oms_dec_from_raw(123456789)), 1.23456789);
}

static void tmp_path(char *buf, size_t n, const char *what) {
  snprintf(buf, n, "/tmp/oms_riskmodel_%d_%s", (int)getpid(), what);
}

static void test_history_file_cold_start(void **state) {
  (void)state;
  char p[128];
  tmp_path(p, sizeof p, "hist.csv");
  FILE *f = fopen(p, "w");
  fprintf(f, "# BTC, ETH\n100, 50\n101 49.5\n\n99.99,50.49\n");
  fclose(f);
  oms_riskmodel_t *m = model(2, 0, 0);
  int line = -1;
  assert_int_equal(oms_riskmodel_load_history(m, p, &line), 0);
  assert_int_equal(oms_riskmodel_samples(m), 2);
  near(oms_riskmodel_cov(m, 0, 1) * 1e6, -17.64); /* as the ticks above */
  f = fopen(p, "w");
  fprintf(f, "100, 50\n101, x\n");
  fclose(f);
  assert_int_equal(oms_riskmodel_load_history(m, p, &line), OMS_EINVAL);
  assert_int_equal(line, 2);
  unlink(p);
  assert_int_equal(oms_riskmodel_load_history(m, p, NULL), OMS_EIO);
  oms_riskmodel_destroy(m);
}

/* Saved and loaded, a model is the same bit for bit, and both copies move
 * the same way from there. A damaged file is refused and changes nothing. */
static void test_restart_gives_the_same_model(void **state) {
  (void)state;
  char p[128];
  tmp_path(p, sizeof p, "model");
  oms_riskmodel_t *a = model(3, 0.99, 2), *b = model(3, 0.99, 2);
  double px[][3] = {{100, 50, 10}, {101, 49, 10.5}, {99, 50, 10.2}, {100, 51, 10}};
  for (int t = 0; t < 4; t++) {
    for (uint32_t i = 0; i < 3; i++) oms_riskmodel_tick(a, i, px[t][i]);
    oms_riskmodel_sample(a);
  }
  double sh[] = {-0.2, -0.3, 0.1};
  oms_riskmodel_set_scenario(a, 0, "down", sh);
  oms_riskmodel_add(a, 1, 0, 5000);
  oms_riskmodel_add(a, 2, 2, -300);
  assert_int_equal(oms_riskmodel_save(a, p), 0);
  assert_int_equal(oms_riskmodel_load(b, p), 0);
  for (uint32_t i = 0; i < 3; i++)
    for (uint32_t j = 0; j < 3; j++)
      assert_true(oms_riskmodel_cov(a, i, j) == oms_riskmodel_cov(b, i, j));
  assert_int_equal(oms_riskmodel_samples(b), 3);
  for (uint32_t k = 0; k < 3; k++) {
    assert_true(oms_riskmodel_var(a, k) == oms_riskmodel_var(b, k));
    assert_true(oms_riskmodel_stress_pnl(a, k, 0) == oms_riskmodel_stress_pnl(b, k, 0));
  }
  assert_true(oms_riskmodel_hvar(a, 1) == oms_riskmodel_hvar(b, 1));
  assert_string_equal(oms_riskmodel_scenario_name(b, 0), "down");
  for (uint32_t i = 0; i < 3; i++) {
    oms_riskmodel_tick(a, i, px[0][i]);
    oms_riskmodel_tick(b, i, px[0][i]);
  }
  oms_riskmodel_sample(a);
  oms_riskmodel_sample(b);
  assert_true(oms_riskmodel_cov(a, 0, 2) == oms_riskmodel_cov(b, 0, 2));
  /* damage one byte: refused, b unchanged */
  double v = oms_riskmodel_var(b, 1);
  FILE *f = fopen(p, "r+b");
  fseek(f, 100, SEEK_SET);
  fputc(0x5a, f);
  fclose(f);
  assert_int_equal(oms_riskmodel_load(b, p), OMS_ECORRUPT);
  assert_true(oms_riskmodel_var(b, 1) == v);
  oms_riskmodel_t *c = model(2, 0.99, 2);
  assert_int_equal(oms_riskmodel_save(a, p), 0);
  assert_int_equal(oms_riskmodel_load(c, p), OMS_EINVAL); /* other dimensions */
  f = fopen(p, "wb");
  fclose(f);
  assert_int_equal(oms_riskmodel_load(c, p), OMS_ECORRUPT);
  unlink(p);
  assert_int_equal(oms_riskmodel_load(c, p), OMS_EIO);
  oms_riskmodel_destroy(a);
  oms_riskmodel_destroy(b);
  oms_riskmodel_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_is_validated),
      cmocka_unit_test(test_ewma_covariance_two_instruments),
      cmocka_unit_test(test_var_and_incremental_var_two_instruments),
      cmocka_unit_test(test_var_three_instruments_and_a_hedge),
      cmocka_unit_test(test_non_psd_matrix_is_repaired),
      cmocka_unit_test(test_stress_scenarios_by_hand),
      cmocka_unit_test(test_historical_var),
      cmocka_unit_test(test_correlation_groups),
      cmocka_unit_test(test_money_crosses_with_explicit_rounding),
      cmocka_unit_test(test_history_file_cold_start),
      cmocka_unit_test(test_restart_gives_the_same_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
