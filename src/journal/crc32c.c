/*
 * crc32c.c - CRC32C (Castagnoli, the iSCSI polynomial 0x1EDC6F41, reflected
 * 0x82F63B78), the checksum of every journal record.
 *
 * Two implementations of the same function: the SSE4.2 crc32 instruction,
 * eight bytes at a time, when the CPU has it (asked once, at first use, with
 * __builtin_cpu_supports), and a byte-at-a-time table otherwise. The table and
 * the choice are computed once under pthread_once: the only process-wide state
 * of the journal, and it never changes after that. A call reads the choice
 * with one acquire load (a plain load on x86) and goes to pthread_once only
 * while it is not made yet.
 *
 * Three streams. The crc32 instruction takes three cycles and can start one
 * a cycle: a single chain of them runs at a third of the speed the unit
 * has. With PCLMULQDQ as well, a run of at least MIN3 bytes is cut into
 * three lanes of L bytes (L a multiple of 8, at most LANE_MAX) computed side
 * by side, the second and third from 0, and joined: the state after the
 * three is the first's moved over 2L bytes of zeros, xor the second's moved
 * over L, xor the third's. Moving a state s over L bytes is a product by
 * x^(8L) mod P: the carry-less product of s and k = x^(8L-33) mod P (the
 * extra x of a reflected product and the x^32 of the crc32 instruction make
 * up the 33) reduced by one crc32 of it from 0. The constants, one per lane
 * length, are worked out at the first use with the same table; a unit test
 * compares the result with the table's on random lengths and alignments.
 *
 * The convention is the usual one (pre- and post-inverted), so that
 * oms_crc32c(0, "123456789", 9) == 0xE3069283 and a CRC can be continued:
 * oms_crc32c(oms_crc32c(0, a, na), b, nb) is the CRC of a followed by b.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "journal/journal_int.h"
#include "oms/journal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#include <wmmintrin.h>
#define HAVE_SSE42_PATH 1
#endif

#define POLY 0x82F63B78u
#define LANE_MAX 256u       /* bytes of one lane (a multiple of 8) */
#define MIN3 (3u * 8u * 4u) /* shorter: one chain (the join costs a dozen instructions) */

enum { UNKNOWN = 0, SOFT, HARD, HARD3 };

static uint32_t table[256];
static int mode; /* UNKNOWN until init has run; read with acquire */
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* shift[m] = x^(64m - 33) mod P (reflected): moves a state over 8m bytes. */
static uint32_t shift[2 * LANE_MAX / 8 + 1];

static void init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
    table[i] = c;
  }
  /* x^31 is bit 0 in the reflected form; each >> 1 (and reduction) is a
   * product by x. */
  uint32_t r = 1u;
  for (size_t m = 1; m < sizeof shift / sizeof shift[0]; m++) {
    shift[m] = r;
    for (int k = 0; k < 64; k++) r = (r >> 1) ^ (POLY & (0u - (r & 1u)));
  }
  int m = SOFT;
#ifdef HAVE_SSE42_PATH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) m = __builtin_cpu_supports("pclmul") ? HARD3 : HARD;
#endif
  __atomic_store_n(&mode, m, __ATOMIC_RELEASE);
}

static inline int get_mode(void) {
  int m = __atomic_load_n(&mode, __ATOMIC_ACQUIRE);
  if (__builtin_expect(m == UNKNOWN, 0)) {
    pthread_once(&once, init);
    m = __atomic_load_n(&mode, __ATOMIC_ACQUIRE);
  }
  return m;
}

/* c is the state (inverted): no pre- or post-inversion here. */
static uint32_t sw(uint32_t c, const uint8_t *p, size_t n) {
  while (n--) c = table[(c ^ *p++) & 0xFFu] ^ (c >> 8);
  return c;
}

uint32_t oms__crc32c_sw(uint32_t crc, const void *data, size_t n) {
  (void)get_mode();
  return ~sw(~crc, data, n);
}

#ifdef HAVE_SSE42_PATH
static inline __attribute__((target("sse4.2"), always_inline)) uint64_t ld64(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  return w;
}

/* The state moved over the 8m bytes of zeros shift[m] stands for. */
static inline __attribute__((target("sse4.2,pclmul"), always_inline)) uint32_t move(uint32_t c,
                                                                                    uint32_t k) {
  __m128i prod = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)c), _mm_cvtsi32_si128((int)k), 0);
  return (uint32_t)_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(prod));
}

/* Three lanes at a time while a run of MIN3 bytes is left: *pp and *pn move. */
static inline __attribute__((target("sse4.2,pclmul"), always_inline)) uint64_t three(
    uint64_t c, const uint8_t **pp, size_t *pn) {
  const uint8_t *p = *pp;
  size_t n = *pn;
  while (n >= MIN3) {
    size_t m = n / 24 < LANE_MAX / 8 ? n / 24 : LANE_MAX / 8; /* words a lane */
    size_t L = 8 * m;
    const uint8_t *a = p, *b = p + L, *e = p + L, *cc = p + 2 * L;
    uint64_t c1 = 0, c2 = 0;
#pragma GCC unroll 2
    for (; a < e; a += 8, b += 8, cc += 8) {
      c = _mm_crc32_u64(c, ld64(a));
      c1 = _mm_crc32_u64(c1, ld64(b));
      c2 = _mm_crc32_u64(c2, ld64(cc));
    }
    c = move((uint32_t)c, shift[2 * m]) ^ move((uint32_t)c1, shift[m]) ^ c2;
    p += 3 * L;
    n -= 3 * L;
  }
  *pp = p;
  *pn = n;
  return c;
}

/* Compiled for PCLMULQDQ too (three() is inlined here), but runs its
 * instruction only in HARD3 mode: the rest is plain SSE4.2. */
static inline __attribute__((target("sse4.2,pclmul"), always_inline)) uint32_t hw(uint32_t crc,
                                                                                  const uint8_t *p,
                                                                                  size_t n, int m) {
  uint64_t c = crc;
  if (m == HARD3 && n >= MIN3) c = three(c, &p, &n);
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, ld64(p));
  uint32_t c32 = (uint32_t)c;
  if (n & 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    c32 = _mm_crc32_u32(c32, w);
    p += 4;
  }
  if (n & 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    c32 = _mm_crc32_u16(c32, w);
    p += 2;
  }
  if (n & 1) c32 = _mm_crc32_u8(c32, *p);
  return c32;
}

/* The header's 20 bytes (8 + 8 + 4) and the payload, in one call. */
static __attribute__((target("sse4.2,pclmul"), noinline)) uint32_t hw_any(uint32_t crc,
                                                                          const uint8_t *p,
                                                                          size_t n, int m) {
  return hw(crc, p, n, m);
}

static __attribute__((target("sse4.2,pclmul"))) uint32_t hw_rec(const uint8_t *hdr,
                                                                const void *payload, uint32_t len,
                                                                int m) {
  uint64_t c = 0xFFFFFFFFu;
  c = _mm_crc32_u64(c, ld64(hdr));
  c = _mm_crc32_u64(c, ld64(hdr + 8));
  uint32_t w;
  memcpy(&w, hdr + 16, 4);
  uint32_t c32 = _mm_crc32_u32((uint32_t)c, w);
  if (len) c32 = hw(c32, payload, len, m);
  return ~c32;
}
#endif

bool oms__crc32c_hw_available(void) { return get_mode() >= HARD; }

uint32_t oms_crc32c(uint32_t crc, const void *data, size_t n) {
  int m = get_mode();
#ifdef HAVE_SSE42_PATH
  if (m >= HARD) return ~hw_any(~crc, data, n, m);
#endif
  (void)m;
  return ~sw(~crc, data, n);
}

uint32_t oms__jrec_crc(const uint8_t *hdr, const void *payload, uint32_t len) {
  int m = get_mode();
#ifdef HAVE_SSE42_PATH
  if (m >= HARD) return hw_rec(hdr, payload, len, m);
#endif
  (void)m;
  uint32_t c = sw(0xFFFFFFFFu, hdr, CRC_SPAN);
  return ~(len ? sw(c, payload, len) : c);
}
