/*
 * omsjournal - reads a journal directory (docs/journal.md) offline: checks
 * every CRC, lists the records, follows the tail, prints them as JSON; and
 * `import` moves a SQLite-engine data directory into a journal (the one
 * command that writes). Reading never writes: a journal in use by omsd may
 * be read at the same time (what
 * omsd has written so far is what the tool sees), and a torn tail is shown
 * as damage rather than cut (omsd cuts it at its next start).
 *
 * How it works: every command is one pass of oms_journal_verify_dir, the
 * journal's read-only reader, with a callback that prints (or, for tail,
 * keeps the last N lines in a ring); --follow repeats the pass from the
 * next LSN every 200 ms. EVENT records are decoded with oms_event_decode;
 * the other record types are named from the store's table and shown by
 * size and place (their payloads are the store's business, docs/store.md).
 *
 *   omsjournal verify DIR                      exit 0, or 1 naming file and offset
 *   omsjournal dump DIR [--from LSN] [--to LSN] one line per record
 *   omsjournal tail DIR [-n N] [--follow]       the last N records (10)
 *   omsjournal json DIR [--from LSN] [--to LSN] one JSON object per line
 *   omsjournal import DATA_DIR [--file NAME]   the old engine's NAME (oms.db)
 *                                              into DATA_DIR/journal, under
 *                                              omsd's lock; the old file kept
 *                                              as NAME.sqlite-engine
 *
 * Exit status: 0; 1 the journal is damaged (stderr names file and offset) or
 * unreadable, or an import refused or failed (nothing changed); 2 a bad
 * command line.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "oms/journal.h"
#include "oms/oms.h"
#include "store/journal_rec.h"

/* A record type's name: the journal store's table (store/journal_rec.h). */
static const char *type_name(uint16_t t, char *buf, size_t cap) {
  const char *name = oms__jrec_name(t);
  if (name != NULL) return name;
  snprintf(buf, cap, "type%u", (unsigned)t);
  return buf;
}

/* The file name without its directory: the lines stay short. */
static const char *base(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

typedef struct run_s {
  uint64_t from, to; /* inclusive; to 0 = no bound */
  uint64_t records, first, last;
  int json, quiet, follow;
  /* tail: the last n lines, kept in a ring. */
  char **ring;
  size_t n, kept;
} run_t;

#define STOP_AT_TO 1 /* a callback's return: past --to, stop reading */

/* The summary of a non-event record (its decoded payload) after buf[n]. */
static void other_summary(const oms_journal_entry_t *e, char *buf, size_t cap) {
  static oms__rec_t r; /* large (a FIX message); one thread */
  if (oms__jrec_decode(e->type, e->data, e->len, &r) != 0) return;
  switch (e->type) {
    case OMS__JREC_FIX_SEQNUMS:
      snprintf(buf, cap, " session=%s next_in=%lld next_out=%lld", r.u.fix.session,
               (long long)r.u.fix.next_in, (long long)r.u.fix.next_out);
      break;
    case OMS__JREC_FIX_SENT: {
      /* The message type: what follows "\00135=". */
      const char *mt = NULL;
      for (uint32_t i = 0; i + 4 < r.u.fix.len && mt == NULL; i++)
        if (r.u.fix.msg[i] == '\001' && r.u.fix.msg[i + 1] == '3' && r.u.fix.msg[i + 2] == '5' &&
            r.u.fix.msg[i + 3] == '=')
          mt = &r.u.fix.msg[i + 4];
      int n = 0;
      while (mt != NULL && mt + n < r.u.fix.msg + r.u.fix.len && mt[n] != '\001' && n < 8) n++;
      snprintf(buf, cap, " session=%s seqnum=%lld msg_type=%.*s", r.u.fix.session,
               (long long)r.u.fix.seqnum, n, mt != NULL ? mt : "");
      break;
    }
    case OMS__JREC_FIX_RESET: snprintf(buf, cap, " session=%s", r.u.fix.session); break;
    case OMS__JREC_CURSOR:
      snprintf(buf, cap, " sink=%s seq=%llu", r.u.cur.sink, (unsigned long long)r.u.cur.seq);
      break;
    case OMS__JREC_LIMITS:
      snprintf(buf, cap, " seq=%llu who=%s line=%.*s", (unsigned long long)r.u.lim.seq,
               r.u.lim.who[0] ? r.u.lim.who : "-", (int)r.u.lim.len, r.u.lim.line);
      break;
    case OMS__JREC_PNL_BASE: {
      char b[OMS_DEC_STRLEN];
      oms_dec_format(r.u.pnl.base, b, sizeof b);
      snprintf(buf, cap, " day_start_ns=%lld account=%s base=%s", (long long)r.u.pnl.day_start_ns,
               r.u.pnl.account_id[0] ? r.u.pnl.account_id : "-", b);
      break;
    }
    default: break;
  }
}

/* One record as a dump line into buf. */
static void dump_line(const oms_journal_entry_t *e, char *buf, size_t cap) {
  char tname[16];
  int n = snprintf(buf, cap, "lsn=%llu type=%s len=%u at=%s:%llu%s", (unsigned long long)e->lsn,
                   type_name(e->type, tname, sizeof tname), (unsigned)e->len, base(e->file),
                   (unsigned long long)e->offset, (e->flags & OMS_JOURNAL_F_MORE) ? " more" : "");
  if (n < 0 || (size_t)n >= cap) return;
  if (e->type != OMS__JREC_EVENT) {
    other_summary(e, buf + n, cap - (size_t)n);
    return;
  }
  oms_event_t ev;
  if (oms_event_decode(e->data, e->len, &ev) != 0) {
    snprintf(buf + n, cap - (size_t)n, " event=undecodable");
    return;
  }
  const oms_order_t *o = &ev.order;
  if (o->order_id == 0) {
    snprintf(buf + n, cap - (size_t)n, " seq=%llu %s", (unsigned long long)ev.seq,
             oms_event_type_name(ev.type));
    return;
  }
  char qty[OMS_DEC_STRLEN], px[OMS_DEC_STRLEN], filled[OMS_DEC_STRLEN];
  oms_dec_format(o->qty, qty, sizeof qty);
  oms_dec_format(o->price, px, sizeof px);
  oms_dec_format(o->filled_qty, filled, sizeof filled);
  snprintf(buf + n, cap - (size_t)n, " seq=%llu %s order=%llu %s/%s %s %s %s @%s %s filled=%s",
           (unsigned long long)ev.seq, oms_event_type_name(ev.type),
           (unsigned long long)o->order_id, o->strategy_id, o->client_order_id,
           oms_side_str(o->side), qty, o->symbol, px, oms_ord_state_str(o->state), filled);
}

/* A JSON string of len bytes (control bytes such as FIX's SOH escaped). */
static void json_bytes(FILE *f, const uint8_t *p, uint32_t len) {
  fputc('"', f);
  for (uint32_t i = 0; i < len; i++) {
    uint8_t ch = p[i];
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20 || ch >= 0x7f)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void json_line(const oms_journal_entry_t *e) {
  char tname[16];
  const char *name = type_name(e->type, tname, sizeof tname);
  printf("{\"lsn\":%llu,\"record\":\"%s\",\"file\":\"%s\",\"offset\":%llu",
         (unsigned long long)e->lsn, name, base(e->file), (unsigned long long)e->offset);
  static oms__rec_t r; /* large (a FIX message); one thread */
  if (e->type == OMS__JREC_EVENT) {
    oms_event_t ev;
    char buf[OMS_EVENT_JSON_MAX];
    if (oms_event_decode(e->data, e->len, &ev) == 0 &&
        oms_event_to_json(&ev, buf, sizeof buf) > 0) {
      printf(",\"event\":%s}\n", buf);
      return;
    }
  } else if (oms__jrec_decode(e->type, e->data, e->len, &r) == 0) {
    if (e->type == OMS__JREC_CURSOR) {
      printf(",\"sink\":");
      json_bytes(stdout, (const uint8_t *)r.u.cur.sink, (uint32_t)strlen(r.u.cur.sink));
      printf(",\"seq\":%llu}\n", (unsigned long long)r.u.cur.seq);
      return;
    }
    if (e->type == OMS__JREC_LIMITS) {
      printf(",\"seq\":%llu,\"ts_ns\":%lld,\"who\":", (unsigned long long)r.u.lim.seq,
             (long long)r.u.lim.ts_ns);
      json_bytes(stdout, (const uint8_t *)r.u.lim.who, (uint32_t)strlen(r.u.lim.who));
      printf(",\"line\":");
      json_bytes(stdout, (const uint8_t *)r.u.lim.line, r.u.lim.len);
      printf("}\n");
      return;
    }
    printf(",\"session\":");
    json_bytes(stdout, (const uint8_t *)r.u.fix.session, (uint32_t)strlen(r.u.fix.session));
    if (e->type == OMS__JREC_FIX_SEQNUMS)
      printf(",\"next_in\":%lld,\"next_out\":%lld", (long long)r.u.fix.next_in,
             (long long)r.u.fix.next_out);
    if (e->type == OMS__JREC_FIX_SENT) {
      printf(",\"seqnum\":%lld,\"msg\":", (long long)r.u.fix.seqnum);
      json_bytes(stdout, (const uint8_t *)r.u.fix.msg, r.u.fix.len);
    }
    printf("}\n");
    return;
  }
  /* Not decodable (a reserved type, or damage the CRC did not catch): the bytes. */
  printf(",\"len\":%u,\"payload\":", (unsigned)e->len);
  json_bytes(stdout, e->data, e->len);
  printf("}\n");
}

static int on_record(void *ctx, const oms_journal_entry_t *e) {
  run_t *r = ctx;
  if (e->lsn < r->from) return 0;
  if (r->to != 0 && e->lsn > r->to) return STOP_AT_TO;
  if (r->records++ == 0) r->first = e->lsn;
  r->last = e->lsn;
  if (r->ring != NULL) {
    char line[1024]; /* the tail's ring keeps lines of this size */
    dump_line(e, line, sizeof line);
    char *s = r->ring[r->kept % r->n];
    snprintf(s, 1024, "%s", line);
    r->kept++;
  } else if (r->json) {
    json_line(e);
  } else if (!r->quiet) {
    char line[4096]; /* a limit change's line whole */
    dump_line(e, line, sizeof line);
    puts(line);
  }
  return 0;
}

/* One read of dir: 0, or 1 with the damage on stderr. */
static int pass(const char *dir, run_t *r) {
  oms_journal_error_t err;
  memset(&err, 0, sizeof err);
  int rc = oms_journal_verify_dir(dir, on_record, r, &err);
  if ((rc == 0 || rc == STOP_AT_TO) && err.text[0] && !r->follow) {
    /* A write cut by a crash: not damage; omsd cuts it at its next start. */
    fflush(stdout);
    fprintf(stderr, "omsjournal: %s: torn tail at %s:%llu: %s\n", dir, err.file,
            (unsigned long long)err.offset, err.text);
  }
  if (rc == 0 || rc == STOP_AT_TO) return 0;
  fflush(stdout);
  if (err.file[0])
    fprintf(stderr, "omsjournal: %s: damaged at %s:%llu: %s\n", dir, err.file,
            (unsigned long long)err.offset, err.text[0] ? err.text : oms_strerror(rc));
  else
    fprintf(stderr, "omsjournal: %s: %s%s%s\n", dir, oms_strerror(rc), err.text[0] ? ": " : "",
            err.text);
  return 1;
}

static void flush_ring(run_t *r) {
  size_t first = r->kept > r->n ? r->kept - r->n : 0;
  for (size_t i = first; i < r->kept; i++) puts(r->ring[i % r->n]);
  r->kept = 0;
  fflush(stdout);
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static int usage(void) {
  fprintf(stderr,
          "usage: omsjournal verify DIR\n"
          "       omsjournal dump DIR [--from LSN] [--to LSN]\n"
          "       omsjournal tail DIR [-n N] [--follow]\n"
          "       omsjournal json DIR [--from LSN] [--to LSN]\n"
          "       omsjournal import DATA_DIR [--file NAME]\n");
  return 2;
}

/* ---- import: a SQLite-engine data directory into a journal ------------------------ */

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Renames from{,-wal,-shm} to to{,-wal,-shm} (those that exist). */
static int move_db(const char *from, const char *to) {
  const char *sfx[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) {
    char a[1100], b[1100];
    snprintf(a, sizeof a, "%s%s", from, sfx[i]);
    snprintf(b, sizeof b, "%s%s", to, sfx[i]);
    if (exists(a) && rename(a, b) != 0) {
      fprintf(stderr, "omsjournal: rename %s %s: %s\n", a, b, strerror(errno));
      return -1;
    }
  }
  return 0;
}

/* What a failed import built: the journal's segments and the projection. */
static void remove_built(const char *journal, const char *db) {
  DIR *dh = opendir(journal);
  struct dirent *de;
  while (dh != NULL && (de = readdir(dh)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", journal, de->d_name);
    unlink(p);
  }
  if (dh != NULL) closedir(dh);
  rmdir(journal);
  const char *sfx[] = {"", "-wal", "-shm", ".clean"};
  for (int i = 0; i < 4; i++) {
    char p[1100];
    snprintf(p, sizeof p, "%s%s", db, sfx[i]);
    unlink(p);
  }
}

/* docs/omsjournal.md, "import": 0 done, 1 refused or failed (nothing
 * changed: the old database is back under its name). */
static int import_dir(const char *data_dir, const char *file) {
  char lock[1024], journal[1024], db[1024], old[1100];
  snprintf(lock, sizeof lock, "%s/omsd.lock", data_dir);
  snprintf(journal, sizeof journal, "%s/journal", data_dir);
  snprintf(db, sizeof db, "%s/%s", data_dir, file);
  snprintf(old, sizeof old, "%s.sqlite-engine", db);
  /* omsd holds this lock while it runs: never move a live store. */
  int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) != 0) {
    fprintf(stderr, "omsjournal: %s: %s (is omsd running on %s? stop it first)\n", lock,
            strerror(errno), data_dir);
    if (lfd >= 0) close(lfd);
    return 1;
  }
  int rc = 1;
  if (exists(journal)) {
    fprintf(stderr, "omsjournal: %s exists: %s has a journal already\n", journal, data_dir);
  } else if (!exists(db)) {
    fprintf(stderr, "omsjournal: no database %s to import\n", db);
  } else if (exists(old)) {
    fprintf(stderr, "omsjournal: %s exists: move it away first\n", old);
  } else if (move_db(db, old) == 0) {
    oms_store_journal_config_t jc;
    oms_store_journal_config_init(&jc, journal, db);
    jc.durability = OMS_DURABILITY_FSYNC; /* on disk before the old file is set aside */
    oms_store_import_report_t rep;
    int irc = oms_store_journal_import_sqlite(old, &jc, &rep);
    if (irc == 0) {
      printf("omsjournal: imported %s into %s:", old, journal);
      for (size_t i = 0; oms_store_import_table(i) != NULL; i++)
        printf(" %s=%lld", oms_store_import_table(i), (long long)rep.counts[i]);
      printf(
          "\nomsjournal: the old database is kept as %s; omsd now starts on the journal "
          "(store.engine = \"journal\")\n",
          old);
      rc = 0;
    } else {
      fprintf(stderr, "omsjournal: import failed (%s): %s; %s is unchanged\n", oms_err_name(irc),
              rep.error, db);
      remove_built(journal, db);
      (void)move_db(old, db);
    }
  }
  close(lfd);
  return rc;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != 0 || s[0] == '-') return -1;
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  const char *cmd = argv[1], *dir = argv[2];
  run_t r;
  memset(&r, 0, sizeof r);
  uint64_t tail_n = 10;
  int follow = 0;
  const char *file = "oms.db";
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--file") && i + 1 < argc && !strcmp(cmd, "import")) {
      file = argv[++i];
    } else if ((!strcmp(a, "--from") || !strcmp(a, "--to") || !strcmp(a, "-n")) && i + 1 < argc) {
      uint64_t v;
      if (parse_u64(argv[++i], &v) != 0) return usage();
      if (!strcmp(a, "--from")) r.from = v;
      if (!strcmp(a, "--to")) r.to = v;
      if (!strcmp(a, "-n")) tail_n = v;
    } else if (!strcmp(a, "--follow") || !strcmp(a, "-f")) {
      follow = 1;
    } else {
      return usage();
    }
  }
  if (!strcmp(cmd, "import")) return import_dir(dir, file);
  if (!strcmp(cmd, "verify")) {
    r.quiet = 1;
    if (pass(dir, &r) != 0) return 1;
    if (r.records == 0)
      printf("%s: ok: no records\n", dir);
    else
      printf("%s: ok: %llu records, lsn %llu..%llu\n", dir, (unsigned long long)r.records,
             (unsigned long long)r.first, (unsigned long long)r.last);
    return 0;
  }
  if (!strcmp(cmd, "dump")) return pass(dir, &r);
  if (!strcmp(cmd, "json")) {
    r.json = 1;
    return pass(dir, &r);
  }
  if (strcmp(cmd, "tail") != 0) return usage();
  if (tail_n == 0 || tail_n > 1000000) return usage();
  r.n = (size_t)tail_n;
  r.ring = calloc(r.n, sizeof(*r.ring));
  char *lines = calloc(r.n, 1024);
  if (r.ring == NULL || lines == NULL) {
    fprintf(stderr, "omsjournal: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < r.n; i++) r.ring[i] = lines + i * 1024;
  int rc = pass(dir, &r);
  flush_ring(&r);
  if (follow && rc == 0) {
    r.follow = 1; /* the tail being written is no news */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!g_stop) {
      struct timespec ts = {0, 200 * 1000000L};
      nanosleep(&ts, NULL);
      r.from = r.records ? r.last + 1 : r.from;
      /* Everything new, in order: the ring is as large as tail's N, so a
       * burst larger than N shows its last N records. */
      if (pass(dir, &r) != 0) {
        rc = 1;
        break;
      }
      flush_ring(&r);
    }
  }
  free(lines);
  free(r.ring);
  return rc;
}
