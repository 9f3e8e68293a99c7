/*
 * event.c - event names, the mapping from state machine events to order
 * events, and the two serialisations of an event.
 *
 * The binary form is what the durable event log stores, so decoding must give
 * back exactly the record that was encoded (the crash test compares replayed
 * state with the state before the crash). It is a sequence of fields in a
 * fixed order behind a format byte (since format 7 only the fields that are
 * not zero, behind a bitmap of them); a reader refuses anything truncated or
 * out of range instead of guessing. Both directions are generated from one
 * table of fields per record (ORDER_FIELDS, EVENT_FIELDS below), each with
 * the format that introduced it, so the encoder and the decoder cannot
 * disagree on the order, the width or the presence of a field; docs/events.md
 * lists the formats.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "oms/error.h"
#include "oms/event.h"

/* Types are numbered 1..N without a gap, and OMS_EVT_MAX is N: two
 * branches once both took 20, and a table sized by OMS_EVT_MAX lost one. */
#define OMS__EVT_ONE(name, num, wire) +1
_Static_assert(0 OMS_EVENT_TYPE_MAP(OMS__EVT_ONE) == OMS_EVT_MAX, "OMS_EVT_MAX is the last type");
#undef OMS__EVT_ONE

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
  static const char *const names[] = {"NONE",
                                      "OVERFILL",
                                      "UNKNOWN_ORDER_REPORT",
                                      "STORE_FAILURE",
                                      "STORE_RECOVERED",
                                      "OTHER",
                                      "UNKNOWN_VENUE_ORDER",
                                      "UNKNOWN_FILL",
                                      "VENUE_MESSAGE"};
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

/* The snapshot copy and the clearing around it, 32 bytes a move where the
 * CPU has AVX: 1,456 bytes of order and 506 of zeros are half the loads
 * and stores of the 16-byte moves the compiler makes for the C below (on
 * the path of every event a store reads). The same bytes either way. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_WIDE_INIT 1
_Static_assert(offsetof(oms_event_t, order) >= 32 && sizeof(oms_order_t) >= 32 &&
                   offsetof(oms_event_t, algo) - offsetof(oms_event_t, fill) >= 32,
               "blocks of at least 32 bytes");

static __attribute__((target("avx"))) void init_wide(oms_event_t *ev, const oms_order_t *o) {
  uint8_t *b = (uint8_t *)ev;
  const __m256i z = _mm256_setzero_si256();
  /* Each block: whole 32-byte moves, then one that ends at the block's
   * end (overlapping the previous, writing the same bytes again). */
  size_t n = offsetof(oms_event_t, order);
#pragma GCC unroll 8
  for (size_t i = 0; i + 32 <= n; i += 32) _mm256_storeu_si256((__m256i *)(void *)(b + i), z);
  _mm256_storeu_si256((__m256i *)(void *)(b + n - 32), z);
  uint8_t *d = b + offsetof(oms_event_t, order);
  const uint8_t *s = (const uint8_t *)o;
  n = sizeof(oms_order_t);
#pragma GCC unroll 8
  for (size_t i = 0; i + 32 <= n; i += 32)
    _mm256_storeu_si256((__m256i *)(void *)(d + i),
                        _mm256_loadu_si256((const __m256i *)(const void *)(s + i)));
  _mm256_storeu_si256((__m256i *)(void *)(d + n - 32),
                      _mm256_loadu_si256((const __m256i *)(const void *)(s + n - 32)));
  d = b + offsetof(oms_event_t, order) + sizeof(oms_order_t);
  n = offsetof(oms_event_t, algo) - (offsetof(oms_event_t, order) + sizeof(oms_order_t));
  /* z passed through an empty asm: the compiler would make this loop a
   * memset, inlined as rep stos, one 8-byte store a step. */
  __m256i zz = z;
  __asm__("" : "+x"(zz));
#pragma GCC unroll 8
  for (size_t i = 0; i + 32 <= n; i += 32) _mm256_storeu_si256((__m256i *)(void *)(d + i), zz);
  _mm256_storeu_si256((__m256i *)(void *)(d + n - 32), zz);
}

static bool wide_init(void) {
  /* -1 until asked; a race only asks twice. */
  static _Atomic int wide = -1;
  int w = atomic_load_explicit(&wide, memory_order_relaxed);
  if (__builtin_expect(w < 0, 0)) {
    __builtin_cpu_init();
    w = __builtin_cpu_supports("avx") ? 1 : 0;
    atomic_store_explicit(&wide, w, memory_order_relaxed);
  }
  return w != 0;
}
#endif

void oms_event_init(oms_event_t *ev, oms_event_type_t type, const oms_order_t *o, int64_t event_ns,
                    int64_t request_ns) {
  if (o == NULL) {
    memset(ev, 0, offsetof(oms_event_t, algo));
#ifdef HAVE_WIDE_INIT
  } else if (wide_init()) {
    init_wide(ev, o);
#endif
  } else {
    /* The snapshot is most of the event: copied, not cleared first. */
    size_t end = offsetof(oms_event_t, order) + sizeof(ev->order);
    memset(ev, 0, offsetof(oms_event_t, order));
    ev->order = *o;
    memset((char *)ev + end, 0, offsetof(oms_event_t, algo) - end);
  }
  ev->type = type;
  ev->event_ns = event_ns;
  ev->request_ns = request_ns;
}

/* ---- The fields of the binary form ----------------------------------------
 *
 * XX(codec, field, since): one line per field, in wire order, with the format
 * that introduced it. The decoder reads the lines whose `since` is at most
 * the format byte it was given and leaves the others at their defaults. A
 * new field is one line at the end of its table and FORMAT_LATEST + 1; a
 * line is never removed or moved, since stored events are read by it. (The
 * one exception, from the dense formats: an event's algo bytes were kept
 * last on the wire, so format 6's fields went in just above it; a reader of
 * format 5 skips them all the same. From format 7 on a field's place is its
 * bit, counted over the fields of the record's format, so a later field may
 * go anywhere and still not move one that is older.)
 *
 * Two layouts come from the tables.
 *
 * Formats 1-6, dense (read only): every field of the format, fixed widths.
 * U8/U16/U32/U64/I64 little-endian integers of 1, 2, 4, 8, 8 bytes, DEC a
 * decimal's raw int64, I128 two u64 (low first), STR a length byte and the
 * bytes, STATE a u8 that must be an order state, TYPE a u8 that must be an
 * event type, AUDIT the count (u32) and the inline entries oldest first
 * (seq u32, from, to, event u8, reason u32, time i64), ORDER an order's own
 * table, BLOB a u16 length and the bytes.
 *
 * Format 7 on, sparse (written): a record (the event, its order) starts with
 * a bitmap, one bit for each field of its format in table order (bit i in
 * byte i / 8, 5 bytes for an order and 4 for an event in format 7), and then
 * holds only the fields whose bit is set: those that are not zero. Most of
 * an event is zeros (the fill of a cancel, the risk numbers of an order
 * event, the pending replace of an order that has none): format 6 wrote
 * 350-420 bytes for each of an order's first events, format 7 writes about
 * a third of that, which is a third of the journal, of its page faults and
 * writeback, and of the bytes every store and projection keeps. Integers
 * (U16, U32, U64) are LEB128 varints (7 bits a byte, low first), a DEC the
 * varint of its raw value zigzagged (0, -1, 1, -2... as 0, 1, 2, 3...), so
 * 100.5 takes 5 bytes; I64 (times, which a varint would make longer) and
 * I128 keep 8 and 16 bytes; STR, STATE, U8 as before; AUDIT the varint count
 * and the inline entries oldest first, each its from, to and event bytes,
 * its reason as a varint and its time, the first in 8 bytes and each next
 * as the zigzagged varint of its difference from the one before (the entry's
 * sequence number is its place, not written); BLOB a varint length and the
 * bytes. TYPE and ORDER are always there. The reader refuses what the
 * writer would not have written: a set bit for a zero value or past the
 * format's fields, a clear one for TYPE or ORDER, a varint longer than its
 * shortest form or wider than its field. */
#define ORDER_FIELDS(XX)              \
  XX(U64, order_id, 1)                \
  XX(STR, client_order_id, 1)         \
  XX(STR, strategy_id, 1)             \
  XX(STR, account_id, 1)              \
  XX(STR, venue, 1)                   \
  XX(STR, symbol, 1)                  \
  XX(STR, venue_order_id, 1)          \
  XX(U8, side, 1)                     \
  XX(U8, type, 1)                     \
  XX(U8, tif, 1)                      \
  XX(U32, instructions, 1)            \
  XX(DEC, qty, 1)                     \
  XX(DEC, price, 1)                   \
  XX(DEC, stop_price, 1)              \
  XX(I64, expire_ns, 1)               \
  XX(STATE, state, 1)                 \
  XX(STATE, restore_state, 1)         \
  XX(DEC, filled_qty, 1)              \
  XX(DEC, leaves_qty, 1)              \
  XX(DEC, avg_px, 1)                  \
  XX(I128, cum_notional, 1)           \
  XX(DEC, pending_qty, 1)             \
  XX(DEC, pending_price, 1)           \
  XX(DEC, pending_stop_price, 1)      \
  XX(U32, reject_code, 1)             \
  XX(STR, reject_reason, 1)           \
  XX(I64, created_ns, 1)              \
  XX(I64, updated_ns, 1)              \
  XX(STR, metadata, 1)                \
  XX(AUDIT, audit, 1)                 \
  XX(STR, cur_client_order_id, 2)     \
  XX(STR, pending_client_order_id, 2) \
  XX(U64, parent_order_id, 5)         \
  XX(U32, child_seq, 5)               \
  XX(U16, algo, 5)

#define EVENT_FIELDS(XX)      \
  XX(TYPE, type, 1)           \
  XX(U64, seq, 1)             \
  XX(I64, event_ns, 1)        \
  XX(I64, request_ns, 1)      \
  XX(ORDER, order, 1)         \
  XX(DEC, fill.qty, 1)        \
  XX(DEC, fill.price, 1)      \
  XX(DEC, fill.fee, 1)        \
  XX(U8, fill.liquidity, 1)   \
  XX(STR, fill.exec_id, 1)    \
  XX(STR, check, 1)           \
  XX(U32, reason, 1)          \
  XX(STR, text, 1)            \
  XX(U8, scope_kind, 1)       \
  XX(U8, old_state, 1)        \
  XX(U8, new_state, 1)        \
  XX(STR, scope_id, 1)        \
  XX(U8, alarm, 1)            \
  XX(U32, alarm_code, 1)      \
  XX(DEC, fill.multiplier, 3) \
  XX(DEC, fill.old_qty, 4)    \
  XX(DEC, fill.old_price, 4)  \
  XX(DEC, fill.old_fee, 4)    \
  XX(DEC, risk.var, 6)        \
  XX(DEC, risk.hvar, 6)       \
  XX(DEC, risk.var_limit, 6)  \
  XX(DEC, risk.loss, 6)       \
  XX(DEC, risk.loss_limit, 6) \
  XX(STR, risk.worst, 6)      \
  XX(BLOB, algo, 5)

/* The format this build writes; it reads 1..FORMAT_LATEST. */
#define FORMAT_LATEST 7
/* The first sparse format. */
#define FORMAT_SPARSE 7

/* ---- Reading the dense formats (1-6) ------------------------------------ */

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

static uint64_t get_le(rd_t *r, int bytes) {
  uint8_t b[8];
  get(r, b, (size_t)bytes);
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}

static void get_str(rd_t *r, char *dst, size_t cap) {
  size_t len = (size_t)get_le(r, 1);
  if (len > cap - 1) {
    r->err = 1;
    len = 0;
  }
  get(r, dst, len);
  dst[len] = '\0';
  /* A string with a NUL inside would not come back the same when encoded. */
  if (memchr(dst, '\0', len) != NULL) r->err = 1;
}

static __int128 get_i128(rd_t *r) {
  uint64_t lo = get_le(r, 8), hi = get_le(r, 8);
  return (__int128)(((unsigned __int128)hi << 64) | lo);
}

static void get_audit(rd_t *r, oms_order_t *o) {
  o->audit_count = (uint32_t)get_le(r, 4);
  uint32_t inl = o->audit_count < OMS_AUDIT_INLINE ? o->audit_count : OMS_AUDIT_INLINE;
  for (uint32_t i = 0; i < inl && !r->err; i++) {
    oms_audit_t a;
    memset(&a, 0, sizeof a);
    a.seq = (uint32_t)get_le(r, 4);
    a.from = (uint8_t)get_le(r, 1);
    a.to = (uint8_t)get_le(r, 1);
    a.event = (uint8_t)get_le(r, 1);
    uint64_t reason = get_le(r, 4);
    a.reason_code = (uint16_t)reason;
    a.ts_ns = (int64_t)get_le(r, 8);
    /* The encoder writes the inline entries oldest first, one per sequence
     * number: anything else is not an order this code wrote. */
    if (a.seq != o->audit_count - inl + 1 + i || reason > UINT16_MAX) {
      r->err = 1;
      break;
    }
    o->audit[(a.seq - 1) % OMS_AUDIT_INLINE] = a;
  }
}

static unsigned get_state(rd_t *r) {
  unsigned v = (unsigned)get_le(r, 1);
  if (v >= OMS_STATE_COUNT) r->err = 1;
  return v;
}

static unsigned get_type(rd_t *r) {
  unsigned v = (unsigned)get_le(r, 1);
  if (v < 1 || v > OMS_EVT_MAX) r->err = 1;
  return v;
}

/* A parent's algorithm state: a u16 length and its bytes. */
static void get_blob(rd_t *r, oms_event_t *ev) {
  size_t n = (size_t)get_le(r, 2);
  if (n > OMS_EVENT_ALGO_MAX) {
    r->err = 1;
    return;
  }
  ev->algo_len = (uint16_t)n;
  get(r, ev->algo, n);
}

static void get_order(rd_t *r, oms_order_t *o, int version);

/* One codec per kind: GET_<kind>(reader, field, version). Integer fields
 * narrower than the wire are range-checked where a wrong value could not be
 * written back (states, types). */
#define GET_U8(r, f, v) ((f) = (__typeof__(f))get_le((r), 1))
#define GET_U16(r, f, v) ((f) = (__typeof__(f))get_le((r), 2))
#define GET_U32(r, f, v) ((f) = (__typeof__(f))get_le((r), 4))
#define GET_U64(r, f, v) ((f) = (__typeof__(f))get_le((r), 8))
#define GET_I64(r, f, v) ((f) = (__typeof__(f))get_le((r), 8))
#define GET_DEC(r, f, v) ((f) = oms_dec_from_raw((int64_t)get_le((r), 8)))
#define GET_I128(r, f, v) ((f) = get_i128(r))
#define GET_STR(r, f, v) get_str((r), (f), sizeof(f))
#define GET_STATE(r, f, v) ((f) = (__typeof__(f))get_state(r))
#define GET_TYPE(r, f, v) ((f) = (__typeof__(f))get_type(r))
#define GET_AUDIT(r, f, v) get_audit((r), o)
#define GET_ORDER(r, f, v) get_order((r), &(f), (v))
#define GET_BLOB(r, f, v) get_blob((r), ev)

static void get_order(rd_t *r, oms_order_t *o, int version) {
#define XX(kind, field, since) \
  if (version >= (since) && !r->err) GET_##kind(r, o->field, version);
  ORDER_FIELDS(XX)
#undef XX
  /* Defaults of the fields an older format lacks. */
  if (version < 2) /* written before orders had a current name: it is their first one */
    memcpy(o->cur_client_order_id, o->client_order_id, sizeof(o->cur_client_order_id));
}

static void get_event(rd_t *r, oms_event_t *ev, int version) {
#define XX(kind, field, since) \
  if (version >= (since) && !r->err) GET_##kind(r, ev->field, version);
  EVENT_FIELDS(XX)
#undef XX
  /* fill.multiplier stays 0 before format 3: "not recorded", read as 1. */
}

/* The format byte, or -1 if this build cannot read it. */
static int get_version(rd_t *r) {
  int v = (int)get_le(r, 1);
  return r->err || v < 1 || v > FORMAT_LATEST ? -1 : v;
}

/* ---- The sparse format (7 on) ---------------------------------------------
 *
 * Written by one writer, with no test for room at each field: callers hand
 * a buffer that holds the longest encoding there can be (OMS_EVENT_BIN_MAX,
 * worked out below from the same tables), or the encoding is made in one
 * on the stack and copied if it fits. */

#define XX(kind, field, since) +1
enum { ORDER_NF = 0 ORDER_FIELDS(XX), EVENT_NF = 0 EVENT_FIELDS(XX) };
#undef XX
_Static_assert(ORDER_NF <= 64 && EVENT_NF <= 64, "a record's bitmap fits in a u64");
#define MAP_BYTES(nf) (((nf) + 7) / 8)

/* Whether a field is left out (zero). TYPE and ORDER never are. */
#define Z_U8(f) ((f) == 0)
#define Z_U16(f) ((f) == 0)
#define Z_U32(f) ((f) == 0)
#define Z_U64(f) ((f) == 0)
#define Z_I64(f) ((f) == 0)
#define Z_DEC(f) ((f).raw == 0)
#define Z_I128(f) ((f) == 0)
#define Z_STR(f) ((f)[0] == '\0')
#define Z_STATE(f) ((f) == 0)
#define Z_TYPE(f) 0
#define Z_AUDIT(f) (o->audit_count == 0)
#define Z_ORDER(f) 0
#define Z_BLOB(f) (ev->algo_len == 0 || ev->algo_len > OMS_EVENT_ALGO_MAX)
#define ALWAYS_TYPE 1
#define ALWAYS_ORDER 1
#define ALWAYS_U8 0
#define ALWAYS_U16 0
#define ALWAYS_U32 0
#define ALWAYS_U64 0
#define ALWAYS_I64 0
#define ALWAYS_DEC 0
#define ALWAYS_I128 0
#define ALWAYS_STR 0
#define ALWAYS_STATE 0
#define ALWAYS_AUDIT 0
#define ALWAYS_BLOB 0

/* The longest encodings, the format byte included. */
#define WORST_U8(T, f) 1
#define WORST_U16(T, f) 3
#define WORST_U32(T, f) 5
#define WORST_U64(T, f) 10
#define WORST_I64(T, f) 8
#define WORST_DEC(T, f) 10
#define WORST_I128(T, f) 16
#define WORST_STR(T, f) sizeof(((T *)0)->f) /* a length byte and at most sizeof - 1 */
#define WORST_STATE(T, f) 1
#define WORST_TYPE(T, f) 1
#define WORST_AUDIT(T, f) (5 + OMS_AUDIT_INLINE * (3 + 3 + 10))
#define WORST_ORDER(T, f) ORDER_WORST
#define WORST_BLOB(T, f) (2 + OMS_EVENT_ALGO_MAX)

#define XX(kind, field, since) +WORST_##kind(oms_order_t, field)
enum { ORDER_WORST = 1 + MAP_BYTES(ORDER_NF) ORDER_FIELDS(XX) };
#undef XX
#define XX(kind, field, since) +WORST_##kind(oms_event_t, field)
enum { EVENT_WORST = 1 + MAP_BYTES(EVENT_NF) EVENT_FIELDS(XX) };
#undef XX

/* Little-endian: on a little-endian host a store of the value's first
 * bytes (one instruction once inlined with a constant width), else byte by
 * byte. */
static inline __attribute__((always_inline)) uint8_t *f_le(uint8_t *p, uint64_t v, int bytes) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, (size_t)bytes);
#else
  for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
#endif
  return p + bytes;
}

static inline __attribute__((always_inline)) uint8_t *f_var(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

static inline uint64_t zig(int64_t v) { return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63)); }

static inline int64_t unzig(uint64_t u) { return (int64_t)((u >> 1) ^ (0 - (u & 1))); }

/* A length byte and the characters of a name that is not empty. With SSE2,
 * sixteen bytes a step: each chunk is copied whole, then searched for the
 * NUL, so that a name of up to 15 characters (ids, accounts, symbols) is one
 * load, one store and one compare. A chunk stays inside the field (every
 * string field's size is a multiple of 16, asserted below) and its store
 * ends at most one byte past the field's worst-case room: the writer is
 * used only with STR_SLACK bytes to spare, and the bytes stored past the
 * NUL are overwritten by the fields that follow or lie past the encoding's
 * end. Out of line, so that the fifteen string fields of an event share one
 * copy of the loop (inlined at each, the code of the encoder outgrew what
 * the instruction cache kept of it). */
#if defined(__SSE2__)
#define STR_SLACK 16
#else
#define STR_SLACK 0
#endif

static __attribute__((noinline)) uint8_t *f_str(uint8_t *p, const char *s, size_t cap) {
  size_t len = 0;
#if defined(__SSE2__)
  for (;;) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + len));
    _mm_storeu_si128((__m128i *)(void *)(p + 1 + len), v);
    unsigned z = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128()));
    if (z != 0) {
      len += (unsigned)__builtin_ctz(z);
      break;
    }
    len += 16;
    if (len >= cap) break;
  }
  if (len > cap - 1) len = cap - 1;
#else
  while (len < cap - 1 && s[len] != '\0') {
    p[1 + len] = (uint8_t)s[len];
    len++;
  }
#endif
  *p = (uint8_t)len;
  return p + 1 + len;
}

_Static_assert(ORDER_WORST + STR_SLACK <= OMS_ORDER_BIN_MAX, "OMS_ORDER_BIN_MAX holds any order");
_Static_assert(EVENT_WORST + STR_SLACK <= OMS_EVENT_BIN_MAX, "OMS_EVENT_BIN_MAX holds any event");

/* f_str's chunks stay inside their field. */
#define STR16_STR(T, f) _Static_assert(sizeof(((T *)0)->f) % 16 == 0, "string field of 16n bytes");
#define STR16_OTHER(T, f)
#define STR16_U8 STR16_OTHER
#define STR16_U16 STR16_OTHER
#define STR16_U32 STR16_OTHER
#define STR16_U64 STR16_OTHER
#define STR16_I64 STR16_OTHER
#define STR16_DEC STR16_OTHER
#define STR16_I128 STR16_OTHER
#define STR16_STATE STR16_OTHER
#define STR16_TYPE STR16_OTHER
#define STR16_AUDIT STR16_OTHER
#define STR16_ORDER STR16_OTHER
#define STR16_BLOB STR16_OTHER
#define XX(kind, field, since) STR16_##kind(oms_order_t, field)
ORDER_FIELDS(XX)
#undef XX
#define XX(kind, field, since) STR16_##kind(oms_event_t, field)
EVENT_FIELDS(XX)
#undef XX

static uint8_t *f_audit(uint8_t *p, const oms_order_t *o) {
  p = f_var(p, o->audit_count);
  uint32_t inl = o->audit_count < OMS_AUDIT_INLINE ? o->audit_count : OMS_AUDIT_INLINE;
  uint64_t prev = 0;
  for (uint32_t k = 0, s = o->audit_count - inl + 1; k < inl; k++, s++) {
    const oms_audit_t *a = &o->audit[(s - 1) % OMS_AUDIT_INLINE];
    p[0] = a->from;
    p[1] = a->to;
    p[2] = a->event;
    p = f_var(p + 3, a->reason_code);
    uint64_t ts = (uint64_t)a->ts_ns;
    p = k == 0 ? f_le(p, ts, 8) : f_var(p, zig((int64_t)(ts - prev)));
    prev = ts;
  }
  return p;
}

static uint8_t *f_order(uint8_t *p, const oms_order_t *o);

static uint8_t *f_blob(uint8_t *p, const oms_event_t *ev) {
  p = f_var(p, ev->algo_len);
  memcpy(p, ev->algo, ev->algo_len);
  return p + ev->algo_len;
}

#define F_U8(p, f) *p++ = (uint8_t)(f)
#define F_U16(p, f) p = f_var((p), (uint16_t)(f))
#define F_U32(p, f) p = f_var((p), (uint32_t)(f))
#define F_U64(p, f) p = f_var((p), (uint64_t)(f))
#define F_I64(p, f) p = f_le((p), (uint64_t)(f), 8)
#define F_DEC(p, f) p = f_var((p), zig((f).raw))
#define F_I128(p, f)                                            \
  do {                                                          \
    p = f_le((p), (uint64_t)(unsigned __int128)(f), 8);         \
    p = f_le((p), (uint64_t)((unsigned __int128)(f) >> 64), 8); \
  } while (0)
#define F_STR(p, f) p = f_str((p), (f), sizeof(f))
#define F_STATE(p, f) *p++ = (uint8_t)(f)
#define F_TYPE(p, f) *p++ = (uint8_t)(f)
#define F_AUDIT(p, f) p = f_audit((p), o)
#define F_ORDER(p, f) p = f_order((p), &(f))
#define F_BLOB(p, f) p = f_blob((p), ev)

/* A record's bitmap and its fields that are not zero (REC: o or ev). */
#define F_RECORD(FIELDS, NF)      \
  uint8_t *map = p;               \
  uint64_t bits = 0;              \
  unsigned i = 0;                 \
  p += MAP_BYTES(NF);             \
  FIELDS(F_FIELD)                 \
  (void)i;                        \
  f_le(map, bits, MAP_BYTES(NF)); \
  return p
#define F_FIELD(kind, field, since) \
  if (!Z_##kind(REC->field)) {      \
    bits |= UINT64_C(1) << i;       \
    F_##kind(p, REC->field);        \
  }                                 \
  i++;

static uint8_t *f_order(uint8_t *p, const oms_order_t *o) {
#define REC o
  F_RECORD(ORDER_FIELDS, ORDER_NF);
#undef REC
}

static uint8_t *f_event(uint8_t *p, const oms_event_t *ev) {
#define REC ev
  F_RECORD(EVENT_FIELDS, EVENT_NF);
#undef REC
}

/* An unsigned LEB128 varint of at most max, in its shortest form. */
static uint64_t get_var(rd_t *r, uint64_t max) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b;
    get(r, &b, 1);
    if (r->err || (shift == 63 && b > 1)) break;
    v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if ((b == 0 && shift > 0) || v > max) break;
      return v;
    }
  }
  r->err = 1;
  return 0;
}

static void get_audit_sparse(rd_t *r, oms_order_t *o) {
  o->audit_count = (uint32_t)get_var(r, UINT32_MAX);
  uint32_t inl = o->audit_count < OMS_AUDIT_INLINE ? o->audit_count : OMS_AUDIT_INLINE;
  uint64_t prev = 0;
  for (uint32_t k = 0; k < inl && !r->err; k++) {
    oms_audit_t a;
    memset(&a, 0, sizeof a);
    a.seq = o->audit_count - inl + 1 + k;
    a.from = (uint8_t)get_le(r, 1);
    a.to = (uint8_t)get_le(r, 1);
    a.event = (uint8_t)get_le(r, 1);
    a.reason_code = (uint16_t)get_var(r, UINT16_MAX);
    uint64_t ts = k == 0 ? get_le(r, 8) : prev + (uint64_t)unzig(get_var(r, UINT64_MAX));
    a.ts_ns = (int64_t)ts;
    prev = ts;
    o->audit[(a.seq - 1) % OMS_AUDIT_INLINE] = a;
  }
}

static void get_order_sparse(rd_t *r, oms_order_t *o, int version);

static void get_blob_sparse(rd_t *r, oms_event_t *ev) {
  ev->algo_len = (uint16_t)get_var(r, OMS_EVENT_ALGO_MAX);
  get(r, ev->algo, ev->algo_len);
}

#define GS_U8 GET_U8
#define GS_U16(r, f, v) ((f) = (__typeof__(f))get_var((r), UINT16_MAX))
#define GS_U32(r, f, v) ((f) = (__typeof__(f))get_var((r), UINT32_MAX))
#define GS_U64(r, f, v) ((f) = (__typeof__(f))get_var((r), UINT64_MAX))
#define GS_I64 GET_I64
#define GS_DEC(r, f, v) ((f) = oms_dec_from_raw(unzig(get_var((r), UINT64_MAX))))
#define GS_I128 GET_I128
#define GS_STR GET_STR
#define GS_STATE GET_STATE
#define GS_TYPE GET_TYPE
#define GS_AUDIT(r, f, v) get_audit_sparse((r), o)
#define GS_ORDER(r, f, v) get_order_sparse((r), &(f), (v))
#define GS_BLOB(r, f, v) get_blob_sparse((r), ev)

/* The bitmap of the record's format, then each field whose bit is set,
 * refused if it reads as zero (REC: o or ev). */
#define GS_RECORD(FIELDS)                       \
  unsigned nf = 0, i = 0;                       \
  FIELDS(GS_COUNT)                              \
  uint64_t bits = get_le(r, MAP_BYTES(nf));     \
  if (nf < 64 && (bits >> nf) != 0) r->err = 1; \
  FIELDS(GS_FIELD)                              \
  (void)i
#define GS_COUNT(kind, field, since) nf += (since) <= version;
#define GS_FIELD(kind, field, since)        \
  if ((since) <= version) {                 \
    if (((bits >> i) & 1) == 0) {           \
      if (ALWAYS_##kind) r->err = 1;        \
    } else if (!r->err) {                   \
      GS_##kind(r, REC->field, version);    \
      if (Z_##kind(REC->field)) r->err = 1; \
    }                                       \
    i++;                                    \
  }

static void get_order_sparse(rd_t *r, oms_order_t *o, int version) {
#define REC o
  GS_RECORD(ORDER_FIELDS);
#undef REC
}

static void get_event_sparse(rd_t *r, oms_event_t *ev, int version) {
#define REC ev
  GS_RECORD(EVENT_FIELDS);
#undef REC
}

/* ---- The two records ------------------------------------------------------ */

/* The encoding of n bytes in dst, which is buf or, when buf[cap] might
 * not hold the longest encoding, tmp: copied into buf if it fits. */
static int placed(uint8_t *buf, size_t cap, const uint8_t *dst, size_t n) {
  if (dst == buf) return (int)n;
  if (n > cap) return OMS_ENOSPC;
  memcpy(buf, dst, n);
  return (int)n;
}

int oms_order_encode(const oms_order_t *o, uint8_t *buf, size_t cap) {
  uint8_t tmp[ORDER_WORST + STR_SLACK];
  uint8_t *dst = cap >= sizeof tmp ? buf : tmp;
  dst[0] = FORMAT_LATEST;
  return placed(buf, cap, dst, (size_t)(f_order(dst + 1, o) - dst));
}

int oms_order_decode(const uint8_t *buf, size_t len, oms_order_t *o) {
  rd_t r = {buf, 0, len, 0};
  memset(o, 0, sizeof(*o));
  int version = get_version(&r);
  if (version < 0) return OMS_EPROTO;
  if (version >= FORMAT_SPARSE)
    get_order_sparse(&r, o, version);
  else
    get_order(&r, o, version);
  return r.err || r.n != len ? OMS_EPROTO : 0;
}

int oms_event_encode(const oms_event_t *ev, uint8_t *buf, size_t cap) {
  uint8_t tmp[EVENT_WORST + STR_SLACK];
  uint8_t *dst = cap >= sizeof tmp ? buf : tmp;
  dst[0] = FORMAT_LATEST;
  return placed(buf, cap, dst, (size_t)(f_event(dst + 1, ev) - dst));
}

int oms_event_decode(const uint8_t *buf, size_t len, oms_event_t *ev) {
  rd_t r = {buf, 0, len, 0};
  memset(ev, 0, sizeof(*ev));
  int version = get_version(&r);
  if (version < 0) return OMS_EPROTO;
  if (version >= FORMAT_SPARSE)
    get_event_sparse(&r, ev, version);
  else
    get_event(&r, ev, version);
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
  /* parent orders: the strategy's number (algo.h), or the parent of a child */
  if (o->algo != 0) js_kuint(j, "algo", o->algo, &f);
  if (o->parent_order_id != 0) {
    js_kuint(j, "parent_order_id", o->parent_order_id, &f);
    js_kuint(j, "child_seq", o->child_seq, &f);
  }
  js_raw(j, "}", 1);
}

int oms_order_to_json(const oms_order_t *o, char *buf, size_t cap) {
  js_t j = {buf, 0, cap, 0};
  if (cap == 0) return OMS_ENOSPC;
  buf[0] = '\0';
  js_order(&j, o);
  return j.err ? OMS_ENOSPC : (int)j.n;
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
  bool amend = ev->type == OMS_EVT_ORDER_FILL_BUSTED || ev->type == OMS_EVT_ORDER_FILL_CORRECTED;
  if (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED || amend) {
    int g = 1;
    char liq[2] = {ev->fill.liquidity, '\0'};
    js_key(&j, "fill", &f);
    js_raw(&j, "{", 1);
    js_kdec(&j, "qty", ev->fill.qty, &g);
    js_kdec(&j, "price", ev->fill.price, &g);
    js_kdec(&j, "fee", ev->fill.fee, &g);
    js_kstr(&j, "liquidity", liq, &g);
    js_kstr(&j, "exec_id", ev->fill.exec_id, &g);
    if (ev->fill.multiplier.raw != 0) js_kdec(&j, "multiplier", ev->fill.multiplier, &g);
    if (amend) {
      js_kdec(&j, "old_qty", ev->fill.old_qty, &g);
      js_kdec(&j, "old_price", ev->fill.old_price, &g);
      js_kdec(&j, "old_fee", ev->fill.old_fee, &g);
    }
    js_raw(&j, "}", 1);
  }
  if (ev->check[0]) js_kstr(&j, "check", ev->check, &f);
  if (ev->reason != OMS_R_NONE) js_kstr(&j, "reason", oms_reason_name(ev->reason), &f);
  if (ev->text[0]) js_kstr(&j, "text", ev->text, &f);
  if (ev->type == OMS_EVT_RISK_REPORT) {
    int g = 1;
    js_kstr(&j, "scope_id", ev->scope_id, &f);
    js_key(&j, "risk", &f);
    js_raw(&j, "{", 1);
    js_kdec(&j, "var", ev->risk.var, &g);
    js_kdec(&j, "hvar", ev->risk.hvar, &g);
    js_kdec(&j, "var_limit", ev->risk.var_limit, &g);
    js_kdec(&j, "stress_loss", ev->risk.loss, &g);
    js_kdec(&j, "stress_limit", ev->risk.loss_limit, &g);
    js_kstr(&j, "worst", ev->risk.worst, &g);
    js_raw(&j, "}", 1);
  }
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
