/* Tests for src/venue/sim_state.c: the simulated venue's state file - what is
 * appended is read back, a torn or corrupted tail is cut off, the rewrite
 * replaces the file whole, a killed writer's records are all there, and a
 * failed growth is sticky. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "venue/sim_state.h"

static void temp_path(char *buf, size_t cap) {
  snprintf(buf, cap, "/tmp/oms-sjtest-%d-XXXXXX", (int)getpid());
  int fd = mkstemp(buf);
  assert_true(fd >= 0);
  close(fd);
  unlink(buf);
}

static oms__sjrec_t rec(int kind, uint64_t id, int64_t filled) {
  oms__sjrec_t r;
  memset(&r, 0, sizeof r);
  r.kind = (uint8_t)kind;
  r.order_id = id;
  r.filled = filled;
  strcpy(r.symbol, "ABC");
  return r;
}

static void test_a_missing_file_is_no_records(void **state) {
  (void)state;
  oms__sjrec_t *recs;
  size_t n = 9;
  int existed = 1;
  assert_int_equal(oms__sj_load("/tmp/oms-sjtest-does-not-exist", &recs, &n, &existed), 0);
  assert_int_equal(n, 0);
  assert_false(existed);
  assert_null(recs);
}

static void test_appended_records_read_back_after_the_rewrite(void **state) {
  (void)state;
  char path[64];
  temp_path(path, sizeof path);
  oms__sjrec_t first[2] = {rec(OMS__SJ_EPOCH, 0, 0), rec(OMS__SJ_WORKING, 7, 0)};
  oms__sjournal_t *j;
  assert_int_equal(oms__sj_rewrite(path, first, 2, &j), 0);
  /* More than one buffer's worth: some are written on the way. */
  for (int i = 0; i < 300; i++) {
    oms__sjrec_t r = rec(OMS__SJ_FILL, 7, i + 1);
    assert_int_equal(oms__sj_append(j, &r), 0);
  }
  assert_int_equal(oms__sj_flush(j), 0);
  oms__sjrec_t last = rec(OMS__SJ_DONE, 7, 0);
  assert_int_equal(oms__sj_append(j, &last), 0);
  oms__sj_close(j); /* flushes */
  oms__sj_close(NULL);
  oms__sjrec_t *recs;
  size_t n;
  int existed;
  assert_int_equal(oms__sj_load(path, &recs, &n, &existed), 0);
  assert_true(existed);
  assert_int_equal(n, 303);
  assert_int_equal(recs[0].kind, OMS__SJ_EPOCH);
  assert_int_equal(recs[1].order_id, 7);
  assert_int_equal(recs[301].filled, 300);
  assert_int_equal(recs[302].kind, OMS__SJ_DONE);
  oms__free(recs);
  unlink(path);
}

static void test_records_are_in_the_file_without_a_close(void **state) {
  (void)state;
  char path[64];
  temp_path(path, sizeof path);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    oms__sjournal_t *j;
    if (oms__sj_rewrite(path, NULL, 0, &j) != 0) _exit(1);
    for (int i = 0; i < 5000; i++) { /* past the first chunk: one growth */
      oms__sjrec_t r = rec(OMS__SJ_FILL, 9, i + 1);
      if (oms__sj_append(j, &r) != 0) _exit(1);
    }
    kill(getpid(), SIGKILL); /* no close, no exit handlers */
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFSIGNALED(st));
  oms__sjrec_t *recs;
  size_t n;
  int existed;
  assert_int_equal(oms__sj_load(path, &recs, &n, &existed), 0);
  assert_int_equal(n, 5000); /* the reserved zeros after them end the reading */
  assert_int_equal(recs[4999].filled, 5000);
  oms__free(recs);
  unlink(path);
}

static void test_a_torn_or_corrupted_tail_is_cut_off(void **state) {
  (void)state;
  char path[64];
  temp_path(path, sizeof path);
  oms__sjrec_t rs[3] = {rec(OMS__SJ_EPOCH, 0, 0), rec(OMS__SJ_WORKING, 1, 0),
                        rec(OMS__SJ_WORKING, 2, 0)};
  oms__sjournal_t *j;
  assert_int_equal(oms__sj_rewrite(path, rs, 3, &j), 0);
  oms__sj_close(j);
  /* Half a record at the end, as a crash mid-write leaves it. */
  int fd = open(path, O_WRONLY | O_APPEND);
  assert_true(fd >= 0);
  char half[sizeof(oms__sjrec_t) / 2];
  memset(half, 0x5a, sizeof half);
  assert_int_equal(write(fd, half, sizeof half), (ssize_t)sizeof half);
  close(fd);
  oms__sjrec_t *recs;
  size_t n;
  int existed;
  assert_int_equal(oms__sj_load(path, &recs, &n, &existed), 0);
  assert_int_equal(n, 3);
  oms__free(recs);
  /* A flipped byte in the middle record: it and everything after are not read. */
  fd = open(path, O_RDWR);
  char x = 'Z';
  assert_int_equal(pwrite(fd, &x, 1, (off_t)sizeof(oms__sjrec_t) + 40), 1);
  close(fd);
  assert_int_equal(oms__sj_load(path, &recs, &n, &existed), 0);
  assert_int_equal(n, 1);
  oms__free(recs);
  unlink(path);
}

static void test_a_failed_write_is_sticky(void **state) {
  (void)state;
  char path[64];
  temp_path(path, sizeof path);
  oms__sjournal_t *j;
  assert_int_equal(oms__sj_rewrite(path, NULL, 0, &j), 0);
  /* Swap the file for a read-only descriptor: growing it fails. */
  int ro = open("/dev/null", O_RDONLY);
  assert_true(ro >= 0);
  int *fdp = (int *)(void *)j; /* the descriptor is the journal's first field */
  close(*fdp);
  *fdp = ro;
  oms__sjrec_t r = rec(OMS__SJ_FILL, 1, 1);
  assert_int_equal(oms__sj_append(j, &r), 0); /* into the mapping made before */
  assert_int_equal(oms__sj_flush(j), 0);
  /* Until the file has to grow. */
  int rc = 0, k = 0;
  while (rc == 0 && k++ < 100000) rc = oms__sj_append(j, &r);
  assert_int_equal(rc, OMS_EIO);
  assert_int_equal(oms__sj_append(j, &r), OMS_EIO);
  assert_int_equal(oms__sj_flush(j), OMS_EIO);
  oms__sj_close(j);
  unlink(path);
}

static void test_a_rewrite_into_a_missing_directory_fails(void **state) {
  (void)state;
  oms__sjournal_t *j = (oms__sjournal_t *)1;
  assert_int_equal(oms__sj_rewrite("/nonexistent-dir/x.state", NULL, 0, &j), OMS_EIO);
  assert_null(j);
}

static void test_zeros_are_no_records_and_another_layout_is_refused(void **state) {
  (void)state;
  char path[64];
  temp_path(path, sizeof path);
  oms__sjrec_t *recs;
  size_t n;
  int existed;
  char buf[sizeof(oms__sjrec_t) + 40];
  /* The reserved zeros of a file with no record yet: empty, not foreign. */
  memset(buf, 0, sizeof buf);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
  close(fd);
  assert_int_equal(oms__sj_load(path, &recs, &n, &existed), 0);
  assert_int_equal(n, 0);
  assert_int_equal(existed, 1);
  oms__free(recs);
  /* Bytes that are not a record of this layout, short or whole. */
  for (size_t len = 10; len <= sizeof buf; len += sizeof buf - 10) {
    memset(buf, 'x', sizeof buf);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
    recs = (oms__sjrec_t *)1;
    assert_int_equal(oms__sj_load(path, &recs, &n, &existed), OMS_ECORRUPT);
    assert_null(recs);
  }
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_missing_file_is_no_records),
      cmocka_unit_test(test_appended_records_read_back_after_the_rewrite),
      cmocka_unit_test(test_records_are_in_the_file_without_a_close),
      cmocka_unit_test(test_a_torn_or_corrupted_tail_is_cut_off),
      cmocka_unit_test(test_a_failed_write_is_sticky),
      cmocka_unit_test(test_a_rewrite_into_a_missing_directory_fails),
      cmocka_unit_test(test_zeros_are_no_records_and_another_layout_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
