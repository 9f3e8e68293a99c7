/* Tests for src/bus/sink.c: in-order delivery from the log, retries with
 * deterministic exponential backoff on the injected clock, the cursor saved
 * and resumed (also across a restart of the SQLite store: at-least-once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit/bus/bus_fixture.h"
#include "unit/store/store_fixture.h"

typedef struct target_s {
  uint64_t got[256];
  size_t n;
  int fail_next; /* fail this many deliveries */
} target_t;

static int deliver(void *ctx, const oms_event_t *ev) {
  target_t *t = ctx;
  if (t->fail_next > 0) {
    t->fail_next--;
    return OMS_EIO;
  }
  t->got[t->n++] = ev->seq;
  return 0;
}

typedef struct cursors_s {
  uint64_t seq;
  int saves;
  int fail_save;
  int fail_load;
} cursors_t;

static int cur_load(void *ctx, const char *sink, uint64_t *seq) {
  cursors_t *c = ctx;
  assert_string_equal(sink, "out");
  if (c->fail_load) return OMS_ESTORE;
  *seq = c->seq;
  return 0;
}

static int cur_save(void *ctx, const char *sink, uint64_t seq) {
  cursors_t *c = ctx;
  (void)sink;
  if (c->fail_save) return OMS_ESTORE;
  c->seq = seq;
  c->saves++;
  return 0;
}

static void sink_config(oms_sink_config_t *c, target_t *t) {
  memset(c, 0, sizeof *c);
  c->name = "out";
  c->deliver = deliver;
  c->ctx = t;
  c->backoff_initial_ns = 1000;
  c->backoff_max_ns = 16000;
  c->jitter_seed = 7;
  c->batch = 4;
}

static void test_backoff_doubles_to_the_cap_with_deterministic_jitter(void **state) {
  (void)state;
  for (uint32_t a = 1; a <= 10; a++) {
    int64_t d = 1000;
    for (uint32_t i = 1; i < a; i++) d = d * 2 > 16000 ? 16000 : d * 2;
    int64_t b = oms_backoff_ns(1000, 16000, a, 7, 42);
    assert_true(b >= d / 2 && b <= d);
    assert_int_equal(b, oms_backoff_ns(1000, 16000, a, 7, 42));
  }
  assert_int_equal(oms_backoff_ns(1000, 16000, 0, 7, 1), oms_backoff_ns(1000, 16000, 1, 7, 1));
  int differ = 0;
  for (uint64_t s = 0; s < 32; s++)
    differ +=
        oms_backoff_ns(1000000, 16000000, 3, 1, s) != oms_backoff_ns(1000000, 16000000, 3, 2, s);
  assert_true(differ > 16);
}

static void test_delivers_in_order_retries_after_backoff_and_saves_cursor(void **state) {
  (void)state;
  fx_log_t log;
  fx_log_init(&log, 64);
  for (int i = 0; i < 10; i++) fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, i == 4 ? "s2" : "s1", "X");
  oms_replay_source_t src = fx_log_source(&log);
  cursors_t cur = {0};
  oms_cursor_store_t cs = {cur_load, cur_save, &cur};
  target_t t = {0};
  oms_sink_config_t c;
  sink_config(&c, &t);
  strcpy(c.filter.strategy_id, "s1"); /* seq 5 is skipped but passed over */
  oms_sink_t *sink;
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), 0);
  int64_t now = 1000000;
  assert_int_equal(oms_sink_poll(sink, now), 4); /* 1..4 */
  assert_int_equal(cur.seq, 4);
  t.fail_next = 2;
  assert_int_equal(oms_sink_poll(sink, now), 0); /* 5 skipped, 6 fails */
  assert_int_equal(oms_sink_cursor(sink), 5);
  assert_int_equal(cur.seq, 5);
  assert_int_equal(oms_sink_failures(sink), 1);
  int64_t at = oms_sink_retry_at(sink);
  assert_int_equal(at, now + oms_backoff_ns(1000, 16000, 1, 7, 6));
  assert_int_equal(oms_sink_poll(sink, at - 1), 0); /* still backing off: nothing read */
  size_t reads = atomic_load(&log.reads);
  assert_int_equal(oms_sink_poll(sink, at - 1), 0);
  assert_int_equal(atomic_load(&log.reads), reads);
  assert_int_equal(oms_sink_poll(sink, at), 0); /* second failure */
  assert_int_equal(oms_sink_failures(sink), 2);
  int64_t at2 = oms_sink_retry_at(sink);
  assert_int_equal(at2, at + oms_backoff_ns(1000, 16000, 2, 7, 6));
  assert_int_equal(oms_sink_poll(sink, at2), 4); /* 6..9 */
  assert_int_equal(oms_sink_poll(sink, at2), 1); /* 10 */
  assert_int_equal(oms_sink_poll(sink, at2), 0);
  assert_int_equal(oms_sink_failures(sink), 0);
  assert_int_equal(oms_sink_retry_at(sink), 0);
  assert_int_equal(t.n, 9);
  for (size_t i = 1; i < t.n; i++) assert_true(t.got[i] > t.got[i - 1]);
  assert_int_equal(cur.seq, 10);
  /* A cursor save that fails is retried on the next poll. */
  fx_log_add(&log, OMS_EVT_ORDER_ACCEPTED, "s1", "X");
  cur.fail_save = 1;
  assert_int_equal(oms_sink_poll(sink, at2), 1);
  assert_int_equal(cur.seq, 10);
  cur.fail_save = 0;
  assert_int_equal(oms_sink_poll(sink, at2), 0);
  assert_int_equal(cur.seq, 11);
  /* A source error comes back. */
  log.fail = OMS_EIO;
  assert_int_equal(oms_sink_poll(sink, at2), OMS_EIO);
  oms_sink_destroy(sink);
  oms_sink_destroy(NULL);
  /* A new sink resumes after the saved cursor. */
  log.fail = 0;
  t.n = 0;
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), 0);
  assert_int_equal(oms_sink_cursor(sink), 11);
  assert_int_equal(oms_sink_poll(sink, 0), 0);
  oms_sink_destroy(sink);
  fx_log_free(&log);
}

static void test_create_refuses_bad_arguments(void **state) {
  (void)state;
  fx_log_t log;
  fx_log_init(&log, 4);
  oms_replay_source_t src = fx_log_source(&log);
  cursors_t cur = {0};
  oms_cursor_store_t cs = {cur_load, cur_save, &cur};
  target_t t = {0};
  oms_sink_config_t c;
  oms_sink_t *sink;
  sink_config(&c, &t);
  c.name = "";
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), OMS_EINVAL);
  sink_config(&c, &t);
  c.deliver = NULL;
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), OMS_EINVAL);
  sink_config(&c, &t);
  assert_int_equal(oms_sink_create(&c, NULL, &cs, &sink), OMS_EINVAL);
  assert_int_equal(oms_sink_create(&c, &src, NULL, &sink), OMS_EINVAL);
  cur.fail_load = 1;
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), OMS_ESTORE);
  assert_null(sink);
  /* Defaults. */
  cur.fail_load = 0;
  memset(&c, 0, sizeof c);
  c.name = "out";
  c.deliver = deliver;
  c.ctx = &t;
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), 0);
  oms_sink_destroy(sink);
  fx_log_free(&log);
}

static void test_sink_on_sqlite_store_resumes_after_restart_at_least_once(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_config_t cfg;
  oms_store_config_init(&cfg, d.db);
  cfg.durability = OMS_DURABILITY_OS;
  oms_store_t *st;
  assert_int_equal(oms_store_sqlite_open(&cfg, &st), 0);
  oms_event_t ev[6];
  oms_order_t o;
  fx_order(&o, 1, "s1", "A1", "BTC-USD", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, 1, &ev[0]);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0, 2, &ev[1]);
  fx_apply(&o, OMS_EV_FILL, "1", "100", T0, 3, &ev[2]);
  oms_store_unit_t u = {ev, 3};
  uint64_t ticket;
  assert_int_equal(oms_store_append(st, &u, 0, &ticket), 0);
  assert_int_equal(oms_store_wait(st, ticket, -1), 0);
  oms_replay_source_t src = oms_store_replay_source(st);
  oms_cursor_store_t cs = oms_store_cursor_store(st);
  target_t t = {0};
  oms_sink_config_t c;
  sink_config(&c, &t);
  oms_sink_t *sink;
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), 0);
  assert_int_equal(oms_sink_poll(sink, 0), 3);
  oms_sink_destroy(sink);
  oms_store_close(st); /* the queued cursor is written on close */
  assert_int_equal(oms_store_sqlite_open(&cfg, &st), 0);
  fx_apply(&o, OMS_EV_FILL, "1", "100", T0, 4, &ev[3]);
  u.events = &ev[3];
  u.n_events = 1;
  assert_int_equal(oms_store_append(st, &u, 0, &ticket), 0);
  assert_int_equal(oms_store_flush(st, -1), 0);
  src = oms_store_replay_source(st);
  cs = oms_store_cursor_store(st);
  assert_int_equal(oms_sink_create(&c, &src, &cs, &sink), 0);
  assert_int_equal(oms_sink_cursor(sink), 3);
  assert_int_equal(oms_sink_poll(sink, 0), 1);
  assert_int_equal(t.n, 4);
  assert_int_equal(t.got[3], 4);
  oms_sink_destroy(sink);
  oms_store_close(st);
  assert_int_equal(fx_dir_remove(&d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backoff_doubles_to_the_cap_with_deterministic_jitter),
      cmocka_unit_test(test_delivers_in_order_retries_after_backoff_and_saves_cursor),
      cmocka_unit_test(test_create_refuses_bad_arguments),
      cmocka_unit_test(test_sink_on_sqlite_store_resumes_after_restart_at_least_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
