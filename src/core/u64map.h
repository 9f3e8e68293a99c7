/*
 * u64map.h - an open-addressing hash map from 64-bit keys to 64-bit values,
 * sized once at creation so that insertion and removal never allocate.
 *
 * Linear probing with backward-shift deletion (no tombstones), so lookups
 * stay short however many removals there have been. Key 0 is reserved for
 * "empty": callers map their ids to non-zero keys (order ids start at 1; a
 * string key's hash, core/hash.h, is never zero). Keys that are strings
 * belong in core/strmap.h instead.
 */
#ifndef OMS_CORE_U64MAP_H
#define OMS_CORE_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "oms/error.h"

/* A key and its value side by side: a lookup touches one cache line, not
 * one in a key array and another in a value array. */
typedef struct oms__u64map_ent_s {
  uint64_t key;
  uint64_t val;
} oms__u64map_ent_t;

typedef struct oms__u64map_s {
  oms__u64map_ent_t *ent;
  uint32_t mask;  /* capacity - 1; capacity is a power of two */
  uint32_t count; /* entries in use */
  uint32_t limit; /* most entries allowed: capacity / 2 */
} oms__u64map_t;

/* Prepares m for at least max_entries entries. Returns 0 or OMS_ENOMEM. */
int oms__u64map_init(oms__u64map_t *m, uint32_t max_entries);
/* Frees the memory of m. Accepts a zeroed m. */
void oms__u64map_close(oms__u64map_t *m);

/* Sets key to val, replacing any value. Returns 0, OMS_EINVAL for key 0, or
 * OMS_EFULL at the entry limit. */
int oms__u64map_put(oms__u64map_t *m, uint64_t key, uint64_t val);
/* The home slot of key: ids are often sequential, so they are mixed. */
static inline uint32_t oms__u64map_slot(const oms__u64map_t *m, uint64_t k) {
  return (uint32_t)oms__mix64(k) & m->mask;
}

/* Returns true and fills *val if key is present. Inline: it is on the
 * matching book's and the core's hot paths. */
static inline bool oms__u64map_get(const oms__u64map_t *m, uint64_t key, uint64_t *val) {
  if (key == 0 || m->ent == NULL) return false;
  for (uint32_t i = oms__u64map_slot(m, key);; i = (i + 1) & m->mask) {
    if (m->ent[i].key == key) {
      *val = m->ent[i].val;
      return true;
    }
    if (m->ent[i].key == 0) return false;
  }
}
/* Puts key -> val unless key is present: one probe where a get and a put
 * take two. Returns 1 when it put it, 0 when key was present (its value
 * left as it was), OMS_EINVAL for key 0, or OMS_EFULL at the entry limit.
 * Inline: the router and the simulated venue add an id per order. */
static inline int oms__u64map_add(oms__u64map_t *m, uint64_t key, uint64_t val) {
  if (key == 0) return OMS_EINVAL;
  for (uint32_t i = oms__u64map_slot(m, key);; i = (i + 1) & m->mask) {
    if (m->ent[i].key == key) return 0;
    if (m->ent[i].key == 0) {
      if (m->count >= m->limit) return OMS_EFULL;
      m->ent[i].key = key;
      m->ent[i].val = val;
      m->count++;
      return 1;
    }
  }
}
/* Removes key; returns true if it was present. */
bool oms__u64map_del(oms__u64map_t *m, uint64_t key);
/* Removes every entry. */
void oms__u64map_clear(oms__u64map_t *m);

#endif /* OMS_CORE_U64MAP_H */
