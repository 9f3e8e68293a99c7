/*
 * metrics.h - what omsd counts and measures, in Prometheus' text format
 * (GET /metrics; docs/admin-api.md).
 *
 * THREADS. Counters and histograms are fed by the admin events thread
 * (omsd_metrics_on_event) and the HTTP threads (omsd_metrics_on_request);
 * the gauges are copied on the core thread (omsd_metrics_snapshot) when
 * /metrics is asked for; rendering runs on the HTTP thread.
 */
#ifndef OMSD_METRICS_H
#define OMSD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "oms/common.h"
#include "oms/event.h"

typedef struct omsd_s omsd_t;
typedef struct omsd_metrics_s omsd_metrics_t;

int omsd_metrics_create(omsd_metrics_t **out);
void omsd_metrics_destroy(omsd_metrics_t *m);
/* Events thread: rejections, denials, fills, latencies from every event.
 * One thread only (its tables have no lock). */
void omsd_metrics_on_event(omsd_metrics_t *m, const oms_event_t *ev);
/* Any HTTP thread: one admin response. */
void omsd_metrics_on_request(omsd_metrics_t *m, int http_status);
/* Core thread, for GET /metrics: copies the gauges (engine, store, router, gateway). */
void omsd_metrics_snapshot(omsd_metrics_t *m, omsd_t *d);
/* HTTP thread: renders everything into a malloc'd text; returns its length or -1. */
long omsd_metrics_render(omsd_metrics_t *m, char **out);

/* Any thread (the admin server, when its command queue changes): the depth
 * of the admin command queue, shown as oms_queue_depth{queue="admin"}. */
void omsd_metrics_set_admin_queue(omsd_metrics_t *m, uint64_t depth);

/* Tests: the clock the events thread reads when an event reaches it (the
 * internal ack latency); oms_clock_realtime() by default, as the engine's.
 * Set it before the events thread starts. */
void omsd_metrics_set_clock(omsd_metrics_t *m, oms_clock_t clock);

/* The metric table, for the test that holds its naming rules: how many, and
 * metric i's name, type ("counter", "gauge", "histogram") and unit ("" or
 * "seconds"). omsd_metrics_def returns 0, or -1 past the end. */
size_t omsd_metrics_count(void);
int omsd_metrics_def(size_t i, const char **name, const char **type, const char **unit);

#endif /* OMSD_METRICS_H */
