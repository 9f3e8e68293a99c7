/*
 * store.c - what the exchange keeps across its restarts besides the book
 * (which the simulated venue keeps in its own state file).
 *
 * A session's store is two files in the data directory: <ours>-<theirs>.seq,
 * 16 bytes (next sender and next target sequence number) rewritten in place,
 * and <ours>-<theirs>.msgs, the application messages sent, appended as
 * [seq 8][len 4][bytes]. At open the messages file is read once to index
 * each seq's offset (a torn last record, from a crash mid-append, is cut
 * off: its number was never saved, so it was never sent). With fsync set,
 * every write is fdatasync'ed before the callback returns, and the session
 * calls send only after its store callbacks returned: no byte leaves before
 * it and its number are on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "omsvenue.h"

static int sync_fd(const vstore_t *st, int fd) {
  if (st->fsync && fdatasync(fd) != 0) {
    app_log_sys(OMS_LOG_ERROR, "fdatasync", "object=session_store", errno);
    return OMS_EIO;
  }
  return 0;
}

static int index_put(vstore_t *st, int64_t seq, uint64_t off) {
  if (seq <= 0) return OMS_EINVAL;
  if ((size_t)seq >= st->noff) {
    size_t n = st->noff ? st->noff : 1024;
    while (n <= (size_t)seq) n *= 2;
    uint64_t *p = realloc(st->off, n * sizeof *p);
    if (p == NULL) return OMS_ENOMEM;
    memset(p + st->noff, 0, (n - st->noff) * sizeof *p);
    st->off = p;
    st->noff = n;
  }
  st->off[seq] = off + 1;
  return 0;
}

/* Indexes the messages file; cuts a torn tail. */
static int index_msgs(vstore_t *st) {
  uint64_t pos = 0;
  for (;;) {
    unsigned char h[12];
    ssize_t n = pread(st->msg_fd, h, sizeof h, (off_t)pos);
    if (n < (ssize_t)sizeof h) break;
    int64_t seq;
    uint32_t len;
    memcpy(&seq, h, 8);
    memcpy(&len, h + 8, 4);
    struct stat sb;
    if (fstat(st->msg_fd, &sb) != 0 || pos + 12 + len > (uint64_t)sb.st_size) break;
    int rc = index_put(st, seq, pos);
    if (rc != 0) return rc;
    pos += 12 + len;
  }
  if (ftruncate(st->msg_fd, (off_t)pos) != 0) return OMS_EIO;
  st->end = pos;
  return 0;
}

int vstore_open(vstore_t *st, const char *dir, const char *ours, const char *theirs, bool fsync) {
  *st = (vstore_t){.seq_fd = -1, .msg_fd = -1, .fsync = fsync};
  char path[OMS_CFG_PATH_MAX + 2 * OMS_ID_MAX + 16];
  snprintf(path, sizeof path, "%s/%s-%s.seq", dir, ours, theirs);
  st->seq_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (st->seq_fd < 0) goto fail;
  snprintf(path, sizeof path, "%s/%s-%s.msgs", dir, ours, theirs);
  st->msg_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (st->msg_fd < 0) goto fail;
  if (index_msgs(st) != 0) goto fail;
  return 0;
fail:
  app_log_sys(OMS_LOG_ERROR, "open", "object=session_store", errno);
  vstore_close(st);
  return OMS_EIO;
}

void vstore_close(vstore_t *st) {
  if (st->seq_fd >= 0) close(st->seq_fd);
  if (st->msg_fd >= 0) close(st->msg_fd);
  free(st->off);
  *st = (vstore_t){.seq_fd = -1, .msg_fd = -1};
}

static int load_seqnums(void *ctx, int64_t *next_sender, int64_t *next_target) {
  vstore_t *st = ctx;
  int64_t v[2];
  ssize_t n = pread(st->seq_fd, v, sizeof v, 0);
  if (n != (ssize_t)sizeof v) return OMS_ENOTFOUND;
  *next_sender = v[0];
  *next_target = v[1];
  return 0;
}

static int save_seqnums(void *ctx, int64_t next_sender, int64_t next_target) {
  vstore_t *st = ctx;
  int64_t v[2] = {next_sender, next_target};
  if (pwrite(st->seq_fd, v, sizeof v, 0) != (ssize_t)sizeof v) return OMS_EIO;
  return sync_fd(st, st->seq_fd);
}

static int save_sent(void *ctx, int64_t seq, const char *data, size_t len) {
  vstore_t *st = ctx;
  unsigned char h[12];
  uint32_t l = (uint32_t)len;
  memcpy(h, &seq, 8);
  memcpy(h + 8, &l, 4);
  if (pwrite(st->msg_fd, h, sizeof h, (off_t)st->end) != (ssize_t)sizeof h ||
      pwrite(st->msg_fd, data, len, (off_t)(st->end + 12)) != (ssize_t)len)
    return OMS_EIO;
  int rc = sync_fd(st, st->msg_fd);
  if (rc == 0) rc = index_put(st, seq, st->end);
  if (rc == 0) st->end += 12 + len;
  return rc;
}

static int load_sent(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len) {
  vstore_t *st = ctx;
  if (seq <= 0 || (size_t)seq >= st->noff || st->off[seq] == 0) return OMS_ENOTFOUND;
  uint64_t pos = st->off[seq] - 1;
  uint32_t l;
  if (pread(st->msg_fd, &l, 4, (off_t)pos + 8) != 4 || l > cap) return OMS_EIO;
  if (pread(st->msg_fd, buf, l, (off_t)pos + 12) != (ssize_t)l) return OMS_EIO;
  *len = l;
  return 0;
}

static int reset(void *ctx) {
  vstore_t *st = ctx;
  if (ftruncate(st->msg_fd, 0) != 0) return OMS_EIO;
  if (st->off != NULL) memset(st->off, 0, st->noff * sizeof *st->off);
  st->end = 0;
  return sync_fd(st, st->msg_fd);
}

oms_fix_session_store_t vstore_callbacks(vstore_t *st) {
  return (oms_fix_session_store_t){.load_seqnums = load_seqnums,
                                   .save_seqnums = save_seqnums,
                                   .save_sent = save_sent,
                                   .load_sent = load_sent,
                                   .reset = reset,
                                   .ctx = st};
}

int vjournal_open(FILE **out, const char *dir) {
  char path[OMS_CFG_PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/orders.log", dir);
  *out = fopen(path, "a+");
  if (*out == NULL) {
    app_log_sys(OMS_LOG_ERROR, "fopen", "object=orders.log", errno);
    return OMS_EIO;
  }
  return 0;
}

int vjournal_write(FILE *f, bool fsync, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  if (n < 0 || fflush(f) != 0 || (fsync && fdatasync(fileno(f)) != 0)) {
    app_log_sys(OMS_LOG_ERROR, "write", "object=orders.log", errno);
    return OMS_EIO;
  }
  return 0;
}
