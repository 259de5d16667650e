// SPDX-License-Identifier: MIT
/*
 * fuzz_opts.c - libFuzzer harness for the command lines of "memhp serve"
 * and "memhp shell": the parse functions the commands call
 * (serve_parse_args(), shell_parse_args(): the machine options, --qmp,
 * --tmpfs, --log, --uevent-helper, --mount, --), then, for a command line
 * they take, the machine it describes (machine_opts_create()), without a
 * mount, a namespace or a device thread.
 *
 *	clang -fsanitize=fuzzer,address,undefined ... (tests/fuzz_cli.sh builds it)
 *
 * Input: the first byte picks the command (even: serve, odd: shell), the
 * rest is its arguments, separated by NUL bytes. Checked: no crash, no
 * leak, no sanitizer report; the parse returns 0, 1 (--help) or -1, and
 * says why on stderr when it refuses; the machine is built or refused
 * with a message. The host is faked small (FUZZ_HOST_KB of MemAvailable)
 * so that no command line can make the fuzzer's own memory grow past a
 * few hundred MiB.
 */
#include "../../src/cli/machine_opts.h"
#include "../../src/cli/serve_common.h"
#include "../../src/mm/internal.h"
#include "fuzz_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arguments one input is cut into, at most. */
#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_host_fake();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct machine_opts *o = malloc(sizeof(*o));
	struct serve_opts *so = malloc(sizeof(*so));
	char *buf = malloc(size + 1), *args[MAX_ARGS + 2], **cmd;
	const char *mountpoint;
	int argc = 1, r;
	bool shell;

	if (!o || !so || !buf || !size)
		goto out;
	shell = data[0] & 1;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	args[0] = shell ? "shell" : "serve";
	for (char *p = buf; p < buf + size - 1 && argc <= MAX_ARGS; p += strlen(p) + 1)
		args[argc++] = p;
	args[argc] = NULL;
	r = shell ? shell_parse_args(argc, args, o, so, &cmd)
		  : serve_parse_args(argc, args, o, so, &mountpoint);
	if (r < -1 || r > 1)
		abort();
	if (!r) {
		struct machine mc = { 0 };

		if (!machine_opts_create(o, shell ? "memhp shell" : "memhp serve", &mc))
			machine_destroy(&mc);
	}
out:
	free(buf);
	free(so);
	free(o);
	return 0;
}
