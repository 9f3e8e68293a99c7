/*
 * fakes.h - a test double for the venue seam: a connector that records what
 * it is sent and delivers the reports a test scripts.
 */
#ifndef OMS_TEST_FAKES_H
#define OMS_TEST_FAKES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/error.h"
#include "oms/venue.h"

/* ---- venue ---------------------------------------------------------------- */

#define FAKE_MAX 256

typedef struct fake_venue_s {
  oms_venue_t base;
  bool connected;
  bool was_connected;
  int send_rc; /* returned by the next sends when non-zero */
  int nsent;
  int kinds[FAKE_MAX]; /* 1 new, 2 cancel, 3 replace, 4 status query, 5 mass status query */
  uint64_t ids[FAKE_MAX];
  oms_venue_order_t news[FAKE_MAX];
  oms_dec_t rq[FAKE_MAX], rp[FAKE_MAX];
  oms_exec_report_t reports[FAKE_MAX];
  int nreports, rhead;
  oms_market_data_t md;
  bool md_pending;
  int destroyed;
} fake_venue_t;

static int fv_record(fake_venue_t *f, int kind, uint64_t id) {
  if (!f->connected) return OMS_EDOWN;
  if (f->send_rc != 0) return f->send_rc;
  if (f->nsent < FAKE_MAX) {
    f->kinds[f->nsent] = kind;
    f->ids[f->nsent] = id;
    f->nsent++;
  }
  return 0;
}

static int fv_send_new(oms_venue_t *v, const oms_venue_order_t *o) {
  fake_venue_t *f = (fake_venue_t *)v;
  int rc = fv_record(f, 1, o->order_id);
  if (rc == 0) f->news[f->nsent - 1] = *o;
  return rc;
}
static int fv_send_cancel(oms_venue_t *v, uint64_t id) {
  return fv_record((fake_venue_t *)v, 2, id);
}
static int fv_send_replace(oms_venue_t *v, uint64_t id, oms_dec_t q, oms_dec_t p, oms_dec_t s) {
  fake_venue_t *f = (fake_venue_t *)v;
  (void)s;
  int rc = fv_record(f, 3, id);
  if (rc == 0) {
    f->rq[f->nsent - 1] = q;
    f->rp[f->nsent - 1] = p;
  }
  return rc;
}
static int fv_query(oms_venue_t *v, uint64_t id) { return fv_record((fake_venue_t *)v, 4, id); }
static bool fv_connected(const oms_venue_t *v) { return ((const fake_venue_t *)v)->connected; }
static int fv_poll(oms_venue_t *v, int64_t now) {
  fake_venue_t *f = (fake_venue_t *)v;
  (void)now;
  int n = 0;
  if (f->connected != f->was_connected) {
    f->was_connected = f->connected;
    if (v->handler.on_connection) v->handler.on_connection(v->handler.ctx, f->connected);
  }
  if (f->md_pending && v->handler.on_market_data) {
    f->md_pending = false;
    v->handler.on_market_data(v->handler.ctx, &f->md);
  }
  while (f->rhead < f->nreports) {
    v->handler.on_report(v->handler.ctx, &f->reports[f->rhead++]);
    n++;
  }
  return n;
}
static void fv_destroy(oms_venue_t *v) {
  fake_venue_t *f = (fake_venue_t *)v;
  f->destroyed++;
}

static const oms_venue_vtbl_t fake_venue_vt = {.send_new = fv_send_new,
                                               .send_cancel = fv_send_cancel,
                                               .send_replace = fv_send_replace,
                                               .query_status = fv_query,
                                               .is_connected = fv_connected,
                                               .poll = fv_poll,
                                               .destroy = fv_destroy};

static int fv_query_all(oms_venue_t *v) { return fv_record((fake_venue_t *)v, 5, 0); }

/* The same venue answering mass status queries (query_all). */
static const oms_venue_vtbl_t fake_venue_mass_vt = {.send_new = fv_send_new,
                                                    .send_cancel = fv_send_cancel,
                                                    .send_replace = fv_send_replace,
                                                    .query_status = fv_query,
                                                    .query_all = fv_query_all,
                                                    .is_connected = fv_connected,
                                                    .poll = fv_poll,
                                                    .destroy = fv_destroy};

/* f is owned by the test (static or on its stack); destroy only counts. */
static inline void fake_venue_init(fake_venue_t *f, const char *name) {
  memset(f, 0, sizeof(*f));
  f->base.vt = &fake_venue_vt;
  strcpy(f->base.name, name);
  f->connected = f->was_connected = true;
}

/* A fake venue with a mass status query. */
static inline void fake_venue_init_mass(fake_venue_t *f, const char *name) {
  fake_venue_init(f, name);
  f->base.vt = &fake_venue_mass_vt;
}

/* Scripts a report, delivered at the next poll. */
static inline oms_exec_report_t *fake_report(fake_venue_t *f, oms_exec_type_t type,
                                             uint64_t order_id) {
  oms_exec_report_t *r = &f->reports[f->nreports++];
  memset(r, 0, sizeof(*r));
  r->type = type;
  r->order_id = order_id;
  snprintf(r->venue_order_id, sizeof r->venue_order_id, "V%llu", (unsigned long long)order_id);
  return r;
}

static inline oms_exec_report_t *fake_fill(fake_venue_t *f, uint64_t order_id, const char *qty,
                                           const char *px, const char *exec_id) {
  oms_exec_report_t *r = fake_report(f, OMS_EXEC_FILL, order_id);
  oms_dec_parse_cstr(qty, &r->last_qty);
  oms_dec_parse_cstr(px, &r->last_px);
  r->liquidity = 'T';
  strcpy(r->exec_id, exec_id);
  return r;
}

#endif /* OMS_TEST_FAKES_H */
