/*
 * bench_journal.c - what the journal costs (src/journal, docs/journal.md).
 *
 *   journal_append_os        the append call in os mode (durable when it
 *                            returns): one record of a real encoded event,
 *                            closed loop; copied into the mapped segment
 *                            where the prefaulter is ahead, else pwrite
 *   journal_append_os_paced  the same at 100,000 appends/s (about what the
 *                            core appends at 10,000 orders/s), where the
 *                            prefaulter keeps ahead
 *   journal_append_os_pwrite, journal_append_os_paced_pwrite
 *                            the same two with cfg.append_pwrite (every
 *                            append a pwrite, as before the mapping), in
 *                            rounds alternating with the two above
 *   fdatasync_raw            the floor: pwrite 4 KiB + fdatasync at the next
 *                            offset of a file preallocated with fallocate,
 *                            in the same directory, same run (before and
 *                            after the journal runs)
 *   fdatasync_raw_zeroed     the same in a file whose blocks were written
 *                            with zeros first (no extent to convert)
 *   journal_fsync_10k        fsync mode, 10,000 appends/s paced: the time
 *                            from the append call to on_durable (the
 *                            syncer's fdatasync returned and it published)
 *   fdatasync_raw_paced_10k  its fair floor: the same records written with
 *                            one pwrite each at the same pace into a file
 *                            preallocated like a segment, and a bare thread
 *                            that fdatasyncs in a loop (group commit with no
 *                            journal around it); the time from the pwrite
 *                            to the end of the first sync that began after
 *                            it. Rounds of one second alternate journal,
 *                            raw, journal, raw... so that the file system's
 *                            periodic stalls (ext4 commits, writeback) weigh
 *                            on both; the ratio of the two p99s follows.
 *   fdatasync_raw_paced_10k_zeroed  the same into a file written with zeros
 *   journal_fsync_50k/_100k  the same at 50,000 and 100,000 appends/s
 *                            offered: ops_per_s is what was made durable
 *                            per second (appends / (last durable - first
 *                            append)), p99 the append-to-durable latency
 *   journal_append_fsync     the append call in fsync mode (10k/s run;
 *                            _50k, _100k: in those runs, where the max is
 *                            a segment roll on the appender's thread)
 *
 * Each record is an OrderSubmitted event encoded with oms_event_encode,
 * the size of what the journal store writes per event. The producer stands
 * in for the core thread and never waits; on_durable stamps every LSN that
 * became durable. The journal lives in ./bench-journal-XXXXXX under the
 * working directory (run from build/: the daemon's disk), removed at the
 * end. OMS_BENCH_ROUNDS as everywhere; OMS_BENCH_SPIN_US sets the syncer's
 * spin (-1: none); OMS_BENCH_ZEROED_SEGMENTS=1 writes the fsync runs'
 * segments with zeros instead of fallocate (an experiment);
 * OMS_BENCH_ONLY=10k runs the 10k/s comparison alone, =os the os-mode append lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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
static _Atomic long syncs;

/* When each record (by number: the LSN for the journal) was appended and
 * became durable. */
typedef struct stamps_s {
  uint64_t *append_at;
  uint64_t *durable_at;
  _Atomic uint64_t last_durable;
  uint64_t last; /* the last record appended */
} stamps_t;

static void stamps_init(stamps_t *st, size_t total) {
  st->append_at = calloc(total, sizeof(uint64_t));
  st->durable_at = calloc(total, sizeof(uint64_t));
  if (!st->append_at || !st->durable_at) {
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
  atomic_store(&st->last_durable, 0);
  st->last = 0;
}

static void stamps_free(stamps_t *st) {
  free(st->append_at);
  free(st->durable_at);
}

static void on_durable(void *ctx, uint64_t lsn) {
  stamps_t *st = ctx;
  uint64_t now = bench_now_ns();
  uint64_t from = atomic_load_explicit(&st->last_durable, memory_order_relaxed);
  for (uint64_t t = from + 1; t <= lsn; t++) st->durable_at[t] = now;
  atomic_store_explicit(&st->last_durable, lsn, memory_order_release);
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

static bool by_pwrite; /* cfg.append_pwrite of the next open */

/* Internal (src/journal/journal_int.h): bytes appended through the mapping. */
uint64_t oms__journal_mapped(oms_journal_t *j);

static oms_journal_t *open_journal(const char *dir, oms_journal_durability_t mode,
                                   const oms_journal_io_t *io, stamps_t *st) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, dir);
  cfg.durability = mode;
  cfg.append_pwrite = by_pwrite;
  cfg.create = true;
  cfg.io = io;
  cfg.on_durable = mode == OMS_JOURNAL_FSYNC ? on_durable : NULL;
  cfg.ctx = st;
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
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* One round of os-mode appends into b: closed loop, or paced at gap_ns. */
static void append_os_round(oms_journal_t *j, bench_t *b, uint64_t gap_ns, bool keep) {
  enum { N = 50000 };
  bench_round_begin(b);
  uint64_t start = bench_now_ns();
  for (int i = 0; i < N; i++) {
    if (gap_ns)
      while (bench_now_ns() < start + (uint64_t)i * gap_ns) {
      }
    uint64_t lsn, t0 = bench_now_ns();
    if (oms_journal_append(j, 1, rec, rec_len, &lsn) != 0) {
      fprintf(stderr, "append refused\n");
      exit(1);
    }
    bench_add(b, bench_now_ns() - t0);
  }
  if (keep) bench_round_end(b, 0);
}

/* The append through the mapping and with pwrite, rounds alternating. */
static void run_append_os(const char *root, uint64_t gap_ns, const char *name) {
  enum { N = 50000 };
  char dir[2][512], pname[64];
  snprintf(dir[0], sizeof dir[0], "%s/os", root);
  snprintf(dir[1], sizeof dir[1], "%s/os-pwrite", root);
  snprintf(pname, sizeof pname, "%s_pwrite", name);
  oms_journal_t *j[2];
  for (int k = 0; k < 2; k++) {
    by_pwrite = k == 1;
    j[k] = open_journal(dir[k], OMS_JOURNAL_OS, NULL, NULL);
  }
  by_pwrite = false;
  bench_t b[2];
  bench_init(&b[0], name, N);
  bench_init(&b[1], pname, N);
  int rounds = bench_rounds();
  for (int r = -1; r < rounds; r++)
    for (int k = 0; k < 2; k++)
      append_os_round(j[(r & 1) ? 1 - k : k], &b[(r & 1) ? 1 - k : k], gap_ns, r >= 0);
  for (int k = 0; k < 2; k++) {
    bench_report(&b[k]);
    printf("# %s: %.1f%% of the bytes copied into the mapping, the rest pwrite\n", b[k].name,
           100.0 * (double)oms__journal_mapped(j[k]) /
               (double)(N * (uint64_t)(rounds + 1) * (24 + ((rec_len + 7) & ~7u))));
    oms_journal_close(j[k]);
    remove_journal(dir[k]);
  }
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

/* ---- paced runs: the journal and its fair floor ---- */

/* The raw floor: records written with one pwrite each at the next offset of
 * a preallocated file, and a thread that fdatasyncs in a loop, spinning when
 * there is nothing new: group commit with nothing around it. */
typedef struct raw_s {
  int fd;
  uint64_t off, size;
  _Atomic uint64_t written;
  _Atomic int stop;
  stamps_t *st;
  pthread_t th;
} raw_t;

static void *raw_syncer(void *arg) {
  raw_t *r = arg;
  while (!atomic_load(&r->stop)) {
    uint64_t w = atomic_load(&r->written);
    if (w <= atomic_load_explicit(&r->st->last_durable, memory_order_relaxed)) {
      sched_yield(); /* on a shared machine a pure spin would starve the producer */
      continue;
    }
    if (fdatasync(r->fd) != 0) {
      perror("fdatasync");
      exit(1);
    }
    on_durable(r->st, w);
  }
  return NULL;
}

static void raw_open(raw_t *r, const char *path, bool zeroed, stamps_t *st) {
  enum { SIZE = 64 << 20 };
  memset(r, 0, sizeof *r);
  r->st = st;
  r->size = SIZE;
  r->fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (r->fd < 0 || fallocate(r->fd, 0, 0, SIZE) != 0) {
    perror("open/fallocate");
    exit(1);
  }
  static char zeros[1 << 16];
  for (off_t at = 0; zeroed && at < SIZE; at += (off_t)sizeof zeros)
    if (pwrite(r->fd, zeros, sizeof zeros, at) != (ssize_t)sizeof zeros) {
      perror("pwrite");
      exit(1);
    }
  if (fsync(r->fd) != 0) {
    perror("fsync");
    exit(1);
  }
}

/* The syncer runs during the file's own rounds only: spinning, it would
 * take a core from the journal's. */
static void raw_start(raw_t *r) {
  atomic_store(&r->stop, 0);
  if (pthread_create(&r->th, NULL, raw_syncer, r) != 0) exit(1);
}

static void raw_stop(raw_t *r) {
  atomic_store(&r->stop, 1);
  pthread_join(r->th, NULL);
}

static void raw_close(raw_t *r, const char *path) {
  close(r->fd);
  unlink(path);
}

static int raw_append(void *ctx, uint64_t *n) {
  raw_t *r = ctx;
  static uint8_t frame[OMS_JOURNAL_HEADER_SIZE + OMS_EVENT_BIN_MAX + 8];
  size_t len = (OMS_JOURNAL_HEADER_SIZE + rec_len + 7) & ~(size_t)7;
  memcpy(frame + OMS_JOURNAL_HEADER_SIZE, rec, rec_len);
  if (r->off + len > r->size) r->off = 0; /* never in 1 s rounds at 10k/s */
  if (pwrite(r->fd, frame, len, (off_t)r->off) != (ssize_t)len) {
    perror("pwrite");
    exit(1);
  }
  r->off += len;
  *n = atomic_load(&r->written) + 1;
  atomic_store(&r->written, *n);
  return 0;
}

static int journal_append(void *ctx, uint64_t *n) {
  return oms_journal_append(ctx, 1, rec, rec_len, n);
}

/* One second of appends at rate, paced; then waits until all are durable.
 * Adds to lat (append to durable) and app (the append call) unless warm-up. */
static void paced_round(int rate, int (*append)(void *, uint64_t *), void *ctx, stamps_t *st,
                        bench_t *lat, bench_t *app, bool warmup) {
  size_t per = (size_t)rate;
  uint64_t step = 1000000000u / (uint64_t)rate;
  uint64_t first = st->last + 1;
  uint64_t start = bench_now_ns();
  if (app) bench_round_begin(app);
  for (size_t i = 0; i < per; i++) {
    uint64_t due = start + (uint64_t)i * step;
    while (bench_now_ns() < due) {
    }
    uint64_t t0 = bench_now_ns();
    st->append_at[st->last + 1] = t0; /* before: the syncer may stamp it durable first */
    if (append(ctx, &st->last) != 0) {
      fprintf(stderr, "append refused\n");
      exit(1);
    }
    if (app) bench_add(app, bench_now_ns() - t0);
  }
  while (atomic_load_explicit(&st->last_durable, memory_order_acquire) < st->last) {
  }
  if (warmup) return;
  uint64_t elapsed = st->durable_at[st->last] - st->append_at[first];
  if (app) bench_round_end(app, elapsed);
  bench_round_begin(lat);
  for (uint64_t t = first; t <= st->last; t++) bench_add(lat, st->durable_at[t] - st->append_at[t]);
  bench_round_end(lat, elapsed);
}

static oms_journal_t *open_fsync_journal(const char *dir, stamps_t *st) {
  oms_journal_io_t io = {0};
  io.fdatasync = count_sync;
  /* Experiment: segments whose blocks are written with zeros (the fallback
   * for file systems without fallocate), so a sync converts no extent. */
  if (getenv("OMS_BENCH_ZEROED_SEGMENTS")) io.fallocate = refuse_fallocate;
  atomic_store(&syncs, 0);
  return open_journal(dir, OMS_JOURNAL_FSYNC, &io, st);
}

static void print_syncs(const char *name, uint64_t n) {
  long n_sync = atomic_load(&syncs);
  printf("# %s: %llu appends of %u bytes, %ld fdatasyncs (%.1f appends per sync)\n", name,
         (unsigned long long)n, rec_len, n_sync, (double)n / (double)(n_sync ? n_sync : 1));
}

/* The journal at 10k/s against its fair floors, in alternating rounds. */
static void run_fsync_10k(const char *root) {
  enum { RATE = 10000 };
  char dir[512], raw_path[512], zero_path[512];
  snprintf(dir, sizeof dir, "%s/fsync-10k", root);
  snprintf(raw_path, sizeof raw_path, "%s/raw-paced.bin", root);
  snprintf(zero_path, sizeof zero_path, "%s/raw-paced-zeroed.bin", root);
  int rounds = bench_rounds();
  size_t total = (size_t)RATE * (size_t)(rounds + 1) + 2;
  stamps_t sj, sr, sz;
  stamps_init(&sj, total);
  stamps_init(&sr, total);
  stamps_init(&sz, total);
  oms_journal_t *j = open_fsync_journal(dir, &sj);
  raw_t raw, zero;
  raw_open(&raw, raw_path, false, &sr);
  raw_open(&zero, zero_path, true, &sz);
  bench_t lat, app, rlat, zlat;
  bench_init(&lat, "journal_fsync_10k", RATE);
  bench_init(&app, "journal_append_fsync", RATE);
  bench_init(&rlat, "fdatasync_raw_paced_10k", RATE);
  bench_init(&zlat, "fdatasync_raw_paced_10k_zeroed", RATE);
  uint64_t ratio[BENCH_MAX_ROUNDS];
  for (int r = -1; r < rounds; r++) { /* round -1 warms up */
    paced_round(RATE, journal_append, j, &sj, &lat, &app, r < 0);
    raw_start(&raw);
    paced_round(RATE, raw_append, &raw, &sr, &rlat, NULL, r < 0);
    raw_stop(&raw);
    raw_start(&zero);
    paced_round(RATE, raw_append, &zero, &sz, &zlat, NULL, r < 0);
    raw_stop(&zero);
    if (r >= 0) ratio[r] = lat.p99[r] * 100 / (rlat.p99[r] ? rlat.p99[r] : 1);
  }
  print_syncs("journal_fsync_10k", sj.last);
  uint64_t jp99 = bench_median(lat.p99, rounds), rp99 = bench_median(rlat.p99, rounds);
  bench_report(&app);
  bench_report(&lat);
  bench_report(&rlat);
  bench_report(&zlat);
  printf(
      "# fsync_10k_ratio: journal p99 %llu ns / raw paced p99 %llu ns = %.2fx (medians of %d "
      "rounds); median of the per-round ratios %.2fx\n",
      (unsigned long long)jp99, (unsigned long long)rp99, (double)jp99 / (double)(rp99 ? rp99 : 1),
      rounds, (double)bench_median(ratio, rounds) / 100.0);
  oms_journal_close(j);
  raw_close(&raw, raw_path);
  raw_close(&zero, zero_path);
  remove_journal(dir);
  stamps_free(&sj);
  stamps_free(&sr);
  stamps_free(&sz);
}

/* Paced appends in fsync mode at rate; latency from the append to on_durable. */
static void run_fsync(const char *root, int rate, const char *name) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/fsync-%d", root, rate);
  int rounds = bench_rounds();
  stamps_t st;
  stamps_init(&st, (size_t)rate * (size_t)(rounds + 1) + 2);
  oms_journal_t *j = open_fsync_journal(dir, &st);
  bench_t lat, app;
  char app_name[64];
  snprintf(app_name, sizeof app_name, "journal_append_fsync_%dk", rate / 1000);
  bench_init(&lat, name, (size_t)rate);
  bench_init(&app, app_name, (size_t)rate);
  for (int r = -1; r < rounds; r++) paced_round(rate, journal_append, j, &st, &lat, &app, r < 0);
  print_syncs(name, st.last);
  bench_report(&app); /* its max: a segment roll on the appender's thread */
  bench_report(&lat);
  oms_journal_close(j);
  remove_journal(dir);
  stamps_free(&st);
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
  const char *only = getenv("OMS_BENCH_ONLY");
  if (only && strcmp(only, "10k") == 0) {
    run_fsync_10k(root);
    rmdir(root);
    return 0;
  }
  if (only && strcmp(only, "os") == 0) {
    run_append_os(root, 0, "journal_append_os");
    run_append_os(root, 10000, "journal_append_os_paced");
    rmdir(root);
    return 0;
  }
  run_fdatasync(root, false, "fdatasync_raw");
  run_fdatasync(root, true, "fdatasync_raw_zeroed");
  run_append_os(root, 0, "journal_append_os");
  run_append_os(root, 10000, "journal_append_os_paced");
  run_fsync_10k(root);
  run_fsync(root, 50000, "journal_fsync_50k");
  run_fsync(root, 100000, "journal_fsync_100k");
  /* again: the disk may have changed its mind */
  run_fdatasync(root, false, "fdatasync_raw");
  run_fdatasync(root, true, "fdatasync_raw_zeroed");
  rmdir(root);
  return 0;
}
