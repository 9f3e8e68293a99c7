/* Scenario tests: no zombie orders. The OMS core with risk over a store and
 * the simulated venue with its durable state; the process "restarts" (the
 * engine and venue are destroyed and built again over the same store and
 * state file, as omsd does at start), and then every order the OMS recovers
 * as live is live at the venue too - or, when the venue's state was lost, it
 * is cancelled by the venue and stops blocking anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "oms/engine.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define T0 SCN_T0
#define MS INT64_C(1000000)

typedef struct world_s {
  SCN_WORLD; /* now, store (survives the restarts), e, risk, pf (world.h) */
  char state[64];
} world_t;

/* The process: everything but the store, built as omsd builds it; the cash
 * and the reference price are set at each start's now. */
static void boot(world_t *w) {
  scn_spec_t spec = {
      .max_orders = 256, .sim_max_orders = 1024, .sim_state = w->state, .cash = "1000000"};
  scn_boot(&w->base, &spec);
}

/* Destroys the engine, and the venue it owns, over the store that stays. */
static void halt(world_t *w) { scn_halt(&w->base); }

static world_t *make(void) {
  world_t *w = calloc(1, sizeof(*w));
  w->now = T0;
  snprintf(w->state, sizeof w->state, "/tmp/oms-vrestart-%d-XXXXXX", (int)getpid());
  int fd = mkstemp(w->state);
  assert_true(fd >= 0);
  close(fd);
  unlink(w->state);
  assert_int_equal(oms_store_memory_create(NULL, &w->store), 0);
  boot(w);
  return w;
}

static void destroy(world_t *w) {
  halt(w);
  oms_store_close(w->store);
  unlink(w->state);
  free(w);
}

static void run_ms(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
}

static uint64_t rest(world_t *w, const char *clordid, oms_side_t side, const char *px) {
  oms_order_request_t req;
  t_request(&req, clordid, side, OMS_ORD_LIMIT, "1", px);
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  run_ms(w, 3);
  return res.order->order_id;
}

static oms_order_t get(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o;
}

static void restart(world_t *w) {
  halt(w);
  w->now += 1000 * MS;
  boot(w);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(w->e, &n), 0);
  run_ms(w, 5); /* the status queries and their answers */
  /* An order the venue does not know is asked about again 3 times, spaced
   * by the acknowledgement timeout (1 s), before it is resolved. */
  for (int k = 0; k < 3; k++) {
    w->now += 1000 * MS;
    run_ms(w, 5);
  }
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
}

/* A sell at the resting buy's price: refused as a self-trade while the buy is
 * live, taken once it is gone. */
static int sell_at(world_t *w, const char *clordid, const char *px, oms_submit_result_t *res) {
  oms_order_request_t req;
  t_request(&req, clordid, OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", px);
  return oms_engine_submit(w->e, &req, res);
}

static void test_resting_orders_are_still_at_the_venue_after_a_restart(void **state) {
  (void)state;
  world_t *w = make();
  uint64_t b = rest(w, "b", OMS_SIDE_BUY, "60000");
  uint64_t s = rest(w, "s", OMS_SIDE_SELL, "70000");
  restart(w);
  assert_int_equal(get(w, b).state, OMS_STATE_ACCEPTED);
  assert_int_equal(get(w, s).state, OMS_STATE_ACCEPTED);
  assert_false(get(w, b).flags & OMS_ORDF_STATUS_UNKNOWN);
  /* Live: a crossing sell of the same account is still a self-trade. */
  oms_submit_result_t res;
  assert_int_equal(sell_at(w, "x1", "60000", &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_RISK_SELF_TRADE);
  /* And cancellable. */
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, b, &rej), 0);
  assert_int_equal(oms_engine_cancel(w->e, s, &rej), 0);
  run_ms(w, 3);
  assert_int_equal(get(w, b).state, OMS_STATE_CANCELLED);
  assert_int_equal(get(w, s).state, OMS_STATE_CANCELLED);
  assert_int_equal(sell_at(w, "x2", "60000", &res), 0);
  destroy(w);
}

static void test_a_cancel_in_flight_at_the_restart_is_settled(void **state) {
  (void)state;
  world_t *w = make();
  uint64_t b = rest(w, "b", OMS_SIDE_BUY, "60000");
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, b, &rej), 0);
  /* The venue took the cancel; its answer was not delivered before the stop. */
  assert_int_equal(get(w, b).state, OMS_STATE_PENDING_CANCEL);
  restart(w);
  assert_int_equal(get(w, b).state, OMS_STATE_CANCELLED);
  destroy(w);
}

static void test_orders_a_venue_lost_are_cancelled_and_release_their_risk(void **state) {
  (void)state;
  world_t *w = make();
  uint64_t b = rest(w, "b", OMS_SIDE_BUY, "60000");
  uint64_t s = rest(w, "s", OMS_SIDE_SELL, "70000");
  unlink(w->state); /* the venue starts with an empty book */
  restart(w);
  for (int i = 0; i < 2; i++) {
    oms_order_t o = get(w, i == 0 ? b : s);
    assert_int_equal(o.state, OMS_STATE_CANCELLED);
    const oms_audit_t *au = oms_order_audit_get(&o, o.audit_count);
    assert_int_equal(au->reason_code, OMS_R_VENUE_UNKNOWN_ORDER);
  }
  /* No ghost: the sell at the dead buy's price is not a self-trade. */
  oms_submit_result_t res;
  assert_int_equal(sell_at(w, "x", "60000", &res), 0);
  run_ms(w, 3);
  assert_int_equal(get(w, res.order->order_id).state, OMS_STATE_FILLED);
  destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resting_orders_are_still_at_the_venue_after_a_restart),
      cmocka_unit_test(test_a_cancel_in_flight_at_the_restart_is_settled),
      cmocka_unit_test(test_orders_a_venue_lost_are_cancelled_and_release_their_risk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
