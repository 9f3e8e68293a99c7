/*
 * args.c - omsctl's command-line options, the checks it makes before it
 * sends anything, and its config file.
 *
 * Each command declares its options as a table (ctl_opt_t); one parser
 * serves them all, so every command takes "--name VALUE", "--name=VALUE"
 * and "-x VALUE" alike, options and arguments in any order, "--" ending
 * the options. What can be checked without omsd is checked here (a
 * decimal that is not one, an unknown side) so that a typo costs exit 2
 * and a clear line, not a round trip. Names are taken in any case and
 * written back in the API's spelling (oms_side_parse & co. are exact).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "oms/decimal.h"
#include "oms/error.h"
#include "oms/order.h"
#include "oms/risk.h"
#include "omsctl.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static const ctl_opt_t *find_long(const ctl_opt_t *spec, size_t n, const char *name, size_t len,
                                  size_t *idx) {
  for (size_t i = 0; i < n; i++) {
    if (strlen(spec[i].name) == len && strncmp(spec[i].name, name, len) == 0) {
      *idx = i;
      return &spec[i];
    }
  }
  return NULL;
}

static const ctl_opt_t *find_short(const ctl_opt_t *spec, size_t n, char c, size_t *idx) {
  for (size_t i = 0; i < n; i++) {
    if (spec[i].short_name && spec[i].short_name == c) {
      *idx = i;
      return &spec[i];
    }
  }
  return NULL;
}

int ctl_args_parse(int argc, char **argv, const ctl_opt_t *spec, size_t nspec, ctl_args_t *out,
                   char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (nspec > CTL_MAX_OPTS) return fail(err, errlen, "too many options in the table");
  bool opts_done = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    const ctl_opt_t *o = NULL;
    size_t idx = 0;
    const char *inline_val = NULL;
    if (!opts_done && strcmp(a, "--") == 0) {
      opts_done = true;
      continue;
    }
    /* "-5" and "-0.5" are values (a negative limit), not options. */
    bool dash =
        !opts_done && a[0] == '-' && a[1] != '\0' && !isdigit((unsigned char)a[1]) && a[1] != '.';
    if (!dash) {
      if (out->npos == CTL_MAX_POS) return fail(err, errlen, "too many arguments");
      out->pos[out->npos++] = a;
      continue;
    }
    if (a[1] == '-') {
      const char *name = a + 2;
      const char *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      o = find_long(spec, nspec, name, len, &idx);
      if (o == NULL) return fail(err, errlen, "unknown option --%.*s", (int)len, name);
      if (eq) inline_val = eq + 1;
    } else {
      if (a[2] != '\0') return fail(err, errlen, "unknown option %s (long options take --)", a);
      o = find_short(spec, nspec, a[1], &idx);
      if (o == NULL) return fail(err, errlen, "unknown option %s", a);
    }
    if (!o->takes_value) {
      if (inline_val) return fail(err, errlen, "--%s takes no value", o->name);
      out->val[idx] = "";
      continue;
    }
    if (inline_val == NULL) {
      if (i + 1 >= argc) return fail(err, errlen, "--%s needs a value", o->name);
      inline_val = argv[++i];
    }
    out->val[idx] = inline_val;
  }
  return 0;
}

int ctl_check_decimal(const char *what, const char *s, char *err, size_t errlen) {
  oms_dec_t d;
  int rc = oms_dec_parse_cstr(s, &d);
  if (rc == 0) return 0;
  if (rc == OMS_EPRECISION)
    return fail(err, errlen, "%s: \"%s\" has more than %d decimal places", what, s, OMS_DEC_PLACES);
  if (rc == OMS_EOVERFLOW) return fail(err, errlen, "%s: \"%s\" is out of range", what, s);
  return fail(err, errlen, "%s: \"%s\" is not a decimal number (like 10 or 190.25)", what, s);
}

int ctl_check_uint(const char *what, const char *s, char *err, size_t errlen) {
  char *end = NULL;
  errno = 0;
  if (s[0] < '0' || s[0] > '9') goto bad;
  unsigned long long v = strtoull(s, &end, 10);
  (void)v;
  if (errno || *end != '\0') goto bad;
  return 0;
bad:
  return fail(err, errlen, "%s: \"%s\" is not a whole number", what, s);
}

/* s upper-cased into out, '-' read as '_' ("stop-limit" is STOP_LIMIT). */
static int upper(const char *s, char *out, size_t cap) {
  size_t n = strlen(s);
  if (n + 1 > cap) return -1;
  for (size_t i = 0; i <= n; i++) out[i] = s[i] == '-' ? '_' : (char)toupper((unsigned char)s[i]);
  return 0;
}

int ctl_norm_side(const char *s, char *out, size_t cap, char *err, size_t errlen) {
  oms_side_t v;
  if (upper(s, out, cap) == 0 && oms_side_parse(out, &v) == 0) return 0;
  return fail(err, errlen, "side: \"%s\" is not a side (BUY or SELL)", s);
}

int ctl_norm_type(const char *s, char *out, size_t cap, char *err, size_t errlen) {
  oms_ord_type_t v;
  if (upper(s, out, cap) == 0 && oms_ord_type_parse(out, &v) == 0) return 0;
  return fail(err, errlen, "type: \"%s\" is not an order type (MARKET, LIMIT, STOP, STOP_LIMIT)",
              s);
}

int ctl_norm_tif(const char *s, char *out, size_t cap, char *err, size_t errlen) {
  oms_tif_t v;
  if (upper(s, out, cap) == 0 && oms_tif_parse(out, &v) == 0) return 0;
  return fail(err, errlen, "tif: \"%s\" is not a time in force (DAY, GTC, IOC, FOK, GTD)", s);
}

int ctl_norm_scope(const char *s, char *out, size_t cap, char *err, size_t errlen) {
  static const char *const scopes[] = {"GLOBAL", "ACCOUNT", "STRATEGY", "SYMBOL"};
  if (upper(s, out, cap) == 0) {
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
      if (strcmp(out, scopes[i]) == 0) return 0;
  }
  return fail(err, errlen, "scope: \"%s\" is not a scope (GLOBAL, ACCOUNT, STRATEGY, SYMBOL)", s);
}

/* The limit keys and whether each is a decimal (else a whole number). */
static const struct {
  const char *key;
  bool dec;
} limit_keys[] = {
#define RL_KEY_(name, field, kind, key) {key, OMS_RL_KIND_IS_DEC_##kind},
#define OMS_RL_KIND_IS_DEC_DEC true
#define OMS_RL_KIND_IS_DEC_U32 false
#define OMS_RL_KIND_IS_DEC_NS false
    OMS_RISK_LIMIT_FIELDS(RL_KEY_)
#undef RL_KEY_
};

int ctl_limit_pair(const char *pair, json_t *obj, char *err, size_t errlen) {
  const char *eq = strchr(pair, '=');
  if (eq == NULL || eq == pair || eq[1] == '\0')
    return fail(err, errlen, "\"%s\": a limit is written KEY=VALUE (max_order_qty=500)", pair);
  size_t klen = (size_t)(eq - pair);
  for (size_t i = 0; i < sizeof limit_keys / sizeof limit_keys[0]; i++) {
    const char *k = limit_keys[i].key;
    if (strlen(k) != klen || strncmp(k, pair, klen) != 0) continue;
    int rc = limit_keys[i].dec ? ctl_check_decimal(k, eq + 1, err, errlen)
                               : ctl_check_uint(k, eq + 1, err, errlen);
    if (rc != 0) return rc;
    if (json_object_set_new(obj, k, json_string(eq + 1)) != 0)
      return fail(err, errlen, "out of memory");
    return 0;
  }
  return fail(err, errlen, "\"%.*s\" is not a limit (see docs/config.md: max_order_qty, ...)",
              (int)klen, pair);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
  return s;
}

int ctl_conf_read(const char *path, ctl_conf_t *conf, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    if (errno == ENOENT) return 1;
    return fail(err, errlen, "%s: %s", path, strerror(errno));
  }
  char line[1024];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    char *s = trim(line);
    if (*s == '\0' || *s == '#') continue;
    char *eq = strchr(s, '=');
    if (eq == NULL) {
      rc = fail(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
      break;
    }
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    size_t vlen = strlen(val);
    if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
      val[vlen - 1] = '\0';
      val++;
    }
    char **slot = strcmp(key, "url") == 0        ? &conf->url
                  : strcmp(key, "token") == 0    ? &conf->token
                  : strcmp(key, "cacert") == 0   ? &conf->cacert
                  : strcmp(key, "insecure") == 0 ? &conf->insecure
                                                 : NULL;
    if (slot == NULL) {
      rc = fail(err, errlen, "%s:%d: unknown key \"%s\" (url, token, cacert, insecure)", path,
                lineno, key);
    } else if (*slot == NULL && (*slot = strdup(val)) == NULL) {
      rc = fail(err, errlen, "out of memory");
    }
  }
  if (rc == 0 && ferror(f)) rc = fail(err, errlen, "%s: %s", path, strerror(errno));
  fclose(f);
  return rc;
}

void ctl_conf_clear(ctl_conf_t *conf) {
  free(conf->url);
  free(conf->token);
  free(conf->cacert);
  free(conf->insecure);
  memset(conf, 0, sizeof *conf);
}
