/*
 * strmap.c - see strmap.h. A key longer than key_max is never stored, so a
 * lookup of one answers "absent" without probing.
 */
#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "oms/error.h"

int oms__strmap_init(oms__strmap_t *m, uint32_t max_entries, uint32_t key_max) {
  memset(m, 0, sizeof(*m));
  if (max_entries == 0 || max_entries > (1u << 30)) return OMS_EINVAL;
  uint32_t slots = 16;
  while (slots < 2u * max_entries) slots <<= 1;
  m->ent_size = sizeof(uint64_t) + (((size_t)key_max + 1u + 7u) & ~(size_t)7u);
  m->slot = oms__calloc(slots, sizeof(oms__strmap_slot_t));
  m->ents = oms__malloc((size_t)max_entries * m->ent_size);
  if (m->slot == NULL || m->ents == NULL || oms__slots_init(&m->spare, max_entries) != 0) {
    oms__strmap_close(m);
    return OMS_ENOMEM;
  }
  m->mask = slots - 1;
  m->key_max = key_max;
  return 0;
}

void oms__strmap_close(oms__strmap_t *m) {
  oms__free(m->slot);
  oms__free(m->ents);
  oms__slots_close(&m->spare);
  memset(m, 0, sizeof(*m));
}

static char *ent_of(const oms__strmap_t *m, uint32_t e) {
  return m->ents + (size_t)e * m->ent_size;
}
static char *key_of(const oms__strmap_t *m, uint32_t e) { return ent_of(m, e) + sizeof(uint64_t); }

/* The length of key (key_max + 1 if it is longer) and, for a key that fits,
 * its hash (oms__hash_mem of its bytes), in one pass. */
static size_t measure(const oms__strmap_t *m, const char *key, uint64_t *hash) {
  uint64_t h = OMS__FNV_BASIS;
  size_t n = 0;
  for (; n <= m->key_max && key[n] != '\0'; n++) h = (h ^ (unsigned char)key[n]) * OMS__FNV_PRIME;
  *hash = oms__hash_finish(h);
  return n;
}

/* The slot of key (hash h, length n) when present; otherwise false, and
 * *slot is the empty slot that ends its probe run. */
static bool find(const oms__strmap_t *m, const char *key, size_t n, uint64_t h, uint32_t *slot) {
  for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
    *slot = i;
    if (m->slot[i].hash == 0) return false;
    if (m->slot[i].hash == h) {
      const char *k = key_of(m, m->slot[i].ent);
      if (memcmp(k, key, n) == 0 && k[n] == '\0') return true;
    }
  }
}

int oms__strmap_put(oms__strmap_t *m, const char *key, uint64_t val) {
  uint64_t h;
  size_t n = measure(m, key, &h);
  if (n > m->key_max) return OMS_EINVAL;
  uint32_t i;
  if (find(m, key, n, h, &i)) {
    memcpy(ent_of(m, m->slot[i].ent), &val, sizeof val);
    return 0;
  }
  uint32_t e = oms__slots_take(&m->spare);
  if (e == OMS__SLOT_NONE) return OMS_EFULL;
  m->count++;
  memcpy(ent_of(m, e), &val, sizeof val);
  memcpy(key_of(m, e), key, n);
  key_of(m, e)[n] = '\0';
  m->slot[i].hash = h;
  m->slot[i].ent = e;
  return 0;
}

bool oms__strmap_get(const oms__strmap_t *m, const char *key, uint64_t *val) {
  if (m->count == 0) return false;
  uint64_t h;
  size_t n = measure(m, key, &h);
  uint32_t i;
  if (n > m->key_max || !find(m, key, n, h, &i)) return false;
  if (val != NULL) memcpy(val, ent_of(m, m->slot[i].ent), sizeof *val);
  return true;
}

bool oms__strmap_del(oms__strmap_t *m, const char *key) {
  if (m->count == 0) return false;
  uint64_t h;
  size_t n = measure(m, key, &h);
  uint32_t hole;
  if (n > m->key_max || !find(m, key, n, h, &hole)) return false;
  m->count--;
  oms__slots_give(&m->spare, m->slot[hole].ent);
  /* Backward shift: a later member of the probe run moves into the hole
   * unless its home slot lies cyclically in (hole, j]. */
  for (uint32_t j = (hole + 1) & m->mask; m->slot[j].hash != 0; j = (j + 1) & m->mask) {
    uint32_t home = (uint32_t)m->slot[j].hash & m->mask;
    if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
      m->slot[hole] = m->slot[j];
      hole = j;
    }
  }
  m->slot[hole].hash = 0;
  return true;
}

void oms__strmap_clear(oms__strmap_t *m) {
  if (m->slot == NULL) return;
  memset(m->slot, 0, (size_t)(m->mask + 1u) * sizeof(oms__strmap_slot_t));
  oms__slots_reset(&m->spare);
  m->count = 0;
}
