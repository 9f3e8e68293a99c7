/*
 * map.c - the exchange's FIX vocabulary: what a FIX 4.4 order asks of the
 * simulated venue, and how the venue's reports read in FIX.
 *
 * Pure functions over values, so that every mapping is a unit test
 * (tests/unit/omsvenue/test_map.c). Fills are ExecType F (Trade), as FIX 4.4
 * has it; OrdStatus follows from the order's quantities after the report
 * (partially filled while something is filled and something is left).
 */
#include <string.h>

#include "oms/order_fix.h"
#include "omsvenue.h"

/* The vocabulary itself is oms/order_fix.h's, shared with omsd's FIX edges. */
int vmap_side(char fix, oms_side_t *out) { return oms_side_of_fix(fix, out) ? 0 : OMS_EINVAL; }

int vmap_ord_type(char fix, oms_ord_type_t *out) {
  return oms_ord_type_of_fix(fix, out) ? 0 : OMS_EINVAL;
}

int vmap_tif(char fix, oms_tif_t *out) { return oms_tif_of_fix(fix, out) ? 0 : OMS_EINVAL; }

char vmap_fix_side(oms_side_t s) { return oms_fix_side(s); }

char vmap_fix_ord_type(oms_ord_type_t t) {
  char c = oms_fix_ord_type(t);
  return c ? c : OMS_FIX_ORD_TYPE_LIMIT;
}

char vmap_fix_tif(oms_tif_t t) {
  char c = oms_fix_tif(t);
  return c ? c : OMS_FIX_TIF_GTC;
}

static int dec_of(oms_fix_str_t s, oms_dec_t *out) {
  return s.len == 0 ? (out->raw = 0, 0) : oms_dec_parse(s.ptr, s.len, out);
}

int vmap_new_order(const oms_fix_order_fields_t *f, oms_venue_order_t *out, const char **why) {
  memset(out, 0, sizeof(*out));
  *why = NULL;
  if (vmap_side(f->side, &out->side) != 0)
    *why = "side not traded (buy or sell only)";
  else if (vmap_ord_type(f->ord_type, &out->type) != 0)
    *why = "order type not traded";
  else if (vmap_tif(f->time_in_force, &out->tif) != 0)
    *why = "time in force not traded";
  else if (f->symbol.len == 0 || f->symbol.len > OMS_SYMBOL_MAX)
    *why = "unknown symbol";
  else if (dec_of(f->order_qty, &out->qty) != 0 || out->qty.raw <= 0)
    *why = "bad order quantity";
  else if (dec_of(f->price, &out->price) != 0)
    *why = "bad price";
  else if (dec_of(f->stop_px, &out->stop_price) != 0)
    *why = "bad stop price";
  if (*why != NULL) return OMS_EINVAL;
  memcpy(out->symbol, f->symbol.ptr, f->symbol.len);
  out->instructions = f->post_only ? OMS_INST_POST_ONLY : 0;
  out->expire_ns = f->expire_time_ns;
  return 0;
}

char vmap_exec_type(oms_exec_type_t t) {
  switch (t) {
    case OMS_EXEC_ACCEPTED: return '0';
    case OMS_EXEC_REJECTED: return '8';
    case OMS_EXEC_FILL: return 'F';
    case OMS_EXEC_CANCELLED: return '4';
    case OMS_EXEC_REPLACED: return '5';
    case OMS_EXEC_EXPIRED: return 'C';
    case OMS_EXEC_TRIGGERED: return 'D';
    case OMS_EXEC_STATUS: return 'I';
    case OMS_EXEC_BUST: return 'H';
    case OMS_EXEC_CORRECT: return 'G';
    case OMS_EXEC_RESTATED: return 'D';
    default: return 'I';
  }
}

/* New, partially filled or filled, from the quantities. */
static char working(oms_dec_t cum, oms_dec_t leaves) {
  if (cum.raw > 0) return leaves.raw > 0 ? '1' : '2';
  return '0';
}

char vmap_ord_status(oms_exec_type_t t, oms_venue_status_t status, oms_dec_t cum,
                     oms_dec_t leaves) {
  switch (t) {
    case OMS_EXEC_REJECTED: return '8';
    case OMS_EXEC_CANCELLED: return '4';
    case OMS_EXEC_EXPIRED: return 'C';
    case OMS_EXEC_STATUS:
      switch (status) {
        case OMS_VSTATUS_FILLED: return '2';
        case OMS_VSTATUS_CANCELLED: return '4';
        case OMS_VSTATUS_REJECTED: return '8';
        case OMS_VSTATUS_EXPIRED: return 'C';
        case OMS_VSTATUS_UNKNOWN: return '8';
        default: return working(cum, leaves);
      }
    default: return working(cum, leaves);
  }
}

oms_dec_t vmap_avg_px(__int128 notional, oms_dec_t cum) {
  oms_dec_t r = {0};
  if (cum.raw > 0) r.raw = (int64_t)(notional / cum.raw);
  return r;
}
