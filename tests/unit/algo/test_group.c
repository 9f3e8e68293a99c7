/* Tests for src/algo/group.c: OCO, OUO, OTO and brackets across partial
 * fills, client cancels and venue ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/algo.h"
#include "oms_test.h"

static oms_algo_member_t leg(oms_side_t side, oms_ord_type_t type, const char *qty, const char *px,
                             const char *stop) {
  oms_algo_member_t m;
  memset(&m, 0, sizeof m);
  m.side = (uint8_t)side;
  m.type = (uint8_t)type;
  m.tif = OMS_TIF_GTC;
  m.max_qty = T_D(qty);
  m.price = T_D(px);
  m.stop_price = T_D(stop);
  return m;
}

/* The venue's view: each leg's open quantity, from the intents. */
typedef struct venue_s {
  int64_t open[OMS_ALGO_GROUP_MAX];
  bool live[OMS_ALGO_GROUP_MAX];
  int news, cancels, replaces;
} venue_t;

static void apply(oms_algo_group_t *g, venue_t *v, const oms_algo_out_t *out) {
  for (uint32_t k = 0; k < out->n; k++) {
    const oms_algo_intent_t *in = &out->intent[k];
    uint32_t i = in->child_seq - 1;
    assert_true(i < g->n);
    if (in->kind == OMS_INTENT_NEW) {
      assert_false(v->live[i]);
      v->live[i] = true;
      v->open[i] = in->qty.raw;
      v->news++;
    } else if (in->kind == OMS_INTENT_REPLACE) {
      assert_true(v->live[i]);
      v->open[i] = in->qty.raw - g->m[i].filled.raw;
      v->replaces++;
    } else {
      v->cancels++;
      oms_algo_out_t o2;
      v->live[i] = false;
      v->open[i] = 0;
      assert_int_equal(oms_algo_group_on_done(g, i, &o2), 0);
      apply(g, v, &o2);
    }
  }
}

static void fill(oms_algo_group_t *g, venue_t *v, uint32_t i, int64_t q) {
  oms_algo_out_t out;
  assert_true(v->live[i]);
  assert_true(q <= v->open[i]);
  v->open[i] -= q;
  assert_int_equal(oms_algo_group_on_fill(g, i, oms_dec_from_raw(q), &out), 0);
  apply(g, v, &out);
  if (v->live[i] && v->open[i] == 0) { /* filled in full: the venue ends it */
    v->live[i] = false;
    assert_int_equal(oms_algo_group_on_done(g, i, &out), 0);
    apply(g, v, &out);
  }
}

#define U OMS_DEC_SCALE

static void test_oco_a_fill_on_one_cancels_the_other(void **state) {
  (void)state;
  oms_algo_group_t g;
  venue_t v = {0};
  oms_algo_out_t out;
  oms_algo_member_t m[2] = {leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10", "110", "0"),
                            leg(OMS_SIDE_SELL, OMS_ORD_STOP, "10", "0", "90")};
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OCO, m, 2, &out), 0);
  apply(&g, &v, &out);
  assert_int_equal(v.news, 2);
  fill(&g, &v, 0, 3 * U);
  assert_false(v.live[1]);
  assert_int_equal(v.cancels, 1);
  assert_true(v.live[0]); /* the filling leg works on */
  fill(&g, &v, 0, 7 * U);
  assert_true(oms_algo_group_is_done(&g));
  assert_int_equal(oms_algo_group_cancel(&g, &out), OMS_ESTATE);
  /* a client cancel of one leg cancels the other */
  memset(&v, 0, sizeof v);
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OCO, m, 2, &out), 0);
  apply(&g, &v, &out);
  v.live[1] = false;
  assert_int_equal(oms_algo_group_on_done(&g, 1, &out), 0);
  apply(&g, &v, &out);
  assert_true(oms_algo_group_is_done(&g));
}

static void test_ouo_a_partial_fill_reduces_the_sibling(void **state) {
  (void)state;
  oms_algo_group_t g;
  venue_t v = {0};
  oms_algo_out_t out;
  oms_algo_member_t m[2] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "99", "0"),
                            leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "98", "0")};
  assert_int_equal(oms_algo_group_init(&g, 2, OMS_GROUP_OUO, m, 2, &out), 0);
  apply(&g, &v, &out);
  fill(&g, &v, 0, 4 * U);
  assert_int_equal(v.replaces, 1);
  assert_int_equal(v.open[1], 6 * U);
  assert_true(oms_dec_eq(g.m[1].qty, T_D("6")));
  fill(&g, &v, 1, 2 * U);
  assert_int_equal(v.open[0], 4 * U); /* 10 - 4 filled - 2 sibling */
  fill(&g, &v, 0, 4 * U);
  /* 8 + 2 = 10: the sibling has nothing left and is cancelled */
  assert_true(oms_algo_group_is_done(&g));
  assert_int_equal(g.m[0].filled.raw + g.m[1].filled.raw, 10 * U);
  /* the venue rejecting one leg ends the group */
  memset(&v, 0, sizeof v);
  assert_int_equal(oms_algo_group_init(&g, 2, OMS_GROUP_OUO, m, 2, &out), 0);
  apply(&g, &v, &out);
  v.live[0] = false;
  assert_int_equal(oms_algo_group_on_done(&g, 0, &out), 0);
  apply(&g, &v, &out);
  assert_true(oms_algo_group_is_done(&g));
}

static void test_oto_child_follows_the_parents_filled_quantity(void **state) {
  (void)state;
  oms_algo_group_t g;
  venue_t v = {0};
  oms_algo_out_t out;
  oms_algo_member_t m[2] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100", "0"),
                            leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10", "105", "0")};
  assert_int_equal(oms_algo_group_init(&g, 3, OMS_GROUP_OTO, m, 2, &out), 0);
  apply(&g, &v, &out);
  assert_int_equal(v.news, 1);
  assert_int_equal(g.m[1].state, OMS_MEMBER_HELD);
  fill(&g, &v, 0, 3 * U);
  assert_true(v.live[1]);
  assert_int_equal(v.open[1], 3 * U);
  fill(&g, &v, 0, 2 * U);
  assert_int_equal(v.open[1], 5 * U);
  assert_int_equal(v.replaces, 1);
  /* the child fills in full; the parent fills more: a further order */
  fill(&g, &v, 1, 5 * U);
  assert_false(v.live[1]);
  fill(&g, &v, 0, 1 * U);
  assert_true(v.live[1]);
  assert_int_equal(v.open[1], 1 * U);
  /* the parent is cancelled by the client: the child keeps its size */
  v.live[0] = false;
  assert_int_equal(oms_algo_group_on_done(&g, 0, &out), 0);
  apply(&g, &v, &out);
  assert_int_equal(out.n, 0);
  assert_true(v.live[1]);
  fill(&g, &v, 1, 1 * U);
  assert_true(oms_algo_group_is_done(&g));
  /* a parent that ends unfilled drops its held child */
  memset(&v, 0, sizeof v);
  assert_int_equal(oms_algo_group_init(&g, 3, OMS_GROUP_OTO, m, 2, &out), 0);
  apply(&g, &v, &out);
  v.live[0] = false;
  assert_int_equal(oms_algo_group_on_done(&g, 0, &out), 0);
  assert_true(oms_algo_group_is_done(&g));
}

/* The bracket across a matrix of partial fills: the entry fills in 1, 2 or
 * 3 parts; after each part the take-profit fills 0, 1 or 2 and the
 * stop-loss 0 or 1; then the take-profit completes. At every step each live
 * exit's open quantity equals the open position. */
static void test_bracket_across_the_matrix_of_partial_fills(void **state) {
  (void)state;
  static const int64_t splits[3][3] = {{10, 0, 0}, {4, 6, 0}, {3, 3, 4}};
  for (int s = 0; s < 3; s++) {
    for (int64_t tp = 0; tp <= 2; tp++) {
      for (int64_t sl = 0; sl <= 1; sl++) {
        oms_algo_group_t g;
        venue_t v = {0};
        oms_algo_out_t out;
        oms_algo_member_t m[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100", "0"),
                                  leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10", "110", "0"),
                                  leg(OMS_SIDE_SELL, OMS_ORD_STOP, "10", "0", "95")};
        assert_int_equal(oms_algo_group_init(&g, 4, OMS_GROUP_BRACKET, m, 3, &out), 0);
        apply(&g, &v, &out);
        assert_false(v.live[1] || v.live[2]);
        for (int part = 0; part < 3 && splits[s][part] > 0; part++) {
          fill(&g, &v, 0, splits[s][part] * U);
          int64_t pos = g.m[0].filled.raw - g.m[1].filled.raw - g.m[2].filled.raw;
          for (uint32_t x = 1; x < 3; x++) assert_int_equal(v.live[x] ? v.open[x] : 0, pos);
          if (tp > 0 && v.live[1]) fill(&g, &v, 1, (tp < v.open[1] / U ? tp : v.open[1] / U) * U);
          if (sl > 0 && v.live[2]) fill(&g, &v, 2, sl * U);
          pos = g.m[0].filled.raw - g.m[1].filled.raw - g.m[2].filled.raw;
          assert_true(pos >= 0);
          for (uint32_t x = 1; x < 3; x++) assert_int_equal(v.live[x] ? v.open[x] : 0, pos);
        }
        assert_false(v.live[0]);
        if (v.live[1]) fill(&g, &v, 1, v.open[1]);
        assert_true(oms_algo_group_is_done(&g));
        assert_int_equal(g.m[1].filled.raw + g.m[2].filled.raw, 10 * U);
        /* the stop-loss is the one that was cancelled, never over-filled */
        assert_true(g.m[2].filled.raw <= g.m[2].qty.raw);
      }
    }
  }
}

static void test_bracket_ends(void **state) {
  (void)state;
  oms_algo_group_t g;
  venue_t v = {0};
  oms_algo_out_t out;
  oms_algo_member_t m[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100", "0"),
                            leg(OMS_SIDE_SELL, OMS_ORD_LIMIT, "10", "110", "0"),
                            leg(OMS_SIDE_SELL, OMS_ORD_STOP, "10", "0", "95")};
  /* entry cancelled after a partial fill: the exits protect the 4 */
  assert_int_equal(oms_algo_group_init(&g, 4, OMS_GROUP_BRACKET, m, 3, &out), 0);
  apply(&g, &v, &out);
  fill(&g, &v, 0, 4 * U);
  v.live[0] = false;
  assert_int_equal(oms_algo_group_on_done(&g, 0, &out), 0);
  apply(&g, &v, &out);
  assert_int_equal(v.open[1], 4 * U);
  assert_int_equal(v.open[2], 4 * U);
  /* the stop-loss fills: the take-profit is cancelled, all done */
  fill(&g, &v, 2, 4 * U);
  assert_true(oms_algo_group_is_done(&g));
  /* the client cancels the stop-loss: the group ends */
  memset(&v, 0, sizeof v);
  assert_int_equal(oms_algo_group_init(&g, 4, OMS_GROUP_BRACKET, m, 3, &out), 0);
  apply(&g, &v, &out);
  fill(&g, &v, 0, 5 * U);
  v.live[2] = false;
  assert_int_equal(oms_algo_group_on_done(&g, 2, &out), 0);
  apply(&g, &v, &out);
  assert_true(oms_algo_group_is_done(&g));
  /* the whole group cancelled */
  memset(&v, 0, sizeof v);
  assert_int_equal(oms_algo_group_init(&g, 4, OMS_GROUP_BRACKET, m, 3, &out), 0);
  apply(&g, &v, &out);
  assert_int_equal(oms_algo_group_cancel(&g, &out), 0);
  apply(&g, &v, &out);
  assert_true(oms_algo_group_is_done(&g));
  /* an entry rejected at once: nothing is released */
  memset(&v, 0, sizeof v);
  assert_int_equal(oms_algo_group_init(&g, 4, OMS_GROUP_BRACKET, m, 3, &out), 0);
  assert_int_equal(oms_algo_group_on_done(&g, 0, &out), 0);
  assert_int_equal(out.n, 0);
  assert_true(oms_algo_group_is_done(&g));
}

static void test_bad_groups_and_events_are_refused(void **state) {
  (void)state;
  oms_algo_group_t g;
  oms_algo_out_t out;
  oms_algo_member_t m[3] = {leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100", "0"),
                            leg(OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "110", "0"),
                            leg(OMS_SIDE_SELL, OMS_ORD_STOP, "10", "0", "95")};
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_BRACKET, m, 3, &out), OMS_EINVAL);
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OCO, m, 3, &out), OMS_EINVAL);
  assert_int_equal(oms_algo_group_init(&g, 1, (oms_algo_group_kind_t)9, m, 2, &out), OMS_EINVAL);
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OCO, NULL, 2, &out), OMS_EINVAL);
  oms_algo_member_t big[2] = {m[0], m[2]};
  big[1].max_qty = T_D("11");
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OTO, big, 2, &out), OMS_EINVAL);
  big[1].max_qty = T_D("0");
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OCO, big, 2, &out), OMS_EINVAL);
  big[1].max_qty = T_D("5");
  big[1].side = 0;
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OCO, big, 2, &out), OMS_EINVAL);
  oms_algo_member_t oto[2] = {m[0], m[2]};
  assert_int_equal(oms_algo_group_init(&g, 1, OMS_GROUP_OTO, oto, 2, &out), 0);
  assert_int_equal(oms_algo_group_on_fill(&g, 5, T_D("1"), &out), OMS_EINVAL);
  assert_int_equal(oms_algo_group_on_fill(&g, 0, T_D("0"), &out), OMS_EINVAL);
  assert_int_equal(oms_algo_group_on_fill(&g, 1, T_D("1"), &out), OMS_ESTATE);
  assert_int_equal(oms_algo_group_on_fill(&g, 0, T_D("11"), &out), OMS_EOVERFILL);
  assert_int_equal(oms_algo_group_on_done(&g, 7, &out), OMS_EINVAL);
  assert_int_equal(oms_algo_group_on_done(&g, 1, &out), OMS_ESTATE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oco_a_fill_on_one_cancels_the_other),
      cmocka_unit_test(test_ouo_a_partial_fill_reduces_the_sibling),
      cmocka_unit_test(test_oto_child_follows_the_parents_filled_quantity),
      cmocka_unit_test(test_bracket_across_the_matrix_of_partial_fills),
      cmocka_unit_test(test_bracket_ends),
      cmocka_unit_test(test_bad_groups_and_events_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
