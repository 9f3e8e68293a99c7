/* Scenario tests of the durable pipeline: the core over the SQLite store
 * and the event bus, with a slow subscriber and injected store faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/bus.h"
#include "oms/engine.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define MS INT64_C(1000000)

typedef struct world_s {
  char dir[64], db[96];
  int64_t now;
  volatile int fail; /* SQLite code the fault hook injects; 0 = none */
  oms_store_t *store;
  oms_bus_t *bus;
  oms_engine_t *e;
  oms_venue_t *sim;
  int nalarm;
  oms_event_t alarm[8];
} world_t;

static int inject(void *ctx, const char *call) {
  world_t *w = ctx;
  (void)call;
  return w->fail;
}

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  if (ev->type == OMS_EVT_ALARM && w->nalarm < 8) w->alarm[w->nalarm++] = *ev;
}

static world_t *make(void) {
  world_t *w = calloc(1, sizeof(*w));
  strcpy(w->dir, "/tmp/oms-pipe-XXXXXX");
  assert_non_null(mkdtemp(w->dir));
  snprintf(w->db, sizeof w->db, "%s/oms.db", w->dir);
  w->now = INT64_C(1764000000000000000);
  static oms_store_fault_t fault;
  fault.inject = inject;
  fault.ctx = w;
  oms_store_config_t sc;
  oms_store_config_init(&sc, w->db);
  sc.durability = OMS_DURABILITY_OS;
  sc.retry_initial_ns = -1; /* recover only when told */
  sc.fault = &fault;
  assert_int_equal(oms_store_sqlite_open(&sc, &w->store), 0);
  oms_replay_source_t src = oms_store_replay_source(w->store);
  assert_int_equal(oms_bus_create(&src, &w->bus), 0);
  oms_clock_t clock = oms_clock_manual(&w->now);
  oms_engine_config_t cfg = {.clock = clock,
                             .max_orders = 1024,
                             .store = w->store,
                             .bus = w->bus,
                             .on_event = on_event,
                             .event_ctx = w};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  t_instrument(&sym.ins, "BTC-USD");
  oms_sim_config_t vc = {.name = "SIM", .clock = clock, .symbols = &sym, .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&vc, &w->sim), 0);
  oms_engine_add_instrument(w->e, &sym.ins, NULL);
  oms_engine_add_venue(w->e, w->sim, NULL);
  return w;
}

static void destroy(world_t *w) {
  oms_engine_destroy(w->e);
  oms_bus_destroy(w->bus);
  oms_store_close(w->store);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
  assert_int_equal(system(cmd), 0);
  free(w);
}

/* Polls until every effect is released and the venue has nothing more to
 * say (each release can make the venue answer, which appends again). */
static void settle(world_t *w) {
  for (int i = 0; i < 50; i++) {
    assert_int_equal(oms_store_flush(w->store, 5000 * MS), 0);
    w->now += MS;
    int work = oms_engine_poll(w->e);
    oms_engine_stats_t st;
    oms_engine_stats(w->e, &st);
    if (work == 0 && st.outbox_depth == 0) return;
  }
  fail_msg("the pipeline did not settle");
}

typedef struct sub_log_s {
  uint64_t next;
  int gaps, lags;
  uint64_t n;
} sub_log_t;

static void sub_event(void *ctx, const oms_event_t *ev) {
  sub_log_t *l = ctx;
  if (ev->seq != l->next) l->gaps++;
  l->next = ev->seq + 1;
  l->n++;
}

static void sub_lag(void *ctx, uint64_t last) {
  sub_log_t *l = ctx;
  (void)last;
  l->lags++;
}

static void test_slow_subscriber_catches_up_from_the_log(void **state) {
  (void)state;
  world_t *w = make();
  sub_log_t log = {.next = 1};
  oms_bus_sub_config_t sc = {
      .name = "slow", .capacity = 16, .on_event = sub_event, .on_lag = sub_lag, .ctx = &log};
  sc.filter.type_mask = 0; /* every type */
  oms_bus_sub_t *sub;
  assert_int_equal(oms_bus_subscribe(w->bus, &sc, &sub), 0);
  for (int i = 0; i < 100; i++) {
    char id[16];
    snprintf(id, sizeof id, "c%d", i);
    oms_order_request_t req;
    t_request(&req, id, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000");
    req.price.raw += (int64_t)i * OMS_DEC_SCALE;
    oms_submit_result_t res;
    assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
    if (i % 10 == 0) settle(w);
  }
  settle(w);
  /* 100 submitted + 100 accepted, far more than 16 slots: it fell behind */
  while (oms_bus_poll(sub, 0) > 0) {
  }
  assert_int_equal(log.gaps, 0);
  assert_true(log.lags >= 1);
  assert_int_equal(log.n, 200);
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(log.next, st.next_event_seq);
  destroy(w);
}

static void test_disk_full_refuses_orders_raises_alarm_and_recovers(void **state) {
  (void)state;
  world_t *w = make();
  oms_order_request_t req;
  oms_submit_result_t res;
  t_request(&req, "before", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  settle(w);
  uint64_t live = res.order->order_id;

  w->fail = 13; /* SQLITE_FULL from here on */
  t_request(&req, "during", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60500");
  oms_engine_submit(w->e, &req, &res); /* queued: the batch then fails */
  oms_store_flush(w->store, 2000 * MS);
  w->now += MS;
  oms_engine_poll(w->e);
  assert_true(oms_store_failed(w->store));
  /* what the user sees: an alarm with the call and the error ... */
  assert_true(w->nalarm >= 1);
  assert_int_equal(w->alarm[0].alarm, OMS_ALARM_STORE_FAILURE);
  assert_int_equal(w->alarm[0].seq, 0);
  assert_non_null(strstr(w->alarm[0].text, "order store failed"));
  /* ... new orders refused with a clear reason ... */
  t_request(&req, "refused", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "61000");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_STORE_FAILED);
  /* ... and nothing routed that is not stored: the venue saw one order */
  oms_sim_stats_t vs;
  oms_sim_venue_stats(w->sim, &vs);
  assert_int_equal(vs.orders, 1);

  w->fail = 0;
  assert_int_equal(oms_store_recover(w->store), 0);
  settle(w);
  assert_int_equal(w->alarm[w->nalarm - 1].alarm, OMS_ALARM_STORE_RECOVERED);
  /* the order queued during the failure was kept and goes out now */
  oms_sim_venue_stats(w->sim, &vs);
  assert_int_equal(vs.orders, 2);
  t_request(&req, "after", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "61500");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  settle(w);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(w->store, live, &o), 0);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  destroy(w);
}

/* ---- recovery equals the state before the restart --------------------------- */

typedef struct node_s {
  char dir[64], db[96];
  int64_t now;
  oms_store_t *store;
  oms_risk_t *risk;
  oms_portfolio_t *pf;
  oms_engine_t *e;
  oms_venue_t *sim;
} node_t;

static void node_start(node_t *n, bool recover) {
  oms_store_config_t sc;
  oms_store_config_init(&sc, n->db);
  sc.durability = OMS_DURABILITY_OS;
  assert_int_equal(oms_store_sqlite_open(&sc, &n->store), 0);
  oms_portfolio_config_t pc = {.max_accounts = 8, .max_symbols = 8, .max_positions = 64};
  assert_int_equal(oms_portfolio_create(&pc, &n->pf), 0);
  oms_risk_config_t rc = {.max_accounts = 8,
                          .max_strategies = 8,
                          .max_symbols = 8,
                          .max_positions = 64,
                          .max_open_orders = 1024};
  assert_int_equal(oms_risk_create(&rc, &n->risk), 0);
  oms_clock_t clock = oms_clock_manual(&n->now);
  oms_engine_config_t cfg = {
      .clock = clock, .max_orders = 1024, .store = n->store, .risk = n->risk, .portfolio = n->pf};
  assert_int_equal(oms_engine_create(&cfg, &n->e), 0);
  oms_sim_symbol_t sym;
  scn_lp_symbol(&sym);
  sym.lp.size = T_D("0.3");
  oms_sim_config_t vc = {.name = "SIM",
                         .clock = clock,
                         .seed = 3,
                         .symbols = &sym,
                         .nsymbols = 1,
                         .taker_fee_rate = T_D("0.0005")};
  assert_int_equal(oms_sim_venue_create(&vc, &n->sim), 0);
  oms_engine_add_instrument(n->e, &sym.ins, NULL);
  oms_engine_add_venue(n->e, n->sim, NULL);
  oms_portfolio_set_cash(n->pf, "ACC1", T_D("1000000"), n->now);
  oms_portfolio_set_cash(n->pf, "ACC2", T_D("1000000"), n->now);
  oms_risk_set_reference_price(n->risk, "BTC-USD", T_D("65000"), n->now);
  loose_limits(n->risk, NULL);
  if (recover) assert_int_equal(oms_engine_recover(n->e, NULL), 0);
}

static void node_stop(node_t *n) {
  assert_int_equal(oms_store_flush(n->store, INT64_C(5000000000)), 0);
  oms_engine_destroy(n->e);
  oms_store_close(n->store);
  oms_risk_destroy(n->risk);
  oms_portfolio_destroy(n->pf);
}

typedef struct snap_s {
  int n;
  oms_order_t o[64];
} snap_t;

static int snap_cb(void *ctx, const oms_order_t *o) {
  snap_t *s = ctx;
  if (s->n < 64) {
    s->o[s->n] = *o;
    s->o[s->n].flags &= ~OMS_ORDF_STATUS_UNKNOWN;
    s->n++;
  }
  return 0;
}

static void test_state_after_recovery_equals_state_before(void **state) {
  (void)state;
  node_t n;
  memset(&n, 0, sizeof n);
  strcpy(n.dir, "/tmp/oms-recover-XXXXXX");
  assert_non_null(mkdtemp(n.dir));
  snprintf(n.db, sizeof n.db, "%s/oms.db", n.dir);
  n.now = INT64_C(1764000000000000000);
  node_start(&n, false);
  /* a session: buys and sells that fill against the provider, orders that
   * rest, a cancel, and a halted account */
  const char *acc[] = {"ACC1", "ACC2"};
  for (int i = 0; i < 40; i++) {
    oms_order_request_t req;
    char id[16];
    snprintf(id, sizeof id, "r%d", i);
    bool buy = i % 3 != 0;
    t_request(&req, id, buy ? OMS_SIDE_BUY : OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.1", "65000");
    strcpy(req.account_id, acc[i % 2]);
    req.qty.raw = (int64_t)(1 + i % 4) * OMS_DEC_SCALE / 10;
    /* every 4th crosses the spread, the rest rest away from it */
    int64_t off = i % 4 == 0 ? 5 : -(20 + i);
    req.price.raw = (65000 + (buy ? off : -off)) * OMS_DEC_SCALE;
    oms_submit_result_t res;
    oms_engine_submit(n.e, &req, &res);
    /* each order reaches the venue before the next is placed, so the
     * session is the same whatever the writer thread's timing */
    oms_store_flush(n.store, INT64_C(5000000000));
    n.now += T_MS;
    oms_engine_poll(n.e);
    if (i == 30) {
      oms_reject_t rej;
      oms_engine_cancel(n.e, 2, &rej);
    }
  }
  assert_int_equal(oms_engine_set_trading_state(n.e, OMS_RISK_SCOPE_ACCOUNT, "ACC2",
                                                OMS_TRADING_REDUCE_ONLY, "test"),
                   0);
  for (int i = 0; i < 50; i++) {
    oms_store_flush(n.store, INT64_C(5000000000));
    n.now += T_MS;
    oms_engine_poll(n.e);
  }
  snap_t before = {0};
  oms_engine_orders(n.e, NULL, snap_cb, &before);
  oms_engine_stats_t st0;
  oms_engine_stats(n.e, &st0);
  oms_pf_position_t p1[2];
  oms_pf_account_t a1[2];
  oms_risk_aggr_t g1[2];
  for (int k = 0; k < 2; k++) {
    oms_portfolio_position(n.pf, acc[k], "BTC-USD", &p1[k]);
    oms_portfolio_account(n.pf, acc[k], n.now, &a1[k]);
    oms_risk_aggregates(n.risk, acc[k], "s1", "BTC-USD", &g1[k]);
  }
  assert_true(before.n > 5);
  assert_false(oms_dec_is_zero(p1[0].qty));
  /* The store's positions table, booked from the same fills as they were
   * stored, holds exactly what the engine's portfolio holds. */
  assert_int_equal(oms_store_flush(n.store, INT64_C(5000000000)), 0);
  for (int k = 0; k < 2; k++) {
    oms_position_t sp;
    int rc = oms_store_get_position(n.store, acc[k], "BTC-USD", &sp);
    assert_true(rc == 0 || (rc == OMS_ENOTFOUND && oms_dec_is_zero(p1[k].fees)));
    assert_true(oms_dec_eq(sp.qty, p1[k].qty));
    assert_true(oms_dec_eq(sp.avg_px, p1[k].avg_px));
    assert_true(oms_dec_eq(sp.realized_pnl, p1[k].realized_pnl));
    assert_true(oms_dec_eq(sp.fees, p1[k].fees));
  }
  node_stop(&n);

  /* the restart */
  node_start(&n, true);
  snap_t after = {0};
  oms_engine_orders(n.e, NULL, snap_cb, &after);
  assert_int_equal(after.n, before.n);
  for (int i = 0; i < before.n; i++)
    assert_memory_equal(&after.o[i], &before.o[i], offsetof(oms_order_t, cum_notional));
  for (int i = 0; i < before.n; i++) {
    assert_int_equal(after.o[i].state, before.o[i].state);
    assert_true(after.o[i].cum_notional == before.o[i].cum_notional);
    assert_int_equal(after.o[i].audit_count, before.o[i].audit_count);
  }
  oms_engine_stats_t st1;
  oms_engine_stats(n.e, &st1);
  assert_int_equal(st1.next_event_seq, st0.next_event_seq);
  assert_int_equal(st1.next_order_id, st0.next_order_id);
  for (int k = 0; k < 2; k++) {
    oms_pf_position_t p2;
    oms_pf_account_t a2;
    oms_risk_aggr_t g2;
    oms_portfolio_position(n.pf, acc[k], "BTC-USD", &p2);
    oms_portfolio_account(n.pf, acc[k], n.now, &a2);
    oms_risk_aggregates(n.risk, acc[k], "s1", "BTC-USD", &g2);
    assert_true(oms_dec_eq(p2.qty, p1[k].qty));
    assert_true(oms_dec_eq(p2.avg_px, p1[k].avg_px));
    assert_true(oms_dec_eq(p2.realized_pnl, p1[k].realized_pnl));
    assert_true(oms_dec_eq(p2.fees, p1[k].fees));
    assert_true(oms_dec_eq(a2.cash, a1[k].cash));
    assert_int_equal(g2.account_open_orders, g1[k].account_open_orders);
    assert_true(oms_dec_eq(g2.open_buy_qty, g1[k].open_buy_qty));
    assert_true(oms_dec_eq(g2.open_sell_qty, g1[k].open_sell_qty));
    assert_true(oms_dec_eq(g2.account_open_notional, g1[k].account_open_notional));
  }
  /* the trading state came back with the store */
  assert_int_equal(oms_risk_get_state(n.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC2"),
                   OMS_TRADING_REDUCE_ONLY);
  node_stop(&n);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", n.dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slow_subscriber_catches_up_from_the_log),
      cmocka_unit_test(test_disk_full_refuses_orders_raises_alarm_and_recovers),
      cmocka_unit_test(test_state_after_recovery_equals_state_before),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
