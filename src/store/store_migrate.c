/*
 * store_migrate.c - the explicit move of a SQLite-engine database into a
 * journal (oms_store_journal_import_sqlite; the tool is `omsjournal import`,
 * docs/omsjournal.md).
 *
 * HOW IT WORKS. The old database is read with plain SELECTs (never changed)
 * and written into a NEW journal store through its ordinary calls, so the
 * journal holds exactly what the core would have written and the
 * projection is built by the projector as always:
 *   1. every stored event by seq (events.body), in units of UNIT events:
 *      the events carry the order snapshots, the fills, the marks and the
 *      trading-state changes, so orders, fills, positions and
 *      trading_states follow from them as they did in the old engine;
 *   2. every FIX message kept for resend (fix_sent), then each session's
 *      numbers (fix_sessions, set last: a saved message moves next_out);
 *   3. the sink cursors, the runtime limit changes (a database older
 *      than the limit_changes table has none) and the daily-PnL bases
 *      (pnl_bases, schema 9; not among the counted tables).
 * Then the store is closed (everything projected) and the counts of the
 * new projection are compared with the old ones, table by table: a
 * difference fails the import. Nothing is renamed here; the caller moves
 * the old file aside first and removes what was built on failure.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "oms/store.h"
#include "store/store_int.h"

#define UNIT 64 /* events per appended unit */
#define WAIT_NS INT64_C(30000000000)

/* The tables compared after the import, in the order of the report. */
static const char *const counted[] = {"orders",    "events",         "fills",
                                      "positions", "trading_states", "fix_sessions",
                                      "fix_sent",  "sink_cursors",   "limit_changes"};
#define NCOUNTED (sizeof counted / sizeof counted[0])
_Static_assert(NCOUNTED == OMS_STORE_IMPORT_TABLES, "one count per table");

typedef struct imp_s {
  sqlite3 *old;
  oms_store_t *st;
  oms_store_import_report_t *rep;
} imp_t;

static int fail(imp_t *im, int rc, const char *what, const char *detail) {
  snprintf(im->rep->error, sizeof im->rep->error, "%s: %s", what, detail ? detail : "");
  return rc;
}

static bool has_table(sqlite3 *db, const char *name) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
                         &st, NULL) != SQLITE_OK)
    return false;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  bool yes = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return yes;
}

/* count(*) of table in db: 0 if the table is absent, -1 on error. */
static int64_t count(sqlite3 *db, const char *table) {
  if (!has_table(db, table)) return 0;
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

/* Prepares sql on the old database; NULL with the error set. */
static sqlite3_stmt *prep(imp_t *im, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(im->old, sql, -1, &st, NULL) != SQLITE_OK) {
    fail(im, OMS_ESTORE, sql, sqlite3_errmsg(im->old));
    return NULL;
  }
  return st;
}

static int append_unit(imp_t *im, oms_event_t *ev, size_t n) {
  if (n == 0) return 0;
  oms_store_unit_t u = {ev, n};
  uint64_t t;
  int rc = oms_store_append(im->st, &u, OMS_STORE_APPEND_MUST, &t);
  return rc != 0 ? fail(im, rc, "append events", oms_err_name(rc)) : 0;
}

static int copy_events(imp_t *im) {
  oms_event_t *ev = oms__calloc(UNIT, sizeof *ev);
  if (ev == NULL) return fail(im, OMS_ENOMEM, "events", "out of memory");
  sqlite3_stmt *st = prep(im, "SELECT seq, body FROM events ORDER BY seq");
  int rc = st == NULL ? OMS_ESTORE : 0;
  size_t n = 0;
  int step;
  while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
    const void *body = sqlite3_column_blob(st, 1);
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    if (body == NULL || oms_event_decode(body, len, &ev[n]) < 0 ||
        ev[n].seq != (uint64_t)sqlite3_column_int64(st, 0)) {
      char at[48];
      snprintf(at, sizeof at, "seq %lld", (long long)sqlite3_column_int64(st, 0));
      rc = fail(im, OMS_ECORRUPT, "an event body that does not decode", at);
      break;
    }
    if (++n == UNIT) {
      rc = append_unit(im, ev, n);
      n = 0;
    }
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = fail(im, OMS_ESTORE, "read events", sqlite3_errmsg(im->old));
  if (rc == 0) rc = append_unit(im, ev, n);
  sqlite3_finalize(st);
  oms__free(ev);
  return rc;
}

static int copy_fix(imp_t *im) {
  if (!has_table(im->old, "fix_sessions")) return 0; /* before schema 3 */
  sqlite3_stmt *st = prep(im, "SELECT session, seqnum, msg FROM fix_sent ORDER BY session, seqnum");
  int rc = st == NULL ? OMS_ESTORE : 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    rc = oms_store_fix_save_sent(im->st, (const char *)sqlite3_column_text(st, 0),
                                 sqlite3_column_int64(st, 1), sqlite3_column_blob(st, 2),
                                 (size_t)sqlite3_column_bytes(st, 2), NULL);
    if (rc != 0) fail(im, rc, "fix_sent", oms_err_name(rc));
  }
  sqlite3_finalize(st);
  if (rc != 0) return rc;
  st = prep(im, "SELECT session, next_in, next_out FROM fix_sessions ORDER BY session");
  rc = st == NULL ? OMS_ESTORE : 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    rc = oms_store_fix_set_seqnums(im->st, (const char *)sqlite3_column_text(st, 0),
                                   sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), NULL);
    if (rc != 0) fail(im, rc, "fix_sessions", oms_err_name(rc));
  }
  sqlite3_finalize(st);
  return rc;
}

static int copy_cursors_and_limits(imp_t *im) {
  int rc = 0;
  if (has_table(im->old, "sink_cursors")) {
    sqlite3_stmt *st = prep(im, "SELECT sink, seq FROM sink_cursors ORDER BY sink");
    rc = st == NULL ? OMS_ESTORE : 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
      rc = oms_store_cursor_set(im->st, (const char *)sqlite3_column_text(st, 0),
                                (uint64_t)sqlite3_column_int64(st, 1), NULL);
      if (rc != 0) fail(im, rc, "sink_cursors", oms_err_name(rc));
    }
    sqlite3_finalize(st);
  }
  if (rc != 0 || !has_table(im->old, "limit_changes")) return rc;
  sqlite3_stmt *st = prep(im, "SELECT seq, ts_ns, who, line FROM limit_changes ORDER BY seq");
  rc = st == NULL ? OMS_ESTORE : 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    const char *who = (const char *)sqlite3_column_text(st, 2);
    rc = oms_store_limit_append(im->st, (uint64_t)sqlite3_column_int64(st, 0),
                                sqlite3_column_int64(st, 1), who != NULL ? who : "",
                                (const char *)sqlite3_column_text(st, 3),
                                (size_t)sqlite3_column_bytes(st, 3), NULL);
    if (rc != 0) fail(im, rc, "limit_changes", oms_err_name(rc));
  }
  sqlite3_finalize(st);
  if (rc != 0 || !has_table(im->old, "pnl_bases")) return rc;
  /* Each day's bases before its mark, as the engine wrote them. */
  st = prep(im,
            "SELECT day_start_ns, account_id, base FROM pnl_bases "
            "ORDER BY day_start_ns, account_id = '', account_id");
  rc = st == NULL ? OMS_ESTORE : 0;
  while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
    oms_pnl_base_row_t r;
    memset(&r, 0, sizeof r);
    r.day_start_ns = sqlite3_column_int64(st, 0);
    const char *acct = (const char *)sqlite3_column_text(st, 1);
    snprintf(r.account_id, sizeof r.account_id, "%s", acct != NULL ? acct : "");
    const char *base = (const char *)sqlite3_column_text(st, 2);
    (void)oms_dec_parse_cstr(base != NULL ? base : "0", &r.base);
    rc = oms_store_pnl_base_append(im->st, &r, NULL);
    if (rc != 0) fail(im, rc, "pnl_bases", oms_err_name(rc));
  }
  sqlite3_finalize(st);
  return rc;
}

/* Compares the new projection's counts with the old database's. */
static int compare(imp_t *im, const char *new_db) {
  sqlite3 *nw = NULL;
  if (sqlite3_open_v2(new_db, &nw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    int rc = fail(im, OMS_ESTORE, new_db, nw ? sqlite3_errmsg(nw) : "cannot open");
    sqlite3_close(nw);
    return rc;
  }
  int rc = 0;
  for (size_t i = 0; i < NCOUNTED && rc == 0; i++) {
    int64_t a = count(im->old, counted[i]), b = count(nw, counted[i]);
    im->rep->counts[i] = a;
    if (a < 0 || b < 0 || a != b) {
      char d[96];
      snprintf(d, sizeof d, "%lld in the old database, %lld in the journal's projection",
               (long long)a, (long long)b);
      rc = fail(im, OMS_ESTORE, counted[i], d);
    }
  }
  sqlite3_close(nw);
  return rc;
}

const char *oms_store_import_table(size_t i) { return i < NCOUNTED ? counted[i] : NULL; }

int oms_store_journal_import_sqlite(const char *old_db_path, const oms_store_journal_config_t *cfg,
                                    oms_store_import_report_t *rep) {
  memset(rep, 0, sizeof *rep);
  imp_t im = {NULL, NULL, rep};
  struct stat sb;
  if (old_db_path == NULL || cfg == NULL || cfg->journal_dir == NULL || cfg->db_path == NULL)
    return fail(&im, OMS_EINVAL, "import", "missing argument");
  if (stat(cfg->journal_dir, &sb) == 0 || stat(cfg->db_path, &sb) == 0)
    return fail(&im, OMS_EEXIST, "import", "the journal or its projection exists already");
  if (stat(old_db_path, &sb) != 0 || sb.st_size == 0)
    return fail(&im, OMS_ENOTFOUND, old_db_path, "no database there");
  if (sqlite3_open_v2(old_db_path, &im.old, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    int rc = fail(&im, OMS_ESTORE, old_db_path, im.old ? sqlite3_errmsg(im.old) : "cannot open");
    sqlite3_close(im.old);
    return rc;
  }
  int rc = OMS_ESTORE;
  if (!has_table(im.old, "events") || !has_table(im.old, "orders")) {
    fail(&im, rc, old_db_path, "not an order store (no events or orders table)");
    goto out;
  }
  oms_store_journal_config_t jc = *cfg;
  jc.on_warn = NULL; /* "new data directory" is what this is */
  if ((rc = oms_store_journal_open(&jc, &im.st)) != 0) {
    fail(&im, rc, "open the journal store", oms_err_name(rc));
    goto out;
  }
  if ((rc = copy_events(&im)) == 0 && (rc = copy_fix(&im)) == 0 &&
      (rc = copy_cursors_and_limits(&im)) == 0) {
    rc = oms_store_flush(im.st, WAIT_NS);
    if (rc != 0) fail(&im, rc, "flush", oms_err_name(rc));
  }
  oms_store_close(im.st); /* the projection has everything durable */
  if (rc == 0) rc = compare(&im, cfg->db_path);
out:
  sqlite3_close(im.old);
  return rc;
}
