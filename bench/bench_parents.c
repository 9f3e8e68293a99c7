/*
 * bench_parents.c - the core with parent orders running: what 10,000 active
 * parents cost per clock tick, and whether an ordinary submission feels
 * them.
 *
 * The world is bench_core's in small: a NULL STORE (durable at once), every
 * built-in risk check on with loose limits, 20 symbols on one simulated
 * venue whose liquidity provider quotes deep books that do not move (so
 * market data changes on trades only). The parents are TWAPs of 100 over an
 * hour in 60 s slices, crossing the spread (IOC children that fill at
 * once), half buying, half selling, spread over 8 accounts and the 20
 * symbols; each sends a child about once a minute, so 10,000 of them send
 * about 167 children a second of market time.
 *
 *   parents_tick_idle / parents_tick: one oms_engine_poll() after the clock
 *     moved 1 ms, with no parent and with 10,000 working parents (the
 *     parents due at that tick step, their children are submitted, routed,
 *     filled at the venue's next poll and booked into their parents).
 *   core_submit_no_parents / core_submit_parents: one oms_engine_submit()
 *     of an ordinary passive limit order, timed alone, in a world without
 *     parents and in one with 10,000 working; between two submissions the
 *     clock moves 1 ms and the core polls (outside the timed call), so the
 *     parents work between the submissions as they would in production.
 * The target: core_submit_parents p99 within 10% of
 * core_submit_no_parents p99 (same run; the machine's noise is in both).
 */
#include <stdio.h>
#include <string.h>

#include "bench_null_store.h"
#include "bench_util.h"
#include "bench_world.h"
#include "oms/algo.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"

#define NSYM 20
#define NACC 8
#define T0 INT64_C(1705330800000000000) /* a Monday, 10:00 in New York */
#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)

static int N = 20000, WARMUP = 4000, PARENTS = 10000;
static int64_t now_ns = T0;

static bench_null_store_t null_store;

/* ---- the world ---------------------------------------------------------------- */

static void die(const char *what, const char *why) {
  fprintf(stderr, "bench_parents: %s: %s\n", what, why);
  exit(1);
}

static char sym[NSYM][16], acc[NACC][16];

typedef struct world_s {
  oms_engine_t *e;
  oms_risk_t *risk;
  oms_portfolio_t *pf;
  uint64_t seq;
} world_t;

static void make(world_t *w, int parents) {
  memset(w, 0, sizeof(*w));
  null_store.ticket = 0;
  oms_clock_t clock = oms_clock_manual(&now_ns);
  bench_world_parts(&w->pf, &w->risk);
  oms_engine_config_t cfg = {.clock = clock,
                             .store = &null_store.base,
                             .risk = w->risk,
                             .portfolio = w->pf,
                             .max_orders = 65536,
                             .max_parents = 16384};
  if (oms_engine_create(&cfg, &w->e) != 0) die("create", "engine");
  oms_sim_symbol_t ss[NSYM];
  bench_world_symbols(ss, sym, NSYM);
  for (int i = 0; i < NSYM; i++)
    ss[i].lp = (oms_sim_lp_t){
        .enabled = true, .ref_px = I(100 + i), .spread_ticks = 2, .levels = 5, .size = I(1000000)};
  bench_world_venue(w->e, clock, 65536, ss, NSYM);
  bench_world_prices(w->pf, w->risk, sym, NSYM, T0);
  for (int i = 0; i < NACC; i++) bench_world_account(w->pf, acc[i], i, 1000000000, T0);
  /* bench_core's limits, loosened for 10,000 parents that each hold a
   * position and send a child a minute for an hour */
  oms_risk_limits_t *l;
  oms_risk_limits_create(&l);
  oms_risk_limit_t g;
  bench_world_limits(&g);
  g.max_position = I(10000000);
  g.max_open_orders_account = 100000;
  g.max_open_orders_strategy = 100000;
  g.daily_loss = I(100000000);
  g.max_leverage = I(100);
  g.max_margin_usage = I(100);
  g.max_ref_age_ns = INT64_C(36000) * SEC;
  g.credit_limit = I(1000000000);
  g.order_rate_account = 60000;
  g.order_rate_strategy = 60000;
  g.cancel_rate_account = 60000;
  g.cancel_rate_strategy = 60000;
  oms_reject_t err;
  if (oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err) != 0) die("limits", err.text);
  for (int i = 0; i < NSYM; i++) oms_risk_limits_symbol_list(l, sym[i], true, &err);
  bench_world_set_limits(w->risk, l);
  oms_engine_poll(w->e);

  /* The parents, started one after the other over a minute. */
  for (int k = 0; k < parents; k++) {
    oms_order_request_t q;
    memset(&q, 0, sizeof q);
    snprintf(q.client_order_id, sizeof q.client_order_id, "p%d", k);
    snprintf(q.strategy_id, sizeof q.strategy_id, "algo%d", k % 4);
    strcpy(q.account_id, acc[k % NACC]);
    strcpy(q.venue, "SIM");
    strcpy(q.symbol, sym[k % NSYM]);
    q.tif = OMS_TIF_GTC;
    oms_algo_params_t p;
    oms_algo_params_init(&p, OMS_ALGO_TWAP, k % 2 ? OMS_SIDE_SELL : OMS_SIDE_BUY,
                         I(100 + (k / NSYM) % 400)); /* unique within the duplicate window */
    OMS_ALGO_SET(&p, end_ns, now_ns + 3600 * SEC);
    OMS_ALGO_SET(&p, slice_ns, 60 * SEC);
    OMS_ALGO_SET(&p, aggression, (uint8_t)OMS_AGGR_CROSS);
    oms_submit_result_t res;
    if (oms_engine_submit_parent(w->e, &q, &p, &res) != 0) die("parent", res.reject.text);
    now_ns += 60 * SEC / parents; /* their slices spread over the minute */
    oms_engine_poll(w->e);
  }
  for (int i = 0; i < 60000; i++) { /* a minute: every parent has sent */
    now_ns += MS;
    oms_engine_poll(w->e);
  }
}

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
}

/* The timed poll, apart for a profiler (--toggle-collect=timed_poll). */
__attribute__((noinline)) static int timed_poll(oms_engine_t *e) {
  int n = oms_engine_poll(e);
  BENCH_KEEP(n); /* not a tail call: the profiler sees the poll inside */
  return n;
}

static void run_tick(int parents) {
  world_t w;
  make(&w, parents);
  bench_t b;
  bench_init(&b, parents ? "parents_tick" : "parents_tick_idle", (size_t)N);
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      now_ns += MS;
      uint64_t t0 = bench_now_ns();
      timed_poll(w.e);
      uint64_t dt = bench_now_ns() - t0;
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  oms_engine_stats_t st;
  oms_engine_stats(w.e, &st);
  printf("# %s: %llu orders submitted in all (parents and children)\n", b.name,
         (unsigned long long)st.submitted);
  bench_report(&b);
  destroy(&w);
}

/* An ordinary passive order: rests, cancelled outside the timed call. */
static void request(oms_order_request_t *q, uint64_t i) {
  bench_world_request(q, i, "manual", sym, NSYM, acc, NACC);
}

/* The timed call, apart, so that a profiler can count it alone
 * (valgrind --toggle-collect=timed_submit): the children the parents submit
 * from the poll are not in it. */
__attribute__((noinline)) static int timed_submit(oms_engine_t *e, const oms_order_request_t *q,
                                                  oms_submit_result_t *res) {
  int rc = oms_engine_submit(e, q, res);
  BENCH_KEEP(rc);
  return rc;
}

static void run_submit(int parents) {
  world_t w;
  make(&w, parents);
  bench_t b;
  bench_init(&b, parents ? "core_submit_parents" : "core_submit_no_parents", (size_t)N);
  oms_order_request_t req;
  oms_submit_result_t res;
  oms_reject_t rej;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      request(&req, ++w.seq);
      now_ns += MS;
      oms_engine_poll(w.e);
      uint64_t t0 = bench_now_ns();
      int rc = timed_submit(w.e, &req, &res);
      uint64_t dt = bench_now_ns() - t0;
      if (rc != 0) die(b.name, res.reject.text);
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
      oms_engine_poll(w.e);
      if (oms_engine_cancel(w.e, res.order->order_id, &rej) != 0) die("cancel", rej.text);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  destroy(&w);
}

int main(void) {
  const char *env = getenv("OMS_BENCH_ORDERS");
  if (env != NULL && atoi(env) >= 100) {
    N = atoi(env);
    WARMUP = N / 5;
  }
  env = getenv("OMS_BENCH_PARENTS");
  if (env != NULL && atoi(env) > 0) PARENTS = atoi(env);
  bench_null_store_init(&null_store);
  const char *only = getenv("OMS_BENCH_ONLY");
  if (only == NULL || strcmp(only, "parents_tick_idle") == 0) run_tick(0);
  if (only == NULL || strcmp(only, "parents_tick") == 0) run_tick(PARENTS);
  if (only == NULL || strcmp(only, "core_submit_no_parents") == 0) run_submit(0);
  if (only == NULL || strcmp(only, "core_submit_parents") == 0) run_submit(PARENTS);
  return 0;
}
