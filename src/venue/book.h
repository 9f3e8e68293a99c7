/*
 * book.h - a price-time priority limit order book for one instrument: the
 * matching engine under the simulated venue (oms/sim_venue.h). Private to
 * liboms: the tests and benchmarks drive it directly, embedders reach it only
 * through the simulated venue, so none of it is exported.
 *
 * Orders rest at their limit price; an incoming order trades against the best
 * opposite price first and, within a price, against the oldest resting order
 * first. Every trade is at the resting (maker) order's price. Prices and
 * quantities are exact oms_dec_t values; the book does not check tick or lot
 * (the venue does) and lets any two orders trade, whoever owns them.
 *
 * The book allocates only in oms__book_create: resting orders come from a
 * preallocated pool of `capacity` nodes, price levels from a pool of the same
 * size, and ids are found through an open-addressing hash. Each side keeps its
 * levels in an array sorted so that the best price is last: the best level is
 * O(1), a new level is a binary search plus a short move near the top of the
 * book, and an emptied best level is dropped in O(1). Within a level, orders
 * form an intrusive FIFO list, so a cancel is O(1) after the hash lookup.
 *
 * Not thread-safe: one book is driven by one thread.
 */
#ifndef OMS_VENUE_BOOK_H
#define OMS_VENUE_BOOK_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/venue.h"

OMS_BEGIN_DECLS

typedef struct oms__book_s oms__book_t;

/* One trade, as the book reports it to its fill callback. */
typedef struct oms__book_fill_s {
  uint64_t maker_id, taker_id; /* the resting order, the incoming order */
  uint32_t maker_tag, taker_tag;
  oms_side_t taker_side;
  oms_dec_t px;           /* the maker's price */
  oms_dec_t qty;          /* > 0 */
  oms_dec_t maker_leaves; /* what rests of the maker after this trade; 0: gone */
} oms__book_fill_t;

/* Called for every trade, in order, from inside oms__book_submit. It must not
 * call back into the same book. */
typedef void (*oms__book_fill_cb)(void *ctx, const oms__book_fill_t *f);

/* Flags of an incoming order. */
#define OMS_BOOK_MARKET 0x1u    /* no limit price: trades at any price, never rests */
#define OMS_BOOK_IOC 0x2u       /* trade what can trade now, never rest */
#define OMS_BOOK_FOK 0x4u       /* all or nothing, now; never rests */
#define OMS_BOOK_POST_ONLY 0x8u /* refused if it would trade on arrival */

typedef struct oms__book_order_s {
  uint64_t id;  /* non-zero, unique among the resting orders */
  uint32_t tag; /* the caller's, echoed in fills */
  oms_side_t side;
  oms_dec_t price; /* limit price (> 0) unless OMS_BOOK_MARKET */
  oms_dec_t qty;   /* > 0 */
  uint32_t flags;  /* OMS_BOOK_* */
} oms__book_order_t;

typedef enum oms__book_outcome_e {
  OMS_BOOK_RESTED = 1,        /* some or all of it rests in the book */
  OMS_BOOK_FILLED,            /* traded in full */
  OMS_BOOK_NOT_RESTED,        /* IOC/market: leaves_qty did not trade and is gone */
  OMS_BOOK_POST_ONLY_REFUSED, /* post-only that would trade: nothing done */
  OMS_BOOK_FOK_REFUSED        /* FOK that can not fill in full: nothing done */
} oms__book_outcome_t;

typedef struct oms__book_result_s {
  oms__book_outcome_t outcome;
  oms_dec_t filled_qty; /* traded by this submit */
  oms_dec_t leaves_qty; /* resting (RESTED) or dropped (NOT_RESTED) */
} oms__book_result_t;

/* One price level, for depth snapshots. */
typedef struct oms__book_level_s {
  oms_dec_t px, qty;
  uint32_t orders;
} oms__book_level_t;

/* A resting order, for lookups. */
typedef struct oms__book_entry_s {
  uint32_t tag;
  oms_side_t side;
  oms_dec_t price, leaves_qty;
} oms__book_entry_t;

/* Creates an empty book for up to capacity (> 0) resting orders; fills go to
 * cb(ctx, ...) (cb may be NULL). On success *out owns the book (free it with
 * oms__book_destroy); on failure *out is NULL and the return is OMS_EINVAL or
 * OMS_ENOMEM. */
int oms__book_create(uint32_t capacity, oms__book_fill_cb cb, void *ctx, oms__book_t **out);

/* Frees the book and every order in it. Accepts NULL. */
void oms__book_destroy(oms__book_t *b);

/* Matches o against the book and rests what is left if o may rest. Returns 0
 * with *res set (post-only and FOK refusals are outcomes, not errors), or,
 * with nothing done: OMS_EINVAL (id 0, qty <= 0, bad side, price <= 0 on a
 * limit order), OMS_EEXIST (id already resting), OMS_EFULL (o could rest and
 * the pool has no free node). */
int oms__book_submit(oms__book_t *b, const oms__book_order_t *o, oms__book_result_t *res);

/* The passive path of oms__book_submit, without its argument checks and
 * result: rests a limit order of side at price for qty that can not trade on
 * arrival, and returns true. Returns false with nothing done when it would
 * trade, when no node is free or when id already rests (oms__book_submit
 * then does the rest). The caller has checked what oms__book_submit checks:
 * id non-zero, side BUY or SELL, price and qty positive. */
bool oms__book_post(oms__book_t *b, uint64_t id, uint32_t tag, oms_side_t side, oms_dec_t price,
                    oms_dec_t qty);

/* Removes a resting order. Returns 0 with *leaves (if not NULL) set to what
 * rested, or OMS_ENOTFOUND. */
int oms__book_cancel(oms__book_t *b, uint64_t id, oms_dec_t *leaves);

/* Lowers a resting order's quantity to new_leaves (0 < new_leaves <= its
 * current leaves), keeping its place in the queue. Returns 0, OMS_ENOTFOUND,
 * or OMS_EINVAL (a quantity that is not a decrease). */
int oms__book_reduce(oms__book_t *b, uint64_t id, oms_dec_t new_leaves);

/* Looks up a resting order. Returns 0 with *out set, or OMS_ENOTFOUND. */
int oms__book_get(const oms__book_t *b, uint64_t id, oms__book_entry_t *out);

/* The best price of a side and the quantity resting there. Returns false
 * (and zeros) when the side is empty. */
bool oms__book_best(const oms__book_t *b, oms_side_t side, oms_dec_t *px, oms_dec_t *qty);

/* Whether a limit order of side at px would trade on arrival. */
bool oms__book_would_cross(const oms__book_t *b, oms_side_t side, oms_dec_t px);

/* The quantity an order of side could trade now up to limit px (any price if
 * market is true), counting at most up to `enough` (0: no cap). */
oms_dec_t oms__book_available(const oms__book_t *b, oms_side_t side, oms_dec_t px, bool market,
                              oms_dec_t enough);

/* Copies up to max levels of side, best first, into out. Returns the number
 * copied. */
size_t oms__book_depth(const oms__book_t *b, oms_side_t side, oms__book_level_t *out, size_t max);

/* The number of resting orders. */
size_t oms__book_order_count(const oms__book_t *b);

/* A number that changes whenever what rests changes (an order rested,
 * traded, reduced or removed) and only then: equal numbers, the same
 * book. For a reader that looks often and rebuilds only on a change. */
uint64_t oms__book_version(const oms__book_t *b);

/* Checks the book's internal invariants (sorted levels, level totals equal
 * the sum of their orders, hash and lists agree). Returns 1 if they hold.
 * O(n): for tests and debug builds. */
int oms__book_check(const oms__book_t *b);

/* The book of a simulated venue's symbol, for inspection (read-only), or
 * NULL if unknown (defined in sim_venue.c). */
const oms__book_t *oms__sim_venue_book(const oms_venue_t *v, const char *symbol);

OMS_END_DECLS

#endif /* OMS_VENUE_BOOK_H */
