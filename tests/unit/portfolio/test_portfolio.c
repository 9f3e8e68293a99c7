/* Tests for src/portfolio/portfolio.c: the position and account maths
 * against hand-worked examples (adds, partial closes, flips, fees,
 * multipliers, marks), the trading day, capacity and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "oms/portfolio.h"
#include "oms_test.h"

#define NOW INT64_C(1705330800000000000) /* 2024-01-15 15:00 UTC */
#define HOUR INT64_C(3600000000000)

static oms_portfolio_t *p;
static oms_pf_position_t pos;
static oms_pf_account_t acct;

static int setup(void **state) {
  (void)state;
  oms_portfolio_config_t cfg = {4, 4, 8, 0};
  if (oms_portfolio_create(&cfg, &p) != 0) return -1;
  oms_portfolio_set_instrument(p, "BTC-USD", T_D("1"), T_D("0.1"));
  oms_portfolio_set_instrument(p, "ES", T_D("50"), T_D("0.05"));
  oms_portfolio_set_cash(p, "A", T_D("10000"), NOW);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  oms_portfolio_destroy(p);
  return 0;
}

static void fill(const char *sym, oms_side_t side, const char *qty, const char *px,
                 const char *fee) {
  assert_int_equal(oms_portfolio_apply_fill(p, "A", sym, side, T_D(qty), T_D(px), T_D(fee), NOW),
                   0);
}

#define DEC_EQ(d, s) assert_int_equal((d).raw, T_D(s).raw)

static void get(const char *sym) {
  assert_int_equal(oms_portfolio_position(p, "A", sym, &pos), 0);
  assert_int_equal(oms_portfolio_account(p, "A", NOW, &acct), 0);
}

static void test_hand_worked_long_add_partial_close_flip_and_close(void **state) {
  (void)state;
  /* Buy 2 @ 100, fee 1: long 2 at 100; marked at the fill. */
  fill("BTC-USD", OMS_SIDE_BUY, "2", "100", "1");
  get("BTC-USD");
  DEC_EQ(pos.qty, "2");
  DEC_EQ(pos.avg_px, "100");
  DEC_EQ(pos.fees, "1");
  DEC_EQ(acct.cash, "9999");
  DEC_EQ(acct.equity, "9999");
  DEC_EQ(acct.gross_exposure, "200");
  DEC_EQ(acct.margin_used, "20");
  /* Buy 1 @ 103, fee 0.5: avg (200 + 103) / 3 = 101; mark 103: upnl 6. */
  fill("BTC-USD", OMS_SIDE_BUY, "1", "103", "0.5");
  get("BTC-USD");
  DEC_EQ(pos.qty, "3");
  DEC_EQ(pos.avg_px, "101");
  DEC_EQ(pos.unrealized_pnl, "6");
  DEC_EQ(acct.cash, "9998.5");
  DEC_EQ(acct.equity, "10004.5");
  DEC_EQ(acct.margin_used, "30.9");
  /* Mark 110: upnl (110 - 101) * 3 = 27; leverage 330 / 10025.5. */
  assert_int_equal(oms_portfolio_set_mark(p, "BTC-USD", T_D("110"), NOW), 0);
  get("BTC-USD");
  DEC_EQ(pos.unrealized_pnl, "27");
  DEC_EQ(pos.exposure, "330");
  DEC_EQ(acct.equity, "10025.5");
  DEC_EQ(acct.leverage, "0.03291606");
  DEC_EQ(acct.daily_pnl, "25.5"); /* 27 - 1.5 fees */
  /* Sell 1 @ 105, fee 0.5: realizes (105 - 101) * 1 = 4, avg stays 101. */
  fill("BTC-USD", OMS_SIDE_SELL, "1", "105", "0.5");
  get("BTC-USD");
  DEC_EQ(pos.qty, "2");
  DEC_EQ(pos.avg_px, "101");
  DEC_EQ(pos.realized_pnl, "4");
  DEC_EQ(pos.unrealized_pnl, "18"); /* explicit mark 110 stays */
  DEC_EQ(acct.cash, "10002");
  /* Sell 5 @ 99, fee 1: closes 2 for (99 - 101) * 2 = -4, opens short 3 at 99. */
  fill("BTC-USD", OMS_SIDE_SELL, "5", "99", "1");
  get("BTC-USD");
  DEC_EQ(pos.qty, "-3");
  DEC_EQ(pos.avg_px, "99");
  DEC_EQ(pos.realized_pnl, "0");
  DEC_EQ(pos.unrealized_pnl, "-33");
  DEC_EQ(pos.exposure, "-330");
  DEC_EQ(acct.gross_exposure, "330");
  DEC_EQ(acct.net_exposure, "-330");
  DEC_EQ(acct.cash, "9997");
  DEC_EQ(acct.equity, "9964");
  /* Buy 3 @ 95: closes the short for (99 - 95) * 3 = 12; flat. */
  fill("BTC-USD", OMS_SIDE_BUY, "3", "95", "0");
  get("BTC-USD");
  DEC_EQ(pos.qty, "0");
  DEC_EQ(pos.avg_px, "0");
  DEC_EQ(pos.realized_pnl, "12");
  DEC_EQ(pos.unrealized_pnl, "0");
  DEC_EQ(pos.fees, "3");
  DEC_EQ(acct.realized_pnl, "12");
  DEC_EQ(acct.fees, "3");
  DEC_EQ(acct.cash, "10009");
  DEC_EQ(acct.gross_exposure, "0");
  DEC_EQ(acct.margin_used, "0");
  DEC_EQ(acct.daily_pnl, "9");
}

static void test_short_first_then_flip_to_long(void **state) {
  (void)state;
  fill("BTC-USD", OMS_SIDE_SELL, "4", "50", "0");
  fill("BTC-USD", OMS_SIDE_SELL, "1", "55", "0"); /* avg (200 + 55) / 5 = 51 */
  get("BTC-USD");
  DEC_EQ(pos.qty, "-5");
  DEC_EQ(pos.avg_px, "51");
  DEC_EQ(pos.unrealized_pnl, "-20");             /* marked at 55: (55 - 51) * -5 */
  fill("BTC-USD", OMS_SIDE_BUY, "7", "48", "0"); /* closes 5: (51 - 48) * 5 = 15; long 2 @ 48 */
  get("BTC-USD");
  DEC_EQ(pos.qty, "2");
  DEC_EQ(pos.avg_px, "48");
  DEC_EQ(pos.realized_pnl, "15");
  DEC_EQ(pos.unrealized_pnl, "0");
}

static void test_multiplier_scales_pnl_and_exposure(void **state) {
  (void)state;
  fill("ES", OMS_SIDE_BUY, "2", "4000.25", "2.5");
  get("ES");
  DEC_EQ(pos.exposure, "400025");
  DEC_EQ(pos.margin, "20001.25");
  assert_int_equal(oms_portfolio_set_mark(p, "ES", T_D("3990.25"), NOW), 0);
  get("ES");
  DEC_EQ(pos.unrealized_pnl, "-1000"); /* -10 * 2 * 50 */
  fill("ES", OMS_SIDE_SELL, "2", "4001.5", "2.5");
  get("ES");
  DEC_EQ(pos.realized_pnl, "125"); /* 1.25 * 2 * 50 */
  DEC_EQ(acct.cash, "10120");
  /* Changing the multiplier revalues (nothing held now). */
  assert_int_equal(oms_portfolio_set_instrument(p, "ES", T_D("5"), T_D("0.1")), 0);
  oms_pf_instrument_t ins;
  assert_int_equal(oms_portfolio_instrument(p, "ES", &ins), 0);
  DEC_EQ(ins.multiplier, "5");
  DEC_EQ(ins.mark_px, "3990.25");
}

static void test_average_price_rounds_half_even(void **state) {
  (void)state;
  fill("BTC-USD", OMS_SIDE_BUY, "1", "100", "0");
  fill("BTC-USD", OMS_SIDE_BUY, "2", "100.00000001", "0");
  get("BTC-USD");
  DEC_EQ(pos.avg_px, "100.00000001"); /* 100.0000000066... */
}

static void test_marks_revalue_every_holder(void **state) {
  (void)state;
  fill("BTC-USD", OMS_SIDE_BUY, "1", "100", "0");
  assert_int_equal(oms_portfolio_apply_fill(p, "B", "BTC-USD", OMS_SIDE_SELL, T_D("2"), T_D("100"),
                                            OMS_DEC_ZERO, NOW),
                   0);
  assert_int_equal(oms_portfolio_set_mark(p, "BTC-USD", T_D("90"), NOW), 0);
  get("BTC-USD");
  DEC_EQ(pos.unrealized_pnl, "-10");
  assert_int_equal(oms_portfolio_position(p, "B", "BTC-USD", &pos), 0);
  DEC_EQ(pos.unrealized_pnl, "20");
  assert_int_equal(oms_portfolio_account(p, "B", NOW, &acct), 0);
  DEC_EQ(acct.equity, "20"); /* B has no cash */
  /* Without an explicit mark, a fill moves the mark for everyone; once
   * marked explicitly, fills no longer do. */
  fill("BTC-USD", OMS_SIDE_BUY, "1", "95", "0");
  get("BTC-USD");
  DEC_EQ(pos.ins.mark_px, "90");
}

static void test_daily_pnl_resets_at_the_configured_time(void **state) {
  (void)state;
  oms_portfolio_t *q;
  oms_portfolio_config_t cfg = {2, 2, 2, 22 * HOUR}; /* the day starts 22:00 UTC */
  assert_int_equal(oms_portfolio_create(&cfg, &q), 0);
  oms_portfolio_set_instrument(q, "X", T_D("1"), T_D("0"));
  assert_int_equal(
      oms_portfolio_apply_fill(q, "A", "X", OMS_SIDE_BUY, T_D("10"), T_D("100"), T_D("1"), NOW), 0);
  oms_portfolio_set_mark(q, "X", T_D("90"), NOW);
  assert_int_equal(oms_portfolio_account(q, "A", NOW, &acct), 0);
  DEC_EQ(acct.daily_pnl, "-101");
  /* 21:59:59 the same day: still the same trading day. */
  int64_t before = NOW + 7 * HOUR - 1;
  assert_int_equal(oms_portfolio_account(q, "A", before, &acct), 0);
  DEC_EQ(acct.daily_pnl, "-101");
  /* 22:00: a new day starts from here. */
  assert_int_equal(oms_portfolio_account(q, "A", NOW + 7 * HOUR, &acct), 0);
  DEC_EQ(acct.daily_pnl, "0");
  assert_int_equal(acct.day_start_ns, NOW + 7 * HOUR);
  oms_portfolio_set_mark(q, "X", T_D("95"), NOW + 8 * HOUR);
  assert_int_equal(oms_portfolio_account(q, "A", NOW + 8 * HOUR, &acct), 0);
  DEC_EQ(acct.daily_pnl, "50");
  DEC_EQ(acct.unrealized_pnl, "-50");
  /* A mark in the next day rolls the day before revaluing. */
  oms_portfolio_set_mark(q, "X", T_D("96"), NOW + 31 * HOUR);
  assert_int_equal(oms_portfolio_account(q, "A", NOW + 31 * HOUR, &acct), 0);
  DEC_EQ(acct.daily_pnl, "10");
  oms_portfolio_destroy(q);
}

typedef struct bases_s {
  int n;
  char acct[4][8];
  int64_t day[4];
  oms_dec_t base[4];
} bases_t;

static int take_base(void *ctx, const char *account, int64_t day_start_ns, oms_dec_t base) {
  bases_t *b = ctx;
  snprintf(b->acct[b->n], sizeof b->acct[b->n], "%s", account);
  b->day[b->n] = day_start_ns;
  b->base[b->n++] = base;
  return b->n == 2 ? 7 : 0; /* the walk stops at a non-zero answer */
}

/* The bases a restart journals and puts back (docs/store.md, "daily PnL
 * baseline"): each_day_base rolls every account as a read would and gives
 * its base; reset_days and set_day_base put a day back. */
static void test_day_bases_are_walked_and_put_back(void **state) {
  (void)state;
  oms_portfolio_t *q;
  oms_portfolio_config_t cfg = {3, 2, 4, 22 * HOUR}; /* the day starts 22:00 UTC */
  assert_int_equal(oms_portfolio_create(&cfg, &q), 0);
  const int64_t day1 = NOW - 17 * HOUR, day2 = day1 + 24 * HOUR; /* 22:00 the day before */
  assert_int_equal(oms_portfolio_day_start(q, NOW), day1);
  assert_int_equal(oms_portfolio_day_start(q, day1 - 1), day1 - 24 * HOUR);
  assert_int_equal(oms_portfolio_day_start(q, day2), day2);
  oms_portfolio_set_instrument(q, "X", T_D("1"), T_D("0"));
  assert_int_equal(oms_portfolio_set_cash(q, "A", T_D("1000"), NOW), 0);
  assert_int_equal(
      oms_portfolio_apply_fill(q, "A", "X", OMS_SIDE_BUY, T_D("10"), T_D("100"), T_D("1"), NOW), 0);
  assert_int_equal(
      oms_portfolio_apply_fill(q, "B", "X", OMS_SIDE_SELL, T_D("2"), T_D("102"), T_D("0"), NOW), 0);
  /* A: 10 @ 100 marked 102: 20 - 1; B: -2 @ 102: 0. */
  bases_t b = {0};
  assert_int_equal(oms_portfolio_each_day_base(q, day2 + 1, take_base, &b), 7);
  assert_int_equal(b.n, 2);
  assert_string_equal(b.acct[0], "A");
  assert_int_equal(b.day[0], day2);
  DEC_EQ(b.base[0], "19");
  assert_string_equal(b.acct[1], "B");
  DEC_EQ(b.base[1], "0");
  assert_int_equal(oms_portfolio_account(q, "A", day2 + 2, &acct), 0);
  DEC_EQ(acct.daily_pnl, "0");
  /* Walked again the same day: nothing rolls twice. */
  oms_portfolio_set_mark(q, "X", T_D("101"), day2 + 3);
  memset(&b, 0, sizeof b);
  assert_int_equal(oms_portfolio_each_day_base(q, day2 + 4, take_base, &b), 7);
  DEC_EQ(b.base[0], "19");
  assert_int_equal(oms_portfolio_account(q, "A", day2 + 4, &acct), 0);
  DEC_EQ(acct.daily_pnl, "-10");
  /* Put back: a base of its own, a day from 0 for all, a day from now. */
  assert_int_equal(oms_portfolio_set_day_base(q, "A", day2 + 5, T_D("4")), 0);
  assert_int_equal(oms_portfolio_account(q, "A", day2 + 5, &acct), 0);
  DEC_EQ(acct.daily_pnl, "5"); /* 9 now */
  assert_int_equal(acct.day_start_ns, day2);
  assert_int_equal(oms_portfolio_set_day_base(q, "C", day2 + 5, T_D("-3")), 0); /* made */
  assert_int_equal(oms_portfolio_account(q, "C", day2 + 5, &acct), 0);
  DEC_EQ(acct.daily_pnl, "3");
  assert_int_equal(oms_portfolio_set_day_base(q, "", day2, T_D("1")), OMS_EINVAL);
  assert_int_equal(oms_portfolio_set_day_base(NULL, "A", day2, T_D("1")), OMS_EINVAL);
  assert_int_equal(oms_portfolio_set_day_base(q, "D", day2, T_D("1")), OMS_EFULL);
  oms_portfolio_reset_days(q, day2 + 6, false);
  assert_int_equal(oms_portfolio_account(q, "A", day2 + 6, &acct), 0);
  DEC_EQ(acct.daily_pnl, "9"); /* everything counts as today's */
  oms_portfolio_reset_days(q, day2 + 6, true);
  assert_int_equal(oms_portfolio_account(q, "A", day2 + 6, &acct), 0);
  DEC_EQ(acct.daily_pnl, "0"); /* the day begins now */
  oms_portfolio_destroy(q);
}

static void test_refusals_change_nothing(void **state) {
  (void)state;
  assert_int_equal(
      oms_portfolio_apply_fill(p, "A", "NOPE", OMS_SIDE_BUY, T_D("1"), T_D("1"), OMS_DEC_ZERO, NOW),
      OMS_ENOTFOUND);
  assert_int_equal(oms_portfolio_apply_fill(p, "A", "BTC-USD", OMS_SIDE_BUY, T_D("0"), T_D("1"),
                                            OMS_DEC_ZERO, NOW),
                   OMS_EINVAL);
  assert_int_equal(oms_portfolio_apply_fill(p, "A", "BTC-USD", (oms_side_t)7, T_D("1"), T_D("1"),
                                            OMS_DEC_ZERO, NOW),
                   OMS_EINVAL);
  assert_int_equal(oms_portfolio_apply_fill(p, "bad id", "BTC-USD", OMS_SIDE_BUY, T_D("1"),
                                            T_D("1"), OMS_DEC_ZERO, NOW),
                   OMS_EINVAL);
  assert_int_equal(oms_portfolio_set_mark(p, "BTC-USD", T_D("0"), NOW), OMS_EINVAL);
  assert_int_equal(oms_portfolio_set_mark(p, "NOPE", T_D("1"), NOW), OMS_ENOTFOUND);
  assert_int_equal(oms_portfolio_set_instrument(p, "BTC-USD", T_D("-1"), T_D("0")), OMS_EINVAL);
  assert_int_equal(oms_portfolio_set_instrument(p, "bad sym", T_D("1"), T_D("0")), OMS_EINVAL);
  assert_int_equal(oms_portfolio_set_cash(p, NULL, T_D("1"), NOW), OMS_EINVAL);
  assert_int_equal(oms_portfolio_account(p, "ZZ", NOW, &acct), OMS_ENOTFOUND);
  assert_int_equal(oms_portfolio_position(p, "A", "NOPE", &pos), OMS_ENOTFOUND);
  assert_int_equal(oms_portfolio_instrument(p, "NOPE", &pos.ins), OMS_ENOTFOUND);
  /* A known symbol not held is a flat position with the instrument data. */
  assert_int_equal(oms_portfolio_position(p, "ZZ", "ES", &pos), 0);
  DEC_EQ(pos.ins.multiplier, "50");
  assert_int_equal(oms_portfolio_position(p, "A", "ES", &pos), 0);
  DEC_EQ(pos.qty, "0");
  /* Overflow leaves the position as it was. */
  fill("BTC-USD", OMS_SIDE_BUY, "1", "100", "0");
  assert_int_equal(oms_portfolio_apply_fill(p, "A", "BTC-USD", OMS_SIDE_BUY, T_D("90000000000"),
                                            T_D("90000000000"), OMS_DEC_ZERO, NOW),
                   OMS_EOVERFLOW);
  get("BTC-USD");
  DEC_EQ(pos.qty, "1");
  DEC_EQ(acct.cash, "10000");
  assert_int_equal(oms_portfolio_set_mark(p, "BTC-USD", T_D("90000000000"), NOW), 0);
  assert_int_equal(oms_portfolio_apply_fill(p, "A", "BTC-USD", OMS_SIDE_BUY, T_D("2"),
                                            T_D("90000000000"), OMS_DEC_ZERO, NOW),
                   OMS_EOVERFLOW);
  /* Null-safe destroy and bad configs. */
  oms_portfolio_destroy(NULL);
  oms_portfolio_t *q = (oms_portfolio_t *)&q;
  oms_portfolio_config_t bad = {0, 1, 1, 0};
  assert_int_equal(oms_portfolio_create(&bad, &q), OMS_EINVAL);
  assert_null(q);
  oms_portfolio_config_t bad2 = {1, 1, 1, -1};
  assert_int_equal(oms_portfolio_create(&bad2, &q), OMS_EINVAL);
}

static void test_capacity_is_fixed_at_create(void **state) {
  (void)state;
  oms_portfolio_t *q;
  oms_portfolio_config_t cfg = {1, 1, 1, 0};
  assert_int_equal(oms_portfolio_create(&cfg, &q), 0);
  assert_int_equal(oms_portfolio_set_instrument(q, "X", T_D("0"), T_D("0")), 0);
  assert_int_equal(oms_portfolio_set_instrument(q, "Y", T_D("1"), T_D("0")), OMS_EFULL);
  assert_int_equal(oms_portfolio_set_cash(q, "A", T_D("1"), NOW), 0);
  assert_int_equal(oms_portfolio_set_cash(q, "B", T_D("1"), NOW), OMS_EFULL);
  assert_int_equal(
      oms_portfolio_apply_fill(q, "B", "X", OMS_SIDE_BUY, T_D("1"), T_D("1"), OMS_DEC_ZERO, NOW),
      OMS_EFULL);
  assert_int_equal(
      oms_portfolio_apply_fill(q, "A", "X", OMS_SIDE_BUY, T_D("1"), T_D("1"), OMS_DEC_ZERO, NOW),
      0);
  oms_pf_instrument_t ins;
  assert_int_equal(oms_portfolio_instrument(q, "X", &ins), 0);
  DEC_EQ(ins.multiplier, "1"); /* 0 is taken as 1 */
  oms_portfolio_destroy(q);
}

static void test_interface_table_reads_the_portfolio(void **state) {
  (void)state;
  fill("BTC-USD", OMS_SIDE_BUY, "1", "100", "0");
  oms_portfolio_if_t t = oms_portfolio_as_if(p);
  oms_pf_account_t a;
  oms_pf_position_t ps;
  oms_pf_instrument_t ins;
  assert_int_equal(t.account(t.ctx, "A", NOW, &a), 0);
  assert_int_equal(t.position(t.ctx, "A", "BTC-USD", &ps), 0);
  assert_int_equal(t.instrument(t.ctx, "BTC-USD", &ins), 0);
  DEC_EQ(ps.qty, "1");
  DEC_EQ(a.cash, "10000");
  DEC_EQ(ins.mark_px, "100");
}

static void bust(const char *sym, oms_side_t side, const char *qty, const char *px,
                 const char *fee) {
  assert_int_equal(oms_portfolio_bust_fill(p, "A", sym, side, T_D(qty), T_D(px), T_D(fee), NOW), 0);
}

static void test_a_bust_of_the_last_fill_restores_the_position_exactly(void **state) {
  (void)state;
  /* An adding fill unwound: the average back to the first fill's. */
  fill("BTC-USD", OMS_SIDE_BUY, "2", "100", "1");
  fill("BTC-USD", OMS_SIDE_BUY, "1", "103", "0.5");
  bust("BTC-USD", OMS_SIDE_BUY, "1", "103", "0.5");
  get("BTC-USD");
  DEC_EQ(pos.qty, "2");
  DEC_EQ(pos.avg_px, "100");
  DEC_EQ(pos.fees, "1");
  DEC_EQ(acct.fees, "1");
  DEC_EQ(acct.cash, "9999");
  /* A reducing fill taken back: the realized PnL and the cash go back. */
  fill("BTC-USD", OMS_SIDE_SELL, "1", "110", "0.2");
  get("BTC-USD");
  DEC_EQ(pos.realized_pnl, "10");
  bust("BTC-USD", OMS_SIDE_SELL, "1", "110", "0.2");
  get("BTC-USD");
  DEC_EQ(pos.qty, "2");
  DEC_EQ(pos.avg_px, "100");
  DEC_EQ(pos.realized_pnl, "0");
  DEC_EQ(pos.fees, "1");
  DEC_EQ(acct.realized_pnl, "0");
  DEC_EQ(acct.cash, "9999");
  /* The opening fill busted: flat, no average. */
  bust("BTC-USD", OMS_SIDE_BUY, "2", "100", "1");
  get("BTC-USD");
  DEC_EQ(pos.qty, "0");
  DEC_EQ(pos.avg_px, "0");
  DEC_EQ(pos.fees, "0");
  DEC_EQ(acct.cash, "10000");
}

static void test_a_bust_of_a_flattening_fill_restores_quantity_and_fees(void **state) {
  (void)state;
  fill("ES", OMS_SIDE_SELL, "2", "4000", "0");
  fill("ES", OMS_SIDE_BUY, "2", "3990", "1");
  get("ES");
  DEC_EQ(pos.qty, "0");
  DEC_EQ(pos.realized_pnl, "1000"); /* 2 x 10 x 50 */
  bust("ES", OMS_SIDE_BUY, "2", "3990", "1");
  get("ES");
  DEC_EQ(pos.qty, "-2");
  DEC_EQ(pos.avg_px, "3990"); /* the average closed against is gone: the fill's own price */
  DEC_EQ(pos.fees, "0");
  /* The pure function agrees and refuses what apply_fill refuses. */
  oms_pf_book_t b = {T_D("3"), T_D("100"), T_D("0"), T_D("0")}, prev;
  oms_dec_t r;
  assert_int_equal(
      oms_pf_book_bust(&b, OMS_SIDE_BUY, T_D("1"), T_D("97"), T_D("0"), T_D("1"), &prev, &r), 0);
  DEC_EQ(prev.qty, "2");
  DEC_EQ(prev.avg_px, "101.5");
  DEC_EQ(r, "0");
  assert_int_equal(
      oms_pf_book_bust(&b, OMS_SIDE_BUY, T_D("0"), T_D("97"), T_D("0"), T_D("1"), &prev, NULL),
      OMS_EINVAL);
  assert_int_equal(
      oms_pf_book_bust(NULL, OMS_SIDE_BUY, T_D("1"), T_D("97"), T_D("0"), T_D("1"), &prev, NULL),
      OMS_EINVAL);
}

typedef struct seen_s {
  int n;
  char acct[4][16], sym[4][16];
  oms_pf_position_t pos[4];
  oms_pf_account_t ac[4];
  int stop_at;
} seen_t;

static int each_pos(void *ctx, const char *account, const char *symbol,
                    const oms_pf_position_t *ps) {
  seen_t *s = ctx;
  strcpy(s->acct[s->n], account);
  strcpy(s->sym[s->n], symbol);
  s->pos[s->n++] = *ps;
  return s->n == s->stop_at ? 7 : 0;
}

static int each_acct(void *ctx, const char *account, const oms_pf_account_t *a) {
  seen_t *s = ctx;
  strcpy(s->acct[s->n], account);
  s->ac[s->n++] = *a;
  return s->n == s->stop_at ? 9 : 0;
}

static void test_walks_visit_every_position_and_account_in_creation_order(void **state) {
  (void)state;
  fill("ES", OMS_SIDE_BUY, "1", "4000", "2");
  assert_int_equal(oms_portfolio_apply_fill(p, "B", "BTC-USD", OMS_SIDE_SELL, T_D("2"), T_D("100"),
                                            T_D("0"), NOW),
                   0);
  fill("BTC-USD", OMS_SIDE_BUY, "1", "100", "0");
  fill("BTC-USD", OMS_SIDE_SELL, "1", "110", "0"); /* flat, with realized PnL */
  assert_int_equal(oms_portfolio_set_mark(p, "ES", T_D("4010"), NOW), 0);
  seen_t s = {0};
  assert_int_equal(oms_portfolio_each_position(p, NULL, each_pos, &s), 0);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.acct[0], "A");
  assert_string_equal(s.sym[0], "ES");
  DEC_EQ(s.pos[0].qty, "1");
  DEC_EQ(s.pos[0].ins.mark_px, "4010");
  DEC_EQ(s.pos[0].unrealized_pnl, "500"); /* 10 x 50 */
  DEC_EQ(s.pos[0].fees, "2");
  assert_string_equal(s.acct[1], "B");
  DEC_EQ(s.pos[1].qty, "-2");
  assert_string_equal(s.acct[2], "A");
  assert_string_equal(s.sym[2], "BTC-USD");
  DEC_EQ(s.pos[2].qty, "0");
  DEC_EQ(s.pos[2].realized_pnl, "10");
  /* One account only; an unknown account has none; the callback can stop. */
  memset(&s, 0, sizeof s);
  assert_int_equal(oms_portfolio_each_position(p, "B", each_pos, &s), 0);
  assert_int_equal(s.n, 1);
  memset(&s, 0, sizeof s);
  assert_int_equal(oms_portfolio_each_position(p, "NOPE", each_pos, &s), 0);
  assert_int_equal(s.n, 0);
  s.stop_at = 1;
  assert_int_equal(oms_portfolio_each_position(p, NULL, each_pos, &s), 7);
  assert_int_equal(s.n, 1);
  /* Accounts: A (set_cash at setup), then B (created by its fill). */
  memset(&s, 0, sizeof s);
  assert_int_equal(oms_portfolio_each_account(p, NOW, each_acct, &s), 0);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.acct[0], "A");
  DEC_EQ(s.ac[0].cash, "10008"); /* 10000 + 10 realized - 2 fees */
  DEC_EQ(s.ac[0].unrealized_pnl, "500");
  DEC_EQ(s.ac[0].equity, "10508");
  assert_string_equal(s.acct[1], "B");
  memset(&s, 0, sizeof s);
  s.stop_at = 1;
  assert_int_equal(oms_portfolio_each_account(p, NOW, each_acct, &s), 9);
}

/* A position restored from its book at the last fill's mark equals the one
 * its fills built; refusals change nothing. */
static void test_a_restored_position_equals_the_fills_that_made_it(void **state) {
  (void)state;
  fill("ES", OMS_SIDE_BUY, "3", "4000", "1.5");
  fill("ES", OMS_SIDE_SELL, "1", "4010.25", "0.5");
  oms_pf_position_t want;
  oms_pf_account_t want_acct;
  get("ES");
  want = pos;
  want_acct = acct;

  oms_portfolio_t *q;
  oms_portfolio_config_t cfg = {4, 4, 2, 0};
  assert_int_equal(oms_portfolio_create(&cfg, &q), 0);
  oms_portfolio_set_instrument(q, "BTC-USD", T_D("1"), T_D("0.1"));
  oms_portfolio_set_instrument(q, "ES", T_D("50"), T_D("0.05"));
  oms_portfolio_set_cash(q, "A", T_D("10000"), NOW);
  oms_pf_book_t book = {want.qty, want.avg_px, want.realized_pnl, want.fees};
  assert_int_equal(oms_portfolio_restore_mark(q, "ES", T_D("4010.25"), NOW), 0);
  assert_int_equal(oms_portfolio_restore_position(q, "A", "ES", &book, NOW), 0);
  oms_pf_position_t got;
  oms_pf_account_t got_acct;
  assert_int_equal(oms_portfolio_position(q, "A", "ES", &got), 0);
  assert_int_equal(oms_portfolio_account(q, "A", NOW, &got_acct), 0);
  assert_memory_equal(&got, &want, sizeof got);
  assert_memory_equal(&got_acct, &want_acct, sizeof got_acct);

  assert_int_equal(oms_portfolio_restore_position(q, "A", "ES", &book, NOW), OMS_EEXIST);
  assert_int_equal(oms_portfolio_restore_position(q, "A", "NOPE", &book, NOW), OMS_ENOTFOUND);
  assert_int_equal(oms_portfolio_restore_position(q, "bad id!", "ES", &book, NOW), OMS_EINVAL);
  assert_int_equal(oms_portfolio_restore_position(q, "A", "ES", NULL, NOW), OMS_EINVAL);
  assert_int_equal(oms_portfolio_restore_position(q, "B", "BTC-USD", &book, NOW), 0);
  assert_int_equal(oms_portfolio_restore_position(q, "C", "BTC-USD", &book, NOW), OMS_EFULL);
  oms_pf_book_t huge = {oms_dec_from_raw(OMS_DEC_MAX_RAW), T_D("1"),
                        oms_dec_from_raw(OMS_DEC_MAX_RAW), T_D("0")};
  assert_int_equal(oms_portfolio_restore_position(p, "A", "BTC-USD", &huge, NOW), OMS_EOVERFLOW);
  assert_int_equal(oms_portfolio_restore_mark(q, "NOPE", T_D("1"), NOW), OMS_ENOTFOUND);
  assert_int_equal(oms_portfolio_restore_mark(q, "ES", T_D("0"), NOW), OMS_EINVAL);
  /* A mark set by hand stays, as a fill would leave it. */
  assert_int_equal(oms_portfolio_set_mark(q, "ES", T_D("3900"), NOW), 0);
  assert_int_equal(oms_portfolio_restore_mark(q, "ES", T_D("4100"), NOW), 0);
  oms_pf_instrument_t ins;
  assert_int_equal(oms_portfolio_instrument(q, "ES", &ins), 0);
  DEC_EQ(ins.mark_px, "3900");
  oms_portfolio_destroy(q);
}

/* oms_portfolio_account_position gives what account and position give, in
 * every case (account or symbol unknown, no position yet, a position), and
 * its hint, kept by the caller, stays right as the account and the position
 * appear later; leverage follows a changed equity. */
static void same_as_two_calls(const char *account, const char *symbol, uint64_t *hint) {
  oms_pf_account_t a1, a2;
  oms_pf_position_t p1, p2;
  int ka = oms_portfolio_account(p, account, NOW, &a1);
  int ks = oms_portfolio_position(p, account, symbol, &p1);
  int known = oms_portfolio_account_position(p, account, symbol, NOW, hint, &a2, &p2);
  assert_int_equal((known & OMS_PF_ACCOUNT_KNOWN) != 0, ka == 0);
  assert_int_equal((known & OMS_PF_SYMBOL_KNOWN) != 0, ks == 0);
  assert_memory_equal(&a1, &a2, sizeof a1);
  assert_memory_equal(&p1, &p2, sizeof p1);
}

static void test_account_and_position_at_once(void **state) {
  (void)state;
  uint64_t h_b = 0, h_nosym = 0, h_es = 0;
  same_as_two_calls("B", "BTC-USD", &h_b); /* no account B yet */
  same_as_two_calls("A", "NOPE", &h_nosym);
  same_as_two_calls("A", "ES", &h_es); /* no position yet */
  same_as_two_calls("A", "ES", &h_es);
  fill("ES", OMS_SIDE_BUY, "2", "4000", "1");
  same_as_two_calls("A", "ES", &h_es);
  assert_int_equal(oms_portfolio_apply_fill(p, "B", "BTC-USD", OMS_SIDE_SELL, T_D("1"),
                                            T_D("65000"), T_D("0"), NOW),
                   0);
  same_as_two_calls("B", "BTC-USD", &h_b); /* the account and its position now */
  same_as_two_calls("B", "BTC-USD", &h_b);
  assert_int_equal(oms_portfolio_set_mark(p, "ES", T_D("4100"), NOW), 0);
  same_as_two_calls("A", "ES", &h_es); /* equity moved: leverage again */
  same_as_two_calls("A", "NOPE", &h_nosym);
  oms_pf_account_t a;
  oms_pf_position_t ps;
  uint64_t h = 0;
  assert_int_equal(oms_portfolio_account_position(NULL, "A", "ES", NOW, &h, &a, &ps), 0);
  oms_portfolio_if_t t = oms_portfolio_as_if(p);
  assert_int_equal(t.account_position(t.ctx, "A", "ES", NOW, &h, &a, &ps),
                   OMS_PF_ACCOUNT_KNOWN | OMS_PF_SYMBOL_KNOWN);
  DEC_EQ(ps.qty, "2");
}

/* oms_portfolio_instrument_hint gives what oms_portfolio_instrument gives,
 * with a hint from oms_portfolio_account_position or a fresh one, and keeps
 * the account's half of the hint. */
static void test_instrument_through_a_hint(void **state) {
  (void)state;
  oms_pf_instrument_t i1, i2;
  oms_pf_account_t a;
  oms_pf_position_t ps;
  uint64_t h = 0;
  assert_int_equal(oms_portfolio_account_position(p, "A", "ES", NOW, &h, &a, &ps),
                   OMS_PF_ACCOUNT_KNOWN | OMS_PF_SYMBOL_KNOWN);
  assert_int_equal(oms_portfolio_instrument(p, "ES", &i1), 0);
  assert_int_equal(oms_portfolio_instrument_hint(p, "ES", &h, &i2), 0);
  assert_memory_equal(&i1, &i2, sizeof i1);
  uint64_t fresh = 7; /* an account half, no symbol yet */
  oms_portfolio_if_t t = oms_portfolio_as_if(p);
  assert_int_equal(t.instrument_hint(t.ctx, "ES", &fresh, &i2), 0);
  assert_memory_equal(&i1, &i2, sizeof i1);
  assert_int_equal((uint32_t)fresh, 7);
  assert_int_equal(fresh >> 32, h >> 32);
  assert_int_equal(oms_portfolio_instrument_hint(p, "ES", &fresh, &i2), 0); /* by the hint */
  assert_memory_equal(&i1, &i2, sizeof i1);
  uint64_t none = 0;
  assert_int_equal(oms_portfolio_instrument_hint(p, "NOPE", &none, &i2), OMS_ENOTFOUND);
  assert_int_equal(none, 0);
  assert_int_equal(oms_portfolio_instrument_hint(NULL, "ES", &none, &i2), OMS_ENOTFOUND);
}

/* The change counter moves at every update (whether or not it succeeds)
 * and when a read starts an account's trading day, and stays put for the
 * reads that change nothing; the interface table gives the same counter. */
static void test_the_change_counter_moves_at_every_update(void **state) {
  (void)state;
  const uint64_t *c = oms_portfolio_changes(p);
  oms_portfolio_if_t t = oms_portfolio_as_if(p);
  assert_ptr_equal(t.changes(t.ctx), c);
  uint64_t last = *c;
#define MOVES(update)        \
  do {                       \
    (void)(update);          \
    assert_true(*c != last); \
    last = *c;               \
  } while (0)
#define STAYS(read)          \
  do {                       \
    (void)(read);            \
    assert_true(*c == last); \
  } while (0)
  uint64_t hint = 0;
  oms_pf_instrument_t ins;
  STAYS(oms_portfolio_account(p, "A", NOW, &acct));
  STAYS(oms_portfolio_position(p, "A", "BTC-USD", &pos));
  STAYS(oms_portfolio_account_position(p, "A", "BTC-USD", NOW, &hint, &acct, &pos));
  STAYS(oms_portfolio_instrument(p, "BTC-USD", &ins));
  STAYS(oms_portfolio_instrument_hint(p, "BTC-USD", &hint, &ins));
  MOVES(oms_portfolio_apply_fill(p, "A", "BTC-USD", OMS_SIDE_BUY, T_D("1"), T_D("100"), T_D("0"),
                                 NOW));
  MOVES(oms_portfolio_bust_fill(p, "A", "BTC-USD", OMS_SIDE_BUY, T_D("1"), T_D("100"), T_D("0"),
                                NOW));
  MOVES(oms_portfolio_set_mark(p, "BTC-USD", T_D("101"), NOW));
  MOVES(oms_portfolio_restore_mark(p, "ES", T_D("4000"), NOW));
  MOVES(oms_portfolio_set_instrument(p, "ES", T_D("50"), T_D("0.06")));
  MOVES(oms_portfolio_set_instrument(p, "NQ", T_D("20"), T_D("0.06")));
  MOVES(oms_portfolio_set_cash(p, "A", T_D("9000"), NOW));
  MOVES(oms_portfolio_set_cash(p, "B", T_D("9000"), NOW));
  oms_pf_book_t book = {T_D("1"), T_D("10"), T_D("0"), T_D("0")};
  MOVES(oms_portfolio_restore_position(p, "B", "NQ", &book, NOW));
  MOVES(oms_portfolio_set_day_base(p, "A", NOW, T_D("5")));
  MOVES(oms_portfolio_reset_days(p, NOW, true));
  /* a refused update may have changed nothing: it moves the counter all
   * the same (a reader reads once more, never once too few) */
  MOVES(oms_portfolio_apply_fill(p, "A", "NOPE", OMS_SIDE_BUY, T_D("1"), T_D("1"), T_D("0"), NOW));
  /* the next trading day starts at a read */
  STAYS(oms_portfolio_account(p, "A", NOW + HOUR, &acct));
  int64_t next = acct.day_start_ns + OMS_DAY_NS;
  STAYS(oms_portfolio_account(p, "A", next - 1, &acct));
  MOVES(oms_portfolio_account(p, "A", next, &acct));
  STAYS(oms_portfolio_account(p, "A", next, &acct));
  uint64_t hint_b = 0;
  MOVES(oms_portfolio_account_position(p, "B", "NQ", next, &hint_b, &acct, &pos));
#undef MOVES
#undef STAYS
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_hand_worked_long_add_partial_close_flip_and_close),
      T(test_short_first_then_flip_to_long),
      T(test_multiplier_scales_pnl_and_exposure),
      T(test_average_price_rounds_half_even),
      T(test_marks_revalue_every_holder),
      T(test_daily_pnl_resets_at_the_configured_time),
      T(test_day_bases_are_walked_and_put_back),
      T(test_refusals_change_nothing),
      T(test_capacity_is_fixed_at_create),
      T(test_interface_table_reads_the_portfolio),
      T(test_a_bust_of_the_last_fill_restores_the_position_exactly),
      T(test_a_bust_of_a_flattening_fill_restores_quantity_and_fees),
      T(test_walks_visit_every_position_and_account_in_creation_order),
      T(test_a_restored_position_equals_the_fills_that_made_it),
      T(test_account_and_position_at_once),
      T(test_instrument_through_a_hint),
      T(test_the_change_counter_moves_at_every_update),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
