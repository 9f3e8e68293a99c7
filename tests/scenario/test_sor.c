/*
 * test_sor.c - smart order routing in the core across several simulated
 * venues on a manual clock: the better price with a worse fee loses; a
 * sweep across three books fills at the best combined price and the
 * best-execution record says so; a venue going down mid-order gets nothing
 * new and its child is settled when it returns; partial fills are re-routed
 * to the next venue; a stale venue is ignored; and, over random books,
 * fills, venue outages and cancels, the children of a parent never hold more
 * than the parent across every venue, at every event. Restarts: mid-sweep,
 * with a post resting, and a crash after every store unit from acceptance to
 * the end: one BestExecution per parent, the uninterrupted run's figures.
 *
 * The books are made by ordinary orders of another account (ACC2) resting
 * at each venue; no liquidity provider, so every price is the test's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "oms/engine.h"
#include "oms/event.h"
#include "oms/sim_venue.h"
#include "oms/sor.h"
#include "oms/store.h"
#include "oms_test.h"

#define T0 INT64_C(1764000000000000000)
#define MS INT64_C(1000000)
#define NV 3
#define MAX_ORD 4096

typedef struct track_s {
  uint64_t id, parent;
  oms_dec_t qty, filled;
  bool done;
  char venue[OMS_VENUE_MAX + 1];
} track_t;

typedef struct world_s {
  int64_t now;
  oms_store_t *store;
  oms_engine_t *e;
  oms_venue_t *v[NV];
  track_t t[MAX_ORD];
  int nt;
  int bestex_events;
  oms_sor_bestex_t last_bx;
  int violations;
  int seq;
  bool lenient;
  const char **maker, **taker; /* as booted: a restart boots the same */
  int64_t stale_ns;
  uint32_t max_parents;   /* 0: 64 */
  oms_sor_bestex_t bx[8]; /* each parent's record, by parent */
  int nbx;
  char spath[NV][96]; /* the venues' state files when durable */
} world_t;

static const char *names[NV] = {"A", "B", "C"};

static track_t *track(world_t *w, uint64_t id) {
  for (int i = 0; i < w->nt; i++)
    if (w->t[i].id == id) return &w->t[i];
  assert_true(w->nt < MAX_ORD);
  track_t *t = &w->t[w->nt++];
  memset(t, 0, sizeof(*t));
  t->id = id;
  return t;
}

/* After every event: each parent's children hold (open + filled) at most
 * the parent's quantity, summed across every venue. */
static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  if (ev->seq == 0) return;
  const oms_order_t *o = &ev->order;
  if (ev->type == OMS_EVT_BEST_EXECUTION) {
    w->bestex_events++;
    uint32_t fills[OMS_SOR_MAX_VENUES];
    assert_int_equal(oms_store_bestex_decode(ev->algo, ev->algo_len, &w->last_bx, fills), 0);
    assert_int_equal(w->last_bx.parent_id, o->order_id);
    if (w->nbx < 8) w->bx[w->nbx++] = w->last_bx;
    return;
  }
  if (o->order_id == 0) return;
  track_t *t = track(w, o->order_id);
  t->parent = o->parent_order_id;
  t->qty = o->qty;
  t->filled = o->filled_qty;
  t->done = oms_ord_state_is_terminal(o->state);
  memcpy(t->venue, o->venue, sizeof(t->venue));
  if (o->parent_order_id == 0) return;
  const track_t *p = NULL;
  for (int i = 0; i < w->nt; i++)
    if (w->t[i].id == o->parent_order_id) p = &w->t[i];
  assert_non_null(p);
  int64_t held = 0;
  for (int i = 0; i < w->nt; i++) {
    const track_t *k = &w->t[i];
    if (k->parent != o->parent_order_id) continue;
    held += k->done ? k->filled.raw : k->qty.raw;
  }
  if (held > p->qty.raw) w->violations++;
}

static oms_venue_route_config_t *g_route_a; /* venue A's router settings, if set */
static int g_durable;                       /* venues keep their orders in files across a restart */

static void boot(world_t *w, const char *maker[NV], const char *taker[NV], int64_t stale_ns) {
  w->maker = maker;
  w->taker = taker;
  w->stale_ns = stale_ns;
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = MAX_ORD,
                             .store = w->store,
                             .on_event = on_event,
                             .event_ctx = w,
                             .max_parents = w->max_parents ? w->max_parents : 64,
                             .sor_stale_ns = stale_ns};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  for (int i = 0; i < NV; i++) {
    oms_sim_symbol_t sym;
    memset(&sym, 0, sizeof(sym));
    t_instrument(&sym.ins, "BTC-USD");
    strcpy(sym.ins.venue, names[i]);
    oms_sim_config_t sc = {.name = names[i],
                           .clock = oms_clock_manual(&w->now),
                           .max_orders = MAX_ORD,
                           .ack_latency_ns = 1 * MS,
                           .fill_latency_ns = 1 * MS,
                           .maker_fee_rate = T_D(maker[i]),
                           .taker_fee_rate = T_D(taker[i]),
                           .symbols = &sym,
                           .nsymbols = 1};
    if (w->spath[i][0] != '\0') sc.state_path = w->spath[i];
    assert_int_equal(oms_sim_venue_create(&sc, &w->v[i]), 0);
    assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
    assert_int_equal(oms_engine_add_venue(w->e, w->v[i], i == 0 ? g_route_a : NULL), 0);
    oms_sor_venue_cfg_t vc = {.maker_fee_rate = T_D(maker[i]),
                              .taker_fee_rate = T_D(taker[i]),
                              .latency_ns = (i + 1) * 100};
    strcpy(vc.name, names[i]);
    assert_int_equal(oms_engine_sor_add_venue(w->e, &vc), 0);
  }
}

static world_t *make(const char *maker[NV], const char *taker[NV], int64_t stale_ns) {
  world_t *w = calloc(1, sizeof(*w));
  w->now = T0;
  static int nworld;
  nworld++;
  for (int i = 0; g_durable && i < NV; i++) {
    snprintf(w->spath[i], sizeof(w->spath[i]), "/tmp/oms-test-sor-%d-%d-%s.state", (int)getpid(),
             nworld, names[i]);
    remove(w->spath[i]);
  }
  assert_int_equal(oms_store_memory_create(NULL, &w->store), 0);
  boot(w, maker, taker, stale_ns);
  return w;
}

static const char *zero[NV] = {"0", "0", "0"};

static world_t *make_flat(int64_t stale_ns) { return make(zero, zero, stale_ns); }

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  for (int i = 0; i < NV; i++)
    if (w->spath[i][0] != '\0') remove(w->spath[i]);
  oms_store_close(w->store);
  free(w);
}

static void run_ms(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
}

/* A resting order of ACC2 at venue vi: the book the router sees. */
static uint64_t rest(world_t *w, int vi, oms_side_t side, const char *qty, const char *px) {
  oms_order_request_t req;
  char id[32];
  snprintf(id, sizeof(id), "mk%d", ++w->seq);
  t_request(&req, id, side, OMS_ORD_LIMIT, qty, px);
  strcpy(req.account_id, "ACC2");
  strcpy(req.venue, names[vi]);
  oms_submit_result_t res;
  int rc = oms_engine_submit(w->e, &req, &res);
  if (!w->lenient && rc != 0) fail_msg("rest refused: %s", res.reject.text);
  return res.order->order_id;
}

static uint64_t smart(world_t *w, oms_side_t side, const char *qty, const char *px,
                      oms_sor_policy_t pol) {
  oms_order_request_t req;
  char id[32];
  snprintf(id, sizeof(id), "sm%d", ++w->seq);
  t_request(&req, id, side, px ? OMS_ORD_LIMIT : OMS_ORD_MARKET, qty, px);
  req.venue[0] = '\0';
  oms_submit_result_t res;
  int rc = oms_engine_submit_smart(w->e, &req, pol, &res);
  if (rc != 0) fail_msg("smart order refused: %s", res.reject.text);
  assert_int_equal(res.order->algo, OMS_SOR_ALGO);
  assert_int_equal(res.order->state, OMS_STATE_ACCEPTED);
  return res.order->order_id;
}

static oms_order_t get(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o;
}

/* The quantity filled by pid's children at venue, and how many went there. */
static int64_t filled_at(world_t *w, uint64_t pid, const char *venue, int *n) {
  int64_t q = 0;
  if (n) *n = 0;
  for (int i = 0; i < w->nt; i++) {
    if (w->t[i].parent != pid || strcmp(w->t[i].venue, venue) != 0) continue;
    q += w->t[i].filled.raw;
    if (n) (*n)++;
  }
  return q;
}

/* What the venues themselves executed for parent pid's children, summed
 * over every venue (their own records: working and finished orders). */
typedef struct vsum_s {
  const world_t *w;
  uint64_t pid;
  int64_t q;
} vsum_t;

static int vsum_cb(void *ctx, const oms_sim_order_t *o) {
  vsum_t *s = ctx;
  for (int i = 0; i < s->w->nt; i++)
    if (s->w->t[i].id == o->order_id && s->w->t[i].parent == s->pid) s->q += o->cum_qty.raw;
  return 0;
}

static int64_t executed_at_venues(const world_t *w, uint64_t pid) {
  vsum_t s = {w, pid, 0};
  for (int i = 0; i < NV; i++) assert_int_equal(oms_sim_venue_orders(w->v[i], vsum_cb, &s), 0);
  return s.q;
}

static void test_better_price_worse_fee_loses(void **state) {
  (void)state;
  const char *maker[NV] = {"0", "0", "0"};
  const char *taker[NV] = {"0.001", "0", "0"}; /* A: 10 bps to take */
  world_t *w = make(maker, taker, 0);
  rest(w, 0, OMS_SIDE_SELL, "1", "65000"); /* effective 65065 */
  rest(w, 1, OMS_SIDE_SELL, "1", "65010"); /* effective 65010 */
  run_ms(w, 3);
  uint64_t p = smart(w, OMS_SIDE_BUY, "1", "65100", OMS_SOR_POLICY_TAKE);
  run_ms(w, 5);
  oms_order_t po = get(w, p);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  assert_int_equal(po.avg_px.raw, T_D("65010").raw);
  int n;
  assert_int_equal(filled_at(w, p, "B", &n), T_D("1").raw);
  assert_int_equal(n, 1);
  assert_int_equal(filled_at(w, p, "A", &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_sweep_three_books(void **state) {
  (void)state;
  world_t *w = make_flat(0);
  rest(w, 0, OMS_SIDE_SELL, "1", "65000");
  rest(w, 1, OMS_SIDE_SELL, "2", "65000.5");
  rest(w, 2, OMS_SIDE_SELL, "3", "65001");
  rest(w, 2, OMS_SIDE_BUY, "1", "64999");
  run_ms(w, 3);
  uint64_t p = smart(w, OMS_SIDE_BUY, "5", "65002", OMS_SOR_POLICY_BEST);
  run_ms(w, 5);
  oms_order_t po = get(w, p);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  /* (65000 + 2 x 65000.5 + 2 x 65001) / 5 */
  assert_int_equal(po.avg_px.raw, T_D("65000.6").raw);
  assert_int_equal(filled_at(w, p, "A", NULL), T_D("1").raw);
  assert_int_equal(filled_at(w, p, "B", NULL), T_D("2").raw);
  assert_int_equal(filled_at(w, p, "C", NULL), T_D("2").raw);
  /* the best-execution record: arrival NBBO 64999 / 65000 */
  assert_int_equal(w->bestex_events, 1);
  oms_sor_bestex_t bx = w->last_bx;
  assert_int_equal(bx.parent_id, p);
  assert_int_equal(bx.arrival_bid.raw, T_D("64999").raw);
  assert_int_equal(bx.arrival_ask.raw, T_D("65000").raw);
  assert_int_equal(bx.filled.raw, T_D("5").raw);
  assert_int_equal(bx.avg_px.raw, T_D("65000.6").raw);
  assert_int_equal(bx.improvement_px.raw, T_D("-0.6").raw);
  assert_int_equal(bx.improvement.raw, T_D("-3").raw);
  assert_int_equal(bx.eff_spread_px.raw, T_D("2.2").raw); /* 2 (65000.6 - 64999.5) */
  assert_int_equal(bx.nvenues, 3);
  oms_sor_bestex_t q;
  assert_int_equal(oms_engine_best_execution(w->e, p, &q), 0);
  assert_int_equal(q.filled.raw, bx.filled.raw);
  assert_int_equal(oms_engine_best_execution(w->e, 99999, &q), OMS_ENOTFOUND);
  assert_int_equal(w->violations, 0);
  destroy(w);
}

/* Depth: each venue's levels reach the book through its market data, and
 * one pass takes them in price order across venues, one IOC child per venue
 * reaching down to the worst level it takes: A 65000 and 65001, B 65000.5,
 * C 65001.5 x2 (B's 65002 is left):
 * (65000 + 65000.5 + 65001 + 2 x 65001.5) / 5 = 65000.9. */
static void test_sweep_levels_of_three_books(void **state) {
  (void)state;
  world_t *w = make_flat(0);
  rest(w, 0, OMS_SIDE_SELL, "1", "65000");
  rest(w, 0, OMS_SIDE_SELL, "1", "65001");
  rest(w, 1, OMS_SIDE_SELL, "1", "65000.5");
  rest(w, 1, OMS_SIDE_SELL, "2", "65002");
  rest(w, 2, OMS_SIDE_SELL, "2", "65001.5");
  run_ms(w, 3);
  oms_md_level_t lv[OMS_MD_DEPTH];
  const oms_sor_book_t *b = oms_engine_sor_book(w->e);
  int ins = oms_sor_book_find(b, "BTC-USD");
  assert_int_equal(oms_sor_book_levels(b, ins, 1, OMS_SIDE_SELL, lv, OMS_MD_DEPTH), 2);
  assert_int_equal(lv[1].px.raw, T_D("65002").raw);
  uint64_t p = smart(w, OMS_SIDE_BUY, "5", "65003", OMS_SOR_POLICY_TAKE);
  run_ms(w, 5);
  oms_order_t po = get(w, p);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  assert_int_equal(po.avg_px.raw, T_D("65000.9").raw);
  int n[3];
  assert_int_equal(filled_at(w, p, "A", &n[0]), T_D("2").raw);
  assert_int_equal(filled_at(w, p, "B", &n[1]), T_D("1").raw);
  assert_int_equal(filled_at(w, p, "C", &n[2]), T_D("2").raw);
  assert_true(n[0] == 1 && n[1] == 1 && n[2] == 1); /* one child each, in one pass */
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_post_remainder_and_cancel(void **state) {
  (void)state;
  const char *maker[NV] = {"0", "-0.0002", "0.0001"}; /* B pays a rebate */
  const char *taker[NV] = {"0", "0.0003", "0"};
  world_t *w = make(maker, taker, 0);
  rest(w, 0, OMS_SIDE_SELL, "1", "65000");
  for (int i = 0; i < NV; i++) rest(w, i, OMS_SIDE_BUY, "1", "64990");
  run_ms(w, 3);
  uint64_t p = smart(w, OMS_SIDE_BUY, "3", "65000", OMS_SOR_POLICY_BEST);
  run_ms(w, 6);
  oms_order_t po = get(w, p);
  assert_int_equal(po.filled_qty.raw, T_D("1").raw);
  assert_int_equal(po.state, OMS_STATE_PARTIALLY_FILLED);
  /* the rest (2) rests at B, the rebate */
  int n;
  filled_at(w, p, "B", &n);
  assert_int_equal(n, 1);
  bool posted = false;
  for (int i = 0; i < w->nt; i++)
    if (w->t[i].parent == p && strcmp(w->t[i].venue, "B") == 0 && !w->t[i].done &&
        w->t[i].qty.raw == T_D("2").raw)
      posted = true;
  assert_true(posted);
  /* a seller arrives at B: the post fills */
  rest(w, 1, OMS_SIDE_SELL, "1", "65000");
  run_ms(w, 4);
  assert_int_equal(get(w, p).filled_qty.raw, T_D("2").raw);
  /* a replace is refused, a cancel cancels the post and then the parent */
  oms_modify_t m = {.qty = T_D("4")};
  oms_reject_t rej;
  assert_int_equal(oms_engine_modify(w->e, p, &m, &rej), OMS_EREJECTED);
  assert_int_equal(oms_engine_cancel(w->e, p, &rej), 0);
  assert_int_equal(oms_engine_cancel(w->e, p, &rej), OMS_EREJECTED);
  run_ms(w, 4);
  po = get(w, p);
  assert_int_equal(po.state, OMS_STATE_CANCELLED);
  assert_int_equal(po.filled_qty.raw, T_D("2").raw);
  assert_int_equal(w->bestex_events, 1);
  assert_int_equal(w->last_bx.filled.raw, T_D("2").raw);
  /* a rebate is a negative fee: 65000 x 0.0002 = 13 back for the maker fill */
  assert_int_equal(w->last_bx.fees.raw, T_D("-13").raw);
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_venue_down_mid_order(void **state) {
  (void)state;
  world_t *w = make_flat(0);
  rest(w, 0, OMS_SIDE_SELL, "1", "65000");
  rest(w, 1, OMS_SIDE_SELL, "1", "65000.5");
  rest(w, 2, OMS_SIDE_SELL, "1", "65000"); /* the best, but C goes down */
  run_ms(w, 3);
  uint64_t p = smart(w, OMS_SIDE_BUY, "3", "65001", OMS_SOR_POLICY_TAKE);
  oms_sim_venue_set_connected(w->v[2], false);
  run_ms(w, 5);
  int n;
  assert_int_equal(filled_at(w, p, "C", &n), 0);
  assert_int_equal(n, 0); /* nothing went to C */
  oms_order_t po = get(w, p);
  assert_int_equal(po.filled_qty.raw, T_D("2").raw);
  assert_int_equal(po.state, OMS_STATE_CANCELLED); /* TAKE: the rest had nowhere to go */
  /* a child in flight when its venue drops: held until the venue is back */
  oms_sim_venue_set_connected(w->v[2], true);
  run_ms(w, 3);
  rest(w, 0, OMS_SIDE_SELL, "5", "65003"); /* C still shows its 1 at 65000 */
  run_ms(w, 3);
  uint64_t p2 = smart(w, OMS_SIDE_BUY, "2", "65000", OMS_SOR_POLICY_BEST);
  w->now += MS;
  oms_engine_poll(w->e); /* routes: an IOC to C, the rest posted elsewhere later */
  oms_sim_venue_set_connected(w->v[2], false);
  run_ms(w, 20);
  assert_int_equal(w->violations, 0);
  oms_order_t o2 = get(w, p2);
  assert_true(o2.filled_qty.raw <= T_D("2").raw);
  oms_sim_venue_set_connected(w->v[2], true);
  run_ms(w, 3000);
  o2 = get(w, p2);
  assert_int_equal(filled_at(w, p2, "C", &n), T_D("1").raw);
  assert_int_equal(o2.filled_qty.raw, T_D("1").raw);
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_partial_fill_rerouted(void **state) {
  (void)state;
  world_t *w = make_flat(0);
  rest(w, 0, OMS_SIDE_SELL, "2", "65000");
  rest(w, 1, OMS_SIDE_SELL, "3", "65000.5");
  run_ms(w, 3);
  /* both route on the same view of A: the first takes 1 of A's 2, the
   * second asks A for 2, gets 1, and its rest goes to B */
  uint64_t p1 = smart(w, OMS_SIDE_BUY, "1", "65001", OMS_SOR_POLICY_TAKE);
  uint64_t p2 = smart(w, OMS_SIDE_BUY, "2", "65001", OMS_SOR_POLICY_TAKE);
  run_ms(w, 8);
  assert_int_equal(get(w, p1).state, OMS_STATE_FILLED);
  oms_order_t o2 = get(w, p2);
  assert_int_equal(o2.state, OMS_STATE_FILLED);
  int na, nb;
  assert_int_equal(filled_at(w, p2, "A", &na), T_D("1").raw);
  assert_int_equal(filled_at(w, p2, "B", &nb), T_D("1").raw);
  assert_int_equal(na, 1);
  assert_int_equal(nb, 1);
  assert_int_equal(o2.avg_px.raw, T_D("65000.25").raw);
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_stale_venue_ignored(void **state) {
  (void)state;
  world_t *w = make_flat(100 * MS);
  rest(w, 0, OMS_SIDE_SELL, "1", "65000"); /* the best, but it goes stale */
  rest(w, 1, OMS_SIDE_SELL, "1", "65000.5");
  run_ms(w, 200);
  rest(w, 1, OMS_SIDE_BUY, "1", "64000"); /* B quotes again: fresh */
  run_ms(w, 2);
  const oms_sor_book_t *b = oms_engine_sor_book(w->e);
  int ins = oms_sor_book_find(b, "BTC-USD");
  assert_false(oms_sor_book_usable(b, ins, 0, w->now));
  assert_true(oms_sor_book_usable(b, ins, 1, w->now));
  uint64_t p = smart(w, OMS_SIDE_BUY, "1", "65001", OMS_SOR_POLICY_TAKE);
  run_ms(w, 5);
  assert_int_equal(get(w, p).avg_px.raw, T_D("65000.5").raw);
  int n;
  filled_at(w, p, "A", &n);
  assert_int_equal(n, 0);
  /* a halted venue is avoided the same way */
  assert_int_equal(oms_engine_sor_set_state(w->e, "B", OMS_SOR_HALTED), 0);
  assert_int_equal(oms_engine_sor_set_state(w->e, "Z", OMS_SOR_HALTED), OMS_ENOTFOUND);
  rest(w, 1, OMS_SIDE_SELL, "1", "65000.5");
  run_ms(w, 2);
  uint64_t p2 = smart(w, OMS_SIDE_BUY, "1", NULL, OMS_SOR_POLICY_TAKE);
  run_ms(w, 5);
  assert_int_equal(get(w, p2).state, OMS_STATE_CANCELLED);
  assert_int_equal(get(w, p2).filled_qty.raw, 0);
  destroy(w);
}

static void test_refusals(void **state) {
  (void)state;
  world_t *w = make_flat(0);
  oms_order_request_t req;
  t_request(&req, "x1", OMS_SIDE_BUY, OMS_ORD_STOP, "1", "65000");
  req.stop_price = T_D("65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit_smart(w->e, &req, OMS_SOR_POLICY_BEST, &res), OMS_EREJECTED);
  t_request(&req, "x2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  assert_int_equal(oms_engine_submit_smart(w->e, &req, OMS_SOR_POLICY_NONE, &res), OMS_EREJECTED);
  strcpy(req.venue, "SIM"); /* not a smart routing venue */
  assert_int_equal(oms_engine_submit_smart(w->e, &req, OMS_SOR_POLICY_BEST, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_UNKNOWN_VENUE);
  t_request(&req, "x3", OMS_SIDE_BUY, OMS_ORD_MARKET, "1", NULL);
  assert_int_equal(oms_engine_submit_smart(w->e, &req, OMS_SOR_POLICY_POST, &res), OMS_EREJECTED);
  oms_sor_venue_cfg_t vc = {.name = "NOPE"};
  assert_int_equal(oms_engine_sor_add_venue(w->e, &vc), OMS_ENOTFOUND);
  assert_int_equal(oms_engine_sor_add_venue(w->e, NULL), OMS_EINVAL);
  strcpy(vc.name, "A");
  assert_int_equal(oms_engine_sor_add_venue(w->e, &vc), OMS_EEXIST);
  /* a named home venue works; an IOC parent never posts */
  t_request(&req, "x4", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  strcpy(req.venue, "B");
  req.tif = OMS_TIF_IOC;
  assert_int_equal(oms_engine_submit_smart(w->e, &req, OMS_SOR_POLICY_BEST, &res), 0);
  uint64_t p = res.order->order_id;
  run_ms(w, 3);
  assert_int_equal(get(w, p).state, OMS_STATE_CANCELLED);
  destroy(w);
}

/* A venue whose rate budget is spent (its router queue holds messages) is
 * throttled: the better price there is passed over. */
static void test_throttled_venue_avoided(void **state) {
  (void)state;
  oms_venue_route_config_t rc = {.msgs_per_sec = 1, .burst = 1, .queue_capacity = 8};
  g_route_a = &rc;
  world_t *w = make_flat(0);
  g_route_a = NULL;
  rest(w, 0, OMS_SIDE_SELL, "1", "65000");
  rest(w, 1, OMS_SIDE_SELL, "1", "65000.5");
  run_ms(w, 3);
  rest(w, 0, OMS_SIDE_BUY, "1", "64000"); /* no token left: it waits in A's queue */
  uint64_t p = smart(w, OMS_SIDE_BUY, "1", "65001", OMS_SOR_POLICY_TAKE);
  w->now += MS;
  oms_engine_poll(w->e);
  int n;
  filled_at(w, p, "A", &n);
  assert_int_equal(n, 0);
  assert_int_equal(oms_sor_book_state(oms_engine_sor_book(w->e), 0), OMS_SOR_THROTTLED);
  run_ms(w, 5);
  assert_int_equal(get(w, p).avg_px.raw, T_D("65000.5").raw);
  run_ms(w, 1200); /* tokens return, the queue drains: A is up again */
  uint64_t p2 = smart(w, OMS_SIDE_BUY, "1", "65001", OMS_SOR_POLICY_TAKE);
  w->now += MS;
  oms_engine_poll(w->e);
  filled_at(w, p2, "A", &n);
  assert_int_equal(n, 1); /* routed to A, which was up */
  run_ms(w, 1200);        /* its child waited for A's next token */
  assert_int_equal(get(w, p2).avg_px.raw, T_D("65000").raw);
  destroy(w);
}

/* ---- restart ------------------------------------------------------------------------ */

/* The process ends and starts again over the same store; the venues keep
 * their orders (g_durable: their state files), so reconciliation asks
 * them what became of the children. */
static void restart(world_t *w) {
  oms_engine_destroy(w->e);
  boot(w, w->maker, w->taker, w->stale_ns);
  uint32_t loaded = 0;
  assert_int_equal(oms_engine_recover(w->e, &loaded), 0);
}

static const oms_sor_bestex_t *bx_of(const world_t *w, uint64_t pid) {
  for (int i = 0; i < w->nbx; i++)
    if (w->bx[i].parent_id == pid) return &w->bx[i];
  return NULL;
}

/* Two records agree on everything a restart must not change (the number
 * of children per venue may: a child lost at a restart is sent again). */
static void bx_same(const oms_sor_bestex_t *a, const oms_sor_bestex_t *b) {
  assert_non_null(a);
  assert_non_null(b);
  assert_int_equal(a->arrival_ns, b->arrival_ns);
  assert_int_equal(a->arrival_bid.raw, b->arrival_bid.raw);
  assert_int_equal(a->arrival_ask.raw, b->arrival_ask.raw);
  assert_int_equal(a->qty.raw, b->qty.raw);
  assert_int_equal(a->filled.raw, b->filled.raw);
  assert_int_equal(a->avg_px.raw, b->avg_px.raw);
  assert_int_equal(a->notional.raw, b->notional.raw);
  assert_int_equal(a->fees.raw, b->fees.raw);
  assert_int_equal(a->improvement.raw, b->improvement.raw);
  assert_int_equal(a->eff_spread_px.raw, b->eff_spread_px.raw);
  for (uint32_t i = 0; i < a->nvenues; i++) {
    bool found = false;
    for (uint32_t j = 0; j < b->nvenues; j++) {
      if (strcmp(a->venue[i].venue, b->venue[j].venue) != 0) continue;
      found = true;
      assert_int_equal(a->venue[i].qty.raw, b->venue[j].qty.raw);
      assert_int_equal(a->venue[i].notional.raw, b->venue[j].notional.raw);
      assert_int_equal(a->venue[i].fees.raw, b->venue[j].fees.raw);
    }
    assert_true(found || a->venue[i].qty.raw == 0);
  }
}

/* The sweep of test_partial_fill_rerouted (p2's child at A comes back
 * with 1 of 2, its rest goes to B) with taker fees, restarted after
 * `at` ms (-1: never): at acceptance, with children in flight, with p2's
 * child partially filled, after the end. */
static int g_partial_restarts; /* restarts with p2 partially filled */
static uint32_t g_redelivered; /* reports the venues delivered again after their restart */

static void sweep_restarted(int at, oms_sor_bestex_t out[2]) {
  static const char *taker[NV] = {"0.0001", "0.0002", "0"};
  g_durable = 1;
  world_t *w = make(zero, taker, 0);
  g_durable = 0;
  const char *book[2][2] = {{"2", "65000"}, {"3", "65000.5"}};
  for (int vi = 0; vi < 2; vi++) rest(w, vi, OMS_SIDE_SELL, book[vi][0], book[vi][1]);
  run_ms(w, 3);
  uint64_t p1 = smart(w, OMS_SIDE_BUY, "1", "65001", OMS_SOR_POLICY_TAKE);
  uint64_t p2 = smart(w, OMS_SIDE_BUY, "2", "65001", OMS_SOR_POLICY_TAKE);
  if (at >= 0) {
    run_ms(w, at);
    oms_order_t o2 = get(w, p2);
    if (oms_dec_is_pos(o2.filled_qty) && o2.filled_qty.raw < o2.qty.raw) g_partial_restarts++;
    restart(w);
    for (int i = 0; i < NV; i++) {
      oms_sim_stats_t ss;
      oms_sim_venue_stats(w->v[i], &ss);
      g_redelivered += ss.redelivered;
    }
    run_ms(w, 3000); /* reconciliation: nothing new goes to a venue before */
  }
  run_ms(w, 10);
  for (int k = 0; k < 2; k++) {
    uint64_t p = k ? p2 : p1;
    oms_order_t po = get(w, p);
    assert_int_equal(po.state, OMS_STATE_FILLED);
    int64_t sum = 0;
    for (int i = 0; i < NV; i++) sum += filled_at(w, p, names[i], NULL);
    assert_int_equal(sum, po.filled_qty.raw);
    /* and the venues executed exactly that: nothing the OMS never heard of
     * (at 1 ms two IOC children had filled at A with their reports still
     * in its ring; its restart delivers them) */
    assert_int_equal(executed_at_venues(w, p), po.filled_qty.raw);
    const oms_sor_bestex_t *bx = bx_of(w, p);
    assert_non_null(bx);
    out[k] = *bx;
  }
  assert_int_equal(w->nbx, 2); /* once each, never again after a restart */
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_restart_mid_sweep_same_record(void **state) {
  (void)state;
  oms_sor_bestex_t ref[2], got[2];
  sweep_restarted(-1, ref);
  assert_int_equal(ref[1].filled.raw, T_D("2").raw);
  assert_int_equal(ref[1].avg_px.raw, T_D("65000.25").raw);
  for (int at = 0; at <= 8; at++) {
    g_redelivered = 0;
    sweep_restarted(at, got);
    /* every point, 1 ms included: there the IOC children at A had filled
     * with their reports still in the venue's ring, and the venue's restart
     * delivers them (with their fees), so the record is the same */
    bx_same(&ref[0], &got[0]);
    bx_same(&ref[1], &got[1]);
    if (at == 1) assert_true(g_redelivered > 0);
  }
  assert_true(g_partial_restarts > 0);
}

/* test_post_remainder_and_cancel's post, restarted after it rests and
 * again after it partially filled: the venue kept it, reconciliation finds
 * it, the parent takes its later fill, and the record ends as an
 * uninterrupted run's. */
static void post_restarted(bool twice, oms_sor_bestex_t *out) {
  static const char *maker[NV] = {"0", "-0.0002", "0.0001"};
  static const char *taker[NV] = {"0", "0.0003", "0"};
  g_durable = 1;
  world_t *w = make(maker, taker, 0);
  g_durable = 0;
  rest(w, 0, OMS_SIDE_SELL, "1", "65000");
  for (int i = 0; i < NV; i++) rest(w, i, OMS_SIDE_BUY, "1", "64990");
  run_ms(w, 3);
  uint64_t p = smart(w, OMS_SIDE_BUY, "3", "65000", OMS_SOR_POLICY_BEST);
  run_ms(w, 6);
  assert_int_equal(get(w, p).filled_qty.raw, T_D("1").raw);
  if (twice) {
    restart(w);
    run_ms(w, 3000); /* reconciled: the venue still holds the post */
    assert_int_equal(get(w, p).filled_qty.raw, T_D("1").raw);
  }
  rest(w, 1, OMS_SIDE_SELL, "1", "65000"); /* the post at B fills 1 of 2 */
  run_ms(w, 4);
  assert_int_equal(get(w, p).filled_qty.raw, T_D("2").raw);
  if (twice) {
    restart(w);
    run_ms(w, 3000); /* reconciled: the venue still holds the post */
    assert_int_equal(get(w, p).filled_qty.raw, T_D("2").raw);
    assert_int_equal(get(w, p).state, OMS_STATE_PARTIALLY_FILLED);
  }
  rest(w, 1, OMS_SIDE_SELL, "1", "65000"); /* the rest of the post fills */
  run_ms(w, 4);
  oms_order_t po = get(w, p);
  assert_int_equal(po.state, OMS_STATE_FILLED);
  int n;
  assert_int_equal(filled_at(w, p, "B", &n), T_D("2").raw);
  assert_int_equal(n, 1); /* the venue kept it: never sent again */
  assert_int_equal(w->nbx, 1);
  *out = w->bx[0];
  if (twice) { /* after the end: nothing to resume, nothing emitted again */
    restart(w);
    run_ms(w, 3000);
    assert_int_equal(get(w, p).state, OMS_STATE_FILLED);
    assert_int_equal(w->nbx, 1);
  }
  assert_int_equal(w->violations, 0);
  destroy(w);
}

static void test_restart_posted_rest_same_record(void **state) {
  (void)state;
  oms_sor_bestex_t ref, got;
  post_restarted(false, &ref);
  assert_int_equal(ref.fees.raw, T_D("-26").raw); /* two maker fills at B's rebate */
  post_restarted(true, &got);
  bx_same(&ref, &got);
}

/* Two resting smart parents across a restart with room for one record:
 * the first resumes (its post is sent again, once, and it can be cancelled
 * as any), the second has no record and can still be cancelled. */
static void test_restart_parent_can_be_cancelled(void **state) {
  (void)state;
  world_t *w = make_flat(0);
  rest(w, 0, OMS_SIDE_SELL, "1", "65010");
  run_ms(w, 3);
  uint64_t p = smart(w, OMS_SIDE_BUY, "2", "65000", OMS_SOR_POLICY_POST);
  uint64_t q = smart(w, OMS_SIDE_BUY, "1", "65000", OMS_SOR_POLICY_POST);
  run_ms(w, 5);
  assert_int_equal(get(w, p).state, OMS_STATE_ACCEPTED);
  /* the venues come back empty (no state files): the children are gone */
  w->max_parents = 1;
  restart(w);
  run_ms(w, 3000); /* reconciliation: the new venues do not know the children */
  rest(w, 0, OMS_SIDE_SELL, "1", "65010");
  run_ms(w, 4);
  int open[2] = {0, 0};
  for (int i = 0; i < w->nt; i++)
    if ((w->t[i].parent == p || w->t[i].parent == q) && !w->t[i].done) open[w->t[i].parent == q]++;
  assert_int_equal(open[0], 1);
  assert_int_equal(open[1], 0);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, q, &rej), 0);
  assert_int_equal(get(w, q).state, OMS_STATE_CANCELLED);
  assert_int_equal(oms_engine_cancel(w->e, p, &rej), 0);
  run_ms(w, 5);
  assert_int_equal(get(w, p).state, OMS_STATE_CANCELLED);
  assert_int_equal(oms_engine_cancel(w->e, p, &rej), OMS_EREJECTED);
  assert_int_equal(oms_engine_cancel(w->e, q, &rej), OMS_EREJECTED);
  assert_int_equal(w->violations, 0);
  destroy(w);
}

/* ---- a crash at every store unit ----------------------------------------------------
 * The store keeps the first g_cut units the engine appends; at the next one
 * the process dies (kill -9): that unit and every later one never reach
 * the store, so their effects (venue messages, subscribers' events) never
 * run either, as they wait for it to be durable. The simulated venues live
 * in the same process: they die at the same instant, so their state files
 * are taken as they were then (a report the engine took in a unit that was
 * lost is delivered again after the restart). The test then restarts over
 * the store and the venues' files as they were left. */
static int g_cut = -1;  /* units kept before the crash; -1: no crash */
static int g_units;     /* units appended */
static bool g_crashed;  /* the unit after the cut was reached */
static uint64_t g_lost; /* tickets handed out for units never stored */
static const oms_store_vtbl_t *g_real_vt;
static oms_store_vtbl_t g_cut_vt;
static world_t *g_world; /* whose venues die with the crash */

/* Venue i's state file as it is now, kept aside for the restart. */
static void keep_state(const world_t *w, int i) {
  char to[128];
  snprintf(to, sizeof to, "%s.crash", w->spath[i]);
  FILE *in = fopen(w->spath[i], "rb"), *out = fopen(to, "wb");
  assert_non_null(in);
  assert_non_null(out);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

static int cut_append(oms_store_t *s, const oms_store_unit_t *u, unsigned flags, uint64_t *ticket) {
  if (!g_crashed && (g_cut < 0 || g_units < g_cut)) {
    int rc = g_real_vt->append(s, u, flags, ticket);
    if (rc == 0) g_units++;
    return rc;
  }
  if (!g_crashed)
    for (int i = 0; i < NV; i++)
      if (g_world->spath[i][0] != '\0') keep_state(g_world, i);
  g_crashed = true;
  *ticket = g_real_vt->durable_ticket(s) + ++g_lost; /* never durable */
  return 0;
}

static void cut_install(world_t *w) {
  g_world = w;
  g_real_vt = w->store->vt;
  g_cut_vt = *g_real_vt;
  g_cut_vt.append = cut_append;
  w->store->vt = &g_cut_vt;
}

/* The process died (or, with no crash, stops at the end): it starts again
 * over the store, with every unit appended after the cut lost. */
static void crash_restart(world_t *w) {
  w->store->vt = g_real_vt;
  oms_engine_destroy(w->e);
  for (int i = 0; g_crashed && i < NV; i++) {
    char from[128];
    snprintf(from, sizeof from, "%s.crash", w->spath[i]);
    if (w->spath[i][0] != '\0') assert_int_equal(rename(from, w->spath[i]), 0);
  }
  g_crashed = false;
  g_cut = -1;
  boot(w, w->maker, w->taker, w->stale_ns);
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  run_ms(w, 3000); /* reconciliation, then the recovered parents resume */
  cut_install(w);
}

/* run_ms that stops at the crash; returns true if it came. */
static bool run_ms_until_crash(world_t *w, int ms) {
  for (int i = 0; i < ms && !g_crashed; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
  return g_crashed;
}

/* The BestExecution events of order pid in the store. */
typedef struct bxs_s {
  int n;
  oms_sor_bestex_t bx;
} bxs_t;

static int count_bx(void *ctx, const oms_event_t *ev) {
  bxs_t *b = ctx;
  if (ev->type != OMS_EVT_BEST_EXECUTION) return 0;
  uint32_t fills[OMS_SOR_MAX_VENUES];
  assert_int_equal(oms_store_bestex_decode(ev->algo, ev->algo_len, &b->bx, fills), 0);
  b->n++;
  return 0;
}

typedef struct ended_s {
  int units; /* appended after the parents were accepted, uninterrupted */
  oms_ord_state_t state[2];
  int64_t filled[2];
  oms_sor_bestex_t bx[2];
} ended_t;

/* Smart parents that end three ways, the process killed after `cut` units
 * of the store counted from their acceptance (-1: never):
 *   0 FILLED by a child's fill (test_partial_fill_rerouted's sweep: p2 gets
 *     1 of 2 at A, the rest at B), two parents;
 *   1 CANCELLED when no venue can take the rest (a TAKE parent for 3 where
 *     the books hold 2: the engine ends it itself);
 *   2 CANCELLED by its client while its rest is posted at a venue (the
 *     post's end confirms the cancel), after a first fill.
 * A client action whose answer the crash swallowed is made again after
 * the restart, as a client that heard nothing would. With or without the
 * crash, the run ends with a restart over the store (nothing is emitted
 * again after an end). */
static void ended_crashed(int kind, int cut, ended_t *out) {
  static const char *maker[NV] = {"0", "-0.0002", "0.0001"};
  static const char *taker[NV] = {"0.0001", "0.0002", "0"};
  g_durable = 1;
  world_t *w = make(maker, taker, 0);
  g_durable = 0;
  int np = kind == 0 ? 2 : 1;
  uint64_t p[2] = {0, 0};
  if (kind == 0) {
    rest(w, 0, OMS_SIDE_SELL, "2", "65000");
    rest(w, 1, OMS_SIDE_SELL, "3", "65000.5");
  } else if (kind == 1) {
    rest(w, 0, OMS_SIDE_SELL, "1", "65000");
    rest(w, 1, OMS_SIDE_SELL, "1", "65000.5");
    /* quoted still once the asks are taken: a recovered parent waits for
     * a quote before it routes (and ends) again */
    rest(w, 2, OMS_SIDE_BUY, "1", "64990");
  } else {
    rest(w, 0, OMS_SIDE_SELL, "1", "65000");
    for (int i = 0; i < NV; i++) rest(w, i, OMS_SIDE_BUY, "1", "64990");
  }
  run_ms(w, 3);
  cut_install(w);
  if (kind == 0) {
    p[0] = smart(w, OMS_SIDE_BUY, "1", "65001", OMS_SOR_POLICY_TAKE);
    p[1] = smart(w, OMS_SIDE_BUY, "2", "65001", OMS_SOR_POLICY_TAKE);
  } else if (kind == 1) {
    p[0] = smart(w, OMS_SIDE_BUY, "3", "65001", OMS_SOR_POLICY_TAKE);
  } else {
    p[0] = smart(w, OMS_SIDE_BUY, "3", "65000", OMS_SOR_POLICY_BEST);
  }
  g_units = 0;
  g_cut = cut;
  bool restarted = false;
  if (run_ms_until_crash(w, 8)) crash_restart(w), restarted = true;
  if (kind == 2) {
    /* the post rests at B with 1 of 3 filled: the client cancels */
    assert_int_equal(get(w, p[0]).filled_qty.raw, T_D("1").raw);
    oms_reject_t rej;
    assert_int_equal(oms_engine_cancel(w->e, p[0], &rej), 0);
    if (g_crashed) { /* its answer was never sent: it asks again */
      crash_restart(w), restarted = true;
      if (!oms_ord_state_is_terminal(get(w, p[0]).state))
        assert_int_equal(oms_engine_cancel(w->e, p[0], &rej), 0);
    }
    if (run_ms_until_crash(w, 8)) crash_restart(w), restarted = true;
  }
  run_ms(w, 10);
  if (!restarted) {
    if (out != NULL) out->units = g_units;
    crash_restart(w); /* after the end: nothing to resume, nothing again */
    run_ms(w, 10);
  }
  w->store->vt = g_real_vt;
  g_cut = -1;
  for (int k = 0; k < np; k++) {
    oms_order_t po = get(w, p[k]);
    assert_true(oms_ord_state_is_terminal(po.state));
    /* exactly one BestExecution: told to the subscribers once, stored once,
     * the same record */
    int told = 0;
    for (int i = 0; i < w->nbx; i++) told += w->bx[i].parent_id == p[k];
    if (told != 1)
      fail_msg("kind %d cut %d: parent %d told %d BestExecution events", kind, cut, k, told);
    bxs_t b = {0};
    assert_int_equal(oms_store_events_for_order(w->store, p[k], count_bx, &b), 0);
    if (b.n != 1)
      fail_msg("kind %d cut %d: parent %d has %d BestExecution events stored", kind, cut, k, b.n);
    bx_same(bx_of(w, p[k]), &b.bx);
    oms_bestex_row_t row;
    assert_int_equal(oms_store_get_best_execution(w->store, p[k], &row), 0);
    bx_same(&b.bx, &row.bx);
    if (out != NULL) {
      out->state[k] = po.state;
      out->filled[k] = po.filled_qty.raw;
      out->bx[k] = b.bx;
    }
  }
  assert_int_equal(w->violations, 0);
  destroy(w);
}

/* The proof of the end and its BestExecution being one unit: for each way
 * a smart parent ends, the process is killed after every unit the store
 * took from the parents' acceptance to the end of the uninterrupted run
 * (among them, right after the unit that ends the parent, where the event
 * used to be lost): every run ends with the same states, fills and
 * best-execution figures as the uninterrupted one, and one BestExecution
 * event per parent, never zero, never two. */
static void test_crash_at_every_unit_one_bestex(void **state) {
  (void)state;
  for (int kind = 0; kind < 3; kind++) {
    ended_t ref, got;
    memset(&ref, 0, sizeof ref);
    ended_crashed(kind, -1, &ref);
    assert_true(ref.units > 4);
    int np = kind == 0 ? 2 : 1;
    for (int k = 0; k < np; k++) assert_true(oms_dec_is_pos((oms_dec_t){ref.filled[k]}));
    assert_int_equal(ref.state[0], kind == 0 ? OMS_STATE_FILLED : OMS_STATE_CANCELLED);
    for (int cut = 0; cut <= ref.units; cut++) {
      memset(&got, 0, sizeof got);
      ended_crashed(kind, cut, &got);
      for (int k = 0; k < np; k++) {
        if (got.state[k] != ref.state[k] || got.filled[k] != ref.filled[k])
          fail_msg("kind %d cut %d: parent %d ended %s with %lld, not %s with %lld", kind, cut, k,
                   oms_ord_state_str(got.state[k]), (long long)got.filled[k],
                   oms_ord_state_str(ref.state[k]), (long long)ref.filled[k]);
        bx_same(&ref.bx[k], &got.bx[k]);
      }
    }
  }
}

/* Random books, random smart parents of every policy, venues dropping and
 * coming back, cancels: never more held by children than the parent. */
static void test_no_overfill_property(void **state) {
  (void)state;
  uint64_t x = 0x9e3779b97f4a7c15ull;
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
  for (int round = 0; round < 6; round++) {
    world_t *w = make_flat(round % 2 ? 50 * MS : 0);
    w->lenient = true;
    uint64_t parents[64];
    int np = 0;
    for (int step = 0; step < 400; step++) {
      uint64_t r = RND();
      int vi = (int)(r % NV);
      switch ((r >> 8) % 8) {
        case 0:
        case 1:
        case 2: {
          char px[32], qty[16];
          bool sell = (r >> 12) & 1;
          snprintf(px, sizeof(px), "%d.%d", 64995 + (int)((r >> 16) % 10) + (sell ? 2 : -2),
                   (int)((r >> 24) % 2) * 5);
          snprintf(qty, sizeof(qty), "%d", 1 + (int)((r >> 28) % 4));
          rest(w, vi, sell ? OMS_SIDE_SELL : OMS_SIDE_BUY, qty, px);
          break;
        }
        case 3:
        case 4:
          if (np < 60) {
            char px[32], qty[16];
            snprintf(px, sizeof(px), "%d", 64990 + (int)((r >> 16) % 20));
            snprintf(qty, sizeof(qty), "%d", 1 + (int)((r >> 28) % 8));
            parents[np++] = smart(
                w, (r >> 12) & 1 ? OMS_SIDE_SELL : OMS_SIDE_BUY, qty, (r >> 40) % 4 ? px : NULL,
                (r >> 40) % 4 ? (oms_sor_policy_t)(1 + (r >> 44) % 3) : OMS_SOR_POLICY_TAKE);
          }
          break;
        case 5: oms_sim_venue_set_connected(w->v[vi], ((r >> 16) % 3) != 0); break;
        case 6:
          if (np > 0) {
            oms_reject_t rej;
            oms_engine_cancel(w->e, parents[(r >> 16) % (uint64_t)np], &rej);
          }
          break;
        default: break;
      }
      run_ms(w, 1 + (int)((r >> 50) % 3));
      assert_int_equal(w->violations, 0);
    }
    for (int i = 0; i < NV; i++) oms_sim_venue_set_connected(w->v[i], true);
    run_ms(w, 3000);
    /* every parent's fills are its children's */
    int64_t total = 0;
    for (int i = 0; i < np; i++) {
      oms_order_t po = get(w, parents[i]);
      int64_t sum = 0;
      for (int k = 0; k < w->nt; k++)
        if (w->t[k].parent == parents[i]) sum += w->t[k].filled.raw;
      assert_int_equal(po.filled_qty.raw, sum);
      assert_true(sum <= po.qty.raw);
      assert_true(oms_ord_state_is_terminal(po.state) || po.state == OMS_STATE_ACCEPTED ||
                  po.state == OMS_STATE_PARTIALLY_FILLED);
      total += sum;
    }
    assert_true(total > 0); /* the run traded */
    assert_int_equal(w->violations, 0);
    destroy(w);
  }
#undef RND
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_better_price_worse_fee_loses),
      cmocka_unit_test(test_sweep_three_books),
      cmocka_unit_test(test_sweep_levels_of_three_books),
      cmocka_unit_test(test_post_remainder_and_cancel),
      cmocka_unit_test(test_venue_down_mid_order),
      cmocka_unit_test(test_partial_fill_rerouted),
      cmocka_unit_test(test_stale_venue_ignored),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_throttled_venue_avoided),
      cmocka_unit_test(test_restart_mid_sweep_same_record),
      cmocka_unit_test(test_restart_posted_rest_same_record),
      cmocka_unit_test(test_restart_parent_can_be_cancelled),
      cmocka_unit_test(test_crash_at_every_unit_one_bestex),
      cmocka_unit_test(test_no_overfill_property),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
