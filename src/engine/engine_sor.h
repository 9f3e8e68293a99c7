/*
 * engine_sor.h - internal: smart-routed parent orders in the core
 * (engine_sor.c) and the calls between it and engine.c.
 *
 * They meet where parent orders meet the engine (engine_parent.h), with the
 * strategy OMS_SOR_ALGO telling the two kinds of parent apart:
 *   - accept_parent() calls oms__sor_open() for a smart parent;
 *   - the commit hands a child's staged event to oms__sor_child_event() when
 *     its parent is a smart one; oms__sor_commit()/_abort() install or drop
 *     what it worked out; a unit that ends a smart parent carries its
 *     BestExecution event (oms__sor_unit_bestex());
 *   - a cancel of a smart parent is oms__sor_cancel(); a modify is refused;
 *   - market data and connection changes of a venue reach the book through
 *     oms__sor_market_data() and oms__sor_connection();
 *   - oms__sor_poll() routes what is due and ends what is done.
 */
#ifndef OMS_ENGINE_SOR_H
#define OMS_ENGINE_SOR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine_parent.h"
#include "oms/engine.h"
#include "oms/sor.h"

typedef struct oms__sor_s oms__sor_t;

/* The head of oms__sor_t, read by the commit on its hot path: how many
 * smart parents' records the unit being committed changes. */
typedef struct oms__sor_head_s {
  int nscratch;
} oms__sor_head_t;

/* Room for cap smart parents over max_instruments symbols; quotes older
 * than stale_ns are stale (0: never). Returns 0 or OMS_ENOMEM. */
int oms__sor_create(uint32_t cap, uint32_t max_instruments, int64_t stale_ns, oms__sor_t **out);
void oms__sor_destroy(oms__sor_t *S);

/* Parent o (staged, ACCEPTED) starts with the policy of the submission in
 * progress; its record is encoded into blob[cap] (journaled with the
 * acceptance). Returns the record's length or OMS_EFULL / OMS_EINVAL. */
int oms__sor_open(oms__sor_t *S, const oms_order_t *o, int64_t now_ns, uint8_t *blob, size_t cap);
/* The unit that accepted it was refused. */
void oms__sor_drop(oms__sor_t *S, uint64_t order_id);

/* As oms__parents_child_event() for a child of a smart parent: returns 1
 * with *fx set (fx->blob: the parent's record after the event), or 0. */
int oms__sor_child_event(oms__sor_t *S, const oms_order_t *before, const oms_event_t *ev,
                         oms__parent_fx_t *fx);
void oms__sor_commit(oms__sor_t *S);
void oms__sor_abort(oms__sor_t *S);

/* The unit being committed and the smart parents whose records it changes
 * (a child's event, the parent's own cancel or end): whether there are any;
 * the order id of the i-th (0 past the last); and, given the BestExecution
 * event the commit staged about the i-th (its order as the unit leaves it,
 * ended), whether the unit finishes that parent (no child left open, its
 * BestExecution not yet given): then the event's text and record are
 * filled in and it joins the unit, else the commit drops it. So a parent's
 * end and its BestExecution are stored together (engine_sor.c, DURABILITY). */
static inline bool oms__sor_unit(const oms__sor_t *S) {
  return ((const oms__sor_head_t *)(const void *)S)->nscratch != 0;
}
uint64_t oms__sor_unit_parent(const oms__sor_t *S, int i);
bool oms__sor_unit_bestex(oms__sor_t *S, int i, oms_event_t *ev);

int oms__sor_cancel(oms__sor_t *S, oms_engine_t *e, uint64_t order_id, oms_reject_t *rej);
void oms__sor_market_data(oms__sor_t *S, const char *venue, const oms_market_data_t *md);
void oms__sor_connection(oms__sor_t *S, const char *venue, bool connected);
int oms__sor_poll(oms__sor_t *S, oms_engine_t *e);

/* Recovery: an open order loaded from the store (returns true for a smart
 * parent, which gets a record, and for a child of one); then, once every
 * open order is loaded, the records are read back from the journal and
 * held until the venues are reconciled. Returns 0 or OMS_ESTORE. */
bool oms__sor_loaded(oms__sor_t *S, const oms_order_t *o);
int oms__sor_recovered(oms__sor_t *S, oms_engine_t *e);

/* ---- engine.c, called by engine_sor.c ----------------------------------- */

oms__sor_t *oms__engine_sor(const oms_engine_t *e);
/* Appends a BestExecution event about order_id carrying blob[len] and text,
 * in a unit of its own (only when the unit that ended the parent had no
 * room for it). Returns 0 or the commit's error. */
int oms__engine_emit_bestex(oms_engine_t *e, uint64_t order_id, const char *text,
                            const uint8_t *blob, size_t len);

#endif /* OMS_ENGINE_SOR_H */
