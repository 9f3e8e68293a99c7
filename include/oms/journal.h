/*
 * journal.h - the append-only journal: the write-ahead log the core writes
 * itself (docs/store.md, docs/journal.md).
 *
 * WHAT IT IS. A sequence of records, each with a gap-free sequence number
 * (its LSN: 1, 2, 3...), a type, and an opaque payload, kept in preallocated
 * segment files `<dir>/<first LSN, 20 digits>.journal` of a fixed size. Each
 * record is framed:
 *
 *     u32 magic+version | u32 length of the payload | u64 lsn | u16 type |
 *     u16 flags | u32 crc32c (of everything before it and the payload) |
 *     payload | zero padding to 8 bytes
 *
 * (all little-endian). Records of one unit (OMS_JOURNAL_F_MORE on all but
 * the last) are all-or-nothing: recovery keeps a unit only if its last
 * record is there. A segment ends with a zero header (preallocated, never
 * written) or an explicit end-of-segment record; the next segment's name
 * says where it begins.
 *
 * DURABILITY. oms_journal_append writes with pwrite on the caller's thread
 * (the core), or in os mode copies into the mapped segment where a
 * prefaulter thread has the pages ready (docs/journal.md, "Appending"): when
 * it returns the record is in the page cache, which a crash of the process
 * does not lose. In OMS_JOURNAL_OS mode that is
 * durable: the durable LSN advances in the append. In OMS_JOURNAL_FSYNC
 * mode a syncer thread fdatasyncs what was written (everything written
 * since its last sync: group commit by construction) and then publishes the
 * durable LSN (an atomic, an eventfd, and on_durable). A failed write or
 * sync (ENOSPC, EIO) puts the journal in the FAILED state: appends are
 * refused (OMS_ESTORE) and the durable LSN never passes what was synced.
 *
 * RECOVERY (oms_journal_open). Every segment is read and every CRC checked.
 * A torn or zeroed tail of the last segment (a record cut short, a CRC that
 * does not match at the end, zeros where a header should be, an unfinished
 * unit) is cut: the journal continues after the last good unit. Damage
 * anywhere else (a bad record followed by good ones, a missing segment, an
 * LSN out of order) stops the open with OMS_ECORRUPT and err names the file
 * and the byte offset: never silently skipped. One exception, after a power
 * loss in fsync mode: in the last segment, a hole followed by good records
 * that all lie past the segment's durable mark (OMS_JOURNAL_F_MARK) is an
 * unsynced tail whose pages reached the disk out of order: cut, and said
 * through on_warn. cfg->verify_from_lsn skips reading what lies before it;
 * oms_journal_verify_range(j, from, to, err) checks that later, from any thread.
 *
 * THREADS. append/append_unit are serialised by a short lock (the core, the
 * gateway and sink cursors may append); readers (oms_journal_read, any
 * thread) read what was written, with their own file descriptors.
 */
#ifndef OMS_JOURNAL_H
#define OMS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oms/common.h"

OMS_BEGIN_DECLS

typedef struct oms_journal_s oms_journal_t;

typedef enum oms_journal_durability_e {
  OMS_JOURNAL_FSYNC = 0, /* durable once fdatasync'ed (syncer thread): survives power loss */
  OMS_JOURNAL_OS = 1     /* durable once written: survives a process crash, not the machine's */
} oms_journal_durability_t;

#define OMS_JOURNAL_F_MORE 0x1u /* another record of the same unit follows */
/* The frame, for tools that read segment files themselves (docs/journal.md). */
#define OMS_JOURNAL_MAGIC 0x4A4D4F01u /* "\x01OMJ" on disk: version 1 */
#define OMS_JOURNAL_HEADER_SIZE 24u
/* An end-of-segment record: no payload, no LSN of its own (its lsn field is
 * the next segment's first); readers never see it. */
#define OMS_JOURNAL_F_END 0x8000u
/* A durable mark (fsync mode): no payload, no LSN of its own; its lsn field
 * is an LSN that a sync had made durable before the mark was written.
 * Readers never see it; recovery uses it to tell an unsynced tail from
 * damage (docs/journal.md, "Power loss"). */
#define OMS_JOURNAL_F_MARK 0x4000u
#define OMS_JOURNAL_PAYLOAD_MAX (1u << 20)

/* The system calls the journal makes, replaceable for fault injection
 * (tests sweep ENOSPC and EIO over every call site). NULL members: the real
 * call. Each returns what the real call returns (-1 with errno). */
typedef struct oms_journal_io_s {
  int (*open)(void *ctx, const char *path, int flags, mode_t mode);
  ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, off_t off);
  ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, off_t off);
  int (*fdatasync)(void *ctx, int fd);
  int (*fallocate)(void *ctx, int fd, off_t off, off_t len);
  int (*ftruncate)(void *ctx, int fd, off_t len);
  int (*unlink)(void *ctx, const char *path);
  int (*rename)(void *ctx, const char *from, const char *to);
  void *ctx;
} oms_journal_io_t;

typedef struct oms_journal_error_s {
  char file[256];  /* the segment file, "" if none */
  uint64_t offset; /* byte offset in it */
  int sys_errno;   /* of a failed system call, 0 if none */
  char text[192];  /* what is wrong, for a person */
} oms_journal_error_t;

typedef struct oms_journal_config_s {
  const char *dir;        /* created if missing when create is set */
  uint64_t segment_bytes; /* preallocated size of each segment; 0 = 64 MiB */
  oms_journal_durability_t durability;
  bool create;                /* an empty or missing dir may start a new journal */
  const oms_journal_io_t *io; /* NULL: the real system calls */
  /* Syncer thread (fsync) or appending thread (os, inside the append and
   * under its lock: must not append): the durable LSN advanced. */
  void (*on_durable)(void *ctx, uint64_t lsn);
  /* The journal failed (err says where and why), on the thread that saw it. */
  void (*on_error)(void *ctx, const oms_journal_error_t *err);
  void *ctx;
  int64_t syncer_spin_ns; /* spin before sleeping when idle; 0 = 50 us; < 0 never */
  /* At open, on the opening thread: recovery cut something (a torn tail, or
   * an unsynced tail with good records in it: w says file, offset, what).
   * NULL: said nowhere. For a log, loudly: records were dropped. */
  void (*on_warn)(void *ctx, const oms_journal_error_t *w);
  /* Records below this LSN are not read at open (0: all are): the segments
   * that end before it are checked by name only (continuity), the rest is
   * verified as always. oms_journal_verify_range checks the skipped part
   * later, from any thread. */
  uint64_t verify_from_lsn;
  /* os mode: append with pwrite even where the segment could be written
   * through a mapping (docs/journal.md, "Appending"); for comparisons. */
  bool append_pwrite;
} oms_journal_config_t;

OMS_EXTERN void oms_journal_config_init(oms_journal_config_t *cfg, const char *dir);

/* Opens (recovering: see above) or, with cfg->create and no segment, creates
 * a journal. Returns 0; OMS_ECORRUPT (err says file and offset); OMS_ENOTFOUND
 * (no journal and create not set); OMS_ESTORE (a system call failed: err);
 * OMS_EINVAL; OMS_ENOMEM. */
OMS_EXTERN int oms_journal_open(const oms_journal_config_t *cfg, oms_journal_t **out,
                                oms_journal_error_t *err);

/* Appends one record; *lsn (may be NULL) gets its LSN. Returns 0, OMS_ESTORE
 * (failed: nothing more is accepted until reopened), OMS_EINVAL (payload
 * too large), OMS_ECLOSED. */
OMS_EXTERN int oms_journal_append(oms_journal_t *j, uint16_t type, const void *data, uint32_t len,
                                  uint64_t *lsn);

/* Appends n records as one unit (all or nothing at recovery) with one write
 * where possible; *last_lsn gets the LSN of the last. */
typedef struct oms_journal_rec_s {
  uint16_t type;
  const void *data;
  uint32_t len;
} oms_journal_rec_t;
OMS_EXTERN int oms_journal_append_unit(oms_journal_t *j, const oms_journal_rec_t *recs, size_t n,
                                       uint64_t *last_lsn);

/* The last LSN written (in the page cache) and the last durable one. Atomic reads. */
OMS_EXTERN uint64_t oms_journal_written(const oms_journal_t *j);
OMS_EXTERN uint64_t oms_journal_durable(const oms_journal_t *j);
/* An eventfd readable when the durable LSN advances (read it to rearm). In
 * os mode it is written only once it was asked for (readable at once then
 * if anything is durable): an append there is durable when it returns. */
OMS_EXTERN int oms_journal_durable_fd(const oms_journal_t *j);
/* Blocks until lsn is durable (timeout_ns < 0: no timeout): 0, OMS_ETIMEDOUT,
 * OMS_ESTORE. Not for the core. */
OMS_EXTERN int oms_journal_wait(oms_journal_t *j, uint64_t lsn, int64_t timeout_ns);
OMS_EXTERN bool oms_journal_failed(const oms_journal_t *j);
OMS_EXTERN void oms_journal_last_error(const oms_journal_t *j, oms_journal_error_t *err);

/* A record as a reader sees it (valid during the callback only). */
typedef struct oms_journal_entry_s {
  uint64_t lsn;
  uint16_t type;
  uint16_t flags;
  const void *data;
  uint32_t len;
  const char *file; /* where it is, for tools */
  uint64_t offset;
} oms_journal_entry_t;
typedef int (*oms_journal_cb)(void *ctx, const oms_journal_entry_t *e);

/* Any thread: calls cb for each record with from_lsn <= lsn <= the last
 * written (or durable, if durable_only) at the call, in order; cb's non-zero
 * return stops it and is returned. from_lsn 0: from the oldest retained
 * record. 0, OMS_ENOTFOUND (from_lsn was released), or an OMS_E* code. */
OMS_EXTERN int oms_journal_read(oms_journal_t *j, uint64_t from_lsn, bool durable_only,
                                oms_journal_cb cb, void *ctx);

/* Deletes the segments whose every record is below keep_lsn (retention: the
 * caller says what it no longer needs, e.g. what the projection holds and
 * is older than the retention period). Returns the number deleted or an
 * OMS_E* code. */
OMS_EXTERN int oms_journal_release(oms_journal_t *j, uint64_t keep_lsn);

/* Offline: opens dir read-only and checks every record (the tool's verify;
 * nothing is cut); cb (may be NULL) gets every record recovery would keep.
 * 0 or OMS_ECORRUPT with err; a torn tail (which the open would cut) returns
 * 0 with err saying where it is (err->text is "" when there is none). */
OMS_EXTERN int oms_journal_verify_dir(const char *dir, oms_journal_cb cb, void *ctx,
                                      oms_journal_error_t *err);

/* Any thread, the journal open (a background scrub of what the open skipped:
 * verify_from_lsn): checks every record of the segments holding LSNs from..to
 * (to 0 or past the written LSN: up to the written LSN at the call), as
 * recovery checks them. 0; OMS_ECORRUPT (err names the file and offset);
 * OMS_ENOTFOUND (from was released); OMS_ESTORE; OMS_ENOMEM. */
OMS_EXTERN int oms_journal_verify_range(oms_journal_t *j, uint64_t from, uint64_t to,
                                        oms_journal_error_t *err);

/* Syncs what was written (fsync mode) and closes. Accepts NULL. */
OMS_EXTERN void oms_journal_close(oms_journal_t *j);

/* CRC32C (Castagnoli), hardware-accelerated where the CPU has it. */
OMS_EXTERN uint32_t oms_crc32c(uint32_t crc, const void *data, size_t n);

OMS_END_DECLS

#endif /* OMS_JOURNAL_H */
