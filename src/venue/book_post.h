/*
 * book_post.h - the book's layout and its passive path (a limit order that
 * rests without trading), inline for the simulated venue, which posts
 * every passive order it takes: no call, no arguments marshalled. The
 * layout and its invariants are described in book.c. Private to the venue
 * code; of this, only oms__book_post_inline is a contract: it is
 * oms__book_post (book.h).
 */
#ifndef OMS_VENUE_BOOK_POST_H
#define OMS_VENUE_BOOK_POST_H

#include <stddef.h>
#include <string.h>

#include "core/ilist.h"
#include "core/u64map.h"
#include "venue/book.h"

#define NIL OMS__ILIST_NIL

/* Half a cache line, never across two (the block is 64-byte aligned and
 * the id table before the nodes a multiple of 64 bytes): the price is its
 * level's, the side a bit beside the level's index (below 2^31: the
 * capacity is). */
typedef struct node_s {
  uint64_t id;
  int64_t qty;       /* leaves */
  oms__ilink_t link; /* in its level's FIFO; link.next chains the free list */
  uint32_t tag;
  uint32_t lvs; /* its level's index | side << 31 (0 buy, 1 sell) */
} node_t;
_Static_assert(sizeof(node_t) == 32, "two nodes a cache line");

static inline uint32_t node_level(const node_t *n) { return n->lvs & 0x7fffffffu; }
static inline int node_side(const node_t *n) { return (int)(n->lvs >> 31); }

typedef struct level_s {
  int64_t px;
  int64_t total;
  oms__ilist_t fifo; /* the orders in time priority */
  uint32_t count;
  uint32_t next; /* free list */
} level_t;

/* An entry of the direct id table: see "Ids" in book.c. */
typedef struct bident_s {
  uint64_t id; /* 0: free */
  uint32_t node;
} bident_t;

/* Everything posting an order reads or writes of the book itself is in its
 * first 64 bytes (the book is 64-byte aligned). */
struct oms__book_s {
  int64_t best[2];  /* the best price of each side, while nlev[side] > 0 */
  uint64_t version; /* bumped by every change of what rests: oms__book_version */
  node_t *nodes;    /* in the one block: id table, nodes, levels, ladders */
  uint32_t nlev[2];
  uint32_t free_node, free_level;
  uint32_t capacity;
  uint32_t id_mask; /* the id table's size - 1 */
  uint32_t norders;
  uint32_t over;     /* ids in the overflow map */
  oms__u64map_t ids; /* the overflow: id -> node */
  oms__book_fill_cb cb;
  void *ctx;
};
_Static_assert(offsetof(struct oms__book_s, ids) <= 64, "posting reads one line");

/* The parts of the block at nodes. */
static inline level_t *lev_of(const oms__book_t *b) { return (level_t *)(b->nodes + b->capacity); }
static inline uint32_t *lad_of(const oms__book_t *b, int s) {
  return (uint32_t *)(lev_of(b) + b->capacity) + (size_t)s * b->capacity;
}
static inline bident_t *idt_of(const oms__book_t *b) {
  return (bident_t *)b->nodes - ((size_t)b->id_mask + 1); /* first: no multiply */
}

/* Puts id (non-zero) -> ni unless id is there; returns whether it put it.
 * Can not fail otherwise: the overflow has room for every node. */
static inline bool id_add(oms__book_t *b, uint64_t id, uint32_t ni) {
  bident_t *d = &idt_of(b)[id & b->id_mask];
  if (d->id == id) return false;
  uint64_t v;
  if (b->over > 0 && oms__u64map_get(&b->ids, id, &v)) return false;
  if (d->id == 0) {
    d->id = id;
    d->node = ni;
    return true;
  }
  if (oms__u64map_add(&b->ids, id, ni) != 1) return false;
  b->over++;
  return true;
}

static inline int sidx(oms_side_t s) { return s == OMS_SIDE_SELL; }

/* Whether price a is better than b on side s (higher bid, lower ask). */
static inline int better(int s, int64_t a, int64_t b) { return s == 0 ? a > b : a < b; }

/* Position in ladder s where a level at px is or would go (book.c). */
uint32_t oms__book_ladder_find(const oms__book_t *b, int s, int64_t px);

/* The level at px on side s, created if absent; NIL if none is free. lv
 * is lev_of(b), which the caller has (its stores to the ladder could be
 * the capacity's, so it would be read and computed again). */
static inline uint32_t level_get(oms__book_t *b, level_t *lv, int s, int64_t px) {
  uint32_t n = b->nlev[s];
  uint32_t *lad = (uint32_t *)(lv + b->capacity) + (size_t)s * b->capacity; /* lad_of */
  /* Fast paths: at or beyond the best, known without reading a level. */
  if (n > 0 && b->best[s] == px) return lad[n - 1];
  uint32_t pos = (n == 0 || better(s, px, b->best[s])) ? n : oms__book_ladder_find(b, s, px);
  if (pos < n && lv[lad[pos]].px == px) return lad[pos];
  uint32_t li = b->free_level;
  if (li == NIL) return NIL;
  level_t *l = &lv[li];
  b->free_level = l->next;
  l->px = px;
  l->total = 0;
  oms__ilist_init(&l->fifo);
  l->count = 0;
  /* A new best level (the usual place) moves nothing: no call. */
  if (pos < n)
    memmove(lad + pos + 1, lad + pos, (size_t)(n - pos) * sizeof(uint32_t));
  else
    b->best[s] = px;
  lad[pos] = li;
  b->nlev[s] = n + 1;
  return li;
}

/* A level's FIFO of nodes (core/ilist.h). */
static inline void fifo_append(oms__book_t *b, level_t *l, uint32_t ni) {
  oms__ilist_push_back(&l->fifo, b->nodes, sizeof(node_t), offsetof(node_t, link), ni);
}

/* Whether a taker on side s with limit px (market: any) can trade at lpx. */
static inline int crosses(int s, int market, int64_t px, int64_t lpx) {
  if (market) return 1;
  return s == 0 ? lpx <= px : lpx >= px;
}

/* Rests leaves of in on side s in the free node, whose index the id hash
 * already has. Can not fail: levels never outnumber orders and a node is
 * free. Inline: every resting order comes through here. */
static inline void book_rest(oms__book_t *b, uint64_t id, uint32_t tag, int s, int64_t px,
                             int64_t leaves) {
  level_t *lv = lev_of(b);
  uint32_t li = level_get(b, lv, s, px);
  uint32_t ni = b->free_node;
  node_t *n = &b->nodes[ni];
  b->free_node = n->link.next;
  level_t *l = &lv[li];
  n->id = id;
  n->qty = leaves;
  n->tag = tag;
  n->lvs = li | (uint32_t)s << 31;
  fifo_append(b, l, ni);
  l->total += leaves;
  l->count++;
  b->norders++;
  b->version++;
}

/* The passive path: a limit order that can not trade on arrival rests at
 * once. Checked for a duplicate and put in the id hash in one probe. */
static inline bool book_post(oms__book_t *b, uint64_t id, uint32_t tag, int s, int64_t px,
                             int64_t qty) {
  int o = !s;
  if (b->free_node == NIL || (b->nlev[o] > 0 && crosses(s, 0, px, b->best[o]))) return false;
  if (!id_add(b, id, b->free_node)) return false;
  book_rest(b, id, tag, s, px, qty);
  return true;
}

/* oms__book_post (book.h), inline. */
static inline bool oms__book_post_inline(oms__book_t *b, uint64_t id, uint32_t tag, oms_side_t side,
                                         oms_dec_t price, oms_dec_t qty) {
  return book_post(b, id, tag, sidx(side), price.raw, qty.raw);
}

#endif /* OMS_VENUE_BOOK_POST_H */
