/*
 * cluster.c - several omsd instances: this process owns its instance (the
 * accounts of cluster.accounts, its FIX sessions, its journal) only while
 * it holds the instance's lease (include/oms/lease.h, docs/deployment.md).
 *
 * HOW IT WORKS
 * Before anything is opened, omsd_cluster_acquire takes the lease of the
 * group store.instance as node cluster.node, or waits for it as a standby
 * (polling every lease_ms/4, SIGTERM/SIGINT still stop it). Only then does
 * omsd open the data directory (waiting for its lock if a paused former
 * owner still holds it: omsd_cluster_wait_dir) and run the ordinary start:
 * the journal, recovery, reconciliation with the venues, the FIX catch-up,
 * the listener. A standby is therefore the same program with the same
 * configuration on the same (shared) data directory, another node name and
 * another FIX port; a takeover is a restart of the instance elsewhere.
 *
 * While running, every new order asks omsd_cluster_admit (the engine's
 * admit hook): an account outside cluster.accounts is refused with
 * ACCOUNT_NOT_OWNED, any order while the lease is not held with LEASE_LOST
 * (as the loop last saw it: one map lookup per order, no clock read, which
 * costs 250-450 ns on this machine's virtual clock source).
 * Each loop turn asks omsd_cluster_may_act first: when the lease's deadline
 * passed (SUSPENDED: not renewed in time, e.g. PostgreSQL unreachable or
 * the process was paused) the loop does not poll the engine, so nothing is
 * routed to a venue and no report is acknowledged, until a renewal succeeds.
 * When the lease is LOST (another node took it: our token is fenced) the
 * daemon says so loudly, logs every session out and exits with status 3
 * after cluster.fenced_linger_ms (GET /healthz answers "fenced" meanwhile),
 * which releases the data directory to the new owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "oms/lease.h"
#include "omsd.h"

static void lease_log(void *ctx, int level, const char *text) {
  (void)ctx;
  omsd_log(level == 0   ? OMS_LOG_INFO
           : level == 1 ? OMS_LOG_WARN
                        : OMS_LOG_ERROR,
           "component=lease msg=\"%s\"", text);
}

/* Waits up to ns for SIGTERM/SIGINT (blocked: see main.c). True if one came. */
static bool signalled(int64_t ns) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
  int s = sigtimedwait(&mask, NULL, &ts);
  if (s > 0) {
    LOG_INFO("msg=\"stopped while waiting\" signal=%d", s);
    return true;
  }
  return false;
}

int omsd_cluster_acquire(omsd_t *d) {
  const oms_config_t *c = d->cfg;
  if (!c->cluster.enabled) return 0;
  if (oms__strmap_init(&d->owned, (uint32_t)c->cluster.naccounts, OMS_ID_MAX) != 0) return -1;
  for (size_t i = 0; i < c->cluster.naccounts; i++)
    if (oms__strmap_put(&d->owned, c->cluster.accounts[i], i) != 0) return -1;
  for (size_t i = 0; i < c->nsessions; i++) {
    uint64_t v;
    if (!oms__strmap_get(&d->owned, c->sessions[i].account, &v))
      LOG_WARN(
          "component=lease msg=\"FIX session trades an account this instance does not own: "
          "its orders will be refused (ACCOUNT_NOT_OWNED)\" session=%s account=%s",
          c->sessions[i].sender_comp_id, c->sessions[i].account);
  }
  oms_lease_config_t lc = {.conninfo = c->pg_conninfo,
                           .group = c->store_instance,
                           .node = c->cluster.node,
                           .ttl_ns = (int64_t)c->cluster.lease_ms * OMSD_MS,
                           .margin_ns = (int64_t)c->cluster.margin_ms * OMSD_MS,
                           .on_log = lease_log,
                           .ctx = d};
  int rc;
  /* PostgreSQL not up yet is a reason to wait, not to give up. */
  while ((rc = oms_lease_create(&lc, &d->lease)) == OMS_ESTORE)
    if (signalled(lc.ttl_ns / 4)) return 1;
  if (rc != 0) {
    LOG_ERROR("component=lease msg=\"cannot create the lease\" error=%s", oms_err_name(rc));
    return -1;
  }
  bool said = false;
  for (;;) {
    oms_lease_holder_t h;
    rc = oms_lease_try_acquire(d->lease, &h);
    if (rc == 0) {
      LOG_INFO(
          "component=lease msg=\"instance owned\" instance=%s node=%s token=%llu "
          "previous_node=%s previous_token=%llu accounts=%zu lease_ms=%u margin_ms=%u",
          c->store_instance, c->cluster.node, (unsigned long long)oms_lease_token(d->lease),
          h.token ? h.node : "none", (unsigned long long)h.token, c->cluster.naccounts,
          c->cluster.lease_ms, c->cluster.margin_ms);
      break;
    }
    if (rc == OMS_EBUSY && !said) {
      LOG_WARN(
          "component=lease msg=\"standby: the instance is owned by another node; waiting for "
          "its lease\" instance=%s node=%s owner=%s token=%llu expires_in_ms=%lld",
          c->store_instance, c->cluster.node, h.node, (unsigned long long)h.token,
          (long long)(h.remaining_ns / OMSD_MS));
      said = true;
    }
    if (signalled(lc.ttl_ns / 4)) return 1;
  }
  if ((rc = oms_lease_start(d->lease)) != 0) {
    LOG_ERROR("component=lease msg=\"cannot start the renewer\" error=%s", oms_err_name(rc));
    return -1;
  }
  return 0;
}

int omsd_cluster_wait_dir(omsd_t *d, bool *said) {
  if (!*said)
    LOG_WARN(
        "component=lease msg=\"the data directory is locked by another process (a former owner "
        "paused or stopping?): waiting\" data_dir=%s",
        d->cfg->data_dir);
  *said = true;
  if (oms_lease_state(d->lease, oms_lease_now_ns()) == OMS_LEASE_LOST) {
    LOG_ERROR("component=lease msg=\"fenced while waiting for the data directory\"");
    return -1;
  }
  return signalled(100 * OMSD_MS) ? -1 : 0;
}

int omsd_cluster_admit(void *ctx, const oms_order_request_t *req, oms_reject_t *rej) {
  omsd_t *d = ctx;
  uint64_t v;
  if (!oms__strmap_get(&d->owned, req->account_id, &v)) {
    oms_reject_set(rej, OMS_R_ACCOUNT_NOT_OWNED, "account %s is not owned by instance %s",
                   req->account_id, d->cfg->store_instance);
    return 1;
  }
  /* The loop asked the lease at the start of this turn (no clock read per
   * order: a turn is far shorter than the margin). */
  if (d->lease_seen != OMS_LEASE_HELD) {
    oms_reject_set(rej, OMS_R_LEASE_LOST, "instance %s: lease %s on node %s",
                   d->cfg->store_instance, oms_lease_state_name((oms_lease_state_t)d->lease_seen),
                   d->cfg->cluster.node);
    return 1;
  }
  return 0;
}

bool omsd_cluster_may_act(omsd_t *d) {
  if (d->lease == NULL) return true;
  int64_t now = oms_lease_now_ns();
  oms_lease_state_t s = oms_lease_state(d->lease, now);
  if ((int)s != d->lease_seen) {
    const oms_config_t *c = d->cfg;
    unsigned long long tok = (unsigned long long)oms_lease_token(d->lease);
    if (s == OMS_LEASE_HELD)
      LOG_WARN("component=lease msg=\"lease renewed: trading again\" instance=%s token=%llu",
               c->store_instance, tok);
    else if (s == OMS_LEASE_SUSPENDED)
      LOG_ERROR(
          "component=lease msg=\"lease not renewed before its deadline: trading halted (no "
          "order routed or acknowledged) until it is\" instance=%s node=%s token=%llu",
          c->store_instance, c->cluster.node, tok);
    d->lease_seen = (int)s;
    if (s == OMS_LEASE_LOST) {
      LOG_ERROR(
          "component=lease msg=\"FENCED: another node took the instance; trading halted, "
          "exiting\" instance=%s node=%s token=%llu linger_ms=%u",
          c->store_instance, c->cluster.node, tok, c->cluster.fenced_linger_ms);
      d->fenced = true;
      char why[128];
      snprintf(why, sizeof why, "omsd fenced: instance %s is owned by another node",
               c->store_instance);
      omsd_net_stop_accepting(d);
      (void)oms_gateway_logout_all(d->gw, why);
      d->stopping = true;
      d->stop_deadline = omsd_now_ns() + (int64_t)c->cluster.fenced_linger_ms * OMSD_MS;
    }
  }
  return s == OMS_LEASE_HELD;
}

void omsd_cluster_release(omsd_t *d) {
  oms__strmap_close(&d->owned);
  if (d->lease == NULL) return;
  if (!d->fenced) {
    int rc = oms_lease_release(d->lease);
    if (rc != 0) LOG_WARN("component=lease msg=\"lease not released\" error=%s", oms_err_name(rc));
  }
  oms_lease_destroy(d->lease);
  d->lease = NULL;
}

const char *omsd_cluster_state(const omsd_t *d, unsigned long long *token) {
  *token = 0;
  if (d->lease == NULL) return NULL;
  *token = (unsigned long long)oms_lease_token(d->lease);
  return oms_lease_state_name(oms_lease_state(d->lease, oms_lease_now_ns()));
}
