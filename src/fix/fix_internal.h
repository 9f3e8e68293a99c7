/*
 * fix_internal.h - helpers shared by the files of src/fix, not part of the
 * public API.
 */
#ifndef OMS_FIX_INTERNAL_H
#define OMS_FIX_INTERNAL_H

#include <stdint.h>

/* 1 when tag belongs to one of the repeating groups the codec knows (see
 * group.c), so it may appear more than once in a message. */
int oms__fix_group_member(uint32_t tag);

#endif /* OMS_FIX_INTERNAL_H */
