/* Tests for src/venue/sim_venue.c: the simulated venue through the connector
 * interface - every order type and time in force, stops and cascades, cancel
 * and replace rules, latency, expiry, fees, the liquidity provider, market
 * data, connection loss and the fault-injection knobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oms/error.h"
#include "oms/sim_venue.h"
#include "venue/book.h"
#include "venue/vstep.h"

#define MAXREP 512

typedef struct fx_s {
  int64_t t;
  oms_venue_t *v;
  oms_exec_report_t rep[MAXREP];
  int nrep;
  oms_market_data_t md[MAXREP];
  int nmd;
  int conn_events;
  bool last_conn;
} fx_t;

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr(s, &d), 0);
  return d;
}

static void on_report(void *ctx, const oms_exec_report_t *r) {
  fx_t *fx = (fx_t *)ctx;
  assert_true(fx->nrep < MAXREP);
  fx->rep[fx->nrep++] = *r;
}

static void on_md(void *ctx, const oms_market_data_t *md) {
  fx_t *fx = (fx_t *)ctx;
  if (fx->nmd < MAXREP) fx->md[fx->nmd++] = *md;
}

static void on_conn(void *ctx, bool up) {
  fx_t *fx = (fx_t *)ctx;
  fx->conn_events++;
  fx->last_conn = up;
}

static oms_sim_symbol_t abc_symbol(void) {
  oms_sim_symbol_t s;
  memset(&s, 0, sizeof(s));
  strcpy(s.ins.symbol, "ABC");
  s.ins.tick_size = D("0.01");
  s.ins.lot_size = D("1");
  return s;
}

static oms_sim_config_t base_config(fx_t *fx, const oms_sim_symbol_t *sym) {
  oms_sim_config_t c;
  memset(&c, 0, sizeof(c));
  c.clock = oms_clock_manual(&fx->t);
  c.symbols = sym;
  c.nsymbols = 1;
  return c;
}

static fx_t *fx_open_cfg(fx_t *fx, const oms_sim_config_t *c) {
  assert_int_equal(oms_sim_venue_create(c, &fx->v), 0);
  oms_venue_handler_t h = {on_report, on_md, on_conn, fx};
  oms_venue_set_handler(fx->v, &h);
  return fx;
}

static fx_t *fx_alloc(void) {
  fx_t *fx = (fx_t *)calloc(1, sizeof(fx_t));
  assert_non_null(fx);
  fx->t = 1000000000;
  return fx;
}

static fx_t *fx_open(void) {
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  return fx_open_cfg(fx, &c);
}

static void fx_close(fx_t *fx) {
  oms_venue_destroy(fx->v);
  free(fx);
}

static oms_venue_order_t ord(uint64_t id, oms_side_t side, oms_ord_type_t type, oms_tif_t tif,
                             const char *qty, const char *px, const char *stop) {
  oms_venue_order_t o;
  memset(&o, 0, sizeof(o));
  o.order_id = id;
  strcpy(o.account_id, "acct");
  strcpy(o.symbol, "ABC");
  o.side = side;
  o.type = type;
  o.tif = tif;
  o.qty = D(qty);
  if (px != NULL) o.price = D(px);
  if (stop != NULL) o.stop_price = D(stop);
  return o;
}

static int send_new(fx_t *fx, const oms_venue_order_t *o) { return oms_venue_send_new(fx->v, o); }

static int lim(fx_t *fx, uint64_t id, oms_side_t side, const char *qty, const char *px) {
  oms_venue_order_t o = ord(id, side, OMS_ORD_LIMIT, OMS_TIF_GTC, qty, px, NULL);
  return send_new(fx, &o);
}

static int vpoll(fx_t *fx) { return oms_venue_poll(fx->v, fx->t); }

/* Polls and forgets everything delivered so far. */
static void drain(fx_t *fx) {
  vpoll(fx);
  fx->nrep = 0;
  fx->nmd = 0;
}

/* The k-th (0-based) report of type for order id, or NULL. */
static const oms_exec_report_t *find(const fx_t *fx, uint64_t id, oms_exec_type_t type, int k) {
  for (int i = 0; i < fx->nrep; i++)
    if (fx->rep[i].order_id == id && fx->rep[i].type == type && k-- == 0) return &fx->rep[i];
  return NULL;
}

static int count(const fx_t *fx, uint64_t id, oms_exec_type_t type) {
  int n = 0;
  for (int i = 0; i < fx->nrep; i++) n += fx->rep[i].order_id == id && fx->rep[i].type == type;
  return n;
}

static void assert_dec(oms_dec_t got, const char *want) { assert_int_equal(got.raw, D(want).raw); }

/* ---- Acknowledgement, resting, price-time priority ---------------------------- */

static void test_new_limit_is_acknowledged_from_poll_not_from_send(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "10", "100.00"), 0);
  assert_int_equal(fx->nrep, 0);
  assert_int_equal(vpoll(fx), 1);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_ACCEPTED, 0);
  assert_non_null(r);
  assert_string_equal(r->venue_order_id, "SIM-1");
  assert_string_equal(r->exec_id, "SIM-E1");
  assert_dec(r->leaves_qty, "10");
  assert_int_equal(r->ts_ns, fx->t);
  assert_true(oms_venue_is_connected(fx->v));
  oms_dec_t px, q;
  assert_true(oms__book_best(oms__sim_venue_book(fx->v, "ABC"), OMS_SIDE_BUY, &px, &q));
  assert_dec(px, "100");
  assert_null(oms__sim_venue_book(fx->v, "XYZ"));
  fx_close(fx);
}

static void test_price_time_priority_fills_best_price_then_oldest_at_maker_price(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "5", "100.02");
  lim(fx, 2, OMS_SIDE_SELL, "5", "100.01");
  lim(fx, 3, OMS_SIDE_SELL, "5", "100.01");
  drain(fx);
  assert_int_equal(lim(fx, 4, OMS_SIDE_BUY, "12", "100.05"), 0);
  vpoll(fx);
  const oms_exec_report_t *f;
  assert_non_null(f = find(fx, 2, OMS_EXEC_FILL, 0));
  assert_dec(f->last_px, "100.01");
  assert_int_equal(f->liquidity, 'M');
  assert_dec(f->leaves_qty, "0");
  assert_non_null(f = find(fx, 3, OMS_EXEC_FILL, 0));
  assert_non_null(f = find(fx, 1, OMS_EXEC_FILL, 0));
  assert_dec(f->last_qty, "2");
  assert_dec(f->last_px, "100.02");
  assert_dec(f->cum_qty, "2");
  assert_dec(f->leaves_qty, "3");
  assert_non_null(f = find(fx, 4, OMS_EXEC_FILL, 2));
  assert_int_equal(f->liquidity, 'T');
  assert_dec(f->cum_qty, "12");
  assert_dec(f->leaves_qty, "0");
  assert_int_equal(f->status, OMS_VSTATUS_FILLED);
  /* Maker 2's fill comes before maker 3's. */
  assert_true(find(fx, 2, OMS_EXEC_FILL, 0) < find(fx, 3, OMS_EXEC_FILL, 0));
  fx_close(fx);
}

static void test_partial_fill_then_rest_reports_cum_and_leaves(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "3", "100.00");
  lim(fx, 2, OMS_SIDE_BUY, "10", "100.00");
  vpoll(fx);
  const oms_exec_report_t *f = find(fx, 2, OMS_EXEC_FILL, 0);
  assert_non_null(f);
  assert_dec(f->cum_qty, "3");
  assert_dec(f->leaves_qty, "7");
  assert_int_equal(f->status, OMS_VSTATUS_WORKING);
  oms_venue_query_status(fx->v, 2);
  vpoll(fx);
  const oms_exec_report_t *s = find(fx, 2, OMS_EXEC_STATUS, 0);
  assert_int_equal(s->status, OMS_VSTATUS_WORKING);
  assert_dec(s->cum_qty, "3");
  assert_dec(s->leaves_qty, "7");
  assert_string_equal(s->venue_order_id, "SIM-2");
  fx_close(fx);
}

static void test_exec_ids_are_unique(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  for (int i = 0; i < 10; i++)
    lim(fx, (uint64_t)i + 1, i % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL, "1", "100.00");
  vpoll(fx);
  assert_true(fx->nrep >= 20);
  for (int i = 0; i < fx->nrep; i++)
    for (int j = i + 1; j < fx->nrep; j++)
      assert_string_not_equal(fx->rep[i].exec_id, fx->rep[j].exec_id);
  fx_close(fx);
}

/* ---- Market, IOC, FOK, post-only -------------------------------------------- */

static void test_market_order_sweeps_levels_and_cancels_rest_for_no_liquidity(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "2", "99.00");
  lim(fx, 2, OMS_SIDE_BUY, "2", "98.00");
  drain(fx);
  oms_venue_order_t m = ord(3, OMS_SIDE_SELL, OMS_ORD_MARKET, OMS_TIF_IOC, "5", NULL, NULL);
  assert_int_equal(send_new(fx, &m), 0);
  vpoll(fx);
  assert_int_equal(count(fx, 3, OMS_EXEC_FILL), 2);
  const oms_exec_report_t *c = find(fx, 3, OMS_EXEC_CANCELLED, 0);
  assert_non_null(c);
  assert_int_equal(c->reason, OMS_R_NO_LIQUIDITY);
  assert_dec(c->cum_qty, "4");
  assert_dec(c->leaves_qty, "0");
  /* Cancellation comes after the fills. */
  assert_true(find(fx, 3, OMS_EXEC_FILL, 1) < c);
  fx_close(fx);
}

static void test_market_order_on_empty_book_is_cancelled_no_liquidity(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t m = ord(1, OMS_SIDE_BUY, OMS_ORD_MARKET, OMS_TIF_GTC, "5", NULL, NULL);
  send_new(fx, &m);
  vpoll(fx);
  assert_int_equal(fx->nrep, 2);
  assert_int_equal(fx->rep[0].type, OMS_EXEC_ACCEPTED);
  assert_int_equal(fx->rep[1].type, OMS_EXEC_CANCELLED);
  assert_int_equal(fx->rep[1].reason, OMS_R_NO_LIQUIDITY);
  assert_string_equal(fx->rep[1].text, oms_reason_desc(OMS_R_NO_LIQUIDITY));
  fx_close(fx);
}

static void test_ioc_limit_trades_then_cancels_its_rest(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "2", "100.00");
  lim(fx, 2, OMS_SIDE_SELL, "2", "101.00");
  drain(fx);
  oms_venue_order_t o = ord(3, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_IOC, "5", "100.00", NULL);
  send_new(fx, &o);
  vpoll(fx);
  assert_int_equal(count(fx, 3, OMS_EXEC_FILL), 1);
  const oms_exec_report_t *c = find(fx, 3, OMS_EXEC_CANCELLED, 0);
  assert_non_null(c);
  assert_int_equal(c->reason, OMS_R_NONE);
  assert_dec(c->cum_qty, "2");
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 1);
  fx_close(fx);
}

static void test_fok_that_cannot_fill_is_cancelled_without_trading(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "2", "100.00");
  lim(fx, 2, OMS_SIDE_SELL, "2", "102.00");
  drain(fx);
  oms_venue_order_t o = ord(3, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_FOK, "3", "101.00", NULL);
  send_new(fx, &o);
  vpoll(fx);
  assert_int_equal(count(fx, 3, OMS_EXEC_FILL), 0);
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 0);
  const oms_exec_report_t *c = find(fx, 3, OMS_EXEC_CANCELLED, 0);
  assert_non_null(c);
  assert_int_equal(c->reason, OMS_R_FOK_CANNOT_FILL);
  assert_dec(c->cum_qty, "0");
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 2);
  fx_close(fx);
}

static void test_fok_that_can_fill_trades_in_full(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "2", "100.00");
  lim(fx, 2, OMS_SIDE_SELL, "2", "101.00");
  drain(fx);
  oms_venue_order_t o = ord(3, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_FOK, "3", "101.00", NULL);
  send_new(fx, &o);
  vpoll(fx);
  assert_int_equal(count(fx, 3, OMS_EXEC_FILL), 2);
  assert_int_equal(count(fx, 3, OMS_EXEC_CANCELLED), 0);
  assert_int_equal(find(fx, 3, OMS_EXEC_FILL, 1)->status, OMS_VSTATUS_FILLED);
  fx_close(fx);
}

static void test_post_only_that_would_cross_is_rejected(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "2", "100.00");
  drain(fx);
  oms_venue_order_t o = ord(2, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
  o.instructions = OMS_INST_POST_ONLY;
  send_new(fx, &o);
  o.order_id = 3;
  o.price = D("99.99");
  send_new(fx, &o);
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 2, OMS_EXEC_REJECTED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_POST_ONLY_WOULD_CROSS);
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 0);
  assert_non_null(find(fx, 3, OMS_EXEC_ACCEPTED, 0));
  oms_venue_query_status(fx->v, 2);
  vpoll(fx);
  assert_int_equal(find(fx, 2, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_REJECTED);
  fx_close(fx);
}

/* ---- Stops ---------------------------------------------------------------- */

static void test_stop_triggers_on_trade_at_stop_price_and_fills_as_market(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t s = ord(1, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "2", NULL, "101.00");
  send_new(fx, &s);
  lim(fx, 2, OMS_SIDE_SELL, "1", "100.00");
  lim(fx, 3, OMS_SIDE_BUY, "1", "100.00"); /* trades at 100: below the stop */
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_TRIGGERED), 0);
  lim(fx, 4, OMS_SIDE_SELL, "1", "101.00");
  lim(fx, 5, OMS_SIDE_SELL, "5", "101.50");
  lim(fx, 6, OMS_SIDE_BUY, "1", "101.00"); /* trades at 101: the stop's price */
  vpoll(fx);
  const oms_exec_report_t *t = find(fx, 1, OMS_EXEC_TRIGGERED, 0);
  assert_non_null(t);
  const oms_exec_report_t *f = find(fx, 1, OMS_EXEC_FILL, 0);
  assert_non_null(f);
  assert_true(t < f);
  assert_dec(f->last_px, "101.50");
  assert_dec(f->last_qty, "2");
  assert_int_equal(f->status, OMS_VSTATUS_FILLED);
  fx_close(fx);
}

static void test_stop_limit_triggers_and_rests_as_limit(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t s =
      ord(1, OMS_SIDE_SELL, OMS_ORD_STOP_LIMIT, OMS_TIF_GTC, "3", "98.00", "99.00");
  send_new(fx, &s);
  lim(fx, 2, OMS_SIDE_BUY, "1", "98.50");
  lim(fx, 3, OMS_SIDE_BUY, "1", "97.00");
  lim(fx, 4, OMS_SIDE_SELL, "1", "98.50"); /* trades at 98.50, through 99 */
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_TRIGGERED, 0));
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 0); /* 97 is below its 98 limit */
  oms__book_entry_t e;
  assert_int_equal(oms__book_get(oms__sim_venue_book(fx->v, "ABC"), 1, &e), 0);
  assert_dec(e.price, "98.00");
  assert_dec(e.leaves_qty, "3");
  oms_venue_query_status(fx->v, 1);
  vpoll(fx);
  assert_int_equal(find(fx, 1, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_WORKING);
  fx_close(fx);
}

static void test_stop_cascade_triggers_every_stop_reached(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t s1 = ord(1, OMS_SIDE_SELL, OMS_ORD_STOP, OMS_TIF_GTC, "2", NULL, "99.00");
  oms_venue_order_t s2 = ord(2, OMS_SIDE_SELL, OMS_ORD_STOP, OMS_TIF_GTC, "2", NULL, "97.00");
  oms_venue_order_t s3 = ord(3, OMS_SIDE_SELL, OMS_ORD_STOP, OMS_TIF_GTC, "2", NULL, "90.00");
  send_new(fx, &s1);
  send_new(fx, &s2);
  send_new(fx, &s3);
  lim(fx, 10, OMS_SIDE_BUY, "1", "99.00");
  lim(fx, 11, OMS_SIDE_BUY, "2", "98.00");
  lim(fx, 12, OMS_SIDE_BUY, "2", "97.00");
  lim(fx, 13, OMS_SIDE_BUY, "5", "95.00");
  lim(fx, 20, OMS_SIDE_SELL, "1", "99.00"); /* trade at 99 triggers s1 */
  vpoll(fx);
  /* s1 sells 2: 98 x2, lowest trade 98. Nothing else yet... */
  assert_non_null(find(fx, 1, OMS_EXEC_TRIGGERED, 0));
  /* ...but s1's trades at 98 do not reach 97; add a trade at 97 to cascade. */
  assert_int_equal(count(fx, 2, OMS_EXEC_TRIGGERED), 0);
  lim(fx, 21, OMS_SIDE_SELL, "1", "97.00"); /* trade at 97 triggers s2, which sweeps to 95 */
  vpoll(fx);
  assert_non_null(find(fx, 2, OMS_EXEC_TRIGGERED, 0));
  const oms_exec_report_t *f = find(fx, 2, OMS_EXEC_FILL, 1);
  assert_non_null(f);
  assert_dec(f->last_px, "95.00");
  assert_int_equal(count(fx, 3, OMS_EXEC_TRIGGERED), 0); /* 90 not reached */
  fx_close(fx);
}

static void test_stop_cascade_within_one_order(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t s1 = ord(1, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "2", NULL, "101.00");
  oms_venue_order_t s2 = ord(2, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, "102.00");
  send_new(fx, &s1);
  send_new(fx, &s2);
  lim(fx, 10, OMS_SIDE_SELL, "1", "101.00");
  lim(fx, 11, OMS_SIDE_SELL, "2", "102.00");
  lim(fx, 12, OMS_SIDE_SELL, "5", "103.00");
  lim(fx, 20, OMS_SIDE_BUY, "1", "101.00"); /* 101 -> s1 buys 2 at 102 -> s2 buys at 103 */
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_TRIGGERED, 0));
  assert_non_null(find(fx, 2, OMS_EXEC_TRIGGERED, 0));
  assert_dec(find(fx, 2, OMS_EXEC_FILL, 0)->last_px, "103.00");
  assert_true(find(fx, 1, OMS_EXEC_TRIGGERED, 0) < find(fx, 2, OMS_EXEC_TRIGGERED, 0));
  fx_close(fx);
}

static void test_stop_can_be_cancelled_and_replaced_before_trigger(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t s =
      ord(1, OMS_SIDE_BUY, OMS_ORD_STOP_LIMIT, OMS_TIF_GTC, "2", "105.00", "104.00");
  send_new(fx, &s);
  oms_venue_send_replace(fx->v, 1, D("3"), OMS_DEC_ZERO, D("103.00"));
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_REPLACED, 0);
  assert_non_null(r);
  assert_dec(r->new_qty, "3");
  assert_dec(r->new_price, "105.00");
  assert_dec(r->new_stop_price, "103.00");
  oms_venue_send_cancel(fx->v, 1);
  lim(fx, 2, OMS_SIDE_SELL, "1", "104.00");
  lim(fx, 3, OMS_SIDE_BUY, "1", "104.00");
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_CANCELLED, 0));
  assert_int_equal(count(fx, 1, OMS_EXEC_TRIGGERED), 0);
  fx_close(fx);
}

static void test_stops_reached_by_one_trade_trigger_in_arrival_order(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t s1 = ord(1, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, "101.00");
  oms_venue_order_t s2 = ord(2, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, "110.00");
  oms_venue_order_t s3 = ord(3, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, "100.50");
  oms_venue_order_t s4 = ord(4, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, "100.00");
  send_new(fx, &s1);
  send_new(fx, &s2);
  send_new(fx, &s3);
  send_new(fx, &s4);
  oms_venue_send_cancel(fx->v, 3); /* from the middle of the stop list */
  lim(fx, 10, OMS_SIDE_SELL, "1", "101.00");
  lim(fx, 11, OMS_SIDE_SELL, "5", "102.00");
  lim(fx, 12, OMS_SIDE_BUY, "1", "101.00");
  vpoll(fx);
  const oms_exec_report_t *t1 = find(fx, 1, OMS_EXEC_TRIGGERED, 0);
  const oms_exec_report_t *t4 = find(fx, 4, OMS_EXEC_TRIGGERED, 0);
  assert_non_null(t1);
  assert_non_null(t4);
  assert_true(t1 < t4);
  assert_int_equal(count(fx, 2, OMS_EXEC_TRIGGERED), 0);
  assert_int_equal(count(fx, 3, OMS_EXEC_TRIGGERED), 0);
  assert_dec(find(fx, 4, OMS_EXEC_FILL, 0)->last_px, "102.00");
  fx_close(fx);
}

/* ---- Cancel and replace ------------------------------------------------------- */

static void test_cancel_removes_a_resting_order(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "5", "100.00");
  assert_int_equal(oms_venue_send_cancel(fx->v, 1), 0);
  vpoll(fx);
  const oms_exec_report_t *c = find(fx, 1, OMS_EXEC_CANCELLED, 0);
  assert_non_null(c);
  assert_int_equal(c->status, OMS_VSTATUS_CANCELLED);
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 0);
  fx_close(fx);
}

static void test_cancel_after_fill_is_too_late_and_unknown_is_unknown(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "5", "100.00");
  lim(fx, 2, OMS_SIDE_SELL, "5", "100.00");
  oms_venue_send_cancel(fx->v, 1);
  oms_venue_send_cancel(fx->v, 77);
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_CANCEL_REJECTED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_TOO_LATE);
  r = find(fx, 77, OMS_EXEC_CANCEL_REJECTED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_VENUE_UNKNOWN_ORDER);
  assert_string_equal(r->venue_order_id, "");
  fx_close(fx);
}

static void test_replace_qty_down_keeps_priority(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "5", "100.00");
  lim(fx, 2, OMS_SIDE_BUY, "5", "100.00");
  oms_venue_send_replace(fx->v, 1, D("3"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  lim(fx, 3, OMS_SIDE_SELL, "1", "100.00");
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_REPLACED, 0);
  assert_non_null(r);
  assert_dec(r->new_qty, "3");
  assert_dec(r->leaves_qty, "3");
  assert_non_null(find(fx, 1, OMS_EXEC_FILL, 0));
  assert_int_equal(count(fx, 2, OMS_EXEC_FILL), 0);
  fx_close(fx);
}

static void test_replace_qty_up_or_new_price_loses_priority(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "5", "100.00");
  lim(fx, 2, OMS_SIDE_BUY, "5", "100.00");
  lim(fx, 3, OMS_SIDE_BUY, "5", "100.00");
  oms_venue_send_replace(fx->v, 1, D("6"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  oms_venue_send_replace(fx->v, 2, OMS_DEC_ZERO, D("99.00"), OMS_DEC_ZERO);
  oms_venue_send_replace(fx->v, 2, OMS_DEC_ZERO, D("100.00"), OMS_DEC_ZERO);
  lim(fx, 4, OMS_SIDE_SELL, "1", "100.00");
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_REPLACED), 1);
  assert_int_equal(count(fx, 2, OMS_EXEC_REPLACED), 2);
  assert_non_null(find(fx, 3, OMS_EXEC_FILL, 0));
  lim(fx, 5, OMS_SIDE_SELL, "5", "100.00");
  vpoll(fx);
  /* Order 1 (re-queued first) trades before order 2. */
  assert_non_null(find(fx, 1, OMS_EXEC_FILL, 0));
  assert_int_equal(count(fx, 2, OMS_EXEC_FILL), 0);
  fx_close(fx);
}

static void test_replace_to_qty_at_or_below_filled_is_too_late(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "5", "100.00");
  lim(fx, 2, OMS_SIDE_SELL, "3", "100.00");
  oms_venue_send_replace(fx->v, 1, D("3"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  oms_venue_send_replace(fx->v, 1, D("4"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_REPLACE_REJECTED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_TOO_LATE);
  r = find(fx, 1, OMS_EXEC_REPLACED, 0);
  assert_non_null(r);
  assert_dec(r->new_qty, "4");
  assert_dec(r->cum_qty, "3");
  assert_dec(r->leaves_qty, "1");
  fx_close(fx);
}

static void test_replace_that_crosses_trades_and_post_only_replace_is_refused(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_SELL, "2", "101.00");
  lim(fx, 2, OMS_SIDE_BUY, "3", "100.00");
  oms_venue_order_t po = ord(3, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "99.00", NULL);
  po.instructions = OMS_INST_POST_ONLY;
  send_new(fx, &po);
  drain(fx);
  oms_venue_send_replace(fx->v, 3, OMS_DEC_ZERO, D("101.00"), OMS_DEC_ZERO);
  oms_venue_send_replace(fx->v, 2, OMS_DEC_ZERO, D("101.00"), OMS_DEC_ZERO);
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 3, OMS_EXEC_REPLACE_REJECTED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_POST_ONLY_WOULD_CROSS);
  r = find(fx, 2, OMS_EXEC_REPLACED, 0);
  const oms_exec_report_t *f = find(fx, 2, OMS_EXEC_FILL, 0);
  assert_non_null(r);
  assert_non_null(f);
  assert_true(r < f);
  assert_dec(f->last_qty, "2");
  assert_dec(f->leaves_qty, "1");
  fx_close(fx);
}

static void test_replace_refusals(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "5", "100.00");
  assert_int_equal(oms_venue_send_replace(fx->v, 1, D("-1"), OMS_DEC_ZERO, OMS_DEC_ZERO),
                   OMS_EINVAL);
  oms_venue_send_replace(fx->v, 1, D("5.5"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  oms_venue_send_replace(fx->v, 1, OMS_DEC_ZERO, D("100.001"), OMS_DEC_ZERO);
  oms_venue_send_replace(fx->v, 9, D("1"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  oms_venue_send_cancel(fx->v, 1);
  oms_venue_send_replace(fx->v, 1, D("1"), OMS_DEC_ZERO, OMS_DEC_ZERO);
  vpoll(fx);
  assert_int_equal(find(fx, 1, OMS_EXEC_REPLACE_REJECTED, 0)->reason, OMS_R_LOT_SIZE);
  assert_int_equal(find(fx, 1, OMS_EXEC_REPLACE_REJECTED, 1)->reason, OMS_R_TICK_SIZE);
  assert_int_equal(find(fx, 9, OMS_EXEC_REPLACE_REJECTED, 0)->reason, OMS_R_VENUE_UNKNOWN_ORDER);
  assert_int_equal(find(fx, 1, OMS_EXEC_REPLACE_REJECTED, 2)->reason, OMS_R_TOO_LATE);
  fx_close(fx);
}

/* ---- Latency ---------------------------------------------------------------- */

static void test_reports_wait_for_their_latency_and_keep_their_order(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.ack_latency_ns = 1000;
  c.fill_latency_ns = 300;
  fx_open_cfg(fx, &c);
  lim(fx, 1, OMS_SIDE_SELL, "1", "100.00");
  fx->t += 100;
  lim(fx, 2, OMS_SIDE_BUY, "1", "100.00");
  assert_int_equal(vpoll(fx), 0);
  fx->t += 899; /* 999 after the first send */
  assert_int_equal(vpoll(fx), 0);
  fx->t += 1;
  assert_int_equal(vpoll(fx), 1);
  assert_int_equal(fx->rep[0].type, OMS_EXEC_ACCEPTED);
  assert_int_equal(fx->rep[0].order_id, 1);
  /* Order 2's ACK is due at 1100; the fills (due 400) wait behind it. */
  fx->t += 99;
  assert_int_equal(vpoll(fx), 0);
  fx->t += 1;
  assert_int_equal(vpoll(fx), 3);
  assert_int_equal(fx->rep[1].type, OMS_EXEC_ACCEPTED);
  assert_int_equal(fx->rep[2].type, OMS_EXEC_FILL);
  assert_int_equal(fx->rep[3].type, OMS_EXEC_FILL);
  assert_int_equal(fx->rep[2].ts_ns, 1000000100);
  fx_close(fx);
}

/* ---- Expiry ------------------------------------------------------------------- */

static void test_day_order_expires_at_session_end(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.session_end_ns = fx->t + 5000;
  fx_open_cfg(fx, &c);
  oms_venue_order_t d = ord(1, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_DAY, "1", "100.00", NULL);
  send_new(fx, &d);
  oms_venue_order_t st = ord(2, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_DAY, "1", NULL, "110.00");
  send_new(fx, &st);
  lim(fx, 3, OMS_SIDE_BUY, "1", "99.00");
  fx->t += 4999;
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_EXPIRED), 0);
  fx->t += 1;
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_EXPIRED), 1);
  assert_int_equal(count(fx, 2, OMS_EXEC_EXPIRED), 1);
  assert_int_equal(count(fx, 3, OMS_EXEC_EXPIRED), 0);
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 1);
  /* After the session end a DAY order is refused; a new session takes it. */
  d.order_id = 4;
  send_new(fx, &d);
  vpoll(fx);
  assert_int_equal(find(fx, 4, OMS_EXEC_REJECTED, 0)->reason, OMS_R_VENUE_REJECT);
  oms_sim_venue_set_session_end(fx->v, fx->t + 1000);
  d.order_id = 5;
  send_new(fx, &d);
  fx->t += 1000;
  vpoll(fx);
  assert_int_equal(count(fx, 5, OMS_EXEC_EXPIRED), 1);
  oms_venue_query_status(fx->v, 5);
  vpoll(fx);
  assert_int_equal(find(fx, 5, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_EXPIRED);
  fx_close(fx);
}

static void test_gtd_order_expires_at_its_expiry_time(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_venue_order_t g = ord(1, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTD, "1", "100.00", NULL);
  g.expire_ns = fx->t + 300;
  send_new(fx, &g);
  g.order_id = 2;
  g.expire_ns = fx->t + 100;
  send_new(fx, &g);
  g.order_id = 3;
  g.expire_ns = fx->t + 200;
  send_new(fx, &g);
  oms_venue_send_cancel(fx->v, 3);
  g.order_id = 4;
  g.expire_ns = fx->t; /* not in the future */
  send_new(fx, &g);
  g.order_id = 5;
  g.expire_ns = 0;
  send_new(fx, &g);
  fx->t += 100;
  vpoll(fx);
  assert_int_equal(count(fx, 2, OMS_EXEC_EXPIRED), 1);
  assert_int_equal(count(fx, 1, OMS_EXEC_EXPIRED), 0);
  fx->t += 500;
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_EXPIRED), 1);
  assert_int_equal(count(fx, 3, OMS_EXEC_EXPIRED), 0);
  assert_int_equal(find(fx, 4, OMS_EXEC_REJECTED, 0)->reason, OMS_R_EXPIRY_PAST);
  assert_int_equal(find(fx, 5, OMS_EXEC_REJECTED, 0)->reason, OMS_R_EXPIRY_REQUIRED);
  fx_close(fx);
}

static void test_expiry_heap_survives_many_cancelled_gtd_orders(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.max_orders = 8;
  fx_open_cfg(fx, &c);
  for (uint64_t i = 1; i <= 40; i++) {
    oms_venue_order_t g = ord(i, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTD, "1", "100.00", NULL);
    g.expire_ns = fx->t + 1000 + (int64_t)(i % 7);
    assert_int_equal(send_new(fx, &g), 0);
    if (i % 8 != 0) assert_int_equal(oms_venue_send_cancel(fx->v, i), 0);
    drain(fx);
  }
  fx->t += 2000;
  vpoll(fx);
  /* Orders 8, 16, ... rested; the pool recycled the oldest done records. */
  assert_true(count(fx, 40, OMS_EXEC_EXPIRED) == 1);
  fx_close(fx);
}

/* ---- Fees ------------------------------------------------------------------- */

static void test_fees_are_exact_with_maker_rebate_and_taker_fee(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.maker_fee_rate = D("-0.0001");
  c.taker_fee_rate = D("0.0003");
  fx_open_cfg(fx, &c);
  lim(fx, 1, OMS_SIDE_SELL, "3", "100.01");
  lim(fx, 2, OMS_SIDE_BUY, "3", "100.01");
  vpoll(fx);
  /* notional 300.03: maker -0.030003, taker 0.090009 */
  assert_dec(find(fx, 1, OMS_EXEC_FILL, 0)->fee, "-0.030003");
  assert_dec(find(fx, 2, OMS_EXEC_FILL, 0)->fee, "0.090009");
  fx_close(fx);
}

static void test_fee_rounds_once_with_the_configured_mode(void **state) {
  (void)state;
  oms_dec_t f;
  /* 0.00000003 * 0.5 * 0.5 = 0.0000000075 */
  assert_int_equal(
      oms_sim_fee(D("0.00000003"), D("0.5"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_HALF_EVEN, &f), 0);
  assert_int_equal(f.raw, 1);
  assert_int_equal(oms_sim_fee(D("0.00000003"), D("0.5"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_UP, &f),
                   0);
  assert_int_equal(f.raw, 1);
  assert_int_equal(
      oms_sim_fee(D("0.00000003"), D("0.5"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_DOWN, &f), 0);
  assert_int_equal(f.raw, 0);
  /* 0.00000005 * 0.5 = 0.000000025 -> ties: half-even 2, half-up 3 */
  assert_int_equal(
      oms_sim_fee(D("0.00000005"), D("1"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_HALF_EVEN, &f), 0);
  assert_int_equal(f.raw, 2);
  assert_int_equal(
      oms_sim_fee(D("0.00000005"), D("1"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_HALF_UP, &f), 0);
  assert_int_equal(f.raw, 3);
  assert_int_equal(
      oms_sim_fee(D("-0.00000005"), D("1"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_FLOOR, &f), 0);
  assert_int_equal(f.raw, -3);
  assert_int_equal(
      oms_sim_fee(D("-0.00000005"), D("1"), OMS_DEC_ZERO, D("0.5"), OMS_ROUND_CEIL, &f), 0);
  assert_int_equal(f.raw, -2);
  /* A contract multiplier: 2 x 50.25 x 10 x 0.001 = 1.005 */
  assert_int_equal(oms_sim_fee(D("2"), D("50.25"), D("10"), D("0.001"), OMS_ROUND_HALF_EVEN, &f),
                   0);
  assert_dec(f, "1.005");
  /* Huge values take the fallback paths or overflow. */
  assert_int_equal(oms_sim_fee(D("90000000000"), D("90000000000"), D("90000000000"), D("1"),
                               OMS_ROUND_HALF_EVEN, &f),
                   OMS_EOVERFLOW);
  assert_int_equal(
      oms_sim_fee(D("1000000"), D("100000"), D("100"), D("0.001"), OMS_ROUND_HALF_EVEN, &f), 0);
  assert_dec(f, "10000000000");
  assert_int_equal(oms_sim_fee(D("90000000000"), D("90000000000"), OMS_DEC_ZERO, D("1000"),
                               OMS_ROUND_HALF_EVEN, &f),
                   OMS_EOVERFLOW);
}

/* ---- Liquidity provider ------------------------------------------------------- */

static oms_sim_symbol_t lp_symbol(void) {
  oms_sim_symbol_t s = abc_symbol();
  s.lp.enabled = true;
  s.lp.ref_px = D("100.00");
  s.lp.spread_ticks = 2;
  s.lp.levels = 3;
  s.lp.size = D("10");
  s.lp.step_ns = 1000;
  s.lp.walk_ticks = 1;
  return s;
}

/* Runs a fixed script against a provider with seed; writes a digest of every
 * fill into out (px and qty of each). Returns the number of fills. */
static int lp_script(uint64_t seed, int64_t *out, int max) {
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.seed = seed;
  fx_open_cfg(fx, &c);
  for (uint64_t i = 1; i <= 50; i++) {
    oms_venue_order_t m =
        ord(i, i % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL, OMS_ORD_MARKET, OMS_TIF_IOC, "4", NULL, NULL);
    assert_int_equal(send_new(fx, &m), 0);
    fx->t += 1700;
    vpoll(fx);
  }
  int n = 0;
  for (int i = 0; i < fx->nrep && n + 1 < max; i++) {
    if (fx->rep[i].type != OMS_EXEC_FILL) continue;
    out[n++] = fx->rep[i].last_px.raw;
    out[n++] = fx->rep[i].last_qty.raw;
  }
  fx_close(fx);
  return n;
}

static void test_lp_same_seed_gives_same_fills(void **state) {
  (void)state;
  int64_t a[400], b[400], c[400];
  int na = lp_script(42, a, 400), nb = lp_script(42, b, 400), nc = lp_script(43, c, 400);
  assert_true(na >= 100);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, (size_t)na * sizeof(int64_t));
  assert_true(na != nc || memcmp(a, c, (size_t)na * sizeof(int64_t)) != 0);
}

static void test_lp_quotes_around_reference_and_replenishes_after_hit(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  s.lp.step_ns = 0; /* a still reference */
  oms_sim_config_t c = base_config(fx, &s);
  fx_open_cfg(fx, &c);
  const oms__book_t *b = oms__sim_venue_book(fx->v, "ABC");
  oms_dec_t px, q;
  assert_true(oms__book_best(b, OMS_SIDE_BUY, &px, &q));
  assert_dec(px, "99.99");
  assert_dec(q, "10");
  assert_true(oms__book_best(b, OMS_SIDE_SELL, &px, &q));
  assert_dec(px, "100.01");
  oms__book_level_t lv[8];
  assert_int_equal(oms__book_depth(b, OMS_SIDE_SELL, lv, 8), 3);
  assert_dec(lv[2].px, "100.03");
  /* A buy of 15 takes the first level and half the second. */
  oms_venue_order_t m = ord(1, OMS_SIDE_BUY, OMS_ORD_MARKET, OMS_TIF_IOC, "15", NULL, NULL);
  send_new(fx, &m);
  assert_true(oms__book_best(b, OMS_SIDE_SELL, &px, &q));
  assert_dec(px, "100.02");
  assert_dec(q, "5");
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 2);
  for (int i = 0; i < fx->nrep; i++) assert_int_equal(fx->rep[i].order_id, 1); /* LP silent */
  assert_true(oms__book_best(b, OMS_SIDE_SELL, &px, &q));
  assert_dec(px, "100.01");
  assert_dec(q, "10");
  assert_dec(oms_sim_venue_lp_ref(fx->v, "ABC"), "100.00");
  assert_dec(oms_sim_venue_lp_ref(fx->v, "XYZ"), "0");
  fx_close(fx);
}

static void test_lp_refill_waits_its_delay_so_a_large_order_rests_and_can_be_cancelled(
    void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  s.lp.step_ns = 100000000; /* the walk goes on during the wait, quoting nothing */
  s.lp.refill_ns = 1000000000;
  oms_sim_config_t c = base_config(fx, &s);
  c.seed = 9;
  fx_open_cfg(fx, &c);
  const oms__book_t *b = oms__sim_venue_book(fx->v, "ABC");
  oms_dec_t px, q;
  /* 50 against a visible 3 x 10: takes the depth and rests 20. */
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "50", "100.05"), 0);
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 3);
  assert_false(oms__book_best(b, OMS_SIDE_SELL, &px, &q));
  fx->t += 999999999;
  drain(fx);
  assert_false(oms__book_best(b, OMS_SIDE_SELL, &px, &q));
  assert_true(oms__book_best(b, OMS_SIDE_BUY, &px, &q));
  assert_dec(px, "100.05");
  assert_dec(q, "20");
  assert_int_equal(oms_venue_send_cancel(fx->v, 1), 0);
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_CANCELLED, 0);
  assert_non_null(r);
  assert_dec(r->cum_qty, "30");
  assert_dec(r->leaves_qty, "0");
  /* The provider comes back at the delay, with its full depth. */
  fx->t += 1;
  drain(fx);
  oms__book_level_t lv[8];
  assert_int_equal(oms__book_depth(b, OMS_SIDE_SELL, lv, 8), 3);
  assert_dec(lv[0].qty, "10");
  fx_close(fx);
}

static void test_lp_refill_after_its_delay_fills_the_resting_rest(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  s.lp.step_ns = 0;
  s.lp.refill_ns = 1000000000;
  oms_sim_config_t c = base_config(fx, &s);
  fx_open_cfg(fx, &c);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "50", "100.05"), 0);
  fx->t += 500000000;
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 3);
  fx->t += 500000000;
  vpoll(fx);
  /* The new quotes take the resting bid: 10 + 10 more, the order as maker. */
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 5);
  const oms_exec_report_t *f = find(fx, 1, OMS_EXEC_FILL, 4);
  assert_int_equal(f->liquidity, 'M');
  assert_dec(f->cum_qty, "50");
  assert_int_equal(f->status, OMS_VSTATUS_FILLED);
  fx_close(fx);
}

static void test_lp_refill_delay_is_deterministic_with_the_seed(void **state) {
  (void)state;
  int64_t out[2][64];
  int n[2];
  for (int run = 0; run < 2; run++) {
    fx_t *fx = fx_alloc();
    oms_sim_symbol_t s = lp_symbol();
    s.lp.refill_ns = 5000;
    oms_sim_config_t c = base_config(fx, &s);
    c.seed = 11;
    fx_open_cfg(fx, &c);
    for (uint64_t i = 1; i <= 20; i++) {
      oms_venue_order_t m = ord(i, i % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL, OMS_ORD_MARKET,
                                OMS_TIF_IOC, "25", NULL, NULL);
      assert_int_equal(send_new(fx, &m), 0);
      fx->t += 1700;
      vpoll(fx);
    }
    n[run] = 0;
    for (int i = 0; i < fx->nrep && n[run] < 64; i++)
      if (fx->rep[i].type == OMS_EXEC_FILL) out[run][n[run]++] = fx->rep[i].last_px.raw;
    /* Some orders found the provider's side still short and were cut. */
    int cut = 0;
    for (int i = 0; i < fx->nrep; i++)
      cut += fx->rep[i].type == OMS_EXEC_CANCELLED && fx->rep[i].reason == OMS_R_NO_LIQUIDITY;
    assert_true(cut > 0);
    fx_close(fx);
  }
  assert_true(n[0] > 0);
  assert_int_equal(n[0], n[1]);
  assert_memory_equal(out[0], out[1], (size_t)n[0] * sizeof(int64_t));
}

static void test_lp_walk_moves_the_reference_and_fills_resting_orders(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  s.lp.spread_ticks = 0;
  s.lp.spread_bps = 10; /* 0.1% of 100 = 10 ticks */
  s.lp.levels = 1;
  oms_sim_config_t c = base_config(fx, &s);
  c.seed = 7;
  fx_open_cfg(fx, &c);
  const oms__book_t *b = oms__sim_venue_book(fx->v, "ABC");
  oms_dec_t bid, ask;
  oms__book_best(b, OMS_SIDE_BUY, &bid, NULL);
  oms__book_best(b, OMS_SIDE_SELL, &ask, NULL);
  assert_dec(bid, "99.95");
  assert_dec(ask, "100.05");
  /* A resting sell just above the provider's bid is filled when the walk
   * carries the provider's bid through it. */
  lim(fx, 1, OMS_SIDE_SELL, "1", "99.97");
  oms_dec_t start = oms_sim_venue_lp_ref(fx->v, "ABC");
  bool moved = false;
  for (int i = 0; i < 2000 && count(fx, 1, OMS_EXEC_FILL) == 0; i++) {
    fx->t += 1000;
    vpoll(fx);
    moved = moved || oms_sim_venue_lp_ref(fx->v, "ABC").raw != start.raw;
  }
  assert_true(moved);
  const oms_exec_report_t *f = find(fx, 1, OMS_EXEC_FILL, 0);
  assert_non_null(f);
  assert_int_equal(f->liquidity, 'M');
  assert_dec(f->last_px, "99.97");
  /* A long jump of the clock catches up without looping forever. */
  fx->t += INT64_C(3600) * 1000000000;
  vpoll(fx);
  assert_true(oms_sim_venue_lp_ref(fx->v, "ABC").raw > 0);
  fx_close(fx);
}

/* ---- Market data -------------------------------------------------------------- */

static void test_market_data_publishes_top_of_book_and_trades(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  vpoll(fx);
  assert_int_equal(fx->nmd, 1); /* the empty book, once */
  vpoll(fx);
  assert_int_equal(fx->nmd, 1);
  lim(fx, 1, OMS_SIDE_BUY, "2", "99.00");
  lim(fx, 2, OMS_SIDE_SELL, "3", "101.00");
  vpoll(fx);
  assert_int_equal(fx->nmd, 2);
  const oms_market_data_t *md = &fx->md[1];
  assert_string_equal(md->symbol, "ABC");
  assert_dec(md->bid, "99");
  assert_dec(md->bid_qty, "2");
  assert_dec(md->ask, "101");
  assert_dec(md->ask_qty, "3");
  assert_dec(md->last_px, "0");
  lim(fx, 3, OMS_SIDE_BUY, "1", "101.00");
  vpoll(fx);
  assert_int_equal(fx->nmd, 3);
  md = &fx->md[2];
  assert_dec(md->last_px, "101");
  assert_dec(md->last_qty, "1");
  assert_dec(md->ask_qty, "2");
  assert_int_equal(md->ts_ns, fx->t);
  fx_close(fx);
}

/* Snapshots carry the book's levels, OMS_MD_DEPTH a side at most; a level
 * emptied is gone from the next one; a change behind the top is published. */
static void test_market_data_publishes_depth(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "2", "99.00");
  lim(fx, 2, OMS_SIDE_BUY, "1", "98.50");
  lim(fx, 3, OMS_SIDE_BUY, "4", "98.00");
  lim(fx, 4, OMS_SIDE_BUY, "1", "98.50");
  lim(fx, 5, OMS_SIDE_SELL, "3", "101.00");
  lim(fx, 6, OMS_SIDE_SELL, "5", "102.00");
  drain(fx);
  lim(fx, 7, OMS_SIDE_SELL, "1", "103.00");
  vpoll(fx);
  assert_int_equal(fx->nmd, 1); /* a level behind the top changed */
  const oms_market_data_t *md = &fx->md[0];
  assert_dec(md->bid, "99");
  assert_int_equal(oms_md_levels(md, OMS_SIDE_BUY), 3);
  assert_dec(md->bid_depth[0].px, "98.5");
  assert_dec(md->bid_depth[0].qty, "2");
  assert_dec(md->bid_depth[1].px, "98");
  assert_int_equal(oms_md_levels(md, OMS_SIDE_SELL), 3);
  assert_dec(oms_md_level(md, OMS_SIDE_SELL, 2).px, "103");
  /* the 98.50 level cancelled away */
  oms_venue_send_cancel(fx->v, 2);
  oms_venue_send_cancel(fx->v, 4);
  drain(fx);
  vpoll(fx);
  assert_int_equal(fx->nmd, 0); /* published once, with the reports */
  lim(fx, 8, OMS_SIDE_BUY, "1", "90.00");
  vpoll(fx);
  md = &fx->md[fx->nmd - 1];
  assert_int_equal(oms_md_levels(md, OMS_SIDE_BUY), 3);
  assert_dec(md->bid_depth[0].px, "98");
  assert_dec(md->bid_depth[1].px, "90");
  /* deeper than OMS_MD_DEPTH: the best levels only */
  for (int i = 0; i < OMS_MD_DEPTH + 2; i++) {
    char px[16];
    snprintf(px, sizeof px, "%d.00", 110 + i);
    lim(fx, 100 + (uint64_t)i, OMS_SIDE_SELL, "1", px);
  }
  vpoll(fx);
  md = &fx->md[fx->nmd - 1];
  assert_int_equal(oms_md_levels(md, OMS_SIDE_SELL), OMS_MD_DEPTH);
  assert_dec(oms_md_level(md, OMS_SIDE_SELL, OMS_MD_DEPTH - 1).px, "116");
  fx_close(fx);
}

/* ---- Connection and faults ---------------------------------------------------- */

static void test_venue_down_refuses_sends_and_announces_from_poll(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "1", "100.00");
  oms_sim_venue_set_connected(fx->v, false);
  assert_int_equal(fx->conn_events, 0);
  assert_false(oms_venue_is_connected(fx->v));
  assert_int_equal(lim(fx, 2, OMS_SIDE_BUY, "1", "100.00"), OMS_EDOWN);
  assert_int_equal(oms_venue_send_cancel(fx->v, 1), OMS_EDOWN);
  assert_int_equal(oms_venue_send_replace(fx->v, 1, D("2"), OMS_DEC_ZERO, OMS_DEC_ZERO), OMS_EDOWN);
  assert_int_equal(oms_venue_query_status(fx->v, 1), OMS_EDOWN);
  assert_int_equal(vpoll(fx), 0); /* the ACK waits */
  assert_int_equal(fx->conn_events, 1);
  assert_false(fx->last_conn);
  oms_sim_venue_set_connected(fx->v, true);
  assert_int_equal(vpoll(fx), 1);
  assert_int_equal(fx->conn_events, 2);
  assert_true(fx->last_conn);
  assert_int_equal(fx->rep[0].type, OMS_EXEC_ACCEPTED);
  fx_close(fx);
}

static void test_silent_mode_withholds_ack_until_status_query(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_sim_venue_set_silent(fx->v, true);
  lim(fx, 1, OMS_SIDE_BUY, "4", "100.00");
  assert_int_equal(vpoll(fx), 0);
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 1);
  oms_venue_query_status(fx->v, 1);
  oms_venue_query_status(fx->v, 2);
  vpoll(fx);
  const oms_exec_report_t *s = find(fx, 1, OMS_EXEC_STATUS, 0);
  assert_non_null(s);
  assert_int_equal(s->status, OMS_VSTATUS_WORKING);
  assert_string_equal(s->venue_order_id, "SIM-1");
  assert_dec(s->leaves_qty, "4");
  s = find(fx, 2, OMS_EXEC_STATUS, 0);
  assert_non_null(s);
  assert_int_equal(s->status, OMS_VSTATUS_UNKNOWN);
  oms_sim_venue_set_silent(fx->v, false);
  lim(fx, 3, OMS_SIDE_BUY, "4", "100.00");
  vpoll(fx);
  assert_non_null(find(fx, 3, OMS_EXEC_ACCEPTED, 0));
  fx_close(fx);
}

static void test_reject_next_refuses_that_many_orders(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_sim_venue_reject_next(fx->v, 2, OMS_R_NONE);
  lim(fx, 1, OMS_SIDE_BUY, "1", "100.00");
  lim(fx, 2, OMS_SIDE_BUY, "1", "100.00");
  lim(fx, 3, OMS_SIDE_BUY, "1", "100.00");
  oms_sim_venue_reject_next(fx->v, 1, OMS_R_VENUE_QUEUE_FULL);
  lim(fx, 4, OMS_SIDE_BUY, "1", "100.00");
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 1, OMS_EXEC_REJECTED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_VENUE_REJECT);
  assert_string_equal(r->text, "injected rejection");
  assert_non_null(find(fx, 2, OMS_EXEC_REJECTED, 0));
  assert_non_null(find(fx, 3, OMS_EXEC_ACCEPTED, 0));
  assert_int_equal(find(fx, 4, OMS_EXEC_REJECTED, 0)->reason, OMS_R_VENUE_QUEUE_FULL);
  fx_close(fx);
}

/* An order's symbol is found by its first word when that names one symbol,
 * and by the whole name when two begin with the same 8 bytes; a name that
 * only begins like one, or has bytes after its NUL, is told apart. */
static void test_symbols_that_begin_alike_are_told_apart(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  oms_sim_symbol_t more = abc_symbol();
  const char *alike[] = {"LONGNAME-A", "LONGNAME-B"};
  for (int i = 0; i < 2; i++) {
    strcpy(more.ins.symbol, alike[i]);
    assert_int_equal(oms_sim_venue_add_symbol(fx->v, &more), 0);
  }
  char names[OMS_SIM_MAX_SYMBOLS][16];
  int n = 0;
  for (int i = 3; i < OMS_SIM_MAX_SYMBOLS; i++, n++) {
    snprintf(names[n], sizeof names[n], "S%d", i);
    strcpy(more.ins.symbol, names[n]);
    assert_int_equal(oms_sim_venue_add_symbol(fx->v, &more), 0);
  }
  uint64_t id = 1;
  for (int i = 0; i < 2; i++) {
    oms_venue_order_t o = ord(id++, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
    strcpy(o.symbol, alike[i]);
    assert_int_equal(send_new(fx, &o), 0);
  }
  for (int i = 0; i < n; i++) {
    oms_venue_order_t o = ord(id++, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
    strcpy(o.symbol, names[i]);
    assert_int_equal(send_new(fx, &o), 0);
  }
  oms_venue_order_t abc = ord(id++, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
  memcpy(abc.symbol + 4, "xyz", 3); /* "ABC", then bytes after its NUL */
  assert_int_equal(send_new(fx, &abc), 0);
  const char *unknown[] = {"LONGNAME-C", "LONGNAME", "LONGNAME-AB", "AB", "S3X"};
  uint64_t first_unknown = id;
  for (int i = 0; i < 5; i++) {
    oms_venue_order_t o = ord(id++, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
    strcpy(o.symbol, unknown[i]);
    assert_int_equal(send_new(fx, &o), 0);
  }
  vpoll(fx);
  for (uint64_t k = 1; k < first_unknown; k++) assert_non_null(find(fx, k, OMS_EXEC_ACCEPTED, 0));
  for (int i = 0; i < 2; i++)
    assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, alike[i])), 1);
  for (int i = 0; i < n; i++)
    assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, names[i])), 1);
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 1);
  for (uint64_t k = first_unknown; k < id; k++) {
    const oms_exec_report_t *r = find(fx, k, OMS_EXEC_REJECTED, 0);
    assert_non_null(r);
    assert_int_equal(r->reason, OMS_R_UNKNOWN_INSTRUMENT);
  }
  fx_close(fx);
}

static void test_invalid_new_orders_are_rejected_with_a_reason(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  struct {
    oms_venue_order_t o;
    oms_reason_t want;
  } cases[12];
  int n = 0;
  cases[n].o = ord(1, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
  strcpy(cases[n].o.symbol, "NOPE");
  cases[n++].want = OMS_R_UNKNOWN_INSTRUMENT;
  cases[n].o = ord(2, (oms_side_t)9, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.00", NULL);
  cases[n++].want = OMS_R_BAD_ENUM;
  cases[n].o = ord(3, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "0", "100.00", NULL);
  cases[n++].want = OMS_R_QTY_NOT_POSITIVE;
  cases[n].o = ord(4, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1.5", "100.00", NULL);
  cases[n++].want = OMS_R_LOT_SIZE;
  cases[n].o = ord(5, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", NULL, NULL);
  cases[n++].want = OMS_R_PRICE_REQUIRED;
  cases[n].o = ord(6, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "100.001", NULL);
  cases[n++].want = OMS_R_TICK_SIZE;
  cases[n].o = ord(7, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, NULL);
  cases[n++].want = OMS_R_STOP_REQUIRED;
  cases[n].o = ord(8, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_GTC, "1", NULL, "100.005");
  cases[n++].want = OMS_R_TICK_SIZE;
  cases[n].o = ord(9, OMS_SIDE_BUY, OMS_ORD_MARKET, OMS_TIF_GTC, "1", NULL, NULL);
  cases[n].o.instructions = OMS_INST_POST_ONLY;
  cases[n++].want = OMS_R_POST_ONLY_NOT_LIMIT;
  cases[n].o = ord(10, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_IOC, "1", "100.00", NULL);
  cases[n].o.instructions = OMS_INST_POST_ONLY;
  cases[n++].want = OMS_R_POST_ONLY_TIF;
  cases[n].o = ord(11, OMS_SIDE_BUY, (oms_ord_type_t)0, OMS_TIF_GTC, "1", "100.00", NULL);
  cases[n++].want = OMS_R_BAD_ENUM;
  for (int i = 0; i < n; i++) assert_int_equal(send_new(fx, &cases[i].o), 0);
  vpoll(fx);
  for (int i = 0; i < n; i++) {
    const oms_exec_report_t *r = find(fx, cases[i].o.order_id, OMS_EXEC_REJECTED, 0);
    assert_non_null(r);
    assert_int_equal(r->reason, cases[i].want);
  }
  oms_sim_stats_t st;
  oms_sim_venue_stats(fx->v, &st);
  assert_int_equal(st.orders, (uint64_t)n);
  fx_close(fx);
}

static void test_malformed_and_duplicate_sends_are_errors(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  assert_int_equal(oms_venue_send_new(fx->v, NULL), OMS_EINVAL);
  assert_int_equal(lim(fx, 0, OMS_SIDE_BUY, "1", "100.00"), OMS_EINVAL);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "1", "100.00"), 0);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE);
  fx_close(fx);
}

static void test_full_report_ring_refuses_sends_until_polled(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.report_capacity = 16; /* reserve 4 */
  fx_open_cfg(fx, &c);
  int ok = 0;
  while (lim(fx, (uint64_t)ok + 1, OMS_SIDE_BUY, "1", "100.00") == 0) ok++;
  assert_int_equal(ok, 13);
  assert_int_equal(lim(fx, 99, OMS_SIDE_BUY, "1", "100.00"), OMS_EFULL);
  assert_int_equal(oms_venue_send_cancel(fx->v, 1), OMS_EFULL);
  assert_int_equal(oms_venue_send_replace(fx->v, 1, D("2"), OMS_DEC_ZERO, OMS_DEC_ZERO), OMS_EFULL);
  assert_int_equal(oms_venue_query_status(fx->v, 1), OMS_EFULL);
  /* A sweep beyond the ring's room loses reports, and says so. */
  oms_sim_stats_t st;
  oms_sim_venue_stats(fx->v, &st);
  assert_int_equal(st.reports_pending, 13);
  assert_int_equal(vpoll(fx), 13);
  assert_int_equal(lim(fx, 99, OMS_SIDE_BUY, "1", "100.00"), 0);
  assert_int_equal(lim(fx, 98, OMS_SIDE_SELL, "13", "100.00"), 0); /* 1 + 26 reports > 16 */
  oms_sim_venue_stats(fx->v, &st);
  assert_true(st.reports_dropped > 0);
  assert_int_equal(st.reports_pending, 16);
  fx_close(fx);
}

static void test_done_orders_are_recycled_when_the_pool_is_full(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.max_orders = 4;
  fx_open_cfg(fx, &c);
  for (uint64_t i = 1; i <= 4; i++) assert_int_equal(lim(fx, i, OMS_SIDE_BUY, "1", "100.00"), 0);
  assert_int_equal(lim(fx, 5, OMS_SIDE_BUY, "1", "100.00"), OMS_EFULL);
  oms_venue_send_cancel(fx->v, 2);
  assert_int_equal(lim(fx, 5, OMS_SIDE_BUY, "1", "100.00"), 0);
  oms_venue_query_status(fx->v, 2); /* forgotten */
  oms_venue_send_cancel(fx->v, 1);
  oms_venue_send_cancel(fx->v, 3);
  assert_int_equal(lim(fx, 6, OMS_SIDE_BUY, "1", "100.00"), 0);
  oms_venue_query_status(fx->v, 3); /* still known */
  vpoll(fx);
  assert_int_equal(find(fx, 2, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_UNKNOWN);
  assert_int_equal(find(fx, 3, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_CANCELLED);
  fx_close(fx);
}

/* A duplicate is refused before anything is recycled: the oldest done
 * order still answers, and the next new order then takes its record. */
static void test_a_duplicate_recycles_nothing_when_the_pool_is_full(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.max_orders = 4;
  fx_open_cfg(fx, &c);
  for (uint64_t i = 1; i <= 4; i++) assert_int_equal(lim(fx, i, OMS_SIDE_BUY, "1", "100.00"), 0);
  assert_int_equal(lim(fx, 4, OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE); /* none done */
  for (uint64_t i = 1; i <= 4; i++) oms_venue_send_cancel(fx->v, i);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE);
  assert_int_equal(lim(fx, 4, OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE);
  oms_venue_query_status(fx->v, 1);
  assert_int_equal(lim(fx, 5, OMS_SIDE_BUY, "1", "100.00"), 0); /* takes order 1's record */
  assert_int_equal(lim(fx, 5, OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE);
  oms_venue_query_status(fx->v, 1);
  oms_venue_query_status(fx->v, 2);
  vpoll(fx);
  assert_int_equal(find(fx, 1, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_CANCELLED);
  assert_int_equal(find(fx, 1, OMS_EXEC_STATUS, 1)->status, OMS_VSTATUS_UNKNOWN);
  assert_int_equal(find(fx, 2, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_CANCELLED);
  assert_non_null(find(fx, 5, OMS_EXEC_ACCEPTED, 0));
  oms_sim_stats_t st;
  oms_sim_venue_stats(fx->v, &st);
  assert_int_equal(st.orders, 5);
  fx_close(fx);
}

/* Ids that share their low bits (the direct table's entry) all stay
 * findable: the later ones through the overflow, each recycled from where
 * it is, and an entry given up is taken again by the next id of its bits. */
static void test_ids_sharing_low_bits_are_found_and_recycled(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.max_orders = 4; /* a table of 16 entries */
  fx_open_cfg(fx, &c);
  const uint64_t id[6] = {1, 17, 33, 49, 65, 81};
  for (int i = 0; i < 4; i++) assert_int_equal(lim(fx, id[i], OMS_SIDE_BUY, "1", "100.00"), 0);
  for (int i = 0; i < 4; i++)
    assert_int_equal(lim(fx, id[i], OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE);
  oms_venue_send_cancel(fx->v, 17);                              /* in the overflow */
  assert_int_equal(lim(fx, 65, OMS_SIDE_BUY, "1", "100.00"), 0); /* takes 17's record */
  oms_venue_send_cancel(fx->v, 1);                               /* in the table */
  assert_int_equal(lim(fx, 81, OMS_SIDE_BUY, "1", "100.00"), 0); /* takes 1's, and its entry */
  assert_int_equal(lim(fx, 81, OMS_SIDE_BUY, "1", "100.00"), OMS_EDUPLICATE);
  for (int i = 0; i < 6; i++) oms_venue_query_status(fx->v, id[i]);
  oms_venue_send_cancel(fx->v, 65);
  vpoll(fx);
  assert_int_equal(find(fx, 1, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_UNKNOWN);
  assert_int_equal(find(fx, 17, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_UNKNOWN);
  for (int i = 2; i < 6; i++)
    assert_int_equal(find(fx, id[i], OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_WORKING);
  assert_non_null(find(fx, 65, OMS_EXEC_CANCELLED, 0));
  assert_int_equal(oms__book_order_count(oms__sim_venue_book(fx->v, "ABC")), 3);
  fx_close(fx);
}

static void test_full_book_cancels_the_order_with_capacity(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.book_capacity = 1;
  fx_open_cfg(fx, &c);
  lim(fx, 1, OMS_SIDE_BUY, "1", "100.00");
  lim(fx, 2, OMS_SIDE_BUY, "1", "99.00");
  vpoll(fx);
  const oms_exec_report_t *r = find(fx, 2, OMS_EXEC_CANCELLED, 0);
  assert_non_null(r);
  assert_int_equal(r->reason, OMS_R_CAPACITY);
  fx_close(fx);
}

static void test_self_trade_is_allowed_at_the_venue(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  lim(fx, 1, OMS_SIDE_BUY, "1", "100.00");
  lim(fx, 2, OMS_SIDE_SELL, "1", "100.00"); /* same account "acct" */
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_FILL, 0));
  assert_non_null(find(fx, 2, OMS_EXEC_FILL, 0));
  fx_close(fx);
}

/* ---- Configuration ------------------------------------------------------------ */

static void test_bad_configuration_is_refused(void **state) {
  (void)state;
  int64_t t = 0;
  oms_venue_t *v = (oms_venue_t *)1;
  assert_int_equal(oms_sim_venue_create(NULL, &v), OMS_ECONFIG);
  assert_null(v);
  assert_int_equal(oms_sim_venue_create(NULL, NULL), OMS_EINVAL);
  oms_sim_config_t c;
  memset(&c, 0, sizeof(c));
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_ECONFIG); /* no clock */
  c.clock = oms_clock_manual(&t);
  c.name = "A-NAME-TOO-LONG-FOR-A-VENUE";
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_ECONFIG);
  c.name = "X";
  c.max_orders = 16;
  c.book_capacity = 16;
  c.ack_latency_ns = -1;
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_ECONFIG);
  c.ack_latency_ns = 0;
  oms_sim_symbol_t two[2] = {abc_symbol(), abc_symbol()};
  c.symbols = two;
  c.nsymbols = 2;
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_EEXIST);
  two[1].ins.tick_size = OMS_DEC_ZERO;
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_ECONFIG);
  two[1] = lp_symbol();
  strcpy(two[1].ins.symbol, "DEF");
  two[1].lp.levels = 0;
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_ECONFIG);
  two[1].lp.levels = 2;
  assert_int_equal(oms_sim_venue_create(&c, &v), 0);
  assert_string_equal(v->name, "X");
  oms_sim_symbol_t more = abc_symbol();
  assert_int_equal(oms_sim_venue_add_symbol(v, &more), OMS_EEXIST);
  assert_int_equal(oms_sim_venue_add_symbol(v, NULL), OMS_EINVAL);
  for (int i = 2; i < OMS_SIM_MAX_SYMBOLS; i++) {
    snprintf(more.ins.symbol, sizeof(more.ins.symbol), "S%d", i);
    assert_int_equal(oms_sim_venue_add_symbol(v, &more), 0);
  }
  strcpy(more.ins.symbol, "ONE-TOO-MANY");
  assert_int_equal(oms_sim_venue_add_symbol(v, &more), OMS_EFULL);
  oms_venue_poll(v, 0); /* no handler installed: nothing to call */
  oms_venue_destroy(v);
  oms_venue_destroy(NULL);
  /* The knobs ignore anything that is not a simulated venue. */
  oms_sim_venue_set_connected(NULL, false);
  oms_sim_venue_set_silent(NULL, true);
  oms_sim_venue_reject_next(NULL, 1, OMS_R_NONE);
  oms_sim_venue_set_session_end(NULL, 1);
  assert_null(oms__sim_venue_book(NULL, "ABC"));
  assert_int_equal(oms_sim_venue_lp_ref(NULL, "ABC").raw, 0);
  oms_sim_stats_t st;
  oms_sim_venue_stats(NULL, &st);
  assert_int_equal(st.orders, 0);
  oms_sim_venue_stats(NULL, NULL);
}

/* ---- Durable state -------------------------------------------------------------- */

typedef struct seen_s {
  oms_venue_status_t status;
  int64_t cum, leaves;
} seen_t;

/* What the venue says about orders 1..n (a status query each). */
static void statuses(fx_t *fx, int n, seen_t *out) {
  drain(fx);
  for (int i = 1; i <= n; i++) assert_int_equal(oms_venue_query_status(fx->v, (uint64_t)i), 0);
  vpoll(fx);
  for (int i = 1; i <= n; i++) {
    const oms_exec_report_t *r = find(fx, (uint64_t)i, OMS_EXEC_STATUS, 0);
    assert_non_null(r);
    out[i - 1] = (seen_t){r->status, r->cum_qty.raw, r->leaves_qty.raw};
  }
  fx->nrep = 0;
}

static void depth(fx_t *fx, oms__book_level_t *bids, int *nb, oms__book_level_t *asks, int *na) {
  const oms__book_t *b = oms__sim_venue_book(fx->v, "ABC");
  *nb = (int)oms__book_depth(b, OMS_SIDE_BUY, bids, 16);
  *na = (int)oms__book_depth(b, OMS_SIDE_SELL, asks, 16);
}

static fx_t *fx_open_state(const char *path, int64_t t, int64_t session_end) {
  fx_t *fx = fx_alloc();
  fx->t = t;
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.state_path = path;
  c.session_end_ns = session_end;
  return fx_open_cfg(fx, &c);
}

static void state_path(char *buf, size_t cap) {
  snprintf(buf, cap, "/tmp/oms-simstate-%d-XXXXXX", (int)getpid());
  int fd = mkstemp(buf);
  assert_true(fd >= 0);
  close(fd);
  unlink(buf); /* a fresh venue: no file yet */
}

static void test_restart_over_its_state_restores_every_working_order(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_state(path, 1000000000, 0);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "10", "99.00"), 0);
  assert_int_equal(lim(fx, 2, OMS_SIDE_BUY, "5", "99.00"), 0); /* behind 1 */
  assert_int_equal(lim(fx, 3, OMS_SIDE_SELL, "8", "101.00"), 0);
  assert_int_equal(lim(fx, 4, OMS_SIDE_SELL, "3", "101.00"), 0);
  assert_int_equal(lim(fx, 5, OMS_SIDE_BUY, "2", "101.00"), 0); /* fills 2 of 3 */
  assert_int_equal(oms_venue_send_cancel(fx->v, 4), 0);         /* 3 is still first */
  assert_int_equal(oms_venue_send_replace(fx->v, 1, D("7"), OMS_DEC_ZERO, OMS_DEC_ZERO), 0);
  oms_venue_order_t st =
      ord(6, OMS_SIDE_BUY, OMS_ORD_STOP_LIMIT, OMS_TIF_GTC, "1", "100.60", "100.60");
  assert_int_equal(send_new(fx, &st), 0);
  oms_venue_order_t gtd = ord(7, OMS_SIDE_SELL, OMS_ORD_LIMIT, OMS_TIF_GTD, "4", "102", NULL);
  gtd.expire_ns = 5000000000;
  assert_int_equal(send_new(fx, &gtd), 0);
  assert_int_equal(lim(fx, 8, OMS_SIDE_SELL, "1", "100.50"), 0);
  assert_int_equal(oms_venue_send_replace(fx->v, 8, OMS_DEC_ZERO, D("100.60"), OMS_DEC_ZERO), 0);
  seen_t before[8], after[8];
  statuses(fx, 8, before);
  oms__book_level_t b0[16], a0[16], b1[16], a1[16];
  int nb0, na0, nb1, na1;
  depth(fx, b0, &nb0, a0, &na0);
  oms_venue_destroy(fx->v);
  free(fx);

  fx = fx_open_state(path, 2000000000, 0);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(fx->v, &ss);
  assert_int_equal(ss.restored, 6);          /* 1, 2, 3, 6, 7, 8 */
  assert_int_equal(ss.restored_finished, 2); /* 4 cancelled, 5 filled */
  assert_int_equal(ss.redelivered, 0);       /* every report was delivered */
  statuses(fx, 8, after);
  for (int i = 0; i < 8; i++) {
    /* the finished answer for themselves too (they answered UNKNOWN before) */
    assert_int_equal(after[i].status, before[i].status);
    assert_int_equal(after[i].cum, before[i].cum);
    assert_int_equal(after[i].leaves, before[i].leaves);
  }
  depth(fx, b1, &nb1, a1, &na1);
  assert_int_equal(nb1, nb0);
  assert_int_equal(na1, na0);
  for (int i = 0; i < nb0; i++) {
    assert_int_equal(b1[i].px.raw, b0[i].px.raw);
    assert_int_equal(b1[i].qty.raw, b0[i].qty.raw);
    assert_int_equal(b1[i].orders, b0[i].orders);
  }
  for (int i = 0; i < na0; i++) {
    assert_int_equal(a1[i].px.raw, a0[i].px.raw);
    assert_int_equal(a1[i].qty.raw, a0[i].qty.raw);
    assert_int_equal(a1[i].orders, a0[i].orders);
  }
  /* Time priority survived: a sell of 7 at 99 takes 1 (reduced to 7) before 2. */
  assert_int_equal(lim(fx, 9, OMS_SIDE_SELL, "7", "99.00"), 0);
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_FILL, 0));
  assert_null(find(fx, 2, OMS_EXEC_FILL, 0));
  /* Each restored order is cancellable; new ids never repeat an old one. */
  assert_int_equal(oms_venue_send_cancel(fx->v, 3), 0);
  vpoll(fx);
  const oms_exec_report_t *c3 = find(fx, 3, OMS_EXEC_CANCELLED, 0);
  assert_non_null(c3);
  assert_dec(c3->cum_qty, "2");
  const oms_exec_report_t *a9 = find(fx, 9, OMS_EXEC_ACCEPTED, 0);
  assert_non_null(a9);
  assert_string_not_equal(a9->venue_order_id, "SIM-9");
  assert_true(strlen(a9->exec_id) > strlen("SIM-E99"));
  /* The stop still fires; the GTD still expires. */
  assert_int_equal(lim(fx, 10, OMS_SIDE_BUY, "1", "100.60"), 0); /* takes 8 */
  fx->t = 5000000000;
  vpoll(fx);
  assert_non_null(find(fx, 6, OMS_EXEC_TRIGGERED, 0));
  assert_non_null(find(fx, 7, OMS_EXEC_EXPIRED, 0));
  oms_venue_destroy(fx->v);
  free(fx);

  /* And once more: what finished since is there as finished. */
  fx = fx_open_state(path, 6000000000, 0);
  statuses(fx, 3, after);
  assert_int_equal(after[0].status, OMS_VSTATUS_FILLED); /* 1 */
  assert_int_equal(after[0].cum, 700000000);
  assert_int_equal(after[1].status, OMS_VSTATUS_WORKING);   /* 2 */
  assert_int_equal(after[2].status, OMS_VSTATUS_CANCELLED); /* 3 */
  assert_int_equal(after[2].cum, 200000000);
  fx_close(fx);
  unlink(path);
}

static void test_restored_day_orders_expire_at_the_session_end(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_state(path, 1000000000, 0);
  oms_venue_order_t day = ord(1, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_DAY, "1", "99", NULL);
  assert_int_equal(send_new(fx, &day), 0);
  assert_int_equal(lim(fx, 2, OMS_SIDE_BUY, "1", "98"), 0);
  vpoll(fx);
  oms_venue_destroy(fx->v);
  free(fx);
  fx = fx_open_state(path, 3000000000, 2000000000); /* the session ended while it was down */
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_EXPIRED, 0));
  assert_null(find(fx, 2, OMS_EXEC_EXPIRED, 0));
  fx_close(fx);
  unlink(path);
}

static void test_restored_orders_trade_with_the_provider_quoting_again(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  s.lp.step_ns = 0;
  s.lp.refill_ns = 1000000000;
  oms_sim_config_t c = base_config(fx, &s);
  c.state_path = path;
  fx_open_cfg(fx, &c);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "35", "100.05"), 0); /* 30 fill, 5 rest */
  vpoll(fx);
  assert_int_equal(count(fx, 1, OMS_EXEC_FILL), 3);
  oms_venue_destroy(fx->v);
  fx->nrep = 0;
  /* Restarted: the provider's fresh quotes cross the restored bid. */
  fx_open_cfg(fx, &c);
  vpoll(fx);
  const oms_exec_report_t *f = find(fx, 1, OMS_EXEC_FILL, 0);
  assert_non_null(f);
  assert_dec(f->last_qty, "5");
  assert_dec(f->cum_qty, "35");
  assert_int_equal(f->status, OMS_VSTATUS_FILLED);
  fx_close(fx);
  unlink(path);
}

static void test_restored_orders_of_a_symbol_no_longer_there_are_dropped(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_state(path, 1000000000, 0);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "1", "99"), 0);
  oms_venue_destroy(fx->v);
  fx->nrep = 0;
  oms_sim_symbol_t other = abc_symbol();
  strcpy(other.ins.symbol, "XYZ");
  oms_sim_config_t c = base_config(fx, &other);
  c.state_path = path;
  fx_open_cfg(fx, &c);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(fx->v, &ss);
  assert_int_equal(ss.restored, 0);
  assert_int_equal(oms_venue_query_status(fx->v, 1), 0);
  vpoll(fx);
  assert_int_equal(find(fx, 1, OMS_EXEC_STATUS, 0)->status, OMS_VSTATUS_UNKNOWN);
  fx_close(fx);
  unlink(path);
}

static void test_a_venue_that_can_not_record_goes_down(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_state(path, 1000000000, 0);
  /* The file may not grow past its first chunk. */
  struct rlimit old, lim1;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  lim1 = old;
  lim1.rlim_cur = 300 * 1024;
  void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim1), 0);
  int rc = 0;
  uint64_t id = 0;
  while (rc == 0 && id < 100000) {
    id++;
    rc = lim(fx, id, OMS_SIDE_BUY, "1", "50");
    if (rc == 0) rc = oms_venue_send_cancel(fx->v, id);
    drain(fx);
  }
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, prev);
  assert_int_equal(rc, OMS_EDOWN);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(fx->v, &ss);
  assert_true(ss.state_errors > 0);
  assert_false(oms_venue_is_connected(fx->v));
  fx_close(fx);
  unlink(path);
}

/* A venue with fees and a 1 ms fill latency over the state file at path, at t. */
static fx_t *fx_open_fees(fx_t *fx, const char *path, uint32_t keep) {
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.state_path = path;
  c.fill_latency_ns = 1000000;
  c.maker_fee_rate = D("-0.0001");
  c.taker_fee_rate = D("0.001");
  c.finished_keep = keep;
  return fx_open_cfg(fx, &c);
}

typedef struct orders_walk_s {
  int working, finished;
  oms_sim_order_t last[8];
} orders_walk_t;

static int orders_cb(void *ctx, const oms_sim_order_t *o) {
  orders_walk_t *w = ctx;
  if (o->status == OMS_VSTATUS_WORKING)
    w->working++;
  else
    w->finished++;
  if (o->order_id >= 1 && o->order_id <= 8) w->last[o->order_id - 1] = *o;
  return 0;
}

static void test_a_restart_delivers_the_fills_and_ends_it_had_not_delivered(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_fees(fx_alloc(), path, 0);
  oms_venue_order_t gtd = ord(4, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTD, "1", "90", NULL);
  gtd.expire_ns = 1500000000;
  assert_int_equal(send_new(fx, &gtd), 0);
  assert_int_equal(lim(fx, 1, OMS_SIDE_SELL, "10", "100"), 0);
  fx->t = 1600000000;
  vpoll(fx); /* the acknowledgements; 4 expires, its report due in 1 ms */
  assert_null(find(fx, 4, OMS_EXEC_EXPIRED, 0));
  assert_int_equal(lim(fx, 2, OMS_SIDE_BUY, "4", "100"), 0); /* 1 and 2 trade 4 */
  assert_int_equal(lim(fx, 3, OMS_SIDE_BUY, "5", "99"), 0);
  assert_int_equal(oms_venue_send_cancel(fx->v, 3), 0);
  oms_venue_destroy(fx->v); /* killed: none of it delivered */
  fx->nrep = 0;

  /* Killed again before delivering: the same news at the next start. */
  static const char *ids[4] = {"SIM-E3", "SIM-E5", "SIM-E6", "SIM-E8"};
  for (int round = 0; round < 2; round++) {
    fx->t = 2000000000 + round;
    fx_open_fees(fx, path, 0);
    oms_sim_stats_t ss;
    oms_sim_venue_stats(fx->v, &ss);
    assert_int_equal(ss.redelivered, 4);
    assert_int_equal(ss.restored, 1);
    assert_int_equal(ss.restored_finished, 3);
    if (round == 0) {
      oms_venue_destroy(fx->v);
      continue;
    }
    vpoll(fx);
    assert_int_equal(fx->nrep, 4);
    /* in the order they happened, under their own exec ids */
    assert_int_equal(fx->rep[0].type, OMS_EXEC_EXPIRED);
    assert_int_equal(fx->rep[0].order_id, 4);
    const oms_exec_report_t *f1 = &fx->rep[1], *f2 = &fx->rep[2], *c3 = &fx->rep[3];
    assert_int_equal(f1->type, OMS_EXEC_FILL);
    assert_int_equal(f1->order_id, 1);
    assert_dec(f1->last_qty, "4");
    assert_dec(f1->last_px, "100");
    assert_dec(f1->cum_qty, "4");
    assert_dec(f1->leaves_qty, "6");
    assert_dec(f1->fee, "-0.04");
    assert_int_equal(f1->liquidity, 'M');
    assert_int_equal(f1->status, OMS_VSTATUS_WORKING);
    assert_int_equal(f2->type, OMS_EXEC_FILL);
    assert_int_equal(f2->order_id, 2);
    assert_dec(f2->fee, "0.4");
    assert_int_equal(f2->liquidity, 'T');
    assert_int_equal(f2->status, OMS_VSTATUS_FILLED);
    assert_dec(f2->leaves_qty, "0");
    assert_int_equal(c3->type, OMS_EXEC_CANCELLED);
    assert_int_equal(c3->order_id, 3);
    assert_int_equal(fx->rep[0].ts_ns, 1600000000);
    for (int i = 0; i < 4; i++) assert_string_equal(fx->rep[i].exec_id, ids[i]); /* start 0's */
    fx->nrep = 0;
  }
  /* The finished answer for themselves, with AvgPx; the walk shows them. */
  seen_t st[4];
  statuses(fx, 4, st);
  assert_int_equal(st[1].status, OMS_VSTATUS_FILLED);
  assert_int_equal(st[2].status, OMS_VSTATUS_CANCELLED);
  assert_int_equal(st[3].status, OMS_VSTATUS_EXPIRED);
  assert_int_equal(oms_venue_query_status(fx->v, 2), 0);
  vpoll(fx);
  assert_dec(find(fx, 2, OMS_EXEC_STATUS, 0)->avg_px, "100");
  orders_walk_t w;
  memset(&w, 0, sizeof w);
  assert_int_equal(oms_sim_venue_orders(fx->v, orders_cb, &w), 0);
  assert_int_equal(w.working, 1);
  assert_int_equal(w.finished, 3);
  assert_int_equal(w.last[1].status, OMS_VSTATUS_FILLED);
  assert_dec(w.last[1].avg_px, "100");
  assert_dec(w.last[1].leaves_qty, "0");
  assert_dec(w.last[0].cum_qty, "4");
  oms_venue_destroy(fx->v);
  fx->nrep = 0;
  /* Delivered and recorded as such: nothing again. */
  fx_open_fees(fx, path, 0);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(fx->v, &ss);
  assert_int_equal(ss.redelivered, 0);
  assert_int_equal(ss.restored_finished, 3);
  fx_close(fx);
  unlink(path);
}

static void test_finished_keep_bounds_the_finished_a_restart_keeps(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_fees(fx_alloc(), path, 2);
  for (uint64_t id = 1; id <= 5; id++) {
    assert_int_equal(lim(fx, id, OMS_SIDE_BUY, "1", "50"), 0);
    assert_int_equal(oms_venue_send_cancel(fx->v, id), 0);
    fx->t += 2000000;
    drain(fx);
  }
  oms_venue_destroy(fx->v);
  fx_open_fees(fx, path, 2);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(fx->v, &ss);
  assert_int_equal(ss.restored_finished, 2);
  seen_t st[5];
  fx->t += 1;
  statuses(fx, 5, st);
  for (int i = 0; i < 5; i++)
    assert_int_equal(st[i].status, i < 3 ? OMS_VSTATUS_UNKNOWN : OMS_VSTATUS_CANCELLED);
  fx_close(fx);
  unlink(path);
}

static void test_a_trade_made_while_restoring_is_delivered_after_the_next_restart(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = lp_symbol();
  s.lp.step_ns = 0;
  s.lp.refill_ns = 1000000000;
  oms_sim_config_t c = base_config(fx, &s);
  c.state_path = path;
  fx_open_cfg(fx, &c);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "35", "100.05"), 0); /* 30 fill, 5 rest */
  vpoll(fx);
  oms_venue_destroy(fx->v);
  fx_open_cfg(fx, &c); /* the fresh quotes fill the rest: its report queued */
  oms_venue_destroy(fx->v);
  fx->nrep = 0;
  fx_open_cfg(fx, &c);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(fx->v, &ss);
  assert_int_equal(ss.redelivered, 1);
  assert_int_equal(ss.restored, 0);
  vpoll(fx);
  const oms_exec_report_t *f = find(fx, 1, OMS_EXEC_FILL, 0);
  assert_non_null(f);
  assert_dec(f->last_qty, "5");
  assert_dec(f->cum_qty, "35");
  assert_int_equal(f->status, OMS_VSTATUS_FILLED);
  assert_null(find(fx, 1, OMS_EXEC_FILL, 1));
  fx_close(fx);
  unlink(path);
}

static void test_undelivered_fills_of_a_symbol_no_longer_there_are_still_delivered(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  fx_t *fx = fx_open_state(path, 1000000000, 0);
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "1", "99"), 0);
  assert_int_equal(lim(fx, 2, OMS_SIDE_SELL, "1", "99"), 0); /* both filled, not delivered */
  oms_venue_destroy(fx->v);
  oms_sim_symbol_t other = abc_symbol();
  strcpy(other.ins.symbol, "XYZ");
  oms_sim_config_t c = base_config(fx, &other);
  c.state_path = path;
  for (int round = 0; round < 2; round++) {
    fx->nrep = 0;
    fx_open_cfg(fx, &c);
    oms_sim_stats_t ss;
    oms_sim_venue_stats(fx->v, &ss);
    assert_int_equal(ss.redelivered, 2);
    assert_int_equal(ss.restored_finished, 0); /* the orders are gone, their news is not */
    if (round == 0) oms_venue_destroy(fx->v);
  }
  vpoll(fx);
  assert_non_null(find(fx, 1, OMS_EXEC_FILL, 0));
  assert_non_null(find(fx, 2, OMS_EXEC_FILL, 0));
  assert_int_equal(find(fx, 2, OMS_EXEC_FILL, 0)->status, OMS_VSTATUS_FILLED);
  fx_close(fx);
  unlink(path);
}

static void test_a_state_file_of_another_layout_is_refused(void **state) {
  (void)state;
  char path[64];
  state_path(path, sizeof path);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("not a state file of this layout", f);
  fclose(f);
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.state_path = path;
  oms_venue_t *v = (oms_venue_t *)1;
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_ECORRUPT);
  assert_null(v);
  free(fx);
  unlink(path);
}

static void test_unreadable_state_is_refused_at_creation(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.state_path = "/nonexistent-dir/venue.state";
  oms_venue_t *v = (oms_venue_t *)1;
  assert_int_equal(oms_sim_venue_create(&c, &v), OMS_EIO);
  assert_null(v);
  free(fx);
}

/* ---- The walk of working orders (a standalone exchange's mass status) ---------- */

typedef struct walk_s {
  oms_sim_order_t seen[8];
  int n, stop_after;
} walk_t;

static int walk_cb(void *ctx, const oms_sim_order_t *o) {
  walk_t *w = (walk_t *)ctx;
  w->seen[w->n++] = *o;
  return w->n == w->stop_after ? 42 : 0;
}

static void test_working_walk_shows_only_live_orders_with_their_quantities(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "10", "100.00"), 0);
  assert_int_equal(lim(fx, 2, OMS_SIDE_SELL, "4", "100.00"), 0); /* fills 4 of order 1 */
  assert_int_equal(lim(fx, 3, OMS_SIDE_SELL, "5", "101.00"), 0);
  oms_venue_order_t stop = ord(4, OMS_SIDE_BUY, OMS_ORD_STOP, OMS_TIF_DAY, "1", NULL, "105");
  assert_int_equal(send_new(fx, &stop), 0);
  assert_int_equal(lim(fx, 5, OMS_SIDE_BUY, "1", "99.00"), 0);
  assert_int_equal(oms_venue_send_cancel(fx->v, 5), 0);
  drain(fx);
  walk_t w = {.stop_after = -1};
  assert_int_equal(oms_sim_venue_working(fx->v, walk_cb, &w), 0);
  assert_int_equal(w.n, 3); /* 1 (partly filled), 3, the stop 4; not 2 (filled) nor 5 */
  bool got[6] = {false};
  for (int i = 0; i < w.n; i++) {
    const oms_sim_order_t *o = &w.seen[i];
    got[o->order_id] = true;
    assert_string_equal(o->symbol, "ABC");
    if (o->order_id == 1) {
      assert_int_equal(o->side, OMS_SIDE_BUY);
      assert_int_equal(o->type, OMS_ORD_LIMIT);
      assert_int_equal(o->tif, OMS_TIF_GTC);
      assert_dec(o->qty, "10");
      assert_dec(o->cum_qty, "4");
      assert_dec(o->leaves_qty, "6");
      assert_dec(o->price, "100");
      assert_string_equal(o->venue_order_id, "SIM-1");
    }
    if (o->order_id == 4) {
      assert_int_equal(o->type, OMS_ORD_STOP);
      assert_dec(o->stop_price, "105");
    }
  }
  assert_true(got[1] && got[3] && got[4]);
  fx_close(fx);
}

static void test_working_walk_stops_at_the_callbacks_word_and_refuses_other_venues(void **state) {
  (void)state;
  fx_t *fx = fx_open();
  assert_int_equal(lim(fx, 1, OMS_SIDE_BUY, "1", "100.00"), 0);
  assert_int_equal(lim(fx, 2, OMS_SIDE_BUY, "1", "99.00"), 0);
  walk_t w = {.stop_after = 1};
  assert_int_equal(oms_sim_venue_working(fx->v, walk_cb, &w), 42);
  assert_int_equal(w.n, 1);
  assert_int_equal(oms_sim_venue_working(fx->v, NULL, &w), OMS_EINVAL);
  assert_int_equal(oms_sim_venue_working(NULL, walk_cb, &w), OMS_EINVAL);
  fx_close(fx);
}

/* ---- send_order: the order as it is, the same as send_new of its conversion ---- */

/* on_report and on_md copying every byte (a struct assignment need not
 * copy padding), for the byte comparisons below. */
static void on_report_bytes(void *ctx, const oms_exec_report_t *r) {
  fx_t *fx = (fx_t *)ctx;
  assert_true(fx->nrep < MAXREP);
  memcpy(&fx->rep[fx->nrep++], r, sizeof *r);
}
static void on_md_bytes(void *ctx, const oms_market_data_t *md) {
  fx_t *fx = (fx_t *)ctx;
  if (fx->nmd < MAXREP) memcpy(&fx->md[fx->nmd++], md, sizeof *md);
}

static uint64_t eq_rng(uint64_t *s) {
  *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
  return *s >> 33;
}

/* Two venues alike, one given every new order through send_new of the
 * router's conversion (the fields copied, the native ones zero), the other
 * through send_order of the order itself; in between the same cancels,
 * replaces, clock steps and polls. Symbols of one, two and more key words,
 * two that share their first word, one unknown, names with bytes after
 * their NUL; good orders of every type and time in force and bad ones of
 * every kind. Every answer, report, snapshot and statistic is the same. */
static void test_send_order_is_send_new_of_the_conversion(void **state) {
  (void)state;
  static const char *names[] = {"ABC",
                                "ABCDEFG",
                                "ABCDEFGH",
                                "ABCDEFGH2",
                                "ABCDEFGHIJKLMNO",
                                "ABCDEFGHIJKLMNOP",
                                "A.VERY.LONG.SYMBOL.NAME.31CHARS"};
  enum { NS = sizeof names / sizeof names[0] };
  oms_sim_symbol_t ss[NS];
  for (int i = 0; i < NS; i++) {
    ss[i] = abc_symbol();
    strcpy(ss[i].ins.symbol, names[i]);
  }
  ss[2].lp.enabled = true; /* a provider to trade against */
  ss[2].lp.ref_px = D("100");
  ss[2].lp.levels = 3;
  ss[2].lp.size = D("5");
  ss[2].lp.step_ns = 1000;
  fx_t *a = fx_alloc(), *b = fx_alloc();
  oms_sim_config_t ca = base_config(a, ss), cb = base_config(b, ss);
  ca.symbols = cb.symbols = ss;
  ca.nsymbols = cb.nsymbols = NS;
  ca.max_orders = cb.max_orders = 64; /* records recycled */
  ca.report_capacity = cb.report_capacity = 64;
  ca.ack_latency_ns = cb.ack_latency_ns = 3;
  ca.fill_latency_ns = cb.fill_latency_ns = 5;
  ca.session_end_ns = cb.session_end_ns = a->t + 400000;
  ca.taker_fee_rate = cb.taker_fee_rate = D("0.001");
  ca.seed = cb.seed = 7;
  fx_open_cfg(a, &ca);
  fx_open_cfg(b, &cb);
  oms_venue_handler_t ha = {on_report_bytes, on_md_bytes, on_conn, a};
  oms_venue_handler_t hb = {on_report_bytes, on_md_bytes, on_conn, b};
  oms_venue_set_handler(a->v, &ha);
  oms_venue_set_handler(b->v, &hb);
  assert_non_null(b->v->vt->send_order);
  uint64_t rng = 1;
  for (int i = 0; i < 4000; i++) {
    uint64_t k = eq_rng(&rng);
    oms_order_t o;
    memset(&o, 0, sizeof o);
    o.order_id = k % 50 == 0 ? k % 3 : (uint64_t)i + 1; /* some 0, some repeated */
    strcpy(o.account_id, "acct");
    strcpy(o.venue, "SIM");
    if (k % 17 == 0)
      strcpy(o.symbol, "ZZZ");
    else
      strcpy(o.symbol, names[k % NS]);
    if (k % 5 == 0) memset(o.symbol + strlen(o.symbol) + 1, 'x', 4); /* past the NUL */
    k = eq_rng(&rng);
    o.side = k % 29 == 0 ? (oms_side_t)7 : (k & 1) ? OMS_SIDE_BUY : OMS_SIDE_SELL;
    o.type = (oms_ord_type_t)(k / 2 % 5); /* 0 is no type */
    o.tif = (oms_tif_t)(k / 10 % 7);
    o.instructions = (k / 70 % 6 == 0) ? OMS_INST_POST_ONLY : 0;
    k = eq_rng(&rng);
    o.qty = oms_dec_from_raw((int64_t)(k % 12) * OMS_DEC_SCALE - (k % 13 == 0 ? 1 : 0));
    o.price = oms_dec_from_raw((int64_t)(9700 + k / 16 % 600) * (OMS_DEC_SCALE / 100) +
                               (k % 31 == 0 ? 1 : 0));
    o.stop_price = (k / 8 % 3)
                       ? oms_dec_from_raw((int64_t)(9900 + k / 64 % 200) * (OMS_DEC_SCALE / 100))
                       : OMS_DEC_ZERO;
    o.expire_ns = (k / 4 % 4 == 0) ? 0 : a->t + (int64_t)(k % 3000) - 500;
    /* the router's conversion for a venue that maps no symbol */
    oms_venue_order_t vo;
    memset(&vo, 0, sizeof vo);
    vo.order_id = o.order_id;
    memcpy(vo.account_id, o.account_id, sizeof vo.account_id);
    memcpy(vo.symbol, o.symbol, sizeof vo.symbol);
    vo.side = o.side;
    vo.type = o.type;
    vo.tif = o.tif;
    vo.instructions = o.instructions;
    vo.qty = o.qty;
    vo.price = o.price;
    vo.stop_price = o.stop_price;
    vo.expire_ns = o.expire_ns;
    int ra = oms_venue_send_new(a->v, &vo), rb = b->v->vt->send_order(b->v, &o);
    assert_int_equal(ra, rb);
    k = eq_rng(&rng);
    uint64_t old = k % 40 + 1 > (uint64_t)i ? 1 : (uint64_t)i - k % 40;
    if (k % 7 == 0) {
      assert_int_equal(oms_venue_send_cancel(a->v, old), oms_venue_send_cancel(b->v, old));
    } else if (k % 7 == 1) {
      oms_dec_t q = oms_dec_from_raw((int64_t)(k / 8 % 10) * OMS_DEC_SCALE);
      oms_dec_t px = oms_dec_from_raw((int64_t)(9900 + k / 80 % 200) * (OMS_DEC_SCALE / 100));
      assert_int_equal(oms_venue_send_replace(a->v, old, q, px, OMS_DEC_ZERO),
                       oms_venue_send_replace(b->v, old, q, px, OMS_DEC_ZERO));
    }
    if (k % 3 == 0) {
      a->t += (int64_t)(k % 700);
      b->t = a->t;
      assert_int_equal(vpoll(a), vpoll(b));
    }
    if (k % 400 == 0) {
      oms_sim_venue_set_connected(a->v, k % 800 != 0);
      oms_sim_venue_set_connected(b->v, k % 800 != 0);
    }
    assert_int_equal(a->nrep, b->nrep);
    for (int j = 0; j < a->nrep; j++)
      assert_memory_equal(&a->rep[j], &b->rep[j], sizeof(oms_exec_report_t));
    assert_int_equal(a->nmd, b->nmd);
    for (int j = 0; j < a->nmd; j++)
      assert_memory_equal(&a->md[j], &b->md[j], sizeof(oms_market_data_t));
    a->nrep = b->nrep = a->nmd = b->nmd = 0;
  }
  oms_sim_stats_t sa, sb;
  oms_sim_venue_stats(a->v, &sa);
  oms_sim_venue_stats(b->v, &sb);
  assert_memory_equal(&sa, &sb, sizeof sa);
  assert_true(sa.orders > 1000 && sa.trades > 50); /* the mix did trade and refuse */
  for (int i = 0; i < NS; i++) {
    const oms__book_t *ba = oms__sim_venue_book(a->v, names[i]);
    const oms__book_t *bb = oms__sim_venue_book(b->v, names[i]);
    assert_int_equal(oms__book_order_count(ba), oms__book_order_count(bb));
    assert_int_equal(oms__book_version(ba), oms__book_version(bb));
  }
  fx_close(a);
  fx_close(b);
}

/* The report ring starts again at its first cell whenever a poll empties
 * it: reports still come in their order, numbered one after the other,
 * through many rounds of a ring of 16, emptied or not. */
static void test_reports_keep_their_order_as_the_ring_restarts(void **state) {
  (void)state;
  fx_t *fx = fx_alloc();
  oms_sim_symbol_t s = abc_symbol();
  oms_sim_config_t c = base_config(fx, &s);
  c.report_capacity = 16;
  c.ack_latency_ns = 10;
  fx_open_cfg(fx, &c);
  uint64_t id = 0, last_exec = 0;
  int seen = 0;
  for (int round = 0; round < 200; round++) {
    int n = round % 5 + 1;
    for (int i = 0; i < n; i++) {
      assert_int_equal(lim(fx, ++id, OMS_SIDE_BUY, "1", "10.00"), 0);
      fx->t += 4; /* round 3 polls some of them due and some not */
    }
    fx->t += round % 3 == 0 ? 0 : 10;
    vpoll(fx);
    for (int j = 0; j < fx->nrep; j++) {
      const char *e = strrchr(fx->rep[j].exec_id, 'E');
      assert_non_null(e);
      uint64_t exec = strtoull(e + 1, NULL, 10);
      assert_int_equal(exec, last_exec + 1);
      last_exec = exec;
      assert_int_equal(fx->rep[j].order_id, (uint64_t)++seen);
      assert_int_equal(fx->rep[j].type, OMS_EXEC_ACCEPTED);
    }
    fx->nrep = 0;
  }
  fx->t += 100;
  vpoll(fx);
  seen += fx->nrep;
  assert_int_equal((uint64_t)seen, id);
  oms_sim_stats_t st;
  oms_sim_venue_stats(fx->v, &st);
  assert_int_equal(st.reports_pending, 0);
  assert_int_equal(st.reports_dropped, 0);
  fx_close(fx);
}

/* The division-free step test answers as oms_dec_is_multiple does: odd,
 * even and power-of-two steps, the extremes, steps <= 0, values of either
 * sign, and multiples and near-multiples drawn from a fixed seed. */
static void test_step_test_matches_dec_is_multiple(void **state) {
  (void)state;
  const int64_t steps[] = {
      1,         2,         3,         7,       10,        1000000,       1 << 20,
      100000000, 123456789, 999999937, 6 << 20, INT64_MAX, INT64_MAX - 1, (int64_t)1 << 62,
      0,         -5,        INT64_MIN};
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
    oms_dec_t step = oms_dec_from_raw(steps[k]);
    uint8_t rot;
    oms__vstep_t s = oms__vstep(step, &rot);
    const int64_t edge[] = {0,
                            1,
                            -1,
                            2,
                            INT64_MAX,
                            INT64_MIN,
                            INT64_MIN + 1,
                            steps[k],
                            (int64_t)(0 - (uint64_t)steps[k]),
                            (int64_t)((uint64_t)steps[k] * 2),
                            (int64_t)((uint64_t)steps[k] + 1),
                            (int64_t)((uint64_t)steps[k] - 1)};
    for (size_t j = 0; j < sizeof(edge) / sizeof(edge[0]); j++) {
      if (edge[j] == INT64_MIN && steps[k] == -1) continue; /* % would trap */
      oms_dec_t a = oms_dec_from_raw(edge[j]);
      assert_int_equal(oms__vstep_multiple(a, s, rot), oms_dec_is_multiple(a, step));
    }
    for (int i = 0; i < 50000; i++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      int64_t v = (int64_t)(seed >> 1) >> (seed % 62);
      if (steps[k] > 0 && i % 2 == 0) /* in unsigned arithmetic: may wrap */
        v = (int64_t)((uint64_t)((v / steps[k]) * steps[k]) + (uint64_t)(i % 3) - 1);
      if (seed & 1) v = (int64_t)(0 - (uint64_t)v);
      oms_dec_t a = oms_dec_from_raw(v);
      assert_int_equal(oms__vstep_multiple(a, s, rot), oms_dec_is_multiple(a, step));
    }
  }
}

/* The venue refuses exactly the new orders off its tick or lot, with steps
 * odd, even and powers of two: the answer of each is the one
 * oms_dec_is_multiple gives. */
static void test_new_order_steps_match_dec_is_multiple(void **state) {
  (void)state;
  const char *ticks[] = {"0.01", "0.05", "0.00000003", "0.25", "1.28", "7", "0.00000001"};
  const char *lots[] = {"1", "3", "0.5", "100", "0.00000001", "64", "0.07"};
  for (size_t k = 0; k < sizeof(ticks) / sizeof(ticks[0]); k++) {
    fx_t *fx = fx_alloc();
    oms_sim_symbol_t sy = abc_symbol();
    sy.ins.tick_size = D(ticks[k]);
    sy.ins.lot_size = D(lots[k]);
    oms_sim_config_t c = base_config(fx, &sy);
    c.max_orders = 4096;
    c.report_capacity = 4096;
    fx_open_cfg(fx, &c);
    uint64_t seed = 12345u + k;
    for (uint64_t id = 1; id <= 600; id++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      int64_t q = sy.ins.lot_size.raw * (int64_t)(1 + (seed >> 40) % 5) + (int64_t)(seed % 3) - 1;
      int64_t p =
          sy.ins.tick_size.raw * (int64_t)(100 + (seed >> 20) % 50) + (int64_t)(seed >> 8) % 3 - 1;
      if (q <= 0) q = 1;
      if (p <= 0) p = 1;
      bool stop = (seed >> 60) % 2 == 0;
      int64_t sp = p + (int64_t)((seed >> 33) % 2);
      oms_venue_order_t o = ord(id, OMS_SIDE_BUY, stop ? OMS_ORD_STOP_LIMIT : OMS_ORD_LIMIT,
                                OMS_TIF_GTC, "1", "1", NULL);
      o.qty = oms_dec_from_raw(q);
      o.price = oms_dec_from_raw(p);
      if (stop) o.stop_price = oms_dec_from_raw(sp);
      assert_int_equal(send_new(fx, &o), 0);
      oms_reason_t want = OMS_R_NONE;
      if (!oms_dec_is_multiple(o.qty, sy.ins.lot_size))
        want = OMS_R_LOT_SIZE;
      else if (!oms_dec_is_multiple(o.price, sy.ins.tick_size) ||
               (stop && !oms_dec_is_multiple(o.stop_price, sy.ins.tick_size)))
        want = OMS_R_TICK_SIZE;
      fx->t += 1000000;
      vpoll(fx);
      const oms_exec_report_t *r = &fx->rep[fx->nrep - 1];
      assert_int_equal(r->order_id, id);
      if (want == OMS_R_NONE) {
        assert_int_equal(r->type, OMS_EXEC_ACCEPTED);
      } else {
        assert_int_equal(r->type, OMS_EXEC_REJECTED);
        assert_int_equal(r->reason, want);
      }
      fx->nrep = 0;
    }
    fx_close(fx);
  }
}

/* A symbol is found by its name whatever its length (the first words and
 * the last word's mask the venue keeps), and a name that differs in its
 * last byte, or is one byte longer or shorter, is not its. */
static void test_symbol_names_of_every_length_are_matched_exactly(void **state) {
  (void)state;
  for (size_t len = 1; len <= OMS_SYMBOL_MAX; len++) {
    fx_t *fx = fx_alloc();
    oms_sim_symbol_t sy = abc_symbol();
    memset(sy.ins.symbol, 0, sizeof(sy.ins.symbol));
    for (size_t i = 0; i < len; i++) sy.ins.symbol[i] = (char)('A' + (i * 7) % 26);
    oms_sim_config_t c = base_config(fx, &sy);
    fx_open_cfg(fx, &c);
    char names[4][OMS_SYMBOL_MAX + 1];
    memset(names, 'x', sizeof(names)); /* bytes after the NUL are not read as the name */
    memcpy(names[0], sy.ins.symbol, len + 1);
    memcpy(names[1], sy.ins.symbol, len + 1);
    names[1][len - 1] = 'z';
    memcpy(names[2], sy.ins.symbol, len + 1);
    names[2][len - 1] = '\0';
    memcpy(names[3], sy.ins.symbol, len);
    names[3][len] = len < OMS_SYMBOL_MAX ? 'Q' : '\0';
    if (len < OMS_SYMBOL_MAX) names[3][len + 1] = '\0';
    for (int k = 0; k < 4; k++) {
      oms_venue_order_t o =
          ord((uint64_t)k + 1, OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "10", NULL);
      memcpy(o.symbol, names[k], sizeof(o.symbol));
      assert_int_equal(send_new(fx, &o), 0);
      fx->t += 1000000;
      vpoll(fx);
      assert_int_equal(fx->nrep, 1);
      bool same = k == 0 || (k == 3 && len == OMS_SYMBOL_MAX);
      assert_int_equal(fx->rep[0].type, same ? OMS_EXEC_ACCEPTED : OMS_EXEC_REJECTED);
      if (!same) assert_int_equal(fx->rep[0].reason, OMS_R_UNKNOWN_INSTRUMENT);
      fx->nrep = 0;
    }
    fx_close(fx);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_step_test_matches_dec_is_multiple),
      cmocka_unit_test(test_new_order_steps_match_dec_is_multiple),
      cmocka_unit_test(test_symbol_names_of_every_length_are_matched_exactly),
      cmocka_unit_test(test_new_limit_is_acknowledged_from_poll_not_from_send),
      cmocka_unit_test(test_price_time_priority_fills_best_price_then_oldest_at_maker_price),
      cmocka_unit_test(test_partial_fill_then_rest_reports_cum_and_leaves),
      cmocka_unit_test(test_exec_ids_are_unique),
      cmocka_unit_test(test_market_order_sweeps_levels_and_cancels_rest_for_no_liquidity),
      cmocka_unit_test(test_market_order_on_empty_book_is_cancelled_no_liquidity),
      cmocka_unit_test(test_ioc_limit_trades_then_cancels_its_rest),
      cmocka_unit_test(test_fok_that_cannot_fill_is_cancelled_without_trading),
      cmocka_unit_test(test_fok_that_can_fill_trades_in_full),
      cmocka_unit_test(test_post_only_that_would_cross_is_rejected),
      cmocka_unit_test(test_stop_triggers_on_trade_at_stop_price_and_fills_as_market),
      cmocka_unit_test(test_stop_limit_triggers_and_rests_as_limit),
      cmocka_unit_test(test_stop_cascade_triggers_every_stop_reached),
      cmocka_unit_test(test_stop_cascade_within_one_order),
      cmocka_unit_test(test_stop_can_be_cancelled_and_replaced_before_trigger),
      cmocka_unit_test(test_stops_reached_by_one_trade_trigger_in_arrival_order),
      cmocka_unit_test(test_cancel_removes_a_resting_order),
      cmocka_unit_test(test_cancel_after_fill_is_too_late_and_unknown_is_unknown),
      cmocka_unit_test(test_replace_qty_down_keeps_priority),
      cmocka_unit_test(test_replace_qty_up_or_new_price_loses_priority),
      cmocka_unit_test(test_replace_to_qty_at_or_below_filled_is_too_late),
      cmocka_unit_test(test_replace_that_crosses_trades_and_post_only_replace_is_refused),
      cmocka_unit_test(test_replace_refusals),
      cmocka_unit_test(test_reports_wait_for_their_latency_and_keep_their_order),
      cmocka_unit_test(test_day_order_expires_at_session_end),
      cmocka_unit_test(test_gtd_order_expires_at_its_expiry_time),
      cmocka_unit_test(test_expiry_heap_survives_many_cancelled_gtd_orders),
      cmocka_unit_test(test_fees_are_exact_with_maker_rebate_and_taker_fee),
      cmocka_unit_test(test_fee_rounds_once_with_the_configured_mode),
      cmocka_unit_test(test_lp_same_seed_gives_same_fills),
      cmocka_unit_test(test_lp_quotes_around_reference_and_replenishes_after_hit),
      cmocka_unit_test(test_lp_refill_waits_its_delay_so_a_large_order_rests_and_can_be_cancelled),
      cmocka_unit_test(test_lp_refill_after_its_delay_fills_the_resting_rest),
      cmocka_unit_test(test_lp_refill_delay_is_deterministic_with_the_seed),
      cmocka_unit_test(test_lp_walk_moves_the_reference_and_fills_resting_orders),
      cmocka_unit_test(test_market_data_publishes_top_of_book_and_trades),
      cmocka_unit_test(test_market_data_publishes_depth),
      cmocka_unit_test(test_venue_down_refuses_sends_and_announces_from_poll),
      cmocka_unit_test(test_silent_mode_withholds_ack_until_status_query),
      cmocka_unit_test(test_reject_next_refuses_that_many_orders),
      cmocka_unit_test(test_symbols_that_begin_alike_are_told_apart),
      cmocka_unit_test(test_invalid_new_orders_are_rejected_with_a_reason),
      cmocka_unit_test(test_malformed_and_duplicate_sends_are_errors),
      cmocka_unit_test(test_full_report_ring_refuses_sends_until_polled),
      cmocka_unit_test(test_done_orders_are_recycled_when_the_pool_is_full),
      cmocka_unit_test(test_a_duplicate_recycles_nothing_when_the_pool_is_full),
      cmocka_unit_test(test_ids_sharing_low_bits_are_found_and_recycled),
      cmocka_unit_test(test_full_book_cancels_the_order_with_capacity),
      cmocka_unit_test(test_self_trade_is_allowed_at_the_venue),
      cmocka_unit_test(test_bad_configuration_is_refused),
      cmocka_unit_test(test_restart_over_its_state_restores_every_working_order),
      cmocka_unit_test(test_restored_day_orders_expire_at_the_session_end),
      cmocka_unit_test(test_restored_orders_trade_with_the_provider_quoting_again),
      cmocka_unit_test(test_restored_orders_of_a_symbol_no_longer_there_are_dropped),
      cmocka_unit_test(test_a_restart_delivers_the_fills_and_ends_it_had_not_delivered),
      cmocka_unit_test(test_finished_keep_bounds_the_finished_a_restart_keeps),
      cmocka_unit_test(test_a_trade_made_while_restoring_is_delivered_after_the_next_restart),
      cmocka_unit_test(test_a_state_file_of_another_layout_is_refused),
      cmocka_unit_test(test_undelivered_fills_of_a_symbol_no_longer_there_are_still_delivered),
      cmocka_unit_test(test_a_venue_that_can_not_record_goes_down),
      cmocka_unit_test(test_unreadable_state_is_refused_at_creation),
      cmocka_unit_test(test_working_walk_shows_only_live_orders_with_their_quantities),
      cmocka_unit_test(test_working_walk_stops_at_the_callbacks_word_and_refuses_other_venues),
      cmocka_unit_test(test_send_order_is_send_new_of_the_conversion),
      cmocka_unit_test(test_reports_keep_their_order_as_the_ring_restarts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
