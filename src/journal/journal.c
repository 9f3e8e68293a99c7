/*
 * journal.c - the append-only journal (include/oms/journal.h). A stub that
 * compiles until the implementation lands: every call is refused.
 */
#include "oms/journal.h"

#include <string.h>

#include "oms/error.h"

void oms_journal_config_init(oms_journal_config_t *cfg, const char *dir) {
  memset(cfg, 0, sizeof *cfg);
  cfg->dir = dir;
}
int oms_journal_open(const oms_journal_config_t *cfg, oms_journal_t **out,
                     oms_journal_error_t *err) {
  (void)cfg;
  (void)err;
  *out = NULL;
  return OMS_EUNSUPPORTED;
}
int oms_journal_append(oms_journal_t *j, uint16_t type, const void *data, uint32_t len,
                       uint64_t *lsn) {
  (void)j, (void)type, (void)data, (void)len, (void)lsn;
  return OMS_EUNSUPPORTED;
}
int oms_journal_append_unit(oms_journal_t *j, const oms_journal_rec_t *recs, size_t n,
                            uint64_t *last_lsn) {
  (void)j, (void)recs, (void)n, (void)last_lsn;
  return OMS_EUNSUPPORTED;
}
uint64_t oms_journal_written(const oms_journal_t *j) {
  (void)j;
  return 0;
}
uint64_t oms_journal_durable(const oms_journal_t *j) {
  (void)j;
  return 0;
}
int oms_journal_durable_fd(const oms_journal_t *j) {
  (void)j;
  return -1;
}
int oms_journal_wait(oms_journal_t *j, uint64_t lsn, int64_t timeout_ns) {
  (void)j, (void)lsn, (void)timeout_ns;
  return OMS_EUNSUPPORTED;
}
bool oms_journal_failed(const oms_journal_t *j) {
  (void)j;
  return true;
}
void oms_journal_last_error(const oms_journal_t *j, oms_journal_error_t *err) {
  (void)j;
  memset(err, 0, sizeof *err);
}
int oms_journal_read(oms_journal_t *j, uint64_t from_lsn, bool durable_only, oms_journal_cb cb,
                     void *ctx) {
  (void)j, (void)from_lsn, (void)durable_only, (void)cb, (void)ctx;
  return OMS_EUNSUPPORTED;
}
int oms_journal_release(oms_journal_t *j, uint64_t keep_lsn) {
  (void)j, (void)keep_lsn;
  return OMS_EUNSUPPORTED;
}
int oms_journal_verify(const char *dir, oms_journal_cb cb, void *ctx, oms_journal_error_t *err) {
  (void)dir, (void)cb, (void)ctx, (void)err;
  return OMS_EUNSUPPORTED;
}
void oms_journal_close(oms_journal_t *j) { (void)j; }
uint32_t oms_crc32c(uint32_t crc, const void *data, size_t n) {
  (void)data, (void)n;
  return crc;
}
