/* test_tags.c - the FIX vocabulary tables (fix_tags.h): their lookups, their
 * shape (tag order, no duplicate), their agreement with QuickFIX's field list
 * when it is installed, and the rule that keeps them the only source: no tag
 * number or MsgType written as a bare literal in src/fix or src/gateway. */
#include <dirent.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/fix.h"
#include "oms/fix_tags.h"

static const struct {
  const char *name;
  uint32_t tag;
  const char *type;
} rows[] = {
#define ROW(name, num, type) {#name, num, #type},
    OMS_FIX_TAG_MAP(ROW)
#undef ROW
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static void test_tag_constants_are_the_fix_numbers(void **state) {
  (void)state;
  assert_int_equal(OMS_FIX_TAG_ClOrdID, 11);
  assert_int_equal(OMS_FIX_TAG_OrigClOrdID, 41);
  assert_int_equal(OMS_FIX_TAG_MsgSeqNum, 34);
  assert_int_equal(OMS_FIX_TAG_SessionRejectReason, 373);
  assert_int_equal(OMS_FIX_TAG_RefTagID, 371);
}

static void test_every_tag_has_its_name_and_type(void **state) {
  (void)state;
  for (size_t i = 0; i < NROWS; i++) {
    assert_string_equal(oms_fix_tag_name(rows[i].tag), rows[i].name);
    assert_string_equal(oms_fix_tag_type(rows[i].tag), rows[i].type);
    assert_int_equal(oms_fix_tag_by_name(rows[i].name), rows[i].tag);
  }
  assert_string_equal(oms_fix_tag_name(OMS_FIX_TAG_ClOrdID), "ClOrdID");
  assert_string_equal(oms_fix_tag_type(OMS_FIX_TAG_OrderQty), "QTY");
}

static void test_unknown_tags_and_names_have_no_entry(void **state) {
  (void)state;
  assert_null(oms_fix_tag_name(0));
  assert_null(oms_fix_tag_name(5000));
  assert_null(oms_fix_tag_type(5000));
  assert_int_equal(oms_fix_tag_by_name("NoSuchField"), 0);
  assert_int_equal(oms_fix_tag_by_name(NULL), 0);
}

/* Tag order is what lets the table be compared with the dictionary row by
 * row; the switch in tags.c already refuses a duplicated number. */
static void test_rows_are_in_tag_order_with_unique_names(void **state) {
  (void)state;
  for (size_t i = 1; i < NROWS; i++) {
    if (rows[i - 1].tag >= rows[i].tag)
      fail_msg("%s(%u) is listed after %s(%u)", rows[i].name, rows[i].tag, rows[i - 1].name,
               rows[i - 1].tag);
  }
  for (size_t i = 0; i < NROWS; i++)
    for (size_t j = i + 1; j < NROWS; j++) assert_string_not_equal(rows[i].name, rows[j].name);
}

static void test_message_types_have_names_and_categories(void **state) {
  (void)state;
  assert_string_equal(OMS_FIX_MSG_NewOrderSingle, "D");
  assert_string_equal(oms_fix_msg_type_name("D", 1), "NewOrderSingle");
  assert_string_equal(oms_fix_msg_type_name("8", 1), "ExecutionReport");
  assert_string_equal(oms_fix_msg_type_name("j", 1), "BusinessMessageReject");
  assert_null(oms_fix_msg_type_name("AE", 2));
  assert_null(oms_fix_msg_type_name("DX", 1 + 1));
  assert_null(oms_fix_msg_type_name(NULL, 0));
  const char *admin[] = {"0", "1", "2", "3", "4", "5", "A"};
  for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++)
    assert_true(oms_fix_msg_type_is_admin(admin[i], 1));
  /* IndicationOfInterest(6) is an application message. */
  assert_false(oms_fix_msg_type_is_admin("6", 1));
  assert_false(oms_fix_msg_type_is_admin("D", 1));
  assert_false(oms_fix_msg_type_is_admin("AB", 2));
}

/* ------------------------------------------------------------------------ */
/* Files                                                                      */

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  size_t got = fread(buf, 1, (size_t)n, f);
  buf[got] = '\0';
  fclose(f);
  return buf;
}

/* QuickFIX's generated list of every FIX field, where the dictionary is not
 * installed. The full comparison, with the types, is against the FIX 4.4
 * dictionary in test_dict_fix44.c. */
static void test_names_and_numbers_agree_with_quickfix(void **state) {
  (void)state;
  const char *paths[] = {"/usr/include/quickfix/FixFieldNumbers.h",
                         "/usr/local/include/quickfix/FixFieldNumbers.h"};
  char *text = NULL;
  for (size_t i = 0; i < 2 && !text; i++) text = read_all(paths[i]);
  if (!text) skip();
  for (size_t i = 0; i < NROWS; i++) {
    char want[96];
    snprintf(want, sizeof want, "const int %s = %u;", rows[i].name, rows[i].tag);
    if (!strstr(text, want)) {
      free(text);
      fail_msg("QuickFIX has no \"%s\"", want);
    }
  }
  free(text);
}

/* Blanks comments and the contents of string and char literals (keeping the
 * quotes and the newlines), so the patterns below see code only. */
static void strip(char *s) {
  enum { CODE, LINE, BLOCK, STR, CHR } st = CODE;
  for (char *p = s; *p; p++) {
    switch (st) {
      case CODE:
        if (p[0] == '/' && p[1] == '/')
          st = LINE, *p = ' ';
        else if (p[0] == '/' && p[1] == '*')
          st = BLOCK, *p = ' ', *++p = ' ';
        else if (*p == '"')
          st = STR;
        else if (*p == '\'')
          st = CHR;
        break;
      case LINE:
        if (*p == '\n')
          st = CODE;
        else
          *p = ' ';
        break;
      case BLOCK:
        if (p[0] == '*' && p[1] == '/')
          st = CODE, *p = ' ', *++p = ' ';
        else if (*p != '\n')
          *p = ' ';
        break;
      case STR:
      case CHR:
        if (*p == '\\' && p[1])
          *p = ' ', *++p = ' ';
        else if (*p == (st == STR ? '"' : '\''))
          st = CODE;
        else
          *p = ' ';
        break;
    }
  }
}

/* Where a tag or a MsgType goes in this tree's code. */
static const char *const patterns[] = {
    /* the tag argument of the field readers, writers and checkers */
    "(oms_fix_(msg_get_[a-z]+|msg_find|group_begin|add_[a-z]+)|req_[a-z]+|opt_[a-z]+|get_enum|"
    "get_time|bad_field|bad_from|add_opt[a-z_]*)\\([^,()]*,[[:space:]]*[0-9]+[[:space:]]*[,)]",
    "oms_fix_entry_get\\([^,]*,[^,]*,[[:space:]]*[0-9]+",
    "send_reject\\([^,]*,[^,]*,[^,]*,[[:space:]]*[1-9]",
    "content_error\\([^,]*,[^,]*,[[:space:]]*[1-9]",
    /* a tag compared or assigned (0 stays: it means "no tag") */
    "tag[[:space:]]*(=|==|!=)[[:space:]]*[1-9]",
    /* switches over tags, field triples and group rows */
    "case[[:space:]]+[0-9]+[[:space:]]*:",
    "oms_fix_field_t\\)[[:space:]]*\\{[[:space:]]*[0-9]",
    "\\{[[:space:]]*[0-9]+[[:space:]]*,[[:space:]]*\\{",
    /* MsgTypes */
    "(oms_fix_msg_is|admin_begin|check_type|oms_fix_session_app_begin|oms_fix_builder_begin)\\([^,]"
    "*,[[:space:]]*\"",
    "msg_type[[:space:]]*=[[:space:]]*\"",
};
#define NPATTERNS (sizeof(patterns) / sizeof(patterns[0]))

/* Counts the lines of text that hold a bare tag number or MsgType, printing
 * each as file:line. */
static int bare_literals(const char *name, char *text) {
  regex_t re[NPATTERNS];
  for (size_t i = 0; i < NPATTERNS; i++)
    assert_int_equal(regcomp(&re[i], patterns[i], REG_EXTENDED | REG_NOSUB), 0);
  strip(text);
  int found = 0, line = 1;
  for (char *p = text; *p; line++) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    for (size_t i = 0; i < NPATTERNS; i++) {
      if (regexec(&re[i], p, 0, NULL, 0) == 0) {
        print_message("%s:%d: bare FIX tag or MsgType (use OMS_FIX_TAG_* / OMS_FIX_MSG_*)\n", name,
                      line);
        found++;
        break;
      }
    }
    if (!nl) break;
    p = nl + 1;
  }
  for (size_t i = 0; i < NPATTERNS; i++) regfree(&re[i]);
  return found;
}

static void test_the_check_finds_bare_literals(void **state) {
  (void)state;
  char bad[] =
      "oms_fix_msg_get_str(m, 11, &v);\n"
      "oms_fix_add_int(b, OMS_FIX_TAG_MsgSeqNum, 34);\n" /* a value, not a tag: fine */
      "case 35: return 1;\n"
      "if (oms_fix_msg_is(m, \"D\")) x();\n"
      "*bad_tag = 49;\n"
      "/* oms_fix_msg_get_str(m, 11, &v) in a comment is fine */\n"
      "{453, {448, 447}},\n";
  assert_int_equal(bare_literals("sample", bad), 5);
}

static int scan_dir(const char *root, const char *sub, const char *prefix, const char *suffix) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", root, sub);
  DIR *d = opendir(dir);
  assert_non_null(d);
  int found = 0, files = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name), k = strlen(suffix);
    if (n < k || strcmp(e->d_name + n - k, suffix) != 0) continue;
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    char *text = read_all(path);
    assert_non_null(text);
    found += bare_literals(path, text);
    files++;
    free(text);
  }
  closedir(d);
  assert_true(files > 0);
  return found;
}

static void test_no_bare_tag_numbers_in_fix_and_gateway_code(void **state) {
  (void)state;
  const char *root = getenv("OMS_SOURCE_DIR");
  if (!root) skip();
  int found = scan_dir(root, "src/fix", "", ".c") + scan_dir(root, "src/fix", "", ".h") +
              scan_dir(root, "src/gateway", "", ".c") + scan_dir(root, "include/oms", "fix", ".h");
  assert_int_equal(found, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tag_constants_are_the_fix_numbers),
      cmocka_unit_test(test_every_tag_has_its_name_and_type),
      cmocka_unit_test(test_unknown_tags_and_names_have_no_entry),
      cmocka_unit_test(test_rows_are_in_tag_order_with_unique_names),
      cmocka_unit_test(test_message_types_have_names_and_categories),
      cmocka_unit_test(test_names_and_numbers_agree_with_quickfix),
      cmocka_unit_test(test_the_check_finds_bare_literals),
      cmocka_unit_test(test_no_bare_tag_numbers_in_fix_and_gateway_code),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
