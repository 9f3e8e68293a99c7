/*
 * bench_util.h - the measurement harness every benchmark uses.
 *
 * A benchmark times each operation with CLOCK_MONOTONIC into a preallocated
 * sample array, after a warm-up. Because this machine is small and shared,
 * a measurement is repeated BENCH_ROUNDS times (env OMS_BENCH_ROUNDS) and
 * each figure printed is the median over the rounds of that figure, which
 * one noisy round can not move. The output contract, one line per operation:
 *
 *   BENCH <name> n=<count> p50_ns=<int> p99_ns=<int> p999_ns=<int> max_ns=<int> ops_per_s=<int>
 *
 * n is the number of timed operations per round; max_ns is the median of
 * the rounds' maxima (the largest single sample is printed in the comment).
 *
 * The comment line also gives the CPU time the hypervisor stole from this
 * virtual machine during the line's rounds (/proc/stat "steal", as a share
 * of all CPU time): a shared host that runs other guests on our vCPUs makes
 * every wall-clock figure slower by more than anything this program does, and
 * a line measured at 60% steal is not comparable with one at 1%.
 */
#ifndef OMS_BENCH_UTIL_H
#define OMS_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_ROUNDS 15

static inline uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct bench_s {
  const char *name;
  uint64_t *samples;
  size_t n, cap;
  uint64_t round_start;
  int rounds;
  uint64_t cpu_total, cpu_steal; /* /proc/stat ticks over the rounds */
  uint64_t cpu_total0, cpu_steal0;
  uint64_t p50[BENCH_MAX_ROUNDS], p99[BENCH_MAX_ROUNDS], p999[BENCH_MAX_ROUNDS],
      max[BENCH_MAX_ROUNDS], ops[BENCH_MAX_ROUNDS];
} bench_t;

static inline int bench_rounds(void) {
  const char *e = getenv("OMS_BENCH_ROUNDS");
  int r = e ? atoi(e) : 5;
  if (r < 1) r = 1;
  if (r > BENCH_MAX_ROUNDS) r = BENCH_MAX_ROUNDS;
  return r;
}

static inline void bench_init(bench_t *b, const char *name, size_t cap) {
  memset(b, 0, sizeof(*b));
  b->name = name;
  b->cap = cap;
  b->samples = (uint64_t *)malloc(cap * sizeof(uint64_t));
  if (b->samples == NULL) {
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
}

/* The machine's CPU ticks in all and stolen by the hypervisor so far (zero
 * where /proc/stat cannot be read). */
static inline void bench_cpu_ticks(uint64_t *total, uint64_t *steal) {
  *total = *steal = 0;
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL) return;
  unsigned long long v[8] = {0};
  if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
             &v[5], &v[6], &v[7]) == 8) {
    for (int i = 0; i < 8; i++) *total += v[i];
    *steal = v[7];
  }
  fclose(f);
}

static inline void bench_round_begin(bench_t *b) {
  bench_cpu_ticks(&b->cpu_total0, &b->cpu_steal0);
  b->n = 0;
  b->round_start = bench_now_ns();
}

static inline void bench_add(bench_t *b, uint64_t ns) {
  if (b->n < b->cap) b->samples[b->n++] = ns;
}

static int bench_cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;
  return (a > c) - (a < c);
}

static inline uint64_t bench_pct(const uint64_t *sorted, size_t n, double q) {
  if (n == 0) return 0;
  size_t i = (size_t)(q * (double)(n - 1) + 0.5);
  return sorted[i];
}

/* Ends a round: ops_per_s counts the operations over the round's wall time
 * (or over elapsed_ns if the caller measured throughput itself, > 0). */
static inline void bench_round_end(bench_t *b, uint64_t elapsed_ns) {
  if (elapsed_ns == 0) elapsed_ns = bench_now_ns() - b->round_start;
  uint64_t total, steal;
  bench_cpu_ticks(&total, &steal);
  b->cpu_total += total - b->cpu_total0;
  b->cpu_steal += steal - b->cpu_steal0;
  if (b->rounds >= BENCH_MAX_ROUNDS) return;
  qsort(b->samples, b->n, sizeof(uint64_t), bench_cmp_u64);
  int r = b->rounds++;
  b->p50[r] = bench_pct(b->samples, b->n, 0.50);
  b->p99[r] = bench_pct(b->samples, b->n, 0.99);
  b->p999[r] = bench_pct(b->samples, b->n, 0.999);
  b->max[r] = b->n ? b->samples[b->n - 1] : 0;
  b->ops[r] = elapsed_ns ? (uint64_t)((double)b->n * 1e9 / (double)elapsed_ns) : 0;
}

static inline uint64_t bench_median(uint64_t *v, int n) {
  uint64_t tmp[BENCH_MAX_ROUNDS];
  memcpy(tmp, v, (size_t)n * sizeof(uint64_t));
  qsort(tmp, (size_t)n, sizeof(uint64_t), bench_cmp_u64);
  return tmp[n / 2];
}

static inline void bench_report(bench_t *b) {
  if (b->rounds == 0) return;
  uint64_t worst = 0;
  for (int i = 0; i < b->rounds; i++)
    if (b->max[i] > worst) worst = b->max[i];
  printf("# %s: median of %d rounds; largest single sample %llu ns; cpu steal %.1f%%\n", b->name,
         b->rounds, (unsigned long long)worst,
         b->cpu_total ? 100.0 * (double)b->cpu_steal / (double)b->cpu_total : 0.0);
  printf("BENCH %s n=%zu p50_ns=%llu p99_ns=%llu p999_ns=%llu max_ns=%llu ops_per_s=%llu\n",
         b->name, b->n, (unsigned long long)bench_median(b->p50, b->rounds),
         (unsigned long long)bench_median(b->p99, b->rounds),
         (unsigned long long)bench_median(b->p999, b->rounds),
         (unsigned long long)bench_median(b->max, b->rounds),
         (unsigned long long)bench_median(b->ops, b->rounds));
  fflush(stdout);
  free(b->samples);
  b->samples = NULL;
}

/* Keeps the compiler from discarding a computed value. */
#define BENCH_KEEP(x) __asm__ volatile("" : : "g"(x) : "memory")

#endif /* OMS_BENCH_UTIL_H */
