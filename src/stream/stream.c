/*
 * stream.c - the event stream to NATS JetStream (include/oms/stream.h,
 * docs/deployment.md).
 *
 * HOW IT WORKS. One publisher thread and a window of `window` slots, a
 * power of two, indexed by seq & (window - 1). The seqs in (cursor, sent]
 * are published and not yet part of the acknowledged prefix; each slot says
 * whether its seq is awaiting its ack (and since when) or acked. The thread:
 *
 *   1. connects (no automatic reconnection in libnats: a lost connection is
 *      a failure like any other, handled in one place) and makes sure the
 *      stream exists, holding "<prefix>.>" with the de-duplication window;
 *   2. reads from the replay source, after `sent`, as many events as the
 *      window has room for, and publishes each with js_PublishMsgAsync and
 *      its Nats-Msg-Id; libnats's own thread calls on_ack for each answer;
 *   3. on_ack marks the slot acked and moves the cursor over the acked
 *      prefix (acks may come in any order; the cursor never passes a gap);
 *   4. saves the cursor every save_interval when it moved;
 *   5. on a failure (a refused publish, an error ack, a lost connection, the
 *      oldest publish unacked for ack_timeout) drops the connection, rewinds
 *      `sent` to the cursor and waits a jittered exponential backoff before
 *      step 1. Everything after the cursor is published again; what the
 *      server had stored comes back a duplicate (same Nats-Msg-Id, inside
 *      the stream's de-duplication window) and is not stored twice.
 *
 * So the stream holds every event once, in seq order (a rewind republishes
 * in order, and JetStream stores in the order it receives), provided a
 * rewind comes within the de-duplication window of the first publish: the
 * window defaults to 2 minutes, and a restart of omsd or of the server
 * takes seconds.
 *
 * The thread runs at SCHED_IDLE (become_idle).
 *
 * An ack from before a rewind still counts: an ack means the server stored
 * the message, whichever connection carried it.
 */
#include <inttypes.h>
#include <nats/nats.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "oms/event.h"
#include "oms/stream.h"

#define SLOT_FREE 0
#define SLOT_SENT 1
#define SLOT_ACKED 2
#define READ_MAX 256u /* events read from the source per batch */
#define MS INT64_C(1000000)

typedef struct slot_s {
  uint64_t seq;
  int64_t sent_ns;
  int st;
} slot_t;

struct oms_stream_s {
  oms_stream_config_t cfg;
  char url[256], stream[OMS_STREAM_NAME_MAX + 1], prefix[OMS_STREAM_NAME_MAX + 1];
  char instance[OMS_STREAM_NAME_MAX + 1], cursor_name[OMS_ID_MAX + 1];
  oms_replay_source_t src;
  oms_cursor_store_t cur;

  pthread_t thread;
  bool started;
  bool used_nats; /* a connection was tried: libnats's threads exist */
  atomic_bool quit;
  int64_t drain_ns;

  /* The publisher thread's own. */
  natsConnection *nc;
  jsCtx *js;
  uint64_t saved;   /* the cursor last saved */
  int64_t saved_ns; /* when */
  uint32_t attempt; /* failures in a row (the backoff's exponent) */
  char json[OMS_EVENT_JSON_MAX];
  char subject[256];
  char msgid[OMS_STREAM_NAME_MAX + 24];

  pthread_mutex_t mu; /* everything below: the publisher and on_ack */
  pthread_cond_t cv;
  slot_t *slots;
  uint64_t cursor; /* the acknowledged prefix */
  uint64_t sent;   /* the last seq published */
  bool failed;     /* on_ack or the disconnection callback saw a failure */
  oms_stream_stats_t st;
};

static const char *const state_names[] = {
#define OMS_STREAM_NAME(name, str) str,
    OMS_STREAM_STATE_MAP(OMS_STREAM_NAME)
#undef OMS_STREAM_NAME
};

const char *oms_stream_state_name(oms_stream_state_t s) {
  return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "unknown";
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(oms_stream_t *s, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(oms_stream_t *s, int error, const char *fmt, ...) {
  if (s->cfg.on_log == NULL) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  s->cfg.on_log(s->cfg.ctx, error, line);
}

/* A subject token: printable, none of NATS's separators and wildcards. */
static bool token_ok(const char *t, size_t max) {
  size_t n = t == NULL ? 0 : strlen(t);
  if (n == 0 || n > max) return false;
  for (size_t i = 0; i < n; i++)
    if (t[i] <= ' ' || t[i] > '~' || t[i] == '.' || t[i] == '*' || t[i] == '>') return false;
  return true;
}

int oms_stream_subject(const char *prefix, const char *instance, const oms_event_t *ev, char *buf,
                       size_t cap) {
  char acct[OMS_ID_MAX + 1];
  size_t n = strnlen(ev->order.account_id, OMS_ID_MAX);
  for (size_t i = 0; i < n; i++) {
    char c = ev->order.account_id[i];
    acct[i] = (c <= ' ' || c > '~' || c == '.' || c == '*' || c == '>') ? '_' : c;
  }
  if (n == 0) acct[n++] = '_';
  acct[n] = '\0';
  int w = snprintf(buf, cap, "%s.%s.%s.%s", prefix, instance, acct, oms_event_type_name(ev->type));
  return w < 0 || (size_t)w >= cap ? OMS_ENOSPC : w;
}

int oms_stream_create(const oms_stream_config_t *cfg, const oms_replay_source_t *src,
                      const oms_cursor_store_t *cur, oms_stream_t **out) {
  *out = NULL;
  if (cfg == NULL || src == NULL || src->read == NULL || cur == NULL || cur->load == NULL ||
      cur->save == NULL || cfg->nats_url == NULL || cfg->nats_url[0] == '\0' ||
      strlen(cfg->nats_url) >= 256 || !token_ok(cfg->stream, OMS_STREAM_NAME_MAX) ||
      !token_ok(cfg->prefix, OMS_STREAM_NAME_MAX) ||
      !token_ok(cfg->instance, OMS_STREAM_NAME_MAX) ||
      (cfg->cursor != NULL && (cfg->cursor[0] == '\0' || strlen(cfg->cursor) > OMS_ID_MAX)) ||
      (cfg->window & (cfg->window - 1)) != 0)
    return OMS_EINVAL;
  oms_stream_t *s = oms__calloc(1, sizeof *s);
  if (s == NULL) return OMS_ENOMEM;
  s->cfg = *cfg;
  if (s->cfg.window == 0) s->cfg.window = 1024;
  if (s->cfg.ack_timeout_ns <= 0) s->cfg.ack_timeout_ns = 2000 * MS;
  if (s->cfg.backoff_initial_ns <= 0) s->cfg.backoff_initial_ns = 100 * MS;
  if (s->cfg.backoff_max_ns <= 0) s->cfg.backoff_max_ns = 5000 * MS;
  if (s->cfg.save_interval_ns <= 0) s->cfg.save_interval_ns = 100 * MS;
  if (s->cfg.idle_ns <= 0) s->cfg.idle_ns = 1 * MS;
  if (s->cfg.duplicate_window_ns <= 0) s->cfg.duplicate_window_ns = 120000 * MS;
  snprintf(s->url, sizeof s->url, "%s", cfg->nats_url);
  snprintf(s->stream, sizeof s->stream, "%s", cfg->stream);
  snprintf(s->prefix, sizeof s->prefix, "%s", cfg->prefix);
  snprintf(s->instance, sizeof s->instance, "%s", cfg->instance);
  snprintf(s->cursor_name, sizeof s->cursor_name, "%s", cfg->cursor ? cfg->cursor : "stream");
  s->cfg.nats_url = s->url;
  s->cfg.stream = s->stream;
  s->cfg.prefix = s->prefix;
  s->cfg.instance = s->instance;
  s->cfg.cursor = s->cursor_name;
  s->src = *src;
  s->cur = *cur;
  int rc = OMS_ENOMEM;
  s->slots = oms__calloc(s->cfg.window, sizeof *s->slots);
  if (s->slots == NULL) goto fail_slots;
  if (pthread_mutex_init(&s->mu, NULL) != 0) goto fail_mu;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  int crc = pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (crc != 0) goto fail_cv;
  rc = s->cur.load(s->cur.ctx, s->cursor_name, &s->cursor);
  if (rc != 0) goto fail_load;
  s->sent = s->saved = s->st.cursor = s->st.head = s->cursor;
  s->saved_ns = mono_ns();
  *out = s;
  return 0;

fail_load:
  pthread_cond_destroy(&s->cv);
fail_cv:
  pthread_mutex_destroy(&s->mu);
fail_mu:
  oms__free(s->slots);
fail_slots:
  oms__free(s);
  return rc;
}

/* ---- acks (libnats's thread) ---------------------------------------------------- */

/* Under mu: the cursor over the acked prefix. */
static void advance(oms_stream_t *s) {
  uint64_t mask = s->cfg.window - 1;
  while (s->cursor < s->sent) {
    slot_t *sl = &s->slots[(s->cursor + 1) & mask];
    if (sl->seq != s->cursor + 1 || sl->st != SLOT_ACKED) break;
    sl->st = SLOT_FREE;
    s->cursor++;
  }
  s->st.cursor = s->cursor;
}

/* The seq of a message id "<instance>-<seq>", 0 if it is not one. */
static uint64_t id_seq(natsMsg *m) {
  const char *id = NULL;
  if (m == NULL || natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || id == NULL) return 0;
  const char *dash = strrchr(id, '-');
  return dash == NULL ? 0 : strtoull(dash + 1, NULL, 10);
}

static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
  (void)js;
  oms_stream_t *s = closure;
  uint64_t seq = id_seq(m);
  pthread_mutex_lock(&s->mu);
  slot_t *sl = &s->slots[seq & (s->cfg.window - 1)];
  bool mine = seq > s->cursor && seq <= s->sent && sl->seq == seq;
  if (pa != NULL) {
    s->st.acked++;
    if (pa->Duplicate) s->st.duplicates++;
    if (mine) {
      sl->st = SLOT_ACKED;
      advance(s);
    }
  }
  /* One failure per connection is counted and said: the rest of the window
   * fails the same way and is republished with it. */
  bool first = pa == NULL && mine && !s->failed;
  if (first) {
    s->failed = true;
    s->st.failures++;
  }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (first)
    say(s, pae != NULL ? (int)pae->Err : 0, "publish of seq %" PRIu64 " failed: %s", seq,
        pae != NULL && pae->ErrText != NULL ? pae->ErrText : "no ack");
  natsMsg_Destroy(m);
}

static void on_disconnected(natsConnection *nc, void *closure) {
  (void)nc;
  oms_stream_t *s = closure;
  pthread_mutex_lock(&s->mu);
  s->failed = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* ---- the publisher thread ------------------------------------------------------- */

static void set_state(oms_stream_t *s, oms_stream_state_t st) {
  pthread_mutex_lock(&s->mu);
  s->st.state = st;
  pthread_mutex_unlock(&s->mu);
}

static void disconnect(oms_stream_t *s) {
  if (s->nc != NULL) natsConnection_Close(s->nc);
  jsCtx_Destroy(s->js);
  natsConnection_Destroy(s->nc);
  s->js = NULL;
  s->nc = NULL;
}

/* Connects and makes sure the stream exists: 0 or -1 (said why). */
static int connect_js(oms_stream_t *s) {
  s->used_nats = true;
  natsOptions *o = NULL;
  natsStatus ns = natsOptions_Create(&o);
  if (ns == NATS_OK) ns = natsOptions_SetURL(o, s->url);
  if (ns == NATS_OK) ns = natsOptions_SetAllowReconnect(o, false);
  if (ns == NATS_OK) ns = natsOptions_SetTimeout(o, s->cfg.ack_timeout_ns / MS);
  if (ns == NATS_OK) ns = natsOptions_SetDisconnectedCB(o, on_disconnected, s);
  if (ns == NATS_OK) ns = natsConnection_Connect(&s->nc, o);
  natsOptions_Destroy(o);
  if (ns != NATS_OK) {
    say(s, (int)ns, "cannot connect to %s: %s", s->url, natsStatus_GetText(ns));
    return -1;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = s->cfg.ack_timeout_ns / MS;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = s;
  /* Our window is the bound; libnats must never make a publish wait. */
  jo.PublishAsync.MaxPending = (int64_t)s->cfg.window * 2;
  ns = natsConnection_JetStream(&s->js, s->nc, &jo);
  jsStreamInfo *si = NULL;
  jsErrCode je = 0;
  if (ns == NATS_OK) ns = js_GetStreamInfo(&si, s->js, s->stream, NULL, &je);
  if (ns == NATS_NOT_FOUND) {
    char subj[OMS_STREAM_NAME_MAX + 3];
    snprintf(subj, sizeof subj, "%s.>", s->prefix);
    const char *subjects[1] = {subj};
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = s->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Duplicates = s->cfg.duplicate_window_ns;
    ns = js_AddStream(&si, s->js, &sc, NULL, &je);
    if (ns == NATS_OK) say(s, 0, "created stream %s for %s", s->stream, subj);
  }
  jsStreamInfo_Destroy(si);
  if (ns != NATS_OK) {
    say(s, (int)ns, "stream %s on %s: %s (JetStream error %d)", s->stream, s->url,
        natsStatus_GetText(ns), (int)je);
    disconnect(s);
    return -1;
  }
  return 0;
}

/* Publishes one event read from the source: 0 to continue, 1 to stop the read. */
static int publish(void *ctx, const oms_event_t *ev) {
  oms_stream_t *s = ctx;
  if (atomic_load_explicit(&s->quit, memory_order_relaxed)) return 1;
  pthread_mutex_lock(&s->mu);
  uint64_t mask = s->cfg.window - 1;
  if (ev->seq <= s->sent || s->sent - s->cursor >= s->cfg.window) {
    pthread_mutex_unlock(&s->mu);
    return ev->seq <= s->sent ? 0 : 1;
  }
  /* The log is gap-free; a seq it does not hold has nothing to publish. */
  while (s->sent + 1 < ev->seq && s->sent - s->cursor < s->cfg.window) {
    s->sent++;
    s->slots[s->sent & mask] = (slot_t){s->sent, 0, SLOT_ACKED};
  }
  advance(s);
  bool room = s->sent - s->cursor < s->cfg.window;
  if (room) {
    s->slots[ev->seq & mask] = (slot_t){ev->seq, mono_ns(), SLOT_SENT};
    s->sent = ev->seq;
    s->st.head = ev->seq;
    s->st.published++;
  }
  pthread_mutex_unlock(&s->mu);
  if (!room) return 1;

  int jl = oms_event_to_json(ev, s->json, sizeof s->json);
  int sl = oms_stream_subject(s->prefix, s->instance, ev, s->subject, sizeof s->subject);
  snprintf(s->msgid, sizeof s->msgid, "%s-%" PRIu64, s->instance, ev->seq);
  natsMsg *m = NULL;
  natsStatus ns =
      jl < 0 || sl < 0 ? NATS_INVALID_ARG : natsMsg_Create(&m, s->subject, NULL, s->json, jl);
  if (ns == NATS_OK) ns = natsMsgHeader_Set(m, "Nats-Msg-Id", s->msgid);
  /* No MaxWait: publisher_main's own check times acks out. libnats's timer
   * would build a timeout message and queue it to a subscription that a lost
   * connection may already have closed, where nothing frees it (a leak seen
   * under LeakSanitizer with libnats 3.4). */
  if (ns == NATS_OK) ns = js_PublishMsgAsync(s->js, &m, NULL);
  natsMsg_Destroy(m); /* NULL once the library took it */
  if (ns != NATS_OK) {
    pthread_mutex_lock(&s->mu);
    s->failed = true;
    s->st.failures++;
    pthread_mutex_unlock(&s->mu);
    say(s, (int)ns, "publish of seq %" PRIu64 " refused: %s", ev->seq, natsStatus_GetText(ns));
    return 1;
  }
  return 0;
}

static void save_cursor(oms_stream_t *s, int64_t now, bool force) {
  pthread_mutex_lock(&s->mu);
  uint64_t c = s->cursor;
  pthread_mutex_unlock(&s->mu);
  if (c == s->saved || (!force && now - s->saved_ns < s->cfg.save_interval_ns)) return;
  int rc = s->cur.save(s->cur.ctx, s->cursor_name, c);
  if (rc != 0) {
    say(s, rc, "cursor %s not saved: %s", s->cursor_name, oms_strerror(rc));
    return; /* the next save tries again; a restart republishes a little more */
  }
  s->saved = c;
  s->saved_ns = now;
}

/* Waits on cv until deadline (monotonic ns) or a broadcast; under mu. */
static void wait_until(oms_stream_t *s, int64_t deadline) {
  struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
  pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

/* Drops the connection, rewinds to the cursor, waits the backoff. */
static void fail_over(oms_stream_t *s) {
  disconnect(s);
  save_cursor(s, mono_ns(), true);
  pthread_mutex_lock(&s->mu);
  for (uint64_t q = s->cursor + 1; q <= s->sent; q++)
    s->slots[q & (s->cfg.window - 1)].st = SLOT_FREE;
  s->sent = s->cursor;
  s->failed = false;
  s->st.inflight = 0;
  s->st.state = OMS_STREAM_BACKOFF;
  s->attempt++;
  int64_t d = oms_backoff_ns(s->cfg.backoff_initial_ns, s->cfg.backoff_max_ns, s->attempt,
                             (uint64_t)(uintptr_t)s, s->cursor);
  int64_t until = mono_ns() + d;
  while (!atomic_load(&s->quit) && mono_ns() < until) wait_until(s, until);
  pthread_mutex_unlock(&s->mu);
}

/* The publisher, and libnats's threads, which it creates when it connects
 * and which inherit its policy, yield to every other thread where the
 * system lets them, as the store's projector does (docs/store.md): on 2
 * CPUs a third runnable thread costs the order path a scheduler slice. On
 * a saturated machine the stream then falls behind and catches up later. */
static void become_idle(void) {
#ifdef SCHED_IDLE
  struct sched_param sp = {0};
  (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
#endif
}

static void *publisher_main(void *arg) {
  oms_stream_t *s = arg;
  pthread_setname_np(pthread_self(), "oms-stream");
  become_idle();
  while (!atomic_load(&s->quit)) {
    if (s->nc == NULL) {
      set_state(s, OMS_STREAM_CONNECTING);
      if (connect_js(s) != 0) {
        pthread_mutex_lock(&s->mu);
        s->st.failures++;
        pthread_mutex_unlock(&s->mu);
        fail_over(s);
        continue;
      }
      say(s, 0, "publishing to stream %s on %s after seq %" PRIu64, s->stream, s->url, s->cursor);
      set_state(s, OMS_STREAM_PUBLISHING);
    }
    int64_t now = mono_ns();
    uint64_t late = 0; /* the seq whose ack is overdue, said below */
    pthread_mutex_lock(&s->mu);
    slot_t *oldest = &s->slots[(s->cursor + 1) & (s->cfg.window - 1)];
    if (s->sent > s->cursor && oldest->st == SLOT_SENT &&
        now - oldest->sent_ns > s->cfg.ack_timeout_ns && !s->failed) {
      s->failed = true;
      s->st.failures++;
      late = oldest->seq;
    }
    bool failed = s->failed;
    bool room = s->sent - s->cursor < s->cfg.window;
    uint64_t from = s->sent + 1;
    pthread_mutex_unlock(&s->mu);
    if (late != 0)
      say(s, 0, "publish of seq %" PRIu64 " not acked within %" PRId64 " ms", late,
          s->cfg.ack_timeout_ns / MS);
    if (failed) {
      say(s, 0, "connection to %s given up; republishing after seq %" PRIu64, s->url, s->cursor);
      fail_over(s);
      continue;
    }
    int n = 0;
    if (room) {
      uint64_t before = s->st.published;
      int rc = s->src.read(s->src.ctx, from, READ_MAX, publish, s);
      if (rc < 0)
        say(s, rc, "reading the event log after seq %" PRIu64 ": %s", from - 1, oms_strerror(rc));
      n = (int)(s->st.published - before);
    }
    pthread_mutex_lock(&s->mu);
    if (s->cursor > s->saved) s->attempt = 0; /* acks flow again */
    s->st.inflight = s->sent - s->cursor;
    if (n == 0 && !s->failed && !atomic_load(&s->quit)) wait_until(s, mono_ns() + s->cfg.idle_ns);
    pthread_mutex_unlock(&s->mu);
    save_cursor(s, mono_ns(), false);
  }
  /* Stopping: let the acks in flight arrive (drain_ns at most), then save. */
  int64_t until = mono_ns() + s->drain_ns;
  pthread_mutex_lock(&s->mu);
  while (s->nc != NULL && s->sent > s->cursor && !s->failed && mono_ns() < until)
    wait_until(s, until);
  pthread_mutex_unlock(&s->mu);
  disconnect(s);
  save_cursor(s, mono_ns(), true);
  set_state(s, OMS_STREAM_STOPPED);
  return NULL;
}

int oms_stream_start(oms_stream_t *s) {
  if (s == NULL || s->started) return OMS_EINVAL;
  atomic_store(&s->quit, false);
  if (pthread_create(&s->thread, NULL, publisher_main, s) != 0) return OMS_ENOMEM;
  s->started = true;
  return 0;
}

void oms_stream_stop(oms_stream_t *s, int64_t drain_ns) {
  if (s == NULL || !s->started) return;
  s->drain_ns = drain_ns < 0 ? 0 : drain_ns;
  pthread_mutex_lock(&s->mu);
  atomic_store(&s->quit, true);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  s->started = false;
}

void oms_stream_destroy(oms_stream_t *s) {
  if (s == NULL) return;
  oms_stream_stop(s, 0);
  /* libnats may still call on_ack or on_disconnected, with s, from its own
   * threads after a connection was destroyed (its documentation says so):
   * closing the library waits until every one of its threads has ended. */
  if (s->used_nats && nats_CloseAndWait(10000) != NATS_OK)
    say(s, 0, "libnats did not close within 10 s");
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  oms__free(s->slots);
  oms__free(s);
}

void oms_stream_stats(oms_stream_t *s, oms_stream_stats_t *out) {
  pthread_mutex_lock(&s->mu);
  *out = s->st;
  out->cursor = s->cursor;
  out->inflight = s->sent - s->cursor;
  pthread_mutex_unlock(&s->mu);
}
