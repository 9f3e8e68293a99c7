/*
 * common.h - definitions every oms header needs: symbol export, basic
 * limits and the injectable clock.
 *
 * liboms is built with hidden default visibility; only declarations marked
 * OMS_EXTERN are part of the ABI of the shared library.
 */
#ifndef OMS_COMMON_H
#define OMS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && __GNUC__ >= 4
#define OMS_EXTERN __attribute__((visibility("default")))
#else
#define OMS_EXTERN
#endif

#ifdef __cplusplus
#define OMS_BEGIN_DECLS extern "C" {
#define OMS_END_DECLS }
#else
#define OMS_BEGIN_DECLS
#define OMS_END_DECLS
#endif

OMS_BEGIN_DECLS

/* Identifiers (client order ids, strategy, account, symbol, venue ids) are
 * bounded so that an order is a fixed-size record that needs no allocation.
 * The buffers below hold the terminating NUL as well. */
#define OMS_ID_MAX 63      /* longest client_order_id, strategy, account */
#define OMS_SYMBOL_MAX 31  /* longest symbol */
#define OMS_VENUE_MAX 15   /* longest venue name */
#define OMS_REASON_MAX 191 /* longest human-readable reason text */

/* Time is nanoseconds since the Unix epoch (UTC) and always comes from an
 * oms_clock_t handed in by the caller, never from the system directly, so that
 * tests and backtests replay exactly. */
typedef struct oms_clock_s {
  int64_t (*now_ns)(void *ctx);
  void *ctx;
} oms_clock_t;

static inline int64_t oms_clock_now(const oms_clock_t *c) { return c->now_ns(c->ctx); }

/* The wall clock (CLOCK_REALTIME). */
OMS_EXTERN oms_clock_t oms_clock_realtime(void);

/* A clock that returns *t: tests and backtests move time by writing *t. The
 * caller owns t and keeps it alive as long as the clock is used. */
OMS_EXTERN oms_clock_t oms_clock_manual(int64_t *t);

OMS_END_DECLS

#endif /* OMS_COMMON_H */
