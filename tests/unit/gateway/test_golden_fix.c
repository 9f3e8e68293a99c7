/* test_golden_fix.c - replays every FIX conversation in tests/golden/fix
 * against the gateway as omsd runs it: the real FIX session layer, the
 * engine with risk, portfolio and the simulated venue, and a memory store
 * (sequence numbers and sent messages, for resends), all in one process on
 * an injected clock. One cmocka test per file; the runner and the format are
 * in tests/unit/fix/golden_fix.h and tests/golden/fix/README.md.
 *
 * The counterparty is CLIENT1 (password pw1, account ACC1) talking to OMS;
 * CLIENT1 does not cancel on disconnect. The venue trades BTC-USD (tick 0.5,
 * lot 0.001) around 65000 with three levels of 1 on each side, two ticks
 * apart, and acknowledges and fills after 1 ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/engine.h"
#include "oms/error.h"
#include "oms/gateway.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "unit/fix/fix_test_util.h"
#include "unit/fix/golden_fix.h"

#define MS INT64_C(1000000)
#define CONN 1
#define OUT_CAP (1 << 20)

typedef struct world_s {
  int64_t now;
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_engine_t *e;
  oms_venue_t *sim;
  oms_gateway_t *gw;
  char out[OUT_CAP];
  size_t out_len;
  int closed;
} world_t;

static int io_send(void *ctx, uint64_t conn, const char *d, size_t n) {
  world_t *w = ctx;
  assert_int_equal(conn, CONN);
  assert_true(w->out_len + n <= OUT_CAP);
  memcpy(w->out + w->out_len, d, n);
  w->out_len += n;
  return 0;
}

static void io_close(void *ctx, uint64_t conn, const char *reason) {
  world_t *w = ctx;
  (void)conn;
  (void)reason;
  w->closed = 1;
}

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  oms_gateway_on_event(w->gw, ev);
}

static world_t *make(void) {
  world_t *w = calloc(1, sizeof *w);
  w->now = T0;
  assert_int_equal(oms_store_memory_create(NULL, &w->store), 0);
  oms_portfolio_config_t pc = {.max_accounts = 8, .max_symbols = 8, .max_positions = 64};
  assert_int_equal(oms_portfolio_create(&pc, &w->pf), 0);
  oms_risk_config_t rc = {.max_accounts = 8,
                          .max_strategies = 8,
                          .max_symbols = 8,
                          .max_positions = 64,
                          .max_open_orders = 256};
  assert_int_equal(oms_risk_create(&rc, &w->risk), 0);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 256,
                             .store = w->store,
                             .portfolio = w->pf,
                             .risk = w->risk,
                             .on_event = on_event,
                             .event_ctx = w};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  t_instrument(&sym.ins, "BTC-USD");
  sym.lp.enabled = true;
  sym.lp.ref_px = T_D("65000");
  sym.lp.spread_ticks = 2;
  sym.lp.levels = 3;
  sym.lp.size = T_D("1");
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 1024,
                         .ack_latency_ns = 1 * MS,
                         .fill_latency_ns = 1 * MS,
                         .seed = 42,
                         .symbols = &sym,
                         .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&sc, &w->sim), 0);
  assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, w->sim, NULL), 0);
  oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now);
  oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("65000"), w->now);
  loose_limits(w->risk, NULL);

  oms_gateway_config_t gc = {.engine = w->e,
                             .store = w->store,
                             .clock = oms_clock_manual(&w->now),
                             .default_venue = "SIM",
                             .max_conns = 2,
                             .io = {.send = io_send, .close = io_close, .ctx = w}};
  assert_int_equal(oms_gateway_create(&gc, &w->gw), 0);
  oms_gateway_session_config_t s1 = {
      .client_comp_id = "CLIENT1", .our_comp_id = "OMS", .password = "pw1", .account = "ACC1"};
  assert_int_equal(oms_gateway_add_session(w->gw, &s1), 0);
  return w;
}

static void destroy(world_t *w) {
  oms_gateway_destroy(w->gw);
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  oms_store_close(w->store);
  free(w);
}

/* ---- golden_io_t over the world ------------------------------------------------ */

static void g_connect(void *ctx) {
  world_t *w = ctx;
  w->out_len = 0;
  w->closed = 0;
  assert_int_equal(oms_gateway_conn_open(w->gw, CONN), 0);
}

static void g_deliver(void *ctx, const char *data, size_t len) {
  world_t *w = ctx;
  (void)oms_gateway_conn_data(w->gw, CONN, data, len);
  /* Engine events due now (the store makes them asynchronous). */
  oms_engine_poll(w->e);
}

static void on_ms(void *ctx) { oms_engine_poll(((world_t *)ctx)->e); }

static void on_second(void *ctx) { oms_gateway_on_timer(((world_t *)ctx)->gw); }

/* The engine polled every millisecond, the gateway's timer every second, as
 * omsd's loop runs them. */
static void g_advance(void *ctx, int64_t ns) {
  golden_walk_clock(&((world_t *)ctx)->now, ns, on_ms, on_second, ctx);
}

static void g_disconnect(void *ctx) {
  world_t *w = ctx;
  oms_gateway_conn_closed(w->gw, CONN);
  oms_engine_poll(w->e);
}

static int g_closed(void *ctx) { return ((world_t *)ctx)->closed; }

static const char *g_output(void *ctx, size_t *len) {
  world_t *w = ctx;
  *len = w->out_len;
  return w->out;
}

static int64_t g_now(void *ctx) { return ((world_t *)ctx)->now; }

/* omsd's shutdown: every logged-on session is asked to log out. */
static void g_logout(void *ctx, const char *text) {
  world_t *w = ctx;
  assert_int_equal(oms_gateway_logout_all(w->gw, text), 1);
}

static void test_golden_file(void **state) {
  const char *path = *state;
  world_t *w = make();
  golden_io_t io = {.connect = g_connect,
                    .deliver = g_deliver,
                    .advance = g_advance,
                    .disconnect = g_disconnect,
                    .closed = g_closed,
                    .output = g_output,
                    .now = g_now,
                    .logout = g_logout,
                    .ctx = w};
  golden_run(path, &io, "CLIENT1", "OMS");
  destroy(w);
}

int main(void) { return golden_main("tests/golden/fix", test_golden_file); }
