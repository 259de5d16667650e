// SPDX-License-Identifier: MIT
/*
 * serve_common.c - the uevent helper and the QMP monitor of "memhp serve"
 * and "memhp shell", and what a killed one left on its mount points.
 */
#include "serve_common.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The longest size= value taken, "1.5G" and the like. */
#define TMPFS_SIZE_MAX 64
#define TMPFS_OPT "--tmpfs"

/* "PATH[,size=SIZE|N%][,pinned]": 0, or -1 after saying why. */
static int parse_tmpfs(struct serve_tmpfs_opt *t, const char *prog, const char *arg)
{
	size_t n = strcspn(arg, ",");
	const char *p = arg + n;

	memset(t, 0, sizeof(*t));
	if (!n || n >= sizeof(t->path_buf)) {
		fprintf(stderr, "%s: --tmpfs %s: PATH[,size=SIZE][,pinned]\n", prog, arg);
		return -1;
	}
	memcpy(t->path_buf, arg, n);
	t->path_buf[n] = '\0';
	t->path = t->path_buf;
	while (*p == ',') {
		size_t len = strcspn(++p, ",");
		char val[TMPFS_SIZE_MAX];

		if (len == 6 && !strncmp(p, "pinned", 6)) {
			t->pinned = true;
		} else if (len > 5 && len - 5 < sizeof(val) && !strncmp(p, "size=", 5)) {
			memcpy(val, p + 5, len - 5);
			val[len - 5] = '\0';
			t->has_size = true;
			if (val[len - 6] == '%') {
				char *end;

				val[len - 6] = '\0';
				t->percent = true;
				t->size = strtoull(val, &end, 10);
				if (!*val || *end || t->size > 100) {
					fprintf(stderr, "%s: --tmpfs: bad size '%s%%'\n", prog,
						val);
					return -1;
				}
			} else if (parse_size(val, 1, &t->size)) {
				fprintf(stderr, "%s: --tmpfs: bad size '%s'\n", prog, val);
				return -1;
			}
		} else {
			fprintf(stderr, "%s: --tmpfs %s: PATH[,size=SIZE][,pinned]\n", prog, arg);
			return -1;
		}
		p += len;
	}
	return 0;
}

int serve_opts_parse(struct serve_opts *so, const char *prog, int argc, char **argv, int *i)
{
	static const struct {
		const char *name;
		size_t offset;
	} opts[] = {
		{ "--qmp", offsetof(struct serve_opts, qmp) },
		{ "-qmp", offsetof(struct serve_opts, qmp) }, /* QEMU's spelling */
		{ "--uevent-helper", offsetof(struct serve_opts, uevent_helper) },
		{ "--log", offsetof(struct serve_opts, log) },
	};
	const char *arg = argv[*i];
	const size_t optlen = strlen(TMPFS_OPT);

	if (!strncmp(arg, TMPFS_OPT, optlen) && (!arg[optlen] || arg[optlen] == '=')) {
		const char *val = arg[optlen]	  ? arg + optlen + 1
				  : *i + 1 < argc ? argv[++*i]
						  : NULL;

		if (!val) {
			fprintf(stderr, "%s: --tmpfs needs a value\n", prog);
			return -1;
		}
		if (so->nr_tmpfs == SERVE_MAX_TMPFS) {
			fprintf(stderr, "%s: --tmpfs: at most %d\n", prog, SERVE_MAX_TMPFS);
			return -1;
		}
		if (parse_tmpfs(&so->tmpfs[so->nr_tmpfs], prog, val))
			return -1;
		so->nr_tmpfs++;
		++*i;
		return 1;
	}
	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		size_t n = strlen(opts[k].name);
		const char **dst = (const char **)((char *)so + opts[k].offset);

		if (strncmp(arg, opts[k].name, n) || (arg[n] && arg[n] != '='))
			continue;
		if (arg[n] == '=') {
			*dst = arg + n + 1;
		} else if (*i + 1 < argc) {
			*dst = argv[++*i];
		} else {
			fprintf(stderr, "%s: %s needs a value\n", prog, opts[k].name);
			return -1;
		}
		++*i;
		return 1;
	}
	return 0;
}

int serve_opts_check(const struct serve_opts *so, const char *prog)
{
	const char *h = so->uevent_helper;
	struct stat st;

	if (!h || !*h)
		return 0;
	if (stat(h, &st)) {
		fprintf(stderr, "%s: --uevent-helper %s: %s\n", prog, h, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(h, X_OK)) {
		fprintf(stderr, "%s: --uevent-helper %s: not an executable file\n", prog, h);
		return -1;
	}
	return 0;
}

void serve_opts_usage(FILE *f)
{
	fprintf(f, "  --tmpfs PATH[,size=SIZE|N%%][,pinned]\n"
		   "                        mount a tmpfs of the machine at PATH (an existing\n"
		   "                        directory): files there are the machine's memory;\n"
		   "                        size as tmpfs's (default half of RAM, 0: no limit);\n"
		   "                        pinned: memhp's, no page of it can be migrated\n");
	fprintf(f,
		"  --qmp unix:PATH[,server=on,wait=off]\n"
		"                        a QMP monitor for the virtio-mem devices, as QEMU's\n"
		"                        (qom-get/qom-set requested-size, query-memory-devices,\n"
		"                        MEMORY_DEVICE_SIZE_CHANGE; docs/qmp.md)\n"
		"  --uevent-helper PATH  run PATH for every uevent, as a kernel with\n"
		"                        CONFIG_UEVENT_HELPER does: argv[1] is the subsystem,\n"
		"                        the environment ACTION, DEVPATH, SUBSYSTEM, SEQNUM and\n"
		"                        MEMHP_ROOT (the served tree); /sys/kernel/uevent_helper\n"
		"                        changes it later\n"
		"  --log FILE            append the machine's kernel log to FILE as dmesg prints\n"
		"                        it (\"[    1.234567] text\"), every line as it comes,\n"
		"                        from the first (FILE '-': stderr): tail -f FILE follows\n"
		"                        it from outside\n");
}

/* mountinfo's octal escapes ("\040" for a space) undone, in place. */
static void mountinfo_unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* The file system type of the mount on top at @path (absolute, resolved):
 * the last one /proc/self/mountinfo lists there. */
static bool mount_type_at(const char *path, char *type, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - TYPE ... */
		char *save = NULL, *mnt = NULL, *sep = strstr(line, " - "), *t;

		if (!sep)
			continue;
		*sep = '\0';
		strtok_r(line, " ", &save);
		for (int i = 1; i <= 4; i++)
			mnt = strtok_r(NULL, " ", &save);
		t = strtok_r(sep + 3, " ", &save);
		if (!mnt || !t)
			continue;
		mountinfo_unescape(mnt);
		if (strcmp(mnt, path))
			continue;
		snprintf(type, len, "%s", t);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* The subtype every FUSE mount of memhp has (fuse_pool.c). */
#define MEMHP_FUSE_TYPE "fuse.memhp"
/* Dead mounts stacked on one directory that are taken away, at most. */
#define RECLAIM_MAX 8

int serve_reclaim_mountpoint(const char *dir, const char *prog)
{
	char parent[PATH_MAX], path[PATH_MAX * 2], type[64];
	char *d1 = strdup(dir), *d2 = strdup(dir);
	struct stat st;
	int ret = 0;

	if (!d1 || !d2) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < RECLAIM_MAX && stat(dir, &st) && errno == ENOTCONN; i++) {
		/* realpath() would stat the dead mount itself: resolve its
		 * parent. */
		if (!realpath(dirname(d1), parent)) {
			ret = -errno;
			fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", strcmp(parent, "/") ? parent : "",
			 basename(d2));
		ret = -ENOTCONN;
		if (!mount_type_at(path, type, sizeof(type))) {
			fprintf(stderr, "%s: %s: %s, and it is not a mount point here\n", prog, dir,
				strerror(ENOTCONN));
			goto out;
		}
		if (strcmp(type, MEMHP_FUSE_TYPE)) {
			fprintf(stderr,
				"%s: %s is a dead %s mount (its server is gone); unmount it first: "
				"umount -l %s\n",
				prog, dir, type, path);
			goto out;
		}
		if (umount2(path, MNT_DETACH)) {
			fprintf(stderr,
				"%s: %s is the dead mount of a memhp that was killed, and this "
				"user "
				"cannot unmount it (%s): run 'fusermount3 -u -z %s'\n",
				prog, dir, strerror(errno), path);
			goto out;
		}
		fprintf(stderr,
			"%s: note: %s was the dead mount of a memhp that was killed: unmounted "
			"it\n",
			prog, dir);
		ret = 0;
		/* dirname() and basename() may have cut their copies. */
		strcpy(d1, dir);
		strcpy(d2, dir);
	}
out:
	free(d1);
	free(d2);
	return ret;
}

int serve_reclaim_mountpoints(const struct serve_opts *so, const char *mountpoint, const char *prog)
{
	int ret = mountpoint ? serve_reclaim_mountpoint(mountpoint, prog) : 0;

	for (unsigned int i = 0; !ret && i < so->nr_tmpfs; i++)
		ret = serve_reclaim_mountpoint(so->tmpfs[i].path, prog);
	return ret;
}

static void qmp_dimms_changed(void *priv, uint64_t bytes)
{
	machine_dimms_changed(priv, bytes);
}

static void qmp_quit(void *priv)
{
	(void)priv;
	/* QEMU exits: the thread that owns the server takes the signal. */
	kill(getpid(), SIGTERM);
}

int serve_uevents_start(struct serve_extras *ex, const struct serve_opts *so, struct memhp_fs *fs,
			const char *root, const char *prog)
{
	int ret;

	memset(ex, 0, sizeof(*ex));
	ret = uevent_helper_start(fs, root, &ex->uevents);
	if (ret) {
		fprintf(stderr, "%s: cannot start the uevent helper: %s\n", prog, strerror(-ret));
		return ret;
	}
	if (so->uevent_helper) {
		ssize_t n = memhp_fs_write(fs, "/sys/kernel/uevent_helper", so->uevent_helper,
					   strlen(so->uevent_helper));

		if (n < 0) {
			fprintf(stderr, "%s: --uevent-helper %s: %s\n", prog, so->uevent_helper,
				n == -ENOENT ? "longer than the kernel takes" : strerror((int)-n));
			return (int)n;
		}
	}
	return 0;
}

int serve_devices_start(struct serve_extras *ex, const struct serve_opts *so,
			const struct machine_opts *o, struct machine *mc, const char *prog)
{
	char err[QMP_ERR_MAX];
	int ret;

	ret = machine_opts_start_devices(o, prog, mc);
	if (ret)
		return ret;
	if (!so->qmp)
		return 0;
	for (unsigned int i = 0; i < mc->nr_vmems; i++)
		ex->devices[i] = (struct qmp_device){
			.id = mc->vmems[i].opts->id,
			.memdev = mc->vmems[i].opts->memdev,
			.dev = mc->vmems[i].dev,
		};
	if (mc->balloon_dev)
		ex->balloon = (struct qmp_balloon){
			.id = mc->balloon_opts->id[0] ? mc->balloon_opts->id : NULL,
			.dev = mc->balloon_dev,
		};
	ex->vm = (struct qmp_vm){
		.m = mc->m,
		.base_memory = o->ram_size,
		.devices = ex->devices,
		.nr_devices = mc->nr_vmems,
		.balloon = mc->balloon_dev ? &ex->balloon : NULL,
		.dimms = ex->dimms,
		.backends = ex->backends,
		.slots = o->slots,
		.maxmem = o->maxmem_given ? o->maxmem : 0,
		.dev_base = mc->dev_base,
		.dev_size = mc->dev_size,
		.acpi = mc->acpi,
		.dimms_changed = qmp_dimms_changed,
		.quit = qmp_quit,
		.priv = mc,
	};
	for (unsigned int i = 0; i < mc->nr_devs; i++) {
		const struct machine_device *d = &mc->devs[i];

		if (d->kind != MACHINE_PC_DIMM)
			continue;
		ex->dimms[ex->vm.nr_dimms++] = (struct qmp_dimm){
			.id = d->id[0] ? d->id : NULL,
			.memdev = d->memdev,
			.addr = mc->addrs[i],
			.size = d->size,
			.slot = (unsigned int)d->slot,
			.node = (unsigned int)d->node,
		};
	}
	/* -object backends no device took. */
	for (unsigned int i = 0; i < o->nr_backends; i++) {
		bool used = false;

		for (unsigned int j = 0; j < mc->nr_devs && !used; j++)
			used = !strcmp(mc->devs[j].memdev, o->backends[i].id);
		if (!used)
			ex->backends[ex->vm.nr_backends++] = (struct qmp_backend){
				o->backends[i].id,
				o->backends[i].size,
			};
	}
	ret = qmp_server_start(so->qmp, &ex->vm, &ex->qmp, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s: --qmp %s: %s\n", prog, so->qmp, err);
	return ret;
}

int serve_dev_shm(struct machine *mc, const char *prog, struct memhp_shmem **out)
{
	int ret = machine_tmpfs_create(mc, NULL, out);

	if (ret)
		fprintf(stderr, "%s: cannot make the tmpfs of /dev/shm: %s\n", prog,
			strerror(-ret));
	return ret;
}

int serve_tmpfs_mount(struct serve_extras *ex, struct machine *mc,
		      const struct serve_tmpfs_opt *opt, const char *prog)
{
	struct memhp_shmem_options o;
	struct memhp_shmem *sb;
	int ret;

	if (ex->nr_tmpfs == SERVE_MAX_TMPFS_MOUNTS)
		return -ENOSPC;
	memhp_shmem_options_init(mc->m, &o);
	if (opt->has_size) {
		struct memhp_meminfo mi;

		memhp_meminfo(mc->m, &mi);
		/* shmem_parse_one(): a percentage of RAM, or bytes rounded up
		 * to pages. */
		o.max_blocks = opt->percent ? mi.total_pages * opt->size / 100
					    : (opt->size + MEMHP_PAGE_SIZE - 1) >> MEMHP_PAGE_SHIFT;
	}
	o.pinned = opt->pinned;
	ret = machine_tmpfs_create(mc, &o, &sb);
	if (ret) {
		fprintf(stderr, "%s: cannot make a tmpfs for %s: %s\n", prog, opt->path,
			strerror(-ret));
		return ret;
	}
	ret = shmem_fuse_start(sb, opt->path, 0, &ex->tmpfs[ex->nr_tmpfs]);
	if (ret)
		return ret;
	ex->nr_tmpfs++;
	return 0;
}

void serve_tmpfs_stop(struct serve_extras *ex)
{
	while (ex->nr_tmpfs)
		shmem_fuse_stop(ex->tmpfs[--ex->nr_tmpfs]);
}

int serve_log_start(struct serve_extras *ex, const struct serve_opts *so, struct memhp_machine *m,
		    const char *prog)
{
	return so->log ? kmsg_log_start(m, so->log, prog, &ex->log) : 0;
}

void serve_log_stop(struct serve_extras *ex)
{
	kmsg_log_stop(ex->log);
	ex->log = NULL;
}

void serve_extras_stop_qmp(struct serve_extras *ex)
{
	qmp_server_stop(ex->qmp);
	ex->qmp = NULL;
}

void serve_extras_stop(struct serve_extras *ex)
{
	serve_extras_stop_qmp(ex);
	serve_tmpfs_stop(ex);
	uevent_helper_stop(ex->uevents);
	ex->uevents = NULL;
}
