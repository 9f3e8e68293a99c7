/*
 * admin_events.c - the admin API's events: one bus subscriber, the events
 * thread, a ring of the recent events, GET /v1/events and the Server-Sent
 * Events stream GET /v1/events/stream.
 *
 * HOW IT WORKS
 * The core thread publishes every durable event on the bus (wire.c); the
 * core never waits for anyone here. omsd_events_start subscribes once, on
 * the core thread (a ring of 65536 events), and starts the events thread,
 * which polls the subscription (sleeping 1 ms when it is idle: polling costs
 * the core nothing, a wake-up would) and for each event:
 *   - feeds the metrics (omsd_metrics_on_event),
 *   - renders it once with oms_event_to_json into the shared ring of the
 *     last RING_SLOTS events (position, seq, type name, JSON), and
 *   - after each batch broadcasts the ring's condition variable.
 * If the subscriber falls behind, the bus replays what it missed from the
 * store: the ring still sees every event once, in seq order.
 *
 * A stream is a libmicrohttpd callback response on its own connection thread
 * (the server runs a thread per connection), so its reader may block on the
 * condition variable: 15 s at most, then it sends a `: keepalive` comment.
 * A stream remembers the last seq it sent (S) and its place in the ring:
 *   - it resumes after Last-Event-ID (or ?after=): while the ring does not
 *     reach back to S + 1 it reads the store (oms_store_events_from, from its
 *     HTTP thread) in pages, then it continues from the ring, skipping what
 *     it already sent; so no gap and no duplicate, however far back it asks;
 *   - without either it starts at the ring's head (the next event);
 *   - if it is so slow that the ring overwrote its place, it goes back to
 *     the store from S + 1 the same way;
 *   - the store answers from its views, which may lag the ring (the
 *     projector runs at SCHED_IDLE): a stream that finds nothing new there
 *     while the ring is ahead naps GAP_WAIT_NS before it asks again, so it
 *     never spins against the projector it waits for;
 *   - transient events (seq 0: alarms that are not stored) go out live,
 *     without an id line, and are never replayed.
 * At stop, omsd_events_end_streams (before the HTTP server stops) marks the
 * ring stopped and broadcasts: every stream ends with
 * MHD_CONTENT_READER_END_OF_STREAM, its last chunk sent, and no new one
 * starts; it waits (1 s at most) for libmicrohttpd to free them. Then
 * omsd_events_stop ends the thread. The streams share the state with a
 * reference count, so a stream freed late never touches freed memory.
 *
 * THREADS. The ring's mutex is taken by the events thread (a pointer write
 * per event) and by the stream threads; never by the core thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "metrics.h"

#define RING_SLOTS 16384u          /* recent events kept for streams; a power of two */
#define RING_ENV "OMSD_EVENT_RING" /* tests: a smaller ring (a power of two >= 2) */
#define SUB_CAPACITY 65536u        /* the bus subscriber's ring */
#define POLL_BATCH 1024            /* events per oms_bus_poll */
#define IDLE_SLEEP_NS 1000000L     /* the events thread's nap when there is nothing */
#define KEEPALIVE_S 15
#define END_WAIT_MS 1000         /* omsd_events_end_streams: how long streams may take to end */
#define STOP_CHECK_NS 200000000L /* a waiting stream looks at omsd_admin_stopping this often */
#define STORE_PAGE 256           /* events read from the store per page of a replay */
#define GAP_WAIT_NS 2000000L     /* a stream's wait for the store to catch up with the ring */
#define STREAM_CHUNK 65536       /* what a stream gathers before it hands it over */
#define EVENTS_LIMIT_DEF 100     /* GET /v1/events */
#define EVENTS_LIMIT_MAX 1000    /* GET /v1/events */

typedef struct slot_s {
  uint64_t pos; /* the ring position it was written at */
  uint64_t seq; /* 0: transient */
  const char *type;
  char *json; /* malloc'd; freed when the slot is reused */
} slot_t;

struct omsd_events_s {
  omsd_t *d;
  oms_store_t *store;
  oms_bus_t *bus;
  oms_bus_sub_t *sub;
  omsd_metrics_t *m;
  pthread_t thread;
  bool thread_started;
  atomic_bool quit; /* tells the events thread to end */
  atomic_int refs;  /* the owner's (1) + one per open stream */

  pthread_mutex_t mu; /* guards everything below */
  pthread_cond_t cv;
  slot_t *ring;    /* nslots */
  uint64_t nslots; /* RING_SLOTS, or OMSD_EVENT_RING for tests */
  uint64_t head;   /* the next position to write; positions are never reused */
  bool stopped;    /* omsd is stopping: streams end */
};

static void events_unref(omsd_events_t *ev) {
  if (atomic_fetch_sub(&ev->refs, 1) != 1) return;
  for (uint64_t i = 0; i < ev->nslots; i++) free(ev->ring[i].json);
  free(ev->ring);
  pthread_cond_destroy(&ev->cv);
  pthread_mutex_destroy(&ev->mu);
  free(ev);
}

/* ---- the events thread ----------------------------------------------------------- */

static void on_bus_event(void *ctx, const oms_event_t *e) {
  omsd_events_t *ev = ctx;
  if (ev->m != NULL) omsd_metrics_on_event(ev->m, e);
  char buf[OMS_EVENT_JSON_MAX];
  int n = oms_event_to_json(e, buf, sizeof buf);
  char *json = n < 0 ? NULL : malloc((size_t)n + 1);
  if (json == NULL) {
    LOG_ERROR("component=admin msg=\"event not rendered\" seq=%" PRIu64, e->seq);
    return; /* a stream finds the stored event in the store */
  }
  memcpy(json, buf, (size_t)n + 1);
  pthread_mutex_lock(&ev->mu);
  slot_t *s = &ev->ring[ev->head & (ev->nslots - 1)];
  char *old = s->json;
  *s = (slot_t){.pos = ev->head, .seq = e->seq, .type = oms_event_type_name(e->type), .json = json};
  ev->head++;
  pthread_mutex_unlock(&ev->mu);
  free(old);
}

static void on_bus_lag(void *ctx, uint64_t last_seq) {
  (void)ctx;
  LOG_WARN(
      "component=admin msg=\"events subscriber fell behind: catching up from the store\" "
      "last_seq=%" PRIu64,
      last_seq);
}

static void *events_main(void *arg) {
  omsd_events_t *ev = arg;
  pthread_setname_np(pthread_self(), "omsd-events");
  while (!atomic_load(&ev->quit)) {
    int n = oms_bus_poll(ev->sub, POLL_BATCH);
    if (n > 0) {
      pthread_mutex_lock(&ev->mu);
      pthread_cond_broadcast(&ev->cv);
      pthread_mutex_unlock(&ev->mu);
      continue;
    }
    if (n < 0)
      LOG_WARN("component=admin msg=\"events replay failed, retrying\" error=%s", oms_err_name(n));
    struct timespec ts = {0, IDLE_SLEEP_NS};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int omsd_events_start(omsd_t *d, struct omsd_metrics_s *m, omsd_events_t **out) {
  *out = NULL;
  if (d->bus == NULL || d->store == NULL) {
    LOG_ERROR("component=admin msg=\"no event bus: the events API needs the store\"");
    return -1;
  }
  omsd_events_t *ev = calloc(1, sizeof *ev);
  if (ev == NULL) return -1;
  ev->d = d;
  ev->store = d->store;
  ev->bus = d->bus;
  ev->m = m;
  atomic_init(&ev->quit, false);
  atomic_init(&ev->refs, 1);
  int rc = -1;
  if (pthread_mutex_init(&ev->mu, NULL) != 0) goto fail_mu;
  if (pthread_cond_init(&ev->cv, NULL) != 0) goto fail_cv;
  ev->nslots = RING_SLOTS;
  const char *env = getenv(RING_ENV);
  if (env != NULL) {
    unsigned long n = strtoul(env, NULL, 10);
    if (n >= 2 && n <= RING_SLOTS && (n & (n - 1)) == 0) ev->nslots = n;
    LOG_WARN("component=admin msg=\"event ring from the environment\" %s=%s slots=%llu", RING_ENV,
             env, (unsigned long long)ev->nslots);
  }
  ev->ring = calloc(ev->nslots, sizeof *ev->ring);
  if (ev->ring == NULL) goto fail_ring;
  oms_bus_sub_config_t sc = {.name = "admin",
                             .capacity = SUB_CAPACITY,
                             .on_event = on_bus_event,
                             .on_lag = on_bus_lag,
                             .ctx = ev};
  if ((rc = oms_bus_subscribe(d->bus, &sc, &ev->sub)) != 0) {
    LOG_ERROR("component=admin msg=\"cannot subscribe to the events\" error=%s", oms_err_name(rc));
    goto fail_sub;
  }
  if ((rc = pthread_create(&ev->thread, NULL, events_main, ev)) != 0) {
    omsd_log_sys(OMS_LOG_ERROR, "pthread_create", "thread=admin-events", rc);
    goto fail_thread;
  }
  ev->thread_started = true;
  *out = ev;
  return 0;

fail_thread:
  oms_bus_unsubscribe(d->bus, ev->sub);
fail_sub:
  free(ev->ring);
fail_ring:
  pthread_cond_destroy(&ev->cv);
fail_cv:
  pthread_mutex_destroy(&ev->mu);
fail_mu:
  free(ev);
  return -1;
}

void omsd_events_end_streams(omsd_events_t *ev) {
  if (ev == NULL) return;
  pthread_mutex_lock(&ev->mu);
  ev->stopped = true;
  pthread_cond_broadcast(&ev->cv);
  pthread_mutex_unlock(&ev->mu);
  /* Each stream drops its reference when libmicrohttpd frees it, once its
   * last chunk went out. */
  for (int i = 0; i < END_WAIT_MS / 10 && atomic_load(&ev->refs) > 1; i++) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

void omsd_events_stop(omsd_t *d, omsd_events_t *ev) {
  (void)d;
  if (ev == NULL) return;
  pthread_mutex_lock(&ev->mu);
  ev->stopped = true;
  pthread_cond_broadcast(&ev->cv);
  pthread_mutex_unlock(&ev->mu);
  atomic_store(&ev->quit, true);
  if (ev->thread_started) pthread_join(ev->thread, NULL);
  oms_bus_unsubscribe(ev->bus, ev->sub);
  ev->sub = NULL;
  events_unref(ev);
}

/* ---- reading the store ----------------------------------------------------------- */

/* Appends to a growing text buffer; false when out of memory. */
typedef struct text_s {
  char *p;
  size_t len, cap, off; /* off: what was handed over already */
} text_t;

static bool text_add(text_t *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (t->len + n + 1 > cap) cap *= 2;
    char *p = realloc(t->p, cap);
    if (p == NULL) return false;
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = '\0';
  return true;
}

/* One SSE message: `id: <seq>` (stored events only), `event: <type>`, `data: <json>`. */
static bool sse_add(text_t *t, uint64_t seq, const char *type, const char *json) {
  char head[96];
  int n = seq > 0 ? snprintf(head, sizeof head, "id: %" PRIu64 "\nevent: %s\ndata: ", seq, type)
                  : snprintf(head, sizeof head, "event: %s\ndata: ", type);
  return text_add(t, head, (size_t)n) && text_add(t, json, strlen(json)) && text_add(t, "\n\n", 2);
}

/* ---- GET /v1/events ---------------------------------------------------------------- */

typedef struct page_s {
  json_t *arr;
  uint64_t last;
  bool failed;
} page_t;

static int page_cb(void *ctx, const oms_event_t *e) {
  page_t *pg = ctx;
  char buf[OMS_EVENT_JSON_MAX];
  int n = oms_event_to_json(e, buf, sizeof buf);
  json_t *j = n < 0 ? NULL : json_loadb(buf, (size_t)n, 0, NULL);
  if (j == NULL || json_array_append_new(pg->arr, j) != 0) {
    pg->failed = true;
    return 1;
  }
  pg->last = e->seq;
  return 0;
}

/* Parses a query parameter as an unsigned number in [lo, hi]; absent: def. */
static bool query_u64(const omsd_http_req_t *rq, omsd_http_resp_t *rs, const char *key,
                      uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out) {
  const char *v = omsd_http_query(rq, key);
  *out = def;
  if (v == NULL) return true;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || x < lo || x > hi) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "%s must be a whole number from %" PRIu64 " to %" PRIu64,
                   key, lo, hi);
    return false;
  }
  *out = x;
  return true;
}

void omsd_route_events(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  omsd_t *d = omsd_admin_daemon(a);
  uint64_t after, limit;
  if (!query_u64(rq, rs, "after", 0, 0, UINT64_MAX - 1, &after) ||
      !query_u64(rq, rs, "limit", EVENTS_LIMIT_DEF, 1, EVENTS_LIMIT_MAX, &limit))
    return;
  page_t pg = {.arr = json_array(), .last = after};
  if (pg.arr == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  int rc = oms_store_events_from(d->store, after + 1, (size_t)limit, page_cb, &pg);
  if (pg.failed || rc < 0) {
    json_decref(pg.arr);
    if (pg.failed)
      omsd_http_fail(rs, OMSD_E_INTERNAL, "reading the events failed: out of memory");
    else
      omsd_http_store_fail(rs, d->store, rc, "reading the events");
    return;
  }
  rs->status = 200;
  rs->json = json_pack("{s:o,s:I}", "events", pg.arr, "last_seq", (json_int_t)pg.last);
  if (rs->json == NULL) omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
}

/* ---- GET /v1/events/stream ------------------------------------------------------------ */

typedef struct stream_s {
  omsd_events_t *ev;
  omsd_admin_t *a;
  uint64_t last_seq; /* the last stored event sent (or resumed after) */
  bool anchored;     /* last_seq is known: the next stored event must be last_seq + 1 */
  bool from_store;   /* reading the store until the ring reaches back to last_seq + 1 */
  uint64_t pos;      /* the next ring position to look at (when !from_store) */
  text_t out;        /* what is gathered and not yet handed to libmicrohttpd */
} stream_t;

static int stream_store_cb(void *ctx, const oms_event_t *e) {
  stream_t *st = ctx;
  char buf[OMS_EVENT_JSON_MAX];
  int n = oms_event_to_json(e, buf, sizeof buf);
  if (n < 0 || !sse_add(&st->out, e->seq, oms_event_type_name(e->type), buf)) return 1;
  st->last_seq = e->seq;
  st->anchored = true;
  return 0;
}

/* Ring mode, under ev->mu: gathers what the ring has after st->pos. Returns
 * false when the ring cannot continue the stream (it overwrote the stream's
 * place, or starts after last_seq + 1): the store must fill in. */
static bool gather_ring(stream_t *st) {
  omsd_events_t *ev = st->ev;
  uint64_t oldest = ev->head > ev->nslots ? ev->head - ev->nslots : 0;
  if (st->pos < oldest) {
    if (st->anchored) return false;
    st->pos = oldest; /* a live stream that has sent no id yet: nobody waits for those */
  }
  while (st->pos < ev->head && st->out.len - st->out.off < STREAM_CHUNK) {
    const slot_t *s = &ev->ring[st->pos & (ev->nslots - 1)];
    if (s->seq == 0) {
      if (!sse_add(&st->out, 0, s->type, s->json)) return true; /* out of memory: later */
    } else if (!st->anchored || s->seq == st->last_seq + 1) {
      if (!sse_add(&st->out, s->seq, s->type, s->json)) return true;
      st->last_seq = s->seq;
      st->anchored = true;
    } else if (s->seq > st->last_seq + 1) {
      return false; /* a gap between what was sent and the ring */
    }               /* else: sent already (from the store) */
    st->pos++;
  }
  return true;
}

/* The position of the first ring slot after last_seq, or the oldest slot:
 * where a stream switching from the store to the ring looks next. */
static uint64_t ring_seek(const omsd_events_t *ev, uint64_t last_seq) {
  uint64_t oldest = ev->head > ev->nslots ? ev->head - ev->nslots : 0;
  uint64_t lo = oldest;
  /* Stored seqs grow with the position: skip the slots at or before last_seq. */
  while (lo < ev->head) {
    const slot_t *s = &ev->ring[lo & (ev->nslots - 1)];
    if (s->seq > last_seq) break;
    lo++;
  }
  return lo;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  stream_t *st = cls;
  omsd_events_t *ev = st->ev;
  while (st->out.off == st->out.len) {
    st->out.len = st->out.off = 0;
    if (st->from_store) {
      pthread_mutex_lock(&ev->mu);
      bool stopped = ev->stopped;
      pthread_mutex_unlock(&ev->mu);
      if (stopped || omsd_admin_stopping(st->a)) return MHD_CONTENT_READER_END_OF_STREAM;
      uint64_t before = st->last_seq;
      int rc = oms_store_events_from(ev->store, st->last_seq + 1, STORE_PAGE, stream_store_cb, st);
      if (rc != 0) { /* > 0: out of memory rendering */
        LOG_WARN("component=admin msg=\"event stream: store read failed\" error=%s",
                 rc < 0 ? oms_err_name(rc) : "ENOMEM");
        return MHD_CONTENT_READER_END_WITH_ERROR;
      }
      if (st->last_seq - before < STORE_PAGE) { /* caught up with the store: back to the ring */
        pthread_mutex_lock(&ev->mu);
        st->pos = ring_seek(ev, st->last_seq);
        st->from_store = false;
        pthread_mutex_unlock(&ev->mu);
        /* Nothing new from the store: if the ring cannot continue either
         * (it starts past last_seq + 1), the store's views are behind the
         * ring, as after a restart or under load. Asked again at once, in a
         * loop, the store would take a CPU from the projector (SCHED_IDLE),
         * and on a machine whose other CPUs are busy the views would never
         * catch up: a nap first. A new event does not end it (the gap is
         * the store's to fill). */
        if (st->last_seq == before) {
          struct timespec nap = {0, GAP_WAIT_NS};
          nanosleep(&nap, NULL);
        }
      }
      continue;
    }
    struct timespec now, keepalive;
    clock_gettime(CLOCK_REALTIME, &keepalive);
    keepalive.tv_sec += KEEPALIVE_S;
    bool timed_out = false;
    pthread_mutex_lock(&ev->mu);
    for (;;) {
      if (ev->stopped || omsd_admin_stopping(st->a)) {
        pthread_mutex_unlock(&ev->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
      }
      if (!gather_ring(st)) {
        st->from_store = true;
        break;
      }
      if (st->out.len > 0 || timed_out) break;
      /* Short waits: the server's stop does not wait for a keepalive. */
      clock_gettime(CLOCK_REALTIME, &now);
      struct timespec slice = now;
      slice.tv_nsec += STOP_CHECK_NS;
      if (slice.tv_nsec >= 1000000000L) {
        slice.tv_sec++;
        slice.tv_nsec -= 1000000000L;
      }
      bool last = slice.tv_sec > keepalive.tv_sec ||
                  (slice.tv_sec == keepalive.tv_sec && slice.tv_nsec >= keepalive.tv_nsec);
      if (pthread_cond_timedwait(&ev->cv, &ev->mu, last ? &keepalive : &slice) == ETIMEDOUT && last)
        timed_out = true;
    }
    pthread_mutex_unlock(&ev->mu);
    if (st->out.len == 0 && timed_out && !text_add(&st->out, ": keepalive\n\n", 13))
      return MHD_CONTENT_READER_END_WITH_ERROR;
  }
  size_t n = st->out.len - st->out.off;
  if (n > max) n = max;
  memcpy(buf, st->out.p + st->out.off, n);
  st->out.off += n;
  return (ssize_t)n;
}

static void stream_free(void *cls) {
  stream_t *st = cls;
  omsd_events_t *ev = st->ev;
  free(st->out.p);
  free(st);
  events_unref(ev);
}

/* Where a stream resumes: the Last-Event-ID header (what a reconnecting
 * EventSource sends), else ?after=, else live. */
static bool resume_point(const omsd_http_req_t *rq, omsd_http_resp_t *rs, bool *given,
                         uint64_t *after) {
  const char *h = omsd_http_header(rq, "Last-Event-ID");
  *given = false;
  *after = 0;
  if (h != NULL && h[0] != '\0') {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(h, &end, 10);
    if (h[0] < '0' || h[0] > '9' || *end != '\0' || errno != 0) {
      omsd_http_fail(rs, OMSD_E_BAD_QUERY, "Last-Event-ID must be an event seq (a whole number)");
      return false;
    }
    *given = true;
    *after = x;
    return true;
  }
  if (omsd_http_query(rq, "after") == NULL) return true;
  *given = true;
  return query_u64(rq, rs, "after", 0, 0, UINT64_MAX - 1, after);
}

void omsd_route_events_stream(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  omsd_events_t *ev = omsd_admin_events(a);
  bool given;
  uint64_t after;
  if (!resume_point(rq, rs, &given, &after)) return;
  if (ev == NULL) {
    omsd_http_fail(rs, OMSD_E_NOT_READY, "the event stream is not running");
    return;
  }
  stream_t *st = calloc(1, sizeof *st);
  if (st == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  pthread_mutex_lock(&ev->mu);
  if (ev->stopped) {
    pthread_mutex_unlock(&ev->mu);
    free(st);
    omsd_http_fail(rs, OMSD_E_NOT_READY, "omsd is stopping");
    return;
  }
  st->ev = ev;
  st->a = a;
  atomic_fetch_add(&ev->refs, 1);
  if (given) { /* the store first: it may hold events the ring has not had yet */
    st->last_seq = after;
    st->anchored = true;
    st->from_store = true;
  } else {
    st->pos = ev->head;
  }
  pthread_mutex_unlock(&ev->mu);
  /* A retry hint first: a browser reconnects after 1 s (with Last-Event-ID). */
  if (!text_add(&st->out, "retry: 1000\n\n", 13)) {
    stream_free(st);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  struct MHD_Response *r =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st, stream_free);
  if (r == NULL) {
    stream_free(st);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "cannot create the stream");
    return;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  MHD_add_response_header(r, "X-Accel-Buffering", "no");
  rs->status = 200;
  rs->raw = r;
}
