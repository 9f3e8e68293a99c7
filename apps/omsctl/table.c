/*
 * table.c - omsctl's aligned text tables and its JSON-to-cell rendering.
 *
 * A table keeps its cells (copied) until it is printed, because a column
 * is as wide as its widest cell: sizing needs every row first. Widths
 * count UTF-8 characters, not bytes. A column of numbers only is
 * right-aligned so that decimals line up on the right as a person reads
 * amounts; decimals are printed as the API gives them (strings, never
 * re-formatted: "190.5" stays "190.5").
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "omsctl.h"

struct ctl_table_s {
  size_t ncols;
  char **cells; /* (1 + nrows) * ncols: the header row first */
  size_t nrows, caprows;
};

static char *dup0(const char *s) { return strdup(s ? s : ""); }

ctl_table_t *ctl_table_create(size_t ncols, const char *const *headers) {
  if (ncols == 0 || ncols > CTL_TABLE_MAX_COLS) return NULL;
  ctl_table_t *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->ncols = ncols;
  t->caprows = 16;
  t->cells = calloc((t->caprows + 1) * ncols, sizeof *t->cells);
  if (t->cells == NULL) goto fail;
  for (size_t c = 0; c < ncols; c++)
    if ((t->cells[c] = dup0(headers[c])) == NULL) goto fail;
  return t;
fail:
  ctl_table_destroy(t);
  return NULL;
}

int ctl_table_add(ctl_table_t *t, const char *const *cells) {
  if (t->nrows == t->caprows) {
    size_t cap = t->caprows * 2;
    char **n = realloc(t->cells, (cap + 1) * t->ncols * sizeof *n);
    if (n == NULL) return -1;
    memset(n + (t->caprows + 1) * t->ncols, 0, (cap - t->caprows) * t->ncols * sizeof *n);
    t->cells = n;
    t->caprows = cap;
  }
  char **row = t->cells + (t->nrows + 1) * t->ncols;
  for (size_t c = 0; c < t->ncols; c++) {
    if ((row[c] = dup0(cells[c])) == NULL) {
      while (c--) {
        free(row[c]);
        row[c] = NULL;
      }
      return -1;
    }
  }
  t->nrows++;
  return 0;
}

size_t ctl_table_rows(const ctl_table_t *t) { return t->nrows; }

static size_t width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) w++;
  return w;
}

bool ctl_is_number(const char *s) {
  if (*s == '-' || *s == '+') s++;
  bool digits = false, dot = false;
  for (; *s; s++) {
    if (*s >= '0' && *s <= '9') {
      digits = true;
    } else if (*s == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

void ctl_table_print(const ctl_table_t *t, FILE *f) {
  size_t w[CTL_TABLE_MAX_COLS] = {0};
  bool right[CTL_TABLE_MAX_COLS] = {false};
  for (size_t c = 0; c < t->ncols; c++) {
    bool any = false;
    right[c] = true;
    for (size_t r = 0; r <= t->nrows; r++) {
      const char *s = t->cells[r * t->ncols + c];
      size_t n = width(s);
      if (n > w[c]) w[c] = n;
      if (r > 0 && *s) {
        any = true;
        if (!ctl_is_number(s)) right[c] = false;
      }
    }
    if (!any) right[c] = false;
  }
  for (size_t r = 0; r <= t->nrows; r++) {
    /* Trailing blanks are left out: the last non-empty cell ends the line. */
    size_t last = 0;
    for (size_t c = 0; c < t->ncols; c++)
      if (*t->cells[r * t->ncols + c]) last = c;
    for (size_t c = 0; c <= last; c++) {
      const char *s = t->cells[r * t->ncols + c];
      size_t pad = w[c] - width(s);
      if (c > 0) fputs("  ", f);
      if (right[c]) fprintf(f, "%*s", (int)pad, "");
      fputs(s, f);
      if (!right[c] && c < last) fprintf(f, "%*s", (int)pad, "");
    }
    fputc('\n', f);
  }
}

void ctl_table_destroy(ctl_table_t *t) {
  if (t == NULL) return;
  if (t->cells) {
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
  }
  free(t);
}

const char *ctl_time_str(long long ns, char *buf, size_t cap) {
  time_t secs = (time_t)(ns / 1000000000LL);
  struct tm tm;
  if (ns <= 0 || gmtime_r(&secs, &tm) == NULL) {
    snprintf(buf, cap, "%lld", ns);
    return buf;
  }
  snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d.%03lld", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ns % 1000000000LL) / 1000000LL);
  return buf;
}

const char *ctl_cell(const json_t *obj, const char *key, char *buf, size_t cap) {
  const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
  size_t klen = strlen(key);
  buf[0] = '\0';
  if (v == NULL || json_is_null(v)) return buf;
  if (json_is_string(v)) {
    snprintf(buf, cap, "%s", json_string_value(v));
  } else if (json_is_integer(v)) {
    long long n = (long long)json_integer_value(v);
    if (klen > 3 && strcmp(key + klen - 3, "_ns") == 0 && n > 0) return ctl_time_str(n, buf, cap);
    snprintf(buf, cap, "%lld", n);
  } else if (json_is_boolean(v)) {
    snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
  } else if (json_is_real(v)) {
    snprintf(buf, cap, "%.17g", json_real_value(v));
  } else {
    char *s = json_dumps(v, JSON_COMPACT);
    snprintf(buf, cap, "%s", s ? s : "");
    free(s);
  }
  return buf;
}
