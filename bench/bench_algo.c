/*
 * bench_algo.c - the cost of one clock tick with 10,000 active parents.
 *
 * 10,000 parents (TWAP, POV, iceberg, sniper, trailing stop) over 100
 * instruments. Each tick moves every instrument's book and trades, steps
 * every parent with its instrument's data (the worst case: an engine steps
 * only parents whose wake-up is due or whose instrument moved), and reports
 * the children's fills and ends back (crossing children fill at once,
 * resting ones a lot per tick). A parent that finishes is started again, so
 * 10,000 stay active. The floor is the same loop touching each parent's
 * state and its instrument without stepping it: what walking 10,000
 * parents costs at all.
 *
 *   BENCH algo_tick_10k_parents   one tick: 10,000 steps and their fills
 *   BENCH algo_tick_floor_10k     one tick of the walk alone
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "oms/algo.h"

#define PARENTS 10000
#define INSTRUMENTS 100
#define TICKS 100
#define TICK_NS INT64_C(100000000)
#define SEC INT64_C(1000000000)
#define T0 INT64_C(1700000000000000000)

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static oms_dec_t D(int64_t units) { return oms_dec_from_raw(units * OMS_DEC_SCALE); }
static oms_dec_t cents(int64_t c) { return oms_dec_from_raw(c * (OMS_DEC_SCALE / 100)); }

static void params_for(int i, int64_t now, oms_algo_params_t *p) {
  oms_side_t side = (i & 1) ? OMS_SIDE_SELL : OMS_SIDE_BUY;
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      oms_algo_params_init(p, OMS_ALGO_TWAP, side, D(10000));
      p->end_ns = now + 600 * SEC;
      p->slice_ns = 5 * SEC;
      p->size_var = oms_dec_from_raw(OMS_DEC_SCALE / 5);
      p->time_var = oms_dec_from_raw(OMS_DEC_SCALE / 5);
      p->aggression = (uint8_t)(1 + i % 3);
      p->set |= 1u << OMS_ALGO_P_end_ns | 1u << OMS_ALGO_P_slice_ns | 1u << OMS_ALGO_P_size_var |
                1u << OMS_ALGO_P_time_var | 1u << OMS_ALGO_P_aggression;
      break;
    case 4:
    case 5:
      oms_algo_params_init(p, OMS_ALGO_POV, side, D(10000));
      p->pov_rate = oms_dec_from_raw(OMS_DEC_SCALE / 10);
      p->set |= 1u << OMS_ALGO_P_pov_rate;
      break;
    case 6:
    case 7:
      oms_algo_params_init(p, OMS_ALGO_ICEBERG, side, D(5000));
      p->limit_px = cents(10000);
      p->display_qty = D(100);
      p->display_var = oms_dec_from_raw(OMS_DEC_SCALE / 4);
      p->set |=
          1u << OMS_ALGO_P_limit_px | 1u << OMS_ALGO_P_display_qty | 1u << OMS_ALGO_P_display_var;
      break;
    case 8:
      oms_algo_params_init(p, OMS_ALGO_SNIPER, side, D(5000));
      p->limit_px = side == OMS_SIDE_BUY ? cents(10000) : cents(10000);
      p->set |= 1u << OMS_ALGO_P_limit_px;
      break;
    default:
      oms_algo_params_init(p, OMS_ALGO_TRAILING_STOP, side, D(100));
      p->trail_offset = cents(50);
      p->set |= 1u << OMS_ALGO_P_trail_offset;
      break;
  }
}

static void start(oms_algo_state_t *st, int i, int64_t now) {
  oms_algo_params_t p;
  params_for(i, now, &p);
  if (oms_algo_init(st, (uint64_t)i + 1, &p, cents(1), D(1), now) != 0) {
    fprintf(stderr, "bench_algo: parent %d refused\n", i);
    exit(1);
  }
}

static void move_market(oms_algo_md_t *md) {
  for (int k = 0; k < INSTRUMENTS; k++) {
    uint64_t r = next_rand();
    int64_t mid =
        md[k].bid.raw + (int64_t)(r % 5) * (OMS_DEC_SCALE / 100) - 2 * (OMS_DEC_SCALE / 100);
    if (mid < 9900 * (OMS_DEC_SCALE / 100)) mid = 9900 * (OMS_DEC_SCALE / 100);
    md[k].bid = oms_dec_from_raw(mid);
    md[k].ask = oms_dec_from_raw(mid + OMS_DEC_SCALE / 100);
    md[k].bid_qty = D((int64_t)(1 + (r >> 8) % 500));
    md[k].ask_qty = D((int64_t)(1 + (r >> 20) % 500));
    md[k].last_px = (r >> 40) & 1 ? md[k].bid : md[k].ask;
    md[k].last_qty = D((int64_t)(1 + (r >> 32) % 100));
    md[k].cum_volume.raw += md[k].last_qty.raw * 20;
  }
}

/* Fills and ends of the children a step sent, and a lot per tick of each
 * resting child. */
static void report(oms_algo_state_t *st, const oms_algo_out_t *out, const oms_algo_md_t *md) {
  for (uint32_t k = 0; k < out->n; k++) {
    const oms_algo_intent_t *in = &out->intent[k];
    if (in->kind == OMS_INTENT_CANCEL) {
      oms_algo_on_child_done(st, in->child_seq);
    } else if (in->kind == OMS_INTENT_NEW && in->tif == OMS_TIF_IOC) {
      oms_dec_t px = in->side == OMS_SIDE_BUY ? md->ask : md->bid;
      oms_algo_on_child_fill(st, in->child_seq, in->qty, px);
      oms_algo_on_child_done(st, in->child_seq);
    }
  }
  for (int c = 0; c < OMS_ALGO_MAX_CHILDREN; c++) {
    oms_algo_child_t *ch = &st->child[c];
    if (ch->seq == 0 || ch->cancelling) continue;
    oms_algo_on_child_fill(st, ch->seq, D(1), ch->price);
    if (ch->seq != 0 && ch->filled.raw == ch->qty.raw) oms_algo_on_child_done(st, ch->seq);
    break;
  }
}

int main(void) {
  oms_algo_state_t *st = malloc(sizeof(*st) * PARENTS);
  oms_algo_md_t *md = calloc(INSTRUMENTS, sizeof(*md));
  if (st == NULL || md == NULL) return 1;
  int64_t now = T0;
  for (int k = 0; k < INSTRUMENTS; k++) {
    md[k].bid = cents(9999);
    md[k].cum_volume = D(1000);
  }
  for (int i = 0; i < PARENTS; i++) start(&st[i], i, now);

  bench_t tick, floor_;
  bench_init(&tick, "algo_tick_10k_parents", TICKS);
  bench_init(&floor_, "algo_tick_floor_10k", TICKS);
  uint64_t intents = 0, restarts = 0, sink = 0;
  for (int warm = 0; warm < 20; warm++) {
    now += TICK_NS;
    move_market(md);
    for (int i = 0; i < PARENTS; i++) {
      oms_algo_out_t out;
      oms_algo_step(&st[i], now, &md[i % INSTRUMENTS], &out);
      report(&st[i], &out, &md[i % INSTRUMENTS]);
    }
  }
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&tick);
    bench_round_begin(&floor_);
    for (int t = 0; t < TICKS; t++) {
      now += TICK_NS;
      move_market(md);
      /* the floor: walk every parent and its instrument */
      uint64_t t0 = bench_now_ns();
      for (int i = 0; i < PARENTS; i++) {
        sink += st[i].status + (uint64_t)st[i].open.raw + (uint64_t)md[i % INSTRUMENTS].bid.raw;
      }
      bench_add(&floor_, bench_now_ns() - t0);
      t0 = bench_now_ns();
      for (int i = 0; i < PARENTS; i++) {
        oms_algo_out_t out;
        oms_algo_step(&st[i], now, &md[i % INSTRUMENTS], &out);
        intents += out.n;
        report(&st[i], &out, &md[i % INSTRUMENTS]);
      }
      bench_add(&tick, bench_now_ns() - t0);
      for (int i = 0; i < PARENTS; i++) {
        if (oms_algo_is_done(&st[i])) {
          start(&st[i], i, now);
          restarts++;
        }
      }
    }
    bench_round_end(&floor_, 0);
    bench_round_end(&tick, 0);
  }
  bench_report(&tick);
  bench_report(&floor_);
  printf("# %llu intents, %llu parents restarted (sink %llu)\n", (unsigned long long)intents,
         (unsigned long long)restarts, (unsigned long long)(sink & 1));
  free(st);
  free(md);
  return 0;
}
