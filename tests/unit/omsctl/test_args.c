/* test_args.c - omsctl's command line (apps/omsctl/args.c): options in
 * every spelling and order, the reasons for a bad one, the local checks
 * of values (exit 2 before any request) and the config file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "omsctl.h"

static const ctl_opt_t spec[] = {
    {"qty", 0, true, "q", NULL},
    {"price", 'p', true, "p", NULL},
    {"json", 'j', false, "j", NULL},
};
enum { QTY, PRICE, JSON };

static int parse(ctl_args_t *a, char *err, size_t errlen, int argc, ...) {
  char *argv[32];
  va_list ap;
  va_start(ap, argc);
  for (int i = 0; i < argc; i++) argv[i] = va_arg(ap, char *);
  va_end(ap);
  return ctl_args_parse(argc, argv, spec, 3, a, err, errlen);
}

static void test_options_in_every_spelling_and_order(void **state) {
  (void)state;
  ctl_args_t a;
  char err[128] = "";
  assert_int_equal(parse(&a, err, sizeof err, 6, "42", "--qty", "10", "-p", "190.5", "-j"), 0);
  assert_string_equal(a.val[QTY], "10");
  assert_string_equal(a.val[PRICE], "190.5");
  assert_string_equal(a.val[JSON], "");
  assert_int_equal(a.npos, 1);
  assert_string_equal(a.pos[0], "42");

  assert_int_equal(parse(&a, err, sizeof err, 4, "--qty=5", "x", "--", "--json"), 0);
  assert_string_equal(a.val[QTY], "5");
  assert_null(a.val[JSON]);
  assert_int_equal(a.npos, 2);
  assert_string_equal(a.pos[1], "--json");

  /* A negative number is a value, not an option. */
  assert_int_equal(parse(&a, err, sizeof err, 3, "-5", "--price", "-0.5"), 0);
  assert_string_equal(a.pos[0], "-5");
  assert_string_equal(a.val[PRICE], "-0.5");
}

static void test_a_bad_option_is_named(void **state) {
  (void)state;
  ctl_args_t a;
  char err[128];
  assert_int_equal(parse(&a, err, sizeof err, 1, "--side"), -1);
  assert_string_equal(err, "unknown option --side");
  assert_int_equal(parse(&a, err, sizeof err, 1, "-x"), -1);
  assert_string_equal(err, "unknown option -x");
  assert_int_equal(parse(&a, err, sizeof err, 1, "-json"), -1);
  assert_string_equal(err, "unknown option -json (long options take --)");
  assert_int_equal(parse(&a, err, sizeof err, 1, "--qty"), -1);
  assert_string_equal(err, "--qty needs a value");
  assert_int_equal(parse(&a, err, sizeof err, 1, "--json=yes"), -1);
  assert_string_equal(err, "--json takes no value");
  char *many[CTL_MAX_POS + 1];
  for (int i = 0; i <= CTL_MAX_POS; i++) many[i] = "x";
  assert_int_equal(ctl_args_parse(CTL_MAX_POS + 1, many, spec, 3, &a, err, sizeof err), -1);
  assert_string_equal(err, "too many arguments");
  assert_int_equal(ctl_args_parse(0, many, spec, CTL_MAX_OPTS + 1, &a, err, sizeof err), -1);
}

static void test_values_are_checked_before_anything_is_sent(void **state) {
  (void)state;
  char err[160], out[16];
  assert_int_equal(ctl_check_decimal("qty", "10.25", err, sizeof err), 0);
  assert_int_equal(ctl_check_decimal("qty", "1e5", err, sizeof err), -1);
  assert_string_equal(err, "qty: \"1e5\" is not a decimal number (like 10 or 190.25)");
  assert_int_equal(ctl_check_decimal("price", "0.123456789", err, sizeof err), -1);
  assert_string_equal(err, "price: \"0.123456789\" has more than 8 decimal places");
  assert_int_equal(ctl_check_decimal("price", "99999999999999", err, sizeof err), -1);
  assert_string_equal(err, "price: \"99999999999999\" is out of range");
  assert_int_equal(ctl_check_uint("limit", "100", err, sizeof err), 0);
  assert_int_equal(ctl_check_uint("limit", "-1", err, sizeof err), -1);
  assert_int_equal(ctl_check_uint("limit", "10x", err, sizeof err), -1);
  assert_string_equal(err, "limit: \"10x\" is not a whole number");

  assert_int_equal(ctl_norm_side("buy", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "BUY");
  assert_int_equal(ctl_norm_side("Sell", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "SELL");
  assert_int_equal(ctl_norm_side("short", out, sizeof out, err, sizeof err), -1);
  assert_string_equal(err, "side: \"short\" is not a side (BUY or SELL)");
  assert_int_equal(ctl_norm_type("stop-limit", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "STOP_LIMIT");
  assert_int_equal(ctl_norm_type("peg", out, sizeof out, err, sizeof err), -1);
  assert_int_equal(ctl_norm_tif("gtc", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "GTC");
  assert_int_equal(ctl_norm_tif("week", out, sizeof out, err, sizeof err), -1);
  assert_int_equal(ctl_norm_scope("account", out, sizeof out, err, sizeof err), 0);
  assert_string_equal(out, "ACCOUNT");
  assert_int_equal(ctl_norm_scope("desk", out, sizeof out, err, sizeof err), -1);
  assert_int_equal(ctl_norm_side("a-side-name-longer-than-out", out, sizeof out, err, sizeof err),
                   -1);
}

static void test_limits_are_the_configuration_keys(void **state) {
  (void)state;
  char err[160];
  json_t *o = json_object();
  assert_int_equal(ctl_limit_pair("max_order_qty=500", o, err, sizeof err), 0);
  assert_int_equal(ctl_limit_pair("order_rate_account=100", o, err, sizeof err), 0);
  assert_string_equal(json_string_value(json_object_get(o, "max_order_qty")), "500");
  assert_string_equal(json_string_value(json_object_get(o, "order_rate_account")), "100");
  assert_int_equal(ctl_limit_pair("order_rate_account=1.5", o, err, sizeof err), -1);
  assert_string_equal(err, "order_rate_account: \"1.5\" is not a whole number");
  assert_int_equal(ctl_limit_pair("max_order_qty=lots", o, err, sizeof err), -1);
  assert_int_equal(ctl_limit_pair("max_qty=5", o, err, sizeof err), -1);
  assert_string_equal(err, "\"max_qty\" is not a limit (see docs/config.md: max_order_qty, ...)");
  assert_int_equal(ctl_limit_pair("max_order_qty", o, err, sizeof err), -1);
  assert_int_equal(ctl_limit_pair("=5", o, err, sizeof err), -1);
  assert_int_equal(ctl_limit_pair("max_order_qty=", o, err, sizeof err), -1);
  assert_int_equal(json_object_size(o), 2);
  json_decref(o);
}

static char *write_tmp(const char *text) {
  static char path[] = "/tmp/omsctl-conf-XXXXXX";
  strcpy(path, "/tmp/omsctl-conf-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

static void test_the_config_file_fills_what_is_not_set_yet(void **state) {
  (void)state;
  char err[256];
  ctl_conf_t c = {0};
  c.token = strdup("from-the-flag");
  char *p = write_tmp(
      "# omsctl\n\n  url = http://127.0.0.1:9999  \ntoken = \"from-file\"\n"
      "insecure=yes\n");
  assert_int_equal(ctl_conf_read(p, &c, err, sizeof err), 0);
  assert_string_equal(c.url, "http://127.0.0.1:9999");
  assert_string_equal(c.token, "from-the-flag");
  assert_string_equal(c.insecure, "yes");
  assert_null(c.cacert);
  unlink(p);
  ctl_conf_clear(&c);
  assert_null(c.url);

  p = write_tmp("url = x\ncolour = blue\n");
  assert_int_equal(ctl_conf_read(p, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, ":2: unknown key \"colour\""));
  unlink(p);
  ctl_conf_clear(&c);
  p = write_tmp("just words\n");
  assert_int_equal(ctl_conf_read(p, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, ":1: expected \"key = value\""));
  unlink(p);
  ctl_conf_clear(&c);
  assert_int_equal(ctl_conf_read("/nonexistent/omsctl.conf", &c, err, sizeof err), 1);
  assert_int_equal(ctl_conf_read("/", &c, err, sizeof err), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_in_every_spelling_and_order),
      cmocka_unit_test(test_a_bad_option_is_named),
      cmocka_unit_test(test_values_are_checked_before_anything_is_sent),
      cmocka_unit_test(test_limits_are_the_configuration_keys),
      cmocka_unit_test(test_the_config_file_fills_what_is_not_set_yet),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
