/*
 * metrics.c - what omsd counts and measures, rendered in Prometheus' text
 * exposition format 0.0.4 for GET /metrics (docs/admin-api.md).
 *
 * HOW IT WORKS
 *
 * One table (METRICS below) names every metric: its name, type, unit and
 * help text. The renderer walks it in order and writes, for each, the HELP
 * and TYPE lines and then its series; a unit test walks it to hold the
 * naming rules (oms_ prefix, counters end in _total, a unit in seconds ends
 * the name in _seconds). No series carries an order id: every label comes
 * from a bounded vocabulary (states, reasons, checks, venues, queues, HTTP
 * codes).
 *
 * Three kinds of writers, none of which ever waits for another:
 *   - the admin events thread (omsd_metrics_on_event): rejections by reason,
 *     risk denials by check, fills by venue, events, and the two order-to-ack
 *     latencies. Only that thread calls it, so its own tables (the venue
 *     names of fills, the submit times) need no lock; the counts are relaxed
 *     atomics read by the renderer.
 *   - the HTTP threads (omsd_metrics_on_request): one atomic add per response.
 *   - the core thread (omsd_metrics_snapshot, run when /metrics is asked):
 *     copies the gauges (orders by state, queue depths, FIX sessions, the
 *     store's commit histogram) into atomics. It takes no lock: the loop must
 *     never wait for an HTTP thread.
 * The renderer (any HTTP thread) reads atomics only, so two scrapes at once
 * are fine; a histogram's _count is the sum of its buckets as read, so the
 * +Inf bucket and _count always agree.
 *
 * LATENCIES. "internal" is request received -> OrderSubmitted published:
 * validation, risk, the write-ahead append and the wait for it to be
 * durable, when an acknowledgement may go out. The event's own
 * oms_event_latency_ns can not say it: the engine stamps a command's events
 * and its request with the one clock reading it takes at the command's
 * start, so for OrderSubmitted it is always 0. So the events thread reads the
 * clock (the same realtime clock as the engine's; injectable for tests) when
 * the event reaches it and subtracts the event's request_ns; that includes
 * the bus delivery (the events thread sleeps 1 ms when idle, so at low rates
 * a reading may be up to 1 ms late).
 * "venue" is OrderSubmitted -> OrderAccepted (event times, both the core's
 * clock). The accept's request_ns is the submit's only until a cancel or
 * modify request restamps it, or a stop order is submitted when it triggers,
 * so the events thread keeps each order's submit time in a fixed
 * open-addressing table keyed by order id (PEND_SLOTS entries, probes of
 * PEND_PROBE): written at OrderSubmitted, taken at OrderAccepted or when the
 * order ends. When a probe window is full the oldest submit in it is
 * overwritten (that order's ack then goes unmeasured): bounded memory, O(1)
 * per event, and under any sane number of orders in flight, no loss.
 *
 * ORDERS BY STATE. The engine changes an order's state in several places
 * (commit, recovery, slot reuse, a refusal the store could not take), so it
 * keeps no per-state counts; the snapshot counts the orders in its memory
 * with one oms_engine_orders walk (live orders and the finished ones still
 * kept: at most capacity.orders). Finished orders leave memory as slots are
 * reused, so the terminal states read "in memory", not "since the start".
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/fix_venue.h"
#include "oms/risk.h"
#include "oms/stream.h"
#include "omsd.h"

#ifndef OMSD_VERSION
#define OMSD_VERSION OMS_VERSION_STRING
#endif
#ifndef OMSD_GIT_COMMIT
#define OMSD_GIT_COMMIT "unknown"
#endif

/* ---- the metric table -------------------------------------------------------------- */

/* X(id, name, type, unit, help) */
#define METRICS(X)                                                                                 \
  X(BUILD_INFO, "oms_build_info", "gauge", "",                                                     \
    "Always 1; the labels say which build of omsd is running.")                                    \
  X(ORDERS, "oms_orders", "gauge", "",                                                             \
    "Orders in the engine's memory by state (live ones, and finished ones until their slot is "    \
    "reused).")                                                                                    \
  X(SUBMITTED, "oms_orders_submitted_total", "counter", "",                                        \
    "New orders the engine took in (an order id given), refused ones included.")                   \
  X(REJECTIONS, "oms_order_rejections_total", "counter", "",                                       \
    "Orders refused (OrderRejected and OrderDenied events), by reason.")                           \
  X(RISK_DENIALS, "oms_risk_denials_total", "counter", "",                                         \
    "Orders refused by a pre-trade risk check (OrderDenied events), by check.")                    \
  X(FILLS, "oms_fills_total", "counter", "", "Fills (partial and full), by venue.")                \
  X(ACK_LATENCY, "oms_order_ack_latency_seconds", "histogram", "seconds",                          \
    "Order acknowledgement latency: path internal is request received to OrderSubmitted "          \
    "published "                                                                                   \
    "(durable), path venue is OrderSubmitted to OrderAccepted by the venue.")                      \
  X(COMMIT_LATENCY, "oms_store_commit_latency_seconds", "histogram", "seconds",                    \
    "Time of one store commit (a group commit transaction with its sync).")                        \
  X(QUEUE_DEPTH, "oms_queue_depth", "gauge", "",                                                   \
    "Entries waiting in a queue: engine outbox, held venue reports, store writer, router per "     \
    "venue, admin commands.")                                                                      \
  X(FIX_SESSIONS_UP, "oms_fix_sessions_up", "gauge", "",                                           \
    "FIX sessions logged on: client sessions of the gateway, venue sessions of FIX venues.")       \
  X(FIX_MESSAGES, "oms_fix_messages_total", "counter", "",                                         \
    "FIX messages received (in) and sent (out), by peer kind.")                                    \
  X(EVENTS, "oms_events_total", "counter", "", "Events seen on the admin API's bus subscription.") \
  X(ADMIN_REQUESTS, "oms_admin_requests_total", "counter", "",                                     \
    "Admin API responses, by HTTP status code.")                                                   \
  X(STREAM_MESSAGES, "oms_stream_messages_total", "counter", "",                                   \
    "The event stream to NATS JetStream: publishes, acks, duplicate acks and failures, by kind.")  \
  X(STREAM_LAG, "oms_stream_lag_events", "gauge", "",                                              \
    "Stored events not yet acknowledged by the stream's server (0 when the stream is off).")       \
  X(STREAM_STATE, "oms_stream_state", "gauge", "",                                                 \
    "1 for the event stream publisher's current state (stopped when the stream is off).")          \
  X(PROJECTION_LAG, "oms_store_projection_lag_records", "gauge", "",                               \
    "Journal records the store's projection (SQLite or PostgreSQL) does not hold yet.")            \
  X(PROJECTION_STATE, "oms_store_projection_state", "gauge", "",                                   \
    "1 for the projection's state: live, down (its last batch failed), journal_only (PostgreSQL "  \
    "unreachable since the start: queries answered from the journal in memory).")

typedef enum metric_id_e {
#define X(id, name, type, unit, help) M_##id,
  METRICS(X)
#undef X
      M_COUNT
} metric_id_t;

typedef struct metric_def_s {
  const char *name, *type, *unit, *help;
} metric_def_t;

static const metric_def_t defs[M_COUNT] = {
#define X(id, name, type, unit, help) {name, type, unit, help},
    METRICS(X)
#undef X
};

/* ---- histograms ---------------------------------------------------------------------- */

/* The order-to-ack buckets (ns, inclusive upper bounds): from a fast
 * internal path (tens of us) to a venue that takes seconds. */
static const int64_t ack_bounds_ns[] = {10000,      25000,      50000,      100000,     250000,
                                        500000,     1000000,    2500000,    5000000,    10000000,
                                        25000000,   50000000,   100000000,  250000000,  500000000,
                                        1000000000, 2500000000, 5000000000, 10000000000};
#define ACK_BUCKETS (sizeof ack_bounds_ns / sizeof ack_bounds_ns[0])

typedef struct hist_s {
  _Atomic uint64_t n[ACK_BUCKETS + 1]; /* per bucket, not cumulative; the last: above */
  _Atomic uint64_t sum_ns;
} hist_t;

static void hist_add(hist_t *h, int64_t ns) {
  if (ns < 0) ns = 0;
  size_t i = 0;
  while (i < ACK_BUCKETS && ns > ack_bounds_ns[i]) i++;
  atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)ns, memory_order_relaxed);
}

/* ---- labels from the library's vocabularies ------------------------------------------- */

static const oms_reason_t reasons[] = {
#define X(name, num, msg) OMS_R_##name,
    OMS_REASON_MAP(X)
#undef X
};
#define NREASONS (sizeof reasons / sizeof reasons[0])

static const char *const checks[] = {
#define X(id, name) name,
    OMS_RISK_BUILTIN_MAP(X)
#undef X
        "other"};
#define NCHECKS (sizeof checks / sizeof checks[0])

static size_t reason_index(oms_reason_t r) {
  for (size_t i = 0; i < NREASONS; i++)
    if (reasons[i] == r) return i;
  return 0; /* NONE: a code this build does not know */
}

static size_t check_index(const char *check) {
  for (size_t i = 0; i + 1 < NCHECKS; i++)
    if (strcmp(checks[i], check) == 0) return i;
  return NCHECKS - 1;
}

/* Venue names met in fills, in order of first sight; written by the events
 * thread only (a name is complete before the count that shows it). */
#define MAX_VENUES 32
typedef struct venue_counts_s {
  char name[MAX_VENUES][OMS_VENUE_MAX + 1];
  _Atomic uint32_t n;
  _Atomic uint64_t count[MAX_VENUES + 1]; /* the last: "other", past MAX_VENUES */
} venue_counts_t;

static void venue_add(venue_counts_t *v, const char *name) {
  uint32_t n = atomic_load_explicit(&v->n, memory_order_relaxed);
  uint32_t i = 0;
  while (i < n && strcmp(v->name[i], name) != 0) i++;
  if (i == n && n < MAX_VENUES) {
    snprintf(v->name[n], sizeof v->name[n], "%s", name);
    atomic_store_explicit(&v->n, n + 1, memory_order_release);
  }
  atomic_fetch_add_explicit(&v->count[i < MAX_VENUES ? i : MAX_VENUES], 1, memory_order_relaxed);
}

/* ---- submit times for the venue ack latency ---------------------------------------------- */

#define PEND_SLOTS (1u << 16) /* a power of two */
#define PEND_PROBE 8

typedef struct pend_s {
  uint64_t order_id; /* 0: free */
  int64_t submit_ns;
} pend_t;

static uint32_t pend_home(uint64_t id) {
  id ^= id >> 33;
  id *= UINT64_C(0xff51afd7ed558ccd);
  id ^= id >> 33;
  return (uint32_t)id & (PEND_SLOTS - 1);
}

static pend_t *pend_find(pend_t *t, uint64_t id) {
  uint32_t h = pend_home(id);
  for (uint32_t k = 0; k < PEND_PROBE; k++) {
    pend_t *p = &t[(h + k) & (PEND_SLOTS - 1)];
    if (p->order_id == id) return p;
  }
  return NULL;
}

static void pend_put(pend_t *t, uint64_t id, int64_t ns) {
  uint32_t h = pend_home(id);
  pend_t *victim = NULL;
  for (uint32_t k = 0; k < PEND_PROBE; k++) {
    pend_t *p = &t[(h + k) & (PEND_SLOTS - 1)];
    if (p->order_id == 0 || p->order_id == id) {
      victim = p;
      break;
    }
    if (victim == NULL || p->submit_ns < victim->submit_ns) victim = p;
  }
  victim->order_id = id;
  victim->submit_ns = ns;
}

/* ---- the module ----------------------------------------------------------------------- */

enum { PEER_CLIENT, PEER_VENUE, NPEERS };
static const char *const peers[NPEERS] = {"client", "venue"};
enum { DIR_IN, DIR_OUT, NDIRS };
static const char *const dirs[NDIRS] = {"in", "out"};
enum { PATH_INTERNAL, PATH_VENUE, NPATHS };
static const char *const paths[NPATHS] = {"internal", "venue"};

/* Fixed queues, then one per configured venue's router. */
enum { Q_OUTBOX, Q_HELD, Q_STORE, Q_ADMIN, NQ_FIXED };
static const char *const fixed_queues[NQ_FIXED] = {"outbox", "held_reports", "store", "admin"};

#define HTTP_MIN 100
#define HTTP_MAX 599

struct omsd_metrics_s {
  /* events thread */
  _Atomic uint64_t events;
  _Atomic uint64_t rejections[NREASONS];
  _Atomic uint64_t denials[NCHECKS];
  venue_counts_t fills;
  hist_t ack[NPATHS];
  pend_t *pend;      /* PEND_SLOTS entries */
  oms_clock_t clock; /* when an event reaches the events thread */
  /* HTTP threads */
  _Atomic uint64_t requests[HTTP_MAX - HTTP_MIN + 1];
  _Atomic uint64_t admin_queue;
  /* core thread (snapshot) */
  _Atomic uint64_t orders[OMS_STATE_COUNT];
  _Atomic uint64_t submitted;
  _Atomic uint64_t queue[NQ_FIXED];
  char router_name[OMS_CFG_MAX_VENUES][OMS_VENUE_MAX + 1];
  _Atomic uint32_t nrouters; /* names fixed once shown */
  _Atomic uint64_t router_depth[OMS_CFG_MAX_VENUES];
  _Atomic uint64_t sessions_up[NPEERS];
  _Atomic uint64_t fix_msgs[NPEERS][NDIRS];
  _Atomic uint64_t commit[OMS_STORE_COMMIT_BUCKETS + 1];
  _Atomic uint64_t commit_sum_ns;
  _Atomic uint64_t stream[4]; /* published, acked, duplicates, failures */
  _Atomic uint64_t stream_lag;
  _Atomic uint64_t stream_state;
  _Atomic uint64_t proj_lag, proj_state; /* proj_states' index */
};

static const char *const proj_states[3] = {"live", "down", "journal_only"};

static const char *const stream_kinds[4] = {"published", "acked", "duplicate", "failure"};

int omsd_metrics_create(omsd_metrics_t **out) {
  if (out == NULL) return -1;
  *out = NULL;
  omsd_metrics_t *m = calloc(1, sizeof *m);
  if (m == NULL) goto fail;
  m->pend = calloc(PEND_SLOTS, sizeof *m->pend);
  if (m->pend == NULL) goto fail_m;
  m->clock = oms_clock_realtime();
  *out = m;
  return 0;
fail_m:
  free(m);
fail:
  return -1;
}

void omsd_metrics_destroy(omsd_metrics_t *m) {
  if (m == NULL) return;
  free(m->pend);
  free(m);
}

static void add(_Atomic uint64_t *c) { atomic_fetch_add_explicit(c, 1, memory_order_relaxed); }
static void put(_Atomic uint64_t *c, uint64_t v) {
  atomic_store_explicit(c, v, memory_order_relaxed);
}
static uint64_t get(const _Atomic uint64_t *c) {
  return atomic_load_explicit(c, memory_order_relaxed);
}

void omsd_metrics_on_event(omsd_metrics_t *m, const oms_event_t *ev) {
  if (m == NULL || ev == NULL) return;
  add(&m->events);
  const oms_order_t *o = &ev->order;
  switch (ev->type) {
    case OMS_EVT_ORDER_SUBMITTED: {
      if (ev->request_ns > 0)
        hist_add(&m->ack[PATH_INTERNAL], oms_clock_now(&m->clock) - ev->request_ns);
      if (o->order_id != 0) pend_put(m->pend, o->order_id, ev->event_ns);
      return;
    }
    case OMS_EVT_ORDER_ACCEPTED: {
      pend_t *p = pend_find(m->pend, o->order_id);
      if (p != NULL) {
        hist_add(&m->ack[PATH_VENUE], ev->event_ns - p->submit_ns);
        p->order_id = 0;
      }
      return;
    }
    case OMS_EVT_ORDER_DENIED:
    case OMS_EVT_ORDER_REJECTED: /* a denial is a rejection too, by a risk check */
      if (ev->type == OMS_EVT_ORDER_DENIED) add(&m->denials[check_index(ev->check)]);
      add(&m->rejections[reason_index(ev->reason != OMS_R_NONE ? ev->reason : o->reject_code)]);
      break;
    case OMS_EVT_ORDER_PARTIALLY_FILLED:
    case OMS_EVT_ORDER_FILLED: venue_add(&m->fills, o->venue); break;
    default: break;
  }
  /* An order that ended unacknowledged (refused, filled at once, cancelled
   * while queued) frees its submit time. */
  if (oms_event_is_order(ev->type) && oms_ord_state_is_terminal(o->state)) {
    pend_t *p = pend_find(m->pend, o->order_id);
    if (p != NULL) p->order_id = 0;
  }
}

void omsd_metrics_on_request(omsd_metrics_t *m, int http_status) {
  if (m == NULL || http_status < HTTP_MIN || http_status > HTTP_MAX) return;
  add(&m->requests[http_status - HTTP_MIN]);
}

void omsd_metrics_set_clock(omsd_metrics_t *m, oms_clock_t clock) {
  if (m != NULL && clock.now_ns != NULL) m->clock = clock;
}

void omsd_metrics_set_admin_queue(omsd_metrics_t *m, uint64_t depth) {
  if (m != NULL) put(&m->admin_queue, depth);
}

/* ---- the snapshot (core thread) --------------------------------------------------------- */

static int count_state(void *ctx, const oms_order_t *o) {
  uint64_t *n = ctx;
  if ((unsigned)o->state < OMS_STATE_COUNT) n[o->state]++;
  return 0;
}

void omsd_metrics_snapshot(omsd_metrics_t *m, omsd_t *d) {
  if (m == NULL || d == NULL) return;
  uint64_t msgs[NPEERS][NDIRS] = {{0}};
  uint64_t up[NPEERS] = {0};
  if (d->engine != NULL) {
    uint64_t n[OMS_STATE_COUNT] = {0};
    oms_order_filter_t all = {.states = (1u << OMS_STATE_COUNT) - 1};
    (void)oms_engine_orders(d->engine, &all, count_state, n);
    for (int s = 0; s < OMS_STATE_COUNT; s++) put(&m->orders[s], n[s]);
    oms_engine_stats_t es;
    oms_engine_stats(d->engine, &es);
    put(&m->submitted, es.submitted);
    put(&m->queue[Q_OUTBOX], es.outbox_depth);
    put(&m->queue[Q_HELD], es.held_reports);
    oms_router_t *r = oms_engine_router(d->engine);
    uint32_t nr = atomic_load_explicit(&m->nrouters, memory_order_relaxed);
    for (size_t i = 0; d->cfg != NULL && i < d->cfg->nvenues && i < OMS_CFG_MAX_VENUES; i++) {
      const oms_cfg_venue_t *cv = &d->cfg->venues[i];
      if (i >= nr) { /* the venues are fixed at start: a name is written once */
        snprintf(m->router_name[i], sizeof m->router_name[i], "%s", cv->name);
        atomic_store_explicit(&m->nrouters, (uint32_t)i + 1, memory_order_release);
        nr = (uint32_t)i + 1;
      }
      oms_route_stats_t rs = {0};
      (void)oms_router_stats(r, cv->name, &rs);
      put(&m->router_depth[i], rs.queue_depth);
      oms_venue_t *v = oms_router_venue(r, cv->name);
      if (!cv->is_fix || v == NULL) continue;
      const oms_fix_session_t *fs = oms_fix_venue_session(v);
      if (fs == NULL) continue;
      oms_fix_session_traffic_t t;
      oms_fix_session_traffic(fs, &t);
      msgs[PEER_VENUE][DIR_IN] += t.messages_in;
      msgs[PEER_VENUE][DIR_OUT] += t.messages_out;
      up[PEER_VENUE] += oms_fix_session_state(fs) == OMS_FIX_SESSION_ACTIVE;
    }
  }
  for (size_t i = 0; d->gw != NULL && i < oms_gateway_session_count(d->gw); i++) {
    oms_gateway_session_info_t si;
    if (oms_gateway_session_info(d->gw, i, &si) != 0) continue;
    msgs[PEER_CLIENT][DIR_IN] += si.messages_in;
    msgs[PEER_CLIENT][DIR_OUT] += si.messages_out;
    up[PEER_CLIENT] += si.logged_on;
  }
  for (int p = 0; p < NPEERS; p++) {
    put(&m->sessions_up[p], up[p]);
    for (int k = 0; k < NDIRS; k++) put(&m->fix_msgs[p][k], msgs[p][k]);
  }
  if (d->store != NULL) {
    oms_store_stats_t st;
    oms_store_stats(d->store, &st);
    put(&m->queue[Q_STORE], st.queued);
    for (size_t i = 0; i <= OMS_STORE_COMMIT_BUCKETS; i++) put(&m->commit[i], st.commit_hist[i]);
    put(&m->commit_sum_ns, st.commit_sum_ns);
    put(&m->proj_lag, st.queued);
    put(&m->proj_state, st.projection_local ? 2 : st.projection_failed ? 1 : 0);
  }
  if (d->stream != NULL) {
    oms_stream_stats_t ss;
    oms_stream_stats(d->stream, &ss);
    put(&m->stream[0], ss.published);
    put(&m->stream[1], ss.acked);
    put(&m->stream[2], ss.duplicates);
    put(&m->stream[3], ss.failures);
    put(&m->stream_state, (uint64_t)ss.state);
    uint64_t last = 0;
    if (d->engine != NULL) {
      oms_engine_stats_t es;
      oms_engine_stats(d->engine, &es);
      last = es.next_event_seq > 0 ? es.next_event_seq - 1 : 0;
    }
    put(&m->stream_lag, last > ss.cursor ? last - ss.cursor : 0);
  }
}

/* ---- rendering ----------------------------------------------------------------------------- */

typedef struct buf_s {
  char *p;
  size_t len, cap;
  bool oom;
} buf_t;

static void out(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(buf_t *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->oom = true;
      return;
    }
    if ((size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap * 2 > b->len + (size_t)n + 1 ? b->cap * 2 : b->len + (size_t)n + 1;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
}

/* A label value as the format wants it: backslash, double quote and line
 * feed escaped. */
static void out_label(buf_t *b, const char *v) {
  for (; v != NULL && *v != '\0'; v++) {
    if (*v == '\\')
      out(b, "\\\\");
    else if (*v == '"')
      out(b, "\\\"");
    else if (*v == '\n')
      out(b, "\\n");
    else
      out(b, "%c", *v);
  }
}

/* ns as exact decimal seconds ("0.000025", "1", "2.5"): no float rounding. */
static void out_seconds(buf_t *b, uint64_t ns) {
  char frac[16];
  snprintf(frac, sizeof frac, "%09llu", (unsigned long long)(ns % 1000000000u));
  size_t n = strlen(frac);
  while (n > 0 && frac[n - 1] == '0') frac[--n] = '\0';
  if (n == 0)
    out(b, "%llu", (unsigned long long)(ns / 1000000000u));
  else
    out(b, "%llu.%s", (unsigned long long)(ns / 1000000000u), frac);
}

static void head(buf_t *b, metric_id_t id) {
  out(b, "# HELP %s %s\n# TYPE %s %s\n", defs[id].name, defs[id].help, defs[id].name,
      defs[id].type);
}

/* One sample: name{key="value"} v, or name v when key is NULL. */
static void sample(buf_t *b, metric_id_t id, const char *key, const char *value, uint64_t v) {
  out(b, "%s", defs[id].name);
  if (key != NULL) {
    out(b, "{%s=\"", key);
    out_label(b, value);
    out(b, "\"}");
  }
  out(b, " %llu\n", (unsigned long long)v);
}

/* The series of one histogram: n[i] per bucket (not cumulative, the last
 * above every bound), with an optional label. */
static void histogram(buf_t *b, metric_id_t id, const char *key, const char *value,
                      const int64_t *bounds, size_t nb, const _Atomic uint64_t *n,
                      const _Atomic uint64_t *sum_ns) {
  const char *name = defs[id].name;
  uint64_t cum = 0;
  for (size_t i = 0; i <= nb; i++) {
    cum += get(&n[i]);
    out(b, "%s_bucket{", name);
    if (key != NULL) {
      out(b, "%s=\"", key);
      out_label(b, value);
      out(b, "\",");
    }
    if (i < nb) {
      out(b, "le=\"");
      out_seconds(b, (uint64_t)bounds[i]);
      out(b, "\"} %llu\n", (unsigned long long)cum);
    } else {
      out(b, "le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
  }
  const char *open = key != NULL ? "{" : "";
  const char *close = key != NULL ? "\"}" : "";
  out(b, "%s_sum%s", name, open);
  if (key != NULL) {
    out(b, "%s=\"", key);
    out_label(b, value);
  }
  out(b, "%s ", close);
  out_seconds(b, get(sum_ns));
  out(b, "\n%s_count%s", name, open);
  if (key != NULL) {
    out(b, "%s=\"", key);
    out_label(b, value);
  }
  out(b, "%s %llu\n", close, (unsigned long long)cum);
}

static void render_one(buf_t *b, omsd_metrics_t *m, metric_id_t id) {
  head(b, id);
  switch (id) {
    case M_BUILD_INFO:
      out(b, "%s{version=\"", defs[id].name);
      out_label(b, OMSD_VERSION);
      out(b, "\",commit=\"");
      out_label(b, OMSD_GIT_COMMIT);
      out(b, "\"} 1\n");
      break;
    case M_ORDERS:
      for (int s = 0; s < OMS_STATE_COUNT; s++)
        sample(b, id, "state", oms_ord_state_str((oms_ord_state_t)s), get(&m->orders[s]));
      break;
    case M_SUBMITTED: sample(b, id, NULL, NULL, get(&m->submitted)); break;
    case M_REJECTIONS:
      for (size_t i = 1; i < NREASONS; i++) /* NONE is no reason */
        sample(b, id, "reason", oms_reason_name(reasons[i]), get(&m->rejections[i]));
      if (get(&m->rejections[0]) != 0) sample(b, id, "reason", "UNKNOWN", get(&m->rejections[0]));
      break;
    case M_RISK_DENIALS:
      for (size_t i = 0; i < NCHECKS; i++) sample(b, id, "check", checks[i], get(&m->denials[i]));
      break;
    case M_FILLS: {
      uint32_t n = atomic_load_explicit(&m->fills.n, memory_order_acquire);
      for (uint32_t i = 0; i < n; i++)
        sample(b, id, "venue", m->fills.name[i], get(&m->fills.count[i]));
      if (get(&m->fills.count[MAX_VENUES]) != 0)
        sample(b, id, "venue", "other", get(&m->fills.count[MAX_VENUES]));
      break;
    }
    case M_ACK_LATENCY:
      for (int p = 0; p < NPATHS; p++)
        histogram(b, id, "path", paths[p], ack_bounds_ns, ACK_BUCKETS, m->ack[p].n,
                  &m->ack[p].sum_ns);
      break;
    case M_COMMIT_LATENCY:
      histogram(b, id, NULL, NULL, oms_store_commit_bounds_ns, OMS_STORE_COMMIT_BUCKETS, m->commit,
                &m->commit_sum_ns);
      break;
    case M_QUEUE_DEPTH: {
      for (int q = 0; q < NQ_FIXED; q++)
        sample(b, id, "queue", fixed_queues[q],
               q == Q_ADMIN ? get(&m->admin_queue) : get(&m->queue[q]));
      uint32_t n = atomic_load_explicit(&m->nrouters, memory_order_acquire);
      for (uint32_t i = 0; i < n; i++) {
        char q[8 + OMS_VENUE_MAX + 1];
        snprintf(q, sizeof q, "router_%s", m->router_name[i]);
        sample(b, id, "queue", q, get(&m->router_depth[i]));
      }
      break;
    }
    case M_STREAM_MESSAGES:
      for (int k = 0; k < 4; k++) sample(b, id, "kind", stream_kinds[k], get(&m->stream[k]));
      break;
    case M_STREAM_LAG: sample(b, id, NULL, NULL, get(&m->stream_lag)); break;
    case M_STREAM_STATE:
      for (int k = OMS_STREAM_STOPPED; k <= OMS_STREAM_BACKOFF; k++)
        sample(b, id, "state", oms_stream_state_name((oms_stream_state_t)k),
               get(&m->stream_state) == (uint64_t)k);
      break;
    case M_PROJECTION_LAG: sample(b, id, NULL, NULL, get(&m->proj_lag)); break;
    case M_PROJECTION_STATE:
      for (uint64_t k = 0; k < 3; k++)
        sample(b, id, "state", proj_states[k], get(&m->proj_state) == k);
      break;
    case M_FIX_SESSIONS_UP:
      for (int p = 0; p < NPEERS; p++) sample(b, id, "peer", peers[p], get(&m->sessions_up[p]));
      break;
    case M_FIX_MESSAGES:
      for (int p = 0; p < NPEERS; p++)
        for (int k = 0; k < NDIRS; k++) {
          out(b, "%s{peer=\"%s\",direction=\"%s\"} %llu\n", defs[id].name, peers[p], dirs[k],
              (unsigned long long)get(&m->fix_msgs[p][k]));
        }
      break;
    case M_EVENTS: sample(b, id, NULL, NULL, get(&m->events)); break;
    case M_ADMIN_REQUESTS:
      for (int c = HTTP_MIN; c <= HTTP_MAX; c++) {
        uint64_t v = get(&m->requests[c - HTTP_MIN]);
        if (v == 0) continue;
        char code[8];
        snprintf(code, sizeof code, "%d", c);
        sample(b, id, "code", code, v);
      }
      break;
    default: break;
  }
}

long omsd_metrics_render(omsd_metrics_t *m, char **out_text) {
  if (out_text == NULL) return -1;
  *out_text = NULL;
  if (m == NULL) return -1;
  buf_t b = {.p = malloc(8192), .len = 0, .cap = 8192, .oom = false};
  if (b.p == NULL) return -1;
  b.p[0] = '\0';
  for (int id = 0; id < M_COUNT; id++) render_one(&b, m, (metric_id_t)id);
  if (b.oom) {
    free(b.p);
    return -1;
  }
  *out_text = b.p;
  return (long)b.len;
}

/* ---- the table, for the naming test ---------------------------------------------------------- */

size_t omsd_metrics_count(void) { return M_COUNT; }

int omsd_metrics_def(size_t i, const char **name, const char **type, const char **unit) {
  if (i >= M_COUNT) return -1;
  *name = defs[i].name;
  *type = defs[i].type;
  *unit = defs[i].unit;
  return 0;
}
