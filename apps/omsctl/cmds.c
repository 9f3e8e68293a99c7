/*
 * cmds.c - omsctl's subcommands: the command table at the bottom of this
 * file is the single source of `omsctl --help`, of each `omsctl CMD
 * --help` and of dispatch; each handler above it checks what it can
 * locally (args.c), makes its request(s) (http.c) and prints the answer.
 *
 * Output: by default tables (table.c) with the API's field names as
 * headers, decimals exactly as the API gives them; with --json the API's
 * body as it came, one document per request (errors too: the message
 * still goes to stderr), and for `events --follow` one event per line.
 * Tables of objects take their columns from the objects themselves (every
 * scalar field, in the API's order) except where a view picks the columns
 * a person needs (orders, an order's audit trail), so a field the API
 * adds later shows up without a change here.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "omsctl.h"

#define CELL 512
#define ERRLEN 256

/* ---- helpers ------------------------------------------------------------- */

/* The value of the option called name (NULL when absent). */
static const char *opt(const ctl_cmd_t *cmd, const ctl_args_t *a, const char *name) {
  for (size_t i = 0; i < cmd->nopts; i++)
    if (strcmp(cmd->opts[i].name, name) == 0) return a->val[i];
  return NULL;
}

static bool flag(const ctl_cmd_t *cmd, const ctl_args_t *a, const char *name) {
  return opt(cmd, a, name) != NULL;
}

static int check(int rc, const char *err) {
  if (rc == 0) return 0;
  return ctl_usage_error("%s", err);
}

/* A path segment or query value with every byte outside [A-Za-z0-9-._~]
 * percent-encoded. */
static void enc(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (; *s && n + 4 < cap; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == ',') {
      out[n++] = (char)ch;
    } else {
      out[n++] = '%';
      out[n++] = hex[ch >> 4];
      out[n++] = hex[ch & 15];
    }
  }
  out[n] = '\0';
}

/* Appends "&key=value" (or "?key=value" first) to a query being built. */
static void query_add(char *q, size_t cap, const char *key, const char *val) {
  if (val == NULL) return;
  char e[512];
  size_t n = strlen(q);
  enc(e, sizeof e, val);
  int m = snprintf(q + n, cap - n, "%c%s=%s", strchr(q, '?') ? '&' : '?', key, e);
  if (m < 0 || (size_t)m >= cap - n) q[n] = '\0'; /* too long: not sent rather than cut */
}

/* The request and, with --json, the body on stdout; the exit code. On
 * success *resp is kept for the caller (who clears it). */
static int call(ctl_ctx_t *x, const char *method, const char *path, json_t *body,
                ctl_resp_t *resp) {
  char *text = NULL;
  if (body) {
    text = json_dumps(body, JSON_COMPACT);
    if (text == NULL) return CTL_EXIT_FAILED;
  }
  int rc = ctl_http(&x->conn, method, path, text, resp);
  free(text);
  if (rc != 0) return rc;
  if (x->json && resp->len > 0) {
    fputs(resp->body, stdout);
    if (resp->body[resp->len - 1] != '\n') fputc('\n', stdout);
  }
  rc = ctl_resp_check(&x->conn, resp);
  if (rc == 0 && resp->json == NULL && !x->json) {
    fprintf(stderr, "omsctl: the answer from %s%s is not JSON\n", x->conn.url, path);
    rc = CTL_EXIT_FAILED;
  }
  return rc;
}

static const char *str(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  return json_is_string(v) ? json_string_value(v) : "";
}

/* The header for a field: upper case, a time's "_ns" dropped. */
static void header_of(const char *key, char *out, size_t cap) {
  if (strcmp(key, "event_ns") == 0) key = "time";
  size_t n = strlen(key);
  if (n > 3 && strcmp(key + n - 3, "_ns") == 0) n -= 3;
  if (n + 1 > cap) n = cap - 1;
  for (size_t i = 0; i < n; i++)
    out[i] = (char)(key[i] >= 'a' && key[i] <= 'z' ? key[i] - 'a' + 'A' : key[i]);
  out[n] = '\0';
}

/* A table of the objects in arr with the given keys as columns. */
static int print_keys(const char *title, const json_t *arr, const char *const *keys, size_t nkeys,
                      const char *empty) {
  if (title) printf("%s\n", title);
  if (json_array_size(arr) == 0) {
    printf("  %s\n", empty);
    return 0;
  }
  char hdr[CTL_TABLE_MAX_COLS][64];
  const char *h[CTL_TABLE_MAX_COLS];
  for (size_t c = 0; c < nkeys; c++) {
    header_of(keys[c], hdr[c], sizeof hdr[c]);
    h[c] = hdr[c];
  }
  ctl_table_t *t = ctl_table_create(nkeys, h);
  if (t == NULL) return CTL_EXIT_FAILED;
  size_t i;
  const json_t *o;
  static char cells[CTL_TABLE_MAX_COLS][CELL];
  json_array_foreach(arr, i, o) {
    const char *row[CTL_TABLE_MAX_COLS];
    for (size_t c = 0; c < nkeys; c++) row[c] = ctl_cell(o, keys[c], cells[c], CELL);
    if (ctl_table_add(t, row) != 0) {
      ctl_table_destroy(t);
      return CTL_EXIT_FAILED;
    }
  }
  ctl_table_print(t, stdout);
  ctl_table_destroy(t);
  return 0;
}

/* A table of the objects in arr, one column per scalar field any of them
 * has, in the order the API wrote them. */
static int print_objects(const char *title, const json_t *arr, const char *empty) {
  const char *keys[CTL_TABLE_MAX_COLS];
  size_t nkeys = 0, i;
  const json_t *o;
  json_array_foreach(arr, i, o) {
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
      if (json_is_object(v) || json_is_array(v)) continue;
      size_t j = 0;
      while (j < nkeys && strcmp(keys[j], k) != 0) j++;
      if (j == nkeys && nkeys < CTL_TABLE_MAX_COLS) keys[nkeys++] = k;
    }
  }
  if (nkeys == 0 && json_array_size(arr) > 0) keys[nkeys++] = "";
  return print_keys(title, arr, keys, nkeys, empty);
}

/* What an event says beyond its order's state: the fill, the reason, the
 * text, a trading-state change. */
static void event_detail(const json_t *ev, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  const json_t *fill = json_object_get(ev, "fill");
  if (fill)
    n += (size_t)snprintf(out + n, cap - n, "fill %s @ %s fee %s ", str(fill, "qty"),
                          str(fill, "price"), str(fill, "fee"));
  static const char *const keys[] = {"reason", "check", "text", "alarm", "scope_id"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0] && n < cap; i++) {
    const json_t *v = json_object_get(ev, keys[i]);
    if (json_is_string(v) && json_string_value(v)[0])
      n += (size_t)snprintf(out + n, cap - n, "%s=%s ", keys[i], json_string_value(v));
  }
  if (n > 0 && n < cap && out[n - 1] == ' ') out[n - 1] = '\0';
}

#define EVENT_COLS 10
static const char *const event_headers[EVENT_COLS] = {"SEQ",  "TIME", "TYPE",  "ORDER", "SYMBOL",
                                                      "SIDE", "QTY",  "PRICE", "STATE", "DETAIL"};

static void event_row(const json_t *ev, char cells[EVENT_COLS][CELL], const char *row[]) {
  const json_t *o = json_object_get(ev, "order");
  ctl_cell(ev, "seq", cells[0], CELL);
  ctl_cell(ev, "event_ns", cells[1], CELL);
  ctl_cell(ev, "type", cells[2], CELL);
  ctl_cell(o, "order_id", cells[3], CELL);
  ctl_cell(o, "symbol", cells[4], CELL);
  ctl_cell(o, "side", cells[5], CELL);
  ctl_cell(o, "qty", cells[6], CELL);
  ctl_cell(o, "price", cells[7], CELL);
  ctl_cell(o, "state", cells[8], CELL);
  event_detail(ev, cells[9], CELL);
  if (strcmp(cells[0], "0") == 0) cells[0][0] = '\0'; /* transient: no sequence */
  for (int c = 0; c < EVENT_COLS; c++) row[c] = cells[c];
}

static int print_events(const char *title, const json_t *arr, const char *empty) {
  if (title) printf("%s\n", title);
  if (json_array_size(arr) == 0) {
    printf("  %s\n", empty);
    return 0;
  }
  ctl_table_t *t = ctl_table_create(EVENT_COLS, event_headers);
  if (t == NULL) return CTL_EXIT_FAILED;
  static char cells[EVENT_COLS][CELL];
  size_t i;
  const json_t *ev;
  int rc = 0;
  json_array_foreach(arr, i, ev) {
    const char *row[EVENT_COLS];
    event_row(ev, cells, row);
    if (ctl_table_add(t, row) != 0) rc = CTL_EXIT_FAILED;
  }
  ctl_table_print(t, stdout);
  ctl_table_destroy(t);
  return rc;
}

/* One line for an order: what a person checks after submit, modify, cancel. */
static void print_order_line(const json_t *o, const char *note) {
  const char *type = str(o, "type");
  bool priced = strcmp(type, "LIMIT") == 0 || strcmp(type, "STOP_LIMIT") == 0;
  long long id = (long long)json_integer_value(json_object_get(o, "order_id"));
  printf("order %lld %s: %s %s %s %s%s%s %s, account %s, client order id %s%s\n", id,
         str(o, "state"), str(o, "side"), str(o, "qty"), str(o, "symbol"), type,
         priced ? " @ " : "", priced ? str(o, "price") : "", str(o, "tif"), str(o, "account_id"),
         str(o, "client_order_id"), note ? note : "");
  const char *rc = str(o, "reject_code");
  if (rc[0]) printf("  rejected: %s: %s\n", rc, str(o, "reject_reason"));
}

static int id_arg(const char *s) {
  char err[ERRLEN];
  if (ctl_check_uint("order id", s, err, sizeof err) != 0 || strcmp(s, "0") == 0)
    return ctl_usage_error("order id: \"%s\" is not an order id (a positive number)", s);
  return 0;
}

/* ---- order commands -------------------------------------------------------- */

static const ctl_opt_t submit_opts[] = {
    {"account", 'a', true, "account to trade for (required)", NULL},
    {"symbol", 's', true, "instrument", NULL},
    {"side", 0, true, "BUY or SELL", NULL},
    {"qty", 0, true, "quantity (a decimal)", NULL},
    {"price", 'p', true, "limit price (makes the order LIMIT unless --type says otherwise)", NULL},
    {"type", 't', true, "MARKET, LIMIT, STOP or STOP_LIMIT", NULL},
    {"stop-price", 0, true, "stop price (STOP, STOP_LIMIT)", NULL},
    {"tif", 0, true, "time in force: DAY (default), GTC, IOC, FOK, GTD", NULL},
    {"expire-ns", 0, true, "GTD expiry, nanoseconds since the epoch", "NS"},
    {"venue", 0, true, "venue (default: the instrument's)", NULL},
    {"strategy", 0, true, "strategy id (default: the token's name)", NULL},
    {"client-order-id", 'c', true,
     "your id for the order (default: generated; a replay is "
     "answered with the same order)",
     "ID"},
    {"metadata", 0, true, "free text kept with the order", "TEXT"},
    {"quiet", 'q', false, "print the order id only", NULL},
};

static int cmd_submit(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN], side[16], type[16], tif[16], clid[64];
  const char *v_side = opt(cmd, a, "side"), *v_qty = opt(cmd, a, "qty");
  const char *v_sym = opt(cmd, a, "symbol"), *v_px = opt(cmd, a, "price");
  /* The short form: SIDE QTY SYMBOL [PRICE]. */
  const char **slots[] = {&v_side, &v_qty, &v_sym, &v_px};
  static const char *const names[] = {"side", "qty", "symbol", "price"};
  for (size_t i = 0; i < a->npos; i++) {
    if (*slots[i] != NULL)
      return ctl_usage_error("submit: the %s is given twice (argument and --%s)", names[i],
                             names[i]);
    *slots[i] = a->pos[i];
  }
  const char *account = opt(cmd, a, "account");
  if (account == NULL) return ctl_usage_error("submit: --account is required");
  if (v_side == NULL || v_qty == NULL || v_sym == NULL)
    return ctl_usage_error("submit: the side, qty and symbol are required (omsctl submit --help)");
  if (check(ctl_norm_side(v_side, side, sizeof side, err, sizeof err), err)) return CTL_EXIT_USAGE;
  if (check(ctl_check_decimal("qty", v_qty, err, sizeof err), err)) return CTL_EXIT_USAGE;
  if (v_px && check(ctl_check_decimal("price", v_px, err, sizeof err), err)) return CTL_EXIT_USAGE;
  const char *v_stop = opt(cmd, a, "stop-price");
  if (v_stop && check(ctl_check_decimal("stop-price", v_stop, err, sizeof err), err))
    return CTL_EXIT_USAGE;
  const char *v_type = opt(cmd, a, "type");
  if (v_type == NULL)
    v_type = v_px ? (v_stop ? "STOP_LIMIT" : "LIMIT") : (v_stop ? "STOP" : "MARKET");
  if (check(ctl_norm_type(v_type, type, sizeof type, err, sizeof err), err)) return CTL_EXIT_USAGE;
  const char *v_tif = opt(cmd, a, "tif");
  if (v_tif && check(ctl_norm_tif(v_tif, tif, sizeof tif, err, sizeof err), err))
    return CTL_EXIT_USAGE;
  const char *v_exp = opt(cmd, a, "expire-ns");
  if (v_exp && check(ctl_check_uint("expire-ns", v_exp, err, sizeof err), err))
    return CTL_EXIT_USAGE;
  const char *v_clid = opt(cmd, a, "client-order-id");
  if (v_clid == NULL) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(clid, sizeof clid, "ctl-%lld%03ld-%ld", (long long)tv.tv_sec,
             (long)(tv.tv_usec / 1000), (long)getpid());
    v_clid = clid;
  }

  json_t *b = json_object();
  json_object_set_new(b, "client_order_id", json_string(v_clid));
  json_object_set_new(b, "account", json_string(account));
  json_object_set_new(b, "symbol", json_string(v_sym));
  json_object_set_new(b, "side", json_string(side));
  json_object_set_new(b, "type", json_string(type));
  json_object_set_new(b, "qty", json_string(v_qty));
  if (v_px) json_object_set_new(b, "price", json_string(v_px));
  if (v_stop) json_object_set_new(b, "stop_price", json_string(v_stop));
  if (v_tif) json_object_set_new(b, "tif", json_string(tif));
  if (v_exp) json_object_set_new(b, "expire_ns", json_integer(strtoll(v_exp, NULL, 10)));
  const char *v;
  if ((v = opt(cmd, a, "venue"))) json_object_set_new(b, "venue", json_string(v));
  if ((v = opt(cmd, a, "strategy"))) json_object_set_new(b, "strategy", json_string(v));
  if ((v = opt(cmd, a, "metadata"))) json_object_set_new(b, "metadata", json_string(v));

  ctl_resp_t r;
  int rc = call(x, "POST", "/v1/orders", b, &r);
  json_decref(b);
  const json_t *o = json_object_get(r.json, "order");
  if (!x->json && o) {
    if (flag(cmd, a, "quiet") && rc == 0)
      printf("%lld\n", (long long)json_integer_value(json_object_get(o, "order_id")));
    else if (!flag(cmd, a, "quiet"))
      print_order_line(o, json_is_true(json_object_get(r.json, "duplicate"))
                              ? " (a replay: this client order id was submitted before)"
                              : NULL);
  }
  ctl_resp_clear(&r);
  return rc;
}

static const ctl_opt_t cancel_opts[] = {{"quiet", 'q', false, "print nothing on success", NULL}};

static int cmd_cancel(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  for (size_t i = 0; i < a->npos; i++)
    if (id_arg(a->pos[i])) return CTL_EXIT_USAGE;
  int worst = 0;
  for (size_t i = 0; i < a->npos; i++) {
    char path[64];
    ctl_resp_t r;
    snprintf(path, sizeof path, "/v1/orders/%s", a->pos[i]);
    int rc = call(x, "DELETE", path, NULL, &r);
    const json_t *o = json_object_get(r.json, "order");
    if (rc == 0 && !x->json && o && !flag(cmd, a, "quiet")) print_order_line(o, NULL);
    ctl_resp_clear(&r);
    if (rc > worst) worst = rc;
  }
  return worst;
}

static const ctl_opt_t modify_opts[] = {
    {"qty", 0, true, "new quantity", NULL},
    {"price", 'p', true, "new limit price", NULL},
    {"stop-price", 0, true, "new stop price", NULL},
};

static int cmd_modify(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN], path[64];
  if (id_arg(a->pos[0])) return CTL_EXIT_USAGE;
  static const char *const fields[][2] = {
      {"qty", "qty"}, {"price", "price"}, {"stop-price", "stop_price"}};
  json_t *b = json_object();
  for (size_t i = 0; i < 3; i++) {
    const char *v = opt(cmd, a, fields[i][0]);
    if (v == NULL) continue;
    if (ctl_check_decimal(fields[i][0], v, err, sizeof err) != 0) {
      json_decref(b);
      return ctl_usage_error("%s", err);
    }
    json_object_set_new(b, fields[i][1], json_string(v));
  }
  if (json_object_size(b) == 0) {
    json_decref(b);
    return ctl_usage_error("modify: give at least one of --qty, --price, --stop-price");
  }
  snprintf(path, sizeof path, "/v1/orders/%s", a->pos[0]);
  ctl_resp_t r;
  int rc = call(x, "PATCH", path, b, &r);
  const json_t *o = json_object_get(r.json, "order");
  if (rc == 0 && !x->json && o) {
    /* The order shows its values until the venue confirms the replace. */
    char note[256] = " (asked:";
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
      size_t n = strlen(note);
      snprintf(note + n, sizeof note - n, " %s %s", k, json_string_value(v));
    }
    strncat(note, ")", sizeof note - strlen(note) - 1);
    print_order_line(o, note);
  }
  json_decref(b);
  ctl_resp_clear(&r);
  return rc;
}

static const ctl_opt_t scope_opts[] = {
    {"account", 'a', true, "only this account's orders", NULL},
    {"strategy", 0, true, "only this strategy's orders", NULL},
    {"symbol", 's', true, "only orders in this instrument", NULL},
    {"venue", 0, true, "only orders at this venue", NULL},
};

static int cmd_cancel_all(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  json_t *b = json_object();
  for (size_t i = 0; i < cmd->nopts; i++)
    if (a->val[i]) json_object_set_new(b, cmd->opts[i].name, json_string(a->val[i]));
  ctl_resp_t r;
  int rc = call(x, "POST", "/v1/orders/cancel-all", b, &r);
  json_decref(b);
  if (rc == 0 && !x->json) {
    long long n = (long long)json_integer_value(json_object_get(r.json, "cancelled"));
    printf("cancel requested for %lld open order%s\n", n, n == 1 ? "" : "s");
  }
  ctl_resp_clear(&r);
  return rc;
}

static const ctl_opt_t orders_opts[] = {
    {"state", 0, true, "states, comma separated, or open / terminal", NULL},
    {"account", 'a', true, "account", NULL},
    {"strategy", 0, true, "strategy", NULL},
    {"symbol", 's', true, "instrument", NULL},
    {"venue", 0, true, "venue", NULL},
    {"from-ns", 0, true, "created at or after (ns since the epoch)", "NS"},
    {"to-ns", 0, true, "created before (ns since the epoch)", "NS"},
    {"after-id", 0, true, "page: orders with an id above this", "ID"},
    {"limit", 'n', true, "page size (default 100, at most 1000)", "N"},
    {"all", 0, false, "every page, not just the first", NULL},
};

/* A query parameter read from an option: GET's name, the option's. */
typedef struct page_filter_s {
  const char *param, *option;
} page_filter_t;

/* GETs base with the filters and paging options (after-id, limit, all),
 * appending each page's array `key` to *items and leaving the last page's
 * next_after_id in *next and the first page's as_of_seq in *as_of (when
 * the list has one; else *as_of is left NULL). --all follows next_after_id
 * with pages of 1000. Returns as call(); with --json a refusal's body is
 * printed. */
static int get_pages(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a, const char *base,
                     const page_filter_t *f, size_t nf, const char *key, json_t *items,
                     json_t **next, json_t **as_of) {
  bool all = flag(cmd, a, "all"), json = x->json;
  char after[32] = "";
  if (opt(cmd, a, "after-id")) snprintf(after, sizeof after, "%s", opt(cmd, a, "after-id"));
  int rc = 0;
  x->json = false; /* the caller prints the whole list once */
  for (;;) {
    char path[2048];
    snprintf(path, sizeof path, "%s", base);
    for (size_t i = 0; i < nf; i++)
      query_add(path, sizeof path, f[i].param, opt(cmd, a, f[i].option));
    query_add(path, sizeof path, "after_id", after[0] ? after : NULL);
    query_add(path, sizeof path, "limit",
              opt(cmd, a, "limit") ? opt(cmd, a, "limit")
              : all                ? "1000"
                                   : NULL);
    ctl_resp_t r;
    rc = call(x, "GET", path, NULL, &r);
    if (rc != 0) {
      if (json && r.len > 0) printf("%s%s", r.body, r.body[r.len - 1] == '\n' ? "" : "\n");
      ctl_resp_clear(&r);
      break;
    }
    json_array_extend(items, json_object_get(r.json, key));
    if (*as_of == NULL) *as_of = json_incref(json_object_get(r.json, "as_of_seq"));
    json_decref(*next);
    *next = json_incref(json_object_get(r.json, "next_after_id"));
    ctl_resp_clear(&r);
    if (!all || !json_is_integer(*next)) break;
    snprintf(after, sizeof after, "%lld", (long long)json_integer_value(*next));
  }
  x->json = json;
  return rc;
}

static const char *const order_cols[] = {"order_id",   "client_order_id",
                                         "account_id", "strategy_id",
                                         "symbol",     "side",
                                         "type",       "tif",
                                         "qty",        "price",
                                         "filled_qty", "avg_px",
                                         "state",      "updated_ns"};

static int cmd_orders(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN];
  static const char *const nums[] = {"from-ns", "to-ns", "after-id", "limit"};
  for (size_t i = 0; i < 4; i++) {
    const char *v = opt(cmd, a, nums[i]);
    if (v && check(ctl_check_uint(nums[i], v, err, sizeof err), err)) return CTL_EXIT_USAGE;
  }
  static const page_filter_t filters[] = {
      {"state", "state"}, {"account", "account"}, {"strategy", "strategy"}, {"symbol", "symbol"},
      {"venue", "venue"}, {"from_ns", "from-ns"}, {"to_ns", "to-ns"}};
  bool json = x->json;
  json_t *orders = json_array(), *next = NULL, *as_of = NULL;
  int rc = get_pages(x, cmd, a, "/v1/orders", filters, sizeof filters / sizeof filters[0], "orders",
                     orders, &next, &as_of);
  if (rc == 0) {
    if (json) {
      /* as_of_seq: `omsctl events --follow --after` it keeps the list live
       * with no gap (docs/admin-api.md, GET /v1/orders). */
      json_t *doc = json_pack("{s:O,s:O,s:O}", "orders", orders, "next_after_id",
                              next ? next : json_null(), "as_of_seq", as_of ? as_of : json_null());
      char *s = json_dumps(doc, JSON_COMPACT);
      if (s) printf("%s\n", s);
      free(s);
      json_decref(doc);
    } else {
      rc = print_keys(NULL, orders, order_cols, sizeof order_cols / sizeof order_cols[0],
                      "(no orders)");
      if (json_is_integer(next))
        printf("(more: --after-id %lld, or --all)\n", (long long)json_integer_value(next));
    }
  }
  json_decref(next);
  json_decref(as_of);
  json_decref(orders);
  return rc;
}

static int cmd_order(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  (void)cmd;
  char path[64];
  if (id_arg(a->pos[0])) return CTL_EXIT_USAGE;
  snprintf(path, sizeof path, "/v1/orders/%s", a->pos[0]);
  ctl_resp_t r;
  int rc = call(x, "GET", path, NULL, &r);
  if (rc == 0 && !x->json) {
    const json_t *o = json_object_get(r.json, "order");
    static const char *const h[] = {"FIELD", "VALUE"};
    ctl_table_t *t = ctl_table_create(2, h);
    const char *k;
    const json_t *v;
    char cell[CELL];
    json_object_foreach((json_t *)o, k, v) {
      const char *row[2] = {k, ctl_cell(o, k, cell, sizeof cell)};
      if (t) ctl_table_add(t, row);
    }
    if (t) ctl_table_print(t, stdout);
    ctl_table_destroy(t);
    printf("\n");
    rc = print_events("audit trail", json_object_get(r.json, "events"), "(no events)");
    printf("\n");
    static const char *const fill_cols[] = {"exec_id", "qty",       "price",
                                            "fee",     "liquidity", "event_ns"};
    if (rc == 0)
      rc = print_keys("fills", json_object_get(r.json, "fills"), fill_cols, 6, "(no fills)");
  }
  ctl_resp_clear(&r);
  return rc;
}

/* ---- views ----------------------------------------------------------------- */

static const ctl_opt_t positions_opts[] = {{"account", 'a', true, "only this account", NULL}};

static int cmd_positions(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char path[256] = "/v1/positions";
  query_add(path, sizeof path, "account", opt(cmd, a, "account"));
  ctl_resp_t r;
  int rc = call(x, "GET", path, NULL, &r);
  if (rc == 0 && !x->json) {
    rc = print_objects("positions", json_object_get(r.json, "positions"), "(no positions)");
    printf("\n");
    if (rc == 0)
      rc = print_objects("accounts", json_object_get(r.json, "accounts"), "(no accounts)");
  }
  ctl_resp_clear(&r);
  return rc;
}

/* Limits one row per (scope, id, limit): the set of limits differs by scope. */
static int print_limits(const json_t *arr) {
  printf("limits\n");
  static const char *const h[] = {"SCOPE", "ID", "LIMIT", "VALUE"};
  ctl_table_t *t = ctl_table_create(4, h);
  if (t == NULL) return CTL_EXIT_FAILED;
  size_t i;
  const json_t *o;
  char cell[CELL];
  json_array_foreach(arr, i, o) {
    const json_t *lim = json_object_get(o, "limits");
    const json_t *src = lim ? lim : o;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)src, k, v) {
      if (!lim && (strcmp(k, "scope") == 0 || strcmp(k, "id") == 0)) continue;
      const char *row[4] = {str(o, "scope"), str(o, "id"), k, ctl_cell(src, k, cell, sizeof cell)};
      ctl_table_add(t, row);
    }
  }
  if (ctl_table_rows(t) == 0)
    printf("  (no limits)\n");
  else
    ctl_table_print(t, stdout);
  ctl_table_destroy(t);
  return 0;
}

/* Each limit change: "key old -> new" for every key it set. */
static int print_changes(const json_t *arr) {
  printf("limit changes\n");
  if (json_array_size(arr) == 0) {
    printf("  (none)\n");
    return 0;
  }
  static const char *const h[] = {"SEQ", "AT", "WHO", "SCOPE", "ID", "CHANGE", "REASON"};
  ctl_table_t *t = ctl_table_create(7, h);
  if (t == NULL) return CTL_EXIT_FAILED;
  size_t i;
  const json_t *c;
  json_array_foreach(arr, i, c) {
    char seq[32], at[64], change[CELL] = "", oldv[CELL];
    const json_t *nw = json_object_get(c, "new"), *old = json_object_get(c, "old");
    const char *k;
    const json_t *v;
    size_t n = 0;
    json_object_foreach((json_t *)nw, k, v) {
      char nv[CELL];
      ctl_cell(old, k, oldv, sizeof oldv);
      ctl_cell(nw, k, nv, sizeof nv);
      if (n < sizeof change)
        n += (size_t)snprintf(change + n, sizeof change - n, "%s%s %s -> %s", n ? ", " : "", k,
                              oldv[0] ? oldv : "(inherited)", nv);
    }
    const char *row[7] = {ctl_cell(c, "seq", seq, sizeof seq),
                          ctl_cell(c, "at_ns", at, sizeof at),
                          str(c, "who"),
                          str(c, "scope"),
                          str(c, "id"),
                          change,
                          str(c, "reason")};
    ctl_table_add(t, row);
  }
  ctl_table_print(t, stdout);
  ctl_table_destroy(t);
  return 0;
}

/* One row per book (the firm first): its account and scalar fields, with
 * the scenario P&L of a stress row flattened into one column each. */
static json_t *model_rows(const json_t *body) {
  json_t *rows = json_array();
  const json_t *accts = json_object_get(body, "accounts");
  for (size_t i = 0; i <= json_array_size(accts); i++) {
    const json_t *src = i == 0 ? json_object_get(body, "firm") : json_array_get(accts, i - 1);
    json_t *row = json_object();
    json_object_set_new(row, "account", json_string(i == 0 ? "(firm)" : str(src, "account")));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v) {
      if (strcmp(k, "account") == 0) continue;
      if (json_is_object(v)) {
        const char *sk;
        json_t *sv;
        json_object_foreach(v, sk, sv) json_object_set(row, sk, sv);
      } else {
        json_object_set(row, k, v);
      }
    }
    json_array_append_new(rows, row);
  }
  return rows;
}

/* risk var | risk stress: the market risk model's numbers per account. */
static int risk_model(ctl_ctx_t *x, const char *what) {
  char path[32];
  snprintf(path, sizeof path, "/v1/risk/%s", what);
  ctl_resp_t r;
  int rc = call(x, "GET", path, NULL, &r);
  if (rc == 0 && !x->json) {
    json_t *rows = model_rows(r.json);
    rc = print_objects(strcmp(what, "var") == 0 ? "value at risk" : "stress scenarios", rows,
                       "(no accounts)");
    json_decref(rows);
  }
  ctl_resp_clear(&r);
  return rc;
}

static int cmd_risk(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  (void)cmd;
  if (a->npos == 1) {
    if (strcmp(a->pos[0], "var") != 0 && strcmp(a->pos[0], "stress") != 0)
      return ctl_usage_error("risk: \"%s\" is not var or stress", a->pos[0]);
    return risk_model(x, a->pos[0]);
  }
  ctl_resp_t r;
  int rc = call(x, "GET", "/v1/risk", NULL, &r);
  if (rc == 0 && !x->json) {
    print_objects("trading states", json_object_get(r.json, "trading_states"), "(none)");
    printf("\n");
    print_limits(json_object_get(r.json, "limits"));
    printf("\n");
    print_objects("usage", json_object_get(r.json, "usage"), "(no usage yet)");
    printf("\n");
    print_changes(json_object_get(r.json, "changes"));
  }
  ctl_resp_clear(&r);
  return rc;
}

static const ctl_opt_t limits_opts[] = {
    {"reason", 'r', true, "why (kept with the change)", "TEXT"},
};

static int cmd_limits(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN], scope[16];
  const char *sub = a->npos ? a->pos[0] : "show";
  ctl_resp_t r;
  int rc;
  if (strcmp(sub, "show") == 0 || strcmp(sub, "changes") == 0) {
    if (a->npos > 1) return ctl_usage_error("limits %s: takes no arguments", sub);
    bool show = strcmp(sub, "show") == 0;
    rc = call(x, "GET", show ? "/v1/risk" : "/v1/risk/limits/changes", NULL, &r);
    if (rc == 0 && !x->json) {
      if (show)
        print_limits(json_object_get(r.json, "limits"));
      else
        print_changes(json_object_get(r.json, "changes"));
    }
    ctl_resp_clear(&r);
    return rc;
  }
  if (strcmp(sub, "set") != 0)
    return ctl_usage_error("limits: \"%s\" is not show, set or changes", sub);
  if (a->npos < 3)
    return ctl_usage_error("limits set: SCOPE [ID] KEY=VALUE... (omsctl limits --help)");
  if (check(ctl_norm_scope(a->pos[1], scope, sizeof scope, err, sizeof err), err))
    return CTL_EXIT_USAGE;
  size_t i = 2;
  const char *id = "";
  if (strcmp(scope, "GLOBAL") != 0) {
    if (strchr(a->pos[2], '='))
      return ctl_usage_error("limits set %s: the %s id comes before the limits", scope, scope);
    id = a->pos[2];
    i = 3;
  }
  if (i >= a->npos) return ctl_usage_error("limits set: no KEY=VALUE given");
  json_t *lim = json_object();
  for (; i < a->npos; i++) {
    if (ctl_limit_pair(a->pos[i], lim, err, sizeof err) != 0) {
      json_decref(lim);
      return ctl_usage_error("%s", err);
    }
  }
  json_t *b = json_pack("{s:s,s:o}", "scope", scope, "limits", lim);
  if (id[0]) json_object_set_new(b, "id", json_string(id));
  const char *reason = opt(cmd, a, "reason");
  if (reason) json_object_set_new(b, "reason", json_string(reason));
  rc = call(x, "PUT", "/v1/risk/limits", b, &r);
  json_decref(b);
  if (rc == 0 && !x->json) {
    json_t *arr = json_array();
    json_array_append(arr, json_object_get(r.json, "change"));
    print_changes(arr);
    json_decref(arr);
  }
  ctl_resp_clear(&r);
  return rc;
}

static const ctl_opt_t state_opts[] = {
    {"reason", 'r', true, "why (logged and kept with the change)", "TEXT"},
};

/* halt, reduce-only, resume: the trading state a scope moves to. */
static int set_state(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a, const char *state) {
  char err[ERRLEN], scope[16] = "GLOBAL";
  if (a->npos > 0) {
    if (check(ctl_norm_scope(a->pos[0], scope, sizeof scope, err, sizeof err), err))
      return CTL_EXIT_USAGE;
    if (strcmp(scope, "SYMBOL") == 0)
      return ctl_usage_error("%s: a trading state is set per GLOBAL, ACCOUNT or STRATEGY",
                             cmd->name);
  }
  bool global = strcmp(scope, "GLOBAL") == 0;
  if (global && a->npos > 1) return ctl_usage_error("%s: GLOBAL takes no id", cmd->name);
  if (!global && a->npos < 2) return ctl_usage_error("%s: %s needs an id", cmd->name, scope);
  json_t *b = json_pack("{s:s,s:s}", "scope", scope, "state", state);
  if (!global) json_object_set_new(b, "id", json_string(a->pos[1]));
  const char *reason = opt(cmd, a, "reason");
  if (reason) json_object_set_new(b, "reason", json_string(reason));
  ctl_resp_t r;
  int rc = call(x, "POST", "/v1/trading-state", b, &r);
  json_decref(b);
  if (rc == 0 && !x->json) {
    const char *id = str(r.json, "id");
    printf("%s%s%s: %s -> %s\n", str(r.json, "scope"), id[0] ? " " : "", id,
           str(r.json, "previous"), str(r.json, "state"));
  }
  ctl_resp_clear(&r);
  return rc;
}

static int cmd_halt(ctl_ctx_t *x, const ctl_cmd_t *c, const ctl_args_t *a) {
  return set_state(x, c, a, "HALTED");
}
static int cmd_reduce_only(ctl_ctx_t *x, const ctl_cmd_t *c, const ctl_args_t *a) {
  return set_state(x, c, a, "REDUCE_ONLY");
}
static int cmd_resume(ctl_ctx_t *x, const ctl_cmd_t *c, const ctl_args_t *a) {
  return set_state(x, c, a, "ACTIVE");
}

static int cmd_sessions(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  (void)cmd, (void)a;
  ctl_resp_t r;
  int rc = call(x, "GET", "/v1/sessions", NULL, &r);
  if (rc == 0 && !x->json) {
    print_objects("FIX sessions", json_object_get(r.json, "fix_sessions"), "(none configured)");
    printf("\n");
    /* A venue's own FIX session (a FIX venue) is shown as its sequence numbers. */
    json_t *venues = json_deep_copy(json_object_get(r.json, "venues"));
    size_t i;
    json_t *v;
    json_array_foreach(venues, i, v) {
      const json_t *s = json_object_get(v, "session");
      if (!json_is_object(s)) continue;
      char in[32], out[32];
      ctl_cell(s, "next_in", in, sizeof in);
      ctl_cell(s, "next_out", out, sizeof out);
      json_object_set_new(v, "session_logged_on",
                          json_boolean(json_is_true(json_object_get(s, "logged_on"))));
      json_object_set_new(v, "session_next_in", json_string(in));
      json_object_set_new(v, "session_next_out", json_string(out));
    }
    rc = print_objects("venues", venues, "(none)");
    json_decref(venues);
  }
  ctl_resp_clear(&r);
  return rc;
}

static const ctl_opt_t events_opts[] = {
    {"after", 0, true, "start after this event sequence number", "SEQ"},
    {"limit", 'n', true, "at most this many (without --follow; default 100, at most 1000)", "N"},
    {"follow", 'f', false, "stream events as they happen until Ctrl-C (reconnects by itself)",
     NULL},
};

typedef struct follow_s {
  bool json;
  bool header_done;
} follow_t;

static void on_follow(const char *id, const char *event, const char *data, void *ctx) {
  follow_t *f = ctx;
  (void)id, (void)event;
  if (f->json) {
    printf("%s\n", data);
    fflush(stdout);
    return;
  }
  json_t *ev = json_loads(data, 0, NULL);
  if (ev == NULL) return;
  static char cells[EVENT_COLS][CELL];
  const char *row[EVENT_COLS];
  event_row(ev, cells, row);
  /* A stream can not be sized to its content: fixed widths, wide enough
   * for the usual values. */
  static const int w[EVENT_COLS] = {8, 23, 22, 7, 9, 4, 12, 12, 16, 0};
  char line[2048];
  size_t n = 0;
  if (!f->header_done) {
    for (int c = 0; c < EVENT_COLS && n < sizeof line; c++)
      n += (size_t)snprintf(line + n, sizeof line - n, "%-*s%s", c + 1 < EVENT_COLS ? w[c] : 0,
                            event_headers[c], c + 1 < EVENT_COLS ? "  " : "");
    f->header_done = true;
  }
  for (int c = 0; c < EVENT_COLS && n < sizeof line; c++)
    n += (size_t)snprintf(line + n, sizeof line - n, "%s%-*s  ", c == 0 && n ? "\n" : "", w[c],
                          row[c]);
  if (n >= sizeof line) n = sizeof line - 1;
  while (n > 0 && line[n - 1] == ' ') n--;
  line[n] = '\0';
  puts(line);
  fflush(stdout);
  json_decref(ev);
}

static int cmd_events(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN];
  const char *after = opt(cmd, a, "after"), *limit = opt(cmd, a, "limit");
  if (after && check(ctl_check_uint("after", after, err, sizeof err), err)) return CTL_EXIT_USAGE;
  if (limit && check(ctl_check_uint("limit", limit, err, sizeof err), err)) return CTL_EXIT_USAGE;
  if (flag(cmd, a, "follow")) {
    if (limit) return ctl_usage_error("events: --limit does not go with --follow");
    follow_t f = {.json = x->json};
    return ctl_stream(&x->conn, after, on_follow, &f);
  }
  char path[256] = "/v1/events";
  query_add(path, sizeof path, "after", after);
  query_add(path, sizeof path, "limit", limit);
  ctl_resp_t r;
  int rc = call(x, "GET", path, NULL, &r);
  if (rc == 0 && !x->json) {
    rc = print_events(NULL, json_object_get(r.json, "events"), "(no events)");
    const json_t *last = json_object_get(r.json, "last_seq");
    if (json_is_integer(last))
      printf("(last: %lld; next page: --after %lld)\n", (long long)json_integer_value(last),
             (long long)json_integer_value(last));
  }
  ctl_resp_clear(&r);
  return rc;
}

static int cmd_health(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  (void)cmd, (void)a;
  ctl_resp_t alive, ready;
  int rc = ctl_http(&x->conn, "GET", "/healthz", NULL, &alive);
  if (rc != 0) return rc;
  rc = ctl_http(&x->conn, "GET", "/readyz", NULL, &ready);
  if (rc != 0) {
    ctl_resp_clear(&alive);
    return rc;
  }
  if (x->json) {
    json_t *doc = json_pack("{s:O?,s:O?}", "healthz", alive.json, "readyz", ready.json);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (s) printf("%s\n", s);
    free(s);
    json_decref(doc);
  } else {
    printf("omsd    %s\n", x->conn.url);
    printf("alive   %s\n", alive.status == 200 ? "yes" : "no");
    printf("ready   %s", ready.status == 200 ? "yes" : "no");
    const json_t *venues = json_object_get(ready.json, "venues");
    const char *k;
    const json_t *v;
    const char *sep = "  (venues:";
    json_object_foreach((json_t *)venues, k, v) {
      printf("%s %s %s", sep, k, json_is_true(v) ? "up" : "DOWN");
      sep = ",";
    }
    printf("%s\n", sep[0] == ',' ? ")" : "");
  }
  rc = alive.status != 200 ? ctl_resp_check(&x->conn, &alive) : 0;
  if (rc == 0 && ready.status != 200) {
    if (!x->json) fprintf(stderr, "omsctl: omsd is alive but not ready\n");
    rc = ctl_resp_check(&x->conn, &ready);
  }
  ctl_resp_clear(&alive);
  ctl_resp_clear(&ready);
  return rc;
}

/* ---- the command table ---------------------------------------------------- */

/* ---- parent orders ----------------------------------------------------------- */

/* A parent's progress for a table: slices "3/10" (or "" without a schedule),
 * children sent. */
static void parent_cells(json_t *p) {
  const json_t *pr = json_object_get(p, "progress");
  char b[64] = "";
  long long done = (long long)json_integer_value(json_object_get(pr, "slices_done"));
  long long all = (long long)json_integer_value(json_object_get(pr, "slices"));
  if (all > 0) snprintf(b, sizeof b, "%lld/%lld", done, all);
  json_object_set_new(p, "slices", json_string(b));
  json_object_set(p, "children", json_object_get(pr, "children"));
  json_object_set(p, "next_slice_ns", json_object_get(pr, "next_slice_ns"));
}

static const char *const parent_cols[] = {
    "parent_order_id", "client_order_id", "account",   "symbol",     "side",       "algo",
    "status",          "state",           "qty",       "filled_qty", "leaves_qty", "avg_px",
    "slices",          "children",        "updated_ns"};

static const ctl_opt_t parents_opts[] = {
    {"status", 0, true,
     "WAITING, WORKING, COMPLETED, CANCELLED, EXPIRED, HALTED (comma separated), active or "
     "terminal",
     NULL},
    {"account", 'a', true, "account", NULL},
    {"symbol", 's', true, "instrument", NULL},
    {"after-id", 0, true, "page: parents with an id above this", "ID"},
    {"limit", 'n', true, "page size (default 100, at most 1000)", "N"},
    {"all", 0, false, "every page, not just the first", NULL},
};

static int cmd_parents(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN];
  static const char *const nums[] = {"after-id", "limit"};
  for (size_t i = 0; i < 2; i++) {
    const char *v = opt(cmd, a, nums[i]);
    if (v && check(ctl_check_uint(nums[i], v, err, sizeof err), err)) return CTL_EXIT_USAGE;
  }
  static const page_filter_t filters[] = {
      {"status", "status"}, {"account", "account"}, {"symbol", "symbol"}};
  bool json = x->json;
  json_t *list = json_array(), *next = NULL, *as_of = NULL;
  int rc = get_pages(x, cmd, a, "/v1/parents", filters, sizeof filters / sizeof filters[0],
                     "parents", list, &next, &as_of);
  json_decref(as_of); /* parents carry no as_of_seq */
  if (rc == 0 && json) {
    json_t *doc =
        json_pack("{s:O,s:O}", "parents", list, "next_after_id", next ? next : json_null());
    char *t = json_dumps(doc, JSON_COMPACT);
    if (t) printf("%s\n", t);
    free(t);
    json_decref(doc);
  } else if (rc == 0) {
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) parent_cells(p);
    rc = print_keys(NULL, list, parent_cols, sizeof parent_cols / sizeof parent_cols[0],
                    "(no parent orders)");
    if (json_is_integer(next))
      printf("(more: --after-id %lld, or --all)\n", (long long)json_integer_value(next));
  }
  json_decref(next);
  json_decref(list);
  return rc;
}

static const ctl_opt_t parent_opts[] = {
    {"account", 'a', true, "submit: account to trade for (required)", NULL},
    {"price", 'p', true, "submit: limit price; modify: new limit price", NULL},
    {"qty", 0, true, "modify: new quantity", NULL},
    {"tif", 0, true, "submit: DAY (default) or GTC", NULL},
    {"venue", 0, true, "submit: venue (default: the instrument's)", NULL},
    {"strategy", 0, true, "submit: strategy id (default: the token's name)", NULL},
    {"client-order-id", 'c', true, "submit: your id for the parent (default: generated)", "ID"},
    {"after-id", 0, true, "show: children with an id above this", "ID"},
    {"limit", 'n', true, "show: children per page (default 100)", "N"},
    {"quiet", 'q', false, "submit: print the parent's id only; cancel, modify: nothing", NULL},
};

/* "10s", "500ms", "2m", "1h" as ns into *ns; false when s is not one. */
static bool duration_ns(const char *s, long long *ns) {
  char *end;
  long long v = strtoll(s, &end, 10);
  if (end == s || v < 0) return false;
  long long unit = strcmp(end, "ms") == 0  ? 1000000LL
                   : strcmp(end, "s") == 0 ? 1000000000LL
                   : strcmp(end, "m") == 0 ? 60000000000LL
                   : strcmp(end, "h") == 0 ? 3600000000000LL
                                           : 0;
  if (unit == 0 || v > 9000000000000000000LL / unit) return false;
  *ns = v * unit;
  return true;
}

/* NAME=VALUE into params, the JSON value docs/omsctl.md describes: "+DUR"
 * is now + DUR in ns, "DUR" a duration in ns, an integer an integer,
 * true/false a boolean, a profile "1,2,3" an array, anything else a
 * string (the FIX form). */
static int param_pair(const char *pair, json_t *params) {
  const char *eq = strchr(pair, '=');
  if (eq == NULL || eq == pair)
    return ctl_usage_error("parent submit: \"%s\" is not NAME=VALUE (docs/algos.md names them)",
                           pair);
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(eq - pair), pair);
  const char *v = eq + 1;
  long long ns;
  char *end;
  json_t *val;
  if (v[0] == '+' && duration_ns(v + 1, &ns)) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    val = json_integer((long long)tv.tv_sec * 1000000000LL + (long long)tv.tv_usec * 1000 + ns);
  } else if (duration_ns(v, &ns)) {
    val = json_integer(ns);
  } else if (v[0] && (strtoll(v, &end, 10), *end == '\0') && strchr(v, '.') == NULL) {
    val = json_integer(strtoll(v, NULL, 10));
  } else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
    val = json_boolean(strcmp(v, "true") == 0);
  } else if (strcmp(name, "profile") == 0) {
    val = json_array();
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
      json_array_append_new(val, json_string(t));
  } else {
    val = json_string(v);
  }
  json_object_set_new(params, name, val);
  return 0;
}

static int parent_submit(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN], side[16], clid[64], tif[16];
  if (a->npos < 5)
    return ctl_usage_error(
        "parent submit: ALGO SIDE QTY SYMBOL are required (omsctl parent --help)");
  const char *algo = a->pos[1], *qty = a->pos[3], *sym = a->pos[4];
  const char *account = opt(cmd, a, "account"), *px = opt(cmd, a, "price");
  if (account == NULL) return ctl_usage_error("parent submit: --account is required");
  if (check(ctl_norm_side(a->pos[2], side, sizeof side, err, sizeof err), err))
    return CTL_EXIT_USAGE;
  if (check(ctl_check_decimal("qty", qty, err, sizeof err), err)) return CTL_EXIT_USAGE;
  if (px && check(ctl_check_decimal("price", px, err, sizeof err), err)) return CTL_EXIT_USAGE;
  const char *v_tif = opt(cmd, a, "tif");
  if (v_tif && check(ctl_norm_tif(v_tif, tif, sizeof tif, err, sizeof err), err))
    return CTL_EXIT_USAGE;
  json_t *params = json_object();
  for (size_t i = 5; i < a->npos; i++)
    if (param_pair(a->pos[i], params) != 0) {
      json_decref(params);
      return CTL_EXIT_USAGE;
    }
  const char *v_clid = opt(cmd, a, "client-order-id");
  if (v_clid == NULL) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(clid, sizeof clid, "ctlp-%lld%03ld-%ld", (long long)tv.tv_sec,
             (long)(tv.tv_usec / 1000), (long)getpid());
    v_clid = clid;
  }
  char up[32];
  size_t n = 0;
  for (; algo[n] && n + 1 < sizeof up; n++)
    up[n] = (char)(algo[n] >= 'a' && algo[n] <= 'z' ? algo[n] - 'a' + 'A' : algo[n]);
  up[n] = '\0';
  json_t *b =
      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "client_order_id", v_clid, "account", account,
                "symbol", sym, "side", side, "qty", qty, "algo", up, "params", params);
  if (px) json_object_set_new(b, "price", json_string(px));
  if (v_tif) json_object_set_new(b, "tif", json_string(tif));
  const char *v;
  if ((v = opt(cmd, a, "venue"))) json_object_set_new(b, "venue", json_string(v));
  if ((v = opt(cmd, a, "strategy"))) json_object_set_new(b, "strategy", json_string(v));
  ctl_resp_t r;
  int rc = call(x, "POST", "/v1/parents", b, &r);
  json_decref(b);
  const json_t *o = json_object_get(r.json, "order");
  if (!x->json && o && rc == 0) {
    if (flag(cmd, a, "quiet"))
      printf("%lld\n", (long long)json_integer_value(json_object_get(o, "order_id")));
    else
      printf("parent %lld %s: %s %s %s %s, account %s, client order id %s%s\n",
             (long long)json_integer_value(json_object_get(o, "order_id")), str(o, "state"), up,
             str(o, "side"), str(o, "qty"), str(o, "symbol"), str(o, "account_id"),
             str(o, "client_order_id"),
             json_is_true(json_object_get(r.json, "duplicate")) ? " (a replay)" : "");
  }
  ctl_resp_clear(&r);
  return rc;
}

static int parent_show(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  char err[ERRLEN], path[256];
  if (id_arg(a->pos[1])) return CTL_EXIT_USAGE;
  static const char *const nums[] = {"after-id", "limit"};
  for (size_t i = 0; i < 2; i++) {
    const char *v = opt(cmd, a, nums[i]);
    if (v && check(ctl_check_uint(nums[i], v, err, sizeof err), err)) return CTL_EXIT_USAGE;
  }
  snprintf(path, sizeof path, "/v1/parents/%s", a->pos[1]);
  query_add(path, sizeof path, "after_id", opt(cmd, a, "after-id"));
  query_add(path, sizeof path, "limit", opt(cmd, a, "limit"));
  ctl_resp_t r;
  int rc = call(x, "GET", path, NULL, &r);
  if (rc == 0 && !x->json) {
    json_t *p = json_object_get(r.json, "parent");
    parent_cells(p);
    static const char *const h[] = {"FIELD", "VALUE"};
    ctl_table_t *t = ctl_table_create(2, h);
    const char *k;
    json_t *v;
    char cell[CELL];
    json_object_foreach(p, k, v) {
      if (json_is_object(v)) continue;
      const char *row[2] = {k, ctl_cell(p, k, cell, sizeof cell)};
      if (t) ctl_table_add(t, row);
    }
    /* the parameters, one a line: "params.end_ns" */
    json_object_foreach(json_object_get(p, "params"), k, v) {
      char key[80], when[40], *val = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      snprintf(key, sizeof key, "params.%s", k);
      /* the times (not slice_ns, a duration) as UTC */
      bool time = (strcmp(k, "start_ns") == 0 || strcmp(k, "end_ns") == 0) && json_is_integer(v);
      if (time) ctl_time_str((long long)json_integer_value(v), when, sizeof when);
      const char *row[2] = {key, time                ? when
                                 : json_is_string(v) ? json_string_value(v)
                                 : val               ? val
                                                     : ""};
      if (t) ctl_table_add(t, row);
      free(val);
    }
    if (t) ctl_table_print(t, stdout);
    ctl_table_destroy(t);
    printf("\n");
    static const char *const child_cols[] = {
        "order_id", "child_seq",  "client_order_id", "side",  "type",      "qty",
        "price",    "filled_qty", "avg_px",          "state", "updated_ns"};
    rc = print_keys("children", json_object_get(r.json, "children"), child_cols,
                    sizeof child_cols / sizeof child_cols[0], "(no children yet)");
    const json_t *nx = json_object_get(r.json, "next_children_after_id");
    if (json_is_integer(nx)) printf("(more: --after-id %lld)\n", (long long)json_integer_value(nx));
  }
  ctl_resp_clear(&r);
  return rc;
}

static int parent_change(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a, bool cancel) {
  char err[ERRLEN], path[64];
  if (a->npos != 2) return ctl_usage_error("parent %s: one ID", cancel ? "cancel" : "modify");
  if (id_arg(a->pos[1])) return CTL_EXIT_USAGE;
  json_t *b = NULL;
  if (!cancel) {
    const char *q = opt(cmd, a, "qty"), *p = opt(cmd, a, "price");
    if (q == NULL && p == NULL) return ctl_usage_error("parent modify: give --qty or --price");
    if (q && check(ctl_check_decimal("qty", q, err, sizeof err), err)) return CTL_EXIT_USAGE;
    if (p && check(ctl_check_decimal("price", p, err, sizeof err), err)) return CTL_EXIT_USAGE;
    b = json_object();
    if (q) json_object_set_new(b, "qty", json_string(q));
    if (p) json_object_set_new(b, "price", json_string(p));
  }
  snprintf(path, sizeof path, "/v1/parents/%s", a->pos[1]);
  ctl_resp_t r;
  int rc = call(x, cancel ? "DELETE" : "PATCH", path, b, &r);
  json_decref(b);
  const json_t *o = json_object_get(r.json, "order");
  if (rc == 0 && !x->json && o && !flag(cmd, a, "quiet"))
    printf("parent %lld %s: %s %s %s, filled %s\n",
           (long long)json_integer_value(json_object_get(o, "order_id")), str(o, "state"),
           str(o, "side"), str(o, "qty"), str(o, "symbol"), str(o, "filled_qty"));
  ctl_resp_clear(&r);
  return rc;
}

static int cmd_parent(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  const char *sub = a->pos[0];
  if (strcmp(sub, "submit") == 0) return parent_submit(x, cmd, a);
  if (a->npos < 2) return ctl_usage_error("parent %s: an ID is required", sub);
  if (strcmp(sub, "show") == 0 && a->npos == 2) return parent_show(x, cmd, a);
  if (strcmp(sub, "cancel") == 0) return parent_change(x, cmd, a, true);
  if (strcmp(sub, "modify") == 0) return parent_change(x, cmd, a, false);
  return ctl_usage_error("parent: \"%s\" is not show ID, submit, cancel ID or modify ID", sub);
}

/* ---- best execution ------------------------------------------------------------ */

static int cmd_bestex(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a) {
  (void)cmd;
  char path[96];
  if (id_arg(a->pos[0])) return CTL_EXIT_USAGE;
  snprintf(path, sizeof path, "/v1/parents/%s/best-execution", a->pos[0]);
  ctl_resp_t r;
  int rc = call(x, "GET", path, NULL, &r);
  if (rc == 0 && !x->json) {
    json_t *b = json_object_get(r.json, "best_execution");
    static const char *const h[] = {"FIELD", "VALUE"};
    ctl_table_t *t = ctl_table_create(2, h);
    const char *k;
    json_t *v;
    char cell[CELL];
    json_object_foreach(b, k, v) {
      if (json_is_array(v)) continue;
      const char *row[2] = {k, ctl_cell(b, k, cell, sizeof cell)};
      if (t) ctl_table_add(t, row);
    }
    if (t) ctl_table_print(t, stdout);
    ctl_table_destroy(t);
    printf("\n");
    static const char *const venue_cols[] = {"venue", "fills",    "children",
                                             "qty",   "notional", "fees"};
    rc = print_keys("venues", json_object_get(b, "venues"), venue_cols,
                    sizeof venue_cols / sizeof venue_cols[0], "(no venue took a child)");
  }
  ctl_resp_clear(&r);
  return rc;
}

#define OPTS(o) o, sizeof o / sizeof o[0]
#define NOOPTS NULL, 0

const ctl_cmd_t ctl_cmds[] = {
    {"submit", cmd_submit, "[SIDE QTY SYMBOL [PRICE]] --account ACC [options]",
     "place an order (POST /v1/orders)",
     "Prints the order (its id first) as omsd took it. A refusal (risk, validation,\n"
     "halted trading) exits 5 and names the reason.\n"
     "Example: omsctl submit buy 10 AAPL 190.5 --account ACC1\n",
     OPTS(submit_opts), 0, 4},
    {"cancel", cmd_cancel, "ID...", "cancel orders (DELETE /v1/orders/ID)",
     "Exits 5 when an order is already done or pending (409), 7 when there is no such order.\n",
     OPTS(cancel_opts), 1, CTL_MAX_POS},
    {"modify", cmd_modify, "ID [--qty Q] [--price P] [--stop-price S]",
     "change an open order's quantity or prices (PATCH /v1/orders/ID)", "", OPTS(modify_opts), 1,
     1},
    {"cancel-all", cmd_cancel_all, "[--account A] [--strategy S] [--symbol X] [--venue V]",
     "cancel every open order in a scope (POST /v1/orders/cancel-all)",
     "Without a scope an admin token cancels every open order; a trade token its accounts'.\n",
     OPTS(scope_opts), 0, 0},
    {"orders", cmd_orders, "[filters]", "list orders (GET /v1/orders)",
     "Example: omsctl orders --state open --account ACC1\n", OPTS(orders_opts), 0, 0},
    {"order", cmd_order, "ID", "one order with its audit trail and fills (GET /v1/orders/ID)", "",
     NOOPTS, 1, 1},
    {"parents", cmd_parents, "[filters]",
     "list parent orders with their progress (GET /v1/parents)",
     "Example: omsctl parents --status active --account ACC1\n", OPTS(parents_opts), 0, 0},
    {"parent", cmd_parent,
     "show ID | submit ALGO SIDE QTY SYMBOL [NAME=VALUE...] --account ACC | cancel ID | modify "
     "ID",
     "one parent order: its progress and children, or submit, cancel, modify one "
     "(/v1/parents)",
     "ALGO is TWAP, VWAP, POV, ICEBERG, SNIPER, TRAILING_STOP, MIT or LIT; NAME=VALUE are\n"
     "its parameters as docs/algos.md names them. A value \"+DUR\" (DUR: 500ms, 10s, 5m,\n"
     "2h) is now plus DUR, a DUR alone a duration (both in ns, as start_ns, end_ns and\n"
     "slice_ns take them); a profile is \"1,2,3\"; anything else goes as written (FIX form).\n"
     "A refused parameter exits 5 with the reason the FIX gateway gives (ALGO_...).\n"
     "Example: omsctl parent submit TWAP buy 100 AAPL --account ACC1 --price 191 \\\n"
     "           end_ns=+10m slice_ns=30s aggression=MID\n",
     OPTS(parent_opts), 1, CTL_MAX_POS},
    {"bestex", cmd_bestex, "ID",
     "a smart parent's best-execution record (GET /v1/parents/ID/best-execution)",
     "Arrival bid and ask across the venues, what filled, the average price, the price\n"
     "improvement against the arrival price (Rule 605), the effective spread, fees, and\n"
     "per venue the fills, children, quantity, notional and fees (docs/routing.md).\n"
     "Exits 7 while the parent is working (the record is written when it ends).\n",
     NOOPTS, 1, 1},
    {"positions", cmd_positions, "[--account A]",
     "positions, marks and PnL per account (GET /v1/positions)", "", OPTS(positions_opts), 0, 0},
    {"risk", cmd_risk, "[var | stress]",
     "trading states, limits, usage per scope and limit changes (GET /v1/risk)",
     "risk var: parametric and historical VaR of the firm and each account\n"
     "(GET /v1/risk/var); risk stress: each scenario's P&L and the worst loss\n"
     "(GET /v1/risk/stress). Both need the riskmodel group (docs/config.md); without\n"
     "it omsd answers 409 and omsctl exits 5.\n",
     NOOPTS, 0, 1},
    {"limits", cmd_limits, "[show | changes | set SCOPE [ID] KEY=VALUE... [--reason TEXT]]",
     "show the risk limits, their changes, or change them (PUT /v1/risk/limits)",
     "SCOPE is GLOBAL, ACCOUNT, STRATEGY or SYMBOL; every scope but GLOBAL takes an id.\n"
     "KEY is a limit as the configuration names it (docs/config.md): max_order_qty,\n"
     "max_order_notional, max_position, daily_loss, order_rate_account, ...\n"
     "Example: omsctl limits set ACCOUNT ACC1 max_order_qty=500 --reason \"new desk\"\n",
     OPTS(limits_opts), 0, CTL_MAX_POS},
    {"halt", cmd_halt, "[SCOPE ID] [--reason TEXT]",
     "refuse new orders and modifies in a scope (cancels still go)",
     "SCOPE is GLOBAL (the default), ACCOUNT or STRATEGY, with an id but for GLOBAL.\n"
     "Example: omsctl halt ACCOUNT ACC2 --reason \"limit breach\"\n",
     OPTS(state_opts), 0, 2},
    {"reduce-only", cmd_reduce_only, "[SCOPE ID] [--reason TEXT]",
     "accept only orders that reduce a position in a scope", "", OPTS(state_opts), 0, 2},
    {"resume", cmd_resume, "[SCOPE ID] [--reason TEXT]", "make a scope ACTIVE again", "",
     OPTS(state_opts), 0, 2},
    {"sessions", cmd_sessions, "", "FIX sessions and venues (GET /v1/sessions)", "", NOOPTS, 0, 0},
    {"events", cmd_events, "[--after SEQ] [--limit N] [--follow]",
     "the event log, or the live stream with --follow (GET /v1/events[/stream])",
     "--follow prints each event as it happens until Ctrl-C (exit 0); after a dropped\n"
     "connection it reconnects by itself and resumes after the last event it printed\n"
     "(Last-Event-ID), so no event is missed or printed twice. With --json: one event\n"
     "per line (the API's event JSON).\n",
     OPTS(events_opts), 0, 0},
    {"health", cmd_health, "", "is omsd alive and ready (GET /healthz and /readyz)",
     "Exits 0 when ready, 6 when alive but not ready (recovering, a venue not reconciled),\n"
     "3 when omsd cannot be reached. Needs no token.\n",
     NOOPTS, 0, 0},
};
const size_t ctl_ncmds = sizeof ctl_cmds / sizeof ctl_cmds[0];
