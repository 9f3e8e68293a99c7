/*
 * idfilter.h - a Bloom filter over hashed keys that grows in layers, so
 * that its false-positive rate stays bounded however many keys it holds.
 *
 * The engine asks it, before every new order, whether the store may know
 * the order's (strategy, client order id); a "maybe" costs a lookup in the
 * store (SQLite), so the false-positive rate is the share of submissions
 * that pay one. A filter of one fixed size fills up with the store's
 * history: the first cut's 16 Mbit with two bits a key said "maybe" to 0.35%
 * of new ids after half a million orders, 1.2% after a million, 9% after
 * three million and half of them after ten million, each a store query on
 * the core thread. These layers: 0.001%, 0.02%, 0.05% and 0.06%.
 *
 * Layers (a scalable Bloom filter: Almeida, Baquero, Preguica and Hutchison,
 * 2007). A layer takes BITS_PER_KEY bits a key; when it holds three
 * quarters of its capacity, oms__idfilter_prepare(), called off the
 * submission path (the engine's poll), adds a layer four times as large and
 * the adds go there. A key's three bits lie in one 512-bit block, one cache
 * line a layer; a lookup tests every layer. With the engine's first layer
 * of 64 Mbit: 1.5M ids in one layer, 7.5M in two, 31M in three. Adding
 * never allocates: with no new layer (prepare not called, or its
 * allocation failed) the adds go on into the last one, whose rate then
 * rises; no key is ever missed.
 */
#ifndef OMS_CORE_IDFILTER_H
#define OMS_CORE_IDFILTER_H

#include <stdbool.h>
#include <stdint.h>

#define OMS__IDFILTER_LAYERS 8
#define OMS__IDFILTER_BITS_PER_KEY 32              /* with 3 bits a key: ~0.1% when full */
#define OMS__IDFILTER_MAX_BITS (UINT64_C(1) << 33) /* 1 GiB: a layer's largest */

typedef struct oms__idfilter_layer_s {
  uint64_t *bits;      /* blocks of 8 words, aligned to a cache line */
  void *mem;           /* the allocation bits lies in */
  uint64_t block_mask; /* blocks - 1 */
  uint64_t n;          /* keys added to this layer */
  uint64_t grow_at;    /* prepare adds the next layer from here */
} oms__idfilter_layer_t;

typedef struct oms__idfilter_s {
  oms__idfilter_layer_t layer[OMS__IDFILTER_LAYERS];
  uint32_t nlayers;
} oms__idfilter_t;

/* Prepares f with a first layer of first_bits bits (a power of two from 512
 * to OMS__IDFILTER_MAX_BITS). Returns 0, OMS_EINVAL or OMS_ENOMEM (f then
 * holds nothing to free). */
int oms__idfilter_init(oms__idfilter_t *f, uint64_t first_bits);
/* Frees the memory of f. Accepts a zeroed f. */
void oms__idfilter_close(oms__idfilter_t *f);

/* Adds the next layer if the last one is three quarters full. Returns 1 if
 * it added one, 0 if none was due, OMS_ENOMEM if the allocation failed (f
 * still works; the next call tries again). */
int oms__idfilter_prepare(oms__idfilter_t *f);

/* The 512-bit block of key in layer l. Its three bits in the block are
 * key's low 27 bits, 9 each; the block takes the bits above (the key is
 * already a mixed hash, so they are independent). */
static inline uint64_t oms__idfilter_block(const oms__idfilter_layer_t *l, uint64_t key) {
  return (key >> 27) & l->block_mask;
}

/* Adds key to the newest layer; never allocates. */
static inline void oms__idfilter_add(oms__idfilter_t *f, uint64_t key) {
  oms__idfilter_layer_t *l = &f->layer[f->nlayers - 1];
  uint64_t *b = l->bits + oms__idfilter_block(l, key) * 8;
  for (int i = 0; i < 3; i++) {
    uint64_t bit = key >> (9 * i) & 511;
    b[bit / 64] |= UINT64_C(1) << (bit % 64);
  }
  l->n++;
}

/* Whether key's three bits are set in layer l. A new key's first bit is
 * clear in most layers: tested one at a time, most lookups stop at one. */
static inline bool oms__idfilter_layer_has(const oms__idfilter_layer_t *l, uint64_t key) {
  const uint64_t *b = l->bits + oms__idfilter_block(l, key) * 8;
  uint64_t x = key & 511, y = key >> 9 & 511, z = key >> 18 & 511;
  return (b[x / 64] >> (x % 64) & 1) && (b[y / 64] >> (y % 64) & 1) && (b[z / 64] >> (z % 64) & 1);
}

/* False if key was never added; true if it was, or by chance. */
static inline bool oms__idfilter_maybe(const oms__idfilter_t *f, uint64_t key) {
  for (uint32_t k = 0; k < f->nlayers; k++)
    if (oms__idfilter_layer_has(&f->layer[k], key)) return true;
  return false;
}

#endif /* OMS_CORE_IDFILTER_H */
