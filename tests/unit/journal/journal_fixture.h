/* journal_fixture.h - what the journal tests share: a scratch directory,
 * payloads that say which LSN they belong to, a reader that collects, and a
 * system call seam that counts calls and fails the k-th one on request. */
#ifndef OMS_TEST_JOURNAL_FIXTURE_H
#define OMS_TEST_JOURNAL_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oms/error.h"
#include "oms/journal.h"

/* ---- the scratch directory ---- */

typedef struct jdir_s {
  char root[64];      /* mkdtemp */
  char dir[PATH_MAX]; /* root/journal (not created) */
} jdir_t;

static inline void jdir_make(jdir_t *d) {
  snprintf(d->root, sizeof d->root, "/tmp/oms-journal-XXXXXX");
  if (mkdtemp(d->root) == NULL) __builtin_trap();
  snprintf(d->dir, sizeof d->dir, "%s/journal", d->root);
}

static inline int jdir_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static inline void jdir_remove(jdir_t *d) {
  if (nftw(d->root, jdir_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) __builtin_trap();
}

static inline void jseg(const jdir_t *d, uint64_t first, char *out, size_t cap) {
  if (snprintf(out, cap, "%s/%020" PRIu64 ".journal", d->dir, first) >= (int)cap) __builtin_trap();
}

/* The name a segment has until the roll that began it is sealed (os mode). */
static inline void junsealed(const jdir_t *d, uint64_t first, char *out, size_t cap) {
  if (snprintf(out, cap, "%s/%020" PRIu64 ".unsealed", d->dir, first) >= (int)cap) __builtin_trap();
}

/* ---- payloads: lsn-derived, of a length that varies with it ---- */

static inline uint32_t plen(uint64_t lsn) { return (uint32_t)(1 + (lsn * 37) % 500); }

static inline void pfill(uint8_t *b, uint64_t lsn, uint32_t len) {
  for (uint32_t i = 0; i < len; i++) b[i] = (uint8_t)(lsn * 131 + i * 7);
}

static inline int pcheck(const void *data, uint64_t lsn, uint32_t len) {
  uint8_t b[600];
  if (len > sizeof b || len != plen(lsn)) return 0;
  pfill(b, lsn, len);
  return memcmp(b, data, len) == 0;
}

/* Appends `units` units of `per` records each (payloads as above); 0 or the
 * first error. */
static inline int append_units(oms_journal_t *j, int units, int per) {
  uint8_t bufs[8][600];
  oms_journal_rec_t recs[8];
  for (int u = 0; u < units; u++) {
    uint64_t lsn = oms_journal_written(j) + 1;
    for (int i = 0; i < per; i++) {
      recs[i].type = (uint16_t)(100 + i);
      recs[i].len = plen(lsn + (uint64_t)i);
      pfill(bufs[i], lsn + (uint64_t)i, recs[i].len);
      recs[i].data = bufs[i];
    }
    uint64_t last = 0;
    int rc = oms_journal_append_unit(j, recs, (size_t)per, &last);
    if (rc != 0) return rc;
    if (last != lsn + (uint64_t)per - 1) return OMS_EINVAL;
  }
  return 0;
}

/* ---- a reader that checks and counts ---- */

typedef struct collect_s {
  uint64_t first, last, count;
  int bad;          /* a payload that is not its LSN's, or LSNs not consecutive */
  uint64_t stop_at; /* non-zero: return 7 at this LSN */
} collect_t;

static inline int collect_cb(void *ctx, const oms_journal_entry_t *e) {
  collect_t *c = ctx;
  if (c->count == 0)
    c->first = e->lsn;
  else if (e->lsn != c->last + 1)
    c->bad++;
  if (!pcheck(e->data, e->lsn, e->len)) c->bad++;
  c->last = e->lsn;
  c->count++;
  return c->stop_at && e->lsn == c->stop_at ? 7 : 0;
}

/* ---- the seam ---- */

enum {
  IO_OPEN,
  IO_PWRITE,
  IO_PREAD,
  IO_FDATASYNC,
  IO_FALLOCATE,
  IO_FTRUNCATE,
  IO_UNLINK,
  IO_RENAME,
  IO_N
};

typedef struct fault_s {
  _Atomic long calls[IO_N];
  /* Atomic: a test changes them while the journal's sealer calls the seam. */
  _Atomic int fail_fn;  /* which function fails, IO_N for none */
  _Atomic long fail_at; /* its k-th call (1-based), and every later one */
  _Atomic int fail_errno;
  _Atomic long failed;          /* calls refused */
  _Atomic int refuse_fallocate; /* EOPNOTSUPP from fallocate, always */
  _Atomic int no_sync;          /* fdatasync does nothing: tests that do not cut power */
} fault_t;

static inline int fault_hit(fault_t *f, int fn) {
  long k = atomic_fetch_add(&f->calls[fn], 1) + 1;
  if (fn == f->fail_fn && k >= f->fail_at) {
    atomic_fetch_add(&f->failed, 1);
    errno = f->fail_errno;
    return 1;
  }
  return 0;
}

static inline int f_open(void *ctx, const char *path, int flags, mode_t mode) {
  return fault_hit(ctx, IO_OPEN) ? -1 : open(path, flags, mode);
}
static inline ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off) {
  return fault_hit(ctx, IO_PWRITE) ? -1 : pwrite(fd, buf, n, off);
}
static inline ssize_t f_pread(void *ctx, int fd, void *buf, size_t n, off_t off) {
  return fault_hit(ctx, IO_PREAD) ? -1 : pread(fd, buf, n, off);
}
static inline int f_fdatasync(void *ctx, int fd) {
  fault_t *f = ctx;
  if (fault_hit(f, IO_FDATASYNC)) return -1;
  return f->no_sync ? 0 : fdatasync(fd);
}
static inline int f_fallocate(void *ctx, int fd, off_t off, off_t len) {
  fault_t *f = ctx;
  if (fault_hit(f, IO_FALLOCATE)) return -1;
  if (f->refuse_fallocate) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return fallocate(fd, 0, off, len);
}
static inline int f_ftruncate(void *ctx, int fd, off_t len) {
  return fault_hit(ctx, IO_FTRUNCATE) ? -1 : ftruncate(fd, len);
}
static inline int f_unlink(void *ctx, const char *path) {
  return fault_hit(ctx, IO_UNLINK) ? -1 : unlink(path);
}

static inline int f_rename(void *ctx, const char *from, const char *to) {
  return fault_hit(ctx, IO_RENAME) ? -1 : rename(from, to);
}

static inline void fault_init(fault_t *f, oms_journal_io_t *io) {
  memset(f, 0, sizeof *f);
  f->fail_fn = IO_N;
  *io = (oms_journal_io_t){f_open,   f_pwrite, f_pread, f_fdatasync, f_fallocate, f_ftruncate,
                           f_unlink, f_rename, f};
}

/* ---- files ---- */

static inline uint64_t fsize(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  return (uint64_t)st.st_size;
}

static inline void poke(const char *path, uint64_t off, const void *b, size_t n) {
  int fd = open(path, O_WRONLY);
  if (fd < 0 || pwrite(fd, b, n, (off_t)off) != (ssize_t)n) __builtin_trap();
  close(fd);
}

static inline void peek(const char *path, uint64_t off, void *b, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0 || pread(fd, b, n, (off_t)off) != (ssize_t)n) __builtin_trap();
  close(fd);
}

/* Copies the file at from to to (a segment, for a test to damage or rename). */
static inline void copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) __builtin_trap();
  static uint8_t b[1 << 16];
  ssize_t n;
  while ((n = read(in, b, sizeof b)) > 0)
    if (write(out, b, (size_t)n) != n) __builtin_trap();
  if (n != 0) __builtin_trap();
  close(in);
  close(out);
}

#endif /* OMS_TEST_JOURNAL_FIXTURE_H */
