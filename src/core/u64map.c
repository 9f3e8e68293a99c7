/*
 * u64map.c - see u64map.h. The probe sequence starts at a mixed hash of the
 * key so that sequential ids (order ids) spread over the table.
 */
#include "core/u64map.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/error.h"

int oms__u64map_init(oms__u64map_t *m, uint32_t max_entries) {
  memset(m, 0, sizeof(*m));
  uint32_t cap = 16;
  while (cap < max_entries * 2u && cap < (1u << 31)) cap <<= 1;
  m->keys = oms__calloc(cap, sizeof(uint64_t));
  m->vals = oms__calloc(cap, sizeof(uint64_t));
  if (m->keys == NULL || m->vals == NULL) {
    oms__u64map_close(m);
    return OMS_ENOMEM;
  }
  m->mask = cap - 1;
  m->limit = cap / 2;
  return 0;
}

void oms__u64map_close(oms__u64map_t *m) {
  oms__free(m->keys);
  oms__free(m->vals);
  memset(m, 0, sizeof(*m));
}

int oms__u64map_put(oms__u64map_t *m, uint64_t key, uint64_t val) {
  if (key == 0) return OMS_EINVAL;
  for (uint32_t i = oms__u64map_slot(m, key);; i = (i + 1) & m->mask) {
    if (m->keys[i] == key) {
      m->vals[i] = val;
      return 0;
    }
    if (m->keys[i] == 0) {
      if (m->count >= m->limit) return OMS_EFULL;
      m->keys[i] = key;
      m->vals[i] = val;
      m->count++;
      return 0;
    }
  }
}

bool oms__u64map_del(oms__u64map_t *m, uint64_t key) {
  if (key == 0 || m->keys == NULL) return false;
  uint32_t i = oms__u64map_slot(m, key);
  for (;; i = (i + 1) & m->mask) {
    if (m->keys[i] == 0) return false;
    if (m->keys[i] == key) break;
  }
  /* Backward shift: move later members of the probe run into the hole when
   * their home slot is not between the hole and their position. */
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
    uint32_t home = oms__u64map_slot(m, m->keys[j]);
    if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
      m->keys[hole] = m->keys[j];
      m->vals[hole] = m->vals[j];
      hole = j;
    }
  }
  m->keys[hole] = 0;
  m->vals[hole] = 0;
  m->count--;
  return true;
}

void oms__u64map_clear(oms__u64map_t *m) {
  memset(m->keys, 0, (size_t)(m->mask + 1) * sizeof(uint64_t));
  memset(m->vals, 0, (size_t)(m->mask + 1) * sizeof(uint64_t));
  m->count = 0;
}
