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
  m->ent = oms__calloc(cap, sizeof(oms__u64map_ent_t));
  if (m->ent == NULL) {
    oms__u64map_close(m);
    return OMS_ENOMEM;
  }
  m->mask = cap - 1;
  m->limit = cap / 2;
  return 0;
}

void oms__u64map_close(oms__u64map_t *m) {
  oms__free(m->ent);
  memset(m, 0, sizeof(*m));
}

int oms__u64map_put(oms__u64map_t *m, uint64_t key, uint64_t val) {
  if (key == 0) return OMS_EINVAL;
  for (uint32_t i = oms__u64map_slot(m, key);; i = (i + 1) & m->mask) {
    if (m->ent[i].key == key) {
      m->ent[i].val = val;
      return 0;
    }
    if (m->ent[i].key == 0) {
      if (m->count >= m->limit) return OMS_EFULL;
      m->ent[i].key = key;
      m->ent[i].val = val;
      m->count++;
      return 0;
    }
  }
}

bool oms__u64map_del(oms__u64map_t *m, uint64_t key) {
  if (key == 0 || m->ent == NULL) return false;
  uint32_t i = oms__u64map_slot(m, key);
  for (;; i = (i + 1) & m->mask) {
    if (m->ent[i].key == 0) return false;
    if (m->ent[i].key == key) break;
  }
  /* Backward shift: move later members of the probe run into the hole when
   * their home slot is not between the hole and their position. */
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & m->mask; m->ent[j].key != 0; j = (j + 1) & m->mask) {
    uint32_t home = oms__u64map_slot(m, m->ent[j].key);
    if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
      m->ent[hole] = m->ent[j];
      hole = j;
    }
  }
  m->ent[hole].key = 0;
  m->ent[hole].val = 0;
  m->count--;
  return true;
}

void oms__u64map_clear(oms__u64map_t *m) {
  memset(m->ent, 0, (size_t)(m->mask + 1) * sizeof(oms__u64map_ent_t));
  m->count = 0;
}
