/*
 * test_custom_tags.c - the bilateral FIX tags the gateway reads (parent
 * orders' parameters, contingent groups, smart routing) come from three
 * tables in three headers; a tag given two meanings would be read by
 * whichever reader asks first. This test holds them apart, and inside the
 * range client sessions accept (docs/algos.md, docs/groups.md,
 * docs/routing.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "oms/algo.h"
#include "oms/engine.h"
#include "oms/sor.h"

typedef struct tag_use_s {
  uint32_t tag;
  const char *name;
} tag_use_t;

static void test_bilateral_tags_have_one_meaning(void **state) {
  (void)state;
  tag_use_t t[64];
  size_t n = 0;
#define XX(f, tag, type, unit, lo, hi, desc) \
  if ((tag) >= 20000) t[n++] = (tag_use_t){(tag), "algo." #f};
  OMS_ALGO_PARAM_MAP(XX)
#undef XX
#define XX(name, tag, desc) t[n++] = (tag_use_t){(tag), "group." #name};
  OMS_GROUP_TAG_MAP(XX)
#undef XX
  t[n++] = (tag_use_t){OMS_SOR_FIX_TAG_POLICY, "sor.RoutingPolicy"};
  assert_true(n <= sizeof t / sizeof t[0]);
  for (size_t i = 0; i < n; i++) {
    assert_in_range(t[i].tag, 20000, 39999);
    for (size_t j = i + 1; j < n; j++) {
      if (t[i].tag == t[j].tag)
        fail_msg("tag %u is both %s and %s", t[i].tag, t[i].name, t[j].name);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bilateral_tags_have_one_meaning),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
