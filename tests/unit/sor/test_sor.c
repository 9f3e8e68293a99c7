/* Tests for src/sor/sor.c: the consolidated book (quotes, levels, states,
 * staleness, NBBO) and the routing decision (fee-adjusted ranking, sweep
 * across levels by displayed size, skip and busy venues, posting by rebate and queue), the policy
 * table and the best-execution record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/sor.h"
#include "oms_test.h"

static oms_sor_book_t *b;

static int add(const char *name, const char *maker, const char *taker, int64_t lat) {
  oms_sor_venue_cfg_t c;
  memset(&c, 0, sizeof(c));
  snprintf(c.name, sizeof(c.name), "%s", name);
  c.maker_fee_rate = T_D(maker);
  c.taker_fee_rate = T_D(taker);
  c.latency_ns = lat;
  return oms_sor_book_add_venue(b, &c);
}

static int quote(int vi, const char *bid, const char *bq, const char *ask, const char *aq,
                 int64_t ts) {
  oms_market_data_t md;
  memset(&md, 0, sizeof(md));
  strcpy(md.symbol, "BTC-USD");
  md.bid = T_D(bid);
  md.bid_qty = T_D(bq);
  md.ask = T_D(ask);
  md.ask_qty = T_D(aq);
  md.ts_ns = ts;
  return oms_sor_book_update(b, vi, &md);
}

/* A snapshot of venue vi with levels: "px:qty px:qty ..." a side, best
 * first (either may be NULL or ""). */
static void levels(oms_dec_t *px, oms_dec_t *qty, oms_md_level_t *more, uint32_t *nmore,
                   const char *spec) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", spec ? spec : "");
  uint32_t n = 0;
  for (char *tok = strtok(buf, " "); tok != NULL; tok = strtok(NULL, " "), n++) {
    char *colon = strchr(tok, ':');
    assert_non_null(colon);
    *colon = '\0';
    oms_md_level_t l = {T_D(tok), T_D(colon + 1)};
    if (n == 0)
      *px = l.px, *qty = l.qty;
    else
      more[n - 1] = l;
  }
  *nmore = n > 0 ? n - 1 : 0;
}

static int depth(int vi, const char *bids, const char *asks, int64_t ts) {
  oms_market_data_t md;
  memset(&md, 0, sizeof(md));
  strcpy(md.symbol, "BTC-USD");
  levels(&md.bid, &md.bid_qty, md.bid_depth, &md.n_bid_depth, bids);
  levels(&md.ask, &md.ask_qty, md.ask_depth, &md.n_ask_depth, asks);
  md.ts_ns = ts;
  return oms_sor_book_update(b, vi, &md);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(oms_sor_book_create(16, 1000, &b), 0);
  assert_int_equal(add("A", "0", "0.001", 10), 0);
  assert_int_equal(add("B", "-0.0002", "0.0003", 20), 1);
  assert_int_equal(add("C", "0.0001", "0", 30), 2);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  oms_sor_book_destroy(b);
  b = NULL;
  return 0;
}

static oms_sor_request_t req(oms_side_t side, const char *qty, const char *limit) {
  oms_sor_request_t r;
  memset(&r, 0, sizeof(r));
  r.side = side;
  r.qty = T_D(qty);
  r.limit_px = limit ? T_D(limit) : OMS_DEC_ZERO;
  r.lot = T_D("1");
  return r;
}

static void test_book_basics(void **state) {
  (void)state;
  oms_sor_book_t *x;
  assert_int_equal(oms_sor_book_create(0, 0, &x), OMS_EINVAL);
  assert_null(x);
  oms_sor_book_destroy(NULL);
  assert_int_equal(add("A", "0", "0", 0), OMS_EEXIST);
  oms_sor_venue_cfg_t c = {.name = ""};
  assert_int_equal(oms_sor_book_add_venue(b, &c), OMS_EINVAL);
  oms_sor_venue_cfg_t lax = {.name = "LAX", .stale_ns = -1};
  int lx = oms_sor_book_add_venue(b, &lax);
  assert_int_equal(lx, 3);
  for (int i = 4; i < OMS_SOR_MAX_VENUES; i++) {
    char n[8];
    snprintf(n, sizeof(n), "V%d", i);
    assert_int_equal(add(n, "0", "0", 0), i);
  }
  assert_int_equal(add("Z", "0", "0", 0), OMS_EFULL);
  assert_int_equal(oms_sor_book_venue(b, "B"), 1);
  assert_int_equal(oms_sor_book_venue(b, "nope"), OMS_ENOTFOUND);
  assert_string_equal(oms_sor_book_venue_cfg(b, 2)->name, "C");
  assert_null(oms_sor_book_venue_cfg(b, 99));
  assert_int_equal(oms_sor_book_find(b, "BTC-USD"), OMS_ENOTFOUND);
  assert_int_equal(quote(0, "99", "1", "101", "2", 5), 0);
  assert_int_equal(oms_sor_book_find(b, "BTC-USD"), 0);
  assert_int_equal(oms_sor_book_instrument(b, ""), OMS_EINVAL);
  oms_market_data_t md = {.symbol = "BTC-USD"};
  assert_int_equal(oms_sor_book_update(b, 42, &md), OMS_EINVAL);
  oms_sor_quote_t q;
  assert_int_equal(oms_sor_book_quote(b, 0, 0, &q), 0);
  assert_int_equal(q.ask.raw, T_D("101").raw);
  assert_int_equal(q.ts_ns, 5);
  assert_int_equal(oms_sor_book_quote(b, 3, 0, &q), OMS_ENOTFOUND);
  /* states */
  assert_true(oms_sor_book_usable(b, 0, 0, 10));
  assert_false(oms_sor_book_usable(b, 0, 1, 10));   /* never quoted */
  assert_false(oms_sor_book_usable(b, 0, 0, 2000)); /* stale */
  oms_market_data_t lmd = {.symbol = "BTC-USD", .ts_ns = 5};
  oms_sor_book_update(b, lx, &lmd);
  assert_true(oms_sor_book_usable(b, 0, lx, INT64_C(1) << 60)); /* never stale */
  assert_false(oms_sor_book_usable(b, 7, 0, 10));
  oms_sor_book_set_state(b, 0, OMS_SOR_THROTTLED);
  assert_int_equal(oms_sor_book_state(b, 0), OMS_SOR_THROTTLED);
  assert_false(oms_sor_book_usable(b, 0, 0, 10));
  assert_int_equal(oms_sor_book_state(b, 77), OMS_SOR_DOWN);
  assert_string_equal(oms_sor_venue_state_name(OMS_SOR_HALTED), "halted");
  assert_string_equal(oms_sor_venue_state_name((oms_sor_venue_state_t)9), "unknown");
  /* the instrument table fills */
  for (int i = 1; i < 16; i++) {
    char s[16];
    snprintf(s, sizeof(s), "S%d", i);
    assert_int_equal(oms_sor_book_instrument(b, s), i);
  }
  assert_int_equal(oms_sor_book_instrument(b, "ONE-MORE"), OMS_EFULL);
  assert_int_equal(oms_sor_book_instrument(b, "S3"), 3);
}

static void test_policies_table(void **state) {
  (void)state;
  oms_sor_policy_t p;
  assert_int_equal(oms_sor_policy_parse("TAKE", &p), 0);
  assert_int_equal(p, OMS_SOR_POLICY_TAKE);
  assert_int_equal(oms_sor_policy_parse("post", &p), 0);
  assert_int_equal(p, OMS_SOR_POLICY_POST);
  assert_int_equal(oms_sor_policy_parse("bogus", &p), OMS_ENOTFOUND);
  assert_int_equal(oms_sor_policy_parse(NULL, &p), OMS_ENOTFOUND);
  assert_string_equal(oms_sor_policy_name(OMS_SOR_POLICY_BEST), "best");
  assert_string_equal(oms_sor_policy_name((oms_sor_policy_t)42), "UNKNOWN");
  assert_true(oms_sor_policy_takes(OMS_SOR_POLICY_BEST) &&
              oms_sor_policy_posts(OMS_SOR_POLICY_BEST));
  assert_true(oms_sor_policy_takes(OMS_SOR_POLICY_TAKE) &&
              !oms_sor_policy_posts(OMS_SOR_POLICY_TAKE));
  assert_true(!oms_sor_policy_takes(OMS_SOR_POLICY_POST) &&
              oms_sor_policy_posts(OMS_SOR_POLICY_POST));
  assert_false(oms_sor_policy_takes((oms_sor_policy_t)42));
}

static void test_nbbo(void **state) {
  (void)state;
  quote(0, "99", "1", "101", "2", 100);
  quote(1, "100", "3", "101", "4", 100);
  quote(2, "100", "2", "102", "5", 100);
  oms_sor_nbbo_t n;
  assert_int_equal(oms_sor_book_nbbo(b, 0, 100, &n), 0);
  assert_int_equal(n.bid.raw, T_D("100").raw);
  assert_int_equal(n.bid_qty.raw, T_D("5").raw);
  assert_int_equal(n.ask.raw, T_D("101").raw);
  assert_int_equal(n.ask_qty.raw, T_D("6").raw);
  assert_int_equal(n.usable, 7);
  oms_sor_book_set_state(b, 1, OMS_SOR_DOWN);
  oms_sor_book_nbbo(b, 0, 100, &n);
  assert_int_equal(n.bid_qty.raw, T_D("2").raw);
  assert_int_equal(n.ask_qty.raw, T_D("2").raw);
  assert_int_equal(oms_sor_book_nbbo(b, 9, 100, &n), OMS_ENOTFOUND);
}

/* A: ask 100.00 taker 10 bps (eff 100.10); C: ask 100.05 taker 0: C wins. */
static void test_better_price_worse_fee_loses(void **state) {
  (void)state;
  quote(0, "99", "10", "100", "10", 0);
  quote(2, "99", "10", "100.05", "10", 0);
  oms_sor_request_t r = req(OMS_SIDE_BUY, "5", "101");
  oms_sor_plan_t p;
  assert_int_equal(oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p), 0);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].venue, 2);
  assert_int_equal(p.child[0].price.raw, T_D("100.05").raw);
  assert_false(p.child[0].post);
  /* a sell: A bids 101 (eff 100.899), C bids 100.95 (eff 100.95): C */
  quote(0, "101", "10", "102", "10", 0);
  quote(2, "100.95", "10", "102", "10", 0);
  r = req(OMS_SIDE_SELL, "5", NULL);
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.child[0].venue, 2);
  assert_int_equal(p.child[0].eff_px.raw, T_D("100.95").raw);
}

static void test_sweep_three_books(void **state) {
  (void)state;
  quote(0, "99", "1", "100", "3", 0);   /* eff 100.1 */
  quote(1, "99", "1", "100", "4", 0);   /* eff 100.03 */
  quote(2, "99", "1", "100.2", "5", 0); /* eff 100.2 */
  oms_sor_request_t r = req(OMS_SIDE_BUY, "10", "100.5");
  oms_sor_plan_t p;
  oms_sor_route(b, 0, OMS_SOR_POLICY_BEST, &r, 0, &p);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.child[0].venue, 1);
  assert_int_equal(p.child[0].qty.raw, T_D("4").raw);
  assert_int_equal(p.child[1].venue, 0);
  assert_int_equal(p.child[1].qty.raw, T_D("3").raw);
  assert_int_equal(p.child[2].venue, 2);
  assert_int_equal(p.child[2].qty.raw, T_D("3").raw);
  assert_int_equal(p.rest.raw, 0);
  /* the limit keeps C out; BEST posts the rest (3) where it can rest:
   * no venue the limit 100 does not cross but... A and B cross at 100 */
  r = req(OMS_SIDE_BUY, "10", "100");
  oms_sor_route(b, 0, OMS_SOR_POLICY_BEST, &r, 0, &p);
  assert_int_equal(p.n, 3);
  assert_true(p.child[2].post);
  assert_int_equal(p.child[2].venue, 2);
  assert_int_equal(p.child[2].qty.raw, T_D("3").raw);
  /* TAKE leaves it as rest */
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 2);
  assert_int_equal(p.rest.raw, T_D("3").raw);
  /* lots: displayed 3.5 at A rounds down to 3 */
  quote(0, "99", "1", "100", "3.5", 0);
  r = req(OMS_SIDE_BUY, "20", NULL);
  oms_sor_route(b, 0, OMS_SOR_POLICY_BEST, &r, 0, &p); /* market: never posts */
  assert_int_equal(p.n, 3);
  assert_int_equal(p.child[1].qty.raw, T_D("3").raw);
  assert_int_equal(p.rest.raw, T_D("8").raw);
}

static void test_skip_busy_down_stale(void **state) {
  (void)state;
  quote(0, "99", "1", "100", "3", 0);
  quote(1, "99", "1", "100", "4", 0);
  quote(2, "99", "1", "100.2", "5", 900);
  oms_sor_request_t r = req(OMS_SIDE_BUY, "10", NULL);
  r.skip = 1u << 1;
  r.busy = 1u << 0;
  oms_sor_plan_t p;
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].venue, 2);
  /* stale at 1500 (quoted at 0, stale after 1000): only C */
  r.skip = r.busy = 0;
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 1500, &p);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].venue, 2);
  /* halted and down venues are avoided */
  oms_sor_book_set_state(b, 2, OMS_SOR_HALTED);
  oms_sor_book_set_state(b, 1, OMS_SOR_DOWN);
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].venue, 0);
  /* bad requests */
  assert_int_equal(oms_sor_route(b, 5, OMS_SOR_POLICY_TAKE, &r, 0, &p), OMS_EINVAL);
  assert_int_equal(oms_sor_route(b, 0, OMS_SOR_POLICY_NONE, &r, 0, &p), OMS_EINVAL);
  r.qty = OMS_DEC_ZERO;
  assert_int_equal(oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p), OMS_EINVAL);
  r = req((oms_side_t)7, "1", NULL);
  assert_int_equal(oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p), OMS_EINVAL);
}

static void test_post_by_rebate_then_queue(void **state) {
  (void)state;
  quote(0, "99", "1", "101", "3", 0);
  quote(1, "99", "7", "101", "4", 0); /* rebate 2 bps, queue 7 at 99 */
  quote(2, "99", "1", "101", "5", 0);
  oms_sor_request_t r = req(OMS_SIDE_BUY, "10", "99");
  oms_sor_plan_t p;
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_true(p.child[0].post);
  assert_int_equal(p.child[0].venue, 1); /* the rebate wins over the queue */
  assert_int_equal(p.child[0].qty.raw, T_D("10").raw);
  /* without B: A and C; A's fee 0 < C's 1 bp */
  r.busy = 1u << 1;
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.child[0].venue, 0);
  /* equal fees: the shorter queue; improving the best: no queue at all */
  add("D", "0", "0", 1);
  quote(3, "99", "5", "101", "1", 0);
  r.busy = 1u << 1;
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.child[0].venue, 0); /* A's queue 1 < D's 5 */
  quote(0, "99", "5", "101", "1", 0);
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.child[0].venue, 3); /* equal queues: D is faster */
  r.limit_px = T_D("99.5");
  quote(3, "99", "5", "101", "1", 0);
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.child[0].venue, 3);
  /* a sell posts on the ask side; a limit that crosses a venue skips it */
  r = req(OMS_SIDE_SELL, "2", "100.5");
  quote(0, "101", "1", "102", "1", 0); /* crossed by 100.5 */
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_int_not_equal(p.child[0].venue, 0);
  /* nothing usable: no child, everything rests */
  for (int i = 0; i < 4; i++) oms_sor_book_set_state(b, i, OMS_SOR_DOWN);
  oms_sor_route(b, 0, OMS_SOR_POLICY_BEST, &r, 0, &p);
  assert_int_equal(p.n, 0);
  assert_int_equal(p.rest.raw, T_D("2").raw);
  /* a post smaller than a lot */
  oms_sor_book_set_state(b, 1, OMS_SOR_UP);
  r = req(OMS_SIDE_BUY, "0.5", "99");
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.n, 0);
}

static void test_bestex(void **state) {
  (void)state;
  oms_sor_bestex_t bx;
  memset(&bx, 0, sizeof(bx));
  bx.parent_id = 7;
  bx.side = OMS_SIDE_BUY;
  bx.arrival_bid = T_D("99.9");
  bx.arrival_ask = T_D("100.1");
  bx.filled = T_D("10");
  bx.notional = T_D("1000.5"); /* avg 100.05 */
  bx.fees = T_D("0.25");
  bx.nvenues = 2;
  strcpy(bx.venue[0].venue, "A");
  bx.venue[0].qty = T_D("4");
  strcpy(bx.venue[1].venue, "B");
  bx.venue[1].qty = T_D("6");
  bx.venue[1].children = 2;
  assert_int_equal(oms_sor_bestex_finish(&bx), 0);
  assert_int_equal(bx.avg_px.raw, T_D("100.05").raw);
  assert_int_equal(bx.improvement_px.raw, T_D("0.05").raw);
  assert_int_equal(bx.improvement.raw, T_D("0.5").raw);
  assert_int_equal(bx.eff_spread_px.raw, T_D("0.1").raw);
  uint8_t buf[OMS_SOR_BESTEX_ENC_MAX];
  int n = oms_sor_bestex_encode(&bx, buf, sizeof(buf));
  assert_true(n > 0);
  oms_sor_bestex_t back;
  assert_int_equal(oms_sor_bestex_decode(buf, (size_t)n, &back), 0);
  assert_memory_equal(&back.venue[1], &bx.venue[1], sizeof(bx.venue[1]));
  assert_int_equal(back.improvement.raw, bx.improvement.raw);
  assert_int_equal(back.parent_id, 7);
  assert_int_equal(oms_sor_bestex_decode(buf, (size_t)n - 1, &back), OMS_ECORRUPT);
  assert_int_equal(oms_sor_bestex_encode(&bx, buf, 10), OMS_EFULL);
  memset(buf + 4 + 8 * 16, 'x', 16); /* a venue name without its end */
  assert_int_equal(oms_sor_bestex_decode(buf, (size_t)n, &back), OMS_ECORRUPT);
  /* a sell, and nothing filled */
  bx.side = OMS_SIDE_SELL;
  assert_int_equal(oms_sor_bestex_finish(&bx), 0);
  assert_int_equal(bx.improvement_px.raw, T_D("0.15").raw);
  assert_int_equal(bx.eff_spread_px.raw, T_D("-0.1").raw);
  bx.filled = OMS_DEC_ZERO;
  assert_int_equal(oms_sor_bestex_finish(&bx), 0);
  assert_int_equal(bx.avg_px.raw, 0);
}

/* The book keeps each venue's levels: a new snapshot replaces one venue's
 * levels only (a level it no longer shows is gone), levels out of price
 * order or empty end the copy, and a stale venue is not routed to however
 * deep its book. */
static void test_book_keeps_levels_per_venue(void **state) {
  (void)state;
  oms_md_level_t lv[OMS_MD_DEPTH];
  assert_int_equal(depth(0, "99:1 98:2 97:3", "100:4 101:5", 0), 0);
  assert_int_equal(depth(1, "99.5:1", "100.5:1 100.6:2", 0), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_BUY, lv, OMS_MD_DEPTH), 3);
  assert_int_equal(lv[2].px.raw, T_D("97").raw);
  assert_int_equal(lv[2].qty.raw, T_D("3").raw);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_SELL, lv, OMS_MD_DEPTH), 2);
  assert_int_equal(lv[1].px.raw, T_D("101").raw);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_BUY, lv, 2), 2); /* capped */
  /* incremental: A loses its 98 level, B is untouched */
  assert_int_equal(depth(0, "99:1 97:3", "100:4 101:5", 5), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_BUY, lv, OMS_MD_DEPTH), 2);
  assert_int_equal(lv[1].px.raw, T_D("97").raw);
  assert_int_equal(oms_sor_book_levels(b, 0, 1, OMS_SIDE_SELL, lv, OMS_MD_DEPTH), 2);
  assert_int_equal(lv[1].qty.raw, T_D("2").raw);
  /* an empty side: no levels, whatever depth was sent behind it */
  assert_int_equal(depth(0, "", "100:0 101:5", 5), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_BUY, lv, OMS_MD_DEPTH), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_SELL, lv, OMS_MD_DEPTH), 0);
  /* out of order (101 after 102) or empty (0 size) ends the copy */
  assert_int_equal(depth(0, "99:1 99:2", "100:1 102:1 101:1 103:1", 5), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_BUY, lv, OMS_MD_DEPTH), 1);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_SELL, lv, OMS_MD_DEPTH), 2);
  assert_int_equal(depth(0, "99:1 98:0 97:1", "", 5), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, OMS_SIDE_BUY, lv, OMS_MD_DEPTH), 1);
  /* a full book: OMS_MD_DEPTH levels */
  oms_market_data_t md;
  memset(&md, 0, sizeof(md));
  strcpy(md.symbol, "BTC-USD");
  md.ask = T_D("100"), md.ask_qty = T_D("1");
  md.n_ask_depth = 99; /* more than it can hold: read as OMS_MD_DEPTH - 1 */
  for (int i = 0; i < OMS_MD_DEPTH - 1; i++)
    md.ask_depth[i] =
        (oms_md_level_t){oms_dec_from_raw(T_D("101").raw + i * T_D("1").raw), T_D("1")};
  assert_int_equal(oms_md_levels(&md, OMS_SIDE_SELL), OMS_MD_DEPTH);
  assert_int_equal(oms_md_level(&md, OMS_SIDE_SELL, OMS_MD_DEPTH).qty.raw, 0);
  assert_int_equal(oms_sor_book_update(b, 2, &md), 0);
  assert_int_equal(oms_sor_book_levels(b, 0, 2, OMS_SIDE_SELL, lv, OMS_MD_DEPTH), OMS_MD_DEPTH);
  assert_int_equal(lv[OMS_MD_DEPTH - 1].px.raw, T_D("109").raw);
  /* bad arguments */
  assert_int_equal(oms_sor_book_levels(b, 1, 0, OMS_SIDE_BUY, lv, 1), OMS_ENOTFOUND);
  assert_int_equal(oms_sor_book_levels(b, 0, 9, OMS_SIDE_BUY, lv, 1), OMS_ENOTFOUND);
  assert_int_equal(oms_sor_book_levels(b, 0, 0, (oms_side_t)7, lv, 1), OMS_ENOTFOUND);
  /* stale: B quoted at 0 is stale at 1500, A quoted at 5 too, C is not */
  depth(2, "99:1", "100.5:1 100.6:1", 900);
  oms_sor_request_t r = req(OMS_SIDE_BUY, "5", NULL);
  oms_sor_plan_t p;
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 1500, &p);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].venue, 2);
  assert_int_equal(p.child[0].qty.raw, T_D("2").raw);
  assert_int_equal(p.child[0].levels, 2);
  assert_int_equal(p.rest.raw, T_D("3").raw);
}

/* Hand-worked: buy 12 limit 101 across three books of two or three levels.
 *   A (taker 10 bps): 100 x2 (eff 100.1)   100.1 x3 (100.2001)
 *   B (taker  3 bps): 100 x1 (100.03)      100.05 x2 (100.080015)  100.3 x5 (100.30009)
 *   C (taker  0)    : 100.05 x2 (100.05)   100.15 x4 (100.15)
 * By effective price: B 1, C 2, B 2, A 2, C 4, then A 1 of its 3 at 100.1.
 * Children: B 3 up to 100.05 (notional 300.1), C 6 up to 100.15 (600.7),
 * A 3 up to 100.1 (300.1): 1200.9 before fees, 1201.29013 with them (B pays
 * 0.09003, A 0.3001). */
static void test_sweep_levels_of_three_books_at_best_combined_price(void **state) {
  (void)state;
  depth(0, "99:1", "100:2 100.1:3", 0);
  depth(1, "99:1", "100:1 100.05:2 100.3:5", 0);
  depth(2, "99:1", "100.05:2 100.15:4", 0);
  oms_sor_request_t r = req(OMS_SIDE_BUY, "12", "101");
  oms_sor_plan_t p;
  assert_int_equal(oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p), 0);
  assert_int_equal(p.n, 3);
  static const struct {
    int venue, levels;
    const char *qty, *price, *notional, *eff;
  } want[] = {{1, 2, "3", "100.05", "300.1", "100.080015"},
              {2, 2, "6", "100.15", "600.7", "100.15"},
              {0, 2, "3", "100.1", "300.1", "100.2001"}};
  oms_dec_t cost = OMS_DEC_ZERO;
  for (int k = 0; k < 3; k++) {
    const oms_sor_child_t *c = &p.child[k];
    assert_int_equal(c->venue, want[k].venue);
    assert_int_equal(c->levels, want[k].levels);
    assert_false(c->post);
    assert_int_equal(c->qty.raw, T_D(want[k].qty).raw);
    assert_int_equal(c->price.raw, T_D(want[k].price).raw);
    assert_int_equal(c->notional.raw, T_D(want[k].notional).raw);
    assert_int_equal(c->eff_px.raw, T_D(want[k].eff).raw);
    oms_dec_t fee;
    assert_int_equal(oms_dec_mul(c->notional, oms_sor_book_venue_cfg(b, c->venue)->taker_fee_rate,
                                 OMS_ROUND_HALF_EVEN, &fee),
                     0);
    cost.raw += c->notional.raw + fee.raw;
  }
  assert_int_equal(cost.raw, T_D("1201.29013").raw);
  assert_int_equal(p.rest.raw, 0);
  /* limit 100.1: C's 100.15 and B's 100.3 are out; A's 100.1 all in; 2 left */
  r = req(OMS_SIDE_BUY, "12", "100.1");
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.child[1].venue, 2);
  assert_int_equal(p.child[1].qty.raw, T_D("2").raw);
  assert_int_equal(p.child[2].venue, 0);
  assert_int_equal(p.child[2].qty.raw, T_D("5").raw);
  assert_int_equal(p.rest.raw, T_D("2").raw);
  /* a sell sweeps the bids the same way: A 99 (eff 98.901) after C and B */
  depth(0, "99:2", "100:1", 0);
  depth(1, "99:1 98.99:1", "100:1", 0);   /* eff 98.9703, 98.960303 */
  depth(2, "98.98:1 98.9:1", "100:1", 0); /* eff 98.98, 98.9 */
  r = req(OMS_SIDE_SELL, "4", NULL);
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.child[0].venue, 2);
  assert_int_equal(p.child[0].qty.raw, T_D("1").raw);
  assert_int_equal(p.child[1].venue, 1);
  assert_int_equal(p.child[1].qty.raw, T_D("2").raw);
  assert_int_equal(p.child[1].price.raw, T_D("98.99").raw);
  assert_int_equal(p.child[2].venue, 0);
  assert_int_equal(p.child[2].qty.raw, T_D("1").raw);
}

/* A: 100 x1 with a 10 bps taker fee (eff 100.1). C, no fee: 100.02 x1 and
 * a deeper 100.08 x5: C's second level still beats A's top. */
static void test_deep_level_on_cheaper_venue_beats_shallow_one(void **state) {
  (void)state;
  depth(0, "99:1", "100:1", 0);
  depth(2, "99:1", "100.02:1 100.08:5", 0);
  oms_sor_request_t r = req(OMS_SIDE_BUY, "4", "101");
  oms_sor_plan_t p;
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].venue, 2);
  assert_int_equal(p.child[0].qty.raw, T_D("4").raw);
  assert_int_equal(p.child[0].price.raw, T_D("100.08").raw);
  /* 7: all of C (6), then A's top */
  r = req(OMS_SIDE_BUY, "7", "101");
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 2);
  assert_int_equal(p.child[0].venue, 2);
  assert_int_equal(p.child[0].qty.raw, T_D("6").raw);
  assert_int_equal(p.child[1].venue, 0);
  assert_int_equal(p.child[1].qty.raw, T_D("1").raw);
  /* a level smaller than the lot is passed over, the next one taken */
  depth(2, "99:1", "100.02:0.5 100.08:5", 0);
  r = req(OMS_SIDE_BUY, "2", "101");
  oms_sor_route(b, 0, OMS_SOR_POLICY_TAKE, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.child[0].qty.raw, T_D("2").raw);
  assert_int_equal(p.child[0].levels, 1);
  /* the queue ahead of a post counts every level at or better than its
   * price: a post at 98 behind A's 99 x1, 98 x5 has 6 ahead; D (the same
   * maker fee as A) shows 99 x3: 3 ahead, so D; top of book alone would
   * have counted 1 at A. B (the rebate) is down, C charges more. */
  assert_int_equal(add("D", "0", "0", 40), 3);
  oms_sor_book_set_state(b, 1, OMS_SOR_DOWN);
  depth(0, "99:1 98:5", "101:1", 0);
  depth(2, "97:5", "101:1", 0);
  depth(3, "99:3", "101:1", 0);
  r = req(OMS_SIDE_BUY, "1", "98");
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.n, 1);
  assert_true(p.child[0].post);
  assert_int_equal(p.child[0].venue, 3);
  assert_int_equal(p.child[0].notional.raw, T_D("98").raw);
  /* at 98.5, between A's levels: 1 ahead at A against 3 at D */
  r = req(OMS_SIDE_BUY, "1", "98.5");
  oms_sor_route(b, 0, OMS_SOR_POLICY_POST, &r, 0, &p);
  assert_int_equal(p.child[0].venue, 0);
}

/* Over random books, every plan places at most what was asked, in lots,
 * within the limit, at usable venues not skipped or busy, one child each. */
static void test_plan_never_exceeds_request(void **state) {
  (void)state;
  uint64_t x = 88172645463325252ull;
  for (int it = 0; it < 20000; it++) {
    for (int vi = 0; vi < 3; vi++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      oms_market_data_t md = {.symbol = "BTC-USD"};
      md.bid.raw = (int64_t)(9900 + x % 100) * 1000000;
      md.ask.raw = md.bid.raw + (int64_t)(1 + (x >> 8) % 50) * 1000000;
      md.bid_qty.raw = (int64_t)((x >> 16) % 9) * 50000000;
      md.ask_qty.raw = (int64_t)((x >> 24) % 9) * 50000000;
      md.ts_ns = (int64_t)((x >> 32) % 1500);
      /* up to 4 levels behind the top a side, 0.01-0.08 apart, some empty */
      uint64_t y = x * 0x9e3779b97f4a7c15ull;
      md.n_bid_depth = (uint32_t)(y % 5);
      md.n_ask_depth = (uint32_t)((y >> 3) % 5);
      for (uint32_t l = 0; l < 4; l++) {
        oms_dec_t bp = l ? md.bid_depth[l - 1].px : md.bid,
                  ap = l ? md.ask_depth[l - 1].px : md.ask;
        md.bid_depth[l] = (oms_md_level_t){{bp.raw - (int64_t)(1 + (y >> (6 + l)) % 8) * 1000000},
                                           {(int64_t)((y >> (10 + l)) % 9) * 50000000}};
        md.ask_depth[l] = (oms_md_level_t){{ap.raw + (int64_t)(1 + (y >> (14 + l)) % 8) * 1000000},
                                           {(int64_t)((y >> (18 + l)) % 9) * 50000000}};
      }
      oms_sor_book_update(b, vi, &md);
      oms_sor_book_set_state(b, vi, (x >> 40) % 5 == 0 ? OMS_SOR_DOWN : OMS_SOR_UP);
    }
    oms_sor_request_t r;
    memset(&r, 0, sizeof(r));
    r.side = (x >> 44) & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
    r.qty.raw = (int64_t)(1 + (x >> 45) % 40) * 50000000;
    r.limit_px.raw = (x >> 50) % 3 == 0 ? 0 : (int64_t)(9900 + (x >> 52) % 120) * 1000000;
    r.lot = T_D("0.5");
    r.skip = (uint32_t)(x >> 56) & 7;
    r.busy = (uint32_t)(x >> 59) & 7;
    oms_sor_plan_t p;
    assert_int_equal(oms_sor_route(b, 0, (oms_sor_policy_t)(1 + it % 3), &r, 1000, &p), 0);
    int64_t sum = 0;
    uint32_t seen = 0;
    for (uint32_t k = 0; k < p.n; k++) {
      const oms_sor_child_t *c = &p.child[k];
      assert_true(c->qty.raw > 0 && c->qty.raw % r.lot.raw == 0);
      if (!c->post) {
        /* never more than the venue displays up to the child's limit, which
         * is one of its levels */
        oms_md_level_t lv[OMS_MD_DEPTH];
        int nl = oms_sor_book_levels(b, 0, c->venue,
                                     r.side == OMS_SIDE_BUY ? OMS_SIDE_SELL : OMS_SIDE_BUY, lv,
                                     OMS_MD_DEPTH);
        int64_t shown = 0;
        bool at_level = false;
        for (int l = 0; l < nl; l++) {
          if (r.side == OMS_SIDE_BUY ? lv[l].px.raw > c->price.raw : lv[l].px.raw < c->price.raw)
            break;
          shown += lv[l].qty.raw;
          at_level |= lv[l].px.raw == c->price.raw;
        }
        assert_true(at_level);
        assert_true(c->qty.raw <= shown);
        assert_true(c->levels >= 1 && c->levels <= nl);
      }
      assert_false(seen >> c->venue & 1);
      seen |= 1u << c->venue;
      assert_false(r.busy >> c->venue & 1);
      if (!c->post) assert_false(r.skip >> c->venue & 1);
      assert_true(oms_sor_book_usable(b, 0, c->venue, 1000));
      if (oms_dec_is_pos(r.limit_px))
        assert_true(r.side == OMS_SIDE_BUY ? c->price.raw <= r.limit_px.raw
                                           : c->price.raw >= r.limit_px.raw);
      sum += c->qty.raw;
    }
    assert_true(sum + p.rest.raw == r.qty.raw);
    assert_true(p.rest.raw >= 0);
  }
}

/* docs/routing.md lists every policy of the table. */
static void test_docs_list_every_policy(void **state) {
  (void)state;
  const char *src = getenv("OMS_SOURCE_DIR");
  if (src == NULL) skip();
  char path[512];
  snprintf(path, sizeof(path), "%s/docs/routing.md", src);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char doc[1 << 16];
  size_t n = fread(doc, 1, sizeof(doc) - 1, f);
  fclose(f);
  doc[n] = '\0';
  for (int p = 1; strcmp(oms_sor_policy_name((oms_sor_policy_t)p), "UNKNOWN") != 0; p++) {
    char row[64];
    snprintf(row, sizeof(row), "| `%s` | %d |", oms_sor_policy_name((oms_sor_policy_t)p), p);
    if (strstr(doc, row) == NULL) fail_msg("docs/routing.md lacks the row %s", row);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_book_basics, setup, teardown),
      cmocka_unit_test_setup_teardown(test_policies_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nbbo, setup, teardown),
      cmocka_unit_test_setup_teardown(test_better_price_worse_fee_loses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sweep_three_books, setup, teardown),
      cmocka_unit_test_setup_teardown(test_skip_busy_down_stale, setup, teardown),
      cmocka_unit_test_setup_teardown(test_post_by_rebate_then_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bestex, setup, teardown),
      cmocka_unit_test_setup_teardown(test_book_keeps_levels_per_venue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sweep_levels_of_three_books_at_best_combined_price,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_deep_level_on_cheaper_venue_beats_shallow_one, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_plan_never_exceeds_request, setup, teardown),
      cmocka_unit_test(test_docs_list_every_policy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
