// SPDX-License-Identifier: MIT
/*
 * cmds.c - one QMP conversation: capabilities negotiation, the dispatcher
 * (QEMU's qapi/qmp-dispatch.c), the commands, and the part of the QOM tree
 * a VMM developer reaches with qom-get and qom-set.
 *
 * Every check runs in QEMU's order and fails with QEMU's error class and
 * text: the generated marshallers visit the arguments in schema order, then
 * complain about the first unexpected one in GLib hash-table order; the
 * property setters check "realized" before they look at the value.
 *
 * The QOM tree holds what memhp models and nothing else:
 *
 *	/				container
 *	/machine			pc-q35-7.2-machine
 *	/machine/peripheral		container
 *	/machine/peripheral/<id>	virtio-mem-pci (its properties alias the backend's)
 *	/machine/peripheral/<id>/virtio-backend	virtio-mem
 *	/objects			container
 *	/objects/<memdev>		memory-backend-ram
 */
#include "qemu_devices.h"
#include "qmp_int.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* QEMU's greeting: the version of Debian 12's qemu-system-x86 it copies. */
#define QMP_QEMU_MAJOR 7
#define QMP_QEMU_MINOR 2
#define QMP_QEMU_MICRO 22
#define QMP_QEMU_PACKAGE "Debian 1:7.2+dfsg-7+deb12u18+b3"
/* memhp models a q35 machine of that version. */
#define QMP_MACHINE_TYPE "pc-q35-7.2-machine"

struct qmp_session {
	struct qmp_vm *vm;
	qmp_write_fn write;
	void *priv;
	struct qmp_stream stream;
	bool negotiated; /* left capabilities negotiation */
	bool oob;	 /* the client enabled out-of-band execution */
	bool quit;
	unsigned long state_changes;
	/* Numbers of the reply being built that a json_t cannot hold
	 * (integers above INT64_MAX): qmp_u64() records them. */
	struct qmp_qnum *out_nums;
	size_t nr_out_nums, cap_out_nums;
	bool owns_model;
};

/* An error as QMP reports it. */
struct qerr {
	const char *cls; /* NULL: no error */
	struct sbuf desc;
};

static void qerr_set(struct qerr *e, const char *cls, const char *desc)
{
	if (e->cls)
		return;
	e->cls = cls;
	sbuf_adds(&e->desc, desc);
}

/* Error text with strings that may hold NULs: "%s" takes (ptr, len), "%x"
 * and "%u" a uint64_t. */
static void qerr_fmt(struct qerr *e, const char *cls, const char *fmt, ...)
{
	va_list ap;

	if (e->cls)
		return;
	e->cls = cls;
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		if (f[0] == '%' && f[1] == 's') {
			const char *s = va_arg(ap, const char *);
			size_t len = va_arg(ap, size_t);

			sbuf_add(&e->desc, s, len);
			f++;
		} else if (f[0] == '%' && f[1] == 'x') {
			sbuf_addf(&e->desc, "%" PRIx64, va_arg(ap, uint64_t));
			f++;
		} else if (f[0] == '%' && f[1] == 'u') {
			sbuf_addf(&e->desc, "%" PRIu64, va_arg(ap, uint64_t));
			f++;
		} else {
			sbuf_addc(&e->desc, *f);
		}
	}
	va_end(ap);
}

#define GENERIC "GenericError"
#define NOT_FOUND "CommandNotFound"
#define DEVICE_NOT_FOUND "DeviceNotFound"
/* A C string as the (ptr, len) pair qerr_fmt() takes. */
#define S(s) (s), strlen(s)

/* ---- Writing ------------------------------------------------------------------ */

static void send_json(struct qmp_session *s, const json_t *obj, const struct qmp_msg *msg)
{
	struct sbuf b;

	sbuf_init(&b);
	qmp_write_json(&b, obj, msg);
	/* QEMU ends every message with a newline, which its monitor turns
	 * into CRLF. */
	sbuf_adds(&b, "\r\n");
	if (!b.oom)
		s->write(s->priv, b.p, b.len);
	sbuf_free(&b);
}

/* A uint64 as QEMU's output visitor puts it in a QNum: above INT64_MAX
 * the json_t is a placeholder the writer replaces. NULL on -ENOMEM. */
static json_t *qmp_u64(struct qmp_session *s, uint64_t v)
{
	json_t *j;

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	if (s->nr_out_nums == s->cap_out_nums) {
		size_t cap = s->cap_out_nums ? 2 * s->cap_out_nums : 16;
		struct qmp_qnum *n = realloc(s->out_nums, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->out_nums = n;
		s->cap_out_nums = cap;
	}
	j = json_integer(0);
	if (j)
		s->out_nums[s->nr_out_nums++] =
			(struct qmp_qnum){ .v = j, .is_u64 = true, .u64 = v };
	return j;
}

/* A reply: the request's own numbers (an echoed id) and the reply's. */
static void send_reply(struct qmp_session *s, const json_t *rsp, const struct qmp_msg *msg)
{
	struct qmp_msg all = { .value = msg ? msg->value : NULL };
	size_t n = (msg ? msg->nr_nums : 0) + s->nr_out_nums;

	if (s->nr_out_nums && (all.nums = calloc(n, sizeof(*all.nums)))) {
		if (msg && msg->nr_nums)
			memcpy(all.nums, msg->nums, msg->nr_nums * sizeof(*all.nums));
		memcpy(all.nums + (msg ? msg->nr_nums : 0), s->out_nums,
		       s->nr_out_nums * sizeof(*all.nums));
		all.nr_nums = n;
		send_json(s, rsp, &all);
		free(all.nums);
	} else {
		send_json(s, rsp, msg);
	}
	s->nr_out_nums = 0;
}

static void now(long long *sec, long long *usec)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	*sec = tv.tv_sec;
	*usec = tv.tv_usec;
}

json_t *qmp_event_new(const char *name, long long sec, long long usec, json_t *data)
{
	json_t *ev = json_object(), *ts = json_object();

	/* qmp_event_build_dict(): "event", then "timestamp"; the generated
	 * sender adds "data". */
	if (!ev || !ts || json_object_set_new(ev, "event", json_string(name)) ||
	    json_object_set_new(ts, "seconds", json_integer(sec)) ||
	    json_object_set_new(ts, "microseconds", json_integer(usec)) ||
	    json_object_set(ev, "timestamp", ts) || (data && json_object_set(ev, "data", data))) {
		json_decref(ev);
		ev = NULL;
	}
	json_decref(ts);
	json_decref(data);
	return ev;
}

static char *qom_path_of(const struct qmp_device *d)
{
	char *p;

	if (asprintf(&p, "/machine/peripheral/%s", d->id) < 0)
		return NULL;
	return p;
}

json_t *qmp_size_change_data(const struct qmp_device *d, uint64_t size)
{
	json_t *data = json_object();
	char *path = qom_path_of(d);

	/* MEMORY_DEVICE_SIZE_CHANGE: '*id', 'size', 'qom-path'. */
	if (!data || !path || json_object_set_new(data, "id", json_string(d->id)) ||
	    json_object_set_new(data, "size", json_integer((json_int_t)size)) ||
	    json_object_set_new(data, "qom-path", json_string(path))) {
		json_decref(data);
		data = NULL;
	}
	free(path);
	return data;
}

void qmp_session_event(struct qmp_session *s, json_t *event)
{
	if (event && s->negotiated && !s->quit)
		send_json(s, event, NULL);
	json_decref(event);
}

/* ---- Arguments, as the QAPI marshallers visit them ---------------------------------- */

struct args {
	const json_t *obj;
	struct qmp_key *keys; /* QEMU order */
	size_t n;
	bool *visited;
};

static bool args_open(struct args *a, const json_t *obj, struct qerr *err)
{
	a->obj = obj;
	a->n = qmp_object_keys(obj, &a->keys);
	a->visited = NULL;
	if (a->n == SIZE_MAX || (a->n && !(a->visited = calloc(a->n, sizeof(bool))))) {
		free(a->keys);
		a->keys = NULL;
		a->n = 0;
		qerr_set(err, GENERIC, "memhp: out of memory");
		return false;
	}
	return true;
}

static void args_close(struct args *a)
{
	free(a->keys);
	free(a->visited);
}

/* The member @name, marked visited; NULL if absent. */
static json_t *args_take(struct args *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->keys[i].len == strlen(name) &&
		    !memcmp(a->keys[i].key, name, a->keys[i].len)) {
			a->visited[i] = true;
			return a->keys[i].value;
		}
	}
	return NULL;
}

/* A required string member. */
static bool args_str(struct args *a, const char *name, const char **s, size_t *len,
		     struct qerr *err)
{
	json_t *v = args_take(a, name);

	if (!v) {
		qerr_fmt(err, GENERIC, "Parameter '%s' is missing", S(name));
		return false;
	}
	if (!json_is_string(v)) {
		qerr_fmt(err, GENERIC, "Invalid parameter type for '%s', expected: string",
			 S(name));
		return false;
	}
	*s = json_string_value(v);
	*len = json_string_length(v);
	return true;
}

/* visit_check_struct(): the first member not visited, in the order a GLib
 * hash table of the member names returns it. */
static bool args_check(struct args *a, struct qerr *err)
{
	const char **names;
	size_t *lens, first;
	bool any = false;

	for (size_t i = 0; i < a->n; i++)
		any |= !a->visited[i];
	if (!any)
		return true;
	names = calloc(a->n, sizeof(*names));
	lens = calloc(a->n, sizeof(*lens));
	if (!names || !lens) {
		free(names);
		free(lens);
		qerr_set(err, GENERIC, "memhp: out of memory");
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		names[i] = a->keys[i].key;
		lens[i] = a->keys[i].len;
	}
	first = qmp_ghash_first(names, lens, a->n, a->visited);
	if (first >= a->n) {
		/* Only without memory for the simulation: any will do. */
		for (first = 0; a->visited[first]; first++)
			;
	}
	qerr_fmt(err, GENERIC, "Parameter '%s' is unexpected", names[first], lens[first]);
	free(names);
	free(lens);
	return false;
}

/* ---- The QOM tree ------------------------------------------------------------------ */

enum qom_kind {
	QOM_NONE,
	QOM_ROOT,
	QOM_MACHINE,
	QOM_PERIPHERAL,
	QOM_OBJECTS,
	QOM_PCI,     /* virtio-mem-pci */
	QOM_VMEM,    /* virtio-mem */
	QOM_BACKEND, /* memory-backend-ram */
	QOM_PERIPHERAL_ANON,
	QOM_BALLOON_PCI, /* virtio-balloon-pci */
	QOM_BALLOON,	 /* virtio-balloon-device */
	QOM_DIMM,	 /* pc-dimm */
};

struct qom {
	enum qom_kind kind;
	size_t dev; /* QOM_PCI, QOM_VMEM: vm->devices; QOM_BACKEND: the model's
		       objects; QOM_DIMM: the model's DIMMs */
};

static const char *qom_type(struct qom o)
{
	switch (o.kind) {
	case QOM_MACHINE:
		return QMP_MACHINE_TYPE;
	case QOM_PCI:
		return "virtio-mem-pci";
	case QOM_VMEM:
		return "virtio-mem";
	case QOM_BACKEND:
		return "memory-backend-ram";
	case QOM_BALLOON_PCI:
		return "virtio-balloon-pci";
	case QOM_BALLOON:
		return "virtio-balloon-device";
	case QOM_DIMM:
		return "pc-dimm";
	default:
		return "container";
	}
}

/* object_dynamic_cast(): NULL is "object", which everything is. */
static bool qom_is_a(struct qom o, const char *type)
{
	if (!type)
		return true;
	if (!strcmp(type, "memory-backend"))
		return o.kind == QOM_BACKEND;
	return !strcmp(type, qom_type(o));
}

static bool span_is(const char *s, size_t len, const char *name)
{
	return len == strlen(name) && !memcmp(s, name, len);
}

/* The balloon's place: /machine/peripheral/<id>, or without an id the
 * first anonymous device. */
static bool balloon_named(const struct qmp_vm *vm)
{
	return vm->balloon && vm->balloon->id;
}

static bool balloon_anon(const struct qmp_vm *vm)
{
	return vm->balloon && !vm->balloon->id;
}

static size_t nr_anon_dimms(const struct qmp_vm *vm)
{
	size_t n = 0;

	for (size_t k = 0; vm->model && k < vm->model->nr_dimms; k++)
		n += !vm->model->dimms[k].id[0];
	return n;
}

/* "device[N]": a child's name, valid until the next call on this thread. */
static _Thread_local char anon_name[32];

/* The children (child<> properties) of @o, one by one: false when done. */
static bool qom_child(const struct qmp_vm *vm, struct qom o, size_t i, struct qom *child,
		      const char **name)
{
	switch (o.kind) {
	case QOM_ROOT:
		if (i > 1)
			return false;
		*child = (struct qom){ i ? QOM_OBJECTS : QOM_MACHINE, 0 };
		*name = i ? "objects" : "machine";
		return true;
	case QOM_MACHINE:
		if (i > 1 || (i == 1 && !balloon_anon(vm) && !nr_anon_dimms(vm)))
			return false;
		*child = (struct qom){ i ? QOM_PERIPHERAL_ANON : QOM_PERIPHERAL, 0 };
		*name = i ? "peripheral-anon" : "peripheral";
		return true;
	case QOM_PERIPHERAL_ANON:
		/* Anonymous devices: the balloon (created first), then DIMMs. */
		if (balloon_anon(vm)) {
			if (!i) {
				*child = (struct qom){ QOM_BALLOON_PCI, 0 };
				*name = "device[0]";
				return true;
			}
			i--;
		}
		for (size_t k = 0; vm->model && k < vm->model->nr_dimms; k++) {
			if (vm->model->dimms[k].id[0] || i--)
				continue;
			snprintf(anon_name, sizeof(anon_name), "device[%u]",
				 vm->model->dimms[k].anon);
			*child = (struct qom){ QOM_DIMM, k };
			*name = anon_name;
			return true;
		}
		return false;
	case QOM_PERIPHERAL:
		if (i < vm->nr_devices) {
			*child = (struct qom){ QOM_PCI, i };
			*name = vm->devices[i].id;
			return true;
		}
		i -= vm->nr_devices;
		if (balloon_named(vm)) {
			if (!i) {
				*child = (struct qom){ QOM_BALLOON_PCI, 0 };
				*name = vm->balloon->id;
				return true;
			}
			i--;
		}
		for (size_t k = 0; vm->model && k < vm->model->nr_dimms; k++) {
			if (!vm->model->dimms[k].id[0] || i--)
				continue;
			*child = (struct qom){ QOM_DIMM, k };
			*name = vm->model->dimms[k].id;
			return true;
		}
		return false;
	case QOM_OBJECTS:
		if (!vm->model || i >= vm->model->nr_objs)
			return false;
		*child = (struct qom){ QOM_BACKEND, i };
		*name = vm->model->objs[i].id;
		return true;
	case QOM_PCI:
	case QOM_BALLOON_PCI:
		if (i)
			return false;
		*child = (struct qom){ o.kind == QOM_PCI ? QOM_VMEM : QOM_BALLOON, o.dev };
		*name = "virtio-backend";
		return true;
	default:
		return false;
	}
}

/* object_resolve_path_component(): children, and the links (the memdev
 * link of the device, and its alias on the PCI proxy). */
static struct qom qom_component(const struct qmp_vm *vm, struct qom o, const char *part, size_t len)
{
	struct qom child;
	const char *name;

	for (size_t i = 0; qom_child(vm, o, i, &child, &name); i++)
		if (span_is(part, len, name))
			return child;
	if (span_is(part, len, "memdev") && vm->model) {
		const char *id = o.kind == QOM_PCI || o.kind == QOM_VMEM ? vm->devices[o.dev].memdev
				 : o.kind == QOM_DIMM ? vm->model->dimms[o.dev].memdev
						      : NULL;
		long b = id ? qmp_model_find_obj(vm->model, id, strlen(id)) : -1;

		if (b >= 0)
			return (struct qom){ QOM_BACKEND, (size_t)b };
	}
	return (struct qom){ QOM_NONE, 0 };
}

/* A path split at '/' as g_strsplit() does: "" has no parts at all. */
struct parts {
	const char *s;
	size_t len;
};

static struct qom qom_abs(const struct qmp_vm *vm, struct qom o, const struct parts *p, size_t n,
			  const char *type)
{
	for (size_t i = 0; i < n; i++) {
		if (!p[i].len)
			continue; /* "//" and a trailing "/" */
		o = qom_component(vm, o, p[i].s, p[i].len);
		if (o.kind == QOM_NONE)
			return o;
	}
	return qom_is_a(o, type) ? o : (struct qom){ QOM_NONE, 0 };
}

/* object_resolve_partial_path(): a match below @o, unique or ambiguous. */
static struct qom qom_partial(const struct qmp_vm *vm, struct qom o, const struct parts *p,
			      size_t n, const char *type, bool *ambiguous)
{
	struct qom found = qom_abs(vm, o, p, n, type), child, sub;
	const char *name;

	for (size_t i = 0; qom_child(vm, o, i, &child, &name); i++) {
		sub = qom_partial(vm, child, p, n, type, ambiguous);
		if (sub.kind != QOM_NONE) {
			if (found.kind != QOM_NONE) {
				*ambiguous = true;
				return (struct qom){ QOM_NONE, 0 };
			}
			found = sub;
		}
		if (*ambiguous)
			return (struct qom){ QOM_NONE, 0 };
	}
	return found;
}

/* object_resolve_path_type(). */
static struct qom qom_resolve(const struct qmp_vm *vm, const char *path, size_t len,
			      const char *type, bool *ambiguous)
{
	struct parts *p;
	size_t n = 0, start = 0;
	struct qom o = { QOM_NONE, 0 };

	*ambiguous = false;
	p = calloc(len + 1, sizeof(*p));
	if (!p)
		return o;
	if (len) {
		for (size_t i = 0; i <= len; i++) {
			if (i == len || path[i] == '/') {
				p[n++] = (struct parts){ path + start, i - start };
				start = i + 1;
			}
		}
	}
	if (!n || p[0].len)
		o = qom_partial(vm, (struct qom){ QOM_ROOT, 0 }, p, n, type, ambiguous);
	else
		o = qom_abs(vm, (struct qom){ QOM_ROOT, 0 }, p + 1, n - 1, type);
	free(p);
	return o;
}

static void read_config(const struct qmp_device *d, uint64_t *plugged, uint64_t *requested)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(d->dev, &c);
	*plugged = le64toh(c.plugged_size);
	*requested = le64toh(c.requested_size);
}

/* The balloon's guest-stats, as balloon_stats_get_all() visits them. */
static json_t *guest_stats(struct qmp_session *s, struct memhp_vballoon_dev *dev)
{
	static const char *const names[MEMHP_VIRTIO_BALLOON_S_NR] = {
		"stat-swap-in",		 "stat-swap-out",    "stat-major-faults",
		"stat-minor-faults",	 "stat-free-memory", "stat-total-memory",
		"stat-available-memory", "stat-disk-caches", "stat-htlb-pgalloc",
		"stat-htlb-pgfail",
	};
	struct memhp_vballoon_guest_stats gs;
	json_t *ret = json_object(), *stats = json_object();

	memhp_vballoon_dev_guest_stats(dev, &gs);
	if (!ret || !stats || json_object_set_new(ret, "last-update", json_integer(gs.last_update)))
		goto fail;
	for (int i = 0; i < MEMHP_VIRTIO_BALLOON_S_NR; i++)
		if (json_object_set_new(stats, names[i], qmp_u64(s, gs.stats[i])))
			goto fail;
	if (json_object_set(ret, "stats", stats))
		goto fail;
	json_decref(stats);
	return ret;
fail:
	json_decref(stats);
	json_decref(ret);
	return NULL;
}

/* Properties of virtio-balloon-device, which the PCI proxy aliases. */
static json_t *balloon_get(struct qmp_session *s, const char *prop, size_t len)
{
	struct memhp_vballoon_dev *dev = s->vm->balloon->dev;
	const struct memhp_vballoon_dev_config *cfg = memhp_vballoon_dev_get_config(dev);

	if (span_is(prop, len, "guest-stats"))
		return guest_stats(s, dev);
	if (span_is(prop, len, "guest-stats-polling-interval"))
		return json_integer(memhp_vballoon_dev_poll_interval(dev));
	if (span_is(prop, len, "deflate-on-oom"))
		return json_boolean(cfg->deflate_on_oom);
	if (span_is(prop, len, "free-page-reporting"))
		return json_boolean(cfg->free_page_reporting);
	if (span_is(prop, len, "page-poison"))
		return json_boolean(cfg->page_poison);
	if (span_is(prop, len, "free-page-hint") || span_is(prop, len, "qemu-4-0-config-size"))
		return json_false();
	if (span_is(prop, len, "realized"))
		return json_true();
	return NULL;
}

/* A pc-dimm's properties. */
static json_t *dimm_get(const struct qmp_dimm_state *d, const char *prop, size_t len)
{
	if (span_is(prop, len, "addr"))
		return json_integer((json_int_t)d->addr);
	if (span_is(prop, len, "size"))
		return json_integer((json_int_t)d->size);
	if (span_is(prop, len, "slot"))
		return json_integer(d->slot);
	if (span_is(prop, len, "node"))
		return json_integer(d->node);
	if (span_is(prop, len, "hotplugged"))
		return json_boolean(d->hotplugged);
	if (span_is(prop, len, "hotpluggable") || span_is(prop, len, "realized"))
		return json_true();
	if (span_is(prop, len, "memdev")) {
		char *p;
		json_t *v;

		if (asprintf(&p, "/objects/%s", d->memdev) < 0)
			return NULL;
		v = json_string(p);
		free(p);
		return v;
	}
	return NULL;
}

static json_t *qom_get(struct qmp_session *s, struct qom o, const char *prop, size_t len,
		       struct qerr *err)
{
	const struct qmp_vm *vm = s->vm;
	const struct qmp_device *d = vm->nr_devices ? &vm->devices[o.dev] : NULL;
	const struct memhp_vmem_dev_config *cfg;
	uint64_t plugged, requested;

	if (span_is(prop, len, "type"))
		return json_string(qom_type(o));
	if (o.kind == QOM_BALLOON_PCI || o.kind == QOM_BALLOON) {
		json_t *v = balloon_get(s, prop, len);

		if (v)
			return v;
	} else if (o.kind == QOM_PCI || o.kind == QOM_VMEM) {
		cfg = memhp_vmem_dev_get_config(d->dev);
		read_config(d, &plugged, &requested);
		if (span_is(prop, len, "size"))
			return json_integer((json_int_t)plugged);
		if (span_is(prop, len, "requested-size"))
			return json_integer((json_int_t)requested);
		if (span_is(prop, len, "block-size"))
			return json_integer((json_int_t)cfg->block_size);
		if (span_is(prop, len, "memaddr"))
			return json_integer((json_int_t)cfg->addr);
		if (span_is(prop, len, "node"))
			return json_integer(cfg->node_id);
		if (span_is(prop, len, "prealloc"))
			return json_false();
		if (span_is(prop, len, "realized"))
			return json_true();
		if (span_is(prop, len, "unplugged-inaccessible"))
			return json_string(cfg->unplugged_inaccessible ? "on" : "off");
		if (span_is(prop, len, "memdev")) {
			char *p;
			json_t *v;

			if (asprintf(&p, "/objects/%s", d->memdev) < 0)
				return NULL;
			v = json_string(p);
			free(p);
			return v;
		}
	} else if (o.kind == QOM_BACKEND && span_is(prop, len, "size")) {
		return json_integer((json_int_t)vm->model->objs[o.dev].size);
	} else if (o.kind == QOM_DIMM) {
		json_t *v = dimm_get(&vm->model->dimms[o.dev], prop, len);

		if (v)
			return v;
	}
	qerr_fmt(err, GENERIC, "Property '%s.%s' not found", S(qom_type(o)), prop, len);
	return NULL;
}

/* The uint64 input visitor: unsigned integers, and negative ones for
 * backward compatibility (QEMU casts them). */
static bool visit_uint64(const json_t *v, const struct qmp_msg *msg, const char *name,
			 uint64_t *out, struct qerr *err)
{
	const struct qmp_qnum *q = json_is_number(v) ? qmp_msg_qnum(msg, v) : NULL;

	if (q && q->is_u64) {
		*out = q->u64;
		return true;
	}
	if (!q && json_is_integer(v)) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	qerr_fmt(err, GENERIC, "Parameter '%s' expects uint64", S(name));
	return false;
}

static void set_requested_size(struct qmp_session *s, const struct qmp_device *d, const json_t *v,
			       const struct qmp_msg *msg, struct qerr *err)
{
	const struct memhp_vmem_dev_config *cfg = memhp_vmem_dev_get_config(d->dev);
	uint64_t size;
	int ret;

	if (!visit_uint64(v, msg, "requested-size", &size, err))
		return;
	if (size % cfg->block_size) {
		qerr_fmt(err, GENERIC,
			 "'requested-size' has to be multiples of 'block-size' (0x%x)",
			 cfg->block_size);
		return;
	}
	if (size > cfg->region_size) {
		qerr_fmt(err, GENERIC,
			 "'requested-size' cannot exceed the memory backend size(0x%x)",
			 cfg->region_size);
		return;
	}
	ret = memhp_vmem_dev_set_requested_size(d->dev, size);
	if (ret) {
		/* Only devices that model another VMM refuse here. */
		qerr_fmt(err, GENERIC, "memhp: the %s device refused requested-size: %s",
			 S(memhp_vmem_flavor_name(cfg->flavor)), S(strerror(-ret)));
		return;
	}
	s->state_changes++;
}

/* The memdev link's setter: a path, resolved to a memory backend, then
 * refused because the device is realized. */
static void set_memdev(const struct qmp_vm *vm, const json_t *v, struct qerr *err)
{
	const char *path;
	size_t len;
	bool ambiguous;
	struct qom t;

	if (!json_is_string(v)) {
		qerr_set(err, GENERIC, "Invalid parameter type for 'memdev', expected: string");
		return;
	}
	path = json_string_value(v);
	len = json_string_length(v);
	if (len) {
		t = qom_resolve(vm, path, len, "memory-backend", &ambiguous);
		if (ambiguous) {
			qerr_fmt(err, GENERIC, "Path '%s' does not uniquely identify an object",
				 path, len);
			return;
		}
		if (t.kind == QOM_NONE) {
			t = qom_resolve(vm, path, len, NULL, &ambiguous);
			if (t.kind != QOM_NONE || ambiguous)
				qerr_set(err, GENERIC,
					 "Invalid parameter type for 'memdev', expected: "
					 "memory-backend");
			else
				qerr_fmt(err, DEVICE_NOT_FOUND, "Device '%s' not found", path, len);
			return;
		}
	}
	/* qdev_prop_allow_set_link_before_realize() prints the NULL id of
	 * the backend device with "%s". */
	qerr_set(err, GENERIC,
		 "Attempt to set link property 'memdev' on device '(null)' (type 'virtio-mem') "
		 "after "
		 "it was realized");
}

/* The int input visitor: integers that fit an int64. */
static bool visit_int(const json_t *v, const struct qmp_msg *msg, const char *name, int64_t *out,
		      struct qerr *err)
{
	const struct qmp_qnum *q = json_is_number(v) ? qmp_msg_qnum(msg, v) : NULL;

	if (!q && json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	qerr_fmt(err, GENERIC, "Invalid parameter type for '%s', expected: integer", S(name));
	return false;
}

/* qom-set on the balloon; false when @prop is not one of its own. */
static bool balloon_set(struct qmp_session *s, const char *prop, size_t len, const json_t *v,
			const struct qmp_msg *msg, struct qerr *err)
{
	static const char *const static_props[] = { "deflate-on-oom", "free-page-hint",
						    "page-poison", "free-page-reporting",
						    "qemu-4-0-config-size" };
	struct memhp_vballoon_dev *dev = s->vm->balloon->dev;
	int64_t secs;
	int ret;

	if (span_is(prop, len, "guest-stats")) {
		qerr_set(err, GENERIC,
			 "Property 'virtio-balloon-device.guest-stats' is not writable");
		return true;
	}
	if (span_is(prop, len, "guest-stats-polling-interval")) {
		if (!visit_int(v, msg, "guest-stats-polling-interval", &secs, err))
			return true;
		ret = memhp_vballoon_dev_set_poll_interval(dev, secs);
		if (ret == -EINVAL)
			qerr_set(err, GENERIC, "timer value must be greater than zero");
		else if (ret)
			qerr_set(err, GENERIC, "timer value is too big");
		else
			s->state_changes++;
		return true;
	}
	if (span_is(prop, len, "realized")) {
		if (!json_is_boolean(v))
			qerr_set(err, GENERIC,
				 "Invalid parameter type for 'realized', expected: boolean");
		else if (!json_is_true(v))
			qerr_set(err, GENERIC,
				 "memhp: unrealizing a virtio-balloon device is not supported");
		return true;
	}
	for (size_t i = 0; i < sizeof(static_props) / sizeof(static_props[0]); i++) {
		if (span_is(prop, len, static_props[i])) {
			qerr_fmt(err, GENERIC,
				 "Attempt to set property '%s' on anonymous device (type "
				 "'virtio-balloon-device') after it was realized",
				 S(static_props[i]));
			return true;
		}
	}
	return false;
}

/* qom-set on a pc-dimm, realized: false when @prop is not one of its own. */
static bool dimm_set(const struct qmp_dimm_state *d, const char *prop, size_t len, struct qerr *err)
{
	static const char *const static_props[] = { "addr", "slot", "node" };

	if (span_is(prop, len, "size")) {
		qerr_set(err, GENERIC, "Property 'pc-dimm.size' is not writable");
		return true;
	}
	if (span_is(prop, len, "memdev")) {
		/* The link setter prints the id with "%s". */
		qerr_fmt(err, GENERIC,
			 "Attempt to set link property 'memdev' on device '%s' (type 'pc-dimm') "
			 "after it was realized",
			 S(d->id[0] ? d->id : "(null)"));
		return true;
	}
	for (size_t i = 0; i < sizeof(static_props) / sizeof(static_props[0]); i++) {
		if (!span_is(prop, len, static_props[i]))
			continue;
		if (d->id[0])
			qerr_fmt(err, GENERIC,
				 "Attempt to set property '%s' on device '%s' (type 'pc-dimm') "
				 "after "
				 "it was realized",
				 S(static_props[i]), S(d->id));
		else
			qerr_fmt(
				err, GENERIC,
				"Attempt to set property '%s' on anonymous device (type 'pc-dimm') "
				"after it was realized",
				S(static_props[i]));
		return true;
	}
	return false;
}

static void qom_set(struct qmp_session *s, struct qom o, const char *prop, size_t len,
		    const json_t *v, const struct qmp_msg *msg, struct qerr *err)
{
	static const char *const static_props[] = { "memaddr", "node", "prealloc",
						    "unplugged-inaccessible" };
	const struct qmp_device *d = s->vm->nr_devices ? &s->vm->devices[o.dev] : NULL;

	if (span_is(prop, len, "type")) {
		qerr_fmt(err, GENERIC, "Property '%s.type' is not writable", S(qom_type(o)));
		return;
	}
	if (o.kind == QOM_BALLOON_PCI || o.kind == QOM_BALLOON) {
		if (balloon_set(s, prop, len, v, msg, err))
			return;
	} else if (o.kind == QOM_PCI || o.kind == QOM_VMEM) {
		/* The PCI proxy's properties are aliases: errors name the
		 * virtio-mem device behind them. */
		if (span_is(prop, len, "size")) {
			qerr_set(err, GENERIC, "Property 'virtio-mem.size' is not writable");
			return;
		}
		if (span_is(prop, len, "requested-size")) {
			set_requested_size(s, d, v, msg, err);
			return;
		}
		if (span_is(prop, len, "block-size")) {
			qerr_set(err, GENERIC, "'block-size' cannot be changed");
			return;
		}
		if (span_is(prop, len, "memdev")) {
			set_memdev(s->vm, v, err);
			return;
		}
		if (span_is(prop, len, "realized")) {
			if (!json_is_boolean(v))
				qerr_set(
					err, GENERIC,
					"Invalid parameter type for 'realized', expected: boolean");
			else if (!json_is_true(v))
				/* QEMU 7.2 aborts here; memhp refuses. */
				qerr_set(err, GENERIC,
					 "memhp: unrealizing a virtio-mem device is not supported");
			return;
		}
		for (size_t i = 0; i < sizeof(static_props) / sizeof(static_props[0]); i++) {
			if (span_is(prop, len, static_props[i])) {
				qerr_fmt(err, GENERIC,
					 "Attempt to set property '%s' on anonymous device (type "
					 "'virtio-mem') after it was realized",
					 S(static_props[i]));
				return;
			}
		}
	} else if (o.kind == QOM_BACKEND && span_is(prop, len, "size")) {
		qerr_set(err, GENERIC, "cannot change property size of memory-backend-ram ");
		return;
	} else if (o.kind == QOM_DIMM && dimm_set(&s->vm->model->dimms[o.dev], prop, len, err)) {
		return;
	}
	qerr_fmt(err, GENERIC, "Property '%s.%s' not found", S(qom_type(o)), prop, len);
}

/* ---- Commands ------------------------------------------------------------------- */

typedef json_t *(*cmd_fn)(struct qmp_session *s, struct args *a, const struct qmp_msg *msg,
			  struct qerr *err);

static json_t *cmd_qmp_capabilities(struct qmp_session *s, struct args *a,
				    const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	json_t *enable = args_take(a, "enable");
	bool oob = false;

	if (enable) {
		size_t i;
		json_t *cap;

		if (!json_is_array(enable)) {
			qerr_set(err, GENERIC,
				 "Invalid parameter type for 'enable', expected: array");
			return NULL;
		}
		json_array_foreach(enable, i, cap)
		{
			if (!json_is_string(cap)) {
				qerr_fmt(
					err, GENERIC,
					"Invalid parameter type for 'enable[%u]', expected: string",
					(uint64_t)i);
				return NULL;
			}
			if (!span_is(json_string_value(cap), json_string_length(cap), "oob")) {
				qerr_fmt(err, GENERIC,
					 "Parameter 'null' does not accept value '%s'",
					 json_string_value(cap), json_string_length(cap));
				return NULL;
			}
			oob = true;
		}
	}
	if (!args_check(a, err))
		return NULL;
	if (s->negotiated) {
		qerr_set(err, NOT_FOUND,
			 "Capabilities negotiation is already complete, command ignored");
		return NULL;
	}
	/* A socket monitor offers "oob", so enabling it always works. */
	s->oob = oob;
	s->negotiated = true;
	return json_object();
}

static json_t *cmd_quit(struct qmp_session *s, struct args *a, const struct qmp_msg *msg QMP_UNUSED,
			struct qerr *err)
{
	long long sec, usec;
	json_t *data;

	if (!args_check(a, err))
		return NULL;
	/* QEMU's SHUTDOWN event reaches the client before the reply. */
	now(&sec, &usec);
	data = json_object();
	if (data) {
		json_object_set_new(data, "guest", json_false());
		json_object_set_new(data, "reason", json_string("host-qmp-quit"));
	}
	qmp_session_event(s, qmp_event_new("SHUTDOWN", sec, usec, data));
	s->quit = true;
	return json_object();
}

/* A memory device for query-memory-devices: a virtio-mem device or a DIMM. */
struct mdev {
	uint64_t addr;
	const struct qmp_device *vmem;
	const struct qmp_dimm_state *dimm;
};

static int by_addr(const void *a, const void *b)
{
	const struct mdev *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static json_t *objects_path(const char *id)
{
	char *p;
	json_t *v;

	if (asprintf(&p, "/objects/%s", id) < 0)
		return NULL;
	v = json_string(p);
	free(p);
	return v;
}

/* VirtioMEMDeviceInfo's members in schema order. */
static json_t *vmem_info(const struct qmp_device *d)
{
	const struct memhp_vmem_dev_config *cfg = memhp_vmem_dev_get_config(d->dev);
	json_t *data = json_object();
	uint64_t plugged, requested;

	read_config(d, &plugged, &requested);
	if (!data || json_object_set_new(data, "id", json_string(d->id)) ||
	    json_object_set_new(data, "memaddr", json_integer((json_int_t)cfg->addr)) ||
	    json_object_set_new(data, "requested-size", json_integer((json_int_t)requested)) ||
	    json_object_set_new(data, "size", json_integer((json_int_t)plugged)) ||
	    json_object_set_new(data, "max-size", json_integer((json_int_t)cfg->region_size)) ||
	    json_object_set_new(data, "block-size", json_integer((json_int_t)cfg->block_size)) ||
	    json_object_set_new(data, "node", json_integer(cfg->node_id)) ||
	    json_object_set_new(data, "memdev", objects_path(d->memdev))) {
		json_decref(data);
		return NULL;
	}
	return data;
}

/* PCDIMMDeviceInfo's members in schema order; "id" only with one. */
static json_t *dimm_info(const struct qmp_dimm_state *d)
{
	json_t *data = json_object();

	if (!data || (d->id[0] && json_object_set_new(data, "id", json_string(d->id))) ||
	    json_object_set_new(data, "addr", json_integer((json_int_t)d->addr)) ||
	    json_object_set_new(data, "size", json_integer((json_int_t)d->size)) ||
	    json_object_set_new(data, "slot", json_integer(d->slot)) ||
	    json_object_set_new(data, "node", json_integer(d->node)) ||
	    json_object_set_new(data, "memdev", objects_path(d->memdev)) ||
	    json_object_set_new(data, "hotplugged", json_boolean(d->hotplugged)) ||
	    json_object_set_new(data, "hotpluggable", json_true())) {
		json_decref(data);
		return NULL;
	}
	return data;
}

static json_t *cmd_query_memory_devices(struct qmp_session *s, struct args *a,
					const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	const struct qmp_model *md = s->vm->model;
	size_t n = s->vm->nr_devices + md->nr_dimms, k = 0;
	struct mdev *devs;
	json_t *list;

	if (!args_check(a, err))
		return NULL;
	list = json_array();
	devs = calloc(n + 1, sizeof(*devs));
	if (!list || !devs) {
		free(devs);
		json_decref(list);
		return NULL;
	}
	/* QEMU lists memory devices by address. */
	for (size_t i = 0; i < s->vm->nr_devices; i++)
		devs[k++] = (struct mdev){
			memhp_vmem_dev_get_config(s->vm->devices[i].dev)->addr,
			&s->vm->devices[i],
			NULL,
		};
	for (size_t i = 0; i < md->nr_dimms; i++)
		devs[k++] = (struct mdev){ md->dimms[i].addr, NULL, &md->dimms[i] };
	qsort(devs, k, sizeof(*devs), by_addr);
	for (size_t i = 0; i < k && list; i++) {
		json_t *info = json_object();
		json_t *data = devs[i].vmem ? vmem_info(devs[i].vmem) : dimm_info(devs[i].dimm);

		if (!info || !data ||
		    json_object_set_new(info, "type",
					json_string(devs[i].vmem ? "virtio-mem" : "dimm")) ||
		    json_object_set(info, "data", data) || json_array_append(list, info)) {
			json_decref(list);
			list = NULL;
		}
		json_decref(data);
		json_decref(info);
	}
	free(devs);
	return list;
}

static json_t *cmd_query_memory_size_summary(struct qmp_session *s, struct args *a,
					     const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	const struct qmp_model *md = s->vm->model;
	uint64_t total = 0, plugged, requested;
	json_t *ret;

	if (!args_check(a, err))
		return NULL;
	for (size_t i = 0; i < s->vm->nr_devices; i++) {
		read_config(&s->vm->devices[i], &plugged, &requested);
		total += plugged;
	}
	for (size_t i = 0; i < md->nr_dimms; i++)
		total += md->dimms[i].size;
	ret = json_object();
	if (ret && (json_object_set_new(ret, "base-memory",
					json_integer((json_int_t)s->vm->base_memory)) ||
		    json_object_set_new(ret, "plugged-memory", json_integer((json_int_t)total)))) {
		json_decref(ret);
		ret = NULL;
	}
	return ret;
}

/* ---- Objects and devices at run time ------------------------------------------------ */

/* QEMU's id_wellformed(). */
static bool id_ok(const char *id, size_t len)
{
	if (!len || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || strchr("-._", id[i])) ||
		    !id[i])
			return false;
	return true;
}

/* Object types QEMU 7.2 knows besides the RAM backends: memhp refuses
 * them by name rather than pretend they do not exist. */
static const char *const other_object_types[] = {
	"memory-backend-file",
	"memory-backend-epc",
	"iothread",
	"secret",
	"secret_keyring",
	"rng-random",
	"rng-builtin",
	"rng-egd",
	"throttle-group",
	"cryptodev-backend",
	"filter-buffer",
	"filter-dump",
	"filter-mirror",
	"filter-redirector",
	"filter-replay",
	"filter-rewriter",
	"colo-compare",
	"can-bus",
	"authz-simple",
	"authz-list",
	"authz-listfile",
	"authz-pam",
	"tls-creds-anon",
	"tls-creds-psk",
	"tls-creds-x509",
	"tls-cipher-suites",
	"input-linux",
	"dbus-vmstate",
	"pr-manager-helper",
	"sev-guest",
	"x-remote-object",
	"main-loop",
};

static bool visit_bool(const json_t *v, const char *name, struct qerr *err)
{
	if (json_is_boolean(v))
		return true;
	qerr_fmt(err, GENERIC, "Invalid parameter type for '%s', expected: boolean", S(name));
	return false;
}

/* object-add: memory-backend-ram (and -memfd, the same to memhp). */
static json_t *cmd_object_add(struct qmp_session *s, struct args *a, const struct qmp_msg *msg,
			      struct qerr *err)
{
	static const char *const bools[] = { "dump",	 "merge",
					     "prealloc", "share",
					     "reserve",	 "x-use-canonical-path-for-ramblock-id" };
	struct qmp_model *md = s->vm->model;
	const char *type, *id;
	size_t tlen, idlen;
	json_t *v;
	uint64_t size = 0;
	char idbuf[QMP_ID_MAX];
	int ret;

	if (!args_str(a, "qom-type", &type, &tlen, err))
		return NULL;
	if (!span_is(type, tlen, "memory-backend-ram") &&
	    !span_is(type, tlen, "memory-backend-memfd")) {
		for (size_t i = 0; i < sizeof(other_object_types) / sizeof(other_object_types[0]);
		     i++) {
			if (span_is(type, tlen, other_object_types[i])) {
				qerr_fmt(err, GENERIC, "memhp: object type '%s' is not modelled",
					 type, tlen);
				return NULL;
			}
		}
		qerr_fmt(err, GENERIC, "Parameter 'qom-type' does not accept value '%s'", type,
			 tlen);
		return NULL;
	}
	if (!args_str(a, "id", &id, &idlen, err))
		return NULL;
	/* MemoryBackendProperties in schema order. */
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		v = args_take(a, bools[i]);
		if (v && !visit_bool(v, bools[i], err))
			return NULL;
		if (v && json_is_true(v) && !strcmp(bools[i], "prealloc")) {
			qerr_set(err, GENERIC,
				 "memhp: prealloc is not modelled (guest memory is populated as "
				 "the guest touches it)");
			return NULL;
		}
	}
	if (args_take(a, "host-nodes") || args_take(a, "policy")) {
		qerr_set(err, GENERIC, "memhp: NUMA policies are not modelled (one node)");
		return NULL;
	}
	v = args_take(a, "size");
	if (!v) {
		qerr_set(err, GENERIC, "Parameter 'size' is missing");
		return NULL;
	}
	if (!visit_uint64(v, msg, "size", &size, err) || !args_check(a, err))
		return NULL;
	/* user_creatable_add_type(): the id, then the properties, then the
	 * place under /objects. */
	if (!id_ok(id, idlen)) {
		qerr_set(err, GENERIC, "Parameter 'id' expects an identifier");
		return NULL;
	}
	if (!size) {
		qerr_fmt(err, GENERIC, "property 'size' of %s doesn't take value '0'", type, tlen);
		return NULL;
	}
	if (idlen >= sizeof(idbuf)) {
		qerr_set(err, GENERIC, "memhp: the id is too long");
		return NULL;
	}
	memcpy(idbuf, id, idlen);
	idbuf[idlen] = '\0';
	ret = qmp_model_add_obj(md, idbuf, size, false);
	if (ret == -EEXIST) {
		qerr_fmt(err, GENERIC,
			 "attempt to add duplicate property '%s' to object (type 'container')", id,
			 idlen);
		return NULL;
	}
	if (ret)
		return NULL;
	s->state_changes++;
	return json_object();
}

static json_t *cmd_object_del(struct qmp_session *s, struct args *a,
			      const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	struct qmp_model *md = s->vm->model;
	const char *id;
	size_t len;
	long i;

	if (!args_str(a, "id", &id, &len, err) || !args_check(a, err))
		return NULL;
	i = qmp_model_find_obj(md, id, len);
	if (i < 0) {
		qerr_fmt(err, GENERIC, "object '%s' not found", id, len);
		return NULL;
	}
	if (md->objs[i].in_use) {
		qerr_fmt(err, GENERIC, "object '%s' is in use, can not be deleted", id, len);
		return NULL;
	}
	qmp_model_del_obj(md, (size_t)i);
	s->state_changes++;
	return json_object();
}

/* A value of device_add as QemuOpts sees it: a string, or the text of a
 * number or boolean; false for anything else. */
static bool opt_text(const json_t *v, const struct qmp_msg *msg, char *buf, size_t len)
{
	const struct qmp_qnum *q = json_is_number(v) ? qmp_msg_qnum(msg, v) : NULL;

	if (json_is_string(v))
		snprintf(buf, len, "%.*s", (int)json_string_length(v), json_string_value(v));
	else if (q && q->is_u64)
		snprintf(buf, len, "%" PRIu64, q->u64);
	else if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "on" : "off");
	else
		return false;
	return true;
}

/*
 * A uint32 property given to device_add: QEMU makes every value a string
 * (qemu_opts_from_qdict(); true is "on") and reads it back as its
 * property's type with qemu_strtou64() in any base, leading blanks and a
 * sign allowed. Returns false after QEMU's error.
 */
static bool visit_uint32_text(const json_t *v, const struct qmp_msg *msg, const char *name,
			      unsigned int *out, struct qerr *err)
{
	char val[QMP_ID_MAX], *end;
	unsigned long long n;

	if (!opt_text(v, msg, val, sizeof(val))) {
		qerr_fmt(err, GENERIC, "Parameter '%s' expects integer", S(name));
		return false;
	}
	errno = 0;
	n = strtoull(val, &end, 0);
	if (end == val || *end || errno == EINVAL) {
		qerr_fmt(err, GENERIC, "Parameter '%s' expects integer", S(name));
		return false;
	}
	if (errno == ERANGE || n > UINT32_MAX) {
		qerr_fmt(err, GENERIC, "Parameter '%s' expects uint32_t", S(name));
		return false;
	}
	*out = (unsigned int)n;
	return true;
}

/* Is @id the id of a device already? */
static bool device_id_taken(const struct qmp_session *s, const char *id)
{
	const struct qmp_vm *vm = s->vm;

	for (size_t i = 0; i < vm->nr_devices; i++)
		if (!strcmp(vm->devices[i].id, id))
			return true;
	if (vm->balloon && vm->balloon->id && !strcmp(vm->balloon->id, id))
		return true;
	return qmp_model_find_dimm(vm->model, id, strlen(id)) >= 0;
}

/* A pc-dimm's properties from device_add, in QDict order as QEMU sets
 * them. Returns false after setting the error. */
static bool dimm_props(struct qmp_session *s, struct args *a, const struct qmp_msg *msg,
		       struct qmp_dimm_state *d, long *slot, uint64_t *addr, bool *have_memdev,
		       struct qerr *err)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct qmp_key *k = &a->keys[i];
		char val[QMP_ID_MAX];

		if (span_is(k->key, k->len, "driver") || span_is(k->key, k->len, "id"))
			continue;
		if (span_is(k->key, k->len, "memdev")) {
			bool ambiguous;
			struct qom t;

			if (!opt_text(k->value, msg, val, sizeof(val))) {
				qerr_set(err, GENERIC,
					 "Invalid parameter type for 'memdev', expected: string");
				return false;
			}
			t = qom_resolve(s->vm, val, strlen(val), "memory-backend", &ambiguous);
			if (ambiguous) {
				qerr_fmt(err, GENERIC,
					 "Path '%s' does not uniquely identify an object", S(val));
				return false;
			}
			if (t.kind == QOM_NONE) {
				t = qom_resolve(s->vm, val, strlen(val), NULL, &ambiguous);
				if (t.kind != QOM_NONE || ambiguous)
					qerr_set(err, GENERIC,
						 "Invalid parameter type for 'memdev', expected: "
						 "memory-backend");
				else
					qerr_fmt(err, DEVICE_NOT_FOUND, "Device '%s' not found",
						 S(val));
				return false;
			}
			snprintf(d->memdev, sizeof(d->memdev), "%s", s->vm->model->objs[t.dev].id);
			*have_memdev = true;
		} else if (span_is(k->key, k->len, "addr")) {
			if (!visit_uint64(k->value, msg, "addr", addr, err))
				return false;
		} else if (span_is(k->key, k->len, "slot")) {
			int64_t v;

			if (!opt_text(k->value, msg, val, sizeof(val)) ||
			    (v = strtoll(val, NULL, 0), v < INT32_MIN || v > INT32_MAX)) {
				qerr_set(err, GENERIC, "Parameter 'slot' expects int32_t");
				return false;
			}
			*slot = (long)v;
		} else if (span_is(k->key, k->len, "node")) {
			if (!visit_uint32_text(k->value, msg, "node", &d->node, err))
				return false;
		} else {
			qerr_fmt(err, GENERIC, "Property 'pc-dimm.%s' not found", k->key, k->len);
			return false;
		}
	}
	return true;
}

/*
 * device_add: a pc-dimm goes through QEMU's checks in QEMU's order and is
 * plugged (the guest hears of it through ACPI); a PCI device cannot be
 * plugged into q35's root bus; a name QEMU does not know is refused as it
 * refuses it.
 */
static json_t *cmd_device_add(struct qmp_session *s, struct args *a, const struct qmp_msg *msg,
			      struct qerr *err)
{
	struct qmp_model *md = s->vm->model;
	const struct qmp_vm *vm = s->vm;
	struct qmp_dimm_state d = { .slot = 0 };
	json_t *jid = args_take(a, "id"), *jdriver = args_take(a, "driver");
	const struct qemu_device_model *model = NULL;
	const char *driver;
	bool have_memdev = false;
	uint64_t addr = 0, used;
	long slot = -1;
	int ret;

	/* Every member is a property: none is "unexpected". */
	for (size_t i = 0; i < a->n; i++)
		a->visited[i] = true;
	/* qemu_opts_from_qdict(): a string id must be an identifier; any other
	 * id is no id. */
	if (jid && json_is_string(jid)) {
		if (!id_ok(json_string_value(jid), json_string_length(jid))) {
			qerr_set(err, GENERIC, "Parameter 'id' expects an identifier");
			return NULL;
		}
		if (json_string_length(jid) >= sizeof(d.id)) {
			qerr_set(err, GENERIC, "memhp: the id is too long");
			return NULL;
		}
		snprintf(d.id, sizeof(d.id), "%s", json_string_value(jid));
	}
	if (!jdriver || !json_is_string(jdriver)) {
		qerr_set(err, GENERIC, "Parameter 'driver' is missing");
		return NULL;
	}
	driver = json_string_value(jdriver);
	for (size_t i = 0; i < sizeof(qemu_device_models) / sizeof(qemu_device_models[0]); i++)
		if (!strcmp(driver, qemu_device_models[i].name) ||
		    (qemu_device_models[i].alias && !strcmp(driver, qemu_device_models[i].alias)))
			model = &qemu_device_models[i];
	if (!model || strlen(driver) != json_string_length(jdriver)) {
		qerr_fmt(err, GENERIC, "'%s' is not a valid device model name", driver,
			 json_string_length(jdriver));
		return NULL;
	}
	if (model->pci) {
		/* q35's pcie.0 takes no hotplug; memhp models no root ports. */
		qerr_set(err, GENERIC, "Bus 'pcie.0' does not support hotplugging");
		return NULL;
	}
	if (strcmp(model->name, "pc-dimm")) {
		qerr_fmt(err, GENERIC, "memhp: device_add of %s is not modelled (pc-dimm is)",
			 S(model->name));
		return NULL;
	}
	if (d.id[0] && device_id_taken(s, d.id)) {
		qerr_fmt(err, GENERIC, "Duplicate device ID '%s'", S(d.id));
		return NULL;
	}
	/* qdev_set_id(): an anonymous device takes its number now, whether
	 * or not it is realized. */
	if (!d.id[0])
		d.anon = md->next_anon++;
	if (!dimm_props(s, a, msg, &d, &slot, &addr, &have_memdev, err))
		return NULL;
	/* pc_dimm_pre_plug(): the slot. */
	if ((slot < 0 || slot >= (long)vm->slots) && slot != -1) {
		char n[24];

		snprintf(n, sizeof(n), "%ld", slot);
		qerr_fmt(err, GENERIC, "invalid slot number %s, valid range is [0-%u]", S(n),
			 (uint64_t)vm->slots - 1);
		return NULL;
	}
	if (!vm->slots) {
		qerr_set(err, GENERIC,
			 "no slots where allocated, please specify the 'slots' option");
		return NULL;
	}
	if (slot >= 0) {
		for (size_t i = 0; i < md->nr_dimms; i++)
			if ((long)md->dimms[i].slot == slot) {
				qerr_fmt(err, GENERIC, "slot %u is busy", (uint64_t)slot);
				return NULL;
			}
		d.slot = (unsigned int)slot;
	} else {
		bool found = false;

		for (unsigned int k = 0; k < vm->slots && !found; k++) {
			found = true;
			for (size_t i = 0; i < md->nr_dimms && found; i++)
				found = md->dimms[i].slot != k;
			if (found)
				d.slot = k;
		}
		if (!found) {
			qerr_set(err, GENERIC, "no free slots available");
			return NULL;
		}
	}
	/* memory_device_pre_plug(). */
	if (!have_memdev) {
		qerr_set(err, GENERIC, "'memdev' property must be set");
		return NULL;
	}
	d.size = md->objs[qmp_model_find_obj(md, d.memdev, strlen(d.memdev))].size;
	if (!vm->maxmem || vm->maxmem <= vm->base_memory) {
		qerr_set(err, GENERIC,
			 "memory devices (e.g. for memory hotplug) are not enabled, please specify "
			 "the maxmem option");
		return NULL;
	}
	used = qmp_model_used(md);
	if (used + d.size < used || used + d.size > vm->maxmem - vm->base_memory) {
		qerr_fmt(
			err, GENERIC,
			"not enough space, currently 0x%x in use of total space for memory devices "
			"0x%x",
			used, vm->maxmem - vm->base_memory);
		return NULL;
	}
	if (addr) {
		/* memhp places DIMMs itself: an address is not modelled. */
		if (addr % (2ULL << 20)) {
			qerr_set(err, GENERIC, "address must be aligned to 0x200000 bytes");
			return NULL;
		}
		qerr_set(err, GENERIC, "memhp: device_add with addr= is not modelled");
		return NULL;
	}
	if (d.size % (2ULL << 20)) {
		qerr_set(err, GENERIC, "backend memory size must be multiple of 0x200000");
		return NULL;
	}
	/* realize: pc_dimm_realize() checks the node before the backend. */
	if (d.node >= (unsigned int)memhp_nr_node_ids(vm->m)) {
		qerr_fmt(err, GENERIC,
			 "'DIMM property node has value %u' which exceeds the number of numa "
			 "nodes: %u",
			 (uint64_t)d.node, (uint64_t)memhp_nr_node_ids(vm->m));
		return NULL;
	}
	if (md->objs[qmp_model_find_obj(md, d.memdev, strlen(d.memdev))].in_use) {
		qerr_fmt(err, GENERIC, "can't use already busy memdev: %s", S(d.memdev));
		return NULL;
	}
	ret = qmp_model_plug_dimm(md, &d);
	if (ret == -ENOSPC) {
		qerr_set(err, GENERIC,
			 "could not find position in guest address space for memory device - "
			 "memory fragmented due to alignments");
		return NULL;
	}
	if (ret)
		return NULL;
	s->state_changes++;
	return json_object();
}

/* device_del: a DIMM gets an ACPI eject request; what the guest makes of
 * it comes as events. PCI devices sit on a bus without hotplug. */
static json_t *cmd_device_del(struct qmp_session *s, struct args *a,
			      const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	struct qmp_model *md = s->vm->model;
	const char *id;
	size_t len;
	struct qom o = { QOM_NONE, 0 };
	bool ambiguous;

	if (!args_str(a, "id", &id, &len, err) || !args_check(a, err))
		return NULL;
	/* find_device_state(): an absolute path, or a child of
	 * /machine/peripheral. */
	if (len && id[0] == '/') {
		o = qom_resolve(s->vm, id, len, NULL, &ambiguous);
	} else {
		struct qom child;
		const char *name;

		for (size_t i = 0;
		     qom_child(s->vm, (struct qom){ QOM_PERIPHERAL, 0 }, i, &child, &name); i++)
			if (span_is(id, len, name))
				o = child;
	}
	if (o.kind == QOM_NONE) {
		qerr_fmt(err, DEVICE_NOT_FOUND, "Device '%s' not found", id, len);
		return NULL;
	}
	if (o.kind == QOM_PCI || o.kind == QOM_BALLOON_PCI) {
		qerr_set(err, GENERIC, "Bus 'pcie.0' does not support hotplugging");
		return NULL;
	}
	if (o.kind != QOM_DIMM) {
		qerr_fmt(err, GENERIC, "%s is not a hotpluggable device", id, len);
		return NULL;
	}
	if (s->vm->acpi)
		memhp_acpi_memhp_unplug_request(s->vm->acpi, md->dimms[o.dev].slot);
	s->state_changes++;
	return json_object();
}

static bool qom_args(struct qmp_session *s, struct args *a, bool want_value, struct qom *o,
		     const char **prop, size_t *plen, json_t **value, struct qerr *err)
{
	const char *path;
	size_t len;
	bool ambiguous;

	if (!args_str(a, "path", &path, &len, err) || !args_str(a, "property", prop, plen, err))
		return false;
	if (want_value) {
		*value = args_take(a, "value");
		if (!*value) {
			qerr_set(err, GENERIC, "Parameter 'value' is missing");
			return false;
		}
	}
	if (!args_check(a, err))
		return false;
	*o = qom_resolve(s->vm, path, len, NULL, &ambiguous);
	if (o->kind == QOM_NONE) {
		qerr_fmt(err, DEVICE_NOT_FOUND, "Device '%s' not found", path, len);
		return false;
	}
	return true;
}

static json_t *cmd_qom_get(struct qmp_session *s, struct args *a,
			   const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	const char *prop;
	size_t len;
	struct qom o;

	if (!qom_args(s, a, false, &o, &prop, &len, NULL, err))
		return NULL;
	return qom_get(s, o, prop, len, err);
}

static json_t *cmd_qom_set(struct qmp_session *s, struct args *a, const struct qmp_msg *msg,
			   struct qerr *err)
{
	const char *prop;
	size_t len;
	json_t *value;
	struct qom o;

	if (!qom_args(s, a, true, &o, &prop, &len, &value, err))
		return NULL;
	qom_set(s, o, prop, len, value, msg, err);
	return err->cls ? NULL : json_object();
}

/* have_balloon() of softmmu/balloon.c. */
static bool have_balloon(struct qmp_session *s, struct qerr *err)
{
	if (s->vm->balloon)
		return true;
	qerr_set(err, "DeviceNotActive", "No balloon device has been activated");
	return false;
}

static json_t *cmd_balloon(struct qmp_session *s, struct args *a, const struct qmp_msg *msg,
			   struct qerr *err)
{
	json_t *v = args_take(a, "value");
	int64_t target;

	if (!v) {
		qerr_set(err, GENERIC, "Parameter 'value' is missing");
		return NULL;
	}
	if (!visit_int(v, msg, "value", &target, err) || !args_check(a, err) ||
	    !have_balloon(s, err))
		return NULL;
	/* The schema names it "value"; qmp_balloon() calls it "target". */
	if (target <= 0) {
		qerr_set(err, GENERIC, "Parameter 'target' expects a size");
		return NULL;
	}
	memhp_vballoon_dev_set_target(s->vm->balloon->dev, (uint64_t)target);
	s->state_changes++;
	return json_object();
}

static json_t *cmd_query_balloon(struct qmp_session *s, struct args *a,
				 const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	json_t *ret;

	if (!args_check(a, err) || !have_balloon(s, err))
		return NULL;
	ret = json_object();
	if (ret && json_object_set_new(ret, "actual",
				       json_integer((json_int_t)memhp_vballoon_dev_logical_size(
					       s->vm->balloon->dev)))) {
		json_decref(ret);
		ret = NULL;
	}
	return ret;
}

struct command {
	const char *name;
	cmd_fn fn;
	bool before_negotiation;
};

static const struct command commands[] = {
	{ "balloon", cmd_balloon, false },
	{ "device_add", cmd_device_add, false },
	{ "device_del", cmd_device_del, false },
	{ "object-add", cmd_object_add, false },
	{ "object-del", cmd_object_del, false },
	{ "qmp_capabilities", cmd_qmp_capabilities, true },
	{ "query-balloon", cmd_query_balloon, false },
	{ "qom-get", cmd_qom_get, false },
	{ "qom-set", cmd_qom_set, false },
	{ "query-memory-devices", cmd_query_memory_devices, false },
	{ "query-memory-size-summary", cmd_query_memory_size_summary, false },
	{ "quit", cmd_quit, false },
};

/* ---- The dispatcher ------------------------------------------------------------- */

/* qmp_dispatch_check_obj(): the members in QDict order, the first problem
 * wins. */
static bool check_request(struct qmp_session *s, const json_t *req, struct qmp_key *winner,
			  struct qerr *err)
{
	const struct qmp_key *exec = NULL;
	struct qmp_key *keys;
	size_t n = qmp_object_keys(req, &keys);

	if (n == SIZE_MAX) {
		qerr_set(err, GENERIC, "memhp: out of memory");
		return false;
	}
	for (size_t i = 0; i < n && !err->cls; i++) {
		const struct qmp_key *k = &keys[i];

		if (span_is(k->key, k->len, "execute") ||
		    (s->oob && span_is(k->key, k->len, "exec-oob"))) {
			if (!json_is_string(k->value))
				qerr_fmt(err, GENERIC, "QMP input member '%s' must be a string",
					 k->key, k->len);
			else if (exec)
				qerr_fmt(err, GENERIC, "QMP input member '%s' clashes with '%s'",
					 k->key, k->len, exec->key, exec->len);
			else
				exec = k;
		} else if (span_is(k->key, k->len, "arguments")) {
			if (!json_is_object(k->value))
				qerr_set(err, GENERIC,
					 "QMP input member 'arguments' must be an object");
		} else if (!span_is(k->key, k->len, "id")) {
			qerr_fmt(err, GENERIC, "QMP input member '%s' is unexpected", k->key,
				 k->len);
		}
	}
	if (!err->cls && !exec)
		qerr_set(err, GENERIC, "QMP input lacks member 'execute'");
	if (!err->cls)
		*winner = *exec;
	free(keys);
	return !err->cls;
}

static void dispatch(struct qmp_session *s, const struct qmp_msg *msg)
{
	const json_t *req = msg->value;
	struct qerr err = { 0 };
	const struct command *cmd = NULL;
	struct qmp_key exec = { 0 };
	json_t *id = NULL, *ret = NULL, *rsp, *e;
	struct args a = { 0 };
	const char *name;
	size_t len;
	bool oob;

	sbuf_init(&err.desc);
	if (!json_is_object(req)) {
		qerr_set(&err, GENERIC, "QMP input must be a JSON object");
		goto out;
	}
	id = json_object_get(req, "id");
	if (!check_request(s, req, &exec, &err))
		goto out;
	oob = span_is(exec.key, exec.len, "exec-oob");
	name = json_string_value(exec.value);
	len = json_string_length(exec.value);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if ((s->negotiated || commands[i].before_negotiation) &&
		    span_is(name, len, commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		qerr_fmt(&err, NOT_FOUND, "The command %s has not been found", name, len);
		goto out;
	}
	if (oob) {
		qerr_fmt(&err, GENERIC, "The command %s does not support OOB", name, len);
		goto out;
	}
	if (!args_open(&a, json_object_get(req, "arguments") ?: json_object(), &err))
		goto out;
	if (s->vm->model)
		pthread_mutex_lock(&s->vm->model->lock);
	ret = cmd->fn(s, &a, msg, &err);
	if (s->vm->model)
		pthread_mutex_unlock(&s->vm->model->lock);
	if (!ret && !err.cls)
		qerr_set(&err, GENERIC, "memhp: out of memory");
out:
	if (!s->negotiated && err.cls && !strcmp(err.cls, NOT_FOUND)) {
		/* monitor_qmp_dispatch() rewords it while negotiating. */
		err.desc.len = 0;
		sbuf_adds(&err.desc, "Expecting capabilities negotiation with 'qmp_capabilities'");
	}
	rsp = json_object();
	if (err.cls) {
		json_decref(ret);
		e = json_object();
		if (rsp && e) {
			json_object_set_new(e, "class", json_string(err.cls));
			json_object_set_new(
				e, "desc",
				qmp_json_raw_string(err.desc.p ? err.desc.p : "", err.desc.len));
			json_object_set_new(rsp, "error", e);
		} else {
			json_decref(e);
		}
	} else if (rsp) {
		json_object_set_new(rsp, "return", ret);
	} else {
		json_decref(ret);
	}
	if (rsp && id)
		json_object_set(rsp, "id", id);
	if (rsp && !err.desc.oom)
		send_reply(s, rsp, msg);
	s->nr_out_nums = 0;
	json_decref(rsp);
	if (a.obj && !json_object_get(req, "arguments"))
		json_decref((json_t *)a.obj);
	args_close(&a);
	sbuf_free(&err.desc);
}

/* A message, or an error the streamer found. */
static void on_message(void *priv, struct qmp_msg *msg, const char *text, size_t len)
{
	struct qmp_session *s = priv;

	if (s->quit)
		return;
	if (msg) {
		dispatch(s, msg);
	} else {
		json_t *rsp = json_object(), *e = json_object();

		if (rsp && e && !json_object_set_new(e, "class", json_string(GENERIC)) &&
		    !json_object_set_new(e, "desc", qmp_json_raw_string(text, len)) &&
		    !json_object_set(rsp, "error", e))
			send_json(s, rsp, NULL);
		json_decref(e);
		json_decref(rsp);
	}
}

/* ---- Sessions ----------------------------------------------------------------------- */

static void greet(struct qmp_session *s)
{
	json_t *g = json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[s]}}", "QMP", "version", "qemu",
			      "major", QMP_QEMU_MAJOR, "minor", QMP_QEMU_MINOR, "micro",
			      QMP_QEMU_MICRO, "package", QMP_QEMU_PACKAGE, "capabilities", "oob");

	if (g)
		send_json(s, g, NULL);
	json_decref(g);
}

struct qmp_session *qmp_session_new(struct qmp_vm *vm, qmp_write_fn write, void *priv)
{
	struct qmp_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->vm = vm;
	s->write = write;
	s->priv = priv;
	/* A session of its own (tests, the fuzzer) keeps the model itself. */
	if (!vm->model) {
		if (qmp_model_get(vm)) {
			free(s);
			return NULL;
		}
		s->owns_model = true;
	}
	qmp_stream_init(&s->stream, on_message, s);
	greet(s);
	return s;
}

bool qmp_session_feed(struct qmp_session *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Byte by byte so that nothing after "quit" is looked at. */
	for (size_t i = 0; i < len && !s->quit; i++)
		qmp_stream_feed(&s->stream, p + i, 1);
	return !s->quit;
}

unsigned long qmp_session_state_changes(const struct qmp_session *s)
{
	return s->state_changes;
}

void qmp_session_free(struct qmp_session *s)
{
	if (!s)
		return;
	qmp_stream_destroy(&s->stream);
	if (s->owns_model)
		qmp_model_put(s->vm);
	free(s->out_nums);
	free(s);
}
