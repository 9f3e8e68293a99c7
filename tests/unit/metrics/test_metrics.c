/* test_metrics.c - omsd's metrics (apps/omsd/metrics.c) without the daemon:
 * synthetic events and requests in, the Prometheus text out; the snapshot
 * over a small daemon built from the library (memory store, engine with the
 * simulated venue, gateway). With --print it prints a populated rendering
 * instead, for `promtool check metrics` (tests/metrics/promtool_check.sh). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "oms/sim_venue.h"
#include "oms_test.h"
#include "omsd.h"

#define MS INT64_C(1000000)
#define T0 INT64_C(1767225600000000000)

static char *render(omsd_metrics_t *m) {
  /* The out-parameter on the heap: gcc's -Wdangling-pointer takes a pointer
   * returned through a local's address for the local itself. */
  char **box = calloc(1, sizeof *box);
  long n = omsd_metrics_render(m, box);
  char *text = *box;
  free(box);
  assert_true(n > 0);
  assert_non_null(text);
  assert_int_equal((size_t)n, strlen(text));
  return text;
}

/* Fails unless text has line as a whole line. */
static void has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
    if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) return;
  fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void has_no(const char *text, const char *what) {
  if (strstr(text, what) != NULL) fail_msg("\"%s\" should not be in:\n%s", what, text);
}

static oms_event_t order_event(oms_event_type_t type, uint64_t id, oms_ord_state_t state,
                               int64_t event_ns, int64_t request_ns) {
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.seq = id * 10 + (uint64_t)type;
  ev.event_ns = event_ns;
  ev.request_ns = request_ns;
  ev.order.order_id = id;
  ev.order.state = state;
  strcpy(ev.order.venue, "SIM");
  return ev;
}

/* ---- the table ------------------------------------------------------------------------- */

static void test_every_metric_follows_the_naming_rules(void **state) {
  (void)state;
  assert_true(omsd_metrics_count() >= 13);
  for (size_t i = 0; i < omsd_metrics_count(); i++) {
    const char *name, *type, *unit;
    assert_int_equal(omsd_metrics_def(i, &name, &type, &unit), 0);
    assert_memory_equal(name, "oms_", 4);
    size_t n = strlen(name);
    bool total = n > 6 && strcmp(name + n - 6, "_total") == 0;
    if (strcmp(type, "counter") == 0)
      assert_true(total);
    else
      assert_false(total);
    assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0 ||
                strcmp(type, "histogram") == 0);
    if (strcmp(unit, "seconds") == 0) {
      const char *base = total ? name + n - 6 - 8 : name + n - 8;
      assert_memory_equal(base, "_seconds", 8);
    } else {
      assert_string_equal(unit, "");
      assert_null(strstr(name, "_seconds"));
    }
    for (size_t j = 0; j < i; j++) {
      const char *other, *t2, *u2;
      assert_int_equal(omsd_metrics_def(j, &other, &t2, &u2), 0);
      assert_string_not_equal(name, other);
    }
  }
  const char *a, *b, *c;
  assert_int_equal(omsd_metrics_def(omsd_metrics_count(), &a, &b, &c), -1);
}

/* ---- rendering ------------------------------------------------------------------------- */

/* Before anything happened: every metric has its HELP and TYPE, the fixed
 * vocabularies read zero, the histograms are complete and empty. */
static void test_a_fresh_rendering_is_complete_and_zero(void **state) {
  (void)state;
  omsd_metrics_t *m;
  assert_int_equal(omsd_metrics_create(&m), 0);
  char *t = render(m);
  for (size_t i = 0; i < omsd_metrics_count(); i++) {
    const char *name, *type, *unit;
    omsd_metrics_def(i, &name, &type, &unit);
    char line[160];
    snprintf(line, sizeof line, "# TYPE %s %s", name, type);
    has_line(t, line);
    snprintf(line, sizeof line, "# HELP %s ", name);
    assert_non_null(strstr(t, line));
  }
  has_line(t, "oms_build_info{version=\"" OMSD_VERSION "\",commit=\"" OMSD_GIT_COMMIT "\"} 1");
  has_line(t, "oms_orders{state=\"PENDING\"} 0");
  has_line(t, "oms_orders{state=\"TRIGGERED\"} 0");
  has_line(t, "oms_orders_submitted_total 0");
  has_line(t, "oms_order_rejections_total{reason=\"RISK_MAX_ORDER_QTY\"} 0");
  has_no(t, "reason=\"NONE\"");
  has_line(t, "oms_risk_denials_total{check=\"kill_switch\"} 0");
  has_line(t, "oms_risk_denials_total{check=\"other\"} 0");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"internal\",le=\"0.00001\"} 0");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"venue\",le=\"+Inf\"} 0");
  has_line(t, "oms_order_ack_latency_seconds_sum{path=\"venue\"} 0");
  has_line(t, "oms_order_ack_latency_seconds_count{path=\"internal\"} 0");
  has_line(t, "oms_store_commit_latency_seconds_bucket{le=\"0.000025\"} 0");
  has_line(t, "oms_store_commit_latency_seconds_bucket{le=\"2.5\"} 0");
  has_line(t, "oms_store_commit_latency_seconds_bucket{le=\"+Inf\"} 0");
  has_line(t, "oms_store_commit_latency_seconds_count 0");
  has_line(t, "oms_queue_depth{queue=\"outbox\"} 0");
  has_line(t, "oms_queue_depth{queue=\"admin\"} 0");
  has_line(t, "oms_fix_sessions_up{peer=\"client\"} 0");
  has_line(t, "oms_fix_messages_total{peer=\"client\",direction=\"in\"} 0");
  has_line(t, "oms_events_total 0");
  has_no(t, "oms_fills_total{");
  has_no(t, "oms_admin_requests_total{");
  free(t);
  omsd_metrics_destroy(m);
  omsd_metrics_destroy(NULL);
  assert_int_equal(omsd_metrics_create(NULL), -1);
  assert_int_equal(omsd_metrics_render(NULL, &t), -1);
  assert_null(t);
}

static void test_events_and_requests_are_counted(void **state) {
  (void)state;
  omsd_metrics_t *m;
  assert_int_equal(omsd_metrics_create(&m), 0);
  int64_t now = T0 + 40000;
  omsd_metrics_set_clock(m, oms_clock_manual(&now));
  omsd_metrics_set_clock(NULL, oms_clock_manual(&now));
  /* order 1: published 40 us after its request (whatever the event's own
   * stamps say), acknowledged by the venue 3 ms after its submit */
  oms_event_t ev = order_event(OMS_EVT_ORDER_SUBMITTED, 1, OMS_STATE_SUBMITTED, T0, T0);
  omsd_metrics_on_event(m, &ev);
  now = T0 + 3 * MS;
  ev = order_event(OMS_EVT_ORDER_ACCEPTED, 1, OMS_STATE_ACCEPTED, T0 + 3 * MS, T0);
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_PARTIALLY_FILLED, 1, OMS_STATE_PARTIALLY_FILLED, T0 + 5 * MS, 0);
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_FILLED, 1, OMS_STATE_FILLED, T0 + 6 * MS, 0);
  omsd_metrics_on_event(m, &ev);
  /* order 2: denied by a risk check */
  ev = order_event(OMS_EVT_ORDER_DENIED, 2, OMS_STATE_REJECTED, T0, T0);
  ev.reason = OMS_R_RISK_MAX_ORDER_QTY;
  strcpy(ev.check, "max_order_size");
  omsd_metrics_on_event(m, &ev);
  /* order 3: refused by the venue after its submit: no venue ack measured,
   * even if an accept came later (it is gone from the table) */
  ev = order_event(OMS_EVT_ORDER_SUBMITTED, 3, OMS_STATE_SUBMITTED, T0 + 1000, 0);
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_REJECTED, 3, OMS_STATE_REJECTED, T0 + 2000, 0);
  ev.order.reject_code = OMS_R_VENUE_REJECT; /* the reason from the order */
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_ACCEPTED, 3, OMS_STATE_ACCEPTED, T0 + 3000, 0);
  omsd_metrics_on_event(m, &ev);
  /* a custom check, a fill on a venue with a name that needs escaping */
  ev = order_event(OMS_EVT_ORDER_DENIED, 4, OMS_STATE_REJECTED, T0, T0);
  ev.reason = OMS_R_RISK_THROTTLE;
  strcpy(ev.check, "my_check");
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_FILLED, 5, OMS_STATE_FILLED, T0, 0);
  strcpy(ev.order.venue, "A\"B\\C");
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ALARM, 0, OMS_STATE_PENDING, T0, 0);
  omsd_metrics_on_event(m, &ev);
  omsd_metrics_on_event(m, NULL);
  omsd_metrics_on_event(NULL, &ev);

  omsd_metrics_on_request(m, 200);
  omsd_metrics_on_request(m, 200);
  omsd_metrics_on_request(m, 401);
  omsd_metrics_on_request(m, 99); /* not a status: ignored */
  omsd_metrics_on_request(m, 600);
  omsd_metrics_on_request(NULL, 200);
  omsd_metrics_set_admin_queue(m, 3);
  omsd_metrics_set_admin_queue(NULL, 3);

  char *t = render(m);
  has_line(t, "oms_events_total 11");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"internal\",le=\"0.000025\"} 0");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"internal\",le=\"0.00005\"} 1");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"internal\",le=\"+Inf\"} 1");
  has_line(t, "oms_order_ack_latency_seconds_sum{path=\"internal\"} 0.00004");
  has_line(t, "oms_order_ack_latency_seconds_count{path=\"internal\"} 1");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"venue\",le=\"0.0025\"} 0");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"venue\",le=\"0.005\"} 1");
  has_line(t, "oms_order_ack_latency_seconds_bucket{path=\"venue\",le=\"10\"} 1");
  has_line(t, "oms_order_ack_latency_seconds_sum{path=\"venue\"} 0.003");
  has_line(t, "oms_order_ack_latency_seconds_count{path=\"venue\"} 1");
  has_line(t, "oms_risk_denials_total{check=\"max_order_size\"} 1");
  has_line(t, "oms_risk_denials_total{check=\"other\"} 1");
  has_line(t, "oms_order_rejections_total{reason=\"RISK_MAX_ORDER_QTY\"} 1");
  has_line(t, "oms_order_rejections_total{reason=\"RISK_THROTTLE\"} 1");
  has_line(t, "oms_order_rejections_total{reason=\"VENUE_REJECT\"} 1");
  has_line(t, "oms_fills_total{venue=\"SIM\"} 2");
  has_line(t, "oms_fills_total{venue=\"A\\\"B\\\\C\"} 1");
  has_line(t, "oms_admin_requests_total{code=\"200\"} 2");
  has_line(t, "oms_admin_requests_total{code=\"401\"} 1");
  has_line(t, "oms_queue_depth{queue=\"admin\"} 3");
  has_no(t, "code=\"99\"");
  has_no(t, "code=\"600\"");
  free(t);
  omsd_metrics_destroy(m);
}

/* A rejection whose code this build does not know is counted, as UNKNOWN. */
static void test_an_unknown_reason_is_counted_as_unknown(void **state) {
  (void)state;
  omsd_metrics_t *m;
  assert_int_equal(omsd_metrics_create(&m), 0);
  oms_event_t ev = order_event(OMS_EVT_ORDER_REJECTED, 1, OMS_STATE_REJECTED, T0, 0);
  ev.reason = (oms_reason_t)9999;
  omsd_metrics_on_event(m, &ev);
  char *t = render(m);
  has_line(t, "oms_order_rejections_total{reason=\"UNKNOWN\"} 1");
  free(t);
  omsd_metrics_destroy(m);
}

/* The submit times live in a bounded table: far more orders in flight than
 * it holds lose some venue acks (the oldest), never memory or time. */
static void test_the_submit_table_is_bounded_and_keeps_the_newest(void **state) {
  (void)state;
  omsd_metrics_t *m;
  assert_int_equal(omsd_metrics_create(&m), 0);
  const uint64_t n = 200000; /* three times the table */
  for (uint64_t id = 1; id <= n; id++) {
    oms_event_t ev =
        order_event(OMS_EVT_ORDER_SUBMITTED, id, OMS_STATE_SUBMITTED, T0 + (int64_t)id * 1000, 0);
    omsd_metrics_on_event(m, &ev);
  }
  for (uint64_t id = 1; id <= n; id++) {
    oms_event_t ev = order_event(OMS_EVT_ORDER_ACCEPTED, id, OMS_STATE_ACCEPTED,
                                 T0 + (int64_t)id * 1000 + MS, 0);
    omsd_metrics_on_event(m, &ev);
  }
  char *t = render(m);
  const char *c = strstr(t, "oms_order_ack_latency_seconds_count{path=\"venue\"} ");
  assert_non_null(c);
  unsigned long long got = strtoull(strchr(c, '}') + 2, NULL, 10);
  assert_true(got >= 50000 && got <= 65536); /* about what fits, none twice */
  free(t);
  /* the newest order in flight is always found */
  oms_event_t ev = order_event(OMS_EVT_ORDER_SUBMITTED, n + 1, OMS_STATE_SUBMITTED, T0, 0);
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_ACCEPTED, n + 1, OMS_STATE_ACCEPTED, T0 + MS, 0);
  omsd_metrics_on_event(m, &ev);
  t = render(m);
  char want[128];
  snprintf(want, sizeof want, "oms_order_ack_latency_seconds_count{path=\"venue\"} %llu", got + 1);
  has_line(t, want);
  free(t);
  omsd_metrics_destroy(m);
}

/* The three kinds of writers and the renderer at once (run under TSan with
 * the threaded tests): no lock, and every rendering is whole. */
typedef struct feeder_s {
  omsd_metrics_t *m;
  int kind; /* 0: events, 1: requests */
} feeder_t;

static void *feed(void *arg) {
  feeder_t *f = arg;
  for (uint64_t id = 1; id <= 20000; id++) {
    if (f->kind == 1) {
      omsd_metrics_on_request(f->m, id % 2 ? 200 : 404);
      continue;
    }
    oms_event_t ev = order_event(OMS_EVT_ORDER_SUBMITTED, id, OMS_STATE_SUBMITTED, T0, T0);
    omsd_metrics_on_event(f->m, &ev);
    ev = order_event(OMS_EVT_ORDER_FILLED, id, OMS_STATE_FILLED, T0 + MS, T0);
    strcpy(ev.order.venue, id % 2 ? "SIM" : "X");
    omsd_metrics_on_event(f->m, &ev);
  }
  return NULL;
}

static void test_rendering_while_events_and_requests_flow(void **state) {
  (void)state;
  omsd_metrics_t *m;
  assert_int_equal(omsd_metrics_create(&m), 0);
  feeder_t fe = {m, 0}, fr = {m, 1};
  pthread_t te, tr;
  assert_int_equal(pthread_create(&te, NULL, feed, &fe), 0);
  assert_int_equal(pthread_create(&tr, NULL, feed, &fr), 0);
  for (int i = 0; i < 50; i++) {
    char *t = render(m);
    assert_non_null(strstr(t, "oms_events_total "));
    free(t);
  }
  pthread_join(te, NULL);
  pthread_join(tr, NULL);
  char *t = render(m);
  has_line(t, "oms_events_total 40000");
  has_line(t, "oms_fills_total{venue=\"SIM\"} 10000");
  has_line(t, "oms_fills_total{venue=\"X\"} 10000");
  has_line(t, "oms_admin_requests_total{code=\"404\"} 10000");
  free(t);
  omsd_metrics_destroy(m);
}

/* ---- the snapshot over a small daemon ------------------------------------------------------ */

typedef struct mini_s {
  int64_t now;
  oms_config_t *cfg;
  omsd_t d;
  oms_venue_t *sim;
} mini_t;

static int gw_send(void *ctx, uint64_t conn, const char *d, size_t n) {
  (void)ctx;
  (void)conn;
  (void)d;
  (void)n;
  return 0;
}

static void gw_close(void *ctx, uint64_t conn, const char *reason) {
  (void)ctx;
  (void)conn;
  (void)reason;
}

static mini_t *mini_make(void) {
  mini_t *w = calloc(1, sizeof *w);
  w->now = T0;
  w->cfg = calloc(1, sizeof *w->cfg);
  w->cfg->nvenues = 1;
  strcpy(w->cfg->venues[0].name, "SIM");
  w->d.cfg = w->cfg;
  assert_int_equal(oms_store_memory_create(NULL, &w->d.store), 0);
  oms_engine_config_t ec = {
      .clock = oms_clock_manual(&w->now), .max_orders = 64, .store = w->d.store};
  assert_int_equal(oms_engine_create(&ec, &w->d.engine), 0);
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  t_instrument(&sym.ins, "BTC-USD");
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 64,
                         .ack_latency_ns = MS,
                         .fill_latency_ns = MS,
                         .seed = 1,
                         .symbols = &sym,
                         .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&sc, &w->sim), 0);
  assert_int_equal(oms_engine_add_instrument(w->d.engine, &sym.ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->d.engine, w->sim, NULL), 0);
  oms_gateway_config_t gc = {.engine = w->d.engine,
                             .clock = oms_clock_manual(&w->now),
                             .default_venue = "SIM",
                             .io = {.send = gw_send, .close = gw_close}};
  assert_int_equal(oms_gateway_create(&gc, &w->d.gw), 0);
  oms_gateway_session_config_t s1 = {
      .client_comp_id = "CLIENT1", .our_comp_id = "OMS", .account = "ACC1"};
  assert_int_equal(oms_gateway_add_session(w->d.gw, &s1), 0);
  return w;
}

static void mini_destroy(mini_t *w) {
  oms_gateway_destroy(w->d.gw);
  oms_engine_destroy(w->d.engine);
  oms_store_close(w->d.store);
  free(w->cfg);
  free(w);
}

static void mini_submit(mini_t *w, const char *clordid) {
  oms_order_request_t req;
  t_request(&req, clordid, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "60000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->d.engine, &req, &res), 0);
  for (int i = 0; i < 5; i++) {
    w->now += MS;
    oms_engine_poll(w->d.engine);
  }
}

static void test_the_snapshot_copies_the_daemons_gauges(void **state) {
  (void)state;
  mini_t *w = mini_make();
  mini_submit(w, "c1");
  mini_submit(w, "c2");
  omsd_metrics_t *m;
  assert_int_equal(omsd_metrics_create(&m), 0);
  omsd_metrics_snapshot(m, &w->d);
  omsd_metrics_snapshot(m, &w->d); /* again: the names are not added twice */
  omsd_metrics_snapshot(NULL, &w->d);
  omsd_metrics_snapshot(m, NULL);
  char *t = render(m);
  has_line(t, "oms_orders{state=\"ACCEPTED\"} 2");
  has_line(t, "oms_orders{state=\"PENDING\"} 0");
  has_line(t, "oms_orders_submitted_total 2");
  has_line(t, "oms_queue_depth{queue=\"router_SIM\"} 0");
  has_line(t, "oms_queue_depth{queue=\"outbox\"} 0");
  has_line(t, "oms_queue_depth{queue=\"store\"} 0");
  has_line(t, "oms_fix_sessions_up{peer=\"client\"} 0");
  has_line(t, "oms_fix_sessions_up{peer=\"venue\"} 0");
  has_line(t, "oms_fix_messages_total{peer=\"client\",direction=\"out\"} 0");
  /* the memory store timed each unit it applied: two submits, two accepts */
  has_line(t, "oms_store_commit_latency_seconds_bucket{le=\"+Inf\"} 4");
  has_line(t, "oms_store_commit_latency_seconds_count 4");
  const char *first = strstr(t, "router_SIM");
  assert_non_null(first);
  assert_null(strstr(first + 1, "router_SIM"));
  free(t);
  omsd_metrics_destroy(m);
  mini_destroy(w);
}

/* --print: a rendering with every kind of series, for promtool. */
static int print_sample(void) {
  mini_t *w = mini_make();
  mini_submit(w, "p1");
  omsd_metrics_t *m;
  if (omsd_metrics_create(&m) != 0) return 1;
  int64_t now = T0 + 40000;
  omsd_metrics_set_clock(m, oms_clock_manual(&now));
  oms_event_t ev = order_event(OMS_EVT_ORDER_SUBMITTED, 1, OMS_STATE_SUBMITTED, T0, T0);
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_ACCEPTED, 1, OMS_STATE_ACCEPTED, T0 + 2 * MS, 0);
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_FILLED, 1, OMS_STATE_FILLED, T0 + 3 * MS, 0);
  strcpy(ev.order.venue, "A\"B\\C");
  omsd_metrics_on_event(m, &ev);
  ev = order_event(OMS_EVT_ORDER_DENIED, 2, OMS_STATE_REJECTED, T0, T0);
  ev.reason = OMS_R_RISK_HALTED;
  strcpy(ev.check, "kill_switch");
  omsd_metrics_on_event(m, &ev);
  omsd_metrics_on_request(m, 200);
  omsd_metrics_on_request(m, 404);
  omsd_metrics_snapshot(m, &w->d);
  char *text = NULL;
  long n = omsd_metrics_render(m, &text);
  if (n < 0) return 1;
  fwrite(text, 1, (size_t)n, stdout);
  free(text);
  omsd_metrics_destroy(m);
  mini_destroy(w);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--print") == 0) return print_sample();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_metric_follows_the_naming_rules),
      cmocka_unit_test(test_a_fresh_rendering_is_complete_and_zero),
      cmocka_unit_test(test_events_and_requests_are_counted),
      cmocka_unit_test(test_an_unknown_reason_is_counted_as_unknown),
      cmocka_unit_test(test_the_submit_table_is_bounded_and_keeps_the_newest),
      cmocka_unit_test(test_the_snapshot_copies_the_daemons_gauges),
      cmocka_unit_test(test_rendering_while_events_and_requests_flow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
