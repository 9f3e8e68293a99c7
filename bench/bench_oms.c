/*
 * bench_oms.c - the OMS in process, as a strategy embedding liboms sees it:
 * the core with the full pre-trade risk chain (all 14 checks, limits at
 * global scope) and the simulated venue with zero latency.
 *
 *   oms_submit: oms_engine_submit() from request to the venue's book
 *     (idempotency, validation, the whole risk chain, reservation, routing,
 *     the simulated venue's send_new, the SUBMITTED event).
 *   oms_roundtrip_ack: submit, then poll until the venue's ACCEPTED report has
 *     been applied and its OrderAccepted event published.
 *
 * Orders are limit buys below the market, so they rest; each is cancelled
 * outside the timed region. The manual clock advances 20 us per order.
 */
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/engine.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"

#define N 100000
#define WARMUP 10000

static int64_t now_ns = INT64_C(1764000000000000000);
static volatile uint64_t accepted_seen;

static oms_dec_t D(const char *s) {
  oms_dec_t d = {0};
  if (oms_dec_parse_cstr(s, &d) != 0) abort();
  return d;
}

static void on_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  if (ev->type == OMS_EVT_ORDER_ACCEPTED) accepted_seen = ev->order.order_id;
}

typedef struct world_s {
  oms_engine_t *e;
  oms_risk_t *risk;
  oms_portfolio_t *pf;
} world_t;

static void make(world_t *w) {
  oms_clock_t clock = oms_clock_manual(&now_ns);
  oms_portfolio_config_t pc = {.max_accounts = 8, .max_symbols = 8, .max_positions = 64};
  oms_risk_config_t rc = {.max_accounts = 8,
                          .max_strategies = 8,
                          .max_symbols = 8,
                          .max_positions = 64,
                          .max_open_orders = 4096,
                          .rate_ring = 65536};
  if (oms_portfolio_create(&pc, &w->pf) != 0 || oms_risk_create(&rc, &w->risk) != 0) exit(1);
  oms_engine_config_t cfg = {.clock = clock,
                             .max_orders = 8192,
                             .risk = w->risk,
                             .portfolio = w->pf,
                             .on_event = on_event};
  if (oms_engine_create(&cfg, &w->e) != 0) exit(1);
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  strcpy(sym.ins.symbol, "BTC-USD");
  strcpy(sym.ins.venue, "SIM");
  sym.ins.tick_size = D("0.5");
  sym.ins.lot_size = D("0.001");
  oms_sim_config_t sc = {
      .name = "SIM", .clock = clock, .max_orders = 65536, .symbols = &sym, .nsymbols = 1};
  oms_venue_t *sim;
  if (oms_sim_venue_create(&sc, &sim) != 0) exit(1);
  oms_engine_add_instrument(w->e, &sym.ins, NULL);
  oms_engine_add_venue(w->e, sim, NULL);
  oms_portfolio_set_cash(w->pf, "ACC1", D("100000000"), now_ns);
  oms_risk_set_reference_price(w->risk, "BTC-USD", D("65000"), now_ns);

  oms_risk_limits_t *l;
  oms_risk_limits_create(&l);
  oms_risk_limit_t g = {.set = (OMS_RL_DUPLICATE_WINDOW << 1) - 1,
                        .max_order_qty = D("100"),
                        .max_order_notional = D("10000000"),
                        .max_position = D("1000"),
                        .max_open_orders_account = 1000,
                        .max_open_orders_strategy = 1000,
                        .daily_loss = D("1000000"),
                        .daily_loss_action = OMS_TRADING_REDUCE_ONLY,
                        .max_leverage = D("50"),
                        .max_margin_usage = D("10"),
                        .collar_pct = D("0.2"),
                        .collar_ticks = 100000,
                        .tick_size = D("0.5"),
                        .max_ref_age_ns = INT64_C(3600000000000),
                        .credit_limit = D("90000000000"),
                        .order_rate_account = 60000,
                        .order_rate_strategy = 60000,
                        .cancel_rate_account = 60000,
                        .cancel_rate_strategy = 60000,
                        .rate_window_ns = 1000000000,
                        .duplicate_window_ns = 1000000};
  oms_reject_t err;
  if (oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err) != 0 ||
      oms_risk_limits_symbol_list(l, "BTC-USD", true, &err) != 0) {
    fprintf(stderr, "limits: %s\n", err.text);
    exit(1);
  }
  oms_risk_window_t all = {.days = 0x7f, .start_min = 0, .end_min = 1440};
  oms_risk_limits_hours(l, "SIM", true, "UTC", &all, 1, &err);
  if (oms_risk_set_limits(w->risk, l, &err) != 0) {
    fprintf(stderr, "limits: %s\n", err.text);
    exit(1);
  }
}

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
}

static void request(oms_order_request_t *req, uint64_t i) {
  memset(req, 0, sizeof(*req));
  snprintf(req->client_order_id, sizeof req->client_order_id, "c%llu", (unsigned long long)i);
  strcpy(req->strategy_id, "s1");
  strcpy(req->account_id, "ACC1");
  strcpy(req->venue, "SIM");
  strcpy(req->symbol, "BTC-USD");
  req->side = OMS_SIDE_BUY;
  req->type = OMS_ORD_LIMIT;
  req->tif = OMS_TIF_GTC;
  req->qty = oms_dec_from_raw((int64_t)(1 + i % 50) * OMS_DEC_SCALE / 100);
  req->price = oms_dec_from_raw((int64_t)(60000 + (i % 400)) * OMS_DEC_SCALE);
}

static void run(const char *name, bool roundtrip) {
  world_t w;
  make(&w);
  bench_t b;
  bench_init(&b, name, N);
  static oms_submit_result_t res;
  oms_order_request_t req;
  uint64_t seq = 0;
  oms_reject_t rej;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      request(&req, ++seq);
      now_ns += 20000;
      uint64_t t0 = bench_now_ns();
      int rc = oms_engine_submit(w.e, &req, &res);
      if (roundtrip)
        while (accepted_seen != res.order->order_id && rc == 0) oms_engine_poll(w.e);
      uint64_t dt = bench_now_ns() - t0;
      if (rc != 0) {
        fprintf(stderr, "%s: refused: %s\n", name, res.reject.text);
        exit(1);
      }
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
      oms_engine_poll(w.e);
      oms_engine_cancel(w.e, res.order->order_id, &rej);
      oms_engine_poll(w.e);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  destroy(&w);
}

int main(void) {
  run("oms_submit", false);
  run("oms_roundtrip_ack", true);
  return 0;
}
