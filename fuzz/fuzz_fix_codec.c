/*
 * fuzz_fix_codec.c - libFuzzer target for the FIX parser: any bytes, split
 * into messages the way a stream reader would, must parse or be refused with
 * a consistent answer, and every parsed message must survive its accessors,
 * validation against the FIX 4.4 dictionary and a rebuild through the
 * builder.
 */
#include <stdint.h>
#include <string.h>

#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_dict.h"

static void check_msg(const oms_fix_msg_t *m, const uint8_t *data, size_t len) {
  if (m->nfields < 4 || m->len > len || m->fields[2].tag != 35) __builtin_trap();
  for (size_t i = 0; i < m->nfields; i++) {
    if ((size_t)m->fields[i].off + m->fields[i].len > m->len || m->fields[i].len == 0) {
      __builtin_trap();
    }
  }
  (void)data;
  int64_t v;
  char c;
  int b;
  oms_fix_str_t s;
  static const uint32_t tags[] = {34, 52, 54, 38, 44, 43, 60, 453};
  for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
    (void)oms_fix_msg_get_int(m, tags[i], &v);
    (void)oms_fix_msg_get_time(m, tags[i], &v);
    (void)oms_fix_msg_get_char(m, tags[i], &c);
    (void)oms_fix_msg_get_bool(m, tags[i], &b);
    (void)oms_fix_msg_get_decimal(m, tags[i], &s);
  }
  oms_fix_group_t g;
  oms_fix_entry_t e;
  if (oms_fix_group_begin(m, 453, &g) == 0) {
    while (oms_fix_group_next(&g, &e) == 0) (void)oms_fix_entry_get(m, &e, 448, &s);
  }
  oms_fix_new_order_t no;
  oms_fix_replace_t rp;
  oms_fix_cancel_t cx;
  oms_fix_status_req_t st;
  oms_fix_mass_cancel_t mc;
  oms_fix_bad_field_t bad;
  (void)oms_fix_read_new_order(m, &no, &bad);
  (void)oms_fix_read_replace(m, &rp, &bad);
  (void)oms_fix_read_cancel(m, &cx, &bad);
  (void)oms_fix_read_status_request(m, &st, &bad);
  (void)oms_fix_read_mass_cancel(m, &mc, &bad);

  /* The dictionary: every switch combination answers 0 or names a tag and
   * one of the reasons it reports. */
  for (unsigned flags = 0; flags < 16; flags += 2) {
    int rc = oms_fix_dict_validate(oms_fix_dict_fix44(), m, flags, &bad);
    if (rc == 0) continue;
    if (rc != OMS_EPROTO || bad.tag == 0) __builtin_trap();
    switch (bad.reason) {
      case OMS_FIX_SRR_INVALID_TAG:
      case OMS_FIX_SRR_REQUIRED_TAG_MISSING:
      case OMS_FIX_SRR_TAG_NOT_DEFINED_FOR_MSG:
      case OMS_FIX_SRR_VALUE_INCORRECT:
      case OMS_FIX_SRR_INCORRECT_DATA_FORMAT:
      case OMS_FIX_SRR_INVALID_MSG_TYPE:
      case OMS_FIX_SRR_TAG_APPEARS_MORE_THAN_ONCE:
      case OMS_FIX_SRR_TAG_OUT_OF_ORDER:
      case OMS_FIX_SRR_INCORRECT_NUM_IN_GROUP: break;
      default: __builtin_trap();
    }
    if ((flags & OMS_FIX_DICT_NO_ENUMS) && bad.reason == OMS_FIX_SRR_VALUE_INCORRECT &&
        bad.tag != OMS_FIX_TAG_MsgType) {
      /* Only the integer range checks say 5 once enumerations are off. */
      const char *t = oms_fix_dict_field_type(oms_fix_dict_fix44(), bad.tag);
      if (!t || strcmp(t, "INT") == 0) __builtin_trap();
    }
  }

  /* Rebuild the body: must parse again with the same fields. */
  static char out[OMS_FIX_DEFAULT_MAX_MSG_LEN * 2];
  oms_fix_builder_t bld;
  char type[16];
  if (m->msg_type.len >= sizeof(type) || memchr(m->msg_type.ptr, 0, m->msg_type.len)) return;
  memcpy(type, m->msg_type.ptr, m->msg_type.len);
  type[m->msg_type.len] = '\0';
  oms_fix_builder_begin(&bld, out, sizeof(out), type);
  for (size_t i = 3; i + 1 < m->nfields; i++) {
    oms_fix_str_t val = oms_fix_msg_value(m, i);
    /* Data fields may hold SOH, which the builder refuses by design. */
    if (memchr(val.ptr, OMS_FIX_SOH, val.len)) return;
    oms_fix_add_str(&bld, m->fields[i].tag, val);
  }
  size_t out_len, used;
  if (oms_fix_builder_finish(&bld, &out_len) != 0) return;
  static oms_fix_msg_t again;
  oms_fix_limits_t lim = {.max_msg_len = sizeof(out), .max_fields = 0};
  if (oms_fix_parse(out, out_len, &lim, &again, &used, NULL) != 0) __builtin_trap();
  if (again.nfields != m->nfields) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static oms_fix_msg_t m;
  oms_fix_limits_t lim = {.max_msg_len = 1024, .max_fields = 64};
  size_t off = 0;
  while (off < size) {
    size_t used = 0;
    oms_fix_perror_t err;
    int rc = oms_fix_parse((const char *)data + off, size - off, &lim, &m, &used, &err);
    if (rc == OMS_EAGAIN) {
      if (used != 0 || size - off > lim.max_msg_len) __builtin_trap();
      break;
    }
    if (used == 0 || used > size - off) __builtin_trap();
    if (rc == 0) {
      check_msg(&m, data + off, size - off);
    } else if (rc != OMS_EPROTO || err.kind == OMS_FIX_PERR_NONE) {
      __builtin_trap();
    }
    off += used;
  }
  char ts[OMS_FIX_TIME_LEN + 1];
  int64_t ns;
  oms_fix_str_t s = {(const char *)data, size};
  if (oms_fix_str_to_time(s, &ns) == 0) {
    int64_t back;
    if (oms_fix_format_time(ns, ts) != 0) __builtin_trap();
    if (oms_fix_str_to_time(oms_fix_str(ts), &back) != 0) __builtin_trap();
    if (back / 1000000 != ns / 1000000) __builtin_trap();
  }
  return 0;
}
