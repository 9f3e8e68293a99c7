/*
 * decimal.c - fixed-point arithmetic on 64-bit integers scaled by 10^8.
 *
 * The parser is a single pass over bytes with no locale and no floating point.
 * Multiplication and division widen to __int128 (GCC and Clang provide it on
 * every 64-bit target we build for), divide once, and round the remainder in
 * one place, round_away(), so every mode is implemented exactly once. The
 * division by the scale in a product and the division of a quotient avoid
 * the 128-bit division routine (they run about ten times per order).
 */
#include "oms/decimal.h"

#include <string.h>

#include "decimal/decimal_internal.h"
#include "oms/error.h"

typedef __int128 i128;

#define MAX_INT_PART (OMS_DEC_MAX_RAW / OMS_DEC_SCALE)

int oms_dec_parse(const char *s, size_t len, oms_dec_t *out) {
  if (s == NULL || len == 0) return OMS_ESYNTAX;
  size_t i = 0;
  int neg = 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  /* Accumulate as an unsigned magnitude of raw units; 10^8 * (2^63/10^8) fits. */
  uint64_t ip = 0, fp = 0;
  int int_digits = 0, frac_digits = 0, seen_dot = 0, overflow = 0, precision = 0;
  for (; i < len; i++) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      unsigned d = (unsigned)(c - '0');
      if (!seen_dot) {
        int_digits++;
        if (ip > (uint64_t)MAX_INT_PART) {
          overflow = 1;
        } else {
          ip = ip * 10 + d;
        }
      } else {
        frac_digits++;
        if (frac_digits <= OMS_DEC_PLACES) {
          fp = fp * 10 + d;
        } else if (d != 0) {
          precision = 1;
        }
      }
    } else if (c == '.' && !seen_dot) {
      seen_dot = 1;
    } else {
      return OMS_ESYNTAX;
    }
  }
  if (int_digits == 0 && frac_digits == 0) return OMS_ESYNTAX;
  if (precision) return OMS_EPRECISION;
  if (overflow || ip > (uint64_t)MAX_INT_PART) return OMS_EOVERFLOW;
  for (int k = frac_digits; k < OMS_DEC_PLACES; k++) fp *= 10;
  uint64_t mag = ip * (uint64_t)OMS_DEC_SCALE;
  if (mag > (uint64_t)OMS_DEC_MAX_RAW - fp) return OMS_EOVERFLOW;
  mag += fp;
  out->raw = neg ? -(int64_t)mag : (int64_t)mag;
  return 0;
}

int oms_dec_parse_cstr(const char *s, oms_dec_t *out) {
  if (s == NULL) return OMS_ESYNTAX;
  return oms_dec_parse(s, strlen(s), out);
}

int oms_dec_format(oms_dec_t a, char *buf, size_t cap) {
  char tmp[OMS_DEC_STRLEN];
  /* Build the text right to left so no reversal is needed. */
  char *p = tmp + sizeof(tmp);
  *--p = '\0';
  uint64_t mag = a.raw < 0 ? (uint64_t)(-a.raw) : (uint64_t)a.raw;
  uint64_t ip = mag / (uint64_t)OMS_DEC_SCALE;
  uint64_t fp = mag % (uint64_t)OMS_DEC_SCALE;
  if (fp != 0) {
    int places = OMS_DEC_PLACES;
    while (fp % 10 == 0) {
      fp /= 10;
      places--;
    }
    for (int k = 0; k < places; k++) {
      *--p = (char)('0' + fp % 10);
      fp /= 10;
    }
    *--p = '.';
  }
  do {
    *--p = (char)('0' + ip % 10);
    ip /= 10;
  } while (ip != 0);
  if (a.raw < 0) *--p = '-';
  size_t n = (size_t)(tmp + sizeof(tmp) - 1 - p);
  if (buf == NULL || cap < n + 1) return OMS_ENOSPC;
  memcpy(buf, p, n + 1);
  return (int)n;
}

static int fits(i128 v) { return v <= (i128)OMS_DEC_MAX_RAW && v >= (i128)OMS_DEC_MIN_RAW; }

int oms_dec_from_int(int64_t n, oms_dec_t *out) {
  if (n > MAX_INT_PART || n < -MAX_INT_PART) return OMS_EOVERFLOW;
  out->raw = n * OMS_DEC_SCALE;
  return 0;
}

int oms_dec_add(oms_dec_t a, oms_dec_t b, oms_dec_t *out) {
  i128 r = (i128)a.raw + b.raw;
  if (!fits(r)) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

int oms_dec_sub(oms_dec_t a, oms_dec_t b, oms_dec_t *out) {
  i128 r = (i128)a.raw - b.raw;
  if (!fits(r)) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

/* Whether a quotient whose remainder is ar (0 < ar < d, magnitudes) moves
 * one step away from zero under mode; neg is the sign of the exact value and
 * odd the parity of the truncated quotient. The one rounding rule of the
 * module: both divisions below end here. */
static int round_away(oms_round_t mode, int neg, unsigned __int128 ar, unsigned __int128 d,
                      int odd) {
  switch (mode) {
    case OMS_ROUND_DOWN: return 0;
    case OMS_ROUND_UP: return 1;
    case OMS_ROUND_FLOOR: return neg;
    case OMS_ROUND_CEIL: return !neg;
    case OMS_ROUND_HALF_UP: return 2 * ar >= d;
    case OMS_ROUND_HALF_EVEN:
    default: return 2 * ar > d || (2 * ar == d && odd);
  }
}

/* n / d rounded with mode; d > 0. C division truncates toward zero, so the
 * remainder has the sign of n and the rounding direction follows from it. */
static i128 round_quotient(i128 n, i128 d, oms_round_t mode) {
  i128 q = n / d, r = n % d;
  if (r == 0) return q;
  int sign = n < 0 ? -1 : 1;
  i128 ar = r < 0 ? -r : r;
  return round_away(mode, sign < 0, (unsigned __int128)ar, (unsigned __int128)d, (int)(q & 1))
             ? q + sign
             : q;
}

__int128 oms__dec_round_div(__int128 n, __int128 d, oms_round_t mode) {
  return round_quotient(n, d, mode);
}

static uint64_t magnitude(int64_t v) { return v < 0 ? 0 - (uint64_t)v : (uint64_t)v; }

/* A product divided by the scale without a 128-bit division (a library call
 * of some 40 instructions and as many cycles, about ten times per order):
 * with a = a1 S + a0 and b = b1 S + b0 (S the scale), a b / S is
 * a1 b1 S + a1 b0 + a0 b1 + a0 b0 / S, where only a0 b0 < S^2 needs dividing,
 * and by a 64-bit constant, which compiles to a multiply. Same quotient and
 * remainder as the 128-bit division, so the same rounding, bit for bit. */
int oms_dec_mul(oms_dec_t a, oms_dec_t b, oms_round_t mode, oms_dec_t *out) {
  const uint64_t S = (uint64_t)OMS_DEC_SCALE;
  uint64_t ua = magnitude(a.raw), ub = magnitude(b.raw);
  int neg = (a.raw < 0) != (b.raw < 0);
  unsigned __int128 q;
  /* b is split only when a is not whole: a quantity usually is */
  uint64_t a1 = ua / S, a0 = ua - a1 * S;
  if (a0 == 0) {
    q = (unsigned __int128)a1 * ub; /* a whole factor: exact */
  } else {
    uint64_t b1 = ub / S, b0 = ub - b1 * S;
    if (b0 == 0) {
      q = (unsigned __int128)ua * b1; /* a multiplier or a rate of 1 */
    } else {
      uint64_t low = a0 * b0; /* < S^2 = 10^16 */
      q = (unsigned __int128)a1 * b1 * S + (unsigned __int128)a1 * b0 + (unsigned __int128)a0 * b1 +
          low / S; /* < 2^101 */
      uint64_t ar = low % S;
      if (ar != 0 && round_away(mode, neg, ar, S, (int)(q & 1))) q++;
    }
  }
  /* the range is symmetric (OMS_DEC_MIN_RAW = -OMS_DEC_MAX_RAW): the
   * magnitude decides */
  _Static_assert(OMS_DEC_MIN_RAW == -OMS_DEC_MAX_RAW, "a symmetric range");
  if (q > (unsigned __int128)OMS_DEC_MAX_RAW) return OMS_EOVERFLOW;
  out->raw = neg ? -(int64_t)q : (int64_t)q;
  return 0;
}

/* a S / b: the dividend a S is below 2^64 |b| whenever the quotient fits 64
 * bits (a larger one overflows whatever the rounding), so on x86-64 one
 * 128-by-64-bit divide does it; elsewhere the 128-bit division. */
int oms_dec_div(oms_dec_t a, oms_dec_t b, oms_round_t mode, oms_dec_t *out) {
  if (b.raw == 0) return OMS_EDIVZERO;
  uint64_t ud = magnitude(b.raw);
  unsigned __int128 n = (unsigned __int128)magnitude(a.raw) * (uint64_t)OMS_DEC_SCALE;
  uint64_t hi = (uint64_t)(n >> 64), lo = (uint64_t)n;
  if (hi >= ud) return OMS_EOVERFLOW; /* quotient >= 2^64 */
  uint64_t q, ar;
#if defined(__x86_64__)
  __asm__("divq %4" : "=a"(q), "=d"(ar) : "a"(lo), "d"(hi), "rm"(ud) : "cc");
#else
  q = (uint64_t)(n / ud);
  ar = (uint64_t)(n % ud);
#endif
  int neg = (a.raw < 0) != (b.raw < 0);
  unsigned __int128 mq = q;
  if (ar != 0 && round_away(mode, neg, ar, ud, (int)(q & 1))) mq++;
  i128 r = neg ? -(i128)mq : (i128)mq;
  if (!fits(r)) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

int oms_dec_mul_int(oms_dec_t a, int64_t n, oms_dec_t *out) {
  i128 r = (i128)a.raw * n;
  if (!fits(r)) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

int oms_dec_quantize(oms_dec_t a, oms_dec_t step, oms_round_t mode, oms_dec_t *out) {
  if (step.raw <= 0) return OMS_EINVAL;
  i128 r = round_quotient(a.raw, step.raw, mode) * (i128)step.raw;
  if (!fits(r)) return OMS_EOVERFLOW;
  out->raw = (int64_t)r;
  return 0;
}

int oms_dec_places(oms_dec_t a) {
  int64_t f = a.raw % OMS_DEC_SCALE;
  if (f == 0) return 0;
  int places = OMS_DEC_PLACES;
  while (f % 10 == 0) {
    f /= 10;
    places--;
  }
  return places;
}
