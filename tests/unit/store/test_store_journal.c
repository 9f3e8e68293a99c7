/* The journal store (src/store/store_journal.c): recovery (a projection
 * rebuilt when missing, empty or damaged; history never starts empty;
 * damage in the journal stops the open naming file and offset), restart
 * equivalence, read-your-writes, the journal's fault seam (appends refused,
 * nothing durable that was not synced), the projection's fault seam (retried
 * until it commits), retention, and the record payloads. The contract
 * itself runs in test_store_contract.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "oms/alloc.h"
#include "oms/journal.h"
#include "store/journal_rec.h"
#include "store/store_int.h"
#include "unit/store/store_fixture.h"

#define WAIT_NS INT64_C(10000000000)

typedef struct env_s {
  fx_dir_t dir;
  oms_store_journal_config_t cfg;
  oms_store_t *st;
  uint64_t seq;
  char warned[1024];
  oms_store_error_t err;
  int n_err;
} env_t;

static void on_warn(void *ctx, const char *text) {
  env_t *env = ctx;
  snprintf(env->warned + strlen(env->warned), sizeof env->warned - strlen(env->warned), "%s;",
           text);
}

/* on_error runs on the journal's and the projector's threads. */
static pthread_mutex_t g_err_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_error(void *ctx, const oms_store_error_t *e) {
  env_t *env = ctx;
  pthread_mutex_lock(&g_err_mu);
  env->err = *e;
  env->n_err++;
  pthread_mutex_unlock(&g_err_mu);
}

/* The last error reported (a copy taken under the lock). */
static const oms_store_error_t *last_err(env_t *env) {
  static oms_store_error_t copy;
  pthread_mutex_lock(&g_err_mu);
  copy = env->err;
  pthread_mutex_unlock(&g_err_mu);
  return &copy;
}

static int n_errs(env_t *env) {
  pthread_mutex_lock(&g_err_mu);
  int n = env->n_err;
  pthread_mutex_unlock(&g_err_mu);
  return n;
}

static void env_init(env_t *env) {
  memset(env, 0, sizeof *env);
  fx_dir_make(&env->dir);
  oms_store_journal_config_init(&env->cfg, env->dir.journal, env->dir.db);
  env->cfg.durability = OMS_DURABILITY_OS;
  env->cfg.segment_bytes = 1 << 20;
  env->cfg.on_warn = on_warn;
  env->cfg.on_error = on_error;
  env->cfg.ctx = env;
}

static int env_open(env_t *env) {
  env->warned[0] = '\0';
  pthread_mutex_lock(&g_err_mu);
  env->n_err = 0;
  pthread_mutex_unlock(&g_err_mu);
  return oms_store_journal_open(&env->cfg, &env->st);
}

static void env_close(env_t *env) {
  oms_store_close(env->st);
  env->st = NULL;
}

static void env_done(env_t *env) {
  env_close(env);
  assert_int_equal(fx_dir_remove(&env->dir), 0);
}

/* Order id's lifecycle (submit, accept, fills: `steps` events) as one unit. */
static uint64_t append_order(env_t *env, uint64_t id, int steps) {
  oms_order_t o;
  oms_event_t ev[4];
  fx_order(&o, id, "s1", id % 2 ? "A1" : "A2", "BTC-USD", T0 + (int64_t)id);
  oms_ord_event_t kinds[4] = {OMS_EV_SUBMIT, OMS_EV_ACCEPT, OMS_EV_FILL, OMS_EV_FILL};
  const char *q[4] = {NULL, NULL, "1", "1"};
  for (int i = 0; i < steps; i++)
    fx_apply(&o, kinds[i], q[i], q[i] ? "100" : NULL, T0 + (int64_t)id * 10 + i, ++env->seq,
             &ev[i]);
  oms_store_unit_t u = {ev, (size_t)steps};
  uint64_t t = 0;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
  return t;
}

/* A few orders, FIX state and a cursor. */
static void fill_some(env_t *env, uint64_t first, uint64_t n) {
  for (uint64_t id = first; id < first + n; id++) append_order(env, id, 1 + (int)(id % 4));
  assert_int_equal(oms_store_fix_set_seqnums(env->st, "S1", 5, 7, NULL), 0);
  assert_int_equal(oms_store_fix_save_sent(env->st, "S1", 7, "m7", 2, NULL), 0);
  assert_int_equal(oms_store_cursor_set(env->st, "nats", first + n, NULL), 0);
}

/* What the queries answer, as text: compared across restarts. */
typedef struct dump_s {
  char text[16384];
} dump_t;

static void put(dump_t *d, const char *s) {
  size_t n = strlen(d->text);
  snprintf(d->text + n, sizeof d->text - n, "%s", s);
}
static int d_order(void *ctx, const oms_order_t *o) {
  char b[128];
  char q[OMS_DEC_STRLEN];
  oms_dec_format(o->filled_qty, q, sizeof q);
  snprintf(b, sizeof b, "o%llu:%s:%s;", (unsigned long long)o->order_id,
           oms_ord_state_str(o->state), q);
  put(ctx, b);
  return 0;
}
static int d_event(void *ctx, const oms_event_t *e) {
  char b[64];
  snprintf(b, sizeof b, "e%llu:%d;", (unsigned long long)e->seq, (int)e->type);
  put(ctx, b);
  return 0;
}
static int d_pos(void *ctx, const oms_position_t *p) {
  char b[128], q[OMS_DEC_STRLEN];
  oms_dec_format(p->qty, q, sizeof q);
  snprintf(b, sizeof b, "p%s/%s:%s;", p->account_id, p->symbol, q);
  put(ctx, b);
  return 0;
}
static int d_msg(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  char b[64];
  snprintf(b, sizeof b, "m%lld:%.*s;", (long long)seqnum, (int)len, msg);
  put(ctx, b);
  return 0;
}

static void dump(env_t *env, dump_t *d) {
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  memset(d, 0, sizeof *d);
  assert_int_equal(oms_store_query_orders(env->st, &q, d_order, d), 0);
  assert_int_equal(oms_store_events_from(env->st, 1, 0, d_event, d), 0);
  assert_int_equal(oms_store_load_positions(env->st, d_pos, d), 0);
  assert_int_equal(oms_store_fix_fetch_sent(env->st, "S1", 1, 0, d_msg, d), 0);
  int64_t in = 0, out = 0;
  uint64_t cur = 0, ls = 0, lo = 0;
  assert_int_equal(oms_store_fix_get_seqnums(env->st, "S1", &in, &out), 0);
  assert_int_equal(oms_store_cursor_get(env->st, "nats", &cur), 0);
  assert_int_equal(oms_store_last_seqs(env->st, &ls, &lo), 0);
  char b[128];
  snprintf(b, sizeof b, "fix:%lld/%lld;cur:%llu;last:%llu/%llu", (long long)in, (long long)out,
           (unsigned long long)cur, (unsigned long long)ls, (unsigned long long)lo);
  put(d, b);
}

/* ---- Restart equivalence and read-your-writes ----------------------------------- */

static void test_reads_own_writes_after_flush_and_restarts_the_same(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  assert_non_null(strstr(env.warned, "new data directory: no history"));
  fill_some(&env, 1, 20);
  /* The FIX reads catch up by themselves (the gateway asks after its append). */
  int64_t in, out;
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S1", &in, &out), 0);
  assert_true(in == 5 && out == 8);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 20, &o), 0);
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_int_equal(st.queued, 0);
  assert_int_equal(st.appends, 23);
  dump_t before, after;
  dump(&env, &before);
  uint64_t durable = oms_store_durable_ticket(env.st);
  env_close(&env);

  assert_int_equal(env_open(&env), 0);
  assert_string_equal(env.warned, ""); /* nothing to say: the projection was whole */
  assert_int_equal(oms_store_durable_ticket(env.st), durable);
  dump(&env, &after);
  assert_string_equal(before.text, after.text);
  /* Appends continue after the restart with the next seqs. */
  append_order(&env, 21, 2);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_int_equal(oms_store_get_order(env.st, 21, &o), 0);
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.seq = 3; /* not above the last: refused */
  oms_store_unit_t bad = {&ev, 1};
  uint64_t t;
  assert_int_equal(oms_store_append(env.st, &bad, 0, &t), OMS_EINVAL);
  env_done(&env);
}

/* ---- The projection rebuilt ------------------------------------------------------- */

typedef enum damage_e { DELETE, TRUNCATE, OVERWRITE_PAGE, GARBAGE } damage_t;

static void damage_db(const char *path, damage_t how) {
  char p[256];
  snprintf(p, sizeof p, "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", path);
  unlink(p);
  if (how == DELETE) {
    assert_int_equal(unlink(path), 0);
    return;
  }
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  if (how == TRUNCATE) {
    assert_int_equal(ftruncate(fd, 0), 0);
  } else {
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    assert_true(sb.st_size >= 3 * 4096);
    /* A b-tree page in the middle (or the header, for GARBAGE) overwritten. */
    char junk[4096];
    memset(junk, 0x5a, sizeof junk);
    off_t at = how == GARBAGE ? 0 : 2 * 4096;
    assert_int_equal(pwrite(fd, junk, sizeof junk, at), (ssize_t)sizeof junk);
  }
  close(fd);
}

/* Overwrites a page of the b-tree `name` (a table or an index), found
 * through SQLite's dbstat: damage where only some reads go. */
static void damage_btree(const char *path, const char *name) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "SELECT pageno, (SELECT page_size FROM pragma_page_size) "
                                      "FROM dbstat WHERE name = ?1 ORDER BY pageno DESC LIMIT 1",
                                      -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t page = sqlite3_column_int64(st, 0), size = sqlite3_column_int64(st, 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
  char junk[65536];
  assert_true(size > 0 && size <= (int64_t)sizeof junk);
  memset(junk, 0x5a, (size_t)size);
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  assert_int_equal(pwrite(fd, junk, (size_t)size, (off_t)((page - 1) * size)), (ssize_t)size);
  close(fd);
}

static void rebuilt_after(damage_t how, const char *why) {
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 60);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  dump_t before, after;
  dump(&env, &before);
  env_close(&env);
  damage_db(env.dir.db, how);
  assert_int_equal(env_open(&env), 0);
  print_message("warned: %s\n", env.warned);
  assert_non_null(strstr(env.warned, why));
  assert_non_null(strstr(env.warned, "rebuilt from the journal"));
  dump(&env, &after);
  assert_string_equal(before.text, after.text);
  env_done(&env);
}

static void test_projection_rebuilt_when_deleted(void **state) {
  (void)state;
  rebuilt_after(DELETE, "is missing");
}

static void test_projection_rebuilt_when_empty(void **state) {
  (void)state;
  rebuilt_after(TRUNCATE, "is empty");
}

static void test_projection_rebuilt_when_a_page_is_damaged(void **state) {
  (void)state;
  rebuilt_after(OVERWRITE_PAGE, "fails quick_check");
}

static void test_projection_rebuilt_when_not_a_database(void **state) {
  (void)state;
  rebuilt_after(GARBAGE, "fails quick_check");
}

/* ---- History never starts empty --------------------------------------------------- */

/* A clean close leaves <db>.clean with the file's stamp, and the next open
 * trusts a file that still matches it (no quick_check, which reads the whole
 * file): shown with a damaged page whose modification time was put back,
 * which quick_check does not look for then; without the mark (a crash, here
 * of the machine: no same-boot mark either) the same damage fails
 * quick_check and the projection is rebuilt. */
static void test_a_clean_close_skips_quick_check_at_the_next_open(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  char mark[sizeof env.dir.db + 8], boot[sizeof env.dir.db + 8];
  snprintf(mark, sizeof mark, "%s.clean", env.dir.db);
  snprintf(boot, sizeof boot, "%s.boot", env.dir.db);
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 60);
  env_close(&env);
  assert_int_equal(access(mark, F_OK), 0);
  for (int crash = 0; crash < 2; crash++) {
    if (crash) {
      env_close(&env);
      assert_int_equal(unlink(mark), 0);
      assert_int_equal(unlink(boot), 0);
    }
    struct stat sb;
    assert_int_equal(stat(env.dir.db, &sb), 0);
    damage_db(env.dir.db, OVERWRITE_PAGE);
    struct timespec times[2] = {sb.st_atim, sb.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, env.dir.db, times, 0), 0);
    assert_int_equal(env_open(&env), 0);
    assert_int_equal(access(mark, F_OK), -1); /* taken away by the open */
    print_message("crash=%d warned: %s\n", crash, env.warned);
    /* Trusted, quick_check is skipped (this damage is still met when the
     * open reads the page: "cannot be opened"); after a crash it runs. */
    if (crash)
      assert_non_null(strstr(env.warned, "fails quick_check"));
    else
      assert_null(strstr(env.warned, "quick_check"));
  }
  env_done(&env);
}

/* A crash of the process on this boot (no clean mark, the same-boot mark
 * there): the open does not wait for quick_check, which runs once the store
 * serves; damage it finds is reported, and the next start checks first and
 * rebuilds. */
static void test_after_a_crash_on_this_boot_quick_check_runs_in_the_background(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  char mark[sizeof env.dir.db + 8], boot[sizeof env.dir.db + 8];
  snprintf(mark, sizeof mark, "%s.clean", env.dir.db);
  snprintf(boot, sizeof boot, "%s.boot", env.dir.db);
  assert_int_equal(env_open(&env), 0);
  assert_int_equal(access(boot, F_OK), 0);
  fill_some(&env, 1, 60);
  env_close(&env);
  /* A crash with a sound file: served, checked behind, nothing said. */
  assert_int_equal(unlink(mark), 0);
  assert_int_equal(env_open(&env), 0);
  env_close(&env);
  assert_int_equal(n_errs(&env), 0);
  /* A crash, then damage: served, then reported. */
  assert_int_equal(unlink(mark), 0);
  damage_btree(env.dir.db, "events_time"); /* read by audits by time, not at a start */
  assert_int_equal(env_open(&env), 0);
  for (int i = 0; i < 500 && n_errs(&env) == 0; i++) usleep(10000);
  assert_true(n_errs(&env) >= 1);
  print_message("reported: %s: %s\n", last_err(&env)->call, last_err(&env)->message);
  assert_string_equal(last_err(&env)->call, "projection quick_check");
  assert_non_null(strstr(last_err(&env)->message, "fails quick_check"));
  assert_int_equal(access(boot, F_OK), -1); /* the next start checks first */
  env_close(&env);
  unlink(mark);
  assert_int_equal(env_open(&env), 0);
  print_message("next start warned: %s\n", env.warned);
  assert_non_null(strstr(env.warned, "rebuilt from the journal"));
  dump_t d;
  dump(&env, &d);
  assert_non_null(strstr(d.text, "o60:"));
  env_done(&env);
}

static void test_history_never_starts_empty(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 3);
  env_close(&env);
  fx_journal_remove(env.dir.journal); /* the journal lost, oms.db kept */
  assert_int_equal(env_open(&env), OMS_ESTORE);
  assert_null(env.st);
  assert_true(n_errs(&env) >= 1);
  print_message("refused: %s\n", last_err(&env)->message);
  assert_non_null(strstr(last_err(&env)->message, "no journal in"));
  assert_non_null(strstr(last_err(&env)->message, "exists: restore the journal"));
  /* still refused: nothing was created or deleted by the refusal */
  assert_int_equal(env_open(&env), OMS_ESTORE);
  /* An empty oms.db without its journal is a trace of a past too (a
   * truncated file): refused, as the zero-length oms.db should
   * have been. */
  damage_db(env.dir.db, TRUNCATE);
  assert_int_equal(env_open(&env), OMS_ESTORE);
  assert_non_null(strstr(last_err(&env)->message, "exists: restore the journal"));
  /* Starting over is an explicit act: the file moved away. */
  assert_int_equal(unlink(env.dir.db), 0);
  assert_int_equal(env_open(&env), 0);
  assert_non_null(strstr(env.warned, "new data directory"));
  uint64_t ls = 9, lo = 9;
  assert_int_equal(oms_store_last_seqs(env.st, &ls, &lo), 0);
  assert_true(ls == 0 && lo == 0);
  env_done(&env);
}

/* A file that is not a database, and no journal: history (it might be). */
static void test_unreadable_database_without_journal_is_refused(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  FILE *fp = fopen(env.dir.db, "w");
  assert_non_null(fp);
  for (int i = 0; i < 2000; i++) fputs("not a database ", fp);
  fclose(fp);
  assert_int_equal(env_open(&env), OMS_ESTORE);
  assert_non_null(strstr(last_err(&env)->message, "exists: restore the journal"));
  env_done(&env);
}

/* A projection ahead of its journal (another data directory's): rebuilt. */
static void test_projection_ahead_of_the_journal_is_rebuilt(void **state) {
  (void)state;
  env_t big, small;
  env_init(&big);
  env_init(&small);
  assert_int_equal(env_open(&big), 0);
  fill_some(&big, 1, 30);
  env_close(&big);
  assert_int_equal(env_open(&small), 0);
  fill_some(&small, 1, 2);
  dump_t before, after;
  assert_int_equal(oms_store_flush(small.st, WAIT_NS), 0);
  dump(&small, &before);
  env_close(&small);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'", big.dir.db, small.dir.db,
           small.dir.db, small.dir.db);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(env_open(&small), 0);
  assert_non_null(strstr(small.warned, "is ahead of the journal"));
  dump(&small, &after);
  assert_string_equal(before.text, after.text);
  env_done(&small);
  env_done(&big);
}

/* A record that passes its CRC but does not decode stops the open, named. */
static void test_undecodable_record_stops_the_open(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 2);
  env_close(&env);
  oms_journal_config_t jc;
  oms_journal_error_t je;
  oms_journal_t *j = NULL;
  oms_journal_config_init(&jc, env.dir.journal);
  jc.durability = OMS_JOURNAL_OS;
  assert_int_equal(oms_journal_open(&jc, &j, &je), 0);
  assert_int_equal(oms_journal_append(j, OMS__JREC_EVENT, "junk", 4, NULL), 0);
  assert_int_equal(oms_journal_append(j, OMS__JREC_LIMITS, "reserved", 8, NULL), 0);
  oms_journal_close(j);
  assert_int_equal(env_open(&env), OMS_ECORRUPT);
  print_message("refused: %s\n", last_err(&env)->message);
  assert_non_null(strstr(last_err(&env)->message, "event record at LSN"));
  env_done(&env);
}

/* A unit larger than the preallocated scratch, and reserved records skipped. */
static void test_large_unit(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  static oms_event_t ev[100];
  for (int i = 0; i < 100; i++) {
    oms_order_t o;
    fx_order(&o, (uint64_t)i + 1, "s1", "A1", "BTC-USD", T0);
    fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env.seq, &ev[i]);
  }
  oms_store_unit_t u = {ev, 100};
  uint64_t t = 0;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  assert_int_equal(t, 100);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  uint64_t ls, lo;
  assert_int_equal(oms_store_last_seqs(env.st, &ls, &lo), 0);
  assert_true(ls == 100 && lo == 100);
  env_done(&env);
}

/* Units of n events each, of new orders from *id on. */
static void append_units(env_t *env, uint64_t *id, int units, int n) {
  static oms_event_t ev[600];
  assert_true(n <= 600);
  for (int k = 0; k < units; k++) {
    for (int i = 0; i < n; i++) {
      oms_order_t o;
      fx_order(&o, ++*id, "s1", "A1", "BTC-USD", T0);
      fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env->seq, &ev[i]);
    }
    oms_store_unit_t u = {ev, (size_t)n};
    uint64_t t = 0;
    assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
  }
}

/* A projection batch ends where a unit ends: rebuilt from a journal of units
 * of 100 events and one of 600 (longer than a batch), every transaction
 * holds whole units, the long unit included. */
static void test_batches_end_at_unit_boundaries(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  uint64_t id = 0;
  append_units(&env, &id, 5, 100);
  append_units(&env, &id, 1, 600);
  append_units(&env, &id, 3, 100);
  env_close(&env);
  char p[sizeof env.dir.db + 8];
  snprintf(p, sizeof p, "%s", env.dir.db);
  assert_int_equal(unlink(p), 0);
  snprintf(p, sizeof p, "%s-wal", env.dir.db);
  unlink(p);
  env.cfg.batch_records = 256;
  assert_int_equal(env_open(&env), 0); /* the rebuild: replayed in batches */
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  print_message("rebuilt: %llu records in %llu transactions, at most %llu\n",
                (unsigned long long)st.records, (unsigned long long)st.transactions,
                (unsigned long long)st.max_batch);
  assert_int_equal(st.records, 1400);
  /* 3 units (300 >= batch_records), 2 and the long one (800), 3 (300);
   * cut at the max, the batches would have been of 256 records. */
  assert_int_equal(st.max_batch, 800);
  assert_int_equal(st.transactions, 3);
  uint64_t ls, lo;
  assert_int_equal(oms_store_last_seqs(env.st, &ls, &lo), 0);
  assert_true(ls == 1400 && lo == 1400);
  /* And while running: the projector's batches too. */
  append_units(&env, &id, 4, 100);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_store_stats(env.st, &st);
  assert_int_equal(st.records % 100, 0);
  assert_int_equal(st.records, 1800);
  env_done(&env);
}

/* An allocator whose realloc refuses blocks of a megabyte or more. */
static void *a_malloc(void *ctx, size_t n) {
  (void)ctx;
  return malloc(n);
}
static void *a_calloc(void *ctx, size_t n, size_t size) {
  (void)ctx;
  return calloc(n, size);
}
static void *a_realloc(void *ctx, void *p, size_t n) {
  (void)ctx;
  return n >= (1u << 20) ? NULL : realloc(p, n);
}
static void a_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

/* Without memory to grow the batch for a long unit, the batch so far is
 * committed inside the unit: the projection still gets every record and
 * its cursor stays exact. */
static void test_a_long_unit_without_memory_is_split(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  uint64_t id = 0;
  append_units(&env, &id, 1, 600);
  append_units(&env, &id, 2, 100);
  env_close(&env);
  assert_int_equal(unlink(env.dir.db), 0);
  oms_allocator_t a = {a_malloc, a_calloc, a_realloc, a_free, NULL};
  assert_true(sizeof(oms__rec_t) * 1024 >= (1u << 20)); /* the growth is refused */
  env.cfg.batch_records = 256;
  assert_int_equal(oms_replace_allocator(&a), 0);
  int rc = env_open(&env);
  oms_replace_allocator(NULL);
  assert_int_equal(rc, 0);
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_int_equal(st.records, 800);
  assert_int_equal(st.max_batch, 512); /* split at the buffer's size */
  uint64_t ls, lo;
  assert_int_equal(oms_store_last_seqs(env.st, &ls, &lo), 0);
  assert_true(ls == 800 && lo == 800);
  env_done(&env);
}

/* ---- Damage in the journal --------------------------------------------------------- */

static void first_segment(const char *dir, char *path, size_t cap) {
  DIR *dh = opendir(dir);
  assert_non_null(dh);
  struct dirent *de;
  path[0] = '\0';
  while ((de = readdir(dh)) != NULL) {
    if (strstr(de->d_name, ".journal") == NULL) continue;
    if (path[0] == '\0' || strcmp(de->d_name, strrchr(path, '/') + 1) < 0)
      snprintf(path, cap, "%s/%s", dir, de->d_name);
  }
  closedir(dh);
  assert_true(path[0] != '\0');
}

static void test_journal_damage_stops_the_open_naming_file_and_offset(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 30);
  env_close(&env);
  char seg[512];
  first_segment(env.dir.journal, seg, sizeof seg);
  /* A flipped bit in the payload of an early record: good records follow. */
  int fd = open(seg, O_RDWR);
  assert_true(fd >= 0);
  uint8_t b;
  assert_int_equal(pread(fd, &b, 1, 100), 1);
  b ^= 0x10;
  assert_int_equal(pwrite(fd, &b, 1, 100), 1);
  close(fd);
  assert_int_equal(env_open(&env), OMS_ECORRUPT);
  assert_null(env.st);
  print_message("refused: %s\n", last_err(&env)->message);
  assert_non_null(strstr(last_err(&env)->message, ".journal"));
  assert_non_null(strstr(last_err(&env)->message, "offset"));
  env_done(&env);
}

/* What the projection holds is not read at the open (a start costs what
 * is past its cursor); a scrub checks it once the store serves and reports
 * damage there with the file and offset. */
static void test_old_damage_is_found_by_the_scrub_after_the_open(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  env.cfg.segment_bytes = 64 * 1024;
  assert_int_equal(env_open(&env), 0);
  for (uint64_t id = 1; id <= 200; id++) append_order(&env, id, 4);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  env_close(&env);
  char seg[512];
  first_segment(env.dir.journal, seg, sizeof seg);
  int fd = open(seg, O_RDWR);
  assert_true(fd >= 0);
  uint8_t b;
  assert_int_equal(pread(fd, &b, 1, 100), 1);
  b ^= 0x10;
  assert_int_equal(pwrite(fd, &b, 1, 100), 1);
  close(fd);
  assert_int_equal(env_open(&env), 0);
  for (int i = 0; i < 500 && n_errs(&env) == 0; i++) usleep(10000);
  assert_int_equal(n_errs(&env), 1);
  print_message("scrub: %s\n", last_err(&env)->message);
  assert_string_equal(last_err(&env)->call, "journal scrub");
  assert_non_null(strstr(last_err(&env)->message, ".journal"));
  assert_non_null(strstr(last_err(&env)->message, "at offset 0")); /* the record holding byte 100 */
  env_close(&env);
  /* Without the projection the open reads everything: the damage stops it. */
  damage_db(env.dir.db, DELETE);
  assert_int_equal(env_open(&env), OMS_ECORRUPT);
  env_done(&env);
}

/* ---- Faults ----------------------------------------------------------------------- */

typedef struct io_fault_s {
  _Atomic int writes_left; /* < 0: no fault */
  _Atomic int fired;
} io_fault_t;

static ssize_t failing_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off) {
  io_fault_t *f = ctx;
  if (atomic_load(&f->writes_left) >= 0 && atomic_fetch_sub(&f->writes_left, 1) <= 0) {
    atomic_store(&f->fired, 1);
    errno = ENOSPC;
    return -1;
  }
  return pwrite(fd, buf, n, off);
}

static int failing_sync(void *ctx, int fd) {
  io_fault_t *f = ctx;
  if (atomic_load(&f->writes_left) >= 0 && atomic_load(&f->writes_left) <= 0) {
    atomic_store(&f->fired, 1);
    errno = EIO;
    return -1;
  }
  return fdatasync(fd);
}

static void journal_fault(oms_durability_t dur) {
  env_t env;
  env_init(&env);
  env.cfg.durability = dur;
  io_fault_t f;
  atomic_init(&f.writes_left, -1);
  atomic_init(&f.fired, 0);
  oms_journal_io_t io;
  memset(&io, 0, sizeof io);
  io.pwrite = failing_pwrite;
  io.fdatasync = failing_sync;
  io.ctx = &f;
  env.cfg.io = &io;
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 5);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  uint64_t durable_before = oms_store_durable_ticket(env.st);
  atomic_store(&f.writes_left, 0); /* the next write fails */
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 8, "m8", 2, NULL), OMS_ESTORE);
  int rc = 0;
  uint64_t id = 6;
  for (; id < 50 && rc == 0; id++) {
    oms_order_t o;
    oms_event_t ev;
    fx_order(&o, id, "s1", "A1", "BTC-USD", T0);
    fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env.seq, &ev);
    oms_store_unit_t u = {&ev, 1};
    uint64_t t;
    rc = oms_store_append(env.st, &u, OMS_STORE_APPEND_MUST, &t);
  }
  assert_int_equal(rc, OMS_ESTORE);
  assert_true(atomic_load(&f.fired));
  /* Failed: refused from now on, an error said, nothing made durable. */
  for (int i = 0; i < 200 && !oms_store_failed(env.st); i++) usleep(5000);
  assert_true(oms_store_failed(env.st));
  assert_true(n_errs(&env) >= 1);
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S1", 1, 1, NULL), OMS_ESTORE);
  assert_int_equal(oms_store_recover(env.st), OMS_ESTORE);
  assert_true(oms_store_durable_ticket(env.st) >= durable_before);
  oms_store_error_t e;
  oms_store_last_error(env.st, &e);
  assert_true(e.sys_errno == ENOSPC || e.sys_errno == EIO);
  uint64_t durable = oms_store_durable_ticket(env.st);
  env_close(&env);
  /* The restart recovers what was durable, and only what was written. */
  atomic_store(&f.writes_left, -1);
  assert_int_equal(env_open(&env), 0);
  /* Nothing was written after the failure: what reopens is what was durable. */
  assert_true(oms_store_durable_ticket(env.st) >= durable_before);
  assert_true(oms_store_durable_ticket(env.st) <= durable);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 5, &o), 0);
  assert_false(oms_store_failed(env.st));
  env_done(&env);
}

static void test_journal_write_failure_refuses_appends_os(void **state) {
  (void)state;
  journal_fault(OMS_DURABILITY_OS);
}

static void test_journal_write_failure_refuses_appends_fsync(void **state) {
  (void)state;
  journal_fault(OMS_DURABILITY_FSYNC);
}

static _Atomic int g_sync_fails;

static int sync_eio(void *ctx, int fd) {
  (void)ctx;
  if (atomic_load(&g_sync_fails)) {
    errno = EIO;
    return -1;
  }
  return fdatasync(fd);
}

/* fsync mode, the sync fails after the write succeeded: the unit is in the
 * page cache but never durable; waiting for it fails; appends are refused. */
static void test_failed_sync_makes_nothing_durable(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  env.cfg.durability = OMS_DURABILITY_FSYNC;
  oms_journal_io_t io;
  memset(&io, 0, sizeof io);
  io.fdatasync = sync_eio;
  env.cfg.io = &io;
  atomic_store(&g_sync_fails, 0);
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 3);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  uint64_t durable = oms_store_durable_ticket(env.st);
  atomic_store(&g_sync_fails, 1);
  uint64_t t = append_order(&env, 4, 2);
  assert_true(t > durable);
  assert_int_equal(oms_store_wait(env.st, t, WAIT_NS), OMS_ESTORE);
  assert_true(oms_store_failed(env.st));
  assert_true(oms_store_durable_ticket(env.st) < t);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 4, &o), OMS_ENOTFOUND); /* never projected */
  assert_int_equal(oms_store_cursor_set(env.st, "nats", 9, NULL), OMS_ESTORE);
  oms_store_error_t e;
  oms_store_last_error(env.st, &e);
  assert_int_equal(e.sys_errno, EIO);
  env_close(&env);
  atomic_store(&g_sync_fails, 0);
  env.cfg.io = NULL;
  assert_int_equal(env_open(&env), 0);
  assert_int_equal(oms_store_get_order(env.st, 3, &o), 0);
  env_done(&env);
}

static void test_projection_failure_is_retried_until_it_commits(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  fx_fault_t f;
  memset(&f, 0, sizeof f);
  oms_store_fault_t fault = {fx_inject, &f};
  env.cfg.fault = &fault;
  assert_int_equal(env_open(&env), 0);
  fill_some(&env, 1, 2);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_true(oms_store_durable_fd(env.st) >= 0);
  /* Failing for good: a flush says so, the journal is fine. */
  atomic_store(&f.match, "COMMIT");
  fx_fault_arm(&f, 1, 10 /* SQLITE_IOERR */, 1);
  append_order(&env, 90, 1);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), OMS_ESTORE);
  assert_false(oms_store_failed(env.st));
  atomic_store(&f.armed, 0);
  assert_int_equal(oms_store_recover(env.st), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_int_equal(last_err(&env)->code, 0); /* "recovered" */
  fx_fault_arm(&f, 1, 13 /* SQLITE_FULL */, 0);
  append_order(&env, 3, 3);
  /* The journal has it (durable), the projection catches up after its retry. */
  (void)oms_store_flush(env.st, WAIT_NS); /* OMS_ESTORE while the projection fails */
  for (int i = 0; i < 400; i++) {
    oms_order_t o;
    if (oms_store_get_order(env.st, 3, &o) == 0) break;
    usleep(5000);
  }
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 3, &o), 0);
  assert_true(atomic_load(&f.fired) >= 1);
  assert_false(oms_store_failed(env.st)); /* the journal never failed */
  assert_int_equal(oms_store_recover(env.st), 0);
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_true(st.failures >= 1);
  env_done(&env);
}

/* One unit of four events of one order: its row in `orders` is written once
 * (the projection's batch), its four events each get theirs. */
static void test_an_order_row_is_written_once_per_batch(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  fx_fault_t f;
  memset(&f, 0, sizeof f);
  oms_store_fault_t fault = {fx_inject, &f};
  env.cfg.fault = &fault;
  assert_int_equal(env_open(&env), 0);
  atomic_store(&f.match, "UPSERT orders");
  fx_fault_arm(&f, 0, 0, 0); /* counts, never fails */
  append_order(&env, 1, 4);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_int_equal(atomic_load(&f.count), 1);
  int n = 0;
  assert_int_equal(oms_store_events_for_order(env.st, 1, fx_count_events, &n), 0);
  assert_int_equal(n, 4);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 1, &o), 0);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  env_done(&env);
}

/* A batch writes each session's row once for its last outbound message
 * and once for its last inbound one, and what the sessions read back is
 * what writing every record would have left: the rebuild projects the whole
 * journal in one batch. */
static void test_a_sessions_next_out_is_written_once_per_batch(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  fx_fault_t f;
  memset(&f, 0, sizeof f);
  oms_store_fault_t fault = {fx_inject, &f};
  env.cfg.fault = &fault;
  assert_int_equal(env_open(&env), 0);
  char m[8];
  for (int i = 1; i <= 5; i++) { /* each inbound message answered by one outbound */
    assert_int_equal(oms_store_fix_set_seqnums(env.st, "S1", i + 1, i, NULL), 0);
    snprintf(m, sizeof m, "a%d", i);
    assert_int_equal(oms_store_fix_save_sent(env.st, "S1", i, m, strlen(m), NULL), 0);
  }
  /* a later inbound message numbers the row outright, then one more answer */
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S4", 3, 9, NULL), 0);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S4", 9, "e", 1, NULL), 0);
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S4", 4, 5, NULL), 0);
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S2", 4, 2, NULL), 0);
  for (int i = 2; i <= 3; i++)
    assert_int_equal(oms_store_fix_save_sent(env.st, "S2", i, "b", 1, NULL), 0);
  /* S3 starts again: its last message is after the reset */
  for (int i = 1; i <= 3; i++)
    assert_int_equal(oms_store_fix_save_sent(env.st, "S3", i, "c", 1, NULL), 0);
  assert_int_equal(oms_store_fix_reset(env.st, "S3", NULL), 0);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S3", 1, "d", 1, NULL), 0);
  env_close(&env);
  assert_int_equal(unlink(env.dir.db), 0);
  atomic_store(&f.match, " fix_sessions)"); /* UPDATE (outbound) and UPSERT (inbound) */
  fx_fault_arm(&f, 0, 0, 0);                /* counts, never fails */
  assert_int_equal(env_open(&env), 0);
  /* for 12 outbound and 8 inbound messages and a reset: 2 a session */
  assert_int_equal(atomic_load(&f.count), 8);
  int64_t in, out;
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S1", &in, &out), 0);
  assert_true(in == 6 && out == 6);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S4", &in, &out), 0);
  assert_true(in == 4 && out == 5);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S2", &in, &out), 0);
  assert_true(in == 4 && out == 4);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S3", &in, &out), 0);
  assert_true(in == 1 && out == 2);
  int n = 0;
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S1", 1, 0, fx_count_msgs, &n), 0);
  assert_int_equal(n, 5);
  n = 0;
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S3", 1, 0, fx_count_msgs, &n), 0);
  assert_int_equal(n, 1);
  env_done(&env);
}

/* An order's row written again in a later batch is updated in place: what
 * changed is there, what was set at creation is kept, and a query by
 * strategy still finds it once. */
static void test_an_order_row_is_updated_in_a_later_batch(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  oms_order_t o;
  oms_event_t ev;
  fx_order(&o, 7, "s1", "A1", "BTC-USD", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env.seq, &ev);
  oms_store_unit_t u = {&ev, 1};
  uint64_t t = 0;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, ++env.seq, &ev);
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  fx_apply(&o, OMS_EV_FILL, "1", "100", T0 + 2, ++env.seq, &ev);
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_order_t got;
  assert_int_equal(oms_store_get_order(env.st, 7, &got), 0);
  assert_int_equal(got.state, OMS_STATE_PARTIALLY_FILLED);
  assert_int_equal(got.created_ns, o.created_ns);
  assert_int_equal(got.updated_ns, T0 + 2);
  assert_string_equal(got.strategy_id, "s1");
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  q.strategy_id = "s1";
  int n = 0;
  assert_int_equal(oms_store_query_orders(env.st, &q, fx_count_orders, &n), 0);
  assert_int_equal(n, 1);
  env_done(&env);
}

/* ---- Retention -------------------------------------------------------------------- */

static int count_segments(const char *dir) {
  DIR *dh = opendir(dir);
  int n = 0;
  struct dirent *de;
  while (dh != NULL && (de = readdir(dh)) != NULL) n += strstr(de->d_name, ".journal") != NULL;
  if (dh != NULL) closedir(dh);
  return n;
}

static void test_retention_releases_projected_segments(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  env.cfg.segment_bytes = 64 * 1024;
  env.cfg.retain_ns = INT64_C(64000000); /* 64 ms */
  assert_int_equal(env_open(&env), 0);
  for (uint64_t id = 1; id <= 600; id++) append_order(&env, id, 4);
  fill_some(&env, 601, 1);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  int before = count_segments(env.dir.journal);
  assert_true(before > 3);
  int after = before;
  for (int i = 0; i < 200 && after >= before; i++) {
    usleep(10000);
    after = count_segments(env.dir.journal);
  }
  print_message("segments %d -> %d\n", before, after);
  assert_true(after < before);
  /* What was released is in the projection; the store reopens from it. */
  dump_t d1, d2;
  dump(&env, &d1);
  env_close(&env);
  assert_int_equal(env_open(&env), 0);
  dump(&env, &d2);
  assert_string_equal(d1.text, d2.text);
  env_close(&env);
  /* ... but cannot be rebuilt without the released segments: said, refused. */
  damage_db(env.dir.db, DELETE);
  assert_int_not_equal(env_open(&env), 0);
  print_message("refused: %s\n", last_err(&env)->message);
  assert_non_null(strstr(last_err(&env)->message, "released"));
  env_done(&env);
}

/* ---- Payloads --------------------------------------------------------------------- */

static void test_record_payloads_round_trip(void **state) {
  (void)state;
  static oms__rec_t r, back;
  uint8_t buf[OMS__JREC_FIX_MAX];
  uint16_t type;
  memset(&r, 0, sizeof r);
  r.kind = OMS__REC_FIX_SENT;
  strcpy(r.u.fix.session, "venue:X");
  r.u.fix.seqnum = 42;
  r.u.fix.len = 5;
  memcpy(r.u.fix.msg, "8=FIX", 5);
  int n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal(type, OMS__JREC_FIX_SENT);
  assert_string_equal(oms__jrec_name(type), "fix_sent");
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_true(back.u.fix.seqnum == 42 && back.u.fix.len == 5);
  assert_int_equal(oms__jrec_decode(type, buf, 3, &back), OMS_EINVAL);
  r.kind = OMS__REC_FIX_SEQNUMS;
  r.u.fix.next_in = 3;
  r.u.fix.next_out = 4;
  n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_true(back.u.fix.next_in == 3 && back.u.fix.next_out == 4);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n - 1, &back), OMS_EINVAL);
  r.kind = OMS__REC_FIX_RESET;
  n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_string_equal(back.u.fix.session, "venue:X");
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n + 1, &back), OMS_EINVAL);
  r.kind = OMS__REC_CURSOR;
  strcpy(r.u.cur.sink, "nats");
  r.u.cur.seq = UINT64_C(0x0102030405060708);
  n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(n, 1 + 4 + 8);
  assert_int_equal(buf[5], 0x08); /* little-endian */
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_true(back.u.cur.seq == r.u.cur.seq);
  assert_int_equal(oms__jrec_decode(type, buf, 0, &back), OMS_EINVAL);
  assert_int_equal(oms__jrec_encode(&r, &type, buf, 4), OMS_EINVAL);
  r.kind = OMS__REC_NOP;
  assert_int_equal(oms__jrec_encode(&r, &type, buf, sizeof buf), OMS_EINVAL);
  /* LIMITS decodes since limit changes moved into the journal (this line
   * pinned it as reserved); TRADING_STATE stays reserved. */
  assert_int_equal(oms__jrec_decode(OMS__JREC_LIMITS, buf, 1, &back), OMS_EINVAL);
  assert_int_equal(oms__jrec_decode(OMS__JREC_TRADING_STATE, buf, 1, &back), OMS_ENOTFOUND);
  assert_int_equal(oms__jrec_decode(OMS__JREC_EVENT, buf, 1, &back), OMS_EINVAL);
  assert_string_equal(oms__jrec_name(OMS__JREC_TRADING_STATE), "trading_state");
  assert_null(oms__jrec_name(999));
}

static void test_limits_payload_round_trips_and_is_versioned(void **state) {
  (void)state;
  static oms__rec_t r, back;
  uint8_t buf[OMS__JREC_REC_MAX];
  uint16_t type;
  memset(&r, 0, sizeof r);
  r.kind = OMS__REC_LIMIT;
  r.u.lim.seq = 7;
  r.u.lim.ts_ns = -5;
  strcpy(r.u.lim.who, "ops");
  const char *line = "{\"seq\":7,\"new\":{\"max_order_qty\":\"5\"}}";
  r.u.lim.len = (uint32_t)strlen(line);
  memcpy(r.u.lim.line, line, r.u.lim.len);
  int n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(n, 1 + 8 + 8 + 1 + 3 + (int)strlen(line));
  assert_int_equal(type, OMS__JREC_LIMITS);
  assert_string_equal(oms__jrec_name(type), "limits");
  assert_int_equal(buf[0], OMS__JREC_LIMITS_V1);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_int_equal(back.kind, OMS__REC_LIMIT);
  assert_true(back.u.lim.seq == 7 && back.u.lim.ts_ns == -5);
  assert_string_equal(back.u.lim.who, "ops");
  assert_int_equal(back.u.lim.len, strlen(line));
  assert_memory_equal(back.u.lim.line, line, strlen(line));
  /* Who may be empty; the line may fill the whole limit. */
  r.u.lim.who[0] = '\0';
  r.u.lim.len = OMS_STORE_LIMIT_LINE_MAX;
  memset(r.u.lim.line, 'x', OMS_STORE_LIMIT_LINE_MAX);
  n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(n, 18 + OMS_STORE_LIMIT_LINE_MAX);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_true(back.u.lim.who[0] == '\0' && back.u.lim.len == OMS_STORE_LIMIT_LINE_MAX);
  /* A later layout is never read as this one; no room is refused. */
  buf[0] = OMS__JREC_LIMITS_V1 + 1;
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), OMS_EINVAL);
  buf[0] = OMS__JREC_LIMITS_V1;
  assert_int_equal(oms__jrec_decode(type, buf, 17, &back), OMS_EINVAL);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n + 1, &back), OMS_EINVAL);
  assert_int_equal(oms__jrec_encode(&r, &type, buf, 16), OMS_EINVAL);
  assert_int_equal(oms__jrec_encode(&r, &type, buf, 100), OMS_EINVAL);
  r.u.lim.len = OMS_STORE_LIMIT_LINE_MAX + 1;
  assert_int_equal(oms__jrec_encode(&r, &type, buf, sizeof buf), OMS_EINVAL);
}

static void test_pnl_base_payload_round_trips_and_is_versioned(void **state) {
  (void)state;
  static oms__rec_t r, back;
  uint8_t buf[OMS__JREC_REC_MAX];
  uint16_t type;
  memset(&r, 0, sizeof r);
  r.kind = OMS__REC_PNL_BASE;
  r.u.pnl.day_start_ns = INT64_C(1764021600000000000);
  r.u.pnl.base.raw = -123456789;
  strcpy(r.u.pnl.account_id, "ACC1");
  int n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(n, 1 + 8 + 8 + 1 + 4);
  assert_int_equal(type, OMS__JREC_PNL_BASE);
  assert_string_equal(oms__jrec_name(type), "pnl_base");
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_int_equal(back.kind, OMS__REC_PNL_BASE);
  assert_memory_equal(&back.u.pnl, &r.u.pnl, sizeof r.u.pnl);
  /* The day's mark: no account. */
  r.u.pnl.account_id[0] = '\0';
  n = oms__jrec_encode(&r, &type, buf, sizeof buf);
  assert_int_equal(n, 18);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), 0);
  assert_string_equal(back.u.pnl.account_id, "");
  /* A later layout, a cut or a longer payload do not decode; no room. */
  buf[0] = OMS__JREC_PNL_BASE_V1 + 1;
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n, &back), OMS_EINVAL);
  buf[0] = OMS__JREC_PNL_BASE_V1;
  assert_int_equal(oms__jrec_decode(type, buf, 17, &back), OMS_EINVAL);
  assert_int_equal(oms__jrec_decode(type, buf, (size_t)n + 1, &back), OMS_EINVAL);
  assert_int_equal(oms__jrec_encode(&r, &type, buf, 16), OMS_EINVAL);
}

typedef struct lims_s {
  char text[4096];
  int n;
} lims_t;

static int l_row(void *ctx, const oms_limit_change_row_t *row) {
  lims_t *l = ctx;
  snprintf(l->text + strlen(l->text), sizeof l->text - strlen(l->text), "%llu|%lld|%s|%.*s\n",
           (unsigned long long)row->seq, (long long)row->ts_ns, row->who, (int)row->len, row->line);
  l->n++;
  return 0;
}

static void limits_of(oms_store_t *st, lims_t *l) {
  memset(l, 0, sizeof *l);
  assert_int_equal(oms_store_limit_changes(st, l_row, l), 0);
}

static int l_stop(void *ctx, const oms_limit_change_row_t *row) {
  (void)ctx;
  (void)row;
  return 9;
}

/* A limit change is a LIMITS record: durable by its ticket, projected into
 * limit_changes, kept across a restart and a rebuilt projection. */
static void test_limit_changes_are_journaled_and_projected(void **state) {
  (void)state;
  env_t env;
  env_init(&env);
  assert_int_equal(env_open(&env), 0);
  lims_t l, again;
  limits_of(env.st, &l);
  assert_int_equal(l.n, 0);
  uint64_t t1 = 0, t2 = 0;
  assert_int_equal(oms_store_limit_append(env.st, 1, 100, "ops", "{\"a\":1}", 7, &t1), 0);
  append_order(&env, 1, 2);
  assert_int_equal(oms_store_limit_append(env.st, 2, 200, "", "{\"b\":2}", 7, &t2), 0);
  assert_true(t1 > 0 && t2 > t1);
  assert_int_equal(oms_store_wait(env.st, t2, WAIT_NS), 0);
  /* The list catches up by itself, like the FIX reads. */
  limits_of(env.st, &l);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.text, "1|100|ops|{\"a\":1}\n2|200||{\"b\":2}\n");
  assert_int_equal(oms_store_limit_changes(env.st, l_stop, NULL), 9);
  /* Refused: no number, no line, a line too long, a name too long. */
  static char big[OMS_STORE_LIMIT_LINE_MAX + 1];
  memset(big, '{', sizeof big);
  uint64_t t = 9;
  assert_int_equal(oms_store_limit_append(env.st, 0, 1, "ops", "{}", 2, &t), OMS_EINVAL);
  assert_int_equal(t, 0);
  assert_int_equal(oms_store_limit_append(env.st, 3, 1, "ops", "", 0, NULL), OMS_EINVAL);
  assert_int_equal(oms_store_limit_append(env.st, 3, 1, NULL, "{}", 2, NULL), OMS_EINVAL);
  assert_int_equal(oms_store_limit_append(env.st, 3, 1, "ops", big, sizeof big, NULL), OMS_ENOSPC);
  char longname[OMS_ID_MAX + 2];
  memset(longname, 'w', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(oms_store_limit_append(env.st, 3, 1, longname, "{}", 2, NULL), OMS_EINVAL);
  env_close(&env);
  /* A restart replays nothing new; a rebuilt projection has them again. */
  assert_int_equal(env_open(&env), 0);
  limits_of(env.st, &again);
  assert_string_equal(l.text, again.text);
  env_close(&env);
  damage_db(env.dir.db, DELETE);
  assert_int_equal(env_open(&env), 0);
  assert_non_null(strstr(env.warned, "rebuilt from the journal"));
  limits_of(env.st, &again);
  assert_string_equal(l.text, again.text);
  env_done(&env);
}

static void test_open_refuses_bad_arguments(void **state) {
  (void)state;
  oms_store_t *st = (oms_store_t *)1;
  oms_store_journal_config_t cfg;
  oms_store_journal_config_init(&cfg, NULL, "/tmp/x.db");
  assert_int_equal(oms_store_journal_open(&cfg, &st), OMS_EINVAL);
  assert_null(st);
  assert_int_equal(oms_store_journal_open(NULL, &st), OMS_EINVAL);
  oms_store_close(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reads_own_writes_after_flush_and_restarts_the_same),
      cmocka_unit_test(test_projection_rebuilt_when_deleted),
      cmocka_unit_test(test_projection_rebuilt_when_empty),
      cmocka_unit_test(test_projection_rebuilt_when_a_page_is_damaged),
      cmocka_unit_test(test_projection_rebuilt_when_not_a_database),
      cmocka_unit_test(test_history_never_starts_empty),
      cmocka_unit_test(test_a_clean_close_skips_quick_check_at_the_next_open),
      cmocka_unit_test(test_after_a_crash_on_this_boot_quick_check_runs_in_the_background),
      cmocka_unit_test(test_journal_damage_stops_the_open_naming_file_and_offset),
      cmocka_unit_test(test_old_damage_is_found_by_the_scrub_after_the_open),
      cmocka_unit_test(test_unreadable_database_without_journal_is_refused),
      cmocka_unit_test(test_projection_ahead_of_the_journal_is_rebuilt),
      cmocka_unit_test(test_undecodable_record_stops_the_open),
      cmocka_unit_test(test_large_unit),
      cmocka_unit_test(test_batches_end_at_unit_boundaries),
      cmocka_unit_test(test_a_long_unit_without_memory_is_split),
      cmocka_unit_test(test_journal_write_failure_refuses_appends_os),
      cmocka_unit_test(test_journal_write_failure_refuses_appends_fsync),
      cmocka_unit_test(test_failed_sync_makes_nothing_durable),
      cmocka_unit_test(test_projection_failure_is_retried_until_it_commits),
      cmocka_unit_test(test_an_order_row_is_written_once_per_batch),
      cmocka_unit_test(test_a_sessions_next_out_is_written_once_per_batch),
      cmocka_unit_test(test_an_order_row_is_updated_in_a_later_batch),
      cmocka_unit_test(test_retention_releases_projected_segments),
      cmocka_unit_test(test_record_payloads_round_trip),
      cmocka_unit_test(test_limits_payload_round_trips_and_is_versioned),
      cmocka_unit_test(test_pnl_base_payload_round_trips_and_is_versioned),
      cmocka_unit_test(test_limit_changes_are_journaled_and_projected),
      cmocka_unit_test(test_open_refuses_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
