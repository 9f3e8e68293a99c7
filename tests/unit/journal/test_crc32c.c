/* test_crc32c.c - CRC32C against the check values of RFC 3720 (iSCSI),
 * appendix B.4, on both the hardware and the table implementation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "journal/journal_int.h"
#include "oms/journal.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f) {
  uint8_t b[32];
  memset(b, 0, sizeof b);
  assert_int_equal(f(0, b, 32), 0x8A9136AAu);
  memset(b, 0xFF, sizeof b);
  assert_int_equal(f(0, b, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; i++) b[i] = (uint8_t)i;
  assert_int_equal(f(0, b, 32), 0x46DD794Eu);
  for (int i = 0; i < 32; i++) b[i] = (uint8_t)(31 - i);
  assert_int_equal(f(0, b, 32), 0x113FDB5Cu);
  /* An iSCSI read command PDU (RFC 3720 B.4). */
  static const uint8_t pdu[48] = {0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                  0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  assert_int_equal(f(0, pdu, sizeof pdu), 0xD9963A56u);
  assert_int_equal(f(0, "123456789", 9), 0xE3069283u);
  assert_int_equal(f(0, "", 0), 0u);
}

static void test_rfc3720_vectors(void **state) {
  (void)state;
  check_vectors(oms_crc32c);
  check_vectors(oms__crc32c_sw);
}

static void test_crc_continues_over_pieces_and_alignments(void **state) {
  (void)state;
  uint8_t b[1000];
  for (int i = 0; i < 1000; i++) b[i] = (uint8_t)(i * 13 + 5);
  uint32_t whole = oms__crc32c_sw(0, b, sizeof b);
  for (size_t cut = 0; cut < 40; cut++) {
    for (size_t start = 0; start < 9; start++) {
      uint32_t a = oms_crc32c(0, b + start, cut);
      a = oms_crc32c(a, b + start + cut, sizeof b - start - cut);
      assert_int_equal(a, oms__crc32c_sw(0, b + start, sizeof b - start));
    }
  }
  assert_int_equal(oms_crc32c(0, b, sizeof b), whole);
  (void)oms__crc32c_hw_available();
}

/* The hardware path (three lanes joined, on a CPU with PCLMULQDQ; one
 * chain below MIN3 bytes or without it) against the table, bit for bit: every
 * length up to past two whole blocks of three lanes, at every alignment, on
 * random bytes, from random starting values; and a record's CRC (header and
 * payload in one call) against the two pieces through the table. */
static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t next32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static void test_hardware_matches_the_table_on_random_lengths(void **state) {
  (void)state;
  static uint8_t b[2 * 3 * 256 + 200];
  for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)next32();
  for (size_t n = 0; n + 8 <= sizeof b; n++) {
    for (size_t start = 0; start < 8; start++) {
      if (n > 300 && (n + start) % 5 != 0) continue; /* the longer ones sampled */
      uint32_t seed = next32();
      assert_int_equal(oms_crc32c(seed, b + start, n), oms__crc32c_sw(seed, b + start, n));
    }
  }
  for (int round = 0; round < 2000; round++) {
    size_t n = next32() % (sizeof b - 8), start = next32() % 8;
    uint32_t seed = round & 1 ? next32() : 0;
    assert_int_equal(oms_crc32c(seed, b + start, n), oms__crc32c_sw(seed, b + start, n));
  }
}

static void test_record_crc_is_header_then_payload(void **state) {
  (void)state;
  static uint8_t b[24 + 1200];
  for (size_t i = 0; i < sizeof b; i++) b[i] = (uint8_t)next32();
  for (uint32_t len = 0; len <= 1200; len += (len < 100 ? 1 : 7)) {
    uint32_t want = oms__crc32c_sw(0, b, 20);
    want = oms__crc32c_sw(want, b + 24, len);
    assert_int_equal(oms__jrec_crc(b, len ? b + 24 : NULL, len), want);
    assert_int_equal(oms__jrec_crc(b, b + 25, len),
                     oms__crc32c_sw(oms__crc32c_sw(0, b, 20), b + 25, len));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc3720_vectors),
      cmocka_unit_test(test_crc_continues_over_pieces_and_alignments),
      cmocka_unit_test(test_hardware_matches_the_table_on_random_lengths),
      cmocka_unit_test(test_record_crc_is_header_then_payload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
