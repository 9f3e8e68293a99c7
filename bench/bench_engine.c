/*
 * bench_engine.c - the core's submission path, in process.
 *
 *   engine_submit: oms_engine_submit() from request to the venue hand-off
 *     (idempotency lookup, validation, the order, the router's pre-check and
 *     conversion, the SUBMITTED transition and its event, the outbox, the
 *     connector's send_new). No store, no risk engine: those are measured by
 *     their own benchmarks and by bench_oms.
 *   engine_report_fill: one fill report applied (duplicate check, state
 *     machine, event, publication).
 *
 * The venue is a null connector that accepts everything; finished orders are
 * recycled outside the timed region. ops_per_s is the number of timed
 * operations over the time spent inside them.
 */
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/engine.h"

#define N 200000
#define WARMUP 20000

typedef struct null_venue_s {
  oms_venue_t base;
  uint64_t last;
  oms_exec_report_t pending[8];
  int npending;
} null_venue_t;

static int nv_new(oms_venue_t *v, const oms_venue_order_t *o) {
  ((null_venue_t *)v)->last = o->order_id;
  return 0;
}
static int nv_cancel(oms_venue_t *v, uint64_t id) {
  (void)v, (void)id;
  return 0;
}
static int nv_replace(oms_venue_t *v, uint64_t id, oms_dec_t q, oms_dec_t p, oms_dec_t s) {
  (void)v, (void)id, (void)q, (void)p, (void)s;
  return 0;
}
static int nv_query(oms_venue_t *v, uint64_t id) {
  (void)v, (void)id;
  return 0;
}
static bool nv_connected(const oms_venue_t *v) {
  (void)v;
  return true;
}
static int nv_poll(oms_venue_t *v, int64_t now) {
  null_venue_t *n = (null_venue_t *)v;
  (void)now;
  int k = n->npending;
  for (int i = 0; i < k; i++) v->handler.on_report(v->handler.ctx, &n->pending[i]);
  n->npending = 0;
  return k;
}
static void nv_destroy(oms_venue_t *v) { (void)v; }
static const oms_venue_vtbl_t nv_vt = {.send_new = nv_new,
                                       .send_cancel = nv_cancel,
                                       .send_replace = nv_replace,
                                       .query_status = nv_query,
                                       .is_connected = nv_connected,
                                       .poll = nv_poll,
                                       .destroy = nv_destroy};

static int64_t now_ns = INT64_C(1764000000000000000);
static null_venue_t venue;

static void push(oms_exec_type_t t, uint64_t id, uint64_t exec) {
  oms_exec_report_t *r = &venue.pending[venue.npending++];
  memset(r, 0, sizeof(*r));
  r->type = t;
  r->order_id = id;
  if (t == OMS_EXEC_FILL) {
    snprintf(r->exec_id, sizeof r->exec_id, "E%llu", (unsigned long long)exec);
    r->last_qty = oms_dec_from_raw(OMS_DEC_SCALE / 1000);
    r->last_px = oms_dec_from_raw(65000 * OMS_DEC_SCALE);
  }
}

static oms_engine_t *make_engine(void) {
  memset(&venue, 0, sizeof venue);
  venue.base.vt = &nv_vt;
  strcpy(venue.base.name, "SIM");
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&now_ns), .max_orders = 65536};
  oms_engine_t *e;
  if (oms_engine_create(&cfg, &e) != 0) exit(1);
  oms_instrument_t ins = {.symbol = "BTC-USD", .venue = "SIM"};
  oms_dec_parse_cstr("0.5", &ins.tick_size);
  oms_dec_parse_cstr("0.001", &ins.lot_size);
  oms_engine_add_instrument(e, &ins, NULL);
  oms_engine_add_venue(e, &venue.base, NULL);
  return e;
}

static void request(oms_order_request_t *req, uint64_t i) {
  memset(req, 0, sizeof(*req));
  snprintf(req->client_order_id, sizeof req->client_order_id, "c%llu", (unsigned long long)i);
  strcpy(req->strategy_id, "s1");
  strcpy(req->account_id, i & 1 ? "ACC1" : "ACC2");
  strcpy(req->venue, "SIM");
  strcpy(req->symbol, "BTC-USD");
  req->side = i & 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
  req->type = OMS_ORD_LIMIT;
  req->tif = OMS_TIF_GTC;
  req->qty = oms_dec_from_raw((int64_t)(1 + i % 7) * OMS_DEC_SCALE / 100);
  req->price = oms_dec_from_raw((int64_t)(60000 + (i % 200)) * OMS_DEC_SCALE);
}

static void bench_submit(void) {
  oms_engine_t *e = make_engine();
  bench_t b;
  bench_init(&b, "engine_submit", N);
  static oms_submit_result_t res;
  oms_order_request_t req;
  uint64_t seq = 0;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      request(&req, ++seq);
      uint64_t t0 = bench_now_ns();
      int rc = oms_engine_submit(e, &req, &res);
      uint64_t dt = bench_now_ns() - t0;
      if (rc != 0) {
        fprintf(stderr, "submit refused: %s\n", res.reject.text);
        exit(1);
      }
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
      /* finish the order so its slot can be reused (untimed) */
      push(OMS_EXEC_REJECTED, res.order->order_id, 0);
      oms_engine_poll(e);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  oms_engine_destroy(e);
}

static void bench_fill(void) {
  oms_engine_t *e = make_engine();
  bench_t b;
  bench_init(&b, "engine_report_fill", N);
  static oms_submit_result_t res;
  oms_order_request_t req;
  uint64_t seq = 0, exec = 0;
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    uint64_t id = 0;
    int left = 0;
    for (int i = 0; i < n; i++) {
      if (left == 0) {
        request(&req, ++seq);
        req.qty = oms_dec_from_raw(OMS_DEC_SCALE); /* 1000 fills of 0.001 */
        oms_engine_submit(e, &req, &res);
        id = res.order->order_id;
        push(OMS_EXEC_ACCEPTED, id, 0);
        oms_engine_poll(e);
        left = 1000;
      }
      push(OMS_EXEC_FILL, id, ++exec);
      uint64_t t0 = bench_now_ns();
      oms_engine_poll(e);
      uint64_t dt = bench_now_ns() - t0;
      left--;
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
  oms_engine_destroy(e);
}

int main(void) {
  bench_submit();
  bench_fill();
  return 0;
}
