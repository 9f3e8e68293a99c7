/* Tests for src/event/event.c: names both ways, the state machine mapping,
 * binary round trips (exact, refusing damaged input) and JSON for sinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "oms/error.h"
#include "unit/store/store_fixture.h"

static void test_type_names_round_trip(void **state) {
  (void)state;
  for (int t = 1; t <= OMS_EVT_MAX; t++) {
    oms_event_type_t back;
    assert_int_equal(oms_event_type_parse(oms_event_type_name((oms_event_type_t)t), &back), 0);
    assert_int_equal(back, t);
  }
  assert_string_equal(oms_event_type_name(OMS_EVT_ORDER_FILLED), "OrderFilled");
  assert_string_equal(oms_event_type_name((oms_event_type_t)0), "Unknown");
  assert_string_equal(oms_event_type_name((oms_event_type_t)(OMS_EVT_MAX + 1)), "Unknown");
  assert_string_equal(oms_event_type_name(OMS_EVT_RISK_REPORT), "RiskReport");
  assert_false(oms_event_is_order(OMS_EVT_RISK_REPORT));
  assert_false(oms_event_is_order(OMS_EVT_BEST_EXECUTION));
  oms_event_type_t t;
  assert_int_equal(oms_event_type_parse("orderfilled", &t), OMS_ENOTFOUND);
  assert_int_equal(oms_event_type_parse(NULL, &t), OMS_ENOTFOUND);
  assert_string_equal(oms_alarm_kind_name(OMS_ALARM_OVERFILL), "OVERFILL");
  assert_string_equal(oms_alarm_kind_name((oms_alarm_kind_t)77), "UNKNOWN");
  assert_true(oms_event_is_order(OMS_EVT_ORDER_DENIED));
  assert_false(oms_event_is_order(OMS_EVT_ALARM));
  assert_int_equal(OMS_EVT_MASK_ORDER & OMS_EVT_BIT(OMS_EVT_ALARM), 0);
  assert_int_not_equal(OMS_EVT_MASK_ALL & OMS_EVT_BIT(OMS_EVT_ALARM), 0);
}

static void test_state_machine_events_map_to_order_events(void **state) {
  (void)state;
  assert_int_equal(oms_event_type_for(OMS_EV_FILL, OMS_STATE_FILLED), OMS_EVT_ORDER_FILLED);
  assert_int_equal(oms_event_type_for(OMS_EV_FILL, OMS_STATE_PARTIALLY_FILLED),
                   OMS_EVT_ORDER_PARTIALLY_FILLED);
  static const oms_event_type_t want[OMS_EV_COUNT] = {
      OMS_EVT_ORDER_SUBMITTED, OMS_EVT_ORDER_DENIED,           OMS_EVT_ORDER_ACCEPTED,
      OMS_EVT_ORDER_REJECTED,  OMS_EVT_ORDER_PARTIALLY_FILLED, OMS_EVT_ORDER_PENDING_CANCEL,
      OMS_EVT_ORDER_CANCELLED, OMS_EVT_ORDER_CANCEL_REJECTED,  OMS_EVT_ORDER_PENDING_REPLACE,
      OMS_EVT_ORDER_REPLACED,  OMS_EVT_ORDER_REPLACE_REJECTED, OMS_EVT_ORDER_EXPIRED,
      OMS_EVT_ORDER_TRIGGERED};
  for (int e = 0; e < OMS_EV_COUNT; e++)
    assert_int_equal(oms_event_type_for((oms_ord_event_t)e, OMS_STATE_ACCEPTED), want[e]);
  assert_int_equal(oms_event_type_for(OMS_EV_COUNT, OMS_STATE_ACCEPTED), OMS_EVT_NONE);
}

static void full_event(oms_event_t *ev) {
  oms_order_t o;
  fx_order(&o, 42, "strat-1", "acct.1", "BTC-USD", T0);
  strcpy(o.metadata, "k=\"v\";\\n\x01");
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0 + 1, 1, ev);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 2, 2, ev);
  for (int i = 0; i < 20; i++) { /* more transitions than the inline audit holds */
    fx_apply(&o, OMS_EV_CANCEL_REQUEST, NULL, NULL, T0 + 3 + i, 3, ev);
    oms_ord_change_t ch = {.event = OMS_EV_CANCEL_REJECT, .ts_ns = T0 + 3 + i};
    assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  }
  fx_apply(&o, OMS_EV_FILL, "0.5", "100.25", T0 + 50, 77, ev);
  strcpy(ev->check, "max_order_qty");
  ev->reason = OMS_R_RISK_MAX_ORDER_QTY;
  strcpy(ev->text, "text");
  ev->scope_kind = 2;
  ev->old_state = 1;
  ev->new_state = 3;
  strcpy(ev->scope_id, "acct.1");
  ev->alarm = OMS_ALARM_OVERFILL;
  ev->alarm_code = -12345;
  ev->fill.multiplier = T_D("10");
}

static void test_binary_round_trip_is_exact(void **state) {
  (void)state;
  oms_event_t ev, back;
  full_event(&ev);
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  assert_true(n > 0 && n < OMS_EVENT_BIN_MAX);
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  assert_int_equal(back.seq, 77);
  assert_int_equal(back.type, OMS_EVT_ORDER_PARTIALLY_FILLED);
  assert_true(fx_same_order(&back.order, &ev.order));
  assert_int_equal(back.order.audit_count, ev.order.audit_count);
  assert_true(back.order.audit_count > OMS_AUDIT_INLINE);
  for (uint32_t s = back.order.audit_count - OMS_AUDIT_INLINE + 1; s <= back.order.audit_count;
       s++) {
    const oms_audit_t *a = oms_order_audit_get(&ev.order, s),
                      *b = oms_order_audit_get(&back.order, s);
    assert_non_null(b);
    assert_int_equal(a->to, b->to);
    assert_int_equal(a->ts_ns, b->ts_ns);
  }
  assert_true(back.order.cum_notional == ev.order.cum_notional);
  assert_true(oms_dec_eq(back.fill.price, T_D("100.25")));
  assert_string_equal(back.fill.exec_id, ev.fill.exec_id);
  assert_string_equal(back.check, "max_order_qty");
  assert_string_equal(back.scope_id, "acct.1");
  assert_int_equal(back.alarm_code, -12345);
  assert_int_equal(back.new_state, 3);
  assert_true(oms_dec_eq(back.fill.multiplier, T_D("10")));
  /* Re-encoding gives the same bytes. */
  uint8_t buf2[OMS_EVENT_BIN_MAX];
  assert_int_equal(oms_event_encode(&back, buf2, sizeof buf2), n);
  assert_memory_equal(buf, buf2, (size_t)n);
  /* Too small a buffer, at every size. */
  for (int cap = 0; cap < n; cap += 37)
    assert_int_equal(oms_event_encode(&ev, buf2, (size_t)cap), OMS_ENOSPC);
  /* Every truncation and a trailing byte are refused. */
  for (int len = 0; len < n; len++)
    assert_int_equal(oms_event_decode(buf, (size_t)len, &back), OMS_EPROTO);
  assert_int_equal(oms_event_decode(buf, (size_t)n + 1, &back), OMS_EPROTO);
  uint8_t bad[OMS_EVENT_BIN_MAX];
  memcpy(bad, buf, (size_t)n);
  bad[0] = 9; /* unknown format */
  assert_int_equal(oms_event_decode(bad, (size_t)n, &back), OMS_EPROTO);
  memcpy(bad, buf, (size_t)n);
  bad[1 + 4] = 0; /* no such type (the first field, after the event's bitmap) */
  assert_int_equal(oms_event_decode(bad, (size_t)n, &back), OMS_EPROTO);
  memcpy(bad, buf, (size_t)n);
  uint8_t *id = memmem(bad, (size_t)n, ev.order.client_order_id, strlen(ev.order.client_order_id));
  assert_non_null(id);
  id[-1] = 200; /* client order id length beyond its buffer */
  assert_int_equal(oms_event_decode(bad, (size_t)n, &back), OMS_EPROTO);
}

static void test_order_snapshot_round_trip(void **state) {
  (void)state;
  oms_event_t ev;
  full_event(&ev);
  oms_order_t back;
  uint8_t buf[OMS_ORDER_BIN_MAX];
  int n = oms_order_encode(&ev.order, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal(oms_order_decode(buf, (size_t)n, &back), 0);
  assert_true(fx_same_order(&back, &ev.order));
  assert_int_equal(oms_order_encode(&ev.order, buf, 10), OMS_ENOSPC);
  assert_int_equal(oms_order_decode(buf, 0, &back), OMS_EPROTO);
  /* A state out of range. */
  oms_order_t o = ev.order;
  o.state = (oms_ord_state_t)OMS_STATE_COUNT;
  n = oms_order_encode(&o, buf, sizeof buf);
  assert_int_equal(oms_order_decode(buf, (size_t)n, &back), OMS_EPROTO);
  /* From format 7 an audit entry's sequence number is its place in the
   * trail, not written: one that says otherwise in memory reads back by its
   * place (the dense formats wrote it, and refused one out of place: the
   * format 6 test below). */
  o = ev.order;
  o.audit[(o.audit_count - 1) % OMS_AUDIT_INLINE].seq = o.audit_count + 5;
  n = oms_order_encode(&o, buf, sizeof buf);
  assert_int_equal(oms_order_decode(buf, (size_t)n, &back), 0);
  assert_int_equal(back.audit[(o.audit_count - 1) % OMS_AUDIT_INLINE].seq, o.audit_count);
}

/* Inputs the fuzzer found (fuzz/regressions/fuzz_event_decode): each decoded
 * once but did not encode back to the same bytes. */
static void test_decoder_refuses_what_it_could_not_write_back(void **state) {
  (void)state;
  oms_event_t ev, back;
  full_event(&ev);
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  /* a string that carries a NUL inside its length: find the text of the
   * client order id and hide a NUL in it */
  uint8_t *p = memmem(buf, (size_t)n, ev.order.client_order_id, strlen(ev.order.client_order_id));
  assert_non_null(p);
  p[1] = 0;
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), OMS_EPROTO);
}

/* Stored bytes of each format, fixed here as they were written (the event
 * log keeps them for ever): format 1, an OrderSubmitted (the fuzz corpus's
 * "submitted"); format 2, an OrderPartiallyFilled of order 7 renamed c7b. */
static const uint8_t format_1_submitted[] = {
    0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x63, 0x31, 0x02, 0x73, 0x31, 0x01, 0x41, 0x03, 0x53, 0x49, 0x4d, 0x07, 0x42,
    0x54, 0x43, 0x2d, 0x55, 0x53, 0x44, 0x00, 0x01, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0xd1,
    0xf0, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x30, 0x66, 0xe9, 0x05, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xd1, 0xf0, 0x08, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t format_2_fill[] = {
    0x02, 0x03, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x01, 0x2a, 0x36, 0xfe, 0x9c,
    0x97, 0x17, 0x90, 0x01, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x63, 0x37, 0x02, 0x73, 0x31, 0x01, 0x41, 0x03, 0x53, 0x49, 0x4d, 0x07, 0x42,
    0x54, 0x43, 0x2d, 0x55, 0x53, 0x44, 0x02, 0x56, 0x37, 0x02, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xc2, 0xeb, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x80, 0xd4, 0x06, 0x57, 0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x02, 0x80, 0xf0, 0xfa, 0x02, 0x00, 0x00, 0x00, 0x00, 0x80, 0xd1, 0xf0, 0x08, 0x00, 0x00,
    0x00, 0x00, 0x40, 0x5c, 0x89, 0x55, 0x02, 0x00, 0x00, 0x00, 0x20, 0xae, 0xc4, 0x2a, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0xf4,
    0x01, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x03,
    0x63, 0x37, 0x62, 0x00, 0x80, 0xf0, 0xfa, 0x02, 0x00, 0x00, 0x00, 0x00, 0x40, 0x5c, 0x89, 0x55,
    0x02, 0x00, 0x00, 0x00, 0x40, 0x42, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4d, 0x02, 0x45, 0x31,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_format_1_event_decodes_with_its_first_name_as_current(void **state) {
  (void)state;
  oms_event_t ev;
  assert_int_equal(oms_event_decode(format_1_submitted, sizeof format_1_submitted, &ev), 0);
  assert_int_equal(ev.type, OMS_EVT_ORDER_SUBMITTED);
  assert_int_equal(ev.seq, 1);
  assert_int_equal(ev.event_ns, 6);
  assert_int_equal(ev.request_ns, 5);
  assert_int_equal(ev.order.order_id, 7);
  assert_string_equal(ev.order.client_order_id, "c1");
  assert_string_equal(ev.order.cur_client_order_id, "c1");
  assert_string_equal(ev.order.strategy_id, "s1");
  assert_string_equal(ev.order.account_id, "A");
  assert_string_equal(ev.order.venue, "SIM");
  assert_string_equal(ev.order.symbol, "BTC-USD");
  assert_int_equal(ev.order.state, OMS_STATE_SUBMITTED);
  assert_true(oms_dec_eq(ev.order.price, T_D("65000")));
  assert_true(oms_dec_eq(ev.order.qty, T_D("1.5")));
  assert_int_equal(ev.fill.multiplier.raw, 0); /* not recorded before format 3 */
  /* Written again it is format 7 and reads back the same. */
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  assert_int_equal(buf[0], 7);
  oms_event_t back;
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  assert_true(fx_same_order(&back.order, &ev.order));
}

/* Orders written before they carried a current name (format 1) still read:
 * their current name is their first. The order snapshot of format 1 is the
 * order inside format_1_submitted: after the event's format byte, type, seq
 * and two times (26 bytes), before its 41 bytes of empty fill, names and
 * codes. */
static void test_format_1_orders_still_decode(void **state) {
  (void)state;
  uint8_t buf[sizeof format_1_submitted];
  size_t n = sizeof format_1_submitted - 26 - 41;
  buf[0] = 1;
  memcpy(buf + 1, format_1_submitted + 26, n);
  oms_order_t back;
  assert_int_equal(oms_order_decode(buf, n + 1, &back), 0);
  assert_int_equal(back.order_id, 7);
  assert_string_equal(back.client_order_id, "c1");
  assert_string_equal(back.cur_client_order_id, "c1");
  assert_int_equal(oms_order_decode(buf, n, &back), OMS_EPROTO);
  buf[0] = 9;
  assert_int_equal(oms_order_decode(buf, n + 1, &back), OMS_EPROTO);
}

static void test_format_2_event_decodes_every_field(void **state) {
  (void)state;
  oms_event_t ev;
  assert_int_equal(oms_event_decode(format_2_fill, sizeof format_2_fill, &ev), 0);
  assert_int_equal(ev.type, OMS_EVT_ORDER_PARTIALLY_FILLED);
  assert_int_equal(ev.seq, 9);
  assert_int_equal(ev.event_ns, T0 + 500);
  assert_int_equal(oms_event_latency_ns(&ev), 100);
  const oms_order_t *o = &ev.order;
  assert_int_equal(o->order_id, 7);
  assert_string_equal(o->client_order_id, "c7");
  assert_string_equal(o->cur_client_order_id, "c7b");
  assert_string_equal(o->pending_client_order_id, "");
  assert_string_equal(o->venue_order_id, "V7");
  assert_int_equal(o->side, OMS_SIDE_SELL);
  assert_int_equal(o->state, OMS_STATE_PARTIALLY_FILLED);
  assert_int_equal(o->restore_state, OMS_STATE_ACCEPTED);
  assert_true(oms_dec_eq(o->price, T_D("100.5")));
  assert_true(oms_dec_eq(o->filled_qty, T_D("0.5")));
  assert_true(oms_dec_eq(o->leaves_qty, T_D("1.5")));
  assert_true(oms_dec_eq(o->avg_px, T_D("100.25")));
  assert_true(o->cum_notional == (__int128)5012500000);
  assert_int_equal(o->audit_count, 1);
  assert_int_equal(o->audit[0].ts_ns, T0 + 1);
  assert_true(oms_dec_eq(ev.fill.qty, T_D("0.5")));
  assert_true(oms_dec_eq(ev.fill.price, T_D("100.25")));
  assert_true(oms_dec_eq(ev.fill.fee, T_D("0.01")));
  assert_int_equal(ev.fill.liquidity, 'M');
  assert_string_equal(ev.fill.exec_id, "E1");
  assert_int_equal(ev.fill.multiplier.raw, 0);
  /* Fields of later formats set on it are written (format 7) and read back. */
  ev.fill.multiplier = T_D("10");
  ev.fill.old_price = T_D("99");
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  assert_int_equal(buf[0], 7);
  assert_true(n < (int)sizeof format_2_fill);
  oms_event_t back;
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  assert_true(oms_dec_eq(back.fill.multiplier, T_D("10")));
  assert_true(oms_dec_eq(back.fill.old_price, T_D("99")));
  /* Format 2 bytes that claim format 3 are one field short. */
  memcpy(buf, format_2_fill, sizeof format_2_fill);
  buf[0] = 3;
  assert_int_equal(oms_event_decode(buf, sizeof format_2_fill, &back), OMS_EPROTO);
}

static void test_json_has_exact_decimals_and_escapes(void **state) {
  (void)state;
  oms_event_t ev;
  full_event(&ev);
  char buf[OMS_EVENT_JSON_MAX];
  int n = oms_event_to_json(&ev, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal((size_t)n, strlen(buf));
  assert_non_null(strstr(buf, "{\"seq\":77,\"type\":\"OrderPartiallyFilled\""));
  assert_non_null(strstr(buf, "\"latency_ns\":1000"));
  assert_non_null(strstr(
      buf, "\"fill\":{\"qty\":\"0.5\",\"price\":\"100.25\",\"fee\":\"0.01\",\"liquidity\":\"T\""));
  assert_non_null(strstr(buf, "\"filled_qty\":\"0.5\""));
  assert_non_null(strstr(buf, "\"multiplier\":\"10\"}"));
  assert_non_null(strstr(buf, "\"metadata\":\"k=\\\"v\\\";\\\\n\\u0001\""));
  assert_non_null(strstr(buf, "\"reason\":\"RISK_MAX_ORDER_QTY\""));
  assert_int_equal(oms_event_to_json(&ev, buf, 50), OMS_ENOSPC);
  assert_int_equal(oms_event_to_json(&ev, buf, 0), OMS_ENOSPC);
  /* Non-order events carry their own sections only. */
  oms_event_init(&ev, OMS_EVT_TRADING_STATE_CHANGED, NULL, T0, 0);
  ev.seq = 5;
  strcpy(ev.scope_id, "ACC1");
  ev.new_state = 2;
  n = oms_event_to_json(&ev, buf, sizeof buf);
  assert_true(n > 0);
  assert_null(strstr(buf, "\"order\""));
  assert_non_null(strstr(buf, "\"scope_id\":\"ACC1\",\"old_state\":0,\"new_state\":2"));
  oms_event_init(&ev, OMS_EVT_ALARM, NULL, T0, 0);
  ev.alarm = OMS_ALARM_STORE_FAILURE;
  ev.alarm_code = 13;
  n = oms_event_to_json(&ev, buf, sizeof buf);
  assert_non_null(strstr(buf, "\"alarm\":\"STORE_FAILURE\",\"alarm_code\":13"));
  assert_int_equal(oms_event_latency_ns(&ev), -1);
}

static void test_order_json_is_the_event_order_object(void **state) {
  (void)state;
  oms_event_t ev;
  full_event(&ev);
  char evbuf[OMS_EVENT_JSON_MAX], obuf[OMS_EVENT_JSON_MAX];
  assert_true(oms_event_to_json(&ev, evbuf, sizeof evbuf) > 0);
  int n = oms_order_to_json(&ev.order, obuf, sizeof obuf);
  assert_true(n > 0);
  assert_int_equal((size_t)n, strlen(obuf));
  assert_int_equal(obuf[0], '{');
  assert_int_equal(obuf[n - 1], '}');
  /* The same text as the event's "order" member, byte for byte. */
  const char *in_event = strstr(evbuf, "\"order\":");
  assert_non_null(in_event);
  assert_memory_equal(in_event + 8, obuf, (size_t)n);
  assert_int_equal(oms_order_to_json(&ev.order, obuf, 20), OMS_ENOSPC);
  assert_int_equal(oms_order_to_json(&ev.order, obuf, 0), OMS_ENOSPC);
  /* A rejected order names its reason. */
  ev.order.reject_code = OMS_R_RISK_MAX_ORDER_QTY;
  strcpy(ev.order.reject_reason, "too big");
  assert_true(oms_order_to_json(&ev.order, obuf, sizeof obuf) > 0);
  assert_non_null(
      strstr(obuf, "\"reject_code\":\"RISK_MAX_ORDER_QTY\",\"reject_reason\":\"too big\""));
}

/* Format 5: a child's parent fields and a parent's encoded state come back
 * as written; a state longer than its room is refused; JSON names them. */
/* Fills s[cap] with cap - 1 characters: the longest string the field holds. */
static void longest(char *s, size_t cap, char c) {
  memset(s, c, cap - 1);
  s[cap - 1] = '\0';
}

/* A buffer that holds any encoding is written without a test per field; a
 * buffer of exactly the encoding's length goes through the checked writer:
 * both give the same bytes, for an ordinary event and for one whose every
 * string is at its longest. With the largest parent state too, the event is
 * the longest there is (both buffers hold it) and one byte less is refused. */
static void test_both_writers_give_the_same_bytes(void **state) {
  (void)state;
  static oms_event_t ev;
  static uint8_t big[OMS_EVENT_BIN_MAX], exact[OMS_EVENT_BIN_MAX];
  for (int round = 0; round < 3; round++) {
    full_event(&ev);
    if (round >= 1) {
      oms_order_t *o = &ev.order;
      longest(o->client_order_id, sizeof o->client_order_id, 'a');
      longest(o->strategy_id, sizeof o->strategy_id, 'b');
      longest(o->account_id, sizeof o->account_id, 'c');
      longest(o->venue, sizeof o->venue, 'd');
      longest(o->symbol, sizeof o->symbol, 'e');
      longest(o->venue_order_id, sizeof o->venue_order_id, 'f');
      longest(o->reject_reason, sizeof o->reject_reason, 'g');
      longest(o->metadata, sizeof o->metadata, 'h');
      longest(o->cur_client_order_id, sizeof o->cur_client_order_id, 'i');
      longest(o->pending_client_order_id, sizeof o->pending_client_order_id, 'j');
      longest(ev.fill.exec_id, sizeof ev.fill.exec_id, 'k');
      longest(ev.check, sizeof ev.check, 'l');
      longest(ev.text, sizeof ev.text, 'm');
      longest(ev.scope_id, sizeof ev.scope_id, 'n');
      o->cum_notional = -((__int128)1 << 100);
    }
    if (round == 2) {
      ev.algo_len = OMS_EVENT_ALGO_MAX;
      memset(ev.algo, 0x5a, sizeof ev.algo);
    }
    int n = oms_event_encode(&ev, big, sizeof big);
    assert_true(n > 0);
    assert_int_equal(oms_event_encode(&ev, exact, (size_t)n), n);
    assert_memory_equal(big, exact, (size_t)n);
    assert_int_equal(oms_event_encode(&ev, exact, (size_t)n - 1), OMS_ENOSPC);
    oms_event_t back;
    assert_int_equal(oms_event_decode(big, (size_t)n, &back), 0);
    assert_true(fx_same_order(&back.order, &ev.order));
    assert_string_equal(back.text, ev.text);
    assert_int_equal(back.algo_len, ev.algo_len);
    static uint8_t obig[OMS_ORDER_BIN_MAX], oexact[OMS_ORDER_BIN_MAX];
    int m = oms_order_encode(&ev.order, obig, sizeof obig);
    assert_true(m > 0);
    assert_int_equal(oms_order_encode(&ev.order, oexact, (size_t)m), m);
    assert_memory_equal(obig, oexact, (size_t)m);
  }
}

/* The unchecked writer copies a string sixteen bytes at a time: every length
 * of every string field (0 to the longest, and a field with no NUL at all,
 * written as its first size - 1 bytes) gives the checked writer's bytes, and
 * nothing is written past the longest encoding's room. */
static void set_len(char *s, size_t cap, size_t len, char c) {
  memset(s, c, cap);
  if (len < cap) s[len] = '\0';
}

static void test_every_string_length_gives_the_same_bytes(void **state) {
  (void)state;
  static oms_event_t ev;
  static uint8_t big[OMS_EVENT_BIN_MAX + 64], exact[OMS_EVENT_BIN_MAX];
  for (size_t len = 0; len <= 256; len++) {
    full_event(&ev);
    oms_order_t *o = &ev.order;
    set_len(o->client_order_id, sizeof o->client_order_id, len, 'a');
    set_len(o->strategy_id, sizeof o->strategy_id, len / 2, 'b');
    set_len(o->account_id, sizeof o->account_id, len % 20, 'c');
    set_len(o->venue, sizeof o->venue, len, 'd');
    set_len(o->symbol, sizeof o->symbol, len, 'e');
    set_len(o->venue_order_id, sizeof o->venue_order_id, len % 17, 'f');
    set_len(o->reject_reason, sizeof o->reject_reason, len, 'g');
    set_len(o->metadata, sizeof o->metadata, len, 'h');
    set_len(o->cur_client_order_id, sizeof o->cur_client_order_id, 64 - len % 65, 'i');
    set_len(o->pending_client_order_id, sizeof o->pending_client_order_id, len, 'j');
    set_len(ev.fill.exec_id, sizeof ev.fill.exec_id, len % 33, 'k');
    set_len(ev.check, sizeof ev.check, len, 'l');
    set_len(ev.text, sizeof ev.text, len, 'm');
    set_len(ev.scope_id, sizeof ev.scope_id, len, 'n');
    set_len(ev.risk.worst, sizeof ev.risk.worst, len, 'o');
    ev.algo_len = len == 256 ? OMS_EVENT_ALGO_MAX : 0;
    memset(big, 0xEE, sizeof big);
    int n = oms_event_encode(&ev, big, OMS_EVENT_BIN_MAX);
    assert_true(n > 0);
    for (size_t i = OMS_EVENT_BIN_MAX; i < sizeof big; i++) assert_int_equal(big[i], 0xEE);
    assert_int_equal(oms_event_encode(&ev, exact, (size_t)n), n);
    assert_memory_equal(big, exact, (size_t)n);
    static uint8_t obig[OMS_ORDER_BIN_MAX + 64], oexact[OMS_ORDER_BIN_MAX];
    memset(obig, 0xEE, sizeof obig);
    int m = oms_order_encode(o, obig, OMS_ORDER_BIN_MAX);
    assert_true(m > 0);
    for (size_t i = OMS_ORDER_BIN_MAX; i < sizeof obig; i++) assert_int_equal(obig[i], 0xEE);
    assert_int_equal(oms_order_encode(o, oexact, (size_t)m), m);
    assert_memory_equal(obig, oexact, (size_t)m);
  }
}

/* oms_event_init (32-byte moves where the CPU has AVX): the event up to its
 * algo bytes is zeros, the order's bytes and the three fields, whatever was
 * there before; the algo bytes are left alone. */
static void test_init_copies_the_order_and_clears_the_rest(void **state) {
  (void)state;
  static oms_event_t ev, want;
  static oms_order_t o;
  uint8_t *ob = (uint8_t *)&o;
  for (size_t i = 0; i < sizeof o; i++) ob[i] = (uint8_t)(i * 7 + 3);
  memset(&ev, 0xAB, sizeof ev);
  oms_event_init(&ev, OMS_EVT_ORDER_ACCEPTED, &o, 123, 45);
  memset(&want, 0xAB, sizeof want);
  memset(&want, 0, offsetof(oms_event_t, algo));
  memcpy(&want.order, &o, sizeof o);
  want.type = OMS_EVT_ORDER_ACCEPTED;
  want.event_ns = 123;
  want.request_ns = 45;
  assert_memory_equal(&ev, &want, sizeof ev);
  memset(&ev, 0xCD, sizeof ev);
  oms_event_init(&ev, OMS_EVT_ALARM, NULL, 7, 0);
  memset(&want, 0xCD, sizeof want);
  memset(&want, 0, offsetof(oms_event_t, algo));
  want.type = OMS_EVT_ALARM;
  want.event_ns = 7;
  assert_memory_equal(&ev, &want, sizeof ev);
}

/* oms_event_copy: every field and the algo bytes up to algo_len; what lies
 * past them in the destination is left alone (and means nothing). */
static void test_copy_stops_at_the_end_of_the_algo_state(void **state) {
  (void)state;
  static oms_event_t ev, dst;
  full_event(&ev);
  ev.algo_len = 3;
  memset(ev.algo, 0x11, sizeof ev.algo);
  memset(&dst, 0x77, sizeof dst);
  oms_event_copy(&dst, &ev);
  assert_memory_equal(&dst, &ev, offsetof(oms_event_t, algo) + 3);
  assert_int_equal(dst.algo[3], 0x77);
  ev.algo_len = OMS_EVENT_ALGO_MAX + 1; /* not a length any writer makes: copied whole */
  oms_event_copy(&dst, &ev);
  assert_memory_equal(&dst, &ev, offsetof(oms_event_t, algo) + OMS_EVENT_ALGO_MAX);
}

static void test_parent_fields_and_state_round_trip(void **state) {
  (void)state;
  oms_event_t ev, back;
  full_event(&ev);
  ev.order.parent_order_id = 77;
  ev.order.child_seq = 3;
  ev.order.algo = 1000;
  ev.algo_len = 5;
  memcpy(ev.algo, "OA\x01\x00\x07", 5);
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  assert_int_equal(back.order.parent_order_id, 77);
  assert_int_equal(back.order.child_seq, 3);
  assert_int_equal(back.order.algo, 1000);
  assert_int_equal(back.algo_len, 5);
  assert_memory_equal(back.algo, ev.algo, 5);
  /* the length (a one-byte varint) is the last field but the bytes: claim
   * more than the room */
  assert_int_equal(buf[n - 5 - 1], 5);
  buf[n - 5 - 1] = 6;
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), OMS_EPROTO);
  char js[OMS_EVENT_JSON_MAX];
  assert_true(oms_order_to_json(&ev.order, js, sizeof js) > 0);
  assert_non_null(strstr(js, "\"algo\":1000"));
  assert_non_null(strstr(js, "\"parent_order_id\":77,\"child_seq\":3"));
  /* init keeps no state of an earlier event */
  oms_event_init(&ev, OMS_EVT_ORDER_FILLED, &ev.order, 1, 0);
  assert_int_equal(ev.algo_len, 0);
  oms_event_init(&ev, OMS_EVT_ALARM, NULL, 1, 0);
  assert_int_equal(ev.algo_len, 0);
}

/* A RiskReport's numbers (format 6 on) come back as written and JSON names
 * them. */
static void test_risk_report_fields_round_trip(void **state) {
  (void)state;
  oms_event_t ev, back;
  oms_event_init(&ev, OMS_EVT_RISK_REPORT, NULL, 5, 0);
  ev.seq = 9;
  strcpy(ev.scope_id, "ACC1");
  strcpy(ev.text, "var=751.5 hvar=2 stress_loss=13000 worst=crypto -40%");
  ev.risk.var = T_D("751.5");
  ev.risk.hvar = T_D("2");
  ev.risk.var_limit = T_D("1000");
  ev.risk.loss = T_D("13000");
  ev.risk.loss_limit = T_D("20000.25");
  strcpy(ev.risk.worst, "crypto -40%");
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal(buf[0], 7);
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  assert_memory_equal(&back.risk, &ev.risk, sizeof ev.risk);
  assert_string_equal(back.text, ev.text);
  char js[OMS_EVENT_JSON_MAX];
  assert_true(oms_event_to_json(&ev, js, sizeof js) > 0);
  assert_non_null(strstr(js,
                         "\"scope_id\":\"ACC1\",\"risk\":{\"var\":\"751.5\",\"hvar\":\"2\","
                         "\"var_limit\":\"1000\",\"stress_loss\":\"13000\","
                         "\"stress_limit\":\"20000.25\",\"worst\":\"crypto -40%\"}"));
}

/* Every field of an event set to something other than zero, by hand (no
 * state machine), so that a fixture of its bytes shows each field's place. */
static void every_field(oms_event_t *ev) {
  memset(ev, 0, sizeof *ev);
  oms_order_t *o = &ev->order;
  o->order_id = 300;
  strcpy(o->client_order_id, "c300");
  strcpy(o->strategy_id, "s1");
  strcpy(o->account_id, "a1");
  strcpy(o->venue, "XNAS");
  strcpy(o->symbol, "AAPL");
  strcpy(o->venue_order_id, "V300");
  o->side = OMS_SIDE_SELL;
  o->type = OMS_ORD_STOP_LIMIT;
  o->tif = OMS_TIF_GTD;
  o->instructions = 5;
  o->qty = oms_dec_from_raw(1000000000);
  o->price = oms_dec_from_raw(-15000000000);
  o->stop_price = oms_dec_from_raw(14900000000);
  o->expire_ns = INT64_C(1700000000000000999);
  o->state = OMS_STATE_PARTIALLY_FILLED;
  o->restore_state = OMS_STATE_ACCEPTED;
  o->filled_qty = oms_dec_from_raw(400000000);
  o->leaves_qty = oms_dec_from_raw(600000000);
  o->avg_px = oms_dec_from_raw(15000000001);
  o->cum_notional = -((__int128)1 << 90) + 12345;
  o->pending_qty = oms_dec_from_raw(2);
  o->pending_price = oms_dec_from_raw(3);
  o->pending_stop_price = oms_dec_from_raw(4);
  o->reject_code = 7;
  strcpy(o->reject_reason, "because");
  o->created_ns = INT64_C(1700000000000000001);
  o->updated_ns = INT64_C(1700000000000000500);
  strcpy(o->metadata, "k=v");
  o->audit_count = 3;
  for (uint32_t s = 1; s <= 3; s++) {
    oms_audit_t *a = &o->audit[s - 1];
    a->seq = s;
    a->from = (uint8_t)(s - 1);
    a->to = (uint8_t)s;
    a->event = (uint8_t)(s + 1);
    a->reason_code = (uint16_t)(s == 2 ? 40000 : 0);
    a->ts_ns = INT64_C(1700000000000000001) + (int64_t)s * 100 - (s == 3 ? 250 : 0);
  }
  strcpy(o->cur_client_order_id, "c301");
  strcpy(o->pending_client_order_id, "c302");
  o->parent_order_id = 299;
  o->child_seq = 2;
  o->algo = 3;
  ev->type = OMS_EVT_ORDER_PARTIALLY_FILLED;
  ev->seq = 1234567;
  ev->event_ns = INT64_C(1700000000000000600);
  ev->request_ns = INT64_C(1700000000000000550);
  ev->fill.qty = oms_dec_from_raw(400000000);
  ev->fill.price = oms_dec_from_raw(15000000001);
  ev->fill.fee = oms_dec_from_raw(-1000000);
  ev->fill.liquidity = 'M';
  strcpy(ev->fill.exec_id, "E9");
  strcpy(ev->check, "chk");
  ev->reason = OMS_R_RISK_MAX_ORDER_QTY;
  strcpy(ev->text, "txt");
  ev->scope_kind = 2;
  ev->old_state = 1;
  ev->new_state = 3;
  strcpy(ev->scope_id, "acct");
  ev->alarm = OMS_ALARM_OVERFILL;
  ev->alarm_code = -12345;
  ev->fill.multiplier = oms_dec_from_raw(1000000000);
  ev->fill.old_qty = oms_dec_from_raw(5);
  ev->fill.old_price = oms_dec_from_raw(6);
  ev->fill.old_fee = oms_dec_from_raw(7);
  ev->risk.var = oms_dec_from_raw(8);
  ev->risk.hvar = oms_dec_from_raw(9);
  ev->risk.var_limit = oms_dec_from_raw(10);
  ev->risk.loss = oms_dec_from_raw(11);
  ev->risk.loss_limit = oms_dec_from_raw(12);
  strcpy(ev->risk.worst, "crash");
  ev->algo_len = 3;
  ev->algo[0] = 'O';
  ev->algo[1] = 'A';
  ev->algo[2] = 1;
}

/* every_field() as format 6 wrote it (418 bytes): the last dense format, kept
 * to read the fields of formats 3-6 (old fill, multiplier, parent, risk)
 * from stored bytes. */
static const uint8_t format_6_every_field[] = {
    0x06, 0x03, 0x87, 0xd6, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x58, 0x02, 0x2a, 0x36, 0xfe, 0x9c,
    0x97, 0x17, 0x26, 0x02, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x2c, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x63, 0x33, 0x30, 0x30, 0x02, 0x73, 0x31, 0x02, 0x61, 0x31, 0x04, 0x58, 0x4e,
    0x41, 0x53, 0x04, 0x41, 0x41, 0x50, 0x4c, 0x04, 0x56, 0x33, 0x30, 0x30, 0x02, 0x04, 0x05, 0x05,
    0x00, 0x00, 0x00, 0x00, 0xca, 0x9a, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xee, 0x81, 0xfc,
    0xff, 0xff, 0xff, 0x00, 0xf5, 0x1b, 0x78, 0x03, 0x00, 0x00, 0x00, 0xe7, 0x03, 0x2a, 0x36, 0xfe,
    0x9c, 0x97, 0x17, 0x03, 0x02, 0x00, 0x84, 0xd7, 0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0xc3,
    0x23, 0x00, 0x00, 0x00, 0x00, 0x01, 0xd6, 0x11, 0x7e, 0x03, 0x00, 0x00, 0x00, 0x39, 0x30, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x62, 0x65, 0x63, 0x61, 0x75, 0x73,
    0x65, 0x01, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0xf4, 0x01, 0x2a, 0x36, 0xfe, 0x9c, 0x97,
    0x17, 0x03, 0x6b, 0x3d, 0x76, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x65, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x02, 0x00, 0x00, 0x00,
    0x01, 0x02, 0x03, 0x40, 0x9c, 0x00, 0x00, 0xc9, 0x00, 0x2a, 0x36, 0xfe, 0x9c, 0x97, 0x17, 0x03,
    0x00, 0x00, 0x00, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00, 0x2a, 0x36, 0xfe, 0x9c,
    0x97, 0x17, 0x04, 0x63, 0x33, 0x30, 0x31, 0x04, 0x63, 0x33, 0x30, 0x32, 0x2b, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x84, 0xd7, 0x17, 0x00, 0x00,
    0x00, 0x00, 0x01, 0xd6, 0x11, 0x7e, 0x03, 0x00, 0x00, 0x00, 0xc0, 0xbd, 0xf0, 0xff, 0xff, 0xff,
    0xff, 0xff, 0x4d, 0x02, 0x45, 0x39, 0x03, 0x63, 0x68, 0x6b, 0x64, 0x00, 0x00, 0x00, 0x03, 0x74,
    0x78, 0x74, 0x02, 0x01, 0x03, 0x04, 0x61, 0x63, 0x63, 0x74, 0x01, 0xc7, 0xcf, 0xff, 0xff, 0x00,
    0xca, 0x9a, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x63, 0x72, 0x61, 0x73, 0x68, 0x03, 0x00, 0x4f,
    0x41, 0x01,
};

static void test_format_6_event_decodes_every_field(void **state) {
  (void)state;
  static oms_event_t want, ev;
  every_field(&want);
  assert_int_equal(oms_event_decode(format_6_every_field, sizeof format_6_every_field, &ev), 0);
  assert_int_equal(ev.order.parent_order_id, 299);
  assert_int_equal(ev.order.audit[1].reason_code, 40000);
  assert_true(ev.order.cum_notional == want.order.cum_notional);
  assert_int_equal(ev.fill.old_fee.raw, 7);
  assert_int_equal(ev.risk.loss_limit.raw, 12);
  assert_string_equal(ev.risk.worst, "crash");
  assert_int_equal(ev.algo_len, 3);
  /* Every field: written again (format 7), the same bytes as the event it
   * was made from, in about 60% of the room with every field set. */
  static uint8_t a[OMS_EVENT_BIN_MAX], b[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, a, sizeof a);
  assert_int_equal(oms_event_encode(&want, b, sizeof b), n);
  assert_memory_equal(a, b, (size_t)n);
  print_message("every field: format 6 %zu bytes, format 7 %d\n", sizeof format_6_every_field, n);
  assert_true((size_t)n * 10 < sizeof format_6_every_field * 7);
  static uint8_t bad[sizeof format_6_every_field];
  /* The dense formats wrote each audit entry's sequence number: entries out
   * of order (the second says 3, as the third) are refused. */
  static const uint8_t trail[] = {3, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2};
  memcpy(bad, format_6_every_field, sizeof bad);
  uint8_t *t = memmem(bad, sizeof bad, trail, sizeof trail);
  assert_non_null(t);
  assert_int_equal(t[4 + 19], 2);
  t[4 + 19] = 3;
  assert_int_equal(oms_event_decode(bad, sizeof bad, &ev), OMS_EPROTO);
  /* The same event as format 5 wrote it: without the 5 decimals and the
   * name (40 + 6 bytes) just before the algo length and bytes (2 + 3): the
   * RiskReport's numbers read as zeros. */
  size_t tail = 5 * 8 + 1 + strlen("crash"), algo = 2 + 3, len = sizeof bad - tail;
  memcpy(bad, format_6_every_field, len - algo);
  memcpy(bad + len - algo, format_6_every_field + sizeof bad - algo, algo);
  bad[0] = 5;
  assert_int_equal(oms_event_decode(bad, len, &ev), 0);
  assert_int_equal(ev.risk.var.raw, 0);
  assert_string_equal(ev.risk.worst, "");
  assert_string_equal(ev.scope_id, "acct");
  assert_int_equal(ev.algo_len, 3);
}

/* Format 7 leaves out what is zero: an order's first events take about a
 * third of what format 6 wrote (350-420 bytes each). */
static void test_an_order_event_is_small(void **state) {
  (void)state;
  oms_order_t o;
  static oms_event_t ev, back;
  fx_order(&o, 250, "strat7", "acct3", "SYM10-USD", T0);
  strcpy(o.venue, "SIM");
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0 + 1, 1000, &ev);
  uint8_t buf[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, buf, sizeof buf);
  print_message("OrderSubmitted: %d bytes\n", n);
  assert_true(n > 0 && n <= 128);
  assert_int_equal(oms_event_decode(buf, (size_t)n, &back), 0);
  assert_true(fx_same_order(&back.order, &ev.order));
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 2, 1001, &ev);
  fx_apply(&o, OMS_EV_CANCEL_REQUEST, NULL, NULL, T0 + 3, 1002, &ev);
  fx_apply(&o, OMS_EV_CANCEL_CONFIRM, NULL, NULL, T0 + 4, 1003, &ev);
  n = oms_event_encode(&ev, buf, sizeof buf);
  print_message("OrderCancelled: %d bytes\n", n);
  assert_true(n > 0 && n <= 160);
}

/* What the sparse reader refuses, byte by byte: only what the writer would
 * have written decodes. The smallest event: format 7, the event's bitmap
 * (TYPE bit 0, ORDER bit 4), its type, the order's bitmap (nothing set). */
static int decode_bytes(const uint8_t *b, size_t n) {
  static oms_event_t ev;
  return oms_event_decode(b, n, &ev);
}

static void test_sparse_format_refuses_what_it_would_not_write(void **state) {
  (void)state;
  const uint8_t A = (uint8_t)OMS_EVT_ALARM;
  const uint8_t ok[] = {7, 0x11, 0, 0, 0, A, 0, 0, 0, 0, 0};
  assert_int_equal(decode_bytes(ok, sizeof ok), 0);
  const uint8_t no_type[] = {7, 0x10, 0, 0, 0, 0, 0, 0, 0, 0};
  assert_int_equal(decode_bytes(no_type, sizeof no_type), OMS_EPROTO);
  const uint8_t no_order[] = {7, 0x01, 0, 0, 0, A};
  assert_int_equal(decode_bytes(no_order, sizeof no_order), OMS_EPROTO);
  /* a bit past the event's 30 fields */
  const uint8_t past[] = {7, 0x11, 0, 0, 0x40, A, 0, 0, 0, 0, 0};
  assert_int_equal(decode_bytes(past, sizeof past), OMS_EPROTO);
  /* seq (bit 1): 1 reads; 0 was never written; 1 in two bytes is not the
   * shortest form */
  const uint8_t seq1[] = {7, 0x13, 0, 0, 0, A, 0x01, 0, 0, 0, 0, 0};
  assert_int_equal(decode_bytes(seq1, sizeof seq1), 0);
  const uint8_t seq0[] = {7, 0x13, 0, 0, 0, A, 0x00, 0, 0, 0, 0, 0};
  assert_int_equal(decode_bytes(seq0, sizeof seq0), OMS_EPROTO);
  const uint8_t seq_long[] = {7, 0x13, 0, 0, 0, A, 0x81, 0x00, 0, 0, 0, 0, 0};
  assert_int_equal(decode_bytes(seq_long, sizeof seq_long), OMS_EPROTO);
  /* seq as UINT64_MAX (ten bytes, the last 1) reads; a last byte of 2 is
   * past 64 bits; an eleventh byte is too long */
  uint8_t big[] = {7,    0x13, 0,    0,    0,    A, 0xff, 0xff, 0xff, 0xff, 0xff,
                   0xff, 0xff, 0xff, 0xff, 0x01, 0, 0,    0,    0,    0};
  assert_int_equal(decode_bytes(big, sizeof big), 0);
  big[15] = 0x02;
  assert_int_equal(decode_bytes(big, sizeof big), OMS_EPROTO);
  big[15] = 0x81;
  assert_int_equal(decode_bytes(big, sizeof big), OMS_EPROTO);
  /* reason (bit 11, a u32), after the order: 2^32 - 1 reads, 2^32 does not */
  const uint8_t r_max[] = {7, 0x11, 0x08, 0, 0, A, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f};
  assert_int_equal(decode_bytes(r_max, sizeof r_max), 0);
  const uint8_t r_wide[] = {7, 0x11, 0x08, 0, 0, A, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10};
  assert_int_equal(decode_bytes(r_wide, sizeof r_wide), OMS_EPROTO);
  /* the order's client order id (bit 1) empty was never written */
  const uint8_t empty[] = {7, 0x11, 0, 0, 0, A, 0x02, 0, 0, 0, 0, 0x00};
  assert_int_equal(decode_bytes(empty, sizeof empty), OMS_EPROTO);
  const uint8_t named[] = {7, 0x11, 0, 0, 0, A, 0x02, 0, 0, 0, 0, 0x01, 'x'};
  assert_int_equal(decode_bytes(named, sizeof named), 0);
  /* an audit trail (bit 29) of no entries was never written */
  const uint8_t trail0[] = {7, 0x11, 0, 0, 0, A, 0, 0, 0, 0x20, 0, 0x00};
  assert_int_equal(decode_bytes(trail0, sizeof trail0), OMS_EPROTO);
  const uint8_t trail1[] = {7, 0x11, 0, 0, 0, A, 0, 0, 0, 0x20, 0, 0x01,
                            0, 1,    2, 0, 1, 0, 0, 0, 0, 0,    0, 0};
  assert_int_equal(decode_bytes(trail1, sizeof trail1), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order_json_is_the_event_order_object),
      cmocka_unit_test(test_type_names_round_trip),
      cmocka_unit_test(test_state_machine_events_map_to_order_events),
      cmocka_unit_test(test_binary_round_trip_is_exact),
      cmocka_unit_test(test_order_snapshot_round_trip),
      cmocka_unit_test(test_json_has_exact_decimals_and_escapes),
      cmocka_unit_test(test_decoder_refuses_what_it_could_not_write_back),
      cmocka_unit_test(test_format_1_orders_still_decode),
      cmocka_unit_test(test_format_1_event_decodes_with_its_first_name_as_current),
      cmocka_unit_test(test_format_2_event_decodes_every_field),
      cmocka_unit_test(test_parent_fields_and_state_round_trip),
      cmocka_unit_test(test_both_writers_give_the_same_bytes),
      cmocka_unit_test(test_every_string_length_gives_the_same_bytes),
      cmocka_unit_test(test_init_copies_the_order_and_clears_the_rest),
      cmocka_unit_test(test_copy_stops_at_the_end_of_the_algo_state),
      cmocka_unit_test(test_risk_report_fields_round_trip),
      cmocka_unit_test(test_format_6_event_decodes_every_field),
      cmocka_unit_test(test_an_order_event_is_small),
      cmocka_unit_test(test_sparse_format_refuses_what_it_would_not_write),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
