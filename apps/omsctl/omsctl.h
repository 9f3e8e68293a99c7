/*
 * omsctl.h - the parts of omsctl, the command-line tool over omsd's admin
 * API (docs/omsctl.md, docs/admin-api.md), and what they share.
 *
 *   main.c    global options, where the address and token come from, the
 *             command table (the one source of every --help), dispatch
 *   cmds.c    one handler per subcommand: builds the request, renders the
 *             answer as tables (or prints the API's JSON with --json)
 *   http.c    libcurl: one request/answer, the event stream (SSE) with
 *             Last-Event-ID resumption, and the error -> exit code mapping
 *   args.c    pure: option parsing, local checks of values, the config file
 *   table.c   pure: aligned text tables sized to their content
 *   sse.c     pure: the event stream's parser (sse.h; fuzz/fuzz_omsctl_sse.c)
 *
 * args.c and table.c use nothing but libc, jansson and liboms's decimal and
 * order enums, so tests/unit/omsctl tests them alone.
 */
#ifndef OMSCTL_H
#define OMSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "sse.h"

/* ---- exit codes: XX(NAME, status, meaning). Stable: scripts test them. --- */
#define CTL_EXIT_CODES(XX)                                                               \
  XX(OK, 0, "success")                                                                   \
  XX(FAILED, 1, "omsctl itself failed (out of memory, an answer that is not the API's)") \
  XX(USAGE, 2, "bad command line: unknown command or option, a value that is not one")   \
  XX(UNREACHABLE, 3, "cannot reach omsd (refused, timed out, TLS or name failure)")      \
  XX(AUTH, 4, "the token is missing or wrong (401) or not allowed to do this (403)")     \
  XX(REFUSED, 5, "omsd refused the request (4xx: rejected order, conflict, bad field)")  \
  XX(SERVER, 6, "omsd failed or is not ready (5xx)")                                     \
  XX(NOT_FOUND, 7, "no such order or resource (404)")

enum {
#define XX(name, status, what) CTL_EXIT_##name = status,
  CTL_EXIT_CODES(XX)
#undef XX
};

/* ---- args.c: options ------------------------------------------------------ */

/* One option a command accepts: "--name VALUE" (or "--name=VALUE") when
 * takes_value, a flag otherwise. short_name 0 when it has none. */
typedef struct ctl_opt_s {
  const char *name;
  char short_name;
  bool takes_value;
  const char *help; /* "" to keep it out of --help */
  const char *meta; /* the value's placeholder in --help; NULL: the name in capitals */
} ctl_opt_t;

#define CTL_MAX_OPTS 24
#define CTL_MAX_POS 16

/* The parsed command line of one command: the value of each option (NULL
 * when absent; "" for a flag that is present) by its index in the spec,
 * and the positional arguments in order. Points into argv. */
typedef struct ctl_args_s {
  const char *val[CTL_MAX_OPTS];
  const char *pos[CTL_MAX_POS];
  size_t npos;
} ctl_args_t;

/* Parses argv[0..argc) against spec[0..nspec). A "--" ends the options.
 * Returns 0, or -1 with a one-line reason in err (an unknown option, a
 * missing value, a value given to a flag, too many arguments). */
int ctl_args_parse(int argc, char **argv, const ctl_opt_t *spec, size_t nspec, ctl_args_t *out,
                   char *err, size_t errlen);

/* Local checks, each 0 or -1 with the reason in err. A decimal as
 * oms_dec_parse takes it; a side/type/tif/scope/state name in any case,
 * written back in the API's spelling into out (cap bytes). */
int ctl_check_decimal(const char *what, const char *s, char *err, size_t errlen);
int ctl_check_uint(const char *what, const char *s, char *err, size_t errlen);
int ctl_norm_side(const char *s, char *out, size_t cap, char *err, size_t errlen);
int ctl_norm_type(const char *s, char *out, size_t cap, char *err, size_t errlen);
int ctl_norm_tif(const char *s, char *out, size_t cap, char *err, size_t errlen);
int ctl_norm_scope(const char *s, char *out, size_t cap, char *err, size_t errlen);

/* A limit key=value for PUT /v1/risk/limits: the key must be one of the
 * configuration's limit keys (OMS_RISK_LIMIT_FIELDS) and the value a
 * decimal (or a whole number for the counts and milliseconds). Sets the
 * key in obj with the value as a JSON string. */
int ctl_limit_pair(const char *pair, json_t *obj, char *err, size_t errlen);

/* The config file: "url = ...", "token = ...", "cacert = ...", "insecure =
 * yes|no" lines, '#' comments, blank lines. Values found are strdup'd into
 * the matching out-fields when those are still NULL (so earlier sources
 * win). Returns 0, 1 when the file does not exist, -1 with "FILE:LINE: what"
 * in err. */
typedef struct ctl_conf_s {
  char *url, *token, *cacert, *insecure;
} ctl_conf_t;
int ctl_conf_read(const char *path, ctl_conf_t *conf, char *err, size_t errlen);
void ctl_conf_clear(ctl_conf_t *conf);

/* ---- table.c ----------------------------------------------------------------- */

/* A text table: a header row and rows of cells (copied), printed with each
 * column as wide as its widest cell, two spaces apart, no trailing blanks.
 * A column whose every non-empty cell is a number (an integer or a decimal,
 * signed) is right-aligned. */
typedef struct ctl_table_s ctl_table_t;

/* ncols <= CTL_TABLE_MAX_COLS; headers[ncols] (copied). NULL on no memory. */
#define CTL_TABLE_MAX_COLS 32
ctl_table_t *ctl_table_create(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells (NULL prints as ""). 0 or -1 on no memory. */
int ctl_table_add(ctl_table_t *t, const char *const *cells);
size_t ctl_table_rows(const ctl_table_t *t);
void ctl_table_print(const ctl_table_t *t, FILE *f);
void ctl_table_destroy(ctl_table_t *t);

/* True when s is a number as the table right-aligns it. */
bool ctl_is_number(const char *s);

/* A JSON value as a table cell, into buf: strings as they are (decimals are
 * strings in the API: printed as given), integers, true/false as yes/no,
 * null and absent as "". A key ending in "_ns" holding a positive integer
 * is a time: printed as UTC "YYYY-MM-DD HH:MM:SS.mmm". Returns buf. */
const char *ctl_cell(const json_t *obj, const char *key, char *buf, size_t cap);
/* Nanoseconds since the epoch as UTC "YYYY-MM-DD HH:MM:SS.mmm". */
const char *ctl_time_str(long long ns, char *buf, size_t cap);

/* ---- http.c -------------------------------------------------------------- */

typedef struct ctl_conn_s {
  const char *url; /* base, no trailing slash */
  const char *token;
  const char *cacert;
  bool insecure;
  bool verbose;
} ctl_conn_t;

/* One answer: the HTTP status and the body (NUL-terminated, malloc'd). */
typedef struct ctl_resp_s {
  long status;
  char *body;
  size_t len;
  json_t *json; /* the body parsed, when it is JSON */
} ctl_resp_t;

/* Sends METHOD base+path with body (JSON text or NULL). On a transport
 * failure prints the "cannot reach omsd" message and returns
 * CTL_EXIT_UNREACHABLE; otherwise 0 with *resp filled (any status). */
int ctl_http(const ctl_conn_t *c, const char *method, const char *path, const char *body,
             ctl_resp_t *resp);
void ctl_resp_clear(ctl_resp_t *r);

/* The exit code for an answer's status; for an error prints the message
 * (code, reason, check, message) on stderr. 2xx: CTL_EXIT_OK, silent. */
int ctl_resp_check(const ctl_conn_t *c, const ctl_resp_t *r);

/* The event stream: calls on_event(id, event-name, data, ctx) for each
 * event, reconnecting after a dropped connection with Last-Event-ID = the
 * last id seen (or after = *after at first when not NULL). Returns when
 * the user interrupts (SIGINT/SIGTERM: CTL_EXIT_OK) or on an error that
 * a retry would not cure (401/403/404, omsd unreachable at the first
 * attempt). */
int ctl_stream(const ctl_conn_t *c, const char *after, ctl_event_fn on_event, void *ctx);

/* Set from the signal handler: the user asked to stop. */
extern volatile int ctl_interrupted;

/* ---- cmds.c / main.c -------------------------------------------------------- */

typedef struct ctl_ctx_s {
  ctl_conn_t conn;
  bool json; /* print the API's JSON instead of tables */
} ctl_ctx_t;

typedef struct ctl_cmd_s ctl_cmd_t;
typedef int (*ctl_handler_fn)(ctl_ctx_t *x, const ctl_cmd_t *cmd, const ctl_args_t *a);

/* One subcommand: the single source of its --help and of omsctl --help. */
struct ctl_cmd_s {
  const char *name;
  ctl_handler_fn run;
  const char *usage;   /* the arguments after the name */
  const char *summary; /* one line for omsctl --help */
  const char *help;    /* more lines for omsctl NAME --help ("" for none) */
  const ctl_opt_t *opts;
  size_t nopts;
  size_t min_pos, max_pos;
};

extern const ctl_cmd_t ctl_cmds[];
extern const size_t ctl_ncmds;

/* Prints "omsctl: " + the message on stderr and returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ctl_print_cmd_help(const ctl_cmd_t *cmd, FILE *f);

#endif
