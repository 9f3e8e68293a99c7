/*
 * bench_journal.c - what the journal costs (src/journal, docs/journal.md).
 *
 *   journal_append_os        the append call in os mode (durable when it
 *                            returns): one record of a real encoded event,
 *                            closed loop
 *   fdatasync_raw            the floor: pwrite 4 KiB + fdatasync at the next
 *                            offset of a file preallocated with fallocate,
 *                            in the same directory, same run (before and
 *                            after the journal runs)
 *   fdatasync_raw_zeroed     the same in a file whose blocks were written
 *                            with zeros first (no extent to convert)
 *   journal_fsync_10k        fsync mode, 10,000 appends/s paced: the time
 *                            from the append call to on_durable (the
 *                            syncer's fdatasync returned and it published)
 *   journal_fsync_50k/_100k  the same at 50,000 and 100,000 appends/s
 *                            offered: ops_per_s is what was made durable
 *                            per second (appends / (last durable - first
 *                            append)), p99 the append-to-durable latency
 *   journal_append_fsync     the append call in fsync mode (10k/s run)
 *
 * Each record is an OrderSubmitted event encoded with oms_event_encode,
 * the size of what the journal store writes per event. The producer stands
 * in for the core thread and never waits; on_durable stamps every LSN that
 * became durable. The journal lives in ./bench-journal-XXXXXX under the
 * working directory (run from build/: the daemon's disk), removed at the
 * end. OMS_BENCH_ROUNDS as everywhere; OMS_BENCH_SPIN_US sets the syncer's
 * spin (-1: none); OMS_BENCH_ZEROED_SEGMENTS=1 writes the fsync runs'
 * segments with zeros instead of fallocate (an experiment).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "oms/event.h"
#include "oms/journal.h"

static uint8_t rec[OMS_EVENT_BIN_MAX];
static uint32_t rec_len;
static uint64_t *append_at; /* by LSN */
static uint64_t *durable_at;
static _Atomic uint64_t last_durable;
static _Atomic long syncs;

static void on_durable(void *ctx, uint64_t lsn) {
  (void)ctx;
  uint64_t now = bench_now_ns();
  uint64_t from = atomic_load_explicit(&last_durable, memory_order_relaxed);
  for (uint64_t t = from + 1; t <= lsn; t++) durable_at[t] = now;
  atomic_store_explicit(&last_durable, lsn, memory_order_release);
}

static void on_error(void *ctx, const oms_journal_error_t *e) {
  (void)ctx;
  fprintf(stderr, "journal error: %s at %s:%llu errno=%d\n", e->text, e->file,
          (unsigned long long)e->offset, e->sys_errno);
}

static int count_sync(void *ctx, int fd) {
  (void)ctx;
  atomic_fetch_add_explicit(&syncs, 1, memory_order_relaxed);
  return fdatasync(fd);
}

static int refuse_fallocate(void *ctx, int fd, off_t off, off_t len) {
  (void)ctx, (void)fd, (void)off, (void)len;
  errno = EOPNOTSUPP;
  return -1;
}

static void make_record(void) {
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_ORDER_SUBMITTED;
  ev.seq = 123456;
  ev.event_ns = 1700000000000000000;
  oms_order_t *o = &ev.order;
  o->order_id = 123456;
  snprintf(o->client_order_id, sizeof o->client_order_id, "c%llu", 123456ULL);
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
  o->created_ns = o->updated_ns = ev.event_ns;
  int n = oms_event_encode(&ev, rec, sizeof rec);
  if (n <= 0) {
    fprintf(stderr, "oms_event_encode: %d\n", n);
    exit(1);
  }
  rec_len = (uint32_t)n;
}

static oms_journal_t *open_journal(const char *dir, oms_journal_durability_t mode,
                                   const oms_journal_io_t *io) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, dir);
  cfg.durability = mode;
  cfg.create = true;
  cfg.io = io;
  cfg.on_durable = mode == OMS_JOURNAL_FSYNC ? on_durable : NULL;
  cfg.on_error = on_error;
  const char *sp = getenv("OMS_BENCH_SPIN_US");
  if (sp != NULL) cfg.syncer_spin_ns = (int64_t)atoi(sp) * 1000;
  oms_journal_t *j;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0) {
    fprintf(stderr, "oms_journal_open %s: %d %s\n", dir, rc, err.text);
    exit(1);
  }
  return j;
}

static void remove_journal(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static void run_append_os(const char *root) {
  enum { N = 50000 };
  char dir[512];
  snprintf(dir, sizeof dir, "%s/os", root);
  oms_journal_t *j = open_journal(dir, OMS_JOURNAL_OS, NULL);
  bench_t b;
  bench_init(&b, "journal_append_os", N);
  int rounds = bench_rounds();
  for (int r = -1; r < rounds; r++) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t lsn, t0 = bench_now_ns();
      if (oms_journal_append(j, 1, rec, rec_len, &lsn) != 0) {
        fprintf(stderr, "append refused\n");
        exit(1);
      }
      bench_add(&b, bench_now_ns() - t0);
    }
    if (r >= 0) bench_round_end(&b, 0);
  }
  bench_report(&b);
  oms_journal_close(j);
  remove_journal(dir);
}

/* pwrite 4 KiB + fdatasync, each at the next 4 KiB of a 64 MiB file. */
static void run_fdatasync(const char *root, bool zeroed, const char *name) {
  enum { N = 1000, SIZE = 64 << 20 };
  char path[512];
  snprintf(path, sizeof path, "%s/raw.bin", root);
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || fallocate(fd, 0, 0, SIZE) != 0) {
    perror("open/fallocate");
    exit(1);
  }
  static char buf[4096];
  if (zeroed)
    for (off_t at = 0; at < SIZE; at += (off_t)sizeof buf)
      if (pwrite(fd, buf, sizeof buf, at) != (ssize_t)sizeof buf) {
        perror("pwrite");
        exit(1);
      }
  if (fsync(fd) != 0) {
    perror("fsync");
    exit(1);
  }
  memset(buf, 'x', sizeof buf);
  bench_t b;
  bench_init(&b, name, N);
  int rounds = bench_rounds();
  off_t at = 0;
  for (int r = 0; r < rounds; r++) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      if (pwrite(fd, buf, sizeof buf, at) != (ssize_t)sizeof buf || fdatasync(fd) != 0) {
        perror("pwrite/fdatasync");
        exit(1);
      }
      bench_add(&b, bench_now_ns() - t0);
      at = (at + (off_t)sizeof buf) % SIZE;
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
  close(fd);
  unlink(path);
}

/* Paced appends in fsync mode; latency from the append call to on_durable. */
static void run_fsync(const char *root, int rate, const char *name, const char *append_name) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/fsync-%d", root, rate);
  int rounds = bench_rounds();
  size_t per = (size_t)rate; /* one second per round */
  size_t total = per * (size_t)(rounds + 1) + 2;
  append_at = calloc(total, sizeof(uint64_t));
  durable_at = calloc(total, sizeof(uint64_t));
  atomic_store(&last_durable, 0);
  atomic_store(&syncs, 0);
  oms_journal_io_t io = {0};
  io.fdatasync = count_sync;
  /* Experiment: segments whose blocks are written with zeros (the fallback
   * for file systems without fallocate), so a sync converts no extent. */
  if (getenv("OMS_BENCH_ZEROED_SEGMENTS")) io.fallocate = refuse_fallocate;
  oms_journal_t *j = open_journal(dir, OMS_JOURNAL_FSYNC, &io);
  long syncs0 = atomic_load(&syncs);
  bench_t lat, app;
  bench_init(&lat, name, per);
  bench_init(&app, append_name, per);
  uint64_t lsn = 0;
  uint64_t step = 1000000000u / (uint64_t)rate;
  for (int r = -1; r < rounds; r++) { /* round -1 warms up */
    uint64_t first = lsn + 1;
    uint64_t start = bench_now_ns();
    bench_round_begin(&app);
    for (size_t i = 0; i < per; i++) {
      uint64_t due = start + (uint64_t)i * step;
      while (bench_now_ns() < due) {
      }
      uint64_t t0 = bench_now_ns();
      append_at[lsn + 1] = t0; /* before: the syncer may stamp it durable first */
      if (oms_journal_append(j, 1, rec, rec_len, &lsn) != 0) {
        fprintf(stderr, "append refused\n");
        exit(1);
      }
      bench_add(&app, bench_now_ns() - t0);
    }
    while (atomic_load_explicit(&last_durable, memory_order_acquire) < lsn) {
    }
    uint64_t elapsed = durable_at[lsn] - append_at[first];
    if (r < 0) continue;
    bench_round_end(&app, elapsed);
    bench_round_begin(&lat);
    for (uint64_t t = first; t <= lsn; t++) bench_add(&lat, durable_at[t] - append_at[t]);
    bench_round_end(&lat, elapsed);
  }
  long n_sync = atomic_load(&syncs) - syncs0;
  printf("# %s: %llu appends of %u bytes, %ld fdatasyncs (%.1f appends per sync)\n", name,
         (unsigned long long)lsn, rec_len, n_sync, (double)lsn / (double)(n_sync ? n_sync : 1));
  if (rate == 10000)
    bench_report(&app);
  else
    free(app.samples);
  bench_report(&lat);
  oms_journal_close(j);
  remove_journal(dir);
  free(append_at);
  free(durable_at);
}

int main(void) {
  char root[] = "./bench-journal-XXXXXX";
  if (mkdtemp(root) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  make_record();
  printf("# bench_journal: directory %s, records of %u bytes (an encoded OrderSubmitted event)\n",
         root, rec_len);
  run_fdatasync(root, false, "fdatasync_raw");
  run_fdatasync(root, true, "fdatasync_raw_zeroed");
  run_append_os(root);
  run_fsync(root, 10000, "journal_fsync_10k", "journal_append_fsync");
  run_fsync(root, 50000, "journal_fsync_50k", NULL);
  run_fsync(root, 100000, "journal_fsync_100k", NULL);
  /* again: the disk may have changed its mind */
  run_fdatasync(root, false, "fdatasync_raw");
  run_fdatasync(root, true, "fdatasync_raw_zeroed");
  rmdir(root);
  return 0;
}
