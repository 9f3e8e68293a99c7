/*
 * test_groups.c - contingent groups (OCO, OUO, OTO, brackets) driven by the
 * engine: members sent, resized and cancelled as their siblings fill, the
 * bracket's matrix of partial fills, the OUO over-close race, a halt, a
 * cancel while a member is still pending new, refusals that name the member,
 * and restarts in the middle of a bracket (journal store) that send no
 * member twice.
 *
 * The venue is a scripted fake (tests/fakes.h) so that every fill, and the
 * instant a sibling's fill overtakes a reduce, is chosen by the test; it
 * acknowledges news, cancels and replaces on its own unless told to hold.
 * omsdemo shows a bracket on the simulated venue.
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
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define T0 SCN_T0
#define MS INT64_C(1000000)
#define MAXM 64

typedef struct mem_s {
  uint64_t id, group;
  uint32_t seq;
  oms_side_t side;
  oms_ord_type_t type;
  oms_dec_t qty, filled;
  int state;
} mem_t;

typedef struct world_s {
  SCN_WORLD; /* now, dir, store, e, risk, pf (world.h) */
  bool journal;
  fake_venue_t *v;
  int cursor; /* the venue's sends answered so far */
  bool hold;  /* the venue answers nothing */
  bool held;  /* the venue has no native stops: the OMS holds them */
  int exec_n;
  mem_t m[MAXM];
  int nm;
  int dup_seq;
  int group_events;
  oms_event_t last_group; /* the group order's last event */
  struct {
    uint64_t id;
    oms_dec_t cum;
  } cum[MAXM];
  int ncum;
} world_t;

static mem_t *mem_of(world_t *w, uint64_t id) {
  for (int i = 0; i < w->nm; i++)
    if (w->m[i].id == id) return &w->m[i];
  return NULL;
}

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  const oms_order_t *o = &ev->order;
  if (ev->seq == 0) return;
  if (o->algo > OMS_GROUP_ALGO_BASE) {
    w->group_events++;
    w->last_group = *ev;
    return;
  }
  if (o->parent_order_id == 0) return;
  mem_t *k = mem_of(w, o->order_id);
  if (k == NULL) {
    assert_true(w->nm < MAXM);
    for (int i = 0; i < w->nm; i++)
      if (w->m[i].group == o->parent_order_id && w->m[i].seq == o->child_seq) w->dup_seq++;
    k = &w->m[w->nm++];
    k->id = o->order_id;
    k->group = o->parent_order_id;
    k->seq = o->child_seq;
    k->side = o->side;
    k->type = o->type;
  }
  k->qty = o->qty;
  k->filled = o->filled_qty;
  k->state = o->state;
}

static void open_store(world_t *w) {
  scn_open_store(&w->base, w->journal ? SCN_STORE_JOURNAL : SCN_STORE_MEMORY, 0);
}

static void boot(world_t *w) {
  w->v = calloc(1, sizeof *w->v);
  fake_venue_init(w->v, "SIM");
  w->cursor = 0;
  scn_spec_t spec = {.max_orders = 256,
                     .max_groups = 8,
                     .on_event = on_event,
                     .event_ctx = w,
                     .venue = &w->v->base,
                     .cash = "10000000",
                     .stamp = T0};
  scn_boot(&w->base, &spec);
  if (w->held) assert_int_equal(oms_engine_set_stops_held(w->e, "SIM", true), 0);
}

static void shutdown_core(world_t *w) {
  scn_halt(&w->base);
  free(w->v);
}

static world_t *make(const char *tag, bool journal) {
  world_t *w = calloc(1, sizeof *w);
  w->journal = journal;
  scn_make_dir(&w->base, "groups", tag);
  open_store(w);
  boot(w);
  return w;
}

static void destroy(world_t *w) {
  scn_destroy(&w->base);
  free(w->v);
  free(w);
}

static oms_dec_t *cum_of(world_t *w, uint64_t id) {
  for (int i = 0; i < w->ncum; i++)
    if (w->cum[i].id == id) return &w->cum[i].cum;
  w->cum[w->ncum].id = id;
  w->cum[w->ncum].cum = OMS_DEC_ZERO;
  return &w->cum[w->ncum++].cum;
}

/* The venue answers what it was sent since the last time. */
static void answer(world_t *w) {
  fake_venue_t *v = w->v;
  for (; !w->hold && w->cursor < v->nsent; w->cursor++) {
    int i = w->cursor;
    uint64_t id = v->ids[i];
    oms_order_t o;
    switch (v->kinds[i]) {
      case 1: fake_report(v, OMS_EXEC_ACCEPTED, id); break;
      case 2: fake_report(v, OMS_EXEC_CANCELLED, id); break;
      case 3: {
        oms_exec_report_t *r = fake_report(v, OMS_EXEC_REPLACED, id);
        r->new_qty = v->rq[i];
        r->new_price = v->rp[i];
        break;
      }
      case 4: {
        assert_int_equal(oms_engine_get(w->e, id, &o), 0);
        oms_exec_report_t *r = fake_report(v, OMS_EXEC_STATUS, id);
        r->status = OMS_VSTATUS_WORKING;
        r->cum_qty = *cum_of(w, id);
        r->leaves_qty = oms_dec_from_raw(o.qty.raw - r->cum_qty.raw);
        break;
      }
      default: break;
    }
  }
}

static void run(world_t *w, int n) {
  for (int i = 0; i < n; i++) {
    w->now += MS;
    assert_int_equal(oms_store_flush(w->store, -1), 0);
    oms_engine_poll(w->e);
    answer(w);
    oms_engine_poll(w->e);
  }
}

static void fill(world_t *w, uint64_t id, const char *qty, const char *px) {
  char x[32];
  snprintf(x, sizeof x, "x%d", ++w->exec_n);
  fake_fill(w->v, id, qty, px, x);
  oms_dec_t *c = cum_of(w, id);
  c->raw += T_D(qty).raw;
  run(w, 3);
}

static oms_order_t order(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o;
}

/* Member i's current order of group g (0: none open). */
static uint64_t member(world_t *w, uint64_t g, int i) {
  uint64_t ids[OMS_ALGO_GROUP_MAX];
  if (oms_engine_group(w->e, g, NULL, ids) != 0) return 0;
  return ids[i];
}

static oms_group_leg_t leg(oms_side_t side, oms_ord_type_t type, const char *qty, const char *px,
                           const char *stop) {
  oms_group_leg_t l = {.side = side, .type = type, .tif = OMS_TIF_GTC, .qty = T_D(qty)};
  if (px != NULL) l.price = T_D(px);
  if (stop != NULL) l.stop_price = T_D(stop);
  return l;
}

static int submit(world_t *w, const char *clordid, oms_algo_group_kind_t kind,
                  const oms_group_leg_t *legs, uint32_t n, oms_submit_result_t *res) {
  oms_order_request_t req;
  t_request(&req, clordid, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "1");
  return oms_engine_submit_group(w->e, &req, kind, legs, n, res);
}

static uint64_t bracket(world_t *w, const char *clordid, const char *qty) {
  oms_group_leg_t l[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, qty, "65000", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, qty, "65100", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_STOP, qty, NULL, "64900")};
  oms_submit_result_t res;
  int rc = submit(w, clordid, OMS_GROUP_BRACKET, l, 3, &res);
  if (rc != 0) fprintf(stderr, "bracket refused: %s\n", res.reject.text);
  assert_int_equal(rc, 0);
  assert_int_equal(res.order->state, OMS_STATE_ACCEPTED);
  return res.order->order_id;
}

static oms_dec_t position(world_t *w) {
  oms_pf_position_t pos;
  if (oms_portfolio_position(w->pf, "ACC1", "BTC-USD", &pos) != 0) return OMS_DEC_ZERO;
  return pos.qty;
}

static int orders_of_member(world_t *w, uint64_t g, int i) {
  int n = 0;
  for (int k = 0; k < w->nm; k++) n += w->m[k].group == g && (w->m[k].seq - 1) % 4 == (uint32_t)i;
  return n;
}

static int64_t open_of_member(world_t *w, uint64_t g, int i) {
  int64_t q = 0;
  for (int k = 0; k < w->nm; k++) {
    mem_t *m = &w->m[k];
    if (m->group == g && (m->seq - 1) % 4 == (uint32_t)i &&
        !oms_ord_state_is_terminal((oms_ord_state_t)m->state))
      q += m->qty.raw - m->filled.raw;
  }
  return q;
}

/* ---- the bracket matrix ------------------------------------------------------ */

enum { EXIT_TP_FULL, EXIT_TP_PARTIAL, EXIT_SL };

static void bracket_case(bool entry_full, int exit) {
  world_t *w = make("matrix", false);
  uint64_t g = bracket(w, "br1", "1");
  run(w, 2);
  uint64_t entry = member(w, g, 0);
  assert_int_not_equal(entry, 0);
  assert_int_equal(member(w, g, 1), 0); /* exits held until the entry fills */
  assert_int_equal(member(w, g, 2), 0);
  /* while nothing is filled, risk holds the entry's size once */
  oms_risk_aggr_t ag;
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, T_D("1").raw);
  assert_int_equal(ag.open_sell_qty.raw, 0);

  fill(w, entry, "0.4", "65000");
  uint64_t tp = member(w, g, 1), sl = member(w, g, 2);
  assert_int_not_equal(tp, 0);
  assert_int_not_equal(sl, 0);
  assert_int_equal(order(w, tp).qty.raw, T_D("0.4").raw); /* sized to the fill */
  assert_int_equal(order(w, sl).qty.raw, T_D("0.4").raw);
  assert_int_equal(order(w, sl).type, OMS_ORD_STOP);
  /* the entry's fill is the position's: risk holds only what is left of
   * the entry, and the exits reduce the position (each exposure once) */
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, T_D("0.6").raw);
  assert_int_equal(ag.open_sell_qty.raw, 0);
  oms_dec_t e_filled = T_D("0.4");
  if (entry_full) {
    fill(w, entry, "0.6", "65000");
    e_filled = T_D("1");
    assert_int_equal(order(w, tp).qty.raw, T_D("1").raw); /* grown by replace */
    assert_int_equal(order(w, sl).qty.raw, T_D("1").raw);
    oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
    assert_int_equal(ag.open_buy_qty.raw, 0);
    assert_int_equal(ag.account_open_notional.raw, 0);
  } else {
    /* the rest of the entry is cancelled by the venue: what it filled
     * stays protected */
    fake_report(w->v, OMS_EXEC_CANCELLED, entry);
    run(w, 3);
    assert_int_equal(order(w, tp).state, OMS_STATE_ACCEPTED);
    assert_int_equal(order(w, tp).qty.raw, T_D("0.4").raw);
  }
  assert_true(oms_dec_eq(position(w), e_filled));
  switch (exit) {
    case EXIT_TP_PARTIAL: {
      fill(w, tp, "0.1", "65100");
      /* the stop-loss follows what is left open: cancelled, sent again for
       * the rest */
      assert_int_equal(order(w, sl).state, OMS_STATE_CANCELLED);
      sl = member(w, g, 2);
      assert_int_equal(order(w, sl).qty.raw, e_filled.raw - T_D("0.1").raw);
      oms_dec_t rest = oms_dec_from_raw(e_filled.raw - T_D("0.1").raw);
      char q[32];
      oms_dec_format(rest, q, sizeof q);
      fill(w, tp, q, "65100");
      break;
    }
    case EXIT_TP_FULL: {
      char q[32];
      oms_dec_format(e_filled, q, sizeof q);
      fill(w, tp, q, "65100");
      break;
    }
    default: {
      fake_report(w->v, OMS_EXEC_TRIGGERED, sl);
      run(w, 2);
      char q[32];
      oms_dec_format(e_filled, q, sizeof q);
      fill(w, sl, q, "64890");
      break;
    }
  }
  run(w, 3);
  /* flat; the other exit cancelled; the group order ended with the entry's
   * fills, and nothing is reserved any more */
  assert_int_equal(position(w).raw, 0);
  int other = exit == EXIT_SL ? 1 : 2;
  uint64_t oid = other == 1 ? tp : sl;
  assert_int_equal(order(w, oid).state, OMS_STATE_CANCELLED);
  oms_order_t go = order(w, g);
  assert_true(oms_ord_state_is_terminal(go.state));
  assert_int_equal(go.filled_qty.raw, e_filled.raw);
  assert_int_equal(go.state, entry_full ? OMS_STATE_FILLED : OMS_STATE_CANCELLED);
  assert_int_equal(go.avg_px.raw, T_D("65000").raw);
  assert_non_null(strstr(w->last_group.text, "group BRACKET done"));
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, 0);
  assert_int_equal(ag.account_open_orders, 0);
  assert_int_equal(oms_engine_group(w->e, g, NULL, NULL), OMS_ENOTFOUND);
  assert_int_equal(w->dup_seq, 0);
  /* exits grown by replace, never sent twice; a stop-loss shrunk once is
   * its second order */
  assert_int_equal(orders_of_member(w, g, 1), 1);
  assert_int_equal(orders_of_member(w, g, 2), exit == EXIT_TP_PARTIAL ? 2 : 1);
  destroy(w);
}

static void test_bracket_matrix_of_partial_fills(void **state) {
  (void)state;
  for (int full = 0; full < 2; full++)
    for (int exit = EXIT_TP_FULL; exit <= EXIT_SL; exit++) bracket_case(full, exit);
}

/* ---- OCO, OUO, OTO ------------------------------------------------------------ */

static void test_oco_a_fill_cancels_the_other(void **state) {
  (void)state;
  world_t *w = make("oco", false);
  oms_group_leg_t l[2] = {leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_STOP, "1", NULL, "64900")};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "oco1", OMS_GROUP_OCO, l, 2, &res), 0);
  uint64_t g = res.order->order_id;
  run(w, 2);
  uint64_t a = member(w, g, 0), b = member(w, g, 1);
  assert_true(a != 0 && b != 0);
  fill(w, a, "0.3", "65100");
  assert_int_equal(order(w, b).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w, a).state, OMS_STATE_PARTIALLY_FILLED); /* the filled leg works on */
  fill(w, a, "0.7", "65100");
  oms_order_t go = order(w, g);
  assert_int_equal(go.state, OMS_STATE_FILLED);
  assert_int_equal(go.filled_qty.raw, T_D("1").raw);
  destroy(w);
}

/* A breakout straddle: an OCO of a buy stop above the market and a sell
 * stop below. The group order reserves leg1's side; leg2, on the other,
 * is an exposure of its own, reserved on its side as an ordinary order:
 * each side once. A fill on the sell stop cancels the buy stop, the group
 * ends with nothing reserved and the position short. */
static void restart(world_t *w);

static void test_oco_on_both_sides_reserves_each_side(void **state) {
  (void)state;
  world_t *w = make("straddle", true);
  oms_group_leg_t l[2] = {leg(OMS_SIDE_BUY, OMS_ORD_STOP, "1", NULL, "65100"),
                          leg(OMS_SIDE_SELL, OMS_ORD_STOP, "2", NULL, "64900")};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "str1", OMS_GROUP_OCO, l, 2, &res), 0);
  uint64_t g = res.order->order_id;
  assert_int_equal(res.order->side, OMS_SIDE_BUY);
  assert_int_equal(res.order->qty.raw, T_D("1").raw); /* the group: leg1's side */
  run(w, 2);
  uint64_t a = member(w, g, 0), b = member(w, g, 1);
  assert_true(a != 0 && b != 0);
  oms_risk_aggr_t ag;
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, T_D("1").raw);
  assert_int_equal(ag.open_sell_qty.raw, T_D("2").raw);
  restart(w); /* the same reservations from the store */
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, T_D("1").raw);
  assert_int_equal(ag.open_sell_qty.raw, T_D("2").raw);
  fake_report(w->v, OMS_EXEC_TRIGGERED, b);
  run(w, 2);
  fill(w, b, "0.5", "64890");
  assert_int_equal(order(w, a).state, OMS_STATE_CANCELLED);
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, 0);
  assert_int_equal(ag.open_sell_qty.raw, T_D("1.5").raw); /* the filled leg works on */
  fill(w, b, "1.5", "64890");
  run(w, 3);
  assert_int_equal(position(w).raw, -T_D("2").raw);
  assert_true(oms_ord_state_is_terminal(order(w, g).state));
  assert_non_null(strstr(w->last_group.text, "group OCO done"));
  oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
  assert_int_equal(ag.open_buy_qty.raw, 0);
  assert_int_equal(ag.open_sell_qty.raw, 0);
  assert_int_equal(ag.account_open_orders, 0);
  assert_int_equal(oms_engine_group(w->e, g, NULL, NULL), OMS_ENOTFOUND);
  destroy(w);
}

static void test_ouo_reduces_and_guards_the_over_close_race(void **state) {
  (void)state;
  world_t *w = make("ouo", false);
  oms_group_leg_t l[2] = {leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65200", NULL)};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "ouo1", OMS_GROUP_OUO, l, 2, &res), 0);
  uint64_t g = res.order->order_id;
  run(w, 2);
  uint64_t a = member(w, g, 0), b = member(w, g, 1);
  /* a fill on one reduces the other by as much: a cancel, then a new order
   * for the rest (never a replace down, which a fill could overtake) */
  fill(w, a, "0.2", "65100");
  assert_int_equal(order(w, b).state, OMS_STATE_CANCELLED);
  b = member(w, g, 1);
  assert_int_equal(order(w, b).qty.raw, T_D("0.8").raw);
  /* the race: a fills 0.3 more and b's reduce (its cancel) is sent; before
   * the venue answers it, b fills 0.7 (it still held 0.8 there) */
  w->hold = true;
  fill(w, a, "0.3", "65100");
  int sent = w->v->nsent;
  assert_int_equal(w->v->kinds[sent - 1], 2);
  assert_int_equal(w->v->ids[sent - 1], b);
  char x[8] = "race";
  fake_fill(w->v, b, "0.7", "65200", x);
  run(w, 2);
  assert_int_equal(order(w, b).filled_qty.raw, T_D("0.7").raw); /* the venue's truth */
  /* the OMS sends nothing more that could fill: a is cancelled, no new
   * order for b; the excess is the group's, named on its last event */
  bool cancel_a = false, more = false;
  for (int i = sent; i < w->v->nsent; i++) {
    if (w->v->kinds[i] == 2 && w->v->ids[i] == a) cancel_a = true;
    if (w->v->kinds[i] == 1 || w->v->kinds[i] == 3) more = true;
  }
  assert_true(cancel_a);
  assert_false(more);
  w->hold = false;
  w->cursor = sent - 1; /* the venue confirms the cancels */
  run(w, 4);
  assert_int_equal(order(w, a).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w, b).state, OMS_STATE_CANCELLED);
  for (int i = sent; i < w->v->nsent; i++) assert_int_not_equal(w->v->kinds[i], 1);
  oms_order_t go = order(w, g);
  assert_true(oms_ord_state_is_terminal(go.state));
  assert_non_null(strstr(w->last_group.text, "over-closed by 0.2"));
  /* and without a race, OUO fills never pass the group's quantity */
  world_t *w2 = make("ouo2", false);
  assert_int_equal(submit(w2, "ouo2", OMS_GROUP_OUO, l, 2, &res), 0);
  g = res.order->order_id;
  run(w2, 2);
  a = member(w2, g, 0);
  b = member(w2, g, 1);
  fill(w2, a, "0.6", "65100");
  fill(w2, b, "0.4", "65200");
  assert_int_equal(order(w2, a).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w2, g).state, OMS_STATE_FILLED);
  assert_null(strstr(w2->last_group.text, "over-closed"));
  destroy(w2);
  destroy(w);
}

/* A bracket's two exits both trade: the take-profit fills in full, and the
 * stop-loss fills 0.3 before its cancel reaches the venue. The fill is
 * taken (the position goes short 0.3: the venue's truth), nothing more is
 * sent, and the group order names the excess. */
static void test_bracket_exits_racing_are_named_over_closed(void **state) {
  (void)state;
  world_t *w = make("brrace", false);
  uint64_t g = bracket(w, "br-race", "1");
  run(w, 2);
  fill(w, member(w, g, 0), "1", "65000");
  uint64_t tp = member(w, g, 1), sl = member(w, g, 2);
  w->hold = true;
  fill(w, tp, "1", "65100");
  int sent = w->v->nsent;
  assert_int_equal(w->v->kinds[sent - 1], 2); /* the stop-loss's cancel */
  assert_int_equal(w->v->ids[sent - 1], sl);
  char x[8] = "slrace";
  fake_fill(w->v, sl, "0.3", "64900", x);
  run(w, 2);
  assert_int_equal(w->v->nsent, sent);
  w->hold = false;
  w->cursor = sent - 1;
  run(w, 4);
  assert_int_equal(order(w, sl).state, OMS_STATE_CANCELLED);
  assert_int_equal(position(w).raw, -T_D("0.3").raw);
  assert_int_equal(order(w, g).state, OMS_STATE_FILLED);
  assert_non_null(strstr(w->last_group.text, "over-closed by 0.3"));
  destroy(w);
}

static void test_oto_contingent_follows_partial_fills(void **state) {
  (void)state;
  world_t *w = make("oto", false);
  oms_group_leg_t l[2] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL)};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "oto1", OMS_GROUP_OTO, l, 2, &res), 0);
  uint64_t g = res.order->order_id;
  run(w, 2);
  uint64_t p = member(w, g, 0);
  assert_int_equal(member(w, g, 1), 0);
  fill(w, p, "0.3", "65000");
  uint64_t c = member(w, g, 1);
  assert_int_equal(order(w, c).qty.raw, T_D("0.3").raw);
  fill(w, p, "0.5", "65000");
  assert_int_equal(order(w, c).qty.raw, T_D("0.8").raw);
  fill(w, c, "0.8", "65100"); /* the contingent is done; the primary fills more */
  fill(w, p, "0.2", "65000");
  /* a further order of the contingent for the last 0.2, never more */
  assert_int_equal(orders_of_member(w, g, 1), 2);
  assert_int_equal(open_of_member(w, g, 1), T_D("0.2").raw);
  c = member(w, g, 1);
  fill(w, c, "0.2", "65100");
  assert_int_equal(order(w, g).state, OMS_STATE_FILLED);
  assert_int_equal(position(w).raw, 0);
  assert_int_equal(w->dup_seq, 0);
  destroy(w);
}

/* ---- halt, cancel, refusals ------------------------------------------------------ */

static void test_halt_cancels_the_group_and_its_members(void **state) {
  (void)state;
  world_t *w = make("halt", false);
  uint64_t g = bracket(w, "brh", "1");
  run(w, 2);
  fill(w, member(w, g, 0), "0.5", "65000");
  uint64_t e0 = member(w, g, 0), tp = member(w, g, 1), sl = member(w, g, 2);
  assert_int_equal(oms_engine_set_trading_state(w->e, OMS_RISK_SCOPE_GLOBAL, NULL,
                                                OMS_TRADING_HALTED, "test halt"),
                   0);
  run(w, 3);
  assert_int_equal(order(w, e0).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w, tp).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w, sl).state, OMS_STATE_CANCELLED);
  oms_order_t go = order(w, g);
  assert_true(oms_ord_state_is_terminal(go.state));
  assert_int_equal(go.filled_qty.raw, T_D("0.5").raw);
  /* nothing released after the halt */
  int n = w->v->nsent;
  run(w, 5);
  assert_int_equal(w->v->nsent, n);
  destroy(w);
}

static void test_cancel_while_a_member_is_pending_new(void **state) {
  (void)state;
  world_t *w = make("pendnew", false);
  w->hold = true; /* the venue has not acknowledged anything */
  oms_group_leg_t l[2] = {leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_STOP, "1", NULL, "64900")};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "oco-p", OMS_GROUP_OCO, l, 2, &res), 0);
  uint64_t g = res.order->order_id;
  run(w, 1);
  uint64_t a = member(w, g, 0), b = member(w, g, 1);
  assert_int_equal(order(w, a).state, OMS_STATE_SUBMITTED);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel_group(w->e, g, &rej), 0);
  assert_int_equal(order(w, g).state, OMS_STATE_PENDING_CANCEL);
  assert_int_equal(order(w, a).state, OMS_STATE_PENDING_CANCEL);
  assert_int_equal(order(w, b).state, OMS_STATE_PENDING_CANCEL);
  /* a second cancel is refused, as for any order */
  assert_int_equal(oms_engine_cancel_group(w->e, g, &rej), OMS_EREJECTED);
  w->hold = false;
  run(w, 4);
  assert_int_equal(order(w, a).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w, g).state, OMS_STATE_CANCELLED);
  destroy(w);
}

static void test_members_and_groups_are_not_modified(void **state) {
  (void)state;
  world_t *w = make("modify", false);
  uint64_t g = bracket(w, "brm", "1");
  run(w, 2);
  oms_modify_t m = {.qty = T_D("2")};
  oms_reject_t rej;
  assert_int_equal(oms_engine_modify(w->e, g, &m, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNSUPPORTED);
  assert_int_equal(oms_engine_modify(w->e, member(w, g, 0), &m, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNSUPPORTED);
  assert_non_null(strstr(rej.text, "member of group"));
  /* cancelling a member ends the group: the entry's cancel drops the exits */
  assert_int_equal(oms_engine_cancel(w->e, member(w, g, 0), &rej), 0);
  run(w, 3);
  assert_true(oms_ord_state_is_terminal(order(w, g).state));
  assert_int_equal(orders_of_member(w, g, 1), 0);
  /* a plain order is not a group */
  oms_order_request_t req;
  t_request(&req, "plain", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  assert_int_equal(oms_engine_cancel_group(w->e, res.order->order_id, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNKNOWN_ORDER);
  destroy(w);
}

static void refused(world_t *w, oms_algo_group_kind_t kind, const oms_group_leg_t *l, uint32_t n,
                    oms_reason_t code, const char *text) {
  oms_submit_result_t res;
  static int k;
  char id[16];
  snprintf(id, sizeof id, "bad%d", ++k);
  assert_int_equal(submit(w, id, kind, l, n, &res), OMS_EREJECTED);
  if (res.reject.code != code || strstr(res.reject.text, text) == NULL)
    fail_msg("want %s '%s', got %s '%s'", oms_reason_name(code), text,
             oms_reason_name(res.reject.code), res.reject.text);
  assert_int_equal(res.order->order_id, 0);
}

static void test_bad_groups_are_refused_naming_the_member(void **state) {
  (void)state;
  world_t *w = make("bad", false);
  oms_group_leg_t b[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_STOP, "1", NULL, "64900")};
  oms_group_leg_t x[3];
  refused(w, (oms_algo_group_kind_t)9, b, 3, OMS_R_GROUP_KIND, "contingency type 9");
  refused(w, OMS_GROUP_BRACKET, b, 2, OMS_R_GROUP_MEMBERS, "BRACKET takes 3 members");
  memcpy(x, b, sizeof x);
  x[2].stop_price = T_D("64900.3");
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_TICK_SIZE, "stop_loss:");
  memcpy(x, b, sizeof x);
  x[1].qty = T_D("0");
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_QTY_NOT_POSITIVE, "take_profit:");
  memcpy(x, b, sizeof x);
  x[1].side = OMS_SIDE_BUY;
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_SIDE, "take_profit: side");
  memcpy(x, b, sizeof x);
  x[2].qty = T_D("2");
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_QTY, "stop_loss: qty 2 above the entry's 1");
  memcpy(x, b, sizeof x);
  x[1].type = OMS_ORD_MARKET;
  x[1].price = OMS_DEC_ZERO;
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_EXIT_TYPE, "take_profit: type must be LIMIT");
  memcpy(x, b, sizeof x);
  x[2] = leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "64900", NULL);
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_EXIT_TYPE, "stop_loss: type");
  memcpy(x, b, sizeof x);
  x[1].price = T_D("64950");
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_EXIT_PRICE, "not above the entry's price");
  memcpy(x, b, sizeof x);
  x[2].stop_price = T_D("65050");
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_EXIT_PRICE, "stop_loss: stop_price 65050");
  memcpy(x, b, sizeof x);
  x[2].stop_price = T_D("65200");
  refused(w, OMS_GROUP_BRACKET, x, 3, OMS_R_GROUP_EXIT_PRICE, "not above stop_loss");
  /* an OUO's legs reduce one position (an OCO's may be on either side:
   * test_oco_on_both_sides_reserves_each_side) */
  oms_group_leg_t p[2] = {leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL),
                          leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "64900", NULL)};
  refused(w, OMS_GROUP_OUO, p, 2, OMS_R_GROUP_SIDE, "leg2: side");
  oms_group_leg_t o[2] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "2", "65100", NULL)};
  refused(w, OMS_GROUP_OTO, o, 2, OMS_R_GROUP_QTY, "contingent: qty 2");
  /* risk sees the group once, for its entry's size */
  oms_group_leg_t big[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "500", "65000", NULL),
                            leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "500", "65100", NULL),
                            leg(OMS_SIDE_SELL, OMS_ORD_STOP, "500", NULL, "64900")};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "big", OMS_GROUP_BRACKET, big, 3, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_RISK_MAX_ORDER_QTY);
  assert_int_equal(w->v->nsent, 0); /* nothing went to the venue */
  destroy(w);
}

/* A fill the venue reports after the member's cancel was confirmed is the
 * venue's truth: the member and the group take it; an entry the
 * venue rejects ends its bracket with nothing released; the engine holds
 * max_groups groups at once, refusing the next with CAPACITY. */
static void test_late_fills_rejected_entries_and_capacity(void **state) {
  (void)state;
  world_t *w = make("edge", false);
  oms_group_leg_t l[2] = {leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65100", NULL),
                          leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "65200", NULL)};
  oms_submit_result_t res;
  assert_int_equal(submit(w, "oco-late", OMS_GROUP_OCO, l, 2, &res), 0);
  uint64_t g = res.order->order_id;
  run(w, 2);
  uint64_t a = member(w, g, 0), b = member(w, g, 1);
  fill(w, a, "0.3", "65100");
  assert_int_equal(order(w, b).state, OMS_STATE_CANCELLED);
  fill(w, b, "0.2", "65200"); /* traded before the cancel reached it */
  assert_int_equal(order(w, b).filled_qty.raw, T_D("0.2").raw);
  /* both legs traded: the OCO stops the other too, and the group order
   * ends with both fills (0.5 of its 1, within it: nothing over-closed) */
  assert_int_equal(order(w, a).state, OMS_STATE_CANCELLED);
  oms_order_t go = order(w, g);
  assert_int_equal(go.state, OMS_STATE_CANCELLED);
  assert_int_equal(go.filled_qty.raw, T_D("0.5").raw);
  assert_null(strstr(w->last_group.text, "over-closed"));

  /* the venue refuses the entry: nothing else is sent, the group ends */
  uint64_t g2 = bracket(w, "br-rej", "1");
  uint64_t entry = member(w, g2, 0);
  w->hold = true;
  oms_exec_report_t *r = fake_report(w->v, OMS_EXEC_REJECTED, entry);
  r->reason = OMS_R_VENUE_REJECT;
  int n = w->v->nsent;
  run(w, 3);
  assert_int_equal(order(w, entry).state, OMS_STATE_REJECTED);
  assert_int_equal(order(w, g2).state, OMS_STATE_CANCELLED);
  assert_int_equal(w->v->nsent, n);
  assert_int_equal(orders_of_member(w, g2, 1) + orders_of_member(w, g2, 2), 0);
  w->hold = false;

  /* room for max_groups (8) working groups */
  char id[16];
  for (int i = 0; i < 8; i++) {
    snprintf(id, sizeof id, "cap%d", i);
    bracket(w, id, "0.01");
    run(w, 1); /* not a duplicate of the one before */
  }
  oms_group_leg_t b3[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.01", "65000", NULL),
                           leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.01", "65100", NULL),
                           leg(OMS_SIDE_SELL, OMS_ORD_STOP, "0.01", NULL, "64900")};
  assert_int_equal(submit(w, "cap-full", OMS_GROUP_BRACKET, b3, 3, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_CAPACITY);
  destroy(w);
}

static void restart(world_t *w);

static void trade_at(world_t *w, const char *px) {
  memset(&w->v->md, 0, sizeof w->v->md);
  strcpy(w->v->md.symbol, "BTC-USD");
  w->v->md.last_px = T_D(px);
  w->v->md.last_qty = T_D("0.1");
  w->v->md.ts_ns = w->now;
  w->v->md_pending = true;
  run(w, 2);
}

/* A venue without native stops: the bracket's stop-loss is held in the OMS
 * and sent as a market order when a trade reaches its stop price; across a
 * restart it is still held, not sent. */
static void test_a_stop_loss_is_held_when_the_venue_has_no_stops(void **state) {
  (void)state;
  world_t *w = make("held", true);
  w->held = true; /* set up before recovery, as instruments are */
  assert_int_equal(oms_engine_set_stops_held(w->e, "SIM", true), 0);
  uint64_t g = bracket(w, "br-held", "1");
  run(w, 2);
  fill(w, member(w, g, 0), "0.4", "65000");
  assert_int_not_equal(member(w, g, 1), 0); /* the take-profit rests at the venue */
  assert_int_equal(member(w, g, 2), 0);     /* the stop-loss does not */
  assert_int_equal(orders_of_member(w, g, 2), 0);
  trade_at(w, "64950"); /* above its stop: nothing */
  assert_int_equal(orders_of_member(w, g, 2), 0);
  restart(w);
  run(w, 2);
  assert_int_equal(orders_of_member(w, g, 2), 0);
  trade_at(w, "64900"); /* at its stop: a market order for the position */
  uint64_t sl = member(w, g, 2);
  assert_int_not_equal(sl, 0);
  oms_order_t o = order(w, sl);
  assert_int_equal(o.type, OMS_ORD_MARKET);
  assert_int_equal(o.side, OMS_SIDE_SELL);
  assert_int_equal(o.qty.raw, T_D("0.4").raw);
  trade_at(w, "64800"); /* triggered once: no second order */
  assert_int_equal(orders_of_member(w, g, 2), 1);
  uint64_t tp = member(w, g, 1);
  fill(w, sl, "0.4", "64890");
  run(w, 3);
  /* flat: the take-profit goes; the entry's rest still works (it may fill
   * and be protected again) until the group is cancelled */
  assert_int_equal(position(w).raw, 0);
  assert_int_equal(order(w, tp).state, OMS_STATE_CANCELLED);
  assert_false(oms_ord_state_is_terminal(order(w, g).state));
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel_group(w->e, g, &rej), 0);
  run(w, 3);
  assert_true(oms_ord_state_is_terminal(order(w, g).state));
  assert_int_equal(oms_engine_set_stops_held(w->e, "SIM", false), 0);
  destroy(w);
}

static void test_names_of_kinds_and_members(void **state) {
  (void)state;
  const char *kinds[] = {"OCO", "OUO", "OTO", "BRACKET"};
  for (int k = OMS_GROUP_OCO; k <= OMS_GROUP_BRACKET; k++) {
    oms_algo_group_kind_t back;
    assert_string_equal(oms_group_kind_name((oms_algo_group_kind_t)k), kinds[k - 1]);
    assert_int_equal(oms_group_kind_parse(kinds[k - 1], &back), 0);
    assert_int_equal(back, k);
  }
  oms_algo_group_kind_t back = OMS_GROUP_OCO;
  assert_int_equal(oms_group_kind_parse("OCX", &back), OMS_ENOTFOUND);
  assert_string_equal(oms_group_kind_name((oms_algo_group_kind_t)0), "UNKNOWN");
  assert_string_equal(oms_group_member_name(OMS_GROUP_BRACKET, 2), "stop_loss");
  assert_string_equal(oms_group_member_name(OMS_GROUP_OTO, 1), "contingent");
  assert_string_equal(oms_group_member_name(OMS_GROUP_OUO, 0), "leg1");
  assert_string_equal(oms_group_member_name(OMS_GROUP_OCO, 2), "member");
}

/* ---- restart ----------------------------------------------------------------------- */

static void restart(world_t *w) {
  assert_int_equal(oms_store_flush(w->store, -1), 0);
  shutdown_core(w);
  oms_store_close(w->store);
  open_store(w);
  boot(w);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(w->e, &n), 0);
  run(w, 3); /* reconciliation: every open order's status */
}

/* A bracket restarted at point `at`: 0 after its acceptance, 1 after the
 * entry's partial fill but before the exits were made (the process died
 * inside that poll), 2 with the exits working, 3 after a partial
 * take-profit. It ends flat, each member's orders never above what the
 * entry filled, no sequence number twice. */
static void restart_case(int at) {
  char tag[16];
  snprintf(tag, sizeof tag, "rs%d", at);
  world_t *w = make(tag, true);
  uint64_t g = bracket(w, "brr", "1");
  if (at == 0) restart(w);
  run(w, 2);
  uint64_t entry = member(w, g, 0);
  assert_int_not_equal(entry, 0);
  if (at == 1) {
    /* the fill's unit is appended, then the process dies before the poll
     * that would release the exits */
    char x[8] = "pf";
    fake_fill(w->v, entry, "0.4", "65000", x);
    cum_of(w, entry)->raw += T_D("0.4").raw;
    w->now += MS;
    oms_engine_poll(w->e); /* applies the fill; the exits wait for the next poll */
    restart(w);
  } else {
    fill(w, entry, "0.4", "65000");
  }
  if (at == 2) restart(w);
  if (at == 1 || at == 2) {
    /* after a restart too, the entry's fill is counted once */
    oms_risk_aggr_t ag;
    oms_risk_aggregates(w->risk, "ACC1", "s1", "BTC-USD", &ag);
    assert_int_equal(ag.open_buy_qty.raw, T_D("0.6").raw);
  }
  uint64_t tp = member(w, g, 1), sl = member(w, g, 2);
  assert_int_not_equal(tp, 0);
  assert_int_not_equal(sl, 0);
  assert_int_equal(order(w, sl).qty.raw, T_D("0.4").raw);
  fill(w, tp, "0.1", "65100");
  assert_int_equal(order(w, sl).state, OMS_STATE_CANCELLED);
  assert_int_equal(order(w, member(w, g, 2)).qty.raw, T_D("0.3").raw);
  if (at == 3) restart(w);
  entry = member(w, g, 0);
  fill(w, entry, "0.6", "65000");
  assert_int_equal(order(w, member(w, g, 2)).qty.raw, T_D("0.9").raw);
  fill(w, member(w, g, 1), "0.9", "65100");
  run(w, 3);
  oms_order_t go = order(w, g);
  assert_int_equal(go.state, OMS_STATE_FILLED);
  assert_int_equal(go.filled_qty.raw, T_D("1").raw);
  assert_int_equal(order(w, sl).state, OMS_STATE_CANCELLED);
  assert_int_equal(w->dup_seq, 0);
  assert_int_equal(orders_of_member(w, g, 0), 1);
  assert_int_equal(orders_of_member(w, g, 1), 1);
  assert_int_equal(orders_of_member(w, g, 2), 2); /* one cancelled to shrink it */
  destroy(w);
}

static void test_restart_in_the_middle_of_a_bracket(void **state) {
  (void)state;
  for (int at = 0; at <= 3; at++) restart_case(at);
}

/* ---- the documentation ---------------------------------------------------------------- */

static void test_the_documentation_names_every_group_code_and_tag(void **state) {
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
  for (int c = OMS_R_GROUP_KIND; c <= OMS_R_GROUP_EXIT_PRICE; c++) {
    snprintf(want, sizeof want, "| %d | `%s` |", c, oms_reason_name((oms_reason_t)c));
    if (strstr(doc, want) == NULL) fail_msg("docs/algos.md lacks the row %s", want);
  }
  static const char *const tags[] = {
      "| `ContingencyType` | 20101 |", "| `TakeProfitPrice` | 20102 |",
      "| `StopLossPrice` | 20103 |",   "| `StopLossLimitPrice` | 20104 |",
      "| `OtherLegPrice` | 20105 |",   "| `OtherLegStopPx` | 20106 |"};
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
    if (strstr(doc, tags[i]) == NULL) fail_msg("docs/algos.md lacks the row %s", tags[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bracket_matrix_of_partial_fills),
      cmocka_unit_test(test_oco_a_fill_cancels_the_other),
      cmocka_unit_test(test_oco_on_both_sides_reserves_each_side),
      cmocka_unit_test(test_ouo_reduces_and_guards_the_over_close_race),
      cmocka_unit_test(test_bracket_exits_racing_are_named_over_closed),
      cmocka_unit_test(test_oto_contingent_follows_partial_fills),
      cmocka_unit_test(test_halt_cancels_the_group_and_its_members),
      cmocka_unit_test(test_cancel_while_a_member_is_pending_new),
      cmocka_unit_test(test_members_and_groups_are_not_modified),
      cmocka_unit_test(test_bad_groups_are_refused_naming_the_member),
      cmocka_unit_test(test_late_fills_rejected_entries_and_capacity),
      cmocka_unit_test(test_a_stop_loss_is_held_when_the_venue_has_no_stops),
      cmocka_unit_test(test_names_of_kinds_and_members),
      cmocka_unit_test(test_restart_in_the_middle_of_a_bracket),
      cmocka_unit_test(test_the_documentation_names_every_group_code_and_tag),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
