/*
 * outbox.c - write-ahead queue of a FIX session (see outbox.h).
 *
 * A record is {uint64 ticket, uint32 length, bytes}, unaligned (memcpy in
 * and out). Space before head is reclaimed by one memmove when a push would
 * not fit, so the buffer grows only when what is queued needs it.
 */
#include "fix/outbox.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "oms/fix_tags.h"

#define HDR (sizeof(uint64_t) + sizeof(uint32_t))

int oms__fix_outbox_init(oms__fix_outbox_t *ob, size_t initial, size_t max) {
  memset(ob, 0, sizeof *ob);
  ob->buf = oms__malloc(initial);
  if (ob->buf == NULL) return OMS_ENOMEM;
  ob->cap = initial;
  ob->max = max < initial ? initial : max;
  return 0;
}

void oms__fix_outbox_free(oms__fix_outbox_t *ob) {
  oms__free(ob->buf);
  memset(ob, 0, sizeof *ob);
}

int oms__fix_outbox_push(oms__fix_outbox_t *ob, uint64_t ticket, const char *data, size_t len) {
  size_t need = HDR + len;
  if (ob->head > 0 && ob->len + need > ob->cap) {
    memmove(ob->buf, ob->buf + ob->head, ob->len - ob->head);
    ob->len -= ob->head;
    ob->head = 0;
  }
  if (ob->len + need > ob->cap) {
    size_t cap = ob->cap ? ob->cap : 4096;
    while (cap < ob->len + need) cap *= 2;
    if (cap > ob->max) return OMS_EFULL;
    char *nb = oms__realloc(ob->buf, cap);
    if (nb == NULL) return OMS_ENOMEM;
    ob->buf = nb;
    ob->cap = cap;
  }
  uint32_t n = (uint32_t)len;
  memcpy(ob->buf + ob->len, &ticket, sizeof ticket);
  memcpy(ob->buf + ob->len + sizeof ticket, &n, sizeof n);
  memcpy(ob->buf + ob->len + HDR, data, len);
  ob->len += need;
  return 0;
}

void oms__fix_outbox_clear(oms__fix_outbox_t *ob) { ob->head = ob->len = 0; }

int oms__fix_outbox_pump(oms__fix_outbox_t *ob, uint64_t durable, oms__fix_outbox_send_fn send,
                         void *ctx, int *err) {
  int n = 0;
  if (err) *err = 0;
  while (ob->head < ob->len) {
    uint64_t t;
    uint32_t len;
    memcpy(&t, ob->buf + ob->head, sizeof t);
    memcpy(&len, ob->buf + ob->head + sizeof t, sizeof len);
    if (t > durable) break;
    int rc = send(ctx, ob->buf + ob->head + HDR, len);
    ob->head += HDR + len;
    n++;
    if (rc != 0) {
      if (err) *err = rc;
      oms__fix_outbox_clear(ob);
      break;
    }
  }
  if (ob->head == ob->len) oms__fix_outbox_clear(ob);
  return n;
}

void oms__fix_outbox_keep_last(oms__fix_outbox_t *ob) {
  size_t last = ob->head;
  for (size_t at = ob->head; at < ob->len;) {
    uint32_t len;
    memcpy(&len, ob->buf + at + sizeof(uint64_t), sizeof len);
    last = at;
    at += HDR + len;
  }
  ob->head = last;
}

int64_t oms__fix_outbox_first_seq(const oms__fix_outbox_t *ob, int64_t next_sender) {
  if (ob->head == ob->len) return next_sender;
  uint32_t len;
  memcpy(&len, ob->buf + ob->head + sizeof(uint64_t), sizeof len);
  const char *m = ob->buf + ob->head + HDR, *end = m + len;
  /* "<SOH>34=": the MsgSeqNum field, spelled from the tag table. */
  char key[16];
  int kl = snprintf(key, sizeof key, "\001%u=", (unsigned)OMS_FIX_TAG_MsgSeqNum);
  for (const char *p = m; p + kl < end; p++) {
    if (memcmp(p, key, (size_t)kl) != 0) continue;
    int64_t v = 0;
    for (p += kl; p < end && *p >= '0' && *p <= '9'; p++) v = v * 10 + (*p - '0');
    return v;
  }
  return next_sender;
}
