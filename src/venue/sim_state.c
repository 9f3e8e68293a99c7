/*
 * sim_state.c - the simulated venue's state file (see sim_state.h).
 *
 * Format: a sequence of oms__sjrec_t records in the host's layout (the file
 * is the venue's own, read back by the same build on the same machine), each
 * carrying a hash of its other bytes. A crash can tear only the last write,
 * so reading stops at the first short or unchecked record and everything
 * before it is kept.
 *
 * Appends go straight into a shared mapping of the file (no system call per
 * record): the mapping is the page cache, so a record is in the file the
 * moment it is copied, and a kill -9 loses nothing the venue did. The file is
 * grown in doubling chunks with its blocks reserved (posix_fallocate), so a
 * full disk is an error at growth, never a SIGBUS at a store; the zeros past
 * the last record fail the check and end the reading. A clean close trims
 * them. The file only grows while the venue runs; each start folds it and
 * rewrites it with what the venue still holds (working orders, the finished
 * ones it keeps, reports not yet delivered) through a temporary file and
 * rename, so a crash during the rewrite leaves the old file whole. A file
 * whose first record fails its check is not this layout's (a whole EPOCH
 * always starts it): refused, never read as empty.
 */
#include "venue/sim_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "oms/error.h"

#define SJ_CHUNK ((size_t)256 * 1024)         /* the first mapping */
#define SJ_STEP_MAX ((size_t)4 * 1024 * 1024) /* the largest growth */

struct oms__sjournal_s {
  int fd;
  int failed;
  char *map;  /* MAP_SHARED over [0, cap) of the file */
  size_t cap; /* bytes mapped = the file's size */
  size_t off; /* bytes of records */
};

static uint64_t rec_check(const oms__sjrec_t *r) {
  return oms__hash_mem((const char *)r + sizeof(r->check), sizeof(*r) - sizeof(r->check),
                       UINT64_C(0x53494d5354415445));
}

static int write_all(int fd, const void *p, size_t len) {
  const char *s = p;
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return OMS_EIO;
    s += w;
    len -= (size_t)w;
  }
  return 0;
}

/* Makes the file and its mapping at least need bytes long: doubling, by
 * SJ_STEP_MAX at most a time. Only the blocks are reserved and the mapping
 * extended; the pages are faulted in one at a time by the records that
 * reach them (a few microseconds every ~14 records). Touching the whole
 * growth here instead, as this did, stalled the venue's thread, omsd's core,
 * 10-40 ms at each growth: the largest part of a 10k/s FIX round trip's
 * p99 (BENCHMARKS.md, issue 13 seventh pass). */
static int grow(oms__sjournal_t *j, size_t need) {
  size_t cap = j->cap ? j->cap : SJ_CHUNK;
  while (cap < need) cap += cap < SJ_STEP_MAX ? cap : SJ_STEP_MAX;
  if (posix_fallocate(j->fd, 0, (off_t)cap) != 0) return OMS_EIO;
  void *m = j->map == NULL ? mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0)
                           : mremap(j->map, j->cap, cap, MREMAP_MAYMOVE);
  if (m == MAP_FAILED) return OMS_EIO;
  j->map = m;
  j->cap = cap;
  return 0;
}

int oms__sj_load(const char *path, oms__sjrec_t **out, size_t *n, int *existed) {
  *out = NULL;
  *n = 0;
  *existed = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : OMS_EIO;
  *existed = 1;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return OMS_EIO;
  }
  size_t cap = (size_t)st.st_size / sizeof(oms__sjrec_t);
  oms__sjrec_t *recs = oms__malloc((cap + 1) * sizeof(*recs)); /* + a short tail */
  if (recs == NULL) {
    close(fd);
    return OMS_ENOMEM;
  }
  size_t k = 0, head = 0; /* head: bytes of the first record read */
  while (k <= cap) {
    size_t got = 0;
    char *p = (char *)&recs[k];
    while (got < sizeof(*recs)) {
      ssize_t r = read(fd, p + got, sizeof(*recs) - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (k == 0) head = got;
    if (k == cap || got < sizeof(*recs) || recs[k].check != rec_check(&recs[k])) break;
    k++;
  }
  close(fd);
  /* Zeros are the reserved tail of a file with no record yet; anything else
   * unread at the start is another layout's file. */
  bool foreign = false;
  for (size_t i = 0; k == 0 && i < head; i++) foreign |= ((const char *)recs)[i] != 0;
  if (foreign) {
    oms__free(recs);
    *out = NULL;
    return OMS_ECORRUPT;
  }
  *out = recs;
  *n = k;
  return 0;
}

int oms__sj_rewrite(const char *path, oms__sjrec_t *recs, size_t n, oms__sjournal_t **out) {
  *out = NULL;
  for (size_t i = 0; i < n; i++) recs[i].check = rec_check(&recs[i]);
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return OMS_EIO;
  oms__sjournal_t *j = oms__calloc(1, sizeof(*j));
  if (j == NULL) return OMS_ENOMEM;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) goto fail_alloc;
  if (n > 0 && write_all(fd, recs, n * sizeof(*recs)) != 0) goto fail_fd;
  if (fsync(fd) != 0 || rename(tmp, path) != 0) goto fail_fd;
  close(fd);
  j->fd = open(path, O_RDWR | O_CLOEXEC);
  if (j->fd < 0) goto fail_alloc;
  j->off = n * sizeof(*recs);
  if (grow(j, j->off + sizeof(*recs)) != 0) {
    oms__sj_close(j);
    return OMS_EIO;
  }
  *out = j;
  return 0;
fail_fd:
  close(fd);
  unlink(tmp);
fail_alloc:
  oms__free(j);
  return OMS_EIO;
}

int oms__sj_flush(oms__sjournal_t *j) { return j->failed ? OMS_EIO : 0; }

int oms__sj_append(oms__sjournal_t *j, oms__sjrec_t *r) {
  if (j->failed) return OMS_EIO;
  if (j->off + sizeof(*r) > j->cap && grow(j, j->off + sizeof(*r)) != 0) {
    j->failed = 1;
    return OMS_EIO;
  }
  r->check = rec_check(r);
  memcpy(j->map + j->off, r, sizeof(*r));
  j->off += sizeof(*r);
  return 0;
}

void oms__sj_close(oms__sjournal_t *j) {
  if (j == NULL) return;
  if (j->map != NULL) munmap(j->map, j->cap);
  if (j->fd >= 0) {
    /* Drops the reserved zeros; if it fails they are read as the end anyway. */
    int rc = j->failed ? 0 : ftruncate(j->fd, (off_t)j->off);
    (void)rc;
    close(j->fd);
  }
  oms__free(j);
}
