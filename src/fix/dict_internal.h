/*
 * dict_internal.h - the shape of a generated FIX data dictionary (the tables
 * of dict_fix44.c, written by tools/fixdict/gen_fix44.py), shared by the
 * generated file and the validator in dict.c. Not part of the public API.
 */
#ifndef OMS_FIX_DICT_INTERNAL_H
#define OMS_FIX_DICT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "oms/fix_dict.h"

/* Bounds the validator's stack state is sized for (the generator refuses a
 * dictionary beyond them): tags below 1024, groups nested 8 deep. */
#define OMS__FIX_DICT_MAX_WORDS 16
#define OMS__FIX_DICT_MAX_DEPTH 8

/* The dictionary's data types, in the generator's order (TYPES in
 * gen_fix44.py); 0 is "no such field". */
#define OMS__FIX_TYPE_MAP(XX) \
  XX(STRING)                  \
  XX(CHAR)                    \
  XX(INT)                     \
  XX(LENGTH)                  \
  XX(NUMINGROUP)              \
  XX(SEQNUM)                  \
  XX(TAGNUM)                  \
  XX(DAYOFMONTH)              \
  XX(FLOAT)                   \
  XX(QTY)                     \
  XX(PRICE)                   \
  XX(PRICEOFFSET)             \
  XX(AMT)                     \
  XX(PERCENTAGE)              \
  XX(BOOLEAN)                 \
  XX(UTCTIMESTAMP)            \
  XX(UTCTIMEONLY)             \
  XX(UTCDATEONLY)             \
  XX(LOCALMKTDATE)            \
  XX(MONTHYEAR)               \
  XX(MULTIPLEVALUESTRING)     \
  XX(EXCHANGE)                \
  XX(CURRENCY)                \
  XX(COUNTRY)                 \
  XX(DATA)

enum {
  OMS__FIX_T_NONE = 0,
#define OMS__FIX_T_ENUM(name) OMS__FIX_T_##name,
  OMS__FIX_TYPE_MAP(OMS__FIX_T_ENUM)
#undef OMS__FIX_T_ENUM
      OMS__FIX_T_COUNT
};

/* A field's enumeration: one-byte values as a 128-bit set (lo: bytes 0-63,
 * hi: 64-127), longer values as keys[first .. first + n), sorted. */
typedef struct oms__fix_enum_set_s {
  uint64_t lo, hi;
  uint16_t first, n;
} oms__fix_enum_set_t;

/* A value of 2..16 bytes, zero-padded, as two little-endian words. */
typedef struct oms__fix_enum_key_s {
  uint64_t a, b;
} oms__fix_enum_key_t;

/* A context: the header, the trailer, a message body or a repeating group.
 * The tags allowed directly in it are bitset row `index` of allowed[];
 * required[req_first .. +req_n) must be present (in a group: in every
 * entry); subgroups[sub_first .. +sub_n) are the context ids of the groups
 * it contains. count_tag and delim are 0 except for groups. */
typedef struct oms__fix_ctx_s {
  uint16_t count_tag;
  uint16_t delim;
  uint16_t req_first, req_n;
  uint16_t sub_first, sub_n;
} oms__fix_ctx_t;

typedef struct oms__fix_msg_def_s {
  char type[3]; /* MsgType, NUL-terminated */
  uint16_t ctx; /* its body context */
  uint8_t admin;
} oms__fix_msg_def_t;

struct oms_fix_dict_s {
  const char *name;
  uint32_t max_tag;
  uint32_t words; /* uint64 words per allowed[] row */
  const uint8_t *field_type;
  const uint16_t *field_enum;
  /* The count tags of the groups tag is a member of:
   * repeat_counts[repeat_first[tag] .. repeat_first[tag + 1]). */
  const uint16_t *repeat_first; /* max_tag + 2 entries */
  const uint16_t *repeat_counts;
  const char *names;
  const uint32_t *name_off; /* 1 + offset into names; 0: no field */
  const oms__fix_enum_set_t *enum_sets;
  const oms__fix_enum_key_t *enum_keys;
  const uint64_t *allowed; /* ncontexts rows of `words` words */
  const uint16_t *required;
  const uint16_t *subgroups;
  const oms__fix_ctx_t *contexts;
  size_t ncontexts;
  const oms__fix_msg_def_t *messages; /* sorted by (length, MsgType) */
  const char *const *message_names;
  size_t nmessages;
  size_t nfields;
  size_t ngroups;
  size_t nenum_fields;
  size_t nenum_sets; /* not counting the empty set 0 */
  size_t nenum_keys;
  size_t nrequired;
  size_t nsubgroups;
  int max_depth; /* deepest nesting of groups */
  uint16_t header_ctx;
  uint16_t trailer_ctx;
};

extern const oms_fix_dict_t oms__fix44_dict;

/* 1 when tag, already seen in a message, may appear again there because it
 * belongs to a FIX 4.4 repeating group whose count tag the message holds:
 * count_seen(ctx, count_tag) says whether it does. The codec's duplicate
 * check asks this before refusing a repeated tag. */
int oms__fix_dict_may_repeat(uint32_t tag, int (*count_seen)(const void *ctx, uint32_t count_tag),
                             const void *ctx);

#endif /* OMS_FIX_DICT_INTERNAL_H */
