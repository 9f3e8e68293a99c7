/*
 * world.h - the scenario tests' world: the OMS core (portfolio, risk and
 * engine over a store) on a manual clock with one BTC-USD instrument at a
 * venue, built as omsd builds it, so a scenario test states only what its
 * world does differently (the engine's bounds, its event callback, the
 * venue, the cash) and not the forty lines of setup every world shares.
 *
 * A test's own world_t opens with SCN_WORLD: the shared fields (now, dir,
 * store, e, risk, pf) stay plain members of the test's world, so the test
 * functions keep writing w->e and w->now, while the helpers here take the
 * same fields as &w->base. A "restart" is scn_halt then scn_boot over the
 * same store (and, for a journal store, scn_close_store and scn_open_store
 * over the same directory).
 */
#ifndef OMS_TEST_SCENARIO_WORLD_H
#define OMS_TEST_SCENARIO_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "oms/engine.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"

/* The first instant of every scenario's manual clock. */
#define SCN_T0 INT64_C(1764000000000000000)

#define SCN_WORLD_FIELDS                                                         \
  int64_t now;        /* the manual clock every part reads */                    \
  char dir[256];      /* the world's directory (store, venue state), or empty */ \
  char jdir[300];     /* the journal's directory and the projection's file, */   \
  char db[300];       /* kept here: a journal store reads them after the open */ \
  oms_store_t *store; /* survives a restart */                                   \
  oms_engine_t *e;                                                               \
  oms_risk_t *risk;                                                              \
  oms_portfolio_t *pf;

typedef struct scn_world_s {
  SCN_WORLD_FIELDS
} scn_world_t;

/* The shared fields, reachable both as w->e and as &w->base. */
#define SCN_WORLD      \
  union {              \
    scn_world_t base;  \
    struct {           \
      SCN_WORLD_FIELDS \
    };                 \
  }

typedef enum scn_store_kind_e {
  SCN_STORE_MEMORY,
  SCN_STORE_SQLITE,  /* dir/oms.db alone */
  SCN_STORE_JOURNAL, /* dir/journal with dir/oms.db as its projection */
} scn_store_kind_t;

/* What a world does differently; zero is the common case. */
typedef struct scn_spec_s {
  uint32_t max_orders; /* the engine's */
  uint32_t max_parents;
  uint32_t max_groups;
  void (*on_event)(void *ctx, const oms_event_t *ev);
  void *event_ctx;
  /* A venue of the test's own (a scripted fake), added as it is; NULL: the
   * simulated venue "SIM" with a liquidity provider around 65000 (spread 2
   * ticks, 3 levels of 1), 1 ms acks and fills, seed 42. */
  oms_venue_t *venue;
  uint32_t sim_max_orders;
  const char *sim_state; /* the simulated venue's state file, or NULL */
  const char *cash;      /* ACC1's cash */
  const char *cash2;     /* ACC2's cash, or NULL for none */
  /* When the cash and the reference price are set: the scenario's own
   * instant, or 0 for the clock's now. */
  int64_t stamp;
} scn_spec_t;

/* A fresh /tmp/oms-<name>-<tag>-<pid> (emptied first) as w->dir, and the
 * clock at SCN_T0. */
void scn_make_dir(scn_world_t *w, const char *name, const char *tag);
/* Removes w->dir and all in it. */
void scn_remove_dir(scn_world_t *w);

/* Opens w->store in w->dir; segment_bytes, when not 0, is the journal's
 * segment size. */
void scn_open_store(scn_world_t *w, scn_store_kind_t kind, uint64_t segment_bytes);

/* The sim symbol every world trades: BTC-USD with the provider above. */
void scn_lp_symbol(oms_sim_symbol_t *sym);

/* The portfolio and (when risk is not NULL) the risk engine every world
 * has: 8 accounts, strategies and symbols, 64 positions, 256 open orders. */
void scn_parts(oms_portfolio_t **pf, oms_risk_t **risk);

/* Builds the portfolio, risk (loose limits) and engine over w->store, adds
 * the instrument and the venue, and sets the cash and the reference price. */
void scn_boot(scn_world_t *w, const scn_spec_t *spec);

/* Destroys the engine (and the venues it owns), risk and portfolio; the
 * store stays. */
void scn_halt(scn_world_t *w);

/* The end of a world: scn_halt, the store closed and the directory (if
 * any) removed. */
void scn_destroy(scn_world_t *w);

#endif
