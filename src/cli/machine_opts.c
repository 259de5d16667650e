// SPDX-License-Identifier: MIT
/*
 * machine_opts.c - machine options in QEMU's words, and building the
 * machine they describe: a q35 guest with boot RAM (memhp_config_init()),
 * the memory block size x86 Linux would pick, and pc-dimms hot-added at
 * start-up where QEMU would put them, as ACPI memory hotplug adds them.
 */
#include "machine_opts.h"

#include <errno.h>
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
		sfx = strchr(suffixes, *p & ~0x20);
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

/* "-m 1G,slots=4,maxmem=8G" or "-m size=1G". */
static int parse_m(struct machine_opts *o, const char *prog, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 1;

	if (!copy)
		return bad(prog, "%s: out of memory", arg);
	for (tok = strtok_r(copy, ",", &save); tok && ret > 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : tok;

		if (eq)
			*eq = '\0';
		if (!eq || !strcmp(tok, "size")) {
			if (parse_size(val, MEMHP_MiB, &o->ram_size) || !o->ram_size)
				ret = bad(prog, "-m: invalid RAM size '%s'", val);
		} else if (!strcmp(tok, "maxmem")) {
			if (parse_size(val, 1, &o->maxmem))
				ret = bad(prog, "-m: invalid maxmem '%s'", val);
		} else if (!strcmp(tok, "slots")) {
			char *end;
			unsigned long n = strtoul(val, &end, 10);

			if (*end || !*val || n > MACHINE_MAX_DEVICES)
				ret = bad(prog, "-m: invalid slots '%s'", val);
			o->slots = (unsigned int)n;
		} else {
			ret = bad(prog, "-m: unknown property '%s'", tok);
		}
	}
	free(copy);
	return ret;
}

static int parse_on_off(const char *prog, const char *prop, const char *val, bool *out)
{
	/* QEMU's qapi_bool_parse(): on/yes/true/y and off/no/false/n */
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
	fprintf(stderr, "%s: --device: property '%s': '%s' is not on or off\n", prog, prop, val);
	return -1;
}

/*
 * "pc-dimm,id=dimm0,size=1G[,addr=0x140000000][,node=0][,memdev=...]"
 * "virtio-mem,id=vm0,size=4G[,requested-size=1G][,block-size=2M]
 *  [,memaddr=...][,memdev=mem0][,node=0][,unplugged-inaccessible=on]"
 * (virtio-mem-pci too). QEMU takes the size from a memory backend object;
 * here it is a property of the device, the backend only a name.
 */
static int parse_device(struct machine_opts *o, const char *prog, const char *arg)
{
	struct machine_device d;
	const char *props;
	char *copy, *save = NULL, *tok;
	bool have_size = false;
	int ret = 1;

	memset(&d, 0, sizeof(d));
	if (!strncmp(arg, "pc-dimm", 7) && (!arg[7] || arg[7] == ',')) {
		d.kind = MACHINE_PC_DIMM;
		props = arg + 7;
	} else if (!strncmp(arg, "virtio-mem-pci", 14) && (!arg[14] || arg[14] == ',')) {
		d.kind = MACHINE_VIRTIO_MEM;
		props = arg + 14;
	} else if (!strncmp(arg, "virtio-mem", 10) && (!arg[10] || arg[10] == ',')) {
		d.kind = MACHINE_VIRTIO_MEM;
		props = arg + 10;
	} else {
		return bad(prog, "--device %s: only pc-dimm and virtio-mem devices are supported",
			   arg);
	}
	/* QEMU 7.2 on an x86 host: unplugged memory is inaccessible. */
	d.unplugged_inaccessible = d.kind == MACHINE_VIRTIO_MEM;
	if (o->nr_devices == MACHINE_MAX_DEVICES)
		return bad(prog, "--device %s: too many devices", arg);
	copy = strdup(props);
	if (!copy)
		return bad(prog, "%s: out of memory", arg);
	for (tok = strtok_r(copy, ",", &save); tok && ret > 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		bool vmem = d.kind == MACHINE_VIRTIO_MEM;

		if (!eq) {
			ret = bad(prog, "--device: '%s' needs a value", tok);
			break;
		}
		*eq++ = '\0';
		if (!strcmp(tok, "id") || !strcmp(tok, "memdev")) {
			char *dst = tok[0] == 'i' ? d.id : d.memdev;

			if (strlen(eq) >= MACHINE_ID_MAX || !*eq)
				ret = bad(prog, "--device: invalid id '%s'", eq);
			else
				strcpy(dst, eq);
		} else if (!strcmp(tok, "size")) {
			if (parse_size(eq, 1, &d.size) || !d.size)
				ret = bad(prog, "--device: invalid size '%s'", eq);
			have_size = true;
		} else if (!strcmp(tok, vmem ? "memaddr" : "addr")) {
			if (parse_size(eq, 1, &d.addr))
				ret = bad(prog, "--device: invalid address '%s'", eq);
		} else if (!strcmp(tok, "node")) {
			if (strcmp(eq, "0"))
				ret = bad(prog, "--device: node %s: there is node 0 only", eq);
		} else if (vmem && !strcmp(tok, "requested-size")) {
			if (parse_size(eq, 1, &d.requested_size))
				ret = bad(prog, "--device: invalid requested-size '%s'", eq);
		} else if (vmem && !strcmp(tok, "block-size")) {
			if (parse_size(eq, 1, &d.block_size) || !d.block_size)
				ret = bad(prog, "--device: invalid block-size '%s'", eq);
		} else if (vmem && !strcmp(tok, "unplugged-inaccessible")) {
			ret = parse_on_off(prog, tok, eq, &d.unplugged_inaccessible);
		} else {
			fprintf(stderr, "%s: --device %s: property '%s' not found\n", prog,
				vmem ? "virtio-mem" : "pc-dimm", tok);
			ret = -1;
		}
	}
	free(copy);
	if (ret > 0 && !have_size)
		ret = bad(prog, "--device %s: needs size=", arg);
	for (unsigned int i = 0; ret > 0 && d.id[0] && i < o->nr_devices; i++)
		if (!strcmp(o->devices[i].id, d.id))
			ret = bad(prog, "--device: duplicate id '%s'", d.id);
	if (ret > 0 && d.kind == MACHINE_VIRTIO_MEM) {
		unsigned int nr_vmem = 0;

		/* QMP names a virtio-mem device by its id: it needs one. */
		if (!d.id[0])
			ret = bad(prog, "--device %s: virtio-mem needs id=", arg);
		for (unsigned int i = 0; i < o->nr_devices; i++)
			nr_vmem += o->devices[i].kind == MACHINE_VIRTIO_MEM;
		if (!d.memdev[0])
			snprintf(d.memdev, sizeof(d.memdev), "mem%u", nr_vmem);
		for (unsigned int i = 0; ret > 0 && i < o->nr_devices; i++)
			if (!strcmp(o->devices[i].memdev, d.memdev))
				ret = bad(prog, "--device: can't use already busy memdev: %s",
					  d.memdev);
	}
	if (ret > 0)
		o->devices[o->nr_devices++] = d;
	return ret;
}

/* "-smp 2", "-smp cpus=2": QEMU's CPU count; the topology properties
 * (sockets, cores, threads, maxcpus) model nothing here and are refused. */
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
		bool on;

		if (!eq) {
			if (!strcmp(tok, "on") || !strcmp(tok, "off"))
				o->guest_off = tok[1] == 'f';
			else
				ret = bad(prog, "--guest-kernel %s: on, off or KEY=VALUE", tok);
			continue;
		}
		*eq++ = '\0';
		if (!strcmp(tok, "boot")) {
			ret = parse_on_off(prog, tok, eq, &on);
			if (ret > 0 && !on) {
				struct memhp_guest_config q;

				memhp_guest_config_quiet(&q);
				o->guest.boot_sreclaimable_kb = q.boot_sreclaimable_kb;
				o->guest.boot_sunreclaim_kb = q.boot_sunreclaim_kb;
				o->guest.boot_kernel_stack_kb = q.boot_kernel_stack_kb;
				o->guest.boot_page_tables_kb = q.boot_page_tables_kb;
			}
		} else if (!strcmp(tok, "programs")) {
			ret = parse_on_off(prog, tok, eq, &on);
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

int machine_opts_parse(struct machine_opts *o, const char *prog, int argc, char **argv, int *i)
{
	static const char *const with_arg[] = {
		"-m",		"--maxmem",	 "--device", "--auto-online",  "--protocol",
		"--block-size", "--anon-memory", "-smp",     "--guest-kernel", "-append",
		"--append"
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
	for (k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++)
		if (!strcmp(name, with_arg[k]))
			break;
	if (k == sizeof(with_arg) / sizeof(with_arg[0]))
		return 0;
	if (opt[n] == '=') {
		val = opt + n + 1;
	} else {
		if (*i + 1 >= argc)
			return bad(prog, "%s needs an argument", name);
		val = argv[++*i];
	}
	++*i;
	if (!strcmp(name, "-m"))
		return parse_m(o, prog, val);
	if (!strcmp(name, "--maxmem")) {
		if (parse_size(val, 1, &o->maxmem))
			return bad(prog, "--maxmem: invalid size '%s'", val);
		return 1;
	}
	if (!strcmp(name, "--device"))
		return parse_device(o, prog, val);
	if (!strcmp(name, "-smp"))
		return parse_smp(o, prog, val);
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
		"machine options (QEMU's words):\n"
		"  -m [size=]SIZE[,slots=N][,maxmem=SIZE]\n"
		"                        boot RAM (default 128M, a bare number is MiB), laid out\n"
		"                        as on q35: at most 2G below 4G, the rest from 4G\n"
		"  --maxmem SIZE         RAM plus device memory at most; without it, as in QEMU,\n"
		"                        there is no room for memory added after start-up\n"
		"  --device pc-dimm,id=ID,size=SIZE[,addr=ADDR]\n"
		"                        a DIMM, added at start-up as ACPI hotplug adds it, at\n"
		"                        ADDR or the next free device-memory address (from the\n"
		"                        1G boundary after high RAM)\n"
		"  --device virtio-mem,id=ID,size=SIZE[,requested-size=SIZE][,block-size=SIZE]\n"
		"           [,memaddr=ADDR][,memdev=ID][,unplugged-inaccessible=on|off]\n"
		"                        a virtio-mem device of SIZE (QEMU's memory backend;\n"
		"                        memdev names it, default mem0, mem1, ...), block-size\n"
		"                        default 2M, with its Linux driver in the guest, which\n"
		"                        plugs requested-size (default 0) at once; QMP's\n"
		"                        qom-set changes it later\n"
		"  --auto-online offline|online|online_kernel|online_movable\n"
		"                        auto_online_blocks at boot (default offline)\n"
		"  --protocol 6.1|2025   the PageOffline protocol (default 6.1)\n"
		"  --block-size SIZE     memory block size (default: as x86 Linux picks it)\n"
		"  -smp [cpus=]N         CPUs of the guest (default 1): SLUB sizes its slabs\n"
		"                        for them\n"
		"  -append 'PARAMS'      the kernel command line: nokaslr (else KASLR puts the\n"
		"                        kernel image in a random block, as Debian's 6.1 does),\n"
		"                        memhp_default_state=, movable_node,\n"
		"                        memory_hotplug.{memmap_on_memory,online_policy,\n"
		"                        auto_movable_ratio,auto_movable_numa_aware}=;\n"
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
	memhp_machine_destroy(mc->m);
	mc->m = NULL;
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

/* The checks QEMU's virtio-mem realize makes, with the property named. */
static int check_vmem(const struct machine_device *d, const char *prog)
{
	uint64_t bs = d->block_size ? d->block_size : MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
	const char *why = NULL;

	if (bs & (bs - 1))
		why = "'block-size' property has to be a power of two";
	else if (bs < MEMHP_VIRTIO_MEM_MIN_BLOCK_SIZE)
		why = "'block-size' property has to be at least 1 MiB";
	else if (d->size % bs)
		why = "'size' has to be a multiple of 'block-size'";
	else if (d->requested_size % bs)
		why = "'requested-size' property has to be a multiple of 'block-size'";
	else if (d->requested_size > d->size)
		why = "'requested-size' property exceeds the region size";
	else if (d->addr % bs)
		why = "'memaddr' property has to be a multiple of 'block-size'";
	if (!why)
		return 0;
	fprintf(stderr, "%s: virtio-mem %s: %s\n", prog, d->id, why);
	return -EINVAL;
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

int machine_opts_create(const struct machine_opts *o, const char *prog, struct machine *out)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	uint64_t dev_base, dev_end, next, end;
	uint64_t addrs[MACHINE_MAX_DEVICES];
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

	dev_base = align_up(end > X86_4G ? end : X86_4G, DEVICE_MEM_ALIGN);
	/* Where every device goes, as QEMU assigns device memory. */
	next = dev_base;
	dev_end = dev_base;
	for (unsigned int i = 0; i < o->nr_devices; i++) {
		const struct machine_device *d = &o->devices[i];

		if (d->kind == MACHINE_VIRTIO_MEM && check_vmem(d, prog))
			return -EINVAL;
		addrs[i] = d->addr ? d->addr : align_up(next, device_align(d, cfg.block_size));
		next = addrs[i] + d->size;
		if (next > dev_end)
			dev_end = next;
	}
	if (o->maxmem) {
		if (o->maxmem < o->ram_size) {
			fprintf(stderr, "%s: maxmem (%#llx) is less than the RAM size (%#llx)\n",
				prog, (unsigned long long)o->maxmem,
				(unsigned long long)o->ram_size);
			return -EINVAL;
		}
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
			ret == -EINVAL ? ": " : "", ret == -EINVAL ? memhp_config_error() : "");
		return ret;
	}
	out->m = m;
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

	for (unsigned int i = 0; !ret && i < o->nr_devices; i++) {
		const struct machine_device *d = &o->devices[i];
		const char *id = d->id[0] ? d->id : "(no id)";
		uint64_t addr = addrs[i];

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
		ret = memhp_add_memory(m, 0, addr, d->size, MEMHP_MHP_NONE);
		if (ret)
			fprintf(stderr, "%s: pc-dimm %s: adding [%#llx, %#llx) failed: %s\n", prog,
				id, (unsigned long long)addr, (unsigned long long)(addr + d->size),
				strerror(-ret));
	}
	/* What runs in the guest is there before virtio-mem plugs anything,
	 * so where it lands does not depend on the driver's pace. */
	if (!ret)
		ret = start_anon(o, prog, out);
	if (ret) {
		machine_destroy(out);
		return ret;
	}
	memcpy(out->addrs, addrs, sizeof(addrs[0]) * o->nr_devices);
	return 0;
}

int machine_opts_start_devices(const struct machine_opts *o, const char *prog, struct machine *mc)
{
	int ret = 0;

	for (unsigned int i = 0; !ret && i < o->nr_devices; i++)
		if (o->devices[i].kind == MACHINE_VIRTIO_MEM)
			ret = start_vmem(mc, &o->devices[i], mc->addrs[i], prog);
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
