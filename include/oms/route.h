/*
 * route.h - the order router: which venue connector an order goes to, in
 * which form, and when.
 *
 * The router owns the venue connectors given to it. For each venue it keeps
 *   - the symbol map: our symbol -> the venue's symbol, tick and lot, so an
 *     order is converted to the venue's format (a buy price rounds down to the
 *     venue's tick and a sell price up, never against the client; a quantity
 *     rounds down to the venue's lot);
 *   - a token bucket (messages per second and burst): when the budget is
 *     spent, messages wait in a bounded queue and go out as tokens return,
 *     cancels before anything else; a full queue refuses with a reason;
 *   - the orders sent and not yet acknowledged: one that stays silent past
 *     the acknowledgement timeout is settled by a status query, never by a
 *     blind resend (an ambiguous submit is the classic way to trade twice);
 *   - the connection state: while a venue is down new orders are refused
 *     (or held, if configured), and orders in flight are reported as status
 *     unknown; when it comes back a status query goes out for each of them.
 *
 * The router is below the core: it calls up only through oms_router_hooks_t.
 */
#ifndef OMS_ROUTE_H
#define OMS_ROUTE_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/order.h"
#include "oms/reason.h"
#include "oms/venue.h"

OMS_BEGIN_DECLS

typedef struct oms_router_s oms_router_t;

typedef struct oms_venue_route_config_s {
  uint32_t msgs_per_sec;   /* token refill rate; 0 means no rate limit */
  uint32_t burst;          /* bucket size; 0 is taken as msgs_per_sec (or 1) */
  uint32_t queue_capacity; /* messages that may wait for tokens; 0 = refuse when out of tokens */
  int64_t ack_timeout_ns;  /* silence after which a status query goes out; 0 = 1 s */
  bool hold_when_down;     /* queue new orders while down instead of refusing */
  /* Reconciliation (docs/reconciliation.md): while the OMS and the venue are
   * reconciling, new orders wait in the queue (or, with this set or the
   * queue full, are refused as VENUE_DOWN "reconciling"). */
  bool refuse_until_reconciled;
  /* UNKNOWN answers to a status query before an order is resolved by the
   * rule (the queries are spaced by ack_timeout_ns); 0 = 3. */
  uint8_t unknown_retries;
} oms_venue_route_config_t;

/* Calls up into the core. */
typedef struct oms_router_hooks_s {
  /* The venue's view of order_id is not known: it went down with the order in
   * flight, or no acknowledgement came in time. A status query is (or will
   * be, when the venue is back) outstanding. */
  void (*on_status_unknown)(void *ctx, uint64_t order_id, const char *why);
  /* A message that was queued (rate limit, or held while down) could not be
   * sent when its turn came: the send failed with err. */
  void (*on_send_failed)(void *ctx, uint64_t order_id, int kind, int err);
  void *ctx;
  /* A child of a parent order is converted: the core fills vo's native
   * fields when its parent is worked natively by the venue (NULL: none). */
  void (*native_of)(void *ctx, const oms_order_t *o, oms_venue_order_t *vo);
} oms_router_hooks_t;

/* Message kinds, as given to on_send_failed. */
enum { OMS_ROUTE_NEW = 1, OMS_ROUTE_CANCEL, OMS_ROUTE_REPLACE };

/* Outcomes of oms_router_send_*(), besides 0 (sent now). */
#define OMS_ROUTE_QUEUED 1            /* waiting for tokens or for the venue */
#define OMS_ROUTE_CANCELLED_LOCALLY 2 /* cancel of an order still queued: never sent */

/* Creates a router for up to max_venues venues and max_inflight orders
 * awaiting acknowledgement. Returns 0, OMS_EINVAL or OMS_ENOMEM. */
OMS_EXTERN int oms_router_create(uint32_t max_venues, uint32_t max_inflight,
                                 const oms_router_hooks_t *hooks, oms_router_t **out);

/* Destroys the router and every venue connector it owns. Accepts NULL. */
OMS_EXTERN void oms_router_destroy(oms_router_t *r);

/* Adds a venue; the router owns v from now on (also on failure, when it
 * destroys it). Returns 0, OMS_EEXIST (name taken), OMS_EFULL, OMS_ENOMEM. */
OMS_EXTERN int oms_router_add_venue(oms_router_t *r, oms_venue_t *v,
                                    const oms_venue_route_config_t *cfg);

/* The connector of venue name, or NULL. */
OMS_EXTERN oms_venue_t *oms_router_venue(oms_router_t *r, const char *name);

/* Maps our symbol on venue to the venue's symbol, tick and lot (each 0 to
 * keep ours unchanged). Unmapped symbols are sent as they are. */
OMS_EXTERN int oms_router_map_symbol(oms_router_t *r, const char *venue, const char *symbol,
                                     const char *venue_symbol, oms_dec_t venue_tick,
                                     oms_dec_t venue_lot);

/* Converts o to the venue's format. Returns 0, or a positive oms_reason_t
 * with rej set (unknown venue, quantity that rounds to zero). */
OMS_EXTERN oms_reason_t oms_router_convert(oms_router_t *r, const oms_order_t *o,
                                           oms_venue_order_t *out, oms_reject_t *rej);

/* Whether o could be sent to its venue now, as a submission asks before it
 * is written ahead: the venue has a connector, o converts to its format
 * (oms_router_convert), and the venue is connected in the router's view or
 * its own. Returns OMS_R_NONE, or OMS_R_UNKNOWN_VENUE, a conversion's
 * reason or OMS_R_VENUE_DOWN with rej set. One venue lookup, and no
 * conversion for a symbol the venue does not map (it is sent as it is). */
OMS_EXTERN oms_reason_t oms_router_check_new(oms_router_t *r, const oms_order_t *o,
                                             oms_reject_t *rej);

/* Sends (or queues) a new order, a cancel, a replace. Returns 0 (sent),
 * OMS_ROUTE_QUEUED, OMS_ROUTE_CANCELLED_LOCALLY (cancel only), or OMS_EREJECTED
 * with rej set: UNKNOWN_VENUE, VENUE_DOWN, VENUE_QUEUE_FULL, VENUE_REJECT (the
 * connector refused the message). */
OMS_EXTERN int oms_router_send_new(oms_router_t *r, const oms_order_t *o, int64_t now_ns,
                                   oms_reject_t *rej);
OMS_EXTERN int oms_router_send_cancel(oms_router_t *r, const oms_order_t *o, int64_t now_ns,
                                      oms_reject_t *rej);
OMS_EXTERN int oms_router_send_replace(oms_router_t *r, const oms_order_t *o, oms_dec_t new_qty,
                                       oms_dec_t new_price, oms_dec_t new_stop_price,
                                       int64_t now_ns, oms_reject_t *rej);

/* The core saw a report about order_id from its venue: it is no longer
 * awaiting an acknowledgement. */
OMS_EXTERN void oms_router_acknowledged(oms_router_t *r, uint64_t order_id);

/* Tracks an order whose venue status is unknown (after a restart): a status
 * query goes out now if the venue is up, or when it comes back. Returns 0,
 * OMS_ENOTFOUND (unknown venue) or OMS_EFULL. */
OMS_EXTERN int oms_router_track_unknown(oms_router_t *r, const oms_order_t *o, int64_t now_ns);

/* The same without the query now: the order is asked about when its
 * acknowledgement timeout runs out (the venue answered UNKNOWN and is asked
 * again, spaced on the clock). Returns 0, OMS_ENOTFOUND or OMS_EFULL. */
OMS_EXTERN int oms_router_track_unknown_later(oms_router_t *r, const oms_order_t *o,
                                              int64_t now_ns);

/* The core learned that venue is up or down (from the connector's handler). */
OMS_EXTERN void oms_router_venue_state(oms_router_t *r, const char *venue, bool connected,
                                       int64_t now_ns);

/* Whether venue's reconciliation is done: until it is, new orders (and
 * replaces) wait in the queue or, per configuration, new orders are refused.
 * Venues start ready. */
OMS_EXTERN void oms_router_venue_ready(oms_router_t *r, const char *venue, bool ready);

/* Drains queues as tokens return, sends status queries for silent orders, and
 * polls every connector (which delivers its reports to the core). Returns the
 * number of reports delivered. */
OMS_EXTERN int oms_router_poll(oms_router_t *r, int64_t now_ns);

/* Introspection for tests, metrics and the admin API. */
typedef struct oms_route_stats_s {
  uint64_t sent_new, sent_cancel, sent_replace, queued, refused_full, refused_down, status_queries,
      cancelled_locally;
  uint32_t queue_depth, inflight;
  bool connected;
} oms_route_stats_t;
OMS_EXTERN int oms_router_stats(const oms_router_t *r, const char *venue, oms_route_stats_t *out);

OMS_END_DECLS

#endif /* OMS_ROUTE_H */
