/*
 * alloc.c - the allocator seam (oms/alloc.h): one table of four functions,
 * the C library's unless an embedder replaced it, through which oms__malloc
 * and its siblings (core/alloc.h) route every block liboms allocates.
 *
 * Aligned blocks are carved out of one ordinary block: over-allocate by the
 * alignment plus a pointer, round up, and keep the start of the block just
 * below the aligned address so that oms__aligned_free can find it. A
 * replacement allocator then needs no aligned entry point of its own.
 */
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "oms/alloc.h"
#include "oms/error.h"

#define HUGE_MIN ((size_t)2 << 20)

static void *huge_hint(void *p, size_t size) {
  if (p == NULL || size < HUGE_MIN) return p;
  static uintptr_t page;
  if (page == 0) page = (uintptr_t)sysconf(_SC_PAGESIZE);
  /* The whole pages the block spans: the first may hold the C library's
   * header too, which is the same mapping and takes no harm from a hint. */
  uintptr_t lo = (uintptr_t)p & ~(page - 1);
  uintptr_t hi = ((uintptr_t)p + size + page - 1) & ~(page - 1);
  (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
  return p;
}

static void *libc_malloc(void *ctx, size_t size) {
  (void)ctx;
  return huge_hint(malloc(size), size);
}

static void *libc_calloc(void *ctx, size_t n, size_t size) {
  (void)ctx;
  /* calloc has checked n * size for overflow once it returns a block. */
  void *p = calloc(n, size);
  return p == NULL ? NULL : huge_hint(p, n * size);
}

static void *libc_realloc(void *ctx, void *p, size_t size) {
  (void)ctx;
  return realloc(p, size);
}

static void libc_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

static const oms_allocator_t libc_allocator = {libc_malloc, libc_calloc, libc_realloc, libc_free,
                                               NULL};

static oms_allocator_t cur = {libc_malloc, libc_calloc, libc_realloc, libc_free, NULL};

int oms_replace_allocator(const oms_allocator_t *a) {
  if (a == NULL) {
    cur = libc_allocator;
    return 0;
  }
  if (a->malloc == NULL || a->calloc == NULL || a->realloc == NULL || a->free == NULL)
    return OMS_EINVAL;
  cur = *a;
  return 0;
}

oms_allocator_t oms_current_allocator(void) { return cur; }

void *oms__malloc(size_t size) { return cur.malloc(cur.ctx, size); }

void *oms__calloc(size_t n, size_t size) { return cur.calloc(cur.ctx, n, size); }

void *oms__realloc(void *p, size_t size) { return cur.realloc(cur.ctx, p, size); }

void oms__free(void *p) { cur.free(cur.ctx, p); }

char *oms__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = oms__malloc(n);
  if (d != NULL) memcpy(d, s, n);
  return d;
}

void *oms__aligned_alloc(size_t align, size_t size) {
  if (align < sizeof(void *) || (align & (align - 1)) != 0) return NULL;
  if (size > SIZE_MAX - align - sizeof(void *)) return NULL;
  char *raw = oms__malloc(size + align + sizeof(void *));
  if (raw == NULL) return NULL;
  uintptr_t at = ((uintptr_t)(raw + sizeof(void *)) + align - 1) & ~(uintptr_t)(align - 1);
  memcpy((char *)at - sizeof(void *), &raw, sizeof(raw));
  return (void *)at;
}

void oms__aligned_free(void *p) {
  if (p == NULL) return;
  void *raw;
  memcpy(&raw, (char *)p - sizeof(void *), sizeof(raw));
  oms__free(raw);
}
