/*
 * omsd - the OMS daemon: the engine, the simulated venue, risk, the order
 * store and the FIX 4.4 order-entry gateway, on one epoll loop.
 *
 * This file is the command line only: it reads the options, loads the
 * configuration (src/config), applies the overrides, and either checks the
 * configuration (--check-config: every component built as at start, but no
 * store, data directory or socket) or serves (loop.c). omsd.h says where
 * the rest lives; docs/omsd.md describes the daemon.
 *
 * Exit status: 0 after a clean stop or a good check, 1 when the daemon could
 * not start, 2 for a bad command line or configuration, 3 when it was
 * fenced (another node took its instance's lease: docs/deployment.md).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omsd.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: omsd --config PATH [--check-config] [--port N] [--admin-port N]\n"
          "            [--data-dir DIR] [--durability fsync|os] [--log-level LEVEL]\n"
          "            [--node NAME]\n"
          "       omsd --version | --help\n\n"
          "The OMS daemon: FIX 4.4 order entry, the engine, risk, the simulated venue and\n"
          "the order store, as configured in PATH (see docs/config.md).\n"
          "  --check-config      check the configuration as a start would (without opening\n"
          "                      the store or listening), print \"PATH: ok\" or the error\n"
          "  --port N            listen on port N instead of fix.port (0: any free port)\n"
          "  --admin-port N      serve the admin API on port N instead of admin.port\n"
          "                      (0: any free port; the log line \"admin listening\" says which)\n"
          "  --data-dir DIR      use DIR instead of store.data_dir\n"
          "  --durability MODE   override store.durability\n"
          "  --log-level LEVEL   override logging.level (debug, info, warn, error)\n"
          "  --node NAME         override cluster.node (an owner and its standby may share\n"
          "                      one configuration file)\n");
}

typedef struct overrides_s {
  const char *port, *admin_port, *data_dir, *durability, *level, *node;
} overrides_t;

static int parse_port(const char *opt, const char *s, int *out) {
  char *end;
  long p = strtol(s, &end, 10);
  if (s[0] == '\0' || *end != '\0' || p < 0 || p > 65535) {
    fprintf(stderr, "omsd: %s: \"%s\" is not a port number (0..65535)\n", opt, s);
    return -1;
  }
  *out = (int)p;
  return 0;
}

/* Applies the command-line overrides to cfg; returns 0 or prints why not. */
static int apply_overrides(oms_config_t *cfg, const overrides_t *o) {
  if (o->port != NULL && parse_port("--port", o->port, &cfg->fix_port) != 0) return -1;
  if (o->admin_port != NULL && parse_port("--admin-port", o->admin_port, &cfg->admin.port) != 0)
    return -1;
  if (o->data_dir != NULL) {
    const char *file = strrchr(cfg->store_path, '/');
    char path[OMS_CFG_PATH_MAX * 2];
    snprintf(path, sizeof path, "%s%s", o->data_dir, file != NULL ? file : "/oms.db");
    if (strlen(path) >= sizeof cfg->store_path) {
      fprintf(stderr, "omsd: --data-dir: path too long\n");
      return -1;
    }
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", o->data_dir);
    memcpy(cfg->store_path, path, strlen(path) + 1);
  }
  if (o->durability != NULL) {
    if (strcmp(o->durability, "fsync") == 0) {
      cfg->durability = OMS_DURABILITY_FSYNC;
    } else if (strcmp(o->durability, "os") == 0) {
      cfg->durability = OMS_DURABILITY_OS;
    } else {
      fprintf(stderr, "omsd: --durability: \"%s\" is not fsync or os\n", o->durability);
      return -1;
    }
  }
  if (o->node != NULL) {
    if (!cfg->cluster.enabled || !oms_id_valid(o->node, sizeof cfg->cluster.node - 1)) {
      fprintf(stderr, "omsd: --node: needs a cluster group and a name (letters, digits, ._:@/-)\n");
      return -1;
    }
    snprintf(cfg->cluster.node, sizeof cfg->cluster.node, "%s", o->node);
  }
  if (o->level != NULL) {
    for (int i = OMS_LOG_DEBUG; i <= OMS_LOG_ERROR; i++)
      if (strcmp(o->level, oms_log_level_name((oms_log_level_t)i)) == 0) {
        cfg->log_level = (oms_log_level_t)i;
        return 0;
      }
    fprintf(stderr, "omsd: --log-level: \"%s\" is not debug, info, warn or error\n", o->level);
    return -1;
  }
  return 0;
}

/* --check-config: the components are built and freed; nothing is opened. */
static int check(oms_config_t *cfg, const char *path) {
  omsd_t d;
  omsd_init(&d, cfg, path);
  omsd_log_level = OMS_LOG_WARN;
  int rc = omsd_wire(&d, true);
  omsd_unwire(&d);
  if (rc != 0) {
    fprintf(stderr, "omsd: %s: refused at start (see the error above)\n", path);
    return 2;
  }
  printf("%s: ok\n", path);
  return 0;
}

static int serve(oms_config_t *cfg, const char *path) {
  omsd_log_level = cfg->log_level;
  /* Blocked before any thread starts (the store's writer), so that only the
   * loop's signalfd ever sees them. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  int err = pthread_sigmask(SIG_BLOCK, &mask, NULL);
  if (err != 0) {
    omsd_log_sys(OMS_LOG_ERROR, "pthread_sigmask", "object=SIGTERM,SIGINT", err);
    return 1;
  }
  struct sigaction ign = {.sa_handler = SIG_IGN};
  if (sigaction(SIGPIPE, &ign, NULL) != 0) {
    omsd_log_sys(OMS_LOG_ERROR, "sigaction", "object=SIGPIPE", errno);
    return 1;
  }
  LOG_INFO("msg=starting version=%s config=%s data_dir=%s durability=%s", OMS_VERSION_STRING, path,
           cfg->data_dir, cfg->durability == OMS_DURABILITY_FSYNC ? "fsync" : "os");
  omsd_t d;
  omsd_init(&d, cfg, path);
  int status = omsd_serve(&d);
  LOG_INFO("msg=stopped status=%d", status);
  return status;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"check-config", no_argument, NULL, 'k'},
                                       {"port", required_argument, NULL, 'p'},
                                       {"admin-port", required_argument, NULL, 'a'},
                                       {"data-dir", required_argument, NULL, 'd'},
                                       {"durability", required_argument, NULL, 'u'},
                                       {"log-level", required_argument, NULL, 'l'},
                                       {"node", required_argument, NULL, 'n'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *config = NULL;
  overrides_t ov = {0};
  bool check_only = false;
  int o;
  while ((o = getopt_long(argc, argv, "c:kp:a:d:u:l:n:Vh", opts, NULL)) != -1) {
    switch (o) {
      case 'c': config = optarg; break;
      case 'k': check_only = true; break;
      case 'p': ov.port = optarg; break;
      case 'a': ov.admin_port = optarg; break;
      case 'd': ov.data_dir = optarg; break;
      case 'u': ov.durability = optarg; break;
      case 'l': ov.level = optarg; break;
      case 'n': ov.node = optarg; break;
      case 'V': printf("omsd %s\n", OMS_VERSION_STRING); return 0;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (config == NULL || optind != argc) {
    usage(stderr);
    return 2;
  }
  oms_config_t *cfg;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load(config, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "omsd: %s\n", err);
    return 2;
  }
  int status;
  if (apply_overrides(cfg, &ov) != 0)
    status = 2;
  else
    status = check_only ? check(cfg, config) : serve(cfg, config);
  oms_config_destroy(cfg);
  return status;
}
