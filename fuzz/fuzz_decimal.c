/* fuzz_decimal.c - libFuzzer target for the decimal parser: any input either
 * is refused with a documented code or parses to a value whose text parses
 * back to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oms/decimal.h"
#include "oms/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  oms_dec_t d;
  int rc = oms_dec_parse((const char *)data, size, &d);
  if (rc != 0) {
    if (rc != OMS_ESYNTAX && rc != OMS_EPRECISION && rc != OMS_EOVERFLOW) abort();
    return 0;
  }
  char buf[OMS_DEC_STRLEN];
  int n = oms_dec_format(d, buf, sizeof buf);
  if (n <= 0) abort();
  oms_dec_t back;
  if (oms_dec_parse(buf, (size_t)n, &back) != 0 || back.raw != d.raw) abort();
  /* arithmetic never traps, whatever the operands */
  oms_dec_t out;
  (void)oms_dec_mul(d, d, OMS_ROUND_HALF_EVEN, &out);
  (void)oms_dec_div(d, d.raw ? d : oms_dec_from_raw(1), OMS_ROUND_HALF_UP, &out);
  (void)oms_dec_add(d, d, &out);
  return 0;
}
