/*
 * pagepin: hold an extra reference on one anonymous page in a chosen
 * physical range, so that migrating it fails and an offline of its memory
 * block retries until the offlining task gets a signal (Linux 6.1's
 * offline_pages() has no timeout).
 *
 * Usage: pagepin FIRST_PFN NR_PFNS [MIB]
 *
 * Maps MIB MiB (default 64) of anonymous memory, touches every page, looks
 * the pages up in /proc/self/pagemap (root sees pfns) and vmsplice()s the
 * first one that lies in [FIRST_PFN, FIRST_PFN + NR_PFNS) into a pipe
 * nobody reads: the pipe keeps a page reference (vmsplice without
 * SPLICE_F_GIFT takes one with get_user_pages), which migration cannot
 * account for. Prints "pinned pfn=0x..." (or "none" and exits 1), then
 * waits for a signal; the pipe and the reference go with the process.
 *
 * Built statically by scripts/linux-guest for the Linux guest; memhp's
 * equivalent is `memhp shell --anon-memory SIZE,pinned`.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: pagepin FIRST_PFN NR_PFNS [MIB]\n");
		return 2;
	}
	uint64_t first = strtoull(argv[1], NULL, 0);
	uint64_t nr = strtoull(argv[2], NULL, 0);
	size_t len = (size_t)(argc > 3 ? strtoul(argv[3], NULL, 0) : 64) << 20;
	long psz = sysconf(_SC_PAGESIZE);

	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t off = 0; off < len; off += psz)
		buf[off] = 1;

	int pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0) {
		perror("pagemap");
		return 1;
	}
	int pipefd[2];
	if (pipe(pipefd) < 0) {
		perror("pipe");
		return 1;
	}
	for (size_t off = 0; off < len; off += psz) {
		uint64_t ent;
		off_t at = (off_t)((uintptr_t)(buf + off) / psz) * 8;
		if (pread(pm, &ent, 8, at) != 8)
			break;
		if (!(ent >> 63))
			continue; /* not present */
		uint64_t pfn = ent & ((1ULL << 55) - 1);
		if (pfn < first || pfn >= first + nr)
			continue;
		struct iovec iov = { buf + off, (size_t)psz };
		if (vmsplice(pipefd[1], &iov, 1, 0) != psz) {
			perror("vmsplice");
			return 1;
		}
		printf("pinned pfn=0x%llx\n", (unsigned long long)pfn);
		fflush(stdout);
		for (;;)
			pause();
	}
	printf("none\n");
	return 1;
}
