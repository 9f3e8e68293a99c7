/*
 * tags.c - name lookups over the FIX vocabulary tables of fix_tags.h.
 *
 * Tag to name is a switch generated from OMS_FIX_TAG_MAP, so the compiler
 * builds the jump table or binary search and a duplicated number fails the
 * build (two case labels with one value). Name to tag and the MsgType
 * lookups walk their tables: they serve logs and tests, never the per-message
 * path.
 */
#include <string.h>

#include "oms/fix_tags.h"

const char *oms_fix_tag_name(uint32_t tag) {
  switch (tag) {
#define TAG_NAME(name, num, type) \
  case num: return #name;
    OMS_FIX_TAG_MAP(TAG_NAME)
#undef TAG_NAME
    default: return NULL;
  }
}

const char *oms_fix_tag_type(uint32_t tag) {
  switch (tag) {
#define TAG_TYPE(name, num, type) \
  case num: return #type;
    OMS_FIX_TAG_MAP(TAG_TYPE)
#undef TAG_TYPE
    default: return NULL;
  }
}

static const struct {
  const char *name;
  uint32_t tag;
} by_name[] = {
#define TAG_ROW(name, num, type) {#name, num},
    OMS_FIX_TAG_MAP(TAG_ROW)
#undef TAG_ROW
};

uint32_t oms_fix_tag_by_name(const char *name) {
  if (!name) return 0;
  for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++) {
    if (strcmp(by_name[i].name, name) == 0) return by_name[i].tag;
  }
  return 0;
}

static const struct {
  const char *name;
  const char *type;
  int admin;
} msg_types[] = {
#define ADMIN 1
#define APP 0
#define MSG_ROW(name, type, cat) {#name, type, cat},
    OMS_FIX_MSG_TYPE_MAP(MSG_ROW)
#undef MSG_ROW
#undef APP
#undef ADMIN
};

static int find_msg_type(const char *type, size_t len) {
  if (!type) return -1;
  for (size_t i = 0; i < sizeof(msg_types) / sizeof(msg_types[0]); i++) {
    if (strlen(msg_types[i].type) == len && memcmp(msg_types[i].type, type, len) == 0) {
      return (int)i;
    }
  }
  return -1;
}

const char *oms_fix_msg_type_name(const char *type, size_t len) {
  int i = find_msg_type(type, len);
  return i < 0 ? NULL : msg_types[i].name;
}

int oms_fix_msg_type_is_admin(const char *type, size_t len) {
  int i = find_msg_type(type, len);
  return i >= 0 && msg_types[i].admin;
}
