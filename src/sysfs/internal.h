/* SPDX-License-Identifier: MIT */
/*
 * src/sysfs/internal.h - what the file tree's files share.
 *
 * The tree is a static table of nodes (tree.c). A node is a directory, a
 * regular file or a symbolic link; a node may stand for a family of
 * entries ("memory%lu" under /sys/devices/system/memory, "node%d" under
 * /sys/devices/system/node), and everything below such a node carries the
 * block id or node id it was reached with. An inode number packs the node
 * index with those parameters, so it is stable and needs no bookkeeping.
 */
#ifndef MEMHP_SYSFS_INTERNAL_H
#define MEMHP_SYSFS_INTERNAL_H

#include "../lib/kstrtox.h"
#include "../lib/sbuf.h"

#include <memhp/fs.h>
#include <memhp/memhp.h>
#include <memhp/virtio_mem_driver.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* PAGE_SIZE of the modelled kernel: a sysfs show fills at most a page and
 * a sysfs store sees at most a page (kernfs_fop_write_iter). */
#define FS_PAGE_SIZE MEMHP_PAGE_SIZE
/* "/devices/system/memory/memory%lu" and "memory%lu" fit. */
#define FS_DEVPATH_MAX 64

/* ---- Output buffers ---------------------------------------------------- */

/* The text of a show function, in a growing buffer (procfs files can
 * exceed a page), with what the read asks of the show function: @nonblock,
 * a show that would wait for a lock returns -EAGAIN instead (the tree then
 * waits, interruptibly); @admin, the reader has CAP_SYS_ADMIN (what
 * /proc/iomem shows depends on it). */
struct fs_buf {
	struct sbuf s;
	bool nonblock;
	bool admin;
};

void buf_printf(struct fs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_puts(struct fs_buf *b, const char *s);

/* ---- The tree ------------------------------------------------------------ */

enum fs_type { FS_DIR, FS_REG, FS_LNK };

/* What a file behaves like when it is opened and written. */
enum fs_flavor {
	FL_SYSFS,   /* kernfs: EACCES at open without the access, a page at most */
	FL_PROC,    /* procfs: root may open anything, writes without a handler: EIO */
	FL_DEBUGFS, /* debugfs simple attributes: 0600, st_size 0 */
	FL_KMSG,    /* /dev/kmsg: a record per read, a record per write (memhp/printk.h) */
	FL_SYSLOG,  /* /proc/kmsg: syslog(2)'s reader, which memhp refuses: EPERM */
	FL_SYSCTL,  /* /proc/sys: even root needs the mode bit (proc_sys_permission()) */
};

/* Families of entries. */
enum fs_pattern {
	PAT_NONE,
	PAT_BLOCK,	/* "memory%lu": a present memory block */
	PAT_NODE,	/* "node%d": an online node */
	PAT_FWMAP,	/* "%lu": an entry of the firmware memory map */
	PAT_VIRTIO,	/* "virtio%lu": a virtio device bound to virtio_mem */
	PAT_VIRTIO_PCI, /* "0000:00:%02lx.0": its PCI function */
	PAT_SYSCTL_VM,	/* a file of /proc/sys/vm, by its index (memhp/sysctl.h) */
};

/* Where a node was reached: the parameters of the families above it. */
struct fs_ref {
	unsigned int idx;
	int nid;
	unsigned long id;
};

/* Strings in sysfs and procfs files are rendered into a struct fs_buf;
 * show functions return 0 or a negative errno. Store functions get the
 * bytes of one write (NUL-terminated at @len, as kernfs hands them on)
 * and return the count or a negative errno; @nonblock as for the
 * memhp_store_* functions. */
typedef int (*fs_show_fn)(struct memhp_fs *fs, const struct fs_ref *r, struct fs_buf *b);
typedef ssize_t (*fs_store_fn)(struct memhp_fs *fs, const struct fs_ref *r, const char *buf,
			       size_t len, bool nonblock);
typedef void (*fs_link_fn)(struct memhp_fs *fs, const struct fs_ref *r, struct fs_buf *b);
/* A file read by position (fs.h, memhp_fs_pread()): bytes stored, 0 at
 * the end, or a negative errno. */
typedef ssize_t (*fs_pread_fn)(struct memhp_fs *fs, const struct fs_ref *r, void *buf, size_t size,
			       uint64_t off);

struct fs_node {
	const char *name; /* the prefix for a pattern node */
	unsigned short parent;
	unsigned char type;    /* enum fs_type */
	unsigned char flavor;  /* enum fs_flavor */
	unsigned char pattern; /* enum fs_pattern */
	unsigned short mode;   /* permission bits */
	fs_show_fn show;
	fs_store_fn store;
	fs_link_fn link;
	fs_pread_fn pread;
	/* A directory that is there only while this says so (and everything
	 * below it): the virtio bus, the virtio_mem module. */
	bool (*exists)(struct memhp_fs *fs);
	/* Found by memhp_fs_lookup() and nothing else (fs.h): /proc/kcore. */
	bool gone;
};

/* ---- /sys/kernel/mm (kernel_mm.c) ------------------------------------------ */

#define FS_MM_KNOBS_MAX 40
#define FS_MM_KNOB_LEN 24
void fs_mm_knobs_init(struct memhp_fs *fs);
void fs_mm_knobs_destroy(struct memhp_fs *fs);

/* ---- Per-device runtime PM state (power/control) ------------------------ */

#define FS_MAX_PM_FORBIDDEN 1024

/* ---- The error injector (error_inject.c) ----------------------------------- */

struct err_inject {
	struct memhp_notifier_block nb;
	_Atomic int going_online; /* errno to inject, 0 or in [-MAX_ERRNO, -1] */
	_Atomic int going_offline;
	pthread_mutex_t lock; /* serialises re-registration */
	_Atomic int priority;
	bool registered;
};

int err_inject_init(struct memhp_fs *fs);
void err_inject_exit(struct memhp_fs *fs);

/* ---- The tree object ---------------------------------------------------- */

struct memhp_fs {
	struct memhp_machine *m;
	struct err_inject inject;
	bool subscribed; /* fs_block_event() sends the blocks' uevents */

	/* Writers that found the device hotplug lock taken wait here until a
	 * store has run (or a restart interval passed: somebody other than
	 * the tree may hold the lock). */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;
	unsigned long store_seq;

	/* Interruptible writes, for memhp_fs_shutdown(). */
	pthread_mutex_t reqs_lock;
	struct memhp_fs_req *reqs;
	bool shutdown;

	/* /sys/kernel/mm's values (kernel_mm.c), as the files show them. */
	pthread_mutex_t mm_lock;
	char mm_knob[FS_MM_KNOBS_MAX][FS_MM_KNOB_LEN];

	/* Devices whose power/control reads "on" (pm_runtime_forbid()), by the
	 * inode number of their power directory. */
	pthread_mutex_t pm_lock;
	uint64_t pm_forbidden[FS_MAX_PM_FORBIDDEN];
	unsigned int nr_pm_forbidden;

	/* uevent_sock_mutex: the sequence number, the helper's path and the
	 * listener, so that events are numbered and delivered in order. */
	pthread_mutex_t uevent_lock;
	unsigned long long uevent_seqnum;
	char uevent_helper[MEMHP_UEVENT_HELPER_PATH_LEN];
	memhp_uevent_fn uevent_fn;
	void *uevent_priv;
	_Atomic bool bus_noautoprobe;	 /* /sys/bus/memory/drivers_autoprobe */
	_Atomic bool node_noautoprobe;	 /* /sys/bus/node/drivers_autoprobe */
	_Atomic bool virtio_noautoprobe; /* /sys/bus/virtio/drivers_autoprobe */
};

/* struct kobj_uevent_env: "KEY=value" strings in one buffer. */
#define UEVENT_BUFFER_SIZE 2048
struct fs_uevent_env {
	const char *envp[MEMHP_UEVENT_NUM_ENVP + 1];
	unsigned int keys;
	size_t buflen;
	char buf[UEVENT_BUFFER_SIZE];
};

/* sysfs.c: send a uevent for @devpath (from /sys, e.g.
 * "/devices/system/memory/memory32"), with @extra's keys after SUBSYSTEM.
 * Returns 0 or -ENOMEM. */
int fs_uevent(struct memhp_fs *fs, enum memhp_kobject_action action, const char *devpath,
	      const char *subsystem, const struct fs_uevent_env *extra);

/* Show and store functions, one file per area. */
extern const struct fs_node fs_nodes[];
extern const unsigned int fs_nr_nodes;

/* ---- Show, store and link functions of the table -------------------------- */

/* Every show, store and link has the same parameters; many use few. */
#define FS_UNUSED __attribute__((unused))
#define FS_SHOW(name)                                                             \
	int name(struct memhp_fs *fs FS_UNUSED, const struct fs_ref *r FS_UNUSED, \
		 struct fs_buf *b FS_UNUSED)
#define FS_STORE(name)                                                                \
	ssize_t name(struct memhp_fs *fs FS_UNUSED, const struct fs_ref *r FS_UNUSED, \
		     const char *buf FS_UNUSED, size_t len FS_UNUSED, bool nonblock FS_UNUSED)
#define FS_LINK(name)                                                              \
	void name(struct memhp_fs *fs FS_UNUSED, const struct fs_ref *r FS_UNUSED, \
		  struct fs_buf *b FS_UNUSED)

/* sysfs.c: /sys/devices/system/{memory,node}, /sys/bus/memory, parameters */
FS_STORE(store_soft_offline_page);
FS_STORE(store_hard_offline_page);
FS_SHOW(show_block_size_bytes);
FS_SHOW(show_auto_online_blocks);
FS_STORE(store_auto_online_blocks);
FS_SHOW(show_empty);
FS_SHOW(show_blk_uevent);
FS_STORE(store_dev_uevent);
FS_STORE(store_bus_uevent);
FS_SHOW(show_pm_autosuspend);
FS_STORE(store_pm_autosuspend);
FS_SHOW(show_pm_control);
FS_STORE(store_pm_control);
FS_SHOW(show_pm_zero);
FS_SHOW(show_pm_status);
FS_SHOW(show_blk_online);
FS_STORE(store_blk_online);
FS_SHOW(show_blk_phys_device);
FS_SHOW(show_blk_phys_index);
FS_SHOW(show_blk_removable);
FS_SHOW(show_blk_state);
FS_STORE(store_blk_state);
FS_SHOW(show_blk_valid_zones);
FS_LINK(link_blk_node);
FS_LINK(link_blk_subsystem);
FS_SHOW(show_nodes_cpu);
FS_SHOW(show_nodes_generic_initiator);
FS_SHOW(show_nodes_memory);
FS_SHOW(show_nodes_normal_memory);
FS_SHOW(show_nodes_online);
FS_SHOW(show_nodes_possible);
FS_STORE(store_node_compact);
FS_SHOW(show_node_cpulist);
FS_SHOW(show_node_cpumap);
FS_SHOW(show_node_distance);
FS_LINK(link_node_cpu);
FS_LINK(link_node_subsystem);
FS_LINK(link_node_memory);
FS_SHOW(show_hugepages_zero);
FS_STORE(store_nr_hugepages);
FS_SHOW(show_node_hp_nr);
FS_SHOW(show_node_hp_free);
FS_SHOW(show_node_hp_surplus);
FS_SHOW(show_hp_nr);
FS_SHOW(show_hp_free);
FS_SHOW(show_hp_surplus);
FS_SHOW(show_hp_resv);
FS_SHOW(show_hp_overcommit);
FS_STORE(store_hp_nr);
FS_STORE(store_hp_overcommit);
FS_SHOW(show_bus_autoprobe);
FS_STORE(store_bus_autoprobe);
FS_STORE(store_bus_probe);
FS_LINK(link_bus_device);
FS_SHOW(show_param);
FS_STORE(store_param);
FS_SHOW(show_uevent_helper);
FS_STORE(store_uevent_helper);
FS_SHOW(show_uevent_seqnum);

/* procfs.c: /proc files and the node files that share their counters */
FS_SHOW(show_meminfo);
FS_SHOW(show_zoneinfo);
FS_SHOW(show_buddyinfo);
FS_SHOW(show_pagetypeinfo);
FS_SHOW(show_node_meminfo);
FS_SHOW(show_node_numastat);
FS_SHOW(show_node_vmstat);

FS_SHOW(show_iomem);
FS_SHOW(show_vmstat);
FS_SHOW(show_slabinfo);
FS_SHOW(show_cmdline);
FS_SHOW(show_swaps);
FS_SHOW(show_pressure_memory);
FS_SHOW(show_sysctl_vm);
FS_SHOW(show_mm_knob);
FS_STORE(store_mm_knob);
FS_STORE(store_pressure_memory);
ssize_t pread_kpageflags(struct memhp_fs *fs, const struct fs_ref *r, void *buf, size_t size,
			 uint64_t off);
ssize_t pread_kpagecount(struct memhp_fs *fs, const struct fs_ref *r, void *buf, size_t size,
			 uint64_t off);

/* devices.c: /sys/bus/{node,virtio}, virtio devices, /sys/module/virtio_mem,
 * /sys/firmware/memmap */
bool fs_has_virtio(struct memhp_fs *fs);
FS_SHOW(show_fwmap_start);
FS_SHOW(show_fwmap_end);
FS_SHOW(show_fwmap_type);
FS_SHOW(show_bus2_autoprobe);
FS_STORE(store_bus2_autoprobe);
FS_STORE(store_bus2_probe);
FS_STORE(store_bus2_uevent);
FS_STORE(store_drv_uevent);
FS_LINK(link_node_bus_device);
FS_LINK(link_virtio_bus_device);
FS_LINK(link_virtio_driver_device);
FS_LINK(link_virtio_driver_module);
FS_LINK(link_virtio_dev_driver);
FS_LINK(link_virtio_dev_subsystem);
FS_SHOW(show_virtio_device);
FS_SHOW(show_virtio_vendor);
FS_SHOW(show_virtio_status);
FS_SHOW(show_virtio_modalias);
FS_SHOW(show_virtio_uevent);
FS_SHOW(show_vmem_param);
FS_STORE(store_vmem_unplug_online);
FS_LINK(link_module_driver);
FS_SHOW(show_module_initstate);
FS_SHOW(show_module_refcnt);

/* error_inject.c: debugfs notifier-error-inject/memory */
FS_SHOW(show_inject_priority);
FS_STORE(store_inject_priority);
FS_SHOW(show_inject_error);
FS_STORE(store_inject_error);

/* anon_memory.c: debugfs memhp/anon_memory */
FS_SHOW(show_anon_memory);
FS_STORE(store_anon_memory);

/* tree.c */
uint64_t fs_ref_ino(const struct fs_ref *r);
/* The node id of block @id, or -ENODEV. */
int block_nid(struct memhp_fs *fs, unsigned long id);
bool fs_node_online(struct memhp_fs *fs, int nid);
/* The PCI slot of virtio device @id (its function is 0000:00:SLOT.0). */
unsigned long fs_virtio_pci_slot(unsigned long id);

/* sysfs.c */
void pm_forget_block(struct memhp_fs *fs, unsigned long id);
/* kobject_synth_uevent() of a write to a uevent file of @devpath (NULL:
 * parsed, then dropped): the count or a negative errno. */
ssize_t fs_synth_uevent(struct memhp_fs *fs, const char *devpath, const char *subsystem,
			const char *buf, size_t count);

#endif /* MEMHP_SYSFS_INTERNAL_H */
