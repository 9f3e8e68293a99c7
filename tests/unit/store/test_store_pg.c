/* The journal store with its projection in PostgreSQL (src/store/store_pg.c)
 * beyond the contract (test_store_contract.c runs that): PostgreSQL stopped
 * and restarted while orders are appended (nothing lost, the projection
 * catches up, the appends never wait), a reopen that resumes from the
 * instance's cursor, instances sharing one database, the schema's version,
 * a unit longer than the pipeline's sync, a refused open. One throwaway
 * cluster for the process (pg_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "store/store_int.h"
#include "unit/store/parent_fixture.h"
#include "unit/store/pg_fixture.h"
#include "unit/store/store_fixture.h"

#define WAIT_NS INT64_C(20000000000)

static fx_pg_t pg;

typedef struct env_s {
  fx_dir_t dir;
  oms_store_t *st;
  char instance[32];
  uint64_t seq;
  _Atomic int errors, recovered;
} env_t;

static void on_error(void *ctx, const oms_store_error_t *e) {
  env_t *env = ctx;
  if (e->code == 0)
    atomic_fetch_add(&env->recovered, 1);
  else
    atomic_fetch_add(&env->errors, 1);
}

static int open_store(env_t *env) {
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, env->dir.journal, env->dir.db);
  jc.durability = OMS_DURABILITY_OS;
  jc.segment_bytes = 1 << 20;
  jc.pg_conninfo = pg.conninfo;
  jc.instance = env->instance;
  jc.on_error = on_error;
  jc.ctx = env;
  return oms_store_journal_open(&jc, &env->st);
}

static void env_open(env_t *env, const char *instance) {
  memset(env, 0, sizeof *env);
  fx_dir_make(&env->dir);
  snprintf(env->instance, sizeof env->instance, "%s_%d", instance, (int)getpid());
  assert_int_equal(open_store(env), 0);
}

static void env_close(env_t *env) {
  oms_store_close(env->st);
  env->st = NULL;
  assert_int_equal(fx_dir_remove(&env->dir), 0);
}

/* Order id's submit, accept and a fill, as one unit. */
static void append_order(env_t *env, uint64_t id, const char *account) {
  oms_order_t o;
  oms_event_t ev[3];
  fx_order(&o, id, "S1", account, "AAPL", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env->seq, &ev[0]);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, ++env->seq, &ev[1]);
  fx_apply(&o, OMS_EV_FILL, "1", "100", T0 + 2, ++env->seq, &ev[2]);
  oms_store_unit_t u = {ev, 3};
  uint64_t ticket;
  assert_int_equal(oms_store_append(env->st, &u, 0, &ticket), 0);
}

static uint64_t count_orders(env_t *env) {
  uint64_t n = 0;
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  assert_int_equal(oms_store_query_orders(env->st, &q, fx_count_orders, &n), 0);
  return n;
}

static void test_postgres_restarted_during_appends_loses_nothing(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "restart");
  for (uint64_t id = 1; id <= 50; id++) append_order(&env, id, "ACC1");
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  fx_pg_stop(&pg);
  /* The journal takes every append at once; nothing waits for PostgreSQL. */
  int64_t t0 = oms__store_mono_ns();
  for (uint64_t id = 51; id <= 150; id++) append_order(&env, id, "ACC1");
  assert_int_equal(oms_store_wait(env.st, oms_store_durable_ticket(env.st), WAIT_NS), 0);
  assert_true(oms__store_mono_ns() - t0 < INT64_C(2000000000));
  assert_int_equal(oms_store_flush(env.st, INT64_C(300000000)), OMS_ESTORE);
  assert_true(atomic_load(&env.errors) > 0);
  uint64_t n = 0;
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  assert_int_equal(oms_store_query_orders(env.st, &q, fx_count_orders, &n), OMS_ESTORE);
  assert_int_equal(fx_pg_start(&pg), 0);
  /* The projector retries by itself (backoff); recover() asks it now. */
  int rc = OMS_ESTORE;
  for (int i = 0; i < 200 && rc != 0; i++) {
    oms_store_recover(env.st);
    rc = oms_store_flush(env.st, WAIT_NS);
    if (rc != 0) usleep(100000);
  }
  assert_int_equal(rc, 0);
  assert_true(atomic_load(&env.recovered) > 0);
  assert_int_equal(count_orders(&env), 150);
  uint64_t last_seq, last_order;
  assert_int_equal(oms_store_last_seqs(env.st, &last_seq, &last_order), 0);
  assert_int_equal(last_seq, 450);
  assert_int_equal(last_order, 150);
  oms_position_t p;
  assert_int_equal(oms_store_get_position(env.st, "ACC1", "AAPL", &p), 0);
  assert_true(oms_dec_eq(p.qty, T_D("150")));
  env_close(&env);
}

static void test_a_reopen_resumes_from_the_instance_cursor(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "reopen");
  for (uint64_t id = 1; id <= 20; id++) append_order(&env, id, "ACC1");
  oms_store_close(env.st); /* projects what is durable first */
  assert_int_equal(open_store(&env), 0);
  assert_int_equal(count_orders(&env), 20);
  for (uint64_t id = 21; id <= 30; id++) append_order(&env, id, "ACC1");
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_int_equal(count_orders(&env), 30);
  oms_position_t p;
  assert_int_equal(oms_store_get_position(env.st, "ACC1", "AAPL", &p), 0);
  assert_true(oms_dec_eq(p.qty, T_D("30"))); /* each fill booked once */
  oms_store_close(env.st);
  /* The journal gone, PostgreSQL still holds the instance's rows: refused. */
  fx_journal_remove(env.dir.journal);
  assert_int_equal(open_store(&env), OMS_ESTORE);
  assert_null(env.st);
  assert_int_equal(fx_dir_remove(&env.dir), 0);
}

static void test_instances_share_the_database_apart(void **state) {
  (void)state;
  env_t a, b;
  env_open(&a, "inst_a");
  env_open(&b, "inst_b");
  for (uint64_t id = 1; id <= 5; id++) append_order(&a, id, "ACC1");
  for (uint64_t id = 1; id <= 3; id++) append_order(&b, id, "ACC2");
  assert_int_equal(oms_store_flush(a.st, WAIT_NS), 0);
  assert_int_equal(oms_store_flush(b.st, WAIT_NS), 0);
  assert_int_equal(count_orders(&a), 5);
  assert_int_equal(count_orders(&b), 3);
  oms_position_t p;
  assert_int_equal(oms_store_get_position(a.st, "ACC2", "AAPL", &p), OMS_ENOTFOUND);
  assert_int_equal(oms_store_get_position(b.st, "ACC2", "AAPL", &p), 0);
  env_close(&a);
  env_close(&b);
}

static int take_parent_row(void *ctx, const oms_parent_row_t *p) {
  *(oms_parent_row_t *)ctx = *p;
  return 0;
}

static void test_schema_version_and_stats(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "schema");
  oms_store_t *p = NULL;
  oms_store_error_t e;
  assert_int_equal(oms__pg_open(pg.conninfo, "x", &p, &e), 0); /* migrated already: no-op */
  assert_int_equal(oms__pg_schema_version(p),
                   4); /* 2: parents (SQLite 7), 3: best execution (SQLite 8), 4: pnl_bases (9) */
  oms_store_close(p);
  append_order(&env, 1, "ACC1");
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_true(st.transactions >= 1 && st.records >= 3 && st.commit_count >= 1);
  env_close(&env);
}

/* One unit of 400 events (200 orders): more statements than a pipeline
 * sync, each order's row once. */
static void test_a_long_unit_goes_through_several_syncs(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "long");
  static oms_event_t ev[400];
  for (uint64_t id = 1; id <= 200; id++) {
    oms_order_t o;
    fx_order(&o, id, "S1", "ACC1", "MSFT", T0);
    fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env.seq, &ev[2 * (id - 1)]);
    fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, ++env.seq, &ev[2 * (id - 1) + 1]);
  }
  oms_store_unit_t u = {ev, 400};
  uint64_t ticket;
  assert_int_equal(oms_store_append(env.st, &u, 0, &ticket), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_int_equal(count_orders(&env), 200);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 200, &o), 0);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  assert_int_equal(oms_store_get_order(env.st, 201, &o), OMS_ENOTFOUND);
  /* no order has a parent: none by parent (migration 2; it was
   * OMS_EUNSUPPORTED before PostgreSQL had the parents' tables) */
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  q.parent_order_id = 1;
  uint64_t n = 0;
  assert_int_equal(oms_store_query_orders(env.st, &q, fx_count_orders, &n), 0);
  assert_int_equal(n, 0);
  env_close(&env);
}

static PGresult *sql(const char *q) {
  PGconn *c = PQconnectdb(pg.conninfo);
  assert_int_equal(PQstatus(c), CONNECTION_OK);
  PGresult *res = PQexec(c, q);
  ExecStatusType st = PQresultStatus(res);
  assert_true(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
  PQfinish(c);
  return res;
}

/* A database at version 1 that already holds parents and children (the
 * engine journaled them before PostgreSQL had tables for them) is
 * back-filled by migration 2: the old database is made by taking
 * migration 2's tables out of a new one. */
static void test_migration_2_backfills_a_version_1_database(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "backfill");
  world_t w;
  make_world(&w, 10, "A1", "BTC-USD", 1);
  oms_store_unit_t u = {w.ev, w.n};
  uint64_t t;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_store_close(env.st);
  PQclear(
      sql("DROP TABLE parents; DROP TABLE order_parents; DROP TABLE best_execution_venues; "
          "DROP TABLE best_execution; DROP TABLE pnl_bases; "
          "DELETE FROM schema_version WHERE version >= 2"));
  assert_int_equal(open_store(&env), 0);
  PGresult *res = sql("SELECT max(version) FROM schema_version"); /* 2, 3 and 4 again */
  assert_string_equal(PQgetvalue(res, 0, 0), "4");
  PQclear(res);
  oms_parent_query_t q = {0};
  oms_parent_row_t row;
  memset(&row, 0, sizeof row);
  assert_int_equal(oms_store_query_parents(env.st, &q, take_parent_row, &row), 0);
  assert_int_equal(row.parent_order_id, 10);
  assert_int_equal(row.children, 1);
  assert_int_equal(row.last_event_seq, 5);
  assert_true(oms_dec_eq(row.filled_qty, T_D("0.3")));
  oms_order_query_t oq = {.parent_order_id = 10};
  uint64_t n = 0;
  assert_int_equal(oms_store_query_orders(env.st, &oq, fx_count_orders, &n), 0);
  assert_int_equal(n, 1);
  env_close(&env);
}

static int count_limits(void *ctx, const oms_limit_change_row_t *r) {
  assert_int_equal(r->len, 9);
  assert_memory_equal(r->line, "{\"seq\":1}", 9);
  (*(int *)ctx)++;
  return 0;
}

static void test_limit_changes_and_fix_records(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "records");
  uint64_t t;
  assert_int_equal(oms_store_limit_append(env.st, 1, T0, "ops", "{\"seq\":1}xx", 9, &t), 0);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S", 7, "8=FIX", 5, &t), 0);
  assert_int_equal(oms_store_fix_reset(env.st, "S", &t), 0);
  int n = 0;
  assert_int_equal(oms_store_limit_changes(env.st, count_limits, &n), 0);
  assert_int_equal(n, 1);
  int64_t in, out;
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S", &in, &out), 0);
  assert_true(in == 1 && out == 1);
  env_close(&env);
}

/* COPY's text format: a tab, a backslash, a newline in a field come back as
 * they went in. */
static void test_copy_keeps_every_character(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "copy");
  const char *odd = "S\t1\\x\nb\r";
  oms_order_t o;
  oms_event_t ev[3];
  fx_order(&o, 1, odd, "A\\1", "X\tY", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, 1, &ev[0]);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, 2, &ev[1]);
  fx_apply(&o, OMS_EV_FILL, "1", "100", T0 + 2, 3, &ev[2]);
  oms_store_unit_t u = {ev, 3};
  uint64_t t;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_order_t got;
  assert_int_equal(oms_store_get_order_by_clordid(env.st, odd, "c1", &got), 0);
  assert_string_equal(got.strategy_id, odd);
  assert_true(fx_same_order(&got, &o));
  oms_position_t p;
  assert_int_equal(oms_store_get_position(env.st, "A\\1", "X\tY", &p), 0);
  assert_true(oms_dec_eq(p.qty, T_D("1")));
  env_close(&env);
}

static int count_limit_rows(void *ctx, const oms_limit_change_row_t *r) {
  (void)r;
  (*(int *)ctx)++;
  return 0;
}

/* PostgreSQL down when the store opens (docs/store.md, "PostgreSQL down"):
 * the open succeeds from the journal, the queries are answered from it in
 * memory (the history and every append since), and once PostgreSQL is back
 * the projection catches up from its cursor, each row once, and the queries
 * go back to PostgreSQL. */
static void test_a_store_opens_and_trades_while_postgres_is_down(void **state) {
  (void)state;
  env_t env;
  env_open(&env, "down");
  for (uint64_t id = 1; id <= 3; id++) append_order(&env, id, "ACC1");
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  oms_store_close(env.st);
  fx_pg_stop(&pg);
  assert_int_equal(open_store(&env), 0);
  assert_true(atomic_load(&env.errors) > 0); /* said */
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_true(st.projection_local && st.projection_failed);
  assert_int_equal(count_orders(&env), 3); /* the history, from the journal */
  for (uint64_t id = 4; id <= 6; id++) append_order(&env, id, "ACC1");
  uint64_t t;
  assert_int_equal(oms_store_limit_append(env.st, 1, T0, "ops", "{\"seq\":1}", 9, &t), 0);
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S", 5, 7, &t), 0);
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0); /* the local view has it all */
  assert_int_equal(count_orders(&env), 6);
  oms_order_t o;
  assert_int_equal(oms_store_get_order(env.st, 5, &o), 0);
  int64_t in, out;
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S", &in, &out), 0);
  assert_true(in == 5 && out == 7);
  int n = 0;
  assert_int_equal(oms_store_limit_changes(env.st, count_limit_rows, &n), 0);
  assert_int_equal(n, 1);
  oms_parent_query_t pq = {0};
  oms_parent_row_t row;
  assert_int_equal(oms_store_query_parents(env.st, &pq, take_parent_row, &row), OMS_EUNSUPPORTED);
  uint64_t last_seq = 0, last_order = 0;
  assert_int_equal(oms_store_last_seqs(env.st, &last_seq, &last_order), 0);
  assert_true(last_seq == 18 && last_order == 6);

  assert_int_equal(fx_pg_start(&pg), 0);
  for (int i = 0; i < 400; i++) {
    oms_store_stats(env.st, &st);
    if (!st.projection_local) break;
    oms_store_recover(env.st);
    usleep(50000);
  }
  assert_false(st.projection_local);
  assert_int_equal(count_orders(&env), 6); /* PostgreSQL's answer now */
  char q[256];
  snprintf(q, sizeof q,
           "SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || max(seq) FROM events WHERE "
           "instance = '%s'",
           env.instance);
  PGresult *res = sql(q);
  assert_string_equal(PQgetvalue(res, 0, 0), "18 18 18");
  PQclear(res);
  n = 0;
  assert_int_equal(oms_store_limit_changes(env.st, count_limit_rows, &n), 0);
  assert_int_equal(n, 1);
  append_order(&env, 7, "ACC1"); /* and on as usual */
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  assert_int_equal(count_orders(&env), 7);
  env_close(&env);
}

static _Atomic int said_released;
static void on_error_released(void *ctx, const oms_store_error_t *e) {
  (void)ctx;
  if (strstr(e->message, "no longer holds the whole history") != NULL)
    atomic_store(&said_released, 1);
}

/* Retention released the journal's head: only PostgreSQL has that history,
 * so an open without it is refused, saying the cause and the fix. */
static void test_a_released_journal_head_needs_postgres_at_the_open(void **state) {
  (void)state;
  env_t env;
  memset(&env, 0, sizeof env);
  fx_dir_make(&env.dir);
  snprintf(env.instance, sizeof env.instance, "released_%d", (int)getpid());
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, env.dir.journal, env.dir.db);
  jc.durability = OMS_DURABILITY_OS;
  jc.segment_bytes = 1 << 20;
  jc.retain_ns = 1000000; /* 1 ms */
  jc.pg_conninfo = pg.conninfo;
  jc.instance = env.instance;
  jc.on_error = on_error_released;
  assert_int_equal(oms_store_journal_open(&jc, &env.st), 0);
  for (uint64_t id = 1; id <= 3000; id++) append_order(&env, id, "ACC1");
  assert_int_equal(oms_store_flush(env.st, WAIT_NS), 0);
  for (int i = 0; i < 100; i++) { /* the projector releases projected segments */
    usleep(20000);
    append_order(&env, 3000 + (uint64_t)i + 1, "ACC1");
  }
  oms_store_close(env.st);
  env.st = NULL;
  fx_pg_stop(&pg);
  int rc = oms_store_journal_open(&jc, &env.st);
  assert_int_equal(fx_pg_start(&pg), 0);
  assert_int_equal(rc, OMS_ESTORE);
  assert_true(atomic_load(&said_released));
  assert_int_equal(fx_dir_remove(&env.dir), 0);
}

/* Never reached (a new data directory, nothing listening): the store opens
 * all the same, empty, and says why; a bad instance name is refused. */
static void test_an_unreachable_database_does_not_stop_the_open(void **state) {
  (void)state;
  env_t env;
  memset(&env, 0, sizeof env);
  fx_dir_make(&env.dir);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, env.dir.journal, env.dir.db);
  char bad[160];
  snprintf(bad, sizeof bad, "host=127.0.0.1 port=%d user=postgres connect_timeout=1", fx_pg_port());
  jc.pg_conninfo = bad;
  jc.on_error = on_error;
  jc.ctx = &env;
  jc.durability = OMS_DURABILITY_OS;
  assert_int_equal(oms_store_journal_open(&jc, &env.st), 0);
  assert_true(atomic_load(&env.errors) > 0);
  append_order(&env, 1, "ACC1");
  assert_int_equal(count_orders(&env), 1);
  oms_store_close(env.st);
  oms_store_t *p = NULL;
  oms_store_error_t e;
  assert_int_equal(oms__pg_open(pg.conninfo, "", &p, &e), OMS_EINVAL);
  assert_int_equal(oms__pg_open(bad, "x", &p, &e), OMS_EDOWN);
  assert_int_equal(fx_dir_remove(&env.dir), 0);
}

int main(void) {
  int up = fx_pg_init(&pg);
  if (up == 1) return 0; /* skipped, said on stderr */
  if (up < 0) {
    fprintf(stderr, "FAIL: the PostgreSQL test cluster did not start (%s/pg.log)\n", pg.dir);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_postgres_restarted_during_appends_loses_nothing),
      cmocka_unit_test(test_a_reopen_resumes_from_the_instance_cursor),
      cmocka_unit_test(test_instances_share_the_database_apart),
      cmocka_unit_test(test_schema_version_and_stats),
      cmocka_unit_test(test_a_long_unit_goes_through_several_syncs),
      cmocka_unit_test(test_migration_2_backfills_a_version_1_database),
      cmocka_unit_test(test_limit_changes_and_fix_records),
      cmocka_unit_test(test_copy_keeps_every_character),
      cmocka_unit_test(test_a_store_opens_and_trades_while_postgres_is_down),
      cmocka_unit_test(test_an_unreachable_database_does_not_stop_the_open),
      cmocka_unit_test(test_a_released_journal_head_needs_postgres_at_the_open),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  fx_pg_destroy(&pg);
  return rc;
}
