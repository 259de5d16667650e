/* SPDX-License-Identifier: MIT */
/*
 * src/cli/machine_opts.h - the machine options every command that runs a
 * machine takes (serve, shell, and later run, demo), in QEMU's words:
 *
 *   -m [size=]SIZE[,slots=N][,maxmem=SIZE]   boot RAM, q35 layout
 *   --maxmem SIZE                            ... or the same as an option
 *   --device pc-dimm,id=ID,size=SIZE[,addr=ADDR][,node=0]
 *   --auto-online offline|online|online_kernel|online_movable
 *   --protocol 6.1|2025
 *   --block-size SIZE
 *
 * and one of memhp's own, for what runs inside the guest:
 *
 *   --anon-memory SIZE[,pinned]   movable, checksummed memory allocated at
 *                                 start-up (a process's anonymous memory);
 *                                 pinned: it cannot be migrated
 *
 * Commands parse their own options and offer each argument here first.
 */
#ifndef MEMHP_CLI_MACHINE_OPTS_H
#define MEMHP_CLI_MACHINE_OPTS_H

#include <memhp/memhp.h>

#include <stdio.h>

#define MACHINE_MAX_DIMMS 256
#define MACHINE_DIMM_ID_MAX 64
/* QEMU's default RAM size (-m not given). */
#define MACHINE_DEFAULT_RAM (128 * MEMHP_MiB)

struct machine_dimm {
	char id[MACHINE_DIMM_ID_MAX];
	uint64_t size;
	uint64_t addr;		/* 0: the next free address */
};

struct machine_opts {
	uint64_t ram_size;
	unsigned int slots;
	uint64_t maxmem;	/* 0: not given */
	uint64_t block_size;	/* 0: what x86 Linux would pick */
	int auto_online;	/* enum memhp_online_type, or -1: the default */
	int protocol;		/* enum memhp_protocol, or -1 */
	unsigned int nr_dimms;
	struct machine_dimm dimms[MACHINE_MAX_DIMMS];
	uint64_t anon_size;
	bool anon_pinned;
};

/* What machine_opts_create() builds. */
struct machine {
	struct memhp_machine *m;
	struct memhp_data *anon;	/* --anon-memory, or NULL */
};

void machine_opts_init(struct machine_opts *o);

/*
 * Offer argv[*i] (and its argument) to the machine options. Returns 1 and
 * moves *i past what was used, 0 if argv[*i] is not a machine option, or
 * -1 after printing why the option is wrong (as "PROG: ..." on stderr).
 */
int machine_opts_parse(struct machine_opts *o, const char *prog, int argc, char **argv, int *i);

/* The options' --help text. */
void machine_opts_usage(FILE *f);

/*
 * Create the machine, plug the devices in and start what runs in it, as at
 * start-up. Returns 0, or -errno after printing the reason.
 */
int machine_opts_create(const struct machine_opts *o, const char *prog, struct machine *out);
/* Tear down what machine_opts_create() built (a zeroed one is fine). */
void machine_destroy(struct machine *mc);

/* "512M", "1.5G": QEMU's size syntax (qemu_strtosz): a number, optional
 * fraction, optional B/K/M/G/T/P/E suffix (@default_unit without one).
 * Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t default_unit, uint64_t *out);

#endif
