/* test_journal.c - the live journal: open and create, append and read in
 * both durability modes, units, segment roll, concurrent readers, the
 * syncer's group commit, retention, and the fault sweep over the seam. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <poll.h>
#include <pthread.h>

#include "journal_fixture.h"

static oms_journal_t *jopen(const jdir_t *d, oms_journal_durability_t mode, uint64_t seg,
                            const oms_journal_io_t *io) {
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d->dir);
  cfg.durability = mode;
  cfg.segment_bytes = seg;
  cfg.create = true;
  cfg.io = io;
  oms_journal_t *j = NULL;
  oms_journal_error_t err;
  int rc = oms_journal_open(&cfg, &j, &err);
  if (rc != 0)
    fail_msg("open: %s: %s at %s:%" PRIu64, oms_err_name(rc), err.text, err.file, err.offset);
  return j;
}

static void test_missing_journal_is_not_found_without_create(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_config_t cfg;
  oms_journal_config_init(&cfg, d.dir);
  oms_journal_t *j = (oms_journal_t *)&cfg;
  oms_journal_error_t err;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_ENOTFOUND);
  assert_null(j);
  mkdir(d.dir, 0755); /* an empty directory: still no journal */
  assert_int_equal(oms_journal_open(&cfg, &j, &err), OMS_ENOTFOUND);
  cfg.create = true;
  assert_int_equal(oms_journal_open(&cfg, &j, &err), 0);
  assert_int_equal(oms_journal_written(j), 0);
  oms_journal_close(j);
  cfg.create = false; /* now it has a segment */
  assert_int_equal(oms_journal_open(&cfg, &j, &err), 0);
  oms_journal_close(j);
  oms_journal_close(NULL);
  jdir_remove(&d);
}

static void test_os_mode_is_durable_in_the_append(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_OS, 0, NULL);
  uint64_t lsn = 0;
  assert_int_equal(oms_journal_append(j, 7, "hello", 5, &lsn), 0);
  assert_int_equal(lsn, 1);
  assert_int_equal(oms_journal_written(j), 1);
  assert_int_equal(oms_journal_durable(j), 1);
  struct pollfd p = {oms_journal_durable_fd(j), POLLIN, 0};
  assert_int_equal(poll(&p, 1, 0), 1);
  assert_int_equal(append_units(j, 10, 3), 0);
  assert_int_equal(oms_journal_durable(j), 31);
  assert_int_equal(oms_journal_wait(j, 31, 0), 0);
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 2, true, collect_cb, &c), 0);
  assert_int_equal(c.count, 30);
  assert_int_equal(c.first, 2);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);
  jdir_remove(&d);
}

static void test_fsync_mode_durable_after_sync(void **state) {
  (void)state;
  jdir_t d;
  jdir_make(&d);
  fault_t f;
  oms_journal_io_t io;
  fault_init(&f, &io);
  oms_journal_t *j = jopen(&d, OMS_JOURNAL_FSYNC, 0, &io);
  long syncs0 = atomic_load(&f.calls[IO_FDATASYNC]);
  assert_int_equal(append_units(j, 2000, 1), 0);
  assert_int_equal(oms_journal_written(j), 2000);
  assert_int_equal(oms_journal_wait(j, 2000, 10 * 1000000000LL), 0);
  assert_true(oms_journal_durable(j) >= 2000);
  long syncs = atomic_load(&f.calls[IO_FDATASYNC]) - syncs0;
  assert_true(syncs >= 1);
  assert_true(syncs < 2000); /* group commit: a burst shares syncs */
  collect_t c = {0};
  assert_int_equal(oms_journal_read(j, 1, true, collect_cb, &c), 0);
  assert_int_equal(c.count, 2000);
  assert_int_equal(c.bad, 0);
  oms_journal_close(j);

  /* Everything comes back after a reopen, and appends continue. */
  j = jopen(&d, OMS_JOURNAL_FSYNC, 0, NULL);
  assert_int_equal(oms_journal_written(j), 2000);
  assert_int_equal(oms_journal_durable(j), 2000);
  assert_int_equal(append_units(j, 5, 2), 0);
  assert_int_equal(oms_journal_wait(j, 2010, -1), 0);
  assert_int_equal(oms_journal_wait(j, 2011, 1000000), OMS_ETIMEDOUT);
  oms_journal_close(j);
  jdir_remove(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_missing_journal_is_not_found_without_create),
      cmocka_unit_test(test_os_mode_is_durable_in_the_append),
      cmocka_unit_test(test_fsync_mode_durable_after_sync),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
