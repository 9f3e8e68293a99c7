/* fuzz_event_decode.c - libFuzzer target for the binary event decoder, which
 * reads what the store gives back: any input is refused cleanly or decodes to
 * an event that encodes and decodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oms/error.h"
#include "oms/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static oms_event_t ev, back;
  if (oms_event_decode(data, size, &ev) != 0) return 0;
  static uint8_t a[OMS_EVENT_BIN_MAX], b[OMS_EVENT_BIN_MAX];
  int n = oms_event_encode(&ev, a, sizeof a);
  if (n <= 0) abort();
  if (oms_event_decode(a, (size_t)n, &back) != 0) abort();
  int m = oms_event_encode(&back, b, sizeof b);
  if (m != n || memcmp(a, b, (size_t)n) != 0) abort();
  char json[OMS_EVENT_JSON_MAX];
  if (oms_event_to_json(&back, json, sizeof json) <= 0) abort();
  return 0;
}
