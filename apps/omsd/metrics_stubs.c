/*
 * metrics_stubs.c - stand-ins for the metrics (metrics.h) that the events
 * thread and GET /metrics call, until apps/omsd/metrics.c is merged: they
 * count nothing and render an empty page. Weak, so the real definitions win
 * when both are linked; the merge of metrics.c deletes this file.
 */
#include <stdlib.h>

#include "metrics.h"

__attribute__((weak)) void omsd_metrics_on_event(omsd_metrics_t *m, const oms_event_t *ev) {
  (void)m;
  (void)ev;
}

__attribute__((weak)) void omsd_metrics_snapshot(omsd_metrics_t *m, omsd_t *d) {
  (void)m;
  (void)d;
}

__attribute__((weak)) long omsd_metrics_render(omsd_metrics_t *m, char **out) {
  (void)m;
  *out = calloc(1, 1);
  return *out != NULL ? 0 : -1;
}
