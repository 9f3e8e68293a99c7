/*
 * engine.h - the OMS core (oms_engine_t): oms_engine_submit, _cancel,
 * _modify, _mass_cancel and the queries over orders, driven by the venues'
 * execution reports that oms_engine_poll() applies.
 *
 * One engine is one deterministic core. It keeps no global state, reads time
 * only from the injected clock, and processes its commands (API calls and
 * venue reports, which arrive from oms_engine_poll()) strictly one after the
 * other on the caller's thread: it is not thread-safe, and several engines
 * can live in one process (tests, backtests).
 *
 * THE LIFE OF A SUBMISSION
 *   1. idempotency: the same client_order_id from the same strategy returns
 *      the order it created the first time (never routed twice); a different
 *      request reusing it is refused as DUPLICATE_CLORDID;
 *   2. validation against the instrument (src/order);
 *   3. the order is created PENDING with an id from a monotonic counter;
 *   4. pre-trade risk (src/risk), if a risk engine is attached;
 *   5. a router pre-check (venue known and connected, queue not full);
 *   6. the order moves to SUBMITTED and its OrderSubmitted event is appended
 *      to the store (write-ahead);
 *   7. only when the store reports that append durable does the order go to
 *      the venue and the event to subscribers (the outbox; immediately when
 *      no store is attached).
 * A refusal at steps 2, 4, 5 or 6 leaves the order REJECTED with its reason
 * and an OrderRejected or OrderDenied event; nothing is half done.
 *
 * Every change of an order produces one event with a gap-free sequence
 * number; subscribers see events only once they are durable (on_written
 * sees them written, for a consumer that holds its own effects until then).
 */
#ifndef OMS_ENGINE_H
#define OMS_ENGINE_H

#include <stdbool.h>

#include "oms/algo.h"
#include "oms/bus.h"
#include "oms/common.h"
#include "oms/event.h"
#include "oms/order.h"
#include "oms/portfolio.h"
#include "oms/reason.h"
#include "oms/route.h"
#include "oms/sor.h"
#include "oms/store.h"
#include "oms/venue.h"

OMS_BEGIN_DECLS

typedef struct oms_engine_s oms_engine_t;
typedef struct oms_risk_s oms_risk_t;

typedef struct oms_engine_config_s {
  oms_clock_t clock;          /* required */
  uint32_t max_orders;        /* orders kept in memory, live and recently done; 0 = 16384 */
  uint32_t max_instruments;   /* 0 = 1024 */
  uint32_t max_venues;        /* 0 = 8 */
  uint32_t outbox_capacity;   /* effects waiting for durability; 0 = 8192 */
  uint32_t exec_id_window;    /* recent execution ids kept to drop duplicates; 0 = 65536 */
  uint64_t first_order_id;    /* 0 = 1; recovery raises it past the stored ids */
  oms_store_t *store;         /* optional, not owned: write-ahead durability */
  oms_risk_t *risk;           /* optional, not owned: pre-trade checks and aggregates; the
                                 engine installs its trading-state callback on it and, with a
                                 portfolio, points it at that portfolio */
  oms_portfolio_t *portfolio; /* optional, not owned: fills and marks are booked into it */
  oms_bus_t *bus;             /* optional, not owned: every durable event is published on it */
  /* Every event, in sequence order, once it is durable; and, with seq 0,
   * transient alarms that are not stored (the store itself failing). */
  void (*on_event)(void *ctx, const oms_event_t *ev);
  void *event_ctx;
  /* Optional: every event of on_event but the transient alarms, in sequence
   * order, as soon as the store accepted its append (written, perhaps not
   * yet durable; at once without a store), from inside the command that
   * made it. For a consumer that stores what it derives from
   * the event behind it and holds that until the store's durable ticket
   * passes its own ticket (the FIX gateway and its ExecutionReports): the
   * store makes a prefix of its tickets durable, so one sync releases both,
   * and nothing derived leaves before the event is durable. It may query
   * the engine but must not run a command (submit, cancel, ...). */
  void (*on_written)(void *ctx, const oms_event_t *ev);
  void *written_ctx;
  uint32_t max_parents; /* parent orders working at once (algo.h); 0 = 1024 */
  uint32_t max_groups;  /* contingent groups working at once; 0 = 1024 */
  /* Smart routing (sor.h, docs/routing.md): a venue's quote older than this
   * is stale and not routed to; 0 = 5 s. Negative: quotes never go stale. */
  int64_t sor_stale_ns;
  /* Optional: asked first about every new order (a parent's children and a
   * group's members included), before anything is created or stored; a
   * non-zero return refuses it with the reason admit put in rej (no order,
   * no event). omsd's account ownership and lease (docs/deployment.md). */
  int (*admit)(void *ctx, const oms_order_request_t *req, oms_reject_t *rej);
  void *admit_ctx;
} oms_engine_config_t;

/* Creates an engine with all the memory it will use. Returns 0, OMS_EINVAL
 * or OMS_ENOMEM (*out NULL). */
OMS_EXTERN int oms_engine_create(const oms_engine_config_t *cfg, oms_engine_t **out);

/* Destroys e and the venue connectors it owns. Accepts NULL. */
OMS_EXTERN void oms_engine_destroy(oms_engine_t *e);

/* Adds (or replaces) an instrument. Returns 0, OMS_EINVAL (with the reason
 * in rej if not NULL) or OMS_EFULL. */
OMS_EXTERN int oms_engine_add_instrument(oms_engine_t *e, const oms_instrument_t *ins,
                                         oms_reject_t *rej);

/* The instrument for symbol on venue, or NULL. */
OMS_EXTERN const oms_instrument_t *oms_engine_instrument(const oms_engine_t *e, const char *venue,
                                                         const char *symbol);

/* Adds a venue connector; the engine owns it from now on (also on failure).
 * The engine installs its own handler on the connector. */
OMS_EXTERN int oms_engine_add_venue(oms_engine_t *e, oms_venue_t *v,
                                    const oms_venue_route_config_t *cfg);

/* The router, for symbol mapping and statistics. */
OMS_EXTERN oms_router_t *oms_engine_router(oms_engine_t *e);

typedef struct oms_submit_result_s {
  /* The order after the call, read in place inside the engine (no copy of
   * its 1.4 KB on the submission path): valid until the next call into the
   * engine, on the engine's thread; copy it to keep it. Never NULL: an empty
   * order (order_id 0) if none was created. */
  const oms_order_t *order;
  bool duplicate;      /* the same request was seen before: this is its order */
  oms_reject_t reject; /* why it was refused (code OMS_R_NONE if accepted) */
  char check[32];      /* the risk check that refused it, "" otherwise */
} oms_submit_result_t;

/* Submits a new order. Returns 0 when the order was accepted (SUBMITTED: on
 * its way to the venue as soon as its store append is durable), or
 * OMS_EREJECTED with res->reject set: then *res->order is the REJECTED order,
 * or has order_id 0 if the request was refused before an order existed
 * (DUPLICATE_CLORDID, CAPACITY). An idempotent replay returns what the first
 * submission returned, with res->duplicate set. */
OMS_EXTERN int oms_engine_submit(oms_engine_t *e, const oms_order_request_t *req,
                                 oms_submit_result_t *res);

/* Submits a parent order (include/oms/algo.h, docs/algos.md): req names it
 * (ids, account, venue, symbol; side, qty and price when params lack them),
 * params say how to work it. The parameters are validated first: a refusal
 * returns OMS_EREJECTED with res->reject.code the OMS_R_ALGO_* reason (the
 * OMS_ALGO_R_* number) and a text naming the parameter, and no order. Then
 * the parent is an order of the engine (same ids, store, events), checked by
 * risk once for its whole size and reserved, and ACCEPTED at once without
 * being routed; its children, sent from oms_engine_poll() as the algorithm
 * decides, carry its id in parent_order_id and pass only the per-order risk
 * rules. The parent's fills are its children's; oms_engine_cancel() of the
 * parent cancels its children, and it ends when they are done. Returns as
 * oms_engine_submit(). */
OMS_EXTERN int oms_engine_submit_parent(oms_engine_t *e, const oms_order_request_t *req,
                                        const oms_algo_params_t *params, oms_submit_result_t *res);

/* ---- Contingent groups (docs/groups.md) ----------------------------------
 * OCO, OUO, OTO and brackets (include/oms/algo.h) worked on the venue by the
 * engine. A group is an order of the engine, the group order (algo
 * OMS_GROUP_ALGO_BASE + the kind), never routed; its members are ordinary
 * orders carrying its id in parent_order_id, named G<group>.<seq>. */
#define OMS_GROUP_ALGO_BASE 2000

/* FIX: a NewOrderSingle is the entry of a bracket (or the primary of an
 * OTO) when it carries these tags of the bilateral range (docs/algos.md):
 * XX(name, tag, description). */
#define OMS_GROUP_TAG_MAP(XX)                                                                \
  XX(ContingencyType, 20101, "1 OCO, 2 OUO, 3 OTO, 4 BRACKET; default: from the tags given") \
  XX(TakeProfitPrice, 20102, "a LIMIT exit at this price, opposite side")                    \
  XX(StopLossPrice, 20103, "a STOP exit at this stop price, opposite side")                  \
  XX(StopLossLimitPrice, 20104, "makes the stop-loss a STOP_LIMIT at this limit")            \
  XX(OtherLegPrice, 20105, "OCO, OUO: the second leg's limit price")                         \
  XX(OtherLegStopPx, 20106, "OCO, OUO: the second leg's stop price")

typedef enum oms_group_tag_e {
#define XX(name, tag, desc) OMS_GROUP_TAG_##name = (tag),
  OMS_GROUP_TAG_MAP(XX)
#undef XX
} oms_group_tag_t;

/* One member as the client describes it. */
typedef struct oms_group_leg_s {
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  oms_dec_t qty;
  oms_dec_t price;      /* LIMIT, STOP_LIMIT */
  oms_dec_t stop_price; /* STOP, STOP_LIMIT */
} oms_group_leg_t;

/* Submits a group of kind: req names it (client order id, strategy,
 * account, venue, symbol; its side, type and quantities are ignored), legs
 * are its members in order: OCO, OUO: two legs on one side; OTO: primary,
 * contingent (at most the primary's quantity); BRACKET: entry, take-profit
 * (LIMIT, opposite side), stop-loss (STOP or STOP_LIMIT, opposite side),
 * exits at most the entry's quantity and priced on their side of the entry
 * and of each other. Every member is validated as an order of the
 * instrument first; a refusal names the member and field
 * ("stop_loss: ...") with the validation reason or an OMS_R_GROUP_* one,
 * and makes no order. Then the group order is checked by risk once, for
 * what the group can add to the position (docs/groups.md), and ACCEPTED;
 * the members that go at once (an OCO's or OUO's two legs, the entry or
 * primary) are submitted before this returns, the others when the group
 * releases them from oms_engine_poll(). Returns as oms_engine_submit(). */
OMS_EXTERN int oms_engine_submit_group(oms_engine_t *e, const oms_order_request_t *req,
                                       oms_algo_group_kind_t kind, const oms_group_leg_t *legs,
                                       uint32_t n, oms_submit_result_t *res);

/* Cancels a whole group: every member still open is cancelled, a held one
 * is dropped, and the group order ends once they are done (oms_engine_cancel
 * of the group order does the same; cancelling one member ends the group
 * too). Returns as oms_engine_cancel(), UNKNOWN_ORDER for an order that is
 * not a group's. A member can not be modified (UNSUPPORTED): its size is the
 * group's to decide. */
OMS_EXTERN int oms_engine_cancel_group(oms_engine_t *e, uint64_t group_order_id, oms_reject_t *rej);

/* Whether venue lacks native stop orders: then a group's stop-loss (a STOP
 * or STOP_LIMIT member) is held in the OMS and sent, as a MARKET or LIMIT
 * order, once a trade the venue reports (its market data's last price) is
 * at or through its stop price. Off by default (the venue takes the stop).
 * Returns 0 or OMS_EFULL (16 venues). */
OMS_EXTERN int oms_engine_set_stops_held(oms_engine_t *e, const char *venue, bool held);

/* The state of a working group and its members' current order ids (0: none
 * open); either out-parameter may be NULL. Returns 0 or OMS_ENOTFOUND (not
 * a group, or ended). */
OMS_EXTERN int oms_engine_group(oms_engine_t *e, uint64_t group_order_id, oms_algo_group_t *out,
                                uint64_t member_order_id[OMS_ALGO_GROUP_MAX]);

/* "entry", "take_profit", "stop_loss"; "primary", "contingent"; "leg1",
 * "leg2"; "member" otherwise. Never NULL. */
OMS_EXTERN const char *oms_group_member_name(oms_algo_group_kind_t kind, uint32_t i);
/* "OCO", "OUO", "OTO", "BRACKET", "UNKNOWN"; and back (0 or OMS_ENOTFOUND). */
OMS_EXTERN const char *oms_group_kind_name(oms_algo_group_kind_t kind);
OMS_EXTERN int oms_group_kind_parse(const char *s, oms_algo_group_kind_t *out);
/* ---- smart order routing (include/oms/sor.h, docs/routing.md) ---------------- */

/* Venue (already added with oms_engine_add_venue) takes part in smart
 * routing with cfg's fees and latency (cfg->name must be the venue's).
 * From then on its market data feeds the consolidated book and its
 * connection its state. Returns 0, OMS_ENOTFOUND (no such venue),
 * OMS_EEXIST, OMS_EFULL (OMS_SOR_MAX_VENUES) or OMS_EINVAL. */
OMS_EXTERN int oms_engine_sor_add_venue(oms_engine_t *e, const oms_sor_venue_cfg_t *cfg);

/* Sets a smart-routing venue's state by hand (HALTED, or UP again).
 * Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_engine_sor_set_state(oms_engine_t *e, const char *venue,
                                        oms_sor_venue_state_t state);

/* The consolidated book, for inspection and tests (read only). */
OMS_EXTERN const oms_sor_book_t *oms_engine_sor_book(const oms_engine_t *e);

/* Submits an order to be routed by policy across the smart-routing venues:
 * a parent order (checked by risk once for its whole size, ACCEPTED at
 * once, strategy OMS_SOR_ALGO) whose children, IOC sweeps and passive
 * posts, go to the venues the decision picks (oms_sor_route), each child
 * naming its venue in oms_order_t.venue. req->venue may be empty (the first
 * smart-routing venue that lists the symbol is the parent's home venue, for
 * validation) or one of them. Only LIMIT and MARKET orders; a MARKET order
 * never posts. When the parent ends a BestExecution event carries its
 * record (oms_sor_bestex_t). Returns as oms_engine_submit(). */
OMS_EXTERN int oms_engine_submit_smart(oms_engine_t *e, const oms_order_request_t *req,
                                       oms_sor_policy_t policy, oms_submit_result_t *res);

/* The best-execution record of a smart-routed parent, as it stands (while
 * working) or as it was emitted (kept until its record is reused). Returns 0
 * or OMS_ENOTFOUND. */
OMS_EXTERN int oms_engine_best_execution(const oms_engine_t *e, uint64_t parent_id,
                                         oms_sor_bestex_t *out);

/* Requests the cancel of an order: PENDING_CANCEL until the venue confirms
 * (CANCELLED) or refuses (the previous state comes back). Never blocked by
 * risk. Returns 0, or OMS_EREJECTED with rej set: UNKNOWN_ORDER,
 * ORDER_TERMINAL, ORDER_PENDING (a cancel or replace is already pending),
 * STORE_FAILED, VENUE_DOWN. */
OMS_EXTERN int oms_engine_cancel(oms_engine_t *e, uint64_t order_id, oms_reject_t *rej);

/* What a modify changes: a zero field keeps the current value. */
typedef struct oms_modify_s {
  oms_dec_t qty;
  oms_dec_t price;
  oms_dec_t stop_price;
  /* The client's new name for the order (FIX ClOrdID of a replace), which
   * becomes the order's cur_client_order_id when the venue confirms; NULL
   * keeps the current name. */
  const char *client_order_id;
} oms_modify_t;

/* Requests a cancel/replace: PENDING_REPLACE until the venue confirms (the
 * new values take effect) or refuses (the order is as before). The order as
 * it would become is validated and risk-checked. Returns 0 or OMS_EREJECTED
 * with rej set (also NOTHING_TO_CHANGE, MODIFY_BELOW_FILLED, any validation
 * or risk reason). */
OMS_EXTERN int oms_engine_modify(oms_engine_t *e, uint64_t order_id, const oms_modify_t *m,
                                 oms_reject_t *rej);

/* Copies an order known to the engine (or, if it left memory, to the store).
 * By client order id, the store is asked only about ids this engine has
 * seen (submitted here, or in the store at recovery), so an unknown id costs
 * no store lookup. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_engine_get(oms_engine_t *e, uint64_t order_id, oms_order_t *out);
OMS_EXTERN int oms_engine_get_by_clordid(oms_engine_t *e, const char *strategy_id,
                                         const char *client_order_id, oms_order_t *out);

/* The order in memory whose current client order id (its name after every
 * confirmed replace, oms_order_t.cur_client_order_id) is client_order_id in
 * strategy strategy_id: how a FIX client's OrigClOrdID finds a replaced
 * order. A lookup in a map the engine keeps as names change (and rebuilds on
 * recovery), never a scan. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_engine_get_by_current_clordid(oms_engine_t *e, const char *strategy_id,
                                                 const char *client_order_id, oms_order_t *out);

/* The order the venue knows as venue_order_id (orders in memory only).
 * Returns 0 or OMS_ENOTFOUND. With oms_engine_get and _get_by_clordid this is
 * the id map client_order_id <-> order_id <-> venue_order_id. */
OMS_EXTERN int oms_engine_get_by_venue_order_id(oms_engine_t *e, const char *venue,
                                                const char *venue_order_id, oms_order_t *out);

/* Which orders a query or a mass cancel covers: every set field narrows it.
 * states is a bit mask of (1u << oms_ord_state_t); 0 means every non-terminal
 * state. */
typedef struct oms_order_filter_s {
  const char *strategy_id;
  const char *account_id;
  const char *symbol;
  const char *venue;
  uint32_t states;
} oms_order_filter_t;

/* Calls cb for each order in memory matching f (NULL = active orders), in
 * order-id order, without allocating: the engine keeps its orders on a list
 * in id order. Costs a look at every order in memory (live orders and the
 * finished ones still kept), so it is for operators and tests, not for a
 * path a client's message takes. cb must not submit orders (a new order may
 * take the slot of a finished one being visited). Returns 0 or the
 * callback's non-zero value. */
OMS_EXTERN int oms_engine_orders(oms_engine_t *e, const oms_order_filter_t *f, oms_order_cb cb,
                                 void *ctx);

/* Requests the cancel of every working order matching f (states ignored).
 * *n_cancelled (may be NULL) counts the cancels sent; orders that could not
 * be cancelled (already pending) are skipped. Returns 0. */
OMS_EXTERN int oms_engine_mass_cancel(oms_engine_t *e, const oms_order_filter_t *f,
                                      uint32_t *n_cancelled);

/* The kill switch: sets the trading state of a scope through the risk
 * engine (scope an oms_risk_scope_t, state an oms_trading_state_t; id ignored
 * for GLOBAL). The change is published and stored as a TradingStateChanged
 * event (so it survives a restart), and HALTED cancels every open order in
 * the scope. Returns 0, OMS_EINVAL (no risk engine, bad scope or id) or
 * OMS_EFULL. The engine installs its own state callback on the risk engine
 * it is given, so a daily-loss breach found by the risk engine takes the
 * same path. */
OMS_EXTERN int oms_engine_set_trading_state(oms_engine_t *e, int scope, const char *id, int state,
                                            const char *reason);

/* Publishes and stores a RiskReport event (docs/events.md): the market risk
 * model's numbers for account (NULL or "": the firm) as text, e.g.
 * "var=751.62285234 hvar=321.78217822 stress_loss=13000 worst=crypto -40%",
 * and as fields (info, copied into the event's `risk`; NULL: zeros).
 * Core thread; the caller bounds the rate. Not kept if the store has
 * failed. Returns 0, OMS_EINVAL or OMS_ESTORE / OMS_EFULL (no room in the
 * outbox). */
OMS_EXTERN int oms_engine_risk_report(oms_engine_t *e, const char *account, const char *text,
                                      const oms_risk_report_info_t *info);

/* Runs the core's loop once: releases effects whose store append is durable,
 * drains router queues, sends status queries, polls the venues (whose reports
 * are applied), and retries reports held back by a full store. Returns the
 * number of reports and effects processed (0 when idle). */
OMS_EXTERN int oms_engine_poll(oms_engine_t *e);

/* Loads the store's non-terminal orders and last sequence numbers into a new
 * engine (before any submission): the risk aggregates are rebuilt from the
 * open orders, the portfolio (positions, PnL, fees, marks) from the store's
 * position rows (or, for a store without them, by replaying every fill in
 * the event log; docs/store.md, "Recovery of the engine"), and the trading
 * states (a halt survives a restart) from the store. Instruments, venues and cash must be set up
 * first, as at the first start. Open orders are marked status unknown and every venue is reconciled
 * (docs/reconciliation.md: a mass status query or one status query per order; new orders to it wait
 * until it is done); nothing is resent. The recent execution ids come back from the log's last
 * exec_id_window fills, so fills resent after the restart are duplicates. Returns 0, OMS_EINVAL (no
 * store, or the engine already has orders), OMS_EFULL, OMS_ENOMEM, OMS_ESTORE. */
OMS_EXTERN int oms_engine_recover(oms_engine_t *e, uint32_t *n_loaded);

/* Whether the OMS and venue agree (docs/reconciliation.md): false from the
 * start of a reconciliation (recovery, a reconnect) until every open order of
 * the venue has its answer (and the mass status answer its last report), and
 * while the venue is down. Until then new orders to it wait in the router (or
 * are refused, per oms_venue_route_config_t). false for an unknown venue. */
OMS_EXTERN bool oms_engine_venue_reconciled(const oms_engine_t *e, const char *venue);

typedef struct oms_engine_stats_s {
  uint64_t submitted, rejected, cancels, modifies, reports, duplicate_reports, unknown_reports,
      overfills, store_refusals, events;
  uint64_t next_order_id, next_event_seq;
  uint32_t orders_in_memory, outbox_depth, held_reports;
} oms_engine_stats_t;
OMS_EXTERN void oms_engine_stats(const oms_engine_t *e, oms_engine_stats_t *out);

OMS_END_DECLS

#endif /* OMS_ENGINE_H */
