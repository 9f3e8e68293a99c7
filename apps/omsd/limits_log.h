/*
 * limits_log.h - runtime changes of the risk limits and their durable log,
 * <data_dir>/limits.log (not installed; docs/admin-api.md, PUT /v1/risk/limits).
 *
 * One change is one JSON line: {"seq","at_ns","who","scope","id","old",
 * "new","reason"}; "new" is what was set (the changed fields), "old" what
 * applied to them at that scope before. A change is appended and
 * fdatasync'ed before it takes effect; at start the changes are applied
 * again, in order, over the limits the configuration built (only "new": a
 * field the change did not name comes from the configuration as it is now).
 */
#ifndef OMSD_LIMITS_LOG_H
#define OMSD_LIMITS_LOG_H

#include <jansson.h>
#include <pthread.h>

#include "omsd.h"

#define OMSD_LIMIT_REASON_MAX 200

/* One change as the API shows it: old_v and new_v are the changed fields as
 * they applied at the scope before and after (inherited from GLOBAL when
 * the scope did not set them itself). */
typedef struct omsd_limit_change_s {
  uint64_t seq; /* 1, 2, ... in the log */
  int64_t at_ns;
  char who[OMS_ID_MAX + 1]; /* the token's name; "" unknown */
  oms_risk_scope_t scope;
  char id[OMS_ID_MAX + 1]; /* "" for GLOBAL */
  oms_risk_limit_t set;    /* the fields asked for */
  oms_risk_limit_t old_v, new_v;
  char reason[OMSD_LIMIT_REASON_MAX + 1];
} omsd_limit_change_t;

/* The log and the changes since it was created. */
typedef struct omsd_limits_log_s {
  pthread_mutex_t change_mu; /* one change at a time, from prepare to install */
  pthread_mutex_t mu;        /* guards the list (held for a copy only) */
  int fd;                    /* appends; -1 under --check-config */
  char path[OMS_CFG_PATH_MAX + 16];
  omsd_limit_change_t *changes;
  size_t n, cap;
} omsd_limits_log_t;

/* Reads <data_dir>/limits.log (absent: no change) and applies each change
 * over l, in order. check_only: read only (nothing created or opened for
 * writing). Returns 0 with *out, or -1 with the reason logged, naming the
 * file and line of a change that no longer validates. A last line without
 * its newline (a write cut short: it never took effect) is dropped. */
int omsd_limits_log_open(const oms_config_t *c, oms_risk_limits_t *l, bool check_only,
                         omsd_limits_log_t **out);
/* Accepts NULL. */
void omsd_limits_log_close(omsd_limits_log_t *lg);

/* Appends ch (its seq is set here) as one line, fdatasyncs it and lists
 * it; lg->change_mu must be held. Returns 0, or -1 (logged): then nothing
 * was recorded. */
int omsd_limits_log_append(omsd_limits_log_t *lg, omsd_limit_change_t *ch);

/* One line of the log (its text, without the newline) into ch: seq, at_ns,
 * who, scope, id, reason and the fields set; old_v and new_v are left clear
 * (they depend on the limits the change is applied over), and nothing is
 * checked against the configuration (omsd_limit_change_check). 0, or -1
 * with why filled. */
int omsd_limit_change_parse(const char *text, size_t len, omsd_limit_change_t *ch, char *why,
                            size_t wcap);
/* ch as one line of the log (malloc'd, without the newline), or NULL. */
char *omsd_limit_change_line(const omsd_limit_change_t *ch);

/* The fields of mask as they apply at (scope, id) in l: the scope's own,
 * else GLOBAL's; a field neither sets is left out. */
void omsd_limit_effective(const oms_risk_limits_t *l, oms_risk_scope_t scope, const char *id,
                          uint32_t mask, oms_risk_limit_t *out);

/* ---- limits as JSON (the configuration's keys, oms/risk.h) -------------------------- */

/* The fields set in v, as {"max_order_qty":"100",...}: decimals as strings,
 * counts as numbers, durations in ms under their *_ms keys, with
 * collar_tick_size and daily_loss_action beside their fields. */
json_t *omsd_limit_to_json(const oms_risk_limit_t *v);
/* One change as the API shows it. */
json_t *omsd_limit_change_to_json(const omsd_limit_change_t *ch);

/* Reads a "limits" object into *v. Returns 0, or an error code
 * ("UNKNOWN_FIELD", "BAD_FIELD", "BAD_DECIMAL") with field (e.g.
 * "limits.max_order_qty") and why filled. */
const char *omsd_limit_from_json(json_t *obj, oms_risk_limit_t *v, char *field, size_t fcap,
                                 char *why, size_t wcap);

/* Checks a change against the configuration, as a start would: the scope's
 * id (a configured account, a configured instrument, a valid strategy id),
 * every field's value and scope, rates against capacity.rate_ring. Returns
 * NULL, or the error code with field and why filled. */
const char *omsd_limit_change_check(const oms_config_t *c, oms_risk_scope_t scope, const char *id,
                                    const oms_risk_limit_t *v, char *field, size_t fcap, char *why,
                                    size_t wcap);

/* "GLOBAL", "ACCOUNT", "STRATEGY", "SYMBOL" to the scope (-1: unknown). */
int omsd_limit_scope_parse(const char *s);

#endif /* OMSD_LIMITS_LOG_H */
