/*
 * app.c - the order-entry application messages: readers that turn a parsed
 * D/F/G/H/q into a plain struct of views, and writers that append the body of
 * an 8/9/r/j to a builder.
 *
 * Readers check what FIX itself requires (presence of required fields, data
 * formats, enumerated values) and report the first problem as the tag and
 * SessionRejectReason(373) a Reject(3) needs. Business rules (positive
 * quantity, a price on limit orders, tick sizes) belong to the engine's
 * validation, which answers with an ExecutionReport, not a session Reject.
 */
#include <string.h>

#include "oms/error.h"
#include "oms/fix.h"

#define SIDES "123456789ABCDEFG"
#define ORD_TYPES "123456789ABCDEFGHIJKLMNP"
#define TIFS "01234567"
#define MASS_CANCEL_TYPES "1234567"

static int bad_field(oms_fix_bad_field_t *bad, uint32_t tag, int reason) {
  bad->tag = tag;
  bad->reason = reason;
  return OMS_EPROTO;
}

/* Maps an accessor failure on tag to the Reject it deserves. */
static int bad_from(oms_fix_bad_field_t *bad, uint32_t tag, int rc) {
  return bad_field(
      bad, tag,
      rc == OMS_ENOTFOUND ? OMS_FIX_SRR_REQUIRED_TAG_MISSING : OMS_FIX_SRR_INCORRECT_DATA_FORMAT);
}

static int req_str(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out,
                   oms_fix_bad_field_t *bad) {
  int rc = oms_fix_msg_get_str(m, tag, out);
  return rc ? bad_from(bad, tag, rc) : 0;
}

static void opt_str(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out) {
  (void)oms_fix_msg_get_str(m, tag, out);
}

static int opt_decimal(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out,
                       oms_fix_bad_field_t *bad) {
  int rc = oms_fix_msg_get_decimal(m, tag, out);
  return rc && rc != OMS_ENOTFOUND ? bad_from(bad, tag, rc) : 0;
}

static int req_decimal(const oms_fix_msg_t *m, uint32_t tag, oms_fix_str_t *out,
                       oms_fix_bad_field_t *bad) {
  int rc = oms_fix_msg_get_decimal(m, tag, out);
  return rc ? bad_from(bad, tag, rc) : 0;
}

/* A char from the enumeration set; *out stays 0 when optional and absent. */
static int get_enum(const oms_fix_msg_t *m, uint32_t tag, const char *set, int required, char *out,
                    oms_fix_bad_field_t *bad) {
  int rc = oms_fix_msg_get_char(m, tag, out);
  if (rc == OMS_ENOTFOUND && !required) return 0;
  if (rc) return bad_from(bad, tag, rc);
  if (!strchr(set, *out)) {
    *out = 0;
    return bad_field(bad, tag, OMS_FIX_SRR_VALUE_INCORRECT);
  }
  return 0;
}

static int get_time(const oms_fix_msg_t *m, uint32_t tag, int required, int64_t *out,
                    oms_fix_bad_field_t *bad) {
  int rc = oms_fix_msg_get_time(m, tag, out);
  if (rc == OMS_ENOTFOUND && !required) return 0;
  return rc ? bad_from(bad, tag, rc) : 0;
}

/* ExecInst(18) is a space-separated list of one-char values. */
static int read_exec_inst(const oms_fix_msg_t *m, oms_fix_order_fields_t *o,
                          oms_fix_bad_field_t *bad) {
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_ExecInst, &o->exec_inst) != 0) return 0;
  const oms_fix_str_t s = o->exec_inst;
  /* Valid values look like "6" or "6 E": chars at even offsets, spaces at odd ones. */
  if (s.len % 2 == 0) return bad_field(bad, OMS_FIX_TAG_ExecInst, OMS_FIX_SRR_VALUE_INCORRECT);
  for (size_t i = 0; i < s.len; i++) {
    char c = s.ptr[i];
    int alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (i % 2 ? c != ' ' : !alnum)
      return bad_field(bad, OMS_FIX_TAG_ExecInst, OMS_FIX_SRR_VALUE_INCORRECT);
    if (c == OMS_FIX_EXEC_INST_POST_ONLY) o->post_only = 1;
  }
  return 0;
}

static int read_parties(const oms_fix_msg_t *m, oms_fix_order_fields_t *o,
                        oms_fix_bad_field_t *bad) {
  oms_fix_group_t g;
  oms_fix_entry_t e;
  if (oms_fix_group_begin(m, OMS_FIX_TAG_NoPartyIDs, &g) != 0) {
    return bad_field(bad, OMS_FIX_TAG_NoPartyIDs, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP);
  }
  if (g.count > OMS_FIX_MAX_PARTIES)
    return bad_field(bad, OMS_FIX_TAG_NoPartyIDs, OMS_FIX_SRR_VALUE_INCORRECT);
  int rc;
  while ((rc = oms_fix_group_next(&g, &e)) == 0) {
    oms_fix_party_t *p = &o->parties[o->nparties++];
    oms_fix_str_t v;
    (void)oms_fix_entry_get(m, &e, OMS_FIX_TAG_PartyID, &p->id); /* the delimiter: always there */
    if (oms_fix_entry_get(m, &e, OMS_FIX_TAG_PartyIDSource, &v) == 0 &&
        oms_fix_str_to_char(v, &p->source) != 0) {
      return bad_field(bad, OMS_FIX_TAG_PartyIDSource, OMS_FIX_SRR_INCORRECT_DATA_FORMAT);
    }
    if (oms_fix_entry_get(m, &e, OMS_FIX_TAG_PartyRole, &v) == 0 &&
        oms_fix_str_to_int(v, &p->role) != 0) {
      return bad_field(bad, OMS_FIX_TAG_PartyRole, OMS_FIX_SRR_INCORRECT_DATA_FORMAT);
    }
  }
  return rc == OMS_ENOTFOUND
             ? 0
             : bad_field(bad, OMS_FIX_TAG_NoPartyIDs, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP);
}

static int read_order_fields(const oms_fix_msg_t *m, oms_fix_order_fields_t *o,
                             oms_fix_bad_field_t *bad) {
  int rc;
  if ((rc = req_str(m, OMS_FIX_TAG_ClOrdID, &o->cl_ord_id, bad)) != 0) return rc;
  if ((rc = req_str(m, OMS_FIX_TAG_Symbol, &o->symbol, bad)) != 0) return rc;
  if ((rc = get_enum(m, OMS_FIX_TAG_Side, SIDES, 1, &o->side, bad)) != 0) return rc;
  if ((rc = get_time(m, OMS_FIX_TAG_TransactTime, 1, &o->transact_time_ns, bad)) != 0) return rc;
  if ((rc = req_decimal(m, OMS_FIX_TAG_OrderQty, &o->order_qty, bad)) != 0) return rc;
  if ((rc = get_enum(m, OMS_FIX_TAG_OrdType, ORD_TYPES, 1, &o->ord_type, bad)) != 0) return rc;
  if ((rc = opt_decimal(m, OMS_FIX_TAG_Price, &o->price, bad)) != 0) return rc;
  if ((rc = opt_decimal(m, OMS_FIX_TAG_StopPx, &o->stop_px, bad)) != 0) return rc;
  if ((rc = get_enum(m, OMS_FIX_TAG_TimeInForce, TIFS, 0, &o->time_in_force, bad)) != 0) return rc;
  if (o->time_in_force == 0) o->time_in_force = OMS_FIX_TIF_DAY;
  if ((rc = read_exec_inst(m, o, bad)) != 0) return rc;
  if ((rc = get_time(m, OMS_FIX_TAG_ExpireTime, 0, &o->expire_time_ns, bad)) != 0) return rc;
  opt_str(m, OMS_FIX_TAG_Account, &o->account);
  opt_str(m, OMS_FIX_TAG_Text, &o->text);
  return read_parties(m, o, bad);
}

static int check_type(const oms_fix_msg_t *m, const char *type, void *out, size_t size,
                      oms_fix_bad_field_t *bad) {
  memset(out, 0, size);
  bad->tag = 0;
  bad->reason = 0;
  return oms_fix_msg_is(m, type) ? 0 : OMS_EINVAL;
}

int oms_fix_read_new_order(const oms_fix_msg_t *m, oms_fix_new_order_t *out,
                           oms_fix_bad_field_t *bad) {
  int rc = check_type(m, OMS_FIX_MSG_NewOrderSingle, out, sizeof(*out), bad);
  return rc ? rc : read_order_fields(m, &out->o, bad);
}

int oms_fix_read_replace(const oms_fix_msg_t *m, oms_fix_replace_t *out, oms_fix_bad_field_t *bad) {
  int rc = check_type(m, OMS_FIX_MSG_OrderCancelReplaceRequest, out, sizeof(*out), bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_OrigClOrdID, &out->orig_cl_ord_id, bad);
  if (rc == 0) rc = read_order_fields(m, &out->o, bad);
  opt_str(m, OMS_FIX_TAG_OrderID, &out->order_id);
  return rc;
}

int oms_fix_read_cancel(const oms_fix_msg_t *m, oms_fix_cancel_t *out, oms_fix_bad_field_t *bad) {
  int rc = check_type(m, OMS_FIX_MSG_OrderCancelRequest, out, sizeof(*out), bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_OrigClOrdID, &out->orig_cl_ord_id, bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_ClOrdID, &out->cl_ord_id, bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_Symbol, &out->symbol, bad);
  if (rc == 0) rc = get_enum(m, OMS_FIX_TAG_Side, SIDES, 1, &out->side, bad);
  if (rc == 0) rc = get_time(m, OMS_FIX_TAG_TransactTime, 1, &out->transact_time_ns, bad);
  if (rc == 0) rc = opt_decimal(m, OMS_FIX_TAG_OrderQty, &out->order_qty, bad);
  if (rc) return rc;
  opt_str(m, OMS_FIX_TAG_OrderID, &out->order_id);
  opt_str(m, OMS_FIX_TAG_Account, &out->account);
  opt_str(m, OMS_FIX_TAG_Text, &out->text);
  return 0;
}

int oms_fix_read_status_request(const oms_fix_msg_t *m, oms_fix_status_req_t *out,
                                oms_fix_bad_field_t *bad) {
  int rc = check_type(m, OMS_FIX_MSG_OrderStatusRequest, out, sizeof(*out), bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_ClOrdID, &out->cl_ord_id, bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_Symbol, &out->symbol, bad);
  if (rc == 0) rc = get_enum(m, OMS_FIX_TAG_Side, SIDES, 1, &out->side, bad);
  if (rc) return rc;
  opt_str(m, OMS_FIX_TAG_OrderID, &out->order_id);
  opt_str(m, OMS_FIX_TAG_OrdStatusReqID, &out->ord_status_req_id);
  opt_str(m, OMS_FIX_TAG_Account, &out->account);
  return 0;
}

int oms_fix_read_mass_cancel(const oms_fix_msg_t *m, oms_fix_mass_cancel_t *out,
                             oms_fix_bad_field_t *bad) {
  int rc = check_type(m, OMS_FIX_MSG_OrderMassCancelRequest, out, sizeof(*out), bad);
  if (rc == 0) rc = req_str(m, OMS_FIX_TAG_ClOrdID, &out->cl_ord_id, bad);
  if (rc == 0)
    rc = get_enum(m, OMS_FIX_TAG_MassCancelRequestType, MASS_CANCEL_TYPES, 1, &out->request_type,
                  bad);
  if (rc == 0) rc = get_time(m, OMS_FIX_TAG_TransactTime, 1, &out->transact_time_ns, bad);
  if (rc == 0) rc = get_enum(m, OMS_FIX_TAG_Side, SIDES, 0, &out->side, bad);
  if (rc) return rc;
  opt_str(m, OMS_FIX_TAG_Symbol, &out->symbol);
  if (out->request_type == OMS_FIX_MASS_CANCEL_BY_SECURITY && out->symbol.len == 0) {
    return bad_field(bad, OMS_FIX_TAG_Symbol, OMS_FIX_SRR_REQUIRED_TAG_MISSING);
  }
  opt_str(m, OMS_FIX_TAG_Account, &out->account);
  opt_str(m, OMS_FIX_TAG_Text, &out->text);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Writers                                                                    */

static int missing(oms_fix_builder_t *b) {
  if (b->err == 0) b->err = OMS_EINVAL;
  return b->err;
}

static void add_opt(oms_fix_builder_t *b, uint32_t tag, oms_fix_str_t v) {
  if (v.len) oms_fix_add_str(b, tag, v);
}

static void add_opt_char(oms_fix_builder_t *b, uint32_t tag, char c) {
  if (c) oms_fix_add_char(b, tag, c);
}

static void add_opt_time(oms_fix_builder_t *b, uint32_t tag, int64_t ns) {
  if (ns > 0) oms_fix_add_time(b, tag, ns);
}

int oms_fix_add_exec_report(oms_fix_builder_t *b, const oms_fix_exec_report_t *er) {
  if (!er->order_id.len || !er->exec_id.len || !er->exec_type || !er->ord_status ||
      !er->symbol.len || !er->side || !er->leaves_qty.len || !er->cum_qty.len || !er->avg_px.len) {
    return missing(b);
  }
  oms_fix_add_str(b, OMS_FIX_TAG_OrderID, er->order_id);
  add_opt(b, OMS_FIX_TAG_ClOrdID, er->cl_ord_id);
  add_opt(b, OMS_FIX_TAG_OrigClOrdID, er->orig_cl_ord_id);
  add_opt(b, OMS_FIX_TAG_ListID, er->list_id);
  oms_fix_add_str(b, OMS_FIX_TAG_ExecID, er->exec_id);
  add_opt(b, OMS_FIX_TAG_ExecRefID, er->exec_ref_id);
  oms_fix_add_char(b, OMS_FIX_TAG_ExecType, er->exec_type);
  oms_fix_add_char(b, OMS_FIX_TAG_OrdStatus, er->ord_status);
  add_opt(b, OMS_FIX_TAG_Account, er->account);
  oms_fix_add_str(b, OMS_FIX_TAG_Symbol, er->symbol);
  oms_fix_add_char(b, OMS_FIX_TAG_Side, er->side);
  add_opt(b, OMS_FIX_TAG_OrderQty, er->order_qty);
  add_opt_char(b, OMS_FIX_TAG_OrdType, er->ord_type);
  add_opt(b, OMS_FIX_TAG_Price, er->price);
  add_opt(b, OMS_FIX_TAG_StopPx, er->stop_px);
  add_opt_char(b, OMS_FIX_TAG_TimeInForce, er->time_in_force);
  add_opt(b, OMS_FIX_TAG_ExecInst, er->exec_inst);
  add_opt(b, OMS_FIX_TAG_LastQty, er->last_qty);
  add_opt(b, OMS_FIX_TAG_LastPx, er->last_px);
  oms_fix_add_str(b, OMS_FIX_TAG_LeavesQty, er->leaves_qty);
  oms_fix_add_str(b, OMS_FIX_TAG_CumQty, er->cum_qty);
  oms_fix_add_str(b, OMS_FIX_TAG_AvgPx, er->avg_px);
  add_opt_time(b, OMS_FIX_TAG_TransactTime, er->transact_time_ns);
  if (er->ord_rej_reason >= 0) oms_fix_add_int(b, OMS_FIX_TAG_OrdRejReason, er->ord_rej_reason);
  add_opt(b, OMS_FIX_TAG_Text, er->text);
  return b->err;
}

int oms_fix_add_cancel_reject(oms_fix_builder_t *b, const oms_fix_cancel_reject_t *cr) {
  if (!cr->order_id.len || !cr->cl_ord_id.len || !cr->orig_cl_ord_id.len || !cr->ord_status ||
      !cr->response_to) {
    return missing(b);
  }
  oms_fix_add_str(b, OMS_FIX_TAG_OrderID, cr->order_id);
  oms_fix_add_str(b, OMS_FIX_TAG_ClOrdID, cr->cl_ord_id);
  oms_fix_add_str(b, OMS_FIX_TAG_OrigClOrdID, cr->orig_cl_ord_id);
  oms_fix_add_char(b, OMS_FIX_TAG_OrdStatus, cr->ord_status);
  add_opt(b, OMS_FIX_TAG_Account, cr->account);
  oms_fix_add_char(b, OMS_FIX_TAG_CxlRejResponseTo, cr->response_to);
  if (cr->cxl_rej_reason >= 0) oms_fix_add_int(b, OMS_FIX_TAG_CxlRejReason, cr->cxl_rej_reason);
  add_opt_time(b, OMS_FIX_TAG_TransactTime, cr->transact_time_ns);
  add_opt(b, OMS_FIX_TAG_Text, cr->text);
  return b->err;
}

int oms_fix_add_mass_cancel_report(oms_fix_builder_t *b, const oms_fix_mass_cancel_report_t *mr) {
  if (!mr->order_id.len || !mr->request_type || !mr->response) return missing(b);
  add_opt(b, OMS_FIX_TAG_ClOrdID, mr->cl_ord_id);
  oms_fix_add_str(b, OMS_FIX_TAG_OrderID, mr->order_id);
  oms_fix_add_char(b, OMS_FIX_TAG_MassCancelRequestType, mr->request_type);
  oms_fix_add_char(b, OMS_FIX_TAG_MassCancelResponse, mr->response);
  if (mr->reject_reason >= 0)
    oms_fix_add_int(b, OMS_FIX_TAG_MassCancelRejectReason, mr->reject_reason);
  if (mr->total_affected >= 0)
    oms_fix_add_int(b, OMS_FIX_TAG_TotalAffectedOrders, mr->total_affected);
  add_opt(b, OMS_FIX_TAG_Symbol, mr->symbol);
  add_opt_char(b, OMS_FIX_TAG_Side, mr->side);
  add_opt_time(b, OMS_FIX_TAG_TransactTime, mr->transact_time_ns);
  add_opt(b, OMS_FIX_TAG_Text, mr->text);
  return b->err;
}

int oms_fix_add_business_reject(oms_fix_builder_t *b, const oms_fix_business_reject_t *br) {
  if (!br->ref_msg_type.len) return missing(b);
  if (br->ref_seq_num > 0) oms_fix_add_int(b, OMS_FIX_TAG_RefSeqNum, br->ref_seq_num);
  oms_fix_add_str(b, OMS_FIX_TAG_RefMsgType, br->ref_msg_type);
  add_opt(b, OMS_FIX_TAG_BusinessRejectRefID, br->ref_id);
  oms_fix_add_int(b, OMS_FIX_TAG_BusinessRejectReason, br->reason);
  add_opt(b, OMS_FIX_TAG_Text, br->text);
  return b->err;
}

int oms_fix_add_list_status(oms_fix_builder_t *b, const oms_fix_list_status_t *ls) {
  if (!ls->list_id.len || ls->list_status_type <= 0 || ls->list_order_status <= 0 ||
      (ls->n > 0 && ls->orders == NULL))
    return missing(b);
  for (size_t i = 0; i < ls->n; i++) {
    const oms_fix_list_order_t *o = &ls->orders[i];
    if (!o->cl_ord_id.len || !o->cum_qty.len || !o->ord_status || !o->leaves_qty.len ||
        !o->cxl_qty.len || !o->avg_px.len)
      return missing(b);
  }
  oms_fix_add_str(b, OMS_FIX_TAG_ListID, ls->list_id);
  oms_fix_add_int(b, OMS_FIX_TAG_ListStatusType, ls->list_status_type);
  oms_fix_add_int(b, OMS_FIX_TAG_NoRpts, 1);
  oms_fix_add_int(b, OMS_FIX_TAG_ListOrderStatus, ls->list_order_status);
  oms_fix_add_int(b, OMS_FIX_TAG_RptSeq, 1);
  add_opt(b, OMS_FIX_TAG_ListStatusText, ls->text);
  add_opt_time(b, OMS_FIX_TAG_TransactTime, ls->transact_time_ns);
  oms_fix_add_int(b, OMS_FIX_TAG_TotNoOrders, (int64_t)ls->n);
  oms_fix_add_int(b, OMS_FIX_TAG_NoOrders, (int64_t)ls->n);
  for (size_t i = 0; i < ls->n; i++) {
    const oms_fix_list_order_t *o = &ls->orders[i];
    oms_fix_add_str(b, OMS_FIX_TAG_ClOrdID, o->cl_ord_id);
    oms_fix_add_str(b, OMS_FIX_TAG_CumQty, o->cum_qty);
    oms_fix_add_char(b, OMS_FIX_TAG_OrdStatus, o->ord_status);
    oms_fix_add_str(b, OMS_FIX_TAG_LeavesQty, o->leaves_qty);
    oms_fix_add_str(b, OMS_FIX_TAG_CxlQty, o->cxl_qty);
    oms_fix_add_str(b, OMS_FIX_TAG_AvgPx, o->avg_px);
    add_opt(b, OMS_FIX_TAG_Text, o->text);
  }
  return b->err;
}
