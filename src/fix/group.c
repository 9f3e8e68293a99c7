/*
 * group.c - repeating groups: the static table of the groups order entry
 * needs, and iteration over their entries.
 *
 * FIX marks the start of every entry with the group's first field (the
 * delimiter) and ends an entry at the first field that is not a member of the
 * group. A nested group's count and fields are members of the outer group,
 * so iterating the outer group skips over them.
 */
#include <stddef.h>

#include "fix/fix_internal.h"
#include "oms/error.h"
#include "oms/fix.h"

#define MAX_MEMBERS 12

typedef struct group_def_s {
  uint32_t count_tag;
  uint32_t members[MAX_MEMBERS]; /* members[0] is the delimiter; 0-terminated */
} group_def_t;

static const group_def_t groups[] = {
    {453, {448, 447, 452, 802, 523, 803}},                            /* NoPartyIDs */
    {802, {523, 803}},                                                /* NoPartySubIDs */
    {539, {524, 525, 538, 804, 545, 805}},                            /* NoNestedPartyIDs */
    {804, {545, 805}},                                                /* NoNestedPartySubIDs */
    {386, {336, 625}},                                                /* NoTradingSessions */
    {78, {79, 661, 736, 467, 539, 524, 525, 538, 804, 545, 805, 80}}, /* NoAllocs */
    {384, {372, 385}},                                                /* NoMsgTypes */
    {454, {455, 456}},                                                /* NoSecurityAltID */
    {232, {233, 234}},                                                /* NoStipulations */
    {382, {375, 337, 437, 438, 655}},                                 /* NoContraBrokers */
    {136, {137, 138, 139, 891}},                                      /* NoMiscFees */
    {534, {41, 535, 536}},                                            /* NoAffectedOrders */
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static int def_has(const group_def_t *g, uint32_t tag) {
  for (size_t i = 0; i < MAX_MEMBERS && g->members[i]; i++) {
    if (g->members[i] == tag) return 1;
  }
  return 0;
}

static const group_def_t *find_def(uint32_t count_tag) {
  for (size_t i = 0; i < NGROUPS; i++) {
    if (groups[i].count_tag == count_tag) return &groups[i];
  }
  return NULL;
}

/* Called for every parsed field, so a switch (a jump table or a binary
 * search) rather than a scan of the table above; it must list every member
 * of the table (test_group.c checks each group's members may repeat). */
int oms__fix_group_member(uint32_t tag) {
  switch (tag) {
    case 41:
    case 79:
    case 80:
    case 137:
    case 138:
    case 139:
    case 233:
    case 234:
    case 336:
    case 337:
    case 372:
    case 375:
    case 385:
    case 437:
    case 438:
    case 447:
    case 448:
    case 452:
    case 455:
    case 456:
    case 467:
    case 523:
    case 524:
    case 525:
    case 535:
    case 536:
    case 538:
    case 539:
    case 545:
    case 625:
    case 655:
    case 661:
    case 736:
    case 802:
    case 803:
    case 804:
    case 805:
    case 891: return 1;
    default: return 0;
  }
}

int oms_fix_group_begin(const oms_fix_msg_t *m, uint32_t count_tag, oms_fix_group_t *g) {
  const group_def_t *def = find_def(count_tag);
  if (!def) return OMS_EUNSUPPORTED;
  g->msg = m;
  g->count_tag = count_tag;
  g->delim_tag = def->members[0];
  g->count = 0;
  g->seen = 0;
  g->pos = m->nfields;
  size_t idx;
  if (oms_fix_msg_find(m, count_tag, 0, &idx) != 0) return 0;
  int64_t n;
  if (oms_fix_str_to_int(oms_fix_msg_value(m, idx), &n) != 0 || n < 0) return OMS_EPROTO;
  if (n > 0 && (idx + 1 >= m->nfields || m->fields[idx + 1].tag != g->delim_tag)) {
    return OMS_EPROTO;
  }
  g->count = n;
  g->pos = idx + 1;
  return 0;
}

int oms_fix_group_next(oms_fix_group_t *g, oms_fix_entry_t *e) {
  const oms_fix_msg_t *m = g->msg;
  int at_delim = g->pos < m->nfields && m->fields[g->pos].tag == g->delim_tag;
  if (g->seen == g->count) return at_delim ? OMS_EPROTO : OMS_ENOTFOUND;
  if (!at_delim) return OMS_EPROTO;
  const group_def_t *def = find_def(g->count_tag);
  size_t p = g->pos + 1;
  while (p < m->nfields && m->fields[p].tag != g->delim_tag && def_has(def, m->fields[p].tag)) {
    p++;
  }
  e->begin = g->pos;
  e->end = p;
  g->pos = p;
  g->seen++;
  return 0;
}

int oms_fix_entry_get(const oms_fix_msg_t *m, const oms_fix_entry_t *e, uint32_t tag,
                      oms_fix_str_t *out) {
  for (size_t i = e->begin; i < e->end && i < m->nfields; i++) {
    if (m->fields[i].tag == tag) {
      *out = oms_fix_msg_value(m, i);
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}
