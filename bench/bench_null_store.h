/*
 * bench_null_store.h - a store that keeps nothing and is durable at once,
 * for the benchmarks of the core alone (bench_core, bench_parents): every
 * append gets the next ticket, which is durable when it is handed out, so
 * the engine releases its effects in the same call and the figures are the
 * core's, not a disk's. It reads no event (events_unread), so an engine
 * with no subscriber stages its events lean, as it would with no store.
 */
#ifndef OMS_BENCH_NULL_STORE_H
#define OMS_BENCH_NULL_STORE_H

#include <string.h>

#include "oms/error.h"
#include "oms/store.h"

typedef struct bench_null_store_s {
  oms_store_t base;
  uint64_t ticket;
} bench_null_store_t;

static int bns_append(oms_store_t *s, const oms_store_unit_t *u, unsigned flags, uint64_t *ticket) {
  (void)u, (void)flags;
  *ticket = ++((bench_null_store_t *)s)->ticket;
  return 0;
}
static uint64_t bns_durable(const oms_store_t *s) {
  return ((const bench_null_store_t *)s)->ticket;
}
static int bns_wait(oms_store_t *s, uint64_t t, int64_t timeout) {
  (void)timeout;
  return t <= bns_durable(s) ? 0 : OMS_ETIMEDOUT;
}
static int bns_ok(oms_store_t *s) {
  (void)s;
  return 0;
}
static bool bns_failed(const oms_store_t *s) {
  (void)s;
  return false;
}
static void bns_last_error(const oms_store_t *s, oms_store_error_t *err) {
  (void)s;
  memset(err, 0, sizeof(*err));
}
static void bns_stats(const oms_store_t *s, oms_store_stats_t *st) {
  memset(st, 0, sizeof(*st));
  st->appends = ((const bench_null_store_t *)s)->ticket;
}
static int bns_fd(const oms_store_t *s) {
  (void)s;
  return -1;
}
static int bns_get_order(oms_store_t *s, uint64_t id, oms_order_t *out) {
  (void)s, (void)id, (void)out;
  return OMS_ENOTFOUND;
}
static int bns_query(oms_store_t *s, const oms_order_query_t *q, oms_order_cb cb, void *ctx) {
  (void)s, (void)q, (void)cb, (void)ctx;
  return 0; /* nothing stored: a Bloom-filter false positive finds nothing */
}
static void bns_close(oms_store_t *s) { (void)s; }

/* Only what the engine calls on its paths; the rest stays NULL. */
static const oms_store_vtbl_t bench_null_store_vt = {
    .append = bns_append,
    .durable_ticket = bns_durable,
    .wait = bns_wait,
    .recover = bns_ok,
    .failed = bns_failed,
    .last_error = bns_last_error,
    .stats = bns_stats,
    .durable_fd = bns_fd,
    .get_order = bns_get_order,
    .query_orders = bns_query,
    .close = bns_close,
    .events_unread = true,
};

/* Empties s and makes it a null store. */
static inline void bench_null_store_init(bench_null_store_t *s) {
  memset(s, 0, sizeof(*s));
  s->base.vt = &bench_null_store_vt;
}

#endif
