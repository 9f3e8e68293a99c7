/*
 * world.c - the scenario tests' shared world (world.h): the store, the
 * process (portfolio, risk, engine, instrument, venue) and its directory,
 * each step asserted, so a failure points at the setup and not at the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define MS INT64_C(1000000)

void scn_make_dir(scn_world_t *w, const char *name, const char *tag) {
  w->now = SCN_T0;
  snprintf(w->dir, sizeof w->dir, "/tmp/oms-%s-%s-%d", name, tag, (int)getpid());
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", w->dir, w->dir);
  assert_int_equal(system(cmd), 0);
}

void scn_remove_dir(scn_world_t *w) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
  assert_int_equal(system(cmd), 0);
}

void scn_open_store(scn_world_t *w, scn_store_kind_t kind, uint64_t segment_bytes) {
  snprintf(w->jdir, sizeof w->jdir, "%s/journal", w->dir);
  snprintf(w->db, sizeof w->db, "%s/oms.db", w->dir);
  switch (kind) {
    case SCN_STORE_MEMORY: assert_int_equal(oms_store_memory_create(NULL, &w->store), 0); break;
    case SCN_STORE_SQLITE: {
      oms_store_config_t c;
      oms_store_config_init(&c, w->db);
      c.durability = OMS_DURABILITY_OS;
      assert_int_equal(oms_store_sqlite_open(&c, &w->store), 0);
      break;
    }
    case SCN_STORE_JOURNAL: {
      oms_store_journal_config_t c;
      oms_store_journal_config_init(&c, w->jdir, w->db);
      c.durability = OMS_DURABILITY_OS;
      if (segment_bytes != 0) c.segment_bytes = segment_bytes;
      assert_int_equal(oms_store_journal_open(&c, &w->store), 0);
      break;
    }
  }
}

void scn_lp_symbol(oms_sim_symbol_t *sym) {
  memset(sym, 0, sizeof *sym);
  t_instrument(&sym->ins, "BTC-USD");
  sym->lp.enabled = true;
  sym->lp.ref_px = T_D("65000");
  sym->lp.spread_ticks = 2;
  sym->lp.levels = 3;
  sym->lp.size = T_D("1");
}

void scn_parts(oms_portfolio_t **pf, oms_risk_t **risk) {
  oms_portfolio_config_t pc = {.max_accounts = 8, .max_symbols = 8, .max_positions = 64};
  assert_int_equal(oms_portfolio_create(&pc, pf), 0);
  if (risk == NULL) return;
  oms_risk_config_t rc = {.max_accounts = 8,
                          .max_strategies = 8,
                          .max_symbols = 8,
                          .max_positions = 64,
                          .max_open_orders = 256};
  assert_int_equal(oms_risk_create(&rc, risk), 0);
}

void scn_boot(scn_world_t *w, const scn_spec_t *spec) {
  scn_parts(&w->pf, &w->risk);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = spec->max_orders,
                             .store = w->store,
                             .portfolio = w->pf,
                             .risk = w->risk,
                             .on_event = spec->on_event,
                             .event_ctx = spec->event_ctx,
                             .max_parents = spec->max_parents,
                             .max_groups = spec->max_groups};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_sim_symbol_t sym;
  oms_venue_t *venue = spec->venue;
  if (venue == NULL) {
    scn_lp_symbol(&sym);
    oms_sim_config_t sc = {.name = "SIM",
                           .clock = oms_clock_manual(&w->now),
                           .max_orders = spec->sim_max_orders,
                           .ack_latency_ns = 1 * MS,
                           .fill_latency_ns = 1 * MS,
                           .seed = 42,
                           .symbols = &sym,
                           .nsymbols = 1,
                           .state_path = spec->sim_state};
    assert_int_equal(oms_sim_venue_create(&sc, &venue), 0);
  } else {
    t_instrument(&sym.ins, "BTC-USD");
  }
  assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, venue, NULL), 0);
  int64_t at = spec->stamp != 0 ? spec->stamp : w->now;
  oms_portfolio_set_cash(w->pf, "ACC1", T_D(spec->cash), at);
  if (spec->cash2 != NULL) oms_portfolio_set_cash(w->pf, "ACC2", T_D(spec->cash2), at);
  oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("65000"), at);
  loose_limits(w->risk, NULL);
}

void scn_halt(scn_world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  w->e = NULL;
  w->risk = NULL;
  w->pf = NULL;
}

void scn_destroy(scn_world_t *w) {
  scn_halt(w);
  oms_store_close(w->store);
  w->store = NULL;
  if (w->dir[0] != '\0') scn_remove_dir(w);
}
