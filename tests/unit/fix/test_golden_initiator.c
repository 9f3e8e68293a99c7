/* test_golden_initiator.c - replays the conversations in
 * tests/golden/fix/initiator against the FIX session layer in the initiator
 * role (the venue connector's side): our Logon goes first with the
 * credentials, the venue answers, and the session rules after Logon
 * (resend both ways with admin messages gap-filled, PossDup, heartbeats and
 * TestRequest, logout) hold as in the acceptor role.
 *
 * We are OMS (Username oms, Password venue-secret, HeartBtInt 30), the venue
 * is VENUE; SendingTime may be at most 2 s off our clock. A file whose name
 * starts with reset_ runs with reset_on_logon. Every application message is
 * answered with a BusinessMessageReject (380=4), so a file shows which
 * messages reached the application and gives the venue something of ours
 * to ask for again. The runner and the format are in golden_fix.h and
 * tests/golden/fix/README.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fix_test_util.h"
#include "golden_fix.h"

#define OUT_CAP (1 << 16)

typedef struct world_s {
  int64_t now;
  mem_store_t store;
  oms_fix_session_t *s;
  char out[OUT_CAP];
  size_t out_len;
  char in[OUT_CAP]; /* bytes received and not yet a whole message */
  size_t in_len;
  int closed;
} world_t;

static int io_send(void *ctx, const char *d, size_t n) {
  world_t *w = ctx;
  assert_true(w->out_len + n <= OUT_CAP);
  memcpy(w->out + w->out_len, d, n);
  w->out_len += n;
  return 0;
}

static void io_disconnect(void *ctx, const char *reason) {
  world_t *w = ctx;
  (void)reason;
  w->closed = 1;
}

static int io_on_app_msg(void *ctx, const oms_fix_msg_t *m) {
  world_t *w = ctx;
  int64_t seq = 0;
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
  /* Answered the way the request came (DeliverTo from its OnBehalfOf). */
  oms_fix_route_t route = oms_fix_route_of(m);
  oms_fix_business_reject_t br = {.ref_seq_num = seq,
                                  .ref_msg_type = m->msg_type,
                                  .reason = OMS_FIX_BRR_APP_NOT_AVAILABLE,
                                  .text = oms_fix_str("no application"),
                                  .deliver_to = &route};
  return oms_fix_session_send_business_reject(w->s, &br);
}

static void g_connect(void *ctx) {
  world_t *w = ctx;
  w->out_len = 0;
  w->in_len = 0;
  w->closed = 0;
  assert_int_equal(oms_fix_session_connect(w->s), 0);
}

/* As the daemon does: keep what does not yet make a whole message. */
static void g_deliver(void *ctx, const char *data, size_t len) {
  world_t *w = ctx;
  assert_true(w->in_len + len <= OUT_CAP);
  memcpy(w->in + w->in_len, data, len);
  w->in_len += len;
  size_t used = 0;
  (void)oms_fix_session_on_bytes(w->s, w->in, w->in_len, &used);
  memmove(w->in, w->in + used, w->in_len - used);
  w->in_len -= used;
}

static void on_second(void *ctx) { (void)oms_fix_session_on_timer(((world_t *)ctx)->s); }

static void g_advance(void *ctx, int64_t ns) {
  golden_walk_clock(&((world_t *)ctx)->now, ns, NULL, on_second, ctx);
}

static void g_disconnect(void *ctx) { oms_fix_session_reset_connection(((world_t *)ctx)->s); }

static int g_closed(void *ctx) { return ((world_t *)ctx)->closed; }

static const char *g_output(void *ctx, size_t *len) {
  world_t *w = ctx;
  *len = w->out_len;
  return w->out;
}

static int64_t g_now(void *ctx) { return ((world_t *)ctx)->now; }

static void g_logout(void *ctx, const char *text) {
  assert_int_equal(oms_fix_session_logout(((world_t *)ctx)->s, text), 0);
}

static void test_golden_file(void **state) {
  world_t *w = calloc(1, sizeof *w);
  w->now = T0;
  const char *base = strrchr(*state, '/');
  base = base ? base + 1 : *state;
  oms_fix_session_config_t cfg = {.sender_comp_id = "OMS",
                                  .target_comp_id = "VENUE",
                                  .max_clock_skew_ns = 2 * SEC,
                                  .initiator = true,
                                  .heartbeat_s = 30,
                                  .reset_on_logon = strncmp(base, "reset_", 6) == 0,
                                  .username = "oms",
                                  .password = "venue-secret"};
  oms_fix_session_io_t io = {
      .send = io_send, .disconnect = io_disconnect, .on_app_msg = io_on_app_msg, .ctx = w};
  oms_fix_session_store_t st = ms_table(&w->store);
  oms_clock_t clock = {.now_ns = test_clock_now, .ctx = &w->now};
  assert_int_equal(oms_fix_session_create(&cfg, &io, &st, &clock, &w->s), 0);
  golden_io_t gio = {.connect = g_connect,
                     .deliver = g_deliver,
                     .advance = g_advance,
                     .disconnect = g_disconnect,
                     .closed = g_closed,
                     .output = g_output,
                     .now = g_now,
                     .logout = g_logout,
                     .ctx = w};
  golden_run(*state, &gio, "VENUE", "OMS");
  oms_fix_session_destroy(w->s);
  ms_free(&w->store);
  free(w);
}

int main(void) { return golden_main("tests/golden/fix/initiator", test_golden_file); }
