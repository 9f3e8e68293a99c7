/*
 * sor.h - smart order routing: the consolidated book of an instrument across
 * venues (oms_sor_book_t) and the routing decision over it (oms_sor_route).
 *
 * The book keeps, per instrument and per venue, the venue's best bid and
 * offer and its depth (up to OMS_MD_DEPTH price levels a side, venue.h)
 * with their displayed sizes and the time of the quote, and per venue its
 * fees, latency and state (up, down, throttled, halted). It is fed
 * incrementally from the venues' market data (oms_sor_book_update): one
 * hash lookup and a copy of one venue's levels per snapshot. A quote older than
 * the book's stale_ns at the time of a decision is stale, and a stale venue
 * is not routed to (the clock is the caller's: every call takes now_ns).
 *
 * The decision is a pure function of the book, a policy and a request: it
 * ranks the usable venues by fee-adjusted effective price (a buy pays
 * price x (1 + taker fee rate), a sell receives price x (1 - taker fee
 * rate); a negative rate is a rebate) level by level, takes the displayed
 * size of the best levels across all venues (a sweep: one IOC child per
 * venue, the sum of its levels taken, limited at the worst), and, if the
 * policy posts, puts what is left at the limit price where the maker rebate
 * and the queue ahead are best. Nothing is allocated and nothing is scanned
 * but the venues of one instrument (at most OMS_SOR_MAX_VENUES).
 *
 * docs/routing.md explains the policies and how the engine uses them
 * (oms_engine_submit_smart in engine.h).
 */
#ifndef OMS_SOR_H
#define OMS_SOR_H

#include <stdbool.h>
#include <stdint.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/venue.h"

OMS_BEGIN_DECLS

#define OMS_SOR_MAX_VENUES 8

/* The strategy number (oms_order_t.algo) of a smart-routed parent order;
 * outside the algorithms' numbers (include/oms/algo.h). */
#define OMS_SOR_ALGO 900

/* A venue's state as routing sees it: only UP venues are routed to. */
#define OMS_SOR_VENUE_STATE_MAP(X)                                  \
  X(UP, 0, "up", "connected and trading")                           \
  X(DOWN, 1, "down", "not connected")                               \
  X(THROTTLED, 2, "throttled", "its rate limit is spent: avoid it") \
  X(HALTED, 3, "halted", "trading stopped at the venue or by us")

typedef enum oms_sor_venue_state_e {
#define OMS_SOR_VS_ENUM(name, num, wire, what) OMS_SOR_##name = (num),
  OMS_SOR_VENUE_STATE_MAP(OMS_SOR_VS_ENUM)
#undef OMS_SOR_VS_ENUM
} oms_sor_venue_state_t;

/* The routing policies: one table, the single source of their names and
 * behaviour (take: IOC sweep and re-route; post: rest the remainder). */
#define OMS_SOR_POLICY_MAP(X)                                                                  \
  X(BEST, 1, "best", 1, 1,                                                                     \
    "sweep the best fee-adjusted prices with IOC children, re-route what is not filled, post " \
    "the rest at the limit where rebate and queue are best")                                   \
  X(TAKE, 2, "take", 1, 0, "sweep and re-route only; what no venue fills is cancelled")        \
  X(POST, 3, "post", 0, 1, "post the whole order at the limit where rebate and queue are best")

typedef enum oms_sor_policy_e {
  OMS_SOR_POLICY_NONE = 0,
#define OMS_SOR_POL_ENUM(name, num, wire, take, post, what) OMS_SOR_POLICY_##name = (num),
  OMS_SOR_POLICY_MAP(OMS_SOR_POL_ENUM)
#undef OMS_SOR_POL_ENUM
} oms_sor_policy_t;

/* Over FIX (docs/routing.md): ExDestination(100) = OMS_SOR_FIX_DEST selects
 * smart routing (any other value is a direct venue); the custom tag
 * OMS_SOR_FIX_TAG_POLICY names the policy ("best", "take", "post"; "best"
 * when absent) and alone also selects smart routing. */
#define OMS_SOR_FIX_DEST "SMART"
#define OMS_SOR_FIX_TAG_POLICY 20110

OMS_EXTERN const char *oms_sor_venue_state_name(oms_sor_venue_state_t s);
/* "best", "take", "post"; "UNKNOWN" otherwise. */
OMS_EXTERN const char *oms_sor_policy_name(oms_sor_policy_t p);
/* The policy named s (as oms_sor_policy_name gives it, any case). Returns 0
 * or OMS_ENOTFOUND. */
OMS_EXTERN int oms_sor_policy_parse(const char *s, oms_sor_policy_t *out);
/* Whether p sweeps (IOC children) and whether it posts a remainder. */
OMS_EXTERN bool oms_sor_policy_takes(oms_sor_policy_t p);
OMS_EXTERN bool oms_sor_policy_posts(oms_sor_policy_t p);

typedef struct oms_sor_venue_cfg_s {
  char name[OMS_VENUE_MAX + 1];
  oms_dec_t maker_fee_rate; /* fraction of notional; negative: a rebate */
  oms_dec_t taker_fee_rate;
  int64_t latency_ns; /* breaks ties: the faster venue first */
  int64_t stale_ns;   /* its quotes' age limit; 0: the book's; negative: never stale */
} oms_sor_venue_cfg_t;

typedef struct oms_sor_book_s oms_sor_book_t;

/* A book for up to max_instruments symbols; quotes older than stale_ns are
 * stale (0: never). Returns 0, OMS_EINVAL or OMS_ENOMEM (*out NULL). */
OMS_EXTERN int oms_sor_book_create(uint32_t max_instruments, int64_t stale_ns,
                                   oms_sor_book_t **out);
/* Accepts NULL. */
OMS_EXTERN void oms_sor_book_destroy(oms_sor_book_t *b);

/* Adds a venue (state UP). Returns its index (0..OMS_SOR_MAX_VENUES-1), or
 * OMS_EEXIST, OMS_EFULL, OMS_EINVAL. */
OMS_EXTERN int oms_sor_book_add_venue(oms_sor_book_t *b, const oms_sor_venue_cfg_t *cfg);
/* The index of venue name, or OMS_ENOTFOUND. */
OMS_EXTERN int oms_sor_book_venue(const oms_sor_book_t *b, const char *name);
/* The configuration of venue index vi, or NULL. */
OMS_EXTERN const oms_sor_venue_cfg_t *oms_sor_book_venue_cfg(const oms_sor_book_t *b, int vi);
OMS_EXTERN void oms_sor_book_set_state(oms_sor_book_t *b, int vi, oms_sor_venue_state_t s);
OMS_EXTERN oms_sor_venue_state_t oms_sor_book_state(const oms_sor_book_t *b, int vi);

/* The instrument record of symbol, made on first sight. Returns its index,
 * OMS_EFULL or OMS_EINVAL. */
OMS_EXTERN int oms_sor_book_instrument(oms_sor_book_t *b, const char *symbol);
/* The same without making one: OMS_ENOTFOUND. */
OMS_EXTERN int oms_sor_book_find(const oms_sor_book_t *b, const char *symbol);

/* A snapshot of venue vi's book for md->symbol: its top and levels replace
 * the venue's previous ones (the venue lists the symbol from now on). The
 * levels are kept up to the first empty one or one out of price order.
 * Returns the instrument index, or OMS_EINVAL/OMS_EFULL. */
OMS_EXTERN int oms_sor_book_update(oms_sor_book_t *b, int vi, const oms_market_data_t *md);

typedef struct oms_sor_quote_s {
  oms_dec_t bid, bid_qty, ask, ask_qty; /* zero: that side is empty */
  int64_t ts_ns;                        /* 0: never quoted */
} oms_sor_quote_t;

/* Venue vi's quote of instrument ins. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_sor_book_quote(const oms_sor_book_t *b, int ins, int vi, oms_sor_quote_t *out);
/* Venue vi's levels of ins on side (OMS_SIDE_BUY: its bids), best first,
 * at most cap of them into out. Returns how many (0: that side is empty or
 * never quoted), or OMS_ENOTFOUND. */
OMS_EXTERN int oms_sor_book_levels(const oms_sor_book_t *b, int ins, int vi, oms_side_t side,
                                   oms_md_level_t *out, uint32_t cap);
/* Whether venue vi can be routed to now: UP, quoting ins, not stale. */
OMS_EXTERN bool oms_sor_book_usable(const oms_sor_book_t *b, int ins, int vi, int64_t now_ns);

/* The national best bid and offer across the usable venues (no fees). */
typedef struct oms_sor_nbbo_s {
  oms_dec_t bid, bid_qty, ask, ask_qty; /* sizes summed over the venues at the price */
  uint32_t usable;                      /* bit per venue */
} oms_sor_nbbo_t;
OMS_EXTERN int oms_sor_book_nbbo(const oms_sor_book_t *b, int ins, int64_t now_ns,
                                 oms_sor_nbbo_t *out);

/* What to place now. */
typedef struct oms_sor_request_s {
  oms_side_t side;
  oms_dec_t qty;      /* > 0 */
  oms_dec_t limit_px; /* 0: a market order (takes at any price, never posts) */
  oms_dec_t lot;      /* children are multiples of it; 0: any */
  uint32_t skip;      /* venues (bit per index) not to take at: they did not fill */
  uint32_t busy;      /* venues already holding an open child: none added there */
} oms_sor_request_t;

typedef struct oms_sor_child_s {
  uint8_t venue;
  bool post;          /* rests at the venue (the parent's time in force); else IOC */
  uint8_t levels;     /* IOC: how many of the venue's levels it takes */
  oms_dec_t qty;      /* a multiple of the lot */
  oms_dec_t price;    /* the child's limit: IOC, the worst level it takes */
  oms_dec_t eff_px;   /* price with the taker fee (take) or the maker fee (post) */
  oms_dec_t notional; /* sum of level price x quantity taken (no fees); post: qty x price */
} oms_sor_child_t;

typedef struct oms_sor_plan_s {
  uint32_t n;
  oms_sor_child_t child[OMS_SOR_MAX_VENUES + 1];
  oms_dec_t rest; /* neither taken nor posted */
} oms_sor_plan_t;

/* The routing decision. Returns 0 with *out (possibly no child), or
 * OMS_EINVAL (bad request, unknown instrument or policy). */
OMS_EXTERN int oms_sor_route(const oms_sor_book_t *b, int ins, oms_sor_policy_t policy,
                             const oms_sor_request_t *req, int64_t now_ns, oms_sor_plan_t *out);

/* ---- best execution ----------------------------------------------------------- */

/* What a smart-routed parent got, against the market when it arrived
 * (docs/routing.md): price improvement and effective spread as Rule 605
 * defines them, per share and in total (quantity x per share). */
typedef struct oms_sor_bestex_s {
  uint64_t parent_id;
  oms_side_t side;
  int64_t arrival_ns;
  oms_dec_t arrival_bid, arrival_ask; /* the NBBO across usable venues at acceptance */
  oms_dec_t qty, filled, avg_px, notional, fees;
  oms_dec_t improvement_px; /* buy: arrival ask - avg; sell: avg - arrival bid */
  oms_dec_t improvement;    /* improvement_px x filled */
  oms_dec_t eff_spread_px;  /* buy: 2 (avg - mid); sell: 2 (mid - avg) */
  uint32_t nvenues;
  struct {
    char venue[OMS_VENUE_MAX + 1];
    oms_dec_t qty, notional, fees;
    uint32_t children;
  } venue[OMS_SOR_MAX_VENUES];
} oms_sor_bestex_t;

/* Works out avg_px, improvement and spread from the filled, notional and
 * arrival fields. Returns 0 or an OMS_E* of the arithmetic. */
OMS_EXTERN int oms_sor_bestex_finish(oms_sor_bestex_t *bx);

/* The record as bytes ("BX", version 1), as the BestExecution event carries
 * it; and back. encode returns the length or OMS_EFULL; decode 0 or
 * OMS_ECORRUPT. */
#define OMS_SOR_BESTEX_ENC_MAX 1024
OMS_EXTERN int oms_sor_bestex_encode(const oms_sor_bestex_t *bx, uint8_t *buf, size_t cap);
OMS_EXTERN int oms_sor_bestex_decode(const uint8_t *buf, size_t len, oms_sor_bestex_t *out);

OMS_END_DECLS

#endif /* OMS_SOR_H */
