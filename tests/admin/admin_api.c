/*
 * admin_api.c - the admin HTTP API through its interface: a real omsd
 * (tests/admin/admin.conf: free ports, a fresh data directory) driven with
 * libcurl, every answer checked with jansson.
 *
 *   admin_api OMSD CONFIG WORKDIR
 *
 * Checks, in order: health and readiness; tokens and roles (401, 403); an
 * order's life (POST, GET one with its audit trail, GET the list with
 * filters and paging, PATCH, DELETE, an idempotent replay); cancel-all
 * confined to a trade token's accounts; the trading states (REDUCE_ONLY,
 * HALTED refusing orders with the reason, ACTIVE again); malformed
 * requests, each a 4xx naming the problem with nothing changed; unknown
 * ids and routes, wrong methods, bodies over 64 KiB; slow clients (idle
 * sockets up to the per-address and total limits, half a request): the
 * core still answers orders at once (over HTTP from another address, and
 * over FIX with every HTTP slot taken), and the server closes them after
 * admin.idle_timeout_s; then TLS on a second omsd with a certificate made
 * by openssl. Prints "admin_api: ok" at the end; exits 1 at the first
 * failure with omsd's log.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OPS "ops-secret-change-me"
#define TRADER "trader1-secret-change-me"
#define VIEWER "viewer-secret-change-me"

static const char *g_omsd, *g_conf, *g_work;
static char g_log[1024];
static pid_t g_pid = -1;
static char g_base[128]; /* http://127.0.0.1:PORT */
static int g_port;
static int g_fix_port;
static const char *g_cainfo; /* TLS: the certificate to trust */
static const char *g_source; /* the local address to connect from (NULL: any) */
static int g_checks;

static void dump_log(void) {
  FILE *f = fopen(g_log, "r");
  if (f == NULL) return;
  char line[2048];
  fprintf(stderr, "--- omsd log (%s)\n", g_log);
  while (fgets(line, sizeof line, f) != NULL) fputs(line, stderr);
  fclose(f);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  dump_log();
  if (g_pid > 0) kill(g_pid, SIGKILL);
  exit(1);
}

#define CHECK(cond, ...)            \
  do {                              \
    g_checks++;                     \
    if (!(cond)) fail(__VA_ARGS__); \
  } while (0)

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- omsd ------------------------------------------------------------------------ */

/* Starts omsd on conf with free ports and its own data directory under
 * g_work/name; returns once the log names the admin port. */
static void start_omsd(const char *conf, const char *name) {
  char data[1024];
  snprintf(data, sizeof data, "%s/%s-data", g_work, name);
  snprintf(g_log, sizeof g_log, "%s/%s.log", g_work, name);
  g_pid = fork();
  if (g_pid < 0) fail("fork: %s", strerror(errno));
  if (g_pid == 0) {
    int fd = open(g_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(127);
    dup2(fd, 2);
    execl(g_omsd, g_omsd, "--config", conf, "--port", "0", "--admin-port", "0", "--data-dir", data,
          "--durability", "os", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 200; i++) {
    FILE *f = fopen(g_log, "r");
    char line[2048];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
      if (strstr(line, "msg=\"no admin API") != NULL) {
        g_port = 0;
        fclose(f);
        return;
      }
      const char *fp = strstr(line, "msg=listening ");
      if (fp != NULL && (fp = strstr(fp, " port=")) != NULL) g_fix_port = atoi(fp + 6);
      const char *p = strstr(line, "msg=\"admin listening\"");
      if (p != NULL && (p = strstr(p, " port=")) != NULL) {
        g_port = atoi(p + 6);
        fclose(f);
        snprintf(g_base, sizeof g_base, "%s://127.0.0.1:%d", g_cainfo ? "https" : "http", g_port);
        return;
      }
    }
    if (f != NULL) fclose(f);
    int st;
    if (waitpid(g_pid, &st, WNOHANG) == g_pid) {
      g_pid = -1;
      fail("omsd exited at start");
    }
    usleep(50 * 1000);
  }
  fail("omsd did not log its admin port within 10 s");
}

static void stop_omsd(void) {
  kill(g_pid, SIGTERM);
  int st = 0;
  int64_t t0 = now_ms();
  while (waitpid(g_pid, &st, WNOHANG) == 0) {
    if (now_ms() - t0 > 10000) fail("omsd did not stop within 10 s of SIGTERM");
    usleep(20 * 1000);
  }
  pid_t pid = g_pid;
  g_pid = -1;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail("omsd %d exited with status %d", pid, st);
}

static bool log_has(const char *s) {
  FILE *f = fopen(g_log, "r");
  char line[2048];
  bool found = false;
  while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
    found = strstr(line, s) != NULL;
  if (f != NULL) fclose(f);
  return found;
}

/* ---- HTTP --------------------------------------------------------------------------- */

typedef struct buf_s {
  char *p;
  size_t n;
} buf_t;

static size_t on_data(char *p, size_t sz, size_t n, void *ctx) {
  buf_t *b = ctx;
  char *q = realloc(b->p, b->n + sz * n + 1);
  if (q == NULL) return 0;
  memcpy(q + b->n, p, sz * n);
  b->p = q;
  b->n += sz * n;
  b->p[b->n] = '\0';
  return sz * n;
}

typedef struct resp_s {
  long status;
  json_t *json; /* NULL unless the body is JSON */
  char *text;
  int64_t ms;
} resp_t;

static void resp_free(resp_t *r) {
  json_decref(r->json);
  free(r->text);
  memset(r, 0, sizeof *r);
}

/* method path with token (NULL: none) and body (NULL: none). */
static resp_t http_raw(const char *method, const char *path, const char *token, const char *body,
                       size_t body_len, const char *extra_header) {
  /* One handle for the whole test: its connections are kept alive and
   * reused, as a real client's are (a connection closed by the client
   * still counts against the per-address limit until the server's thread
   * for it has ended, so a new connection per request would race that). */
  static CURL *c;
  if (c == NULL)
    c = curl_easy_init();
  else
    curl_easy_reset(c);
  char url[512], auth[256];
  snprintf(url, sizeof url, "%s%s", g_base, path);
  struct curl_slist *h = NULL;
  if (token != NULL) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (body != NULL) h = curl_slist_append(h, "Content-Type: application/json");
  if (extra_header != NULL) h = curl_slist_append(h, extra_header);
  buf_t b = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  if (g_source != NULL) curl_easy_setopt(c, CURLOPT_INTERFACE, g_source);
  if (g_cainfo != NULL) curl_easy_setopt(c, CURLOPT_CAINFO, g_cainfo);
  if (body != NULL) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
  }
  int64_t t0 = now_ms();
  CURLcode rc = curl_easy_perform(c);
  resp_t r = {0};
  r.ms = now_ms() - t0;
  if (rc != CURLE_OK) {
    r.status = -1;
    r.text = strdup(curl_easy_strerror(rc));
  } else {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    r.text = b.p != NULL ? b.p : strdup("");
    b.p = NULL;
    r.json = json_loads(r.text, 0, NULL);
  }
  free(b.p);
  curl_slist_free_all(h);
  return r;
}

static resp_t http(const char *method, const char *path, const char *token, const char *body) {
  return http_raw(method, path, token, body, body != NULL ? strlen(body) : 0, NULL);
}

/* The request must answer status with the error code (NULL: no check). */
static resp_t expect(const char *method, const char *path, const char *token, const char *body,
                     long status, const char *code) {
  resp_t r = http(method, path, token, body);
  CHECK(r.status == status, "%s %s: status %ld, wanted %ld: %s", method, path, r.status, status,
        r.text);
  if (code != NULL) {
    const char *got = json_string_value(json_object_get(json_object_get(r.json, "error"), "code"));
    CHECK(got != NULL && strcmp(got, code) == 0, "%s %s: code %s, wanted %s: %s", method, path,
          got ? got : "(none)", code, r.text);
    const char *msg =
        json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
    CHECK(msg != NULL && msg[0] != '\0', "%s %s: no message: %s", method, path, r.text);
  }
  return r;
}

static void expect_free(const char *method, const char *path, const char *token, const char *body,
                        long status, const char *code) {
  resp_t r = expect(method, path, token, body, status, code);
  resp_free(&r);
}

/* The error message must name what is wrong. */
static void expect_named(const char *method, const char *path, const char *token, const char *body,
                         long status, const char *code, const char *named) {
  resp_t r = expect(method, path, token, body, status, code);
  const char *msg = json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
  CHECK(strstr(msg, named) != NULL, "%s %s: the message does not name %s: %s", method, path, named,
        msg);
  resp_free(&r);
}

/* Every order, as the API lists them: what must not change on a 4xx. */
static json_t *all_orders(void) {
  resp_t r = expect("GET", "/v1/orders?limit=1000", VIEWER, NULL, 200, NULL);
  json_t *o = json_incref(json_object_get(r.json, "orders"));
  resp_free(&r);
  return o;
}

static uint64_t submit(const char *token, const char *clid, const char *account, const char *symbol,
                       const char *side, const char *qty, const char *price) {
  char body[512];
  snprintf(body, sizeof body,
           "{\"client_order_id\":\"%s\",\"account\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\","
           "\"type\":\"LIMIT\",\"qty\":\"%s\",\"price\":\"%s\"}",
           clid, account, symbol, side, qty, price);
  resp_t r = expect("POST", "/v1/orders", token, body, 201, NULL);
  json_t *o = json_object_get(r.json, "order");
  uint64_t id = (uint64_t)json_integer_value(json_object_get(o, "order_id"));
  CHECK(id > 0, "no order id: %s", r.text);
  resp_free(&r);
  return id;
}

static const char *order_state(uint64_t id) {
  static char state[32];
  char path[64];
  snprintf(path, sizeof path, "/v1/orders/%llu", (unsigned long long)id);
  resp_t r = expect("GET", path, VIEWER, NULL, 200, NULL);
  snprintf(state, sizeof state, "%s",
           json_string_value(json_object_get(json_object_get(r.json, "order"), "state")));
  resp_free(&r);
  return state;
}

static size_t count_orders(const char *query) {
  char path[256];
  snprintf(path, sizeof path, "/v1/orders?%s", query);
  resp_t r = expect("GET", path, VIEWER, NULL, 200, NULL);
  size_t n = json_array_size(json_object_get(r.json, "orders"));
  resp_free(&r);
  return n;
}

/* Waits (2 s at most) until no order waits for its venue, so that counts by
 * state do not depend on how fast the venue answered. */
static void wait_settled(void) {
  for (int i = 0; i < 100; i++) {
    if (count_orders("state=PENDING,SUBMITTED,PENDING_CANCEL,PENDING_REPLACE") == 0) return;
    usleep(20000);
  }
  fail("orders still wait for the venue after 2 s");
}

/* ---- The checks ------------------------------------------------------------------------ */

static void check_health(void) {
  resp_t r = expect("GET", "/healthz", NULL, NULL, 200, NULL);
  /* alive, and (since issue 17) the projection's state: live here */
  json_t *st = json_object_get(r.json, "status"), *p = json_object_get(r.json, "projection");
  CHECK(json_is_string(st) && strcmp(json_string_value(st), "alive") == 0, "healthz: %s", r.text);
  CHECK(p != NULL && json_is_string(json_object_get(p, "state")) &&
            strcmp(json_string_value(json_object_get(p, "state")), "live") == 0 &&
            json_is_integer(json_object_get(p, "lag_records")),
        "healthz: %s", r.text);
  resp_free(&r);
  r = expect("GET", "/readyz", NULL, NULL, 200, NULL);
  CHECK(json_is_true(json_object_get(json_object_get(r.json, "venues"), "SIM")), "readyz: %s",
        r.text);
  resp_free(&r);
  r = expect("GET", "/", NULL, NULL, 200, NULL);
  CHECK(strstr(r.text, "<html") != NULL || strstr(r.text, "<!doctype") != NULL ||
            strstr(r.text, "<!DOCTYPE") != NULL,
        "GET / is not the blotter page: %.200s", r.text);
  resp_free(&r);
  expect_free("GET", "/blotter/no-such-file.js", NULL, NULL, 404, "NOT_FOUND");
}

static void check_auth(void) {
  expect_free("GET", "/v1/orders", NULL, NULL, 401, "UNAUTHORIZED");
  expect_free("GET", "/v1/orders", "wrong-token", NULL, 401, "UNAUTHORIZED");
  expect_free("GET", "/v1/orders", OPS "x", NULL, 401, "UNAUTHORIZED");
  expect_free("GET", "/v1/orders", "ops-secret-change-m", NULL, 401, "UNAUTHORIZED");
  /* A query token is for the stream only. */
  expect_free("GET", "/v1/orders?access_token=" VIEWER, NULL, NULL, 401, "UNAUTHORIZED");
  resp_t r = http_raw("GET", "/v1/orders", NULL, NULL, 0, "Authorization: Basic b3BzOnB3");
  CHECK(r.status == 401, "Basic auth: %ld", r.status);
  resp_free(&r);
  const char *order =
      "{\"client_order_id\":\"auth1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
      "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"60000\"}";
  expect_named("POST", "/v1/orders", VIEWER, order, 403, "FORBIDDEN", "trade");
  const char *other =
      "{\"client_order_id\":\"auth2\",\"account\":\"ACC2\",\"symbol\":\"BTC-USD\","
      "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"60000\"}";
  expect_named("POST", "/v1/orders", TRADER, other, 403, "FORBIDDEN", "ACC2");
  expect_free("POST", "/v1/trading-state", TRADER, "{\"scope\":\"GLOBAL\",\"state\":\"HALTED\"}",
              403, "FORBIDDEN");
  CHECK(count_orders("") == 0, "a refused request left an order");
  /* Every refusal is logged with the token's name, never the token. */
  CHECK(log_has("status=403 code=FORBIDDEN") && log_has("token=viewer"),
        "the refusals are not logged");
  CHECK(!log_has(VIEWER) && !log_has(TRADER) && !log_has("wrong-token"), "a token is in the log");
}

static void check_order_life(void) {
  uint64_t id = submit(TRADER, "life1", "ACC1", "BTC-USD", "BUY", "0.01", "60000");
  char path[64], body[256];
  snprintf(path, sizeof path, "/v1/orders/%llu", (unsigned long long)id);
  /* Durable when answered: the store has it with its audit trail. */
  resp_t r = expect("GET", path, VIEWER, NULL, 200, NULL);
  json_t *o = json_object_get(r.json, "order");
  CHECK(strcmp(json_string_value(json_object_get(o, "strategy_id")), "trader1") == 0,
        "strategy defaults to the token name: %s", r.text);
  CHECK(strcmp(json_string_value(json_object_get(o, "venue")), "SIM") == 0,
        "venue defaults to the instrument's: %s", r.text);
  CHECK(strcmp(json_string_value(json_object_get(o, "tif")), "DAY") == 0, "tif DAY: %s", r.text);
  CHECK(strcmp(json_string_value(json_object_get(o, "qty")), "0.01") == 0, "qty: %s", r.text);
  json_t *evs = json_object_get(r.json, "events");
  CHECK(json_array_size(evs) >= 1, "no events: %s", r.text);
  CHECK(strcmp(json_string_value(json_object_get(json_array_get(evs, 0), "type")),
               "OrderSubmitted") == 0,
        "first event: %s", r.text);
  CHECK(json_is_array(json_object_get(r.json, "fills")), "no fills array: %s", r.text);
  resp_free(&r);
  /* In the list, as of the views' last event (read between two reads of
   * the stored events: the views only move forward). */
  r = expect("GET", "/v1/events?after=0&limit=1000", VIEWER, NULL, 200, NULL);
  json_int_t seq_before = json_integer_value(json_object_get(r.json, "last_seq"));
  resp_free(&r);
  r = expect("GET", "/v1/orders", VIEWER, NULL, 200, NULL);
  CHECK(json_array_size(json_object_get(r.json, "orders")) == 1 &&
            json_is_null(json_object_get(r.json, "next_after_id")),
        "list: %s", r.text);
  json_int_t as_of = json_integer_value(json_object_get(r.json, "as_of_seq"));
  resp_free(&r);
  r = expect("GET", "/v1/events?after=0&limit=1000", VIEWER, NULL, 200, NULL);
  json_int_t seq_after = json_integer_value(json_object_get(r.json, "last_seq"));
  resp_free(&r);
  CHECK(as_of >= 1 && seq_before <= as_of && as_of <= seq_after,
        "as_of_seq %lld not between the stored events' last seqs %lld and %lld", (long long)as_of,
        (long long)seq_before, (long long)seq_after);
  /* The same request again: the same order, not a second one. */
  snprintf(body, sizeof body,
           "{\"client_order_id\":\"life1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
           "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"60000\"}");
  r = expect("POST", "/v1/orders", TRADER, body, 200, NULL);
  CHECK(json_is_true(json_object_get(r.json, "duplicate")) &&
            (uint64_t)json_integer_value(
                json_object_get(json_object_get(r.json, "order"), "order_id")) == id,
        "replay: %s", r.text);
  resp_free(&r);
  /* PATCH: pending replace, then the new price. */
  r = expect("PATCH", path, TRADER, "{\"price\":\"60500\"}", 202, NULL);
  resp_free(&r);
  for (int i = 0; i < 100 && strcmp(order_state(id), "ACCEPTED") != 0; i++) usleep(20000);
  r = expect("GET", path, VIEWER, NULL, 200, NULL);
  CHECK(strcmp(json_string_value(json_object_get(json_object_get(r.json, "order"), "price")),
               "60500") == 0,
        "the modify did not take: %s", r.text);
  resp_free(&r);
  expect_named("PATCH", path, TRADER, "{}", 400, "MISSING_FIELD", "qty");
  /* DELETE: cancelled; a second DELETE is a conflict. */
  r = expect("DELETE", path, TRADER, NULL, 202, NULL);
  resp_free(&r);
  for (int i = 0; i < 100 && strcmp(order_state(id), "CANCELLED") != 0; i++) usleep(20000);
  CHECK(strcmp(order_state(id), "CANCELLED") == 0, "not cancelled: %s", order_state(id));
  expect_free("DELETE", path, TRADER, NULL, 409, "CONFLICT");
  expect_free("PATCH", path, TRADER, "{\"qty\":\"0.02\"}", 409, "CONFLICT");
}

static void check_filters_and_paging(void) {
  for (int i = 0; i < 5; i++) {
    char clid[32], px[32];
    snprintf(clid, sizeof clid, "page%d", i);
    snprintf(px, sizeof px, "%d", 59000 + i); /* not duplicates of each other */
    submit(TRADER, clid, "ACC1", "BTC-USD", "BUY", "0.01", px);
  }
  submit(OPS, "eth1", "ACC2", "ETH-USD", "BUY", "0.1", "3000");
  submit(OPS, "eth2", "ACC2", "ETH-USD", "SELL", "0.1", "4000");
  wait_settled();
  /* 1 cancelled + 5 + 2 */
  CHECK(count_orders("") == 8, "all: %zu", count_orders(""));
  CHECK(count_orders("account=ACC2") == 2, "account");
  CHECK(count_orders("symbol=ETH-USD") == 2, "symbol");
  CHECK(count_orders("strategy=ops") == 2, "strategy");
  CHECK(count_orders("venue=SIM") == 8 && count_orders("venue=NOPE") == 0, "venue");
  CHECK(count_orders("state=open") == 7, "open: %zu", count_orders("state=open"));
  CHECK(count_orders("state=terminal") == 1, "terminal");
  CHECK(count_orders("state=CANCELLED") == 1, "CANCELLED");
  CHECK(count_orders("state=ACCEPTED,CANCELLED") == 8, "a list of states");
  CHECK(count_orders("account=ACC1&state=open") == 5, "together");
  CHECK(count_orders("from_ns=1&to_ns=2") == 0, "time range");
  CHECK(count_orders("from_ns=1") == 8, "from");
  /* Pages of three, each after the last id of the one before. */
  size_t total = 0;
  uint64_t after = 0, last = 0;
  for (int page = 0; page < 10; page++) {
    char q[64];
    snprintf(q, sizeof q, "/v1/orders?limit=3&after_id=%llu", (unsigned long long)after);
    resp_t r = expect("GET", q, VIEWER, NULL, 200, NULL);
    json_t *orders = json_object_get(r.json, "orders");
    size_t i;
    json_t *o;
    json_array_foreach(orders, i, o) {
      uint64_t id = (uint64_t)json_integer_value(json_object_get(o, "order_id"));
      CHECK(id > last, "paging: ids not ascending");
      last = id;
      total++;
    }
    json_t *next = json_object_get(r.json, "next_after_id");
    bool end = json_is_null(next);
    after = end ? 0 : (uint64_t)json_integer_value(next);
    resp_free(&r);
    if (end) break;
  }
  CHECK(total == 8, "paging saw %zu orders", total);
  expect_named("GET", "/v1/orders?limit=0", VIEWER, NULL, 400, "BAD_QUERY", "limit");
  expect_named("GET", "/v1/orders?limit=1001", VIEWER, NULL, 400, "BAD_QUERY", "limit");
  expect_named("GET", "/v1/orders?state=BOGUS", VIEWER, NULL, 400, "BAD_QUERY", "BOGUS");
  expect_named("GET", "/v1/orders?from_ns=x", VIEWER, NULL, 400, "BAD_QUERY", "from_ns");
  expect_named("GET", "/v1/orders?after_id=-1", VIEWER, NULL, 400, "BAD_QUERY", "after_id");
  expect_named("GET", "/v1/orders?acount=ACC1", VIEWER, NULL, 400, "BAD_QUERY", "acount");
}

static void check_cancel_all(void) {
  /* trader1 without a scope: its own accounts only (ACC1), never ACC2. */
  resp_t r = expect("POST", "/v1/orders/cancel-all", TRADER, "", 200, NULL);
  CHECK(json_integer_value(json_object_get(r.json, "cancelled")) == 5, "cancel-all: %s", r.text);
  resp_free(&r);
  for (int i = 0; i < 100 && count_orders("account=ACC1&state=open") > 0; i++) usleep(20000);
  CHECK(count_orders("account=ACC1&state=open") == 0, "ACC1 orders left open");
  CHECK(count_orders("account=ACC2&state=open") == 2, "ACC2 orders were cancelled");
  expect_named("POST", "/v1/orders/cancel-all", TRADER, "{\"account\":\"ACC2\"}", 403, "FORBIDDEN",
               "ACC2");
  expect_free("POST", "/v1/orders/cancel-all", VIEWER, "{}", 403, "FORBIDDEN");
  /* Another account's order: not the trade token's to change or cancel. */
  r = expect("GET", "/v1/orders?account=ACC2&limit=1", VIEWER, NULL, 200, NULL);
  char path[64];
  snprintf(path, sizeof path, "/v1/orders/%lld",
           (long long)json_integer_value(
               json_object_get(json_array_get(json_object_get(r.json, "orders"), 0), "order_id")));
  resp_free(&r);
  expect_named("DELETE", path, TRADER, NULL, 403, "FORBIDDEN", "ACC2");
  expect_named("PATCH", path, TRADER, "{\"qty\":\"0.2\"}", 403, "FORBIDDEN", "ACC2");
  expect_free("DELETE", path, VIEWER, NULL, 403, "FORBIDDEN");
  expect_named("POST", "/v1/orders/cancel-all", OPS, "{\"acount\":\"ACC2\"}", 400, "UNKNOWN_FIELD",
               "acount");
  /* A narrower scope: one symbol and side of ACC2 stays untouched by others. */
  r = expect("POST", "/v1/orders/cancel-all", OPS, "{\"account\":\"ACC2\",\"symbol\":\"AAPL\"}",
             200, NULL);
  CHECK(json_integer_value(json_object_get(r.json, "cancelled")) == 0, "scoped: %s", r.text);
  resp_free(&r);
  r = expect("POST", "/v1/orders/cancel-all", OPS, "{\"account\":\"ACC2\"}", 200, NULL);
  CHECK(json_integer_value(json_object_get(r.json, "cancelled")) == 2, "admin: %s", r.text);
  resp_free(&r);
  for (int i = 0; i < 100 && count_orders("state=open") > 0; i++) usleep(20000);
  CHECK(count_orders("state=open") == 0, "orders left open");
}

static void set_state(const char *scope, const char *id, const char *state, const char *previous) {
  char body[256];
  snprintf(body, sizeof body, "{\"scope\":\"%s\"%s%s%s,\"state\":\"%s\",\"reason\":\"test\"}",
           scope, id ? ",\"id\":\"" : "", id ? id : "", id ? "\"" : "", state);
  resp_t r = expect("POST", "/v1/trading-state", OPS, body, 200, NULL);
  CHECK(strcmp(json_string_value(json_object_get(r.json, "state")), state) == 0 &&
            strcmp(json_string_value(json_object_get(r.json, "previous")), previous) == 0 &&
            strcmp(json_string_value(json_object_get(r.json, "scope")), scope) == 0,
        "trading-state %s: %s", body, r.text);
  resp_free(&r);
}

static void check_trading_states(void) {
  uint64_t id = submit(TRADER, "ts1", "ACC1", "BTC-USD", "BUY", "0.01", "60000");
  char path[64];
  snprintf(path, sizeof path, "/v1/orders/%llu", (unsigned long long)id);
  /* REDUCE_ONLY: a buy with no position is refused; the open order may be cancelled. */
  set_state("ACCOUNT", "ACC1", "REDUCE_ONLY", "ACTIVE");
  const char *buy =
      "{\"client_order_id\":\"ts2\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
      "\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"60000\"}";
  resp_t r = expect("POST", "/v1/orders", TRADER, buy, 422, "REJECTED");
  json_t *err = json_object_get(r.json, "error");
  CHECK(strcmp(json_string_value(json_object_get(err, "reason")), "RISK_REDUCE_ONLY") == 0,
        "reduce-only reason: %s", r.text);
  CHECK(strcmp(json_string_value(json_object_get(json_object_get(r.json, "order"), "state")),
               "REJECTED") == 0,
        "the rejected order: %s", r.text);
  resp_free(&r);
  r = expect("DELETE", path, TRADER, NULL, 202, NULL);
  resp_free(&r);
  for (int i = 0; i < 100 && strcmp(order_state(id), "CANCELLED") != 0; i++) usleep(20000);
  set_state("ACCOUNT", "ACC1", "ACTIVE", "REDUCE_ONLY");
  /* HALTED: new orders and modifies refused with the reason, cancels allowed. */
  id = submit(TRADER, "ts3", "ACC1", "BTC-USD", "BUY", "0.01", "58000");
  snprintf(path, sizeof path, "/v1/orders/%llu", (unsigned long long)id);
  set_state("GLOBAL", NULL, "HALTED", "ACTIVE");
  const char *buy4 =
      "{\"client_order_id\":\"ts4\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
      "\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"60000\"}";
  r = expect("POST", "/v1/orders", TRADER, buy4, 422, "REJECTED");
  CHECK(strcmp(json_string_value(json_object_get(json_object_get(r.json, "error"), "reason")),
               "RISK_HALTED") == 0,
        "halted reason: %s", r.text);
  resp_free(&r);
  /* The halt cancels the open orders of its scope; what is left cannot be modified. */
  for (int i = 0; i < 100 && strcmp(order_state(id), "CANCELLED") != 0; i++) usleep(20000);
  r = http("PATCH", path, TRADER, "{\"price\":\"60500\"}");
  CHECK(r.status == 409 || r.status == 422, "PATCH while halted: %ld %s", r.status, r.text);
  resp_free(&r);
  r = http("DELETE", path, TRADER, NULL);
  CHECK(r.status == 202 || r.status == 409, "DELETE while halted: %ld %s", r.status, r.text);
  CHECK(strstr(r.text, "RISK_HALTED") == NULL, "a cancel was refused for the halt: %s", r.text);
  resp_free(&r);
  expect_named("POST", "/v1/trading-state", OPS, "{\"scope\":\"ACCOUNT\",\"state\":\"HALTED\"}",
               400, "MISSING_FIELD", "id");
  expect_named("POST", "/v1/trading-state", OPS,
               "{\"scope\":\"SYMBOL\",\"id\":\"X\",\"state\":"
               "\"HALTED\"}",
               400, "BAD_FIELD", "scope");
  expect_named("POST", "/v1/trading-state", OPS, "{\"scope\":\"GLOBAL\",\"state\":\"STOP\"}", 400,
               "BAD_FIELD", "state");
  set_state("GLOBAL", NULL, "ACTIVE", "HALTED");
  submit(TRADER, "ts5", "ACC1", "BTC-USD", "BUY", "0.01", "58500");
}

static void check_bad_requests(void) {
  json_t *before = all_orders();
  static const struct {
    const char *body, *code, *named;
  } bad[] = {
      {"{", "BAD_JSON", "JSON"},
      {"[1,2]", "BAD_JSON", "object"},
      {"", "BAD_JSON", "JSON"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"60000\",\"colour\":\"red\"}",
       "UNKNOWN_FIELD", "colour"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":1,\"price\":\"60000\"}",
       "BAD_FIELD", "qty"},
      {"{\"client_order_id\":7,\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"60000\"}",
       "BAD_FIELD", "client_order_id"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"1.2.3\",\"price\":\"60000\"}",
       "BAD_DECIMAL", "qty"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"0.000000001\",\"price\":\"60000\"}",
       "BAD_DECIMAL", "qty"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"buy\","
       "\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"60000\"}",
       "BAD_FIELD", "side"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"60000\",\"tif\":\"NEVER\"}",
       "BAD_FIELD", "tif"},
      {"{\"client_order_id\":\"b1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"60000\",\"expire_ns\":\"soon\"}",
       "BAD_FIELD", "expire_ns"},
      {"{\"client_order_id\":\"b 1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\","
       "\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"60000\"}",
       "BAD_FIELD", "client_order_id"},
      {"{\"account\":\"ACC1\",\"symbol\":\"BTC-USD\",\"side\":\"BUY\",\"type\":\"LIMIT\","
       "\"qty\":\"1\",\"price\":\"60000\"}",
       "MISSING_FIELD", "client_order_id"},
      {"{\"client_order_id\":\"b1\",\"client_order_id\":\"b2\",\"account\":\"ACC1\"}", "BAD_JSON",
       "duplicate"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_named("POST", "/v1/orders", TRADER, bad[i].body, 400, bad[i].code, bad[i].named);
  /* The engine refuses what the instrument does not allow: 422 with the reason. */
  resp_t r = expect("POST", "/v1/orders", TRADER,
                    "{\"client_order_id\":\"b2\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
                    "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"60000.3\"}",
                    422, "REJECTED");
  CHECK(strcmp(json_string_value(json_object_get(json_object_get(r.json, "error"), "reason")),
               "TICK_SIZE") == 0,
        "tick: %s", r.text);
  resp_free(&r);
  /* A symbol no venue trades: refused naming the symbol, before any order exists. */
  r = expect("POST", "/v1/orders", TRADER,
             "{\"client_order_id\":\"b3\",\"account\":\"ACC1\",\"symbol\":\"NOPE\","
             "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"1\",\"price\":\"10\"}",
             422, "REJECTED");
  json_t *e = json_object_get(r.json, "error");
  CHECK(strcmp(json_string_value(json_object_get(e, "reason")), "UNKNOWN_INSTRUMENT") == 0 &&
            strstr(json_string_value(json_object_get(e, "message")), "NOPE") != NULL &&
            json_object_get(r.json, "order") == NULL,
        "unknown symbol: %s", r.text);
  resp_free(&r);
  json_decref(before);
  before = all_orders(); /* the rejected order is on record */
  /* 65 KiB: refused before the body is read; chunked: refused at its end. */
  size_t big = 65 * 1024;
  char *body = malloc(big + 1);
  memset(body, ' ', big);
  body[0] = '{';
  body[big - 1] = '}';
  body[big] = '\0';
  r = http_raw("POST", "/v1/orders", TRADER, body, big, NULL);
  CHECK(r.status == 413 && strstr(r.text, "BODY_TOO_LARGE") != NULL, "65 KiB: %ld %s", r.status,
        r.text);
  resp_free(&r);
  r = http_raw("POST", "/v1/orders", TRADER, body, big, "Transfer-Encoding: chunked");
  CHECK(r.status == 413 && strstr(r.text, "BODY_TOO_LARGE") != NULL, "65 KiB chunked: %ld %s",
        r.status, r.text);
  resp_free(&r);
  free(body);
  /* Unknown ids, routes, methods. */
  expect_free("GET", "/v1/orders/999999", VIEWER, NULL, 404, "NOT_FOUND");
  expect_free("GET", "/v1/orders/abc", VIEWER, NULL, 404, "NOT_FOUND");
  expect_free("GET", "/v1/orders/0", VIEWER, NULL, 404, "NOT_FOUND");
  expect_free("DELETE", "/v1/orders/999999", TRADER, NULL, 404, "NOT_FOUND");
  expect_free("PATCH", "/v1/orders/999999", TRADER, "{\"qty\":\"1\"}", 404, "NOT_FOUND");
  expect_free("GET", "/v1/nothing", VIEWER, NULL, 404, "NOT_FOUND");
  expect_free("GET", "/v2/orders", NULL, NULL, 404, "NOT_FOUND");
  r = expect("PUT", "/v1/orders", TRADER, "{}", 405, "METHOD_NOT_ALLOWED");
  resp_free(&r);
  expect_free("DELETE", "/v1/orders", OPS, NULL, 405, "METHOD_NOT_ALLOWED");
  expect_free("GET", "/v1/orders/cancel-all", OPS, NULL, 405, "METHOD_NOT_ALLOWED");
  expect_free("POST", "/healthz", NULL, NULL, 405, "METHOD_NOT_ALLOWED");
  json_t *after = all_orders();
  CHECK(json_equal(before, after), "a refused request changed the orders");
  json_decref(before);
  json_decref(after);
}

/* ---- Slow clients ------------------------------------------------------------------- */

static int connect_from(const char *source) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
  inet_pton(AF_INET, source, &src.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  dst.sin_port = htons((uint16_t)g_port);
  if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
      connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0)
    fail("connect from %s: %s", source, strerror(errno));
  return fd;
}

/* Whether the server closed fd (EOF or reset) within ms. */
static bool closed_within(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, ms) <= 0) return false;
  char b[256];
  ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* A FIX client in a few lines, enough for one order: SOH-separated fields,
 * BodyLength and CheckSum computed here. */
static void fix_send(int fd, const char *type, int seq, const char *body) {
  char ts[32], head[256], msg[1024];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  strftime(ts, sizeof ts, "%Y%m%d-%H:%M:%S", &tm);
  int n = snprintf(head, sizeof head, "35=%s\00134=%d\00149=CLIENT1\00152=%s.%03ld\00156=OMS\001%s",
                   type, seq, ts, now.tv_nsec / 1000000, body);
  int m = snprintf(msg, sizeof msg, "8=FIX.4.4\0019=%d\001%s", n, head);
  unsigned sum = 0;
  for (int i = 0; i < m; i++) sum += (unsigned char)msg[i];
  m += snprintf(msg + m, sizeof msg - (size_t)m, "10=%03u\001", sum % 256);
  CHECK(send(fd, msg, (size_t)m, 0) == m, "FIX send: %s", strerror(errno));
}

/* Reads until a message containing want arrives (ms at most). */
static bool fix_wait(int fd, const char *want, int ms) {
  static char buf[65536];
  size_t n = 0;
  int64_t end = now_ms() + ms;
  while (now_ms() < end) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)(end - now_ms())) <= 0) break;
    ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
    if (k <= 0) break;
    n += (size_t)k;
    buf[n] = '\0';
    if (strstr(buf, want) != NULL) return true;
  }
  return false;
}

/* ---- Parent orders ------------------------------------------------------------------- */

static int64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t submit_parent(const char *clid, const char *qty, int64_t end_ns) {
  char body[512];
  snprintf(body, sizeof body,
           "{\"client_order_id\":\"%s\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
           "\"side\":\"BUY\",\"qty\":\"%s\",\"price\":\"70000\",\"algo\":\"TWAP\","
           "\"params\":{\"end_ns\":%lld,\"slice_ns\":500000000,\"aggression\":\"CROSS\"}}",
           clid, qty, (long long)end_ns);
  resp_t r = expect("POST", "/v1/parents", TRADER, body, 201, NULL);
  json_t *o = json_object_get(r.json, "order");
  uint64_t id = (uint64_t)json_integer_value(json_object_get(o, "order_id"));
  CHECK(id > 0 && json_integer_value(json_object_get(o, "algo")) == 1000,
        "a parent is an order with its algo: %s", r.text);
  json_t *p = json_object_get(r.json, "parent");
  CHECK(p != NULL && strcmp(json_string_value(json_object_get(p, "algo")), "TWAP") == 0 &&
            strcmp(json_string_value(json_object_get(json_object_get(p, "params"), "aggression")),
                   "CROSS") == 0,
        "the answer shows the parent and its parameters: %s", r.text);
  resp_free(&r);
  return id;
}

static json_t *get_parent(uint64_t id, const char *query) {
  char path[128];
  snprintf(path, sizeof path, "/v1/parents/%llu%s", (unsigned long long)id, query);
  resp_t r = expect("GET", path, VIEWER, NULL, 200, NULL);
  json_t *j = json_incref(r.json);
  resp_free(&r);
  return j;
}

static const char *pstatus(json_t *j) {
  return json_string_value(json_object_get(json_object_get(j, "parent"), "status"));
}

/* A refused parent: 422 with the same reason the FIX gateway gives. */
static void expect_refused(const char *algo, const char *params, const char *reason,
                           const char *named) {
  char body[768];
  snprintf(body, sizeof body,
           "{\"client_order_id\":\"bad-%s\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
           "\"side\":\"BUY\",\"qty\":\"0.1\",\"price\":\"70000\",\"algo\":\"%s\","
           "\"params\":%s}",
           reason, algo, params);
  resp_t r = expect("POST", "/v1/parents", TRADER, body, 422, "REJECTED");
  json_t *err = json_object_get(r.json, "error");
  CHECK(strcmp(json_string_value(json_object_get(err, "reason")), reason) == 0 &&
            strstr(json_string_value(json_object_get(err, "message")), named) != NULL,
        "%s %s: wanted %s naming %s: %s", algo, params, reason, named, r.text);
  resp_free(&r);
}

/* A contingent group through POST /v1/orders (docs/groups.md): a bracket's
 * entry with its take-profit and stop-loss; its members are orders of their
 * own (G<group>.<n>); a DELETE of the group order ends it; the group fields
 * are read by the FIX gateway's reader, so the same refusals. */
static void check_groups(void) {
  const char *bracket =
      "{\"client_order_id\":\"brk1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
      "\"side\":\"BUY\",\"type\":\"MARKET\",\"tif\":\"IOC\",\"qty\":\"0.01\","
      "\"contingency\":\"BRACKET\",\"take_profit_price\":\"70000\","
      "\"stop_loss_price\":\"60000\"}";
  resp_t r = expect("POST", "/v1/orders", TRADER, bracket, 201, NULL);
  uint64_t id =
      (uint64_t)json_integer_value(json_object_get(json_object_get(r.json, "order"), "order_id"));
  CHECK(id > 0, "no group order id: %s", r.text);
  resp_free(&r);
  /* the entry fills at once; then both exits rest at the venue */
  char pre[32];
  snprintf(pre, sizeof pre, "G%llu.", (unsigned long long)id);
  size_t members = 0, working = 0;
  for (int i = 0; i < 250 && working < 2; i++) {
    usleep(20000);
    json_t *all = all_orders();
    members = working = 0;
    size_t k;
    json_t *o;
    json_array_foreach(all, k, o) {
      const char *clid = json_string_value(json_object_get(o, "client_order_id"));
      if (clid == NULL || strncmp(clid, pre, strlen(pre)) != 0) continue;
      members++;
      if (strcmp(json_string_value(json_object_get(o, "state")), "ACCEPTED") == 0) working++;
    }
    json_decref(all);
  }
  CHECK(members == 3 && working == 2, "bracket members: %zu, working exits: %zu", members, working);
  char path[64];
  snprintf(path, sizeof path, "/v1/orders/%llu", (unsigned long long)id);
  r = expect("DELETE", path, TRADER, NULL, 202, NULL);
  resp_free(&r);
  for (int i = 0; i < 250 && strcmp(order_state(id), "FILLED") != 0; i++) usleep(20000);
  CHECK(strcmp(order_state(id), "FILLED") == 0, "the group order ended %s", order_state(id));
  expect_named("POST", "/v1/orders", TRADER,
               "{\"client_order_id\":\"oco1\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
               "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"50000\","
               "\"other_leg_price\":\"51000\"}",
               422, "REJECTED", "OtherLegPrice(20105)");
  expect_named("POST", "/v1/orders", TRADER,
               "{\"client_order_id\":\"oco2\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
               "\"side\":\"BUY\",\"type\":\"LIMIT\",\"qty\":\"0.01\",\"price\":\"50000\","
               "\"contingency\":\"SOMETIMES\"}",
               400, "BAD_FIELD", "contingency");
}

static void check_parents(void) {
  int64_t now = wall_ns();
  /* A TWAP over 2 s in 0.5 s slices, crossing: it works to the end. */
  uint64_t id = submit_parent("twap1", "0.02", now + 2000000000LL);
  json_t *j = NULL;
  for (int i = 0; i < 250; i++) {
    json_decref(j);
    j = get_parent(id, "");
    if (strcmp(pstatus(j), "COMPLETED") == 0 &&
        strcmp(json_string_value(json_object_get(json_object_get(j, "parent"), "state")),
               "FILLED") == 0)
      break;
    usleep(20000);
  }
  json_t *p = json_object_get(j, "parent");
  CHECK(strcmp(pstatus(j), "COMPLETED") == 0, "the TWAP did not complete: %s", json_dumps(j, 0));
  CHECK(strcmp(json_string_value(json_object_get(p, "filled_qty")), "0.02") == 0 &&
            strcmp(json_string_value(json_object_get(p, "leaves_qty")), "0") == 0,
        "filled: %s", json_dumps(p, 0));
  json_t *kids = json_object_get(j, "children");
  json_int_t sent = json_integer_value(json_object_get(json_object_get(p, "progress"), "children"));
  CHECK(json_array_size(kids) >= 1 && (json_int_t)json_array_size(kids) == sent,
        "children listed under the parent: %zu of %lld", json_array_size(kids), (long long)sent);
  for (size_t i = 0; i < json_array_size(kids); i++) {
    json_t *c = json_array_get(kids, i);
    CHECK((uint64_t)json_integer_value(json_object_get(c, "parent_order_id")) == id &&
              json_integer_value(json_object_get(c, "child_seq")) >= 1,
          "child %zu: %s", i, json_dumps(c, 0));
  }
  CHECK(strcmp(json_string_value(json_object_get(json_object_get(j, "order"), "state")),
               "FILLED") == 0,
        "the parent's order: %s", json_dumps(j, 0));
  json_decref(j);
  /* children paged */
  if (sent > 1) {
    j = get_parent(id, "?limit=1");
    CHECK(json_array_size(json_object_get(j, "children")) == 1 &&
              json_is_integer(json_object_get(j, "next_children_after_id")),
          "children page: %s", json_dumps(j, 0));
    json_decref(j);
  }

  /* A long one, cancelled: DELETE cancels its children, the parent ends. */
  uint64_t id2 = submit_parent("twap2", "0.05", now + 600000000000LL);
  char path[64];
  snprintf(path, sizeof path, "/v1/parents/%llu", (unsigned long long)id2);
  resp_t r = expect("PATCH", path, TRADER, "{\"qty\":\"0.06\"}", 202, NULL);
  resp_free(&r);
  for (int i = 0; i < 100; i++) {
    j = get_parent(id2, "");
    bool ok = strcmp(json_string_value(json_object_get(json_object_get(j, "parent"), "qty")),
                     "0.06") == 0;
    json_decref(j);
    if (ok) break;
    usleep(20000);
  }
  j = get_parent(id2, "");
  CHECK(
      strcmp(json_string_value(json_object_get(json_object_get(j, "parent"), "qty")), "0.06") == 0,
      "the modify re-planned the parent: %s", json_dumps(j, 0));
  json_decref(j);
  r = expect("DELETE", path, TRADER, NULL, 202, NULL);
  resp_free(&r);
  for (int i = 0; i < 150; i++) {
    j = get_parent(id2, "");
    bool done = strcmp(json_string_value(json_object_get(json_object_get(j, "order"), "state")),
                       "CANCELLED") == 0;
    json_decref(j);
    if (done) break;
    usleep(20000);
  }
  j = get_parent(id2, "");
  CHECK(strcmp(pstatus(j), "CANCELLED") == 0 &&
            strcmp(json_string_value(json_object_get(json_object_get(j, "order"), "state")),
                   "CANCELLED") == 0,
        "the parent is cancelled: %s", json_dumps(j, 0));
  json_decref(j);
  expect_free("DELETE", path, TRADER, NULL, 409, "CONFLICT");

  /* The list: filters and paging. */
  r = expect("GET", "/v1/parents", VIEWER, NULL, 200, NULL);
  CHECK(json_array_size(json_object_get(r.json, "parents")) == 2, "list: %s", r.text);
  resp_free(&r);
  r = expect("GET", "/v1/parents?status=COMPLETED&account=ACC1&symbol=BTC-USD", VIEWER, NULL, 200,
             NULL);
  CHECK(json_array_size(json_object_get(r.json, "parents")) == 1, "by status: %s", r.text);
  resp_free(&r);
  r = expect("GET", "/v1/parents?status=active", VIEWER, NULL, 200, NULL);
  CHECK(json_array_size(json_object_get(r.json, "parents")) == 0, "active: %s", r.text);
  resp_free(&r);
  r = expect("GET", "/v1/parents?limit=1", VIEWER, NULL, 200, NULL);
  CHECK(json_array_size(json_object_get(r.json, "parents")) == 1 &&
            (uint64_t)json_integer_value(json_object_get(r.json, "next_after_id")) == id,
        "page 1: %s", r.text);
  resp_free(&r);
  snprintf(path, sizeof path, "/v1/parents?limit=1&after_id=%llu", (unsigned long long)id);
  r = expect("GET", path, VIEWER, NULL, 200, NULL);
  CHECK(json_array_size(json_object_get(r.json, "parents")) == 1 &&
            json_is_null(json_object_get(r.json, "next_after_id")),
        "page 2: %s", r.text);
  resp_free(&r);
  r = expect("GET", "/v1/parents?order=desc&limit=1", VIEWER, NULL, 200, NULL);
  CHECK((uint64_t)json_integer_value(json_object_get(
            json_array_get(json_object_get(r.json, "parents"), 0), "parent_order_id")) == id2 &&
            (uint64_t)json_integer_value(json_object_get(r.json, "next_after_id")) == id2,
        "newest first: %s", r.text);
  resp_free(&r);
  snprintf(path, sizeof path, "/v1/parents?order=desc&after_id=%llu", (unsigned long long)id2);
  r = expect("GET", path, VIEWER, NULL, 200, NULL);
  CHECK(json_array_size(json_object_get(r.json, "parents")) == 1, "below id2: %s", r.text);
  resp_free(&r);
  expect_named("GET", "/v1/parents?order=up", VIEWER, NULL, 400, "BAD_QUERY", "order");
  expect_named("GET", "/v1/parents?status=DONE", VIEWER, NULL, 400, "BAD_QUERY", "DONE");
  expect_named("GET", "/v1/parents?colour=red", VIEWER, NULL, 400, "BAD_QUERY", "colour");
  expect_named("GET", "/v1/parents/1?limit=0", VIEWER, NULL, 400, "BAD_QUERY", "limit");

  /* Refusals: the reasons and texts of the FIX gateway (docs/algos.md). */
  expect_refused("TWAP", "{\"end_ns\":1000}", "ALGO_END_BEFORE_START", "end_ns");
  expect_refused("POV", "{\"pov_rate\":\"0\"}", "ALGO_PARTICIPATION", "pov_rate");
  expect_refused("TWAP", "{\"colour\":\"red\"}", "ALGO_UNKNOWN_TAG", "colour");
  expect_refused("FOO", "{}", "ALGO_UNKNOWN_STRATEGY", "FOO");
  expect_refused("TWAP", "{\"slice_ns\":1500}", "ALGO_BAD_VALUE", "slice_ns");
  expect_refused("TWAP", "{\"end_ns\":1.5}", "ALGO_BAD_VALUE", "end_ns");
  expect_refused("ICEBERG", "{\"display_qty\":\"1\"}", "ALGO_DISPLAY_ABOVE_QTY", "display_qty");
  expect_refused("TWAP", "{}", "ALGO_MISSING", "end_ns");
  expect_named("POST", "/v1/parents", TRADER,
               "{\"client_order_id\":\"x\",\"account\":\"ACC1\",\"symbol\":\"BTC-USD\","
               "\"side\":\"BUY\",\"qty\":\"1\",\"algo\":\"TWAP\",\"params\":[]}",
               400, "BAD_FIELD", "params");
  expect_named("POST", "/v1/parents", TRADER,
               "{\"client_order_id\":\"x\",\"account\":\"ACC2\",\"symbol\":\"BTC-USD\","
               "\"side\":\"BUY\",\"qty\":\"1\",\"algo\":\"TWAP\",\"params\":{}}",
               403, "FORBIDDEN", "ACC2");
  expect_named("POST", "/v1/parents", VIEWER, "{}", 403, "FORBIDDEN", "trade");
  /* an ordinary order is not a parent */
  uint64_t plain = submit(TRADER, "notparent", "ACC1", "BTC-USD", "BUY", "0.01", "60000");
  snprintf(path, sizeof path, "/v1/parents/%llu", (unsigned long long)plain);
  expect_named("GET", path, VIEWER, NULL, 404, "NOT_FOUND", "parent");
  expect_named("DELETE", path, TRADER, NULL, 404, "NOT_FOUND", "not a parent");
  expect_free("DELETE", "/v1/parents/999999", TRADER, NULL, 404, "NOT_FOUND");
}

static void check_slow_clients(void) {
  /* admin.conf: 8 connections, 4 per address, idle timeout 2 s. Each part
   * from an address of its own, so that the connections of the requests
   * before (from 127.0.0.1, which the server may still be cleaning up) do
   * not count. */
  int fds[8], n = 0;
  for (int i = 0; i < 3; i++) fds[n++] = connect_from("127.0.0.4");
  fds[n] = connect_from("127.0.0.4"); /* half a request, never finished */
  const char *half = "POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bea";
  CHECK(send(fds[n], half, strlen(half), 0) == (ssize_t)strlen(half), "send half");
  n++;
  int64_t t_idle = now_ms();
  usleep(100 * 1000);
  /* The fifth from the same address is turned away at once... */
  int extra = connect_from("127.0.0.4");
  CHECK(closed_within(extra, 1000), "a fifth connection from one address was not refused");
  close(extra);
  /* ...while another address is served, and an order goes through the core at once. */
  g_source = "127.0.0.2";
  int64_t t0 = now_ms();
  uint64_t id = submit(TRADER, "slow1", "ACC1", "BTC-USD", "BUY", "0.01", "57000");
  int64_t took = now_ms() - t0;
  CHECK(took < 1000, "an order took %lld ms beside idle clients", (long long)took);
  for (int i = 0; i < 100 && strcmp(order_state(id), "ACCEPTED") != 0; i++) usleep(20000);
  CHECK(strcmp(order_state(id), "ACCEPTED") == 0, "slow1 not accepted: %s", order_state(id));
  /* Every slot taken (the rest from a third address): the idle ones hold
   * their own threads only; the timeout frees them all. */
  for (; n < 8; n++) fds[n] = connect_from("127.0.0.3");
  /* A FIX order meanwhile: the core answers it at once. */
  int fix = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in fa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_fix_port)};
  inet_pton(AF_INET, "127.0.0.1", &fa.sin_addr);
  CHECK(connect(fix, (struct sockaddr *)&fa, sizeof fa) == 0, "FIX connect: %s", strerror(errno));
  fix_send(fix, "A", 1, "98=0\001108=30\001554=client1-secret\001");
  CHECK(fix_wait(fix, "\00135=A\001", 2000), "no FIX Logon answer beside the idle HTTP clients");
  t0 = now_ms();
  fix_send(fix, "D", 2,
           "11=slowfix\0011=ACC1\00155=BTC-USD\00154=1\00138=0.01\00140=2\00144=56000\00159=0\001"
           "60=20260101-00:00:00.000\001");
  CHECK(fix_wait(fix, "\00111=slowfix\001", 2000), "no execution report for the FIX order");
  took = now_ms() - t0;
  CHECK(took < 1000, "a FIX order took %lld ms with every HTTP slot taken", (long long)took);
  close(fix);
  for (int i = 0; i < n; i++)
    CHECK(closed_within(fds[i], 4000), "idle connection %d was not closed by the timeout", i);
  int64_t waited = now_ms() - t_idle;
  CHECK(waited >= 1500 && waited < 6000, "closed after %lld ms (idle_timeout_s = 2)",
        (long long)waited);
  for (int i = 0; i < n; i++) close(fds[i]);
  g_source = NULL;
  resp_t r = expect("GET", "/readyz", NULL, NULL, 200, NULL);
  CHECK(r.ms < 1000, "readyz took %lld ms after the idle clients", (long long)r.ms);
  resp_free(&r);
}

/* ---- TLS ---------------------------------------------------------------------------- */

/* A smart order over FIX (the FIX session of check_slow_clients, whose
 * next MsgSeqNum is 3): once it ended, its best-execution record. */
static void check_best_execution(void) {
  int fix = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in fa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_fix_port)};
  inet_pton(AF_INET, "127.0.0.1", &fa.sin_addr);
  CHECK(connect(fix, (struct sockaddr *)&fa, sizeof fa) == 0, "FIX connect: %s", strerror(errno));
  fix_send(fix, "A", 3, "98=0\001108=30\001554=client1-secret\001");
  CHECK(fix_wait(fix, "\00135=A\001", 2000), "no FIX Logon answer");
  fix_send(fix, "D", 4,
           "11=smart1\0011=ACC1\00155=BTC-USD\00154=1\00138=0.2\00140=2\00144=70000\00159=3\001"
           "60=20260101-00:00:00.000\001100=SMART\00120110=take\001");
  CHECK(fix_wait(fix, "\00139=2\001", 3000), "the smart order did not fill");
  fix_send(fix, "5", 5, "");
  close(fix);
  uint64_t id = 0;
  for (int tries = 0; id == 0 && tries < 100; tries++) { /* the projection follows */
    resp_t l = expect("GET", "/v1/orders?symbol=BTC-USD&limit=1000", VIEWER, NULL, 200, NULL);
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(l.json, "orders"), k, o) {
      if (strcmp(json_string_value(json_object_get(o, "client_order_id")), "smart1") == 0)
        id = (uint64_t)json_integer_value(json_object_get(o, "order_id"));
    }
    resp_free(&l);
    if (id == 0) usleep(20000);
  }
  CHECK(id > 0, "the smart order is not listed");
  resp_t r;
  char path[96];
  snprintf(path, sizeof path, "/v1/parents/%llu/best-execution", (unsigned long long)id);
  for (int i = 0; i < 100; i++) {
    r = http("GET", path, VIEWER, NULL);
    if (r.status == 200) break;
    resp_free(&r);
    usleep(20000);
  }
  CHECK(r.status == 200, "no best-execution record: %s", r.text);
  json_t *b = json_object_get(r.json, "best_execution");
  CHECK(json_integer_value(json_object_get(b, "parent_order_id")) == (json_int_t)id &&
            strcmp(json_string_value(json_object_get(b, "filled_qty")), "0.2") == 0 &&
            strcmp(json_string_value(json_object_get(b, "side")), "BUY") == 0 &&
            strcmp(json_string_value(json_object_get(b, "account")), "ACC1") == 0 &&
            json_is_string(json_object_get(b, "improvement_px")) &&
            json_is_string(json_object_get(b, "effective_spread_px")),
        "the record: %s", r.text);
  json_t *v = json_array_get(json_object_get(b, "venues"), 0);
  CHECK(v != NULL && strcmp(json_string_value(json_object_get(v, "venue")), "SIM") == 0 &&
            json_integer_value(json_object_get(v, "fills")) >= 1 &&
            strcmp(json_string_value(json_object_get(v, "qty")), "0.2") == 0,
        "the venue rows: %s", r.text);
  resp_free(&r);
  /* the BestExecution event is in the parent's audit trail */
  snprintf(path, sizeof path, "/v1/orders/%llu", (unsigned long long)id);
  r = expect("GET", path, VIEWER, NULL, 200, NULL);
  CHECK(strstr(r.text, "BestExecution") != NULL, "no BestExecution in the trail: %s", r.text);
  resp_free(&r);
  /* an order that is not a smart parent has none; not an id; no parameters */
  expect_free("GET", "/v1/parents/999999/best-execution", VIEWER, NULL, 404, "NOT_FOUND");
  expect_free("GET", "/v1/parents/x/best-execution", VIEWER, NULL, 404, "NOT_FOUND");
  expect_named("GET", "/v1/parents/1/best-execution?x=1", VIEWER, NULL, 400, "BAD_QUERY", "x");
}

static void check_tls(void) {
  char crt[1024], key[1024], cmd[4096], conf[1024];
  snprintf(crt, sizeof crt, "%s/admin.crt", g_work);
  snprintf(key, sizeof key, "%s/admin.key", g_work);
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
           "-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
           key, crt);
  if (system(cmd) != 0) fail("openssl could not make a certificate: %s", cmd);
  /* The test configuration with the certificate and key. */
  FILE *in = fopen(g_conf, "r");
  snprintf(conf, sizeof conf, "%s/admin-tls.conf", g_work);
  FILE *out = fopen(conf, "w");
  if (in == NULL || out == NULL) fail("cannot write %s", conf);
  char line[1024];
  while (fgets(line, sizeof line, in) != NULL) {
    if (strstr(line, "# @TLS@") != NULL)
      fprintf(out, "  tls_cert = \"%s\"; tls_key = \"%s\";\n", crt, key);
    else
      fputs(line, out);
  }
  fclose(in);
  fclose(out);
  g_cainfo = crt;
  start_omsd(conf, "tls");
  CHECK(log_has("tls=yes"), "the TLS server does not say so");
  resp_t r = expect("GET", "/healthz", NULL, NULL, 200, NULL);
  resp_free(&r);
  expect_free("GET", "/v1/orders", NULL, NULL, 401, "UNAUTHORIZED");
  submit(TRADER, "tls1", "ACC1", "BTC-USD", "BUY", "0.01", "60000");
  CHECK(count_orders("") == 1, "TLS: the order is not listed");
  /* Plain HTTP to the TLS port gets no answer. */
  snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d", g_port);
  const char *saved = g_cainfo;
  g_cainfo = NULL;
  r = http("GET", "/healthz", NULL, NULL);
  CHECK(r.status != 200, "plain HTTP was answered on the TLS port");
  resp_free(&r);
  g_cainfo = saved;
  stop_omsd();
}

/* A configuration without the admin group: no API, and the log says so. */
static void check_no_admin_group(void) {
  char conf[1024], line[1024];
  snprintf(conf, sizeof conf, "%s/no-admin.conf", g_work);
  FILE *in = fopen(g_conf, "r"), *out = fopen(conf, "w");
  if (in == NULL || out == NULL) fail("cannot write %s", conf);
  bool in_admin = false;
  while (fgets(line, sizeof line, in) != NULL) {
    if (strncmp(line, "admin = {", 9) == 0) in_admin = true;
    if (!in_admin) fputs(line, out);
    if (in_admin && strncmp(line, "};", 2) == 0) in_admin = false;
  }
  fclose(in);
  fclose(out);
  start_omsd(conf, "no-admin");
  CHECK(g_port == 0 && log_has("msg=\"no admin API: the configuration has no admin group\""),
        "omsd without an admin group did not say there is no API");
  CHECK(!log_has("admin listening"), "omsd without an admin group serves an API");
  stop_omsd();
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: admin_api OMSD CONFIG WORKDIR\n");
    return 2;
  }
  g_omsd = argv[1];
  g_conf = argv[2];
  g_work = argv[3];
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_work, g_work);
  if (system(cmd) != 0) fail("cannot make %s", g_work);
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_ALL);
  int64_t t0 = now_ms();
  start_omsd(g_conf, "plain");
  check_health();
  check_auth();
  check_order_life();
  check_filters_and_paging();
  check_cancel_all();
  check_trading_states();
  check_bad_requests();
  check_parents();
  check_groups();
  check_slow_clients();
  check_best_execution();
  stop_omsd();
  CHECK(log_has("msg=\"admin stopped\""), "no admin stop in the log");
  check_tls();
  check_no_admin_group();
  curl_global_cleanup();
  printf("admin_api: ok (%d checks, %lld ms)\n", g_checks, (long long)(now_ms() - t0));
  return 0;
}
