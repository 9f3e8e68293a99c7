/*
 * bench_recover.c - how long a start takes with a long history: the journal
 * store's open (journal checks, projection check and catch-up) and the
 * engine's recovery (positions, recent execution ids, the client order id
 * filter, the open orders), over a journal of N orders (default 100,000,
 * OMS_BENCH_ORDERS), each accepted and filled, 16 left working.
 *
 * The history is written once through the journal store itself (synthetic
 * events: no venue), then the store is closed and the start is timed
 * OMS_BENCH_ROUNDS times (open + recover + close): one BENCH line per phase,
 * the round's wall time in ns. OMS_BENCH_KEEP=1 keeps the data directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/portfolio.h"
#include "oms/store.h"

#define T0 INT64_C(1764000000000000000)

static int fail(const char *what, int rc) {
  fprintf(stderr, "bench_recover: %s: %s\n", what, oms_err_name(rc));
  exit(1);
}

static oms_dec_t dec(const char *s) {
  oms_dec_t d = OMS_DEC_ZERO;
  oms_dec_parse_cstr(s, &d);
  return d;
}

static void history(const char *jdir, const char *db, uint32_t n) {
  oms_store_journal_config_t cfg;
  oms_store_journal_config_init(&cfg, jdir, db);
  cfg.durability = OMS_DURABILITY_OS;
  oms_store_t *s;
  int rc = oms_store_journal_open(&cfg, &s);
  if (rc != 0) fail("open", rc);
  uint64_t seq = 0, t;
  for (uint32_t i = 1; i <= n; i++) {
    oms_order_request_t req;
    memset(&req, 0, sizeof req);
    snprintf(req.client_order_id, sizeof req.client_order_id, "c%u", i);
    strcpy(req.strategy_id, "s1");
    snprintf(req.account_id, sizeof req.account_id, "ACC%u", i % 4);
    strcpy(req.venue, "SIM");
    strcpy(req.symbol, i % 2 ? "BTC-USD" : "ETH-USD");
    req.side = i % 3 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
    req.type = OMS_ORD_LIMIT;
    req.tif = OMS_TIF_GTC;
    req.qty = dec("1");
    req.price = dec(i % 2 ? "65000" : "3000");
    oms_order_t o;
    int64_t now = T0 + (int64_t)i * 1000;
    oms_order_init(&o, i, &req, now);
    oms_event_t ev[2];
    o.state = OMS_STATE_ACCEPTED;
    oms_event_init(&ev[0], OMS_EVT_ORDER_ACCEPTED, &o, now, now);
    ev[0].seq = ++seq;
    size_t k = 1;
    if (i + 16 <= n) {
      o.state = OMS_STATE_FILLED;
      o.filled_qty = o.qty;
      o.leaves_qty = OMS_DEC_ZERO;
      o.avg_px = o.price;
      oms_event_init(&ev[1], OMS_EVT_ORDER_FILLED, &o, now + 10, now + 10);
      ev[1].seq = ++seq;
      ev[1].fill.qty = o.qty;
      ev[1].fill.price = o.price;
      ev[1].fill.fee = dec("0.01");
      ev[1].fill.multiplier = dec("1");
      snprintf(ev[1].fill.exec_id, sizeof ev[1].fill.exec_id, "x%u", i);
      k = 2;
    }
    oms_store_unit_t u = {ev, k};
    if ((rc = oms_store_append(s, &u, 0, &t)) != 0) fail("append", rc);
  }
  oms_store_close(s);
}

int main(void) {
  const char *e = getenv("OMS_BENCH_ORDERS");
  uint32_t n = e != NULL ? (uint32_t)atoi(e) : 100000;
  char dir[256], jdir[300], db[300], cmd[600];
  snprintf(dir, sizeof dir, "/tmp/oms-bench-recover-%d", (int)getpid());
  snprintf(jdir, sizeof jdir, "%s/journal", dir);
  snprintf(db, sizeof db, "%s/oms.db", dir);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  if (system(cmd) != 0) return 1;
  history(jdir, db, n);

  int rounds = bench_rounds();
  uint64_t ns[3][BENCH_MAX_ROUNDS];
  for (int r = 0; r < rounds; r++) {
    uint64_t t0 = bench_now_ns();
    oms_store_journal_config_t cfg;
    oms_store_journal_config_init(&cfg, jdir, db);
    cfg.durability = OMS_DURABILITY_OS;
    oms_store_t *s;
    int rc = oms_store_journal_open(&cfg, &s);
    if (rc != 0) fail("reopen", rc);
    uint64_t t1 = bench_now_ns();
    oms_portfolio_config_t pc = {.max_accounts = 8, .max_symbols = 8, .max_positions = 64};
    oms_portfolio_t *pf;
    if ((rc = oms_portfolio_create(&pc, &pf)) != 0) fail("portfolio", rc);
    oms_instrument_t ins[2];
    memset(ins, 0, sizeof ins);
    strcpy(ins[0].symbol, "BTC-USD");
    strcpy(ins[1].symbol, "ETH-USD");
    oms_engine_config_t ec = {
        .clock = oms_clock_realtime(), .max_orders = 1024, .store = s, .portfolio = pf};
    oms_engine_t *eng;
    if ((rc = oms_engine_create(&ec, &eng)) != 0) fail("engine", rc);
    for (int i = 0; i < 2; i++) {
      strcpy(ins[i].venue, "SIM");
      ins[i].tick_size = dec("0.5");
      ins[i].lot_size = dec("0.001");
      ins[i].min_qty = dec("0.001");
      ins[i].max_qty = dec("1000");
      if ((rc = oms_engine_add_instrument(eng, &ins[i], NULL)) != 0) fail("instrument", rc);
    }
    uint32_t loaded = 0;
    if ((rc = oms_engine_recover(eng, &loaded)) != 0) fail("recover", rc);
    uint64_t t2 = bench_now_ns();
    oms_engine_destroy(eng);
    oms_portfolio_destroy(pf);
    oms_store_close(s);
    printf("# round %d: store open %llu ms, engine recovery %llu ms\n", r,
           (unsigned long long)(t1 - t0) / 1000000, (unsigned long long)(t2 - t1) / 1000000);
    ns[0][r] = t1 - t0;
    ns[1][r] = t2 - t1;
    ns[2][r] = t2 - t0;
  }
  static const char *const names[3] = {"recover_store_open", "recover_engine", "recover_start"};
  printf("# %u orders; one sample per round (a whole start); p50 = median, max = slowest\n", n);
  for (int k = 0; k < 3; k++) {
    uint64_t mx = 0;
    for (int r = 0; r < rounds; r++) mx = ns[k][r] > mx ? ns[k][r] : mx;
    uint64_t med = bench_median(ns[k], rounds);
    printf("BENCH %s n=%d p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu ops_per_s=%llu\n",
           names[k], rounds, (unsigned long long)med, (unsigned long long)mx,
           (unsigned long long)mx, (unsigned long long)mx,
           (unsigned long long)(med > 0 ? 1000000000ull / med : 0));
  }
  if (getenv("OMS_BENCH_KEEP") != NULL) { /* for a closer look: the data directory stays */
    printf("# kept %s\n", dir);
    return 0;
  }
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}
