/*
 * fuzz_admin.c - libFuzzer target for the admin HTTP API as a client
 * reaches it: requests into the route table, the token check, the body
 * rules and every handler (apps/omsd/admin*.c), with a real daemon behind
 * them: omsd_wire on the sample configuration (etc/omsd.conf) with its
 * SQLite store, limits.log and lock in a temporary directory, the
 * simulated venue, risk with the sample limits, the portfolio and the
 * gateway. The admin is the direct one (omsd_admin_create_direct): no
 * sockets, no threads of its own; commands run on this thread, and the
 * engine is polled after each request so that the venue answers.
 *
 * INPUT. Text: one or more requests separated by a line "---"; at most 16
 * are run. A request is a first line "T METHOD URL" and the body after it
 * (everything up to the separator). T picks the Authorization header:
 * '-' none, '0'..'9' the configured token of that index (modulo their
 * number: with the samples 0 ops/admin, 1 trader1/trade on ACC1, 2
 * viewer/read), 'x' a wrong token, 'b' a header that is not Bearer. In the
 * URL, "$ID" stands for the order id of the last order a POST /v1/orders
 * created, so that a seed can modify and cancel its own order. Example:
 *
 *   0 POST /v1/orders
 *   {"client_order_id":"c1","account":"ACC1","symbol":"AAPL","side":"BUY",
 *    "type":"LIMIT","qty":"10","price":"190"}
 *   ---
 *   0 DELETE /v1/orders/$ID
 *
 * The seeds (fuzz/corpus/fuzz_admin/) are one valid request (or short
 * conversation) per route.
 *
 * Whatever arrives: nothing crashes, leaks or hangs, and every answer is a
 * status from 200 to 599 with a body; a JSON answer of 4xx/5xx is
 * {"error":{"code","message"}} with a code of the error table, and a 2xx
 * JSON answer has no "error". The daemon lives across inputs (starting
 * one costs far more than a request) and is built again every RENEW
 * inputs, so that what requests accumulate (orders, events, limit
 * changes, a halted trading state) stays bounded. FUZZ_ADMIN_TRACE=1 in
 * the environment prints each request and its answer.
 */
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "omsd.h"

#ifndef OMS_SOURCE_DIR
#define OMS_SOURCE_DIR "."
#endif
#define MAX_REQUESTS 16
#define RENEW 500

static oms_config_t *cfg;
static char dir[256];
static omsd_t daemon_;
static omsd_admin_t *admin;
static unsigned runs;
static uint64_t last_id;
static bool trace; /* FUZZ_ADMIN_TRACE set: each request and its answer on stderr */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void stop(void) {
  if (admin == NULL) return;
  omsd_admin_stop(&daemon_);
  omsd_unwire(&daemon_);
  if (daemon_.lock_fd >= 0) close(daemon_.lock_fd);
  admin = NULL;
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  oms_config_destroy(cfg); /* the daemon took parts of it (the risk limits) */
  cfg = NULL;
}

/* A daemon on a fresh configuration, in a fresh directory. */
static void start(void) {
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load(OMS_SOURCE_DIR "/etc/omsd.conf", &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "fuzz_admin: %s\n", err);
    __builtin_trap();
  }
  cfg->durability = OMS_DURABILITY_OS;
  if (!cfg->admin.enabled || cfg->admin.ntokens == 0) __builtin_trap();
  snprintf(dir, sizeof dir, "/tmp/fuzz_admin.XXXXXX");
  if (mkdtemp(dir) == NULL) __builtin_trap();
  snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", dir);
  snprintf(cfg->store_path, sizeof cfg->store_path, "%s/oms.db", dir);
  omsd_init(&daemon_, cfg, "fuzz_admin");
  if (omsd_open_data_dir(&daemon_) != 0 || omsd_wire(&daemon_, false) != 0 ||
      omsd_admin_create_direct(&daemon_, &admin) != 0)
    __builtin_trap();
  last_id = 0;
}

static void at_exit(void) { stop(); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  omsd_log_level = (oms_log_level_t)(OMS_LOG_ERROR + 1); /* quiet: refusals are the point */
  trace = getenv("FUZZ_ADMIN_TRACE") != NULL;
  if (trace) omsd_log_level = OMS_LOG_INFO;
  start();
  atexit(at_exit);
  return 0;
}

static bool known_code(const char *code) {
  for (int e = 0; e < OMSD_E_COUNT; e++)
    if (strcmp(code, omsd_http_err_name((omsd_http_err_t)e)) == 0) return true;
  return false;
}

static void check(const omsd_http_resp_t *rs) {
  if (rs->status < 200 || rs->status > 599) __builtin_trap();
  if (rs->raw != NULL) return; /* text: /metrics, the blotter's files */
  if (rs->text != NULL) {      /* a page of orders written directly: still JSON */
    json_t *j = json_loadb(rs->text, rs->text_len, 0, NULL);
    if (j == NULL || rs->status != 200 || !json_is_array(json_object_get(j, "orders")))
      __builtin_trap();
    json_decref(j);
    return;
  }
  if (rs->json == NULL) __builtin_trap();
  json_t *err = json_object_get(rs->json, "error");
  if (rs->status >= 400) {
    const char *code = json_string_value(json_object_get(err, "code"));
    if (code == NULL || !known_code(code) || !json_is_string(json_object_get(err, "message")))
      __builtin_trap();
  } else if (err != NULL) {
    __builtin_trap();
  }
}

/* Runs one request: text is "T METHOD URL\nbody". */
static void request(const char *text, size_t len) {
  const char *nl = memchr(text, '\n', len);
  size_t head_len = nl != NULL ? (size_t)(nl - text) : len;
  const char *body = nl != NULL ? nl + 1 : text + len;
  size_t body_len = (size_t)(text + len - body);
  char head[2048];
  if (head_len < 3 || head_len >= sizeof head) return;
  memcpy(head, text, head_len);
  head[head_len] = '\0';
  if (strlen(head) != head_len || head[1] != ' ') return;
  char *method = head + 2, *sp = strchr(method, ' ');
  if (sp == NULL) return;
  *sp = '\0';
  const char *raw_url = sp + 1;
  /* $ID: the last order created */
  char url[4096];
  size_t u = 0;
  for (const char *p = raw_url; *p && u + 32 < sizeof url;) {
    if (strncmp(p, "$ID", 3) == 0) {
      u += (size_t)snprintf(url + u, sizeof url - u, "%" PRIu64, last_id);
      p += 3;
    } else {
      url[u++] = *p++;
    }
  }
  url[u] = '\0';
  char auth[256];
  const char *authorization = auth;
  char t = head[0];
  if (t >= '0' && t <= '9')
    snprintf(auth, sizeof auth, "Bearer %s",
             cfg->admin.tokens[(size_t)(t - '0') % cfg->admin.ntokens].token);
  else if (t == 'x')
    snprintf(auth, sizeof auth, "Bearer not-a-configured-token");
  else if (t == 'b')
    snprintf(auth, sizeof auth, "Basic b3BzOnNlY3JldA==");
  else
    authorization = NULL;
  omsd_http_resp_t rs;
  if (omsd_admin_dispatch(admin, method, url, authorization, body, body_len, &rs) != 0)
    __builtin_trap();
  check(&rs);
  if (trace) {
    char *j = rs.json != NULL ? json_dumps(rs.json, JSON_COMPACT) : NULL;
    fprintf(stderr, "%s %s -> %d %.300s\n", method, url, rs.status, j != NULL ? j : "(text)");
    free(j);
  }
  if (rs.status == 201 && strcmp(method, "POST") == 0) {
    json_t *id = json_object_get(json_object_get(rs.json, "order"), "order_id");
    if (json_is_integer(id)) last_id = (uint64_t)json_integer_value(id);
  }
  omsd_http_resp_clear(&rs);
  omsd_poll_engine(&daemon_);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (++runs % RENEW == 0) {
    stop();
    start();
  }
  const char *p = (const char *)data, *end = p + size;
  for (int n = 0; n < MAX_REQUESTS && p < end; n++) {
    const char *sep = NULL;
    for (const char *q = p; q + 4 <= end; q++)
      if (memcmp(q, "\n---", 4) == 0 && (q + 4 == end || q[4] == '\n')) {
        sep = q;
        break;
      }
    const char *stop_at = sep != NULL ? sep : end;
    request(p, (size_t)(stop_at - p));
    if (sep == NULL) break;
    p = sep + 4 < end ? sep + 5 : end;
  }
  return 0;
}
