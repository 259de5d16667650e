// SPDX-License-Identifier: MIT
/*
 * fuzz_lua.c - libFuzzer harness for Lua scenarios: each input is a
 * scenario, run as "memhp run --sandbox --timeout" runs one from elsewhere
 * (cmd_run(): the sandboxed libraries, the whole memhp API, the timeline,
 * the final check, the teardown).
 *
 *	clang -fsanitize=fuzzer,address,undefined ... (tests/fuzz_cli.sh builds it)
 *
 * The rule for bad input from a scenario: an error at its file:line, never
 * a crash or a hang of memhp. Checked:
 * - no crash, no leak, no sanitizer report;
 * - no hang: --timeout FUZZ_LUA_TIMEOUT interrupts the script as ^C does,
 *   and libFuzzer's -timeout (tests/fuzz_cli.sh) catches whatever does not
 *   stop then (the run's own hard deadline would _exit() with no report);
 * - the exit status is one memhp run documents for a script: 0, 1, 124;
 * - every error memhp reports for the script names where in it: each
 *   "memhp run: error: " line starts with the script's path and a line
 *   number, or reports an error in a __gc finalizer (Lua's own words, with
 *   the place inside), or is an error value the script itself raised
 *   (not a string, or a string that does not name a memhp function).
 * The run's stdout and stderr go to a memory file, read back for the last
 * check; start libFuzzer with -close_fd_mask=3 so that its own reports
 * and the sanitizers' stay on the terminal (they follow the dup it makes).
 *
 * The host is faked small (fuzz_host.h): no scenario machine or hot-add
 * may take more than FUZZ_HOST_KB of descriptors.
 *
 * fuzz_lua_api.c builds this with FUZZ_LUA_API: the scenario is then
 * always tests/fuzz/lua_api_driver.lua (FUZZ_LUA_DRIVER, copied to a short
 * path), and the input its tape of API calls, passed in hex as arg[1]:
 * every call well-formed Lua, its arguments the fuzzer's.
 */
#include "../../src/cli/cli.h"
#include "../../src/cli/run.h"
#include "../../src/mm/internal.h"
#include "fuzz_host.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* How long a scenario may run before it is interrupted as ^C does. */
#define FUZZ_LUA_TIMEOUT "1s"
/* The longest tape of calls fuzz_lua_api takes (bytes). */
#define FUZZ_LUA_TAPE_MAX 4096
/* What of the run's output is read back, at most. */
#define OUT_MAX (1 << 20)

static char script[64];
static int out_fd;
static char out[OUT_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_script(void)
{
	unlink(script);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_host_fake();
	snprintf(script, sizeof(script), "/dev/shm/memhp-fuzz.%d.lua", (int)getpid());
	out_fd = memfd_create("memhp-run-output", MFD_CLOEXEC);
	if (out_fd < 0) {
		perror("fuzz_lua: memfd_create");
		abort();
	}
#ifdef FUZZ_LUA_API
	{
		static char driver[1 << 16];
		FILE *f = fopen(FUZZ_LUA_DRIVER, "r");
		size_t n = f ? fread(driver, 1, sizeof(driver), f) : 0;
		int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (!n || n == sizeof(driver) || fd < 0 || write(fd, driver, n) != (ssize_t)n) {
			fprintf(stderr, "fuzz_lua_api: cannot copy %s to %s\n", FUZZ_LUA_DRIVER,
				script);
			abort();
		}
		fclose(f);
		close(fd);
	}
#endif
	atexit(remove_script);
	return 0;
}

static void die(const char *why, const char *line)
{
	fprintf(stderr, "fuzz_lua: %s: %.300s\n", why, line);
	abort();
}

/* Does @msg, an error the run reported, say where in the script it is? */
static bool names_its_place(const char *msg)
{
	size_t n = strlen(script);

	if (!strncmp(msg, script, n) && msg[n] == ':' && isdigit((unsigned char)msg[n + 1]))
		return true;
	/* Lua's report of an error in a finalizer carries the place inside. */
	if (!strncmp(msg, "error in ", strlen("error in ")))
		return true;
	/* What the script raised itself: error({}), error(nil), error("x", 0). */
	return strncmp(msg, "memhp", 5) && strncmp(msg, "m:", 2) && strncmp(msg, "[C]", 3);
}

static void check_output(void)
{
	ssize_t n = pread(out_fd, out, OUT_MAX, 0);

	if (n < 0)
		die("cannot read the run's output back", "");
	out[n] = '\0';
	for (char *line = out, *next; line && *line; line = next) {
		const char *tag = "memhp run: error: ";

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, tag, strlen(tag)) && !names_its_place(line + strlen(tag)))
			die("an error that does not say where in the scenario", line);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char tape[2 * FUZZ_LUA_TAPE_MAX + 1];
	char *argv[] = { "run",	   "--sandbox", "--quiet",   "--logical-time",
			 "--seed", "1",		"--timeout", FUZZ_LUA_TIMEOUT,
			 script,   "--",	tape,	     NULL };
	int saved_out, saved_err, rc;

#ifdef FUZZ_LUA_API
	if (size > FUZZ_LUA_TAPE_MAX)
		size = FUZZ_LUA_TAPE_MAX;
	for (size_t i = 0; i < size; i++)
		snprintf(tape + 2 * i, 3, "%02x", data[i]);
	tape[2 * size] = '\0';
#else
	int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		die("cannot write the scenario", script);
	close(fd);
	tape[0] = '\0';
#endif
	if (ftruncate(out_fd, 0))
		die("cannot empty the output file", "");
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	lseek(out_fd, 0, SEEK_SET);
	rc = cmd_run((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	if (rc != RUN_EXIT_OK && rc != RUN_EXIT_FAILED && rc != RUN_EXIT_TIMEOUT) {
		char s[16];

		snprintf(s, sizeof(s), "%d", rc);
		die("memhp run exited with a status no script should give", s);
	}
	check_output();
	return 0;
}
