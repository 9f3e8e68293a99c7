/*
 * order.c - the order's enums and their names, the string and notional
 * helpers, and order initialisation. Validation of requests and instrument
 * records is in validate.c, the state machine in order_fsm.c.
 */
#include <stddef.h>
#include <string.h>

#include "core/hash.h"
#include "oms/error.h"
#include "oms/order.h"
#include "order/order_internal.h"

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

bool oms_ord_state_is_terminal(oms_ord_state_t s) { return oms__state_terminal(s); }

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

/* ---- order --------------------------------------------------------------- */

/* The byte just past field f of an order. */
#define END_OF(f) (offsetof(oms_order_t, f) + sizeof(((oms_order_t *)0)->f))
#define FOLLOWS(f, g) (offsetof(oms_order_t, g) == END_OF(f))

/* oms_order_init writes every byte of the order once (it is the engine's
 * slot: cold memory, written per submission): the names copied whole from
 * the request, everything else, padding included, cleared around them; over
 * an order (oms__order_init_over), the bytes known to be zero already are
 * skipped. That needs these fields back to back. */
_Static_assert(FOLLOWS(order_id, client_order_id) && FOLLOWS(client_order_id, strategy_id) &&
                   FOLLOWS(strategy_id, account_id) && FOLLOWS(account_id, venue) &&
                   FOLLOWS(venue, symbol) && FOLLOWS(symbol, venue_order_id) &&
                   FOLLOWS(cur_client_order_id, pending_client_order_id) &&
                   OMS__META_HEAD % 8 == 0 && OMS__META_HEAD < OMS_METADATA_MAX &&
                   FOLLOWS(metadata, flags) && FOLLOWS(audit_count, audit),
               "oms_order_init clears the order between the fields it copies");

/* Whether the NUL of the text at s is within its first n bytes (n a
 * multiple of 8), a word at a time (core/hash.h's test for a zero byte). */
static bool nul_within(const char *s, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t w = oms__load_le64(s + i);
    if (((w - OMS__ONES) & ~w & OMS__HIGHS) != 0) return true;
  }
  return false;
}

/* ring: how many audit entries, from the first, may be other than zero;
 * dirty: which long texts may (oms__order_init_over). Returns the new
 * order's OMS__DIRTY_* bits. */
static inline unsigned init(oms_order_t *o, uint64_t order_id, const oms_order_request_t *req,
                            int64_t now_ns, uint32_t ring, unsigned dirty) {
  char *b = (char *)o;
  unsigned out = 0;
  o->order_id = order_id;
  memcpy(o->client_order_id, req->client_order_id, sizeof(o->client_order_id));
  memcpy(o->strategy_id, req->strategy_id, sizeof(o->strategy_id));
  memcpy(o->account_id, req->account_id, sizeof(o->account_id));
  memcpy(o->venue, req->venue, sizeof(o->venue));
  memcpy(o->symbol, req->symbol, sizeof(o->symbol));
  oms__zero(b + END_OF(symbol), offsetof(oms_order_t, cur_client_order_id) - END_OF(symbol));
  memcpy(o->cur_client_order_id, req->client_order_id, sizeof(o->cur_client_order_id));
  memset(b + END_OF(cur_client_order_id), 0,
         offsetof(oms_order_t, reject_reason) - END_OF(cur_client_order_id));
  if (dirty & OMS__DIRTY_REASON) memset(o->reject_reason, 0, sizeof(o->reject_reason));
  memset(b + END_OF(reject_reason), 0, offsetof(oms_order_t, metadata) - END_OF(reject_reason));
  /* Most requests carry no metadata: then none of its bytes is copied (those
   * after the NUL are no text), and the request's cache lines past its first
   * byte, which a whole head can reach into, are not read. */
  bool empty = req->metadata[0] == '\0';
  if (empty || nul_within(req->metadata, OMS__META_HEAD)) {
    if (empty)
      memset(o->metadata, 0, OMS__META_HEAD);
    else
      memcpy(o->metadata, req->metadata, OMS__META_HEAD);
    if (dirty & OMS__DIRTY_META)
      memset(o->metadata + OMS__META_HEAD, 0, sizeof(o->metadata) - OMS__META_HEAD);
  } else {
    memcpy(o->metadata, req->metadata, sizeof(o->metadata));
    out |= OMS__DIRTY_META;
  }
  memset(b + END_OF(metadata), 0, offsetof(oms_order_t, audit) - END_OF(metadata));
  memset(o->audit, 0, ring * sizeof(o->audit[0]));
  memset(b + END_OF(audit), 0, sizeof(*o) - END_OF(audit));
  o->client_order_id[OMS_ID_MAX] = o->strategy_id[OMS_ID_MAX] = o->account_id[OMS_ID_MAX] = 0;
  o->cur_client_order_id[OMS_ID_MAX] = 0;
  o->venue[OMS_VENUE_MAX] = o->symbol[OMS_SYMBOL_MAX] = 0;
  if (out & OMS__DIRTY_META) o->metadata[OMS_METADATA_MAX] = 0;
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
  return out;
}

void oms_order_init(oms_order_t *o, uint64_t order_id, const oms_order_request_t *req,
                    int64_t now_ns) {
  init(o, order_id, req, now_ns, OMS_AUDIT_INLINE, OMS__DIRTY_REASON | OMS__DIRTY_META);
}

unsigned oms__order_init_over(oms_order_t *o, uint64_t order_id, const oms_order_request_t *req,
                              int64_t now_ns, unsigned dirty) {
  uint32_t used = o->audit_count < OMS_AUDIT_INLINE ? o->audit_count : OMS_AUDIT_INLINE;
  return init(o, order_id, req, now_ns, used, dirty);
}
