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
  uint64_t live = res.order.order_id;

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_slow_subscriber_catches_up_from_the_log),
      cmocka_unit_test(test_disk_full_refuses_orders_raises_alarm_and_recovers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
