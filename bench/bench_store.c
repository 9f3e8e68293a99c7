/*
 * bench_store.c - what durability costs: append -> durable latency of one
 * order through the SQLite store with group commit, at a steady 10,000
 * orders/s (paced), in `os` and `fsync` modes, next to the raw fdatasync of
 * 200 bytes measured in the same run on the same disk and directory, twice
 * (before and after): appending (each fdatasync also flushes a new file size)
 * and overwriting in place (a preallocated, synced region).
 *
 * Experiments (environment): OMS_BENCH_CHECKPOINT_PAGES, OMS_BENCH_CHECKPOINT_MS,
 * OMS_BENCH_SPIN_US (-1 = no spin), OMS_BENCH_ROUNDS.
 *
 * The producer (standing in for the core thread) appends one unit per order
 * (an OrderSubmitted event with its snapshot) on a fixed schedule and never
 * waits; the writer thread's on_durable callback stamps every ticket that
 * became durable, so each sample is the time from the append call to the
 * moment the commit that contains it returned. The core's own cost (the
 * append call) is reported separately.
 *
 * The database lives in ./bench-store-XXXXXX under the working directory
 * (run from build/: the same disk as the daemon's var/), removed at the end.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "oms/event.h"
#include "oms/store.h"

#define RATE 10000
#define ORDERS 10000 /* per round: one second at RATE */

static uint64_t *append_at; /* by ticket */
static uint64_t *durable_at;
static _Atomic uint64_t last_durable;

static void on_durable(void *ctx, uint64_t ticket) {
  (void)ctx;
  uint64_t now = bench_now_ns();
  uint64_t from = atomic_load_explicit(&last_durable, memory_order_relaxed);
  for (uint64_t t = from + 1; t <= ticket; t++) durable_at[t] = now;
  atomic_store_explicit(&last_durable, ticket, memory_order_release);
}

static void on_error(void *ctx, const oms_store_error_t *e) {
  (void)ctx;
  fprintf(stderr, "store error: %s code=%d errno=%d %s\n", e->call, e->code, e->sys_errno,
          e->message);
}

static void make_event(oms_event_t *ev, uint64_t seq) {
  memset(ev, 0, sizeof *ev);
  ev->type = OMS_EVT_ORDER_SUBMITTED;
  ev->seq = seq;
  ev->event_ns = (int64_t)seq;
  oms_order_t *o = &ev->order;
  o->order_id = seq;
  snprintf(o->client_order_id, sizeof o->client_order_id, "c%llu", (unsigned long long)seq);
  strcpy(o->strategy_id, "s1");
  strcpy(o->account_id, "ACC1");
  strcpy(o->venue, "SIM");
  strcpy(o->symbol, "BTC-USD");
  o->side = OMS_SIDE_BUY;
  o->type = OMS_ORD_LIMIT;
  o->tif = OMS_TIF_GTC;
  o->qty = oms_dec_from_raw(150000000);
  o->price = oms_dec_from_raw(6500050000000);
  o->leaves_qty = o->qty;
  o->state = OMS_STATE_SUBMITTED;
  o->created_ns = o->updated_ns = (int64_t)seq;
}

static void run_mode(const char *dir, oms_durability_t mode, const char *name,
                     const char *append_name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s.db", dir, name);
  oms_store_config_t cfg;
  oms_store_config_init(&cfg, path);
  cfg.durability = mode;
  cfg.on_durable = on_durable;
  cfg.on_error = on_error;
  cfg.queue_capacity = 16384;
  const char *ck = getenv("OMS_BENCH_CHECKPOINT_MS"); /* experiment: checkpoint interval */
  if (ck != NULL) cfg.checkpoint_idle_ns = (int64_t)atoi(ck) * 1000000;
  const char *cp = getenv("OMS_BENCH_CHECKPOINT_PAGES"); /* experiment: WAL bound */
  if (cp != NULL) cfg.checkpoint_pages = (uint32_t)atoi(cp);
  const char *sp = getenv("OMS_BENCH_SPIN_US"); /* experiment: writer spin (-1 = none) */
  if (sp != NULL) cfg.writer_spin_ns = (int64_t)atoi(sp) * 1000;
  int rounds = bench_rounds();
  size_t total = (size_t)ORDERS * (size_t)(rounds + 1) + 1;
  append_at = calloc(total, sizeof(uint64_t));
  durable_at = calloc(total, sizeof(uint64_t));
  atomic_store(&last_durable, 0);
  oms_store_t *st;
  if (oms_store_sqlite_open(&cfg, &st) != 0) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(1);
  }
  bench_t lat, app;
  bench_init(&lat, name, ORDERS);
  bench_init(&app, append_name, ORDERS);
  uint64_t seq = 0;
  oms_event_t ev;
  for (int r = -1; r < rounds; r++) { /* round -1 warms up */
    uint64_t first = seq + 1;
    uint64_t start = bench_now_ns();
    bench_round_begin(&app);
    for (int i = 0; i < ORDERS; i++) {
      uint64_t due = start + (uint64_t)i * (1000000000u / RATE);
      while (bench_now_ns() < due) {
      }
      make_event(&ev, ++seq);
      oms_store_unit_t u = {&ev, 1};
      uint64_t ticket;
      uint64_t t0 = bench_now_ns();
      append_at[seq] = t0;
      if (oms_store_append(st, &u, 0, &ticket) != 0) {
        fprintf(stderr, "append refused\n");
        exit(1);
      }
      bench_add(&app, bench_now_ns() - t0);
    }
    uint64_t elapsed = bench_now_ns() - start;
    oms_store_flush(st, -1);
    while (atomic_load_explicit(&last_durable, memory_order_acquire) < seq) {
    }
    if (r < 0) continue;
    bench_round_end(&app, elapsed);
    bench_round_begin(&lat);
    for (uint64_t t = first; t <= seq; t++) bench_add(&lat, durable_at[t] - append_at[t]);
    bench_round_end(&lat, elapsed);
  }
  oms_store_stats_t s;
  oms_store_stats(st, &s);
  printf(
      "# %s: %llu orders in %llu transactions (%.1f per commit), max batch %llu, "
      "checkpoints %llu\n",
      name, (unsigned long long)s.records, (unsigned long long)s.transactions,
      (double)s.records / (double)(s.transactions ? s.transactions : 1),
      (unsigned long long)s.max_batch, (unsigned long long)s.checkpoints);
  bench_report(&app);
  bench_report(&lat);
  oms_store_close(st);
  char p[600];
  const char *suffix[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
  free(append_at);
  free(durable_at);
}

/* Raw write(200 bytes) + fdatasync in the same directory. growing: every
 * write appends, so each fdatasync also flushes the new file size (what a WAL
 * that only grows costs). overwrite: the writes go round a preallocated,
 * already synced 4 MiB region (what a WAL restarted from its start costs). */
static void run_fdatasync(const char *dir, bool overwrite) {
  char path[512];
  snprintf(path, sizeof path, "%s/fdatasync.bin", dir);
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    perror("open");
    exit(1);
  }
  enum { N = 2000, REGION = 4 << 20 };
  char buf[200];
  memset(buf, 'x', sizeof buf);
  if (overwrite) {
    static char zero[64 << 10];
    for (int off = 0; off < REGION; off += (int)sizeof zero)
      if (write(fd, zero, sizeof zero) != (ssize_t)sizeof zero) {
        perror("write");
        exit(1);
      }
    if (fsync(fd) != 0) {
      perror("fsync");
      exit(1);
    }
  }
  bench_t b;
  bench_init(
      &b, overwrite ? "store_raw_fdatasync_200b_overwrite" : "store_raw_fdatasync_200b_growing", N);
  int rounds = bench_rounds();
  off_t at = 0;
  for (int r = 0; r < rounds; r++) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      ssize_t w = overwrite ? pwrite(fd, buf, sizeof buf, at) : write(fd, buf, sizeof buf);
      if (w != (ssize_t)sizeof buf || fdatasync(fd) != 0) {
        perror("write/fdatasync");
        exit(1);
      }
      bench_add(&b, bench_now_ns() - t0);
      at = (at + 4096) % REGION; /* a new page each time, like WAL frames */
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
  close(fd);
  unlink(path);
}

int main(void) {
  char dir[] = "./bench-store-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  printf("# bench_store: database directory %s, %d orders/s paced, one event per order\n", dir,
         RATE);
  run_fdatasync(dir, false);
  run_fdatasync(dir, true);
  run_mode(dir, OMS_DURABILITY_OS, "store_append_to_durable_os_10k", "store_append_call_os");
  run_mode(dir, OMS_DURABILITY_FSYNC, "store_append_to_durable_fsync_10k",
           "store_append_call_fsync");
  /* again: the disk may have changed its mind */
  run_fdatasync(dir, false);
  run_fdatasync(dir, true);
  rmdir(dir);
  return 0;
}
