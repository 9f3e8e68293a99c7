/*
 * table.c - the keyed record table the risk engine and the limit set use:
 * a fixed array of records and a core/strmap.h index over it.
 *
 * Records are never removed (an account, a strategy or a symbol stays known
 * once seen), so a record's number is its position for good; the index maps
 * a key to it. A record keeps its own key as well, for the code that walks
 * the records (the limit set's checks at load).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "risk/risk_internal.h"

void oms__key2(char *buf, const char *a, const char *b) {
  size_t n = 0;
  for (const char *p = a ? a : ""; *p != '\0' && n < OMS__KEY_MAX; p++) buf[n++] = *p;
  if (n < OMS__KEY_MAX) buf[n++] = '\x1f';
  for (const char *p = b ? b : ""; *p != '\0' && n < OMS__KEY_MAX; p++) buf[n++] = *p;
  buf[n] = '\0';
}

int oms__ktab_init(oms__ktab_t *t, uint32_t cap, size_t stride) {
  memset(t, 0, sizeof(*t));
  /* on cache lines: a record whose size is a multiple of 64 (the engine's,
   * see risk_internal.h) then starts a line, and its hot fields share the
   * lines they were placed in */
  size_t n = cap ? cap : 1;
  if (stride != 0 && n > (SIZE_MAX - 63) / stride) return OMS_ENOMEM;
  t->recs = oms__aligned_alloc(64, (n * stride + 63) & ~(size_t)63);
  if (t->recs != NULL) memset(t->recs, 0, n * stride);
  if (t->recs == NULL || oms__strmap_init(&t->idx, cap ? cap : 1, OMS__KEY_MAX) != 0) {
    oms__ktab_free(t);
    return OMS_ENOMEM;
  }
  t->stride = stride;
  t->cap = cap;
  return 0;
}

void oms__ktab_free(oms__ktab_t *t) {
  oms__aligned_free(t->recs);
  t->recs = NULL;
  oms__strmap_close(&t->idx);
}

int32_t oms__ktab_find(const oms__ktab_t *t, const char *key) {
  uint64_t k;
  return oms__strmap_get(&t->idx, key, &k) ? (int32_t)k : -1;
}

int32_t oms__ktab_get(oms__ktab_t *t, const char *key) {
  int32_t k = oms__ktab_find(t, key);
  if (k >= 0) return k;
  if (t->n == t->cap || oms__strmap_put(&t->idx, key, t->n) != 0) return -1;
  k = (int32_t)t->n++;
  oms__khdr_t *h = oms__ktab_rec(t, k);
  memset(h, 0, t->stride);
  strcpy(h->key, key);
  return k;
}

int oms__ktab_grow(oms__ktab_t *t) {
  oms__ktab_t n;
  int rc = oms__ktab_init(&n, t->cap ? t->cap * 2 : 8, t->stride);
  if (rc != 0) return rc;
  memcpy(n.recs, t->recs, (size_t)t->n * t->stride);
  for (uint32_t k = 0; k < t->n; k++) {
    const oms__khdr_t *h = oms__ktab_rec(&n, (int32_t)k);
    (void)oms__strmap_put(&n.idx, h->key, k); /* room for twice as many */
  }
  n.n = t->n;
  oms__ktab_free(t);
  *t = n;
  return 0;
}

int oms__ktab_clone(oms__ktab_t *dst, const oms__ktab_t *src) {
  int rc = oms__ktab_init(dst, src->cap, src->stride);
  if (rc != 0) return rc;
  memcpy(dst->recs, src->recs, (size_t)src->n * src->stride);
  for (uint32_t k = 0; k < src->n; k++) {
    const oms__khdr_t *h = oms__ktab_rec(dst, (int32_t)k);
    (void)oms__strmap_put(&dst->idx, h->key, k); /* the same capacity as src */
  }
  dst->n = src->n;
  return 0;
}
