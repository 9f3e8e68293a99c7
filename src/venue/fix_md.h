/*
 * fix_md.h - internal: a FIX 4.4 MarketDataSnapshotFullRefresh (W) read
 * into levels, apart from the connector so a fuzz target reaches it without
 * a session (fuzz/fuzz_fix_md.c).
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

#endif /* OMS_VENUE_FIX_MD_H */
