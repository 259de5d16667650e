// SPDX-License-Identifier: MIT
/*
 * run_util.c - sizes, errno names and ranges for `memhp run`.
 */
#include "run_util.h"

#include <memhp/machine.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* The longest duration --timeout takes: a week, far past any scenario,
 * and far below what a timespec or a double's milliseconds can hold. */
#define RUN_DURATION_MAX_MS (7ULL * 24 * 3600 * 1000)

/* A seed chosen for the user fits in 32 bits: easy to read and retype. */
#define RUN_RANDOM_SEED_MASK 0xffffffffULL
/* Linux errnos stop at EHWPOISON (133); scan a little further for safety. */
#define RUN_ERRNO_SCAN_MAX 255
/* A word is a typo of a name when it is at most this many edits away. */
#define RUN_SUGGEST_MAX_EDITS 2
#define RUN_SUGGEST_MAX_LEN 64
/* Long options of a command that takes the shared ones (run_getopt()),
 * shared ones included; memhp run has 10. */
#define RUN_GETOPT_MAX 32
/* Options one --help text shows, at most (memhp shell's has about 30). */
#define RUN_USAGE_OPTIONS_MAX 128

static const struct {
	char suffix;
	unsigned int shift;
} size_suffixes[] = {
	{ 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 }, { 'P', 50 }, { 'E', 60 },
};

int run_parse_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
	const char *p = s;
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p)) {
		snprintf(err, errlen,
			 "bad size '%s': expected a number such as 4096, 0x1000, 128M, 4G", s);
		return -1;
	}
	errno = 0;
	v = strtoull(p, &end, 0);
	if (errno == ERANGE) {
		snprintf(err, errlen, "bad size '%s': does not fit in 64 bits", s);
		return -1;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end) {
		char c = (char)toupper((unsigned char)*end);
		size_t i;

		for (i = 0; i < sizeof(size_suffixes) / sizeof(size_suffixes[0]); i++)
			if (size_suffixes[i].suffix == c)
				break;
		if (i == sizeof(size_suffixes) / sizeof(size_suffixes[0]) &&
		    !(c == 'B' && !end[1])) {
			snprintf(err, errlen,
				 "bad size '%s': unknown suffix '%s' (use K, M, G or T)", s, end);
			return -1;
		}
		if (c != 'B') {
			shift = size_suffixes[i].shift;
			end++;
			if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
				end += strlen(end);
		} else {
			end++;
		}
		if (*end) {
			snprintf(err, errlen, "bad size '%s': unexpected '%s' after the number", s,
				 end);
			return -1;
		}
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		snprintf(err, errlen, "bad size '%s': does not fit in 64 bits", s);
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

int run_parse_seed(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int run_parse_protocol(const char *s, int *out)
{
	if (!strcmp(s, "6.1"))
		*out = MEMHP_PROTOCOL_6_1;
	else if (!strcmp(s, "2025"))
		*out = MEMHP_PROTOCOL_2025;
	else
		return -1;
	return 0;
}

uint64_t run_random_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		s = (uint64_t)getpid() * 2654435761ULL;
	return s & RUN_RANDOM_SEED_MASK;
}

void run_svg_path(const char *base, int index, char *buf, size_t len)
{
	const char *dot = strrchr(base, '.');
	const char *slash = strrchr(base, '/');

	if (index == 1) {
		snprintf(buf, len, "%s", base);
		return;
	}
	if (!dot || (slash && dot < slash))
		dot = base + strlen(base);
	snprintf(buf, len, "%.*s-%d%s", (int)(dot - base), base, index, dot);
}

const char *run_fmt_size(uint64_t bytes, char buf[RUN_SIZE_STR])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	uint64_t v = bytes;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= 1024 && !(v % 1024)) {
		v /= 1024;
		u++;
	}
	if (v < 1024 || u + 1 == sizeof(units) / sizeof(units[0])) {
		snprintf(buf, RUN_SIZE_STR, "%" PRIu64 " %s", v, units[u]);
		return buf;
	}
	/* Not a whole number of any larger unit: one decimal is enough. */
	{
		double d = (double)bytes;

		u = 0;
		while (u + 1 < sizeof(units) / sizeof(units[0]) && d >= 1024) {
			d /= 1024;
			u++;
		}
		snprintf(buf, RUN_SIZE_STR, "%.1f %s", d, units[u]);
	}
	return buf;
}

const char *run_fmt_range(uint64_t start, uint64_t size, char buf[RUN_RANGE_STR])
{
	/* "0x%010": '#' would drop the 0x of address 0. */
	snprintf(buf, RUN_RANGE_STR, "[mem 0x%010" PRIx64 "-0x%010" PRIx64 "]", start,
		 start + size - 1);
	return buf;
}

const char *run_errno_name(long err)
{
	/* Range first: -LONG_MIN is no long (fuzz_lua_api: strerror of
	 * math.mininteger said "-0"). */
	if (!err || err > RUN_ERRNO_SCAN_MAX || err < -RUN_ERRNO_SCAN_MAX)
		return NULL;
	if (err < 0)
		err = -err;
	return strerrorname_np((int)err);
}

const char *run_errno_str(long err, char buf[RUN_SIZE_STR])
{
	const char *name = run_errno_name(err);

	if (err < 0 && name)
		snprintf(buf, RUN_SIZE_STR, "-%s", name);
	else
		snprintf(buf, RUN_SIZE_STR, "%ld", err);
	return buf;
}

int run_errno_from_name(const char *name)
{
	if (*name == '-')
		name++;
	if (!strcmp(name, "0") || !strcasecmp(name, "OK"))
		return 0;
	for (int e = 1; e <= RUN_ERRNO_SCAN_MAX; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return -1;
}

static unsigned int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int row[RUN_SUGGEST_MAX_LEN + 1];

	if (la > RUN_SUGGEST_MAX_LEN || lb > RUN_SUGGEST_MAX_LEN)
		return ~0u;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int best = diag + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Is @word @name with letters left out? The commonest typo. */
static bool is_subsequence(const char *word, const char *name)
{
	for (; *name && *word; name++)
		if (tolower((unsigned char)*name) == tolower((unsigned char)*word))
			word++;
	return !*word;
}

/* Ties go to the name the word is a subsequence of, then to the first in
 * alphabetical order: the answer must not depend on the order of @names. */
static bool better(const char *word, const char *a, const char *b)
{
	bool sa = is_subsequence(word, a), sb = is_subsequence(word, b);

	return sa != sb ? sa : strcmp(a, b) < 0;
}

const char *run_suggest(const char *word, const char *const *names)
{
	const char *best = NULL;
	unsigned int best_d = RUN_SUGGEST_MAX_EDITS + 1;

	for (; *names; names++) {
		unsigned int d = edit_distance(word, *names);

		if (d < best_d || (d == best_d && best && better(word, *names, best))) {
			best_d = d;
			best = *names;
		}
	}
	return best;
}

int run_check_output(const char *path)
{
	/* Opening for writing says what a later write would meet (a missing
	 * directory, a directory, no permission, a read-only file system);
	 * without O_TRUNC an existing file keeps its contents until then. */
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Characters a shell takes literally, so that a word of them needs no
 * quotes on the replay line. */
static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_@%+=:,./-", *s))
			return false;
	return true;
}

void run_print_shell_word(FILE *f, const char *s)
{
	if (shell_safe(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

int run_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	char *end;
	double v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		v *= units[i].ms;
		if (!(v >= 1) || v > (double)RUN_DURATION_MAX_MS)
			return -1;
		*ms = (uint64_t)v;
		return 0;
	}
	return -1;
}

const char *run_prog = "memhp";

/* The directory of the running program, or "" if /proc cannot say. */
static const char *exe_dir(char buf[PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX - 1);
	char *slash;

	buf[n > 0 ? n : 0] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		buf[0] = '\0';
	return buf;
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

const char *run_man_hint(void)
{
	static char hint[PATH_MAX + 8];
	char dir[PATH_MAX], path[PATH_MAX + 32], real[PATH_MAX];

	if (hint[0])
		return hint;
	exe_dir(dir);
	snprintf(hint, sizeof(hint), "man memhp");
	/* Installed: man finds it (BINDIR/../share/man is on its path). In a
	 * build tree (build/NAME/memhp) the page is the source tree's. */
	snprintf(path, sizeof(path), "%s/../share/man/man1/memhp.1", dir);
	if (dir[0] && !is_file(path)) {
		snprintf(path, sizeof(path), "%s/../../doc/memhp.1", dir);
		if (is_file(path) && realpath(path, real))
			snprintf(hint, sizeof(hint), "man %s", real);
	}
	return hint;
}

int run_installed_file(const char *rel, char *buf, size_t len)
{
	static const char *const under[] = { "", "scenarios/" };
	char dir[PATH_MAX], path[PATH_MAX * 2], real[PATH_MAX];

	if (!exe_dir(dir)[0] || rel[0] == '/')
		return -ENOENT;
	for (size_t i = 0; i < sizeof(under) / sizeof(under[0]); i++) {
		snprintf(path, sizeof(path), "%s/../share/memhp/%s%s", dir, under[i], rel);
		if (is_file(path) && realpath(path, real) && strlen(real) < len) {
			snprintf(buf, len, "%s", real);
			return 0;
		}
	}
	return -ENOENT;
}

void run_unknown(const char *kind, const char *word, const char *const *names, const char *where)
{
	char name[RUN_SUGGEST_MAX_LEN];
	const char *hint;

	/* "--sed=3" is a typo of "--seed"; "-x" is one edit from every short
	 * option, and so a typo of none. */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
	hint = names && strlen(name) > 2 ? run_suggest(name, names) : NULL;

	if (hint)
		fprintf(stderr, "%s: unknown %s '%s' (did you mean '%s'?)\n", run_prog, kind, word,
			hint);
	else
		fprintf(stderr, "%s: unknown %s '%s' (%s lists them)\n", run_prog, kind, word,
			where);
}

void run_usage_options(char *text, const char **names, size_t max)
{
	size_t n = 0;

	for (char *line = text; line && *line && n + 1 < max;) {
		char *next = strchr(line, '\n'), *p = line;

		if (next)
			*next++ = '\0';
		while (*p == ' ')
			p++;
		/* "-q, --quiet": each name up to a space, '=', '[' or ','. */
		while (*p == '-' && n + 1 < max) {
			size_t len = strcspn(p, " =[,");
			char *end = p + len;
			bool more = *end == ',';

			*end = '\0';
			names[n++] = p;
			if (!more)
				break;
			p = end + 1;
			while (*p == ' ')
				p++;
		}
		line = next;
	}
	names[n] = NULL;
}

void run_unknown_option(const char *word, const char *usage, const char *where)
{
	const char *names[RUN_USAGE_OPTIONS_MAX];
	char *text = strdup(usage);

	if (text)
		run_usage_options(text, names, RUN_USAGE_OPTIONS_MAX);
	run_unknown("option", word, text ? names : NULL, where);
	free(text);
}

void run_unknown_option_of(const char *word, void (*usage)(FILE *f), const char *where)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f) {
		usage(f);
		fclose(f);
	}
	run_unknown_option(word, text ? text : "", where);
	free(text);
}

static const struct option shared_longopts[] = {
	{ "seed", required_argument, NULL, RUN_OPT_SEED },
	{ "svg", required_argument, NULL, RUN_OPT_SVG },
	{ "trace", required_argument, NULL, RUN_OPT_TRACE },
	{ "protocol", required_argument, NULL, RUN_OPT_PROTOCOL },
	{ "deterministic", no_argument, NULL, RUN_OPT_DETERMINISTIC },
	{ "help", no_argument, NULL, 'h' },
};

int run_getopt(int argc, char **argv, const struct run_cmd *cmd, struct run_common_args *common)
{
	struct option longopts[RUN_GETOPT_MAX + 1] = { { 0 } };
	size_t n = sizeof(shared_longopts) / sizeof(shared_longopts[0]);
	char where[RUN_ERR_MAX];
	int c;

	memcpy(longopts, shared_longopts, sizeof(shared_longopts));
	for (const struct option *own = cmd->longopts; own->name; own++) {
		if (n == RUN_GETOPT_MAX) {
			fprintf(stderr, "%s: more than %d options: raise RUN_GETOPT_MAX\n",
				cmd->prog, RUN_GETOPT_MAX);
			return -1;
		}
		longopts[n++] = *own;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, cmd->shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case RUN_OPT_SEED:
			if (run_parse_seed(optarg, &common->seed)) {
				fprintf(stderr, "%s: bad seed '%s': " RUN_SEED_HINT "\n", cmd->prog,
					optarg);
				return -1;
			}
			common->have_seed = true;
			break;
		case RUN_OPT_SVG:
			common->svg = optarg;
			break;
		case RUN_OPT_TRACE:
			common->trace = optarg;
			break;
		case RUN_OPT_PROTOCOL:
			if (run_parse_protocol(optarg, &common->protocol)) {
				fprintf(stderr, "%s: bad protocol '%s': " RUN_PROTOCOL_HINT "\n",
					cmd->prog, optarg);
				return -1;
			}
			break;
		case RUN_OPT_DETERMINISTIC:
			common->deterministic = true;
			break;
		case 'h':
			fputs(cmd->usage, stdout);
			printf("%s%s has the rest.\n", cmd->help_lead, run_man_hint());
			return 1;
		case ':':
			fprintf(stderr, "%s: %s needs a value\n", cmd->prog, argv[optind - 1]);
			return -1;
		case '?':
			snprintf(where, sizeof(where), "%s --help", cmd->prog);
			run_unknown_option(argv[optind - 1], cmd->usage, where);
			return -1;
		default:
			if (cmd->own(c, optarg, cmd->priv))
				return -1;
		}
	}
	return 0;
}
