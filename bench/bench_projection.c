/*
 * bench_projection.c - how far the journal store's projection trails the
 * journal under a steady load, with the projection in SQLite and in
 * PostgreSQL (docs/store.md), in the same run.
 *
 * A journal store (durability os) takes one unit per order (submit, accept,
 * a fill: 3 records) at OMS_BENCH_RATE units/s (default 10000) for
 * OMS_BENCH_ORDERS units per round (default 20000), sleeping between
 * millisecond bursts. A sampler thread reads, every millisecond, how many records are not projected
 * yet (stats.queued) and turns it into a lag in time: now minus the append time of the oldest
 * record not yet projected (0 when all are). projection_lag_<kind> prints the
 * samples' distribution (p50/p99/max, ns); projection_catch_up_<kind> the
 * time from the last append to the projection holding it (oms_store_flush),
 * one sample per round; ops_per_s of the first line is the appends' rate
 * achieved.
 *
 * PostgreSQL: OMS_BENCH_PG_CONNINFO names a running server; without it a
 * throwaway cluster is started (tests/unit/store/pg_fixture.h: initdb in
 * /tmp, fsync OFF, which flatters PostgreSQL: say so when quoting it) and
 * the PostgreSQL lines are skipped if PostgreSQL is not installed.
 *
 * Then the same with parent orders (`_parents` lines): every order is a
 * child of a TWAP parent (a new parent every 10 orders) and each of its
 * events carries the parent's algorithm state, so each event also writes
 * the child's row of order_parents and the parent's row of parents (schema
 * 7 in SQLite, migration 2 in PostgreSQL): the worst case for those tables.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "oms/algo.h"
#include "oms/store.h"
#include "unit/store/pg_fixture.h"
#include "unit/store/store_fixture.h"

typedef struct run_s {
  oms_store_t *st;
  uint64_t *t_lsn; /* append time of each LSN (index = LSN) */
  size_t cap_lsn;
  _Atomic uint64_t written; /* the last LSN appended */
  _Atomic bool stop;
  bench_t *lag;
} run_t;

static void *sampler(void *arg) {
  run_t *r = arg;
  while (!atomic_load(&r->stop)) {
    oms_store_stats_t st;
    uint64_t w = atomic_load(&r->written);
    oms_store_stats(r->st, &st);
    uint64_t now = bench_now_ns();
    uint64_t projected = w > st.queued ? w - st.queued : 0;
    uint64_t lag = 0;
    if (projected < w && projected + 1 < r->cap_lsn && r->t_lsn[projected + 1] != 0)
      lag = now > r->t_lsn[projected + 1] ? now - r->t_lsn[projected + 1] : 0;
    bench_add(r->lag, lag);
    usleep(1000);
  }
  return NULL;
}

static int open_store(const char *kind, const char *conninfo, fx_dir_t *d, oms_store_t **st) {
  static int n;
  char instance[48];
  snprintf(instance, sizeof instance, "bench%d_%d", (int)getpid(), ++n);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, d->journal, d->db);
  jc.durability = OMS_DURABILITY_OS;
  if (strcmp(kind, "postgres") == 0) {
    jc.pg_conninfo = conninfo;
    jc.instance = instance;
  }
  return oms_store_journal_open(&jc, st);
}

/* Makes ev (an event of child order o) carry the state of its parent. */
static void as_child(oms_order_t *o, oms_event_t *ev, size_t i) {
  static oms_algo_state_t st;
  static uint64_t pid;
  uint64_t want = 1000000000u + i / 10;
  if (pid != want) {
    oms_algo_params_t p;
    oms_dec_t ten, one;
    (void)oms_dec_from_int(10, &ten);
    (void)oms_dec_from_int(1, &one);
    oms_algo_params_init(&p, OMS_ALGO_TWAP, OMS_SIDE_BUY, ten);
    OMS_ALGO_SET(&p, end_ns, T0 + INT64_C(60000000000));
    if (oms_algo_init(&st, want, &p, one, one, T0) != 0) exit(1);
    pid = want;
  }
  o->parent_order_id = pid;
  o->child_seq = (uint32_t)(i % 10 + 1);
  ev->order.parent_order_id = pid;
  ev->order.child_seq = o->child_seq;
  int len = oms_algo_encode(&st, ev->algo, sizeof ev->algo);
  ev->algo_len = len > 0 ? (uint16_t)len : 0;
}

static void bench_kind(const char *kind, const char *conninfo, int rounds, size_t n, uint64_t rate,
                       bool parents) {
  char lname[80], cname[80];
  snprintf(lname, sizeof lname, "projection_lag_%s%s_%lluk_per_s", kind, parents ? "_parents" : "",
           (unsigned long long)(rate / 1000));
  snprintf(cname, sizeof cname, "projection_catch_up_%s%s", kind, parents ? "_parents" : "");
  bench_t lag, catch_up;
  bench_init(&lag, lname, 4000000);
  bench_init(&catch_up, cname, 64);
  run_t r;
  memset(&r, 0, sizeof r);
  r.cap_lsn = 3 * n + 16;
  r.t_lsn = calloc(r.cap_lsn, sizeof *r.t_lsn);
  r.lag = &lag;
  static oms_order_t orders[1];
  for (int round = 0; round < rounds; round++) {
    fx_dir_t d;
    fx_dir_make(&d);
    if (open_store(kind, conninfo, &d, &r.st) != 0) {
      fprintf(stderr, "bench_projection: cannot open the %s store\n", kind);
      exit(1);
    }
    memset(r.t_lsn, 0, r.cap_lsn * sizeof *r.t_lsn);
    atomic_store(&r.written, 0);
    atomic_store(&r.stop, false);
    bench_round_begin(&lag);
    bench_round_begin(&catch_up);
    pthread_t th;
    pthread_create(&th, NULL, sampler, &r);
    uint64_t t0 = bench_now_ns(), seq = 0, period = 1000000000u / rate;
    for (size_t i = 0; i < n; i++) {
      /* Sleeps to each millisecond's share, not spinning: a spinning
       * load generator would take a CPU of two from the projector, which
       * runs at SCHED_IDLE, and measure the generator. */
      uint64_t due = t0 + i * period;
      uint64_t now0 = bench_now_ns();
      if (due > now0 + 1000000) usleep((useconds_t)((due - now0) / 1000));
      oms_order_t *o = &orders[0];
      oms_event_t ev[3];
      fx_order(o, i + 1, "S1", "ACC1", "BTC-USD", T0);
      fx_apply(o, OMS_EV_SUBMIT, NULL, NULL, T0, ++seq, &ev[0]);
      fx_apply(o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, ++seq, &ev[1]);
      fx_apply(o, OMS_EV_FILL, "1", "100", T0 + 2, ++seq, &ev[2]);
      for (int k = 0; parents && k < 3; k++) as_child(o, &ev[k], i);
      oms_store_unit_t u = {ev, 3};
      uint64_t ticket;
      uint64_t now = bench_now_ns();
      if (oms_store_append(r.st, &u, 0, &ticket) != 0) {
        fprintf(stderr, "bench_projection: append failed\n");
        exit(1);
      }
      for (uint64_t l = ticket - 2; l <= ticket && l < r.cap_lsn; l++) r.t_lsn[l] = now;
      atomic_store(&r.written, ticket);
    }
    uint64_t t_end = bench_now_ns();
    if (oms_store_flush(r.st, INT64_C(60000000000)) != 0) {
      fprintf(stderr, "bench_projection: flush failed\n");
      exit(1);
    }
    bench_add(&catch_up, bench_now_ns() - t_end);
    atomic_store(&r.stop, true);
    pthread_join(th, NULL);
    /* The lag line's ops_per_s: the appends achieved over the round. */
    if (lag.n == 0) bench_add(&lag, 0);
    bench_round_end(&lag, 0);
    lag.ops[lag.rounds - 1] = (uint64_t)((double)n * 1e9 / (double)(t_end - t0));
    bench_round_end(&catch_up, 0);
    oms_store_close(r.st);
    fx_dir_remove(&d);
  }
  bench_report(&lag);
  bench_report(&catch_up);
  free(r.t_lsn);
}

int main(void) {
  int rounds = bench_rounds();
  const char *ne = getenv("OMS_BENCH_ORDERS"), *re = getenv("OMS_BENCH_RATE");
  size_t n = ne ? (size_t)atol(ne) : 20000;
  uint64_t rate = re ? (uint64_t)atoll(re) : 10000;
  if (n < 100) n = 100;
  if (rate < 100) rate = 100;
  fx_pg_t pg;
  memset(&pg, 0, sizeof pg);
  const char *conninfo = getenv("OMS_BENCH_PG_CONNINFO");
  bool own = false;
  if (conninfo == NULL) {
    int up = fx_pg_init(&pg);
    own = up == 0;
    conninfo = own ? pg.conninfo : NULL;
    if (up < 0) fprintf(stderr, "bench_projection: the PostgreSQL cluster did not start\n");
    if (own) printf("# PostgreSQL: a throwaway cluster (fsync off) in %s\n", pg.dir);
  }
  for (int parents = 0; parents <= 1; parents++) {
    bench_kind("sqlite", NULL, rounds, n, rate, parents);
    if (conninfo != NULL) bench_kind("postgres", conninfo, rounds, n, rate, parents);
  }
  if (own) fx_pg_destroy(&pg);
  return 0;
}
