/* SPDX-License-Identifier: MIT */
/*
 * src/cli/kmsg_log.h - "--log FILE": the machine's kernel log, as dmesg
 * prints it, appended to a file as it comes.
 */
#ifndef MEMHP_CLI_KMSG_LOG_H
#define MEMHP_CLI_KMSG_LOG_H

#include <memhp/machine.h>

struct kmsg_log;

/*
 * Append every record of @m's log to @path ("-": stderr) from the first
 * one there is, and each new one as it comes, on a thread of its own
 * (callers block the signals they take first). Returns 0, or -errno after
 * printing why (@path cannot be opened for appending, -ENOMEM).
 */
int kmsg_log_start(struct memhp_machine *m, const char *path, const char *prog,
		   struct kmsg_log **out);
/* Write what is left in the log, then stop. Before the machine goes. */
void kmsg_log_stop(struct kmsg_log *l);

#endif
