/* Tests for src/algo/codec.c: a parent's state survives encode/decode bit
 * for bit, and damaged records are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algo_sim.h"

#define NOW INT64_C(1700000000000000000)
#define SEC INT64_C(1000000000)

static void busy_state(oms_algo_state_t *st) {
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_VWAP, OMS_SIDE_SELL, T_D("12345.5"));
  p.end_ns = NOW + 3600 * SEC;
  p.limit_px = T_D("99.25");
  p.size_var = T_D("0.25");
  p.seed = 0xDEADBEEFCAFEull;
  p.profile_len = 5;
  for (int i = 0; i < 5; i++) p.profile[i] = oms_dec_from_raw((i * 7 + 1) * OMS_DEC_SCALE / 3);
  p.set |= 1u << OMS_ALGO_P_end_ns | 1u << OMS_ALGO_P_limit_px | 1u << OMS_ALGO_P_size_var |
           1u << OMS_ALGO_P_seed | 1u << OMS_ALGO_P_profile;
  assert_int_equal(oms_algo_init(st, 424242, &p, T_D("0.25"), T_D("0.5"), NOW), 0);
  oms_algo_md_t md = {.bid = T_D("99.5"),
                      .bid_qty = T_D("10"),
                      .ask = T_D("100"),
                      .ask_qty = T_D("10"),
                      .cum_volume = T_D("777")};
  oms_algo_out_t out;
  assert_int_equal(oms_algo_step(st, NOW, &md, &out), 0);
  assert_int_equal(out.n, 1);
  assert_int_equal(oms_algo_on_child_fill(st, 1, T_D("0.5"), T_D("99.75")), 0);
  assert_int_equal(oms_algo_step(st, NOW + 60 * SEC, &md, &out), 0);
}

static void test_a_state_round_trips_bit_for_bit(void **state) {
  (void)state;
  oms_algo_state_t a, b;
  busy_state(&a);
  uint8_t buf[OMS_ALGO_ENC_SIZE];
  int n = oms_algo_encode(&a, buf, sizeof buf);
  assert_true(n > 8 && n <= OMS_ALGO_ENC_SIZE);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), 0);
  assert_memory_equal(&a, &b, sizeof a);
  /* and the same bytes again */
  uint8_t buf2[OMS_ALGO_ENC_SIZE];
  assert_int_equal(oms_algo_encode(&b, buf2, sizeof buf2), n);
  assert_memory_equal(buf, buf2, (size_t)n);
  assert_true(oms_dec_eq(oms_algo_avg_px(&b), T_D("99.75")));
}

static void test_damaged_records_are_refused(void **state) {
  (void)state;
  oms_algo_state_t a, b;
  busy_state(&a);
  uint8_t buf[OMS_ALGO_ENC_SIZE];
  int n = oms_algo_encode(&a, buf, sizeof buf);
  assert_int_equal(oms_algo_encode(&a, buf, (size_t)n - 1), OMS_ENOSPC);
  assert_int_equal(oms_algo_decode(buf, (size_t)n - 1, &b), OMS_ECORRUPT);
  assert_int_equal(oms_algo_decode(buf, 4, &b), OMS_ECORRUPT);
  static const size_t spots[] = {0, 1, 2, 4};
  for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
    uint8_t bad[OMS_ALGO_ENC_SIZE];
    memcpy(bad, buf, (size_t)n);
    bad[spots[i]] ^= 0x40;
    assert_int_equal(oms_algo_decode(bad, (size_t)n, &b), OMS_ECORRUPT);
  }
  /* a state whose sums disagree with its children */
  oms_algo_state_t c = a;
  c.open.raw += 1;
  n = oms_algo_encode(&c, buf, sizeof buf);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  oms_algo_state_t zero;
  memset(&zero, 0, sizeof zero);
  assert_memory_equal(&b, &zero, sizeof b);
  c = a;
  c.p.strategy = 3;
  n = oms_algo_encode(&c, buf, sizeof buf);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  c = a;
  c.p.slice_ns = 0;
  n = oms_algo_encode(&c, buf, sizeof buf);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  c = a;
  c.p.end_ns = c.p.start_ns;
  n = oms_algo_encode(&c, buf, sizeof buf);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  c = a;
  c.status = 9;
  n = oms_algo_encode(&c, buf, sizeof buf);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
}

static oms_algo_member_t leg(oms_side_t side, oms_ord_type_t type, const char *qty) {
  oms_algo_member_t m;
  memset(&m, 0, sizeof m);
  m.side = (uint8_t)side;
  m.type = (uint8_t)type;
  m.tif = OMS_TIF_GTC;
  m.max_qty = T_D(qty);
  m.price = T_D("101");
  m.stop_price = type == OMS_ORD_STOP ? T_D("95") : T_D("0");
  return m;
}

/* A bracket half-way: restored, it answers the next fill as the original. */
/* A version 1 record (before the trigger type, late fills and the market
 * interval were kept) still decodes: the version 2 fields at zero. Version 2
 * appended them, so a version 1 record is a version 2 one cut short. */
static void test_a_version_1_record_still_decodes(void **state) {
  (void)state;
  oms_algo_state_t a, b;
  busy_state(&a);
  a.p.trigger_type = OMS_TRIGGER_MID;
  a.mkt_volume = T_D("5");
  a.mkt_notional = 42;
  a.mkt_known = 1;
  uint8_t buf[OMS_ALGO_ENC_SIZE];
  int n = oms_algo_encode(&a, buf, sizeof buf);
  assert_int_equal(buf[2], 2);
  enum { V2_EXTRA = 1 + 8 + 1 + 16 + 16 + 8 + 8 + 1 + 1, V1_SIZE = 907 };
  assert_int_equal(n, V1_SIZE + V2_EXTRA);
  buf[2] = 1;
  uint32_t len = V1_SIZE - 8;
  memcpy(buf + 4, &len, 4);
  assert_int_equal(oms_algo_decode(buf, V1_SIZE, &b), 0);
  a.p.trigger_type = 0;
  a.mkt_volume = OMS_DEC_ZERO;
  a.mkt_notional = 0;
  a.mark_volume = OMS_DEC_ZERO;
  a.mark_notional = 0;
  a.mkt_known = 0;
  assert_memory_equal(&a, &b, sizeof a);
  /* a version 1 header on a version 2 body, and version 3, are refused */
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  buf[2] = 3;
  assert_int_equal(oms_algo_decode(buf, V1_SIZE, &b), OMS_ECORRUPT);
  /* and a version 2 record with an unknown trigger type */
  a.p.trigger_type = 4;
  n = oms_algo_encode(&a, buf, sizeof buf);
  assert_int_equal(oms_algo_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
}

static void test_a_group_round_trips_and_continues_the_same(void **state) {
  (void)state;
  oms_algo_member_t m[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10"),
                            leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10"),
                            leg(OMS_SIDE_SELL, OMS_ORD_STOP, "10")};
  oms_algo_group_t a, b;
  oms_algo_out_t out, out2;
  assert_int_equal(oms_algo_group_init(&a, 77, OMS_GROUP_BRACKET, m, 3, &out), 0);
  assert_int_equal(oms_algo_group_on_fill(&a, 0, T_D("4"), &out), 0);
  assert_int_equal(oms_algo_group_on_fill(&a, 1, T_D("1"), &out), 0);
  uint8_t buf[OMS_ALGO_GROUP_ENC_SIZE];
  int n = oms_algo_group_encode(&a, buf, sizeof buf);
  assert_true(n > 8 && n <= OMS_ALGO_GROUP_ENC_SIZE);
  memset(&b, 0x5A, sizeof b);
  assert_int_equal(oms_algo_group_decode(buf, (size_t)n, &b), 0);
  oms_algo_group_t a2 = a;
  assert_int_equal(oms_algo_group_on_fill(&a2, 0, T_D("6"), &out), 0);
  assert_int_equal(oms_algo_group_on_fill(&b, 0, T_D("6"), &out2), 0);
  assert_int_equal(out.n, out2.n);
  assert_memory_equal(out.intent, out2.intent, sizeof(out.intent[0]) * out.n);
  assert_true(out.n >= 2); /* both exits grow */
  /* damage */
  assert_int_equal(oms_algo_group_encode(&a, buf, (size_t)n - 1), OMS_ENOSPC);
  assert_int_equal(oms_algo_group_decode(buf, 3, &b), OMS_ECORRUPT);
  n = oms_algo_group_encode(&a, buf, sizeof buf);
  assert_int_equal(oms_algo_group_decode(buf, (size_t)n + 1, &b), OMS_ECORRUPT);
  buf[1] = 'A';
  assert_int_equal(oms_algo_group_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  buf[1] = 'G';
  buf[4] ^= 1;
  assert_int_equal(oms_algo_group_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  oms_algo_group_t bad = a;
  bad.kind = 9;
  n = oms_algo_group_encode(&bad, buf, sizeof buf);
  assert_int_equal(oms_algo_group_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  bad = a;
  bad.m[1].filled = T_D("11");
  n = oms_algo_group_encode(&bad, buf, sizeof buf);
  assert_int_equal(oms_algo_group_decode(buf, (size_t)n, &b), OMS_ECORRUPT);
  oms_algo_group_t zero;
  memset(&zero, 0, sizeof zero);
  assert_memory_equal(&b, &zero, sizeof b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_state_round_trips_bit_for_bit),
      cmocka_unit_test(test_damaged_records_are_refused),
      cmocka_unit_test(test_a_version_1_record_still_decodes),
      cmocka_unit_test(test_a_group_round_trips_and_continues_the_same),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
