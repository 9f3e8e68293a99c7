/* Moving a SQLite-engine database into a journal (src/store/store_migrate.c):
 * everything the old store answered, the new journal store answers the same
 * (orders, events, fills, positions, trading states, FIX numbers and the
 * messages kept for resend, cursors, limit changes), the counts are
 * reported, the old file is not changed; an existing journal, a missing
 * database and an event that does not decode are refused. */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store/store_int.h"
#include "unit/store/store_fixture.h"

#define WAIT_NS INT64_C(10000000000)

typedef struct text_s {
  char s[16384];
} text_t;

static void put(text_t *t, const char *fmt, ...) {
  size_t n = strlen(t->s);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->s + n, sizeof t->s - n, fmt, ap);
  va_end(ap);
}

static int t_order(void *ctx, const oms_order_t *o) {
  char q[OMS_DEC_STRLEN];
  oms_dec_format(o->filled_qty, q, sizeof q);
  put(ctx, "o%llu:%s:%s;", (unsigned long long)o->order_id, oms_ord_state_str(o->state), q);
  return 0;
}
static int t_event(void *ctx, const oms_event_t *e) {
  put(ctx, "e%llu:%d;", (unsigned long long)e->seq, (int)e->type);
  return 0;
}
static int t_fill(void *ctx, const oms_fill_row_t *f) {
  put(ctx, "f%llu:%s;", (unsigned long long)f->seq, f->fill.exec_id);
  return 0;
}
static int t_pos(void *ctx, const oms_position_t *p) {
  char q[OMS_DEC_STRLEN], r[OMS_DEC_STRLEN];
  oms_dec_format(p->qty, q, sizeof q);
  oms_dec_format(p->realized_pnl, r, sizeof r);
  put(ctx, "p%s/%s:%s:%s;", p->account_id, p->symbol, q, r);
  return 0;
}
static int t_state(void *ctx, const oms_trading_state_row_t *t) {
  put(ctx, "t%d/%s:%d;", t->scope_kind, t->scope_id, t->state);
  return 0;
}
static int t_msg(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  put(ctx, "m%lld:%.*s;", (long long)seqnum, (int)len, msg);
  return 0;
}
static int t_limit(void *ctx, const oms_limit_change_row_t *r) {
  put(ctx, "l%llu:%s:%.*s;", (unsigned long long)r->seq, r->who, (int)r->len, r->line);
  return 0;
}

/* Everything the store answers, as text. */
static int t_base(void *ctx, const oms_pnl_base_row_t *r) {
  char b[OMS_DEC_STRLEN];
  oms_dec_format(r->base, b, sizeof b);
  put(ctx, "base:%lld/%s/%s;", (long long)r->day_start_ns, r->account_id, b);
  return 0;
}

static void answer(oms_store_t *st, text_t *t) {
  memset(t, 0, sizeof *t);
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  assert_int_equal(oms_store_query_orders(st, &q, t_order, t), 0);
  assert_int_equal(oms_store_events_from(st, 1, 0, t_event, t), 0);
  for (uint64_t id = 1; id <= 6; id++)
    assert_int_equal(oms_store_fills_for_order(st, id, t_fill, t), 0);
  assert_int_equal(oms_store_load_positions(st, t_pos, t), 0);
  assert_int_equal(oms_store_load_trading_states(st, t_state, t), 0);
  const char *sessions[] = {"S1", "venue:V"};
  for (int i = 0; i < 2; i++) {
    int64_t in = 0, out = 0;
    assert_int_equal(oms_store_fix_get_seqnums(st, sessions[i], &in, &out), 0);
    put(t, "s%s:%lld/%lld;", sessions[i], (long long)in, (long long)out);
    assert_int_equal(oms_store_fix_fetch_sent(st, sessions[i], 1, 0, t_msg, t), 0);
  }
  uint64_t cur = 0, ls = 0, lo = 0;
  assert_int_equal(oms_store_cursor_get(st, "nats", &cur), 0);
  assert_int_equal(oms_store_last_seqs(st, &ls, &lo), 0);
  put(t, "cur:%llu;last:%llu/%llu;", (unsigned long long)cur, (unsigned long long)ls,
      (unsigned long long)lo);
  assert_int_equal(oms_store_limit_changes(st, t_limit, t), 0);
  int64_t day = 0;
  assert_int_equal(oms_store_pnl_bases(st, &day, t_base, t), 0);
  put(t, "day:%lld;", (long long)day);
}

/* An old data directory: the SQLite engine with orders (some filled), a
 * halt, two FIX sessions, a cursor and two limit changes. */
static void old_store(const fx_dir_t *d) {
  oms_store_config_t c;
  oms_store_config_init(&c, d->db);
  c.synchronous = true;
  oms_store_t *st;
  assert_int_equal(oms_store_sqlite_open(&c, &st), 0);
  uint64_t seq = 0;
  for (uint64_t id = 1; id <= 6; id++) {
    oms_order_t o;
    oms_event_t ev[4];
    fx_order(&o, id, "s1", id % 2 ? "A1" : "A2", "BTC-USD", T0 + (int64_t)id);
    oms_ord_event_t kinds[4] = {OMS_EV_SUBMIT, OMS_EV_ACCEPT, OMS_EV_FILL, OMS_EV_FILL};
    const char *q[4] = {NULL, NULL, "1", "1"};
    int steps = 1 + (int)(id % 4);
    for (int i = 0; i < steps; i++)
      fx_apply(&o, kinds[i], q[i], q[i] ? "100" : NULL, T0 + (int64_t)id * 10 + i, ++seq, &ev[i]);
    oms_store_unit_t u = {ev, (size_t)steps};
    uint64_t t;
    assert_int_equal(oms_store_append(st, &u, 0, &t), 0);
  }
  oms_event_t h;
  memset(&h, 0, sizeof h);
  h.seq = ++seq;
  h.type = OMS_EVT_TRADING_STATE_CHANGED;
  h.event_ns = T0 + 999;
  h.scope_kind = 1;
  h.new_state = 2;
  strcpy(h.scope_id, "A2");
  strcpy(h.text, "halted by ops");
  oms_store_unit_t u = {&h, 1};
  uint64_t t;
  assert_int_equal(oms_store_append(st, &u, 0, &t), 0);
  assert_int_equal(oms_store_fix_save_sent(st, "S1", 1, "m1", 2, NULL), 0);
  assert_int_equal(oms_store_fix_save_sent(st, "S1", 2, "m2", 2, NULL), 0);
  assert_int_equal(oms_store_fix_set_seqnums(st, "S1", 9, 3, NULL), 0);
  assert_int_equal(oms_store_fix_save_sent(st, "venue:V", 5, "v5", 2, NULL), 0);
  assert_int_equal(oms_store_fix_set_seqnums(st, "venue:V", 4, 11, NULL), 0);
  assert_int_equal(oms_store_cursor_set(st, "nats", 7, NULL), 0);
  assert_int_equal(oms_store_limit_append(st, 1, T0, "ops", "{\"seq\":1}", 9, NULL), 0);
  assert_int_equal(oms_store_limit_append(st, 2, T0 + 1, "", "{\"seq\":2}", 9, NULL), 0);
  /* Two days of daily-PnL bases, each day's mark after its accounts. */
  const char *rows[][3] = {{"100", "A1", "1.5"},
                           {"100", "", "0"},
                           {"200", "A1", "-2"},
                           {"200", "A2", "3"},
                           {"200", "", "0"}};
  for (int i = 0; i < 5; i++) {
    oms_pnl_base_row_t r;
    memset(&r, 0, sizeof r);
    r.day_start_ns = atoll(rows[i][0]);
    strcpy(r.account_id, rows[i][1]);
    r.base = T_D(rows[i][2]);
    assert_int_equal(oms_store_pnl_base_append(st, &r, NULL), 0);
  }
  oms_store_close(st);
}

static void journal_cfg(oms_store_journal_config_t *jc, const fx_dir_t *d, const char *db) {
  oms_store_journal_config_init(jc, d->journal, db);
  jc->durability = OMS_DURABILITY_FSYNC;
  jc->segment_bytes = 1 << 20;
}

static off_t size_of(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void test_everything_is_moved_and_counted(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  old_store(&d);
  /* The caller moves the old file aside; the projection takes its name. */
  char old[160];
  snprintf(old, sizeof old, "%s.sqlite-engine", d.db);
  assert_int_equal(rename(d.db, old), 0);
  text_t before, after;
  oms_store_config_t c;
  oms_store_config_init(&c, old);
  c.synchronous = true;
  oms_store_t *st;
  assert_int_equal(oms_store_sqlite_open(&c, &st), 0);
  answer(st, &before);
  assert_non_null(strstr(before.s, "base:200/A1/-2;base:200/A2/3;day:200;"));
  oms_store_close(st);
  off_t old_size = size_of(old);

  oms_store_journal_config_t jc;
  journal_cfg(&jc, &d, d.db);
  oms_store_import_report_t rep;
  assert_int_equal(oms_store_journal_import_sqlite(old, &jc, &rep), 0);
  assert_string_equal(rep.error, "");
  /* orders, events, fills, positions, trading_states, fix_sessions,
   * fix_sent, sink_cursors, limit_changes */
  int64_t want[OMS_STORE_IMPORT_TABLES] = {6, 16, 4, 2, 1, 2, 3, 1, 2};
  for (size_t i = 0; i < OMS_STORE_IMPORT_TABLES; i++) {
    print_message("%s=%lld\n", oms_store_import_table(i), (long long)rep.counts[i]);
    assert_int_equal(rep.counts[i], want[i]);
  }
  assert_string_equal(oms_store_import_table(0), "orders");
  assert_null(oms_store_import_table(OMS_STORE_IMPORT_TABLES));
  assert_int_equal(size_of(old), old_size);

  /* The journal store opens on it as on any journal, and answers the same. */
  assert_int_equal(oms_store_journal_open(&jc, &st), 0);
  answer(st, &after);
  assert_string_equal(before.s, after.s);
  /* ...and after its projection is rebuilt from the journal alone. */
  oms_store_close(st);
  char p[200];
  const char *sfx[] = {"", "-wal", "-shm", ".clean"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s%s", d.db, sfx[i]);
    unlink(p);
  }
  assert_int_equal(oms_store_journal_open(&jc, &st), 0);
  answer(st, &after);
  assert_string_equal(before.s, after.s);
  oms_store_close(st);

  /* A second import onto the journal now there is refused. */
  assert_int_equal(oms_store_journal_import_sqlite(old, &jc, &rep), OMS_EEXIST);
  assert_non_null(strstr(rep.error, "exists already"));
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s%s", old, sfx[i]);
    unlink(p);
  }
  assert_int_equal(fx_dir_remove(&d), 0);
}

static void test_refusals(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_journal_config_t jc;
  journal_cfg(&jc, &d, d.db);
  oms_store_import_report_t rep;
  char old[160];
  snprintf(old, sizeof old, "%s/old.db", d.dir);
  assert_int_equal(oms_store_journal_import_sqlite(old, &jc, &rep), OMS_ENOTFOUND);
  assert_int_equal(oms_store_journal_import_sqlite(NULL, &jc, &rep), OMS_EINVAL);
  /* Not an order store. */
  sqlite3 *db;
  assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(oms_store_journal_import_sqlite(old, &jc, &rep), OMS_ESTORE);
  assert_non_null(strstr(rep.error, "not an order store"));
  unlink(old);
  /* An event body that does not decode: named by its seq. */
  old_store(&d);
  assert_int_equal(rename(d.db, old), 0);
  assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "UPDATE events SET body = x'00' WHERE seq = 3", NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(oms_store_journal_import_sqlite(old, &jc, &rep), OMS_ECORRUPT);
  assert_non_null(strstr(rep.error, "seq 3"));
  char p[200];
  const char *sfx[] = {"", "-wal", "-shm", ".clean"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s%s", old, sfx[i]);
    unlink(p);
  }
  assert_int_equal(fx_dir_remove(&d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_everything_is_moved_and_counted),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
