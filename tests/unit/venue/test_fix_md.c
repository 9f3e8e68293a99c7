/* Tests for src/venue/fix_md.c: incremental refreshes (X) applied to books
 * kept from snapshots (W), without a session: every MDUpdateAction by price
 * and by MDEntryPositionNo, several symbols in one message, depth kept and
 * dropped, trades, and what makes a book untrusted or a message refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/error.h"
#include "oms/fix_tags.h"
#include "venue/fix_md.h"

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  assert_int_equal(oms_dec_parse(s, strlen(s), &d), 0);
  return d;
}

/* The books of this file: AAA and BBB (venue names), followed; others not. */
static oms__md_book_t g_books[2];
static oms__md_book_t *find(void *ctx, oms_fix_str_t sym) {
  (void)ctx;
  if (oms_fix_str_eq(sym, "AAA")) return &g_books[0];
  if (oms_fix_str_eq(sym, "BBB")) return &g_books[1];
  return NULL;
}

/* body "tag=value|..." as a message of type, parsed. */
static const oms_fix_msg_t *msg(const char *type, const char *body) {
  static char buf[8192], fields[4096];
  static oms_fix_msg_t m;
  oms_fix_builder_t b;
  oms_fix_builder_begin(&b, buf, sizeof buf, type);
  snprintf(fields, sizeof fields, "%s", body);
  for (char *f = strtok(fields, "|"); f != NULL; f = strtok(NULL, "|")) {
    char *eq = strchr(f, '=');
    assert_non_null(eq);
    *eq = '\0';
    oms_fix_add_cstr(&b, (uint32_t)atoi(f), eq + 1);
  }
  size_t len, used;
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  oms_fix_limits_t lim = {.max_msg_len = sizeof buf, .max_fields = 0};
  assert_int_equal(oms_fix_parse(buf, len, &lim, &m, &used, NULL), 0);
  return &m;
}

static int apply(const char *body, const char **why) {
  *why = NULL;
  for (int i = 0; i < 2; i++) g_books[i].touched = false;
  return oms__fix_md_apply(msg("X", body), find, NULL, why);
}

/* Book i from a W with body. */
static void snap(int i, const char *body) {
  const char *why = NULL;
  memset(&g_books[i], 0, sizeof g_books[i]);
  assert_int_equal(oms__fix_md_snapshot(&g_books[i], msg("W", body), &why), 0);
  assert_int_equal(g_books[i].state, OMS__MD_LIVE);
}

/* Side s of book i is "px:qty px:qty ..." best first. */
static void expect_side(int i, int s, const char *want) {
  char got[512] = "";
  size_t n = 0;
  for (uint32_t k = 0; k < g_books[i].n[s]; k++) {
    char px[48], qty[48];
    oms_dec_format(g_books[i].lv[s][k].px, px, sizeof px);
    oms_dec_format(g_books[i].lv[s][k].qty, qty, sizeof qty);
    n += (size_t)snprintf(got + n, sizeof got - n, "%s%s:%s", k ? " " : "", px, qty);
  }
  assert_string_equal(got, want);
}

static const char *const BOOK =
    "55=AAA|268=4|269=0|270=99|271=1|269=0|270=98|271=2|269=1|270=101|271=3|269=1|270=102|271=4|";

static void test_price_keyed_new_change_delete(void **st) {
  (void)st;
  const char *why;
  snap(0, BOOK);
  /* a new bid between the two, a change of an offer, a delete of a bid */
  assert_int_equal(apply("268=3|279=0|269=0|55=AAA|270=98.5|271=5|"
                         "279=1|269=1|55=AAA|270=101|271=7|"
                         "279=2|269=0|55=AAA|270=99|",
                         &why),
                   0);
  assert_null(why);
  assert_true(g_books[0].touched);
  assert_int_equal(g_books[0].state, OMS__MD_LIVE);
  expect_side(0, 0, "98.5:5 98:2");
  expect_side(0, 1, "101:7 102:4");
  /* a change to 0 is a delete; a new best offer */
  assert_int_equal(apply("268=2|279=1|269=1|55=AAA|270=102|271=0|"
                         "279=0|269=1|55=AAA|270=100.5|271=1|",
                         &why),
                   0);
  expect_side(0, 1, "100.5:1 101:7");
  oms_market_data_t md;
  memset(&md, 0, sizeof md);
  oms__md_book_get(&g_books[0], &md);
  assert_true(oms_dec_eq(md.bid, D("98.5")));
  assert_true(oms_dec_eq(md.ask, D("100.5")));
  assert_int_equal(md.n_bid_depth, 1);
  assert_true(oms_dec_eq(md.bid_depth[0].px, D("98")));
  assert_int_equal(md.n_ask_depth, 1);
  assert_true(oms_dec_eq(md.ask_depth[0].qty, D("7")));
}

static void test_position_keyed_new_change_delete(void **st) {
  (void)st;
  const char *why;
  snap(0, BOOK);
  /* new at place 1 (a better bid), change at place 2, delete at place 3
   * without a price */
  assert_int_equal(apply("268=3|279=0|269=0|55=AAA|270=99.5|271=1|290=1|"
                         "279=1|269=0|55=AAA|270=99|271=9|290=2|"
                         "279=2|269=0|55=AAA|290=3|",
                         &why),
                   0);
  assert_null(why);
  expect_side(0, 0, "99.5:1 99:9");
  /* a new level at the place after the last */
  assert_int_equal(apply("268=1|279=0|269=1|55=AAA|270=103|271=1|290=3|", &why), 0);
  expect_side(0, 1, "101:3 102:4 103:1");
  /* a change naming a price that is not the one at its place: untrusted */
  assert_int_equal(apply("268=1|279=1|269=1|55=AAA|270=101.5|271=1|290=1|", &why), 0);
  assert_int_equal(g_books[0].state, OMS__MD_STALE);
  assert_string_equal(g_books[0].why, "MDEntryPx(270) is not the price at MDEntryPositionNo(290)");
  assert_int_equal(g_books[0].n[0] + g_books[0].n[1], 0);
}

static void test_position_keyed_out_of_place(void **st) {
  (void)st;
  const char *why;
  static const struct {
    const char *body, *why;
  } bad[] = {
      {"268=1|279=0|269=0|55=AAA|270=97|271=1|290=4|", "MDEntryPositionNo(290) past the levels"},
      {"268=1|279=2|269=1|55=AAA|290=3|", "MDEntryPositionNo(290) past the levels"},
      {"268=1|279=0|269=0|55=AAA|270=98|271=1|290=1|", "a new level not better than the one at"},
      {"268=1|279=0|269=0|55=AAA|270=99|271=1|290=2|", "a new level not worse than the one above"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snap(0, BOOK);
    assert_int_equal(apply(bad[i].body, &why), 0);
    assert_int_equal(g_books[0].state, OMS__MD_STALE);
    if (strstr(g_books[0].why, bad[i].why) == NULL)
      fail_msg("%s: \"%s\", wanted \"%s\"", bad[i].body, g_books[0].why, bad[i].why);
  }
}

/* An update that cannot apply makes only its book untrusted: emptied, and
 * its later entries skipped; the other symbol of the message applies. */
static void test_cannot_apply_makes_the_book_untrusted(void **st) {
  (void)st;
  const char *why;
  static const struct {
    const char *entry, *why;
  } bad[] = {
      {"279=2|269=0|55=AAA|270=97|", "a delete of a price level the book has not"},
      {"279=1|269=1|55=AAA|270=101.5|271=1|", "a change of a price level the book has not"},
      {"279=0|269=1|55=AAA|270=101|271=1|", "a new level at a price the book has"},
      {"279=0|269=1|55=AAA|270=105|", "a new or changed level without an MDEntrySize(271)"},
      {"279=1|269=1|55=AAA|270=101|271=-1|", "a new or changed level without an MDEntrySize"},
      {"279=0|269=0|55=AAA|271=1|", "an entry has no MDEntryPx(270)"},
      {"279=0|269=0|55=AAA|270=-1|271=1|", "a bid or offer MDEntryPx(270) not above zero"},
      {"279=0|269=2|55=AAA|271=1|", "an entry has no MDEntryPx(270)"},
      {"279=0|269=2|55=AAA|270=100|271=-1|", "negative MDEntrySize(271)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snap(0, BOOK);
    snap(1, "55=BBB|268=1|269=0|270=10|271=1|");
    char body[512];
    snprintf(body, sizeof body,
             "268=3|%s279=0|269=0|55=AAA|270=99.5|271=1|279=1|269=0|55=BBB|270=10|271=3|",
             bad[i].entry);
    assert_int_equal(apply(body, &why), 0);
    assert_true(g_books[0].touched);
    assert_int_equal(g_books[0].state, OMS__MD_STALE);
    if (strstr(g_books[0].why, bad[i].why) == NULL)
      fail_msg("%s: \"%s\", wanted \"%s\"", bad[i].entry, g_books[0].why, bad[i].why);
    expect_side(0, 0, ""); /* emptied, and the entry after skipped */
    oms_market_data_t md;
    memset(&md, 0, sizeof md);
    oms__md_book_get(&g_books[0], &md);
    assert_int_equal(oms_md_levels(&md, OMS_SIDE_BUY) + oms_md_levels(&md, OMS_SIDE_SELL), 0);
    assert_true(oms_dec_is_zero(md.last_px));
    assert_int_equal(g_books[1].state, OMS__MD_LIVE);
    expect_side(1, 0, "10:3");
  }
  /* further updates of an untrusted book are skipped until its snapshot */
  assert_int_equal(apply("268=1|279=0|269=0|55=AAA|270=50|271=1|", &why), 0);
  assert_false(g_books[0].touched);
  expect_side(0, 0, "");
  snap(0, BOOK);
  expect_side(0, 0, "99:1 98:2");
}

/* Several symbols in one message, interleaved; an entry without Symbol is of
 * the symbol before; a symbol not followed is skipped. */
static void test_several_symbols_in_one_message(void **st) {
  (void)st;
  const char *why;
  snap(0, BOOK);
  snap(1, "55=BBB|268=2|269=0|270=10|271=1|269=1|270=11|271=1|");
  assert_int_equal(apply("262=MD|268=5|279=1|269=0|55=AAA|270=99|271=4|"
                         "279=1|269=1|55=BBB|270=11|271=6|"
                         "279=0|269=0|270=9.5|271=2|"
                         "279=0|269=0|55=CCC|270=1|271=1|"
                         "279=2|269=1|55=AAA|270=102|",
                         &why),
                   0);
  assert_true(g_books[0].touched && g_books[1].touched);
  expect_side(0, 0, "99:4 98:2");
  expect_side(0, 1, "101:3");
  expect_side(1, 0, "10:1 9.5:2");
  expect_side(1, 1, "11:6");
  /* a message for others only touches nothing */
  assert_int_equal(apply("268=1|279=0|269=0|55=CCC|270=1|271=1|", &why), 0);
  assert_false(g_books[0].touched || g_books[1].touched);
}

/* Trades: a new one is the last trade (the latest of the message); other
 * actions on trades and other entry types are skipped. */
static void test_trades_and_other_entry_types(void **st) {
  (void)st;
  const char *why;
  snap(0, BOOK);
  assert_int_equal(apply("268=4|279=0|269=2|55=AAA|270=100|271=1|"
                         "279=0|269=2|55=AAA|270=100.5|271=2|"
                         "279=2|269=2|55=AAA|270=100|"
                         "279=0|269=4|55=AAA|270=1|271=1|",
                         &why),
                   0);
  assert_true(oms_dec_eq(g_books[0].last_px, D("100.5")));
  assert_true(oms_dec_eq(g_books[0].last_qty, D("2")));
  assert_int_equal(g_books[0].state, OMS__MD_LIVE);
  expect_side(0, 0, "99:1 98:2");
}

/* Deeper than OMS_MD_DEPTH: the worst falls off, and an update of a level
 * past those kept is skipped, not an error. */
static void test_depth_kept_and_levels_past_it(void **st) {
  (void)st;
  const char *why;
  char body[2048];
  int n = snprintf(body, sizeof body, "55=AAA|268=%d|", OMS_MD_DEPTH);
  for (int i = 0; i < OMS_MD_DEPTH; i++)
    n += snprintf(body + n, sizeof body - (size_t)n, "269=1|270=%d|271=1|", 101 + i);
  snap(0, body);
  assert_int_equal(g_books[0].n[1], OMS_MD_DEPTH);
  /* a new best pushes 110 out */
  assert_int_equal(apply("268=1|279=0|269=1|55=AAA|270=100|271=1|", &why), 0);
  assert_int_equal(g_books[0].n[1], OMS_MD_DEPTH);
  assert_true(oms_dec_eq(g_books[0].lv[1][OMS_MD_DEPTH - 1].px, D("109")));
  /* 110 and deeper are not held: their updates are skipped */
  assert_int_equal(apply("268=3|279=1|269=1|55=AAA|270=110|271=5|"
                         "279=2|269=1|55=AAA|270=111|"
                         "279=0|269=1|55=AAA|270=112|271=1|",
                         &why),
                   0);
  assert_int_equal(g_books[0].state, OMS__MD_LIVE);
  assert_true(oms_dec_eq(g_books[0].lv[1][OMS_MD_DEPTH - 1].px, D("109")));
  /* a delete leaves a side shallower (never wrong): 110 is not invented */
  assert_int_equal(apply("268=1|279=2|269=1|55=AAA|270=100|", &why), 0);
  assert_int_equal(g_books[0].n[1], OMS_MD_DEPTH - 1);
  assert_int_equal(apply("268=1|279=2|269=1|55=AAA|270=110|", &why), 0);
  assert_int_equal(g_books[0].state, OMS__MD_LIVE);
  /* by place: past the depth is skipped too */
  assert_int_equal(apply("268=2|279=0|269=1|55=AAA|270=120|271=1|290=11|"
                         "279=1|269=1|55=AAA|270=120|271=1|290=12|",
                         &why),
                   0);
  assert_int_equal(g_books[0].state, OMS__MD_LIVE);
}

/* A malformed message applies nothing and makes every book it names
 * untrusted. */
static void test_malformed_messages_are_refused_whole(void **st) {
  (void)st;
  static const struct {
    const char *body, *why;
  } bad[] = {
      {"268=3|279=0|269=0|55=AAA|270=97|271=1|279=1|269=0|55=BBB|270=10|271=2|",
       "NoMDEntries(268) is not the number of entries"},
      {"279=0|269=0|55=AAA|270=97|271=1|", "no readable NoMDEntries(268)"},
      {"268=1|269=0|279=0|55=AAA|270=97|271=1|", "an entry field before any MDUpdateAction(279)"},
      {"268=1|279=3|269=0|55=AAA|270=97|271=1|", "MDUpdateAction(279) not 0, 1 or 2"},
      {"268=1|279=0|55=AAA|270=97|271=1|", "an entry has no MDEntryType(269)"},
      {"268=1|279=0|269=0|270=97|271=1|", "an entry has no Symbol(55)"},
      {"268=1|279=0|269=0|55=AAA|270=9x|271=1|", "unreadable MDEntryPx(270)"},
      {"268=1|279=0|269=0|55=AAA|270=97|271=1y|", "unreadable MDEntrySize(271)"},
      {"268=1|279=0|269=0|55=AAA|270=97|271=1|290=x|", "unreadable MDEntryPositionNo(290)"},
      {"268=1|279=0|269=0|55=AAA|270=97|271=1|290=0|", "MDEntryPositionNo(290) below 1"},
      {"268=1|279=0|269=0|55=AAA|270=97|271=1|290=1234567890|",
       "unreadable MDEntryPositionNo(290)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snap(0, BOOK);
    snap(1, "55=BBB|268=1|269=0|270=10|271=1|");
    const char *why;
    assert_int_equal(apply(bad[i].body, &why), OMS_EPROTO);
    assert_non_null(why);
    if (strstr(why, bad[i].why) == NULL)
      fail_msg("%s: \"%s\", wanted \"%s\"", bad[i].body, why, bad[i].why);
    bool names_a = strstr(bad[i].body, "55=AAA") != NULL;
    bool names_b = strstr(bad[i].body, "55=BBB") != NULL;
    assert_int_equal(g_books[0].state, names_a ? OMS__MD_STALE : OMS__MD_LIVE);
    assert_int_equal(g_books[1].state, names_b ? OMS__MD_STALE : OMS__MD_LIVE);
    if (!names_a) expect_side(0, 0, "99:1 98:2"); /* nothing applied */
  }
}

/* A book waiting for its snapshot takes no update; a refused snapshot
 * leaves the book as it was (the caller decides). */
static void test_waiting_book_and_refused_snapshot(void **st) {
  (void)st;
  const char *why;
  memset(&g_books[0], 0, sizeof g_books[0]);
  assert_int_equal(g_books[0].state, OMS__MD_WAIT);
  assert_int_equal(apply("268=1|279=0|269=0|55=AAA|270=50|271=1|", &why), 0);
  assert_false(g_books[0].touched);
  oms_market_data_t md;
  memset(&md, 0, sizeof md);
  oms__md_book_get(&g_books[0], &md);
  assert_int_equal(oms_md_levels(&md, OMS_SIDE_BUY), 0);
  snap(0, BOOK);
  assert_int_equal(
      oms__fix_md_snapshot(&g_books[0], msg("W", "55=AAA|268=1|269=0|270=-1|271=1|"), &why),
      OMS_EPROTO);
  assert_string_equal(why, "a bid or offer MDEntryPx(270) not above zero");
  assert_int_equal(g_books[0].state, OMS__MD_LIVE);
  expect_side(0, 0, "99:1 98:2");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_price_keyed_new_change_delete),
      cmocka_unit_test(test_position_keyed_new_change_delete),
      cmocka_unit_test(test_position_keyed_out_of_place),
      cmocka_unit_test(test_cannot_apply_makes_the_book_untrusted),
      cmocka_unit_test(test_several_symbols_in_one_message),
      cmocka_unit_test(test_trades_and_other_entry_types),
      cmocka_unit_test(test_depth_kept_and_levels_past_it),
      cmocka_unit_test(test_malformed_messages_are_refused_whole),
      cmocka_unit_test(test_waiting_book_and_refused_snapshot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
