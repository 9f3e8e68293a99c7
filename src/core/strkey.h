/*
 * strkey.h - a short name held in a fixed char array (a symbol, a venue
 * name) as a key of whole 64-bit words, so that finding it in a table costs
 * a few word operations instead of a strcmp and a byte-at-a-time hash. For
 * the hot paths that look a name up on every order.
 *
 * A key is the name's words up to and including the one that holds its
 * NUL, the bytes after the NUL cleared; the number of words is part of the
 * key. Keys are built once, from a C string (oms__strkey_from_str), when a
 * name enters a table. On the hot path the name in an order's own array is
 * never copied: oms__strkey_hash_arr hashes its words in place, masking what
 * follows the NUL (callers need not have cleared it), and
 * oms__strkey_match compares them with a key, the last word through the
 * key's mask, so it need not even look for the NUL. Neither reads past the
 * word that holds the NUL, always inside an array of the key's size.
 *
 * Words are read in the machine's byte order; on a little-endian machine the
 * first NUL is found with the usual has-a-zero-byte trick, elsewhere the
 * name is measured with strnlen.
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
  uint64_t mask;                     /* the bytes of w[n - 1] up to its NUL, that included */
  uint32_t n;                        /* 0: not a name of the array size given */
} oms__strkey_t;

#define OMS__STRKEY_K UINT64_C(0x9e3779b97f4a7c15)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define OMS__STRKEY_LE 1
#else
#define OMS__STRKEY_LE 0
#endif

/* The bytes of the word x before its first NUL, or all of x if it has none;
 * *nul is set to whether it has one. */
static inline uint64_t oms__strkey_word(const char *p, bool *nul) {
  uint64_t x;
  memcpy(&x, p, sizeof x);
#if OMS__STRKEY_LE
  /* The lowest set bit of z marks the first NUL (bytes above it may be
   * marked falsely; they are cleared anyway). */
  uint64_t z = (x - UINT64_C(0x0101010101010101)) & ~x & UINT64_C(0x8080808080808080);
  *nul = z != 0;
  return z != 0 ? x & (z ^ (z - 1)) >> 8 : x;
#else
  size_t len = strnlen(p, sizeof x);
  *nul = len < sizeof x;
  if (*nul) {
    char b[sizeof x] = {0};
    memcpy(b, p, len);
    memcpy(&x, b, sizeof x);
  }
  return x;
#endif
}

/* The hash of the name in the array s of size bytes (size a multiple of 8,
 * at most 8 x OMS__STRKEY_MAX_WORDS), equal to oms__strkey_hash of its key;
 * never 0. 0 when s holds no NUL. */
static inline uint64_t oms__strkey_hash_arr(const char *s, size_t size) {
  uint64_t h = 0;
  for (size_t i = 0; i < size / 8; i++) {
    bool nul;
    h = h * OMS__STRKEY_K + oms__strkey_word(s + 8 * i, &nul);
    if (nul) return h ? h : 1;
  }
  return 0;
}

/* The hash of k (k->n > 0), never 0 (so a u64map, which mixes its keys, can
 * take it). */
static inline uint64_t oms__strkey_hash(const oms__strkey_t *k) {
  uint64_t h = 0;
  for (uint32_t i = 0; i < k->n; i++) h = h * OMS__STRKEY_K + k->w[i];
  return h ? h : 1;
}

/* Sets k to the key of the C string s for arrays of size bytes (as above).
 * Returns k->n, 0 when s does not fit such an array (its length >= size). */
static inline uint32_t oms__strkey_from_str(const char *s, size_t size, oms__strkey_t *k) {
  char b[8 * OMS__STRKEY_MAX_WORDS] = {0};
  size_t len = strnlen(s, size);
  memset(k, 0, sizeof *k);
  if (len == size || size > sizeof b) return 0;
  memcpy(b, s, len);
  k->n = (uint32_t)(len / 8 + 1);
  for (uint32_t i = 0; i < k->n; i++) memcpy(&k->w[i], b + 8 * i, sizeof k->w[i]);
  /* The NUL is byte len % 8 of the last word: keep the bytes up to it. */
  size_t keep = len % 8 + 1;
  if (keep == 8)
    k->mask = ~UINT64_C(0);
  else if (OMS__STRKEY_LE)
    k->mask = (UINT64_C(1) << (8 * keep)) - 1;
  else
    k->mask = ~(~UINT64_C(0) >> (8 * keep));
  return k->n;
}

/* Whether a and b are the same name. */
static inline bool oms__strkey_eq(const oms__strkey_t *a, const oms__strkey_t *b) {
  if (a->n != b->n) return false;
  for (uint32_t i = 0; i < a->n; i++)
    if (a->w[i] != b->w[i]) return false;
  return true;
}

/* Whether the name in the array s (of the size k was made for) is k's. */
static inline bool oms__strkey_match(const oms__strkey_t *k, const char *s) {
  if (k->n == 0) return false;
  uint32_t last = k->n - 1;
  for (uint32_t i = 0; i < last; i++) {
    uint64_t x;
    memcpy(&x, s + 8 * i, sizeof x);
    if (x != k->w[i]) return false;
  }
  uint64_t x;
  memcpy(&x, s + 8 * last, sizeof x);
  return ((x ^ k->w[last]) & k->mask) == 0;
}

#endif /* OMS_CORE_STRKEY_H */
