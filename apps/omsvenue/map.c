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

#include "omsvenue.h"

int vmap_side(char fix, oms_side_t *out) {
  switch (fix) {
    case '1': *out = OMS_SIDE_BUY; return 0;
    case '2': *out = OMS_SIDE_SELL; return 0;
    default: return OMS_EINVAL;
  }
}

int vmap_ord_type(char fix, oms_ord_type_t *out) {
  switch (fix) {
    case '1': *out = OMS_ORD_MARKET; return 0;
    case '2': *out = OMS_ORD_LIMIT; return 0;
    case '3': *out = OMS_ORD_STOP; return 0;
    case '4': *out = OMS_ORD_STOP_LIMIT; return 0;
    default: return OMS_EINVAL;
  }
}

int vmap_tif(char fix, oms_tif_t *out) {
  switch (fix) {
    case '0': *out = OMS_TIF_DAY; return 0;
    case '1': *out = OMS_TIF_GTC; return 0;
    case '3': *out = OMS_TIF_IOC; return 0;
    case '4': *out = OMS_TIF_FOK; return 0;
    case '6': *out = OMS_TIF_GTD; return 0;
    default: return OMS_EINVAL;
  }
}

char vmap_fix_side(oms_side_t s) { return s == OMS_SIDE_SELL ? '2' : '1'; }

char vmap_fix_ord_type(oms_ord_type_t t) {
  static const char c[] = {'2', '1', '2', '3', '4'};
  return (unsigned)t < sizeof c ? c[t] : '2';
}

char vmap_fix_tif(oms_tif_t t) {
  static const char c[] = {'1', '1', '3', '4', '0', '6'};
  return (unsigned)t < sizeof c ? c[t] : '1';
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
