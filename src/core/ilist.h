/*
 * ilist.h - an intrusive doubly linked list over a preallocated pool.
 *
 * The elements live in one array (a pool allocated once) and are named by
 * their uint32_t index in it, so a link is 8 bytes and survives nothing but
 * the pool itself. Each element embeds an oms__ilink_t; the list functions
 * find the link of element i from the pool's base, the element size and the
 * link's offset, which the caller passes as constants so that, inlined, the
 * address is the same arithmetic as pool[i].link. OMS__ILIST_NIL ends a list.
 *
 * Used for the order FIFO of a book's price level, the stop orders of a
 * simulated symbol and the simulator's done records (src/venue). An element
 * is in at most one list through a given link; nothing here allocates.
 */
#ifndef OMS_CORE_ILIST_H
#define OMS_CORE_ILIST_H

#include <stddef.h>
#include <stdint.h>

#define OMS__ILIST_NIL UINT32_MAX

typedef struct oms__ilink_s {
  uint32_t prev, next;
} oms__ilink_t;

typedef struct oms__ilist_s {
  uint32_t head, tail; /* OMS__ILIST_NIL when empty */
} oms__ilist_t;

static inline void oms__ilist_init(oms__ilist_t *l) { l->head = l->tail = OMS__ILIST_NIL; }

/* The link of element i of the pool at base (elements of size bytes, the
 * link off bytes into each). */
static inline oms__ilink_t *oms__ilink(void *base, size_t size, size_t off, uint32_t i) {
  return (oms__ilink_t *)((char *)base + (size_t)i * size + off);
}

/* Appends element i, which must not be in l. */
static inline void oms__ilist_push_back(oms__ilist_t *l, void *base, size_t size, size_t off,
                                        uint32_t i) {
  oms__ilink_t *n = oms__ilink(base, size, off, i);
  n->next = OMS__ILIST_NIL;
  n->prev = l->tail;
  if (l->tail != OMS__ILIST_NIL) {
    oms__ilink(base, size, off, l->tail)->next = i;
  } else {
    l->head = i;
  }
  l->tail = i;
}

/* Removes element i, which must be in l. Its own link is left as it was, so
 * a caller walking the list can still read the next index. */
static inline void oms__ilist_unlink(oms__ilist_t *l, void *base, size_t size, size_t off,
                                     uint32_t i) {
  oms__ilink_t *n = oms__ilink(base, size, off, i);
  if (n->prev != OMS__ILIST_NIL) {
    oms__ilink(base, size, off, n->prev)->next = n->next;
  } else {
    l->head = n->next;
  }
  if (n->next != OMS__ILIST_NIL) {
    oms__ilink(base, size, off, n->next)->prev = n->prev;
  } else {
    l->tail = n->prev;
  }
}

/* Removes and returns the first element, or OMS__ILIST_NIL if l is empty. */
static inline uint32_t oms__ilist_pop_front(oms__ilist_t *l, void *base, size_t size, size_t off) {
  uint32_t i = l->head;
  if (i != OMS__ILIST_NIL) oms__ilist_unlink(l, base, size, off, i);
  return i;
}

#endif /* OMS_CORE_ILIST_H */
