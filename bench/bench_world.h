/*
 * bench_world.h - the trading world of the benchmarks of the core
 * (bench_core, bench_parents): a portfolio and a risk engine sized for 64
 * accounts, strategies and symbols, symbols SYM00-USD.. on one simulated
 * venue "SIM" (tick 0.01, lot 1), marks and reference prices 100, 101, ..,
 * accounts ACC0.. with cash, and every built-in pre-trade check on.
 *
 * A benchmark builds its world from these steps in its own order and
 * states only what it does differently (the engine's bounds and store, a
 * liquidity provider, positions, the limits it loosens), so two benchmarks
 * that say they measure the same world do. Each step exits with a message
 * on a failure: a benchmark with half a world measures nothing.
 */
#ifndef OMS_BENCH_WORLD_H
#define OMS_BENCH_WORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/engine.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"

static inline oms_dec_t D(const char *s) {
  oms_dec_t d = {0};
  if (oms_dec_parse_cstr(s, &d) != 0) abort();
  return d;
}

static inline oms_dec_t I(int64_t n) {
  oms_dec_t d;
  oms_dec_from_int(n, &d);
  return d;
}

static inline void bench_world_die(const char *what, const char *why) {
  fprintf(stderr, "bench world: %s: %s\n", what, why);
  exit(1);
}

/* The portfolio and the risk engine (64 accounts, strategies and symbols). */
static inline void bench_world_parts(oms_portfolio_t **pf, oms_risk_t **risk) {
  oms_portfolio_config_t pc = {64, 64, 1024, 0};
  oms_risk_config_t rc = {64, 64, 64, 1024, 65536, 65536, 65536};
  if (oms_portfolio_create(&pc, pf) != 0 || oms_risk_create(&rc, risk) != 0)
    bench_world_die("create", "portfolio or risk");
}

/* nsym symbols SYM00-USD.. named in sym[] and listed in ss[] at SIM, with no
 * liquidity provider (a benchmark adds one to ss[i].lp). */
static inline void bench_world_symbols(oms_sim_symbol_t *ss, char (*sym)[16], int nsym) {
  memset(ss, 0, sizeof *ss * (size_t)nsym);
  for (int i = 0; i < nsym; i++) {
    snprintf(sym[i], 16, "SYM%02d-USD", i % 100); /* two digits: nsym <= 100 */
    strcpy(ss[i].ins.symbol, sym[i]);
    strcpy(ss[i].ins.venue, "SIM");
    ss[i].ins.tick_size = D("0.01");
    ss[i].ins.lot_size = I(1);
    ss[i].ins.multiplier = I(1);
  }
}

/* The simulated venue SIM trading ss[0..nsym) on clock, added to e with its
 * instruments. */
static inline void bench_world_venue(oms_engine_t *e, oms_clock_t clock, uint32_t max_orders,
                                     oms_sim_symbol_t *ss, int nsym) {
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = clock,
                         .max_orders = max_orders,
                         .symbols = ss,
                         .nsymbols = (uint32_t)nsym};
  oms_venue_t *sim;
  if (oms_sim_venue_create(&sc, &sim) != 0) bench_world_die("create", "sim venue");
  oms_reject_t err;
  for (int i = 0; i < nsym; i++)
    if (oms_engine_add_instrument(e, &ss[i].ins, &err) != 0)
      bench_world_die("instrument", err.text);
  oms_engine_add_venue(e, sim, NULL);
}

/* Symbol i marked and referenced at 100 + i, at t. */
static inline void bench_world_prices(oms_portfolio_t *pf, oms_risk_t *risk, char (*sym)[16],
                                      int nsym, int64_t t) {
  for (int i = 0; i < nsym; i++) {
    oms_portfolio_set_mark(pf, sym[i], I(100 + i), t);
    oms_risk_set_reference_price(risk, sym[i], I(100 + i), t);
  }
}

/* Account i named ACC<i> in name, with cash at t. */
static inline void bench_world_account(oms_portfolio_t *pf, char *name, int i, int64_t cash,
                                       int64_t t) {
  snprintf(name, 16, "ACC%d", i);
  oms_portfolio_set_cash(pf, name, I(cash), t);
}

/* Order i of the benchmarks' passive mix, for strategy: account i / 5,
 * symbol i, side by i / 3, a quantity and an offset 0.1%-4% off the
 * reference that make (symbol, quantity) repeat only every nsym x 400
 * orders (past the duplicate window); it rests at the venue. */
static inline void bench_world_request(oms_order_request_t *q, uint64_t i, const char *strategy,
                                       char (*sym)[16], int nsym, char (*acc)[16], int nacc) {
  memset(q, 0, sizeof(*q));
  int si = (int)(i % (uint64_t)nsym);
  snprintf(q->client_order_id, sizeof q->client_order_id, "c%llu", (unsigned long long)i);
  strcpy(q->strategy_id, strategy);
  strcpy(q->account_id, acc[(i / 5) % (uint64_t)nacc]);
  strcpy(q->venue, "SIM");
  strcpy(q->symbol, sym[si]);
  q->side = (i / 3) % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
  q->type = OMS_ORD_LIMIT;
  q->tif = OMS_TIF_GTC;
  q->qty = I(1 + (int64_t)((i / (uint64_t)nsym) % 400));
  int64_t ref = (100 + si) * 100; /* cents */
  int64_t off = 10 + (int64_t)((i * 2654435761u) % 390);
  int64_t cents = q->side == OMS_SIDE_BUY ? ref - ref * off / 10000 : ref + ref * off / 10000;
  q->price = oms_dec_from_raw(cents * (OMS_DEC_SCALE / 100));
}

/* Every built-in check on, with the global limits of bench_core: loose
 * enough for 100,000 orders/s of market time over 8 accounts and 16
 * strategies, tight enough that each check has work to do. */
static inline void bench_world_limits(oms_risk_limit_t *g) {
  memset(g, 0, sizeof *g);
  g->set = (OMS_RL_DUPLICATE_WINDOW << 1) - 1;
  g->max_order_qty = I(500);
  g->max_order_notional = I(100000);
  g->max_position = I(50000);
  g->max_open_orders_account = 5000;
  g->max_open_orders_strategy = 2000;
  g->daily_loss = I(1000000);
  g->daily_loss_action = OMS_TRADING_REDUCE_ONLY;
  g->max_leverage = I(10);
  g->max_margin_usage = D("0.9");
  g->collar_pct = D("0.05");
  g->collar_ticks = 1000;
  g->tick_size = D("0.01");
  g->max_ref_age_ns = INT64_C(3600) * 1000000000;
  g->credit_limit = I(50000000);
  g->order_rate_account = 30000;
  g->order_rate_strategy = 15000;
  g->cancel_rate_account = 30000;
  g->cancel_rate_strategy = 15000;
  g->rate_window_ns = 1000000000;
  g->duplicate_window_ns = 50000000;
}

/* SIM's trading hours (Monday to Friday, all day in New York) added to l,
 * and l made risk's limits. */
static inline void bench_world_set_limits(oms_risk_t *risk, oms_risk_limits_t *l) {
  oms_reject_t err;
  oms_risk_window_t win = {0x3e, 0, 1440};
  if (oms_risk_limits_hours(l, "SIM", true, "America/New_York", &win, 1, &err) != 0 ||
      oms_risk_set_limits(risk, l, &err) != 0)
    bench_world_die("limits", err.text);
}

#endif
