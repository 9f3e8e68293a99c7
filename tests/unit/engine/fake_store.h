/*
 * fake_store.h - a test double for the store seam: appends are checked for
 * gap-free sequence numbers and kept, and the test controls when they become
 * durable and whether they fail.
 */
#ifndef OMS_TEST_FAKE_STORE_H
#define OMS_TEST_FAKE_STORE_H

#include <string.h>

#include "oms/error.h"
#include "oms/store.h"

/* ---- store ---------------------------------------------------------------- */

typedef struct fake_store_s {
  oms_store_t base;
  uint64_t tickets, durable;
  bool auto_durable; /* every append is durable at once */
  int append_rc;     /* refuse appends with this code when non-zero */
  int refuse_must;   /* also refuse OMS_STORE_APPEND_MUST appends */
  uint64_t last_seq;
  int queries; /* query_orders calls */
  int nevents;
  oms_event_t events[1024];
} fake_store_t;

static int fs_append(oms_store_t *s, const oms_store_unit_t *u, unsigned flags, uint64_t *t) {
  fake_store_t *f = (fake_store_t *)s;
  if (f->append_rc != 0 && (!(flags & OMS_STORE_APPEND_MUST) || f->refuse_must))
    return f->append_rc;
  for (size_t i = 0; i < u->n_events; i++) {
    if (u->events[i].seq != f->last_seq + 1) return OMS_EINVAL; /* gap-free, in order */
    f->last_seq = u->events[i].seq;
    if (f->nevents < 1024) f->events[f->nevents++] = u->events[i];
  }
  *t = ++f->tickets;
  if (f->auto_durable) f->durable = f->tickets;
  return 0;
}
static uint64_t fs_durable(const oms_store_t *s) { return ((const fake_store_t *)s)->durable; }
static int fs_get_order(oms_store_t *s, uint64_t id, oms_order_t *out) {
  fake_store_t *f = (fake_store_t *)s;
  for (int i = f->nevents - 1; i >= 0; i--)
    if (f->events[i].order.order_id == id) {
      *out = f->events[i].order;
      return 0;
    }
  return OMS_ENOTFOUND;
}
/* The latest snapshot of each order, newest events first. */
static int fs_query(oms_store_t *s, const oms_order_query_t *q, oms_order_cb cb, void *ctx) {
  fake_store_t *f = (fake_store_t *)s;
  f->queries++;
  uint64_t seen[1024];
  int nseen = 0;
  for (int i = f->nevents - 1; i >= 0; i--) {
    const oms_order_t *o = &f->events[i].order;
    if (o->order_id == 0) continue;
    bool dup = false;
    for (int k = 0; k < nseen && !dup; k++) dup = seen[k] == o->order_id;
    if (dup) continue;
    seen[nseen++] = o->order_id;
    if (q->client_order_id && strcmp(q->client_order_id, o->client_order_id) != 0) continue;
    if (q->strategy_id && strcmp(q->strategy_id, o->strategy_id) != 0) continue;
    if (q->state_class == OMS_STATE_CLASS_ACTIVE && oms_ord_state_is_terminal(o->state)) continue;
    int rc = cb(ctx, o);
    if (rc != 0) return rc;
  }
  return 0;
}
static int fs_last_seqs(oms_store_t *s, uint64_t *seq, uint64_t *id) {
  fake_store_t *f = (fake_store_t *)s;
  *seq = f->last_seq;
  *id = 0;
  for (int i = 0; i < f->nevents; i++)
    if (f->events[i].order.order_id > *id) *id = f->events[i].order.order_id;
  return 0;
}

static int fs_states(oms_store_t *s, oms_trading_state_cb cb, void *ctx) {
  fake_store_t *f = (fake_store_t *)s;
  for (int i = 0; i < f->nevents; i++) {
    const oms_event_t *ev = &f->events[i];
    if (ev->type != OMS_EVT_TRADING_STATE_CHANGED) continue;
    oms_trading_state_row_t row;
    memset(&row, 0, sizeof row);
    row.scope_kind = ev->scope_kind;
    strcpy(row.scope_id, ev->scope_id);
    row.state = ev->new_state;
    row.event_seq = ev->seq;
    int rc = cb(ctx, &row);
    if (rc != 0) return rc;
  }
  return 0;
}

static const oms_store_vtbl_t fake_store_vt = {.append = fs_append,
                                               .durable_ticket = fs_durable,
                                               .get_order = fs_get_order,
                                               .query_orders = fs_query,
                                               .last_seqs = fs_last_seqs,
                                               .load_trading_states = fs_states};

static inline void fake_store_init(fake_store_t *f) {
  memset(f, 0, sizeof(*f));
  f->base.vt = &fake_store_vt;
  f->auto_durable = true;
}

#endif /* OMS_TEST_FAKE_STORE_H */
