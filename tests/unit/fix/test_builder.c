/* test_builder.c - serialisation of src/fix/builder.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix_test_util.h"

static const oms_fix_header_t HDR = {.msg_type = "0",
                                     .sender_comp_id = "OMS",
                                     .target_comp_id = "CLIENT",
                                     .msg_seq_num = 12,
                                     .sending_time_ns = T0 + 1500 * 1000000};

static void test_heartbeat_matches_the_golden_bytes(void **state) {
  (void)state;
  char out[256], want[256];
  oms_fix_builder_t b;
  size_t len;
  assert_int_equal(oms_fix_builder_begin_header(&b, out, sizeof(out), &HDR), 0);
  assert_int_equal(oms_fix_add_cstr(&b, 112, "T1"), 0);
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  size_t wlen =
      frame(want, sizeof(want), "35=0|49=OMS|56=CLIENT|34=12|52=20260101-00:00:01.500|112=T1|");
  assert_int_equal(len, wlen);
  assert_memory_equal(out, want, len);
  /* Finished: further adds and a second finish are refused. */
  assert_int_equal(oms_fix_add_int(&b, 1, 1), OMS_ESTATE);
  assert_int_equal(oms_fix_builder_finish(&b, &len), OMS_ESTATE);
}

static void test_deliver_to_is_written_in_the_header_after_the_comp_ids(void **state) {
  (void)state;
  char out[256], want[256];
  oms_fix_builder_t b;
  oms_fix_header_t h = HDR;
  oms_fix_route_t r = {oms_fix_str("HUB"), {NULL, 0}, oms_fix_str("LDN")};
  h.deliver_to = &r;
  size_t len;
  oms_fix_builder_begin_header(&b, out, sizeof(out), &h);
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  size_t wlen = frame(want, sizeof(want),
                      "35=0|49=OMS|56=CLIENT|128=HUB|145=LDN|34=12|52=20260101-00:00:01.500|");
  assert_int_equal(len, wlen);
  assert_memory_equal(out, want, len);
}

static void test_possdup_header_round_trips_through_the_parser(void **state) {
  (void)state;
  char out[512];
  oms_fix_builder_t b;
  oms_fix_header_t h = HDR;
  h.msg_type = "8";
  h.poss_dup = 1;
  h.poss_resend = 1;
  h.orig_sending_time_ns = T0;
  oms_fix_builder_begin_header(&b, out, sizeof(out), &h);
  oms_fix_add_int(&b, 14, -5);
  oms_fix_add_int(&b, 15, INT64_MIN);
  oms_fix_add_char(&b, 54, '2');
  oms_fix_add_str(&b, 58, oms_fix_str("hello"));
  oms_fix_add_time(&b, 60, T0);
  size_t len, used;
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  oms_fix_msg_t m;
  assert_int_equal(oms_fix_parse(out, len, NULL, &m, &used, NULL), 0);
  uint32_t order[] = {8, 9, 35, 49, 56, 34, 43, 97, 52, 122, 14, 15, 54, 58, 60, 10};
  assert_int_equal(m.nfields, sizeof(order) / sizeof(order[0]));
  for (size_t i = 0; i < m.nfields; i++) assert_int_equal(m.fields[i].tag, order[i]);
  int64_t v;
  assert_int_equal(oms_fix_msg_get_int(&m, 15, &v), 0);
  assert_true(v == INT64_MIN);
  assert_int_equal(oms_fix_msg_get_int(&m, 14, &v), 0);
  assert_int_equal(v, -5);
}

static void test_large_body_length_is_written_without_padding(void **state) {
  (void)state;
  static char out[40000];
  char big[20001];
  memset(big, 'x', 20000);
  big[20000] = '\0';
  oms_fix_builder_t b;
  oms_fix_builder_begin(&b, out, sizeof(out), "D");
  oms_fix_add_cstr(&b, 58, big);
  size_t len, used;
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  assert_memory_equal(out, "8=FIX.4.4\0019=20009\001", 17);
  oms_fix_msg_t m;
  oms_fix_limits_t lim = {.max_msg_len = 40000, .max_fields = 0};
  assert_int_equal(oms_fix_parse(out, len, &lim, &m, &used, NULL), 0);
}

static void test_overflow_is_sticky_and_reported_at_finish(void **state) {
  (void)state;
  char out[64];
  oms_fix_builder_t b;
  size_t len;
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_cstr(&b, 58, "0123456789012345678901234567890123456789"),
                   OMS_ENOSPC);
  assert_int_equal(oms_fix_add_cstr(&b, 1, "x"), OMS_ENOSPC);
  assert_int_equal(oms_fix_builder_finish(&b, &len), OMS_ENOSPC);
  /* Every capacity either fits the message or reports ENOSPC, never more. */
  for (size_t cap = 0; cap < 120; cap++) {
    char small[120];
    oms_fix_builder_begin_header(&b, small, cap, &HDR);
    oms_fix_add_cstr(&b, 112, "T1");
    int rc = oms_fix_builder_finish(&b, &len);
    assert_true(rc == 0 || rc == OMS_ENOSPC);
    if (rc == 0) assert_true(len <= cap);
  }
}

static void test_invalid_values_are_refused(void **state) {
  (void)state;
  char out[256];
  oms_fix_builder_t b;
  size_t len;
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_cstr(&b, 58, "a\001b"), OMS_EINVAL);
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_cstr(&b, 58, ""), OMS_EINVAL);
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_cstr(&b, 58, NULL), OMS_EINVAL);
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_str(&b, 58, oms_fix_str(NULL)), OMS_EINVAL);
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_cstr(&b, 0, "x"), OMS_EINVAL);
  oms_fix_builder_begin(&b, out, sizeof(out), "0");
  assert_int_equal(oms_fix_add_time(&b, 52, -1), OMS_EINVAL);
  assert_int_equal(oms_fix_builder_finish(&b, &len), OMS_EINVAL);
  assert_int_equal(oms_fix_builder_begin(&b, NULL, 10, "0"), OMS_EINVAL);
  assert_int_equal(oms_fix_builder_begin(&b, out, sizeof(out), NULL), OMS_EINVAL);
  oms_fix_header_t h = HDR;
  h.msg_seq_num = 0;
  assert_int_equal(oms_fix_builder_begin_header(&b, out, sizeof(out), &h), OMS_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heartbeat_matches_the_golden_bytes),
      cmocka_unit_test(test_possdup_header_round_trips_through_the_parser),
      cmocka_unit_test(test_large_body_length_is_written_without_padding),
      cmocka_unit_test(test_overflow_is_sticky_and_reported_at_finish),
      cmocka_unit_test(test_invalid_values_are_refused),
      cmocka_unit_test(test_deliver_to_is_written_in_the_header_after_the_comp_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
