/* test_journal.c - the live journal: open and create, append and read in
 * both durability modes, units, segment roll, concurrent readers, the
 * syncer's group commit, retention, and the fault sweep over the seam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "core/alloc.h"
#include "journal/journal_int.h"
#include "journal_fixture.h"

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static oms_journal_t *jopen(const jdir_t *d, oms_journal_durability_t mode, uint64_t seg,
                            const oms_journal_io_t *io) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = mode;
  cfg.segment_bytes = seg;
  cfg.create = true;
  cfg.io = io;
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0)
    fail_msg("open: %s: %s at %s:%" PRIu64, oms_err_name(rc), err.text, err.file, err.offset);
  return j;
}

static void test_missing_journal_is_not_found_without_create(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d.dir);
  oms_journal_t *j = (oms_journal_t *)&cfg;
  oms_journal_error_t err;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_ENOTFOUND);
  assert_null(j);
  mkdir(d.dir, 0755); /* an empty directory: still no journal */
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_ENOTFOUND);
  cfg.create = true;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), 0);
  assert_int_equal(oms_journal_written(j), 0);
  oms_journal_close(j);
  cfg.create = false; /* now it has a segment */
  assert_int_equal(oms_journal_open(&cfg, &j, &err), 0);
  oms_journal_close(j);
  oms_journal_close(NULL);
  jdir_remove(&d);
}

static void test_os_mode_is_durable_in_the_append(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 0, NULL);
  uint64_t lsn = 0;
  assert_int_equal(oms_journal_append(j, 7, "hello", 5, &lsn), 0);
  assert_int_equal(lsn, 1);
  assert_int_equal(oms_journal_written(j), 1);
  assert_int_equal(oms_journal_durable(j), 1);
  struct pollfd p = {oms_journal_durable_fd(j), POLLIN, 0};
  assert_int_equal(poll(&p, 1, 0), 1);
  assert_int_equal(append_units(j, 10, 3), 0);
  assert_int_equal(oms_journal_durable(j), 31);
  assert_int_equal(oms_journal_wait(j, 31, 0), 0);
  assert_int_equal(oms_journal_wait(j, 31, 999999999), 0);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 2, true, collect_cb, &c), 0);
  assert_int_equal(c.count, 30);
  assert_int_equal(c.first, 2);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  jdir_remove(&d);
}

/* In os mode the eventfd costs nothing until someone asks for it; asked
 * for, it is readable at once (something is durable) and again after every
 * append. */
static void test_os_mode_writes_the_eventfd_once_asked_for(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 0, NULL);
  uint64_t lsn = 0;
  assert_int_equal(append_units(j, 5, 1), 0);
  int fd = oms_journal_durable_fd(j);
  uint64_t v = 0;
  assert_int_equal(read(fd, &v, sizeof v), (ssize_t)sizeof v);
  assert_int_equal(v, 1); /* one kick for the five appends before */
  struct pollfd p = {oms_journal_durable_fd(j), POLLIN, 0};
  assert_int_equal(poll(&p, 1, 0), 0); /* asking again does not kick */
  assert_int_equal(oms_journal_append(j, 7, "again", 5, &lsn), 0);
  assert_int_equal(poll(&p, 1, 0), 1);
  assert_int_equal(read(fd, &v, sizeof v), (ssize_t)sizeof v);
  assert_int_equal(v, 1);
  oms_journal_close(j);
  jdir_remove(&d);
}

static void test_fsync_mode_durable_after_sync(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  fault_t f;
  oms_journal_io_t io;
  fault_init(&f, &io);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_FSYNC, 0, &io);
  long syncs0 = atomic_load(&f.calls[IO_FDATASYNC]);
  assert_int_equal(append_units(j, 2000, 1), 0);
  assert_int_equal(oms_journal_written(j), 2000);
  assert_int_equal(oms_journal_wait(j, 2000, 10 * 1000000000LL), 0);
  assert_true(oms_journal_durable(j) >= 2000);
  long syncs = atomic_load(&f.calls[IO_FDATASYNC]) - syncs0;
  assert_true(syncs >= 1);
  assert_true(syncs < 2000); /* group commit: a burst shares syncs */
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 1, true, collect_cb, &c), 0);
  assert_int_equal(c.count, 2000);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);

  /* Everything comes back after a reopen, and appends continue. */
  j = jopen(&d, OMS_JOURNAL_FSYNC, 0, NULL);
  assert_int_equal(oms_journal_written(j), 2000);
  assert_int_equal(oms_journal_durable(j), 2000);
  assert_int_equal(append_units(j, 5, 2), 0);
  assert_int_equal(oms_journal_wait(j, 2010, -1), 0);
  assert_int_equal(oms_journal_wait(j, 2011, 1000000), OMS_ETIMEDOUT);
  oms_journal_close(j);
  jdir_remove(&d);
}

typedef struct seen_s {
  uint16_t flags[16], type[16];
  int n;
} seen_t;

static int see(void *ctx, const oms_journal_entry_t *e) {
  seen_t *s = ctx;
  s->flags[s->n] = e->flags;
  s->type[s->n] = e->type;
  s->n++;
  return 0;
}

static void test_units_flags_and_refusals(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 8192, NULL);
  assert_int_equal(append_units(j, 3, 4), 0);
  /* Readers see the unit's flags: MORE on all but its last record. */
  seen_t s = {0};
  assert_int_equal(oms_journal_read(j, 1, false, see, &s), 0);
  assert_int_equal(s.n, 12);
  for (int i = 0; i < 12; i++) {
    assert_int_equal(s.flags[i], i % 4 == 3 ? 0 : OMS_JOURNAL_F_MORE);
    assert_int_equal(s.type[i], 100 + i % 4);
  }
  uint64_t last = 99;
  static uint8_t big[8192];
  oms_journal_rec_t r[2] = {{1, big, 4000}, {2, big, 4200}};
  assert_int_equal(oms_journal_append_unit(j, r, 2, &last), OMS_EINVAL); /* > a segment */
  assert_int_equal(last, 0);
  assert_int_equal(oms_journal_append(j, 1, NULL, 3, NULL), OMS_EINVAL);
  assert_int_equal(oms_journal_append(j, 1, big, OMS_JOURNAL_PAYLOAD_MAX + 1, NULL), OMS_EINVAL);
  assert_int_equal(oms_journal_append_unit(j, r, 0, NULL), OMS_EINVAL);
  assert_int_equal(oms_journal_append_unit(NULL, r, 1, NULL), OMS_EINVAL);
  assert_int_equal(oms_journal_append(j, 5, NULL, 0, &last), 0); /* an empty payload is fine */
  assert_int_equal(last, 13);
  assert_int_equal(oms_journal_written(j), 13);
  assert_int_equal(oms_journal_read(j, 1, false, NULL, NULL), OMS_EINVAL);
  assert_int_equal(oms_journal_read(NULL, 1, false, collect_cb, NULL), OMS_EINVAL);
  assert_int_equal(oms_journal_release(NULL, 1), OMS_EINVAL);
  assert_int_equal(oms_journal_wait(NULL, 1, 0), OMS_EINVAL);
  assert_false(oms_journal_failed(j));
  oms_journal_error_t err;
  oms_journal_last_error(j, &err);
  assert_string_equal(err.text, "");
  oms_journal_close(j);

  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d.dir);
  cfg.segment_bytes = 100;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_EINVAL);
  cfg.segment_bytes = 0;
  cfg.durability = (oms_journal_durability_t)7;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_EINVAL);
  assert_int_equal(oms_journal_open(NULL, &j, NULL), OMS_EINVAL);
  cfg.dir = "";
  cfg.durability = OMS_JOURNAL_OS;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_EINVAL);
  jdir_remove(&d);
}

/* Small segments: a unit never spans two, reads cross them from any LSN. */
static void test_roll_across_many_segments_and_read_from_any_lsn(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  fault_t f;
  oms_journal_io_t io;
  fault_init(&f, &io);
  f.no_sync = 1;
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 4096, &io);
  assert_int_equal(append_units(j, 600, 2), 0);
  long opens = atomic_load(&f.calls[IO_OPEN]);
  assert_true(opens > 50); /* one per segment, and the directory */
  for (uint64_t from = 1; from <= 1200; from += 37) {
    collect_t c = {0};
    assert_int_equal(oms_journal_read(j, from, false, collect_cb, &c), 0);
    assert_int_equal(c.first, from);
    assert_int_equal(c.last, 1200);
    assert_int_equal(c.bad, 0);
  }
  /* A reader that follows: each read starts where the last ended. */
  collect_t all = {0};
  for (uint64_t from = 1; from <= 1200; from = all.last + 1) {
    all.stop_at = from + 50;
    int rc = oms_journal_read(j, from, true, collect_cb, &all);
    assert_true(rc == 0 || rc == 7);
  }
  assert_int_equal(all.count, 1200);
  assert_int_equal(all.bad, 0);
  collect_t none = {0};
  assert_int_equal(oms_journal_read(j, 1201, false, collect_cb, &none), 0);
  assert_int_equal(none.count, 0);
  oms_journal_close(j);

  j = jopen(&d, OMS_JOURNAL_OS, 4096, &io);
  assert_int_equal(oms_journal_written(j), 1200);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_int_equal(c.count, 1200);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  jdir_remove(&d);
}

/* Framing in place (oms__journal_reserve/commit, the journal store's path):
 * the same records as oms_journal_append, across segment rolls, give the
 * same files byte for byte (os mode, with and without the mapping) and read
 * back (fsync mode, whose durable marks depend on the syncer's timing);
 * a payload longer than the room is refused and leaves nothing behind. */
static uint64_t inplace_append(oms_journal_t *j, uint64_t lsn) {
  uint8_t *p;
  assert_int_equal(oms__journal_reserve(j, &p), 0);
  uint32_t len = plen(lsn);
  pfill(p, lsn, len);
  uint64_t got = 0;
  assert_int_equal(oms__journal_commit(j, 100, len, &got), 0);
  return got;
}

static void same_files(const jdir_t *a, const jdir_t *b) {
  uint64_t *sa, *sb;
  size_t na, nb;
  oms_journal_error_t err;
  assert_int_equal(oms__jseg_list(a->dir, &sa, &na, &err), 0);
  assert_int_equal(oms__jseg_list(b->dir, &sb, &nb, &err), 0);
  assert_int_equal(na, nb);
  assert_true(na > 3);
  static uint8_t fa[8192], fb[8192];
  for (size_t i = 0; i < na; i++) {
    assert_int_equal(sa[i], sb[i]);
    char pa[PATH_MAX], pb[PATH_MAX];
    jseg(a, sa[i], pa, sizeof pa);
    jseg(b, sb[i], pb, sizeof pb);
    int da = open(pa, O_RDONLY), db = open(pb, O_RDONLY);
    assert_true(da >= 0 && db >= 0);
    ssize_t ra = read(da, fa, sizeof fa), rb = read(db, fb, sizeof fb);
    assert_true(ra > 0 && ra == rb && (size_t)ra < sizeof fa);
    assert_memory_equal(fa, fb, (size_t)ra);
    close(da);
    close(db);
  }
  oms__free(sa);
  oms__free(sb);
}

static void inplace_run(oms_journal_durability_t mode, bool seam) {
  enum { N = 300 };
  jdir_t da, db;
  jdir_make(&da);
  jdir_make(&db);
  fault_t f;
  oms_journal_io_t io;
  fault_init(&f, &io);
  f.no_sync = 1;
  oms_journal_t *a = jopen(&da, mode, 4096, seam ? &io : NULL);
  oms_journal_t *b = jopen(&db, mode, 4096, seam ? &io : NULL);
  uint8_t buf[600];
  for (uint64_t lsn = 1; lsn <= N; lsn++) {
    uint64_t got = 0;
    pfill(buf, lsn, plen(lsn));
    assert_int_equal(oms_journal_append(a, 100, buf, plen(lsn), &got), 0);
    assert_int_equal(got, lsn);
    assert_int_equal(inplace_append(b, lsn), lsn);
    assert_int_equal(oms_journal_written(b), lsn);
    if (mode == OMS_JOURNAL_OS) assert_int_equal(oms_journal_durable(b), lsn);
  }
  /* Refused: too long for the room (nothing written), and a cancel. */
  uint8_t *p;
  uint64_t got = 9;
  assert_int_equal(oms__journal_reserve(b, &p), 0);
  assert_int_equal(oms__journal_commit(b, 100, OMS__JOURNAL_INPLACE_MAX + 1, &got), OMS_EINVAL);
  assert_int_equal(got, 0);
  assert_int_equal(oms__journal_reserve(b, &p), 0);
  oms__journal_cancel(b);
  assert_int_equal(oms_journal_written(b), N);
  assert_int_equal(oms_journal_wait(b, N, 5000000000LL), 0);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(b, 0, true, collect_cb, &c), 0);
  assert_int_equal(c.count, N);
  assert_int_equal(c.bad, 0);
  oms_journal_close(a);
  oms_journal_close(b);
  if (mode == OMS_JOURNAL_OS) same_files(&da, &db);
  b = jopen(&db, mode, 4096, seam ? &io : NULL);
  assert_int_equal(oms_journal_written(b), N);
  assert_int_equal(inplace_append(b, N + 1), N + 1);
  oms_journal_close(b);
  jdir_remove(&da);
  jdir_remove(&db);
}

static void test_inplace_framing_writes_what_append_writes(void **state) {
  (void)state;
  inplace_run(OMS_JOURNAL_OS, false);
  inplace_run(OMS_JOURNAL_OS, true);
  inplace_run(OMS_JOURNAL_FSYNC, true);
}

static int big_cb(void *ctx, const oms_journal_entry_t *e) {
  int *ok = ctx;
  const uint8_t *p = e->data;
  for (uint32_t i = 0; i < e->len; i += 4093)
    if (p[i] != (uint8_t)(i * 31 + e->lsn)) return 1;
  (*ok)++;
  return 0;
}

/* A record larger than the append buffer is written in pieces. */
static void test_large_records(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_FSYNC, 3u << 20, NULL);
  uint8_t *big = malloc(OMS_JOURNAL_PAYLOAD_MAX);
  for (int k = 1; k <= 4; k++) {
    for (uint32_t i = 0; i < OMS_JOURNAL_PAYLOAD_MAX; i++) big[i] = (uint8_t)(i * 31 + (uint32_t)k);
    uint64_t lsn;
    assert_int_equal(oms_journal_append(j, 9, big, OMS_JOURNAL_PAYLOAD_MAX - (uint32_t)k, &lsn), 0);
    assert_int_equal(lsn, k);
  }
  assert_int_equal(oms_journal_wait(j, 4, 10 * 1000000000LL), 0);
  oms_journal_close(j);
  j = jopen(&d, OMS_JOURNAL_FSYNC, 3u << 20, NULL);
  int ok = 0;
  assert_int_equal(oms_journal_read(j, 1, true, big_cb, &ok), 0);
  assert_int_equal(ok, 4);
  oms_journal_close(j);
  free(big);
  jdir_remove(&d);
}

/* ---- a reader on another thread while the core appends ---- */

typedef struct follow_s {
  oms_journal_t *j;
  uint64_t target;
  collect_t c;
  int errors;
} follow_t;

static void *follower(void *arg) {
  follow_t *f = arg;
  while (f->c.last < f->target) {
    int rc = oms_journal_read(f->j, f->c.last + 1, true, collect_cb, &f->c);
    if (rc != 0) f->errors++;
    if (oms_journal_durable(f->j) < f->c.last) f->errors++; /* read past durable */
  }
  return NULL;
}

typedef struct durables_s {
  _Atomic uint64_t last;
  _Atomic int backwards;
} durables_t;

static void on_durable(void *ctx, uint64_t lsn) {
  durables_t *d = ctx;
  if (lsn <= atomic_load(&d->last)) atomic_fetch_add(&d->backwards, 1);
  atomic_store(&d->last, lsn);
}

static void test_concurrent_reader_while_appending(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  fault_t fa;
  oms_journal_io_t io;
  fault_init(&fa, &io);
  fa.no_sync = 1;
  durables_t du = {0};
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d.dir);
  cfg.segment_bytes = 64 * 1024;
  cfg.create = true;
  cfg.io = &io;
  cfg.on_durable = on_durable;
  cfg.ctx = &du;
  cfg.syncer_spin_ns = -1; /* sleep at once: the wake-up path */
  oms_journal_t *j;
  assert_int_equal(oms_journal_open(&cfg, &j, NULL), 0);
  follow_t f = {.j = j, .target = 20000};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, follower, &f), 0);
  assert_int_equal(append_units(j, 10000, 2), 0);
  pthread_join(t, NULL);
  assert_int_equal(f.errors, 0);
  assert_int_equal(f.c.count, 20000);
  assert_int_equal(f.c.bad, 0);
  assert_int_equal(atomic_load(&du.backwards), 0);
  assert_int_equal(atomic_load(&du.last), 20000);
  /* The eventfd said so. */
  uint64_t v = 0;
  assert_int_equal(read(oms_journal_durable_fd(j), &v, sizeof v), (ssize_t)sizeof v);
  assert_true(v >= 1);
  long syncs = atomic_load(&fa.calls[IO_FDATASYNC]);
  assert_true(syncs < 20000);
  oms_journal_close(j);
  jdir_remove(&d);
}

/* ---- retention ---- */

static void test_release_deletes_whole_segments_below_keep(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  fault_t f;
  oms_journal_io_t io;
  fault_init(&f, &io);
  f.no_sync = 1;
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 4096, &io);
  assert_int_equal(append_units(j, 300, 1), 0);
  assert_int_equal(oms_journal_release(j, 1), 0);
  int gone = oms_journal_release(j, 150);
  assert_true(gone > 5);
  assert_int_equal(atomic_load(&f.calls[IO_UNLINK]), gone);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 1, false, collect_cb, &c), OMS_ENOTFOUND);
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_true(c.first <= 150); /* the segment holding 150 stays */
  assert_true(c.first > 1);
  assert_int_equal(c.last, 300);
  assert_int_equal(c.bad, 0);
  collect_t c2 = {0};
  assert_int_equal(oms_journal_read(j, 150, false, collect_cb, &c2), 0);
  assert_int_equal(c2.first, 150);
  /* Everything released but the current segment (and the one before it
   * until the sealer has sealed their roll). */
  assert_true(oms_journal_release(j, UINT64_MAX) > 0);
  for (int w = 0; w < 10000 && oms__journal_unsealed(j) != 0; w++) sleep_ms(1);
  assert_int_equal(oms__journal_unsealed(j), 0);
  (void)oms_journal_release(j, UINT64_MAX);
  assert_int_equal(oms_journal_release(j, UINT64_MAX), 0);
  assert_int_equal(append_units(j, 1, 1), 0);
  uint64_t first = 0;
  collect_t c3 = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c3), 0);
  first = c3.first;
  oms_journal_close(j);
  j = jopen(&d, OMS_JOURNAL_OS, 4096, &io);
  assert_int_equal(oms_journal_written(j), 301);
  collect_t c4 = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c4), 0);
  assert_int_equal(c4.first, first);
  assert_int_equal(c4.bad, 0);
  /* A failed unlink is reported; the journal goes on. */
  assert_int_equal(append_units(j, 100, 1), 0);
  f.fail_fn = IO_UNLINK;
  f.fail_at = 1;
  f.fail_errno = EIO;
  assert_int_equal(oms_journal_release(j, UINT64_MAX), OMS_ESTORE);
  assert_false(oms_journal_failed(j));
  assert_int_equal(append_units(j, 1, 1), 0);
  oms_journal_close(j);
  jdir_remove(&d);
}

/* Where fallocate is refused, segments are written with zeros instead. */
static void test_preallocation_without_fallocate(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  fault_t f;
  oms_journal_io_t io;
  fault_init(&f, &io);
  f.refuse_fallocate = 1;
  f.no_sync = 1;
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 200 * 1024, &io);
  char path[PATH_MAX];
  jseg(&d, 1, path, sizeof path);
  assert_int_equal(fsize(path), 200 * 1024);
  assert_true(atomic_load(&f.calls[IO_FTRUNCATE]) >= 1);
  assert_int_equal(append_units(j, 10, 1), 0);
  oms_journal_close(j);
  assert_int_equal(truncate(path, 8192), 0); /* shorter than a segment: made whole again */
  j = jopen(&d, OMS_JOURNAL_OS, 200 * 1024, &io);
  assert_int_equal(fsize(path), 200 * 1024);
  assert_int_equal(oms_journal_written(j), 10);
  oms_journal_close(j);
  jdir_remove(&d);
}

/* ---- the fault sweep ---- */

typedef struct sweep_s {
  fault_t f;
  oms_journal_t *_Atomic j;
  _Atomic uint64_t synced_bound; /* written at the start of a successful fdatasync */
  _Atomic uint64_t max_durable;
  _Atomic int violations;
  _Atomic int errors;
  oms_journal_error_t err;
} sweep_t;

static int s_fdatasync(void *ctx, int fd) {
  sweep_t *s = ctx;
  oms_journal_t *j = atomic_load(&s->j);
  uint64_t w = j ? oms_journal_written(j) : 0;
  if (fault_hit(&s->f, IO_FDATASYNC)) return -1;
  uint64_t b = atomic_load(&s->synced_bound);
  while (b < w && !atomic_compare_exchange_weak(&s->synced_bound, &b, w)) {
  }
  (void)fd;
  return 0; /* no power is cut here: the order of events is what is checked */
}
static int s_open(void *ctx, const char *p, int fl, mode_t m) { return f_open(ctx, p, fl, m); }
static ssize_t s_pwrite(void *ctx, int fd, const void *b, size_t n, off_t o) {
  return f_pwrite(ctx, fd, b, n, o);
}
static ssize_t s_pread(void *ctx, int fd, void *b, size_t n, off_t o) {
  return f_pread(ctx, fd, b, n, o);
}
static int s_fallocate(void *ctx, int fd, off_t o, off_t l) { return f_fallocate(ctx, fd, o, l); }
static int s_ftruncate(void *ctx, int fd, off_t l) { return f_ftruncate(ctx, fd, l); }
static int s_unlink(void *ctx, const char *p) { return f_unlink(ctx, p); }
static int s_rename(void *ctx, const char *a, const char *b) { return f_rename(ctx, a, b); }

static void s_on_durable(void *ctx, uint64_t lsn) {
  sweep_t *s = ctx;
  if (lsn > atomic_load(&s->synced_bound)) atomic_fetch_add(&s->violations, 1);
  atomic_store(&s->max_durable, lsn);
}
static void s_on_error(void *ctx, const oms_journal_error_t *err) {
  sweep_t *s = ctx;
  s->err = *err;
  atomic_fetch_add(&s->errors, 1);
}

/* The scripted workload: open, appends with waits, rolls, a read, a
 * release. Checks what must hold whatever failed; returns the LSN the
 * journal reported durable last. */
static uint64_t workload(const jdir_t *d, oms_journal_durability_t mode, sweep_t *s) {
  oms_journal_io_t io = {s_open,   s_pwrite, s_pread, s_fdatasync, s_fallocate, s_ftruncate,
                         s_unlink, s_rename, s};
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = mode;
  cfg.segment_bytes = 4096;
  cfg.create = true;
  cfg.io = &io;
  cfg.on_durable = s_on_durable;
  cfg.on_error = s_on_error;
  cfg.ctx = s;
  oms_journal_t *j;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0) {
    assert_int_equal(rc, OMS_ESTORE);
    assert_int_equal(err.sys_errno, s->f.fail_errno);
    return 0;
  }
  atomic_store(&s->j, j);
  /* The first roll takes the sealer's spare (a rename) when one is ready:
   * wait for it to be made or refused, so that both paths are swept. */
  for (int w = 0; w < 2000 && oms__journal_spare_state(j) == 0; w++) usleep(500);
  bool failed = false;
  for (int u = 0; u < 40; u++) {
    rc = append_units(j, 1, 2);
    if (rc != 0) {
      assert_int_equal(rc, OMS_ESTORE);
      failed = true;
      break;
    }
    if (u % 5 == 4) {
      rc = oms_journal_wait(j, oms_journal_written(j), 10 * 1000000000LL);
      if (rc != 0) {
        assert_int_equal(rc, OMS_ESTORE);
        failed = true;
        break;
      }
    }
  }
  if (failed || oms_journal_failed(j)) {
    uint64_t dur = oms_journal_durable(j);
    assert_true(oms_journal_failed(j));
    assert_int_equal(append_units(j, 1, 1), OMS_ESTORE); /* refused from now on */
    assert_int_equal(oms_journal_wait(j, oms_journal_written(j) + 1, -1), OMS_ESTORE);
    oms_journal_error_t e;
    oms_journal_last_error(j, &e);
    assert_int_equal(e.sys_errno, s->f.fail_errno);
    assert_true(e.file[0] != '\0');
    for (int i = 0; i < 1000 && atomic_load(&s->errors) == 0; i++) usleep(1000);
    assert_int_equal(atomic_load(&s->errors), 1);
    /* A sync that succeeded before the failure may still publish (checked
     * against what was synced by s_on_durable); nothing written after it can. */
    assert_true(oms_journal_durable(j) <= oms_journal_written(j));
    assert_true(oms_journal_durable(j) >= dur);
  }
  collect_t c = {0};
  rc = oms_journal_read(j, 1, true, collect_cb, &c);
  assert_true(rc == 0 || rc == OMS_ESTORE);
  assert_int_equal(c.bad, 0);
  rc = oms_journal_release(j, oms_journal_written(j) / 2);
  assert_true(rc >= 0 || rc == OMS_ESTORE);
  uint64_t durable = oms_journal_durable(j);
  oms_journal_close(j); /* its last sync is checked too */
  atomic_store(&s->j, NULL);
  if (mode == OMS_JOURNAL_FSYNC) assert_int_equal(atomic_load(&s->violations), 0);
  uint64_t md = atomic_load(&s->max_durable);
  return md > durable ? md : durable;
}

static void sweep_mode(oms_journal_durability_t mode, int refuse_fallocate) {
  /* A clean run counts the calls of each function. */
  jdir_t d;
  jdir_make(&d);
  sweep_t *s = calloc(1, sizeof *s);
  s->f.fail_fn = IO_N;
  s->f.refuse_fallocate = refuse_fallocate;
  workload(&d, mode, s);
  long calls[IO_N];
  for (int fn = 0; fn < IO_N; fn++) calls[fn] = atomic_load(&s->f.calls[fn]);
  assert_true(calls[IO_RENAME] > 0); /* a roll took the sealer's spare */
  jdir_remove(&d);
  static const int errnos[] = {ENOSPC, EIO};
  int runs = 0;
  for (int fn = 0; fn < IO_N; fn++) {
    for (long k = 1; k <= calls[fn] + 1; k++) {
      for (size_t e = 0; e < 2; e++) {
        jdir_make(&d);
        memset(s, 0, sizeof *s);
        s->f.fail_fn = fn;
        s->f.fail_at = k;
        s->f.fail_errno = errnos[e];
        s->f.refuse_fallocate = refuse_fallocate;
        uint64_t durable = workload(&d, mode, s);
        runs++;
        /* Reopened without faults: at least the durable prefix, intact. */
        fault_t clean;
        oms_journal_io_t io;
        fault_init(&clean, &io);
        clean.no_sync = 1;
        oms_journal_config_t cfg;
        oms_journal_config_init(&cfg, d.dir);
        cfg.durability = mode;
        cfg.segment_bytes = 4096;
        cfg.create = true;
        cfg.io = &io;
        oms_journal_t *j;
        oms_journal_error_t err;
        int rc = oms_journal_open(&cfg, &j, &err);
        if (rc != 0)
          fail_msg("fn %d k %ld: reopen: %s %s at %s:%" PRIu64, fn, k, oms_err_name(rc), err.text,
                   err.file, err.offset);
        uint64_t w = oms_journal_written(j);
        if (w < durable)
          fail_msg("fn %d k %ld: durable %" PRIu64 " but %" PRIu64 " back", fn, k, durable, w);
        collect_t c = {0};
        rc = oms_journal_read(j, 0, false, collect_cb, &c);
        assert_int_equal(rc, 0);
        assert_int_equal(c.bad, 0);
        assert_int_equal(c.last, w);
        assert_int_equal(append_units(j, 1, 1), 0); /* and it goes on */
        assert_int_equal(oms_journal_written(j), w + 1);
        oms_journal_close(j);
        jdir_remove(&d);
      }
    }
  }
  assert_true(runs > 50);
  free(s);
}

static void test_fault_sweep_fsync(void **state) {
  (void)state;
  sweep_mode(OMS_JOURNAL_FSYNC, 0);
}

static void test_fault_sweep_os(void **state) {
  (void)state;
  sweep_mode(OMS_JOURNAL_OS, 0);
}

static void test_fault_sweep_without_fallocate(void **state) {
  (void)state;
  sweep_mode(OMS_JOURNAL_FSYNC, 1);
}

/* ---- os mode: appends through the segment mapping ---- */

static oms_journal_t *jopen_os(const jdir_t *d, uint64_t seg, bool by_pwrite) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = OMS_JOURNAL_OS;
  cfg.segment_bytes = seg;
  cfg.create = true;
  cfg.append_pwrite = by_pwrite;
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0) fail_msg("open: %s: %s", oms_err_name(rc), err.text);
  return j;
}

/* Appends in bursts with pauses (the prefaulter gets ahead) over several
 * segments: most bytes go through the mapping, and what readers, the
 * reopen and the recovery see is exactly what was appended. */
static void test_os_mode_appends_through_the_mapping(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen_os(&d, 64u << 10, false);
  for (int burst = 0; burst < 60; burst++) {
    assert_int_equal(append_units(j, 20, 3), 0);
    sleep_ms(3);
  }
  uint64_t n = oms_journal_written(j);
  assert_int_equal(n, 3600);
  assert_true(oms__journal_mapped(j) > 0);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 1, true, collect_cb, &c), 0);
  assert_int_equal(c.count, n);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  oms_journal_error_t err;
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_string_equal(err.text, "");
  j = jopen_os(&d, 64u << 10, false);
  assert_int_equal(oms_journal_written(j), n);
  assert_int_equal(append_units(j, 5, 3), 0); /* continues in the resumed map */
  collect_t all = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &all), 0);
  assert_int_equal(all.count, n + 15);
  assert_int_equal(all.bad, 0);
  oms_journal_close(j);

  /* Past 4 MiB in one segment the prefaulter has started writeback behind
   * the appends (sync_file_range): nothing to see but the same records. */
  jdir_t d2;
  jdir_make(&d2);
  j = jopen_os(&d2, 16u << 20, false);
  for (int burst = 0; burst < 40; burst++) {
    assert_int_equal(append_units(j, 250, 3), 0);
    /* The prefaulter runs in idle time only: on a loaded machine it is let
     * get a burst ahead (up to half a second) before the next one. */
    for (int w = 0; w < 250 && oms__journal_ahead(j) < (256u << 10); w++) sleep_ms(2);
  }
  assert_true(oms__journal_mapped(j) > (4u << 20));
  collect_t big = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &big), 0);
  assert_int_equal(big.count, 30000);
  assert_int_equal(big.bad, 0);
  oms_journal_close(j);
  jdir_remove(&d2);

  /* Asked not to, it writes everything with pwrite. */
  j = jopen_os(&d, 64u << 10, true);
  for (int burst = 0; burst < 5; burst++) {
    assert_int_equal(append_units(j, 20, 3), 0);
    sleep_ms(3);
  }
  assert_int_equal(oms__journal_mapped(j), 0);
  oms_journal_close(j);
  jdir_remove(&d);
}

/* What a child appending through the mapping reports, in shared memory. */
typedef struct kid_s {
  _Atomic uint64_t acked;   /* the last LSN an append returned */
  _Atomic uint64_t mapped;  /* bytes it appended through the mapping */
  _Atomic int opened;       /* its journal exists on disk */
  _Atomic uint64_t flushed; /* the prefaulter's oms__journal_flushed */
} kid_t;

static void kid_main(const jdir_t *d, kid_t *k, uint64_t seg_bytes) {
  oms_journal_t *j = jopen_os(d, seg_bytes, false);
  atomic_store(&k->acked, oms_journal_written(j));
  atomic_store(&k->opened, 1);
  for (unsigned i = 1;; i++) {
    if (i % 64 == 0) sleep_ms(1); /* paced, as orders come: the prefaulter gets ahead */
    if (append_units(j, 1, 1 + (int)(oms_journal_written(j) % 4)) != 0) _exit(3);
    atomic_store(&k->acked, oms_journal_written(j));
    atomic_store(&k->mapped, oms__journal_mapped(j));
    if (i % 64 == 0) atomic_store(&k->flushed, oms__journal_flushed(j));
  }
}

/* Kills the child appending into d (segments of seg_bytes) and opens its
 * journal: it opens (a torn tail at worst, never damage), holds every
 * record the child was told of, intact, at most the unit in flight
 * besides, and never fewer than the last round's (*before, moved on). */
static void kill_and_check(pid_t pid, const jdir_t *d, uint64_t seg_bytes, const kid_t *k,
                           int round, uint64_t *before) {
  kill(pid, SIGKILL);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFSIGNALED(st));
  uint64_t acked = atomic_load(&k->acked);
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = OMS_JOURNAL_OS;
  cfg.segment_bytes = seg_bytes;
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0)
    fail_msg("round %d: open: %s: %s at %s:%" PRIu64, round, oms_err_name(rc), err.text, err.file,
             err.offset);
  uint64_t w = oms_journal_written(j);
  assert_true(w >= acked && w >= *before);
  if (acked > 0) assert_true(w <= acked + 4); /* else killed before it opened */
  *before = w;
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_int_equal(c.count, w);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
}

/* kill -9 at random moments of mapped appends: the journal always opens
 * (a torn tail at worst, never damage), keeps every acknowledged record,
 * intact, and at most the unit in flight besides. */
static void test_os_mode_mapped_appends_survive_kill(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  kid_t *k = mmap(NULL, sizeof *k, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true(k != MAP_FAILED);
  uint64_t mapped = 0, before = 0;
  srand(7);
  for (int round = 0; round < 25; round++) {
    atomic_store(&k->acked, 0);
    atomic_store(&k->mapped, 0);
    atomic_store(&k->opened, 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) kid_main(&d, k, 256u << 10);
    /* The kill is meant for the appends: a child killed before its first
     * open (a loaded machine) leaves no journal to open, which is no test. */
    for (int waited = 0; !atomic_load(&k->opened) && waited < 10000; waited++) sleep_ms(1);
    sleep_ms(5 + rand() % 25);
    kill_and_check(pid, &d, 256u << 10, k, round, &before);
    mapped += atomic_load(&k->mapped);
  }
  assert_true(mapped > 0);
  munmap(k, sizeof *k);
  jdir_remove(&d);
}

/* kill -9 after the prefaulter has unmapped appended pages and started
 * their writeback (past 4 MiB of a segment): those pages live on in the
 * page cache only, dirty, and every acknowledged record is there after the
 * kill, intact. Three kills in one 16 MiB segment, each past the last. */
static void test_os_mode_kill_after_writeback_keeps_everything(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  kid_t *k = mmap(NULL, sizeof *k, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true(k != MAP_FAILED);
  uint64_t before = 0;
  int flushed_rounds = 0;
  for (int round = 0; round < 3; round++) {
    atomic_store(&k->acked, 0);
    atomic_store(&k->flushed, 0);
    atomic_store(&k->opened, 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) kid_main(&d, k, 16u << 20);
    /* The prefaulter runs in idle time: 20 s for it on a loaded machine. */
    for (int w = 0; w < 20000 && atomic_load(&k->flushed) < (uint64_t)(round + 1) << 22; w++)
      sleep_ms(1);
    if (atomic_load(&k->flushed) >= (uint64_t)(round + 1) << 22) flushed_rounds++;
    sleep_ms(rand() % 10);
    kill_and_check(pid, &d, 16u << 20, k, round, &before);
  }
  /* Starved of idle time in every round, the prefaulter flushed nothing
   * and the kills tested the plain mapped path only: say so, loudly. */
  if (flushed_rounds == 0)
    fail_msg("the prefaulter never reached 4 MiB: no round tested writeback");
  munmap(k, sizeof *k);
  jdir_remove(&d);
}

/* The roll renames the sealer's spare into place (os mode: mapped, its
 * first pages populated, so the first appends after the roll go through the
 * mapping); a spare a crash left is removed at the open, whatever it holds. */
static void spare_path(const jdir_t *d, int gen, char *out, size_t cap) {
  if (snprintf(out, cap, "%s/%010d.spare", d->dir, gen) >= (int)cap) __builtin_trap();
}

static void test_roll_takes_the_spare(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen_os(&d, 64u << 10, false);
  uint64_t n = 0;
  for (int seg = 0; seg < 3; seg++) {
    for (int w = 0; w < 10000 && oms__journal_spare_state(j) != 1; w++) sleep_ms(1);
    assert_int_equal(oms__journal_spare_state(j), 1);
    char spare[PATH_MAX];
    spare_path(&d, seg + 1, spare, sizeof spare);
    assert_int_equal(fsize(spare), 64u << 10); /* made ahead, preallocated */
    uint64_t first = oms_journal_written(j) + 1;
    /* Up to the roll: the segment fills, the next unit goes to the spare. */
    char cur[PATH_MAX], unsealed[PATH_MAX];
    for (int i = 0;; i++) {
      assert_true(i < 10000);
      assert_int_equal(append_units(j, 1, 1), 0);
      n++;
      uint64_t w = oms_journal_written(j);
      jseg(&d, w, cur, sizeof cur);
      junsealed(&d, w, unsealed, sizeof unsealed);
      /* The unit just appended began a segment: the roll. In os mode the
       * segment has its unsealed name until the sealer synced the one
       * before (or already its own). */
      if (w > first && (fsize(cur) > 0 || fsize(unsealed) > 0)) break;
    }
    assert_true(oms_journal_written(j) > first);
    assert_int_equal(fsize(spare), 0); /* renamed, not copied */
    uint64_t mapped = oms__journal_mapped(j);
    assert_int_equal(append_units(j, 1, 1), 0);
    n++;
    assert_true(oms__journal_mapped(j) > mapped); /* populated ahead: no pwrite */
  }
  assert_int_equal(oms_journal_written(j), n);
  oms_journal_close(j);
  /* Closed: no spare left behind. */
  char left[PATH_MAX];
  spare_path(&d, 4, left, sizeof left);
  assert_int_equal(fsize(left), 0);

  /* A spare a crash left, with bytes that look like a record: removed. */
  spare_path(&d, 77, left, sizeof left);
  int fd = open(left, O_RDWR | O_CREAT, 0644);
  assert_true(fd >= 0);
  uint8_t junk[4096];
  memset(junk, 0x5a, sizeof junk);
  assert_int_equal(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
  close(fd);
  j = jopen_os(&d, 64u << 10, false);
  assert_int_equal(fsize(left), 0);
  assert_int_equal(access(left, F_OK), -1);
  assert_int_equal(oms_journal_written(j), n);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_int_equal(c.count, n);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  oms_journal_error_t err;
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_string_equal(err.text, "");

  /* fsync mode: the same rename, the directory synced in the roll. */
  jdir_t d2;
  jdir_make(&d2);
  j = jopen(&d2, OMS_JOURNAL_FSYNC, 8192, NULL);
  for (int w = 0; w < 10000 && oms__journal_spare_state(j) != 1; w++) sleep_ms(1);
  assert_int_equal(append_units(j, 100, 1), 0);
  assert_int_equal(oms_journal_wait(j, 100, 10 * 1000000000LL), 0);
  oms_journal_close(j);
  j = jopen(&d2, OMS_JOURNAL_FSYNC, 8192, NULL);
  assert_int_equal(oms_journal_written(j), 100);
  oms_journal_close(j);
  jdir_remove(&d2);
  jdir_remove(&d);
}

/* ---- os mode: the roll's sync deferred to the sealer ---- */

/* An fdatasync that waits while the gate is closed: after the open, in os
 * mode, only a seal syncs, so this holds a roll unsealed. */
typedef struct gate_s {
  _Atomic int closed;
  _Atomic int waiting;
} gate_t;

static int gated_fdatasync(void *ctx, int fd) {
  gate_t *g = ctx;
  atomic_fetch_add(&g->waiting, 1);
  while (atomic_load(&g->closed)) sleep_ms(1);
  atomic_fetch_sub(&g->waiting, 1);
  return fdatasync(fd);
}

/* Appends single records until one begins a new segment (unsealed: the
 * gate holds its seal), then `more` records; the LSN that began it. */
static uint64_t append_past_roll(oms_journal_t *j, const jdir_t *d, int more) {
  char p[PATH_MAX];
  for (int i = 0; i < 100000; i++) {
    assert_int_equal(append_units(j, 1, 1), 0);
    uint64_t w = oms_journal_written(j);
    junsealed(d, w, p, sizeof p);
    if (fsize(p) > 0) {
      assert_int_equal(append_units(j, more, 1), 0);
      return w;
    }
  }
  fail_msg("no roll");
  return 0;
}

static oms_journal_t *jopen_gated(const jdir_t *d, oms_journal_io_t *io, gate_t *g) {
  memset(io, 0, sizeof *io);
  io->fdatasync = gated_fdatasync; /* no pwrite seam: appends still go through the mapping */
  io->ctx = g;
  return jopen(d, OMS_JOURNAL_OS, 64u << 10, io);
}

/* While the sealer has not synced the segment before a roll, the new one
 * lives under its unsealed name: readers and the scrub find it, retention
 * keeps the segment before it, and once sealed it has its own name. */
static void test_os_roll_sealed_later(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  gate_t g = {0};
  oms_journal_io_t io;
  oms_journal_t *j = jopen_gated(&d, &io, &g);
  atomic_store(&g.closed, 1);
  uint64_t n = append_past_roll(j, &d, 20);
  for (int w = 0; w < 10000 && atomic_load(&g.waiting) == 0; w++) sleep_ms(1);
  assert_int_equal(atomic_load(&g.waiting), 1); /* the sealer, in the seal's sync */
  char seg[PATH_MAX], uns[PATH_MAX], first[PATH_MAX];
  jseg(&d, n, seg, sizeof seg);
  junsealed(&d, n, uns, sizeof uns);
  jseg(&d, 1, first, sizeof first);
  assert_int_equal(access(seg, F_OK), -1);
  assert_true(fsize(uns) > 0);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_int_equal(c.count, n + 20);
  assert_int_equal(c.bad, 0);
  oms_journal_error_t err;
  assert_int_equal(oms_journal_verify_range(j, 0, 0, &err), 0);
  assert_int_equal(oms_journal_release(j, UINT64_MAX), 0); /* not the unsealed roll's */
  assert_true(fsize(first) > 0);
  atomic_store(&g.closed, 0);
  for (int w = 0; w < 10000 && oms__journal_unsealed(j) != 0; w++) sleep_ms(1);
  assert_int_equal(oms__journal_unsealed(j), 0);
  assert_true(fsize(seg) > 0);
  assert_int_equal(access(uns, F_OK), -1);
  assert_int_equal(oms_journal_release(j, UINT64_MAX), 1);
  assert_int_equal(access(first, F_OK), -1);
  /* A second roll before the first is sealed seals it on the appender. */
  atomic_store(&g.closed, 1);
  uint64_t n2 = append_past_roll(j, &d, 0);
  for (int w = 0; w < 10000 && atomic_load(&g.waiting) == 0; w++) sleep_ms(1);
  atomic_store(&g.closed, 0);
  uint64_t n3 = append_past_roll(j, &d, 0);
  assert_true(n3 > n2);
  oms_journal_close(j); /* seals the last roll */
  jseg(&d, n3, seg, sizeof seg);
  assert_true(fsize(seg) > 0);
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_string_equal(err.text, "");
  jdir_remove(&d);
}

/* The child appends past a roll whose seal the gate holds, says how far
 * it was told its appends went, and waits to be killed. */
static void gated_kid(const jdir_t *d, kid_t *k) {
  gate_t g = {0};
  oms_journal_io_t io;
  oms_journal_t *j = jopen_gated(d, &io, &g);
  atomic_store(&g.closed, 1);
  (void)append_past_roll(j, d, 30);
  atomic_store(&k->acked, oms_journal_written(j));
  atomic_store(&k->opened, 1);
  for (;;) sleep_ms(100);
}

static void warn_cb(void *ctx, const oms_journal_error_t *w) { *(oms_journal_error_t *)ctx = *w; }

/* kill -9 before the seal: the page cache keeps the segment before the
 * roll whole, with its end record, and the open adopts the unsealed one
 * (every acknowledged record back). Had a machine crash cost that segment
 * its end (simulated: zeroed), the unsealed one was never part of the
 * journal: set aside as NNN.orphan, loudly, and the tail cut. */
static void test_os_kill_before_seal_adopts_or_sets_aside(void **state) {
  (void)state;
  kid_t *k = mmap(NULL, sizeof *k, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true(k != MAP_FAILED);
  for (int variant = 0; variant < 2; variant++) {
    jdir_t d;
    jdir_make(&d);
    memset(k, 0, sizeof *k);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) gated_kid(&d, k);
    for (int w = 0; w < 20000 && !atomic_load(&k->opened); w++) sleep_ms(1);
    assert_int_equal(atomic_load(&k->opened), 1);
    kill(pid, SIGKILL);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    uint64_t acked = atomic_load(&k->acked), n = acked - 30;
    char uns[PATH_MAX], seg[PATH_MAX], first[PATH_MAX], orphan[PATH_MAX];
    junsealed(&d, n, uns, sizeof uns);
    jseg(&d, n, seg, sizeof seg);
    jseg(&d, 1, first, sizeof first);
    if (snprintf(orphan, sizeof orphan, "%s/%020" PRIu64 ".orphan", d.dir, n) >= PATH_MAX)
      __builtin_trap();
    assert_true(fsize(uns) > 0);
    uint64_t keep = acked;
    if (variant == 1) {
      /* The end record, lost. */
      uint64_t end = 0;
      uint8_t h[HDR];
      for (;; end += 8) {
        peek(first, end, h, HDR);
        if (oms__all_zero(h, HDR)) break;
      }
      uint8_t zeros[HDR] = {0};
      poke(first, end - HDR, zeros, HDR);
      oms_journal_error_t v;
      collect_t c = {0};
      assert_int_equal(oms_journal_verify_dir(d.dir, collect_cb, &c, &v), 0);
      assert_non_null(strstr(v.text, "sets aside the unsealed segment"));
      keep = n - 1;
      assert_int_equal(c.count, keep);
    } else {
      oms_journal_error_t v;
      collect_t c = {0};
      assert_int_equal(oms_journal_verify_dir(d.dir, collect_cb, &c, &v), 0);
      assert_string_equal(v.text, "");
      assert_int_equal(c.count, acked);
    }
    oms_journal_config_t cfg;
    oms_journal_config_init(&cfg, d.dir);
    cfg.durability = OMS_JOURNAL_OS;
    cfg.segment_bytes = 64u << 10;
    oms_journal_error_t warned = {0}, err;
    cfg.on_warn = warn_cb;
    cfg.ctx = &warned;
    oms_journal_t *j = NULL;
    int rc = oms_journal_open(&cfg, &j, &err);
    if (rc != 0) fail_msg("variant %d: open: %s: %s", variant, oms_err_name(rc), err.text);
    assert_int_equal(oms_journal_written(j), keep);
    collect_t c = {0};
    assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
    assert_int_equal(c.count, keep);
    assert_int_equal(c.bad, 0);
    assert_int_equal(access(uns, F_OK), -1);
    if (variant == 0) {
      assert_true(fsize(seg) > 0); /* adopted under its own name */
      assert_string_equal(warned.text, "");
    } else {
      assert_true(fsize(orphan) > 0);
      assert_int_equal(access(seg, F_OK), -1);
      assert_non_null(strstr(warned.text, "set aside"));
      assert_non_null(strstr(warned.file, ".unsealed"));
    }
    assert_int_equal(append_units(j, 40, 1), 0); /* and it goes on, past a roll */
    oms_journal_close(j);
    j = jopen(&d, OMS_JOURNAL_OS, 64u << 10, NULL);
    assert_int_equal(oms_journal_written(j), keep + 40);
    oms_journal_close(j);
    jdir_remove(&d);
  }
  munmap(k, sizeof *k);
}

/* Opens dir, which must be refused as damaged, naming an unsealed segment
 * and saying why with `why`. */
static void refused_unsealed(const jdir_t *d, const char *why) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = OMS_JOURNAL_OS;
  cfg.segment_bytes = 8192;
  cfg.create = true; /* even so: a directory with history is never started afresh */
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_ECORRUPT);
  assert_null(j);
  if (strstr(err.text, why) == NULL) fail_msg("\"%s\" does not say \"%s\"", err.text, why);
  assert_non_null(strstr(err.file, ".unsealed"));
}

/* Unsealed segments that no crash leaves (a journal has at most one, after
 * every sealed segment) are damage: the open stops and says which and why. */
static void test_unsealed_segments_no_crash_leaves_are_refused(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_FSYNC, 8192, NULL);
  assert_int_equal(append_units(j, 100, 1), 0);
  oms_journal_close(j);
  char first[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
  jseg(&d, 1, first, sizeof first);
  /* One named before the newest sealed segment. */
  junsealed(&d, 1, a, sizeof a);
  copy_file(first, a);
  refused_unsealed(&d, "not after the newest sealed one");
  assert_int_equal(unlink(a), 0);
  /* Two after it. */
  junsealed(&d, 1000000, a, sizeof a);
  junsealed(&d, 1000001, b, sizeof b);
  copy_file(first, a);
  copy_file(first, b);
  refused_unsealed(&d, "2 unsealed segments");
  assert_int_equal(unlink(b), 0);
  assert_int_equal(unlink(a), 0);
  /* One alone, no sealed segment at all. */
  jdir_t e;
  jdir_make(&e);
  assert_int_equal(mkdir(e.dir, 0700), 0);
  junsealed(&e, 1, a, sizeof a);
  copy_file(first, a);
  refused_unsealed(&e, "no sealed segment before it");
  assert_int_equal(unlink(a), 0);
  jdir_remove(&e);
  /* The journal itself is untouched by all that. */
  j = jopen(&d, OMS_JOURNAL_OS, 8192, NULL);
  assert_int_equal(oms_journal_written(j), 100);
  oms_journal_close(j);
  jdir_remove(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_missing_journal_is_not_found_without_create),
      cmocka_unit_test(test_os_mode_is_durable_in_the_append),
      cmocka_unit_test(test_os_mode_writes_the_eventfd_once_asked_for),
      cmocka_unit_test(test_fsync_mode_durable_after_sync),
      cmocka_unit_test(test_units_flags_and_refusals),
      cmocka_unit_test(test_roll_across_many_segments_and_read_from_any_lsn),
      cmocka_unit_test(test_inplace_framing_writes_what_append_writes),
      cmocka_unit_test(test_large_records),
      cmocka_unit_test(test_concurrent_reader_while_appending),
      cmocka_unit_test(test_release_deletes_whole_segments_below_keep),
      cmocka_unit_test(test_preallocation_without_fallocate),
      cmocka_unit_test(test_roll_takes_the_spare),
      cmocka_unit_test(test_os_roll_sealed_later),
      cmocka_unit_test(test_os_kill_before_seal_adopts_or_sets_aside),
      cmocka_unit_test(test_unsealed_segments_no_crash_leaves_are_refused),
      cmocka_unit_test(test_fault_sweep_fsync),
      cmocka_unit_test(test_fault_sweep_os),
      cmocka_unit_test(test_fault_sweep_without_fallocate),
      cmocka_unit_test(test_os_mode_appends_through_the_mapping),
      cmocka_unit_test(test_os_mode_mapped_appends_survive_kill),
      cmocka_unit_test(test_os_mode_kill_after_writeback_keeps_everything),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
