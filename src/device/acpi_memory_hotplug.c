// SPDX-License-Identifier: MIT
/*
 * acpi_memory_hotplug.c - QEMU 7.2's ACPI memory hotplug controller
 * (hw/acpi/memory_hotplug.c): a status per DIMM slot (enabled, inserting,
 * removing, the last _OST), what the guest's AML reads of a slot, and what
 * its writes do: clear the insert or remove flag, eject (QEMU's
 * hotplug_handler_unplug(): the VMM unplugs the DIMM), report _OST (QEMU's
 * ACPI_DEVICE_OST, with the DIMM's id while the slot holds one).
 *
 * Locks: ops_lock (the VMM's ops, held while they run) and gpe_lock (the
 * guest's GPE function, held while it runs), each before lock (the
 * slots); never one inside the other, so a VMM may plug (which raises the
 * GPE) under a lock its ops take.
 */
#include <memhp/acpi_memory.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	bool enabled, inserting, removing;
	uint64_t addr, size;
	int node;
	char id[MEMHP_ACPI_ID_MAX]; /* "" when anonymous */
	uint32_t ost_event, ost_status;
};

struct memhp_acpi_memhp {
	struct memhp_machine *m;
	unsigned int nr_slots;
	struct slot *slots;
	pthread_mutex_t lock;

	pthread_mutex_t ops_lock, gpe_lock;
	const struct memhp_acpi_memhp_ops *ops;
	void *ops_priv;
	memhp_acpi_gpe_fn gpe;
	void *gpe_priv;
};

int memhp_acpi_memhp_create(struct memhp_machine *m, unsigned int nr_slots,
			    struct memhp_acpi_memhp **out)
{
	struct memhp_acpi_memhp *c;

	if (!m || !out || !nr_slots || nr_slots > MEMHP_ACPI_MAX_SLOTS)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->slots = calloc(nr_slots, sizeof(*c->slots)))) {
		free(c);
		return -ENOMEM;
	}
	c->m = m;
	c->nr_slots = nr_slots;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->ops_lock, NULL);
	pthread_mutex_init(&c->gpe_lock, NULL);
	*out = c;
	return 0;
}

void memhp_acpi_memhp_destroy(struct memhp_acpi_memhp *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->gpe_lock);
	pthread_mutex_destroy(&c->ops_lock);
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}

unsigned int memhp_acpi_memhp_nr_slots(struct memhp_acpi_memhp *c)
{
	return c ? c->nr_slots : 0;
}

void memhp_acpi_memhp_set_ops(struct memhp_acpi_memhp *c, const struct memhp_acpi_memhp_ops *ops,
			      void *priv)
{
	pthread_mutex_lock(&c->ops_lock);
	c->ops = ops;
	c->ops_priv = priv;
	pthread_mutex_unlock(&c->ops_lock);
}

void memhp_acpi_memhp_set_gpe(struct memhp_acpi_memhp *c, memhp_acpi_gpe_fn fn, void *priv)
{
	pthread_mutex_lock(&c->gpe_lock);
	c->gpe = fn;
	c->gpe_priv = priv;
	pthread_mutex_unlock(&c->gpe_lock);
}

/* acpi_send_event(ACPI_MEMORY_HOTPLUG_STATUS). */
static void raise_gpe(struct memhp_acpi_memhp *c)
{
	pthread_mutex_lock(&c->gpe_lock);
	if (c->gpe)
		c->gpe(c, c->gpe_priv);
	pthread_mutex_unlock(&c->gpe_lock);
}

int memhp_acpi_memhp_plug(struct memhp_acpi_memhp *c, unsigned int slot, uint64_t addr,
			  uint64_t size, int node, const char *id, bool hotplugged)
{
	struct slot *s;

	if (!c || slot >= c->nr_slots)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	s = &c->slots[slot];
	if (s->enabled) {
		pthread_mutex_unlock(&c->lock);
		return -EBUSY;
	}
	s->enabled = true;
	s->inserting = hotplugged;
	s->removing = false;
	s->addr = addr;
	s->size = size;
	s->node = node;
	snprintf(s->id, sizeof(s->id), "%s", id ? id : "");
	pthread_mutex_unlock(&c->lock);
	if (hotplugged)
		raise_gpe(c);
	return 0;
}

int memhp_acpi_memhp_unplug_request(struct memhp_acpi_memhp *c, unsigned int slot)
{
	if (!c || slot >= c->nr_slots)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (!c->slots[slot].enabled) {
		pthread_mutex_unlock(&c->lock);
		return -EINVAL;
	}
	c->slots[slot].removing = true;
	pthread_mutex_unlock(&c->lock);
	raise_gpe(c);
	return 0;
}

int memhp_acpi_memhp_read(struct memhp_acpi_memhp *c, unsigned int slot,
			  struct memhp_acpi_slot_status *st)
{
	if (!c || slot >= c->nr_slots)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	*st = (struct memhp_acpi_slot_status){
		.enabled = c->slots[slot].enabled,
		.inserting = c->slots[slot].inserting,
		.removing = c->slots[slot].removing,
		.addr = c->slots[slot].enabled ? c->slots[slot].addr : 0,
		.size = c->slots[slot].enabled ? c->slots[slot].size : 0,
		.node = c->slots[slot].enabled ? c->slots[slot].node : 0,
	};
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void memhp_acpi_memhp_clear_insert(struct memhp_acpi_memhp *c, unsigned int slot)
{
	if (!c || slot >= c->nr_slots)
		return;
	pthread_mutex_lock(&c->lock);
	c->slots[slot].inserting = false;
	pthread_mutex_unlock(&c->lock);
}

void memhp_acpi_memhp_clear_remove(struct memhp_acpi_memhp *c, unsigned int slot)
{
	if (!c || slot >= c->nr_slots)
		return;
	pthread_mutex_lock(&c->lock);
	c->slots[slot].removing = false;
	pthread_mutex_unlock(&c->lock);
}

void memhp_acpi_memhp_eject(struct memhp_acpi_memhp *c, unsigned int slot)
{
	bool enabled;

	if (!c || slot >= c->nr_slots)
		return;
	pthread_mutex_lock(&c->lock);
	enabled = c->slots[slot].enabled;
	pthread_mutex_unlock(&c->lock);
	if (!enabled)
		return;
	/* hotplug_handler_unplug(), then acpi_memory_unplug_cb() empties the
	 * slot. */
	pthread_mutex_lock(&c->ops_lock);
	if (c->ops && c->ops->ejected)
		c->ops->ejected(c->ops_priv, slot);
	pthread_mutex_unlock(&c->ops_lock);
	pthread_mutex_lock(&c->lock);
	c->slots[slot].enabled = false;
	c->slots[slot].inserting = c->slots[slot].removing = false;
	c->slots[slot].id[0] = '\0';
	pthread_mutex_unlock(&c->lock);
}

void memhp_acpi_memhp_ost(struct memhp_acpi_memhp *c, unsigned int slot, uint32_t event,
			  uint32_t status)
{
	char id[MEMHP_ACPI_ID_MAX];
	bool named;

	if (!c || slot >= c->nr_slots)
		return;
	pthread_mutex_lock(&c->lock);
	c->slots[slot].ost_event = event;
	c->slots[slot].ost_status = status;
	/* acpi_memory_device_status(): the id while a DIMM is there. */
	named = c->slots[slot].enabled && c->slots[slot].id[0];
	snprintf(id, sizeof(id), "%s", c->slots[slot].id);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_lock(&c->ops_lock);
	if (c->ops && c->ops->ost)
		c->ops->ost(c->ops_priv, slot, named ? id : NULL, event, status);
	pthread_mutex_unlock(&c->ops_lock);
}
