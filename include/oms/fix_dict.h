/*
 * fix_dict.h - validation of inbound FIX messages against a data dictionary
 * (FIX 4.4, generated into C tables at development time: no XML is read at
 * run time).
 *
 * oms_fix_dict_validate() checks a parsed message the way FIX defines
 * session-level rejects, and names the first problem as the RefTagID(371)
 * and SessionRejectReason(373) of the Reject(3) to send:
 *
 *   0  invalid tag number              a tag the dictionary does not define
 *   1  required tag missing            in the header, the body or a group entry
 *   2  tag not defined for this message type
 *   5  value is incorrect for this tag outside the field's enumeration
 *   6  incorrect data format for value not of the field's type
 *   13 tag appears more than once      in the message or in one group entry
 *   14 tag specified out of required order
 *                                      a header field after the body, a body
 *                                      field after the trailer
 *   16 incorrect NumInGroup count      entries do not match the count
 *
 * The checks are table lookups (dense arrays indexed by tag, one bitset of
 * allowed tags per message type and per repeating group): no allocation, no
 * string compare, one pass over the fields.
 */
#ifndef OMS_FIX_DICT_H
#define OMS_FIX_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "oms/common.h"
#include "oms/fix.h"

OMS_BEGIN_DECLS

typedef struct oms_fix_dict_s oms_fix_dict_t;

/* The FIX 4.4 dictionary (QuickFIX's FIX44.xml as jspurefix ships it). A
 * static table: never freed, shared by every session. */
OMS_EXTERN const oms_fix_dict_t *oms_fix_dict_fix44(void);

/* What to check: 0 is everything. A venue's dialect turns parts off. */
enum {
  OMS_FIX_DICT_OFF = 1u << 0,             /* validate nothing */
  OMS_FIX_DICT_ALLOW_USER_TAGS = 1u << 1, /* accept unknown tags 5000-9999 */
  OMS_FIX_DICT_NO_ENUMS = 1u << 2,        /* accept values outside enumerations */
  OMS_FIX_DICT_NO_ORDER = 1u << 3,        /* accept header/body/trailer out of order */
  /* accept unknown tags 20000-39999, the range FIX leaves to two parties
   * (the parent orders' parameters, include/oms/algo.h), and any value of
   * TargetStrategy(847) (1000 and above, or a name) */
  OMS_FIX_DICT_ALLOW_ALGO_TAGS = 1u << 4
};

/* Checks message m against dictionary d. Returns 0 when it is valid (or
 * flags has OMS_FIX_DICT_OFF, or its MsgType is user-defined, "U..."),
 * OMS_EPROTO with *bad naming the first offending tag and the
 * SessionRejectReason (OMS_FIX_SRR_*), or OMS_EINVAL for a NULL argument.
 * A MsgType the dictionary does not define is OMS_FIX_SRR_INVALID_MSG_TYPE
 * on tag 35. */
OMS_EXTERN int oms_fix_dict_validate(const oms_fix_dict_t *d, const oms_fix_msg_t *m,
                                     unsigned flags, oms_fix_bad_field_t *bad);

/* FIX's text for a SessionRejectReason(373) ("Required tag missing"), for
 * the Text(58) of a Reject; "Other" for a reason FIX does not name. */
OMS_EXTERN const char *oms_fix_srr_text(int reason);

/* The dictionary's name of tag ("ClOrdID") or NULL for a tag it does not
 * define. */
OMS_EXTERN const char *oms_fix_dict_field_name(const oms_fix_dict_t *d, uint32_t tag);
/* The dictionary's data type of tag ("STRING", "QTY", ...) or NULL. */
OMS_EXTERN const char *oms_fix_dict_field_type(const oms_fix_dict_t *d, uint32_t tag);
/* 1 when value is in the enumeration of tag (or the field has none), 0
 * when it is not, -1 for a tag the dictionary does not define. */
OMS_EXTERN int oms_fix_dict_enum_ok(const oms_fix_dict_t *d, uint32_t tag, oms_fix_str_t value);
/* The message name of a MsgType ("NewOrderSingle" for "D"), or NULL. */
OMS_EXTERN const char *oms_fix_dict_msg_name(const oms_fix_dict_t *d, oms_fix_str_t type);

/* Sizes of a dictionary, for logs and documentation. */
typedef struct oms_fix_dict_stats_s {
  size_t fields;      /* defined tags */
  uint32_t max_tag;   /* the largest */
  size_t messages;    /* message types */
  size_t groups;      /* distinct repeating groups */
  size_t enum_fields; /* fields with an enumeration */
  size_t table_bytes; /* bytes of the generated tables used by validation */
} oms_fix_dict_stats_t;

OMS_EXTERN void oms_fix_dict_stats(const oms_fix_dict_t *d, oms_fix_dict_stats_t *out);

OMS_END_DECLS

#endif /* OMS_FIX_DICT_H */
