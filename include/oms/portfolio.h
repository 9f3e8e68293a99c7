/*
 * portfolio.h - positions, PnL, cash and exposure per account, updated from
 * fills and mark prices, as the pre-trade risk checks read them.
 *
 * Accounting model (margin accounts, as for futures and perpetuals):
 *   - a position is a signed net quantity per account and symbol (> 0 long,
 *     < 0 short) with an average entry price;
 *   - a fill that adds to a position moves the average entry price to the
 *     exact quantity-weighted mean (rounded half-even to 8 places); a fill
 *     that reduces it realizes (fill px - avg px) * closed qty * multiplier
 *     (sign reversed for a short) and keeps the average; a fill that goes
 *     through zero closes the old position and opens the rest at the fill
 *     price;
 *   - fees are kept apart from realized PnL and are paid out of cash;
 *   - cash changes by realized PnL minus fees (set_cash sets the balance, a
 *     deposit or withdrawal is not PnL);
 *   - unrealized PnL = (mark - avg px) * qty * multiplier; a symbol without a
 *     mark is marked at its last fill price;
 *   - equity = cash + unrealized PnL; exposure of a position = qty * mark *
 *     multiplier (gross sums the absolute values, net the signed ones); margin
 *     used = sum of |exposure| * the symbol's initial margin rate; leverage =
 *     gross exposure / equity;
 *   - daily PnL = (realized - fees + unrealized) now minus the same figure at
 *     the start of the trading day, which begins every day at day_reset_ns
 *     after UTC midnight. The day rolls lazily, at the first call for the
 *     account (fill, mark, read) at or after the boundary; a restarted
 *     portfolio gets its bases back from the engine's journal (below,
 *     "Trading days across a restart").
 *
 * Every number is an exact oms_dec_t; a result out of range is refused with
 * OMS_EOVERFLOW and nothing is changed. All memory is allocated by
 * oms_portfolio_create(); no other function allocates. Account-level figures
 * are kept up to date incrementally (a mark update touches only the positions
 * in its symbol), so every read is O(1).
 *
 * Not thread-safe: one thread (the OMS core) owns a portfolio.
 */
#ifndef OMS_PORTFOLIO_H
#define OMS_PORTFOLIO_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"

OMS_BEGIN_DECLS

typedef struct oms_portfolio_s oms_portfolio_t;

#define OMS_DAY_NS INT64_C(86400000000000)

typedef struct oms_portfolio_config_s {
  uint32_t max_accounts;  /* > 0 */
  uint32_t max_symbols;   /* > 0 */
  uint32_t max_positions; /* account+symbol pairs over all accounts; > 0 */
  int64_t day_reset_ns;   /* start of the trading day, ns after UTC midnight, [0, OMS_DAY_NS) */
} oms_portfolio_config_t;

/* What the portfolio knows about a symbol. */
typedef struct oms_pf_instrument_s {
  oms_dec_t multiplier;  /* contract multiplier, > 0 */
  oms_dec_t margin_rate; /* initial margin as a fraction of notional, >= 0 */
  oms_dec_t mark_px;     /* 0 until marked or filled */
  int64_t mark_ns;       /* time of mark_px; 0 if none */
} oms_pf_instrument_t;

/* A snapshot of one position. */
typedef struct oms_pf_position_s {
  oms_dec_t qty;            /* signed net quantity: > 0 long, < 0 short */
  oms_dec_t avg_px;         /* average entry price; 0 when flat */
  oms_dec_t realized_pnl;   /* since creation, before fees */
  oms_dec_t unrealized_pnl; /* at mark_px */
  oms_dec_t fees;           /* paid, since creation */
  oms_dec_t exposure;       /* signed qty * mark * multiplier */
  oms_dec_t margin;         /* |exposure| * margin rate */
  oms_pf_instrument_t ins;
} oms_pf_position_t;

/* A snapshot of one account. */
typedef struct oms_pf_account_s {
  oms_dec_t cash;
  oms_dec_t realized_pnl;   /* sum over positions, before fees */
  oms_dec_t unrealized_pnl; /* sum over positions */
  oms_dec_t fees;
  oms_dec_t equity; /* cash + unrealized */
  oms_dec_t margin_used;
  oms_dec_t gross_exposure;
  oms_dec_t net_exposure;
  oms_dec_t leverage;   /* gross / equity rounded half-even; 0 if equity <= 0 */
  oms_dec_t daily_pnl;  /* since day_start_ns */
  int64_t day_start_ns; /* start of the current trading day */
} oms_pf_account_t;

/* Creates a portfolio with all the memory it will ever use. Returns 0 and
 * *out, or OMS_EINVAL (bad config) / OMS_ENOMEM with *out NULL. The caller
 * owns *out and releases it with oms_portfolio_destroy(). */
OMS_EXTERN int oms_portfolio_create(const oms_portfolio_config_t *cfg, oms_portfolio_t **out);

/* Releases p; NULL is fine. */
OMS_EXTERN void oms_portfolio_destroy(oms_portfolio_t *p);

/* Registers or updates a symbol: multiplier (0 is taken as 1) and initial
 * margin rate (>= 0). Updating revalues the symbol's positions. Returns 0,
 * OMS_EINVAL (bad id or negative value), OMS_EFULL (max_symbols reached) or
 * OMS_EOVERFLOW. */
OMS_EXTERN int oms_portfolio_set_instrument(oms_portfolio_t *p, const char *symbol,
                                            oms_dec_t multiplier, oms_dec_t margin_rate);

/* Sets the mark price (> 0) of a registered symbol and revalues every
 * position in it. Returns 0, OMS_EINVAL, OMS_ENOTFOUND (symbol not
 * registered) or OMS_EOVERFLOW (nothing changed). */
OMS_EXTERN int oms_portfolio_set_mark(oms_portfolio_t *p, const char *symbol, oms_dec_t px,
                                      int64_t now_ns);

/* Sets an account's cash balance, creating the account if needed. Returns 0,
 * OMS_EINVAL or OMS_EFULL. */
OMS_EXTERN int oms_portfolio_set_cash(oms_portfolio_t *p, const char *account, oms_dec_t cash,
                                      int64_t now_ns);

/* Books a fill of qty (> 0) at px (> 0) with fee (>= 0, negative for a
 * rebate) for account in a registered symbol, creating the account and the
 * position if needed. Returns 0, OMS_EINVAL, OMS_ENOTFOUND (symbol not
 * registered), OMS_EFULL (no room for the account or position) or
 * OMS_EOVERFLOW; on failure nothing is changed. */
OMS_EXTERN int oms_portfolio_apply_fill(oms_portfolio_t *p, const char *account, const char *symbol,
                                        oms_side_t side, oms_dec_t qty, oms_dec_t px, oms_dec_t fee,
                                        int64_t now_ns);

/* Takes back a fill booked by oms_portfolio_apply_fill with the same
 * arguments (a trade bust): quantity, average price, realized PnL and fees go
 * back to what they were before it, exactly when the fill opened, added to
 * or reduced the position; a fill that flattened or flipped it is taken back
 * as an opposite fill at its price (docs/reconciliation.md). The mark does
 * not move. Returns 0, OMS_EINVAL, OMS_ENOTFOUND, OMS_EOVERFLOW. */
OMS_EXTERN int oms_portfolio_bust_fill(oms_portfolio_t *p, const char *account, const char *symbol,
                                       oms_side_t side, oms_dec_t qty, oms_dec_t px, oms_dec_t fee,
                                       int64_t now_ns);

/* Fills *out with the account's figures at now_ns (rolling the trading day
 * if due). Returns 0, or OMS_ENOTFOUND with *out zeroed. */
OMS_EXTERN int oms_portfolio_account(oms_portfolio_t *p, const char *account, int64_t now_ns,
                                     oms_pf_account_t *out);

/* Fills *out with the position of account in symbol. A symbol that is
 * registered but not held gives a flat position with its instrument data and
 * returns 0; an unknown symbol returns OMS_ENOTFOUND with *out zeroed. */
OMS_EXTERN int oms_portfolio_position(const oms_portfolio_t *p, const char *account,
                                      const char *symbol, oms_pf_position_t *out);

/* Fills *out with a registered symbol's data. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_portfolio_instrument(const oms_portfolio_t *p, const char *symbol,
                                        oms_pf_instrument_t *out);

/* ---- Walking the portfolio (operators' views) ------------------------------ */

/* Called for each position by oms_portfolio_each_position; pos is valid
 * during the call. Return 0 to go on, non-zero to stop. */
typedef int (*oms_pf_position_fn)(void *ctx, const char *account, const char *symbol,
                                  const oms_pf_position_t *pos);
/* Called for each account by oms_portfolio_each_account. */
typedef int (*oms_pf_account_fn)(void *ctx, const char *account, const oms_pf_account_t *acct);

/* Calls fn for every position ever opened (flat ones too: they carry
 * realized PnL and fees) of account, or of every account when account is
 * NULL, in the order they were opened. O(positions); for views, not for the
 * order path. Returns 0 or fn's non-zero value. */
OMS_EXTERN int oms_portfolio_each_position(const oms_portfolio_t *p, const char *account,
                                           oms_pf_position_fn fn, void *ctx);

/* Calls fn for every account in the order they were created, with its
 * figures at now_ns as oms_portfolio_account gives them (rolling its trading
 * day if due). Returns 0 or fn's non-zero value. */
OMS_EXTERN int oms_portfolio_each_account(oms_portfolio_t *p, int64_t now_ns, oms_pf_account_fn fn,
                                          void *ctx);

/* ---- The arithmetic of one position -------------------------------------- */

/* What a fill does to one position, without the portfolio around it: the
 * store keeps its positions table with this function, so the table and a
 * portfolio fed the same fills agree to the last digit. */
typedef struct oms_pf_book_s {
  oms_dec_t qty;          /* signed net quantity */
  oms_dec_t avg_px;       /* average entry price; 0 when flat */
  oms_dec_t realized_pnl; /* before fees */
  oms_dec_t fees;
} oms_pf_book_t;

/* Sets *next to *cur after a fill of qty (> 0) at px (> 0) with fee on side,
 * in a symbol of contract multiplier `multiplier` (0 is taken as 1), by the
 * accounting model at the top of this file; *realized (may be NULL) gets the
 * PnL this fill realized. Returns 0, OMS_EINVAL or OMS_EOVERFLOW (then
 * *next and *realized are untouched). next may be cur. */
OMS_EXTERN int oms_pf_book_fill(const oms_pf_book_t *cur, oms_side_t side, oms_dec_t qty,
                                oms_dec_t px, oms_dec_t fee, oms_dec_t multiplier,
                                oms_pf_book_t *next, oms_dec_t *realized);

/* Sets *prev to the book before the fill that oms_pf_book_fill booked with
 * the same arguments into *cur (a trade bust), by the inverse rules of
 * oms_portfolio_bust_fill; *realized (may be NULL) gets the PnL taken back
 * (negated). Returns 0, OMS_EINVAL or OMS_EOVERFLOW. prev may be cur. */
OMS_EXTERN int oms_pf_book_bust(const oms_pf_book_t *cur, oms_side_t side, oms_dec_t qty,
                                oms_dec_t px, oms_dec_t fee, oms_dec_t multiplier,
                                oms_pf_book_t *prev, oms_dec_t *realized);

/* Recovery from a store's positions instead of a replay of every fill
 * (oms_engine_recover). restore_position opens the position of account in
 * a registered symbol with the figures of *book (what oms_pf_book_fill made
 * of its fills), at the symbol's current mark, and moves the account as
 * those fills did: realized PnL and fees added, cash changed by realized
 * minus fees (creating the account at now_ns if needed). Call it in the
 * order the positions were opened (the order the walks below keep).
 * restore_mark marks symbol at px as its last fill did (unless a mark was
 * set with oms_portfolio_set_mark, which a fill leaves alone too) and
 * revalues its positions. With every position restored and every symbol
 * marked at its last fill, the figures equal those of a portfolio fed the
 * same fills (daily PnL: see docs/store.md). Return 0, OMS_EINVAL,
 * OMS_ENOTFOUND (symbol not registered), OMS_EEXIST (the position is already
 * open), OMS_EFULL or OMS_EOVERFLOW (nothing changed). */
OMS_EXTERN int oms_portfolio_restore_position(oms_portfolio_t *p, const char *account,
                                              const char *symbol, const oms_pf_book_t *book,
                                              int64_t now_ns);
OMS_EXTERN int oms_portfolio_restore_mark(oms_portfolio_t *p, const char *symbol, oms_dec_t px,
                                          int64_t now_ns);

/* ---- Trading days across a restart (docs/store.md, "daily PnL baseline") ----
 * An account's daily PnL is its PnL now minus its base, the PnL it had when
 * its trading day began. A restarted portfolio knows the PnL (from the
 * store's positions) but not the bases: the engine journals every
 * account's base when a day begins and puts them back with these. */

/* The start (ns since the epoch) of the trading day that now_ns is in. */
OMS_EXTERN int64_t oms_portfolio_day_start(const oms_portfolio_t *p, int64_t now_ns);

/* Called by oms_portfolio_each_day_base for each account: the start of its
 * trading day and its base. Return 0 to go on, non-zero to stop. */
typedef int (*oms_pf_day_base_fn)(void *ctx, const char *account, int64_t day_start_ns,
                                  oms_dec_t base);

/* Rolls every account to the trading day of now_ns (as a read at now_ns
 * would: an account on an earlier day takes its PnL now as the new day's
 * base), then calls fn for each, in the order they were created. O(accounts).
 * Returns 0 or fn's non-zero value. */
OMS_EXTERN int oms_portfolio_each_day_base(oms_portfolio_t *p, int64_t now_ns,
                                           oms_pf_day_base_fn fn, void *ctx);

/* Puts every account on the trading day of now_ns with base 0 (from_now
 * false: the PnL before it is the day's too, as for an account made that
 * day) or with its PnL now (from_now true: the day begins now). */
OMS_EXTERN void oms_portfolio_reset_days(oms_portfolio_t *p, int64_t now_ns, bool from_now);

/* Puts account on the trading day of now_ns with base `base`, creating the
 * account if needed. Returns 0, OMS_EINVAL or OMS_EFULL. */
OMS_EXTERN int oms_portfolio_set_day_base(oms_portfolio_t *p, const char *account, int64_t now_ns,
                                          oms_dec_t base);

/* oms_portfolio_account and oms_portfolio_position of (account, symbol) in
 * one call, for a caller that asks for the same pair again and again (the
 * pre-trade checks, per order): *hint is the caller's memory of the pair,
 * 0 at first, opaque, kept per (account, symbol) and per portfolio; with
 * it a later call skips the lookups by name. *acct and *pos are what the
 * two functions give; the result is a bit set of OMS_PF_ACCOUNT_KNOWN
 * (oms_portfolio_account would return 0) and OMS_PF_SYMBOL_KNOWN
 * (oms_portfolio_position would). */
#define OMS_PF_ACCOUNT_KNOWN 1
#define OMS_PF_SYMBOL_KNOWN 2
OMS_EXTERN int oms_portfolio_account_position(oms_portfolio_t *p, const char *account,
                                              const char *symbol, int64_t now_ns, uint64_t *hint,
                                              oms_pf_account_t *acct, oms_pf_position_t *pos);

/* oms_portfolio_instrument through a *hint of oms_portfolio_account_position
 * (the risk engine opening an order it has just checked): only the
 * symbol's half of the hint is read and written. */
OMS_EXTERN int oms_portfolio_instrument_hint(const oms_portfolio_t *p, const char *symbol,
                                             uint64_t *hint, oms_pf_instrument_t *out);

/* A counter that moves whenever anything the reads above give may have
 * changed (a fill or bust, a mark, an instrument, cash, a restore, a day
 * base, an account's trading day starting), for a reader keeping what it
 * read: equal counters, and a time before the end of the account's
 * trading day it read (day_start_ns + OMS_DAY_NS), mean the same reads
 * give the same figures. The pointer is good for the portfolio's life. */
OMS_EXTERN const uint64_t *oms_portfolio_changes(const oms_portfolio_t *p);

/* ---- The interface the risk engine reads --------------------------------- */

/* Another portfolio service can stand in for ours by filling this table.
 * Each function has the contract of the oms_portfolio_* function of the
 * same name above; ctx is the service's own handle. */
typedef struct oms_portfolio_if_s {
  void *ctx;
  int (*account)(void *ctx, const char *account, int64_t now_ns, oms_pf_account_t *out);
  int (*position)(void *ctx, const char *account, const char *symbol, oms_pf_position_t *out);
  int (*instrument)(void *ctx, const char *symbol, oms_pf_instrument_t *out);
  /* Optional (NULL: account and position are called instead). */
  int (*account_position)(void *ctx, const char *account, const char *symbol, int64_t now_ns,
                          uint64_t *hint, oms_pf_account_t *acct, oms_pf_position_t *pos);
  /* Optional (NULL: instrument is called instead). */
  int (*instrument_hint)(void *ctx, const char *symbol, uint64_t *hint, oms_pf_instrument_t *out);
  /* Optional (NULL: every read is made anew): oms_portfolio_changes. */
  const uint64_t *(*changes)(void *ctx);
} oms_portfolio_if_t;

/* The table for our own portfolio p (which must outlive its use). */
OMS_EXTERN oms_portfolio_if_t oms_portfolio_as_if(oms_portfolio_t *p);

OMS_END_DECLS

#endif /* OMS_PORTFOLIO_H */
