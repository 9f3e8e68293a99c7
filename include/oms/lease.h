/*
 * lease.h - who owns an omsd instance's accounts: a lease in PostgreSQL
 * with a fencing token (docs/deployment.md, "Several instances").
 *
 * WHAT IT IS. An ownership group (omsd's instance: its accounts, its FIX
 * sessions, its journal) is one row of the table oms_lease:
 *
 *     grp (the instance) | owner (the node) | token | expires_at
 *
 * A node takes the row when it is free or expired, and every take adds one
 * to the token: the token names one tenure, and a later tenure always has a
 * larger one. The owner renews the row (expires_at moved on, only if the
 * token is still its own) every ttl/4. Every write the owner makes to
 * PostgreSQL checks, in its own transaction, that its token is the row's
 * (OMS_LEASE_FENCE_SQL, FOR SHARE: a takeover waits for that transaction
 * and a transaction after the takeover sees the new token and aborts), so
 * the writes of a superseded owner are refused by the database itself.
 *
 * TIME. The database's clock decides when the row expires; the owner's own
 * clock (CLOCK_BOOTTIME: it runs through a SIGSTOP and a suspend of the
 * host) decides when the owner stops acting: the deadline of a renewal is
 * the moment before it was sent plus ttl minus margin, which is margin
 * before the earliest moment the database could let another node in (with
 * clocks that run at the same rate within margin/ttl). A paused owner
 * resumes past its deadline and stops before doing anything (the caller
 * checks oms_lease_state before each action); what it was doing at the very
 * moment of the pause is what the token is for.
 *
 * THREADS. create, try_acquire, start, release and destroy on one thread;
 * after start, a renewer thread owns the connection; state, token and
 * deadline from any thread (atomics).
 */
#ifndef OMS_LEASE_H
#define OMS_LEASE_H

#include <stdint.h>

#include "oms/common.h"

OMS_BEGIN_DECLS

typedef struct oms_lease_s oms_lease_t;

/* XX(NAME, "name"): where this node stands (oms_lease_state). */
#define OMS_LEASE_STATE_MAP(XX)                                                  \
  XX(STANDBY, "standby")     /* never held: waiting to take the group */         \
  XX(HELD, "held")           /* held, the deadline not reached: may act */       \
  XX(SUSPENDED, "suspended") /* not renewed before the deadline: must not act */ \
  XX(LOST, "lost")           /* another node took the group (a newer token): fenced */

typedef enum oms_lease_state_e {
#define OMS_LEASE_ENUM(name, str) OMS_LEASE_##name,
  OMS_LEASE_STATE_MAP(OMS_LEASE_ENUM)
#undef OMS_LEASE_ENUM
} oms_lease_state_t;

OMS_EXTERN const char *oms_lease_state_name(oms_lease_state_t s);

/* The check every fenced write runs inside its transaction: $1 the group;
 * one row, the current token (compare with your own), held FOR SHARE. */
#define OMS_LEASE_FENCE_SQL "SELECT token FROM oms_lease WHERE grp = $1 FOR SHARE"

typedef struct oms_lease_config_s {
  const char *conninfo; /* libpq connection string */
  const char *group;    /* the ownership group: omsd's instance */
  const char *node;     /* this process's name in the table */
  int64_t ttl_ns;       /* the row's life after each renewal; 0 = 3 s */
  int64_t margin_ns;    /* the owner stops this long before; 0 = ttl / 3 */
  /* A line for the log (0 info, 1 warn, 2 error), on the caller's or the
   * renewer's thread. NULL: not said. */
  void (*on_log)(void *ctx, int level, const char *text);
  void *ctx;
} oms_lease_config_t;

/* Who holds (or held) the group. */
typedef struct oms_lease_holder_s {
  char node[64];
  uint64_t token;       /* 0: nobody ever */
  int64_t remaining_ns; /* until the row expires (< 0: expired) */
} oms_lease_holder_t;

/* Connects and creates the table if missing. Returns 0, OMS_EINVAL,
 * OMS_ENOMEM or OMS_ESTORE (logged); *out NULL on failure. */
OMS_EXTERN int oms_lease_create(const oms_lease_config_t *cfg, oms_lease_t **out);

/* Takes the group if it is free or expired, with a new token. Returns 0
 * (prev: who had it before, token 0 if nobody), OMS_EBUSY (prev: the
 * holder) or OMS_ESTORE (the database unreachable). */
OMS_EXTERN int oms_lease_try_acquire(oms_lease_t *l, oms_lease_holder_t *prev);

/* Renews once (the renewer does it by itself after start). Returns 0 (the
 * deadline moved on), OMS_EFENCED (the token is no longer the row's: the
 * state is LOST for good) or OMS_ESTORE (unreachable: deadline unchanged). */
OMS_EXTERN int oms_lease_renew(oms_lease_t *l);

/* Starts the renewer thread (after a successful acquire). 0 or OMS_ESTATE. */
OMS_EXTERN int oms_lease_start(oms_lease_t *l);

/* The clock of deadlines (CLOCK_BOOTTIME, ns). */
OMS_EXTERN int64_t oms_lease_now_ns(void);

/* Where this node stands at now (oms_lease_now_ns). Lock-free. */
OMS_EXTERN oms_lease_state_t oms_lease_state(const oms_lease_t *l, int64_t now_ns);

/* The token of this node's tenure (0 before an acquire). */
OMS_EXTERN uint64_t oms_lease_token(const oms_lease_t *l);

/* The moment (oms_lease_now_ns) until which this node may act. */
OMS_EXTERN int64_t oms_lease_deadline_ns(const oms_lease_t *l);

/* Stops the renewer and, if the token is still the row's, expires the row
 * at once so that a standby takes over without waiting for the ttl (a
 * graceful stop). 0, OMS_EFENCED or OMS_ESTORE. */
OMS_EXTERN int oms_lease_release(oms_lease_t *l);

/* Stops the renewer and frees l (the row is left to expire). Accepts NULL. */
OMS_EXTERN void oms_lease_destroy(oms_lease_t *l);

OMS_END_DECLS

#endif /* OMS_LEASE_H */
