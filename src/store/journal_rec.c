/*
 * journal_rec.c - the payloads of the journal store's records (the table and
 * the layouts are in journal_rec.h). Fixed little-endian layouts written and
 * read byte by byte, so a journal reads the same on any machine.
 */
#include "store/journal_rec.h"

#include <string.h>

#include "oms/error.h"

const char *oms__jrec_name(uint16_t type) {
  switch (type) {
#define OMS__JREC_CASE(name, num, str) \
  case num: return str;
    OMS__JREC_TYPES(OMS__JREC_CASE)
#undef OMS__JREC_CASE
    default: return NULL;
  }
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* u8 n | name[n]: the bytes written, 0 if it does not fit. */
static size_t put_name(uint8_t *buf, size_t cap, const char *name, size_t max) {
  size_t n = strnlen(name, max + 1);
  if (n > max || 1 + n > cap) return 0;
  buf[0] = (uint8_t)n;
  memcpy(buf + 1, name, n);
  return 1 + n;
}

/* Reads u8 n | name[n] into dst[max + 1]: the bytes read, 0 if malformed. */
static size_t get_name(const uint8_t *p, size_t len, char *dst, size_t max) {
  if (len < 1 || p[0] > max || (size_t)p[0] + 1 > len) return 0;
  memcpy(dst, p + 1, p[0]);
  dst[p[0]] = '\0';
  return 1 + (size_t)p[0];
}

int oms__jrec_encode(const oms__rec_t *r, uint16_t *type, uint8_t *buf, size_t cap) {
  size_t at;
  switch (r->kind) {
    case OMS__REC_FIX_SEQNUMS:
      *type = OMS__JREC_FIX_SEQNUMS;
      at = put_name(buf, cap, r->u.fix.session, OMS_STORE_SESSION_MAX);
      if (at == 0 || at + 16 > cap) return OMS_EINVAL;
      put64(buf + at, (uint64_t)r->u.fix.next_in);
      put64(buf + at + 8, (uint64_t)r->u.fix.next_out);
      return (int)(at + 16);
    case OMS__REC_FIX_SENT:
      *type = OMS__JREC_FIX_SENT;
      at = put_name(buf, cap, r->u.fix.session, OMS_STORE_SESSION_MAX);
      if (at == 0 || r->u.fix.len > OMS_STORE_FIX_MSG_MAX || at + 8 + r->u.fix.len > cap)
        return OMS_EINVAL;
      put64(buf + at, (uint64_t)r->u.fix.seqnum);
      memcpy(buf + at + 8, r->u.fix.msg, r->u.fix.len);
      return (int)(at + 8 + r->u.fix.len);
    case OMS__REC_FIX_RESET:
      *type = OMS__JREC_FIX_RESET;
      at = put_name(buf, cap, r->u.fix.session, OMS_STORE_SESSION_MAX);
      return at == 0 ? OMS_EINVAL : (int)at;
    case OMS__REC_CURSOR:
      *type = OMS__JREC_CURSOR;
      at = put_name(buf, cap, r->u.cur.sink, OMS_ID_MAX);
      if (at == 0 || at + 8 > cap) return OMS_EINVAL;
      put64(buf + at, r->u.cur.seq);
      return (int)(at + 8);
    case OMS__REC_LIMIT:
      *type = OMS__JREC_LIMITS;
      if (cap < 17 || r->u.lim.len > OMS_STORE_LIMIT_LINE_MAX) return OMS_EINVAL;
      buf[0] = OMS__JREC_LIMITS_V1;
      put64(buf + 1, r->u.lim.seq);
      put64(buf + 9, (uint64_t)r->u.lim.ts_ns);
      at = put_name(buf + 17, cap - 17, r->u.lim.who, OMS_ID_MAX);
      if (at == 0 || 17 + at + r->u.lim.len > cap) return OMS_EINVAL;
      memcpy(buf + 17 + at, r->u.lim.line, r->u.lim.len);
      return (int)(17 + at + r->u.lim.len);
    case OMS__REC_PNL_BASE:
      *type = OMS__JREC_PNL_BASE;
      if (cap < 17) return OMS_EINVAL;
      buf[0] = OMS__JREC_PNL_BASE_V1;
      put64(buf + 1, (uint64_t)r->u.pnl.day_start_ns);
      put64(buf + 9, (uint64_t)r->u.pnl.base.raw);
      at = put_name(buf + 17, cap - 17, r->u.pnl.account_id, OMS_ID_MAX);
      return at == 0 ? OMS_EINVAL : (int)(17 + at);
    default: return OMS_EINVAL;
  }
}

int oms__jrec_decode(uint16_t type, const void *data, size_t len, oms__rec_t *r) {
  const uint8_t *p = data;
  size_t at;
  switch (type) {
    case OMS__JREC_EVENT:
      r->kind = OMS__REC_EVENT;
      return oms_event_decode(p, len, &r->u.ev) < 0 ? OMS_EINVAL : 0;
    case OMS__JREC_FIX_SEQNUMS:
      r->kind = OMS__REC_FIX_SEQNUMS;
      at = get_name(p, len, r->u.fix.session, OMS_STORE_SESSION_MAX);
      if (at == 0 || at + 16 != len) return OMS_EINVAL;
      r->u.fix.next_in = (int64_t)get64(p + at);
      r->u.fix.next_out = (int64_t)get64(p + at + 8);
      return 0;
    case OMS__JREC_FIX_SENT:
      r->kind = OMS__REC_FIX_SENT;
      at = get_name(p, len, r->u.fix.session, OMS_STORE_SESSION_MAX);
      if (at == 0 || at + 8 > len || len - at - 8 > OMS_STORE_FIX_MSG_MAX) return OMS_EINVAL;
      r->u.fix.seqnum = (int64_t)get64(p + at);
      r->u.fix.len = (uint32_t)(len - at - 8);
      memcpy(r->u.fix.msg, p + at + 8, r->u.fix.len);
      return 0;
    case OMS__JREC_FIX_RESET:
      r->kind = OMS__REC_FIX_RESET;
      at = get_name(p, len, r->u.fix.session, OMS_STORE_SESSION_MAX);
      return at == 0 || at != len ? OMS_EINVAL : 0;
    case OMS__JREC_CURSOR:
      r->kind = OMS__REC_CURSOR;
      at = get_name(p, len, r->u.cur.sink, OMS_ID_MAX);
      if (at == 0 || at + 8 != len) return OMS_EINVAL;
      r->u.cur.seq = get64(p + at);
      return 0;
    case OMS__JREC_LIMITS:
      r->kind = OMS__REC_LIMIT;
      if (len < 18 || p[0] != OMS__JREC_LIMITS_V1) return OMS_EINVAL;
      r->u.lim.seq = get64(p + 1);
      r->u.lim.ts_ns = (int64_t)get64(p + 9);
      at = get_name(p + 17, len - 17, r->u.lim.who, OMS_ID_MAX);
      if (at == 0 || len - 17 - at > OMS_STORE_LIMIT_LINE_MAX) return OMS_EINVAL;
      r->u.lim.len = (uint32_t)(len - 17 - at);
      memcpy(r->u.lim.line, p + 17 + at, r->u.lim.len);
      return 0;
    case OMS__JREC_PNL_BASE:
      r->kind = OMS__REC_PNL_BASE;
      memset(&r->u.pnl, 0, sizeof r->u.pnl);
      if (len < 18 || p[0] != OMS__JREC_PNL_BASE_V1) return OMS_EINVAL;
      r->u.pnl.day_start_ns = (int64_t)get64(p + 1);
      r->u.pnl.base.raw = (int64_t)get64(p + 9);
      at = get_name(p + 17, len - 17, r->u.pnl.account_id, OMS_ID_MAX);
      return at == 0 || 17 + at != len ? OMS_EINVAL : 0;
    default: return OMS_ENOTFOUND; /* reserved or unknown: nothing to project */
  }
}
