/* SPDX-License-Identifier: MIT */
/*
 * src/workload/workload.h - the workloads see the machine only through the
 * public API, like any user of the library would.
 */
#ifndef MEMHP_WORKLOAD_INTERNAL_H
#define MEMHP_WORKLOAD_INTERNAL_H

#include <memhp/memhp.h>

#endif
