/*
 * admin.c - the admin HTTP API's server: libmicrohttpd, TLS, bearer tokens
 * and roles, the route table, request bodies, JSON errors, the command
 * queue to the core thread and the blotter's static files.
 *
 * HOW IT WORKS
 * libmicrohttpd runs a listening thread and one thread per connection
 * (admin.max_connections at most, admin.max_connections_per_ip from one
 * peer address, a connection silent for admin.idle_timeout_s closed), so a
 * slow or idle client holds only its own thread and never the core. A
 * request goes through, on its connection thread:
 *   1. the route: the one table ROUTES below (method, pattern with an
 *      optional {id} segment or a trailing {*}, minimum role, handler);
 *      a literal pattern wins over one with {id}; no pattern: 404
 *      NOT_FOUND; a pattern but not the method: 405 with Allow;
 *   2. the token, when the route needs a role: `Authorization: Bearer`
 *      (and `?access_token=` on the SSE stream only, as EventSource cannot
 *      send headers), compared in constant time against every configured
 *      token; none or a wrong one: 401; a role below the route's: 403;
 *   3. the body, accumulated up to 64 KiB: a Content-Length above that is
 *      answered 413 before the body is read, a chunked body is dropped as
 *      soon as it passes the cap and answered 413 at its end;
 *   4. the handler (admin_orders.c, admin_events.c, admin_views.c), which
 *      reads the store directly and runs everything else on the core
 *      thread with omsd_admin_call, and answers a status and a JSON body
 *      (rendered here, compact) or a ready response (streams, text).
 * Every refusal (4xx, 5xx) is logged with the peer's address, the method,
 * the path and the token's name, never the token.
 *
 * THE COMMAND QUEUE. omsd_admin_call pushes a pointer on a bounded ring
 * (a mutex held for the push only), writes an eventfd the loop watches,
 * and waits on a condition variable, 5 s at most. On the core thread
 * on_commands pops and runs at most CMDS_PER_TURN commands per loop turn
 * (re-arming the eventfd if more are left), so the API can delay the
 * engine by a bounded amount of work only. A waiter that gave up marks its
 * command abandoned; the core frees it when it finally runs. At stop the
 * queue is closed first and every queued command is failed (503).
 *
 * DIRECT DISPATCH. omsd_admin_create_direct builds the same admin over a
 * wired daemon without the HTTP server, the events thread or the queue:
 * omsd_admin_dispatch takes one request as values (method, URL with its
 * query, Authorization, body) through the same steps 1-4 (admit() and
 * serve() below are shared with libmicrohttpd's callback), and
 * omsd_admin_call runs each command at once on the calling thread, which
 * must then be the core thread. Tests and fuzz/fuzz_admin.c use it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "metrics.h"
#include "web_assets.h"

#define BODY_MAX (64 * 1024)
#define QUEUE_CAP 1024u /* commands waiting for the core: far more than connections */
#define CMDS_PER_TURN 32
#define CALL_WAIT_NS (5000 * OMSD_MS)
#define STREAM_TIMEOUT_S 60u /* a stream's idle limit: four missed 15 s keepalives */
#define PEM_MAX (1 << 20)
#define TOKEN_CAP (OMS_CFG_TOKEN_MAX + 1)

/* ---- The tables ------------------------------------------------------------------- */

static const struct {
  const char *name;
  int status;
} errs[OMSD_E_COUNT] = {
#define ERR_ROW(name, status) [OMSD_E_##name] = {#name, status},
    OMSD_HTTP_ERRORS(ERR_ROW)
#undef ERR_ROW
};

#define R_NONE OMSD_ROLE_NONE
#define R_READ OMSD_ROLE_READ
#define R_TRADE OMSD_ROLE_TRADE
#define R_ADMIN OMSD_ROLE_ADMIN

/* Every route of the API (docs/admin-api.md): method, pattern, the least
 * role that may call it (NONE: no token needed), handler. {id} matches one
 * path segment, a trailing {*} the rest of the path. */
#define ROUTES(X)                                                        \
  X("GET", "/healthz", R_NONE, omsd_route_healthz)                       \
  X("GET", "/readyz", R_NONE, omsd_route_readyz)                         \
  X("GET", "/metrics", R_READ, omsd_route_metrics)                       \
  X("GET", "/v1/orders", R_READ, omsd_route_orders_list)                 \
  X("POST", "/v1/orders", R_TRADE, omsd_route_order_submit)              \
  X("POST", "/v1/orders/cancel-all", R_TRADE, omsd_route_cancel_all)     \
  X("GET", "/v1/orders/{id}", R_READ, omsd_route_order_get)              \
  X("PATCH", "/v1/orders/{id}", R_TRADE, omsd_route_order_modify)        \
  X("DELETE", "/v1/orders/{id}", R_TRADE, omsd_route_order_cancel)       \
  X("GET", "/v1/parents", R_READ, omsd_route_parents_list)               \
  X("POST", "/v1/parents", R_TRADE, omsd_route_parent_submit)            \
  X("GET", "/v1/parents/{id}", R_READ, omsd_route_parent_get)            \
  X("PATCH", "/v1/parents/{id}", R_TRADE, omsd_route_parent_modify)      \
  X("DELETE", "/v1/parents/{id}", R_TRADE, omsd_route_parent_cancel)     \
  X("GET", "/v1/parents/{id}/best-execution", R_READ, omsd_route_bestex) \
  X("POST", "/v1/trading-state", R_ADMIN, omsd_route_trading_state)      \
  X("GET", "/v1/positions", R_READ, omsd_route_positions)                \
  X("GET", "/v1/risk", R_READ, omsd_route_risk)                          \
  X("PUT", "/v1/risk/limits", R_ADMIN, omsd_route_limits_put)            \
  X("GET", "/v1/risk/limits/changes", R_READ, omsd_route_limits_changes) \
  X("GET", "/v1/risk/var", R_READ, omsd_route_risk_var)                  \
  X("GET", "/v1/risk/stress", R_READ, omsd_route_risk_stress)            \
  X("GET", "/v1/sessions", R_READ, omsd_route_sessions)                  \
  X("GET", "/v1/events", R_READ, omsd_route_events)                      \
  X("GET", "/v1/events/stream", R_READ, omsd_route_events_stream)        \
  X("GET", "/", R_NONE, omsd_route_static)                               \
  X("GET", "/blotter/{*}", R_NONE, omsd_route_static)

typedef struct route_s {
  const char *method, *pattern;
  omsd_role_t role;
  omsd_route_fn fn;
} route_t;

static const route_t routes[] = {
#define ROUTE_ROW(m, p, r, f) {m, p, r, f},
    ROUTES(ROUTE_ROW)
#undef ROUTE_ROW
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* ---- The server --------------------------------------------------------------------- */

struct omsd_admin_s {
  omsd_t *d;
  struct MHD_Daemon *mhd;
  bool tls;

  /* the command queue: qmu guards the ring and stopping */
  pthread_mutex_t qmu;
  omsd_cmd_t *q[QUEUE_CAP];
  uint32_t qhead, qtail;
  int efd;
  omsd_watch_t w;
  atomic_bool stopping;
  /* completion: dmu guards every command's done and abandoned */
  pthread_mutex_t dmu;
  pthread_cond_t dcv;

  /* the tokens, each padded with NULs to TOKEN_CAP for the comparison */
  size_t nwho;
  omsd_principal_t who[OMS_CFG_MAX_TOKENS];
  const char *accounts[OMS_CFG_MAX_TOKENS][OMS_CFG_MAX_ACCOUNTS];
  unsigned char tok[OMS_CFG_MAX_TOKENS][TOKEN_CAP];

  omsd_events_t *events;
  struct omsd_metrics_s *metrics;
  char *pem_cert, *pem_key;
  bool direct; /* omsd_admin_create_direct: no server, commands run inline */
};

/* A request given to omsd_admin_dispatch: its query parameters, decoded,
 * and its Authorization header (the only header it carries). */
#define DIRECT_ARGS 32
struct omsd_http_direct_s {
  char *buf; /* the decoded query: NUL-separated keys and values */
  const char *key[DIRECT_ARGS], *val[DIRECT_ARGS];
  size_t n;
  const char *authorization;
};

/* What one request carries between libmicrohttpd's calls. */
typedef struct req_s {
  const route_t *route;
  const omsd_principal_t *who;
  char id[128];
  char *body;
  size_t len;
  bool too_large;
} req_t;

omsd_t *omsd_admin_daemon(omsd_admin_t *a) { return a->d; }
omsd_events_t *omsd_admin_events(omsd_admin_t *a) { return a->events; }
struct omsd_metrics_s *omsd_admin_metrics(omsd_admin_t *a) {
  return a->metrics;
}
bool omsd_admin_stopping(omsd_admin_t *a) { return atomic_load(&a->stopping); }

void omsd_admin_wait_durable(omsd_admin_t *a) {
  int rc = oms_store_flush(a->d->store, CALL_WAIT_NS);
  if (rc != 0)
    LOG_WARN("component=admin msg=\"store not durable in time\" error=%s", oms_err_name(rc));
}

static void count_response(omsd_admin_t *a, int status) {
  if (a->metrics != NULL) omsd_metrics_on_request(a->metrics, status);
}

/* ---- Requests and responses ------------------------------------------------------------- */

const char *omsd_http_query(const omsd_http_req_t *rq, const char *key) {
  if (rq->direct != NULL) {
    for (size_t i = 0; i < rq->direct->n; i++)
      if (strcmp(rq->direct->key[i], key) == 0) return rq->direct->val[i];
    return NULL;
  }
  return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
}

typedef struct unknown_s {
  const char *const *known;
  const char *bad;
} unknown_t;

static enum MHD_Result find_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
  (void)kind;
  (void)value;
  unknown_t *u = cls;
  for (const char *const *k = u->known; *k != NULL; k++)
    if (strcmp(*k, key) == 0) return MHD_YES;
  u->bad = key;
  return MHD_NO;
}

const char *omsd_http_unknown_param(const omsd_http_req_t *rq, const char *const *known) {
  unknown_t u = {known, NULL};
  if (rq->direct == NULL) {
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, find_unknown, &u);
    return u.bad;
  }
  for (size_t i = 0; i < rq->direct->n && u.bad == NULL; i++)
    find_unknown(&u, MHD_GET_ARGUMENT_KIND, rq->direct->key[i], rq->direct->val[i]);
  return u.bad;
}

const char *omsd_http_header(const omsd_http_req_t *rq, const char *key) {
  if (rq->direct != NULL)
    return strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0 ? rq->direct->authorization : NULL;
  return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, key);
}

void omsd_http_resp_clear(omsd_http_resp_t *rs) {
  json_decref(rs->json);
  free(rs->text);
  if (rs->raw != NULL) MHD_destroy_response(rs->raw);
  *rs = (omsd_http_resp_t){0};
}

void omsd_http_store_fail(omsd_http_resp_t *rs, oms_store_t *st, int rc, const char *what) {
  oms_store_stats_t ss;
  oms_store_error_t e;
  oms_store_stats(st, &ss);
  oms_store_last_error(st, &e);
  if (rc == OMS_EUNSUPPORTED && ss.projection_local) {
    omsd_http_fail(rs, OMSD_E_PROJECTION_DOWN,
                   "%s needs PostgreSQL, which has not caught up since omsd started without it "
                   "(%s); trading goes on from the journal: retry when it is back",
                   what, e.message[0] ? e.message : "unreachable");
    return;
  }
  if (rc == OMS_ESTORE && ss.projection_failed) {
    omsd_http_fail(rs, OMSD_E_PROJECTION_DOWN,
                   "%s failed: the store's projection cannot be read now (%s: %s); trading goes "
                   "on, the journal keeps every event: retry when it is back",
                   what, e.call[0] ? e.call : "projection", e.message[0] ? e.message : "down");
    return;
  }
  omsd_http_fail(rs, OMSD_E_INTERNAL, "%s failed: %s", what, oms_err_name(rc));
}

const char *omsd_http_err_name(omsd_http_err_t e) {
  return (unsigned)e < OMSD_E_COUNT ? errs[e].name : "INTERNAL";
}

int omsd_http_err_status(omsd_http_err_t e) {
  return (unsigned)e < OMSD_E_COUNT ? errs[e].status : 500;
}

static json_t *verror(omsd_http_resp_t *rs, int status, const char *code, const char *fmt,
                      va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  json_decref(rs->json);
  free(rs->text);
  rs->text = NULL;
  if (rs->raw != NULL) MHD_destroy_response(rs->raw);
  rs->raw = NULL;
  rs->status = status;
  json_t *err = json_pack("{s:s,s:s}", "code", code, "message", msg);
  rs->json = json_pack("{s:o}", "error", err);
  return err;
}

void omsd_http_error(omsd_http_resp_t *rs, int status, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  verror(rs, status, code, fmt, ap);
  va_end(ap);
}

json_t *omsd_http_fail(omsd_http_resp_t *rs, omsd_http_err_t e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  json_t *err = verror(rs, omsd_http_err_status(e), omsd_http_err_name(e), fmt, ap);
  va_end(ap);
  return err;
}

json_t *omsd_http_body_object(const omsd_http_req_t *rq, omsd_http_resp_t *rs, bool empty_ok) {
  if (rq->body_len == 0) {
    if (empty_ok) return json_object();
    omsd_http_fail(rs, OMSD_E_BAD_JSON, "a JSON object is expected in the body");
    return NULL;
  }
  json_error_t je;
  json_t *v = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
  if (v == NULL) {
    omsd_http_fail(rs, OMSD_E_BAD_JSON, "the body is not JSON: %s (line %d, column %d)", je.text,
                   je.line, je.column);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    omsd_http_fail(rs, OMSD_E_BAD_JSON, "the body must be a JSON object");
    return NULL;
  }
  return v;
}

bool omsd_http_only_fields(json_t *obj, const char *const *allowed, omsd_http_resp_t *rs) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool known = false;
    for (const char *const *k = allowed; *k != NULL && !known; k++) known = strcmp(*k, key) == 0;
    if (!known) {
      omsd_http_fail(rs, OMSD_E_UNKNOWN_FIELD, "unknown field \"%s\"", key);
      return false;
    }
  }
  return true;
}

bool omsd_admin_may_trade(const omsd_principal_t *who, const char *account) {
  if (who == NULL) return false;
  if (who->role >= OMSD_ROLE_ADMIN) return true;
  if (who->role != OMSD_ROLE_TRADE || account == NULL) return false;
  for (size_t i = 0; i < who->naccounts; i++)
    if (strcmp(who->accounts[i], account) == 0) return true;
  return false;
}

static void peer_address(struct MHD_Connection *c, char *buf, size_t cap) {
  const union MHD_ConnectionInfo *ci =
      c != NULL ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
  snprintf(buf, cap, c != NULL ? "?" : "direct");
  if (c == NULL) return;
  if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf,
              (socklen_t)cap);
}

/* One line per refusal: who (address, token name), what, and why. */
static void log_refusal(struct MHD_Connection *c, const char *method, const char *url,
                        const req_t *r, const omsd_http_resp_t *rs) {
  char peer[INET_ADDRSTRLEN + 1];
  peer_address(c, peer, sizeof peer);
  json_t *err = json_object_get(rs->json, "error");
  const char *code = json_string_value(json_object_get(err, "code"));
  char msg[512];
  const char *m = json_string_value(json_object_get(err, "message"));
  snprintf(msg, sizeof msg, "%s", m != NULL ? m : "");
  for (char *p = msg; *p; p++)
    if (*p == '"' || *p == '\n') *p = '\''; /* one key=value line */
  omsd_log(
      rs->status == 401 || rs->status == 403 || rs->status >= 500 ? OMS_LOG_WARN : OMS_LOG_INFO,
      "component=admin msg=\"request refused\" remote=%s method=%s path=%s token=%s status=%d "
      "code=%s reason=\"%s\"",
      peer, method, url, r != NULL && r->who != NULL ? r->who->name : "-", rs->status,
      code != NULL ? code : "-", msg);
}

static enum MHD_Result respond(omsd_admin_t *a, struct MHD_Connection *c, const char *method,
                               const char *url, const req_t *r, omsd_http_resp_t *rs,
                               const char *allow) {
  struct MHD_Response *resp = rs->raw;
  if (resp == NULL && rs->text != NULL) {
    resp = MHD_create_response_from_buffer(rs->text_len, rs->text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
      free(rs->text);
      rs->text = NULL;
      return MHD_NO;
    }
    rs->text = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  }
  if (resp == NULL) {
    if (rs->json == NULL) omsd_http_fail(rs, OMSD_E_INTERNAL, "the handler gave no answer");
    char *text = json_dumps(rs->json, JSON_COMPACT);
    if (text == NULL) return MHD_NO;
    resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
      free(text);
      return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  }
  if (allow != NULL) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
  if (rs->status >= 400) log_refusal(c, method, url, r, rs);
  count_response(a, rs->status);
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)rs->status, resp);
  MHD_destroy_response(resp);
  json_decref(rs->json);
  rs->json = NULL;
  rs->raw = NULL;
  return ok;
}

/* ---- Routing and authentication ------------------------------------------------------- */

/* Whether path matches pattern; the {id} or {*} part goes to id. */
static bool match(const char *pattern, const char *path, char *id, size_t idcap, bool *literal) {
  *literal = true;
  for (;;) {
    const char *brace = strchr(pattern, '{');
    size_t lit = brace != NULL ? (size_t)(brace - pattern) : strlen(pattern);
    if (strncmp(pattern, path, lit) != 0) return false;
    pattern += lit;
    path += lit;
    if (brace == NULL) return *path == '\0';
    *literal = false;
    bool rest = strncmp(pattern, "{*}", 3) == 0;
    size_t n = rest ? strlen(path) : strcspn(path, "/");
    if (n == 0 || n >= idcap) return false;
    memcpy(id, path, n);
    id[n] = '\0';
    path += n;
    pattern = strchr(pattern, '}') + 1;
  }
}

/* The route for method and path: NULL with *status 404 or 405 (allow then
 * lists the methods of the path). */
static const route_t *find_route(const char *method, const char *path, char *id, size_t idcap,
                                 int *status, char *allow, size_t allowcap) {
  bool any_literal = false, lit;
  char tmp[128];
  for (size_t i = 0; i < NROUTES; i++)
    if (match(routes[i].pattern, path, tmp, sizeof tmp, &lit) && lit) any_literal = true;
  const route_t *found = NULL;
  size_t n = 0;
  allow[0] = '\0';
  for (size_t i = 0; i < NROUTES; i++) {
    if (!match(routes[i].pattern, path, tmp, sizeof tmp, &lit) || lit != any_literal) continue;
    if (strcmp(routes[i].method, method) == 0 && found == NULL) {
      found = &routes[i];
      snprintf(id, idcap, "%s", lit ? "" : tmp);
    }
    if (n < allowcap)
      n += (size_t)snprintf(allow + n, allowcap - n, "%s%s", n ? ", " : "", routes[i].method);
  }
  *status = found != NULL ? 0 : n > 0 ? 405 : 404;
  return found;
}

/* The principal whose token is presented, or NULL. Every configured token
 * is compared over its whole padded buffer, with no early exit, so the time
 * says nothing about which token or how many bytes matched. */
static const omsd_principal_t *authenticate(omsd_admin_t *a, const char *presented) {
  if (presented == NULL) return NULL;
  unsigned char p[TOKEN_CAP];
  memset(p, 0, sizeof p);
  size_t len = strnlen(presented, TOKEN_CAP);
  memcpy(p, presented, len < TOKEN_CAP ? len : TOKEN_CAP);
  unsigned too_long = len >= TOKEN_CAP; /* a configured token is shorter */
  size_t hit = SIZE_MAX;
  for (size_t i = 0; i < a->nwho; i++) {
    unsigned diff = too_long;
    for (size_t k = 0; k < TOKEN_CAP; k++) diff |= (unsigned)(p[k] ^ a->tok[i][k]);
    /* branch-free select: hit = i when diff == 0 */
    size_t eq = (size_t)0 - (size_t)(((diff | (0u - diff)) >> (sizeof diff * 8 - 1)) ^ 1u);
    hit = (hit & ~eq) | (i & eq);
  }
  return hit == SIZE_MAX ? NULL : &a->who[hit];
}

/* The token of the request: the Bearer credentials, or (on the stream
 * only) the access_token query parameter. */
static const char *presented_token(const omsd_http_req_t *rq, const route_t *r) {
  const char *h = omsd_http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
  if (h != NULL) {
    if (strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    h += 7;
    while (*h == ' ') h++;
    return h;
  }
  if (r->fn == omsd_route_events_stream) return omsd_http_query(rq, "access_token");
  return NULL;
}

/* Steps 1 and 2, and the declared size of the body: decided before any
 * body is read. Returns true to go on, or false with rs set (and allow
 * filled for a 405). rq carries the method, path and the way to its
 * query and headers. */
static bool admit(omsd_admin_t *a, const omsd_http_req_t *rq, unsigned long long declared, req_t *r,
                  omsd_http_resp_t *rs, char *allow, size_t allowcap) {
  int status;
  r->route = find_route(rq->method, rq->path, r->id, sizeof r->id, &status, allow, allowcap);
  if (r->route == NULL) {
    if (status == 405)
      omsd_http_fail(rs, OMSD_E_METHOD_NOT_ALLOWED, "%s is not allowed on %s (allowed: %s)",
                     rq->method, rq->path, allow);
    else
      omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no such resource: %s", rq->path);
    return false;
  }
  if (r->route->role > OMSD_ROLE_NONE) {
    const char *tok = presented_token(rq, r->route);
    r->who = authenticate(a, tok);
    if (r->who == NULL) {
      omsd_http_fail(rs, OMSD_E_UNAUTHORIZED,
                     tok == NULL ? "a bearer token is required (Authorization: Bearer TOKEN)"
                                 : "the token is not valid");
      return false;
    }
    if (r->who->role < r->route->role) {
      static const char *const names[] = {"none", "read", "trade", "admin"};
      omsd_http_fail(rs, OMSD_E_FORBIDDEN, "%s %s needs the %s role; token %s has %s", rq->method,
                     rq->path, names[r->route->role], r->who->name, names[r->who->role]);
      return false;
    }
  }
  if (declared > BODY_MAX) {
    omsd_http_fail(rs, OMSD_E_BODY_TOO_LARGE, "the body is larger than %d bytes", BODY_MAX);
    return false;
  }
  return true;
}

/* Steps 3 (the end of it) and 4: the body is in (r->body, r->len), or was
 * dropped as too large. */
static void serve(omsd_admin_t *a, const req_t *r, omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  if (r->too_large) {
    omsd_http_fail(rs, OMSD_E_BODY_TOO_LARGE, "the body is larger than %d bytes", BODY_MAX);
    return;
  }
  rq->id = r->id[0] ? r->id : NULL;
  rq->who = r->who;
  rq->body = r->body != NULL ? r->body : "";
  rq->body_len = r->len;
  r->route->fn(a, rq, rs);
}

/* ---- libmicrohttpd's callbacks ------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  (void)version;
  omsd_admin_t *a = cls;
  omsd_http_resp_t rs = {0};
  req_t *r = *con_cls;
  omsd_http_req_t rq = {.method = method, .path = url, .conn = c};
  if (r == NULL) {
    r = calloc(1, sizeof *r);
    if (r == NULL) return MHD_NO;
    *con_cls = r;
    char allow[128];
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!admit(a, &rq, cl != NULL ? strtoull(cl, NULL, 10) : 0, r, &rs, allow, sizeof allow))
      return respond(a, c, method, url, r, &rs, rs.status == 405 ? allow : NULL);
    return MHD_YES;
  }
  if (*upload_size > 0) {
    /* Over the cap: dropped as it comes, answered at the end. */
    if (!r->too_large && r->len + *upload_size > BODY_MAX) {
      r->too_large = true;
      free(r->body);
      r->body = NULL;
      r->len = 0;
    }
    if (!r->too_large) {
      char *nb = realloc(r->body, r->len + *upload_size + 1);
      if (nb == NULL) return MHD_NO;
      memcpy(nb + r->len, upload_data, *upload_size);
      r->body = nb;
      r->len += *upload_size;
      r->body[r->len] = '\0';
    }
    *upload_size = 0;
    return MHD_YES;
  }
  if (!r->too_large && r->route->fn == omsd_route_events_stream)
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, STREAM_TIMEOUT_S);
  serve(a, r, &rq, &rs);
  return respond(a, c, method, url, r, &rs, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  req_t *r = *con_cls;
  if (r != NULL) free(r->body);
  free(r);
  *con_cls = NULL;
}

/* ---- Direct dispatch ------------------------------------------------------------------ */

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Decodes %XX in place, as libmicrohttpd does (a bad escape stays as it is). */
static void unescape(char *p) {
  char *w = p;
  for (; *p; p++) {
    int hi, lo;
    if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
      *w++ = (char)(hi * 16 + lo);
      p += 2;
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
}

/* Splits url into its path (decoded, in buf) and query parameters (as
 * libmicrohttpd: "k=v" pairs split at '&', a key without '=' has no
 * value, the first of a repeated key wins). */
static int parse_url(const char *url, struct omsd_http_direct_s *dq, char **path) {
  size_t n = strlen(url);
  dq->buf = malloc(n + 2);
  if (dq->buf == NULL) return -1;
  memcpy(dq->buf, url, n + 1);
  char *q = strchr(dq->buf, '?');
  if (q != NULL) *q++ = '\0';
  *path = dq->buf;
  unescape(*path);
  for (char *kv = q; kv != NULL && dq->n < DIRECT_ARGS;) {
    char *next = strchr(kv, '&');
    if (next != NULL) *next++ = '\0';
    char *eq = strchr(kv, '=');
    if (eq != NULL && kv[0] != '\0') {
      *eq = '\0';
      unescape(kv);
      unescape(eq + 1);
      dq->key[dq->n] = kv;
      dq->val[dq->n++] = eq + 1;
    }
    kv = next;
  }
  return 0;
}

int omsd_admin_dispatch(omsd_admin_t *a, const char *method, const char *url,
                        const char *authorization, const char *body, size_t len,
                        omsd_http_resp_t *out) {
  *out = (omsd_http_resp_t){0};
  struct omsd_http_direct_s dq = {.authorization = authorization};
  req_t r = {0};
  char *path;
  if (parse_url(url, &dq, &path) != 0) return -1;
  omsd_http_req_t rq = {.method = method, .path = path, .direct = &dq};
  char allow[128];
  if (admit(a, &rq, len, &r, out, allow, sizeof allow)) {
    r.body = malloc(len + 1);
    if (r.body == NULL) {
      free(dq.buf);
      return -1;
    }
    if (len > 0) memcpy(r.body, body, len);
    r.body[len] = '\0';
    r.len = len;
    serve(a, &r, &rq, out);
  }
  if (out->raw == NULL && out->json == NULL && out->text == NULL)
    omsd_http_fail(out, OMSD_E_INTERNAL, "the handler gave no answer");
  if (out->status >= 400) log_refusal(NULL, method, path, &r, out);
  count_response(a, out->status);
  free(r.body);
  free(dq.buf);
  return 0;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  for (char *p = line; *p; p++)
    if (*p == '"') *p = '\'';
  LOG_WARN("component=admin msg=\"http server\" detail=\"%s\"", line);
}

/* ---- Static files --------------------------------------------------------------------- */

void omsd_route_static(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)a;
  const char *path = rq->id != NULL ? rq->id : "index.html";
  for (size_t i = 0; i < omsd_web_nassets; i++) {
    const omsd_web_asset_t *f = &omsd_web_assets[i];
    if (strcmp(f->path, path) != 0) continue;
    rs->raw = MHD_create_response_from_buffer(f->len, (void *)f->data, MHD_RESPMEM_PERSISTENT);
    if (rs->raw == NULL) {
      omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
      return;
    }
    MHD_add_response_header(rs->raw, MHD_HTTP_HEADER_CONTENT_TYPE, f->content_type);
    MHD_add_response_header(rs->raw, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    rs->status = 200;
    return;
  }
  omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no such file: %s", rq->path);
}

/* ---- The command queue ----------------------------------------------------------------- */

static void wake_core(omsd_admin_t *a) {
  uint64_t one = 1;
  if (write(a->efd, &one, sizeof one) != (ssize_t)sizeof one && errno != EAGAIN)
    omsd_log_sys(OMS_LOG_ERROR, "write", "object=admin_eventfd", errno);
}

static void dispose(omsd_cmd_t *c) {
  if (c->dispose != NULL)
    c->dispose(c);
  else
    free(c);
}

/* Ends c on the core thread: done (1) or failed (-1); an abandoned command
 * is freed here, as nobody waits for it any more. */
static void finish(omsd_admin_t *a, omsd_cmd_t *c, int result) {
  pthread_mutex_lock(&a->dmu);
  bool abandoned = c->abandoned;
  if (!abandoned) c->done = result;
  pthread_cond_broadcast(&a->dcv);
  pthread_mutex_unlock(&a->dmu);
  if (abandoned) dispose(c);
}

static omsd_cmd_t *pop(omsd_admin_t *a) {
  pthread_mutex_lock(&a->qmu);
  omsd_cmd_t *c = a->qhead != a->qtail ? a->q[a->qhead++ % QUEUE_CAP] : NULL;
  pthread_mutex_unlock(&a->qmu);
  return c;
}

static void on_commands(omsd_t *d, void *ctx, uint32_t events) {
  (void)events;
  omsd_admin_t *a = ctx;
  uint64_t v;
  if (read(a->efd, &v, sizeof v) < 0 && errno != EAGAIN)
    omsd_log_sys(OMS_LOG_ERROR, "read", "object=admin_eventfd", errno);
  for (int i = 0; i < CMDS_PER_TURN; i++) {
    omsd_cmd_t *c = pop(a);
    if (c == NULL) return;
    c->run(d, c);
    finish(a, c, 1);
  }
  pthread_mutex_lock(&a->qmu);
  bool more = a->qhead != a->qtail;
  pthread_mutex_unlock(&a->qmu);
  if (more) wake_core(a); /* the rest after the engine's next poll */
}

uint32_t omsd_admin_queue_depth(omsd_admin_t *a) {
  pthread_mutex_lock(&a->qmu);
  uint32_t n = a->qtail - a->qhead;
  pthread_mutex_unlock(&a->qmu);
  return n;
}

int omsd_admin_call(omsd_admin_t *a, omsd_cmd_t *c) {
  c->done = 0;
  c->abandoned = false;
  if (a->direct) { /* the caller is the core thread */
    c->run(a->d, c);
    c->done = 1;
    return 0;
  }
  pthread_mutex_lock(&a->qmu);
  bool ok = !atomic_load(&a->stopping) && a->qtail - a->qhead < QUEUE_CAP;
  if (ok) a->q[a->qtail++ % QUEUE_CAP] = c;
  pthread_mutex_unlock(&a->qmu);
  if (!ok) {
    dispose(c);
    return -1;
  }
  wake_core(a);
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += CALL_WAIT_NS / 1000000000;
  pthread_mutex_lock(&a->dmu);
  while (c->done == 0)
    if (pthread_cond_timedwait(&a->dcv, &a->dmu, &dl) == ETIMEDOUT) break;
  int done = c->done;
  if (done == 0) c->abandoned = true; /* the core frees it when it runs it */
  pthread_mutex_unlock(&a->dmu);
  if (done == 1) return 0;
  if (done < 0) dispose(c); /* failed at stop: taken off the queue, nobody else has it */
  return -1;
}

/* ---- Start and stop ------------------------------------------------------------------- */

static char *read_pem(const char *path) {
  FILE *f = fopen(path, "rb");
  char obj[OMS_CFG_PATH_MAX + 8];
  snprintf(obj, sizeof obj, "path=%s", path);
  if (f == NULL) {
    omsd_log_sys(OMS_LOG_ERROR, "fopen", obj, errno);
    return NULL;
  }
  char *buf = malloc(PEM_MAX + 1);
  size_t n = buf != NULL ? fread(buf, 1, PEM_MAX, f) : 0;
  bool bad = buf == NULL || ferror(f) || n == 0 || n == PEM_MAX;
  fclose(f);
  if (bad) {
    LOG_ERROR("component=admin msg=\"cannot read a TLS file\" %s", obj);
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

static void admin_free(omsd_admin_t *a) {
  if (a == NULL) return;
  omsd_metrics_destroy(a->metrics); /* after the events thread and the HTTP server */
  if (a->efd >= 0) close(a->efd);
  pthread_mutex_destroy(&a->qmu);
  pthread_mutex_destroy(&a->dmu);
  pthread_cond_destroy(&a->dcv);
  free(a->pem_cert);
  free(a->pem_key);
  explicit_bzero(a->tok, sizeof a->tok);
  free(a);
}

static int start_http(omsd_admin_t *a) {
  const oms_cfg_admin_t *cfg = &a->d->cfg->admin;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
  if (inet_pton(AF_INET, cfg->address, &sa.sin_addr) != 1) {
    LOG_ERROR("component=admin msg=\"not an IPv4 address\" address=%s", cfg->address);
    return -1;
  }
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES) flags |= MHD_USE_POLL;
  struct MHD_OptionItem ops[16];
  size_t n = 0;
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, a};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                     cfg->max_connections_per_ip, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s, NULL};
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, a};
  if (cfg->tls_cert[0] != '\0') {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      LOG_ERROR("component=admin msg=\"libmicrohttpd was built without TLS\"");
      return -1;
    }
    a->pem_cert = read_pem(cfg->tls_cert);
    a->pem_key = read_pem(cfg->tls_key);
    if (a->pem_cert == NULL || a->pem_key == NULL) return -1;
    flags |= MHD_USE_TLS;
    a->tls = true;
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, a->pem_cert};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, a->pem_key};
  }
  ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
  a->mhd =
      MHD_start_daemon(flags, 0, NULL, NULL, on_request, a, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
  if (a->mhd == NULL) {
    LOG_ERROR(
        "component=admin msg=\"cannot start the HTTP server\" address=%s port=%d tls=%s "
        "errno=%d err=\"%s\"",
        cfg->address, cfg->port, a->tls ? "yes" : "no", errno, strerror(errno));
    return -1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
  a->d->admin_port = di != NULL ? (int)di->port : cfg->port;
  return 0;
}

/* What both kinds of admin have: the locks, the tokens, the metrics. */
static int admin_new(omsd_t *d, omsd_admin_t **out) {
  const oms_cfg_admin_t *cfg = &d->cfg->admin;
  *out = NULL;
  omsd_admin_t *a = calloc(1, sizeof *a);
  if (a == NULL) return -1;
  a->d = d;
  a->efd = -1;
  a->w.fd = -1;
  pthread_mutex_init(&a->qmu, NULL);
  pthread_mutex_init(&a->dmu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&a->dcv, &ca);
  pthread_condattr_destroy(&ca);
  for (size_t i = 0; i < cfg->ntokens; i++) {
    const oms_cfg_admin_token_t *t = &cfg->tokens[i];
    for (size_t k = 0; k < t->naccounts; k++) a->accounts[i][k] = t->accounts[k];
    a->who[i] = (omsd_principal_t){.name = t->name,
                                   .role = (omsd_role_t)t->role,
                                   .accounts = a->accounts[i],
                                   .naccounts = t->naccounts};
    memcpy(a->tok[i], t->token, strnlen(t->token, TOKEN_CAP - 1));
  }
  a->nwho = cfg->ntokens;
  if (omsd_metrics_create(&a->metrics) != 0) {
    LOG_ERROR("component=admin msg=\"cannot create the metrics\"");
    admin_free(a);
    return -1;
  }
  *out = a;
  return 0;
}

int omsd_admin_create_direct(omsd_t *d, omsd_admin_t **out) {
  *out = NULL;
  omsd_admin_t *a;
  if (d->admin != NULL || admin_new(d, &a) != 0) return -1;
  a->direct = true;
  d->admin = a;
  *out = a;
  return 0;
}

int omsd_admin_start(omsd_t *d) {
  const oms_cfg_admin_t *cfg = &d->cfg->admin;
  if (!cfg->enabled) {
    LOG_INFO("msg=\"no admin API: the configuration has no admin group\"");
    return 0;
  }
  omsd_admin_t *a;
  if (admin_new(d, &a) != 0) return -1;
  a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (a->efd < 0) {
    omsd_log_sys(OMS_LOG_ERROR, "eventfd", "object=admin_commands", errno);
    admin_free(a);
    return -1;
  }
  if (omsd_watch_add(d, &a->w, a->efd, EPOLLIN, on_commands, a) != 0) {
    admin_free(a);
    return -1;
  }
  d->admin = a;
  if (omsd_events_start(d, a->metrics, &a->events) != 0 || start_http(a) != 0) {
    omsd_admin_stop(d);
    return -1;
  }
  LOG_INFO(
      "msg=\"admin listening\" address=%s port=%d tls=%s tokens=%zu max_connections=%u "
      "idle_timeout_s=%u",
      cfg->address, d->admin_port, a->tls ? "yes" : "no", a->nwho, cfg->max_connections,
      cfg->idle_timeout_s);
  return 0;
}

void omsd_admin_stop(omsd_t *d) {
  omsd_admin_t *a = d->admin;
  if (a == NULL) return;
  /* No command is queued from now on; the queued ones fail (503). */
  pthread_mutex_lock(&a->qmu);
  atomic_store(&a->stopping, true);
  pthread_mutex_unlock(&a->qmu);
  for (omsd_cmd_t *c; (c = pop(a)) != NULL;) finish(a, c, -1);
  omsd_events_end_streams(a->events); /* their last chunk, before the sockets close */
  if (a->mhd != NULL) MHD_stop_daemon(a->mhd);
  a->mhd = NULL;
  omsd_events_stop(d, a->events);
  omsd_watch_del(d, &a->w);
  bool direct = a->direct;
  admin_free(a);
  d->admin = NULL;
  if (!direct) LOG_INFO("msg=\"admin stopped\"");
}
