/* SPDX-License-Identifier: MIT */
/*
 * src/cli/cli.h - the memhp program's commands.
 *
 * Each command lives in its own file and has the shape of a main():
 * it parses its own options, prints its own --help, and returns the exit
 * status. main.c only dispatches.
 */
#ifndef MEMHP_CLI_H
#define MEMHP_CLI_H

#include <memhp/memhp.h>

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

extern const struct cli_command cli_commands[];

/* The commands, one file each. */
int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_torture(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

#endif
