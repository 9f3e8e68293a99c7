/* Tests for src/store/store_schema.c: a database made by an older version is
 * migrated in place with its data kept; a newer one is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store_int.h"
#include "unit/store/store_fixture.h"

static int count_rows(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int n = -1;
  if (sqlite3_open(path, &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void test_migrates_a_version_1_database_keeping_its_orders(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, 1), 0);
  assert_int_equal(count_rows(d.db, "SELECT max(version) FROM schema_version"), 1);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM sqlite_master WHERE name = 'positions'"),
                   0);
  /* Version 1 data, written by the old schema. */
  oms_order_t o;
  oms_event_t ev;
  fx_order(&o, 1, "s1", "A1", "BTC-USD", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, 1, &ev);
  oms_store_config_t cfg;
  oms_store_config_init(&cfg, d.db);
  cfg.synchronous = true;
  /* Opening migrates to the latest version. */
  oms_store_t *st = NULL;
  assert_int_equal(oms_store_sqlite_open(&cfg, &st), 0);
  assert_int_equal(oms__store_sqlite_schema_version(st), OMS__SCHEMA_LATEST);
  oms_store_unit_t u = {&ev, 1, NULL, 0};
  uint64_t t;
  assert_int_equal(oms_store_append(st, &u, 0, &t), 0);
  oms_store_close(st);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM schema_version"), 3);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM orders"), 1);
  /* Migrating again is a no-op. */
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, OMS__SCHEMA_LATEST), 0);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM schema_version"), 3);
  assert_int_equal(fx_dir_remove(&d), 0);
}

static void test_refuses_a_database_from_a_newer_build(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, OMS__SCHEMA_LATEST), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "INSERT INTO schema_version(version, description) VALUES(99, 'future')",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  oms_store_config_t cfg;
  oms_store_config_init(&cfg, d.db);
  cfg.synchronous = true;
  oms_store_t *st = NULL;
  assert_int_equal(oms_store_sqlite_open(&cfg, &st), OMS_ESTORE);
  assert_null(st);
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, OMS__SCHEMA_LATEST), OMS_ESTORE);
  assert_int_equal(fx_dir_remove(&d), 0);
}

static void test_refuses_a_file_that_is_not_a_database(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  FILE *f = fopen(d.db, "w");
  fputs("this is not an sqlite database, just some text that is long enough to matter....", f);
  fclose(f);
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, OMS__SCHEMA_LATEST), OMS_ESTORE);
  assert_int_equal(fx_dir_remove(&d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_migrates_a_version_1_database_keeping_its_orders),
      cmocka_unit_test(test_refuses_a_database_from_a_newer_build),
      cmocka_unit_test(test_refuses_a_file_that_is_not_a_database),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
