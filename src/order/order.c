/*
 * order.c - the order's enums and their names, the instrument record, request
 * validation, and order initialisation.
 *
 * Validation runs the rules in a fixed order and stops at the first broken
 * one, so a given bad request always gets the same reason code; every text
 * names the values that decided it, because the person reading it is usually
 * a trader looking at a rejected order under time pressure.
 */
#include <stdio.h>
#include <string.h>

#include "oms/error.h"
#include "oms/order.h"

/* ---- enum names ---------------------------------------------------------- */

static const char *const side_names[] = {NULL, "BUY", "SELL"};
static const char *const type_names[] = {NULL, "MARKET", "LIMIT", "STOP", "STOP_LIMIT"};
static const char *const tif_names[] = {NULL, "GTC", "IOC", "FOK", "DAY", "GTD"};
static const char *const state_names[] = {
#define XX(name) #name,
    OMS_ORD_STATE_MAP(XX)
#undef XX
};
static const char *const event_names[] = {
#define XX(name) #name,
    OMS_ORD_EVENT_MAP(XX)
#undef XX
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *name_of(const char *const *names, int n, int v) {
  if (v < 0 || v >= n || names[v] == NULL) return "UNKNOWN";
  return names[v];
}

static int parse_name(const char *const *names, int n, const char *s, int *out) {
  if (s == NULL) return OMS_ENOTFOUND;
  for (int i = 0; i < n; i++) {
    if (names[i] != NULL && strcmp(names[i], s) == 0) {
      *out = i;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

const char *oms_side_str(oms_side_t v) { return name_of(side_names, COUNT(side_names), (int)v); }
const char *oms_ord_type_str(oms_ord_type_t v) {
  return name_of(type_names, COUNT(type_names), (int)v);
}
const char *oms_tif_str(oms_tif_t v) { return name_of(tif_names, COUNT(tif_names), (int)v); }
const char *oms_ord_state_str(oms_ord_state_t v) {
  return name_of(state_names, COUNT(state_names), (int)v);
}
const char *oms_ord_event_str(oms_ord_event_t v) {
  return name_of(event_names, COUNT(event_names), (int)v);
}

#define DEFINE_PARSE(fn, type, names)                \
  int fn(const char *s, type *out) {                 \
    int v;                                           \
    int rc = parse_name(names, COUNT(names), s, &v); \
    if (rc == 0) *out = (type)v;                     \
    return rc;                                       \
  }
DEFINE_PARSE(oms_side_parse, oms_side_t, side_names)
DEFINE_PARSE(oms_ord_type_parse, oms_ord_type_t, type_names)
DEFINE_PARSE(oms_tif_parse, oms_tif_t, tif_names)
DEFINE_PARSE(oms_ord_state_parse, oms_ord_state_t, state_names)
DEFINE_PARSE(oms_ord_event_parse, oms_ord_event_t, event_names)

bool oms_ord_state_is_terminal(oms_ord_state_t s) {
  return s == OMS_STATE_FILLED || s == OMS_STATE_CANCELLED || s == OMS_STATE_REJECTED ||
         s == OMS_STATE_EXPIRED;
}

bool oms_ord_state_is_working(oms_ord_state_t s) {
  switch (s) {
    case OMS_STATE_SUBMITTED:
    case OMS_STATE_ACCEPTED:
    case OMS_STATE_PARTIALLY_FILLED:
    case OMS_STATE_PENDING_CANCEL:
    case OMS_STATE_PENDING_REPLACE:
    case OMS_STATE_TRIGGERED: return true;
    default: return false;
  }
}

/* ---- helpers ------------------------------------------------------------- */

int oms_strlcpy(char *dst, const char *src, size_t cap) {
  size_t n = strlen(src);
  if (n + 1 > cap) {
    if (cap > 0) dst[0] = '\0';
    return OMS_ENOSPC;
  }
  memcpy(dst, src, n + 1);
  return 0;
}

bool oms_id_valid(const char *s, size_t max) {
  size_t n = 0;
  for (; s[n] != '\0'; n++) {
    char c = s[n];
    if (n >= max) return false;
    int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == ':' || c == '@' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return n > 0;
}

/* Field buffers are fixed arrays; a caller may have filled one without a NUL
 * (memcpy of exactly sizeof bytes), so length is checked within the array. */
static bool field_ok(const char *s, size_t cap, size_t max) {
  if (memchr(s, '\0', cap) == NULL) return false;
  return oms_id_valid(s, max);
}

int oms_notional(oms_dec_t qty, oms_dec_t px, oms_dec_t mult, oms_dec_t *out) {
  oms_dec_t n;
  int rc = oms_dec_mul(qty, px, OMS_ROUND_HALF_EVEN, &n);
  if (rc != 0) return rc;
  if (mult.raw != 0 && mult.raw != OMS_DEC_SCALE) {
    rc = oms_dec_mul(n, mult, OMS_ROUND_HALF_EVEN, &n);
    if (rc != 0) return rc;
  }
  *out = n;
  return 0;
}

/* ---- instrument ---------------------------------------------------------- */

int oms_instrument_check(const oms_instrument_t *ins, oms_reject_t *r) {
  if (!field_ok(ins->symbol, sizeof(ins->symbol), OMS_SYMBOL_MAX)) {
    oms_reject_set(r, OMS_R_BAD_ID, "instrument: bad symbol");
    return OMS_EINVAL;
  }
  if (!oms_dec_is_pos(ins->tick_size) || !oms_dec_is_pos(ins->lot_size)) {
    oms_reject_set(r, OMS_R_TICK_SIZE, "instrument %s: tick and lot size must be positive",
                   ins->symbol);
    return OMS_EINVAL;
  }
  if (oms_dec_is_neg(ins->min_qty) || oms_dec_is_neg(ins->max_qty) ||
      oms_dec_is_neg(ins->min_notional) || oms_dec_is_neg(ins->multiplier) ||
      (oms_dec_is_pos(ins->max_qty) && oms_dec_gt(ins->min_qty, ins->max_qty))) {
    oms_reject_set(r, OMS_R_MIN_QTY, "instrument %s: limits must be >= 0 and min_qty <= max_qty",
                   ins->symbol);
    return OMS_EINVAL;
  }
  if (ins->price_precision > OMS_DEC_PLACES || ins->qty_precision > OMS_DEC_PLACES) {
    oms_reject_set(r, OMS_R_TICK_SIZE, "instrument %s: precision above %d places", ins->symbol,
                   OMS_DEC_PLACES);
    return OMS_EINVAL;
  }
  return 0;
}

/* ---- request validation -------------------------------------------------- */

static bool needs_price(oms_ord_type_t t) { return t == OMS_ORD_LIMIT || t == OMS_ORD_STOP_LIMIT; }
static bool needs_stop(oms_ord_type_t t) { return t == OMS_ORD_STOP || t == OMS_ORD_STOP_LIMIT; }

oms_reason_t oms_request_validate(const oms_order_request_t *req, const oms_instrument_t *ins,
                                  int64_t now_ns, oms_reject_t *r) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];

  if (!field_ok(req->client_order_id, sizeof(req->client_order_id), OMS_ID_MAX))
    return oms_reject_set(r, OMS_R_BAD_ID,
                          "client_order_id must be 1..%d characters of [A-Za-z0-9._:@/-]",
                          OMS_ID_MAX);
  if (!field_ok(req->strategy_id, sizeof(req->strategy_id), OMS_ID_MAX))
    return oms_reject_set(r, OMS_R_BAD_ID,
                          "strategy_id must be 1..%d characters of [A-Za-z0-9._:@/-]", OMS_ID_MAX);
  if (!field_ok(req->account_id, sizeof(req->account_id), OMS_ID_MAX))
    return oms_reject_set(r, OMS_R_BAD_ID,
                          "account_id must be 1..%d characters of [A-Za-z0-9._:@/-]", OMS_ID_MAX);
  if (!field_ok(req->symbol, sizeof(req->symbol), OMS_SYMBOL_MAX))
    return oms_reject_set(r, OMS_R_BAD_ID, "symbol must be 1..%d characters of [A-Za-z0-9._:@/-]",
                          OMS_SYMBOL_MAX);
  if (!field_ok(req->venue, sizeof(req->venue), OMS_VENUE_MAX))
    return oms_reject_set(r, OMS_R_BAD_ID, "venue must be 1..%d characters of [A-Za-z0-9._:@/-]",
                          OMS_VENUE_MAX);
  if (memchr(req->metadata, '\0', sizeof(req->metadata)) == NULL)
    return oms_reject_set(r, OMS_R_METADATA_TOO_LONG, "metadata longer than %d bytes",
                          OMS_METADATA_MAX);

  if (req->side != OMS_SIDE_BUY && req->side != OMS_SIDE_SELL)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown side %d", (int)req->side);
  if (req->type < OMS_ORD_MARKET || req->type > OMS_ORD_STOP_LIMIT)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown order type %d", (int)req->type);
  if (req->tif < OMS_TIF_GTC || req->tif > OMS_TIF_GTD)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown time in force %d", (int)req->tif);
  if ((req->instructions & ~(OMS_INST_POST_ONLY | OMS_INST_REDUCE_ONLY)) != 0)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown instructions 0x%x",
                          (unsigned)req->instructions);

  if (!oms_dec_is_pos(req->qty)) {
    oms_dec_format(req->qty, a, sizeof a);
    return oms_reject_set(r, OMS_R_QTY_NOT_POSITIVE, "quantity %s must be positive", a);
  }

  const char *tn = oms_ord_type_str(req->type);
  if (needs_price(req->type)) {
    if (oms_dec_is_zero(req->price))
      return oms_reject_set(r, OMS_R_PRICE_REQUIRED, "%s order needs a price", tn);
    if (oms_dec_is_neg(req->price)) {
      oms_dec_format(req->price, a, sizeof a);
      return oms_reject_set(r, OMS_R_PRICE_NOT_POSITIVE, "price %s must be positive", a);
    }
  } else if (!oms_dec_is_zero(req->price)) {
    return oms_reject_set(r, OMS_R_PRICE_FORBIDDEN, "%s order must not carry a price", tn);
  }

  if (needs_stop(req->type)) {
    if (oms_dec_is_zero(req->stop_price))
      return oms_reject_set(r, OMS_R_STOP_REQUIRED, "%s order needs a stop price", tn);
    if (oms_dec_is_neg(req->stop_price)) {
      oms_dec_format(req->stop_price, a, sizeof a);
      return oms_reject_set(r, OMS_R_PRICE_NOT_POSITIVE, "stop price %s must be positive", a);
    }
    /* A buy stop-limit triggers on the way up and then buys at up to its
     * limit, so its limit may not be below the stop (and the mirror for a
     * sell): otherwise the order would be unfillable the moment it fires. */
    if (req->type == OMS_ORD_STOP_LIMIT) {
      bool wrong = req->side == OMS_SIDE_BUY ? oms_dec_lt(req->price, req->stop_price)
                                             : oms_dec_gt(req->price, req->stop_price);
      if (wrong) {
        oms_dec_format(req->stop_price, a, sizeof a);
        oms_dec_format(req->price, b, sizeof b);
        return oms_reject_set(
            r, OMS_R_STOP_WRONG_SIDE, "%s stop-limit: limit price %s is %s the stop price %s",
            oms_side_str(req->side), b, req->side == OMS_SIDE_BUY ? "below" : "above", a);
      }
    }
  } else if (!oms_dec_is_zero(req->stop_price)) {
    return oms_reject_set(r, OMS_R_STOP_FORBIDDEN, "%s order must not carry a stop price", tn);
  }

  if (req->instructions & OMS_INST_POST_ONLY) {
    if (req->type != OMS_ORD_LIMIT)
      return oms_reject_set(r, OMS_R_POST_ONLY_NOT_LIMIT, "post-only on a %s order", tn);
    if (req->tif == OMS_TIF_IOC || req->tif == OMS_TIF_FOK)
      return oms_reject_set(r, OMS_R_POST_ONLY_TIF, "post-only with %s", oms_tif_str(req->tif));
  }
  if (req->type == OMS_ORD_MARKET && req->tif == OMS_TIF_GTD)
    return oms_reject_set(r, OMS_R_MARKET_TIF, "market order with GTD");

  if (req->tif == OMS_TIF_GTD) {
    if (req->expire_ns == 0) return oms_reject_set(r, OMS_R_EXPIRY_REQUIRED, "GTD needs an expiry");
    if (req->expire_ns <= now_ns)
      return oms_reject_set(r, OMS_R_EXPIRY_PAST, "expiry %lld ns is not after now %lld ns",
                            (long long)req->expire_ns, (long long)now_ns);
  } else if (req->expire_ns != 0) {
    return oms_reject_set(r, OMS_R_EXPIRY_FORBIDDEN, "expiry given with %s", oms_tif_str(req->tif));
  }

  if (ins == NULL || strcmp(ins->symbol, req->symbol) != 0 ||
      (ins->venue[0] != '\0' && strcmp(ins->venue, req->venue) != 0))
    return oms_reject_set(r, OMS_R_UNKNOWN_INSTRUMENT, "unknown instrument %s on venue %s",
                          req->symbol, req->venue);

  if (needs_price(req->type) && !oms_dec_is_multiple(req->price, ins->tick_size)) {
    oms_dec_format(req->price, a, sizeof a);
    oms_dec_format(ins->tick_size, b, sizeof b);
    return oms_reject_set(r, OMS_R_TICK_SIZE, "price %s is not a multiple of tick %s for %s", a, b,
                          ins->symbol);
  }
  if (needs_stop(req->type) && !oms_dec_is_multiple(req->stop_price, ins->tick_size)) {
    oms_dec_format(req->stop_price, a, sizeof a);
    oms_dec_format(ins->tick_size, b, sizeof b);
    return oms_reject_set(r, OMS_R_TICK_SIZE, "stop price %s is not a multiple of tick %s for %s",
                          a, b, ins->symbol);
  }
  if (!oms_dec_is_multiple(req->qty, ins->lot_size)) {
    oms_dec_format(req->qty, a, sizeof a);
    oms_dec_format(ins->lot_size, b, sizeof b);
    return oms_reject_set(r, OMS_R_LOT_SIZE, "quantity %s is not a multiple of lot %s for %s", a, b,
                          ins->symbol);
  }
  if (oms_dec_is_pos(ins->min_qty) && oms_dec_lt(req->qty, ins->min_qty)) {
    oms_dec_format(req->qty, a, sizeof a);
    oms_dec_format(ins->min_qty, b, sizeof b);
    return oms_reject_set(r, OMS_R_MIN_QTY, "quantity %s below minimum %s for %s", a, b,
                          ins->symbol);
  }
  if (oms_dec_is_pos(ins->max_qty) && oms_dec_gt(req->qty, ins->max_qty)) {
    oms_dec_format(req->qty, a, sizeof a);
    oms_dec_format(ins->max_qty, b, sizeof b);
    return oms_reject_set(r, OMS_R_MAX_QTY, "quantity %s above maximum %s for %s", a, b,
                          ins->symbol);
  }
  /* Min notional is checked where a price is known; a market or stop order's
   * notional is the risk engine's business, with a reference price. */
  oms_dec_t px = needs_price(req->type) ? req->price : req->stop_price;
  if (oms_dec_is_pos(ins->min_notional) && oms_dec_is_pos(px)) {
    oms_dec_t n;
    if (oms_notional(req->qty, px, ins->multiplier, &n) != 0)
      return oms_reject_set(r, OMS_R_NOTIONAL_OVERFLOW, "notional of %s out of range", ins->symbol);
    if (oms_dec_lt(n, ins->min_notional)) {
      oms_dec_format(n, a, sizeof a);
      oms_dec_format(ins->min_notional, b, sizeof b);
      return oms_reject_set(r, OMS_R_MIN_NOTIONAL, "notional %s below minimum %s for %s", a, b,
                            ins->symbol);
    }
  }
  r->code = OMS_R_NONE;
  r->text[0] = '\0';
  return OMS_R_NONE;
}

/* ---- order --------------------------------------------------------------- */

void oms_order_init(oms_order_t *o, uint64_t order_id, const oms_order_request_t *req,
                    int64_t now_ns) {
  memset(o, 0, sizeof(*o));
  o->order_id = order_id;
  memcpy(o->client_order_id, req->client_order_id, sizeof(o->client_order_id));
  memcpy(o->cur_client_order_id, req->client_order_id, sizeof(o->cur_client_order_id));
  memcpy(o->strategy_id, req->strategy_id, sizeof(o->strategy_id));
  memcpy(o->account_id, req->account_id, sizeof(o->account_id));
  memcpy(o->venue, req->venue, sizeof(o->venue));
  memcpy(o->symbol, req->symbol, sizeof(o->symbol));
  memcpy(o->metadata, req->metadata, sizeof(o->metadata));
  o->client_order_id[OMS_ID_MAX] = o->strategy_id[OMS_ID_MAX] = o->account_id[OMS_ID_MAX] = 0;
  o->cur_client_order_id[OMS_ID_MAX] = 0;
  o->venue[OMS_VENUE_MAX] = o->symbol[OMS_SYMBOL_MAX] = o->metadata[OMS_METADATA_MAX] = 0;
  o->side = req->side;
  o->type = req->type;
  o->tif = req->tif;
  o->instructions = req->instructions;
  o->qty = req->qty;
  o->price = req->price;
  o->stop_price = req->stop_price;
  o->expire_ns = req->expire_ns;
  o->state = OMS_STATE_PENDING;
  o->restore_state = OMS_STATE_PENDING;
  o->leaves_qty = req->qty;
  o->created_ns = o->updated_ns = now_ns;
}
