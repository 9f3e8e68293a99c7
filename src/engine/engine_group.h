/*
 * engine_group.h - internal: contingent groups in the core
 * (engine_group.c) and the few calls between it and engine.c.
 *
 * A group (OCO, OUO, OTO, bracket) is an order of the engine, the group's
 * order, that is never routed; its members are ordinary orders carrying
 * the group order's id in parent_order_id. engine.c meets this file where it
 * meets engine_parent.c, and hands over the orders whose algo is a group's
 * (oms__group_algo):
 *   - oms_engine_submit_group() validates the members and submits the group
 *     order through the ordinary path (risk once, for its size), which at
 *     acceptance calls oms__groups_open() instead of oms__parents_open();
 *   - every commit hands the members' staged events to
 *     oms__groups_child_event() (through the same oms__parent_fx_t as a
 *     parent's child), installed by oms__groups_commit();
 *   - oms__groups_poll() makes the members' orders hold what the group wants
 *     (new orders, replaces, cancels);
 *   - recovery: oms__groups_loaded() for each order loaded,
 *     oms__groups_recovered() at the end.
 */
#ifndef OMS_ENGINE_GROUP_H
#define OMS_ENGINE_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine_parent.h"
#include "oms/algo.h"
#include "oms/engine.h"

typedef struct oms__groups_s oms__groups_t;

/* The algo number of a group order of kind k: OMS_GROUP_ALGO_BASE + k. */
#define OMS__GROUP_ALGO(k) ((uint16_t)(OMS_GROUP_ALGO_BASE + (k)))
static inline bool oms__group_algo(uint16_t algo) {
  return algo > OMS_GROUP_ALGO_BASE && algo <= OMS_GROUP_ALGO_BASE + OMS_GROUP_BRACKET;
}

int oms__groups_create(uint32_t cap, oms__groups_t **out);
void oms__groups_destroy(oms__groups_t *G);

/* The group order o (ACCEPTED in the staged copy) starts with the members
 * oms_engine_submit_group() left pending; its state is encoded into
 * blob[cap]. Returns the length, or OMS_EFULL / OMS_EINVAL. */
int oms__groups_open(oms__groups_t *G, const oms_order_t *o, uint8_t *blob, size_t cap);
void oms__groups_drop(oms__groups_t *G, uint64_t order_id);

/* As oms__parents_child_event, for a member's event. */
int oms__groups_child_event(oms__groups_t *G, const oms_order_t *before, const oms_event_t *ev,
                            oms__parent_fx_t *fx);
void oms__groups_commit(oms__groups_t *G);
void oms__groups_abort(oms__groups_t *G);

/* The client (halt false) or a halt cancels group order order_id. */
int oms__groups_cancel(oms__groups_t *G, oms_engine_t *e, uint64_t order_id, bool halt,
                       oms_reject_t *rej);

int oms__groups_poll(oms__groups_t *G, oms_engine_t *e);

/* Market data of venue: triggers the stops held in the OMS for venues
 * without native stops (oms_engine_set_stops_held). */
void oms__groups_market_data(oms__groups_t *G, const char *venue, const oms_market_data_t *md);

/* Risk. The exposure members' fills are in the position as they happen,
 * while the group order takes them only at its end: so that the aggregates
 * count each exposure once, the group order reserves only what its
 * exposure members can still add (neither their fills nor a member that
 * ended). oms__groups_reserve() sets *adj to group order go as risk should
 * see it and returns true, or returns false when go itself is right;
 * oms__groups_rereserve() tells risk after a member of group order
 * group_order_id filled, ended or had a fill busted. */
bool oms__groups_reserve(const oms__groups_t *G, const oms_order_t *go, oms_order_t *adj);
void oms__groups_rereserve(oms__groups_t *G, oms_engine_t *e, uint64_t group_order_id);

/* Risk's view of child order o: an OCO's leg on the other side of its
 * group order (a breakout straddle) is an exposure of its own, which the
 * group order (leg1's side) does not reserve: risk sees it as an ordinary
 * order, checked in full and in the aggregates (*tmp, o without its
 * parent). So is any child's end whose parent is gone (risk forgets an
 * order it never held). Otherwise o. */
const oms_order_t *oms__groups_risk_view(oms_engine_t *e, const oms_order_t *o, oms_order_t *tmp);

/* Recovery: returns true when o is a group order or a member of one (so it
 * is not a parent's). */
bool oms__groups_loaded(oms__groups_t *G, const oms_order_t *o);
int oms__groups_recovered(oms__groups_t *G, oms_engine_t *e);

/* engine.c, for engine_group.c: the group whose order the engine makes
 * next (engine.c sets algo from it), and a replace of a member's order to
 * total quantity qty (a member is never modified by a client). */
oms__groups_t *oms__engine_groups(oms_engine_t *e);
int oms__engine_replace_child(oms_engine_t *e, uint64_t order_id, oms_dec_t qty);

#endif /* OMS_ENGINE_GROUP_H */
