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

#define T(name) OMS_FIX_TAG_##name
static const group_def_t groups[] = {
    {T(NoPartyIDs),
     {T(PartyID), T(PartyIDSource), T(PartyRole), T(NoPartySubIDs), T(PartySubID),
      T(PartySubIDType)}},
    {T(NoPartySubIDs), {T(PartySubID), T(PartySubIDType)}},
    {T(NoNestedPartyIDs),
     {T(NestedPartyID), T(NestedPartyIDSource), T(NestedPartyRole), T(NoNestedPartySubIDs),
      T(NestedPartySubID), T(NestedPartySubIDType)}},
    {T(NoNestedPartySubIDs), {T(NestedPartySubID), T(NestedPartySubIDType)}},
    {T(NoTradingSessions), {T(TradingSessionID), T(TradingSessionSubID)}},
    {T(NoAllocs),
     {T(AllocAccount), T(AllocAcctIDSource), T(AllocSettlCurrency), T(IndividualAllocID),
      T(NoNestedPartyIDs), T(NestedPartyID), T(NestedPartyIDSource), T(NestedPartyRole),
      T(NoNestedPartySubIDs), T(NestedPartySubID), T(NestedPartySubIDType), T(AllocQty)}},
    {T(NoMsgTypes), {T(RefMsgType), T(MsgDirection)}},
    {T(NoSecurityAltID), {T(SecurityAltID), T(SecurityAltIDSource)}},
    {T(NoStipulations), {T(StipulationType), T(StipulationValue)}},
    {T(NoContraBrokers),
     {T(ContraBroker), T(ContraTrader), T(ContraTradeQty), T(ContraTradeTime), T(ContraLegRefID)}},
    {T(NoMiscFees), {T(MiscFeeAmt), T(MiscFeeCurr), T(MiscFeeType), T(MiscFeeBasis)}},
    {T(NoAffectedOrders), {T(OrigClOrdID), T(AffectedOrderID), T(AffectedSecondaryOrderID)}},
};
#undef T

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
    case OMS_FIX_TAG_OrigClOrdID:
    case OMS_FIX_TAG_AllocAccount:
    case OMS_FIX_TAG_AllocQty:
    case OMS_FIX_TAG_MiscFeeAmt:
    case OMS_FIX_TAG_MiscFeeCurr:
    case OMS_FIX_TAG_MiscFeeType:
    case OMS_FIX_TAG_StipulationType:
    case OMS_FIX_TAG_StipulationValue:
    case OMS_FIX_TAG_TradingSessionID:
    case OMS_FIX_TAG_ContraTrader:
    case OMS_FIX_TAG_RefMsgType:
    case OMS_FIX_TAG_ContraBroker:
    case OMS_FIX_TAG_MsgDirection:
    case OMS_FIX_TAG_ContraTradeQty:
    case OMS_FIX_TAG_ContraTradeTime:
    case OMS_FIX_TAG_PartyIDSource:
    case OMS_FIX_TAG_PartyID:
    case OMS_FIX_TAG_PartyRole:
    case OMS_FIX_TAG_SecurityAltID:
    case OMS_FIX_TAG_SecurityAltIDSource:
    case OMS_FIX_TAG_IndividualAllocID:
    case OMS_FIX_TAG_PartySubID:
    case OMS_FIX_TAG_NestedPartyID:
    case OMS_FIX_TAG_NestedPartyIDSource:
    case OMS_FIX_TAG_AffectedOrderID:
    case OMS_FIX_TAG_AffectedSecondaryOrderID:
    case OMS_FIX_TAG_NestedPartyRole:
    case OMS_FIX_TAG_NoNestedPartyIDs:
    case OMS_FIX_TAG_NestedPartySubID:
    case OMS_FIX_TAG_TradingSessionSubID:
    case OMS_FIX_TAG_ContraLegRefID:
    case OMS_FIX_TAG_AllocAcctIDSource:
    case OMS_FIX_TAG_AllocSettlCurrency:
    case OMS_FIX_TAG_NoPartySubIDs:
    case OMS_FIX_TAG_PartySubIDType:
    case OMS_FIX_TAG_NoNestedPartySubIDs:
    case OMS_FIX_TAG_NestedPartySubIDType:
    case OMS_FIX_TAG_MiscFeeBasis: return 1;
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
