/* Tests for src/route/router.c: conversion, rate limits with cancels first,
 * queues, connection state and acknowledgement timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fakes.h"
#include "oms/route.h"
#include "oms_test.h"

typedef struct hooks_log_s {
  int unknown, failed;
  uint64_t last_id;
  int last_kind, last_err;
} hooks_log_t;

static void h_unknown(void *ctx, uint64_t id, const char *why) {
  hooks_log_t *l = ctx;
  (void)why;
  l->unknown++;
  l->last_id = id;
}
static void h_failed(void *ctx, uint64_t id, int kind, int err) {
  hooks_log_t *l = ctx;
  l->failed++;
  l->last_id = id;
  l->last_kind = kind;
  l->last_err = err;
}

static fake_venue_t fv;
static hooks_log_t hl;
static oms_router_t *r;

static oms_order_t order(uint64_t id, oms_side_t side, const char *qty, const char *px) {
  oms_order_request_t req;
  t_request(&req, "c", side, OMS_ORD_LIMIT, qty, px);
  oms_order_t o;
  oms_order_init(&o, id, &req, 0);
  return o;
}

static int setup_cfg(const oms_venue_route_config_t *cfg) {
  memset(&hl, 0, sizeof hl);
  fake_venue_init(&fv, "SIM");
  oms_router_hooks_t h = {.on_status_unknown = h_unknown, .on_send_failed = h_failed, .ctx = &hl};
  assert_int_equal(oms_router_create(2, 16, &h, &r), 0);
  assert_int_equal(oms_router_add_venue(r, &fv.base, cfg), 0);
  return 0;
}

static int setup(void **state) {
  (void)state;
  oms_venue_route_config_t cfg = {
      .msgs_per_sec = 2, .burst = 2, .queue_capacity = 3, .ack_timeout_ns = 100};
  return setup_cfg(&cfg);
}

static int teardown(void **state) {
  (void)state;
  oms_router_destroy(r);
  assert_int_equal(fv.destroyed, 1);
  return 0;
}

static void test_symbol_map_rounds_against_nobody(void **state) {
  (void)state;
  assert_int_equal(oms_router_map_symbol(r, "SIM", "BTC-USD", "XBTUSD", T_D("1"), T_D("0.01")), 0);
  oms_order_t o = order(1, OMS_SIDE_BUY, "1.239", "65000.5");
  oms_venue_order_t vo;
  oms_reject_t rej;
  assert_int_equal(oms_router_convert(r, &o, &vo, &rej), OMS_R_NONE);
  assert_string_equal(vo.symbol, "XBTUSD");
  assert_true(oms_dec_eq(vo.price, T_D("65000"))); /* a buy never pays more */
  assert_true(oms_dec_eq(vo.qty, T_D("1.23")));
  o = order(2, OMS_SIDE_SELL, "1", "65000.5");
  o.stop_price = T_D("64000.5");
  assert_int_equal(oms_router_convert(r, &o, &vo, &rej), OMS_R_NONE);
  assert_true(oms_dec_eq(vo.price, T_D("65001"))); /* a sell never gets less */
  assert_true(oms_dec_eq(vo.stop_price, T_D("64001")));
  o = order(3, OMS_SIDE_SELL, "0.001", "65000");
  assert_int_equal(oms_router_convert(r, &o, &vo, &rej), OMS_R_LOT_SIZE);
  o = order(4, OMS_SIDE_BUY, "1", "0.5");
  assert_int_equal(oms_router_convert(r, &o, &vo, &rej), OMS_R_TICK_SIZE);
  /* remapping replaces */
  assert_int_equal(oms_router_map_symbol(r, "SIM", "BTC-USD", "BTC/USD", T_D("0"), T_D("0")), 0);
  o = order(5, OMS_SIDE_BUY, "1.239", "65000.5");
  assert_int_equal(oms_router_convert(r, &o, &vo, &rej), OMS_R_NONE);
  assert_string_equal(vo.symbol, "BTC/USD");
  assert_true(oms_dec_eq(vo.qty, T_D("1.239")));
  for (int i = 0; i < 12; i++) {
    char s[16];
    snprintf(s, sizeof s, "S%d", i);
    assert_int_equal(oms_router_map_symbol(r, "SIM", s, s, T_D("0"), T_D("0")), 0);
  }
  assert_int_equal(oms_router_map_symbol(r, "NOPE", "A", "B", T_D("0"), T_D("0")), OMS_ENOTFOUND);
  assert_int_equal(oms_router_map_symbol(r, "SIM", "A", "B", T_D("-1"), T_D("0")), OMS_EINVAL);
  strcpy(o.venue, "NOPE");
  assert_int_equal(oms_router_convert(r, &o, &vo, &rej), OMS_R_UNKNOWN_VENUE);
}

static void test_rate_limit_queues_and_cancels_go_first(void **state) {
  (void)state;
  oms_reject_t rej;
  oms_order_t o[6];
  for (int i = 0; i < 6; i++) o[i] = order((uint64_t)i + 1, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &o[0], 1000, &rej), 0);
  assert_int_equal(oms_router_send_new(r, &o[1], 1000, &rej), 0);
  assert_int_equal(oms_router_send_new(r, &o[2], 1000, &rej), OMS_ROUTE_QUEUED);
  assert_int_equal(oms_router_send_new(r, &o[3], 1000, &rej), OMS_ROUTE_QUEUED);
  assert_int_equal(oms_router_send_cancel(r, &o[0], 1000, &rej), OMS_ROUTE_QUEUED);
  assert_int_equal(oms_router_send_replace(r, &o[1], T_D("2"), T_D("101"), T_D("0"), 1000, &rej),
                   OMS_ROUTE_QUEUED);
  assert_int_equal(oms_router_send_new(r, &o[4], 1000, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_VENUE_QUEUE_FULL);
  assert_string_equal(rej.text, "venue SIM rate limit queue is full");
  assert_int_equal(fv.nsent, 2);
  oms_router_acknowledged(r, 1);
  oms_router_acknowledged(r, 2);
  /* half a second later: one token, and the cancel goes before the news */
  oms_router_poll(r, 1000 + 500000000);
  assert_int_equal(fv.nsent, 3);
  assert_int_equal(fv.kinds[2], 2);
  oms_router_poll(r, 1000 + 2000000000);
  assert_int_equal(fv.nsent, 5);
  assert_int_equal(fv.ids[3], 3);
  assert_int_equal(fv.ids[4], 4);
  oms_router_acknowledged(r, 3);
  oms_router_acknowledged(r, 4);
  oms_router_poll(r, 1000 + 3000000000LL);
  assert_int_equal(fv.kinds[5], 3);
  oms_route_stats_t st;
  assert_int_equal(oms_router_stats(r, "SIM", &st), 0);
  assert_int_equal(st.sent_new, 4);
  assert_int_equal(st.sent_cancel, 1);
  assert_int_equal(st.sent_replace, 1);
  assert_int_equal(st.refused_full, 1);
  assert_int_equal(st.queue_depth, 0);
  assert_int_equal(oms_router_stats(r, "NOPE", &st), OMS_ENOTFOUND);
}

static void test_down_venue_refuses_news_and_queued_sends_can_fail(void **state) {
  (void)state;
  oms_reject_t rej;
  oms_order_t a = order(1, OMS_SIDE_BUY, "1", "100"), b = order(2, OMS_SIDE_BUY, "1", "100"),
              c = order(3, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &a, 0, &rej), 0);
  assert_int_equal(oms_router_send_new(r, &b, 0, &rej), 0);
  assert_int_equal(oms_router_send_new(r, &c, 0, &rej), OMS_ROUTE_QUEUED);
  oms_router_venue_state(r, "SIM", false, 10);
  assert_int_equal(hl.unknown, 2);             /* both in flight */
  oms_router_venue_state(r, "SIM", false, 10); /* no change, no repeat */
  assert_int_equal(hl.unknown, 2);
  oms_order_t d = order(4, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &d, 10, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_VENUE_DOWN);
  assert_int_equal(oms_router_send_replace(r, &a, T_D("1"), T_D("1"), T_D("0"), 10, &rej),
                   OMS_EREJECTED);
  assert_int_equal(oms_router_send_cancel(r, &a, 10, &rej), OMS_ROUTE_QUEUED); /* kept */
  /* up again: status queries for the two, then the queue drains */
  oms_router_venue_state(r, "SIM", true, 20);
  assert_int_equal(fv.kinds[2], 4);
  assert_int_equal(fv.kinds[3], 4);
  fv.send_rc = OMS_EINVAL; /* the connector refuses what comes next */
  oms_router_poll(r, 3000000000LL);
  assert_true(hl.failed >= 1);
  assert_int_equal(hl.last_err, OMS_EINVAL);
  fv.send_rc = 0;
  oms_router_acknowledged(r, 1);
  oms_router_acknowledged(r, 2);
  oms_router_acknowledged(r, 99); /* unknown: ignored */
  oms_route_stats_t st;
  oms_router_stats(r, "SIM", &st);
  assert_int_equal(st.inflight, 0);
}

static void test_hold_when_down(void **state) {
  (void)state;
  oms_router_destroy(r);
  oms_venue_route_config_t cfg = {.queue_capacity = 4, .hold_when_down = true};
  setup_cfg(&cfg);
  fv.connected = false;
  oms_router_venue_state(r, "SIM", false, 0);
  oms_reject_t rej;
  oms_order_t a = order(1, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &a, 0, &rej), OMS_ROUTE_QUEUED);
  assert_int_equal(fv.nsent, 0);
  fv.connected = true;
  oms_router_venue_state(r, "SIM", true, 5);
  oms_router_poll(r, 5);
  assert_int_equal(fv.nsent, 1);
  /* the connector says down although we thought it up */
  fv.connected = false;
  oms_order_t b = order(2, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &b, 6, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_VENUE_DOWN);
  fv.connected = true;
  fv.send_rc = OMS_EINVAL;
  assert_int_equal(oms_router_send_new(r, &b, 7, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_VENUE_REJECT);
}

static void test_ack_timeout_sends_status_query_not_resend(void **state) {
  (void)state;
  oms_reject_t rej;
  oms_order_t a = order(1, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &a, 0, &rej), 0);
  oms_router_poll(r, 99);
  assert_int_equal(fv.nsent, 1);
  oms_router_poll(r, 100);
  assert_int_equal(fv.nsent, 2);
  assert_int_equal(fv.kinds[1], 4);
  assert_int_equal(hl.unknown, 1);
  oms_router_poll(r, 150);
  assert_int_equal(fv.nsent, 2);
  oms_router_poll(r, 200); /* asks again, never resends the order */
  assert_int_equal(fv.kinds[2], 4);
  assert_int_equal(hl.unknown, 1);
  oms_router_acknowledged(r, 1);
  oms_router_poll(r, 1000);
  assert_int_equal(fv.nsent, 3);
}

static void test_track_unknown_after_restart(void **state) {
  (void)state;
  oms_order_t a = order(7, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_track_unknown(r, &a, 0), 0);
  assert_int_equal(fv.kinds[0], 4);
  assert_int_equal(oms_router_track_unknown(r, &a, 0), 0); /* again: one entry */
  oms_route_stats_t st;
  oms_router_stats(r, "SIM", &st);
  assert_int_equal(st.inflight, 1);
  strcpy(a.venue, "NOPE");
  assert_int_equal(oms_router_track_unknown(r, &a, 0), OMS_ENOTFOUND);
}

static void test_venue_management_errors(void **state) {
  (void)state;
  static fake_venue_t dup, second, third;
  fake_venue_init(&dup, "SIM");
  assert_int_equal(oms_router_add_venue(r, &dup.base, NULL), OMS_EEXIST);
  assert_int_equal(dup.destroyed, 1);
  fake_venue_init(&second, "B");
  assert_int_equal(oms_router_add_venue(r, &second.base, NULL), 0);
  fake_venue_init(&third, "C");
  assert_int_equal(oms_router_add_venue(r, &third.base, NULL), OMS_EFULL);
  assert_int_equal(third.destroyed, 1);
  assert_int_equal(oms_router_add_venue(r, NULL, NULL), OMS_EINVAL);
  assert_ptr_equal(oms_router_venue(r, "B"), &second.base);
  assert_null(oms_router_venue(r, "Z"));
  oms_reject_t rej;
  oms_order_t o = order(1, OMS_SIDE_BUY, "1", "100");
  strcpy(o.venue, "Z");
  assert_int_equal(oms_router_send_new(r, &o, 0, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_UNKNOWN_VENUE);
  assert_int_equal(oms_router_send_cancel(r, &o, 0, &rej), OMS_EREJECTED);
  assert_int_equal(oms_router_send_replace(r, &o, T_D("1"), T_D("1"), T_D("0"), 0, &rej),
                   OMS_EREJECTED);
  oms_router_venue_state(r, "Z", false, 0);
  /* B has no rate limit: everything goes at once */
  strcpy(o.venue, "B");
  for (int i = 0; i < 20; i++) {
    o.order_id = 100 + (uint64_t)i;
    assert_int_equal(oms_router_send_new(r, &o, 0, &rej), 0);
  }
  assert_int_equal(second.nsent, 20);
  oms_router_t *bad;
  assert_int_equal(oms_router_create(0, 1, NULL, &bad), OMS_EINVAL);
  oms_router_destroy(NULL);
}

/* The submission's question, asked before the order is written ahead:
 * unknown venue, a mapped symbol that does not convert, a venue down (in the
 * router's view and the connector's both), and a yes. */
static void test_check_new(void **state) {
  (void)state;
  oms_reject_t rej;
  oms_order_t o = order(1, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_check_new(r, &o, &rej), OMS_R_NONE);
  strcpy(o.venue, "Z");
  assert_int_equal(oms_router_check_new(r, &o, &rej), OMS_R_UNKNOWN_VENUE);
  assert_string_equal(rej.text, "no connector for venue Z");
  strcpy(o.venue, "SIM");
  assert_int_equal(oms_router_map_symbol(r, "SIM", o.symbol, "X", T_D("0"), T_D("10")), 0);
  assert_int_equal(oms_router_check_new(r, &o, &rej), OMS_R_LOT_SIZE);
  o.qty = T_D("20");
  assert_int_equal(oms_router_check_new(r, &o, &rej), OMS_R_NONE);
  fv.connected = false;
  oms_router_venue_state(r, "SIM", false, 0);
  assert_int_equal(oms_router_check_new(r, &o, &rej), OMS_R_VENUE_DOWN);
  assert_string_equal(rej.text, "venue SIM is not connected");
  fv.connected = true; /* the connector is up before the router heard */
  assert_int_equal(oms_router_check_new(r, &o, &rej), OMS_R_NONE);
}

static int setup_unlimited(void **state) {
  (void)state;
  oms_venue_route_config_t cfg = {.ack_timeout_ns = 100};
  return setup_cfg(&cfg);
}

static uint32_t inflight(void) {
  oms_route_stats_t st;
  oms_router_stats(r, "SIM", &st);
  return st.inflight;
}

/* In-flight orders are found by their ids' low bits; ids 1, 17 and 33 share
 * the slot of a table of 16, so two of them wait in the overflow pool, are
 * found there, time out and are acknowledged like the rest; at most 16 are
 * tracked, wherever they are. */
static void test_inflight_orders_sharing_a_slot(void **state) {
  (void)state;
  oms_reject_t rej;
  uint64_t ids[] = {1, 17, 33};
  for (int i = 0; i < 3; i++) {
    oms_order_t o = order(ids[i], OMS_SIDE_BUY, "1", "100");
    assert_int_equal(oms_router_send_new(r, &o, 0, &rej), 0);
  }
  assert_int_equal(inflight(), 3);
  oms_order_t b = order(17, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_track_unknown(r, &b, 0), 0); /* found, not added */
  assert_int_equal(inflight(), 3);
  assert_int_equal(fv.kinds[3], 4);
  assert_int_equal(fv.ids[3], 17);
  oms_router_acknowledged(r, 1); /* the slot is free, 17 is still in the pool */
  assert_int_equal(oms_router_track_unknown_later(r, &b, 0), 0);
  assert_int_equal(inflight(), 2);
  oms_order_t d = order(49, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &d, 0, &rej), 0);
  assert_int_equal(inflight(), 3);
  oms_router_poll(r, 100); /* every one of them is asked about, oldest first */
  assert_int_equal(fv.nsent, 8);
  assert_int_equal(fv.ids[5], 17);
  assert_int_equal(fv.ids[6], 33);
  assert_int_equal(fv.ids[7], 49);
  assert_int_equal(hl.unknown, 2); /* 17 was unknown already */
  oms_router_acknowledged(r, 5);   /* never tracked */
  oms_router_acknowledged(r, 33);
  oms_router_acknowledged(r, 17);
  oms_router_acknowledged(r, 49);
  oms_router_acknowledged(r, 49);
  assert_int_equal(inflight(), 0);
  oms_router_poll(r, 1000);
  assert_int_equal(fv.nsent, 8);
  for (uint64_t id = 100; id < 117; id++) {
    oms_order_t o = order(id, OMS_SIDE_BUY, "1", "100");
    assert_int_equal(oms_router_send_new(r, &o, 1000, &rej), 0);
  }
  assert_int_equal(inflight(), 16); /* 116 was sent, not tracked */
  oms_order_t f = order(117, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_track_unknown(r, &f, 1000), OMS_EFULL);
  oms_router_acknowledged(r, 100);
  assert_int_equal(oms_router_track_unknown_later(r, &f, 1000),
                   0); /* its slot is 101's: the pool */
  assert_int_equal(inflight(), 16);
  oms_router_acknowledged(r, 117);
  assert_int_equal(inflight(), 15);
}

/* ---- send_order: a venue that maps no symbol gets the order as it is ---- */

static int direct_sends;
static const oms_order_t *direct_last;

/* The fake venue's send_new of the order as the router converts it (the
 * fields copied, the native ones zero), counted apart. */
static int fv_send_order(oms_venue_t *v, const oms_order_t *o) {
  oms_venue_order_t vo;
  memset(&vo, 0, sizeof vo);
  vo.order_id = o->order_id;
  memcpy(vo.account_id, o->account_id, sizeof vo.account_id);
  memcpy(vo.symbol, o->symbol, sizeof vo.symbol);
  vo.side = o->side;
  vo.type = o->type;
  vo.tif = o->tif;
  vo.instructions = o->instructions;
  vo.qty = o->qty;
  vo.price = o->price;
  vo.stop_price = o->stop_price;
  vo.expire_ns = o->expire_ns;
  int rc = fv_send_new(v, &vo);
  if (rc == 0) {
    direct_sends++;
    direct_last = o;
  }
  return rc;
}

static const oms_venue_vtbl_t direct_vt = {.send_new = fv_send_new,
                                           .send_cancel = fv_send_cancel,
                                           .send_replace = fv_send_replace,
                                           .query_status = fv_query,
                                           .is_connected = fv_connected,
                                           .poll = fv_poll,
                                           .destroy = fv_destroy,
                                           .send_order = fv_send_order};

static void n_native(void *ctx, const oms_order_t *o, oms_venue_order_t *vo) {
  (void)ctx;
  (void)o;
  vo->native = OMS_VENUE_CAP_ICEBERG;
  vo->display_qty = T_D("1");
}

/* The same venue sent to through send_new as the router converts: what
 * send_order was given, converted, is what send_new would have been. */
static void same_as_converted(const oms_order_t *o, const oms_venue_order_t *got) {
  oms_venue_order_t vo;
  oms_reject_t rej;
  memset(&vo, 0, sizeof vo);
  assert_int_equal(oms_router_convert(r, o, &vo, &rej), OMS_R_NONE);
  /* field by field: a struct copy need not keep its padding */
  assert_int_equal(vo.order_id, got->order_id);
  assert_string_equal(vo.account_id, got->account_id);
  assert_memory_equal(vo.symbol, got->symbol, sizeof vo.symbol);
  assert_int_equal(vo.side, got->side);
  assert_int_equal(vo.type, got->type);
  assert_int_equal(vo.tif, got->tif);
  assert_int_equal(vo.instructions, got->instructions);
  assert_int_equal(vo.qty.raw, got->qty.raw);
  assert_int_equal(vo.price.raw, got->price.raw);
  assert_int_equal(vo.stop_price.raw, got->stop_price.raw);
  assert_int_equal(vo.expire_ns, got->expire_ns);
  assert_int_equal(vo.native, got->native);
  assert_int_equal(vo.display_qty.raw, got->display_qty.raw);
  assert_int_equal(vo.trail_offset.raw, got->trail_offset.raw);
}

/* send_order goes only where no conversion is needed: no symbol map, no
 * native type for a child (a hook to set one), the order going now;
 * elsewhere send_new of the conversion, as for a venue without it. Both
 * are counted, tracked and refused alike. */
static void test_send_order_only_where_nothing_converts(void **state) {
  (void)state;
  oms_router_destroy(r);
  memset(&hl, 0, sizeof hl);
  fake_venue_init(&fv, "SIM");
  fv.base.vt = &direct_vt;
  direct_sends = 0;
  oms_router_hooks_t h = {.on_status_unknown = h_unknown,
                          .on_send_failed = h_failed,
                          .ctx = &hl,
                          .native_of = n_native};
  assert_int_equal(oms_router_create(2, 16, &h, &r), 0);
  oms_venue_route_config_t cfg = {.msgs_per_sec = 2, .burst = 2, .queue_capacity = 3};
  assert_int_equal(oms_router_add_venue(r, &fv.base, &cfg), 0);
  oms_reject_t rej;
  oms_order_t a = order(1, OMS_SIDE_BUY, "1.5", "100.25");
  a.stop_price = T_D("99");
  a.expire_ns = 12345;
  a.instructions = OMS_INST_POST_ONLY;
  assert_int_equal(oms_router_send_new(r, &a, 0, &rej), 0);
  assert_int_equal(direct_sends, 1);
  assert_ptr_equal(direct_last, &a);
  same_as_converted(&a, &fv.news[0]);
  oms_order_t c = order(2, OMS_SIDE_SELL, "2", "101");
  c.parent_order_id = 1; /* a child: the hook may set native fields */
  assert_int_equal(oms_router_send_new(r, &c, 0, &rej), 0);
  assert_int_equal(direct_sends, 1);
  assert_int_equal(fv.news[1].native, OMS_VENUE_CAP_ICEBERG);
  oms_order_t q = order(3, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &q, 0, &rej), OMS_ROUTE_QUEUED); /* no token */
  assert_int_equal(fv.nsent, 2);
  oms_router_poll(r, 500000000); /* a token back: drained through send_new */
  assert_int_equal(fv.nsent, 3);
  assert_int_equal(direct_sends, 1);
  same_as_converted(&q, &fv.news[2]);
  oms_route_stats_t st;
  oms_router_stats(r, "SIM", &st);
  assert_int_equal(st.sent_new, 3);
  assert_int_equal(st.inflight, 3);
  /* refused by the connector: the same refusal either way */
  fv.send_rc = OMS_EINVAL;
  oms_order_t d = order(4, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &d, 2000000000, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_VENUE_REJECT);
  fv.send_rc = 0;
  fv.connected = false;
  assert_int_equal(oms_router_send_new(r, &d, 3000000000, &rej), OMS_EREJECTED);
  assert_int_equal(rej.code, OMS_R_VENUE_DOWN);
  fv.connected = true;
  /* a venue that maps a symbol converts every order */
  assert_int_equal(oms_router_map_symbol(r, "SIM", "OTHER", "X", T_D("0"), T_D("0")), 0);
  oms_order_t e = order(5, OMS_SIDE_BUY, "1", "100");
  assert_int_equal(oms_router_send_new(r, &e, 4000000000, &rej), 0);
  assert_int_equal(direct_sends, 1);
  same_as_converted(&e, &fv.news[fv.nsent - 1]);
  oms_router_stats(r, "SIM", &st);
  assert_int_equal(st.sent_new, 4);
  assert_int_equal(st.inflight, 4);
  assert_int_equal(st.refused_down, 1);
}

/* An order's venue is found by its name's words, whatever its length (one
 * word or two), whatever follows its NUL, and only by its whole name. */
static void test_venues_found_by_their_whole_name(void **state) {
  (void)state;
  static const char *names[] = {"A", "ABCDEFG", "ABCDEFGH", "ABCDEFGHIJKLMN", "ABCDEFGHIJKLMNO"};
  enum { NV = sizeof names / sizeof names[0] };
  static fake_venue_t fvs[NV];
  oms_router_t *rr;
  assert_int_equal(oms_router_create(NV, 64, NULL, &rr), 0);
  for (int i = 0; i < NV; i++) {
    fake_venue_init(&fvs[i], names[i]);
    assert_int_equal(oms_router_add_venue(rr, &fvs[i].base, NULL), 0);
  }
  static const char *others[] = {"",
                                 "B",
                                 "AB",
                                 "ABCDEF",
                                 "ABCDEFGHI",
                                 "ABCDEFGX",
                                 "ABCDEFGHIJKLM",
                                 "ABCDEFGHIJKLMNX",
                                 "XBCDEFGHIJKLMNO"};
  oms_reject_t rej;
  uint64_t id = 1;
  for (int garbage = 0; garbage < 2; garbage++) {
    for (int i = 0; i < NV; i++) {
      oms_order_t o = order(id++, OMS_SIDE_BUY, "1", "100");
      memset(o.venue, garbage ? 'Z' : 0, sizeof o.venue);
      memcpy(o.venue, names[i], strlen(names[i]) + 1); /* garbage after the NUL */
      assert_int_equal(oms_router_check_new(rr, &o, &rej), OMS_R_NONE);
      int before = fvs[i].nsent;
      assert_int_equal(oms_router_send_new(rr, &o, 0, &rej), 0);
      assert_int_equal(fvs[i].nsent, before + 1);
    }
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
      oms_order_t o = order(id++, OMS_SIDE_BUY, "1", "100");
      memset(o.venue, garbage ? 'A' : 0, sizeof o.venue);
      memcpy(o.venue, others[k], strlen(others[k]) + 1);
      assert_int_equal(oms_router_check_new(rr, &o, &rej), OMS_R_UNKNOWN_VENUE);
      assert_int_equal(oms_router_send_new(rr, &o, 0, &rej), OMS_EREJECTED);
      assert_int_equal(rej.code, OMS_R_UNKNOWN_VENUE);
    }
  }
  for (int i = 0; i < NV; i++) assert_int_equal(fvs[i].nsent, 2);
  oms_router_destroy(rr);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_symbol_map_rounds_against_nobody, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rate_limit_queues_and_cancels_go_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_down_venue_refuses_news_and_queued_sends_can_fail, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_hold_when_down, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ack_timeout_sends_status_query_not_resend, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_track_unknown_after_restart, setup, teardown),
      cmocka_unit_test_setup_teardown(test_venue_management_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_new, setup, teardown),
      cmocka_unit_test_setup_teardown(test_inflight_orders_sharing_a_slot, setup_unlimited,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_send_order_only_where_nothing_converts, setup, teardown),
      cmocka_unit_test(test_venues_found_by_their_whole_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
