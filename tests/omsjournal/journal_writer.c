/*
 * journal_writer.c - writes the journal that tests/omsjournal/omsjournal.sh
 * reads with the omsjournal tool: the records the journal store writes
 * (events, FIX sequence numbers and sent messages, a reset, a sink cursor;
 * journal_rec.h), some as units of several records, over small segments so
 * that it rolls. Then a copy with one byte of a record in the middle
 * flipped, and where that record is, for the script to expect in the tool's
 * message.
 *
 * usage: journal_writer WORKDIR
 *   WORKDIR/journal   the journal (40 events, 11 FIX records, 1 cursor)
 *   WORKDIR/damaged   the same with record 20's payload damaged
 *   WORKDIR/torn      the same with the last record (52)'s payload damaged
 *   WORKDIR/damage    "<segment file name> <offset>" of record 20, then of 52
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oms/error.h"
#include "oms/event.h"
#include "oms/journal.h"
#include "store/journal_rec.h"

#define DAMAGED_LSN 20

static void die(const char *what, int rc) {
  fprintf(stderr, "journal_writer: %s: %d\n", what, rc);
  exit(1);
}

static void event(uint64_t seq, oms_event_type_t type, uint8_t *buf, int *len) {
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.seq = seq;
  ev.type = type;
  ev.event_ns = INT64_C(1764000000000000000) + (int64_t)seq;
  ev.order.order_id = (seq + 1) / 2;
  snprintf(ev.order.client_order_id, sizeof ev.order.client_order_id, "C%llu",
           (unsigned long long)ev.order.order_id);
  snprintf(ev.order.strategy_id, sizeof ev.order.strategy_id, "CLIENT1");
  snprintf(ev.order.account_id, sizeof ev.order.account_id, "ACC1");
  snprintf(ev.order.symbol, sizeof ev.order.symbol, "BTC-USD");
  ev.order.side = OMS_SIDE_BUY;
  oms_dec_parse_cstr("0.5", &ev.order.qty);
  oms_dec_parse_cstr("65000", &ev.order.price);
  ev.order.state = type == OMS_EVT_ORDER_SUBMITTED ? OMS_STATE_SUBMITTED : OMS_STATE_ACCEPTED;
  *len = oms_event_encode(&ev, buf, OMS_EVENT_BIN_MAX);
  if (*len <= 0) die("oms_event_encode", *len);
}

static int fix(oms__rec_kind_t kind, int64_t seqnum, uint16_t *type, uint8_t *buf) {
  static oms__rec_t r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  snprintf(r.u.fix.session, sizeof r.u.fix.session, "FIX.4.4:OMS->CLIENT1");
  r.u.fix.next_in = seqnum;
  r.u.fix.next_out = seqnum + 1;
  r.u.fix.seqnum = seqnum;
  r.u.fix.len =
      (uint32_t)snprintf(r.u.fix.msg, sizeof r.u.fix.msg,
                         "8=FIX.4.4\0019=5\00135=8\00134=%lld\00110=000\001", (long long)seqnum);
  int n = oms__jrec_encode(&r, type, buf, OMS__JREC_FIX_MAX);
  if (n < 0) die("oms__jrec_encode", n);
  return n;
}

typedef struct where_s {
  uint64_t lsn;
  char file[256];
  uint64_t offset;
} where_t;

static int find(void *ctx, const oms_journal_entry_t *e) {
  where_t *w = ctx;
  if (e->lsn != w->lsn) return 0;
  const char *b = strrchr(e->file, '/');
  snprintf(w->file, sizeof w->file, "%s", b ? b + 1 : e->file);
  w->offset = e->offset;
  return 1;
}

/* Copies dir to WORKDIR/name with a byte of record lsn's payload flipped;
 * *w says where that record is. */
static void damage(const char *work, const char *dir, const char *name, uint64_t lsn, where_t *w) {
  oms_journal_error_t err;
  memset(w, 0, sizeof(*w));
  w->lsn = lsn;
  if (oms_journal_verify_dir(dir, find, w, &err) != 1 || w->file[0] == 0) die("find record", 0);
  char cmd[2048], path[1024];
  snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/%s'", dir, work, name);
  if (system(cmd) != 0) die("copy", 0);
  snprintf(path, sizeof path, "%s/%s/%s", work, name, w->file);
  FILE *f = fopen(path, "r+b");
  if (f == NULL) die("open the copy", 0);
  long at = (long)w->offset + OMS_JOURNAL_HEADER_SIZE + 4; /* in the payload */
  fseek(f, at, SEEK_SET);
  int c = fgetc(f);
  fseek(f, at, SEEK_SET);
  fputc(c ^ 0x10, f);
  fclose(f);
}

/* WORKDIR/old: a data directory of the SQLite engine (for `omsjournal
 * import`): 6 events of 3 orders, a FIX message kept for resend with the
 * session's numbers, a cursor and a limit change. */
static void old_engine(const char *work) {
  char dir[1024], db[1100];
  snprintf(dir, sizeof dir, "%s/old", work);
  snprintf(db, sizeof db, "%s/oms.db", dir);
  if (mkdir(dir, 0755) != 0) die("mkdir old", 0);
  oms_store_config_t c;
  oms_store_config_init(&c, db);
  c.synchronous = true;
  oms_store_t *st;
  int rc = oms_store_sqlite_open(&c, &st);
  if (rc != 0) die("oms_store_sqlite_open", rc);
  static uint8_t buf[OMS_EVENT_BIN_MAX];
  for (uint64_t seq = 1; seq <= 6; seq++) {
    oms_event_t ev;
    int len;
    event(seq, seq % 2 ? OMS_EVT_ORDER_SUBMITTED : OMS_EVT_ORDER_ACCEPTED, buf, &len);
    if (oms_event_decode(buf, (size_t)len, &ev) < 0) die("oms_event_decode", 0);
    oms_store_unit_t u = {&ev, 1};
    uint64_t t;
    if ((rc = oms_store_append(st, &u, 0, &t)) != 0) die("append old", rc);
  }
  const char *m = "8=FIX.4.4\0019=5\00135=8\00134=1\00110=000\001";
  if ((rc = oms_store_fix_save_sent(st, "venue:SIM", 1, m, strlen(m), NULL)) != 0 ||
      (rc = oms_store_fix_set_seqnums(st, "venue:SIM", 4, 2, NULL)) != 0 ||
      (rc = oms_store_cursor_set(st, "audit", 6, NULL)) != 0 ||
      (rc = oms_store_limit_append(st, 1, 1, "ops", "{\"seq\":1}", 9, NULL)) != 0)
    die("old FIX, cursor, limit", rc);
  oms_store_close(st);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: journal_writer WORKDIR\n");
    return 2;
  }
  char dir[512], cmd[2048];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", argv[1], argv[1]);
  if (system(cmd) != 0) return 1;
  snprintf(dir, sizeof dir, "%s/journal", argv[1]);
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, dir);
  cfg.create = true;
  cfg.durability = OMS_JOURNAL_OS;
  cfg.segment_bytes = 4096; /* a few records each: the journal rolls */
  oms_journal_t *j;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0) die(err.text, rc);
  static uint8_t ev[4][OMS_EVENT_BIN_MAX], fx[2][OMS__JREC_FIX_MAX];
  int len[4];
  uint64_t seq = 0;
  int64_t fixseq = 1;
  for (int i = 0; i < 10; i++) {
    /* A unit: two events and the ExecutionReport that tells of them. */
    event(++seq, OMS_EVT_ORDER_SUBMITTED, ev[0], &len[0]);
    event(++seq, OMS_EVT_ORDER_ACCEPTED, ev[1], &len[1]);
    uint16_t t;
    int n = fix(OMS__REC_FIX_SENT, fixseq++, &t, fx[0]);
    oms_journal_rec_t recs[3] = {{OMS__JREC_EVENT, ev[0], (uint32_t)len[0]},
                                 {OMS__JREC_EVENT, ev[1], (uint32_t)len[1]},
                                 {t, fx[0], (uint32_t)n}};
    if ((rc = oms_journal_append_unit(j, recs, i < 5 ? 2 : 3, NULL)) != 0) die("append_unit", rc);
    /* Single records. */
    event(++seq, OMS_EVT_ORDER_SUBMITTED, ev[2], &len[2]);
    if ((rc = oms_journal_append(j, OMS__JREC_EVENT, ev[2], (uint32_t)len[2], NULL)) != 0)
      die("append", rc);
    event(++seq, OMS_EVT_ORDER_ACCEPTED, ev[3], &len[3]);
    if ((rc = oms_journal_append(j, OMS__JREC_EVENT, ev[3], (uint32_t)len[3], NULL)) != 0)
      die("append", rc);
    if (i % 2 == 0) {
      n = fix(OMS__REC_FIX_SEQNUMS, fixseq, &t, fx[1]);
      if ((rc = oms_journal_append(j, t, fx[1], (uint32_t)n, NULL)) != 0) die("append", rc);
    }
  }
  uint16_t t;
  /* A runtime limit change, as omsd stores one. */
  static oms__rec_t lim;
  static uint8_t lb[OMS__JREC_REC_MAX];
  lim.kind = OMS__REC_LIMIT;
  lim.u.lim.seq = 1;
  lim.u.lim.ts_ns = 1700000000000000000;
  snprintf(lim.u.lim.who, sizeof lim.u.lim.who, "ops");
  const char *line = "{\"seq\":1,\"scope\":\"GLOBAL\",\"new\":{\"max_order_qty\":\"5\"}}";
  lim.u.lim.len = (uint32_t)strlen(line);
  memcpy(lim.u.lim.line, line, lim.u.lim.len);
  int n = oms__jrec_encode(&lim, &t, lb, sizeof lb);
  if (n < 0 || (rc = oms_journal_append(j, t, lb, (uint32_t)n, NULL)) != 0) die("limits", rc);
  n = fix(OMS__REC_FIX_RESET, 0, &t, fx[1]);
  if ((rc = oms_journal_append(j, t, fx[1], (uint32_t)n, NULL)) != 0) die("append", rc);
  static oms__rec_t cur;
  cur.kind = OMS__REC_CURSOR;
  snprintf(cur.u.cur.sink, sizeof cur.u.cur.sink, "audit");
  cur.u.cur.seq = seq;
  n = oms__jrec_encode(&cur, &t, fx[1], OMS__JREC_FIX_MAX);
  if (n < 0 || (rc = oms_journal_append(j, t, fx[1], (uint32_t)n, NULL)) != 0) die("cursor", rc);
  printf("journal_writer: %llu records\n", (unsigned long long)oms_journal_written(j));
  oms_journal_close(j);

  /* A copy damaged in the middle, and one whose last record is cut (a
   * torn tail: what a crash in the middle of a write leaves). */
  where_t w, tw;
  damage(argv[1], dir, "damaged", DAMAGED_LSN, &w);
  damage(argv[1], dir, "torn", 53, &tw);
  char path[1024];
  snprintf(path, sizeof path, "%s/damage", argv[1]);
  FILE *f = fopen(path, "w");
  if (f == NULL) die("write damage", 0);
  fprintf(f, "%s %llu\n%s %llu\n", w.file, (unsigned long long)w.offset, tw.file,
          (unsigned long long)tw.offset);
  fclose(f);
  old_engine(argv[1]);
  return 0;
}
