/* SPDX-License-Identifier: MIT */
/*
 * memhp/virtio_mem.h - the virtio-mem device (hypervisor side) and its wire
 * format, as the virtio 1.2 "Memory Device" section and QEMU define them.
 *
 * The device owns [addr, addr + region_size) of the machine's physical
 * address space, tracks which device blocks are plugged in a bitmap, and
 * answers the guest's requests from its own thread. Unplugged blocks are
 * discarded on the host (memhp_host_discard()), so the host's RSS falls.
 * The guest driver talks to it only through the config space and the
 * request queue below, never by reaching into the device.
 */
#ifndef MEMHP_VIRTIO_MEM_H
#define MEMHP_VIRTIO_MEM_H

#include <memhp/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The wire format (include/uapi/linux/virtio_mem.h): little-endian ---- */

#define MEMHP_VIRTIO_MEM_F_ACPI_PXM 0
#define MEMHP_VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE 1

#define MEMHP_VIRTIO_MEM_REQ_PLUG 0
#define MEMHP_VIRTIO_MEM_REQ_UNPLUG 1
#define MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL 2
#define MEMHP_VIRTIO_MEM_REQ_STATE 3

#define MEMHP_VIRTIO_MEM_RESP_ACK 0
#define MEMHP_VIRTIO_MEM_RESP_NACK 1
#define MEMHP_VIRTIO_MEM_RESP_BUSY 2
#define MEMHP_VIRTIO_MEM_RESP_ERROR 3

#define MEMHP_VIRTIO_MEM_STATE_PLUGGED 0
#define MEMHP_VIRTIO_MEM_STATE_UNPLUGGED 1
#define MEMHP_VIRTIO_MEM_STATE_MIXED 2

/* 24 bytes */
struct memhp_virtio_mem_req {
	uint16_t type;
	uint16_t padding[3];
	uint64_t addr;		/* PLUG, UNPLUG, STATE */
	uint16_t nb_blocks;
	uint16_t padding2[3];
} __attribute__((packed));

/* 10 bytes */
struct memhp_virtio_mem_resp {
	uint16_t type;
	uint16_t padding[3];
	uint16_t state;		/* STATE, valid only with ACK */
} __attribute__((packed));

/* struct virtio_mem_config: 56 bytes */
struct memhp_virtio_mem_config {
	uint64_t block_size;
	uint16_t node_id;
	uint8_t padding[6];
	uint64_t addr;
	uint64_t region_size;
	uint64_t usable_region_size;
	uint64_t plugged_size;
	uint64_t requested_size;
} __attribute__((packed));

/* ---- The device ----------------------------------------------------------- */

/* Which VMM's behaviour to model (drivers-and-device.md §2: QEMU is the
 * reference; the others differ in documented ways). */
enum memhp_vmem_flavor {
	MEMHP_VMEM_QEMU,
	MEMHP_VMEM_CLOUD_HYPERVISOR,
	MEMHP_VMEM_FIRECRACKER,
};

struct memhp_vmem_dev_config {
	const char *id;			/* QOM id, e.g. "vm0" */
	uint64_t addr;			/* where the region starts */
	uint64_t region_size;		/* "size": the memory backend's size */
	uint64_t block_size;		/* 0: the flavor's default (2 MiB) */
	uint64_t requested_size;
	uint16_t node_id;
	bool unplugged_inaccessible;	/* offer VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE */
	enum memhp_vmem_flavor flavor;
};

struct memhp_vmem_dev;

/*
 * Create the device and start its thread. Returns 0, -EINVAL (block size
 * not a power of two or below the minimum, region or address not aligned
 * to it, requested size not a multiple of it or above the region, region
 * outside the machine), -ENOMEM.
 */
MEMHP_API int memhp_vmem_dev_create(struct memhp_machine *m, const struct memhp_vmem_dev_config *cfg,
				    struct memhp_vmem_dev **out);
MEMHP_API void memhp_vmem_dev_destroy(struct memhp_vmem_dev *dev);

/* ---- The guest's view: config space, the request queue, notifications ---- */

MEMHP_API void memhp_vmem_dev_read_config(struct memhp_vmem_dev *dev,
					  struct memhp_virtio_mem_config *cfg);
MEMHP_API uint64_t memhp_vmem_dev_features(struct memhp_vmem_dev *dev);
/*
 * Put one request on the "guest-request" queue and wait for the device to
 * answer it, as the Linux driver does (one request in flight). The buffers
 * are raw little-endian bytes; a malformed request (wrong size, unknown
 * type) breaks the device (virtio_error), after which every request fails
 * with -EIO. Returns 0 when @resp holds an answer.
 */
MEMHP_API int memhp_vmem_dev_request(struct memhp_vmem_dev *dev, const void *req, size_t req_len,
				     void *resp, size_t resp_len);
/* Called from the device's thread when the config changes (a config-change
 * interrupt); the guest driver reacts from its own context. */
typedef void (*memhp_vmem_config_changed_fn)(struct memhp_vmem_dev *dev, void *priv);
MEMHP_API void memhp_vmem_dev_set_config_changed(struct memhp_vmem_dev *dev,
						 memhp_vmem_config_changed_fn fn, void *priv);
/* Virtio device reset: block states and plugged memory stay as they are. */
MEMHP_API void memhp_vmem_dev_reset(struct memhp_vmem_dev *dev);

/* ---- The host's view (QMP qom-set / qom-get) -------------------------------- */

/* Returns 0, -EINVAL (not a multiple of the block size, above the region). */
MEMHP_API int memhp_vmem_dev_set_requested_size(struct memhp_vmem_dev *dev, uint64_t size);
MEMHP_API const struct memhp_vmem_dev_config *memhp_vmem_dev_get_config(struct memhp_vmem_dev *dev);
/* System reset: everything is unplugged and discarded. */
MEMHP_API void memhp_vmem_dev_system_reset(struct memhp_vmem_dev *dev);
MEMHP_API bool memhp_vmem_dev_block_plugged(struct memhp_vmem_dev *dev, uint64_t block_index);
MEMHP_API uint64_t memhp_vmem_dev_nr_blocks(struct memhp_vmem_dev *dev);

/* ---- Fault injection ------------------------------------------------------- */

enum memhp_vmem_fault {
	MEMHP_VMEM_FAULT_BUSY,		/* answer BUSY */
	MEMHP_VMEM_FAULT_ERROR,		/* answer ERROR */
	MEMHP_VMEM_FAULT_NACK,		/* answer NACK */
	MEMHP_VMEM_FAULT_STALL,		/* hold the answer until released */
	MEMHP_VMEM_NR_FAULTS
};
/* Force the next @times answers to PLUG/UNPLUG/UNPLUG_ALL (-1: all). */
MEMHP_API void memhp_vmem_dev_inject(struct memhp_vmem_dev *dev, enum memhp_vmem_fault fault,
				     long times);
/* Let a stalled request be answered. */
MEMHP_API void memhp_vmem_dev_release_stall(struct memhp_vmem_dev *dev);

/* Counters, for tests, traces and pictures. */
struct memhp_vmem_dev_stats {
	unsigned long requests[4];	/* by request type */
	unsigned long responses[4];	/* by response type */
	unsigned long config_changes;
};
MEMHP_API void memhp_vmem_dev_stats(struct memhp_vmem_dev *dev, struct memhp_vmem_dev_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_VIRTIO_MEM_H */
