/* test_segment.c - recovery and verification (src/journal/segment.c): a torn
 * tail cut at every byte offset of the last unit, zeroed pages, a flipped
 * bit in the middle, a missing segment, LSNs out of order, what verify
 * reports, a power loss in fsync mode (the durable mark), an open that
 * verifies from an LSN on and the scrub of the rest. The journal is written
 * in os mode (no thread) except for the power loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "journal/journal_int.h"
#include "journal_fixture.h"
#include "oms/alloc.h"

/* No test here cuts power: syncs would only make it slow. */
static fault_t nosync;
static oms_journal_io_t nosync_io;

static int open_mode(const jdir_t *d, uint64_t seg, bool create, oms_journal_t **j,
                     oms_journal_error_t *err) {
  oms_journal_config_t cfg;
  if (!nosync.no_sync) {
    fault_init(&nosync, &nosync_io);
    nosync.no_sync = 1;
  }
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = OMS_JOURNAL_OS;
  cfg.segment_bytes = seg;
  cfg.create = create;
  cfg.io = &nosync_io;
  return oms_journal_open(&cfg, j, err);
}

static oms_journal_t *jopen(const jdir_t *d, uint64_t seg) {
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  int rc = open_mode(d, seg, true, &j, &err);
  if (rc != 0)
    fail_msg("open: %s: %s at %s:%" PRIu64, oms_err_name(rc), err.text, err.file, err.offset);
  return j;
}

/* Where each record is: filled by a read. */
typedef struct where_s {
  uint64_t n;
  uint64_t off[4096];
  uint32_t len[4096];
  char file[4096][96];
} where_t;

static int where_cb(void *ctx, const oms_journal_entry_t *e) {
  where_t *w = ctx;
  if (w->n + 1 >= 4096) return 1;
  w->n++;
  w->off[e->lsn] = e->offset;
  w->len[e->lsn] = e->len;
  snprintf(w->file[e->lsn], sizeof w->file[0], "%s", e->file);
  return 0;
}

static where_t *locate(oms_journal_t *j) {
  where_t *w = calloc(1, sizeof *w);
  assert_int_equal(oms_journal_read(j, 1, false, where_cb, w), 0);
  return w;
}

static void check_all(oms_journal_t *j, uint64_t first, uint64_t last) {
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, first, false, collect_cb, &c), 0);
  assert_int_equal(c.bad, 0);
  assert_int_equal(c.count, last - first + 1);
  if (c.count) assert_int_equal(c.last, last);
}

/* Recovery keeps exactly the complete units: for every byte offset inside
 * the last unit, a file cut there (truncated, or zeroed from there on)
 * reopens with the earlier units, and the next append continues. */
static void test_torn_tail_at_every_byte_of_the_last_unit(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  const uint64_t seg = 64 * 1024;
  oms_journal_t *j = jopen(&d, seg);
  assert_int_equal(append_units(j, 20, 3), 0); /* LSNs 1..60; the last unit is 58..60 */
  where_t *w = locate(j);
  oms_journal_close(j);
  char path[PATH_MAX], pristine[PATH_MAX];
  jseg(&d, 1, path, sizeof path);
  snprintf(pristine, sizeof pristine, "%s/pristine", d.root);
  copy_file(path, pristine);
  /* Zeroing the padding after the last payload changes nothing: it is not
   * part of the record. */
  uint64_t start = w->off[58],
           ends[2] = {w->off[60] + REC_SIZE(w->len[60]), w->off[60] + HDR + w->len[60]};
  static uint8_t zeros[4096];
  for (int zero = 0; zero < 2; zero++) {
    uint64_t end = ends[zero];
    for (uint64_t o = start; o < end; o++) {
      copy_file(pristine, path);
      if (zero) {
        poke(path, o, zeros, (size_t)(end - o));
      } else {
        assert_int_equal(truncate(path, (off_t)o), 0);
      }
      oms_journal_error_t err;
      assert_int_equal(open_mode(&d, seg, false, &j, &err), 0);
      assert_int_equal(oms_journal_written(j), 57);
      assert_int_equal(append_units(j, 1, 2), 0);
      assert_int_equal(oms_journal_written(j), 59);
      assert_int_equal(append_units(j, 1, 1), 0);
      oms_journal_close(j);
      /* The cut is clean: a second open sees the same journal, no tail. */
      assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
      assert_string_equal(err.text, "");
      assert_int_equal(open_mode(&d, seg, false, &j, &err), 0);
      assert_int_equal(oms_journal_written(j), 60);
      check_all(j, 1, 60);
      oms_journal_close(j);
    }
  }
  free(w);
  jdir_remove(&d);
}

/* Zeroed pages at the end of the last segment read as a torn tail. */
static void test_zeroed_pages_in_the_tail_are_cut(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  const uint64_t seg = 256 * 1024;
  oms_journal_t *j = jopen(&d, seg);
  assert_int_equal(append_units(j, 100, 2), 0); /* ~27 KB */
  where_t *w = locate(j);
  oms_journal_close(j);
  char path[PATH_MAX];
  jseg(&d, 1, path, sizeof path);
  uint64_t end = w->off[200] + REC_SIZE(w->len[200]);
  uint64_t page = (end - 1) & ~(uint64_t)4095; /* the last page with data */
  page -= 4096;                                /* and the one before */
  static uint8_t zeros[8192];
  poke(path, page, zeros, sizeof zeros);
  /* The surviving units: those that end at or before the page. */
  uint64_t keep = 0;
  for (uint64_t l = 2; l <= 200; l += 2)
    if (w->off[l] + REC_SIZE(w->len[l]) <= page) keep = l;
  oms_journal_error_t err;
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_non_null(strstr(err.text, "torn tail"));
  assert_int_equal(err.offset, w->off[keep] + REC_SIZE(w->len[keep]));
  assert_int_equal(open_mode(&d, seg, false, &j, &err), 0);
  assert_int_equal(oms_journal_written(j), keep);
  check_all(j, 1, keep);
  oms_journal_close(j);
  free(w);
  jdir_remove(&d);
}

/* Damage with good records after it is never a tail: the open stops and
 * names the file and the offset. */
static void test_flipped_bit_in_the_middle_stops_the_open(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  const uint64_t seg = 16 * 1024;
  oms_journal_t *j = jopen(&d, seg);
  assert_int_equal(append_units(j, 120, 1), 0); /* several segments */
  where_t *w = locate(j);
  oms_journal_close(j);
  uint64_t victims[] = {5, 100, 60, 119}; /* first segment, last segment, and so on */
  for (size_t v = 0; v < sizeof victims / sizeof *victims; v++) {
    uint64_t l = victims[v];
    for (int where = 0; where < 2; where++) { /* in the payload, in the header */
      uint64_t at = w->off[l] + (where ? 9 : HDR + w->len[l] / 2);
      uint8_t b;
      peek(w->file[l], at, &b, 1);
      b ^= 0x10;
      poke(w->file[l], at, &b, 1);
      oms_journal_error_t err;
      oms_journal_t *j2 = (oms_journal_t *)&err;
      assert_int_equal(open_mode(&d, seg, false, &j2, &err), OMS_ECORRUPT);
      assert_null(j2);
      assert_string_equal(err.file, w->file[l]);
      assert_int_equal(err.offset, w->off[l]);
      assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), OMS_ECORRUPT);
      assert_int_equal(err.offset, w->off[l]);
      b ^= 0x10;
      poke(w->file[l], at, &b, 1);
    }
  }
  assert_int_equal(open_mode(&d, seg, false, &j, NULL), 0);
  check_all(j, 1, 120);
  oms_journal_close(j);
  free(w);
  jdir_remove(&d);
}

static uint64_t nsegs(const jdir_t *d, uint64_t **segs) {
  size_t n = 0;
  assert_int_equal(oms__jseg_list(d->dir, segs, &n, NULL), 0);
  return n;
}

static void test_missing_middle_segment_stops_the_open(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  const uint64_t seg = 8 * 1024;
  oms_journal_t *j = jopen(&d, seg);
  assert_int_equal(append_units(j, 100, 1), 0);
  oms_journal_close(j);
  uint64_t *segs;
  uint64_t n = nsegs(&d, &segs);
  assert_true(n >= 4);
  char path[PATH_MAX], third[PATH_MAX];
  jseg(&d, segs[1], path, sizeof path);
  jseg(&d, segs[2], third, sizeof third);
  char moved[PATH_MAX];
  snprintf(moved, sizeof moved, "%s/moved", d.root);
  assert_int_equal(rename(path, moved), 0);
  oms_journal_error_t err;
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_string_equal(err.file, third);
  assert_int_equal(err.offset, 0);
  assert_non_null(strstr(err.text, "missing"));
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), OMS_ECORRUPT);
  assert_int_equal(rename(moved, path), 0);

  /* The first segment missing is retention, not damage. */
  jseg(&d, segs[0], path, sizeof path);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), 0);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 1, false, collect_cb, &c), OMS_ENOTFOUND);
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_int_equal(c.first, segs[1]);
  assert_int_equal(c.last, 100);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  free(segs);
  jdir_remove(&d);
}

/* Rewrites the header of the record at off with h (and a CRC that holds). */
static void rewrite(const char *path, uint64_t off, uint32_t len, void (*edit)(oms__jhdr_t *)) {
  uint8_t b[HDR + 600];
  peek(path, off, b, HDR + len);
  oms__jhdr_t h;
  oms__jhdr_get(b, &h);
  edit(&h);
  oms__jhdr_put(b, &h);
  h.crc = oms__jrec_crc(b, b + HDR, h.len);
  oms__jhdr_put(b, &h);
  poke(path, off, b, HDR);
}

static void lsn_plus_one(oms__jhdr_t *h) { h->lsn++; }
static void set_more(oms__jhdr_t *h) { h->flags |= OMS_JOURNAL_F_MORE; }

static void test_lsn_out_of_order_and_unfinished_unit_stop_the_open(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  const uint64_t seg = 8 * 1024;
  oms_journal_t *j = jopen(&d, seg);
  assert_int_equal(append_units(j, 60, 1), 0);
  where_t *w = locate(j);
  oms_journal_close(j);
  char pristine[PATH_MAX];
  snprintf(pristine, sizeof pristine, "%s/pristine", d.root);

  /* A good CRC on a record in the wrong place: never a torn write. */
  copy_file(w->file[59], pristine);
  rewrite(w->file[59], w->off[59], w->len[59], lsn_plus_one);
  oms_journal_error_t err;
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, w->off[59]);
  assert_non_null(strstr(err.text, "LSN 60 where 59"));
  copy_file(pristine, w->file[59]);

  /* A unit left open at the end of a segment that has a successor. */
  uint64_t l = 1;
  while (strcmp(w->file[l + 1], w->file[1]) == 0) l++; /* the last of the first segment */
  copy_file(w->file[l], pristine);
  rewrite(w->file[l], w->off[l], w->len[l], set_more);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_string_equal(err.file, w->file[l]);
  assert_non_null(strstr(err.text, "unit"));

  /* A record after the end-of-segment record. */
  copy_file(pristine, w->file[l]);
  uint8_t rec[HDR + 600];
  uint64_t eos = w->off[l] + REC_SIZE(w->len[l]);
  peek(w->file[l], w->off[1], rec, (size_t)REC_SIZE(w->len[1]));
  poke(w->file[l], eos + HDR + 64, rec, (size_t)REC_SIZE(w->len[1]));
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, eos + HDR + 64);

  /* Zeros in a middle segment, then records. */
  copy_file(pristine, w->file[l]);
  static uint8_t zeros[HDR];
  poke(w->file[l], w->off[2], zeros, sizeof zeros);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, w->off[2]);
  assert_non_null(strstr(err.text, "zeros"));

  /* A bad last record in a segment that has a successor. */
  copy_file(pristine, w->file[l]);
  uint8_t b;
  peek(w->file[l], w->off[l] + HDR, &b, 1);
  b ^= 1;
  poke(w->file[l], w->off[l] + HDR, &b, 1);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, w->off[l]);
  copy_file(pristine, w->file[l]);

  /* A segment may end with zeros instead of an end-of-segment record... */
  uint64_t eos_at = w->off[l] + REC_SIZE(w->len[l]);
  poke(w->file[l], eos_at, zeros, sizeof zeros);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), 0);
  check_all(j, 1, 60);
  oms_journal_close(j);
  /* ...but not with a bad record or an open unit before them. */
  peek(w->file[l], w->off[l] + HDR, &b, 1);
  b ^= 1;
  poke(w->file[l], w->off[l] + HDR, &b, 1);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, w->off[l]);
  assert_non_null(strstr(err.text, "not the last segment"));
  b ^= 1;
  poke(w->file[l], w->off[l] + HDR, &b, 1);
  rewrite(w->file[l], w->off[l], w->len[l], set_more);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_non_null(strstr(err.text, "a unit not finished"));
  copy_file(pristine, w->file[l]);

  /* Two segments claiming the same LSNs. */
  char dup[PATH_MAX];
  jseg(&d, 2, dup, sizeof dup);
  copy_file(w->file[1], dup);
  assert_int_equal(open_mode(&d, seg, false, &j, &err), OMS_ECORRUPT);
  assert_string_equal(err.file, dup);
  assert_non_null(strstr(err.text, "segment begins at LSN 2"));
  assert_int_equal(unlink(dup), 0);

  /* A header whose length is out of range, at the tail: cut. */
  uint8_t hb[HDR];
  oms__jhdr_t hh = {OMS_JOURNAL_MAGIC, 0xFFFFFFF0u, 61, 1, 0, 0};
  oms__jhdr_put(hb, &hh);
  poke(w->file[60], w->off[60] + REC_SIZE(w->len[60]), hb, sizeof hb);
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_non_null(strstr(err.text, "torn tail"));

  assert_int_equal(open_mode(&d, seg, false, &j, &err), 0);
  check_all(j, 1, 60);
  /* Damage after the open shows to readers. */
  peek(w->file[5], w->off[5] + HDR, &b, 1);
  b ^= 4;
  poke(w->file[5], w->off[5] + HDR, &b, 1);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 1, false, collect_cb, &c), OMS_ECORRUPT);
  assert_int_equal(c.count, 4);
  oms_journal_close(j);
  free(w);
  jdir_remove(&d);
}

static void test_verify_reads_everything_and_changes_nothing(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, 8 * 1024);
  assert_int_equal(append_units(j, 30, 3), 0);
  oms_journal_close(j);
  collect_t c = {0};
  oms_journal_error_t err;
  assert_int_equal(oms_journal_verify_dir(d.dir, collect_cb, &c, &err), 0);
  assert_int_equal(c.count, 90);
  assert_int_equal(c.bad, 0);
  collect_t s = {.stop_at = 10};
  assert_int_equal(oms_journal_verify_dir(d.dir, collect_cb, &s, NULL), 7);
  assert_int_equal(s.count, 10);
  assert_int_equal(oms_journal_verify_dir(NULL, NULL, NULL, NULL), OMS_EINVAL);
  char nowhere[PATH_MAX];
  snprintf(nowhere, sizeof nowhere, "%s/none", d.root);
  assert_int_equal(oms_journal_verify_dir(nowhere, NULL, NULL, &err), OMS_ENOTFOUND);
  mkdir(nowhere, 0755);
  assert_int_equal(oms_journal_verify_dir(nowhere, NULL, NULL, &err), OMS_ENOTFOUND);
  /* A torn tail: reported, not cut. */
  uint64_t *segs;
  uint64_t n = nsegs(&d, &segs);
  char last[PATH_MAX];
  jseg(&d, segs[n - 1], last, sizeof last);
  uint8_t junk[40];
  memset(junk, 0xAB, sizeof junk);
  uint64_t size = fsize(last);
  uint8_t before[64];
  /* Find the end of the data: the first zero header. */
  uint64_t end = 0;
  for (;; end += 8) {
    peek(last, end, before, HDR);
    if (oms__all_zero(before, HDR)) break;
  }
  poke(last, end, junk, sizeof junk);
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_non_null(strstr(err.text, "torn tail of 40 bytes"));
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0); /* still there */
  assert_non_null(strstr(err.text, "torn tail"));
  assert_int_equal(fsize(last), size);
  free(segs);
  jdir_remove(&d);
}

/* A journal with history, a truncated last segment and junk after its last
 * unit: what recovery has the most work on. Returns its last LSN. */
static uint64_t damaged_journal(const jdir_t *d) {
  oms_journal_t *j = jopen(d, 8192);
  assert_int_equal(append_units(j, 40, 2), 0);
  uint64_t *segs;
  uint64_t n = nsegs(d, &segs);
  char last[PATH_MAX];
  jseg(d, segs[n - 1], last, sizeof last);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, segs[n - 1], false, collect_cb, &c), 0);
  oms_journal_close(j);
  /* Find the end of the data, and put half a record after it. */
  uint64_t end = 0;
  uint8_t h[HDR];
  for (;; end += 8) {
    peek(last, end, h, HDR);
    if (oms__all_zero(h, HDR)) break;
  }
  uint8_t junk[100];
  memset(junk, 0x5A, sizeof junk);
  poke(last, end, junk, sizeof junk);
  assert_int_equal(truncate(last, (off_t)(end + 200)), 0);
  free(segs);
  return 80;
}

/* Faults during recovery: the open fails with the error, or succeeds; a
 * clean open afterwards finds the same journal. */
static void test_faults_during_recovery(void **state) {
  (void)state;
  static const int fns[] = {IO_OPEN, IO_PREAD, IO_PWRITE, IO_FDATASYNC, IO_FALLOCATE};
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
    for (long k = 1;; k++) {
      jdir_t d;
      jdir_make(&d);
      uint64_t last = damaged_journal(&d);
      fault_t f;
      oms_journal_io_t io;
      fault_init(&f, &io);
      f.no_sync = 1;
      f.fail_fn = fns[i];
      f.fail_at = k;
      f.fail_errno = k % 2 ? EIO : ENOSPC;
      oms_journal_config_t cfg;
      oms_journal_config_init(&cfg, d.dir);
      cfg.durability = OMS_JOURNAL_OS;
      cfg.segment_bytes = 8192;
      cfg.io = &io;
      oms_journal_t *j;
      oms_journal_error_t err;
      int rc = oms_journal_open(&cfg, &j, &err);
      bool hit = atomic_load(&f.failed) > 0;
      if (rc == 0) {
        /* A fault after the open is the sealer's, making a spare segment
         * (journal.c): not the journal's failure. */
        assert_false(oms_journal_failed(j));
        oms_journal_close(j);
        hit = atomic_load(&f.failed) > 0;
      } else {
        assert_true(hit);
        assert_int_equal(rc, OMS_ESTORE);
        assert_int_equal(err.sys_errno, f.fail_errno);
      }
      assert_int_equal(open_mode(&d, 8192, false, &j, &err), 0);
      assert_int_equal(oms_journal_written(j), last);
      check_all(j, 1, last);
      oms_journal_close(j);
      jdir_remove(&d);
      if (!hit) break;
    }
  }
}

/* ---- out of memory ---- */

typedef struct oom_s {
  long n, fail_at;
} oom_t;

static oom_t oom;
static void *oom_malloc(void *ctx, size_t n) {
  (void)ctx;
  return ++oom.n == oom.fail_at ? NULL : malloc(n);
}
static void *oom_calloc(void *ctx, size_t n, size_t sz) {
  (void)ctx;
  return ++oom.n == oom.fail_at ? NULL : calloc(n, sz);
}
static void *oom_realloc(void *ctx, void *p, size_t n) {
  (void)ctx;
  return ++oom.n == oom.fail_at ? NULL : realloc(p, n);
}
static void oom_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

/* Every allocation of open, append, read, release and verify fails in
 * turn: each reports OMS_ENOMEM (or goes on), nothing leaks (the ASan
 * build checks), and the journal is intact afterwards. */
/* ---- a power loss in fsync mode ---- */

/* An fdatasync that does nothing, and blocks while hold is set: what the
 * journal wrote meanwhile is the unsynced tail. */
typedef struct gate_s {
  _Atomic int hold;
} gate_t;

static int gate_sync(void *ctx, int fd) {
  (void)fd;
  gate_t *g = ctx;
  while (atomic_load(&g->hold)) usleep(200);
  return 0;
}

typedef struct warned_s {
  int n;
  oms_journal_error_t w;
} warned_t;

static void on_warn(void *ctx, const oms_journal_error_t *w) {
  warned_t *c = ctx;
  c->n++;
  c->w = *w;
}

static int open_fsync(const jdir_t *d, bool create, const oms_journal_io_t *io, warned_t *wn,
                      oms_journal_t **j, oms_journal_error_t *err) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.segment_bytes = 1 << 20;
  cfg.create = create;
  cfg.io = io;
  cfg.on_warn = on_warn;
  cfg.ctx = wn;
  return oms_journal_open(&cfg, j, err);
}

/* The syncer made LSN 10 durable, then (its next sync never returning)
 * units 11..20 were written: the mark says 10, between 10 and 11. A power
 * loss may keep any page of 11..20 and drop an earlier one: recovery cuts at
 * the first hole past the mark and says so; a hole at or before the mark is
 * damage (OMS_ECORRUPT, file and offset), good records after it or not. */
static void test_power_loss_out_of_order_pages_past_the_mark(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  gate_t g = {0};
  oms_journal_io_t io = {0};
  io.fdatasync = gate_sync;
  io.ctx = &g;
  warned_t wn = {0};
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  assert_int_equal(open_fsync(&d, true, &io, &wn, &j, &err), 0);
  assert_int_equal(append_units(j, 5, 2), 0);
  assert_int_equal(oms_journal_wait(j, 10, -1), 0);
  usleep(20000); /* idle: the syncer writes the mark (else 11's append would) */
  atomic_store(&g.hold, 1);
  assert_int_equal(append_units(j, 5, 2), 0); /* 11..20: the mark rides with 11 */
  assert_true(oms_journal_durable(j) == 10);
  where_t *w = locate(j);
  char path[PATH_MAX], crash[PATH_MAX];
  jseg(&d, 1, path, sizeof path);
  snprintf(crash, sizeof crash, "%s/crash", d.root);
  copy_file(path, crash); /* the page cache at the power loss */
  atomic_store(&g.hold, 0);
  oms_journal_close(j);
  /* The mark: between 10 and 11, saying 10. */
  uint64_t at = w->off[10] + REC_SIZE(w->len[10]);
  assert_int_equal(w->off[11], at + HDR);
  uint8_t hb[HDR];
  peek(crash, at, hb, HDR);
  oms__jhdr_t h;
  oms__jhdr_get(hb, &h);
  assert_int_equal(h.flags, OMS_JOURNAL_F_MARK);
  assert_int_equal(h.lsn, 10);
  static uint8_t zeros[1024];

  /* A hole at 15 (the page of 16..20 reached the disk, 15's did not). */
  static const uint64_t holes[] = {15, 11};
  for (size_t i = 0; i < sizeof holes / sizeof *holes; i++) {
    uint64_t lsn = holes[i];
    copy_file(crash, path);
    poke(path, w->off[lsn], zeros, (size_t)REC_SIZE(w->len[lsn]));
    assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
    assert_non_null(strstr(err.text, "opening the journal cuts an unsynced tail"));
    memset(&wn, 0, sizeof wn);
    assert_int_equal(open_fsync(&d, false, NULL, &wn, &j, &err), 0);
    uint64_t kept = lsn % 2 ? lsn - 1 : lsn - 2; /* units are pairs: 11-12, 13-14... */
    assert_int_equal(oms_journal_written(j), kept);
    assert_int_equal(wn.n, 1);
    assert_string_equal(wn.w.file, path);
    assert_int_equal(wn.w.offset, w->off[kept + 1]); /* 11: the mark before it is kept */
    assert_non_null(strstr(wn.w.text, "cut an unsynced tail"));
    assert_non_null(strstr(wn.w.text, "durable mark 10"));
    check_all(j, 1, kept);
    assert_int_equal(append_units(j, 1, 2), 0);
    oms_journal_close(j);
    assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
    assert_string_equal(err.text, "");
  }

  /* A hole at or before the mark: synced records are gone. */
  static const uint64_t bad[] = {5, 10};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    copy_file(crash, path);
    poke(path, w->off[bad[i]], zeros, (size_t)REC_SIZE(w->len[bad[i]]));
    assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), OMS_ECORRUPT);
    memset(&wn, 0, sizeof wn);
    assert_int_equal(open_fsync(&d, false, NULL, &wn, &j, &err), OMS_ECORRUPT);
    assert_null(j);
    assert_string_equal(err.file, path);
    assert_int_equal(err.offset, w->off[bad[i]]);
    assert_int_equal(wn.n, 0);
  }

  /* A flipped byte past the mark, later records intact: cut there too. */
  copy_file(crash, path);
  uint8_t b;
  peek(path, w->off[17] + HDR, &b, 1);
  b ^= 0x10;
  poke(path, w->off[17] + HDR, &b, 1);
  assert_int_equal(open_fsync(&d, false, NULL, &wn, &j, &err), 0);
  assert_int_equal(oms_journal_written(j), 16);
  oms_journal_close(j);

  /* A good record with the wrong LSN past the mark (a stale page): cut;
   * before it: damage. A mark that claims more than what precedes it:
   * damage. */
  static const struct {
    uint64_t at, lsn, kept; /* kept 0: OMS_ECORRUPT */
  } relabel[] = {{15, 99, 14}, {5, 99, 0}, {0, 11, 0}};
  for (size_t i = 0; i < sizeof relabel / sizeof *relabel; i++) {
    copy_file(crash, path);
    uint64_t o = relabel[i].at ? w->off[relabel[i].at] : at;
    uint32_t len = relabel[i].at ? w->len[relabel[i].at] : 0;
    uint8_t rb[HDR + 512];
    peek(path, o, rb, HDR + len);
    oms__jhdr_get(rb, &h);
    h.lsn = relabel[i].lsn;
    oms__jhdr_put(rb, &h);
    h.crc = oms__jrec_crc(rb, rb + HDR, len);
    oms__jhdr_put(rb, &h);
    poke(path, o, rb, HDR);
    memset(&wn, 0, sizeof wn);
    int rc = open_fsync(&d, false, NULL, &wn, &j, &err);
    if (relabel[i].kept) {
      assert_int_equal(rc, 0);
      assert_int_equal(oms_journal_written(j), relabel[i].kept);
      assert_int_equal(wn.n, 1);
      oms_journal_close(j);
    } else {
      assert_int_equal(rc, OMS_ECORRUPT);
      assert_int_equal(err.offset, o);
    }
  }

  /* A clean journal that ends with an idle mark: nothing to cut. */
  copy_file(crash, path);
  assert_int_equal(open_fsync(&d, false, &io, &wn, &j, &err), 0);
  assert_int_equal(append_units(j, 1, 2), 0);
  uint64_t last = oms_journal_written(j);
  assert_int_equal(oms_journal_wait(j, last, -1), 0);
  where_t *w2 = locate(j);
  for (int i = 0; i < 5000; i++) { /* the syncer goes idle within its spin */
    peek(path, w2->off[last] + REC_SIZE(w2->len[last]), hb, HDR);
    oms__jhdr_get(hb, &h);
    if (h.flags == OMS_JOURNAL_F_MARK) break;
    usleep(1000);
  }
  assert_int_equal(h.flags, OMS_JOURNAL_F_MARK); /* the idle mark after the last record */
  assert_int_equal(h.lsn, last);
  free(w2);
  oms_journal_close(j);
  memset(&wn, 0, sizeof wn);
  assert_int_equal(oms_journal_verify_dir(d.dir, NULL, NULL, &err), 0);
  assert_string_equal(err.text, "");
  assert_int_equal(open_fsync(&d, false, NULL, &wn, &j, &err), 0);
  assert_int_equal(wn.n, 0);
  assert_int_equal(oms_journal_written(j), last);
  oms_journal_close(j);

  /* Without a mark (as in an os-mode journal), a hole followed by records
   * is damage: here the marks themselves are the holes (the syncer may
   * have published, and the appends carried, marks before 10's too). */
  copy_file(crash, path);
  uint64_t first_hole = 0;
  for (uint64_t lsn = 1; lsn <= 10; lsn++) {
    uint64_t after = w->off[lsn] + REC_SIZE(w->len[lsn]);
    if (w->off[lsn + 1] == after) continue;
    assert_int_equal(w->off[lsn + 1], after + HDR);
    poke(path, after, zeros, HDR);
    if (!first_hole) first_hole = after;
  }
  assert_int_equal(open_fsync(&d, false, NULL, &wn, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, first_hole);
  free(w);
  jdir_remove(&d);
}

/* ---- verify_from_lsn and the scrub ---- */

static int open_from(const jdir_t *d, uint64_t verify_from, fault_t *f, oms_journal_t **j,
                     oms_journal_error_t *err) {
  oms_journal_io_t io;
  fault_init(f, &io);
  f->no_sync = 1;
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = OMS_JOURNAL_OS;
  cfg.segment_bytes = 8192;
  cfg.verify_from_lsn = verify_from;
  cfg.io = &io;
  return oms_journal_open(&cfg, j, err);
}

typedef struct scrub_s {
  oms_journal_t *j;
  _Atomic int stop;
  _Atomic long runs, bad;
} scrub_t;

static void *scrub_main(void *arg) {
  scrub_t *s = arg;
  while (!atomic_load(&s->stop)) {
    oms_journal_error_t err;
    if (oms_journal_verify_range(s->j, 0, 0, &err) != 0) s->bad++;
    s->runs++;
  }
  return NULL;
}

/* A flipped byte in an old segment: an open that verifies from a later LSN
 * does not read that segment (and starts), the scrub finds the damage with
 * its file and offset; a full open refuses. A missing segment is seen from
 * the names and end-of-segment records alone. */
static void test_verify_from_lsn_skips_old_segments_and_the_scrub_finds_damage(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, 8192);
  assert_int_equal(append_units(j, 60, 2), 0); /* 120 records, many segments */
  where_t *w = locate(j);
  oms_journal_close(j);
  uint64_t *segs;
  uint64_t n = nsegs(&d, &segs);
  assert_true(n >= 4);
  /* Damage record 5, in the first segment. */
  uint8_t b;
  peek(w->file[5], w->off[5] + HDR, &b, 1);
  b ^= 0x01;
  poke(w->file[5], w->off[5] + HDR, &b, 1);

  fault_t f;
  oms_journal_error_t err;
  assert_int_equal(open_from(&d, 0, &f, &j, &err), OMS_ECORRUPT);
  assert_string_equal(err.file, w->file[5]);
  assert_int_equal(err.offset, w->off[5]);

  /* From the third segment on: the first two are named, not read. */
  assert_int_equal(open_from(&d, segs[2], &f, &j, &err), 0);
  assert_int_equal(oms_journal_written(j), 120);
  collect_t c = {.stop_at = 4}; /* readers see the old records up to the damage */
  assert_int_equal(oms_journal_read(j, 1, false, collect_cb, &c), 7);
  assert_int_equal(c.bad, 0);
  assert_int_equal(oms_journal_verify_range(j, segs[2], 0, &err), 0);
  assert_int_equal(oms_journal_verify_range(j, segs[1], segs[2] - 1, &err), 0);
  assert_int_equal(oms_journal_verify_range(j, 0, 0, &err), OMS_ECORRUPT);
  assert_string_equal(err.file, w->file[5]);
  assert_int_equal(err.offset, w->off[5]);
  assert_int_equal(oms_journal_verify_range(j, 5, 5, &err), OMS_ECORRUPT);
  assert_int_equal(oms_journal_verify_range(j, 121, 0, &err), 0); /* nothing there yet */
  assert_int_equal(oms_journal_verify_range(NULL, 1, 0, &err), OMS_EINVAL);

  /* The scrub from another thread while the core appends and rolls. */
  peek(w->file[5], w->off[5] + HDR, &b, 1);
  b ^= 0x01;
  poke(w->file[5], w->off[5] + HDR, &b, 1); /* repaired */
  scrub_t sc = {.j = j};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, scrub_main, &sc), 0);
  for (int i = 0; i < 200; i++) assert_int_equal(append_units(j, 1, 2), 0);
  while (sc.runs < 3) usleep(1000);
  atomic_store(&sc.stop, 1);
  pthread_join(th, NULL);
  assert_int_equal(sc.bad, 0);
  assert_int_equal(oms_journal_verify_range(j, 0, 0, &err), 0);
  /* Released: not found. */
  assert_true(oms_journal_release(j, segs[2]) > 0);
  assert_int_equal(oms_journal_verify_range(j, 1, 0, &err), OMS_ENOTFOUND);
  oms_journal_close(j);

  /* A missing segment before verify_from_lsn: seen by the end-of-segment
   * record of the one before it. */
  char path[PATH_MAX];
  uint64_t *now;
  uint64_t m = nsegs(&d, &now);
  jseg(&d, now[1], path, sizeof path);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(open_from(&d, now[m - 1], &f, &j, &err), OMS_ECORRUPT);
  assert_int_equal(err.offset, 0);
  free(now);
  free(segs);
  free(w);
  jdir_remove(&d);
}

static void test_out_of_memory_everywhere(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  uint64_t last = damaged_journal(&d);
  oms_allocator_t a = {oom_malloc, oom_calloc, oom_realloc, oom_free, NULL};
  assert_int_equal(oms_replace_allocator(&a), 0);
  int failures = 0;
  for (long k = 1; k < 10000; k++) {
    oom.n = 0;
    oom.fail_at = k;
    oms_journal_t *j;
    oms_journal_error_t err;
    int rc = open_mode(&d, 4096, false, &j, &err);
    if (rc == 0) {
      rc = append_units(j, 10, 1); /* rolls: the segment table grows */
      if (rc == 0) {
        collect_t c = {0};
        rc = oms_journal_read(j, 1, false, collect_cb, &c);
      }
      if (rc == 0) rc = oms_journal_release(j, 2) < 0 ? OMS_ENOMEM : 0;
      oms_journal_close(j);
    }
    if (rc == 0) rc = oms_journal_verify_dir(d.dir, NULL, NULL, &err);
    if (oom.n < k) break; /* nothing failed: every allocation was tried */
    assert_true(rc == OMS_ENOMEM || rc == OMS_ESTORE || rc == 0);
    failures += rc != 0;
  }
  assert_int_equal(oms_replace_allocator(NULL), 0);
  assert_true(failures > 3);
  oms_journal_t *j;
  assert_int_equal(open_mode(&d, 4096, false, &j, NULL), 0);
  assert_true(oms_journal_written(j) >= last);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 0, false, collect_cb, &c), 0);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  jdir_remove(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_torn_tail_at_every_byte_of_the_last_unit),
      cmocka_unit_test(test_zeroed_pages_in_the_tail_are_cut),
      cmocka_unit_test(test_flipped_bit_in_the_middle_stops_the_open),
      cmocka_unit_test(test_missing_middle_segment_stops_the_open),
      cmocka_unit_test(test_lsn_out_of_order_and_unfinished_unit_stop_the_open),
      cmocka_unit_test(test_verify_reads_everything_and_changes_nothing),
      cmocka_unit_test(test_faults_during_recovery),
      cmocka_unit_test(test_out_of_memory_everywhere),
      cmocka_unit_test(test_power_loss_out_of_order_pages_past_the_mark),
      cmocka_unit_test(test_verify_from_lsn_skips_old_segments_and_the_scrub_finds_damage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
