/* bus_fixture.h - an in-memory event log that serves as the bus's replay
 * source in the bus and sink tests, and a recording subscriber. */
#ifndef OMS_BUS_FIXTURE_H
#define OMS_BUS_FIXTURE_H

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "oms/bus.h"
#include "oms/error.h"

typedef struct fx_log_s {
  oms_event_t *ev;  /* ev[i] has seq i + 1 */
  _Atomic size_t n; /* visible events */
  size_t cap;
  int fail; /* read() returns this when non-zero */
  _Atomic size_t reads;
} fx_log_t;

static inline void fx_log_init(fx_log_t *l, size_t cap) {
  memset(l, 0, sizeof *l);
  l->ev = calloc(cap, sizeof(oms_event_t));
  l->cap = cap;
}

static inline void fx_log_free(fx_log_t *l) { free(l->ev); }

/* Appends an event with the next seq (type, strategy and symbol given). */
static inline oms_event_t *fx_log_add(fx_log_t *l, oms_event_type_t type, const char *strategy,
                                      const char *symbol) {
  size_t i = atomic_load(&l->n);
  oms_event_t *e = &l->ev[i];
  memset(e, 0, sizeof *e);
  e->seq = i + 1;
  e->type = type;
  e->order.order_id = i + 1;
  strcpy(e->order.strategy_id, strategy);
  strcpy(e->order.account_id, "A1");
  strcpy(e->order.symbol, symbol);
  atomic_store(&l->n, i + 1);
  return e;
}

static inline int fx_log_read(void *ctx, uint64_t from, size_t max, oms_bus_event_cb cb,
                              void *cb_ctx) {
  fx_log_t *l = ctx;
  atomic_fetch_add(&l->reads, 1);
  if (l->fail) return l->fail;
  size_t n = atomic_load(&l->n);
  size_t done = 0;
  for (uint64_t s = from ? from : 1; s <= n && done < max; s++, done++) {
    int rc = cb(cb_ctx, &l->ev[s - 1]);
    if (rc) return rc;
  }
  return 0;
}

static inline oms_replay_source_t fx_log_source(fx_log_t *l) {
  return (oms_replay_source_t){fx_log_read, l};
}

typedef struct fx_rec_s {
  uint64_t *seqs;
  size_t n, cap;
  _Atomic int lags;
  uint64_t lag_last;
} fx_rec_t;

static inline void fx_rec_init(fx_rec_t *r, size_t cap) {
  memset(r, 0, sizeof *r);
  r->seqs = calloc(cap, sizeof(uint64_t));
  r->cap = cap;
}

static inline void fx_rec_on_event(void *ctx, const oms_event_t *ev) {
  fx_rec_t *r = ctx;
  if (r->n < r->cap) r->seqs[r->n] = ev->seq;
  r->n++;
}

static inline void fx_rec_on_lag(void *ctx, uint64_t last) {
  fx_rec_t *r = ctx;
  atomic_fetch_add(&r->lags, 1);
  r->lag_last = last;
}

#endif /* OMS_BUS_FIXTURE_H */
