/* test_store.c - omsvenue's session store (apps/omsvenue/store.c): sequence
 * numbers and sent messages survive a reopen, a torn last record is cut
 * off, a sequence reset forgets the messages, and the orders' journal
 * appends lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "omsvenue.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/omsvenue-store-XXXXXX");
  assert_non_null(mkdtemp(dir));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

static void test_a_new_session_has_no_sequence_numbers(void **state) {
  (void)state;
  vstore_t st;
  assert_int_equal(vstore_open(&st, dir, "VENUE", "OMS", true), 0);
  oms_fix_session_store_t cb = vstore_callbacks(&st);
  int64_t s, t;
  assert_int_equal(cb.load_seqnums(cb.ctx, &s, &t), OMS_ENOTFOUND);
  char buf[16];
  size_t len;
  assert_int_equal(cb.load_sent(cb.ctx, 1, buf, sizeof buf, &len), OMS_ENOTFOUND);
  assert_int_equal(cb.load_sent(cb.ctx, 0, buf, sizeof buf, &len), OMS_ENOTFOUND);
  vstore_close(&st);
}

static void test_numbers_and_messages_survive_a_reopen(void **state) {
  (void)state;
  vstore_t st;
  assert_int_equal(vstore_open(&st, dir, "VENUE", "OMS", false), 0);
  oms_fix_session_store_t cb = vstore_callbacks(&st);
  assert_int_equal(cb.save_sent(cb.ctx, 2, "two", 3), 0);
  assert_int_equal(cb.save_sent(cb.ctx, 5000, "five thousand", 13), 0);
  assert_int_equal(cb.save_seqnums(cb.ctx, 5001, 17), 0);
  vstore_close(&st);

  assert_int_equal(vstore_open(&st, dir, "VENUE", "OMS", false), 0);
  cb = vstore_callbacks(&st);
  int64_t s, t;
  assert_int_equal(cb.load_seqnums(cb.ctx, &s, &t), 0);
  assert_int_equal(s, 5001);
  assert_int_equal(t, 17);
  char buf[32];
  size_t len;
  assert_int_equal(cb.load_sent(cb.ctx, 2, buf, sizeof buf, &len), 0);
  assert_memory_equal(buf, "two", 3);
  assert_int_equal(len, 3);
  assert_int_equal(cb.load_sent(cb.ctx, 5000, buf, sizeof buf, &len), 0);
  assert_int_equal(len, 13);
  assert_int_equal(cb.load_sent(cb.ctx, 3, buf, sizeof buf, &len), OMS_ENOTFOUND);
  assert_int_equal(cb.load_sent(cb.ctx, 5000, buf, 4, &len), OMS_EIO); /* buffer too small */
  vstore_close(&st);
}

static void test_a_torn_last_record_is_cut_off(void **state) {
  (void)state;
  vstore_t st;
  assert_int_equal(vstore_open(&st, dir, "VENUE", "OMS", false), 0);
  oms_fix_session_store_t cb = vstore_callbacks(&st);
  assert_int_equal(cb.save_sent(cb.ctx, 1, "one", 3), 0);
  assert_int_equal(cb.save_sent(cb.ctx, 2, "two", 3), 0);
  uint64_t end = st.end;
  assert_int_equal(ftruncate(st.msg_fd, (off_t)end - 1), 0); /* a crash mid-append */
  vstore_close(&st);
  assert_int_equal(vstore_open(&st, dir, "VENUE", "OMS", false), 0);
  cb = vstore_callbacks(&st);
  char buf[8];
  size_t len;
  assert_int_equal(cb.load_sent(cb.ctx, 1, buf, sizeof buf, &len), 0);
  assert_int_equal(cb.load_sent(cb.ctx, 2, buf, sizeof buf, &len), OMS_ENOTFOUND);
  assert_int_equal(st.end, end - 15);
  vstore_close(&st);
}

static void test_a_sequence_reset_forgets_the_messages(void **state) {
  (void)state;
  vstore_t st;
  assert_int_equal(vstore_open(&st, dir, "VENUE", "OMS", true), 0);
  oms_fix_session_store_t cb = vstore_callbacks(&st);
  assert_int_equal(cb.save_sent(cb.ctx, 1, "one", 3), 0);
  assert_int_equal(cb.reset(cb.ctx), 0);
  char buf[8];
  size_t len;
  assert_int_equal(cb.load_sent(cb.ctx, 1, buf, sizeof buf, &len), OMS_ENOTFOUND);
  assert_int_equal(cb.save_sent(cb.ctx, 1, "uno", 3), 0);
  assert_int_equal(cb.load_sent(cb.ctx, 1, buf, sizeof buf, &len), 0);
  assert_memory_equal(buf, "uno", 3);
  vstore_close(&st);
}

static void test_a_missing_directory_is_refused(void **state) {
  (void)state;
  vstore_t st;
  assert_int_equal(vstore_open(&st, "/nonexistent/omsvenue", "VENUE", "OMS", true), OMS_EIO);
  assert_int_equal(st.seq_fd, -1);
  FILE *f;
  assert_int_equal(vjournal_open(&f, "/nonexistent/omsvenue"), OMS_EIO);
}

static void test_the_journal_appends_lines(void **state) {
  (void)state;
  FILE *f;
  assert_int_equal(vjournal_open(&f, dir), 0);
  assert_int_equal(vjournal_write(f, true, "N %d\n", 1), 0);
  assert_int_equal(vjournal_write(f, false, "D %d\n", 1), 0);
  fclose(f);
  assert_int_equal(vjournal_open(&f, dir), 0);
  char line[16];
  rewind(f);
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "N 1\n");
  assert_non_null(fgets(line, sizeof line, f));
  assert_string_equal(line, "D 1\n");
  fclose(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_a_new_session_has_no_sequence_numbers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_numbers_and_messages_survive_a_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_torn_last_record_is_cut_off, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_sequence_reset_forgets_the_messages, setup, teardown),
      cmocka_unit_test(test_a_missing_directory_is_refused),
      cmocka_unit_test_setup_teardown(test_the_journal_appends_lines, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
