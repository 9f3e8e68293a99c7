/*
 * fuzz_limits_log.c - libFuzzer target for the parser of limits.log's
 * lines (apps/omsd/limits_log.c: omsd_limit_change_parse), what omsd
 * reads back at every start to re-apply the risk limits changed at run
 * time.
 *
 * The input is one line's text. Whatever it is, parsing does not crash,
 * leak or read out of bounds; and a line that parses is a change that
 * survives a round trip: written as the log writes it
 * (omsd_limit_change_line, with "new" = the fields set, as when the
 * change applies at its own scope) and parsed again, it is the same change
 * (seq, at_ns, who, scope, id, reason and every limit field), and its line
 * is a fixed point. Seeds (fuzz/corpus/fuzz_limits_log/) are lines as
 * PUT /v1/risk/limits appends them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limits_log.h"

static char *limits_text(const oms_risk_limit_t *v) {
  json_t *j = omsd_limit_to_json(v);
  char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(j);
  if (s == NULL) __builtin_trap();
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  omsd_limit_change_t a, b;
  char why[512];
  if (omsd_limit_change_parse((const char *)data, size, &a, why, sizeof why) != 0) return 0;
  a.new_v = a.set;
  char *line = omsd_limit_change_line(&a);
  if (line == NULL) __builtin_trap();
  if (omsd_limit_change_parse(line, strlen(line), &b, why, sizeof why) != 0) __builtin_trap();
  if (a.seq != b.seq || a.at_ns != b.at_ns || a.scope != b.scope || a.set.set != b.set.set ||
      strcmp(a.who, b.who) != 0 || strcmp(a.id, b.id) != 0 || strcmp(a.reason, b.reason) != 0)
    __builtin_trap();
  char *ta = limits_text(&a.set), *tb = limits_text(&b.set);
  if (strcmp(ta, tb) != 0) __builtin_trap();
  b.new_v = b.set;
  char *again = omsd_limit_change_line(&b);
  if (again == NULL || strcmp(line, again) != 0) __builtin_trap();
  free(ta);
  free(tb);
  free(line);
  free(again);
  return 0;
}
