/* Tests of the allocator seam (src/core/alloc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/* Whether the mapping that holds p is advised for huge pages: the "hg" of its
 * VmFlags in /proc/self/smaps (what the kernel recorded, whatever it later
 * manages to back with huge pages). */
static bool advised_huge(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  assert_non_null(f);
  char line[512];
  bool in = false, hg = false;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      hg = strstr(line, " hg") != NULL;
      break;
    }
  }
  fclose(f);
  return hg;
}

/* The C library's blocks of 2 MiB and more are advised for transparent huge
 * pages (the submission's large tables: alloc.c), smaller ones are not, and
 * a replacement allocator's blocks are its own business. */
static void test_large_blocks_of_the_c_library_are_advised_huge(void **state) {
  (void)state;
  /* A kernel built without THP refuses the advice: nothing to see then. */
  void *probe = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(probe != MAP_FAILED);
  int ok = madvise(probe, 4 << 20, MADV_HUGEPAGE);
  int err = errno;
  munmap(probe, 4 << 20);
  if (ok != 0 && err == EINVAL) skip();

  /* All held at once: a freed block may hand its pages (and its advice) to
   * the next. 1 MiB is above the C library's mmap threshold: a mapping of
   * its own, not advised. */
  char *small = oms__calloc(1, 1 << 20);
  char *big = oms__calloc(4, 1 << 20), *mid = oms__malloc(3 << 20);
  assert_non_null(small);
  assert_non_null(big);
  assert_non_null(mid);
  assert_int_equal(big[(4 << 20) - 1], 0);
  assert_true(advised_huge(big));
  assert_true(advised_huge(big + (4 << 20) - 1));
  assert_true(advised_huge(mid + (3 << 20) - 1));
  assert_false(advised_huge(small + (1 << 19)));
  oms__free(small);
  oms__free(big);
  oms__free(mid);

  counter_t c = {0};
  oms_allocator_t a = {c_malloc, c_calloc, c_realloc, c_free, &c};
  assert_int_equal(oms_replace_allocator(&a), 0);
  char *theirs = oms__calloc(4, 1 << 20);
  assert_non_null(theirs);
  assert_false(advised_huge(theirs + (2 << 20)));
  oms__free(theirs);
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
      cmocka_unit_test_teardown(test_large_blocks_of_the_c_library_are_advised_huge, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
