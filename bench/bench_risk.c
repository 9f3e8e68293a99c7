/*
 * bench_risk.c - the whole pre-trade chain, every built-in check enabled, on
 * a realistic mix of orders: 8 accounts, 16 strategies, 20 symbols, limit
 * orders within the collar on both sides (some crossing nothing, some deep),
 * 10% market orders, 5% stop-limits; positions in the portfolio, resting
 * orders in the aggregates, trading hours in America/New_York, limits at
 * global, account, strategy and symbol scope. Time advances 50 us per order.
 *
 *   risk_check_new      oms_risk_check_new() (passes and refusals alike)
 *   risk_order_update   oms_risk_order_opened() + oms_risk_order_changed()
 *                       (partial fill) + terminal release
 *
 * Then issue 16's checks on top, the same orders:
 *   risk_check_new_full the chain above with concentration limits on (per
 *                       instrument 50% of equity; 4 sector groups of 5
 *                       symbols and a correlation group of 3) and the
 *                       var_stress check on a 500-instrument risk model
 *                       (include/oms/riskmodel.h): the order's incremental
 *                       VaR (account and firm) and its worst loss over 16
 *                       stress scenarios
 *   riskmodel_sample_500 one EWMA covariance update of the 500 x 500
 *                       matrix and the books' S x (per sample, off path)
 *   riskmodel_tick      one market-data tick into the model
 */
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/riskmodel.h"

#define NORD 4096
#define NSYM 20
#define NACC 8
#define NSTRAT 16
/* 2024-01-15 15:00 UTC, a Monday, 10:00 in New York. */
#define T0 INT64_C(1705330800000000000)

static oms_dec_t D(const char *s) {
  oms_dec_t d = {0};
  if (oms_dec_parse_cstr(s, &d) != 0) abort();
  return d;
}

static oms_dec_t I(int64_t n) {
  oms_dec_t d;
  oms_dec_from_int(n, &d);
  return d;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static oms_order_t orders[NORD];

#define NMODEL 500
#define NSCEN 16

int main(void) {
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_portfolio_config_t pc = {64, 64, 1024, 0};
  oms_risk_config_t rc = {64, 64, 1024, 1024, 65536, 4096, 8192};
  if (oms_portfolio_create(&pc, &pf) != 0 || oms_risk_create(&rc, &risk) != 0) return 1;
  oms_portfolio_if_t pif = oms_portfolio_as_if(pf);
  oms_risk_set_portfolio(risk, &pif);

  char sym[NSYM][16], acc[NACC][16], strat[NSTRAT][16];
  for (int i = 0; i < NSYM; i++) {
    snprintf(sym[i], 16, "SYM%02d-USD", i);
    oms_portfolio_set_instrument(pf, sym[i], I(1), D("0.1"));
    oms_portfolio_set_mark(pf, sym[i], I(100 + i), T0);
    oms_risk_set_reference_price(risk, sym[i], I(100 + i), T0);
  }
  for (int i = 0; i < NACC; i++) {
    snprintf(acc[i], 16, "ACC%d", i);
    oms_portfolio_set_cash(pf, acc[i], I(10000000), T0);
    for (int s = 0; s < NSYM; s += 3)
      oms_portfolio_apply_fill(pf, acc[i], sym[s], s % 2 ? OMS_SIDE_SELL : OMS_SIDE_BUY, I(50),
                               I(100 + s), D("0.5"), T0);
  }
  for (int i = 0; i < NSTRAT; i++) snprintf(strat[i], 16, "strat%d", i);

  oms_risk_limits_t *l;
  oms_reject_t err;
  oms_risk_limits_create(&l);
  oms_risk_limit_t g = {0};
  g.set = (OMS_RL_DUPLICATE_WINDOW << 1) - 1;
  g.max_order_qty = I(500);
  g.max_order_notional = I(100000);
  g.max_position = I(5000);
  g.max_open_orders_account = 5000;
  g.max_open_orders_strategy = 2000;
  g.daily_loss = I(1000000);
  g.daily_loss_action = OMS_TRADING_REDUCE_ONLY;
  g.max_leverage = I(10);
  g.max_margin_usage = D("0.9");
  g.collar_pct = D("0.05");
  g.collar_ticks = 10;
  g.tick_size = D("0.01");
  g.max_ref_age_ns = INT64_C(3600) * 1000000000;
  g.credit_limit = I(50000000);
  g.order_rate_account = 4000;
  g.order_rate_strategy = 2000;
  g.cancel_rate_account = 4000;
  g.cancel_rate_strategy = 4000;
  g.rate_window_ns = 1000000000;
  g.duplicate_window_ns = 100000000;
  oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err);
  oms_risk_limit_t a = {.set = OMS_RL_CREDIT_LIMIT | OMS_RL_MAX_LEVERAGE,
                        .credit_limit = I(40000000),
                        .max_leverage = I(8)};
  oms_risk_limit_t s = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = I(400)};
  oms_risk_limit_t y = {.set = OMS_RL_MAX_POSITION, .max_position = I(4000)};
  for (int i = 0; i < NACC; i++) oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, acc[i], &a, &err);
  for (int i = 0; i < NSTRAT; i += 2)
    oms_risk_limits_set(l, OMS_RISK_SCOPE_STRATEGY, strat[i], &s, &err);
  oms_risk_window_t w = {0x3e, 0, 1440};
  for (int i = 0; i < NSYM; i++) {
    oms_risk_limits_symbol_list(l, sym[i], true, &err);
    if (i % 4 == 0) oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, sym[i], &y, &err);
  }
  if (oms_risk_limits_hours(l, "SIM", true, "America/New_York", &w, 1, &err) != 0 ||
      oms_risk_set_limits(risk, l, &err) != 0) {
    fprintf(stderr, "limits: %s\n", err.text);
    return 1;
  }

  /* The order mix. */
  for (int i = 0; i < NORD; i++) {
    oms_order_request_t q;
    memset(&q, 0, sizeof q);
    int si = (int)(rnd() % NSYM);
    snprintf(q.client_order_id, sizeof q.client_order_id, "c%d", i);
    snprintf(q.strategy_id, sizeof q.strategy_id, "%s", strat[rnd() % NSTRAT]);
    snprintf(q.account_id, sizeof q.account_id, "%s", acc[rnd() % NACC]);
    snprintf(q.symbol, sizeof q.symbol, "%s", sym[si]);
    strcpy(q.venue, "SIM");
    q.side = rnd() % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
    int kind = (int)(rnd() % 20);
    q.type = kind < 2 ? OMS_ORD_MARKET : kind == 2 ? OMS_ORD_STOP_LIMIT : OMS_ORD_LIMIT;
    q.tif = q.type == OMS_ORD_MARKET ? OMS_TIF_IOC : OMS_TIF_GTC;
    q.qty = I(1 + (int64_t)(rnd() % 200));
    /* Passive prices 0.1% to 4% away from the reference, on the resting side. */
    int64_t ref = (100 + si) * 100; /* in cents */
    int64_t off = 10 + (int64_t)(rnd() % 400);
    int64_t cents = q.side == OMS_SIDE_BUY ? ref - ref * off / 10000 : ref + ref * off / 10000;
    if (q.type != OMS_ORD_MARKET) q.price = oms_dec_from_raw(cents * 1000000);
    if (q.type == OMS_ORD_STOP_LIMIT) q.stop_price = q.price;
    oms_order_init(&orders[i], (uint64_t)i + 1, &q, T0);
  }
  /* Resting orders: the first 1000 sit in the book for the whole run. */
  for (int i = 0; i < 1000; i++) {
    if (orders[i].type != OMS_ORD_MARKET) oms_risk_order_opened(risk, &orders[i]);
  }

  int rounds = bench_rounds();
  size_t per_round = 200000;
  bench_t bc, bu;
  bench_init(&bc, "risk_check_new", per_round);
  bench_init(&bu, "risk_order_update", per_round / 4);
  int64_t now = T0;
  uint64_t next_id = 1000000;
  size_t passed = 0, total = 0;
  oms_risk_result_t res;
  for (int r = -1; r < rounds; r++) { /* round -1 warms up */
    bench_round_begin(&bc);
    for (size_t k = 0; k < per_round; k++) {
      oms_order_t *o = &orders[1000 + k % (NORD - 1000)];
      o->order_id = next_id++;
      now += 50000;
      if ((k & 1023) == 0)
        for (int i = 0; i < NSYM; i++) oms_risk_set_reference_price(risk, sym[i], I(100 + i), now);
      uint64_t t0 = bench_now_ns();
      bool ok = oms_risk_check_new(risk, o, now, &res);
      uint64_t t1 = bench_now_ns();
      BENCH_KEEP(ok);
      passed += ok;
      total++;
      bench_add(&bc, t1 - t0);
    }
    if (r >= 0) bench_round_end(&bc, 0);
    bench_round_begin(&bu);
    for (size_t k = 0; k < per_round / 4; k++) {
      oms_order_t o = orders[1000 + k % (NORD - 1000)];
      if (o.type == OMS_ORD_MARKET) o.type = OMS_ORD_LIMIT, o.price = I(90);
      o.order_id = next_id++;
      uint64_t t0 = bench_now_ns();
      oms_risk_order_opened(risk, &o);
      oms_order_t part = o;
      part.state = OMS_STATE_PARTIALLY_FILLED;
      part.filled_qty = oms_dec_from_raw(o.qty.raw / 2);
      part.leaves_qty = oms_dec_from_raw(o.qty.raw - part.filled_qty.raw);
      oms_risk_order_changed(risk, &o, &part);
      oms_order_t done = part;
      done.state = OMS_STATE_CANCELLED;
      done.leaves_qty = OMS_DEC_ZERO;
      oms_risk_order_changed(risk, &part, &done);
      uint64_t t1 = bench_now_ns();
      bench_add(&bu, t1 - t0);
    }
    if (r >= 0) bench_round_end(&bu, 0);
  }
  printf("# risk_check_new: %.1f%% of checks passed (the rest refused by some check)\n",
         100.0 * (double)passed / (double)total);
  bench_report(&bc);
  bench_report(&bu);

  /* ---- issue 16: concentration, groups, VaR and stress ---- */
  oms_risk_limits_t *l2;
  if (oms_risk_limits_clone(oms_risk_current_limits(risk), &l2) != 0) return 1;
  oms_risk_limit_t cg = {.set = OMS_RL_MAX_CONCENTRATION_PCT | OMS_RL_MAX_VAR |
                                OMS_RL_MAX_VAR_FIRM | OMS_RL_MAX_STRESS_LOSS,
                         .max_concentration_pct = D("0.5"),
                         .max_var = I(1000000),
                         .max_var_firm = I(5000000),
                         .max_stress_loss = I(2000000)};
  oms_risk_limits_set(l2, OMS_RISK_SCOPE_GLOBAL, NULL, &cg, &err);
  for (int gi = 0; gi < 4; gi++) {
    const char *mem[5];
    char name[16];
    for (int k = 0; k < 5; k++) mem[k] = sym[gi * 5 + k];
    snprintf(name, sizeof name, "sector%d", gi);
    oms_risk_limits_group(l2, OMS_RISK_GROUP_SECTOR, name, mem, 5, I(50000000), D("2"), &err);
  }
  const char *corr[] = {sym[0], sym[1], sym[2]};
  oms_risk_limits_group(l2, OMS_RISK_GROUP_CORRELATION, "c0", corr, 3, I(30000000), OMS_DEC_ZERO,
                        &err);
  if (oms_risk_set_limits(risk, l2, &err) != 0) {
    fprintf(stderr, "limits: %s\n", err.text);
    return 1;
  }
  oms_riskmodel_config_t mc = {NMODEL, NACC + 1, NSCEN, 250, 0.94, 0.99, 1};
  oms_riskmodel_t *m;
  if (oms_riskmodel_create(&mc, &m) != 0) return 1;
  bench_t bs, bt, bf;
  bench_init(&bs, "riskmodel_sample_500", 64);
  bench_init(&bt, "riskmodel_tick", per_round);
  double px[NMODEL];
  for (int i = 0; i < NMODEL; i++) px[i] = 100 + i;
  for (int r = -1; r < rounds; r++) {
    bench_round_begin(&bs);
    for (int k = 0; k < 64; k++) {
      double common = (double)((int64_t)(rnd() % 2001) - 1000) / 100000.0;
      for (int i = 0; i < NMODEL; i++) {
        double own = (double)((int64_t)(rnd() % 2001) - 1000) / 100000.0;
        oms_riskmodel_tick(m, (uint32_t)i, px[i] * (1 + common + own));
      }
      uint64_t t0 = bench_now_ns();
      oms_riskmodel_sample(m);
      uint64_t t1 = bench_now_ns();
      bench_add(&bs, t1 - t0);
    }
    if (r >= 0) bench_round_end(&bs, 0);
    bench_round_begin(&bt);
    for (size_t k = 0; k < per_round; k++) {
      uint64_t t0 = bench_now_ns();
      oms_riskmodel_tick(m, (uint32_t)(k % NMODEL), px[k % NMODEL]);
      uint64_t t1 = bench_now_ns();
      bench_add(&bt, t1 - t0);
    }
    if (r >= 0) bench_round_end(&bt, 0);
  }
  double shock[NMODEL];
  for (int sc = 0; sc < NSCEN; sc++) {
    for (int i = 0; i < NMODEL; i++) shock[i] = -0.05 * (1 + (sc + i) % 8);
    char name[16];
    snprintf(name, sizeof name, "s%d", sc);
    oms_riskmodel_set_scenario(m, (uint32_t)sc, name, shock);
  }
  static char mnames[NMODEL][16];
  const char *msyms[NMODEL];
  for (int i = 0; i < NMODEL; i++) {
    if (i < NSYM)
      snprintf(mnames[i], 16, "%s", sym[i]);
    else
      snprintf(mnames[i], 16, "MODEL%03d", i);
    msyms[i] = mnames[i];
  }
  if (oms_risk_set_model(risk, m, msyms, NMODEL) != 0) return 1;
  bench_init(&bf, "risk_check_new_full", per_round);
  passed = total = 0;
  for (int r = -1; r < rounds; r++) {
    bench_round_begin(&bf);
    for (size_t k = 0; k < per_round; k++) {
      oms_order_t *o = &orders[1000 + k % (NORD - 1000)];
      o->order_id = next_id++;
      now += 50000;
      if ((k & 1023) == 0)
        for (int i = 0; i < NSYM; i++) oms_risk_set_reference_price(risk, sym[i], I(100 + i), now);
      uint64_t t0 = bench_now_ns();
      bool ok = oms_risk_check_new(risk, o, now, &res);
      uint64_t t1 = bench_now_ns();
      BENCH_KEEP(ok);
      passed += ok;
      total++;
      bench_add(&bf, t1 - t0);
    }
    if (r >= 0) bench_round_end(&bf, 0);
  }
  printf("# risk_check_new_full: %.1f%% passed; model %d instruments, %d scenarios, %d books\n",
         100.0 * (double)passed / (double)total, NMODEL, NSCEN, NACC + 1);
  bench_report(&bf);
  bench_report(&bs);
  bench_report(&bt);
  oms_riskmodel_destroy(m);
  oms_risk_destroy(risk);
  oms_portfolio_destroy(pf);
  return 0;
}
