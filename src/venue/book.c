/*
 * book.c - the price-time priority limit order book (see book.h).
 *
 * NOTES ON THE DESIGN
 *
 * Storage. Three pools are allocated at creation and never grow: `nodes`
 * (one per resting order), `levels` (one per non-empty price level; there are
 * never more levels than orders, so the pool has the same size) and, per side,
 * `ladder[side]`, an array of level indices sorted so that the best price is
 * the LAST element: bids ascending, asks descending. A level's orders are an
 * intrusive FIFO of node indices (core/ilist.h). Free nodes and levels are
 * singly linked through their `next` field. Prices and quantities are the raw
 * int64 of oms_dec_t, so matching is integer compares and subtractions only.
 * The id table and the pools are one block (in that order), found from
 * `nodes`, the capacity and the table's size, so that the book's own fields
 * that posting an order touches fit one cache line.
 *
 * Ids. A resting order is found by its id without a hash when it can be: the
 * simulated venue's ids are handed out one after the other, so the orders
 * resting at once mostly hold distinct low bits, and entry `id & id_mask` of
 * a direct table (a power of two, at least the capacity; free while its id
 * is 0) is the order's. An id whose entry is held goes to the overflow map
 * (core/u64map.h, room for every node), which lookups consult only while it
 * holds anything (`over`).
 *
 * Why a sorted array and not a tree: activity concentrates at the top of the
 * book, which is the end of the array, so inserting or removing a level near
 * the top moves a handful of 4-byte entries, and the best level is a plain
 * index. Deep inserts cost a memmove of the levels above them, which stays
 * cheap for the few thousand levels a real book has.
 *
 * Invariants (oms__book_check): each ladder is strictly sorted best-last; each
 * level is non-empty, its `total` is the sum of its orders' qty and its
 * `count` their number; every resting order is in the id table or the
 * overflow and in exactly one level's FIFO; a bid ladder's best is below the
 * ask ladder's best (the book is never crossed after a submit); `best[s]` is
 * the price of ladder s's last level (kept beside the ladders, so that
 * whether an order crosses, or joins or beats the best level, is known
 * without reading a level).
 */
#include "venue/book.h"
#include "venue/book_post.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/ilist.h"
#include "core/u64map.h"
#include "oms/error.h"

/* The node of id, or NIL. */
static inline uint32_t id_get(const oms__book_t *b, uint64_t id) {
  const bident_t *d = &idt_of(b)[id & b->id_mask];
  if (d->id == id && id != 0) return d->node;
  uint64_t v;
  return b->over > 0 && oms__u64map_get(&b->ids, id, &v) ? (uint32_t)v : NIL;
}

/* Removes id (there). */
static inline void id_del(oms__book_t *b, uint64_t id) {
  bident_t *d = &idt_of(b)[id & b->id_mask];
  if (d->id == id) {
    d->id = 0;
  } else if (oms__u64map_del(&b->ids, id)) {
    b->over--;
  }
}

int oms__book_create(uint32_t capacity, oms__book_fill_cb cb, void *ctx, oms__book_t **out) {
  if (out == NULL) return OMS_EINVAL;
  *out = NULL;
  if (capacity == 0 || capacity >= NIL / 2) return OMS_EINVAL;
  oms__book_t *b = (oms__book_t *)oms__aligned_alloc(64, sizeof(*b));
  if (b == NULL) goto fail;
  memset(b, 0, sizeof(*b));
  uint64_t ids = 16;
  while (ids < capacity) ids <<= 1;
  size_t size = (size_t)capacity * (sizeof(node_t) + sizeof(level_t) + 2 * sizeof(uint32_t)) +
                (size_t)ids * sizeof(bident_t);
  bident_t *block = (bident_t *)oms__aligned_alloc(64, size);
  if (block == NULL) goto fail_book;
  /* Touch every page now so that steady-state matching never faults. */
  memset(block, 0, size);
  b->nodes = (node_t *)(block + ids);
  b->capacity = capacity;
  b->id_mask = (uint32_t)(ids - 1);
  if (oms__u64map_init(&b->ids, capacity) != 0) goto fail_block;
  level_t *levels = lev_of(b);
  for (uint32_t i = 0; i < capacity; i++) {
    b->nodes[i].link.next = i + 1 < capacity ? i + 1 : NIL;
    levels[i].next = i + 1 < capacity ? i + 1 : NIL;
  }
  b->free_node = 0;
  b->free_level = 0;
  b->cb = cb;
  b->ctx = ctx;
  *out = b;
  return 0;

fail_block:
  oms__aligned_free(block);
fail_book:
  oms__aligned_free(b);
fail:
  return OMS_ENOMEM;
}

void oms__book_destroy(oms__book_t *b) {
  if (b == NULL) return;
  oms__u64map_close(&b->ids);
  oms__aligned_free(idt_of(b));
  oms__aligned_free(b);
}

/* Position in ladder s (sorted worst-first) where a level at px is or would
 * go: the number of levels whose price is strictly worse than px. */
uint32_t oms__book_ladder_find(const oms__book_t *b, int s, int64_t px) {
  const uint32_t *lad = lad_of(b, s);
  uint32_t lo = 0, hi = b->nlev[s];
  /* Binary search down to a short run, then a linear scan of it. */
  while (hi > lo && hi - lo > 8) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (better(s, px, lev_of(b)[lad[mid]].px)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  while (lo < hi && better(s, px, lev_of(b)[lad[lo]].px)) lo++;
  return lo;
}

/* Removes the (empty) level li from side s. */
static void level_drop(oms__book_t *b, int s, uint32_t li) {
  uint32_t n = b->nlev[s];
  uint32_t *lad = lad_of(b, s);
  uint32_t pos;
  if (lad[n - 1] == li) {
    pos = n - 1;
    if (pos > 0) b->best[s] = lev_of(b)[lad[pos - 1]].px;
  } else {
    pos = oms__book_ladder_find(b, s, lev_of(b)[li].px);
    memmove(lad + pos, lad + pos + 1, (size_t)(n - pos - 1) * sizeof(uint32_t));
  }
  b->nlev[s] = n - 1;
  lev_of(b)[li].next = b->free_level;
  b->free_level = li;
}

/* The FIFO's unlink (its append is in book_post.h). */
static inline void fifo_unlink(oms__book_t *b, level_t *l, uint32_t ni) {
  oms__ilist_unlink(&l->fifo, b->nodes, sizeof(node_t), offsetof(node_t, link), ni);
}

/* Unlinks node ni from its level, the hash and the book; frees it. */
static void node_remove(oms__book_t *b, uint32_t ni) {
  node_t *o = &b->nodes[ni];
  level_t *l = &lev_of(b)[node_level(o)];
  fifo_unlink(b, l, ni);
  l->total -= o->qty;
  l->count--;
  if (l->count == 0) level_drop(b, node_side(o), node_level(o));
  id_del(b, o->id);
  o->link.next = b->free_node;
  b->free_node = ni;
  b->norders--;
  b->version++;
}

static int64_t available(const oms__book_t *b, int s, int64_t px, int market, int64_t enough) {
  int o = !s;
  int64_t sum = 0;
  for (uint32_t k = b->nlev[o]; k > 0; k--) {
    const level_t *l = &lev_of(b)[lad_of(b, o)[k - 1]];
    if (!crosses(s, market, px, l->px)) break;
    sum += l->total;
    if (enough > 0 && sum >= enough) break;
  }
  return sum;
}

bool oms__book_post(oms__book_t *b, uint64_t id, uint32_t tag, oms_side_t side, oms_dec_t price,
                    oms_dec_t qty) {
  return book_post(b, id, tag, sidx(side), price.raw, qty.raw);
}

int oms__book_submit(oms__book_t *b, const oms__book_order_t *in, oms__book_result_t *res) {
  if (b == NULL || in == NULL || res == NULL) return OMS_EINVAL;
  if (in->id == 0 || in->qty.raw <= 0) return OMS_EINVAL;
  if (in->side != OMS_SIDE_BUY && in->side != OMS_SIDE_SELL) return OMS_EINVAL;
  int market = (in->flags & OMS_BOOK_MARKET) != 0;
  if (!market && in->price.raw <= 0) return OMS_EINVAL;
  int may_rest = !market && (in->flags & (OMS_BOOK_IOC | OMS_BOOK_FOK)) == 0;
  int s = sidx(in->side), o = !s;
  int64_t px = in->price.raw, leaves = in->qty.raw;
  /* An order that rests without trading (a passive limit, the most common)
   * takes the passive path; one that would, a duplicate or a full pool are
   * told apart below. */
  if (may_rest && book_post(b, in->id, in->tag, s, px, leaves)) {
    res->filled_qty = OMS_DEC_ZERO;
    res->leaves_qty = in->qty;
    res->outcome = OMS_BOOK_RESTED;
    return 0;
  }
  if (id_get(b, in->id) != NIL) return OMS_EEXIST;
  if (may_rest && b->free_node == NIL) return OMS_EFULL;

  res->filled_qty = OMS_DEC_ZERO;
  res->leaves_qty = in->qty;
  if ((in->flags & OMS_BOOK_POST_ONLY) && b->nlev[o] > 0 && crosses(s, market, px, b->best[o])) {
    res->outcome = OMS_BOOK_POST_ONLY_REFUSED;
    return 0;
  }
  if ((in->flags & OMS_BOOK_FOK) && available(b, s, px, market, leaves) < leaves) {
    res->outcome = OMS_BOOK_FOK_REFUSED;
    return 0;
  }

  oms__book_fill_t f;
  f.taker_id = in->id;
  f.taker_tag = in->tag;
  f.taker_side = in->side;
  while (leaves > 0 && b->nlev[o] > 0) {
    uint32_t li = lad_of(b, o)[b->nlev[o] - 1];
    level_t *l = &lev_of(b)[li];
    if (!crosses(s, market, px, l->px)) break;
    uint32_t ni = l->fifo.head;
    node_t *m = &b->nodes[ni];
    int64_t q = m->qty < leaves ? m->qty : leaves;
    m->qty -= q;
    l->total -= q;
    leaves -= q;
    f.maker_id = m->id;
    f.maker_tag = m->tag;
    f.px.raw = l->px;
    f.qty.raw = q;
    f.maker_leaves.raw = m->qty;
    if (m->qty == 0) node_remove(b, ni); /* l and m are dead after this */
    if (b->cb != NULL) b->cb(b->ctx, &f);
  }
  if (leaves != in->qty.raw) b->version++; /* a maker only partly taken stays, smaller */
  res->filled_qty.raw = in->qty.raw - leaves;
  res->leaves_qty.raw = leaves;
  if (leaves == 0) {
    res->outcome = OMS_BOOK_FILLED;
    return 0;
  }
  if (!may_rest) {
    res->outcome = OMS_BOOK_NOT_RESTED;
    return 0;
  }
  (void)id_add(b, in->id, b->free_node); /* not there: checked above */
  book_rest(b, in->id, in->tag, s, px, leaves);
  res->outcome = OMS_BOOK_RESTED;
  return 0;
}

int oms__book_cancel(oms__book_t *b, uint64_t id, oms_dec_t *leaves) {
  if (b == NULL || id == 0) return OMS_ENOTFOUND;
  uint32_t ni = id_get(b, id);
  if (ni == NIL) return OMS_ENOTFOUND;
  if (leaves != NULL) leaves->raw = b->nodes[ni].qty;
  node_remove(b, ni);
  return 0;
}

int oms__book_reduce(oms__book_t *b, uint64_t id, oms_dec_t new_leaves) {
  if (b == NULL || id == 0) return OMS_ENOTFOUND;
  uint32_t ni = id_get(b, id);
  if (ni == NIL) return OMS_ENOTFOUND;
  node_t *n = &b->nodes[ni];
  if (new_leaves.raw <= 0 || new_leaves.raw > n->qty) return OMS_EINVAL;
  lev_of(b)[node_level(n)].total -= n->qty - new_leaves.raw;
  n->qty = new_leaves.raw;
  b->version++;
  return 0;
}

int oms__book_get(const oms__book_t *b, uint64_t id, oms__book_entry_t *out) {
  if (b == NULL || id == 0) return OMS_ENOTFOUND;
  uint32_t ni = id_get(b, id);
  if (ni == NIL) return OMS_ENOTFOUND;
  const node_t *n = &b->nodes[ni];
  out->tag = n->tag;
  out->side = node_side(n) ? OMS_SIDE_SELL : OMS_SIDE_BUY;
  out->price.raw = lev_of(b)[node_level(n)].px;
  out->leaves_qty.raw = n->qty;
  return 0;
}

bool oms__book_best(const oms__book_t *b, oms_side_t side, oms_dec_t *px, oms_dec_t *qty) {
  int s = sidx(side);
  if (b->nlev[s] == 0) {
    if (px != NULL) *px = OMS_DEC_ZERO;
    if (qty != NULL) *qty = OMS_DEC_ZERO;
    return false;
  }
  const level_t *l = &lev_of(b)[lad_of(b, s)[b->nlev[s] - 1]];
  if (px != NULL) px->raw = l->px;
  if (qty != NULL) qty->raw = l->total;
  return true;
}

bool oms__book_would_cross(const oms__book_t *b, oms_side_t side, oms_dec_t px) {
  int s = sidx(side), o = !s;
  if (b->nlev[o] == 0) return false;
  return crosses(s, 0, px.raw, b->best[o]);
}

oms_dec_t oms__book_available(const oms__book_t *b, oms_side_t side, oms_dec_t px, bool market,
                              oms_dec_t enough) {
  return oms_dec_from_raw(available(b, sidx(side), px.raw, market, enough.raw));
}

size_t oms__book_depth(const oms__book_t *b, oms_side_t side, oms__book_level_t *out, size_t max) {
  int s = sidx(side);
  size_t k = 0;
  for (uint32_t i = b->nlev[s]; i > 0 && k < max; i--, k++) {
    const level_t *l = &lev_of(b)[lad_of(b, s)[i - 1]];
    out[k].px.raw = l->px;
    out[k].qty.raw = l->total;
    out[k].orders = l->count;
  }
  return k;
}

size_t oms__book_order_count(const oms__book_t *b) { return b->norders; }

uint64_t oms__book_version(const oms__book_t *b) { return b->version; }

int oms__book_check(const oms__book_t *b) {
  uint32_t seen = 0;
  for (int s = 0; s < 2; s++) {
    for (uint32_t k = 0; k < b->nlev[s]; k++) {
      const level_t *l = &lev_of(b)[lad_of(b, s)[k]];
      if (k > 0 && !better(s, l->px, lev_of(b)[lad_of(b, s)[k - 1]].px)) return 0;
      if (l->count == 0 || l->fifo.head == NIL) return 0;
      int64_t sum = 0;
      uint32_t cnt = 0, prev = NIL;
      for (uint32_t ni = l->fifo.head; ni != NIL; ni = b->nodes[ni].link.next) {
        const node_t *n = &b->nodes[ni];
        if (n->link.prev != prev || node_side(n) != s || n->qty <= 0) return 0;
        if (lev_of(b) + node_level(n) != l) return 0;
        if (id_get(b, n->id) != ni) return 0;
        sum += n->qty;
        cnt++;
        prev = ni;
      }
      if (l->fifo.tail != prev || sum != l->total || cnt != l->count) return 0;
      seen += cnt;
    }
    if (b->nlev[s] > 0 && b->best[s] != lev_of(b)[lad_of(b, s)[b->nlev[s] - 1]].px) return 0;
  }
  uint32_t ids = b->over;
  for (uint32_t i = 0; i <= b->id_mask; i++) ids += idt_of(b)[i].id != 0;
  if (seen != b->norders || ids != b->norders || b->ids.count != b->over) return 0;
  if (b->nlev[0] > 0 && b->nlev[1] > 0 &&
      lev_of(b)[lad_of(b, 0)[b->nlev[0] - 1]].px >= lev_of(b)[lad_of(b, 1)[b->nlev[1] - 1]].px)
    return 0;
  return 1;
}
