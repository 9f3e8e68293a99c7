/* Scenario: prices reach risk and the portfolio only as market data through
 * the engine, wired as omsd wires them (apps/omsd/wire.c sets no price).
 * The simulated venue's liquidity provider quotes and walks; the engine's
 * market-data handler must set the portfolio's mark and the risk engine's
 * reference price, and keep them fresh for as long as the book moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/engine.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define T0 INT64_C(1764000000000000000)
#define MS INT64_C(1000000)

typedef struct world_s {
  int64_t now;
  oms_engine_t *e;
  oms_risk_t *risk;
  oms_venue_t *sim;
  oms_portfolio_t *pf;
  int n;
} world_t;

/* The daemon's wiring, minus the store; step_ms 0: the provider never walks. */
static world_t *make(int64_t step_ms) {
  world_t *w = calloc(1, sizeof *w);
  w->now = T0;
  scn_parts(&w->pf, &w->risk);
  oms_engine_config_t ec = {
      .clock = oms_clock_manual(&w->now), .max_orders = 256, .portfolio = w->pf, .risk = w->risk};
  assert_int_equal(oms_engine_create(&ec, &w->e), 0);
  oms_sim_symbol_t sym;
  scn_lp_symbol(&sym);
  sym.lp.step_ns = step_ms * MS;
  sym.lp.walk_ticks = 4;
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 1024,
                         .seed = 7,
                         .symbols = &sym,
                         .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&sc, &w->sim), 0);
  assert_int_equal(oms_portfolio_set_instrument(w->pf, "BTC-USD", OMS_DEC_ZERO, OMS_DEC_ZERO), 0);
  assert_int_equal(oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now), 0);
  assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
  oms_venue_route_config_t route = {0};
  assert_int_equal(oms_engine_add_venue(w->e, w->sim, &route), 0);
  /* Loose limits, but a reference older than 2 s is stale. */
  oms_risk_limit_t fresh = {.set = OMS_RL_MAX_REF_AGE, .max_ref_age_ns = 2000 * MS};
  loose_limits(w->risk, &fresh);
  return w;
}

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  free(w);
}

static void run_ms(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
}

/* A small IOC buy at the provider's current price: inside the spread, so it
 * is cancelled at once and leaves the book (and its market data) as it was. */
static int buy_at_ref(world_t *w, oms_submit_result_t *res) {
  char clordid[32], px[32];
  snprintf(clordid, sizeof clordid, "c%d", ++w->n);
  oms_dec_format(oms_sim_venue_lp_ref(w->sim, "BTC-USD"), px, sizeof px);
  oms_order_request_t req;
  t_request(&req, clordid, OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.01", px);
  req.tif = OMS_TIF_IOC;
  return oms_engine_submit(w->e, &req, res);
}

static oms_pf_instrument_t mark(world_t *w) {
  oms_pf_instrument_t ins;
  assert_int_equal(oms_portfolio_instrument(w->pf, "BTC-USD", &ins), 0);
  return ins;
}

static void test_first_poll_gives_risk_and_portfolio_the_venue_price(void **state) {
  (void)state;
  world_t *w = make(500);
  /* Nothing set a price: the mark is empty and risk has no reference. */
  assert_int_equal(mark(w).mark_ns, 0);
  oms_submit_result_t res;
  assert_int_equal(buy_at_ref(w, &res), OMS_EREJECTED);
  /* The venue's first market data goes through the engine to both. */
  run_ms(w, 1);
  oms_pf_instrument_t m = mark(w);
  assert_int_equal(m.mark_ns, w->now);
  assert_true(oms_dec_eq(m.mark_px, oms_sim_venue_lp_ref(w->sim, "BTC-USD")));
  if (buy_at_ref(w, &res) != 0) fail_msg("refused after market data: %s", res.reject.text);
  destroy(w);
}

static void test_a_moving_book_keeps_the_reference_fresh(void **state) {
  (void)state;
  world_t *w = make(500);
  oms_dec_t first = oms_sim_venue_lp_ref(w->sim, "BTC-USD");
  bool moved = false;
  /* Ten seconds, five times the staleness bound, with no price set by hand. */
  for (int s = 0; s < 10; s++) {
    run_ms(w, 1000);
    oms_pf_instrument_t m = mark(w);
    assert_true(w->now - m.mark_ns <= 500 * MS);
    assert_true(oms_dec_eq(m.mark_px, oms_sim_venue_lp_ref(w->sim, "BTC-USD")));
    moved = moved || !oms_dec_eq(m.mark_px, first);
    oms_submit_result_t res;
    if (buy_at_ref(w, &res) != 0) fail_msg("second %d: refused: %s", s, res.reject.text);
  }
  assert_true(moved);
  destroy(w);
}

static void test_a_book_that_never_changes_lets_the_reference_age(void **state) {
  (void)state;
  world_t *w = make(0);
  run_ms(w, 1);
  oms_submit_result_t res;
  assert_int_equal(buy_at_ref(w, &res), 0);
  /* No walk and no trade: no new market data, so the price only ages. */
  run_ms(w, 2500);
  assert_int_equal(buy_at_ref(w, &res), OMS_EREJECTED);
  assert_int_equal(mark(w).mark_ns, T0 + MS);
  destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_poll_gives_risk_and_portfolio_the_venue_price),
      cmocka_unit_test(test_a_moving_book_keeps_the_reference_fresh),
      cmocka_unit_test(test_a_book_that_never_changes_lets_the_reference_age),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
