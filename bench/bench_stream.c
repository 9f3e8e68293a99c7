/*
 * bench_stream.c - the event stream to NATS JetStream (src/stream) against
 * a nats-server started here (127.0.0.1, a free port, a temporary
 * directory) and killed by its PID at the end.
 *
 *   stream_publish_acked      events published and acknowledged per second:
 *                             OMS_BENCH_STREAM_N events (default 50,000)
 *                             already stored, a new publisher catching up
 *                             from cursor 0 (each sample: the round's time
 *                             per event; ops_per_s is the throughput)
 *   stream_lag_paced_<rate>   the stream's lag under load: events appended
 *                             at OMS_BENCH_STREAM_RATE events/s (default
 *                             10,000, units of 3) for 2 s to the journal
 *                             store (os durability) while the publisher
 *                             runs; each sample is one event's time from
 *                             its append returning to the server's ack
 *                             being seen (the projector's cadence of ~5 ms,
 *                             the read, the publish, the ack)
 *
 * OMS_BENCH_ROUNDS rounds (default 5), medians. Without nats-server it says
 * so and prints nothing else.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "bench_util.h"
#include "oms/stream.h"
#include "unit/store/store_fixture.h"
#include "unit/stream/nats_fixture.h"

typedef struct run_s {
  oms_store_t *st;
  oms_order_t o;
  uint64_t seq;
  uint64_t *append_ns; /* by seq */
  size_t cap;
} run_t;

/* One order: submitted, accepted, filled, as one unit. */
static void unit3(run_t *r, uint64_t id) {
  oms_event_t ev[3];
  fx_order(&r->o, id, "s1", id % 2 ? "ACC1" : "ACC2", "BTC-USD", T0);
  fx_apply(&r->o, OMS_EV_SUBMIT, NULL, NULL, T0, ++r->seq, &ev[0]);
  fx_apply(&r->o, OMS_EV_ACCEPT, NULL, NULL, T0, ++r->seq, &ev[1]);
  fx_apply(&r->o, OMS_EV_FILL, "2", "100", T0, ++r->seq, &ev[2]);
  oms_store_unit_t u = {ev, 3};
  uint64_t ticket;
  if (oms_store_append(r->st, &u, 0, &ticket) != 0) abort();
  uint64_t now = bench_now_ns();
  for (uint64_t q = r->seq - 2; q <= r->seq && q < r->cap; q++) r->append_ns[q] = now;
}

static oms_stream_t *stream_start(run_t *r, const char *url, const char *name, const char *cur) {
  oms_stream_config_t c = {
      .nats_url = url, .stream = name, .prefix = name, .instance = "b1", .cursor = cur};
  oms_replay_source_t src = oms_store_replay_source(r->st);
  oms_cursor_store_t cs = oms_store_cursor_store(r->st);
  oms_stream_t *s;
  if (oms_stream_create(&c, &src, &cs, &s) != 0 || oms_stream_start(s) != 0) abort();
  return s;
}

static uint64_t cursor_of(oms_stream_t *s) {
  oms_stream_stats_t st;
  oms_stream_stats(s, &st);
  return st.cursor;
}

int main(void) {
  if (system("command -v nats-server >/dev/null 2>&1") != 0) {
    printf("# bench_stream: nats-server not found (make deps installs it): skipped\n");
    return 0;
  }
  int rounds = bench_rounds();
  const char *en = getenv("OMS_BENCH_STREAM_N");
  const char *er = getenv("OMS_BENCH_STREAM_RATE");
  uint64_t n = en ? strtoull(en, NULL, 10) : 50000;
  uint64_t rate = er ? strtoull(er, NULL, 10) : 10000;
  n -= n % 3;
  fx_nats_t nats = {0};
  fx_nats_start(&nats);
  bench_t thr, lag;
  char lagname[64];
  snprintf(lagname, sizeof lagname, "stream_lag_paced_%llu", (unsigned long long)rate);
  bench_init(&thr, "stream_publish_acked", n);
  bench_init(&lag, lagname, rate * 2 + 16);
  for (int round = 0; round < rounds; round++) {
    fx_dir_t d;
    fx_dir_make(&d);
    run_t r = {0};
    r.cap = n + rate * 3 + 64;
    r.append_ns = calloc(r.cap, sizeof *r.append_ns);
    oms_store_journal_config_t jc;
    oms_store_journal_config_init(&jc, d.journal, d.db);
    jc.durability = OMS_DURABILITY_OS;
    if (r.append_ns == NULL || oms_store_journal_open(&jc, &r.st) != 0) abort();
    for (uint64_t i = 0; i < n / 3; i++) unit3(&r, i + 1);
    if (oms_store_flush(r.st, -1) != 0) abort();

    /* Throughput: a publisher from cursor 0 over n stored events. */
    char name[16];
    snprintf(name, sizeof name, "B%d", round);
    bench_round_begin(&thr);
    uint64_t t0 = bench_now_ns();
    oms_stream_t *s = stream_start(&r, nats.url, name, "bench");
    while (cursor_of(s) < r.seq) fx_sleep_ms(1);
    uint64_t el = bench_now_ns() - t0;
    for (uint64_t i = 0; i < n; i++) bench_add(&thr, el / n);
    bench_round_end(&thr, el);

    /* Lag: paced appends while it runs; the ack of each seen by polling. */
    bench_round_begin(&lag);
    uint64_t first = r.seq + 1, units = rate * 2 / 3, seen = r.seq;
    uint64_t start = bench_now_ns(), gap = 3000000000ull / rate;
    for (uint64_t u = 0; u < units || seen < r.seq;) {
      uint64_t now = bench_now_ns();
      if (u < units && now >= start + u * gap) {
        unit3(&r, n / 3 + u + 1);
        u++;
      }
      uint64_t c = cursor_of(s);
      for (uint64_t q = seen + 1; q <= c; q++)
        if (q >= first) bench_add(&lag, now - r.append_ns[q]);
      if (c > seen) seen = c;
      /* Sleep to the next append (omsd's core waits in epoll, it does not
       * spin): a spinning loop here would starve the projector, which runs
       * at SCHED_IDLE on a busy machine. */
      uint64_t next = u < units ? start + u * gap : now + 100000;
      uint64_t after = bench_now_ns();
      if (next > after + 20000) {
        struct timespec ts = {0, (long)(next - after - 10000)};
        nanosleep(&ts, NULL);
      }
      if (now - start > 30000000000ull) break; /* never caught up: say what was seen */
    }
    bench_round_end(&lag, bench_now_ns() - start);
    oms_stream_destroy(s);
    oms_store_close(r.st);
    free(r.append_ns);
    fx_dir_remove(&d);
  }
  bench_report(&thr);
  bench_report(&lag);
  fx_nats_remove(&nats);
  return 0;
}
