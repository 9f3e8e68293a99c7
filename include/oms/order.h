/*
 * order.h - the order: its enums, the instrument it trades, the request a
 * strategy sends, the order record the OMS keeps, request validation, and the
 * order state machine.
 *
 * An oms_order_t is a fixed-size value (no pointers, no allocation), so the
 * engine can keep orders in a preallocated pool and hand out copies. Its
 * fields may be read freely; they are changed only through oms_order_apply(),
 * which enforces the transition table in src/order/order_fsm.c and the
 * quantity invariants, and leaves the order byte-for-byte unchanged when it
 * refuses.
 */
#ifndef OMS_ORDER_H
#define OMS_ORDER_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/reason.h"

OMS_BEGIN_DECLS

/* ---- Enums, each with text conversion both ways --------------------------- */

typedef enum oms_side_e { OMS_SIDE_BUY = 1, OMS_SIDE_SELL = 2 } oms_side_t;

typedef enum oms_ord_type_e {
  OMS_ORD_MARKET = 1,
  OMS_ORD_LIMIT = 2,
  OMS_ORD_STOP = 3,
  OMS_ORD_STOP_LIMIT = 4
} oms_ord_type_t;

typedef enum oms_tif_e {
  OMS_TIF_GTC = 1,
  OMS_TIF_IOC = 2,
  OMS_TIF_FOK = 3,
  OMS_TIF_DAY = 4,
  OMS_TIF_GTD = 5
} oms_tif_t;

/* Instructions, a bit set. */
#define OMS_INST_POST_ONLY 0x1u   /* LIMIT only: refused if it would take liquidity */
#define OMS_INST_REDUCE_ONLY 0x2u /* may only reduce the position */

/* The states of an order; see the diagram in src/order/order_fsm.c. */
#define OMS_ORD_STATE_MAP(XX) \
  XX(PENDING)                 \
  XX(SUBMITTED)               \
  XX(ACCEPTED)                \
  XX(PARTIALLY_FILLED)        \
  XX(FILLED)                  \
  XX(CANCELLED)               \
  XX(REJECTED)                \
  XX(PENDING_CANCEL)          \
  XX(PENDING_REPLACE)         \
  XX(EXPIRED)                 \
  XX(TRIGGERED)

/* clang-format off */
typedef enum oms_ord_state_e {
#define XX(name) OMS_STATE_##name,
  OMS_ORD_STATE_MAP(XX)
#undef XX
  OMS_STATE_COUNT
} oms_ord_state_t;
/* clang-format on */

/* What happens to an order: the events of the state machine. */
#define OMS_ORD_EVENT_MAP(XX)                                                            \
  XX(SUBMIT)          /* handed to the venue */                                          \
  XX(DENY)            /* refused before routing (validation, risk, store, venue down) */ \
  XX(ACCEPT)          /* venue acknowledged */                                           \
  XX(REJECT)          /* venue refused the new order */                                  \
  XX(FILL)            /* an execution, partial or full */                                \
  XX(CANCEL_REQUEST)  /* cancel sent to the venue */                                     \
  XX(CANCEL_CONFIRM)  /* venue cancelled (requested or unsolicited) */                   \
  XX(CANCEL_REJECT)   /* venue refused the cancel */                                     \
  XX(REPLACE_REQUEST) /* cancel/replace sent to the venue */                             \
  XX(REPLACE_CONFIRM) /* venue applied the replace */                                    \
  XX(REPLACE_REJECT)  /* venue refused the replace */                                    \
  XX(EXPIRE)          /* time in force ran out (DAY, GTD) */                             \
  XX(TRIGGER)         /* stop price reached */

/* clang-format off */
typedef enum oms_ord_event_e {
#define XX(name) OMS_EV_##name,
  OMS_ORD_EVENT_MAP(XX)
#undef XX
  OMS_EV_COUNT
} oms_ord_event_t;
/* clang-format on */

OMS_EXTERN const char *oms_side_str(oms_side_t v);
OMS_EXTERN const char *oms_ord_type_str(oms_ord_type_t v);
OMS_EXTERN const char *oms_tif_str(oms_tif_t v);
OMS_EXTERN const char *oms_ord_state_str(oms_ord_state_t v);
OMS_EXTERN const char *oms_ord_event_str(oms_ord_event_t v);
/* Exact, case-sensitive parsing of the names above ("BUY", "STOP_LIMIT",
 * "PARTIALLY_FILLED"...). Return 0 or OMS_ENOTFOUND, *out untouched. */
OMS_EXTERN int oms_side_parse(const char *s, oms_side_t *out);
OMS_EXTERN int oms_ord_type_parse(const char *s, oms_ord_type_t *out);
OMS_EXTERN int oms_tif_parse(const char *s, oms_tif_t *out);
OMS_EXTERN int oms_ord_state_parse(const char *s, oms_ord_state_t *out);
OMS_EXTERN int oms_ord_event_parse(const char *s, oms_ord_event_t *out);

/* FILLED, CANCELLED, REJECTED, EXPIRED. */
OMS_EXTERN bool oms_ord_state_is_terminal(oms_ord_state_t s);
/* At the venue and able to trade: SUBMITTED, ACCEPTED, PARTIALLY_FILLED,
 * PENDING_CANCEL, PENDING_REPLACE, TRIGGERED. */
OMS_EXTERN bool oms_ord_state_is_working(oms_ord_state_t s);

/* ---- Instrument ----------------------------------------------------------- */

typedef struct oms_instrument_s {
  char symbol[OMS_SYMBOL_MAX + 1];
  char venue[OMS_VENUE_MAX + 1];
  oms_dec_t tick_size;     /* prices are multiples of it; > 0 */
  oms_dec_t lot_size;      /* quantities are multiples of it; > 0 */
  oms_dec_t min_qty;       /* 0 means no minimum */
  oms_dec_t max_qty;       /* 0 means no maximum */
  oms_dec_t min_notional;  /* quantity * price; 0 means no minimum */
  oms_dec_t multiplier;    /* contract multiplier for notional; 0 is taken as 1 */
  uint8_t price_precision; /* decimal places shown for prices (0..8) */
  uint8_t qty_precision;   /* decimal places shown for quantities (0..8) */
} oms_instrument_t;

/* Checks an instrument record itself (positive tick and lot, min <= max,
 * precisions <= 8, non-empty symbol). Returns 0 or OMS_EINVAL with r set. */
OMS_EXTERN int oms_instrument_check(const oms_instrument_t *ins, oms_reject_t *r);

/* ---- The request a strategy sends ----------------------------------------- */

#define OMS_METADATA_MAX 255

typedef struct oms_order_request_s {
  char client_order_id[OMS_ID_MAX + 1];
  char strategy_id[OMS_ID_MAX + 1];
  char account_id[OMS_ID_MAX + 1];
  char venue[OMS_VENUE_MAX + 1]; /* where the order trades; with symbol, names the instrument */
  char symbol[OMS_SYMBOL_MAX + 1];
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  uint32_t instructions; /* OMS_INST_* */
  oms_dec_t qty;
  oms_dec_t price;                     /* LIMIT, STOP_LIMIT; zero otherwise */
  oms_dec_t stop_price;                /* STOP, STOP_LIMIT; zero otherwise */
  int64_t expire_ns;                   /* GTD only; 0 otherwise */
  char metadata[OMS_METADATA_MAX + 1]; /* free-form text, e.g. "k=v;k2=v2" */
} oms_order_request_t;

/* Validates req against ins at time now_ns. Returns 0 if the request is
 * acceptable, otherwise the oms_reason_t of the first rule it breaks (a
 * positive number) with r->code and r->text set. The rules, in order:
 * identifiers; metadata length; enums; positive quantity; price
 * required/forbidden and positive; stop price required/forbidden and on the
 * right side of the limit price; post-only only on LIMIT and not IOC/FOK;
 * market orders not GTD; an expiry exactly for GTD and in the future; symbol
 * and venue match ins; tick and lot; min/max quantity; min notional
 * (src/order/validate.c). */
OMS_EXTERN oms_reason_t oms_request_validate(const oms_order_request_t *req,
                                             const oms_instrument_t *ins, int64_t now_ns,
                                             oms_reject_t *r);

/* Whether s is a valid identifier: 1..max bytes of [A-Za-z0-9._:@/-]. */
OMS_EXTERN bool oms_id_valid(const char *s, size_t max);

/* Copies src into dst[cap] if it fits with its NUL. Returns 0 or OMS_ENOSPC
 * (dst set to ""). */
OMS_EXTERN int oms_strlcpy(char *dst, const char *src, size_t cap);

/* ---- The order record ---------------------------------------------------- */

/* One line of an order's audit trail. */
typedef struct oms_audit_s {
  uint32_t seq;         /* 1, 2, 3... per order */
  uint8_t from;         /* oms_ord_state_t */
  uint8_t to;           /* oms_ord_state_t */
  uint8_t event;        /* oms_ord_event_t */
  uint16_t reason_code; /* oms_reason_t, 0 if none */
  int64_t ts_ns;
} oms_audit_t;

/* The venue's view of the order is not known (the venue went down with the
 * order in flight, or its acknowledgement never came); a status query is
 * outstanding. Cleared by the venue's next report about the order. */
#define OMS_ORDF_STATUS_UNKNOWN 0x1u

/* The order keeps its most recent transitions inline; the complete trail is
 * the durable event log of the order store, which receives every record that
 * oms_order_apply() returns. */
#define OMS_AUDIT_INLINE 16

typedef struct oms_order_s {
  uint64_t order_id; /* assigned by the OMS; unique and increasing */
  char client_order_id[OMS_ID_MAX + 1];
  char strategy_id[OMS_ID_MAX + 1];
  char account_id[OMS_ID_MAX + 1];
  char venue[OMS_VENUE_MAX + 1];
  char symbol[OMS_SYMBOL_MAX + 1];
  char venue_order_id[OMS_ID_MAX + 1];
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  uint32_t instructions;
  oms_dec_t qty;
  oms_dec_t price;
  oms_dec_t stop_price;
  int64_t expire_ns;

  oms_ord_state_t state;
  /* The state to return to when a pending cancel or replace is refused. */
  oms_ord_state_t restore_state;
  oms_dec_t filled_qty;
  oms_dec_t leaves_qty;
  oms_dec_t avg_px; /* exact cum_notional / filled_qty, rounded half-even; 0 if no fill */
  /* Sum of fill qty * price at scale 10^-16, so that avg_px never drifts. */
  __int128 cum_notional;

  /* Replace requested and not yet confirmed: the values it will install. */
  oms_dec_t pending_qty;
  oms_dec_t pending_price;
  oms_dec_t pending_stop_price;
  /* The client's current name for the order: client_order_id until a
   * replace that carried a new one is confirmed (FIX ClOrdID chains), and
   * the name a pending replace will install. client_order_id itself never
   * changes: it is the idempotency key. */
  char cur_client_order_id[OMS_ID_MAX + 1];
  char pending_client_order_id[OMS_ID_MAX + 1];

  oms_reason_t reject_code;
  char reject_reason[OMS_REASON_MAX + 1];

  int64_t created_ns;
  int64_t updated_ns;
  char metadata[OMS_METADATA_MAX + 1];

  uint32_t flags;                      /* OMS_ORDF_*: operational marks kept by the core */
  uint32_t audit_count;                /* transitions ever applied */
  oms_audit_t audit[OMS_AUDIT_INLINE]; /* ring: audit[(seq - 1) % OMS_AUDIT_INLINE] */

  /* Parent orders (include/oms/algo.h). A parent has its strategy's number
   * in algo (oms_algo_strategy_t) and is never routed; its children carry
   * its id in parent_order_id and their sequence number within it in
   * child_seq (1, 2, 3...). 0 = none. */
  uint64_t parent_order_id;
  uint32_t child_seq;
  uint16_t algo;
} oms_order_t;

/* Initialises o in PENDING from a request (which the caller validated) with
 * the given id, at time now_ns. Never fails. */
OMS_EXTERN void oms_order_init(oms_order_t *o, uint64_t order_id, const oms_order_request_t *req,
                               int64_t now_ns);

/* What an event carries. Fields that an event does not use are ignored. */
typedef struct oms_ord_change_s {
  oms_ord_event_t event;
  int64_t ts_ns;
  oms_dec_t fill_qty;              /* FILL: > 0 */
  oms_dec_t fill_px;               /* FILL: > 0 */
  oms_dec_t new_qty;               /* REPLACE_REQUEST: 0 keeps the current */
  oms_dec_t new_price;             /* REPLACE_REQUEST: 0 keeps the current */
  oms_dec_t new_stop_price;        /* REPLACE_REQUEST: 0 keeps the current */
  const char *new_client_order_id; /* REPLACE_REQUEST: the name once confirmed; may be NULL */
  const char *venue_order_id;      /* ACCEPT: may be NULL */
  oms_reason_t reason;             /* DENY, REJECT, CANCEL_REJECT, REPLACE_REJECT... */
  const char *reason_text;         /* may be NULL */
} oms_ord_change_t;

/* Applies one event to o. On success returns 0, o reflects the event, and
 * *audit (if not NULL) receives the audit record appended to the trail.
 * On failure o is unchanged (byte for byte) and the return is:
 *   OMS_ESTATE     the transition table does not allow event in this state;
 *   OMS_EOVERFILL  the fill exceeds the open quantity;
 *   OMS_EINVAL     a malformed change (fill qty or price <= 0, replace values
 *                  < 0, replace quantity below the filled quantity, a fill
 *                  that does not keep filled a multiple of... nothing more);
 *   OMS_EOVERFLOW  the fill's notional is out of range. */
OMS_EXTERN int oms_order_apply(oms_order_t *o, const oms_ord_change_t *ch, oms_audit_t *audit);

/* What the transition table says for (state, event) without applying
 * anything: 1 if allowed, 0 if refused. */
OMS_EXTERN int oms_ord_transition_allowed(oms_ord_state_t s, oms_ord_event_t e);

/* The invariants of o's state (see order_fsm.c). Returns 1 if they hold.
 * Called as assert(oms_order_check(o)) after every transition. */
OMS_EXTERN int oms_order_check(const oms_order_t *o);

/* The audit record with sequence seq if it is still inline, else NULL. */
OMS_EXTERN const oms_audit_t *oms_order_audit_get(const oms_order_t *o, uint32_t seq);

/* Notional of qty at px for instrument multiplier mult (0 = 1), rounded
 * half-even. Returns 0 or OMS_EOVERFLOW. */
OMS_EXTERN int oms_notional(oms_dec_t qty, oms_dec_t px, oms_dec_t mult, oms_dec_t *out);

OMS_END_DECLS

#endif /* OMS_ORDER_H */
