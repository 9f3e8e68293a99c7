/*
 * order_internal.h - what the OMS core needs from the order module beyond
 * its public API.
 */
#ifndef OMS_ORDER_INTERNAL_H
#define OMS_ORDER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "oms/order.h"

/* memset(p, 0, n) for a constant n, as blocks of at most 64 bytes, which
 * GCC writes with a few 16-byte stores: one memset of more than about 90
 * bytes it makes a rep stos, which starts slowly (tens of cycles) and
 * counts as one instruction per 8 bytes. For the order and slot fields a
 * submission clears. */
static inline __attribute__((always_inline)) void oms__zero(void *p, size_t n) {
  char *c = p;
  for (; n > 64; n -= 64, c += 64) memset(c, 0, 64);
  memset(c, 0, n);
}

/* oms_order_apply() for a caller that works on a scratch copy of the order
 * or keeps what it needs to undo the change (the engine's slots): the
 * change is made in place, with no copy of its own. On failure *o may be
 * half changed and must be discarded or restored. */
int oms__order_apply_scratch(oms_order_t *o, const oms_ord_change_t *ch, oms_audit_t *audit);

/* SUBMIT applied to an order as oms_order_init made it (PENDING, restore
 * state PENDING, no flag, no fill, no audit entry yet, a positive quantity
 * it all leaves): the order oms__order_apply_scratch makes of it, by a
 * short path, for the engine's submission, which makes that change to
 * every new order. *u receives what the change overwrote, for
 * oms__order_unsubmit to put back. Returns 0, or OMS_ESTATE with o
 * untouched for any other order (the caller then takes the general path). */
typedef struct oms__submit_undo_s {
  oms_audit_t audit; /* the ring entry the SUBMIT's own overwrote */
  int64_t updated_ns;
} oms__submit_undo_t;
int oms__order_submit(oms_order_t *o, int64_t ts_ns, oms__submit_undo_t *u);
void oms__order_unsubmit(oms_order_t *o, const oms__submit_undo_t *u);

/* oms_order_init over o, which holds an order (or zeros) whose audit
 * entries past its audit_count are zero, as every order is that only
 * transitions wrote: of the audit ring only the entries o used are
 * cleared. An engine's slot takes each new order over a finished one of a
 * few transitions, and the ring is a quarter of the order. Likewise its
 * two long texts: `dirty` says which of them may hold a byte other than
 * zero (OMS__DIRTY_*; a text not named is all zeros, and is not written
 * again), and the return says it of the new order. A request's metadata
 * whose NUL is within its first OMS__META_HEAD bytes is copied up to there,
 * zeros after (its bytes past the NUL are no text), so that a short one
 * leaves three cache lines of the order unwritten; an empty one is not
 * copied at all (zeros). */
#define OMS__DIRTY_REASON 1u /* reject_reason */
#define OMS__DIRTY_META 2u   /* metadata past its first OMS__META_HEAD bytes */
#define OMS__META_HEAD 48
unsigned oms__order_init_over(oms_order_t *o, uint64_t order_id, const oms_order_request_t *req,
                              int64_t now_ns, unsigned dirty);

/* A step (a tick or lot size) made ready for multiple tests without a
 * division, which costs tens of cycles where this costs a few: the step is
 * odd << shift, inv is odd's inverse modulo 2^64 and lim is UINT64_MAX /
 * step; u is a multiple of the step exactly when u * inv (mod 2^64),
 * rotated right by shift, is <= lim. Multiplying by inv maps the multiples
 * of the step onto q << shift for q in 0..lim; anything else either keeps
 * a bit below shift, which the rotation puts above lim, or maps to a
 * larger q (Granlund and Montgomery, "Division by invariant integers using
 * multiplication", 1994, as compilers test x % d == 0). A step <= 0
 * divides everything, as oms_dec_is_multiple has it. */
typedef struct oms__step_s {
  uint64_t inv, lim;
  unsigned shift;
} oms__step_t;

static inline oms__step_t oms__step(oms_dec_t step) {
  oms__step_t s = {.inv = 0, .lim = UINT64_MAX, .shift = 0};
  if (step.raw <= 0) return s;
  uint64_t odd = (uint64_t)step.raw;
  s.shift = (unsigned)__builtin_ctzll(odd);
  odd >>= s.shift;
  uint64_t x = odd; /* right in its low 3 bits; each step doubles that */
  for (int i = 0; i < 5; i++) x *= 2 - odd * x;
  s.inv = x;
  s.lim = UINT64_MAX / (uint64_t)step.raw;
  return s;
}

/* oms_dec_is_multiple(a, step) for s = oms__step(step). */
static inline bool oms__dec_multiple(oms_dec_t a, oms__step_t s) {
  uint64_t u = a.raw < 0 ? 0 - (uint64_t)a.raw : (uint64_t)a.raw;
  uint64_t p = u * s.inv;
  return (p >> s.shift | p << (-s.shift & 63u)) <= s.lim;
}

/* What a submission reads of an instrument, on two cache lines of its own
 * (the record itself is 104 bytes at any offset, and its steps were apart):
 * the names it compares, its limits and its steps. oms__ins_hot_set makes
 * it from the record; an owner keeps it in step with every change. key and
 * index are the owner's (the engine's: the hash it finds the record by, in
 * a table of these where a map entry would be a third line, and the
 * record's place); oms__ins_hot_set clears them. */
typedef struct oms__ins_hot_s {
  _Alignas(128) char symbol[OMS_SYMBOL_MAX + 1];
  char venue[OMS_VENUE_MAX + 1];
  oms_dec_t min_qty, max_qty, min_notional, multiplier;
  uint64_t tick_inv, tick_lim, lot_inv, lot_lim; /* oms__step of tick and lot size */
  uint64_t key;
  uint32_t index;
  uint8_t tick_shift, lot_shift;
  bool venue_ok; /* the venue is a valid identifier (OMS__KNOWN_VENUE) */
} oms__ins_hot_t;
_Static_assert(sizeof(oms__ins_hot_t) == 128, "an instrument's hot record is two cache lines");

void oms__ins_hot_set(oms__ins_hot_t *h, const oms_instrument_t *ins);

static inline oms__step_t oms__ins_tick(const oms__ins_hot_t *h) {
  return (oms__step_t){h->tick_inv, h->tick_lim, h->tick_shift};
}
static inline oms__step_t oms__ins_lot(const oms__ins_hot_t *h) {
  return (oms__step_t){h->lot_inv, h->lot_lim, h->lot_shift};
}

/* oms_request_validate() for a caller that knows some rules hold (`known`,
 * OMS__KNOWN_* bits): the rules are not tested again, and the answer is the
 * same. OMS__KNOWN_INSTRUMENT: ins is not NULL, passed
 * oms_instrument_check() and names the request's venue and symbol, so the
 * request names ins and its symbol is a valid identifier. OMS__KNOWN_VENUE:
 * and its venue is a valid identifier. */
#define OMS__KNOWN_INSTRUMENT 1u
#define OMS__KNOWN_VENUE 2u
/* OMS__KNOWN_STEPS: and the request's price and stop price (where its type
 * uses them) are multiples of ins's tick size, its quantity of ins's lot
 * size (a caller that tested this with oms__dec_multiple, no division). */
#define OMS__KNOWN_STEPS 4u
oms_reason_t oms__request_validate(const oms_order_request_t *req, const oms_instrument_t *ins,
                                   unsigned known, int64_t now_ns, oms_reject_t *r);
/* The same, with hot ins's hot record (oms__ins_hot_set of *ins; NULL with
 * ins), from which the limits and the names in a refusal are read: of ins
 * only the tick and lot sizes, to test them without OMS__KNOWN_STEPS or to
 * word their refusal. */
oms_reason_t oms__request_validate_hot(const oms_order_request_t *req, const oms_instrument_t *ins,
                                       const oms__ins_hot_t *hot, unsigned known, int64_t now_ns,
                                       oms_reject_t *r);

/* oms_ord_state_is_terminal() where the compiler can inline it: the core
 * asks about ten times per submission, and a call into order.c costs more
 * than the test. The set of states as bits: one test where four compares
 * were. The public function is this one. */
#define OMS__STATE_BIT(s) (1u << (unsigned)(s))
#define OMS__TERMINAL_STATES                                                \
  (OMS__STATE_BIT(OMS_STATE_FILLED) | OMS__STATE_BIT(OMS_STATE_CANCELLED) | \
   OMS__STATE_BIT(OMS_STATE_REJECTED) | OMS__STATE_BIT(OMS_STATE_EXPIRED))

static inline bool oms__state_terminal(oms_ord_state_t s) {
  return (unsigned)s < OMS_STATE_COUNT && (OMS__TERMINAL_STATES >> (unsigned)s & 1u) != 0;
}

#endif /* OMS_ORDER_INTERNAL_H */
