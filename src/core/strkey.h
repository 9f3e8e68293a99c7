/*
 * strkey.h - a short name held in a fixed char array (a symbol, a venue
 * name) as a key of whole 64-bit words, so that finding it in a table costs
 * a few word operations instead of a strcmp and a byte-at-a-time hash. For
 * the hot paths that look a name up on every order.
 *
 * A key is the name's words up to and including the one that holds its
 * NUL, the bytes after the NUL cleared; the number of words is part of the
 * key. From an order's own array (oms__strkey_load) the words are read in
 * place and what follows the NUL is masked off, so callers need not have
 * cleared it, and nothing past that word is read. A plain C string
 * (oms__strkey_from_str) is copied into a cleared buffer first, for the cold
 * paths that take any string. Both give the same key for the same name, so
 * one table serves both.
 */
#ifndef OMS_CORE_STRKEY_H
#define OMS_CORE_STRKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The most words a key has (a symbol's 32 bytes). */
#define OMS__STRKEY_MAX_WORDS 4

typedef struct oms__strkey_s {
  uint64_t w[OMS__STRKEY_MAX_WORDS]; /* w[0 .. n) */
  uint32_t n;                        /* 0: not a name (no NUL in its array) */
} oms__strkey_t;

/* Sets k to the key of the name in the array s of size bytes (size a
 * multiple of 8, at most 8 x OMS__STRKEY_MAX_WORDS). Returns k->n, 0 when s
 * holds no NUL. */
static inline uint32_t oms__strkey_load(const char *s, size_t size, oms__strkey_t *k) {
  uint32_t n = (uint32_t)(size / 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (uint32_t i = 0; i < n; i++) {
    uint64_t x;
    memcpy(&x, s + 8 * i, sizeof x);
    /* The lowest set bit of z marks the first NUL (bytes above it may be
     * marked falsely; they are cleared anyway). */
    uint64_t z = (x - UINT64_C(0x0101010101010101)) & ~x & UINT64_C(0x8080808080808080);
    if (z != 0) {
      k->w[i] = x & (z ^ (z - 1)) >> 8;
      return k->n = i + 1;
    }
    k->w[i] = x;
  }
  return k->n = 0;
#else
  size_t len = strnlen(s, size);
  if (len == size) return k->n = 0;
  char b[8 * OMS__STRKEY_MAX_WORDS] = {0};
  memcpy(b, s, len);
  k->n = (uint32_t)(len / 8 + 1);
  for (uint32_t i = 0; i < k->n; i++) memcpy(&k->w[i], b + 8 * i, sizeof k->w[i]);
  return k->n;
#endif
}

/* Sets k to the key of the C string s for arrays of size bytes, as
 * oms__strkey_load gives it. Returns k->n, 0 when s does not fit such an
 * array (its length >= size). */
static inline uint32_t oms__strkey_from_str(const char *s, size_t size, oms__strkey_t *k) {
  char b[8 * OMS__STRKEY_MAX_WORDS] = {0};
  size_t len = strnlen(s, size);
  if (len == size) return k->n = 0;
  memcpy(b, s, len);
  return oms__strkey_load(b, size, k);
}

/* Whether a and b are the same name. */
static inline bool oms__strkey_eq(const oms__strkey_t *a, const oms__strkey_t *b) {
  if (a->n != b->n) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (a->w[i] != b->w[i]) return false;
  return true;
}

/* A hash of k, never 0 (so a u64map, which mixes its keys, can take it). */
static inline uint64_t oms__strkey_hash(const oms__strkey_t *k) {
  uint64_t h = k->w[0];
  for (uint32_t i = 1; i < k->n; i++) h = h * UINT64_C(0x9e3779b97f4a7c15) + k->w[i];
  return h ? h : 1;
}

#endif /* OMS_CORE_STRKEY_H */
