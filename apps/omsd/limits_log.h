/*
 * limits_log.h - runtime changes of the risk limits and their durable record
 * in the order store (oms_store_limit_append: the journal's LIMITS records,
 * projected into limit_changes; not installed; docs/admin-api.md, PUT
 * /v1/risk/limits).
 *
 * One change is one JSON line: {"seq","at_ns","who","scope","id","old",
 * "new","reason"}; "new" is what was set (the changed fields), "old" what
 * applied to them at that scope before. A change is stored (on the core
 * thread) and waited durable before it takes effect; at start the changes
 * are applied again, in order, over the limits the configuration built
 * (only "new": a field the change did not name comes from the configuration
 * as it is now). A <data_dir>/limits.log of an older omsd is imported once.
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

/* The changes in force, as stored. */
typedef struct omsd_limits_log_s {
  pthread_mutex_t change_mu;        /* one change at a time, from prepare to install */
  pthread_mutex_t mu;               /* guards the list (held for a copy only) */
  char path[OMS_CFG_PATH_MAX + 16]; /* <data_dir>/limits.log, imported once */
  uint64_t next_seq;                /* the next change's number (under change_mu) */
  omsd_limit_change_t *changes;
  size_t n, cap;
} omsd_limits_log_t;

/* Reads the changes stored in st and applies each over l, in order, then
 * imports <data_dir>/limits.log if there is one (its changes the store
 * lacks stored durably and applied, the file renamed limits.log.imported,
 * a warning logged). st NULL (--check-config): only limits.log is read,
 * nothing written. Returns 0 with *out, or -1 with the reason logged,
 * naming the seq (or the file and line) of a change that no longer
 * validates. A last line of limits.log without its newline (a write cut
 * short: it never took effect) is dropped. */
int omsd_limits_log_open(const oms_config_t *c, oms_risk_limits_t *l, oms_store_t *st,
                         omsd_limits_log_t **out);
/* Accepts NULL. */
void omsd_limits_log_close(omsd_limits_log_t *lg);

/* The number for the next change (each call a new one, so a change whose
 * storing failed half way never shares its number); lg->change_mu held. */
uint64_t omsd_limits_log_next_seq(omsd_limits_log_t *lg);
/* Lists ch, stored durably and installed. 0, or -1 (out of memory, logged). */
int omsd_limits_log_add(omsd_limits_log_t *lg, const omsd_limit_change_t *ch);

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
