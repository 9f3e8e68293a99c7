/*
 * algo_int.h - what the files of src/algo share: the seeded generator that
 * randomises slices (its state lives in oms_algo_state_t, so a restored
 * parent draws the same numbers) and the intent builders.
 */
#ifndef OMS_ALGO_INT_H
#define OMS_ALGO_INT_H

#include "oms/algo.h"
#include "oms/error.h"

/* splitmix64: one 64-bit word of state, every seed valid, and cheap. */
static inline uint64_t oms__algo_rand(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* A fraction in [0, 1) with the 8 places of oms_dec_t. */
static inline oms_dec_t oms__algo_rand_frac(uint64_t *s) {
  return oms_dec_from_raw((int64_t)((oms__algo_rand(s) >> 11) % (uint64_t)OMS_DEC_SCALE));
}

/* Appends an intent to out; 0, or OMS_EFULL when out holds
 * OMS_ALGO_MAX_INTENTS already. */
static inline int oms__algo_emit(oms_algo_out_t *out, const oms_algo_intent_t *in) {
  if (out->n >= OMS_ALGO_MAX_INTENTS) return OMS_EFULL;
  out->intent[out->n++] = *in;
  return 0;
}

#endif /* OMS_ALGO_INT_H */
