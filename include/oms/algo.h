/*
 * algo.h - parent orders: the deterministic logic of the execution algorithms
 * (TWAP, VWAP, POV, iceberg, sniper), of the order types the OMS emulates
 * (trailing stop, market- and limit-if-touched) and of contingent groups
 * (OCO, OUO, OTO, bracket).
 *
 * A parent order is worked by sending child orders. This module decides
 * which children, when and at what price; it never sends anything itself. It
 * does no I/O, takes no lock, reads no clock (time is an argument) and never
 * allocates: a parent is one fixed-size value, oms_algo_state_t, that the
 * engine keeps beside the parent's oms_order_t, journals with
 * oms_algo_encode() and restores with oms_algo_decode(). Given the same
 * inputs in the same order, a parent produces the same intents, before or
 * after an encode/decode (a restart resumes its schedule identically).
 *
 * HOW THE ENGINE DRIVES A PARENT
 *   1. parameters arrive over FIX (oms_algo_params_from_tags) or the library
 *      API (an oms_algo_params_t filled by the caller);
 *      oms_algo_params_validate() refuses bad ones with an OMS_ALGO_R_* code
 *      and a text that names the parameter;
 *   2. oms_algo_init() makes the state, with the instrument's tick and lot;
 *   3. the engine calls oms_algo_step() when the parent's wake-up time
 *      (out->next_wake_ns) is reached, when market data for its instrument
 *      changed, and after each event of one of its children; the step
 *      returns intents: NEW child, CANCEL child (REPLACE only from groups),
 *      each naming the child by its sequence number (child_seq, 1, 2, 3...
 *      per parent);
 *   4. the engine turns a NEW intent into a child order carrying the parent's
 *      order id, remembers (child order id -> parent, child_seq), and reports
 *      what happens to the child with oms_algo_on_child_fill() and
 *      oms_algo_on_child_done() (cancelled, rejected, expired or filled: no
 *      longer open); a child the engine could not send at all is reported done
 *      at once;
 *   5. oms_algo_cancel(), oms_algo_halt() and oms_algo_replace() return the
 *      intents that cancel or re-plan the children;
 *   6. the parent is over when oms_algo_is_done(): its status is terminal
 *      and no child is open.
 *
 * THE INVARIANT: at every instant, the open quantity of the children plus
 * the filled quantity is at most the parent's quantity. Every function
 * checks it after each change and returns OMS_EOVERFILL instead of making or
 * emitting anything that would break it (the state is then unchanged).
 * Cumulative and average fill are exact sums of the children's fills.
 *
 * Contingent orders are not parents with children but groups of member
 * orders (oms_algo_group_t): a small state machine that turns the members'
 * fills and ends into release, reduce and cancel intents.
 */
#ifndef OMS_ALGO_H
#define OMS_ALGO_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"

OMS_BEGIN_DECLS

/* ---- Strategies ------------------------------------------------------------ */

/* XX(NAME, TargetStrategy(847) value, description). FIX gives 1 (VWAP) and
 * 2 (Participate) a meaning and leaves 1000 and above to the parties, so the
 * others are numbered from 1000. 847 accepts the number or the name. */
#define OMS_ALGO_STRATEGY_MAP(XX)                                            \
  XX(VWAP, 1, "volume-weighted: slices follow a volume profile")             \
  XX(POV, 2, "percent of volume: a target share of market volume")           \
  XX(TWAP, 1000, "time-weighted: equal slices from start to end")            \
  XX(ICEBERG, 1001, "shows a display quantity, refreshed on fill")           \
  XX(SNIPER, 1002, "hidden; takes liquidity at the limit or better (IOC)")   \
  XX(TRAILING_STOP, 1003, "stop that follows the best price by an offset")   \
  XX(MIT, 1004, "market-if-touched: a market child once the trigger trades") \
  XX(LIT, 1005, "limit-if-touched: a limit child once the trigger trades")

/* clang-format off */
typedef enum oms_algo_strategy_e {
  OMS_ALGO_NONE = 0,
#define XX(name, num, desc) OMS_ALGO_##name = (num),
  OMS_ALGO_STRATEGY_MAP(XX)
#undef XX
} oms_algo_strategy_t;
/* clang-format on */

typedef enum oms_algo_aggression_e {
  OMS_AGGR_PASSIVE = 1, /* at the near touch (a buy joins the bid) */
  OMS_AGGR_MID = 2,     /* at the mid, rounded to the tick on the passive side */
  OMS_AGGR_CROSS = 3    /* at the far touch, IOC (a buy takes the ask) */
} oms_algo_aggression_t;

/* The price an emulated order (TRAILING_STOP, MIT, LIT) watches; FIX
 * TriggerPriceType (1107, FIX 5.0) has the same idea, our tag is 20021. */
#define OMS_ALGO_TRIGGER_MAP(XX)                                       \
  XX(LAST, 1, "the last trade price (the default)")                    \
  XX(QUOTE, 2, "the far touch: the ask for a buy, the bid for a sell") \
  XX(MID, 3, "the mid of bid and ask (exact, not rounded to the tick)")

typedef enum oms_algo_trigger_e {
#define XX(name, num, desc) OMS_TRIGGER_##name = (num),
  OMS_ALGO_TRIGGER_MAP(XX)
#undef XX
} oms_algo_trigger_t;

typedef enum oms_algo_trail_unit_e {
  OMS_TRAIL_PRICE = 1, /* the offset is a price difference */
  OMS_TRAIL_BPS = 2,   /* basis points of the high-water mark */
  OMS_TRAIL_TICKS = 3  /* a number of ticks */
} oms_algo_trail_unit_t;

/* ---- Parameters -------------------------------------------------------------
 *
 * The single table of every parameter: XX(field, FIX tag, type, unit,
 * minimum, maximum, description). Types: DEC (oms_dec_t; bounds are raw
 * 10^-8 units, 0 as maximum means none), TIME (ns since the epoch; FIX
 * UTCTimestamp), DUR (milliseconds in FIX, ns in the struct), ENUM (small
 * number; FIX also takes the name), BOOL (Y/N), U64, PROFILE (comma-separated
 * weights). Side, quantity and limit price are the order's own standard tags;
 * the others are in the 20000-39999 range that FIX reserves for fields agreed
 * between two parties (a documented bilateral range, unlike 5000-9999, which
 * needs registration, and 10000-19999, kept for a firm's internal use). */
#define OMS__ALGO_FRAC_MAX INT64_C(100000000)                         /* 1.0 */
#define OMS__ALGO_VAR_MAX INT64_C(50000000)                           /* 0.5 */
#define OMS__ALGO_QTY_MAX (INT64_C(10000000000) * INT64_C(100000000)) /* 10^10 */
/* clang-format off */
#define OMS_ALGO_PARAM_MAP(XX)                                                                    \
  XX(strategy,      847, ENUM, "-",        1, 1005, "TargetStrategy: the algorithm")              \
  XX(side,           54, ENUM, "-",        1, 2,    "Side: 1 buy, 2 sell")                        \
  XX(qty,            38, DEC,  "qty",      1, OMS__ALGO_QTY_MAX, "OrderQty: the parent's quantity") \
  XX(limit_px,       44, DEC,  "price",    1, 0,    "Price: never buy above / sell below")        \
  XX(start_ns,    20001, TIME, "UTC",      0, 0,    "StartTime; default: at acceptance")          \
  XX(end_ns,      20002, TIME, "UTC",      0, 0,    "EndTime: finish by (TWAP, VWAP; POV stops)") \
  XX(slice_ns,    20003, DUR,  "ms",       1, 0,    "SliceInterval (TWAP, VWAP, POV)")            \
  XX(size_var,    20004, DEC,  "fraction", 0, OMS__ALGO_VAR_MAX, "SizeVariance: +/- share of a slice") \
  XX(time_var,    20005, DEC,  "fraction", 0, OMS__ALGO_VAR_MAX, "TimeVariance: delay, share of interval") \
  XX(min_slice,   20006, DEC,  "qty",      0, 0,    "MinSlice: smaller slices wait (not the last)") \
  XX(max_slice,   20007, DEC,  "qty",      0, 0,    "MaxSlice: 0 means none")                     \
  XX(max_pov,     20008, DEC,  "fraction", 1, OMS__ALGO_FRAC_MAX, "MaxPctVolume: cap (TWAP, VWAP)") \
  XX(pov_rate,    20009, DEC,  "fraction", 1, OMS__ALGO_FRAC_MAX, "TargetPctVolume (POV)")   \
  XX(aggression,  20010, ENUM, "-",        1, 3,    "Aggression: 1 passive, 2 mid, 3 cross")      \
  XX(would_px,    20011, DEC,  "price",    1, 0,    "WouldPrice: take all liquidity at or better") \
  XX(catch_up,    20012, BOOL, "Y/N",      0, 1,    "CatchUp: a slice makes up a shortfall")     \
  XX(display_qty, 20013, DEC,  "qty",      1, 0,    "DisplayQty: the most shown (ICEBERG)")       \
  XX(display_var, 20014, DEC,  "fraction", 0, OMS__ALGO_VAR_MAX, "DisplayVariance: shown less by up to") \
  XX(trail_offset,20015, DEC,  "unit",     1, 0,    "TrailOffset (TRAILING_STOP)")                \
  XX(trail_unit,  20016, ENUM, "-",        1, 3,    "TrailUnit: 1 price, 2 bps, 3 ticks")        \
  XX(activation_px,20017,DEC,  "price",    1, 0,    "ActivationPrice: trailing starts there")     \
  XX(trigger_px,  20018, DEC,  "price",    1, 0,    "TriggerPrice (MIT, LIT)")                    \
  XX(seed,        20019, U64,  "-",        0, 0,    "RandomSeed: 0 lets the engine choose")       \
  XX(profile,     20020, PROFILE, "weights", 0, 0,  "VolumeProfile: weights of equal buckets (VWAP)") \
  XX(trigger_type,20021, ENUM, "-",        1, 3,    "TriggerPriceType: 1 last, 2 quote, 3 mid")
/* clang-format on */

/* Parameter ids, for the `set` mask and the refusal's `param`. */
typedef enum oms_algo_param_e {
#define XX(f, tag, type, unit, lo, hi, desc) OMS_ALGO_P_##f,
  OMS_ALGO_PARAM_MAP(XX)
#undef XX
      OMS_ALGO_P_COUNT
} oms_algo_param_t;

/* Most buckets of a volume profile. */
#define OMS_ALGO_PROFILE_MAX 48

typedef struct oms_algo_params_s {
  uint32_t set;         /* bit (1u << OMS_ALGO_P_x) for each parameter given */
  uint16_t strategy;    /* oms_algo_strategy_t */
  uint8_t side;         /* oms_side_t */
  uint8_t aggression;   /* oms_algo_aggression_t; 0 = the strategy's default */
  uint8_t trail_unit;   /* oms_algo_trail_unit_t; 0 = PRICE */
  uint8_t catch_up;     /* 1 = make up a shortfall (the default when not set) */
  uint8_t profile_len;  /* buckets in profile (VWAP) */
  uint8_t trigger_type; /* oms_algo_trigger_t; 0 = LAST (TRAILING_STOP, MIT, LIT) */
  oms_dec_t qty;
  oms_dec_t limit_px; /* 0 = none (required by ICEBERG, SNIPER, LIT) */
  int64_t start_ns;   /* 0 = at init */
  int64_t end_ns;
  int64_t slice_ns; /* 0 = the default: 60 s (TWAP, VWAP), 1 s (POV) */
  oms_dec_t size_var, time_var;
  oms_dec_t min_slice, max_slice;
  oms_dec_t max_pov, pov_rate;
  oms_dec_t would_px;
  oms_dec_t display_qty, display_var;
  oms_dec_t trail_offset;
  oms_dec_t activation_px, trigger_px;
  uint64_t seed;
  oms_dec_t profile[OMS_ALGO_PROFILE_MAX]; /* weights >= 0, sum > 0 */
} oms_algo_params_t;

/* Sets field f of the params at p to v and marks it given:
 * OMS_ALGO_SET(&p, end_ns, t). */
#define OMS_ALGO_SET(p, f, v) ((p)->f = (v), (p)->set |= 1u << OMS_ALGO_P_##f)

/* Sets p to a parameter-less parent of strategy s, side, qty (a starting
 * point for the library API). */
OMS_EXTERN void oms_algo_params_init(oms_algo_params_t *p, oms_algo_strategy_t s, oms_side_t side,
                                     oms_dec_t qty);

/* Sets p's volume profile from the market volumes vol[0..n) traded in n
 * equal buckets of a past session (the profile "learned from the venue"):
 * each weight is its bucket's percentage of the total. Returns 0, or
 * OMS_EINVAL (n of 0 or above OMS_ALGO_PROFILE_MAX, a negative volume, a
 * total of 0) with p unchanged. */
OMS_EXTERN int oms_algo_profile_from_volumes(oms_algo_params_t *p, const oms_dec_t *vol, size_t n);

/* ---- Refusals ---------------------------------------------------------------
 * XX(NAME, number, description). Numbered from 500 so that the engine can
 * append them to the reason table (reason.h) with the same numbers. */
#define OMS_ALGO_REFUSAL_MAP(XX)                                                \
  XX(UNKNOWN_STRATEGY, 500, "unknown strategy")                                 \
  XX(BAD_VALUE, 501, "parameter value unreadable")                              \
  XX(OUT_OF_BOUNDS, 502, "parameter outside its bounds")                        \
  XX(MISSING, 503, "required parameter missing")                                \
  XX(NOT_APPLICABLE, 504, "parameter does not apply to this strategy")          \
  XX(END_BEFORE_START, 505, "end time not after start time")                    \
  XX(SLICE_INTERVAL, 506, "slice interval must be positive")                    \
  XX(DISPLAY_ABOVE_QTY, 507, "display quantity above the order quantity")       \
  XX(PARTICIPATION, 508, "participation must be above 0 and at most 1")         \
  XX(LIMIT_REQUIRED, 509, "limit price required for this strategy")             \
  XX(MIN_ABOVE_MAX, 510, "minimum slice above maximum slice")                   \
  XX(WOULD_BEYOND_LIMIT, 511, "would price beyond the limit price")             \
  XX(BAD_PROFILE, 512, "volume profile empty or all zero")                      \
  XX(UNKNOWN_TAG, 513, "unknown algorithm tag")                                 \
  XX(DUPLICATE_TAG, 514, "tag given twice")                                     \
  XX(TICK_SIZE, 515, "price not a multiple of the tick size")                   \
  XX(LOT_SIZE, 516, "quantity not a multiple of the lot size")                  \
  XX(END_PASSED, 517, "end time already passed")                                \
  XX(QTY_BELOW_FILLED, 518, "new quantity below the filled quantity")           \
  XX(REPLACE_CHANGES_STRATEGY, 519, "a replace cannot change strategy or side") \
  XX(VENUE_CANNOT, 520, "venue neither works the type nor lets the OMS emulate it")

typedef enum oms_algo_refusal_e {
  OMS_ALGO_R_NONE = 0,
#define XX(name, num, desc) OMS_ALGO_R_##name = (num),
  OMS_ALGO_REFUSAL_MAP(XX)
#undef XX
} oms_algo_refusal_t;

typedef struct oms_algo_reject_s {
  oms_algo_refusal_t code;
  uint32_t tag;                  /* the FIX tag of the parameter concerned, 0 if none */
  char param[24];                /* its name ("display_qty"), "" if none */
  char text[OMS_REASON_MAX + 1]; /* "display_qty(20013): 500 above qty 100" */
} oms_algo_reject_t;

/* Names and descriptions for logs and docs; never NULL ("UNKNOWN"). */
OMS_EXTERN const char *oms_algo_strategy_name(oms_algo_strategy_t s);
OMS_EXTERN int oms_algo_strategy_parse(const char *s, oms_algo_strategy_t *out);
OMS_EXTERN const char *oms_algo_refusal_name(oms_algo_refusal_t r);
OMS_EXTERN const char *oms_algo_param_name(oms_algo_param_t p);
OMS_EXTERN uint32_t oms_algo_param_tag(oms_algo_param_t p);

/* One FIX field: tag and its value as text (not NUL-terminated). */
typedef struct oms_algo_tag_s {
  uint32_t tag;
  const char *value;
  size_t len;
} oms_algo_tag_t;

/* Fills *p from the tag=value pairs tags[0..n). Tags of the table are read;
 * a tag in 20000-20999 that the table does not know is refused
 * (UNKNOWN_TAG), any other tag is ignored (the rest of the order). Returns
 * 0, or OMS_EREJECTED with rej set (BAD_VALUE, UNKNOWN_STRATEGY,
 * UNKNOWN_TAG, DUPLICATE_TAG). Does not validate: call
 * oms_algo_params_validate() next. */
OMS_EXTERN int oms_algo_params_from_tags(const oms_algo_tag_t *tags, size_t n, oms_algo_params_t *p,
                                         oms_algo_reject_t *rej);

/* Checks p for instrument tick/lot (> 0; 0 skips the check) at time now_ns.
 * Returns 0 or OMS_EREJECTED with rej naming the first parameter at fault.
 * The rules are listed in docs/algos.md. */
OMS_EXTERN int oms_algo_params_validate(const oms_algo_params_t *p, oms_dec_t tick, oms_dec_t lot,
                                        int64_t now_ns, oms_algo_reject_t *rej);

/* ---- Market data and intents ----------------------------------------------- */

/* What a step sees of the instrument. Zero means unknown (no bid, no trade). */
typedef struct oms_algo_md_s {
  oms_dec_t bid, bid_qty, ask, ask_qty;
  oms_dec_t last_px, last_qty;
  oms_dec_t cum_volume; /* the market's traded quantity so far, monotonic */
  /* The trades the engine saw on this instrument since it started: their
   * quantity and their sum of qty * px (at 10^-16). Both start again at 0
   * when the engine restarts (a parent notices and re-bases). They measure
   * the market's interval VWAP over a parent's life. */
  oms_dec_t seen_volume;
  __int128 seen_notional;
  /* When this snapshot was taken (0: unknown). Liquidity is taken (SNIPER,
   * would price) at most once per snapshot, so a step that sees the same
   * book again, before the venue's next update, does not chase what an
   * earlier child already took. */
  int64_t ts_ns;
} oms_algo_md_t;

typedef enum oms_algo_intent_kind_e {
  OMS_INTENT_NEW = 1,     /* send a child: side, type, tif, qty, price */
  OMS_INTENT_CANCEL = 2,  /* cancel child child_seq */
  OMS_INTENT_REPLACE = 3, /* child child_seq to total qty (and price if not 0) */
} oms_algo_intent_kind_t;

typedef struct oms_algo_intent_s {
  uint8_t kind; /* oms_algo_intent_kind_t */
  uint8_t side; /* oms_side_t */
  uint8_t type; /* oms_ord_type_t: MARKET or LIMIT (or STOP for a bracket's stop-loss) */
  uint8_t tif;  /* oms_tif_t */
  uint32_t child_seq;
  oms_dec_t qty;   /* NEW: the child's quantity; REPLACE: its new total quantity */
  oms_dec_t price; /* LIMIT; 0 for MARKET */
  oms_dec_t stop_price;
} oms_algo_intent_t;

#define OMS_ALGO_MAX_CHILDREN 8
#define OMS_ALGO_MAX_INTENTS (OMS_ALGO_MAX_CHILDREN + 2)

typedef struct oms_algo_out_s {
  uint32_t n;
  oms_algo_intent_t intent[OMS_ALGO_MAX_INTENTS];
  int64_t next_wake_ns; /* call step again by then; INT64_MAX if only events matter */
} oms_algo_out_t;

/* ---- The state of a parent --------------------------------------------------- */

typedef enum oms_algo_status_e {
  OMS_ALGO_WAITING = 1,   /* before its start, or an emulated order not yet triggered */
  OMS_ALGO_WORKING = 2,   /* sending children */
  OMS_ALGO_COMPLETED = 3, /* filled in full */
  OMS_ALGO_CANCELLED = 4, /* cancelled by the client */
  OMS_ALGO_EXPIRED = 5,   /* end time reached with quantity left */
  OMS_ALGO_HALTED = 6     /* stopped by a halt or kill switch */
} oms_algo_status_t;

/* Terminal statuses: no new child is ever sent. */
OMS_EXTERN bool oms_algo_status_is_terminal(oms_algo_status_t s);
OMS_EXTERN const char *oms_algo_status_name(oms_algo_status_t s);

typedef struct oms_algo_child_s {
  uint32_t seq;       /* 0 = free slot */
  uint8_t cancelling; /* a cancel was emitted and not yet answered */
  uint8_t pad_[3];
  oms_dec_t qty;    /* the child's quantity */
  oms_dec_t filled; /* its filled quantity */
  oms_dec_t price;
} oms_algo_child_t;

/* One parent. Plain data (no pointers): copy, journal and restore as-is. */
typedef struct oms_algo_state_s {
  /* Set at init and by a replace; changed by fills, never by a step. */
  uint64_t parent_id; /* the parent order's id (for the journal record) */
  oms_algo_params_t p;
  oms_dec_t tick, lot;
  int64_t created_ns;
  uint32_t n_slices; /* slices in the schedule */
  /* ICEBERG, TRAILING_STOP, MIT, LIT at a venue that works the type itself
   * (the engine sets it after init, from the venue's capabilities): one
   * child for the whole quantity, released at once and sent as the native
   * type; the parent ends with it. */
  uint8_t native;
  uint8_t pad_[3];
  oms_dec_t filled;      /* sum of the children's fills */
  __int128 cum_notional; /* sum of fill qty * px at 10^-16 */
  oms_dec_t pending_qty; /* a replace's quantity waiting for open to fall; 0 = none */
  /* Fills the venue reported after their child was done (a fill after its
   * cancel was confirmed): booked all the same. When such a fill leaves
   * filled + open above the quantity, `over` is set: the next step cancels
   * every open child and sends none until filled + open fits again. */
  oms_dec_t late_qty;
  uint8_t over;
  uint8_t pad3_[7];
  /* Progress: what a step changes (from status to the end, which is all a
   * step saves to restore on a refusal). */
  uint8_t status;        /* oms_algo_status_t */
  uint8_t activated;     /* TRAILING_STOP: activation price reached */
  uint8_t triggered;     /* emulated orders: released */
  uint8_t vol_known;     /* vol_start was read from market data */
  uint32_t next_seq;     /* the next child_seq */
  int64_t next_slice_ns; /* the scheduled time of the next slice */
  uint32_t slice_no;     /* slices done */
  uint32_t pad2_;
  oms_dec_t open;      /* sum of the children's open quantity */
  oms_dec_t vol_start; /* market cum_volume when the parent started working */
  oms_dec_t hwm;       /* TRAILING_STOP: best price seen since activation */
  int64_t took_md_ns;  /* ts_ns of the snapshot liquidity was last taken from */
  uint64_t rng;        /* PRNG state (splitmix64) */
  oms_algo_child_t child[OMS_ALGO_MAX_CHILDREN];
  /* The market over the parent's life (from its first step at or after
   * its start to its end): traded quantity and qty * px at 10^-16, from
   * the md's seen_* sums, whose last values are kept in mark_*. */
  __int128 mkt_notional, mark_notional;
  oms_dec_t mkt_volume, mark_volume;
  uint8_t mkt_known; /* mark_* were read */
  uint8_t pad4_[7];
} oms_algo_state_t;

/* Initialises st for parent parent_id with params p (validated by the
 * caller), instrument tick and lot (> 0), at now_ns. A zero seed becomes
 * parent_id. Returns 0, or OMS_EINVAL if p does not validate. */
OMS_EXTERN int oms_algo_init(oms_algo_state_t *st, uint64_t parent_id, const oms_algo_params_t *p,
                             oms_dec_t tick, oms_dec_t lot, int64_t now_ns);

/* Advances the parent to now_ns with market data md (NULL: none) and fills
 * *out (cleared first) with the intents to carry out and the next wake-up.
 * Returns 0, or OMS_EOVERFILL (nothing emitted, st unchanged) if the state
 * breaks the invariant (a damaged state: the step never makes a child that
 * would). A terminal parent returns 0 with no intent. */
OMS_EXTERN int oms_algo_step(oms_algo_state_t *st, int64_t now_ns, const oms_algo_md_t *md,
                             oms_algo_out_t *out);

/* A fill of qty at px on child child_seq. Returns 0, OMS_ENOTFOUND (no such
 * child ever), OMS_EINVAL (qty or px <= 0), OMS_EOVERFILL (beyond the
 * child's quantity, or, for a child already done, beyond the parent's
 * quantity; not applied). A fill on a child already done (the venue filled
 * it after confirming its cancel) is booked as a late fill (late_qty, and
 * `over` when it leaves filled + open above the quantity). A fill that
 * completes the parent makes it COMPLETED. */
OMS_EXTERN int oms_algo_on_child_fill(oms_algo_state_t *st, uint32_t child_seq, oms_dec_t qty,
                                      oms_dec_t px);

/* Child child_seq is no longer open (cancelled, rejected, expired, filled);
 * its unfilled rest leaves the open quantity. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_algo_on_child_done(oms_algo_state_t *st, uint32_t child_seq);

/* The client cancels the parent: cancel intents for the open children; the
 * status becomes CANCELLED. oms_algo_halt: the same for a halt or kill switch
 * (HALTED). Return 0, or OMS_ESTATE if the parent is already terminal. */
OMS_EXTERN int oms_algo_cancel(oms_algo_state_t *st, oms_algo_out_t *out);
OMS_EXTERN int oms_algo_halt(oms_algo_state_t *st, oms_algo_out_t *out);

/* The client replaces the parent's parameters with np (same strategy and
 * side; validated against tick/lot at now_ns): every open child is cancelled
 * and the schedule re-planned from what is filled. A quantity below filled +
 * open takes effect once the children are done; no new child is sent
 * meanwhile. Returns 0, or OMS_EREJECTED with rej, or OMS_ESTATE. */
OMS_EXTERN int oms_algo_replace(oms_algo_state_t *st, const oms_algo_params_t *np, int64_t now_ns,
                                oms_algo_out_t *out, oms_algo_reject_t *rej);

/* The parent's average fill price (exact sum / filled, half-even); 0 if none. */
OMS_EXTERN oms_dec_t oms_algo_avg_px(const oms_algo_state_t *st);

/* The market's volume-weighted average price over the parent's life
 * (docs/algos.md), half-even to 10^-8; 0 while no trade was seen. */
OMS_EXTERN oms_dec_t oms_algo_interval_vwap(const oms_algo_state_t *st);

/* The parent's slippage against that interval VWAP, in basis points of
 * the VWAP, positive when the parent did worse than the market (a buy
 * above it, a sell below it): side * (avg - vwap) / vwap * 10000, half-even
 * to 10^-8 bps. Returns 0, or OMS_ENOTFOUND (no fill, or no market trade
 * seen) with *bps 0. */
OMS_EXTERN int oms_algo_slippage_bps(const oms_algo_state_t *st, oms_dec_t *bps);

/* The session of a DAY parent closed (the engine knows the trading hours):
 * the same as reaching its end time (EXPIRED, the children cancelled).
 * Returns 0, or OMS_ESTATE if it is already terminal. */
OMS_EXTERN int oms_algo_expire(oms_algo_state_t *st, oms_algo_out_t *out);

/* Terminal and nothing open: the engine may finish the parent order. */
OMS_EXTERN bool oms_algo_is_done(const oms_algo_state_t *st);

/* The invariants (open + filled <= qty, sums of children, free slots). 1 if
 * they hold. */
OMS_EXTERN int oms_algo_check(const oms_algo_state_t *st);

/* ---- Encoding for the journal -------------------------------------------------
 * A parent's state in at most OMS_ALGO_ENC_SIZE bytes: "OA" magic, version
 * (2; version 1 records still decode), then every field little-endian in a
 * fixed order (docs/algos.md). */
#define OMS_ALGO_ENC_VERSION 2
#define OMS_ALGO_ENC_SIZE 1024

/* Writes st into buf[cap]. Returns the bytes written or OMS_ENOSPC. */
OMS_EXTERN int oms_algo_encode(const oms_algo_state_t *st, uint8_t *buf, size_t cap);

/* Reads a state from buf[len]. Returns 0, or OMS_ECORRUPT (bad magic,
 * version, size or a state that breaks its invariants; *st cleared). */
OMS_EXTERN int oms_algo_decode(const uint8_t *buf, size_t len, oms_algo_state_t *st);

/* ---- Contingent groups ----------------------------------------------------------
 *
 * A group links two or three member orders that the engine holds:
 *   OCO      members 0, 1 live; any fill on one cancels the other;
 *   OUO      members 0, 1 live; a fill on one reduces the other by as much,
 *            and a complete fill cancels it;
 *   OTO      member 0 live, member 1 held; member 1's quantity follows
 *            member 0's filled quantity (released, then grown by replace);
 *   BRACKET  entry (0) live, take-profit (1, a limit) and stop-loss (2, a
 *            stop) held; the exits follow the entry's filled quantity less
 *            what the exits filled, and a fill on one exit reduces the other
 *            (OUO); a complete exit cancels the other.
 * Cancelling a live member (the client) cancels the group's other members;
 * a member done unfilled ends the members that depended on it. */

#define OMS_ALGO_GROUP_MAP(XX) \
  XX(OCO, 1)                   \
  XX(OUO, 2)                   \
  XX(OTO, 3)                   \
  XX(BRACKET, 4)

typedef enum oms_algo_group_kind_e {
#define XX(name, num) OMS_GROUP_##name = (num),
  OMS_ALGO_GROUP_MAP(XX)
#undef XX
} oms_algo_group_kind_t;

#define OMS_ALGO_GROUP_MAX 3

typedef enum oms_algo_member_state_e {
  OMS_MEMBER_HELD = 0, /* kept by the OMS, not sent */
  OMS_MEMBER_LIVE = 1, /* sent: the engine sends it on a NEW intent */
  OMS_MEMBER_DONE = 2  /* no longer open */
} oms_algo_member_state_t;

typedef struct oms_algo_member_s {
  uint8_t state;      /* oms_algo_member_state_t */
  uint8_t side;       /* oms_side_t */
  uint8_t type;       /* oms_ord_type_t */
  uint8_t tif;        /* oms_tif_t */
  uint8_t cancelling; /* cancel emitted, not yet answered */
  uint8_t pad_[3];
  oms_dec_t max_qty; /* the template's quantity: the most this leg ever holds */
  oms_dec_t qty;     /* the total quantity of its orders so far (0 while HELD) */
  oms_dec_t filled;  /* its filled quantity */
  oms_dec_t price, stop_price;
} oms_algo_member_t;

typedef struct oms_algo_group_s {
  uint64_t group_id;
  uint8_t kind;  /* oms_algo_group_kind_t */
  uint8_t n;     /* members */
  uint8_t ended; /* a member ended outside the plan (client cancel, reject): no more releases */
  uint8_t pad_[5];
  oms_algo_member_t m[OMS_ALGO_GROUP_MAX];
} oms_algo_group_t;

/* Makes group g of kind from the members' templates (side, type, tif,
 * max_qty, price, stop_price), and fills *out with the NEW intents of the
 * members that go live at once. A group's intents name a member by
 * child_seq = member index + 1; a NEW intent for a member whose earlier
 * order is done is a further order on the same leg (an exit re-released
 * after the entry filled more), so the engine maps each order it sends to
 * (group, member). Returns 0 or
 * OMS_EINVAL (wrong number of members, quantity <= 0, a bracket whose exits
 * are not opposite to the entry or larger than it, OTO child larger than the
 * parent). */
OMS_EXTERN int oms_algo_group_init(oms_algo_group_t *g, uint64_t group_id,
                                   oms_algo_group_kind_t kind, const oms_algo_member_t *members,
                                   uint32_t n, oms_algo_out_t *out);

/* Member i filled qty: *out receives the release, replace and cancel
 * intents. Returns 0, OMS_EINVAL (bad index), OMS_ESTATE (member not live),
 * OMS_EOVERFILL (beyond its quantity). */
OMS_EXTERN int oms_algo_group_on_fill(oms_algo_group_t *g, uint32_t i, oms_dec_t qty,
                                      oms_algo_out_t *out);

/* Member i is no longer open (filled, cancelled, rejected, expired). */
OMS_EXTERN int oms_algo_group_on_done(oms_algo_group_t *g, uint32_t i, oms_algo_out_t *out);

/* The client cancels the whole group. */
OMS_EXTERN int oms_algo_group_cancel(oms_algo_group_t *g, oms_algo_out_t *out);

/* Every member done. */
OMS_EXTERN bool oms_algo_group_is_done(const oms_algo_group_t *g);

/* A group as bytes for the journal: "OG" magic, version 1, then its fields
 * little-endian (docs/algos.md); OMS_ALGO_GROUP_ENC_SIZE bounds it.
 * oms_algo_group_encode returns the bytes written or OMS_ENOSPC;
 * oms_algo_group_decode returns 0 or OMS_ECORRUPT (bad magic, version,
 * length, kind, member state, or a member filled beyond its quantity; *g
 * cleared). */
#define OMS_ALGO_GROUP_ENC_SIZE 256
OMS_EXTERN int oms_algo_group_encode(const oms_algo_group_t *g, uint8_t *buf, size_t cap);
OMS_EXTERN int oms_algo_group_decode(const uint8_t *buf, size_t len, oms_algo_group_t *g);

OMS_END_DECLS

#endif /* OMS_ALGO_H */
