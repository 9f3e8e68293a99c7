/*
 * oms.h - the umbrella header of liboms: include this one to get the whole
 * public API.
 */
#ifndef OMS_OMS_H
#define OMS_OMS_H

#define OMS_VERSION_MAJOR 0
#define OMS_VERSION_MINOR 1
#define OMS_VERSION_PATCH 0
#define OMS_VERSION_STRING "0.1.0"

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/event.h"
#include "oms/order.h"
#include "oms/portfolio.h"
#include "oms/reason.h"
#include "oms/route.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms/venue.h"

#endif /* OMS_OMS_H */
