// SPDX-License-Identifier: MIT
/*
 * acpi_memhotplug.c - Linux 6.1's side of ACPI memory hotplug on a QEMU
 * machine: the AML's slot scan (QEMU's MSCN method, run on the GPE), the
 * hotplug work of drivers/acpi/scan.c (acpi_device_hotplug(): the
 * notification, then _OST with what came of it) and the memory device
 * driver of drivers/acpi/acpi_memhotplug.c.
 *
 * Insertion (a device check): a static memory group for the DIMM and
 * add_memory() of its range; auto_online_blocks onlines it. _OST(1, 0).
 * An eject request: _OST(3, 0x84 "in progress"), then
 * acpi_scan_try_to_offline(): every memory block of the DIMM offline, a
 * second pass if the first left one online; if one stays online, "Offline
 * failed.", the blocks go back online and _OST(3, 0x82 "busy"). Otherwise
 * the memory is removed, _EJ0 (QEMU unplugs the DIMM) and _OST(3, 0).
 *
 * Linux holds the device hotplug lock across a whole notification; memhp's
 * block calls take it for each block (memhp/hotplug.h has no call that
 * offlines a DIMM's blocks under one lock), so a write to a block's state
 * file may slip in between two of them.
 */
#include "../lib/lockdep.h"

#include <memhp/acpi_memory.h>
#include <memhp/check.h>
#include <memhp/hotplug.h>
#include <memhp/printk.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX MEMHP_ACPI_MAX_SLOTS
#define DEV_NAME_MAX 32

/* A memory device as acpi_memhotplug.c binds it. */
struct mem_device {
	bool bound;
	int mgid;
	uint64_t addr, size;
};

/* A notification waiting for the hotplug work. */
struct note {
	unsigned int slot;
	uint32_t event;
};

struct memhp_acpi_memhp_drv {
	struct memhp_machine *m;
	struct memhp_acpi_memhp *c;
	struct memhp_acpi_memhp_drv_params params;
	struct mem_device *devs; /* one per slot */

	struct mutex lock; /* the work: GPEs, the queue, the worker */
	pthread_cond_t cond;
	unsigned int gpes; /* GPEs not scanned yet */
	struct note queue[NOTE_MAX];
	unsigned int nr_queued;
	bool running, stop, have_worker;
	pthread_t worker;
};

void memhp_acpi_memhp_drv_params_init(struct memhp_acpi_memhp_drv_params *p)
{
	memset(p, 0, sizeof(*p));
}

/* The ACPI device of a slot: QEMU's MEMn is a PNP0C80. */
static const char *dev_name(unsigned int slot, char *buf)
{
	snprintf(buf, DEV_NAME_MAX, "PNP0C80:%02x", slot);
	return buf;
}

static unsigned long first_block(struct memhp_machine *m, uint64_t addr)
{
	return memhp_phys_to_block_id(m, addr);
}

static unsigned long nr_blocks(struct memhp_machine *m, uint64_t size)
{
	return size / memhp_block_size(m);
}

/* acpi_memory_enable_device(). Returns 0 or -errno. */
static int enable_device(struct memhp_acpi_memhp_drv *d, unsigned int slot)
{
	struct mem_device *md = &d->devs[slot];
	struct memhp_acpi_slot_status st;
	char name[DEV_NAME_MAX];
	int ret;

	if (md->bound)
		return 0; /* "Already enumerated" */
	memhp_acpi_memhp_read(d->c, slot, &st);
	if (!st.enabled || !st.size) {
		memhp_dev_printk(d->m, MEMHP_KERN_ERR, "acpi", "acpi", dev_name(slot, name),
				 "device is empty");
		return -EINVAL;
	}
	md->mgid = memhp_memory_group_register_static(d->m, st.node, st.size >> MEMHP_PAGE_SHIFT);
	if (md->mgid < 0)
		return md->mgid;
	/* acpi_memory_enable_device(): the memmap goes into the DIMM's own
	 * memory when the kernel parameter allows it for this size. */
	ret = memhp_add_memory(d->m, md->mgid, st.addr, st.size,
			       MEMHP_MHP_NID_IS_MGID |
				       (memhp_mhp_supports_memmap_on_memory(d->m, st.size)
						? MEMHP_MHP_MEMMAP_ON_MEMORY
						: 0));
	/* add_memory() -EEXIST: the kernel uses it already; bound anyway. */
	if (ret && ret != -EEXIST) {
		memhp_dev_printk(d->m, MEMHP_KERN_ERR, "acpi", "acpi", dev_name(slot, name),
				 "add_memory failed");
		memhp_memory_group_unregister(d->m, md->mgid);
		return ret;
	}
	md->addr = st.addr;
	md->size = st.size;
	md->bound = true;
	return 0;
}

/* One pass of acpi_scan_try_to_offline(): offline every block still
 * online; @offlined records what this pass took offline. Returns the id
 * of a block that stayed online, or -1. */
static long offline_pass(struct memhp_acpi_memhp_drv *d, const struct mem_device *md,
			 bool *offlined)
{
	const unsigned long first = first_block(d->m, md->addr), n = nr_blocks(d->m, md->size);
	long failed = -1;

	for (unsigned long i = 0; i < n; i++) {
		struct memhp_block_info bi;
		int ret;

		if (memhp_block_info(d->m, first + i, &bi) || !bi.online)
			continue;
		ret = memhp_block_offline(d->m, first + i);
		if (ret < 0) {
			if (failed < 0)
				failed = (long)(first + i);
		} else if (!ret) {
			offlined[i] = true;
		}
	}
	return failed;
}

/* acpi_scan_hot_remove(). Returns 0, -EBUSY (a block stayed online). */
static int hot_remove(struct memhp_acpi_memhp_drv *d, unsigned int slot)
{
	struct mem_device *md = &d->devs[slot];
	bool *offlined = NULL;
	long failed;
	int ret = 0;

	if (md->bound) {
		offlined = calloc(nr_blocks(d->m, md->size) + 1, sizeof(*offlined));
		if (!offlined)
			return -ENOMEM;
		/* Two passes: a block may hold what another's offlining needed. */
		failed = offline_pass(d, md, offlined);
		if (failed >= 0)
			failed = offline_pass(d, md, offlined);
		if (failed >= 0) {
			char name[DEV_NAME_MAX];
			const unsigned long first = first_block(d->m, md->addr);

			snprintf(name, sizeof(name), "memory%ld", failed);
			memhp_dev_printk(d->m, MEMHP_KERN_WARNING, "memory", "memory", name,
					 "Offline failed.");
			/* acpi_bus_online(): device_online() of every block,
			 * the default online type ("online"). */
			for (unsigned long i = 0; i < nr_blocks(d->m, md->size); i++)
				memhp_block_online(d->m, first + i, MEMHP_MMOP_OFFLINE);
			free(offlined);
			return -EBUSY;
		}
		free(offlined);
		/* acpi_bus_trim(): acpi_memory_device_remove(). */
		ret = memhp_remove_memory(d->m, md->addr, md->size);
		if (ret) {
			/* 6.1 BUG()s in __remove_memory(); memhp reports it. */
			memhp_report(d->m, MEMHP_NO_PFN, MEMHP_RULE_ACPI_REMOVE_MEMORY,
				     "acpi: removing [%#llx, %#llx) failed: %d",
				     (unsigned long long)md->addr,
				     (unsigned long long)(md->addr + md->size), ret);
			return -EIO;
		}
		memhp_memory_group_unregister(d->m, md->mgid);
		md->bound = false;
	}
	/* _EJ0: QEMU unplugs the DIMM. */
	memhp_acpi_memhp_eject(d->c, slot);
	return 0;
}

/* acpi_device_hotplug() for one notification, and its _OST. */
static void hotplug(struct memhp_acpi_memhp_drv *d, const struct note *n)
{
	uint32_t status = MEMHP_ACPI_OST_SC_SUCCESS;
	int ret;

	if (n->event == MEMHP_ACPI_NOTIFY_DEVICE_CHECK) {
		/* acpi_scan_device_check(): a handler that fails to attach does
		 * not make the notification fail: _OST says success. */
		if (enable_device(d, n->slot)) {
			char name[DEV_NAME_MAX];

			memhp_dev_printk(d->m, MEMHP_KERN_ERR, "acpi", "acpi",
					 dev_name(n->slot, name),
					 "acpi_memory_enable_device() error");
		}
	} else {
		memhp_acpi_memhp_ost(d->c, n->slot, n->event, MEMHP_ACPI_OST_SC_EJECT_IN_PROGRESS);
		ret = hot_remove(d, n->slot);
		if (ret == -EBUSY)
			status = MEMHP_ACPI_OST_SC_DEVICE_BUSY;
		else if (ret)
			status = MEMHP_ACPI_OST_SC_NON_SPECIFIC_FAILURE;
	}
	memhp_acpi_memhp_ost(d->c, n->slot, n->event, status);
}

/* QEMU's MSCN AML: each slot's insert and remove flags, cleared as they
 * are seen, become notifications. */
static void scan(struct memhp_acpi_memhp_drv *d)
{
	lockdep_assert_held(&d->lock);
	for (unsigned int s = 0; s < memhp_acpi_memhp_nr_slots(d->c); s++) {
		struct memhp_acpi_slot_status st;

		memhp_acpi_memhp_read(d->c, s, &st);
		if (st.inserting && d->nr_queued < NOTE_MAX) {
			memhp_acpi_memhp_clear_insert(d->c, s);
			d->queue[d->nr_queued++] =
				(struct note){ s, MEMHP_ACPI_NOTIFY_DEVICE_CHECK };
		}
		if (st.removing && d->nr_queued < NOTE_MAX) {
			memhp_acpi_memhp_clear_remove(d->c, s);
			d->queue[d->nr_queued++] =
				(struct note){ s, MEMHP_ACPI_NOTIFY_EJECT_REQUEST };
		}
	}
}

/* Take the next piece of work: a GPE to scan for, then the notifications
 * in order; false when there is none. */
static bool next_note(struct memhp_acpi_memhp_drv *d, struct note *n)
{
	lockdep_assert_held(&d->lock);
	if (d->gpes) {
		d->gpes = 0;
		scan(d);
	}
	if (!d->nr_queued)
		return false;
	*n = d->queue[0];
	memmove(d->queue, d->queue + 1, --d->nr_queued * sizeof(d->queue[0]));
	return true;
}

static void on_gpe(struct memhp_acpi_memhp *c, void *priv)
{
	struct memhp_acpi_memhp_drv *d = priv;

	(void)c;
	pthread_mutex_lock(&d->lock);
	d->gpes++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void *worker(void *arg)
{
	struct memhp_acpi_memhp_drv *d = arg;
	struct note n;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		if (!next_note(d, &n)) {
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		d->running = true;
		pthread_mutex_unlock(&d->lock);
		hotplug(d, &n);
		pthread_mutex_lock(&d->lock);
		d->running = false;
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

unsigned int memhp_acpi_memhp_drv_process(struct memhp_acpi_memhp_drv *d)
{
	unsigned int ran = 0;
	struct note n;

	if (!d || !d->params.sync)
		return 0;
	for (;;) {
		bool have;

		pthread_mutex_lock(&d->lock);
		have = next_note(d, &n);
		pthread_mutex_unlock(&d->lock);
		if (!have)
			return ran;
		hotplug(d, &n);
		ran++;
	}
}

void memhp_acpi_memhp_drv_wait_idle(struct memhp_acpi_memhp_drv *d)
{
	if (!d || d->params.sync)
		return;
	pthread_mutex_lock(&d->lock);
	while ((d->gpes || d->nr_queued || d->running) && !d->stop)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

int memhp_acpi_memhp_drv_probe(struct memhp_machine *m, struct memhp_acpi_memhp *c,
			       const struct memhp_acpi_memhp_drv_params *params,
			       struct memhp_acpi_memhp_drv **out)
{
	struct memhp_acpi_memhp_drv *d;
	int ret = 0;

	if (!m || !c || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->devs = calloc(memhp_acpi_memhp_nr_slots(c), sizeof(*d->devs)))) {
		free(d);
		return -ENOMEM;
	}
	d->m = m;
	d->c = c;
	if (params)
		d->params = *params;
	mutex_init(&d->lock, LOCK_RANK_ACPI_DRV);
	pthread_cond_init(&d->cond, NULL);
	/* The boot scan: every DIMM that is there. */
	for (unsigned int s = 0; s < memhp_acpi_memhp_nr_slots(c); s++) {
		struct memhp_acpi_slot_status st;

		memhp_acpi_memhp_read(c, s, &st);
		if (st.enabled)
			enable_device(d, s);
	}
	if (!d->params.sync) {
		ret = -pthread_create(&d->worker, NULL, worker, d);
		if (ret) {
			memhp_acpi_memhp_drv_remove(d);
			return ret;
		}
		d->have_worker = true;
	}
	memhp_acpi_memhp_set_gpe(c, on_gpe, d);
	*out = d;
	return 0;
}

void memhp_acpi_memhp_drv_remove(struct memhp_acpi_memhp_drv *d)
{
	if (!d)
		return;
	memhp_acpi_memhp_set_gpe(d->c, NULL, NULL);
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	if (d->have_worker)
		pthread_join(d->worker, NULL);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d->devs);
	free(d);
}
