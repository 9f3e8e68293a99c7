/*
 * order_fsm.c - the order state machine.
 *
 * NOTES ON THE DESIGN
 *
 * The table fsm[state][event] below is the single source of truth for which
 * events an order accepts in which state. oms_order_apply() looks the pair up,
 * computes the new order in a copy, checks the invariants of the new state,
 * and only then writes the copy back: a refused event leaves the order byte
 * for byte as it was, whatever the reason for the refusal.
 *
 *                          DENY
 *      PENDING ----------------------------------------------> REJECTED
 *         | SUBMIT                                    REJECT      ^
 *         v                                                       |
 *      SUBMITTED ------------------------------------------------+
 *         | ACCEPT             TRIGGER
 *         v              +---------------> TRIGGERED (stop fired; trades like ACCEPTED)
 *      ACCEPTED ---------+                    |
 *         | FILL (part)                       | FILL
 *         v                                   v
 *      PARTIALLY_FILLED --FILL (rest)--> FILLED
 *
 *   Any working state (SUBMITTED, ACCEPTED, TRIGGERED, PARTIALLY_FILLED)
 *     --CANCEL_REQUEST--> PENDING_CANCEL --CANCEL_CONFIRM--> CANCELLED
 *                                        --CANCEL_REJECT---> (restore_state)
 *     --REPLACE_REQUEST-> PENDING_REPLACE --REPLACE_CONFIRM-> ACCEPTED, TRIGGERED,
 *                                                             PARTIALLY_FILLED or FILLED
 *                                         --REPLACE_REJECT--> (restore_state)
 *     --CANCEL_CONFIRM--> CANCELLED   (unsolicited: IOC remainder, venue cancel)
 *     --EXPIRE----------> EXPIRED     (DAY, GTD)
 *
 * Races that real venues produce are legal:
 *   - a fill while PENDING_CANCEL or PENDING_REPLACE keeps the pending state
 *     (or completes the order to FILLED) and moves restore_state to
 *     PARTIALLY_FILLED, so a later refusal restores the right state;
 *   - an ACCEPT or TRIGGER that arrives after the cancel or replace request
 *     updates restore_state only;
 *   - a fill after CANCELLED or EXPIRED (the venue executed before it
 *     cancelled) is applied: the state stays, or becomes FILLED if the fill
 *     completes the order.
 * An overfill (a fill beyond the open quantity) is refused with OMS_EOVERFILL
 * and never applied; the engine raises an alarm.
 *
 * INVARIANTS (oms_order_check), with Q = qty, F = filled_qty, L = leaves_qty:
 *   PENDING, REJECTED: F == 0 and no average price, whatever Q (a request
 *                      refused by validation may carry any quantity);
 *                      PENDING: L == Q; REJECTED: L == 0.
 *   other states:      0 <= F <= Q; F == 0 <=> avg_px == 0 and cum_notional == 0;
 *                      Q > 0; audit_count > 0.
 *   non-terminal:      F + L == Q.
 *   terminal:          L == 0.
 *   PENDING, SUBMITTED, ACCEPTED, TRIGGERED, REJECTED:  F == 0.
 *   PARTIALLY_FILLED:  0 < F < Q.
 *   FILLED:            F == Q.
 *   PENDING_CANCEL, PENDING_REPLACE: restore_state is SUBMITTED, ACCEPTED,
 *                      TRIGGERED or PARTIALLY_FILLED, and PARTIALLY_FILLED
 *                      exactly when F > 0.
 *   PENDING_REPLACE:   pending_qty >= F.
 */
#include <assert.h>
#include <string.h>

#include "decimal/decimal_internal.h"
#include "oms/error.h"
#include "oms/order.h"
#include "order/order_internal.h"

/* Table entries: a target state, or one of these markers. */
enum {
  X = 0xFF,     /* refused */
  FILL_ = 0xF0, /* PARTIALLY_FILLED or FILLED, from the quantities */
  FILL_KEEP,    /* stay; FILLED if the fill completes the order */
  RESTORE,      /* back to restore_state */
  REPLACE_DONE, /* install the replace, then derive the state */
  KEEP_ACK,     /* stay; the pending request will restore to ACCEPTED */
  KEEP_TRIG,    /* stay; the pending request will restore to TRIGGERED */
};

#define S(x) OMS_STATE_##x
enum {
  PEN = S(PENDING),
  SUB = S(SUBMITTED),
  ACC = S(ACCEPTED),
  PAR = S(PARTIALLY_FILLED),
  FIL = S(FILLED),
  CXL = S(CANCELLED),
  REJ = S(REJECTED),
  PCX = S(PENDING_CANCEL),
  PRP = S(PENDING_REPLACE),
  EXP = S(EXPIRED),
  TRG = S(TRIGGERED)
};
#undef S

/* clang-format off */
static const uint8_t fsm[OMS_STATE_COUNT][OMS_EV_COUNT] = {
  /*          SUBMIT DENY ACCEPT    REJECT FILL       CXL_REQ CXL_CONF CXL_REJ  RPL_REQ RPL_CONF      RPL_REJ  EXPIRE TRIGGER */
  [PEN] = {   SUB,   REJ, X,        X,     X,         X,      CXL,     X,       X,      X,            X,       X,     X        },
  [SUB] = {   X,     X,   ACC,      REJ,   FILL_,     PCX,    CXL,     X,       X,      X,            X,       EXP,   TRG      },
  [ACC] = {   X,     X,   X,        X,     FILL_,     PCX,    CXL,     X,       PRP,    X,            X,       EXP,   TRG      },
  [PAR] = {   X,     X,   X,        X,     FILL_,     PCX,    CXL,     X,       PRP,    X,            X,       EXP,   X        },
  [FIL] = {   X,     X,   X,        X,     X,         X,      X,       X,       X,      X,            X,       X,     X        },
  [CXL] = {   X,     X,   X,        X,     FILL_KEEP, X,      X,       X,       X,      X,            X,       X,     X        },
  [REJ] = {   X,     X,   X,        X,     X,         X,      X,       X,       X,      X,            X,       X,     X        },
  [PCX] = {   X,     X,   KEEP_ACK, REJ,   FILL_KEEP, X,      CXL,     RESTORE, X,      X,            X,       EXP,   KEEP_TRIG},
  [PRP] = {   X,     X,   X,        X,     FILL_KEEP, X,      CXL,     X,       X,      REPLACE_DONE, RESTORE, EXP,   KEEP_TRIG},
  [EXP] = {   X,     X,   X,        X,     FILL_KEEP, X,      X,       X,       X,      X,            X,       X,     X        },
  [TRG] = {   X,     X,   X,        X,     FILL_,     PCX,    CXL,     X,       PRP,    X,            X,       EXP,   X        },
};
/* clang-format on */

int oms_ord_transition_allowed(oms_ord_state_t s, oms_ord_event_t e) {
  if ((unsigned)s >= OMS_STATE_COUNT || (unsigned)e >= OMS_EV_COUNT) return 0;
  return fsm[s][e] != X;
}

static bool is_restorable(oms_ord_state_t s) {
  return s == OMS_STATE_SUBMITTED || s == OMS_STATE_ACCEPTED || s == OMS_STATE_TRIGGERED ||
         s == OMS_STATE_PARTIALLY_FILLED;
}

int oms_order_check(const oms_order_t *o) {
  oms_dec_t Q = o->qty, F = o->filled_qty, L = o->leaves_qty;
  if ((unsigned)o->state >= OMS_STATE_COUNT) return 0;
  bool nofill = oms_dec_is_zero(F);
  /* An order refused by validation keeps the request as it came, whatever
   * its quantity: it never traded. */
  if (o->state == OMS_STATE_PENDING || o->state == OMS_STATE_REJECTED) {
    if (!nofill || o->avg_px.raw != 0 || o->cum_notional != 0) return 0;
    if (o->state == OMS_STATE_REJECTED) return oms_dec_is_zero(L) && o->audit_count > 0;
    return L.raw == Q.raw;
  }
  if (!oms_dec_is_pos(Q) || oms_dec_is_neg(F) || oms_dec_gt(F, Q) || oms_dec_is_neg(L)) return 0;
  if (nofill != (o->avg_px.raw == 0) || nofill != (o->cum_notional == 0)) return 0;
  if (o->audit_count == 0) return 0;
  if (oms__state_terminal(o->state)) {
    if (!oms_dec_is_zero(L)) return 0;
  } else if (F.raw + L.raw != Q.raw) {
    return 0;
  }
  switch (o->state) {
    case OMS_STATE_SUBMITTED:
    case OMS_STATE_ACCEPTED:
    case OMS_STATE_TRIGGERED: return nofill;
    case OMS_STATE_PARTIALLY_FILLED: return !nofill && oms_dec_lt(F, Q);
    case OMS_STATE_FILLED: return oms_dec_eq(F, Q);
    case OMS_STATE_PENDING_REPLACE:
      if (oms_dec_lt(o->pending_qty, F)) return 0;
      /* fall through */
    case OMS_STATE_PENDING_CANCEL:
      return is_restorable(o->restore_state) &&
             (o->restore_state == OMS_STATE_PARTIALLY_FILLED) == !nofill;
    default: return 1;
  }
}

const oms_audit_t *oms_order_audit_get(const oms_order_t *o, uint32_t seq) {
  if (seq == 0 || seq > o->audit_count || o->audit_count - seq >= OMS_AUDIT_INLINE) return NULL;
  return &o->audit[(seq - 1) % OMS_AUDIT_INLINE];
}

/* Adds a fill to n (a copy). Returns 0 or an error, n then half-written and
 * discarded by the caller. */
static int add_fill(oms_order_t *n, const oms_ord_change_t *ch) {
  if (!oms_dec_is_pos(ch->fill_qty) || !oms_dec_is_pos(ch->fill_px)) return OMS_EINVAL;
  oms_dec_t f;
  if (oms_dec_add(n->filled_qty, ch->fill_qty, &f) != 0 || oms_dec_gt(f, n->qty))
    return OMS_EOVERFILL;
  /* qty and price are each below 2^63, so their product is below 2^126 and
   * the running sum of products of fills totalling <= qty stays below 2^127. */
  n->cum_notional += (__int128)ch->fill_qty.raw * ch->fill_px.raw;
  __int128 q = oms__dec_round_div(n->cum_notional, f.raw, OMS_ROUND_HALF_EVEN);
  if (q > INT64_MAX) return OMS_EOVERFLOW;
  n->avg_px.raw = (int64_t)q;
  n->filled_qty = f;
  return 0;
}

static oms_ord_state_t fill_state(const oms_order_t *n) {
  return oms_dec_eq(n->filled_qty, n->qty) ? OMS_STATE_FILLED : OMS_STATE_PARTIALLY_FILLED;
}

static void set_reason(oms_order_t *n, const oms_ord_change_t *ch) {
  n->reject_code = ch->reason;
  n->reject_reason[0] = '\0';
  if (ch->reason_text != NULL) {
    size_t len = strlen(ch->reason_text);
    if (len > OMS_REASON_MAX) len = OMS_REASON_MAX;
    memcpy(n->reject_reason, ch->reason_text, len);
    n->reject_reason[len] = '\0';
  }
}

/* Applies ch to *np in place. On failure *np may be half changed: callers
 * work on a copy. Reads through o (the same order) only values that the
 * change has not touched yet at that point, and takes `from` first. */
static int apply_in_place(oms_order_t *np, const oms_ord_change_t *ch, oms_audit_t *audit) {
  const oms_order_t *o = np;
  if ((unsigned)o->state >= OMS_STATE_COUNT || (unsigned)ch->event >= OMS_EV_COUNT)
    return OMS_EINVAL;
  uint8_t t = fsm[o->state][ch->event];
  if (t == X) return OMS_ESTATE;
  const oms_ord_state_t from = o->state;
  int rc;
  oms_ord_state_t to;
  switch (t) {
    case FILL_:
      if ((rc = add_fill(np, ch)) != 0) return rc;
      to = fill_state(np);
      break;
    case FILL_KEEP:
      if ((rc = add_fill(np, ch)) != 0) return rc;
      to = oms_dec_eq(np->filled_qty, np->qty) ? OMS_STATE_FILLED : o->state;
      if (to == OMS_STATE_PENDING_CANCEL || to == OMS_STATE_PENDING_REPLACE)
        np->restore_state = OMS_STATE_PARTIALLY_FILLED;
      break;
    case RESTORE:
      to = o->restore_state;
      if (ch->event == OMS_EV_REPLACE_REJECT) {
        np->pending_qty = np->pending_price = np->pending_stop_price = OMS_DEC_ZERO;
        np->pending_client_order_id[0] = '\0';
      }
      break;
    case REPLACE_DONE:
      if (oms_dec_lt(np->pending_qty, np->filled_qty)) return OMS_EINVAL;
      np->qty = np->pending_qty;
      np->price = np->pending_price;
      np->stop_price = np->pending_stop_price;
      np->pending_qty = np->pending_price = np->pending_stop_price = OMS_DEC_ZERO;
      if (np->pending_client_order_id[0] != '\0') {
        memcpy(np->cur_client_order_id, np->pending_client_order_id,
               sizeof(np->cur_client_order_id));
        np->pending_client_order_id[0] = '\0';
      }
      to = oms_dec_is_zero(np->filled_qty) ? o->restore_state : fill_state(np);
      break;
    case KEEP_ACK:
      to = o->state;
      if (np->restore_state == OMS_STATE_SUBMITTED) np->restore_state = OMS_STATE_ACCEPTED;
      break;
    case KEEP_TRIG:
      to = o->state;
      if (np->restore_state == OMS_STATE_SUBMITTED || np->restore_state == OMS_STATE_ACCEPTED)
        np->restore_state = OMS_STATE_TRIGGERED;
      break;
    default: to = (oms_ord_state_t)t; break;
  }

  switch (ch->event) {
    case OMS_EV_ACCEPT:
      if (ch->venue_order_id != NULL) {
        size_t len = strlen(ch->venue_order_id);
        if (len > OMS_ID_MAX) return OMS_EINVAL;
        memcpy(np->venue_order_id, ch->venue_order_id, len + 1);
      }
      break;
    case OMS_EV_DENY:
    case OMS_EV_REJECT:
      /* A venue can only refuse a new order it has not acknowledged; with a
       * cancel pending that means the cancel was sent before the ack. */
      if (o->state == OMS_STATE_PENDING_CANCEL && o->restore_state != OMS_STATE_SUBMITTED)
        return OMS_ESTATE;
      set_reason(np, ch);
      break;
    case OMS_EV_CANCEL_REQUEST: np->restore_state = o->state; break;
    case OMS_EV_REPLACE_REQUEST: {
      oms_dec_t q = oms_dec_is_zero(ch->new_qty) ? o->qty : ch->new_qty;
      oms_dec_t p = oms_dec_is_zero(ch->new_price) ? o->price : ch->new_price;
      oms_dec_t s = oms_dec_is_zero(ch->new_stop_price) ? o->stop_price : ch->new_stop_price;
      if (oms_dec_is_neg(q) || oms_dec_is_neg(p) || oms_dec_is_neg(s)) return OMS_EINVAL;
      if (oms_dec_le(q, o->filled_qty)) return OMS_EINVAL;
      np->pending_qty = q;
      np->pending_price = p;
      np->pending_stop_price = s;
      np->pending_client_order_id[0] = '\0';
      if (ch->new_client_order_id != NULL) {
        size_t len = strlen(ch->new_client_order_id);
        if (len > OMS_ID_MAX) return OMS_EINVAL;
        memcpy(np->pending_client_order_id, ch->new_client_order_id, len + 1);
      }
      np->restore_state = o->state;
      break;
    }
    default: break;
  }

  np->state = to;
  np->leaves_qty =
      oms__state_terminal(to) ? OMS_DEC_ZERO : (oms_dec_t){np->qty.raw - np->filled_qty.raw};
  /* restore_state only has meaning while a request is pending. */
  if (to != OMS_STATE_PENDING_CANCEL && to != OMS_STATE_PENDING_REPLACE) np->restore_state = to;
  np->updated_ns = ch->ts_ns;
  /* Written field by field: a whole entry built on the stack would carry
   * its padding, whatever the stack held, into the order. */
  oms_audit_t *a = &np->audit[np->audit_count % OMS_AUDIT_INLINE];
  a->seq = np->audit_count + 1;
  a->from = (uint8_t)from;
  a->to = (uint8_t)to;
  a->event = (uint8_t)ch->event;
  a->reason_code = (uint16_t)ch->reason;
  a->ts_ns = ch->ts_ns;
  np->audit_count = a->seq;
  if (!oms_order_check(np)) return OMS_EINVAL;
  if (audit != NULL) *audit = *a;
  return 0;
}

int oms_order_apply(oms_order_t *o, const oms_ord_change_t *ch, oms_audit_t *audit) {
  /* Refusals by the table cost no copy. */
  if ((unsigned)o->state >= OMS_STATE_COUNT || (unsigned)ch->event >= OMS_EV_COUNT)
    return OMS_EINVAL;
  if (fsm[o->state][ch->event] == X) return OMS_ESTATE;
  oms_order_t n = *o;
  int rc = apply_in_place(&n, ch, audit);
  if (rc == 0) *o = n;
  return rc;
}

int oms__order_apply_scratch(oms_order_t *o, const oms_ord_change_t *ch, oms_audit_t *audit) {
  return apply_in_place(o, ch, audit);
}

/* The preconditions are exactly what makes apply_in_place's SUBMIT from
 * PENDING pass oms_order_check as SUBMITTED (a positive quantity, no fill,
 * leaves equal to the quantity), plus what lets the undo be this small (no
 * entry yet, restore state and flags as init sets them). */
int oms__order_submit(oms_order_t *o, int64_t ts_ns, oms__submit_undo_t *u) {
  if (o->state != OMS_STATE_PENDING || o->restore_state != OMS_STATE_PENDING ||
      o->audit_count != 0 || o->flags != 0 || !oms_dec_is_pos(o->qty) || o->filled_qty.raw != 0 ||
      o->leaves_qty.raw != o->qty.raw || o->avg_px.raw != 0 || o->cum_notional != 0)
    return OMS_ESTATE;
  oms_audit_t *a = &o->audit[0];
  u->audit = *a;
  u->updated_ns = o->updated_ns;
  o->state = o->restore_state = OMS_STATE_SUBMITTED;
  o->updated_ns = ts_ns;
  a->seq = 1;
  a->from = (uint8_t)OMS_STATE_PENDING;
  a->to = (uint8_t)OMS_STATE_SUBMITTED;
  a->event = (uint8_t)OMS_EV_SUBMIT;
  a->reason_code = 0;
  a->ts_ns = ts_ns;
  o->audit_count = 1;
  assert(oms_order_check(o));
  return 0;
}

void oms__order_unsubmit(oms_order_t *o, const oms__submit_undo_t *u) {
  o->state = o->restore_state = OMS_STATE_PENDING;
  o->updated_ns = u->updated_ns;
  o->audit[0] = u->audit;
  o->audit_count = 0;
}
