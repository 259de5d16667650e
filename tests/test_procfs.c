// SPDX-License-Identifier: MIT
/*
 * test_procfs.c - the files that tell the machine apart from the host:
 * /proc/iomem, kpageflags, kpagecount, vmstat, slabinfo, cmdline, kcore,
 * /proc/sys/vm, swaps, pressure/memory, /sys/firmware/memmap, and the virtio bus, devices and module, in 6.1's
 * formats, modes and errnos.
 *
 * The machine: 512 MiB of boot RAM in q35's layout (memhp_config_init()),
 * the kernel image at 16 MiB, blocks hot-added at 4 GiB.
 */
#include "harness.h"

#include <memhp/fs.h>
#include <memhp/sysctl.h>
#include <memhp/virtio_mem_driver.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#define HOT (4 * MEMHP_GiB)
#define BIG 65536
#define DEV_ADDR (8 * MEMHP_GiB)
#define DEV_SIZE (1 * MEMHP_GiB)

static void fs_cleanup(struct memhp_fs **fs)
{
	memhp_fs_destroy(*fs);
}
#define AUTO_FS __attribute__((cleanup(fs_cleanup))) struct memhp_fs

static struct memhp_fs *fs_of(struct memhp_machine *m)
{
	struct memhp_fs *fs = NULL;

	if (m && memhp_fs_create(m, &fs))
		return NULL;
	return fs;
}

static const char *rd(struct memhp_fs *fs, const char *path)
{
	static char buf[BIG];
	ssize_t n = memhp_fs_read(fs, path, buf, sizeof(buf) - 1);

	if (n < 0) {
		test_fail(__FILE__, __LINE__, "read %s: %s", path, errno_name(n));
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

static const char *link_of(struct memhp_fs *fs, const char *path)
{
	static char buf[256];
	struct memhp_fs_attr a;

	buf[0] = '\0';
	if (memhp_fs_resolve(fs, path, false, &a) ||
	    memhp_fs_readlink(fs, a.ino, buf, sizeof(buf)) < 0)
		test_fail(__FILE__, __LINE__, "readlink %s", path);
	return buf;
}

static mode_t mode_of(struct memhp_fs *fs, const char *path)
{
	struct memhp_fs_attr a;

	return memhp_fs_resolve(fs, path, false, &a) ? 0 : a.mode;
}

/* r_show(): nesting by two spaces, 8 hex digits at least, " : name". */
static void iomem_shows_the_resource_tree_with_addresses_for_root_only(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	struct memhp_fs_attr a;
	struct memhp_fs_req *req;
	char *out;

	ASSERT_TRUE(fs);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_request_mem_region(m, DEV_ADDR, DEV_SIZE, "virtio0"));
	ASSERT_OK(memhp_add_memory_driver_managed(m, 0, DEV_ADDR, 128 * MEMHP_MiB,
						  "System RAM (virtio_mem)", 0));
	ASSERT_STREQ(rd(fs, "/proc/iomem"), "00000000-00000fff : Reserved\n"
					    "00001000-0009fbff : System RAM\n"
					    "0009fc00-0009ffff : Reserved\n"
					    "000f0000-000fffff : Reserved\n"
					    "00100000-1ffdffff : System RAM\n"
					    /* Debian 6.1's image as its iomem shows it
					     * (37c00000-38a01d31 code, ... 39f10000-3affffff
					     * bss), at 16 MiB as without KASLR. */
					    "  01000000-01e01d31 : Kernel code\n"
					    "  02000000-028eafff : Kernel rodata\n"
					    "  02a00000-02c4897f : Kernel data\n"
					    "  03310000-043fffff : Kernel bss\n"
					    "1ffe0000-1fffffff : Reserved\n"
					    "b0000000-bfffffff : Reserved\n"
					    "fed1c000-fed1ffff : Reserved\n"
					    "feffc000-feffffff : Reserved\n"
					    "fffc0000-ffffffff : Reserved\n"
					    "100000000-107ffffff : System RAM\n"
					    "200000000-23fffffff : virtio0\n"
					    "  200000000-207ffffff : System RAM (virtio_mem)\n");
	ASSERT_EQ(mode_of(fs, "/proc/iomem"), S_IFREG | 0444);
	/* Without CAP_SYS_ADMIN: every range 0, the names and nesting kept. */
	ASSERT_OK(memhp_fs_resolve(fs, "/proc/iomem", true, &a));
	req = memhp_fs_req_new(fs);
	ASSERT_TRUE(req);
	memhp_fs_req_set_uid(req, 1000);
	ASSERT_GT(memhp_fs_render(fs, a.ino, &out, req), 0);
	{
		static const char head[] = "00000000-00000000 : Reserved\n"
					   "00000000-00000000 : System RAM\n";

		ASSERT_TRUE(!strncmp(out, head, sizeof(head) - 1));
	}
	ASSERT_TRUE(strstr(out, "\n  00000000-00000000 : System RAM (virtio_mem)\n"));
	free(out);
	memhp_fs_req_free(req);
	/* Removed memory leaves the tree. */
	ASSERT_OK(memhp_remove_memory(m, HOT, 128 * MEMHP_MiB));
	ASSERT_TRUE(!strstr(rd(fs, "/proc/iomem"), "100000000-107ffffff"));
	ASSERT_OK(memhp_remove_memory(m, DEV_ADDR, 128 * MEMHP_MiB));
	ASSERT_OK(memhp_release_mem_region(m, DEV_ADDR, DEV_SIZE));
}

static uint64_t kpf_at(struct memhp_fs *fs, const char *file, unsigned long pfn)
{
	struct memhp_fs_attr a;
	uint64_t v = ~0ULL;

	if (memhp_fs_resolve(fs, file, true, &a) ||
	    memhp_fs_pread(fs, a.ino, &v, sizeof(v), pfn * sizeof(v)) != sizeof(v))
		test_fail(__FILE__, __LINE__, "pread %s at pfn %#lx", file, pfn);
	return v;
}

#define KPF(b) (1ULL << MEMHP_KPF_##b)

/* kpageflags_read(): 8 bytes a pfn at pfn * 8, -EINVAL for a misaligned
 * offset or size, 0 bytes from the end, which is x86's max_pfn rounded up
 * to a section and never comes down. */
static void kpageflags_has_8_bytes_a_pfn_up_to_max_pfn(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	unsigned long end, pps;
	struct memhp_fs_attr a;
	uint64_t buf[4];

	ASSERT_TRUE(fs);
	pps = memhp_pages_per_section(m);
	ASSERT_EQ(mode_of(fs, "/proc/kpageflags"), S_IFREG | 0400);
	ASSERT_EQ(mode_of(fs, "/proc/kpagecount"), S_IFREG | 0400);
	ASSERT_OK(memhp_fs_resolve(fs, "/proc/kpageflags", true, &a));
	ASSERT_TRUE(a.positional);
	ASSERT_EQ(a.size, 0);
	end = memhp_kpage_max_pfn(m);
	ASSERT_EQ(end, (512 * MEMHP_MiB) >> MEMHP_PAGE_SHIFT);
	ASSERT_ERR(memhp_fs_pread(fs, a.ino, buf, 8, 4), -EINVAL);
	ASSERT_ERR(memhp_fs_pread(fs, a.ino, buf, 12, 8), -EINVAL);
	ASSERT_ERR(memhp_fs_pread(fs, a.ino, buf, sizeof(buf), (end - 2) * 8), 16);
	ASSERT_ERR(memhp_fs_pread(fs, a.ino, buf, sizeof(buf), end * 8), 0);
	/* Hot-add raises it; removal leaves it. */
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_EQ(memhp_kpage_max_pfn(m), (HOT >> MEMHP_PAGE_SHIFT) + memhp_pages_per_block(m));
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
	ASSERT_EQ(memhp_kpage_max_pfn(m), (HOT >> MEMHP_PAGE_SHIFT) + memhp_pages_per_block(m));
	/* Between RAM and the hot-added block there is no memmap. */
	ASSERT_EQ(kpf_at(fs, "/proc/kpageflags", end + pps), KPF(NOPAGE));
	ASSERT_EQ(kpf_at(fs, "/proc/kpagecount", end + pps), 0);
	/* The removed block is a hole again. */
	ASSERT_EQ(kpf_at(fs, "/proc/kpageflags", HOT >> MEMHP_PAGE_SHIFT), KPF(NOPAGE));
}

/* stable_page_flags() where the model has the state. */
static void kpageflags_tell_each_kind_of_page_apart(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	unsigned long hot = HOT >> MEMHP_PAGE_SHIFT, buddy = 0, free_pages = 0;
	struct memhp_kmem_cache *c;
	struct memhp_page *pt, *off;
	struct memhp_data *d;
	uint64_t obj, flags[512];
	struct memhp_zone_info zi;

	ASSERT_TRUE(fs);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, 32, MEMHP_MMOP_ONLINE_MOVABLE));
	/* An offline block has no online memmap; the kernel image is
	 * reserved. */
	ASSERT_EQ(kpf_at(fs, "/proc/kpageflags", (16 * MEMHP_MiB) >> MEMHP_PAGE_SHIFT),
		  KPF(RESERVED));
	ASSERT_OK(memhp_kmem_cache_create(m, "test-64", 64, 0, &c));
	obj = memhp_kmem_cache_alloc(c);
	ASSERT_NE(obj, 0);
	ASSERT_EQ(kpf_at(fs, "/proc/kpageflags", obj >> MEMHP_PAGE_SHIFT), KPF(SLAB));
	ASSERT_EQ(kpf_at(fs, "/proc/kpagecount", obj >> MEMHP_PAGE_SHIFT), 0);
	pt = memhp_pte_alloc_one(m);
	ASSERT_TRUE(pt);
	ASSERT_EQ(kpf_at(fs, "/proc/kpageflags", memhp_page_to_pfn(pt)), KPF(PGTABLE));
	/* Anonymous memory: an LRU owner's page, mapped once. */
	ASSERT_OK(memhp_data_create(m, &d));
	ASSERT_EQ(memhp_data_alloc(d, 1, 0), 1);
	memhp_lru_add_drain_all(m); /* KPF_LRU once its CPU's batch is drained */
	{
		unsigned long pfn = hot;
		uint64_t f;

		while (pfn < hot + memhp_pages_per_block(m) &&
		       !(kpf_at(fs, "/proc/kpageflags", pfn) & KPF(ANON)))
			pfn++;
		ASSERT_TRUE(pfn < hot + memhp_pages_per_block(m));
		f = kpf_at(fs, "/proc/kpageflags", pfn);
		ASSERT_EQ(f, KPF(UPTODATE) | KPF(LRU) | KPF(MMAP) | KPF(ANON) | KPF(SWAPBACKED));
		ASSERT_EQ(kpf_at(fs, "/proc/kpagecount", pfn), 1);
	}
	/* PageOffline. */
	off = memhp_alloc_pages(m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(off);
	memhp_page_offline_begin(m);
	ASSERT_OK(memhp_SetPageOffline(off));
	memhp_page_offline_end(m);
	ASSERT_EQ(kpf_at(fs, "/proc/kpageflags", memhp_page_to_pfn(off)), KPF(OFFLINE));
	ASSERT_EQ(kpf_at(fs, "/proc/kpagecount", memhp_page_to_pfn(off)), 0);
	memhp_page_offline_begin(m);
	ASSERT_OK(memhp_ClearPageOffline(off));
	memhp_page_offline_end(m);
	memhp_free_pages(off, 0);
	/* Every page of a free chunk is a buddy page, tails too: the Movable
	 * zone's free pages are its KPF_BUDDY pages, read in any pieces. */
	memhp_zone_info(m, 0, MEMHP_ZONE_MOVABLE, &zi);
	for (unsigned long pfn = hot; pfn < hot + memhp_pages_per_block(m); pfn += 509) {
		struct memhp_fs_attr a;
		ssize_t n;

		unsigned long want = hot + memhp_pages_per_block(m) - pfn;

		want = want < 509 ? want : 509;
		ASSERT_OK(memhp_fs_resolve(fs, "/proc/kpageflags", true, &a));
		n = memhp_fs_pread(fs, a.ino, flags, want * 8, pfn * 8);
		ASSERT_EQ(n, want * 8);
		for (unsigned long i = 0; i < want; i++)
			buddy += !!(flags[i] & KPF(BUDDY));
	}
	free_pages = zi.nr_free_pages;
	ASSERT_EQ(buddy, free_pages);
	ASSERT_EQ(memhp_data_verify(d, NULL), 0);
	memhp_data_destroy(d);
	memhp_pte_free(pt);
	memhp_kmem_cache_free(c, obj);
	memhp_kmem_cache_destroy(c);
}

/* vmstat_show(): "name value", the machine's counters only, in order. */
static void vmstat_lists_the_machines_counters_in_6_1_order(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	char expect[BIG];
	size_t len = 0;

	ASSERT_TRUE(fs);
	for (int i = 0; i < MEMHP_NR_VMSTAT_ITEMS; i++) {
		long v = memhp_vmstat(m, (enum memhp_vmstat_item)i);

		len += (size_t)snprintf(expect + len, sizeof(expect) - len, "%s %ld\n",
					memhp_vmstat_name((enum memhp_vmstat_item)i), v);
	}
	ASSERT_STREQ(rd(fs, "/proc/vmstat"), expect);
	ASSERT_TRUE(!strncmp(expect, "nr_free_pages ", 14));
	ASSERT_EQ(mode_of(fs, "/proc/vmstat"), S_IFREG | 0444);
}

/* print_slabinfo_header(), cache_show(): SLUB's columns, tunables and
 * shared counts 0, the newest cache first; 0400. */
static void slabinfo_has_the_2_1_header_and_slubs_columns(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	struct memhp_kmem_cache *a, *b;
	uint64_t obj;

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_kmem_cache_create(m, "older", 64, 0, &a));
	ASSERT_OK(memhp_kmem_cache_create(m, "newer", 256, 0, &b));
	obj = memhp_kmem_cache_alloc(a);
	ASSERT_NE(obj, 0);
	ASSERT_STREQ(
		rd(fs, "/proc/slabinfo"),
		"slabinfo - version: 2.1\n"
		"# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> "
		": tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> "
		"<num_slabs> <sharedavail>\n"
		"newer                  0      0    256   16    1 : tunables    0    0    0 : "
		"slabdata      0      0      0\n"
		"older                  1     64     64   64    1 : tunables    0    0    0 : "
		"slabdata      1      1      0\n");
	ASSERT_EQ(mode_of(fs, "/proc/slabinfo"), S_IFREG | 0400);
	memhp_kmem_cache_free(a, obj);
	memhp_kmem_cache_destroy(a);
	memhp_kmem_cache_destroy(b);
}

static void cmdline_carries_the_machines_boot_settings(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	AUTO_FS *fs = NULL;

	tm_config(&cfg);
	cfg.kaslr = true;
	m = tm_create(&cfg);
	fs = fs_of(m);
	ASSERT_TRUE(fs);
	ASSERT_STREQ(rd(fs, "/proc/cmdline"),
		     "BOOT_IMAGE=/boot/vmlinuz-6.1.0-38-amd64 root=/dev/vda1 ro quiet\n");
	memhp_fs_destroy(fs);
	cfg.kaslr = false;
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	cfg.movable_node = true;
	cfg.memmap_on_memory = true;
	cfg.online_policy = MEMHP_ONLINE_POLICY_AUTO_MOVABLE;
	m = tm_create(&cfg);
	fs = fs_of(m);
	ASSERT_TRUE(fs);
	ASSERT_STREQ(
		rd(fs, "/proc/cmdline"),
		"BOOT_IMAGE=/boot/vmlinuz-6.1.0-38-amd64 root=/dev/vda1 ro quiet nokaslr "
		"memhp_default_state=online_movable movable_node "
		"memory_hotplug.memmap_on_memory=1 memory_hotplug.online_policy=auto-movable\n");
}

/* /proc/kcore (and kpagecgroup): a name a lookup finds, so a front end can
 * bind over the host's file; a stat, open or path read is ENOENT and a
 * listing does not show it. */
struct names {
	bool kcore, iomem;
};

static int note_name(void *ctx, const char *name, const struct memhp_fs_attr *a, uint64_t next)
{
	struct names *n = ctx;

	(void)a;
	(void)next;
	n->kcore |= !strcmp(name, "kcore") || !strcmp(name, "kpagecgroup");
	n->iomem |= !strcmp(name, "iomem");
	return 0;
}

static void kcore_is_a_name_and_nothing_else(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	struct memhp_fs_attr proc, a;
	struct names n = { 0 };
	char buf[16];

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_fs_resolve(fs, "/proc", true, &proc));
	ASSERT_OK(memhp_fs_lookup(fs, proc.ino, "kcore", &a));
	ASSERT_ERR(memhp_fs_getattr(fs, a.ino, &a), -ENOENT);
	ASSERT_ERR(memhp_fs_open(fs, a.ino, O_RDONLY), -ENOENT);
	ASSERT_ERR(memhp_fs_read(fs, "/proc/kcore", buf, sizeof(buf)), -ENOENT);
	ASSERT_ERR(memhp_fs_resolve(fs, "/proc/kpagecgroup", true, &a), -ENOENT);
	ASSERT_OK(memhp_fs_readdir(fs, proc.ino, 0, note_name, &n));
	ASSERT_TRUE(n.iomem && !n.kcore);
}

/* firmware_map_add_early() of the e820, firmware_map_add_hotplug() of
 * System RAM only, numbers never reused; start/end "0x%llx\n", 0444. */
static void firmware_memmap_has_the_e820_and_hot_added_system_ram(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);

	ASSERT_TRUE(fs);
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/0/start"), "0x0\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/0/end"), "0x9fbff\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/0/type"), "System RAM\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/3/end"), "0x1ffdffff\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/4/type"), "Reserved\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/8/start"), "0xfffc0000\n");
	ASSERT_EQ(mode_of(fs, "/sys/firmware/memmap/8/start"), S_IFREG | 0444);
	ASSERT_EQ(mode_of(fs, "/sys/firmware/memmap/9"), 0);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/9/start"), "0x100000000\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/9/end"), "0x107ffffff\n");
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/9/type"), "System RAM\n");
	ASSERT_OK(memhp_remove_memory(m, HOT, memhp_block_size(m)));
	ASSERT_EQ(mode_of(fs, "/sys/firmware/memmap/9"), 0);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_EQ(mode_of(fs, "/sys/firmware/memmap/9"), 0);
	ASSERT_STREQ(rd(fs, "/sys/firmware/memmap/10/start"), "0x100000000\n");
	/* Memory a driver manages is not the firmware's. */
	ASSERT_OK(memhp_request_mem_region(m, DEV_ADDR, DEV_SIZE, "virtio0"));
	ASSERT_OK(memhp_add_memory_driver_managed(m, 0, DEV_ADDR, 128 * MEMHP_MiB,
						  "System RAM (virtio_mem)", 0));
	ASSERT_EQ(mode_of(fs, "/sys/firmware/memmap/11"), 0);
	ASSERT_OK(memhp_remove_memory(m, DEV_ADDR, 128 * MEMHP_MiB));
	ASSERT_OK(memhp_release_mem_region(m, DEV_ADDR, DEV_SIZE));
}

/* virtio_mem as a module, loaded for its device: no bus and no module
 * without one; with one, the bus links, the device, and the parameters
 * with 6.1's modes (module_param lines of drivers/virtio/virtio_mem.c). */
static void virtio_bus_and_module_are_there_with_a_virtio_mem_device(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	struct memhp_vmem_dev_config dc = { .id = "vm0",
					    .addr = DEV_ADDR,
					    .region_size = DEV_SIZE };
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	char buf[256];

	ASSERT_TRUE(fs);
	ASSERT_EQ(mode_of(fs, "/sys/bus/virtio"), 0);
	ASSERT_EQ(mode_of(fs, "/sys/module/virtio_mem"), 0);
	ASSERT_EQ(mode_of(fs, "/sys/devices/pci0000:00"), S_IFDIR | 0755);
	ASSERT_OK(memhp_vmem_dev_create(m, &dc, &dev));
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	ASSERT_OK(memhp_vmem_drv_probe(m, dev, &p, &drv));
	ASSERT_EQ(memhp_fs_read(fs, "/sys/bus/virtio/devices/virtio1/uevent", buf, sizeof(buf)),
		  -ENOENT);
	ASSERT_STREQ(rd(fs, "/sys/bus/virtio/devices/virtio0/uevent"),
		     "DRIVER=virtio_mem\nMODALIAS=virtio:d00000018v00001AF4\n");
	ASSERT_STREQ(rd(fs, "/sys/bus/virtio/drivers/virtio_mem/virtio0/device"), "0x0018\n");
	ASSERT_STREQ(rd(fs, "/sys/devices/pci0000:00/0000:00:03.0/virtio0/vendor"), "0x1af4\n");
	ASSERT_STREQ(link_of(fs, "/sys/bus/virtio/devices/virtio0"),
		     "../../../devices/pci0000:00/0000:00:03.0/virtio0");
	ASSERT_STREQ(link_of(fs, "/sys/devices/pci0000:00/0000:00:03.0/virtio0/driver"),
		     "../../../../bus/virtio/drivers/virtio_mem");
	ASSERT_STREQ(link_of(fs, "/sys/module/virtio_mem/drivers/virtio:virtio_mem"),
		     "../../../bus/virtio/drivers/virtio_mem");
	ASSERT_STREQ(rd(fs, "/sys/module/virtio_mem/parameters/bbm_block_size"), "0\n");
	ASSERT_STREQ(rd(fs, "/sys/module/virtio_mem/parameters/bbm_safe_unplug"), "Y\n");
	ASSERT_STREQ(rd(fs, "/sys/module/virtio_mem/parameters/force_bbm"), "N\n");
	ASSERT_STREQ(rd(fs, "/sys/module/virtio_mem/parameters/unplug_online"), "Y\n");
	ASSERT_EQ(mode_of(fs, "/sys/module/virtio_mem/parameters/force_bbm"), S_IFREG | 0444);
	ASSERT_EQ(mode_of(fs, "/sys/module/virtio_mem/parameters/unplug_online"), S_IFREG | 0644);
	ASSERT_ERR(memhp_fs_write(fs, "/sys/module/virtio_mem/parameters/unplug_online", "n\n", 2),
		   2);
	ASSERT_STREQ(rd(fs, "/sys/module/virtio_mem/parameters/unplug_online"), "N\n");
	ASSERT_ERR(memhp_fs_write(fs, "/sys/module/virtio_mem/parameters/unplug_online", "x", 1),
		   -EINVAL);
	ASSERT_ERR(memhp_fs_write(fs, "/sys/module/virtio_mem/parameters/force_bbm", "1", 1),
		   -EACCES);
	ASSERT_ERR(memhp_fs_write(fs, "/sys/bus/virtio/drivers_probe", "virtio0", 7), 7);
	ASSERT_ERR(memhp_fs_write(fs, "/sys/bus/virtio/drivers_probe", "virtio1", 7), -ENODEV);
	ASSERT_STREQ(link_of(fs, "/sys/bus/node/devices/node0"),
		     "../../../devices/system/node/node0");
	memhp_vmem_drv_remove(drv);
	memhp_vmem_dev_destroy(dev);
	ASSERT_EQ(mode_of(fs, "/sys/bus/virtio"), 0);
}

struct vm_files {
	unsigned int n;
	bool min_free_kbytes, drop_caches_write_only, compact_memory;
};

static int note_vm_file(void *ctx, const char *name, const struct memhp_fs_attr *a, uint64_t next)
{
	struct vm_files *v = ctx;

	(void)next;
	v->n++;
	v->min_free_kbytes |= !strcmp(name, "min_free_kbytes") && (a->mode & 07777) == 0644;
	v->drop_caches_write_only |= !strcmp(name, "drop_caches") && (a->mode & 07777) == 0200;
	v->compact_memory |= !strcmp(name, "compact_memory");
	return 0;
}

/* /proc/sys/vm as 6.1 has it (case h): each sysctl with its mode, root
 * kept out of a write-only one, 6.1's errors for a bad value; /proc/swaps
 * with no swap; memory pressure that is always 0. */
static void proc_sys_vm_swaps_and_pressure_are_the_machines(void)
{
	struct memhp_machine *m = tm_create(NULL);
	AUTO_FS *fs = fs_of(m);
	struct memhp_fs_attr vm, a;
	struct vm_files v = { 0 };
	char buf[32];

	ASSERT_TRUE(fs);
	ASSERT_OK(memhp_fs_resolve(fs, "/proc/sys/vm", true, &vm));
	ASSERT_OK(memhp_fs_readdir(fs, vm.ino, 0, note_vm_file, &v));
	ASSERT_TRUE(v.min_free_kbytes && v.drop_caches_write_only && !v.compact_memory);
	ASSERT_GT(v.n, 40);
	ASSERT_OK(memhp_fs_resolve(fs, "/proc/sys/vm/drop_caches", true, &a));
	ASSERT_ERR(memhp_fs_open(fs, a.ino, O_RDONLY), -EACCES);
	ASSERT_OK(memhp_fs_open(fs, a.ino, O_WRONLY));
	ASSERT_ERR(memhp_fs_write(fs, "/proc/sys/vm/drop_caches", "9\n", 2), -EINVAL);
	ASSERT_EQ(memhp_fs_write(fs, "/proc/sys/vm/swappiness", "30\n", 3), 3);
	ASSERT_STREQ(rd(fs, "/proc/sys/vm/swappiness"), "30\n");
	ASSERT_STREQ(rd(fs, "/proc/sys/vm/numa_zonelist_order"), "Node\n");
	ASSERT_ERR(memhp_fs_resolve(fs, "/proc/sys/vm/no_such_knob", true, &a), -ENOENT);
	/* zoneinfo's marks are the core's (test_sysctl.c has their rules). */
	{
		const char *zi = strstr(rd(fs, "/proc/zoneinfo"), "zone    DMA32");
		const char *min = zi ? strstr(zi, "\n        min      ") : NULL;

		ASSERT_TRUE(min);
		ASSERT_EQ(strtoul(min + 18, NULL, 10),
			  memhp_zone_watermark(m, 0, MEMHP_ZONE_DMA32, MEMHP_WMARK_MIN));
		ASSERT_GT(strtoul(min + 18, NULL, 10), 0);
	}
	ASSERT_STREQ(rd(fs, "/proc/swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	ASSERT_STREQ(rd(fs, "/proc/pressure/memory"),
		     "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		     "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	ASSERT_ERR(memhp_fs_write(fs, "/proc/pressure/memory", "some 150000 1000000", 19),
		   -EOPNOTSUPP);
	ASSERT_ERR(memhp_fs_read(fs, "/proc/pressure/cpu", buf, sizeof(buf)), -ENOENT);
}

/* /sys/kernel/mm as Debian's 6.1 has it (case i): THP "always", whose
 * switch starts and stops khugepaged and so moves min_free_kbytes; the
 * other knobs with 6.1's bounds. */
static void thp_enabled_drives_khugepaged_and_min_free_kbytes(void)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	AUTO_FS *fs;

	/* Big enough for hugepage_init() to leave THP on (512 MiB is not). */
	tm_config(&cfg);
	memhp_config_init(&cfg, 1 * MEMHP_GiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.kaslr = false;
	m = tm_create(&cfg);
	fs = fs_of(m);
	struct memhp_fs_attr a;
	long boot;

	ASSERT_TRUE(fs);
	ASSERT_STREQ(rd(fs, "/sys/kernel/mm/transparent_hugepage/enabled"),
		     "[always] madvise never\n");
	ASSERT_STREQ(rd(fs, "/sys/kernel/mm/transparent_hugepage/defrag"),
		     "always defer defer+madvise [madvise] never\n");
	boot = strtol(rd(fs, "/proc/sys/vm/min_free_kbytes"), NULL, 10);
	ASSERT_EQ(memhp_fs_write(fs, "/sys/kernel/mm/transparent_hugepage/enabled", "never\n", 6),
		  6);
	ASSERT_STREQ(rd(fs, "/sys/kernel/mm/transparent_hugepage/enabled"),
		     "always madvise [never]\n");
	/* Stopping khugepaged leaves min_free_kbytes; the next online
	 * recomputes it without khugepaged: the square root, far lower. */
	ASSERT_EQ(strtol(rd(fs, "/proc/sys/vm/min_free_kbytes"), NULL, 10), boot);
	ASSERT_OK(tm_add_blocks(m, HOT, 1));
	ASSERT_OK(memhp_block_online(m, HOT / memhp_block_size(m), MEMHP_MMOP_ONLINE_MOVABLE));
	ASSERT_GT(boot / 4, strtol(rd(fs, "/proc/sys/vm/min_free_kbytes"), NULL, 10));
	/* Starting it recommends again at once: on this 1 GiB machine, 5%
	 * of lowmem, which the online has just grown a little. */
	ASSERT_EQ(memhp_fs_write(fs, "/sys/kernel/mm/transparent_hugepage/enabled", "madvise", 7),
		  7);
	ASSERT_TRUE(strtol(rd(fs, "/proc/sys/vm/min_free_kbytes"), NULL, 10) >= boot);
	ASSERT_ERR(memhp_fs_write(fs, "/sys/kernel/mm/transparent_hugepage/enabled", "1", 1),
		   -EINVAL);
	ASSERT_ERR(memhp_fs_write(fs, "/sys/kernel/mm/ksm/run", "3", 1), -EINVAL);
	ASSERT_ERR(memhp_fs_write(fs,
				  "/sys/kernel/mm/transparent_hugepage/khugepaged/"
				  "max_ptes_none",
				  "512", 3),
		   -EINVAL);
	ASSERT_ERR(memhp_fs_write(fs,
				  "/sys/kernel/mm/transparent_hugepage/khugepaged/"
				  "pages_to_scan",
				  "0", 1),
		   -EINVAL);
	ASSERT_EQ(memhp_fs_write(fs, "/sys/kernel/mm/lru_gen/enabled", "y", 1), 1);
	ASSERT_STREQ(rd(fs, "/sys/kernel/mm/lru_gen/enabled"), "0x0007\n");
	ASSERT_EQ(memhp_fs_write(fs, "/sys/kernel/mm/numa/demotion_enabled", "1", 1), 1);
	ASSERT_STREQ(rd(fs, "/sys/kernel/mm/numa/demotion_enabled"), "true\n");
	ASSERT_OK(memhp_fs_resolve(fs, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", true,
				   &a));
	ASSERT_ERR(memhp_fs_open(fs, a.ino, O_WRONLY), -EACCES);
	/* The default CPU (qemu64) has no 1 GiB pages: one hstate. */
	ASSERT_OK(memhp_fs_resolve(fs, "/sys/kernel/mm/hugepages/hugepages-2048kB", true, &a));
	ASSERT_ERR(memhp_fs_resolve(fs, "/sys/kernel/mm/hugepages/hugepages-1048576kB", true, &a),
		   -ENOENT);
}

RUN_TESTS(T(iomem_shows_the_resource_tree_with_addresses_for_root_only),
	  T(kpageflags_has_8_bytes_a_pfn_up_to_max_pfn), T(kpageflags_tell_each_kind_of_page_apart),
	  T(vmstat_lists_the_machines_counters_in_6_1_order),
	  T(slabinfo_has_the_2_1_header_and_slubs_columns),
	  T(cmdline_carries_the_machines_boot_settings), T(kcore_is_a_name_and_nothing_else),
	  T(firmware_memmap_has_the_e820_and_hot_added_system_ram),
	  T(virtio_bus_and_module_are_there_with_a_virtio_mem_device),
	  T(proc_sys_vm_swaps_and_pressure_are_the_machines),
	  T(thp_enabled_drives_khugepaged_and_min_free_kbytes))
