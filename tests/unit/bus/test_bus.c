/* Tests for src/bus/bus.c: filters, live delivery, a slow subscriber that
 * falls behind and catches up from the log with no gap and no duplicate (in
 * one thread and with a consumer thread), replay from any seq, a log that is
 * behind the publisher, and a bus without a replay source. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/bus/bus_fixture.h"

static void sub_config(oms_bus_sub_config_t *c, fx_rec_t *r, uint32_t cap) {
  memset(c, 0, sizeof *c);
  c->name = "test";
  c->capacity = cap;
  c->on_event = fx_rec_on_event;
  c->on_lag = fx_rec_on_lag;
  c->ctx = r;
}

/* Asserts r saw exactly seqs first..last (every one). */
static void assert_contiguous(const fx_rec_t *r, uint64_t first, uint64_t last) {
  assert_int_equal(r->n, last - first + 1);
  for (size_t i = 0; i < r->n; i++) assert_int_equal(r->seqs[i], first + i);
}

static void test_filters_select_by_type_strategy_account_and_symbol(void **state) {
  (void)state;
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_ORDER_FILLED;
  strcpy(ev.order.strategy_id, "s1");
  strcpy(ev.order.account_id, "A1");
  strcpy(ev.order.symbol, "BTC-USD");
  oms_bus_filter_t f;
  memset(&f, 0, sizeof f);
  assert_true(oms_bus_filter_match(&f, &ev));
  f.type_mask = OMS_EVT_BIT(OMS_EVT_ORDER_ACCEPTED);
  assert_false(oms_bus_filter_match(&f, &ev));
  f.type_mask |= OMS_EVT_BIT(OMS_EVT_ORDER_FILLED);
  assert_true(oms_bus_filter_match(&f, &ev));
  strcpy(f.strategy_id, "s2");
  assert_false(oms_bus_filter_match(&f, &ev));
  strcpy(f.strategy_id, "s1");
  strcpy(f.account_id, "A2");
  assert_false(oms_bus_filter_match(&f, &ev));
  strcpy(f.account_id, "A1");
  strcpy(f.symbol, "ETH-USD");
  assert_false(oms_bus_filter_match(&f, &ev));
  strcpy(f.symbol, "BTC-USD");
  assert_true(oms_bus_filter_match(&f, &ev));
  /* A trading-state change concerns everyone: only the type mask applies. */
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_TRADING_STATE_CHANGED;
  assert_false(oms_bus_filter_match(&f, &ev));
  f.type_mask |= OMS_EVT_BIT(OMS_EVT_TRADING_STATE_CHANGED);
  assert_true(oms_bus_filter_match(&f, &ev));
}

static void test_live_delivery_to_matching_subscribers_only(void **state) {
  (void)state;
  fx_log_t log;
  fx_log_init(&log, 64);
  oms_replay_source_t src = fx_log_source(&log);
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(&src, &bus), 0);
  fx_rec_t all, s2, fills;
  fx_rec_init(&all, 64);
  fx_rec_init(&s2, 64);
  fx_rec_init(&fills, 64);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *sa, *sb, *sc;
  sub_config(&c, &all, 16);
  assert_int_equal(oms_bus_subscribe(bus, &c, &sa), 0);
  sub_config(&c, &s2, 16);
  strcpy(c.filter.strategy_id, "s2");
  assert_int_equal(oms_bus_subscribe(bus, &c, &sb), 0);
  sub_config(&c, &fills, 16);
  c.filter.type_mask = OMS_EVT_BIT(OMS_EVT_ORDER_FILLED);
  assert_int_equal(oms_bus_subscribe(bus, &c, &sc), 0);
  int copies = 0;
  for (int i = 0; i < 10; i++) {
    oms_event_t *e = fx_log_add(&log, i % 2 ? OMS_EVT_ORDER_FILLED : OMS_EVT_ORDER_ACCEPTED,
                                i < 5 ? "s1" : "s2", "BTC-USD");
    copies += oms_bus_publish(bus, e);
  }
  assert_int_equal(copies, 10 + 5 + 5);
  assert_int_equal(oms_bus_poll(sa, 4), 4);
  assert_int_equal(oms_bus_poll(sa, 0), 6);
  assert_int_equal(oms_bus_poll(sa, 0), 0);
  assert_contiguous(&all, 1, 10);
  assert_int_equal(oms_bus_poll(sb, 0), 5);
  assert_int_equal(s2.seqs[0], 6);
  assert_int_equal(oms_bus_poll(sc, 0), 5);
  assert_int_equal(fills.seqs[4], 10);
  assert_false(oms_bus_sub_lagging(sa));
  oms_bus_sub_stats_t st;
  oms_bus_sub_stats(sa, &st);
  assert_int_equal(st.delivered, 10);
  assert_int_equal(st.replayed, 0);
  assert_int_equal(st.last_seq, 10);
  /* A transient (seq 0) notice goes live to everyone who wants it. */
  oms_event_t alarm;
  memset(&alarm, 0, sizeof alarm);
  alarm.type = OMS_EVT_ALARM;
  assert_int_equal(oms_bus_publish(bus, &alarm), 2);
  assert_int_equal(oms_bus_poll(sb, 0), 1);
  oms_bus_unsubscribe(bus, sb);
  oms_bus_unsubscribe(bus, NULL);
  assert_int_equal(oms_bus_publish(bus, &alarm), 1);
  oms_bus_destroy(bus);
  oms_bus_destroy(NULL);
  fx_log_free(&log);
  free(all.seqs);
  free(s2.seqs);
  free(fills.seqs);
}

static void test_subscribe_refuses_bad_config(void **state) {
  (void)state;
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(NULL, &bus), 0);
  fx_rec_t r;
  fx_rec_init(&r, 4);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *s;
  sub_config(&c, &r, 12);
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), OMS_EINVAL);
  sub_config(&c, &r, 0);
  c.on_event = NULL;
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), OMS_EINVAL);
  sub_config(&c, &r, 2);
  c.from_seq = 5; /* replay without a log */
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), OMS_EINVAL);
  c.from_seq = 0;
  for (int i = 0; i < OMS_BUS_MAX_SUBS; i++) assert_int_equal(oms_bus_subscribe(bus, &c, &s), 0);
  oms_bus_sub_t *last = s;
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), OMS_EFULL);
  assert_null(s);
  assert_int_equal(oms_bus_replay_from(last, 1), OMS_EINVAL);
  oms_bus_destroy(bus);
  free(r.seqs);
}

static void test_slow_subscriber_catches_up_from_the_log_without_gap_or_duplicate(void **state) {
  (void)state;
  fx_log_t log;
  fx_log_init(&log, 5000);
  oms_replay_source_t src = fx_log_source(&log);
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(&src, &bus), 0);
  fx_rec_t r, f;
  fx_rec_init(&r, 5000);
  fx_rec_init(&f, 5000);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *s, *sf;
  sub_config(&c, &r, 8);
  c.replay_batch = 64;
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), 0);
  sub_config(&c, &f, 8); /* a filtered one: strategy s1 only */
  c.replay_batch = 16;
  strcpy(c.filter.strategy_id, "s1");
  assert_int_equal(oms_bus_subscribe(bus, &c, &sf), 0);
  size_t want_f = 0;
  for (int i = 0; i < 4000; i++) {
    const char *strat = (i % 3) ? "s1" : "s2";
    if (i % 3) want_f++;
    oms_event_t *e = fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, strat, "BTC-USD");
    oms_bus_publish(bus, e);
    if (i % 97 == 0) { /* the consumer is much slower than the producer */
      oms_bus_poll(s, 3);
      oms_bus_poll(sf, 3);
    }
  }
  assert_true(oms_bus_sub_lagging(s));
  for (int i = 0; i < 1000 && (oms_bus_sub_lagging(s) || oms_bus_sub_lagging(sf)); i++) {
    oms_bus_poll(s, 0);
    oms_bus_poll(sf, 0);
  }
  /* Back live: the next event arrives through the ring. */
  for (int i = 0; i < 3; i++)
    oms_bus_publish(bus, fx_log_add(&log, OMS_EVT_ORDER_FILLED, "s1", "X"));
  want_f += 3;
  oms_bus_poll(s, 0);
  oms_bus_poll(sf, 0);
  assert_false(oms_bus_sub_lagging(s));
  assert_false(oms_bus_sub_lagging(sf));
  assert_contiguous(&r, 1, 4003);
  assert_int_equal(f.n, want_f);
  for (size_t i = 1; i < f.n; i++) assert_true(f.seqs[i] > f.seqs[i - 1]);
  assert_true(atomic_load(&r.lags) >= 1);
  oms_bus_sub_stats_t st;
  oms_bus_sub_stats(s, &st);
  assert_true(st.replayed > 3000);
  assert_true(st.lags >= 1);
  oms_bus_destroy(bus);
  fx_log_free(&log);
  free(r.seqs);
  free(f.seqs);
}

static void test_log_behind_the_publisher_keeps_the_subscriber_lagging(void **state) {
  (void)state;
  fx_log_t log;
  fx_log_init(&log, 100);
  oms_replay_source_t src = fx_log_source(&log);
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(&src, &bus), 0);
  fx_rec_t r;
  fx_rec_init(&r, 100);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *s;
  sub_config(&c, &r, 2);
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), 0);
  for (int i = 0; i < 5; i++)
    oms_bus_publish(bus, fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X"));
  assert_true(oms_bus_sub_lagging(s));
  assert_int_equal(oms_bus_poll(s, 0), 5); /* 2 from the ring, 3 from the log; rejoin at 6 */
  /* Events 6 and 7 were published while the log only had 6: the publisher
   * sees 6 == rejoin point and goes live; fine. Now make the log lag: */
  oms_event_t *e6 = fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X");
  oms_bus_publish(bus, e6);
  oms_bus_poll(s, 0);
  assert_false(oms_bus_sub_lagging(s));
  /* Force a rewind, then publish 8 while the log holds only up to 7. */
  fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X"); /* 7 */
  assert_int_equal(oms_bus_replay_from(s, 7), 0);
  oms_event_t ev8;
  memset(&ev8, 0, sizeof ev8);
  ev8.seq = 8;
  ev8.type = OMS_EVT_ORDER_ACCEPTED;
  oms_bus_poll(s, 0); /* replays 7, asks to rejoin at 8 */
  oms_event_t ev9 = ev8;
  ev9.seq = 9;
  oms_bus_publish(bus, &ev9); /* 9 > 8: 8 was missed, so lagging again */
  assert_true(oms_bus_sub_lagging(s));
  fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X"); /* 8 reaches the log */
  fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X"); /* 9 */
  oms_bus_poll(s, 0);
  oms_event_t *e10 = fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X");
  oms_bus_publish(bus, e10);
  oms_bus_poll(s, 0);
  assert_false(oms_bus_sub_lagging(s));
  /* 7 came from the requested replay, 8 and 9 from the log, 10 live. */
  assert_contiguous(&r, 1, 10);
  /* A replay source that fails: the error comes back, nothing is lost. */
  assert_int_equal(oms_bus_replay_from(s, 9), 0);
  log.fail = OMS_EIO;
  assert_int_equal(oms_bus_poll(s, 0), OMS_EIO);
  log.fail = 0;
  assert_int_equal(oms_bus_poll(s, 0), 2);
  assert_int_equal(r.seqs[10], 9);
  assert_int_equal(r.seqs[11], 10);
  assert_int_equal(oms_bus_replay_from(s, 0), OMS_EINVAL);
  oms_bus_destroy(bus);
  fx_log_free(&log);
  free(r.seqs);
}

static void test_subscribe_from_seq_replays_history_then_goes_live(void **state) {
  (void)state;
  fx_log_t log;
  fx_log_init(&log, 100);
  oms_replay_source_t src = fx_log_source(&log);
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(&src, &bus), 0);
  for (int i = 0; i < 20; i++) fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X");
  fx_rec_t r;
  fx_rec_init(&r, 100);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *s;
  sub_config(&c, &r, 4);
  c.from_seq = 11;
  c.replay_batch = 4;
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), 0);
  oms_bus_publish(bus, fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X")); /* 21 */
  while (oms_bus_sub_lagging(s)) {
    oms_bus_poll(s, 0);
    oms_bus_publish(bus, fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X"));
  }
  oms_bus_poll(s, 0);
  assert_contiguous(&r, 11, atomic_load(&log.n));
  assert_int_equal(atomic_load(&r.lags), 0); /* a requested replay is not a lag */
  oms_bus_destroy(bus);
  fx_log_free(&log);
  free(r.seqs);
}

static void test_without_a_replay_source_a_lagging_subscriber_loses_events(void **state) {
  (void)state;
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(NULL, &bus), 0);
  fx_rec_t r;
  fx_rec_init(&r, 100);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *s;
  sub_config(&c, &r, 4);
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), 0);
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_ORDER_ACCEPTED;
  for (uint64_t i = 1; i <= 10; i++) {
    ev.seq = i;
    oms_bus_publish(bus, &ev);
  }
  assert_int_equal(oms_bus_poll(s, 0), 4);
  assert_int_equal(atomic_load(&r.lags), 1);
  assert_int_equal(r.lag_last, 4);
  assert_false(oms_bus_sub_lagging(s));
  ev.seq = 11;
  oms_bus_publish(bus, &ev);
  assert_int_equal(oms_bus_poll(s, 0), 1);
  assert_int_equal(r.seqs[4], 11);
  oms_bus_destroy(bus);
  free(r.seqs);
}

/* A consumer thread polls while the core thread publishes as fast as it can. */
typedef struct thr_s {
  oms_bus_sub_t *sub;
  fx_rec_t *rec;
  uint64_t want;
} thr_t;

static void *consumer(void *arg) {
  thr_t *t = arg;
  while (t->rec->n < t->want) oms_bus_poll(t->sub, 0);
  return NULL;
}

static void test_threaded_consumer_sees_every_event_in_order(void **state) {
  (void)state;
  enum { N = 200000 };
  fx_log_t log;
  fx_log_init(&log, N);
  oms_replay_source_t src = fx_log_source(&log);
  oms_bus_t *bus;
  assert_int_equal(oms_bus_create(&src, &bus), 0);
  fx_rec_t r;
  fx_rec_init(&r, N);
  oms_bus_sub_config_t c;
  oms_bus_sub_t *s;
  sub_config(&c, &r, 64);
  assert_int_equal(oms_bus_subscribe(bus, &c, &s), 0);
  thr_t t = {s, &r, N};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, consumer, &t), 0);
  for (int i = 0; i < N; i++)
    oms_bus_publish(bus, fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X"));
  /* Keep publishing nothing new; the consumer catches up from the log. */
  pthread_join(th, NULL);
  assert_contiguous(&r, 1, N);
  oms_bus_destroy(bus);
  fx_log_free(&log);
  free(r.seqs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_filters_select_by_type_strategy_account_and_symbol),
      cmocka_unit_test(test_live_delivery_to_matching_subscribers_only),
      cmocka_unit_test(test_subscribe_refuses_bad_config),
      cmocka_unit_test(test_slow_subscriber_catches_up_from_the_log_without_gap_or_duplicate),
      cmocka_unit_test(test_log_behind_the_publisher_keeps_the_subscriber_lagging),
      cmocka_unit_test(test_subscribe_from_seq_replays_history_then_goes_live),
      cmocka_unit_test(test_without_a_replay_source_a_lagging_subscriber_loses_events),
      cmocka_unit_test(test_threaded_consumer_sees_every_event_in_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
