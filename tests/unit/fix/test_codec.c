/* test_codec.c - framing, parsing and typed accessors of src/fix/codec.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix_test_util.h"

#define NOS_BODY                                                                       \
  "35=D|49=CLIENT|56=OMS|34=2|52=20260101-00:00:00.000|11=ORD1|1=ACC|55=BTC-USD|54=1|" \
  "60=20260101-00:00:00.123|38=1.5|40=2|44=100.25|59=0|"

typedef struct {
  char buf[4096];
  size_t len;
  oms_fix_msg_t msg;
  oms_fix_perror_t err;
  size_t used;
} ctx_t;

static int parse(ctx_t *c) {
  return oms_fix_parse(c->buf, c->len, NULL, &c->msg, &c->used, &c->err);
}

static void test_golden_new_order_parses_with_all_fields(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), NOS_BODY);
  assert_int_equal(parse(&c), 0);
  assert_int_equal(c.used, c.len);
  assert_int_equal(c.msg.len, c.len);
  assert_true(oms_fix_msg_is(&c.msg, "D"));
  assert_false(oms_fix_msg_is(&c.msg, "8"));
  assert_int_equal(c.msg.nfields, 17);
  assert_int_equal(c.msg.fields[0].tag, 8);
  assert_int_equal(c.msg.fields[1].tag, 9);
  assert_int_equal(c.msg.fields[2].tag, 35);
  assert_int_equal(c.msg.fields[16].tag, 10);
  oms_fix_str_t s;
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 8, &s), 0);
  assert_true(oms_fix_str_eq(s, "FIX.4.4"));
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 55, &s), 0);
  assert_true(oms_fix_str_eq(s, "BTC-USD"));
  int64_t v;
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 34, &v), 0);
  assert_int_equal(v, 2);
  char ch;
  assert_int_equal(oms_fix_msg_get_char(&c.msg, 54, &ch), 0);
  assert_int_equal(ch, '1');
  assert_int_equal(oms_fix_msg_get_decimal(&c.msg, 44, &s), 0);
  assert_true(oms_fix_str_eq(s, "100.25"));
  assert_int_equal(oms_fix_msg_get_time(&c.msg, 60, &v), 0);
  assert_int_equal(v, T0 + 123000000);
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 9999, &s), OMS_ENOTFOUND);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 9999, &v), OMS_ENOTFOUND);
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 55, &v), OMS_ESYNTAX);
  assert_int_equal(oms_fix_msg_get_char(&c.msg, 55, &ch), OMS_ESYNTAX);
  assert_int_equal(oms_fix_msg_get_decimal(&c.msg, 55, &s), OMS_ESYNTAX);
  assert_int_equal(oms_fix_msg_get_time(&c.msg, 55, &v), OMS_ESYNTAX);
  size_t idx;
  assert_int_equal(oms_fix_msg_find(&c.msg, 55, 0, &idx), 0);
  assert_int_equal(oms_fix_msg_find(&c.msg, 55, idx + 1, &idx), OMS_ENOTFOUND);
}

static void test_zero_padded_body_length_is_accepted(void **state) {
  (void)state;
  ctx_t c;
  char body[] = NOS_BODY;
  char len[32];
  snprintf(len, sizeof(len), "%07zu", strlen(body));
  c.len = frame_raw_len(c.buf, sizeof(c.buf), len, body);
  assert_int_equal(parse(&c), 0);
  assert_true(oms_fix_msg_is(&c.msg, "D"));
}

static void test_any_header_order_after_msg_type_is_accepted(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=0|52=20260101-00:00:00|34=7|56=OMS|49=CLIENT|");
  assert_int_equal(parse(&c), 0);
  int64_t seq;
  assert_int_equal(oms_fix_msg_get_int(&c.msg, 34, &seq), 0);
  assert_int_equal(seq, 7);
}

static void test_every_prefix_of_a_message_needs_more_bytes(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), NOS_BODY);
  for (size_t n = 0; n < c.len; n++) {
    assert_int_equal(oms_fix_parse(c.buf, n, NULL, &c.msg, &c.used, &c.err), OMS_EAGAIN);
    assert_int_equal(c.used, 0);
  }
  assert_int_equal(oms_fix_parse(c.buf, c.len, NULL, &c.msg, &c.used, NULL), 0);
}

static void test_two_messages_in_one_buffer_parse_one_at_a_time(void **state) {
  (void)state;
  ctx_t c;
  size_t a = frame(c.buf, sizeof(c.buf), "35=0|34=1|");
  size_t b = frame(c.buf + a, sizeof(c.buf) - a, "35=1|34=2|112=X|");
  c.len = a + b;
  assert_int_equal(parse(&c), 0);
  assert_int_equal(c.used, a);
  assert_int_equal(oms_fix_parse(c.buf + a, b, NULL, &c.msg, &c.used, &c.err), 0);
  assert_true(oms_fix_msg_is(&c.msg, "1"));
}

static void test_garbage_before_a_message_is_skipped_up_to_it(void **state) {
  (void)state;
  ctx_t c;
  memcpy(c.buf, "xx8=FIY", 7);
  size_t n = frame(c.buf + 7, sizeof(c.buf) - 7, "35=0|34=1|");
  c.len = 7 + n;
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_GARBAGE);
  assert_int_equal(c.err.framed, 0);
  assert_int_equal(c.used, 7);
  assert_int_equal(oms_fix_parse(c.buf + 7, n, NULL, &c.msg, &c.used, &c.err), 0);
}

static void test_garbage_keeps_a_partial_start_at_the_end(void **state) {
  (void)state;
  ctx_t c;
  strcpy(c.buf, "hello8=FIX.");
  c.len = strlen(c.buf);
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.used, 5);
  strcpy(c.buf, "no message here");
  c.len = strlen(c.buf);
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.used, c.len);
}

static void test_other_begin_string_is_malformed(void **state) {
  (void)state;
  ctx_t c;
  strcpy(c.buf, "8=FIX.4.2|9=5|35=0|10=000|");
  soh(c.buf);
  c.len = strlen(c.buf);
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_BEGIN_STRING);
  assert_int_equal(c.used, c.len);
}

static void test_missing_body_length_is_malformed(void **state) {
  (void)state;
  ctx_t c;
  strcpy(c.buf, "8=FIX.4.4|35=0|10=000|");
  soh(c.buf);
  c.len = strlen(c.buf);
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_BODY_LENGTH);
}

static void test_bad_body_length_values_are_malformed(void **state) {
  (void)state;
  const char *cases[] = {"8=FIX.4.4|9=|35=0|10=000|", "8=FIX.4.4|9=1x|35=0|10=000|",
                         "8=FIX.4.4|9=0|35=0|10=000|", "8=FIX.4.4|9=12345678901|"};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    ctx_t c;
    strcpy(c.buf, cases[i]);
    soh(c.buf);
    c.len = strlen(c.buf);
    assert_int_equal(parse(&c), OMS_EPROTO);
    assert_int_equal(c.err.kind, OMS_FIX_PERR_BODY_LENGTH);
    assert_true(c.used >= 1);
  }
}

static void test_body_length_that_misses_the_trailer_is_malformed(void **state) {
  (void)state;
  ctx_t c;
  char body[] = "35=0|34=1|";
  c.len = frame_raw_len(c.buf, sizeof(c.buf), "9", body); /* one short */
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_BODY_LENGTH);
  c.len = frame_raw_len(c.buf, sizeof(c.buf), "11", body); /* one long */
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_BODY_LENGTH);
}

static void test_bad_checksum_is_reported_as_malformed(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), NOS_BODY);
  c.buf[c.len - 2] = c.buf[c.len - 2] == '9' ? '0' : (char)(c.buf[c.len - 2] + 1);
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_CHECKSUM);
  assert_int_equal(c.err.framed, 0);
  assert_int_equal(c.used, c.len); /* boundaries were sound: drop the frame */
}

static void test_malformed_checksum_field_is_reported(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=0|34=1|");
  c.buf[c.len - 3] = 'x';
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_CHECKSUM);
  c.len = frame(c.buf, sizeof(c.buf), "35=0|34=1|");
  c.buf[c.len - 1] = 'x';
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_CHECKSUM);
}

static void test_message_over_the_size_cap_is_too_large(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), NOS_BODY);
  oms_fix_limits_t lim = {.max_msg_len = 64, .max_fields = 0};
  assert_int_equal(oms_fix_parse(c.buf, c.len, &lim, &c.msg, &c.used, &c.err), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_TOO_LARGE);
  /* A huge announced length is refused before its bytes arrive. */
  strcpy(c.buf, "8=FIX.4.4|9=99999|35=");
  soh(c.buf);
  c.len = strlen(c.buf);
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_TOO_LARGE);
  lim.max_msg_len = SIZE_MAX; /* clamped to the hard limit */
  assert_int_equal(oms_fix_parse(c.buf, c.len, &lim, &c.msg, &c.used, &c.err), OMS_EAGAIN);
}

static void test_msg_type_not_third_is_garbled_and_dropped_whole(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "34=5|35=0|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_MISSING_MSG_TYPE);
  /* Not framed: never answered, so MsgSeqNum 5 stays free for the resend. */
  assert_int_equal(c.err.framed, 0);
  assert_int_equal(c.err.tag, 35);
  assert_int_equal(c.err.ref_seq_num, 0);
  assert_null(c.err.ref_msg_type.ptr);
  /* The frame was verified, so exactly it is dropped. */
  assert_int_equal(c.used, c.len);
  c.len = frame(c.buf, sizeof(c.buf), "34=x|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_MISSING_MSG_TYPE);
  assert_int_equal(c.err.framed, 0);
}

static void test_header_field_after_the_body_is_out_of_order(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=5|11=a|49=X|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_OUT_OF_ORDER);
  assert_int_equal(c.err.framed, 1);
  assert_int_equal(c.err.tag, 49);
  assert_int_equal(c.err.ref_seq_num, 5);
  assert_true(oms_fix_str_eq(c.err.ref_msg_type, "D"));
  assert_int_equal(oms_fix_perr_reject_reason(c.err.kind), 14);
  /* Every standard header field counts, routing and hops included. */
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=5|11=a|115=HUB|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 115);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|11=a|34=5|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 34);
}

static void test_trailer_fields_come_last(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=5|93=1|89=z|11=a|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_OUT_OF_ORDER);
  assert_int_equal(c.err.tag, 11);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|93=1|89=z|34=5|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 34);
  /* Header, body, trailer in order: accepted, with or without a body. */
  c.len = frame(c.buf, sizeof(c.buf), "35=D|49=C|56=O|115=HUB|128=X|34=5|52=x|11=a|93=1|89=z|");
  assert_int_equal(parse(&c), 0);
  c.len = frame(c.buf, sizeof(c.buf), "35=0|49=C|34=5|93=1|89=z|");
  assert_int_equal(parse(&c), 0);
}

static void test_route_of_a_request_reads_on_behalf_of(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|115=HUB|116=DESK|144=LDN|34=5|11=a|");
  assert_int_equal(parse(&c), 0);
  oms_fix_route_t r = oms_fix_route_of(&c.msg);
  assert_true(oms_fix_str_eq(r.comp_id, "HUB"));
  assert_true(oms_fix_str_eq(r.sub_id, "DESK"));
  assert_true(oms_fix_str_eq(r.location_id, "LDN"));
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=5|11=a|");
  assert_int_equal(parse(&c), 0);
  r = oms_fix_route_of(&c.msg);
  assert_null(r.comp_id.ptr);
  assert_null(r.sub_id.ptr);
  assert_null(r.location_id.ptr);
}

static void test_duplicate_tag_is_reported_with_the_tag(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|55=A|55=B|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_DUPLICATE_TAG);
  assert_int_equal(c.err.tag, 55);
  assert_int_equal(c.err.ref_seq_num, 3);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|9000=A|5000=x|9000=B|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 9000);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|10=123|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 10);
}

static void test_members_of_any_fix44_group_repeat_after_its_count(void **state) {
  (void)state;
  ctx_t c;
  /* Two underlyings (NoUnderlyings 711, UnderlyingSymbol 311) and two orders
   * of a list (NoOrders 73: ClOrdID 11, Side 54...). */
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|11=o|711=2|311=A|311=B|");
  assert_int_equal(parse(&c), 0);
  c.len = frame(c.buf, sizeof(c.buf), "35=E|34=3|66=L|73=2|11=a|54=1|11=b|54=2|");
  assert_int_equal(parse(&c), 0);
  /* Without the count tag, before it, or for a tag of no group: duplicates. */
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|311=A|311=B|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 311);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|311=A|311=B|711=2|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  c.len = frame(c.buf, sizeof(c.buf), "35=E|34=3|73=2|98=0|98=0|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 98);
  /* Tags beyond the dictionary's never repeat. */
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|73=1|9000=a|9000=b|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.tag, 9000);
}

static void test_repeating_group_tags_may_repeat(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=3|453=2|448=A|452=1|448=B|452=3|9001=x|9002=y|");
  assert_int_equal(parse(&c), 0);
}

static void test_bad_tags_are_reported(void **state) {
  (void)state;
  const char *bodies[] = {"35=D|4a=1|", "35=D|=1|", "35=D|034=1|", "35=D|34|",
                          "35=D|1234567890=1|"};
  for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
    ctx_t c;
    c.len = frame(c.buf, sizeof(c.buf), bodies[i]);
    assert_int_equal(parse(&c), OMS_EPROTO);
    assert_int_equal(c.err.kind, OMS_FIX_PERR_BAD_TAG);
    assert_int_equal(c.err.framed, 1);
  }
}

static void test_empty_value_is_reported(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|58=|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_EMPTY_VALUE);
  assert_int_equal(c.err.tag, 58);
  c.len = frame(c.buf, sizeof(c.buf), "35=|34=1|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_EMPTY_VALUE);
  assert_null(c.err.ref_msg_type.ptr);
}

static void test_field_count_cap_is_enforced(void **state) {
  (void)state;
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|55=X|54=1|");
  oms_fix_limits_t lim = {.max_msg_len = 0, .max_fields = 6};
  assert_int_equal(oms_fix_parse(c.buf, c.len, &lim, &c.msg, &c.used, &c.err), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_TOO_MANY_FIELDS);
  lim.max_fields = 7;
  assert_int_equal(oms_fix_parse(c.buf, c.len, &lim, &c.msg, &c.used, &c.err), 0);
  lim.max_fields = 2;
  assert_int_equal(oms_fix_parse(c.buf, c.len, &lim, &c.msg, &c.used, &c.err), OMS_EPROTO);
  /* The hard capacity holds whatever the configuration says. */
  char body[4096] = "35=D|34=1|";
  for (int i = 0; i < 300; i++) {
    snprintf(body + strlen(body), sizeof(body) - strlen(body), "%d=1|", 5000 + i);
  }
  c.len = frame(c.buf, sizeof(c.buf), body);
  lim.max_fields = 100000;
  lim.max_msg_len = 8192;
  assert_int_equal(oms_fix_parse(c.buf, c.len, &lim, &c.msg, &c.used, &c.err), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_TOO_MANY_FIELDS);
}

static void test_data_field_may_contain_soh(void **state) {
  (void)state;
  ctx_t c;
  char body[] = "35=D|34=1|95=3|96=a|b|58=t|";
  c.len = frame(c.buf, sizeof(c.buf), body);
  assert_int_equal(parse(&c), 0);
  oms_fix_str_t s;
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 96, &s), 0);
  assert_int_equal(s.len, 3);
  assert_memory_equal(s.ptr, "a\001b", 3);
  assert_int_equal(oms_fix_msg_get_str(&c.msg, 58, &s), 0);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|95=2|96=a|b|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_BAD_DATA_LENGTH);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|95=50|96=a|");
  assert_int_equal(parse(&c), OMS_EPROTO);
  assert_int_equal(c.err.kind, OMS_FIX_PERR_BAD_DATA_LENGTH);
  /* Without a usable length field the data field is cut at SOH. */
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|95=x|96=ab|");
  assert_int_equal(parse(&c), 0);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|96=ab|");
  assert_int_equal(parse(&c), 0);
  c.len = frame(c.buf, sizeof(c.buf), "35=D|34=1|90=1|91=q|212=1|213=<|354=2|355=ab|93=1|89=z|");
  assert_int_equal(parse(&c), 0);
  c.len =
      frame(c.buf, sizeof(c.buf),
            "35=D|34=1|348=1|349=a|350=1|351=b|352=1|353=c|445=1|446=d|618=1|619=e|621=1|622=f|");
  assert_int_equal(parse(&c), 0);
}

static void test_null_arguments_are_invalid(void **state) {
  (void)state;
  ctx_t c;
  assert_int_equal(oms_fix_parse(NULL, 0, NULL, &c.msg, &c.used, NULL), OMS_EINVAL);
  assert_int_equal(oms_fix_parse("8", 1, NULL, NULL, &c.used, NULL), OMS_EINVAL);
  assert_int_equal(oms_fix_parse("8", 1, NULL, &c.msg, NULL, NULL), OMS_EINVAL);
  assert_int_equal(oms_fix_parse("x", 1, NULL, &c.msg, &c.used, NULL), OMS_EPROTO);
}

static void test_integer_conversion_bounds(void **state) {
  (void)state;
  int64_t v;
  assert_int_equal(oms_fix_str_to_int(oms_fix_str("9223372036854775807"), &v), 0);
  assert_int_equal(v, INT64_MAX);
  assert_int_equal(oms_fix_str_to_int(oms_fix_str("-9223372036854775808"), &v), 0);
  assert_true(v == INT64_MIN);
  assert_int_equal(oms_fix_str_to_int(oms_fix_str("9223372036854775808"), &v), OMS_EOVERFLOW);
  assert_int_equal(oms_fix_str_to_int(oms_fix_str("-"), &v), OMS_ESYNTAX);
  assert_int_equal(oms_fix_str_to_int(oms_fix_str(""), &v), OMS_ESYNTAX);
  assert_int_equal(oms_fix_str_to_int(oms_fix_str("1.0"), &v), OMS_ESYNTAX);
  assert_int_equal(oms_fix_str_to_int(oms_fix_str("-42"), &v), 0);
  assert_int_equal(v, -42);
}

static void test_bool_and_decimal_conversions(void **state) {
  (void)state;
  int b;
  assert_int_equal(oms_fix_str_to_bool(oms_fix_str("Y"), &b), 0);
  assert_int_equal(b, 1);
  assert_int_equal(oms_fix_str_to_bool(oms_fix_str("N"), &b), 0);
  assert_int_equal(b, 0);
  assert_int_equal(oms_fix_str_to_bool(oms_fix_str("y"), &b), OMS_ESYNTAX);
  assert_int_equal(oms_fix_str_to_bool(oms_fix_str("YY"), &b), OMS_ESYNTAX);
  const char *good[] = {"1", "-1", "1.", ".5", "0.000001", "-12.50"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    assert_int_equal(oms_fix_str_check_decimal(oms_fix_str(good[i])), 0);
  }
  const char *bad[] = {"", "-", ".", "1e5", "1.2.3", "+1", "1 "};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(oms_fix_str_check_decimal(oms_fix_str(bad[i])), OMS_ESYNTAX);
  }
  ctx_t c;
  c.len = frame(c.buf, sizeof(c.buf), "35=D|43=Y|");
  assert_int_equal(parse(&c), 0);
  assert_int_equal(oms_fix_msg_get_bool(&c.msg, 43, &b), 0);
  assert_int_equal(b, 1);
  assert_int_equal(oms_fix_msg_get_bool(&c.msg, 97, &b), OMS_ENOTFOUND);
}

static void test_utc_timestamps_parse_in_every_precision(void **state) {
  (void)state;
  int64_t ns;
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20260101-00:00:00"), &ns), 0);
  assert_true(ns == T0);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20260101-00:00:01.5"), &ns), OMS_ESYNTAX);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20260101-00:00:01.500"), &ns), 0);
  assert_true(ns == T0 + SEC + 500000000);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20260101-00:00:01.000001"), &ns), 0);
  assert_true(ns == T0 + SEC + 1000);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20260101-00:00:01.000000007"), &ns), 0);
  assert_true(ns == T0 + SEC + 7);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("19700101-00:00:00"), &ns), 0);
  assert_true(ns == 0);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20240229-23:59:60"), &ns), 0);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("20000229-12:00:00"), &ns), 0);
}

static void test_bad_utc_timestamps_are_refused(void **state) {
  (void)state;
  const char *bad[] = {"20261301-00:00:00",     "20260100-00:00:00",     "20260431-00:00:00",
                       "20250229-00:00:00",     "21000229-00:00:00",     "20260101-24:00:00",
                       "20260101-00:60:00",     "20260101-00:00:61",     "20260101 00:00:00",
                       "20260101-00-00:00",     "20260101-00:00-00",     "2026010a-00:00:00",
                       "20260101-00:00:00,000", "20260101-00:00:00.00x", "2026"};
  int64_t ns;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(oms_fix_str_to_time(oms_fix_str(bad[i]), &ns), OMS_ESYNTAX);
  }
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("19691231-23:59:59"), &ns), OMS_EOVERFLOW);
  assert_int_equal(oms_fix_str_to_time(oms_fix_str("22620101-00:00:00"), &ns), OMS_EOVERFLOW);
}

static void test_time_formats_with_milliseconds_and_round_trips(void **state) {
  (void)state;
  char out[OMS_FIX_TIME_LEN + 1];
  assert_int_equal(oms_fix_format_time(T0 + 1234567890, out), 0);
  assert_string_equal(out, "20260101-00:00:01.234");
  assert_int_equal(oms_fix_format_time(0, out), 0);
  assert_string_equal(out, "19700101-00:00:00.000");
  assert_int_equal(oms_fix_format_time(-1, out), OMS_EINVAL);
  int64_t samples[] = {951782400 * SEC + 999000000, /* 2000-02-29 */
                       4102444799 * SEC,            /* 2099-12-31 23:59:59 */
                       T0 + 86399 * SEC + 7000000};
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
    int64_t back;
    assert_int_equal(oms_fix_format_time(samples[i], out), 0);
    assert_int_equal(oms_fix_str_to_time(oms_fix_str(out), &back), 0);
    assert_true(back == samples[i]);
  }
}

static void test_error_names_and_reasons(void **state) {
  (void)state;
  assert_string_equal(oms_fix_perr_name(OMS_FIX_PERR_CHECKSUM), "CHECKSUM");
  assert_string_equal(oms_fix_perr_name((oms_fix_perr_t)99), "UNKNOWN");
  assert_string_equal(oms_fix_perr_desc(OMS_FIX_PERR_NONE), "no error");
  assert_string_equal(oms_fix_perr_desc((oms_fix_perr_t)99), "unknown parse error");
  assert_int_equal(oms_fix_perr_reject_reason(OMS_FIX_PERR_MISSING_MSG_TYPE), 1);
  assert_int_equal(oms_fix_perr_reject_reason(OMS_FIX_PERR_BAD_TAG), 0);
  assert_int_equal(oms_fix_perr_reject_reason(OMS_FIX_PERR_EMPTY_VALUE), 4);
  assert_int_equal(oms_fix_perr_reject_reason(OMS_FIX_PERR_DUPLICATE_TAG), 13);
  assert_int_equal(oms_fix_perr_reject_reason(OMS_FIX_PERR_BAD_DATA_LENGTH), 6);
  assert_int_equal(oms_fix_perr_reject_reason(OMS_FIX_PERR_TOO_MANY_FIELDS), 99);
  assert_null(oms_fix_str(NULL).ptr);
  assert_true(oms_fix_str_eq(oms_fix_str(NULL), ""));
  assert_false(oms_fix_str_eq(oms_fix_str("ab"), "abc"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_new_order_parses_with_all_fields),
      cmocka_unit_test(test_zero_padded_body_length_is_accepted),
      cmocka_unit_test(test_any_header_order_after_msg_type_is_accepted),
      cmocka_unit_test(test_every_prefix_of_a_message_needs_more_bytes),
      cmocka_unit_test(test_two_messages_in_one_buffer_parse_one_at_a_time),
      cmocka_unit_test(test_garbage_before_a_message_is_skipped_up_to_it),
      cmocka_unit_test(test_garbage_keeps_a_partial_start_at_the_end),
      cmocka_unit_test(test_other_begin_string_is_malformed),
      cmocka_unit_test(test_missing_body_length_is_malformed),
      cmocka_unit_test(test_bad_body_length_values_are_malformed),
      cmocka_unit_test(test_body_length_that_misses_the_trailer_is_malformed),
      cmocka_unit_test(test_bad_checksum_is_reported_as_malformed),
      cmocka_unit_test(test_malformed_checksum_field_is_reported),
      cmocka_unit_test(test_message_over_the_size_cap_is_too_large),
      cmocka_unit_test(test_msg_type_not_third_is_garbled_and_dropped_whole),
      cmocka_unit_test(test_header_field_after_the_body_is_out_of_order),
      cmocka_unit_test(test_trailer_fields_come_last),
      cmocka_unit_test(test_route_of_a_request_reads_on_behalf_of),
      cmocka_unit_test(test_duplicate_tag_is_reported_with_the_tag),
      cmocka_unit_test(test_members_of_any_fix44_group_repeat_after_its_count),
      cmocka_unit_test(test_repeating_group_tags_may_repeat),
      cmocka_unit_test(test_bad_tags_are_reported),
      cmocka_unit_test(test_empty_value_is_reported),
      cmocka_unit_test(test_field_count_cap_is_enforced),
      cmocka_unit_test(test_data_field_may_contain_soh),
      cmocka_unit_test(test_null_arguments_are_invalid),
      cmocka_unit_test(test_integer_conversion_bounds),
      cmocka_unit_test(test_bool_and_decimal_conversions),
      cmocka_unit_test(test_utc_timestamps_parse_in_every_precision),
      cmocka_unit_test(test_bad_utc_timestamps_are_refused),
      cmocka_unit_test(test_time_formats_with_milliseconds_and_round_trips),
      cmocka_unit_test(test_error_names_and_reasons),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
