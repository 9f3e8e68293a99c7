/*
 * admin.h - the admin HTTP API's private parts and how they fit (not installed).
 *
 *   admin.c         the server: libmicrohttpd (its own threads), TLS, bearer-token
 *                   auth and roles, the route table, request bodies (64 KiB cap),
 *                   JSON errors, the command queue to the core thread, the
 *                   static blotter files
 *   admin_orders.c  /v1/orders (list, one, submit, modify, cancel, cancel-all),
 *                   /v1/trading-state, /healthz, /readyz
 *   admin_events.c  the bus subscriber and the events thread, the ring of
 *                   recent events, /v1/events and the SSE stream
 *   admin_parents.c /v1/parents (list, one with its children, submit,
 *                   modify, cancel): parent orders (docs/parents.md)
 *   admin_views.c   /v1/positions, /v1/risk, /v1/risk/limits (+ limits.log),
 *                   /v1/sessions, /metrics (through metrics.h)
 *
 * THREADS. Handlers run on libmicrohttpd's connection threads. They read
 * durable state from the store directly (its queries are thread-safe) and
 * run everything else on the core thread through omsd_admin_call(): the
 * command's run() is called by the loop (omsd_admin_run_commands, from an
 * eventfd watcher) between engine polls, so it may use every component, and
 * must do bounded work and copy what the handler needs into the command.
 */
#ifndef OMSD_ADMIN_H
#define OMSD_ADMIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "omsd.h"

struct MHD_Response;
struct omsd_metrics_s;

typedef struct omsd_admin_s omsd_admin_t;

typedef enum omsd_role_e {
  OMSD_ROLE_NONE = 0,
  OMSD_ROLE_READ,
  OMSD_ROLE_TRADE,
  OMSD_ROLE_ADMIN
} omsd_role_t;

/* The caller, once the token is checked. */
typedef struct omsd_principal_s {
  const char *name; /* the token's name (never the token itself) */
  omsd_role_t role;
  const char *const *accounts; /* trade tokens: the accounts it may trade */
  size_t naccounts;
} omsd_principal_t;

/* One request as a handler sees it. */
typedef struct omsd_http_req_s {
  const char *method; /* "GET", "POST", ... */
  const char *path;   /* without the query string */
  const char *id;     /* the {id} part of a route, or NULL */
  const omsd_principal_t *who;
  const char *body; /* NUL-terminated; "" when none */
  size_t body_len;
  void *conn; /* struct MHD_Connection *: for omsd_http_query / _header */
  /* instead of conn, a request given to omsd_admin_dispatch (admin.c) */
  const struct omsd_http_direct_s *direct;
} omsd_http_req_t;

/* What a handler answers: a status and a JSON body (owned: the server frees
 * it), or a ready libmicrohttpd response (streams, text). */
typedef struct omsd_http_resp_s {
  int status;
  json_t *json;
  /* or a body already rendered: text[text_len] (malloc'd; the server frees
   * it) of content_type (static), e.g. a page of orders written directly */
  char *text;
  size_t text_len;
  const char *content_type;
  struct MHD_Response *raw;
} omsd_http_resp_t;

/* Frees what rs holds (json, text, raw) and clears it. */
void omsd_http_resp_clear(omsd_http_resp_t *rs);

typedef void (*omsd_route_fn)(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);

/* The error codes of the API, one row each: the code clients see and its
 * HTTP status. The single source: omsd_http_fail takes a row, the docs
 * (docs/admin-api.md) list the same rows. */
#define OMSD_HTTP_ERRORS(X)  \
  X(UNAUTHORIZED, 401)       \
  X(FORBIDDEN, 403)          \
  X(NOT_FOUND, 404)          \
  X(METHOD_NOT_ALLOWED, 405) \
  X(BAD_JSON, 400)           \
  X(UNKNOWN_FIELD, 400)      \
  X(BAD_FIELD, 400)          \
  X(MISSING_FIELD, 400)      \
  X(BAD_DECIMAL, 400)        \
  X(BAD_QUERY, 400)          \
  X(BODY_TOO_LARGE, 413)     \
  X(REJECTED, 422)           \
  X(CONFLICT, 409)           \
  X(CORE_TIMEOUT, 503)       \
  X(NOT_READY, 503)          \
  X(PROJECTION_DOWN, 503)    \
  X(INTERNAL, 500)           \
  X(NOT_IMPLEMENTED, 501)

typedef enum omsd_http_err_e {
#define OMSD_HTTP_ERR_ENUM_(name, status) OMSD_E_##name,
  OMSD_HTTP_ERRORS(OMSD_HTTP_ERR_ENUM_)
#undef OMSD_HTTP_ERR_ENUM_
      OMSD_E_COUNT
} omsd_http_err_t;

/* Sets rs to the error e: its status and {"error":{"code":"NAME",
 * "message":fmt...}}. Returns rs->json's "error" object, so a handler may
 * add members (REJECTED: "reason", "check"). */
json_t *omsd_http_fail(omsd_http_resp_t *rs, omsd_http_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failed read of the store's projection (rc < 0) as the client should see
 * it: PROJECTION_DOWN (503) with the reason when the projection cannot be
 * read now (PostgreSQL down, or not caught up since omsd started without
 * it: trading goes on, the journal keeps everything), else INTERNAL. `what`
 * names the read ("the order query"). */
void omsd_http_store_fail(omsd_http_resp_t *rs, oms_store_t *st, int rc, const char *what);
/* The code's name ("BAD_FIELD") and status. */
const char *omsd_http_err_name(omsd_http_err_t e);
int omsd_http_err_status(omsd_http_err_t e);

/* The request body as a JSON object ("" counts as {} when empty_ok), or NULL
 * with rs set to BAD_JSON (not JSON, or not an object). Owned by the caller. */
json_t *omsd_http_body_object(const omsd_http_req_t *rq, omsd_http_resp_t *rs, bool empty_ok);
/* Refuses the members of obj not in the NULL-terminated list: false with rs
 * set to UNKNOWN_FIELD naming the first one. */
bool omsd_http_only_fields(json_t *obj, const char *const *allowed, omsd_http_resp_t *rs);

/* A query parameter or request header, or NULL. */
const char *omsd_http_query(const omsd_http_req_t *rq, const char *key);
const char *omsd_http_header(const omsd_http_req_t *rq, const char *key);
/* The first query parameter not in the NULL-terminated list known, or NULL. */
const char *omsd_http_unknown_param(const omsd_http_req_t *rq, const char *const *known);

/* Sets rs to the JSON error {"error":{"code":code,"message":fmt...}}; code
 * and status should be a row of OMSD_HTTP_ERRORS (prefer omsd_http_fail). */
void omsd_http_error(omsd_http_resp_t *rs, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether who may act on account (admin: always; trade: listed; read: never). */
bool omsd_admin_may_trade(const omsd_principal_t *who, const char *account);

/* A risk scope as the API spells it: "GLOBAL", "ACCOUNT", "STRATEGY",
 * "SYMBOL" (oms_risk_scope_t; admin_orders.c). */
const char *omsd_scope_name(int scope);

/* ---- the core thread --------------------------------------------------------------- */

/* A command for the core thread: embed it first in your own struct. */
typedef struct omsd_cmd_s omsd_cmd_t;
struct omsd_cmd_s {
  void (*run)(omsd_t *d, omsd_cmd_t *c); /* core thread: bounded work */
  /* Frees c and what run() attached to it, when nobody waits for it any
   * more (NULL: free(c)). */
  void (*dispose)(omsd_cmd_t *c);
  /* private to admin.c */
  int done;
  bool abandoned;
};

/* Runs c->run on the core thread and waits for it (5 s at most). Returns 0,
 * or -1 after the wait (c is then owned by the core thread, which disposes
 * of it when it finally runs: allocate commands with malloc). */
int omsd_admin_call(omsd_admin_t *a, omsd_cmd_t *c);

/* True once omsd_admin_stop began: long-running handlers (the SSE stream)
 * check it at least every 200 ms and end, so that the HTTP server's stop,
 * which waits for every connection thread, is not held up. Any thread. */
bool omsd_admin_stopping(omsd_admin_t *a);

/* Waits (5 s at most) until everything the core appended to the store so far
 * is durable: a handler calls it after a command that changed orders, so
 * that what it answers is also what the store (and GET) shows, as FIX
 * clients are told only what is durable. HTTP threads only. */
void omsd_admin_wait_durable(omsd_admin_t *a);

/* Commands queued for the core thread now (the admin queue-depth gauge).
 * Any thread. */
uint32_t omsd_admin_queue_depth(omsd_admin_t *a);

/* The daemon the API serves (its components are for the core thread only;
 * d->store's queries may be called from any thread). */
omsd_t *omsd_admin_daemon(omsd_admin_t *a);

/* ---- the daemon's side (loop.c / wire.c) ------------------------------------------- */

/* Starts the API when the configuration has an admin group (no-op otherwise):
 * the command queue and its eventfd watcher, the events subscriber and thread,
 * the HTTP server. Core thread, after omsd_net_open. 0 or -1 (logged). */
int omsd_admin_start(omsd_t *d);
/* The admin over d (wired, not serving) without the HTTP server, the
 * events thread or the command queue, for tests and fuzz/fuzz_admin.c:
 * requests go through omsd_admin_dispatch and each command runs at once on
 * the calling thread (which acts as the core thread); the event stream
 * answers 503 NOT_READY. Sets d->admin; omsd_admin_stop(d) frees it.
 * 0 or -1. */
int omsd_admin_create_direct(omsd_t *d, omsd_admin_t **out);
/* One request through the same route table, token check, body limit and
 * handlers as the server: method ("GET"...), url (the path with its
 * ?query, %-escapes decoded as the server does), the Authorization header
 * (NULL: none), the body. Fills *out (free it with omsd_http_resp_clear);
 * the refusal is logged and counted as the server does. 0, or -1 (out of
 * memory). Only with an admin from omsd_admin_create_direct. */
int omsd_admin_dispatch(omsd_admin_t *a, const char *method, const char *url,
                        const char *authorization, const char *body, size_t len,
                        omsd_http_resp_t *out);

/* Stops, in this order: the command queue (closed, and every queued command
 * failed: 503), the event streams (omsd_events_end_streams: each sends its
 * last chunk), the HTTP server (MHD_stop_daemon waits for every connection
 * thread, so a stream must end once omsd_admin_stopping), the events thread
 * (omsd_events_stop), then frees everything. Core thread, before the FIX
 * connections close. Accepts a daemon without an API. */
void omsd_admin_stop(omsd_t *d);

/* ---- route handlers (one table in admin.c names them all) --------------------------- */

void omsd_route_healthz(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_readyz(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_orders_list(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_order_get(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_order_submit(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_order_modify(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_order_cancel(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_cancel_all(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_trading_state(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
/* admin_parents.c */
void omsd_route_parents_list(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_parent_get(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_bestex(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_parent_submit(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_parent_modify(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_parent_cancel(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);

/* ---- what admin_orders.c shares with admin_parents.c --------------------------------- */

/* An order id: 1..20 digits, no sign, no overflow, not 0. */
bool omsd_parse_id(const char *s, uint64_t *out);
/* Request body fields: false with rs set (400 naming the field); a missing
 * optional field leaves *out as it is. id: an identifier's characters only. */
bool omsd_field_str(json_t *o, const char *key, bool required, char *out, size_t cap, bool id,
                    omsd_http_resp_t *rs);
bool omsd_field_dec(json_t *o, const char *key, bool required, oms_dec_t *out,
                    omsd_http_resp_t *rs);
/* "side" (BUY, SELL) and "tif" (DAY, GTC, ...) by their exact spelling. */
bool omsd_field_side(json_t *o, const char *key, bool required, oms_side_t *out,
                     omsd_http_resp_t *rs);
bool omsd_field_tif(json_t *o, const char *key, bool required, oms_tif_t *out,
                    omsd_http_resp_t *rs);
/* The order as the API and events render it ({...} of oms_order_to_json). */
json_t *omsd_order_json(const oms_order_t *o);
/* An engine refusal: unknown order 404, terminal or pending 409, anything
 * else 422 REJECTED with "reason" (and "check", and "order" if o is one). */
void omsd_answer_reject(omsd_http_resp_t *rs, const oms_reject_t *rej, const char *check,
                        const oms_order_t *o);
void omsd_answer_timeout(omsd_http_resp_t *rs);
void omsd_refuse_account(omsd_http_resp_t *rs, const omsd_principal_t *who, const char *account);
/* The venue of the first configured instrument with symbol, or "". */
const char *omsd_default_venue(const oms_config_t *cfg, const char *symbol);
/* PATCH or DELETE of an order (or parent) id: the same command, checks and
 * answers as /v1/orders/{id}; parent_only refuses (404) an id that is not a
 * parent order. Takes qty and price (zero: unchanged) for a modify. */
void omsd_change_order(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs,
                       bool cancel, oms_dec_t qty, oms_dec_t price, bool parent_only);

/* admin.c: GET / (index.html) and GET /blotter/<path> from web_assets.h */
void omsd_route_static(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
/* admin_events.c */
void omsd_route_events(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_events_stream(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
/* admin_views.c */
void omsd_route_positions(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_risk(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_limits_put(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_limits_changes(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_risk_var(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_risk_stress(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_sessions(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);
void omsd_route_metrics(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs);

/* ---- admin_events.c's life (called by admin.c) ------------------------------------- */

typedef struct omsd_events_s omsd_events_t;
/* Core thread: creates the bus subscription and starts the events thread,
 * which renders events into the ring and calls omsd_metrics_on_event(m, ev)
 * (m may be NULL). */
int omsd_events_start(omsd_t *d, struct omsd_metrics_s *m, omsd_events_t **out);
/* Ends every event stream cleanly (its last chunk sent) and refuses new
 * ones; waits 1 s at most for them. Call before the HTTP server stops, which
 * would cut them short. Accepts NULL. */
void omsd_events_end_streams(omsd_events_t *ev);
/* Wakes every stream, joins the thread, unsubscribes (core thread). Accepts NULL. */
void omsd_events_stop(omsd_t *d, omsd_events_t *ev);
/* admin.c keeps these for the handlers */
omsd_events_t *omsd_admin_events(omsd_admin_t *a);
struct omsd_metrics_s *omsd_admin_metrics(omsd_admin_t *a);

#endif /* OMSD_ADMIN_H */
