// SPDX-License-Identifier: MIT
/*
 * serve.c - memhp serve --mount DIR [--qmp unix:PATH] [machine options]:
 * run a machine and serve its /sys and /proc files over FUSE at DIR, and
 * its virtio-mem devices over QMP, until SIGINT, SIGTERM or QMP's quit.
 */
#include "../fs/fuse_server.h"
#include "cli.h"
#include "machine_opts.h"
#include "run_util.h"
#include "serve_common.h"

#include <memhp/fs.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memhp serve --mount DIR [--qmp unix:PATH] [--uevent-helper PATH]\n"
		"                   [--log FILE] [machine options]\n"
		"\n"
		"Run a machine and serve what a Linux 6.1 guest shows of its memory over FUSE\n"
		"at DIR, laid out as the guest's root: DIR/sys/devices/system/memory,\n"
		"DIR/sys/devices/system/node, DIR/sys/bus/memory, DIR/sys/module/memory_hotplug,\n"
		"DIR/sys/kernel/debug/notifier-error-inject, DIR/proc/{meminfo,zoneinfo,\n"
		"buddyinfo,pagetypeinfo}, and the machine's kernel log at DIR/dev/kmsg (read by\n"
		"root, one record per read, as /dev/kmsg). Writes change the machine as sysfs\n"
		"writes change a guest. DIR/dev/shm is a tmpfs of the machine: what is written\n"
		"there is in its memory. \"lsmem --sysroot DIR\" works on it as it is; \"memhp\n"
		"shell\" puts the files where the tools look. SIGINT, SIGTERM or QMP's quit\n"
		"unmounts and exits 0.\n"
		"\n"
		"  --mount DIR           where to mount (an existing directory)\n"
		"  -h, --help            this text\n");
	serve_opts_usage(f);
	fputc('\n', f);
	machine_opts_usage(f);
}

int serve_parse_args(int argc, char **argv, struct machine_opts *o, struct serve_opts *so,
		     const char **mountpoint)
{
	machine_opts_init(o);
	memset(so, 0, sizeof(*so));
	*mountpoint = NULL;
	for (int i = 1; i < argc;) {
		int r = machine_opts_parse(o, "memhp serve", argc, argv, &i);

		if (!r)
			r = serve_opts_parse(so, "memhp serve", argc, argv, &i);
		if (r < 0)
			return -1;
		if (r)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--mount")) {
			if (i + 1 == argc) {
				fprintf(stderr, "memhp serve: --mount needs a value\n");
				return -1;
			}
			*mountpoint = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--mount=", 8)) {
			*mountpoint = argv[i] + 8;
			i++;
		} else {
			run_unknown_option_of(argv[i], usage, "memhp serve --help");
			return -1;
		}
	}
	if (!*mountpoint) {
		fprintf(stderr, "memhp serve: --mount DIR is required\n");
		return -1;
	}
	return serve_opts_check(so, "memhp serve") ? -1 : 0;
}

int cmd_serve(int argc, char **argv)
{
	struct machine_opts *o = malloc(sizeof(*o));
	struct machine mc = { 0 };
	struct memhp_fs *fs = NULL;
	struct fuse_server *srv = NULL;
	struct serve_opts so = { 0 };
	struct serve_extras ex = { 0 };
	struct memhp_shmem *dev_shm;
	const char *mountpoint = NULL;
	struct stat st;
	sigset_t set;
	int sig, err = 0, ret = 1;

	if (!o) {
		fprintf(stderr, "memhp serve: out of memory\n");
		return 1;
	}
	ret = serve_parse_args(argc, argv, o, &so, &mountpoint);
	if (ret) {
		free(o);
		return ret > 0 ? 0 : 2;
	}
	ret = 1;

	/* Only this thread takes the signals: workers inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* Before the machine, which may take seconds to build. */
	if (serve_reclaim_mountpoints(&so, mountpoint, "memhp serve"))
		goto out;
	/* After the reclaim: a killed serve's dead mount fails stat() with
	 * ENOTCONN until then. FUSE would mount over a file too: a directory
	 * is what was meant. */
	if (stat(mountpoint, &st))
		err = errno;
	else if (!S_ISDIR(st.st_mode))
		err = ENOTDIR;
	if (err) {
		fprintf(stderr, "memhp serve: --mount %s: %s\n", mountpoint, strerror(err));
		ret = 2;
		goto out;
	}
	if (machine_opts_create(o, "memhp serve", &mc))
		goto out;
	if (memhp_fs_create(mc.m, &fs)) {
		fprintf(stderr, "memhp serve: out of memory\n");
		goto out;
	}
	if (serve_dev_shm(&mc, "memhp serve", &dev_shm) ||
	    serve_uevents_start(&ex, &so, fs, mountpoint, "memhp serve") ||
	    serve_log_start(&ex, &so, mc.m, "memhp serve") ||
	    fuse_server_start(fs, dev_shm, mountpoint, SIGUSR1, &srv))
		goto out;
	for (unsigned int i = 0; i < so.nr_tmpfs; i++)
		if (serve_tmpfs_mount(&ex, &mc, &so.tmpfs[i], "memhp serve"))
			goto out;
	if (serve_devices_start(&ex, &so, o, &mc, "memhp serve"))
		goto out;
	fprintf(stderr, "memhp serve: serving on %s%s%s (SIGINT or SIGTERM to stop)\n", mountpoint,
		so.qmp ? ", QMP on " : "", so.qmp ? so.qmp : "");
	sigwait(&set, &sig);
	ret = 0;
out:
	/* QMP first: nothing may change the machine while it goes. */
	serve_extras_stop_qmp(&ex);
	serve_tmpfs_stop(&ex);
	fuse_server_stop(srv);
	serve_extras_stop(&ex);
	memhp_fs_destroy(fs);
	machine_stop_devices(&mc);
	serve_log_stop(&ex);
	machine_destroy(&mc);
	free(o);
	return ret;
}
