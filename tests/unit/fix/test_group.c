/* test_group.c - repeating group iteration of src/fix/group.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix_test_util.h"

typedef struct {
  char buf[2048];
  oms_fix_msg_t msg;
} ctx_t;

static void parse_body(ctx_t *c, const char *body) {
  size_t len = frame(c->buf, sizeof(c->buf), body), used;
  assert_int_equal(oms_fix_parse(c->buf, len, NULL, &c->msg, &used, NULL), 0);
}

static void test_parties_are_iterated_in_order(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=D|453=2|448=TRADER1|447=D|452=11|448=DESK|452=3|55=X|");
  oms_fix_group_t g;
  oms_fix_entry_t e;
  oms_fix_str_t v;
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), 0);
  assert_int_equal(g.count, 2);
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(oms_fix_entry_get(&c.msg, &e, 448, &v), 0);
  assert_true(oms_fix_str_eq(v, "TRADER1"));
  assert_int_equal(oms_fix_entry_get(&c.msg, &e, 452, &v), 0);
  assert_true(oms_fix_str_eq(v, "11"));
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(oms_fix_entry_get(&c.msg, &e, 448, &v), 0);
  assert_true(oms_fix_str_eq(v, "DESK"));
  assert_int_equal(oms_fix_entry_get(&c.msg, &e, 447, &v), OMS_ENOTFOUND);
  assert_int_equal(oms_fix_entry_get(&c.msg, &e, 55, &v), OMS_ENOTFOUND);
  assert_int_equal(oms_fix_group_next(&g, &e), OMS_ENOTFOUND);
}

static void test_nested_sub_ids_stay_inside_their_party(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=D|453=2|448=A|802=2|523=s1|803=1|523=s2|448=B|58=x|");
  oms_fix_group_t g, sub;
  oms_fix_entry_t e, se;
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(e.end - e.begin, 5);
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(e.end - e.begin, 1);
  assert_int_equal(oms_fix_group_next(&g, &e), OMS_ENOTFOUND);
  assert_int_equal(oms_fix_group_begin(&c.msg, 802, &sub), 0);
  assert_int_equal(oms_fix_group_next(&sub, &se), 0);
  assert_int_equal(oms_fix_group_next(&sub, &se), 0);
  assert_int_equal(oms_fix_group_next(&sub, &se), OMS_ENOTFOUND);
}

static void test_absent_group_has_no_entries(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=D|55=X|");
  oms_fix_group_t g;
  oms_fix_entry_t e;
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), 0);
  assert_int_equal(g.count, 0);
  assert_int_equal(oms_fix_group_next(&g, &e), OMS_ENOTFOUND);
  parse_body(&c, "35=D|453=0|55=X|");
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), OMS_ENOTFOUND);
}

static void test_wrong_num_in_group_is_a_protocol_error(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_group_t g;
  oms_fix_entry_t e;
  parse_body(&c, "35=D|453=3|448=A|448=B|55=X|"); /* fewer than announced */
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), OMS_EPROTO);
  parse_body(&c, "35=D|453=1|448=A|448=B|"); /* more than announced */
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), 0);
  assert_int_equal(oms_fix_group_next(&g, &e), OMS_EPROTO);
  parse_body(&c, "35=D|453=1|452=1|448=A|"); /* entry does not start with 448 */
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), OMS_EPROTO);
  parse_body(&c, "35=D|453=1|");
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), OMS_EPROTO);
  parse_body(&c, "35=D|453=-1|");
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), OMS_EPROTO);
  parse_body(&c, "35=D|453=x|");
  assert_int_equal(oms_fix_group_begin(&c.msg, 453, &g), OMS_EPROTO);
}

static void test_unknown_group_is_unsupported(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_group_t g;
  parse_body(&c, "35=D|555=1|600=X|");
  assert_int_equal(oms_fix_group_begin(&c.msg, 555, &g), OMS_EUNSUPPORTED);
}

static void test_every_group_member_may_repeat_and_others_may_not(void **state) {
  (void)state;
  /* The members of every group of the codec's table. */
  static const uint32_t members[] = {448, 447, 452, 802, 523, 803, 524, 525, 538, 804,
                                     545, 805, 336, 625, 79,  661, 736, 467, 539, 80,
                                     372, 385, 455, 456, 233, 234, 375, 337, 437, 438,
                                     655, 137, 138, 139, 891, 41,  535, 536};
  for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
    ctx_t c;
    char body[64];
    snprintf(body, sizeof(body), "35=D|%u=1|%u=2|", members[i], members[i]);
    parse_body(&c, body);
  }
  static const uint32_t others[] = {1, 11, 38, 44, 55, 453, 78, 9999};
  for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
    char body[64], buf[256];
    snprintf(body, sizeof(body), "35=D|%u=1|%u=2|", others[i], others[i]);
    size_t len = frame(buf, sizeof(buf), body), used;
    oms_fix_msg_t m;
    oms_fix_perror_t e;
    assert_int_equal(oms_fix_parse(buf, len, NULL, &m, &used, &e), OMS_EPROTO);
    assert_int_equal(e.kind, OMS_FIX_PERR_DUPLICATE_TAG);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parties_are_iterated_in_order),
      cmocka_unit_test(test_nested_sub_ids_stay_inside_their_party),
      cmocka_unit_test(test_absent_group_has_no_entries),
      cmocka_unit_test(test_wrong_num_in_group_is_a_protocol_error),
      cmocka_unit_test(test_unknown_group_is_unsupported),
      cmocka_unit_test(test_every_group_member_may_repeat_and_others_may_not),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
