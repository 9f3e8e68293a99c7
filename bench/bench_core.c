/*
 * bench_core.c - "the core alone": oms_engine_submit() on one core with
 * everything a real submission goes through and nothing it waits for.
 *
 * What is in the timed call: the idempotency lookup, validation against the
 * instrument, every built-in pre-trade check (all 14, limits at global,
 * account, strategy and symbol scope, trading hours in America/New_York, as
 * in bench_risk), the reservation in the risk aggregates, the router's
 * pre-check and conversion, the SUBMITTED transition and its event, the
 * store append, the outbox release, the router's send and the simulated
 * venue's send_new (the order rests in the venue's book).
 *
 * The store is a NULL STORE: append hands out the next ticket and that
 * ticket is durable at once (no copy, no encoding, no I/O), so the figures
 * are the core's own; what a journal append adds is measured by
 * bench_journal (and oms_submit_journal_* where a journal store exists).
 *
 * The world: 8 accounts with cash and positions, 16 strategies, 20 symbols
 * on one simulated venue, passive limit orders 0.1%-4% off the reference on
 * both sides, each order unique within the duplicate window. Simulated time
 * advances 10 us per order (100,000 orders/s of market time, within the rate
 * limits), wall time is what is measured.
 *
 *   core_submit: one oms_engine_submit(), timed alone; the order is then
 *     acknowledged, cancelled and the cancel confirmed outside the timed
 *     region, so the book and the aggregates stay at their size.
 *   core_submit_sustained: submissions back to back in blocks of 64 with no
 *     clock read between them (one block = one sample, its time divided by
 *     64); ops_per_s is orders over the time spent in the blocks: the rate
 *     one core sustains on the submission path. The 64 orders are then
 *     acknowledged and cancelled outside the blocks.
 *   core_lifecycle: one order's whole life timed as one operation: submit,
 *     the poll that applies the venue's ACCEPTED, the cancel, the poll that
 *     applies CANCELLED (four events, two venue messages, two reports).
 */
#include <stdio.h>
#include <string.h>

#include "bench_null_store.h"
#include "bench_util.h"
#include "bench_world.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"

/* Orders per round and in the warm-up (env OMS_BENCH_ORDERS: fewer, for a
 * run under valgrind). */
static int N = 100000, WARMUP = 20000;
#define BLOCK 64
#define NSYM 20
#define NACC 8
#define NSTRAT 16
/* 2024-01-15 15:00 UTC, a Monday, 10:00 in New York. */
#define T0 INT64_C(1705330800000000000)
#define STEP_NS 10000

static int64_t now_ns = T0;

static bench_null_store_t null_store;

/* OMS_BENCH_STORE=journal: the journal store in os durability instead of the
 * null store (its projector thread runs beside the core), in
 * ./bench-core-XXXXXX, removed at the end; the lines are then named
 * core_*_journal_os. */
static bool use_journal;
static char jdir[64];
static oms_store_t *jstore;

static oms_store_t *store_open(void) {
  if (!use_journal) return &null_store.base;
  strcpy(jdir, "bench-core-XXXXXX");
  if (mkdtemp(jdir) == NULL) {
    perror("mkdtemp");
    exit(1);
  }
  char jpath[96], dbpath[96];
  snprintf(jpath, sizeof jpath, "%s/journal", jdir);
  snprintf(dbpath, sizeof dbpath, "%s/oms.db", jdir);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, jpath, dbpath);
  jc.durability = OMS_DURABILITY_OS;
  if (oms_store_journal_open(&jc, &jstore) != 0) {
    fprintf(stderr, "bench_core: journal store\n");
    exit(1);
  }
  return jstore;
}

static void store_close(void) {
  if (!use_journal) return;
  oms_store_close(jstore);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", jdir);
  if (system(cmd) != 0) fprintf(stderr, "bench_core: could not remove %s\n", jdir);
}

/* ---- the world ---------------------------------------------------------------- */

static char sym[NSYM][16], acc[NACC][16], strat[NSTRAT][16];

typedef struct world_s {
  oms_engine_t *e;
  oms_risk_t *risk;
  oms_portfolio_t *pf;
} world_t;

static void die(const char *what, const char *why) {
  fprintf(stderr, "bench_core: %s: %s\n", what, why);
  exit(1);
}

static void make(world_t *w) {
  oms_clock_t clock = oms_clock_manual(&now_ns);
  bench_world_parts(&w->pf, &w->risk);
  oms_engine_config_t cfg = {
      .clock = clock, .store = store_open(), .risk = w->risk, .portfolio = w->pf};
  if (oms_engine_create(&cfg, &w->e) != 0) die("create", "engine");

  oms_sim_symbol_t ss[NSYM];
  bench_world_symbols(ss, sym, NSYM);
  /* The venue keeps as many orders as the engine, so the warm-up has touched
   * all of its memory before the timed rounds (a first touch of a fresh page
   * costs a page fault, which is not the core's). */
  bench_world_venue(w->e, clock, 16384, ss, NSYM);

  bench_world_prices(w->pf, w->risk, sym, NSYM, T0);
  for (int i = 0; i < NACC; i++) {
    bench_world_account(w->pf, acc[i], i, 10000000, T0);
    for (int s = 0; s < NSYM; s += 3)
      oms_portfolio_apply_fill(w->pf, acc[i], sym[s], s % 2 ? OMS_SIDE_SELL : OMS_SIDE_BUY, I(50),
                               I(100 + s), D("0.5"), T0);
  }
  for (int i = 0; i < NSTRAT; i++) snprintf(strat[i], 16, "strat%d", i);

  /* Every check on, at every scope: the limits of bench_risk, with rates
   * that 100,000 orders/s spread over 8 accounts and 16 strategies fit. */
  oms_risk_limits_t *l;
  oms_risk_limits_create(&l);
  oms_risk_limit_t g;
  bench_world_limits(&g);
  oms_reject_t err;
  if (oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err) != 0) die("limits", err.text);
  oms_risk_limit_t a = {.set = OMS_RL_CREDIT_LIMIT | OMS_RL_MAX_LEVERAGE,
                        .credit_limit = I(40000000),
                        .max_leverage = I(8)};
  oms_risk_limit_t s = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = I(400)};
  oms_risk_limit_t y = {.set = OMS_RL_MAX_POSITION, .max_position = I(40000)};
  for (int i = 0; i < NACC; i++) oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, acc[i], &a, &err);
  for (int i = 0; i < NSTRAT; i += 2)
    oms_risk_limits_set(l, OMS_RISK_SCOPE_STRATEGY, strat[i], &s, &err);
  for (int i = 0; i < NSYM; i++) {
    oms_risk_limits_symbol_list(l, sym[i], true, &err);
    if (i % 4 == 0) oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, sym[i], &y, &err);
  }
  bench_world_set_limits(w->risk, l);
}

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  store_close();
}

/* Order i of the mix: (symbol, quantity) repeats only every 20 x 400 orders,
 * 80 ms of simulated time, past the 50 ms duplicate window. */
static void request(oms_order_request_t *q, uint64_t i) {
  bench_world_request(q, i, strat[(i * 7 / 3) % NSTRAT], sym, NSYM, acc, NACC);
}

static uint64_t seq;
static oms_submit_result_t res;

static void refused(const char *name) {
  fprintf(stderr, "%s: refused (%s): %s\n", name, res.check, res.reject.text);
  exit(1);
}

/* Acknowledges and cancels the orders ids[0..n) outside the timed region. */
static void retire(world_t *w, const uint64_t *ids, int n) {
  oms_reject_t rej;
  oms_engine_poll(w->e);
  for (int i = 0; i < n; i++) {
    now_ns += STEP_NS / 4;
    if (oms_engine_cancel(w->e, ids[i], &rej) != 0) die("cancel", rej.text);
  }
  oms_engine_poll(w->e);
}

static void run_submit(void) {
  world_t w;
  make(&w);
  bench_t b;
  bench_init(&b, use_journal ? "core_submit_journal_os" : "core_submit", N);
  oms_order_request_t req;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      request(&req, ++seq);
      now_ns += STEP_NS;
      uint64_t t0 = bench_now_ns();
      int rc = oms_engine_submit(w.e, &req, &res);
      uint64_t dt = bench_now_ns() - t0;
      if (rc != 0) refused(b.name);
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
      uint64_t id = res.order->order_id;
      retire(&w, &id, 1);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  destroy(&w);
}

static void run_sustained(void) {
  world_t w;
  make(&w);
  bench_t b;
  bench_init(&b, use_journal ? "core_submit_sustained_journal_os" : "core_submit_sustained",
             N / BLOCK);
  oms_order_request_t req[BLOCK];
  uint64_t ids[BLOCK];
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0, orders = 0;
    int n = (r < 0 ? WARMUP : N) / BLOCK;
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < BLOCK; i++) request(&req[i], ++seq);
      now_ns += STEP_NS * BLOCK;
      uint64_t t0 = bench_now_ns();
      for (int i = 0; i < BLOCK; i++) {
        if (oms_engine_submit(w.e, &req[i], &res) != 0) refused(b.name);
        ids[i] = res.order->order_id;
      }
      uint64_t dt = bench_now_ns() - t0;
      busy += dt;
      orders += BLOCK;
      if (r >= 0) bench_add(&b, dt / BLOCK);
      retire(&w, ids, BLOCK);
    }
    if (r >= 0) {
      bench_round_end(&b, busy);
      b.ops[b.rounds - 1] = (uint64_t)((double)orders * 1e9 / (double)busy);
    }
  }
  bench_report(&b);
  destroy(&w);
}

static void run_lifecycle(void) {
  world_t w;
  make(&w);
  bench_t b;
  bench_init(&b, use_journal ? "core_lifecycle_journal_os" : "core_lifecycle", N);
  oms_order_request_t req;
  oms_reject_t rej;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      request(&req, ++seq);
      now_ns += STEP_NS;
      uint64_t t0 = bench_now_ns();
      if (oms_engine_submit(w.e, &req, &res) != 0) refused(b.name);
      oms_engine_poll(w.e);
      if (oms_engine_cancel(w.e, res.order->order_id, &rej) != 0) die("cancel", rej.text);
      oms_engine_poll(w.e);
      uint64_t dt = bench_now_ns() - t0;
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  destroy(&w);
}

int main(void) {
  const char *env = getenv("OMS_BENCH_ORDERS");
  if (env != NULL && atoi(env) >= BLOCK) {
    N = atoi(env);
    WARMUP = N / 5 < BLOCK ? BLOCK : N / 5;
  }
  /* OMS_BENCH_ONLY=<line name>: that line alone (for a profiler). */
  const char *only = getenv("OMS_BENCH_ONLY");
  bench_null_store_init(&null_store);
  const char *st = getenv("OMS_BENCH_STORE");
  use_journal = st != NULL && strcmp(st, "journal") == 0;
  if (only == NULL || strcmp(only, "core_submit") == 0) run_submit();
  if (only == NULL || strcmp(only, "core_submit_sustained") == 0) run_sustained();
  if (only == NULL || strcmp(only, "core_lifecycle") == 0) run_lifecycle();
  return 0;
}
