/* Tests of the allocator seam (src/core/alloc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/alloc.h"
#include "oms/error.h"

typedef struct counter_s {
  int mallocs, callocs, reallocs, frees;
  int fail; /* refuse every allocation while set */
} counter_t;

static void *c_malloc(void *ctx, size_t size) {
  counter_t *c = ctx;
  c->mallocs++;
  return c->fail ? NULL : malloc(size);
}

static void *c_calloc(void *ctx, size_t n, size_t size) {
  counter_t *c = ctx;
  c->callocs++;
  return c->fail ? NULL : calloc(n, size);
}

static void *c_realloc(void *ctx, void *p, size_t size) {
  counter_t *c = ctx;
  c->reallocs++;
  return c->fail ? NULL : realloc(p, size);
}

static void c_free(void *ctx, void *p) {
  counter_t *c = ctx;
  if (p != NULL) c->frees++;
  free(p);
}

static int teardown(void **state) {
  (void)state;
  return oms_replace_allocator(NULL);
}

static void test_every_call_reaches_the_replacement_with_its_context(void **state) {
  (void)state;
  counter_t c = {0};
  oms_allocator_t a = {c_malloc, c_calloc, c_realloc, c_free, &c};
  assert_int_equal(oms_replace_allocator(&a), 0);
  assert_ptr_equal(oms_current_allocator().ctx, &c);
  char *p = oms__malloc(8);
  uint64_t *z = oms__calloc(4, sizeof(uint64_t));
  assert_non_null(p);
  assert_non_null(z);
  assert_int_equal(z[3], 0);
  p = oms__realloc(p, 64);
  assert_non_null(p);
  char *s = oms__strdup("BTC-USD");
  assert_string_equal(s, "BTC-USD");
  oms__free(s);
  oms__free(p);
  oms__free(z);
  oms__free(NULL);
  assert_int_equal(c.mallocs, 2); /* malloc and strdup */
  assert_int_equal(c.callocs, 1);
  assert_int_equal(c.reallocs, 1);
  assert_int_equal(c.frees, 3);
}

static void test_an_incomplete_table_is_refused_and_the_allocator_kept(void **state) {
  (void)state;
  counter_t c = {0};
  oms_allocator_t a = {c_malloc, c_calloc, c_realloc, c_free, &c};
  assert_int_equal(oms_replace_allocator(&a), 0);
  oms_allocator_t half = {c_malloc, NULL, c_realloc, c_free, NULL};
  assert_int_equal(oms_replace_allocator(&half), OMS_EINVAL);
  assert_ptr_equal(oms_current_allocator().ctx, &c);
  oms__free(oms__malloc(1));
  assert_int_equal(c.mallocs, 1);
}

static void test_null_restores_the_c_library(void **state) {
  (void)state;
  counter_t c = {0};
  oms_allocator_t a = {c_malloc, c_calloc, c_realloc, c_free, &c};
  assert_int_equal(oms_replace_allocator(&a), 0);
  assert_int_equal(oms_replace_allocator(NULL), 0);
  assert_null(oms_current_allocator().ctx);
  oms__free(oms__malloc(16));
  assert_int_equal(c.mallocs, 0);
}

static void test_aligned_blocks_are_aligned_and_come_from_the_allocator(void **state) {
  (void)state;
  counter_t c = {0};
  oms_allocator_t a = {c_malloc, c_calloc, c_realloc, c_free, &c};
  assert_int_equal(oms_replace_allocator(&a), 0);
  for (size_t align = sizeof(void *); align <= 4096; align *= 2) {
    unsigned char *p = oms__aligned_alloc(align, 100);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % align, 0);
    memset(p, 0xab, 100);
    oms__aligned_free(p);
  }
  assert_int_equal(c.mallocs, c.frees);
  oms__aligned_free(NULL);
}

static void test_aligned_alloc_refuses_bad_alignments_overflow_and_failure(void **state) {
  (void)state;
  counter_t c = {0};
  oms_allocator_t a = {c_malloc, c_calloc, c_realloc, c_free, &c};
  assert_int_equal(oms_replace_allocator(&a), 0);
  assert_null(oms__aligned_alloc(48, 16));
  assert_null(oms__aligned_alloc(1, 16));
  assert_null(oms__aligned_alloc(64, SIZE_MAX - 8));
  assert_int_equal(c.mallocs, 0);
  c.fail = 1;
  assert_null(oms__aligned_alloc(64, 16));
  assert_null(oms__strdup("x"));
  assert_int_equal(c.mallocs, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_every_call_reaches_the_replacement_with_its_context, teardown),
      cmocka_unit_test_teardown(test_an_incomplete_table_is_refused_and_the_allocator_kept,
                                teardown),
      cmocka_unit_test_teardown(test_null_restores_the_c_library, teardown),
      cmocka_unit_test_teardown(test_aligned_blocks_are_aligned_and_come_from_the_allocator,
                                teardown),
      cmocka_unit_test_teardown(test_aligned_alloc_refuses_bad_alignments_overflow_and_failure,
                                teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
