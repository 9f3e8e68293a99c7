/*
 * bench_match.c - the simulated venue's matching engine and connector.
 *
 *   match_mix        the book alone (oms__book_submit/cancel) under a realistic
 *                    mix around a ~4,000-order book 100 ticks deep each side:
 *                    ~50% adds that rest (non-crossing), ~40% cancels of live
 *                    orders, ~10% marketable orders that take 1-3 makers.
 *                    ops_per_s is over the round's wall time, harness included.
 *   match_add / match_cancel / match_cross
 *                    the same run split by operation; their ops_per_s is
 *                    1 / mean latency of that operation.
 *   venue_send_ack   oms_venue_send_new of a resting limit order through the
 *                    connector, then poll() delivering its ACCEPTED report to
 *                    the handler: the in-process round trip to the ack.
 *   venue_mix        the connector under the match_mix mix (send_new, send_cancel,
 *                    crossing send_new), each followed by poll() delivering its
 *                    reports and market data.
 */
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "bench_util.h"
#include "oms/error.h"
#include "oms/sim_venue.h"
#include "venue/book.h"

#define OPS 1000000
#define TARGET_LIVE 4000
#define MID 10000    /* in ticks */
#define DEPTH 100    /* ticks each side */
#define TICK 1000000 /* 0.01 */
#define LOT OMS_DEC_SCALE

static uint64_t rng_state = 88172645463325252ull;
static inline uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* The live resting ids and, per id, its position in `live` (or -1). */
typedef struct live_s {
  uint64_t *ids;
  int32_t *pos;
  size_t n, max_id;
} live_t;

static void live_add(live_t *l, uint64_t id) {
  l->pos[id] = (int32_t)l->n;
  l->ids[l->n++] = id;
}

static void live_del(live_t *l, uint64_t id) {
  int32_t p = l->pos[id];
  if (p < 0) return;
  uint64_t last = l->ids[--l->n];
  l->ids[p] = last;
  l->pos[last] = p;
  l->pos[id] = -1;
}

static void on_fill(void *ctx, const oms__book_fill_t *f) {
  if (f->maker_leaves.raw == 0) live_del((live_t *)ctx, f->maker_id);
}

typedef enum { OP_ADD, OP_CANCEL, OP_CROSS } op_kind_t;

static op_kind_t pick(size_t nlive) {
  uint64_t r = rnd() % 100;
  if (r < 10) return OP_CROSS;
  if (nlive < TARGET_LIVE / 2) return OP_ADD;
  if (nlive > TARGET_LIVE * 2) return OP_CANCEL;
  return r < 56 ? OP_ADD : OP_CANCEL;
}

/* A resting price for side: 1..DEPTH ticks away from the mid, skewed near. */
static int64_t rest_px(oms_side_t side) {
  int64_t away = 1 + (int64_t)(rnd() % 20);
  if (rnd() % 4 == 0) away = 1 + (int64_t)(rnd() % DEPTH);
  return (side == OMS_SIDE_BUY ? MID - away : MID + away) * TICK;
}

static void bench_book(void) {
  bench_t mix, add, cancel, cross;
  bench_init(&mix, "match_mix", OPS);
  bench_init(&add, "match_add", OPS);
  bench_init(&cancel, "match_cancel", OPS);
  bench_init(&cross, "match_cross", OPS);
  int rounds = bench_rounds();
  size_t max_id = (size_t)OPS * 2 + TARGET_LIVE * 4;
  live_t l = {malloc(max_id * sizeof(uint64_t)), malloc(max_id * sizeof(int32_t)), 0, max_id};
  if (l.ids == NULL || l.pos == NULL) exit(1);
  for (int round = -1; round < rounds; round++) { /* round -1 warms up */
    oms__book_t *b;
    l.n = 0;
    memset(l.pos, 0xff, max_id * sizeof(int32_t));
    if (oms__book_create(1u << 16, on_fill, &l, &b) != 0) exit(1);
    uint64_t id = 1;
    for (int i = 0; i < TARGET_LIVE; i++, id++) {
      oms_side_t side = i % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      oms__book_order_t o = {id, id, side, {rest_px(side)}, {LOT * (1 + (int64_t)(rnd() % 5))}, 0};
      oms__book_result_t res;
      oms__book_submit(b, &o, &res);
      live_add(&l, id);
    }
    bench_round_begin(&mix);
    bench_round_begin(&add);
    bench_round_begin(&cancel);
    bench_round_begin(&cross);
    uint64_t sum[3] = {0, 0, 0};
    for (int i = 0; i < OPS; i++) {
      op_kind_t k = pick(l.n);
      oms__book_result_t res;
      oms_side_t side = rnd() & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      uint64_t t0, t1;
      if (k == OP_CANCEL && l.n > 0) {
        uint64_t victim = l.ids[rnd() % l.n];
        t0 = bench_now_ns();
        int rc = oms__book_cancel(b, victim, NULL);
        t1 = bench_now_ns();
        BENCH_KEEP(rc);
        live_del(&l, victim);
        bench_add(&cancel, t1 - t0);
      } else if (k == OP_CROSS) {
        /* A marketable IOC limit 3 ticks through the mid: takes 1-3 makers. */
        int64_t px = (side == OMS_SIDE_BUY ? MID + 3 : MID - 3) * TICK;
        oms__book_order_t o = {id++,        0, side, {px}, {LOT * (1 + (int64_t)(rnd() % 8))},
                               OMS_BOOK_IOC};
        t0 = bench_now_ns();
        oms__book_submit(b, &o, &res);
        t1 = bench_now_ns();
        bench_add(&cross, t1 - t0);
        k = OP_CROSS;
      } else {
        /* Adds that would cross (the top moved) go a tick behind the best. */
        int64_t px = rest_px(side);
        oms_dec_t best;
        if (oms__book_best(b, side == OMS_SIDE_BUY ? OMS_SIDE_SELL : OMS_SIDE_BUY, &best, NULL) &&
            (side == OMS_SIDE_BUY ? px >= best.raw : px <= best.raw))
          px = side == OMS_SIDE_BUY ? best.raw - TICK : best.raw + TICK;
        oms__book_order_t o = {id, id, side, {px}, {LOT * (1 + (int64_t)(rnd() % 5))}, 0};
        t0 = bench_now_ns();
        oms__book_submit(b, &o, &res);
        t1 = bench_now_ns();
        if (res.outcome == OMS_BOOK_RESTED) live_add(&l, id);
        id++;
        bench_add(&add, t1 - t0);
        k = OP_ADD;
      }
      sum[k] += t1 - t0;
      bench_add(&mix, t1 - t0);
    }
    if (round >= 0) {
      bench_round_end(&mix, 0);
      bench_round_end(&add, sum[OP_ADD]);
      bench_round_end(&cancel, sum[OP_CANCEL]);
      bench_round_end(&cross, sum[OP_CROSS]);
    }
    if (!oms__book_check(b)) {
      fprintf(stderr, "book invariants broken\n");
      exit(1);
    }
    oms__book_destroy(b);
  }
  bench_report(&mix);
  bench_report(&add);
  bench_report(&cancel);
  bench_report(&cross);
  free(l.ids);
  free(l.pos);
}

/* ---- Through the connector ------------------------------------------------------ */

typedef struct sink_s {
  uint64_t reports, md;
  live_t *live;
} sink_t;

static void sink_report(void *ctx, const oms_exec_report_t *r) {
  sink_t *s = (sink_t *)ctx;
  s->reports++;
  if (s->live != NULL && r->type == OMS_EXEC_FILL && r->leaves_qty.raw == 0)
    live_del(s->live, r->order_id);
}

static void sink_md(void *ctx, const oms_market_data_t *md) {
  ((sink_t *)ctx)->md++;
  BENCH_KEEP(md->bid.raw);
}

static oms_venue_t *make_venue_at(int64_t *t, sink_t *sink, const char *state) {
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof(sym));
  strcpy(sym.ins.symbol, "BTC-USD");
  sym.ins.tick_size.raw = TICK;
  sym.ins.lot_size.raw = LOT;
  oms_sim_config_t cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.clock = oms_clock_manual(t);
  cfg.max_orders = 1u << 17;
  cfg.maker_fee_rate.raw = -10000; /* -1 bp */
  cfg.taker_fee_rate.raw = 30000;  /* 3 bp */
  cfg.symbols = &sym;
  cfg.nsymbols = 1;
  cfg.state_path = state;
  oms_venue_t *v;
  if (oms_sim_venue_create(&cfg, &v) != 0) exit(1);
  oms_venue_handler_t h = {sink_report, sink_md, NULL, sink};
  oms_venue_set_handler(v, &h);
  return v;
}

static oms_venue_t *make_venue(int64_t *t, sink_t *sink) { return make_venue_at(t, sink, NULL); }

static oms_venue_order_t vorder(uint64_t id, oms_side_t side, int64_t px, int64_t qty,
                                oms_tif_t tif) {
  oms_venue_order_t o;
  memset(&o, 0, sizeof(o));
  o.order_id = id;
  strcpy(o.account_id, "acct");
  strcpy(o.symbol, "BTC-USD");
  o.side = side;
  o.type = OMS_ORD_LIMIT;
  o.tif = tif;
  o.qty.raw = qty;
  o.price.raw = px;
  return o;
}

/* send_new + poll to the ACK; with state, every order is also recorded in the
 * venue's durable state file (one write() per poll). */
static void bench_venue_ack(const char *name, const char *state) {
  enum { N = 200000 };
  bench_t b;
  bench_init(&b, name, N);
  int rounds = bench_rounds();
  for (int round = -1; round < rounds; round++) {
    int64_t t = 1;
    sink_t sink = {0, 0, NULL};
    if (state != NULL) unlink(state); /* each round starts with an empty book */
    oms_venue_t *v = make_venue_at(&t, &sink, state);
    bench_round_begin(&b);
    uint64_t sum = 0;
    for (uint64_t id = 1; id <= N; id++) {
      oms_side_t side = id & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      oms_venue_order_t o = vorder(id, side, rest_px(side), LOT, OMS_TIF_GTC);
      t += 1000;
      uint64_t t0 = bench_now_ns();
      oms_venue_send_new(v, &o);
      oms_venue_poll(v, t);
      uint64_t t1 = bench_now_ns();
      bench_add(&b, t1 - t0);
      sum += t1 - t0;
      if (id > TARGET_LIVE) { /* keep the book at a steady size, untimed */
        oms_venue_send_cancel(v, id - TARGET_LIVE);
        oms_venue_poll(v, t);
      }
    }
    if (round >= 0) bench_round_end(&b, sum);
    oms_venue_destroy(v);
  }
  bench_report(&b);
}

static void bench_venue_mix(void) {
  enum { N = 500000 };
  bench_t b;
  bench_init(&b, "venue_mix", N);
  int rounds = bench_rounds();
  size_t max_id = N + TARGET_LIVE + 2;
  live_t l = {malloc(max_id * sizeof(uint64_t)), malloc(max_id * sizeof(int32_t)), 0, max_id};
  if (l.ids == NULL || l.pos == NULL) exit(1);
  for (int round = -1; round < rounds; round++) {
    int64_t t = 1;
    sink_t sink = {0, 0, &l};
    l.n = 0;
    memset(l.pos, 0xff, max_id * sizeof(int32_t));
    oms_venue_t *v = make_venue(&t, &sink);
    uint64_t id = 1;
    for (int i = 0; i < TARGET_LIVE; i++, id++) {
      oms_side_t side = i % 2 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      oms_venue_order_t o = vorder(id, side, rest_px(side), LOT * 3, OMS_TIF_GTC);
      oms_venue_send_new(v, &o);
      live_add(&l, id);
    }
    oms_venue_poll(v, t);
    bench_round_begin(&b);
    for (int i = 0; i < N - TARGET_LIVE; i++) {
      op_kind_t k = pick(l.n);
      oms_side_t side = rnd() & 1 ? OMS_SIDE_BUY : OMS_SIDE_SELL;
      t += 1000;
      uint64_t t0, t1;
      if (k == OP_CANCEL && l.n > 0) {
        uint64_t victim = l.ids[rnd() % l.n];
        live_del(&l, victim);
        t0 = bench_now_ns();
        oms_venue_send_cancel(v, victim);
        oms_venue_poll(v, t);
        t1 = bench_now_ns();
      } else if (k == OP_CROSS) {
        int64_t px = (side == OMS_SIDE_BUY ? MID + 3 : MID - 3) * TICK;
        oms_venue_order_t o = vorder(id++, side, px, LOT * (1 + (int64_t)(rnd() % 8)), OMS_TIF_IOC);
        t0 = bench_now_ns();
        oms_venue_send_new(v, &o);
        oms_venue_poll(v, t);
        t1 = bench_now_ns();
      } else {
        int64_t px = rest_px(side);
        oms_dec_t best;
        const oms__book_t *bk = oms__sim_venue_book(v, "BTC-USD");
        if (oms__book_best(bk, side == OMS_SIDE_BUY ? OMS_SIDE_SELL : OMS_SIDE_BUY, &best, NULL) &&
            (side == OMS_SIDE_BUY ? px >= best.raw : px <= best.raw))
          px = side == OMS_SIDE_BUY ? best.raw - TICK : best.raw + TICK;
        oms_venue_order_t o = vorder(id, side, px, LOT * (1 + (int64_t)(rnd() % 5)), OMS_TIF_GTC);
        live_add(&l, id++);
        t0 = bench_now_ns();
        oms_venue_send_new(v, &o);
        oms_venue_poll(v, t);
        t1 = bench_now_ns();
      }
      bench_add(&b, t1 - t0);
    }
    if (round >= 0) bench_round_end(&b, 0);
    oms_sim_stats_t st;
    oms_sim_venue_stats(v, &st);
    if (st.reports_dropped != 0) {
      fprintf(stderr, "venue dropped reports\n");
      exit(1);
    }
    oms_venue_destroy(v);
  }
  bench_report(&b);
  free(l.ids);
  free(l.pos);
}

int main(void) {
  bench_book();
  bench_venue_ack("venue_send_ack", NULL);
  char state[64];
  snprintf(state, sizeof state, "/tmp/bench-match-%d.book", (int)getpid());
  bench_venue_ack("venue_send_ack_durable", state);
  unlink(state);
  bench_venue_mix();
  return 0;
}
