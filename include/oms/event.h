/*
 * event.h - the order events: what the OMS tells the world after every change.
 *
 * An oms_event_t is a fixed-size value (no pointers), so the bus can copy it
 * into preallocated rings and the store can queue it without allocating. It
 * carries:
 *   - the global sequence number `seq`, assigned by the core, gap-free over
 *     every stored event (1, 2, 3...). seq 0 marks a transient notice that is
 *     neither stored nor replayable (e.g. the alarm that the store itself failed);
 *   - the full order snapshot after the change (strategy, account and symbol
 *     are read from it; zeroed for events that concern no order);
 *   - fill details, the check and reason of a denial, the scope and states of
 *     a trading-state change, or the kind, code and text of an alarm;
 *   - timing: event time, the order's creation time (in the snapshot) and the
 *     time the request that caused the event was received, so that
 *     oms_event_latency_ns() gives request-to-event latency.
 *
 * Serialisation: a compact, versioned binary form (the durable event log
 * stores it; decoding gives back the identical record) and JSON for external
 * sinks, with every decimal as an exact string.
 */
#ifndef OMS_EVENT_H
#define OMS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/reason.h"

OMS_BEGIN_DECLS

/* XX(NAME, number, "WireName"). Numbers are stored: append-only, < 32 so that
 * a type fits a uint32_t bit mask (OMS_EVT_BIT). */
#define OMS_EVENT_TYPE_MAP(XX)                           \
  XX(ORDER_SUBMITTED, 1, "OrderSubmitted")               \
  XX(ORDER_ACCEPTED, 2, "OrderAccepted")                 \
  XX(ORDER_PARTIALLY_FILLED, 3, "OrderPartiallyFilled")  \
  XX(ORDER_FILLED, 4, "OrderFilled")                     \
  XX(ORDER_CANCELLED, 5, "OrderCancelled")               \
  XX(ORDER_REJECTED, 6, "OrderRejected")                 \
  XX(ORDER_PENDING_CANCEL, 7, "OrderPendingCancel")      \
  XX(ORDER_PENDING_REPLACE, 8, "OrderPendingReplace")    \
  XX(ORDER_REPLACED, 9, "OrderReplaced")                 \
  XX(ORDER_CANCEL_REJECTED, 10, "OrderCancelRejected")   \
  XX(ORDER_REPLACE_REJECTED, 11, "OrderReplaceRejected") \
  XX(ORDER_EXPIRED, 12, "OrderExpired")                  \
  XX(ORDER_TRIGGERED, 13, "OrderTriggered")              \
  XX(ORDER_DENIED, 14, "OrderDenied")                    \
  XX(TRADING_STATE_CHANGED, 15, "TradingStateChanged")   \
  XX(ALARM, 16, "Alarm")                                 \
  XX(ORDER_FILL_BUSTED, 17, "OrderFillBusted")           \
  XX(ORDER_FILL_CORRECTED, 18, "OrderFillCorrected")     \
  XX(ORDER_RESTATED, 19, "OrderRestated")                \
  XX(BEST_EXECUTION, 20, "BestExecution")                \
  XX(RISK_REPORT, 21, "RiskReport")

typedef enum oms_event_type_e {
  OMS_EVT_NONE = 0,
#define OMS_EVT_ENUM(name, num, wire) OMS_EVT_##name = (num),
  OMS_EVENT_TYPE_MAP(OMS_EVT_ENUM)
#undef OMS_EVT_ENUM
      OMS_EVT_MAX = 21
} oms_event_type_t;

#define OMS_EVT_BIT(t) (UINT32_C(1) << (unsigned)(t))
/* Every order event (types 1..14 and 17..19). */
#define OMS_EVT_MASK_ORDER                                                               \
  ((((UINT32_C(1) << 15) - 1) & ~UINT32_C(1)) | OMS_EVT_BIT(OMS_EVT_ORDER_FILL_BUSTED) | \
   OMS_EVT_BIT(OMS_EVT_ORDER_FILL_CORRECTED) | OMS_EVT_BIT(OMS_EVT_ORDER_RESTATED))
#define OMS_EVT_MASK_ALL (((UINT32_C(1) << 21) - 1) & ~UINT32_C(1))

/* Alarm kinds. Append-only. */
typedef enum oms_alarm_kind_e {
  OMS_ALARM_NONE = 0,
  OMS_ALARM_OVERFILL = 1,             /* a fill beyond the order's quantity */
  OMS_ALARM_UNKNOWN_ORDER_REPORT = 2, /* a venue report for an order the OMS does not know */
  OMS_ALARM_STORE_FAILURE = 3,        /* the order store failed (code = SQLite code) */
  OMS_ALARM_STORE_RECOVERED = 4,      /* the order store works again */
  OMS_ALARM_OTHER = 5,
  OMS_ALARM_UNKNOWN_VENUE_ORDER = 6, /* reconciliation: the venue holds an order the OMS lacks */
  OMS_ALARM_UNKNOWN_FILL = 7,        /* a bust or correction of a fill the OMS does not have */
  OMS_ALARM_VENUE_MESSAGE = 8        /* a venue sent what its connector could not use */
} oms_alarm_kind_t;

#define OMS_CHECK_NAME_MAX 31

/* Room for a parent's encoded algorithm state (OMS_ALGO_ENC_SIZE). */
#define OMS_EVENT_ALGO_MAX 1024

typedef struct oms_fill_info_s {
  oms_dec_t qty;
  oms_dec_t price;
  oms_dec_t fee;  /* quote currency; negative for a rebate */
  char liquidity; /* 'M' maker, 'T' taker, 0 unknown */
  char exec_id[OMS_ID_MAX + 1];
  /* The instrument's contract multiplier when the fill was booked (format 3
   * on; 0 in events stored before, read as 1): with it a fill says all that
   * its position needs, so the store's positions follow from the fills. */
  oms_dec_t multiplier;
  /* FILL_BUSTED, FILL_CORRECTED (format 4 on): the fill as it was before
   * (exec_id then names it); qty and price are its new values, zero for a
   * bust. A replay of the log takes old_qty at old_price back out. */
  oms_dec_t old_qty;
  oms_dec_t old_price;
  oms_dec_t old_fee;
} oms_fill_info_t;

/* A RiskReport's numbers (format 6 on; zero in events stored before): the
 * risk model's estimates rounded up into decimals as they leave it
 * (docs/risk.md), the limits they are held to at the report's scope. */
typedef struct oms_risk_report_info_s {
  oms_dec_t var;        /* parametric VaR */
  oms_dec_t hvar;       /* historical VaR */
  oms_dec_t var_limit;  /* max_var (an account) or max_var_firm (the firm); 0: none */
  oms_dec_t loss;       /* the worst stress scenario's loss, >= 0 */
  oms_dec_t loss_limit; /* max_stress_loss at the scope; 0: none */
  char worst[32];       /* the worst scenario's name; "" none */
} oms_risk_report_info_t;

typedef struct oms_event_s {
  uint64_t seq; /* global, gap-free; 0 = transient (not stored) */
  oms_event_type_t type;
  int64_t event_ns;     /* when the OMS produced the event */
  int64_t request_ns;   /* when the request or report that caused it arrived; 0 if none */
  oms_order_t order;    /* snapshot after the change; zeroed if no order */
  oms_fill_info_t fill; /* PARTIALLY_FILLED, FILLED */
  /* ORDER_DENIED: which check refused it; also the rule of a REJECTED. */
  char check[OMS_CHECK_NAME_MAX + 1];
  /* DENIED, REJECTED, *_REJECTED, TRADING_STATE_CHANGED, ALARM: why. */
  oms_reason_t reason;
  char text[OMS_REASON_MAX + 1];
  /* TRADING_STATE_CHANGED: the scope (kind and id as the risk module numbers
   * and names them, e.g. 0 global, 1 account...) and the states before/after. */
  uint8_t scope_kind;
  uint8_t old_state;
  uint8_t new_state;
  char scope_id[OMS_ID_MAX + 1];
  /* ALARM. */
  oms_alarm_kind_t alarm;
  int32_t alarm_code; /* e.g. the SQLite result code, errno, or an OMS_E* code */
  /* RISK_REPORT: its numbers (scope_id names the account, "" the firm). */
  oms_risk_report_info_t risk;
  /* A parent order's algorithm state after the change (oms_algo_encode),
   * on an event of the parent or of one of its children (format 5 on), so
   * that a restart finds every parent as it was when its last child moved:
   * algo_len bytes of algo; 0 = none. Kept last: oms_event_init clears
   * algo_len only, never the bytes. */
  uint16_t algo_len;
  uint8_t algo[OMS_EVENT_ALGO_MAX];
} oms_event_t;

/* "OrderFilled" for OMS_EVT_ORDER_FILLED; "Unknown" for anything else. */
OMS_EXTERN const char *oms_event_type_name(oms_event_type_t t);
/* Parses the wire name back. Returns 0 or OMS_ENOTFOUND (*out untouched). */
OMS_EXTERN int oms_event_type_parse(const char *s, oms_event_type_t *out);
/* "OVERFILL", "UNKNOWN_ORDER_REPORT", "STORE_FAILURE", ...; "UNKNOWN" otherwise. */
OMS_EXTERN const char *oms_alarm_kind_name(oms_alarm_kind_t k);

/* Whether t is one of the order events (1..14, 17..19). */
static inline bool oms_event_is_order(oms_event_type_t t) {
  return (t >= OMS_EVT_ORDER_SUBMITTED && t <= OMS_EVT_ORDER_DENIED) ||
         (t >= OMS_EVT_ORDER_FILL_BUSTED && t <= OMS_EVT_ORDER_RESTATED);
}

/* The event type that announces state machine event e applied to an order
 * now in state `after` (FILL gives PARTIALLY_FILLED or FILLED, DENY gives
 * ORDER_DENIED, CANCEL_CONFIRM gives ORDER_CANCELLED...). OMS_EVT_NONE for an
 * unknown e. */
OMS_EXTERN oms_event_type_t oms_event_type_for(oms_ord_event_t e, oms_ord_state_t after);

/* Clears ev and fills type, event_ns, request_ns and the order snapshot
 * (o may be NULL for events about no order). seq is left 0 for the core. */
OMS_EXTERN void oms_event_init(oms_event_t *ev, oms_event_type_t type, const oms_order_t *o,
                               int64_t event_ns, int64_t request_ns);

/* event_ns - request_ns, or -1 when the request time is unknown. */
static inline int64_t oms_event_latency_ns(const oms_event_t *ev) {
  return ev->request_ns > 0 ? ev->event_ns - ev->request_ns : -1;
}

/* Copies src to dst up to the end of its algorithm state: the algo bytes
 * past algo_len mean nothing (oms_event_init never clears them) and are a
 * third of the event, which a ring or an outbox would copy for nothing. */
static inline void oms_event_copy(oms_event_t *dst, const oms_event_t *src) {
  size_t n = src->algo_len <= OMS_EVENT_ALGO_MAX ? src->algo_len : OMS_EVENT_ALGO_MAX;
  memcpy(dst, src, offsetof(oms_event_t, algo) + n);
}

/* ---- Binary form ------------------------------------------------------------
 * Little-endian, a format byte first (this build writes 7 and reads 1..7),
 * then the fields in the order of the field tables in src/event/event.c;
 * format 7 writes only the fields that are not zero, behind a bitmap of
 * them, integers and decimals as varints (docs/events.md). A field absent
 * from an older format decodes to its default. OMS_EVENT_BIN_MAX is always
 * enough for one event. */
#define OMS_EVENT_BIN_MAX (2560 + 2 + OMS_EVENT_ALGO_MAX + 32 + 80)
#define OMS_ORDER_BIN_MAX (1792 + 32)

/* Writes ev into buf[cap]. Returns the number of bytes, or OMS_ENOSPC. */
OMS_EXTERN int oms_event_encode(const oms_event_t *ev, uint8_t *buf, size_t cap);
/* Reads an event from buf[len] into *ev (cleared first). Returns 0, or
 * OMS_EPROTO for a truncated or malformed buffer (ev then undefined). */
OMS_EXTERN int oms_event_decode(const uint8_t *buf, size_t len, oms_event_t *ev);
/* The same for an order snapshot alone (the store's orders.snapshot). */
OMS_EXTERN int oms_order_encode(const oms_order_t *o, uint8_t *buf, size_t cap);
OMS_EXTERN int oms_order_decode(const uint8_t *buf, size_t len, oms_order_t *o);

/* ---- JSON for sinks ------------------------------------------------------------
 * One object on one line: {"seq":12,"type":"OrderFilled","event_ns":...,
 * "order":{...,"qty":"1.5",...},"fill":{...}} with decimals as exact strings
 * and only the sections the type uses. Returns the length (without the NUL
 * it also writes) or OMS_ENOSPC. OMS_EVENT_JSON_MAX is always enough. */
#define OMS_EVENT_JSON_MAX 4096
OMS_EXTERN int oms_event_to_json(const oms_event_t *ev, char *buf, size_t cap);
/* The order object alone, exactly as the "order" of an event's JSON (the
 * admin API's order object): {"order_id":7,"client_order_id":"c1",...}.
 * Returns the length or OMS_ENOSPC; OMS_EVENT_JSON_MAX is always enough. */
OMS_EXTERN int oms_order_to_json(const oms_order_t *o, char *buf, size_t cap);

OMS_END_DECLS

#endif /* OMS_EVENT_H */
