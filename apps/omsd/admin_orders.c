/*
 * admin_orders.c - the order endpoints of the admin API (docs/admin-api.md):
 * GET /v1/orders, GET /v1/orders/{id}, POST /v1/orders, PATCH and DELETE
 * /v1/orders/{id}, POST /v1/orders/cancel-all, POST /v1/trading-state,
 * GET /healthz and GET /readyz.
 *
 * HOW IT WORKS
 * Reads go to the store from the HTTP thread (what is durable is what the
 * API shows, as what FIX clients are told); an order the store has not got
 * yet is asked of the engine. Everything that changes something is one
 * command run on the core thread (omsd_admin_call): the same engine calls
 * FIX orders take (oms_engine_submit, _modify, _cancel, _mass_cancel,
 * _set_trading_state), so the same validation, risk, write-ahead and events.
 * Bodies are checked strictly before any command: an unknown field, a wrong
 * type, a bad decimal or enum is a 400 naming the field, and nothing is
 * done. After a change the handler waits until the store has it
 * (omsd_admin_wait_durable), so a GET right after sees it.
 *
 * An order is rendered by oms_order_to_json (src/event/event.c), the very
 * object events carry, so the API and the event stream name every field
 * the same way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "admin.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

/* ---- Rendering -------------------------------------------------------------------- */

static json_t *order_json(const oms_order_t *o) {
  char buf[OMS_EVENT_JSON_MAX];
  if (oms_order_to_json(o, buf, sizeof buf) < 0) return json_null();
  json_t *v = json_loads(buf, 0, NULL);
  return v != NULL ? v : json_null();
}

static json_t *event_json(const oms_event_t *ev) {
  char buf[OMS_EVENT_JSON_MAX];
  if (oms_event_to_json(ev, buf, sizeof buf) < 0) return json_null();
  json_t *v = json_loads(buf, 0, NULL);
  return v != NULL ? v : json_null();
}

static json_t *dec_json(oms_dec_t d) {
  char b[OMS_DEC_STRLEN];
  oms_dec_format(d, b, sizeof b);
  return json_string(b);
}

/* Sets rs to 200/201/202 {"order":{...}}. */
static void answer_order(omsd_http_resp_t *rs, int status, const oms_order_t *o) {
  rs->status = status;
  rs->json = json_pack("{s:o}", "order", order_json(o));
}

/* An engine refusal: unknown order 404, terminal or pending 409, anything
 * else 422 with the reason's name (and the risk check, and the order when
 * one was created). */
static void answer_reject(omsd_http_resp_t *rs, const oms_reject_t *rej, const char *check,
                          const oms_order_t *o) {
  json_t *err;
  if (rej->code == OMS_R_UNKNOWN_ORDER)
    err = omsd_http_fail(rs, OMSD_E_NOT_FOUND, "%s", rej->text[0] ? rej->text : "unknown order");
  else if (rej->code == OMS_R_ORDER_TERMINAL || rej->code == OMS_R_ORDER_PENDING)
    err = omsd_http_fail(rs, OMSD_E_CONFLICT, "%s",
                         rej->text[0] ? rej->text : oms_reason_desc(rej->code));
  else
    err = omsd_http_fail(rs, OMSD_E_REJECTED, "%s",
                         rej->text[0] ? rej->text : oms_reason_desc(rej->code));
  json_object_set_new(err, "reason", json_string(oms_reason_name(rej->code)));
  if (check != NULL && check[0]) json_object_set_new(err, "check", json_string(check));
  if (o != NULL && o->order_id != 0) json_object_set_new(rs->json, "order", order_json(o));
}

static void answer_timeout(omsd_http_resp_t *rs) {
  omsd_http_fail(rs, OMSD_E_CORE_TIMEOUT, "the core did not answer within 5 s (or is stopping)");
}

/* ---- Parsing ------------------------------------------------------------------------ */

/* An order id: 1..20 digits, no sign, no overflow. */
static bool parse_id(const char *s, uint64_t *out) {
  if (s == NULL || s[0] == '\0' || strlen(s) > 20) return false;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return v != 0;
}

static bool parse_i64(const char *s, int64_t *out) {
  if (s == NULL || s[0] == '\0') return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

/* Each returns false with rs set (400 naming the field). A missing optional
 * field leaves *out as it is. */
static bool field_str(json_t *o, const char *key, bool required, char *out, size_t cap, bool id,
                      omsd_http_resp_t *rs) {
  json_t *v = json_object_get(o, key);
  if (v == NULL || json_is_null(v)) {
    if (!required) return true;
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD, "\"%s\" is required", key);
    return false;
  }
  if (!json_is_string(v)) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"%s\" must be a string", key);
    return false;
  }
  const char *s = json_string_value(v);
  size_t n = json_string_length(v);
  if (n >= cap || strlen(s) != n) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"%s\" is longer than %zu characters", key, cap - 1);
    return false;
  }
  if (id && !oms_id_valid(s, cap - 1)) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD,
                   "\"%s\": \"%s\" is not a valid identifier (letters, digits and ._:@/-)", key, s);
    return false;
  }
  memcpy(out, s, n + 1);
  return true;
}

static bool field_dec(json_t *o, const char *key, bool required, oms_dec_t *out,
                      omsd_http_resp_t *rs) {
  json_t *v = json_object_get(o, key);
  if (v == NULL || json_is_null(v)) {
    if (!required) return true;
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD, "\"%s\" is required", key);
    return false;
  }
  if (!json_is_string(v)) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD,
                   "\"%s\" must be a decimal string, e.g. \"1.5\" (numbers are inexact)", key);
    return false;
  }
  const char *s = json_string_value(v);
  int rc = oms_dec_parse(s, json_string_length(v), out);
  if (rc == OMS_EPRECISION)
    omsd_http_fail(rs, OMSD_E_BAD_DECIMAL, "\"%s\": \"%s\" has more than 8 decimal places", key, s);
  else if (rc == OMS_EOVERFLOW)
    omsd_http_fail(rs, OMSD_E_BAD_DECIMAL, "\"%s\": \"%s\" is out of range", key, s);
  else if (rc != 0)
    omsd_http_fail(rs, OMSD_E_BAD_DECIMAL, "\"%s\": \"%s\" is not a decimal", key, s);
  return rc == 0;
}

/* An enum by its exact spelling, through the given parser. */
static bool field_enum(json_t *o, const char *key, bool required, int *out,
                       int (*parse)(const char *, int *), const char *spellings,
                       omsd_http_resp_t *rs) {
  char s[32] = "";
  if (!field_str(o, key, required, s, sizeof s, false, rs)) {
    /* too long is just not one of them */
    if (json_is_string(json_object_get(o, key)))
      omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"%s\" must be one of %s", key, spellings);
    return false;
  }
  if (s[0] == '\0') return true;
  if (parse(s, out) != 0) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"%s\": \"%s\" is not one of %s", key, s, spellings);
    return false;
  }
  return true;
}

static int parse_side(const char *s, int *v) {
  oms_side_t x;
  int rc = oms_side_parse(s, &x);
  *v = (int)x;
  return rc;
}
static int parse_type(const char *s, int *v) {
  oms_ord_type_t x;
  int rc = oms_ord_type_parse(s, &x);
  *v = (int)x;
  return rc;
}
static int parse_tif(const char *s, int *v) {
  oms_tif_t x;
  int rc = oms_tif_parse(s, &x);
  *v = (int)x;
  return rc;
}
/* The API spells scopes in capitals (GLOBAL), the risk engine in lower case. */
const char *omsd_scope_name(int scope) {
  static const char *const names[] = {[OMS_RISK_SCOPE_GLOBAL] = "GLOBAL",
                                      [OMS_RISK_SCOPE_ACCOUNT] = "ACCOUNT",
                                      [OMS_RISK_SCOPE_STRATEGY] = "STRATEGY",
                                      [OMS_RISK_SCOPE_SYMBOL] = "SYMBOL"};
  return (unsigned)scope < sizeof names / sizeof names[0] ? names[scope] : "UNKNOWN";
}

static int parse_scope(const char *s, int *v) {
  for (int i = OMS_RISK_SCOPE_GLOBAL; i <= OMS_RISK_SCOPE_STRATEGY; i++)
    if (strcmp(s, omsd_scope_name(i)) == 0) {
      *v = i;
      return 0;
    }
  return OMS_ENOTFOUND;
}
static int parse_tstate(const char *s, int *v) {
  for (int i = OMS_TRADING_ACTIVE; i <= OMS_TRADING_HALTED; i++)
    if (strcmp(s, oms_trading_state_str((oms_trading_state_t)i)) == 0) {
      *v = i;
      return 0;
    }
  return OMS_ENOTFOUND;
}

static void refuse_account(omsd_http_resp_t *rs, const omsd_principal_t *who, const char *acc) {
  omsd_http_fail(rs, OMSD_E_FORBIDDEN, "token %s may not trade account \"%s\"", who->name, acc);
}

/* ---- GET /healthz, /readyz ----------------------------------------------------------- */

/* Alive whatever the projection's state (trading does not need it), which
 * it shows: live, down (its last batch failed: PostgreSQL down or
 * restarting), journal_only (PostgreSQL unreachable since the start), with
 * the records it lags and the store's last word. With a cluster group, the
 * lease too (read lock-free on this thread): 503 "fenced" once another node
 * took the instance, so that a probe sees a fenced process for what it is
 * while it lingers. */
void omsd_route_healthz(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  const omsd_t *d = omsd_admin_daemon(a);
  oms_store_t *st = d->store;
  unsigned long long token;
  const char *lease = omsd_cluster_state(d, &token);
  bool lost = lease != NULL && strcmp(lease, "lost") == 0;
  rs->status = lost ? 503 : 200;
  rs->json = json_pack("{s:s}", "status", lost ? "fenced" : "alive");
  if (lease != NULL)
    json_object_set_new(
        rs->json, "lease",
        json_pack("{s:s,s:s,s:s,s:I}", "instance", d->cfg->store_instance, "node",
                  d->cfg->cluster.node, "state", lease, "token", (json_int_t)token));
  if (st == NULL) return;
  oms_store_stats_t ss;
  oms_store_error_t e;
  oms_store_stats(st, &ss);
  oms_store_last_error(st, &e);
  json_t *p = json_pack("{s:s,s:I}", "state",
                        ss.projection_local    ? "journal_only"
                        : ss.projection_failed ? "down"
                                               : "live",
                        "lag_records", (json_int_t)ss.queued);
  if (p != NULL && (ss.projection_local || ss.projection_failed) && e.message[0])
    json_object_set_new(p, "reason", json_sprintf("%s: %s", e.call, e.message));
  json_object_set_new(rs->json, "projection", p);
}

typedef struct ready_cmd_s {
  omsd_cmd_t c;
  size_t n;
  char names[OMS_CFG_MAX_VENUES][OMS_VENUE_MAX + 1];
  bool reconciled[OMS_CFG_MAX_VENUES];
} ready_cmd_t;

/* Recovery ran before the API started, so ready is every venue reconciled. */
static void run_ready(omsd_t *d, omsd_cmd_t *c) {
  ready_cmd_t *k = (ready_cmd_t *)c;
  for (size_t i = 0; i < d->cfg->nvenues && i < OMS_CFG_MAX_VENUES; i++) {
    snprintf(k->names[i], sizeof k->names[i], "%s", d->cfg->venues[i].name);
    k->reconciled[i] = oms_engine_venue_reconciled(d->engine, d->cfg->venues[i].name);
    k->n++;
  }
}

void omsd_route_readyz(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  ready_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->c.run = run_ready;
  if (omsd_admin_call(a, &k->c) != 0) {
    answer_timeout(rs);
    return;
  }
  json_t *venues = json_object();
  bool ready = true;
  for (size_t i = 0; i < k->n; i++) {
    json_object_set_new(venues, k->names[i], json_boolean(k->reconciled[i]));
    ready = ready && k->reconciled[i];
  }
  free(k);
  if (ready) {
    rs->status = 200;
    rs->json = json_pack("{s:s,s:o}", "status", "ready", "venues", venues);
    return;
  }
  omsd_http_fail(rs, OMSD_E_NOT_READY, "not every venue is reconciled yet");
  json_object_set_new(rs->json, "venues", venues);
}

/* ---- GET /v1/orders ------------------------------------------------------------------ */

/* The page is copied out of the query and rendered after it: the callback
 * runs inside the store's read statement (its lock and its SQLite read
 * transaction), and rendering 100 orders through jansson trees there held
 * both for about 1.2 ms of CPU, 50 times a second under a poller, with some
 * 2,500 allocations a page (BENCHMARKS.md, issue 12). */
typedef struct list_s {
  oms_order_t *orders;
  uint32_t n, limit;
  bool more;
} list_t;

static int list_one(void *ctx, const oms_order_t *o) {
  list_t *l = ctx;
  if (l->n == l->limit) {
    l->more = true; /* the one past the page: there is a next page */
    return 1;
  }
  l->orders[l->n++] = *o;
  return 0;
}

/* state=: a comma list of state names, or open / terminal. */
static bool parse_states(const char *s, oms_order_query_t *q, omsd_http_resp_t *rs) {
  if (strcmp(s, "open") == 0) {
    q->state_class = OMS_STATE_CLASS_ACTIVE;
    return true;
  }
  if (strcmp(s, "terminal") == 0) {
    q->state_class = OMS_STATE_CLASS_TERMINAL;
    return true;
  }
  char buf[256];
  if (strlen(s) >= sizeof buf) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "state: too long");
    return false;
  }
  snprintf(buf, sizeof buf, "%s", s);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
    oms_ord_state_t st;
    if (oms_ord_state_parse(t, &st) != 0) {
      omsd_http_fail(rs, OMSD_E_BAD_QUERY,
                     "state: \"%s\" is not a state (PENDING, SUBMITTED, ACCEPTED, ...), open or "
                     "terminal",
                     t);
      return false;
    }
    q->states |= 1u << st;
  }
  if (q->states == 0) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "state: empty");
    return false;
  }
  return true;
}

typedef struct qcheck_s {
  const char *bad;
} qcheck_t;

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
  (void)kind;
  (void)value;
  static const char *const known[] = {"state",   "account", "strategy", "symbol", "venue",
                                      "from_ns", "to_ns",   "after_id", "limit",  NULL};
  qcheck_t *q = cls;
  for (const char *const *k = known; *k != NULL; k++)
    if (strcmp(*k, key) == 0) return MHD_YES;
  q->bad = key;
  return MHD_NO;
}

/* The page's JSON text, {"orders":[...],"next_after_id":N|null}, written
 * straight from oms_order_to_json: the same object as a tree parsed back and
 * printed by jansson, without its thousands of small allocations a page.
 * Sets *out to a malloc'd text (NULL when out of memory); returns its length. */
static size_t render_page(const list_t *l, uint64_t as_of_seq, char **out) {
  size_t cap = 64 + (size_t)l->n * 1024, len = 0;
  char *b = malloc(cap);
  *out = NULL;
  if (b == NULL) return 0;
  len = (size_t)snprintf(b, cap, "{\"orders\":[");
  for (uint32_t i = 0; i < l->n; i++) {
    if (cap - len < OMS_EVENT_JSON_MAX + 64) {
      char *nb = realloc(b, cap * 2 + OMS_EVENT_JSON_MAX);
      if (nb == NULL) {
        free(b);
        return 0;
      }
      b = nb;
      cap = cap * 2 + OMS_EVENT_JSON_MAX;
    }
    if (i > 0) b[len++] = ',';
    int n = oms_order_to_json(&l->orders[i], b + len, cap - len);
    if (n < 0) n = snprintf(b + len, cap - len, "null");
    len += (size_t)n;
  }
  if (l->more && l->n > 0)
    len += (size_t)snprintf(b + len, cap - len, "],\"next_after_id\":%" PRIu64 ",",
                            l->orders[l->n - 1].order_id);
  else
    len += (size_t)snprintf(b + len, cap - len, "],\"next_after_id\":null,");
  len += (size_t)snprintf(b + len, cap - len, "\"as_of_seq\":%" PRIu64 "}", as_of_seq);
  *out = b;
  return len;
}

void omsd_route_orders_list(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  qcheck_t qc = {NULL};
  MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, check_param, &qc);
  if (qc.bad != NULL) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY,
                   "unknown parameter \"%s\" (state, account, strategy, symbol, venue, from_ns, "
                   "to_ns, after_id, limit)",
                   qc.bad);
    return;
  }
  oms_order_query_t q = {0};
  q.account_id = omsd_http_query(rq, "account");
  q.strategy_id = omsd_http_query(rq, "strategy");
  q.symbol = omsd_http_query(rq, "symbol");
  q.venue = omsd_http_query(rq, "venue");
  const char *v;
  if ((v = omsd_http_query(rq, "state")) != NULL && !parse_states(v, &q, rs)) return;
  if ((v = omsd_http_query(rq, "from_ns")) != NULL && !parse_i64(v, &q.created_from_ns)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "from_ns: \"%s\" is not an integer (ns since the epoch)",
                   v);
    return;
  }
  if ((v = omsd_http_query(rq, "to_ns")) != NULL && !parse_i64(v, &q.created_to_ns)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "to_ns: \"%s\" is not an integer (ns since the epoch)", v);
    return;
  }
  if ((v = omsd_http_query(rq, "after_id")) != NULL && strcmp(v, "0") != 0 &&
      !parse_id(v, &q.after_order_id)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "after_id: \"%s\" is not an order id", v);
    return;
  }
  uint64_t limit = LIST_DEFAULT;
  if ((v = omsd_http_query(rq, "limit")) != NULL && (!parse_id(v, &limit) || limit > LIST_MAX)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "limit: \"%s\" is not in 1..%d", v, LIST_MAX);
    return;
  }
  list_t l = {.orders = malloc((size_t)limit * sizeof *l.orders), .limit = (uint32_t)limit};
  if (l.orders == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory for %u orders", l.limit);
    return;
  }
  q.limit = l.limit + 1;
  /* Read before the page: the views only move forward, and each of their
   * transactions holds an event with the order it changed, so the page
   * reflects every event up to as_of_seq (and perhaps some after). A
   * client that then streams from ?after=as_of_seq misses nothing, however
   * far the views lag the events the stream would start from (the blotter,
   * docs/admin-api.md). */
  uint64_t as_of_seq = 0, last_order_id;
  int rc = oms_store_last_seqs(omsd_admin_daemon(a)->store, &as_of_seq, &last_order_id);
  if (rc == 0) rc = oms_store_query_orders(omsd_admin_daemon(a)->store, &q, list_one, &l);
  if (rc < 0) {
    free(l.orders);
    omsd_http_store_fail(rs, omsd_admin_daemon(a)->store, rc, "the order query");
    return;
  }
  char *text = NULL;
  size_t len = render_page(&l, as_of_seq, &text);
  free(l.orders);
  if (text == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory for %u orders", l.n);
    return;
  }
  rs->status = 200;
  rs->text = text;
  rs->text_len = len;
  rs->content_type = "application/json";
}

/* ---- GET /v1/orders/{id} ------------------------------------------------------------ */

typedef struct get_cmd_s {
  omsd_cmd_t c;
  uint64_t id;
  int rc;
  oms_order_t o;
} get_cmd_t;

static void run_get(omsd_t *d, omsd_cmd_t *c) {
  get_cmd_t *k = (get_cmd_t *)c;
  k->rc = oms_engine_get(d->engine, k->id, &k->o);
}

static int add_event(void *ctx, const oms_event_t *ev) {
  json_array_append_new(ctx, event_json(ev));
  return 0;
}

static int add_fill(void *ctx, const oms_fill_row_t *f) {
  json_t *j =
      json_pack("{s:I,s:s,s:o,s:o,s:o,s:I}", "seq", (json_int_t)f->seq, "exec_id", f->fill.exec_id,
                "qty", dec_json(f->fill.qty), "price", dec_json(f->fill.price), "fee",
                dec_json(f->fill.fee), "event_ns", (json_int_t)f->ts_ns);
  if (f->fill.liquidity != 0) {
    char liq[2] = {f->fill.liquidity, '\0'};
    json_object_set_new(j, "liquidity", json_string(liq));
  }
  json_array_append_new(ctx, j);
  return 0;
}

void omsd_route_order_get(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  omsd_t *d = omsd_admin_daemon(a);
  uint64_t id;
  if (!parse_id(rq->id, &id)) {
    omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no order \"%s\" (an order id is a positive integer)",
                   rq->id);
    return;
  }
  oms_order_t o;
  int rc = oms_store_get_order(d->store, id, &o);
  if (rc == OMS_ENOTFOUND) {
    /* Not durable yet (or never was): the engine may have it. */
    get_cmd_t *k = calloc(1, sizeof *k);
    if (k == NULL) {
      omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
      return;
    }
    k->c.run = run_get;
    k->id = id;
    if (omsd_admin_call(a, &k->c) != 0) {
      answer_timeout(rs);
      return;
    }
    rc = k->rc;
    o = k->o;
    free(k);
  }
  if (rc == OMS_ENOTFOUND) {
    omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no order %" PRIu64, id);
    return;
  }
  if (rc != 0) {
    omsd_http_store_fail(rs, d->store, rc, "the order read");
    return;
  }
  json_t *events = json_array(), *fills = json_array();
  (void)oms_store_events_for_order(d->store, id, add_event, events);
  (void)oms_store_fills_for_order(d->store, id, add_fill, fills);
  rs->status = 200;
  rs->json = json_pack("{s:o,s:o,s:o}", "order", order_json(&o), "events", events, "fills", fills);
}

/* ---- POST /v1/orders ----------------------------------------------------------------- */

typedef struct submit_cmd_s {
  omsd_cmd_t c;
  oms_order_request_t req;
  int group; /* 1: the order is a contingent group's first member (legs) */
  oms_algo_group_kind_t kind;
  uint32_t nlegs;
  oms_group_leg_t legs[OMS_ALGO_GROUP_MAX];
  int rc;
  oms_submit_result_t res;
  oms_order_t order; /* res.order, copied on the loop thread: the answer is written on this one */
} submit_cmd_t;

static void run_submit(omsd_t *d, omsd_cmd_t *c) {
  submit_cmd_t *k = (submit_cmd_t *)c;
  k->rc = k->group > 0
              ? oms_engine_submit_group(d->engine, &k->req, k->kind, k->legs, k->nlegs, &k->res)
              : oms_engine_submit(d->engine, &k->req, &k->res);
  k->order = *k->res.order;
}

/* The contingent-group fields of POST /v1/orders, named after the FIX tags
 * they stand for (OMS_GROUP_TAG_MAP, docs/groups.md): read by the gateway's
 * own reader, so the same groups and refusals. Returns false with the
 * answer written. */
static const struct {
  const char *field;
  uint32_t tag;
} group_fields[] = {
    {"take_profit_price", OMS_GROUP_TAG_TakeProfitPrice},
    {"stop_loss_price", OMS_GROUP_TAG_StopLossPrice},
    {"stop_loss_limit_price", OMS_GROUP_TAG_StopLossLimitPrice},
    {"other_leg_price", OMS_GROUP_TAG_OtherLegPrice},
    {"other_leg_stop_price", OMS_GROUP_TAG_OtherLegStopPx},
};

static bool parse_group(json_t *b, submit_cmd_t *k, omsd_http_resp_t *rs) {
  oms_algo_tag_t tags[8];
  size_t nt = 0;
  static const char *const kinds[] = {"", "1", "2", "3", "4"};
  json_t *c = json_object_get(b, "contingency");
  if (c != NULL && !json_is_null(c)) {
    oms_algo_group_kind_t kind;
    if (!json_is_string(c) || oms_group_kind_parse(json_string_value(c), &kind) != 0 ||
        (unsigned)kind >= sizeof kinds / sizeof kinds[0]) {
      omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"contingency\" must be OCO, OUO, OTO or BRACKET");
      return false;
    }
    tags[nt++] = (oms_algo_tag_t){OMS_GROUP_TAG_ContingencyType, kinds[kind], 1};
  }
  for (size_t i = 0; i < sizeof group_fields / sizeof group_fields[0]; i++) {
    json_t *v = json_object_get(b, group_fields[i].field);
    if (v == NULL || json_is_null(v)) continue;
    if (!json_is_string(v)) {
      omsd_http_fail(rs, OMSD_E_BAD_FIELD,
                     "\"%s\" must be a decimal string, e.g. \"1.5\" (numbers are inexact)",
                     group_fields[i].field);
      return false;
    }
    tags[nt++] = (oms_algo_tag_t){group_fields[i].tag, json_string_value(v), json_string_length(v)};
  }
  oms_reject_t rej;
  k->group = oms_gateway_group_from_tags(tags, nt, &k->req, k->legs, &k->nlegs, &k->kind, &rej);
  if (k->group < 0) {
    answer_reject(rs, &rej, NULL, NULL);
    return false;
  }
  return true;
}

/* The venue of the first configured instrument with symbol, or "". */
static const char *default_venue(const oms_config_t *cfg, const char *symbol) {
  for (size_t i = 0; i < cfg->ninstruments; i++)
    if (strcmp(cfg->instruments[i].ins.symbol, symbol) == 0) return cfg->instruments[i].ins.venue;
  return "";
}

static bool parse_submit(json_t *b, const omsd_principal_t *who, const oms_config_t *cfg,
                         oms_order_request_t *r, omsd_http_resp_t *rs) {
  static const char *const fields[] = {"client_order_id",
                                       "account",
                                       "symbol",
                                       "venue",
                                       "side",
                                       "type",
                                       "qty",
                                       "price",
                                       "stop_price",
                                       "tif",
                                       "expire_ns",
                                       "strategy",
                                       "metadata",
                                       "contingency",
                                       "take_profit_price",
                                       "stop_loss_price",
                                       "stop_loss_limit_price",
                                       "other_leg_price",
                                       "other_leg_stop_price",
                                       NULL};
  if (!omsd_http_only_fields(b, fields, rs)) return false;
  memset(r, 0, sizeof *r);
  int side = 0, type = 0, tif = OMS_TIF_DAY;
  if (!field_str(b, "client_order_id", true, r->client_order_id, sizeof r->client_order_id, true,
                 rs) ||
      !field_str(b, "account", true, r->account_id, sizeof r->account_id, true, rs) ||
      !field_str(b, "symbol", true, r->symbol, sizeof r->symbol, false, rs) ||
      !field_str(b, "venue", false, r->venue, sizeof r->venue, false, rs) ||
      !field_enum(b, "side", true, &side, parse_side, "BUY, SELL", rs) ||
      !field_enum(b, "type", true, &type, parse_type, "MARKET, LIMIT, STOP, STOP_LIMIT", rs) ||
      !field_dec(b, "qty", true, &r->qty, rs) || !field_dec(b, "price", false, &r->price, rs) ||
      !field_dec(b, "stop_price", false, &r->stop_price, rs) ||
      !field_enum(b, "tif", false, &tif, parse_tif, "DAY, GTC, IOC, FOK, GTD", rs) ||
      !field_str(b, "strategy", false, r->strategy_id, sizeof r->strategy_id, true, rs) ||
      !field_str(b, "metadata", false, r->metadata, sizeof r->metadata, false, rs))
    return false;
  json_t *exp = json_object_get(b, "expire_ns");
  if (exp != NULL && !json_is_null(exp)) {
    if (!json_is_integer(exp)) {
      omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"expire_ns\" must be an integer (ns since the epoch)");
      return false;
    }
    r->expire_ns = (int64_t)json_integer_value(exp);
  }
  r->side = (oms_side_t)side;
  r->type = (oms_ord_type_t)type;
  r->tif = (oms_tif_t)tif;
  if (r->venue[0] == '\0') snprintf(r->venue, sizeof r->venue, "%s", default_venue(cfg, r->symbol));
  if (r->venue[0] == '\0') {
    /* No venue given and none trades the symbol: the engine would name the
     * empty venue; the caller needs to hear about the symbol. */
    oms_reject_t rej = {.code = OMS_R_UNKNOWN_INSTRUMENT};
    snprintf(rej.text, sizeof rej.text, "unknown instrument %s: no configured venue trades it",
             r->symbol);
    answer_reject(rs, &rej, NULL, NULL);
    return false;
  }
  if (r->strategy_id[0] == '\0') snprintf(r->strategy_id, sizeof r->strategy_id, "%s", who->name);
  return true;
}

void omsd_route_order_submit(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  json_t *b = omsd_http_body_object(rq, rs, false);
  if (b == NULL) return;
  submit_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    json_decref(b);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  bool ok =
      parse_submit(b, rq->who, omsd_admin_daemon(a)->cfg, &k->req, rs) && parse_group(b, k, rs);
  json_decref(b);
  if (ok && !omsd_admin_may_trade(rq->who, k->req.account_id)) {
    refuse_account(rs, rq->who, k->req.account_id);
    ok = false;
  }
  if (!ok) {
    free(k);
    return;
  }
  k->c.run = run_submit;
  if (omsd_admin_call(a, &k->c) != 0) {
    answer_timeout(rs);
    return;
  }
  omsd_admin_wait_durable(a);
  if (k->rc == 0)
    answer_order(rs, k->res.duplicate ? 200 : 201, &k->order);
  else
    answer_reject(rs, &k->res.reject, k->res.check, &k->order);
  if (k->res.duplicate) json_object_set_new(rs->json, "duplicate", json_true());
  free(k);
}

/* ---- PATCH and DELETE /v1/orders/{id} ------------------------------------------------ */

typedef struct change_cmd_s {
  omsd_cmd_t c;
  const omsd_principal_t *who; /* lives as long as the server */
  uint64_t id;
  bool cancel;
  bool parent_only; /* /v1/parents/{id}: refuse an order that is not a parent */
  oms_dec_t qty, price, stop_price;
  int rc;
  bool forbidden;
  oms_reject_t rej;
  oms_order_t o;
} change_cmd_t;

static void run_change(omsd_t *d, omsd_cmd_t *c) {
  change_cmd_t *k = (change_cmd_t *)c;
  if (oms_engine_get(d->engine, k->id, &k->o) != 0) {
    k->rc = OMS_EREJECTED;
    oms_reject_set(&k->rej, OMS_R_UNKNOWN_ORDER, "no order %" PRIu64, k->id);
    return;
  }
  if (k->parent_only && (k->o.algo == 0 || k->o.parent_order_id != 0)) {
    k->rc = OMS_EREJECTED;
    oms_reject_set(&k->rej, OMS_R_UNKNOWN_ORDER, "order %" PRIu64 " is not a parent order", k->id);
    return;
  }
  if (!omsd_admin_may_trade(k->who, k->o.account_id)) {
    k->forbidden = true; /* nothing asked of the engine */
    return;
  }
  if (k->cancel) {
    k->rc = oms_engine_cancel(d->engine, k->id, &k->rej);
  } else {
    oms_modify_t m = {.qty = k->qty, .price = k->price, .stop_price = k->stop_price};
    k->rc = oms_engine_modify(d->engine, k->id, &m, &k->rej);
  }
  (void)oms_engine_get(d->engine, k->id, &k->o);
}

static void change(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs,
                   change_cmd_t *k) {
  if (!parse_id(rq->id, &k->id)) {
    free(k);
    omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no order \"%s\" (an order id is a positive integer)",
                   rq->id);
    return;
  }
  k->who = rq->who;
  k->c.run = run_change;
  if (omsd_admin_call(a, &k->c) != 0) {
    answer_timeout(rs);
    return;
  }
  if (k->forbidden)
    refuse_account(rs, rq->who, k->o.account_id);
  else if (k->rc != 0)
    answer_reject(rs, &k->rej, NULL, NULL);
  else {
    omsd_admin_wait_durable(a);
    answer_order(rs, 202, &k->o);
  }
  free(k);
}

void omsd_route_order_modify(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  json_t *b = omsd_http_body_object(rq, rs, false);
  if (b == NULL) return;
  static const char *const fields[] = {"qty", "price", "stop_price", NULL};
  change_cmd_t *k = calloc(1, sizeof *k);
  bool ok = k != NULL && omsd_http_only_fields(b, fields, rs) &&
            field_dec(b, "qty", false, &k->qty, rs) &&
            field_dec(b, "price", false, &k->price, rs) &&
            field_dec(b, "stop_price", false, &k->stop_price, rs);
  if (ok && json_object_size(b) == 0) {
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD, "nothing to change: give qty, price or stop_price");
    ok = false;
  }
  json_decref(b);
  if (!ok) {
    if (k == NULL) omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    free(k);
    return;
  }
  change(a, rq, rs, k);
}

void omsd_route_order_cancel(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  change_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->cancel = true;
  change(a, rq, rs, k);
}

/* ---- POST /v1/orders/cancel-all ------------------------------------------------------- */

typedef struct cancel_all_cmd_s {
  omsd_cmd_t c;
  char accounts[OMS_CFG_MAX_ACCOUNTS][OMS_ID_MAX + 1]; /* one mass cancel each; none: all */
  size_t naccounts;
  char strategy[OMS_ID_MAX + 1], symbol[OMS_SYMBOL_MAX + 1], venue[OMS_VENUE_MAX + 1];
  uint32_t cancelled;
} cancel_all_cmd_t;

static void run_cancel_all(omsd_t *d, omsd_cmd_t *c) {
  cancel_all_cmd_t *k = (cancel_all_cmd_t *)c;
  oms_order_filter_t f = {.strategy_id = k->strategy[0] ? k->strategy : NULL,
                          .symbol = k->symbol[0] ? k->symbol : NULL,
                          .venue = k->venue[0] ? k->venue : NULL};
  for (size_t i = 0; i < (k->naccounts > 0 ? k->naccounts : 1); i++) {
    f.account_id = k->naccounts > 0 ? k->accounts[i] : NULL;
    uint32_t n = 0;
    (void)oms_engine_mass_cancel(d->engine, &f, &n);
    k->cancelled += n;
  }
}

void omsd_route_cancel_all(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  json_t *b = omsd_http_body_object(rq, rs, true);
  if (b == NULL) return;
  static const char *const fields[] = {"account", "strategy", "symbol", "venue", NULL};
  cancel_all_cmd_t *k = calloc(1, sizeof *k);
  char account[OMS_ID_MAX + 1] = "";
  bool ok = k != NULL && omsd_http_only_fields(b, fields, rs) &&
            field_str(b, "account", false, account, sizeof account, true, rs) &&
            field_str(b, "strategy", false, k->strategy, sizeof k->strategy, true, rs) &&
            field_str(b, "symbol", false, k->symbol, sizeof k->symbol, false, rs) &&
            field_str(b, "venue", false, k->venue, sizeof k->venue, false, rs);
  json_decref(b);
  if (ok && account[0] != '\0') {
    if (!omsd_admin_may_trade(rq->who, account)) {
      refuse_account(rs, rq->who, account);
      ok = false;
    }
    memcpy(k->accounts[0], account, sizeof account);
    k->naccounts = 1;
  } else if (ok && rq->who->role < OMSD_ROLE_ADMIN) {
    /* A trade token's "everything" is its own accounts. */
    for (size_t i = 0; i < rq->who->naccounts && i < OMS_CFG_MAX_ACCOUNTS; i++)
      snprintf(k->accounts[k->naccounts++], sizeof k->accounts[0], "%s", rq->who->accounts[i]);
  }
  if (!ok) {
    if (k == NULL) omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    free(k);
    return;
  }
  k->c.run = run_cancel_all;
  if (omsd_admin_call(a, &k->c) != 0) {
    answer_timeout(rs);
    return;
  }
  omsd_admin_wait_durable(a);
  rs->status = 200;
  rs->json = json_pack("{s:I}", "cancelled", (json_int_t)k->cancelled);
  free(k);
}

/* ---- POST /v1/trading-state -------------------------------------------------------------- */

typedef struct tstate_cmd_s {
  omsd_cmd_t c;
  int scope, state, previous, rc;
  char id[OMS_ID_MAX + 1];
  char reason[OMS_REASON_MAX + 1];
} tstate_cmd_t;

static void run_tstate(omsd_t *d, omsd_cmd_t *c) {
  tstate_cmd_t *k = (tstate_cmd_t *)c;
  k->previous = (int)oms_risk_get_state(d->risk, (oms_risk_scope_t)k->scope, k->id);
  k->rc = oms_engine_set_trading_state(d->engine, k->scope, k->id, k->state, k->reason);
}

void omsd_route_trading_state(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  json_t *b = omsd_http_body_object(rq, rs, false);
  if (b == NULL) return;
  static const char *const fields[] = {"scope", "id", "state", "reason", NULL};
  tstate_cmd_t *k = calloc(1, sizeof *k);
  char reason[OMS_REASON_MAX + 1] = "";
  bool ok =
      k != NULL && omsd_http_only_fields(b, fields, rs) &&
      field_enum(b, "scope", true, &k->scope, parse_scope, "GLOBAL, ACCOUNT, STRATEGY", rs) &&
      field_str(b, "id", false, k->id, sizeof k->id, true, rs) &&
      field_enum(b, "state", true, &k->state, parse_tstate, "ACTIVE, REDUCE_ONLY, HALTED", rs) &&
      field_str(b, "reason", false, reason, sizeof reason, false, rs);
  json_decref(b);
  if (ok && k->scope != OMS_RISK_SCOPE_GLOBAL && k->id[0] == '\0') {
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD, "\"id\" is required for scope %s",
                   omsd_scope_name(k->scope));
    ok = false;
  }
  if (!ok) {
    if (k == NULL) omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    free(k);
    return;
  }
  if (k->scope == OMS_RISK_SCOPE_GLOBAL) k->id[0] = '\0';
  /* Who asked goes with the reason into the stored event. */
  char full[sizeof reason + OMS_ID_MAX + 32];
  snprintf(full, sizeof full, "%s%s(admin API, %s)", reason, reason[0] ? " " : "", rq->who->name);
  snprintf(k->reason, sizeof k->reason, "%.*s", (int)sizeof k->reason - 1, full);
  k->c.run = run_tstate;
  if (omsd_admin_call(a, &k->c) != 0) {
    answer_timeout(rs);
    return;
  }
  if (k->rc != 0) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "the trading state was refused: %s", oms_err_name(k->rc));
  } else {
    omsd_admin_wait_durable(a);
    LOG_INFO(
        "component=admin msg=\"trading state set\" scope=%s id=%s state=%s previous=%s "
        "token=%s",
        omsd_scope_name(k->scope), k->id[0] ? k->id : "-",
        oms_trading_state_str((oms_trading_state_t)k->state),
        oms_trading_state_str((oms_trading_state_t)k->previous), rq->who->name);
    rs->status = 200;
    rs->json = json_pack("{s:s,s:s,s:s,s:s}", "scope", omsd_scope_name(k->scope), "id", k->id,
                         "state", oms_trading_state_str((oms_trading_state_t)k->state), "previous",
                         oms_trading_state_str((oms_trading_state_t)k->previous));
  }
  free(k);
}

/* ---- Shared with admin_parents.c (admin.h) ---------------------------------------------- */

bool omsd_parse_id(const char *s, uint64_t *out) { return parse_id(s, out); }

bool omsd_field_str(json_t *o, const char *key, bool required, char *out, size_t cap, bool id,
                    omsd_http_resp_t *rs) {
  return field_str(o, key, required, out, cap, id, rs);
}

bool omsd_field_dec(json_t *o, const char *key, bool required, oms_dec_t *out,
                    omsd_http_resp_t *rs) {
  return field_dec(o, key, required, out, rs);
}

bool omsd_field_side(json_t *o, const char *key, bool required, oms_side_t *out,
                     omsd_http_resp_t *rs) {
  int v = (int)*out;
  bool ok = field_enum(o, key, required, &v, parse_side, "BUY, SELL", rs);
  *out = (oms_side_t)v;
  return ok;
}

bool omsd_field_tif(json_t *o, const char *key, bool required, oms_tif_t *out,
                    omsd_http_resp_t *rs) {
  int v = (int)*out;
  bool ok = field_enum(o, key, required, &v, parse_tif, "DAY, GTC, IOC, FOK, GTD", rs);
  *out = (oms_tif_t)v;
  return ok;
}

json_t *omsd_order_json(const oms_order_t *o) { return order_json(o); }

void omsd_answer_reject(omsd_http_resp_t *rs, const oms_reject_t *rej, const char *check,
                        const oms_order_t *o) {
  answer_reject(rs, rej, check, o);
}

void omsd_answer_timeout(omsd_http_resp_t *rs) { answer_timeout(rs); }

void omsd_refuse_account(omsd_http_resp_t *rs, const omsd_principal_t *who, const char *account) {
  refuse_account(rs, who, account);
}

const char *omsd_default_venue(const oms_config_t *cfg, const char *symbol) {
  return default_venue(cfg, symbol);
}

void omsd_change_order(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs,
                       bool cancel, oms_dec_t qty, oms_dec_t price, bool parent_only) {
  change_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->cancel = cancel;
  k->qty = qty;
  k->price = price;
  k->parent_only = parent_only;
  change(a, rq, rs, k);
}
