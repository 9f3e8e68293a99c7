/*
 * order_internal.h - what the OMS core needs from the order module beyond
 * its public API.
 */
#ifndef OMS_ORDER_INTERNAL_H
#define OMS_ORDER_INTERNAL_H

#include "oms/order.h"

/* oms_order_apply() for a caller that already works on a scratch copy of
 * the order: the change is made in place, with no copy of its own. On
 * failure *o may be half changed and must be discarded. */
int oms__order_apply_scratch(oms_order_t *o, const oms_ord_change_t *ch, oms_audit_t *audit);

#endif /* OMS_ORDER_INTERNAL_H */
