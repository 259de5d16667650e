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
};

struct qom {
	enum qom_kind kind;
	size_t dev; /* QOM_PCI, QOM_VMEM, QOM_BACKEND */
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
		if (i > 1 || (i == 1 && !balloon_anon(vm)))
			return false;
		*child = (struct qom){ i ? QOM_PERIPHERAL_ANON : QOM_PERIPHERAL, 0 };
		*name = i ? "peripheral-anon" : "peripheral";
		return true;
	case QOM_PERIPHERAL_ANON:
		if (i)
			return false;
		*child = (struct qom){ QOM_BALLOON_PCI, 0 };
		*name = "device[0]";
		return true;
	case QOM_PERIPHERAL:
		if (i == vm->nr_devices && balloon_named(vm)) {
			*child = (struct qom){ QOM_BALLOON_PCI, 0 };
			*name = vm->balloon->id;
			return true;
		}
		/* fall through */
	case QOM_OBJECTS:
		if (i >= vm->nr_devices)
			return false;
		*child = (struct qom){ o.kind == QOM_PERIPHERAL ? QOM_PCI : QOM_BACKEND, i };
		*name = o.kind == QOM_PERIPHERAL ? vm->devices[i].id : vm->devices[i].memdev;
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
	if ((o.kind == QOM_PCI || o.kind == QOM_VMEM) && span_is(part, len, "memdev"))
		return (struct qom){ QOM_BACKEND, o.dev };
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
		return json_integer((json_int_t)memhp_vmem_dev_get_config(d->dev)->region_size);
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

static int by_addr(const void *a, const void *b)
{
	const struct qmp_device *const *x = a, *const *y = b;
	uint64_t ax = memhp_vmem_dev_get_config((*x)->dev)->addr;
	uint64_t ay = memhp_vmem_dev_get_config((*y)->dev)->addr;

	return ax < ay ? -1 : ax > ay;
}

static json_t *cmd_query_memory_devices(struct qmp_session *s, struct args *a,
					const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	const struct qmp_device **devs;
	json_t *list;

	if (!args_check(a, err))
		return NULL;
	list = json_array();
	devs = calloc(s->vm->nr_devices + 1, sizeof(*devs));
	if (!list || !devs) {
		free(devs);
		json_decref(list);
		return NULL;
	}
	/* QEMU lists memory devices by address. */
	for (size_t i = 0; i < s->vm->nr_devices; i++)
		devs[i] = &s->vm->devices[i];
	qsort(devs, s->vm->nr_devices, sizeof(*devs), by_addr);
	for (size_t i = 0; i < s->vm->nr_devices; i++) {
		const struct memhp_vmem_dev_config *cfg = memhp_vmem_dev_get_config(devs[i]->dev);
		json_t *info = json_object(), *data = json_object();
		uint64_t plugged, requested;
		char *memdev = NULL;

		read_config(devs[i], &plugged, &requested);
		if (asprintf(&memdev, "/objects/%s", devs[i]->memdev) < 0)
			memdev = NULL;
		/* VirtioMEMDeviceInfo's members in schema order. */
		if (!info || !data || !memdev ||
		    json_object_set_new(data, "id", json_string(devs[i]->id)) ||
		    json_object_set_new(data, "memaddr", json_integer((json_int_t)cfg->addr)) ||
		    json_object_set_new(data, "requested-size",
					json_integer((json_int_t)requested)) ||
		    json_object_set_new(data, "size", json_integer((json_int_t)plugged)) ||
		    json_object_set_new(data, "max-size",
					json_integer((json_int_t)cfg->region_size)) ||
		    json_object_set_new(data, "block-size",
					json_integer((json_int_t)cfg->block_size)) ||
		    json_object_set_new(data, "node", json_integer(cfg->node_id)) ||
		    json_object_set_new(data, "memdev", json_string(memdev)) ||
		    json_object_set_new(info, "type", json_string("virtio-mem")) ||
		    json_object_set(info, "data", data) || json_array_append(list, info)) {
			json_decref(list);
			list = NULL;
		}
		free(memdev);
		json_decref(data);
		json_decref(info);
		if (!list)
			break;
	}
	free(devs);
	return list;
}

static json_t *cmd_query_memory_size_summary(struct qmp_session *s, struct args *a,
					     const struct qmp_msg *msg QMP_UNUSED, struct qerr *err)
{
	uint64_t total = 0, plugged, requested;
	json_t *ret;

	if (!args_check(a, err))
		return NULL;
	for (size_t i = 0; i < s->vm->nr_devices; i++) {
		read_config(&s->vm->devices[i], &plugged, &requested);
		total += plugged;
	}
	ret = json_object();
	if (ret && (json_object_set_new(ret, "base-memory",
					json_integer((json_int_t)s->vm->base_memory)) ||
		    json_object_set_new(ret, "plugged-memory", json_integer((json_int_t)total)))) {
		json_decref(ret);
		ret = NULL;
	}
	return ret;
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
	ret = cmd->fn(s, &a, msg, &err);
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
	free(s->out_nums);
	free(s);
}
