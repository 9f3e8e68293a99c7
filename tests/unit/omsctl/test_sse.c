/* test_sse.c - omsctl's event-stream parser (apps/omsctl/sse.c): events as
 * omsd sends them, in any cutting of the bytes; keepalives skipped; the
 * last id kept across a reconnection; an over-long line refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sse.h"

typedef struct seen_s {
  char text[1024];
  int n;
} seen_t;

static void on_event(const char *id, const char *event, const char *data, void *ctx) {
  seen_t *s = ctx;
  size_t len = strlen(s->text);
  snprintf(s->text + len, sizeof s->text - len, "[%s|%s|%s]", id ? id : "-", event, data);
  s->n++;
}

static const char stream[] =
    ": keepalive\n\n"
    "id: 1\nevent: OrderAccepted\ndata: {\"seq\":1}\n\n"
    "event: MarketData\r\ndata: {\"seq\":0}\r\n\r\n"
    "id: 2\ndata: a\ndata: b\n\n"
    "id: 3\nevent: Cut";

static void test_events_in_any_cutting(void **state) {
  (void)state;
  for (size_t step = 1; step <= sizeof stream; step++) {
    seen_t seen = {{0}, 0};
    ctl_sse_t s = {.fn = on_event, .ctx = &seen};
    for (size_t off = 0; off < sizeof stream - 1; off += step) {
      size_t n = sizeof stream - 1 - off < step ? sizeof stream - 1 - off : step;
      assert_int_equal(ctl_sse_feed(&s, stream + off, n), 0);
    }
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.text,
                        "[1|OrderAccepted|{\"seq\":1}][-|MarketData|{\"seq\":0}][2|message|a\nb]");
    assert_string_equal(s.last_id, "2");
    ctl_sse_reset(&s); /* a new connection: the cut event is gone, the last id stays */
    assert_int_equal(ctl_sse_feed(&s, "\n", 1), 0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(s.last_id, "2");
    ctl_sse_free(&s);
  }
}

static void test_a_line_over_the_cap_is_refused(void **state) {
  (void)state;
  seen_t seen = {{0}, 0};
  ctl_sse_t s = {.fn = on_event, .ctx = &seen, .max = 16};
  assert_int_equal(ctl_sse_feed(&s, "data: 0123456789", 16), 0);
  assert_int_equal(ctl_sse_feed(&s, "x", 1), -1);
  ctl_sse_reset(&s);
  assert_int_equal(ctl_sse_feed(&s, "data: 0123456789\ndata: 01234567\n", 33), -1);
  ctl_sse_free(&s);
  ctl_sse_free(&s); /* twice: harmless */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_events_in_any_cutting),
      cmocka_unit_test(test_a_line_over_the_cap_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
