/*
 * admin_stubs.c - stand-ins for the admin routes and the events thread that
 * admin_events.c and admin_views.c provide: each answers 501
 * NOT_IMPLEMENTED. Weak, so the real definitions win when both are linked;
 * the merge of those files deletes this one.
 */
#include "admin.h"

#define STUB_ROUTE(name)                                                                   \
  __attribute__((weak)) void name(omsd_admin_t *a, const omsd_http_req_t *rq,              \
                                  omsd_http_resp_t *rs) {                                  \
    (void)a;                                                                               \
    omsd_http_fail(rs, OMSD_E_NOT_IMPLEMENTED, "%s %s is not implemented yet", rq->method, \
                   rq->path);                                                              \
  }

STUB_ROUTE(omsd_route_events)
STUB_ROUTE(omsd_route_events_stream)
STUB_ROUTE(omsd_route_positions)
STUB_ROUTE(omsd_route_risk)
STUB_ROUTE(omsd_route_limits_put)
STUB_ROUTE(omsd_route_limits_changes)
STUB_ROUTE(omsd_route_sessions)
STUB_ROUTE(omsd_route_metrics)

__attribute__((weak)) int omsd_events_start(omsd_t *d, struct omsd_metrics_s *m,
                                            omsd_events_t **out) {
  (void)d;
  (void)m;
  *out = NULL;
  return 0;
}

__attribute__((weak)) void omsd_events_stop(omsd_t *d, omsd_events_t *ev) {
  (void)d;
  (void)ev;
}
