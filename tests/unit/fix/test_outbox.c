/* test_outbox.c - the write-ahead outbox of src/fix/outbox.c: messages leave
 * in order once their store ticket is durable, never before; the buffer
 * grows up to its cap; a failed write empties it; the first waiting number
 * and the last message are found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix/outbox.h"
#include "fix_test_util.h"

typedef struct sink_s {
  char got[4096];
  size_t len;
  int n;
  int fail_at; /* the n-th write fails (1-based); 0: never */
} sink_t;

static int sink_send(void *ctx, const char *data, size_t len) {
  sink_t *s = ctx;
  if (++s->n == s->fail_at) return OMS_EIO;
  memcpy(s->got + s->len, data, len);
  s->len += len;
  return 0;
}

static void test_messages_wait_for_their_ticket_and_leave_in_order(void **state) {
  (void)state;
  oms__fix_outbox_t ob;
  assert_int_equal(oms__fix_outbox_init(&ob, 64, 1024), 0);
  assert_true(oms__fix_outbox_empty(&ob));
  assert_int_equal(oms__fix_outbox_push(&ob, 5, "a|", 2), 0);
  assert_int_equal(oms__fix_outbox_push(&ob, 5, "b|", 2), 0);
  assert_int_equal(oms__fix_outbox_push(&ob, 7, "c|", 2), 0);
  sink_t s = {0};
  int err = -1;
  assert_int_equal(oms__fix_outbox_pump(&ob, 4, sink_send, &s, &err), 0);
  assert_int_equal(err, 0);
  assert_int_equal(oms__fix_outbox_pump(&ob, 6, sink_send, &s, &err), 2);
  assert_memory_equal(s.got, "a|b|", 4);
  assert_false(oms__fix_outbox_empty(&ob));
  assert_int_equal(oms__fix_outbox_pump(&ob, 7, sink_send, &s, NULL), 1);
  assert_memory_equal(s.got, "a|b|c|", 6);
  assert_true(oms__fix_outbox_empty(&ob));
  oms__fix_outbox_free(&ob);
  oms__fix_outbox_free(&ob); /* a freed outbox is zeroed */
}

static void test_it_grows_to_its_cap_and_refuses_beyond(void **state) {
  (void)state;
  oms__fix_outbox_t ob;
  assert_int_equal(oms__fix_outbox_init(&ob, 32, 128), 0);
  char msg[40];
  memset(msg, 'x', sizeof msg);
  assert_int_equal(oms__fix_outbox_push(&ob, 1, msg, sizeof msg), 0);
  assert_int_equal(oms__fix_outbox_push(&ob, 1, msg, sizeof msg), 0);
  assert_int_equal(oms__fix_outbox_push(&ob, 1, msg, sizeof msg), OMS_EFULL);
  /* Space before the head is reused before growing. */
  sink_t s = {0};
  assert_int_equal(oms__fix_outbox_pump(&ob, 1, sink_send, &s, NULL), 2);
  assert_int_equal(oms__fix_outbox_push(&ob, 2, msg, sizeof msg), 0);
  assert_int_equal(oms__fix_outbox_push(&ob, 2, msg, sizeof msg), 0);
  oms__fix_outbox_free(&ob);
}

static void test_a_failed_write_empties_it(void **state) {
  (void)state;
  oms__fix_outbox_t ob;
  assert_int_equal(oms__fix_outbox_init(&ob, 64, 1024), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(oms__fix_outbox_push(&ob, 1, "m|", 2), 0);
  sink_t s = {.fail_at = 2};
  int err = 0;
  assert_int_equal(oms__fix_outbox_pump(&ob, 1, sink_send, &s, &err), 2);
  assert_int_equal(err, OMS_EIO);
  assert_true(oms__fix_outbox_empty(&ob));
  oms__fix_outbox_free(&ob);
}

static void test_first_waiting_number_and_the_last_message(void **state) {
  (void)state;
  oms__fix_outbox_t ob;
  assert_int_equal(oms__fix_outbox_init(&ob, 256, 1024), 0);
  assert_int_equal(oms__fix_outbox_first_seq(&ob, 9), 9);
  char m1[128], m2[128];
  size_t l1 = frame(m1, sizeof m1, "35=0|49=A|56=B|34=12|52=20260101-00:00:00|");
  size_t l2 = frame(m2, sizeof m2, "35=5|49=A|56=B|34=13|52=20260101-00:00:00|");
  assert_int_equal(oms__fix_outbox_push(&ob, 3, m1, l1), 0);
  assert_int_equal(oms__fix_outbox_push(&ob, 3, m2, l2), 0);
  assert_int_equal(oms__fix_outbox_first_seq(&ob, 14), 12);
  oms__fix_outbox_keep_last(&ob);
  assert_int_equal(oms__fix_outbox_first_seq(&ob, 14), 13);
  sink_t s = {0};
  assert_int_equal(oms__fix_outbox_pump(&ob, 3, sink_send, &s, NULL), 1);
  assert_memory_equal(s.got, m2, l2);
  /* A message without a MsgSeqNum: the caller's next number. */
  assert_int_equal(oms__fix_outbox_push(&ob, 3, "garbage", 7), 0);
  assert_int_equal(oms__fix_outbox_first_seq(&ob, 14), 14);
  oms__fix_outbox_clear(&ob);
  assert_true(oms__fix_outbox_empty(&ob));
  oms__fix_outbox_free(&ob);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_messages_wait_for_their_ticket_and_leave_in_order),
      cmocka_unit_test(test_it_grows_to_its_cap_and_refuses_beyond),
      cmocka_unit_test(test_a_failed_write_empties_it),
      cmocka_unit_test(test_first_waiting_number_and_the_last_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
