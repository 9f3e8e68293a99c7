/*
 * engine_parent.h - internal: the parent orders of the core
 * (engine_parent.c) and the few calls between it and engine.c.
 *
 * engine.c owns orders, units and the outbox; engine_parent.c owns the
 * parents' algorithm states (include/oms/algo.h) and decides when they step.
 * They meet at these points:
 *   - a submission of a parent (oms_engine_submit_parent) goes through the
 *     ordinary submit path, which at step 5 calls oms__parents_open() instead
 *     of routing: the parent is accepted, its state journaled on its event;
 *   - every commit hands the staged events of children to
 *     oms__parents_child_event(), which works out, on a copy of the parent's
 *     state, what the child's fill or end does to the parent (a FILL of the
 *     parent, its end) and the parent's state to journal in the same unit;
 *     oms__parents_commit() installs the copies once the unit is appended,
 *     oms__parents_abort() drops them when it is refused;
 *   - oms__parents_poll() steps the parents whose wake-up time came, whose
 *     instrument's market data changed or whose children moved, and turns
 *     their intents into children (oms__engine_submit_child) and cancels;
 *   - recovery sees the open orders loaded (oms__parents_loaded), reads each
 *     open parent's last state back from the events since its acceptance and
 *     resumes it (oms__parents_recovered).
 */
#ifndef OMS_ENGINE_PARENT_H
#define OMS_ENGINE_PARENT_H

#include <stdbool.h>
#include <stdint.h>

#include "oms/algo.h"
#include "oms/engine.h"
#include "oms/event.h"
#include "oms/order.h"

typedef struct oms__parents_s oms__parents_t;

/* ---- engine_parent.c, called by engine.c -------------------------------- */

/* Room for cap parents and the market data of max_instruments. Returns 0 or
 * OMS_ENOMEM (*out NULL). */
int oms__parents_create(uint32_t cap, uint32_t max_instruments, oms__parents_t **out);
void oms__parents_destroy(oms__parents_t *P);

/* The parent o (PENDING -> ACCEPTED in the staged copy; its order id set)
 * starts with the parameters oms_engine_submit_parent() left pending: its
 * state is made and encoded into blob[cap]. Returns the encoded length, or
 * OMS_EFULL (no room for another parent) / OMS_EINVAL. */
int oms__parents_open(oms__parents_t *P, const oms_order_t *o, int64_t now_ns, uint8_t *blob,
                      size_t cap);
/* The unit that accepted parent order_id was refused: forget it. */
void oms__parents_drop(oms__parents_t *P, uint64_t order_id);

/* What a child's staged event does to its parent. */
typedef struct oms__parent_fx_s {
  uint64_t parent_id;
  int nch;                /* changes of the parent order (0..2) */
  oms_ord_change_t ch[2]; /* FILL, and/or its end */
  const uint8_t *blob;    /* the parent's state after the event */
  uint16_t len;
} oms__parent_fx_t;

/* Child event ev (before: the child as it is) in the unit being committed.
 * Returns 1 with *fx set when the parent's state is to be journaled with it
 * (len 0: a fill on a child of a parent already ended, which its order
 * still takes), 0 when the child has no parent here. */
int oms__parents_child_event(oms__parents_t *P, const oms_order_t *before, const oms_event_t *ev,
                             oms__parent_fx_t *fx);
void oms__parents_commit(oms__parents_t *P);
void oms__parents_abort(oms__parents_t *P);

/* The client (halt false) or a halt (true) cancels parent order_id. Returns
 * 0, or OMS_EREJECTED with rej set. */
int oms__parents_cancel(oms__parents_t *P, oms_engine_t *e, uint64_t order_id, bool halt,
                        oms_reject_t *rej);

/* The client replaces parent order_id's quantity and limit price (checked
 * by validation and risk as any modify): its algorithm re-plans and its open
 * children are cancelled. Returns 0, or OMS_EREJECTED with rej set (the
 * algorithm's refusal as its OMS_R_ALGO_* reason). */
int oms__parents_modify(oms__parents_t *P, oms_engine_t *e, uint64_t order_id, oms_dec_t qty,
                        oms_dec_t price, oms_reject_t *rej);

/* Market data of venue: kept for the parents of its instrument, which step
 * at the next poll. */
void oms__parents_market_data(oms__parents_t *P, const char *venue, const oms_market_data_t *md);

/* A child o is converted for its venue: the native fields (the venue works
 * its parent's type itself; oms_venue_order_t.native), when so. */
void oms__parents_native_of(oms__parents_t *P, const oms_order_t *o, oms_venue_order_t *vo);

/* Steps what is due. Returns the number of parents stepped. */
int oms__parents_poll(oms__parents_t *P, oms_engine_t *e);

/* Recovery: every order loaded (in order id order), then the end of the
 * load, which reads the parents' states back from the store. Returns 0 or
 * OMS_ESTORE. */
void oms__parents_loaded(oms__parents_t *P, const oms_order_t *o);
int oms__parents_recovered(oms__parents_t *P, oms_engine_t *e);

/* ---- engine.c, called by engine_parent.c -------------------------------- */

int64_t oms__engine_now(oms_engine_t *e);
oms_store_t *oms__engine_store(oms_engine_t *e);
/* The risk engine (NULL if none): its trading hours end DAY parents. */
oms_risk_t *oms__engine_risk(oms_engine_t *e);
oms__parents_t *oms__engine_parents(oms_engine_t *e);
/* The order in memory, or NULL. */
const oms_order_t *oms__engine_order(oms_engine_t *e, uint64_t order_id);
/* The next submission makes a parent of strategy algo (child_of 0), or a
 * child of parent child_of with sequence number seq. */
void oms__engine_make(oms_engine_t *e, uint64_t child_of, uint32_t seq, uint16_t algo);
/* Applies changes ch[0..n) to parent order_id as one event carrying the
 * parent's state blob[len], in a unit of its own. Returns 0 or the error of
 * the transition or the commit. */
int oms__engine_parent_apply(oms_engine_t *e, uint64_t order_id, const oms_ord_change_t *ch, int n,
                             const uint8_t *blob, size_t len);
/* Cancels a child on the parent's behalf (no cancel-rate budget). */
int oms__engine_cancel_child(oms_engine_t *e, uint64_t order_id);

#endif /* OMS_ENGINE_PARENT_H */
