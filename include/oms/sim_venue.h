/*
 * sim_venue.h - an in-process simulated exchange behind the venue connector
 * interface (venue.h), for paper trading, backtests and tests of the core.
 *
 * Per symbol it runs a price-time priority book (src/venue/book.h) and supports MARKET,
 * LIMIT, STOP and STOP_LIMIT orders, post-only, IOC, FOK, GTC, DAY (expires at
 * the configured session end) and GTD, partial fills, cancel and
 * cancel/replace, status queries, maker/taker fees, and an optional synthetic
 * liquidity provider. Everything runs on the injected clock and a seeded
 * PRNG, so a run is reproducible: the same calls at the same clock times with
 * the same seed give the same reports, byte for byte.
 *
 * Timing. A request is processed when it is sent (it reaches the book at
 * once); its reports are queued in a bounded ring and delivered from poll()
 * once the clock reaches their due time: now + ack_latency_ns for answers to
 * requests (ACCEPTED, REJECTED, CANCELLED on request, REPLACED, *_REJECTED,
 * STATUS), now + fill_latency_ns for events the venue originates (FILL,
 * TRIGGERED, EXPIRED, the unsolicited CANCELLED of an IOC/FOK/market rest).
 * Reports are delivered in the order they were produced: a report is never
 * due before the one queued ahead of it (its due time is raised if needed).
 * Time-driven work (expiry, the liquidity provider's random walk and
 * replenishment) is done by poll(now_ns).
 *
 * Fees. fee = qty * price * multiplier * rate, computed exactly in 128-bit
 * integers and rounded once to 10^-8 with fee_round (default
 * OMS_ROUND_HALF_EVEN). A negative rate is a rebate (negative fee).
 *
 * Self-trade. The book lets any two orders trade, including two orders of the
 * same account: preventing self-trades is the OMS risk layer's job
 * (OMS_R_RISK_SELF_TRADE).
 *
 * Durable state (optional, state_path). Every change to a working order is
 * recorded in the venue's own file before any report is delivered, so after
 * a crash or a stop the venue created again over the file holds the same
 * working orders; an order it acknowledged is never forgotten. It also keeps
 * its newest finished orders (finished_keep), so a status query after the
 * restart answers FILLED, CANCELLED or EXPIRED with CumQty and AvgPx, and it
 * delivers again every fill and end (cancel, expiry) whose report had not
 * been delivered when it stopped, under its own exec id. The liquidity
 * provider is not recorded: it quotes afresh at creation.
 *
 * Not thread-safe: drive a venue from one thread (the core's loop).
 */
#ifndef OMS_SIM_VENUE_H
#define OMS_SIM_VENUE_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/reason.h"
#include "oms/venue.h"

OMS_BEGIN_DECLS

#define OMS_SIM_MAX_SYMBOLS 64
#define OMS_SIM_LP_MAX_LEVELS 32

/* The synthetic liquidity provider of one symbol: it quotes `levels` price
 * levels of `size` on each side around a reference price, `spread_ticks`
 * apart at the top (or spread_bps of the reference, if set), moves the
 * reference every step_ns by -walk_ticks, 0 or +walk_ticks ticks chosen by
 * the seeded PRNG, and re-quotes (restoring what was traded) at the first
 * poll after a step or after being hit. Once an order takes any of its
 * quotes it waits refill_ns before it re-quotes (a step in between moves the
 * reference but re-quotes nothing), so an order larger than the visible
 * depth (levels x size) takes that depth, rests the rest, and can be
 * cancelled before the provider comes back. Its orders belong to an
 * internal account and produce no reports; a strategy's orders trade against
 * them like any other. */
typedef struct oms_sim_lp_s {
  bool enabled;
  oms_dec_t ref_px;      /* initial reference price; > 0 */
  uint32_t spread_ticks; /* best bid to best ask, in ticks; 0 taken as 1 */
  uint32_t spread_bps;   /* if > 0, overrides spread_ticks: bps of the reference */
  uint32_t levels;       /* per side, 1..OMS_SIM_LP_MAX_LEVELS */
  oms_dec_t size;        /* per level; > 0, a multiple of the lot */
  int64_t step_ns;       /* random walk period; 0: the reference never moves */
  uint32_t walk_ticks;   /* size of one step; 0 taken as 1 */
  int64_t refill_ns;     /* delay from the first hit to the re-quote; 0: at the next poll */
} oms_sim_lp_t;

typedef struct oms_sim_symbol_s {
  oms_instrument_t ins; /* symbol, tick_size, lot_size, multiplier are used */
  oms_sim_lp_t lp;
} oms_sim_symbol_t;

/* Zero values pick the defaults in brackets. */
typedef struct oms_sim_config_s {
  const char *name;         /* the venue's name ["SIM"], at most OMS_VENUE_MAX */
  oms_clock_t clock;        /* required: the time of sends */
  uint32_t max_orders;      /* order records, live and done [65536] */
  uint32_t book_capacity;   /* resting orders per symbol [max_orders] */
  uint32_t report_capacity; /* report ring, rounded up to a power of two [16384] */
  int64_t ack_latency_ns;   /* [0] */
  int64_t fill_latency_ns;  /* [0] */
  int64_t session_end_ns;   /* when DAY orders expire; 0: they never do */
  oms_dec_t maker_fee_rate; /* fraction of notional, e.g. 0.0001; negative: rebate */
  oms_dec_t taker_fee_rate;
  oms_round_t fee_round;           /* [OMS_ROUND_HALF_EVEN] */
  uint64_t seed;                   /* for the liquidity providers */
  const oms_sim_symbol_t *symbols; /* registered at creation; may be NULL */
  size_t nsymbols;
  /* The venue's durable state: a file of what happened to its working
   * orders (created if missing). With it, a venue created again over the
   * same file still holds every order that was working, at its place in the
   * queue, with its filled quantity, as an exchange keeps GTC orders across
   * its restart (DAY orders still expire at session_end_ns, GTD ones at their
   * time); orders of a symbol no longer configured are dropped. NULL: the
   * venue forgets everything when destroyed. The symbols must be registered
   * at creation (symbols above) to be restored. */
  const char *state_path;
  /* With state_path: the finished orders (filled, cancelled, expired,
   * rejected) a restart keeps, newest first, to answer status queries about
   * them [max_orders: as many as the running venue remembers]. The pool
   * bounds them as it bounds the running venue's (the oldest finished record
   * is recycled first). An order whose fill or end was not yet delivered is
   * kept whatever this says, until delivered. */
  uint32_t finished_keep;
} oms_sim_config_t;

/* Creates a simulated venue, connected, with the symbols of cfg (the caller
 * keeps cfg; nothing in it is referenced after the call), and the orders of
 * cfg->state_path if set (OMS_EIO if that file can not be read or written). Install a handler
 * with oms_venue_set_handler before the first poll. On success *out owns the
 * venue (free it with oms_venue_destroy); on failure *out is NULL and the
 * return is OMS_ECONFIG (no clock, a bad symbol or liquidity provider, a name
 * too long), OMS_EEXIST (a symbol twice) or OMS_ENOMEM. */
OMS_EXTERN int oms_sim_venue_create(const oms_sim_config_t *cfg, oms_venue_t **out);

/* Registers one more symbol; its liquidity provider, if enabled, quotes at
 * once. Returns 0, OMS_ECONFIG, OMS_EEXIST, OMS_EFULL (OMS_SIM_MAX_SYMBOLS) or
 * OMS_ENOMEM. v must be a simulated venue. */
OMS_EXTERN int oms_sim_venue_add_symbol(oms_venue_t *v, const oms_sim_symbol_t *sym);

/* Simulates the link going down (false) or coming back (true). While down,
 * every send and query returns OMS_EDOWN, reports wait in the ring, and the
 * book keeps working (resting orders stay; expiry and the liquidity provider
 * go on). The change is announced through handler.on_connection from the
 * next poll. */
OMS_EXTERN void oms_sim_venue_set_connected(oms_venue_t *v, bool connected);

/* Silent mode: new orders are processed and rest in the book as usual, but
 * their ACCEPTED report is withheld (lost), so the core only learns of the
 * order through a status query (or a later fill). Other reports flow. */
OMS_EXTERN void oms_sim_venue_set_silent(oms_venue_t *v, bool silent);

/* Fault injection: the next n new orders are refused with a REJECTED report
 * carrying reason (OMS_R_VENUE_REJECT if reason is OMS_R_NONE). */
OMS_EXTERN void oms_sim_venue_reject_next(oms_venue_t *v, uint32_t n, oms_reason_t reason);

/* Moves the session end (DAY expiry) to t_ns, for a new trading day. DAY
 * orders already resting expire at the new time. */
OMS_EXTERN void oms_sim_venue_set_session_end(oms_venue_t *v, int64_t t_ns);

/* The liquidity provider's current reference price of a symbol; zero if the
 * symbol is unknown or has no provider. */
OMS_EXTERN oms_dec_t oms_sim_venue_lp_ref(const oms_venue_t *v, const char *symbol);

/* An order, as oms_sim_venue_working() and oms_sim_venue_orders() show it. */
typedef struct oms_sim_order_s {
  uint64_t order_id;
  char venue_order_id[OMS_ID_MAX + 1]; /* as in its reports */
  char symbol[OMS_SYMBOL_MAX + 1];
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  oms_dec_t qty, cum_qty, leaves_qty;
  oms_dec_t price, stop_price;
  oms_venue_status_t status; /* WORKING, or the final status of a finished order */
  oms_dec_t avg_px;          /* of its fills; zero before the first */
} oms_sim_order_t;

/* Calls cb for every working order (resting or waiting for its stop), in no
 * particular order, until cb returns non-zero; for a standalone exchange
 * answering a mass status request. Returns 0, cb's non-zero return, or
 * OMS_EINVAL if v is not a simulated venue. A scan of every order record:
 * not for the hot path. */
OMS_EXTERN int oms_sim_venue_working(const oms_venue_t *v,
                                     int (*cb)(void *ctx, const oms_sim_order_t *o), void *ctx);

/* As oms_sim_venue_working, for every order the venue holds: working ones
 * and the finished ones it still remembers (status says which), for a
 * standalone exchange setting its own books right after a restart. */
OMS_EXTERN int oms_sim_venue_orders(const oms_venue_t *v,
                                    int (*cb)(void *ctx, const oms_sim_order_t *o), void *ctx);

typedef struct oms_sim_stats_s {
  uint64_t orders;            /* new orders received (accepted or rejected) */
  uint64_t trades;            /* book trades, including the provider's */
  uint64_t reports_queued;    /* reports produced */
  uint64_t reports_dropped;   /* reports lost because the ring was full */
  uint32_t reports_pending;   /* in the ring now */
  uint32_t restored;          /* working orders taken back from state_path at creation */
  uint32_t restored_finished; /* finished orders taken back (status queries answer for them) */
  uint32_t redelivered;       /* fills and ends queued again at creation: their reports had
                               * not been delivered when the venue stopped */
  uint64_t state_errors;      /* failed writes of the state file (the venue then goes down) */
} oms_sim_stats_t;

OMS_EXTERN void oms_sim_venue_stats(const oms_venue_t *v, oms_sim_stats_t *out);

/* The fee of a trade of qty at px for an instrument of multiplier mult (0 is
 * 1) at rate, rounded once with mode. Returns 0 or OMS_EOVERFLOW. */
OMS_EXTERN int oms_sim_fee(oms_dec_t qty, oms_dec_t px, oms_dec_t mult, oms_dec_t rate,
                           oms_round_t mode, oms_dec_t *out);

OMS_END_DECLS

#endif /* OMS_SIM_VENUE_H */
