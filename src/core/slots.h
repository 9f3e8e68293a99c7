/*
 * slots.h - the free entries of a fixed pool of records, as a stack.
 *
 * A pool that a map indexes (the map holds the entry number, the pool the
 * record) takes an entry when a record is created and gives it back when it
 * is removed: both O(1), no allocation after init. Entries are handed out
 * 0, 1, 2, ... from a fresh pool, so a pool that is filled once stays dense.
 */
#ifndef OMS_CORE_SLOTS_H
#define OMS_CORE_SLOTS_H

#include <stdint.h>

#define OMS__SLOT_NONE UINT32_MAX

typedef struct oms__slots_s {
  uint32_t *spare; /* the free entries; the next one handed out is on top */
  uint32_t nfree;
  uint32_t cap;
} oms__slots_t;

/* Prepares s for a pool of cap entries, all free. Returns 0 or OMS_ENOMEM
 * (s is then zeroed). */
int oms__slots_init(oms__slots_t *s, uint32_t cap);
/* Frees the memory of s. Accepts a zeroed s. */
void oms__slots_close(oms__slots_t *s);
/* Marks every entry free again. */
void oms__slots_reset(oms__slots_t *s);

/* A free entry, now taken, or OMS__SLOT_NONE when all are taken. */
static inline uint32_t oms__slots_take(oms__slots_t *s) {
  return s->nfree > 0 ? s->spare[--s->nfree] : OMS__SLOT_NONE;
}
/* Gives back entry i, which must be taken. */
static inline void oms__slots_give(oms__slots_t *s, uint32_t i) { s->spare[s->nfree++] = i; }
/* The number of entries taken. */
static inline uint32_t oms__slots_used(const oms__slots_t *s) { return s->cap - s->nfree; }

#endif /* OMS_CORE_SLOTS_H */
