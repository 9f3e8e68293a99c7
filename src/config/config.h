/*
 * config.h - the daemon's configuration file, parsed into one struct.
 * Private to omsd and its tests (the oms_config library, with libconfig):
 * an embedder of liboms never needs libconfig.
 *
 * The file is in libconfig's format (a well-kept Debian library, not a
 * hand-written parser); docs/config.md documents every setting. Decimals
 * (prices, quantities, money, fees) are STRINGS parsed exactly with
 * oms_dec_parse, never floats. Every setting is checked when the file is
 * loaded, and the first problem is reported as
 *
 *     FILE:LINE: key.path: what is wrong
 *
 * e.g. "etc/omsd.conf:42: instruments[1].tick: \"0.0x\" is not a decimal".
 * Unknown keys are refused too, so a typo never silently falls back to a
 * default. The risk limits are validated by building them with
 * oms_risk_limits_* at load time, so a limit the risk engine would refuse
 * is also reported with its line.
 *
 * Everything is held in fixed-size arrays; the loaded struct owns the risk
 * limits it built until oms_config_take_risk_limits() hands them over.
 */
#ifndef OMS__CONFIG_H
#define OMS__CONFIG_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/risk.h"
#include "oms/route.h"
#include "oms/sim_venue.h"
#include "oms/store.h"

OMS_BEGIN_DECLS

#define OMS_CFG_MAX_SESSIONS 32
#define OMS_CFG_MAX_ACCOUNTS 64
#define OMS_CFG_MAX_STRATEGIES 64
#define OMS_CFG_MAX_INSTRUMENTS 64
#define OMS_CFG_MAX_VENUES 4
#define OMS_CFG_ERR_MAX 512
#define OMS_CFG_PATH_MAX 512
#define OMS_CFG_SECRET_MAX 127

/* The capacities of the daemon's components, the `capacity` group: each
 * row is X(key, default, min, max, what it sizes). Every one is allocated
 * (and most are touched) at start, so together they are the daemon's idle
 * memory; docs/config.md gives the measured cost of each. */
#define OMS_CFG_CAPACITIES(X)                                                             \
  X(orders, 16384, 64, 1u << 24, "engine order slots, live and recently done")            \
  X(open_orders, 16384, 64, 1u << 24, "open orders risk keeps exposure for")              \
  X(positions, 1024, 16, 1u << 24, "account and symbol pairs (risk and portfolio)")       \
  X(outbox, 8192, 64, 1u << 24, "engine effects waiting for the store")                   \
  X(exec_ids, 65536, 64, 1u << 24, "recent venue execution ids kept to drop duplicates")  \
  X(venue_orders, 16384, 64, 1u << 24, "simulated venue order records, per venue")        \
  X(book_orders, 4096, 64, 1u << 24, "resting orders per symbol in the simulated book")   \
  X(venue_reports, 16384, 64, 1u << 24, "simulated venue report ring, per venue")         \
  X(tracked_clordids, 16384, 64, 1u << 24, "gateway: pending and replaced ClOrdIDs")      \
  X(store_queue, 8192, 64, 1u << 24, "store write queue, records (a power of two)")       \
  X(connections, 64, 1, 4096, "FIX connections open at once")                             \
  X(max_msg_bytes, 8192, 512, 1u << 20, "largest FIX message (input buffer: twice this)") \
  X(output_kib, 8192, 16, 1u << 20, "output backlog that ends a session, KiB")            \
  X(rate_ring, 0, 0, 1u << 16, "throttle ring per account/strategy; 0: the largest rate") \
  X(duplicate_slots, 4096, 64, 1u << 24, "recent orders risk remembers for duplicates")

typedef struct oms_cfg_capacity_s {
#define OMS_CFG_CAP_FIELD_(key, def, lo, hi, what) uint32_t key;
  OMS_CFG_CAPACITIES(OMS_CFG_CAP_FIELD_)
#undef OMS_CFG_CAP_FIELD_
} oms_cfg_capacity_t;

/* Who may connect and how long a stranger may stay, the `admission` group:
 * X(key, default, min, max, what it limits), every key optional. The rules
 * are in docs/omsd.md ("Admission"). */
#define OMS_CFG_ADMISSION(X)                                                               \
  X(logon_timeout_ms, 5000, 100, 600000, "a connection not logged on by then is closed")   \
  X(per_address, 16, 1, 4096, "connections open at once from one IPv4 address")            \
  X(failed_logons, 5, 1, 100000, "failed logons per CompID and per address in the window") \
  X(failed_logon_window_s, 60, 1, 86400, "the window of failed_logons, seconds")

typedef struct oms_cfg_admission_s {
#define OMS_CFG_ADM_FIELD_(key, def, lo, hi, what) uint32_t key;
  OMS_CFG_ADMISSION(OMS_CFG_ADM_FIELD_)
#undef OMS_CFG_ADM_FIELD_
} oms_cfg_admission_t;

typedef enum oms_log_level_e {
  OMS_LOG_DEBUG = 0,
  OMS_LOG_INFO = 1,
  OMS_LOG_WARN = 2,
  OMS_LOG_ERROR = 3
} oms_log_level_t;

/* One FIX counterparty: the client logs on with SenderCompID(49) =
 * sender_comp_id and TargetCompID(56) = target_comp_id. */
typedef struct oms_cfg_session_s {
  char sender_comp_id[OMS_ID_MAX + 1];   /* the client's CompID; also the strategy id */
  char target_comp_id[OMS_ID_MAX + 1];   /* ours, e.g. "OMS" */
  char password[OMS_CFG_SECRET_MAX + 1]; /* "" = no password required */
  char account[OMS_ID_MAX + 1];          /* the account its orders trade for */
  int heartbeat_s;                       /* largest HeartBtInt accepted, 1..300 [60] */
  int64_t sending_time_tolerance_s; /* SendingTime(52) off our clock, 0..86400 (0: off) [120] */
  bool cancel_on_disconnect;        /* [true] */
  /* Inbound validation against the FIX 4.4 dictionary (docs/fix.md). */
  bool validate;        /* check every inbound message [true] */
  bool validate_enums;  /* values inside their field's enumeration [true] */
  bool validate_order;  /* header first, trailer last [true] */
  bool allow_user_tags; /* accept unknown tags 5000-9999 [false] */
} oms_cfg_session_t;

typedef struct oms_cfg_account_s {
  char id[OMS_ID_MAX + 1];
  oms_dec_t cash;
} oms_cfg_account_t;

typedef struct oms_cfg_strategy_s {
  char id[OMS_ID_MAX + 1];
  char account[OMS_ID_MAX + 1]; /* "" if not bound */
} oms_cfg_strategy_t;

#define OMS_CFG_FIX_VENUE_TAGS 8

/* A venue reached over FIX (type = "fix"): the connector's settings,
 * docs/venues.md. */
typedef struct oms_cfg_fix_venue_s {
  char host[64]; /* dotted IPv4 */
  int port;
  char sender_comp_id[OMS_ID_MAX + 1]; /* ours */
  char target_comp_id[OMS_ID_MAX + 1]; /* the venue's */
  char username[OMS_CFG_SECRET_MAX + 1];
  char password[OMS_CFG_SECRET_MAX + 1];
  int heartbeat_s;     /* [30] */
  bool reset_on_logon; /* [false] */
  uint8_t days;        /* schedule: bit 0 Sunday; 0 with start == end: always */
  int32_t start_s, end_s;
  int64_t reconnect_min_ns, reconnect_max_ns; /* [1 s, 30 s] */
  char account[OMS_ID_MAX + 1];               /* "" = the order's account */
  char ex_destination[OMS_ID_MAX + 1];
  size_t nsymbols;
  char symbols[OMS_CFG_MAX_INSTRUMENTS][2][OMS_SYMBOL_MAX + 1]; /* [i][0] ours, [i][1] theirs */
  size_t ntags;
  uint32_t tags[OMS_CFG_FIX_VENUE_TAGS];
  char tag_values[OMS_CFG_FIX_VENUE_TAGS][OMS_ID_MAX + 1];
  uint32_t ord_types;  /* 1u << oms_ord_type_t; 0 = all */
  uint32_t tifs;       /* 1u << oms_tif_t; 0 = all */
  uint32_t exec_insts; /* OMS_INST_* */
  bool mass_status;    /* [true] */
  bool market_data;    /* subscribe to its instruments' top of book [false] */
  bool md_incremental; /* md_updates = "incremental": MDUpdateType 1 [full] */
} oms_cfg_fix_venue_t;

typedef struct oms_cfg_venue_s {
  char name[OMS_VENUE_MAX + 1];
  bool is_fix; /* type = "fix": fix holds the settings, the simulator's are unused */
  oms_cfg_fix_venue_t fix;
  int64_t ack_latency_ns;
  int64_t fill_latency_ns;
  oms_dec_t maker_fee_rate;
  oms_dec_t taker_fee_rate;
  uint64_t seed;
  oms_venue_route_config_t route; /* rate_limit, burst, queue */
  bool
      keep_book; /* the simulator's resting orders survive a restart (data_dir/venue-<name>.book) */
  /* Capabilities (OMS_VENUE_CAP_* bits): the types it works itself
   * (`native`), and those the OMS may not emulate for it (the complement of
   * `emulate`). */
  uint32_t native, no_emulate;
  /* A contingent group's stop-loss is held in the OMS and sent when the
   * market trades through it (the venue has no native stops; docs/groups.md). */
  bool hold_stops;
  /* Smart routing (docs/routing.md): the venue takes part, with its fees,
   * latency_ns (sim: its ack latency unless set) and quote age limit
   * (stale_ns; negative: never stale). */
  bool smart;
  int64_t latency_ns;
  int64_t stale_ns;
  /* The liquidity provider per symbol: index as in instruments[]. */
} oms_cfg_venue_t;

typedef struct oms_cfg_instrument_s {
  oms_instrument_t ins;
  oms_sim_lp_t lp; /* from the venue's liquidity list; enabled false if none */
  /* also_on: the other venues that list it (smart routing), each with the
   * liquidity provider of its own list */
  size_t nalso;
  char also_on[OMS_CFG_MAX_VENUES][OMS_VENUE_MAX + 1];
  oms_sim_lp_t also_lp[OMS_CFG_MAX_VENUES];
} oms_cfg_instrument_t;

/* The admin HTTP API (docs/admin-api.md): who may call it. */
#define OMS_CFG_MAX_TOKENS 16
#define OMS_CFG_TOKEN_MAX 127

typedef enum oms_cfg_role_e {
  OMS_CFG_ROLE_READ = 1, /* every view */
  OMS_CFG_ROLE_TRADE,    /* also orders of its accounts */
  OMS_CFG_ROLE_ADMIN     /* everything: trading states, limits, any account */
} oms_cfg_role_t;

typedef struct oms_cfg_admin_token_s {
  char name[OMS_ID_MAX + 1];
  char token[OMS_CFG_TOKEN_MAX + 1];
  int role; /* an oms_cfg_role_t: 1 read, 2 trade, 3 admin */
  char accounts[OMS_CFG_MAX_ACCOUNTS][OMS_ID_MAX + 1]; /* trade: the accounts it may trade */
  size_t naccounts;
} oms_cfg_admin_token_t;

typedef struct oms_cfg_admin_s {
  bool enabled; /* the group is present */
  char address[64];
  int port; /* 0: any free port */
  uint32_t max_connections;
  uint32_t max_connections_per_ip; /* one peer address; default max_connections / 2 */
  uint32_t idle_timeout_s; /* a connection silent this long is closed (streams: keepalives) */
  char tls_cert[OMS_CFG_PATH_MAX], tls_key[OMS_CFG_PATH_MAX]; /* both "" or both set */
  oms_cfg_admin_token_t tokens[OMS_CFG_MAX_TOKENS];
  size_t ntokens;
} oms_cfg_admin_t;

/* store.engine: where the order store keeps its records (docs/store.md). */
typedef enum oms_cfg_store_engine_e {
  OMS_CFG_STORE_JOURNAL = 0, /* the journal, SQLite as its projection */
  OMS_CFG_STORE_SQLITE = 1   /* SQLite alone (the store before issue 13) */
} oms_cfg_store_engine_t;

/* stream: the events published to NATS JetStream (docs/deployment.md); absent: off. */
typedef struct oms_cfg_stream_s {
  bool enabled; /* the group is present */
  char nats_url[256];
  char stream[64];   /* the JetStream stream, one per environment */
  char prefix[64];   /* the subjects' first token */
  char instance[64]; /* this omsd, in every subject and message id */
  uint32_t window;   /* publishes awaiting an ack, a power of two */
  uint32_t ack_timeout_ms;
} oms_cfg_stream_t;

/* cluster: several omsd instances (docs/deployment.md); absent: one omsd
 * owns everything. The ownership group is store.instance; the lease lives
 * in the PostgreSQL of store.pg_conninfo. */
typedef struct oms_cfg_cluster_s {
  bool enabled;    /* the group is present */
  char node[64];   /* this process, in the lease table (--node overrides) */
  uint32_t number; /* the instance's number: the high bits of its order ids */
  uint32_t lease_ms, margin_ms;
  size_t naccounts;                                    /* the accounts this instance owns */
  char accounts[OMS_CFG_MAX_ACCOUNTS][OMS_ID_MAX + 1]; /* (each in accounts) */
  uint32_t fenced_linger_ms; /* a fenced omsd reports it this long, then exits 3 */
} oms_cfg_cluster_t;

/* The bits of an order id below the instance's number (2^40: about 10^12
 * orders per instance; ids stay below 2^53, exact in JSON). */
#define OMS_CFG_ORDER_ID_BITS 40

/* riskmodel: the market risk model (docs/risk.md); absent: none attached. */
#define OMS_CFG_MAX_SCENARIOS 16
#define OMS_CFG_SCENARIO_NAME_MAX 31

typedef struct oms_cfg_scenario_s {
  char name[OMS_CFG_SCENARIO_NAME_MAX + 1];
  double shock[OMS_CFG_MAX_INSTRUMENTS]; /* per instrument, as in instruments[] */
} oms_cfg_scenario_t;

typedef struct oms_cfg_riskmodel_s {
  bool enabled;                        /* the group is present */
  double lambda;                       /* EWMA decay [0.94] */
  double confidence;                   /* one-sided [0.99] */
  double horizon_days;                 /* VaR horizon [1], scaled by sqrt(time) */
  uint32_t sample_interval_ms;         /* returns taken this often [1000] */
  uint32_t save_interval_s;            /* the state saved this often (and at stop) [60] */
  uint32_t event_interval_s;           /* RiskReport events at most this often; 0: none [60] */
  uint32_t var_window;                 /* return vectors for historical VaR [250] */
  double correlation_threshold;        /* correlation groups above it; 0: none [0] */
  oms_dec_t corr_max_exposure;         /* their limit, an amount (0: none) */
  oms_dec_t corr_max_pct;              /* their limit, a fraction of equity (0: none) */
  char history_file[OMS_CFG_PATH_MAX]; /* cold start: one line of prices per sample */
  size_t nscenarios;
  oms_cfg_scenario_t scenarios[OMS_CFG_MAX_SCENARIOS];
} oms_cfg_riskmodel_t;

/* omsd.core_thread.policy: how the OS schedules omsd's core thread (the
 * loop that runs the engine and the FIX sessions); docs/omsd.md. */
#define OMS_CFG_SCHED_POLICIES(X) \
  X(OMS_CFG_SCHED_OTHER, "other") \
  X(OMS_CFG_SCHED_FIFO, "fifo")   \
  X(OMS_CFG_SCHED_RR, "rr")

typedef enum oms_cfg_sched_policy_e {
#define OMS_CFG_SCHED_ENUM(e, name) e,
  OMS_CFG_SCHED_POLICIES(OMS_CFG_SCHED_ENUM)
#undef OMS_CFG_SCHED_ENUM
} oms_cfg_sched_policy_t;

/* The policy's name in the configuration ("other", "fifo", "rr"). */
const char *oms_cfg_sched_policy_name(oms_cfg_sched_policy_t p);

/* omsd.core_thread: off by default (other, no CPU pinned). */
typedef struct oms_cfg_core_thread_s {
  oms_cfg_sched_policy_t policy;
  int priority; /* 1..99 for fifo and rr, 0 for other */
  int cpu;      /* the CPU it is pinned to; -1: any */
  int spin_us;  /* busy-polls this long after the last work before sleeping; 0: never */
} oms_cfg_core_thread_t;

typedef struct oms_config_s {
  char file[OMS_CFG_PATH_MAX]; /* the file it was read from */

  /* fix */
  char fix_address[64]; /* a dotted IPv4 address (checked at load) */
  int fix_port;
  size_t nsessions;
  oms_cfg_session_t sessions[OMS_CFG_MAX_SESSIONS];

  size_t naccounts;
  oms_cfg_account_t accounts[OMS_CFG_MAX_ACCOUNTS];
  size_t nstrategies;
  oms_cfg_strategy_t strategies[OMS_CFG_MAX_STRATEGIES];
  size_t ninstruments;
  oms_cfg_instrument_t instruments[OMS_CFG_MAX_INSTRUMENTS];
  size_t nvenues;
  oms_cfg_venue_t venues[OMS_CFG_MAX_VENUES];

  /* risk: built at load, owned here until taken */
  oms_risk_limits_t *risk_limits;
  int64_t trading_day_start_ns; /* risk.trading_day_start: the daily PnL's day, ns after UTC 00:00
                                   [0] */
  uint32_t max_rate;            /* the largest order or cancel rate of any scope */

  /* capacity: every one set (defaults filled in, rate_ring resolved) */
  oms_cfg_capacity_t cap;

  /* admission: every one set (defaults filled in) */
  oms_cfg_admission_t adm;

  /* store */
  char data_dir[OMS_CFG_PATH_MAX];   /* relative paths are relative to the working dir */
  char store_path[OMS_CFG_PATH_MAX]; /* data_dir + "/" + store.file */
  oms_durability_t durability;
  oms_cfg_store_engine_t store_engine; /* journal (default) or sqlite */
  uint32_t journal_segment_mb;         /* journal segment size, MiB */
  uint32_t journal_retain_hours;       /* 0: keep every journal segment */
  /* store.projection = "postgres": the journal's projection in PostgreSQL
   * (pg_conninfo, a libpq conninfo) instead of SQLite at store_path; every
   * row carries store.instance (docs/store.md). "" = SQLite. */
  char pg_conninfo[512];
  char store_instance[64];
  int64_t stop_wait_ns; /* graceful stop: longest wait for the venues' answers */

  /* logging */
  oms_log_level_t log_level;

  /* admin: the HTTP API (enabled false when the group is absent) */
  oms_cfg_admin_t admin;

  /* stream: the event stream to NATS (enabled false when the group is absent) */
  oms_cfg_stream_t stream;

  /* cluster: account ownership as a lease (enabled false when absent) */
  oms_cfg_cluster_t cluster;

  /* riskmodel: the market risk model (enabled false when the group is absent) */
  oms_cfg_riskmodel_t riskmodel;

  /* omsd: the daemon's own settings */
  oms_cfg_core_thread_t core_thread;
} oms_config_t;

/* Loads and checks the file at path. Returns 0 with *out (free it with
 * oms_config_destroy), or OMS_ECONFIG (also for an unreadable file) with
 * err[0..errcap) holding "FILE:LINE: key: what is wrong", or OMS_EINVAL /
 * OMS_ENOMEM. *out is NULL on failure. */
int oms_config_load(const char *path, oms_config_t **out, char *err, size_t errcap);

/* The same for text in memory; name is used as FILE in messages. */
int oms_config_load_string(const char *text, const char *name, oms_config_t **out, char *err,
                           size_t errcap);

/* Frees c and the limits it still owns. Accepts NULL. */
void oms_config_destroy(oms_config_t *c);

/* Hands the risk limits over to the caller (NULL if already taken). */
oms_risk_limits_t *oms_config_take_risk_limits(oms_config_t *c);

/* The session whose client CompID is sender_comp_id, or NULL. */
const oms_cfg_session_t *oms_config_session(const oms_config_t *c, const char *sender_comp_id);

/* "debug", "info", "warn", "error". */
const char *oms_log_level_name(oms_log_level_t l);

OMS_END_DECLS

#endif /* OMS__CONFIG_H */
