/* test_app.c - order-entry readers and writers of src/fix/app.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix_test_util.h"
#include "oms/fix_dict.h"

#define HDR "49=CLIENT|56=OMS|34=2|52=20260101-00:00:00.000|"
#define TT "60=20260101-00:00:00.250|"

typedef struct {
  char buf[2048];
  oms_fix_msg_t msg;
  oms_fix_bad_field_t bad;
} ctx_t;

static void parse_body(ctx_t *c, const char *body) {
  size_t len = frame(c->buf, sizeof(c->buf), body), used;
  assert_int_equal(oms_fix_parse(c->buf, len, NULL, &c->msg, &used, NULL), 0);
}

static void test_new_order_reads_every_field(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=D|" HDR "11=ORD1|1=ACC|55=BTC-USD|54=2|" TT
                 "38=1.5|40=4|44=100.25|99=101|59=6|18=6 E|126=20260102-00:00:00|58=hi|"
                 "453=2|448=TRADER|447=D|452=11|448=DESK|");
  oms_fix_new_order_t o;
  assert_int_equal(oms_fix_read_new_order(&c.msg, &o, &c.bad), 0);
  assert_true(oms_fix_str_eq(o.o.cl_ord_id, "ORD1"));
  assert_true(oms_fix_str_eq(o.o.account, "ACC"));
  assert_true(oms_fix_str_eq(o.o.symbol, "BTC-USD"));
  assert_int_equal(o.o.side, OMS_FIX_SIDE_SELL);
  assert_true(o.o.transact_time_ns == T0 + 250000000);
  assert_true(oms_fix_str_eq(o.o.order_qty, "1.5"));
  assert_int_equal(o.o.ord_type, OMS_FIX_ORD_TYPE_STOP_LIMIT);
  assert_true(oms_fix_str_eq(o.o.price, "100.25"));
  assert_true(oms_fix_str_eq(o.o.stop_px, "101"));
  assert_int_equal(o.o.time_in_force, OMS_FIX_TIF_GTD);
  assert_int_equal(o.o.post_only, 1);
  assert_true(o.o.expire_time_ns == T0 + 86400 * SEC);
  assert_true(oms_fix_str_eq(o.o.text, "hi"));
  assert_int_equal(o.o.nparties, 2);
  assert_true(oms_fix_str_eq(o.o.parties[0].id, "TRADER"));
  assert_int_equal(o.o.parties[0].source, 'D');
  assert_int_equal(o.o.parties[0].role, 11);
  assert_true(oms_fix_str_eq(o.o.parties[1].id, "DESK"));
  assert_int_equal(o.o.parties[1].source, 0);
}

static void test_new_order_defaults_time_in_force_to_day(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=D|" HDR "11=O|55=S|54=1|" TT "38=1|40=1|");
  oms_fix_new_order_t o;
  assert_int_equal(oms_fix_read_new_order(&c.msg, &o, &c.bad), 0);
  assert_int_equal(o.o.time_in_force, OMS_FIX_TIF_DAY);
  assert_int_equal(o.o.post_only, 0);
  assert_int_equal(o.o.nparties, 0);
  assert_null(o.o.price.ptr);
}

typedef struct {
  const char *body;
  uint32_t tag;
  int reason;
} bad_case_t;

static void test_new_order_reports_the_bad_tag_and_reason(void **state) {
  (void)state;
  const bad_case_t cases[] = {
      {"55=S|54=1|" TT "38=1|40=1|", 11, OMS_FIX_SRR_REQUIRED_TAG_MISSING},
      {"11=O|54=1|" TT "38=1|40=1|", 55, OMS_FIX_SRR_REQUIRED_TAG_MISSING},
      {"11=O|55=S|" TT "38=1|40=1|", 54, OMS_FIX_SRR_REQUIRED_TAG_MISSING},
      {"11=O|55=S|54=Z|" TT "38=1|40=1|", 54, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=12|" TT "38=1|40=1|", 54, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|38=1|40=1|", 60, OMS_FIX_SRR_REQUIRED_TAG_MISSING},
      {"11=O|55=S|54=1|60=yesterday|38=1|40=1|", 60, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|" TT "40=1|", 38, OMS_FIX_SRR_REQUIRED_TAG_MISSING},
      {"11=O|55=S|54=1|" TT "38=lots|40=1|", 38, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|" TT "38=1|", 40, OMS_FIX_SRR_REQUIRED_TAG_MISSING},
      {"11=O|55=S|54=1|" TT "38=1|40=Z|", 40, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=1|" TT "38=1|40=2|44=1,5|", 44, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|" TT "38=1|40=3|99=x|", 99, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|59=9|", 59, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|18=66|", 18, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|18=6 |", 18, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|18=%|", 18, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|126=x|", 126, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|453=2|448=A|", 453, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP},
      {"11=O|55=S|54=1|" TT "38=1|40=1|453=x|", 453, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP},
      {"11=O|55=S|54=1|" TT "38=1|40=1|453=9|448=A|", 453, OMS_FIX_SRR_VALUE_INCORRECT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|453=1|448=A|447=DD|", 447,
       OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
      {"11=O|55=S|54=1|" TT "38=1|40=1|453=1|448=A|452=x|", 452, OMS_FIX_SRR_INCORRECT_DATA_FORMAT},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ctx_t c;
    char body[512];
    snprintf(body, sizeof(body), "35=D|" HDR "%s", cases[i].body);
    parse_body(&c, body);
    oms_fix_new_order_t o;
    assert_int_equal(oms_fix_read_new_order(&c.msg, &o, &c.bad), OMS_EPROTO);
    assert_int_equal(c.bad.tag, cases[i].tag);
    assert_int_equal(c.bad.reason, cases[i].reason);
  }
}

static void test_reader_refuses_another_msg_type(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=F|" HDR);
  oms_fix_new_order_t o;
  oms_fix_replace_t r;
  oms_fix_cancel_t x;
  oms_fix_status_req_t h;
  oms_fix_mass_cancel_t q;
  assert_int_equal(oms_fix_read_new_order(&c.msg, &o, &c.bad), OMS_EINVAL);
  assert_int_equal(oms_fix_read_replace(&c.msg, &r, &c.bad), OMS_EINVAL);
  assert_int_equal(oms_fix_read_status_request(&c.msg, &h, &c.bad), OMS_EINVAL);
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), OMS_EINVAL);
  parse_body(&c, "35=D|" HDR);
  assert_int_equal(oms_fix_read_cancel(&c.msg, &x, &c.bad), OMS_EINVAL);
}

static void test_replace_reads_orig_id_and_order_fields(void **state) {
  (void)state;
  ctx_t c;
  parse_body(&c, "35=G|" HDR "41=ORD1|37=X9|11=ORD2|55=S|54=1|" TT "38=3|40=2|44=10|");
  oms_fix_replace_t r;
  assert_int_equal(oms_fix_read_replace(&c.msg, &r, &c.bad), 0);
  assert_true(oms_fix_str_eq(r.orig_cl_ord_id, "ORD1"));
  assert_true(oms_fix_str_eq(r.order_id, "X9"));
  assert_true(oms_fix_str_eq(r.o.cl_ord_id, "ORD2"));
  parse_body(&c, "35=G|" HDR "11=ORD2|55=S|54=1|" TT "38=3|40=2|");
  assert_int_equal(oms_fix_read_replace(&c.msg, &r, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 41);
}

static void test_cancel_reads_and_validates(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_cancel_t x;
  parse_body(&c, "35=F|" HDR "41=ORD1|11=C1|37=X|1=A|55=S|54=2|" TT "38=2|58=t|");
  assert_int_equal(oms_fix_read_cancel(&c.msg, &x, &c.bad), 0);
  assert_true(oms_fix_str_eq(x.orig_cl_ord_id, "ORD1"));
  assert_true(oms_fix_str_eq(x.cl_ord_id, "C1"));
  assert_true(oms_fix_str_eq(x.order_id, "X"));
  assert_true(oms_fix_str_eq(x.order_qty, "2"));
  assert_int_equal(x.side, '2');
  const bad_case_t cases[] = {
      {"11=C1|55=S|54=2|" TT, 41, 1},  {"41=O|55=S|54=2|" TT, 11, 1},
      {"41=O|11=C|54=2|" TT, 55, 1},   {"41=O|11=C|55=S|" TT, 54, 1},
      {"41=O|11=C|55=S|54=2|", 60, 1}, {"41=O|11=C|55=S|54=2|" TT "38=x|", 38, 6},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char body[512];
    snprintf(body, sizeof(body), "35=F|" HDR "%s", cases[i].body);
    parse_body(&c, body);
    assert_int_equal(oms_fix_read_cancel(&c.msg, &x, &c.bad), OMS_EPROTO);
    assert_int_equal(c.bad.tag, cases[i].tag);
    assert_int_equal(c.bad.reason, cases[i].reason);
  }
}

static void test_status_request_reads_and_validates(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_status_req_t h;
  parse_body(&c, "35=H|" HDR "11=C1|37=X|790=R1|1=A|55=S|54=1|");
  assert_int_equal(oms_fix_read_status_request(&c.msg, &h, &c.bad), 0);
  assert_true(oms_fix_str_eq(h.ord_status_req_id, "R1"));
  parse_body(&c, "35=H|" HDR "11=C1|54=1|");
  assert_int_equal(oms_fix_read_status_request(&c.msg, &h, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 55);
  parse_body(&c, "35=H|" HDR "55=S|54=1|");
  assert_int_equal(oms_fix_read_status_request(&c.msg, &h, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 11);
  parse_body(&c, "35=H|" HDR "11=C|55=S|");
  assert_int_equal(oms_fix_read_status_request(&c.msg, &h, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 54);
}

static void test_mass_cancel_requires_symbol_when_by_security(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_mass_cancel_t q;
  parse_body(&c, "35=q|" HDR "11=M1|530=7|" TT "1=A|58=t|");
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), 0);
  assert_int_equal(q.request_type, OMS_FIX_MASS_CANCEL_ALL);
  assert_int_equal(q.side, 0);
  parse_body(&c, "35=q|" HDR "11=M1|530=1|55=S|54=1|" TT);
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), 0);
  assert_true(oms_fix_str_eq(q.symbol, "S"));
  parse_body(&c, "35=q|" HDR "11=M1|530=1|" TT);
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 55);
  parse_body(&c, "35=q|" HDR "11=M1|530=9|" TT);
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 530);
  assert_int_equal(c.bad.reason, OMS_FIX_SRR_VALUE_INCORRECT);
  parse_body(&c, "35=q|" HDR "530=7|" TT);
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 11);
  parse_body(&c, "35=q|" HDR "11=M|530=7|");
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 60);
  parse_body(&c, "35=q|" HDR "11=M|530=7|54=x|" TT);
  assert_int_equal(oms_fix_read_mass_cancel(&c.msg, &q, &c.bad), OMS_EPROTO);
  assert_int_equal(c.bad.tag, 54);
}

/* Builds a message with writer fn and parses it back. */
static void build(ctx_t *c, const char *type, int (*fn)(oms_fix_builder_t *, const void *),
                  const void *arg, int want) {
  oms_fix_builder_t b;
  oms_fix_header_t h = {type, "OMS", "CLIENT", 5, T0, 0, 0, 0, NULL};
  oms_fix_builder_begin_header(&b, c->buf, sizeof(c->buf), &h);
  assert_int_equal(fn(&b, arg), want);
  size_t len, used;
  if (want) return;
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  assert_int_equal(oms_fix_parse(c->buf, len, NULL, &c->msg, &used, NULL), 0);
}

static int er_fn(oms_fix_builder_t *b, const void *a) { return oms_fix_add_exec_report(b, a); }
static int cr_fn(oms_fix_builder_t *b, const void *a) { return oms_fix_add_cancel_reject(b, a); }
static int mr_fn(oms_fix_builder_t *b, const void *a) {
  return oms_fix_add_mass_cancel_report(b, a);
}
static int br_fn(oms_fix_builder_t *b, const void *a) { return oms_fix_add_business_reject(b, a); }
static int ls_fn(oms_fix_builder_t *b, const void *a) { return oms_fix_add_list_status(b, a); }

static void test_exec_report_writes_required_and_optional_fields(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_exec_report_t er = {.order_id = oms_fix_str("X1"),
                              .cl_ord_id = oms_fix_str("ORD1"),
                              .exec_id = oms_fix_str("E1"),
                              .exec_type = OMS_FIX_EXEC_TYPE_TRADE,
                              .ord_status = OMS_FIX_ORD_STATUS_PARTIALLY_FILLED,
                              .symbol = oms_fix_str("BTC-USD"),
                              .side = OMS_FIX_SIDE_BUY,
                              .order_qty = oms_fix_str("2"),
                              .ord_type = OMS_FIX_ORD_TYPE_LIMIT,
                              .price = oms_fix_str("100"),
                              .time_in_force = OMS_FIX_TIF_GTC,
                              .last_qty = oms_fix_str("1"),
                              .last_px = oms_fix_str("99.5"),
                              .leaves_qty = oms_fix_str("1"),
                              .cum_qty = oms_fix_str("1"),
                              .avg_px = oms_fix_str("99.5"),
                              .transact_time_ns = T0,
                              .ord_rej_reason = -1};
  build(&c, "8", er_fn, &er, 0);
  oms_fix_str_t v;
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 150, &v), 0);
  assert_true(oms_fix_str_eq(v, "F"));
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 31, &v), 0);
  assert_true(oms_fix_str_eq(v, "99.5"));
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 103, &v), OMS_ENOTFOUND);
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 41, &v), OMS_ENOTFOUND);
  er.ord_rej_reason = OMS_FIX_ORD_REJ_EXCEEDS_LIMIT;
  er.text = oms_fix_str("max_order_size");
  er.exec_type = OMS_FIX_EXEC_TYPE_REJECTED;
  build(&c, "8", er_fn, &er, 0);
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 103, &v), 0);
  assert_true(oms_fix_str_eq(v, "3"));
  er.exec_id = oms_fix_str(NULL);
  build(&c, "8", er_fn, &er, OMS_EINVAL);
}

static void test_cancel_reject_writes_its_fields(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_cancel_reject_t cr = {.order_id = oms_fix_str("NONE"),
                                .cl_ord_id = oms_fix_str("C2"),
                                .orig_cl_ord_id = oms_fix_str("C1"),
                                .ord_status = OMS_FIX_ORD_STATUS_REJECTED,
                                .response_to = OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL,
                                .cxl_rej_reason = OMS_FIX_CXL_REJ_UNKNOWN_ORDER,
                                .account = oms_fix_str("A"),
                                .transact_time_ns = T0,
                                .text = oms_fix_str("unknown order")};
  build(&c, "9", cr_fn, &cr, 0);
  int64_t v;
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 102, &v), 0);
  assert_int_equal(v, 1);
  cr.cxl_rej_reason = -1;
  build(&c, "9", cr_fn, &cr, 0);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 102, &v), OMS_ENOTFOUND);
  cr.response_to = 0;
  build(&c, "9", cr_fn, &cr, OMS_EINVAL);
}

static void test_mass_cancel_report_writes_its_fields(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_mass_cancel_report_t mr = {.cl_ord_id = oms_fix_str("M1"),
                                     .order_id = oms_fix_str("MC1"),
                                     .request_type = OMS_FIX_MASS_CANCEL_ALL,
                                     .response = OMS_FIX_MASS_CANCEL_ALL,
                                     .reject_reason = -1,
                                     .total_affected = 3,
                                     .symbol = oms_fix_str("S"),
                                     .side = '1',
                                     .transact_time_ns = T0,
                                     .text = oms_fix_str("ok")};
  build(&c, "r", mr_fn, &mr, 0);
  int64_t v;
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 533, &v), 0);
  assert_int_equal(v, 3);
  mr.response = OMS_FIX_MASS_CANCEL_REJECTED;
  mr.reject_reason = 0;
  mr.total_affected = -1;
  build(&c, "r", mr_fn, &mr, 0);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 532, &v), 0);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 533, &v), OMS_ENOTFOUND);
  mr.order_id = oms_fix_str(NULL);
  build(&c, "r", mr_fn, &mr, OMS_EINVAL);
}

/* A ListStatus is one report (NoRpts 1, RptSeq 1) with its orders as a
 * NoOrders group the FIX 4.4 dictionary accepts; a missing required field
 * of an entry fails the writer. */
static void test_list_status_writes_its_orders(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_list_order_t o[2] = {{.cl_ord_id = oms_fix_str("a"),
                                .cum_qty = oms_fix_str("1"),
                                .ord_status = '2',
                                .leaves_qty = oms_fix_str("0"),
                                .cxl_qty = oms_fix_str("0"),
                                .avg_px = oms_fix_str("100.5")},
                               {.cl_ord_id = oms_fix_str("b"),
                                .cum_qty = oms_fix_str("0"),
                                .ord_status = '4',
                                .leaves_qty = oms_fix_str("0"),
                                .cxl_qty = oms_fix_str("1"),
                                .avg_px = oms_fix_str("0"),
                                .text = oms_fix_str("why")}};
  oms_fix_list_status_t ls = {.list_id = oms_fix_str("L"),
                              .list_status_type = OMS_FIX_LIST_STATUS_TYPE_ALL_DONE,
                              .list_order_status = OMS_FIX_LIST_ORDER_STATUS_ALL_DONE,
                              .text = oms_fix_str("done"),
                              .transact_time_ns = T0,
                              .orders = o,
                              .n = 2};
  build(&c, "N", ls_fn, &ls, 0);
  oms_fix_bad_field_t bad;
  assert_int_equal(oms_fix_dict_validate(oms_fix_dict_fix44(), &c.msg, 0, &bad), 0);
  int64_t v;
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 73, &v), 0);
  assert_int_equal(v, 2);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 68, &v), 0);
  assert_int_equal(v, 2);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 429, &v), 0);
  assert_int_equal(v, 5);
  oms_fix_str_t t;
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 444, &t), 0);
  assert_int_equal(t.len, 4);
  o[1].cxl_qty = oms_fix_str(NULL);
  build(&c, "N", ls_fn, &ls, OMS_EINVAL);
  ls.list_id = oms_fix_str(NULL);
  build(&c, "N", ls_fn, &ls, OMS_EINVAL);
}

static void test_business_reject_writes_its_fields(void **state) {
  (void)state;
  ctx_t c;
  oms_fix_business_reject_t br = {.ref_seq_num = 7,
                                  .ref_msg_type = oms_fix_str("AE"),
                                  .ref_id = oms_fix_str("R1"),
                                  .reason = OMS_FIX_BRR_UNSUPPORTED_MSG_TYPE,
                                  .text = oms_fix_str("unsupported")};
  build(&c, "j", br_fn, &br, 0);
  int64_t v;
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 380, &v), 0);
  assert_int_equal(v, 3);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 45, &v), 0);
  br.ref_seq_num = 0;
  build(&c, "j", br_fn, &br, 0);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 45, &v), OMS_ENOTFOUND);
  br.ref_msg_type = oms_fix_str(NULL);
  build(&c, "j", br_fn, &br, OMS_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_order_reads_every_field),
      cmocka_unit_test(test_new_order_defaults_time_in_force_to_day),
      cmocka_unit_test(test_new_order_reports_the_bad_tag_and_reason),
      cmocka_unit_test(test_reader_refuses_another_msg_type),
      cmocka_unit_test(test_replace_reads_orig_id_and_order_fields),
      cmocka_unit_test(test_cancel_reads_and_validates),
      cmocka_unit_test(test_status_request_reads_and_validates),
      cmocka_unit_test(test_mass_cancel_requires_symbol_when_by_security),
      cmocka_unit_test(test_exec_report_writes_required_and_optional_fields),
      cmocka_unit_test(test_cancel_reject_writes_its_fields),
      cmocka_unit_test(test_mass_cancel_report_writes_its_fields),
      cmocka_unit_test(test_business_reject_writes_its_fields),
      cmocka_unit_test(test_list_status_writes_its_orders),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
