/* Tests for src/engine/engine.c: the OMS core against a scripted venue and a
 * store whose durability and failures the test controls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_store.h"
#include "fakes.h"
#include "oms/engine.h"
#include "oms_test.h"

#define T0 INT64_C(1764000000000000000)

typedef struct world_s {
  int64_t now;
  fake_venue_t venue;
  fake_store_t store;
  oms_engine_t *e;
  int nev;
  oms_event_t ev[512];
} world_t;

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  if (w->nev < 512) w->ev[w->nev++] = *ev;
}

/* listen: with an event subscriber (every test but the lean one). */
static world_t *make_world_as(bool with_store, uint32_t max_orders,
                              const oms_venue_route_config_t *rcfg, bool listen) {
  world_t *w = calloc(1, sizeof(*w));
  w->now = T0;
  fake_venue_init(&w->venue, "SIM");
  fake_store_init(&w->store);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = max_orders,
                             .outbox_capacity = 64,
                             .on_event = listen ? on_event : NULL,
                             .event_ctx = w};
  if (with_store) cfg.store = &w->store.base;
  static oms_store_vtbl_t unread_vt;
  if (with_store && !listen) { /* a store that reads no events: the engine is lean */
    unread_vt = *w->store.base.vt;
    unread_vt.events_unread = true;
    w->store.base.vt = &unread_vt;
  }
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  oms_venue_route_config_t def = {0};
  assert_int_equal(oms_engine_add_venue(w->e, &w->venue.base, rcfg ? rcfg : &def), 0);
  return w;
}

static world_t *make_world(bool with_store, uint32_t max_orders,
                           const oms_venue_route_config_t *rcfg) {
  return make_world_as(with_store, max_orders, rcfg, true);
}

static int setup(void **state) {
  *state = make_world(false, 64, NULL);
  return 0;
}

static int setup_store(void **state) {
  *state = make_world(true, 64, NULL);
  return 0;
}

static int teardown(void **state) {
  world_t *w = *state;
  oms_engine_destroy(w->e);
  assert_int_equal(w->venue.destroyed, 1);
  free(w);
  return 0;
}

static uint64_t submit_ok(world_t *w, const char *clordid, oms_side_t side, const char *qty,
                          const char *px) {
  oms_order_request_t req;
  t_request(&req, clordid, side, OMS_ORD_LIMIT, qty, px);
  oms_submit_result_t res;
  int rc = oms_engine_submit(w->e, &req, &res);
  if (rc != 0) fail_msg("submit %s refused: %s", clordid, res.reject.text);
  assert_int_equal(res.order->state, OMS_STATE_SUBMITTED);
  return res.order->order_id;
}

static oms_ord_state_t state_of(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o.state;
}

/* A new engine over w's store and a new venue v2 (a restart), not yet
 * recovered. */
static oms_engine_t *restart_engine(world_t *w, fake_venue_t *v2, int64_t *now) {
  fake_venue_init(v2, "SIM");
  oms_engine_config_t cfg = {
      .clock = oms_clock_manual(now), .max_orders = 64, .store = &w->store.base};
  oms_engine_t *e2;
  assert_int_equal(oms_engine_create(&cfg, &e2), 0);
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  oms_engine_add_instrument(e2, &ins, NULL);
  oms_engine_add_venue(e2, &v2->base, NULL);
  return e2;
}

/* Answers UNKNOWN to every status query about ids[0..n) until the engine
 * resolves them: the first answer and the 3 retries the default allows, each
 * asked again by the engine after the acknowledgement timeout (1 s), never
 * resent. */
static void answer_unknown(fake_venue_t *v, oms_engine_t *e, int64_t *now, const uint64_t *ids,
                           int n) {
  for (int k = 0; k <= 3; k++) {
    for (int i = 0; i < n; i++)
      fake_report(v, OMS_EXEC_STATUS, ids[i])->status = OMS_VSTATUS_UNKNOWN;
    oms_engine_poll(e);
    if (k == 3) break;
    for (int i = 0; i < n; i++) {
      oms_order_t o;
      assert_int_equal(oms_engine_get(e, ids[i], &o), 0);
      assert_false(oms_ord_state_is_terminal(o.state)); /* not yet: retries left */
      assert_true(o.flags & OMS_ORDF_STATUS_UNKNOWN);
    }
    int before = v->nsent;
    oms_engine_poll(e);
    assert_int_equal(v->nsent, before); /* spaced on the clock */
    *now += INT64_C(1000000001);
    oms_engine_poll(e);
    assert_int_equal(v->nsent, before + n);
    for (int i = 0; i < n; i++) assert_int_equal(v->kinds[before + i], 4);
  }
}

/* One life of several orders, the same in any engine: refused and denied
 * submissions, acknowledgements, fills, a renaming replace, a refused
 * replace and cancel, a cancel, a bust and a venue's refusal. */
/* The n orders ids a of world w and ids b of world v are the same ids and
 * the same bytes (padding included: both read into differently filled
 * buffers). */
static void assert_orders_byte_equal(world_t *w, const uint64_t *a, world_t *v, const uint64_t *b,
                                     int n) {
  for (int i = 0; i < n; i++) {
    assert_int_equal(a[i], b[i]);
    oms_order_t x, y;
    memset(&x, 0, sizeof x);
    memset(&y, 0xa5, sizeof y);
    assert_int_equal(oms_engine_get(w->e, a[i], &x), 0);
    assert_int_equal(oms_engine_get(v->e, b[i], &y), 0);
    assert_memory_equal(&x, &y, sizeof x);
  }
}

static void lean_script(world_t *w, uint64_t id[4]) {
  oms_order_request_t req;
  oms_submit_result_t res;
  t_request(&req, "bad", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000.3"); /* off the tick */
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  id[3] = res.order->order_id;
  id[0] = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  id[1] = submit_ok(w, "c2", OMS_SIDE_SELL, "1", "66000");
  id[2] = submit_ok(w, "c3", OMS_SIDE_BUY, "1", "64000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id[0]);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id[1]);
  fake_report(&w->venue, OMS_EXEC_REJECTED, id[2])->reason = OMS_R_VENUE_REJECT;
  fake_fill(&w->venue, id[0], "0.5", "65000", "x1");
  w->now += 1000;
  oms_engine_poll(w->e);
  oms_reject_t rej;
  oms_modify_t m = {.price = T_D("64500"), .client_order_id = "c1b"};
  assert_int_equal(oms_engine_modify(w->e, id[0], &m, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_REPLACED, id[0]);
  oms_modify_t q = {.qty = T_D("3")};
  w->now += 1000;
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_modify(w->e, id[1], &q, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_REPLACE_REJECTED, id[1])->reason = OMS_R_VENUE_REJECT;
  fake_fill(&w->venue, id[0], "1", "64500", "x2");
  w->now += 1000;
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_cancel(w->e, id[1], &rej), 0);
  fake_report(&w->venue, OMS_EXEC_CANCEL_REJECTED, id[1])->reason = OMS_R_VENUE_REJECT;
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_BUST, id[0]);
  strcpy(r->exec_ref_id, "x1");
  w->now += 1000;
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_cancel(w->e, id[0], &rej), 0);
  fake_report(&w->venue, OMS_EXEC_CANCELLED, id[0]);
  w->now += 1000;
  oms_engine_poll(w->e);
}

/* With nobody to read events whole (no subscriber, no store) the engine
 * stages a plain order's changes lean (only what a transition touches):
 * every order ends as it does in an engine whose events are whole, byte for
 * byte, names, audit trail and all, and is found by its new name. */
static void test_a_lean_engine_keeps_orders_as_one_with_whole_events_does(void **state) {
  (void)state;
  world_t *whole = make_world_as(false, 64, NULL, true);
  world_t *lean = make_world_as(false, 64, NULL, false);
  uint64_t a[4], b[4];
  lean_script(whole, a);
  lean_script(lean, b);
  assert_true(whole->nev > 10);
  assert_orders_byte_equal(whole, a, lean, b, 4);
  oms_order_t o;
  assert_int_equal(oms_engine_get(lean->e, b[0], &o), 0);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_string_equal(o.cur_client_order_id, "c1b");
  assert_true(oms_dec_eq(o.filled_qty, T_D("1")));
  assert_int_equal(oms_engine_get(lean->e, b[1], &o), 0);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  assert_int_equal(oms_engine_get(lean->e, b[2], &o), 0);
  assert_int_equal(o.state, OMS_STATE_REJECTED);
  oms_engine_stats_t sa, sb;
  oms_engine_stats(whole->e, &sa);
  oms_engine_stats(lean->e, &sb);
  assert_int_equal(sa.next_event_seq, sb.next_event_seq);
  assert_int_equal(lean->nev, 0);
  teardown((void **)&whole);
  teardown((void **)&lean);
}

/* A life where the store refuses: a submission, a renaming replace and a
 * cancel refused, a refusal the store can not even take (the order is
 * refused in memory only), a fill held and applied later. */
static void refusal_script(world_t *w, uint64_t id[4]) {
  oms_order_request_t req;
  oms_submit_result_t res;
  oms_reject_t rej;
  id[0] = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id[0]);
  fake_fill(&w->venue, id[0], "0.5", "65000", "x1");
  oms_engine_poll(w->e);
  w->store.append_rc = OMS_ESTORE;
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_STORE_FAILED);
  id[1] = res.order->order_id;
  oms_modify_t m = {.price = T_D("64500"), .client_order_id = "c1b"};
  assert_int_equal(oms_engine_modify(w->e, id[0], &m, &rej), OMS_EREJECTED);
  assert_int_equal(oms_engine_cancel(w->e, id[0], &rej), OMS_EREJECTED);
  w->store.append_rc = OMS_EFULL;
  w->store.refuse_must = 1;
  t_request(&req, "c3", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.order->state, OMS_STATE_REJECTED);
  id[2] = res.order->order_id;
  fake_fill(&w->venue, id[0], "0.5", "65000", "x2");
  w->now += 1000;
  oms_engine_poll(w->e);
  w->store.append_rc = 0;
  w->store.refuse_must = 0;
  w->now += 1000;
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_modify(w->e, id[0], &m, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_REPLACED, id[0]);
  w->now += 1000;
  oms_engine_poll(w->e);
  id[3] = submit_ok(w, "c4", OMS_SIDE_SELL, "1", "66000");
}

/* The same with a store that refuses: what a lean engine changed in place
 * for a command the store refused is undone, and orders end byte for byte
 * as with whole events; the store is handed the same number of events. */
static void test_a_lean_engine_undoes_what_its_store_refuses(void **state) {
  (void)state;
  world_t *whole = make_world_as(true, 64, NULL, true);
  world_t *lean = make_world_as(true, 64, NULL, false);
  uint64_t a[4], b[4];
  refusal_script(whole, a);
  refusal_script(lean, b);
  assert_orders_byte_equal(whole, a, lean, b, 4);
  oms_order_t o;
  assert_int_equal(oms_engine_get(lean->e, b[0], &o), 0);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_string_equal(o.cur_client_order_id, "c1b");
  assert_true(oms_dec_eq(o.filled_qty, T_D("1")));
  assert_int_equal(oms_engine_get(lean->e, b[2], &o), 0);
  assert_int_equal(o.state, OMS_STATE_REJECTED);
  assert_int_equal(whole->store.nevents, lean->store.nevents);
  assert_int_equal(whole->store.last_seq, lean->store.last_seq);
  teardown((void **)&whole);
  teardown((void **)&lean);
}

static void test_happy_path_submitted_accepted_filled(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  assert_int_equal(id, 1);
  assert_int_equal(w->venue.nsent, 1);
  assert_int_equal(w->venue.kinds[0], 1);
  assert_string_equal(w->venue.news[0].symbol, "BTC-USD");
  assert_true(oms_dec_eq(w->venue.news[0].qty, T_D("2")));

  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "0.5", "65000", "x1");
  fake_fill(&w->venue, id, "1.5", "64999.5", "x2");
  w->now += 1000;
  assert_int_equal(oms_engine_poll(w->e), 3);

  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_string_equal(o.venue_order_id, "V1");
  assert_true(oms_dec_eq(o.avg_px, T_D("64999.625")));

  /* one event per change, gap-free sequence, full snapshot */
  assert_int_equal(w->nev, 4);
  oms_event_type_t want[] = {OMS_EVT_ORDER_SUBMITTED, OMS_EVT_ORDER_ACCEPTED,
                             OMS_EVT_ORDER_PARTIALLY_FILLED, OMS_EVT_ORDER_FILLED};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(w->ev[i].type, want[i]);
    assert_int_equal(w->ev[i].seq, (uint64_t)i + 1);
    assert_int_equal(w->ev[i].order.order_id, id);
  }
  assert_true(oms_dec_eq(w->ev[3].fill.qty, T_D("1.5")));
  assert_string_equal(w->ev[3].fill.exec_id, "x2");
  assert_int_equal(w->ev[0].request_ns, T0);

  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.submitted, 1);
  assert_int_equal(st.reports, 3);
  assert_int_equal(st.next_event_seq, 5);
}

static void test_invalid_request_is_rejected_with_reason(void **state) {
  world_t *w = *state;
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000.3");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_TICK_SIZE);
  assert_int_equal(res.order->state, OMS_STATE_REJECTED);
  assert_int_equal(res.order->reject_code, OMS_R_TICK_SIZE);
  assert_string_equal(res.order->reject_reason,
                      "price 65000.3 is not a multiple of tick 0.5 for BTC-USD");
  assert_int_equal(w->venue.nsent, 0);
  assert_int_equal(w->nev, 1);
  assert_int_equal(w->ev[0].type, OMS_EVT_ORDER_REJECTED);
  assert_int_equal(w->ev[0].reason, OMS_R_TICK_SIZE);
  /* unknown instrument */
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "10");
  strcpy(req.symbol, "DOGE-USD");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_UNKNOWN_INSTRUMENT);
}

static void test_idempotent_resubmission_is_never_routed_twice(void **state) {
  world_t *w = *state;
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t a, b;
  assert_int_equal(oms_engine_submit(w->e, &req, &a), 0);
  assert_int_equal(oms_engine_submit(w->e, &req, &b), 0);
  assert_true(b.duplicate);
  assert_int_equal(a.order->order_id, b.order->order_id);
  assert_int_equal(w->venue.nsent, 1);
  /* a different request reusing the live id is refused */
  req.qty = T_D("2");
  assert_int_equal(oms_engine_submit(w->e, &req, &b), OMS_EREJECTED);
  assert_int_equal(b.reject.code, OMS_R_DUPLICATE_CLORDID);
  assert_int_equal(b.order->order_id, 0);
  assert_int_equal(w->venue.nsent, 1);
  /* the same id from another strategy is another order */
  req.qty = T_D("1");
  strcpy(req.strategy_id, "s2");
  assert_int_equal(oms_engine_submit(w->e, &req, &b), 0);
  assert_int_not_equal(b.order->order_id, a.order->order_id);
  /* a rejected submission replays as the same rejection */
  t_request(&req, "bad", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0", "65000");
  assert_int_equal(oms_engine_submit(w->e, &req, &a), OMS_EREJECTED);
  assert_int_equal(oms_engine_submit(w->e, &req, &b), OMS_EREJECTED);
  assert_true(b.duplicate);
  assert_int_equal(b.reject.code, OMS_R_QTY_NOT_POSITIVE);
  assert_int_equal(a.order->order_id, b.order->order_id);
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_clordid(w->e, "s1", "c1", &o), 0);
  assert_int_equal(o.order_id, a.order->order_id - 2);
  assert_int_equal(oms_engine_get_by_clordid(w->e, "s1", "nope", &o), OMS_ENOTFOUND);
}

static void test_cancel_confirmed(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_SELL, "1", "70000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  assert_int_equal(state_of(w, id), OMS_STATE_PENDING_CANCEL);
  assert_int_equal(w->venue.kinds[1], 2);
  /* a second cancel while one is pending is refused */
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_ORDER_PENDING);
  fake_report(&w->venue, OMS_EXEC_CANCELLED, id);
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, id), OMS_STATE_CANCELLED);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ORDER_CANCELLED);
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_ORDER_TERMINAL);
  assert_string_equal(rej.text, "order 1 is already CANCELLED");
  assert_int_equal(oms_engine_cancel(w->e, 999, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNKNOWN_ORDER);
}

static void test_cancel_refused_by_venue_restores_state(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_SELL, "1", "70000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "0.4", "70000", "f1");
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_CANCEL_REJECTED, id);
  r->reason = OMS_R_TOO_LATE;
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, id), OMS_STATE_PARTIALLY_FILLED);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ORDER_CANCEL_REJECTED);
  assert_int_equal(w->ev[w->nev - 1].reason, OMS_R_TOO_LATE);
}

static void test_partial_fill_then_cancel(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "0.3", "65000", "f1");
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_CANCELLED, id);
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.3")));
  assert_true(oms_dec_is_zero(o.leaves_qty));
}

static void test_fill_racing_a_cancel_is_applied(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  /* the venue filled part before it saw the cancel, then cancelled the rest,
   * and a straggling fill report arrives after the cancel confirmation */
  fake_fill(&w->venue, id, "0.2", "65000", "f1");
  fake_report(&w->venue, OMS_EXEC_CANCELLED, id);
  fake_fill(&w->venue, id, "0.1", "65000", "f2");
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.3")));
}

static void test_modify_accepted_and_refused(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  oms_reject_t rej;
  oms_modify_t m = {.price = T_D("64000")};
  /* not before the venue acknowledged it */
  assert_int_equal(oms_engine_modify(w->e, id, &m, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_ORDER_PENDING);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  /* the order it would become is validated */
  oms_modify_t bad = {.price = T_D("64000.3")};
  assert_int_equal(oms_engine_modify(w->e, id, &bad, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_TICK_SIZE);
  oms_modify_t same = {.price = T_D("65000")};
  assert_int_equal(oms_engine_modify(w->e, id, &same, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_NOTHING_TO_CHANGE);
  assert_int_equal(oms_engine_modify(w->e, id, &m, &rej), 0);
  assert_int_equal(state_of(w, id), OMS_STATE_PENDING_REPLACE);
  int k = w->venue.nsent - 1;
  assert_int_equal(w->venue.kinds[k], 3);
  assert_true(oms_dec_eq(w->venue.rp[k], T_D("64000")));
  assert_true(oms_dec_eq(w->venue.rq[k], T_D("1")));
  fake_report(&w->venue, OMS_EXEC_REPLACED, id);
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  assert_true(oms_dec_eq(o.price, T_D("64000")));
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ORDER_REPLACED);
  /* refused by the venue: as before */
  oms_modify_t q = {.qty = T_D("3")};
  assert_int_equal(oms_engine_modify(w->e, id, &q, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_REPLACE_REJECTED, id);
  oms_engine_poll(w->e);
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  assert_true(oms_dec_eq(o.qty, T_D("1")));
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ORDER_REPLACE_REJECTED);
  /* below the filled quantity */
  fake_fill(&w->venue, id, "0.5", "64000", "f1");
  oms_engine_poll(w->e);
  oms_modify_t down = {.qty = T_D("0.5")};
  assert_int_equal(oms_engine_modify(w->e, id, &down, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_MODIFY_BELOW_FILLED);
  assert_int_equal(oms_engine_modify(w->e, 77, &down, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNKNOWN_ORDER);
}

static void test_duplicate_and_out_of_order_reports(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  /* the fill overtakes the acknowledgement; the fill is then repeated */
  fake_fill(&w->venue, id, "0.4", "65000", "f1");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "0.4", "65000", "f1");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.4")));
  assert_string_equal(o.venue_order_id, "V1"); /* kept from the late acknowledgement */
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.duplicate_reports, 1);
}

static void test_overfill_raises_alarm_and_is_not_applied(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "0.7", "65000", "f1");
  fake_fill(&w->venue, id, "0.7", "65000", "f2");
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.7")));
  const oms_event_t *a = &w->ev[w->nev - 1];
  assert_int_equal(a->type, OMS_EVT_ALARM);
  assert_int_equal(a->alarm, OMS_ALARM_OVERFILL);
  assert_non_null(strstr(a->text, "fill of 0.7 (exec f2) on order 1"));
  /* a report about an order nobody knows is an alarm too */
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, 4242);
  oms_engine_poll(w->e);
  assert_int_equal(w->ev[w->nev - 1].alarm, OMS_ALARM_UNKNOWN_ORDER_REPORT);
  /* and so is what a venue sent that its connector could not use */
  oms_exec_report_t *bad = fake_report(&w->venue, OMS_EXEC_VENUE_ERROR, 0);
  snprintf(bad->text, sizeof bad->text, "ExecutionReport with ExecType(150)=Z: ignored");
  size_t before = w->nev;
  oms_engine_poll(w->e);
  assert_int_equal(w->nev, before + 1);
  a = &w->ev[w->nev - 1];
  assert_int_equal(a->type, OMS_EVT_ALARM);
  assert_int_equal(a->alarm, OMS_ALARM_VENUE_MESSAGE);
  assert_string_equal(a->text, "venue SIM: ExecutionReport with ExecType(150)=Z: ignored");
  oms_engine_get(w->e, id, &o);
  assert_true(oms_dec_eq(o.filled_qty, T_D("0.7"))); /* nothing else changed */
}

static void test_venue_down_refuses_and_marks_in_flight_unknown(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  w->venue.connected = false;
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_true(o.flags & OMS_ORDF_STATUS_UNKNOWN);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ALARM);
  oms_order_request_t req;
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_VENUE_DOWN);
  assert_string_equal(res.reject.text, "venue SIM is not connected");
  /* back up: a status query, never a resend; the venue never saw it */
  w->venue.connected = true;
  int before = w->venue.nsent;
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, before + 1);
  assert_int_equal(w->venue.kinds[before], 4);
  answer_unknown(&w->venue, w->e, &w->now, &id, 1);
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_REJECTED);
  assert_int_equal(o.reject_code, OMS_R_VENUE_UNKNOWN_ORDER);
  assert_false(o.flags & OMS_ORDF_STATUS_UNKNOWN);
}

static void test_silent_venue_is_settled_by_status_query(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  w->now += 500000000; /* half the default timeout: nothing yet */
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 1);
  w->now += 600000000;
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 2);
  assert_int_equal(w->venue.kinds[1], 4);
  assert_int_equal(w->venue.ids[1], id);
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, id);
  r->status = OMS_VSTATUS_WORKING;
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, id), OMS_STATE_ACCEPTED);
  w->now += 5000000000;
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 2); /* settled: no more queries */
}

static void test_burst_over_venue_rate_limit(void **state) {
  (void)state;
  oms_venue_route_config_t rc = {.msgs_per_sec = 2, .burst = 2, .queue_capacity = 2};
  world_t *w = make_world(false, 64, &rc);
  char id[8];
  oms_submit_result_t res;
  int accepted = 0, full = 0;
  for (int i = 0; i < 5; i++) {
    oms_order_request_t req;
    snprintf(id, sizeof id, "c%d", i);
    t_request(&req, id, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
    int rc2 = oms_engine_submit(w->e, &req, &res);
    if (rc2 == 0) accepted++;
    /* the fifth is accepted by the core but refused by the full queue when
     * its turn comes: REJECTED with the reason */
    (void)rc2;
  }
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 2);
  for (uint64_t i = 1; i <= 5; i++)
    if (state_of(w, i) == OMS_STATE_REJECTED) full++;
  assert_int_equal(full, 1);
  oms_order_t o;
  oms_engine_get(w->e, 5, &o);
  assert_int_equal(o.reject_code, OMS_R_VENUE_QUEUE_FULL);
  /* a cancel of a queued order never goes out: it is cancelled at once */
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, 4, &rej), 0);
  assert_int_equal(state_of(w, 4), OMS_STATE_CANCELLED);
  w->now += 500000000; /* half a second: one token, before any ack timeout */
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 3); /* order 3; order 4's slot was dropped */
  assert_int_equal(w->venue.ids[2], 3);
  oms_route_stats_t rs;
  assert_int_equal(oms_router_stats(oms_engine_router(w->e), "SIM", &rs), 0);
  assert_int_equal(rs.cancelled_locally, 1);
  assert_int_equal(rs.refused_full, 1);
  assert_int_equal(accepted, 4); /* the fifth was refused when released */
  teardown((void **)&w);
}

/* The written hook: what it heard, kept apart from the durable events. */
typedef struct written_s {
  int n;
  oms_event_t ev[16];
  world_t *w;
  int durable_seen; /* w->nev when the hook ran */
} written_t;

static void on_written(void *ctx, const oms_event_t *ev) {
  written_t *wr = ctx;
  wr->durable_seen = wr->w->nev;
  if (wr->n < 16) wr->ev[wr->n++] = *ev;
}

static void test_the_written_hook_hears_events_before_they_are_durable(void **state) {
  (void)state;
  world_t *w = calloc(1, sizeof(*w));
  written_t wr = {.w = w};
  w->now = T0;
  fake_venue_init(&w->venue, "SIM");
  fake_store_init(&w->store);
  w->store.auto_durable = false;
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 64,
                             .outbox_capacity = 64,
                             .store = &w->store.base,
                             .on_event = on_event,
                             .event_ctx = w,
                             .on_written = on_written,
                             .written_ctx = &wr};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, &w->venue.base, NULL), 0);
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  uint64_t b = submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  oms_engine_poll(w->e);
  /* written, in sequence order, inside the command; nothing durable yet */
  assert_int_equal(wr.n, 2);
  assert_int_equal(wr.ev[0].seq, 1);
  assert_int_equal(wr.ev[0].order.order_id, a);
  assert_int_equal(wr.ev[0].type, OMS_EVT_ORDER_SUBMITTED);
  assert_int_equal(wr.ev[1].seq, 2);
  assert_int_equal(wr.ev[1].order.order_id, b);
  assert_int_equal(w->nev, 0);
  assert_int_equal(w->venue.nsent, 0);
  /* the venue sends and the durable events still wait for the store */
  w->store.durable = w->store.tickets;
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 2);
  assert_int_equal(w->nev, 2);
  assert_int_equal(wr.n, 2); /* heard once */
  /* durable at once: the hook still runs first, at the commit */
  w->store.auto_durable = true;
  submit_ok(w, "c3", OMS_SIDE_BUY, "1", "65000");
  assert_int_equal(wr.n, 3);
  assert_int_equal(wr.ev[2].seq, 3);
  assert_int_equal(wr.durable_seen, 2);
  assert_int_equal(w->nev, 3);
  teardown((void **)&w);
}

static void test_write_ahead_nothing_leaves_before_durable(void **state) {
  world_t *w = *state;
  w->store.auto_durable = false;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 0); /* not durable: not sent */
  assert_int_equal(w->nev, 0);         /* and nobody told */
  assert_int_equal(w->store.nevents, 1);
  assert_int_equal(w->store.events[0].order.state, OMS_STATE_SUBMITTED);
  w->store.durable = w->store.tickets;
  oms_engine_poll(w->e);
  assert_int_equal(w->venue.nsent, 1);
  assert_int_equal(w->nev, 1);
  assert_int_equal(w->ev[0].order.order_id, id);
}

static void test_store_failure_refuses_new_orders_and_cancels(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  w->store.append_rc = OMS_ESTORE;
  oms_order_request_t req;
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_STORE_FAILED);
  assert_int_equal(res.order->state, OMS_STATE_REJECTED);
  assert_int_equal(w->venue.nsent, 1); /* nothing routed that is not stored */
  oms_order_t before, after;
  oms_engine_get(w->e, id, &before);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_STORE_FAILED);
  oms_engine_get(w->e, id, &after);
  assert_memory_equal(&before, &after, sizeof before);
  /* facts from the venue are still taken (the store queues them) */
  fake_fill(&w->venue, id, "1", "65000", "f1");
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, id), OMS_STATE_FILLED);
  /* the store recovers: orders flow again */
  w->store.append_rc = 0;
  t_request(&req, "c3", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
}

static void test_full_store_queue_holds_reports_in_order(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  w->store.append_rc = OMS_EFULL;
  w->store.refuse_must = 1;
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "0.5", "65000", "f1");
  fake_fill(&w->venue, id, "0.5", "65000", "f2");
  oms_engine_poll(w->e);
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.held_reports, 3);
  assert_int_equal(state_of(w, id), OMS_STATE_SUBMITTED);
  w->store.append_rc = 0;
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, id), OMS_STATE_FILLED);
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.held_reports, 0);
}

static void test_a_fill_held_by_a_full_store_is_applied_later_not_dropped(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  w->store.append_rc = OMS_EFULL;
  w->store.refuse_must = 1;
  fake_fill(&w->venue, id, "0.5", "65000", "f1");
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, id);
  r->status = OMS_VSTATUS_WORKING;
  r->cum_qty = T_D("1");
  r->avg_px = T_D("65000");
  oms_engine_poll(w->e);
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.held_reports, 2);
  w->store.append_rc = 0;
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_true(oms_dec_eq(o.filled_qty, T_D("1"))); /* the fill, then the derived half */
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.held_reports, 0);
  assert_int_equal(st.duplicate_reports, 0);
  /* A snapshot's derived fill held the same way is booked once too. */
  w->store.append_rc = OMS_EFULL;
  r = fake_report(&w->venue, OMS_EXEC_STATUS, id);
  r->status = OMS_VSTATUS_FILLED;
  r->cum_qty = T_D("2");
  r->avg_px = T_D("65000");
  oms_engine_poll(w->e);
  w->store.append_rc = 0;
  oms_engine_poll(w->e);
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("2")));
}

static void test_mass_cancel_by_account(void **state) {
  world_t *w = *state;
  submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  oms_order_request_t req;
  t_request(&req, "c3", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  strcpy(req.account_id, "ACC2");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  oms_order_filter_t f = {.account_id = "ACC1"};
  uint32_t n = 0;
  assert_int_equal(oms_engine_mass_cancel(w->e, &f, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(state_of(w, 1), OMS_STATE_PENDING_CANCEL);
  assert_int_equal(state_of(w, 3), OMS_STATE_SUBMITTED);
  assert_int_equal(oms_engine_mass_cancel(w->e, NULL, NULL), 0);
  assert_int_equal(state_of(w, 3), OMS_STATE_PENDING_CANCEL);
}

static int count_cb(void *ctx, const oms_order_t *o) {
  (void)o;
  (*(int *)ctx)++;
  return 0;
}

static void test_queries_by_scope_and_state(void **state) {
  world_t *w = *state;
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  submit_ok(w, "c2", OMS_SIDE_SELL, "1", "66000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, a);
  fake_fill(&w->venue, a, "1", "65000", "f1");
  oms_engine_poll(w->e);
  int n = 0;
  oms_engine_orders(w->e, NULL, count_cb, &n);
  assert_int_equal(n, 1); /* active only */
  n = 0;
  oms_order_filter_t f = {.states = 1u << OMS_STATE_FILLED};
  oms_engine_orders(w->e, &f, count_cb, &n);
  assert_int_equal(n, 1);
  n = 0;
  oms_order_filter_t g = {.strategy_id = "s1", .states = 0xFFFF};
  oms_engine_orders(w->e, &g, count_cb, &n);
  assert_int_equal(n, 2);
  n = 0;
  oms_order_filter_t h = {.strategy_id = "other", .states = 0xFFFF};
  oms_engine_orders(w->e, &h, count_cb, &n);
  assert_int_equal(n, 0);
}

static void test_capacity_reuses_finished_slots(void **state) {
  (void)state;
  world_t *w = make_world(false, 2, NULL);
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  oms_order_request_t req;
  t_request(&req, "c3", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_CAPACITY);
  fake_report(&w->venue, OMS_EXEC_REJECTED, a);
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, a, &o), OMS_ENOTFOUND); /* left memory, no store */
  teardown((void **)&w);
}

typedef struct ids_s {
  uint64_t id[8];
  int n, stop_after;
} ids_t;

static int ids_cb(void *ctx, const oms_order_t *o) {
  ids_t *q = ctx;
  q->id[q->n++] = o->order_id;
  return q->n == q->stop_after ? 7 : 0;
}

static void test_orders_are_walked_in_id_order_when_slots_are_reused(void **state) {
  (void)state;
  world_t *w = make_world(false, 3, NULL);
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  uint64_t b = submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  uint64_t c = submit_ok(w, "c3", OMS_SIDE_BUY, "1", "65000");
  /* the middle order finishes and its slot, in the middle of the pool, goes
   * to the next order: the walk still visits by order id */
  fake_report(&w->venue, OMS_EXEC_REJECTED, b);
  oms_engine_poll(w->e);
  uint64_t d = submit_ok(w, "c4", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_REJECTED, a);
  oms_engine_poll(w->e);
  uint64_t e = submit_ok(w, "c5", OMS_SIDE_BUY, "1", "65000");
  oms_order_filter_t all = {.states = 0xFFFF};
  ids_t q = {0};
  assert_int_equal(oms_engine_orders(w->e, &all, ids_cb, &q), 0);
  assert_int_equal(q.n, 3);
  assert_int_equal(q.id[0], c);
  assert_int_equal(q.id[1], d);
  assert_int_equal(q.id[2], e);
  /* a non-zero answer from the callback stops the walk and is returned */
  ids_t one = {.stop_after = 1};
  assert_int_equal(oms_engine_orders(w->e, &all, ids_cb, &one), 7);
  assert_int_equal(one.n, 1);
  assert_int_equal(one.id[0], c);
  /* the finished orders left memory with their names */
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c2", &o), OMS_ENOTFOUND);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c4", &o), 0);
  assert_int_equal(o.order_id, d);
  uint32_t n = 0;
  assert_int_equal(oms_engine_mass_cancel(w->e, NULL, &n), 0);
  assert_int_equal(n, 3);
  teardown((void **)&w);
}

/* A replace gives the order a new current name; the map of current names
 * follows it, and a new engine over the same store rebuilds it. */
static void test_current_client_order_id_finds_a_replaced_order_also_after_recovery(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_engine_poll(w->e);
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c1", &o), 0);
  assert_int_equal(o.order_id, id);
  oms_reject_t rej;
  oms_modify_t m = {.price = T_D("64000"), .client_order_id = "c1-r"};
  assert_int_equal(oms_engine_modify(w->e, id, &m, &rej), 0);
  /* not renamed before the venue confirms */
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c1-r", &o), OMS_ENOTFOUND);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c1", &o), 0);
  fake_report(&w->venue, OMS_EXEC_REPLACED, id);
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c1-r", &o), 0);
  assert_int_equal(o.order_id, id);
  assert_string_equal(o.cur_client_order_id, "c1-r");
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "c1", &o), OMS_ENOTFOUND);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s2", "c1-r", &o), OMS_ENOTFOUND);
  /* the original id still names the order for idempotency */
  assert_int_equal(oms_engine_get_by_clordid(w->e, "s1", "c1", &o), 0);
  assert_int_equal(o.order_id, id);
  /* an id nobody used costs no store lookup and is not found */
  assert_int_equal(oms_engine_get_by_clordid(w->e, "s1", "never", &o), OMS_ENOTFOUND);

  static fake_venue_t v2;
  int64_t now = w->now;
  oms_engine_t *e2 = restart_engine(w, &v2, &now);
  assert_int_equal(oms_engine_recover(e2, NULL), 0);
  assert_int_equal(oms_engine_get_by_current_clordid(e2, "s1", "c1-r", &o), 0);
  assert_int_equal(o.order_id, id);
  assert_int_equal(oms_engine_get_by_current_clordid(e2, "s1", "c1", &o), OMS_ENOTFOUND);
  ids_t q = {0};
  assert_int_equal(oms_engine_orders(e2, NULL, ids_cb, &q), 0);
  assert_int_equal(q.n, 1);
  assert_int_equal(q.id[0], id);
  oms_engine_destroy(e2);
}

static void rename_to(world_t *w, uint64_t id, const char *name, const char *px) {
  oms_reject_t rej;
  oms_modify_t m = {.price = T_D(px), .client_order_id = name};
  assert_int_equal(oms_engine_modify(w->e, id, &m, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_REPLACED, id);
  oms_engine_poll(w->e);
}

/* One slot: a renamed order that finished gives its slot, and its names,
 * to the next order. */
static void test_a_renamed_order_leaving_memory_takes_its_names_along(void **state) {
  (void)state;
  world_t *w = make_world(false, 1, NULL);
  uint64_t a = submit_ok(w, "a", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, a);
  oms_engine_poll(w->e);
  rename_to(w, a, "a-r", "64000");
  rename_to(w, a, "a-s", "63000");
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "a-r", &o), OMS_ENOTFOUND);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "a-s", &o), 0);
  assert_int_equal(o.order_id, a);
  /* renamed back to its first name: found through the map of first names */
  rename_to(w, a, "a", "62000");
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "a-s", &o), OMS_ENOTFOUND);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "a", &o), 0);
  rename_to(w, a, "a-t", "61000");
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, a, &rej), 0);
  fake_report(&w->venue, OMS_EXEC_CANCELLED, a);
  oms_engine_poll(w->e);
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "a-t", &o), 0);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  uint64_t b = submit_ok(w, "b", OMS_SIDE_BUY, "1", "65000");
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "s1", "a-t", &o), OMS_ENOTFOUND);
  ids_t q = {0};
  oms_engine_orders(w->e, NULL, ids_cb, &q);
  assert_int_equal(q.n, 1);
  assert_int_equal(q.id[0], b);
  teardown((void **)&w);
}

static void test_engines_are_independent(void **state) {
  (void)state;
  world_t *a = make_world(false, 8, NULL), *b = make_world(false, 8, NULL);
  submit_ok(a, "c1", OMS_SIDE_BUY, "1", "65000");
  submit_ok(a, "c2", OMS_SIDE_BUY, "1", "65000");
  assert_int_equal(submit_ok(b, "c1", OMS_SIDE_BUY, "1", "65000"), 1);
  assert_int_equal(a->venue.nsent, 2);
  assert_int_equal(b->venue.nsent, 1);
  teardown((void **)&a);
  teardown((void **)&b);
}

static void test_api_misuse_is_refused(void **state) {
  (void)state;
  oms_engine_t *e;
  oms_engine_config_t cfg = {0};
  assert_int_equal(oms_engine_create(&cfg, &e), OMS_EINVAL);
  assert_null(e);
  oms_engine_destroy(NULL);
  world_t *w = make_world(false, 8, NULL);
  oms_instrument_t bad;
  t_instrument(&bad, "X");
  bad.tick_size = T_D("0");
  oms_reject_t rej;
  assert_int_equal(oms_engine_add_instrument(w->e, &bad, &rej), OMS_EINVAL);
  assert_int_equal(oms_engine_add_venue(w->e, NULL, NULL), OMS_EINVAL);
  assert_null(oms_engine_instrument(w->e, "SIM", "NOPE"));
  assert_non_null(oms_engine_instrument(w->e, "SIM", "BTC-USD"));
  assert_int_equal(oms_engine_recover(w->e, NULL), OMS_EINVAL); /* no store */
  /* a venue the router does not know */
  oms_instrument_t other;
  t_instrument(&other, "ETH-USD");
  strcpy(other.venue, "NOWHERE");
  assert_int_equal(oms_engine_add_instrument(w->e, &other, NULL), 0);
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  strcpy(req.symbol, "ETH-USD");
  strcpy(req.venue, "NOWHERE");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_UNKNOWN_VENUE);
  /* An instrument whose venue is no valid identifier: a request naming it
   * is refused for its venue, as validation alone would (the engine skips
   * the venue check only for instruments whose venue is valid). */
  oms_instrument_t odd;
  t_instrument(&odd, "SOL-USD");
  strcpy(odd.venue, "NO WHERE");
  assert_int_equal(oms_engine_add_instrument(w->e, &odd, NULL), 0);
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  strcpy(req.symbol, "SOL-USD");
  strcpy(req.venue, "NO WHERE");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_BAD_ID);
  assert_string_equal(res.reject.text, "venue must be 1..15 characters of [A-Za-z0-9._:@/-]");
  teardown((void **)&w);
}

/* The submission reads an instrument from its own copy (the hot record),
 * found by the instrument's key: its answer is validation's against the
 * record oms_engine_instrument returns, for each instrument of a full
 * table, after an instrument is changed by adding it again, and back. */
static void expect_validated_as_record(oms_engine_t *e, int64_t now, oms_order_request_t *req) {
  static int n;
  snprintf(req->client_order_id, sizeof req->client_order_id, "hot%d", n++);
  const oms_instrument_t *ins = oms_engine_instrument(e, req->venue, req->symbol);
  oms_reject_t want;
  oms_reason_t code = oms_request_validate(req, ins, now, &want);
  oms_submit_result_t res;
  int rc = oms_engine_submit(e, req, &res);
  if (code == OMS_R_NONE) {
    assert_int_equal(rc, 0);
    return;
  }
  assert_int_equal(rc, OMS_EREJECTED);
  assert_int_equal(res.reject.code, code);
  assert_string_equal(res.reject.text, want.text);
}

/* ins added again (a change), then req answered as its record says. */
static void readd_and_expect(oms_engine_t *e, int64_t now, const oms_instrument_t *ins,
                             oms_order_request_t *req) {
  assert_int_equal(oms_engine_add_instrument(e, ins, NULL), 0);
  expect_validated_as_record(e, now, req);
}

static void test_instrument_changes_reach_the_submission(void **state) {
  (void)state;
  int64_t now = T0;
  static fake_venue_t v;
  fake_venue_init(&v, "SIM");
  oms_engine_config_t cfg = {
      .clock = oms_clock_manual(&now), .max_orders = 64, .max_instruments = 5};
  oms_engine_t *e;
  assert_int_equal(oms_engine_create(&cfg, &e), 0);
  assert_int_equal(oms_engine_add_venue(e, &v.base, NULL), 0);
  const char *syms[] = {"BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD"};
  oms_instrument_t ins;
  for (int i = 0; i < 5; i++) {
    t_instrument(&ins, syms[i]);
    ins.tick_size = oms_dec_from_raw((int64_t)(i + 1) * 25000000); /* 0.25, 0.5, ... */
    assert_int_equal(oms_engine_add_instrument(e, &ins, NULL), 0);
  }
  t_instrument(&ins, "DOT-USD");
  assert_int_equal(oms_engine_add_instrument(e, &ins, NULL), OMS_EFULL);
  oms_order_request_t req;
  for (int i = 0; i < 5; i++) {
    t_request(&req, "x", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000.5");
    strcpy(req.symbol, syms[i]);
    expect_validated_as_record(e, now, &req); /* on the tick of some, not others */
    t_request(&req, "x", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
    strcpy(req.symbol, syms[i]);
    expect_validated_as_record(e, now, &req);
  }
  strcpy(req.symbol, "DOT-USD");
  expect_validated_as_record(e, now, &req); /* not added */

  /* changed: every limit the hot record holds, then back */
  t_request(&req, "x", OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  strcpy(req.symbol, "SOL-USD");
  t_instrument(&ins, "SOL-USD");
  expect_validated_as_record(e, now, &req);
  ins.min_qty = T_D("3");
  readd_and_expect(e, now, &ins, &req);
  ins.min_qty = T_D("0");
  ins.max_qty = T_D("1");
  readd_and_expect(e, now, &ins, &req);
  ins.max_qty = T_D("0");
  ins.min_notional = T_D("1000");
  readd_and_expect(e, now, &ins, &req);
  ins.multiplier = T_D("10");
  readd_and_expect(e, now, &ins, &req);
  ins.tick_size = T_D("3");
  readd_and_expect(e, now, &ins, &req);
  ins.tick_size = T_D("0.5");
  ins.lot_size = T_D("0.3");
  readd_and_expect(e, now, &ins, &req);
  t_instrument(&ins, "SOL-USD");
  readd_and_expect(e, now, &ins, &req);
  oms_engine_destroy(e);
}

static int admit_acc1(void *ctx, const oms_order_request_t *req, oms_reject_t *rej) {
  ++*(int *)ctx;
  if (strcmp(req->account_id, "ACC1") == 0) return 0;
  oms_reject_set(rej, OMS_R_ACCOUNT_NOT_OWNED, "account %s is not owned", req->account_id);
  return 1;
}

/* The admit hook (omsd's account ownership and lease) is asked first; a
 * refusal makes no order, no event, no id; first_order_id numbers them. */
static void test_admit_refuses_before_anything_exists(void **state) {
  (void)state;
  int64_t now = T0;
  int asked = 0;
  static fake_venue_t v;
  fake_venue_init(&v, "SIM");
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&now),
                             .max_orders = 16,
                             .first_order_id = (UINT64_C(7) << 40) + 1,
                             .admit = admit_acc1,
                             .admit_ctx = &asked};
  oms_engine_t *e;
  assert_int_equal(oms_engine_create(&cfg, &e), 0);
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  assert_int_equal(oms_engine_add_instrument(e, &ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(e, &v.base, NULL), 0);
  oms_order_request_t req;
  t_request(&req, "a1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  snprintf(req.account_id, sizeof req.account_id, "ACC2");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_ACCOUNT_NOT_OWNED);
  assert_int_equal(res.order->order_id, 0);
  assert_int_equal(v.nsent, 0);
  snprintf(req.account_id, sizeof req.account_id, "ACC1");
  assert_int_equal(oms_engine_submit(e, &req, &res), 0);
  assert_int_equal(res.order->order_id, (UINT64_C(7) << 40) + 1);
  assert_int_equal(asked, 2);
  oms_engine_destroy(e);
}

static void test_recovery_rebuilds_live_orders_and_sequences(void **state) {
  world_t *w = *state;
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  uint64_t b = submit_ok(w, "c2", OMS_SIDE_SELL, "2", "66000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, a);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, b);
  fake_fill(&w->venue, a, "1", "65000", "f1");
  fake_fill(&w->venue, b, "0.5", "66000", "f2");
  oms_engine_poll(w->e);
  oms_order_t before_b;
  oms_engine_get(w->e, b, &before_b);
  oms_engine_stats_t st0;
  oms_engine_stats(w->e, &st0);
  /* a new engine (the restart) over the same store */
  static fake_venue_t v2;
  int64_t now = w->now;
  oms_engine_t *e2 = restart_engine(w, &v2, &now);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(e2, &n), 0);
  assert_int_equal(n, 1); /* only the live order */
  oms_order_t after_b;
  assert_int_equal(oms_engine_get(e2, b, &after_b), 0);
  assert_true(after_b.flags & OMS_ORDF_STATUS_UNKNOWN);
  after_b.flags &= ~OMS_ORDF_STATUS_UNKNOWN;
  assert_memory_equal(&after_b, &before_b, sizeof before_b);
  /* the venue is asked about it, never sent it again */
  assert_int_equal(v2.nsent, 1);
  assert_int_equal(v2.kinds[0], 4);
  /* the finished order is found in the store; numbering continues */
  oms_order_t fa;
  assert_int_equal(oms_engine_get(e2, a, &fa), 0);
  assert_int_equal(fa.state, OMS_STATE_FILLED);
  oms_engine_stats_t st;
  oms_engine_stats(e2, &st);
  assert_int_equal(st.next_event_seq, st0.next_event_seq);
  assert_int_equal(st.next_order_id, 3);
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  /* the client order id of the finished order is still known: a replay */
  assert_int_equal(oms_engine_submit(e2, &req, &res), 0);
  assert_true(res.duplicate);
  assert_int_equal(res.order->order_id, a);
  req.qty = T_D("3");
  assert_int_equal(oms_engine_submit(e2, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_DUPLICATE_CLORDID);
  /* the live order, recovered into memory: its repeat is a replay too (a
   * client resending after a restart or a takeover), a changed one is not */
  t_request(&req, "c2", OMS_SIDE_SELL, OMS_ORD_LIMIT, "2", "66000");
  assert_int_equal(oms_engine_submit(e2, &req, &res), 0);
  assert_true(res.duplicate);
  assert_int_equal(res.order->order_id, b);
  req.side = OMS_SIDE_BUY;
  assert_int_equal(oms_engine_submit(e2, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_DUPLICATE_CLORDID);
  t_request(&req, "c9", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  /* nothing new goes to the venue before it has answered about b */
  assert_false(oms_engine_venue_reconciled(e2, "SIM"));
  assert_int_equal(oms_engine_submit(e2, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_VENUE_DOWN);
  assert_string_equal(res.reject.text, "venue SIM is reconciling");
  oms_exec_report_t *sr = fake_report(&v2, OMS_EXEC_STATUS, b);
  sr->status = OMS_VSTATUS_WORKING;
  sr->cum_qty = T_D("0.5");
  oms_engine_poll(e2);
  assert_true(oms_engine_venue_reconciled(e2, "SIM"));
  t_request(&req, "c10", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  assert_int_equal(oms_engine_submit(e2, &req, &res), 0);
  assert_int_equal(res.order->order_id, 4);
  assert_int_equal(oms_engine_recover(e2, NULL), OMS_EINVAL); /* not on a used engine */
  oms_engine_destroy(e2);
}

static void test_order_the_venue_forgot_in_a_restart_is_cancelled_by_the_venue(void **state) {
  world_t *w = *state;
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  uint64_t b = submit_ok(w, "c2", OMS_SIDE_SELL, "2", "66000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, a);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, b);
  fake_fill(&w->venue, b, "0.5", "66000", "f1");
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, a, &rej), 0); /* in flight at the crash */
  static fake_venue_t v2;
  int64_t now = w->now;
  oms_engine_t *e2 = restart_engine(w, &v2, &now);
  assert_int_equal(oms_engine_recover(e2, NULL), 0);
  assert_int_equal(v2.nsent, 2); /* one status query each */
  /* The venue lost its state: it knows neither. */
  uint64_t ids[2] = {a, b};
  assert_false(oms_engine_venue_reconciled(e2, "SIM"));
  answer_unknown(&v2, e2, &now, ids, 2);
  /* the first answers finished the reconciliation; the retries ran after */
  assert_true(oms_engine_venue_reconciled(e2, "SIM"));
  for (int i = 0; i < 2; i++) {
    oms_order_t o;
    assert_int_equal(oms_engine_get(e2, ids[i], &o), 0);
    assert_int_equal(o.state, OMS_STATE_CANCELLED);
    assert_false(o.flags & OMS_ORDF_STATUS_UNKNOWN);
    const oms_audit_t *au = oms_order_audit_get(&o, o.audit_count);
    assert_non_null(au);
    assert_int_equal(au->event, OMS_EV_CANCEL_CONFIRM);
    assert_int_equal(au->reason_code, OMS_R_VENUE_UNKNOWN_ORDER);
  }
  oms_order_t ob;
  oms_engine_get(e2, b, &ob);
  assert_true(oms_dec_eq(ob.filled_qty, T_D("0.5"))); /* what it did fill stays */
  /* Settled: no more queries, nothing resent. */
  int sent = v2.nsent;
  assert_int_equal(sent, 2 + 3 * 2);
  for (int i = 0; i < sent; i++) assert_int_equal(v2.kinds[i], 4);
  now += 5000000000;
  oms_engine_poll(e2);
  assert_int_equal(v2.nsent, sent);
  oms_engine_destroy(e2);
}

static void test_market_data_marks_the_portfolio(void **state) {
  (void)state;
  world_t *w = calloc(1, sizeof(*w));
  w->now = T0;
  fake_venue_init(&w->venue, "SIM");
  oms_portfolio_t *pf;
  oms_portfolio_config_t pc = {.max_accounts = 4, .max_symbols = 4, .max_positions = 8};
  assert_int_equal(oms_portfolio_create(&pc, &pf), 0);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now), .max_orders = 8, .portfolio = pf};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  oms_engine_add_instrument(w->e, &ins, NULL);
  oms_engine_add_venue(w->e, &w->venue.base, NULL);
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  fake_fill(&w->venue, id, "2", "65000", "f1");
  strcpy(w->venue.md.symbol, "BTC-USD");
  w->venue.md.bid = T_D("65100");
  w->venue.md.ask = T_D("65101");
  w->venue.md_pending = true;
  oms_engine_poll(w->e);
  oms_pf_position_t pos;
  assert_int_equal(oms_portfolio_position(pf, "ACC1", "BTC-USD", &pos), 0);
  assert_true(oms_dec_eq(pos.qty, T_D("2")));
  assert_true(oms_dec_eq(pos.unrealized_pnl, T_D("201"))); /* marked at the mid 65100.5 */
  /* a last trade alone marks too */
  memset(&w->venue.md, 0, sizeof w->venue.md);
  strcpy(w->venue.md.symbol, "BTC-USD");
  w->venue.md.last_px = T_D("64000");
  w->venue.md_pending = true;
  oms_engine_poll(w->e);
  oms_portfolio_position(pf, "ACC1", "BTC-USD", &pos);
  assert_true(oms_dec_eq(pos.unrealized_pnl, T_D("-2000")));
  oms_engine_destroy(w->e);
  oms_portfolio_destroy(pf);
  free(w);
}

static void test_queued_message_refused_later_reaches_the_order(void **state) {
  (void)state;
  oms_venue_route_config_t rc = {.msgs_per_sec = 1, .burst = 1, .queue_capacity = 4};
  world_t *w = make_world(false, 16, &rc);
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  uint64_t b = submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, a);
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, a, &rej), 0); /* queued too */
  /* the venue goes down before the tokens return: the queued messages fail */
  w->venue.send_rc = OMS_EDOWN;
  w->now += 1500000000; /* one token: the cancel goes first, and fails */
  oms_engine_poll(w->e);
  w->now += 1500000000; /* another: the new order, which fails too */
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, b, &o);
  assert_int_equal(o.state, OMS_STATE_REJECTED);
  assert_int_equal(o.reject_code, OMS_R_VENUE_DOWN);
  oms_engine_get(w->e, a, &o);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED); /* the cancel was refused: as before */
  bool seen = false;
  for (int i = 0; i < w->nev; i++)
    seen |= w->ev[i].type == OMS_EVT_ORDER_CANCEL_REJECTED && w->ev[i].order.order_id == a &&
            w->ev[i].reason == OMS_R_VENUE_DOWN;
  assert_true(seen);
  teardown((void **)&w);
}

static void test_status_reports_settle_orders(void **state) {
  world_t *w = *state;
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  uint64_t b = submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  uint64_t c = submit_ok(w, "c3", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, b);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, c);
  fake_fill(&w->venue, c, "0.5", "65000", "f1");
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, a);
  r->status = OMS_VSTATUS_CANCELLED;
  r = fake_report(&w->venue, OMS_EXEC_STATUS, b);
  r->status = OMS_VSTATUS_WORKING; /* nothing new: no event */
  r = fake_report(&w->venue, OMS_EXEC_STATUS, c);
  r->status = OMS_VSTATUS_WORKING;
  r->cum_qty = T_D("0.8"); /* the venue has more fills than we booked */
  int before = w->nev;
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, a), OMS_STATE_CANCELLED);
  assert_int_equal(state_of(w, b), OMS_STATE_ACCEPTED);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ALARM);
  assert_non_null(strstr(w->ev[w->nev - 1].text, "more filled"));
  assert_int_equal(w->nev, before + 5);
  /* expiry and trigger reports */
  fake_report(&w->venue, OMS_EXEC_EXPIRED, b);
  fake_report(&w->venue, OMS_EXEC_TRIGGERED, c);
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, b), OMS_STATE_EXPIRED);
  assert_int_equal(state_of(w, c), OMS_STATE_PARTIALLY_FILLED); /* a trigger after a fill: stale */
}

static void test_client_order_ids_left_in_the_store_are_still_known(void **state) {
  (void)state;
  world_t *w = make_world(true, 2, NULL);
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  assert_int_equal(w->store.queries, 0); /* new ids: the store is not asked */
  fake_report(&w->venue, OMS_EXEC_REJECTED, a);
  oms_engine_poll(w->e);
  submit_ok(w, "c3", OMS_SIDE_BUY, "1", "65000"); /* takes c1's slot */
  /* c1 left memory; resubmitting it finds it in the store, never twice */
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_true(res.duplicate);
  assert_int_equal(res.order->order_id, a);
  assert_int_equal(w->store.queries, 1);
  teardown((void **)&w);
}

static void test_trading_state_needs_a_risk_engine(void **state) {
  world_t *w = *state;
  assert_int_equal(oms_engine_set_trading_state(w->e, 0, NULL, 2, "halt"), OMS_EINVAL);
}

/* A RiskReport carries the model's numbers as fields beside its text, for
 * the firm ("" scope) or an account, and is refused without a text. */
static void test_risk_report_event_carries_its_numbers(void **state) {
  world_t *w = *state;
  assert_int_equal(oms_engine_risk_report(NULL, "ACC1", "x", NULL), OMS_EINVAL);
  assert_int_equal(oms_engine_risk_report(w->e, "ACC1", NULL, NULL), OMS_EINVAL);
  oms_risk_report_info_t info = {.var = T_D("751.62285234"),
                                 .hvar = T_D("321.78217822"),
                                 .var_limit = T_D("1000"),
                                 .loss = T_D("13000"),
                                 .loss_limit = T_D("20000")};
  strcpy(info.worst, "crypto -40%");
  const char *text = "var=751.62285234 hvar=321.78217822 stress_loss=13000 worst=crypto -40%";
  assert_int_equal(oms_engine_risk_report(w->e, "ACC1", text, &info), 0);
  assert_int_equal(oms_engine_risk_report(w->e, NULL, "var=0", NULL), 0);
  oms_engine_poll(w->e);
  const oms_event_t *acc = NULL, *firm = NULL;
  for (int i = 0; i < w->nev; i++) {
    if (w->ev[i].type != OMS_EVT_RISK_REPORT) continue;
    if (strcmp(w->ev[i].scope_id, "ACC1") == 0) acc = &w->ev[i];
    if (w->ev[i].scope_id[0] == '\0') firm = &w->ev[i];
  }
  assert_non_null(acc);
  assert_non_null(firm);
  assert_string_equal(acc->text, text);
  assert_int_equal(acc->risk.var.raw, info.var.raw);
  assert_int_equal(acc->risk.hvar.raw, info.hvar.raw);
  assert_int_equal(acc->risk.var_limit.raw, info.var_limit.raw);
  assert_int_equal(acc->risk.loss.raw, info.loss.raw);
  assert_int_equal(acc->risk.loss_limit.raw, info.loss_limit.raw);
  assert_string_equal(acc->risk.worst, "crypto -40%");
  assert_int_equal(acc->order.order_id, 0);
  assert_string_equal(firm->text, "var=0");
  assert_int_equal(firm->risk.var.raw, 0);
  assert_string_equal(firm->risk.worst, "");
}

static oms_exec_report_t *bust_of(fake_venue_t *v, uint64_t id, const char *exec_id,
                                  const char *ref) {
  oms_exec_report_t *r = fake_report(v, OMS_EXEC_BUST, id);
  strcpy(r->exec_id, exec_id);
  strcpy(r->exec_ref_id, ref);
  return r;
}

static void test_a_busted_order_working_again_keeps_its_slot(void **state) {
  (void)state;
  world_t *w = make_world(false, 2, NULL);
  uint64_t a = submit_ok(w, "c1", OMS_SIDE_BUY, "1", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, a);
  fake_fill(&w->venue, a, "1", "65000", "f1");
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, a), OMS_STATE_FILLED); /* finished: its slot may be reused */
  bust_of(&w->venue, a, "b1", "f1");
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, a), OMS_STATE_ACCEPTED);
  submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  oms_order_request_t req;
  t_request(&req, "c3", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "65000");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_CAPACITY); /* a is live again, not reused */
  assert_int_equal(state_of(w, a), OMS_STATE_ACCEPTED);
  teardown((void **)&w);
}

static void test_a_bust_while_a_cancel_is_pending_keeps_it_pending(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "1", "65000", "f1");
  oms_engine_poll(w->e);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, id, &rej), 0);
  bust_of(&w->venue, id, "b1", "f1");
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_PENDING_CANCEL);
  assert_int_equal(o.restore_state, OMS_STATE_ACCEPTED);
  assert_int_equal(o.filled_qty.raw, 0);
  assert_true(oms_dec_eq(o.leaves_qty, T_D("2")));
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ORDER_FILL_BUSTED);
  fake_report(&w->venue, OMS_EXEC_CANCEL_REJECTED, id);
  oms_engine_poll(w->e);
  assert_int_equal(state_of(w, id), OMS_STATE_ACCEPTED);
}

static void test_a_restatement_down_to_the_filled_quantity_fills_the_order(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_fill(&w->venue, id, "1", "65000", "f1");
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_RESTATED, id);
  strcpy(r->exec_id, "r1");
  r->new_qty = T_D("1");
  oms_engine_poll(w->e);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  assert_int_equal(o.leaves_qty.raw, 0);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ORDER_RESTATED);
}

static void test_reports_the_engine_cannot_read_are_alarms(void **state) {
  world_t *w = *state;
  uint64_t id = submit_ok(w, "c1", OMS_SIDE_BUY, "2", "65000");
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  fake_report(&w->venue, (oms_exec_type_t)99, id);
  oms_engine_poll(w->e);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ALARM);
  assert_int_equal(w->ev[w->nev - 1].alarm, OMS_ALARM_OTHER);
  assert_int_equal(w->ev[w->nev - 1].alarm_code, 99);
  /* A snapshot ahead of the order without an average price books nothing. */
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, id);
  r->status = OMS_VSTATUS_WORKING;
  r->cum_qty = T_D("1");
  oms_engine_poll(w->e);
  assert_int_equal(w->ev[w->nev - 1].type, OMS_EVT_ALARM);
  oms_order_t o;
  oms_engine_get(w->e, id, &o);
  assert_int_equal(o.filled_qty.raw, 0);
  /* A correction naming no fill, and a bust of another order's fill. */
  uint64_t id2 = submit_ok(w, "c2", OMS_SIDE_BUY, "1", "65000");
  fake_fill(&w->venue, id2, "1", "65000", "f2");
  r = fake_report(&w->venue, OMS_EXEC_CORRECT, id);
  strcpy(r->exec_id, "k1");
  strcpy(r->exec_ref_id, "nope");
  bust_of(&w->venue, id, "b1", "f2");
  oms_engine_poll(w->e);
  assert_int_equal(w->ev[w->nev - 1].alarm, OMS_ALARM_UNKNOWN_FILL);
  assert_int_equal(w->ev[w->nev - 2].alarm, OMS_ALARM_UNKNOWN_FILL);
  assert_int_equal(state_of(w, id2), OMS_STATE_FILLED);
  /* A mass status answer holding nothing is not an alarm. */
  int nev = w->nev;
  r = fake_report(&w->venue, OMS_EXEC_STATUS, 0);
  r->last_of_batch = true;
  oms_engine_poll(w->e);
  assert_int_equal(w->nev, nev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_happy_path_submitted_accepted_filled, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invalid_request_is_rejected_with_reason, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_idempotent_resubmission_is_never_routed_twice, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_cancel_confirmed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cancel_refused_by_venue_restores_state, setup, teardown),
      cmocka_unit_test_setup_teardown(test_partial_fill_then_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fill_racing_a_cancel_is_applied, setup, teardown),
      cmocka_unit_test_setup_teardown(test_modify_accepted_and_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_and_out_of_order_reports, setup, teardown),
      cmocka_unit_test_setup_teardown(test_overfill_raises_alarm_and_is_not_applied, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_venue_down_refuses_and_marks_in_flight_unknown, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_silent_venue_is_settled_by_status_query, setup,
                                      teardown),
      cmocka_unit_test(test_burst_over_venue_rate_limit),
      cmocka_unit_test(test_the_written_hook_hears_events_before_they_are_durable),
      cmocka_unit_test_setup_teardown(test_write_ahead_nothing_leaves_before_durable, setup_store,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_store_failure_refuses_new_orders_and_cancels,
                                      setup_store, teardown),
      cmocka_unit_test_setup_teardown(test_full_store_queue_holds_reports_in_order, setup_store,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_mass_cancel_by_account, setup, teardown),
      cmocka_unit_test_setup_teardown(test_risk_report_event_carries_its_numbers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queries_by_scope_and_state, setup, teardown),
      cmocka_unit_test(test_capacity_reuses_finished_slots),
      cmocka_unit_test(test_orders_are_walked_in_id_order_when_slots_are_reused),
      cmocka_unit_test(test_a_renamed_order_leaving_memory_takes_its_names_along),
      cmocka_unit_test_setup_teardown(
          test_current_client_order_id_finds_a_replaced_order_also_after_recovery, setup_store,
          teardown),
      cmocka_unit_test(test_engines_are_independent),
      cmocka_unit_test(test_api_misuse_is_refused),
      cmocka_unit_test_setup_teardown(
          test_order_the_venue_forgot_in_a_restart_is_cancelled_by_the_venue, setup_store,
          teardown),
      cmocka_unit_test(test_admit_refuses_before_anything_exists),
      cmocka_unit_test(test_instrument_changes_reach_the_submission),
      cmocka_unit_test_setup_teardown(test_recovery_rebuilds_live_orders_and_sequences, setup_store,
                                      teardown),
      cmocka_unit_test(test_market_data_marks_the_portfolio),
      cmocka_unit_test(test_queued_message_refused_later_reaches_the_order),
      cmocka_unit_test_setup_teardown(test_status_reports_settle_orders, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trading_state_needs_a_risk_engine, setup, teardown),
      cmocka_unit_test(test_client_order_ids_left_in_the_store_are_still_known),
      cmocka_unit_test(test_a_busted_order_working_again_keeps_its_slot),
      cmocka_unit_test_setup_teardown(test_a_fill_held_by_a_full_store_is_applied_later_not_dropped,
                                      setup_store, teardown),
      cmocka_unit_test_setup_teardown(test_a_bust_while_a_cancel_is_pending_keeps_it_pending, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(
          test_a_restatement_down_to_the_filled_quantity_fills_the_order, setup, teardown),
      cmocka_unit_test(test_a_lean_engine_keeps_orders_as_one_with_whole_events_does),
      cmocka_unit_test(test_a_lean_engine_undoes_what_its_store_refuses),
      cmocka_unit_test_setup_teardown(test_reports_the_engine_cannot_read_are_alarms, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
