/*
 * fuzz_fix_session.c - libFuzzer target for framing + session: the input is
 * cut into chunks fed to oms_fix_session_on_bytes() with timer ticks between
 * them. The first input byte chooses whether a valid Logon comes first, so
 * the fuzzer reaches the logged-on states quickly. Whatever arrives, the
 * session must not crash, every message it sends must parse, and its
 * sequence numbers must only move forward, except across a sequence reset
 * (a Logon with ResetSeqNumFlag=Y, at logon or mid-session).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_session.h"

#define SLOTS 64

typedef struct fz_s {
  int64_t now;
  char *stored[SLOTS];
  size_t stored_len[SLOTS];
  int64_t ns, nt;
  int have;
  int resets; /* store resets since the last sequence check */
} fz_t;

static oms_fix_msg_t check;

static int64_t fz_now(void *ctx) { return ((fz_t *)ctx)->now; }
static int fz_send(void *ctx, const char *d, size_t len) {
  (void)ctx;
  size_t used;
  oms_fix_limits_t lim = {.max_msg_len = OMS_FIX_DEFAULT_MAX_MSG_LEN + 256, .max_fields = 0};
  if (oms_fix_parse(d, len, &lim, &check, &used, NULL) != 0 || used != len) __builtin_trap();
  return 0;
}
static void fz_disconnect(void *ctx, const char *r) { (void)ctx, (void)r; }
static int fz_app(void *ctx, const oms_fix_msg_t *m) {
  (void)ctx, (void)m;
  return 0;
}
static int fz_auth(void *ctx, oms_fix_str_t u, oms_fix_str_t p) {
  (void)ctx, (void)p;
  return oms_fix_str_eq(u, "bad") ? -1 : 0;
}
static int fz_load(void *ctx, int64_t *ns, int64_t *nt) {
  fz_t *f = ctx;
  if (!f->have) return OMS_ENOTFOUND;
  *ns = f->ns;
  *nt = f->nt;
  return 0;
}
static int fz_save(void *ctx, int64_t ns, int64_t nt) {
  fz_t *f = ctx;
  f->ns = ns;
  f->nt = nt;
  f->have = 1;
  return 0;
}
static int fz_save_sent(void *ctx, int64_t seq, const char *d, size_t len) {
  fz_t *f = ctx;
  if (seq < 0 || seq >= SLOTS) return 0;
  free(f->stored[seq]);
  f->stored[seq] = malloc(len);
  memcpy(f->stored[seq], d, len);
  f->stored_len[seq] = len;
  return 0;
}
static int fz_load_sent(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len) {
  fz_t *f = ctx;
  if (seq < 0 || seq >= SLOTS || !f->stored[seq]) return OMS_ENOTFOUND;
  *len = f->stored_len[seq] < cap ? f->stored_len[seq] : cap;
  memcpy(buf, f->stored[seq], *len);
  return 0;
}
static int fz_reset(void *ctx) {
  fz_t *f = ctx;
  f->resets++;
  for (int i = 0; i < SLOTS; i++) {
    free(f->stored[i]);
    f->stored[i] = NULL;
  }
  return 0;
}

static size_t logon(char *out, size_t cap) {
  char body[] = "35=A\00149=CLIENT\00156=OMS\00134=1\00152=20260101-00:00:00\00198=0\001108=5\001";
  int n = snprintf(out, cap, "8=FIX.4.4\0019=%zu\001%s", strlen(body), body);
  unsigned sum = 0;
  for (int i = 0; i < n; i++) sum += (unsigned char)out[i];
  n += snprintf(out + n, cap - (size_t)n, "10=%03u\001", sum & 0xFF);
  return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static fz_t f;
  memset(&f, 0, sizeof(f));
  f.now = INT64_C(1767225600000000000);
  oms_fix_session_config_t cfg = {
      .sender_comp_id = "OMS", .target_comp_id = "CLIENT", .max_msg_len = 1024};
  oms_fix_session_io_t io = {fz_send, fz_disconnect, fz_app, fz_auth, NULL, &f, NULL};
  oms_fix_session_store_t st = {fz_load, fz_save, fz_save_sent, fz_load_sent, fz_reset, &f};
  oms_clock_t clk = {fz_now, &f};
  oms_fix_session_t *s;
  if (oms_fix_session_create(&cfg, &io, &st, &clk, &s) != 0) __builtin_trap();
  (void)oms_fix_session_connect(s);
  static char buf[4096];
  size_t have = 0;
  if (size > 0 && (data[0] & 1)) have = logon(buf, sizeof(buf));
  if (size > 0) {
    data++;
    size--;
  }
  if (have) {
    size_t used;
    (void)oms_fix_session_on_bytes(s, buf, have, &used);
    have = 0;
  }
  int64_t last_sender = oms_fix_session_next_sender_seq(s);
  size_t off = 0;
  while (off < size) {
    /* A chunk: one length byte then up to that many bytes. */
    size_t n = data[off++];
    if (n > size - off) n = size - off;
    if (have + n > sizeof(buf)) have = 0;
    memcpy(buf + have, data + off, n);
    have += n;
    off += n;
    size_t used = 0;
    int rc = oms_fix_session_on_bytes(s, buf, have, &used);
    if (used > have) __builtin_trap();
    memmove(buf, buf + used, have - used);
    have -= used;
    f.now += (n & 7) * INT64_C(1000000000);
    (void)oms_fix_session_on_timer(s);
    if (oms_fix_session_next_sender_seq(s) < last_sender && !f.resets) __builtin_trap();
    f.resets = 0;
    last_sender = oms_fix_session_next_sender_seq(s);
    if (rc == OMS_ECLOSED) {
      /* Reconnect, as the daemon would. */
      oms_fix_session_reset_connection(s);
      (void)oms_fix_session_connect(s);
      have = 0;
    }
  }
  oms_fix_session_destroy(s);
  fz_reset(&f);
  return 0;
}
