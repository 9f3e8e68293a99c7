/*
 * bench_bus.c - event bus throughput: events per second from the core thread
 * to one subscriber polled by its own thread, full oms_event_t records
 * (about 1.7 KB each) copied through the subscriber's ring. A subscriber that
 * falls behind catches up from a synthetic log (it regenerates the event of a
 * seq), so every event is delivered exactly once and counted.
 *
 * BENCH bus_publish_1sub: per-call publish latency; ops_per_s is events
 * delivered per second (first publish to last delivery).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/bus.h"

#define N 1000000

static oms_event_t tmpl;

static void make(oms_event_t *ev, uint64_t seq) {
  *ev = tmpl;
  ev->seq = seq;
}

static int log_read(void *ctx, uint64_t from, size_t max, oms_bus_event_cb cb, void *cb_ctx) {
  uint64_t published = atomic_load((_Atomic uint64_t *)ctx);
  oms_event_t ev;
  for (uint64_t s = from; s <= published && max > 0; s++, max--) {
    make(&ev, s);
    int rc = cb(cb_ctx, &ev);
    if (rc) return rc;
  }
  return 0;
}

typedef struct cons_s {
  oms_bus_sub_t *sub;
  _Atomic uint64_t received;
  uint64_t last;
  uint64_t want;
  int errors;
} cons_t;

static void on_event(void *ctx, const oms_event_t *ev) {
  cons_t *c = ctx;
  if (ev->seq != c->last + 1) c->errors++;
  c->last = ev->seq;
  atomic_store_explicit(&c->received, atomic_load_explicit(&c->received, memory_order_relaxed) + 1,
                        memory_order_relaxed);
}

static void *consumer(void *arg) {
  cons_t *c = arg;
  while (c->last < c->want) oms_bus_poll(c->sub, 0);
  return NULL;
}

int main(void) {
  memset(&tmpl, 0, sizeof tmpl);
  tmpl.type = OMS_EVT_ORDER_ACCEPTED;
  strcpy(tmpl.order.strategy_id, "s1");
  strcpy(tmpl.order.account_id, "ACC1");
  strcpy(tmpl.order.symbol, "BTC-USD");
  bench_t b;
  bench_init(&b, "bus_publish_1sub", N);
  int rounds = bench_rounds();
  uint64_t lags = 0, replayed = 0;
  for (int r = 0; r < rounds; r++) {
    _Atomic uint64_t published = 0;
    oms_replay_source_t src = {log_read, (void *)&published};
    oms_bus_t *bus;
    oms_bus_create(&src, &bus);
    cons_t c;
    memset(&c, 0, sizeof c);
    c.want = N;
    oms_bus_sub_config_t sc;
    memset(&sc, 0, sizeof sc);
    sc.name = "bench";
    sc.capacity = 4096;
    sc.on_event = on_event;
    sc.ctx = &c;
    oms_bus_subscribe(bus, &sc, &c.sub);
    pthread_t th;
    pthread_create(&th, NULL, consumer, &c);
    oms_event_t ev;
    make(&ev, 0);
    bench_round_begin(&b);
    uint64_t start = bench_now_ns();
    for (uint64_t s = 1; s <= N; s++) {
      ev.seq = s;
      atomic_store_explicit(&published, s, memory_order_release);
      uint64_t t0 = bench_now_ns();
      oms_bus_publish(bus, &ev);
      bench_add(&b, bench_now_ns() - t0);
    }
    pthread_join(th, NULL);
    uint64_t elapsed = bench_now_ns() - start;
    bench_round_end(&b, elapsed);
    oms_bus_sub_stats_t st;
    oms_bus_sub_stats(c.sub, &st);
    lags += st.lags;
    replayed += st.replayed;
    if (c.errors || c.last != N) {
      fprintf(stderr, "bench_bus: delivery error (%d gaps, last %llu)\n", c.errors,
              (unsigned long long)c.last);
      return 1;
    }
    oms_bus_destroy(bus);
  }
  printf("# bus: %d rounds of %d events (%zu bytes each); lags %llu, replayed %llu\n", rounds, N,
         sizeof(oms_event_t), (unsigned long long)lags, (unsigned long long)replayed);
  bench_report(&b);
  return 0;
}
