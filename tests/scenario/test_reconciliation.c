/* Scenario tests of reconciliation and of the execution reports a real venue
 * sends (docs/reconciliation.md): the engine with a memory store and a
 * portfolio against a scripted venue. After each: no fill applied twice, the
 * position equals what the venue's fills imply, in the portfolio and in the
 * store, and every change is an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakes.h"
#include "oms/engine.h"
#include "oms/portfolio.h"
#include "oms/store.h"
#include "oms_test.h"

#define T0 INT64_C(1764000000000000000)
#define SEC INT64_C(1000000000)
#define MAXEV 256

typedef struct world_s {
  int64_t now;
  fake_venue_t venue;
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_engine_t *e;
  int nev;
  oms_event_t ev[MAXEV];
  uint8_t retries; /* the venue's unknown_retries (0 = the default, 3) */
} world_t;

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  if (w->nev < MAXEV) w->ev[w->nev++] = *ev;
}

static void boot(world_t *w, bool mass, uint32_t queue, bool refuse) {
  oms_portfolio_config_t pc = {.max_accounts = 4, .max_symbols = 4, .max_positions = 8};
  assert_int_equal(oms_portfolio_create(&pc, &w->pf), 0);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 64,
                             .store = w->store,
                             .portfolio = w->pf,
                             .on_event = on_event,
                             .event_ctx = w};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  if (mass)
    fake_venue_init_mass(&w->venue, "SIM");
  else
    fake_venue_init(&w->venue, "SIM");
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  oms_venue_route_config_t rc = {
      .queue_capacity = queue, .refuse_until_reconciled = refuse, .unknown_retries = w->retries};
  assert_int_equal(oms_engine_add_venue(w->e, &w->venue.base, &rc), 0);
}

static world_t *make(bool mass, uint32_t queue, bool refuse) {
  world_t *w = calloc(1, sizeof *w);
  w->now = T0;
  assert_int_equal(oms_store_memory_create(NULL, &w->store), 0);
  boot(w, mass, queue, refuse);
  return w;
}

static void halt(world_t *w) {
  oms_engine_destroy(w->e);
  oms_portfolio_destroy(w->pf);
}

static void destroy(world_t *w) {
  halt(w);
  oms_store_close(w->store);
  free(w);
}

static void poll_n(world_t *w, int n) {
  for (int i = 0; i < n; i++) {
    w->now += 1000;
    oms_engine_poll(w->e);
  }
}

static uint64_t accepted(world_t *w, const char *clordid, oms_side_t side, const char *qty,
                         const char *px) {
  oms_order_request_t req;
  t_request(&req, clordid, side, OMS_ORD_LIMIT, qty, px);
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  poll_n(w, 2);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, res.order->order_id);
  poll_n(w, 2);
  return res.order->order_id;
}

static oms_exec_report_t *fill(world_t *w, uint64_t id, const char *qty, const char *px,
                               const char *exec_id, const char *cum) {
  oms_exec_report_t *r = fake_fill(&w->venue, id, qty, px, exec_id);
  if (cum != NULL) oms_dec_parse_cstr(cum, &r->cum_qty);
  return r;
}

static oms_exec_report_t *snapshot(world_t *w, uint64_t id, oms_venue_status_t st, const char *cum,
                                   const char *avg) {
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, id);
  r->status = st;
  oms_dec_parse_cstr(cum, &r->cum_qty);
  oms_dec_parse_cstr(avg, &r->avg_px);
  return r;
}

static oms_order_t order(world_t *w, uint64_t id) {
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  return o;
}

/* The position in the portfolio and in the store's positions table are both
 * qty at avg with realized PnL and fees as given. */
static void position_is(world_t *w, const char *qty, const char *avg, const char *realized,
                        const char *fees) {
  oms_pf_position_t p;
  assert_int_equal(oms_portfolio_position(w->pf, "ACC1", "BTC-USD", &p), 0);
  assert_true(oms_dec_eq(p.qty, T_D(qty)));
  assert_true(oms_dec_eq(p.avg_px, T_D(avg)));
  assert_true(oms_dec_eq(p.realized_pnl, T_D(realized)));
  assert_true(oms_dec_eq(p.fees, T_D(fees)));
  oms_position_t sp;
  assert_int_equal(oms_store_get_position(w->store, "ACC1", "BTC-USD", &sp), 0);
  assert_true(oms_dec_eq(sp.qty, T_D(qty)));
  assert_true(oms_dec_eq(sp.avg_px, T_D(avg)));
  assert_true(oms_dec_eq(sp.realized_pnl, T_D(realized)));
  assert_true(oms_dec_eq(sp.fees, T_D(fees)));
}

static int count(world_t *w, oms_event_type_t t) {
  int n = 0;
  for (int i = 0; i < w->nev; i++) n += w->ev[i].type == t;
  return n;
}

static int fills(world_t *w) {
  return count(w, OMS_EVT_ORDER_PARTIALLY_FILLED) + count(w, OMS_EVT_ORDER_FILLED);
}

static const oms_event_t *last(world_t *w, oms_event_type_t t) {
  for (int i = w->nev - 1; i >= 0; i--)
    if (w->ev[i].type == t) return &w->ev[i];
  return NULL;
}

/* Every event seen is stored, gap-free, in the order seen. */
static void evented(world_t *w) {
  for (int i = 0; i < w->nev; i++) assert_int_equal(w->ev[i].seq, (uint64_t)i + 1);
}

static void test_a_snapshot_racing_a_live_fill_counts_it_once(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "2", "100");
  /* The venue's snapshot already includes the fill whose report is behind it. */
  snapshot(w, id, OMS_VSTATUS_WORKING, "1", "100");
  fill(w, id, "1", "100", "X1", "1");
  poll_n(w, 2);
  oms_order_t o = order(w, id);
  assert_true(oms_dec_eq(o.filled_qty, T_D("1")));
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_int_equal(fills(w), 1);
  const oms_event_t *f = last(w, OMS_EVT_ORDER_PARTIALLY_FILLED);
  assert_string_equal(f->fill.exec_id, "recon-1-1");
  position_is(w, "1", "100", "0", "0");
  /* The other way round: the fill first, then a snapshot that agrees. */
  fill(w, id, "1", "101", "X2", "2");
  snapshot(w, id, OMS_VSTATUS_FILLED, "2", "100.5");
  poll_n(w, 2);
  assert_true(oms_dec_eq(order(w, id).filled_qty, T_D("2")));
  assert_int_equal(order(w, id).state, OMS_STATE_FILLED);
  assert_int_equal(fills(w), 2);
  position_is(w, "2", "100.5", "0", "0");
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.duplicate_reports, 1);
  evented(w);
  destroy(w);
}

static void test_a_duplicate_execution_report_after_a_resend_is_ignored(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "2", "100");
  fill(w, id, "1", "100", "X1", "1");
  poll_n(w, 1);
  fill(w, id, "1", "100", "X1", "1")->text[0] = 'P'; /* the PossDup resend */
  poll_n(w, 1);
  assert_true(oms_dec_eq(order(w, id).filled_qty, T_D("1")));
  assert_int_equal(fills(w), 1);
  position_is(w, "1", "100", "0", "0");
  /* Also after a restart: the execution ids come back from the log. */
  int nev = w->nev;
  halt(w);
  boot(w, false, 0, false);
  w->nev = nev;
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  snapshot(w, id, OMS_VSTATUS_WORKING, "1", "100");
  fill(w, id, "1", "100", "X1", "1");
  poll_n(w, 2);
  assert_true(oms_dec_eq(order(w, id).filled_qty, T_D("1")));
  assert_int_equal(fills(w), 1);
  position_is(w, "1", "100", "0", "0");
  evented(w);
  destroy(w);
}

static void test_fills_missed_while_apart_are_derived_from_the_snapshot_once(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "4", "105");
  fill(w, id, "1", "100", "X1", "1");
  poll_n(w, 1);
  /* Two more filled at the venue, their reports lost: cum 3 at avg 102. */
  snapshot(w, id, OMS_VSTATUS_WORKING, "3", "102");
  poll_n(w, 1);
  oms_order_t o = order(w, id);
  assert_true(oms_dec_eq(o.filled_qty, T_D("3")));
  assert_true(oms_dec_eq(o.avg_px, T_D("102")));
  const oms_event_t *f = last(w, OMS_EVT_ORDER_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(f->fill.qty, T_D("2")));
  assert_true(oms_dec_eq(f->fill.price, T_D("103"))); /* (3 * 102 - 100) / 2 */
  assert_string_equal(f->fill.exec_id, "recon-1-3");
  position_is(w, "3", "102", "0", "0");
  /* The same snapshot again derives nothing. */
  snapshot(w, id, OMS_VSTATUS_WORKING, "3", "102");
  poll_n(w, 1);
  assert_int_equal(fills(w), 2);
  /* An average that does not divide evenly: rounded half-even. */
  snapshot(w, id, OMS_VSTATUS_FILLED, "4", "102.0000001");
  poll_n(w, 1);
  o = order(w, id);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  f = last(w, OMS_EVT_ORDER_FILLED);
  assert_true(oms_dec_eq(f->fill.qty, T_D("1")));
  assert_true(oms_dec_eq(f->fill.price, T_D("102.0000004")));
  position_is(w, "4", "102.0000001", "0", "0");
  evented(w);
  destroy(w);
}

static void test_a_bust_after_the_order_filled_takes_the_fill_back(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "2", "120");
  fill(w, id, "1", "100", "X1", "1")->fee = T_D("0.1");
  fill(w, id, "1", "110", "X2", "2")->fee = T_D("0.2");
  poll_n(w, 1);
  assert_int_equal(order(w, id).state, OMS_STATE_FILLED);
  position_is(w, "2", "105", "0", "0.3");
  oms_exec_report_t *b = fake_report(&w->venue, OMS_EXEC_BUST, id);
  strcpy(b->exec_id, "B1");
  strcpy(b->exec_ref_id, "X2");
  poll_n(w, 1);
  oms_order_t o = order(w, id);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED); /* working again */
  assert_true(oms_dec_eq(o.filled_qty, T_D("1")));
  assert_true(oms_dec_eq(o.leaves_qty, T_D("1")));
  assert_true(oms_dec_eq(o.avg_px, T_D("100")));
  const oms_event_t *ev = last(w, OMS_EVT_ORDER_FILL_BUSTED);
  assert_non_null(ev);
  assert_string_equal(ev->fill.exec_id, "X2");
  assert_true(oms_dec_eq(ev->fill.old_qty, T_D("1")));
  assert_true(oms_dec_eq(ev->fill.old_price, T_D("110")));
  assert_true(oms_dec_eq(ev->fill.old_fee, T_D("0.2")));
  position_is(w, "1", "100", "0", "0.1");
  /* The bust again (resent), and a bust of a fill never seen: no change. */
  poll_n(w, 1);
  b = fake_report(&w->venue, OMS_EXEC_BUST, id);
  strcpy(b->exec_id, "B1");
  strcpy(b->exec_ref_id, "X2");
  b = fake_report(&w->venue, OMS_EXEC_BUST, id);
  strcpy(b->exec_id, "B2");
  strcpy(b->exec_ref_id, "X9");
  poll_n(w, 1);
  assert_int_equal(count(w, OMS_EVT_ORDER_FILL_BUSTED), 1);
  assert_int_equal(last(w, OMS_EVT_ALARM)->alarm, OMS_ALARM_UNKNOWN_FILL);
  position_is(w, "1", "100", "0", "0.1");
  /* The last fill busted too: nothing filled, the order is New again. */
  b = fake_report(&w->venue, OMS_EXEC_BUST, id);
  strcpy(b->exec_id, "B3");
  strcpy(b->exec_ref_id, "X1");
  poll_n(w, 1);
  o = order(w, id);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  assert_int_equal(o.filled_qty.raw, 0);
  assert_int_equal(o.avg_px.raw, 0);
  position_is(w, "0", "0", "0", "0");
  /* After a restart the portfolio replays the busts as well. */
  int nev = w->nev;
  halt(w);
  boot(w, false, 0, false);
  w->nev = nev;
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  position_is(w, "0", "0", "0", "0");
  evented(w);
  destroy(w);
}

static void test_a_bust_of_a_closing_fill_gives_the_realized_pnl_back(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t b = accepted(w, "b", OMS_SIDE_BUY, "3", "120");
  fill(w, b, "3", "100", "X1", "3");
  poll_n(w, 1);
  uint64_t s = accepted(w, "s", OMS_SIDE_SELL, "1", "90");
  fill(w, s, "1", "110", "X2", "1");
  poll_n(w, 1);
  position_is(w, "2", "100", "10", "0");
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_BUST, s);
  strcpy(r->exec_id, "B1");
  strcpy(r->exec_ref_id, "X2");
  poll_n(w, 1);
  position_is(w, "3", "100", "0", "0");
  assert_int_equal(order(w, s).state, OMS_STATE_ACCEPTED);
  evented(w);
  destroy(w);
}

static void test_a_correction_replaces_the_fill(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "2", "120");
  fill(w, id, "1", "100", "X1", "1");
  fill(w, id, "1", "110", "X2", "2");
  poll_n(w, 1);
  oms_exec_report_t *c = fake_report(&w->venue, OMS_EXEC_CORRECT, id);
  strcpy(c->exec_id, "C1");
  strcpy(c->exec_ref_id, "X2");
  c->last_qty = T_D("0.5");
  c->last_px = T_D("108");
  poll_n(w, 1);
  oms_order_t o = order(w, id);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("1.5")));
  assert_true(oms_dec_eq(o.avg_px, T_D("102.66666667")));
  const oms_event_t *ev = last(w, OMS_EVT_ORDER_FILL_CORRECTED);
  assert_true(oms_dec_eq(ev->fill.qty, T_D("0.5")));
  assert_true(oms_dec_eq(ev->fill.old_qty, T_D("1")));
  position_is(w, "1.5", "102.66666667", "0", "0");
  /* A correction beyond the order's quantity is refused with an alarm. */
  c = fake_report(&w->venue, OMS_EXEC_CORRECT, id);
  strcpy(c->exec_id, "C2");
  strcpy(c->exec_ref_id, "X2");
  c->last_qty = T_D("5");
  c->last_px = T_D("108");
  poll_n(w, 1);
  assert_int_equal(last(w, OMS_EVT_ALARM)->alarm, OMS_ALARM_OVERFILL);
  assert_true(oms_dec_eq(order(w, id).filled_qty, T_D("1.5")));
  position_is(w, "1.5", "102.66666667", "0", "0");
  evented(w);
  destroy(w);
}

static void test_a_restatement_applies_the_venues_new_values(void **state) {
  (void)state;
  world_t *w = make(false, 0, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "3", "100");
  fill(w, id, "1", "100", "X1", "1");
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_RESTATED, id);
  strcpy(r->exec_id, "R1");
  r->new_qty = T_D("2");
  r->new_price = T_D("99");
  strcpy(r->text, "lot size changed");
  poll_n(w, 1);
  oms_order_t o = order(w, id);
  assert_true(oms_dec_eq(o.qty, T_D("2")));
  assert_true(oms_dec_eq(o.price, T_D("99")));
  assert_true(oms_dec_eq(o.leaves_qty, T_D("1")));
  assert_string_equal(last(w, OMS_EVT_ORDER_RESTATED)->text, "lot size changed");
  /* Below the filled quantity: an alarm, no change. */
  r = fake_report(&w->venue, OMS_EXEC_RESTATED, id);
  strcpy(r->exec_id, "R2");
  r->new_qty = T_D("0.5");
  poll_n(w, 1);
  assert_int_equal(last(w, OMS_EVT_ALARM)->alarm, OMS_ALARM_OVERFILL);
  assert_true(oms_dec_eq(order(w, id).qty, T_D("2")));
  evented(w);
  destroy(w);
}

static int count_alarm(void *ctx, const oms_event_t *ev) {
  *(int *)ctx += ev->type == OMS_EVT_ALARM;
  return 0;
}

static void test_orders_and_reports_unknown_to_the_oms_are_raised_and_kept(void **state) {
  (void)state;
  world_t *w = make(true, 0, false);
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_FILL, 0);
  strcpy(r->cl_ord_id, "GHOST1");
  strcpy(r->venue_order_id, "V77");
  strcpy(r->exec_id, "E77");
  r->last_qty = T_D("1");
  r->last_px = T_D("100");
  poll_n(w, 1);
  const oms_event_t *a = last(w, OMS_EVT_ALARM);
  assert_int_equal(a->alarm, OMS_ALARM_UNKNOWN_ORDER_REPORT);
  assert_string_equal(a->order.venue, "SIM");
  assert_string_equal(a->order.client_order_id, "GHOST1");
  assert_string_equal(a->order.venue_order_id, "V77");
  assert_string_equal(a->fill.exec_id, "E77");
  assert_true(a->seq > 0); /* stored */
  /* A reconnect: the mass status answer names an order the OMS lacks. */
  w->venue.connected = false;
  poll_n(w, 1);
  w->venue.connected = true;
  poll_n(w, 1);
  assert_int_equal(w->venue.kinds[w->venue.nsent - 1], 5);
  assert_false(oms_engine_venue_reconciled(w->e, "SIM"));
  r = snapshot(w, 0, OMS_VSTATUS_WORKING, "0", "0");
  strcpy(r->cl_ord_id, "GHOST2");
  strcpy(r->venue_order_id, "V78");
  r->last_of_batch = true;
  poll_n(w, 1);
  a = last(w, OMS_EVT_ALARM);
  assert_int_equal(a->alarm, OMS_ALARM_UNKNOWN_VENUE_ORDER);
  assert_string_equal(a->order.client_order_id, "GHOST2");
  assert_string_equal(a->order.venue_order_id, "V78");
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  /* Both alarms are in the log. */
  int found = 0;
  assert_int_equal(oms_store_events_from(w->store, 1, 0, count_alarm, &found), 0);
  assert_int_equal(found, 2);
  oms_pf_position_t p;
  assert_int_equal(oms_portfolio_position(w->pf, "ACC1", "BTC-USD", &p), 0);
  assert_int_equal(p.qty.raw, 0); /* nothing booked from a report of no order */
  evented(w);
  destroy(w);
}

static void test_new_orders_wait_until_the_venue_is_reconciled(void **state) {
  (void)state;
  world_t *w = make(true, 8, false);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "2", "100");
  w->venue.connected = false;
  poll_n(w, 1);
  assert_false(oms_engine_venue_reconciled(w->e, "SIM"));
  w->venue.connected = true;
  poll_n(w, 1);
  int sent = w->venue.nsent;
  assert_int_equal(w->venue.kinds[sent - 1], 5); /* the mass status query */
  oms_order_request_t req;
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  poll_n(w, 3);
  assert_int_equal(w->venue.nsent, sent); /* held */
  /* While apart, one filled at the venue; the answer says so. */
  oms_exec_report_t *r = snapshot(w, id, OMS_VSTATUS_WORKING, "1", "100");
  r->last_of_batch = true;
  poll_n(w, 2);
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  assert_int_equal(w->venue.nsent, sent + 1); /* released */
  assert_int_equal(w->venue.kinds[sent], 1);
  assert_int_equal(w->venue.ids[sent], res.order->order_id);
  position_is(w, "1", "100", "0", "0");
  evented(w);
  destroy(w);
}

static void test_new_orders_are_refused_while_reconciling_when_configured(void **state) {
  (void)state;
  world_t *w = make(false, 8, true);
  uint64_t id = accepted(w, "c1", OMS_SIDE_BUY, "2", "100");
  w->venue.connected = false;
  poll_n(w, 1);
  w->venue.connected = true;
  poll_n(w, 1);
  /* No mass status here: one query per open order. */
  assert_int_equal(w->venue.kinds[w->venue.nsent - 1], 4);
  assert_int_equal(w->venue.ids[w->venue.nsent - 1], id);
  oms_order_request_t req;
  t_request(&req, "c2", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), OMS_EREJECTED);
  assert_int_equal(res.reject.code, OMS_R_VENUE_DOWN);
  assert_string_equal(res.reject.text, "venue SIM is reconciling");
  snapshot(w, id, OMS_VSTATUS_WORKING, "0", "0");
  poll_n(w, 1);
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  t_request(&req, "c3", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  evented(w);
  destroy(w);
}

static void test_recovery_reconciles_with_fills_made_while_down(void **state) {
  (void)state;
  world_t *w = make(true, 8, false);
  uint64_t a = accepted(w, "a", OMS_SIDE_BUY, "2", "100");
  uint64_t b = accepted(w, "b", OMS_SIDE_BUY, "1", "100");
  fill(w, a, "1", "100", "X1", "1");
  poll_n(w, 1);
  int nev = w->nev;
  halt(w);
  boot(w, true, 8, false);
  w->nev = nev;
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  assert_false(oms_engine_venue_reconciled(w->e, "SIM"));
  assert_int_equal(w->venue.kinds[0], 5);
  /* While down: a filled in full (its second fill is resent), b unknown. */
  snapshot(w, a, OMS_VSTATUS_FILLED, "2", "101");
  fill(w, a, "1", "102", "X2", "2");
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, 0);
  r->status = OMS_VSTATUS_UNKNOWN;
  r->last_of_batch = true;
  poll_n(w, 1);
  assert_int_equal(order(w, a).state, OMS_STATE_FILLED);
  position_is(w, "2", "101", "0", "0");
  /* b was not in the answer: asked about by itself. */
  assert_int_equal(w->venue.kinds[w->venue.nsent - 1], 4);
  assert_int_equal(w->venue.ids[w->venue.nsent - 1], b);
  snapshot(w, b, OMS_VSTATUS_CANCELLED, "0", "0");
  poll_n(w, 1);
  assert_int_equal(order(w, b).state, OMS_STATE_CANCELLED);
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  evented(w);
  destroy(w);
}

static void test_a_venue_down_at_recovery_is_reconciled_once_it_answers(void **state) {
  (void)state;
  world_t *w = make(true, 8, false);
  uint64_t a = accepted(w, "a", OMS_SIDE_BUY, "2", "100");
  int nev = w->nev;
  halt(w);
  boot(w, true, 8, false);
  w->nev = nev;
  w->venue.connected = w->venue.was_connected = false;
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  poll_n(w, 1);
  assert_int_equal(w->venue.nsent, 0);
  assert_false(oms_engine_venue_reconciled(w->e, "SIM"));
  /* It connects but refuses the queries: no mass status, no answer. */
  w->venue.send_rc = OMS_EFULL;
  w->venue.connected = true;
  poll_n(w, 1);
  assert_false(oms_engine_venue_reconciled(w->e, "SIM"));
  /* Asked again, order by order, at the acknowledgement timeout. */
  w->venue.send_rc = 0;
  w->now += 2 * SEC;
  poll_n(w, 1);
  assert_int_equal(w->venue.nsent, 1);
  assert_int_equal(w->venue.kinds[0], 4);
  assert_int_equal(w->venue.ids[0], a);
  snapshot(w, a, OMS_VSTATUS_WORKING, "0", "0");
  poll_n(w, 1);
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  assert_false(order(w, a).flags & OMS_ORDF_STATUS_UNKNOWN);
  evented(w);
  destroy(w);
}

static void test_an_order_the_venue_does_not_know_is_resolved_after_the_retries(void **state) {
  (void)state;
  world_t *w = make(false, 8, false);
  uint64_t a = accepted(w, "a", OMS_SIDE_BUY, "2", "100");
  uint64_t b = accepted(w, "b", OMS_SIDE_BUY, "1", "100");
  fill(w, a, "1", "100", "X1", "1");
  poll_n(w, 1);
  int nev = w->nev;
  halt(w);
  w->retries = 1; /* configured per venue */
  boot(w, false, 8, false);
  w->nev = nev;
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  assert_int_equal(w->venue.nsent, 2); /* one query each, nothing resent */
  snapshot(w, a, OMS_VSTATUS_UNKNOWN, "0", "0");
  snapshot(w, b, OMS_VSTATUS_WORKING, "0", "0");
  poll_n(w, 1);
  /* Answered: reconciled, but a is not believed gone yet. */
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  assert_int_equal(order(w, a).state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(order(w, a).flags & OMS_ORDF_STATUS_UNKNOWN);
  w->now += 2 * SEC; /* the acknowledgement timeout: asked again */
  poll_n(w, 1);
  assert_int_equal(w->venue.nsent, 3);
  assert_int_equal(w->venue.kinds[2], 4);
  assert_int_equal(w->venue.ids[2], a);
  snapshot(w, a, OMS_VSTATUS_UNKNOWN, "0", "0");
  poll_n(w, 1);
  oms_order_t o = order(w, a);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_int_equal(last(w, OMS_EVT_ORDER_CANCELLED)->reason, OMS_R_VENUE_UNKNOWN_ORDER);
  assert_true(oms_dec_eq(o.filled_qty, T_D("1"))); /* what it filled stays */
  position_is(w, "1", "100", "0", "0");
  w->now += 5 * SEC;
  poll_n(w, 1);
  assert_int_equal(w->venue.nsent, 3); /* settled: no more queries */
  for (int i = 0; i < w->venue.nsent; i++) assert_int_equal(w->venue.kinds[i], 4);
  evented(w);
  destroy(w);
}

static void test_an_order_finished_by_a_report_during_reconciliation_counts_as_answered(
    void **state) {
  (void)state;
  world_t *w = make(true, 8, false);
  uint64_t a = accepted(w, "a", OMS_SIDE_BUY, "1", "100");
  w->venue.connected = false;
  poll_n(w, 1);
  w->venue.connected = true;
  poll_n(w, 1);
  fill(w, a, "1", "100", "X1", "1"); /* resent by the venue's session first */
  poll_n(w, 1);
  assert_int_equal(order(w, a).state, OMS_STATE_FILLED);
  oms_exec_report_t *r = fake_report(&w->venue, OMS_EXEC_STATUS, 0);
  r->last_of_batch = true; /* it holds nothing open */
  poll_n(w, 1);
  assert_true(oms_engine_venue_reconciled(w->e, "SIM"));
  assert_int_equal(w->venue.kinds[w->venue.nsent - 1], 5); /* no query about a done order */
  position_is(w, "1", "100", "0", "0");
  evented(w);
  destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_snapshot_racing_a_live_fill_counts_it_once),
      cmocka_unit_test(test_a_duplicate_execution_report_after_a_resend_is_ignored),
      cmocka_unit_test(test_fills_missed_while_apart_are_derived_from_the_snapshot_once),
      cmocka_unit_test(test_a_bust_after_the_order_filled_takes_the_fill_back),
      cmocka_unit_test(test_a_bust_of_a_closing_fill_gives_the_realized_pnl_back),
      cmocka_unit_test(test_a_correction_replaces_the_fill),
      cmocka_unit_test(test_a_restatement_applies_the_venues_new_values),
      cmocka_unit_test(test_orders_and_reports_unknown_to_the_oms_are_raised_and_kept),
      cmocka_unit_test(test_new_orders_wait_until_the_venue_is_reconciled),
      cmocka_unit_test(test_new_orders_are_refused_while_reconciling_when_configured),
      cmocka_unit_test(test_recovery_reconciles_with_fills_made_while_down),
      cmocka_unit_test(test_a_venue_down_at_recovery_is_reconciled_once_it_answers),
      cmocka_unit_test(test_an_order_the_venue_does_not_know_is_resolved_after_the_retries),
      cmocka_unit_test(test_an_order_finished_by_a_report_during_reconciliation_counts_as_answered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
