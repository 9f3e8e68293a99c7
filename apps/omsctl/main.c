/*
 * omsctl - drive omsd from a shell through its admin API (docs/omsctl.md).
 *
 *   omsctl [global options] COMMAND [arguments and options]
 *
 * This file is the command line: global options may come before or after
 * the command (each command's own table plus the global one is parsed in
 * one go), where the address and token come from (a flag, then the
 * environment, then the config file, then the default), help, and the
 * dispatch through the command table of cmds.c. Exit codes are the table
 * CTL_EXIT_CODES (omsctl.h), printed by --help.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "oms/oms.h"
#include "omsctl.h"

#define DEFAULT_URL "http://127.0.0.1:9880"

static const ctl_opt_t global_opts[] = {
    {"url", 'u', true, "omsd's admin API (OMSCTL_URL; default " DEFAULT_URL ")", NULL},
    {"token", 'T', true, "bearer token (OMSCTL_TOKEN)", NULL},
    {"config", 0, true, "config file (default ~/.config/omsctl.conf)", "FILE"},
    {"json", 'j', false, "print the API's JSON instead of tables", NULL},
    {"cacert", 0, true, "CA certificate to check an https:// omsd with", "FILE"},
    {"insecure", 'k', false, "do not check the https:// certificate (tests only)", NULL},
    {"verbose", 'v', false, "show the HTTP exchange on stderr (the token hidden)", NULL},
    {"help", 'h', false, "this help", NULL},
    {"version", 0, false, "", NULL},
};
enum { G_URL, G_TOKEN, G_CONFIG, G_JSON, G_CACERT, G_INSECURE, G_VERBOSE, G_HELP, G_VERSION, G_N };

int ctl_usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("omsctl: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return CTL_EXIT_USAGE;
}

static void print_opts(const ctl_opt_t *o, size_t n, FILE *f) {
  for (size_t i = 0; i < n; i++) {
    if (o[i].help[0] == '\0') continue;
    char lhs[80], s[8] = "", meta[40] = "";
    if (o[i].short_name) snprintf(s, sizeof s, "-%c, ", o[i].short_name);
    /* The value's placeholder is the option's name in capitals: --qty QTY. */
    if (o[i].takes_value && o[i].meta) snprintf(meta, sizeof meta, " %s", o[i].meta);
    for (size_t k = 0; o[i].takes_value && !o[i].meta && o[i].name[k] && k + 2 < sizeof meta; k++) {
      char c = o[i].name[k];
      meta[0] = ' ';
      meta[k + 1] = c == '-' ? '_' : (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
      meta[k + 2] = '\0';
    }
    snprintf(lhs, sizeof lhs, "%s--%s%s", s, o[i].name, meta);
    if (strlen(lhs) > 30)
      fprintf(f, "  %s\n  %-30s %s\n", lhs, "", o[i].help);
    else
      fprintf(f, "  %-30s %s\n", lhs, o[i].help);
  }
}

void ctl_print_cmd_help(const ctl_cmd_t *cmd, FILE *f) {
  fprintf(f, "usage: omsctl %s %s\n\n%s.\n", cmd->name, cmd->usage, cmd->summary);
  if (cmd->help[0]) fprintf(f, "\n%s", cmd->help);
  if (cmd->nopts) {
    fprintf(f, "\noptions:\n");
    print_opts(cmd->opts, cmd->nopts, f);
  }
  fprintf(f,
          "\nglobal options (omsctl --help): --url, --token, --config, --json, --cacert, "
          "--insecure\n");
}

static void print_help(FILE *f) {
  fprintf(f,
          "usage: omsctl [global options] COMMAND [arguments]\n\n"
          "Drives omsd through its admin API. `omsctl COMMAND --help` for a command.\n\n"
          "commands:\n");
  for (size_t i = 0; i < ctl_ncmds; i++)
    fprintf(f, "  %-12s %s\n", ctl_cmds[i].name, ctl_cmds[i].summary);
  fprintf(f, "\nglobal options (before or after the command):\n");
  print_opts(global_opts, G_N, f);
  fprintf(f,
          "\nThe address and token come from --url/--token, else OMSCTL_URL/OMSCTL_TOKEN,\n"
          "else the config file (\"url = ...\", \"token = ...\" lines), else " DEFAULT_URL
          "\nand no token.\n\nexit status:\n");
#define XX(name, status, what) fprintf(f, "  %d  %s\n", status, what);
  CTL_EXIT_CODES(XX)
#undef XX
}

static const ctl_cmd_t *find_cmd(const char *name) {
  for (size_t i = 0; i < ctl_ncmds; i++)
    if (strcmp(ctl_cmds[i].name, name) == 0) return &ctl_cmds[i];
  return NULL;
}

static void on_signal(int sig) {
  (void)sig;
  ctl_interrupted = 1;
}

/* The config file's path: --config (which must exist), else
 * $XDG_CONFIG_HOME/omsctl.conf or ~/.config/omsctl.conf (may not). */
static int read_conf(const char *given, ctl_conf_t *conf) {
  char path[4096], err[512];
  if (given) {
    snprintf(path, sizeof path, "%s", given);
  } else {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0])
      snprintf(path, sizeof path, "%s/omsctl.conf", xdg);
    else if (home && home[0])
      snprintf(path, sizeof path, "%s/.config/omsctl.conf", home);
    else
      return 0;
  }
  int rc = ctl_conf_read(path, conf, err, sizeof err);
  if (rc < 0) return ctl_usage_error("%s", err);
  if (rc == 1 && given) return ctl_usage_error("--config %s: no such file", given);
  return 0;
}

static const char *first(const char *a, const char *b, const char *c) {
  return a ? a : b && b[0] ? b : c;
}

int main(int argc, char **argv) {
  char err[256];
  ctl_args_t g;
  /* The global options before the command, then the command. */
  int i = 1;
  while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0) {
    const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
    bool takes = false;
    for (size_t k = 0; k < G_N; k++) {
      size_t n = strlen(global_opts[k].name);
      if ((argv[i][1] == '-' && strncmp(a, global_opts[k].name, n) == 0 && a[n] == '\0') ||
          (argv[i][1] != '-' && a[0] == global_opts[k].short_name && a[1] == '\0'))
        takes = global_opts[k].takes_value;
    }
    i += takes ? 2 : 1;
  }
  if (i > argc) i = argc;
  if (ctl_args_parse(i - 1, argv + 1, global_opts, G_N, &g, err, sizeof err) != 0)
    return ctl_usage_error("%s (omsctl --help)", err);
  if (g.val[G_VERSION]) {
    printf("omsctl %s\n", OMS_VERSION_STRING);
    return 0;
  }
  if (i >= argc || g.val[G_HELP]) {
    print_help(i >= argc && !g.val[G_HELP] ? stderr : stdout);
    return g.val[G_HELP] ? CTL_EXIT_OK : CTL_EXIT_USAGE;
  }
  if (strcmp(argv[i], "help") == 0) {
    const ctl_cmd_t *c = i + 1 < argc ? find_cmd(argv[i + 1]) : NULL;
    if (c)
      ctl_print_cmd_help(c, stdout);
    else if (i + 1 < argc)
      return ctl_usage_error("no command \"%s\" (omsctl --help)", argv[i + 1]);
    else
      print_help(stdout);
    return CTL_EXIT_OK;
  }
  const ctl_cmd_t *cmd = find_cmd(argv[i]);
  if (cmd == NULL) return ctl_usage_error("no command \"%s\" (omsctl --help)", argv[i]);

  /* The command's options and the global ones, after the command. */
  ctl_opt_t spec[CTL_MAX_OPTS];
  size_t nspec = 0;
  for (size_t k = 0; k < cmd->nopts; k++) spec[nspec++] = cmd->opts[k];
  for (size_t k = 0; k < G_N; k++) spec[nspec++] = global_opts[k];
  ctl_args_t a;
  if (ctl_args_parse(argc - i - 1, argv + i + 1, spec, nspec, &a, err, sizeof err) != 0)
    return ctl_usage_error("%s: %s (omsctl %s --help)", cmd->name, err, cmd->name);
  for (size_t k = 0; k < G_N; k++)
    if (a.val[cmd->nopts + k]) g.val[k] = a.val[cmd->nopts + k];
  if (g.val[G_HELP]) {
    ctl_print_cmd_help(cmd, stdout);
    return CTL_EXIT_OK;
  }
  if (a.npos < cmd->min_pos || a.npos > cmd->max_pos) {
    ctl_usage_error("%s: %s arguments (usage: omsctl %s %s)", cmd->name,
                    a.npos < cmd->min_pos ? "missing" : "too many", cmd->name, cmd->usage);
    return CTL_EXIT_USAGE;
  }

  ctl_conf_t conf = {0};
  int rc = read_conf(g.val[G_CONFIG], &conf);
  if (rc != 0) return rc;
  char url[2048];
  snprintf(url, sizeof url, "%s",
           first(g.val[G_URL], getenv("OMSCTL_URL"), conf.url ? conf.url : DEFAULT_URL));
  size_t n = strlen(url);
  while (n > 0 && url[n - 1] == '/') url[--n] = '\0';
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
    ctl_conf_clear(&conf);
    return ctl_usage_error("--url: \"%s\" is not an http:// or https:// address", url);
  }
  ctl_ctx_t x = {
      .conn =
          {
              .url = url,
              .token = first(g.val[G_TOKEN], getenv("OMSCTL_TOKEN"), conf.token),
              .cacert = first(g.val[G_CACERT], NULL, conf.cacert),
              .insecure = g.val[G_INSECURE] != NULL ||
                          (conf.insecure && (strcmp(conf.insecure, "yes") == 0 ||
                                             strcmp(conf.insecure, "true") == 0)),
              .verbose = g.val[G_VERBOSE] != NULL,
          },
      .json = g.val[G_JSON] != NULL,
  };

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  /* Only the stream waits for long: the others keep the default (die). */
  if (cmd->run == NULL) return CTL_EXIT_FAILED;
  if (strcmp(cmd->name, "events") == 0) {
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
  }
  rc = cmd->run(&x, cmd, &a);
  fflush(stdout);
  ctl_conf_clear(&conf);
  return rc;
}
