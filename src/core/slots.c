/*
 * slots.c - see slots.h.
 */
#include "core/slots.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/error.h"

int oms__slots_init(oms__slots_t *s, uint32_t cap) {
  memset(s, 0, sizeof(*s));
  s->spare = oms__malloc((size_t)(cap ? cap : 1) * sizeof(uint32_t));
  if (s->spare == NULL) return OMS_ENOMEM;
  s->cap = cap;
  oms__slots_reset(s);
  return 0;
}

void oms__slots_close(oms__slots_t *s) {
  oms__free(s->spare);
  memset(s, 0, sizeof(*s));
}

void oms__slots_reset(oms__slots_t *s) {
  for (uint32_t k = 0; k < s->cap; k++) s->spare[k] = s->cap - 1 - k;
  s->nfree = s->cap;
}
