// SPDX-License-Identifier: MIT
/*
 * anon_memory.c - /sys/kernel/debug/memhp/anon_memory: memhp's anonymous
 * memory (memhp_anon_memory_set(), memhp/shmem.h), changed while the
 * machine runs, without Lua or QMP.
 *
 * It reads "SIZE\n" or "SIZE,pinned\n", SIZE in bytes. A write takes the
 * same, SIZE as the kernel's memparse() reads a size on its command line
 * (a number in base 0, then K, M, G, T, P or E), and one trailing newline:
 * "512M", "0", "64M,pinned". The memory grows by pages of random bytes,
 * shrinks from its end, and all of it is pinned or none.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define PINNED_SUFFIX ",pinned"

FS_SHOW(show_anon_memory)
{
	bool pinned;
	uint64_t size = memhp_anon_memory(fs->m, &pinned);

	buf_printf(b, "%llu%s\n", (unsigned long long)size, pinned ? PINNED_SUFFIX : "");
	return 0;
}

/* memparse(): the size at @s, its end in *@end. -EINVAL if there is no
 * number or it does not fit 64 bits. */
static int memparse(const char *s, const char **end, uint64_t *out)
{
	static const char suffixes[] = "KMGTPE";
	unsigned long long v;
	const char *sfx;
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 0);
	if (errno)
		return -EINVAL;
	if (*e && (sfx = strchr(suffixes, *e >= 'a' ? *e - ('a' - 'A') : *e))) {
		unsigned int shift = 10 * (unsigned int)(sfx - suffixes + 1);

		if (v > (~0ULL >> shift))
			return -EINVAL;
		v <<= shift;
		e++;
	}
	*end = e;
	*out = v;
	return 0;
}

/*
 * Returns the count, or -EINVAL (not SIZE[,pinned]), or what
 * memhp_anon_memory_set() returns: -ENOSPC (the machine has no room; the
 * memory stays as it was), -EFBIG, -ENOMEM.
 */
FS_STORE(store_anon_memory)
{
	const char *p;
	uint64_t size;
	bool pinned = false;
	int ret;

	if (memparse(buf, &p, &size))
		return -EINVAL;
	if (!strncmp(p, PINNED_SUFFIX, strlen(PINNED_SUFFIX))) {
		pinned = true;
		p += strlen(PINNED_SUFFIX);
	}
	if (*p == '\n')
		p++;
	if (p != buf + len)
		return -EINVAL;
	ret = memhp_anon_memory_set(fs->m, size, pinned);
	return ret ? ret : (ssize_t)len;
}
