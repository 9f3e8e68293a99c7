/* Tests for src/order/order_fsm.c: every (state, event) pair against an
 * expectation written out independently here, the races real venues
 * produce, and a seeded property test of the quantity invariants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms_test.h"
#include "order/order_internal.h"

enum { PEN, SUB, ACC, PAR, FIL, CXL, REJ, PCX, PRP, EXP, TRG };

static oms_order_t fresh(void) {
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_BUY, OMS_ORD_STOP_LIMIT, "10", "101");
  req.stop_price = T_D("100");
  oms_order_t o;
  oms_order_init(&o, 1, &req, 1000);
  return o;
}

static void ok(oms_order_t *o, oms_ord_event_t e) {
  oms_ord_change_t ch = {.event = e, .ts_ns = 2000 + o->audit_count};
  if (e == OMS_EV_FILL) {
    ch.fill_qty = T_D("1");
    ch.fill_px = T_D("100");
  }
  if (e == OMS_EV_REPLACE_REQUEST) ch.new_qty = T_D("12");
  assert_int_equal(oms_order_apply(o, &ch, NULL), 0);
}

static void fill(oms_order_t *o, const char *q, const char *px, int want) {
  oms_ord_change_t ch = {.event = OMS_EV_FILL, .fill_qty = T_D(q), .fill_px = T_D(px)};
  assert_int_equal(oms_order_apply(o, &ch, NULL), want);
}

/* An order in state s, reached through the normal path. */
static oms_order_t in_state(int s) {
  oms_order_t o = fresh();
  if (s == PEN) return o;
  if (s == REJ) {
    ok(&o, OMS_EV_DENY);
    return o;
  }
  ok(&o, OMS_EV_SUBMIT);
  if (s == SUB) return o;
  ok(&o, OMS_EV_ACCEPT);
  switch (s) {
    case PAR: ok(&o, OMS_EV_FILL); break;
    case FIL: fill(&o, "10", "100", 0); break;
    case CXL: ok(&o, OMS_EV_CANCEL_CONFIRM); break;
    case PCX: ok(&o, OMS_EV_CANCEL_REQUEST); break;
    case PRP: ok(&o, OMS_EV_REPLACE_REQUEST); break;
    case EXP: ok(&o, OMS_EV_EXPIRE); break;
    case TRG: ok(&o, OMS_EV_TRIGGER); break;
    default: break;
  }
  assert_int_equal(o.state, s);
  return o;
}

/* Expected: 1 allowed, 0 refused. Columns in oms_ord_event_t order:
 * SUBMIT DENY ACCEPT REJECT FILL CXL_REQ CXL_CONF CXL_REJ RPL_REQ RPL_CONF RPL_REJ EXPIRE TRIGGER
 * (PENDING_CANCEL here was requested on an ACCEPTED order, so REJECT is refused). */
static const int expected[OMS_STATE_COUNT][OMS_EV_COUNT] = {
    [PEN] = {1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0},
    [SUB] = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
    [ACC] = {0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1},
    [PAR] = {0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0},
    [FIL] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    [CXL] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    [REJ] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    [PCX] = {0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1},
    [PRP] = {0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1},
    [EXP] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    [TRG] = {0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0},
};

/* The state each allowed pair leads to from in_state(s) with the changes of
 * ok() (a fill of 1 of 10; a replace to 12). -1 where refused. */
static const int expected_to[OMS_STATE_COUNT][OMS_EV_COUNT] = {
    [PEN] = {SUB, REJ, -1, -1, -1, -1, CXL, -1, -1, -1, -1, -1, -1},
    [SUB] = {-1, -1, ACC, REJ, PAR, PCX, CXL, -1, -1, -1, -1, EXP, TRG},
    [ACC] = {-1, -1, -1, -1, PAR, PCX, CXL, -1, PRP, -1, -1, EXP, TRG},
    [PAR] = {-1, -1, -1, -1, PAR, PCX, CXL, -1, PRP, -1, -1, EXP, -1},
    [FIL] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
    [CXL] = {-1, -1, -1, -1, CXL, -1, -1, -1, -1, -1, -1, -1, -1},
    [REJ] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
    [PCX] = {-1, -1, PCX, -1, PCX, -1, CXL, ACC, -1, -1, -1, EXP, PCX},
    [PRP] = {-1, -1, -1, -1, PRP, -1, CXL, -1, -1, ACC, ACC, EXP, PRP},
    [EXP] = {-1, -1, -1, -1, EXP, -1, -1, -1, -1, -1, -1, -1, -1},
    [TRG] = {-1, -1, -1, -1, PAR, PCX, CXL, -1, PRP, -1, -1, EXP, -1},
};

static void test_every_state_event_pair(void **state) {
  (void)state;
  for (int s = 0; s < OMS_STATE_COUNT; s++) {
    for (int e = 0; e < OMS_EV_COUNT; e++) {
      oms_order_t o = in_state(s), before = o;
      oms_ord_change_t ch = {.event = (oms_ord_event_t)e, .ts_ns = 5000};
      if (e == OMS_EV_FILL) {
        ch.fill_qty = T_D("1");
        ch.fill_px = T_D("100");
      }
      if (e == OMS_EV_REPLACE_REQUEST) ch.new_qty = T_D("12");
      oms_audit_t a;
      int rc = oms_order_apply(&o, &ch, &a);
      char what[96];
      snprintf(what, sizeof what, "%s + %s", oms_ord_state_str((oms_ord_state_t)s),
               oms_ord_event_str((oms_ord_event_t)e));
      if (expected[s][e]) {
        if (rc != 0) fail_msg("%s refused with %s", what, oms_err_name(rc));
        if ((int)o.state != expected_to[s][e])
          fail_msg("%s went to %s", what, oms_ord_state_str(o.state));
        assert_true(oms_order_check(&o));
        assert_int_equal(a.seq, before.audit_count + 1);
        assert_int_equal(a.from, s);
        assert_int_equal(a.to, o.state);
        assert_int_equal(a.event, e);
        assert_int_equal(a.ts_ns, 5000);
        assert_int_equal(o.updated_ns, 5000);
      } else {
        if (rc == 0) fail_msg("%s was allowed", what);
        assert_int_equal(rc, OMS_ESTATE);
        assert_memory_equal(&o, &before, sizeof o); /* byte for byte unchanged */
      }
      assert_int_equal(oms_ord_transition_allowed((oms_ord_state_t)s, (oms_ord_event_t)e) ||
                           (s == PCX && e == OMS_EV_REJECT),
                       expected[s][e] || (s == PCX && e == OMS_EV_REJECT));
    }
  }
  assert_int_equal(oms_ord_transition_allowed(OMS_STATE_COUNT, OMS_EV_FILL), 0);
}

static void test_full_fill_moves_order_to_filled_with_exact_average(void **state) {
  (void)state;
  oms_order_t o = in_state(ACC);
  fill(&o, "3", "100.5", 0);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  fill(&o, "7", "100", 0);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  /* (3 * 100.5 + 7 * 100) / 10 = 100.15 */
  assert_true(oms_dec_eq(o.avg_px, T_D("100.15")));
  assert_true(oms_dec_is_zero(o.leaves_qty));
  /* 1 / 3 of the way: (1 * 1 + 2 * 2) / 3 = 1.66666667 (half-even) */
  oms_order_t p = in_state(ACC);
  fill(&p, "1", "1", 0);
  fill(&p, "2", "2", 0);
  assert_true(oms_dec_eq(p.avg_px, T_D("1.66666667")));
}

static void test_overfill_is_refused_and_order_unchanged(void **state) {
  (void)state;
  oms_order_t o = in_state(PAR), before = o;
  fill(&o, "9.00000001", "100", OMS_EOVERFILL);
  assert_memory_equal(&o, &before, sizeof o);
  oms_order_t f = in_state(FIL), fb = f;
  fill(&f, "1", "100", OMS_ESTATE);
  assert_memory_equal(&f, &fb, sizeof f);
}

static void test_malformed_changes_are_refused(void **state) {
  (void)state;
  oms_order_t o = in_state(ACC), before = o;
  fill(&o, "0", "100", OMS_EINVAL);
  fill(&o, "1", "0", OMS_EINVAL);
  fill(&o, "-1", "100", OMS_EINVAL);
  oms_ord_change_t rp = {.event = OMS_EV_REPLACE_REQUEST, .new_qty = T_D("-1")};
  assert_int_equal(oms_order_apply(&o, &rp, NULL), OMS_EINVAL);
  char long_id[OMS_ID_MAX + 10];
  memset(long_id, 'v', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = 0;
  oms_ord_change_t ack = {.event = OMS_EV_ACCEPT, .venue_order_id = long_id};
  oms_order_t s = in_state(SUB), sb = s;
  assert_int_equal(oms_order_apply(&s, &ack, NULL), OMS_EINVAL);
  assert_memory_equal(&s, &sb, sizeof s);
  assert_memory_equal(&o, &before, sizeof o);
  oms_ord_change_t bad = {.event = OMS_EV_COUNT};
  assert_int_equal(oms_order_apply(&o, &bad, NULL), OMS_EINVAL);
}

static void test_accept_records_venue_order_id(void **state) {
  (void)state;
  oms_order_t o = in_state(SUB);
  oms_ord_change_t ack = {.event = OMS_EV_ACCEPT, .venue_order_id = "V-77"};
  assert_int_equal(oms_order_apply(&o, &ack, NULL), 0);
  assert_string_equal(o.venue_order_id, "V-77");
}

static void test_reject_keeps_reason(void **state) {
  (void)state;
  oms_order_t o = in_state(SUB);
  oms_ord_change_t rj = {
      .event = OMS_EV_REJECT, .reason = OMS_R_VENUE_REJECT, .reason_text = "venue says no"};
  assert_int_equal(oms_order_apply(&o, &rj, NULL), 0);
  assert_int_equal(o.state, OMS_STATE_REJECTED);
  assert_int_equal(o.reject_code, OMS_R_VENUE_REJECT);
  assert_string_equal(o.reject_reason, "venue says no");
  /* A reason text longer than the buffer is cut, never overflows. */
  char longtext[400];
  memset(longtext, 'x', sizeof longtext - 1);
  longtext[sizeof longtext - 1] = 0;
  oms_order_t p = fresh();
  oms_ord_change_t dn = {
      .event = OMS_EV_DENY, .reason = OMS_R_RISK_MARGIN, .reason_text = longtext};
  assert_int_equal(oms_order_apply(&p, &dn, NULL), 0);
  assert_int_equal(strlen(p.reject_reason), OMS_REASON_MAX);
}

static void test_fill_after_cancel_requested_keeps_pending_and_restores_partial(void **state) {
  (void)state;
  oms_order_t o = in_state(PCX);
  fill(&o, "4", "100", 0);
  assert_int_equal(o.state, OMS_STATE_PENDING_CANCEL);
  assert_int_equal(o.restore_state, OMS_STATE_PARTIALLY_FILLED);
  oms_ord_change_t rj = {.event = OMS_EV_CANCEL_REJECT, .reason = OMS_R_TOO_LATE};
  assert_int_equal(oms_order_apply(&o, &rj, NULL), 0);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(o.leaves_qty, T_D("6")));
}

static void test_fill_completing_order_while_cancel_pending_is_filled(void **state) {
  (void)state;
  oms_order_t o = in_state(PCX);
  fill(&o, "10", "100", 0);
  assert_int_equal(o.state, OMS_STATE_FILLED);
}

static void test_fill_after_cancelled_is_applied(void **state) {
  (void)state;
  oms_order_t o = in_state(PCX);
  ok(&o, OMS_EV_CANCEL_CONFIRM);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  fill(&o, "2", "100", 0); /* executed at the venue before the cancel */
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_true(oms_dec_eq(o.filled_qty, T_D("2")));
  assert_true(oms_dec_is_zero(o.leaves_qty));
  fill(&o, "8", "100", 0);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  oms_order_t e = in_state(EXP);
  fill(&e, "11", "100", OMS_EOVERFILL);
}

static void test_cancel_rejected_restores_previous_state(void **state) {
  (void)state;
  oms_order_t t = in_state(TRG);
  ok(&t, OMS_EV_CANCEL_REQUEST);
  oms_ord_change_t rj = {.event = OMS_EV_CANCEL_REJECT};
  assert_int_equal(oms_order_apply(&t, &rj, NULL), 0);
  assert_int_equal(t.state, OMS_STATE_TRIGGERED);
  /* cancel sent before the ack: the late ack then the refusal land on ACCEPTED */
  oms_order_t s = in_state(SUB);
  ok(&s, OMS_EV_CANCEL_REQUEST);
  ok(&s, OMS_EV_ACCEPT);
  assert_int_equal(s.state, OMS_STATE_PENDING_CANCEL);
  assert_int_equal(oms_order_apply(&s, &rj, NULL), 0);
  assert_int_equal(s.state, OMS_STATE_ACCEPTED);
  /* cancel sent before the ack, and the venue then refuses the order itself */
  oms_order_t r = in_state(SUB);
  ok(&r, OMS_EV_CANCEL_REQUEST);
  ok(&r, OMS_EV_REJECT);
  assert_int_equal(r.state, OMS_STATE_REJECTED);
  /* a trigger while the cancel is pending restores to TRIGGERED */
  oms_order_t g = in_state(PCX);
  ok(&g, OMS_EV_TRIGGER);
  assert_int_equal(oms_order_apply(&g, &rj, NULL), 0);
  assert_int_equal(g.state, OMS_STATE_TRIGGERED);
}

static void test_replace_confirm_installs_new_values(void **state) {
  (void)state;
  oms_order_t o = in_state(PAR);
  oms_ord_change_t rq = {
      .event = OMS_EV_REPLACE_REQUEST, .new_qty = T_D("5"), .new_price = T_D("102")};
  assert_int_equal(oms_order_apply(&o, &rq, NULL), 0);
  assert_true(oms_dec_eq(o.qty, T_D("10"))); /* not before the venue confirms */
  assert_true(oms_dec_eq(o.pending_qty, T_D("5")));
  ok(&o, OMS_EV_REPLACE_CONFIRM);
  assert_int_equal(o.state, OMS_STATE_PARTIALLY_FILLED);
  assert_true(oms_dec_eq(o.qty, T_D("5")));
  assert_true(oms_dec_eq(o.price, T_D("102")));
  assert_true(oms_dec_eq(o.stop_price, T_D("100")));
  assert_true(oms_dec_eq(o.leaves_qty, T_D("4")));
  /* replace down to exactly the filled quantity is refused at request */
  oms_ord_change_t down = {.event = OMS_EV_REPLACE_REQUEST, .new_qty = T_D("1")};
  oms_order_t before = o;
  assert_int_equal(oms_order_apply(&o, &down, NULL), OMS_EINVAL);
  assert_memory_equal(&o, &before, sizeof o);
}

static void test_replace_racing_fills(void **state) {
  (void)state;
  /* Fills arrive while the replace to 3 is pending, reaching 3: the
   * confirmation completes the order. */
  oms_order_t o = in_state(ACC);
  oms_ord_change_t rq = {.event = OMS_EV_REPLACE_REQUEST, .new_qty = T_D("3")};
  assert_int_equal(oms_order_apply(&o, &rq, NULL), 0);
  fill(&o, "3", "100", 0);
  assert_int_equal(o.state, OMS_STATE_PENDING_REPLACE);
  ok(&o, OMS_EV_REPLACE_CONFIRM);
  assert_int_equal(o.state, OMS_STATE_FILLED);
  /* Fills beyond the new quantity: the confirmation is refused (the venue
   * would have refused the replace as too late). */
  oms_order_t p = in_state(ACC);
  assert_int_equal(oms_order_apply(&p, &rq, NULL), 0);
  fill(&p, "2", "100", 0);
  oms_ord_change_t rq2 = {.event = OMS_EV_REPLACE_CONFIRM};
  p.pending_qty = T_D("2"); /* as if the venue had been asked for 2 */
  assert_int_equal(oms_order_apply(&p, &rq2, NULL), 0);
  assert_int_equal(p.state, OMS_STATE_FILLED);
  oms_order_t q = in_state(ACC);
  assert_int_equal(oms_order_apply(&q, &rq, NULL), 0);
  fill(&q, "2", "100", 0);
  q.pending_qty = T_D("1");
  oms_order_t qb = q;
  assert_int_equal(oms_order_apply(&q, &rq2, NULL), OMS_EINVAL);
  assert_memory_equal(&q, &qb, sizeof q);
  /* replace refused: pending values dropped, state restored */
  oms_order_t r = in_state(TRG);
  assert_int_equal(oms_order_apply(&r, &rq, NULL), 0);
  oms_ord_change_t rr = {.event = OMS_EV_REPLACE_REJECT, .reason = OMS_R_TOO_LATE};
  assert_int_equal(oms_order_apply(&r, &rr, NULL), 0);
  assert_int_equal(r.state, OMS_STATE_TRIGGERED);
  assert_true(oms_dec_is_zero(r.pending_qty));
}

static void test_replace_can_rename_the_order(void **state) {
  (void)state;
  oms_order_t o = in_state(ACC);
  assert_string_equal(o.cur_client_order_id, "c1");
  oms_ord_change_t rq = {
      .event = OMS_EV_REPLACE_REQUEST, .new_qty = T_D("5"), .new_client_order_id = "c1-r1"};
  assert_int_equal(oms_order_apply(&o, &rq, NULL), 0);
  assert_string_equal(o.cur_client_order_id, "c1"); /* not before the venue confirms */
  assert_string_equal(o.pending_client_order_id, "c1-r1");
  ok(&o, OMS_EV_REPLACE_CONFIRM);
  assert_string_equal(o.cur_client_order_id, "c1-r1");
  assert_string_equal(o.pending_client_order_id, "");
  assert_string_equal(o.client_order_id, "c1"); /* the idempotency key never changes */
  /* refused: the name stays */
  rq.new_client_order_id = "c1-r2";
  assert_int_equal(oms_order_apply(&o, &rq, NULL), 0);
  oms_ord_change_t rr = {.event = OMS_EV_REPLACE_REJECT};
  assert_int_equal(oms_order_apply(&o, &rr, NULL), 0);
  assert_string_equal(o.cur_client_order_id, "c1-r1");
  assert_string_equal(o.pending_client_order_id, "");
  /* a name too long is refused, the order unchanged */
  char longid[OMS_ID_MAX + 2];
  memset(longid, 'x', sizeof longid - 1);
  longid[sizeof longid - 1] = 0;
  rq.new_client_order_id = longid;
  oms_order_t before = o;
  assert_int_equal(oms_order_apply(&o, &rq, NULL), OMS_EINVAL);
  assert_memory_equal(&o, &before, sizeof o);
}

static void test_audit_trail_keeps_recent_transitions(void **state) {
  (void)state;
  oms_order_request_t req;
  t_request(&req, "c1", OMS_SIDE_SELL, OMS_ORD_LIMIT, "100", "10");
  oms_order_t o;
  oms_order_init(&o, 9, &req, 0);
  ok(&o, OMS_EV_SUBMIT);
  ok(&o, OMS_EV_ACCEPT);
  for (int i = 0; i < 30; i++) fill(&o, "1", "10", 0);
  assert_int_equal(o.audit_count, 32);
  assert_null(oms_order_audit_get(&o, 0));
  assert_null(oms_order_audit_get(&o, 16)); /* pushed out of the inline ring */
  assert_null(oms_order_audit_get(&o, 33));
  const oms_audit_t *a = oms_order_audit_get(&o, 17);
  assert_non_null(a);
  assert_int_equal(a->seq, 17);
  a = oms_order_audit_get(&o, 32);
  assert_int_equal(a->from, OMS_STATE_PARTIALLY_FILLED);
  assert_int_equal(a->event, OMS_EV_FILL);
  oms_order_t p = fresh();
  ok(&p, OMS_EV_SUBMIT);
  a = oms_order_audit_get(&p, 1);
  assert_int_equal(a->from, OMS_STATE_PENDING);
  assert_int_equal(a->to, OMS_STATE_SUBMITTED);
}

static void test_check_detects_corruption(void **state) {
  (void)state;
  oms_order_t o = in_state(PAR);
  assert_true(oms_order_check(&o));
  oms_order_t b = o;
  b.leaves_qty = T_D("1");
  assert_false(oms_order_check(&b));
  b = o;
  b.filled_qty = T_D("11");
  assert_false(oms_order_check(&b));
  b = o;
  b.avg_px = OMS_DEC_ZERO;
  assert_false(oms_order_check(&b));
  b = o;
  b.state = OMS_STATE_ACCEPTED;
  assert_false(oms_order_check(&b));
  b = o;
  b.state = OMS_STATE_COUNT;
  assert_false(oms_order_check(&b));
  b = in_state(FIL);
  b.leaves_qty = T_D("1");
  assert_false(oms_order_check(&b));
  b = in_state(PCX);
  b.restore_state = OMS_STATE_FILLED;
  assert_false(oms_order_check(&b));
  b = in_state(PRP);
  b.pending_qty = OMS_DEC_ZERO;
  b.filled_qty = T_D("1");
  assert_false(oms_order_check(&b));
  b = in_state(SUB);
  b.audit_count = 0;
  assert_false(oms_order_check(&b));
  b = in_state(FIL);
  assert_true(oms_order_check(&b));
  b.filled_qty = T_D("9");
  assert_false(oms_order_check(&b));
  b = in_state(ACC);
  b.qty = OMS_DEC_ZERO;
  b.leaves_qty = OMS_DEC_ZERO;
  assert_false(oms_order_check(&b));
  /* PENDING and REJECTED orders may carry any quantity, but never a fill */
  b = fresh();
  b.qty = b.leaves_qty = T_D("-1");
  assert_true(oms_order_check(&b));
  b.filled_qty = T_D("1");
  assert_false(oms_order_check(&b));
  b = fresh();
  b.leaves_qty = T_D("3");
  assert_false(oms_order_check(&b));
  b = in_state(REJ);
  b.leaves_qty = T_D("1");
  assert_false(oms_order_check(&b));
}

/* ---- property test -------------------------------------------------------- */

static uint64_t rng;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void test_random_event_sequences_keep_invariants(void **state) {
  (void)state;
  const char *seed_env = getenv("OMS_TEST_SEED");
  uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20261124;
  rng = seed | 1;
  int applied = 0, refused = 0;
  for (int run = 0; run < 3000; run++) {
    oms_order_t o = fresh();
    /* independent bookkeeping of what the fills should add up to */
    __int128 notional = 0;
    int64_t filled = 0;
    for (int step = 0; step < 40; step++) {
      /* Half the events are fills, as on a live order; the rest uniform. */
      uint64_t pick = next_rand();
      oms_ord_event_t ev = (pick & 1) ? OMS_EV_FILL : (oms_ord_event_t)((pick >> 1) % OMS_EV_COUNT);
      oms_ord_change_t ch = {.event = ev, .ts_ns = step};
      int64_t q = (int64_t)(next_rand() % 400 + 1) * 1000000; /* 0.01 .. 4 */
      int64_t px = (int64_t)(next_rand() % 1000 + 9500) * 1000000;
      ch.fill_qty.raw = q;
      ch.fill_px.raw = px;
      if (ch.event == OMS_EV_REPLACE_REQUEST)
        ch.new_qty.raw = (int64_t)(next_rand() % 20 + 1) * OMS_DEC_SCALE;
      oms_order_t before = o;
      int rc = oms_order_apply(&o, &ch, NULL);
      if (rc != 0) {
        refused++;
        assert_memory_equal(&o, &before, sizeof o);
        continue;
      }
      applied++;
      assert_true(oms_order_check(&o));
      if (ch.event == OMS_EV_FILL) {
        filled += q;
        notional += (__int128)q * px;
      }
      assert_int_equal(o.filled_qty.raw, filled);
      if (filled > 0) {
        __int128 avg = notional / filled, rem = notional % filled;
        if (2 * rem > filled || (2 * rem == filled && (avg & 1))) avg++;
        assert_int_equal(o.avg_px.raw, (int64_t)avg);
      }
      if (oms_ord_state_is_terminal(o.state))
        assert_int_equal(o.leaves_qty.raw, 0);
      else
        assert_int_equal(o.filled_qty.raw + o.leaves_qty.raw, o.qty.raw);
    }
  }
  print_message("property test: seed %llu, %d events applied, %d refused\n",
                (unsigned long long)seed, applied, refused);
  assert_true(applied > 5000);
  assert_true(refused > 5000);
}

/* The engine's short SUBMIT makes the very bytes the general transition
 * makes, and its undo gives back the very bytes it found; any order other
 * than a fresh one is refused untouched. */
static void test_short_submit_is_the_general_one(void **state) {
  (void)state;
  oms_order_t o, general, before;
  memset(&o, 0x5a, sizeof o); /* padding as the general path leaves it */
  o = fresh();
  o.audit[0].ts_ns = 77; /* whatever the ring held: the undo keeps it */
  general = before = o;
  oms_ord_change_t ch = {.event = OMS_EV_SUBMIT, .ts_ns = 5000};
  assert_int_equal(oms__order_apply_scratch(&general, &ch, NULL), 0);
  oms__submit_undo_t u;
  assert_int_equal(oms__order_submit(&o, 5000, &u), 0);
  assert_memory_equal(&o.state, &general.state, sizeof(oms_order_t) - offsetof(oms_order_t, state));
  assert_int_equal(oms_order_check(&o), 1);
  oms__order_unsubmit(&o, &u);
  assert_memory_equal(&o, &before, sizeof o);

  /* not fresh: each precondition on its own */
  for (int k = 0; k < 7; k++) {
    o = fresh();
    switch (k) {
      case 0: ok(&o, OMS_EV_SUBMIT); break;
      case 1: o.restore_state = OMS_STATE_SUBMITTED; break;
      case 2: o.flags = OMS_ORDF_STATUS_UNKNOWN; break;
      case 3: o.qty = o.leaves_qty = T_D("0"); break;
      case 4: o.filled_qty = T_D("1"); break;
      case 5: o.avg_px = T_D("1"); break;
      default: o.cum_notional = 1; break;
    }
    before = o;
    assert_int_equal(oms__order_submit(&o, 5000, &u), OMS_ESTATE);
    assert_memory_equal(&o, &before, sizeof o);
  }
  o = fresh();
  o.leaves_qty = T_D("1");
  before = o;
  assert_int_equal(oms__order_submit(&o, 5000, &u), OMS_ESTATE);
  assert_memory_equal(&o, &before, sizeof o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_state_event_pair),
      cmocka_unit_test(test_full_fill_moves_order_to_filled_with_exact_average),
      cmocka_unit_test(test_overfill_is_refused_and_order_unchanged),
      cmocka_unit_test(test_malformed_changes_are_refused),
      cmocka_unit_test(test_accept_records_venue_order_id),
      cmocka_unit_test(test_reject_keeps_reason),
      cmocka_unit_test(test_fill_after_cancel_requested_keeps_pending_and_restores_partial),
      cmocka_unit_test(test_fill_completing_order_while_cancel_pending_is_filled),
      cmocka_unit_test(test_fill_after_cancelled_is_applied),
      cmocka_unit_test(test_cancel_rejected_restores_previous_state),
      cmocka_unit_test(test_replace_confirm_installs_new_values),
      cmocka_unit_test(test_replace_racing_fills),
      cmocka_unit_test(test_replace_can_rename_the_order),
      cmocka_unit_test(test_audit_trail_keeps_recent_transitions),
      cmocka_unit_test(test_check_detects_corruption),
      cmocka_unit_test(test_random_event_sequences_keep_invariants),
      cmocka_unit_test(test_short_submit_is_the_general_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
