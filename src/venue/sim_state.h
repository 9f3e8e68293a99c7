/*
 * sim_state.h - the simulated venue's durable state: an append-only file of
 * fixed-size records saying what happened to the orders resting at the venue,
 * so a restarted venue (omsd's embedded simulator, or omsvenue) still holds
 * every working order, as a real exchange keeps its GTC orders, answers for
 * the orders it finished, and still delivers the fills and cancels whose
 * reports had not left when it stopped.
 *
 * This file knows the format only; sim_venue.c decides what to write and
 * folds the records back into its book (see the notes there). Private to
 * liboms.
 */
#ifndef OMS_VENUE_SIM_STATE_H
#define OMS_VENUE_SIM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "oms/common.h"

/* The kinds of record; the names are the file's vocabulary. */
#define OMS__SJ_KINDS(X)                                                            \
  X(EPOCH, 'E')   /* a start of the venue: vid = its number */                      \
  X(WORKING, 'W') /* an order working now, all of it; requeue: back of queue */     \
  X(FILL, 'F')    /* a fill that left the order working: filled is its new filled   \
                   * quantity, last_* the trade, exec its report's number */        \
  X(TRIGGER, 'T') /* a stop fired: it rests as a limit from here (back of queue) */ \
  X(DONE, 'D')    /* final: status says filled (last_* the last trade), cancelled   \
                   * or expired (reason); exec its report's number, 0 when the      \
                   * report is known delivered */                                   \
  X(SENT, 'S')    /* every report numbered up to exec was delivered */

enum {
#define SJ_ENUM(name, ch) OMS__SJ_##name = ch,
  OMS__SJ_KINDS(SJ_ENUM)
#undef SJ_ENUM
};

/* One record. filled and notional (the sum of qty x px over the order's
 * fills, raw x raw, as two halves) only grow, so a record read late never
 * takes an order back. */
typedef struct oms__sjrec_s {
  uint64_t check; /* hash of the rest: a torn or foreign record is not read */
  uint64_t order_id, vid;
  int64_t qty, filled, price, stop, expire_ns;
  uint64_t exec;                  /* FILL, DONE, SENT */
  int64_t last_qty, last_px, fee; /* FILL, DONE of a fill */
  int64_t ts_ns;                  /* FILL, DONE: the venue's time of the fact */
  uint64_t notional_lo;           /* the order's filled notional, low 64 bits */
  int64_t notional_hi;            /* and high */
  uint32_t inst;
  uint16_t reason; /* DONE: why cancelled (oms_reason_t) */
  uint8_t kind, side, type, tif;
  uint8_t requeue;
  uint8_t status; /* DONE: oms_venue_status_t */
  uint8_t liq;    /* FILL, DONE of a fill: 'M' or 'T' */
  char symbol[OMS_SYMBOL_MAX + 1];
} oms__sjrec_t;

typedef struct oms__sjournal_s oms__sjournal_t;

/* Reads every valid record of path into a new array (*out, *n; free with
 * oms__free). A missing file is 0 records, *existed false. Reading stops at
 * the first record that is short or fails its check (a write torn by a
 * crash). Returns 0, OMS_EIO, OMS_ENOMEM, or OMS_ECORRUPT when the file is
 * not empty and its first record fails (not a state file of this layout:
 * every file this code writes starts with a whole EPOCH, and reading it as
 * empty would number the start's ids from 0 again). */
int oms__sj_load(const char *path, oms__sjrec_t **out, size_t *n, int *existed);

/* Replaces path with recs (checks filled in here; written to path.tmp, synced,
 * renamed over it) and
 * opens it for appending. Returns 0, OMS_EIO or OMS_ENOMEM; *out NULL on
 * failure. */
int oms__sj_rewrite(const char *path, oms__sjrec_t *recs, size_t n, oms__sjournal_t **out);

/* Appends one record (check filled in here) through the file's mapping: in
 * the file once this returns, as far as a crash of the process goes.
 * Returns 0 or OMS_EIO when the file can not grow (sticky: every later call
 * fails too). */
int oms__sj_append(oms__sjournal_t *j, oms__sjrec_t *r);

/* 0, or OMS_EIO once an append failed. Nothing is buffered: records are in
 * the page cache as soon as appended (a kill -9 keeps them; a power cut is
 * not covered). */
int oms__sj_flush(oms__sjournal_t *j);

/* Unmaps, trims the file to its records and closes; accepts NULL. */
void oms__sj_close(oms__sjournal_t *j);

#endif /* OMS_VENUE_SIM_STATE_H */
