/*
 * bench_order.c - the foundation's hot operations: decimal parsing and
 * formatting, request validation, and one state transition (a fill).
 */
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/decimal.h"
#include "oms/order.h"

#define N 200000
#define WARMUP 20000

static const char *const prices[] = {"65000.5",        "0.00000001", "123.456", "-42",
                                     "99999.99999999", "1",          "3050.25", "0.1"};

static void bench_parse(void) {
  bench_t b;
  bench_init(&b, "decimal_parse", N);
  oms_dec_t d;
  size_t lens[8];
  for (int i = 0; i < 8; i++) lens[i] = strlen(prices[i]);
  for (int i = 0; i < WARMUP; i++) oms_dec_parse(prices[i & 7], lens[i & 7], &d);
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      oms_dec_parse(prices[i & 7], lens[i & 7], &d);
      BENCH_KEEP(d.raw);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

static void bench_format(void) {
  bench_t b;
  bench_init(&b, "decimal_format", N);
  char buf[OMS_DEC_STRLEN];
  oms_dec_t v[8];
  for (int i = 0; i < 8; i++) oms_dec_parse_cstr(prices[i], &v[i]);
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      int n = oms_dec_format(v[i & 7], buf, sizeof buf);
      BENCH_KEEP(n);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

static void make_request(oms_order_request_t *req, oms_instrument_t *ins) {
  memset(req, 0, sizeof(*req));
  strcpy(req->client_order_id, "c-000001");
  strcpy(req->strategy_id, "s1");
  strcpy(req->account_id, "ACC1");
  strcpy(req->venue, "SIM");
  strcpy(req->symbol, "BTC-USD");
  req->side = OMS_SIDE_BUY;
  req->type = OMS_ORD_LIMIT;
  req->tif = OMS_TIF_GTC;
  oms_dec_parse_cstr("1.5", &req->qty);
  oms_dec_parse_cstr("65000.5", &req->price);
  memset(ins, 0, sizeof(*ins));
  strcpy(ins->symbol, "BTC-USD");
  strcpy(ins->venue, "SIM");
  oms_dec_parse_cstr("0.5", &ins->tick_size);
  oms_dec_parse_cstr("0.0001", &ins->lot_size);
  oms_dec_parse_cstr("10", &ins->min_notional);
}

static void bench_validate(void) {
  bench_t b;
  bench_init(&b, "order_validate", N);
  oms_order_request_t req;
  oms_instrument_t ins;
  oms_reject_t rej;
  make_request(&req, &ins);
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      oms_reason_t rc = oms_request_validate(&req, &ins, 0, &rej);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

/* One transition: a partial fill on an accepted order, the most frequent
 * transition of a live OMS. The order is reset outside the timed region. */
static void bench_transition(void) {
  bench_t b;
  bench_init(&b, "order_transition_fill", N);
  oms_order_request_t req;
  oms_instrument_t ins;
  make_request(&req, &ins);
  oms_dec_parse_cstr("1000", &req.qty);
  static oms_order_t o;
  oms_order_init(&o, 1, &req, 0);
  oms_ord_change_t sub = {.event = OMS_EV_SUBMIT}, ack = {.event = OMS_EV_ACCEPT};
  oms_order_apply(&o, &sub, NULL);
  oms_order_apply(&o, &ack, NULL);
  oms_order_t base = o;
  oms_ord_change_t fill = {.event = OMS_EV_FILL};
  oms_dec_parse_cstr("0.001", &fill.fill_qty);
  oms_dec_parse_cstr("65000.5", &fill.fill_px);
  oms_audit_t a;
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      if ((i & 1023) == 0) o = base;
      fill.ts_ns = i;
      uint64_t t0 = bench_now_ns();
      int rc = oms_order_apply(&o, &fill, &a);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

int main(void) {
  bench_parse();
  bench_format();
  bench_validate();
  bench_transition();
  return 0;
}
