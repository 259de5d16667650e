/* SPDX-License-Identifier: MIT */
/*
 * src/cli/machine_opts.h - the machine options every command that runs a
 * machine takes (serve, shell, and later run, demo), in QEMU's words, so
 * that a QEMU command line works as it is:
 *
 *   -m [size=]SIZE[,slots=N][,maxmem=SIZE]   boot RAM, q35 layout
 *   --maxmem SIZE                            ... or the same as an option
 *   -object memory-backend-ram,id=ID,size=SIZE
 *   -device pc-dimm,id=ID,memdev=ID[,addr=ADDR][,slot=N][,node=N]
 *   -device virtio-mem-pci,id=ID,memdev=ID[,requested-size=SIZE]
 *           [,block-size=SIZE][,memaddr=ADDR][,node=N]
 *           [,unplugged-inaccessible=on|off]
 *   -device virtio-balloon-pci[,id=ID][,deflate-on-oom=on]
 *           [,free-page-reporting=on][,page-poison=on|off]
 *   -machine q35, -accel tcg|kvm, and harmless display options
 *   --device pc-dimm|virtio-mem,id=ID,size=SIZE,...  memhp's shorthand:
 *                                            the device carries its
 *                                            backend's size
 *   --auto-online offline|online|online_kernel|online_movable
 *   --protocol 6.1|2025
 *   --block-size SIZE
 *
 *   -smp [cpus=]N
 *   -numa node,nodeid=N[,memdev=ID][,cpus=A[-B]]   boot RAM and CPUs by node
 *   -numa dist,src=A,dst=B,val=D                   the SLIT's entries
 *   -append "KERNEL PARAMETERS"   those that change memory hotplug
 *
 * and memhp's own, for what runs inside the guest:
 *
 *   --anon-memory SIZE[,pinned]   shared anonymous memory in use from
 *                                 start-up: a file of the machine's
 *                                 internal tmpfs (memhp_anon_memory_set());
 *                                 pinned: it cannot be migrated
 *   --guest-kernel on|off[,KEY=VALUE...]
 *                                 the guest kernel at work (memhp/guest.h):
 *                                 boot allocations, idle churn, programs
 *
 * Errors are QEMU's where QEMU has one (with its "-device ARG: " prefix);
 * QEMU options memhp cannot model are refused by name.
 *
 * Commands parse their own options and offer each argument here first.
 */
#ifndef MEMHP_CLI_MACHINE_OPTS_H
#define MEMHP_CLI_MACHINE_OPTS_H

#include <memhp/acpi_memory.h>
#include <memhp/memhp.h>
#include <memhp/virtio_balloon.h>
#include <memhp/virtio_mem_driver.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#define MACHINE_MAX_DEVICES 256
/* Options in one -device, -object or -m argument, at most. */
#define MACHINE_MAX_OPTS 64
/* tmpfs instances a front end mounts (/dev/shm, /run/memhp/tmp, --tmpfs). */
#define MACHINE_MAX_TMPFS 16
#define MACHINE_ID_MAX 64
/* QEMU's default RAM size (-m not given). */
#define MACHINE_DEFAULT_RAM (128 * MEMHP_MiB)
/* The least RAM memhp builds a machine with: Debian's 6.1 kernel booted
 * under QEMU here with -m 96M (MemTotal 49152 kB) and not with -m 64M.
 * QEMU itself starts a machine of any size. */
#define MACHINE_MIN_RAM (96 * MEMHP_MiB)
/* x86 QEMU's ACPI_MAX_RAM_SLOTS: most memory slots -m takes. */
#define MACHINE_MAX_SLOTS 256
/* How often the virtio-mem drivers' clock (their retry timer) is moved on
 * to the wall clock's time. */
#define MACHINE_DRIVER_TICK_MS 1000
/* --guest-kernel: the largest rate it takes (per second or minute), and
 * what per-million means. */
#define MACHINE_GUEST_MAX_RATE 1000000UL
#define MACHINE_GUEST_PPM 1000000UL

enum machine_device_kind { MACHINE_PC_DIMM, MACHINE_VIRTIO_MEM, MACHINE_VIRTIO_BALLOON };

/* -object memory-backend-ram,id=ID,size=SIZE */
struct machine_backend {
	char id[MACHINE_ID_MAX];
	uint64_t size;
};

struct machine_device {
	enum machine_device_kind kind;
	/* --device (memhp's shorthand: size= on the device, DIMMs without
	 * slots) rather than QEMU's -device */
	bool memhp_syntax;
	const char *opt, *arg; /* as given, for QEMU's "-device ARG: " */
	char id[MACHINE_ID_MAX];
	/* the memory backend's id; for memhp's size= form "mem<N>" when not
	 * given */
	char memdev[MACHINE_ID_MAX];
	bool memdev_given;
	uint64_t size; /* the backend's size */
	uint64_t addr; /* 0: the next free address */
	int slot;      /* pc-dimm: -1, the first free one */
	/* virtio-mem only */
	uint64_t block_size; /* 0: QEMU's default */
	uint64_t requested_size;
	bool unplugged_inaccessible;
	/* virtio-balloon only */
	bool deflate_on_oom, free_page_reporting, page_poison;
	/* pc-dimm and virtio-mem: node=N */
	int node;
};

/* -numa node,nodeid=N[,memdev=ID][,cpus=A[-B]] */
struct machine_numa_node {
	bool given;
	const char *arg;	     /* as given, for QEMU's "-numa ARG: " */
	char memdev[MACHINE_ID_MAX]; /* "" : a memoryless node */
	uint64_t cpus[MEMHP_CPU_WORDS];
	/* -numa dist,src=this,dst=N,val=D: distance[N] = D; 0 not given */
	uint8_t distance[MEMHP_MAX_NUMNODES];
};

struct machine_opts {
	uint64_t ram_size;
	unsigned int slots;
	uint64_t maxmem; /* 0: not given */
	bool maxmem_given;
	unsigned int nr_backends;
	struct machine_backend backends[MACHINE_MAX_DEVICES];
	uint64_t block_size; /* 0: what x86 Linux would pick */
	int auto_online;     /* enum memhp_online_type, or -1: the default */
	int protocol;	     /* enum memhp_protocol, or -1 */
	unsigned int nr_devices;
	struct machine_device devices[MACHINE_MAX_DEVICES];
	uint64_t anon_size;
	bool anon_pinned;
	unsigned int nr_cpus; /* 0: QEMU's default, 1 */
	unsigned int nr_numa; /* -numa node options given */
	struct machine_numa_node numa[MEMHP_MAX_NUMNODES];
	bool numa_dist; /* a -numa dist was given: QEMU builds a SLIT */
	bool guest_off; /* --guest-kernel off: a clean room */
	/* -append: the kernel parameters that change the machine. */
	bool nokaslr;
	bool movable_node;
	bool memmap_on_memory;
	uint64_t cma_size, cma_base; /* -append cma=SIZE[@BASE] */
	int online_policy;	     /* enum memhp_online_policy, or -1 */
	int auto_movable_ratio;	     /* or -1 */
	int auto_movable_numa_aware; /* or -1 */
	int thp;		     /* enum memhp_thp_mode; 0 is Debian's always */
	bool guest_programs_off;     /* programs=off: the shell's programs cost nothing */
	struct memhp_guest_config guest;
};

struct machine_vmem {
	const struct machine_device *opts;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
};

/* What machine_opts_create() builds. */
struct machine {
	struct memhp_machine *m;
	struct memhp_guest *guest; /* the guest kernel at work, or NULL */
	/* The options' devices as built: sizes from their backends, memdev
	 * names, slots filled in. */
	unsigned int nr_devs;
	struct machine_device devs[MACHINE_MAX_DEVICES];
	uint64_t addrs[MACHINE_MAX_DEVICES]; /* of the devices */
	/* QEMU's device memory: [dev_base, dev_base + dev_size) */
	uint64_t dev_base, dev_size;
	/* The virtio balloon and its driver, or NULL. */
	const struct machine_device *balloon_opts;
	struct memhp_vballoon_dev *balloon_dev;
	struct memhp_vballoon_drv *balloon_drv;
	/* QEMU's ACPI memory hotplug controller (NULL: no slots, no DIMMs)
	 * and the guest's side of it. */
	struct memhp_acpi_memhp *acpi;
	struct memhp_acpi_memhp_drv *acpi_drv;
	/* QEMU's RAM size for the balloon: -m plus the plugged pc-dimms. */
	uint64_t ram_size;
	_Atomic uint64_t current_ram_size;
	/* tmpfs instances, unmounted after the drivers are gone (a driver's
	 * unplug may be migrating their pages until then). */
	struct memhp_shmem *tmpfs[MACHINE_MAX_TMPFS];
	unsigned int nr_tmpfs;
	unsigned int nr_vmems;
	struct machine_vmem vmems[MACHINE_MAX_DEVICES];
	/* Moves the drivers' clock on (only with virtio-mem devices). */
	pthread_t clock;
	bool clock_running;
	pthread_mutex_t clock_lock;
	pthread_cond_t clock_cond;
	bool clock_stop;
};

void machine_opts_init(struct machine_opts *o);

/*
 * Offer argv[*i] (and its argument) to the machine options. Returns 1 and
 * moves *i past what was used, 0 if argv[*i] is not a machine option, or
 * -1 after printing why the option is wrong (as "PROG: ..." on stderr).
 */
int machine_opts_parse(struct machine_opts *o, const char *prog, int argc, char **argv, int *i);

/* The options' --help text. */
void machine_opts_usage(FILE *f);

/*
 * Create the machine as the firmware hands it to Linux: boot RAM, the
 * pc-dimms added, what runs in the guest (--anon-memory) started. Returns
 * 0, or -errno after printing the reason.
 */
int machine_opts_create(const struct machine_opts *o, const char *prog, struct machine *out);
/*
 * Then start the virtio-mem devices and probe their guest drivers, as when
 * the virtio_mem module loads (udev already runs: a caller that plays udev
 * listens first). Each driver works on a thread of its own and plugs
 * towards the requested size at once. @o must outlive @mc. Returns 0, or
 * -errno after printing the reason (machine_destroy() cleans up).
 */
int machine_opts_start_devices(const struct machine_opts *o, const char *prog, struct machine *mc);
/*
 * A tmpfs instance of the machine (@o NULL: tmpfs's defaults), which
 * machine_destroy() unmounts. Returns 0, -ENOSPC (MACHINE_MAX_TMPFS, or
 * no movable owner left), -ENOMEM.
 */
int machine_tmpfs_create(struct machine *mc, const struct memhp_shmem_options *o,
			 struct memhp_shmem **out);
/* The plugged DIMMs now add up to @bytes (a QMP device_add, an eject). */
void machine_dimms_changed(struct machine *mc, uint64_t bytes);
/* Remove the drivers and devices, stop --anon-memory and the drivers'
 * clock: afterwards nothing prints to the machine's log any more. The
 * machine stays. */
void machine_stop_devices(struct machine *mc);
/* Tear down what machine_opts_create() built (a zeroed one is fine). */
void machine_destroy(struct machine *mc);

/* "512M", "1.5G": QEMU's size syntax (qemu_strtosz): a number, optional
 * fraction, optional B/K/M/G/T/P/E suffix (@default_unit without one).
 * Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
