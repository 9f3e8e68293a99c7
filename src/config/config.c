/*
 * config.c - loads the daemon's configuration file with libconfig and
 * checks every setting into an oms_config_t.
 *
 * HOW IT WORKS
 * libconfig parses the file into a tree of settings, each knowing the line
 * it came from (config_setting_source_line). This file walks the tree
 * section by section; every reader takes the setting's parent group and a
 * key, and on a problem writes "FILE:LINE: path.to.key: what is wrong" into
 * the loader's error buffer and returns OMS_ECONFIG. The first error stops
 * the load. Every group is also checked for keys this file does not know.
 *
 * Decimals must be strings (a float in the file is refused with a hint), so
 * that "0.1" is exactly 0.1. Durations are integers with their unit in the
 * key name (_us, _ms, _s). libconfig 1.5 silently wraps an integer literal
 * that does not fit 32 bits (4294967296 reads as 0), so every integer is
 * also checked against its literal in the file's text.
 *
 * Two tables drive the repetitive parts: OMS_RISK_LIMIT_FIELDS (oms/risk.h)
 * gives every risk-limit key, and OMS_CFG_CAPACITIES (config.h) every
 * capacity; tests/unit/config checks both against docs/config.md.
 */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "oms/error.h"

#define MS INT64_C(1000000)
#define US INT64_C(1000)

typedef struct loader_s {
  oms_config_t *c;
  const char *file;
  const char *text; /* the whole file, for the integer literals */
  char *err;
  size_t errcap;
} loader_t;

/* ---- Error reporting -------------------------------------------------------- */

/* Writes the dotted path of s ("risk.accounts[0].max_order_qty") into buf. */
static void setting_path(const config_setting_t *s, char *buf, size_t cap) {
  const config_setting_t *chain[16];
  size_t n = 0;
  for (const config_setting_t *p = s; p != NULL && !config_setting_is_root(p) && n < 16;
       p = config_setting_parent(p))
    chain[n++] = p;
  size_t len = 0;
  buf[0] = '\0';
  while (n > 0 && len < cap) {
    const config_setting_t *p = chain[--n];
    const char *name = config_setting_name(p);
    int w;
    if (name != NULL)
      w = snprintf(buf + len, cap - len, "%s%s", len > 0 ? "." : "", name);
    else
      w = snprintf(buf + len, cap - len, "[%d]", config_setting_index(p));
    if (w < 0) break;
    len += (size_t)w;
  }
}

/* Reports a problem with setting s (or, with s NULL, with key under parent). */
static int fail(loader_t *L, const config_setting_t *parent, const config_setting_t *s,
                const char *key, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(loader_t *L, const config_setting_t *parent, const config_setting_t *s,
                const char *key, const char *fmt, ...) {
  char path[256], what[256];
  const config_setting_t *at = s != NULL ? s : parent;
  int line = at != NULL ? (int)config_setting_source_line(at) : 0;
  if (at != NULL)
    setting_path(at, path, sizeof path);
  else
    path[0] = '\0';
  if (s == NULL && key != NULL) {
    size_t l = strlen(path);
    snprintf(path + l, sizeof path - l, "%s%s", l > 0 ? "." : "", key);
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (L->err != NULL && L->errcap > 0)
    snprintf(L->err, L->errcap, "%s:%d: %s: %s", L->file, line, path[0] ? path : "(top)", what);
  return OMS_ECONFIG;
}

/* Refuses keys of group g not in the NULL-terminated list. */
static int only_keys(loader_t *L, const config_setting_t *g, const char *const *keys) {
  int n = config_setting_length(g);
  for (int i = 0; i < n; i++) {
    const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
    const char *name = config_setting_name(s);
    bool known = false;
    for (const char *const *k = keys; *k != NULL && name != NULL; k++)
      if (strcmp(*k, name) == 0) known = true;
    if (!known) return fail(L, g, s, NULL, "unknown setting");
  }
  return 0;
}

/* ---- Typed readers ---------------------------------------------------------------
 * Each returns 0 (value set, or left as is when optional and absent) or
 * OMS_ECONFIG with the error written. */

static int get_str(loader_t *L, const config_setting_t *g, const char *key, bool required,
                   char *out, size_t cap) {
  const config_setting_t *s = config_setting_get_member(g, key);
  if (s == NULL) return required ? fail(L, g, NULL, key, "missing") : 0;
  if (config_setting_type(s) != CONFIG_TYPE_STRING)
    return fail(L, g, s, NULL, "must be a string in double quotes");
  const char *v = config_setting_get_string(s);
  if (v[0] == '\0') return fail(L, g, s, NULL, "must not be empty");
  if (strlen(v) >= cap) return fail(L, g, s, NULL, "longer than %zu characters", cap - 1);
  memcpy(out, v, strlen(v) + 1);
  return 0;
}

static int get_id(loader_t *L, const config_setting_t *g, const char *key, bool required, char *out,
                  size_t cap) {
  int rc = get_str(L, g, key, required, out, cap);
  if (rc != 0 || out[0] == '\0') return rc;
  if (!oms_id_valid(out, cap - 1))
    return fail(L, g, config_setting_get_member(g, key), NULL,
                "\"%s\" is not a valid identifier (letters, digits and ._:@/-)", out);
  return 0;
}

/* Whether the integer libconfig read for s is the literal written in the
 * file (false when it wrapped; lit then holds the literal as written). The
 * literal is found after "key =" or "key:" on the setting's line; when it
 * cannot be found the value is trusted. */
static bool literal_matches(const loader_t *L, const config_setting_t *s, long long v, char *lit,
                            size_t litcap) {
  const char *name = config_setting_name(s);
  unsigned line = config_setting_source_line(s);
  if (L->text == NULL || name == NULL || line == 0) return true;
  const char *p = L->text;
  for (unsigned i = 1; i < line && p != NULL; i++) {
    p = strchr(p, '\n');
    if (p != NULL) p++;
  }
  if (p == NULL) return true;
  const char *eol = strchr(p, '\n');
  size_t nlen = strlen(name);
  for (const char *k = p; (k = strstr(k, name)) != NULL && (eol == NULL || k < eol); k += nlen) {
    bool word_start = k == p || !(k[-1] == '_' || (k[-1] >= 'a' && k[-1] <= 'z') ||
                                  (k[-1] >= 'A' && k[-1] <= 'Z') || (k[-1] >= '0' && k[-1] <= '9'));
    const char *q = k + nlen;
    while (*q == ' ' || *q == '\t') q++;
    if (!word_start || (*q != '=' && *q != ':')) continue;
    q++;
    while (*q == ' ' || *q == '\t') q++;
    size_t n = 0;
    while (n + 1 < litcap && (q[n] == '-' || q[n] == '+' || q[n] == 'x' || q[n] == 'X' ||
                              (q[n] >= '0' && q[n] <= '9') || (q[n] >= 'a' && q[n] <= 'f') ||
                              (q[n] >= 'A' && q[n] <= 'F')))
      n++;
    memcpy(lit, q, n);
    lit[n] = '\0';
    if (n == 0) return true;
    errno = 0;
    char *end;
    long long w = strtoll(lit, &end, 0);
    return errno != ERANGE && w == v;
  }
  return true;
}

static int get_dec(loader_t *L, const config_setting_t *g, const char *key, bool required,
                   oms_dec_t *out, bool *present) {
  const config_setting_t *s = config_setting_get_member(g, key);
  if (present != NULL) *present = s != NULL;
  if (s == NULL) return required ? fail(L, g, NULL, key, "missing") : 0;
  int t = config_setting_type(s);
  if (t == CONFIG_TYPE_FLOAT)
    return fail(L, g, s, NULL, "decimals must be strings, e.g. \"0.01\" (floats are inexact)");
  if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
    long long v = config_setting_get_int64(s);
    char lit[32];
    if (!literal_matches(L, s, v, lit, sizeof lit))
      return fail(L, g, s, NULL, "%s is out of range", lit);
    if (oms_dec_from_int(v, out) != 0) return fail(L, g, s, NULL, "%lld is out of range", v);
    return 0;
  }
  if (t != CONFIG_TYPE_STRING) return fail(L, g, s, NULL, "must be a decimal string");
  const char *v = config_setting_get_string(s);
  int rc = oms_dec_parse(v, strlen(v), out);
  if (rc == OMS_EPRECISION) return fail(L, g, s, NULL, "\"%s\" has more than 8 decimal places", v);
  if (rc == OMS_EOVERFLOW) return fail(L, g, s, NULL, "\"%s\" is out of range", v);
  if (rc != 0) return fail(L, g, s, NULL, "\"%s\" is not a decimal", v);
  return 0;
}

static int get_pos_dec(loader_t *L, const config_setting_t *g, const char *key, bool required,
                       bool allow_zero, oms_dec_t *out, bool *present) {
  int rc = get_dec(L, g, key, required, out, present);
  if (rc != 0) return rc;
  const config_setting_t *s = config_setting_get_member(g, key);
  if (s != NULL && (oms_dec_is_neg(*out) || (!allow_zero && oms_dec_is_zero(*out))))
    return fail(L, g, s, NULL, "must be %s", allow_zero ? "zero or positive" : "positive");
  return 0;
}

static int get_int(loader_t *L, const config_setting_t *g, const char *key, bool required,
                   long long lo, long long hi, long long *out, bool *present) {
  const config_setting_t *s = config_setting_get_member(g, key);
  if (present != NULL) *present = s != NULL;
  if (s == NULL) return required ? fail(L, g, NULL, key, "missing") : 0;
  int t = config_setting_type(s);
  if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
    return fail(L, g, s, NULL, "must be an integer");
  long long v = config_setting_get_int64(s);
  char lit[32];
  if (!literal_matches(L, s, v, lit, sizeof lit))
    return fail(L, g, s, NULL, "%s is not in %lld..%lld", lit, lo, hi);
  if (v < lo || v > hi) return fail(L, g, s, NULL, "%lld is not in %lld..%lld", v, lo, hi);
  *out = v;
  return 0;
}

static int get_bool(loader_t *L, const config_setting_t *g, const char *key, bool *out) {
  const config_setting_t *s = config_setting_get_member(g, key);
  if (s == NULL) return 0;
  if (config_setting_type(s) != CONFIG_TYPE_BOOL)
    return fail(L, g, s, NULL, "must be true or false");
  *out = config_setting_get_bool(s) != 0;
  return 0;
}

/* A group or list member: required or optional (then *out may be NULL). */
static int get_node(loader_t *L, const config_setting_t *g, const char *key, int type,
                    bool required, config_setting_t **out) {
  config_setting_t *s = config_setting_get_member(g, key);
  *out = NULL;
  if (s == NULL) return required ? fail(L, g, NULL, key, "missing") : 0;
  int t = config_setting_type(s);
  if (type == CONFIG_TYPE_LIST ? (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY) : t != type)
    return fail(L, g, s, NULL, "must be a %s",
                type == CONFIG_TYPE_GROUP ? "group { ... }" : "list ( ... ) or [ ... ]");
  *out = s;
  return 0;
}

/* Element i of list l, which must be a group. */
static int list_group(loader_t *L, config_setting_t *l, int i, config_setting_t **out) {
  *out = config_setting_get_elem(l, (unsigned)i);
  if (config_setting_type(*out) != CONFIG_TYPE_GROUP)
    return fail(L, l, *out, NULL, "each entry must be a group { ... }");
  return 0;
}

#define TRY(expr)             \
  do {                        \
    int rc_ = (expr);         \
    if (rc_ != 0) return rc_; \
  } while (0)

/* ---- Sections ------------------------------------------------------------------- */

static int load_fix(loader_t *L, config_setting_t *root) {
  oms_config_t *c = L->c;
  config_setting_t *fix, *sessions;
  TRY(get_node(L, root, "fix", CONFIG_TYPE_GROUP, true, &fix));
  static const char *const keys[] = {"address", "port", "sessions", NULL};
  TRY(only_keys(L, fix, keys));
  snprintf(c->fix_address, sizeof c->fix_address, "127.0.0.1");
  TRY(get_str(L, fix, "address", false, c->fix_address, sizeof c->fix_address));
  struct in_addr addr;
  if (inet_pton(AF_INET, c->fix_address, &addr) != 1)
    return fail(L, fix, config_setting_get_member(fix, "address"), NULL,
                "\"%s\" is not a dotted IPv4 address (e.g. \"127.0.0.1\"; names are not looked up)",
                c->fix_address);
  long long port = 9878;
  TRY(get_int(L, fix, "port", false, 0, 65535, &port, NULL));
  c->fix_port = (int)port;
  TRY(get_node(L, fix, "sessions", CONFIG_TYPE_LIST, true, &sessions));
  int n = config_setting_length(sessions);
  if (n == 0) return fail(L, fix, sessions, NULL, "at least one session is needed");
  if (n > OMS_CFG_MAX_SESSIONS)
    return fail(L, fix, sessions, NULL, "more than %d sessions", OMS_CFG_MAX_SESSIONS);
  static const char *const skeys[] = {"sender_comp_id",
                                      "target_comp_id",
                                      "password",
                                      "account",
                                      "heartbeat",
                                      "cancel_on_disconnect",
                                      "sending_time_tolerance",
                                      "validate",
                                      "validate_enums",
                                      "validate_order",
                                      "allow_user_tags",
                                      NULL};
  for (int i = 0; i < n; i++) {
    config_setting_t *g;
    TRY(list_group(L, sessions, i, &g));
    TRY(only_keys(L, g, skeys));
    oms_cfg_session_t *s = &c->sessions[i];
    TRY(get_id(L, g, "sender_comp_id", true, s->sender_comp_id, sizeof s->sender_comp_id));
    TRY(get_id(L, g, "target_comp_id", true, s->target_comp_id, sizeof s->target_comp_id));
    TRY(get_str(L, g, "password", false, s->password, sizeof s->password));
    TRY(get_id(L, g, "account", true, s->account, sizeof s->account));
    long long hb = 60;
    TRY(get_int(L, g, "heartbeat", false, 1, 300, &hb, NULL));
    s->heartbeat_s = (int)hb;
    long long tol = 120;
    TRY(get_int(L, g, "sending_time_tolerance", false, 0, 86400, &tol, NULL));
    s->sending_time_tolerance_s = tol;
    s->cancel_on_disconnect = true;
    TRY(get_bool(L, g, "cancel_on_disconnect", &s->cancel_on_disconnect));
    s->validate = s->validate_enums = s->validate_order = true;
    s->allow_user_tags = false;
    TRY(get_bool(L, g, "validate", &s->validate));
    TRY(get_bool(L, g, "validate_enums", &s->validate_enums));
    TRY(get_bool(L, g, "validate_order", &s->validate_order));
    TRY(get_bool(L, g, "allow_user_tags", &s->allow_user_tags));
    for (int j = 0; j < i; j++)
      if (strcmp(c->sessions[j].sender_comp_id, s->sender_comp_id) == 0)
        return fail(L, g, config_setting_get_member(g, "sender_comp_id"), NULL,
                    "\"%s\" is already used by sessions[%d]", s->sender_comp_id, j);
    c->nsessions++;
  }
  return 0;
}

static int find_account(const oms_config_t *c, const char *id) {
  for (size_t i = 0; i < c->naccounts; i++)
    if (strcmp(c->accounts[i].id, id) == 0) return (int)i;
  return -1;
}

static int find_instrument(const oms_config_t *c, const char *symbol) {
  for (size_t i = 0; i < c->ninstruments; i++)
    if (strcmp(c->instruments[i].ins.symbol, symbol) == 0) return (int)i;
  return -1;
}

static int load_accounts(loader_t *L, config_setting_t *root) {
  oms_config_t *c = L->c;
  config_setting_t *l;
  TRY(get_node(L, root, "accounts", CONFIG_TYPE_LIST, true, &l));
  int n = config_setting_length(l);
  if (n > OMS_CFG_MAX_ACCOUNTS)
    return fail(L, root, l, NULL, "more than %d accounts", OMS_CFG_MAX_ACCOUNTS);
  static const char *const keys[] = {"id", "cash", NULL};
  for (int i = 0; i < n; i++) {
    config_setting_t *g;
    TRY(list_group(L, l, i, &g));
    TRY(only_keys(L, g, keys));
    oms_cfg_account_t *a = &c->accounts[i];
    TRY(get_id(L, g, "id", true, a->id, sizeof a->id));
    TRY(get_pos_dec(L, g, "cash", true, true, &a->cash, NULL));
    if (find_account(c, a->id) >= 0)
      return fail(L, g, config_setting_get_member(g, "id"), NULL, "account \"%s\" defined twice",
                  a->id);
    c->naccounts++;
  }
  /* Every session trades for a configured account. */
  config_setting_t *fix = config_setting_get_member(root, "fix");
  config_setting_t *sessions = config_setting_get_member(fix, "sessions");
  for (size_t i = 0; i < c->nsessions; i++)
    if (find_account(c, c->sessions[i].account) < 0) {
      config_setting_t *g = config_setting_get_elem(sessions, (unsigned)i);
      return fail(L, g, config_setting_get_member(g, "account"), NULL,
                  "account \"%s\" is not in accounts", c->sessions[i].account);
    }
  return 0;
}

static int load_strategies(loader_t *L, config_setting_t *root) {
  oms_config_t *c = L->c;
  config_setting_t *l;
  TRY(get_node(L, root, "strategies", CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  int n = config_setting_length(l);
  if (n > OMS_CFG_MAX_STRATEGIES)
    return fail(L, root, l, NULL, "more than %d strategies", OMS_CFG_MAX_STRATEGIES);
  static const char *const keys[] = {"id", "account", NULL};
  for (int i = 0; i < n; i++) {
    config_setting_t *g;
    TRY(list_group(L, l, i, &g));
    TRY(only_keys(L, g, keys));
    oms_cfg_strategy_t *s = &c->strategies[i];
    TRY(get_id(L, g, "id", true, s->id, sizeof s->id));
    TRY(get_id(L, g, "account", false, s->account, sizeof s->account));
    if (s->account[0] != '\0' && find_account(c, s->account) < 0)
      return fail(L, g, config_setting_get_member(g, "account"), NULL,
                  "account \"%s\" is not in accounts", s->account);
    c->nstrategies++;
  }
  return 0;
}

/* also_on = [ "B", "C" ]: more venues that list the instrument (checked
 * against venues once they are read). */
static int load_also_on(loader_t *L, config_setting_t *g, oms_cfg_instrument_t *ci) {
  config_setting_t *a = config_setting_get_member(g, "also_on");
  if (a == NULL) return 0;
  if (!config_setting_is_array(a))
    return fail(L, g, a, NULL, "must be a list of venue names, e.g. [ \"B\", \"C\" ]");
  int n = config_setting_length(a);
  if (n > OMS_CFG_MAX_VENUES - 1)
    return fail(L, g, a, NULL, "more than %d venues", OMS_CFG_MAX_VENUES - 1);
  for (int k = 0; k < n; k++) {
    const char *v = config_setting_get_string_elem(a, k);
    if (v == NULL || !oms_id_valid(v, OMS_VENUE_MAX))
      return fail(L, g, a, NULL, "element %d is not a venue name", k);
    if (strcmp(v, ci->ins.venue) == 0)
      return fail(L, g, a, NULL, "\"%s\" is the instrument's own venue", v);
    for (size_t j = 0; j < ci->nalso; j++)
      if (strcmp(ci->also_on[j], v) == 0) return fail(L, g, a, NULL, "\"%s\" listed twice", v);
    snprintf(ci->also_on[ci->nalso++], OMS_VENUE_MAX + 1, "%s", v);
  }
  return 0;
}

static int load_instruments(loader_t *L, config_setting_t *root) {
  oms_config_t *c = L->c;
  config_setting_t *l;
  TRY(get_node(L, root, "instruments", CONFIG_TYPE_LIST, true, &l));
  int n = config_setting_length(l);
  if (n == 0) return fail(L, root, l, NULL, "at least one instrument is needed");
  if (n > OMS_CFG_MAX_INSTRUMENTS)
    return fail(L, root, l, NULL, "more than %d instruments", OMS_CFG_MAX_INSTRUMENTS);
  static const char *const keys[] = {"symbol",        "venue",      "tick",
                                     "lot",           "min_qty",    "max_qty",
                                     "min_notional",  "multiplier", "price_precision",
                                     "qty_precision", "also_on",    NULL};
  for (int i = 0; i < n; i++) {
    config_setting_t *g;
    TRY(list_group(L, l, i, &g));
    TRY(only_keys(L, g, keys));
    oms_instrument_t *ins = &c->instruments[i].ins;
    TRY(get_id(L, g, "symbol", true, ins->symbol, sizeof ins->symbol));
    TRY(get_id(L, g, "venue", true, ins->venue, sizeof ins->venue));
    TRY(get_pos_dec(L, g, "tick", true, false, &ins->tick_size, NULL));
    TRY(get_pos_dec(L, g, "lot", true, false, &ins->lot_size, NULL));
    TRY(get_pos_dec(L, g, "min_qty", false, true, &ins->min_qty, NULL));
    TRY(get_pos_dec(L, g, "max_qty", false, true, &ins->max_qty, NULL));
    TRY(get_pos_dec(L, g, "min_notional", false, true, &ins->min_notional, NULL));
    TRY(get_pos_dec(L, g, "multiplier", false, true, &ins->multiplier, NULL));
    long long pp = oms_dec_places(ins->tick_size), qp = oms_dec_places(ins->lot_size);
    TRY(get_int(L, g, "price_precision", false, 0, 8, &pp, NULL));
    TRY(get_int(L, g, "qty_precision", false, 0, 8, &qp, NULL));
    ins->price_precision = (uint8_t)pp;
    ins->qty_precision = (uint8_t)qp;
    if (find_instrument(c, ins->symbol) >= 0)
      return fail(L, g, config_setting_get_member(g, "symbol"), NULL,
                  "instrument \"%s\" defined twice", ins->symbol);
    oms_reject_t r;
    if (oms_instrument_check(ins, &r) != 0) return fail(L, l, g, NULL, "%s", r.text);
    TRY(load_also_on(L, g, &c->instruments[i]));
    c->ninstruments++;
  }
  return 0;
}

static int load_lp(loader_t *L, const oms_cfg_venue_t *v, config_setting_t *l) {
  oms_config_t *c = L->c;
  static const char *const keys[] = {"symbol", "ref_px",  "spread_ticks", "spread_bps", "levels",
                                     "size",   "step_ms", "walk_ticks",   "enabled",    "refill_ms",
                                     NULL};
  int n = config_setting_length(l);
  for (int i = 0; i < n; i++) {
    config_setting_t *g;
    TRY(list_group(L, l, i, &g));
    TRY(only_keys(L, g, keys));
    char sym[OMS_SYMBOL_MAX + 1] = "";
    TRY(get_id(L, g, "symbol", true, sym, sizeof sym));
    int k = find_instrument(c, sym);
    oms_sim_lp_t *lp = NULL;
    if (k >= 0 && strcmp(c->instruments[k].ins.venue, v->name) == 0) lp = &c->instruments[k].lp;
    for (size_t j = 0; k >= 0 && lp == NULL && j < c->instruments[k].nalso; j++)
      if (strcmp(c->instruments[k].also_on[j], v->name) == 0) lp = &c->instruments[k].also_lp[j];
    if (lp == NULL)
      return fail(L, g, config_setting_get_member(g, "symbol"), NULL,
                  "\"%s\" is not an instrument of venue %s", sym, v->name);
    if (lp->enabled)
      return fail(L, g, config_setting_get_member(g, "symbol"), NULL,
                  "a second liquidity provider for \"%s\"", sym);
    lp->enabled = true;
    TRY(get_bool(L, g, "enabled", &lp->enabled));
    long long st = 1, bps = 0, lv = 5, step = 0, walk = 1, refill = 0;
    TRY(get_pos_dec(L, g, "ref_px", true, false, &lp->ref_px, NULL));
    TRY(get_pos_dec(L, g, "size", true, false, &lp->size, NULL));
    TRY(get_int(L, g, "spread_ticks", false, 1, 1000000, &st, NULL));
    TRY(get_int(L, g, "spread_bps", false, 0, 10000, &bps, NULL));
    TRY(get_int(L, g, "levels", false, 1, OMS_SIM_LP_MAX_LEVELS, &lv, NULL));
    TRY(get_int(L, g, "step_ms", false, 0, 86400000, &step, NULL));
    TRY(get_int(L, g, "walk_ticks", false, 1, 1000000, &walk, NULL));
    TRY(get_int(L, g, "refill_ms", false, 0, 86400000, &refill, NULL));
    lp->spread_ticks = (uint32_t)st;
    lp->spread_bps = (uint32_t)bps;
    lp->levels = (uint32_t)lv;
    lp->step_ns = step * MS;
    lp->walk_ticks = (uint32_t)walk;
    lp->refill_ns = refill * MS;
    if (!oms_dec_is_multiple(lp->size, c->instruments[k].ins.lot_size))
      return fail(L, g, config_setting_get_member(g, "size"), NULL,
                  "must be a multiple of the lot of %s", sym);
    if (!oms_dec_is_multiple(lp->ref_px, c->instruments[k].ins.tick_size))
      return fail(L, g, config_setting_get_member(g, "ref_px"), NULL,
                  "must be a multiple of the tick of %s", sym);
  }
  return 0;
}

/* ---- FIX venues (type = "fix"; docs/venues.md) ------------------------------------------ */

static int parse_hhmm(const char *s, int *out);

static const char *const fix_venue_keys[] = {"name",
                                             "type",
                                             "rate_limit",
                                             "burst",
                                             "queue",
                                             "host",
                                             "port",
                                             "sender_comp_id",
                                             "target_comp_id",
                                             "username",
                                             "password",
                                             "heartbeat_s",
                                             "reset_on_logon",
                                             "schedule",
                                             "reconnect_min_ms",
                                             "reconnect_max_ms",
                                             "account",
                                             "ex_destination",
                                             "symbols",
                                             "tags",
                                             "ord_types",
                                             "tifs",
                                             "exec_insts",
                                             "mass_status",
                                             "market_data",
                                             "md_updates",
                                             "ack_timeout_ms",
                                             "unknown_retries",
                                             "refuse_until_reconciled",
                                             "native",
                                             "emulate",
                                             "smart",
                                             "latency_us",
                                             "stale_ms",
                                             "maker_fee",
                                             "taker_fee",
                                             "hold_stops",
                                             NULL};

/* A list of names ["LIMIT", "MARKET"] as bits 1u << index in names[]. */
static int get_name_bits(loader_t *L, config_setting_t *g, const char *key,
                         const char *const *names, size_t nnames, uint32_t *out) {
  config_setting_t *l;
  TRY(get_node(L, g, key, CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  *out = 0;
  for (int i = 0; i < config_setting_length(l); i++) {
    config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
    const char *name =
        config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : "";
    size_t k = 0;
    while (k < nnames && (names[k] == NULL || strcmp(names[k], name) != 0)) k++;
    if (k == nnames) {
      char list[160] = "";
      for (size_t j = 0; j < nnames; j++)
        if (names[j] != NULL)
          snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                   names[j]);
      return fail(L, l, e, NULL, "\"%s\" is not one of %s", name, list);
    }
    *out |= 1u << k;
  }
  if (*out == 0) return fail(L, g, l, NULL, "must not be empty");
  return 0;
}

/* The venue's capabilities (docs/config.md): `native`, the types it works
 * itself, and `emulate`, those the OMS may emulate for it (default: all;
 * [] for none), in the vocabulary of OMS_VENUE_CAP_MAP. */
static int load_caps(loader_t *L, config_setting_t *g, oms_cfg_venue_t *v) {
  static const char *const names[] = {
#define XX(name, bit, cfg) cfg,
      OMS_VENUE_CAP_MAP(XX)
#undef XX
  };
  const size_t n = sizeof names / sizeof names[0];
  config_setting_t *l;
  v->native = 0;
  TRY(get_node(L, g, "native", CONFIG_TYPE_LIST, false, &l));
  if (l != NULL && config_setting_length(l) > 0)
    TRY(get_name_bits(L, g, "native", names, n, &v->native));
  uint32_t emulate = (1u << n) - 1;
  TRY(get_node(L, g, "emulate", CONFIG_TYPE_LIST, false, &l));
  if (l != NULL) {
    emulate = 0;
    if (config_setting_length(l) > 0) TRY(get_name_bits(L, g, "emulate", names, n, &emulate));
  }
  v->no_emulate = ((1u << n) - 1) & ~emulate & ~v->native;
  if (v->is_fix && (v->native & OMS_VENUE_CAP_LIT))
    return fail(L, g, config_setting_get_member(g, "native"), NULL,
                "\"lit\": FIX 4.4 has no limit-if-touched order type");
  return 0;
}

static int load_fix_schedule(loader_t *L, config_setting_t *g, oms_cfg_fix_venue_t *f) {
  config_setting_t *sg, *days;
  TRY(get_node(L, g, "schedule", CONFIG_TYPE_GROUP, false, &sg));
  if (sg == NULL) return 0;
  static const char *const keys[] = {"days", "start", "end", NULL};
  static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  TRY(only_keys(L, sg, keys));
  char start[8] = "00:00", end[8] = "00:00";
  TRY(get_str(L, sg, "start", false, start, sizeof start));
  TRY(get_str(L, sg, "end", false, end, sizeof end));
  int sm, em;
  if (parse_hhmm(start, &sm) != 0 || sm >= 1440)
    return fail(L, sg, config_setting_get_member(sg, "start"), NULL, "\"%s\" is not HH:MM", start);
  if (parse_hhmm(end, &em) != 0 || em >= 1440)
    return fail(L, sg, config_setting_get_member(sg, "end"), NULL, "\"%s\" is not HH:MM", end);
  f->start_s = sm * 60;
  f->end_s = em * 60;
  uint32_t bits = 0;
  TRY(get_node(L, sg, "days", CONFIG_TYPE_LIST, false, &days));
  if (days != NULL) TRY(get_name_bits(L, sg, "days", day_names, 7, &bits));
  f->days = (uint8_t)bits;
  return 0;
}

static int load_fix_venue(loader_t *L, config_setting_t *g, oms_cfg_fix_venue_t *f) {
  TRY(get_str(L, g, "host", true, f->host, sizeof f->host));
  struct in_addr a;
  if (inet_pton(AF_INET, f->host, &a) != 1)
    return fail(L, g, config_setting_get_member(g, "host"), NULL,
                "\"%s\" is not a dotted IPv4 address", f->host);
  long long port = 0, hb = 30, rmin = 1000, rmax = 30000;
  TRY(get_int(L, g, "port", true, 1, 65535, &port, NULL));
  f->port = (int)port;
  TRY(get_id(L, g, "sender_comp_id", true, f->sender_comp_id, sizeof f->sender_comp_id));
  TRY(get_id(L, g, "target_comp_id", true, f->target_comp_id, sizeof f->target_comp_id));
  TRY(get_str(L, g, "username", false, f->username, sizeof f->username));
  TRY(get_str(L, g, "password", false, f->password, sizeof f->password));
  TRY(get_int(L, g, "heartbeat_s", false, 1, 3600, &hb, NULL));
  f->heartbeat_s = (int)hb;
  TRY(get_bool(L, g, "reset_on_logon", &f->reset_on_logon));
  TRY(get_int(L, g, "reconnect_min_ms", false, 10, 3600000, &rmin, NULL));
  TRY(get_int(L, g, "reconnect_max_ms", false, 10, 3600000, &rmax, NULL));
  if (rmax < rmin)
    return fail(L, g, config_setting_get_member(g, "reconnect_max_ms"), NULL,
                "must be at least reconnect_min_ms (%lld)", rmin);
  f->reconnect_min_ns = rmin * MS;
  f->reconnect_max_ns = rmax * MS;
  TRY(load_fix_schedule(L, g, f));
  TRY(get_id(L, g, "account", false, f->account, sizeof f->account));
  TRY(get_id(L, g, "ex_destination", false, f->ex_destination, sizeof f->ex_destination));
  config_setting_t *l;
  TRY(get_node(L, g, "symbols", CONFIG_TYPE_LIST, false, &l));
  for (int i = 0; l != NULL && i < config_setting_length(l); i++) {
    config_setting_t *e;
    static const char *const keys[] = {"oms", "venue", NULL};
    if ((size_t)i >= OMS_CFG_MAX_INSTRUMENTS)
      return fail(L, g, l, NULL, "more than %d symbols", OMS_CFG_MAX_INSTRUMENTS);
    TRY(list_group(L, l, i, &e));
    TRY(only_keys(L, e, keys));
    TRY(get_id(L, e, "oms", true, f->symbols[i][0], sizeof f->symbols[i][0]));
    TRY(get_id(L, e, "venue", true, f->symbols[i][1], sizeof f->symbols[i][1]));
    f->nsymbols++;
  }
  TRY(get_node(L, g, "tags", CONFIG_TYPE_LIST, false, &l));
  for (int i = 0; l != NULL && i < config_setting_length(l); i++) {
    config_setting_t *e;
    static const char *const keys[] = {"tag", "value", NULL};
    if (i >= OMS_CFG_FIX_VENUE_TAGS)
      return fail(L, g, l, NULL, "more than %d tags", OMS_CFG_FIX_VENUE_TAGS);
    TRY(list_group(L, l, i, &e));
    TRY(only_keys(L, e, keys));
    long long tag = 0;
    /* A body tag of the venue's dialect; the header is the session's. */
    TRY(get_int(L, e, "tag", true, 1, 9999, &tag, NULL));
    TRY(get_id(L, e, "value", true, f->tag_values[i], sizeof f->tag_values[i]));
    f->tags[i] = (uint32_t)tag;
    f->ntags++;
  }
  static const char *const types[] = {NULL, "MARKET", "LIMIT", "STOP", "STOP_LIMIT"};
  static const char *const tifs[] = {NULL, "GTC", "IOC", "FOK", "DAY", "GTD"};
  static const char *const insts[] = {"POST_ONLY", "REDUCE_ONLY"};
  TRY(get_name_bits(L, g, "ord_types", types, 5, &f->ord_types));
  TRY(get_name_bits(L, g, "tifs", tifs, 6, &f->tifs));
  uint32_t ib = 0;
  TRY(get_name_bits(L, g, "exec_insts", insts, 2, &ib));
  f->exec_insts = (ib & 1u ? OMS_INST_POST_ONLY : 0) | (ib & 2u ? OMS_INST_REDUCE_ONLY : 0);
  f->mass_status = true;
  TRY(get_bool(L, g, "mass_status", &f->mass_status));
  TRY(get_bool(L, g, "market_data", &f->market_data));
  /* How the venue's book comes (docs/venues.md, "Market data"). */
  char upd[16] = "full";
  TRY(get_str(L, g, "md_updates", false, upd, sizeof upd));
  config_setting_t *u = config_setting_get_member(g, "md_updates");
  if (strcmp(upd, "full") != 0 && strcmp(upd, "incremental") != 0)
    return fail(L, g, u, NULL, "\"%s\" is not a market data update type (full, incremental)", upd);
  f->md_incremental = strcmp(upd, "incremental") == 0;
  if (f->md_incremental && !f->market_data)
    return fail(L, g, u, NULL, "md_updates = \"incremental\" needs market_data = true");
  return 0;
}

static int load_venues(loader_t *L, config_setting_t *root) {
  oms_config_t *c = L->c;
  config_setting_t *l;
  TRY(get_node(L, root, "venues", CONFIG_TYPE_LIST, true, &l));
  int n = config_setting_length(l);
  if (n == 0) return fail(L, root, l, NULL, "at least one venue is needed");
  if (n > OMS_CFG_MAX_VENUES)
    return fail(L, root, l, NULL, "more than %d venues", OMS_CFG_MAX_VENUES);
  static const char *const keys[] = {
      "name",       "type",      "ack_latency_us", "fill_latency_us", "maker_fee",
      "taker_fee",  "seed",      "rate_limit",     "burst",           "queue",
      "liquidity",  "keep_book", "ack_timeout_ms", "unknown_retries", "refuse_until_reconciled",
      "native",     "emulate",   "smart",          "latency_us",      "stale_ms",
      "hold_stops", NULL};
  for (int i = 0; i < n; i++) {
    config_setting_t *g;
    TRY(list_group(L, l, i, &g));
    oms_cfg_venue_t *v = &c->venues[i];
    TRY(get_id(L, g, "name", true, v->name, sizeof v->name));
    char type[16] = "sim";
    TRY(get_str(L, g, "type", false, type, sizeof type));
    if (strcmp(type, "sim") != 0 && strcmp(type, "fix") != 0)
      return fail(L, g, config_setting_get_member(g, "type"), NULL,
                  "\"%s\" is not a venue type this build has (sim, fix)", type);
    v->is_fix = strcmp(type, "fix") == 0;
    TRY(only_keys(L, g, v->is_fix ? fix_venue_keys : keys));
    for (int j = 0; j < i; j++)
      if (strcmp(c->venues[j].name, v->name) == 0)
        return fail(L, g, config_setting_get_member(g, "name"), NULL, "venue \"%s\" defined twice",
                    v->name);
    long long ack = 0, fill = 0, seed = 1, rate = 0, burst = 0, queue = 0;
    TRY(get_int(L, g, "ack_latency_us", false, 0, 60000000, &ack, NULL));
    TRY(get_int(L, g, "fill_latency_us", false, 0, 60000000, &fill, NULL));
    TRY(get_int(L, g, "seed", false, 0, INT64_MAX, &seed, NULL));
    TRY(get_int(L, g, "rate_limit", false, 0, 10000000, &rate, NULL));
    TRY(get_int(L, g, "burst", false, 0, 10000000, &burst, NULL));
    TRY(get_int(L, g, "queue", false, 0, 1000000, &queue, NULL));
    v->ack_latency_ns = ack * US;
    v->fill_latency_ns = fill * US;
    v->seed = (uint64_t)seed;
    v->route.msgs_per_sec = (uint32_t)rate;
    v->route.burst = (uint32_t)burst;
    v->route.queue_capacity = (uint32_t)queue;
    /* Reconciliation (docs/reconciliation.md). */
    long long ack_to = 0, retries = 0;
    TRY(get_int(L, g, "ack_timeout_ms", false, 0, 600000, &ack_to, NULL));
    TRY(get_int(L, g, "unknown_retries", false, 0, 100, &retries, NULL));
    v->route.ack_timeout_ns = ack_to * MS;
    v->route.unknown_retries = (uint8_t)retries;
    TRY(get_bool(L, g, "refuse_until_reconciled", &v->route.refuse_until_reconciled));
    v->keep_book = !v->is_fix;
    TRY(get_bool(L, g, "keep_book", &v->keep_book));
    TRY(get_bool(L, g, "hold_stops", &v->hold_stops));
    TRY(load_caps(L, g, v));
    if (v->is_fix) TRY(load_fix_venue(L, g, &v->fix));
    TRY(get_dec(L, g, "maker_fee", false, &v->maker_fee_rate, NULL));
    TRY(get_dec(L, g, "taker_fee", false, &v->taker_fee_rate, NULL));
    /* Smart routing (docs/routing.md). A simulated venue's quotes come in
     * process and are never late: they do not go stale by default. */
    long long lat = v->is_fix ? 0 : ack, stale = v->is_fix ? 5000 : 0;
    TRY(get_bool(L, g, "smart", &v->smart));
    TRY(get_int(L, g, "latency_us", false, 0, 60000000, &lat, NULL));
    TRY(get_int(L, g, "stale_ms", false, 0, 86400000, &stale, NULL));
    v->latency_ns = lat * US;
    v->stale_ns = stale ? stale * MS : -1;
    c->nvenues++;
  }
  /* Every instrument trades on a configured venue. */
  config_setting_t *il = config_setting_get_member(root, "instruments");
  for (size_t i = 0; i < c->ninstruments; i++) {
    bool found = false;
    for (size_t j = 0; j < c->nvenues; j++)
      if (strcmp(c->venues[j].name, c->instruments[i].ins.venue) == 0) found = true;
    if (!found) {
      config_setting_t *g = config_setting_get_elem(il, (unsigned)i);
      return fail(L, g, config_setting_get_member(g, "venue"), NULL,
                  "venue \"%s\" is not in venues", c->instruments[i].ins.venue);
    }
  }
  /* Every venue an instrument is also listed on is configured. */
  for (size_t i = 0; i < c->ninstruments; i++) {
    for (size_t k = 0; k < c->instruments[i].nalso; k++) {
      bool found = false;
      for (size_t j = 0; j < c->nvenues; j++)
        if (strcmp(c->venues[j].name, c->instruments[i].also_on[k]) == 0) found = true;
      if (!found) {
        config_setting_t *g = config_setting_get_elem(il, (unsigned)i);
        return fail(L, g, config_setting_get_member(g, "also_on"), NULL,
                    "venue \"%s\" is not in venues", c->instruments[i].also_on[k]);
      }
    }
  }
  for (int i = 0; i < n; i++) {
    config_setting_t *g = config_setting_get_elem(l, (unsigned)i), *lp;
    TRY(get_node(L, g, "liquidity", CONFIG_TYPE_LIST, false, &lp));
    if (lp != NULL) TRY(load_lp(L, &c->venues[i], lp));
  }
  return 0;
}

/* ---- Risk ---------------------------------------------------------------------------- */

/* Refuses a rate the throttle ring cannot count, at the rate's line. */
static int check_rate(loader_t *L, config_setting_t *g, const char *key, uint32_t rate) {
  if (rate > L->c->max_rate) L->c->max_rate = rate;
  uint32_t ring = L->c->cap.rate_ring;
  if (ring == 0) ring = 1u << 16;
  if (rate > ring)
    return fail(L, g, config_setting_get_member(g, key), NULL,
                "%u is more than the throttle ring holds (capacity.rate_ring = %u)", rate, ring);
  return 0;
}

static int load_limit(loader_t *L, config_setting_t *g, oms_risk_limit_t *v, bool with_id) {
  /* "id", the table's keys, then the two companions without a bit. */
  const char *keys[OMS_RL_NFIELDS + 4];
  size_t nk = 0;
  if (with_id) keys[nk++] = "id";
  for (size_t i = 0; i < OMS_RL_NFIELDS; i++) keys[nk++] = oms_risk_limit_fields[i].key;
  keys[nk++] = "collar_tick_size";
  keys[nk++] = "daily_loss_action";
  keys[nk] = NULL;
  TRY(only_keys(L, g, keys));
  memset(v, 0, sizeof *v);
  for (size_t i = 0; i < OMS_RL_NFIELDS; i++) {
    const char *key = oms_risk_limit_fields[i].key;
    char *dst = (char *)v + oms_risk_limit_fields[i].offset;
    bool present = false;
    long long x = 0;
    switch (oms_risk_limit_fields[i].kind) {
      case OMS_RL_KIND_DEC:
        TRY(get_pos_dec(L, g, key, false, false, (oms_dec_t *)dst, &present));
        break;
      case OMS_RL_KIND_U32:
        TRY(get_int(L, g, key, false, 1, UINT32_MAX, &x, &present));
        if (present) *(uint32_t *)dst = (uint32_t)x;
        break;
      default:
        TRY(get_int(L, g, key, false, 1, INT64_C(86400000) * 366, &x, &present));
        if (present) *(int64_t *)dst = x * MS;
        break;
    }
    if (present) v->set |= oms_risk_limit_fields[i].bit;
  }
  const uint32_t rate_bits = OMS_RL_ORDER_RATE_ACCOUNT | OMS_RL_ORDER_RATE_STRATEGY |
                             OMS_RL_CANCEL_RATE_ACCOUNT | OMS_RL_CANCEL_RATE_STRATEGY;
  for (size_t i = 0; i < OMS_RL_NFIELDS; i++)
    if ((v->set & oms_risk_limit_fields[i].bit & rate_bits) != 0)
      TRY(check_rate(L, g, oms_risk_limit_fields[i].key,
                     *(const uint32_t *)((const char *)v + oms_risk_limit_fields[i].offset)));
  if (v->set & OMS_RL_COLLAR_TICKS)
    TRY(get_pos_dec(L, g, "collar_tick_size", true, false, &v->tick_size, NULL));
  char action[16] = "";
  TRY(get_str(L, g, "daily_loss_action", false, action, sizeof action));
  if (action[0] != '\0' || (v->set & OMS_RL_DAILY_LOSS)) {
    if (action[0] == '\0' || strcmp(action, "halt") == 0)
      v->daily_loss_action = OMS_TRADING_HALTED;
    else if (strcmp(action, "reduce_only") == 0)
      v->daily_loss_action = OMS_TRADING_REDUCE_ONLY;
    else
      return fail(L, g, config_setting_get_member(g, "daily_loss_action"), NULL,
                  "\"%s\" is not halt or reduce_only", action);
  }
  return 0;
}

static int set_limit(loader_t *L, config_setting_t *g, oms_risk_scope_t scope, const char *id,
                     const oms_risk_limit_t *v) {
  oms_reject_t err;
  if (oms_risk_limits_set(L->c->risk_limits, scope, id, v, &err) != 0)
    return fail(L, g, g, NULL, "%s", err.text);
  return 0;
}

static int load_scoped(loader_t *L, config_setting_t *risk, const char *key,
                       oms_risk_scope_t scope) {
  config_setting_t *l;
  TRY(get_node(L, risk, key, CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  for (int i = 0; i < config_setting_length(l); i++) {
    config_setting_t *g;
    oms_risk_limit_t v;
    char id[OMS_ID_MAX + 1] = "";
    TRY(list_group(L, l, i, &g));
    TRY(get_id(L, g, "id", true, id, sizeof id));
    TRY(load_limit(L, g, &v, true));
    if (scope == OMS_RISK_SCOPE_ACCOUNT && find_account(L->c, id) < 0)
      return fail(L, g, config_setting_get_member(g, "id"), NULL,
                  "account \"%s\" is not in accounts", id);
    if (scope == OMS_RISK_SCOPE_SYMBOL && find_instrument(L->c, id) < 0)
      return fail(L, g, config_setting_get_member(g, "id"), NULL, "\"%s\" is not in instruments",
                  id);
    TRY(set_limit(L, g, scope, id, &v));
  }
  return 0;
}

static int load_symbol_list(loader_t *L, config_setting_t *risk, const char *key, bool allowed) {
  config_setting_t *l;
  TRY(get_node(L, risk, key, CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  for (int i = 0; i < config_setting_length(l); i++) {
    config_setting_t *s = config_setting_get_elem(l, (unsigned)i);
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
      return fail(L, l, s, NULL, "must be a symbol string");
    const char *sym = config_setting_get_string(s);
    if (find_instrument(L->c, sym) < 0)
      return fail(L, l, s, NULL, "\"%s\" is not in instruments", sym);
    oms_reject_t err;
    if (oms_risk_limits_symbol_list(L->c->risk_limits, sym, allowed, &err) != 0)
      return fail(L, l, s, NULL, "%s", err.text);
  }
  return 0;
}

/* "HH:MM" -> minutes; "24:00" allowed for an end. */
static int parse_hhmm(const char *s, int *out) {
  if (strlen(s) != 5 || s[2] != ':') return -1;
  for (int i = 0; i < 5; i++)
    if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  *out = h * 60 + m;
  return 0;
}

/* "HH:MM" or "HH:MM:SS" before 24:00 -> ns after midnight. */
static int parse_day_start(const char *s, int64_t *ns) {
  char hm[6];
  int min, sec = 0;
  size_t n = strlen(s);
  if (n != 5 && n != 8) return -1;
  memcpy(hm, s, 5);
  hm[5] = '\0';
  if (parse_hhmm(hm, &min) != 0 || min >= 1440) return -1;
  if (n == 8) {
    if (s[5] != ':' || s[6] < '0' || s[6] > '5' || s[7] < '0' || s[7] > '9') return -1;
    sec = (s[6] - '0') * 10 + (s[7] - '0');
  }
  *ns = ((int64_t)min * 60 + sec) * INT64_C(1000000000);
  return 0;
}

static int load_hours(loader_t *L, config_setting_t *risk) {
  config_setting_t *l;
  TRY(get_node(L, risk, "hours", CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  static const char *const keys[] = {"venue", "symbol", "tz", "days", "start", "end", NULL};
  static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  for (int i = 0; i < config_setting_length(l); i++) {
    config_setting_t *g, *days;
    TRY(list_group(L, l, i, &g));
    TRY(only_keys(L, g, keys));
    char venue[OMS_VENUE_MAX + 1] = "", symbol[OMS_SYMBOL_MAX + 1] = "", tz[64] = "UTC";
    char start[8] = "00:00", end[8] = "24:00";
    TRY(get_id(L, g, "venue", false, venue, sizeof venue));
    TRY(get_id(L, g, "symbol", false, symbol, sizeof symbol));
    if ((venue[0] == '\0') == (symbol[0] == '\0'))
      return fail(L, l, g, NULL, "give exactly one of venue or symbol");
    TRY(get_str(L, g, "tz", false, tz, sizeof tz));
    TRY(get_str(L, g, "start", false, start, sizeof start));
    TRY(get_str(L, g, "end", false, end, sizeof end));
    oms_risk_window_t w = {.days = 0x7f};
    int sm, em;
    if (parse_hhmm(start, &sm) != 0 || sm >= 1440)
      return fail(L, g, config_setting_get_member(g, "start"), NULL, "\"%s\" is not HH:MM", start);
    if (parse_hhmm(end, &em) != 0 || em == 0)
      return fail(L, g, config_setting_get_member(g, "end"), NULL, "\"%s\" is not HH:MM", end);
    w.start_min = (uint16_t)sm;
    w.end_min = (uint16_t)em;
    TRY(get_node(L, g, "days", CONFIG_TYPE_LIST, false, &days));
    if (days != NULL) {
      w.days = 0;
      for (int d = 0; d < config_setting_length(days); d++) {
        config_setting_t *s = config_setting_get_elem(days, (unsigned)d);
        const char *name =
            config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : "";
        int k = -1;
        for (int j = 0; j < 7; j++)
          if (strcmp(day_names[j], name) == 0) k = j;
        if (k < 0) return fail(L, days, s, NULL, "not a day name (Sun, Mon, ... Sat)");
        w.days |= (uint8_t)(1u << k);
      }
    }
    if (venue[0] != '\0') {
      bool found = false;
      for (size_t j = 0; j < L->c->nvenues; j++)
        if (strcmp(L->c->venues[j].name, venue) == 0) found = true;
      if (!found)
        return fail(L, g, config_setting_get_member(g, "venue"), NULL,
                    "venue \"%s\" is not in venues", venue);
    } else if (find_instrument(L->c, symbol) < 0) {
      return fail(L, g, config_setting_get_member(g, "symbol"), NULL,
                  "\"%s\" is not in instruments", symbol);
    }
    oms_reject_t err;
    if (oms_risk_limits_hours(L->c->risk_limits, venue[0] ? venue : symbol, venue[0] != '\0', tz,
                              &w, 1, &err) != 0)
      return fail(L, l, g, NULL, "%s", err.text);
  }
  return 0;
}

/* groups = ( { kind = "sector"; name = "tech"; symbols = [ ... ];
 *             max_exposure = "..."; max_exposure_pct = "0.3"; } ) */
static int load_groups(loader_t *L, config_setting_t *risk) {
  config_setting_t *l;
  TRY(get_node(L, risk, "groups", CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  static const char *const keys[] = {"kind", "name", "symbols", "max_exposure", "max_exposure_pct",
                                     NULL};
  for (int i = 0; i < config_setting_length(l); i++) {
    config_setting_t *g, *syms;
    TRY(list_group(L, l, i, &g));
    TRY(only_keys(L, g, keys));
    char kind[32] = "", name[OMS_ID_MAX + 1] = "";
    TRY(get_str(L, g, "kind", true, kind, sizeof kind));
    int k = oms_risk_group_kind_parse(kind);
    if (k < 0)
      return fail(L, g, config_setting_get_member(g, "kind"), NULL,
                  "\"%s\" is not sector, asset_class, currency, underlying or correlation", kind);
    TRY(get_id(L, g, "name", true, name, sizeof name));
    oms_dec_t amt = OMS_DEC_ZERO, pct = OMS_DEC_ZERO;
    TRY(get_pos_dec(L, g, "max_exposure", false, false, &amt, NULL));
    TRY(get_pos_dec(L, g, "max_exposure_pct", false, false, &pct, NULL));
    TRY(get_node(L, g, "symbols", CONFIG_TYPE_ARRAY, true, &syms));
    int n = config_setting_length(syms);
    for (int j = 0; j < n; j++) {
      config_setting_t *s = config_setting_get_elem(syms, (unsigned)j);
      const char *sym = config_setting_get_string(s);
      if (sym == NULL) return fail(L, syms, s, NULL, "must be a symbol string");
      if (find_instrument(L->c, sym) < 0)
        return fail(L, syms, s, NULL, "\"%s\" is not in instruments", sym);
      oms_reject_t err;
      if (oms_risk_limits_group(L->c->risk_limits, (oms_risk_group_kind_t)k, name, &sym, 1, amt,
                                pct, &err) != 0)
        return fail(L, syms, s, NULL, "%s", err.text);
    }
  }
  return 0;
}

static int load_risk(loader_t *L, config_setting_t *root) {
  config_setting_t *risk, *global;
  if (oms_risk_limits_create(&L->c->risk_limits) != 0) return OMS_ENOMEM;
  TRY(get_node(L, root, "risk", CONFIG_TYPE_GROUP, true, &risk));
  static const char *const keys[] = {
      "global",     "accounts", "strategies", "symbols",           "whitelist",
      "restricted", "hours",    "groups",     "trading_day_start", NULL};
  TRY(only_keys(L, risk, keys));
  /* The trading day of the daily PnL (and the daily loss limit) begins at
   * this UTC time, "HH:MM" or "HH:MM:SS" (the portfolio's day_reset_ns). */
  char start[16] = "";
  TRY(get_str(L, risk, "trading_day_start", false, start, sizeof start));
  if (start[0] != '\0' && parse_day_start(start, &L->c->trading_day_start_ns) != 0)
    return fail(L, risk, config_setting_get_member(risk, "trading_day_start"), NULL,
                "\"%s\" is not HH:MM or HH:MM:SS before 24:00", start);

  TRY(get_node(L, risk, "global", CONFIG_TYPE_GROUP, true, &global));
  oms_risk_limit_t v;
  TRY(load_limit(L, global, &v, false));
  TRY(set_limit(L, global, OMS_RISK_SCOPE_GLOBAL, NULL, &v));
  TRY(load_scoped(L, risk, "accounts", OMS_RISK_SCOPE_ACCOUNT));
  TRY(load_scoped(L, risk, "strategies", OMS_RISK_SCOPE_STRATEGY));
  TRY(load_scoped(L, risk, "symbols", OMS_RISK_SCOPE_SYMBOL));
  TRY(load_symbol_list(L, risk, "whitelist", true));
  TRY(load_symbol_list(L, risk, "restricted", false));
  TRY(load_hours(L, risk));
  TRY(load_groups(L, risk));
  return 0;
}

static int load_store(loader_t *L, config_setting_t *root) {
  oms_config_t *c = L->c;
  config_setting_t *g;
  TRY(get_node(L, root, "store", CONFIG_TYPE_GROUP, true, &g));
  static const char *const keys[] = {"data_dir",
                                     "file",
                                     "durability",
                                     "stop_wait_ms",
                                     "engine",
                                     "journal_segment_mb",
                                     "journal_retain_hours",
                                     "projection",
                                     "pg_conninfo",
                                     "instance",
                                     NULL};
  TRY(only_keys(L, g, keys));
  char file[128] = "oms.db", dur[16] = "fsync";
  TRY(get_str(L, g, "data_dir", true, c->data_dir, sizeof c->data_dir));
  TRY(get_str(L, g, "file", false, file, sizeof file));
  if (strchr(file, '/') != NULL)
    return fail(L, g, config_setting_get_member(g, "file"), NULL,
                "a file name inside data_dir, without '/'");
  int w = snprintf(c->store_path, sizeof c->store_path, "%s/%s", c->data_dir, file);
  if (w < 0 || (size_t)w >= sizeof c->store_path)
    return fail(L, g, config_setting_get_member(g, "data_dir"), NULL, "path too long");
  long long wait = 2000;
  TRY(get_int(L, g, "stop_wait_ms", false, 0, 60000, &wait, NULL));
  c->stop_wait_ns = wait * MS;
  TRY(get_str(L, g, "durability", false, dur, sizeof dur));
  if (strcmp(dur, "fsync") == 0)
    c->durability = OMS_DURABILITY_FSYNC;
  else if (strcmp(dur, "os") == 0)
    c->durability = OMS_DURABILITY_OS;
  else
    return fail(L, g, config_setting_get_member(g, "durability"), NULL, "\"%s\" is not fsync or os",
                dur);
  char engine[16] = "journal";
  TRY(get_str(L, g, "engine", false, engine, sizeof engine));
  if (strcmp(engine, "journal") == 0)
    c->store_engine = OMS_CFG_STORE_JOURNAL;
  else if (strcmp(engine, "sqlite") == 0)
    c->store_engine = OMS_CFG_STORE_SQLITE;
  else
    return fail(L, g, config_setting_get_member(g, "engine"), NULL,
                "\"%s\" is not journal or sqlite", engine);
  long long seg = 64, hours = 0;
  TRY(get_int(L, g, "journal_segment_mb", false, 1, 4096, &seg, NULL));
  TRY(get_int(L, g, "journal_retain_hours", false, 0, 100000, &hours, NULL));
  c->journal_segment_mb = (uint32_t)seg;
  c->journal_retain_hours = (uint32_t)hours;
  char proj[16] = "sqlite";
  snprintf(c->store_instance, sizeof c->store_instance, "omsd");
  TRY(get_str(L, g, "projection", false, proj, sizeof proj));
  TRY(get_str(L, g, "instance", false, c->store_instance, sizeof c->store_instance));
  TRY(get_str(L, g, "pg_conninfo", false, c->pg_conninfo, sizeof c->pg_conninfo));
  if (strcmp(proj, "postgres") == 0) {
    if (c->store_engine != OMS_CFG_STORE_JOURNAL)
      return fail(L, g, config_setting_get_member(g, "projection"), NULL,
                  "a PostgreSQL projection needs engine = \"journal\"");
    if (c->pg_conninfo[0] == '\0')
      return fail(L, g, config_setting_get_member(g, "projection"), NULL,
                  "projection = \"postgres\" needs pg_conninfo");
  } else if (strcmp(proj, "sqlite") == 0) {
    c->pg_conninfo[0] = '\0';
  } else {
    return fail(L, g, config_setting_get_member(g, "projection"), NULL,
                "\"%s\" is not sqlite or postgres", proj);
  }
  return 0;
}

/* One row of a group of optional unsigned keys (capacity, admission). */
typedef struct u32_row_s {
  const char *key;
  uint32_t def, lo, hi;
  size_t off;
} u32_row_t;

#define U32_GROUP_MAX 32

/* Reads the optional group name of rows into base (defaults where absent);
 * *out is the group or NULL. */
static int load_u32_group(loader_t *L, config_setting_t *root, const char *name,
                          const u32_row_t *rows, size_t n, void *base, config_setting_t **out) {
  config_setting_t *g;
  TRY(get_node(L, root, name, CONFIG_TYPE_GROUP, false, &g));
  const char *keys[U32_GROUP_MAX + 1];
  for (size_t i = 0; i < n; i++) keys[i] = rows[i].key;
  keys[n] = NULL;
  if (g != NULL) TRY(only_keys(L, g, keys));
  for (size_t i = 0; i < n; i++) {
    long long v = rows[i].def;
    if (g != NULL) TRY(get_int(L, g, rows[i].key, false, rows[i].lo, rows[i].hi, &v, NULL));
    *(uint32_t *)((char *)base + rows[i].off) = (uint32_t)v;
  }
  *out = g;
  return 0;
}

/* The admission group, from OMS_CFG_ADMISSION; every key optional. */
static int load_admission(loader_t *L, config_setting_t *root) {
  static const u32_row_t rows[] = {
#define ADM_ROW(key, def, lo, hi, what) {#key, def, lo, hi, offsetof(oms_cfg_admission_t, key)},
      OMS_CFG_ADMISSION(ADM_ROW)
#undef ADM_ROW
  };
  _Static_assert(sizeof rows / sizeof rows[0] <= U32_GROUP_MAX, "admission table too long");
  config_setting_t *g;
  return load_u32_group(L, root, "admission", rows, sizeof rows / sizeof rows[0], &L->c->adm, &g);
}

/* The capacity group, from OMS_CFG_CAPACITIES; every key optional. */
static int load_capacity(loader_t *L, config_setting_t *root) {
  static const u32_row_t caps[] = {
#define CAP_ROW(key, def, lo, hi, what) {#key, def, lo, hi, offsetof(oms_cfg_capacity_t, key)},
      OMS_CFG_CAPACITIES(CAP_ROW)
#undef CAP_ROW
  };
  _Static_assert(sizeof caps / sizeof caps[0] <= U32_GROUP_MAX, "capacity table too long");
  config_setting_t *g;
  TRY(load_u32_group(L, root, "capacity", caps, sizeof caps / sizeof caps[0], &L->c->cap, &g));
  uint32_t q = L->c->cap.store_queue;
  if ((q & (q - 1)) != 0)
    return fail(L, g, config_setting_get_member(g, "store_queue"), NULL, "%u is not a power of two",
                q);
  return 0;
}

/* rate_ring 0: just large enough for the largest rate (a power of two,
 * at least 256), so the rings cost no more than the limits need. */
static void resolve_rate_ring(oms_config_t *c) {
  if (c->cap.rate_ring != 0) return;
  uint32_t r = 256;
  while (r < c->max_rate) r <<= 1;
  c->cap.rate_ring = r;
}

static int load_logging(loader_t *L, config_setting_t *root) {
  config_setting_t *g;
  L->c->log_level = OMS_LOG_INFO;
  TRY(get_node(L, root, "logging", CONFIG_TYPE_GROUP, false, &g));
  if (g == NULL) return 0;
  static const char *const keys[] = {"level", NULL};
  TRY(only_keys(L, g, keys));
  char level[16] = "info";
  TRY(get_str(L, g, "level", false, level, sizeof level));
  for (int i = OMS_LOG_DEBUG; i <= OMS_LOG_ERROR; i++)
    if (strcmp(level, oms_log_level_name((oms_log_level_t)i)) == 0) {
      L->c->log_level = (oms_log_level_t)i;
      return 0;
    }
  return fail(L, g, config_setting_get_member(g, "level"), NULL,
              "\"%s\" is not debug, info, warn or error", level);
}

/* The admin group: where the HTTP API listens and its tokens. Absent: no
 * API. Every token is checked here so that a bad one never starts. */
static int load_admin(loader_t *L, config_setting_t *root) {
  oms_cfg_admin_t *a = &L->c->admin;
  config_setting_t *g, *tokens;
  TRY(get_node(L, root, "admin", CONFIG_TYPE_GROUP, false, &g));
  if (g == NULL) return 0;
  static const char *const keys[] = {"address",
                                     "port",
                                     "max_connections",
                                     "max_connections_per_ip",
                                     "idle_timeout_s",
                                     "tls_cert",
                                     "tls_key",
                                     "tokens",
                                     NULL};
  TRY(only_keys(L, g, keys));
  a->enabled = true;
  snprintf(a->address, sizeof a->address, "127.0.0.1");
  TRY(get_str(L, g, "address", false, a->address, sizeof a->address));
  struct in_addr addr;
  if (inet_pton(AF_INET, a->address, &addr) != 1)
    return fail(L, g, config_setting_get_member(g, "address"), NULL,
                "\"%s\" is not a dotted IPv4 address (e.g. \"127.0.0.1\")", a->address);
  long long port = 9880, maxc = 32;
  TRY(get_int(L, g, "port", false, 0, 65535, &port, NULL));
  TRY(get_int(L, g, "max_connections", false, 1, 1024, &maxc, NULL));
  a->port = (int)port;
  a->max_connections = (uint32_t)maxc;
  long long per_ip = maxc > 1 ? maxc / 2 : 1, idle = 30;
  TRY(get_int(L, g, "max_connections_per_ip", false, 1, maxc, &per_ip, NULL));
  TRY(get_int(L, g, "idle_timeout_s", false, 1, 3600, &idle, NULL));
  a->max_connections_per_ip = (uint32_t)per_ip;
  a->idle_timeout_s = (uint32_t)idle;
  TRY(get_str(L, g, "tls_cert", false, a->tls_cert, sizeof a->tls_cert));
  TRY(get_str(L, g, "tls_key", false, a->tls_key, sizeof a->tls_key));
  if ((a->tls_cert[0] != '\0') != (a->tls_key[0] != '\0'))
    return fail(L, g, NULL, a->tls_cert[0] ? "tls_key" : "tls_cert",
                "missing: TLS needs both tls_cert and tls_key");
  TRY(get_node(L, g, "tokens", CONFIG_TYPE_LIST, true, &tokens));
  int n = config_setting_length(tokens);
  if (n == 0) return fail(L, g, tokens, NULL, "at least one token is needed");
  if (n > OMS_CFG_MAX_TOKENS)
    return fail(L, g, tokens, NULL, "more than %d tokens", OMS_CFG_MAX_TOKENS);
  static const char *const tkeys[] = {"name", "token", "role", "accounts", NULL};
  static const char *const roles[] = {
      [OMS_CFG_ROLE_READ] = "read", [OMS_CFG_ROLE_TRADE] = "trade", [OMS_CFG_ROLE_ADMIN] = "admin"};
  for (int i = 0; i < n; i++) {
    config_setting_t *t, *accs;
    TRY(list_group(L, tokens, i, &t));
    TRY(only_keys(L, t, tkeys));
    oms_cfg_admin_token_t *k = &a->tokens[i];
    TRY(get_id(L, t, "name", true, k->name, sizeof k->name));
    TRY(get_str(L, t, "token", true, k->token, sizeof k->token));
    char role[16];
    TRY(get_str(L, t, "role", true, role, sizeof role));
    for (int r = OMS_CFG_ROLE_READ; r <= OMS_CFG_ROLE_ADMIN; r++)
      if (strcmp(role, roles[r]) == 0) k->role = r;
    if (k->role == 0)
      return fail(L, t, config_setting_get_member(t, "role"), NULL,
                  "\"%s\" is not read, trade or admin", role);
    for (int j = 0; j < i; j++) {
      if (strcmp(a->tokens[j].name, k->name) == 0)
        return fail(L, t, config_setting_get_member(t, "name"), NULL,
                    "\"%s\" is already used by tokens[%d]", k->name, j);
      if (strcmp(a->tokens[j].token, k->token) == 0)
        return fail(L, t, config_setting_get_member(t, "token"), NULL,
                    "the same token as tokens[%d] (each token names one caller)", j);
    }
    TRY(get_node(L, t, "accounts", CONFIG_TYPE_LIST, false, &accs));
    int na = accs != NULL ? config_setting_length(accs) : 0;
    if (k->role == OMS_CFG_ROLE_TRADE && na == 0)
      return fail(L, t, accs, accs == NULL ? "accounts" : NULL,
                  "a trade token needs the accounts it may trade");
    if (na > 0 && k->role != OMS_CFG_ROLE_TRADE)
      return fail(L, t, accs, NULL, "only trade tokens are confined to accounts");
    for (int j = 0; j < na; j++) {
      config_setting_t *e = config_setting_get_elem(accs, (unsigned)j);
      const char *id = config_setting_get_string(e);
      if (id == NULL) return fail(L, accs, e, NULL, "must be an account id in double quotes");
      if (find_account(L->c, id) < 0)
        return fail(L, accs, e, NULL, "account \"%s\" is not in accounts", id);
      snprintf(k->accounts[j], sizeof k->accounts[j], "%s", id);
    }
    k->naccounts = (size_t)na;
    a->ntokens++;
  }
  return 0;
}

/* ---- The market risk model --------------------------------------------------------- */

/* A statistical parameter (not money): a float or an integer, in [lo, hi]. */
static int get_real(loader_t *L, const config_setting_t *g, const char *key, double lo, double hi,
                    double *out) {
  const config_setting_t *s = config_setting_get_member(g, key);
  if (s == NULL) return 0;
  int t = config_setting_type(s);
  double v;
  if (t == CONFIG_TYPE_FLOAT)
    v = config_setting_get_float(s);
  else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
    v = (double)config_setting_get_int64(s);
  else
    return fail(L, g, s, NULL, "must be a number, e.g. 0.94");
  if (!(v >= lo && v <= hi)) return fail(L, g, s, NULL, "%g is not in %g..%g", v, lo, hi);
  *out = v;
  return 0;
}

/* Applies a shock to every member of the risk.groups entries called name;
 * returns false when there is none. */
static bool shock_group(loader_t *L, config_setting_t *root, const char *name, double pct,
                        double *shock) {
  config_setting_t *risk = config_setting_get_member(root, "risk");
  config_setting_t *l = risk != NULL ? config_setting_get_member(risk, "groups") : NULL;
  bool found = false;
  for (int i = 0; l != NULL && i < config_setting_length(l); i++) {
    config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
    const char *gname = NULL;
    config_setting_t *syms = config_setting_get_member(g, "symbols");
    if (!config_setting_lookup_string(g, "name", &gname) || strcmp(gname, name) != 0 ||
        syms == NULL)
      continue;
    found = true;
    for (int j = 0; j < config_setting_length(syms); j++) {
      const char *sym = config_setting_get_string_elem(syms, j);
      int k = sym != NULL ? find_instrument(L->c, sym) : -1;
      if (k >= 0) shock[k] = pct;
    }
  }
  return found;
}

/* scenarios = ( { name = "equities -20%"; shocks = ( { group = "equities"; pct = -0.2; },
 *                                                    { symbol = "BTC-USD"; pct = -0.4; } ); } )
 * Group shocks first, then symbol shocks (the more specific wins). */
static int load_scenarios(loader_t *L, config_setting_t *root, config_setting_t *g) {
  oms_cfg_riskmodel_t *m = &L->c->riskmodel;
  config_setting_t *l;
  TRY(get_node(L, g, "scenarios", CONFIG_TYPE_LIST, false, &l));
  if (l == NULL) return 0;
  if (config_setting_length(l) > OMS_CFG_MAX_SCENARIOS)
    return fail(L, g, l, NULL, "more than %d scenarios", OMS_CFG_MAX_SCENARIOS);
  static const char *const keys[] = {"name", "shocks", NULL};
  static const char *const shock_keys[] = {"group", "symbol", "pct", NULL};
  for (int i = 0; i < config_setting_length(l); i++) {
    config_setting_t *sc, *shocks;
    TRY(list_group(L, l, i, &sc));
    TRY(only_keys(L, sc, keys));
    oms_cfg_scenario_t *s = &m->scenarios[m->nscenarios];
    memset(s, 0, sizeof *s);
    TRY(get_str(L, sc, "name", true, s->name, sizeof s->name));
    for (size_t j = 0; j < m->nscenarios; j++)
      if (strcmp(m->scenarios[j].name, s->name) == 0)
        return fail(L, sc, config_setting_get_member(sc, "name"), NULL,
                    "\"%s\" is the name of another scenario", s->name);
    TRY(get_node(L, sc, "shocks", CONFIG_TYPE_LIST, true, &shocks));
    for (int pass = 0; pass < 2; pass++)
      for (int j = 0; j < config_setting_length(shocks); j++) {
        config_setting_t *e;
        TRY(list_group(L, shocks, j, &e));
        TRY(only_keys(L, e, shock_keys));
        char group[OMS_ID_MAX + 1] = "", sym[OMS_SYMBOL_MAX + 1] = "";
        TRY(get_str(L, e, "group", false, group, sizeof group));
        TRY(get_str(L, e, "symbol", false, sym, sizeof sym));
        if ((group[0] != '\0') == (sym[0] != '\0'))
          return fail(L, shocks, e, NULL, "needs one of group or symbol");
        if (config_setting_get_member(e, "pct") == NULL) return fail(L, e, NULL, "pct", "missing");
        double pct = 0;
        TRY(get_real(L, e, "pct", -1, 10, &pct));
        if (pass == 0 && group[0] != '\0' && !shock_group(L, root, group, pct, s->shock))
          return fail(L, e, config_setting_get_member(e, "group"), NULL,
                      "\"%s\" is not a group of risk.groups", group);
        if (pass == 1 && sym[0] != '\0') {
          int k = find_instrument(L->c, sym);
          if (k < 0)
            return fail(L, e, config_setting_get_member(e, "symbol"), NULL,
                        "\"%s\" is not in instruments", sym);
          s->shock[k] = pct;
        }
      }
    m->nscenarios++;
  }
  return 0;
}

/* The riskmodel group: no model when absent. Statistical parameters are
 * numbers (floats are fine: they are estimates, not money). */
static int load_riskmodel(loader_t *L, config_setting_t *root) {
  oms_cfg_riskmodel_t *m = &L->c->riskmodel;
  config_setting_t *g;
  TRY(get_node(L, root, "riskmodel", CONFIG_TYPE_GROUP, false, &g));
  if (g == NULL) return 0;
  static const char *const keys[] = {"lambda",
                                     "confidence",
                                     "horizon_days",
                                     "sample_interval_ms",
                                     "save_interval_s",
                                     "var_window",
                                     "correlation_threshold",
                                     "correlation_max_exposure",
                                     "correlation_max_exposure_pct",
                                     "history_file",
                                     "event_interval_s",
                                     "scenarios",
                                     NULL};
  TRY(only_keys(L, g, keys));
  if (L->c->ninstruments == 0) return fail(L, g, NULL, NULL, "needs instruments");
  m->enabled = true;
  m->lambda = 0.94;
  m->confidence = 0.99;
  m->horizon_days = 1;
  m->correlation_threshold = 0;
  long long interval = 1000, save = 60, window = 250, events = 60;
  TRY(get_real(L, g, "lambda", 0.5, 0.9999, &m->lambda));
  TRY(get_real(L, g, "confidence", 0.9, 0.9999, &m->confidence));
  TRY(get_real(L, g, "horizon_days", 1.0 / 86400, 250, &m->horizon_days));
  TRY(get_real(L, g, "correlation_threshold", 0, 0.9999, &m->correlation_threshold));
  TRY(get_int(L, g, "sample_interval_ms", false, 10, 86400000, &interval, NULL));
  TRY(get_int(L, g, "save_interval_s", false, 1, 86400, &save, NULL));
  TRY(get_int(L, g, "var_window", false, 10, 100000, &window, NULL));
  m->sample_interval_ms = (uint32_t)interval;
  m->save_interval_s = (uint32_t)save;
  m->var_window = (uint32_t)window;
  TRY(get_int(L, g, "event_interval_s", false, 0, 86400, &events, NULL));
  m->event_interval_s = (uint32_t)events;
  TRY(get_str(L, g, "history_file", false, m->history_file, sizeof m->history_file));
  TRY(get_pos_dec(L, g, "correlation_max_exposure", false, false, &m->corr_max_exposure, NULL));
  TRY(get_pos_dec(L, g, "correlation_max_exposure_pct", false, false, &m->corr_max_pct, NULL));
  if (m->correlation_threshold > 0 && oms_dec_is_zero(m->corr_max_exposure) &&
      oms_dec_is_zero(m->corr_max_pct))
    return fail(L, g, config_setting_get_member(g, "correlation_threshold"), NULL,
                "needs correlation_max_exposure or correlation_max_exposure_pct (the limit of "
                "the groups it makes)");
  return load_scenarios(L, root, g);
}

/* ---- Entry points ------------------------------------------------------------- */

/* The stream group: off when absent. Names are checked here as NATS subject
 * tokens so that a bad one never starts. */
static int load_stream(loader_t *L, config_setting_t *root) {
  oms_cfg_stream_t *t = &L->c->stream;
  config_setting_t *g;
  TRY(get_node(L, root, "stream", CONFIG_TYPE_GROUP, false, &g));
  if (g == NULL) return 0;
  static const char *const keys[] = {"nats_url", "stream",         "prefix", "instance",
                                     "window",   "ack_timeout_ms", NULL};
  TRY(only_keys(L, g, keys));
  t->enabled = true;
  snprintf(t->stream, sizeof t->stream, "OMS");
  snprintf(t->prefix, sizeof t->prefix, "oms");
  snprintf(t->instance, sizeof t->instance, "omsd");
  TRY(get_str(L, g, "nats_url", true, t->nats_url, sizeof t->nats_url));
  TRY(get_str(L, g, "stream", false, t->stream, sizeof t->stream));
  TRY(get_str(L, g, "prefix", false, t->prefix, sizeof t->prefix));
  TRY(get_str(L, g, "instance", false, t->instance, sizeof t->instance));
  static const char *const names[] = {"stream", "prefix", "instance"};
  const char *vals[] = {t->stream, t->prefix, t->instance};
  for (size_t i = 0; i < 3; i++)
    for (const char *p = vals[i]; *p != '\0' || p == vals[i]; p++)
      if (*p <= ' ' || *p > '~' || *p == '.' || *p == '*' || *p == '>')
        return fail(L, g, config_setting_get_member(g, names[i]), NULL,
                    "\"%s\" is not a NATS subject token (no '.', '*', '>' or space)", vals[i]);
  long long window = 1024, ack = 2000;
  TRY(get_int(L, g, "window", false, 1, 65536, &window, NULL));
  if ((window & (window - 1)) != 0)
    return fail(L, g, config_setting_get_member(g, "window"), NULL, "%lld is not a power of two",
                window);
  TRY(get_int(L, g, "ack_timeout_ms", false, 10, 600000, &ack, NULL));
  t->window = (uint32_t)window;
  t->ack_timeout_ms = (uint32_t)ack;
  return 0;
}

/* The cluster group: off when absent. Its group is store.instance, its
 * lease in store.pg_conninfo's database, so it needs the PostgreSQL
 * projection; every owned account must be a configured one. */
static int load_cluster(loader_t *L, config_setting_t *root) {
  oms_cfg_cluster_t *t = &L->c->cluster;
  config_setting_t *g, *l;
  TRY(get_node(L, root, "cluster", CONFIG_TYPE_GROUP, false, &g));
  if (g == NULL) return 0;
  static const char *const keys[] = {"node",      "number",           "accounts", "lease_ms",
                                     "margin_ms", "fenced_linger_ms", NULL};
  TRY(only_keys(L, g, keys));
  t->enabled = true;
  if (L->c->pg_conninfo[0] == '\0')
    return fail(L, g, NULL, NULL,
                "needs store.projection = \"postgres\" (the lease and the shared rows live "
                "there)");
  if (L->c->stream.enabled && strcmp(L->c->stream.instance, L->c->store_instance) != 0)
    return fail(L, g, NULL, NULL,
                "stream.instance \"%s\" must be store.instance \"%s\" (the instance the "
                "lease, the rows and the subjects name)",
                L->c->stream.instance, L->c->store_instance);
  TRY(get_id(L, g, "node", true, t->node, sizeof t->node));
  long long number = 0, lease = 3000, margin = 0, linger = 2000;
  TRY(get_int(L, g, "number", true, 1, 8191, &number, NULL));
  TRY(get_int(L, g, "lease_ms", false, 100, 600000, &lease, NULL));
  TRY(get_int(L, g, "margin_ms", false, 0, 600000, &margin, NULL));
  TRY(get_int(L, g, "fenced_linger_ms", false, 0, 600000, &linger, NULL));
  if (margin == 0) margin = lease / 3;
  if (margin >= lease)
    return fail(L, g, config_setting_get_member(g, "margin_ms"), NULL,
                "must be below lease_ms (%lld)", lease);
  t->number = (uint32_t)number;
  t->lease_ms = (uint32_t)lease;
  t->margin_ms = (uint32_t)margin;
  t->fenced_linger_ms = (uint32_t)linger;
  TRY(get_node(L, g, "accounts", CONFIG_TYPE_LIST, true, &l));
  int n = config_setting_length(l);
  if (n < 1 || n > OMS_CFG_MAX_ACCOUNTS)
    return fail(L, g, l, NULL, "needs 1 to %d accounts", OMS_CFG_MAX_ACCOUNTS);
  for (int k = 0; k < n; k++) {
    const char *v = config_setting_get_string_elem(l, k);
    if (v == NULL || find_account(L->c, v) < 0)
      return fail(L, g, l, NULL, "element %d is not an account of accounts", k);
    for (size_t j = 0; j < t->naccounts; j++)
      if (strcmp(t->accounts[j], v) == 0) return fail(L, g, l, NULL, "\"%s\" listed twice", v);
    snprintf(t->accounts[t->naccounts++], OMS_ID_MAX + 1, "%s", v);
  }
  return 0;
}

static const char *const sched_names[] = {
#define OMS_CFG_SCHED_NAME(e, name) [e] = name,
    OMS_CFG_SCHED_POLICIES(OMS_CFG_SCHED_NAME)
#undef OMS_CFG_SCHED_NAME
};

const char *oms_cfg_sched_policy_name(oms_cfg_sched_policy_t p) {
  return (unsigned)p < sizeof sched_names / sizeof sched_names[0] ? sched_names[p] : "?";
}

/* The omsd group: omsd.core_thread, how the OS schedules the core thread.
 * Checked here; whether the OS grants it is known only at start. */
static int load_omsd(loader_t *L, config_setting_t *root) {
  oms_cfg_core_thread_t *t = &L->c->core_thread;
  *t = (oms_cfg_core_thread_t){.policy = OMS_CFG_SCHED_OTHER, .cpu = -1};
  config_setting_t *g, *ct;
  TRY(get_node(L, root, "omsd", CONFIG_TYPE_GROUP, false, &g));
  if (g == NULL) return 0;
  static const char *const keys[] = {"core_thread", NULL};
  TRY(only_keys(L, g, keys));
  TRY(get_node(L, g, "core_thread", CONFIG_TYPE_GROUP, false, &ct));
  if (ct == NULL) return 0;
  static const char *const ct_keys[] = {"policy", "priority", "cpu", "spin_us", NULL};
  TRY(only_keys(L, ct, ct_keys));
  char policy[16] = "other";
  TRY(get_str(L, ct, "policy", false, policy, sizeof policy));
  size_t i = 0;
  while (i < sizeof sched_names / sizeof sched_names[0] && strcmp(policy, sched_names[i]) != 0) i++;
  if (i == sizeof sched_names / sizeof sched_names[0])
    return fail(L, ct, config_setting_get_member(ct, "policy"), NULL,
                "\"%s\" is not other, fifo or rr", policy);
  t->policy = (oms_cfg_sched_policy_t)i;
  long long prio = 0, cpu = -1;
  bool has_prio;
  TRY(get_int(L, ct, "priority", false, t->policy == OMS_CFG_SCHED_OTHER ? 0 : 1,
              t->policy == OMS_CFG_SCHED_OTHER ? 0 : 99, &prio, &has_prio));
  if (t->policy != OMS_CFG_SCHED_OTHER && !has_prio)
    return fail(L, ct, NULL, "priority", "missing: policy \"%s\" needs a priority (1..99)", policy);
  TRY(get_int(L, ct, "cpu", false, -1, 1023, &cpu, NULL));
  long long spin = 0;
  TRY(get_int(L, ct, "spin_us", false, 0, 1000000, &spin, NULL));
  t->priority = (int)prio;
  t->cpu = (int)cpu;
  t->spin_us = (int)spin;
  return 0;
}

static int load(config_t *cf, loader_t *L) {
  config_setting_t *root = config_root_setting(cf);
  static const char *const keys[] = {"fix",      "accounts",  "strategies", "instruments",
                                     "venues",   "risk",      "store",      "logging",
                                     "capacity", "admission", "admin",      "stream",
                                     "cluster",  "riskmodel", "omsd",       NULL};
  TRY(only_keys(L, root, keys));
  TRY(load_capacity(L, root));
  TRY(load_admission(L, root));
  TRY(load_fix(L, root));
  TRY(load_accounts(L, root));
  TRY(load_strategies(L, root));
  TRY(load_instruments(L, root));
  TRY(load_venues(L, root));
  TRY(load_risk(L, root));
  resolve_rate_ring(L->c);
  TRY(load_store(L, root));
  TRY(load_logging(L, root));
  TRY(load_admin(L, root));
  TRY(load_stream(L, root));
  TRY(load_cluster(L, root));
  TRY(load_riskmodel(L, root));
  TRY(load_omsd(L, root));
  return 0;
}

#define FILE_MAX (1u << 20) /* a configuration is a few KiB; refuse anything huge */

/* Reads the file at path into a new NUL-terminated buffer (*out, the caller
 * frees it). Returns 0, or OMS_ECONFIG with "FILE:0: (file): why" in err: a
 * directory or other non-regular file, one that cannot be opened or read,
 * or one over FILE_MAX. */
static int read_file(const char *path, char **out, char *err, size_t errcap) {
  *out = NULL;
  const char *why = NULL;
  char sys[160];
  FILE *f = fopen(path, "r");
  struct stat st;
  char *buf = NULL;
  if (f == NULL || fstat(fileno(f), &st) != 0) {
    snprintf(sys, sizeof sys, "cannot open: %s", strerror(errno));
    why = sys;
  } else if (S_ISDIR(st.st_mode)) {
    why = "is a directory, not a configuration file";
  } else if (!S_ISREG(st.st_mode)) {
    why = "is not a regular file";
  } else if (st.st_size > (off_t)FILE_MAX) {
    why = "larger than 1 MiB, not a configuration file";
  } else if ((buf = oms__malloc((size_t)st.st_size + 1)) == NULL) {
    if (f != NULL) fclose(f);
    return OMS_ENOMEM;
  } else {
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
      snprintf(sys, sizeof sys, "cannot read: %s", strerror(errno));
      why = sys;
    }
    buf[n] = '\0';
  }
  if (f != NULL) fclose(f);
  if (why != NULL) {
    oms__free(buf);
    if (err != NULL && errcap > 0) snprintf(err, errcap, "%s:0: (file): %s", path, why);
    return OMS_ECONFIG;
  }
  *out = buf;
  return 0;
}

static int load_text(const char *text, const char *name, oms_config_t **out, char *err,
                     size_t errcap) {
  oms_config_t *c = oms__calloc(1, sizeof *c);
  if (c == NULL) return OMS_ENOMEM;
  snprintf(c->file, sizeof c->file, "%s", name);
  loader_t L = {.c = c, .file = name, .text = text, .err = err, .errcap = errcap};
  config_t cf;
  config_init(&cf);
  int rc;
  if (config_read_string(&cf, text) != CONFIG_TRUE) {
    if (err != NULL && errcap > 0)
      snprintf(err, errcap, "%s:%d: (syntax): %s", name, config_error_line(&cf),
               config_error_text(&cf));
    rc = OMS_ECONFIG;
  } else {
    rc = load(&cf, &L);
  }
  config_destroy(&cf);
  if (rc != 0) {
    oms_config_destroy(c);
    return rc;
  }
  *out = c;
  return 0;
}

int oms_config_load(const char *path, oms_config_t **out, char *err, size_t errcap) {
  if (out == NULL || path == NULL) return OMS_EINVAL;
  *out = NULL;
  if (err != NULL && errcap > 0) err[0] = '\0';
  char *text;
  int rc = read_file(path, &text, err, errcap);
  if (rc != 0) return rc;
  rc = load_text(text, path, out, err, errcap);
  oms__free(text);
  return rc;
}

int oms_config_load_string(const char *text, const char *name, oms_config_t **out, char *err,
                           size_t errcap) {
  if (out == NULL || text == NULL || name == NULL) return OMS_EINVAL;
  *out = NULL;
  if (err != NULL && errcap > 0) err[0] = '\0';
  return load_text(text, name, out, err, errcap);
}
void oms_config_destroy(oms_config_t *c) {
  if (c == NULL) return;
  oms_risk_limits_destroy(c->risk_limits);
  oms__free(c);
}

oms_risk_limits_t *oms_config_take_risk_limits(oms_config_t *c) {
  oms_risk_limits_t *l = c->risk_limits;
  c->risk_limits = NULL;
  return l;
}

const oms_cfg_session_t *oms_config_session(const oms_config_t *c, const char *sender_comp_id) {
  for (size_t i = 0; i < c->nsessions; i++)
    if (strcmp(c->sessions[i].sender_comp_id, sender_comp_id) == 0) return &c->sessions[i];
  return NULL;
}

const char *oms_log_level_name(oms_log_level_t l) {
  switch (l) {
    case OMS_LOG_DEBUG: return "debug";
    case OMS_LOG_INFO: return "info";
    case OMS_LOG_WARN: return "warn";
    case OMS_LOG_ERROR: return "error";
  }
  return "info";
}
