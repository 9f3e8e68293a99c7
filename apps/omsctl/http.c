/*
 * http.c - omsctl's side of the wire: requests to omsd's admin API over
 * libcurl, the live event stream, and the one mapping from what happened
 * to omsctl's exit code and message (CTL_EXIT_CODES in omsctl.h).
 *
 * A request is one curl easy handle: the bearer token in the
 * Authorization header (never printed), a 5 s connect timeout and 30 s
 * overall, TLS checked against --cacert unless --insecure. The answer's
 * body is kept whole (the API's answers are small; 64 MiB at most) and
 * parsed when it is JSON.
 *
 * The event stream (GET /v1/events/stream, text/event-stream) is parsed
 * as it arrives: "id:", "event:" and "data:" lines make an event, a blank
 * line hands it over, ":" lines (keepalives) are skipped. When the
 * connection drops, the stream is opened again with Last-Event-ID = the
 * last id seen, so omsd resumes after it with no gap and no duplicate; a
 * connection quiet for 40 s (keepalives come every 15 s) counts as
 * dropped. Ctrl-C is seen by curl's progress callback, which ends the
 * transfer cleanly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "omsctl.h"
#include "sse.h"

#define BODY_MAX ((size_t)64 << 20)
#define STREAM_QUIET_S 40L
#define RETRY_MAX_MS 5000

volatile int ctl_interrupted;

typedef ctl_sse_buf_t buf_t;

static int buf_add(buf_t *b, const char *s, size_t n) { return ctl_buf_add(b, s, n, BODY_MAX); }

static size_t on_body(char *data, size_t size, size_t n, void *ctx) {
  return buf_add(ctx, data, size * n) == 0 ? size * n : 0;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)ctx, (void)dt, (void)dn, (void)ut, (void)un;
  return ctl_interrupted ? 1 : 0;
}

/* --verbose: libcurl's trace of the exchange, headers included, but the
 * token masked: a trace gets pasted into tickets. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ctx) {
  (void)h, (void)ctx;
  static const char *const mark[] = {"* ", "< ", "> "};
  int m = type == CURLINFO_TEXT         ? 0
          : type == CURLINFO_HEADER_IN  ? 1
          : type == CURLINFO_HEADER_OUT ? 2
                                        : -1;
  if (m < 0) return 0;
  const char *p = data, *end = data + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (n && p[n - 1] == '\r') n--;
    if (n > 0) {
      if (n >= 14 && strncasecmp(p, "authorization:", 14) == 0)
        fprintf(stderr, "%sAuthorization: Bearer (hidden)\n", mark[m]);
      else
        fprintf(stderr, "%s%.*s\n", mark[m], (int)n, p);
    }
    p = nl ? nl + 1 : end;
  }
  return 0;
}

/* A handle with what every request has: TLS settings, timeouts, headers. */
static CURL *open_handle(const ctl_conn_t *c, const char *url, struct curl_slist **hdrs,
                         const char *accept, char *errbuf) {
  static bool global_done;
  if (!global_done) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    global_done = true;
  }
  CURL *h = curl_easy_init();
  if (h == NULL) return NULL;
  char line[512];
  *hdrs = NULL;
  snprintf(line, sizeof line, "Accept: %s", accept);
  *hdrs = curl_slist_append(*hdrs, line);
  if (c->token && c->token[0]) {
    snprintf(line, sizeof line, "Authorization: Bearer %s", c->token);
    *hdrs = curl_slist_append(*hdrs, line);
  }
  errbuf[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "omsctl");
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  if (c->cacert) curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
  if (c->insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (c->verbose) {
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  }
  return h;
}

/* Why curl could not talk to omsd, in a few words, and whether to suggest
 * starting it. */
static void why(CURL *h, CURLcode rc, const char *errbuf, char *out, size_t cap, bool *hint) {
  long oserr = 0;
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
  *hint = false;
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      *hint = true;
      if (oserr) {
        snprintf(out, cap, "%s", strerror((int)oserr));
        out[0] = (char)tolower((unsigned char)out[0]);
      } else {
        snprintf(out, cap, "could not connect");
      }
      return;
    case CURLE_OPERATION_TIMEDOUT: snprintf(out, cap, "timed out"); return;
    case CURLE_COULDNT_RESOLVE_HOST: snprintf(out, cap, "cannot resolve the host name"); return;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      snprintf(out, cap, "not a URL omsctl can use: %s", errbuf[0] ? errbuf : "");
      return;
    default: snprintf(out, cap, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc)); return;
  }
}

static void unreachable(const ctl_conn_t *c, CURL *h, CURLcode rc, const char *errbuf) {
  char w[CURL_ERROR_SIZE + 64];
  bool hint;
  why(h, rc, errbuf, w, sizeof w, &hint);
  bool tls = rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
             rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
  /* A TLS server says nothing to plain HTTP. */
  bool plain = rc == CURLE_GOT_NOTHING && strncmp(c->url, "http://", 7) == 0;
  fprintf(stderr, "omsctl: cannot reach omsd at %s (%s)%s\n", c->url, w,
          hint    ? ": is it running? (make run)"
          : tls   ? ": check --cacert (or --insecure for a test certificate)"
          : plain ? ": does it serve https? (--url https://...)"
                  : "");
}

int ctl_http(const ctl_conn_t *c, const char *method, const char *path, const char *body,
             ctl_resp_t *resp) {
  memset(resp, 0, sizeof *resp);
  char url[2048], errbuf[CURL_ERROR_SIZE];
  snprintf(url, sizeof url, "%s%s", c->url, path);
  struct curl_slist *hdrs = NULL;
  CURL *h = open_handle(c, url, &hdrs, "application/json", errbuf);
  if (h == NULL) {
    fprintf(stderr, "omsctl: cannot start libcurl\n");
    return CTL_EXIT_FAILED;
  }
  if (body) {
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  else if (strcmp(method, "POST") == 0 && body == NULL)
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
  buf_t b = {0};
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  CURLcode rc = curl_easy_perform(h);
  int ret = 0;
  if (rc != CURLE_OK) {
    unreachable(c, h, rc, errbuf);
    free(b.p);
    ret = CTL_EXIT_UNREACHABLE;
  } else {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->body = b.p ? b.p : strdup("");
    resp->len = b.n;
    resp->json = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);
  }
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  return ret;
}

void ctl_resp_clear(ctl_resp_t *r) {
  free(r->body);
  json_decref(r->json);
  memset(r, 0, sizeof *r);
}

static const char *err_field(const json_t *j, const char *key) {
  const json_t *v = json_object_get(json_object_get(j, "error"), key);
  if (v == NULL) v = json_object_get(j, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

int ctl_resp_check(const ctl_conn_t *c, const ctl_resp_t *r) {
  long s = r->status;
  if (s >= 200 && s < 300) return CTL_EXIT_OK;
  const char *code = err_field(r->json, "code");
  const char *msg = err_field(r->json, "message");
  const char *reason = err_field(r->json, "reason");
  const char *check = err_field(r->json, "check");
  char what[256];
  int n = snprintf(what, sizeof what, "%ld %s", s, code ? code : "");
  if (reason && n > 0 && (size_t)n < sizeof what)
    n += snprintf(what + n, sizeof what - (size_t)n, ", reason %s", reason);
  if (check && n > 0 && (size_t)n < sizeof what)
    snprintf(what + n, sizeof what - (size_t)n, ", check %s", check);
  if (msg == NULL) msg = r->json ? "" : (r->body && r->body[0] ? r->body : "");
  const char *sep = msg[0] ? ": " : "";
  if (s == 401) {
    const char *who = c->token && c->token[0] ? "the token was refused" : "no token was given";
    const char *todo = c->token && c->token[0] ? "check" : "set";
    fprintf(stderr, "omsctl: %s (401 %s): %s --token / OMSCTL_TOKEN\n", who,
            code ? code : "UNAUTHORIZED", todo);
    return CTL_EXIT_AUTH;
  }
  if (s == 403) {
    fprintf(stderr, "omsctl: the token may not do this (%s)%s%s\n", what, sep, msg);
    return CTL_EXIT_AUTH;
  }
  if (s == 404) {
    fprintf(stderr, "omsctl: not found (%s)%s%s\n", what, sep, msg);
    return CTL_EXIT_NOT_FOUND;
  }
  if (s >= 400 && s < 500) {
    fprintf(stderr, "omsctl: omsd refused the request (%s)%s%s\n", what, sep, msg);
    return CTL_EXIT_REFUSED;
  }
  if (s >= 500) {
    fprintf(stderr, "omsctl: omsd could not do it (%s)%s%s\n", what, sep, msg);
    return CTL_EXIT_SERVER;
  }
  fprintf(stderr, "omsctl: unexpected answer from %s (HTTP %ld)\n", c->url, s);
  return CTL_EXIT_FAILED;
}

/* ---- the event stream ------------------------------------------------------ */

typedef struct sse_s {
  CURL *h;
  long status; /* 0 until the headers are in */
  buf_t errbody;
  bool reconnecting; /* a drop was reported: say when the stream is back */
  ctl_sse_t p;       /* the parser (sse.c) */
} sse_t;

static size_t on_stream(char *p, size_t size, size_t n, void *ctx) {
  sse_t *s = ctx;
  size_t len = size * n;
  if (s->status == 0) {
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
    if (s->status == 200 && s->reconnecting) {
      fprintf(stderr, "omsctl: event stream resumed\n");
      s->reconnecting = false;
    }
  }
  if (s->status != 200) return buf_add(&s->errbody, p, len) == 0 ? len : 0;
  return ctl_sse_feed(&s->p, p, len) == 0 ? len : 0; /* a line over 64 MiB: not the API */
}

static void nap_ms(int ms) {
  for (int t = 0; t < ms && !ctl_interrupted; t += 100) {
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
}

int ctl_stream(const ctl_conn_t *c, const char *after, ctl_event_fn on_event, void *ctx) {
  sse_t s = {.p = {.fn = on_event, .ctx = ctx}};
  bool connected_once = false;
  int backoff = 250, ret = CTL_EXIT_OK;
  if (after) snprintf(s.p.last_id, sizeof s.p.last_id, "%s", after);
  while (!ctl_interrupted) {
    char url[2048], errbuf[CURL_ERROR_SIZE], line[128];
    snprintf(url, sizeof url, "%s/v1/events/stream", c->url);
    struct curl_slist *hdrs = NULL;
    s.h = open_handle(c, url, &hdrs, "text/event-stream", errbuf);
    if (s.h == NULL) return CTL_EXIT_FAILED;
    if (s.p.last_id[0]) {
      snprintf(line, sizeof line, "Last-Event-ID: %s", s.p.last_id);
      hdrs = curl_slist_append(hdrs, line);
      curl_easy_setopt(s.h, CURLOPT_HTTPHEADER, hdrs);
    }
    curl_easy_setopt(s.h, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(s.h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(s.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(s.h, CURLOPT_LOW_SPEED_TIME, STREAM_QUIET_S);
    s.status = 0;
    s.errbody.n = 0;
    ctl_sse_reset(&s.p);
    CURLcode rc = curl_easy_perform(s.h);
    if (s.status == 0) curl_easy_getinfo(s.h, CURLINFO_RESPONSE_CODE, &s.status);
    bool done = false;
    if (ctl_interrupted) {
      done = true;
    } else if (s.status != 0 && s.status != 200) {
      ctl_resp_t r = {.status = s.status, .body = s.errbody.p, .len = s.errbody.n};
      r.json = json_loadb(s.errbody.p ? s.errbody.p : "", s.errbody.n, 0, NULL);
      ret = ctl_resp_check(c, &r);
      json_decref(r.json);
      /* Only a server in trouble (5xx) may be better on the next try. */
      done = ret != CTL_EXIT_SERVER;
    } else if (s.status == 200) {
      connected_once = true;
      backoff = 250;
      char w[CURL_ERROR_SIZE + 64];
      bool hint;
      if (rc == CURLE_OK)
        snprintf(w, sizeof w, "closed by omsd");
      else
        why(s.h, rc, errbuf, w, sizeof w, &hint);
      fprintf(stderr, "omsctl: event stream dropped (%s); reconnecting%s%s\n", w,
              s.p.last_id[0] ? " after event " : "", s.p.last_id);
      s.reconnecting = true;
    } else if (!connected_once) {
      unreachable(c, s.h, rc, errbuf);
      ret = CTL_EXIT_UNREACHABLE;
      done = true;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(s.h);
    s.h = NULL;
    if (done) break;
    nap_ms(backoff);
    backoff = backoff * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : backoff * 2;
  }
  ctl_sse_free(&s.p);
  free(s.errbody.p);
  return ctl_interrupted ? CTL_EXIT_OK : ret;
}
