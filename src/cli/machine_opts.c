// SPDX-License-Identifier: MIT
/*
 * machine_opts.c - machine options in QEMU's words, and building the
 * machine they describe: a q35 guest with boot RAM (memhp_config_init()),
 * the memory block size x86 Linux would pick, and pc-dimms hot-added at
 * start-up where QEMU would put them, as ACPI memory hotplug adds them.
 */
#include "machine_opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* QEMU pc/q35: device memory starts at the 1 GiB boundary after high RAM
 * (or at 4 GiB), and reserves 1 GiB of alignment room per slot. */
#define X86_4G (4 * MEMHP_GiB)
#define DEVICE_MEM_ALIGN MEMHP_GiB
#define DEVICE_MEM_SLOT_ROOM MEMHP_GiB
/* arch/x86/mm/init_64.c probe_memory_block_size(): 128 MiB blocks below
 * 64 GiB of boot memory; above, the largest of up to 2 GiB that divides
 * the end of boot memory (in a VM). */
#define X86_MIN_BLOCK_SIZE (128 * MEMHP_MiB)
#define X86_MAX_BLOCK_SIZE (2 * MEMHP_GiB)
#define X86_LARGE_BLOCK_RAM (64 * MEMHP_GiB)
#define MAX_PHYS (1ULL << MEMHP_MAX_PHYS_SHIFT)
/* A PCI device's slot and function numbers, at most. */
#define PCI_MAX_SLOT 0x1f
#define PCI_MAX_FN 7
/* QEMU 7.2's MAX_NODES: what -numa dist's src and dst may name at all. */
#define QEMU_MAX_NODES 128
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
/* An option's name, and a size inside an option's value. */
#define OPT_NAME_MAX 32
#define OPT_VALUE_MAX 64

void machine_opts_init(struct machine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ram_size = MACHINE_DEFAULT_RAM;
	o->auto_online = -1;
	o->protocol = -1;
	o->online_policy = o->auto_movable_ratio = o->auto_movable_numa_aware = -1;
	memhp_guest_config_init(&o->guest);
}

int parse_size(const char *s, uint64_t default_unit, uint64_t *out)
{
	static const char suffixes[] = "BKMGTPE";
	uint64_t v = 0, frac = 0, frac_div = 1, unit = default_unit;
	unsigned int base = 10;
	const char *p = s, *sfx;
	bool digits = false;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f'))
			d = (unsigned)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		digits = true;
	}
	if (!digits)
		return -EINVAL;
	if (*p == '.' && base == 10) {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (frac_div >= 1000000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
		}
	}
	if (*p) {
		/* A blank folds to NUL, which strchr() finds at the end. */
		sfx = *p & ~0x20 ? strchr(suffixes, *p & ~0x20) : NULL;
		if (!sfx || p[1])
			return -EINVAL;
		unit = 1ULL << (10 * (sfx - suffixes));
	}
	if (v && unit > UINT64_MAX / v)
		return -ERANGE;
	v *= unit;
	/* A fraction must come to whole bytes. */
	if (frac) {
		if (unit > UINT64_MAX / frac || (frac * unit) % frac_div)
			return -EINVAL;
		if (v + frac * unit / frac_div < v)
			return -ERANGE;
		v += frac * unit / frac_div;
	}
	*out = v;
	return 0;
}

static int bad(const char *prog, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -1;
}

/* QEMU's hints, printed on the lines after some errors. */
#define ID_HINT "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."
#define SIZE_HINT                                                                      \
	"Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n" \
	"and exabytes, respectively."

/* "PROG: -device ARG: MESSAGE": QEMU names the option an error is about. */
static int bad_at(const char *prog, const char *opt, const char *arg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad_at(const char *prog, const char *opt, const char *arg, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s %s: ", prog, opt, arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
static bool id_wellformed(const char *id)
{
	if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-._", *p)))
			return false;
	return true;
}

/*
 * QemuOpts (util/qemu-option.c): "a,b=c,d=e,,f" is a=..., then keys and
 * values split at commas, ",," standing for a comma inside a value. A
 * first element without '=' is the value of @implied ("driver" for
 * -device, "size" for -m); a later one is a flag, "on" ("noKEY": "off").
 * A key given twice keeps both: the last one wins, as qemu_opt_get() finds
 * it.
 */
struct kv {
	char *key, *val;
};

struct kvs {
	struct kv v[MACHINE_MAX_OPTS];
	unsigned int n;
	char *buf; /* holds every key and value */
};

/* Returns 0, or -1 (more than MACHINE_MAX_OPTS, out of memory). */
static int kvs_parse(const char *arg, const char *implied, struct kvs *out)
{
	size_t len = strlen(arg);
	const char *p = arg;
	char *w;

	out->n = 0;
	/* Keys and values are never longer than the argument, plus a NUL
	 * each, plus "on"/"off" for flags. */
	out->buf = w = malloc(2 * len + 8 * MACHINE_MAX_OPTS + 2);
	if (!w)
		return -1;
	while (*p) {
		size_t name_len = strcspn(p, "=,");
		struct kv *kv;

		if (out->n == MACHINE_MAX_OPTS)
			return -1;
		kv = &out->v[out->n++];
		if (p[name_len] != '=' && out->n == 1 && implied) {
			kv->key = (char *)implied;
		} else {
			kv->key = w;
			memcpy(w, p, name_len);
			w[name_len] = '\0';
			w += name_len + 1;
			p += name_len;
			if (*p != '=') {
				/* A flag: "foo" is foo=on, "nofoo" foo=off. */
				bool off = !strncmp(kv->key, "no", 2);

				if (off)
					kv->key += 2;
				kv->val = w;
				strcpy(w, off ? "off" : "on");
				w += strlen(w) + 1;
				if (*p == ',')
					p++;
				continue;
			}
			p++; /* '=' */
		}
		/* get_opt_value(): up to a comma not doubled; ",," is ','. */
		kv->val = w;
		while (*p) {
			if (*p == ',') {
				if (p[1] != ',') {
					p++;
					break;
				}
				p++;
			}
			*w++ = *p++;
		}
		*w++ = '\0';
	}
	return 0;
}

static void kvs_free(struct kvs *k)
{
	free(k->buf);
	k->buf = NULL;
}

/* The last value of @key, or NULL. */
static const char *kvs_get(const struct kvs *k, const char *key)
{
	for (unsigned int i = k->n; i-- > 0;)
		if (!strcmp(k->v[i].key, key))
			return k->v[i].val;
	return NULL;
}

/* A size as QemuOpts takes it: QEMU's size syntax, bytes by default. */
static bool opt_size(const char *val, uint64_t *out)
{
	return *val && !parse_size(val, 1, out);
}

/*
 * "-m [size=]SIZE[,slots=N][,maxmem=SIZE]" (QEMU's "memory" options: a
 * size without a suffix is MiB, 0 or nothing is QEMU's default). What -m
 * says as a whole is checked once all options are in, as QEMU checks it
 * when it creates the machine (check_machine_memory()).
 */
static int parse_m(struct machine_opts *o, const char *prog, const char *opt, const char *arg)
{
	struct kvs k;
	int ret = 1;

	if (kvs_parse(arg, "size", &k)) {
		kvs_free(&k);
		return bad_at(prog, opt, arg, "too many options");
	}
	for (unsigned int i = 0; i < k.n && ret > 0; i++) {
		const char *key = k.v[i].key, *val = k.v[i].val;

		if (!strcmp(key, "size") || !strcmp(key, "maxmem")) {
			uint64_t v;

			if (!opt_size(val, &v)) {
				ret = bad_at(prog, opt, arg,
					     "Parameter '%s' expects a non-negative number below "
					     "2^64\n" SIZE_HINT,
					     key);
			} else if (!strcmp(key, "maxmem")) {
				o->maxmem = v;
				o->maxmem_given = true;
			} else {
				/* parse_memory_options(): a bare number is MiB. */
				size_t n = strlen(val);

				if (v && val[n - 1] >= '0' && val[n - 1] <= '9' &&
				    parse_size(val, MEMHP_MiB, &v))
					ret = bad_at(prog, opt, arg,
						     "Parameter 'size' expects a non-negative "
						     "number below 2^64\n" SIZE_HINT);
				/* Size 0 (or none) keeps QEMU's default. */
				if (ret > 0 && v)
					o->ram_size = v;
			}
		} else if (!strcmp(key, "slots")) {
			char *end;
			unsigned long long n = strtoull(val, &end, 0);

			if (*end || !*val || val[0] == '-' || n > UINT32_MAX)
				ret = bad_at(prog, opt, arg, "Parameter 'slots' expects a number");
			else
				o->slots = (unsigned int)n;
		} else {
			ret = bad_at(prog, opt, arg, "Invalid parameter '%s'", key);
		}
	}
	kvs_free(&k);
	return ret;
}

/* QEMU's bool properties (qapi_bool_parse()). */
static int parse_on_off(const char *prog, const char *opt, const char *arg, const char *prop,
			const char *val, bool *out)
{
	static const char *const on[] = { "on", "yes", "true", "y" };
	static const char *const off[] = { "off", "no", "false", "n" };

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcmp(val, on[i])) {
			*out = true;
			return 1;
		}
		if (!strcmp(val, off[i])) {
			*out = false;
			return 1;
		}
	}
	return bad_at(prog, opt, arg, "Parameter '%s' expects 'on' or 'off'", prop);
}

static int parse_id(const char *prog, const char *opt, const char *arg, const char *val, char *dst)
{
	if (!id_wellformed(val))
		return bad_at(prog, opt, arg, "Parameter 'id' expects an identifier\n" ID_HINT);
	if (strlen(val) >= MACHINE_ID_MAX)
		return bad_at(prog, opt, arg, "memhp: ids are at most %d characters",
			      MACHINE_ID_MAX - 1);
	strcpy(dst, val);
	return 1;
}

/*
 * "-object memory-backend-ram,id=ID,size=SIZE[,...]": a memory backend for
 * a pc-dimm or a virtio-mem device to name with memdev=. memfd backends
 * are the same to memhp; a file backend is not (memhp's guest memory is
 * its own anonymous mapping).
 */
static int parse_object(struct machine_opts *o, const char *prog, const char *opt, const char *arg)
{
	/* Backend properties that change nothing memhp models. */
	static const char *const harmless[] = {
		"share", "merge",  "dump", "reserve", "x-use-canonical-path-for-ramblock-id",
		"seal",	 "hugetlb"
	};
	struct machine_backend *b = &o->backends[o->nr_backends];
	const char *type, *id, *size;
	struct kvs k;
	int ret = 1;

	if (kvs_parse(arg, "qom-type", &k)) {
		kvs_free(&k);
		return bad_at(prog, opt, arg, "too many options");
	}
	type = kvs_get(&k, "qom-type");
	id = kvs_get(&k, "id");
	size = kvs_get(&k, "size");
	memset(b, 0, sizeof(*b));
	if (!type) {
		ret = bad_at(prog, opt, arg, "Parameter 'qom-type' is missing");
	} else if (strcmp(type, "memory-backend-ram") && strcmp(type, "memory-backend-memfd")) {
		ret = bad_at(prog, opt, arg,
			     "memhp: only memory-backend-ram and memory-backend-memfd are "
			     "modelled (%s is not)",
			     type);
	} else if (!id) {
		ret = bad_at(prog, opt, arg, "Parameter 'id' is missing");
	} else if ((ret = parse_id(prog, opt, arg, id, b->id)) < 0) {
	} else if (!size) {
		ret = bad_at(prog, opt, arg, "Parameter 'size' is missing");
	} else if (!opt_size(size, &b->size)) {
		ret = bad_at(prog, opt, arg, "Parameter 'size' expects uint64");
	} else if (!b->size) {
		ret = bad_at(prog, opt, arg, "property 'size' of %s doesn't take value '0'", type);
	}
	for (unsigned int i = 0; ret > 0 && i < k.n; i++) {
		const char *key = k.v[i].key;
		bool known = !strcmp(key, "qom-type") || !strcmp(key, "id") || !strcmp(key, "size");
		bool on = false;

		for (size_t j = 0; j < sizeof(harmless) / sizeof(harmless[0]); j++)
			known |= !strcmp(key, harmless[j]);
		if (!strcmp(key, "prealloc")) {
			ret = parse_on_off(prog, opt, arg, key, k.v[i].val, &on);
			if (ret > 0 && on)
				ret = bad_at(prog, opt, arg,
					     "memhp: prealloc=on is not modelled (guest memory "
					     "is populated as the guest touches it)");
		} else if (!known) {
			ret = bad_at(prog, opt, arg, "memhp: property '%s' of %s is not modelled",
				     key, type);
		}
	}
	for (unsigned int i = 0; ret > 0 && i < o->nr_backends; i++)
		if (!strcmp(o->backends[i].id, b->id))
			ret = bad_at(prog, opt, arg,
				     "attempt to add duplicate property '%s' to object (type "
				     "'container')",
				     b->id);
	if (ret > 0 && o->nr_backends == MACHINE_MAX_DEVICES)
		ret = bad_at(prog, opt, arg, "memhp: too many objects");
	if (ret > 0)
		o->nr_backends++;
	kvs_free(&k);
	return ret;
}

/* The device models -device takes, and what memhp calls them. */
static const struct {
	const char *name;
	enum machine_device_kind kind;
} device_models[] = {
	{ "pc-dimm", MACHINE_PC_DIMM },
	{ "virtio-mem-pci", MACHINE_VIRTIO_MEM },
	{ "virtio-mem", MACHINE_VIRTIO_MEM },
	{ "virtio-balloon-pci", MACHINE_VIRTIO_BALLOON },
	/* x86's alias of virtio-balloon-pci */
	{ "virtio-balloon", MACHINE_VIRTIO_BALLOON },
};

/* QOM's name of a model, in "Property 'TYPE.PROP' not found". */
static const char *qom_type_name(enum machine_device_kind kind)
{
	switch (kind) {
	case MACHINE_PC_DIMM:
		return "pc-dimm";
	case MACHINE_VIRTIO_MEM:
		return "virtio-mem-pci";
	default:
		return "virtio-balloon-pci";
	}
}

/* A PCI address, "SLOT[.FN]" in hex: memhp models no PCI bus, but QEMU
 * refuses what is not one, and slot 0 is the host bridge's. */
static int pci_addr(const struct machine_device *d, const char *prog, const char *opt,
		    const char *arg, const char *val)
{
	unsigned long slot, fn = 0;
	char *end;

	slot = strtoul(val, &end, 16);
	if (end != val && *end == '.')
		fn = strtoul(end + 1, &end, 16);
	if (end == val || *end || slot > PCI_MAX_SLOT || fn > PCI_MAX_FN)
		return bad_at(prog, opt, arg, "Property '%s.addr' doesn't take value '%s'",
			      qom_type_name(d->kind), val);
	if (!slot && !fn)
		return bad_at(
			prog, opt, arg,
			"PCI: slot 0 function 0 not available for %s, in use by mch,id=(null)",
			qom_type_name(d->kind));
	return 1;
}

/* A property of a device; 1, 0 (not one of its kind's) or -1 (said why). */
static int device_prop(struct machine_device *d, const char *prog, const char *opt, const char *arg,
		       const char *key, const char *val)
{
	const bool vmem = d->kind == MACHINE_VIRTIO_MEM, dimm = d->kind == MACHINE_PC_DIMM;
	const bool balloon = d->kind == MACHINE_VIRTIO_BALLOON;

	if (!strcmp(key, "id"))
		return parse_id(prog, opt, arg, val, d->id);
	if ((vmem || dimm) && !strcmp(key, "memdev")) {
		if (strlen(val) >= MACHINE_ID_MAX)
			return bad_at(prog, opt, arg, "Device '%s' not found", val);
		strcpy(d->memdev, val);
		d->memdev_given = true;
		return 1;
	}
	if ((vmem || dimm) && !strcmp(key, "size")) {
		/* memhp's shorthand for a backend of that size (in QEMU a
		 * virtio-mem's size is read-only and a DIMM's comes from its
		 * backend); such a device is memhp's, and a DIMM needs no
		 * slot. */
		if (!opt_size(val, &d->size) || !d->size)
			return bad_at(prog, opt, arg, "invalid size '%s'", val);
		d->memhp_syntax = true;
		return 1;
	}
	if ((vmem && !strcmp(key, "memaddr")) || (dimm && !strcmp(key, "addr"))) {
		if (!opt_size(val, &d->addr))
			return bad_at(prog, opt, arg, "Parameter '%s' expects uint64", key);
		return 1;
	}
	if (dimm && !strcmp(key, "slot")) {
		char *end;
		long n = strtol(val, &end, 0);

		if (*end || !*val || n < -1 || n > INT32_MAX)
			return bad_at(prog, opt, arg, "Parameter 'slot' expects int32_t");
		d->slot = (int)n;
		return 1;
	}
	if ((vmem || dimm) && !strcmp(key, "node")) {
		char *end;
		long n = strtol(val, &end, 0);

		if (*end || !*val || n < 0 || n > UINT32_MAX)
			return bad_at(prog, opt, arg, "Parameter 'node' expects uint32_t");
		/* Checked against the nodes once all options are in
		 * (resolve_devices()). */
		d->node = n > INT32_MAX ? INT32_MAX : (int)n;
		return 1;
	}
	if (vmem && !strcmp(key, "requested-size")) {
		if (!opt_size(val, &d->requested_size))
			return bad_at(prog, opt, arg, "Parameter 'requested-size' expects uint64");
		return 1;
	}
	if (vmem && !strcmp(key, "block-size")) {
		if (!opt_size(val, &d->block_size) || !d->block_size)
			return bad_at(prog, opt, arg, "Parameter 'block-size' expects uint64");
		return 1;
	}
	if (vmem && !strcmp(key, "unplugged-inaccessible")) {
		/* OnOffAuto; auto is "on" for a new machine type. */
		if (!strcmp(val, "auto")) {
			d->unplugged_inaccessible = true;
			return 1;
		}
		return parse_on_off(prog, opt, arg, key, val, &d->unplugged_inaccessible);
	}
	if ((vmem || balloon) && !strcmp(key, "addr"))
		return pci_addr(d, prog, opt, arg, val);
	if ((vmem || balloon) && (!strcmp(key, "bus") || !strcmp(key, "disable-legacy") ||
				  !strcmp(key, "disable-modern")))
		return 1; /* where it sits on PCI: nothing memhp models */
	if (balloon && !strcmp(key, "deflate-on-oom"))
		return parse_on_off(prog, opt, arg, key, val, &d->deflate_on_oom);
	if (balloon && !strcmp(key, "free-page-reporting"))
		return parse_on_off(prog, opt, arg, key, val, &d->free_page_reporting);
	if (balloon && !strcmp(key, "page-poison"))
		return parse_on_off(prog, opt, arg, key, val, &d->page_poison);
	if (balloon && !strcmp(key, "free-page-hint")) {
		bool on = false;
		int ret = parse_on_off(prog, opt, arg, key, val, &on);

		if (ret > 0 && on)
			return bad_at(prog, opt, arg,
				      "'free-page-hint' requires 'iothread' to be set");
		return ret;
	}
	return 0;
}

/*
 * "-device DRIVER,id=ID,..." as QEMU takes it: pc-dimm and virtio-mem(-pci)
 * name a memory backend with memdev=, virtio-balloon(-pci) stands alone.
 * memhp's shorthand: a device may carry its backend's size itself (size=,
 * no -object), and such a DIMM needs no slots and no maxmem.
 */
static int parse_device(struct machine_opts *o, const char *prog, const char *opt, const char *arg)
{
	struct machine_device d;
	const char *driver;
	struct kvs k;
	int ret = 1;

	memset(&d, 0, sizeof(d));
	d.slot = -1;
	/* The option's name as the user spelt it, kept for later errors. */
	d.opt = !strcmp(opt, "--device") ? "--device" : "-device";
	d.arg = arg;
	/* QEMU 7.2 on an x86 host: unplugged virtio-mem memory is
	 * inaccessible; balloons poison. */
	d.page_poison = true;
	if (kvs_parse(arg, "driver", &k)) {
		kvs_free(&k);
		return bad_at(prog, opt, arg, "too many options");
	}
	driver = kvs_get(&k, "driver");
	if (!driver) {
		kvs_free(&k);
		return bad_at(prog, opt, arg, "Parameter 'driver' is missing");
	}
	ret = -1;
	for (size_t i = 0; i < sizeof(device_models) / sizeof(device_models[0]); i++) {
		if (!strcmp(driver, device_models[i].name)) {
			d.kind = device_models[i].kind;
			ret = 1;
		}
	}
	if (ret < 0) {
		ret = bad_at(prog, opt, arg,
			     "'%s' is not a valid device model name (memhp models pc-dimm, "
			     "virtio-mem-pci and virtio-balloon-pci)",
			     driver);
		kvs_free(&k);
		return ret;
	}
	d.unplugged_inaccessible = d.kind == MACHINE_VIRTIO_MEM;
	for (unsigned int i = 0; i < k.n && ret > 0; i++) {
		if (!strcmp(k.v[i].key, "driver"))
			continue;
		ret = device_prop(&d, prog, opt, arg, k.v[i].key, k.v[i].val);
		if (!ret)
			ret = bad_at(prog, opt, arg, "Property '%s.%s' not found",
				     qom_type_name(d.kind), k.v[i].key);
	}
	kvs_free(&k);
	if (ret < 0)
		return ret;
	if (d.memhp_syntax && d.memdev_given)
		return bad_at(prog, opt, arg, "memhp: size= or memdev=, not both");
	for (unsigned int i = 0; d.id[0] && i < o->nr_devices; i++)
		if (!strcmp(o->devices[i].id, d.id))
			return bad_at(prog, opt, arg, "Duplicate ID '%s' for device", d.id);
	for (unsigned int i = 0; d.kind == MACHINE_VIRTIO_BALLOON && i < o->nr_devices; i++)
		if (o->devices[i].kind == MACHINE_VIRTIO_BALLOON)
			return bad_at(prog, opt, arg, "Only one balloon device is supported");
	if (d.kind == MACHINE_VIRTIO_MEM && !d.id[0])
		/* QMP names a virtio-mem device by its id. */
		return bad_at(prog, opt, arg, "memhp: a virtio-mem device needs an id");
	if (o->nr_devices == MACHINE_MAX_DEVICES)
		return bad_at(prog, opt, arg, "memhp: too many devices");
	o->devices[o->nr_devices++] = d;
	return 1;
}

/* "-smp 2", "-smp cpus=2": QEMU's CPU count; the topology properties
 * (sockets, cores, threads, maxcpus) model nothing here and are refused. */
/* cpus=A[-B] of -numa node (QEMU takes the option again for more ranges). */
static int numa_cpus(struct machine_numa_node *n, const char *prog, const char *opt,
		     const char *arg, const char *val)
{
	char *end;
	unsigned long a = strtoul(val, &end, 10), b = a;

	if (end == val)
		return bad_at(prog, opt, arg, "Parameter 'cpus' expects uint16_t");
	if (*end == '-') {
		const char *p = end + 1;

		b = strtoul(p, &end, 10);
		if (end == p)
			return bad_at(prog, opt, arg, "Parameter 'cpus' expects uint16_t");
	}
	if (*end || b < a || b > UINT16_MAX)
		return bad_at(prog, opt, arg, "Parameter 'cpus' expects uint16_t");
	if (b >= MEMHP_MAX_CPUS)
		return bad_at(prog, opt, arg, "CPU index (%lu) should be smaller than maxcpus (%u)",
			      b, MEMHP_MAX_CPUS);
	for (unsigned long c = a; c <= b; c++)
		n->cpus[c / 64] |= 1ULL << (c % 64);
	return 1;
}

/*
 * An unsigned member of -numa dist as QEMU's options visitor reads it:
 * parse_uint() in any base strtoull() takes, no sign, then the member's
 * width. Returns 1, or 0 after QEMU's message.
 */
static int dist_member(const char *prog, const char *opt, const char *arg, const char *name,
		       const char *val, unsigned long long max, const char *type,
		       unsigned long long *out)
{
	const char *p = val;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	errno = 0;
	*out = *p == '-' ? 0 : strtoull(p, &end, 0);
	if (*p == '-' || !*p || *end || errno)
		return bad_at(prog, opt, arg, "Parameter '%s' expects a uint64 value", name);
	if (*out > max)
		return bad_at(prog, opt, arg, "Parameter '%s' expects %s", name, type);
	return 1;
}

/*
 * "-numa dist,src=A,dst=B,val=D" as QEMU 7.2's parse_numa_distance()
 * takes it: the members in their QAPI order (missing, then malformed),
 * then unknown keys; both nodes declared by an earlier -numa node; D at
 * least 10, and exactly 10 from a node to itself. Whether every pair has
 * a distance is checked when the machine is built (numa_config()).
 */
static int parse_numa_dist(struct machine_opts *o, const char *prog, const char *opt,
			   const char *arg, const struct kvs *k)
{
	static const struct {
		const char *name;
		unsigned long long max;
		const char *type;
	} members[] = {
		{ "src", UINT16_MAX, "uint16_t" },
		{ "dst", UINT16_MAX, "uint16_t" },
		{ "val", UINT8_MAX, "uint8_t" },
	};
	unsigned long long v[3];

	for (size_t f = 0; f < N_ELEMS(members); f++) {
		const char *val = NULL;

		for (unsigned int i = 0; i < k->n; i++) /* the last one given counts */
			if (!strcmp(k->v[i].key, members[f].name))
				val = k->v[i].val;
		if (!val)
			return bad_at(prog, opt, arg, "Parameter '%s' is missing", members[f].name);
		if (!dist_member(prog, opt, arg, members[f].name, val, members[f].max,
				 members[f].type, &v[f]))
			return 0;
	}
	for (unsigned int i = 0; i < k->n; i++) {
		bool known = !strcmp(k->v[i].key, "type");

		for (size_t f = 0; f < N_ELEMS(members); f++)
			known |= !strcmp(k->v[i].key, members[f].name);
		if (!known)
			return bad_at(prog, opt, arg, "Invalid parameter '%s'", k->v[i].key);
	}
	if (v[0] >= QEMU_MAX_NODES || v[1] >= QEMU_MAX_NODES)
		return bad_at(prog, opt, arg, "Parameter '%s' expects an integer between 0 and %d",
			      v[0] >= QEMU_MAX_NODES ? "src" : "dst", QEMU_MAX_NODES - 1);
	/* memhp refuses nodes past MEMHP_MAX_NUMNODES, so those are missing. */
	if (v[0] >= MEMHP_MAX_NUMNODES || v[1] >= MEMHP_MAX_NUMNODES || !o->numa[v[0]].given ||
	    !o->numa[v[1]].given)
		return bad_at(prog, opt, arg,
			      "Source/Destination NUMA node is missing. Please use '-numa node' "
			      "option to declare it first.");
	if (v[2] < MEMHP_LOCAL_DISTANCE)
		return bad_at(prog, opt, arg,
			      "NUMA distance (%llu) is invalid, it shouldn't be less than %d.",
			      v[2], MEMHP_LOCAL_DISTANCE);
	if (v[0] == v[1] && v[2] != MEMHP_LOCAL_DISTANCE)
		return bad_at(prog, opt, arg, "Local distance of node %llu should be %d.", v[0],
			      MEMHP_LOCAL_DISTANCE);
	o->numa[v[0]].distance[v[1]] = (uint8_t)v[2];
	o->numa_dist = true;
	return 1;
}

/*
 * "-numa node,nodeid=N,memdev=ID,cpus=A-B" and "-numa dist,..." as QEMU
 * 7.2 takes them (the legacy mem= and the cpu and hmat forms are refused
 * by name). Which backend a node names and its CPUs' count are checked
 * when the machine is built.
 */
static int parse_numa(struct machine_opts *o, const char *prog, const char *opt, const char *arg)
{
	struct machine_numa_node n = { .given = true, .arg = arg };
	long nodeid = -1;
	struct kvs k;
	int ret = 1;

	if (kvs_parse(arg, "type", &k)) {
		kvs_free(&k);
		return bad_at(prog, opt, arg, "too many options");
	}
	for (unsigned int i = 0; i < k.n; i++)
		if (!strcmp(k.v[i].key, "type") && !strcmp(k.v[i].val, "dist")) {
			ret = parse_numa_dist(o, prog, opt, arg, &k);
			kvs_free(&k);
			return ret;
		}
	for (unsigned int i = 0; i < k.n && ret > 0; i++) {
		const char *key = k.v[i].key, *val = k.v[i].val;

		if (!strcmp(key, "type")) {
			if (strcmp(val, "node"))
				ret = bad_at(prog, opt, arg,
					     "memhp: -numa %s is not modelled (-numa node and "
					     "dist only)",
					     val);
		} else if (!strcmp(key, "nodeid")) {
			char *end;

			nodeid = strtol(val, &end, 10);
			if (*end || !*val || nodeid < 0 || nodeid > UINT16_MAX)
				ret = bad_at(prog, opt, arg, "Parameter 'nodeid' expects uint16_t");
		} else if (!strcmp(key, "memdev")) {
			if (strlen(val) >= MACHINE_ID_MAX)
				ret = bad_at(prog, opt, arg, "memdev=%s is ambiguous", val);
			else
				strcpy(n.memdev, val);
		} else if (!strcmp(key, "cpus")) {
			ret = numa_cpus(&n, prog, opt, arg, val);
		} else if (!strcmp(key, "mem")) {
			ret = bad_at(prog, opt, arg,
				     "Parameter -numa node,mem is not supported by this machine "
				     "type");
		} else if (!strcmp(key, "initiator")) {
			ret = bad_at(prog, opt, arg, "memhp: initiator= is not modelled");
		} else {
			ret = bad_at(prog, opt, arg, "Invalid parameter '%s'", key);
		}
	}
	kvs_free(&k);
	if (ret <= 0)
		return ret;
	if (nodeid < 0)
		nodeid = o->nr_numa; /* QEMU: the next free id */
	if (nodeid >= MEMHP_MAX_NUMNODES)
		return bad_at(prog, opt, arg,
			      "Max number of NUMA nodes reached: %ld (memhp models up to %d)",
			      nodeid, MEMHP_MAX_NUMNODES);
	if (o->numa[nodeid].given)
		return bad_at(prog, opt, arg, "Duplicate NUMA nodeid: %ld", nodeid);
	o->numa[nodeid] = n;
	o->nr_numa++;
	return 1;
}

static int parse_smp(struct machine_opts *o, const char *prog, const char *arg)
{
	const char *val = !strncmp(arg, "cpus=", 5) ? arg + 5 : arg;
	char *end;
	unsigned long n = strtoul(val, &end, 10);

	if (*end == ',')
		return bad(prog, "-smp %s: only the number of CPUs is modelled", arg);
	if (*end || !*val || !n || n > MEMHP_MAX_CPUS) {
		fprintf(stderr, "%s: -smp %s: a number of CPUs from 1 to %u\n", prog, arg,
			MEMHP_MAX_CPUS);
		return -1;
	}
	o->nr_cpus = (unsigned int)n;
	return 1;
}

/* One KEY=N of --guest-kernel; N below @max. */
static int guest_number(const char *prog, const char *key, const char *val, unsigned long max,
			unsigned long *out)
{
	char *end;
	unsigned long n = strtoul(val, &end, 10);

	if (*end || !*val || val[0] == '-' || n > max) {
		fprintf(stderr, "%s: --guest-kernel %s=%s: a number from 0 to %lu\n", prog, key,
			val, max);
		return -1;
	}
	*out = n;
	return 1;
}

/*
 * "--guest-kernel on|off[,boot=on|off][,programs=on|off][,idle-objects=N]
 * [,long-lived-ppm=N][,background-tasks=N]": the guest kernel at work, or a
 * clean room. The
 * numbers are per second (objects), per million (objects that stay) and
 * per minute (background programs); docs/semantics.md says what they
 * model.
 */
static int parse_guest(struct machine_opts *o, const char *prog, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 1;

	if (!copy)
		return bad(prog, "%s: out of memory", arg);
	for (tok = strtok_r(copy, ",", &save); tok && ret > 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		unsigned long n = 0;
		bool on = false;

		if (!eq) {
			if (!strcmp(tok, "on") || !strcmp(tok, "off"))
				o->guest_off = tok[1] == 'f';
			else
				ret = bad(prog, "--guest-kernel %s: on, off or KEY=VALUE", tok);
			continue;
		}
		*eq++ = '\0';
		if (!strcmp(tok, "boot")) {
			ret = parse_on_off(prog, "--guest-kernel", arg, tok, eq, &on);
			if (ret > 0 && !on) {
				struct memhp_guest_config q;

				memhp_guest_config_quiet(&q);
				o->guest.boot_sreclaimable_kb = q.boot_sreclaimable_kb;
				o->guest.boot_sunreclaim_kb = q.boot_sunreclaim_kb;
				o->guest.boot_kernel_stack_kb = q.boot_kernel_stack_kb;
				o->guest.boot_page_tables_kb = q.boot_page_tables_kb;
			}
		} else if (!strcmp(tok, "programs")) {
			ret = parse_on_off(prog, "--guest-kernel", arg, tok, eq, &on);
			o->guest_programs_off = !on;
		} else if (!strcmp(tok, "idle-objects")) {
			ret = guest_number(prog, tok, eq, MACHINE_GUEST_MAX_RATE, &n);
			o->guest.idle_objects_per_sec = (unsigned int)n;
		} else if (!strcmp(tok, "long-lived-ppm")) {
			ret = guest_number(prog, tok, eq, MACHINE_GUEST_PPM, &n);
			o->guest.idle_long_lived_ppm = (unsigned int)n;
		} else if (!strcmp(tok, "background-tasks")) {
			ret = guest_number(prog, tok, eq, MACHINE_GUEST_MAX_RATE, &n);
			o->guest.background_tasks_per_min = (unsigned int)n;
		} else {
			ret = bad(prog, "--guest-kernel: unknown key '%s'", tok);
		}
	}
	free(copy);
	return ret;
}

static int parse_online_type(const char *s);

/* Parameters that change nothing memhp models: taken and left alone, as
 * the kernel passes the ones it does not know to init. */
static const char *const append_ignored[] = {
	"console", "quiet", "panic",	"root",	       "ro",
	"rw",	   "init",  "loglevel", "earlyprintk", "BOOT_IMAGE",
};

/* A kernel boolean parameter's value (kstrtobool()): 1/y/Y/on and 0/n/N/off. */
static int kernel_bool(const char *v)
{
	if (!strcmp(v, "1") || !strcmp(v, "y") || !strcmp(v, "Y") || !strcmp(v, "on"))
		return 1;
	if (!strcmp(v, "0") || !strcmp(v, "n") || !strcmp(v, "N") || !strcmp(v, "off"))
		return 0;
	return -1;
}

/*
 * "-append 'nokaslr memhp_default_state=online_movable ...'": the kernel
 * command line, as QEMU passes it. The parameters that change memory
 * hotplug set the machine up; harmless ones (console=, quiet ...) are
 * taken; anything else is refused with its name, so that nobody believes
 * a parameter memhp does not model took effect.
 */
static int parse_append(struct machine_opts *o, const char *prog, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 1;

	if (!copy)
		return bad(prog, "%s: out of memory", arg);
	for (tok = strtok_r(copy, " \t", &save); tok && ret > 0;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : "";
		bool known = false;
		int b;

		if (eq)
			*eq = '\0';
		for (size_t i = 0; i < sizeof(append_ignored) / sizeof(append_ignored[0]); i++)
			known |= !strcmp(tok, append_ignored[i]);
		if (known)
			continue;
		if (!strcmp(tok, "nokaslr") && !eq) {
			o->nokaslr = true;
		} else if (!strcmp(tok, "movable_node") && !eq) {
			o->movable_node = true;
		} else if (!strcmp(tok, "memhp_default_state")) {
			o->auto_online = parse_online_type(val);
			if (o->auto_online < 0)
				ret = bad(prog,
					  "-append: memhp_default_state=%s: offline, online, "
					  "online_kernel or online_movable",
					  val);
		} else if (!strcmp(tok, "memory_hotplug.memmap_on_memory") &&
			   (b = kernel_bool(val)) >= 0) {
			o->memmap_on_memory = b;
		} else if (!strcmp(tok, "memory_hotplug.online_policy")) {
			if (!strcmp(val, "contig-zones"))
				o->online_policy = MEMHP_ONLINE_POLICY_CONTIG_ZONES;
			else if (!strcmp(val, "auto-movable"))
				o->online_policy = MEMHP_ONLINE_POLICY_AUTO_MOVABLE;
			else
				ret = bad(
					prog,
					"-append: memory_hotplug.online_policy=%s: contig-zones or "
					"auto-movable",
					val);
		} else if (!strcmp(tok, "memory_hotplug.auto_movable_ratio")) {
			char *end;
			unsigned long n = strtoul(val, &end, 10);

			if (*end || !*val || val[0] == '-' || n > INT32_MAX)
				ret = bad(prog,
					  "-append: memory_hotplug.auto_movable_ratio=%s: a number",
					  val);
			else
				o->auto_movable_ratio = (int)n;
		} else if (!strcmp(tok, "transparent_hugepage")) {
			if (!strcmp(val, "always"))
				o->thp = MEMHP_THP_ALWAYS;
			else if (!strcmp(val, "madvise"))
				o->thp = MEMHP_THP_MADVISE;
			else if (!strcmp(val, "never"))
				o->thp = MEMHP_THP_NEVER;
			else
				ret = bad(prog,
					  "-append: transparent_hugepage=%s: always, madvise or "
					  "never",
					  val);
		} else if (!strcmp(tok, "cma")) {
			/* cma=nn[MG][@start[MG]] (kernel/dma/contiguous.c), as
			 * on a kernel built with CONFIG_CMA. */
			char *at = strchr(val, '@');

			if (at)
				*at = '\0';
			if (parse_size(val, 1, &o->cma_size) || !o->cma_size ||
			    (at && parse_size(at + 1, 1, &o->cma_base)))
				ret = bad(prog,
					  "-append: cma=%s: SIZE[@BASE], e.g. 64M or 64M@512M",
					  val);
		} else if (!strcmp(tok, "memory_hotplug.auto_movable_numa_aware") &&
			   (b = kernel_bool(val)) >= 0) {
			o->auto_movable_numa_aware = b;
		} else {
			ret = bad(prog, "-append: kernel parameter '%s' is not modelled", tok);
		}
	}
	free(copy);
	return ret;
}

static int parse_online_type(const char *s)
{
	static const char *const names[] = { "offline", "online", "online_kernel",
					     "online_movable" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* QEMU options that change nothing memhp models: taken and left alone. */
static const char *const qemu_harmless_with_arg[] = {
	"-name",   "-display", "-serial", "-monitor", "-vga", "-cpu", "-kernel",
	"-initrd", "-boot",    "-rtc",	  "-D",	      "-d",   "-k",   "-parallel",
};
static const char *const qemu_harmless[] = {
	"-nodefaults", "-no-user-config", "-nographic", "-enable-kvm",
	"-no-reboot",  "-no-shutdown",	  "-snapshot",	"-no-hpet",
};
/* QEMU options that would make the machine one memhp does not model:
 * refused, each with why. */
static const struct {
	const char *name;
	bool arg;
	const char *why;
} qemu_refused[] = {
	{ "-S", false, "the guest runs from the start: there is no paused machine to continue" },
	{ "-daemonize", false, "memhp runs in the foreground" },
	{ "-mem-path", true, "guest memory is memhp's own anonymous mapping" },
	{ "-mem-prealloc", false, "guest memory is populated as the guest touches it" },
	{ "-chardev", true, "no character devices: the monitor is -qmp unix:PATH" },
	{ "-mon", true, "no character devices: the monitor is -qmp unix:PATH" },
	{ "-pidfile", true, "not modelled" },
	{ "-incoming", true, "no migration" },
	{ "-loadvm", true, "no snapshots" },
	{ "-global", true, "device defaults are QEMU 7.2's" },
	{ "-bios", true, "the firmware is QEMU's SeaBIOS, as far as memhp models it" },
};

/* "-machine q35[,accel=tcg|kvm]": the q35 of QEMU 7.2 only. */
static int parse_machine(const char *prog, const char *opt, const char *arg)
{
	struct kvs k;
	int ret = 1;

	if (kvs_parse(arg, "type", &k)) {
		kvs_free(&k);
		return bad_at(prog, opt, arg, "too many options");
	}
	for (unsigned int i = 0; i < k.n && ret > 0; i++) {
		const char *key = k.v[i].key, *val = k.v[i].val;

		if (!strcmp(key, "type")) {
			if (strcmp(val, "q35") && strcmp(val, "pc-q35-7.2"))
				ret = bad_at(prog, opt, arg,
					     "memhp: the machine is q35 (pc-q35-7.2), not %s", val);
		} else if (!strcmp(key, "accel")) {
			if (strcmp(val, "tcg") && strcmp(val, "kvm"))
				ret = bad_at(prog, opt, arg, "memhp: accel=tcg or kvm, not %s",
					     val);
		} else if (strcmp(key, "usb") && strcmp(key, "graphics") && strcmp(key, "vmport") &&
			   strcmp(key, "dump-guest-core")) {
			ret = bad_at(prog, opt, arg, "memhp: machine property '%s' is not modelled",
				     key);
		}
	}
	kvs_free(&k);
	return ret;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

int machine_opts_parse(struct machine_opts *o, const char *prog, int argc, char **argv, int *i)
{
	static const char *const with_arg[] = {
		"-numa",      "-m",	      "--maxmem",      "--device", "--auto-online",
		"--protocol", "--block-size", "--anon-memory", "-smp",	   "--guest-kernel",
		"-append",    "--append",     "-device",       "-object",  "-machine",
		"-M",	      "-accel",
	};
	const char *opt = argv[*i], *val = NULL;
	char name[OPT_NAME_MAX];
	size_t n;
	unsigned int k;

	n = strcspn(opt, "=");
	if (n >= sizeof(name))
		return 0;
	memcpy(name, opt, n);
	name[n] = '\0';
	/* QEMU takes "--object" for "-object". */
	if (!strcmp(name, "--object") || !strcmp(name, "--machine") || !strcmp(name, "--smp") ||
	    !strcmp(name, "--m") || !strcmp(name, "--accel"))
		memmove(name, name + 1, strlen(name));
	if (in_list(name, qemu_harmless, N_ELEMS(qemu_harmless))) {
		++*i;
		return 1;
	}
	for (k = 0; k < N_ELEMS(qemu_refused); k++) {
		if (!strcmp(name, qemu_refused[k].name)) {
			if (qemu_refused[k].arg && opt[n] != '=' && *i + 1 < argc)
				return bad_at(prog, name, argv[*i + 1], "memhp: %s",
					      qemu_refused[k].why);
			fprintf(stderr, "%s: %s: memhp: %s\n", prog, name, qemu_refused[k].why);
			return -1;
		}
	}
	if (in_list(name, qemu_harmless_with_arg, N_ELEMS(qemu_harmless_with_arg))) {
		if (opt[n] != '=' && *i + 1 >= argc)
			return bad(prog, "%s needs an argument", name);
		*i += opt[n] == '=' ? 1 : 2;
		return 1;
	}
	/* The kernel parameter memory_hotplug.memmap_on_memory=1 (-append
	 * takes it too), as an option of its own. */
	if (!strcmp(name, "--memmap-on-memory")) {
		if (opt[n] == '=')
			return bad(prog,
				   "--memmap-on-memory takes no value "
				   "(-append memory_hotplug.memmap_on_memory=%s does)",
				   opt + n + 1);
		o->memmap_on_memory = true;
		++*i;
		return 1;
	}
	for (k = 0; k < N_ELEMS(with_arg); k++)
		if (!strcmp(name, with_arg[k]))
			break;
	if (k == N_ELEMS(with_arg))
		return 0;
	if (opt[n] == '=') {
		val = opt + n + 1;
	} else {
		if (*i + 1 >= argc)
			return bad(prog, "%s needs a value", name);
		val = argv[++*i];
	}
	++*i;
	if (!strcmp(name, "-m"))
		return parse_m(o, prog, name, val);
	if (!strcmp(name, "--maxmem")) {
		if (!opt_size(val, &o->maxmem))
			return bad(prog, "--maxmem: invalid size '%s'", val);
		o->maxmem_given = true;
		return 1;
	}
	if (!strcmp(name, "--device") || !strcmp(name, "-device"))
		return parse_device(o, prog, name, val);
	if (!strcmp(name, "-object"))
		return parse_object(o, prog, name, val);
	if (!strcmp(name, "-machine") || !strcmp(name, "-M"))
		return parse_machine(prog, name, val);
	if (!strcmp(name, "-accel")) {
		if (strncmp(val, "tcg", 3) && strncmp(val, "kvm", 3))
			return bad_at(prog, name, val, "memhp: tcg or kvm");
		return 1;
	}
	if (!strcmp(name, "-smp"))
		return parse_smp(o, prog, val);
	if (!strcmp(name, "-numa"))
		return parse_numa(o, prog, name, val);
	if (!strcmp(name, "-append") || !strcmp(name, "--append"))
		return parse_append(o, prog, val);
	if (!strcmp(name, "--guest-kernel"))
		return parse_guest(o, prog, val);
	if (!strcmp(name, "--auto-online")) {
		o->auto_online = parse_online_type(val);
		if (o->auto_online < 0)
			return bad(prog,
				   "--auto-online %s: offline, online, online_kernel or "
				   "online_movable",
				   val);
		return 1;
	}
	if (!strcmp(name, "--protocol")) {
		if (!strcmp(val, "6.1"))
			o->protocol = MEMHP_PROTOCOL_6_1;
		else if (!strcmp(val, "2025"))
			o->protocol = MEMHP_PROTOCOL_2025;
		else
			return bad(prog, "--protocol %s: 6.1 or 2025", val);
		return 1;
	}
	if (!strcmp(name, "--anon-memory")) {
		const char *comma = strchr(val, ',');
		char size[OPT_VALUE_MAX];
		size_t len = comma ? (size_t)(comma - val) : strlen(val);

		if (len >= sizeof(size) || (comma && strcmp(comma, ",pinned")))
			return bad(prog, "--anon-memory %s: SIZE[,pinned]", val);
		memcpy(size, val, len);
		size[len] = '\0';
		if (parse_size(size, 1, &o->anon_size))
			return bad(prog, "--anon-memory: invalid size '%s'", size);
		o->anon_pinned = comma != NULL;
		return 1;
	}
	/* --block-size */
	if (parse_size(val, 1, &o->block_size) || !o->block_size ||
	    (o->block_size & (o->block_size - 1)) || o->block_size < X86_MIN_BLOCK_SIZE)
		return bad(prog, "--block-size %s: a power of two of 128M or more", val);
	return 1;
}

void machine_opts_usage(FILE *f)
{
	fprintf(f,
		"machine options (QEMU's words; a QEMU command line's -m, -object, -device,\n"
		"-smp, -append, -machine, -accel and -qmp work as they are):\n"
		"  -m [size=]SIZE[,slots=N][,maxmem=SIZE]\n"
		"                        boot RAM (default 128M, a bare number is MiB), laid out\n"
		"                        as on q35: at most 2G below 4G, the rest from 4G\n"
		"  --maxmem SIZE         RAM plus device memory at most; without it, as in QEMU,\n"
		"                        there is no room for memory added after start-up\n"
		"  -object memory-backend-ram,id=ID,size=SIZE\n"
		"                        a memory backend for a device's memdev=\n"
		"  -device pc-dimm,id=ID,memdev=ID[,addr=ADDR][,slot=N]\n"
		"                        a DIMM in a slot of -m's, added at start-up as ACPI\n"
		"                        hotplug adds it, at ADDR or the next free device-memory\n"
		"                        address (from the 1G boundary after high RAM)\n"
		"  -device virtio-mem-pci,id=ID,memdev=ID[,requested-size=SIZE][,block-size=SIZE]\n"
		"           [,memaddr=ADDR][,unplugged-inaccessible=on|off]\n"
		"                        a virtio-mem device (block-size default 2M) with its\n"
		"                        Linux driver in the guest, which plugs requested-size\n"
		"                        (default 0) at once; QMP's qom-set changes it later\n"
		"  -device "
		"virtio-balloon-pci[,id=ID][,deflate-on-oom=on][,free-page-reporting=on]\n"
		"                        the balloon and its Linux driver; QMP's balloon sets its\n"
		"                        target\n"
		"  --device pc-dimm|virtio-mem,id=ID,size=SIZE,...\n"
		"                        memhp's shorthand: the device carries its backend's size\n"
		"                        (no -object); such a DIMM needs no slots\n"
		"  --auto-online offline|online|online_kernel|online_movable\n"
		"                        auto_online_blocks at boot (default offline)\n"
		"  --protocol 6.1|2025   the PageOffline protocol (default 6.1)\n"
		"  --block-size SIZE     memory block size (default: as x86 Linux picks it)\n"
		"  --memmap-on-memory    memory_hotplug.memmap_on_memory=1: a hot-added DIMM's\n"
		"                        memmap lives in its own first pages\n"
		"  -smp [cpus=]N         CPUs of the guest (default 1): SLUB sizes its slabs\n"
		"                        for them\n"
		"  -numa node,nodeid=N[,memdev=ID][,cpus=A[-B]]\n"
		"                        a NUMA node with a backend's worth of the boot RAM\n"
		"                        and its CPUs; node=N on -device places a DIMM or\n"
		"                        virtio-mem there\n"
		"  -numa dist,src=A,dst=B,val=D\n"
		"                        the SLIT's distance from node A to node B (B to A\n"
		"                        too unless given)\n"
		"  -append 'PARAMS'      the kernel command line: nokaslr (else KASLR puts the\n"
		"                        kernel image in a random block, as Debian's 6.1 does),\n"
		"                        memhp_default_state=, movable_node,\n"
		"                        memory_hotplug.{memmap_on_memory,online_policy,\n"
		"                        auto_movable_ratio,auto_movable_numa_aware}=,\n"
		"                        transparent_hugepage= (whether khugepaged raises\n"
		"                        min_free_kbytes; default always);\n"
		"                        cma=SIZE[@BASE] (a CMA area, as with CONFIG_CMA);\n"
		"                        console=, quiet and the like are taken and change\n"
		"                        nothing\n"
		"  --anon-memory SIZE[,pinned]\n"
		"                        shared anonymous memory in use in the guest from\n"
		"                        start-up (Shmem: a file of the kernel's internal tmpfs,\n"
		"                        random bytes); pinned: it cannot be migrated, so an\n"
		"                        offline of its blocks retries until interrupted;\n"
		"                        /sys/kernel/debug/memhp/anon_memory changes it later\n"
		"  --guest-kernel on|off[,boot=on|off][,programs=on|off][,idle-objects=N]\n"
		"                [,long-lived-ppm=N][,background-tasks=N]\n"
		"                        the guest kernel at work (default on): slab, page\n"
		"                        tables and kernel stacks of a booted Linux spread over\n"
		"                        boot memory, an idle system's slab churn (N objects a\n"
		"                        second, N per million of them long-lived, N background\n"
		"                        programs a minute) and every program the shell runs;\n"
		"                        off: a clean room\n");
}

/* The end of boot RAM (max_pfn). */
static uint64_t boot_end(const struct memhp_config *cfg)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < cfg->nr_boot; i++)
		if (cfg->boot[i].start + cfg->boot[i].size > end)
			end = cfg->boot[i].start + cfg->boot[i].size;
	return end;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static uint64_t x86_block_size(uint64_t mem_end)
{
	uint64_t bz;

	if (mem_end < X86_LARGE_BLOCK_RAM)
		return X86_MIN_BLOCK_SIZE;
	for (bz = X86_MAX_BLOCK_SIZE; bz > X86_MIN_BLOCK_SIZE; bz >>= 1)
		if (!(mem_end & (bz - 1)))
			break;
	return bz;
}

/* QEMU's ACPI memory hotplug controller: one status per slot of -m (or
 * per DIMM of memhp's shorthand, which needs no slots). */
static int create_acpi(const struct machine_opts *o, const char *prog, struct machine *mc)
{
	unsigned int n = o->slots;
	int ret;

	for (unsigned int i = 0; i < mc->nr_devs; i++)
		if (mc->devs[i].kind == MACHINE_PC_DIMM && (unsigned int)mc->devs[i].slot >= n)
			n = (unsigned int)mc->devs[i].slot + 1;
	if (!n)
		return 0;
	ret = memhp_acpi_memhp_create(mc->m, n, &mc->acpi);
	if (ret)
		fprintf(stderr, "%s: cannot create the ACPI memory hotplug controller: %s\n", prog,
			strerror(-ret));
	return ret;
}

/* The guest's ACPI scan at boot: the cold-plugged DIMMs are added (as
 * Linux adds them: a memory group each, add_memory(), auto-onlined), and
 * from then on hotplug notifications are handled on a thread of their own.
 * A DIMM the guest could not add is an error here: memhp builds only
 * machines whose DIMMs Linux uses. */
static int start_acpi(struct machine *mc, const char *prog)
{
	struct memhp_acpi_memhp_drv_params p;
	int ret;

	memhp_acpi_memhp_drv_params_init(&p);
	ret = memhp_acpi_memhp_drv_probe(mc->m, mc->acpi, &p, &mc->acpi_drv);
	if (ret) {
		fprintf(stderr, "%s: the ACPI memory hotplug driver's probe failed: %s\n", prog,
			strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < mc->nr_devs; i++) {
		const struct machine_device *d = &mc->devs[i];
		struct memhp_block_info bi;

		if (d->kind != MACHINE_PC_DIMM ||
		    !memhp_block_info(mc->m, memhp_phys_to_block_id(mc->m, mc->addrs[i]), &bi))
			continue;
		fprintf(stderr, "%s: pc-dimm %s: adding [%#llx, %#llx) failed\n", prog,
			d->id[0] ? d->id : "(no id)", (unsigned long long)mc->addrs[i],
			(unsigned long long)(mc->addrs[i] + d->size));
		return -EINVAL;
	}
	return 0;
}

/* --anon-memory: a file of shm_mnt, allocated GFP_HIGHUSER_MOVABLE as
 * shmem is, so ZONE_MOVABLE first. */
static int start_anon(const struct machine_opts *o, const char *prog, struct machine *mc)
{
	struct memhp_meminfo mi;
	int ret;

	if (!(o->anon_size >> MEMHP_PAGE_SHIFT))
		return 0;
	ret = memhp_anon_memory_set(mc->m, o->anon_size, o->anon_pinned);
	if (ret == -ENOSPC) {
		memhp_meminfo(mc->m, &mi);
		fprintf(stderr, "%s: --anon-memory: only %lu of %llu pages free\n", prog,
			mi.free_pages, (unsigned long long)(o->anon_size >> MEMHP_PAGE_SHIFT));
	} else if (ret) {
		fprintf(stderr, "%s: --anon-memory: %s\n", prog, strerror(-ret));
	}
	return ret;
}

int machine_tmpfs_create(struct machine *mc, const struct memhp_shmem_options *o,
			 struct memhp_shmem **out)
{
	int ret;

	if (mc->nr_tmpfs == MACHINE_MAX_TMPFS)
		return -ENOSPC;
	ret = memhp_shmem_create(mc->m, o, out);
	if (!ret)
		mc->tmpfs[mc->nr_tmpfs++] = *out;
	return ret;
}

static uint64_t elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (uint64_t)(b->tv_sec - a->tv_sec) * 1000 +
	       (uint64_t)((b->tv_nsec - a->tv_nsec) / 1000000);
}

/* The drivers' retry timer runs on a clock of their own, which tests move
 * by hand; in a running machine it follows the wall clock. */
static void *driver_clock(void *arg)
{
	struct machine *mc = arg;
	struct timespec last, now, due;

	clock_gettime(CLOCK_MONOTONIC, &last);
	pthread_mutex_lock(&mc->clock_lock);
	while (!mc->clock_stop) {
		uint64_t ms;

		due = last;
		due.tv_sec += MACHINE_DRIVER_TICK_MS / 1000;
		due.tv_nsec += (MACHINE_DRIVER_TICK_MS % 1000) * 1000000L;
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&mc->clock_cond, &mc->clock_lock, &due);
		if (mc->clock_stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = elapsed_ms(&last, &now);
		if (!ms)
			continue;
		last = now;
		pthread_mutex_unlock(&mc->clock_lock);
		for (unsigned int i = 0; i < mc->nr_vmems; i++)
			memhp_vmem_drv_advance(mc->vmems[i].drv, ms);
		pthread_mutex_lock(&mc->clock_lock);
	}
	pthread_mutex_unlock(&mc->clock_lock);
	return NULL;
}

static int start_driver_clock(struct machine *mc, const char *prog)
{
	pthread_condattr_t attr;
	int err;

	pthread_mutex_init(&mc->clock_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&mc->clock_cond, &attr);
	pthread_condattr_destroy(&attr);
	err = pthread_create(&mc->clock, NULL, driver_clock, mc);
	if (err) {
		fprintf(stderr, "%s: cannot start the driver clock: %s\n", prog, strerror(err));
		pthread_cond_destroy(&mc->clock_cond);
		pthread_mutex_destroy(&mc->clock_lock);
		return -err;
	}
	mc->clock_running = true;
	return 0;
}

void machine_stop_devices(struct machine *mc)
{
	if (mc->clock_running) {
		pthread_mutex_lock(&mc->clock_lock);
		mc->clock_stop = true;
		pthread_cond_signal(&mc->clock_cond);
		pthread_mutex_unlock(&mc->clock_lock);
		pthread_join(mc->clock, NULL);
		pthread_cond_destroy(&mc->clock_cond);
		pthread_mutex_destroy(&mc->clock_lock);
		mc->clock_running = false;
	}
	if (mc->guest)
		memhp_guest_stop(mc->guest);
	/* No more DIMM notifications; what is added stays. */
	memhp_acpi_memhp_drv_remove(mc->acpi_drv);
	mc->acpi_drv = NULL;
	/* The balloon gives its pages back to the guest as it goes. */
	memhp_vballoon_drv_remove(mc->balloon_drv);
	memhp_vballoon_dev_destroy(mc->balloon_dev);
	mc->balloon_drv = NULL;
	mc->balloon_dev = NULL;
	/* As virtio_mem_remove() leaves it: what is added stays added. */
	for (unsigned int i = mc->nr_vmems; i-- > 0;) {
		memhp_vmem_drv_remove(mc->vmems[i].drv);
		memhp_vmem_dev_destroy(mc->vmems[i].dev);
	}
	mc->nr_vmems = 0;
}

void machine_destroy(struct machine *mc)
{
	machine_stop_devices(mc);
	/* Nothing migrates any more. The anonymous memory goes with the
	 * machine (shm_mnt). */
	while (mc->nr_tmpfs)
		memhp_shmem_destroy(mc->tmpfs[--mc->nr_tmpfs]);
	memhp_acpi_memhp_destroy(mc->acpi);
	mc->acpi = NULL;
	memhp_machine_destroy(mc->m);
	mc->m = NULL;
	/* The guest went with the machine: a second stop or destroy (the
	 * commands' error paths call both) must not touch it. */
	mc->guest = NULL;
}

/* Where a device without an address goes: after the previous one, aligned
 * as Linux (pc-dimm: memory blocks) or QEMU (virtio-mem: its block size,
 * at least the 2 MiB a RAM backend is aligned to) need it. */
static uint64_t device_align(const struct machine_device *d, uint64_t memory_block_size)
{
	uint64_t bs;

	if (d->kind == MACHINE_PC_DIMM)
		return memory_block_size;
	bs = d->block_size ? d->block_size : MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
	return bs > MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE ? bs : MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
}

static const char *kind_name(const struct machine_device *d)
{
	return d->kind == MACHINE_PC_DIMM ? "pc-dimm" : "virtio-mem";
}

static int bad_dev(const char *prog, const struct machine_device *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "PROG: -device ARG: MESSAGE" for an error about a device. */
static int bad_dev(const char *prog, const struct machine_device *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s %s: ", prog, d->opt, d->arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

/* The checks QEMU 7.2's virtio-mem makes (its block-size setter, then
 * realize), in its words. */
static int check_vmem(const struct machine_device *d, const char *prog)
{
	const uint64_t bs = d->block_size ? d->block_size : MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
	const unsigned long long b = bs;

	if (bs < MEMHP_VIRTIO_MEM_MIN_BLOCK_SIZE)
		return bad_dev(prog, d, "'block-size' property has to be at least 0x%llx",
			       (unsigned long long)MEMHP_VIRTIO_MEM_MIN_BLOCK_SIZE);
	if (bs & (bs - 1))
		return bad_dev(prog, d, "'block-size' property has to be a power of two");
	if (d->requested_size % bs)
		return bad_dev(prog, d,
			       "'requested-size' property has to be multiples of 'block-size' "
			       "(0x%llx)",
			       b);
	if (d->addr % bs)
		return bad_dev(prog, d,
			       "'memaddr' property has to be multiples of 'block-size' (0x%llx)",
			       b);
	if (d->size % bs)
		/* sic: no space before the quote */
		return bad_dev(prog, d,
			       "'memdev' property memdev size has to be multiples of'block-size' "
			       "(0x%llx)",
			       b);
	if (d->requested_size > d->size)
		return bad_dev(prog, d,
			       "memhp: 'requested-size' (0x%llx) exceeds the memory backend size "
			       "(0x%llx): QEMU 7.2 takes it, memhp's device does not",
			       (unsigned long long)d->requested_size, (unsigned long long)d->size);
	return 0;
}

static int start_vmem(struct machine *mc, const struct machine_device *d, uint64_t addr,
		      const char *prog)
{
	struct machine_vmem *v = &mc->vmems[mc->nr_vmems];
	struct memhp_vmem_dev_config cfg = {
		.id = d->id,
		.addr = addr,
		.region_size = d->size,
		.block_size = d->block_size,
		.requested_size = d->requested_size,
		.unplugged_inaccessible = d->unplugged_inaccessible,
		.flavor = MEMHP_VMEM_QEMU,
		.node_id = (uint16_t)d->node,
	};
	struct memhp_vmem_drv_params params;
	int ret;

	ret = memhp_vmem_dev_create(mc->m, &cfg, &v->dev);
	if (ret) {
		fprintf(stderr, "%s: virtio-mem %s: cannot create the device at %#llx: %s\n", prog,
			d->id, (unsigned long long)addr, strerror(-ret));
		return ret;
	}
	memhp_vmem_drv_params_init(&params);
	params.sync = false;
	ret = memhp_vmem_drv_probe(mc->m, v->dev, &params, &v->drv);
	if (ret) {
		fprintf(stderr, "%s: virtio-mem %s: the driver's probe failed: %s\n", prog, d->id,
			strerror(-ret));
		memhp_vmem_dev_destroy(v->dev);
		return ret;
	}
	v->opts = d;
	mc->nr_vmems++;
	return 0;
}

/* A size in the largest unit that divides it: "3M", "1T", "4097K". */
static const char *size_str(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (u < 5 && v && !(v % 1024)) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

/*
 * What QEMU checks of -m when it creates the machine, in its words, and
 * what memhp cannot model: a machine Linux cannot boot in, a block size
 * x86 Linux never picks. Returns 0 or -EINVAL after printing why.
 */
static int check_memory(const struct machine_opts *o, const char *prog, uint64_t block_size)
{
	char a[32], b[32], c[32];

	if (o->slots > MACHINE_MAX_SLOTS) {
		fprintf(stderr, "%s: unsupported amount of memory slots: %u\n", prog, o->slots);
		return -EINVAL;
	}
	if (o->slots && !o->maxmem_given) {
		fprintf(stderr, "%s: slots specified but no max-size\n", prog);
		return -EINVAL;
	}
	if (o->maxmem_given && o->maxmem < o->ram_size) {
		fprintf(stderr,
			"%s: invalid value of maxmem: maximum memory size (0x%llx) must be at "
			"least "
			"the initial memory size (0x%llx)\n",
			prog, (unsigned long long)o->maxmem, (unsigned long long)o->ram_size);
		return -EINVAL;
	}
	if (o->maxmem_given && o->slots && o->maxmem == o->ram_size) {
		fprintf(stderr,
			"%s: invalid value of maxmem: memory slots were specified but maximum "
			"memory size (0x%llx) is equal to the initial memory size (0x%llx)\n",
			prog, (unsigned long long)o->maxmem, (unsigned long long)o->ram_size);
		return -EINVAL;
	}
	if (o->ram_size < MACHINE_MIN_RAM) {
		/* QEMU starts such a machine; Linux 6.1 does not boot in it. */
		fprintf(stderr,
			"%s: -m %s: Linux 6.1 does not boot in less than %s (QEMU would start "
			"the machine, the kernel would not come up)\n",
			prog, size_str(o->ram_size, a, sizeof(a)),
			size_str(MACHINE_MIN_RAM, b, sizeof(b)));
		return -EINVAL;
	}
	if (block_size > X86_MAX_BLOCK_SIZE) {
		fprintf(stderr, "%s: --block-size %s: x86 Linux uses memory blocks of %s to %s\n",
			prog, size_str(block_size, a, sizeof(a)),
			size_str(X86_MIN_BLOCK_SIZE, b, sizeof(b)),
			size_str(X86_MAX_BLOCK_SIZE, c, sizeof(c)));
		return -EINVAL;
	}
	return 0;
}

/* A backend name no -object took, for memhp's size= shorthand. */
static void invent_memdev(const struct machine_opts *o, struct machine *mc,
			  struct machine_device *d)
{
	for (unsigned int n = 0;; n++) {
		bool taken = false;

		snprintf(d->memdev, sizeof(d->memdev), "mem%u", n);
		for (unsigned int i = 0; i < o->nr_backends && !taken; i++)
			taken = !strcmp(o->backends[i].id, d->memdev);
		for (unsigned int i = 0; i < mc->nr_devs && !taken; i++)
			taken = !strcmp(mc->devs[i].memdev, d->memdev);
		if (!taken)
			return;
	}
}

/*
 * QEMU 7.2's validate_numa_distance() and complete_init_numa_distance():
 * every pair of nodes needs a distance one way at least, and if the two
 * ways of a pair differ, every pair needs both; a missing direction takes the other's, a
 * node's own is 10. The full table goes into @cfg: the SLIT QEMU builds.
 */
static int numa_distances(const struct machine_opts *o, const char *prog, struct memhp_config *cfg)
{
	bool asymmetrical = false;

	for (unsigned int src = 0; src < o->nr_numa; src++)
		for (unsigned int dst = src; dst < o->nr_numa; dst++) {
			unsigned int there = o->numa[src].distance[dst],
				     back = o->numa[dst].distance[src];

			if (!there && !back && src != dst) {
				fprintf(stderr,
					"%s: The distance between node %u and %u is missing, at "
					"least one distance value between each nodes should be "
					"provided.\n",
					prog, src, dst);
				return -EINVAL;
			}
			asymmetrical |= there && back && there != back;
		}
	for (unsigned int src = 0; asymmetrical && src < o->nr_numa; src++)
		for (unsigned int dst = 0; dst < o->nr_numa; dst++)
			if (src != dst && !o->numa[src].distance[dst]) {
				fprintf(stderr,
					"%s: At least one asymmetrical pair of distances is given, "
					"please provide distances for both directions of all node "
					"pairs.\n",
					prog);
				return -EINVAL;
			}
	for (unsigned int src = 0; src < o->nr_numa; src++)
		for (unsigned int dst = 0; dst < o->nr_numa; dst++) {
			uint8_t d = o->numa[src].distance[dst];

			if (!d)
				d = src == dst ? MEMHP_LOCAL_DISTANCE : o->numa[dst].distance[src];
			cfg->nodes[src].distance[dst] = d;
		}
	return 0;
}

/*
 * The -numa nodes into @cfg, with QEMU 7.2's errors: ids without gaps,
 * each memdev a backend of its own, CPUs within -smp, the nodes' memory
 * adding up to -m.
 */
static int numa_config(const struct machine_opts *o, const char *prog, struct memhp_config *cfg)
{
	uint64_t total = 0;

	if (!o->nr_numa)
		return 0;
	for (unsigned int nid = 0; nid < o->nr_numa; nid++) {
		const struct machine_numa_node *n = &o->numa[nid];
		const struct machine_backend *b = NULL;

		if (!n->given) {
			fprintf(stderr, "%s: numa: Node ID missing: %u\n", prog, nid);
			return -EINVAL;
		}
		for (unsigned int c = cfg->nr_cpus; c < MEMHP_MAX_CPUS; c++)
			if (n->cpus[c / 64] & (1ULL << (c % 64))) {
				fprintf(stderr,
					"%s: -numa %s: CPU index (%u) should be smaller than "
					"maxcpus "
					"(%u)\n",
					prog, n->arg, c, cfg->nr_cpus);
				return -EINVAL;
			}
		memcpy(cfg->nodes[nid].cpus, n->cpus, sizeof(n->cpus));
		if (!n->memdev[0])
			continue;
		for (unsigned int j = 0; j < o->nr_backends; j++)
			if (!strcmp(o->backends[j].id, n->memdev))
				b = &o->backends[j];
		if (!b) {
			fprintf(stderr, "%s: -numa %s: memdev=%s is ambiguous\n", prog, n->arg,
				n->memdev);
			return -EINVAL;
		}
		for (unsigned int j = 0; j < nid; j++)
			if (!strcmp(o->numa[j].memdev, n->memdev)) {
				fprintf(stderr,
					"%s: memory backend %s can't be used multiple times.\n",
					prog, n->memdev);
				return -EINVAL;
			}
		cfg->nodes[nid].mem_size = b->size;
		total += b->size;
	}
	if (total != o->ram_size) {
		fprintf(stderr,
			"%s: total memory for NUMA nodes (0x%llx) should equal RAM size (0x%llx)\n",
			prog, (unsigned long long)total, (unsigned long long)o->ram_size);
		return -EINVAL;
	}
	cfg->nr_nodes = o->nr_numa;
	return o->numa_dist ? numa_distances(o, prog, cfg) : 0;
}

/*
 * The devices as QEMU realizes them: each memdev found and not busy, the
 * size taken from it; DIMMs in slots; device memory not overcommitted.
 * Fills mc->devs. Returns 0 or -EINVAL after printing QEMU's reason, with
 * the option it is about.
 */
static int resolve_devices(const struct machine_opts *o, const char *prog, struct machine *mc)
{
	const uint64_t space = o->maxmem_given ? o->maxmem - o->ram_size : 0;
	bool slot_used[MACHINE_MAX_SLOTS] = { false };
	uint64_t used = 0, dimms = 0;

	for (unsigned int i = 0; i < o->nr_devices; i++) {
		struct machine_device *d = &mc->devs[mc->nr_devs];

		*d = o->devices[i];
		if (d->kind == MACHINE_VIRTIO_BALLOON) {
			mc->nr_devs++;
			continue;
		}
		if (d->node >= (int)(o->nr_numa ? o->nr_numa : 1))
			return bad_dev(
				prog, d,
				d->kind == MACHINE_PC_DIMM
					? "'DIMM property node has value %d' which exceeds the "
					  "number of numa nodes: %u"
					: "'node' property has value '%d', which exceedsthe "
					  "number of numa nodes: %u",
				d->node, o->nr_numa ? o->nr_numa : 1);
		if (d->memdev_given) {
			const struct machine_backend *b = NULL;

			for (unsigned int j = 0; j < o->nr_backends; j++)
				if (!strcmp(o->backends[j].id, d->memdev))
					b = &o->backends[j];
			if (!b)
				return bad_dev(prog, d, "Device '%s' not found", d->memdev);
			for (unsigned int j = 0; j < o->nr_numa; j++)
				if (!strcmp(o->numa[j].memdev, d->memdev))
					return bad_dev(
						prog, d,
						d->kind == MACHINE_PC_DIMM
							? "can't use already busy memdev: %s"
							: "'memdev' property specifies a busy "
							  "memdev: %s",
						d->memdev);
			for (unsigned int j = 0; j < mc->nr_devs; j++)
				if (!strcmp(mc->devs[j].memdev, d->memdev))
					return bad_dev(
						prog, d,
						d->kind == MACHINE_PC_DIMM
							? "can't use already busy memdev: %s"
							: "'memdev' property specifies a busy "
							  "memdev: %s",
						d->memdev);
			d->size = b->size;
		} else if (!d->memhp_syntax) {
			return bad_dev(prog, d, "'memdev' property must be set");
		} else {
			invent_memdev(o, mc, d);
		}
		/* QEMU's memory_device_pre_plug() and pc_dimm_pre_plug(), for
		 * devices given as QEMU gives them; memhp's shorthand needs
		 * neither slots nor maxmem. */
		if (!d->memhp_syntax) {
			if (d->kind == MACHINE_PC_DIMM && !o->slots)
				return bad_dev(prog, d,
					       "no slots where allocated, please specify the "
					       "'slots' option");
			if (!o->maxmem_given)
				return bad_dev(prog, d,
					       "memory devices (e.g. for memory hotplug) are not "
					       "enabled, please specify the maxmem option");
		}
		if (o->maxmem_given && used + d->size > space)
			return bad_dev(prog, d,
				       "not enough space, currently 0x%llx in use of total space "
				       "for memory devices 0x%llx",
				       (unsigned long long)used, (unsigned long long)space);
		used += d->size;
		if (d->kind == MACHINE_PC_DIMM) {
			dimms += d->size;
			if (!d->memhp_syntax && d->slot >= (int)o->slots)
				return bad_dev(prog, d,
					       "invalid slot number %d, valid range is [0-%u]",
					       d->slot, o->slots - 1);
			if (d->slot >= 0 && d->slot < MACHINE_MAX_SLOTS && slot_used[d->slot])
				return bad_dev(prog, d, "slot %d is busy", d->slot);
			if (d->slot < 0) {
				unsigned int n = d->memhp_syntax ? MACHINE_MAX_SLOTS : o->slots;

				for (unsigned int s = 0; s < n && d->slot < 0; s++)
					if (!slot_used[s])
						d->slot = (int)s;
				if (d->slot < 0)
					return bad_dev(prog, d, "no free slots available");
			}
			if (d->slot < MACHINE_MAX_SLOTS)
				slot_used[d->slot] = true;
		}
		mc->nr_devs++;
	}
	mc->ram_size = o->ram_size;
	atomic_store(&mc->current_ram_size, o->ram_size + dimms);
	return 0;
}

void machine_dimms_changed(struct machine *mc, uint64_t bytes)
{
	atomic_store(&mc->current_ram_size, mc->ram_size + bytes);
}

int machine_opts_create(const struct machine_opts *o, const char *prog, struct machine *out)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	uint64_t dev_base, dev_end, next, end;
	uint64_t *addrs = out->addrs;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	memhp_config_init(&cfg, o->ram_size);
	end = boot_end(&cfg);
	cfg.block_size = o->block_size ? o->block_size : x86_block_size(end);
	if (o->auto_online >= 0)
		cfg.auto_online_blocks = (enum memhp_online_type)o->auto_online;
	if (o->protocol >= 0)
		cfg.protocol = (enum memhp_protocol)o->protocol;
	if (o->nr_cpus)
		cfg.nr_cpus = o->nr_cpus;
	cfg.kaslr = !o->nokaslr;
	cfg.transparent_hugepage = (enum memhp_thp_mode)o->thp;
	cfg.movable_node |= o->movable_node;
	cfg.memmap_on_memory |= o->memmap_on_memory;
	if (o->cma_size) {
		cfg.cma_size = o->cma_size;
		cfg.cma_base = o->cma_base;
	}
	if (o->online_policy >= 0)
		cfg.online_policy = (enum memhp_online_policy)o->online_policy;
	if (o->auto_movable_ratio >= 0)
		cfg.auto_movable_ratio = (unsigned int)o->auto_movable_ratio;
	if (o->auto_movable_numa_aware >= 0)
		cfg.auto_movable_numa_aware = o->auto_movable_numa_aware;

	ret = check_memory(o, prog, cfg.block_size);
	if (!ret)
		ret = numa_config(o, prog, &cfg);
	if (!ret)
		ret = resolve_devices(o, prog, out);
	if (ret)
		return ret;
	dev_base = align_up(end > X86_4G ? end : X86_4G, DEVICE_MEM_ALIGN);
	/* Where every device goes, as QEMU assigns device memory. */
	next = dev_base;
	dev_end = dev_base;
	for (unsigned int i = 0; i < out->nr_devs; i++) {
		const struct machine_device *d = &out->devs[i];

		if (d->kind == MACHINE_VIRTIO_BALLOON)
			continue;
		if (d->kind == MACHINE_VIRTIO_MEM && check_vmem(d, prog))
			return -EINVAL;
		addrs[i] = d->addr ? d->addr : align_up(next, device_align(d, cfg.block_size));
		next = addrs[i] + d->size;
		if (next > dev_end)
			dev_end = next;
	}
	if (o->maxmem_given) {
		dev_end = dev_base + (o->maxmem - o->ram_size) +
			  (uint64_t)o->slots * DEVICE_MEM_SLOT_ROOM;
		cfg.phys_size = align_up(dev_end > end ? dev_end : end, cfg.block_size);
	} else {
		/* No maxmem: as in QEMU, no room for memory added later; the
		 * address space ends after the start-up devices. (It also keeps
		 * the host reservation small, which ThreadSanitizer needs.) */
		if (dev_end < end)
			dev_end = end;
		dev_end = align_up(dev_end, cfg.block_size);
		cfg.phys_size = dev_end;
	}
	out->dev_base = dev_base;
	out->dev_size = dev_end > dev_base ? dev_end - dev_base : 0;
	/* pci_swiotlb_detect(): memory that may reach above 4 GiB, present
	 * or hot-pluggable, gets a bounce buffer below it. */
	if (cfg.phys_size > X86_4G)
		cfg.swiotlb_size = MEMHP_SWIOTLB_SIZE;
	if (cfg.phys_size > MAX_PHYS) {
		fprintf(stderr, "%s: the machine needs more than %llu TiB of address space\n", prog,
			MAX_PHYS >> 40);
		return -EINVAL;
	}
	ret = memhp_machine_create(&cfg, &m);
	if (ret) {
		fprintf(stderr, "%s: cannot create the machine: %s%s%s\n", prog, strerror(-ret),
			*memhp_config_error() ? ": " : "", memhp_config_error());
		return ret;
	}
	out->m = m;
	ret = create_acpi(o, prog, out);
	if (ret) {
		machine_destroy(out);
		return ret;
	}
	/* Boot comes first: the kernel's memory is in place before any
	 * memory is hot-added. */
	if (!o->guest_off) {
		ret = memhp_guest_create(m, &o->guest, &out->guest);
		if (ret) {
			fprintf(stderr,
				"%s: the guest kernel does not fit in %llu MiB of RAM: %s\n", prog,
				(unsigned long long)(o->ram_size >> 20), strerror(-ret));
			machine_destroy(out);
			return ret;
		}
	}

	for (unsigned int i = 0; !ret && i < out->nr_devs; i++) {
		const struct machine_device *d = &out->devs[i];
		const char *id = d->id[0] ? d->id : "(no id)";
		uint64_t addr = addrs[i];

		if (d->kind == MACHINE_VIRTIO_BALLOON)
			continue;
		if (addr < dev_base || addr + d->size > dev_end || addr + d->size < addr) {
			fprintf(stderr,
				"%s: %s %s: [%#llx, %#llx) is outside device memory [%#llx, "
				"%#llx)\n",
				prog, kind_name(d), id, (unsigned long long)addr,
				(unsigned long long)(addr + d->size), (unsigned long long)dev_base,
				(unsigned long long)dev_end);
			ret = -ENOSPC;
			break;
		}
		if (d->kind == MACHINE_VIRTIO_MEM)
			continue;
		if (d->size % cfg.block_size || addr % cfg.block_size) {
			fprintf(stderr,
				"%s: pc-dimm %s: address %#llx and size %#llx must be multiples of "
				"the memory block size %#llx: Linux would not add it\n",
				prog, id, (unsigned long long)addr, (unsigned long long)d->size,
				(unsigned long long)cfg.block_size);
			ret = -EINVAL;
			break;
		}
		/* Cold-plugged into its slot; the guest's ACPI scan adds it. */
		ret = memhp_acpi_memhp_plug(out->acpi, (unsigned int)d->slot, addr, d->size,
					    d->node, d->id[0] ? d->id : NULL, false);
		if (ret)
			fprintf(stderr, "%s: pc-dimm %s: slot %d: %s\n", prog, id, d->slot,
				strerror(-ret));
	}
	if (!ret && out->acpi)
		ret = start_acpi(out, prog);
	/* What runs in the guest is there before virtio-mem plugs anything,
	 * so where it lands does not depend on the driver's pace. */
	if (!ret)
		ret = start_anon(o, prog, out);
	if (ret) {
		machine_destroy(out);
		return ret;
	}
	return 0;
}

/* QEMU's get_current_ram_size(), for the balloon. */
static uint64_t current_ram_size(void *priv)
{
	struct machine *mc = priv;

	return atomic_load(&mc->current_ram_size);
}

/* The virtio-balloon-pci device and the virtio_balloon module's probe. */
static int start_balloon(struct machine *mc, const struct machine_device *d, const char *prog)
{
	struct memhp_vballoon_dev_config cfg;
	struct memhp_vballoon_drv_params params;
	int ret;

	memhp_vballoon_dev_config_init(&cfg);
	cfg.id = d->id[0] ? d->id : NULL;
	cfg.deflate_on_oom = d->deflate_on_oom;
	cfg.free_page_reporting = d->free_page_reporting;
	cfg.page_poison = d->page_poison;
	cfg.ram_size = current_ram_size;
	cfg.ram_size_priv = mc;
	ret = memhp_vballoon_dev_create(mc->m, &cfg, &mc->balloon_dev);
	if (ret) {
		fprintf(stderr, "%s: virtio-balloon: cannot create the device: %s\n", prog,
			strerror(-ret));
		return ret;
	}
	memhp_vballoon_drv_params_init(&params);
	/* The virtio devices are numbered in the order they are found. */
	params.virtio_index = mc->nr_vmems;
	ret = memhp_vballoon_drv_probe(mc->m, mc->balloon_dev, &params, &mc->balloon_drv);
	if (ret) {
		fprintf(stderr, "%s: virtio-balloon: the driver's probe failed: %s\n", prog,
			strerror(-ret));
		memhp_vballoon_dev_destroy(mc->balloon_dev);
		mc->balloon_dev = NULL;
		return ret;
	}
	mc->balloon_opts = d;
	return 0;
}

int machine_opts_start_devices(const struct machine_opts *o, const char *prog, struct machine *mc)
{
	int ret = 0;

	(void)o;
	for (unsigned int i = 0; !ret && i < mc->nr_devs; i++) {
		if (mc->devs[i].kind == MACHINE_VIRTIO_MEM)
			ret = start_vmem(mc, &mc->devs[i], mc->addrs[i], prog);
		else if (mc->devs[i].kind == MACHINE_VIRTIO_BALLOON)
			ret = start_balloon(mc, &mc->devs[i], prog);
	}
	if (!ret && mc->nr_vmems)
		ret = start_driver_clock(mc, prog);
	if (!ret && mc->guest) {
		ret = memhp_guest_start(mc->guest);
		if (ret)
			fprintf(stderr, "%s: cannot start the guest kernel's thread: %s\n", prog,
				strerror(-ret));
	}
	return ret;
}
