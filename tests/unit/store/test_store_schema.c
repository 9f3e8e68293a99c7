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
  oms_store_unit_t u = {&ev, 1};
  uint64_t t;
  assert_int_equal(oms_store_append(st, &u, 0, &t), 0);
  oms_store_close(st);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM schema_version"), OMS__SCHEMA_LATEST);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM orders"), 1);
  /* Migrating again is a no-op. */
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, OMS__SCHEMA_LATEST), 0);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM schema_version"), OMS__SCHEMA_LATEST);
  assert_int_equal(fx_dir_remove(&d), 0);
}

/* Version 3 had a positions table keyed by strategy that nothing wrote: the
 * migration to 4 replaces it, and 5 (which added the columns recovery reads)
 * books the fills already in the log. */
static void test_migration_4_books_the_stored_fills_into_positions(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, 3), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
  sqlite3_stmt *ins = NULL;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "INSERT INTO events(seq, type, order_id, event_ns, body) "
                                      "VALUES(?1, ?2, ?3, ?4, ?5)",
                                      -1, &ins, NULL),
                   SQLITE_OK);
  oms_order_t o;
  oms_event_t ev;
  fx_order(&o, 1, "s1", "A1", "BTC-USD", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, 1, &ev);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, 2, &ev);
  for (uint64_t seq = 2; seq <= 4; seq++) {
    if (seq > 2) fx_apply(&o, OMS_EV_FILL, seq == 3 ? "0.5" : "1.5", "100", T0 + 2, seq, &ev);
    uint8_t body[OMS_EVENT_BIN_MAX];
    int n = oms_event_encode(&ev, body, sizeof body);
    sqlite3_bind_int64(ins, 1, (sqlite3_int64)seq);
    sqlite3_bind_text(ins, 2, oms_event_type_name(ev.type), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 3, 1);
    sqlite3_bind_int64(ins, 4, ev.event_ns);
    sqlite3_bind_blob(ins, 5, body, n, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_close(db);

  oms_store_config_t cfg;
  oms_store_config_init(&cfg, d.db);
  cfg.synchronous = true;
  oms_store_t *st = NULL;
  assert_int_equal(oms_store_sqlite_open(&cfg, &st), 0);
  assert_int_equal(oms__store_sqlite_schema_version(st), OMS__SCHEMA_LATEST);
  oms_position_t p;
  assert_int_equal(oms_store_get_position(st, "A1", "BTC-USD", &p), 0);
  assert_true(oms_dec_eq(p.qty, T_D("2")));
  assert_true(oms_dec_eq(p.avg_px, T_D("100")));
  assert_true(oms_dec_eq(p.fees, T_D("0.02")));
  assert_int_equal(p.last_fill_seq, 4);
  assert_int_equal(p.opened_seq, 3);
  assert_true(oms_dec_eq(p.mark_px, T_D("100")));
  assert_int_equal(p.mark_seq, 4);
  assert_int_equal(p.mark_ns, T0 + 2);
  oms_store_close(st);
  assert_int_equal(count_rows(d.db, "SELECT count(*) FROM positions"), 1);

  /* A body that does not decode stops the migration: nothing half done. */
  fx_dir_t d2;
  fx_dir_make(&d2);
  assert_int_equal(oms__store_sqlite_migrate_path(d2.db, 3), 0);
  assert_int_equal(sqlite3_open(d2.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "INSERT INTO events(seq, type, event_ns, body) "
                                "VALUES(1, 'OrderFilled', 0, x'09')",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(oms__store_sqlite_migrate_path(d2.db, 5), OMS_ESTORE);
  assert_int_equal(count_rows(d2.db, "SELECT max(version) FROM schema_version"), 4);
  assert_int_equal(fx_dir_remove(&d2), 0);
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
      cmocka_unit_test(test_migration_4_books_the_stored_fills_into_positions),
      cmocka_unit_test(test_refuses_a_database_from_a_newer_build),
      cmocka_unit_test(test_refuses_a_file_that_is_not_a_database),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
