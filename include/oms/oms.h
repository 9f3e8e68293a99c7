/*
 * oms.h - the umbrella header of liboms: the order engine and everything an
 * embedder wires into it. Including it gives every header below; each can
 * also be included on its own.
 *
 * Separate entry points, not included here because an engine does not need
 * them: oms/fix.h (the FIX 4.4 codec), oms/fix_dict.h (validation against the
 * FIX 4.4 data dictionary), oms/fix_session.h (the FIX session
 * layer) and oms/gateway.h (FIX sessions mapped onto an engine). They are
 * part of the same library and installed beside this header.
 *
 * Everything under src/ is private: no header there is installed, and only
 * declarations marked OMS_EXTERN are exported by the shared library.
 */
#ifndef OMS_OMS_H
#define OMS_OMS_H

#define OMS_VERSION_MAJOR 0
#define OMS_VERSION_MINOR 1
#define OMS_VERSION_PATCH 0
#define OMS_VERSION_STRING "0.1.0"

#include "oms/algo.h"
#include "oms/alloc.h"
#include "oms/bus.h"
#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/event.h"
#include "oms/order.h"
#include "oms/portfolio.h"
#include "oms/reason.h"
#include "oms/risk.h"
#include "oms/route.h"
#include "oms/sim_venue.h"
#include "oms/sor.h"
#include "oms/store.h"
#include "oms/venue.h"

#endif /* OMS_OMS_H */
