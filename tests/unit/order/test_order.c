/* Tests for src/order/order.c: enum names both ways, order initialisation,
 * and the string and notional helpers. Validation is tested in
 * test_validate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oms_test.h"
#include "order/order_internal.h"

#define NOW INT64_C(1700000000000000000)

static oms_order_request_t req;

static int setup(void **state) {
  (void)state;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "1.5", "65000.5");
  return 0;
}

static void test_enum_names_round_trip(void **state) {
  (void)state;
  for (int s = 0; s < OMS_STATE_COUNT; s++) {
    oms_ord_state_t back;
    assert_int_equal(oms_ord_state_parse(oms_ord_state_str((oms_ord_state_t)s), &back), 0);
    assert_int_equal(back, s);
  }
  for (int e = 0; e < OMS_EV_COUNT; e++) {
    oms_ord_event_t back;
    assert_int_equal(oms_ord_event_parse(oms_ord_event_str((oms_ord_event_t)e), &back), 0);
    assert_int_equal(back, e);
  }
  oms_side_t side;
  assert_int_equal(oms_side_parse("SELL", &side), 0);
  assert_int_equal(side, OMS_SIDE_SELL);
  assert_int_equal(oms_side_parse("sell", &side), OMS_ENOTFOUND);
  assert_int_equal(oms_side_parse(NULL, &side), OMS_ENOTFOUND);
  oms_ord_type_t type;
  assert_int_equal(oms_ord_type_parse("STOP_LIMIT", &type), 0);
  assert_int_equal(type, OMS_ORD_STOP_LIMIT);
  oms_tif_t tif;
  assert_int_equal(oms_tif_parse("GTD", &tif), 0);
  assert_int_equal(tif, OMS_TIF_GTD);
  assert_int_equal(oms_tif_parse("", &tif), OMS_ENOTFOUND);
  assert_string_equal(oms_side_str(OMS_SIDE_BUY), "BUY");
  assert_string_equal(oms_side_str((oms_side_t)9), "UNKNOWN");
  assert_string_equal(oms_side_str((oms_side_t)0), "UNKNOWN");
  assert_string_equal(oms_ord_type_str(OMS_ORD_MARKET), "MARKET");
  assert_string_equal(oms_tif_str(OMS_TIF_IOC), "IOC");
  assert_string_equal(oms_ord_state_str(OMS_STATE_COUNT), "UNKNOWN");
  assert_string_equal(oms_ord_event_str((oms_ord_event_t)-1), "UNKNOWN");
}

static void test_terminal_and_working_states(void **state) {
  (void)state;
  int terminal = 0, working = 0;
  for (int s = 0; s < OMS_STATE_COUNT; s++) {
    terminal += oms_ord_state_is_terminal((oms_ord_state_t)s);
    working += oms_ord_state_is_working((oms_ord_state_t)s);
    assert_false(oms_ord_state_is_terminal((oms_ord_state_t)s) &&
                 oms_ord_state_is_working((oms_ord_state_t)s));
  }
  assert_int_equal(terminal, 4);
  assert_int_equal(working, 6);
  assert_false(oms_ord_state_is_working(OMS_STATE_PENDING));
}

static void test_order_init_copies_request_in_pending(void **state) {
  (void)state;
  strcpy(req.metadata, "algo=twap");
  oms_order_t o;
  oms_order_init(&o, 7, &req, NOW);
  assert_int_equal(o.order_id, 7);
  assert_int_equal(o.state, OMS_STATE_PENDING);
  assert_string_equal(o.client_order_id, "c1");
  assert_string_equal(o.metadata, "algo=twap");
  assert_true(oms_dec_eq(o.leaves_qty, req.qty));
  assert_int_equal(o.created_ns, NOW);
  assert_int_equal(o.audit_count, 0);
  assert_true(oms_order_check(&o));
}

/* Over an order that lived (a few transitions, or more than the ring
 * holds), oms__order_init_over gives byte for byte what oms_order_init
 * gives over any bytes. */
static void test_order_init_over_a_used_order_is_a_whole_init(void **state) {
  (void)state;
  oms_order_request_t other;
  t_request(&other, "old-order-with-a-long-name", OMS_SIDE_SELL, OMS_ORD_LIMIT, "3", "64000");
  strcpy(other.metadata, "much=longer;metadata=than;the=new;one=here");
  for (int n = 0; n <= 20; n += 4) {
    oms_order_t want, got;
    memset(&want, 0x5a, sizeof want);
    oms_order_init(&want, 8, &req, NOW);
    memset(&got, 0, sizeof got);
    oms_order_init(&got, 7, &other, NOW - 5);
    oms_ord_change_t ch = {.event = OMS_EV_SUBMIT, .ts_ns = NOW - 4};
    if (n > 0) assert_int_equal(oms_order_apply(&got, &ch, NULL), 0);
    ch.event = OMS_EV_ACCEPT;
    ch.venue_order_id = "V-7";
    if (n > 0) assert_int_equal(oms_order_apply(&got, &ch, NULL), 0);
    for (int k = 2; k < n; k++) {
      ch = (oms_ord_change_t){.event = k % 2 ? OMS_EV_CANCEL_REJECT : OMS_EV_CANCEL_REQUEST,
                              .ts_ns = NOW - 3,
                              .reason_text = "too late"};
      assert_int_equal(oms_order_apply(&got, &ch, NULL), 0);
    }
    assert_int_equal(got.audit_count, (uint32_t)(n > 0 ? (n > 2 ? n : 2) : 0));
    assert_int_equal(oms__order_init_over(&got, 8, &req, NOW, OMS__DIRTY_REASON | OMS__DIRTY_META),
                     0);
    assert_memory_equal(&want, &got, sizeof want);
  }
}

/* The long texts an order may have dirtied, tracked as the engine tracks
 * them (the bits each init returns, a reason once REJECTED), are the only
 * ones init_over writes, and the result is still a whole init: after a
 * long metadata, after a refusal with a long reason, and after both. The
 * bytes of a short metadata past the head are not copied. */
static void test_order_init_over_skips_only_clean_texts(void **state) {
  (void)state;
  oms_order_request_t longer;
  t_request(&longer, "old", OMS_SIDE_SELL, OMS_ORD_LIMIT, "3", "64000");
  memset(longer.metadata, 'm', OMS_METADATA_MAX);
  longer.metadata[OMS_METADATA_MAX] = '\0';
  oms_order_request_t shorter = req;
  strcpy(shorter.metadata, "k=v");
  memset(shorter.metadata + OMS__META_HEAD, 'x', 20); /* past its NUL: not the order's */
  for (int mode = 0; mode < 4; mode++) {
    oms_order_t o;
    memset(&o, 0, sizeof o);
    unsigned dirty = oms__order_init_over(&o, 1, mode & 1 ? &longer : &req, NOW, 0);
    assert_int_equal(dirty, mode & 1 ? OMS__DIRTY_META : 0);
    if (mode & 2) {
      oms_ord_change_t ch = {.event = OMS_EV_DENY, .ts_ns = NOW, .reason_text = "a long reason"};
      memset(o.reject_reason, 'r', OMS_REASON_MAX); /* a longer one written before */
      assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
      assert_int_equal(o.state, OMS_STATE_REJECTED);
      dirty |= OMS__DIRTY_REASON;
    }
    oms_order_t want;
    memset(&want, 0x5a, sizeof want);
    oms_order_init(&want, 2, &shorter, NOW + 1);
    assert_int_equal(oms__order_init_over(&o, 2, &shorter, NOW + 1, dirty), 0);
    assert_memory_equal(&want, &o, sizeof want);
    assert_string_equal(o.metadata, "k=v");
    for (size_t i = 4; i < sizeof(o.metadata); i++) assert_int_equal(o.metadata[i], 0);
    for (size_t i = 0; i < sizeof(o.reject_reason); i++) assert_int_equal(o.reject_reason[i], 0);
  }
}

/* An empty metadata is not copied, whatever its array holds after the NUL
 * (the submission then reads only its first byte): the order's is all
 * zeros, over a clean order and over one a long metadata dirtied. */
static void test_order_init_does_not_copy_an_empty_metadata(void **state) {
  (void)state;
  oms_order_request_t empty = req, longer = req;
  memset(empty.metadata, 'x', sizeof empty.metadata);
  empty.metadata[0] = '\0';
  memset(longer.metadata, 'm', OMS_METADATA_MAX);
  longer.metadata[OMS_METADATA_MAX] = '\0';
  oms_order_t want, o;
  memset(&want, 0x5a, sizeof want);
  oms_order_init(&want, 3, &empty, NOW);
  for (size_t i = 0; i < sizeof(want.metadata); i++) assert_int_equal(want.metadata[i], 0);
  memset(&o, 0, sizeof o);
  assert_int_equal(oms__order_init_over(&o, 3, &empty, NOW, 0), 0);
  assert_memory_equal(&want, &o, sizeof want);
  assert_int_equal(oms__order_init_over(&o, 2, &longer, NOW, 0), OMS__DIRTY_META);
  assert_int_equal(oms__order_init_over(&o, 3, &empty, NOW, OMS__DIRTY_META), 0);
  assert_memory_equal(&want, &o, sizeof want);
}

static void test_strlcpy_and_notional(void **state) {
  (void)state;
  char buf[4];
  assert_int_equal(oms_strlcpy(buf, "abc", sizeof buf), 0);
  assert_string_equal(buf, "abc");
  assert_int_equal(oms_strlcpy(buf, "abcd", sizeof buf), OMS_ENOSPC);
  assert_string_equal(buf, "");
  oms_dec_t n;
  assert_int_equal(oms_notional(T_D("2"), T_D("3.5"), T_D("0"), &n), 0);
  assert_true(oms_dec_eq(n, T_D("7")));
  assert_int_equal(oms_notional(T_D("2"), T_D("3.5"), T_D("100"), &n), 0);
  assert_true(oms_dec_eq(n, T_D("700")));
  assert_int_equal(oms_notional(T_D("90000"), T_D("90000000"), T_D("1"), &n), OMS_EOVERFLOW);
  assert_int_equal(oms_notional(T_D("90000"), T_D("900000"), T_D("1000"), &n), OMS_EOVERFLOW);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enum_names_round_trip),
      cmocka_unit_test(test_terminal_and_working_states),
      cmocka_unit_test_setup(test_order_init_copies_request_in_pending, setup),
      cmocka_unit_test_setup(test_order_init_over_a_used_order_is_a_whole_init, setup),
      cmocka_unit_test_setup(test_order_init_over_skips_only_clean_texts, setup),
      cmocka_unit_test_setup(test_order_init_does_not_copy_an_empty_metadata, setup),
      cmocka_unit_test_setup(test_strlcpy_and_notional, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
