/*
 * limits_log.c - runtime risk-limit changes: their JSON form, their checks,
 * and their durable record in the order store (oms_store_limit_append: a
 * LIMITS record of the journal, a row of limit_changes), which re-applies
 * them at start (limits_log.h).
 *
 * HOW IT WORKS
 * The JSON keys and kinds come from the one table of limit fields
 * (OMS_RISK_LIMIT_FIELDS in oms/risk.h), as the configuration's do, so a
 * limit is spelled the same in omsd.conf, the API and the log. A change is
 * checked as the configuration would check it (omsd_limit_change_check: the
 * scope's id is configured, each field alone passes oms_risk_limits_set, a
 * rate fits the throttle ring), which names the field at fault.
 *
 * A change is one JSON object, one line (omsd_limit_change_line), stored
 * through the store as the journal's LIMITS record on the core thread and
 * waited durable before it is installed (the admin API, admin_views.c).
 * omsd_wire reads the stored changes before recovery and applies each
 * change's "new" over the limits the configuration built; a change that no
 * longer validates (the account or symbol left the configuration, a value
 * the new capacity refuses) stops the start with its seq, so an operator
 * decides rather than omsd silently running with other limits than the
 * ones last set.
 *
 * <data_dir>/limits.log, where the changes were kept before the journal
 * (one such line each), is imported once: its changes not yet in the store
 * are stored (durable) in order, then the file is renamed
 * limits.log.imported, with a warning. A line whose seq the store already
 * holds with the same time is one an interrupted import stored already;
 * any other clash stops the start (the two histories disagree).
 */
#include "limits_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS INT64_C(1000000)
#define MAX_MS (INT64_C(86400000) * 366)
#define LINE_MAX_BYTES 16384
#define IMPORT_WAIT_NS INT64_C(10000000000) /* a store that does not sync in 10 s is failing */
#define RATE_BITS                                                                        \
  (OMS_RL_ORDER_RATE_ACCOUNT | OMS_RL_ORDER_RATE_STRATEGY | OMS_RL_CANCEL_RATE_ACCOUNT | \
   OMS_RL_CANCEL_RATE_STRATEGY)

static const char *const scope_names[] = {"GLOBAL", "ACCOUNT", "STRATEGY", "SYMBOL"};

static const char *scope_name(oms_risk_scope_t s) {
  return (unsigned)s < 4 ? scope_names[s] : "UNKNOWN";
}

int omsd_limit_scope_parse(const char *s) {
  for (int i = 0; i < 4; i++)
    if (s != NULL && strcmp(s, scope_names[i]) == 0) return i;
  return -1;
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *dec_json(oms_dec_t d) {
  char buf[OMS_DEC_STRLEN];
  oms_dec_format(d, buf, sizeof buf);
  return json_string(buf);
}

json_t *omsd_limit_to_json(const oms_risk_limit_t *v) {
  json_t *o = json_object();
  if (o == NULL) return NULL;
  for (size_t i = 0; i < OMS_RL_NFIELDS; i++) {
    if (!(v->set & oms_risk_limit_fields[i].bit)) continue;
    const char *p = (const char *)v + oms_risk_limit_fields[i].offset;
    json_t *x;
    switch (oms_risk_limit_fields[i].kind) {
      case OMS_RL_KIND_DEC: x = dec_json(*(const oms_dec_t *)p); break;
      case OMS_RL_KIND_U32: x = json_integer(*(const uint32_t *)p); break;
      default: x = json_integer(*(const int64_t *)p / MS); break;
    }
    json_object_set_new(o, oms_risk_limit_fields[i].key, x);
  }
  if (v->set & OMS_RL_COLLAR_TICKS)
    json_object_set_new(o, "collar_tick_size", dec_json(v->tick_size));
  if (v->set & OMS_RL_DAILY_LOSS)
    json_object_set_new(
        o, "daily_loss_action",
        json_string(v->daily_loss_action == OMS_TRADING_REDUCE_ONLY ? "reduce_only" : "halt"));
  return o;
}

json_t *omsd_limit_change_to_json(const omsd_limit_change_t *ch) {
  return json_pack("{s:I,s:I,s:s,s:s,s:s,s:o,s:o,s:s}", "seq", (json_int_t)ch->seq, "at_ns",
                   (json_int_t)ch->at_ns, "who", ch->who, "scope", scope_name(ch->scope), "id",
                   ch->id, "old", omsd_limit_to_json(&ch->old_v), "new",
                   omsd_limit_to_json(&ch->new_v), "reason", ch->reason);
}

void omsd_limit_effective(const oms_risk_limits_t *l, oms_risk_scope_t scope, const char *id,
                          uint32_t mask, oms_risk_limit_t *out) {
  oms_risk_eff_limits_t eff;
  oms_risk_limits_resolve(l, scope == OMS_RISK_SCOPE_ACCOUNT ? id : NULL,
                          scope == OMS_RISK_SCOPE_STRATEGY ? id : NULL,
                          scope == OMS_RISK_SCOPE_SYMBOL ? id : NULL, &eff);
  *out = eff.v;
  out->set &= mask;
}

/* A whole number from a JSON integer or a string of digits. */
static bool whole(json_t *x, long long lo, long long hi, long long *out) {
  long long v;
  if (json_is_integer(x)) {
    v = (long long)json_integer_value(x);
  } else if (json_is_string(x)) {
    const char *s = json_string_value(x);
    char *end;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) return false;
  } else {
    return false;
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* A decimal from a string (or a JSON integer). 0 or the error code. */
static const char *decimal(json_t *x, oms_dec_t *out) {
  if (json_is_integer(x)) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
    return oms_dec_parse_cstr(buf, out) == 0 ? NULL : "BAD_DECIMAL";
  }
  if (!json_is_string(x)) return "BAD_FIELD";
  return oms_dec_parse_cstr(json_string_value(x), out) == 0 ? NULL : "BAD_DECIMAL";
}

const char *omsd_limit_from_json(json_t *obj, oms_risk_limit_t *v, char *field, size_t fcap,
                                 char *why, size_t wcap) {
  memset(v, 0, sizeof *v);
  if (!json_is_object(obj) || json_object_size(obj) == 0) {
    snprintf(field, fcap, "limits");
    snprintf(why, wcap, "limits must be an object with at least one limit");
    return "BAD_FIELD";
  }
  const char *key;
  json_t *x;
  bool have_ticks = false, have_action = false;
  json_object_foreach(obj, key, x) {
    snprintf(field, fcap, "limits.%s", key);
    if (strcmp(key, "collar_tick_size") == 0) {
      const char *code = decimal(x, &v->tick_size);
      if (code != NULL) {
        snprintf(why, wcap, "%s must be a decimal string such as \"0.01\"", field);
        return code;
      }
      have_ticks = true;
      continue;
    }
    if (strcmp(key, "daily_loss_action") == 0) {
      const char *a = json_string_value(x);
      if (a != NULL && strcmp(a, "halt") == 0)
        v->daily_loss_action = OMS_TRADING_HALTED;
      else if (a != NULL && strcmp(a, "reduce_only") == 0)
        v->daily_loss_action = OMS_TRADING_REDUCE_ONLY;
      else {
        snprintf(why, wcap, "%s must be \"halt\" or \"reduce_only\"", field);
        return "BAD_FIELD";
      }
      have_action = true;
      continue;
    }
    size_t i = 0;
    while (i < OMS_RL_NFIELDS && strcmp(oms_risk_limit_fields[i].key, key) != 0) i++;
    if (i == OMS_RL_NFIELDS) {
      snprintf(why, wcap, "%s is not a limit (the configuration's keys: max_order_qty, ...)",
               field);
      return "UNKNOWN_FIELD";
    }
    char *dst = (char *)v + oms_risk_limit_fields[i].offset;
    long long n;
    switch (oms_risk_limit_fields[i].kind) {
      case OMS_RL_KIND_DEC: {
        const char *code = decimal(x, (oms_dec_t *)dst);
        if (code != NULL) {
          snprintf(why, wcap, "%s must be a decimal string such as \"100\"", field);
          return code;
        }
        break;
      }
      case OMS_RL_KIND_U32:
        if (!whole(x, 1, UINT32_MAX, &n)) {
          snprintf(why, wcap, "%s must be a whole number from 1 to %u", field, UINT32_MAX);
          return "BAD_FIELD";
        }
        *(uint32_t *)dst = (uint32_t)n;
        break;
      default:
        if (!whole(x, 1, MAX_MS, &n)) {
          snprintf(why, wcap, "%s must be a whole number of ms from 1 to %" PRId64, field, MAX_MS);
          return "BAD_FIELD";
        }
        *(int64_t *)dst = n * MS;
        break;
    }
    v->set |= oms_risk_limit_fields[i].bit;
  }
  if ((v->set & OMS_RL_COLLAR_TICKS) && !have_ticks) {
    snprintf(field, fcap, "limits.collar_tick_size");
    snprintf(why, wcap, "limits.collar_ticks needs limits.collar_tick_size");
    return "BAD_FIELD";
  }
  if (have_ticks && !(v->set & OMS_RL_COLLAR_TICKS)) {
    snprintf(field, fcap, "limits.collar_tick_size");
    snprintf(why, wcap, "limits.collar_tick_size goes with limits.collar_ticks");
    return "BAD_FIELD";
  }
  if (have_action && !(v->set & OMS_RL_DAILY_LOSS)) {
    snprintf(field, fcap, "limits.daily_loss_action");
    snprintf(why, wcap, "limits.daily_loss_action goes with limits.daily_loss");
    return "BAD_FIELD";
  }
  if ((v->set & OMS_RL_DAILY_LOSS) && !have_action) v->daily_loss_action = OMS_TRADING_HALTED;
  return NULL;
}

/* ---- checks --------------------------------------------------------------------------- */

const char *omsd_limit_change_check(const oms_config_t *c, oms_risk_scope_t scope, const char *id,
                                    const oms_risk_limit_t *v, char *field, size_t fcap, char *why,
                                    size_t wcap) {
  bool known = scope != OMS_RISK_SCOPE_ACCOUNT && scope != OMS_RISK_SCOPE_SYMBOL;
  for (size_t i = 0; scope == OMS_RISK_SCOPE_ACCOUNT && i < c->naccounts; i++)
    if (strcmp(c->accounts[i].id, id) == 0) known = true;
  for (size_t i = 0; scope == OMS_RISK_SCOPE_SYMBOL && i < c->ninstruments; i++)
    if (strcmp(c->instruments[i].ins.symbol, id) == 0) known = true;
  if (!known) {
    snprintf(field, fcap, "id");
    snprintf(why, wcap, "id: %s '%s' is not in the configuration's %s", scope_name(scope), id,
             scope == OMS_RISK_SCOPE_ACCOUNT ? "accounts" : "instruments");
    return "BAD_FIELD";
  }
  oms_risk_limits_t *scratch;
  if (oms_risk_limits_create(&scratch) != 0) {
    snprintf(field, fcap, "limits");
    snprintf(why, wcap, "out of memory");
    return "INTERNAL";
  }
  const char *code = NULL;
  oms_reject_t err;
  for (size_t i = 0; code == NULL && i < OMS_RL_NFIELDS; i++) {
    if (!(v->set & oms_risk_limit_fields[i].bit)) continue;
    oms_risk_limit_t one = *v;
    one.set = oms_risk_limit_fields[i].bit;
    snprintf(field, fcap, "limits.%s", oms_risk_limit_fields[i].key);
    memset(&err, 0, sizeof err);
    if (oms_risk_limits_set(scratch, scope, id, &one, &err) != 0) {
      snprintf(why, wcap, "%s: %s", field, err.text);
      code = "BAD_FIELD";
      break;
    }
    uint32_t ring = c->cap.rate_ring ? c->cap.rate_ring : 256;
    if (oms_risk_limit_fields[i].bit & RATE_BITS) {
      uint32_t rate = *(const uint32_t *)((const char *)v + oms_risk_limit_fields[i].offset);
      if (rate > ring) {
        snprintf(why, wcap, "%s: %u is more than the throttle ring holds (capacity.rate_ring = %u)",
                 field, rate, ring);
        code = "BAD_FIELD";
      }
    }
  }
  oms_risk_limits_destroy(scratch);
  return code;
}

/* ---- the record ------------------------------------------------------------------- */

static int remember(omsd_limits_log_t *lg, const omsd_limit_change_t *ch) {
  if (lg->n == lg->cap) {
    size_t cap = lg->cap ? lg->cap * 2 : 16;
    omsd_limit_change_t *p = realloc(lg->changes, cap * sizeof *p);
    if (p == NULL) return -1;
    lg->changes = p;
    lg->cap = cap;
  }
  lg->changes[lg->n++] = *ch;
  if (ch->seq >= lg->next_seq) lg->next_seq = ch->seq + 1;
  return 0;
}

static void copy_str(char *dst, size_t cap, const char *s) {
  snprintf(dst, cap, "%s", s != NULL ? s : "");
}

int omsd_limit_change_parse(const char *text, size_t len, omsd_limit_change_t *ch, char *why,
                            size_t wcap) {
  memset(ch, 0, sizeof *ch);
  json_error_t je;
  json_t *j = json_loadb(text, len, 0, &je);
  if (j == NULL) {
    snprintf(why, wcap, "not JSON: %s", je.text);
    return -1;
  }
  int rc = -1;
  json_int_t seq = 0, at = 0;
  const char *who = NULL, *scope = NULL, *id = NULL, *reason = NULL;
  json_t *old_v = NULL, *set = NULL;
  if (json_unpack_ex(j, &je, 0, "{s:I,s:I,s?s,s:s,s?s,s?o,s:o,s?s}", "seq", &seq, "at_ns", &at,
                     "who", &who, "scope", &scope, "id", &id, "old", &old_v, "new", &set, "reason",
                     &reason) != 0) {
    snprintf(why, wcap, "%s", je.text);
    goto out;
  }
  int sc = omsd_limit_scope_parse(scope);
  if (sc < 0) {
    snprintf(why, wcap, "scope \"%s\" is not GLOBAL, ACCOUNT, STRATEGY or SYMBOL", scope);
    goto out;
  }
  if (seq < 1) {
    snprintf(why, wcap, "seq must be 1 or more");
    goto out;
  }
  ch->seq = (uint64_t)seq;
  ch->at_ns = at;
  ch->scope = (oms_risk_scope_t)sc;
  copy_str(ch->who, sizeof ch->who, who);
  copy_str(ch->id, sizeof ch->id, sc == OMS_RISK_SCOPE_GLOBAL ? "" : id);
  copy_str(ch->reason, sizeof ch->reason, reason);
  char field[64], detail[256];
  if (omsd_limit_from_json(set, &ch->set, field, sizeof field, detail, sizeof detail) != NULL) {
    snprintf(why, wcap, "%s", detail);
    goto out;
  }
  rc = 0;
out:
  json_decref(j);
  return rc;
}

char *omsd_limit_change_line(const omsd_limit_change_t *ch) {
  json_t *j = omsd_limit_change_to_json(ch);
  char *text = j == NULL ? NULL : json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(j);
  return text;
}

/* One stored line back into a change, checked against the configuration
 * as a start would and applied over l. 0, or -1 with why filled. */
static int replay_line(const oms_config_t *c, oms_risk_limits_t *l, const char *text, size_t len,
                       omsd_limit_change_t *ch, char *why, size_t wcap) {
  if (omsd_limit_change_parse(text, len, ch, why, wcap) != 0) return -1;
  char field[64], detail[256];
  if (omsd_limit_change_check(c, ch->scope, ch->id, &ch->set, field, sizeof field, detail,
                              sizeof detail) != NULL) {
    snprintf(why, wcap, "%s", detail);
    return -1;
  }
  oms_reject_t err;
  memset(&err, 0, sizeof err);
  omsd_limit_effective(l, ch->scope, ch->id, ch->set.set, &ch->old_v);
  if (oms_risk_limits_set(l, ch->scope, ch->id, &ch->set, &err) != 0) {
    snprintf(why, wcap, "%s", err.text);
    return -1;
  }
  omsd_limit_effective(l, ch->scope, ch->id, ch->set.set, &ch->new_v);
  return 0;
}

typedef struct replay_s {
  const oms_config_t *c;
  oms_risk_limits_t *l;
  omsd_limits_log_t *lg;
} replay_t;

static int replay_row(void *ctx, const oms_limit_change_row_t *row) {
  replay_t *r = ctx;
  omsd_limit_change_t ch;
  char why[512];
  if (replay_line(r->c, r->l, row->line, row->len, &ch, why, sizeof why) != 0) {
    LOG_ERROR(
        "msg=\"a stored risk limit change no longer validates; fix the configuration\" "
        "seq=%llu detail=\"%s\"",
        (unsigned long long)row->seq, why);
    return 1;
  }
  ch.seq = row->seq; /* the store's number is the change's */
  return remember(r->lg, &ch) != 0 ? 1 : 0;
}

/* The stored change numbered seq, or NULL. */
static const omsd_limit_change_t *stored(const omsd_limits_log_t *lg, uint64_t seq) {
  for (size_t i = 0; i < lg->n; i++)
    if (lg->changes[i].seq == seq) return &lg->changes[i];
  return NULL;
}

/* Stores one change durably from the thread that opens (no core loop yet). */
static int store_now(oms_store_t *st, const omsd_limit_change_t *ch, const char *line) {
  uint64_t t = 0;
  int rc = oms_store_limit_append(st, ch->seq, ch->at_ns, ch->who, line, strlen(line), &t);
  if (rc == 0) rc = oms_store_wait(st, t, IMPORT_WAIT_NS);
  if (rc != 0)
    LOG_ERROR("msg=\"limits.log: cannot store a change\" seq=%llu error=%s",
              (unsigned long long)ch->seq, oms_err_name(rc));
  return rc;
}

/* Reads <data_dir>/limits.log (if any) into lg over l: every line when st
 * is NULL (--check-config), else the lines the store lacks, stored. Sets
 * *imported to the changes stored. 0 or -1 (logged). */
static int read_file(const oms_config_t *c, oms_risk_limits_t *l, omsd_limits_log_t *lg,
                     oms_store_t *st, size_t *imported) {
  *imported = 0;
  FILE *f = fopen(lg->path, "r");
  if (f == NULL) {
    if (errno == ENOENT) return 0;
    char obj[sizeof lg->path + 8];
    snprintf(obj, sizeof obj, "path=%s", lg->path);
    omsd_log_sys(OMS_LOG_ERROR, "open", obj, errno);
    return -1;
  }
  char *line = malloc(LINE_MAX_BYTES);
  if (line == NULL) {
    fclose(f);
    return -1;
  }
  int lineno = 0, bad = 0;
  while (!bad && fgets(line, LINE_MAX_BYTES, f) != NULL) {
    lineno++;
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != '\n') {
      if (feof(f)) { /* cut short by a crash: it never took effect */
        LOG_WARN("msg=\"limits.log: an unfinished last line is dropped\" file=%s:%d", lg->path,
                 lineno);
        break;
      }
      LOG_ERROR("msg=\"limits.log: line too long\" file=%s:%d", lg->path, lineno);
      bad = 1;
      break;
    }
    line[n - 1] = '\0';
    if (line[0] == '\0') continue;
    omsd_limit_change_t ch;
    char why[512];
    if (replay_line(c, l, line, n - 1, &ch, why, sizeof why) != 0) {
      LOG_ERROR(
          "msg=\"limits.log: a change no longer validates; fix or remove the line\" "
          "file=%s:%d detail=\"%s\"",
          lg->path, lineno, why);
      bad = 1;
      break;
    }
    const omsd_limit_change_t *had = st != NULL ? stored(lg, ch.seq) : NULL;
    if (had != NULL) {
      if (had->at_ns == ch.at_ns) continue; /* an interrupted import stored it */
      LOG_ERROR(
          "msg=\"limits.log and the stored limit changes disagree: move limits.log away to "
          "keep the stored ones\" file=%s:%d seq=%llu",
          lg->path, lineno, (unsigned long long)ch.seq);
      bad = 1;
      break;
    }
    if (st != NULL) {
      if (ch.seq < lg->next_seq) ch.seq = lg->next_seq; /* after the stored ones */
      char *text = omsd_limit_change_line(&ch);
      int rc = text == NULL ? -1 : store_now(st, &ch, text);
      free(text);
      if (rc != 0) {
        bad = 1;
        break;
      }
      (*imported)++;
    }
    if (remember(lg, &ch) != 0) bad = 1;
  }
  free(line);
  fclose(f);
  return bad ? -1 : 0;
}

int omsd_limits_log_open(const oms_config_t *c, oms_risk_limits_t *l, oms_store_t *st,
                         omsd_limits_log_t **out) {
  *out = NULL;
  omsd_limits_log_t *lg = calloc(1, sizeof *lg);
  if (lg == NULL) return -1;
  pthread_mutex_init(&lg->change_mu, NULL);
  pthread_mutex_init(&lg->mu, NULL);
  lg->next_seq = 1;
  snprintf(lg->path, sizeof lg->path, "%s/limits.log", c->data_dir);
  if (st != NULL) {
    replay_t r = {c, l, lg};
    int rc = oms_store_limit_changes(st, replay_row, &r);
    if (rc != 0) {
      if (rc != 1)
        LOG_ERROR("msg=\"cannot read the stored risk limit changes\" error=%s", oms_err_name(rc));
      goto fail;
    }
  }
  size_t imported = 0;
  if (read_file(c, l, lg, st, &imported) != 0) goto fail;
  if (st != NULL && access(lg->path, F_OK) == 0) {
    char to[sizeof lg->path + 16];
    snprintf(to, sizeof to, "%s.imported", lg->path);
    if (rename(lg->path, to) != 0) {
      char obj[sizeof lg->path + 8];
      snprintf(obj, sizeof obj, "path=%s", lg->path);
      omsd_log_sys(OMS_LOG_ERROR, "rename", obj, errno);
      goto fail;
    }
    LOG_WARN(
        "msg=\"limits.log imported into the store; the file is kept as limits.log.imported and "
        "no longer read\" path=%s changes=%zu",
        lg->path, imported);
  }
  if (lg->n > 0) LOG_INFO("msg=\"risk limit changes re-applied\" changes=%zu", lg->n);
  *out = lg;
  return 0;
fail:
  omsd_limits_log_close(lg);
  return -1;
}

void omsd_limits_log_close(omsd_limits_log_t *lg) {
  if (lg == NULL) return;
  free(lg->changes);
  pthread_mutex_destroy(&lg->change_mu);
  pthread_mutex_destroy(&lg->mu);
  free(lg);
}

uint64_t omsd_limits_log_next_seq(omsd_limits_log_t *lg) { return lg->next_seq++; }

int omsd_limits_log_add(omsd_limits_log_t *lg, const omsd_limit_change_t *ch) {
  pthread_mutex_lock(&lg->mu);
  int rc = remember(lg, ch);
  pthread_mutex_unlock(&lg->mu);
  if (rc != 0)
    LOG_ERROR("msg=\"out of memory listing a limit change\" seq=%llu", (unsigned long long)ch->seq);
  return rc;
}
