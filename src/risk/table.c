/*
 * table.c - the keyed record table the risk engine and the limit set use:
 * a fixed array of records and an open-addressing index over it.
 *
 * Records are never removed (an account, a strategy or a symbol stays known
 * once seen), so linear probing needs no tombstones and a lookup stops at the
 * first empty slot. The index has at least twice as many slots as records.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "risk/risk_internal.h"

uint64_t oms__hash(const char *key) {
  uint64_t h = UINT64_C(1469598103934665603);
  for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
    h ^= *p;
    h *= UINT64_C(1099511628211);
  }
  h ^= h >> 29;
  return h;
}

void oms__key2(char *buf, const char *a, const char *b) {
  size_t n = 0;
  for (const char *p = a ? a : ""; *p != '\0' && n < OMS__KEY_MAX; p++) buf[n++] = *p;
  if (n < OMS__KEY_MAX) buf[n++] = '\x1f';
  for (const char *p = b ? b : ""; *p != '\0' && n < OMS__KEY_MAX; p++) buf[n++] = *p;
  buf[n] = '\0';
}

int oms__ktab_init(oms__ktab_t *t, uint32_t cap, size_t stride) {
  memset(t, 0, sizeof(*t));
  uint32_t ns = 8;
  while (ns < 2 * cap) ns <<= 1;
  t->recs = oms__calloc(cap ? cap : 1, stride);
  t->slots = oms__malloc(ns * sizeof(int32_t));
  if (t->recs == NULL || t->slots == NULL) {
    oms__ktab_free(t);
    return OMS_ENOMEM;
  }
  memset(t->slots, 0xff, ns * sizeof(int32_t));
  t->stride = stride;
  t->cap = cap;
  t->mask = ns - 1;
  return 0;
}

void oms__ktab_free(oms__ktab_t *t) {
  oms__free(t->recs);
  oms__free(t->slots);
  t->recs = NULL;
  t->slots = NULL;
}

static int32_t probe(const oms__ktab_t *t, const char *key, uint64_t hash, uint32_t *slot) {
  for (uint32_t i = (uint32_t)hash & t->mask;; i = (i + 1) & t->mask) {
    int32_t k = t->slots[i];
    if (k < 0) {
      *slot = i;
      return -1;
    }
    const oms__khdr_t *h = oms__ktab_rec(t, k);
    if (h->hash == hash && strcmp(h->key, key) == 0) return k;
  }
}

int32_t oms__ktab_find(const oms__ktab_t *t, const char *key, uint64_t hash) {
  uint32_t slot;
  return probe(t, key, hash, &slot);
}

int32_t oms__ktab_get(oms__ktab_t *t, const char *key, uint64_t hash) {
  uint32_t slot;
  int32_t k = probe(t, key, hash, &slot);
  if (k >= 0) return k;
  if (t->n == t->cap || strlen(key) > OMS__KEY_MAX) return -1;
  k = (int32_t)t->n++;
  oms__khdr_t *h = oms__ktab_rec(t, k);
  memset(h, 0, t->stride);
  h->hash = hash;
  strcpy(h->key, key);
  t->slots[slot] = k;
  return k;
}

int oms__ktab_grow(oms__ktab_t *t) {
  oms__ktab_t n;
  int rc = oms__ktab_init(&n, t->cap ? t->cap * 2 : 8, t->stride);
  if (rc != 0) return rc;
  memcpy(n.recs, t->recs, (size_t)t->n * t->stride);
  for (uint32_t k = 0; k < t->n; k++) {
    const oms__khdr_t *h = oms__ktab_rec(&n, (int32_t)k);
    uint32_t i = (uint32_t)h->hash & n.mask;
    while (n.slots[i] >= 0) i = (i + 1) & n.mask;
    n.slots[i] = (int32_t)k;
  }
  n.n = t->n;
  oms__ktab_free(t);
  *t = n;
  return 0;
}
