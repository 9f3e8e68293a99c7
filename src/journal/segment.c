/*
 * segment.c - reading journal segments: the frame, the system call seam,
 * recovery's scan, the reader behind oms_journal_read, and
 * oms_journal_verify_dir.
 *
 * HOW RECOVERY DECIDES (oms__jscan). Each segment is read front to back in
 * large preads. A record is good when its magic, length and CRC hold; its
 * LSN must then be the next one (else the open stops: a valid record in the
 * wrong place is never a torn write). The walk stops at the first thing that
 * is not a good record: a zero header (the preallocated, never written
 * space), the end of the file, an end-of-segment record, or a bad record.
 * The rest of the segment after that point is then swept: if it holds a good
 * record, what stopped the walk is damage in the middle (OMS_ECORRUPT at its
 * offset). In the last segment, with nothing good after it, it is a torn
 * tail: the journal continues after the last complete unit (a unit is
 * complete when its record without OMS_JOURNAL_F_MORE is there), and the
 * caller zeroes what lies between that point and the last non-zero byte. In
 * any other segment a bad record or an unfinished unit stops the open: the
 * next segment's records prove that the damage is not a tail. Consecutive
 * segments must continue each other's LSNs (a gap is a missing segment).
 *
 * The one exception (a power loss in fsync mode): in the last segment, a
 * hole followed by good records is cut as an unsynced tail when the segment
 * has a durable mark (OMS_JOURNAL_F_MARK, written by journal.c), the first
 * LSN the cut loses lies past the largest mark, and so does every good
 * record after the hole: those pages were written after the last sync the
 * marks know of and reached the disk before an earlier one did.
 *
 * An unsealed segment (os mode: a roll whose predecessor's fdatasync had
 * not finished, journal.c "The sealer") follows the others under a name of
 * its own. It belongs to the journal when its predecessor, the last
 * segment, reads whole and ends with an end record naming it: then the
 * predecessor was written out in full before the crash (kill -9 keeps the
 * page cache), and the unsealed segment is read as the last one. Otherwise
 * the predecessor lost its tail (a machine crash before the sync) and the
 * unsealed segment never became part of the journal: an orphan, which the
 * open sets aside, saying so.
 *
 * An open may skip reading the segments that end before an LSN
 * (verify_from_lsn): of those only the end-of-segment record is read, found
 * from the end of the file backwards, for continuity; oms__jcheck checks
 * them later (the scrub).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "journal/journal_int.h"
#include "oms/error.h"

#define CHUNK (1u << 20)       /* bytes per pread when recovery walks a segment */
#define READ_CHUNK (64u << 10) /* and when a reader follows the journal */

/* ---- the frame ---- */

static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | (b[1] << 8)); }
static uint32_t get32(const uint8_t *b) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}
static uint64_t get64(const uint8_t *b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}

void oms__jhdr_get(const uint8_t *b, oms__jhdr_t *h) {
  h->magic = get32(b);
  h->len = get32(b + 4);
  h->lsn = get64(b + 8);
  h->type = get16(b + 16);
  h->flags = get16(b + 18);
  h->crc = get32(b + 20);
}

bool oms__all_zero(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

/* ---- the seam ---- */

int oms__jio_open(const oms_journal_io_t *io, const char *path, int flags, mode_t mode) {
  return io && io->open ? io->open(io->ctx, path, flags, mode) : open(path, flags, mode);
}
ssize_t oms__jio_pwrite(const oms_journal_io_t *io, int fd, const void *buf, size_t n, off_t off) {
  return io && io->pwrite ? io->pwrite(io->ctx, fd, buf, n, off) : pwrite(fd, buf, n, off);
}
ssize_t oms__jio_pread(const oms_journal_io_t *io, int fd, void *buf, size_t n, off_t off) {
  return io && io->pread ? io->pread(io->ctx, fd, buf, n, off) : pread(fd, buf, n, off);
}
int oms__jio_fdatasync(const oms_journal_io_t *io, int fd) {
  return io && io->fdatasync ? io->fdatasync(io->ctx, fd) : fdatasync(fd);
}
int oms__jio_fallocate(const oms_journal_io_t *io, int fd, off_t off, off_t len) {
  return io && io->fallocate ? io->fallocate(io->ctx, fd, off, len) : fallocate(fd, 0, off, len);
}
int oms__jio_ftruncate(const oms_journal_io_t *io, int fd, off_t len) {
  return io && io->ftruncate ? io->ftruncate(io->ctx, fd, len) : ftruncate(fd, len);
}
int oms__jio_unlink(const oms_journal_io_t *io, const char *path) {
  return io && io->unlink ? io->unlink(io->ctx, path) : unlink(path);
}
int oms__jio_rename(const oms_journal_io_t *io, const char *from, const char *to) {
  return io && io->rename ? io->rename(io->ctx, from, to) : rename(from, to);
}

int oms__jio_write_all(const oms_journal_io_t *io, int fd, const void *buf, size_t n, off_t off) {
  const uint8_t *p = buf;
  while (n > 0) {
    ssize_t w = oms__jio_pwrite(io, fd, p, n, off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO; /* no progress: do not spin on it */
      return -1;
    }
    p += w;
    n -= (size_t)w;
    off += w;
  }
  return 0;
}

int oms__jio_preallocate(const oms_journal_io_t *io, int fd, uint64_t have, uint64_t len) {
  if (len <= have) return 0;
  if (oms__jio_fallocate(io, fd, (off_t)have, (off_t)(len - have)) == 0) return 0;
  if (errno != EOPNOTSUPP && errno != ENOSYS) return -1;
  /* The file system cannot reserve blocks: write them, so that a full disk
   * shows here and not in the middle of an append. */
  if (oms__jio_ftruncate(io, fd, (off_t)len) != 0) return -1;
  static const uint8_t zeros[65536];
  for (uint64_t at = have; at < len;) {
    size_t n = len - at < sizeof zeros ? (size_t)(len - at) : sizeof zeros;
    if (oms__jio_write_all(io, fd, zeros, n, (off_t)at) != 0) return -1;
    at += n;
  }
  return 0;
}

void oms__jerr(oms_journal_error_t *err, const char *file, uint64_t off, int sys_errno,
               const char *fmt, ...) {
  if (!err) return;
  memset(err, 0, sizeof *err);
  snprintf(err->file, sizeof err->file, "%s", file ? file : "");
  err->offset = off;
  err->sys_errno = sys_errno;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->text, sizeof err->text, fmt, ap);
  va_end(ap);
}

bool oms__jseg_path(char *out, size_t cap, const char *dir, uint64_t first_lsn) {
  int n = snprintf(out, cap, "%s/%020" PRIu64 ".journal", dir, first_lsn);
  return n > 0 && (size_t)n < cap;
}

bool oms__jseg_unsealed_path(char *out, size_t cap, const char *dir, uint64_t first_lsn) {
  int n = snprintf(out, cap, "%s/%020" PRIu64 ".unsealed", dir, first_lsn);
  return n > 0 && (size_t)n < cap;
}

/* ---- a window over a file ---- */

int oms__jrd_init(oms__jrd_t *rd, const oms_journal_io_t *io, size_t cap) {
  memset(rd, 0, sizeof *rd);
  rd->io = io;
  rd->fd = -1;
  rd->cap = cap;
  rd->buf = oms__malloc(rd->cap);
  return rd->buf ? 0 : OMS_ENOMEM;
}

void oms__jrd_free(oms__jrd_t *rd) {
  oms__free(rd->buf);
  rd->buf = NULL;
}

/* Points the window at fd (size bytes), forgetting what it held. */
static void rd_file(oms__jrd_t *rd, int fd, uint64_t size) {
  rd->fd = fd;
  rd->size = size;
  rd->at = 0;
  rd->have = 0;
}

int oms__jrd_get(oms__jrd_t *rd, uint64_t off, size_t n, const uint8_t **p) {
  if (off >= rd->at && off + n <= rd->at + rd->have) {
    *p = rd->buf + (off - rd->at);
    return 0;
  }
  if (off > rd->size || n > rd->size - off) {
    errno = EIO;
    return -1;
  }
  if (n > rd->cap) {
    uint8_t *b = oms__malloc(n);
    if (!b) {
      errno = ENOMEM;
      return -1;
    }
    oms__free(rd->buf);
    rd->buf = b;
    rd->cap = n;
  }
  size_t want = rd->size - off < rd->cap ? (size_t)(rd->size - off) : rd->cap;
  size_t got = 0;
  rd->have = 0;
  while (got < want) {
    ssize_t r = oms__jio_pread(rd->io, rd->fd, rd->buf + got, want - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break; /* the file is shorter than it was: what was read is all */
    got += (size_t)r;
  }
  if (got < n) {
    errno = EIO;
    return -1;
  }
  rd->at = off;
  rd->have = got;
  *p = rd->buf;
  return 0;
}

/* ---- records ---- */

/* REC_LSN is not rec_at's: the walk's name for a good record with the wrong LSN. */
enum { REC_OK, REC_ZERO, REC_EOF, REC_BAD, REC_IO, REC_LSN };

/* The record at off: REC_OK (*h, *payload), REC_ZERO (a zero header), REC_EOF (no
 * room for a header), REC_BAD (*why), REC_IO (errno). */
static int rec_at(oms__jrd_t *rd, uint64_t off, oms__jhdr_t *h, const uint8_t **payload,
                  const char **why) {
  if (rd->size < HDR || off > rd->size - HDR) return REC_EOF;
  const uint8_t *b;
  if (oms__jrd_get(rd, off, HDR, &b) != 0) return REC_IO;
  if (oms__all_zero(b, HDR)) return REC_ZERO;
  oms__jhdr_get(b, h);
  if (h->magic != OMS_JOURNAL_MAGIC) {
    *why = "not a record header (bad magic)";
    return REC_BAD;
  }
  if (h->len > OMS_JOURNAL_PAYLOAD_MAX ||
      ((h->flags & (OMS_JOURNAL_F_END | OMS_JOURNAL_F_MARK)) && h->len != 0)) {
    *why = "record length out of range";
    return REC_BAD;
  }
  if (REC_SIZE(h->len) > rd->size - off) {
    *why = "record runs past the end of the file";
    return REC_BAD;
  }
  if (oms__jrd_get(rd, off, (size_t)REC_SIZE(h->len), &b) != 0) return REC_IO;
  if (oms__jrec_crc(b, b + HDR, h->len) != h->crc) {
    *why = "CRC mismatch";
    return REC_BAD;
  }
  *payload = b + HDR;
  return REC_OK;
}

/* What lies after the point where the walk of a segment stopped (sweep). */
typedef struct after_s {
  uint64_t nz_end;  /* the end of the last non-zero byte (the sweep's start if none) */
  uint64_t valid;   /* the offset of the first good record, UINT64_MAX if none */
  uint64_t min_lsn; /* the smallest LSN of a good record (not a mark), UINT64_MAX if none */
  uint64_t mark;    /* the largest durable mark among them, 0 if none */
} after_t;

/* Over [from, size) of rd's file: fills *a, probing for good records at or
 * after probe_from. probe uses a second window so as not to move the one
 * being swept. Every good record is probed (not only the first): recovery
 * cuts an unsynced tail only if none of them claims a durable LSN. */
static int sweep(oms__jrd_t *rd, oms__jrd_t *probe, uint64_t from, uint64_t probe_from,
                 after_t *a) {
  a->nz_end = from;
  a->valid = a->min_lsn = UINT64_MAX;
  a->mark = 0;
  for (uint64_t pos = from; pos < rd->size;) {
    size_t n = rd->size - pos < CHUNK ? (size_t)(rd->size - pos) : CHUNK;
    const uint8_t *b;
    if (oms__jrd_get(rd, pos, n, &b) != 0) return -1;
    bool nz = false;
    for (size_t i = n; i > 0; i--)
      if (b[i - 1]) {
        a->nz_end = pos + i;
        nz = true;
        break;
      }
    for (uint64_t q = (pos + 7) & ~(uint64_t)7; nz && q + 4 <= pos + n; q += 8) {
      if (q < probe_from || get32(b + (q - pos)) != OMS_JOURNAL_MAGIC) continue;
      oms__jhdr_t h;
      const uint8_t *pl;
      const char *why;
      int r = rec_at(probe, q, &h, &pl, &why);
      if (r == REC_IO) return -1;
      if (r != REC_OK) continue;
      if (a->valid == UINT64_MAX) a->valid = q;
      if (h.flags & OMS_JOURNAL_F_MARK) {
        if (h.lsn > a->mark) a->mark = h.lsn;
      } else if (h.lsn < a->min_lsn) {
        a->min_lsn = h.lsn;
      }
    }
    pos += n;
  }
  return 0;
}

/* ---- the directory ---- */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The first LSN named by a file name "<20 digits><suffix>", or 0 if name is
 * not one. */
static uint64_t seg_name(const char *name, const char *suffix) {
  uint64_t v = 0;
  for (int i = 0; i < 20; i++) {
    if (name[i] < '0' || name[i] > '9') return 0;
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(name[i] - '0');
  }
  return strcmp(name + 20, suffix) == 0 ? v : 0;
}

/* The unsealed segments of dir: *first the lowest one's first LSN, *n how
 * many (a journal leaves one at most). 0 or -1 with errno. */
static int find_unsealed(const char *dir, uint64_t *first, size_t *n) {
  *first = 0;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    uint64_t v = seg_name(de->d_name, ".unsealed");
    if (v == 0) continue;
    if (*n == 0 || v < *first) *first = v;
    (*n)++;
  }
  closedir(d);
  return 0;
}

int oms__jseg_list(const char *dir, uint64_t **segs, size_t *n, oms_journal_error_t *err) {
  *segs = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) {
    int e = errno;
    oms__jerr(err, dir, 0, e, "cannot open the journal directory: %s", strerror(e));
    return e == ENOENT ? OMS_ENOTFOUND : OMS_ESTORE;
  }
  uint64_t *v = NULL;
  size_t cnt = 0, cap = 0;
  int rc = 0;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno) {
        oms__jerr(err, dir, 0, errno, "cannot list the journal directory: %s", strerror(errno));
        rc = OMS_ESTORE;
      }
      break;
    }
    uint64_t first = seg_name(de->d_name, ".journal");
    if (first == 0) continue;
    if (cnt == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      uint64_t *nv = oms__realloc(v, ncap * sizeof *nv);
      if (!nv) {
        rc = OMS_ENOMEM;
        break;
      }
      v = nv;
      cap = ncap;
    }
    v[cnt++] = first;
  }
  closedir(d);
  if (rc != 0) {
    oms__free(v);
    return rc;
  }
  if (cnt) qsort(v, cnt, sizeof *v, cmp_u64);
  *segs = v;
  *n = cnt;
  return 0;
}

/* Opens a segment read-only with its size. 0, or an OMS_E* code with err.
 * The newest segment may still be unsealed (see the top): missing under
 * its name, it is looked for under the unsealed one, and then under its
 * name again (sealed in between: the rename is atomic). */
static int open_seg(const oms_journal_io_t *io, const char *path, int *fd, uint64_t *size,
                    oms_journal_error_t *err) {
  *fd = oms__jio_open(io, path, O_RDONLY | O_CLOEXEC, 0);
  size_t len = strlen(path), sfx = sizeof ".journal" - 1;
  if (*fd < 0 && errno == ENOENT && len > sfx && len + 2 < PATH_MAX) {
    char alt[PATH_MAX];
    memcpy(alt, path, len - sfx);
    memcpy(alt + len - sfx, ".unsealed", sizeof ".unsealed");
    *fd = oms__jio_open(io, alt, O_RDONLY | O_CLOEXEC, 0);
    if (*fd < 0 && errno == ENOENT) *fd = oms__jio_open(io, path, O_RDONLY | O_CLOEXEC, 0);
  }
  if (*fd < 0) {
    int e = errno;
    oms__jerr(err, path, 0, e, "cannot open the segment: %s", strerror(e));
    return e == ENOENT ? OMS_ENOTFOUND : OMS_ESTORE;
  }
  struct stat st;
  if (fstat(*fd, &st) != 0) {
    int e = errno;
    oms__jerr(err, path, 0, e, "cannot stat the segment: %s", strerror(e));
    close(*fd);
    *fd = -1;
    return OMS_ESTORE;
  }
  *size = (uint64_t)st.st_size;
  return 0;
}

/* ---- recovery ---- */

/* One segment (see the top of the file). *expect: in, its first LSN; out,
 * the LSN after its last record. */
static int scan_seg(const char *path, oms__jrd_t *rd, oms__jrd_t *probe, bool last,
                    uint64_t *expect, oms__jscan_t *out, oms_journal_error_t *err) {
  uint64_t off = 0, done_off = 0, done_lsn = *expect - 1, mark = 0, got_lsn = 0;
  bool open_unit = false, ended = false;
  const char *why = "";
  int end;
  for (;;) {
    oms__jhdr_t h;
    const uint8_t *pl;
    end = rec_at(rd, off, &h, &pl, &why);
    if (end == REC_IO) {
      oms__jerr(err, path, off, errno, "cannot read the segment: %s", strerror(errno));
      return OMS_ESTORE;
    }
    if (end != REC_OK) break;
    if (h.flags & OMS_JOURNAL_F_MARK) {
      /* A durable mark: only records before it can have been synced. */
      if (open_unit || h.lsn >= *expect) {
        oms__jerr(err, path, off, 0, "durable mark %" PRIu64 " %s", h.lsn,
                  open_unit ? "inside a unit" : "ahead of the records before it");
        return OMS_ECORRUPT;
      }
      if (h.lsn > mark) mark = h.lsn;
      off += HDR;
      if (!open_unit) done_off = off; /* kept: a clean end may be a mark */
      continue;
    }
    if (h.lsn != *expect) {
      if (!last) {
        oms__jerr(err, path, off, 0, "LSN %" PRIu64 " where %" PRIu64 " was expected", h.lsn,
                  *expect);
        return OMS_ECORRUPT;
      }
      end = REC_LSN; /* in the last segment: maybe a stale page of an unsynced tail */
      got_lsn = h.lsn;
      break;
    }
    if (h.flags & OMS_JOURNAL_F_END) {
      if (open_unit) {
        oms__jerr(err, path, off, 0, "end-of-segment record inside a unit");
        return OMS_ECORRUPT;
      }
      off += HDR;
      ended = true;
      break;
    }
    off += REC_SIZE(h.len);
    (*expect)++;
    if (h.flags & OMS_JOURNAL_F_MORE) {
      open_unit = true;
    } else {
      open_unit = false;
      done_off = off;
      done_lsn = h.lsn;
    }
  }
  uint64_t bad = ended ? off - HDR : off;
  uint64_t from = ended ? off : done_off;
  after_t a;
  if (sweep(rd, probe, from, ended ? off : off + 8, &a) != 0) {
    oms__jerr(err, path, from, errno, "cannot read the segment: %s", strerror(errno));
    return OMS_ESTORE;
  }
  if (end == REC_LSN && a.valid == UINT64_MAX) a.valid = off; /* the record itself */
  if (a.valid != UINT64_MAX) {
    /* Good records after the break. In the last segment, past a durable
     * mark, they are pages of the unsynced tail that reached the disk
     * before an earlier one did: never acknowledged, cut. Anywhere else
     * the break is damage. */
    uint64_t d = a.mark > mark ? a.mark : mark;
    uint64_t lost = done_lsn + 1; /* the first LSN the cut would lose */
    if (last && !ended && d != 0 && lost > d && a.min_lsn > d && (end != REC_LSN || got_lsn > d)) {
      out->unsynced_cut = true;
      out->mark = d;
      goto tail;
    }
    if (ended)
      oms__jerr(err, path, a.valid, 0,
                "a record after the end-of-segment record at offset %" PRIu64, bad);
    else if (end == REC_LSN)
      oms__jerr(err, path, off, 0, "LSN %" PRIu64 " where %" PRIu64 " was expected", got_lsn,
                *expect);
    else if (end == REC_ZERO)
      oms__jerr(err, path, bad, 0, "zeros where a record was expected, followed by records");
    else
      oms__jerr(err, path, bad, 0, "%s, followed by good records", why);
    return OMS_ECORRUPT;
  }
  if (!last) {
    if (end == REC_BAD) {
      oms__jerr(err, path, bad, 0, "%s (not the last segment)", why);
      return OMS_ECORRUPT;
    }
    if (open_unit) {
      oms__jerr(err, path, done_off, 0, "a unit not finished at the end of the segment");
      return OMS_ECORRUPT;
    }
    return 0;
  }
  out->mark = mark;
tail:
  *expect = done_lsn + 1;
  out->last_lsn = done_lsn;
  out->tail_off = ended ? off : done_off;
  out->dirty_end = a.nz_end > out->tail_off ? a.nz_end : out->tail_off;
  out->last_ended = ended;
  out->last_size = rd->size;
  return 0;
}

/* Finds the end-of-segment record from the end of rd's file backwards (it is
 * followed by zeros only): 1 and *next its LSN (the next segment's first),
 * 0 if there is none, -1 with errno. */
static int end_record(oms__jrd_t *rd, uint64_t *next) {
  uint64_t end = rd->size & ~(uint64_t)7, last = UINT64_MAX;
  while (end > 0 && last == UINT64_MAX) {
    uint64_t from = end > CHUNK ? end - CHUNK : 0;
    const uint8_t *b;
    if (oms__jrd_get(rd, from, (size_t)(end - from), &b) != 0) return -1;
    for (size_t i = (size_t)(end - from); i > 0; i--)
      if (b[i - 1]) {
        last = from + i - 1;
        break;
      }
    end = from;
  }
  if (last == UINT64_MAX) return 0;
  /* The last non-zero byte lies in the record's 24 bytes. */
  for (uint64_t o = last & ~(uint64_t)7; o + HDR > last; o -= 8) {
    oms__jhdr_t h;
    const uint8_t *pl;
    const char *why;
    int r = rec_at(rd, o, &h, &pl, &why);
    if (r == REC_IO) return -1;
    if (r == REC_OK && (h.flags & OMS_JOURNAL_F_END)) {
      *next = h.lsn;
      return 1;
    }
    if (o == 0) break;
  }
  return 0;
}

/* Checks segs[0..n) of dir in order, *expect (in: the first one's first
 * LSN; out: the LSN after the last one's last record). A segment whose
 * successor begins at or before verify_from holds nothing at or after it:
 * its name and its end-of-segment record are checked (continuity), its
 * records not read. The last is the
 * journal's tail when tail is set (what its end holds goes into *out), else
 * it must be whole like the others. */
static int scan_segs(const char *dir, const oms_journal_io_t *io, const uint64_t *segs, size_t n,
                     bool tail, uint64_t verify_from, uint64_t *expect, oms__jscan_t *out,
                     oms_journal_error_t *err) {
  oms__jrd_t rd, probe;
  int rc = 0;
  int r1 = oms__jrd_init(&rd, io, CHUNK), r2 = oms__jrd_init(&probe, io, READ_CHUNK);
  if (r1 != 0 || r2 != 0) rc = OMS_ENOMEM;
  char path[PATH_MAX];
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!oms__jseg_path(path, sizeof path, dir, segs[i])) {
      oms__jerr(err, dir, 0, 0, "journal directory name too long");
      rc = OMS_EINVAL;
      break;
    }
    if (segs[i] != *expect) {
      if (segs[i] > *expect)
        oms__jerr(err, path, 0, 0,
                  "records %" PRIu64 "..%" PRIu64 " are missing: a segment is missing before this",
                  *expect, segs[i] - 1);
      else
        oms__jerr(err, path, 0, 0,
                  "segment begins at LSN %" PRIu64 " but the previous one ends at %" PRIu64,
                  segs[i], *expect - 1);
      rc = OMS_ECORRUPT;
      break;
    }
    int fd;
    uint64_t size;
    rc = open_seg(io, path, &fd, &size, err);
    if (rc != 0) break;
    rd_file(&rd, fd, size);
    rd_file(&probe, fd, size);
    /* Before verify_from: only its end-of-segment record is read, which
     * says where the next must begin (a missing segment shows); without
     * one (a roll that had no room for it) it is read whole. */
    int r = i + 1 < n && segs[i + 1] <= verify_from ? end_record(&rd, expect) : 0;
    if (r < 0) {
      oms__jerr(err, path, 0, errno, "cannot read the segment: %s", strerror(errno));
      rc = OMS_ESTORE;
    } else if (r == 0) {
      rc = scan_seg(path, &rd, &probe, tail && i + 1 == n, expect, out, err);
    }
    close(fd);
  }
  oms__jrd_free(&rd);
  oms__jrd_free(&probe);
  return rc;
}

int oms__jscan(const char *dir, const oms_journal_io_t *io, uint64_t verify_from, oms__jscan_t *out,
               oms_journal_error_t *err) {
  memset(out, 0, sizeof *out);
  int rc = oms__jseg_list(dir, &out->segs, &out->nsegs, err);
  if (rc != 0) return rc;
  uint64_t unsealed;
  size_t nu;
  if (find_unsealed(dir, &unsealed, &nu) != 0) {
    oms__jerr(err, dir, 0, errno, "cannot list the journal directory: %s", strerror(errno));
    oms__free(out->segs);
    out->segs = NULL;
    out->nsegs = 0;
    return OMS_ESTORE;
  }
  char upath[PATH_MAX];
  if (nu && !oms__jseg_unsealed_path(upath, sizeof upath, dir, unsealed)) upath[0] = '\0';
  if (nu > 1 || (nu && out->nsegs == 0) || (nu && unsealed <= out->segs[out->nsegs - 1])) {
    /* A journal leaves one at most, after every segment: not a crash's work. */
    if (nu > 1)
      oms__jerr(err, upath, 0, 0, "%zu unsealed segments: a journal leaves one at most", nu);
    else if (out->nsegs == 0)
      oms__jerr(err, upath, 0, 0, "an unsealed segment with no sealed segment before it");
    else
      oms__jerr(err, upath, 0, 0,
                "an unsealed segment not after the newest sealed one (LSN %" PRIu64
                "): a journal leaves one only after every segment",
                out->segs[out->nsegs - 1]);
    oms__free(out->segs);
    out->segs = NULL;
    out->nsegs = 0;
    return OMS_ECORRUPT;
  }
  if (out->nsegs == 0) {
    oms__jerr(err, dir, 0, 0, "no journal segment in the directory");
    return OMS_ENOTFOUND;
  }
  uint64_t expect = out->segs[0];
  rc = scan_segs(dir, io, out->segs, out->nsegs, true, verify_from, &expect, out, err);
  if (rc == 0 && nu) {
    if (out->last_ended && out->last_lsn + 1 == unsealed && out->dirty_end <= out->tail_off) {
      uint64_t *v = oms__realloc(out->segs, (out->nsegs + 1) * sizeof *v);
      if (!v) {
        rc = OMS_ENOMEM;
      } else {
        out->segs = v;
        out->segs[out->nsegs++] = unsealed;
        out->adopted = unsealed;
        out->mark = 0;
        rc = scan_segs(dir, io, &unsealed, 1, true, 0, &expect, out, err);
      }
    } else {
      out->orphan = unsealed;
    }
  }
  if (rc != 0) {
    oms__free(out->segs);
    out->segs = NULL;
    out->nsegs = 0;
  }
  return rc;
}

int oms__jcheck(const char *dir, const oms_journal_io_t *io, const uint64_t *segs, size_t n,
                uint64_t next, oms_journal_error_t *err) {
  if (n == 0) return 0;
  uint64_t expect = segs[0];
  oms__jscan_t unused;
  memset(&unused, 0, sizeof unused);
  int rc = scan_segs(dir, io, segs, n, false, 0, &expect, &unused, err);
  if (rc == 0 && next != 0 && next != expect) {
    char path[PATH_MAX];
    oms__jseg_path(path, sizeof path, dir, next);
    oms__jerr(err, path, 0, 0,
              "segment begins at LSN %" PRIu64 " but the previous one ends at %" PRIu64, next,
              expect - 1);
    rc = OMS_ECORRUPT;
  }
  return rc;
}

void oms__jtail_text(oms_journal_error_t *w, const char *path, const oms__jscan_t *s,
                     const char *verb) {
  if (s->unsynced_cut)
    oms__jerr(w, path, s->tail_off, 0,
              "%s an unsynced tail of %" PRIu64 " bytes after LSN %" PRIu64
              ": good records in it, all past the durable mark %" PRIu64
              " (never reported durable)",
              verb, s->dirty_end - s->tail_off, s->last_lsn, s->mark);
  else
    oms__jerr(w, path, s->tail_off, 0, "%s a torn tail of %" PRIu64 " bytes after LSN %" PRIu64,
              verb, s->dirty_end - s->tail_off, s->last_lsn);
}

void oms__jorphan_text(oms_journal_error_t *w, const char *path, const oms__jscan_t *s,
                       const char *verb) {
  oms__jerr(w, path, 0, 0,
            "%s the unsealed segment of LSN %" PRIu64
            " on: the segment before it does not end whole with an end record naming it (it"
            " ends at LSN %" PRIu64
            "): a machine crash before the roll's sync; those records"
            " were never synced",
            verb, s->orphan, s->last_lsn);
}

/* ---- reading ---- */

int oms__jread(const char *dir, const oms_journal_io_t *io, const uint64_t *segs, size_t n,
               oms__jpos_t *pos, uint64_t from, uint64_t limit, oms_journal_cb cb, void *ctx,
               oms_journal_error_t *err) {
  if (pos->lsn > limit || pos->k >= n) return 0;
  oms__jrd_t rd;
  if (oms__jrd_init(&rd, io, READ_CHUNK) != 0) return OMS_ENOMEM;
  char path[PATH_MAX];
  int rc = 0;
  while (rc == 0 && pos->lsn <= limit) {
    if (pos->k >= n) {
      oms__jerr(err, path, pos->off, 0, "LSN %" PRIu64 " is in no segment", pos->lsn);
      rc = OMS_ECORRUPT; /* records promised that no segment holds */
      break;
    }
    if (!oms__jseg_path(path, sizeof path, dir, segs[pos->k])) {
      rc = OMS_EINVAL;
      break;
    }
    int fd;
    uint64_t size;
    rc = open_seg(io, path, &fd, &size, err);
    if (rc != 0) break;
    rd_file(&rd, fd, size);
    while (pos->lsn <= limit) {
      oms__jhdr_t h;
      const uint8_t *pl;
      const char *why;
      int r = rec_at(&rd, pos->off, &h, &pl, &why);
      if (r == REC_IO) {
        oms__jerr(err, path, pos->off, errno, "cannot read the segment: %s", strerror(errno));
        rc = OMS_ESTORE;
        break;
      }
      if (r == REC_OK && (h.flags & OMS_JOURNAL_F_MARK)) {
        pos->off += HDR; /* a durable mark: not a record for readers */
        continue;
      }
      if (r == REC_BAD || (r == REC_OK && h.lsn != pos->lsn)) {
        if (r == REC_BAD)
          oms__jerr(err, path, pos->off, 0, "%s", why);
        else
          oms__jerr(err, path, pos->off, 0, "LSN %" PRIu64 " where %" PRIu64 " was expected", h.lsn,
                    pos->lsn);
        rc = OMS_ECORRUPT;
        break;
      }
      if (r != REC_OK || (h.flags & OMS_JOURNAL_F_END)) {
        /* The segment ends: the next one must begin where it stopped. */
        if (pos->k + 1 < n && segs[pos->k + 1] != pos->lsn) {
          oms__jerr(err, path, pos->off, 0,
                    "the segment ends before LSN %" PRIu64 ", the next begins at %" PRIu64,
                    pos->lsn, segs[pos->k + 1]);
          rc = OMS_ECORRUPT;
        }
        pos->k++;
        pos->off = 0;
        break;
      }
      if (h.lsn >= from) {
        oms_journal_entry_t e = {.lsn = h.lsn,
                                 .type = h.type,
                                 .flags = h.flags,
                                 .data = pl,
                                 .len = h.len,
                                 .file = path,
                                 .offset = pos->off};
        rc = cb(ctx, &e);
      }
      pos->off += REC_SIZE(h.len);
      pos->lsn++;
      if (rc != 0) break;
    }
    close(fd);
  }
  oms__jrd_free(&rd);
  return rc;
}

/* ---- verify ---- */

int oms_journal_verify_dir(const char *dir, oms_journal_cb cb, void *ctx,
                           oms_journal_error_t *err) {
  oms_journal_error_t scratch;
  if (!err) err = &scratch;
  memset(err, 0, sizeof *err);
  if (!dir) return OMS_EINVAL;
  oms__jscan_t s;
  int rc = oms__jscan(dir, NULL, 0, &s, err);
  if (rc != 0) return rc;
  if (cb) {
    oms__jpos_t pos = {0, 0, s.segs[0]};
    rc = oms__jread(dir, NULL, s.segs, s.nsegs, &pos, s.segs[0], s.last_lsn, cb, ctx, NULL);
  }
  if (rc == 0 && s.dirty_end > s.tail_off) {
    char path[PATH_MAX];
    oms__jseg_path(path, sizeof path, dir, s.segs[s.nsegs - 1]);
    oms__jtail_text(err, path, &s, "opening the journal cuts");
  } else if (rc == 0 && s.orphan) {
    char path[PATH_MAX];
    oms__jseg_unsealed_path(path, sizeof path, dir, s.orphan);
    oms__jorphan_text(err, path, &s, "opening the journal sets aside");
  }
  oms__free(s.segs);
  return rc;
}
