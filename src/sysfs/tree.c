// SPDX-License-Identifier: MIT
/*
 * tree.c - the file tree: its table of nodes, inode numbers, lookup,
 * readdir, path resolution, and the read and write paths with the open
 * and write rules of kernfs, procfs and debugfs.
 *
 * Nothing here caches what the machine looks like: every lookup asks the
 * machine whether a block still exists, so blocks that come and go appear
 * and vanish at once, as they do in sysfs.
 */
#include "internal.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#define FS_NAME_MAX 255 /* NAME_MAX */

/* ---- The table -------------------------------------------------------------- */

enum {
	N_NONE,
	N_ROOT,
	N_SYS,
	N_DEVICES,
	N_SYSTEM,
	/* /sys/devices/system/memory */
	N_MEM,
	N_MEM_SOFT_OFFLINE,
	N_MEM_HARD_OFFLINE,
	N_MEM_BLOCK_SIZE,
	N_MEM_AUTO_ONLINE,
	N_MEM_UEVENT,
	N_MEM_POWER,
	N_MEM_POWER_ASD,
	N_MEM_POWER_CONTROL,
	N_MEM_POWER_RAT,
	N_MEM_POWER_STATUS,
	N_MEM_POWER_RST,
	N_BLK,
	N_BLK_ONLINE,
	N_BLK_PHYS_DEVICE,
	N_BLK_PHYS_INDEX,
	N_BLK_REMOVABLE,
	N_BLK_STATE,
	N_BLK_VALID_ZONES,
	N_BLK_UEVENT,
	N_BLK_NODE,
	N_BLK_SUBSYSTEM,
	N_BLK_POWER,
	N_BLK_POWER_ASD,
	N_BLK_POWER_CONTROL,
	N_BLK_POWER_RAT,
	N_BLK_POWER_STATUS,
	N_BLK_POWER_RST,
	/* /sys/devices/system/node */
	N_NODES,
	N_NODES_CPU,
	N_NODES_GI,
	N_NODES_MEMORY,
	N_NODES_NORMAL,
	N_NODES_ONLINE,
	N_NODES_POSSIBLE,
	N_NODES_UEVENT,
	N_NODES_POWER,
	N_NODES_POWER_ASD,
	N_NODES_POWER_CONTROL,
	N_NODES_POWER_RAT,
	N_NODES_POWER_STATUS,
	N_NODES_POWER_RST,
	N_NODE,
	N_NODE_COMPACT,
	N_NODE_CPULIST,
	N_NODE_CPUMAP,
	N_NODE_DISTANCE,
	N_NODE_MEMINFO,
	N_NODE_NUMASTAT,
	N_NODE_VMSTAT,
	N_NODE_UEVENT,
	N_NODE_CPU0,
	N_NODE_SUBSYSTEM,
	N_NODE_HUGEPAGES,
	N_NODE_HP2M,
	N_NODE_HP2M_FREE,
	N_NODE_HP2M_NR,
	N_NODE_HP2M_SURPLUS,
	N_NODE_POWER,
	N_NODE_POWER_ASD,
	N_NODE_POWER_CONTROL,
	N_NODE_POWER_RAT,
	N_NODE_POWER_STATUS,
	N_NODE_POWER_RST,
	N_NODE_MEMORY,
	/* /sys/devices/pci0000:00: the virtio-mem devices' PCI functions */
	N_PCI,
	N_PCI_FN,
	N_VIO_DEV,
	N_VIO_DEV_DEVICE,
	N_VIO_DEV_MODALIAS,
	N_VIO_DEV_STATUS,
	N_VIO_DEV_UEVENT,
	N_VIO_DEV_VENDOR,
	N_VIO_DEV_DRIVER,
	N_VIO_DEV_SUBSYSTEM,
	/* /sys/bus/memory */
	N_BUS,
	N_BUS_MEM,
	N_BUS_DEVICES,
	N_BUS_DEVICE,
	N_BUS_DRIVERS,
	N_BUS_AUTOPROBE,
	N_BUS_PROBE,
	N_BUS_UEVENT,
	/* /sys/bus/node */
	N_BUS_NODE,
	N_BUS_NODE_DEVICES,
	N_BUS_NODE_DEVICE,
	N_BUS_NODE_DRIVERS,
	N_BUS_NODE_AUTOPROBE,
	N_BUS_NODE_PROBE,
	N_BUS_NODE_UEVENT,
	/* /sys/bus/virtio */
	N_BUS_VIO,
	N_BUS_VIO_DEVICES,
	N_BUS_VIO_DEVICE,
	N_BUS_VIO_DRIVERS,
	N_BUS_VIO_DRV,
	N_BUS_VIO_DRV_MODULE,
	N_BUS_VIO_DRV_UEVENT,
	N_BUS_VIO_DRV_DEVICE,
	N_BUS_VIO_AUTOPROBE,
	N_BUS_VIO_PROBE,
	N_BUS_VIO_UEVENT,
	/* /sys/module/memory_hotplug, /sys/module/virtio_mem */
	N_MODULE,
	N_MOD_MHP,
	N_MOD_PARAMS,
	N_PARAM_NUMA_AWARE,
	N_PARAM_RATIO,
	N_PARAM_MEMMAP,
	N_PARAM_POLICY,
	N_MOD_VMEM,
	N_MOD_VMEM_DRIVERS,
	N_MOD_VMEM_DRIVER,
	N_MOD_VMEM_INITSTATE,
	N_MOD_VMEM_REFCNT,
	N_MOD_VMEM_PARAMS,
	N_VMEM_BBM_BLOCK_SIZE,
	N_VMEM_BBM_SAFE_UNPLUG,
	N_VMEM_FORCE_BBM,
	N_VMEM_UNPLUG_ONLINE,
	/* /sys/firmware/memmap */
	N_FIRMWARE,
	N_FWMAP,
	N_FWMAP_ENTRY,
	N_FWMAP_END,
	N_FWMAP_START,
	N_FWMAP_TYPE,
	/* /sys/kernel/debug/notifier-error-inject/memory */
	N_KERNEL,
	N_KERNEL_UEVENT_HELPER,
	N_KERNEL_UEVENT_SEQNUM,
	/* /sys/kernel/mm/hugepages/hugepages-2048kB (the rest of /sys/kernel/mm:
	 * kernel_mm.c, below) */
	N_KMM_HP,
	N_KMM_HP2M,
	N_KMM_HP2M_FREE,
	N_KMM_HP2M_NR,
	N_KMM_HP2M_NR_MEMPOLICY,
	N_KMM_HP2M_OVERCOMMIT,
	N_KMM_HP2M_RESV,
	N_KMM_HP2M_SURPLUS,
	N_DEBUG,
	N_NEI,
	N_NEI_MEM,
	N_NEI_PRIORITY,
	N_NEI_ACTIONS,
	N_NEI_ONLINE,
	N_NEI_ONLINE_ERROR,
	N_NEI_OFFLINE,
	N_NEI_OFFLINE_ERROR,
	/* /sys/kernel/debug/memhp: memhp's own knobs */
	N_DEBUG_MEMHP,
	N_DEBUG_ANON_MEMORY,
	/* /sys/kernel/mm (kernel_mm.c) */
	N_KERNEL_MM,
	N_MM_THP,
	N_MM_THP_ENABLED,
	N_MM_THP_DEFRAG,
	N_MM_THP_USE_ZERO_PAGE,
	N_MM_THP_HPAGE_PMD_SIZE,
	N_MM_THP_SHMEM_ENABLED,
	N_MM_KHP,
	N_MM_KHP_ALLOC_SLEEP,
	N_MM_KHP_DEFRAG,
	N_MM_KHP_FULL_SCANS,
	N_MM_KHP_MAX_PTES_NONE,
	N_MM_KHP_MAX_PTES_SHARED,
	N_MM_KHP_MAX_PTES_SWAP,
	N_MM_KHP_PAGES_COLLAPSED,
	N_MM_KHP_PAGES_TO_SCAN,
	N_MM_KHP_SCAN_SLEEP,
	N_MM_KSM,
	N_MM_KSM_FULL_SCANS,
	N_MM_KSM_MAX_PAGE_SHARING,
	N_MM_KSM_MERGE_ACROSS_NODES,
	N_MM_KSM_PAGES_SHARED,
	N_MM_KSM_PAGES_SHARING,
	N_MM_KSM_PAGES_TO_SCAN,
	N_MM_KSM_PAGES_UNSHARED,
	N_MM_KSM_PAGES_VOLATILE,
	N_MM_KSM_RUN,
	N_MM_KSM_SLEEP,
	N_MM_KSM_STABLE_NODE_CHAINS,
	N_MM_KSM_PRUNE,
	N_MM_KSM_STABLE_NODE_DUPS,
	N_MM_KSM_USE_ZERO_PAGES,
	N_MM_LRU_GEN,
	N_MM_LRU_GEN_ENABLED,
	N_MM_LRU_GEN_MIN_TTL,
	N_MM_NUMA,
	N_MM_NUMA_DEMOTION,
	N_MM_SWAP,
	N_MM_SWAP_VMA_RA,
	/* /proc */
	N_PROC,
	N_PROC_MEMINFO,
	N_PROC_ZONEINFO,
	N_PROC_BUDDYINFO,
	N_PROC_PAGETYPEINFO,
	N_PROC_IOMEM,
	N_PROC_KPAGEFLAGS,
	N_PROC_KPAGECOUNT,
	N_PROC_VMSTAT,
	N_PROC_SLABINFO,
	N_PROC_CMDLINE,
	N_PROC_KCORE,
	N_PROC_KPAGECGROUP,
	N_PROC_KMSG,
	N_PROC_SWAPS,
	N_PROC_PRESSURE,
	N_PROC_PRESSURE_MEMORY,
	N_PROC_SYS,
	N_PROC_SYS_VM,
	N_PROC_SYS_VM_FILE,
	/* /dev */
	N_DEV,
	N_DEV_KMSG,
	N_DEV_SHM,
	N_COUNT
};

#define DIR(n, p, m)                                              \
	{                                                         \
		.name = n, .parent = p, .type = FS_DIR, .mode = m \
	}
#define PDIR(n, p, pat)                                                              \
	{                                                                            \
		.name = n, .parent = p, .type = FS_DIR, .mode = 0755, .pattern = pat \
	}
#define ATTR(n, p, m, sh, st)                                                                      \
	{                                                                                          \
		.name = n, .parent = p, .type = FS_REG, .flavor = FL_SYSFS, .mode = m, .show = sh, \
		.store = st                                                                        \
	}
#define LINK(n, p, fn)                                                           \
	{                                                                        \
		.name = n, .parent = p, .type = FS_LNK, .mode = 0777, .link = fn \
	}
#define PLINK(n, p, pat, fn)                                                                     \
	{                                                                                        \
		.name = n, .parent = p, .type = FS_LNK, .mode = 0777, .pattern = pat, .link = fn \
	}
#define PROC(n, m, sh)                                                                     \
	{                                                                                  \
		.name = n, .parent = N_PROC, .type = FS_REG, .flavor = FL_PROC, .mode = m, \
		.show = sh                                                                 \
	}
#define PROC_PREAD(n, m, fn)                                                               \
	{                                                                                  \
		.name = n, .parent = N_PROC, .type = FS_REG, .flavor = FL_PROC, .mode = m, \
		.pread = fn                                                                \
	}
/* A file of /sys/kernel/mm: kernel_mm.c knows it by its directory and name. */
#define MMKNOB(n, p, m) ATTR(n, p, m, show_mm_knob, (m)&0200 ? store_mm_knob : NULL)
/* A name to bind over a host file, nothing else (fs.h, memhp_fs_lookup()). */
#define GONE(n)                                                                               \
	{                                                                                     \
		.name = n, .parent = N_PROC, .type = FS_REG, .flavor = FL_PROC, .mode = 0400, \
		.gone = true                                                                  \
	}
/* A directory that is there only while @ex says so. */
#define XDIR(n, p, ex)                                                             \
	{                                                                          \
		.name = n, .parent = p, .type = FS_DIR, .mode = 0755, .exists = ex \
	}
#define DEBUGFS(n, p, sh, st)                                                               \
	{                                                                                   \
		.name = n, .parent = p, .type = FS_REG, .flavor = FL_DEBUGFS, .mode = 0600, \
		.show = sh, .store = st                                                     \
	}
/* The power/ directory every device has (drivers/base/power/sysfs.c), with
 * runtime PM never enabled: what a memory block or node shows. */
#define POWER(pfx, p)                                                                    \
	[pfx] = DIR("power", p, 0755),                                                   \
	[pfx##_ASD] = ATTR("autosuspend_delay_ms", pfx, 0644, show_pm_autosuspend,       \
			   store_pm_autosuspend),                                        \
	[pfx##_CONTROL] = ATTR("control", pfx, 0644, show_pm_control, store_pm_control), \
	[pfx##_RAT] = ATTR("runtime_active_time", pfx, 0444, show_pm_zero, NULL),        \
	[pfx##_STATUS] = ATTR("runtime_status", pfx, 0444, show_pm_status, NULL),        \
	[pfx##_RST] = ATTR("runtime_suspended_time", pfx, 0444, show_pm_zero, NULL)

const struct fs_node fs_nodes[] = {
	[N_ROOT] = DIR("", N_NONE, 0755),
	[N_SYS] = DIR("sys", N_ROOT, 0555),
	[N_DEVICES] = DIR("devices", N_SYS, 0755),
	[N_SYSTEM] = DIR("system", N_DEVICES, 0755),

	[N_MEM] = DIR("memory", N_SYSTEM, 0755),
	/* CONFIG_MEMORY_FAILURE, in memory_root_attrs[] order. */
	[N_MEM_SOFT_OFFLINE] =
		ATTR("soft_offline_page", N_MEM, 0200, NULL, store_soft_offline_page),
	[N_MEM_HARD_OFFLINE] =
		ATTR("hard_offline_page", N_MEM, 0200, NULL, store_hard_offline_page),
	[N_MEM_BLOCK_SIZE] = ATTR("block_size_bytes", N_MEM, 0444, show_block_size_bytes, NULL),
	[N_MEM_AUTO_ONLINE] = ATTR("auto_online_blocks", N_MEM, 0644, show_auto_online_blocks,
				   store_auto_online_blocks),
	[N_MEM_UEVENT] = ATTR("uevent", N_MEM, 0644, show_empty, store_dev_uevent),
	POWER(N_MEM_POWER, N_MEM),
	[N_BLK] = PDIR("memory", N_MEM, PAT_BLOCK),
	[N_BLK_ONLINE] = ATTR("online", N_BLK, 0644, show_blk_online, store_blk_online),
	[N_BLK_PHYS_DEVICE] = ATTR("phys_device", N_BLK, 0444, show_blk_phys_device, NULL),
	[N_BLK_PHYS_INDEX] = ATTR("phys_index", N_BLK, 0444, show_blk_phys_index, NULL),
	[N_BLK_REMOVABLE] = ATTR("removable", N_BLK, 0444, show_blk_removable, NULL),
	[N_BLK_STATE] = ATTR("state", N_BLK, 0644, show_blk_state, store_blk_state),
	[N_BLK_VALID_ZONES] = ATTR("valid_zones", N_BLK, 0444, show_blk_valid_zones, NULL),
	[N_BLK_UEVENT] = ATTR("uevent", N_BLK, 0644, show_blk_uevent, store_dev_uevent),
	[N_BLK_NODE] = PLINK("node", N_BLK, PAT_NODE, link_blk_node),
	[N_BLK_SUBSYSTEM] = LINK("subsystem", N_BLK, link_blk_subsystem),
	POWER(N_BLK_POWER, N_BLK),

	[N_NODES] = DIR("node", N_SYSTEM, 0755),
	[N_NODES_CPU] = ATTR("has_cpu", N_NODES, 0444, show_nodes_cpu, NULL),
	[N_NODES_GI] =
		ATTR("has_generic_initiator", N_NODES, 0444, show_nodes_generic_initiator, NULL),
	[N_NODES_MEMORY] = ATTR("has_memory", N_NODES, 0444, show_nodes_memory, NULL),
	[N_NODES_NORMAL] = ATTR("has_normal_memory", N_NODES, 0444, show_nodes_normal_memory, NULL),
	[N_NODES_ONLINE] = ATTR("online", N_NODES, 0444, show_nodes_online, NULL),
	[N_NODES_POSSIBLE] = ATTR("possible", N_NODES, 0444, show_nodes_possible, NULL),
	[N_NODES_UEVENT] = ATTR("uevent", N_NODES, 0644, show_empty, store_dev_uevent),
	POWER(N_NODES_POWER, N_NODES),
	[N_NODE] = PDIR("node", N_NODES, PAT_NODE),
	[N_NODE_COMPACT] = ATTR("compact", N_NODE, 0200, NULL, store_node_compact),
	[N_NODE_CPULIST] = ATTR("cpulist", N_NODE, 0444, show_node_cpulist, NULL),
	[N_NODE_CPUMAP] = ATTR("cpumap", N_NODE, 0444, show_node_cpumap, NULL),
	[N_NODE_DISTANCE] = ATTR("distance", N_NODE, 0444, show_node_distance, NULL),
	[N_NODE_MEMINFO] = ATTR("meminfo", N_NODE, 0444, show_node_meminfo, NULL),
	[N_NODE_NUMASTAT] = ATTR("numastat", N_NODE, 0444, show_node_numastat, NULL),
	[N_NODE_VMSTAT] = ATTR("vmstat", N_NODE, 0444, show_node_vmstat, NULL),
	[N_NODE_UEVENT] = ATTR("uevent", N_NODE, 0644, show_empty, store_dev_uevent),
	[N_NODE_CPU0] = LINK("cpu0", N_NODE, link_node_cpu),
	[N_NODE_SUBSYSTEM] = LINK("subsystem", N_NODE, link_node_subsystem),
	[N_NODE_HUGEPAGES] = DIR("hugepages", N_NODE, 0755),
	[N_NODE_HP2M] = DIR("hugepages-2048kB", N_NODE_HUGEPAGES, 0755),
	[N_NODE_HP2M_FREE] = ATTR("free_hugepages", N_NODE_HP2M, 0444, show_node_hp_free, NULL),
	[N_NODE_HP2M_NR] =
		ATTR("nr_hugepages", N_NODE_HP2M, 0644, show_node_hp_nr, store_nr_hugepages),
	[N_NODE_HP2M_SURPLUS] =
		ATTR("surplus_hugepages", N_NODE_HP2M, 0444, show_node_hp_surplus, NULL),
	POWER(N_NODE_POWER, N_NODE),
	[N_NODE_MEMORY] = PLINK("memory", N_NODE, PAT_BLOCK, link_node_memory),

	/* The PCI root, only as far as the model has devices: virtio-mem's
	 * PCI functions, with the virtio device and what the virtio core
	 * shows of it. */
	[N_PCI] = DIR("pci0000:00", N_DEVICES, 0755),
	[N_PCI_FN] = PDIR("", N_PCI, PAT_VIRTIO_PCI),
	[N_VIO_DEV] = PDIR("virtio", N_PCI_FN, PAT_VIRTIO),
	[N_VIO_DEV_DEVICE] = ATTR("device", N_VIO_DEV, 0444, show_virtio_device, NULL),
	[N_VIO_DEV_MODALIAS] = ATTR("modalias", N_VIO_DEV, 0444, show_virtio_modalias, NULL),
	[N_VIO_DEV_STATUS] = ATTR("status", N_VIO_DEV, 0444, show_virtio_status, NULL),
	[N_VIO_DEV_UEVENT] = ATTR("uevent", N_VIO_DEV, 0444, show_virtio_uevent, NULL),
	[N_VIO_DEV_VENDOR] = ATTR("vendor", N_VIO_DEV, 0444, show_virtio_vendor, NULL),
	[N_VIO_DEV_DRIVER] = LINK("driver", N_VIO_DEV, link_virtio_dev_driver),
	[N_VIO_DEV_SUBSYSTEM] = LINK("subsystem", N_VIO_DEV, link_virtio_dev_subsystem),

	[N_BUS] = DIR("bus", N_SYS, 0755),
	[N_BUS_MEM] = DIR("memory", N_BUS, 0755),
	[N_BUS_DEVICES] = DIR("devices", N_BUS_MEM, 0755),
	[N_BUS_DEVICE] = PLINK("memory", N_BUS_DEVICES, PAT_BLOCK, link_bus_device),
	[N_BUS_DRIVERS] = DIR("drivers", N_BUS_MEM, 0755),
	[N_BUS_AUTOPROBE] =
		ATTR("drivers_autoprobe", N_BUS_MEM, 0644, show_bus_autoprobe, store_bus_autoprobe),
	[N_BUS_PROBE] = ATTR("drivers_probe", N_BUS_MEM, 0200, NULL, store_bus_probe),
	[N_BUS_UEVENT] = ATTR("uevent", N_BUS_MEM, 0200, NULL, store_bus_uevent),
	[N_BUS_NODE] = DIR("node", N_BUS, 0755),
	[N_BUS_NODE_DEVICES] = DIR("devices", N_BUS_NODE, 0755),
	[N_BUS_NODE_DEVICE] = PLINK("node", N_BUS_NODE_DEVICES, PAT_NODE, link_node_bus_device),
	[N_BUS_NODE_DRIVERS] = DIR("drivers", N_BUS_NODE, 0755),
	[N_BUS_NODE_AUTOPROBE] = ATTR("drivers_autoprobe", N_BUS_NODE, 0644, show_bus2_autoprobe,
				      store_bus2_autoprobe),
	[N_BUS_NODE_PROBE] = ATTR("drivers_probe", N_BUS_NODE, 0200, NULL, store_bus2_probe),
	[N_BUS_NODE_UEVENT] = ATTR("uevent", N_BUS_NODE, 0200, NULL, store_bus2_uevent),
	[N_BUS_VIO] = XDIR("virtio", N_BUS, fs_has_virtio),
	[N_BUS_VIO_DEVICES] = DIR("devices", N_BUS_VIO, 0755),
	[N_BUS_VIO_DEVICE] = PLINK("virtio", N_BUS_VIO_DEVICES, PAT_VIRTIO, link_virtio_bus_device),
	[N_BUS_VIO_DRIVERS] = DIR("drivers", N_BUS_VIO, 0755),
	[N_BUS_VIO_DRV] = DIR("virtio_mem", N_BUS_VIO_DRIVERS, 0755),
	[N_BUS_VIO_DRV_MODULE] = LINK("module", N_BUS_VIO_DRV, link_virtio_driver_module),
	[N_BUS_VIO_DRV_UEVENT] = ATTR("uevent", N_BUS_VIO_DRV, 0200, NULL, store_drv_uevent),
	[N_BUS_VIO_DRV_DEVICE] =
		PLINK("virtio", N_BUS_VIO_DRV, PAT_VIRTIO, link_virtio_driver_device),
	[N_BUS_VIO_AUTOPROBE] = ATTR("drivers_autoprobe", N_BUS_VIO, 0644, show_bus2_autoprobe,
				     store_bus2_autoprobe),
	[N_BUS_VIO_PROBE] = ATTR("drivers_probe", N_BUS_VIO, 0200, NULL, store_bus2_probe),
	[N_BUS_VIO_UEVENT] = ATTR("uevent", N_BUS_VIO, 0200, NULL, store_bus2_uevent),

	[N_MODULE] = DIR("module", N_SYS, 0755),
	[N_MOD_MHP] = DIR("memory_hotplug", N_MODULE, 0755),
	[N_MOD_PARAMS] = DIR("parameters", N_MOD_MHP, 0755),
	[N_PARAM_NUMA_AWARE] =
		ATTR("auto_movable_numa_aware", N_MOD_PARAMS, 0644, show_param, store_param),
	[N_PARAM_RATIO] = ATTR("auto_movable_ratio", N_MOD_PARAMS, 0644, show_param, store_param),
	[N_PARAM_MEMMAP] = ATTR("memmap_on_memory", N_MOD_PARAMS, 0444, show_param, NULL),
	[N_PARAM_POLICY] = ATTR("online_policy", N_MOD_PARAMS, 0644, show_param, store_param),
	/* Debian builds virtio_mem as a module: loaded for a device. */
	[N_MOD_VMEM] = XDIR("virtio_mem", N_MODULE, fs_has_virtio),
	[N_MOD_VMEM_DRIVERS] = DIR("drivers", N_MOD_VMEM, 0755),
	[N_MOD_VMEM_DRIVER] = LINK("virtio:virtio_mem", N_MOD_VMEM_DRIVERS, link_module_driver),
	[N_MOD_VMEM_INITSTATE] = ATTR("initstate", N_MOD_VMEM, 0444, show_module_initstate, NULL),
	[N_MOD_VMEM_REFCNT] = ATTR("refcnt", N_MOD_VMEM, 0444, show_module_refcnt, NULL),
	[N_MOD_VMEM_PARAMS] = DIR("parameters", N_MOD_VMEM, 0755),
	[N_VMEM_BBM_BLOCK_SIZE] =
		ATTR("bbm_block_size", N_MOD_VMEM_PARAMS, 0444, show_vmem_param, NULL),
	[N_VMEM_BBM_SAFE_UNPLUG] =
		ATTR("bbm_safe_unplug", N_MOD_VMEM_PARAMS, 0444, show_vmem_param, NULL),
	[N_VMEM_FORCE_BBM] = ATTR("force_bbm", N_MOD_VMEM_PARAMS, 0444, show_vmem_param, NULL),
	[N_VMEM_UNPLUG_ONLINE] = ATTR("unplug_online", N_MOD_VMEM_PARAMS, 0644, show_vmem_param,
				      store_vmem_unplug_online),

	[N_FIRMWARE] = DIR("firmware", N_SYS, 0755),
	[N_FWMAP] = DIR("memmap", N_FIRMWARE, 0755),
	[N_FWMAP_ENTRY] = PDIR("", N_FWMAP, PAT_FWMAP),
	[N_FWMAP_END] = ATTR("end", N_FWMAP_ENTRY, 0444, show_fwmap_end, NULL),
	[N_FWMAP_START] = ATTR("start", N_FWMAP_ENTRY, 0444, show_fwmap_start, NULL),
	[N_FWMAP_TYPE] = ATTR("type", N_FWMAP_ENTRY, 0444, show_fwmap_type, NULL),

	[N_KERNEL] = DIR("kernel", N_SYS, 0755),
	[N_KERNEL_UEVENT_HELPER] =
		ATTR("uevent_helper", N_KERNEL, 0644, show_uevent_helper, store_uevent_helper),
	[N_KERNEL_UEVENT_SEQNUM] = ATTR("uevent_seqnum", N_KERNEL, 0444, show_uevent_seqnum, NULL),
	[N_KMM_HP] = DIR("hugepages", N_KERNEL_MM, 0755),
	[N_KMM_HP2M] = DIR("hugepages-2048kB", N_KMM_HP, 0755),
	[N_KMM_HP2M_FREE] = ATTR("free_hugepages", N_KMM_HP2M, 0444, show_hp_free, NULL),
	[N_KMM_HP2M_NR] = ATTR("nr_hugepages", N_KMM_HP2M, 0644, show_hp_nr, store_hp_nr),
	/* The policy of the writer, which memhp's tasks do not have: the
	 * same as nr_hugepages. */
	[N_KMM_HP2M_NR_MEMPOLICY] =
		ATTR("nr_hugepages_mempolicy", N_KMM_HP2M, 0644, show_hp_nr, store_hp_nr),
	[N_KMM_HP2M_OVERCOMMIT] = ATTR("nr_overcommit_hugepages", N_KMM_HP2M, 0644,
				       show_hp_overcommit, store_hp_overcommit),
	[N_KMM_HP2M_RESV] = ATTR("resv_hugepages", N_KMM_HP2M, 0444, show_hp_resv, NULL),
	[N_KMM_HP2M_SURPLUS] = ATTR("surplus_hugepages", N_KMM_HP2M, 0444, show_hp_surplus, NULL),
	[N_DEBUG] = DIR("debug", N_KERNEL, 0700),
	[N_NEI] = DIR("notifier-error-inject", N_DEBUG, 0755),
	[N_NEI_MEM] = DIR("memory", N_NEI, 0755),
	[N_NEI_PRIORITY] =
		DEBUGFS("priority", N_NEI_MEM, show_inject_priority, store_inject_priority),
	[N_NEI_ACTIONS] = DIR("actions", N_NEI_MEM, 0755),
	[N_NEI_ONLINE] = DIR("MEM_GOING_ONLINE", N_NEI_ACTIONS, 0755),
	[N_NEI_ONLINE_ERROR] =
		DEBUGFS("error", N_NEI_ONLINE, show_inject_error, store_inject_error),
	[N_NEI_OFFLINE] = DIR("MEM_GOING_OFFLINE", N_NEI_ACTIONS, 0755),
	[N_NEI_OFFLINE_ERROR] =
		DEBUGFS("error", N_NEI_OFFLINE, show_inject_error, store_inject_error),
	[N_DEBUG_MEMHP] = DIR("memhp", N_DEBUG, 0755),
	[N_DEBUG_ANON_MEMORY] =
		DEBUGFS("anon_memory", N_DEBUG_MEMHP, show_anon_memory, store_anon_memory),

	[N_KERNEL_MM] = DIR("mm", N_KERNEL, 0755),
	[N_MM_THP] = DIR("transparent_hugepage", N_KERNEL_MM, 0755),
	[N_MM_THP_ENABLED] = MMKNOB("enabled", N_MM_THP, 0644),
	[N_MM_THP_DEFRAG] = MMKNOB("defrag", N_MM_THP, 0644),
	[N_MM_THP_USE_ZERO_PAGE] = MMKNOB("use_zero_page", N_MM_THP, 0644),
	[N_MM_THP_HPAGE_PMD_SIZE] = MMKNOB("hpage_pmd_size", N_MM_THP, 0444),
	[N_MM_THP_SHMEM_ENABLED] = MMKNOB("shmem_enabled", N_MM_THP, 0644),
	[N_MM_KHP] = DIR("khugepaged", N_MM_THP, 0755),
	[N_MM_KHP_ALLOC_SLEEP] = MMKNOB("alloc_sleep_millisecs", N_MM_KHP, 0644),
	[N_MM_KHP_DEFRAG] = MMKNOB("defrag", N_MM_KHP, 0644),
	[N_MM_KHP_FULL_SCANS] = MMKNOB("full_scans", N_MM_KHP, 0444),
	[N_MM_KHP_MAX_PTES_NONE] = MMKNOB("max_ptes_none", N_MM_KHP, 0644),
	[N_MM_KHP_MAX_PTES_SHARED] = MMKNOB("max_ptes_shared", N_MM_KHP, 0644),
	[N_MM_KHP_MAX_PTES_SWAP] = MMKNOB("max_ptes_swap", N_MM_KHP, 0644),
	[N_MM_KHP_PAGES_COLLAPSED] = MMKNOB("pages_collapsed", N_MM_KHP, 0444),
	[N_MM_KHP_PAGES_TO_SCAN] = MMKNOB("pages_to_scan", N_MM_KHP, 0644),
	[N_MM_KHP_SCAN_SLEEP] = MMKNOB("scan_sleep_millisecs", N_MM_KHP, 0644),
	[N_MM_KSM] = DIR("ksm", N_KERNEL_MM, 0755),
	[N_MM_KSM_FULL_SCANS] = MMKNOB("full_scans", N_MM_KSM, 0444),
	[N_MM_KSM_MAX_PAGE_SHARING] = MMKNOB("max_page_sharing", N_MM_KSM, 0644),
	[N_MM_KSM_MERGE_ACROSS_NODES] = MMKNOB("merge_across_nodes", N_MM_KSM, 0644),
	[N_MM_KSM_PAGES_SHARED] = MMKNOB("pages_shared", N_MM_KSM, 0444),
	[N_MM_KSM_PAGES_SHARING] = MMKNOB("pages_sharing", N_MM_KSM, 0444),
	[N_MM_KSM_PAGES_TO_SCAN] = MMKNOB("pages_to_scan", N_MM_KSM, 0644),
	[N_MM_KSM_PAGES_UNSHARED] = MMKNOB("pages_unshared", N_MM_KSM, 0444),
	[N_MM_KSM_PAGES_VOLATILE] = MMKNOB("pages_volatile", N_MM_KSM, 0444),
	[N_MM_KSM_RUN] = MMKNOB("run", N_MM_KSM, 0644),
	[N_MM_KSM_SLEEP] = MMKNOB("sleep_millisecs", N_MM_KSM, 0644),
	[N_MM_KSM_STABLE_NODE_CHAINS] = MMKNOB("stable_node_chains", N_MM_KSM, 0444),
	[N_MM_KSM_PRUNE] = MMKNOB("stable_node_chains_prune_millisecs", N_MM_KSM, 0644),
	[N_MM_KSM_STABLE_NODE_DUPS] = MMKNOB("stable_node_dups", N_MM_KSM, 0444),
	[N_MM_KSM_USE_ZERO_PAGES] = MMKNOB("use_zero_pages", N_MM_KSM, 0644),
	[N_MM_LRU_GEN] = DIR("lru_gen", N_KERNEL_MM, 0755),
	[N_MM_LRU_GEN_ENABLED] = MMKNOB("enabled", N_MM_LRU_GEN, 0644),
	[N_MM_LRU_GEN_MIN_TTL] = MMKNOB("min_ttl_ms", N_MM_LRU_GEN, 0644),
	[N_MM_NUMA] = DIR("numa", N_KERNEL_MM, 0755),
	[N_MM_NUMA_DEMOTION] = MMKNOB("demotion_enabled", N_MM_NUMA, 0644),
	[N_MM_SWAP] = DIR("swap", N_KERNEL_MM, 0755),
	[N_MM_SWAP_VMA_RA] = MMKNOB("vma_ra_enabled", N_MM_SWAP, 0644),

	[N_PROC] = DIR("proc", N_ROOT, 0555),
	[N_PROC_MEMINFO] = PROC("meminfo", 0444, show_meminfo),
	[N_PROC_ZONEINFO] = PROC("zoneinfo", 0444, show_zoneinfo),
	[N_PROC_BUDDYINFO] = PROC("buddyinfo", 0444, show_buddyinfo),
	[N_PROC_PAGETYPEINFO] = PROC("pagetypeinfo", 0400, show_pagetypeinfo),
	[N_PROC_IOMEM] = PROC("iomem", 0444, show_iomem),
	[N_PROC_KPAGEFLAGS] = PROC_PREAD("kpageflags", 0400, pread_kpageflags),
	[N_PROC_KPAGECOUNT] = PROC_PREAD("kpagecount", 0400, pread_kpagecount),
	[N_PROC_VMSTAT] = PROC("vmstat", 0444, show_vmstat),
	[N_PROC_SLABINFO] = PROC("slabinfo", 0400, show_slabinfo),
	[N_PROC_CMDLINE] = PROC("cmdline", 0444, show_cmdline),
	/* The machine has no /proc/kcore to read its memory through: a name
	 * to bind over the host's, and nothing else (fs.h). */
	[N_PROC_KCORE] = GONE("kcore"),
	/* The memory cgroup of each pfn: the machine has no cgroups. */
	[N_PROC_KPAGECGROUP] = GONE("kpagecgroup"),

	[N_PROC_KMSG] = { .name = "kmsg",
			  .parent = N_PROC,
			  .type = FS_REG,
			  .flavor = FL_SYSLOG,
			  .mode = 0400 },

	/* No swap: the header alone. */
	[N_PROC_SWAPS] = PROC("swaps", 0444, show_swaps),
	/* Pressure stall information: memhp never stalls on memory. Only
	 * memory's file: cpu and io would be the host's. */
	[N_PROC_PRESSURE] = DIR("pressure", N_PROC, 0555),
	[N_PROC_PRESSURE_MEMORY] = { .name = "memory",
				     .parent = N_PROC_PRESSURE,
				     .type = FS_REG,
				     .flavor = FL_PROC,
				     .mode = 0666,
				     .show = show_pressure_memory,
				     .store = store_pressure_memory },
	[N_PROC_SYS] = DIR("sys", N_PROC, 0555),
	[N_PROC_SYS_VM] = DIR("vm", N_PROC_SYS, 0555),
	/* Each file's mode is its sysctl's (ref_attr()). */
	[N_PROC_SYS_VM_FILE] = { .name = "",
				 .parent = N_PROC_SYS_VM,
				 .type = FS_REG,
				 .flavor = FL_SYSCTL,
				 .pattern = PAT_SYSCTL_VM,
				 .mode = 0644,
				 .show = show_sysctl_vm },

	/* The machine's log. A regular file, not a character device: a device
	 * node would open the host's driver, never the daemon. */
	[N_DEV] = DIR("dev", N_ROOT, 0755),
	[N_DEV_KMSG] = { .name = "kmsg",
			 .parent = N_DEV,
			 .type = FS_REG,
			 .flavor = FL_KMSG,
			 .mode = 0644 },
	[N_DEV_SHM] = DIR("shm", N_DEV, 01777),
};
const unsigned int fs_nr_nodes = N_COUNT;
_Static_assert(ARRAY_SIZE(fs_nodes) == N_COUNT, "node table and enum disagree");

/* Which debugfs error file is which: error_inject.c needs to know. */
bool fs_node_is_online_error(unsigned int idx);
bool fs_node_is_online_error(unsigned int idx)
{
	return idx == N_NEI_ONLINE_ERROR;
}

/* Derived once: the children of each node, and which parameters matter. */
static struct {
	unsigned short first_child[N_COUNT];
	unsigned short next_sibling[N_COUNT];
	unsigned short pattern_child[N_COUNT]; /* at most one per directory */
	unsigned short nr_fixed_subdirs[N_COUNT];
	bool uses_id[N_COUNT];		   /* below a family named by id */
	unsigned char id_pattern[N_COUNT]; /* the innermost such family */
	bool uses_node[N_COUNT];
	unsigned short guard[N_COUNT]; /* nearest node, self included, with ->exists */
} tree;
static pthread_once_t tree_once = PTHREAD_ONCE_INIT;

static void tree_init(void)
{
	unsigned short last[N_COUNT] = { 0 };

	for (unsigned int i = N_ROOT; i < N_COUNT; i++) {
		const struct fs_node *n = &fs_nodes[i];
		unsigned int p = n->parent;

		if (i != N_ROOT) {
			if (n->pattern) {
				tree.pattern_child[p] = (unsigned short)i;
			} else {
				if (last[p])
					tree.next_sibling[last[p]] = (unsigned short)i;
				else
					tree.first_child[p] = (unsigned short)i;
				last[p] = (unsigned short)i;
				if (n->type == FS_DIR)
					tree.nr_fixed_subdirs[p]++;
			}
		}
		/* Parents come before children in the table. */
		if (n->pattern != PAT_NONE && n->pattern != PAT_NODE) {
			tree.uses_id[i] = true;
			tree.id_pattern[i] = n->pattern;
		} else if (p) {
			tree.uses_id[i] = tree.uses_id[p];
			tree.id_pattern[i] = tree.id_pattern[p];
		}
		tree.uses_node[i] = n->pattern == PAT_NODE || (p && tree.uses_node[p]);
		tree.guard[i] = n->exists ? (unsigned short)i : p ? tree.guard[p] : 0;
	}
}

/* ---- Inode numbers -------------------------------------------------------------
 *
 * ino = node index | node id << 16 | block id << 24. Parameters a node does
 * not depend on are zero, so each entry has exactly one number. The root
 * is node 1 with no parameters: FUSE's root inode.
 */
#define INO_IDX_BITS 16
#define INO_NID_SHIFT 16
#define INO_NID_BITS 8
#define INO_ID_SHIFT 24
#define INO_MAX_ID ((1UL << (64 - INO_ID_SHIFT)) - 1)
#define INO_MAX_NID ((1 << INO_NID_BITS) - 1)

uint64_t fs_ref_ino(const struct fs_ref *r)
{
	return (uint64_t)r->idx | (uint64_t)r->nid << INO_NID_SHIFT |
	       (uint64_t)r->id << INO_ID_SHIFT;
}

static void ref_from_ino(uint64_t ino, struct fs_ref *r)
{
	r->idx = (unsigned int)(ino & ((1U << INO_IDX_BITS) - 1));
	r->nid = (int)((ino >> INO_NID_SHIFT) & INO_MAX_NID);
	r->id = (unsigned long)(ino >> INO_ID_SHIFT);
}

/* ---- Families of entries -------------------------------------------------------- */

/* The PCI slot of virtio device N: the slots after q35's VGA (01.0) and
 * default NIC (02.0), in probe order. */
#define FS_VIRTIO_PCI_SLOT0 3
#define FS_PCI_SLOTS 32

/* Is member @id of family @pat there? */
static bool family_exists(struct memhp_fs *fs, int pat, unsigned long id)
{
	struct memhp_sysctl_info si;
	struct memhp_firmware_map_entry e;
	struct memhp_vmem_drv_desc d;

	switch (pat) {
	case PAT_BLOCK:
		return block_nid(fs, id) >= 0;
	case PAT_FWMAP:
		return !memhp_firmware_map_entry(fs->m, id, &e);
	case PAT_SYSCTL_VM:
		return !memhp_sysctl_vm_info((unsigned int)MIN(id, (unsigned long)UINT_MAX), &si);
	case PAT_VIRTIO:
	case PAT_VIRTIO_PCI:
		return id < FS_PCI_SLOTS - FS_VIRTIO_PCI_SLOT0 &&
		       !memhp_vmem_drv_describe(fs->m, id, &d);
	}
	return false;
}

/* The first member >= @from of family @pat, or -1. */
static long family_next(struct memhp_fs *fs, int pat, unsigned long from)
{
	long id;

	switch (pat) {
	case PAT_BLOCK:
		return memhp_next_block(fs->m, from);
	case PAT_FWMAP:
		return memhp_firmware_map_next(fs->m, from);
	case PAT_SYSCTL_VM:
		return family_exists(fs, pat, from) ? (long)from : -1;
	case PAT_VIRTIO:
	case PAT_VIRTIO_PCI:
		id = memhp_vmem_drv_next(fs->m, from);
		return id >= FS_PCI_SLOTS - FS_VIRTIO_PCI_SLOT0 ? -1 : id;
	}
	return -1;
}

static void family_name(const struct fs_node *n, unsigned long id, char *buf, size_t size)
{
	struct memhp_sysctl_info si;

	if (n->pattern == PAT_VIRTIO_PCI)
		snprintf(buf, size, "0000:00:%02lx.0", id + FS_VIRTIO_PCI_SLOT0);
	else if (n->pattern == PAT_SYSCTL_VM)
		snprintf(buf, size, "%s",
			 memhp_sysctl_vm_info((unsigned int)MIN(id, (unsigned long)UINT_MAX), &si)
				 ? ""
				 : si.name);
	else
		snprintf(buf, size, "%s%lu", n->name, id);
}

unsigned long fs_virtio_pci_slot(unsigned long id)
{
	return id + FS_VIRTIO_PCI_SLOT0;
}

/* Has node @nid its directory (registered: online)? */
bool fs_node_online(struct memhp_fs *fs, int nid)
{
	struct memhp_node_info ni;

	return nid >= 0 && !memhp_node_info(fs->m, nid, &ni) && ni.online;
}

int block_nid(struct memhp_fs *fs, unsigned long id)
{
	struct memhp_block_info info;

	if (memhp_block_info(fs->m, id, &info))
		return -ENODEV;
	return info.nid;
}

/* Does the entry @r names exist right now? */
static bool ref_valid(struct memhp_fs *fs, const struct fs_ref *r)
{
	int nid = 0;

	if (r->idx <= N_NONE || r->idx >= N_COUNT || fs_nodes[r->idx].gone)
		return false;
	if (!tree.uses_id[r->idx] && r->id)
		return false;
	if (!tree.uses_node[r->idx] && r->nid)
		return false;
	if (tree.uses_node[r->idx] && !fs_node_online(fs, r->nid))
		return false;
	/* A node lists the CPUs it has; memhp links cpu0 only (sysfs.md). */
	if (r->idx == N_NODE_CPU0 && memhp_cpu_to_node(fs->m, 0) != r->nid)
		return false;
	/* A subtree that exists only with what it shows (a virtio bus needs a
	 * virtio device). */
	for (unsigned int g = tree.guard[r->idx]; g; g = tree.guard[fs_nodes[g].parent])
		if (!fs_nodes[g].exists(fs))
			return false;
	if (tree.uses_id[r->idx] && tree.id_pattern[r->idx] != PAT_BLOCK)
		return family_exists(fs, tree.id_pattern[r->idx], r->id);
	if (tree.uses_id[r->idx]) {
		nid = block_nid(fs, r->id);
		if (nid < 0)
			return false;
		/* A block shows up under its own node only, and its node link
		 * names that node. */
		if (tree.uses_node[r->idx] && nid != r->nid)
			return false;
	}
	return true;
}

static void ref_parent(const struct fs_ref *r, struct fs_ref *p)
{
	unsigned int idx = r->idx == N_ROOT ? N_ROOT : fs_nodes[r->idx].parent;

	p->idx = idx;
	p->nid = tree.uses_node[idx] ? r->nid : 0;
	p->id = tree.uses_id[idx] ? r->id : 0;
}

static nlink_t ref_nlink(struct memhp_fs *fs, const struct fs_ref *r)
{
	const struct fs_node *n = &fs_nodes[r->idx];
	unsigned int pc = tree.pattern_child[r->idx];
	nlink_t nlink;

	if (n->type != FS_DIR)
		return 1;
	/* Like kernfs: 2 plus one for each subdirectory. */
	nlink = 2 + tree.nr_fixed_subdirs[r->idx];
	if (pc && fs_nodes[pc].type == FS_DIR) {
		int pat = fs_nodes[pc].pattern;

		if (pat == PAT_BLOCK)
			nlink += memhp_nr_blocks(fs->m);
		else if (pat == PAT_NODE)
			for (int nid = 0; nid < memhp_nr_node_ids(fs->m); nid++)
				nlink += fs_node_online(fs, nid);
		else if (tree.uses_id[r->idx])
			nlink += 1; /* the one member its parent names */
		else
			for (long id = family_next(fs, pat, 0); id >= 0;
			     id = family_next(fs, pat, (unsigned long)id + 1))
				nlink++;
	}
	return nlink;
}

static unsigned int sysctl_mode(const struct fs_ref *r)
{
	struct memhp_sysctl_info si;

	return memhp_sysctl_vm_info((unsigned int)MIN(r->id, (unsigned long)UINT_MAX), &si)
		       ? 0
		       : si.mode;
}

static void ref_attr(struct memhp_fs *fs, const struct fs_ref *r, struct memhp_fs_attr *a)
{
	const struct fs_node *n = &fs_nodes[r->idx];
	static const mode_t type_bits[] = {
		[FS_DIR] = S_IFDIR, [FS_REG] = S_IFREG, [FS_LNK] = S_IFLNK
	};

	a->ino = fs_ref_ino(r);
	a->mode = type_bits[n->type] | n->mode;
	if (n->pattern == PAT_SYSCTL_VM)
		a->mode = type_bits[n->type] | sysctl_mode(r);
	a->nlink = ref_nlink(fs, r);
	/* sysfs attributes claim a page; procfs, debugfs, directories and
	 * links report 0. */
	a->size = n->type == FS_REG && n->flavor == FL_SYSFS ? FS_PAGE_SIZE : 0;
	a->positional = n->pread != NULL;
}

/* ---- Lookup ------------------------------------------------------------------- */

/* "memory12" -> 12: the prefix, then a canonical decimal number (no sign,
 * no leading zeros), as the kernel names its devices. */
static bool parse_pattern_name(const char *name, const char *prefix, unsigned long max,
			       unsigned long *out)
{
	size_t pl = strlen(prefix);
	const char *s = name + pl;
	unsigned long v = 0;

	if (strncmp(name, prefix, pl) || !*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return true;
}

static int lookup_ref(struct memhp_fs *fs, const struct fs_ref *dir, const char *name,
		      struct fs_ref *out)
{
	unsigned int pc;

	if (fs_nodes[dir->idx].type != FS_DIR)
		return -ENOTDIR;
	if (!strcmp(name, ".")) {
		*out = *dir;
		return 0;
	}
	if (!strcmp(name, "..")) {
		ref_parent(dir, out);
		return 0;
	}
	for (unsigned int c = tree.first_child[dir->idx]; c; c = tree.next_sibling[c]) {
		if (!strcmp(fs_nodes[c].name, name)) {
			out->idx = c;
			out->nid = tree.uses_node[c] ? dir->nid : 0;
			out->id = tree.uses_id[c] ? dir->id : 0;
			/* A name that is gone is found, but is nothing. */
			return fs_nodes[c].gone || ref_valid(fs, out) ? 0 : -ENOENT;
		}
	}
	pc = tree.pattern_child[dir->idx];
	if (pc) {
		unsigned long v;

		out->idx = pc;
		out->nid = dir->nid;
		out->id = dir->id;
		if (fs_nodes[pc].pattern == PAT_NODE) {
			if (!parse_pattern_name(name, fs_nodes[pc].name, INO_MAX_NID, &v))
				return -ENOENT;
			out->nid = (int)v;
		} else {
			char canon[FS_NAME_MAX + 1];

			if (fs_nodes[pc].pattern == PAT_SYSCTL_VM) {
				int i = memhp_sysctl_vm_lookup(name);

				if (i < 0)
					return -ENOENT;
				v = (unsigned long)i;
			} else if (fs_nodes[pc].pattern == PAT_VIRTIO_PCI) {
				/* "0000:00:1f.0": the slot back to a device. */
				unsigned int slot;
				int n = 0;

				if (sscanf(name, "0000:00:%2x.0%n", &slot, &n) != 1 ||
				    (size_t)n != strlen(name) || slot < FS_VIRTIO_PCI_SLOT0)
					return -ENOENT;
				v = slot - FS_VIRTIO_PCI_SLOT0;
			} else if (!parse_pattern_name(name, fs_nodes[pc].name, INO_MAX_ID, &v)) {
				return -ENOENT;
			}
			family_name(&fs_nodes[pc], v, canon, sizeof(canon));
			/* Canonical names only; below a member, only that one. */
			if (strcmp(canon, name) || (tree.uses_id[dir->idx] && v != dir->id))
				return -ENOENT;
			out->id = v;
		}
		if (ref_valid(fs, out))
			return 0;
	}
	return -ENOENT;
}

int memhp_fs_lookup(struct memhp_fs *fs, uint64_t parent, const char *name,
		    struct memhp_fs_attr *attr)
{
	struct fs_ref dir, r;
	int ret;

	ref_from_ino(parent, &dir);
	if (!ref_valid(fs, &dir))
		return -ENOENT;
	ret = lookup_ref(fs, &dir, name, &r);
	if (!ret)
		ref_attr(fs, &r, attr);
	return ret;
}

int memhp_fs_getattr(struct memhp_fs *fs, uint64_t ino, struct memhp_fs_attr *attr)
{
	struct fs_ref r;

	ref_from_ino(ino, &r);
	if (!ref_valid(fs, &r))
		return -ENOENT;
	ref_attr(fs, &r, attr);
	return 0;
}

/* ---- Links and paths -------------------------------------------------------------- */

#define FS_PATH_MAX 4096   /* PATH_MAX */
#define FS_MAX_SYMLINKS 40 /* MAXSYMLINKS: then ELOOP */
#define FS_LINK_MAX 256	   /* longest link target the tree has, with room */

static int ref_readlink(struct memhp_fs *fs, const struct fs_ref *r, char *buf, size_t size)
{
	struct fs_buf b = { 0 };
	int len;

	fs_nodes[r->idx].link(fs, r, &b);
	if (b.s.oom) {
		sbuf_free(&b.s);
		return -ENOMEM;
	}
	if (b.s.len >= size) {
		sbuf_free(&b.s);
		return -ENAMETOOLONG;
	}
	memcpy(buf, b.s.p, b.s.len);
	buf[b.s.len] = '\0';
	len = (int)b.s.len;
	sbuf_free(&b.s);
	return len;
}

ssize_t memhp_fs_readlink(struct memhp_fs *fs, uint64_t ino, char *buf, size_t size)
{
	struct fs_ref r;

	ref_from_ino(ino, &r);
	if (!ref_valid(fs, &r))
		return -ENOENT;
	if (fs_nodes[r.idx].type != FS_LNK)
		return -EINVAL;
	return ref_readlink(fs, &r, buf, size);
}

/*
 * Walk @path from @start (absolute paths from the root). Symbolic links in
 * the middle are always followed, the last one only if @follow; @depth
 * counts the links followed so far.
 */
static int walk(struct memhp_fs *fs, struct fs_ref *cur, const char *path, bool follow, int *depth)
{
	char name[FS_NAME_MAX + 1];
	const char *p = path;

	if (*p == '/') {
		*cur = (struct fs_ref){ .idx = N_ROOT };
		while (*p == '/')
			p++;
	}
	while (*p) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		struct fs_ref next;
		bool last;
		int ret;

		if (n > FS_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, n);
		name[n] = '\0';
		while (*end == '/')
			end++;
		last = !*end;
		/* A trailing slash asks for a directory: follow and check. */
		ret = lookup_ref(fs, cur, name, &next);
		if (!ret && fs_nodes[next.idx].gone)
			ret = -ENOENT;
		if (ret)
			return ret;
		if (fs_nodes[next.idx].type == FS_LNK && (!last || follow || end[-1] == '/')) {
			char target[FS_LINK_MAX];
			struct fs_ref base = *cur;

			if (++*depth > FS_MAX_SYMLINKS)
				return -ELOOP;
			ret = ref_readlink(fs, &next, target, sizeof(target));
			if (ret < 0)
				return ret;
			ret = walk(fs, &base, target, true, depth);
			if (ret)
				return ret;
			next = base;
		}
		if (!last && fs_nodes[next.idx].type != FS_DIR)
			return -ENOTDIR;
		if (last && end > p + n && fs_nodes[next.idx].type != FS_DIR)
			return -ENOTDIR;
		*cur = next;
		p = end;
	}
	return 0;
}

static int resolve(struct memhp_fs *fs, const char *path, bool follow, struct fs_ref *r)
{
	int depth = 0;

	if (!path || path[0] != '/')
		return -EINVAL;
	if (strnlen(path, FS_PATH_MAX) >= FS_PATH_MAX)
		return -ENAMETOOLONG;
	*r = (struct fs_ref){ .idx = N_ROOT };
	return walk(fs, r, path, follow, &depth);
}

int memhp_fs_resolve(struct memhp_fs *fs, const char *path, bool follow, struct memhp_fs_attr *attr)
{
	struct fs_ref r;
	int ret = resolve(fs, path, follow, &r);

	if (!ret)
		ref_attr(fs, &r, attr);
	return ret;
}

/* ---- Directories ------------------------------------------------------------------ */

/* Positions: 1 ".", 2 "..", 3 + k the k-th fixed entry, then the family
 * members at FS_DIR_PATTERN_BASE + their number + 1. */
#define FS_DIR_FIXED_BASE 3
#define FS_DIR_PATTERN_BASE (1ULL << 40)

static int emit(struct memhp_fs *fs, const struct fs_ref *r, const char *name, uint64_t pos,
		memhp_fs_fill_fn fill, void *ctx)
{
	struct memhp_fs_attr a;

	ref_attr(fs, r, &a);
	return fill(ctx, name, &a, pos);
}

int memhp_fs_readdir(struct memhp_fs *fs, uint64_t ino, uint64_t off, memhp_fs_fill_fn fill,
		     void *ctx)
{
	struct fs_ref dir, r;
	uint64_t pos;
	unsigned int pc, k = 0;
	char name[FS_NAME_MAX + 1];

	ref_from_ino(ino, &dir);
	if (!ref_valid(fs, &dir))
		return -ENOENT;
	if (fs_nodes[dir.idx].type != FS_DIR)
		return -ENOTDIR;
	if (off < 1 && emit(fs, &dir, ".", 1, fill, ctx))
		return 0;
	ref_parent(&dir, &r);
	if (off < 2 && emit(fs, &r, "..", 2, fill, ctx))
		return 0;
	for (unsigned int c = tree.first_child[dir.idx]; c; c = tree.next_sibling[c], k++) {
		pos = FS_DIR_FIXED_BASE + k;
		if (pos <= off)
			continue;
		r.idx = c;
		r.nid = tree.uses_node[c] ? dir.nid : 0;
		r.id = tree.uses_id[c] ? dir.id : 0;
		if (!ref_valid(fs, &r))
			continue;
		if (emit(fs, &r, fs_nodes[c].name, pos, fill, ctx))
			return 0;
	}
	pc = tree.pattern_child[dir.idx];
	if (!pc)
		return 0;
	r.idx = pc;
	r.nid = dir.nid;
	r.id = dir.id;
	if (fs_nodes[pc].pattern == PAT_NODE) {
		for (int nid = 0; nid < MEMHP_MAX_NUMNODES; nid++) {
			pos = FS_DIR_PATTERN_BASE + (uint64_t)nid + 1;
			r.nid = nid;
			if (pos <= off || !ref_valid(fs, &r))
				continue;
			snprintf(name, sizeof(name), "%s%d", fs_nodes[pc].name, nid);
			if (emit(fs, &r, name, pos, fill, ctx))
				return 0;
		}
		return 0;
	}
	{
		unsigned long from = off >= FS_DIR_PATTERN_BASE ? off - FS_DIR_PATTERN_BASE : 0;
		int pat = fs_nodes[pc].pattern;

		for (long id = family_next(fs, pat, from); id >= 0;
		     id = family_next(fs, pat, (unsigned long)id + 1)) {
			r.id = (unsigned long)id;
			if (tree.uses_id[dir.idx] && r.id != dir.id)
				continue;
			if (!ref_valid(fs, &r))
				continue;
			family_name(&fs_nodes[pc], r.id, name, sizeof(name));
			if (emit(fs, &r, name, FS_DIR_PATTERN_BASE + (uint64_t)id + 1, fill, ctx))
				return 0;
		}
	}
	return 0;
}

/* ---- Open, read, write -------------------------------------------------------------- */

static int open_check(const struct fs_ref *r, int flags)
{
	const struct fs_node *n = &fs_nodes[r->idx];
	int acc = flags & O_ACCMODE;
	bool rd = acc == O_RDONLY || acc == O_RDWR, wr = acc == O_WRONLY || acc == O_RDWR;

	if (n->type == FS_DIR)
		return wr ? -EISDIR : 0;
	/* syslog(2)'s file is refused as the call is (docs/sysfs.md). */
	if (n->flavor == FL_SYSLOG)
		return -EPERM;
	/* proc_sys_permission(): root too needs the owner's bit. */
	if (n->flavor == FL_SYSCTL)
		return (rd && !(sysctl_mode(r) & 0400)) || (wr && !(sysctl_mode(r) & 0200))
			       ? -EACCES
			       : 0;
	if (n->flavor != FL_SYSFS)
		return 0;
	/* kernfs_fop_open(): even root needs the mode bit and the method. */
	if (rd && (!(n->mode & 0444) || !n->show))
		return -EACCES;
	if (wr && (!(n->mode & 0222) || !n->store))
		return -EACCES;
	return 0;
}

int memhp_fs_open(struct memhp_fs *fs, uint64_t ino, int flags)
{
	struct fs_ref r;

	ref_from_ino(ino, &r);
	if (!ref_valid(fs, &r))
		return -ENOENT;
	return open_check(&r, flags);
}

/* What a fresh open of /dev/kmsg reads first: the oldest record there is,
 * or -EAGAIN (as with O_NONBLOCK) when there is none. */
static ssize_t render_kmsg(struct memhp_fs *fs, char **out)
{
	struct memhp_kmsg *k;
	ssize_t len;
	char *buf;

	if (memhp_kmsg_open(fs->m, &k))
		return -ENOMEM;
	buf = malloc(MEMHP_KMSG_RECORD_MAX);
	len = buf ? memhp_kmsg_read(k, buf, MEMHP_KMSG_RECORD_MAX, true, NULL) : -ENOMEM;
	memhp_kmsg_close(k);
	if (len < 0) {
		free(buf);
		return len;
	}
	*out = buf;
	return len;
}

/* ---- Interruptible reads and writes ---------------------------------------------------- */

/* lock_device_hotplug_sysfs() sleeps this long before it restarts the
 * write; a waiter here retries at least this often. */
#define FS_RESTART_MS 5

struct memhp_fs_req {
	struct memhp_fs *fs;
	pthread_mutex_t lock;
	bool interrupted;
	uid_t uid; /* the opener's, for what a show shows */
	pid_t pid; /* the writer, for what the kernel logs */
	char comm[MEMHP_TASK_COMM_LEN];
	struct memhp_task *task;   /* the thread running the store, if any */
	struct memhp_fs_req *next; /* fs->reqs, under fs->reqs_lock */
};

struct memhp_fs_req *memhp_fs_req_new(struct memhp_fs *fs)
{
	struct memhp_fs_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->fs = fs;
	pthread_mutex_init(&req->lock, NULL);
	pthread_mutex_lock(&fs->reqs_lock);
	req->interrupted = fs->shutdown;
	req->next = fs->reqs;
	fs->reqs = req;
	pthread_mutex_unlock(&fs->reqs_lock);
	return req;
}

void memhp_fs_req_set_task(struct memhp_fs_req *req, pid_t pid, const char *comm)
{
	req->pid = pid;
	snprintf(req->comm, sizeof(req->comm), "%s", comm ? comm : "");
}

void memhp_fs_req_set_uid(struct memhp_fs_req *req, uid_t uid)
{
	req->uid = uid;
}

void memhp_fs_req_free(struct memhp_fs_req *req)
{
	struct memhp_fs *fs;

	if (!req)
		return;
	fs = req->fs;
	pthread_mutex_lock(&fs->reqs_lock);
	for (struct memhp_fs_req **p = &fs->reqs; *p; p = &(*p)->next) {
		if (*p == req) {
			*p = req->next;
			break;
		}
	}
	pthread_mutex_unlock(&fs->reqs_lock);
	pthread_mutex_destroy(&req->lock);
	free(req);
}

static void wake_waiters(struct memhp_fs *fs, bool new_store)
{
	pthread_mutex_lock(&fs->wait_lock);
	if (new_store)
		fs->store_seq++;
	pthread_cond_broadcast(&fs->wait_cond);
	pthread_mutex_unlock(&fs->wait_lock);
}

void memhp_fs_req_interrupt(struct memhp_fs_req *req)
{
	pthread_mutex_lock(&req->lock);
	req->interrupted = true;
	/* The store polls this in its migration loop: offline_pages() then
	 * backs off with -EINTR, as on a signal. */
	if (req->task)
		memhp_task_signal(req->task);
	pthread_mutex_unlock(&req->lock);
	wake_waiters(req->fs, false);
}

void memhp_fs_shutdown(struct memhp_fs *fs)
{
	pthread_mutex_lock(&fs->reqs_lock);
	fs->shutdown = true;
	for (struct memhp_fs_req *req = fs->reqs; req; req = req->next)
		memhp_fs_req_interrupt(req);
	pthread_mutex_unlock(&fs->reqs_lock);
}

static unsigned long store_seq(struct memhp_fs *fs)
{
	unsigned long seq;

	pthread_mutex_lock(&fs->wait_lock);
	seq = fs->store_seq;
	pthread_mutex_unlock(&fs->wait_lock);
	return seq;
}

/* Wait until a store has finished since @seq, the restart interval has
 * passed, or @req is interrupted. */
static void wait_for_store(struct memhp_fs *fs, struct memhp_fs_req *req, unsigned long seq)
{
	struct timespec ts;
	bool interrupted;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += FS_RESTART_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&req->lock);
	interrupted = req->interrupted;
	pthread_mutex_unlock(&req->lock);
	pthread_mutex_lock(&fs->wait_lock);
	if (!interrupted && fs->store_seq == seq)
		pthread_cond_timedwait(&fs->wait_cond, &fs->wait_lock, &ts);
	pthread_mutex_unlock(&fs->wait_lock);
}

static bool req_interrupted(struct memhp_fs_req *req)
{
	bool ret;

	pthread_mutex_lock(&req->lock);
	ret = req->interrupted;
	pthread_mutex_unlock(&req->lock);
	return ret;
}

/*
 * Render @r's contents into a new buffer. Without @req the read is root's
 * and a show that takes a lock waits for it, as a read(2) does. With @req
 * a show that finds its lock taken says -EAGAIN; the read then waits as a
 * writer does (wait_for_store()) and gives up with -EINTR once @req is
 * interrupted, as a read(2) in the kernel's killable wait does.
 * Returns the length, or -EISDIR, -EINVAL (a link), -EACCES, -ENOMEM,
 * -EINTR, or the show function's errno.
 */
static ssize_t render_ref(struct memhp_fs *fs, const struct fs_ref *r, char **out,
			  struct memhp_fs_req *req)
{
	const struct fs_node *n = &fs_nodes[r->idx];
	struct fs_buf b = { 0 };
	int ret;

	*out = NULL;
	if (n->type == FS_DIR)
		return -EISDIR;
	if (n->type == FS_LNK)
		return -EINVAL;
	if (n->pread)
		return -EINVAL;
	if (n->flavor == FL_KMSG)
		return render_kmsg(fs, out);
	if (!n->show)
		return -EACCES;
	for (;;) {
		unsigned long seq = store_seq(fs);

		if (req && req_interrupted(req))
			return -EINTR;
		b = (struct fs_buf){ .nonblock = req != NULL, .admin = !req || req->uid == 0 };
		if (!sbuf_reserve(&b.s, FS_PAGE_SIZE))
			return -ENOMEM;
		ret = n->show(fs, r, &b);
		if (ret != -EAGAIN || !req)
			break;
		sbuf_free(&b.s);
		wait_for_store(fs, req, seq);
	}
	if (ret < 0) {
		sbuf_free(&b.s);
		return ret;
	}
	if (b.s.oom) {
		sbuf_free(&b.s);
		return -ENOMEM;
	}
	*out = b.s.p;
	return (ssize_t)b.s.len;
}

ssize_t memhp_fs_render(struct memhp_fs *fs, uint64_t ino, char **out, struct memhp_fs_req *req)
{
	struct fs_ref r;

	*out = NULL;
	ref_from_ino(ino, &r);
	if (!ref_valid(fs, &r))
		return -ENOENT;
	return render_ref(fs, &r, out, req);
}

static ssize_t pread_ref(struct memhp_fs *fs, const struct fs_ref *r, void *buf, size_t size,
			 uint64_t off)
{
	const struct fs_node *n = &fs_nodes[r->idx];

	if (n->type == FS_DIR)
		return -EISDIR;
	if (!n->pread)
		return -EINVAL;
	return n->pread(fs, r, buf, size, off);
}

ssize_t memhp_fs_pread(struct memhp_fs *fs, uint64_t ino, void *buf, size_t size, uint64_t off)
{
	struct fs_ref r;

	ref_from_ino(ino, &r);
	if (!ref_valid(fs, &r))
		return -ENOENT;
	return pread_ref(fs, &r, buf, size, off);
}

ssize_t memhp_fs_read(struct memhp_fs *fs, const char *path, char *buf, size_t size)
{
	struct fs_ref r;
	char *data;
	ssize_t len;
	int ret;

	ret = resolve(fs, path, true, &r);
	if (!ret)
		ret = open_check(&r, O_RDONLY);
	if (ret)
		return ret;
	if (fs_nodes[r.idx].pread)
		return pread_ref(fs, &r, buf, size, 0);
	len = render_ref(fs, &r, &data, NULL);
	if (len < 0)
		return len;
	/* devkmsg_read() takes a whole record or nothing. */
	if (fs_nodes[r.idx].flavor == FL_KMSG && (size_t)len > size) {
		free(data);
		return -EINVAL;
	}
	len = MIN(len, (ssize_t)size);
	memcpy(buf, data, (size_t)len);
	free(data);
	return len;
}

/* Run @n's store for the bytes of one write; see memhp_fs_write_ino(). */
static ssize_t run_store(struct memhp_fs *fs, const struct fs_node *n, const struct fs_ref *r,
			 const char *buf, size_t len, struct memhp_fs_req *req)
{
	struct memhp_task *task = memhp_current_task();
	ssize_t ret;

	if (!req) {
		ret = n->store(fs, r, buf, len, false);
		wake_waiters(fs, true);
		return ret;
	}
	for (;;) {
		unsigned long seq = store_seq(fs);

		pthread_mutex_lock(&req->lock);
		if (req->interrupted) {
			pthread_mutex_unlock(&req->lock);
			return -EINTR;
		}
		/* A signal left over from an interrupt that came too late for an
		 * earlier request on this thread must not stop this one. */
		memhp_task_clear_signal(task);
		req->task = task;
		pthread_mutex_unlock(&req->lock);

		ret = n->store(fs, r, buf, len, true);

		pthread_mutex_lock(&req->lock);
		req->task = NULL;
		pthread_mutex_unlock(&req->lock);
		memhp_task_clear_signal(task);
		if (ret != -EAGAIN) {
			wake_waiters(fs, true);
			return ret;
		}
		/* The device hotplug lock is taken: the kernel restarts the
		 * system call; we wait for the holder, or for an interrupt. */
		wait_for_store(fs, req, seq);
	}
}

static ssize_t write_ref(struct memhp_fs *fs, const struct fs_ref *r, const char *buf, size_t len,
			 struct memhp_fs_req *req)
{
	const struct fs_node *n = &fs_nodes[r->idx];
	char *copy;
	ssize_t ret;

	if (n->type == FS_DIR)
		return -EISDIR;
	if (n->type == FS_LNK)
		return -EINVAL;
	if (n->flavor == FL_PROC && !n->store)
		return -EIO; /* pde_write() without a proc_write */
	if (n->flavor == FL_SYSCTL)
		return memhp_sysctl_vm_write(
			fs->m, (unsigned int)MIN(r->id, (unsigned long)UINT_MAX), buf, len,
			req && req->pid ? req->comm : NULL, req ? req->pid : 0);
	if (n->flavor == FL_KMSG)
		return memhp_kmsg_write(fs->m, buf, len);
	if (!n->store)
		return -EACCES;
	if (n->flavor == FL_SYSFS) {
		if (!len)
			return 0; /* sysfs_kf_write() */
		len = MIN(len, (size_t)FS_PAGE_SIZE);
	}
	/* kernfs hands the store a NUL-terminated copy. */
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	ret = run_store(fs, n, r, copy, len, req);
	free(copy);
	return ret;
}

ssize_t memhp_fs_write_ino(struct memhp_fs *fs, uint64_t ino, const char *buf, size_t len,
			   struct memhp_fs_req *req)
{
	struct fs_ref r;

	ref_from_ino(ino, &r);
	if (!ref_valid(fs, &r))
		return -ENOENT;
	return write_ref(fs, &r, buf, len, req);
}

ssize_t memhp_fs_write(struct memhp_fs *fs, const char *path, const char *buf, size_t len)
{
	struct fs_ref r;
	int ret;

	ret = resolve(fs, path, true, &r);
	if (!ret)
		ret = open_check(&r, O_WRONLY);
	if (ret)
		return ret;
	return write_ref(fs, &r, buf, len, NULL);
}

/* ---- Output buffers ------------------------------------------------------------------- */

void buf_printf(struct fs_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&b->s, fmt, ap);
	va_end(ap);
}

void buf_puts(struct fs_buf *b, const char *s)
{
	sbuf_adds(&b->s, s);
}

/* ---- Lifetime --------------------------------------------------------------------- */

/* Device state kept by the tree dies with its memory block. */
/* The core's block events are the uevents of the memory block devices. */
#define FS_BLOCK_EVENTS                                                                 \
	(MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_ADD) | MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_REMOVE) | \
	 MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_ONLINE) | MEMHP_EVENT_BIT(MEMHP_EV_BLOCK_OFFLINE))

static void fs_block_event(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct memhp_fs *fs = priv;
	char devpath[FS_DEVPATH_MAX];
	enum memhp_kobject_action action;

	(void)m;
	switch (ev->type) {
	case MEMHP_EV_BLOCK_ADD:
		action = MEMHP_KOBJ_ADD;
		break;
	case MEMHP_EV_BLOCK_REMOVE:
		action = MEMHP_KOBJ_REMOVE;
		pm_forget_block(fs, ev->block.id);
		break;
	case MEMHP_EV_BLOCK_ONLINE:
		action = MEMHP_KOBJ_ONLINE;
		break;
	case MEMHP_EV_BLOCK_OFFLINE:
		action = MEMHP_KOBJ_OFFLINE;
		break;
	default:
		return;
	}
	snprintf(devpath, sizeof(devpath), "/devices/system/memory/memory%lu", ev->block.id);
	/* An event that does not fit is lost, as the kernel loses it. */
	(void)fs_uevent(fs, action, devpath, "memory", NULL);
}

int memhp_fs_create(struct memhp_machine *m, struct memhp_fs **out)
{
	struct memhp_fs *fs;
	int ret;

	*out = NULL;
	pthread_once(&tree_once, tree_init);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->m = m;
	pthread_mutex_init(&fs->wait_lock, NULL);
	pthread_cond_init(&fs->wait_cond, NULL);
	pthread_mutex_init(&fs->reqs_lock, NULL);
	pthread_mutex_init(&fs->pm_lock, NULL);
	fs_mm_knobs_init(fs);
	pthread_mutex_init(&fs->uevent_lock, NULL);
	ret = memhp_event_subscribe(m, FS_BLOCK_EVENTS, fs_block_event, fs);
	if (ret) {
		memhp_fs_destroy(fs);
		return ret;
	}
	fs->subscribed = true;
	ret = err_inject_init(fs);
	if (ret) {
		memhp_fs_destroy(fs);
		return ret;
	}
	*out = fs;
	return 0;
}

struct memhp_machine *memhp_fs_machine(struct memhp_fs *fs)
{
	return fs->m;
}

void memhp_fs_destroy(struct memhp_fs *fs)
{
	if (!fs)
		return;
	err_inject_exit(fs);
	if (fs->subscribed)
		memhp_event_unsubscribe(fs->m, fs_block_event, fs);
	pthread_mutex_destroy(&fs->uevent_lock);
	pthread_mutex_destroy(&fs->pm_lock);
	fs_mm_knobs_destroy(fs);
	pthread_mutex_destroy(&fs->reqs_lock);
	pthread_cond_destroy(&fs->wait_cond);
	pthread_mutex_destroy(&fs->wait_lock);
	free(fs);
}
