/*
 * strmap.c - see strmap.h. A key longer than key_max is never stored, so a
 * lookup of one answers "absent" without probing.
 */
#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "oms/error.h"

int oms__strmap_init(oms__strmap_t *m, uint32_t max_entries, uint32_t key_max) {
  memset(m, 0, sizeof(*m));
  if (max_entries == 0 || max_entries > (1u << 30)) return OMS_EINVAL;
  uint32_t slots = 16;
  while (slots < 2u * max_entries) slots <<= 1;
  m->hash = calloc(slots, sizeof(uint64_t));
  m->ent = calloc(slots, sizeof(uint32_t));
  m->keys = malloc((size_t)max_entries * (key_max + 1u));
  m->vals = calloc(max_entries, sizeof(uint64_t));
  m->spare = malloc((size_t)max_entries * sizeof(uint32_t));
  if (m->hash == NULL || m->ent == NULL || m->keys == NULL || m->vals == NULL || m->spare == NULL) {
    oms__strmap_close(m);
    return OMS_ENOMEM;
  }
  m->mask = slots - 1;
  m->max = max_entries;
  m->key_max = key_max;
  oms__strmap_clear(m);
  return 0;
}

void oms__strmap_close(oms__strmap_t *m) {
  free(m->hash);
  free(m->ent);
  free(m->keys);
  free(m->vals);
  free(m->spare);
  memset(m, 0, sizeof(*m));
}

static char *key_of(const oms__strmap_t *m, uint32_t e) {
  return m->keys + (size_t)e * (m->key_max + 1u);
}

/* The length of key, or key_max + 1 if it is longer than key_max. */
static size_t key_len(const oms__strmap_t *m, const char *key) {
  size_t n = 0;
  while (n <= m->key_max && key[n] != '\0') n++;
  return n;
}

/* The slot of key (hash h, length n) when present; otherwise false, and
 * *slot is the empty slot that ends its probe run. */
static bool find(const oms__strmap_t *m, const char *key, size_t n, uint64_t h, uint32_t *slot) {
  for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
    *slot = i;
    if (m->hash[i] == 0) return false;
    if (m->hash[i] == h) {
      const char *k = key_of(m, m->ent[i]);
      if (memcmp(k, key, n) == 0 && k[n] == '\0') return true;
    }
  }
}

int oms__strmap_put(oms__strmap_t *m, const char *key, uint64_t val) {
  size_t n = key_len(m, key);
  if (n > m->key_max) return OMS_EINVAL;
  uint64_t h = oms__hash_mem(key, n, 0);
  uint32_t i;
  if (find(m, key, n, h, &i)) {
    m->vals[m->ent[i]] = val;
    return 0;
  }
  if (m->count == m->max) return OMS_EFULL;
  uint32_t e = m->spare[m->max - m->count - 1];
  m->count++;
  memcpy(key_of(m, e), key, n);
  key_of(m, e)[n] = '\0';
  m->vals[e] = val;
  m->hash[i] = h;
  m->ent[i] = e;
  return 0;
}

bool oms__strmap_get(const oms__strmap_t *m, const char *key, uint64_t *val) {
  if (m->count == 0) return false;
  size_t n = key_len(m, key);
  if (n > m->key_max) return false;
  uint32_t i;
  if (!find(m, key, n, oms__hash_mem(key, n, 0), &i)) return false;
  if (val != NULL) *val = m->vals[m->ent[i]];
  return true;
}

bool oms__strmap_del(oms__strmap_t *m, const char *key) {
  if (m->count == 0) return false;
  size_t n = key_len(m, key);
  if (n > m->key_max) return false;
  uint32_t hole;
  if (!find(m, key, n, oms__hash_mem(key, n, 0), &hole)) return false;
  m->count--;
  m->spare[m->max - m->count - 1] = m->ent[hole];
  /* Backward shift: a later member of the probe run moves into the hole
   * unless its home slot lies cyclically in (hole, j]. */
  for (uint32_t j = (hole + 1) & m->mask; m->hash[j] != 0; j = (j + 1) & m->mask) {
    uint32_t home = (uint32_t)m->hash[j] & m->mask;
    if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
      m->hash[hole] = m->hash[j];
      m->ent[hole] = m->ent[j];
      hole = j;
    }
  }
  m->hash[hole] = 0;
  return true;
}

void oms__strmap_clear(oms__strmap_t *m) {
  if (m->hash == NULL) return;
  memset(m->hash, 0, (size_t)(m->mask + 1u) * sizeof(uint64_t));
  /* Entries are handed out from the top of the stack: 0, 1, 2, ... */
  for (uint32_t k = 0; k < m->max; k++) m->spare[k] = m->max - 1 - k;
  m->count = 0;
}
