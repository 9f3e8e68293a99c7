/* Tests for src/core/ilist.h: the intrusive list of pool indices that a
 * book's price levels and the simulated venue's records are kept in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/ilist.h"

/* An element whose link is not its first member, as in the venue's pools. */
typedef struct elem_s {
  uint64_t payload;
  oms__ilink_t link;
  uint8_t tag;
} elem_t;

static elem_t pool[8];

static void append(oms__ilist_t *l, uint32_t i) {
  oms__ilist_push_back(l, pool, sizeof(elem_t), offsetof(elem_t, link), i);
}
static void unlink_(oms__ilist_t *l, uint32_t i) {
  oms__ilist_unlink(l, pool, sizeof(elem_t), offsetof(elem_t, link), i);
}
static uint32_t pop(oms__ilist_t *l) {
  return oms__ilist_pop_front(l, pool, sizeof(elem_t), offsetof(elem_t, link));
}

/* Walks l both ways and checks it holds exactly want[0..n) in order. */
static void assert_list(const oms__ilist_t *l, const uint32_t *want, uint32_t n) {
  uint32_t k = 0, prev = OMS__ILIST_NIL;
  for (uint32_t i = l->head; i != OMS__ILIST_NIL; i = pool[i].link.next) {
    assert_true(k < n);
    assert_int_equal(i, want[k]);
    assert_int_equal(pool[i].link.prev, prev);
    prev = i;
    k++;
  }
  assert_int_equal(k, n);
  assert_int_equal(l->tail, n ? want[n - 1] : OMS__ILIST_NIL);
}

static void test_an_empty_list_pops_nothing(void **state) {
  (void)state;
  oms__ilist_t l;
  oms__ilist_init(&l);
  assert_list(&l, NULL, 0);
  assert_int_equal(pop(&l), OMS__ILIST_NIL);
}

static void test_appended_elements_come_out_in_arrival_order(void **state) {
  (void)state;
  oms__ilist_t l;
  oms__ilist_init(&l);
  append(&l, 5);
  append(&l, 2);
  append(&l, 7);
  const uint32_t want[] = {5, 2, 7};
  assert_list(&l, want, 3);
  assert_int_equal(pop(&l), 5);
  assert_int_equal(pop(&l), 2);
  assert_int_equal(pop(&l), 7);
  assert_int_equal(pop(&l), OMS__ILIST_NIL);
  assert_list(&l, NULL, 0);
}

static void test_unlink_from_head_middle_and_tail_keeps_both_directions(void **state) {
  (void)state;
  oms__ilist_t l;
  oms__ilist_init(&l);
  for (uint32_t i = 0; i < 6; i++) append(&l, i);
  unlink_(&l, 3); /* middle */
  const uint32_t a[] = {0, 1, 2, 4, 5};
  assert_list(&l, a, 5);
  unlink_(&l, 0); /* head */
  const uint32_t b[] = {1, 2, 4, 5};
  assert_list(&l, b, 4);
  unlink_(&l, 5); /* tail */
  const uint32_t c[] = {1, 2, 4};
  assert_list(&l, c, 3);
  append(&l, 3); /* an unlinked element may join again */
  const uint32_t d[] = {1, 2, 4, 3};
  assert_list(&l, d, 4);
  unlink_(&l, 1);
  unlink_(&l, 2);
  unlink_(&l, 4);
  unlink_(&l, 3); /* the only element */
  assert_list(&l, NULL, 0);
}

static void test_unlink_leaves_the_element_own_next_for_a_walker(void **state) {
  (void)state;
  oms__ilist_t l;
  oms__ilist_init(&l);
  append(&l, 1);
  append(&l, 4);
  append(&l, 6);
  unlink_(&l, 4);
  assert_int_equal(pool[4].link.next, 6);
  const uint32_t want[] = {1, 6};
  assert_list(&l, want, 2);
}

static void test_two_lists_share_one_pool(void **state) {
  (void)state;
  oms__ilist_t x, y;
  oms__ilist_init(&x);
  oms__ilist_init(&y);
  append(&x, 0);
  append(&y, 1);
  append(&x, 2);
  append(&y, 3);
  unlink_(&x, 0);
  append(&y, 0);
  const uint32_t wx[] = {2}, wy[] = {1, 3, 0};
  assert_list(&x, wx, 1);
  assert_list(&y, wy, 3);
  for (uint32_t i = 0; i < 4; i++) assert_int_equal(pool[i].payload, 0); /* links only */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_an_empty_list_pops_nothing),
      cmocka_unit_test(test_appended_elements_come_out_in_arrival_order),
      cmocka_unit_test(test_unlink_from_head_middle_and_tail_keeps_both_directions),
      cmocka_unit_test(test_unlink_leaves_the_element_own_next_for_a_walker),
      cmocka_unit_test(test_two_lists_share_one_pool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
