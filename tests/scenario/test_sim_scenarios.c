/* Scenario tests: the OMS core trading against the simulated venue, end to
 * end, on the manual clock. Each test reads as the story of one session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/engine.h"
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
  int nev;
  oms_event_t ev[256];
} world_t;

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  if (w->nev < 256) w->ev[w->nev++] = *ev;
}

/* The liquidity provider's refill delay for the next world made. */
static int64_t lp_refill_ns;

static world_t *make_risk(bool lp, uint32_t rate, bool with_risk, const oms_risk_limit_t *extra) {
  world_t *w = calloc(1, sizeof(*w));
  w->now = T0;
  scn_parts(&w->pf, with_risk ? &w->risk : NULL);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 256,
                             .portfolio = w->pf,
                             .risk = w->risk,
                             .on_event = on_event,
                             .event_ctx = w};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_sim_symbol_t sym;
  scn_lp_symbol(&sym);
  if (lp)
    sym.lp.refill_ns = lp_refill_ns;
  else
    memset(&sym.lp, 0, sizeof sym.lp);
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 1024,
                         .ack_latency_ns = 1 * MS,
                         .fill_latency_ns = 1 * MS,
                         .taker_fee_rate = T_D("0.001"),
                         .maker_fee_rate = T_D("-0.0001"),
                         .seed = 42,
                         .symbols = &sym,
                         .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&sc, &w->sim), 0);
  assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
  oms_venue_route_config_t rc = {.msgs_per_sec = rate, .burst = rate, .queue_capacity = 4};
  assert_int_equal(oms_engine_add_venue(w->e, w->sim, &rc), 0);
  if (with_risk) {
    oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now);
    oms_portfolio_set_cash(w->pf, "ACC2", T_D("1000000"), w->now);
    oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("65000"), w->now);
    loose_limits(w->risk, extra);
  }
  return w;
}

static world_t *make(bool lp, uint32_t rate) { return make_risk(lp, rate, false, NULL); }

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  free(w);
}

/* Lets the clock run in 1 ms steps, polling the core each time. */
static void run_ms(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
}

static int submit(world_t *w, const char *clordid, oms_side_t side, oms_ord_type_t type,
                  const char *qty, const char *px, oms_submit_result_t *res) {
  oms_order_request_t req;
  t_request(&req, clordid, side, type, qty, px);
  return oms_engine_submit(w->e, &req, res);
}

static oms_order_t get(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o;
}

static bool saw(world_t *w, oms_event_type_t t, uint64_t id) {
  for (int i = 0; i < w->nev; i++)
    if (w->ev[i].type == t && w->ev[i].order.order_id == id) return true;
  return false;
}

static void test_happy_path_market_order_filled_against_liquidity(void **state) {
  (void)state;
  world_t *w = make(true, 0);
  oms_submit_result_t res;
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_MARKET, "1.5", NULL, &res), 0);
  run_ms(w, 5);
  oms_order_t o = get(w, res.order->order_id);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("1.5")));
  assert_true(saw(w, OMS_EVT_ORDER_SUBMITTED, o.order_id));
  assert_true(saw(w, OMS_EVT_ORDER_ACCEPTED, o.order_id));
  assert_true(saw(w, OMS_EVT_ORDER_FILLED, o.order_id));
  /* the fill is in the portfolio */
  oms_pf_position_t pos;
  assert_int_equal(oms_portfolio_position(w->pf, "ACC1", "BTC-USD", &pos), 0);
  assert_true(oms_dec_eq(pos.qty, T_D("1.5")));
  for (int i = 1; i < w->nev; i++) assert_int_equal(w->ev[i].seq, w->ev[i - 1].seq + 1);
  destroy(w);
}

static void test_limit_rests_then_cancelled(void **state) {
  (void)state;
  world_t *w = make(true, 0);
  oms_submit_result_t res;
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &res), 0);
  run_ms(w, 3);
  uint64_t id = res.order->order_id;
  assert_int_equal(get(w, id).state, OMS_STATE_ACCEPTED);
  assert_string_not_equal(get(w, id).venue_order_id, "");
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  assert_int_equal(get(w, id).state, OMS_STATE_PENDING_CANCEL);
  run_ms(w, 3);
  assert_int_equal(get(w, id).state, OMS_STATE_CANCELLED);
  assert_true(saw(w, OMS_EVT_ORDER_CANCELLED, id));
  destroy(w);
}

static void test_partial_fill_then_cancel(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_submit_result_t a, b;
  /* a resting sell of 0.4, then a buy of 1 that takes it and rests the rest */
  assert_int_equal(submit(w, "s", OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.4", "65000", &a), 0);
  run_ms(w, 2);
  assert_int_equal(submit(w, "b", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000", &b), 0);
  run_ms(w, 3);
  oms_order_t o = get(w, b.order->order_id);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.4")));
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, o.order_id, &rej), 0);
  run_ms(w, 3);
  o = get(w, o.order_id);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.4")));
  assert_int_equal(get(w, a.order->order_id).state, OMS_STATE_FILLED);
  destroy(w);
}

static void test_order_larger_than_the_book_partially_fills_rests_and_is_cancelled(void **state) {
  (void)state;
  lp_refill_ns = 1000 * MS; /* the provider comes back a second after being taken */
  world_t *w = make(true, 0);
  lp_refill_ns = 0;
  oms_submit_result_t res;
  /* 5 against 3 levels of 1: the book's depth fills, the rest rests */
  assert_int_equal(submit(w, "big", OMS_SIDE_BUY, OMS_ORD_LIMIT, "5", "65010", &res), 0);
  run_ms(w, 10);
  uint64_t id = res.order->order_id;
  oms_order_t o = get(w, id);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("3")));
  run_ms(w, 500); /* still short of the refill: nothing more */
  assert_true(oms_dec_eq(get(w, id).filled_qty, T_D("3")));
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  run_ms(w, 5);
  o = get(w, id);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("3")));
  assert_true(saw(w, OMS_EVT_ORDER_CANCELLED, id));
  destroy(w);
}

static void test_modify_accepted_then_refused(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_submit_result_t res;
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &res), 0);
  run_ms(w, 2);
  uint64_t id = res.order->order_id;
  oms_reject_t rej;
  oms_modify_t m = {.price = T_D("60500"), .qty = T_D("2")};
  assert_int_equal(oms_engine_modify(w->e, id, &m, &rej), 0);
  run_ms(w, 2);
  oms_order_t o = get(w, id);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  assert_true(oms_dec_eq(o.price, T_D("60500")));
  assert_true(oms_dec_eq(o.qty, T_D("2")));
  /* the venue fills the order completely; before the fill report arrives
   * the strategy asks for a new price: the venue refuses the replace */
  oms_order_request_t req;
  t_request(&req, "hit", OMS_SIDE_SELL, OMS_ORD_LIMIT, "2", "60500");
  strcpy(req.account_id, "ACC2");
  oms_submit_result_t s;
  assert_int_equal(oms_engine_submit(w->e, &req, &s), 0);
  oms_modify_t late = {.price = T_D("60400")};
  assert_int_equal(oms_engine_modify(w->e, id, &late, &rej), 0);
  assert_int_equal(get(w, id).state, OMS_STATE_PENDING_REPLACE);
  run_ms(w, 3);
  o = get(w, id);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(o.price, T_D("60500"))); /* the replace never took effect */
  assert_true(saw(w, OMS_EVT_ORDER_REPLACE_REJECTED, id));
  destroy(w);
}

static void test_stop_triggered_then_filled(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_submit_result_t st, a, b;
  oms_order_request_t req;
  t_request(&req, "stop", OMS_SIDE_BUY, OMS_ORD_STOP, "0.5", NULL);
  req.stop_price = T_D("65100");
  assert_int_equal(oms_engine_submit(w->e, &req, &st), 0);
  /* liquidity above, then a trade at the stop price */
  assert_int_equal(submit(w, "ask", OMS_SIDE_SELL, OMS_ORD_LIMIT, "2", "65100", &a), 0);
  run_ms(w, 2);
  assert_int_equal(get(w, st.order->order_id).state, OMS_STATE_ACCEPTED);
  strcpy(req.account_id, "ACC2");
  assert_int_equal(submit(w, "lift", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.1", "65100", &b), 0);
  run_ms(w, 5);
  oms_order_t o = get(w, st.order->order_id);
  assert_true(saw(w, OMS_EVT_ORDER_TRIGGERED, o.order_id));
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(o.avg_px, T_D("65100")));
  destroy(w);
}

static void test_fok_that_cannot_fill_is_cancelled(void **state) {
  (void)state;
  world_t *w = make(true, 0); /* 3 levels of 1 on each side */
  oms_order_request_t req;
  t_request(&req, "fok", OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "70000");
  req.tif = OMS_TIF_FOK;
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  run_ms(w, 3);
  oms_order_t o = get(w, res.order->order_id);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_is_zero(o.filled_qty));
  bool reason = false;
  for (int i = 0; i < w->nev; i++)
    if (w->ev[i].type == OMS_EVT_ORDER_CANCELLED && w->ev[i].reason == OMS_R_FOK_CANNOT_FILL)
      reason = true;
  assert_true(reason);
  destroy(w);
}

static void test_post_only_that_would_cross_is_refused(void **state) {
  (void)state;
  world_t *w = make(true, 0);
  oms_order_request_t req;
  t_request(&req, "po", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "66000");
  req.instructions = OMS_INST_POST_ONLY;
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  run_ms(w, 3);
  oms_order_t o = get(w, res.order->order_id);
  assert_true(o.state == OMS_STATE_REJECTED || o.state == OMS_STATE_CANCELLED);
  assert_true(oms_dec_is_zero(o.filled_qty));
  destroy(w);
}

static void test_venue_rejection_reaches_the_order(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_sim_venue_reject_next(w->sim, 1, OMS_R_NONE);
  oms_submit_result_t res;
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &res), 0);
  run_ms(w, 3);
  oms_order_t o = get(w, res.order->order_id);
  assert_int_equal(o.state, OMS_STATE_REJECTED);
  assert_int_equal(o.reject_code, OMS_R_VENUE_REJECT);
  assert_true(saw(w, OMS_EVT_ORDER_REJECTED, o.order_id));
  destroy(w);
}

static void test_burst_over_the_venue_rate_limit(void **state) {
  (void)state;
  world_t *w = make(false, 5); /* 5 per second, burst 5, 4 may wait */
  int ok = 0, refused = 0;
  for (int i = 0; i < 12; i++) {
    char id[8];
    snprintf(id, sizeof id, "c%d", i);
    oms_submit_result_t res;
    if (submit(w, id, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &res) == 0) {
      ok++;
    } else {
      refused++;
      assert_int_equal(res.reject.code, OMS_R_VENUE_QUEUE_FULL);
    }
  }
  assert_int_equal(ok, 9);
  assert_int_equal(refused, 3);
  run_ms(w, 1000);
  int accepted = 0;
  for (uint64_t id = 1; id <= 12; id++)
    if (get(w, id).state == OMS_STATE_ACCEPTED) accepted++;
  assert_int_equal(accepted, 9);
  destroy(w);
}

static void test_idempotent_resubmission(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_submit_result_t a, b;
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &a), 0);
  run_ms(w, 2);
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &b), 0);
  assert_true(b.duplicate);
  assert_int_equal(a.order->order_id, b.order->order_id);
  assert_int_equal(b.order->state, OMS_STATE_ACCEPTED);
  oms_sim_stats_t st;
  oms_sim_venue_stats(w->sim, &st);
  assert_int_equal(st.orders, 1);
  destroy(w);
}

static void test_fill_racing_a_cancel(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_submit_result_t a, b;
  assert_int_equal(submit(w, "bid", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000", &a), 0);
  run_ms(w, 2);
  /* the cancel goes out; before it arrives the venue trades the order */
  oms_reject_t rej;
  oms_order_request_t req;
  t_request(&req, "hit", OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65000");
  strcpy(req.account_id, "ACC2");
  assert_int_equal(oms_engine_submit(w->e, &req, &b), 0);
  assert_int_equal(oms_engine_cancel(w->e, a.order->order_id, &rej), 0);
  run_ms(w, 5);
  oms_order_t o = get(w, a.order->order_id);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_true(saw(w, OMS_EVT_ORDER_CANCEL_REJECTED, o.order_id));
  destroy(w);
}

static void test_silent_venue_is_settled_by_status_query(void **state) {
  (void)state;
  world_t *w = make(false, 0);
  oms_sim_venue_set_silent(w->sim, true);
  oms_submit_result_t res;
  assert_int_equal(submit(w, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000", &res), 0);
  run_ms(w, 500);
  assert_int_equal(get(w, res.order->order_id).state, OMS_STATE_SUBMITTED);
  run_ms(w, 600); /* past the 1 s acknowledgement timeout */
  oms_order_t o = get(w, res.order->order_id);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  oms_sim_stats_t st;
  oms_sim_venue_stats(w->sim, &st);
  assert_int_equal(st.orders, 1); /* asked, never resent */
  destroy(w);
}

static void test_risk_rejection_is_denied_with_the_check_and_numbers(void **state) {
  (void)state;
  oms_risk_limit_t tight = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("2")};
  world_t *w = make_risk(true, 0, true, &tight);
  oms_submit_result_t res;
  assert_int_equal(submit(w, "ok", OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "64000", &res), 0);
  assert_int_equal(submit(w, "big", OMS_SIDE_BUY, OMS_ORD_LIMIT, "2.001", "64000", &res),
                   OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_RISK_MAX_ORDER_QTY);
  assert_string_equal(res.check, "max_order_size");
  assert_non_null(strstr(res.reject.text, "2.001"));
  assert_int_equal(res.order->state, OMS_STATE_REJECTED);
  assert_true(saw(w, OMS_EVT_ORDER_DENIED, res.order->order_id));
  assert_string_equal(w->ev[w->nev - 1].check, "max_order_size");
  /* nothing of the denied order reached the venue */
  oms_sim_stats_t st;
  oms_sim_venue_stats(w->sim, &st);
  assert_int_equal(st.orders, 1);
  destroy(w);
}

static void test_halting_an_account_cancels_its_open_orders(void **state) {
  (void)state;
  world_t *w = make_risk(true, 0, true, NULL);
  oms_submit_result_t a, b, c;
  assert_int_equal(submit(w, "a", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "64000", &a), 0);
  assert_int_equal(submit(w, "b", OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "66000", &b), 0);
  oms_order_request_t req;
  t_request(&req, "c", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "63500");
  strcpy(req.account_id, "ACC2");
  assert_int_equal(oms_engine_submit(w->e, &req, &c), 0);
  run_ms(w, 3);
  assert_int_equal(oms_engine_set_trading_state(w->e, OMS_RISK_SCOPE_ACCOUNT, "ACC1",
                                                OMS_TRADING_HALTED, "operator: runaway strategy"),
                   0);
  run_ms(w, 3);
  assert_int_equal(get(w, a.order->order_id).state, OMS_STATE_CANCELLED);
  assert_int_equal(get(w, b.order->order_id).state, OMS_STATE_CANCELLED);
  assert_int_equal(get(w, c.order->order_id).state, OMS_STATE_ACCEPTED);
  bool announced = false;
  for (int i = 0; i < w->nev; i++)
    if (w->ev[i].type == OMS_EVT_TRADING_STATE_CHANGED &&
        w->ev[i].new_state == OMS_TRADING_HALTED && strcmp(w->ev[i].scope_id, "ACC1") == 0)
      announced = true;
  assert_true(announced);
  /* only cancels pass now */
  oms_submit_result_t d;
  assert_int_equal(submit(w, "d", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "64000", &d), OMS_EREJECTED);
  assert_int_equal(d.reject.code, OMS_R_RISK_HALTED);
  destroy(w);
}

static void test_daily_loss_breach_switches_account_to_reduce_only(void **state) {
  (void)state;
  oms_risk_limit_t loss = {.set = OMS_RL_DAILY_LOSS,
                           .daily_loss = T_D("500"),
                           .daily_loss_action = OMS_TRADING_REDUCE_ONLY};
  world_t *w = make_risk(true, 0, true, &loss);
  oms_submit_result_t res;
  /* buy 1 at the ask, then the market is marked 1000 lower */
  assert_int_equal(submit(w, "buy", OMS_SIDE_BUY, OMS_ORD_MARKET, "1", NULL, &res), 0);
  run_ms(w, 3);
  assert_int_equal(get(w, res.order->order_id).state, OMS_STATE_FILLED);
  oms_portfolio_set_mark(w->pf, "BTC-USD", T_D("64000"), w->now);
  oms_risk_evaluate_account(w->risk, "ACC1", w->now);
  assert_int_equal(oms_risk_get_state(w->risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1"),
                   OMS_TRADING_REDUCE_ONLY);
  /* adding to the position is refused, reducing it passes */
  oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("64000"), w->now);
  assert_int_equal(submit(w, "more", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.1", "63000", &res),
                   OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_RISK_REDUCE_ONLY);
  assert_int_equal(submit(w, "less", OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.5", "64500", &res), 0);
  destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_happy_path_market_order_filled_against_liquidity),
      cmocka_unit_test(test_limit_rests_then_cancelled),
      cmocka_unit_test(test_partial_fill_then_cancel),
      cmocka_unit_test(test_order_larger_than_the_book_partially_fills_rests_and_is_cancelled),
      cmocka_unit_test(test_modify_accepted_then_refused),
      cmocka_unit_test(test_stop_triggered_then_filled),
      cmocka_unit_test(test_fok_that_cannot_fill_is_cancelled),
      cmocka_unit_test(test_post_only_that_would_cross_is_refused),
      cmocka_unit_test(test_venue_rejection_reaches_the_order),
      cmocka_unit_test(test_burst_over_the_venue_rate_limit),
      cmocka_unit_test(test_idempotent_resubmission),
      cmocka_unit_test(test_fill_racing_a_cancel),
      cmocka_unit_test(test_silent_venue_is_settled_by_status_query),
      cmocka_unit_test(test_risk_rejection_is_denied_with_the_check_and_numbers),
      cmocka_unit_test(test_halting_an_account_cancels_its_open_orders),
      cmocka_unit_test(test_daily_loss_breach_switches_account_to_reduce_only),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
