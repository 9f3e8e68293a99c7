/*
 * fix_test_util.h - helpers shared by the FIX unit tests: writing framed
 * messages from readable text ('|' for SOH), a manual clock, an in-memory
 * store and an io table that records what the session does.
 */
#ifndef OMS_FIX_TEST_UTIL_H
#define OMS_FIX_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_session.h"

/* Replaces '|' by SOH in place. */
static inline char *soh(char *s) {
  for (char *p = s; *p; p++) {
    if (*p == '|') *p = OMS_FIX_SOH;
  }
  return s;
}

/* Writes "8=FIX.4.4|9=<len>|<body>10=<sum>|" into out from a body written
 * with '|' separators and ending with '|'. Returns the length. */
static inline size_t frame(char *out, size_t cap, const char *body) {
  char tmp[8192];
  snprintf(tmp, sizeof(tmp), "%s", body);
  soh(tmp);
  int n = snprintf(out, cap, "8=FIX.4.4\0019=%zu\001%s", strlen(tmp), tmp);
  unsigned sum = 0;
  for (int i = 0; i < n; i++) sum += (unsigned char)out[i];
  n += snprintf(out + n, cap - (size_t)n, "10=%03u\001", sum & 0xFF);
  return (size_t)n;
}

/* The same with the BodyLength written as given (zero padding, lies). */
static inline size_t frame_raw_len(char *out, size_t cap, const char *len_text, const char *body) {
  char tmp[8192];
  snprintf(tmp, sizeof(tmp), "%s", body);
  soh(tmp);
  int n = snprintf(out, cap, "8=FIX.4.4\0019=%s\001%s", len_text, tmp);
  unsigned sum = 0;
  for (int i = 0; i < n; i++) sum += (unsigned char)out[i];
  n += snprintf(out + n, cap - (size_t)n, "10=%03u\001", sum & 0xFF);
  return (size_t)n;
}

/* ------------------------------------------------------------------------ */

static inline int64_t test_clock_now(void *ctx) { return *(int64_t *)ctx; }

#define T0 INT64_C(1767225600000000000) /* 2026-01-01T00:00:00Z */
#define SEC INT64_C(1000000000)

/* ------------------------------------------------------------------------ */
/* In-memory store with fault injection. */

#define STORE_MAX 256
typedef struct mem_store_s {
  int64_t next_sender, next_target;
  int have_seqnums;
  char *msgs[STORE_MAX];
  size_t lens[STORE_MAX];
  int fail_save_seqnums, fail_save_sent, fail_load_sent, fail_reset, fail_load_seqnums;
  int saves;
} mem_store_t;

static inline int ms_load_seqnums(void *ctx, int64_t *ns, int64_t *nt) {
  mem_store_t *m = ctx;
  if (m->fail_load_seqnums) return OMS_EIO;
  if (!m->have_seqnums) return OMS_ENOTFOUND;
  *ns = m->next_sender;
  *nt = m->next_target;
  return 0;
}
static inline int ms_save_seqnums(void *ctx, int64_t ns, int64_t nt) {
  mem_store_t *m = ctx;
  if (m->fail_save_seqnums) return OMS_EIO;
  m->next_sender = ns;
  m->next_target = nt;
  m->have_seqnums = 1;
  m->saves++;
  return 0;
}
static inline int ms_save_sent(void *ctx, int64_t seq, const char *d, size_t len) {
  mem_store_t *m = ctx;
  if (m->fail_save_sent || seq < 0 || seq >= STORE_MAX) return OMS_EIO;
  free(m->msgs[seq]);
  m->msgs[seq] = malloc(len);
  memcpy(m->msgs[seq], d, len);
  m->lens[seq] = len;
  return 0;
}
static inline int ms_load_sent(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len) {
  mem_store_t *m = ctx;
  if (m->fail_load_sent) return OMS_EIO;
  if (seq < 0 || seq >= STORE_MAX || !m->msgs[seq]) return OMS_ENOTFOUND;
  size_t n = m->lens[seq] < cap ? m->lens[seq] : cap;
  memcpy(buf, m->msgs[seq], n);
  *len = n;
  return 0;
}
static inline int ms_reset(void *ctx) {
  mem_store_t *m = ctx;
  if (m->fail_reset) return OMS_EIO;
  for (int i = 0; i < STORE_MAX; i++) {
    free(m->msgs[i]);
    m->msgs[i] = NULL;
  }
  return 0;
}
static inline void ms_free(mem_store_t *m) {
  for (int i = 0; i < STORE_MAX; i++) free(m->msgs[i]);
  memset(m, 0, sizeof(*m));
}
static inline oms_fix_session_store_t ms_table(mem_store_t *m) {
  oms_fix_session_store_t t = {ms_load_seqnums, ms_save_seqnums, ms_save_sent,
                               ms_load_sent,    ms_reset,        m};
  return t;
}

#endif /* OMS_FIX_TEST_UTIL_H */
