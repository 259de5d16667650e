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
/* Every virtio-mem device is a modern (virtio 1.x) device. */
#define MEMHP_VIRTIO_F_VERSION_1 32

#define MEMHP_VIRTIO_MEM_REQ_PLUG 0
#define MEMHP_VIRTIO_MEM_REQ_UNPLUG 1
#define MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL 2
#define MEMHP_VIRTIO_MEM_REQ_STATE 3
#define MEMHP_VIRTIO_MEM_NR_REQ_TYPES 4

#define MEMHP_VIRTIO_MEM_RESP_ACK 0
#define MEMHP_VIRTIO_MEM_RESP_NACK 1
#define MEMHP_VIRTIO_MEM_RESP_BUSY 2
#define MEMHP_VIRTIO_MEM_RESP_ERROR 3
#define MEMHP_VIRTIO_MEM_NR_RESP_TYPES 4

#define MEMHP_VIRTIO_MEM_STATE_PLUGGED 0
#define MEMHP_VIRTIO_MEM_STATE_UNPLUGGED 1
#define MEMHP_VIRTIO_MEM_STATE_MIXED 2

/* Sizes on the wire; the structures below have exactly these sizes. */
#define MEMHP_VIRTIO_MEM_REQ_SIZE 24
#define MEMHP_VIRTIO_MEM_RESP_SIZE 10
#define MEMHP_VIRTIO_MEM_CONFIG_SIZE 56

/* 24 bytes */
struct memhp_virtio_mem_req {
	uint16_t type;
	uint16_t padding[3];
	uint64_t addr; /* PLUG, UNPLUG, STATE */
	uint16_t nb_blocks;
	uint16_t padding2[3];
} __attribute__((packed));

/* 10 bytes */
struct memhp_virtio_mem_resp {
	uint16_t type;
	uint16_t padding[3];
	uint16_t state; /* STATE, valid only with ACK */
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

/* QEMU (hw/virtio/virtio-mem.c): the smallest block size it accepts
 * (VIRTIO_MEM_MIN_BLOCK_SIZE), its default on an x86-64 host with 4 KiB
 * pages (the THP size), and how far the usable region reaches beyond the
 * requested size on x86 (VIRTIO_MEM_USABLE_EXTENT, two 128 MiB sections). */
#define MEMHP_VIRTIO_MEM_MIN_BLOCK_SIZE (1ULL << 20)
#define MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE (2ULL << 20)
#define MEMHP_VIRTIO_MEM_USABLE_EXTENT (256ULL << 20)
/* Cloud Hypervisor (virtio-devices/src/mem.rs): the only block size it uses
 * and the multiple every region size must be (VIRTIO_MEM_ALIGN_SIZE). */
#define MEMHP_VIRTIO_MEM_CH_BLOCK_SIZE (2ULL << 20)
#define MEMHP_VIRTIO_MEM_CH_REGION_ALIGN (128ULL << 20)
/* Firecracker (src/vmm/src/devices/virtio/mem/, vmm_config/memory_hotplug.rs):
 * the smallest and default block size, and the KVM slot size (its default
 * slot_size_mib, which memhp does not make configurable). */
#define MEMHP_VIRTIO_MEM_FC_MIN_BLOCK_SIZE (2ULL << 20)
#define MEMHP_VIRTIO_MEM_FC_SLOT_SIZE (128ULL << 20)

/* Which VMM's behaviour to model (drivers-and-device.md §2: QEMU is the
 * reference; the others differ in documented ways). */
enum memhp_vmem_flavor {
	MEMHP_VMEM_QEMU,
	MEMHP_VMEM_CLOUD_HYPERVISOR,
	MEMHP_VMEM_FIRECRACKER,
};

/* "qemu", "cloud-hypervisor", "firecracker", or NULL for an unknown value. */
MEMHP_API const char *memhp_vmem_flavor_name(enum memhp_vmem_flavor flavor);

struct memhp_vmem_dev_config {
	const char *id;	      /* QOM id, e.g. "vm0" (copied) */
	uint64_t addr;	      /* where the region starts */
	uint64_t region_size; /* "size": the memory backend's size */
	uint64_t block_size;  /* 0: the flavor's default (2 MiB) */
	uint64_t requested_size;
	uint16_t node_id;
	bool unplugged_inaccessible; /* offer VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE */
	enum memhp_vmem_flavor flavor;
};

struct memhp_vmem_dev;

/*
 * Create the device and start its thread. Returns 0, -EINVAL (block size
 * not a power of two or below the minimum, region or address not aligned
 * to it, requested size not a multiple of it or above the region, region
 * outside the machine, node_id not a node of the machine, a setting the
 * flavor does not allow), -EBUSY (the region overlaps present memory or
 * another virtio-mem device of the machine), -ENOMEM.
 *
 * Like QEMU's realize, creation discards the whole region on the host.
 * Without unplugged_inaccessible the region is made readable (unplugged
 * blocks read as zeroes, as QEMU maps the whole memory backend); with it,
 * unplugged blocks are inaccessible. The Firecracker flavor always offers
 * UNPLUGGED_INACCESSIBLE and Cloud Hypervisor never does: for them the flag
 * is overridden (memhp_vmem_dev_get_config() shows the effective value).
 */
MEMHP_API int memhp_vmem_dev_create(struct memhp_machine *m,
				    const struct memhp_vmem_dev_config *cfg,
				    struct memhp_vmem_dev **out);
/*
 * Stop the thread and free the device. Requests still waiting get -ENODEV.
 * Unplugged blocks are made inaccessible; plugged memory is left to the
 * machine. Must not be called from the config-change callback.
 */
MEMHP_API void memhp_vmem_dev_destroy(struct memhp_vmem_dev *dev);
/*
 * The devices of @m, as a tool that draws or lists them needs: up to @max
 * into @devs, the last created first. Returns how many @m has (which may
 * exceed @max). The caller must know that none is destroyed while it uses
 * them (the devices' owner destroys them).
 */
MEMHP_API unsigned int memhp_vmem_devices(struct memhp_machine *m, struct memhp_vmem_dev **devs,
					  unsigned int max);

/* ---- The guest's view: config space, the request queue, notifications ---- */

MEMHP_API void memhp_vmem_dev_read_config(struct memhp_vmem_dev *dev,
					  struct memhp_virtio_mem_config *cfg);
/* The feature bits the device offers (virtio's device_features). */
MEMHP_API uint64_t memhp_vmem_dev_features(struct memhp_vmem_dev *dev);
/*
 * The driver accepts @features (FEATURES_OK). A driver that never calls it
 * is treated as having accepted everything offered. Returns 0, -EINVAL
 * (a bit that was not offered), -EFAULT (QEMU: UNPLUGGED_INACCESSIBLE was
 * offered but not accepted, so the device refuses the features). The
 * Firecracker flavor accepts the features but then fails to activate
 * without UNPLUGGED_INACCESSIBLE: the device needs a reset (it is broken).
 */
MEMHP_API int memhp_vmem_dev_ack_features(struct memhp_vmem_dev *dev, uint64_t features);
/*
 * Put one request on the "guest-request" queue and wait for the device to
 * answer it, as the Linux driver does (one request in flight). The buffers
 * are raw little-endian bytes; a malformed request (wrong size, unknown
 * type) breaks the device (virtio_error), after which every request fails
 * with -EIO. Returns 0 when @resp holds an answer.
 *
 * QEMU treats a request shorter than 24 bytes or a response buffer shorter
 * than 10 bytes as malformed; longer ones are fine (only 24 bytes are read,
 * 10 written). Cloud Hypervisor wants exactly 24 request bytes. Firecracker
 * drops a malformed request without answering and keeps working: memhp
 * returns -EIO for that request only.
 *
 * Errors: -EINVAL (NULL device, or a NULL buffer with a non-zero length),
 * -EIO (no answer: the device is broken, or a reset dropped the request),
 * -ENODEV (the device is being destroyed), -EDEADLK (called from the
 * device's own thread, i.e. from the config-change callback).
 */
MEMHP_API int memhp_vmem_dev_request(struct memhp_vmem_dev *dev, const void *req, size_t req_len,
				     void *resp, size_t resp_len);
/* Whether a protocol violation broke the device (VIRTIO_CONFIG_S_NEEDS_RESET). */
MEMHP_API bool memhp_vmem_dev_broken(struct memhp_vmem_dev *dev);
/* Called from the device's thread when the config changes (a config-change
 * interrupt); the guest driver reacts from its own context. */
typedef void (*memhp_vmem_config_changed_fn)(struct memhp_vmem_dev *dev, void *priv);
/* Once it returns, the previous callback is not running and will not run
 * again (unless it is called from that callback). */
MEMHP_API void memhp_vmem_dev_set_config_changed(struct memhp_vmem_dev *dev,
						 memhp_vmem_config_changed_fn fn, void *priv);
/* Virtio device reset: block states and plugged memory stay as they are.
 * A broken device works again; requests queued or stalled are dropped
 * (their callers get -EIO); accepted features are forgotten. */
MEMHP_API void memhp_vmem_dev_reset(struct memhp_vmem_dev *dev);
/*
 * Wait until the device has answered every request queued so far and
 * delivered every pending config-change notification. A stalled request
 * keeps it waiting until released. Returns 0 or -EDEADLK (called from the
 * device's thread).
 */
MEMHP_API int memhp_vmem_dev_flush(struct memhp_vmem_dev *dev);

/* ---- The host's view (QMP qom-set / qom-get) -------------------------------- */

/*
 * Returns 0, -EINVAL (not a multiple of the block size, above the region;
 * Cloud Hypervisor also refuses the size it already has). A config-change
 * notification follows, even for an unchanged size, unless the device is
 * broken (QEMU suppresses interrupts then). The Firecracker flavor returns
 * -EIO while the device is not activated.
 */
MEMHP_API int memhp_vmem_dev_set_requested_size(struct memhp_vmem_dev *dev, uint64_t size);
/* The configuration as created, defaults filled in and flags as the flavor
 * forces them. requested_size is the value at creation: the live one is in
 * memhp_vmem_dev_read_config(). */
MEMHP_API const struct memhp_vmem_dev_config *memhp_vmem_dev_get_config(struct memhp_vmem_dev *dev);
/* System reset: everything is unplugged and discarded, the usable region
 * shrinks, and the virtio part is reset. If the host cannot discard
 * (MEMHP_VMEM_FAULT_DISCARD), blocks stay plugged, as in QEMU, and the guest
 * has to send UNPLUG_ALL. */
MEMHP_API void memhp_vmem_dev_system_reset(struct memhp_vmem_dev *dev);
MEMHP_API bool memhp_vmem_dev_block_plugged(struct memhp_vmem_dev *dev, uint64_t block_index);
MEMHP_API uint64_t memhp_vmem_dev_nr_blocks(struct memhp_vmem_dev *dev);

/* ---- Plugged-size listeners (QEMU's size-change notifiers) ------------------- */

/*
 * Called after a request or a reset changed the plugged size, with the new
 * size, from the thread that changed it: the device's thread for the
 * guest's PLUG, UNPLUG and UNPLUG_ALL, the caller's for
 * memhp_vmem_dev_system_reset(). The device's lock is not held, so the
 * listener may read the config space; it runs before the guest's request
 * is answered, as QEMU notifies before it pushes the response. A request
 * that changes nothing (an error, a NACK, UNPLUG_ALL with nothing plugged)
 * notifies nobody.
 *
 * Unlike the config-change callback, which belongs to the guest driver,
 * any number of host-side observers (a QMP monitor's
 * MEMORY_DEVICE_SIZE_CHANGE event, a trace) can listen at once.
 */
typedef void (*memhp_vmem_size_changed_fn)(struct memhp_vmem_dev *dev, uint64_t plugged_size,
					   void *priv);
/* Owned by the caller, like QEMU's Notifier; @next is the device's. */
struct memhp_vmem_size_listener {
	memhp_vmem_size_changed_fn fn;
	void *priv;
	struct memhp_vmem_size_listener *next;
};
/* Returns 0 or -EINVAL (NULL device, listener or function). */
MEMHP_API int memhp_vmem_dev_add_size_listener(struct memhp_vmem_dev *dev,
					       struct memhp_vmem_size_listener *l);
/* Once it returns, @l is not running and will not run again. Must not be
 * called from a size listener. Removing a listener that is not added does
 * nothing. */
MEMHP_API void memhp_vmem_dev_remove_size_listener(struct memhp_vmem_dev *dev,
						   struct memhp_vmem_size_listener *l);

/* ---- Fault injection ------------------------------------------------------- */

enum memhp_vmem_fault {
	MEMHP_VMEM_FAULT_BUSY,	/* answer BUSY */
	MEMHP_VMEM_FAULT_ERROR, /* answer ERROR */
	MEMHP_VMEM_FAULT_NACK,	/* answer NACK */
	MEMHP_VMEM_FAULT_STALL, /* hold the answer until released */
	/* The host fails to discard: the flavor decides the answer (QEMU
	 * BUSY, Cloud Hypervisor ERROR, Firecracker ACK). */
	MEMHP_VMEM_FAULT_DISCARD,
	MEMHP_VMEM_NR_FAULTS
};
/*
 * Force the next @times answers to PLUG/UNPLUG/UNPLUG_ALL (-1: all; 0
 * clears). STATE requests are never affected. A stalled request is held
 * first, then any forced answer applies (BUSY before ERROR before NACK);
 * a forced answer changes no state. FAULT_DISCARD counts host discards
 * (UNPLUG, UNPLUG_ALL, system reset), not requests.
 */
MEMHP_API void memhp_vmem_dev_inject(struct memhp_vmem_dev *dev, enum memhp_vmem_fault fault,
				     long times);
/* Let a stalled request be answered (no effect when none is stalled). */
MEMHP_API void memhp_vmem_dev_release_stall(struct memhp_vmem_dev *dev);
/* Wait until a request is stalled. Returns 0, -EDEADLK (from the device's
 * thread), -ENODEV (the device is being destroyed), -EINTR (the caller's
 * memhp task was signalled, memhp_task_signal(): no request may ever
 * come to stall). */
MEMHP_API int memhp_vmem_dev_wait_stalled(struct memhp_vmem_dev *dev);

/* Counters, for tests, traces and pictures. */
struct memhp_vmem_dev_stats {
	unsigned long requests[MEMHP_VIRTIO_MEM_NR_REQ_TYPES];	 /* by request type */
	unsigned long responses[MEMHP_VIRTIO_MEM_NR_RESP_TYPES]; /* by response type */
	unsigned long config_changes;				 /* notifications sent */
	unsigned long malformed;				 /* protocol violations */
	unsigned long discard_failures;				 /* host discards that failed */
	/* Faults memhp_vmem_dev_inject() armed that struck. */
	unsigned long injected[MEMHP_VMEM_NR_FAULTS];
};
MEMHP_API void memhp_vmem_dev_stats(struct memhp_vmem_dev *dev, struct memhp_vmem_dev_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_VIRTIO_MEM_H */
