/* test_banner.c - what a person reads in omsd's output (apps/omsd/banner.c):
 * one readable key=value line per order event at the level its type has,
 * nothing below the log level, and the ready banner naming the FIX address
 * and sessions without a password. stderr is captured into a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "omsd.h"

static char path[64];
static int saved_fd = -1;

static int capture(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/test_banner_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  saved_fd = dup(2);
  dup2(fd, 2);
  close(fd);
  app_log_level = OMS_LOG_INFO;
  return 0;
}

/* What was written since capture, NUL-terminated (static). */
static const char *captured(void) {
  static char buf[16384];
  fflush(stderr);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  return buf;
}

static int restore(void **state) {
  (void)state;
  fflush(stderr);
  dup2(saved_fd, 2);
  close(saved_fd);
  unlink(path);
  return 0;
}

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr(s, &d), 0);
  return d;
}

static oms_event_t order_event(oms_event_type_t type) {
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = type;
  ev.seq = 41;
  oms_order_t *o = &ev.order;
  o->order_id = 12;
  snprintf(o->client_order_id, sizeof o->client_order_id, "c 1\"x");
  snprintf(o->strategy_id, sizeof o->strategy_id, "CLIENT1");
  snprintf(o->account_id, sizeof o->account_id, "ACC1");
  snprintf(o->venue, sizeof o->venue, "SIM");
  snprintf(o->symbol, sizeof o->symbol, "AAPL");
  o->side = OMS_SIDE_BUY;
  o->type = OMS_ORD_LIMIT;
  o->tif = OMS_TIF_DAY;
  o->qty = D("100");
  o->price = D("190.00");
  o->state = OMS_STATE_ACCEPTED;
  return ev;
}

static void test_an_accepted_order_reads_as_a_sentence_with_its_keys(void **state) {
  (void)state;
  oms_event_t ev = order_event(OMS_EVT_ORDER_ACCEPTED);
  omsd_log_event(&ev);
  const char *out = captured();
  assert_non_null(strstr(out,
                         "level=info msg=\"order 12 accepted: BUY 100 AAPL @ 190 LIMIT DAY\" "
                         "order=12 event=OrderAccepted acct=ACC1 strat=CLIENT1 venue=SIM "
                         "clordid=c_1'x state=ACCEPTED seq=41\n"));
}

static void test_a_risk_refusal_names_the_reason_and_the_check(void **state) {
  (void)state;
  oms_event_t ev = order_event(OMS_EVT_ORDER_DENIED);
  ev.order.qty = D("5000");
  ev.order.state = OMS_STATE_REJECTED;
  ev.reason = OMS_R_RISK_MAX_ORDER_QTY;
  snprintf(ev.text, sizeof ev.text, "qty 5000 above max_order_qty 1000");
  snprintf(ev.check, sizeof ev.check, "max_order_qty");
  omsd_log_event(&ev);
  const char *out = captured();
  assert_non_null(strstr(out,
                         "msg=\"order 12 refused: RISK_MAX_ORDER_QTY: qty 5000 above max_order_qty "
                         "1000 (check max_order_qty) (BUY 5000 AAPL @ 190 LIMIT DAY)\""));
  assert_non_null(strstr(out, " reason=RISK_MAX_ORDER_QTY check=max_order_qty seq=41\n"));
}

static void test_a_fill_says_how_much_at_what_price_and_how_far_along(void **state) {
  (void)state;
  oms_event_t ev = order_event(OMS_EVT_ORDER_PARTIALLY_FILLED);
  ev.fill.qty = D("40");
  ev.fill.price = D("189.99");
  ev.order.filled_qty = D("40");
  ev.order.avg_px = D("189.99");
  omsd_log_event(&ev);
  ev = order_event(OMS_EVT_ORDER_CANCELLED);
  ev.order.filled_qty = D("40");
  omsd_log_event(&ev);
  const char *out = captured();
  assert_non_null(strstr(
      out, "msg=\"order 12 partly filled: BUY 40 AAPL @ 189.99, 40 of 100 done, avg 189.99\""));
  assert_non_null(strstr(out, "msg=\"order 12 cancelled: AAPL 40 of 100 done\""));
}

static void test_intermediate_steps_are_debug_and_nothing_below_the_level_is_written(void **state) {
  (void)state;
  oms_event_t ev = order_event(OMS_EVT_ORDER_SUBMITTED);
  omsd_log_event(&ev);
  app_log_level = OMS_LOG_WARN;
  ev = order_event(OMS_EVT_ORDER_FILLED);
  omsd_log_event(&ev);
  assert_string_equal(captured(), "");
  app_log_level = OMS_LOG_DEBUG;
  ev = order_event(OMS_EVT_ORDER_SUBMITTED);
  omsd_log_event(&ev);
  assert_non_null(strstr(captured(), "level=debug msg=\"order 12 submitted: BUY 100 AAPL"));
}

static void test_trading_states_and_alarms_are_their_own_lines(void **state) {
  (void)state;
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_TRADING_STATE_CHANGED;
  ev.seq = 7;
  ev.scope_kind = OMS_RISK_SCOPE_ACCOUNT;
  snprintf(ev.scope_id, sizeof ev.scope_id, "ACC1");
  ev.old_state = OMS_TRADING_ACTIVE;
  ev.new_state = OMS_TRADING_HALTED;
  snprintf(ev.text, sizeof ev.text, "ops: lunch");
  omsd_log_event(&ev);
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_ALARM;
  ev.alarm = OMS_ALARM_STORE_FAILURE;
  ev.alarm_code = 10;
  snprintf(ev.text, sizeof ev.text, "disk I/O error");
  omsd_log_event(&ev);
  ev.type = (oms_event_type_t)31; /* unknown: nothing */
  omsd_log_event(&ev);
  const char *out = captured();
  assert_non_null(strstr(out,
                         "level=warn msg=\"trading state account ACC1: ACTIVE -> HALTED: "
                         "ops: lunch\" scope=account id=ACC1 state=HALTED previous=ACTIVE"));
  assert_non_null(strstr(out,
                         "level=error msg=\"alarm STORE_FAILURE: disk I/O error\" "
                         "kind=STORE_FAILURE code=10 seq=0\n"));
}

static void test_the_banner_names_the_fix_address_and_sessions_never_a_password(void **state) {
  (void)state;
  oms_config_t *cfg = calloc(1, sizeof *cfg);
  assert_non_null(cfg);
  snprintf(cfg->fix_address, sizeof cfg->fix_address, "127.0.0.1");
  snprintf(cfg->data_dir, sizeof cfg->data_dir, "var");
  cfg->nsessions = 1;
  snprintf(cfg->sessions[0].sender_comp_id, OMS_ID_MAX + 1, "CLIENT1");
  snprintf(cfg->sessions[0].target_comp_id, OMS_ID_MAX + 1, "OMS");
  snprintf(cfg->sessions[0].account, OMS_ID_MAX + 1, "ACC1");
  snprintf(cfg->sessions[0].password, OMS_CFG_SECRET_MAX + 1, "client1-secret");
  omsd_t d;
  memset(&d, 0, sizeof d);
  d.cfg = cfg;
  d.config_path = "etc/omsd.conf";
  d.listen_port = 9878;
  omsd_print_ready(&d);
  const char *out = captured();
  assert_non_null(strstr(out, "msg=\"omsd ready\" fix=127.0.0.1:9878"));
  assert_non_null(strstr(out, " FIX 4.4    127.0.0.1:9878\n"));
  assert_non_null(strstr(out, "SenderCompID=CLIENT1"));
  assert_non_null(strstr(out, "account=ACC1"));
  assert_null(strstr(out, "client1-secret"));
  free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_an_accepted_order_reads_as_a_sentence_with_its_keys,
                                      capture, restore),
      cmocka_unit_test_setup_teardown(test_a_risk_refusal_names_the_reason_and_the_check, capture,
                                      restore),
      cmocka_unit_test_setup_teardown(test_a_fill_says_how_much_at_what_price_and_how_far_along,
                                      capture, restore),
      cmocka_unit_test_setup_teardown(
          test_intermediate_steps_are_debug_and_nothing_below_the_level_is_written, capture,
          restore),
      cmocka_unit_test_setup_teardown(test_trading_states_and_alarms_are_their_own_lines, capture,
                                      restore),
      cmocka_unit_test_setup_teardown(
          test_the_banner_names_the_fix_address_and_sessions_never_a_password, capture, restore),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
