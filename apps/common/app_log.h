/*
 * app_log.h - the programs' log and wall clock, shared by omsd and omsvenue
 * (not installed; apps/common is compiled into every program under apps/).
 *
 * One key=value line per event on stderr,
 * `ts=2026-11-24T10:00:00.000000Z level=info msg=... key=value ...`; failed
 * system calls all go through app_log_sys, which names the call, the object
 * and errno the same way in every program.
 */
#ifndef APP_LOG_H
#define APP_LOG_H

#include <stdint.h>

#include "config/config.h"

extern oms_log_level_t app_log_level;

/* One line "ts=... level=... " + fmt on stderr, if lvl is enabled. */
void app_log(oms_log_level_t lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A failed system call: `msg="CALL failed" call=CALL OBJECT errno=N
 * err="..."`; object is key=value text naming what it was called on. */
void app_log_sys(oms_log_level_t lvl, const char *call, const char *object, int err);

#define LOG_DEBUG(...) app_log(OMS_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) app_log(OMS_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) app_log(OMS_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) app_log(OMS_LOG_ERROR, __VA_ARGS__)

/* CLOCK_REALTIME in ns. */
int64_t app_now_ns(void);

#endif /* APP_LOG_H */
