/*
 * hash.h - the one string hash and the one integer mixer of the tree.
 *
 * Every table keys off these two, so a change of hash is made here once.
 * The string hash is FNV-1a (byte at a time: keys are short ids, symbols and
 * venue names) finished with the mixer, so that the low bits a table masks
 * depend on every byte. The mixer is the first half of MurmurHash3's 64-bit
 * finalizer: one multiply, enough to spread sequential ids (order ids) over a
 * power-of-two table, and cheap enough for the matching book's hot path.
 */
#ifndef OMS_CORE_HASH_H
#define OMS_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Spreads the bits of x over the whole word; a bijection, so 0 maps to 0. */
static inline uint64_t oms__mix64(uint64_t x) {
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  return x;
}

#define OMS__FNV_BASIS UINT64_C(0xcbf29ce484222325)
#define OMS__FNV_PRIME UINT64_C(0x100000001b3)

/* The last step of both hashes: mixed, and never 0, so 0 can mean "no key"
 * to a table. */
static inline uint64_t oms__hash_finish(uint64_t h) {
  h = oms__mix64(h);
  return h ? h : 1;
}

/* A hash of the len bytes at p; seed chains the hashes of the parts of a
 * composite key (hash the second part with the first part's hash). */
static inline uint64_t oms__hash_mem(const void *p, size_t len, uint64_t seed) {
  const unsigned char *s = p;
  uint64_t h = OMS__FNV_BASIS ^ seed;
  for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * OMS__FNV_PRIME;
  return oms__hash_finish(h);
}

/* The same hash as oms__hash_mem over the bytes of s before its NUL. */
static inline uint64_t oms__hash_str(const char *s, uint64_t seed) {
  uint64_t h = OMS__FNV_BASIS ^ seed;
  for (; *s != '\0'; s++) h = (h ^ (unsigned char)*s) * OMS__FNV_PRIME;
  return oms__hash_finish(h);
}

#endif /* OMS_CORE_HASH_H */
