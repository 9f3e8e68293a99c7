/*
 * test_parents.c - parent orders worked by the core on the simulated venue
 * and a manual clock: a TWAP keeps to its schedule, an iceberg never shows
 * more than its display quantity, a sniper takes only at its limit or
 * better, a parent's cum and average are its children's sums, cancel and
 * halt stop parents and cancel their children, a restart in the middle of a
 * TWAP resumes it without sending a slice twice, and bad parameters are
 * refused with their code.
 *
 * Every event the engine publishes is watched (on_event): at each one, the
 * open plus filled quantity of a parent's children never exceeds the
 * parent's quantity, and a child's fill is followed, in the same unit, by
 * its parent's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "fakes.h"
#include "oms/algo.h"
#include "oms/engine.h"
#include "oms/event.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define T0 SCN_T0
#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
#define MAX_KIDS 512

typedef struct kid_s {
  uint64_t id, parent;
  uint32_t seq;
  oms_dec_t qty, filled;
  __int128 notional;
  int state;
  oms_ord_type_t type;
  oms_tif_t tif;
  oms_dec_t price;
} kid_t;

typedef struct world_s {
  SCN_WORLD; /* now, dir, store, e, risk, pf (world.h) */
  bool journal;
  kid_t kid[MAX_KIDS];
  int nkids;
  int submitted;              /* child SUBMITTED events seen */
  oms_reason_t parent_reason; /* of the last event of a parent */
  char parent_text[OMS_REASON_MAX + 1];
  int max_child_seq_dup;
  int parent_events_with_state;
} world_t;

static kid_t *kid_of(world_t *w, uint64_t id) {
  for (int i = 0; i < w->nkids; i++)
    if (w->kid[i].id == id) return &w->kid[i];
  return NULL;
}

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  const oms_order_t *o = &ev->order;
  if (ev->seq == 0) return;
  if (o->algo != 0 && ev->algo_len > 0) w->parent_events_with_state++;
  if (o->algo != 0) {
    w->parent_reason = ev->reason;
    snprintf(w->parent_text, sizeof w->parent_text, "%s", ev->text);
  }
  if (o->parent_order_id == 0) return;
  kid_t *k = kid_of(w, o->order_id);
  if (k == NULL) {
    assert_true(w->nkids < MAX_KIDS);
    for (int i = 0; i < w->nkids; i++)
      if (w->kid[i].parent == o->parent_order_id && w->kid[i].seq == o->child_seq)
        w->max_child_seq_dup++;
    k = &w->kid[w->nkids++];
    k->id = o->order_id;
    k->parent = o->parent_order_id;
    k->seq = o->child_seq;
    k->qty = o->qty;
    k->type = o->type;
    k->tif = o->tif;
    k->price = o->price;
  }
  if (ev->type == OMS_EVT_ORDER_SUBMITTED) w->submitted++;
  k->filled = o->filled_qty;
  k->notional = o->cum_notional;
  k->state = o->state;
}

static void open_store(world_t *w) {
  scn_open_store(&w->base, w->journal ? SCN_STORE_JOURNAL : SCN_STORE_MEMORY, 0);
}

static void boot(world_t *w) {
  char state[300];
  snprintf(state, sizeof state, "%s/venue.state", w->dir);
  scn_spec_t spec = {.max_orders = 1024,
                     .max_parents = 16,
                     .on_event = on_event,
                     .event_ctx = w,
                     .sim_max_orders = 4096,
                     .sim_state = w->journal ? state : NULL,
                     .cash = "10000000",
                     .cash2 = "10000000",
                     .stamp = T0};
  scn_boot(&w->base, &spec);
}

static void shutdown_core(world_t *w) { scn_halt(&w->base); }

static world_t *make(const char *tag, bool journal) {
  world_t *w = calloc(1, sizeof *w);
  w->journal = journal;
  scn_make_dir(&w->base, "parents", tag);
  open_store(w);
  boot(w);
  return w;
}

static void destroy(world_t *w) {
  scn_destroy(&w->base);
  free(w);
}

static void run_ms(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    assert_int_equal(oms_store_flush(w->store, -1), 0);
    oms_engine_poll(w->e);
  }
}

static oms_order_t order(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o;
}

static uint64_t submit_parent(world_t *w, const char *clordid, const oms_algo_params_t *p) {
  oms_order_request_t req;
  t_request(&req, clordid, (oms_side_t)p->side, OMS_ORD_LIMIT, "1", NULL);
  oms_submit_result_t res;
  int rc = oms_engine_submit_parent(w->e, &req, p, &res);
  if (rc != 0) fprintf(stderr, "parent %s refused: %s\n", clordid, res.reject.text);
  assert_int_equal(rc, 0);
  assert_int_equal(res.order->state, OMS_STATE_ACCEPTED);
  assert_int_not_equal(res.order->algo, 0);
  return res.order->order_id;
}

/* The sums of a parent's children against the parent itself. */
static void check_sums(world_t *w, uint64_t pid) {
  oms_order_t po = order(w, pid);
  int64_t filled = 0, open = 0;
  __int128 notional = 0;
  for (int i = 0; i < w->nkids; i++) {
    kid_t *k = &w->kid[i];
    if (k->parent != pid) continue;
    filled += k->filled.raw;
    notional += k->notional;
    if (!oms_ord_state_is_terminal((oms_ord_state_t)k->state)) open += k->qty.raw - k->filled.raw;
  }
  assert_int_equal(po.filled_qty.raw, filled);
  assert_true(po.cum_notional == notional);
  assert_true(open + filled <= po.qty.raw);
  assert_int_equal(w->max_child_seq_dup, 0);
}

static int children_of(world_t *w, uint64_t pid) {
  int n = 0;
  for (int i = 0; i < w->nkids; i++) n += w->kid[i].parent == pid;
  return n;
}

static oms_algo_params_t twap(const char *qty, int64_t secs, int64_t slice_secs) {
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_TWAP, OMS_SIDE_BUY, T_D(qty));
  OMS_ALGO_SET(&p, end_ns, T0 + secs * SEC);
  OMS_ALGO_SET(&p, slice_ns, slice_secs * SEC);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_CROSS);
  return p;
}

/* ---- TWAP ---------------------------------------------------------------------- */

static void test_twap_keeps_to_its_schedule(void **state) {
  (void)state;
  world_t *w = make("twap", false);
  oms_algo_params_t p = twap("2", 100, 10); /* 10 slices of 0.2 */
  uint64_t pid = submit_parent(w, "twap1", &p);
  for (int s = 1; s <= 100; s++) {
    run_ms(w, 1000);
    oms_order_t po = order(w, pid);
    int64_t due = T_D("2").raw * s / 100;
    assert_true(llabs(po.filled_qty.raw - due) <= T_D("0.2").raw);
    check_sums(w, pid);
  }
  run_ms(w, 2000);
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(po.filled_qty, T_D("2")));
  check_sums(w, pid);
  assert_true(children_of(w, pid) >= 10);
  for (int i = 0; i < w->nkids; i++) assert_int_equal(w->kid[i].parent, pid);
  /* the parent's fills were not booked twice: the position is the children's */
  oms_pf_position_t pos;
  assert_int_equal(oms_portfolio_position(w->pf, "ACC1", "BTC-USD", &pos), 0);
  assert_true(oms_dec_eq(pos.qty, T_D("2")));
  /* the parent's reservation is gone, and the children never had one */
  oms_risk_aggr_t ag;
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, 0);
  assert_int_equal(ag.account_open_orders, 0);
  assert_true(w->parent_events_with_state > 0);
  destroy(w);
}

/* While a parent works, risk holds its whole size once. */
static void test_risk_reserves_the_parent_once(void **state) {
  (void)state;
  world_t *w = make("risk", false);
  oms_algo_params_t p = twap("3", 100, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  uint64_t pid = submit_parent(w, "twap-r", &p);
  run_ms(w, 15000);
  assert_true(children_of(w, pid) >= 1);
  oms_risk_aggr_t ag;
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  oms_order_t po = order(w, pid);
  assert_int_equal(ag.open_buy_qty.raw, po.leaves_qty.raw);
  assert_int_equal(ag.account_open_orders, 1);
  /* a parent too big for the order limit is refused by risk as a whole */
  oms_algo_params_t big = twap("500", 100, 10);
  oms_order_request_t req;
  t_request(&req, "twap-big", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", NULL);
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &big, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_RISK_MAX_ORDER_QTY);
  assert_int_equal(res.order->state, OMS_STATE_REJECTED);
  destroy(w);
}

/* ---- iceberg, sniper ---------------------------------------------------------------- */

static oms_dec_t shown(world_t *w, uint64_t pid) {
  int64_t n = 0;
  for (int i = 0; i < w->nkids; i++) {
    kid_t *k = &w->kid[i];
    if (k->parent == pid && !oms_ord_state_is_terminal((oms_ord_state_t)k->state))
      n += k->qty.raw - k->filled.raw;
  }
  return oms_dec_from_raw(n);
}

static void test_iceberg_never_shows_more_than_its_display(void **state) {
  (void)state;
  world_t *w = make("iceberg", false);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("2"));
  OMS_ALGO_SET(&p, limit_px, T_D("65001"));
  OMS_ALGO_SET(&p, display_qty, T_D("0.3"));
  uint64_t pid = submit_parent(w, "ice1", &p);
  for (int i = 0; i < 4000 && order(w, pid).state != OMS_STATE_FILLED; i++) {
    run_ms(w, 1);
    assert_true(oms_dec_le(shown(w, pid), T_D("0.3")));
  }
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  for (int i = 0; i < w->nkids; i++) {
    assert_true(oms_dec_le(w->kid[i].qty, T_D("0.3")));
    assert_true(oms_dec_eq(w->kid[i].price, T_D("65001")));
  }
  assert_true(children_of(w, pid) >= 7);
  check_sums(w, pid);
  destroy(w);
}

static void test_sniper_takes_only_at_or_better_than_its_limit(void **state) {
  (void)state;
  world_t *w = make("sniper", false);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_SNIPER, OMS_SIDE_BUY, T_D("0.7"));
  OMS_ALGO_SET(&p, limit_px, T_D("65000"));
  uint64_t pid = submit_parent(w, "snipe1", &p);
  run_ms(w, 50);
  assert_int_equal(children_of(w, pid), 0); /* the ask is above the limit: hidden */
  /* someone else offers 0.4 at the limit: the sniper takes it, IOC */
  oms_order_request_t req;
  t_request(&req, "other-sell", OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.4", "65000");
  strcpy(req.account_id, "ACC2");
  strcpy(req.strategy_id, "s2");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  run_ms(w, 50);
  oms_order_t po = order(w, pid);
  assert_true(oms_dec_eq(po.filled_qty, T_D("0.4")));
  assert_true(children_of(w, pid) >= 1);
  for (int i = 0; i < w->nkids; i++) {
    assert_int_equal(w->kid[i].tif, OMS_TIF_IOC);
    assert_true(oms_dec_le(w->kid[i].price, T_D("65000")));
  }
  assert_true(oms_dec_le(po.avg_px, T_D("65000")));
  check_sums(w, pid);
  assert_int_equal(po.state, OMS_STATE_PARTIALLY_FILLED);
  destroy(w);
}

/* Another account's market order (it trades with the provider). */
static void other(world_t *w, const char *id, oms_side_t side, const char *qty) {
  oms_order_request_t req;
  t_request(&req, id, side, OMS_ORD_MARKET, qty, NULL);
  req.tif = OMS_TIF_IOC;
  strcpy(req.account_id, "ACC2");
  strcpy(req.strategy_id, "s2");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  run_ms(w, 5);
}

/* VWAP, POV, MIT, LIT and a trailing stop through the engine: each works on the venue's
 * market data and trades, its sums its children's. */
static void test_vwap_pov_and_if_touched_orders_work(void **state) {
  (void)state;
  world_t *w = make("others", false);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_VWAP, OMS_SIDE_BUY, T_D("1"));
  OMS_ALGO_SET(&p, end_ns, T0 + 40 * SEC);
  OMS_ALGO_SET(&p, slice_ns, 10 * SEC);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_CROSS);
  p.profile_len = 4;
  for (int i = 0; i < 4; i++) oms_dec_from_int(i + 1, &p.profile[i]);
  p.set |= 1u << OMS_ALGO_P_profile;
  uint64_t vwap = submit_parent(w, "vwap", &p);
  oms_algo_params_init(&p, OMS_ALGO_POV, OMS_SIDE_BUY, T_D("0.5"));
  OMS_ALGO_SET(&p, pov_rate, T_D("0.5"));
  OMS_ALGO_SET(&p, end_ns, T0 + 100 * SEC);
  uint64_t pov = submit_parent(w, "pov", &p);
  oms_algo_params_init(&p, OMS_ALGO_MIT, OMS_SIDE_BUY, T_D("0.3"));
  OMS_ALGO_SET(&p, trigger_px, T_D("65000"));
  uint64_t mit = submit_parent(w, "mit", &p);
  oms_algo_params_init(&p, OMS_ALGO_LIT, OMS_SIDE_SELL, T_D("0.3"));
  OMS_ALGO_SET(&p, trigger_px, T_D("65001"));
  OMS_ALGO_SET(&p, limit_px, T_D("65010"));
  uint64_t lit = submit_parent(w, "lit", &p);
  oms_algo_params_init(&p, OMS_ALGO_TRAILING_STOP, OMS_SIDE_SELL, T_D("0.2"));
  OMS_ALGO_SET(&p, trail_offset, T_D("1"));
  uint64_t trail = submit_parent(w, "trail", &p);
  run_ms(w, 2000);
  assert_int_equal(children_of(w, mit), 0); /* not touched yet */
  assert_int_equal(children_of(w, lit), 0);
  /* the market trades down to 65000 or below: the MIT buys at market */
  other(w, "o-sell", OMS_SIDE_SELL, "0.2");
  run_ms(w, 20);
  assert_int_equal(order(w, mit).state, OMS_STATE_FILLED);
  assert_int_equal(children_of(w, mit), 1);
  /* and up through 65001: the LIT rests its sell at 65010 */
  other(w, "o-buy", OMS_SIDE_BUY, "2.5");
  run_ms(w, 20);
  assert_int_equal(children_of(w, lit), 1);
  for (int i = 0; i < w->nkids; i++)
    if (w->kid[i].parent == lit) assert_true(oms_dec_eq(w->kid[i].price, T_D("65010")));
  /* the market trades: the POV follows at its share */
  for (int i = 0; i < 10; i++) {
    char id[16];
    snprintf(id, sizeof id, "o-%d", i);
    other(w, id, i % 2 ? OMS_SIDE_SELL : OMS_SIDE_BUY, "0.2");
    run_ms(w, 1000);
  }
  assert_true(oms_dec_is_pos(order(w, pov).filled_qty));
  /* the market fell back from its high by more than the offset: stopped out */
  assert_int_equal(order(w, trail).state, OMS_STATE_FILLED);
  run_ms(w, 40000);
  assert_int_equal(order(w, vwap).state, OMS_STATE_FILLED);
  uint64_t all[] = {vwap, pov, mit, lit, trail};
  for (int i = 0; i < 5; i++) check_sums(w, all[i]);
  destroy(w);
}

/* ---- cancel, halt ------------------------------------------------------------------- */

static uint64_t passive_twap(world_t *w, const char *id) {
  oms_algo_params_t p = twap("2", 100, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  uint64_t pid = submit_parent(w, id, &p);
  run_ms(w, 25000);
  return pid;
}

static int open_children(world_t *w, uint64_t pid) {
  int n = 0;
  for (int i = 0; i < w->nkids; i++)
    n += w->kid[i].parent == pid && !oms_ord_state_is_terminal((oms_ord_state_t)w->kid[i].state);
  return n;
}

static void test_cancel_of_a_parent_cancels_its_children(void **state) {
  (void)state;
  world_t *w = make("cancel", false);
  uint64_t pid = passive_twap(w, "twap-c");
  assert_true(open_children(w, pid) >= 1);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, pid, &rej), 0);
  assert_int_equal(order(w, pid).state, OMS_STATE_PENDING_CANCEL);
  /* a second cancel waits for the first */
  assert_int_equal(oms_engine_cancel(w->e, pid, &rej), OMS_EREJECTED);
  run_ms(w, 20);
  assert_int_equal(open_children(w, pid), 0);
  assert_int_equal(order(w, pid).state, OMS_STATE_CANCELLED);
  int kids = children_of(w, pid);
  run_ms(w, 30000);
  assert_int_equal(children_of(w, pid), kids); /* nothing new after the end */
  check_sums(w, pid);
  /* a parent is never modified in place */
  oms_modify_t m = {.qty = T_D("1")};
  assert_int_equal(oms_engine_modify(w->e, pid, &m, &rej), OMS_EREJECTED);
  destroy(w);
}

static void test_halt_stops_parents_and_cancels_children(void **state) {
  (void)state;
  world_t *w = make("halt", false);
  uint64_t pid = passive_twap(w, "twap-h");
  assert_true(open_children(w, pid) >= 1);
  assert_int_equal(oms_engine_set_trading_state(w->e, OMS_RISK_SCOPE_GLOBAL, "", OMS_TRADING_HALTED,
                                                "test halt"),
                   0);
  run_ms(w, 20);
  assert_int_equal(open_children(w, pid), 0);
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_CANCELLED);
  assert_int_equal(w->parent_reason, OMS_R_RISK_HALTED);
  int kids = children_of(w, pid);
  assert_int_equal(
      oms_engine_set_trading_state(w->e, OMS_RISK_SCOPE_GLOBAL, "", OMS_TRADING_ACTIVE, "resume"),
      0);
  run_ms(w, 30000);
  assert_int_equal(children_of(w, pid), kids);
  destroy(w);
}

/* A replace of a parent re-plans it: more quantity, the same end; a child
 * is never modified directly; less than its children hold is refused. */
static void test_replace_of_a_parent_replans_it(void **state) {
  (void)state;
  world_t *w = make("replace", false);
  oms_algo_params_t p = twap("2", 100, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  OMS_ALGO_SET(&p, limit_px, T_D("65010"));
  uint64_t pid = submit_parent(w, "twap-m", &p);
  run_ms(w, 30000);
  oms_reject_t rej;
  int live = -1;
  for (int i = 0; i < w->nkids; i++)
    if (!oms_ord_state_is_terminal((oms_ord_state_t)w->kid[i].state)) live = i;
  assert_true(live >= 0);
  oms_modify_t m = {.qty = T_D("5")};
  assert_int_equal(oms_engine_modify(w->e, w->kid[live].id, &m, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNSUPPORTED);
  /* below what its open child holds */
  m.qty = oms_dec_from_raw(w->kid[live].qty.raw / 2);
  assert_int_equal(oms_engine_modify(w->e, pid, &m, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_ALGO_QTY_BELOW_FILLED);
  m.qty = T_D("3");
  m.price = T_D("65020");
  assert_int_equal(oms_engine_modify(w->e, pid, &m, &rej), 0);
  oms_order_t po = order(w, pid);
  assert_true(oms_dec_eq(po.qty, T_D("3")));
  assert_true(oms_dec_eq(po.price, T_D("65020")));
  run_ms(w, 20);
  /* the child that was working was cancelled for the re-plan */
  assert_int_equal(w->kid[live].state, OMS_STATE_CANCELLED);
  run_ms(w, 75000);
  po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(po.filled_qty, T_D("3")));
  check_sums(w, pid);
  destroy(w);
}

/* A parent whose children can all be refused: each refusal is journaled and
 * the parent goes on at its next slice, without spinning. */
static void test_refused_children_are_done_at_once(void **state) {
  (void)state;
  world_t *w = make("refused", false);
  oms_algo_params_t p = twap("1", 20, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  uint64_t pid = submit_parent(w, "twap-x", &p);
  /* accepted, then the account may only reduce: every child (a buy) is refused */
  assert_int_equal(oms_engine_set_trading_state(w->e, OMS_RISK_SCOPE_ACCOUNT, "ACC1",
                                                OMS_TRADING_REDUCE_ONLY, "no buys"),
                   0);
  run_ms(w, 5000);
  int kids = children_of(w, pid);
  assert_true(kids >= 1 && kids < 10);
  for (int i = 0; i < w->nkids; i++) assert_int_equal(w->kid[i].state, OMS_STATE_REJECTED);
  check_sums(w, pid);
  destroy(w);
}

/* A parent that can not finish by its end expires, its children cancelled;
 * a child whose client order id is taken never becomes an order and its
 * parent goes on; the table of parents has a bound. */
static void test_expiry_a_child_never_made_and_the_bound(void **state) {
  (void)state;
  world_t *w = make("expiry", false);
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  char taken[32];
  snprintf(taken, sizeof taken, "P%llu.1", (unsigned long long)st.next_order_id + 1);
  oms_order_request_t req;
  t_request(&req, taken, OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.1", "70000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  oms_algo_params_t p = twap("1", 20, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  OMS_ALGO_SET(&p, limit_px, T_D("60000")); /* far below the market: never fills */
  uint64_t pid = submit_parent(w, "twap-e", &p);
  run_ms(w, 25000);
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_EXPIRED);
  assert_int_equal(open_children(w, pid), 0);
  /* a slice, the last slice crossing, one give-back: no IOC after each cancel */
  assert_true(children_of(w, pid) >= 1 && children_of(w, pid) <= 4);
  for (int i = 0; i < w->nkids; i++) assert_int_not_equal(w->kid[i].seq, 1);
  check_sums(w, pid);
  /* the bound: 16 parents at once in this world */
  int accepted = 0;
  for (int k = 0; k < 20; k++) {
    oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("1"));
    OMS_ALGO_SET(&p, limit_px, T_D("60000"));
    OMS_ALGO_SET(&p, display_qty, T_D("0.1"));
    char id[16];
    snprintf(id, sizeof id, "ice%d", k);
    t_request(&req, id, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", NULL);
    int rc = oms_engine_submit_parent(w->e, &req, &p, &res);
    if (rc == 0) {
      accepted++;
    } else {
      assert_int_equal(res.reject.code, OMS_R_CAPACITY);
      assert_int_equal(res.order->state, OMS_STATE_REJECTED);
    }
    run_ms(w, 1);
  }
  assert_int_equal(accepted, 16);
  destroy(w);
}

/* ---- the end of the day, late fills, slippage ----------------------------------------- */

static uint64_t submit_parent_tif(world_t *w, const char *clordid, const oms_algo_params_t *p,
                                  oms_tif_t tif, int64_t expire_ns) {
  oms_order_request_t req;
  t_request(&req, clordid, (oms_side_t)p->side, OMS_ORD_LIMIT, "1", NULL);
  req.tif = tif;
  req.expire_ns = expire_ns;
  oms_submit_result_t res;
  int rc = oms_engine_submit_parent(w->e, &req, p, &res);
  if (rc != 0) fail_msg("parent %s refused: %s", clordid, res.reject.text);
  return res.order->order_id;
}

/* T0 is a Monday, 16:00 UTC. BTC-USD trades until 16:01 on Mondays: a DAY
 * parent ends then (its children cancelled, no new one), a GTD parent at
 * its time, a GTC parent lives on. */
static void test_a_day_parent_ends_when_its_trading_day_closes(void **state) {
  (void)state;
  world_t *w = make("day", false);
  oms_risk_window_t monday = {.days = 0x02, .start_min = 0, .end_min = 961};
  loose_limits_hours(w->risk, NULL, "BTC-USD", false, &monday);
  oms_algo_params_t p = twap("2", 600, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  uint64_t day = submit_parent_tif(w, "twap-day", &p, OMS_TIF_DAY, 0);
  oms_algo_params_t lim = p; /* a GTD order needs a limit */
  OMS_ALGO_SET(&lim, limit_px, T_D("65100"));
  uint64_t gtd = submit_parent_tif(w, "twap-gtd", &lim, OMS_TIF_GTD, T0 + 30 * SEC);
  run_ms(w, 1); /* not the duplicate of the DAY one */
  uint64_t gtc = submit_parent_tif(w, "twap-gtc", &p, OMS_TIF_GTC, 0);
  run_ms(w, 29000);
  assert_int_equal(order(w, gtd).state, OMS_STATE_ACCEPTED);
  assert_true(open_children(w, gtd) >= 1);
  run_ms(w, 2000);
  assert_int_equal(order(w, gtd).state, OMS_STATE_EXPIRED);
  assert_int_equal(open_children(w, gtd), 0);
  run_ms(w, 28000);
  assert_int_equal(order(w, day).state, OMS_STATE_ACCEPTED);
  assert_true(open_children(w, day) >= 1);
  run_ms(w, 2000); /* 16:01: the day closed */
  oms_order_t po = order(w, day);
  assert_int_equal(po.state, OMS_STATE_EXPIRED);
  assert_int_equal(open_children(w, day), 0);
  int kids = children_of(w, day);
  run_ms(w, 20000);
  assert_int_equal(children_of(w, day), kids);
  assert_false(oms_ord_state_is_terminal(order(w, gtc).state));
  check_sums(w, day);
  check_sums(w, gtd);
  destroy(w);
}

/* The same DAY close after a restart: the close is worked out again from
 * the parent's acceptance, and a parent whose day closed while the OMS was
 * down ends at once. */
static void test_a_day_parent_closed_while_down_ends_at_restart(void **state) {
  (void)state;
  world_t *w = make("dayrs", true);
  oms_risk_window_t monday = {.days = 0x02, .start_min = 0, .end_min = 961};
  loose_limits_hours(w->risk, NULL, "BTC-USD", false, &monday);
  oms_algo_params_t p = twap("2", 600, 10);
  OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_PASSIVE);
  uint64_t day = submit_parent_tif(w, "twap-dayr", &p, OMS_TIF_DAY, 0);
  run_ms(w, 15000);
  assert_true(open_children(w, day) >= 1);
  assert_int_equal(oms_store_flush(w->store, -1), 0);
  shutdown_core(w);
  oms_store_close(w->store);
  w->now += 60 * SEC; /* the OMS is down past 16:01 */
  open_store(w);
  boot(w);
  loose_limits_hours(w->risk, NULL, "BTC-USD", false, &monday);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(w->e, &n), 0);
  run_ms(w, 50);
  assert_int_equal(order(w, day).state, OMS_STATE_EXPIRED);
  destroy(w);
}

/* A fill the venue reports after it confirmed a child's cancel reaches the
 * parent's cum and average: while the parent is working (its rest had gone
 * to a new child, so that child is cancelled and the rest re-sent) and after
 * the parent ended. */
static void test_a_fill_after_a_childs_cancel_reaches_its_parent(void **state) {
  (void)state;
  world_t *w = make("late", false);
  fake_venue_t *f = calloc(1, sizeof *f);
  fake_venue_init(f, "FV");
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  strcpy(ins.venue, "FV");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, &f->base, NULL), 0);
  oms_risk_window_t all_day = {.days = 0x7f, .start_min = 0, .end_min = 1440};
  loose_limits_hours(w->risk, NULL, "FV", true, &all_day);
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("1"));
  OMS_ALGO_SET(&p, limit_px, T_D("65000"));
  OMS_ALGO_SET(&p, display_qty, T_D("1"));
  oms_order_request_t req;
  t_request(&req, "ice-late", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", NULL);
  strcpy(req.venue, "FV");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &p, &res), 0);
  uint64_t pid = res.order->order_id;
  run_ms(w, 5);
  assert_int_equal(f->nsent, 1);
  uint64_t k1 = f->ids[0];
  fake_report(f, OMS_EXEC_ACCEPTED, k1);
  fake_report(f, OMS_EXEC_CANCELLED, k1); /* the venue cancels it */
  run_ms(w, 5);
  assert_int_equal(f->nsent, 2); /* the iceberg shows the next */
  uint64_t k2 = f->ids[1];
  assert_true(oms_dec_eq(f->news[1].qty, T_D("1")));
  fake_report(f, OMS_EXEC_ACCEPTED, k2);
  fake_fill(f, k1, "0.4", "64990", "late-1"); /* k1 filled after its cancel */
  run_ms(w, 5);
  oms_order_t po = order(w, pid);
  assert_true(oms_dec_eq(po.filled_qty, T_D("0.4")));
  assert_true(oms_dec_eq(po.avg_px, T_D("64990")));
  assert_int_equal(kid_of(w, k1)->state, OMS_STATE_CANCELLED);
  /* 0.4 filled + 1 open is above 1: the open child is cancelled at once */
  assert_int_equal(f->nsent, 3);
  assert_int_equal(f->kinds[2], 2);
  assert_int_equal(f->ids[2], k2);
  fake_report(f, OMS_EXEC_CANCELLED, k2);
  run_ms(w, 5);
  check_sums(w, pid);
  assert_int_equal(f->nsent, 4); /* the rest, 0.6, shown again */
  assert_true(oms_dec_eq(f->news[3].qty, T_D("0.6")));
  uint64_t k3 = f->ids[3];
  fake_report(f, OMS_EXEC_ACCEPTED, k3);
  run_ms(w, 5);
  /* the parent is cancelled and ends; then k3 reports a fill after its cancel */
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, pid, &rej), 0);
  run_ms(w, 5);
  fake_report(f, OMS_EXEC_CANCELLED, k3);
  run_ms(w, 5);
  assert_int_equal(order(w, pid).state, OMS_STATE_CANCELLED);
  fake_fill(f, k3, "0.1", "65000", "late-2");
  run_ms(w, 5);
  po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_eq(po.filled_qty, T_D("0.5")));
  check_sums(w, pid);
  destroy(w);
  free(f);
}

/* A parent's last event reports its average against the market's VWAP
 * over its life, and the slippage in bps. */
static void test_the_parent_reports_its_slippage_against_the_interval_vwap(void **state) {
  (void)state;
  world_t *w = make("slip", false);
  oms_algo_params_t p = twap("1", 20, 5);
  uint64_t pid = submit_parent(w, "twap-s", &p);
  for (int i = 0; i < 20; i++) {
    char id[16];
    snprintf(id, sizeof id, "m-%d", i);
    other(w, id, i % 2 ? OMS_SIDE_SELL : OMS_SIDE_BUY, "0.3");
    run_ms(w, 1000);
  }
  run_ms(w, 2000);
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  const char *t = strstr(w->parent_text, "slippage_bps ");
  if (t == NULL) fail_msg("no slippage in '%s'", w->parent_text);
  char avg[32], vwap[32], bps[32];
  assert_int_equal(sscanf(w->parent_text, "avg %31s vwap %31s slippage_bps %31s", avg, vwap, bps),
                   3);
  oms_dec_t a = T_D(avg), v = T_D(vwap), b = T_D(bps);
  assert_true(oms_dec_eq(a, po.avg_px));
  /* the market traded between 64999.5 and 65001: the VWAP is in there */
  assert_true(oms_dec_ge(v, T_D("64990")) && oms_dec_le(v, T_D("65010")));
  /* a buy: (avg - vwap) / vwap in bps, to 10^-8 */
  int64_t want = (int64_t)(((__int128)(a.raw - v.raw) * 10000 * 100000000) / v.raw);
  assert_true(llabs(b.raw - want) <= 1);
  destroy(w);
}

/* A venue that works a type itself gets one native child for the whole
 * parent (the display, the trigger, the trail beside it), and the parent
 * follows it; one that may not have it emulated refuses the parent; the
 * simulated venue (neither native nor restricted) has it emulated. */
static void test_a_venue_capability_decides_native_or_emulated(void **state) {
  (void)state;
  world_t *w = make("native", false);
  fake_venue_t *f = calloc(1, sizeof *f);
  fake_venue_init(f, "FV");
  f->base.native = OMS_VENUE_CAP_ICEBERG | OMS_VENUE_CAP_MIT | OMS_VENUE_CAP_TRAILING_STOP;
  f->base.no_emulate = OMS_VENUE_CAP_LIT;
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  strcpy(ins.venue, "FV");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, &f->base, NULL), 0);
  oms_risk_window_t all_day = {.days = 0x7f, .start_min = 0, .end_min = 1440};
  loose_limits_hours(w->risk, NULL, "FV", true, &all_day);
  oms_order_request_t req;
  oms_submit_result_t res;
  /* a native iceberg: one child of 2 at its limit, MaxFloor 0.3 beside it */
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("2"));
  OMS_ALGO_SET(&p, limit_px, T_D("64000"));
  OMS_ALGO_SET(&p, display_qty, T_D("0.3"));
  t_request(&req, "ice-n", OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", NULL);
  strcpy(req.venue, "FV");
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &p, &res), 0);
  uint64_t ice = res.order->order_id;
  run_ms(w, 5);
  assert_int_equal(f->nsent, 1);
  assert_int_equal(f->news[0].native, OMS_VENUE_CAP_ICEBERG);
  assert_int_equal(f->news[0].type, OMS_ORD_LIMIT);
  assert_true(oms_dec_eq(f->news[0].qty, T_D("2")));
  assert_true(oms_dec_eq(f->news[0].price, T_D("64000")));
  assert_true(oms_dec_eq(f->news[0].display_qty, T_D("0.3")));
  fake_report(f, OMS_EXEC_ACCEPTED, f->ids[0]);
  fake_fill(f, f->ids[0], "0.3", "64000", "n-1");
  run_ms(w, 5);
  assert_int_equal(f->nsent, 1); /* the venue refreshes its display itself */
  assert_true(oms_dec_eq(order(w, ice).filled_qty, T_D("0.3")));
  fake_report(f, OMS_EXEC_CANCELLED, f->ids[0]); /* the venue ends it: so does the parent */
  run_ms(w, 5);
  assert_int_equal(order(w, ice).state, OMS_STATE_CANCELLED);
  assert_int_equal(f->nsent, 1);
  check_sums(w, ice);
  /* a native MIT: a stop at its trigger, sent at once (no market data) */
  oms_algo_params_init(&p, OMS_ALGO_MIT, OMS_SIDE_BUY, T_D("0.5"));
  OMS_ALGO_SET(&p, trigger_px, T_D("64500"));
  t_request(&req, "mit-n", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.5", NULL);
  strcpy(req.venue, "FV");
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &p, &res), 0);
  uint64_t mit = res.order->order_id;
  run_ms(w, 5);
  assert_int_equal(f->nsent, 2);
  assert_int_equal(f->news[1].native, OMS_VENUE_CAP_MIT);
  assert_int_equal(f->news[1].type, OMS_ORD_STOP);
  assert_true(oms_dec_eq(f->news[1].stop_price, T_D("64500")));
  fake_report(f, OMS_EXEC_ACCEPTED, f->ids[1]);
  fake_fill(f, f->ids[1], "0.5", "64490", "n-2");
  run_ms(w, 5);
  assert_int_equal(order(w, mit).state, OMS_STATE_FILLED);
  check_sums(w, mit);
  /* a LIT at a venue that neither works it nor lets it be emulated */
  oms_algo_params_init(&p, OMS_ALGO_LIT, OMS_SIDE_BUY, T_D("0.5"));
  OMS_ALGO_SET(&p, trigger_px, T_D("64500"));
  OMS_ALGO_SET(&p, limit_px, T_D("64510"));
  t_request(&req, "lit-n", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.5", NULL);
  strcpy(req.venue, "FV");
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &p, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_ALGO_VENUE_CANNOT);
  assert_non_null(strstr(res.reject.text, "venue FV neither works lit"));
  /* the same LIT on the simulated venue is emulated: nothing sent yet */
  int kids = w->nkids;
  t_request(&req, "lit-s", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.5", NULL);
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &p, &res), 0);
  run_ms(w, 5);
  assert_int_equal(w->nkids, kids);
  assert_int_equal(order(w, res.order->order_id).state, OMS_STATE_ACCEPTED);
  destroy(w);
  free(f);
}

/* ---- restart ------------------------------------------------------------------------ */

static void test_restart_resumes_a_twap_without_a_duplicate_slice(void **state) {
  (void)state;
  world_t *w = make("restart", true);
  oms_algo_params_t p = twap("2", 100, 10);
  uint64_t pid = submit_parent(w, "twap-rs", &p);
  run_ms(w, 45000);
  oms_order_t before = order(w, pid);
  assert_true(oms_dec_is_pos(before.filled_qty));
  int kids_before = children_of(w, pid);
  assert_true(kids_before >= 4);
  /* The process ends (the engine and its venue connector go; what was
   * appended is in the journal), then starts again over the same data. */
  assert_int_equal(oms_store_flush(w->store, -1), 0);
  shutdown_core(w);
  oms_store_close(w->store);
  open_store(w);
  boot(w);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(w->e, &n), 0);
  oms_order_t after = order(w, pid);
  assert_int_equal(after.state, before.state);
  assert_int_equal(after.filled_qty.raw, before.filled_qty.raw);
  assert_true(after.cum_notional == before.cum_notional);
  run_ms(w, 70000);
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(po.filled_qty, T_D("2")));
  /* no child sequence number twice, and no more quantity sent than the
   * parent's: the slices before the restart were not sent again */
  assert_int_equal(w->max_child_seq_dup, 0);
  int64_t sent = 0;
  for (int i = 0; i < w->nkids; i++) sent += w->kid[i].qty.raw;
  assert_int_equal(sent, T_D("2").raw);
  check_sums(w, pid);
  destroy(w);
}

/* The last event carrying parent pid's state, for a crafted crash. */
typedef struct last_s {
  uint64_t pid;
  oms_event_t ev;    /* the parent's last event */
  oms_event_t state; /* the last event with its state */
  bool have_ev, have_state;
} last_t;

static int last_of(void *ctx, const oms_event_t *ev) {
  last_t *l = ctx;
  if (ev->order.order_id == l->pid) {
    l->ev = *ev;
    l->have_ev = true;
  }
  oms_algo_state_t st;
  if (ev->algo_len > 0 && oms_algo_decode(ev->algo, ev->algo_len, &st) == 0 &&
      st.parent_id == l->pid) {
    l->state = *ev;
    l->have_state = true;
  }
  return 0;
}

/* The process dies within a step that made a child: the step's state is in
 * the journal, the child never reached the store. After the restart that
 * child is done, never sent (its sequence number never becomes an order),
 * and the schedule still sends the parent's whole quantity, once. */
static void test_restart_after_a_step_whose_child_was_never_made(void **state) {
  (void)state;
  world_t *w = make("midstep", true);
  oms_algo_params_t p = twap("2", 100, 10);
  uint64_t pid = submit_parent(w, "twap-ms", &p);
  run_ms(w, 25000);
  assert_int_equal(oms_store_flush(w->store, -1), 0);
  static last_t l;
  memset(&l, 0, sizeof l);
  l.pid = pid;
  assert_int_equal(oms_store_events_from(w->store, 1, 0, last_of, &l), 0);
  assert_true(l.have_ev && l.have_state);
  /* the step of the next slice, as the engine would have journaled it */
  oms_algo_state_t st;
  assert_int_equal(oms_algo_decode(l.state.algo, l.state.algo_len, &st), 0);
  oms_algo_md_t md = {.bid = T_D("64999.5"),
                      .bid_qty = T_D("1"),
                      .ask = T_D("65000.5"),
                      .ask_qty = T_D("1"),
                      .ts_ns = w->now};
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(&st, st.next_slice_ns, &md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(out.intent[0].kind, OMS_INTENT_NEW);
  uint32_t lost = out.intent[0].child_seq;
  oms_event_t ev = l.ev;
  ev.algo_len = (uint16_t)oms_algo_encode(&st, ev.algo, sizeof ev.algo);
  uint64_t last_seq, last_id;
  assert_int_equal(oms_store_last_seqs(w->store, &last_seq, &last_id), 0);
  ev.seq = last_seq + 1;
  ev.event_ns = w->now;
  oms_store_unit_t u = {.events = &ev, .n_events = 1};
  uint64_t ticket;
  assert_int_equal(oms_store_append(w->store, &u, OMS_STORE_APPEND_MUST, &ticket), 0);
  assert_int_equal(oms_store_flush(w->store, -1), 0);
  shutdown_core(w);
  oms_store_close(w->store);
  open_store(w);
  boot(w);
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  run_ms(w, 90000);
  oms_order_t po = order(w, pid);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  int64_t sent = 0;
  for (int i = 0; i < w->nkids; i++) {
    assert_int_not_equal(w->kid[i].seq, lost);
    sent += w->kid[i].qty.raw;
  }
  assert_int_equal(sent, T_D("2").raw);
  check_sums(w, pid);
  destroy(w);
}

/* Several parents at once across a restart: one done before it (forgotten),
 * one working with a child resting at the venue (found again: cancelling it
 * after the restart cancels that child), one waiting for its start
 * (cancelled at once, having no child). */
static void test_restart_with_several_parents(void **state) {
  (void)state;
  world_t *w = make("restart3", true);
  oms_algo_params_t p = twap("0.5", 10, 5);
  uint64_t done = submit_parent(w, "done", &p);
  /* an iceberg whose limit comes from the request's price */
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("1"));
  OMS_ALGO_SET(&p, display_qty, T_D("0.2"));
  oms_order_request_t req;
  t_request(&req, "resting", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "64000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit_parent(w->e, &req, &p, &res), 0);
  uint64_t resting = res.order->order_id;
  assert_true(oms_dec_eq(res.order->price, T_D("64000")));
  p = twap("1", 200, 10);
  OMS_ALGO_SET(&p, start_ns, T0 + 100 * SEC);
  uint64_t later = submit_parent(w, "later", &p);
  p = twap("1.5", 300, 20);
  uint64_t slow = submit_parent(w, "slow", &p);
  run_ms(w, 12000);
  assert_int_equal(order(w, done).state, OMS_STATE_FILLED);
  assert_int_equal(open_children(w, resting), 1);
  assert_int_equal(children_of(w, later), 0);
  assert_int_equal(oms_store_flush(w->store, -1), 0);
  shutdown_core(w);
  oms_store_close(w->store);
  open_store(w);
  boot(w);
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  run_ms(w, 20);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, resting, &rej), 0);
  assert_int_equal(oms_engine_cancel(w->e, later, &rej), 0);
  assert_int_equal(order(w, later).state, OMS_STATE_CANCELLED);
  run_ms(w, 20);
  assert_int_equal(order(w, resting).state, OMS_STATE_CANCELLED);
  assert_int_equal(open_children(w, resting), 0);
  assert_int_equal(oms_engine_cancel(w->e, done, &rej), OMS_EREJECTED);
  run_ms(w, 300000);
  assert_int_equal(order(w, slow).state, OMS_STATE_FILLED);
  check_sums(w, slow);
  check_sums(w, resting);
  destroy(w);
}

/* ---- refusals ------------------------------------------------------------------------- */

static void refused(world_t *w, const oms_algo_params_t *p, oms_reason_t code, const char *param) {
  oms_order_request_t req;
  t_request(&req, "bad", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", NULL);
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit_parent(w->e, &req, p, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, code);
  assert_int_equal(res.order->order_id, 0);
  assert_non_null(strstr(res.reject.text, param));
}

static void test_bad_parameters_are_refused_with_their_code(void **state) {
  (void)state;
  world_t *w = make("refuse", false);
  oms_algo_params_t p = twap("1", 100, 10);
  OMS_ALGO_SET(&p, start_ns, T0 + 200 * SEC);
  refused(w, &p, OMS_R_ALGO_END_BEFORE_START, "end_ns");
  oms_algo_params_init(&p, OMS_ALGO_ICEBERG, OMS_SIDE_BUY, T_D("1"));
  OMS_ALGO_SET(&p, limit_px, T_D("65000"));
  OMS_ALGO_SET(&p, display_qty, T_D("5"));
  refused(w, &p, OMS_R_ALGO_DISPLAY_ABOVE_QTY, "display_qty");
  oms_algo_params_init(&p, OMS_ALGO_POV, OMS_SIDE_BUY, T_D("1"));
  OMS_ALGO_SET(&p, pov_rate, T_D("0"));
  oms_algo_reject_t r;
  assert_int_equal(oms_algo_params_validate(&p, T_D("0.5"), T_D("0.001"), T0, &r), OMS_EREJECTED);
  refused(w, &p, (oms_reason_t)r.code, "pov_rate");
  oms_algo_params_init(&p, (oms_algo_strategy_t)77, OMS_SIDE_BUY, T_D("1"));
  refused(w, &p, OMS_R_ALGO_UNKNOWN_STRATEGY, "strategy");
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.next_order_id, 1); /* no order was made */
  destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_twap_keeps_to_its_schedule),
      cmocka_unit_test(test_risk_reserves_the_parent_once),
      cmocka_unit_test(test_iceberg_never_shows_more_than_its_display),
      cmocka_unit_test(test_sniper_takes_only_at_or_better_than_its_limit),
      cmocka_unit_test(test_vwap_pov_and_if_touched_orders_work),
      cmocka_unit_test(test_cancel_of_a_parent_cancels_its_children),
      cmocka_unit_test(test_halt_stops_parents_and_cancels_children),
      cmocka_unit_test(test_replace_of_a_parent_replans_it),
      cmocka_unit_test(test_refused_children_are_done_at_once),
      cmocka_unit_test(test_expiry_a_child_never_made_and_the_bound),
      cmocka_unit_test(test_restart_resumes_a_twap_without_a_duplicate_slice),
      cmocka_unit_test(test_restart_with_several_parents),
      cmocka_unit_test(test_restart_after_a_step_whose_child_was_never_made),
      cmocka_unit_test(test_bad_parameters_are_refused_with_their_code),
      cmocka_unit_test(test_a_day_parent_ends_when_its_trading_day_closes),
      cmocka_unit_test(test_a_day_parent_closed_while_down_ends_at_restart),
      cmocka_unit_test(test_a_fill_after_a_childs_cancel_reaches_its_parent),
      cmocka_unit_test(test_the_parent_reports_its_slippage_against_the_interval_vwap),
      cmocka_unit_test(test_a_venue_capability_decides_native_or_emulated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
