/*
 * store_journal.c - the journal store: the order store with the journal as
 * the source of truth and SQLite as a projection of it (docs/store.md).
 *
 * HOW IT WORKS. append() checks the unit (event seqs strictly increasing),
 * encodes its events (oms_event_encode) and writes them into the journal as
 * ONE journal unit, on the caller's thread, under a short lock; the FIX and
 * cursor calls write one record each (journal_rec.h). The ticket is the last
 * LSN of what was written, so "ticket durable" is the journal's durable LSN
 * (os mode: at once; fsync mode: when the syncer's fdatasync returned).
 *
 * A projector thread follows the journal's durable records and applies them
 * to the SQLite store at db_path (opened synchronous: no threads of its own),
 * or to PostgreSQL (cfg.pg_conninfo, store_pg.c: the instance's rows only;
 * never rebuilt by the open, no SQLite marks), in batches of about
 * cfg.batch_records (BATCH_MAX) records that end where a journal unit
 * ends (the record without OMS_JOURNAL_F_MORE: queries never see part of a
 * unit), each in one transaction that also stores the last projected LSN
 * (table journal_projection), writing each order's row once per batch. Queries read the projection;
 * flush waits until the projection holds everything appended (read-your-writes), and the FIX and
 * cursor reads catch up first, so a gateway asking after its own append sees it.
 *
 * CADENCE. The projector stays out of the core's way: it wakes every
 * CADENCE_NS, or when LAG_RECORDS durable records wait, or at once when a
 * flush or a FIX read waits for it; never per append. So at 10k orders/s it
 * runs ~200 times a second over many orders (each row written once per
 * batch) instead of once per order, and the appender signals it only at the
 * lag mark. A batch may hold BATCH_MAX records: when the projector has fallen
 * behind (it is the first thread to lose the CPU) it catches up in long
 * transactions, and long transactions are what keep its cost down: each
 * writes the last, partly filled page of every table and index it touches
 * again, so batches of 256 records wrote twice the bytes (and made twice the
 * system calls) of batches of up to 2048 for the same orders (BENCHMARKS.md,
 * issue 13 sixteenth pass). It runs at SCHED_IDLE where the system allows: a
 * runnable core, syncer or client thread takes the CPU from it at once (on 2
 * CPUs a third runnable thread otherwise costs a scheduler slice,
 * milliseconds, on the trading path). Any idle CPU time is its; on a machine
 * with every CPU busy it may get next to none (measured: seconds behind at a
 * load of 8 on 2 CPUs), so a flush or a FIX read that has waited HELP_NS
 * projects itself, at its own priority (one projecting at a time, under prj).
 * Queries that do not wait may see the projection that far behind meanwhile.
 *
 * The projection's SQLite runs synchronous=NORMAL in both durability modes:
 * no sync at commit, the WAL and the database synced at checkpoints only,
 * (every 4096 WAL pages), so it seldom queues on the disk in front of the
 * journal's fdatasync.
 * This is safe because the projection is rebuildable and consistent: in WAL
 * mode NORMAL keeps the database consistent across a power loss (the last
 * transactions may be lost, never half kept), and the cursor is written in
 * the same transaction as the rows, so a lost transaction takes its cursor
 * back with it and the replay past the cursor at open redoes it. A database
 * damaged all the same fails quick_check at open and is rebuilt.
 *
 * RECOVERY (open). Open the journal (it cuts a torn tail and refuses damage
 * with file and offset); no journal at all: a new store if the projection
 * has no history, refused if it has (a data directory with history never
 * starts empty). Check the projection (missing, empty, failing quick_check
 * unless it was closed cleanly and not touched since, or ahead of the
 * journal: deleted and rebuilt, said through on_warn), replay the journal
 * past its cursor into it, then start the projector. So the store
 * returned already answers every query with everything the journal holds.
 *
 * FAILURE. A failed journal write or sync (ENOSPC, EIO) fails the journal:
 * appends are refused with OMS_ESTORE, on_error says where, and nothing is
 * durable that was not synced. recover() does not reopen a live journal
 * (appenders hold it): it stays failed until the process restarts, whose
 * open recovers what was durable. A failed projection transaction is rolled
 * back, reported, and retried with backoff; the journal is not affected.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "journal/journal_int.h"
#include "oms/error.h"
#include "oms/journal.h"
#include "oms/store.h"
#include "store/journal_rec.h"
#include "store/store_int.h"

#define UNIT_EVENTS 64                   /* events encoded without growing the scratch */
#define RETRY_NS INT64_C(100000000)      /* projection retry after a failure */
#define RETRY_MAX_NS INT64_C(5000000000) /* ... doubling up to this */
#define CADENCE_NS INT64_C(5000000)      /* the projector's sleep between batches */
#define LAG_RECORDS 2048                 /* ... or until this many durable records wait */
#define HELP_NS INT64_C(20000000)        /* a waiter projects itself after this (CADENCE) */
#define FIX_WAIT_NS INT64_C(2000000000)  /* FIX and cursor reads wait this long to catch up */
#define RETAIN_SAMPLES 64
#define BATCH_MAX 2048 /* records after which a batch ends (at a unit's end), by default */

typedef struct sample_s {
  int64_t t;
  uint64_t lsn;
} sample_t;

typedef struct js_s {
  oms_store_t base;
  oms_store_journal_config_t cfg;
  oms_journal_t *j;
  oms_store_t *proj;

  pthread_mutex_t mu; /* appenders: the seq check and the journal append together */
  uint64_t last_seq;
  uint8_t *scratch; /* encoded events of one unit */
  oms_journal_rec_t *recs;
  size_t cap_events;
  uint8_t fixbuf[OMS__JREC_REC_MAX]; /* one FIX, cursor or LIMITS record */
  _Atomic uint64_t n_appends, n_refused;

  pthread_mutex_t prj; /* one projecting at a time: the projector or a waiter helping */
  pthread_mutex_t pmu; /* the projector's sleep and the flush waiters */
  pthread_cond_t pcv, pdone;
  _Atomic bool sleeping, stop;
  _Atomic bool urgent; /* a flush or FIX read waits: project now, not at the cadence */
  _Atomic uint64_t projected;
  _Atomic bool proj_failed;
  _Atomic bool kick; /* recover(): retry the failed projection now */
  uint64_t attempts; /* projection attempts finished (under pmu) */
  pthread_t projector;
  bool running;
  char journal_dir[PATH_MAX], db_path[PATH_MAX]; /* cfg's, copied */
  bool pg;                                       /* the projection is PostgreSQL's */
  char pg_conninfo[1024], instance[OMS_ID_MAX + 1];
  uint64_t pg_cursor; /* its cursor, read before the journal opens */
  /* PostgreSQL unreachable at the open ("PostgreSQL down" in docs/store.md):
   * proj stays NULL until the projector reaches it; meanwhile `local`, a
   * memory store fed the whole journal at the open and every append since
   * (under mu), answers every query, until PostgreSQL has caught up. */
  oms_store_t *local;
  _Atomic(oms_store_t *) pg_proj; /* proj, once the projector opened it */
  _Atomic bool local_serving;
  bool pg_refused;  /* a reachable PostgreSQL refused this journal: not retried */
  char pg_why[256]; /* why PostgreSQL was not reached (under emu) */
  pthread_t scrubber;
  bool scrubbing;
  uint64_t scrub_to;    /* the open skipped the segments before this (verify_from) */
  bool check_later;     /* quick_check in the background (the same-boot mark) */
  _Atomic int scrub_rc; /* 0 running or none, 1 clean, else its error */

  /* The projector's batch (or open's replay, before the thread starts):
   * nb records read, of which the first unit_nb end a unit, the last of
   * them at unit_lsn; only those are committed (a batch ends at a unit's
   * end, docs/store.md). */
  oms__rec_t *batch;
  size_t nb, cap_batch, unit_nb, batch_max;
  uint64_t unit_lsn;
  int apply_rc;

  pthread_mutex_t emu;
  oms_store_error_t err;

  sample_t samples[RETAIN_SAMPLES]; /* projector: retention */
  size_t n_samples;
  int64_t next_sample;
  uint64_t released;
} js_t;

static int64_t now_ns(void) { return oms__store_mono_ns(); }

static void warn(js_t *s, const char *fmt, const char *a, const char *b) {
  char text[512];
  snprintf(text, sizeof text, fmt, a, b);
  if (s->cfg.on_warn != NULL) s->cfg.on_warn(s->cfg.ctx, text);
}

static void report(js_t *s, const oms_store_error_t *e) {
  pthread_mutex_lock(&s->emu);
  s->err = *e;
  pthread_mutex_unlock(&s->emu);
  if (s->cfg.on_error != NULL) s->cfg.on_error(s->cfg.ctx, e);
}

/* The journal's failure as the store reports one: the call, errno, and the
 * file and offset in the message. */
static void from_journal(oms_store_error_t *e, const char *call, const oms_journal_error_t *je) {
  memset(e, 0, sizeof *e);
  snprintf(e->call, sizeof e->call, "%s", call);
  e->sys_errno = je->sys_errno;
  e->code = je->sys_errno == ENOSPC ? 13 /* SQLITE_FULL */ : 10 /* SQLITE_IOERR */;
  if (je->file[0] != '\0')
    snprintf(e->message, sizeof e->message, "%.100s (%.60s at offset %llu)", je->text, je->file,
             (unsigned long long)je->offset);
  else
    snprintf(e->message, sizeof e->message, "%s", je->text);
}

/* ---- Journal callbacks ------------------------------------------------------------ */

static void on_jdurable(void *ctx, uint64_t lsn) {
  js_t *s = ctx;
  if (s->cfg.on_durable != NULL) s->cfg.on_durable(s->cfg.ctx, lsn);
  /* Wakes the projector only at the lag mark: the core's append pays two
   * atomic loads, and the projector otherwise keeps its cadence. */
  uint64_t p = atomic_load_explicit(&s->projected, memory_order_relaxed);
  if (lsn > p && lsn - p >= LAG_RECORDS && atomic_load_explicit(&s->sleeping, memory_order_acquire))
    pthread_cond_signal(&s->pcv);
}

static void on_jerror(void *ctx, const oms_journal_error_t *je) {
  js_t *s = ctx;
  oms_store_error_t e;
  from_journal(&e, "journal", je);
  report(s, &e);
}

/* ---- The local view (PostgreSQL down at the open) ----------------------------------- */

/* One journal record into the memory store, through its public calls. */
static int feed_local(oms_store_t *m, const oms__rec_t *r) {
  uint64_t t;
  switch (r->kind) {
    case OMS__REC_EVENT: {
      oms_store_unit_t u = {&r->u.ev, 1};
      return oms_store_append(m, &u, 0, &t);
    }
    case OMS__REC_FIX_SEQNUMS:
      return oms_store_fix_set_seqnums(m, r->u.fix.session, r->u.fix.next_in, r->u.fix.next_out,
                                       &t);
    case OMS__REC_FIX_SENT:
      return oms_store_fix_save_sent(m, r->u.fix.session, r->u.fix.seqnum, r->u.fix.msg,
                                     r->u.fix.len, &t);
    case OMS__REC_FIX_RESET: return oms_store_fix_reset(m, r->u.fix.session, &t);
    case OMS__REC_CURSOR: return oms_store_cursor_set(m, r->u.cur.sink, r->u.cur.seq, &t);
    case OMS__REC_LIMIT:
      return oms_store_limit_append(m, r->u.lim.seq, r->u.lim.ts_ns, r->u.lim.who, r->u.lim.line,
                                    r->u.lim.len, &t);
    case OMS__REC_PNL_BASE: return oms_store_pnl_base_append(m, &r->u.pnl, &t);
    default: return 0;
  }
}

/* The open's replay of the whole journal into the local view. */
static int take_local(void *ctx, const oms_journal_entry_t *en) {
  js_t *s = ctx;
  oms__rec_t *r = &s->batch[0];
  int rc = oms__jrec_decode(en->type, en->data, en->len, r);
  if (rc == OMS_EINVAL) return OMS_ECORRUPT;
  return rc == 0 ? feed_local(s->local, r) : 0;
}

/* ---- Appending -------------------------------------------------------------------- */

/* Room for n encoded events (grows for an unusually large unit only). */
static int room(js_t *s, size_t n) {
  if (n <= s->cap_events) return 0;
  uint8_t *sc = oms__malloc(n * OMS_EVENT_BIN_MAX);
  oms_journal_rec_t *r = oms__malloc(n * sizeof *r);
  if (sc == NULL || r == NULL) {
    oms__free(sc);
    oms__free(r);
    return OMS_ENOMEM;
  }
  oms__free(s->scratch);
  oms__free(s->recs);
  s->scratch = sc;
  s->recs = r;
  s->cap_events = n;
  return 0;
}

static void local_failed(js_t *s) {
  oms_store_error_t e;
  memset(&e, 0, sizeof e);
  snprintf(e.call, sizeof e.call, "local view");
  e.code = 7; /* SQLITE_NOMEM */
  snprintf(e.message, sizeof e.message,
           "out of memory: the journal's view in memory (PostgreSQL down) misses a record; the "
           "journal has it");
  report(s, &e);
}

/* A counter only appenders move, under mu: a load and a store, no locked
 * instruction; readers (stats) load it relaxed. */
static inline void count(_Atomic uint64_t *c) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1, memory_order_relaxed);
}

static int refuse(js_t *s, int rc) {
  count(&s->n_refused);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

_Static_assert(OMS_EVENT_BIN_MAX <= OMS__JOURNAL_INPLACE_MAX, "an event fits the journal's buffer");

static int js_append(oms_store_t *base, const oms_store_unit_t *u, unsigned flags,
                     uint64_t *ticket) {
  js_t *s = (js_t *)base;
  size_t n;
  uint64_t max_seq;
  (void)flags; /* a failed journal takes nothing, facts from a venue included */
  *ticket = 0;
  pthread_mutex_lock(&s->mu);
  if (oms_journal_failed(s->j)) return refuse(s, OMS_ESTORE);
  int rc = oms__unit_check(u, s->last_seq, &n, &max_seq);
  if (rc == 0) rc = room(s, n);
  if (rc != 0) return refuse(s, rc);
  if (n == 0) { /* nothing to store: durable with what came before */
    *ticket = oms_journal_written(s->j);
    count(&s->n_appends);
    pthread_mutex_unlock(&s->mu);
    return 0;
  }
  if (n == 1) {
    /* One event (every submission's unit): encoded straight into the
     * journal's framing buffer, no copy (appends are serialized by mu). */
    const oms_event_t *ev = u->events;
    while (ev->seq == 0) ev++;
    uint8_t *buf;
    rc = oms__journal_reserve(s->j, &buf);
    if (rc != 0) return refuse(s, rc == OMS_ECLOSED ? OMS_ECLOSED : OMS_ESTORE);
    int len = oms_event_encode(ev, buf, OMS_EVENT_BIN_MAX);
    if (len < 0) {
      oms__journal_cancel(s->j);
      return refuse(s, OMS_EINVAL);
    }
    rc = oms__journal_commit(s->j, OMS__JREC_EVENT, (uint32_t)len, ticket);
  } else {
    size_t k = 0;
    for (size_t i = 0; i < u->n_events; i++) {
      if (u->events[i].seq == 0) continue;
      uint8_t *buf = s->scratch + k * OMS_EVENT_BIN_MAX;
      int len = oms_event_encode(&u->events[i], buf, OMS_EVENT_BIN_MAX);
      if (len < 0) return refuse(s, OMS_EINVAL);
      s->recs[k++] = (oms_journal_rec_t){OMS__JREC_EVENT, buf, (uint32_t)len};
    }
    rc = oms_journal_append_unit(s->j, s->recs, n, ticket);
  }
  if (rc != 0) {
    *ticket = 0;
    return refuse(s, rc == OMS_ECLOSED ? OMS_ECLOSED : OMS_ESTORE);
  }
  /* The local view takes what the journal took (only while PostgreSQL was
   * never reached: no cost otherwise); its failure (memory) is reported, the
   * journal has the unit all the same. */
  if (atomic_load_explicit(&s->local_serving, memory_order_relaxed)) {
    uint64_t t;
    if (oms_store_append(s->local, u, 0, &t) != 0) local_failed(s);
  }
  s->last_seq = max_seq;
  count(&s->n_appends);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

/* Appends one FIX or cursor record. */
static int append_rec(js_t *s, const oms__rec_t *r, uint64_t *ticket) {
  uint64_t dummy;
  uint16_t type = 0;
  if (ticket == NULL) ticket = &dummy;
  *ticket = 0;
  pthread_mutex_lock(&s->mu);
  if (oms_journal_failed(s->j)) return refuse(s, OMS_ESTORE);
  int len = oms__jrec_encode(r, &type, s->fixbuf, sizeof s->fixbuf);
  int rc = len < 0 ? len : oms_journal_append(s->j, type, s->fixbuf, (uint32_t)len, ticket);
  if (rc != 0) {
    *ticket = 0;
    return refuse(s, rc == OMS_EINVAL || rc == OMS_ECLOSED ? rc : OMS_ESTORE);
  }
  if (atomic_load_explicit(&s->local_serving, memory_order_relaxed) && feed_local(s->local, r) != 0)
    local_failed(s);
  count(&s->n_appends);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

static bool name_ok(const char *name, size_t max) {
  return name != NULL && name[0] != '\0' && strlen(name) <= max;
}

static int fix_rec(js_t *s, oms__rec_kind_t kind, const char *session, int64_t a, int64_t b,
                   const char *msg, size_t len, uint64_t *ticket) {
  oms__rec_t r;
  if (!name_ok(session, OMS_STORE_SESSION_MAX)) return OMS_EINVAL;
  r.kind = kind;
  snprintf(r.u.fix.session, sizeof r.u.fix.session, "%s", session);
  r.u.fix.next_in = a;
  r.u.fix.next_out = b;
  r.u.fix.seqnum = a;
  r.u.fix.len = (uint32_t)len;
  if (len > 0) memcpy(r.u.fix.msg, msg, len);
  return append_rec(s, &r, ticket);
}

static int js_fix_set_seqnums(oms_store_t *base, const char *session, int64_t next_in,
                              int64_t next_out, uint64_t *ticket) {
  if (next_in < 1 || next_out < 1) return OMS_EINVAL;
  return fix_rec((js_t *)base, OMS__REC_FIX_SEQNUMS, session, next_in, next_out, NULL, 0, ticket);
}

static int js_fix_save_sent(oms_store_t *base, const char *session, int64_t seqnum, const char *msg,
                            size_t len, uint64_t *ticket) {
  if (seqnum < 1 || (msg == NULL && len > 0)) return OMS_EINVAL;
  if (len > OMS_STORE_FIX_MSG_MAX) return OMS_ENOSPC;
  return fix_rec((js_t *)base, OMS__REC_FIX_SENT, session, seqnum, 0, msg, len, ticket);
}

static int js_fix_reset(oms_store_t *base, const char *session, uint64_t *ticket) {
  return fix_rec((js_t *)base, OMS__REC_FIX_RESET, session, 1, 1, NULL, 0, ticket);
}

static int js_cursor_set(oms_store_t *base, const char *sink, uint64_t seq, uint64_t *ticket) {
  oms__rec_t r;
  if (!name_ok(sink, OMS_ID_MAX)) return OMS_EINVAL;
  r.kind = OMS__REC_CURSOR;
  snprintf(r.u.cur.sink, sizeof r.u.cur.sink, "%s", sink);
  r.u.cur.seq = seq;
  return append_rec((js_t *)base, &r, ticket);
}

/* A runtime limit change: one LIMITS record (its arguments checked by
 * oms_store_limit_append). */
static int js_limit_append(oms_store_t *base, uint64_t seq, int64_t ts_ns, const char *who,
                           const char *line, size_t len, uint64_t *ticket) {
  oms__rec_t r;
  r.kind = OMS__REC_LIMIT;
  r.u.lim.seq = seq;
  r.u.lim.ts_ns = ts_ns;
  snprintf(r.u.lim.who, sizeof r.u.lim.who, "%s", who);
  r.u.lim.len = (uint32_t)len;
  memcpy(r.u.lim.line, line, len);
  return append_rec((js_t *)base, &r, ticket);
}

/* A daily-PnL base: one PNL_BASE record (checked by oms_store_pnl_base_append). */
static int js_pnl_base_append(oms_store_t *base, const oms_pnl_base_row_t *row, uint64_t *ticket) {
  oms__rec_t r;
  r.kind = OMS__REC_PNL_BASE;
  r.u.pnl = *row;
  return append_rec((js_t *)base, &r, ticket);
}

/* ---- Projecting ------------------------------------------------------------------- */

/* Commits the batch's whole units and the cursor (unit_lsn); on success the
 * projection is at unit_lsn and a unit begun after it is kept for the next
 * batch. */
static int apply(js_t *s) {
  oms_store_error_t e;
  int rc = s->pg ? oms__pg_project(s->proj, s->batch, s->unit_nb, s->unit_lsn, &e)
                 : oms__sqlite_project(s->proj, s->batch, s->unit_nb, s->unit_lsn, &e);
  if (rc != 0) {
    report(s, &e);
    atomic_store(&s->proj_failed, true);
    return rc;
  }
  if (s->nb > s->unit_nb)
    memmove(s->batch, s->batch + s->unit_nb, (s->nb - s->unit_nb) * sizeof *s->batch);
  s->nb -= s->unit_nb;
  s->unit_nb = 0;
  pthread_mutex_lock(&s->pmu);
  atomic_store_explicit(&s->projected, s->unit_lsn, memory_order_release);
  pthread_cond_broadcast(&s->pdone);
  pthread_mutex_unlock(&s->pmu);
  if (atomic_exchange(&s->proj_failed, false)) {
    memset(&e, 0, sizeof e);
    snprintf(e.call, sizeof e.call, "projection");
    snprintf(e.message, sizeof e.message, "recovered");
    report(s, &e);
  }
  return 0;
}

/* Room in the batch for one more record: a unit longer than the batch
 * grows it (the projector's thread, rarely). Without memory the batch so
 * far is committed, ending inside the unit: the cursor stays exact, a query
 * may see part of that unit for a moment. */
static int batch_room(js_t *s, uint64_t lsn) {
  if (s->nb < s->cap_batch) return 0;
  size_t cap = s->cap_batch * 2;
  oms__rec_t *b = oms__realloc(s->batch, cap * sizeof *b);
  if (b != NULL) {
    s->batch = b;
    s->cap_batch = cap;
    return 0;
  }
  s->unit_nb = s->nb;
  s->unit_lsn = lsn - 1;
  return apply(s);
}

static int take(void *ctx, const oms_journal_entry_t *en) {
  js_t *s = ctx;
  if ((s->apply_rc = batch_room(s, en->lsn)) != 0) return s->apply_rc;
  int rc = oms__jrec_decode(en->type, en->data, en->len, &s->batch[s->nb]);
  if (rc == OMS_EINVAL) {
    oms_store_error_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.call, sizeof e.call, "decode journal record");
    e.code = 11; /* SQLITE_CORRUPT: the record passed its CRC but does not decode */
    snprintf(e.message, sizeof e.message, "%.40s record at LSN %llu (%.80s at offset %llu)",
             oms__jrec_name(en->type) ? oms__jrec_name(en->type) : "unknown",
             (unsigned long long)en->lsn, en->file ? en->file : "", (unsigned long long)en->offset);
    report(s, &e);
    atomic_store(&s->proj_failed, true);
    return s->apply_rc = OMS_ECORRUPT;
  }
  if (rc == 0) s->nb++;
  if ((en->flags & OMS_JOURNAL_F_MORE) == 0) { /* a unit ends here */
    s->unit_nb = s->nb;
    s->unit_lsn = en->lsn;
    if (s->nb >= s->batch_max && (s->apply_rc = apply(s)) != 0) return s->apply_rc;
  }
  return atomic_load_explicit(&s->stop, memory_order_relaxed) ? 1 : 0;
}

/* Projects the journal from the projected LSN on (durable records only
 * unless all), up to the end of the last whole unit read (the rest of an
 * unfinished one is read again next time). Returns 0 or the failure. */
static int project(js_t *s, bool durable_only) {
  if (s->proj == NULL) return OMS_ESTORE; /* PostgreSQL not reached yet: the projector's to do */
  uint64_t from = atomic_load_explicit(&s->projected, memory_order_acquire) + 1;
  s->nb = 0;
  s->unit_nb = 0;
  s->apply_rc = 0;
  s->unit_lsn = from - 1;
  int rc = oms_journal_read(s->j, from, durable_only, take, s);
  if (s->apply_rc != 0) return s->apply_rc;
  if (rc < 0) return rc;
  return s->unit_lsn >= from && s->unit_lsn > atomic_load(&s->projected) ? apply(s) : 0;
}

/* Retention (docs/store.md): releases the segments whose records were all
 * projected at least retain_ns ago, from samples of the projected LSN taken
 * every retain_ns / 32. */
static void retain(js_t *s) {
  int64_t now = now_ns();
  if (s->cfg.retain_ns <= 0 || now < s->next_sample) return;
  s->samples[s->n_samples++ % RETAIN_SAMPLES] =
      (sample_t){now, atomic_load_explicit(&s->projected, memory_order_acquire)};
  s->next_sample = now + s->cfg.retain_ns / 32;
  uint64_t keep = 0;
  for (size_t i = 0; i < RETAIN_SAMPLES && i < s->n_samples; i++)
    if (s->samples[i].t <= now - s->cfg.retain_ns && s->samples[i].lsn > keep)
      keep = s->samples[i].lsn;
  if (keep > s->released && oms_journal_release(s->j, keep + 1) >= 0) s->released = keep;
}

/* Sleeps up to ns: between batches, until the cadence, the lag mark or a
 * waiter; after a failure (backoff), until recover() asks for a retry. */
static void sleep_ns(js_t *s, int64_t ns, bool backoff) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t at = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + ns;
  ts.tv_sec = (time_t)(at / 1000000000);
  ts.tv_nsec = (long)(at % 1000000000);
  pthread_mutex_lock(&s->pmu);
  atomic_store_explicit(&s->sleeping, !backoff, memory_order_release);
  uint64_t d = oms_journal_durable(s->j),
           p = atomic_load_explicit(&s->projected, memory_order_acquire);
  bool wait = backoff ? !atomic_load(&s->kick)
                      : !atomic_load(&s->urgent) && (d <= p || d - p < LAG_RECORDS);
  if (!atomic_load(&s->stop) && wait) pthread_cond_timedwait(&s->pcv, &s->pmu, &ts);
  atomic_store_explicit(&s->sleeping, false, memory_order_relaxed);
  pthread_mutex_unlock(&s->pmu);
}

/* The projector yields to every other thread where the system lets it
 * (CADENCE above); refused (another OS, a seccomp policy), it runs as it is. */
static void become_idle(void) {
#ifdef SCHED_IDLE
  struct sched_param sp = {0};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
#endif
}

static int open_pg(js_t *s, bool quiet);
static int fail_open(js_t *s, const char *call, int rc, const char *fmt, const char *a,
                     const char *b);

/* PostgreSQL was unreachable at the open: the projector opens it (migrating
 * it if need be), takes the instance's cursor and catches up from it. A
 * cursor past the journal's end is refused for good (open_projection's
 * rule), and said. */
static int reach_pg(js_t *s) {
  if (s->pg_refused) return OMS_ESTORE;
  char before[sizeof s->pg_why];
  pthread_mutex_lock(&s->emu);
  memcpy(before, s->pg_why, sizeof before);
  pthread_mutex_unlock(&s->emu);
  if (open_pg(s, true) != 0) { /* said once per reason, not once per attempt */
    pthread_mutex_lock(&s->emu);
    bool same = strcmp(before, s->pg_why) == 0;
    pthread_mutex_unlock(&s->emu);
    if (!same)
      fail_open(s, "PostgreSQL projection", 0, "still unreachable: %.200s%s", s->pg_why, "");
    return OMS_ESTORE;
  }
  uint64_t written = oms_journal_written(s->j);
  if (s->pg_cursor > written) {
    char lsns[64];
    snprintf(lsns, sizeof lsns, "%llu > %llu", (unsigned long long)s->pg_cursor,
             (unsigned long long)written);
    fail_open(s, "PostgreSQL projection", OMS_ESTORE,
              "instance %s's projection is ahead of the journal (LSN %s): another journal's, "
              "or the wrong instance name; not projected until a person sorts it out",
              s->instance, lsns);
    oms_store_close(s->proj);
    s->proj = NULL;
    s->pg_refused = true;
    return OMS_ESTORE;
  }
  atomic_store_explicit(&s->projected, s->pg_cursor, memory_order_release);
  atomic_store_explicit(&s->pg_proj, s->proj, memory_order_release);
  char at[64];
  snprintf(at, sizeof at, "%llu of %llu", (unsigned long long)s->pg_cursor,
           (unsigned long long)written);
  warn(s, "PostgreSQL reached: the projection catches up from the journal (LSN %s)%s", at, "");
  return 0;
}

/* Once PostgreSQL is as close behind the journal as in ordinary running
 * (less than the lag mark: under a steady load it is never exactly at the
 * end), the queries go back to it and the local view is fed no more (kept
 * until the close: a query may still be in it); flushes and FIX reads then
 * wait for PostgreSQL as usual. Under mu, so no append falls between. */
static void maybe_back_to_pg(js_t *s) {
  if (!atomic_load_explicit(&s->local_serving, memory_order_relaxed) || s->proj == NULL) return;
  pthread_mutex_lock(&s->mu);
  uint64_t d = oms_journal_durable(s->j), p = atomic_load(&s->projected);
  bool caught_up = !atomic_load(&s->proj_failed) && (p >= d || d - p < LAG_RECORDS);
  if (caught_up) atomic_store(&s->local_serving, false);
  pthread_mutex_unlock(&s->mu);
  if (caught_up)
    warn(s, "PostgreSQL caught up with the journal: queries are answered by PostgreSQL again%s%s",
         "", "");
}

static void *projector_main(void *arg) {
  js_t *s = arg;
  pthread_setname_np(pthread_self(), "oms-projector");
  int64_t backoff = RETRY_NS;
  become_idle();
  while (!atomic_load(&s->stop)) {
    atomic_store(&s->urgent, false);
    if (s->pg && s->proj == NULL && reach_pg(s) != 0) {
      sleep_ns(s, backoff, true);
      backoff = backoff * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : backoff * 2;
      continue;
    }
    if (oms_journal_durable(s->j) > atomic_load_explicit(&s->projected, memory_order_acquire)) {
      atomic_store(&s->kick, false);
      pthread_mutex_lock(&s->prj);
      int rc = project(s, true);
      pthread_mutex_unlock(&s->prj);
      pthread_mutex_lock(&s->pmu);
      s->attempts++;
      pthread_cond_broadcast(&s->pdone);
      pthread_mutex_unlock(&s->pmu);
      if (rc != 0) {
        sleep_ns(s, backoff, true);
        backoff = backoff * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : backoff * 2;
        continue;
      }
      backoff = RETRY_NS;
      maybe_back_to_pg(s);
      retain(s);
    }
    maybe_back_to_pg(s);
    retain(s);
    sleep_ns(s, CADENCE_NS, false);
  }
  return NULL;
}

/* Waits until the projection holds lsn: 0, OMS_ETIMEDOUT, or OMS_ESTORE if
 * it fails meanwhile. */
static int wait_projected(js_t *s, uint64_t lsn, int64_t timeout_ns) {
  int64_t deadline = timeout_ns < 0 ? INT64_MAX : now_ns() + timeout_ns;
  int64_t help_at = now_ns() + HELP_NS;
  int rc = 0;
  pthread_mutex_lock(&s->pmu);
  /* Not while a failed projection backs off: every waiter would wake it and
   * make it retry at once (a flood against a database that is down);
   * recover() is the way to ask for a retry now. */
  if (atomic_load_explicit(&s->projected, memory_order_acquire) < lsn &&
      !atomic_load(&s->proj_failed)) {
    atomic_store(&s->urgent, true); /* not at the cadence: someone waits */
    pthread_cond_signal(&s->pcv);
  }
  while (atomic_load_explicit(&s->projected, memory_order_acquire) < lsn) {
    if (atomic_load(&s->proj_failed)) {
      rc = OMS_ESTORE;
      break;
    }
    if (now_ns() >= deadline) {
      rc = OMS_ETIMEDOUT;
      break;
    }
    if (now_ns() >= help_at && pthread_mutex_trylock(&s->prj) == 0) {
      /* The projector, at SCHED_IDLE, gets no CPU while every CPU is busy:
       * the waiter projects at its own priority, so a flush or a FIX read
       * waits at most HELP_NS plus the projection, however loaded the
       * machine. Not while the projector is in a batch (trylock). */
      pthread_mutex_unlock(&s->pmu);
      (void)project(s, true); /* a failed batch says so itself (proj_failed) */
      pthread_mutex_unlock(&s->prj);
      pthread_mutex_lock(&s->pmu);
      help_at = now_ns() + HELP_NS;
      continue;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 1000000; /* 1 ms: rechecks the failure and the deadline */
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&s->pdone, &s->pmu, &ts);
  }
  pthread_mutex_unlock(&s->pmu);
  return rc;
}

static int js_flush(oms_store_t *base, int64_t timeout_ns) {
  js_t *s = (js_t *)base;
  uint64_t target = oms_journal_written(s->j);
  int64_t t0 = now_ns();
  int rc = oms_journal_wait(s->j, target, timeout_ns);
  if (rc != 0) return rc;
  /* the local view answers the queries and holds every append already */
  if (atomic_load(&s->local_serving)) return 0;
  return wait_projected(s, target, timeout_ns < 0 ? -1 : timeout_ns - (now_ns() - t0));
}

/* The FIX and cursor reads see the caller's own appends. */
static void catch_up(js_t *s) {
  if (atomic_load(&s->local_serving)) return; /* fed under mu with the append */
  uint64_t target = oms_journal_written(s->j);
  if (atomic_load_explicit(&s->projected, memory_order_acquire) < target &&
      oms_journal_wait(s->j, target, FIX_WAIT_NS) == 0)
    (void)wait_projected(s, target, FIX_WAIT_NS);
}

/* ---- Durability, state ------------------------------------------------------------ */

static uint64_t js_durable_ticket(const oms_store_t *base) {
  return oms_journal_durable(((const js_t *)base)->j);
}

static int js_wait(oms_store_t *base, uint64_t ticket, int64_t timeout_ns) {
  return oms_journal_wait(((js_t *)base)->j, ticket, timeout_ns);
}

/* A failed journal stays failed until a restart reopens it (appenders hold
 * it); a failed projection is retried now, and this waits for the outcome. */
static int js_recover(oms_store_t *base) {
  js_t *s = (js_t *)base;
  if (oms_journal_failed(s->j)) return OMS_ESTORE;
  int64_t deadline = now_ns() + FIX_WAIT_NS;
  int rc = 0;
  pthread_mutex_lock(&s->pmu);
  uint64_t a0 = s->attempts;
  atomic_store(&s->kick, true);
  pthread_cond_signal(&s->pcv);
  while (atomic_load(&s->proj_failed)) {
    if (s->attempts > a0 || now_ns() >= deadline) {
      rc = OMS_ESTORE;
      break;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&s->pdone, &s->pmu, &ts);
  }
  pthread_mutex_unlock(&s->pmu);
  return rc;
}

static bool js_failed(const oms_store_t *base) {
  return oms_journal_failed(((const js_t *)base)->j);
}

static void js_last_error(const oms_store_t *base, oms_store_error_t *e) {
  js_t *s = (js_t *)base;
  if (oms_journal_failed(s->j)) { /* the journal's own word: its on_error may still be on its way */
    oms_journal_error_t je;
    oms_journal_last_error(s->j, &je);
    from_journal(e, "journal", &je);
    return;
  }
  pthread_mutex_lock(&s->emu);
  *e = s->err;
  pthread_mutex_unlock(&s->emu);
}

static void js_stats(const oms_store_t *base, oms_store_stats_t *st) {
  js_t *s = (js_t *)base;
  oms_store_t *proj = s->pg ? atomic_load_explicit(&s->pg_proj, memory_order_acquire) : s->proj;
  if (proj != NULL)
    oms_store_stats(proj, st); /* the projection's transactions and their times */
  else
    memset(st, 0, sizeof *st);
  st->projection_failed = atomic_load(&s->proj_failed);
  st->projection_local = atomic_load(&s->local_serving);
  st->appends = atomic_load_explicit(&s->n_appends, memory_order_relaxed);
  st->refused = atomic_load_explicit(&s->n_refused, memory_order_relaxed);
  uint64_t p = atomic_load_explicit(&s->projected, memory_order_relaxed);
  uint64_t w = oms_journal_written(s->j);
  st->queued = w > p ? w - p : 0;
}

static int js_durable_fd(const oms_store_t *base) {
  return oms_journal_durable_fd(((const js_t *)base)->j);
}

/* ---- Queries: the projection's --------------------------------------------------- */

/* The projection, or the local view while PostgreSQL has not caught up
 * since an open without it. */
static oms_store_t *reader(oms_store_t *base) {
  js_t *s = (js_t *)base;
  if (atomic_load_explicit(&s->local_serving, memory_order_acquire)) return s->local;
  return s->pg ? atomic_load_explicit(&s->pg_proj, memory_order_acquire) : s->proj;
}
#define PROJ(base) reader(base)

static int js_get_order(oms_store_t *b, uint64_t id, oms_order_t *out) {
  return oms_store_get_order(PROJ(b), id, out);
}
static int js_query_orders(oms_store_t *b, const oms_order_query_t *q, oms_order_cb cb, void *c) {
  return oms_store_query_orders(PROJ(b), q, cb, c);
}
static int js_events_for_order(oms_store_t *b, uint64_t id, oms_event_cb cb, void *c) {
  return oms_store_events_for_order(PROJ(b), id, cb, c);
}
static int js_events_from(oms_store_t *b, uint64_t from, size_t max, oms_event_cb cb, void *c) {
  return oms_store_events_from(PROJ(b), from, max, cb, c);
}
static int js_events_between(oms_store_t *b, int64_t from, int64_t to, oms_event_cb cb, void *c) {
  return oms_store_events_between(PROJ(b), from, to, cb, c);
}
static int js_fills_for_order(oms_store_t *b, uint64_t id, oms_fill_cb cb, void *c) {
  return oms_store_fills_for_order(PROJ(b), id, cb, c);
}
static int js_load_positions(oms_store_t *b, oms_position_cb cb, void *c) {
  return oms_store_load_positions(PROJ(b), cb, c);
}
static int js_get_position(oms_store_t *b, const char *acct, const char *sym, oms_position_t *o) {
  return oms_store_get_position(PROJ(b), acct, sym, o);
}
static int js_load_trading_states(oms_store_t *b, oms_trading_state_cb cb, void *c) {
  return oms_store_load_trading_states(PROJ(b), cb, c);
}
static int js_last_seqs(oms_store_t *b, uint64_t *last_seq, uint64_t *last_order) {
  return oms_store_last_seqs(PROJ(b), last_seq, last_order);
}
static int js_each_clordid(oms_store_t *b, oms_clordid_cb cb, void *c) {
  return oms_store_each_clordid(PROJ(b), cb, c);
}
static int js_fill_seq_back(oms_store_t *b, uint64_t n, uint64_t *seq) {
  return oms_store_fill_seq_back(PROJ(b), n, seq);
}
static int js_fix_get_seqnums(oms_store_t *b, const char *session, int64_t *in, int64_t *out) {
  catch_up((js_t *)b);
  return oms_store_fix_get_seqnums(PROJ(b), session, in, out);
}
static int js_fix_fetch_sent(oms_store_t *b, const char *session, int64_t from, int64_t to,
                             oms_fix_msg_cb cb, void *c) {
  catch_up((js_t *)b);
  return oms_store_fix_fetch_sent(PROJ(b), session, from, to, cb, c);
}
static int js_cursor_get(oms_store_t *b, const char *sink, uint64_t *seq) {
  catch_up((js_t *)b);
  return oms_store_cursor_get(PROJ(b), sink, seq);
}

static int js_limit_changes(oms_store_t *b, oms_limit_change_cb cb, void *c) {
  catch_up((js_t *)b);
  return oms_store_limit_changes(PROJ(b), cb, c);
}

static int js_pnl_bases(oms_store_t *b, int64_t *day_start_ns, oms_pnl_base_cb cb, void *c) {
  catch_up((js_t *)b);
  return oms_store_pnl_bases(PROJ(b), day_start_ns, cb, c);
}

static int js_query_parents(oms_store_t *b, const oms_parent_query_t *q, oms_parent_cb cb,
                            void *c) {
  return oms_store_query_parents(PROJ(b), q, cb, c);
}

static int js_get_best_execution(oms_store_t *b, uint64_t id, oms_bestex_row_t *out) {
  catch_up((js_t *)b);
  return oms_store_get_best_execution(PROJ(b), id, out);
}

static void js_close(oms_store_t *base);

static const oms_store_vtbl_t js_vtbl = {
    .append = js_append,
    .durable_ticket = js_durable_ticket,
    .wait = js_wait,
    .recover = js_recover,
    .failed = js_failed,
    .last_error = js_last_error,
    .stats = js_stats,
    .durable_fd = js_durable_fd,
    .get_order = js_get_order,
    .query_orders = js_query_orders,
    .events_for_order = js_events_for_order,
    .events_from = js_events_from,
    .events_between = js_events_between,
    .fills_for_order = js_fills_for_order,
    .load_positions = js_load_positions,
    .get_position = js_get_position,
    .load_trading_states = js_load_trading_states,
    .last_seqs = js_last_seqs,
    .fix_set_seqnums = js_fix_set_seqnums,
    .fix_get_seqnums = js_fix_get_seqnums,
    .fix_save_sent = js_fix_save_sent,
    .fix_fetch_sent = js_fix_fetch_sent,
    .fix_reset = js_fix_reset,
    .cursor_get = js_cursor_get,
    .cursor_set = js_cursor_set,
    .close = js_close,
    .flush = js_flush,
    .each_clordid = js_each_clordid,
    .fill_seq_back = js_fill_seq_back,
    .limit_append = js_limit_append,
    .limit_changes = js_limit_changes,
    .query_parents = js_query_parents,
    .get_best_execution = js_get_best_execution,
    .pnl_base_append = js_pnl_base_append,
    .pnl_bases = js_pnl_bases,
};

/* ---- Opening: recovery ------------------------------------------------------------ */

void oms_store_journal_config_init(oms_store_journal_config_t *cfg, const char *journal_dir,
                                   const char *db_path) {
  memset(cfg, 0, sizeof *cfg);
  cfg->journal_dir = journal_dir;
  cfg->db_path = db_path;
  cfg->durability = OMS_DURABILITY_FSYNC;
}

static off_t file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void unlink_db(const char *path) {
  char p[4096];
  static const char *const suffix[] = {"", "-wal", "-shm", "-journal", ".clean", ".boot"};
  for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
}

/* Runs one integer-valued query on the database at path, read-only: 0 and
 * *v, or < 0 (cannot open, not a database, no such table). For text results
 * ("ok" from quick_check) *ok says whether it was "ok". */
static int probe(const char *path, const char *sql, int64_t *v, bool *ok) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (v != NULL) *v = sqlite3_column_int64(st, 0);
    if (ok != NULL) {
      const unsigned char *t = sqlite3_column_text(st, 0);
      *ok = t != NULL && strcmp((const char *)t, "ok") == 0;
    }
    rc = 0;
  } else {
    rc = -1;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

/* Whether the database at path is a trace of history: any file at all. A
 * projection is only ever created after its journal, so a database without
 * a journal beside it means a past (a lost journal, a truncated file, the
 * old engine's database, FIX sequence numbers without orders), never a new
 * directory. */
static bool db_has_history(const char *path) { return file_size(path) >= 0; }

/* ---- The clean-close mark -----------------------------------------------------------
 * PRAGMA quick_check reads the whole projection: at 100,000 orders it was
 * two thirds of a start. It is needed after a crash, not after a clean
 * close that left the file as it was: close writes <db>.clean holding the
 * file's size, modification time and inode once the projection is closed
 * with everything projected; the open takes the mark away at once and skips
 * quick_check if the file still matches it and has no WAL. A file changed
 * since (a copy, a restore, a damaged page written by someone) has another
 * time and is checked; what keeps the time (a change within the same clock
 * tick as the close, a disk that rots in place) is not seen by this, as
 * quick_check would not see a wrong value in a good page either. */

static void mark_path(const js_t *s, char *p, size_t cap) {
  snprintf(p, cap, "%s.clean", s->cfg.db_path);
}

/* The stamp of the file at path, or false if it has none to trust. */
static bool stamp(const char *path, char *out, size_t cap) {
  struct stat sb, wal;
  char w[4096];
  snprintf(w, sizeof w, "%s-wal", path);
  if (stat(path, &sb) != 0 || sb.st_size == 0) return false;
  if (stat(w, &wal) == 0 && wal.st_size > 0) return false;
  snprintf(out, cap, "%lld %lld.%09ld %llu\n", (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
           (long)sb.st_mtim.tv_nsec, (unsigned long long)sb.st_ino);
  return true;
}

/* A mark is a one-line file next to the projection, replaced whole
 * (written beside, then renamed) so a reader never sees half of one. */
static void write_mark(const char *path, const char *line) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (f == NULL) return;
  bool ok = fputs(line, f) >= 0;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

/* The line of the mark at path; false if there is none. */
static bool read_mark(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return false;
  bool read = fgets(out, (int)cap, f) != NULL;
  fclose(f);
  return read;
}

static void mark_clean(const js_t *s) {
  char p[4096], st[128];
  mark_path(s, p, sizeof p);
  if (stamp(s->cfg.db_path, st, sizeof st)) write_mark(p, st);
}

/* How the projection was left, from the clean-close mark, which is taken
 * away in any case (it speaks of one close only). */
typedef enum { LEFT_CRASHED, LEFT_CLEAN, LEFT_TOUCHED } left_t;

static left_t how_left(const js_t *s) {
  char p[4096], want[128], got[128] = "";
  mark_path(s, p, sizeof p);
  if (access(p, F_OK) != 0) return LEFT_CRASHED;
  bool read = read_mark(p, got, sizeof got);
  unlink(p);
  return read && stamp(s->cfg.db_path, want, sizeof want) && strcmp(want, got) == 0 ? LEFT_CLEAN
                                                                                    : LEFT_TOUCHED;
}

/* ---- The same-boot mark -------------------------------------------------------------
 * After a crash there is no clean mark, and quick_check would make every
 * start after a kill cost the whole history. A crash of the process alone
 * cannot damage the file: SQLite commits atomically against a killed
 * process, and whatever it wrote is in the page cache, which survives the
 * process. So the open writes <db>.boot with the kernel's boot id, and a
 * start without a clean mark on the same boot runs quick_check in the
 * background (scrub_main) instead of before serving. A different boot (a
 * machine crash, a power loss, a directory copied from elsewhere) is checked
 * before serving, as is a file touched after a clean close. Damage found in
 * the background is reported, and the mark is removed so that the next
 * start checks first and rebuilds. */

static bool boot_id(char *out, size_t cap) {
  return read_mark("/proc/sys/kernel/random/boot_id", out, cap) && out[0] != '\0';
}

static void boot_path(const js_t *s, char *p, size_t cap) {
  snprintf(p, cap, "%s.boot", s->cfg.db_path);
}

static void mark_boot(const js_t *s) {
  char p[4096], id[64];
  boot_path(s, p, sizeof p);
  if (boot_id(id, sizeof id)) write_mark(p, id);
}

static bool same_boot(const js_t *s) {
  char p[4096], id[64], got[64] = "";
  boot_path(s, p, sizeof p);
  return read_mark(p, got, sizeof got) && boot_id(id, sizeof id) && strcmp(id, got) == 0;
}

/* Why the projection at path cannot serve a journal with history, or NULL.
 * no_check: closed cleanly and not touched since, or left by a crash of the
 * process on this boot (quick_check skipped here; see the marks above). */
static const char *projection_unusable(const char *path, bool no_check) {
  bool ok = false;
  off_t size = file_size(path);
  if (size < 0) return "is missing";
  if (size == 0) return "is empty";
  if (no_check) return NULL;
  if (probe(path, "PRAGMA quick_check", NULL, &ok) != 0 || !ok) return "fails quick_check";
  return NULL;
}

/* The journal's open checks the CRC of every record in the segments it
 * reads at open; those before lsn hold only what the projection already
 * has, each record checked when it was projected (every read checks it),
 * so the open skips them and a scrub thread checks them once the store
 * serves (scrub_main): a start costs what is past the cursor, not the
 * history. */
static void verify_from(js_t *s, oms_journal_config_t *jc, uint64_t lsn) {
  jc->verify_from_lsn = lsn;
  s->scrub_to = lsn - 1;
}

/* The background check of what the open skipped. Damage there is history
 * (audits, replays), not what trading needs, so it is an error to report
 * loudly with its file and offset, not a reason to stop. */
static void become_idle(void);

static void *scrub_main(void *arg) {
  js_t *s = arg;
  pthread_setname_np(pthread_self(), "oms-scrubber");
  int rc = 0;
  become_idle(); /* behind the trading path, as the projector */
  if (s->check_later) {
    bool ok = false;
    if (probe(s->cfg.db_path, "PRAGMA quick_check", NULL, &ok) != 0 || !ok) {
      char p[4096];
      boot_path(s, p, sizeof p);
      unlink(p); /* the next start checks before serving, and rebuilds */
      oms_store_error_t e;
      memset(&e, 0, sizeof e);
      snprintf(e.call, sizeof e.call, "projection quick_check");
      e.code = 11; /* SQLITE_CORRUPT */
      snprintf(e.message, sizeof e.message,
               "projection %.120s fails quick_check: restart to rebuild it from the journal",
               s->cfg.db_path);
      report(s, &e);
      rc = OMS_ECORRUPT;
    }
  }
  if (s->scrub_to > 0) {
    oms_journal_error_t je;
    memset(&je, 0, sizeof je);
    int jrc = oms_journal_verify_range(s->j, 0, s->scrub_to, &je);
    if (jrc == OMS_ECORRUPT) {
      oms_store_error_t e;
      from_journal(&e, "journal scrub", &je);
      e.code = 11; /* SQLITE_CORRUPT */
      report(s, &e);
    }
    if (rc == 0) rc = jrc;
  }
  atomic_store(&s->scrub_rc, rc == 0 ? 1 : rc);
  return NULL;
}

/* The journal's warnings (an unsynced tail cut after a power loss) as the
 * store's: with the file and offset. */
static void on_jwarn(void *ctx, const oms_journal_error_t *w) {
  js_t *s = ctx;
  char at[160];
  snprintf(at, sizeof at, "%.100s at offset %llu", w->file, (unsigned long long)w->offset);
  warn(s, "journal: %s (%s)", w->text, at);
}

static int fail_open(js_t *s, const char *call, int rc, const char *fmt, const char *a,
                     const char *b) {
  oms_store_error_t e;
  char text[512];
  memset(&e, 0, sizeof e);
  snprintf(e.call, sizeof e.call, "%s", call);
  e.code = 1; /* SQLITE_ERROR: not "recovered" */
  snprintf(text, sizeof text, fmt, a, b);
  size_t n = strnlen(text, sizeof e.message - 1);
  memcpy(e.message, text, n);
  report(s, &e);
  return rc;
}

static int open_journal(js_t *s) {
  oms_journal_config_t jc;
  oms_journal_error_t je;
  oms_journal_config_init(&jc, s->cfg.journal_dir);
  /* The projection's cursor says what the open may skip. It is read before
   * the projection is checked, and that is safe: SQLite survives a killed
   * process whole, and a projection that then fails quick_check is rebuilt
   * by reading the whole journal, every record's CRC checked on the way. */
  int64_t cur = (int64_t)s->pg_cursor;
  if (!s->pg &&
      probe(s->cfg.db_path, "SELECT lsn FROM journal_projection WHERE id = 0", &cur, NULL) == 0 &&
      cur > 0)
    verify_from(s, &jc, (uint64_t)cur + 1);
  jc.segment_bytes = s->cfg.segment_bytes;
  jc.durability = s->cfg.durability == OMS_DURABILITY_OS ? OMS_JOURNAL_OS : OMS_JOURNAL_FSYNC;
  jc.io = s->cfg.io;
  jc.on_durable = on_jdurable;
  jc.on_error = on_jerror;
  jc.on_warn = on_jwarn;
  jc.ctx = s;
  jc.syncer_spin_ns = s->cfg.syncer_spin_ns;
  memset(&je, 0, sizeof je);
  int rc = oms_journal_open(&jc, &s->j, &je);
  if (rc == OMS_ENOTFOUND) {
    if (!s->pg && db_has_history(s->cfg.db_path))
      return fail_open(
          s, "oms_journal_open", OMS_ESTORE,
          "no journal in %s but %s exists: restore the journal or move the "
          "data directory away (old engine: move it into a journal with `omsjournal import "
          "<data_dir>`, or keep store.engine = \"sqlite\")",
          s->cfg.journal_dir, s->cfg.db_path);
    warn(s, "new data directory: no history (journal %s, projection %s)", s->cfg.journal_dir,
         s->cfg.db_path);
    unlink_db(s->cfg.db_path); /* empty or without orders: nothing lost */
    jc.create = true;
    rc = oms_journal_open(&jc, &s->j, &je);
  }
  if (rc != 0) {
    oms_store_error_t e;
    from_journal(&e, "oms_journal_open", &je);
    if (e.message[0] == '\0') snprintf(e.message, sizeof e.message, "%s", oms_err_name(rc));
    report(s, &e);
  }
  return rc;
}

/* PostgreSQL's projection is opened before the journal (its cursor says
 * what the journal's open may skip); it is never rebuilt by omsd: a cursor
 * past the journal's end is another journal's projection (or another
 * instance's name), which a person must sort out. */
static int open_pg(js_t *s, bool quiet) {
  oms_store_error_t e;
  int rc = oms__pg_open(s->cfg.pg_conninfo, s->instance, &s->proj, &e);
  if (rc == 0) oms__pg_set_fence(s->proj, s->cfg.lease_token);
  if (rc == 0 && (rc = oms__pg_projected(s->proj, &s->pg_cursor)) != 0) {
    snprintf(e.message, sizeof e.message, "cannot read the projection's cursor");
    oms_store_close(s->proj);
    s->proj = NULL;
    rc = OMS_EDOWN; /* it went away between the two: as unreachable */
  }
  if (rc != 0) {
    snprintf(e.call, sizeof e.call, "PostgreSQL projection");
    if (!quiet) report(s, &e);
    pthread_mutex_lock(&s->emu);
    snprintf(s->pg_why, sizeof s->pg_why, "%s", e.message);
    pthread_mutex_unlock(&s->emu);
  }
  return rc;
}

/* PostgreSQL unreachable at the open: the whole journal into a memory
 * store, which answers the queries (the engine's recovery first) until
 * PostgreSQL is reached and has caught up. Impossible once retention
 * released the journal's first segments: only the projection holds that
 * history then, and the open is refused with the cause and the fix. */
static int open_local(js_t *s) {
  int rc = oms_store_memory_create(NULL, &s->local);
  if (rc != 0) return rc;
  rc = oms_journal_read(s->j, 1, false, take_local, s);
  if (rc == OMS_ENOTFOUND) /* the cause and the fix first: the message is short */
    return fail_open(s, "PostgreSQL unreachable", OMS_ESTORE,
                     "the journal no longer holds the whole history (released after "
                     "journal_retain_hours): start PostgreSQL, then omsd (journal %.60s; %.60s)",
                     s->cfg.journal_dir, s->pg_why);
  if (rc < 0)
    return fail_open(s, "PostgreSQL unreachable", rc == OMS_ECORRUPT ? OMS_ECORRUPT : OMS_ESTORE,
                     "and the journal %.80s cannot be read into memory (%.60s)", s->cfg.journal_dir,
                     s->pg_why);
  atomic_store(&s->local_serving, true);
  atomic_store(&s->proj_failed, true);
  warn(s,
       "PostgreSQL is unreachable (%.160s): trading goes on from the journal %.120s, queries are "
       "answered from it in memory, and the projection catches up when PostgreSQL is back",
       s->pg_why, s->cfg.journal_dir);
  return 0;
}

static int open_projection(js_t *s, bool no_check) {
  if (s->pg && s->proj == NULL) return open_local(s);
  if (s->pg) {
    uint64_t written = oms_journal_written(s->j);
    if (s->pg_cursor > written) {
      char lsns[64];
      snprintf(lsns, sizeof lsns, "%llu > %llu", (unsigned long long)s->pg_cursor,
               (unsigned long long)written);
      return fail_open(s, "PostgreSQL projection", OMS_ESTORE,
                       "instance %s's projection is ahead of the journal (LSN %s): another "
                       "journal's, or the wrong instance name",
                       s->instance, lsns);
    }
    atomic_store(&s->projected, s->pg_cursor);
    atomic_store(&s->pg_proj, s->proj);
    return 0;
  }
  oms_store_config_t sc;
  oms_store_config_init(&sc, s->cfg.db_path);
  sc.synchronous = true;
  /* Checkpoints are the projection's only syncs (NORMAL, above): rare, so
   * that they seldom share the disk with the journal's fdatasync. 16 MB of
   * WAL, written over in place once it has grown (no new blocks to order). */
  sc.checkpoint_pages = 4096;
  sc.queue_capacity = 64; /* unused: the projection is written through oms__sqlite_project */
  sc.durability = s->cfg.durability;
  sc.fault = s->cfg.fault;
  sc.on_error = s->cfg.on_error;
  sc.ctx = s->cfg.ctx;
  uint64_t written = oms_journal_written(s->j);
  const char *why = written > 0 ? projection_unusable(s->cfg.db_path, no_check) : NULL;
  for (int attempt = 0;; attempt++) {
    if (why != NULL) {
      warn(s, "projection %s %s: rebuilt from the journal", s->cfg.db_path, why);
      unlink_db(s->cfg.db_path);
    }
    uint64_t cur = 0;
    int rc = oms_store_sqlite_open(&sc, &s->proj);
    /* NORMAL, not the store's OFF or FULL: why it is safe is in the header. */
    if (rc == 0 && oms__store_sqlite_exec(s->proj, "PRAGMA synchronous=NORMAL") != 0)
      rc = OMS_ESTORE;
    if (rc == 0) rc = oms__sqlite_projected(s->proj, &cur);
    if (rc == 0 && cur <= written) {
      atomic_store(&s->projected, cur);
      return 0;
    }
    oms_store_close(s->proj);
    s->proj = NULL;
    if (attempt > 0 || written == 0) return rc != 0 ? rc : OMS_ESTORE;
    why = rc != 0 ? "cannot be opened" : "is ahead of the journal";
  }
}

int oms_store_journal_open(const oms_store_journal_config_t *cfg, oms_store_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->journal_dir == NULL || cfg->journal_dir[0] == '\0' ||
      cfg->db_path == NULL || cfg->db_path[0] == '\0')
    return OMS_EINVAL;
  js_t *s = oms__calloc(1, sizeof *s);
  if (s == NULL) return OMS_ENOMEM;
  s->base.vt = &js_vtbl;
  s->cfg = *cfg;
  /* The paths are the store's own: its threads and its close use them after
   * the caller's copies may be gone. */
  if (snprintf(s->journal_dir, sizeof s->journal_dir, "%s", cfg->journal_dir) >=
          (int)sizeof s->journal_dir ||
      snprintf(s->db_path, sizeof s->db_path, "%s", cfg->db_path) >= (int)sizeof s->db_path) {
    oms__free(s);
    return OMS_EINVAL;
  }
  s->cfg.journal_dir = s->journal_dir;
  s->cfg.db_path = s->db_path;
  s->pg = cfg->pg_conninfo != NULL && cfg->pg_conninfo[0] != '\0';
  snprintf(s->instance, sizeof s->instance, "%s",
           cfg->instance != NULL && cfg->instance[0] != '\0' ? cfg->instance : "main");
  if (s->pg && snprintf(s->pg_conninfo, sizeof s->pg_conninfo, "%s", cfg->pg_conninfo) >=
                   (int)sizeof s->pg_conninfo) {
    oms__free(s);
    return OMS_EINVAL;
  }
  s->cfg.pg_conninfo = s->pg_conninfo;
  s->cfg.instance = s->instance;
  pthread_mutex_init(&s->mu, NULL);
  pthread_mutex_init(&s->prj, NULL);
  pthread_mutex_init(&s->pmu, NULL);
  pthread_mutex_init(&s->emu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&s->pcv, &ca);
  pthread_cond_init(&s->pdone, &ca);
  pthread_condattr_destroy(&ca);
  int rc = OMS_ENOMEM;
  s->batch_max = cfg->batch_records > 0 ? cfg->batch_records : BATCH_MAX;
  s->cap_batch = 2 * s->batch_max; /* a batch ends at the unit that reaches the max */
  s->batch = oms__calloc(s->cap_batch, sizeof *s->batch);
  if (s->batch == NULL || room(s, UNIT_EVENTS) != 0) goto fail;
  left_t left = s->pg ? LEFT_CLEAN : how_left(s);
  s->check_later = left == LEFT_CRASHED && same_boot(s);
  /* PostgreSQL unreachable (OMS_EDOWN) is no reason not to trade: the
   * journal is the truth (open_local); anything else it says is. */
  if (s->pg && (rc = open_pg(s, false)) != 0 && rc != OMS_EDOWN) goto fail;
  if ((rc = open_journal(s)) != 0) goto fail;
  if ((rc = open_projection(s, left == LEFT_CLEAN || s->check_later)) != 0) goto fail;
  /* The replay: everything the journal holds, durable or only written. */
  if (s->proj != NULL && (rc = project(s, false)) != 0) {
    if (rc == OMS_ENOTFOUND) /* before the journal's first segment */
      fail_open(s, "replay", rc,
                "the journal %s no longer holds what %s needs (released segments): restore "
                "the projection or the journal",
                s->cfg.journal_dir, s->cfg.db_path);
    else if (s->apply_rc == 0) /* the read failed; a record or a batch said why already */
      fail_open(s, "replay", rc, "cannot read the journal %s into %s", s->cfg.journal_dir,
                s->cfg.db_path);
    rc = rc == OMS_ECORRUPT ? OMS_ECORRUPT : OMS_ESTORE;
    goto fail;
  }
  uint64_t last_order;
  if ((rc = oms_store_last_seqs(reader(&s->base), &s->last_seq, &last_order)) != 0) goto fail;
  rc = OMS_ESTORE;
  if (pthread_create(&s->projector, NULL, projector_main, s) != 0) goto fail;
  s->running = true;
  if (!s->pg) mark_boot(s);
  if ((s->scrub_to > 0 || s->check_later) && pthread_create(&s->scrubber, NULL, scrub_main, s) == 0)
    s->scrubbing = true;
  *out = &s->base;
  return 0;
fail:
  js_close(&s->base);
  return rc;
}

static void js_close(oms_store_t *base) {
  js_t *s = (js_t *)base;
  if (s == NULL) return;
  bool clean = false;
  if (s->scrubbing) pthread_join(s->scrubber, NULL);
  if (s->running) {
    /* What is durable reaches the projection before it closes. */
    if (!oms_journal_failed(s->j)) (void)js_flush(base, INT64_C(5000000000));
    pthread_mutex_lock(&s->pmu);
    atomic_store(&s->stop, true);
    pthread_cond_signal(&s->pcv);
    pthread_mutex_unlock(&s->pmu);
    pthread_join(s->projector, NULL);
    clean = !oms_journal_failed(s->j) && !atomic_load(&s->proj_failed) &&
            atomic_load(&s->projected) == oms_journal_written(s->j);
  }
  oms_journal_close(s->j);
  oms_store_close(s->proj);
  oms_store_close(s->local);
  if (clean && !s->pg) mark_clean(s);
  pthread_cond_destroy(&s->pdone);
  pthread_cond_destroy(&s->pcv);
  pthread_mutex_destroy(&s->emu);
  pthread_mutex_destroy(&s->pmu);
  pthread_mutex_destroy(&s->prj);
  pthread_mutex_destroy(&s->mu);
  oms__free(s->batch);
  oms__free(s->scratch);
  oms__free(s->recs);
  oms__free(s);
}
