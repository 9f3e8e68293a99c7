/*
 * fix.h - FIX 4.4 tag=value codec: framing and parsing of inbound messages,
 * a builder for outbound messages, and the order-entry application messages
 * (readers for D/F/G/H/q, builders for 8/9/r/j).
 *
 * The codec allocates nothing. A parsed message (oms_fix_msg_t) is a fixed
 * array of (tag, offset, length) triples pointing into the caller's buffer, so
 * it is valid only while that buffer is unchanged. The builder writes into a
 * caller buffer and reports overflow as OMS_ENOSPC.
 *
 * This layer knows FIX, not the order engine: values stay FIX values (chars,
 * decimal strings); the daemon maps them to engine types. The session layer
 * (Logon, sequence numbers, resend) is in fix_session.h. Tags and MsgTypes
 * are written with the constants of fix_tags.h (OMS_FIX_TAG_ClOrdID,
 * OMS_FIX_MSG_NewOrderSingle), never as numbers.
 */
#ifndef OMS_FIX_H
#define OMS_FIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oms/common.h"
#include "oms/fix_tags.h"

OMS_BEGIN_DECLS

#define OMS_FIX_SOH '\001'
#define OMS_FIX_BEGIN_STRING "FIX.4.4"

/* Hard capacity of a parsed message; oms_fix_limits_t may lower it. */
#define OMS_FIX_MAX_FIELDS 256
/* Default cap on one whole message (8=... through 10=xxx|). */
#define OMS_FIX_DEFAULT_MAX_MSG_LEN 8192
/* Largest cap accepted: field offsets are 32-bit. */
#define OMS_FIX_MAX_MSG_LEN_LIMIT (16u * 1024u * 1024u)
/* "YYYYMMDD-HH:MM:SS.sss": the UTCTimestamp we write (millisecond precision). */
#define OMS_FIX_TIME_LEN 21

/* A view of bytes owned by someone else (the parsed buffer, or the caller for
 * a builder input). Not NUL-terminated. {NULL, 0} means "absent". */
typedef struct oms_fix_str_s {
  const char *ptr;
  size_t len;
} oms_fix_str_t;

/* A view of a NUL-terminated string; NULL gives the absent view. */
OMS_EXTERN oms_fix_str_t oms_fix_str(const char *s);

/* 1 when s holds exactly the bytes of the NUL-terminated lit. */
OMS_EXTERN int oms_fix_str_eq(oms_fix_str_t s, const char *lit);

/* ------------------------------------------------------------------------ */
/* Parsing                                                                    */

typedef struct oms_fix_field_s {
  uint32_t tag;
  uint32_t off; /* value offset from msg->buf */
  uint32_t len; /* value length, > 0 */
} oms_fix_field_t;

/* A parsed message. Fields are in wire order, 8 and 9 first and 10 last. */
typedef struct oms_fix_msg_s {
  const char *buf;        /* first byte of "8=", inside the caller's buffer */
  size_t len;             /* bytes from "8=" through the SOH after 10=xxx */
  oms_fix_str_t msg_type; /* value of MsgType(35) */
  size_t nfields;
  oms_fix_field_t fields[OMS_FIX_MAX_FIELDS];
} oms_fix_msg_t;

typedef struct oms_fix_limits_s {
  size_t max_msg_len; /* 0: OMS_FIX_DEFAULT_MAX_MSG_LEN; at most OMS_FIX_MAX_MSG_LEN_LIMIT */
  size_t max_fields;  /* 0 or more than OMS_FIX_MAX_FIELDS: OMS_FIX_MAX_FIELDS */
  bool any_order;     /* header, body and trailer fields may mix (a dialect's switch,
                       * OMS_FIX_DICT_NO_ORDER); false: out of order is 373=14 */
} oms_fix_limits_t;

/* Why bytes were refused. The first group means the bytes cannot be trusted
 * as a message (drop them, never answer them); the second means the frame is
 * intact (length and checksum verified) but its content is invalid, so the
 * session answers with Reject(3). */
#define OMS_FIX_PERR_MAP(XX)                                            \
  XX(NONE, 0, "no error")                                               \
  XX(GARBAGE, 1, "bytes before a message start")                        \
  XX(BEGIN_STRING, 2, "BeginString(8) is not FIX.4.4")                  \
  XX(BODY_LENGTH, 3, "BodyLength(9) missing, malformed or wrong")       \
  XX(CHECKSUM, 4, "CheckSum(10) malformed or wrong")                    \
  XX(TOO_LARGE, 5, "message longer than the size cap")                  \
  XX(MISSING_MSG_TYPE, 6, "MsgType(35) is not the third field")         \
  XX(BAD_TAG, 7, "tag is not a positive number")                        \
  XX(EMPTY_VALUE, 8, "tag without a value")                             \
  XX(DUPLICATE_TAG, 9, "tag appears more than once")                    \
  XX(TOO_MANY_FIELDS, 10, "more fields than the field cap")             \
  XX(BAD_DATA_LENGTH, 11, "data field does not match its length field") \
  XX(OUT_OF_ORDER, 12, "Tag specified out of required order")

typedef enum oms_fix_perr_e {
#define OMS_FIX_PERR_ENUM(name, num, msg) OMS_FIX_PERR_##name = (num),
  OMS_FIX_PERR_MAP(OMS_FIX_PERR_ENUM)
#undef OMS_FIX_PERR_ENUM
} oms_fix_perr_t;

typedef struct oms_fix_perror_s {
  oms_fix_perr_t kind;
  uint32_t tag;               /* the offending tag when known, else 0 */
  int framed;                 /* 1: frame intact, answer with Reject(3); 0: drop */
  int64_t ref_seq_num;        /* MsgSeqNum(34) of a framed message, 0 if unreadable */
  oms_fix_str_t ref_msg_type; /* MsgType(35) of a framed message, absent if none */
} oms_fix_perror_t;

/* "CHECKSUM" for OMS_FIX_PERR_CHECKSUM; "UNKNOWN" otherwise. Never NULL. */
OMS_EXTERN const char *oms_fix_perr_name(oms_fix_perr_t kind);
/* The English description of kind. Never NULL. */
OMS_EXTERN const char *oms_fix_perr_desc(oms_fix_perr_t kind);
/* The SessionRejectReason(373) that answers a framed error of this kind. */
OMS_EXTERN int oms_fix_perr_reject_reason(oms_fix_perr_t kind);

/* Parses the message at the start of buf[0..len).
 *
 * Returns 0 when a whole valid message was parsed: msg is filled and
 * *consumed is msg->len. Returns OMS_EAGAIN when buf holds only the
 * beginning of a message (never for more than the size cap): *consumed is 0,
 * read more bytes and call again. Returns OMS_EPROTO for malformed bytes: err
 * (if not NULL) says why and *consumed is the number of bytes to drop (at
 * least 1) before the next call, which resynchronises on the next
 * "8=FIX.4.4". Returns OMS_EINVAL for NULL buf/msg/consumed.
 *
 * lim may be NULL for the defaults. msg points into buf afterwards. */
OMS_EXTERN int oms_fix_parse(const char *buf, size_t len, const oms_fix_limits_t *lim,
                             oms_fix_msg_t *msg, size_t *consumed, oms_fix_perror_t *err);

/* The value of field idx (idx < m->nfields). */
static inline oms_fix_str_t oms_fix_msg_value(const oms_fix_msg_t *m, size_t idx) {
  oms_fix_str_t s = {m->buf + m->fields[idx].off, m->fields[idx].len};
  return s;
}

/* 1 when MsgType(35) equals type. */
OMS_EXTERN int oms_fix_msg_is(const oms_fix_msg_t *m, const char *type);

/* Finds the first field with tag at index >= from. Returns 0 and sets *idx,
 * or OMS_ENOTFOUND. */
OMS_EXTERN int oms_fix_msg_find(const oms_fix_msg_t *m, uint32_t tag, size_t from, size_t *idx);

/* Typed accessors on the first occurrence of tag. Each returns 0, or
 * OMS_ENOTFOUND when the tag is absent, or OMS_ESYNTAX when the value is not
 * of the type (OMS_EOVERFLOW for an integer out of range); *out is written
 * only on success. */
OMS_EXTERN int oms_fix_msg_get_str(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out);
OMS_EXTERN int oms_fix_msg_get_int(const oms_fix_msg_t *m, uint32_t tag, int64_t *out);
OMS_EXTERN int oms_fix_msg_get_char(const oms_fix_msg_t *m, uint32_t tag, char *out);
/* Boolean Y/N as 1/0. */
OMS_EXTERN int oms_fix_msg_get_bool(const oms_fix_msg_t *m, uint32_t tag, int *out);
/* A validated decimal ([-]digits[.digits]) left as text for the caller's
 * decimal type. */
OMS_EXTERN int oms_fix_msg_get_decimal(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out);
/* UTCTimestamp as nanoseconds since the epoch. */
OMS_EXTERN int oms_fix_msg_get_time(const oms_fix_msg_t *m, uint32_t tag, int64_t *out);

/* Value conversions used by the accessors, for values found another way
 * (inside a repeating group). Same returns as the accessors. */
OMS_EXTERN int oms_fix_str_to_int(oms_fix_str_t s, int64_t *out);
OMS_EXTERN int oms_fix_str_to_char(oms_fix_str_t s, char *out);
OMS_EXTERN int oms_fix_str_to_bool(oms_fix_str_t s, int *out);
OMS_EXTERN int oms_fix_str_check_decimal(oms_fix_str_t s);
/* YYYYMMDD-HH:MM:SS with an optional fraction of 3, 6 or 9 digits; years
 * 1970-2261 (what fits in int64 nanoseconds). */
OMS_EXTERN int oms_fix_str_to_time(oms_fix_str_t s, int64_t *out_ns);

/* Writes ns (>= 0, year <= 9999) as "YYYYMMDD-HH:MM:SS.sss" plus a NUL into
 * out (OMS_FIX_TIME_LEN + 1 bytes). Returns 0 or OMS_EINVAL. */
OMS_EXTERN int oms_fix_format_time(int64_t ns, char out[OMS_FIX_TIME_LEN + 1]);

/* Repeating groups. The codec knows the groups order entry needs:
 * NoPartyIDs(453) with NoPartySubIDs(802), NoNestedPartyIDs(539),
 * NoTradingSessions(386), NoAllocs(78), NoMsgTypes(384), NoSecurityAltID(454),
 * NoStipulations(232), NoContraBrokers(382), NoMiscFees(136),
 * NoAffectedOrders(534). Tags of these groups may repeat in a message; any
 * other repeated tag is OMS_FIX_PERR_DUPLICATE_TAG. */
typedef struct oms_fix_group_s {
  const oms_fix_msg_t *msg;
  uint32_t count_tag;
  uint32_t delim_tag; /* first field of every entry */
  int64_t count;      /* NumInGroup as sent */
  int64_t seen;       /* entries returned so far */
  size_t pos;         /* next field index */
} oms_fix_group_t;

/* A repeating group entry: fields [begin, end) of the message. */
typedef struct oms_fix_entry_s {
  size_t begin;
  size_t end;
} oms_fix_entry_t;

/* Starts iterating the group counted by count_tag (first occurrence).
 * Returns 0 (g->count may be 0 when the tag is absent), OMS_EUNSUPPORTED for
 * a count tag the codec does not know, or OMS_EPROTO when the count is not a
 * non-negative integer or the first entry does not follow it. */
OMS_EXTERN int oms_fix_group_begin(const oms_fix_msg_t *m, uint32_t count_tag, oms_fix_group_t *g);

/* Returns 0 with the next entry, OMS_ENOTFOUND after the last one, or
 * OMS_EPROTO when the entries do not match NumInGroup (Reject 373=16). */
OMS_EXTERN int oms_fix_group_next(oms_fix_group_t *g, oms_fix_entry_t *e);

/* The first value of tag within entry e. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_fix_entry_get(const oms_fix_msg_t *m, const oms_fix_entry_t *e, uint32_t tag,
                                 oms_fix_str_t *out);

/* ------------------------------------------------------------------------ */
/* Building                                                                   */

/* Writes one message into a caller buffer. Every add function returns the
 * builder's sticky error: after the first failure (OMS_ENOSPC when the buffer
 * is full, OMS_EINVAL for an empty value or one containing SOH) later calls do
 * nothing and oms_fix_builder_finish returns that error. */
typedef struct oms_fix_builder_s {
  char *buf;
  size_t cap;
  size_t len;
  int err;
} oms_fix_builder_t;

/* Reverse routing through a FIX hub: the OnBehalfOfCompID(115),
 * OnBehalfOfSubID(116) and OnBehalfOfLocationID(144) of a request, returned
 * on every answer to it as DeliverToCompID(128), DeliverToSubID(129) and
 * DeliverToLocationID(145). Absent views are not written; all absent means
 * the request came straight from the counterparty. */
typedef struct oms_fix_route_s {
  oms_fix_str_t comp_id;
  oms_fix_str_t sub_id;
  oms_fix_str_t location_id;
} oms_fix_route_t;

/* The route to answer m on: its 115/116/144 as views into m (absent views
 * when m names none). */
OMS_EXTERN oms_fix_route_t oms_fix_route_of(const oms_fix_msg_t *m);

/* The standard header of an outbound message. */
typedef struct oms_fix_header_s {
  const char *msg_type;              /* MsgType(35) */
  const char *sender_comp_id;        /* SenderCompID(49) */
  const char *target_comp_id;        /* TargetCompID(56) */
  int64_t msg_seq_num;               /* MsgSeqNum(34), > 0 */
  int64_t sending_time_ns;           /* SendingTime(52) */
  int poss_dup;                      /* 43=Y when set */
  int poss_resend;                   /* 97=Y when set */
  int64_t orig_sending_time_ns;      /* OrigSendingTime(122) when > 0 */
  const oms_fix_route_t *deliver_to; /* 128/129/145 when not NULL */
} oms_fix_header_t;

/* Starts a message with 8, a placeholder 9 and 35. Returns the sticky error. */
OMS_EXTERN int oms_fix_builder_begin(oms_fix_builder_t *b, char *buf, size_t cap,
                                     const char *msg_type);
/* Starts a message with the standard header: 8, 9, 35, 49, 56, 128, 129,
 * 145, 34, 43, 97, 52, 122 in that order. Returns the sticky error. */
OMS_EXTERN int oms_fix_builder_begin_header(oms_fix_builder_t *b, char *buf, size_t cap,
                                            const oms_fix_header_t *h);
OMS_EXTERN int oms_fix_add_str(oms_fix_builder_t *b, uint32_t tag, oms_fix_str_t v);
OMS_EXTERN int oms_fix_add_cstr(oms_fix_builder_t *b, uint32_t tag, const char *v);
OMS_EXTERN int oms_fix_add_int(oms_fix_builder_t *b, uint32_t tag, int64_t v);
OMS_EXTERN int oms_fix_add_char(oms_fix_builder_t *b, uint32_t tag, char v);
/* UTCTimestamp with millisecond precision. */
OMS_EXTERN int oms_fix_add_time(oms_fix_builder_t *b, uint32_t tag, int64_t ns);
/* Writes BodyLength and CheckSum. Returns 0 with the message in
 * b->buf[0..*out_len), or the sticky error. */
OMS_EXTERN int oms_fix_builder_finish(oms_fix_builder_t *b, size_t *out_len);

/* ------------------------------------------------------------------------ */
/* FIX-level constants (FIX 4.4 values, as the wire carries them)             */

enum {
  OMS_FIX_SIDE_BUY = '1',
  OMS_FIX_SIDE_SELL = '2',
  OMS_FIX_SIDE_SELL_SHORT = '5',

  OMS_FIX_ORD_TYPE_MARKET = '1',
  OMS_FIX_ORD_TYPE_LIMIT = '2',
  OMS_FIX_ORD_TYPE_STOP = '3',
  OMS_FIX_ORD_TYPE_STOP_LIMIT = '4',

  OMS_FIX_TIF_DAY = '0',
  OMS_FIX_TIF_GTC = '1',
  OMS_FIX_TIF_IOC = '3',
  OMS_FIX_TIF_FOK = '4',
  OMS_FIX_TIF_GTD = '6',

  OMS_FIX_EXEC_INST_POST_ONLY = '6', /* "participate don't initiate" */

  OMS_FIX_EXEC_TYPE_NEW = '0',
  OMS_FIX_EXEC_TYPE_DONE_FOR_DAY = '3',
  OMS_FIX_EXEC_TYPE_CANCELED = '4',
  OMS_FIX_EXEC_TYPE_REPLACED = '5',
  OMS_FIX_EXEC_TYPE_PENDING_CANCEL = '6',
  OMS_FIX_EXEC_TYPE_REJECTED = '8',
  OMS_FIX_EXEC_TYPE_RESTATED = 'D',
  OMS_FIX_EXEC_TYPE_PENDING_NEW = 'A',
  OMS_FIX_EXEC_TYPE_EXPIRED = 'C',
  OMS_FIX_EXEC_TYPE_PENDING_REPLACE = 'E',
  OMS_FIX_EXEC_TYPE_TRADE = 'F',
  OMS_FIX_EXEC_TYPE_ORDER_STATUS = 'I',
  OMS_FIX_EXEC_TYPE_TRADE_CORRECT = 'G',
  OMS_FIX_EXEC_TYPE_TRADE_CANCEL = 'H',

  OMS_FIX_ORD_STATUS_NEW = '0',
  OMS_FIX_ORD_STATUS_PARTIALLY_FILLED = '1',
  OMS_FIX_ORD_STATUS_FILLED = '2',
  OMS_FIX_ORD_STATUS_DONE_FOR_DAY = '3',
  OMS_FIX_ORD_STATUS_CANCELED = '4',
  OMS_FIX_ORD_STATUS_PENDING_CANCEL = '6',
  OMS_FIX_ORD_STATUS_REJECTED = '8',
  OMS_FIX_ORD_STATUS_PENDING_NEW = 'A',
  OMS_FIX_ORD_STATUS_EXPIRED = 'C',
  OMS_FIX_ORD_STATUS_PENDING_REPLACE = 'E',

  OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL = '1', /* CxlRejResponseTo(434) */
  OMS_FIX_CXL_REJ_RESPONSE_TO_REPLACE = '2',

  OMS_FIX_MASS_CANCEL_BY_SECURITY = '1', /* MassCancelRequestType(530) */
  OMS_FIX_MASS_CANCEL_ALL = '7',
  OMS_FIX_MASS_CANCEL_REJECTED = '0' /* MassCancelResponse(531) */
};

/* OrdRejReason(103) */
enum {
  OMS_FIX_ORD_REJ_BROKER_OPTION = 0,
  OMS_FIX_ORD_REJ_UNKNOWN_SYMBOL = 1,
  OMS_FIX_ORD_REJ_EXCHANGE_CLOSED = 2,
  OMS_FIX_ORD_REJ_EXCEEDS_LIMIT = 3,
  OMS_FIX_ORD_REJ_TOO_LATE_TO_ENTER = 4,
  OMS_FIX_ORD_REJ_UNKNOWN_ORDER = 5,
  OMS_FIX_ORD_REJ_DUPLICATE_ORDER = 6,
  OMS_FIX_ORD_REJ_UNSUPPORTED_ORDER_CHARACTERISTIC = 11,
  OMS_FIX_ORD_REJ_INCORRECT_QUANTITY = 13,
  OMS_FIX_ORD_REJ_UNKNOWN_ACCOUNT = 15,
  OMS_FIX_ORD_REJ_OTHER = 99
};

/* CxlRejReason(102) */
enum {
  OMS_FIX_CXL_REJ_TOO_LATE = 0,
  OMS_FIX_CXL_REJ_UNKNOWN_ORDER = 1,
  OMS_FIX_CXL_REJ_BROKER_OPTION = 2,
  OMS_FIX_CXL_REJ_PENDING = 3,
  OMS_FIX_CXL_REJ_DUPLICATE_CLORDID = 6,
  OMS_FIX_CXL_REJ_OTHER = 99
};

/* MassCancelRejectReason(532) */
enum {
  OMS_FIX_MASS_CANCEL_REJ_NOT_SUPPORTED = 0,
  OMS_FIX_MASS_CANCEL_REJ_UNKNOWN_SECURITY = 1,
  OMS_FIX_MASS_CANCEL_REJ_OTHER = 99
};

/* BusinessRejectReason(380) */
enum {
  OMS_FIX_BRR_OTHER = 0,
  OMS_FIX_BRR_UNKNOWN_ID = 1,
  OMS_FIX_BRR_UNKNOWN_SECURITY = 2,
  OMS_FIX_BRR_UNSUPPORTED_MSG_TYPE = 3,
  OMS_FIX_BRR_APP_NOT_AVAILABLE = 4,
  OMS_FIX_BRR_CONDITIONALLY_REQUIRED_MISSING = 5,
  OMS_FIX_BRR_NOT_AUTHORIZED = 6
};

/* SessionRejectReason(373) */
enum {
  OMS_FIX_SRR_INVALID_TAG = 0,
  OMS_FIX_SRR_REQUIRED_TAG_MISSING = 1,
  OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG = 2,
  OMS_FIX_SRR_UNDEFINED_TAG = 3,
  OMS_FIX_SRR_TAG_WITHOUT_VALUE = 4,
  OMS_FIX_SRR_VALUE_INCORRECT = 5,
  OMS_FIX_SRR_INCORRECT_DATA_FORMAT = 6,
  OMS_FIX_SRR_COMPID_PROBLEM = 9,
  OMS_FIX_SRR_SENDING_TIME_ACCURACY = 10,
  OMS_FIX_SRR_INVALID_MSG_TYPE = 11,
  OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE = 13,
  OMS_FIX_SRR_TAG_OUT_OF_ORDER = 14,
  OMS_FIX_SRR_REPEATING_GROUP_ORDER = 15,
  OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP = 16,
  OMS_FIX_SRR_OTHER = 99
};

/* ------------------------------------------------------------------------ */
/* Order-entry application messages                                           */

/* Which field made a message invalid: the RefTagID(371) and
 * SessionRejectReason(373) of the Reject(3) the session should send. */
typedef struct oms_fix_bad_field_s {
  uint32_t tag;
  int reason; /* OMS_FIX_SRR_* */
} oms_fix_bad_field_t;

#define OMS_FIX_MAX_PARTIES 8

typedef struct oms_fix_party_s {
  oms_fix_str_t id; /* PartyID(448) */
  char source;      /* PartyIDSource(447), 0 if absent */
  int64_t role;     /* PartyRole(452), 0 if absent */
} oms_fix_party_t;

/* The order fields shared by D and G. Optional fields are absent views, 0
 * chars or 0 times. */
typedef struct oms_fix_order_fields_s {
  oms_fix_str_t cl_ord_id;  /* ClOrdID(11), required */
  oms_fix_str_t account;    /* Account(1) */
  oms_fix_str_t symbol;     /* Symbol(55), required */
  char side;                /* Side(54), required: 1..9, A..G */
  int64_t transact_time_ns; /* TransactTime(60), required */
  oms_fix_str_t order_qty;  /* OrderQty(38), required, decimal text */
  char ord_type;            /* OrdType(40), required: 1..9, A..P */
  oms_fix_str_t price;      /* Price(44), decimal text */
  oms_fix_str_t stop_px;    /* StopPx(99), decimal text */
  char time_in_force;       /* TimeInForce(59), OMS_FIX_TIF_DAY when absent */
  oms_fix_str_t exec_inst;  /* ExecInst(18), space-separated chars */
  int post_only;            /* 1 when ExecInst contains '6' */
  int64_t expire_time_ns;   /* ExpireTime(126) */
  oms_fix_str_t text;       /* Text(58) */
  size_t nparties;          /* NoPartyIDs(453), at most OMS_FIX_MAX_PARTIES */
  oms_fix_party_t parties[OMS_FIX_MAX_PARTIES];
} oms_fix_order_fields_t;

/* NewOrderSingle(D). */
typedef struct oms_fix_new_order_s {
  oms_fix_order_fields_t o;
} oms_fix_new_order_t;

/* OrderCancelReplaceRequest(G). */
typedef struct oms_fix_replace_s {
  oms_fix_str_t orig_cl_ord_id; /* OrigClOrdID(41), required */
  oms_fix_str_t order_id;       /* OrderID(37) */
  oms_fix_order_fields_t o;
} oms_fix_replace_t;

/* OrderCancelRequest(F). */
typedef struct oms_fix_cancel_s {
  oms_fix_str_t orig_cl_ord_id; /* OrigClOrdID(41), required */
  oms_fix_str_t cl_ord_id;      /* ClOrdID(11), required */
  oms_fix_str_t order_id;       /* OrderID(37) */
  oms_fix_str_t account;        /* Account(1) */
  oms_fix_str_t symbol;         /* Symbol(55), required */
  char side;                    /* Side(54), required */
  int64_t transact_time_ns;     /* TransactTime(60), required */
  oms_fix_str_t order_qty;      /* OrderQty(38) */
  oms_fix_str_t text;           /* Text(58) */
} oms_fix_cancel_t;

/* OrderStatusRequest(H). */
typedef struct oms_fix_status_req_s {
  oms_fix_str_t cl_ord_id;         /* ClOrdID(11), required */
  oms_fix_str_t order_id;          /* OrderID(37) */
  oms_fix_str_t ord_status_req_id; /* OrdStatusReqID(790) */
  oms_fix_str_t account;           /* Account(1) */
  oms_fix_str_t symbol;            /* Symbol(55), required */
  char side;                       /* Side(54), required */
} oms_fix_status_req_t;

/* OrderMassCancelRequest(q). */
typedef struct oms_fix_mass_cancel_s {
  oms_fix_str_t cl_ord_id;  /* ClOrdID(11), required */
  char request_type;        /* MassCancelRequestType(530), required: 1..7 */
  oms_fix_str_t symbol;     /* Symbol(55), required when request_type is 1 */
  char side;                /* Side(54), 0 if absent */
  oms_fix_str_t account;    /* Account(1) */
  int64_t transact_time_ns; /* TransactTime(60), required */
  oms_fix_str_t text;       /* Text(58) */
} oms_fix_mass_cancel_t;

/* Readers. Each clears *out, fills it with views into m, and returns 0; or
 * returns OMS_EPROTO with *bad naming the missing or invalid tag and the
 * SessionRejectReason to send; OMS_EINVAL when m is not of the expected
 * MsgType. Conditional business rules (a price for a limit order) are left to
 * the engine's validation. */
OMS_EXTERN int oms_fix_read_new_order(const oms_fix_msg_t *m, oms_fix_new_order_t *out,
                                      oms_fix_bad_field_t *bad);
OMS_EXTERN int oms_fix_read_cancel(const oms_fix_msg_t *m, oms_fix_cancel_t *out,
                                   oms_fix_bad_field_t *bad);
OMS_EXTERN int oms_fix_read_replace(const oms_fix_msg_t *m, oms_fix_replace_t *out,
                                    oms_fix_bad_field_t *bad);
OMS_EXTERN int oms_fix_read_status_request(const oms_fix_msg_t *m, oms_fix_status_req_t *out,
                                           oms_fix_bad_field_t *bad);
OMS_EXTERN int oms_fix_read_mass_cancel(const oms_fix_msg_t *m, oms_fix_mass_cancel_t *out,
                                        oms_fix_bad_field_t *bad);

/* ExecutionReport(8). Absent views and 0 chars are not written. */
typedef struct oms_fix_exec_report_s {
  oms_fix_str_t order_id;       /* OrderID(37), required */
  oms_fix_str_t cl_ord_id;      /* ClOrdID(11) */
  oms_fix_str_t orig_cl_ord_id; /* OrigClOrdID(41) */
  oms_fix_str_t exec_id;        /* ExecID(17), required */
  oms_fix_str_t exec_ref_id;    /* ExecRefID(19): the trade a TradeCancel or TradeCorrect names */
  char exec_type;               /* ExecType(150), required */
  char ord_status;              /* OrdStatus(39), required */
  oms_fix_str_t account;        /* Account(1) */
  oms_fix_str_t symbol;         /* Symbol(55), required */
  char side;                    /* Side(54), required */
  oms_fix_str_t order_qty;      /* OrderQty(38) */
  char ord_type;                /* OrdType(40) */
  oms_fix_str_t price;          /* Price(44) */
  oms_fix_str_t stop_px;        /* StopPx(99) */
  char time_in_force;           /* TimeInForce(59) */
  oms_fix_str_t exec_inst;      /* ExecInst(18) */
  oms_fix_str_t last_qty;       /* LastQty(32) */
  oms_fix_str_t last_px;        /* LastPx(31) */
  oms_fix_str_t leaves_qty;     /* LeavesQty(151), required */
  oms_fix_str_t cum_qty;        /* CumQty(14), required */
  oms_fix_str_t avg_px;         /* AvgPx(6), required */
  int64_t transact_time_ns;     /* TransactTime(60) when > 0 */
  int ord_rej_reason;           /* OrdRejReason(103) when >= 0; set -1 for none */
  oms_fix_str_t text;           /* Text(58) */
  oms_fix_str_t list_id;        /* ListID(66): the list (contingent group) the order is in */
  /* Header, not body: where the session addresses the message (the
   * route of the request it answers). NULL: straight to the counterparty. */
  const oms_fix_route_t *deliver_to;
} oms_fix_exec_report_t;

/* OrderCancelReject(9). */
typedef struct oms_fix_cancel_reject_s {
  oms_fix_str_t order_id;       /* OrderID(37), required ("NONE" when unknown) */
  oms_fix_str_t cl_ord_id;      /* ClOrdID(11), required */
  oms_fix_str_t orig_cl_ord_id; /* OrigClOrdID(41), required */
  char ord_status;              /* OrdStatus(39), required */
  char response_to;             /* CxlRejResponseTo(434), required */
  int cxl_rej_reason;           /* CxlRejReason(102) when >= 0; -1 for none */
  oms_fix_str_t account;        /* Account(1) */
  int64_t transact_time_ns;     /* TransactTime(60) when > 0 */
  oms_fix_str_t text;           /* Text(58) */
  /* Header, not body: where the session addresses the message (the
   * route of the request it answers). NULL: straight to the counterparty. */
  const oms_fix_route_t *deliver_to;
} oms_fix_cancel_reject_t;

/* OrderMassCancelReport(r). */
typedef struct oms_fix_mass_cancel_report_s {
  oms_fix_str_t cl_ord_id;  /* ClOrdID(11) */
  oms_fix_str_t order_id;   /* OrderID(37), required */
  char request_type;        /* MassCancelRequestType(530), required */
  char response;            /* MassCancelResponse(531), required ('0' rejected) */
  int reject_reason;        /* MassCancelRejectReason(532) when >= 0; -1 for none */
  int64_t total_affected;   /* TotalAffectedOrders(533) when >= 0; -1 for none */
  oms_fix_str_t symbol;     /* Symbol(55) */
  char side;                /* Side(54) */
  int64_t transact_time_ns; /* TransactTime(60) when > 0 */
  oms_fix_str_t text;       /* Text(58) */
  /* Header, not body: where the session addresses the message (the
   * route of the request it answers). NULL: straight to the counterparty. */
  const oms_fix_route_t *deliver_to;
} oms_fix_mass_cancel_report_t;

/* BusinessMessageReject(j). */
typedef struct oms_fix_business_reject_s {
  int64_t ref_seq_num;        /* RefSeqNum(45) when > 0 */
  oms_fix_str_t ref_msg_type; /* RefMsgType(372), required */
  oms_fix_str_t ref_id;       /* BusinessRejectRefID(379) */
  int reason;                 /* BusinessRejectReason(380), OMS_FIX_BRR_* */
  oms_fix_str_t text;         /* Text(58) */
  /* Header, not body: where the session addresses the message (the
   * route of the request it answers). NULL: straight to the counterparty. */
  const oms_fix_route_t *deliver_to;
} oms_fix_business_reject_t;

/* ListStatusType(429) and ListOrderStatus(431). */
enum {
  OMS_FIX_LIST_STATUS_TYPE_ACK = 1,
  OMS_FIX_LIST_STATUS_TYPE_RESPONSE = 2,
  OMS_FIX_LIST_STATUS_TYPE_ALL_DONE = 5,
  OMS_FIX_LIST_STATUS_TYPE_ALERT = 6,

  OMS_FIX_LIST_ORDER_STATUS_RECEIVED = 2,
  OMS_FIX_LIST_ORDER_STATUS_EXECUTING = 3,
  OMS_FIX_LIST_ORDER_STATUS_CANCELLING = 4,
  OMS_FIX_LIST_ORDER_STATUS_ALL_DONE = 6,
  OMS_FIX_LIST_ORDER_STATUS_REJECT = 7
};

/* One NoOrders(73) entry of a ListStatus: every field required but Text. */
typedef struct oms_fix_list_order_s {
  oms_fix_str_t cl_ord_id;  /* ClOrdID(11) */
  oms_fix_str_t cum_qty;    /* CumQty(14) */
  char ord_status;          /* OrdStatus(39) */
  oms_fix_str_t leaves_qty; /* LeavesQty(151) */
  oms_fix_str_t cxl_qty;    /* CxlQty(84) */
  oms_fix_str_t avg_px;     /* AvgPx(6) */
  oms_fix_str_t text;       /* Text(58) */
} oms_fix_list_order_t;

/* ListStatus(N), in one report (NoRpts 1, RptSeq 1). */
typedef struct oms_fix_list_status_s {
  oms_fix_str_t list_id;              /* ListID(66), required */
  int list_status_type;               /* ListStatusType(429), required */
  int list_order_status;              /* ListOrderStatus(431), required */
  oms_fix_str_t text;                 /* ListStatusText(444) */
  int64_t transact_time_ns;           /* TransactTime(60) when > 0 */
  const oms_fix_list_order_t *orders; /* TotNoOrders(68) and NoOrders(73): n of them */
  size_t n;
  /* Header, not body: see oms_fix_exec_report_t. */
  const oms_fix_route_t *deliver_to;
} oms_fix_list_status_t;

/* Body writers: append the message's body fields to a builder begun with the
 * matching MsgType. Return the builder's sticky error, OMS_EINVAL when a
 * required field is absent (the builder then stays failed). */
OMS_EXTERN int oms_fix_add_exec_report(oms_fix_builder_t *b, const oms_fix_exec_report_t *er);
OMS_EXTERN int oms_fix_add_cancel_reject(oms_fix_builder_t *b, const oms_fix_cancel_reject_t *cr);
OMS_EXTERN int oms_fix_add_mass_cancel_report(oms_fix_builder_t *b,
                                              const oms_fix_mass_cancel_report_t *mr);
OMS_EXTERN int oms_fix_add_business_reject(oms_fix_builder_t *b,
                                           const oms_fix_business_reject_t *br);
OMS_EXTERN int oms_fix_add_list_status(oms_fix_builder_t *b, const oms_fix_list_status_t *ls);

OMS_END_DECLS

#endif /* OMS_FIX_H */
