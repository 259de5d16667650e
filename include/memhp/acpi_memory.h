/* SPDX-License-Identifier: MIT */
/*
 * memhp/acpi_memory.h - DIMM hotplug through ACPI: QEMU 7.2's memory
 * hotplug controller (hw/acpi/memory_hotplug.c, the device side: one
 * status per slot, the registers the AML reads and writes) and Linux 6.1's
 * handling of it (drivers/acpi/scan.c's hotplug work and
 * drivers/acpi/acpi_memhotplug.c: add_memory() on insertion, offline and
 * remove on an eject request).
 *
 * QEMU plugs a DIMM into a slot and raises the memory hotplug GPE; the
 * guest's AML scans the slots, notifies the memory devices whose insert or
 * remove flag is set, and Linux's hotplug work handles each notification
 * and reports back with _OST, which QEMU turns into ACPI_DEVICE_OST. On an
 * eject request Linux offlines the DIMM's memory blocks (two passes, as
 * acpi_scan_try_to_offline() does), removes the memory and calls _EJ0,
 * which makes QEMU unplug the DIMM (DEVICE_DELETED); if a block cannot go
 * offline, the blocks go back online and _OST says "busy": QEMU keeps the
 * DIMM. What QEMU 7.2 and Linux 6.1 send, in order, is pinned in
 * tests/test_acpi_memory.c from tests/guest/balloon-dimm-qmp.sh.
 */
#ifndef MEMHP_ACPI_MEMORY_H
#define MEMHP_ACPI_MEMORY_H

#include <memhp/machine.h>

#ifdef __cplusplus
extern "C" {
#endif

/* _OST source events (ACPI_NOTIFY_*) and status codes (ACPI_OST_SC_*). */
#define MEMHP_ACPI_NOTIFY_DEVICE_CHECK 1
#define MEMHP_ACPI_NOTIFY_EJECT_REQUEST 3
#define MEMHP_ACPI_OST_SC_SUCCESS 0
#define MEMHP_ACPI_OST_SC_NON_SPECIFIC_FAILURE 0x80
#define MEMHP_ACPI_OST_SC_DEVICE_BUSY 0x82
#define MEMHP_ACPI_OST_SC_EJECT_IN_PROGRESS 0x84

/* QEMU's ACPI_MAX_RAM_SLOTS. */
#define MEMHP_ACPI_MAX_SLOTS 256
#define MEMHP_ACPI_ID_MAX 64

/* ---- The controller (QEMU's MemHotplugState) ----------------------------------- */

struct memhp_acpi_memhp;

/* What the VMM hears from the controller, from the guest's thread. */
struct memhp_acpi_memhp_ops {
	/* The guest wrote _OST for @slot: QEMU's ACPI_DEVICE_OST. @id is the
	 * DIMM's id, or NULL (an anonymous DIMM, or the slot is empty). */
	void (*ost)(void *priv, unsigned int slot, const char *id, uint32_t event, uint32_t status);
	/* The guest called _EJ0 on @slot: unplug the DIMM (DEVICE_DELETED).
	 * The slot is empty when it returns. */
	void (*ejected)(void *priv, unsigned int slot);
};

/* Returns 0, -EINVAL (no slots, more than MEMHP_ACPI_MAX_SLOTS), -ENOMEM. */
MEMHP_API int memhp_acpi_memhp_create(struct memhp_machine *m, unsigned int nr_slots,
				      struct memhp_acpi_memhp **out);
MEMHP_API void memhp_acpi_memhp_destroy(struct memhp_acpi_memhp *c);
MEMHP_API unsigned int memhp_acpi_memhp_nr_slots(struct memhp_acpi_memhp *c);
/* Once it returns, the previous ops are not running. */
MEMHP_API void memhp_acpi_memhp_set_ops(struct memhp_acpi_memhp *c,
					const struct memhp_acpi_memhp_ops *ops, void *priv);

/*
 * acpi_memory_plug_cb(): a DIMM of [@addr, @addr + @size) on node @node in
 * @slot. A cold-plugged one (@hotplugged false, at start-up) is just there;
 * a hot-plugged one sets the slot's insert flag and raises the GPE.
 * Returns 0, -EINVAL (no such slot), -EBUSY (the slot holds a DIMM).
 */
MEMHP_API int memhp_acpi_memhp_plug(struct memhp_acpi_memhp *c, unsigned int slot, uint64_t addr,
				    uint64_t size, int node, const char *id, bool hotplugged);
/* acpi_memory_unplug_request_cb(): set the remove flag, raise the GPE.
 * Returns 0 or -EINVAL (no DIMM in the slot). */
MEMHP_API int memhp_acpi_memhp_unplug_request(struct memhp_acpi_memhp *c, unsigned int slot);

/* ---- What the guest's AML sees and does ------------------------------------------- */

struct memhp_acpi_slot_status {
	bool enabled, inserting, removing;
	uint64_t addr, size;
	int node;
};
/* The slot's registers (MRBL/MRBH, MRLL/MRLH, MPX, MES/MINS/MRMV).
 * Returns 0 or -EINVAL. */
MEMHP_API int memhp_acpi_memhp_read(struct memhp_acpi_memhp *c, unsigned int slot,
				    struct memhp_acpi_slot_status *st);
/* MINS/MRMV writes: the guest saw the event. */
MEMHP_API void memhp_acpi_memhp_clear_insert(struct memhp_acpi_memhp *c, unsigned int slot);
MEMHP_API void memhp_acpi_memhp_clear_remove(struct memhp_acpi_memhp *c, unsigned int slot);
/* MEJ0: eject; an empty slot is ignored (QEMU traces it). */
MEMHP_API void memhp_acpi_memhp_eject(struct memhp_acpi_memhp *c, unsigned int slot);
/* MOST: _OST(event, status) for the slot. */
MEMHP_API void memhp_acpi_memhp_ost(struct memhp_acpi_memhp *c, unsigned int slot, uint32_t event,
				    uint32_t status);
/* The GPE, as the guest's SCI handler takes it. Called from the thread
 * that raised it; once set returns, the previous one is not running. */
typedef void (*memhp_acpi_gpe_fn)(struct memhp_acpi_memhp *c, void *priv);
MEMHP_API void memhp_acpi_memhp_set_gpe(struct memhp_acpi_memhp *c, memhp_acpi_gpe_fn fn,
					void *priv);

/* ---- Linux 6.1's side ------------------------------------------------------------- */

struct memhp_acpi_memhp_drv;

struct memhp_acpi_memhp_drv_params {
	/* false: a worker thread runs the hotplug work (kacpi_hotplug_wq);
	 * true: it waits for memhp_acpi_memhp_drv_process(). */
	bool sync;
};
MEMHP_API void memhp_acpi_memhp_drv_params_init(struct memhp_acpi_memhp_drv_params *p);

/*
 * The boot-time scan (acpi_memory_device_add() for every enabled slot:
 * a static memory group, add_memory() of the DIMM, onlined as
 * auto_online_blocks says), then take the GPE. A DIMM whose memory cannot
 * be added (not in memory blocks) is left out, as Linux leaves it.
 * Returns 0, -ENOMEM, -EBUSY (the controller has a guest already).
 */
MEMHP_API int memhp_acpi_memhp_drv_probe(struct memhp_machine *m, struct memhp_acpi_memhp *c,
					 const struct memhp_acpi_memhp_drv_params *params,
					 struct memhp_acpi_memhp_drv **out);
/* Stop the work; what is added stays. */
MEMHP_API void memhp_acpi_memhp_drv_remove(struct memhp_acpi_memhp_drv *d);
/* Sync mode: run the queued hotplug work. Returns the notifications
 * handled. */
MEMHP_API unsigned int memhp_acpi_memhp_drv_process(struct memhp_acpi_memhp_drv *d);
/* Thread mode: wait until no work is queued or running. */
MEMHP_API void memhp_acpi_memhp_drv_wait_idle(struct memhp_acpi_memhp_drv *d);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_ACPI_MEMORY_H */
