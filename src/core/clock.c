/*
 * clock.c - the two clocks liboms ships: the wall clock for production and a
 * manual clock that tests and backtests drive by hand.
 */
#include <time.h>

#include "oms/common.h"

static int64_t realtime_now(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t manual_now(void *ctx) { return *(const int64_t *)ctx; }

oms_clock_t oms_clock_realtime(void) { return (oms_clock_t){realtime_now, NULL}; }

oms_clock_t oms_clock_manual(int64_t *t) { return (oms_clock_t){manual_now, t}; }
