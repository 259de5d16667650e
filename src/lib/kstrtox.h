/* SPDX-License-Identifier: MIT */
/*
 * src/lib/kstrtox.h - strings to numbers and words, with the rules of the
 * kernel's lib/kstrtox.c and sysfs_streq() of lib/string.c.
 *
 * A sysfs or procfs write must fail with the errno Linux gives it, so every
 * parser of written text in memhp is one of these. The rules they share:
 * an optional '+' (and '-' for the signed ones), a base-0 prefix ("0x" hex,
 * "0" octal), at most one trailing newline and nothing else after the
 * digits. Leading white space is not skipped.
 *
 * Internal to memhp (not part of the public API): the library's files and
 * the program's (src/qmp, src/cli) include it.
 */
#ifndef MEMHP_LIB_KSTRTOX_H
#define MEMHP_LIB_KSTRTOX_H

#include <stdbool.h>

/*
 * Parse @s in @base (0: by its prefix; 16 also skips a "0x") into *@res,
 * which is left alone on failure.
 * Return: 0; -ERANGE if the number does not fit the type (an overflow of
 * 64 bits is found before anything else is looked at); -EINVAL if there is
 * no digit or anything but one newline follows the digits.
 */
int kstrtoull(const char *s, unsigned int base, unsigned long long *res);
int kstrtoll(const char *s, unsigned int base, long long *res);
int kstrtoul(const char *s, unsigned int base, unsigned long *res);
int kstrtol(const char *s, unsigned int base, long *res);
int kstrtouint(const char *s, unsigned int base, unsigned int *res);
int kstrtoint(const char *s, unsigned int base, int *res);

/*
 * A boolean by its first characters only: y Y t T 1 and "on" are true,
 * n N f F 0 and "off" false, whatever follows them.
 * Return: 0, or -EINVAL (*@res untouched).
 */
int kstrtobool(const char *s, bool *res);

/* @s1 and @s2 are equal, or equal but for one trailing newline of one. */
bool sysfs_streq(const char *s1, const char *s2);

#endif
