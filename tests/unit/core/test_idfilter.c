/* Tests for src/core/idfilter.c: no key is ever missed, the false-positive
 * rate stays bounded as layers are added, and a failed allocation degrades
 * the rate, never the answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hash.h"
#include "core/idfilter.h"
#include "oms/alloc.h"
#include "oms/error.h"

/* Keys as the engine makes them: mixed 64-bit hashes. */
static uint64_t key(uint64_t i) { return oms__mix64(i * 2 + 1); }

/* Share (per million) of the keys in [from, to) that the filter wrongly
 * says it may hold. */
static uint64_t fp_ppm(const oms__idfilter_t *f, uint64_t from, uint64_t to) {
  uint64_t fp = 0;
  for (uint64_t i = from; i < to; i++) fp += oms__idfilter_maybe(f, key(i));
  return fp * 1000000 / (to - from);
}

enum { FIRST = 1 << 14, N = 200000, PROBES = 200000 };

static void test_grows_and_keeps_its_rate(void **state) {
  (void)state;
  oms__idfilter_t f;
  assert_int_equal(oms__idfilter_init(&f, FIRST), 0);
  assert_int_equal(oms__idfilter_prepare(&f), 0); /* empty: nothing due */
  int added = 0;
  for (uint64_t i = 0; i < N; i++) {
    oms__idfilter_add(&f, key(i));
    if (i % 100 == 99) {
      int rc = oms__idfilter_prepare(&f);
      assert_true(rc == 0 || rc == 1);
      added += rc;
    }
  }
  /* 2^14, 2^16 ... 2^24 bits: three quarters of each layer's 512-key,
   * 2048-key ... capacity before the next. */
  assert_int_equal(added, 5);
  assert_int_equal(f.nlayers, 6);
  assert_int_equal(f.layer[5].block_mask + 1, (1u << 24) / 512);
  for (uint64_t i = 0; i < N; i++) assert_true(oms__idfilter_maybe(&f, key(i)));
  /* Each layer at three quarters of 32 bits a key, 3 bits a key in a
   * cache-line block: ~0.05% a layer, six layers. */
  uint64_t ppm = fp_ppm(&f, N, N + PROBES);
  assert_true(ppm < 5000);
  oms__idfilter_close(&f);
  oms__idfilter_close(&f); /* closed twice: nothing left to free */
}

/* What the fixed filter did: without new layers the last one fills and
 * says "maybe" to nearly everything, yet misses nothing. */
static void test_without_prepare_degrades_but_misses_nothing(void **state) {
  (void)state;
  oms__idfilter_t f;
  assert_int_equal(oms__idfilter_init(&f, FIRST), 0);
  for (uint64_t i = 0; i < N; i++) oms__idfilter_add(&f, key(i));
  assert_int_equal(f.nlayers, 1);
  for (uint64_t i = 0; i < N; i++) assert_true(oms__idfilter_maybe(&f, key(i)));
  assert_true(fp_ppm(&f, N, N + PROBES) > 900000);
  oms__idfilter_close(&f);
}

static void test_layers_stop_at_the_limit(void **state) {
  (void)state;
  oms__idfilter_t f;
  assert_int_equal(oms__idfilter_init(&f, 512), 0);
  uint64_t i = 0;
  while (f.nlayers < OMS__IDFILTER_LAYERS) {
    oms__idfilter_add(&f, key(i++));
    assert_true(oms__idfilter_prepare(&f) >= 0);
  }
  /* 512 bits, then four times as many each: the eighth has 2^23. */
  assert_int_equal(f.layer[OMS__IDFILTER_LAYERS - 1].block_mask + 1, (1u << 23) / 512);
  uint64_t n = i;
  for (; i < n + 400000; i++) oms__idfilter_add(&f, key(i));
  assert_int_equal(oms__idfilter_prepare(&f), 0); /* full, no room for a ninth */
  assert_int_equal(f.nlayers, OMS__IDFILTER_LAYERS);
  for (uint64_t k = 0; k < i; k++) assert_true(oms__idfilter_maybe(&f, key(k)));
  oms__idfilter_close(&f);
}

static void test_init_refuses_bad_sizes(void **state) {
  (void)state;
  oms__idfilter_t f;
  assert_int_equal(oms__idfilter_init(&f, 256), OMS_EINVAL);
  assert_int_equal(oms__idfilter_init(&f, 1000), OMS_EINVAL);
  assert_int_equal(oms__idfilter_init(&f, OMS__IDFILTER_MAX_BITS * 2), OMS_EINVAL);
  assert_false(oms__idfilter_maybe(&f, key(1))); /* no layer: holds nothing */
  oms__idfilter_close(&f);
}

/* ---- allocation failures ---- */

static int refuse; /* allocations refused while set */
static void *f_malloc(void *ctx, size_t n) { return (void)ctx, refuse ? NULL : malloc(n); }
static void *f_calloc(void *ctx, size_t n, size_t m) {
  return (void)ctx, refuse ? NULL : calloc(n, m);
}
static void *f_realloc(void *ctx, void *p, size_t n) {
  return (void)ctx, refuse ? NULL : realloc(p, n);
}
static void f_free(void *ctx, void *p) { (void)ctx, free(p); }

static void test_a_failed_layer_is_tried_again(void **state) {
  (void)state;
  oms_allocator_t a = {f_malloc, f_calloc, f_realloc, f_free, NULL};
  assert_int_equal(oms_replace_allocator(&a), 0);
  oms__idfilter_t f;
  refuse = 1;
  assert_int_equal(oms__idfilter_init(&f, FIRST), OMS_ENOMEM);
  refuse = 0;
  assert_int_equal(oms__idfilter_init(&f, FIRST), 0);
  for (uint64_t i = 0; i < 400; i++) oms__idfilter_add(&f, key(i));
  refuse = 1;
  assert_int_equal(oms__idfilter_prepare(&f), OMS_ENOMEM);
  assert_int_equal(f.nlayers, 1);
  for (uint64_t i = 400; i < 800; i++) oms__idfilter_add(&f, key(i)); /* into the first */
  refuse = 0;
  assert_int_equal(oms__idfilter_prepare(&f), 1);
  assert_int_equal(f.nlayers, 2);
  for (uint64_t i = 0; i < 800; i++) assert_true(oms__idfilter_maybe(&f, key(i)));
  oms__idfilter_close(&f);
  assert_int_equal(oms_replace_allocator(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grows_and_keeps_its_rate),
      cmocka_unit_test(test_without_prepare_degrades_but_misses_nothing),
      cmocka_unit_test(test_layers_stop_at_the_limit),
      cmocka_unit_test(test_init_refuses_bad_sizes),
      cmocka_unit_test(test_a_failed_layer_is_tried_again),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
