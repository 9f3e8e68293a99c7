/* test_session.c - the session of src/fix/session.c, acceptor and initiator roles, driven with a
 * manual clock, an in-memory store and a recording io table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix_test_util.h"
#include "oms/fix_dict.h"

#define MAX_OUT 64

typedef struct harness_s {
  int64_t now;
  mem_store_t store;
  oms_fix_session_t *s;
  oms_fix_session_config_t cfg;
  char out[MAX_OUT][1024];
  size_t out_len[MAX_OUT];
  int nout;
  int disconnected;
  char reason[256];
  int napp;
  char app_types[MAX_OUT][4];
  int app_possdup[MAX_OUT];
  int auth_fail;
  int send_fail;
  int reply_in_app;
  int nlost;
  char lost_type[4];
  int nlog;
  oms_fix_msg_t m; /* last message returned by sent() */
} harness_t;

static int h_send(void *ctx, const char *d, size_t len) {
  harness_t *h = ctx;
  if (h->send_fail) return OMS_EIO;
  assert_true(h->nout < MAX_OUT);
  assert_true(len < sizeof(h->out[0]));
  memcpy(h->out[h->nout], d, len);
  h->out_len[h->nout++] = len;
  return 0;
}

static void h_disconnect(void *ctx, const char *reason) {
  harness_t *h = ctx;
  h->disconnected++;
  snprintf(h->reason, sizeof(h->reason), "%s", reason);
}

static int h_app(void *ctx, const oms_fix_msg_t *m) {
  harness_t *h = ctx;
  snprintf(h->app_types[h->napp], sizeof(h->app_types[0]), "%.*s", (int)m->msg_type.len,
           m->msg_type.ptr);
  int pd = 0;
  (void)oms_fix_msg_get_bool(m, 43, &pd);
  h->app_possdup[h->napp++] = pd;
  if (h->reply_in_app) {
    oms_fix_str_t id;
    assert_int_equal(oms_fix_msg_get_str(m, 11, &id), 0);
    oms_fix_exec_report_t er = {.order_id = oms_fix_str("X1"),
                                .cl_ord_id = id,
                                .exec_id = oms_fix_str("E1"),
                                .exec_type = OMS_FIX_EXEC_TYPE_NEW,
                                .ord_status = OMS_FIX_ORD_STATUS_NEW,
                                .symbol = oms_fix_str("BTC-USD"),
                                .side = '1',
                                .leaves_qty = oms_fix_str("1"),
                                .cum_qty = oms_fix_str("0"),
                                .avg_px = oms_fix_str("0"),
                                .ord_rej_reason = -1};
    assert_int_equal(oms_fix_session_send_exec_report(h->s, &er), 0);
  }
  return 0;
}

static int h_auth(void *ctx, oms_fix_str_t user, oms_fix_str_t pass) {
  harness_t *h = ctx;
  if (h->auth_fail) return -1;
  if (user.len == 0) return 0; /* tests without credentials */
  return oms_fix_str_eq(user, "alice") && oms_fix_str_eq(pass, "secret") ? 0 : -1;
}

static void h_log(void *ctx, oms_fix_log_level_t lvl, const char *text) {
  harness_t *h = ctx;
  (void)lvl;
  (void)text;
  h->nlog++;
}

static void h_lost(void *ctx, oms_fix_str_t type, const char *why) {
  harness_t *h = ctx;
  assert_non_null(why);
  snprintf(h->lost_type, sizeof h->lost_type, "%.*s", (int)type.len, type.len ? type.ptr : "");
  h->nlost++;
}

static oms_fix_session_t *h_create(harness_t *h) {
  oms_fix_session_io_t io = {h_send, h_disconnect, h_app, h_auth, h_log, h, h_lost};
  oms_fix_session_store_t st = ms_table(&h->store);
  oms_clock_t clk = {test_clock_now, &h->now};
  oms_fix_session_t *s = NULL;
  assert_int_equal(oms_fix_session_create(&h->cfg, &io, &st, &clk, &s), 0);
  return s;
}

static int setup(void **state) {
  harness_t *h = calloc(1, sizeof(*h));
  h->now = T0;
  h->cfg.sender_comp_id = "OMS";
  h->cfg.target_comp_id = "CLIENT";
  h->s = h_create(h);
  *state = h;
  return 0;
}

static int teardown(void **state) {
  harness_t *h = *state;
  oms_fix_session_destroy(h->s);
  ms_free(&h->store);
  free(h);
  return 0;
}

/* Sends "35=type|49=CLIENT|56=OMS|34=seq|52=now|extra" from the peer. */
static int peer(harness_t *h, const char *type, int64_t seq, const char *extra) {
  char ts[OMS_FIX_TIME_LEN + 1], body[2048], msg[4096];
  oms_fix_format_time(h->now, ts);
  snprintf(body, sizeof(body), "35=%s|49=CLIENT|56=OMS|34=%lld|52=%s|%s", type, (long long)seq, ts,
           extra ? extra : "");
  size_t len = frame(msg, sizeof(msg), body), used = 0;
  int rc = oms_fix_session_on_bytes(h->s, msg, len, &used);
  if (rc == 0) assert_int_equal(used, len);
  return rc;
}

/* Parses the i-th message we sent (negative: from the end). */
static const oms_fix_msg_t *sent(harness_t *h, int i) {
  if (i < 0) i += h->nout;
  assert_true(i >= 0 && i < h->nout);
  size_t used;
  assert_int_equal(oms_fix_parse(h->out[i], h->out_len[i], NULL, &h->m, &used, NULL), 0);
  assert_int_equal(used, h->out_len[i]);
  return &h->m;
}

static void assert_field(const oms_fix_msg_t *m, uint32_t tag, const char *want) {
  oms_fix_str_t v;
  assert_int_equal(oms_fix_msg_get_str(m, tag, &v), 0);
  if (!oms_fix_str_eq(v, want))
    fail_msg("tag %u: got '%.*s' want '%s'", tag, (int)v.len, v.ptr, want);
}

static void assert_no_field(const oms_fix_msg_t *m, uint32_t tag) {
  oms_fix_str_t v;
  assert_int_equal(oms_fix_msg_get_str(m, tag, &v), OMS_ENOTFOUND);
}

static void logon(harness_t *h, int64_t seq) {
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", seq, "98=0|108=30|553=alice|554=secret|"), 0);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_ACTIVE);
}

static void send_er(harness_t *h, const char *id) {
  oms_fix_exec_report_t er = {.order_id = oms_fix_str("X1"),
                              .cl_ord_id = oms_fix_str(id),
                              .exec_id = oms_fix_str(id),
                              .exec_type = OMS_FIX_EXEC_TYPE_NEW,
                              .ord_status = OMS_FIX_ORD_STATUS_NEW,
                              .symbol = oms_fix_str("BTC-USD"),
                              .side = '1',
                              .leaves_qty = oms_fix_str("1"),
                              .cum_qty = oms_fix_str("0"),
                              .avg_px = oms_fix_str("0"),
                              .ord_rej_reason = -1};
  assert_int_equal(oms_fix_session_send_exec_report(h->s, &er), 0);
}

#define NOS "11=ORD1|55=BTC-USD|54=1|60=20260101-00:00:00|38=1|40=1|"

/* ------------------------------------------------------------------------ */

static void test_logon_is_answered_and_activates_the_session(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(h->nout, 1);
  const oms_fix_msg_t *m = sent(h, 0);
  assert_true(oms_fix_msg_is(m, "A"));
  assert_field(m, 49, "OMS");
  assert_field(m, 56, "CLIENT");
  assert_field(m, 34, "1");
  assert_field(m, 98, "0");
  assert_field(m, 108, "30");
  assert_no_field(m, 141);
  assert_int_equal(oms_fix_session_heartbeat_s(h->s), 30);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 2);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
  assert_int_equal(h->store.next_sender, 2);
  assert_int_equal(h->store.next_target, 2);
  assert_int_equal(h->disconnected, 0);
}

static void test_logon_with_bad_password_is_logged_out(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 1, "98=0|108=30|553=alice|554=wrong|"), OMS_ECLOSED);
  assert_int_equal(h->nout, 1);
  const oms_fix_msg_t *m = sent(h, 0);
  assert_true(oms_fix_msg_is(m, "5"));
  assert_field(m, 58, "authentication failed");
  assert_int_equal(h->disconnected, 1);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_DISCONNECTED);
  assert_int_equal(h->napp, 0);
}

static void test_logon_with_wrong_comp_id_is_logged_out(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  char msg[512];
  size_t len = frame(msg, sizeof(msg),
                     "35=A|49=INTRUDER|56=OMS|34=1|52=20260101-00:00:00|98=0|108=30|"),
         used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, 0), "5"));
  assert_field(sent(h, 0), 58, "CompID problem");
  assert_int_equal(h->disconnected, 1);
  /* Wrong TargetCompID likewise. */
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  len = frame(msg, sizeof(msg), "35=A|49=CLIENT|56=OTHER|34=1|52=20260101-00:00:00|108=30|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  assert_int_equal(h->disconnected, 2);
}

static void test_message_before_logon_disconnects_silently(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "D", 1, NOS), OMS_ECLOSED);
  assert_int_equal(h->nout, 0);
  assert_int_equal(h->napp, 0);
  assert_int_equal(h->disconnected, 1);
  assert_int_equal(peer(h, "D", 1, NOS), OMS_ECLOSED); /* stays closed */
}

static void test_garbled_bytes_before_logon_disconnect(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  size_t used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, "GET / HTTP/1.1\r\n", 16, &used), OMS_ECLOSED);
  assert_int_equal(h->disconnected, 1);
}

static void test_invalid_logon_fields_are_logged_out(void **state) {
  harness_t *h = *state;
  const char *extras[] = {"98=0|",         "98=0|108=-1|", "98=0|108=301|",
                          "98=0|108=x|",   "98=1|108=30|", "98=x|108=30|",
                          "108=30|141=X|", "108=30|141=Y|"}; /* 141=Y needs 34=1: sent with 34=3 */
  for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
    h->nout = 0;
    assert_int_equal(oms_fix_session_connect(h->s), 0);
    assert_int_equal(peer(h, "A", 3, extras[i]), OMS_ECLOSED);
    assert_int_equal(h->nout, 1);
    assert_true(oms_fix_msg_is(sent(h, 0), "5"));
  }
}

static void test_logon_without_sending_time_or_seq_is_logged_out(void **state) {
  harness_t *h = *state;
  char msg[512];
  size_t len, used;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  len = frame(msg, sizeof(msg), "35=A|49=CLIENT|56=OMS|34=1|108=30|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  len = frame(msg, sizeof(msg), "35=A|49=CLIENT|56=OMS|52=20260101-00:00:00|108=30|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  assert_field(sent(h, -1), 58, "MsgSeqNum(34) missing or invalid");
}

static void test_logon_timeout_disconnects(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(oms_fix_session_connect(h->s), OMS_ESTATE);
  h->now += 9 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  h->now += 1 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), OMS_ECLOSED);
  assert_string_equal(h->reason, "logon timeout");
  assert_int_equal(oms_fix_session_on_timer(h->s), OMS_ECLOSED);
}

static void test_heartbeat_is_sent_after_an_interval_of_quiet(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  h->now += 29 * SEC;
  assert_int_equal(peer(h, "0", 2, NULL), 0); /* keeps the inbound side alive */
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_int_equal(h->nout, 1);
  h->now += 1 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_int_equal(h->nout, 2);
  assert_true(oms_fix_msg_is(sent(h, 1), "0"));
  assert_no_field(sent(h, 1), 112);
}

static void test_silence_triggers_test_request_then_disconnect(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  h->now += 35 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0); /* heartbeat only */
  assert_true(oms_fix_msg_is(sent(h, -1), "0"));
  h->now += 1 * SEC; /* 36 s = HeartBtInt + 20% */
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "1"));
  assert_field(m, 112, "TEST1");
  /* The peer answers: no disconnect, and later silence starts again. */
  h->now += 2 * SEC;
  assert_int_equal(peer(h, "0", 2, "112=TEST1|"), 0);
  h->now += 28 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_int_equal(h->disconnected, 0);
  h->now += 8 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_field(sent(h, -1), 112, "TEST2");
  h->now += 29 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_int_equal(h->disconnected, 0);
  h->now += 1 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
  assert_string_equal(h->reason, "no answer to TestRequest");
}

static void test_zero_heartbeat_interval_sends_no_heartbeats(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 1, "98=0|108=0|"), 0);
  h->now += 1000 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_int_equal(h->nout, 1);
}

static void test_test_request_is_answered_with_its_id(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "1", 2, "112=PING-7|"), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "0"));
  assert_field(m, 112, "PING-7");
  assert_field(m, 34, "2");
  assert_int_equal(peer(h, "1", 3, NULL), 0);
  m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 45, "3");
  assert_field(m, 371, "112");
  assert_field(m, 372, "1");
  assert_field(m, 373, "1");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 4);
}

static void test_app_messages_are_delivered_in_order(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  h->reply_in_app = 1;
  assert_int_equal(peer(h, "D", 2, NOS), 0);
  assert_int_equal(h->napp, 1);
  assert_string_equal(h->app_types[0], "D");
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "8"));
  assert_field(m, 34, "2");
  assert_field(m, 11, "ORD1");
  assert_non_null(h->store.msgs[2]);
  assert_int_equal(h->store.next_sender, 3);
  assert_int_equal(h->store.next_target, 3);
}

static void test_gap_sends_one_resend_request_and_recovers(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "D", 4, NOS), 0); /* 2 and 3 missing */
  assert_int_equal(h->napp, 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "2"));
  assert_field(m, 7, "2");
  assert_field(m, 16, "0");
  int n = h->nout;
  assert_int_equal(peer(h, "D", 5, NOS), 0); /* no second request */
  assert_int_equal(h->nout, n);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
  /* The peer resends 2..5: 2 as a gap fill, 3..5 as PossDup messages. */
  assert_int_equal(peer(h, "4", 2, "43=Y|123=Y|36=3|"), 0);
  assert_int_equal(peer(h, "D", 3, "43=Y|122=20260101-00:00:00|" NOS), 0);
  assert_int_equal(peer(h, "D", 4, "43=Y|122=20260101-00:00:00|" NOS), 0);
  assert_int_equal(peer(h, "D", 5, "43=Y|122=20260101-00:00:00|" NOS), 0);
  assert_int_equal(h->napp, 3);
  assert_int_equal(h->app_possdup[0], 1);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 6);
  /* The resend is complete: a new gap asks again. */
  assert_int_equal(peer(h, "0", 8, NULL), 0);
  assert_field(sent(h, -1), 7, "6");
}

static void test_resend_request_and_test_request_are_honoured_during_a_gap(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  send_er(h, "A");
  assert_int_equal(peer(h, "2", 5, "7=2|16=0|"), 0);
  assert_true(oms_fix_msg_is(sent(h, -3), "2")); /* our ResendRequest */
  const oms_fix_msg_t *m = sent(h, -2);          /* the resent ER */
  assert_true(oms_fix_msg_is(m, "8"));
  assert_field(m, 43, "Y");
  assert_true(oms_fix_msg_is(sent(h, -1), "4")); /* our ResendRequest, gap-filled */
  assert_int_equal(peer(h, "1", 6, "112=X|"), 0);
  assert_field(sent(h, -1), 112, "X");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
}

static void test_logout_during_a_gap_is_answered(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "5", 9, NULL), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
  assert_string_equal(h->reason, "logout by peer");
}

static void test_resend_request_replays_app_messages_and_gap_fills_admin(void **state) {
  harness_t *h = *state;
  logon(h, 1);     /* our 1: Logon */
  send_er(h, "A"); /* 2 */
  send_er(h, "B"); /* 3 */
  h->now += 30 * SEC;
  assert_int_equal(peer(h, "0", 2, NULL), 0);
  assert_int_equal(oms_fix_session_on_timer(h->s), 0); /* 4: heartbeat */
  send_er(h, "C");                                     /* 5 */
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 6);
  h->now += 5 * SEC;
  int before = h->nout;
  assert_int_equal(peer(h, "2", 3, "7=1|16=0|"), 0);
  assert_int_equal(h->nout - before, 5);
  const oms_fix_msg_t *m = sent(h, before);
  assert_true(oms_fix_msg_is(m, "4"));
  assert_field(m, 34, "1");
  assert_field(m, 123, "Y");
  assert_field(m, 36, "2");
  assert_field(m, 43, "Y");
  m = sent(h, before + 1);
  assert_true(oms_fix_msg_is(m, "8"));
  assert_field(m, 34, "2");
  assert_field(m, 43, "Y");
  assert_field(m, 122, "20260101-00:00:00.000");
  assert_field(m, 52, "20260101-00:00:35.000");
  assert_field(m, 11, "A");
  assert_true(oms_fix_msg_is(sent(h, before + 2), "8"));
  m = sent(h, before + 3);
  assert_true(oms_fix_msg_is(m, "4"));
  assert_field(m, 34, "4");
  assert_field(m, 36, "5");
  m = sent(h, before + 4);
  assert_field(m, 34, "5");
  assert_field(m, 11, "C");
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 6); /* resend uses no numbers */
  /* A bounded range ending in admin messages ends with a gap fill. */
  before = h->nout;
  assert_int_equal(peer(h, "2", 4, "7=4|16=4|"), 0);
  assert_int_equal(h->nout - before, 1);
  assert_field(sent(h, -1), 36, "5");
  /* A range beyond what we sent sends nothing. */
  before = h->nout;
  assert_int_equal(peer(h, "2", 5, "7=50|16=0|"), 0);
  assert_int_equal(h->nout, before);
}

static void test_corrupt_stored_message_is_gap_filled(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  send_er(h, "A");
  memcpy(h->store.msgs[2], "garbage", 7);
  int before = h->nout;
  assert_int_equal(peer(h, "2", 2, "7=2|16=2|"), 0);
  assert_int_equal(h->nout - before, 1);
  assert_true(oms_fix_msg_is(sent(h, -1), "4"));
  assert_field(sent(h, -1), 36, "3");
}

static void test_invalid_resend_requests_are_rejected(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  const struct {
    const char *extra;
    const char *tag, *reason;
  } cases[] = {{"16=0|", "7", "1"},      {"7=1|", "16", "1"},     {"7=x|16=0|", "7", "6"},
               {"7=1|16=x|", "16", "6"}, {"7=0|16=0|", "7", "5"}, {"7=5|16=2|", "16", "5"},
               {"7=5|16=-1|", "16", "5"}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(peer(h, "2", 2 + (int64_t)i, cases[i].extra), 0);
    const oms_fix_msg_t *m = sent(h, -1);
    assert_true(oms_fix_msg_is(m, "3"));
    assert_field(m, 371, cases[i].tag);
    assert_field(m, 373, cases[i].reason);
  }
}

static void test_sequence_reset_mode_moves_the_expected_number(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "4", 99, "36=20|"), 0); /* reset ignores 34 */
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 20);
  assert_int_equal(h->store.next_target, 20);
  assert_int_equal(peer(h, "4", 20, "123=N|36=10|"), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 371, "36");
  assert_field(m, 373, "5");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 20);
  assert_int_equal(peer(h, "4", 20, "36=20|"), 0); /* same number: nothing to do */
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 20);
  assert_int_equal(peer(h, "4", 20, NULL), 0);
  assert_field(sent(h, -1), 373, "1");
  assert_int_equal(peer(h, "4", 20, "36=x|"), 0);
  assert_field(sent(h, -1), 373, "6");
}

static void test_gap_fill_moves_the_expected_number_forward_only(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "4", 2, "123=Y|36=10|"), 0);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 10);
  assert_int_equal(peer(h, "4", 10, "123=Y|36=10|"), 0);
  assert_field(sent(h, -1), 373, "5");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 11);
  assert_int_equal(peer(h, "4", 11, "123=Y|"), 0);
  assert_field(sent(h, -1), 373, "1");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 12);
  /* A gap fill for a number already seen, sent as PossDup, is ignored. */
  int n = h->nout;
  assert_int_equal(peer(h, "4", 5, "43=Y|123=Y|36=6|"), 0);
  assert_int_equal(h->nout, n);
}

static void test_low_seq_without_possdup_logs_out(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "0", 2, NULL), 0);
  assert_int_equal(peer(h, "0", 2, NULL), OMS_ECLOSED);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "5"));
  assert_field(m, 58, "MsgSeqNum too low, expecting 3 but received 2");
  assert_int_equal(h->disconnected, 1);
}

static void test_possdup_duplicate_is_ignored(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "D", 2, NOS), 0);
  int n = h->nout;
  assert_int_equal(peer(h, "D", 2, "43=Y|122=20260101-00:00:00|" NOS), 0);
  assert_int_equal(h->napp, 1);
  assert_int_equal(h->nout, n);
  assert_int_equal(h->disconnected, 0);
}

static void test_header_problems_are_rejected_with_the_right_reason(void **state) {
  harness_t *h = *state;
  /* The header checks alone: bare messages of other types reach the
   * application below, which the dictionary would refuse (test_dict.c). */
  oms_fix_session_destroy(h->s);
  h->cfg.dict_flags = OMS_FIX_DICT_OFF;
  h->s = h_create(h);
  logon(h, 1);
  /* Invalid MsgType. */
  assert_int_equal(peer(h, "ZZ", 2, NULL), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 45, "2");
  assert_field(m, 372, "ZZ");
  assert_field(m, 373, "11");
  /* PossDup without OrigSendingTime. */
  assert_int_equal(peer(h, "D", 3, "43=Y|" NOS), 0);
  m = sent(h, -1);
  assert_field(m, 371, "122");
  assert_field(m, 373, "1");
  assert_int_equal(h->napp, 0);
  /* SendingTime missing. */
  char msg[512];
  size_t len = frame(msg, sizeof(msg), "35=0|49=CLIENT|56=OMS|34=4|"), used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), 0);
  m = sent(h, -1);
  assert_field(m, 371, "52");
  assert_field(m, 373, "1");
  /* Valid MsgTypes of other kinds reach the application. */
  assert_int_equal(peer(h, "AE", 5, NULL), 0);
  assert_int_equal(peer(h, "BH", 6, NULL), 0);
  assert_int_equal(peer(h, "U1", 7, NULL), 0);
  assert_int_equal(peer(h, "x", 8, NULL), 0);
  assert_int_equal(h->napp, 4);
  const char *bad[] = {"I", "BI", "A1", "ABC", "#"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(peer(h, bad[i], 9 + (int64_t)i, NULL), 0);
    assert_field(sent(h, -1), 373, "11");
  }
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 14);
}

static void test_malformed_framed_messages_are_rejected(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  const struct {
    const char *body;
    const char *tag, *reason;
  } cases[] = {
      {"35=D|49=CLIENT|56=OMS|34=2|52=20260101-00:00:00|55=A|55=B|", "55", "13"},
      {"35=D|49=CLIENT|56=OMS|34=3|52=20260101-00:00:00|58=|", "58", "4"},
      {"35=D|49=CLIENT|56=OMS|34=4|52=20260101-00:00:00|5x=1|", NULL, "0"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char msg[512];
    size_t len = frame(msg, sizeof(msg), cases[i].body), used;
    assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), 0);
    const oms_fix_msg_t *m = sent(h, -1);
    assert_true(oms_fix_msg_is(m, "3"));
    assert_field(m, 372, "D");
    if (cases[i].tag) assert_field(m, 371, cases[i].tag);
    assert_field(m, 373, cases[i].reason);
  }
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 5);
  assert_int_equal(h->napp, 0);
}

/* Traffic counts every framed message each way, a refused one too, and
 * keeps across connections. */
static void test_traffic_counts_messages_each_way_across_connections(void **state) {
  harness_t *h = *state;
  oms_fix_session_traffic_t t;
  oms_fix_session_traffic(h->s, &t);
  assert_int_equal(t.messages_in, 0);
  assert_int_equal(t.messages_out, 0);
  assert_int_equal(t.last_received_ns, 0);
  assert_int_equal(t.last_sent_ns, 0);
  logon(h, 1);
  h->now += 1000;
  assert_int_equal(peer(h, "D", 2, NOS), 0);
  h->now += 1000;
  send_er(h, "E1");
  char msg[512];
  size_t len = frame(msg, sizeof(msg), "35=D|49=CLIENT|56=OMS|34=3|52=20260101-00:00:00|58=|"),
         used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), 0); /* answered: Reject */
  oms_fix_session_traffic(h->s, &t);
  assert_int_equal(t.messages_in, 3);
  assert_int_equal(t.messages_out, 3); /* Logon, ER, Reject */
  assert_int_equal(t.last_received_ns, h->now);
  assert_int_equal(t.last_sent_ns, h->now);
  oms_fix_session_reset_connection(h->s);
  h->now += 1000;
  logon(h, 4);
  oms_fix_session_traffic(h->s, &t);
  assert_int_equal(t.messages_in, 4);
  assert_int_equal(t.messages_out, 4);
  assert_int_equal(t.last_received_ns, h->now);
}

static void test_malformed_messages_out_of_sequence(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  char msg[512];
  size_t len, used;
  /* Ahead: a gap. */
  len = frame(msg, sizeof(msg), "35=D|49=CLIENT|56=OMS|34=9|55=A|55=B|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), 0);
  assert_true(oms_fix_msg_is(sent(h, -1), "2"));
  /* Behind: ignored. */
  int n = h->nout;
  len = frame(msg, sizeof(msg), "35=D|49=CLIENT|56=OMS|34=1|55=A|55=B|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), 0);
  assert_int_equal(h->nout, n);
  /* A bad checksum is dropped without an answer. */
  len = frame(msg, sizeof(msg), "35=0|49=CLIENT|56=OMS|34=2|");
  msg[len - 2] = msg[len - 2] == '0' ? '1' : '0';
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), 0);
  assert_int_equal(h->nout, n);
  /* No readable MsgSeqNum: logout. */
  len = frame(msg, sizeof(msg), "35=D|49=CLIENT|56=OMS|55=A|55=B|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
}

static void test_wrong_comp_id_when_active_is_rejected_and_logged_out(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  char msg[512];
  size_t len = frame(msg, sizeof(msg), "35=0|49=OTHER|56=OMS|34=2|52=20260101-00:00:00|"), used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  const oms_fix_msg_t *m = sent(h, -2);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 371, "49");
  assert_field(m, 373, "9");
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
  assert_int_equal(h->disconnected, 1);
}

static void test_a_message_the_dictionary_refuses_never_reaches_the_application(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  /* TimeInForce outside its enumeration: Reject 373=5 on tag 59. */
  assert_int_equal(peer(h, "D", 2, NOS "59=Z|"), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 45, "2");
  assert_field(m, 371, "59");
  assert_field(m, 372, "D");
  assert_field(m, 373, "5");
  assert_field(m, 58, "Value is incorrect (out of range) for this tag");
  assert_int_equal(h->napp, 0);
  /* Its number was used: the next one is expected. */
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 3);
  assert_int_equal(peer(h, "D", 3, NOS), 0);
  assert_int_equal(h->napp, 1);
}

/* What the application never gets is told to it (on_app_lost): an
 * application message refused, numbers skipped; an admin message refused
 * is the session's own business. */
static void test_application_messages_lost_are_told(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "D", 2, NOS "59=Z|"), 0); /* the dictionary refuses it */
  assert_int_equal(h->nlost, 1);
  assert_string_equal(h->lost_type, "D");
  assert_int_equal(peer(h, "4", 3, "123=Y|36=10|"), 0); /* 3..9 skipped */
  assert_int_equal(h->nlost, 2);
  assert_string_equal(h->lost_type, "");
  assert_int_equal(peer(h, "4", 10, "123=Y|36=11|"), 0); /* nothing skipped */
  assert_int_equal(h->nlost, 2);
  assert_int_equal(peer(h, "4", 11, "36=20|"), 0); /* reset: 11..19 skipped */
  assert_int_equal(h->nlost, 3);
  assert_int_equal(peer(h, "4", 20, "36=x|"), 0); /* an admin message refused */
  assert_int_equal(h->nlost, 3);
  assert_int_equal(peer(h, "D", 20, "11=A|"),
                   0); /* required fields missing (a reset uses no number) */
  assert_int_equal(h->nlost, 4);
  assert_int_equal(h->napp, 0);
}

static void test_the_session_validates_as_its_dialect_says(void **state) {
  harness_t *h = *state;
  oms_fix_session_destroy(h->s);
  h->cfg.dict_flags = OMS_FIX_DICT_NO_ENUMS | OMS_FIX_DICT_ALLOW_USER_TAGS;
  h->s = h_create(h);
  logon(h, 1);
  assert_int_equal(peer(h, "D", 2, NOS "59=Z|5001=venue|"), 0);
  assert_int_equal(h->napp, 1);
  /* Other checks stay on: an unknown tag outside 5000-9999. */
  assert_int_equal(peer(h, "D", 3, NOS "4999=x|"), 0);
  assert_field(sent(h, -1), 373, "0");
  assert_field(sent(h, -1), 371, "4999");
  assert_int_equal(h->napp, 1);
}

static void test_sending_time_accuracy_is_checked_when_configured(void **state) {
  harness_t *h = *state;
  oms_fix_session_destroy(h->s);
  h->cfg.max_clock_skew_ns = 2 * SEC;
  h->s = h_create(h);
  logon(h, 1);
  char msg[512];
  size_t len = frame(msg, sizeof(msg), "35=0|49=CLIENT|56=OMS|34=2|52=20251231-23:59:00|"), used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  const oms_fix_msg_t *m = sent(h, -2);
  assert_field(m, 371, "52");
  assert_field(m, 373, "10");
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
  /* At logon, an inaccurate clock is a logout. */
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  h->now += 10 * SEC;
  len = frame(msg, sizeof(msg), "35=A|49=CLIENT|56=OMS|34=3|52=20260101-00:00:00|108=30|");
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
}

/* Bytes from the peer, framed as given (no header added). */
static int peer_raw(harness_t *h, const char *body) {
  char msg[2048];
  size_t len = frame(msg, sizeof(msg), body), used = 0;
  return oms_fix_session_on_bytes(h->s, msg, len, &used);
}

static void test_sending_time_is_checked_at_120_s_by_default(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer_raw(h, "35=0|49=CLIENT|56=OMS|34=2|52=20251231-23:58:00|"), 0);
  assert_int_equal(peer_raw(h, "35=0|49=CLIENT|56=OMS|34=3|52=20260101-00:02:01|"), OMS_ECLOSED);
  const oms_fix_msg_t *m = sent(h, -2);
  assert_field(m, 45, "3");
  assert_field(m, 371, "52");
  assert_field(m, 373, "10");
  assert_field(sent(h, -1), 58, "SendingTime accuracy problem");
  assert_int_equal(h->store.next_target, 4);
}

static void test_sending_time_check_can_be_turned_off(void **state) {
  harness_t *h = *state;
  oms_fix_session_destroy(h->s);
  h->cfg.max_clock_skew_ns = -1;
  h->s = h_create(h);
  logon(h, 1);
  assert_int_equal(peer_raw(h, "35=1|49=CLIENT|56=OMS|34=2|52=20200101-00:00:00|112=x|"), 0);
  assert_true(oms_fix_msg_is(sent(h, -1), "0"));
  assert_int_equal(h->disconnected, 0);
}

static void test_an_inaccurate_message_above_the_expected_number_uses_no_number(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer_raw(h, "35=0|49=CLIENT|56=OMS|34=9|52=20250101-00:00:00|"), OMS_ECLOSED);
  assert_field(sent(h, -2), 373, "10");
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
  assert_int_equal(h->store.next_target, 2);
}

static void test_orig_sending_time_after_sending_time_logs_out(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "D", 2, "43=Y|122=20260101-00:00:05|" NOS), OMS_ECLOSED);
  const oms_fix_msg_t *m = sent(h, -2);
  assert_field(m, 371, "122");
  assert_field(m, 373, "10");
  assert_field(sent(h, -1), 58, "OrigSendingTime(122) after SendingTime(52)");
  assert_int_equal(h->napp, 0);
}

static void test_reset_logon_mid_session_starts_both_sides_at_1(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  send_er(h, "E1");
  assert_int_equal(peer(h, "0", 2, NULL), 0);
  assert_non_null(h->store.msgs[2]);
  assert_int_equal(peer(h, "A", 1, "98=0|108=20|141=Y|"), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "A"));
  assert_field(m, 34, "1");
  assert_field(m, 141, "Y");
  assert_field(m, 108, "20");
  assert_int_equal(oms_fix_session_heartbeat_s(h->s), 20);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 2);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
  assert_int_equal(h->store.next_sender, 2);
  assert_int_equal(h->store.next_target, 2);
  assert_null(h->store.msgs[2]); /* what was sent before the reset is gone */
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_ACTIVE);
  /* Without 141=Y a second Logon is still a protocol error. */
  assert_int_equal(peer(h, "A", 2, "98=0|108=20|"), OMS_ECLOSED);
}

static void test_reset_logon_mid_session_is_refused_when_malformed(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "A", 1, "98=0|108=9999|141=Y|"), OMS_ECLOSED);
  assert_field(sent(h, -1), 58, "HeartBtInt(108) missing or out of range");
  h->disconnected = 0;
  logon(h, 2);
  h->store.fail_reset = 1;
  assert_int_equal(peer(h, "A", 1, "98=0|108=30|141=Y|"), OMS_EIO);
  assert_int_equal(h->disconnected, 1);
}

static void test_reset_mode_sequence_reset_ignores_a_missing_or_zero_msg_seq_num(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer_raw(h, "35=4|49=CLIENT|56=OMS|52=20260101-00:00:00|36=7|"), 0);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 7);
  assert_int_equal(peer(h, "4", 0, "36=9|"), 0);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 9);
  assert_int_equal(h->disconnected, 0);
  /* GapFill mode has a number like any message: 0 is fatal. */
  assert_int_equal(peer(h, "4", 0, "123=Y|36=12|"), OMS_ECLOSED);
  assert_field(sent(h, -1), 58, "MsgSeqNum(34) missing or invalid");
}

static void test_garbled_msg_type_leaves_the_number_for_the_resend(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  int n = h->nout;
  assert_int_equal(peer_raw(h, "34=2|35=1|49=CLIENT|56=OMS|52=20260101-00:00:00|112=x|"), 0);
  assert_int_equal(h->nout, n);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
  assert_int_equal(peer(h, "1", 2, "112=x|"), 0);
  assert_field(sent(h, -1), 112, "x");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 3);
}

static void test_another_begin_string_ends_the_session_with_a_logout(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  static const char fix42[] = "8=FIX.4.2\0019=5\00135=0\00110=000\001";
  size_t used = 0;
  assert_int_equal(oms_fix_session_on_bytes(h->s, fix42, sizeof(fix42) - 1, &used), OMS_ECLOSED);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "5"));
  assert_field(m, 58, "BeginString(8) is not FIX.4.4");
  assert_int_equal(h->disconnected, 1);
  /* Before Logon the connection just closes. */
  int n = h->nout;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(oms_fix_session_on_bytes(h->s, fix42, sizeof(fix42) - 1, &used), OMS_ECLOSED);
  assert_int_equal(h->nout, n);
}

static void test_missing_target_comp_id_is_a_missing_tag_not_a_comp_id_problem(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer_raw(h, "35=0|49=CLIENT|34=2|52=20260101-00:00:00|"), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 371, "56");
  assert_field(m, 373, "1");
  assert_int_equal(h->disconnected, 0);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 3);
  /* A wrong SenderCompID next to a missing TargetCompID is still a stranger. */
  assert_int_equal(peer_raw(h, "35=0|49=OTHER|34=3|52=20260101-00:00:00|"), OMS_ECLOSED);
  assert_field(sent(h, -2), 373, "9");
}

static void test_reject_goes_back_through_the_hub_the_message_came_from(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "1", 2, "115=HUB|116=DESK|144=LDN|"), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_true(oms_fix_msg_is(m, "3"));
  assert_field(m, 128, "HUB");
  assert_field(m, 129, "DESK");
  assert_field(m, 145, "LDN");
  /* The route belongs to that message only. */
  oms_fix_bad_field_t bad = {.tag = 11, .reason = OMS_FIX_SRR_REQUIRED_TAG_MISSING};
  oms_fix_msg_t copy = *m;
  assert_int_equal(oms_fix_session_send_reject(h->s, &copy, &bad, NULL), 0);
  assert_no_field(sent(h, -1), 128);
  assert_int_equal(peer(h, "1", 3, NULL), 0);
  assert_no_field(sent(h, -1), 128);
}

static void test_app_message_can_be_addressed_to_a_hub(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  oms_fix_route_t r = {oms_fix_str("HUB"), {NULL, 0}, {NULL, 0}};
  oms_fix_exec_report_t er = {.order_id = oms_fix_str("X1"),
                              .exec_id = oms_fix_str("E1"),
                              .exec_type = OMS_FIX_EXEC_TYPE_NEW,
                              .ord_status = OMS_FIX_ORD_STATUS_NEW,
                              .symbol = oms_fix_str("BTC-USD"),
                              .side = '1',
                              .leaves_qty = oms_fix_str("1"),
                              .cum_qty = oms_fix_str("0"),
                              .avg_px = oms_fix_str("0"),
                              .ord_rej_reason = -1,
                              .deliver_to = &r};
  assert_int_equal(oms_fix_session_send_exec_report(h->s, &er), 0);
  const oms_fix_msg_t *m = sent(h, -1);
  assert_field(m, 128, "HUB");
  assert_no_field(m, 129);
  /* A resend keeps the route, in the header. */
  assert_int_equal(peer(h, "2", 2, "7=2|16=2|"), 0);
  m = sent(h, -1);
  assert_field(m, 43, "Y");
  assert_field(m, 128, "HUB");
}

static void test_logout_handshake_initiated_by_us(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_logout(h->s, "bye"), OMS_ESTATE);
  logon(h, 1);
  assert_int_equal(oms_fix_session_logout(h->s, "end of day"), 0);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_LOGOUT_SENT);
  assert_field(sent(h, -1), 58, "end of day");
  assert_int_equal(oms_fix_session_on_timer(h->s), 0);
  assert_int_equal(peer(h, "D", 2, NOS), 0); /* still processed */
  assert_int_equal(h->napp, 1);
  int n = h->nout;
  assert_int_equal(peer(h, "5", 3, NULL), OMS_ECLOSED);
  assert_int_equal(h->nout, n); /* no second Logout */
  assert_string_equal(h->reason, "logout complete");
  assert_int_equal(h->store.next_target, 4);
}

static void test_logout_initiated_by_peer_is_answered(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "5", 2, "58=bye|"), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
  assert_string_equal(h->reason, "logout by peer");
}

static void test_logout_without_answer_times_out(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(oms_fix_session_logout(h->s, NULL), 0);
  assert_no_field(sent(h, -1), 58);
  h->now += 5 * SEC;
  assert_int_equal(oms_fix_session_on_timer(h->s), OMS_ECLOSED);
  assert_string_equal(h->reason, "logout timeout");
}

static void test_second_logon_while_active_logs_out(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "A", 2, "98=0|108=30|"), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
}

static void test_session_resumes_with_persisted_sequence_numbers(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  send_er(h, "A");
  assert_int_equal(peer(h, "D", 2, NOS), 0);
  /* The daemon restarts: a new session object on the same store. */
  oms_fix_session_destroy(h->s);
  h->s = h_create(h);
  h->nout = 0;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 3);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 3);
  assert_int_equal(peer(h, "A", 3, "98=0|108=30|"), 0);
  assert_field(sent(h, 0), 34, "3");
  /* Resend of the earlier session's message still works. */
  assert_int_equal(peer(h, "2", 4, "7=2|16=2|"), 0);
  assert_field(sent(h, -1), 11, "A");
  assert_field(sent(h, -1), 43, "Y");
  /* Reconnecting with an old number is refused. */
  oms_fix_session_reset_connection(h->s);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 2, "98=0|108=30|"), OMS_ECLOSED);
  assert_field(sent(h, -1), 58, "MsgSeqNum too low, expecting 5 but received 2");
}

static void test_logon_ahead_of_expected_asks_for_resend(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 5, "98=0|108=30|"), 0);
  assert_true(oms_fix_msg_is(sent(h, 0), "A"));
  const oms_fix_msg_t *m = sent(h, 1);
  assert_true(oms_fix_msg_is(m, "2"));
  assert_field(m, 7, "1");
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 1);
}

static void test_reset_seq_num_flag_restarts_both_sides_at_one(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  send_er(h, "A");
  oms_fix_session_reset_connection(h->s);
  h->nout = 0;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 1, "98=0|108=30|141=Y|"), 0);
  const oms_fix_msg_t *m = sent(h, 0);
  assert_field(m, 34, "1");
  assert_field(m, 141, "Y");
  assert_null(h->store.msgs[2]);
  assert_int_equal(h->store.next_sender, 2);
  assert_int_equal(h->store.next_target, 2);
}

/* Write-ahead at the session level: a message whose number (or, for an
 * application message, whose copy) the store refused is never written. */
static void test_nothing_is_written_when_the_store_refuses_the_number(void **state) {
  harness_t *h = *state;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  h->store.fail_save_seqnums = 1;
  size_t before = h->nout;
  assert_int_equal(peer(h, "A", 1, "98=0|108=30|"), OMS_EIO); /* the Logon answer */
  assert_int_equal(h->nout, before);
  h->store.fail_save_seqnums = 0;
  logon(h, 1);
  before = h->nout;
  h->store.fail_save_seqnums = 1;
  assert_int_equal(peer(h, "1", 2, "112=T|"), OMS_EIO); /* the Heartbeat answer */
  assert_int_equal(h->nout, before);
  h->store.fail_save_seqnums = 0;
  logon(h, 2);
  before = h->nout;
  h->store.fail_save_sent = 1;
  oms_fix_business_reject_t br = {
      .ref_seq_num = 1, .ref_msg_type = oms_fix_str("D"), .reason = 3, .text = oms_fix_str("x")};
  assert_int_equal(oms_fix_session_send_business_reject(h->s, &br), OMS_EIO);
  assert_int_equal(h->nout, before);
}

static void test_store_failures_disconnect(void **state) {
  harness_t *h = *state;
  h->store.fail_load_seqnums = 1;
  assert_int_equal(oms_fix_session_connect(h->s), OMS_EIO);
  h->store.fail_load_seqnums = 0;
  h->store.have_seqnums = 1;
  h->store.next_sender = 0;
  assert_int_equal(oms_fix_session_connect(h->s), OMS_ESTORE);
  h->store.have_seqnums = 0;
  logon(h, 1);
  h->store.fail_save_sent = 1;
  oms_fix_exec_report_t er = {.order_id = oms_fix_str("X"),
                              .exec_id = oms_fix_str("E"),
                              .exec_type = '0',
                              .ord_status = '0',
                              .symbol = oms_fix_str("S"),
                              .side = '1',
                              .leaves_qty = oms_fix_str("1"),
                              .cum_qty = oms_fix_str("0"),
                              .avg_px = oms_fix_str("0"),
                              .ord_rej_reason = -1};
  assert_int_equal(oms_fix_session_send_exec_report(h->s, &er), OMS_EIO);
  assert_int_equal(h->disconnected, 1);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 2);
  h->store.fail_save_sent = 0;
  logon(h, 2);
  h->store.fail_save_seqnums = 1;
  assert_int_equal(peer(h, "0", 3, NULL), OMS_EIO);
  assert_int_equal(h->disconnected, 2);
  h->store.fail_save_seqnums = 0;
  logon(h, 3);
  h->store.fail_load_sent = 1;
  assert_int_equal(peer(h, "2", 4, "7=1|16=0|"), OMS_EIO);
  h->store.fail_load_sent = 0;
  h->store.fail_reset = 1;
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 1, "98=0|108=30|141=Y|"), OMS_EIO);
}

static void test_send_failure_disconnects(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  h->send_fail = 1;
  assert_int_equal(peer(h, "1", 2, "112=x|"), OMS_EIO);
  assert_int_equal(h->disconnected, 1);
  assert_string_equal(h->reason, "send");
}

static void test_app_message_while_disconnected_is_stored_for_resend(void **state) {
  harness_t *h = *state;
  /* the client is away: the report is numbered and stored, not written */
  send_er(h, "away1");
  send_er(h, "away2");
  assert_int_equal(h->nout, 0);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 3);
  /* at its Logon it sees our number run ahead and asks for the gap */
  logon(h, 1);
  assert_field(sent(h, -1), 34, "3");
  int before = h->nout;
  assert_int_equal(peer(h, "2", 2, "7=1|16=0|"), 0);
  assert_int_equal(h->nout - before, 3); /* the two reports, then a gap fill over our Logon */
  const oms_fix_msg_t *m = sent(h, before);
  assert_field(m, 35, "8");
  assert_field(m, 34, "1");
  assert_field(m, 43, "Y");
  assert_field(m, 11, "away1");
  assert_field(sent(h, before + 1), 11, "away2");
  /* while a Logon is awaited nothing is sent or stored */
  oms_fix_session_reset_connection(h->s);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  oms_fix_builder_t *b;
  assert_int_equal(oms_fix_session_app_begin(h->s, "8", &b), OMS_ESTATE);
}

static void test_app_send_contract(void **state) {
  harness_t *h = *state;
  oms_fix_builder_t *b;
  assert_int_equal(oms_fix_session_app_send(h->s), OMS_ESTATE);
  logon(h, 1);
  /* Every admin MsgType is the session's own. */
  const char *admin[] = {"0", "1", "2", "3", "4", "5", "A"};
  for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++)
    assert_int_equal(oms_fix_session_app_begin(h->s, admin[i], &b), OMS_EINVAL);
  assert_int_equal(oms_fix_session_app_begin(h->s, NULL, &b), OMS_EINVAL);
  /* IndicationOfInterest(6) is an application message. */
  assert_int_equal(oms_fix_session_app_begin(h->s, "6", &b), 0);
  assert_int_equal(oms_fix_session_app_send(h->s), 0);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 3);
  /* A builder failure sends nothing and uses no number. */
  assert_int_equal(oms_fix_session_app_begin(h->s, "8", &b), 0);
  oms_fix_add_cstr(b, 58, "");
  int n = h->nout;
  assert_int_equal(oms_fix_session_app_send(h->s), OMS_EINVAL);
  assert_int_equal(h->nout, n);
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 3);
  /* An admin message between begin and send would duplicate a number. */
  assert_int_equal(oms_fix_session_app_begin(h->s, "8", &b), 0);
  assert_int_equal(peer(h, "1", 2, "112=x|"), 0);
  assert_int_equal(oms_fix_session_app_send(h->s), OMS_ESTATE);
  /* Too large for the outbound buffer. */
  char big[9000];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(oms_fix_session_app_begin(h->s, "8", &b), 0);
  oms_fix_add_cstr(b, 58, big);
  assert_int_equal(oms_fix_session_app_send(h->s), OMS_ENOSPC);
}

static void test_reply_helpers_send_their_messages(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  oms_fix_cancel_reject_t cr = {.order_id = oms_fix_str("NONE"),
                                .cl_ord_id = oms_fix_str("C2"),
                                .orig_cl_ord_id = oms_fix_str("C1"),
                                .ord_status = '8',
                                .response_to = '1',
                                .cxl_rej_reason = 1};
  assert_int_equal(oms_fix_session_send_cancel_reject(h->s, &cr), 0);
  assert_true(oms_fix_msg_is(sent(h, -1), "9"));
  oms_fix_mass_cancel_report_t mr = {.order_id = oms_fix_str("M"),
                                     .request_type = '7',
                                     .response = '7',
                                     .reject_reason = -1,
                                     .total_affected = 0};
  assert_int_equal(oms_fix_session_send_mass_cancel_report(h->s, &mr), 0);
  assert_true(oms_fix_msg_is(sent(h, -1), "r"));
  oms_fix_business_reject_t br = {.ref_seq_num = 2,
                                  .ref_msg_type = oms_fix_str("AE"),
                                  .reason = OMS_FIX_BRR_UNSUPPORTED_MSG_TYPE};
  assert_int_equal(oms_fix_session_send_business_reject(h->s, &br), 0);
  assert_true(oms_fix_msg_is(sent(h, -1), "j"));
  assert_int_equal(oms_fix_session_next_sender_seq(h->s), 5);
  /* Session Reject for a message the application found invalid. */
  char msg[512];
  size_t len = frame(msg, sizeof(msg), "35=D|49=CLIENT|56=OMS|34=2|52=20260101-00:00:00|"), used;
  oms_fix_msg_t m;
  assert_int_equal(oms_fix_parse(msg, len, NULL, &m, &used, NULL), 0);
  oms_fix_bad_field_t bad = {11, OMS_FIX_SRR_REQUIRED_TAG_MISSING};
  assert_int_equal(oms_fix_session_send_reject(h->s, &m, &bad, "ClOrdID(11) missing"), 0);
  const oms_fix_msg_t *r = sent(h, -1);
  assert_field(r, 45, "2");
  assert_field(r, 371, "11");
  assert_field(r, 372, "D");
  assert_field(r, 373, "1");
  oms_fix_session_reset_connection(h->s);
  assert_int_equal(oms_fix_session_send_reject(h->s, &m, &bad, NULL), OMS_ESTATE);
}

static void test_bytes_are_consumed_message_by_message(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  char msg[1024];
  size_t a = frame(msg, sizeof(msg), "35=0|49=CLIENT|56=OMS|34=2|52=20260101-00:00:00|");
  size_t b = frame(msg + a, sizeof(msg) - a, "35=0|49=CLIENT|56=OMS|34=3|52=20260101-00:00:00|");
  size_t used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, a + 10, &used), 0);
  assert_int_equal(used, a);
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg + a, b, &used), 0);
  assert_int_equal(used, b);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 4);
  /* Garbage between messages is dropped. */
  assert_int_equal(oms_fix_session_on_bytes(h->s, "noise", 5, &used), 0);
  assert_int_equal(used, 5);
  oms_fix_session_reset_connection(h->s);
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, a, &used), OMS_ECLOSED);
  oms_fix_perror_t e = {0};
  assert_int_equal(oms_fix_session_on_parse_error(h->s, &e), OMS_ECLOSED);
  oms_fix_msg_t m;
  assert_int_equal(oms_fix_parse(msg, a, NULL, &m, &used, NULL), 0);
  assert_int_equal(oms_fix_session_on_msg(h->s, &m), OMS_ECLOSED);
}

static void test_peer_reject_is_accepted(void **state) {
  harness_t *h = *state;
  logon(h, 1);
  assert_int_equal(peer(h, "3", 2, "45=1|373=99|"), 0);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 3);
}

static void test_create_validates_its_arguments(void **state) {
  harness_t *h = *state;
  oms_fix_session_io_t io = {h_send, h_disconnect, h_app, h_auth, NULL, h, NULL};
  oms_fix_session_store_t st = ms_table(&h->store);
  oms_clock_t clk = {test_clock_now, &h->now};
  oms_fix_session_t *s = (oms_fix_session_t *)1;
  assert_int_equal(oms_fix_session_create(&h->cfg, &io, &st, &clk, NULL), OMS_EINVAL);
  assert_int_equal(oms_fix_session_create(NULL, &io, &st, &clk, &s), OMS_EINVAL);
  assert_null(s);
  io.authenticate = NULL;
  assert_int_equal(oms_fix_session_create(&h->cfg, &io, &st, &clk, &s), OMS_EINVAL);
  io.authenticate = h_auth;
  st.reset = NULL;
  assert_int_equal(oms_fix_session_create(&h->cfg, &io, &st, &clk, &s), OMS_EINVAL);
  st.reset = ms_reset;
  oms_fix_session_config_t cfg = h->cfg;
  cfg.max_msg_len = 64;
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  cfg = h->cfg;
  cfg.sender_comp_id = "";
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  cfg = h->cfg;
  cfg.target_comp_id = "A\001B";
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  cfg.target_comp_id = NULL;
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  /* Without a log callback the session is silent but works. */
  assert_int_equal(oms_fix_session_create(&h->cfg, &io, &st, &clk, &s), 0);
  assert_int_equal(oms_fix_session_connect(s), 0);
  assert_int_equal(oms_fix_session_state(s), OMS_FIX_SESSION_AWAIT_LOGON);
  oms_fix_session_destroy(s);
  oms_fix_session_destroy(NULL);
}

/* ------------------------------------------------------------------------ */
/* Initiator role (the venue connector's side)                                */

static void make_initiator(harness_t *h, bool reset) {
  oms_fix_session_destroy(h->s);
  h->cfg.initiator = true;
  h->cfg.heartbeat_s = 20;
  h->cfg.reset_on_logon = reset;
  h->cfg.username = "oms";
  h->cfg.password = "venue-secret";
  oms_fix_session_io_t io = {h_send, h_disconnect, h_app, NULL, h_log, h, NULL};
  oms_fix_session_store_t st = ms_table(&h->store);
  oms_clock_t clk = {test_clock_now, &h->now};
  h->s = NULL;
  assert_int_equal(oms_fix_session_create(&h->cfg, &io, &st, &clk, &h->s), 0);
}

static void test_initiator_connect_sends_our_logon_with_credentials(void **state) {
  harness_t *h = *state;
  make_initiator(h, false);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_AWAIT_LOGON);
  assert_int_equal(h->nout, 1);
  const oms_fix_msg_t *m = sent(h, 0);
  assert_true(oms_fix_msg_is(m, "A"));
  assert_field(m, 34, "1");
  assert_field(m, 108, "20");
  assert_field(m, 553, "oms");
  assert_field(m, 554, "venue-secret");
  assert_no_field(m, 141);
  assert_int_equal(peer(h, "A", 1, "98=0|108=20|"), 0);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_ACTIVE);
  assert_int_equal(oms_fix_session_heartbeat_s(h->s), 20);
  assert_int_equal(h->nout, 1); /* the answer is not answered */
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
}

static void test_initiator_logon_refused_by_logout_ends_the_connection(void **state) {
  harness_t *h = *state;
  make_initiator(h, false);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "5", 1, "58=bad password|"), OMS_ECLOSED);
  assert_int_equal(h->disconnected, 1);
  assert_string_equal(h->reason, "logon refused");
  assert_int_equal(h->nout, 1);
}

static void test_initiator_answer_that_is_not_logon_ends_the_connection(void **state) {
  harness_t *h = *state;
  make_initiator(h, false);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "0", 1, NULL), OMS_ECLOSED);
  assert_string_equal(h->reason, "first message is not Logon");
}

static void test_initiator_accepts_a_reset_it_did_not_ask_for(void **state) {
  harness_t *h = *state;
  h->store.have_seqnums = 1;
  h->store.next_sender = 7;
  h->store.next_target = 9;
  make_initiator(h, false);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_field(sent(h, 0), 34, "7");
  assert_int_equal(peer(h, "A", 1, "98=0|108=20|141=Y|"), 0);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_ACTIVE);
  assert_int_equal(oms_fix_session_next_target_seq(h->s), 2);
}

static void test_initiator_reset_answer_must_be_numbered_one(void **state) {
  harness_t *h = *state;
  make_initiator(h, false);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 4, "98=0|108=20|141=Y|"), OMS_ECLOSED);
  assert_true(oms_fix_msg_is(sent(h, -1), "5"));
}

static void test_initiator_reset_on_logon_forgets_the_store_first(void **state) {
  harness_t *h = *state;
  h->store.have_seqnums = 1;
  h->store.next_sender = 7;
  h->store.next_target = 9;
  make_initiator(h, true);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  const oms_fix_msg_t *m = sent(h, 0);
  assert_field(m, 34, "1");
  assert_field(m, 141, "Y");
  assert_int_equal(h->store.next_sender, 2);
  assert_int_equal(peer(h, "A", 1, "98=0|108=20|141=Y|"), 0);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_ACTIVE);
}

static void test_initiator_reset_that_the_store_refuses_ends_the_connection(void **state) {
  harness_t *h = *state;
  make_initiator(h, true);
  h->store.fail_reset = 1;
  assert_int_equal(oms_fix_session_connect(h->s), OMS_EIO);
  assert_int_equal(oms_fix_session_state(h->s), OMS_FIX_SESSION_DISCONNECTED);
  assert_int_equal(h->nout, 0);
}

static void test_initiator_logon_answer_with_bad_clock_or_low_number_logs_out(void **state) {
  harness_t *h = *state;
  h->store.have_seqnums = 1;
  h->store.next_sender = 3;
  h->store.next_target = 5;
  make_initiator(h, false);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  assert_int_equal(peer(h, "A", 4, "98=0|108=20|"), OMS_ECLOSED);
  assert_non_null(strstr(h->reason, "MsgSeqNum too low"));
  oms_fix_session_reset_connection(h->s);
  assert_int_equal(oms_fix_session_connect(h->s), 0);
  h->now += 600 * SEC; /* the answer's SendingTime is our clock: skew it */
  char ts[OMS_FIX_TIME_LEN + 1], body[256], msg[512];
  oms_fix_format_time(T0, ts);
  snprintf(body, sizeof body, "35=A|49=CLIENT|56=OMS|34=5|52=%s|98=0|108=20|", ts);
  size_t len = frame(msg, sizeof msg, body), used;
  assert_int_equal(oms_fix_session_on_bytes(h->s, msg, len, &used), OMS_ECLOSED);
  assert_non_null(strstr(h->reason, "SendingTime"));
}

static void test_initiator_create_checks_its_settings(void **state) {
  harness_t *h = *state;
  oms_fix_session_io_t io = {h_send, h_disconnect, h_app, NULL, h_log, h, NULL};
  oms_fix_session_store_t st = ms_table(&h->store);
  oms_clock_t clk = {test_clock_now, &h->now};
  oms_fix_session_t *s = (oms_fix_session_t *)1;
  /* No authenticate: an acceptor needs one, an initiator does not. */
  oms_fix_session_config_t cfg = {.sender_comp_id = "OMS", .target_comp_id = "V"};
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  assert_null(s);
  cfg.initiator = true;
  cfg.heartbeat_s = 3601;
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  cfg.heartbeat_s = 0;
  char long_secret[200];
  memset(long_secret, 'x', sizeof long_secret - 1);
  long_secret[sizeof long_secret - 1] = '\0';
  cfg.password = long_secret;
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  cfg.password = NULL;
  cfg.username = long_secret;
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), OMS_EINVAL);
  cfg.username = NULL;
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clk, &s), 0);
  /* Default HeartBtInt 30, no credentials sent. */
  assert_int_equal(oms_fix_session_connect(s), 0);
  const oms_fix_msg_t *m = sent(h, 0);
  assert_field(m, 108, "30");
  assert_no_field(m, 553);
  assert_no_field(m, 554);
  oms_fix_session_destroy(s);
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_logon_is_answered_and_activates_the_session),
      T(test_traffic_counts_messages_each_way_across_connections),
      T(test_logon_with_bad_password_is_logged_out),
      T(test_logon_with_wrong_comp_id_is_logged_out),
      T(test_message_before_logon_disconnects_silently),
      T(test_garbled_bytes_before_logon_disconnect),
      T(test_invalid_logon_fields_are_logged_out),
      T(test_logon_without_sending_time_or_seq_is_logged_out),
      T(test_logon_timeout_disconnects),
      T(test_heartbeat_is_sent_after_an_interval_of_quiet),
      T(test_silence_triggers_test_request_then_disconnect),
      T(test_zero_heartbeat_interval_sends_no_heartbeats),
      T(test_test_request_is_answered_with_its_id),
      T(test_app_messages_are_delivered_in_order),
      T(test_gap_sends_one_resend_request_and_recovers),
      T(test_resend_request_and_test_request_are_honoured_during_a_gap),
      T(test_logout_during_a_gap_is_answered),
      T(test_resend_request_replays_app_messages_and_gap_fills_admin),
      T(test_corrupt_stored_message_is_gap_filled),
      T(test_invalid_resend_requests_are_rejected),
      T(test_sequence_reset_mode_moves_the_expected_number),
      T(test_gap_fill_moves_the_expected_number_forward_only),
      T(test_low_seq_without_possdup_logs_out),
      T(test_possdup_duplicate_is_ignored),
      T(test_header_problems_are_rejected_with_the_right_reason),
      T(test_a_message_the_dictionary_refuses_never_reaches_the_application),
      T(test_application_messages_lost_are_told),
      T(test_the_session_validates_as_its_dialect_says),
      T(test_malformed_framed_messages_are_rejected),
      T(test_malformed_messages_out_of_sequence),
      T(test_wrong_comp_id_when_active_is_rejected_and_logged_out),
      T(test_sending_time_accuracy_is_checked_when_configured),
      T(test_sending_time_is_checked_at_120_s_by_default),
      T(test_sending_time_check_can_be_turned_off),
      T(test_an_inaccurate_message_above_the_expected_number_uses_no_number),
      T(test_orig_sending_time_after_sending_time_logs_out),
      T(test_reset_logon_mid_session_starts_both_sides_at_1),
      T(test_reset_logon_mid_session_is_refused_when_malformed),
      T(test_reset_mode_sequence_reset_ignores_a_missing_or_zero_msg_seq_num),
      T(test_garbled_msg_type_leaves_the_number_for_the_resend),
      T(test_another_begin_string_ends_the_session_with_a_logout),
      T(test_missing_target_comp_id_is_a_missing_tag_not_a_comp_id_problem),
      T(test_reject_goes_back_through_the_hub_the_message_came_from),
      T(test_app_message_can_be_addressed_to_a_hub),
      T(test_logout_handshake_initiated_by_us),
      T(test_logout_initiated_by_peer_is_answered),
      T(test_logout_without_answer_times_out),
      T(test_second_logon_while_active_logs_out),
      T(test_session_resumes_with_persisted_sequence_numbers),
      T(test_logon_ahead_of_expected_asks_for_resend),
      T(test_reset_seq_num_flag_restarts_both_sides_at_one),
      T(test_store_failures_disconnect),
      T(test_nothing_is_written_when_the_store_refuses_the_number),
      T(test_send_failure_disconnects),
      T(test_app_send_contract),
      T(test_app_message_while_disconnected_is_stored_for_resend),
      T(test_reply_helpers_send_their_messages),
      T(test_bytes_are_consumed_message_by_message),
      T(test_peer_reject_is_accepted),
      T(test_create_validates_its_arguments),
      T(test_initiator_connect_sends_our_logon_with_credentials),
      T(test_initiator_logon_refused_by_logout_ends_the_connection),
      T(test_initiator_answer_that_is_not_logon_ends_the_connection),
      T(test_initiator_accepts_a_reset_it_did_not_ask_for),
      T(test_initiator_reset_answer_must_be_numbered_one),
      T(test_initiator_reset_on_logon_forgets_the_store_first),
      T(test_initiator_reset_that_the_store_refuses_ends_the_connection),
      T(test_initiator_logon_answer_with_bad_clock_or_low_number_logs_out),
      T(test_initiator_create_checks_its_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
