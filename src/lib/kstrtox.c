// SPDX-License-Identifier: MIT
/*
 * kstrtox.c - number and string parsing with the kernel's rules
 * (lib/kstrtox.c, sysfs_streq() of lib/string.c), so that a write gets
 * the errno Linux gives it: -EINVAL for anything that is not a number with
 * at most one trailing newline, -ERANGE for a number that does not fit.
 * The one copy in memhp: the core's memory block files, the file tree and
 * the program all parse with these.
 */
#include "kstrtox.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>

/* _parse_integer_fixup_radix(): base 0 means "0x" hex, "0" octal, else
 * decimal; base 16 skips a "0x". */
static const char *fixup_radix(const char *s, unsigned int *base)
{
	if (*base == 0) {
		if (s[0] == '0') {
			if ((s[1] | 0x20) == 'x' && isxdigit((unsigned char)s[2]))
				*base = 16;
			else
				*base = 8;
		} else {
			*base = 10;
		}
	}
	if (*base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
		s += 2;
	return s;
}

static int parse_ull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long v = 0;
	bool overflow = false;
	unsigned int n = 0;

	s = fixup_radix(s, &base);
	for (;; s++, n++) {
		unsigned int c = (unsigned char)*s, lc = c | 0x20, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (lc >= 'a' && lc <= 'f')
			d = lc - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		if (v > (ULLONG_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	/* Overflow is reported before anything else, as the kernel does. */
	if (overflow)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	if (s[0] == '+')
		s++;
	return parse_ull(s, base, res);
}

int kstrtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long tmp;
	int ret;

	if (s[0] == '-') {
		ret = parse_ull(s + 1, base, &tmp);
		if (ret)
			return ret;
		if (tmp > (unsigned long long)LLONG_MAX + 1)
			return -ERANGE;
		*res = tmp == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)tmp;
		return 0;
	}
	ret = kstrtoull(s, base, &tmp);
	if (ret)
		return ret;
	if (tmp > LLONG_MAX)
		return -ERANGE;
	*res = (long long)tmp;
	return 0;
}

/* The narrower types are parsed as 64 bits, then a value that does not fit
 * is -ERANGE, as in the kernel: so "0x1ffffffff" is -ERANGE for an unsigned
 * int but "0x1ffffffffz" is -EINVAL. */
static int kstrtoull_max(const char *s, unsigned int base, unsigned long long max,
			 unsigned long long *res)
{
	int ret = kstrtoull(s, base, res);

	return ret ? ret : *res > max ? -ERANGE : 0;
}

static int kstrtoll_range(const char *s, unsigned int base, long long min, long long max,
			  long long *res)
{
	int ret = kstrtoll(s, base, res);

	return ret ? ret : *res < min || *res > max ? -ERANGE : 0;
}

int kstrtoul(const char *s, unsigned int base, unsigned long *res)
{
	unsigned long long tmp;
	int ret = kstrtoull_max(s, base, ULONG_MAX, &tmp);

	if (!ret)
		*res = (unsigned long)tmp;
	return ret;
}

int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long tmp;
	int ret = kstrtoull_max(s, base, UINT_MAX, &tmp);

	if (!ret)
		*res = (unsigned int)tmp;
	return ret;
}

int kstrtol(const char *s, unsigned int base, long *res)
{
	long long tmp;
	int ret = kstrtoll_range(s, base, LONG_MIN, LONG_MAX, &tmp);

	if (!ret)
		*res = (long)tmp;
	return ret;
}

int kstrtoint(const char *s, unsigned int base, int *res)
{
	long long tmp;
	int ret = kstrtoll_range(s, base, INT_MIN, INT_MAX, &tmp);

	if (!ret)
		*res = (int)tmp;
	return ret;
}

/* Equal, except that either string may have one trailing newline more. */
bool sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

/* kstrtobool(): only the first one or two characters count. */
int kstrtobool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*res = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*res = false;
		return 0;
	case 'o':
	case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}
