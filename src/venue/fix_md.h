/*
 * fix_md.h - internal: FIX 4.4 market data read into books, apart from the
 * connector (src/venue/fix_venue.c) so that unit tests and a fuzz target
 * (fuzz/fuzz_fix_md.c) reach it without a session.
 *
 * Two messages: a MarketDataSnapshotFullRefresh (W) is one symbol's whole
 * book; a MarketDataIncrementalRefresh (X) changes the books of the symbols
 * its entries name. fix_md.c says how the levels are kept and why an
 * incremental that cannot apply makes its book untrusted.
 */
#ifndef OMS_VENUE_FIX_MD_H
#define OMS_VENUE_FIX_MD_H

#include "oms/fix.h"
#include "oms/venue.h"

/* Reads the NoMDEntries(268) group of m into md's top of book, depth and
 * last trade (other fields untouched): bids (269=0) and offers (269=1)
 * become levels sorted by price, equal prices summed, the best OMS_MD_DEPTH
 * a side kept; an entry of size 0 shows nothing; the first trade (269=2) is
 * the last trade; other entry types are skipped. Returns 0, or OMS_EPROTO
 * with *why (a static string naming the tag) when the group is malformed or
 * is no book: NoMDEntries missing or not the number of entries, a price or
 * size unreadable, a bid, offer or trade without a price, a bid or offer
 * price not above zero, a negative size. */
int oms__fix_md_read(const oms_fix_msg_t *m, oms_market_data_t *md, const char **why);

/* Where a book stands: WAIT until its first snapshot (after every Logon),
 * LIVE while incrementals apply, STALE once one could not (until the
 * snapshot asked for again arrives). Only a LIVE book is delivered as it
 * is; X entries for a book that is not LIVE are skipped. */
enum { OMS__MD_WAIT, OMS__MD_LIVE, OMS__MD_STALE };

/* One followed symbol's book as the connector keeps it between messages. */
typedef struct oms__md_book_s {
  oms_md_level_t lv[2][OMS_MD_DEPTH]; /* [0] bids best first, [1] offers */
  uint32_t n[2];
  bool dropped[2]; /* a level past OMS_MD_DEPTH was dropped since the snapshot */
  oms_dec_t last_px, last_qty;
  uint8_t state;   /* OMS__MD_* */
  bool touched;    /* changed by the message just read (the reader sets it) */
  const char *why; /* STALE: why (a static string) */
} oms__md_book_t;

/* The snapshot m (a W) as b's whole book: LIVE, or with OMS_EPROTO and *why
 * b untouched (the caller decides what a refused snapshot means). */
int oms__fix_md_snapshot(oms__md_book_t *b, const oms_fix_msg_t *m, const char **why);

/* The book of the venue's symbol sym, or NULL for one not followed. */
typedef oms__md_book_t *(*oms__md_find_fn)(void *ctx, oms_fix_str_t sym);

/* Applies the incremental m (an X) to the books find() gives for its
 * entries' symbols, in order. Each entry of NoMDEntries(268) starts at
 * MDUpdateAction(279) (0 new, 1 change, 2 delete) and names MDEntryType(269)
 * and, in its first entry at least, Symbol(55) (an entry without one is of
 * the symbol before); a bid or offer has MDEntryPx(270) and, but for a
 * delete, MDEntrySize(271); MDEntryPositionNo(290) keys the level by its
 * place (1 = the best) where given, by its price where not. A trade (269=2,
 * new) is the last trade; other entry types and actions on trades are
 * skipped. Every book changed gets `touched`; one whose entry cannot apply
 * (a change or delete of a level it has not, a new level out of price
 * order...) becomes STALE with its `why` (touched too), and its later
 * entries are skipped. Returns 0, or OMS_EPROTO with *why when m is
 * malformed (NoMDEntries not the number of entries, an entry with no
 * action or type or symbol, an unreadable number): then no book changed
 * but every followed book m names became STALE (none named: the caller
 * cannot tell which, all of them should). */
int oms__fix_md_apply(const oms_fix_msg_t *m, oms__md_find_fn find, void *ctx, const char **why);

/* Makes b STALE for why: no levels, no trade, touched. */
void oms__md_book_stale(oms__md_book_t *b, const char *why);

/* b's levels and last trade as market data (symbol and time left to the
 * caller); a book that is not LIVE is empty. */
void oms__md_book_get(const oms__md_book_t *b, oms_market_data_t *md);

#endif /* OMS_VENUE_FIX_MD_H */
