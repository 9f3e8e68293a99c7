/*
 * journal.c - the append-only journal (include/oms/journal.h,
 * docs/journal.md): opening with recovery, appending, the syncer thread,
 * retention.
 *
 * NOTES ON THE DESIGN
 *
 * Appending. The caller's thread frames the unit into a buffer allocated at
 * open and writes it with one pwrite into the current segment at `off`
 * (units larger than the buffer are written in several), under `mu`, which
 * only appenders and the segment table take. Then the written LSN is
 * published (an atomic). Nothing is allocated and no other system call is
 * made on that path, except: in os mode, one eventfd write; in fsync mode, a
 * condition signal if (and only if) the syncer is asleep.
 *
 * Framing in place (oms__journal_reserve/commit, the journal store's path
 * for a unit of one event): the caller encodes the payload straight into
 * `buf` and commits its length; no copy. Its caller serializes every append
 * of the journal (the store's own mutex), so in os mode this path takes no
 * lock: nothing else writes the appender's state there (no syncer, no idle
 * mark), the readers take `mu` for the segment table only, which moves in a
 * roll, and a roll takes `mu`. In os mode `written` and `durable` are moved
 * by the one appender only: release stores, no locked instruction (fsync
 * mode keeps the sequentially consistent store the syncer's sleep needs
 * and the syncer's compare-and-swap on `durable`).
 *
 * Appending through a mapping (os mode). The current segment is also mapped
 * shared, and a prefaulter thread (SCHED_IDLE) keeps the pages ahead of the
 * append position resident and writable (madvise MADV_POPULATE_WRITE and a
 * store to each page, see populate(), a chunk at a time, up to AHEAD bytes
 * past `tail`), publishing how far it got
 * in the map's `ready`. A unit that lies wholly below `ready` is copied into
 * the mapping instead of written: the bytes are then in the page cache, as
 * after a pwrite, with no system call and no page allocation on the
 * appender's thread. The copy goes up in 8-byte stores, so a process killed
 * in the middle leaves a prefix of the unit (a torn tail), as a pwrite does,
 * never a hole before good bytes. Anything else (past `ready`, a map that
 * could not be made, the prefaulter starved or given up) is written with
 * pwrite as before, so an error still surfaces as a failed pwrite. The core
 * never waits for the prefaulter: a roll publishes the new segment's map and
 * hands the old one over (`retired`); the prefaulter passes it on at the
 * start of its next round (`retired2`), the sealer unmaps it at the start of
 * its own, when neither uses it any more.
 *
 * Segments. A unit never spans two segments: when the next unit and an
 * end-of-segment record do not both fit, the segment is rolled on the
 * appender's thread: the end-of-segment record is written and the next
 * segment takes over. A segment has its own name (its first LSN) only once
 * the one before it is fdatasync'ed, so that a segment followed by another
 * under its own name is always complete on disk, and a gap after a machine
 * crash is real damage, not lost cache. fsync mode syncs in the roll (the
 * syncer keeps the segment nearly clean), then syncs the directory before
 * anything in the new segment can be reported durable.
 *
 * The sealer keeps the roll off the appender's critical path (measured: the
 * roll's fdatasync took 11-46 ms on the core, the open, fallocate and
 * directory sync of the next segment 1-3 ms more; BENCHMARKS.md, issue 13
 * twelfth pass). A thread of ordinary priority that mostly waits on the
 * disk, it
 *   - makes the next segment ahead (`spare`): created under a name no
 *     reader or recovery takes for a segment (NNN.spare), preallocated, in
 *     os mode mapped with its first AHEAD bytes populated. The roll renames
 *     it into place: one rename instead of an open, a fallocate and an
 *     mmap, and the first appends go through the mapping at once. A spare
 *     never holds a record before its rename, so the open removes any that
 *     a crash left. Without one ready (a roll sooner than the sealer, or
 *     making it failed) the roll creates the segment as before. Its memory
 *     comes from the appender (`blank`): the sealer allocates nothing;
 *   - seals the roll (os mode): the roll syncs nothing and names the new
 *     segment NNN.unsealed; the sealer fdatasyncs the segment before it,
 *     renames it NNN.journal and syncs the directory. Readers open the
 *     newest segment under either name (segment.c, open_seg). A roll that
 *     finds the last one not sealed yet seals it itself first (one unsealed
 *     segment at most); retention keeps the segment before an unsealed one;
 *     close seals. After a crash, recovery adopts an unsealed segment whose
 *     predecessor ends whole with an end record naming it (a process crash:
 *     the page cache kept it) and sets any other aside (a machine crash
 *     before the seal: never synced, as os mode allows): segment.c;
 *   - in os mode, every FLUSH_EVERY bytes, unmaps what was appended and
 *     starts its writeback (sync_file_range, no wait), so the seal's
 *     fdatasync finds less to write. Unmapped first: writeback of mapped
 *     pages write-protects each one and flushes its TLB entry on every CPU
 *     running this process, the core's included, one interrupt a page;
 *     unmapping flushes once for the whole range (BENCHMARKS.md, issue 13
 *     tenth pass). This was the SCHED_IDLE prefaulter's, which fell behind
 *     whenever both CPUs were busy.
 *
 * The syncer (fsync mode). It loads the written LSN W, fdatasyncs the
 * current segment under `smu` (the roll swaps the segment under `mu` and
 * `smu`, so the fd cannot change or close under a sync), and publishes W as
 * durable: everything up to W was in that segment or in one the roll synced.
 * One sync covers every append since the previous one: group commit. When
 * there is nothing to sync it spins for syncer_spin_ns, then sleeps on `cv`
 * with `sleeping` set; the appender signals only when it sees `sleeping`
 * (both sides use sequentially consistent operations, so one of them always
 * sees the other: no lost wake-up, and no system call per append while the
 * syncer spins).
 *
 * Durable marks (fsync mode). A mark is a header-only record stating an LSN
 * that a completed sync made durable. The appender puts one ahead of a unit
 * (same buffer, same pwrite) when the durable LSN moved since the last mark
 * and lies in the current segment; the syncer writes one when it goes idle.
 * Neither syncs it: a mark is true wherever it lands. Recovery uses them to
 * cut an unsynced tail whose pages reached the disk out of order (segment.c).
 *
 * Failure. The first failed write, sync, open or allocation moves the
 * journal to FAILED for good: the error is kept (file, offset, errno),
 * on_error is called, appends return OMS_ESTORE, the eventfd and the waiters
 * are woken, and the durable LSN stays where the last successful sync put
 * it. Linux may drop the dirty pages of a failed fdatasync, so retrying it
 * would report durable what is not: reopening (recovery) is the way back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "journal/journal_int.h"
#include "oms/error.h"

#define DEFAULT_SEGMENT (64u << 20)
#define MIN_SEGMENT 4096u
#define DEFAULT_SPIN_NS 50000
#define HINTS 8
#define AHEAD (8u << 20)            /* populated ahead of the append position */
#define POP_CHUNK (64u << 10)       /* populated per madvise */
#define POP_NAP_NS 2000000          /* the prefaulter's sleep when it is ahead */
#define SEAL_NAP_NS 2000000         /* the sealer's between rounds */
#define SPARE_RETRY_NS 1000000000LL /* after a spare could not be made */
#define FLUSH_EVERY (4u << 20)      /* writeback started behind the appends, per this much */
#define PAGE 4096u
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels refuse it: pwrite */
#endif

/* The current segment mapped for os-mode appends (see the top). */
typedef struct segmap_s {
  uint8_t *base;
  uint64_t len;
  int fd;                   /* its own descriptor: the core closes the segment's at a roll */
  _Atomic uint64_t flushed; /* unmapped, writeback started, up to here (the sealer's) */
  _Atomic uint64_t ready;   /* populated writable from the tail's page up to here */
  bool given_up;            /* populating failed: appends pwrite (the prefaulter's) */
  struct segmap_s *next;    /* in the retired list */
} segmap_t;

/* The next segment, made ahead by the sealer (see the top). Its memory is
 * allocated by the appender (at the open and at each roll: `blank`), so
 * that the sealer allocates nothing. */
typedef struct spare_s {
  char path[PATH_MAX]; /* dir/NNN.spare */
  int fd;              /* -1: not made */
  segmap_t *mem;       /* for its map (with mappings), zeroed; NULL without */
  segmap_t *map;       /* mem once mapped, its first pages populated; else NULL */
} spare_t;

struct oms_journal_s {
  char *dir;
  uint64_t seg_bytes;
  oms_journal_durability_t durability;
  oms_journal_io_t io;
  void (*on_durable)(void *ctx, uint64_t lsn);
  void (*on_error)(void *ctx, const oms_journal_error_t *err);
  void *ctx;
  int64_t spin_ns;
  int dirfd;
  int efd;
  /* Someone asked for efd. Until then an os-mode append (durable inside
   * the append, on the appender's thread, which needs no wake-up) skips
   * the write(2) of the kick. */
  _Atomic int efd_wanted;

  /* Appenders and the segment table. */
  pthread_mutex_t mu;
  int fd;             /* current segment; swapped under mu and smu */
  uint64_t cur_first; /* its first LSN; the same */
  uint64_t seg_cap;   /* its size */
  uint64_t off;       /* where the next record goes */
  uint64_t next_lsn;  /* the LSN of the next record */
  uint64_t mark;      /* the last durable mark written (fsync mode) */
  uint8_t *buf;       /* OMS__JOURNAL_BUF_BYTES: the unit being framed */
  uint64_t *segs;     /* first LSN of each segment, oldest first */
  size_t nsegs, segcap;
  oms__jpos_t hints[HINTS]; /* where readers stopped (k is a first LSN here) */
  unsigned hint_next;
  segmap_t *map;   /* the current segment's, NULL: appends pwrite (under mu) */
  uint64_t mapped; /* bytes appended through a map (under mu; for tests) */

  /* The prefaulter (os mode, see the top). */
  bool use_map;
  _Atomic(segmap_t *) pmap;    /* map, for the prefaulter */
  _Atomic(segmap_t *) retired; /* maps rolled away, passed on by the prefaulter */
  pthread_mutex_t pmu;         /* its and the sealer's naps, which close cuts short */
  pthread_cond_t pcv;
  pthread_t prefaulter;
  bool has_prefaulter;

  /* The sealer (see the top). */
  _Atomic(spare_t *) spare;     /* made ahead, taken by the next roll */
  _Atomic(spare_t *) blank;     /* memory for the next spare, filled by the sealer */
  _Atomic(segmap_t *) retired2; /* maps neither the core nor the prefaulter uses: unmapped here */
  /* os mode: the roll whose seal is pending (see the top). Under zmu. */
  pthread_mutex_t zmu;
  int pend_fd;                 /* the segment before the roll, to sync; -1: none pending */
  segmap_t *pend_map;          /* its map, retired once it is synced (NULL: none) */
  uint64_t pend_next;          /* the unsealed segment's first LSN */
  _Atomic uint64_t pend_first; /* the segment before it (release keeps it); 0: none */
  unsigned spare_gen;          /* names the spares (the sealer's) */
  int64_t spare_retry_ns;      /* making one failed: not before this (the sealer's) */
  _Atomic int spare_failed;    /* the last try failed (for tests) */
  pthread_t sealer;
  bool has_sealer;
  _Alignas(64) _Atomic uint64_t tail; /* off, for the prefaulter */

  _Alignas(64) _Atomic uint64_t written;
  _Alignas(64) _Atomic uint64_t durable;
  _Alignas(64) _Atomic int failed;
  _Atomic int closing;

  pthread_mutex_t emu; /* the error */
  oms_journal_error_t error;

  /* The syncer. */
  pthread_mutex_t smu;
  pthread_mutex_t cmu;
  pthread_cond_t cv;
  _Atomic int sleeping;
  pthread_t syncer;
  bool has_syncer;

  /* oms_journal_wait. */
  pthread_mutex_t wmu;
  pthread_cond_t wcv;
  _Atomic int waiters;
};

void oms_journal_config_init(oms_journal_config_t *cfg, const char *dir) {
  memset(cfg, 0, sizeof *cfg);
  cfg->dir = dir;
  cfg->segment_bytes = DEFAULT_SEGMENT;
  cfg->durability = OMS_JOURNAL_FSYNC;
}

/* ---- state ---- */

static void wake_waiters(oms_journal_t *j) {
  if (atomic_load(&j->waiters) > 0) {
    pthread_mutex_lock(&j->wmu);
    pthread_cond_broadcast(&j->wcv);
    pthread_mutex_unlock(&j->wmu);
  }
}

static void kick_efd(oms_journal_t *j) {
  uint64_t one = 1;
  /* Only a counter at its maximum refuses, and then the fd is readable anyway. */
  ssize_t r = write(j->efd, &one, sizeof one);
  (void)r;
}

/* The durable LSN becomes lsn (never moves back). */
static void publish(oms_journal_t *j, uint64_t lsn) {
  uint64_t cur = atomic_load(&j->durable);
  while (cur < lsn && !atomic_compare_exchange_weak(&j->durable, &cur, lsn)) {
  }
  if (cur >= lsn) return;
  if (j->durability != OMS_JOURNAL_OS || atomic_load_explicit(&j->efd_wanted, memory_order_relaxed))
    kick_efd(j);
  wake_waiters(j);
  if (j->on_durable) j->on_durable(j->ctx, lsn);
}

/* publish() in os mode, where only the appender publishes (see appended):
 * no compare-and-swap. */
static void publish_os(oms_journal_t *j, uint64_t lsn) {
  atomic_store_explicit(&j->durable, lsn, memory_order_release);
  if (atomic_load_explicit(&j->efd_wanted, memory_order_relaxed)) kick_efd(j);
  wake_waiters(j);
  if (j->on_durable) j->on_durable(j->ctx, lsn);
}

/* FAILED, for good: the first error is kept and reported. */
static void fail(oms_journal_t *j, const char *file, uint64_t off, int e, const char *what) {
  oms_journal_error_t err;
  oms__jerr(&err, file, off, e, "%s: %s", what, e ? strerror(e) : "no progress");
  pthread_mutex_lock(&j->emu);
  bool first = atomic_load(&j->failed) == 0;
  if (first) {
    j->error = err;
    atomic_store(&j->failed, 1);
  }
  pthread_mutex_unlock(&j->emu);
  if (!first) return;
  if (j->on_error) j->on_error(j->ctx, &err); /* before the waiters learn of it */
  kick_efd(j);
  wake_waiters(j);
}

static void seg_path(const oms_journal_t *j, char *out, size_t cap, uint64_t first) {
  oms__jseg_path(out, cap, j->dir, first);
}

/* ---- the syncer ---- */

static int64_t now_ns(void) {
  /* The syncer's idle spin measures real elapsed time, not trading time: the
   * monotonic clock, not the injected oms_clock_t. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Syncs what was written; false when the journal failed. */
static bool sync_once(oms_journal_t *j) {
  pthread_mutex_lock(&j->smu);
  uint64_t w = atomic_load(&j->written);
  int fd = j->fd;
  uint64_t first = j->cur_first; /* not segs[]: release and roll move it under mu alone */
  int r = oms__jio_fdatasync(&j->io, fd);
  int e = errno;
  pthread_mutex_unlock(&j->smu);
  if (r != 0) {
    char path[PATH_MAX];
    seg_path(j, path, sizeof path, first);
    fail(j, path, 0, e, "fdatasync failed");
    return false;
  }
  publish(j, w);
  return true;
}

/* Idle: a durable mark for what the last syncs made durable, so that the
 * records of the last group commits before a quiet spell are covered too
 * (an append would carry it only later). It goes to the page cache; the
 * next sync or the kernel's writeback takes it to the disk, and it is true
 * whether it gets there or not. */
static void idle_mark(oms_journal_t *j) {
  pthread_mutex_lock(&j->mu);
  uint64_t d = atomic_load(&j->durable);
  if (!atomic_load(&j->failed) && d > j->mark && d >= j->cur_first &&
      j->off + 2 * HDR <= j->seg_cap) {
    uint8_t b[HDR];
    oms__jhdr_t h = {OMS_JOURNAL_MAGIC, 0, d, 0, OMS_JOURNAL_F_MARK, 0};
    oms__jhdr_put(b, &h);
    h.crc = oms__jrec_crc(b, NULL, 0);
    oms__jhdr_put(b, &h);
    if (oms__jio_write_all(&j->io, j->fd, b, HDR, (off_t)j->off) != 0) {
      char path[PATH_MAX];
      seg_path(j, path, sizeof path, j->cur_first);
      fail(j, path, j->off, errno, "cannot write to the segment");
    } else {
      j->off += HDR;
      j->mark = d;
    }
  }
  pthread_mutex_unlock(&j->mu);
}

static void *syncer_main(void *arg) {
  oms_journal_t *j = arg;
  pthread_setname_np(pthread_self(), "oms-syncer");
  for (;;) {
    if (atomic_load(&j->failed)) break;
    uint64_t w = atomic_load(&j->written);
    if (w > atomic_load(&j->durable)) {
      if (!sync_once(j)) break;
      continue;
    }
    if (atomic_load(&j->closing)) break;
    /* Idle: spin a little (a burst's next append comes soon), then sleep. */
    if (j->spin_ns > 0) {
      int64_t until = now_ns() + j->spin_ns;
      bool more = false;
      for (unsigned i = 0; !more; i++) {
        more = atomic_load(&j->written) > atomic_load(&j->durable) || atomic_load(&j->closing);
        if (!more && (i & 63u) == 63u && now_ns() >= until) break;
        cpu_relax();
      }
      if (more) continue;
    }
    idle_mark(j);
    pthread_mutex_lock(&j->cmu);
    atomic_store(&j->sleeping, 1);
    while (atomic_load(&j->written) <= atomic_load(&j->durable) && !atomic_load(&j->closing) &&
           !atomic_load(&j->failed))
      pthread_cond_wait(&j->cv, &j->cmu);
    atomic_store(&j->sleeping, 0);
    pthread_mutex_unlock(&j->cmu);
  }
  return NULL;
}

static void wake_syncer(oms_journal_t *j) {
  pthread_mutex_lock(&j->cmu);
  pthread_cond_signal(&j->cv);
  pthread_mutex_unlock(&j->cmu);
}

/* ---- the mapping and the prefaulter (os mode) ---- */

/* The segment fd mapped whole into m (zeroed), or NULL (m not used). */
static segmap_t *map_seg_in(int fd, uint64_t len, segmap_t *m) {
  m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  void *p =
      m->fd < 0 ? MAP_FAILED : mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    if (m->fd >= 0) close(m->fd);
    return NULL;
  }
  m->base = p;
  m->len = len;
  return m;
}

/* The segment fd mapped whole, or NULL (appends then pwrite). */
static segmap_t *map_seg(oms_journal_t *j, int fd, uint64_t len) {
  if (!j->use_map) return NULL;
  segmap_t *m = oms__calloc(1, sizeof *m);
  if (!m) return NULL;
  if (map_seg_in(fd, len, m) == NULL) {
    oms__free(m);
    return NULL;
  }
  return m;
}

static void unmap_list(segmap_t *m) {
  while (m) {
    segmap_t *next = m->next;
    munmap(m->base, (size_t)m->len);
    close(m->fd);
    oms__free(m);
    m = next;
  }
}

/* Pushes the list m onto *list. */
static void push_maps(_Atomic(segmap_t *) *list, segmap_t *m) {
  while (m) {
    segmap_t *next = m->next;
    m->next = atomic_load(list);
    while (!atomic_compare_exchange_weak(list, &m->next, m)) {
    }
    m = next;
  }
}

/* The segment whose map is m stops being appended to (under mu). */
static void retire_map(oms_journal_t *j, segmap_t *m) {
  if (!m) return;
  m->next = NULL;
  push_maps(&j->retired, m);
}

/* Makes [p, p + n) resident and writable for the appender: populated
 * (MADV_POPULATE_WRITE), then a word of each page written from this thread.
 * Populating fills the kernel's page table only; under a hypervisor that
 * shadows the guest's page tables (this project's VMs) the first store to
 * each page from user space still exits to the hypervisor, ~5 us, and that
 * store would be the core's, on one append in twenty (BENCHMARKS.md, issue 13
 * fourteenth pass). On bare metal the touch costs a TLB miss a page. It
 * rewrites the word with its own value by compare-and-swap, which no
 * compiler drops as it may an atomic add of 0: a pwrite of the appender's
 * into these pages (past `ready`, where appends pwrite) lands whole before
 * or after it, never undone. Only the pages' owner calls this, before it
 * publishes them in `ready`. */
static int populate(uint8_t *p, size_t n) {
  if (madvise(p, n, MADV_POPULATE_WRITE) != 0) return -1;
  for (size_t o = 0; o < n; o += PAGE) {
    uint64_t *w = (uint64_t *)(void *)(p + o);
    uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(w, &v, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
  }
  return 0;
}

/* The prefaulter sleeps ns, or until close wakes it. */
static void nap(oms_journal_t *j, int64_t ns) {
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_nsec += ns;
  dl.tv_sec += dl.tv_nsec / 1000000000;
  dl.tv_nsec %= 1000000000;
  pthread_mutex_lock(&j->pmu);
  if (!atomic_load(&j->closing)) pthread_cond_timedwait(&j->pcv, &j->pmu, &dl);
  pthread_mutex_unlock(&j->pmu);
}

static void *prefault_main(void *arg) {
  oms_journal_t *j = arg;
  pthread_setname_np(pthread_self(), "oms-prefault");
#ifdef SCHED_IDLE
  /* Idle time only: a core or client thread that wakes takes the CPU from
   * it at once. Under SCHED_BATCH a round that had started kept the CPU for
   * its slice: a scheduler trace caught it running 7.5 ms straight while the
   * core thread, woken on that CPU, waited (BENCHMARKS.md, issue 13 seventh
   * pass). Starved on a machine with no idle CPU, it falls behind and the
   * appends pwrite, as they would without it. */
  struct sched_param sp = {0};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
#endif
  while (!atomic_load(&j->closing)) {
    /* Retired before this round began: no longer in use here; the sealer
     * unmaps them once it is past them too. */
    push_maps(&j->retired2, atomic_exchange(&j->retired, NULL));
    segmap_t *m = atomic_load(&j->pmap);
    bool more = false;
    if (m && !m->given_up) {
      uint64_t t = atomic_load_explicit(&j->tail, memory_order_relaxed) & ~(uint64_t)(PAGE - 1);
      uint64_t r = atomic_load_explicit(&m->ready, memory_order_relaxed);
      uint64_t want = t + AHEAD < m->len ? t + AHEAD : m->len;
      if (r < t) r = t;
      if (r < want) {
        size_t n = want - r < POP_CHUNK ? (size_t)(want - r) : POP_CHUNK;
        /* An error (an old kernel, no memory, EIO reading a page) is not
         * the journal's failure: the appends past `ready` pwrite, and a
         * real error surfaces there. */
        if (populate(m->base + r, n) != 0) {
          m->given_up = true;
        } else {
          atomic_store_explicit(&m->ready, r + n, memory_order_release);
          more = r + n < want;
        }
      }
    }
    if (!more) nap(j, POP_NAP_NS);
  }
  return NULL;
}

/* Copies n bytes (a multiple of 8, both 8-aligned) upwards with stores the
 * compiler keeps in order (volatile): a process killed in the middle
 * leaves a prefix (memcpy may store the end first, which after a kill -9
 * would read as a hole followed by a good record: damage, not a torn
 * tail). The CPU makes the stores visible in program order too (x86 is
 * TSO; a store, 16 bytes wide or not, is done or not done when the
 * process dies). With SSE2 16 bytes a store, else 8. */
#if defined(__SSE2__)
typedef long long u128_t __attribute__((vector_size(16), aligned(1), may_alias));
#endif
static void copy_up(uint8_t *dst, const uint8_t *src, size_t n) {
#if defined(__SSE2__)
  volatile u128_t *d = (volatile u128_t *)(void *)dst;
  const u128_t *s = (const u128_t *)(const void *)src;
  /* Four a turn: the same stores in the same order, a quarter of the
   * loop's own count and compare (a record is a few hundred bytes). */
  for (; n >= 64; n -= 64, d += 4, s += 4) {
    u128_t a = s[0], b = s[1], c = s[2], e = s[3];
    d[0] = a;
    d[1] = b;
    d[2] = c;
    d[3] = e;
  }
  for (; n >= 16; n -= 16) *d++ = *s++;
  dst = (uint8_t *)(uintptr_t)d;
  src = (const uint8_t *)s;
#endif
  volatile uint64_t *d8 = (volatile uint64_t *)(void *)dst;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v;
    memcpy(&v, src + i, sizeof v);
    d8[i / 8] = v;
  }
}

/* ---- segments ---- */

/* Creates and preallocates the segment file path, then syncs the directory
 * if sync_dir (so that its name survives a machine crash); *fd. */
static int create_seg(oms_journal_t *j, const char *path, bool sync_dir, int *fd) {
  *fd = oms__jio_open(&j->io, path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0) {
    fail(j, path, 0, errno, "cannot create the segment");
    return OMS_ESTORE;
  }
  if (oms__jio_preallocate(&j->io, *fd, 0, j->seg_bytes) != 0) {
    fail(j, path, 0, errno, "cannot preallocate the segment");
    close(*fd);
    *fd = -1;
    return OMS_ESTORE;
  }
  if (sync_dir && oms__jio_fdatasync(&j->io, j->dirfd) != 0) {
    fail(j, j->dir, 0, errno, "cannot sync the journal directory");
    close(*fd);
    *fd = -1;
    return OMS_ESTORE;
  }
  return 0;
}

/* ---- the sealer (see the top) ---- */

/* A spare, made or not, that will not be used: unmapped, closed, removed,
 * freed. The name is never a segment's, so a failed unlink leaves only what
 * the next open removes. */
static void drop_spare(spare_t *s) {
  if (!s) return;
  if (s->map)
    unmap_list(s->map); /* frees mem */
  else
    oms__free(s->mem);
  if (s->fd >= 0) {
    close(s->fd);
    if (s->path[0]) (void)unlink(s->path);
  }
  oms__free(s);
}

/* Memory for the next spare, for the sealer to fill (the appender's: at the
 * open and after a roll). Without it (no memory) the next roll creates its
 * segment itself. */
static void new_blank(oms_journal_t *j) {
  if (atomic_load(&j->blank) != NULL) return;
  spare_t *s = oms__calloc(1, sizeof *s);
  if (!s) return;
  s->fd = -1;
  if (j->use_map && (s->mem = oms__calloc(1, sizeof *s->mem)) == NULL) {
    oms__free(s);
    return;
  }
  spare_t *none = NULL; /* the sealer may have put back one it could not use */
  if (!atomic_compare_exchange_strong(&j->blank, &none, s)) drop_spare(s);
}

/* Makes the next segment ahead: created, preallocated, mapped and its
 * first pages populated (os mode). A failure is not the journal's: the
 * roll then creates the segment itself, and a real error surfaces there. */
static void make_spare(oms_journal_t *j) {
  if (now_ns() < j->spare_retry_ns) return;
  spare_t *s = atomic_exchange(&j->blank, NULL);
  if (!s) return;
  int n = snprintf(s->path, sizeof s->path, "%s/%010u.spare", j->dir, ++j->spare_gen);
  if (n > 0 && (size_t)n < sizeof s->path)
    s->fd = oms__jio_open(&j->io, s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s->fd < 0 || oms__jio_preallocate(&j->io, s->fd, 0, j->seg_bytes) != 0) {
    if (s->fd >= 0) {
      close(s->fd);
      (void)unlink(s->path);
      s->fd = -1;
    }
    spare_t *none = NULL; /* for the next try, unless a roll gave a new one */
    if (!atomic_compare_exchange_strong(&j->blank, &none, s)) drop_spare(s);
    j->spare_retry_ns = now_ns() + SPARE_RETRY_NS;
    atomic_store(&j->spare_failed, 1);
    return;
  }
  if (s->mem) s->map = map_seg_in(s->fd, j->seg_bytes, s->mem);
  if (s->map) {
    uint64_t want = AHEAD < s->map->len ? AHEAD : s->map->len, r = 0;
    while (r < want) {
      size_t k = want - r < POP_CHUNK ? (size_t)(want - r) : POP_CHUNK;
      if (populate(s->map->base + r, k) != 0) break;
      r += k;
    }
    atomic_store_explicit(&s->map->ready, r, memory_order_release);
  }
  atomic_store(&j->spare_failed, 0);
  atomic_store(&j->spare, s);
}

/* os mode: what the appends left behind them, unmapped and its writeback
 * started every FLUSH_EVERY bytes (see the top). The map stays valid here:
 * only this thread unmaps, at the start of a round. */
static void writeback(oms_journal_t *j) {
  segmap_t *m = atomic_load(&j->pmap);
  if (!m) return;
  uint64_t t = atomic_load_explicit(&j->tail, memory_order_relaxed) & ~(uint64_t)(PAGE - 1);
  uint64_t f = atomic_load_explicit(&m->flushed, memory_order_relaxed);
  if (t < f + FLUSH_EVERY || t > m->len) return;
  (void)madvise(m->base + f, t - f, MADV_DONTNEED);
  (void)sync_file_range(m->fd, (off_t)f, (off_t)(t - f), SYNC_FILE_RANGE_WRITE);
  atomic_store_explicit(&m->flushed, t, memory_order_relaxed);
}

/* Seals the pending roll (see the top): the segment before it synced, then
 * the new one renamed to its own name and the directory synced. Under zmu.
 * 0, or OMS_ESTORE (FAILED: the unsealed segment stays for recovery). */
static int seal(oms_journal_t *j) {
  if (j->pend_fd < 0) return 0;
  char from[PATH_MAX], to[PATH_MAX];
  int rc = OMS_ESTORE;
  segmap_t *m = j->pend_map;
  if (m) {
    /* What is not flushed yet is unmapped before the sync, for the reason
     * writeback unmaps (see the top): else this fdatasync write-protects
     * each mapped page it writes, one TLB flush on every CPU a page, the
     * appender's included. No one unmaps m meanwhile: it is retired below. */
    uint64_t f = atomic_load_explicit(&m->flushed, memory_order_relaxed);
    (void)madvise(m->base + f, m->len - f, MADV_DONTNEED);
  }
  if (oms__jio_fdatasync(&j->io, j->pend_fd) != 0) {
    seg_path(j, to, sizeof to, atomic_load(&j->pend_first));
    fail(j, to, 0, errno, "fdatasync failed");
  } else {
    oms__jseg_unsealed_path(from, sizeof from, j->dir, j->pend_next);
    seg_path(j, to, sizeof to, j->pend_next);
    if (oms__jio_rename(&j->io, from, to) != 0)
      fail(j, from, 0, errno, "cannot rename the segment to its name");
    else if (oms__jio_fdatasync(&j->io, j->dirfd) != 0)
      fail(j, j->dir, 0, errno, "cannot sync the journal directory");
    else
      rc = 0;
  }
  close(j->pend_fd);
  j->pend_fd = -1;
  retire_map(j, m);
  j->pend_map = NULL;
  atomic_store(&j->pend_first, 0);
  return rc;
}

static void *seal_main(void *arg) {
  oms_journal_t *j = arg;
  pthread_setname_np(pthread_self(), "oms-sealer");
  while (!atomic_load(&j->closing)) {
    /* Passed on by the prefaulter before this round began: used by no one. */
    unmap_list(atomic_exchange(&j->retired2, NULL));
    if (!atomic_load(&j->failed)) {
      pthread_mutex_lock(&j->zmu);
      (void)seal(j); /* a failure is the journal's: FAILED, reported */
      pthread_mutex_unlock(&j->zmu);
      if (atomic_load(&j->spare) == NULL) make_spare(j);
      writeback(j);
    }
    nap(j, SEAL_NAP_NS);
  }
  return NULL;
}

/* Removes the spares a crash left (none holds a record: see the top). */
static void remove_spares(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n <= 6 || strcmp(de->d_name + n - 6, ".spare") != 0) continue;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path)
      (void)unlink(path);
  }
  closedir(d);
}

/* The next segment, whose first LSN is next_lsn, under its own name (fsync
 * mode, the directory synced) or its unsealed one (os mode, sealed later):
 * the sealer's spare renamed into place, or created here. Under mu and smu. */
static int next_seg(oms_journal_t *j, bool unsealed, int *fd, segmap_t **map) {
  *map = NULL;
  char path[PATH_MAX];
  if (unsealed)
    oms__jseg_unsealed_path(path, sizeof path, j->dir, j->next_lsn);
  else
    seg_path(j, path, sizeof path, j->next_lsn);
  spare_t *s = atomic_exchange(&j->spare, NULL);
  if (!s) {
    int rc = create_seg(j, path, !unsealed, fd);
    if (rc == 0) *map = map_seg(j, *fd, j->seg_bytes);
    return rc;
  }
  if (oms__jio_rename(&j->io, s->path, path) != 0) {
    fail(j, path, 0, errno, "cannot rename the spare segment into place");
    drop_spare(s);
    return OMS_ESTORE;
  }
  if (!unsealed && oms__jio_fdatasync(&j->io, j->dirfd) != 0) {
    fail(j, j->dir, 0, errno, "cannot sync the journal directory");
    s->path[0] = '\0'; /* renamed: a segment now, not to be removed */
    drop_spare(s);
    return OMS_ESTORE;
  }
  *fd = s->fd;
  *map = s->map;
  if (!s->map) oms__free(s->mem);
  oms__free(s);
  return 0;
}

static int grow_segs(oms_journal_t *j) {
  if (j->nsegs < j->segcap) return 0;
  size_t ncap = j->segcap ? j->segcap * 2 : 16;
  uint64_t *v = oms__realloc(j->segs, ncap * sizeof *v);
  if (!v) return OMS_ENOMEM;
  j->segs = v;
  j->segcap = ncap;
  return 0;
}

/* Ends the current segment and starts the next (see the top). Under mu. */
static int roll(oms_journal_t *j) {
  if (grow_segs(j) != 0) return OMS_ENOMEM;
  char path[PATH_MAX];
  seg_path(j, path, sizeof path, j->cur_first);
  if (j->off + HDR <= j->seg_cap) {
    uint8_t end[HDR];
    oms__jhdr_t h = {OMS_JOURNAL_MAGIC, 0, j->next_lsn, 0, OMS_JOURNAL_F_END, 0};
    oms__jhdr_put(end, &h);
    h.crc = oms__jrec_crc(end, NULL, 0);
    oms__jhdr_put(end, &h);
    if (oms__jio_write_all(&j->io, j->fd, end, HDR, (off_t)j->off) != 0) {
      fail(j, path, j->off, errno, "cannot write the end of the segment");
      return OMS_ESTORE;
    }
  }
  /* os mode defers this segment's sync to the sealer (see the top); a roll
   * sooner than the sealer seals the last one itself first. */
  bool defer = j->durability == OMS_JOURNAL_OS;
  pthread_mutex_lock(&j->smu);
  int rc = 0;
  if (defer) {
    pthread_mutex_lock(&j->zmu);
    rc = seal(j);
    pthread_mutex_unlock(&j->zmu);
    /* The sealer's own seal may have failed since this append began: its
     * unsealed segment stays for recovery, and no second one may follow. */
    if (rc == 0 && atomic_load(&j->failed)) rc = OMS_ESTORE;
  } else if (oms__jio_fdatasync(&j->io, j->fd) != 0) {
    fail(j, path, j->off, errno, "fdatasync failed");
    rc = OMS_ESTORE;
  }
  int nfd = -1;
  segmap_t *nmap = NULL;
  if (rc == 0) rc = next_seg(j, defer, &nfd, &nmap);
  if (rc == 0) {
    segmap_t *old = j->map;
    if (defer) { /* the sealer syncs it, then closes it and retires its map */
      pthread_mutex_lock(&j->zmu);
      j->pend_map = old;
      old = NULL;
      j->pend_fd = j->fd;
      j->pend_next = j->next_lsn;
      atomic_store(&j->pend_first, j->cur_first);
      pthread_mutex_unlock(&j->zmu);
    } else {
      close(j->fd);
    }
    j->fd = nfd;
    j->cur_first = j->next_lsn;
    j->segs[j->nsegs++] = j->next_lsn;
    j->seg_cap = j->seg_bytes;
    j->off = 0;
    /* The prefaulter sees the new tail before the new map: it never
     * populates the new segment from the old one's offset. */
    j->map = nmap;
    atomic_store(&j->tail, 0);
    atomic_store(&j->pmap, j->map);
    retire_map(j, old);
    new_blank(j); /* for the sealer's next spare */
  }
  pthread_mutex_unlock(&j->smu);
  return rc;
}

/* ---- appending ---- */

int oms_journal_append(oms_journal_t *j, uint16_t type, const void *data, uint32_t len,
                       uint64_t *lsn) {
  oms_journal_rec_t r = {type, data, len};
  return oms_journal_append_unit(j, &r, 1, lsn);
}

/* Writes src[0, n) at *at; false (and FAILED) if it could not. */
static bool flush_from(oms_journal_t *j, const uint8_t *src, size_t n, uint64_t *at) {
  const segmap_t *m = j->map;
  if (m && *at + n <= atomic_load_explicit(&m->ready, memory_order_acquire)) {
    copy_up(m->base + *at, src, n);
    j->mapped += n;
  } else if (oms__jio_write_all(&j->io, j->fd, src, n, (off_t)*at) != 0) {
    char path[PATH_MAX];
    seg_path(j, path, sizeof path, j->cur_first);
    fail(j, path, *at, errno, "cannot write to the segment");
    return false;
  }
  *at += n;
  return true;
}

/* Writes buf[0, *n) at *at; false (and FAILED) if it could not. */
static bool flush(oms_journal_t *j, size_t *n, uint64_t *at) {
  if (!flush_from(j, j->buf, *n, at)) return false;
  *n = 0;
  return true;
}

/* The unit ending at `at` before record `lsn` is written: the appender's
 * state moves past it and its LSNs are published. os mode: only the one
 * appender (under mu, or the caller's own lock) ever moves `written` and
 * `durable`, so plain release stores do (no locked instruction); fsync
 * mode: the sequentially consistent store the syncer's sleep relies on. */
static void appended(oms_journal_t *j, uint64_t at, uint64_t lsn) {
  j->off = at;
  if (j->map) atomic_store_explicit(&j->tail, at, memory_order_relaxed);
  j->next_lsn = lsn;
  if (j->durability == OMS_JOURNAL_OS) {
    atomic_store_explicit(&j->written, lsn - 1, memory_order_release);
    publish_os(j, lsn - 1); /* in order: on_durable sees LSNs in order */
  } else {
    atomic_store(&j->written, lsn - 1);
    if (atomic_load(&j->sleeping)) wake_syncer(j);
  }
}

/* A durable mark ahead of a unit of `total` bytes when a sync has made more
 * durable since the last one and some of it is in this segment (before
 * that the roll's sync says as much): same write, no sync of its own.
 * Written at b (HDR bytes); *d the mark's LSN. fsync mode only. */
static bool mark_ahead(oms_journal_t *j, uint64_t total, uint8_t *b, uint64_t *d) {
  *d = atomic_load_explicit(&j->durable, memory_order_relaxed);
  if (!(j->durability == OMS_JOURNAL_FSYNC && *d > j->mark && *d >= j->cur_first &&
        j->off + HDR + total + HDR <= j->seg_cap))
    return false;
  oms__jhdr_t hd = {OMS_JOURNAL_MAGIC, 0, *d, 0, OMS_JOURNAL_F_MARK, 0};
  oms__jhdr_put(b, &hd);
  hd.crc = oms__jrec_crc(b, NULL, 0);
  oms__jhdr_put(b, &hd);
  return true;
}

int oms_journal_append_unit(oms_journal_t *j, const oms_journal_rec_t *recs, size_t n,
                            uint64_t *last_lsn) {
  if (last_lsn) *last_lsn = 0;
  if (!j || !recs || n == 0) return OMS_EINVAL;
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (recs[i].len > OMS_JOURNAL_PAYLOAD_MAX || (recs[i].len && !recs[i].data)) return OMS_EINVAL;
    total += REC_SIZE(recs[i].len);
  }
  if (total + HDR > j->seg_bytes) return OMS_EINVAL; /* would not fit even a new segment */
  pthread_mutex_lock(&j->mu);
  int rc = 0;
  if (atomic_load(&j->closing)) {
    rc = OMS_ECLOSED;
    goto out;
  }
  if (atomic_load(&j->failed)) {
    rc = OMS_ESTORE;
    goto out;
  }
  if (j->off + total + HDR > j->seg_cap) {
    rc = roll(j);
    if (rc != 0) goto out;
  }
  uint64_t at = j->off, lsn = j->next_lsn, d;
  bool mark = mark_ahead(j, total, j->buf, &d);
  size_t fill = mark ? HDR : 0;
  for (size_t i = 0; i < n; i++, lsn++) {
    if (OMS__JOURNAL_BUF_BYTES - fill < HDR && !flush(j, &fill, &at)) goto failed;
    uint8_t *h = j->buf + fill;
    oms__jhdr_t hd = {OMS_JOURNAL_MAGIC,
                      recs[i].len,
                      lsn,
                      recs[i].type,
                      (uint16_t)(i + 1 < n ? OMS_JOURNAL_F_MORE : 0),
                      0};
    oms__jhdr_put(h, &hd);
    hd.crc = oms__jrec_crc(h, recs[i].data, recs[i].len);
    oms__jhdr_put(h, &hd);
    fill += HDR;
    const uint8_t *p = recs[i].data;
    size_t left = (size_t)PAD8(recs[i].len), have = recs[i].len;
    while (left > 0) {
      if (fill == OMS__JOURNAL_BUF_BYTES && !flush(j, &fill, &at)) goto failed;
      size_t room = OMS__JOURNAL_BUF_BYTES - fill, take = left < room ? left : room;
      size_t copy = have < take ? have : take;
      if (copy) memcpy(j->buf + fill, p, copy);
      memset(j->buf + fill + copy, 0, take - copy);
      p += copy;
      have -= copy;
      left -= take;
      fill += take;
    }
  }
  if (fill && !flush(j, &fill, &at)) goto failed;
  if (mark) j->mark = d;
  if (last_lsn) *last_lsn = lsn - 1;
  appended(j, at, lsn);
  goto out;
failed:
  rc = OMS_ESTORE;
out:
  pthread_mutex_unlock(&j->mu);
  return rc;
}

/* ---- one record framed in place (journal_int.h) ----
 *
 * The payload is written by the caller straight into the framing buffer,
 * after room for a durable mark and the record's header (buf + 2 * HDR):
 * no copy from the caller's buffer. os mode takes no lock: the caller
 * serializes every append of this journal (its contract), the syncer and
 * its idle marks do not exist, and what readers take `mu` for (the
 * segment table) moves only in a roll, which takes it. fsync mode holds
 * `mu` from the reservation to the commit, as an append does. */

static bool inplace_locks(const oms_journal_t *j) { return j->durability != OMS_JOURNAL_OS; }

int oms__journal_reserve(oms_journal_t *j, uint8_t **payload) {
  if (inplace_locks(j)) pthread_mutex_lock(&j->mu);
  int rc = 0;
  if (atomic_load_explicit(&j->closing, memory_order_relaxed))
    rc = OMS_ECLOSED;
  else if (atomic_load_explicit(&j->failed, memory_order_relaxed))
    rc = OMS_ESTORE;
  if (rc != 0) {
    if (inplace_locks(j)) pthread_mutex_unlock(&j->mu);
    return rc;
  }
  *payload = j->buf + 2 * HDR;
  return 0;
}

void oms__journal_cancel(oms_journal_t *j) {
  if (inplace_locks(j)) pthread_mutex_unlock(&j->mu);
}

int oms__journal_commit(oms_journal_t *j, uint16_t type, uint32_t len, uint64_t *lsn_out) {
  *lsn_out = 0;
  int rc = 0;
  uint64_t total = REC_SIZE(len);
  if (len > OMS__JOURNAL_INPLACE_MAX || total + HDR > j->seg_bytes) {
    rc = OMS_EINVAL;
    goto out;
  }
  if (j->off + total + HDR > j->seg_cap) {
    if (!inplace_locks(j)) pthread_mutex_lock(&j->mu); /* the segment table moves */
    rc = roll(j);
    if (!inplace_locks(j)) pthread_mutex_unlock(&j->mu);
    if (rc != 0) goto out;
  }
  uint64_t at = j->off, lsn = j->next_lsn, d;
  bool mark = mark_ahead(j, total, j->buf, &d);
  uint8_t *h = j->buf + HDR;
  oms__jhdr_t hd = {OMS_JOURNAL_MAGIC, len, lsn, type, 0, 0};
  oms__jhdr_put(h, &hd);
  oms__put32(h + 20, oms__jrec_crc(h, h + HDR, len));
  /* The padding to 8 bytes: one store of zeros from the payload's end (the
   * buffer has room past the largest payload). */
  static const uint8_t zeros[8];
  memcpy(h + HDR + len, zeros, sizeof zeros);
  if (!flush_from(j, mark ? j->buf : h, (size_t)total + (mark ? HDR : 0), &at)) {
    rc = OMS_ESTORE;
    goto out;
  }
  if (mark) j->mark = d;
  *lsn_out = lsn;
  appended(j, at, lsn + 1);
out:
  if (inplace_locks(j)) pthread_mutex_unlock(&j->mu);
  return rc;
}

/* ---- state for callers ---- */

uint64_t oms__journal_mapped(oms_journal_t *j) {
  pthread_mutex_lock(&j->mu);
  uint64_t n = j->mapped;
  pthread_mutex_unlock(&j->mu);
  return n;
}

uint64_t oms__journal_ahead(oms_journal_t *j) {
  pthread_mutex_lock(&j->mu);
  uint64_t n = 0;
  if (j->map) {
    uint64_t r = atomic_load_explicit(&j->map->ready, memory_order_acquire);
    n = r > j->off ? r - j->off : 0;
  }
  pthread_mutex_unlock(&j->mu);
  return n;
}

uint64_t oms__journal_flushed(oms_journal_t *j) {
  pthread_mutex_lock(&j->mu);
  uint64_t n = j->map ? atomic_load_explicit(&j->map->flushed, memory_order_relaxed) : 0;
  pthread_mutex_unlock(&j->mu);
  return n;
}

uint64_t oms__journal_unsealed(oms_journal_t *j) { return atomic_load(&j->pend_first); }

int oms__journal_spare_state(oms_journal_t *j) {
  if (atomic_load(&j->spare) != NULL) return 1;
  return atomic_load(&j->spare_failed) ? -1 : 0;
}

uint64_t oms_journal_written(const oms_journal_t *j) {
  return atomic_load(&((oms_journal_t *)j)->written);
}
uint64_t oms_journal_durable(const oms_journal_t *j) {
  return atomic_load(&((oms_journal_t *)j)->durable);
}
int oms_journal_durable_fd(const oms_journal_t *j) {
  oms_journal_t *w = (oms_journal_t *)j;
  /* From now on every advance kicks; one kick for what is durable already. */
  if (atomic_exchange(&w->efd_wanted, 1) == 0 && atomic_load(&w->durable) > 0) kick_efd(w);
  return j->efd;
}
bool oms_journal_failed(const oms_journal_t *j) {
  return atomic_load(&((oms_journal_t *)j)->failed) != 0;
}

void oms_journal_last_error(const oms_journal_t *j, oms_journal_error_t *err) {
  oms_journal_t *m = (oms_journal_t *)j;
  pthread_mutex_lock(&m->emu);
  *err = m->error;
  pthread_mutex_unlock(&m->emu);
}

int oms_journal_wait(oms_journal_t *j, uint64_t lsn, int64_t timeout_ns) {
  if (!j) return OMS_EINVAL;
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  if (timeout_ns >= 0) {
    dl.tv_sec += timeout_ns / 1000000000;
    dl.tv_nsec += timeout_ns % 1000000000;
    if (dl.tv_nsec >= 1000000000) {
      dl.tv_sec++;
      dl.tv_nsec -= 1000000000;
    }
  }
  int rc = 0;
  pthread_mutex_lock(&j->wmu);
  atomic_fetch_add(&j->waiters, 1);
  for (;;) {
    if (atomic_load(&j->durable) >= lsn) break;
    if (atomic_load(&j->failed)) {
      rc = OMS_ESTORE;
      break;
    }
    if (timeout_ns < 0) {
      pthread_cond_wait(&j->wcv, &j->wmu);
    } else if (pthread_cond_timedwait(&j->wcv, &j->wmu, &dl) == ETIMEDOUT) {
      rc = atomic_load(&j->durable) >= lsn ? 0 : OMS_ETIMEDOUT;
      break;
    }
  }
  atomic_fetch_sub(&j->waiters, 1);
  pthread_mutex_unlock(&j->wmu);
  return rc;
}

/* ---- reading and retention ---- */

int oms_journal_read(oms_journal_t *j, uint64_t from_lsn, bool durable_only, oms_journal_cb cb,
                     void *ctx) {
  if (!j || !cb) return OMS_EINVAL;
  pthread_mutex_lock(&j->mu);
  uint64_t limit = durable_only ? atomic_load(&j->durable) : atomic_load(&j->written);
  uint64_t oldest = j->segs[0];
  if (from_lsn == 0) from_lsn = oldest;
  if (from_lsn < oldest || from_lsn > limit) {
    pthread_mutex_unlock(&j->mu);
    return from_lsn < oldest ? OMS_ENOTFOUND : 0;
  }
  size_t k = j->nsegs - 1;
  while (j->segs[k] > from_lsn) k--;
  size_t n = j->nsegs - k;
  uint64_t *segs = oms__malloc(n * sizeof *segs);
  if (!segs) {
    pthread_mutex_unlock(&j->mu);
    return OMS_ENOMEM;
  }
  memcpy(segs, j->segs + k, n * sizeof *segs);
  oms__jpos_t pos = {0, 0, segs[0]};
  for (unsigned i = 0; i < HINTS; i++) {
    const oms__jpos_t *h = &j->hints[i];
    if (h->k == segs[0] && h->lsn <= from_lsn && h->lsn > pos.lsn) {
      pos.off = h->off;
      pos.lsn = h->lsn;
    }
  }
  pthread_mutex_unlock(&j->mu);

  int rc = oms__jread(j->dir, &j->io, segs, n, &pos, from_lsn, limit, cb, ctx, NULL);
  if (pos.k < n && pos.lsn > from_lsn) {
    pthread_mutex_lock(&j->mu);
    oms__jpos_t *h = &j->hints[j->hint_next++ % HINTS];
    h->k = segs[pos.k];
    h->off = pos.off;
    h->lsn = pos.lsn;
    pthread_mutex_unlock(&j->mu);
  }
  oms__free(segs);
  return rc;
}

static int nop_cb(void *ctx, const oms_journal_entry_t *e) {
  (void)ctx, (void)e;
  return 0;
}

/* The segments are read with their own descriptors, as a reader does: the
 * whole ones (immutable) as recovery checks a segment followed by another,
 * the current one up to the records written at the call. */
int oms_journal_verify_range(oms_journal_t *j, uint64_t from, uint64_t to,
                             oms_journal_error_t *err) {
  oms_journal_error_t scratch;
  if (!err) err = &scratch;
  memset(err, 0, sizeof *err);
  if (!j) return OMS_EINVAL;
  pthread_mutex_lock(&j->mu);
  uint64_t written = atomic_load(&j->written);
  if (to == 0 || to > written) to = written;
  if (from == 0) from = j->segs[0];
  if (from < j->segs[0]) {
    char path[PATH_MAX];
    seg_path(j, path, sizeof path, j->segs[0]);
    oms__jerr(err, path, 0, 0, "LSN %" PRIu64 " was released (the oldest is %" PRIu64 ")", from,
              j->segs[0]);
    pthread_mutex_unlock(&j->mu);
    return OMS_ENOTFOUND;
  }
  if (from > to) {
    pthread_mutex_unlock(&j->mu);
    return 0;
  }
  size_t k = j->nsegs - 1, e = j->nsegs - 1;
  while (j->segs[k] > from) k--;
  while (j->segs[e] > to) e--;
  size_t n = e - k + 1;
  bool live = e + 1 == j->nsegs; /* the current segment is in the range */
  uint64_t next = live ? 0 : j->segs[e + 1];
  uint64_t *segs = oms__malloc(n * sizeof *segs);
  if (!segs) {
    pthread_mutex_unlock(&j->mu);
    return OMS_ENOMEM;
  }
  memcpy(segs, j->segs + k, n * sizeof *segs);
  pthread_mutex_unlock(&j->mu);

  size_t whole = live ? n - 1 : n;
  int rc = oms__jcheck(j->dir, &j->io, segs, whole, live ? segs[n - 1] : next, err);
  if (rc == 0 && live) {
    oms__jpos_t pos = {n - 1, 0, segs[n - 1]};
    rc = oms__jread(j->dir, &j->io, segs, n, &pos, segs[n - 1], to, nop_cb, NULL, err);
  }
  oms__free(segs);
  return rc;
}

int oms_journal_release(oms_journal_t *j, uint64_t keep_lsn) {
  if (!j) return OMS_EINVAL;
  pthread_mutex_lock(&j->mu);
  size_t drop = 0;
  /* Never the segment whose roll is not sealed: recovery needs it whole to
   * adopt the unsealed one after it. */
  uint64_t pend = atomic_load(&j->pend_first);
  while (drop + 1 < j->nsegs && j->segs[drop + 1] <= keep_lsn && j->segs[drop] != pend) drop++;
  uint64_t gone[64];
  if (drop > 64) drop = 64; /* the rest at the next call */
  memcpy(gone, j->segs, drop * sizeof *gone);
  memmove(j->segs, j->segs + drop, (j->nsegs - drop) * sizeof *j->segs);
  j->nsegs -= drop;
  for (unsigned i = 0; i < HINTS; i++)
    if (drop && j->hints[i].k < j->segs[0]) memset(&j->hints[i], 0, sizeof j->hints[i]);
  pthread_mutex_unlock(&j->mu);
  /* Oldest first: a crash in between leaves a journal that still continues. */
  for (size_t i = 0; i < drop; i++) {
    char path[PATH_MAX];
    seg_path(j, path, sizeof path, gone[i]);
    if (oms__jio_unlink(&j->io, path) != 0 && errno != ENOENT) return OMS_ESTORE;
  }
  return (int)drop;
}

/* ---- open and close ---- */

static int mkdirs(const char *dir) {
  char p[PATH_MAX];
  int n = snprintf(p, sizeof p, "%s", dir);
  if (n <= 0 || (size_t)n >= sizeof p) return -1;
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
    *s = '/';
  }
  return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Zeroes the torn tail [from, to) of fd and syncs: the header at from last,
 * after the rest is on disk, so that a crash in between still reads as a
 * torn tail and never as a record followed by zeros and then records. */
static int cut_tail(oms_journal_t *j, const char *path, int fd, uint64_t from, uint64_t to,
                    oms_journal_error_t *err) {
  static const uint8_t zeros[65536];
  uint64_t mid = to - from > 8 ? from + 8 : to;
  for (int pass = 0; pass < 2; pass++) {
    uint64_t a = pass == 0 ? mid : from, b = pass == 0 ? to : mid;
    for (uint64_t at = a; at < b;) {
      size_t n = b - at < sizeof zeros ? (size_t)(b - at) : sizeof zeros;
      if (oms__jio_write_all(&j->io, fd, zeros, n, (off_t)at) != 0) {
        oms__jerr(err, path, at, errno, "cannot cut the torn tail: %s", strerror(errno));
        return OMS_ESTORE;
      }
      at += n;
    }
    if (oms__jio_fdatasync(&j->io, fd) != 0) {
      oms__jerr(err, path, from, errno, "fdatasync failed: %s", strerror(errno));
      return OMS_ESTORE;
    }
  }
  return 0;
}

/* Opens the last segment read-write after recovery: cuts its tail, makes it
 * a whole segment again, syncs it (what the previous run left in the cache
 * is durable from here on). */
static int resume(oms_journal_t *j, oms__jscan_t *s, oms_journal_error_t *err) {
  char path[PATH_MAX];
  seg_path(j, path, sizeof path, s->segs[s->nsegs - 1]);
  j->fd = oms__jio_open(&j->io, path, O_RDWR | O_CLOEXEC, 0);
  if (j->fd < 0) {
    oms__jerr(err, path, 0, errno, "cannot open the segment: %s", strerror(errno));
    return OMS_ESTORE;
  }
  if (s->dirty_end > s->tail_off) {
    int rc = cut_tail(j, path, j->fd, s->tail_off, s->dirty_end, err);
    if (rc != 0) return rc;
  }
  j->seg_cap = s->last_size > j->seg_bytes ? s->last_size : j->seg_bytes;
  if (oms__jio_preallocate(&j->io, j->fd, s->last_size, j->seg_cap) != 0) {
    oms__jerr(err, path, s->last_size, errno, "cannot preallocate the segment: %s",
              strerror(errno));
    return OMS_ESTORE;
  }
  if (oms__jio_fdatasync(&j->io, j->fd) != 0) {
    oms__jerr(err, path, 0, errno, "fdatasync failed: %s", strerror(errno));
    return OMS_ESTORE;
  }
  j->off = s->last_ended ? j->seg_cap : s->tail_off; /* ended: the next append rolls */
  j->cur_first = s->segs[s->nsegs - 1];
  j->next_lsn = s->last_lsn + 1;
  j->mark = s->mark;
  return 0;
}

/* What the scan found of an interrupted seal (see the top) made so on disk:
 * an adopted segment sealed (its predecessor synced, then renamed, the
 * directory synced), an orphan set aside as NNN.orphan and said so. */
static int settle(oms_journal_t *j, const oms__jscan_t *s, const oms_journal_config_t *cfg,
                  oms_journal_error_t *err) {
  char from[PATH_MAX], to[PATH_MAX];
  uint64_t first = s->adopted ? s->adopted : s->orphan;
  if (first == 0) return 0;
  oms__jseg_unsealed_path(from, sizeof from, j->dir, first);
  if (s->adopted) {
    seg_path(j, to, sizeof to, s->segs[s->nsegs - 2]);
    int fd = oms__jio_open(&j->io, to, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0 || oms__jio_fdatasync(&j->io, fd) != 0) {
      oms__jerr(err, to, 0, errno, "cannot sync the segment: %s", strerror(errno));
      if (fd >= 0) close(fd);
      return OMS_ESTORE;
    }
    close(fd);
    seg_path(j, to, sizeof to, first);
  } else if (snprintf(to, sizeof to, "%s/%020" PRIu64 ".orphan", j->dir, first) >= (int)sizeof to) {
    oms__jerr(err, j->dir, 0, 0, "journal directory name too long");
    return OMS_EINVAL;
  }
  if (oms__jio_rename(&j->io, from, to) != 0) {
    oms__jerr(err, from, 0, errno, "cannot rename the segment: %s", strerror(errno));
    return OMS_ESTORE;
  }
  if (oms__jio_fdatasync(&j->io, j->dirfd) != 0) {
    oms__jerr(err, j->dir, 0, errno, "cannot sync the journal directory: %s", strerror(errno));
    return OMS_ESTORE;
  }
  if (s->orphan && cfg->on_warn) {
    oms_journal_error_t w;
    oms__jorphan_text(&w, from, s, "set aside (as .orphan)");
    cfg->on_warn(cfg->ctx, &w);
  }
  return 0;
}

/* A new journal in an empty dir: its first segment. */
static int start(oms_journal_t *j, oms_journal_error_t *err) {
  j->segcap = 16;
  j->segs = oms__malloc(j->segcap * sizeof *j->segs);
  if (!j->segs) return OMS_ENOMEM;
  char path[PATH_MAX];
  seg_path(j, path, sizeof path, 1);
  int rc = create_seg(j, path, true, &j->fd);
  if (rc != 0) {
    oms_journal_last_error(j, err);
    return rc;
  }
  j->segs[0] = 1;
  j->nsegs = 1;
  j->cur_first = 1;
  j->seg_cap = j->seg_bytes;
  j->next_lsn = 1;
  return 0;
}

int oms_journal_open(const oms_journal_config_t *cfg, oms_journal_t **out,
                     oms_journal_error_t *err) {
  oms_journal_error_t scratch;
  if (!err) err = &scratch;
  memset(err, 0, sizeof *err);
  if (out) *out = NULL;
  if (!cfg || !out || !cfg->dir || !cfg->dir[0] ||
      (cfg->durability != OMS_JOURNAL_FSYNC && cfg->durability != OMS_JOURNAL_OS) ||
      (cfg->segment_bytes != 0 && cfg->segment_bytes < MIN_SEGMENT)) {
    oms__jerr(err, cfg && cfg->dir ? cfg->dir : "", 0, 0, "invalid journal configuration");
    return OMS_EINVAL;
  }
  int rc = OMS_ENOMEM;
  oms_journal_t *j = oms__calloc(1, sizeof *j);
  if (!j) goto fail_alloc;
  j->fd = j->dirfd = j->efd = j->pend_fd = -1;
  j->dir = oms__strdup(cfg->dir);
  j->buf = oms__aligned_alloc(4096, OMS__JOURNAL_BUF_BYTES);
  if (!j->dir || !j->buf) goto fail_mem;
  j->seg_bytes = cfg->segment_bytes ? (cfg->segment_bytes + 7) & ~(uint64_t)7 : DEFAULT_SEGMENT;
  j->durability = cfg->durability;
  if (cfg->io) j->io = *cfg->io;
  j->on_durable = cfg->on_durable;
  j->on_error = cfg->on_error;
  j->ctx = cfg->ctx;
  j->spin_ns = cfg->syncer_spin_ns == 0 ? DEFAULT_SPIN_NS : cfg->syncer_spin_ns;
  pthread_mutex_init(&j->mu, NULL);
  pthread_mutex_init(&j->emu, NULL);
  pthread_mutex_init(&j->smu, NULL);
  pthread_mutex_init(&j->cmu, NULL);
  pthread_cond_init(&j->cv, NULL);
  pthread_mutex_init(&j->wmu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&j->wcv, &ca);
  pthread_mutex_init(&j->pmu, NULL);
  pthread_mutex_init(&j->zmu, NULL);
  pthread_cond_init(&j->pcv, &ca);
  pthread_condattr_destroy(&ca);

  j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (j->efd < 0) {
    oms__jerr(err, "", 0, errno, "eventfd failed: %s", strerror(errno));
    rc = OMS_ESTORE;
    goto fail;
  }
  if (cfg->create && mkdirs(j->dir) != 0) {
    oms__jerr(err, j->dir, 0, errno, "cannot create the journal directory: %s", strerror(errno));
    rc = OMS_ESTORE;
    goto fail;
  }
  j->dirfd = oms__jio_open(&j->io, j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (j->dirfd < 0) {
    int e = errno;
    oms__jerr(err, j->dir, 0, e, "cannot open the journal directory: %s", strerror(e));
    rc = e == ENOENT ? OMS_ENOTFOUND : OMS_ESTORE;
    goto fail;
  }
  remove_spares(j->dir);
  oms__jscan_t s;
  rc = oms__jscan(j->dir, &j->io, cfg->verify_from_lsn, &s, err);
  if (rc == OMS_ENOTFOUND && cfg->create) {
    memset(err, 0, sizeof *err);
    rc = start(j, err);
  } else if (rc == 0) {
    j->segs = s.segs;
    j->nsegs = j->segcap = s.nsegs;
    rc = settle(j, &s, cfg, err);
    if (rc == 0) rc = resume(j, &s, err);
    if (rc == 0 && s.dirty_end > s.tail_off && cfg->on_warn) {
      oms_journal_error_t w;
      char path[PATH_MAX];
      seg_path(j, path, sizeof path, j->cur_first);
      oms__jtail_text(&w, path, &s, "cut");
      cfg->on_warn(cfg->ctx, &w);
    }
  }
  if (rc != 0) goto fail;
  atomic_store(&j->written, j->next_lsn - 1);
  atomic_store(&j->durable, j->next_lsn - 1);
  /* Appends through a mapping: os mode with the real write call only (a
   * seam on pwrite is there to see every write), unless asked not to. */
  j->use_map = j->durability == OMS_JOURNAL_OS && !cfg->append_pwrite && !j->io.pwrite;
  if (j->use_map) {
    j->map = map_seg(j, j->fd, j->seg_cap);
    atomic_store(&j->tail, j->off);
    atomic_store(&j->pmap, j->map);
    if (pthread_create(&j->prefaulter, NULL, prefault_main, j) == 0) {
      j->has_prefaulter = true;
    } else { /* no thread, no populated pages: pwrite as before */
      unmap_list(j->map);
      j->map = NULL;
      atomic_store(&j->pmap, NULL);
      j->use_map = false;
    }
  }
  new_blank(j);
  if (pthread_create(&j->sealer, NULL, seal_main, j) != 0) {
    oms__jerr(err, "", 0, errno, "cannot start the sealer thread");
    rc = OMS_ESTORE;
    goto fail;
  }
  j->has_sealer = true;
  if (j->durability == OMS_JOURNAL_FSYNC) {
    if (pthread_create(&j->syncer, NULL, syncer_main, j) != 0) {
      oms__jerr(err, "", 0, errno, "cannot start the syncer thread");
      rc = OMS_ESTORE;
      goto fail;
    }
    j->has_syncer = true;
  }
  *out = j;
  return 0;
fail:
  oms_journal_close(j);
  return rc;
fail_mem:
  oms__free(j->dir);
  oms__aligned_free(j->buf);
  oms__free(j);
fail_alloc:
  oms__jerr(err, cfg->dir, 0, 0, "out of memory");
  return rc;
}

void oms_journal_close(oms_journal_t *j) {
  if (!j) return;
  atomic_store(&j->closing, 1);
  if (j->has_syncer) {
    wake_syncer(j); /* it syncs what is left, then ends */
    pthread_join(j->syncer, NULL);
  }
  pthread_mutex_lock(&j->pmu);
  pthread_cond_broadcast(&j->pcv); /* the prefaulter's and the sealer's naps */
  pthread_mutex_unlock(&j->pmu);
  if (j->has_prefaulter) pthread_join(j->prefaulter, NULL);
  if (j->has_sealer) pthread_join(j->sealer, NULL);
  /* The last roll sealed here at the latest; after a failure it stays
   * unsealed, for recovery to adopt or set aside. */
  if (j->pend_fd >= 0) {
    if (!atomic_load(&j->failed)) {
      (void)seal(j);
    } else {
      close(j->pend_fd);
      j->pend_fd = -1;
      retire_map(j, j->pend_map);
      j->pend_map = NULL;
    }
  }
  drop_spare(atomic_exchange(&j->spare, NULL));
  drop_spare(atomic_exchange(&j->blank, NULL));
  unmap_list(atomic_exchange(&j->retired, NULL));
  unmap_list(atomic_exchange(&j->retired2, NULL));
  unmap_list(j->map);
  if (j->fd >= 0) close(j->fd);
  if (j->dirfd >= 0) close(j->dirfd);
  if (j->efd >= 0) close(j->efd);
  pthread_mutex_destroy(&j->mu);
  pthread_mutex_destroy(&j->emu);
  pthread_mutex_destroy(&j->smu);
  pthread_mutex_destroy(&j->cmu);
  pthread_cond_destroy(&j->cv);
  pthread_mutex_destroy(&j->wmu);
  pthread_cond_destroy(&j->wcv);
  pthread_mutex_destroy(&j->pmu);
  pthread_cond_destroy(&j->pcv);
  pthread_mutex_destroy(&j->zmu);
  oms__free(j->segs);
  oms__free(j->dir);
  oms__aligned_free(j->buf);
  oms__free(j);
}
