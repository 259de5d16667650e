/* SPDX-License-Identifier: MIT */
/*
 * memhp/hotplug.h - memory blocks and hot(un)plug, as mm/memory_hotplug.c
 * and drivers/base/memory.c of Linux 6.1 provide them.
 *
 * Errors are negative errnos with the kernel's meaning. Every function that
 * changes state takes the device hotplug lock itself unless its name ends
 * in _locked; only one hotplug operation runs at a time in a machine.
 */
#ifndef MEMHP_HOTPLUG_H
#define MEMHP_HOTPLUG_H

#include <memhp/machine.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* add_memory() flags (MHP_*). */
#define MEMHP_MHP_NONE 0
#define MEMHP_MHP_MERGE_RESOURCE (1u << 0)
#define MEMHP_MHP_MEMMAP_ON_MEMORY (1u << 1)
#define MEMHP_MHP_NID_IS_MGID (1u << 2)

/*
 * mhp_supports_memmap_on_memory(): may a hot-add of @size bytes carry its
 * own memmap (memory_hotplug.memmap_on_memory on, exactly one memory block,
 * a memmap of whole PMDs that leaves whole pageblocks)? Drivers ask before
 * passing MEMHP_MHP_MEMMAP_ON_MEMORY, as ACPI's does in 6.1.
 */
MEMHP_API bool memhp_mhp_supports_memmap_on_memory(struct memhp_machine *m, uint64_t size);

/*
 * Hot-add [start, start + size) as "System RAM": sections get a memmap
 * (charged to kernel memory, or placed in the block with
 * MEMHP_MHP_MEMMAP_ON_MEMORY), offline memory blocks appear, and each is
 * onlined at once unless auto_online_blocks is "offline" (failures to online
 * are silent, as in 6.1).
 * Returns 0, -EINVAL (unaligned range, bad node or group, memmap_on_memory
 * not possible), -E2BIG (beyond the physical address space), -EEXIST (range
 * already present or claimed), -ENOMEM (no kernel memory for the memmap).
 */
MEMHP_API int memhp_add_memory(struct memhp_machine *m, int nid, uint64_t start, uint64_t size,
			       unsigned int mhp_flags);
/*
 * As above for memory a driver manages: @resource_name must look like
 * "System RAM (driver)", else -EINVAL.
 */
MEMHP_API int memhp_add_memory_driver_managed(struct memhp_machine *m, int nid, uint64_t start,
					      uint64_t size, const char *resource_name,
					      unsigned int mhp_flags);
/*
 * Remove the blocks of [start, start + size): their memory is discarded on
 * the host and their memmap freed. Returns 0, -EBUSY (a block is not
 * offline), -EINVAL (misaligned; where 6.1 BUG()s, memhp refuses; or a
 * memmap_on_memory block removed at the wrong granularity).
 */
MEMHP_API int memhp_remove_memory(struct memhp_machine *m, uint64_t start, uint64_t size);
/*
 * Offline every block of the range (already offline ones count as done),
 * then remove it; on failure re-online what this call offlined, with the
 * zone it had. Returns 0, -EINVAL, or the offline error.
 */
MEMHP_API int memhp_offline_and_remove_memory(struct memhp_machine *m, uint64_t start,
					      uint64_t size);

/*
 * Claim [start, start + size) in the iomem tree for a device, the way
 * virtio-mem claims its region (IORESOURCE_SYSTEM_RAM, not busy): memory
 * can then be added inside it, but nobody else can claim it. Returns 0,
 * -EBUSY (overlaps another claim or present memory), -EINVAL, -ENOMEM.
 */
MEMHP_API int memhp_request_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size,
				       const char *name);
/* Returns 0, or -ENOENT (no such claim, or memory is still added in it). */
MEMHP_API int memhp_release_mem_region(struct memhp_machine *m, uint64_t start, uint64_t size);
/* Is any memory added (System RAM) in [start, start + size)? */
MEMHP_API bool memhp_range_has_system_ram(struct memhp_machine *m, uint64_t start, uint64_t size);

/* One region of the iomem tree, as /proc/iomem prints it: its inclusive
 * range, its name, and how deep it is nested (0: top level). */
struct memhp_resource {
	uint64_t start, end;
	const char *name;
	unsigned int depth;
};
/* Called under the tree's lock: copy what is needed, call nothing of the
 * machine. */
typedef void (*memhp_resource_fn)(const struct memhp_resource *r, void *priv);
/* Every region, depth first, each level in address order: "Reserved" and
 * "System RAM" from the firmware's map (page 0 reserved, as
 * trim_bios_range() leaves it), the kernel image inside System RAM, memory
 * added later and the regions devices claim. */
MEMHP_API void memhp_walk_iomem(struct memhp_machine *m, memhp_resource_fn fn, void *priv);

/*
 * The firmware memory map (/sys/firmware/memmap): the boot entries the
 * machine's firmware (SeaBIOS on QEMU q35, for memhp_config_init()'s
 * layout) gives in e820, then each range hot-added as "System RAM"
 * (firmware_map_add_hotplug(); not driver-managed memory), gone again when
 * it is removed. Entries are numbered as they appear; numbers are never
 * reused.
 */
struct memhp_firmware_map_entry {
	unsigned int nr;
	uint64_t start, end; /* end inclusive, as the file shows it */
	const char *type;    /* "System RAM", "Reserved" */
};
/* The first entry numbered @from or more, or -1. */
MEMHP_API long memhp_firmware_map_next(struct memhp_machine *m, unsigned long from);
/* Entry number @nr: 0 or -ENOENT. */
MEMHP_API int memhp_firmware_map_entry(struct memhp_machine *m, unsigned long nr,
				       struct memhp_firmware_map_entry *e);

/* ---- Memory blocks ----------------------------------------------------- */

struct memhp_block_info {
	unsigned long id;
	uint64_t start; /* physical address */
	enum memhp_block_state state;
	bool online; /* !dev->offline */
	bool boot;   /* created at boot (early sections) */
	int nid;
	int zone; /* enum memhp_zone_type, or -1 (mem->zone NULL) */
	unsigned long nr_vmemmap_pages;
	int group; /* memory group id, or -1 */
};

/* Returns 0, or -ENODEV if no block has this id. */
MEMHP_API int memhp_block_info(struct memhp_machine *m, unsigned long id,
			       struct memhp_block_info *info);
/* The first present block id >= @from, or -1 when there is none. */
MEMHP_API long memhp_next_block(struct memhp_machine *m, unsigned long from);
MEMHP_API unsigned long memhp_nr_blocks(struct memhp_machine *m);
MEMHP_API unsigned long memhp_phys_to_block_id(const struct memhp_machine *m, uint64_t phys);

/*
 * device_online() / device_offline() on a memory block, with the online
 * type memhp_block_online() takes (MEMHP_MMOP_OFFLINE means "online"):
 * returns 0 on success, 1 when the block already was in that state, or the
 * errno of memory_block_online() / memory_block_offline().
 */
MEMHP_API int memhp_block_online(struct memhp_machine *m, unsigned long id,
				 enum memhp_online_type type);
MEMHP_API int memhp_block_offline(struct memhp_machine *m, unsigned long id);

/* ---- The sysfs attributes of drivers/base/memory.c ----------------------
 *
 * show functions write the attribute's bytes, newline included, into @buf
 * (at least MEMHP_SYSFS_BUF bytes) and return the length, or -ENODEV (or
 * -EAGAIN, for the two that take the device lock, below).
 * store functions take the bytes a write() brought (not NUL-terminated)
 * and return @len or a negative errno, exactly as the write() would.
 * A store that finds the hotplug lock busy returns -EAGAIN when @nonblock is
 * set, where the kernel would restart the system call; otherwise it waits.
 */
#define MEMHP_SYSFS_BUF 4096

MEMHP_API ssize_t memhp_show_block_size_bytes(struct memhp_machine *m, char *buf);
MEMHP_API ssize_t memhp_show_auto_online_blocks(struct memhp_machine *m, char *buf);
MEMHP_API ssize_t memhp_store_auto_online_blocks(struct memhp_machine *m, const char *buf,
						 size_t len);
MEMHP_API ssize_t memhp_show_state(struct memhp_machine *m, unsigned long id, char *buf);
MEMHP_API ssize_t memhp_store_state(struct memhp_machine *m, unsigned long id, const char *buf,
				    size_t len, bool nonblock);
/* online_show() and uevent_show() take the block's device lock, as 6.1's
 * do: they wait while a state change of the block runs, or return -EAGAIN
 * with @nonblock. A block's uevent file shows nothing (its bus adds no
 * keys). */
MEMHP_API ssize_t memhp_show_online(struct memhp_machine *m, unsigned long id, char *buf,
				    bool nonblock);
MEMHP_API ssize_t memhp_show_uevent(struct memhp_machine *m, unsigned long id, char *buf,
				    bool nonblock);
MEMHP_API ssize_t memhp_store_online(struct memhp_machine *m, unsigned long id, const char *buf,
				     size_t len, bool nonblock);
MEMHP_API ssize_t memhp_show_phys_index(struct memhp_machine *m, unsigned long id, char *buf);
MEMHP_API ssize_t memhp_show_phys_device(struct memhp_machine *m, unsigned long id, char *buf);
MEMHP_API ssize_t memhp_show_removable(struct memhp_machine *m, unsigned long id, char *buf);
MEMHP_API ssize_t memhp_show_valid_zones(struct memhp_machine *m, unsigned long id, char *buf);

/* Module parameters of memory_hotplug (online_policy, auto_movable_ratio,
 * auto_movable_numa_aware, memmap_on_memory): the same contract. */
MEMHP_API ssize_t memhp_show_param(struct memhp_machine *m, const char *name, char *buf);
MEMHP_API ssize_t memhp_store_param(struct memhp_machine *m, const char *name, const char *buf,
				    size_t len);

/* "offline", "online", "online_kernel", "online_movable" (sysfs_streq), or
 * -EINVAL. */
MEMHP_API int memhp_online_type_from_str(const char *buf, size_t len);
MEMHP_API const char *memhp_online_type_to_str(enum memhp_online_type type);

/* ---- Memory groups (drivers/base/memory.c) ----------------------------- */

/* Returns the group id, or -EINVAL (no such node, bad size), -ENOSPC. */
MEMHP_API int memhp_memory_group_register_static(struct memhp_machine *m, int nid,
						 unsigned long max_pages);
MEMHP_API int memhp_memory_group_register_dynamic(struct memhp_machine *m, int nid,
						  unsigned long unit_pages);
/* Returns 0, -EINVAL (no such group), -EBUSY (blocks still belong to it). */
MEMHP_API int memhp_memory_group_unregister(struct memhp_machine *m, int mgid);

/* ---- Locks, for drivers ------------------------------------------------ */

MEMHP_API void memhp_lock_device_hotplug(struct memhp_machine *m);
MEMHP_API void memhp_unlock_device_hotplug(struct memhp_machine *m);
/* mem_hotplug_lock for read: no online/offline/add/remove meanwhile. */
MEMHP_API void memhp_get_online_mems(struct memhp_machine *m);
MEMHP_API void memhp_put_online_mems(struct memhp_machine *m);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_HOTPLUG_H */
