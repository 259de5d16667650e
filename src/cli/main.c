// SPDX-License-Identifier: MIT
/*
 * main.c - memhp COMMAND [ARGS]: dispatch to the commands of cli_commands[].
 */
#include "cli.h"
#include "run_util.h"

#include <stdio.h>
#include <string.h>

/* "memhp run": what the command's messages start with. */
#define MAIN_PROG_MAX 32

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("memhp %s (models Linux 6.1 memory hot(un)plug)\n", memhp_version());
	return 0;
}

static int cmd_help(int argc, char **argv);

const struct cli_command cli_commands[] = {
	{ "demo", "6.1 vs the 2025 proposal: virtio-mem unplug with racing PFN walkers", cmd_demo },
	{ "run", "run a Lua scenario: timeline, trace, memory map, verdict", cmd_run },
	{ "serve", "serve a machine's /sys and /proc memory files over FUSE", cmd_serve },
	{ "shell", "run a command where lsmem, chmem, free see a memhp machine", cmd_shell },
	{ "torture", "random operations, the checker after each: a campaign by seed", cmd_torture },
	{ "sweep", "fail each fault injection point in turn under a scenario", cmd_sweep },
	{ "help", "show the commands, or one command's help", cmd_help },
	{ "version", "print the version", cmd_version },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: memhp COMMAND [ARGS...]\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'memhp COMMAND --help' shows a command's options; %s has the rest.\n",
		run_man_hint());
}

static const struct cli_command *find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* The one way every unknown command is answered. */
static void unknown_command(const char *name)
{
	const char *names[sizeof(cli_commands) / sizeof(cli_commands[0])];
	size_t n = 0;

	for (const struct cli_command *c = cli_commands; c->name; c++)
		names[n++] = c->name;
	names[n] = NULL;
	run_unknown("command", name, names, "memhp help");
}

static int cmd_help(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	c = find(argv[1]);
	if (!c) {
		unknown_command(argv[1]);
		return 2;
	}
	{
		char *args[] = { argv[1], "--help", NULL };

		return c->run(2, args);
	}
}

int main(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	c = find(argv[1]);
	if (!c) {
		unknown_command(argv[1]);
		return 2;
	}
	{
		static char prog[MAIN_PROG_MAX];

		snprintf(prog, sizeof(prog), "memhp %s", c->name);
		run_prog = prog;
	}
	return c->run(argc - 1, argv + 1);
}
