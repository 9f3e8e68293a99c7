/*
 * validate.c - whether a request (or an instrument record) may become an
 * order: identifiers, enums, quantities and prices, time in force, and the
 * instrument's tick, lot and size limits.
 *
 * NOTES ON THE DESIGN
 *
 * oms_request_validate() runs the rule groups below in a fixed order and
 * stops at the first broken rule, so a given bad request always gets the
 * same reason code. The order goes from what the request says about itself
 * to what it means against the instrument:
 *
 *   check_identity       client order, strategy and account ids, symbol, venue
 *   check_metadata       the free-form text fits its buffer with its NUL
 *   check_enums          side, order type, time in force, instruction bits
 *   check_quantity       positive
 *   check_limit_price    a price exactly when the order type uses one, positive
 *   check_stop_price     a stop price likewise, and a stop-limit's limit on
 *                        the side of its stop where it can still fill
 *   check_time_in_force  post-only only on a resting limit order, no market
 *                        GTD, an expiry exactly for GTD and in the future
 *   check_instrument     the request names the instrument it is checked against
 *   check_tick_and_lot   prices on the tick; quantity on the lot and within
 *                        the instrument's minimum and maximum; notional at
 *                        least the instrument's minimum
 *
 * Each group returns OMS_R_NONE or the reason it wrote into *r. The groups
 * are static functions inlined back into one body (GROUP: each entry below,
 * the engine's and the others', has its own), so the split costs nothing on
 * the submit path (bench_order's order_validate); only the formatting of a
 * refusal stays out of line.
 * Every text names the values that decided it, because the person reading it
 * is usually a trader looking at a rejected order under time pressure.
 */
#include <string.h>

#include "oms/error.h"
#include "oms/order.h"
#include "order/order_internal.h"

/* The characters of an identifier, [A-Za-z0-9._:@/-], as a table: every
 * submission validates five names a character at a time. */
static const bool id_char[256] = {
    ['.'] = 1, ['_'] = 1, [':'] = 1, ['@'] = 1, ['/'] = 1, ['-'] = 1, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1};

bool oms_id_valid(const char *s, size_t max) {
  size_t n = 0;
  for (; s[n] != '\0'; n++)
    if (n >= max || !id_char[(unsigned char)s[n]]) return false;
  return n > 0;
}

/* Field buffers are fixed arrays; a caller may have filled one without a NUL
 * (memcpy of exactly sizeof bytes), so nothing past the array is read: the
 * walk stops at the NUL, at max characters or at the end of the array. One
 * pass: the same answer as a search for the NUL followed by oms_id_valid. */
static bool field_ok(const char *s, size_t cap, size_t max) {
  /* The NUL may be at most at max and within the array; the walk over the
   * characters before it needs one test each, as '\0' is no id_char. */
  size_t lim = cap < max + 1 ? cap : max + 1, n = 0;
  while (n < lim && id_char[(unsigned char)s[n]]) n++;
  return n > 0 && n < lim && s[n] == '\0';
}

/* A rule group: inlined into each entry even where the compiler would call
 * one copy from both. */
#define GROUP static inline __attribute__((always_inline))

static bool needs_price(oms_ord_type_t t) { return t == OMS_ORD_LIMIT || t == OMS_ORD_STOP_LIMIT; }
static bool needs_stop(oms_ord_type_t t) { return t == OMS_ORD_STOP || t == OMS_ORD_STOP_LIMIT; }

/* ---- instrument record ---------------------------------------------------- */

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

/* ---- request rule groups, in the order they run --------------------------- */

/* One identifier field of the request: its name, its buffer and the most
 * characters it may hold. */
GROUP oms_reason_t check_id(const char *name, const char *s, size_t cap, size_t max,
                            oms_reject_t *r) {
  if (field_ok(s, cap, max)) return OMS_R_NONE;
  return oms_reject_set(r, OMS_R_BAD_ID, "%s must be 1..%zu characters of [A-Za-z0-9._:@/-]", name,
                        max);
}

GROUP oms_reason_t check_identity(const oms_order_request_t *req, unsigned known, oms_reject_t *r) {
  oms_reason_t rc = check_id("client_order_id", req->client_order_id, sizeof(req->client_order_id),
                             OMS_ID_MAX, r);
  if (rc == OMS_R_NONE)
    rc = check_id("strategy_id", req->strategy_id, sizeof(req->strategy_id), OMS_ID_MAX, r);
  if (rc == OMS_R_NONE)
    rc = check_id("account_id", req->account_id, sizeof(req->account_id), OMS_ID_MAX, r);
  if (rc == OMS_R_NONE && !(known & OMS__KNOWN_INSTRUMENT))
    rc = check_id("symbol", req->symbol, sizeof(req->symbol), OMS_SYMBOL_MAX, r);
  if (rc == OMS_R_NONE && !(known & OMS__KNOWN_VENUE))
    rc = check_id("venue", req->venue, sizeof(req->venue), OMS_VENUE_MAX, r);
  return rc;
}

GROUP oms_reason_t check_metadata(const oms_order_request_t *req, oms_reject_t *r) {
  /* Most requests carry none: the first byte answers without a call. */
  if (req->metadata[0] != '\0' && memchr(req->metadata, '\0', sizeof(req->metadata)) == NULL)
    return oms_reject_set(r, OMS_R_METADATA_TOO_LONG, "metadata longer than %d bytes",
                          OMS_METADATA_MAX);
  return OMS_R_NONE;
}

GROUP oms_reason_t check_enums(const oms_order_request_t *req, oms_reject_t *r) {
  if (req->side != OMS_SIDE_BUY && req->side != OMS_SIDE_SELL)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown side %d", (int)req->side);
  if (req->type < OMS_ORD_MARKET || req->type > OMS_ORD_STOP_LIMIT)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown order type %d", (int)req->type);
  if (req->tif < OMS_TIF_GTC || req->tif > OMS_TIF_GTD)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown time in force %d", (int)req->tif);
  if ((req->instructions & ~(OMS_INST_POST_ONLY | OMS_INST_REDUCE_ONLY)) != 0)
    return oms_reject_set(r, OMS_R_BAD_ENUM, "unknown instructions 0x%x",
                          (unsigned)req->instructions);
  return OMS_R_NONE;
}

GROUP oms_reason_t check_quantity(const oms_order_request_t *req, oms_reject_t *r) {
  if (!oms_dec_is_pos(req->qty)) {
    char a[OMS_DEC_STRLEN];
    oms_dec_format(req->qty, a, sizeof a);
    return oms_reject_set(r, OMS_R_QTY_NOT_POSITIVE, "quantity %s must be positive", a);
  }
  return OMS_R_NONE;
}

GROUP oms_reason_t check_limit_price(const oms_order_request_t *req, oms_reject_t *r) {
  if (needs_price(req->type)) {
    if (oms_dec_is_zero(req->price))
      return oms_reject_set(r, OMS_R_PRICE_REQUIRED, "%s order needs a price",
                            oms_ord_type_str(req->type));
    if (oms_dec_is_neg(req->price)) {
      char a[OMS_DEC_STRLEN];
      oms_dec_format(req->price, a, sizeof a);
      return oms_reject_set(r, OMS_R_PRICE_NOT_POSITIVE, "price %s must be positive", a);
    }
  } else if (!oms_dec_is_zero(req->price)) {
    return oms_reject_set(r, OMS_R_PRICE_FORBIDDEN, "%s order must not carry a price",
                          oms_ord_type_str(req->type));
  }
  return OMS_R_NONE;
}

GROUP oms_reason_t check_stop_price(const oms_order_request_t *req, oms_reject_t *r) {
  if (!needs_stop(req->type)) {
    if (!oms_dec_is_zero(req->stop_price))
      return oms_reject_set(r, OMS_R_STOP_FORBIDDEN, "%s order must not carry a stop price",
                            oms_ord_type_str(req->type));
    return OMS_R_NONE;
  }
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  if (oms_dec_is_zero(req->stop_price))
    return oms_reject_set(r, OMS_R_STOP_REQUIRED, "%s order needs a stop price",
                          oms_ord_type_str(req->type));
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
  return OMS_R_NONE;
}

GROUP oms_reason_t check_time_in_force(const oms_order_request_t *req, int64_t now_ns,
                                       oms_reject_t *r) {
  if (req->instructions & OMS_INST_POST_ONLY) {
    if (req->type != OMS_ORD_LIMIT)
      return oms_reject_set(r, OMS_R_POST_ONLY_NOT_LIMIT, "post-only on a %s order",
                            oms_ord_type_str(req->type));
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
  return OMS_R_NONE;
}

GROUP oms_reason_t check_instrument(const oms_order_request_t *req, const oms_instrument_t *ins,
                                    oms_reject_t *r) {
  if (ins == NULL || strcmp(ins->symbol, req->symbol) != 0 ||
      (ins->venue[0] != '\0' && strcmp(ins->venue, req->venue) != 0))
    return oms_reject_set(r, OMS_R_UNKNOWN_INSTRUMENT, "unknown instrument %s on venue %s",
                          req->symbol, req->venue);
  return OMS_R_NONE;
}

/* The text "<what> <value> <relation> <limit> for <symbol>": a value of the
 * request against a limit of the instrument. */
static oms_reason_t reject_against(oms_reject_t *r, oms_reason_t code, const char *what,
                                   oms_dec_t value, const char *relation, oms_dec_t limit,
                                   const char *symbol) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  oms_dec_format(value, a, sizeof a);
  oms_dec_format(limit, b, sizeof b);
  return oms_reject_set(r, code, "%s %s %s %s for %s", what, a, relation, b, symbol);
}

/* The sizes and notional of the request against an instrument's limits,
 * named sym in a refusal. */
static inline __attribute__((always_inline)) oms_reason_t check_limits(
    const oms_order_request_t *req, const char *sym, oms_dec_t min_qty, oms_dec_t max_qty,
    oms_dec_t min_notional, oms_dec_t multiplier, oms_reject_t *r) {
  if (oms_dec_is_pos(min_qty) && oms_dec_lt(req->qty, min_qty))
    return reject_against(r, OMS_R_MIN_QTY, "quantity", req->qty, "below minimum", min_qty, sym);
  if (oms_dec_is_pos(max_qty) && oms_dec_gt(req->qty, max_qty))
    return reject_against(r, OMS_R_MAX_QTY, "quantity", req->qty, "above maximum", max_qty, sym);
  /* Min notional is checked where a price is known; a market or stop order's
   * notional is the risk engine's business, with a reference price. */
  oms_dec_t px = needs_price(req->type) ? req->price : req->stop_price;
  if (oms_dec_is_pos(min_notional) && oms_dec_is_pos(px)) {
    oms_dec_t n;
    if (oms_notional(req->qty, px, multiplier, &n) != 0)
      return oms_reject_set(r, OMS_R_NOTIONAL_OVERFLOW, "notional of %s out of range", sym);
    if (oms_dec_lt(n, min_notional))
      return reject_against(r, OMS_R_MIN_NOTIONAL, "notional", n, "below minimum", min_notional,
                            sym);
  }
  return OMS_R_NONE;
}

/* Runs after check_instrument, so ins (and hot, if use_hot) is the
 * request's instrument. The multiples are not tested again where the
 * caller knows them (OMS__KNOWN_STEPS). */
static inline __attribute__((always_inline)) oms_reason_t check_tick_and_lot(
    const oms_order_request_t *req, const oms_instrument_t *ins, const oms__ins_hot_t *hot,
    bool use_hot, unsigned known, oms_reject_t *r) {
  if (!(known & OMS__KNOWN_STEPS)) {
    const char *sym = ins->symbol;
    if (needs_price(req->type) && !oms_dec_is_multiple(req->price, ins->tick_size))
      return reject_against(r, OMS_R_TICK_SIZE, "price", req->price, "is not a multiple of tick",
                            ins->tick_size, sym);
    if (needs_stop(req->type) && !oms_dec_is_multiple(req->stop_price, ins->tick_size))
      return reject_against(r, OMS_R_TICK_SIZE, "stop price", req->stop_price,
                            "is not a multiple of tick", ins->tick_size, sym);
    if (!oms_dec_is_multiple(req->qty, ins->lot_size))
      return reject_against(r, OMS_R_LOT_SIZE, "quantity", req->qty, "is not a multiple of lot",
                            ins->lot_size, sym);
  }
  if (use_hot)
    return check_limits(req, hot->symbol, hot->min_qty, hot->max_qty, hot->min_notional,
                        hot->multiplier, r);
  return check_limits(req, ins->symbol, ins->min_qty, ins->max_qty, ins->min_notional,
                      ins->multiplier, r);
}

void oms__ins_hot_set(oms__ins_hot_t *h, const oms_instrument_t *ins) {
  memset(h, 0, sizeof(*h));
  memcpy(h->symbol, ins->symbol, sizeof(h->symbol));
  memcpy(h->venue, ins->venue, sizeof(h->venue));
  h->min_qty = ins->min_qty;
  h->max_qty = ins->max_qty;
  h->min_notional = ins->min_notional;
  h->multiplier = ins->multiplier;
  oms__step_t t = oms__step(ins->tick_size), l = oms__step(ins->lot_size);
  h->tick_inv = t.inv;
  h->tick_lim = t.lim;
  h->tick_shift = (uint8_t)t.shift;
  h->lot_inv = l.inv;
  h->lot_lim = l.lim;
  h->lot_shift = (uint8_t)l.shift;
  h->venue_ok = memchr(ins->venue, '\0', sizeof(ins->venue)) != NULL &&
                oms_id_valid(ins->venue, OMS_VENUE_MAX);
}

/* ---- the request ----------------------------------------------------------- */

/* Both entries below, each with its own source of the limits (use_hot: hot,
 * else ins), so neither tests which it has. */
static inline __attribute__((always_inline)) oms_reason_t validate(
    const oms_order_request_t *req, const oms_instrument_t *ins, const oms__ins_hot_t *hot,
    bool use_hot, unsigned known, int64_t now_ns, oms_reject_t *r) {
  oms_reason_t rc = check_identity(req, known, r);
  if (rc == OMS_R_NONE) rc = check_metadata(req, r);
  if (rc == OMS_R_NONE) rc = check_enums(req, r);
  if (rc == OMS_R_NONE) rc = check_quantity(req, r);
  if (rc == OMS_R_NONE) rc = check_limit_price(req, r);
  if (rc == OMS_R_NONE) rc = check_stop_price(req, r);
  if (rc == OMS_R_NONE) rc = check_time_in_force(req, now_ns, r);
  if (rc == OMS_R_NONE && !(known & OMS__KNOWN_INSTRUMENT)) rc = check_instrument(req, ins, r);
  if (rc == OMS_R_NONE) rc = check_tick_and_lot(req, ins, hot, use_hot, known, r);
  if (rc != OMS_R_NONE) return rc;
  r->code = OMS_R_NONE;
  r->text[0] = '\0';
  return OMS_R_NONE;
}

oms_reason_t oms_request_validate(const oms_order_request_t *req, const oms_instrument_t *ins,
                                  int64_t now_ns, oms_reject_t *r) {
  return oms__request_validate(req, ins, 0, now_ns, r);
}

oms_reason_t oms__request_validate(const oms_order_request_t *req, const oms_instrument_t *ins,
                                   unsigned known, int64_t now_ns, oms_reject_t *r) {
  return validate(req, ins, NULL, false, known, now_ns, r);
}

oms_reason_t oms__request_validate_hot(const oms_order_request_t *req, const oms_instrument_t *ins,
                                       const oms__ins_hot_t *hot, unsigned known, int64_t now_ns,
                                       oms_reject_t *r) {
  /* No instrument (ins and hot NULL) is refused before the limits are read. */
  return validate(req, ins, hot, true, known, now_ns, r);
}
