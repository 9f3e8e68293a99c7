/*
 * fuzz_fix_md.c - libFuzzer target for the FIX venue's market data reader
 * (src/venue/fix_md.h): any body, as "tag=value" fields separated by '|' or
 * SOH, is built into a MarketDataSnapshotFullRefresh (W), parsed back, and
 * read into levels whether or not the FIX 4.4 dictionary accepts it (the
 * connector only sees what it accepts; the reader must hold on anything).
 * A snapshot read must be a book: each side's levels strictly in price
 * order, every price and size above zero, at most OMS_MD_DEPTH a side; a
 * refusal must say why.
 *
 * An input that starts "X|" is a MarketDataIncrementalRefresh (X) instead,
 * applied to two books (venue symbols AAA and BBB, each first given the
 * same snapshot: 5 levels a side): after it, each book is still a book as
 * above, a LIVE one delivers it, an untrusted one is empty and says why,
 * and a refusal says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_dict.h"
#include "venue/fix_md.h"

static void check_side(const oms_market_data_t *md, oms_side_t side) {
  uint32_t n = oms_md_levels(md, side);
  if (n > OMS_MD_DEPTH) __builtin_trap();
  for (uint32_t i = 0; i < n; i++) {
    oms_md_level_t l = oms_md_level(md, side, i);
    if (!oms_dec_is_pos(l.px) || !oms_dec_is_pos(l.qty)) __builtin_trap();
    if (i == 0) continue;
    oms_md_level_t p = oms_md_level(md, side, i - 1);
    if (side == OMS_SIDE_BUY ? l.px.raw >= p.px.raw : l.px.raw <= p.px.raw) __builtin_trap();
  }
}

static oms__md_book_t g_books[2];
static oms__md_book_t *find(void *ctx, oms_fix_str_t sym) {
  (void)ctx;
  if (oms_fix_str_eq(sym, "AAA")) return &g_books[0];
  if (oms_fix_str_eq(sym, "BBB")) return &g_books[1];
  return NULL;
}

static void check_book(const oms__md_book_t *b) {
  if (b->state == OMS__MD_STALE && (b->why == NULL || b->n[0] || b->n[1])) __builtin_trap();
  oms_market_data_t md;
  memset(&md, 0, sizeof md);
  oms__md_book_get(b, &md);
  check_side(&md, OMS_SIDE_BUY);
  check_side(&md, OMS_SIDE_SELL);
  if (b->state == OMS__MD_LIVE && oms_md_levels(&md, OMS_SIDE_BUY) != b->n[0]) __builtin_trap();
  if (oms_dec_is_neg(md.last_qty)) __builtin_trap();
}

/* Both books from one parsed W of 5 levels a side. */
static void seed_books(void) {
  static char buf[1024];
  static oms_fix_msg_t m;
  static bool parsed;
  if (!parsed) {
    oms_fix_builder_t b;
    oms_fix_builder_begin(&b, buf, sizeof buf, "W");
    oms_fix_add_cstr(&b, 55, "AAA");
    oms_fix_add_cstr(&b, 268, "10");
    static const char *const px[] = {"99",  "98",  "97",  "96",  "95",
                                     "101", "102", "103", "104", "105"};
    for (int k = 0; k < 10; k++) {
      oms_fix_add_cstr(&b, 269, k < 5 ? "0" : "1");
      oms_fix_add_cstr(&b, 270, px[k]);
      oms_fix_add_cstr(&b, 271, "1");
    }
    size_t len, used;
    oms_fix_limits_t lim = {.max_msg_len = sizeof buf, .max_fields = 0};
    if (oms_fix_builder_finish(&b, &len) != 0 ||
        oms_fix_parse(buf, len, &lim, &m, &used, NULL) != 0)
      __builtin_trap();
    parsed = true;
  }
  const char *why;
  for (int k = 0; k < 2; k++)
    if (oms__fix_md_snapshot(&g_books[k], &m, &why) != 0) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char buf[8192];
  oms_fix_builder_t b;
  bool incremental = size >= 2 && data[0] == 'X' && data[1] == '|';
  if (incremental) data += 2, size -= 2;
  oms_fix_builder_begin(&b, buf, sizeof buf, incremental ? "X" : "W");
  size_t i = 0;
  while (i < size) {
    size_t end = i;
    while (end < size && data[end] != '|' && data[end] != OMS_FIX_SOH) end++;
    const char *f = (const char *)data + i;
    const char *eq = memchr(f, '=', end - i);
    if (eq != NULL && eq > f && eq - f <= 6) {
      uint32_t tag = 0;
      bool digits = true;
      for (const char *c = f; c < eq; c++) {
        digits &= *c >= '0' && *c <= '9';
        tag = tag * 10 + (uint32_t)(*c - '0');
      }
      oms_fix_str_t v = {eq + 1, (size_t)(data + end - (const uint8_t *)eq - 1)};
      /* the header and trailer are the builder's */
      if (digits && tag > 0 && tag != 8 && tag != 9 && tag != 10 && tag != 35 && v.len > 0)
        oms_fix_add_str(&b, tag, v);
    }
    i = end + 1;
  }
  size_t len, used;
  if (oms_fix_builder_finish(&b, &len) != 0) return 0;
  static oms_fix_msg_t m;
  oms_fix_limits_t lim = {.max_msg_len = sizeof buf, .max_fields = 0};
  if (oms_fix_parse(buf, len, &lim, &m, &used, NULL) != 0) return 0;
  oms_fix_bad_field_t bad;
  (void)oms_fix_dict_validate(oms_fix_dict_fix44(), &m,
                              OMS_FIX_DICT_NO_ENUMS | OMS_FIX_DICT_ALLOW_USER_TAGS, &bad);
  const char *why = NULL;
  if (incremental) {
    seed_books();
    int rc = oms__fix_md_apply(&m, find, NULL, &why);
    if (rc != 0 && (rc != OMS_EPROTO || why == NULL || why[0] == '\0')) __builtin_trap();
    check_book(&g_books[0]);
    check_book(&g_books[1]);
    return 0;
  }
  oms_market_data_t md;
  memset(&md, 0, sizeof md);
  int rc = oms__fix_md_read(&m, &md, &why);
  if (rc == 0) {
    check_side(&md, OMS_SIDE_BUY);
    check_side(&md, OMS_SIDE_SELL);
    if (oms_dec_is_neg(md.last_qty)) __builtin_trap();
  } else if (rc != OMS_EPROTO || why == NULL || why[0] == '\0') {
    __builtin_trap();
  }
  return 0;
}
