/*
 * venue.c - the exchange: FIX 4.4 order entry in front of the simulated
 * venue (src/venue/sim_venue.c), as a real exchange answers an OMS.
 *
 * HOW IT WORKS
 * A request is checked, mapped (map.c) and sent to the simulated venue at
 * once; the venue's reports come back from vx_poll (after its configured
 * latencies) and each becomes one ExecutionReport, or an OrderCancelReject
 * for a refused cancel or replace, on the session that owns the order, with
 * an ExecID unique across restarts (<boot second>-<n>). The venue knows an
 * order by a number: this file keeps what the venue does not (the session,
 * the ClOrdIDs, the account, AvgPx) in an array indexed by that number, and
 * each fact in the orders' journal before the report that tells it leaves,
 * so after a restart the GTC orders the venue restored from its own state
 * file are answered for under their ClOrdIDs.
 *
 * A report for a session that is not logged on is held and sent when it
 * logs on again (before anything else of the new connection's flow that
 * this file sends): that is how the unsolicited cancels of cancel on
 * disconnect reach the client. Held reports live in memory only.
 *
 * OrderStatusRequest (H) is answered from the order's state here;
 * OrderMassStatusRequest (AF) walks the venue's working orders
 * (oms_sim_venue_working), adds the orders settled after a crash that no
 * report told (untold), and answers one ExecType=I report per order of the
 * session, TotNumReports on each and LastRptRequested=Y on the last (one
 * report with OrdStatus rejected and TotNumReports=0 when there is none).
 *
 * Market data: MarketDataRequest (V) with SubscriptionRequestType 1 on a
 * symbol of the exchange subscribes the session to it and is answered at
 * once with a MarketDataSnapshotFullRefresh (W): bid, offer and, once there
 * was one, the last trade, top of book only. The venue tells its top of book
 * and last trade when they change (on_market_data, per symbol, never per
 * order); vx_poll sends each changed symbol's snapshot to its subscribers at
 * most every VX_MD_INTERVAL_NS; a subscription with MDUpdateType(265) 1 gets
 * the changes instead, as MarketDataIncrementalRefresh (X): price-keyed
 * deletes, changes and new levels against what the session was last told,
 * within the depth it asked for, and new trades, every changed symbol of a
 * flush in one message (split when long). 263=2 unsubscribes; an unknown symbol gets a
 * MarketDataRequestReject (Y); a closed connection drops the session's
 * subscriptions (the client subscribes again after its next Logon).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oms/fix_dict.h"
#include "oms/fix_tags.h"
#include "omsvenue.h"

#define HELD_MAX 65536

static vord_t *ord_of(vx_t *x, uint64_t id) {
  return (id >= 1 && id <= x->nords && x->ords[id - 1].used) ? &x->ords[id - 1] : NULL;
}

static void cl_key(char *key, size_t cap, size_t sess, const char *cl, size_t len) {
  snprintf(key, cap, "%zu:%.*s", sess, (int)len, cl);
}

static uint64_t cl_find(vx_t *x, size_t sess, oms_fix_str_t cl) {
  char key[OMS_ID_MAX + 16];
  uint64_t id;
  cl_key(key, sizeof key, sess, cl.ptr, cl.len);
  return oms__strmap_get(&x->cl_of, key, &id) ? id : 0;
}

static int cl_put(vx_t *x, size_t sess, const char *cl, uint64_t id) {
  char key[OMS_ID_MAX + 16];
  cl_key(key, sizeof key, sess, cl, strlen(cl));
  return oms__strmap_put(&x->cl_of, key, id);
}

static oms_fix_str_t S(const char *s) { return oms_fix_str(s); }

static void dec_str(oms_dec_t d, char *buf, size_t cap) { oms_dec_format(d, buf, cap); }

/* ---- ExecutionReports -------------------------------------------------------------------- */

typedef struct er_s {
  char exec_type, ord_status;
  const char *cl, *orig, *text;
  oms_dec_t last_qty, last_px;
  int rej_reason;           /* OrdRejReason when >= 0 */
  oms_fix_str_t status_req; /* OrdStatusReqID (H) */
  oms_fix_str_t mass_req;   /* MassStatusReqID (AF) */
  int64_t tot, last;        /* TotNumReports / LastRptRequested when tot >= 0 */
} er_t;

/* One ExecutionReport about o. */
static int send_er(vx_t *x, vsess_t *s, const vord_t *o, const er_t *e) {
  oms_fix_builder_t *b;
  int rc = oms_fix_session_app_begin(s->fs, OMS_FIX_MSG_ExecutionReport, &b);
  if (rc != 0) return rc;
  char q[40], p[40], sp[40], lq[40], lp[40], cum[40], lv[40], ap[40], eid[48];
  snprintf(eid, sizeof eid, "%lld-%llu", (long long)x->boot_s, (unsigned long long)++x->exec_seq);
  dec_str(o->qty, q, sizeof q);
  dec_str(o->cum, cum, sizeof cum);
  dec_str(o->live ? o->leaves : OMS_DEC_ZERO, lv, sizeof lv);
  dec_str(vmap_avg_px(o->notional, o->cum), ap, sizeof ap);
  oms_fix_add_cstr(b, OMS_FIX_TAG_OrderID, o->vid[0] ? o->vid : "NONE");
  oms_fix_add_cstr(b, OMS_FIX_TAG_ClOrdID, e->cl != NULL ? e->cl : o->cl);
  if (e->orig != NULL) oms_fix_add_cstr(b, OMS_FIX_TAG_OrigClOrdID, e->orig);
  if (e->status_req.len > 0) oms_fix_add_str(b, OMS_FIX_TAG_OrdStatusReqID, e->status_req);
  if (e->mass_req.len > 0) oms_fix_add_str(b, VTAG_MASS_STATUS_REQ_ID, e->mass_req);
  if (e->tot >= 0) {
    oms_fix_add_int(b, VTAG_TOT_NUM_REPORTS, e->tot);
    oms_fix_add_char(b, VTAG_LAST_RPT_REQUESTED, e->last ? 'Y' : 'N');
  }
  oms_fix_add_cstr(b, OMS_FIX_TAG_ExecID, eid);
  oms_fix_add_char(b, OMS_FIX_TAG_ExecType, e->exec_type);
  oms_fix_add_char(b, OMS_FIX_TAG_OrdStatus, e->ord_status);
  if (e->rej_reason >= 0) oms_fix_add_int(b, OMS_FIX_TAG_OrdRejReason, e->rej_reason);
  if (o->account[0]) oms_fix_add_cstr(b, OMS_FIX_TAG_Account, o->account);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, o->symbol[0] ? o->symbol : "[N/A]");
  oms_fix_add_char(b, OMS_FIX_TAG_Side, o->side ? o->side : '1');
  if (o->qty.raw > 0) oms_fix_add_cstr(b, OMS_FIX_TAG_OrderQty, q);
  if (o->ord_type) oms_fix_add_char(b, OMS_FIX_TAG_OrdType, o->ord_type);
  if (o->price.raw > 0) {
    dec_str(o->price, p, sizeof p);
    oms_fix_add_cstr(b, OMS_FIX_TAG_Price, p);
  }
  if (o->stop.raw > 0) {
    dec_str(o->stop, sp, sizeof sp);
    oms_fix_add_cstr(b, OMS_FIX_TAG_StopPx, sp);
  }
  if (o->tif) oms_fix_add_char(b, OMS_FIX_TAG_TimeInForce, o->tif);
  if (e->exec_type == 'F') {
    dec_str(e->last_qty, lq, sizeof lq);
    dec_str(e->last_px, lp, sizeof lp);
    oms_fix_add_cstr(b, OMS_FIX_TAG_LastQty, lq);
    oms_fix_add_cstr(b, OMS_FIX_TAG_LastPx, lp);
  }
  oms_fix_add_cstr(b, OMS_FIX_TAG_LeavesQty, lv);
  oms_fix_add_cstr(b, OMS_FIX_TAG_CumQty, cum);
  oms_fix_add_cstr(b, OMS_FIX_TAG_AvgPx, ap);
  oms_fix_add_time(b, OMS_FIX_TAG_TransactTime, oms_clock_now(&x->clock));
  if (e->text != NULL && e->text[0]) oms_fix_add_cstr(b, OMS_FIX_TAG_Text, e->text);
  return oms_fix_session_app_send(s->fs);
}

static er_t er_plain(char exec_type, char ord_status) {
  return (er_t){.exec_type = exec_type, .ord_status = ord_status, .rej_reason = -1, .tot = -1};
}

static int send_cxl_reject(vsess_t *s, const char *order_id, const char *cl, const char *orig,
                           char ord_status, char response_to, int reason, const char *text) {
  oms_fix_cancel_reject_t cr = {.order_id = S(order_id[0] ? order_id : "NONE"),
                                .cl_ord_id = S(cl),
                                .orig_cl_ord_id = S(orig),
                                .ord_status = ord_status,
                                .response_to = response_to,
                                .cxl_rej_reason = reason,
                                .text = S(text != NULL ? text : "")};
  return oms_fix_session_send_cancel_reject(s->fs, &cr);
}

/* ---- The venue's reports ----------------------------------------------------------------- */

static bool logged_on(const vsess_t *s) {
  oms_fix_session_state_t st = oms_fix_session_state(s->fs);
  return s->nheld == 0 && (st == OMS_FIX_SESSION_ACTIVE || st == OMS_FIX_SESSION_LOGOUT_SENT);
}

static void hold(vsess_t *s, const oms_exec_report_t *r) {
  if (s->nheld == s->capheld) {
    size_t n = s->capheld ? s->capheld * 2 : 64;
    oms_exec_report_t *p = n <= HELD_MAX ? realloc(s->held, n * sizeof *p) : NULL;
    if (p == NULL) {
      LOG_ERROR("msg=\"report lost: too many held for a session not logged on\" session=%s",
                s->cfg->sender_comp_id);
      return;
    }
    s->held = p;
    s->capheld = n;
  }
  s->held[s->nheld++] = *r;
}

/* Applies r to its order (journal first) and, when sent is true, tells the
 * session. Returns the session's send result. */
static int apply(vx_t *x, vord_t *o, const oms_exec_report_t *r, bool send) {
  vsess_t *s = &x->sess[o->sess];
  uint64_t id = (uint64_t)(o - x->ords) + 1;
  er_t e = er_plain(vmap_exec_type(r->type), 0);
  char orig[OMS_ID_MAX + 1];
  snprintf(orig, sizeof orig, "%s", o->cl);
  bool answered = false; /* the report answers o->pend */
  /* Told twice: the venue delivers again after its restart what it had not
   * recorded as delivered, and this file may have had it just before. */
  if ((r->type == OMS_EXEC_FILL && r->cum_qty.raw <= o->cum.raw) ||
      ((r->type == OMS_EXEC_CANCELLED || r->type == OMS_EXEC_EXPIRED) && !o->live))
    return 0;
  switch (r->type) {
    case OMS_EXEC_ACCEPTED: snprintf(o->vid, sizeof o->vid, "%s", r->venue_order_id); break;
    case OMS_EXEC_FILL:
      o->notional += (__int128)r->last_qty.raw * r->last_px.raw;
      o->cum = r->cum_qty;
      o->leaves = r->leaves_qty;
      e.last_qty = r->last_qty;
      e.last_px = r->last_px;
      if (r->leaves_qty.raw == 0) o->live = false;
      (void)vjournal_write(x->jr, x->fsync, "F %llu %lld %lld\n", (unsigned long long)id,
                           (long long)r->last_qty.raw, (long long)r->last_px.raw);
      break;
    case OMS_EXEC_REPLACED:
      o->qty = r->new_qty;
      o->price = r->new_price;
      o->stop = r->new_stop_price;
      o->leaves = r->leaves_qty;
      answered = o->pend == 'G';
      break;
    case OMS_EXEC_CANCELLED: answered = o->pend == 'F'; break;
    case OMS_EXEC_CANCEL_REJECTED:
    case OMS_EXEC_REPLACE_REJECTED: {
      char resp = r->type == OMS_EXEC_CANCEL_REJECTED ? '1' : '2';
      int reason = r->reason == OMS_R_VENUE_UNKNOWN_ORDER ? 1
                   : r->reason == OMS_R_TOO_LATE          ? 0
                                                          : 99;
      char st = o->ord_status ? o->ord_status : '0';
      char cl[OMS_ID_MAX + 1];
      snprintf(cl, sizeof cl, "%s", o->pend_cl);
      bool mine = o->pend == 'F' || o->pend == 'G';
      o->pend = 0;
      if (!mine || !send) return 0;
      return send_cxl_reject(s, o->vid, cl, orig, st, resp, reason, r->text);
    }
    default: break;
  }
  if (r->type == OMS_EXEC_REJECTED) e.rej_reason = 0;
  if (r->type == OMS_EXEC_REJECTED || r->type == OMS_EXEC_CANCELLED ||
      r->type == OMS_EXEC_EXPIRED) {
    o->live = false;
    o->leaves = OMS_DEC_ZERO;
  }
  e.ord_status = vmap_ord_status(r->type, r->status, o->cum, o->live ? o->leaves : OMS_DEC_ZERO);
  if (o->live && o->ord_status == 0 && r->type != OMS_EXEC_ACCEPTED) e.ord_status = '0';
  o->ord_status = e.ord_status;
  if (answered) {
    e.cl = o->pend_cl;
    e.orig = orig;
    (void)vjournal_write(x->jr, x->fsync, "R %llu %s %lld %lld %lld\n", (unsigned long long)id,
                         o->pend_cl, (long long)o->qty.raw, (long long)o->price.raw,
                         (long long)o->stop.raw);
    snprintf(o->cl, sizeof o->cl, "%s", o->pend_cl);
    o->pend = 0;
  } else if (r->type == OMS_EXEC_CANCELLED && o->pend == 'X') {
    o->pend = 0;
  }
  if (!o->live)
    (void)vjournal_write(x->jr, x->fsync, "D %llu %c\n", (unsigned long long)id, o->ord_status);
  e.text = r->text;
  return send ? send_er(x, s, o, &e) : 0;
}

static void on_report(void *ctx, const oms_exec_report_t *r) {
  vx_t *x = ctx;
  vord_t *o = ord_of(x, r->order_id);
  if (o == NULL) {
    LOG_WARN("msg=\"venue report for no order\" order_id=%llu", (unsigned long long)r->order_id);
    return;
  }
  if (r->type == OMS_EXEC_STATUS) return; /* a restart's check, answered below */
  vsess_t *s = &x->sess[o->sess];
  if (!logged_on(s)) {
    hold(s, r);
    return;
  }
  (void)apply(x, o, r, true);
}

/* The held reports of a session that is logged on again, oldest first. */
static int release(vx_t *x, vsess_t *s) {
  oms_fix_session_state_t st = oms_fix_session_state(s->fs);
  if (s->nheld == 0 || st != OMS_FIX_SESSION_ACTIVE) return 0;
  size_t n = s->nheld;
  s->nheld = 0;
  for (size_t i = 0; i < n; i++) {
    vord_t *o = ord_of(x, s->held[i].order_id);
    if (o != NULL) (void)apply(x, o, &s->held[i], true);
  }
  return (int)n;
}

/* ---- Requests ---------------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, oms_fix_str_t v) {
  size_t n = v.len < cap - 1 ? v.len : cap - 1;
  memcpy(dst, v.ptr, n);
  dst[n] = '\0';
}

static bool id_ok(oms_fix_str_t v) {
  if (v.len == 0 || v.len > OMS_ID_MAX) return false;
  for (size_t i = 0; i < v.len; i++)
    if (v.ptr[i] == ' ') return false;
  return true;
}

/* A refused NewOrderSingle: ExecType=8 with no order at the venue. */
static int refuse_new(vx_t *x, vsess_t *s, const oms_fix_order_fields_t *f, int reason,
                      const char *why) {
  vord_t tmp;
  memset(&tmp, 0, sizeof tmp);
  copy_str(tmp.cl, sizeof tmp.cl, f->cl_ord_id);
  copy_str(tmp.account, sizeof tmp.account, f->account);
  copy_str(tmp.symbol, sizeof tmp.symbol, f->symbol);
  tmp.side = f->side;
  tmp.ord_type = f->ord_type;
  er_t e = er_plain('8', '8');
  e.rej_reason = reason;
  e.text = why;
  return send_er(x, s, &tmp, &e);
}

static int on_new(vx_t *x, vsess_t *s, const oms_fix_msg_t *m) {
  oms_fix_new_order_t n;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_new_order(m, &n, &bad) != 0)
    return oms_fix_session_send_reject(s->fs, m, &bad, NULL);
  const oms_fix_order_fields_t *f = &n.o;
  size_t si = (size_t)(s - x->sess);
  if (!id_ok(f->cl_ord_id)) return refuse_new(x, s, f, 99, "ClOrdID too long or has a space");
  if (cl_find(x, si, f->cl_ord_id) != 0) return refuse_new(x, s, f, 6, "duplicate ClOrdID");
  oms_venue_order_t vo;
  const char *why;
  if (vmap_new_order(f, &vo, &why) != 0) return refuse_new(x, s, f, 99, why);
  if (x->nords == x->cap) return refuse_new(x, s, f, 99, "exchange full");
  uint64_t id = ++x->nords;
  vord_t *o = &x->ords[id - 1];
  memset(o, 0, sizeof *o);
  o->used = o->live = true;
  o->sess = (uint16_t)si;
  copy_str(o->cl, sizeof o->cl, f->cl_ord_id);
  copy_str(o->account, sizeof o->account, f->account);
  copy_str(o->symbol, sizeof o->symbol, f->symbol);
  o->side = f->side;
  o->ord_type = f->ord_type;
  o->tif = vmap_fix_tif(vo.tif);
  o->qty = vo.qty;
  o->leaves = vo.qty;
  o->price = vo.price;
  o->stop = vo.stop_price;
  vo.order_id = id;
  snprintf(vo.account_id, sizeof vo.account_id, "%s", o->account);
  if (vjournal_write(x->jr, x->fsync, "N %llu %zu %s %s %s %c %c %c %lld %lld %lld\n",
                     (unsigned long long)id, si, o->cl, o->account[0] ? o->account : "-", o->symbol,
                     o->side, o->ord_type, o->tif, (long long)o->qty.raw, (long long)o->price.raw,
                     (long long)o->stop.raw) != 0 ||
      cl_put(x, si, o->cl, id) != 0) {
    o->used = false;
    x->nords--;
    return refuse_new(x, s, f, 99, "exchange can not record the order");
  }
  int rc = oms_venue_send_new(x->sim, &vo);
  if (rc != 0) {
    o->live = false;
    o->ord_status = '8';
    (void)vjournal_write(x->jr, x->fsync, "D %llu 8\n", (unsigned long long)id);
    er_t e = er_plain('8', '8');
    e.rej_reason = 99;
    e.text = rc == OMS_EINVAL ? "refused by the matching engine" : "matching engine busy";
    return send_er(x, s, o, &e);
  }
  return 0;
}

/* F and G: the order they name, or an OrderCancelReject sent. */
static vord_t *target(vx_t *x, vsess_t *s, oms_fix_str_t orig, oms_fix_str_t cl, char resp) {
  char c[OMS_ID_MAX + 1], og[OMS_ID_MAX + 1];
  copy_str(c, sizeof c, cl);
  copy_str(og, sizeof og, orig);
  vord_t *o = ord_of(x, cl_find(x, (size_t)(s - x->sess), orig));
  if (o == NULL) {
    (void)send_cxl_reject(s, "NONE", c, og, '8', resp, 1, "unknown order");
    return NULL;
  }
  if (!id_ok(cl) || cl_find(x, (size_t)(s - x->sess), cl) != 0) {
    (void)send_cxl_reject(s, o->vid, c, og, o->ord_status ? o->ord_status : '0', resp, 99,
                          "ClOrdID reused or invalid");
    return NULL;
  }
  if (o->pend != 0) {
    (void)send_cxl_reject(s, o->vid, c, og, o->ord_status ? o->ord_status : '0', resp, 3,
                          "a cancel or replace is already pending");
    return NULL;
  }
  if (!o->live) {
    (void)send_cxl_reject(s, o->vid, c, og, o->ord_status, resp, 0, "order is done");
    return NULL;
  }
  return o;
}

static int on_cancel(vx_t *x, vsess_t *s, const oms_fix_msg_t *m) {
  oms_fix_cancel_t c;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_cancel(m, &c, &bad) != 0)
    return oms_fix_session_send_reject(s->fs, m, &bad, NULL);
  vord_t *o = target(x, s, c.orig_cl_ord_id, c.cl_ord_id, '1');
  if (o == NULL) return 0;
  uint64_t id = (uint64_t)(o - x->ords) + 1;
  if (oms_venue_send_cancel(x->sim, id) != 0)
    return send_cxl_reject(s, o->vid, "", o->cl, o->ord_status, '1', 99, "matching engine busy");
  o->pend = 'F';
  copy_str(o->pend_cl, sizeof o->pend_cl, c.cl_ord_id);
  return cl_put(x, (size_t)(s - x->sess), o->pend_cl, id);
}

static int on_replace(vx_t *x, vsess_t *s, const oms_fix_msg_t *m) {
  oms_fix_replace_t r;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_replace(m, &r, &bad) != 0)
    return oms_fix_session_send_reject(s->fs, m, &bad, NULL);
  vord_t *o = target(x, s, r.orig_cl_ord_id, r.o.cl_ord_id, '2');
  if (o == NULL) return 0;
  uint64_t id = (uint64_t)(o - x->ords) + 1;
  oms_venue_order_t vo;
  const char *why;
  char cl[OMS_ID_MAX + 1];
  copy_str(cl, sizeof cl, r.o.cl_ord_id);
  if (vmap_new_order(&r.o, &vo, &why) != 0)
    return send_cxl_reject(s, o->vid, cl, o->cl, o->ord_status, '2', 99, why);
  if (r.o.side != o->side || strcmp(vo.symbol, o->symbol) != 0)
    return send_cxl_reject(s, o->vid, cl, o->cl, o->ord_status, '2', 99,
                           "symbol and side can not change");
  if (oms_venue_send_replace(x->sim, id, vo.qty, vo.price, vo.stop_price) != 0)
    return send_cxl_reject(s, o->vid, cl, o->cl, o->ord_status, '2', 99, "matching engine busy");
  o->pend = 'G';
  snprintf(o->pend_cl, sizeof o->pend_cl, "%s", cl);
  return cl_put(x, (size_t)(s - x->sess), cl, id);
}

static int on_status(vx_t *x, vsess_t *s, const oms_fix_msg_t *m) {
  oms_fix_status_req_t q;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_status_request(m, &q, &bad) != 0)
    return oms_fix_session_send_reject(s->fs, m, &bad, NULL);
  vord_t *o = ord_of(x, cl_find(x, (size_t)(s - x->sess), q.cl_ord_id));
  er_t e = er_plain('I', 0);
  e.status_req = q.ord_status_req_id;
  if (o == NULL) {
    vord_t tmp;
    memset(&tmp, 0, sizeof tmp);
    copy_str(tmp.cl, sizeof tmp.cl, q.cl_ord_id);
    copy_str(tmp.symbol, sizeof tmp.symbol, q.symbol);
    tmp.side = q.side;
    /* 103=5: the requester must be able to tell "never heard of it" from
     * an order the venue refused (omsd's N-retry rule rests on it). */
    e.ord_status = '8';
    e.rej_reason = OMS_FIX_ORD_REJ_UNKNOWN_ORDER;
    e.text = "unknown order";
    return send_er(x, s, &tmp, &e);
  }
  e.ord_status = o->ord_status ? o->ord_status : '0';
  return send_er(x, s, o, &e);
}

typedef struct mass_s {
  vx_t *x;
  size_t sess;
  oms_fix_str_t symbol; /* filter when set */
  uint64_t *ids;
  size_t n;
} mass_t;

static int collect(void *ctx, const oms_sim_order_t *w) {
  mass_t *ms = ctx;
  vord_t *o = ord_of(ms->x, w->order_id);
  if (o == NULL || o->sess != ms->sess) return 0;
  if (ms->symbol.len > 0 && !oms_fix_str_eq(ms->symbol, o->symbol)) return 0;
  ms->ids[ms->n++] = w->order_id;
  return 0;
}

static int on_mass_status(vx_t *x, vsess_t *s, const oms_fix_msg_t *m) {
  oms_fix_str_t req = {0}, sym = {0};
  int64_t type = 0;
  if (oms_fix_msg_get_str(m, VTAG_MASS_STATUS_REQ_ID, &req) != 0 || req.len == 0) {
    oms_fix_bad_field_t bad = {.tag = VTAG_MASS_STATUS_REQ_ID, .reason = 1};
    return oms_fix_session_send_reject(s->fs, m, &bad, "MassStatusReqID missing");
  }
  if (oms_fix_msg_get_int(m, VTAG_MASS_STATUS_REQ_TYPE, &type) != 0 || (type != 7 && type != 1)) {
    oms_fix_business_reject_t br = {.ref_msg_type = m->msg_type,
                                    .ref_id = req,
                                    .reason = 0,
                                    .text = S("MassStatusReqType 7 (all) or 1 (symbol) only")};
    return oms_fix_session_send_business_reject(s->fs, &br);
  }
  if (type == 1) (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_Symbol, &sym);
  mass_t ms = {.x = x, .sess = (size_t)(s - x->sess), .symbol = sym};
  ms.ids = malloc((x->nords + 1) * sizeof *ms.ids);
  if (ms.ids == NULL) return OMS_ENOMEM;
  (void)oms_sim_venue_working(x->sim, collect, &ms);
  /* and the orders settled after a crash that no report ever told */
  for (uint32_t k = 0; k < x->nords; k++) {
    const vord_t *o = &x->ords[k];
    if (!o->used || o->live || !o->untold || o->sess != ms.sess) continue;
    if (sym.len > 0 && !oms_fix_str_eq(sym, o->symbol)) continue;
    ms.ids[ms.n++] = k + 1;
  }
  int rc = 0;
  if (ms.n == 0) {
    vord_t none;
    memset(&none, 0, sizeof none);
    snprintf(none.cl, sizeof none.cl, "NONE");
    er_t e = er_plain('I', '8');
    e.mass_req = req;
    e.tot = 0;
    e.last = 1;
    e.text = "no working orders";
    rc = send_er(x, s, &none, &e);
  }
  for (size_t i = 0; i < ms.n && rc == 0; i++) {
    vord_t *o = ord_of(x, ms.ids[i]);
    er_t e = er_plain('I', o->ord_status ? o->ord_status : '0');
    e.mass_req = req;
    e.tot = (int64_t)ms.n;
    e.last = i + 1 == ms.n;
    rc = send_er(x, s, o, &e);
  }
  free(ms.ids);
  return rc;
}

/* ---- Market data ------------------------------------------------------------------------- */

enum { MD_BID = '0', MD_OFFER = '1', MD_TRADE = '2' }; /* MDEntryType(269) */
#define MD_SUBSCRIBE '1'                               /* SubscriptionRequestType(263) */
#define MD_UNSUBSCRIBE '2'
#define MD_REJ_UNKNOWN_SYMBOL '0'                           /* MDReqRejReason(281) */
enum { ACT_NEW = '0', ACT_CHANGE = '1', ACT_DELETE = '2' }; /* MDUpdateAction(279) */
#define MD_X_MAX_ENTRIES 64 /* entries of one X before the next one starts */

static int md_find(const vx_t *x, oms_fix_str_t sym) {
  for (size_t i = 0; i < x->nmd; i++)
    if (oms_fix_str_eq(sym, x->md[i].symbol)) return (int)i;
  return -1;
}

static void on_market_data(void *ctx, const oms_market_data_t *md) {
  vx_t *x = ctx;
  int i = md_find(x, S(md->symbol));
  if (i < 0) return;
  x->md[i] = *md;
  x->md_dirty[i] = true;
}

static void md_entry(oms_fix_builder_t *b, char type, oms_dec_t px, oms_dec_t qty) {
  char p[40], q[40];
  dec_str(px, p, sizeof p);
  dec_str(qty, q, sizeof q);
  oms_fix_add_char(b, OMS_FIX_TAG_MDEntryType, type);
  oms_fix_add_cstr(b, OMS_FIX_TAG_MDEntryPx, p);
  oms_fix_add_cstr(b, OMS_FIX_TAG_MDEntrySize, q);
}

/* One W: symbol i's book, the levels the subscription asked for (best
 * first, bids then offers), and its last trade, under the session's MDReqID. */
static int send_snapshot(vsess_t *s, size_t i) {
  const oms_market_data_t *md = &s->x->md[i];
  oms_fix_builder_t *b;
  int rc = oms_fix_session_app_begin(s->fs, OMS_FIX_MSG_MarketDataSnapshotFullRefresh, &b);
  if (rc != 0) return rc;
  uint32_t depth = s->md_depth[i], nb = oms_md_levels(md, OMS_SIDE_BUY),
           na = oms_md_levels(md, OMS_SIDE_SELL);
  if (nb > depth) nb = depth;
  if (na > depth) na = depth;
  bool trade = md->last_px.raw > 0;
  oms_fix_add_cstr(b, OMS_FIX_TAG_MDReqID, s->md_req[i]);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, md->symbol);
  oms_fix_add_int(b, OMS_FIX_TAG_NoMDEntries, (int64_t)nb + na + trade);
  for (uint32_t k = 0; k < nb; k++) {
    oms_md_level_t l = oms_md_level(md, OMS_SIDE_BUY, k);
    md_entry(b, MD_BID, l.px, l.qty);
  }
  for (uint32_t k = 0; k < na; k++) {
    oms_md_level_t l = oms_md_level(md, OMS_SIDE_SELL, k);
    md_entry(b, MD_OFFER, l.px, l.qty);
  }
  if (trade) md_entry(b, MD_TRADE, md->last_px, md->last_qty);
  if (s->md_incr[i]) s->md_sent[i] = *md;
  return oms_fix_session_app_send(s->fs);
}

/* One X entry being built: symbol i, a level or trade. */
typedef struct xent_s {
  char action, type;
  uint8_t sym;
  oms_md_level_t l;
} xent_t;

/* The changes of symbol i's side since what session s was last told, within
 * its depth: deletes first, so a full side never overflows on the way. */
static size_t side_diff(const vsess_t *s, size_t i, oms_side_t side, xent_t *out) {
  const oms_market_data_t *was = &s->md_sent[i], *is = &s->x->md[i];
  char type = side == OMS_SIDE_BUY ? MD_BID : MD_OFFER;
  uint32_t depth = s->md_depth[i], nw = oms_md_levels(was, side), ni = oms_md_levels(is, side);
  if (nw > depth) nw = depth;
  if (ni > depth) ni = depth;
  size_t n = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t a = 0; a < (pass == 0 ? nw : ni); a++) {
      oms_md_level_t l = oms_md_level(pass == 0 ? was : is, side, a);
      const oms_market_data_t *other = pass == 0 ? is : was;
      uint32_t no = pass == 0 ? ni : nw, b = 0;
      while (b < no && oms_md_level(other, side, b).px.raw != l.px.raw) b++;
      if (pass == 0 && b == no)
        out[n++] = (xent_t){ACT_DELETE, type, (uint8_t)i, l};
      else if (pass == 1 && b == no)
        out[n++] = (xent_t){ACT_NEW, type, (uint8_t)i, l};
      else if (pass == 1 && oms_md_level(other, side, b).qty.raw != l.qty.raw)
        out[n++] = (xent_t){ACT_CHANGE, type, (uint8_t)i, l};
    }
  }
  return n;
}

static int send_x(vsess_t *s, const xent_t *e, size_t n) {
  oms_fix_builder_t *b;
  int rc = oms_fix_session_app_begin(s->fs, OMS_FIX_MSG_MarketDataIncrementalRefresh, &b);
  if (rc != 0) return rc;
  oms_fix_add_int(b, OMS_FIX_TAG_NoMDEntries, (int64_t)n);
  for (size_t k = 0; k < n; k++) {
    char p[40], q[40];
    dec_str(e[k].l.px, p, sizeof p);
    dec_str(e[k].l.qty, q, sizeof q);
    oms_fix_add_char(b, OMS_FIX_TAG_MDUpdateAction, e[k].action);
    oms_fix_add_char(b, OMS_FIX_TAG_MDEntryType, e[k].type);
    oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, s->x->md[e[k].sym].symbol);
    oms_fix_add_cstr(b, OMS_FIX_TAG_MDEntryPx, p);
    if (e[k].action != ACT_DELETE) oms_fix_add_cstr(b, OMS_FIX_TAG_MDEntrySize, q);
  }
  return oms_fix_session_app_send(s->fs);
}

/* The changed symbols' updates to incremental subscriber s: as few X as the
 * entries allow. Returns the messages sent. */
static int send_incrementals(vsess_t *s, const bool *dirty) {
  static xent_t e[MD_X_MAX_ENTRIES + 4 * OMS_MD_DEPTH + 1];
  size_t n = 0;
  int sent = 0;
  for (size_t i = 0; i <= s->x->nmd; i++) {
    bool mine = i < s->x->nmd && dirty[i] && s->md_req[i][0] != '\0' && s->md_incr[i];
    size_t add = 0;
    xent_t one[4 * OMS_MD_DEPTH + 1];
    if (mine) {
      add = side_diff(s, i, OMS_SIDE_BUY, one);
      add += side_diff(s, i, OMS_SIDE_SELL, one + add);
      const oms_market_data_t *was = &s->md_sent[i], *is = &s->x->md[i];
      if (is->last_px.raw > 0 &&
          (is->last_px.raw != was->last_px.raw || is->last_qty.raw != was->last_qty.raw ||
           is->cum_volume.raw != was->cum_volume.raw))
        one[add++] = (xent_t){ACT_NEW, MD_TRADE, (uint8_t)i, {is->last_px, is->last_qty}};
      s->md_sent[i] = *is;
    }
    if (n > 0 && (i == s->x->nmd || n + add > MD_X_MAX_ENTRIES)) {
      if (send_x(s, e, n) == 0) sent++;
      n = 0;
    }
    memcpy(e + n, one, add * sizeof *one);
    n += add;
  }
  return sent;
}

static int send_md_reject(vsess_t *s, oms_fix_str_t req, const char *text) {
  oms_fix_builder_t *b;
  int rc = oms_fix_session_app_begin(s->fs, OMS_FIX_MSG_MarketDataRequestReject, &b);
  if (rc != 0) return rc;
  oms_fix_add_str(b, OMS_FIX_TAG_MDReqID, req);
  oms_fix_add_char(b, OMS_FIX_TAG_MDReqRejReason, MD_REJ_UNKNOWN_SYMBOL);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Text, text);
  return oms_fix_session_app_send(s->fs);
}

/* MarketDataRequest (V): each Symbol of its NoRelatedSym group. */
static int on_md_request(vx_t *x, vsess_t *s, const oms_fix_msg_t *m) {
  oms_fix_str_t req = {NULL, 0};
  char type = 0;
  int64_t depth = 1;   /* MarketDepth(264): 0 the full book (all we have), 1 top of book */
  int64_t updates = 0; /* MDUpdateType(265): 0 full refresh, 1 incremental */
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MDUpdateType, &updates);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_MDReqID, &req);
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MarketDepth, &depth);
  if (depth <= 0 || depth > OMS_MD_DEPTH) depth = OMS_MD_DEPTH;
  (void)oms_fix_msg_get_char(m, OMS_FIX_TAG_SubscriptionRequestType, &type);
  if (req.len == 0 || req.len > OMS_ID_MAX) return send_md_reject(s, req, "bad MDReqID");
  if (type != MD_SUBSCRIBE && type != MD_UNSUBSCRIBE)
    return send_md_reject(s, req, "only subscribe (1) and unsubscribe (2)");
  if (updates != 0 && updates != 1)
    return send_md_reject(s, req, "MDUpdateType(265) is 0 (full) or 1 (incremental)");
  if (updates == 1 && s->md_sent == NULL) {
    s->md_sent = calloc(OMS_SIM_MAX_SYMBOLS, sizeof *s->md_sent);
    if (s->md_sent == NULL) return send_md_reject(s, req, "out of memory");
  }
  int rc = 0;
  bool any = false;
  for (size_t f = 0; f < m->nfields && rc == 0; f++) {
    if (m->fields[f].tag != OMS_FIX_TAG_Symbol) continue;
    any = true;
    oms_fix_str_t sym = oms_fix_msg_value(m, f);
    int i = md_find(x, sym);
    if (i < 0) {
      rc = send_md_reject(s, req, "unknown symbol");
    } else if (type == MD_UNSUBSCRIBE) {
      s->md_req[i][0] = '\0';
    } else {
      copy_str(s->md_req[i], sizeof s->md_req[i], req);
      s->md_req[i][req.len] = '\0';
      s->md_depth[i] = (uint8_t)depth;
      s->md_incr[i] = updates == 1;
      LOG_INFO("msg=\"market data subscribed\" session=%s symbol=%s depth=%d md_updates=%s",
               s->cfg->sender_comp_id, x->md[i].symbol, (int)depth,
               updates == 1 ? "incremental" : "full");
      rc = send_snapshot(s, (size_t)i);
    }
  }
  if (!any && type == MD_UNSUBSCRIBE) /* by MDReqID alone */
    for (size_t i = 0; i < x->nmd; i++)
      if (oms_fix_str_eq(req, s->md_req[i])) s->md_req[i][0] = '\0';
  if (!any && type == MD_SUBSCRIBE) rc = send_md_reject(s, req, "no symbol");
  return rc;
}

/* The changed symbols' snapshots to their subscribers, at most every
 * VX_MD_INTERVAL_NS: work per symbol and session, never per order. */
static int md_flush(vx_t *x, int64_t now) {
  if (now < x->md_next_ns) return 0;
  x->md_next_ns = now + VX_MD_INTERVAL_NS;
  int n = 0;
  bool dirty[OMS_SIM_MAX_SYMBOLS];
  memcpy(dirty, x->md_dirty, sizeof dirty);
  for (size_t i = 0; i < x->nmd; i++) {
    if (!x->md_dirty[i]) continue;
    x->md_dirty[i] = false;
    for (size_t k = 0; k < x->nsess; k++) {
      vsess_t *s = &x->sess[k];
      if (s->md_req[i][0] == '\0' || s->md_incr[i] ||
          oms_fix_session_state(s->fs) != OMS_FIX_SESSION_ACTIVE)
        continue;
      if (send_snapshot(s, i) == 0) n++;
    }
  }
  for (size_t k = 0; k < x->nsess; k++)
    if (x->sess[k].md_sent != NULL &&
        oms_fix_session_state(x->sess[k].fs) == OMS_FIX_SESSION_ACTIVE)
      n += send_incrementals(&x->sess[k], dirty);
  return n;
}

/* ---- Session callbacks ------------------------------------------------------------------- */

static int io_send(void *ctx, const char *data, size_t len) {
  vsess_t *s = ctx;
  if (s->conn == NULL) return OMS_ECLOSED;
  return s->x->sess_send(s->x->net, s->conn, data, len);
}

static void io_disconnect(void *ctx, const char *reason) {
  vsess_t *s = ctx;
  if (s->conn != NULL) s->x->sess_close(s->x->net, s->conn, reason);
}

static int io_app(void *ctx, const oms_fix_msg_t *m) {
  vsess_t *s = ctx;
  vx_t *x = s->x;
  (void)release(x, s);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_NewOrderSingle)) return on_new(x, s, m);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderCancelRequest)) return on_cancel(x, s, m);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderCancelReplaceRequest)) return on_replace(x, s, m);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderStatusRequest)) return on_status(x, s, m);
  if (oms_fix_msg_is(m, VMSG_ORDER_MASS_STATUS_REQUEST)) return on_mass_status(x, s, m);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_MarketDataRequest)) return on_md_request(x, s, m);
  int64_t seq = 0;
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
  oms_fix_business_reject_t br = {.ref_seq_num = seq,
                                  .ref_msg_type = m->msg_type,
                                  .reason = 3, /* unsupported message type */
                                  .text = S("not supported by this exchange")};
  return oms_fix_session_send_business_reject(s->fs, &br);
}

static int io_auth(void *ctx, oms_fix_str_t user, oms_fix_str_t password) {
  vsess_t *s = ctx;
  (void)user;
  if (s->cfg->password[0] == '\0') return 0;
  return oms_fix_str_eq(password, s->cfg->password) ? 0 : OMS_EREJECTED;
}

static void io_log(void *ctx, oms_fix_log_level_t level, const char *text) {
  vsess_t *s = ctx;
  app_log((oms_log_level_t)level, "session=%s %s", s->cfg->sender_comp_id, text);
}

/* ---- Life -------------------------------------------------------------------------------- */

int vx_find_session(const vx_t *x, oms_fix_str_t sender, oms_fix_str_t target) {
  for (size_t i = 0; i < x->nsess; i++)
    if (oms_fix_str_eq(sender, x->sess[i].cfg->sender_comp_id) &&
        oms_fix_str_eq(target, x->sess[i].cfg->target_comp_id))
      return (int)i;
  return -1;
}

void vx_disconnected(vx_t *x, size_t i) {
  vsess_t *s = &x->sess[i];
  s->conn = NULL;
  memset(s->md_req, 0, sizeof s->md_req);
  memset(s->md_incr, 0, sizeof s->md_incr);
  if (oms_fix_session_state(s->fs) != OMS_FIX_SESSION_DISCONNECTED)
    oms_fix_session_reset_connection(s->fs);
  if (!s->cfg->cancel_on_disconnect) return;
  uint32_t n = 0;
  for (uint32_t k = 0; k < x->nords; k++) {
    vord_t *o = &x->ords[k];
    if (!o->used || !o->live || o->sess != i || o->pend != 0) continue;
    if (oms_venue_send_cancel(x->sim, k + 1) == 0) {
      o->pend = 'X';
      n++;
    }
  }
  LOG_INFO("msg=\"cancel on disconnect\" session=%s orders=%u", s->cfg->sender_comp_id, n);
}

int vx_poll(vx_t *x) {
  int64_t now = oms_clock_now(&x->clock);
  int n = oms_venue_poll(x->sim, now);
  if (x->session_end_ns > 0 && now >= x->session_end_ns) {
    /* The next trading day's end; today's DAY orders expired in the poll. */
    x->session_end_ns += INT64_C(86400) * 1000000000;
    oms_sim_venue_set_session_end(x->sim, x->session_end_ns);
  }
  for (size_t i = 0; i < x->nsess; i++) n += release(x, &x->sess[i]);
  return n + md_flush(x, now);
}

/* Replays the orders' journal (each line one fact, in order). */
static int replay(vx_t *x) {
  char line[512];
  rewind(x->jr);
  while (fgets(line, sizeof line, x->jr) != NULL) {
    unsigned long long id;
    char kind;
    if (sscanf(line, "%c %llu", &kind, &id) != 2 || id == 0 || id > x->cap) continue;
    vord_t *o = &x->ords[id - 1];
    long long a, b, c;
    if (kind == 'N') {
      size_t si;
      char side, type, tif;
      memset(o, 0, sizeof *o);
      if (sscanf(line, "N %*u %zu %63s %63s %31s %c %c %c %lld %lld %lld", &si, o->cl, o->account,
                 o->symbol, &side, &type, &tif, &a, &b, &c) != 10 ||
          si >= x->nsess)
        continue;
      if (strcmp(o->account, "-") == 0) o->account[0] = '\0';
      o->used = o->live = true;
      o->sess = (uint16_t)si;
      o->side = side;
      o->ord_type = type;
      o->tif = tif;
      o->qty.raw = o->leaves.raw = a;
      o->price.raw = b;
      o->stop.raw = c;
      if (id > x->nords) x->nords = (uint32_t)id;
      if (cl_put(x, si, o->cl, id) != 0) return -1;
    } else if (!o->used) {
      continue;
    } else if (kind == 'F' && sscanf(line, "F %*u %lld %lld", &a, &b) == 2) {
      o->notional += (__int128)a * b;
      o->cum.raw += a;
    } else if (kind == 'R' && sscanf(line, "R %*u %63s %lld %lld %lld", o->cl, &a, &b, &c) == 4) {
      o->qty.raw = a;
      o->price.raw = b;
      o->stop.raw = c;
      if (cl_put(x, o->sess, o->cl, id) != 0) return -1;
    } else if (kind == 'D') {
      o->live = false;
      o->leaves.raw = 0;
      char untold = 0;
      (void)sscanf(line, "D %*u %c %c", &o->ord_status, &untold);
      o->untold = untold == 'U';
    }
  }
  return 0;
}

/* The venue's restored working orders give leaves and terms (a replace
 * the journal missed); cum stays the journal's: a fill the venue made but
 * had not delivered when it stopped is delivered again at its first poll,
 * and its report brings cum and AvgPx along, and is told to the session. */
static int restored(void *ctx, const oms_sim_order_t *w) {
  vx_t *x = ctx;
  vord_t *o = ord_of(x, w->order_id);
  if (o == NULL || w->status != OMS_VSTATUS_WORKING) return 0;
  o->live = true;
  o->leaves.raw = w->qty.raw - o->cum.raw;
  o->qty = w->qty;
  o->price = w->price;
  snprintf(o->vid, sizeof o->vid, "%s", w->venue_order_id);
  o->ord_status = o->cum.raw > 0 ? '1' : '0';
  o->ord_type = o->ord_type ? o->ord_type : vmap_fix_ord_type(w->type);
  return 0;
}

static int known(void *ctx, const oms_sim_order_t *w) {
  vord_t *o = ord_of(ctx, w->order_id);
  if (o != NULL) o->at_venue = true;
  return 0;
}

/* An order the journal has live that no held report will bring up to date
 * (the report was lost in a crash while held in memory for a session not
 * logged on, or there never was one: a rejection): the venue's record is the
 * truth. A fill missing here is booked as one F line at the price that makes
 * AvgPx the venue's; a finished order is done. */
static int settled(void *ctx, const oms_sim_order_t *w) {
  vx_t *x = ctx;
  vord_t *o = ord_of(x, w->order_id);
  if (o == NULL || !o->live || o->news) return 0;
  int64_t dq = w->cum_qty.raw - o->cum.raw;
  if (dq > 0) {
    __int128 want = (__int128)w->avg_px.raw * w->cum_qty.raw;
    int64_t px = (int64_t)((want - o->notional) / dq);
    o->notional += (__int128)dq * px;
    o->cum = w->cum_qty;
    (void)vjournal_write(x->jr, x->fsync, "F %llu %lld %lld\n", (unsigned long long)w->order_id,
                         (long long)dq, (long long)px);
  }
  snprintf(o->vid, sizeof o->vid, "%s", w->venue_order_id);
  if (w->status == OMS_VSTATUS_WORKING) {
    o->leaves = w->leaves_qty;
    o->ord_status = o->cum.raw > 0 ? '1' : '0';
    return 0;
  }
  o->live = false;
  o->leaves.raw = 0;
  o->ord_status = w->status == OMS_VSTATUS_REJECTED  ? '8'
                  : w->status == OMS_VSTATUS_EXPIRED ? 'C'
                  : o->cum.raw >= o->qty.raw         ? '2'
                                                     : '4';
  o->untold = true;
  (void)vjournal_write(x->jr, x->fsync, "D %llu %c U\n", (unsigned long long)w->order_id,
                       o->ord_status);
  return 0;
}

int vx_open(vx_t *x, oms_config_t *cfg, int64_t session_end_ns) {
  memset(x, 0, sizeof *x);
  x->cfg = cfg;
  x->clock = oms_clock_realtime();
  x->fsync = cfg->durability == OMS_DURABILITY_FSYNC;
  x->boot_s = oms_clock_now(&x->clock) / 1000000000;
  x->session_end_ns = session_end_ns;
  if (cfg->nvenues == 0) {
    LOG_ERROR("msg=\"no venue configured: the exchange is venues[0]\"");
    return -1;
  }
  char dir[OMS_CFG_PATH_MAX];
  snprintf(dir, sizeof dir, "%s", cfg->data_dir);
  for (char *p = dir + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      (void)mkdir(dir, 0755); /* the last one says whether it worked */
      *p = '/';
    }
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    app_log_sys(OMS_LOG_ERROR, "mkdir", "object=data_dir", errno);
    return -1;
  }
  const oms_cfg_venue_t *vc = &cfg->venues[0];
  x->cap = cfg->cap.venue_orders;
  x->ords = calloc(x->cap, sizeof *x->ords);
  if (x->ords == NULL || oms__strmap_init(&x->cl_of, x->cap * 2, OMS_ID_MAX + 16) != 0) return -1;
  oms_sim_symbol_t syms[OMS_SIM_MAX_SYMBOLS];
  size_t nsyms = 0;
  for (size_t i = 0; i < cfg->ninstruments && nsyms < OMS_SIM_MAX_SYMBOLS; i++) {
    if (strcmp(cfg->instruments[i].ins.venue, vc->name) != 0) continue;
    syms[nsyms] = (oms_sim_symbol_t){.ins = cfg->instruments[i].ins, .lp = cfg->instruments[i].lp};
    snprintf(x->md[nsyms].symbol, sizeof x->md[nsyms].symbol, "%s", syms[nsyms].ins.symbol);
    nsyms++;
  }
  x->nmd = nsyms;
  char state[OMS_CFG_PATH_MAX + 16];
  snprintf(state, sizeof state, "%s/book.state", cfg->data_dir);
  oms_sim_config_t sc = {.name = vc->name,
                         .clock = x->clock,
                         .max_orders = x->cap,
                         .book_capacity = cfg->cap.book_orders,
                         .report_capacity = cfg->cap.venue_reports,
                         .ack_latency_ns = vc->ack_latency_ns,
                         .fill_latency_ns = vc->fill_latency_ns,
                         .session_end_ns = session_end_ns,
                         .maker_fee_rate = vc->maker_fee_rate,
                         .taker_fee_rate = vc->taker_fee_rate,
                         .seed = vc->seed,
                         .symbols = syms,
                         .nsymbols = nsyms,
                         .state_path = state};
  int rc = oms_sim_venue_create(&sc, &x->sim);
  if (rc != 0) {
    LOG_ERROR("msg=\"matching engine refused\" rc=%d error=%s state=%s%s", rc, oms_err_name(rc),
              state,
              rc == OMS_ECORRUPT ? " hint=\"the state file is damaged or from a build before "
                                   "2026-12-02 (another layout): it holds the venue's orders; "
                                   "move it aside to start the venue empty\""
                                 : "");
    return -1;
  }
  oms_venue_handler_t h = {.on_report = on_report, .on_market_data = on_market_data, .ctx = x};
  oms_venue_set_handler(x->sim, &h);
  if (vjournal_open(&x->jr, cfg->data_dir) != 0) return -1;
  for (size_t i = 0; i < cfg->nsessions; i++) {
    const oms_cfg_session_t *c = &cfg->sessions[i];
    vsess_t *s = &x->sess[x->nsess++];
    s->x = x;
    s->cfg = c;
    if (vstore_open(&s->st, cfg->data_dir, c->target_comp_id, c->sender_comp_id, x->fsync) != 0)
      return -1;
    unsigned f = 0;
    if (!c->validate) f |= OMS_FIX_DICT_OFF;
    if (!c->validate_enums) f |= OMS_FIX_DICT_NO_ENUMS;
    if (!c->validate_order) f |= OMS_FIX_DICT_NO_ORDER;
    if (c->allow_user_tags) f |= OMS_FIX_DICT_ALLOW_USER_TAGS;
    oms_fix_session_config_t fc = {
        .sender_comp_id = c->target_comp_id,
        .target_comp_id = c->sender_comp_id,
        .max_heartbeat_s = c->heartbeat_s,
        .max_clock_skew_ns =
            c->sending_time_tolerance_s > 0 ? c->sending_time_tolerance_s * 1000000000 : -1,
        .max_msg_len = cfg->cap.max_msg_bytes,
        .dict_flags = f};
    oms_fix_session_io_t io = {.send = io_send,
                               .disconnect = io_disconnect,
                               .on_app_msg = io_app,
                               .authenticate = io_auth,
                               .log = io_log,
                               .ctx = s};
    oms_fix_session_store_t st = vstore_callbacks(&s->st);
    if (oms_fix_session_create(&fc, &io, &st, &x->clock, &s->fs) != 0) return -1;
  }
  if (replay(x) != 0) return -1;
  /* An order the journal has live but the venue does not hold at all (its
   * state file lost, or the order too old for it to keep) is answered as
   * done. */
  (void)oms_sim_venue_orders(x->sim, known, x);
  for (uint32_t k = 0; k < x->nords; k++) {
    vord_t *o = &x->ords[k];
    if (!o->used || !o->live || o->at_venue) continue;
    o->live = false;
    o->leaves.raw = 0;
    o->ord_status = o->cum.raw >= o->qty.raw ? '2' : '4';
  }
  (void)oms_sim_venue_working(x->sim, restored, x);
  /* The venue's first poll delivers what it had not delivered when it
   * stopped (held here for the sessions, told at their logon); an order live
   * here that the venue has ahead (filled more, or finished) with no report
   * held is settled from its record. */
  (void)oms_venue_poll(x->sim, oms_clock_now(&x->clock));
  for (size_t i = 0; i < x->nsess; i++)
    for (size_t k = 0; k < x->sess[i].nheld; k++) {
      vord_t *o = ord_of(x, x->sess[i].held[k].order_id);
      if (o != NULL) o->news = true;
    }
  (void)oms_sim_venue_orders(x->sim, settled, x);
  oms_sim_stats_t ss;
  oms_sim_venue_stats(x->sim, &ss);
  LOG_INFO(
      "msg=\"exchange ready\" venue=%s symbols=%zu orders_known=%u working=%u finished=%u "
      "redelivered=%u",
      vc->name, nsyms, x->nords, ss.restored, ss.restored_finished, ss.redelivered);
  return 0;
}

void vx_close(vx_t *x) {
  for (size_t i = 0; i < x->nsess; i++) {
    oms_fix_session_destroy(x->sess[i].fs);
    vstore_close(&x->sess[i].st);
    free(x->sess[i].held);
    free(x->sess[i].md_sent);
  }
  oms_venue_destroy(x->sim);
  if (x->jr != NULL) fclose(x->jr);
  oms__strmap_close(&x->cl_of);
  free(x->ords);
  memset(x, 0, sizeof *x);
}
