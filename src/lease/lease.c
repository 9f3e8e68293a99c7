/*
 * lease.c - an ownership group's lease and fencing token in PostgreSQL
 * (include/oms/lease.h says what it guarantees; docs/deployment.md why).
 *
 * HOW IT WORKS
 * One row per group in oms_lease. Taking it is one statement: an INSERT
 * of token 1 that, on conflict, replaces the owner and adds one to the
 * token only WHERE the row has expired (by the database's clock), RETURNING
 * the token; no row back means somebody else holds it. Renewing is an
 * UPDATE WHERE the token is still ours; no row back means we were
 * superseded (LOST, for good). The deadline the caller obeys is computed
 * here on our own clock from the moment before the renewal was sent.
 *
 * Why not a PostgreSQL advisory lock: a session lock stays held while its
 * process is paused (SIGSTOP, a long GC-like stall, a frozen VM) and is
 * released only when the server notices the connection is dead, so a
 * standby cannot tell a paused owner from a working one, and nothing stops
 * the paused owner from writing when it resumes. A row with an expiry and a
 * token bounds the pause (the row expires) and refuses the resumed owner's
 * writes (the token).
 *
 * The renewer thread renews every ttl/4, so three renewals can fail before
 * the owner must stop (at ttl - margin). It owns the connection once
 * started; the caller's thread uses it before start and after the renewer
 * stopped (release).
 */
#include "oms/lease.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "oms/error.h"

#define DEFAULT_TTL_NS INT64_C(3000000000)
#define NS_PER_MS INT64_C(1000000)
#define LEASE_LOCK_KEY INT64_C(0x6f6d736c65617365) /* "omslease": the table's creation */

struct oms_lease_s {
  oms_lease_config_t cfg;
  char *conninfo, *group, *node;
  PGconn *c;
  int64_t ttl_ns, margin_ns;
  _Atomic uint64_t token;
  _Atomic int64_t deadline;
  _Atomic bool lost;
  pthread_t thread;
  bool running;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool stop; /* under mu */
};

static const char *const state_names[] = {
#define OMS_LEASE_NAME(name, str) str,
    OMS_LEASE_STATE_MAP(OMS_LEASE_NAME)
#undef OMS_LEASE_NAME
};

const char *oms_lease_state_name(oms_lease_state_t s) {
  return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

int64_t oms_lease_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

static void say(const oms_lease_t *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const oms_lease_t *l, int level, const char *fmt, ...) {
  if (l->cfg.on_log == NULL) return;
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  for (char *p = text; *p; p++) /* libpq's messages span lines; a log line must not */
    if (*p == '\n' || *p == '\t') *p = ' ';
  l->cfg.on_log(l->cfg.ctx, level, text);
}

/* A working connection, reconnecting a broken one; NULL (logged) if none. */
static PGconn *conn(oms_lease_t *l) {
  if (l->c != NULL && PQstatus(l->c) == CONNECTION_OK) return l->c;
  if (l->c != NULL) {
    PQreset(l->c);
  } else {
    l->c = PQconnectdb(l->conninfo);
  }
  if (l->c != NULL && PQstatus(l->c) == CONNECTION_OK) return l->c;
  say(l, 1, "lease: PostgreSQL unreachable: %s", l->c ? PQerrorMessage(l->c) : "out of memory");
  return NULL;
}

/* Runs sql with params; the result (PQclear it) or NULL after logging. */
static PGresult *run(oms_lease_t *l, const char *what, const char *sql, int n,
                     const char *const *v) {
  PGconn *c = conn(l);
  if (c == NULL) return NULL;
  PGresult *r = PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
  say(l, 1, "lease: %s failed: %s", what, PQerrorMessage(c));
  PQclear(r);
  return NULL;
}

static int create_table(oms_lease_t *l) {
  char lock[96];
  snprintf(lock, sizeof lock, "SELECT pg_advisory_xact_lock(%" PRId64 ")", LEASE_LOCK_KEY);
  /* Two nodes starting at once would race on CREATE TABLE IF NOT EXISTS. */
  static const char *const steps[] = {
      "BEGIN", NULL,
      "CREATE TABLE IF NOT EXISTS oms_lease(grp TEXT PRIMARY KEY, owner TEXT NOT NULL,"
      " token BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL,"
      " acquired_at TIMESTAMPTZ NOT NULL)",
      "COMMIT"};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    PGresult *r = run(l, "CREATE TABLE oms_lease", steps[i] ? steps[i] : lock, 0, NULL);
    if (r == NULL) {
      if (l->c != NULL && PQtransactionStatus(l->c) != PQTRANS_IDLE)
        PQclear(PQexec(l->c, "ROLLBACK"));
      return OMS_ESTORE;
    }
    PQclear(r);
  }
  return 0;
}

/* Stops the renewer thread, if it runs, and waits for it. */
static void stop_renewer(oms_lease_t *l) {
  if (!l->running) return;
  pthread_mutex_lock(&l->mu);
  l->stop = true;
  pthread_cond_signal(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  l->running = false;
}

void oms_lease_destroy(oms_lease_t *l) {
  if (l == NULL) return;
  stop_renewer(l);
  if (l->c != NULL) PQfinish(l->c);
  pthread_cond_destroy(&l->cv);
  pthread_mutex_destroy(&l->mu);
  oms__free(l->conninfo);
  oms__free(l->group);
  oms__free(l->node);
  oms__free(l);
}

int oms_lease_create(const oms_lease_config_t *cfg, oms_lease_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->conninfo == NULL || cfg->group == NULL || cfg->group[0] == '\0' ||
      cfg->node == NULL || cfg->node[0] == '\0' || strlen(cfg->node) >= 64 || cfg->ttl_ns < 0 ||
      cfg->margin_ns < 0)
    return OMS_EINVAL;
  int64_t ttl = cfg->ttl_ns ? cfg->ttl_ns : DEFAULT_TTL_NS;
  int64_t margin = cfg->margin_ns ? cfg->margin_ns : ttl / 3;
  if (margin >= ttl || ttl < 4 * NS_PER_MS) return OMS_EINVAL;
  oms_lease_t *l = oms__calloc(1, sizeof *l);
  if (l == NULL) return OMS_ENOMEM;
  l->cfg = *cfg;
  l->ttl_ns = ttl;
  l->margin_ns = margin;
  pthread_mutex_init(&l->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&l->cv, &ca);
  pthread_condattr_destroy(&ca);
  int rc = OMS_ENOMEM;
  if ((l->conninfo = oms__strdup(cfg->conninfo)) == NULL ||
      (l->group = oms__strdup(cfg->group)) == NULL || (l->node = oms__strdup(cfg->node)) == NULL)
    goto fail;
  if ((rc = create_table(l)) != 0) goto fail;
  *out = l;
  return 0;
fail:
  oms_lease_destroy(l);
  return rc;
}

static void read_holder(const PGresult *r, oms_lease_holder_t *h) {
  memset(h, 0, sizeof *h);
  if (PQntuples(r) < 1) return;
  snprintf(h->node, sizeof h->node, "%s", PQgetvalue(r, 0, 0));
  h->token = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
  h->remaining_ns = (int64_t)(strtod(PQgetvalue(r, 0, 2), NULL) * 1e6);
}

int oms_lease_try_acquire(oms_lease_t *l, oms_lease_holder_t *prev) {
  memset(prev, 0, sizeof *prev);
  if (l->running) return OMS_ESTATE;
  char ttl[24];
  snprintf(ttl, sizeof ttl, "%" PRId64, l->ttl_ns / NS_PER_MS);
  const char *v[3] = {l->group, l->node, ttl};
  PGresult *r = run(l, "SELECT oms_lease",
                    "SELECT owner, token, extract(epoch FROM expires_at - clock_timestamp()) * 1000"
                    " FROM oms_lease WHERE grp = $1",
                    1, v);
  if (r == NULL) return OMS_ESTORE;
  read_holder(r, prev);
  PQclear(r);
  int64_t t0 = oms_lease_now_ns();
  r = run(l, "take oms_lease",
          "INSERT INTO oms_lease AS l(grp, owner, token, expires_at, acquired_at)"
          " VALUES($1, $2, 1, clock_timestamp() + $3::bigint * interval '1 millisecond',"
          " clock_timestamp())"
          " ON CONFLICT(grp) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1,"
          " expires_at = EXCLUDED.expires_at, acquired_at = EXCLUDED.acquired_at"
          " WHERE l.expires_at < clock_timestamp() RETURNING token",
          3, v);
  if (r == NULL) return OMS_ESTORE;
  if (PQntuples(r) != 1) {
    PQclear(r);
    /* Held: prev read before the attempt names the holder (a take between
     * the two statements shows as a holder with an older token). */
    return OMS_EBUSY;
  }
  uint64_t token = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  atomic_store(&l->lost, false);
  atomic_store(&l->deadline, t0 + l->ttl_ns - l->margin_ns);
  atomic_store(&l->token, token);
  say(l, 0, "lease: took group %s as node %s with token %" PRIu64 " (before: %s token %" PRIu64 ")",
      l->group, l->node, token, prev->token ? prev->node : "nobody", prev->token);
  return 0;
}

int oms_lease_renew(oms_lease_t *l) {
  uint64_t token = atomic_load(&l->token);
  if (token == 0) return OMS_ESTATE;
  if (atomic_load(&l->lost)) return OMS_EFENCED;
  char ttl[24], tok[24];
  snprintf(ttl, sizeof ttl, "%" PRId64, l->ttl_ns / NS_PER_MS);
  snprintf(tok, sizeof tok, "%" PRIu64, token);
  const char *v[3] = {l->group, tok, ttl};
  int64_t t0 = oms_lease_now_ns();
  PGresult *r = run(l, "renew oms_lease",
                    "UPDATE oms_lease SET expires_at = clock_timestamp() + $3::bigint * interval"
                    " '1 millisecond' WHERE grp = $1 AND token = $2 RETURNING token",
                    3, v);
  if (r == NULL) return OMS_ESTORE;
  int n = PQntuples(r);
  PQclear(r);
  if (n != 1) {
    atomic_store(&l->lost, true);
    say(l, 2, "lease: group %s was taken over: token %" PRIu64 " of node %s is fenced", l->group,
        token, l->node);
    return OMS_EFENCED;
  }
  atomic_store(&l->deadline, t0 + l->ttl_ns - l->margin_ns);
  return 0;
}

static void *renewer(void *arg) {
  oms_lease_t *l = arg;
  pthread_setname_np(pthread_self(), "oms-lease");
  pthread_mutex_lock(&l->mu);
  while (!l->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t at = (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec + l->ttl_ns / 4;
    ts.tv_sec = (time_t)(at / INT64_C(1000000000));
    ts.tv_nsec = (long)(at % INT64_C(1000000000));
    while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &ts) == 0) {
    }
    if (l->stop) break;
    pthread_mutex_unlock(&l->mu);
    int rc = oms_lease_renew(l);
    pthread_mutex_lock(&l->mu);
    if (rc == OMS_EFENCED) break;
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

int oms_lease_start(oms_lease_t *l) {
  if (l->running || atomic_load(&l->token) == 0) return OMS_ESTATE;
  l->stop = false;
  if (pthread_create(&l->thread, NULL, renewer, l) != 0) return OMS_ESTATE;
  l->running = true;
  return 0;
}

oms_lease_state_t oms_lease_state(const oms_lease_t *l, int64_t now_ns) {
  if (atomic_load_explicit(&l->lost, memory_order_acquire)) return OMS_LEASE_LOST;
  if (atomic_load_explicit(&l->token, memory_order_acquire) == 0) return OMS_LEASE_STANDBY;
  return now_ns < atomic_load_explicit(&l->deadline, memory_order_acquire) ? OMS_LEASE_HELD
                                                                           : OMS_LEASE_SUSPENDED;
}

uint64_t oms_lease_token(const oms_lease_t *l) { return atomic_load(&l->token); }

int64_t oms_lease_deadline_ns(const oms_lease_t *l) { return atomic_load(&l->deadline); }

int oms_lease_release(oms_lease_t *l) {
  stop_renewer(l);
  uint64_t token = atomic_load(&l->token);
  if (token == 0) return 0;
  if (atomic_load(&l->lost)) return OMS_EFENCED;
  /* From here we act no more, whatever the database says. */
  atomic_store(&l->deadline, INT64_MIN);
  char tok[24];
  snprintf(tok, sizeof tok, "%" PRIu64, token);
  const char *v[2] = {l->group, tok};
  PGresult *r = run(l, "release oms_lease",
                    "UPDATE oms_lease SET expires_at = clock_timestamp() - interval '1 millisecond'"
                    " WHERE grp = $1 AND token = $2 RETURNING token",
                    2, v);
  if (r == NULL) return OMS_ESTORE;
  int n = PQntuples(r);
  PQclear(r);
  if (n != 1) return OMS_EFENCED;
  say(l, 0, "lease: released group %s (token %" PRIu64 ")", l->group, token);
  return 0;
}
