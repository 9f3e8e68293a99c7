/*
 * strmap.h - an open-addressing hash map from short strings to 64-bit
 * values, sized once at init so that insertion and removal never allocate.
 *
 * Made for the bounded ids of the trading domain (ClOrdIDs, symbols, account
 * ids, composite keys built from them): the longest key is fixed at init and
 * the map keeps its own copy of every key, so a caller hands it a string and
 * holds no key storage, hash or comparison of its own.
 *
 * How it works: each key and its value live in an entry of a pool of
 * max_entries (core/slots.h hands entries out); the slot table, a power of
 * two at least twice that, holds each entry's hash and number side by side.
 * Linear probing from the hash, backward-shift deletion (no tombstones). A
 * probe compares the stored hash before the key, so a lookup reads one slot
 * line and, on a hit, the one entry (value and key together); the key's
 * length check and its hash are one pass over it. Any string of up to
 * key_max bytes is a key, the empty string included.
 */
#ifndef OMS_CORE_STRMAP_H
#define OMS_CORE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slots.h"

typedef struct oms__strmap_slot_s {
  uint64_t hash; /* the key's hash (never 0); 0 = empty slot */
  uint32_t ent;  /* the entry it holds */
} oms__strmap_slot_t;

typedef struct oms__strmap_s {
  oms__strmap_slot_t *slot;
  char *ents;         /* per entry: the value (8 bytes), then the key, NUL-terminated */
  size_t ent_size;    /* bytes per entry, a multiple of 8 */
  oms__slots_t spare; /* the entries not in use */
  uint32_t mask;      /* slots - 1; slots is a power of two */
  uint32_t count;     /* entries in use */
  uint32_t key_max;   /* longest key, in bytes */
} oms__strmap_t;

/* Prepares m for up to max_entries keys of up to key_max bytes. Returns 0,
 * OMS_EINVAL (max_entries 0 or above 2^30) or OMS_ENOMEM (m is then zeroed). */
int oms__strmap_init(oms__strmap_t *m, uint32_t max_entries, uint32_t key_max);
/* Frees the memory of m. Accepts a zeroed m. */
void oms__strmap_close(oms__strmap_t *m);

/* Sets key to val, replacing any value. Returns 0, OMS_EINVAL for a key
 * longer than key_max, or OMS_EFULL when max_entries keys are in. */
int oms__strmap_put(oms__strmap_t *m, const char *key, uint64_t val);
/* Returns true and fills *val (may be NULL) if key is present. */
bool oms__strmap_get(const oms__strmap_t *m, const char *key, uint64_t *val);
/* Removes key; returns true if it was present. */
bool oms__strmap_del(oms__strmap_t *m, const char *key);
/* Removes every entry. */
void oms__strmap_clear(oms__strmap_t *m);
/* The number of keys in m. */
static inline uint32_t oms__strmap_count(const oms__strmap_t *m) { return m->count; }

#endif /* OMS_CORE_STRMAP_H */
