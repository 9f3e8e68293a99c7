/*
 * bench_sor.c - smart order routing: the routing decision over a
 * consolidated book of 5 venues, and the in-process submission of a
 * smart-routed order.
 *
 *   sor_route_5_venues      oms_sor_route() alone: a buy that sweeps three of
 *                           five venues by fee-adjusted price (one venue's
 *                           quote changes before every call, as market data
 *                           would)
 *   sor_route_5_venues_depth  the same with 5 levels a side per venue (one
 *                           venue's whole book changes before every call):
 *                           a buy of 20 that takes some 10 levels of 3
 *                           venues (the counts are printed)
 *   core_submit_plain       oms_engine_submit() of an ordinary limit order,
 *                           the same world: the same-run reference
 *   core_submit_smart       oms_engine_submit_smart(): the parent accepted
 *   core_submit_smart_routed  oms_engine_submit_smart() and the poll that
 *                           routes it: the decision, 3 IOC children submitted
 *                           to 3 simulated venues (which match them at once)
 *   clock_floor             two clock reads back to back: the timer's own cost
 *
 * The world: a null store (durable at once, bench_null_store.h), no risk
 * engine, 5 simulated venues each with a liquidity provider on one symbol.
 * OMS_BENCH_ORDERS (default 20000) per round, OMS_BENCH_ROUNDS rounds,
 * medians reported; OMS_BENCH_ONLY=<name> runs one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_null_store.h"
#include "bench_util.h"
#include "oms/engine.h"
#include "oms/sim_venue.h"
#include "oms/sor.h"

#define NV 5
#define T0 INT64_C(1705330800000000000)
#define MS INT64_C(1000000)

static int N = 20000, WARMUP = 4000;
static int64_t now_ns = T0;
static bench_null_store_t null_store;
static const char *const vname[NV] = {"V1", "V2", "V3", "V4", "V5"};

static void die(const char *what, const char *why) {
  fprintf(stderr, "bench_sor: %s: %s\n", what, why);
  exit(1);
}

static oms_dec_t cents(int64_t c) { return oms_dec_from_raw(c * (OMS_DEC_SCALE / 100)); }
static oms_dec_t units(int64_t n) { return oms_dec_from_raw(n * OMS_DEC_SCALE); }

/* Venue vi's book of nlev levels a side, 1 cent apart, shifted by shift
 * cents, sizes 1 + (k + shift) % 3. */
static void fill_md(oms_market_data_t *md, int vi, int nlev, int shift) {
  md->bid = cents(9990 - vi);
  md->ask = cents(10000 + vi + shift);
  md->bid_qty = units(2);
  md->ask_qty = units(1 + shift % 3);
  md->n_bid_depth = md->n_ask_depth = (uint32_t)(nlev - 1);
  for (int k = 1; k < nlev; k++) {
    md->bid_depth[k - 1] = (oms_md_level_t){cents(9990 - vi - k), units(2)};
    md->ask_depth[k - 1] =
        (oms_md_level_t){cents(10000 + vi + shift + k), units(1 + (k + shift) % 3)};
  }
}

static void run_route(const char *name, int nlev, int64_t qty) {
  oms_sor_book_t *b;
  if (oms_sor_book_create(16, 0, &b) != 0) die("create", "book");
  for (int i = 0; i < NV; i++) {
    oms_sor_venue_cfg_t c = {.taker_fee_rate = oms_dec_from_raw(i * 10000), /* i bps */
                             .maker_fee_rate = oms_dec_from_raw(-i * 5000),
                             .latency_ns = 1000 * (i + 1)};
    strcpy(c.name, vname[i]);
    if (oms_sor_book_add_venue(b, &c) < 0) die("venue", vname[i]);
  }
  oms_market_data_t md = {.symbol = "BTC-USD"};
  for (int i = 0; i < NV; i++) {
    fill_md(&md, i, nlev, 0);
    md.bid_qty = md.ask_qty = units(2);
    oms_sor_book_update(b, i, &md);
  }
  int ins = oms_sor_book_find(b, "BTC-USD");
  oms_sor_request_t q = {
      .side = OMS_SIDE_BUY, .qty = units(qty), .limit_px = cents(10010), .lot = units(1)};
  bench_t bt;
  bench_init(&bt, name, (size_t)N);
  oms_sor_plan_t p;
  uint64_t children = 0, levels = 0;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&bt);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      int vi = i % NV;
      if (nlev == 1) {
        md.ask = cents(10000 + (i * 7) % 5);
        md.ask_qty = units(1 + i % 3);
      } else {
        fill_md(&md, vi, nlev, (i * 7) % 5);
      }
      oms_sor_book_update(b, vi, &md);
      uint64_t t0 = bench_now_ns();
      oms_sor_route(b, ins, OMS_SOR_POLICY_BEST, &q, 0, &p);
      uint64_t dt = bench_now_ns() - t0;
      BENCH_KEEP(p.n);
      children += p.n;
      for (uint32_t k = 0; k < p.n; k++) levels += p.child[k].levels;
      busy += dt;
      if (r >= 0) bench_add(&bt, dt);
    }
    if (r >= 0) bench_round_end(&bt, busy);
  }
  double calls = (double)(WARMUP + (uint64_t)N * (uint64_t)bench_rounds());
  printf("# %s: %.2f children, %.2f levels taken per decision\n", name, (double)children / calls,
         (double)levels / calls);
  bench_report(&bt);
  oms_sor_book_destroy(b);
}

static oms_engine_t *make_world(void) {
  null_store.ticket = 0;
  oms_clock_t clock = oms_clock_manual(&now_ns);
  oms_engine_config_t cfg = {.clock = clock,
                             .store = &null_store.base,
                             .max_orders = 65536,
                             .max_parents = 4096,
                             .max_venues = NV,
                             .sor_stale_ns = -1};
  oms_engine_t *e;
  if (oms_engine_create(&cfg, &e) != 0) die("create", "engine");
  for (int i = 0; i < NV; i++) {
    oms_sim_symbol_t s;
    memset(&s, 0, sizeof(s));
    strcpy(s.ins.symbol, "BTC-USD");
    strcpy(s.ins.venue, vname[i]);
    s.ins.tick_size = cents(1);
    s.ins.lot_size = units(1);
    s.ins.multiplier = units(1);
    s.lp = (oms_sim_lp_t){.enabled = true,
                          .ref_px = cents(10000 + i),
                          .spread_ticks = 2,
                          .levels = 3,
                          .size = units(1)};
    oms_sim_config_t sc = {.name = vname[i],
                           .clock = clock,
                           .max_orders = 65536,
                           .taker_fee_rate = oms_dec_from_raw(i * 10000),
                           .symbols = &s,
                           .nsymbols = 1};
    oms_venue_t *v;
    oms_reject_t err;
    if (oms_sim_venue_create(&sc, &v) != 0) die("create", "sim venue");
    if (oms_engine_add_instrument(e, &s.ins, &err) != 0) die("instrument", err.text);
    if (oms_engine_add_venue(e, v, NULL) != 0) die("venue", vname[i]);
    oms_sor_venue_cfg_t c = {.taker_fee_rate = oms_dec_from_raw(i * 10000),
                             .latency_ns = 1000 * (i + 1)};
    strcpy(c.name, vname[i]);
    if (oms_engine_sor_add_venue(e, &c) != 0) die("sor venue", vname[i]);
  }
  now_ns += MS;
  oms_engine_poll(e); /* the first quotes */
  return e;
}

static void request(oms_order_request_t *q, uint64_t seq, bool plain) {
  memset(q, 0, sizeof(*q));
  snprintf(q->client_order_id, sizeof(q->client_order_id), "b%llu", (unsigned long long)seq);
  strcpy(q->strategy_id, "S1");
  strcpy(q->account_id, "ACC1");
  strcpy(q->symbol, "BTC-USD");
  if (plain) strcpy(q->venue, vname[seq % NV]);
  q->side = seq & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
  q->type = OMS_ORD_LIMIT;
  q->tif = plain ? OMS_TIF_IOC : OMS_TIF_GTC;
  q->qty = units(3);
  q->price = q->side == OMS_SIDE_BUY ? cents(10100) : cents(9900);
}

__attribute__((noinline)) static int timed_submit(oms_engine_t *e, const oms_order_request_t *q,
                                                  bool plain, oms_submit_result_t *res) {
  int rc = plain ? oms_engine_submit(e, q, res)
                 : oms_engine_submit_smart(e, q, OMS_SOR_POLICY_TAKE, res);
  BENCH_KEEP(rc);
  return rc;
}

/* mode 0: plain; 1: smart, submission alone; 2: smart, submission + routing poll */
static void run_submit(int mode) {
  static const char *const names[] = {"core_submit_plain", "core_submit_smart",
                                      "core_submit_smart_routed"};
  oms_engine_t *e = make_world();
  bench_t b;
  bench_init(&b, names[mode], (size_t)N);
  oms_order_request_t req;
  oms_submit_result_t res;
  uint64_t seq = 0;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      request(&req, ++seq, mode == 0);
      now_ns += MS; /* the providers re-quote what the last order took */
      oms_engine_poll(e);
      uint64_t t0 = bench_now_ns();
      int rc = timed_submit(e, &req, mode == 0, &res);
      if (mode == 2) oms_engine_poll(e);
      uint64_t dt = bench_now_ns() - t0;
      if (rc != 0) die(b.name, res.reject.text);
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
      oms_engine_poll(e);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  oms_engine_destroy(e);
}

static void run_floor(void) {
  bench_t b;
  bench_init(&b, "clock_floor", (size_t)N);
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      uint64_t t0 = bench_now_ns();
      uint64_t dt = bench_now_ns() - t0;
      if (r >= 0) bench_add(&b, dt);
    }
    if (r >= 0) bench_round_end(&b, 0);
  }
  bench_report(&b);
}

int main(void) {
  const char *env = getenv("OMS_BENCH_ORDERS");
  if (env != NULL && atoi(env) >= 100) {
    N = atoi(env);
    WARMUP = N / 5;
  }
  bench_null_store_init(&null_store);
  const char *only = getenv("OMS_BENCH_ONLY");
  if (only == NULL || strcmp(only, "clock_floor") == 0) run_floor();
  if (only == NULL || strcmp(only, "sor_route_5_venues") == 0)
    run_route("sor_route_5_venues", 1, 5);
  if (only == NULL || strcmp(only, "sor_route_5_venues_depth") == 0)
    run_route("sor_route_5_venues_depth", 5, 20);
  if (only == NULL || strcmp(only, "core_submit_plain") == 0) run_submit(0);
  if (only == NULL || strcmp(only, "core_submit_smart") == 0) run_submit(1);
  if (only == NULL || strcmp(only, "core_submit_smart_routed") == 0) run_submit(2);
  return 0;
}
