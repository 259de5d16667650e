// SPDX-License-Identifier: MIT
/*
 * model.c - what the monitor keeps of the VM between commands: the memory
 * backends (/objects: -object's, object-add's, the machine's pc.ram) and
 * the pc-dimms (the start-up ones and device_add's), with QEMU's rules for
 * where a new DIMM goes (memory_device_get_free_addr(): first fit in device
 * memory, 2 MiB aligned) and which slot it takes; and the ACPI memory
 * hotplug controller's reports, which become ACPI_DEVICE_OST, and its
 * ejects, which unplug the DIMM (DEVICE_DELETED).
 *
 * The model outlives clients: the server (or a session of its own) holds
 * it. Its lock is held by the dispatcher around every command and by the
 * controller's callbacks (the guest's thread).
 */
#include "qmp_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* QEMU's memory-backend-ram is aligned to QEMU_VMALLOC_ALIGN on an x86-64
 * host: where a DIMM's address and size must be multiples of. */
#define DIMM_ALIGN (2ULL << 20)

static void emit(struct qmp_model *md, json_t *ev)
{
	if (ev && md->emit)
		md->emit(md->emit_priv, ev);
	else
		json_decref(ev);
}

static json_t *event_now(const char *name, json_t *data)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return qmp_event_new(name, tv.tv_sec, tv.tv_usec, data);
}

static void dimms_changed(struct qmp_model *md)
{
	uint64_t total = 0;

	for (size_t i = 0; i < md->nr_dimms; i++)
		total += md->dimms[i].size;
	if (md->vm->dimms_changed)
		md->vm->dimms_changed(md->vm->priv, total);
}

/* ---- The controller's reports (the guest's thread) ---------------------------- */

/* ACPI_DEVICE_OST: {"info": {"device": ..., "slot": "N", "slot-type":
 * "DIMM", "source": ..., "status": ...}}, the device only with an id. */
static void on_ost(void *priv, unsigned int slot, const char *id, uint32_t event, uint32_t status)
{
	struct qmp_model *md = priv;
	json_t *data = json_object(), *info = json_object();
	char s[16];

	snprintf(s, sizeof(s), "%u", slot);
	if (!data || !info || (id && json_object_set_new(info, "device", json_string(id))) ||
	    json_object_set_new(info, "slot", json_string(s)) ||
	    json_object_set_new(info, "slot-type", json_string("DIMM")) ||
	    json_object_set_new(info, "source", json_integer(event)) ||
	    json_object_set_new(info, "status", json_integer(status)) ||
	    json_object_set(data, "info", info)) {
		json_decref(info);
		json_decref(data);
		return;
	}
	json_decref(info);
	pthread_mutex_lock(&md->lock);
	emit(md, event_now("ACPI_DEVICE_OST", data));
	pthread_mutex_unlock(&md->lock);
}

/* The guest's _EJ0: QEMU unplugs the DIMM, its backend is free again, and
 * the device is deleted. */
static void on_ejected(void *priv, unsigned int slot)
{
	struct qmp_model *md = priv;

	pthread_mutex_lock(&md->lock);
	for (size_t i = 0; i < md->nr_dimms; i++) {
		struct qmp_dimm_state *d = &md->dimms[i];
		json_t *data;
		char *path;
		long b;

		if (d->slot != slot)
			continue;
		b = qmp_model_find_obj(md, d->memdev, strlen(d->memdev));
		if (b >= 0)
			md->objs[b].in_use = false;
		path = qmp_dimm_path(d);
		data = json_object();
		if (data && path &&
		    ((d->id[0] && json_object_set_new(data, "device", json_string(d->id))) ||
		     json_object_set_new(data, "path", json_string(path)))) {
			json_decref(data);
			data = NULL;
		}
		free(path);
		memmove(d, d + 1, (md->nr_dimms - i - 1) * sizeof(*d));
		md->nr_dimms--;
		if (data)
			emit(md, event_now("DEVICE_DELETED", data));
		dimms_changed(md);
		break;
	}
	pthread_mutex_unlock(&md->lock);
}

static const struct memhp_acpi_memhp_ops acpi_ops = { on_ost, on_ejected };

/* ---- Backends and DIMMs ---------------------------------------------------------- */

long qmp_model_find_obj(const struct qmp_model *md, const char *id, size_t len)
{
	for (size_t i = 0; i < md->nr_objs; i++)
		if (strlen(md->objs[i].id) == len && !memcmp(md->objs[i].id, id, len))
			return (long)i;
	return -1;
}

long qmp_model_find_dimm(const struct qmp_model *md, const char *id, size_t len)
{
	for (size_t i = 0; i < md->nr_dimms; i++)
		if (md->dimms[i].id[0] && strlen(md->dimms[i].id) == len &&
		    !memcmp(md->dimms[i].id, id, len))
			return (long)i;
	return -1;
}

char *qmp_dimm_path(const struct qmp_dimm_state *d)
{
	char *p;
	int n = d->id[0] ? asprintf(&p, "/machine/peripheral/%s", d->id)
			 : asprintf(&p, "/machine/peripheral-anon/device[%u]", d->anon);

	return n < 0 ? NULL : p;
}

int qmp_model_add_obj(struct qmp_model *md, const char *id, uint64_t size, bool in_use)
{
	if (strlen(id) >= QMP_ID_MAX)
		return -ENAMETOOLONG;
	if (qmp_model_find_obj(md, id, strlen(id)) >= 0)
		return -EEXIST;
	if (md->nr_objs == md->cap_objs) {
		size_t cap = md->cap_objs ? 2 * md->cap_objs : 8;
		struct qmp_obj *o = realloc(md->objs, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		md->objs = o;
		md->cap_objs = cap;
	}
	md->objs[md->nr_objs] = (struct qmp_obj){ .size = size, .in_use = in_use };
	strcpy(md->objs[md->nr_objs].id, id);
	md->nr_objs++;
	return 0;
}

void qmp_model_del_obj(struct qmp_model *md, size_t i)
{
	memmove(&md->objs[i], &md->objs[i + 1], (md->nr_objs - i - 1) * sizeof(md->objs[0]));
	md->nr_objs--;
}

/* Keep the DIMMs by address: query-memory-devices lists them so. */
static int add_dimm(struct qmp_model *md, const struct qmp_dimm_state *d)
{
	size_t at = 0;

	if (md->nr_dimms == md->cap_dimms) {
		size_t cap = md->cap_dimms ? 2 * md->cap_dimms : 8;
		struct qmp_dimm_state *n = realloc(md->dimms, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		md->dimms = n;
		md->cap_dimms = cap;
	}
	while (at < md->nr_dimms && md->dimms[at].addr < d->addr)
		at++;
	memmove(&md->dimms[at + 1], &md->dimms[at], (md->nr_dimms - at) * sizeof(*d));
	md->dimms[at] = *d;
	md->nr_dimms++;
	return 0;
}

/* The memory devices' ranges, ascending: DIMMs and virtio-mem regions. */
struct range {
	uint64_t start, size;
};

static int by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * memory_device_get_free_addr() without a hint: the first gap of device
 * memory that fits @size, aligned. Returns 0 and the address, or -ENOSPC
 * ("could not find position ... fragmented").
 */
static int free_addr(struct qmp_model *md, uint64_t size, uint64_t *out)
{
	const struct qmp_vm *vm = md->vm;
	size_t n = md->nr_dimms + vm->nr_devices, k = 0;
	struct range *r = calloc(n + 1, sizeof(*r));
	uint64_t at = (vm->dev_base + DIMM_ALIGN - 1) & ~(DIMM_ALIGN - 1);
	int ret = 0;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < md->nr_dimms; i++)
		r[k++] = (struct range){ md->dimms[i].addr, md->dimms[i].size };
	for (size_t i = 0; i < vm->nr_devices; i++) {
		const struct memhp_vmem_dev_config *c =
			memhp_vmem_dev_get_config(vm->devices[i].dev);

		r[k++] = (struct range){ c->addr, c->region_size };
	}
	qsort(r, k, sizeof(*r), by_start);
	for (size_t i = 0; i < k; i++) {
		if (r[i].start + r[i].size <= at)
			continue;
		if (r[i].start >= at + size)
			break;
		at = (r[i].start + r[i].size + DIMM_ALIGN - 1) & ~(DIMM_ALIGN - 1);
	}
	if (at + size > vm->dev_base + vm->dev_size)
		ret = -ENOSPC;
	free(r);
	*out = at;
	return ret;
}

uint64_t qmp_model_used(const struct qmp_model *md)
{
	uint64_t used = 0;

	for (size_t i = 0; i < md->nr_dimms; i++)
		used += md->dimms[i].size;
	for (size_t i = 0; i < md->vm->nr_devices; i++)
		used += memhp_vmem_dev_get_config(md->vm->devices[i].dev)->region_size;
	return used;
}

/*
 * Plug a DIMM whose checks passed: place it, record it, and tell the
 * guest. @d has id, memdev, size, slot filled; its address is chosen
 * here. Returns 0, -ENOSPC (no gap fits), -ENOMEM.
 */
int qmp_model_plug_dimm(struct qmp_model *md, struct qmp_dimm_state *d)
{
	long b = qmp_model_find_obj(md, d->memdev, strlen(d->memdev));
	int ret = free_addr(md, d->size, &d->addr);

	if (ret)
		return ret;
	d->hotplugged = true;
	ret = add_dimm(md, d);
	if (ret)
		return ret;
	if (b >= 0)
		md->objs[b].in_use = true;
	dimms_changed(md);
	if (md->vm->acpi)
		memhp_acpi_memhp_plug(md->vm->acpi, d->slot, d->addr, d->size, (int)d->node,
				      d->id[0] ? d->id : NULL, true);
	return 0;
}

/* ---- Life --------------------------------------------------------------------------- */

static void model_free(struct qmp_model *md)
{
	if (md->vm->acpi && md->acpi_ops_set)
		memhp_acpi_memhp_set_ops(md->vm->acpi, NULL, NULL);
	pthread_mutex_destroy(&md->lock);
	free(md->objs);
	free(md->dimms);
	free(md);
}

int qmp_model_get(struct qmp_vm *vm)
{
	struct qmp_model *md = vm->model;
	int ret = 0;

	if (md) {
		md->refs++;
		return 0;
	}
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->vm = vm;
	md->refs = 1;
	pthread_mutex_init(&md->lock, NULL);
	/* The machine's RAM is a backend too (QEMU's "pc.ram"), in use. */
	ret = qmp_model_add_obj(md, "pc.ram", vm->base_memory, true);
	for (size_t i = 0; !ret && i < vm->nr_devices; i++)
		ret = qmp_model_add_obj(md, vm->devices[i].memdev,
					memhp_vmem_dev_get_config(vm->devices[i].dev)->region_size,
					true);
	for (size_t i = 0; !ret && i < vm->nr_backends; i++)
		ret = qmp_model_add_obj(md, vm->backends[i].id, vm->backends[i].size, false);
	/* An anonymous balloon was created before any other anonymous device. */
	if (vm->balloon && !vm->balloon->id)
		md->next_anon = 1;
	for (size_t i = 0; !ret && i < vm->nr_dimms; i++) {
		const struct qmp_dimm *in = &vm->dimms[i];
		struct qmp_dimm_state d = {
			.addr = in->addr,
			.size = in->size,
			.slot = in->slot,
			.node = in->node,
		};

		snprintf(d.id, sizeof(d.id), "%s", in->id ? in->id : "");
		snprintf(d.memdev, sizeof(d.memdev), "%s", in->memdev);
		if (!in->id)
			d.anon = md->next_anon++;
		ret = qmp_model_add_obj(md, in->memdev, in->size, true);
		if (ret == -EEXIST) {
			/* Named by -object: mark it used. */
			md->objs[qmp_model_find_obj(md, in->memdev, strlen(in->memdev))].in_use =
				true;
			ret = 0;
		}
		if (!ret)
			ret = add_dimm(md, &d);
	}
	if (ret) {
		model_free(md);
		return ret;
	}
	if (vm->acpi) {
		memhp_acpi_memhp_set_ops(vm->acpi, &acpi_ops, md);
		md->acpi_ops_set = true;
	}
	vm->model = md;
	return 0;
}

void qmp_model_put(struct qmp_vm *vm)
{
	struct qmp_model *md = vm->model;

	if (!md || --md->refs)
		return;
	vm->model = NULL;
	model_free(md);
}

void qmp_model_set_emit(struct qmp_model *md, void (*fn)(void *priv, json_t *ev), void *priv)
{
	pthread_mutex_lock(&md->lock);
	md->emit = fn;
	md->emit_priv = priv;
	pthread_mutex_unlock(&md->lock);
}
