/*
 * test_admin_dispatch.c - omsd_admin_dispatch (apps/omsd/admin.c, what
 * fuzz/fuzz_admin.c drives) answers as the HTTP server does.
 *
 * One daemon is wired on the sample configuration in a temporary
 * directory. First a direct admin (omsd_admin_create_direct) places an
 * order and answers a set of requests; then it is stopped, the real server
 * is started on 127.0.0.1 port 0 (omsd_admin_start, with this thread as
 * the core: it pumps the loop's epoll while a second thread sends the
 * same requests with libcurl), and every answer must match: the same
 * status and the same JSON. The set covers each step of a request: no
 * route (404), a wrong method (405), no token and a wrong one (401), a
 * role too low (403), a body too large (413), a bad query (400), and
 * answers from the store (orders, one order, events) and from the core
 * (risk, positions).
 */
#include <curl/curl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin.h"
#include "omsd.h"

#define OPS "ops-secret-change-me"
#define VIEWER "viewer-secret-change-me"

typedef struct probe_s {
  const char *method, *url, *token; /* token NULL: no Authorization */
  const char *body;                 /* NULL: none; "BIG": 70 KiB */
  int status;                       /* the direct answer */
  char *json;                       /* its body (sorted keys), or NULL for text */
  int got_status;                   /* the server's */
  char *got_json;
} probe_t;

static probe_t probes[] = {
    {"GET", "/healthz", NULL, NULL, 0, NULL, 0, NULL},
    {"GET", "/nowhere", OPS, NULL, 0, NULL, 0, NULL},
    {"PUT", "/healthz", NULL, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/orders", NULL, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/orders", "wrong-token", NULL, 0, NULL, 0, NULL},
    {"POST", "/v1/orders", VIEWER, "{}", 0, NULL, 0, NULL},
    {"POST", "/v1/orders", OPS, "BIG", 0, NULL, 0, NULL},
    {"POST", "/v1/orders", OPS, "not json", 0, NULL, 0, NULL},
    {"GET", "/v1/orders?limit=0", VIEWER, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/orders?state=open&account=ACC1", VIEWER, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/orders/1", VIEWER, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/orders/999", VIEWER, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/events?after=0&limit=5", VIEWER, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/risk/limits/changes", VIEWER, NULL, 0, NULL, 0, NULL},
    {"GET", "/v1/positions?account=ACC1", VIEWER, NULL, 0, NULL, 0, NULL},
    {"DELETE", "/v1/orders/999", OPS, NULL, 0, NULL, 0, NULL},
};
#define NPROBES (sizeof probes / sizeof probes[0])

static char big[70 * 1024];

static const char *body_of(const probe_t *p, size_t *len) {
  if (p->body == NULL) {
    *len = 0;
    return "";
  }
  if (strcmp(p->body, "BIG") == 0) {
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    *len = sizeof big;
    return big;
  }
  *len = strlen(p->body);
  return p->body;
}

static char *canonical(const char *text, size_t len) {
  json_t *j = json_loadb(text, len, 0, NULL);
  if (j == NULL) return NULL;
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(j);
  return s;
}

/* ---- the server's side: a client thread -------------------------------------------- */

typedef struct sink_s {
  char *p;
  size_t n;
} sink_t;

static size_t on_data(char *data, size_t size, size_t n, void *ctx) {
  sink_t *s = ctx;
  char *p = realloc(s->p, s->n + size * n + 1);
  if (p == NULL) return 0;
  memcpy(p + s->n, data, size * n);
  s->p = p;
  s->n += size * n;
  s->p[s->n] = '\0';
  return size * n;
}

static int port;
static atomic_int client_done; /* volatile is no fence: its writes are ordered by this */

static void *client(void *arg) {
  (void)arg;
  for (size_t i = 0; i < NPROBES; i++) {
    probe_t *p = &probes[i];
    CURL *h = curl_easy_init();
    char url[512], auth[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, p->url);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
    if (p->token != NULL) {
      snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->token);
      hdrs = curl_slist_append(hdrs, auth);
    }
    sink_t s = {0};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, p->method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    size_t len;
    const char *body = body_of(p, &len);
    if (p->body != NULL) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    p->got_status = (int)status;
    p->got_json = s.p != NULL ? canonical(s.p, s.n) : NULL;
    free(s.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
  }
  atomic_store(&client_done, 1);
  return NULL;
}

/* ---- the test ------------------------------------------------------------------------ */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void test_dispatch_answers_as_the_server(void **state) {
  (void)state;
  omsd_log_level = OMS_LOG_ERROR;
  const char *src = getenv("OMS_SOURCE_DIR");
  char path[1024], err[OMS_CFG_ERR_MAX], dir[] = "/tmp/test_admin_dispatch.XXXXXX";
  snprintf(path, sizeof path, "%s/etc/omsd.conf", src != NULL ? src : ".");
  oms_config_t *cfg;
  assert_int_equal(oms_config_load(path, &cfg, err, sizeof err), 0);
  assert_non_null(mkdtemp(dir));
  snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", dir);
  snprintf(cfg->store_path, sizeof cfg->store_path, "%s/oms.db", dir);
  cfg->durability = OMS_DURABILITY_OS;
  cfg->admin.port = 0;
  omsd_t d;
  omsd_init(&d, cfg, path);
  assert_int_equal(omsd_open_data_dir(&d), 0);
  assert_int_equal(omsd_wire(&d, false), 0);

  /* direct */
  omsd_admin_t *a;
  assert_int_equal(omsd_admin_create_direct(&d, &a), 0);
  omsd_http_resp_t rs;
  for (int i = 0; i < 50; i++) omsd_poll_engine(&d); /* the venue's first prices */
  const char *order =
      "{\"client_order_id\":\"d1\",\"account\":\"ACC1\",\"symbol\":\"AAPL\",\"side\":\"BUY\","
      "\"type\":\"LIMIT\",\"qty\":\"10\",\"price\":\"150\"}";
  assert_int_equal(
      omsd_admin_dispatch(a, "POST", "/v1/orders", "Bearer " OPS, order, strlen(order), &rs), 0);
  if (rs.status != 201) {
    char *j = json_dumps(rs.json, JSON_COMPACT);
    fail_msg("submit: %d %s", rs.status, j);
  }
  omsd_http_resp_clear(&rs);
  for (int i = 0; i < 50; i++) omsd_poll_engine(&d);
  assert_int_equal(oms_store_flush(d.store, 5000 * OMSD_MS), 0);
  /* a command runs inline: the risk view */
  assert_int_equal(omsd_admin_dispatch(a, "GET", "/v1/risk", "Bearer " VIEWER, "", 0, &rs), 0);
  assert_int_equal(rs.status, 200);
  assert_non_null(json_object_get(rs.json, "limits"));
  omsd_http_resp_clear(&rs);
  for (size_t i = 0; i < NPROBES; i++) {
    probe_t *p = &probes[i];
    char auth[256];
    snprintf(auth, sizeof auth, "Bearer %s", p->token != NULL ? p->token : "");
    size_t len;
    const char *body = body_of(p, &len);
    assert_int_equal(
        omsd_admin_dispatch(a, p->method, p->url, p->token ? auth : NULL, body, len, &rs), 0);
    p->status = rs.status;
    p->json = rs.json != NULL   ? json_dumps(rs.json, JSON_COMPACT | JSON_SORT_KEYS)
              : rs.text != NULL ? canonical(rs.text, rs.text_len)
                                : NULL;
    omsd_http_resp_clear(&rs);
  }
  omsd_admin_stop(&d);
  assert_null(d.admin);

  /* the server, this thread its core */
  d.epfd = epoll_create1(EPOLL_CLOEXEC);
  assert_true(d.epfd >= 0);
  assert_int_equal(omsd_admin_start(&d), 0);
  port = d.admin_port;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, client, NULL), 0);
  while (!atomic_load(&client_done)) {
    struct epoll_event evs[8];
    int n = epoll_wait(d.epfd, evs, 8, 10);
    for (int i = 0; i < n; i++) {
      omsd_watch_t *w = evs[i].data.ptr;
      if (w->fd >= 0) w->cb(&d, w->ctx, evs[i].events);
    }
  }
  pthread_join(t, NULL);
  omsd_admin_stop(&d);
  for (size_t i = 0; i < NPROBES; i++) {
    probe_t *p = &probes[i];
    if (p->got_status != p->status || (p->json == NULL) != (p->got_json == NULL) ||
        (p->json != NULL && strcmp(p->json, p->got_json) != 0))
      fail_msg("%s %s: direct %d %s, server %d %s", p->method, p->url, p->status,
               p->json ? p->json : "(text)", p->got_status, p->got_json ? p->got_json : "(text)");
    free(p->json);
    free(p->got_json);
  }
  assert_int_equal(probes[0].status, 200);
  assert_int_equal(probes[2].status, 405);
  assert_int_equal(probes[6].status, 413);
  assert_int_equal(probes[10].status, 200);

  close(d.epfd);
  d.epfd = -1;
  omsd_unwire(&d);
  close(d.lock_fd);
  nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  oms_config_destroy(cfg);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_dispatch_answers_as_the_server)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
