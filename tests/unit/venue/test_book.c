/* Tests for src/venue/book.c: price-time priority, partial fills, every
 * incoming-order flag, cancel and reduce, and a randomised run that checks
 * the book's invariants after every operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/error.h"
#include "venue/book.h"
#include "venue/book_post.h"

#define P(x) oms_dec_from_raw((int64_t)(x)*OMS_DEC_SCALE)

typedef struct fills_s {
  oms__book_fill_t f[64];
  int n;
} fills_t;

static void on_fill(void *ctx, const oms__book_fill_t *f) {
  fills_t *fs = (fills_t *)ctx;
  if (fs->n < 64) fs->f[fs->n] = *f;
  fs->n++;
}

static int submit(oms__book_t *b, uint64_t id, oms_side_t side, int64_t px, int64_t qty,
                  uint32_t flags, oms__book_result_t *res) {
  oms__book_order_t o = {id, id * 10, side, P(px), P(qty), flags};
  oms__book_result_t tmp;
  int rc = oms__book_submit(b, &o, res != NULL ? res : &tmp);
  assert_true(oms__book_check(b));
  return rc;
}

static void test_orders_at_one_price_fill_oldest_first_at_the_maker_price(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  assert_int_equal(oms__book_create(16, on_fill, &fs, &b), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 101, 5, 0, NULL), 0);
  assert_int_equal(submit(b, 2, OMS_SIDE_SELL, 100, 5, 0, NULL), 0);
  assert_int_equal(submit(b, 3, OMS_SIDE_SELL, 100, 5, 0, NULL), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 4, OMS_SIDE_BUY, 101, 12, 0, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_FILLED);
  assert_int_equal(r.filled_qty.raw, P(12).raw);
  assert_int_equal(fs.n, 3);
  assert_int_equal(fs.f[0].maker_id, 2);
  assert_int_equal(fs.f[0].px.raw, P(100).raw);
  assert_int_equal(fs.f[1].maker_id, 3);
  assert_int_equal(fs.f[2].maker_id, 1);
  assert_int_equal(fs.f[2].px.raw, P(101).raw);
  assert_int_equal(fs.f[2].qty.raw, P(2).raw);
  assert_int_equal(fs.f[2].maker_leaves.raw, P(3).raw);
  assert_int_equal(fs.f[2].taker_tag, 40);
  assert_int_equal(fs.f[2].maker_tag, 10);
  assert_int_equal(fs.f[2].taker_side, OMS_SIDE_BUY);
  oms_dec_t px, q;
  assert_true(oms__book_best(b, OMS_SIDE_SELL, &px, &q));
  assert_int_equal(px.raw, P(101).raw);
  assert_int_equal(q.raw, P(3).raw);
  assert_false(oms__book_best(b, OMS_SIDE_BUY, &px, &q));
  assert_int_equal(px.raw, 0);
  assert_int_equal(oms__book_order_count(b), 1);
  oms__book_destroy(b);
}

static void test_limit_rests_what_does_not_trade(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  assert_int_equal(oms__book_create(16, on_fill, &fs, &b), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 100, 3, 0, NULL), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 2, OMS_SIDE_BUY, 100, 10, 0, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_RESTED);
  assert_int_equal(r.filled_qty.raw, P(3).raw);
  assert_int_equal(r.leaves_qty.raw, P(7).raw);
  oms__book_entry_t e;
  assert_int_equal(oms__book_get(b, 2, &e), 0);
  assert_int_equal(e.side, OMS_SIDE_BUY);
  assert_int_equal(e.leaves_qty.raw, P(7).raw);
  assert_int_equal(e.price.raw, P(100).raw);
  assert_int_equal(e.tag, 20);
  assert_int_equal(oms__book_get(b, 1, &e), OMS_ENOTFOUND);
  oms__book_destroy(b);
}

static void test_ioc_and_market_never_rest(void **state) {
  (void)state;
  oms__book_t *b;
  assert_int_equal(oms__book_create(16, NULL, NULL, &b), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 100, 3, 0, NULL), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 2, OMS_SIDE_BUY, 100, 5, OMS_BOOK_IOC, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_NOT_RESTED);
  assert_int_equal(r.leaves_qty.raw, P(2).raw);
  assert_int_equal(oms__book_order_count(b), 0);
  assert_int_equal(submit(b, 3, OMS_SIDE_BUY, 0, 5, OMS_BOOK_MARKET, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_NOT_RESTED);
  assert_int_equal(r.filled_qty.raw, 0);
  oms__book_destroy(b);
}

static void test_fok_trades_all_or_nothing(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  assert_int_equal(oms__book_create(16, on_fill, &fs, &b), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 100, 3, 0, NULL), 0);
  assert_int_equal(submit(b, 2, OMS_SIDE_BUY, 99, 3, 0, NULL), 0);
  assert_int_equal(submit(b, 3, OMS_SIDE_BUY, 98, 3, 0, NULL), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 4, OMS_SIDE_SELL, 99, 7, OMS_BOOK_FOK, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_FOK_REFUSED);
  assert_int_equal(fs.n, 0);
  assert_int_equal(oms__book_available(b, OMS_SIDE_SELL, P(99), false, OMS_DEC_ZERO).raw, P(6).raw);
  assert_int_equal(oms__book_available(b, OMS_SIDE_SELL, P(0), true, P(4)).raw, P(6).raw);
  assert_int_equal(submit(b, 5, OMS_SIDE_SELL, 0, 7, OMS_BOOK_FOK | OMS_BOOK_MARKET, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_FILLED);
  assert_int_equal(fs.n, 3);
  oms__book_destroy(b);
}

static void test_post_only_is_refused_when_it_would_trade(void **state) {
  (void)state;
  oms__book_t *b;
  assert_int_equal(oms__book_create(16, NULL, NULL, &b), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 100, 3, 0, NULL), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 2, OMS_SIDE_BUY, 100, 1, OMS_BOOK_POST_ONLY, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_POST_ONLY_REFUSED);
  assert_true(oms__book_would_cross(b, OMS_SIDE_BUY, P(100)));
  assert_false(oms__book_would_cross(b, OMS_SIDE_BUY, P(99)));
  assert_false(oms__book_would_cross(b, OMS_SIDE_SELL, P(1)));
  assert_int_equal(submit(b, 3, OMS_SIDE_BUY, 99, 1, OMS_BOOK_POST_ONLY, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_RESTED);
  oms__book_destroy(b);
}

static void test_cancel_and_reduce(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  assert_int_equal(oms__book_create(16, on_fill, &fs, &b), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 100, 5, 0, NULL), 0);
  assert_int_equal(submit(b, 2, OMS_SIDE_BUY, 100, 5, 0, NULL), 0);
  assert_int_equal(submit(b, 3, OMS_SIDE_BUY, 99, 5, 0, NULL), 0);
  assert_int_equal(oms__book_reduce(b, 1, P(2)), 0);
  assert_int_equal(oms__book_reduce(b, 1, P(3)), OMS_EINVAL);
  assert_int_equal(oms__book_reduce(b, 1, P(0)), OMS_EINVAL);
  assert_int_equal(oms__book_reduce(b, 9, P(1)), OMS_ENOTFOUND);
  assert_int_equal(oms__book_reduce(b, 0, P(1)), OMS_ENOTFOUND);
  assert_true(oms__book_check(b));
  /* A reduced order keeps its place: it still trades first. */
  assert_int_equal(submit(b, 4, OMS_SIDE_SELL, 100, 1, 0, NULL), 0);
  assert_int_equal(fs.f[0].maker_id, 1);
  oms_dec_t left;
  assert_int_equal(oms__book_cancel(b, 2, &left), 0);
  assert_int_equal(left.raw, P(5).raw);
  assert_int_equal(oms__book_cancel(b, 2, &left), OMS_ENOTFOUND);
  assert_int_equal(oms__book_cancel(b, 0, NULL), OMS_ENOTFOUND);
  assert_int_equal(oms__book_cancel(b, 3, NULL), 0); /* a level below the best */
  assert_true(oms__book_check(b));
  oms__book_level_t lv[4];
  assert_int_equal(oms__book_depth(b, OMS_SIDE_BUY, lv, 4), 1);
  assert_int_equal(lv[0].qty.raw, P(1).raw);
  assert_int_equal(lv[0].orders, 1);
  assert_int_equal(oms__book_get(b, 0, &(oms__book_entry_t){0}), OMS_ENOTFOUND);
  oms__book_destroy(b);
}

static void test_bad_input_and_a_full_pool_are_refused(void **state) {
  (void)state;
  oms__book_t *b = (oms__book_t *)1;
  assert_int_equal(oms__book_create(0, NULL, NULL, &b), OMS_EINVAL);
  assert_null(b);
  assert_int_equal(oms__book_create(1, NULL, NULL, NULL), OMS_EINVAL);
  assert_int_equal(oms__book_create(2, NULL, NULL, &b), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 0, OMS_SIDE_BUY, 100, 1, 0, &r), OMS_EINVAL);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 100, 0, 0, &r), OMS_EINVAL);
  assert_int_equal(submit(b, 1, (oms_side_t)7, 100, 1, 0, &r), OMS_EINVAL);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 0, 1, 0, &r), OMS_EINVAL);
  assert_int_equal(oms__book_submit(NULL, NULL, &r), OMS_EINVAL);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 100, 1, 0, &r), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 100, 1, 0, &r), OMS_EEXIST);
  assert_int_equal(submit(b, 2, OMS_SIDE_BUY, 99, 1, 0, &r), 0);
  assert_int_equal(submit(b, 3, OMS_SIDE_BUY, 98, 1, 0, &r), OMS_EFULL);
  /* An order that can not rest still trades with a full pool. */
  assert_int_equal(submit(b, 3, OMS_SIDE_SELL, 0, 1, OMS_BOOK_MARKET, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_FILLED);
  oms__book_destroy(b);
  oms__book_destroy(NULL);
}

/* A resting order's id is refused again whether the new order would rest,
 * trade or find the pool full, and nothing changes. */
static void test_a_duplicate_id_is_refused_before_anything_changes(void **state) {
  (void)state;
  oms__book_t *b;
  assert_int_equal(oms__book_create(2, NULL, NULL, &b), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 100, 1, 0, &r), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 99, 1, 0, &r), OMS_EEXIST);   /* would rest */
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 100, 1, 0, &r), OMS_EEXIST); /* would trade */
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 0, 1, OMS_BOOK_MARKET, &r), OMS_EEXIST);
  assert_int_equal(submit(b, 2, OMS_SIDE_SELL, 101, 1, 0, &r), 0);
  assert_int_equal(submit(b, 2, OMS_SIDE_SELL, 102, 1, 0, &r), OMS_EEXIST); /* full pool */
  assert_int_equal(submit(b, 3, OMS_SIDE_SELL, 102, 1, 0, &r), OMS_EFULL);
  oms__book_entry_t e;
  assert_int_equal(oms__book_get(b, 1, &e), 0);
  assert_int_equal(e.leaves_qty.raw, P(1).raw);
  assert_int_equal(e.price.raw, P(100).raw);
  assert_int_equal(oms__book_get(b, 2, &e), 0);
  assert_int_equal(e.price.raw, P(101).raw);
  oms__book_destroy(b);
}

static void test_levels_stay_sorted_under_random_operations(void **state) {
  (void)state;
  enum { CAP = 512, OPS = 20000 };
  oms__book_t *b;
  assert_int_equal(oms__book_create(CAP, NULL, NULL, &b), 0);
  uint64_t seed = 12345, next_id = 1;
  uint64_t live[CAP];
  int nlive = 0;
  for (int i = 0; i < OPS; i++) {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    uint32_t r = (uint32_t)(seed >> 33);
    int op = r % 10;
    if (op < 6 || nlive == 0) {
      oms_side_t side = (r >> 4) & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      int64_t px = 100 + (int64_t)((r >> 5) % 41) - 20;
      oms__book_order_t o = {next_id, next_id, side, P(px), P(1 + (r >> 12) % 5), 0};
      if ((r >> 20) % 8 == 0) o.flags = OMS_BOOK_IOC;
      oms__book_result_t res;
      int rc = oms__book_submit(b, &o, &res);
      assert_true(rc == 0 || rc == OMS_EFULL);
      if (rc == 0 && res.outcome == OMS_BOOK_RESTED) live[nlive++] = next_id;
      next_id++;
    } else if (op < 9) {
      int k = (int)((r >> 8) % (uint32_t)nlive);
      oms__book_cancel(b, live[k], NULL); /* may have traded away already */
      live[k] = live[--nlive];
    } else {
      int k = (int)((r >> 8) % (uint32_t)nlive);
      oms__book_entry_t e;
      if (oms__book_get(b, live[k], &e) == 0 && e.leaves_qty.raw > OMS_DEC_SCALE)
        assert_int_equal(oms__book_reduce(b, live[k], P(1)), 0);
    }
    /* Forget ids that traded away, so the list stays bounded. */
    for (int k = 0; k < nlive;) {
      oms__book_entry_t e;
      if (oms__book_get(b, live[k], &e) != 0) {
        live[k] = live[--nlive];
      } else {
        k++;
      }
    }
    assert_true(oms__book_check(b));
    assert_int_equal(oms__book_order_count(b), (size_t)nlive);
  }
  oms__book_destroy(b);
}

/* Ids that share the direct table's entry (a table of 16 for a capacity of
 * 4) rest side by side: the later ones in the overflow, each found,
 * refused again, reduced, traded and removed where it is, and an entry
 * given up is taken by the next id of its bits. */
static void test_ids_sharing_low_bits_rest_side_by_side(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  oms__book_entry_t e;
  assert_int_equal(oms__book_create(4, on_fill, &fs, &b), 0);
  assert_true(oms__book_post(b, 1, 10, OMS_SIDE_BUY, P(99), P(1)));
  assert_true(oms__book_post(b, 17, 170, OMS_SIDE_BUY, P(98), P(2)));
  assert_int_equal(submit(b, 33, OMS_SIDE_SELL, 101, 3, 0, NULL), 0);
  assert_true(oms__book_check(b));
  assert_false(oms__book_post(b, 17, 171, OMS_SIDE_BUY, P(97), P(1)));
  assert_int_equal(submit(b, 33, OMS_SIDE_SELL, 102, 1, 0, NULL), OMS_EEXIST);
  assert_int_equal(oms__book_get(b, 17, &e), 0);
  assert_int_equal(e.tag, 170);
  assert_int_equal(oms__book_reduce(b, 33, P(2)), 0);
  assert_int_equal(oms__book_cancel(b, 17, NULL), 0);
  assert_int_equal(oms__book_get(b, 17, &e), OMS_ENOTFOUND);
  assert_true(oms__book_check(b));
  assert_int_equal(oms__book_cancel(b, 1, NULL), 0);
  assert_true(oms__book_post(b, 49, 490, OMS_SIDE_BUY, P(99), P(1))); /* takes 1's entry */
  assert_int_equal(submit(b, 65, OMS_SIDE_BUY, 101, 2, 0, NULL), 0);  /* takes all of 33 */
  assert_int_equal(fs.n, 1);
  assert_int_equal(fs.f[0].maker_id, 33);
  assert_int_equal(oms__book_get(b, 33, &e), OMS_ENOTFOUND);
  assert_int_equal(oms__book_get(b, 49, &e), 0);
  assert_int_equal(oms__book_order_count(b), 1);
  assert_true(oms__book_check(b));
  oms__book_destroy(b);
}

/* The passive path rests what can not trade and leaves everything else, a
 * cross, a duplicate, a full pool, untouched for oms__book_submit. */
static void test_post_rests_only_a_passive_order(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  assert_int_equal(oms__book_create(2, on_fill, &fs, &b), 0);
  assert_true(oms__book_post(b, 1, 10, OMS_SIDE_SELL, P(101), P(5)));
  assert_true(oms__book_check(b));
  oms__book_entry_t e;
  assert_int_equal(oms__book_get(b, 1, &e), 0);
  assert_int_equal(e.tag, 10);
  assert_int_equal(e.side, OMS_SIDE_SELL);
  assert_int_equal(e.price.raw, P(101).raw);
  assert_int_equal(e.leaves_qty.raw, P(5).raw);
  /* A buy at the ask would trade: not posted, nothing traded. */
  assert_false(oms__book_post(b, 2, 20, OMS_SIDE_BUY, P(101), P(1)));
  assert_int_equal(fs.n, 0);
  assert_int_equal(oms__book_order_count(b), 1);
  /* The same id again: refused, the first left as it was. */
  assert_false(oms__book_post(b, 1, 30, OMS_SIDE_BUY, P(99), P(1)));
  assert_int_equal(oms__book_get(b, 1, &e), 0);
  assert_int_equal(e.tag, 10);
  assert_true(oms__book_post(b, 3, 30, OMS_SIDE_BUY, P(100), P(2)));
  /* The pool of two is full. */
  assert_false(oms__book_post(b, 4, 40, OMS_SIDE_BUY, P(99), P(1)));
  assert_int_equal(oms__book_order_count(b), 2);
  assert_true(oms__book_check(b));
  /* Posted orders trade as any resting one. */
  assert_int_equal(oms__book_cancel(b, 3, NULL), 0);
  oms__book_result_t r;
  assert_int_equal(submit(b, 5, OMS_SIDE_BUY, 101, 5, 0, &r), 0);
  assert_int_equal(r.outcome, OMS_BOOK_FILLED);
  assert_int_equal(fs.n, 1);
  assert_int_equal(fs.f[0].maker_tag, 10);
  oms__book_destroy(b);
}

/* The version moves with every change of what rests, and only then. */
static void test_version_moves_with_every_change_and_only_then(void **state) {
  (void)state;
  fills_t fs = {0};
  oms__book_t *b;
  assert_int_equal(oms__book_create(8, on_fill, &fs, &b), 0);
  uint64_t v = oms__book_version(b);
  assert_int_equal(submit(b, 1, OMS_SIDE_SELL, 101, 5, 0, NULL), 0); /* rests */
  assert_true(oms__book_version(b) != v);
  v = oms__book_version(b);
  assert_true(oms__book_post(b, 2, 20, OMS_SIDE_BUY, P(99), P(5))); /* rests */
  assert_true(oms__book_version(b) != v);
  v = oms__book_version(b);
  /* Refused or not resting and not trading: the same book. */
  assert_int_equal(submit(b, 3, OMS_SIDE_BUY, 100, 1, OMS_BOOK_IOC, NULL), 0);
  assert_int_equal(submit(b, 4, OMS_SIDE_BUY, 101, 1, OMS_BOOK_POST_ONLY, NULL), 0);
  assert_int_equal(submit(b, 5, OMS_SIDE_BUY, 101, 9, OMS_BOOK_FOK, NULL), 0);
  assert_int_equal(submit(b, 1, OMS_SIDE_BUY, 90, 1, 0, NULL), OMS_EEXIST);
  assert_false(oms__book_post(b, 6, 60, OMS_SIDE_BUY, P(101), P(1)));
  assert_int_equal(oms__book_cancel(b, 77, NULL), OMS_ENOTFOUND);
  assert_int_equal(oms__book_reduce(b, 1, P(6)), OMS_EINVAL);
  assert_true(oms__book_version(b) == v);
  /* A maker partly taken by an IOC that does not rest. */
  assert_int_equal(submit(b, 7, OMS_SIDE_BUY, 101, 2, OMS_BOOK_IOC, NULL), 0);
  assert_int_equal(fs.n, 1);
  assert_true(oms__book_version(b) != v);
  v = oms__book_version(b);
  assert_int_equal(oms__book_reduce(b, 1, P(1)), 0);
  assert_true(oms__book_version(b) != v);
  v = oms__book_version(b);
  assert_int_equal(oms__book_cancel(b, 2, NULL), 0);
  assert_true(oms__book_version(b) != v);
  oms__book_destroy(b);
}

/* The simulated venue's way (oms__book_post_inline first, oms__book_submit
 * when it declines) and oms__book_submit alone, on two books given the
 * same random limit orders (some crossing, duplicate, sharing id bits, or
 * past a full pool) and cancels: the same answers, fills, depth, resting
 * orders and version after every step. */
static void test_post_inline_then_submit_is_submit(void **state) {
  (void)state;
  enum { CAP = 48, OPS = 20000 };
  fills_t fa, fb;
  oms__book_t *a, *b;
  assert_int_equal(oms__book_create(CAP, on_fill, &fa, &a), 0);
  assert_int_equal(oms__book_create(CAP, on_fill, &fb, &b), 0);
  uint64_t seed = 99, next_id = 1, live[CAP];
  int posted = 0, nlive = 0;
  for (int i = 0; i < OPS; i++) {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    uint32_t r = (uint32_t)(seed >> 33);
    fa.n = fb.n = 0;
    if (r % 10 < 5 || nlive == 0) {
      uint64_t id = r % 23 == 0 ? next_id - 1 : (r % 19 == 0 ? next_id + 64 : next_id);
      next_id++;
      oms_side_t side = (r >> 4) & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      int64_t off = (int64_t)((r >> 5) % 8);
      int64_t px = side == OMS_SIDE_BUY ? 99 - off : 101 + off;
      if (r % 6 == 0) px += side == OMS_SIDE_BUY ? 6 : -6; /* may cross */
      int64_t qty = 1 + (r >> 12) % 5;
      oms__book_order_t o = {id, (uint32_t)(id % 1000), side, P(px), P(qty), 0};
      oms__book_result_t ra, rb;
      int ca = 0;
      if (oms__book_post_inline(a, o.id, o.tag, side, o.price, o.qty)) {
        ra.outcome = OMS_BOOK_RESTED;
        ra.filled_qty = OMS_DEC_ZERO;
        ra.leaves_qty = o.qty;
        posted++;
      } else {
        ca = oms__book_submit(a, &o, &ra);
      }
      assert_int_equal(ca, oms__book_submit(b, &o, &rb));
      if (ca == 0) {
        if (ra.outcome == OMS_BOOK_RESTED && nlive < CAP) live[nlive++] = id;
        assert_int_equal(ra.outcome, rb.outcome);
        assert_true(oms_dec_eq(ra.filled_qty, rb.filled_qty));
        assert_true(oms_dec_eq(ra.leaves_qty, rb.leaves_qty));
      }
    } else if (nlive > 0) {
      int k = (int)((r >> 8) % (uint32_t)nlive);
      uint64_t id = r % 11 == 0 ? next_id + 5 : live[k]; /* some unknown */
      if (id == live[k]) live[k] = live[--nlive];
      oms_dec_t la = OMS_DEC_ZERO, lb = OMS_DEC_ZERO;
      assert_int_equal(oms__book_cancel(a, id, &la), oms__book_cancel(b, id, &lb));
      assert_true(oms_dec_eq(la, lb));
    }
    assert_int_equal(fa.n, fb.n);
    for (int k = 0; k < fa.n && k < 64; k++) {
      const oms__book_fill_t *x = &fa.f[k], *y = &fb.f[k];
      assert_int_equal(x->maker_id, y->maker_id);
      assert_int_equal(x->maker_tag, y->maker_tag);
      assert_int_equal(x->taker_id, y->taker_id);
      assert_int_equal(x->taker_tag, y->taker_tag);
      assert_int_equal(x->taker_side, y->taker_side);
      assert_int_equal(x->px.raw, y->px.raw);
      assert_int_equal(x->qty.raw, y->qty.raw);
      assert_int_equal(x->maker_leaves.raw, y->maker_leaves.raw);
    }
    assert_true(oms__book_check(a));
    assert_true(oms__book_check(b));
    assert_int_equal(oms__book_order_count(a), oms__book_order_count(b));
    assert_int_equal(oms__book_version(a), oms__book_version(b));
    for (int sd = 0; sd < 2; sd++) {
      oms_side_t side = sd ? OMS_SIDE_SELL : OMS_SIDE_BUY;
      oms__book_level_t da[CAP], db[CAP];
      size_t na = oms__book_depth(a, side, da, CAP), nb = oms__book_depth(b, side, db, CAP);
      assert_int_equal(na, nb);
      for (size_t k = 0; k < na; k++) {
        assert_int_equal(da[k].px.raw, db[k].px.raw);
        assert_int_equal(da[k].qty.raw, db[k].qty.raw);
        assert_int_equal(da[k].orders, db[k].orders);
      }
    }
  }
  assert_true(posted > 3000); /* the fast path was taken, and declined */
  oms__book_destroy(a);
  oms__book_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_orders_at_one_price_fill_oldest_first_at_the_maker_price),
      cmocka_unit_test(test_post_inline_then_submit_is_submit),
      cmocka_unit_test(test_limit_rests_what_does_not_trade),
      cmocka_unit_test(test_post_rests_only_a_passive_order),
      cmocka_unit_test(test_version_moves_with_every_change_and_only_then),
      cmocka_unit_test(test_ioc_and_market_never_rest),
      cmocka_unit_test(test_fok_trades_all_or_nothing),
      cmocka_unit_test(test_post_only_is_refused_when_it_would_trade),
      cmocka_unit_test(test_cancel_and_reduce),
      cmocka_unit_test(test_bad_input_and_a_full_pool_are_refused),
      cmocka_unit_test(test_a_duplicate_id_is_refused_before_anything_changes),
      cmocka_unit_test(test_ids_sharing_low_bits_rest_side_by_side),
      cmocka_unit_test(test_levels_stay_sorted_under_random_operations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
