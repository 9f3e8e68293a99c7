/*
 * admin_parents.c - the parent-order endpoints of the admin API
 * (docs/admin-api.md, "Parent orders"): GET /v1/parents, GET
 * /v1/parents/{id} with its children, POST /v1/parents, PATCH and DELETE
 * /v1/parents/{id}, and a smart parent's best-execution record, GET
 * /v1/parents/{id}/best-execution.
 *
 * HOW IT WORKS
 * Reads come from the store's projection (oms_store_query_parents: the
 * `parents` table, one page at a time; the children through the orders
 * index by parent), like the order endpoints. A submission is read into
 * the same thing a FIX NewOrderSingle with TargetStrategy(847) becomes:
 * the JSON parameters are turned into FIX tag=value pairs (name -> tag from
 * the parameter table of include/oms/algo.h) and read by
 * oms_algo_params_from_tags, then oms_engine_submit_parent runs on the core
 * thread, so a parent refused over HTTP is refused with the same OMS_R_ALGO_*
 * reason and text as over FIX. Cancel and modify are the order endpoints'
 * own command (omsd_change_order), limited to parent orders.
 *
 * JSON VALUES OF PARAMETERS. A string is the parameter's FIX text (a
 * UTCTimestamp, milliseconds for a duration, Y/N, an enum's name or
 * number); a JSON integer is in the unit of the name (TIME and DUR in ns:
 * start_ns, end_ns, slice_ns); true/false for a BOOL; an array of decimal
 * strings for the profile. A real number is refused (inexact), as for every
 * decimal of the API.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define CHILDREN_DEFAULT 100
#define TAG_TEXT 512 /* one parameter's text; a 48-bucket profile fits */

/* The parameter table of algo.h with each parameter's type. */
static const struct {
  const char *name;
  uint32_t tag;
  char type; /* 'E'num 'D'ecimal 'T'ime d'U'ration 'B'ool 'I'nteger 'P'rofile */
} ptable[] = {
#define TYPE_ENUM 'E'
#define TYPE_DEC 'D'
#define TYPE_TIME 'T'
#define TYPE_DUR 'U'
#define TYPE_BOOL 'B'
#define TYPE_U64 'I'
#define TYPE_PROFILE 'P'
#define XX(f, tag, type, unit, lo, hi, d) {#f, tag, TYPE_##type},
    OMS_ALGO_PARAM_MAP(XX)
#undef XX
};
#define NPARAMS (sizeof ptable / sizeof ptable[0])

/* ---- Rendering ---------------------------------------------------------------------- */

static json_t *dec_json(oms_dec_t d) {
  char b[OMS_DEC_STRLEN];
  oms_dec_format(d, b, sizeof b);
  return json_string(b);
}

static json_t *parent_json(const oms_parent_row_t *p) {
  json_t *params = json_loads(p->params, 0, NULL);
  json_t *j = json_object();
  json_object_set_new(j, "parent_order_id", json_integer((json_int_t)p->parent_order_id));
  json_object_set_new(j, "client_order_id", json_string(p->client_order_id));
  json_object_set_new(j, "algo", json_string(oms_algo_strategy_name(p->strategy)));
  json_object_set_new(j, "status", json_string(oms_algo_status_name(p->status)));
  json_object_set_new(j, "state", json_string(oms_ord_state_str(p->state)));
  json_object_set_new(j, "account", json_string(p->account_id));
  json_object_set_new(j, "symbol", json_string(p->symbol));
  json_object_set_new(j, "side", json_string(oms_side_str(p->side)));
  json_object_set_new(j, "qty", dec_json(p->qty));
  json_object_set_new(j, "filled_qty", dec_json(p->filled_qty));
  json_object_set_new(j, "open_qty", dec_json(p->open_qty));
  json_object_set_new(j, "leaves_qty", dec_json(p->leaves_qty));
  json_object_set_new(j, "avg_px", dec_json(p->avg_px));
  if (oms_dec_is_pos(p->limit_px)) json_object_set_new(j, "limit_px", dec_json(p->limit_px));
  json_object_set_new(
      j, "progress",
      json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "slices_done", (json_int_t)p->slices_done, "slices",
                (json_int_t)p->slices, "children", (json_int_t)p->children, "start_ns",
                (json_int_t)p->start_ns, "end_ns", (json_int_t)p->end_ns, "next_slice_ns",
                (json_int_t)p->next_slice_ns));
  json_object_set_new(j, "params", params != NULL ? params : json_object());
  json_object_set_new(j, "created_ns", json_integer((json_int_t)p->created_ns));
  json_object_set_new(j, "updated_ns", json_integer((json_int_t)p->updated_ns));
  json_object_set_new(j, "last_event_seq", json_integer((json_int_t)p->last_event_seq));
  return j;
}

/* ---- GET /v1/parents ------------------------------------------------------------------ */

typedef struct page_s {
  json_t *arr;
  uint32_t n, limit;
  uint64_t last;
  bool more;
} page_t;

static int add_parent(void *ctx, const oms_parent_row_t *p) {
  page_t *pg = ctx;
  if (pg->n == pg->limit) {
    pg->more = true;
    return 1;
  }
  json_array_append_new(pg->arr, parent_json(p));
  pg->n++;
  pg->last = p->parent_order_id;
  return 0;
}

static int add_child(void *ctx, const oms_order_t *o) {
  page_t *pg = ctx;
  if (pg->n == pg->limit) {
    pg->more = true;
    return 1;
  }
  json_array_append_new(pg->arr, omsd_order_json(o));
  pg->n++;
  pg->last = o->order_id;
  return 0;
}

/* status=: a comma list of WAITING, WORKING, ..., or active / terminal. */
static bool parse_statuses(const char *s, uint32_t *mask, omsd_http_resp_t *rs) {
  char buf[128];
  if (strlen(s) >= sizeof buf) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "status: too long");
    return false;
  }
  snprintf(buf, sizeof buf, "%s", s);
  char *save = NULL;
  for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
    bool found = false;
    for (int i = OMS_ALGO_WAITING; i <= OMS_ALGO_HALTED; i++) {
      bool term = oms_algo_status_is_terminal((oms_algo_status_t)i);
      if (strcmp(t, oms_algo_status_name((oms_algo_status_t)i)) == 0 ||
          (strcmp(t, "active") == 0 && !term) || (strcmp(t, "terminal") == 0 && term)) {
        *mask |= 1u << i;
        found = true;
      }
    }
    if (!found) {
      omsd_http_fail(rs, OMSD_E_BAD_QUERY,
                     "status: \"%s\" is not WAITING, WORKING, COMPLETED, CANCELLED, EXPIRED, "
                     "HALTED, active or terminal",
                     t);
      return false;
    }
  }
  if (*mask == 0) omsd_http_fail(rs, OMSD_E_BAD_QUERY, "status: empty");
  return *mask != 0;
}

/* after_id= and limit= of a page. */
static bool parse_page(const omsd_http_req_t *rq, const char *after_key, const char *limit_key,
                       uint64_t *after, uint64_t *limit, omsd_http_resp_t *rs) {
  const char *v;
  if ((v = omsd_http_query(rq, after_key)) != NULL && strcmp(v, "0") != 0 &&
      !omsd_parse_id(v, after)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "%s: \"%s\" is not an order id", after_key, v);
    return false;
  }
  if ((v = omsd_http_query(rq, limit_key)) != NULL &&
      (!omsd_parse_id(v, limit) || *limit > LIST_MAX)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "%s: \"%s\" is not in 1..%d", limit_key, v, LIST_MAX);
    return false;
  }
  return true;
}

static void answer_page(omsd_http_resp_t *rs, json_t *body, const char *key, const page_t *pg) {
  json_object_set_new(body, key,
                      pg->more && pg->n > 0 ? json_integer((json_int_t)pg->last) : json_null());
  rs->status = 200;
  rs->json = body;
}

void omsd_route_parents_list(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  static const char *const known[] = {"status", "account", "symbol", "after_id",
                                      "limit",  "order",   NULL};
  const char *bad = omsd_http_unknown_param(rq, known);
  if (bad != NULL) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY,
                   "unknown parameter \"%s\" (status, account, symbol, after_id, limit, order)",
                   bad);
    return;
  }
  oms_parent_query_t q = {0};
  q.account_id = omsd_http_query(rq, "account");
  q.symbol = omsd_http_query(rq, "symbol");
  const char *v = omsd_http_query(rq, "status");
  if (v != NULL && !parse_statuses(v, &q.statuses, rs)) return;
  /* order=desc: the newest first, and after_id pages downwards */
  if ((v = omsd_http_query(rq, "order")) != NULL) {
    if (strcmp(v, "desc") != 0 && strcmp(v, "asc") != 0) {
      omsd_http_fail(rs, OMSD_E_BAD_QUERY, "order: \"%s\" is not asc or desc", v);
      return;
    }
    q.newest_first = strcmp(v, "desc") == 0;
  }
  uint64_t limit = LIST_DEFAULT;
  if (!parse_page(rq, "after_id", "limit", &q.after_parent_id, &limit, rs)) return;
  page_t pg = {.arr = json_array(), .limit = (uint32_t)limit};
  q.limit = pg.limit + 1;
  int rc = oms_store_query_parents(omsd_admin_daemon(a)->store, &q, add_parent, &pg);
  if (rc < 0) {
    json_decref(pg.arr);
    omsd_http_store_fail(rs, omsd_admin_daemon(a)->store, rc, "the parents query");
    return;
  }
  answer_page(rs, json_pack("{s:o}", "parents", pg.arr), "next_after_id", &pg);
}

/* ---- GET /v1/parents/{id} -------------------------------------------------------------- */

/* The parent's id in the path; false (the response failed: 404) if it is not
 * an order id. */
static bool parse_parent_id(const omsd_http_req_t *rq, uint64_t *id, omsd_http_resp_t *rs) {
  if (omsd_parse_id(rq->id, id)) return true;
  omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no parent \"%s\" (an order id is a positive integer)",
                 rq->id);
  return false;
}

static int take_parent(void *ctx, const oms_parent_row_t *p) {
  *(oms_parent_row_t *)ctx = *p;
  return 1;
}

void omsd_route_parent_get(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  static const char *const known[] = {"after_id", "limit", NULL};
  const char *bad = omsd_http_unknown_param(rq, known);
  if (bad != NULL) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY,
                   "unknown parameter \"%s\" (after_id, limit: a page of children)", bad);
    return;
  }
  omsd_t *d = omsd_admin_daemon(a);
  uint64_t id;
  if (!parse_parent_id(rq, &id, rs)) return;
  uint64_t limit = CHILDREN_DEFAULT;
  oms_order_query_t oq = {.parent_order_id = id};
  if (!parse_page(rq, "after_id", "limit", &oq.after_order_id, &limit, rs)) return;
  oms_parent_query_t q = {.parent_order_id = id};
  oms_parent_row_t *p = malloc(sizeof *p);
  if (p == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  int rc = oms_store_query_parents(d->store, &q, take_parent, p);
  if (rc != 1) {
    free(p);
    if (rc < 0)
      omsd_http_store_fail(rs, d->store, rc, "the parent read");
    else
      omsd_http_fail(rs, OMSD_E_NOT_FOUND, "no parent order %" PRIu64, id);
    return;
  }
  page_t pg = {.arr = json_array(), .limit = (uint32_t)limit};
  oq.limit = pg.limit + 1;
  (void)oms_store_query_orders(d->store, &oq, add_child, &pg);
  json_t *body = json_pack("{s:o,s:o}", "parent", parent_json(p), "children", pg.arr);
  oms_order_t o;
  if (oms_store_get_order(d->store, id, &o) == 0)
    json_object_set_new(body, "order", omsd_order_json(&o));
  free(p);
  answer_page(rs, body, "next_children_after_id", &pg);
}

/* ---- GET /v1/parents/{id}/best-execution ------------------------------------------------ */

static json_t *bestex_json(const oms_bestex_row_t *r) {
  const oms_sor_bestex_t *bx = &r->bx;
  json_t *venues = json_array();
  for (uint32_t i = 0; i < bx->nvenues; i++)
    json_array_append_new(
        venues, json_pack("{s:s,s:I,s:I,s:o,s:o,s:o}", "venue", bx->venue[i].venue, "fills",
                          (json_int_t)r->fills[i], "children", (json_int_t)bx->venue[i].children,
                          "qty", dec_json(bx->venue[i].qty), "notional",
                          dec_json(bx->venue[i].notional), "fees", dec_json(bx->venue[i].fees)));
  json_t *j = json_object();
  json_object_set_new(j, "parent_order_id", json_integer((json_int_t)bx->parent_id));
  json_object_set_new(j, "account", json_string(r->account_id));
  json_object_set_new(j, "symbol", json_string(r->symbol));
  json_object_set_new(j, "side", json_string(oms_side_str(bx->side)));
  json_object_set_new(j, "arrival_ns", json_integer((json_int_t)bx->arrival_ns));
  json_object_set_new(j, "arrival_bid", dec_json(bx->arrival_bid));
  json_object_set_new(j, "arrival_ask", dec_json(bx->arrival_ask));
  json_object_set_new(j, "qty", dec_json(bx->qty));
  json_object_set_new(j, "filled_qty", dec_json(bx->filled));
  json_object_set_new(j, "avg_px", dec_json(bx->avg_px));
  json_object_set_new(j, "notional", dec_json(bx->notional));
  json_object_set_new(j, "fees", dec_json(bx->fees));
  json_object_set_new(j, "improvement_px", dec_json(bx->improvement_px));
  json_object_set_new(j, "improvement", dec_json(bx->improvement));
  json_object_set_new(j, "effective_spread_px", dec_json(bx->eff_spread_px));
  json_object_set_new(j, "venues", venues);
  json_object_set_new(j, "event_seq", json_integer((json_int_t)r->event_seq));
  json_object_set_new(j, "event_ns", json_integer((json_int_t)r->event_ns));
  return j;
}

void omsd_route_bestex(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  static const char *const known[] = {NULL};
  const char *bad = omsd_http_unknown_param(rq, known);
  if (bad != NULL) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "unknown parameter \"%s\" (none is taken)", bad);
    return;
  }
  omsd_t *d = omsd_admin_daemon(a);
  uint64_t id;
  if (!parse_parent_id(rq, &id, rs)) return;
  oms_bestex_row_t *r = malloc(sizeof *r);
  if (r == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  int rc = oms_store_get_best_execution(d->store, id, r);
  if (rc == 0) {
    rs->status = 200;
    rs->json = json_pack("{s:o}", "best_execution", bestex_json(r));
  } else if (rc == OMS_ENOTFOUND)
    omsd_http_fail(rs, OMSD_E_NOT_FOUND,
                   "no best-execution record for order %" PRIu64
                   " (a smart parent has one once it ended)",
                   id);
  else
    omsd_http_fail(rs, OMSD_E_INTERNAL, "the store query failed: %s", oms_err_name(rc));
  free(r);
}

/* ---- POST /v1/parents -------------------------------------------------------------------- */

typedef struct psubmit_cmd_s {
  omsd_cmd_t c;
  oms_order_request_t req;
  oms_algo_params_t params;
  int rc;
  oms_submit_result_t res;
  oms_order_t order; /* copied on the loop thread */
} psubmit_cmd_t;

static void run_psubmit(omsd_t *d, omsd_cmd_t *c) {
  psubmit_cmd_t *k = (psubmit_cmd_t *)c;
  k->rc = oms_engine_submit_parent(d->engine, &k->req, &k->params, &k->res);
  k->order = *k->res.order;
}

/* A refusal of the parameters, as the engine and the FIX gateway give it. */
static void refuse_param(omsd_http_resp_t *rs, oms_algo_refusal_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse_param(omsd_http_resp_t *rs, oms_algo_refusal_t code, const char *fmt, ...) {
  oms_reject_t rej = {.code = (oms_reason_t)code};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rej.text, sizeof rej.text, fmt, ap);
  va_end(ap);
  omsd_answer_reject(rs, &rej, NULL, NULL);
}

/* FIX UTCTimestamp with nanoseconds, for a TIME given as ns. */
static void utc_text(int64_t ns, char *out, size_t cap) {
  time_t secs = (time_t)(ns / 1000000000);
  long frac = (long)(ns % 1000000000);
  if (frac < 0) {
    frac += 1000000000;
    secs--;
  }
  struct tm tm;
  gmtime_r(&secs, &tm);
  size_t n = strftime(out, cap, "%Y%m%d-%H:%M:%S", &tm);
  snprintf(out + n, cap - n, ".%09ld", frac);
}

/* The FIX text of parameter i's JSON value v into out[TAG_TEXT]: false with
 * rs set (a BAD_VALUE refusal naming it). */
static bool param_text(size_t i, json_t *v, char *out, omsd_http_resp_t *rs) {
  const char *name = ptable[i].name;
  uint32_t tag = ptable[i].tag;
  char type = ptable[i].type;
  if (json_is_string(v)) {
    if (json_string_length(v) >= TAG_TEXT) {
      refuse_param(rs, OMS_ALGO_R_BAD_VALUE, "%s(%u): too long", name, tag);
      return false;
    }
    snprintf(out, TAG_TEXT, "%s", json_string_value(v));
    return true;
  }
  if (json_is_boolean(v) && type == 'B') {
    snprintf(out, TAG_TEXT, "%s", json_is_true(v) ? "Y" : "N");
    return true;
  }
  if (json_is_integer(v) && type != 'B' && type != 'P') {
    json_int_t x = json_integer_value(v);
    if (type == 'T') {
      utc_text((int64_t)x, out, TAG_TEXT);
      return true;
    }
    if (type == 'U') {
      if (x <= 0 || x % 1000000 != 0) {
        refuse_param(rs, OMS_ALGO_R_BAD_VALUE,
                     "%s(%u): %" PRId64 " ns is not a positive whole number of milliseconds", name,
                     tag, (int64_t)x);
        return false;
      }
      x /= 1000000;
    }
    snprintf(out, TAG_TEXT, "%" PRId64, (int64_t)x);
    return true;
  }
  if (json_is_array(v) && type == 'P') {
    size_t n = 0, k;
    json_t *w;
    out[0] = '\0';
    json_array_foreach(v, k, w) {
      if (!json_is_string(w) || n + json_string_length(w) + 2 >= TAG_TEXT) {
        refuse_param(rs, OMS_ALGO_R_BAD_VALUE,
                     "%s(%u): weights are decimal strings, e.g. [\"1\", \"2.5\"]", name, tag);
        return false;
      }
      n += (size_t)snprintf(out + n, TAG_TEXT - n, "%s%s", k ? "," : "", json_string_value(w));
    }
    return true;
  }
  refuse_param(rs, OMS_ALGO_R_BAD_VALUE, "%s(%u): give a string (its FIX form)%s", name, tag,
               type == 'B'   ? " or true/false"
               : type == 'P' ? " or an array of decimal strings"
               : type == 'D' ? " (decimals are strings: numbers are inexact)"
                             : " or an integer");
  return false;
}

/* The request's algorithm, side, quantity, price and params as the tag=value
 * pairs of a NewOrderSingle with 847, read by oms_algo_params_from_tags. */
static bool read_params(json_t *b, const char *algo, oms_side_t side, oms_dec_t qty,
                        oms_dec_t price, oms_algo_params_t *out, omsd_http_resp_t *rs) {
  json_t *obj = json_object_get(b, "params");
  if (obj != NULL && !json_is_object(obj) && !json_is_null(obj)) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"params\" must be an object of parameters");
    return false;
  }
  size_t n = obj != NULL && json_is_object(obj) ? json_object_size(obj) : 0;
  if (n > NPARAMS) {
    refuse_param(rs, OMS_ALGO_R_DUPLICATE_TAG, "more parameters than there are (%zu)", NPARAMS);
    return false;
  }
  /* 847, 54, 38, 44, and the params */
  char(*text)[TAG_TEXT] = malloc((n + 4) * TAG_TEXT);
  oms_algo_tag_t tags[NPARAMS + 4];
  if (text == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return false;
  }
  size_t nt = 0;
  snprintf(text[nt], TAG_TEXT, "%s", algo);
  tags[nt] = (oms_algo_tag_t){847, text[nt], strlen(text[nt])}, nt++;
  snprintf(text[nt], TAG_TEXT, "%d", (int)side);
  tags[nt] = (oms_algo_tag_t){54, text[nt], strlen(text[nt])}, nt++;
  oms_dec_format(qty, text[nt], TAG_TEXT);
  tags[nt] = (oms_algo_tag_t){38, text[nt], strlen(text[nt])}, nt++;
  if (oms_dec_is_pos(price)) {
    oms_dec_format(price, text[nt], TAG_TEXT);
    tags[nt] = (oms_algo_tag_t){44, text[nt], strlen(text[nt])}, nt++;
  }
  bool ok = true;
  const char *key;
  json_t *v;
  if (n > 0) {
    json_object_foreach(obj, key, v) {
      size_t i = 0;
      while (i < NPARAMS && strcmp(ptable[i].name, key) != 0) i++;
      if (i == NPARAMS) {
        refuse_param(rs, OMS_ALGO_R_UNKNOWN_TAG,
                     "\"%.40s\" is not an algorithm parameter (docs/algos.md)", key);
        ok = false;
        break;
      }
      if (!param_text(i, v, text[nt], rs)) {
        ok = false;
        break;
      }
      tags[nt] = (oms_algo_tag_t){ptable[i].tag, text[nt], strlen(text[nt])}, nt++;
    }
  }
  oms_algo_reject_t arej;
  if (ok && oms_algo_params_from_tags(tags, nt, out, &arej) != 0) {
    refuse_param(rs, arej.code, "%s", arej.text);
    ok = false;
  }
  free(text);
  return ok;
}

static bool parse_parent(json_t *b, const omsd_principal_t *who, const oms_config_t *cfg,
                         oms_order_request_t *r, oms_algo_params_t *ap, omsd_http_resp_t *rs) {
  static const char *const fields[] = {
      "client_order_id", "account", "symbol",   "venue", "side",   "qty",
      "price",           "tif",     "strategy", "algo",  "params", NULL};
  if (!omsd_http_only_fields(b, fields, rs)) return false;
  memset(r, 0, sizeof *r);
  char algo[32] = "";
  r->tif = OMS_TIF_DAY;
  if (!omsd_field_str(b, "client_order_id", true, r->client_order_id, sizeof r->client_order_id,
                      true, rs) ||
      !omsd_field_str(b, "account", true, r->account_id, sizeof r->account_id, true, rs) ||
      !omsd_field_str(b, "symbol", true, r->symbol, sizeof r->symbol, false, rs) ||
      !omsd_field_str(b, "venue", false, r->venue, sizeof r->venue, false, rs) ||
      !omsd_field_side(b, "side", true, &r->side, rs) ||
      !omsd_field_dec(b, "qty", true, &r->qty, rs) ||
      !omsd_field_dec(b, "price", false, &r->price, rs) ||
      !omsd_field_tif(b, "tif", false, &r->tif, rs) ||
      !omsd_field_str(b, "strategy", false, r->strategy_id, sizeof r->strategy_id, true, rs) ||
      !omsd_field_str(b, "algo", true, algo, sizeof algo, false, rs))
    return false;
  if (r->tif != OMS_TIF_DAY && r->tif != OMS_TIF_GTC) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "\"tif\" of a parent is DAY or GTC");
    return false;
  }
  if (!read_params(b, algo, r->side, r->qty, r->price, ap, rs)) return false;
  r->type = oms_dec_is_pos(r->price) ? OMS_ORD_LIMIT : OMS_ORD_MARKET;
  if (r->venue[0] == '\0')
    snprintf(r->venue, sizeof r->venue, "%s", omsd_default_venue(cfg, r->symbol));
  if (r->venue[0] == '\0') {
    oms_reject_t rej = {.code = OMS_R_UNKNOWN_INSTRUMENT};
    snprintf(rej.text, sizeof rej.text, "unknown instrument %s: no configured venue trades it",
             r->symbol);
    omsd_answer_reject(rs, &rej, NULL, NULL);
    return false;
  }
  if (r->strategy_id[0] == '\0') snprintf(r->strategy_id, sizeof r->strategy_id, "%s", who->name);
  return true;
}

void omsd_route_parent_submit(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  json_t *b = omsd_http_body_object(rq, rs, false);
  if (b == NULL) return;
  psubmit_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    json_decref(b);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  omsd_t *d = omsd_admin_daemon(a);
  bool ok = parse_parent(b, rq->who, d->cfg, &k->req, &k->params, rs);
  json_decref(b);
  if (ok && !omsd_admin_may_trade(rq->who, k->req.account_id)) {
    omsd_refuse_account(rs, rq->who, k->req.account_id);
    ok = false;
  }
  if (!ok) {
    free(k);
    return;
  }
  k->c.run = run_psubmit;
  if (omsd_admin_call(a, &k->c) != 0) {
    omsd_answer_timeout(rs);
    return;
  }
  omsd_admin_wait_durable(a);
  if (k->rc != 0) {
    omsd_answer_reject(rs, &k->res.reject, k->res.check, &k->order);
    free(k);
    return;
  }
  rs->status = k->res.duplicate ? 200 : 201;
  rs->json = json_pack("{s:o}", "order", omsd_order_json(&k->order));
  if (k->res.duplicate) json_object_set_new(rs->json, "duplicate", json_true());
  oms_parent_row_t *p = malloc(sizeof *p);
  oms_parent_query_t q = {.parent_order_id = k->order.order_id};
  if (p != NULL && oms_store_query_parents(d->store, &q, take_parent, p) == 1)
    json_object_set_new(rs->json, "parent", parent_json(p));
  free(p);
  free(k);
}

/* ---- PATCH and DELETE /v1/parents/{id} ---------------------------------------------------- */

void omsd_route_parent_modify(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  json_t *b = omsd_http_body_object(rq, rs, false);
  if (b == NULL) return;
  static const char *const fields[] = {"qty", "price", NULL};
  oms_dec_t qty = OMS_DEC_ZERO, price = OMS_DEC_ZERO;
  bool ok = omsd_http_only_fields(b, fields, rs) && omsd_field_dec(b, "qty", false, &qty, rs) &&
            omsd_field_dec(b, "price", false, &price, rs);
  if (ok && json_object_size(b) == 0) {
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD, "nothing to change: give qty or price");
    ok = false;
  }
  json_decref(b);
  if (ok) omsd_change_order(a, rq, rs, false, qty, price, true);
}

void omsd_route_parent_cancel(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  omsd_change_order(a, rq, rs, true, OMS_DEC_ZERO, OMS_DEC_ZERO, true);
}
