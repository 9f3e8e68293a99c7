/*
 * dict.c - validation of inbound messages against a generated FIX data
 * dictionary (the tables of dict_fix44.c; their shape is in dict_internal.h).
 *
 * NOTES ON THE DESIGN
 *
 * The dictionary is read once, at development time, by
 * tools/fixdict/gen_fix44.py, which flattens components into "contexts": the
 * header, the trailer, each message body and each distinct repeating group.
 * A context is a bitset of the tags allowed directly in it (a group's count
 * tag belongs to its parent, the group's fields to the group), a list of
 * required tags and a list of the groups it contains. Per tag there is a
 * type code and an enumeration set. Everything is indexed by tag number, so
 * a field costs a few loads and bit tests.
 *
 * One pass over the parsed fields keeps a stack of open groups. Level 0 is
 * the message: the header context until the first field the header does
 * not allow, then the body, then the trailer; a header field after that
 * point (or a body field after the trailer) is out of order (14). At a
 * group level, the delimiter starts a new entry, another member of the group
 * stays in the current entry, and any other tag closes the group: its
 * entries must then match NumInGroup (16) and each entry must hold the
 * group's required fields (1). Duplicates (13) are found with one seen-bitset
 * per level, cleared when an entry starts.
 *
 * The first problem found is reported; its RefTagID is the offending tag (the
 * count tag for 16, the missing tag for 1).
 */
#include <string.h>

#include "fix/dict_internal.h"
#include "oms/error.h"
#include "oms/fix_dict.h"

#define USER_TAG_MIN 5000
#define USER_TAG_MAX 9999
#define BILATERAL_TAG_MIN 20000
#define BILATERAL_TAG_MAX 39999
#define TARGET_STRATEGY 847

enum { PH_HEADER, PH_BODY, PH_TRAILER };

typedef struct level_s {
  uint16_t ctx;
  uint16_t count_tag;
  uint16_t delim;
  int64_t count;
  int64_t entries;
} level_t;

typedef struct run_s {
  const oms_fix_dict_t *d;
  int depth;
  level_t lv[OMS__FIX_DICT_MAX_DEPTH + 1];
  uint64_t seen[OMS__FIX_DICT_MAX_DEPTH + 1][OMS__FIX_DICT_MAX_WORDS];
} run_t;

const oms_fix_dict_t *oms_fix_dict_fix44(void) { return &oms__fix44_dict; }

static inline int has_bit(const uint64_t *row, uint32_t tag) {
  return (int)((row[tag >> 6] >> (tag & 63)) & 1);
}

static inline const uint64_t *allowed_row(const oms_fix_dict_t *d, uint16_t ctx) {
  return d->allowed + (size_t)ctx * d->words;
}

static inline int allows(const oms_fix_dict_t *d, uint16_t ctx, uint32_t tag) {
  return has_bit(allowed_row(d, ctx), tag);
}

/* Sixteen plain stores: a small fixed memset becomes "rep stos" here, whose
 * start-up cost was a tenth of a whole validation. */
typedef uint64_t v2_t __attribute__((vector_size(16), aligned(8)));
static inline void clear_bits(uint64_t *w) {
  _Static_assert(OMS__FIX_DICT_MAX_WORDS == 16, "eight stores of two words");
  v2_t *p = (v2_t *)(void *)w, z = {0, 0};
  p[0] = z, p[1] = z, p[2] = z, p[3] = z, p[4] = z, p[5] = z, p[6] = z, p[7] = z;
}

static int fail(oms_fix_bad_field_t *bad, uint32_t tag, int reason) {
  bad->tag = tag;
  bad->reason = reason;
  return OMS_EPROTO;
}

static inline uint8_t type_of(const oms_fix_dict_t *d, uint32_t tag) {
  return tag <= d->max_tag ? d->field_type[tag] : OMS__FIX_T_NONE;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                     */

static inline int digit(char c) { return c >= '0' && c <= '9'; }

static int all_digits(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!digit(p[i])) return 0;
  return n > 0;
}

static int two(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* YYYYMMDD with a plausible month and day. */
static int date_ok(const char *p) {
  if (!all_digits(p, 8)) return 0;
  int mo = two(p + 4), dd = two(p + 6);
  return mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31;
}

/* HH:MM:SS with an optional fraction of 3, 6 or 9 digits. */
static int time_ok(oms_fix_str_t v) {
  const char *p = v.ptr;
  if (v.len != 8 && v.len != 12 && v.len != 15 && v.len != 18) return 0;
  if (!all_digits(p, 2) || p[2] != ':' || !all_digits(p + 3, 2) || p[5] != ':' ||
      !all_digits(p + 6, 2))
    return 0;
  if (two(p) > 23 || two(p + 3) > 59 || two(p + 6) > 60) return 0;
  return v.len == 8 || (p[8] == '.' && all_digits(p + 9, v.len - 9));
}

/* YYYYMMDD-HH:MM:SS with an optional fraction of 3, 6 or 9 digits. Only the
 * form: what the time is worth is the session's business. */
static int timestamp_ok(oms_fix_str_t v) {
  if (v.len != 17 && v.len != 21 && v.len != 24 && v.len != 27) return 0;
  oms_fix_str_t t = {v.ptr + 9, v.len - 9};
  return date_ok(v.ptr) && v.ptr[8] == '-' && time_ok(t);
}

/* YYYYMM, YYYYMMDD or YYYYMMwN (week N of the month). */
static int month_year_ok(oms_fix_str_t v) {
  const char *p = v.ptr;
  if (v.len < 6 || !all_digits(p, 6) || two(p + 4) < 1 || two(p + 4) > 12) return 0;
  if (v.len == 6) return 1;
  if (v.len == 8 && p[6] == 'w') return p[7] >= '1' && p[7] <= '5';
  return v.len == 8 && date_ok(p);
}

static int format_ok(uint8_t type, oms_fix_str_t v) {
  switch (type) {
    /* A negative count or number is an integer out of range (see
     * range_ok), not a format error. */
    case OMS__FIX_T_INT:
    case OMS__FIX_T_LENGTH:
    case OMS__FIX_T_NUMINGROUP:
    case OMS__FIX_T_SEQNUM:
    case OMS__FIX_T_TAGNUM:
    case OMS__FIX_T_DAYOFMONTH:
      return all_digits(v.ptr + (v.ptr[0] == '-'), v.len - (v.ptr[0] == '-'));
    case OMS__FIX_T_FLOAT:
    case OMS__FIX_T_QTY:
    case OMS__FIX_T_PRICE:
    case OMS__FIX_T_PRICEOFFSET:
    case OMS__FIX_T_AMT:
    case OMS__FIX_T_PERCENTAGE: return oms_fix_str_check_decimal(v) == 0;
    case OMS__FIX_T_CHAR: return v.len == 1;
    case OMS__FIX_T_BOOLEAN: return v.len == 1 && (v.ptr[0] == 'Y' || v.ptr[0] == 'N');
    case OMS__FIX_T_UTCTIMESTAMP: return timestamp_ok(v);
    case OMS__FIX_T_UTCTIMEONLY: return time_ok(v);
    case OMS__FIX_T_UTCDATEONLY:
    case OMS__FIX_T_LOCALMKTDATE: return v.len == 8 && date_ok(v.ptr);
    case OMS__FIX_T_MONTHYEAR: return month_year_ok(v);
    default: return 1; /* STRING and its kin: any bytes */
  }
}

/* The integer types other than INT count or number things: never below 0.
 * Returns 0 or the SessionRejectReason. */
static int range_reason(uint8_t type, oms_fix_str_t v) {
  if (type == OMS__FIX_T_INT || v.ptr[0] != '-') return 0;
  switch (type) {
    case OMS__FIX_T_NUMINGROUP: return OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP;
    case OMS__FIX_T_LENGTH:
    case OMS__FIX_T_SEQNUM:
    case OMS__FIX_T_TAGNUM:
    case OMS__FIX_T_DAYOFMONTH: return OMS_FIX_SRR_VALUE_INCORRECT;
    default: return 0;
  }
}

static int in_set(const oms_fix_dict_t *d, const oms__fix_enum_set_t *es, const char *p, size_t n) {
  if (n == 1) {
    unsigned c = (unsigned char)p[0];
    if (c >= 128) return 0;
    return (int)(((c < 64 ? es->lo >> c : es->hi >> (c - 64))) & 1);
  }
  if (n == 0 || n > 16) return 0;
  char buf[16] = {0};
  memcpy(buf, p, n);
  oms__fix_enum_key_t k;
  memcpy(&k.a, buf, 8);
  memcpy(&k.b, buf + 8, 8);
  /* The generator wrote the keys as little-endian words; compare the same. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  k.a = __builtin_bswap64(k.a);
  k.b = __builtin_bswap64(k.b);
#endif
  const oms__fix_enum_key_t *keys = d->enum_keys + es->first;
  size_t lo = 0, hi = es->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const oms__fix_enum_key_t *x = &keys[mid];
    if (x->a == k.a && x->b == k.b) return 1;
    if (x->a < k.a || (x->a == k.a && x->b < k.b))
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

static inline int enum_ok(const oms_fix_dict_t *d, uint32_t tag, uint8_t type, oms_fix_str_t v) {
  uint16_t e = d->field_enum[tag];
  if (e == 0) return 1;
  const oms__fix_enum_set_t *es = &d->enum_sets[e];
  if (v.len == 1 && (unsigned char)v.ptr[0] < 64) return (int)((es->lo >> v.ptr[0]) & 1);
  if (type != OMS__FIX_T_MULTIPLEVALUESTRING) return in_set(d, es, v.ptr, v.len);
  /* Space-separated values, each in the enumeration. */
  size_t i = 0;
  while (i <= v.len) {
    size_t j = i;
    while (j < v.len && v.ptr[j] != ' ') j++;
    if (!in_set(d, es, v.ptr + i, j - i)) return 0;
    i = j + 1;
  }
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Structure                                                                  */

static uint16_t find_sub(const oms_fix_dict_t *d, uint16_t ctx, uint32_t count_tag) {
  const oms__fix_ctx_t *c = &d->contexts[ctx];
  for (uint16_t i = 0; i < c->sub_n; i++) {
    uint16_t g = d->subgroups[c->sub_first + i];
    if (d->contexts[g].count_tag == count_tag) return g;
  }
  return 0;
}

static int required_ok(const oms_fix_dict_t *d, uint16_t ctx, const uint64_t *seen,
                       oms_fix_bad_field_t *bad) {
  const oms__fix_ctx_t *c = &d->contexts[ctx];
  for (uint16_t i = 0; i < c->req_n; i++) {
    uint16_t t = d->required[c->req_first + i];
    if (!has_bit(seen, t)) return fail(bad, t, OMS_FIX_SRR_REQUIRED_TAG_MISSING);
  }
  return 0;
}

/* Closes the innermost group: its last entry must be complete and the
 * entries must number NumInGroup. */
static int close_group(run_t *r, oms_fix_bad_field_t *bad) {
  level_t *l = &r->lv[r->depth];
  if (l->entries > 0) {
    int rc = required_ok(r->d, l->ctx, r->seen[r->depth], bad);
    if (rc) return rc;
  }
  if (l->entries != l->count) return fail(bad, l->count_tag, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP);
  r->depth--;
  return 0;
}

/* Finds the context of a level-0 tag and moves the phase. Returns the
 * context id, or -1 with *bad set. */
static int level0_ctx(const oms_fix_dict_t *d, uint16_t body, int *phase, uint32_t tag,
                      unsigned flags, oms_fix_bad_field_t *bad) {
  if (*phase == PH_HEADER) {
    if (allows(d, d->header_ctx, tag)) return d->header_ctx;
    *phase = PH_BODY;
  }
  int ordered = !(flags & OMS_FIX_DICT_NO_ORDER);
  if (*phase == PH_BODY) {
    if (allows(d, body, tag)) return body;
    if (allows(d, d->trailer_ctx, tag)) {
      *phase = PH_TRAILER;
      return d->trailer_ctx;
    }
  } else {
    if (allows(d, d->trailer_ctx, tag)) return d->trailer_ctx;
    if (allows(d, body, tag)) {
      if (ordered) return fail(bad, tag, OMS_FIX_SRR_TAG_OUT_OF_ORDER), -1;
      return body;
    }
  }
  if (allows(d, d->header_ctx, tag)) {
    if (ordered) return fail(bad, tag, OMS_FIX_SRR_TAG_OUT_OF_ORDER), -1;
    return d->header_ctx;
  }
  return fail(bad, tag, OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG), -1;
}

static const oms__fix_msg_def_t *find_msg(const oms_fix_dict_t *d, oms_fix_str_t t) {
  if (t.len == 0 || t.len > 2) return NULL;
  /* Sorted by (length, bytes): compare as one number. */
  uint32_t key = (uint32_t)t.len << 16 | (uint32_t)(unsigned char)t.ptr[0] << 8 |
                 (t.len > 1 ? (unsigned char)t.ptr[1] : 0u);
  size_t lo = 0, hi = d->nmessages;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const char *mt = d->messages[mid].type;
    size_t n = mt[1] ? 2 : 1;
    uint32_t k = (uint32_t)n << 16 | (uint32_t)(unsigned char)mt[0] << 8 |
                 (n > 1 ? (unsigned char)mt[1] : 0u);
    if (k == key) return &d->messages[mid];
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

int oms_fix_dict_validate(const oms_fix_dict_t *d, const oms_fix_msg_t *m, unsigned flags,
                          oms_fix_bad_field_t *bad) {
  if (!d || !m || !bad) return OMS_EINVAL;
  bad->tag = 0;
  bad->reason = 0;
  if (flags & OMS_FIX_DICT_OFF) return 0;
  if (m->msg_type.len > 0 && m->msg_type.ptr[0] == 'U') return 0; /* user-defined */
  const oms__fix_msg_def_t *md = find_msg(d, m->msg_type);
  if (!md) return fail(bad, OMS_FIX_TAG_MsgType, OMS_FIX_SRR_INVALID_MSG_TYPE);

  run_t r;
  r.d = d;
  r.depth = 0;
  clear_bits(r.seen[0]);
  int phase = PH_HEADER;
  /* The codec put 8, 9 and 35 first and 10 last. */
  size_t first = 3, last = m->nfields > 0 ? m->nfields - 1 : 0;
  for (size_t i = 0; i < m->nfields && i < first; i++)
    r.seen[0][m->fields[i].tag >> 6] |= UINT64_C(1) << (m->fields[i].tag & 63);
  r.seen[0][OMS_FIX_TAG_CheckSum >> 6] |= UINT64_C(1) << (OMS_FIX_TAG_CheckSum & 63);

  for (size_t i = first; i < last; i++) {
    uint32_t tag = m->fields[i].tag;
    uint8_t type = type_of(d, tag);
    if (type == OMS__FIX_T_NONE) {
      if ((flags & OMS_FIX_DICT_ALLOW_USER_TAGS) && tag >= USER_TAG_MIN && tag <= USER_TAG_MAX)
        continue;
      if ((flags & OMS_FIX_DICT_ALLOW_ALGO_TAGS) && tag >= BILATERAL_TAG_MIN &&
          tag <= BILATERAL_TAG_MAX)
        continue;
      return fail(bad, tag, OMS_FIX_SRR_INVALID_TAG);
    }
    /* Find the level the tag belongs to, closing the groups it ends. */
    while (r.depth > 0) {
      level_t *l = &r.lv[r.depth];
      if (tag == l->delim) {
        if (l->entries > 0) {
          int rc = required_ok(d, l->ctx, r.seen[r.depth], bad);
          if (rc) return rc;
        }
        if (l->entries == l->count)
          return fail(bad, l->count_tag, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP);
        l->entries++;
        clear_bits(r.seen[r.depth]);
        break;
      }
      if (allows(d, l->ctx, tag)) {
        if (l->entries == 0) return fail(bad, l->count_tag, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP);
        break;
      }
      int rc = close_group(&r, bad);
      if (rc) return rc;
    }
    uint16_t ctx;
    if (r.depth == 0) {
      int c = level0_ctx(d, md->ctx, &phase, tag, flags, bad);
      if (c < 0) return OMS_EPROTO;
      ctx = (uint16_t)c;
    } else {
      ctx = r.lv[r.depth].ctx;
    }
    uint64_t *seen = r.seen[r.depth];
    uint64_t bit = UINT64_C(1) << (tag & 63);
    if (seen[tag >> 6] & bit) return fail(bad, tag, OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE);
    seen[tag >> 6] |= bit;

    oms_fix_str_t v = oms_fix_msg_value(m, i);
    /* TargetStrategy leaves 1000 and above to the parties, and the
     * algorithms also take their names: their reader checks the value. */
    if ((flags & OMS_FIX_DICT_ALLOW_ALGO_TAGS) && tag == TARGET_STRATEGY) continue;
    if (!format_ok(type, v)) return fail(bad, tag, OMS_FIX_SRR_INCORRECT_DATA_FORMAT);
    int range = range_reason(type, v);
    if (range) return fail(bad, tag, range);
    if (!(flags & OMS_FIX_DICT_NO_ENUMS) && !enum_ok(d, tag, type, v))
      return fail(bad, tag, OMS_FIX_SRR_VALUE_INCORRECT);
    if (type == OMS__FIX_T_NUMINGROUP) {
      uint16_t g = find_sub(d, ctx, tag);
      int64_t n;
      if (g == 0) continue; /* a count field outside a group definition */
      if (oms_fix_str_to_int(v, &n) != 0) return fail(bad, tag, OMS_FIX_SRR_INCORRECT_DATA_FORMAT);
      if (n == 0) continue;
      if (r.depth == OMS__FIX_DICT_MAX_DEPTH)
        return fail(bad, tag, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP);
      level_t *l = &r.lv[++r.depth];
      l->ctx = g;
      l->count_tag = (uint16_t)tag;
      l->delim = d->contexts[g].delim;
      l->count = n;
      l->entries = 0;
    }
  }
  while (r.depth > 0) {
    int rc = close_group(&r, bad);
    if (rc) return rc;
  }
  int rc = required_ok(d, d->header_ctx, r.seen[0], bad);
  if (rc == 0) rc = required_ok(d, md->ctx, r.seen[0], bad);
  return rc;
}

int oms__fix_dict_may_repeat(uint32_t tag, int (*count_seen)(const void *ctx, uint32_t count_tag),
                             const void *ctx) {
  const oms_fix_dict_t *d = &oms__fix44_dict;
  if (tag > d->max_tag) return 0;
  for (uint16_t i = d->repeat_first[tag]; i < d->repeat_first[tag + 1]; i++)
    if (count_seen(ctx, d->repeat_counts[i])) return 1;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                    */

static const char *const type_names[] = {NULL,
#define TYPE_NAME(name) #name,
                                         OMS__FIX_TYPE_MAP(TYPE_NAME)
#undef TYPE_NAME
};

const char *oms_fix_srr_text(int reason) {
  switch (reason) {
    case OMS_FIX_SRR_INVALID_TAG: return "Invalid tag number";
    case OMS_FIX_SRR_REQUIRED_TAG_MISSING: return "Required tag missing";
    case OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG: return "Tag not defined for this message type";
    case OMS_FIX_SRR_UNDEFINED_TAG: return "Undefined tag";
    case OMS_FIX_SRR_TAG_WITHOUT_VALUE: return "Tag specified without a value";
    case OMS_FIX_SRR_VALUE_INCORRECT: return "Value is incorrect (out of range) for this tag";
    case OMS_FIX_SRR_INCORRECT_DATA_FORMAT: return "Incorrect data format for value";
    case OMS_FIX_SRR_COMPID_PROBLEM: return "CompID problem";
    case OMS_FIX_SRR_SENDING_TIME_ACCURACY: return "SendingTime accuracy problem";
    case OMS_FIX_SRR_INVALID_MSG_TYPE: return "Invalid MsgType";
    case OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE: return "Tag appears more than once";
    case OMS_FIX_SRR_TAG_OUT_OF_ORDER: return "Tag specified out of required order";
    case OMS_FIX_SRR_REPEATING_GROUP_ORDER: return "Repeating group fields out of order";
    case OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP:
      return "Incorrect NumInGroup count for repeating group";
    default: return "Other";
  }
}

const char *oms_fix_dict_field_name(const oms_fix_dict_t *d, uint32_t tag) {
  if (!d || type_of(d, tag) == OMS__FIX_T_NONE) return NULL;
  return d->names + d->name_off[tag] - 1;
}

const char *oms_fix_dict_field_type(const oms_fix_dict_t *d, uint32_t tag) {
  if (!d) return NULL;
  return type_names[type_of(d, tag)];
}

int oms_fix_dict_enum_ok(const oms_fix_dict_t *d, uint32_t tag, oms_fix_str_t value) {
  if (!d) return -1;
  uint8_t type = type_of(d, tag);
  if (type == OMS__FIX_T_NONE) return -1;
  return enum_ok(d, tag, type, value);
}

const char *oms_fix_dict_msg_name(const oms_fix_dict_t *d, oms_fix_str_t type) {
  if (!d || !type.ptr) return NULL;
  const oms__fix_msg_def_t *md = find_msg(d, type);
  return md ? d->message_names[md - d->messages] : NULL;
}

void oms_fix_dict_stats(const oms_fix_dict_t *d, oms_fix_dict_stats_t *out) {
  memset(out, 0, sizeof(*out));
  if (!d) return;
  out->fields = d->nfields;
  out->max_tag = d->max_tag;
  out->messages = d->nmessages;
  out->groups = d->ngroups;
  out->enum_fields = d->nenum_fields;
  size_t tags = (size_t)d->max_tag + 1;
  out->table_bytes = tags * (sizeof(d->field_type[0]) + sizeof(d->field_enum[0])) +
                     (d->nenum_sets + 1) * sizeof(oms__fix_enum_set_t) +
                     d->nenum_keys * sizeof(oms__fix_enum_key_t) +
                     d->ncontexts * d->words * sizeof(uint64_t) +
                     d->ncontexts * sizeof(oms__fix_ctx_t) + d->nrequired * sizeof(uint16_t) +
                     d->nsubgroups * sizeof(uint16_t) + d->nmessages * sizeof(oms__fix_msg_def_t);
}
