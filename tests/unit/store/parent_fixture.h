/* parent_fixture.h - a parent order's history for the store tests
 * (test_store_parents.c, and the parents case of the store contract on every
 * backend): a TWAP parent, one child, a fill, the events carrying the
 * parent's algorithm state as the engine journals it. */
#ifndef OMS_PARENT_FIXTURE_H
#define OMS_PARENT_FIXTURE_H

#include "oms/algo.h"
#include "unit/store/store_fixture.h"

#define SEC INT64_C(1000000000)

/* A TWAP parent (id 10, qty 2, 60 s, 10 s slices) and its history: accepted,
 * one child (id 11) sent, filled 0.5 at 100. The events carry the parent's
 * state as the engine journals it. */
typedef struct world_s {
  oms_order_t parent, child;
  oms_algo_state_t st;
  oms_event_t ev[5];
  size_t n;
} world_t;

static inline void carry(oms_event_t *ev, const oms_algo_state_t *st) {
  int n = oms_algo_encode(st, ev->algo, sizeof ev->algo);
  assert_true(n > 0);
  ev->algo_len = (uint16_t)n;
}

static inline void make_world(world_t *w, uint64_t pid, const char *account, const char *symbol,
                              uint64_t seq0) {
  memset(w, 0, sizeof *w);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_TWAP, OMS_SIDE_BUY, T_D("2"));
  OMS_ALGO_SET(&p, end_ns, T0 + 60 * SEC);
  OMS_ALGO_SET(&p, slice_ns, 10 * SEC);
  OMS_ALGO_SET(&p, limit_px, T_D("101"));
  OMS_ALGO_SET(&p, catch_up, 1);
  OMS_ALGO_SET(&p, aggression, OMS_AGGR_MID);
  assert_int_equal(oms_algo_init(&w->st, pid, &p, T_D("0.5"), T_D("0.001"), T0), 0);

  fx_order(&w->parent, pid, "s1", account, symbol, T0);
  w->parent.algo = OMS_ALGO_TWAP;
  fx_apply(&w->parent, OMS_EV_SUBMIT, NULL, NULL, T0, seq0, &w->ev[0]);
  fx_apply(&w->parent, OMS_EV_ACCEPT, NULL, NULL, T0, seq0 + 1, &w->ev[1]);
  carry(&w->ev[1], &w->st);

  oms_algo_md_t md = {.bid = T_D("99.5"),
                      .ask = T_D("100.5"),
                      .bid_qty = T_D("5"),
                      .ask_qty = T_D("5"),
                      .ts_ns = T0 + SEC};
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(&w->st, T0 + SEC, &md, &out), 0);
  assert_true(out.n >= 1);
  assert_int_equal(out.intent[0].kind, OMS_INTENT_NEW);
  fx_order(&w->child, pid + 1, "s1", account, symbol, T0 + SEC);
  w->child.parent_order_id = pid;
  w->child.child_seq = out.intent[0].child_seq;
  fx_apply(&w->child, OMS_EV_SUBMIT, NULL, NULL, T0 + SEC, seq0 + 2, &w->ev[2]);
  carry(&w->ev[2], &w->st);
  fx_apply(&w->child, OMS_EV_ACCEPT, NULL, NULL, T0 + SEC, seq0 + 3, &w->ev[3]);
  assert_int_equal(oms_algo_on_child_fill(&w->st, w->child.child_seq, T_D("0.3"), T_D("100")), 0);
  fx_apply(&w->child, OMS_EV_FILL, "0.3", "100", T0 + 2 * SEC, seq0 + 4, &w->ev[4]);
  carry(&w->ev[4], &w->st);
  w->n = 5;
}

#endif /* OMS_PARENT_FIXTURE_H */
