// SPDX-License-Identifier: MIT
/*
 * memhp - the command-line front end (placeholder until the CLI issue
 * lands: it prints the version and the default machine's block table).
 */
#include <memhp/memhp.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct memhp_config cfg;
	struct memhp_machine *m;
	struct memhp_meminfo mi;

	if (argc > 1 && !strcmp(argv[1], "version")) {
		printf("memhp %s\n", memhp_version());
		return 0;
	}
	memhp_config_init(&cfg, 4 * MEMHP_GiB);
	if (memhp_machine_create(&cfg, &m)) {
		fprintf(stderr, "memhp: cannot create a machine: %s\n", memhp_config_error());
		return 1;
	}
	for (long id = memhp_next_block(m, 0); id >= 0; id = memhp_next_block(m, (unsigned long)id + 1)) {
		char state[32], zones[64];

		memhp_show_state(m, (unsigned long)id, state);
		memhp_show_valid_zones(m, (unsigned long)id, zones);
		state[strcspn(state, "\n")] = 0;
		zones[strcspn(zones, "\n")] = 0;
		printf("memory%-4ld %-8s %s\n", id, state, zones);
	}
	memhp_meminfo(m, &mi);
	printf("MemTotal: %lu kB\nMemFree:  %lu kB\n", mi.total_pages * 4, mi.free_pages * 4);
	memhp_machine_destroy(m);
	return 0;
}
