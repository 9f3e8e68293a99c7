/*
 * idfilter.c - the layered Bloom filter's memory (core/idfilter.h).
 *
 * A layer's bits come from oms__calloc: the C library takes a block this
 * large straight from the kernel, already zero, so a new layer costs no
 * memset on the core thread; its pages (huge ones where the kernel gives
 * them, core/alloc.c) are faulted in as keys land on them.
 */
#include "core/idfilter.h"

#include <string.h>

#include "core/alloc.h"
#include "oms/error.h"

static int add_layer(oms__idfilter_t *f, uint64_t bits) {
  if (f->nlayers == OMS__IDFILTER_LAYERS) return OMS_ENOMEM;
  /* One spare cache line to align the blocks to one. */
  void *mem = oms__calloc(1, (size_t)(bits / 8) + 64);
  if (mem == NULL) return OMS_ENOMEM;
  oms__idfilter_layer_t *l = &f->layer[f->nlayers];
  l->mem = mem;
  l->bits = (uint64_t *)(void *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
  l->block_mask = bits / 512 - 1;
  l->n = 0;
  l->grow_at = bits / OMS__IDFILTER_BITS_PER_KEY / 4 * 3;
  f->nlayers++;
  return 0;
}

int oms__idfilter_init(oms__idfilter_t *f, uint64_t first_bits) {
  memset(f, 0, sizeof *f);
  if (first_bits < 512 || (first_bits & (first_bits - 1)) != 0 ||
      first_bits > OMS__IDFILTER_MAX_BITS)
    return OMS_EINVAL;
  return add_layer(f, first_bits);
}

void oms__idfilter_close(oms__idfilter_t *f) {
  for (uint32_t k = 0; k < f->nlayers; k++) oms__free(f->layer[k].mem);
  memset(f, 0, sizeof *f);
}

int oms__idfilter_prepare(oms__idfilter_t *f) {
  if (f->nlayers == 0) return 0; /* init failed: nothing to grow */
  const oms__idfilter_layer_t *last = &f->layer[f->nlayers - 1];
  if (last->n < last->grow_at || f->nlayers == OMS__IDFILTER_LAYERS) return 0;
  uint64_t bits = (last->block_mask + 1) * 512 * 4;
  if (bits > OMS__IDFILTER_MAX_BITS) bits = OMS__IDFILTER_MAX_BITS;
  int rc = add_layer(f, bits);
  return rc == 0 ? 1 : rc;
}
