/* The event stream against a real nats-server of the test's own: every
 * event once, in seq order, through a server killed and restarted and a
 * publisher stopped and recreated (omsd's restart) with its cursor behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "oms/stream.h"
#include "oms_test.h"
#include "unit/store/store_fixture.h"
#include "unit/stream/nats_fixture.h"

#define ORDERS 600 /* 3 events each */
#define TOTAL (ORDERS * 3)

typedef struct env_s {
  fx_dir_t d;
  oms_store_t *st;
  oms_order_t o;
  uint64_t seq;
  fx_nats_t nats;
} env_t;

static void open_store(env_t *e) {
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, e->d.journal, e->d.db);
  jc.durability = OMS_DURABILITY_OS;
  assert_int_equal(oms_store_journal_open(&jc, &e->st), 0);
}

/* Orders from..to: submitted, accepted, filled, one unit each. */
static void trade(env_t *e, int from, int to) {
  for (int i = from; i < to; i++) {
    oms_event_t ev[3];
    fx_order(&e->o, (uint64_t)i + 1, "s1", i % 2 ? "ACC.1" : "A2", "BTC-USD", T0);
    fx_apply(&e->o, OMS_EV_SUBMIT, NULL, NULL, T0, ++e->seq, &ev[0]);
    fx_apply(&e->o, OMS_EV_ACCEPT, NULL, NULL, T0, ++e->seq, &ev[1]);
    fx_apply(&e->o, OMS_EV_FILL, "2", "100", T0, ++e->seq, &ev[2]);
    oms_store_unit_t u = {ev, 3};
    uint64_t ticket;
    assert_int_equal(oms_store_append(e->st, &u, 0, &ticket), 0);
  }
  assert_int_equal(oms_store_flush(e->st, -1), 0);
}

static void logline(void *ctx, int error, const char *text) {
  (void)ctx;
  fprintf(stderr, "stream: %s (%d)\n", text, error);
}

static void config(oms_stream_config_t *c, const env_t *e) {
  memset(c, 0, sizeof *c);
  c->nats_url = e->nats.url;
  c->stream = "OMS_TEST";
  c->prefix = "oms";
  c->instance = "i1";
  c->window = 64;
  c->ack_timeout_ns = 500 * INT64_C(1000000);
  c->backoff_initial_ns = 20 * INT64_C(1000000);
  c->backoff_max_ns = 200 * INT64_C(1000000);
  c->on_log = logline;
}

/* A store in a new directory, a nats-server of the test's own, the
 * default configuration; finish undoes it. */
static void begin(env_t *e, oms_stream_config_t *c) {
  fx_dir_make(&e->d);
  open_store(e);
  fx_nats_start(&e->nats);
  config(c, e);
}

static void finish(env_t *e) {
  oms_store_close(e->st);
  fx_nats_remove(&e->nats);
  assert_int_equal(fx_dir_remove(&e->d), 0);
}

static oms_stream_t *start(env_t *e, const oms_stream_config_t *c) {
  oms_replay_source_t src = oms_store_replay_source(e->st);
  oms_cursor_store_t cs = oms_store_cursor_store(e->st);
  oms_stream_t *s;
  assert_int_equal(oms_stream_create(c, &src, &cs, &s), 0);
  assert_int_equal(oms_stream_start(s), 0);
  return s;
}

/* Waits (30 s at most: the publisher runs at SCHED_IDLE) until the cursor reaches seq. */
static void wait_cursor(oms_stream_t *s, uint64_t seq) {
  oms_stream_stats_t st;
  for (int i = 0; i < 3000; i++) {
    oms_stream_stats(s, &st);
    if (st.cursor >= seq) return;
    fx_sleep_ms(10);
  }
  fail_msg("cursor %" PRIu64 " never reached %" PRIu64 " (state %s)", st.cursor, seq,
           oms_stream_state_name(st.state));
}

/* The stream holds 1..TOTAL once each, in order. */
static void check_stream(env_t *e, uint64_t total) {
  static uint64_t ids[TOTAL * 2];
  static char subj[TOTAL * 2][128];
  long n = fx_nats_read_all(e->nats.url, "OMS_TEST", ids, subj, TOTAL * 2);
  assert_int_equal(n, (long)total);
  for (long i = 0; i < n; i++) assert_int_equal(ids[i], (uint64_t)i + 1);
  assert_string_equal(subj[0], "oms.i1.A2.OrderSubmitted");
  assert_string_equal(subj[4], "oms.i1.ACC_1.OrderAccepted"); /* '.' is not a token's */
  assert_string_equal(subj[5], "oms.i1.ACC_1.OrderFilled");
}

static void test_every_event_once_in_order_through_server_kill_and_restart(void **state) {
  (void)state;
  if (!fx_nats_present()) skip();
  env_t e = {0};
  oms_stream_config_t c;
  begin(&e, &c);
  oms_stream_t *s = start(&e, &c);
  trade(&e, 0, ORDERS / 3);
  wait_cursor(s, 30); /* publishing */
  fx_nats_kill(&e.nats, SIGKILL);
  trade(&e, ORDERS / 3, 2 * ORDERS / 3); /* the journal keeps them; nothing waits */
  fx_sleep_ms(300);
  oms_stream_stats_t st;
  oms_stream_stats(s, &st);
  assert_true(st.state == OMS_STREAM_BACKOFF || st.state == OMS_STREAM_CONNECTING);
  assert_true(st.cursor < e.seq);
  fx_nats_start(&e.nats);
  trade(&e, 2 * ORDERS / 3, ORDERS);
  wait_cursor(s, TOTAL);
  oms_stream_stats(s, &st);
  assert_int_equal(st.state, OMS_STREAM_PUBLISHING);
  assert_true(st.failures > 0);
  assert_true(st.acked >= TOTAL);
  oms_stream_stop(s, INT64_C(1000000000));
  oms_stream_stats(s, &st);
  assert_int_equal(st.state, OMS_STREAM_STOPPED);
  oms_stream_destroy(s);
  check_stream(&e, TOTAL);
  uint64_t cur = 0;
  assert_int_equal(oms_store_cursor_get(e.st, "stream", &cur), 0);
  assert_int_equal(cur, TOTAL); /* saved at stop */
  finish(&e);
}

/* A cursor saved rarely (an omsd killed between saves): the new publisher
 * republishes from the saved cursor; the server drops the repeats. */
static void test_restart_behind_the_cursor_republishes_and_duplicates_are_dropped(void **state) {
  (void)state;
  if (!fx_nats_present()) skip();
  env_t e = {0};
  oms_stream_config_t c;
  begin(&e, &c);
  c.save_interval_ns = INT64_C(3600000000000); /* never during the run */
  oms_stream_t *s = start(&e, &c);
  trade(&e, 0, ORDERS / 2);
  wait_cursor(s, 300);
  /* As if killed: nothing saved, then a new store and publisher. */
  oms_cursor_store_t cs = oms_store_cursor_store(e.st);
  uint64_t cur = 99;
  assert_int_equal(cs.load(cs.ctx, "stream", &cur), 0);
  assert_int_equal(cur, 0);
  oms_stream_stop(s, INT64_C(1000000000));
  oms_stream_destroy(s); /* saves at stop: take it back */
  assert_int_equal(cs.save(cs.ctx, "stream", 10), 0);
  oms_store_close(e.st);
  open_store(&e);
  trade(&e, ORDERS / 2, ORDERS);
  c.save_interval_ns = 0;
  s = start(&e, &c);
  wait_cursor(s, TOTAL);
  oms_stream_stats_t st;
  oms_stream_stats(s, &st);
  assert_true(st.duplicates >= 290); /* 11..300 at least came back */
  oms_stream_destroy(s);
  check_stream(&e, TOTAL);
  finish(&e);
}

/* A server that stops answering but keeps its socket (SIGSTOP): only the
 * publisher's own ack timeout can see it. It gives the connection up, says
 * which seq went unacked, and once the server runs again every event is in
 * the stream once, in order. */
static void count_late(void *ctx, int error, const char *text) {
  logline(NULL, error, text);
  if (strstr(text, "not acked within 500 ms") != NULL) atomic_fetch_add((atomic_int *)ctx, 1);
}

static void test_silent_server_times_out_and_nothing_is_lost(void **state) {
  (void)state;
  if (!fx_nats_present()) skip();
  env_t e = {0};
  oms_stream_config_t c;
  begin(&e, &c);
  atomic_int late = 0; /* the publisher thread counts, the test reads */
  c.on_log = count_late;
  c.ctx = &late;
  oms_stream_t *s = start(&e, &c);
  trade(&e, 0, ORDERS / 3);
  wait_cursor(s, ORDERS);
  assert_int_equal(kill(e.nats.pid, SIGSTOP), 0);
  trade(&e, ORDERS / 3, ORDERS / 2);
  oms_stream_stats_t st = {0};
  for (int i = 0; i < 1000 && (st.failures == 0 || atomic_load(&late) == 0); i++) {
    fx_sleep_ms(10);
    oms_stream_stats(s, &st);
  }
  assert_true(st.failures >= 1);
  assert_true(atomic_load(&late) >= 1);
  assert_true(st.cursor < e.seq);
  assert_int_equal(kill(e.nats.pid, SIGCONT), 0);
  trade(&e, ORDERS / 2, ORDERS);
  wait_cursor(s, TOTAL);
  oms_stream_destroy(s);
  check_stream(&e, TOTAL);
  finish(&e);
}

/* No server at all: the publisher backs off and the store is untouched. */
static void test_no_server_backs_off(void **state) {
  (void)state;
  env_t e = {0};
  fx_dir_make(&e.d);
  open_store(&e);
  trade(&e, 0, 5);
  snprintf(e.nats.url, sizeof e.nats.url, "nats://127.0.0.1:%d", fx_free_port());
  oms_stream_config_t c;
  config(&c, &e);
  c.on_log = NULL;
  oms_stream_t *s = start(&e, &c);
  oms_stream_stats_t st;
  for (int i = 0; i < 1000; i++) { /* SCHED_IDLE: on a busy machine it may take a while */
    oms_stream_stats(s, &st);
    if (st.failures > 0) break;
    fx_sleep_ms(10);
  }
  assert_true(st.failures > 0);
  assert_int_equal(st.cursor, 0);
  assert_int_equal(oms_stream_start(s), OMS_EINVAL);
  oms_stream_destroy(s);
  oms_store_close(e.st);
  assert_int_equal(fx_dir_remove(&e.d), 0);
}

/* A stream that exists but does not hold our subjects (someone else's
 * configuration): every publish comes back an error, nothing is acked, the
 * cursor stays, the publisher keeps retrying. */
static void test_stream_without_our_subjects_acks_nothing(void **state) {
  (void)state;
  if (!fx_nats_present()) skip();
  env_t e = {0};
  oms_stream_config_t c;
  begin(&e, &c);
  trade(&e, 0, 5);
  natsConnection *nc = NULL;
  jsCtx *js = NULL;
  assert_int_equal(natsConnection_ConnectTo(&nc, e.nats.url), NATS_OK);
  assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char *subjects[1] = {"other.>"};
  sc.Name = "OMS_TEST";
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  assert_int_equal(js_AddStream(NULL, js, &sc, NULL, NULL), NATS_OK);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  c.ack_timeout_ns = 200 * INT64_C(1000000);
  oms_stream_t *s = start(&e, &c);
  oms_stream_stats_t st;
  for (int i = 0; i < 1000; i++) {
    oms_stream_stats(s, &st);
    if (st.failures >= 2) break;
    fx_sleep_ms(10);
  }
  assert_true(st.failures >= 2);
  assert_int_equal(st.cursor, 0);
  assert_int_equal(st.acked, 0);
  oms_stream_destroy(s);
  finish(&e);
}

static void test_create_refuses_bad_arguments_and_names(void **state) {
  (void)state;
  env_t e = {0};
  fx_dir_make(&e.d);
  open_store(&e);
  snprintf(e.nats.url, sizeof e.nats.url, "nats://127.0.0.1:1");
  oms_replay_source_t src = oms_store_replay_source(e.st);
  oms_cursor_store_t cs = oms_store_cursor_store(e.st);
  oms_stream_config_t c;
  oms_stream_t *s = (oms_stream_t *)&c;
  config(&c, &e);
  assert_int_equal(oms_stream_create(NULL, &src, &cs, &s), OMS_EINVAL);
  assert_null(s);
  c.instance = "a.b";
  assert_int_equal(oms_stream_create(&c, &src, &cs, &s), OMS_EINVAL);
  c.instance = "i1";
  c.prefix = "";
  assert_int_equal(oms_stream_create(&c, &src, &cs, &s), OMS_EINVAL);
  c.prefix = "o*";
  assert_int_equal(oms_stream_create(&c, &src, &cs, &s), OMS_EINVAL);
  c.prefix = "oms";
  c.window = 100;
  assert_int_equal(oms_stream_create(&c, &src, &cs, &s), OMS_EINVAL);
  c.window = 0;
  c.cursor = "";
  assert_int_equal(oms_stream_create(&c, &src, &cs, &s), OMS_EINVAL);
  c.cursor = "mine";
  assert_int_equal(oms_stream_create(&c, &src, &cs, &s), 0);
  oms_stream_stats_t st;
  oms_stream_stats(s, &st);
  assert_int_equal(st.state, OMS_STREAM_STOPPED);
  oms_stream_stop(s, 0); /* not started */
  oms_stream_destroy(s);
  oms_stream_destroy(NULL);
  assert_string_equal(oms_stream_state_name(OMS_STREAM_BACKOFF), "backoff");
  assert_string_equal(oms_stream_state_name((oms_stream_state_t)99), "unknown");
  oms_event_t ev;
  oms_event_init(&ev, OMS_EVT_TRADING_STATE_CHANGED, NULL, T0, 0);
  char buf[64];
  assert_int_equal(oms_stream_subject("p", "i", &ev, buf, sizeof buf), 25);
  assert_string_equal(buf, "p.i._.TradingStateChanged");
  assert_int_equal(oms_stream_subject("p", "i", &ev, buf, 8), OMS_ENOSPC);
  oms_store_close(e.st);
  assert_int_equal(fx_dir_remove(&e.d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_refuses_bad_arguments_and_names),
      cmocka_unit_test(test_no_server_backs_off),
      cmocka_unit_test(test_stream_without_our_subjects_acks_nothing),
      cmocka_unit_test(test_every_event_once_in_order_through_server_kill_and_restart),
      cmocka_unit_test(test_restart_behind_the_cursor_republishes_and_duplicates_are_dropped),
      cmocka_unit_test(test_silent_server_times_out_and_nothing_is_lost),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
