/*
 * idmap.h - a fixed-capacity open-addressing hash from a non-zero 64-bit id
 * to a 32-bit slot index, for the matching book (book order id -> node) and
 * the simulated venue (OMS order id -> order record).
 *
 * Linear probing over a power-of-two table that is at least twice the number
 * of keys it will ever hold, so a probe sequence stays short. Deletion shifts
 * the following entries back (no tombstones), so the table never degrades in
 * a long-running session. Key 0 marks an empty slot and can not be stored.
 * The table is allocated once by idmap_init; nothing else allocates.
 */
#ifndef OMS_VENUE_IDMAP_H
#define OMS_VENUE_IDMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oms/error.h"

typedef struct idmap_slot_s {
  uint64_t key; /* 0: empty */
  uint32_t val;
} idmap_slot_t;

typedef struct idmap_s {
  idmap_slot_t *slots;
  uint64_t mask;
  uint32_t count;
} idmap_t;

/* The splitmix64 finaliser: ids are often sequential, so they are mixed. */
static inline uint64_t idmap_hash(uint64_t k) {
  k ^= k >> 30;
  k *= UINT64_C(0xbf58476d1ce4e5b9);
  k ^= k >> 27;
  k *= UINT64_C(0x94d049bb133111eb);
  k ^= k >> 31;
  return k;
}

/* Sizes the table for up to max_keys keys. Returns 0 or OMS_ENOMEM. */
static inline int idmap_init(idmap_t *m, uint32_t max_keys) {
  uint64_t cap = 16;
  while (cap < (uint64_t)max_keys * 2) cap <<= 1;
  /* malloc + memset rather than calloc: the pages are touched now, not on
   * the hot path. */
  m->slots = (idmap_slot_t *)malloc((size_t)cap * sizeof(idmap_slot_t));
  m->mask = cap - 1;
  m->count = 0;
  if (m->slots == NULL) return OMS_ENOMEM;
  memset(m->slots, 0, (size_t)cap * sizeof(idmap_slot_t));
  return 0;
}

static inline void idmap_free(idmap_t *m) {
  free(m->slots);
  m->slots = NULL;
}

/* The slot index of key, or UINT32_MAX if absent. */
static inline uint32_t idmap_get(const idmap_t *m, uint64_t key) {
  for (uint64_t i = idmap_hash(key) & m->mask;; i = (i + 1) & m->mask) {
    const idmap_slot_t *s = &m->slots[i];
    if (s->key == key) return s->val;
    if (s->key == 0) return UINT32_MAX;
  }
}

/* Inserts or overwrites key. The caller keeps count below the sizing. */
static inline void idmap_put(idmap_t *m, uint64_t key, uint32_t val) {
  for (uint64_t i = idmap_hash(key) & m->mask;; i = (i + 1) & m->mask) {
    idmap_slot_t *s = &m->slots[i];
    if (s->key == key) {
      s->val = val;
      return;
    }
    if (s->key == 0) {
      s->key = key;
      s->val = val;
      m->count++;
      return;
    }
  }
}

/* Removes key if present; later entries of the probe run shift back. */
static inline void idmap_del(idmap_t *m, uint64_t key) {
  uint64_t i = idmap_hash(key) & m->mask;
  for (;; i = (i + 1) & m->mask) {
    if (m->slots[i].key == key) break;
    if (m->slots[i].key == 0) return;
  }
  m->count--;
  for (uint64_t j = i;;) {
    m->slots[i].key = 0;
    for (;;) {
      j = (j + 1) & m->mask;
      if (m->slots[j].key == 0) return;
      uint64_t home = idmap_hash(m->slots[j].key) & m->mask;
      /* Move slot j back to i unless its home lies cyclically in (i, j]. */
      if (i <= j ? (i < home && home <= j) : (i < home || home <= j)) continue;
      break;
    }
    m->slots[i] = m->slots[j];
    i = j;
  }
}

#endif /* OMS_VENUE_IDMAP_H */
