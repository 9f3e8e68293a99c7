/*
 * vstep.h - a tick or lot size made ready for the simulated venue's
 * multiple tests without a division, which costs tens of cycles where a
 * multiply and a rotate cost a few. Private to the venue code.
 *
 * The step d is d0 << k with d0 odd; inv is d0's inverse modulo 2^64 and
 * lim is UINT64_MAX / d. u (unsigned) is a multiple of d exactly when
 * u * inv (mod 2^64), rotated right by k, is <= lim: multiplying by inv
 * maps the multiples of d0, and only them, onto 0 .. UINT64_MAX / d0, and
 * the rotation moves any of u's low k bits that are set to the top, above
 * lim (Hacker's Delight, 2nd ed., 10-17). One step is two words and a
 * byte, the rotation, kept apart so that two steps fit in 33 bytes.
 */
#ifndef OMS_VENUE_VSTEP_H
#define OMS_VENUE_VSTEP_H

#include <stdbool.h>
#include <stdint.h>

#include "oms/decimal.h"

typedef struct oms__vstep_s {
  uint64_t inv, lim;
} oms__vstep_t;

/* The step of d and its rotation in *rot. A step <= 0 divides everything,
 * as oms_dec_is_multiple has it. */
static inline oms__vstep_t oms__vstep(oms_dec_t d, uint8_t *rot) {
  oms__vstep_t s = {.inv = 0, .lim = UINT64_MAX};
  *rot = 0;
  if (d.raw <= 0) return s;
  unsigned k = (unsigned)__builtin_ctzll((uint64_t)d.raw);
  uint64_t odd = (uint64_t)d.raw >> k;
  uint64_t x = odd; /* right in its low 3 bits; each step doubles that */
  for (int i = 0; i < 5; i++) x *= 2 - odd * x;
  s.inv = x;
  s.lim = UINT64_MAX / (uint64_t)d.raw;
  *rot = (uint8_t)k;
  return s;
}

/* Whether u is a multiple of the step s of rotation rot (below 64). */
static inline bool oms__vstep_divides(uint64_t u, oms__vstep_t s, unsigned rot) {
  uint64_t x = u * s.inv;
  return (x >> rot | x << ((64 - rot) & 63)) <= s.lim;
}

/* oms_dec_is_multiple(a, d) for s and rot of oms__vstep(d). */
static inline bool oms__vstep_multiple(oms_dec_t a, oms__vstep_t s, unsigned rot) {
  return oms__vstep_divides(a.raw < 0 ? 0 - (uint64_t)a.raw : (uint64_t)a.raw, s, rot);
}

#endif /* OMS_VENUE_VSTEP_H */
