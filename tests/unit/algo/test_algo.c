/* Tests for src/algo/algo.c: each strategy against a simulated market
 * (algo_sim.h), cancel, halt and replace of a parent, the invariant under
 * random fills, and a restart in the middle of a schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algo_sim.h"

#define NOW INT64_C(1700000000000000000)
#define SEC INT64_C(1000000000)

#define SET(p, f, v)                 \
  do {                               \
    (p).f = (v);                     \
    (p).set |= 1u << OMS_ALGO_P_##f; \
  } while (0)

static oms_algo_params_t sched(oms_algo_strategy_t s, const char *qty, int64_t secs) {
  oms_algo_params_t p;
  oms_algo_params_init(&p, s, OMS_SIDE_BUY, T_D(qty));
  SET(p, start_ns, NOW);
  SET(p, end_ns, NOW + secs * SEC);
  SET(p, slice_ns, 60 * SEC);
  return p;
}

static void sim_init(sim_t *s, const oms_algo_params_t *p) {
  memset(s, 0, sizeof(*s));
  s->now = NOW;
  s->rng = 88172645463325252ull;
  assert_int_equal(oms_algo_init(&s->st, 7, p, T_D("0.01"), T_D("1"), NOW), 0);
  sim_book(s, "99.99", "500", "100.01", "500");
  s->md.cum_volume = T_D("100000");
}

static int64_t qty_int(oms_dec_t d) { return oms_dec_trunc_int(d); }

/* Runs a TWAP over 10 minutes in 10 s ticks, and checks at every tick that
 * the executed quantity is within one slice (100) of the linear schedule. */
static void run_twap_checkpoints(oms_algo_params_t p, int fill_pct) {
  sim_t *s = calloc(1, sizeof *s);
  sim_init(s, &p);
  s->rest_fill_pct = fill_pct;
  for (int64_t t = 0; t <= 600; t += 10) {
    s->now = NOW + t * SEC;
    assert_int_equal(sim_rest_fills(s), 0);
    assert_int_equal(sim_step(s), 0);
    int64_t due = 1000 * t / 600, done = qty_int(s->st.filled);
    if (t < 600) {
      assert_true(done >= due - 100 && done <= due + 100);
    }
    assert_true(oms_algo_check(&s->st));
  }
  assert_int_equal(qty_int(s->st.filled), 1000);
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);
  assert_true(oms_algo_is_done(&s->st));
  free(s);
}

static void test_twap_keeps_within_one_slice_of_its_schedule(void **state) {
  (void)state;
  run_twap_checkpoints(sched(OMS_ALGO_TWAP, "1000", 600), 60);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, size_var, T_D("0.2"));
  SET(p, time_var, T_D("0.3"));
  SET(p, seed, 12345);
  run_twap_checkpoints(p, 60);
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, aggression, OMS_AGGR_MID);
  run_twap_checkpoints(p, 40);
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, aggression, OMS_AGGR_CROSS);
  SET(p, catch_up, 0);
  run_twap_checkpoints(p, 0);
}

static void test_twap_prices_children_by_aggression_and_limit(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, aggression, OMS_AGGR_MID);
  sim_init(s, &p);
  sim_book(s, "99.98", "500", "100.01", "500");
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 1);
  assert_true(oms_dec_eq(s->log[0].price, T_D("99.99"))); /* mid 99.995 down to the tick */
  assert_int_equal(s->log[0].tif, OMS_TIF_DAY);
  assert_int_equal(s->wake, NOW + 60 * SEC);
  /* passive with a limit below the bid: the limit wins */
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, limit_px, T_D("99.5"));
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].price, T_D("99.5")));
  /* no quotes and no limit: a passive slice waits, a crossing one goes at market */
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  sim_init(s, &p);
  memset(&s->md, 0, sizeof s->md);
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 0);
  SET(p, aggression, OMS_AGGR_CROSS);
  sim_init(s, &p);
  memset(&s->md, 0, sizeof s->md);
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->log[0].type, OMS_ORD_MARKET);
  /* a sell crossing takes the bid */
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  p.side = OMS_SIDE_SELL;
  SET(p, aggression, OMS_AGGR_CROSS);
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].price, T_D("99.99")));
  assert_int_equal(s->log[0].tif, OMS_TIF_IOC);
  free(s);
}

static void test_twap_before_start_waits_and_after_end_expires(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  p.start_ns = NOW + 30 * SEC;
  p.end_ns = NOW + 630 * SEC;
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 0);
  assert_int_equal(s->wake, NOW + 30 * SEC);
  assert_int_equal(s->st.status, OMS_ALGO_WAITING);
  s->now = NOW + 30 * SEC;
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 1);
  assert_int_equal(s->st.status, OMS_ALGO_WORKING);
  /* nothing fills: at the end the resting child is cancelled */
  s->now = NOW + 630 * SEC;
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->log[s->nlog - 1].kind, OMS_INTENT_CANCEL);
  assert_int_equal(s->st.status, OMS_ALGO_EXPIRED);
  assert_true(oms_algo_is_done(&s->st));
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(&s->st, s->now + SEC, &s->md, &out), 0);
  assert_int_equal(out.n, 0);
  free(s);
}

static void test_twap_caps_min_slice_max_slice_pov_and_would(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  /* max percent of volume: 10% of 300 traded since start = 30 */
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, max_pov, T_D("0.1"));
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 0); /* nothing traded yet */
  s->md.cum_volume.raw += T_D("300").raw;
  s->now = NOW + 60 * SEC;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].qty, T_D("30")));
  /* max slice */
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, max_slice, T_D("40"));
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].qty, T_D("40")));
  /* min slice: a slice of 100 below 150 waits, then two slices' worth go */
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, min_slice, T_D("150"));
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 0);
  s->now = NOW + 60 * SEC;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].qty, T_D("200")));
  /* would price: liquidity at 99 or better is taken between slices */
  p = sched(OMS_ALGO_TWAP, "1000", 600);
  SET(p, would_px, T_D("99"));
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0); /* the first slice rests at the bid */
  s->now = NOW + 5 * SEC;
  sim_book(s, "98", "10", "98.5", "30");
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->log[1].kind, OMS_INTENT_NEW);
  assert_int_equal(s->log[1].tif, OMS_TIF_IOC);
  assert_true(oms_dec_eq(s->log[1].price, T_D("99")));
  assert_true(oms_dec_eq(s->log[1].qty, T_D("30")));
  assert_int_equal(qty_int(s->st.filled), 30);
  free(s);
}

static void test_vwap_follows_its_volume_profile(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_VWAP, "1000", 600);
  SET(p, aggression, OMS_AGGR_CROSS);
  p.profile_len = 2;
  p.profile[0] = T_D("1");
  p.profile[1] = T_D("3");
  p.set |= 1u << OMS_ALGO_P_profile;
  sim_init(s, &p);
  for (int64_t t = 0; t <= 240; t += 60) {
    s->now = NOW + t * SEC;
    assert_int_equal(sim_step(s), 0);
  }
  /* the first half of the time holds a quarter of the volume */
  assert_int_equal(qty_int(s->st.filled), 250);
  s->now = NOW + 300 * SEC;
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(qty_int(s->st.filled), 400); /* 0.25 + 0.75 * 60 / 300 */
  for (int64_t t = 360; t <= 600; t += 60) {
    s->now = NOW + t * SEC;
    assert_int_equal(sim_step(s), 0);
  }
  assert_int_equal(qty_int(s->st.filled), 1000);
  free(s);
}

static void test_pov_realised_participation_is_within_tolerance(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_POV, OMS_SIDE_BUY, T_D("100000"));
  SET(p, pov_rate, T_D("0.1"));
  SET(p, min_slice, T_D("5"));
  SET(p, max_slice, T_D("200"));
  sim_init(s, &p);
  oms_dec_t v0 = s->md.cum_volume;
  for (int i = 0; i < 600; i++) {
    s->now = NOW + i * SEC;
    s->md.cum_volume.raw += (int64_t)(50 + sim_rand(s) % 100) * OMS_DEC_SCALE;
    assert_int_equal(sim_step(s), 0);
    assert_true(s->wake <= s->now + SEC);
  }
  double traded = (double)(s->md.cum_volume.raw - v0.raw);
  double rate = (double)s->st.filled.raw / traded;
  assert_true(rate > 0.095 && rate < 0.105);
  /* every child within min_slice and max_slice (none is the last: far from done) */
  for (int i = 0; i < s->nlog; i++) {
    if (s->log[i].kind != OMS_INTENT_NEW) continue;
    assert_true(oms_dec_ge(s->log[i].qty, T_D("5")) && oms_dec_le(s->log[i].qty, T_D("200")));
  }
  /* with an end time it expires there */
  SET(p, end_ns, NOW + 10 * SEC);
  SET(p, aggression, OMS_AGGR_PASSIVE);
  sim_init(s, &p);
  s->md.cum_volume.raw += T_D("1000").raw;
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog, 0); /* volume before the start does not count */
  s->md.cum_volume.raw += T_D("1000").raw;
  s->now += SEC;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].qty, T_D("100")));
  s->now += SEC;
  assert_int_equal(sim_step(s), 0); /* the resting child is re-priced */
  assert_int_equal(s->log[1].kind, OMS_INTENT_CANCEL);
  s->now = NOW + 10 * SEC;
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->st.status, OMS_ALGO_EXPIRED);
  free(s);
}

static void test_iceberg_never_shows_more_than_its_peak(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_SELL, T_D("1000"));
  SET(p, limit_px, T_D("100.5"));
  SET(p, display_qty, T_D("100"));
  SET(p, display_var, T_D("0.3"));
  sim_init(s, &p);
  s->rest_fill_pct = 50;
  int news = 0;
  for (int i = 0; i < 400 && !oms_algo_is_done(&s->st); i++) {
    s->now = NOW + i * SEC;
    assert_int_equal(sim_step(s), 0);
    assert_true(s->st.open.raw <= T_D("100").raw);
    assert_int_equal(sim_rest_fills(s), 0);
  }
  for (int i = 0; i < s->nlog; i++) {
    if (s->log[i].kind != OMS_INTENT_NEW) continue;
    news++;
    assert_true(oms_dec_le(s->log[i].qty, T_D("100")));
    assert_true(oms_dec_eq(s->log[i].price, T_D("100.5")));
  }
  assert_true(s->max_open.raw <= T_D("100").raw);
  assert_true(news >= 10);
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);
  assert_true(oms_dec_eq(oms_algo_avg_px(&s->st), T_D("100.5")));
  free(s);
}

static void test_sniper_takes_only_at_or_better_than_its_limit(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_SNIPER, OMS_SIDE_BUY, T_D("1000"));
  SET(p, limit_px, T_D("100"));
  SET(p, min_slice, T_D("5"));
  sim_init(s, &p);
  int shots = 0;
  for (int i = 0; i < 500 && !oms_algo_is_done(&s->st); i++) {
    s->now = NOW + i * SEC;
    uint64_t r = sim_rand(s);
    s->md.ask = oms_dec_from_raw(T_D("99.95").raw + (int64_t)(r % 11) * T_D("0.01").raw);
    s->md.ask_qty = oms_dec_from_raw((int64_t)(1 + (r >> 8) % 60) * OMS_DEC_SCALE);
    int before = s->nlog;
    assert_int_equal(sim_step(s), 0);
    for (int k = before; k < s->nlog; k++) {
      shots++;
      assert_true(oms_dec_le(s->md.ask, T_D("100")));
      assert_int_equal(s->log[k].tif, OMS_TIF_IOC);
      assert_true(oms_dec_le(s->log[k].price, T_D("100")));
      assert_true(oms_dec_le(s->log[k].qty, s->md.ask_qty));
    }
  }
  assert_true(shots > 10);
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);
  assert_true(oms_dec_le(oms_algo_avg_px(&s->st), T_D("100")));
  free(s);
}

static void trade(sim_t *s, const char *px, int want_new) {
  s->md.last_px = T_D(px);
  s->now += SEC;
  int before = s->nlog;
  assert_int_equal(sim_step(s), 0);
  assert_int_equal(s->nlog - before, want_new);
}

static void test_trailing_stop_follows_the_high_water_mark(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_SELL, T_D("10"));
  SET(p, trail_offset, T_D("2"));
  sim_init(s, &p);
  sim_book(s, "0", "0", "0", "0");
  s->md.bid = T_D("90");
  s->md.bid_qty = T_D("100");
  trade(s, "100", 0);
  trade(s, "105", 0);
  assert_true(oms_dec_eq(s->st.hwm, T_D("105")));
  trade(s, "104", 0);
  trade(s, "103.01", 0);
  assert_int_equal(s->st.status, OMS_ALGO_WAITING);
  trade(s, "103", 1); /* 105 - 2 */
  assert_int_equal(s->log[0].type, OMS_ORD_MARKET);
  assert_true(oms_dec_eq(s->log[0].qty, T_D("10")));
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);

  /* a buy stop in ticks trails the low; with an activation price */
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_BUY, T_D("10"));
  SET(p, trail_offset, T_D("50"));
  SET(p, trail_unit, OMS_TRAIL_TICKS);
  SET(p, activation_px, T_D("95"));
  SET(p, limit_px, T_D("96"));
  sim_init(s, &p);
  trade(s, "98", 0);
  trade(s, "99", 0); /* not active: above 95 */
  assert_int_equal(s->st.activated, 0);
  trade(s, "95", 0);
  trade(s, "94", 0);
  assert_true(oms_dec_eq(s->st.hwm, T_D("94")));
  trade(s, "94.49", 0);
  trade(s, "94.5", 1);
  assert_int_equal(s->log[0].type, OMS_ORD_LIMIT);
  assert_true(oms_dec_eq(s->log[0].price, T_D("96")));

  /* basis points of the mark: 100 bps of 200 = 2 */
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_SELL, T_D("10"));
  SET(p, trail_offset, T_D("100"));
  SET(p, trail_unit, OMS_TRAIL_BPS);
  sim_init(s, &p);
  trade(s, "200", 0);
  trade(s, "198.01", 0);
  trade(s, "198", 1);
  free(s);
}

static void test_if_touched_orders_release_a_child_at_the_trigger(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_MIT, OMS_SIDE_BUY, T_D("10"));
  SET(p, trigger_px, T_D("95"));
  sim_init(s, &p);
  s->md.ask_qty = T_D("4"); /* the market child fills 4, the rest is sent again */
  trade(s, "96", 0);
  trade(s, "95", 1);
  assert_int_equal(s->log[0].type, OMS_ORD_MARKET);
  assert_int_equal(qty_int(s->st.filled), 4);
  trade(s, "97", 1);
  assert_true(oms_dec_eq(s->log[1].qty, T_D("6")));

  oms_algo_params_init(&p, OMS_ALGO_LIT, OMS_SIDE_SELL, T_D("10"));
  SET(p, trigger_px, T_D("105"));
  SET(p, limit_px, T_D("104.5"));
  sim_init(s, &p);
  trade(s, "104.99", 0);
  trade(s, "105", 1);
  assert_int_equal(s->log[0].type, OMS_ORD_LIMIT);
  assert_int_equal(s->log[0].tif, OMS_TIF_DAY);
  assert_true(oms_dec_eq(s->log[0].price, T_D("104.5")));
  trade(s, "106", 0); /* the child rests: nothing more */
  free(s);
}

static void test_cancel_and_halt_cancel_the_children(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  for (int halt = 0; halt < 2; halt++) {
    sim_init(s, &p);
    assert_int_equal(sim_step(s), 0);
    oms_algo_out_t out;
    assert_int_equal(halt ? oms_algo_halt(&s->st, &out) : oms_algo_cancel(&s->st, &out), 0);
    assert_int_equal(out.n, 1);
    assert_int_equal(out.intent[0].kind, OMS_INTENT_CANCEL);
    assert_int_equal(out.intent[0].child_seq, 1);
    assert_int_equal(s->st.status, halt ? OMS_ALGO_HALTED : OMS_ALGO_CANCELLED);
    assert_false(oms_algo_is_done(&s->st));
    /* a fill racing the cancel still counts */
    assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("10"), T_D("99.99")), 0);
    assert_int_equal(oms_algo_on_child_done(&s->st, 1), 0);
    assert_true(oms_algo_is_done(&s->st));
    assert_int_equal(qty_int(s->st.filled), 10);
    assert_int_equal(oms_algo_cancel(&s->st, &out), OMS_ESTATE);
    assert_int_equal(oms_algo_halt(&s->st, &out), OMS_ESTATE);
    assert_int_equal(oms_algo_on_child_done(&s->st, 1), OMS_ENOTFOUND);
    /* Changed on purpose (issue 14): a fill on a child already done is a
     * late fill, booked (it was ENOTFOUND); a child never made is not. */
    assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("1"), T_D("1")), 0);
    assert_int_equal(qty_int(s->st.late_qty), 1);
    assert_int_equal(oms_algo_on_child_fill(&s->st, 2, T_D("1"), T_D("1")), OMS_ENOTFOUND);
  }
  free(s);
}

static void test_replace_re_plans_and_a_smaller_quantity_waits_for_the_cancels(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0); /* child 1: 100 resting */
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("30"), T_D("99.99")), 0);
  oms_algo_out_t out;
  oms_algo_reject_t rej;
  oms_algo_params_t np = p;
  np.qty = T_D("50"); /* below filled 30 + open 70 */
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, &rej), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.intent[0].kind, OMS_INTENT_CANCEL);
  assert_true(oms_dec_eq(s->st.pending_qty, T_D("50")));
  assert_true(oms_dec_eq(s->st.p.qty, T_D("1000")));
  assert_int_equal(oms_algo_step(&s->st, NOW + 2 * SEC, &s->md, &out), 0);
  assert_int_equal(out.n, 0); /* nothing new while the quantity waits */
  assert_int_equal(oms_algo_on_child_done(&s->st, 1), 0);
  assert_true(oms_dec_eq(s->st.p.qty, T_D("50")));
  assert_int_equal(oms_algo_step(&s->st, NOW + 3 * SEC, &s->md, &out), 0);
  assert_int_equal(out.n, 0); /* 30 filled is ahead of the new schedule */
  assert_int_equal(oms_algo_step(&s->st, NOW + 540 * SEC, &s->md, &out), 0);
  assert_int_equal(out.n, 1); /* the last slice: the 20 left, crossing */
  assert_true(oms_dec_eq(out.intent[0].qty, T_D("20")));
  assert_int_equal(out.intent[0].tif, OMS_TIF_IOC);
  /* refusals */
  np = p;
  np.strategy = OMS_ALGO_VWAP;
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_REPLACE_CHANGES_STRATEGY);
  np = p;
  np.qty = T_D("20");
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_ALGO_R_QTY_BELOW_FILLED);
  np.qty = T_D("0");
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, NULL), OMS_EREJECTED);
  /* a replace down to the filled quantity completes the parent */
  np.qty = T_D("30");
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, &rej), 0);
  assert_int_equal(oms_algo_on_child_done(&s->st, 2), 0);
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, &rej), OMS_ESTATE);
  /* a larger quantity takes effect at once */
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  np = p;
  np.qty = T_D("2000");
  assert_int_equal(oms_algo_replace(&s->st, &np, NOW + SEC, &out, &rej), 0);
  assert_true(oms_dec_eq(s->st.p.qty, T_D("2000")));
  free(s);
}

static void test_fills_beyond_a_child_are_refused_and_change_nothing(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  sim_init(s, &p);
  assert_int_equal(sim_step(s), 0);
  oms_algo_state_t before = s->st;
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("100.00000001"), T_D("1")), OMS_EOVERFILL);
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("0"), T_D("1")), OMS_EINVAL);
  assert_memory_equal(&before, &s->st, sizeof before);
  /* a state whose sums were damaged is refused by the check and the step */
  s->st.open.raw += 1;
  assert_false(oms_algo_check(&s->st));
  oms_algo_out_t out;
  before = s->st;
  assert_int_equal(oms_algo_step(&s->st, NOW + 60 * SEC, &s->md, &out), OMS_EOVERFILL);
  assert_int_equal(out.n, 0);
  assert_memory_equal(&before, &s->st, sizeof before);
  free(s);
}

/* A property test: random strategies, random market, random partial fills
 * and ends; F + O <= Q must hold after every call, and no step may fail. */
static void test_the_invariant_holds_under_random_fills(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  static const oms_algo_strategy_t kinds[] = {OMS_ALGO_TWAP,    OMS_ALGO_VWAP,   OMS_ALGO_POV,
                                              OMS_ALGO_ICEBERG, OMS_ALGO_SNIPER, OMS_ALGO_MIT};
  uint64_t seed = 0x5eed;
  for (int run = 0; run < 60; run++) {
    oms_algo_strategy_t k = kinds[run % 6];
    oms_algo_params_t p = sched(k, "5000", 300);
    if (k != OMS_ALGO_TWAP && k != OMS_ALGO_VWAP) {
      oms_algo_params_init(&p, k, run & 1 ? OMS_SIDE_SELL : OMS_SIDE_BUY, T_D("5000"));
    }
    switch (k) {
      case OMS_ALGO_TWAP:
      case OMS_ALGO_VWAP:
        SET(p, slice_ns, 10 * SEC);
        SET(p, size_var, T_D("0.5"));
        SET(p, time_var, T_D("0.5"));
        SET(p, aggression, 1 + run % 3);
        p.profile_len = 3;
        p.profile[0] = T_D("1");
        p.profile[1] = T_D("0");
        p.profile[2] = T_D("2");
        if (k == OMS_ALGO_VWAP) p.set |= 1u << OMS_ALGO_P_profile;
        break;
      case OMS_ALGO_POV:
        SET(p, pov_rate, T_D("0.3"));
        SET(p, aggression, 1 + run % 3);
        break;
      case OMS_ALGO_ICEBERG:
        SET(p, display_qty, T_D("300"));
        SET(p, display_var, T_D("0.5"));
        SET(p, limit_px, T_D("100"));
        break;
      case OMS_ALGO_SNIPER: SET(p, limit_px, T_D("100")); break;
      default: SET(p, trigger_px, T_D("100")); break;
    }
    sim_init(s, &p);
    s->rng = seed + (uint64_t)run;
    for (int i = 0; i < 400 && !oms_algo_is_done(&s->st); i++) {
      s->now = NOW + i * SEC;
      uint64_t r = sim_rand(s);
      sim_book(s, "99.99", "300", "100.01", "300");
      s->md.ask = oms_dec_from_raw(T_D("99.9").raw + (int64_t)(r % 20) * T_D("0.01").raw);
      s->md.bid = oms_dec_from_raw(s->md.ask.raw - T_D("0.02").raw);
      s->md.last_px = s->md.ask;
      s->md.ask_qty = oms_dec_from_raw((int64_t)((r >> 8) % 400) * OMS_DEC_SCALE);
      s->md.cum_volume.raw += (int64_t)((r >> 20) % 500) * OMS_DEC_SCALE;
      s->rest_fill_pct = (int)((r >> 32) % 70);
      assert_int_equal(sim_step(s), 0);
      assert_true(oms_algo_check(&s->st));
      assert_int_equal(sim_rest_fills(s), 0);
      assert_true(oms_algo_check(&s->st));
      if ((r >> 40) % 7 == 0 && s->nlive > 0) { /* the venue cancels a child on its own */
        uint32_t seq = s->live[0].seq;
        sim_remove(s, 0);
        assert_int_equal(oms_algo_on_child_done(&s->st, seq), 0);
      }
      if ((r >> 44) % 97 == 0) {
        oms_algo_out_t out;
        oms_algo_params_t np = s->st.p;
        np.qty = oms_dec_from_raw(s->st.filled.raw + OMS_DEC_SCALE * (int64_t)((r >> 48) % 50));
        if (oms_algo_replace(&s->st, &np, s->now, &out, NULL) == 0) {
          assert_int_equal(sim_apply(s, &out), 0);
        }
      }
      assert_true(s->st.filled.raw + s->st.open.raw <= s->st.p.qty.raw);
    }
  }
  free(s);
}

/* Runs a randomised TWAP; at step `cut` (if >= 0) the state is encoded,
 * wiped and decoded, as after a kill -9. Returns the run. */
static sim_t *restart_run(oms_algo_strategy_t k, int cut) {
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(k, "1000", 600);
  SET(p, slice_ns, 20 * SEC);
  SET(p, size_var, T_D("0.3"));
  SET(p, time_var, T_D("0.4"));
  SET(p, seed, 99);
  if (k == OMS_ALGO_VWAP) {
    p.profile_len = 4;
    for (int i = 0; i < 4; i++) p.profile[i] = oms_dec_from_raw((i + 1) * OMS_DEC_SCALE);
    p.set |= 1u << OMS_ALGO_P_profile;
  }
  if (k != OMS_ALGO_TWAP && k != OMS_ALGO_VWAP) {
    /* the walk below rises: the emulated orders sell into it */
    bool sell = k == OMS_ALGO_TRAILING_STOP || k == OMS_ALGO_MIT || k == OMS_ALGO_LIT;
    oms_algo_params_init(&p, k, sell ? OMS_SIDE_SELL : OMS_SIDE_BUY, T_D("1000"));
    SET(p, seed, 99);
  }
  switch (k) {
    case OMS_ALGO_ICEBERG:
      SET(p, display_qty, T_D("70"));
      SET(p, display_var, T_D("0.4"));
      SET(p, limit_px, T_D("100"));
      break;
    case OMS_ALGO_POV:
      SET(p, pov_rate, T_D("0.2"));
      SET(p, min_slice, T_D("3"));
      break;
    case OMS_ALGO_SNIPER: SET(p, limit_px, T_D("99.98")); break;
    case OMS_ALGO_TRAILING_STOP: SET(p, trail_offset, T_D("0.1")); break;
    case OMS_ALGO_MIT:
      SET(p, trigger_px, T_D("100.1"));
      SET(p, trigger_type, OMS_TRIGGER_QUOTE); /* the version 2 fields restart too */
      break;
    case OMS_ALGO_LIT:
      SET(p, trigger_px, T_D("100.2"));
      SET(p, limit_px, T_D("100.15"));
      break;
    default: break;
  }
  sim_init(s, &p);
  s->rest_fill_pct = 35;
  int64_t mid = T_D("100").raw;
  for (int i = 0; i < 700; i++) {
    s->now = NOW + i * SEC;
    /* a random walk of the book, the same in every run */
    uint64_t r = sim_rand(s);
    mid += ((int64_t)(r % 5) - 2) * T_D("0.01").raw;
    s->md.bid = oms_dec_from_raw(mid - T_D("0.01").raw);
    s->md.ask = oms_dec_from_raw(mid + T_D("0.01").raw);
    s->md.bid_qty = oms_dec_from_raw((int64_t)(1 + (r >> 8) % 200) * OMS_DEC_SCALE);
    s->md.ask_qty = oms_dec_from_raw((int64_t)(1 + (r >> 16) % 200) * OMS_DEC_SCALE);
    s->md.last_px = oms_dec_from_raw(mid);
    int64_t traded = (int64_t)((r >> 24) % 300) * OMS_DEC_SCALE;
    s->md.cum_volume.raw += traded;
    s->md.seen_volume.raw += traded; /* the market's interval VWAP */
    s->md.seen_notional += (__int128)traded * mid;
    s->md.ts_ns = s->now;
    if (i == cut) {
      uint8_t buf[OMS_ALGO_ENC_SIZE];
      int n = oms_algo_encode(&s->st, buf, sizeof buf);
      assert_true(n > 0);
      memset(&s->st, 0xAB, sizeof s->st);
      assert_int_equal(oms_algo_decode(buf, (size_t)n, &s->st), 0);
    }
    assert_int_equal(sim_rest_fills(s), 0);
    assert_int_equal(sim_step(s), 0);
  }
  return s;
}

static void test_a_restart_mid_algorithm_sends_the_same_children(void **state) {
  (void)state;
  static const oms_algo_strategy_t kinds[] = {
      OMS_ALGO_TWAP,   OMS_ALGO_VWAP,          OMS_ALGO_ICEBERG, OMS_ALGO_POV,
      OMS_ALGO_SNIPER, OMS_ALGO_TRAILING_STOP, OMS_ALGO_MIT,     OMS_ALGO_LIT};
  for (int k = 0; k < 8; k++) {
    sim_t *a = restart_run(kinds[k], -1);
    if (a->nlog < 1) fail_msg("strategy %d sent nothing", (int)kinds[k]);
    assert_true(a->nlog >= 1);
    assert_true(oms_dec_is_pos(a->st.filled));
    assert_true(oms_dec_is_pos(a->st.mkt_volume));
    for (int cut = 1; cut < 600; cut += 97) {
      sim_t *b = restart_run(kinds[k], cut);
      assert_int_equal(a->nlog, b->nlog);
      assert_memory_equal(a->log, b->log, sizeof(a->log[0]) * (size_t)a->nlog);
      assert_memory_equal(&a->st, &b->st, sizeof a->st);
      free(b);
    }
    free(a);
  }
}

static void test_volume_counts_from_the_first_snapshot_after_the_start(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_POV, OMS_SIDE_BUY, T_D("1000"));
  SET(p, pov_rate, T_D("0.5"));
  sim_init(s, &p);
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(&s->st, NOW, NULL, &out), 0); /* no data yet */
  assert_int_equal(out.n, 0);
  assert_int_equal(sim_step(s), 0); /* the first snapshot: 100000 traded before us */
  assert_int_equal(s->nlog, 0);
  s->md.cum_volume.raw += T_D("10").raw;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->log[0].qty, T_D("5")));
  free(s);
}

static void test_liquidity_is_taken_once_per_snapshot(void **state) {
  (void)state;
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_SNIPER, OMS_SIDE_SELL, T_D("100"));
  SET(p, limit_px, T_D("100"));
  oms_algo_state_t st;
  assert_int_equal(oms_algo_init(&st, 3, &p, T_D("0.01"), T_D("1"), NOW), 0);
  oms_algo_md_t md = {.bid = T_D("100.02"), .bid_qty = T_D("30"), .ts_ns = NOW};
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(&st, NOW, &md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(oms_algo_on_child_fill(&st, 1, T_D("30"), T_D("100.02")), 0);
  assert_int_equal(oms_algo_on_child_done(&st, 1), 0);
  /* the same snapshot again (a step after the child's end): nothing */
  assert_int_equal(oms_algo_step(&st, NOW + 1, &md, &out), 0);
  assert_int_equal(out.n, 0);
  md.ts_ns = NOW + 5;
  assert_int_equal(oms_algo_step(&st, NOW + 5, &md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_true(oms_dec_eq(out.intent[0].qty, T_D("30")));
}

/* Trailing stop, MIT and LIT watch the price trigger_type names: the last
 * trade (default), the far touch (the ask for a buy, the bid for a sell), or
 * the mid. */
static void test_emulated_orders_trigger_on_last_quote_or_mid(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  /* a buy MIT on the quote: the ask touching 95 triggers, trades do not */
  oms_algo_params_init(&p, OMS_ALGO_MIT, OMS_SIDE_BUY, T_D("10"));
  SET(p, trigger_px, T_D("95"));
  SET(p, trigger_type, OMS_TRIGGER_QUOTE);
  sim_init(s, &p);
  sim_book(s, "94", "100", "96", "100");
  trade(s, "94", 0); /* a trade at 94, the ask still 96 */
  s->md.ask = T_D("95");
  trade(s, "94", 1);
  /* a sell trailing stop on the bid: trails the highest bid */
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_SELL, T_D("10"));
  SET(p, trail_offset, T_D("1"));
  SET(p, trigger_type, OMS_TRIGGER_QUOTE);
  sim_init(s, &p);
  sim_book(s, "100", "100", "100.5", "100");
  trade(s, "90", 0); /* trades are not watched */
  s->md.bid = T_D("102");
  trade(s, "90", 0);
  assert_true(oms_dec_eq(s->st.hwm, T_D("102")));
  s->md.bid = T_D("101.01");
  trade(s, "90", 0);
  s->md.bid = T_D("101");
  trade(s, "90", 1);
  /* a sell LIT on the mid: (104.98 + 105.02) / 2 = 105 */
  oms_algo_params_init(&p, OMS_ALGO_LIT, OMS_SIDE_SELL, T_D("10"));
  SET(p, trigger_px, T_D("105"));
  SET(p, limit_px, T_D("104.5"));
  SET(p, trigger_type, OMS_TRIGGER_MID);
  sim_init(s, &p);
  sim_book(s, "104.96", "100", "105.02", "100");
  trade(s, "106", 0); /* mid 104.99 */
  s->md.bid = T_D("104.98");
  trade(s, "100", 1);
  /* no quote: the mid is unknown, nothing triggers */
  sim_init(s, &p);
  sim_book(s, "0", "0", "0", "0");
  trade(s, "110", 0);
  /* the default stays the last trade */
  oms_algo_params_init(&p, OMS_ALGO_MIT, OMS_SIDE_SELL, T_D("10"));
  SET(p, trigger_px, T_D("105"));
  sim_init(s, &p);
  trade(s, "105", 1);
  free(s);
}

/* A fill the venue reports after confirming the child's cancel: booked in
 * the parent's cum and average; if the rest was already given to another
 * child, the parent is `over` and cancels its children until it fits. */
static void test_a_late_fill_reaches_the_parent_and_holds_the_invariant(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("200"));
  SET(p, limit_px, T_D("100"));
  SET(p, display_qty, T_D("200"));
  sim_init(s, &p);
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(&s->st, s->now, &s->md, &out), 0); /* child 1: 200 */
  assert_int_equal(out.n, 1);
  assert_int_equal(oms_algo_on_child_done(&s->st, 1), 0);           /* its cancel confirmed */
  assert_int_equal(oms_algo_step(&s->st, s->now, &s->md, &out), 0); /* child 2: 200 */
  assert_int_equal(s->st.open.raw, T_D("200").raw);
  /* the venue reports 30 on child 1 after it confirmed the cancel */
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("30"), T_D("99")), 0);
  assert_int_equal(qty_int(s->st.filled), 30);
  assert_int_equal(qty_int(s->st.late_qty), 30);
  assert_true(oms_dec_eq(oms_algo_avg_px(&s->st), T_D("99")));
  assert_int_equal(s->st.over, 1);
  assert_true(oms_algo_check(&s->st)); /* over: allowed, and only so */
  s->st.over = 0;
  assert_false(oms_algo_check(&s->st));
  s->st.over = 1;
  /* the next step cancels the open child and sends nothing */
  assert_int_equal(oms_algo_step(&s->st, s->now + SEC, &s->md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.intent[0].kind, OMS_INTENT_CANCEL);
  assert_int_equal(oms_algo_step(&s->st, s->now + 2 * SEC, &s->md, &out), 0);
  assert_int_equal(out.n, 0); /* already being cancelled */
  /* a fill on child 2 beyond what the parent may hold is refused */
  assert_int_equal(oms_algo_on_child_fill(&s->st, 2, T_D("171"), T_D("100")), OMS_EOVERFILL);
  assert_int_equal(oms_algo_on_child_fill(&s->st, 2, T_D("170"), T_D("100")), 0);
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);
  assert_false(oms_algo_is_done(&s->st)); /* child 2's rest is still open */
  assert_int_equal(oms_algo_on_child_done(&s->st, 2), 0);
  assert_int_equal(s->st.over, 0);
  assert_true(oms_algo_is_done(&s->st));
  assert_true(oms_algo_check(&s->st));
  /* a late fill beyond the parent's quantity is refused, state unchanged */
  oms_algo_state_t before = s->st;
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("1"), T_D("99")), OMS_EOVERFILL);
  assert_memory_equal(&before, &s->st, sizeof before);
  free(s);
}

/* The interval VWAP is the market's over the parent's life; slippage is in
 * bps of it, positive when the parent did worse (a buy above, a sell below). */
static void test_slippage_against_the_interval_vwap(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "100", 600);
  sim_init(s, &p);
  oms_dec_t bps;
  assert_int_equal(oms_algo_slippage_bps(&s->st, &bps), OMS_ENOTFOUND);
  /* trades before the parent's first step do not count */
  s->md.seen_volume = T_D("1000");
  s->md.seen_notional = (__int128)T_D("1000").raw * T_D("50").raw;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(oms_algo_interval_vwap(&s->st), OMS_DEC_ZERO));
  /* then 100 at 100 and 300 at 102: VWAP 101.5 */
  s->md.seen_volume = T_D("1400");
  s->md.seen_notional +=
      (__int128)T_D("100").raw * T_D("100").raw + (__int128)T_D("300").raw * T_D("102").raw;
  s->now += SEC;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(oms_algo_interval_vwap(&s->st), T_D("101.5")));
  assert_int_equal(oms_algo_slippage_bps(&s->st, &bps), OMS_ENOTFOUND); /* no fill */
  /* bought at 101.6: (101.6 - 101.5) / 101.5 * 10^4 = 9.85221675 bps worse */
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("10"), T_D("101.6")), 0);
  assert_int_equal(oms_algo_slippage_bps(&s->st, &bps), 0);
  assert_true(oms_dec_eq(bps, T_D("9.85221675")));
  /* a restarted engine's sums start again from 0: re-based, nothing lost */
  s->md.seen_volume = T_D("10");
  s->md.seen_notional = (__int128)T_D("10").raw * T_D("101.5").raw;
  s->now += SEC;
  assert_int_equal(sim_step(s), 0);
  assert_true(oms_dec_eq(s->st.mkt_volume, T_D("400")));
  /* a sell at 101.6 did better than the VWAP: negative */
  s->st.p.side = OMS_SIDE_SELL;
  assert_int_equal(oms_algo_slippage_bps(&s->st, &bps), 0);
  assert_true(oms_dec_eq(bps, T_D("-9.85221675")));
  /* once terminal, the interval stops */
  oms_algo_out_t out;
  assert_int_equal(oms_algo_expire(&s->st, &out), 0);
  assert_int_equal(s->st.status, OMS_ALGO_EXPIRED);
  assert_int_equal(out.n, 1);
  assert_int_equal(oms_algo_expire(&s->st, &out), OMS_ESTATE);
  s->md.seen_volume = T_D("20");
  assert_int_equal(oms_algo_step(&s->st, s->now + SEC, &s->md, &out), 0);
  assert_true(oms_dec_eq(s->st.mkt_volume, T_D("400")));
  free(s);
}

/* At a venue that works the type itself (native, set by the engine): one
 * child for the whole quantity at once, as the native type; when it ends
 * unfilled the parent ends (CANCELLED), and nothing is sent again. */
static void test_a_native_parent_sends_one_child_of_the_native_type(void **state) {
  (void)state;
  sim_t *s = calloc(1, sizeof *s);
  oms_algo_params_t p;
  oms_algo_out_t out;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("10"));
  SET(p, limit_px, T_D("99"));
  SET(p, display_qty, T_D("2"));
  sim_init(s, &p);
  s->st.native = 1;
  assert_int_equal(oms_algo_step(&s->st, s->now, &s->md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.intent[0].type, OMS_ORD_LIMIT);
  assert_true(oms_dec_eq(out.intent[0].qty, T_D("10"))); /* the venue shows 2 of it */
  assert_true(oms_algo_check(&s->st));
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("4"), T_D("99")), 0);
  assert_int_equal(oms_algo_on_child_done(&s->st, 1), 0);
  assert_int_equal(s->st.status, OMS_ALGO_CANCELLED);
  assert_true(oms_algo_is_done(&s->st));
  /* MIT: a stop at the trigger; LIT: a stop-limit */
  oms_algo_params_init(&p, OMS_ALGO_MIT, OMS_SIDE_BUY, T_D("10"));
  SET(p, trigger_px, T_D("95"));
  sim_init(s, &p);
  s->st.native = 1;
  assert_int_equal(oms_algo_step(&s->st, s->now, NULL, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.intent[0].type, OMS_ORD_STOP);
  assert_true(oms_dec_eq(out.intent[0].stop_price, T_D("95")));
  assert_true(oms_dec_eq(out.intent[0].price, OMS_DEC_ZERO));
  assert_int_equal(oms_algo_step(&s->st, s->now + SEC, NULL, &out), 0);
  assert_int_equal(out.n, 0); /* once */
  oms_algo_params_init(&p, OMS_ALGO_LIT, OMS_SIDE_SELL, T_D("10"));
  SET(p, trigger_px, T_D("105"));
  SET(p, limit_px, T_D("104.5"));
  sim_init(s, &p);
  s->st.native = 1;
  assert_int_equal(oms_algo_step(&s->st, s->now, NULL, &out), 0);
  assert_int_equal(out.intent[0].type, OMS_ORD_STOP_LIMIT);
  assert_true(oms_dec_eq(out.intent[0].price, T_D("104.5")));
  /* a trailing stop waits for a price to trail, then stops 2 below it */
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_SELL, T_D("10"));
  SET(p, trail_offset, T_D("2"));
  sim_init(s, &p);
  s->st.native = 1;
  assert_int_equal(oms_algo_step(&s->st, s->now, NULL, &out), 0);
  assert_int_equal(out.n, 0);
  s->md.last_px = T_D("100");
  assert_int_equal(oms_algo_step(&s->st, s->now, &s->md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.intent[0].type, OMS_ORD_STOP);
  assert_true(oms_dec_eq(out.intent[0].stop_price, T_D("98")));
  assert_int_equal(oms_algo_on_child_fill(&s->st, 1, T_D("10"), T_D("98")), 0);
  assert_int_equal(oms_algo_on_child_done(&s->st, 1), 0);
  assert_int_equal(s->st.status, OMS_ALGO_COMPLETED);
  /* a buy trailing stop with a limit: a stop-limit above the price */
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_BUY, T_D("10"));
  SET(p, trail_offset, T_D("2"));
  SET(p, limit_px, T_D("103"));
  sim_init(s, &p);
  s->st.native = 1;
  s->md.last_px = T_D("100");
  assert_int_equal(oms_algo_step(&s->st, s->now, &s->md, &out), 0);
  assert_int_equal(out.intent[0].type, OMS_ORD_STOP_LIMIT);
  assert_true(oms_dec_eq(out.intent[0].stop_price, T_D("102")));
  free(s);
}

static void test_names_and_init_refusals(void **state) {
  (void)state;
  assert_string_equal(oms_algo_status_name(OMS_ALGO_WORKING), "WORKING");
  assert_string_equal(oms_algo_status_name(OMS_ALGO_HALTED), "HALTED");
  assert_string_equal(oms_algo_status_name(OMS_ALGO_WAITING), "WAITING");
  assert_string_equal(oms_algo_status_name(OMS_ALGO_COMPLETED), "COMPLETED");
  assert_string_equal(oms_algo_status_name(OMS_ALGO_CANCELLED), "CANCELLED");
  assert_string_equal(oms_algo_status_name(OMS_ALGO_EXPIRED), "EXPIRED");
  assert_string_equal(oms_algo_status_name((oms_algo_status_t)0), "UNKNOWN");
  oms_algo_params_t p = sched(OMS_ALGO_TWAP, "1000", 600);
  oms_algo_state_t st;
  assert_int_equal(oms_algo_init(&st, 1, &p, T_D("0"), T_D("1"), NOW), OMS_EINVAL);
  p.end_ns = NOW;
  assert_int_equal(oms_algo_init(&st, 1, &p, T_D("0.01"), T_D("1"), NOW), OMS_EINVAL);
  assert_true(oms_dec_is_zero(oms_algo_avg_px(&st)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_twap_keeps_within_one_slice_of_its_schedule),
      cmocka_unit_test(test_twap_prices_children_by_aggression_and_limit),
      cmocka_unit_test(test_twap_before_start_waits_and_after_end_expires),
      cmocka_unit_test(test_twap_caps_min_slice_max_slice_pov_and_would),
      cmocka_unit_test(test_vwap_follows_its_volume_profile),
      cmocka_unit_test(test_pov_realised_participation_is_within_tolerance),
      cmocka_unit_test(test_iceberg_never_shows_more_than_its_peak),
      cmocka_unit_test(test_sniper_takes_only_at_or_better_than_its_limit),
      cmocka_unit_test(test_trailing_stop_follows_the_high_water_mark),
      cmocka_unit_test(test_if_touched_orders_release_a_child_at_the_trigger),
      cmocka_unit_test(test_cancel_and_halt_cancel_the_children),
      cmocka_unit_test(test_replace_re_plans_and_a_smaller_quantity_waits_for_the_cancels),
      cmocka_unit_test(test_fills_beyond_a_child_are_refused_and_change_nothing),
      cmocka_unit_test(test_the_invariant_holds_under_random_fills),
      cmocka_unit_test(test_a_restart_mid_algorithm_sends_the_same_children),
      cmocka_unit_test(test_volume_counts_from_the_first_snapshot_after_the_start),
      cmocka_unit_test(test_liquidity_is_taken_once_per_snapshot),
      cmocka_unit_test(test_names_and_init_refusals),
      cmocka_unit_test(test_emulated_orders_trigger_on_last_quote_or_mid),
      cmocka_unit_test(test_a_late_fill_reaches_the_parent_and_holds_the_invariant),
      cmocka_unit_test(test_slippage_against_the_interval_vwap),
      cmocka_unit_test(test_a_native_parent_sends_one_child_of_the_native_type),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
