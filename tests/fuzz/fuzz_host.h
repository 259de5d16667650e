/* SPDX-License-Identifier: MIT */
/*
 * fuzz_host.h - a small host for the fuzzers that build machines from
 * their input (fuzz_lua.c, fuzz_opts.c): the library reads the host's
 * memory from a tree made here (mhp_host_root, src/mm/host_memory.c), so
 * every machine and every hot-add is held to FUZZ_HOST_KB, whatever the
 * real host has. A machine the fuzzer builds then costs at most that much
 * host memory for its memmap; libFuzzer's -rss_limit_mb catches the rest.
 * Include after src/mm/internal.h.
 */
#ifndef MEMHP_FUZZ_HOST_H
#define MEMHP_FUZZ_HOST_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* MemAvailable of the fake host: machines up to about 14 GiB of RAM. */
#define FUZZ_HOST_KB (64 * 1024)

static char fuzz_host_root[64];

static void fuzz_host_rm(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_host_root);
	if (system(cmd))
		fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_host_root);
}

static void fuzz_host_put(const char *rel, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", fuzz_host_root, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		fprintf(stderr, "fuzz: cannot write %s\n", path);
		abort();
	}
}

static void fuzz_host_fake(void)
{
	char dir[128], meminfo[128];

	snprintf(fuzz_host_root, sizeof(fuzz_host_root), "/tmp/memhp-fuzz-host.XXXXXX");
	if (!mkdtemp(fuzz_host_root)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	snprintf(dir, sizeof(dir), "%s/proc", fuzz_host_root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/proc/self", fuzz_host_root);
	mkdir(dir, 0755);
	snprintf(meminfo, sizeof(meminfo), "MemTotal: %d kB\nMemAvailable: %d kB\n", FUZZ_HOST_KB,
		 FUZZ_HOST_KB);
	fuzz_host_put("/proc/meminfo", meminfo);
	fuzz_host_put("/proc/self/cgroup", "0::/\n");
	fuzz_host_put("/proc/self/mountinfo", "");
	mhp_host_root = fuzz_host_root;
	/* Nothing may lift the limit. */
	unsetenv(MEMHP_IGNORE_HOST_MEMORY_ENV);
	atexit(fuzz_host_rm);
}

#endif
