// SPDX-License-Identifier: MIT
/*
 * test_acpi_memory.c - DIMM hotplug through ACPI: QEMU 7.2's memory hotplug
 * controller and Linux 6.1's handling of it.
 *
 * What QEMU 7.2 and Linux 6.1 sent, from tests/guest/balloon-dimm-qmp.sh
 * (docs/linux-comparison.md, case j):
 *   device_add of a DIMM:      ACPI_DEVICE_OST source 1 status 0, with the id
 *   device_del it goes:        OST 3/132 with the id, DEVICE_DELETED, then
 *                              OST 3/0 without an id (the slot is empty)
 *   device_del, a Normal block: OST 3/132, OST 3/130, "memory memory36:
 *                              Offline failed.", the DIMM stays, each time
 * and from tests/guest/dimm-edge.sh (case l):
 *   a DIMM Linux cannot add:   "add_memory failed", OST 1/0 all the same
 *
 * The machine: 512 MiB of boot RAM, 64 GiB of address space; DIMMs at
 * 4 GiB (memory32 on). The driver runs in sync mode.
 */
#include "harness.h"

#include <memhp/acpi_memory.h>

#include <stdlib.h>

#define HOT (4 * MEMHP_GiB)
#define B0 32
#define MAX_RECS 16

struct rec {
	char kind; /* 'o' OST, 'e' ejected */
	unsigned int slot;
	char id[16]; /* "" for none */
	uint32_t event, status;
};

struct rig {
	struct memhp_machine *m;
	struct memhp_acpi_memhp *c;
	struct memhp_acpi_memhp_drv *d;
	struct rec recs[MAX_RECS];
	int nr;
};

static void on_ost(void *priv, unsigned int slot, const char *id, uint32_t event, uint32_t status)
{
	struct rig *r = priv;

	if (r->nr < MAX_RECS) {
		r->recs[r->nr] = (struct rec){ 'o', slot, "", event, status };
		snprintf(r->recs[r->nr].id, sizeof(r->recs[r->nr].id), "%s", id ? id : "");
		r->nr++;
	}
}

static void on_ejected(void *priv, unsigned int slot)
{
	struct rig *r = priv;

	if (r->nr < MAX_RECS)
		r->recs[r->nr++] = (struct rec){ 'e', slot, "", 0, 0 };
}

static const struct memhp_acpi_memhp_ops ops = { on_ost, on_ejected };

static void rig_down(void *arg)
{
	struct rig *r = arg;

	memhp_acpi_memhp_drv_remove(r->d);
	memhp_acpi_memhp_destroy(r->c);
	free(r);
}

/* memory_hotplug.memmap_on_memory for the next rig_up(). */
static bool rig_memmap_on_memory;

/* @cold: a 128 MiB DIMM "d0" in slot 0 at 4 GiB from the start. */
static struct rig *rig_up(enum memhp_online_type auto_online, bool cold)
{
	struct memhp_acpi_memhp_drv_params p;
	struct memhp_config cfg;
	struct rig *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	tm_config(&cfg);
	cfg.auto_online_blocks = auto_online;
	cfg.memmap_on_memory = rig_memmap_on_memory;
	r->m = tm_create(&cfg);
	if (!r->m || memhp_acpi_memhp_create(r->m, 2, &r->c)) {
		free(r);
		return NULL;
	}
	memhp_acpi_memhp_set_ops(r->c, &ops, r);
	if (cold)
		memhp_acpi_memhp_plug(r->c, 0, HOT, 128 * MEMHP_MiB, 0, "d0", false);
	memhp_acpi_memhp_drv_params_init(&p);
	p.sync = true;
	if (memhp_acpi_memhp_drv_probe(r->m, r->c, &p, &r->d)) {
		memhp_acpi_memhp_destroy(r->c);
		free(r);
		return NULL;
	}
	tm_defer(rig_down, r);
	return r;
}

static bool rec_is(const struct rec *x, char kind, unsigned int slot, const char *id,
		   uint32_t event, uint32_t status)
{
	return x->kind == kind && x->slot == slot && !strcmp(x->id, id) && x->event == event &&
	       x->status == status;
}

static bool block_online(struct memhp_machine *m, unsigned long id)
{
	struct memhp_block_info bi;

	return !memhp_block_info(m, id, &bi) && bi.online;
}

static void cold_plugged_dimms_are_added_at_boot_without_ost(void)
{
	struct rig *r = rig_up(MEMHP_MMOP_ONLINE_MOVABLE, true);
	struct memhp_block_info bi;

	ASSERT_TRUE(r);
	ASSERT_OK(memhp_block_info(r->m, B0, &bi));
	ASSERT_TRUE(bi.online);
	ASSERT_EQ(bi.zone, MEMHP_ZONE_MOVABLE);
	/* Added into a memory group of its own, as acpi_memhotplug does. */
	ASSERT_TRUE(bi.group >= 0);
	ASSERT_EQ(r->nr, 0);
}

static void hotplugged_dimm_is_added_and_ost_says_success(void)
{
	struct rig *r = rig_up(MEMHP_MMOP_ONLINE_MOVABLE, true);

	ASSERT_TRUE(r);
	ASSERT_OK(memhp_acpi_memhp_plug(r->c, 1, HOT + 128 * MEMHP_MiB, 128 * MEMHP_MiB, 0, "d1",
					true));
	ASSERT_ERR(memhp_acpi_memhp_plug(r->c, 1, HOT, MEMHP_MiB, 0, "x", true), -EBUSY);
	ASSERT_EQ(memhp_acpi_memhp_drv_process(r->d), 1);
	ASSERT_TRUE(block_online(r->m, B0 + 1));
	/* Linux 6.1 + QEMU 7.2: ACPI_DEVICE_OST source 1, status 0, "d1". */
	ASSERT_EQ(r->nr, 1);
	ASSERT_TRUE(rec_is(&r->recs[0], 'o', 1, "d1", 1, 0));
}

static void eject_offlines_removes_ejects_then_ost_without_the_id(void)
{
	struct rig *r = rig_up(MEMHP_MMOP_ONLINE_MOVABLE, true);
	struct memhp_block_info bi;

	ASSERT_TRUE(r);
	ASSERT_OK(memhp_acpi_memhp_unplug_request(r->c, 0));
	ASSERT_EQ(memhp_acpi_memhp_drv_process(r->d), 1);
	/* QEMU 7.2 + Linux 6.1: OST 3/132 with the id, the unplug
	 * (DEVICE_DELETED), OST 3/0 without it. */
	ASSERT_EQ(r->nr, 3);
	ASSERT_TRUE(rec_is(&r->recs[0], 'o', 0, "d0", 3, 0x84));
	ASSERT_TRUE(rec_is(&r->recs[1], 'e', 0, "", 0, 0));
	ASSERT_TRUE(rec_is(&r->recs[2], 'o', 0, "", 3, 0));
	ASSERT_ERR(memhp_block_info(r->m, B0, &bi), -ENODEV);
	ASSERT_ERR(memhp_acpi_memhp_unplug_request(r->c, 0), -EINVAL);
}

static void eject_of_a_normal_dimm_the_kernel_uses_fails_busy_and_the_dimm_stays(void)
{
	struct rig *r = rig_up(MEMHP_MMOP_ONLINE, false);
	struct memhp_page *kpage;
	struct memhp_block_info bi;

	ASSERT_TRUE(r);
	ASSERT_OK(memhp_acpi_memhp_plug(r->c, 1, HOT, 128 * MEMHP_MiB, 0, "d2", true));
	memhp_acpi_memhp_drv_process(r->d);
	ASSERT_OK(memhp_block_info(r->m, B0, &bi));
	ASSERT_EQ(bi.zone, MEMHP_ZONE_NORMAL);
	/* The guest's first Normal memory: the kernel allocates there. */
	kpage = memhp_alloc_pages(r->m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(kpage);
	ASSERT_EQ(memhp_phys_to_block_id(r->m, (uint64_t)memhp_page_to_pfn(kpage) << 12), B0);
	r->nr = 0;

	for (int i = 0; i < 2; i++) {
		ASSERT_OK(memhp_acpi_memhp_unplug_request(r->c, 1));
		memhp_acpi_memhp_drv_process(r->d);
	}

	/* Each time: OST 3/132, OST 3/130 with the id; QEMU keeps it. */
	ASSERT_EQ(r->nr, 4);
	for (int i = 0; i < 4; i += 2) {
		ASSERT_TRUE(rec_is(&r->recs[i], 'o', 1, "d2", 3, 0x84));
		ASSERT_TRUE(rec_is(&r->recs[i + 1], 'o', 1, "d2", 3, 0x82));
	}
	ASSERT_TRUE(block_online(r->m, B0));
	memhp_free_pages(kpage, 0);
}

static void dimm_linux_cannot_add_still_gets_ost_success_and_ejects(void)
{
	struct rig *r = rig_up(MEMHP_MMOP_ONLINE_MOVABLE, true);
	struct memhp_block_info bi;

	ASSERT_TRUE(r);
	/* 130 MiB: QEMU takes it (a multiple of 2 MiB), Linux 6.1 does not
	 * ("Block size [0x8000000] unaligned hotplug range", "add_memory
	 * failed", "acpi_memory_enable_device() error") and still reports
	 * success (case l). */
	ASSERT_OK(memhp_acpi_memhp_plug(r->c, 1, HOT + 128 * MEMHP_MiB, 130 * MEMHP_MiB, 0, "d1",
					true));
	memhp_acpi_memhp_drv_process(r->d);
	ASSERT_ERR(memhp_block_info(r->m, B0 + 1, &bi), -ENODEV);
	ASSERT_EQ(r->nr, 1);
	ASSERT_TRUE(rec_is(&r->recs[0], 'o', 1, "d1", 1, 0));
	/* Nothing bound: the eject goes straight to _EJ0. */
	ASSERT_OK(memhp_acpi_memhp_unplug_request(r->c, 1));
	memhp_acpi_memhp_drv_process(r->d);
	ASSERT_EQ(r->nr, 4);
	ASSERT_TRUE(rec_is(&r->recs[1], 'o', 1, "d1", 3, 0x84));
	ASSERT_TRUE(rec_is(&r->recs[2], 'e', 1, "", 0, 0));
	ASSERT_TRUE(rec_is(&r->recs[3], 'o', 1, "", 3, 0));
}

/*
 * acpi_memory_enable_device() passes MHP_MEMMAP_ON_MEMORY when
 * mhp_supports_memmap_on_memory() allows it: with the parameter on, a
 * DIMM of one memory block keeps its memmap in its first pages, which the
 * block then does not manage; a DIMM of two blocks cannot, and does not.
 */
static void a_one_block_dimm_carries_its_memmap_with_memmap_on_memory(void)
{
	struct memhp_block_info bi;
	struct rig *r;

	rig_memmap_on_memory = true;
	r = rig_up(MEMHP_MMOP_ONLINE_MOVABLE, true);
	rig_memmap_on_memory = false;
	ASSERT_TRUE(r);
	ASSERT_OK(memhp_block_info(r->m, B0, &bi));
	ASSERT_TRUE(bi.online);
	/* 128 MiB of 64-byte struct pages: 2 MiB, 512 pages. */
	ASSERT_EQ(bi.nr_vmemmap_pages, 512, "memory%d", B0);

	ASSERT_OK(memhp_acpi_memhp_plug(r->c, 1, HOT + 128 * MEMHP_MiB, 256 * MEMHP_MiB, 0, "d1",
					true));
	ASSERT_EQ(memhp_acpi_memhp_drv_process(r->d), 1);
	ASSERT_OK(memhp_block_info(r->m, B0 + 1, &bi));
	ASSERT_TRUE(bi.online);
	ASSERT_EQ(bi.nr_vmemmap_pages, 0, "a two-block DIMM's memmap is kernel memory");
}

static void without_memmap_on_memory_a_dimm_memmap_is_kernel_memory(void)
{
	struct rig *r = rig_up(MEMHP_MMOP_ONLINE_MOVABLE, true);
	struct memhp_block_info bi;

	ASSERT_TRUE(r);
	ASSERT_OK(memhp_block_info(r->m, B0, &bi));
	ASSERT_EQ(bi.nr_vmemmap_pages, 0);
}

RUN_TESTS(T(cold_plugged_dimms_are_added_at_boot_without_ost),
	  T(hotplugged_dimm_is_added_and_ost_says_success),
	  T(eject_offlines_removes_ejects_then_ost_without_the_id),
	  T(eject_of_a_normal_dimm_the_kernel_uses_fails_busy_and_the_dimm_stays),
	  T(dimm_linux_cannot_add_still_gets_ost_success_and_ejects),
	  T(a_one_block_dimm_carries_its_memmap_with_memmap_on_memory),
	  T(without_memmap_on_memory_a_dimm_memmap_is_kernel_memory))
