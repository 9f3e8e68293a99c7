/*
 * golden_fix.h - the runner of the FIX golden conversations in
 * tests/golden/fix (the format is in tests/golden/fix/README.md).
 *
 * A golden file is a FIX conversation as a FIX engineer writes it on a
 * whiteboard: '>' lines are messages the counterparty sends us, '<' lines the
 * messages we must send back, in order, and directives move the clock or the
 * connection. The runner frames the inbound messages (BodyLength, CheckSum
 * and the header fields a line leaves out), hands the bytes to the side under
 * test, and compares what that side wrote with the '<' lines field by field.
 * The first difference fails the test with the file:line of the line that
 * expected something else, and what was sent instead.
 *
 * The runner knows nothing of the gateway or the session: it drives them
 * through golden_io_t, so the same files and the same runner serve any FIX
 * endpoint (the acceptor gateway and session; the session in the initiator
 * role, test_golden_initiator.c, where the first line after connect is our
 * '<' Logon). Include it after
 * cmocka.h; everything is static, for one test file.
 */
#ifndef OMS_GOLDEN_FIX_H
#define OMS_GOLDEN_FIX_H

#include <dirent.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/fix.h"
#include "oms/fix_tags.h"

/* What the runner asks of the side under test. */
typedef struct golden_io_s {
  /* A new TCP connection from the counterparty (its output starts empty). */
  void (*connect)(void *ctx);
  /* Bytes the counterparty sends on the connection. */
  void (*deliver)(void *ctx, const char *data, size_t len);
  /* Moves the injected clock forward by ns, running timers and the engine
   * on the way as the daemon would. */
  void (*advance)(void *ctx, int64_t ns);
  /* The counterparty closes the connection. */
  void (*disconnect)(void *ctx);
  /* 1 when the side under test has closed the connection. */
  int (*closed)(void *ctx);
  /* Every byte written to the counterparty on this connection so far. */
  const char *(*output)(void *ctx, size_t *len);
  /* The injected clock, for the SendingTime of inbound messages. */
  int64_t (*now)(void *ctx);
  /* Optional: the side under test starts the logout handshake, with text
   * (NULL when the line gives none). */
  void (*logout)(void *ctx, const char *text);
  void *ctx;
} golden_io_t;

#define GOLDEN_MAX_FIELDS 64
#define GOLDEN_MAX_LINE 4096

typedef struct golden_field_s {
  uint32_t tag;
  char value[512];
} golden_field_t;

/* One '>' or '<' line. */
typedef struct golden_line_s {
  golden_field_t f[GOLDEN_MAX_FIELDS];
  size_t n;
  int open; /* ends with "...": other fields may follow */
} golden_line_t;

typedef struct golden_s {
  const char *path;
  int line;
  golden_io_t io;
  char theirs[64]; /* the counterparty's CompID: 49 in, 56 out */
  char ours[64];
  int64_t next_in_seq;
  size_t read; /* bytes of output already matched */
} golden_t;

#define golden_fail(g, ...)                                   \
  do {                                                        \
    char golden_msg_[16384];                                  \
    snprintf(golden_msg_, sizeof golden_msg_, __VA_ARGS__);   \
    fail_msg("%s:%d: %s", (g)->path, (g)->line, golden_msg_); \
  } while (0)

/* "ClOrdID(11)" for messages. */
static const char *golden_tag_text(uint32_t tag) {
  static char buf[4][64];
  static int k;
  char *b = buf[k++ % 4];
  const char *name = oms_fix_tag_name(tag);
  if (name)
    snprintf(b, 64, "%s(%u)", name, tag);
  else
    snprintf(b, 64, "%u", tag);
  return b;
}

/* The message as a '|' line, for messages. */
static const char *golden_show(const char *data, size_t len) {
  static char buf[GOLDEN_MAX_LINE];
  size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
  for (size_t i = 0; i < n; i++) buf[i] = data[i] == OMS_FIX_SOH ? '|' : data[i];
  buf[n] = '\0';
  return buf;
}

/* Splits "35=D|11=o1|" into fields; a tag may be a number or its name
 * ("ClOrdID=o1"). A final "..." marks an open line. */
static void golden_parse_line(golden_t *g, const char *text, golden_line_t *out) {
  memset(out, 0, sizeof *out);
  const char *p = text;
  while (*p == ' ') p++;
  while (*p) {
    const char *end = strchr(p, '|');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\n' || p[len - 1] == '\r')) len--;
    if (len == 3 && memcmp(p, "...", 3) == 0) {
      out->open = 1;
    } else if (len > 0) {
      const char *eq = memchr(p, '=', len);
      if (!eq || eq == p) golden_fail(g, "field \"%.*s\" is not tag=value", (int)len, p);
      char tag[64];
      size_t tl = (size_t)(eq - p);
      if (tl >= sizeof tag) golden_fail(g, "tag \"%.*s\" too long", (int)tl, p);
      memcpy(tag, p, tl);
      tag[tl] = '\0';
      char *rest;
      unsigned long num = strtoul(tag, &rest, 10);
      if (*rest != '\0') num = oms_fix_tag_by_name(tag);
      if (num == 0) golden_fail(g, "unknown tag \"%s\"", tag);
      if (out->n == GOLDEN_MAX_FIELDS) golden_fail(g, "more than %d fields", GOLDEN_MAX_FIELDS);
      golden_field_t *f = &out->f[out->n++];
      f->tag = (uint32_t)num;
      size_t vl = len - tl - 1;
      if (vl >= sizeof f->value) golden_fail(g, "value of %s too long", golden_tag_text(f->tag));
      memcpy(f->value, eq + 1, vl);
      f->value[vl] = '\0';
    }
    if (!end) break;
    p = end + 1;
  }
}

static const char *golden_find(const golden_line_t *l, uint32_t tag) {
  for (size_t i = 0; i < l->n; i++)
    if (l->f[i].tag == tag) return l->f[i].value;
  return NULL;
}

static size_t golden_put(char *buf, size_t cap, size_t at, uint32_t tag, const char *v) {
  int n = snprintf(buf + at, cap - at, "%u=%s%c", tag, v, OMS_FIX_SOH);
  return at + (size_t)n;
}

/* Frames a '>' line and delivers it. A line that starts with BeginString(8)
 * is sent byte for byte (garbled input); otherwise BodyLength(9) and
 * CheckSum(10) are computed unless the line gives them, and SenderCompID,
 * TargetCompID, MsgSeqNum and SendingTime are added after MsgType when the
 * line leaves them out. */
static void golden_send(golden_t *g, const golden_line_t *l) {
  static char body[GOLDEN_MAX_LINE], msg[GOLDEN_MAX_LINE + 64];
  size_t blen = 0, mlen = 0;
  if (l->n > 0 && l->f[0].tag == OMS_FIX_TAG_BeginString) {
    for (size_t i = 0; i < l->n; i++)
      mlen = golden_put(msg, sizeof msg, mlen, l->f[i].tag, l->f[i].value);
    g->io.deliver(g->io.ctx, msg, mlen);
    return;
  }
  if (l->n == 0 || l->f[0].tag != OMS_FIX_TAG_MsgType)
    golden_fail(g, "an inbound message starts with 35= (or 8= for raw bytes)");
  const char *seq = golden_find(l, OMS_FIX_TAG_MsgSeqNum);
  if (seq) g->next_in_seq = strtoll(seq, NULL, 10) + 1;
  blen = golden_put(body, sizeof body, blen, OMS_FIX_TAG_MsgType, l->f[0].value);
  if (!golden_find(l, OMS_FIX_TAG_SenderCompID))
    blen = golden_put(body, sizeof body, blen, OMS_FIX_TAG_SenderCompID, g->theirs);
  if (!golden_find(l, OMS_FIX_TAG_TargetCompID))
    blen = golden_put(body, sizeof body, blen, OMS_FIX_TAG_TargetCompID, g->ours);
  if (!seq) {
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)g->next_in_seq++);
    blen = golden_put(body, sizeof body, blen, OMS_FIX_TAG_MsgSeqNum, v);
  }
  if (!golden_find(l, OMS_FIX_TAG_SendingTime)) {
    char t[OMS_FIX_TIME_LEN + 1];
    oms_fix_format_time(g->io.now(g->io.ctx), t);
    blen = golden_put(body, sizeof body, blen, OMS_FIX_TAG_SendingTime, t);
  }
  for (size_t i = 1; i < l->n; i++) {
    uint32_t tag = l->f[i].tag;
    if (tag == OMS_FIX_TAG_BodyLength || tag == OMS_FIX_TAG_CheckSum) continue;
    blen = golden_put(body, sizeof body, blen, tag, l->f[i].value);
  }
  const char *len_text = golden_find(l, OMS_FIX_TAG_BodyLength);
  char len_buf[24];
  if (!len_text) {
    snprintf(len_buf, sizeof len_buf, "%zu", blen);
    len_text = len_buf;
  }
  mlen = (size_t)snprintf(msg, sizeof msg, "8=%s%c9=%s%c", OMS_FIX_BEGIN_STRING, OMS_FIX_SOH,
                          len_text, OMS_FIX_SOH);
  memcpy(msg + mlen, body, blen);
  mlen += blen;
  const char *sum_text = golden_find(l, OMS_FIX_TAG_CheckSum);
  char sum_buf[8];
  if (!sum_text) {
    unsigned sum = 0;
    for (size_t i = 0; i < mlen; i++) sum += (unsigned char)msg[i];
    snprintf(sum_buf, sizeof sum_buf, "%03u", sum & 0xFF);
    sum_text = sum_buf;
  }
  mlen = golden_put(msg, sizeof msg, mlen, OMS_FIX_TAG_CheckSum, sum_text);
  g->io.deliver(g->io.ctx, msg, mlen);
}

/* Takes the next message we sent; 0, or -1 when there is none. */
static int golden_next_out(golden_t *g, oms_fix_msg_t *m) {
  size_t len;
  const char *out = g->io.output(g->io.ctx, &len);
  if (g->read >= len) return -1;
  size_t used = 0;
  oms_fix_perror_t err;
  int rc = oms_fix_parse(out + g->read, len - g->read, NULL, m, &used, &err);
  if (rc != 0)
    golden_fail(g, "we sent bytes that do not parse (%s): %s", oms_fix_perr_desc(err.kind),
                golden_show(out + g->read, len - g->read));
  g->read += used;
  return 0;
}

/* want is the exact value, or a shell pattern when it holds '*' or '?'
 * ("*" for any value, "G*" for an ExecID we make up; \* for a star). */
static int golden_value_is(oms_fix_str_t v, const char *want) {
  if (!strpbrk(want, "*?")) return oms_fix_str_eq(v, want);
  char got[512];
  if (v.len >= sizeof got) return 0;
  memcpy(got, v.ptr, v.len);
  got[v.len] = '\0';
  return fnmatch(want, got, 0) == 0;
}

/* Compares the next message we sent with a '<' line: every listed field in
 * the listed order with the listed value ('*' for any); CompIDs and a valid
 * SendingTime where the line leaves them out; and, unless the line ends with
 * "...", no other field. */
static void golden_expect(golden_t *g, const golden_line_t *l) {
  oms_fix_msg_t m;
  if (golden_next_out(g, &m) != 0)
    golden_fail(g, "expected a message (%s=%s), we sent nothing", golden_tag_text(l->f[0].tag),
                l->f[0].value);
  const char *shown = golden_show(m.buf, m.len);
  unsigned char listed[OMS_FIX_MAX_FIELDS] = {0};
  size_t from = 0;
  for (size_t i = 0; i < l->n; i++) {
    const golden_field_t *f = &l->f[i];
    size_t at;
    if (oms_fix_msg_find(&m, f->tag, from, &at) != 0) {
      if (oms_fix_msg_find(&m, f->tag, 0, &at) == 0)
        golden_fail(g, "%s is out of order\n  we sent: %s", golden_tag_text(f->tag), shown);
      golden_fail(g, "%s=%s expected, absent\n  we sent: %s", golden_tag_text(f->tag), f->value,
                  shown);
    }
    oms_fix_str_t v = oms_fix_msg_value(&m, at);
    if (!golden_value_is(v, f->value))
      golden_fail(g, "%s: expected %s, got %.*s\n  we sent: %s", golden_tag_text(f->tag), f->value,
                  (int)v.len, v.ptr, shown);
    listed[at] = 1;
    from = at + 1;
  }
  for (size_t i = 0; i < m.nfields; i++) {
    if (listed[i]) continue;
    uint32_t tag = m.fields[i].tag;
    oms_fix_str_t v = oms_fix_msg_value(&m, i);
    int64_t t;
    if (tag == OMS_FIX_TAG_BeginString || tag == OMS_FIX_TAG_BodyLength ||
        tag == OMS_FIX_TAG_CheckSum || tag == OMS_FIX_TAG_MsgSeqNum)
      continue;
    if (tag == OMS_FIX_TAG_SenderCompID && oms_fix_str_eq(v, g->ours)) continue;
    if (tag == OMS_FIX_TAG_TargetCompID && oms_fix_str_eq(v, g->theirs)) continue;
    if (tag == OMS_FIX_TAG_SendingTime && oms_fix_str_to_time(v, &t) == 0) continue;
    if (l->open && tag != OMS_FIX_TAG_SenderCompID && tag != OMS_FIX_TAG_TargetCompID &&
        tag != OMS_FIX_TAG_SendingTime)
      continue;
    golden_fail(g, "unexpected %s=%.*s\n  we sent: %s", golden_tag_text(tag), (int)v.len, v.ptr,
                shown);
  }
}

static void golden_expect_nothing(golden_t *g) {
  oms_fix_msg_t m;
  if (golden_next_out(g, &m) == 0)
    golden_fail(g, "expected nothing more, we sent: %s", golden_show(m.buf, m.len));
}

/* Moves *now forward by ns the way a daemon's loop sees time pass: one
 * millisecond at a time, calling each_ms (may be NULL) after every step and
 * each_s whenever a whole second of the clock begins. For drivers. */
static void golden_walk_clock(int64_t *now, int64_t ns, void (*each_ms)(void *ctx),
                              void (*each_s)(void *ctx), void *ctx) {
  const int64_t ms = INT64_C(1000000), s = 1000 * ms;
  for (int64_t done = 0; done < ns;) {
    int64_t step = ns - done < ms ? ns - done : ms;
    int64_t before = *now / s;
    *now += step;
    done += step;
    if (each_ms) each_ms(ctx);
    if (*now / s != before) each_s(ctx);
  }
}

/* "30s", "250ms", "2m" as nanoseconds. */
static int64_t golden_duration(golden_t *g, const char *s) {
  char *unit;
  long long v = strtoll(s, &unit, 10);
  while (*unit == ' ') unit++;
  if (v < 0 || unit == s) golden_fail(g, "bad duration \"%s\"", s);
  if (strncmp(unit, "ms", 2) == 0) return v * INT64_C(1000000);
  if (strncmp(unit, "s", 1) == 0) return v * INT64_C(1000000000);
  if (strncmp(unit, "m", 1) == 0) return v * INT64_C(60000000000);
  golden_fail(g, "duration \"%s\" needs a unit: ms, s or m", s);
  return 0;
}

/* Runs one golden file; fails the current cmocka test at the first
 * difference. theirs/ours are the CompIDs of the counterparty and of the
 * side under test. */
static void golden_run(const char *path, const golden_io_t *io, const char *theirs,
                       const char *ours) {
  golden_t g = {.path = path, .io = *io, .next_in_seq = 1};
  snprintf(g.theirs, sizeof g.theirs, "%s", theirs);
  snprintf(g.ours, sizeof g.ours, "%s", ours);
  FILE *f = fopen(path, "r");
  if (!f) fail_msg("%s: cannot open", path);
  static char text[GOLDEN_MAX_LINE];
  static golden_line_t line;
  int connected = 0;
  while (fgets(text, sizeof text, f)) {
    g.line++;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
      text[--n] = '\0';
    char *p = text;
    while (*p == ' ') p++;
    if (*p == '\0' || *p == '#') continue;
    if (*p == '>' || *p == '<') {
      if (!connected) golden_fail(&g, "no connection: write \"connect\" first");
      golden_parse_line(&g, p + 1, &line);
      if (line.n == 0) golden_fail(&g, "a message without fields");
      if (*p == '>')
        golden_send(&g, &line);
      else
        golden_expect(&g, &line);
    } else if (strcmp(p, "connect") == 0) {
      g.io.connect(g.io.ctx);
      g.read = 0;
      connected = 1;
    } else if (strcmp(p, "disconnect") == 0) {
      golden_expect_nothing(&g);
      g.io.disconnect(g.io.ctx);
      connected = 0;
    } else if (strcmp(p, "expect disconnect") == 0) {
      golden_expect_nothing(&g);
      if (!g.io.closed(g.io.ctx))
        golden_fail(&g, "expected us to close the connection; it is open");
      g.io.disconnect(g.io.ctx);
      connected = 0;
    } else if (strcmp(p, "expect nothing") == 0) {
      golden_expect_nothing(&g);
    } else if (strncmp(p, "clock +", 7) == 0) {
      g.io.advance(g.io.ctx, golden_duration(&g, p + 7));
    } else if (strcmp(p, "logout") == 0 || strncmp(p, "logout ", 7) == 0) {
      if (!g.io.logout) golden_fail(&g, "this side cannot be told to log out");
      g.io.logout(g.io.ctx, p[6] ? p + 7 : NULL);
    } else if (strncmp(p, "seq ", 4) == 0) {
      g.next_in_seq = strtoll(p + 4, NULL, 10);
    } else {
      golden_fail(&g, "unknown directive \"%s\"", p);
    }
  }
  fclose(f);
  /* A conversation ends with everything we sent accounted for. */
  if (connected) golden_expect_nothing(&g);
  if (connected && g.io.closed(g.io.ctx))
    golden_fail(&g, "we closed the connection: end the file with \"expect disconnect\"");
}

static int golden_by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs test once per *.txt file of dir (relative to $OMS_SOURCE_DIR), in
 * name order, each as a cmocka test named after its file with the file's
 * path as its state. Returns the number of failed tests (1 when there is no
 * file: an empty directory is a mistake). */
static int golden_main(const char *dir, void (*test)(void **state)) {
  const char *root = getenv("OMS_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", root ? root : ".", dir);
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "%s: cannot open (set OMS_SOURCE_DIR)\n", path);
    return 1;
  }
  enum { MAX_FILES = 256 };
  char *names[MAX_FILES];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < MAX_FILES) {
    size_t len = strlen(e->d_name);
    if (len > 4 && strcmp(e->d_name + len - 4, ".txt") == 0) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  if (n == 0) {
    fprintf(stderr, "%s: no golden file\n", path);
    return 1;
  }
  qsort(names, n, sizeof names[0], golden_by_name);
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  char **paths = calloc(n, sizeof *paths);
  for (size_t i = 0; i < n; i++) {
    paths[i] = malloc(strlen(path) + strlen(names[i]) + 2);
    sprintf(paths[i], "%s/%s", path, names[i]);
    tests[i] = (struct CMUnitTest){.name = names[i], .test_func = test, .initial_state = paths[i]};
  }
  int rc = _cmocka_run_group_tests(dir, tests, n, NULL, NULL);
  for (size_t i = 0; i < n; i++) {
    free(paths[i]);
    free(names[i]);
  }
  free(paths);
  free(tests);
  return rc;
}

#endif /* OMS_GOLDEN_FIX_H */
