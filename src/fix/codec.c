/*
 * codec.c - framing and parsing of FIX 4.4 tag=value messages.
 *
 * NOTES ON THE DESIGN
 *
 * A message on the wire is
 *
 *     8=FIX.4.4|9=<BodyLength>|35=<MsgType>|...body...|10=<ddd>|
 *
 * where BodyLength counts the bytes after the SOH that ends field 9 up to and
 * including the SOH before "10=", and CheckSum is the byte sum of everything
 * before "10=" modulo 256, written with three digits.
 *
 * Parsing is done in two passes over the caller's bytes, without copying:
 *
 *   1. framing: check the "8=FIX.4.4|9=" prefix, read BodyLength (leading
 *      zeros allowed, as jspurefix writes them), check that "10=ddd|" sits
 *      exactly where BodyLength says and that the checksum matches. Until the
 *      whole frame is there the answer is OMS_EAGAIN; the frame is bounded by
 *      the size cap, so a peer cannot make us wait for (or buffer) more.
 *   2. fields: split the body into (tag, offset, length) triples. Length-
 *      prefixed data fields (RawData 96 after RawDataLength 95, ...) may hold
 *      SOH and are cut by their length field.
 *
 * An error in pass 1 means the bytes cannot be trusted: the caller drops a
 * prefix (up to the next "8=FIX.4.4|" candidate) and never answers. So does
 * a verified frame whose third field is not MsgType (FIX: garbled). An error
 * in pass 2 happens inside a verified frame: the caller drops the frame and
 * the session answers with Reject(3), so the error carries the MsgSeqNum and
 * MsgType found by a lenient scan.
 *
 * Pass 2 also checks that the standard header's fields come first and the
 * trailer's (SignatureLength, Signature) last: a field out of its part is
 * SessionRejectReason 14.
 *
 * Duplicate tags are found with a bitmap for tags below DUP_BITMAP_TAGS and a
 * scan of the (few) larger tags already seen. A tag may repeat when it is a
 * member of the order-entry groups (group.c), or of a FIX 4.4 repeating group
 * whose count tag the message already holds (the dictionary's tables, see
 * dict.c, which then checks the entries themselves).
 */
#include <stdio.h>
#include <string.h>

#include "fix/dict_internal.h"
#include "fix/fix_internal.h"
#include "oms/error.h"
#include "oms/fix.h"

#define PREFIX "8=FIX.4.4\0019="
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define BEGIN_LEN 10  /* "8=FIX.4.4|" */
#define TRAILER_LEN 7 /* "10=ddd|" */
#define MAX_LEN_DIGITS 10
#define MAX_TAG_DIGITS 9
#define DUP_BITMAP_TAGS 2048

static const struct {
  const char *name;
  const char *desc;
} perr_text[] = {
#define PERR_TEXT(name, num, msg) [num] = {#name, msg},
    OMS_FIX_PERR_MAP(PERR_TEXT)
#undef PERR_TEXT
};

const char *oms_fix_perr_name(oms_fix_perr_t kind) {
  if ((unsigned)kind >= sizeof(perr_text) / sizeof(perr_text[0])) return "UNKNOWN";
  return perr_text[kind].name;
}

const char *oms_fix_perr_desc(oms_fix_perr_t kind) {
  if ((unsigned)kind >= sizeof(perr_text) / sizeof(perr_text[0])) return "unknown parse error";
  return perr_text[kind].desc;
}

int oms_fix_perr_reject_reason(oms_fix_perr_t kind) {
  switch (kind) {
    case OMS_FIX_PERR_MISSING_MSG_TYPE: return OMS_FIX_SRR_REQUIRED_TAG_MISSING;
    case OMS_FIX_PERR_BAD_TAG: return OMS_FIX_SRR_INVALID_TAG;
    case OMS_FIX_PERR_EMPTY_VALUE: return OMS_FIX_SRR_TAG_WITHOUT_VALUE;
    case OMS_FIX_PERR_DUPLICATE_TAG: return OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE;
    case OMS_FIX_PERR_BAD_DATA_LENGTH: return OMS_FIX_SRR_INCORRECT_DATA_FORMAT;
    case OMS_FIX_PERR_OUT_OF_ORDER: return OMS_FIX_SRR_TAG_OUT_OF_ORDER;
    default: return OMS_FIX_SRR_OTHER;
  }
}

oms_fix_str_t oms_fix_str(const char *s) {
  oms_fix_str_t v = {s, s ? strlen(s) : 0};
  return v;
}

int oms_fix_str_eq(oms_fix_str_t s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && (n == 0 || memcmp(s.ptr, lit, n) == 0);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Offset of the next place where a message could start, at or after 1: a
 * full "8=FIX.4.4|" or, at the end of the buffer, a prefix of it. */
static size_t resync(const char *buf, size_t len) {
  for (size_t i = 1; i < len; i++) {
    if (buf[i] != '8') continue;
    size_t avail = len - i < BEGIN_LEN ? len - i : BEGIN_LEN;
    if (memcmp(buf + i, PREFIX, avail) == 0) return i;
  }
  return len;
}

/* Value of "<SOH>tag=" in a verified frame, by plain search; used only to
 * reference a message that failed the strict field pass. */
static oms_fix_str_t lenient_find(const char *buf, size_t len, uint32_t tag) {
  oms_fix_str_t out = {NULL, 0};
  char key[16];
  size_t klen = (size_t)snprintf(key, sizeof(key), "%c%u=", OMS_FIX_SOH, (unsigned)tag);
  for (size_t i = 0; i + klen <= len; i++) {
    if (memcmp(buf + i, key, klen) != 0) continue;
    size_t v = i + klen, e = v;
    while (e < len && buf[e] != OMS_FIX_SOH) e++;
    out.ptr = buf + v;
    out.len = e - v;
    return out;
  }
  return out;
}

static int framing_error(oms_fix_perror_t *err, oms_fix_perr_t kind, size_t *consumed,
                         size_t skip) {
  err->kind = kind;
  *consumed = skip;
  return OMS_EPROTO;
}

static int content_error(oms_fix_perror_t *err, oms_fix_perr_t kind, uint32_t tag, const char *buf,
                         size_t total, size_t *consumed) {
  err->kind = kind;
  err->tag = tag;
  err->framed = 1;
  int64_t seq = 0;
  if (oms_fix_str_to_int(lenient_find(buf, total, OMS_FIX_TAG_MsgSeqNum), &seq) != 0 || seq < 0)
    seq = 0;
  err->ref_seq_num = seq;
  oms_fix_str_t mt = lenient_find(buf, total, OMS_FIX_TAG_MsgType);
  if (mt.len == 0) mt.ptr = NULL;
  err->ref_msg_type = mt;
  *consumed = total;
  return OMS_EPROTO;
}

/* The data tag whose length is given by length_tag, or 0. */
static uint32_t data_tag_for(uint32_t length_tag) {
  switch (length_tag) {
    case OMS_FIX_TAG_SecureDataLen: return OMS_FIX_TAG_SecureData;
    case OMS_FIX_TAG_SignatureLength: return OMS_FIX_TAG_Signature;
    case OMS_FIX_TAG_RawDataLength: return OMS_FIX_TAG_RawData;
    case OMS_FIX_TAG_XmlDataLen: return OMS_FIX_TAG_XmlData;
    case OMS_FIX_TAG_EncodedIssuerLen: return OMS_FIX_TAG_EncodedIssuer;
    case OMS_FIX_TAG_EncodedSecurityDescLen: return OMS_FIX_TAG_EncodedSecurityDesc;
    case OMS_FIX_TAG_EncodedListExecInstLen: return OMS_FIX_TAG_EncodedListExecInst;
    case OMS_FIX_TAG_EncodedTextLen: return OMS_FIX_TAG_EncodedText;
    case OMS_FIX_TAG_EncodedListStatusTextLen: return OMS_FIX_TAG_EncodedListStatusText;
    case OMS_FIX_TAG_EncodedLegIssuerLen: return OMS_FIX_TAG_EncodedLegIssuer;
    case OMS_FIX_TAG_EncodedLegSecurityDescLen: return OMS_FIX_TAG_EncodedLegSecurityDesc;
    default: return 0;
  }
}

/* Where a tag belongs: the standard header (FIX 4.4 StandardHeader, 8, 9
 * and 35 excepted: the frame checks those), the body, or the trailer before
 * CheckSum. FIX requires header, body, trailer in that order (373=14). A
 * table, not a switch: it is read for every field of every message. */
enum { PART_HEADER = 1, PART_BODY = 2, PART_TRAILER = 3 };
#define PART_TAGS 640 /* above every header and trailer tag */

static const uint8_t part_tab[PART_TAGS] = {
    [OMS_FIX_TAG_SenderCompID] = PART_HEADER,
    [OMS_FIX_TAG_TargetCompID] = PART_HEADER,
    [OMS_FIX_TAG_OnBehalfOfCompID] = PART_HEADER,
    [OMS_FIX_TAG_DeliverToCompID] = PART_HEADER,
    [OMS_FIX_TAG_SecureDataLen] = PART_HEADER,
    [OMS_FIX_TAG_SecureData] = PART_HEADER,
    [OMS_FIX_TAG_MsgSeqNum] = PART_HEADER,
    [OMS_FIX_TAG_SenderSubID] = PART_HEADER,
    [OMS_FIX_TAG_SenderLocationID] = PART_HEADER,
    [OMS_FIX_TAG_TargetSubID] = PART_HEADER,
    [OMS_FIX_TAG_TargetLocationID] = PART_HEADER,
    [OMS_FIX_TAG_OnBehalfOfSubID] = PART_HEADER,
    [OMS_FIX_TAG_OnBehalfOfLocationID] = PART_HEADER,
    [OMS_FIX_TAG_DeliverToSubID] = PART_HEADER,
    [OMS_FIX_TAG_DeliverToLocationID] = PART_HEADER,
    [OMS_FIX_TAG_PossDupFlag] = PART_HEADER,
    [OMS_FIX_TAG_PossResend] = PART_HEADER,
    [OMS_FIX_TAG_SendingTime] = PART_HEADER,
    [OMS_FIX_TAG_OrigSendingTime] = PART_HEADER,
    [OMS_FIX_TAG_XmlDataLen] = PART_HEADER,
    [OMS_FIX_TAG_XmlData] = PART_HEADER,
    [OMS_FIX_TAG_MessageEncoding] = PART_HEADER,
    [OMS_FIX_TAG_LastMsgSeqNumProcessed] = PART_HEADER,
    [OMS_FIX_TAG_NoHops] = PART_HEADER,
    [OMS_FIX_TAG_HopCompID] = PART_HEADER,
    [OMS_FIX_TAG_HopSendingTime] = PART_HEADER,
    [OMS_FIX_TAG_HopRefID] = PART_HEADER,
    [OMS_FIX_TAG_SignatureLength] = PART_TRAILER,
    [OMS_FIX_TAG_Signature] = PART_TRAILER,
};

static inline int part_of(uint32_t tag) {
  return tag < PART_TAGS && part_tab[tag] ? part_tab[tag] : PART_BODY;
}

typedef struct dupset_s {
  uint8_t bits[DUP_BITMAP_TAGS / 8];
} dupset_t;

static inline void dup_mark(dupset_t *d, uint32_t tag) {
  d->bits[tag >> 3] |= (uint8_t)(1u << (tag & 7));
}

static int count_seen(const void *ctx, uint32_t count_tag) {
  const dupset_t *d = ctx;
  return count_tag < DUP_BITMAP_TAGS && ((d->bits[count_tag >> 3] >> (count_tag & 7)) & 1);
}

/* 1 when tag was already seen and may not repeat: it is neither a member of
 * the order-entry groups nor of a FIX 4.4 group whose count tag came. */
static int seen_before(dupset_t *d, const oms_fix_msg_t *m, uint32_t tag) {
  int again = 0;
  if (tag < DUP_BITMAP_TAGS) {
    uint8_t bit = (uint8_t)(1u << (tag & 7));
    again = (d->bits[tag >> 3] & bit) != 0;
    d->bits[tag >> 3] |= bit;
  } else {
    for (size_t i = 0; i < m->nfields && !again; i++) again = m->fields[i].tag == tag;
  }
  return again && !oms__fix_group_member(tag) && !oms__fix_dict_may_repeat(tag, count_seen, d);
}

int oms_fix_parse(const char *buf, size_t len, const oms_fix_limits_t *lim, oms_fix_msg_t *msg,
                  size_t *consumed, oms_fix_perror_t *err) {
  oms_fix_perror_t scratch;
  if (!buf || !msg || !consumed) return OMS_EINVAL;
  *consumed = 0;
  if (!err) err = &scratch;
  memset(err, 0, sizeof(*err));

  size_t max_len = OMS_FIX_DEFAULT_MAX_MSG_LEN, max_fields = OMS_FIX_MAX_FIELDS;
  if (lim && lim->max_msg_len) max_len = lim->max_msg_len;
  if (max_len > OMS_FIX_MAX_MSG_LEN_LIMIT) max_len = OMS_FIX_MAX_MSG_LEN_LIMIT;
  if (lim && lim->max_fields && lim->max_fields < max_fields) max_fields = lim->max_fields;
  bool any_order = lim != NULL && lim->any_order;

  /* Pass 1: framing. */
  size_t avail = len < PREFIX_LEN ? len : PREFIX_LEN;
  if (memcmp(buf, PREFIX, avail) != 0) {
    int is_begin = avail >= 2 && buf[0] == '8' && buf[1] == '=';
    if (is_begin && avail > BEGIN_LEN && memcmp(buf, PREFIX, BEGIN_LEN) == 0) {
      return framing_error(err, OMS_FIX_PERR_BODY_LENGTH, consumed, resync(buf, len));
    }
    return framing_error(err, is_begin ? OMS_FIX_PERR_BEGIN_STRING : OMS_FIX_PERR_GARBAGE, consumed,
                         resync(buf, len));
  }
  if (len < PREFIX_LEN) return OMS_EAGAIN;

  size_t pos = PREFIX_LEN;
  size_t body_len = 0;
  while (pos < len && is_digit(buf[pos]) && pos - PREFIX_LEN < MAX_LEN_DIGITS) {
    body_len = body_len * 10 + (size_t)(buf[pos] - '0');
    pos++;
  }
  if (pos == len) return OMS_EAGAIN;
  if (pos == PREFIX_LEN || buf[pos] != OMS_FIX_SOH || body_len == 0) {
    return framing_error(err, OMS_FIX_PERR_BODY_LENGTH, consumed, resync(buf, len));
  }
  size_t body_start = pos + 1;
  if (body_len > max_len || body_start + body_len + TRAILER_LEN > max_len) {
    return framing_error(err, OMS_FIX_PERR_TOO_LARGE, consumed, resync(buf, len));
  }
  size_t body_end = body_start + body_len;
  size_t total = body_end + TRAILER_LEN;

  /* Look at the trailer as soon as its bytes arrive, so a wrong BodyLength
   * is reported without waiting for bytes that may never come. */
  if (len > body_end) {
    size_t n = len - body_end < 3 ? len - body_end : 3;
    if (buf[body_end - 1] != OMS_FIX_SOH || memcmp(buf + body_end, "10=", n) != 0) {
      return framing_error(err, OMS_FIX_PERR_BODY_LENGTH, consumed, resync(buf, len));
    }
    for (size_t i = body_end + 3; i < len && i < body_end + 6; i++) {
      if (!is_digit(buf[i]))
        return framing_error(err, OMS_FIX_PERR_CHECKSUM, consumed, resync(buf, len));
    }
  }
  if (len < total) return OMS_EAGAIN;
  if (buf[total - 1] != OMS_FIX_SOH) {
    return framing_error(err, OMS_FIX_PERR_CHECKSUM, consumed, resync(buf, len));
  }
  unsigned sum = 0;
  for (size_t i = 0; i < body_end; i++) sum += (unsigned char)buf[i];
  unsigned want = (unsigned)((buf[body_end + 3] - '0') * 100 + (buf[body_end + 4] - '0') * 10 +
                             (buf[body_end + 5] - '0'));
  if ((sum & 0xFF) != want) {
    /* The frame boundaries were verified, only its content is corrupt. */
    return framing_error(err, OMS_FIX_PERR_CHECKSUM, consumed, total);
  }

  /* Pass 2: fields. */
  msg->buf = buf;
  msg->len = total;
  msg->nfields = 0;
  msg->msg_type.ptr = NULL;
  msg->msg_type.len = 0;
  if (max_fields < 3)
    return content_error(err, OMS_FIX_PERR_TOO_MANY_FIELDS, 0, buf, total, consumed);
  msg->fields[0] = (oms_fix_field_t){OMS_FIX_TAG_BeginString, 2, 7};
  msg->fields[1] = (oms_fix_field_t){OMS_FIX_TAG_BodyLength, (uint32_t)PREFIX_LEN,
                                     (uint32_t)(body_start - 1 - PREFIX_LEN)};
  msg->nfields = 2;

  dupset_t seen;
  memset(&seen, 0, sizeof(seen));
  /* BeginString, BodyLength and CheckSum belong to the frame. */
  dup_mark(&seen, OMS_FIX_TAG_BeginString);
  dup_mark(&seen, OMS_FIX_TAG_BodyLength);
  dup_mark(&seen, OMS_FIX_TAG_CheckSum);
  uint32_t prev_tag = 0;
  int64_t prev_int = -1;
  int at = PART_HEADER; /* the part of the message the fields have reached */
  pos = body_start;
  while (pos < body_end) {
    uint32_t tag = 0;
    size_t t0 = pos;
    while (pos < body_end && is_digit(buf[pos]) && pos - t0 < MAX_TAG_DIGITS) {
      tag = tag * 10 + (uint32_t)(buf[pos] - '0');
      pos++;
    }
    if (pos == t0 || pos >= body_end || buf[pos] != '=' || buf[t0] == '0') {
      return content_error(err, OMS_FIX_PERR_BAD_TAG, tag, buf, total, consumed);
    }
    size_t v0 = ++pos;
    if (prev_tag && data_tag_for(prev_tag) == tag && prev_int >= 0) {
      /* Data fields are cut by their length field: they may contain SOH. */
      if ((uint64_t)prev_int > body_end - v0 || v0 + (size_t)prev_int >= body_end ||
          buf[v0 + (size_t)prev_int] != OMS_FIX_SOH) {
        return content_error(err, OMS_FIX_PERR_BAD_DATA_LENGTH, tag, buf, total, consumed);
      }
      pos = v0 + (size_t)prev_int;
    } else {
      while (buf[pos] != OMS_FIX_SOH) pos++; /* body ends with SOH: checked above */
    }
    if (pos == v0) return content_error(err, OMS_FIX_PERR_EMPTY_VALUE, tag, buf, total, consumed);
    if (msg->nfields == 2 && tag != OMS_FIX_TAG_MsgType) {
      /* FIX calls a message garbled unless 8, 9, 35 open it: dropped
       * unanswered, so its MsgSeqNum stays free for the resend. */
      err->tag = OMS_FIX_TAG_MsgType;
      return framing_error(err, OMS_FIX_PERR_MISSING_MSG_TYPE, consumed, total);
    }
    int part = msg->nfields == 2 ? PART_HEADER : part_of(tag);
    if (part < at && !any_order) {
      return content_error(err, OMS_FIX_PERR_OUT_OF_ORDER, tag, buf, total, consumed);
    }
    at = part;
    if (seen_before(&seen, msg, tag)) {
      return content_error(err, OMS_FIX_PERR_DUPLICATE_TAG, tag, buf, total, consumed);
    }
    if (msg->nfields + 1 >= max_fields) {
      return content_error(err, OMS_FIX_PERR_TOO_MANY_FIELDS, tag, buf, total, consumed);
    }
    msg->fields[msg->nfields++] = (oms_fix_field_t){tag, (uint32_t)v0, (uint32_t)(pos - v0)};
    prev_tag = tag;
    oms_fix_str_t v = {buf + v0, pos - v0};
    if (data_tag_for(tag) == 0 || oms_fix_str_to_int(v, &prev_int) != 0) prev_int = -1;
    pos++;
  }
  /* The body ends with SOH and its first field was checked to be 35, so at
   * least one field was read. */
  msg->fields[msg->nfields++] =
      (oms_fix_field_t){OMS_FIX_TAG_CheckSum, (uint32_t)(body_end + 3), 3};
  msg->msg_type = oms_fix_msg_value(msg, 2);
  *consumed = total;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                  */

int oms_fix_msg_is(const oms_fix_msg_t *m, const char *type) {
  return oms_fix_str_eq(m->msg_type, type);
}

int oms_fix_msg_find(const oms_fix_msg_t *m, uint32_t tag, size_t from, size_t *idx) {
  for (size_t i = from; i < m->nfields; i++) {
    if (m->fields[i].tag == tag) {
      *idx = i;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

int oms_fix_msg_get_str(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out) {
  size_t i;
  int rc = oms_fix_msg_find(m, tag, 0, &i);
  if (rc != 0) return rc;
  *out = oms_fix_msg_value(m, i);
  return 0;
}

oms_fix_route_t oms_fix_route_of(const oms_fix_msg_t *m) {
  oms_fix_route_t r = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_OnBehalfOfCompID, &r.comp_id);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_OnBehalfOfSubID, &r.sub_id);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_OnBehalfOfLocationID, &r.location_id);
  return r;
}

/* The typed getters: the first occurrence of tag, converted. */
#define TYPED_GETTER(name, type)                                                \
  int oms_fix_msg_get_##name(const oms_fix_msg_t *m, uint32_t tag, type *out) { \
    oms_fix_str_t s;                                                            \
    int rc = oms_fix_msg_get_str(m, tag, &s);                                   \
    return rc != 0 ? rc : oms_fix_str_to_##name(s, out);                        \
  }
TYPED_GETTER(int, int64_t)
TYPED_GETTER(char, char)
TYPED_GETTER(bool, int)
#undef TYPED_GETTER

int oms_fix_msg_get_decimal(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out) {
  oms_fix_str_t s;
  int rc = oms_fix_msg_get_str(m, tag, &s);
  if (rc == 0) rc = oms_fix_str_check_decimal(s);
  if (rc == 0) *out = s;
  return rc;
}

int oms_fix_msg_get_time(const oms_fix_msg_t *m, uint32_t tag, int64_t *out) {
  oms_fix_str_t s;
  int rc = oms_fix_msg_get_str(m, tag, &s);
  return rc != 0 ? rc : oms_fix_str_to_time(s, out);
}

int oms_fix_str_to_int(oms_fix_str_t s, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (s.len == 0) return OMS_ESYNTAX;
  if (s.ptr[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (i == s.len) return OMS_ESYNTAX;
  uint64_t v = 0;
  const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < s.len; i++) {
    if (!is_digit(s.ptr[i])) return OMS_ESYNTAX;
    uint64_t d = (uint64_t)(s.ptr[i] - '0');
    if (v > (lim - d) / 10) return OMS_EOVERFLOW;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int oms_fix_str_to_char(oms_fix_str_t s, char *out) {
  if (s.len != 1) return OMS_ESYNTAX;
  *out = s.ptr[0];
  return 0;
}

int oms_fix_str_to_bool(oms_fix_str_t s, int *out) {
  char c;
  if (oms_fix_str_to_char(s, &c) != 0 || (c != 'Y' && c != 'N')) return OMS_ESYNTAX;
  *out = c == 'Y';
  return 0;
}

int oms_fix_str_check_decimal(oms_fix_str_t s) {
  size_t i = 0, digits = 0;
  if (s.len > 0 && s.ptr[0] == '-') i = 1;
  for (; i < s.len && is_digit(s.ptr[i]); i++) digits++;
  if (i < s.len && s.ptr[i] == '.') {
    for (i++; i < s.len && is_digit(s.ptr[i]); i++) digits++;
  }
  return digits > 0 && i == s.len ? 0 : OMS_ESYNTAX;
}

/* ------------------------------------------------------------------------ */
/* UTCTimestamp                                                               */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int digits_at(const char *p, size_t n, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(p[i])) return -1;
    v = v * 10 + (unsigned)(p[i] - '0');
  }
  *out = v;
  return 0;
}

int oms_fix_str_to_time(oms_fix_str_t s, int64_t *out_ns) {
  static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const char *p = s.ptr;
  unsigned y, mo, d, h, mi, se, frac = 0;
  if (s.len != 17 && s.len != 21 && s.len != 24 && s.len != 27) return OMS_ESYNTAX;
  if (digits_at(p, 4, &y) || digits_at(p + 4, 2, &mo) || digits_at(p + 6, 2, &d) || p[8] != '-' ||
      digits_at(p + 9, 2, &h) || p[11] != ':' || digits_at(p + 12, 2, &mi) || p[14] != ':' ||
      digits_at(p + 15, 2, &se)) {
    return OMS_ESYNTAX;
  }
  size_t fdigits = s.len > 17 ? s.len - 18 : 0;
  if (fdigits) {
    if (p[17] != '.' || digits_at(p + 18, fdigits, &frac)) return OMS_ESYNTAX;
    for (size_t i = fdigits; i < 9; i++) frac *= 10;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60) {
    return OMS_ESYNTAX;
  }
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return OMS_ESYNTAX;
  /* int64 nanoseconds end in April 2262. */
  if (y < 1970 || y > 2261) return OMS_EOVERFLOW;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  *out_ns = secs * 1000000000 + frac;
  return 0;
}

int oms_fix_format_time(int64_t ns, char out[OMS_FIX_TIME_LEN + 1]) {
  if (ns < 0) return OMS_EINVAL;
  int64_t secs = ns / 1000000000;
  unsigned ms = (unsigned)(ns % 1000000000 / 1000000);
  int64_t days = secs / 86400;
  unsigned sod = (unsigned)(secs % 86400);
  int y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  /* Written by hand rather than snprintf: this runs for every outbound
   * message. */
  char *p = out;
  p[0] = (char)('0' + y / 1000);
  p[1] = (char)('0' + y / 100 % 10);
  p[2] = (char)('0' + y / 10 % 10);
  p[3] = (char)('0' + y % 10);
  p[4] = (char)('0' + m / 10);
  p[5] = (char)('0' + m % 10);
  p[6] = (char)('0' + d / 10);
  p[7] = (char)('0' + d % 10);
  p[8] = '-';
  unsigned h = sod / 3600, mi = sod / 60 % 60, se = sod % 60;
  p[9] = (char)('0' + h / 10);
  p[10] = (char)('0' + h % 10);
  p[11] = ':';
  p[12] = (char)('0' + mi / 10);
  p[13] = (char)('0' + mi % 10);
  p[14] = ':';
  p[15] = (char)('0' + se / 10);
  p[16] = (char)('0' + se % 10);
  p[17] = '.';
  p[18] = (char)('0' + ms / 100);
  p[19] = (char)('0' + ms / 10 % 10);
  p[20] = (char)('0' + ms % 10);
  p[21] = '\0';
  return 0;
}
