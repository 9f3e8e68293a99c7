/* stream_reader URL STREAM - a downstream consumer of the event stream:
 * reads every message of STREAM in order and checks that their message ids
 * are 1..N once each, in order (so each order's events are in order).
 * Prints "stream_reader: n=N last=N" and exits 0, or says what is wrong and
 * exits 1. */
#include "unit/stream/nats_fixture.h"

#define CAP 1000000

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: stream_reader URL STREAM\n");
    return 2;
  }
  static uint64_t ids[CAP];
  long n = fx_nats_read_all(argv[1], argv[2], ids, NULL, CAP);
  if (n < 0) {
    printf("stream_reader: cannot read stream %s at %s\n", argv[2], argv[1]);
    return 1;
  }
  for (long i = 0; i < n; i++)
    if (ids[i] != (uint64_t)i + 1) {
      printf("stream_reader: message %ld has id %" PRIu64 ", wanted %ld (a %s)\n", i + 1, ids[i],
             i + 1, ids[i] <= (uint64_t)i ? "duplicate or reordering" : "gap");
      return 1;
    }
  printf("stream_reader: n=%ld last=%" PRIu64 "\n", n, n > 0 ? ids[n - 1] : 0);
  return 0;
}
