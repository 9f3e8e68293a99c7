/*
 * fix_md.c - FIX 4.4 market data into books: the full refresh (W) and the
 * incremental refresh (X) the FIX venue connector reads (fix_md.h).
 *
 * NOTES ON THE DESIGN
 *
 * Levels, not orders. A side is at most OMS_MD_DEPTH price levels, best
 * first, strictly in price order, each with the quantity shown there. A
 * snapshot that lists orders (equal prices) is summed into levels; an
 * incremental is read as level updates: keyed by MDEntryPositionNo(290)
 * where the entry gives it (the place, 1 = the best), by MDEntryPx(270)
 * where it does not. Books kept by MDEntryID(278) (orders) are not read.
 *
 * Depth. We subscribe to OMS_MD_DEPTH levels; a venue that sends deeper
 * ones has them dropped (`dropped`), and from then on an update of a level
 * past the ones kept is not an error but a level we chose not to hold: it
 * is skipped (the side shows fewer levels than the venue has, never wrong
 * ones).
 *
 * Trust. An incremental only means something applied to the exact book it
 * was written against. One that cannot apply (a change or delete of a level
 * the book has not, a new level out of price order, a size not above zero)
 * proves the book is not that one: the book becomes STALE, is emptied (so
 * nothing routes on it) and stays so, skipping further entries, until the
 * connector's new snapshot makes it LIVE again. A malformed incremental
 * (the group unreadable) changes nothing and makes every book it names
 * STALE: its entries cannot be trusted to be what the venue meant. Each
 * message is read twice: once to check its form, once to apply it, so a
 * malformed one never half-applies.
 */
#include "venue/fix_md.h"

#include <string.h>

#include "oms/error.h"
#include "oms/fix_tags.h"

enum { MD_BID = '0', MD_OFFER = '1', MD_TRADE = '2' };      /* MDEntryType(269) */
enum { ACT_NEW = '0', ACT_CHANGE = '1', ACT_DELETE = '2' }; /* MDUpdateAction(279) */

/* ---- a side's levels ------------------------------------------------------------------ */

/* Whether price a is better than b on side s (0 bids, 1 offers). */
static bool better(int s, oms_dec_t a, oms_dec_t b) {
  return s == 0 ? a.raw > b.raw : a.raw < b.raw;
}

/* The place of px on side s: the first level not better than it. */
static uint32_t place_of(const oms__md_book_t *b, int s, oms_dec_t px) {
  uint32_t i = 0;
  while (i < b->n[s] && better(s, b->lv[s][i].px, px)) i++;
  return i;
}

/* Puts (px, qty) at place i, the levels from i moving one down; the worst
 * falls off a full side. */
static void insert_at(oms__md_book_t *b, int s, uint32_t i, oms_dec_t px, oms_dec_t qty) {
  if (i >= OMS_MD_DEPTH) {
    b->dropped[s] = true;
    return;
  }
  uint32_t last = b->n[s];
  if (last == OMS_MD_DEPTH) {
    b->dropped[s] = true;
    last--;
  } else {
    b->n[s]++;
  }
  memmove(&b->lv[s][i + 1], &b->lv[s][i], (last - i) * sizeof(oms_md_level_t));
  b->lv[s][i] = (oms_md_level_t){px, qty};
}

static void remove_at(oms__md_book_t *b, int s, uint32_t i) {
  memmove(&b->lv[s][i], &b->lv[s][i + 1], (b->n[s] - i - 1) * sizeof(oms_md_level_t));
  b->n[s]--;
}

/* A snapshot's entry on side s: an equal price adds to its level. */
static int level_add(oms__md_book_t *b, int s, oms_dec_t px, oms_dec_t qty) {
  uint32_t i = place_of(b, s, px);
  if (i < b->n[s] && b->lv[s][i].px.raw == px.raw)
    return oms_dec_add(b->lv[s][i].qty, qty, &b->lv[s][i].qty);
  insert_at(b, s, i, px, qty);
  return 0;
}

void oms__md_book_stale(oms__md_book_t *b, const char *why) {
  b->n[0] = b->n[1] = 0;
  b->dropped[0] = b->dropped[1] = false;
  b->last_px = b->last_qty = OMS_DEC_ZERO;
  b->state = OMS__MD_STALE;
  b->why = why;
  b->touched = true;
}

void oms__md_book_get(const oms__md_book_t *b, oms_market_data_t *md) {
  md->bid = md->bid_qty = md->ask = md->ask_qty = OMS_DEC_ZERO;
  md->last_px = md->last_qty = OMS_DEC_ZERO;
  md->n_bid_depth = md->n_ask_depth = 0;
  if (b->state != OMS__MD_LIVE) return;
  md->last_px = b->last_px;
  md->last_qty = b->last_qty;
  if (b->n[0]) {
    md->bid = b->lv[0][0].px, md->bid_qty = b->lv[0][0].qty, md->n_bid_depth = b->n[0] - 1;
    memcpy(md->bid_depth, &b->lv[0][1], (b->n[0] - 1) * sizeof(oms_md_level_t));
  }
  if (b->n[1]) {
    md->ask = b->lv[1][0].px, md->ask_qty = b->lv[1][0].qty, md->n_ask_depth = b->n[1] - 1;
    memcpy(md->ask_depth, &b->lv[1][1], (b->n[1] - 1) * sizeof(oms_md_level_t));
  }
}

/* ---- the full refresh (W) ------------------------------------------------------------- */

/* One MDEntry of a snapshot: checked and added. Returns NULL or why it is
 * refused. */
static const char *full_entry(char type, bool has_px, oms_dec_t px, oms_dec_t qty,
                              oms__md_book_t *b) {
  if (type != MD_BID && type != MD_OFFER && type != MD_TRADE) return NULL; /* not ours: skipped */
  if (!has_px) return "an entry has no MDEntryPx(270)";
  if (oms_dec_is_neg(qty)) return "negative MDEntrySize(271)";
  if (type == MD_TRADE) {
    if (oms_dec_is_zero(b->last_px)) b->last_px = px, b->last_qty = qty;
    return NULL;
  }
  if (!oms_dec_is_pos(px)) return "a bid or offer MDEntryPx(270) not above zero";
  if (oms_dec_is_zero(qty)) return NULL; /* nothing displayed: no level */
  return level_add(b, type == MD_OFFER, px, qty) != 0 ? "MDEntrySize(271) sum out of range" : NULL;
}

/* The W's entries, walked field by field, each starting at its
 * MDEntryType(269), into the cleared book b. */
static int read_full(const oms_fix_msg_t *m, oms__md_book_t *b, const char **why) {
  int64_t declared = -1, seen = 0;
  if (oms_fix_msg_get_int(m, OMS_FIX_TAG_NoMDEntries, &declared) != 0 || declared < 0) {
    *why = "no readable NoMDEntries(268)";
    return OMS_EPROTO;
  }
  char type = 0;
  bool in_entry = false, has_px = false;
  oms_dec_t px = OMS_DEC_ZERO, qty = OMS_DEC_ZERO;
  *why = NULL;
  for (size_t i = 0; i <= m->nfields && *why == NULL; i++) {
    uint32_t tag = i < m->nfields ? m->fields[i].tag : OMS_FIX_TAG_MDEntryType;
    if (tag == OMS_FIX_TAG_MDEntryType) {
      /* the entry before this one is complete */
      if (in_entry) *why = full_entry(type, has_px, px, qty, b);
      if (i == m->nfields) break;
      oms_fix_str_t t = oms_fix_msg_value(m, i);
      type = t.len == 1 ? t.ptr[0] : 0;
      in_entry = true;
      has_px = false;
      px = qty = OMS_DEC_ZERO;
      seen++;
    } else if (tag == OMS_FIX_TAG_MDEntryPx || tag == OMS_FIX_TAG_MDEntrySize) {
      oms_fix_str_t t = oms_fix_msg_value(m, i);
      oms_dec_t d = OMS_DEC_ZERO;
      if (!in_entry)
        *why = "MDEntryPx(270) or MDEntrySize(271) before any MDEntryType(269)";
      else if (oms_dec_parse(t.ptr, t.len, &d) != 0)
        *why = tag == OMS_FIX_TAG_MDEntryPx ? "unreadable MDEntryPx(270)"
                                            : "unreadable MDEntrySize(271)";
      else if (tag == OMS_FIX_TAG_MDEntryPx)
        px = d, has_px = true;
      else
        qty = d;
    }
  }
  if (*why == NULL && seen != declared) *why = "NoMDEntries(268) is not the number of entries";
  return *why != NULL ? OMS_EPROTO : 0;
}

int oms__fix_md_read(const oms_fix_msg_t *m, oms_market_data_t *md, const char **why) {
  oms__md_book_t b;
  memset(&b, 0, sizeof b);
  int rc = read_full(m, &b, why);
  if (rc != 0) return rc;
  b.state = OMS__MD_LIVE;
  oms__md_book_get(&b, md);
  return 0;
}

int oms__fix_md_snapshot(oms__md_book_t *b, const oms_fix_msg_t *m, const char **why) {
  oms__md_book_t nb;
  memset(&nb, 0, sizeof nb);
  int rc = read_full(m, &nb, why);
  if (rc != 0) return rc;
  nb.state = OMS__MD_LIVE;
  nb.touched = true;
  *b = nb;
  return 0;
}

/* ---- the incremental refresh (X) ------------------------------------------------------ */

/* One entry of an X, read: fields from its MDUpdateAction(279) to the next. */
typedef struct ent_s {
  char action, type;
  oms_fix_str_t sym; /* this entry's or the one before's */
  bool has_px, has_qty;
  oms_dec_t px, qty;
  int64_t pos; /* MDEntryPositionNo(290); 0: not given */
} ent_t;

/* Reads the entry starting at field *at into e (e->sym carries over from
 * the entry before) and moves *at to the next. Returns NULL or why the
 * entry is malformed. */
static const char *next_entry(const oms_fix_msg_t *m, size_t *at, ent_t *e) {
  oms_fix_str_t t = oms_fix_msg_value(m, *at);
  e->action = t.len == 1 ? t.ptr[0] : 0;
  e->type = 0;
  e->has_px = e->has_qty = false;
  e->px = e->qty = OMS_DEC_ZERO;
  e->pos = 0;
  size_t i = *at + 1;
  for (; i < m->nfields && m->fields[i].tag != OMS_FIX_TAG_MDUpdateAction; i++) {
    uint32_t tag = m->fields[i].tag;
    t = oms_fix_msg_value(m, i);
    if (tag == OMS_FIX_TAG_MDEntryType) {
      e->type = t.len == 1 ? t.ptr[0] : '?';
    } else if (tag == OMS_FIX_TAG_Symbol) {
      e->sym = t;
    } else if (tag == OMS_FIX_TAG_MDEntryPx) {
      if (oms_dec_parse(t.ptr, t.len, &e->px) != 0) return "unreadable MDEntryPx(270)";
      e->has_px = true;
    } else if (tag == OMS_FIX_TAG_MDEntrySize) {
      if (oms_dec_parse(t.ptr, t.len, &e->qty) != 0) return "unreadable MDEntrySize(271)";
      e->has_qty = true;
    } else if (tag == OMS_FIX_TAG_MDEntryPositionNo) {
      int64_t p = 0;
      if (t.len == 0 || t.len > 9) return "unreadable MDEntryPositionNo(290)";
      for (size_t k = 0; k < t.len; k++) {
        if (t.ptr[k] < '0' || t.ptr[k] > '9') return "unreadable MDEntryPositionNo(290)";
        p = p * 10 + (t.ptr[k] - '0');
      }
      if (p < 1) return "MDEntryPositionNo(290) below 1";
      e->pos = p;
    }
  }
  *at = i;
  if (e->action != ACT_NEW && e->action != ACT_CHANGE && e->action != ACT_DELETE)
    return "MDUpdateAction(279) not 0, 1 or 2";
  if (e->type == 0) return "an entry has no MDEntryType(269)";
  if (e->sym.len == 0) return "an entry has no Symbol(55)";
  return NULL;
}

/* Whether a level the book has not is one past those it keeps. */
static bool beyond_kept(const oms__md_book_t *b, int s, uint32_t i) {
  return i >= OMS_MD_DEPTH || (i >= b->n[s] && b->dropped[s]);
}

/* A bid or offer entry on side s of the LIVE book b. Returns NULL or why
 * it cannot apply. */
static const char *apply_level(oms__md_book_t *b, int s, const ent_t *e) {
  bool by_place = e->pos > 0;
  if (!e->has_px && !(by_place && e->action == ACT_DELETE)) /* a place names its level */
    return "an entry has no MDEntryPx(270)";
  if (e->has_px && !oms_dec_is_pos(e->px)) return "a bid or offer MDEntryPx(270) not above zero";
  if (e->action != ACT_DELETE && !(e->has_qty && oms_dec_is_pos(e->qty)) &&
      !(e->action == ACT_CHANGE && e->has_qty && oms_dec_is_zero(e->qty)))
    return "a new or changed level without an MDEntrySize(271) above zero";
  bool del = e->action == ACT_DELETE || oms_dec_is_zero(e->qty); /* a change to 0: gone */
  uint32_t i;
  if (by_place) {
    i = (uint32_t)(e->pos > OMS_MD_DEPTH ? OMS_MD_DEPTH : e->pos - 1);
    if (e->action == ACT_NEW) {
      if (i >= OMS_MD_DEPTH) {
        b->dropped[s] = true; /* deeper than we keep */
        return NULL;
      }
      if (i > b->n[s])
        return beyond_kept(b, s, i) ? NULL : "MDEntryPositionNo(290) past the levels";
      if (i > 0 && !better(s, b->lv[s][i - 1].px, e->px))
        return "a new level not worse than the one above it";
      if (i < b->n[s] && !better(s, e->px, b->lv[s][i].px))
        return "a new level not better than the one at its place";
      insert_at(b, s, i, e->px, e->qty);
      return NULL;
    }
    if (i >= b->n[s]) return beyond_kept(b, s, i) ? NULL : "MDEntryPositionNo(290) past the levels";
    if (e->has_px && b->lv[s][i].px.raw != e->px.raw)
      return "MDEntryPx(270) is not the price at MDEntryPositionNo(290)";
  } else {
    i = place_of(b, s, e->px);
    bool found = i < b->n[s] && b->lv[s][i].px.raw == e->px.raw;
    if (e->action == ACT_NEW) {
      if (found) return "a new level at a price the book has";
      insert_at(b, s, i, e->px, e->qty);
      return NULL;
    }
    if (!found) {
      if (beyond_kept(b, s, i) || (i == b->n[s] && b->n[s] == OMS_MD_DEPTH)) return NULL;
      return e->action == ACT_DELETE ? "a delete of a price level the book has not"
                                     : "a change of a price level the book has not";
    }
  }
  if (del)
    remove_at(b, s, i);
  else
    b->lv[s][i].qty = e->qty;
  return NULL;
}

/* The first pass: is m an X we can read? */
static const char *check_form(const oms_fix_msg_t *m) {
  int64_t declared = -1, seen = 0;
  if (oms_fix_msg_get_int(m, OMS_FIX_TAG_NoMDEntries, &declared) != 0 || declared < 0)
    return "no readable NoMDEntries(268)";
  size_t i = 0;
  while (i < m->nfields && m->fields[i].tag != OMS_FIX_TAG_MDUpdateAction) {
    uint32_t tag = m->fields[i].tag;
    if (tag == OMS_FIX_TAG_MDEntryType || tag == OMS_FIX_TAG_MDEntryPx ||
        tag == OMS_FIX_TAG_MDEntrySize || tag == OMS_FIX_TAG_MDEntryPositionNo)
      return "an entry field before any MDUpdateAction(279)";
    i++;
  }
  ent_t e = {0};
  while (i < m->nfields) {
    const char *why = next_entry(m, &i, &e);
    if (why) return why;
    seen++;
  }
  return seen != declared ? "NoMDEntries(268) is not the number of entries" : NULL;
}

int oms__fix_md_apply(const oms_fix_msg_t *m, oms__md_find_fn find, void *ctx, const char **why) {
  *why = check_form(m);
  if (*why != NULL) {
    /* Which books it meant is unknown: every one it names. */
    for (size_t i = 0; i < m->nfields; i++) {
      if (m->fields[i].tag != OMS_FIX_TAG_Symbol) continue;
      oms__md_book_t *b = find(ctx, oms_fix_msg_value(m, i));
      if (b != NULL) oms__md_book_stale(b, *why);
    }
    return OMS_EPROTO;
  }
  size_t i = 0;
  while (i < m->nfields && m->fields[i].tag != OMS_FIX_TAG_MDUpdateAction) i++;
  ent_t e = {0};
  oms_fix_str_t last_sym = {NULL, 0};
  oms__md_book_t *b = NULL;
  while (i < m->nfields) {
    (void)next_entry(m, &i, &e); /* checked above */
    if (b == NULL || e.sym.len != last_sym.len || memcmp(e.sym.ptr, last_sym.ptr, e.sym.len) != 0)
      b = find(ctx, e.sym);
    last_sym = e.sym;
    if (b == NULL || b->state != OMS__MD_LIVE) continue; /* not ours, or waiting for a snapshot */
    const char *bad = NULL;
    if (e.type == MD_BID || e.type == MD_OFFER) {
      bad = apply_level(b, e.type == MD_OFFER, &e);
    } else if (e.type == MD_TRADE && e.action == ACT_NEW) {
      if (!e.has_px)
        bad = "an entry has no MDEntryPx(270)";
      else if (oms_dec_is_neg(e.qty))
        bad = "negative MDEntrySize(271)";
      else
        b->last_px = e.px, b->last_qty = e.qty;
    } else {
      continue; /* another entry type, or a trade changed or deleted */
    }
    if (bad != NULL)
      oms__md_book_stale(b, bad);
    else
      b->touched = true;
  }
  return 0;
}
