/*
 * journal_int.h - what the files of src/journal share: the frame, the system
 * call seam, and the segment reader used by recovery, oms_journal_read and
 * oms_journal_verify_dir (segment.c).
 */
#ifndef OMS_JOURNAL_INT_H
#define OMS_JOURNAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oms/journal.h"

/* ---- the frame (docs/journal.md) ---- */
#define HDR OMS_JOURNAL_HEADER_SIZE
#define CRC_SPAN 20 /* the header bytes the CRC covers: all but the CRC */
#define PAD8(n) (((uint64_t)(n) + 7u) & ~(uint64_t)7u)
#define REC_SIZE(len) (HDR + PAD8(len))
#define NAME_MAX_LEN 32 /* "<20 digits>.journal" and a NUL */

typedef struct oms__jhdr_s {
  uint32_t magic;
  uint32_t len;
  uint64_t lsn;
  uint16_t type;
  uint16_t flags;
  uint32_t crc;
} oms__jhdr_t;

/* Little-endian, byte by byte (the compiler makes one store of each on a
 * little-endian host); inline: the append path frames a header twice. */
static inline void oms__put16(uint8_t *b, uint16_t v) {
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
}
static inline void oms__put32(uint8_t *b, uint32_t v) {
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static inline void oms__put64(uint8_t *b, uint64_t v) {
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static inline void oms__jhdr_put(uint8_t *b, const oms__jhdr_t *h) {
  oms__put32(b, h->magic);
  oms__put32(b + 4, h->len);
  oms__put64(b + 8, h->lsn);
  oms__put16(b + 16, h->type);
  oms__put16(b + 18, h->flags);
  oms__put32(b + 20, h->crc);
}
void oms__jhdr_get(const uint8_t *b, oms__jhdr_t *h);
/* The CRC of a record: header bytes [0, 20) then the payload. */
uint32_t oms__jrec_crc(const uint8_t *hdr, const void *payload, uint32_t len);
bool oms__all_zero(const uint8_t *b, size_t n);

uint32_t oms__crc32c_sw(uint32_t crc, const void *data, size_t n);
bool oms__crc32c_hw_available(void);

/* ---- the seam: every call that can fail goes through these ---- */
int oms__jio_open(const oms_journal_io_t *io, const char *path, int flags, mode_t mode);
ssize_t oms__jio_pwrite(const oms_journal_io_t *io, int fd, const void *buf, size_t n, off_t off);
ssize_t oms__jio_pread(const oms_journal_io_t *io, int fd, void *buf, size_t n, off_t off);
int oms__jio_fdatasync(const oms_journal_io_t *io, int fd);
int oms__jio_fallocate(const oms_journal_io_t *io, int fd, off_t off, off_t len);
int oms__jio_ftruncate(const oms_journal_io_t *io, int fd, off_t len);
int oms__jio_unlink(const oms_journal_io_t *io, const char *path);
int oms__jio_rename(const oms_journal_io_t *io, const char *from, const char *to);
/* pwrite all n bytes (short writes continued): 0, or -1 with errno. */
int oms__jio_write_all(const oms_journal_io_t *io, int fd, const void *buf, size_t n, off_t off);
/* Makes [0, len) of fd allocated: fallocate, or if the file system refuses it
 * (EOPNOTSUPP), ftruncate and zeros written. 0 or -1 with errno. */
int oms__jio_preallocate(const oms_journal_io_t *io, int fd, uint64_t have, uint64_t len);

void oms__jerr(oms_journal_error_t *err, const char *file, uint64_t off, int sys_errno,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "<dir>/<20 digits>.journal" into out (size PATH_MAX); false if too long. */
bool oms__jseg_path(char *out, size_t cap, const char *dir, uint64_t first_lsn);
/* The name a segment has until the roll that began it is sealed (os mode:
 * journal.c, "The sealer"): "<dir>/<20 digits>.unsealed". */
bool oms__jseg_unsealed_path(char *out, size_t cap, const char *dir, uint64_t first_lsn);

/* ---- reading segments ---- */

/* A window over one file, read with pread in large chunks. */
typedef struct oms__jrd_s {
  const oms_journal_io_t *io;
  int fd;
  uint64_t size; /* of the file */
  uint8_t *buf;
  size_t cap;
  uint64_t at; /* file offset of buf[0] */
  size_t have; /* valid bytes in buf */
} oms__jrd_t;

/* cap: the window's size (it grows to hold a larger record). */
int oms__jrd_init(oms__jrd_t *rd, const oms_journal_io_t *io, size_t cap);
void oms__jrd_free(oms__jrd_t *rd);
/* Points *p at [off, off + n) of the file: 0, or -1 with errno (a read past
 * the end of the file is EIO). */
int oms__jrd_get(oms__jrd_t *rd, uint64_t off, size_t n, const uint8_t **p);

/* The segments of dir, sorted by first LSN, in *segs (oms__free). 0,
 * OMS_ENOTFOUND (no dir), OMS_ESTORE, OMS_ENOMEM. */
int oms__jseg_list(const char *dir, uint64_t **segs, size_t *n, oms_journal_error_t *err);

/* What recovery found (oms__jscan). */
typedef struct oms__jscan_s {
  uint64_t *segs; /* first LSN of each segment, sorted (oms__free) */
  size_t nsegs;
  uint64_t last_lsn;  /* the last record of the last complete unit (first - 1 if none) */
  uint64_t tail_off;  /* where the next record goes in the last segment */
  uint64_t dirty_end; /* > tail_off: bytes [tail_off, dirty_end) are a torn tail to zero */
  uint64_t last_size; /* of the last segment file */
  bool last_ended;    /* the last segment ends with an end-of-segment record */
  uint64_t mark;      /* the last segment's largest durable mark, 0 if none */
  bool unsynced_cut;  /* the tail to cut has good records in it, all past the mark */
  /* An unsealed segment (see oms__jseg_unsealed_path) found after the
   * others: adopted (its predecessor ends whole with an end record naming
   * it: the last segment now) or an orphan (its predecessor does not: a
   * machine crash before the roll's sync; not part of the journal). 0: none. */
  uint64_t adopted;
  uint64_t orphan;
} oms__jscan_t;

/* Reads every segment of dir and checks every record (see journal.h:
 * RECOVERY), except in the segments that end before verify_from (named
 * only). Cuts nothing: the caller zeroes [tail_off, dirty_end). 0,
 * OMS_ENOTFOUND (no segment), OMS_ECORRUPT, OMS_ESTORE, OMS_ENOMEM; err says. */
int oms__jscan(const char *dir, const oms_journal_io_t *io, uint64_t verify_from, oms__jscan_t *out,
               oms_journal_error_t *err);

/* Checks the whole segments segs[0..n) of dir as recovery checks a segment
 * followed by another (a scrub); next (0: none) is the first LSN of the
 * segment after them. 0, OMS_ECORRUPT, OMS_ENOTFOUND, OMS_ESTORE; err says. */
int oms__jcheck(const char *dir, const oms_journal_io_t *io, const uint64_t *segs, size_t n,
                uint64_t next, oms_journal_error_t *err);

/* Says what recovery cuts in s's last segment (path), for a person: w's
 * text begins with verb ("cut", "opening the journal cuts"). */
void oms__jtail_text(oms_journal_error_t *w, const char *path, const oms__jscan_t *s,
                     const char *verb);

/* Says what recovery sets aside (s->orphan, path its unsealed file), for a
 * person: w's text begins with verb. */
void oms__jorphan_text(oms_journal_error_t *w, const char *path, const oms__jscan_t *s,
                       const char *verb);

/* A position in a journal: the record with LSN lsn begins at byte off of
 * segment k (of a list of first LSNs). */
typedef struct oms__jpos_s {
  size_t k;
  uint64_t off;
  uint64_t lsn;
} oms__jpos_t;

/* Calls cb for each record of the segments segs[pos->k..n) of dir, from
 * *pos on, whose LSN is >= from and <= limit (an LSN known to be complete on
 * disk). On return *pos is the first record not delivered. 0, cb's non-zero
 * return, or an OMS_E* code (OMS_ENOTFOUND: a segment is gone); err (may be
 * NULL) names the file and offset of an error. */
int oms__jread(const char *dir, const oms_journal_io_t *io, const uint64_t *segs, size_t n,
               oms__jpos_t *pos, uint64_t from, uint64_t limit, oms_journal_cb cb, void *ctx,
               oms_journal_error_t *err);

/* ---- one record framed in place (journal.c) ----
 * For a caller that serializes every append of the journal itself (the
 * journal store, under its mutex): reserve points *payload at room for
 * OMS__JOURNAL_INPLACE_MAX bytes inside the journal's framing buffer; the
 * caller writes the payload there and commits its length (one record, a
 * unit of its own), or cancels. Nothing else may append in between. os
 * mode takes no lock on this path; fsync mode holds the journal's from
 * reserve to commit or cancel. reserve: 0, OMS_ECLOSED, OMS_ESTORE (failed);
 * commit: as oms_journal_append, *lsn the record's LSN (0 on error). */
#define OMS__JOURNAL_BUF_BYTES (256u << 10)
#define OMS__JOURNAL_INPLACE_MAX (OMS__JOURNAL_BUF_BYTES - 2 * OMS_JOURNAL_HEADER_SIZE - 8)
int oms__journal_reserve(oms_journal_t *j, uint8_t **payload);
int oms__journal_commit(oms_journal_t *j, uint16_t type, uint32_t len, uint64_t *lsn);
void oms__journal_cancel(oms_journal_t *j);

/* Bytes appended through the segment mapping so far (os mode: journal.c,
 * "Appending through a mapping"); the rest was written with pwrite. */
uint64_t oms__journal_mapped(oms_journal_t *j);

/* Bytes the prefaulter has made ready past the append position (0 without a
 * mapping): a test waits on it, as the prefaulter runs in idle time only. */
uint64_t oms__journal_ahead(oms_journal_t *j);

/* How far into the current segment the sealer has unmapped what was
 * appended and started its writeback (0 without a mapping). */
uint64_t oms__journal_flushed(oms_journal_t *j);

/* The sealer's spare segment: 1 ready for the next roll, -1 making one
 * failed (retried later), 0 neither yet. */
int oms__journal_spare_state(oms_journal_t *j);

/* os mode: the first LSN of the segment before a roll whose seal is
 * pending (0: none). */
uint64_t oms__journal_unsealed(oms_journal_t *j);

#endif /* OMS_JOURNAL_INT_H */
