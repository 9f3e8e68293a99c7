/*
 * decimal_internal.h - the decimal module's rounding rule, for the modules
 * that compute at more than 8 places (fees, average prices) and must round
 * the result exactly as oms_dec_mul and oms_dec_div do.
 */
#ifndef OMS_DECIMAL_INTERNAL_H
#define OMS_DECIMAL_INTERNAL_H

#include "oms/decimal.h"

/* n / d rounded with mode, for d > 0. */
__int128 oms__dec_round_div(__int128 n, __int128 d, oms_round_t mode);

#endif /* OMS_DECIMAL_INTERNAL_H */
