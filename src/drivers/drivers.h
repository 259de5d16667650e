/* SPDX-License-Identifier: MIT */
/*
 * src/drivers/drivers.h - what the drivers share. Drivers see the machine
 * only through the public API, as an out-of-tree kernel module would.
 */
#ifndef MEMHP_DRIVERS_H
#define MEMHP_DRIVERS_H

#include <memhp/memhp.h>
#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>

#define ARRAY_SIZE_(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
