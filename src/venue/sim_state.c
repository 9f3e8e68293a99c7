/*
 * sim_state.c - the simulated venue's state file (see sim_state.h).
 *
 * Format: a sequence of oms__sjrec_t records in the host's layout (the file
 * is the venue's own, read back by the same build on the same machine), each
 * carrying a hash of its other bytes. A crash can tear only the last write,
 * so reading stops at the first short or unchecked record and everything
 * before it is kept.
 *
 * Appends are buffered and written with one write() per flush: the venue
 * flushes before it delivers any report, so nothing it acknowledged is
 * missing from the file after a kill -9. The file only grows while the venue
 * runs; each start folds it and rewrites it with the working orders alone
 * (through a temporary file and rename, so a crash during the rewrite leaves
 * the old file whole).
 */
#include "venue/sim_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "oms/error.h"

#define SJ_BUF_RECS 256

struct oms__sjournal_s {
  int fd;
  int failed;
  size_t n; /* records buffered */
  oms__sjrec_t buf[SJ_BUF_RECS];
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
  oms__sjrec_t *recs = oms__malloc((cap ? cap : 1) * sizeof(*recs));
  if (recs == NULL) {
    close(fd);
    return OMS_ENOMEM;
  }
  size_t k = 0;
  while (k < cap) {
    size_t got = 0;
    char *p = (char *)&recs[k];
    while (got < sizeof(*recs)) {
      ssize_t r = read(fd, p + got, sizeof(*recs) - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (got < sizeof(*recs) || recs[k].check != rec_check(&recs[k])) break;
    k++;
  }
  close(fd);
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
  j->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (j->fd < 0) goto fail_alloc;
  *out = j;
  return 0;
fail_fd:
  close(fd);
  unlink(tmp);
fail_alloc:
  oms__free(j);
  return OMS_EIO;
}

int oms__sj_flush(oms__sjournal_t *j) {
  if (j->failed) return OMS_EIO;
  if (j->n == 0) return 0;
  if (write_all(j->fd, j->buf, j->n * sizeof(j->buf[0])) != 0) {
    j->failed = 1;
    return OMS_EIO;
  }
  j->n = 0;
  return 0;
}

int oms__sj_append(oms__sjournal_t *j, oms__sjrec_t *r) {
  if (j->failed) return OMS_EIO;
  r->check = rec_check(r);
  j->buf[j->n++] = *r;
  return j->n == SJ_BUF_RECS ? oms__sj_flush(j) : 0;
}

void oms__sj_close(oms__sjournal_t *j) {
  if (j == NULL) return;
  (void)oms__sj_flush(j);
  close(j->fd);
  oms__free(j);
}
