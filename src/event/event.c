/*
 * event.c - event names, the mapping from state machine events to order
 * events, and the two serialisations of an event.
 *
 * The binary form is what the durable event log stores, so decoding must give
 * back exactly the record that was encoded (the crash test compares replayed
 * state with the state before the crash). It is a flat sequence of fields in a
 * fixed order behind a format byte; a reader refuses anything truncated or
 * out of range instead of guessing. A new field means a new format byte and a
 * decoder that still reads the old one.
 */
#include <stdio.h>
#include <string.h>

#include "oms/error.h"
#include "oms/event.h"

#define FORMAT_V1 1
#define FORMAT_V2 2 /* V1 + the order's current and pending client order ids */

static const struct {
  oms_event_type_t type;
  const char *name;
} type_names[] = {
#define XX(name, num, wire) {OMS_EVT_##name, wire},
    OMS_EVENT_TYPE_MAP(XX)
#undef XX
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *oms_event_type_name(oms_event_type_t t) {
  if (t >= 1 && (size_t)t <= COUNT(type_names)) return type_names[t - 1].name;
  return "Unknown";
}

int oms_event_type_parse(const char *s, oms_event_type_t *out) {
  if (s == NULL) return OMS_ENOTFOUND;
  for (size_t i = 0; i < COUNT(type_names); i++) {
    if (strcmp(s, type_names[i].name) == 0) {
      *out = type_names[i].type;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

const char *oms_alarm_kind_name(oms_alarm_kind_t k) {
  static const char *const names[] = {"NONE",          "OVERFILL",        "UNKNOWN_ORDER_REPORT",
                                      "STORE_FAILURE", "STORE_RECOVERED", "OTHER"};
  if ((unsigned)k < COUNT(names)) return names[k];
  return "UNKNOWN";
}

oms_event_type_t oms_event_type_for(oms_ord_event_t e, oms_ord_state_t after) {
  switch (e) {
    case OMS_EV_SUBMIT: return OMS_EVT_ORDER_SUBMITTED;
    case OMS_EV_DENY: return OMS_EVT_ORDER_DENIED;
    case OMS_EV_ACCEPT: return OMS_EVT_ORDER_ACCEPTED;
    case OMS_EV_REJECT: return OMS_EVT_ORDER_REJECTED;
    case OMS_EV_FILL:
      return after == OMS_STATE_FILLED ? OMS_EVT_ORDER_FILLED : OMS_EVT_ORDER_PARTIALLY_FILLED;
    case OMS_EV_CANCEL_REQUEST: return OMS_EVT_ORDER_PENDING_CANCEL;
    case OMS_EV_CANCEL_CONFIRM: return OMS_EVT_ORDER_CANCELLED;
    case OMS_EV_CANCEL_REJECT: return OMS_EVT_ORDER_CANCEL_REJECTED;
    case OMS_EV_REPLACE_REQUEST: return OMS_EVT_ORDER_PENDING_REPLACE;
    case OMS_EV_REPLACE_CONFIRM: return OMS_EVT_ORDER_REPLACED;
    case OMS_EV_REPLACE_REJECT: return OMS_EVT_ORDER_REPLACE_REJECTED;
    case OMS_EV_EXPIRE: return OMS_EVT_ORDER_EXPIRED;
    case OMS_EV_TRIGGER: return OMS_EVT_ORDER_TRIGGERED;
    default: return OMS_EVT_NONE;
  }
}

void oms_event_init(oms_event_t *ev, oms_event_type_t type, const oms_order_t *o, int64_t event_ns,
                    int64_t request_ns) {
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
  ev->event_ns = event_ns;
  ev->request_ns = request_ns;
  if (o != NULL) ev->order = *o;
}

/* ---- Binary writer and reader ------------------------------------------- */

typedef struct wr_s {
  uint8_t *p;
  size_t n, cap;
  int err;
} wr_t;

static void put(wr_t *w, const void *src, size_t n) {
  if (w->err || w->cap - w->n < n) {
    w->err = 1;
    return;
  }
  memcpy(w->p + w->n, src, n);
  w->n += n;
}

static void put_u8(wr_t *w, unsigned v) {
  uint8_t b = (uint8_t)v;
  put(w, &b, 1);
}

static void put_u64(wr_t *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, 8);
}

static void put_u32(wr_t *w, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
  put(w, b, 4);
}

static void put_i64(wr_t *w, int64_t v) { put_u64(w, (uint64_t)v); }
static void put_dec(wr_t *w, oms_dec_t d) { put_u64(w, (uint64_t)d.raw); }

static void put_str(wr_t *w, const char *s, size_t cap) {
  size_t len = strnlen(s, cap - 1);
  put_u8(w, (unsigned)len);
  put(w, s, len);
}

typedef struct rd_s {
  const uint8_t *p;
  size_t n, len;
  int err;
} rd_t;

static void get(rd_t *r, void *dst, size_t n) {
  if (r->err || r->len - r->n < n) {
    r->err = 1;
    memset(dst, 0, n);
    return;
  }
  memcpy(dst, r->p + r->n, n);
  r->n += n;
}

static unsigned get_u8(rd_t *r) {
  uint8_t b;
  get(r, &b, 1);
  return b;
}

static uint64_t get_u64(rd_t *r) {
  uint8_t b[8];
  get(r, b, 8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}

static uint32_t get_u32(rd_t *r) {
  uint8_t b[4];
  get(r, b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int64_t get_i64(rd_t *r) { return (int64_t)get_u64(r); }
static oms_dec_t get_dec(rd_t *r) { return oms_dec_from_raw(get_i64(r)); }

static void get_str(rd_t *r, char *dst, size_t cap) {
  size_t len = get_u8(r);
  if (len > cap - 1) {
    r->err = 1;
    len = 0;
  }
  get(r, dst, len);
  dst[len] = '\0';
  /* A string with a NUL inside would not come back the same when encoded. */
  if (memchr(dst, '\0', len) != NULL) r->err = 1;
}

#define PUT_STR(w, field) put_str((w), (field), sizeof(field))
#define GET_STR(r, field) get_str((r), (field), sizeof(field))

static void put_order(wr_t *w, const oms_order_t *o) {
  put_u64(w, o->order_id);
  PUT_STR(w, o->client_order_id);
  PUT_STR(w, o->strategy_id);
  PUT_STR(w, o->account_id);
  PUT_STR(w, o->venue);
  PUT_STR(w, o->symbol);
  PUT_STR(w, o->venue_order_id);
  put_u8(w, (unsigned)o->side);
  put_u8(w, (unsigned)o->type);
  put_u8(w, (unsigned)o->tif);
  put_u32(w, o->instructions);
  put_dec(w, o->qty);
  put_dec(w, o->price);
  put_dec(w, o->stop_price);
  put_i64(w, o->expire_ns);
  put_u8(w, (unsigned)o->state);
  put_u8(w, (unsigned)o->restore_state);
  put_dec(w, o->filled_qty);
  put_dec(w, o->leaves_qty);
  put_dec(w, o->avg_px);
  unsigned __int128 cn = (unsigned __int128)o->cum_notional;
  put_u64(w, (uint64_t)cn);
  put_u64(w, (uint64_t)(cn >> 64));
  put_dec(w, o->pending_qty);
  put_dec(w, o->pending_price);
  put_dec(w, o->pending_stop_price);
  put_u32(w, (uint32_t)o->reject_code);
  PUT_STR(w, o->reject_reason);
  put_i64(w, o->created_ns);
  put_i64(w, o->updated_ns);
  PUT_STR(w, o->metadata);
  put_u32(w, o->audit_count);
  uint32_t inl = o->audit_count < OMS_AUDIT_INLINE ? o->audit_count : OMS_AUDIT_INLINE;
  for (uint32_t s = o->audit_count - inl + 1; inl > 0 && s <= o->audit_count; s++) {
    const oms_audit_t *a = &o->audit[(s - 1) % OMS_AUDIT_INLINE];
    put_u32(w, a->seq);
    put_u8(w, a->from);
    put_u8(w, a->to);
    put_u8(w, a->event);
    put_u32(w, a->reason_code);
    put_i64(w, a->ts_ns);
  }
  PUT_STR(w, o->cur_client_order_id);
  PUT_STR(w, o->pending_client_order_id);
}

static void get_order(rd_t *r, oms_order_t *o, int version) {
  o->order_id = get_u64(r);
  GET_STR(r, o->client_order_id);
  GET_STR(r, o->strategy_id);
  GET_STR(r, o->account_id);
  GET_STR(r, o->venue);
  GET_STR(r, o->symbol);
  GET_STR(r, o->venue_order_id);
  o->side = (oms_side_t)get_u8(r);
  o->type = (oms_ord_type_t)get_u8(r);
  o->tif = (oms_tif_t)get_u8(r);
  o->instructions = get_u32(r);
  o->qty = get_dec(r);
  o->price = get_dec(r);
  o->stop_price = get_dec(r);
  o->expire_ns = get_i64(r);
  o->state = (oms_ord_state_t)get_u8(r);
  o->restore_state = (oms_ord_state_t)get_u8(r);
  if ((unsigned)o->state >= OMS_STATE_COUNT || (unsigned)o->restore_state >= OMS_STATE_COUNT)
    r->err = 1;
  o->filled_qty = get_dec(r);
  o->leaves_qty = get_dec(r);
  o->avg_px = get_dec(r);
  uint64_t lo = get_u64(r);
  uint64_t hi = get_u64(r);
  o->cum_notional = (__int128)(((unsigned __int128)hi << 64) | lo);
  o->pending_qty = get_dec(r);
  o->pending_price = get_dec(r);
  o->pending_stop_price = get_dec(r);
  o->reject_code = (oms_reason_t)get_u32(r);
  GET_STR(r, o->reject_reason);
  o->created_ns = get_i64(r);
  o->updated_ns = get_i64(r);
  GET_STR(r, o->metadata);
  o->audit_count = get_u32(r);
  uint32_t inl = o->audit_count < OMS_AUDIT_INLINE ? o->audit_count : OMS_AUDIT_INLINE;
  for (uint32_t i = 0; i < inl && !r->err; i++) {
    oms_audit_t a;
    memset(&a, 0, sizeof a);
    a.seq = get_u32(r);
    a.from = (uint8_t)get_u8(r);
    a.to = (uint8_t)get_u8(r);
    a.event = (uint8_t)get_u8(r);
    uint32_t reason = get_u32(r);
    a.reason_code = (uint16_t)reason;
    a.ts_ns = get_i64(r);
    /* The encoder writes the inline entries oldest first, one per sequence
     * number: anything else is not an order this code wrote. */
    if (a.seq != o->audit_count - inl + 1 + i || reason > UINT16_MAX) {
      r->err = 1;
      break;
    }
    o->audit[(a.seq - 1) % OMS_AUDIT_INLINE] = a;
  }
  if (version >= FORMAT_V2) {
    GET_STR(r, o->cur_client_order_id);
    GET_STR(r, o->pending_client_order_id);
  } else {
    /* Written before orders had a current name: it is their first one. */
    memcpy(o->cur_client_order_id, o->client_order_id, sizeof(o->cur_client_order_id));
  }
}

int oms_order_encode(const oms_order_t *o, uint8_t *buf, size_t cap) {
  wr_t w = {buf, 0, cap, 0};
  put_u8(&w, FORMAT_V2);
  put_order(&w, o);
  return w.err ? OMS_ENOSPC : (int)w.n;
}

int oms_order_decode(const uint8_t *buf, size_t len, oms_order_t *o) {
  rd_t r = {buf, 0, len, 0};
  memset(o, 0, sizeof(*o));
  int version = get_u8(&r);
  if (version != FORMAT_V1 && version != FORMAT_V2) return OMS_EPROTO;
  get_order(&r, o, version);
  return r.err || r.n != len ? OMS_EPROTO : 0;
}

int oms_event_encode(const oms_event_t *ev, uint8_t *buf, size_t cap) {
  wr_t w = {buf, 0, cap, 0};
  put_u8(&w, FORMAT_V2);
  put_u8(&w, (unsigned)ev->type);
  put_u64(&w, ev->seq);
  put_i64(&w, ev->event_ns);
  put_i64(&w, ev->request_ns);
  put_order(&w, &ev->order);
  put_dec(&w, ev->fill.qty);
  put_dec(&w, ev->fill.price);
  put_dec(&w, ev->fill.fee);
  put_u8(&w, (unsigned char)ev->fill.liquidity);
  PUT_STR(&w, ev->fill.exec_id);
  PUT_STR(&w, ev->check);
  put_u32(&w, (uint32_t)ev->reason);
  PUT_STR(&w, ev->text);
  put_u8(&w, ev->scope_kind);
  put_u8(&w, ev->old_state);
  put_u8(&w, ev->new_state);
  PUT_STR(&w, ev->scope_id);
  put_u8(&w, (unsigned)ev->alarm);
  put_u32(&w, (uint32_t)ev->alarm_code);
  return w.err ? OMS_ENOSPC : (int)w.n;
}

int oms_event_decode(const uint8_t *buf, size_t len, oms_event_t *ev) {
  rd_t r = {buf, 0, len, 0};
  memset(ev, 0, sizeof(*ev));
  int version = get_u8(&r);
  if (version != FORMAT_V1 && version != FORMAT_V2) return OMS_EPROTO;
  ev->type = (oms_event_type_t)get_u8(&r);
  if (ev->type < 1 || ev->type > OMS_EVT_MAX) return OMS_EPROTO;
  ev->seq = get_u64(&r);
  ev->event_ns = get_i64(&r);
  ev->request_ns = get_i64(&r);
  get_order(&r, &ev->order, version);
  ev->fill.qty = get_dec(&r);
  ev->fill.price = get_dec(&r);
  ev->fill.fee = get_dec(&r);
  ev->fill.liquidity = (char)get_u8(&r);
  GET_STR(&r, ev->fill.exec_id);
  GET_STR(&r, ev->check);
  ev->reason = (oms_reason_t)get_u32(&r);
  GET_STR(&r, ev->text);
  ev->scope_kind = (uint8_t)get_u8(&r);
  ev->old_state = (uint8_t)get_u8(&r);
  ev->new_state = (uint8_t)get_u8(&r);
  GET_STR(&r, ev->scope_id);
  ev->alarm = (oms_alarm_kind_t)get_u8(&r);
  ev->alarm_code = (int32_t)get_u32(&r);
  return r.err || r.n != len ? OMS_EPROTO : 0;
}

/* ---- JSON ----------------------------------------------------------------- */

typedef struct js_s {
  char *p;
  size_t n, cap;
  int err;
} js_t;

static void js_raw(js_t *j, const char *s, size_t len) {
  if (j->err || j->cap - j->n <= len) {
    j->err = 1;
    return;
  }
  memcpy(j->p + j->n, s, len);
  j->n += len;
  j->p[j->n] = '\0';
}

static void js_str(js_t *j, const char *s) {
  js_raw(j, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    char esc[8];
    if (*c == '"' || *c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)*c;
      js_raw(j, esc, 2);
    } else if (*c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *c);
      js_raw(j, esc, 6);
    } else {
      js_raw(j, (const char *)c, 1);
    }
  }
  js_raw(j, "\"", 1);
}

static void js_key(js_t *j, const char *k, int *first) {
  if (!*first) js_raw(j, ",", 1);
  *first = 0;
  js_str(j, k);
  js_raw(j, ":", 1);
}

static void js_kstr(js_t *j, const char *k, const char *v, int *first) {
  js_key(j, k, first);
  js_str(j, v);
}

static void js_kint(js_t *j, const char *k, long long v, int *first) {
  char b[24];
  js_key(j, k, first);
  int n = snprintf(b, sizeof b, "%lld", v);
  js_raw(j, b, (size_t)n);
}

static void js_kuint(js_t *j, const char *k, unsigned long long v, int *first) {
  char b[24];
  js_key(j, k, first);
  int n = snprintf(b, sizeof b, "%llu", v);
  js_raw(j, b, (size_t)n);
}

static void js_kdec(js_t *j, const char *k, oms_dec_t d, int *first) {
  char b[OMS_DEC_STRLEN];
  oms_dec_format(d, b, sizeof b);
  js_kstr(j, k, b, first);
}

static void js_order(js_t *j, const oms_order_t *o) {
  int f = 1;
  js_raw(j, "{", 1);
  js_kuint(j, "order_id", o->order_id, &f);
  js_kstr(j, "client_order_id", o->client_order_id, &f);
  js_kstr(j, "strategy_id", o->strategy_id, &f);
  js_kstr(j, "account_id", o->account_id, &f);
  js_kstr(j, "venue", o->venue, &f);
  js_kstr(j, "symbol", o->symbol, &f);
  js_kstr(j, "venue_order_id", o->venue_order_id, &f);
  js_kstr(j, "side", oms_side_str(o->side), &f);
  js_kstr(j, "type", oms_ord_type_str(o->type), &f);
  js_kstr(j, "tif", oms_tif_str(o->tif), &f);
  js_kdec(j, "qty", o->qty, &f);
  js_kdec(j, "price", o->price, &f);
  js_kdec(j, "stop_price", o->stop_price, &f);
  js_kstr(j, "state", oms_ord_state_str(o->state), &f);
  js_kdec(j, "filled_qty", o->filled_qty, &f);
  js_kdec(j, "leaves_qty", o->leaves_qty, &f);
  js_kdec(j, "avg_px", o->avg_px, &f);
  if (o->reject_code != OMS_R_NONE) {
    js_kstr(j, "reject_code", oms_reason_name(o->reject_code), &f);
    js_kstr(j, "reject_reason", o->reject_reason, &f);
  }
  js_kint(j, "created_ns", o->created_ns, &f);
  js_kint(j, "updated_ns", o->updated_ns, &f);
  if (o->metadata[0]) js_kstr(j, "metadata", o->metadata, &f);
  js_raw(j, "}", 1);
}

int oms_event_to_json(const oms_event_t *ev, char *buf, size_t cap) {
  js_t j = {buf, 0, cap, 0};
  int f = 1;
  if (cap == 0) return OMS_ENOSPC;
  buf[0] = '\0';
  js_raw(&j, "{", 1);
  js_kuint(&j, "seq", ev->seq, &f);
  js_kstr(&j, "type", oms_event_type_name(ev->type), &f);
  js_kint(&j, "event_ns", ev->event_ns, &f);
  if (ev->request_ns > 0) {
    js_kint(&j, "request_ns", ev->request_ns, &f);
    js_kint(&j, "latency_ns", oms_event_latency_ns(ev), &f);
  }
  if (oms_event_is_order(ev->type)) {
    js_key(&j, "order", &f);
    js_order(&j, &ev->order);
  }
  if (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED) {
    int g = 1;
    char liq[2] = {ev->fill.liquidity, '\0'};
    js_key(&j, "fill", &f);
    js_raw(&j, "{", 1);
    js_kdec(&j, "qty", ev->fill.qty, &g);
    js_kdec(&j, "price", ev->fill.price, &g);
    js_kdec(&j, "fee", ev->fill.fee, &g);
    js_kstr(&j, "liquidity", liq, &g);
    js_kstr(&j, "exec_id", ev->fill.exec_id, &g);
    js_raw(&j, "}", 1);
  }
  if (ev->check[0]) js_kstr(&j, "check", ev->check, &f);
  if (ev->reason != OMS_R_NONE) js_kstr(&j, "reason", oms_reason_name(ev->reason), &f);
  if (ev->text[0]) js_kstr(&j, "text", ev->text, &f);
  if (ev->type == OMS_EVT_TRADING_STATE_CHANGED) {
    js_kint(&j, "scope_kind", ev->scope_kind, &f);
    js_kstr(&j, "scope_id", ev->scope_id, &f);
    js_kint(&j, "old_state", ev->old_state, &f);
    js_kint(&j, "new_state", ev->new_state, &f);
  }
  if (ev->type == OMS_EVT_ALARM) {
    js_kstr(&j, "alarm", oms_alarm_kind_name(ev->alarm), &f);
    js_kint(&j, "alarm_code", ev->alarm_code, &f);
  }
  js_raw(&j, "}", 1);
  return j.err ? OMS_ENOSPC : (int)j.n;
}
