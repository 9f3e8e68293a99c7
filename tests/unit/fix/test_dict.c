/* test_dict.c - validation against the FIX 4.4 dictionary (src/fix/dict.c):
 * one test per SessionRejectReason it reports, the per-session switches,
 * and the lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fix_test_util.h"
#include "oms/fix_dict.h"

#define HDR "49=CLIENT|56=OMS|34=2|52=20260101-00:00:00.000|"
#define NOS_FIELDS "11=o1|55=BTC-USD|54=1|60=20260101-00:00:00.000|38=1.5|40=2|44=65000.5|"

static char wire[8192];
static oms_fix_msg_t msg;

/* Parses the framed body; fails the test when the codec refuses it. */
static const oms_fix_msg_t *parse(const char *body) {
  size_t n = frame(wire, sizeof wire, body), used;
  oms_fix_perror_t err;
  /* The codec checks the order too: let it pass, so the validator is tried. */
  oms_fix_limits_t lim = {.any_order = true};
  if (oms_fix_parse(wire, n, &lim, &msg, &used, &err) != 0)
    fail_msg("codec refused %s: %s tag %u", body, oms_fix_perr_name(err.kind), (unsigned)err.tag);
  return &msg;
}

/* Validates body with flags; returns the reason (-1 when valid) and the tag. */
static int check(const char *body, unsigned flags, uint32_t *tag) {
  oms_fix_bad_field_t bad;
  int rc = oms_fix_dict_validate(oms_fix_dict_fix44(), parse(body), flags, &bad);
  if (tag) *tag = bad.tag;
  if (rc == 0) return -1;
  assert_int_equal(rc, OMS_EPROTO);
  return bad.reason;
}

#define assert_reject(body, flags, reason, tag)          \
  do {                                                   \
    uint32_t t_;                                         \
    assert_int_equal(check(body, flags, &t_), (reason)); \
    assert_int_equal(t_, (tag));                         \
  } while (0)
#define assert_valid(body, flags) assert_int_equal(check(body, flags, NULL), -1)

static void test_valid_orders_and_admin_messages_pass(void **state) {
  (void)state;
  assert_valid("35=D|" HDR NOS_FIELDS "59=1|453=1|448=TRADER|447=D|452=11|", 0);
  assert_valid("35=D|" HDR NOS_FIELDS "59=4|18=6 E|21=1|", 0);
  assert_valid("35=F|" HDR "41=o1|11=c1|55=BTC-USD|54=1|60=20260101-00:00:00.000|38=1|", 0);
  assert_valid("35=G|" HDR "41=o1|" NOS_FIELDS, 0);
  assert_valid("35=H|" HDR "11=o1|55=BTC-USD|54=1|", 0);
  assert_valid("35=q|" HDR "11=m1|530=7|60=20260101-00:00:00.000|", 0);
  assert_valid("35=A|" HDR "98=0|108=30|553=u|554=pw|", 0);
  assert_valid("35=0|" HDR, 0);
  assert_valid("35=1|" HDR "112=PING|", 0);
  assert_valid("35=2|" HDR "7=1|16=0|", 0);
  assert_valid("35=4|" HDR "43=Y|122=20260101-00:00:00.000|123=Y|36=9|", 0);
  assert_valid("35=5|" HDR "58=bye|", 0);
}

static void test_a_tag_no_field_has_is_reason_0(void **state) {
  (void)state;
  assert_reject("35=D|" HDR NOS_FIELDS "4999=x|", 0, OMS_FIX_SRR_INVALID_TAG, 4999);
  assert_reject("35=D|" HDR NOS_FIELDS "20000=x|", 0, OMS_FIX_SRR_INVALID_TAG, 20000);
}

static void test_user_defined_tags_pass_only_when_the_session_allows_them(void **state) {
  (void)state;
  assert_reject("35=D|" HDR NOS_FIELDS "5001=x|", 0, OMS_FIX_SRR_INVALID_TAG, 5001);
  assert_valid("35=D|" HDR NOS_FIELDS "5001=x|9999=y|", OMS_FIX_DICT_ALLOW_USER_TAGS);
  /* Outside 5000-9999 the switch does not help. */
  assert_reject("35=D|" HDR NOS_FIELDS "10001=x|", OMS_FIX_DICT_ALLOW_USER_TAGS,
                OMS_FIX_SRR_INVALID_TAG, 10001);
  /* Inside a group entry too. */
  assert_valid("35=D|" HDR "453=1|448=T|5005=x|452=11|" NOS_FIELDS, OMS_FIX_DICT_ALLOW_USER_TAGS);
}

static void test_a_missing_required_field_is_reason_1(void **state) {
  (void)state;
  /* Side(54) */
  assert_reject("35=D|" HDR "11=o1|55=BTC-USD|60=20260101-00:00:00.000|38=1|40=2|", 0,
                OMS_FIX_SRR_REQUIRED_TAG_MISSING, 54);
  /* OrdType(40) */
  assert_reject("35=D|" HDR "11=o1|55=BTC-USD|54=1|60=20260101-00:00:00.000|38=1|", 0,
                OMS_FIX_SRR_REQUIRED_TAG_MISSING, 40);
  /* Symbol(55) is optional in the dictionary (Instrument may name the
   * security otherwise): the order reader requires it, not the validation. */
  assert_valid("35=D|" HDR "11=o1|54=1|60=20260101-00:00:00.000|38=1|40=2|", 0);
  /* A header field: SendingTime(52) */
  assert_reject("35=0|49=CLIENT|56=OMS|34=2|", 0, OMS_FIX_SRR_REQUIRED_TAG_MISSING, 52);
  /* TestReqID(112) of a TestRequest */
  assert_reject("35=1|" HDR, 0, OMS_FIX_SRR_REQUIRED_TAG_MISSING, 112);
}

static void test_a_required_field_missing_in_a_group_entry_is_reason_1(void **state) {
  (void)state;
  /* Every NoOrders(73) entry of a NewOrderList needs ListSeqNo(67) and Side
   * (54): the second entry has no Side. */
  assert_valid(
      "35=E|" HDR "66=L|394=3|68=2|73=2|11=a|67=1|55=X|54=1|40=2|11=b|67=2|55=X|54=2|40=2|", 0);
  assert_reject("35=E|" HDR "66=L|394=3|68=2|73=2|11=a|67=1|55=X|54=1|40=2|11=b|67=2|55=X|40=2|", 0,
                OMS_FIX_SRR_REQUIRED_TAG_MISSING, 54);
}

static void test_a_field_of_another_message_type_is_reason_2(void **state) {
  (void)state;
  /* ExecType(150) belongs to ExecutionReport, not to NewOrderSingle. */
  assert_reject("35=D|" HDR NOS_FIELDS "150=0|", 0, OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG, 150);
  /* A group member outside its group. */
  assert_reject("35=D|" HDR NOS_FIELDS "448=T|", 0, OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG, 448);
  /* A Heartbeat carries no order fields. */
  assert_reject("35=0|" HDR "11=o1|", 0, OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG, 11);
}

static void test_a_value_outside_the_enumeration_is_reason_5(void **state) {
  (void)state;
  assert_reject("35=D|" HDR NOS_FIELDS "59=Z|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 59);
  assert_reject("35=D|" HDR NOS_FIELDS "21=4|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 21);
  assert_reject("35=D|" HDR "11=o1|55=X|54=Q|60=20260101-00:00:00.000|38=1|40=2|", 0,
                OMS_FIX_SRR_VALUE_INCORRECT, 54);
  /* Multi-character values: PartyRole 11 is an order origination trader,
   * 999 is nothing. */
  assert_reject("35=D|" HDR "453=1|448=T|452=999|" NOS_FIELDS, 0, OMS_FIX_SRR_VALUE_INCORRECT, 452);
  /* Each value of a MultipleValueString: ExecInst 6 is valid, # is not. */
  assert_reject("35=D|" HDR NOS_FIELDS "18=6 #|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 18);
  assert_reject("35=D|" HDR NOS_FIELDS "18=6  E|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 18);
  /* String values: YieldType has the longest (14 bytes). */
  assert_valid("35=D|" HDR NOS_FIELDS "235=INVERSEFLOATER|", 0);
  assert_reject("35=D|" HDR NOS_FIELDS "235=INVERSEFLOATERS|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 235);
  assert_reject("35=D|" HDR NOS_FIELDS "235=INVERSEFLOATE|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 235);
  assert_valid("35=D|" HDR NOS_FIELDS "167=CS|", 0);
  assert_reject("35=D|" HDR NOS_FIELDS "167=CSX|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 167);
}

static void test_enumerations_are_not_checked_when_the_session_says_so(void **state) {
  (void)state;
  assert_valid("35=D|" HDR NOS_FIELDS "59=Z|21=4|", OMS_FIX_DICT_NO_ENUMS);
  /* The format still is. */
  assert_reject("35=D|" HDR NOS_FIELDS "59=ZZ|", OMS_FIX_DICT_NO_ENUMS,
                OMS_FIX_SRR_INCORRECT_DATA_FORMAT, 59);
}

static void test_a_value_not_of_the_field_type_is_reason_6(void **state) {
  (void)state;
  struct {
    const char *field;
    uint32_t tag;
  } bad[] = {
      {"110=1,5|", 110},               /* MinQty, QTY */
      {"99=abc|", 99},                 /* StopPx, PRICE */
      {"59=01|", 59},                  /* CHAR */
      {"126=20260101|", 126},          /* UTCTIMESTAMP */
      {"126=20261301-00:00:00|", 126}, /* month 13 */
      {"168=20260101-25:00:00|", 168}, /* EffectiveTime, hour 25 */
      {"75=2026-01-01|", 75},          /* TradeDate, LOCALMKTDATE */
      {"75=20260132|", 75},            /* day 32 */
      {"111=-1|", 111},                /* MaxFloor is a QTY: fine, see below */
      {"114=X|", 114},                 /* LocateReqd, BOOLEAN */
      {"432=202601|", 432},            /* ExpireDate, LOCALMKTDATE */
      {"200=2026|", 200},              /* MaturityMonthYear */
      {"200=202613|", 200},            /* month 13 */
      {"200=202601w9|", 200},          /* week 9 */
      {"231=1e3|", 231},               /* ContractMultiplier, FLOAT */
      {"1=ACC|453=x|", 453},           /* NUMINGROUP */
      {"453=99999999999999999999|", 453},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char body[512];
    snprintf(body, sizeof body, "35=D|" HDR NOS_FIELDS "%s", bad[i].field);
    uint32_t tag = 0;
    int reason = check(body, 0, &tag);
    if (bad[i].tag == 111) {
      assert_int_equal(reason, -1); /* a negative decimal is well formed */
      continue;
    }
    if (reason != OMS_FIX_SRR_INCORRECT_DATA_FORMAT || tag != bad[i].tag)
      fail_msg("%s: reason %d tag %u", bad[i].field, reason, (unsigned)tag);
  }
  /* Time-only, month-year and date fields in their good forms. */
  assert_valid("35=D|" HDR NOS_FIELDS "200=202601|75=20260101|", 0);
  assert_valid("35=D|" HDR NOS_FIELDS "200=20260115|", 0);
  assert_valid("35=D|" HDR NOS_FIELDS "200=202601w2|", 0);
  assert_valid("35=D|" HDR NOS_FIELDS "168=20260101-23:59:60.123456|", 0);
  assert_valid("35=D|" HDR NOS_FIELDS "126=19600101-00:00:00|", 0);
}

static void test_time_only_values(void **state) {
  (void)state;
  /* MDEntryTime(273) is a UTCTIMEONLY in a MarketDataSnapshot entry. */
  const char *good[] = {"12:30:00", "12:30:00.123", "12:30:00.123456", "23:59:60.123456789"};
  const char *bad[] = {"12:30", "24:00:00", "12:60:00", "12-30-00", "12:30:00,123", "12:30:00.12a"};
  char body[512];
  for (size_t i = 0; i < 4; i++) {
    snprintf(body, sizeof body, "35=W|" HDR "55=X|268=1|269=0|273=%s|", good[i]);
    assert_valid(body, 0);
  }
  for (size_t i = 0; i < 6; i++) {
    snprintf(body, sizeof body, "35=W|" HDR "55=X|268=1|269=0|273=%s|", bad[i]);
    assert_reject(body, 0, OMS_FIX_SRR_INCORRECT_DATA_FORMAT, 273);
  }
}

static void test_negative_counts_and_numbers_are_out_of_range(void **state) {
  (void)state;
  assert_reject("35=2|" HDR "7=1|16=-1|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 16);
  assert_reject("35=D|" HDR NOS_FIELDS "453=-1|", 0, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP, 453);
  assert_reject("35=D|" HDR NOS_FIELDS "354=-1|355=x|", 0, OMS_FIX_SRR_VALUE_INCORRECT, 354);
  assert_reject("35=2|" HDR "7=1|16=-|", 0, OMS_FIX_SRR_INCORRECT_DATA_FORMAT, 16);
  /* A quantity may be negative as far as the format goes. */
  assert_valid("35=D|" HDR NOS_FIELDS "210=-5|", 0);
}

static void test_a_field_twice_in_one_group_entry_is_reason_13(void **state) {
  (void)state;
  /* The codec lets group members repeat; within one entry they may not. */
  assert_reject("35=D|" HDR "453=1|448=T|447=D|447=D|" NOS_FIELDS, 0,
                OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE, 447);
  /* In a group the codec knows only through the dictionary too. */
  assert_reject("35=E|" HDR "66=L|394=3|68=1|73=1|11=a|67=1|55=X|54=1|54=2|40=2|", 0,
                OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE, 54);
  /* Two entries may each have one. */
  assert_valid("35=D|" HDR "453=2|448=T|447=D|448=U|447=D|" NOS_FIELDS, 0);
  /* A group member repeated at the top level of a message with no such
   * group (the codec lets it through: it is a member of some group). */
  assert_reject("35=D|" HDR NOS_FIELDS "448=T|448=U|", 0, OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG, 448);
  assert_reject("35=8|" HDR
                "37=X|17=E|150=0|39=0|55=X|54=1|151=1|14=0|6=0|382=1|375=B|337=T|337=U|",
                0, OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE, 337);
}

static void test_header_fields_after_the_body_are_reason_14(void **state) {
  (void)state;
  assert_reject(
      "35=D|49=CLIENT|56=OMS|34=2|11=o1|52=20260101-00:00:00.000|55=X|54=1|"
      "60=20260101-00:00:00.000|38=1|40=2|",
      0, OMS_FIX_SRR_TAG_OUT_OF_ORDER, 52);
  /* A body field after the trailer's SignatureLength/Signature. */
  assert_reject("35=D|" HDR NOS_FIELDS "93=2|89=ab|58=late|", 0, OMS_FIX_SRR_TAG_OUT_OF_ORDER, 58);
  assert_valid("35=D|" HDR NOS_FIELDS "93=2|89=ab|", 0);
  /* The venue's dialect may mix them. */
  assert_valid(
      "35=D|49=CLIENT|56=OMS|34=2|11=o1|52=20260101-00:00:00.000|55=X|54=1|"
      "60=20260101-00:00:00.000|38=1|40=2|",
      OMS_FIX_DICT_NO_ORDER);
  assert_valid("35=D|" HDR NOS_FIELDS "93=2|89=ab|58=late|", OMS_FIX_DICT_NO_ORDER);
  /* Still not a field another message type owns. */
  assert_reject("35=D|" HDR NOS_FIELDS "93=2|89=ab|150=0|", OMS_FIX_DICT_NO_ORDER,
                OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG, 150);
  assert_reject("35=D|" HDR NOS_FIELDS "150=0|", OMS_FIX_DICT_NO_ORDER,
                OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG, 150);
}

static void test_a_count_that_does_not_match_the_entries_is_reason_16(void **state) {
  (void)state;
  /* Fewer entries than counted. */
  assert_reject("35=D|" HDR "453=2|448=T|452=11|" NOS_FIELDS, 0, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP,
                453);
  /* More. */
  assert_reject("35=D|" HDR "453=1|448=T|448=U|" NOS_FIELDS, 0, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP,
                453);
  /* An entry that does not start with the delimiter. */
  assert_reject("35=D|" HDR "453=1|452=11|448=T|" NOS_FIELDS, 0, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP,
                453);
  /* A count with no entry at all, at the end of the message. */
  assert_reject("35=D|" HDR NOS_FIELDS "453=1|", 0, OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP, 453);
  /* Zero entries is fine. */
  assert_valid("35=D|" HDR NOS_FIELDS "453=0|", 0);
}

static void test_nested_groups_are_counted_per_entry(void **state) {
  (void)state;
  assert_valid(
      "35=D|" HDR "453=2|448=T|452=11|802=2|523=a|803=1|523=b|803=2|448=U|452=12|" NOS_FIELDS, 0);
  /* The nested count of the first entry is wrong. */
  assert_reject("35=D|" HDR "453=2|448=T|452=11|802=1|523=a|523=b|448=U|" NOS_FIELDS, 0,
                OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP, 802);
  /* The inner group ends with the outer entry. */
  assert_reject("35=D|" HDR "453=2|448=T|802=2|523=a|448=U|" NOS_FIELDS, 0,
                OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP, 802);
}

static void test_message_types_the_dictionary_lacks(void **state) {
  (void)state;
  assert_reject("35=I|" HDR, 0, OMS_FIX_SRR_INVALID_MSG_TYPE, 35);
  assert_reject("35=ZZZ|" HDR, 0, OMS_FIX_SRR_INVALID_MSG_TYPE, 35);
  /* User-defined types are the application's to judge. */
  assert_valid("35=U1|" HDR "9999=x|", 0);
}

static void test_off_validates_nothing(void **state) {
  (void)state;
  assert_valid("35=D|" HDR "4999=x|59=Z|", OMS_FIX_DICT_OFF);
}

static void test_null_arguments(void **state) {
  (void)state;
  oms_fix_bad_field_t bad;
  parse("35=0|" HDR);
  assert_int_equal(oms_fix_dict_validate(NULL, &msg, 0, &bad), OMS_EINVAL);
  assert_int_equal(oms_fix_dict_validate(oms_fix_dict_fix44(), NULL, 0, &bad), OMS_EINVAL);
  assert_int_equal(oms_fix_dict_validate(oms_fix_dict_fix44(), &msg, 0, NULL), OMS_EINVAL);
  assert_null(oms_fix_dict_field_name(NULL, 11));
  assert_null(oms_fix_dict_field_type(NULL, 11));
  assert_int_equal(oms_fix_dict_enum_ok(NULL, 59, oms_fix_str("1")), -1);
  assert_null(oms_fix_dict_msg_name(NULL, oms_fix_str("D")));
  oms_fix_dict_stats_t st;
  oms_fix_dict_stats(NULL, &st);
  assert_int_equal(st.fields, 0);
}

static void test_lookups_name_fields_types_values_and_messages(void **state) {
  (void)state;
  const oms_fix_dict_t *d = oms_fix_dict_fix44();
  assert_string_equal(oms_fix_dict_field_name(d, 11), "ClOrdID");
  assert_string_equal(oms_fix_dict_field_type(d, 38), "QTY");
  assert_string_equal(oms_fix_dict_field_type(d, 453), "NUMINGROUP");
  assert_null(oms_fix_dict_field_name(d, 4999));
  assert_null(oms_fix_dict_field_type(d, 100000));
  assert_int_equal(oms_fix_dict_enum_ok(d, 59, oms_fix_str("4")), 1);
  assert_int_equal(oms_fix_dict_enum_ok(d, 59, oms_fix_str("Z")), 0);
  assert_int_equal(oms_fix_dict_enum_ok(d, 59, oms_fix_str("\x80")), 0);
  assert_int_equal(oms_fix_dict_enum_ok(d, 11, oms_fix_str("anything")), 1);
  assert_int_equal(oms_fix_dict_enum_ok(d, 4999, oms_fix_str("1")), -1);
  assert_string_equal(oms_fix_dict_msg_name(d, oms_fix_str("D")), "NewOrderSingle");
  assert_string_equal(oms_fix_dict_msg_name(d, oms_fix_str("AE")), "TradeCaptureReport");
  assert_string_equal(oms_fix_dict_msg_name(d, oms_fix_str("0")), "Heartbeat");
  assert_string_equal(oms_fix_dict_msg_name(d, oms_fix_str("BH")), "ConfirmationRequest");
  assert_null(oms_fix_dict_msg_name(d, oms_fix_str("I")));
  assert_null(oms_fix_dict_msg_name(d, oms_fix_str("")));
}

static void test_reject_texts_are_fix_names_of_the_reasons(void **state) {
  (void)state;
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_INVALID_TAG), "Invalid tag number");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_REQUIRED_TAG_MISSING), "Required tag missing");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG),
                      "Tag not defined for this message type");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_UNDEFINED_TAG), "Undefined tag");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_TAG_WITHOUT_VALUE),
                      "Tag specified without a value");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_VALUE_INCORRECT),
                      "Value is incorrect (out of range) for this tag");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_INCORRECT_DATA_FORMAT),
                      "Incorrect data format for value");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_COMPID_PROBLEM), "CompID problem");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_SENDING_TIME_ACCURACY),
                      "SendingTime accuracy problem");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_INVALID_MSG_TYPE), "Invalid MsgType");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE),
                      "Tag appears more than once");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_TAG_OUT_OF_ORDER),
                      "Tag specified out of required order");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_REPEATING_GROUP_ORDER),
                      "Repeating group fields out of order");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP),
                      "Incorrect NumInGroup count for repeating group");
  assert_string_equal(oms_fix_srr_text(OMS_FIX_SRR_OTHER), "Other");
  assert_string_equal(oms_fix_srr_text(42), "Other");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_orders_and_admin_messages_pass),
      cmocka_unit_test(test_a_tag_no_field_has_is_reason_0),
      cmocka_unit_test(test_user_defined_tags_pass_only_when_the_session_allows_them),
      cmocka_unit_test(test_a_missing_required_field_is_reason_1),
      cmocka_unit_test(test_a_required_field_missing_in_a_group_entry_is_reason_1),
      cmocka_unit_test(test_a_field_of_another_message_type_is_reason_2),
      cmocka_unit_test(test_a_value_outside_the_enumeration_is_reason_5),
      cmocka_unit_test(test_enumerations_are_not_checked_when_the_session_says_so),
      cmocka_unit_test(test_a_value_not_of_the_field_type_is_reason_6),
      cmocka_unit_test(test_time_only_values),
      cmocka_unit_test(test_negative_counts_and_numbers_are_out_of_range),
      cmocka_unit_test(test_a_field_twice_in_one_group_entry_is_reason_13),
      cmocka_unit_test(test_header_fields_after_the_body_are_reason_14),
      cmocka_unit_test(test_a_count_that_does_not_match_the_entries_is_reason_16),
      cmocka_unit_test(test_nested_groups_are_counted_per_entry),
      cmocka_unit_test(test_message_types_the_dictionary_lacks),
      cmocka_unit_test(test_off_validates_nothing),
      cmocka_unit_test(test_null_arguments),
      cmocka_unit_test(test_lookups_name_fields_types_values_and_messages),
      cmocka_unit_test(test_reject_texts_are_fix_names_of_the_reasons),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
