/*
 * journal_rec.h - the records the journal store writes into the journal
 * (src/store/store_journal.c), and their payloads. Internal to liboms; the
 * journal itself (src/journal) knows only a type number and bytes, so this
 * table is the one place that says what the numbers mean (tools such as
 * omsjournal print records with it).
 *
 * Payloads (all integers little-endian):
 *
 *   EVENT         the event in the binary form of event.h (oms_event_encode)
 *   FIX_SEQNUMS   u8 n | session[n] | i64 next_in | i64 next_out
 *   FIX_SENT      u8 n | session[n] | i64 seqnum | the message (the rest)
 *   FIX_RESET     u8 n | session[n]
 *   CURSOR        u8 n | sink[n] | u64 seq
 *   LIMITS        u8 version (1) | u64 seq | i64 ts_ns | u8 n | who[n] |
 *                 the change's line (the rest: omsd's canonical JSON of a
 *                 runtime limit change, the line limits.log held)
 *   PNL_BASE      u8 version (1) | i64 day_start_ns | i64 base (the decimal's
 *                 raw value, 8 places) | u8 n | account[n] (n 0: the day's
 *                 mark, written after every account's; oms_store_pnl_base_append)
 *
 * TRADING_STATE is reserved: trading-state changes are events
 * (TradingStateChanged, in EVENT records), so nothing writes it; the
 * projection skips it.
 */
#ifndef OMS_JOURNAL_REC_H
#define OMS_JOURNAL_REC_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_int.h"

/* X(NAME, type number, name for people) */
#define OMS__JREC_TYPES(X)                            \
  X(EVENT, 1, "event")                                \
  X(FIX_SEQNUMS, 2, "fix_seqnums")                    \
  X(FIX_SENT, 3, "fix_sent")                          \
  X(FIX_RESET, 4, "fix_reset")                        \
  X(CURSOR, 5, "cursor")                              \
  X(LIMITS, 6, "limits")                              \
  X(TRADING_STATE, 7, "trading_state") /* reserved */ \
  X(PNL_BASE, 8, "pnl_base")

typedef enum oms__jrec_type_e {
#define OMS__JREC_ENUM(name, num, str) OMS__JREC_##name = num,
  OMS__JREC_TYPES(OMS__JREC_ENUM)
#undef OMS__JREC_ENUM
} oms__jrec_type_t;

/* The name of a record type ("event"...), or NULL for a number not in the table. */
const char *oms__jrec_name(uint16_t type);

/* The LIMITS and PNL_BASE payloads' layout versions. */
#define OMS__JREC_LIMITS_V1 1
#define OMS__JREC_PNL_BASE_V1 1

/* The largest payload of a non-event record (a FIX message or a limit
 * change's line, the larger). */
#define OMS__JREC_FIX_MAX (1 + OMS_STORE_SESSION_MAX + 8 + OMS_STORE_FIX_MSG_MAX)
#define OMS__JREC_LIMITS_MAX (1 + 8 + 8 + 1 + OMS_ID_MAX + OMS_STORE_LIMIT_LINE_MAX)
#define OMS__JREC_REC_MAX \
  (OMS__JREC_FIX_MAX > OMS__JREC_LIMITS_MAX ? OMS__JREC_FIX_MAX : OMS__JREC_LIMITS_MAX)

/* Encodes the non-event record r (FIX_SEQNUMS, FIX_SENT, FIX_RESET, CURSOR,
 * LIMITS, PNL_BASE)
 * into buf[cap]: its journal type in *type, the payload's length returned
 * (OMS_EINVAL for another kind or too small a buffer). */
int oms__jrec_encode(const oms__rec_t *r, uint16_t *type, uint8_t *buf, size_t cap);

/* Decodes a journal record into *r (any type of the table but the reserved
 * one): 0; OMS_ENOTFOUND for a reserved or unknown type (nothing to
 * project); OMS_EINVAL for a payload that does not decode (a LIMITS or
 * PNL_BASE record of a later layout version included: it is never skipped). */
int oms__jrec_decode(uint16_t type, const void *data, size_t len, oms__rec_t *r);

#endif /* OMS_JOURNAL_REC_H */
