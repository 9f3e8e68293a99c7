/*
 * crc32c.c - CRC32C (Castagnoli, the iSCSI polynomial 0x1EDC6F41, reflected
 * 0x82F63B78), the checksum of every journal record.
 *
 * Two implementations of the same function: the SSE4.2 crc32 instruction,
 * eight bytes at a time, when the CPU has it (asked once, at first use, with
 * __builtin_cpu_supports), and a byte-at-a-time table otherwise. The table and
 * the choice are computed once under pthread_once: the only process-wide state
 * of the journal, and it never changes after that.
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
#define HAVE_SSE42_PATH 1
#endif

static uint32_t table[256];
static bool use_hw;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    table[i] = c;
  }
#ifdef HAVE_SSE42_PATH
  __builtin_cpu_init();
  use_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t oms__crc32c_sw(uint32_t crc, const void *data, size_t n) {
  pthread_once(&once, init);
  const uint8_t *p = data;
  uint32_t c = ~crc;
  while (n--) c = table[(c ^ *p++) & 0xFFu] ^ (c >> 8);
  return ~c;
}

#ifdef HAVE_SSE42_PATH
__attribute__((target("sse4.2"))) static uint32_t hw(uint32_t crc, const void *data, size_t n) {
  const uint8_t *p = data;
  uint64_t c = ~crc;
  while (n > 0 && ((uintptr_t)p & 7u) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    n--;
  }
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  while (n--) c = _mm_crc32_u8((uint32_t)c, *p++);
  return ~(uint32_t)c;
}
#endif

bool oms__crc32c_hw_available(void) {
  pthread_once(&once, init);
  return use_hw;
}

uint32_t oms_crc32c(uint32_t crc, const void *data, size_t n) {
  pthread_once(&once, init);
#ifdef HAVE_SSE42_PATH
  if (use_hw) return hw(crc, data, n);
#endif
  return oms__crc32c_sw(crc, data, n);
}
