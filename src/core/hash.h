/*
 * hash.h - the tree's string hashes and its one integer mixer.
 *
 * Every table keys off these, so a change of hash is made here once.
 * The string hash is FNV-1a (byte at a time: keys are short ids, symbols and
 * venue names) finished with the mixer, so that the low bits a table masks
 * depend on every byte. The name hash (below) reads a name that sits in a
 * fixed array a word at a time, for the submission path, which hashes five
 * names per order. The mixer is the first half of MurmurHash3's 64-bit
 * finalizer: one multiply, enough to spread sequential ids (order ids) over a
 * power-of-two table, and cheap enough for the matching book's hot path.
 */
#ifndef OMS_CORE_HASH_H
#define OMS_CORE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* ---- Names in fixed arrays, a word at a time --------------------------------
 *
 * The names of the OMS's records (client order ids, strategies, accounts,
 * venues, symbols) sit in char arrays of 16, 32 or 64 bytes. oms__hash_name
 * reads such an array 8 bytes at a time: each word up to and including the
 * one that holds the NUL is folded in, the bytes from the NUL on masked to
 * zero; the NUL is found by the word trick (a byte of w is zero where
 * (w - 0x01..) & ~w & 0x80.. has its top bit, exact for the lowest such
 * byte). A short id is one word: a quarter of the byte-at-a-time hash's work,
 * and the NUL search that a bounded array needs anyway comes with it.
 * oms__hash_name_str gives the same hash of any string shorter than the
 * array, a byte at a time, for a name that is not in such an array (a
 * caller's argument, a store's row). Not the same hash as oms__hash_str: the
 * keys of one table all come from one of the two. In-memory keys only: no
 * hash of either kind is ever stored. */

#define OMS__ONES UINT64_C(0x0101010101010101)
#define OMS__HIGHS UINT64_C(0x8080808080808080)

/* The 8 bytes at p as a little-endian word (byte 0 lowest). */
static inline uint64_t oms__load_le64(const char *p) {
  uint64_t w;
  memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

/* Names are folded in a word at a time by an odd multiply (a bijection of
 * the running hash for each word, so two runs that differ in one word never
 * collide) and mixed once, by the caller's oms__hash_finish, at the end: a
 * mix per word and a finish per name cost twice the instructions, and a key
 * of two names (a strategy and a client order id, a venue and a symbol) is
 * one run of words. The run tells its names apart: a name's words before
 * the one that holds its NUL hold no zero byte, and that one always does
 * (from the NUL on, cleared). */
#define OMS__NAME_K UINT64_C(0x9e3779b97f4a7c15)

/* h with the name in s[0..cap) folded in (cap a multiple of 8; every byte
 * readable, those after the NUL of any value). *len receives the name's
 * length, or cap if the array holds no NUL (then all of it is folded in). */
static inline uint64_t oms__name_chain(uint64_t h, const char *s, size_t cap, size_t *len) {
  for (size_t i = 0; i < cap; i += 8) {
    uint64_t w = oms__load_le64(s + i);
    uint64_t z = (w - OMS__ONES) & ~w & OMS__HIGHS;
    if (z != 0) {
      /* z's lowest bit is the NUL's top bit: z ^ (z - 1) >> 8 keeps the
       * bytes before it */
      *len = i + (size_t)__builtin_ctzll(z) / 8;
      return (h ^ (w & ((z ^ (z - 1)) >> 8))) * OMS__NAME_K;
    }
    h = (h ^ w) * OMS__NAME_K;
  }
  *len = cap;
  return h;
}

/* oms__name_chain of the string s, for a string that is not in an array. */
static inline uint64_t oms__name_chain_str(uint64_t h, const char *s) {
  uint64_t w = 0;
  unsigned k = 0;
  for (; *s != '\0'; s++) {
    w |= (uint64_t)(unsigned char)*s << (8 * k);
    if (++k == 8) {
      h = (h ^ w) * OMS__NAME_K;
      w = 0;
      k = 0;
    }
  }
  return (h ^ w) * OMS__NAME_K;
}

/* The hash of the name in s[0..cap), as oms__name_chain reads it. */
static inline uint64_t oms__hash_name(const char *s, size_t cap, uint64_t seed, size_t *len) {
  return oms__hash_finish(oms__name_chain(OMS__FNV_BASIS ^ seed, s, cap, len));
}

/* oms__hash_name of the string s, for a string that is not in an array. */
static inline uint64_t oms__hash_name_str(const char *s, uint64_t seed) {
  return oms__hash_finish(oms__name_chain_str(OMS__FNV_BASIS ^ seed, s));
}

/* Whether the names in the arrays a and b (both cap bytes, cap a multiple of
 * 8) are equal as strings: strcmp(a, b) == 0 a word at a time, the bytes
 * after the NULs of any value. Two arrays without a NUL are equal if every
 * byte is. */
static inline bool oms__name_eq(const char *a, const char *b, size_t cap) {
  for (size_t i = 0; i < cap; i += 8) {
    uint64_t wa = oms__load_le64(a + i), d = wa ^ oms__load_le64(b + i);
    uint64_t z = (wa - OMS__ONES) & ~wa & OMS__HIGHS;
    if (z != 0) {
      /* a's NUL is in this word: its bytes up to the NUL, the NUL included,
       * must match (z's lowest bit is the NUL's top bit) */
      return (d & (z ^ (z - 1))) == 0;
    }
    if (d != 0) return false;
  }
  return true;
}

#endif /* OMS_CORE_HASH_H */
