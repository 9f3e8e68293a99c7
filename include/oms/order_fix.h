/*
 * order_fix.h - the order's vocabulary in FIX 4.4: Side(54), OrdType(40)
 * and TimeInForce(59), one table each, read both ways.
 *
 * Every FIX edge of oms (the gateway to strategies, the FIX venue connector,
 * omsvenue) converts through these tables, so a side, an order type or a
 * time in force means the same thing wherever it crosses FIX. A value FIX
 * has and oms does not (a short sale, GTX...) is absent on purpose: the
 * *_of_fix functions refuse it and the caller says so.
 */
#ifndef OMS_ORDER_FIX_H
#define OMS_ORDER_FIX_H

#include <stdbool.h>

#include "oms/fix.h"
#include "oms/order.h"

OMS_BEGIN_DECLS

#define OMS_FIX_SIDE_TABLE(XX)       \
  XX(OMS_SIDE_BUY, OMS_FIX_SIDE_BUY) \
  XX(OMS_SIDE_SELL, OMS_FIX_SIDE_SELL)

#define OMS_FIX_ORD_TYPE_TABLE(XX)            \
  XX(OMS_ORD_MARKET, OMS_FIX_ORD_TYPE_MARKET) \
  XX(OMS_ORD_LIMIT, OMS_FIX_ORD_TYPE_LIMIT)   \
  XX(OMS_ORD_STOP, OMS_FIX_ORD_TYPE_STOP)     \
  XX(OMS_ORD_STOP_LIMIT, OMS_FIX_ORD_TYPE_STOP_LIMIT)

#define OMS_FIX_TIF_TABLE(XX)      \
  XX(OMS_TIF_DAY, OMS_FIX_TIF_DAY) \
  XX(OMS_TIF_GTC, OMS_FIX_TIF_GTC) \
  XX(OMS_TIF_IOC, OMS_FIX_TIF_IOC) \
  XX(OMS_TIF_FOK, OMS_FIX_TIF_FOK) \
  XX(OMS_TIF_GTD, OMS_FIX_TIF_GTD)

/* clang-format off */
#define OMS__TO_FIX(ours, fix) case ours: return fix;
#define OMS__OF_FIX(ours, fix) case fix: *out = ours; return true;
/* clang-format on */

/* clang-format off */
/* Our value as FIX writes it; 0 for a value outside the enum. */
static inline char oms_fix_side(oms_side_t v) {
  switch (v) {
    OMS_FIX_SIDE_TABLE(OMS__TO_FIX)
    default: return 0;
  }
}
static inline char oms_fix_ord_type(oms_ord_type_t v) {
  switch (v) {
    OMS_FIX_ORD_TYPE_TABLE(OMS__TO_FIX)
    default: return 0;
  }
}
static inline char oms_fix_tif(oms_tif_t v) {
  switch (v) {
    OMS_FIX_TIF_TABLE(OMS__TO_FIX)
    default: return 0;
  }
}

/* The FIX value as ours: true and *out set, or false (not one we take). */
static inline bool oms_side_of_fix(char c, oms_side_t *out) {
  switch (c) {
    OMS_FIX_SIDE_TABLE(OMS__OF_FIX)
    default: return false;
  }
}
static inline bool oms_ord_type_of_fix(char c, oms_ord_type_t *out) {
  switch (c) {
    OMS_FIX_ORD_TYPE_TABLE(OMS__OF_FIX)
    default: return false;
  }
}
static inline bool oms_tif_of_fix(char c, oms_tif_t *out) {
  switch (c) {
    OMS_FIX_TIF_TABLE(OMS__OF_FIX)
    default: return false;
  }
}
/* clang-format on */

OMS_END_DECLS

#endif /* OMS_ORDER_FIX_H */
