/*
 * app_log.c - the programs' log (app_log.h): one key=value line per event on
 * stderr, `ts=2026-11-24T10:00:00.000000Z level=info msg=... key=value ...`.
 *
 * A line is formatted into a stack buffer and written with one fprintf, so
 * lines from the core thread and the store's writer thread (its error
 * callback) do not interleave. Failed system calls all go through
 * app_log_sys, which names the call, the object and errno the same way
 * everywhere.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app_log.h"

oms_log_level_t app_log_level = OMS_LOG_INFO;

int64_t app_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void app_log(oms_log_level_t lvl, const char *fmt, ...) {
  if (lvl < app_log_level) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char line[1024];
  int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ts.tv_nsec / 1000, oms_log_level_name(lvl));
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s\n", line);
}

void app_log_sys(oms_log_level_t lvl, const char *call, const char *object, int err) {
  app_log(lvl, "msg=\"%s failed\" call=%s %s errno=%d err=\"%s\"", call, call, object, err,
          strerror(err));
}
