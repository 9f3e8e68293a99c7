/* test_table.c - omsctl's tables (apps/omsctl/table.c): columns sized to
 * their content, numbers right-aligned, decimals printed as the API gave
 * them, no trailing blanks, JSON values as cells and times in UTC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "omsctl.h"

/* What t prints, as a malloc'd string. */
static char *render(const ctl_table_t *t) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  ctl_table_print(t, f);
  fclose(f);
  return buf;
}

static void test_columns_are_as_wide_as_their_widest_cell(void **state) {
  (void)state;
  static const char *const h[] = {"ID", "SYMBOL", "QTY", "STATE"};
  ctl_table_t *t = ctl_table_create(4, h);
  assert_non_null(t);
  const char *r1[] = {"7", "AAPL", "10", "ACCEPTED"};
  const char *r2[] = {"12", "BTC-USD", "0.125", "FILLED"};
  assert_int_equal(ctl_table_add(t, r1), 0);
  assert_int_equal(ctl_table_add(t, r2), 0);
  assert_int_equal(ctl_table_rows(t), 2);
  char *s = render(t);
  assert_string_equal(s,
                      "ID  SYMBOL     QTY  STATE\n"
                      " 7  AAPL        10  ACCEPTED\n"
                      "12  BTC-USD  0.125  FILLED\n");
  free(s);
  ctl_table_destroy(t);
}

static void test_empty_cells_leave_no_trailing_blanks_and_text_stays_left(void **state) {
  (void)state;
  static const char *const h[] = {"A", "B", "C"};
  ctl_table_t *t = ctl_table_create(3, h);
  const char *r1[] = {"x", "-1.5", NULL};
  const char *r2[] = {"longer", "", ""};
  const char *r3[] = {"9", "n/a", "z"};
  assert_int_equal(ctl_table_add(t, r1), 0);
  assert_int_equal(ctl_table_add(t, r2), 0);
  assert_int_equal(ctl_table_add(t, r3), 0);
  char *s = render(t);
  /* B has a non-number: left-aligned; A mixes "x" and "9": left. */
  assert_string_equal(s,
                      "A       B     C\n"
                      "x       -1.5\n"
                      "longer\n"
                      "9       n/a   z\n");
  free(s);
  ctl_table_destroy(t);
}

static void test_widths_count_characters_not_bytes(void **state) {
  (void)state;
  static const char *const h[] = {"WHO", "N"};
  ctl_table_t *t = ctl_table_create(2, h);
  const char *r1[] = {"Zo\xc3\xab", "1"}; /* "Zoë": 3 characters, 4 bytes */
  const char *r2[] = {"abcd", "2"};
  assert_int_equal(ctl_table_add(t, r1), 0);
  assert_int_equal(ctl_table_add(t, r2), 0);
  char *s = render(t);
  assert_string_equal(s,
                      "WHO   N\n"
                      "Zo\xc3\xab   1\n"
                      "abcd  2\n");
  free(s);
  ctl_table_destroy(t);
}

static void test_a_table_grows_past_its_first_allocation(void **state) {
  (void)state;
  static const char *const h[] = {"N"};
  ctl_table_t *t = ctl_table_create(1, h);
  char b[16];
  for (int i = 0; i < 1000; i++) {
    snprintf(b, sizeof b, "%d", i);
    const char *r[] = {b};
    assert_int_equal(ctl_table_add(t, r), 0);
  }
  assert_int_equal(ctl_table_rows(t), 1000);
  char *s = render(t);
  assert_non_null(strstr(s, "\n999\n"));
  assert_non_null(strstr(s, "\n  0\n"));
  free(s);
  ctl_table_destroy(t);
  assert_null(ctl_table_create(0, h));
  ctl_table_destroy(NULL);
}

static void test_numbers_are_what_a_column_right_aligns(void **state) {
  (void)state;
  assert_true(ctl_is_number("0"));
  assert_true(ctl_is_number("-12.50"));
  assert_true(ctl_is_number("+3"));
  assert_true(ctl_is_number(".5"));
  assert_false(ctl_is_number(""));
  assert_false(ctl_is_number("-"));
  assert_false(ctl_is_number("1.2.3"));
  assert_false(ctl_is_number("1e5"));
  assert_false(ctl_is_number("ACC1"));
}

static void test_json_values_become_cells(void **state) {
  (void)state;
  json_t *o = json_loads(
      "{\"qty\":\"10.50\",\"id\":42,\"up\":true,\"down\":false,\"n\":null,"
      "\"updated_ns\":1700000000123456789,\"zero_ns\":0,\"x\":1.5,"
      "\"obj\":{\"a\":1}}",
      0, NULL);
  assert_non_null(o);
  char b[128];
  assert_string_equal(ctl_cell(o, "qty", b, sizeof b), "10.50"); /* as given */
  assert_string_equal(ctl_cell(o, "id", b, sizeof b), "42");
  assert_string_equal(ctl_cell(o, "up", b, sizeof b), "yes");
  assert_string_equal(ctl_cell(o, "down", b, sizeof b), "no");
  assert_string_equal(ctl_cell(o, "n", b, sizeof b), "");
  assert_string_equal(ctl_cell(o, "absent", b, sizeof b), "");
  assert_string_equal(ctl_cell(o, "updated_ns", b, sizeof b), "2023-11-14 22:13:20.123");
  assert_string_equal(ctl_cell(o, "zero_ns", b, sizeof b), "0");
  assert_string_equal(ctl_cell(o, "x", b, sizeof b), "1.5");
  assert_string_equal(ctl_cell(o, "obj", b, sizeof b), "{\"a\":1}");
  assert_string_equal(ctl_cell(NULL, "qty", b, sizeof b), "");
  json_decref(o);
  assert_string_equal(ctl_time_str(-5, b, sizeof b), "-5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_columns_are_as_wide_as_their_widest_cell),
      cmocka_unit_test(test_empty_cells_leave_no_trailing_blanks_and_text_stays_left),
      cmocka_unit_test(test_widths_count_characters_not_bytes),
      cmocka_unit_test(test_a_table_grows_past_its_first_allocation),
      cmocka_unit_test(test_numbers_are_what_a_column_right_aligns),
      cmocka_unit_test(test_json_values_become_cells),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
