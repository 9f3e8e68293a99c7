/*
 * builder.c - serialises one FIX message into a caller buffer.
 *
 * BodyLength is only known at the end, so begin() leaves room for the widest
 * BodyLength we allow (BODY_DIGITS digits) and finish() moves the body left
 * to close the gap once the real width is known: the message always starts at
 * buf[0] and BodyLength is written without leading zeros, which every engine
 * accepts. The memmove costs a few hundred bytes per message, which is cheaper
 * than formatting the body twice.
 *
 * Errors are sticky (like curl's dynbuf): the first failure is kept and later
 * adds do nothing, so a caller can add a run of fields and check once.
 */
#include <string.h>

#include "oms/error.h"
#include "oms/fix.h"

#define PREFIX "8=FIX.4.4\0019="
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define BODY_DIGITS 7
#define BODY_START (PREFIX_LEN + BODY_DIGITS + 1)
#define TRAILER_LEN 7

static int fail(oms_fix_builder_t *b, int err) {
  if (b->err == 0) b->err = err;
  return b->err;
}

/* Appends "tag=" followed by n bytes of v and SOH. */
static int put(oms_fix_builder_t *b, uint32_t tag, const char *v, size_t n) {
  if (b->err) return b->err;
  if (n == 0 || tag == 0 || memchr(v, OMS_FIX_SOH, n)) return fail(b, OMS_EINVAL);
  char tbuf[10];
  size_t tl = 0;
  do {
    tbuf[sizeof(tbuf) - 1 - tl++] = (char)('0' + tag % 10);
    tag /= 10;
  } while (tag);
  /* Keep room for the trailer so finish() cannot fail on space. */
  if (b->cap - b->len < tl + 1 + n + 1 + TRAILER_LEN) return fail(b, OMS_ENOSPC);
  memcpy(b->buf + b->len, tbuf + sizeof(tbuf) - tl, tl);
  b->len += tl;
  b->buf[b->len++] = '=';
  memcpy(b->buf + b->len, v, n);
  b->len += n;
  b->buf[b->len++] = OMS_FIX_SOH;
  return 0;
}

int oms_fix_builder_begin(oms_fix_builder_t *b, char *buf, size_t cap, const char *msg_type) {
  b->buf = buf;
  b->cap = cap;
  b->len = 0;
  b->err = 0;
  if (!buf || !msg_type) return fail(b, OMS_EINVAL);
  if (cap < BODY_START + TRAILER_LEN) return fail(b, OMS_ENOSPC);
  memcpy(buf, PREFIX, PREFIX_LEN);
  b->len = BODY_START;
  return put(b, OMS_FIX_TAG_MsgType, msg_type, strlen(msg_type));
}

int oms_fix_builder_begin_header(oms_fix_builder_t *b, char *buf, size_t cap,
                                 const oms_fix_header_t *h) {
  oms_fix_builder_begin(b, buf, cap, h->msg_type);
  oms_fix_add_cstr(b, OMS_FIX_TAG_SenderCompID, h->sender_comp_id);
  oms_fix_add_cstr(b, OMS_FIX_TAG_TargetCompID, h->target_comp_id);
  if (h->deliver_to) {
    const oms_fix_route_t *r = h->deliver_to;
    if (r->comp_id.len) oms_fix_add_str(b, OMS_FIX_TAG_DeliverToCompID, r->comp_id);
    if (r->sub_id.len) oms_fix_add_str(b, OMS_FIX_TAG_DeliverToSubID, r->sub_id);
    if (r->location_id.len) oms_fix_add_str(b, OMS_FIX_TAG_DeliverToLocationID, r->location_id);
  }
  if (h->msg_seq_num <= 0) return fail(b, OMS_EINVAL);
  oms_fix_add_int(b, OMS_FIX_TAG_MsgSeqNum, h->msg_seq_num);
  if (h->poss_dup) oms_fix_add_char(b, OMS_FIX_TAG_PossDupFlag, 'Y');
  if (h->poss_resend) oms_fix_add_char(b, OMS_FIX_TAG_PossResend, 'Y');
  oms_fix_add_time(b, OMS_FIX_TAG_SendingTime, h->sending_time_ns);
  if (h->orig_sending_time_ns > 0)
    oms_fix_add_time(b, OMS_FIX_TAG_OrigSendingTime, h->orig_sending_time_ns);
  return b->err;
}

int oms_fix_add_str(oms_fix_builder_t *b, uint32_t tag, oms_fix_str_t v) {
  if (!v.ptr) return fail(b, OMS_EINVAL);
  return put(b, tag, v.ptr, v.len);
}

int oms_fix_add_cstr(oms_fix_builder_t *b, uint32_t tag, const char *v) {
  if (!v) return fail(b, OMS_EINVAL);
  return put(b, tag, v, strlen(v));
}

int oms_fix_add_int(oms_fix_builder_t *b, uint32_t tag, int64_t v) {
  char tmp[21];
  size_t n = 0;
  /* Through uint64_t so INT64_MIN negates without overflow. */
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) tmp[sizeof(tmp) - 1 - n++] = '-';
  return put(b, tag, tmp + sizeof(tmp) - n, n);
}

int oms_fix_add_char(oms_fix_builder_t *b, uint32_t tag, char v) { return put(b, tag, &v, 1); }

int oms_fix_add_time(oms_fix_builder_t *b, uint32_t tag, int64_t ns) {
  char tmp[OMS_FIX_TIME_LEN + 1];
  if (oms_fix_format_time(ns, tmp) != 0) return fail(b, OMS_EINVAL);
  return put(b, tag, tmp, OMS_FIX_TIME_LEN);
}

int oms_fix_builder_finish(oms_fix_builder_t *b, size_t *out_len) {
  if (b->err) return b->err;
  size_t body_len = b->len - BODY_START;
  if (body_len > 9999999) return fail(b, OMS_ENOSPC);
  char digits[BODY_DIGITS];
  size_t nd = 0;
  size_t v = body_len;
  do {
    digits[BODY_DIGITS - 1 - nd++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  size_t start = PREFIX_LEN + nd + 1;
  memmove(b->buf + start, b->buf + BODY_START, body_len);
  memcpy(b->buf + PREFIX_LEN, digits + BODY_DIGITS - nd, nd);
  b->buf[PREFIX_LEN + nd] = OMS_FIX_SOH;
  b->len = start + body_len;
  unsigned sum = 0;
  for (size_t i = 0; i < b->len; i++) sum += (unsigned char)b->buf[i];
  sum &= 0xFF;
  char *p = b->buf + b->len;
  p[0] = '1';
  p[1] = '0';
  p[2] = '=';
  p[3] = (char)('0' + sum / 100);
  p[4] = (char)('0' + sum / 10 % 10);
  p[5] = (char)('0' + sum % 10);
  p[6] = OMS_FIX_SOH;
  b->len += TRAILER_LEN;
  *out_len = b->len;
  /* A finished builder refuses further adds: the trailer is written. */
  b->err = OMS_ESTATE;
  return 0;
}
