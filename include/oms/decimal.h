/*
 * decimal.h - exact fixed-point numbers for prices, quantities and money.
 *
 * An oms_dec_t is a signed 64-bit count of units of 10^-8 (OMS_DEC_SCALE):
 * eight decimal places, enough for a satoshi, and a range of
 * +/-92,233,720,368.54775807, enough for the notional of any single account
 * this OMS is built for. There is no floating point anywhere: parsing and
 * formatting are exact ("0.1" + "0.2" formats as "0.3"), and every operation
 * that could leave the range says so with OMS_EOVERFLOW instead of wrapping.
 *
 * Multiplication and division go through 128-bit intermediates and round the
 * result to 8 places with an explicit oms_round_t. Unless a caller has a
 * reason to choose otherwise the rounding mode is OMS_ROUND_HALF_EVEN
 * (banker's rounding, unbiased over many operations).
 *
 * INT64_MIN is never produced, so negation and abs can not overflow on a value
 * this module made.
 */
#ifndef OMS_DECIMAL_H
#define OMS_DECIMAL_H

#include <stdbool.h>

#include "oms/common.h"

OMS_BEGIN_DECLS

#define OMS_DEC_PLACES 8
#define OMS_DEC_SCALE INT64_C(100000000)
#define OMS_DEC_MAX_RAW INT64_MAX
#define OMS_DEC_MIN_RAW (-INT64_MAX)
/* Longest formatted value, "-92233720368.54775807", plus the NUL. */
#define OMS_DEC_STRLEN 24

typedef struct oms_dec_s {
  int64_t raw; /* value * 10^8 */
} oms_dec_t;

typedef enum oms_round_e {
  OMS_ROUND_HALF_EVEN = 0, /* to nearest, ties to even (the default) */
  OMS_ROUND_HALF_UP,       /* to nearest, ties away from zero */
  OMS_ROUND_DOWN,          /* toward zero (truncate) */
  OMS_ROUND_UP,            /* away from zero */
  OMS_ROUND_FLOOR,         /* toward negative infinity */
  OMS_ROUND_CEIL           /* toward positive infinity */
} oms_round_t;

#define OMS_DEC_ZERO ((oms_dec_t){0})

static inline oms_dec_t oms_dec_from_raw(int64_t raw) { return (oms_dec_t){raw}; }
static inline int oms_dec_cmp(oms_dec_t a, oms_dec_t b) {
  return (a.raw > b.raw) - (a.raw < b.raw);
}
static inline bool oms_dec_eq(oms_dec_t a, oms_dec_t b) { return a.raw == b.raw; }
static inline bool oms_dec_lt(oms_dec_t a, oms_dec_t b) { return a.raw < b.raw; }
static inline bool oms_dec_le(oms_dec_t a, oms_dec_t b) { return a.raw <= b.raw; }
static inline bool oms_dec_gt(oms_dec_t a, oms_dec_t b) { return a.raw > b.raw; }
static inline bool oms_dec_ge(oms_dec_t a, oms_dec_t b) { return a.raw >= b.raw; }
static inline bool oms_dec_is_zero(oms_dec_t a) { return a.raw == 0; }
static inline bool oms_dec_is_pos(oms_dec_t a) { return a.raw > 0; }
static inline bool oms_dec_is_neg(oms_dec_t a) { return a.raw < 0; }
static inline oms_dec_t oms_dec_min(oms_dec_t a, oms_dec_t b) { return a.raw <= b.raw ? a : b; }
static inline oms_dec_t oms_dec_max(oms_dec_t a, oms_dec_t b) { return a.raw >= b.raw ? a : b; }
/* Never overflows for a value in range (INT64_MIN is never a valid value). */
static inline oms_dec_t oms_dec_neg(oms_dec_t a) { return (oms_dec_t){-a.raw}; }
static inline oms_dec_t oms_dec_abs(oms_dec_t a) { return (oms_dec_t){a.raw < 0 ? -a.raw : a.raw}; }

/* Parses the whole of s[0..len) as a plain decimal: an optional '-' or '+',
 * digits, an optional '.' followed by digits ("1", "-0.5", "12.", ".5").
 * Refuses, with nothing written to *out:
 *   OMS_ESYNTAX     empty, whitespace, a second sign, letters, exponents,
 *                   "NaN", "inf", a lone "." or "-", any other character;
 *   OMS_EPRECISION  more than 8 significant decimal places (trailing zeros
 *                   beyond the 8th place are accepted: "1.000000000");
 *   OMS_EOVERFLOW   a value outside the range. */
OMS_EXTERN int oms_dec_parse(const char *s, size_t len, oms_dec_t *out);

/* oms_dec_parse of a NUL-terminated string. */
OMS_EXTERN int oms_dec_parse_cstr(const char *s, oms_dec_t *out);

/* Writes the shortest exact text of a ("0.3", "-12", "0.00000001") with a NUL
 * into buf. Returns the length without the NUL, or OMS_ENOSPC if cap is too
 * small (OMS_DEC_STRLEN is always enough). */
OMS_EXTERN int oms_dec_format(oms_dec_t a, char *buf, size_t cap);

/* Integer n as a decimal; OMS_EOVERFLOW if |n| > 92233720368. */
OMS_EXTERN int oms_dec_from_int(int64_t n, oms_dec_t *out);

/* The integer part, truncated toward zero. */
static inline int64_t oms_dec_trunc_int(oms_dec_t a) { return a.raw / OMS_DEC_SCALE; }

/* out = a + b, a - b. OMS_EOVERFLOW leaves *out untouched. */
OMS_EXTERN int oms_dec_add(oms_dec_t a, oms_dec_t b, oms_dec_t *out);
OMS_EXTERN int oms_dec_sub(oms_dec_t a, oms_dec_t b, oms_dec_t *out);

/* out = a * b rounded to 8 places with mode. OMS_EOVERFLOW if out of range. */
OMS_EXTERN int oms_dec_mul(oms_dec_t a, oms_dec_t b, oms_round_t mode, oms_dec_t *out);

/* out = a / b rounded to 8 places with mode. OMS_EDIVZERO if b is zero,
 * OMS_EOVERFLOW if the quotient is out of range. */
OMS_EXTERN int oms_dec_div(oms_dec_t a, oms_dec_t b, oms_round_t mode, oms_dec_t *out);

/* out = a * n for an integer n. */
OMS_EXTERN int oms_dec_mul_int(oms_dec_t a, int64_t n, oms_dec_t *out);

/* out = a rounded to a multiple of step (> 0) with mode, e.g. a price to its
 * tick. OMS_EINVAL for a step <= 0, OMS_EOVERFLOW if out of range. */
OMS_EXTERN int oms_dec_quantize(oms_dec_t a, oms_dec_t step, oms_round_t mode, oms_dec_t *out);

/* Whether a is an exact multiple of step; a step <= 0 means "any value". */
static inline bool oms_dec_is_multiple(oms_dec_t a, oms_dec_t step) {
  return step.raw <= 0 || a.raw % step.raw == 0;
}

/* The number of decimal places a needs (0..8): 8 for 0.00000001, 0 for 12. */
OMS_EXTERN int oms_dec_places(oms_dec_t a);

OMS_END_DECLS

#endif /* OMS_DECIMAL_H */
