/* SPDX-License-Identifier: MIT */
/*
 * src/cli/run_util.h - small helpers of `memhp run`: sizes, errno names,
 * physical ranges as the kernel prints them.
 *
 * The names carry a run_ prefix so that they cannot collide with the shared
 * machine-option parser of the other front ends when the two are merged.
 */
#ifndef MEMHP_CLI_RUN_UTIL_H
#define MEMHP_CLI_RUN_UTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Room for any message a parser writes about bad input. */
#define RUN_ERR_MAX 160
/* Room for a formatted size ("1023.9 GiB") or range. */
#define RUN_SIZE_STR 24
#define RUN_RANGE_STR 48

/*
 * Parse a size or address: "4096", "0x100000000", "128M", "4G", "4GiB",
 * "1T" (binary multiples; a trailing "B" or "iB" is allowed). Returns 0, or
 * -1 with a message naming the problem in @err.
 */
int run_parse_size(const char *s, uint64_t *out, char *err, size_t errlen);

/* "128 MiB", "4 GiB", "1.5 GiB", "4096 B": exact when it can be. */
const char *run_fmt_size(uint64_t bytes, char buf[RUN_SIZE_STR]);

/* "[mem 0x0100000000-0x0107ffffff]", as the kernel prints a range. */
const char *run_fmt_range(uint64_t start, uint64_t size, char buf[RUN_RANGE_STR]);

/* "EBUSY" for 16 or -16, NULL if unknown; run_errno_str() adds the sign and
 * falls back to the number: "-EBUSY", "0", "-4095". */
const char *run_errno_name(long err);
const char *run_errno_str(long err, char buf[RUN_SIZE_STR]);
/* 16 for "EBUSY" (or "-EBUSY"), 0 for "0" and "OK", -1 if unknown. */
int run_errno_from_name(const char *name);

/* A seed: "42" or "0x2a". Returns 0, or -1 if @s is not a number. */
int run_parse_seed(const char *s, uint64_t *out);
/* What to say after "bad seed 'X': " when run_parse_seed() fails. */
#define RUN_SEED_HINT "expected a number such as 42 or 0x2a"
/* --protocol: "6.1" or "2025" to an enum memhp_protocol. Returns 0, or -1
 * for anything else. */
int run_parse_protocol(const char *s, int *out);
/* What to say after "bad protocol 'X': " when run_parse_protocol() fails. */
#define RUN_PROTOCOL_HINT "use 6.1 or 2025"
/* A duration: "2" or "2s", "500ms", "1.5m", "1h", to milliseconds (at
 * least 1, at most a week). Returns 0, or -1 for anything else. */
int run_parse_duration(const char *s, uint64_t *ms);
/* What to say after "bad timeout 'X': " when run_parse_duration() fails. */
#define RUN_DURATION_HINT "expected a duration such as 30, 30s, 500ms, 2m or 1h, up to a week"
/* A seed chosen for the user: 32 bits, easy to read and retype. */
uint64_t run_random_seed(void);
/* Where machine @index (1-based) of a run draws its map: @base for the first,
 * "map-2.svg" for the second when @base is "map.svg", and so on. */
void run_svg_path(const char *base, int index, char *buf, size_t len);

/* Could @path be written (an output file such as --svg)? Creates it if it
 * is not there. 0, or -errno. */
int run_check_output(const char *path);
/* @s as one shell word: as it is when it can be, else in single quotes. */
void run_print_shell_word(FILE *f, const char *s);

/* The closest of @names (NULL-terminated) to @word, if it is close enough to
 * be a typo; NULL otherwise. */
const char *run_suggest(const char *word, const char *const *names);
/* Every "did you mean" says it one way: printf("unknown option '%s'"
 * RUN_HINT_FMT, word, RUN_HINT_ARGS(hint)) prints "... (did you mean
 * '--seed'?)", or nothing after the word when @hint is NULL. */
#define RUN_HINT_FMT "%s%s%s"
#define RUN_HINT_ARGS(hint) \
	(hint) ? " (did you mean '" : "", (hint) ? (hint) : "", (hint) ? "'?)" : ""

/*
 * The one way every command answers a word it does not know: "PROG:
 * unknown KIND 'WORD' (did you mean 'X'?)" when one of @names (NULL-
 * terminated, may be NULL) is close, else "PROG: unknown KIND 'WORD'
 * (@where lists them)".
 */
void run_unknown(const char *kind, const char *word, const char *const *names, const char *where);
/* The options a --help text shows at the start of its lines ("  --seed N",
 * "  -q, --quiet", "  --tmpfs=PATH"): their names, pointing into @text,
 * which is cut up. At most @max - 1 of them; @names ends with NULL. */
void run_usage_options(char *text, const char **names, size_t max);
/* run_unknown() for an option, suggesting from the options @usage shows;
 * @where is the command's "--help". */
void run_unknown_option(const char *word, const char *usage, const char *where);
/* The same, for a command whose help a function prints. */
void run_unknown_option_of(const char *word, void (*usage)(FILE *f), const char *where);

/* ---- The options `memhp demo` and `memhp run` share --------------------------- */

/* getopt_long() values of the shared options; a command numbers its own
 * long options from RUN_OPT_OWN. */
enum {
	RUN_OPT_SEED = 256,
	RUN_OPT_SVG,
	RUN_OPT_TRACE,
	RUN_OPT_PROTOCOL,
	RUN_OPT_DETERMINISTIC,
	RUN_OPT_OWN,
};
/* What the shared options say. */
struct run_common_args {
	const char *svg, *trace; /* where to write the map and the Chrome trace */
	uint64_t seed;
	bool have_seed; /* --seed was given */
	bool deterministic;
	int protocol; /* an enum memhp_protocol, or the command's default */
};

/* A command's view of its command line. */
struct run_cmd {
	const char *prog;	       /* "memhp run": what its messages start with */
	const char *usage;	       /* --help's text; typos are matched against it */
	const char *help_lead;	       /* printed before "MAN has the rest." */
	const char *shortopts;	       /* getopt's, from ':' and with 'h' */
	const struct option *longopts; /* its own, NULL-terminated; values from RUN_OPT_OWN */
	/* One of the command's own options (@c as getopt_long() returns it,
	 * @arg its value or NULL): 0, or -1 after saying what is wrong. */
	int (*own)(int c, const char *arg, void *priv);
	void *priv;
};

/*
 * Read the options of @argv into @common and through @cmd->own, stopping at the
 * first operand (optind then points at it). A bad value, a missing value
 * and an unknown option are each said on stderr as "PROG: ...".
 * Return: 0; 1 after printing --help; -1 after an error message.
 */
int run_getopt(int argc, char **argv, const struct run_cmd *cmd, struct run_common_args *common);

/* What every error message of the program starts with: "memhp", or the
 * command being run ("memhp demo") once main() has chosen it. */
extern const char *run_prog;

/* How to read the man page from where this program runs: "man memhp"
 * once installed, "man /path/to/doc/memhp.1" from a build tree. */
const char *run_man_hint(void);
/* A file installed with the program, @rel ("scenarios/x.lua", or just
 * "x.lua" for a scenario) under BINDIR/../share/memhp: its path in @buf
 * and 0, or -ENOENT. */
int run_installed_file(const char *rel, char *buf, size_t len);

#endif
