// SPDX-License-Identifier: MIT
/*
 * fuzz_qmp.c - libFuzzer harness for the QMP parser and dispatcher.
 *
 *	clang -fsanitize=fuzzer,address,undefined ... (tests/fuzz_qmp.sh builds it)
 *
 * Each input is the byte stream of one client, fed to a fresh session of
 * a VM with a real machine and virtio-mem device. Checked:
 * - no crash, no leak, no sanitizer report;
 * - every line the server writes is one CRLF-terminated JSON object that
 *   jansson parses: the greeting, {"return": ...} or {"error": {"class",
 *   "desc"}} (with "id" at most), or an event; the only exception is
 *   QEMU's own quirk of printing a non-finite number in an echoed "id"
 *   as inf;
 * - the device's requested size only changes when a command reported
 *   success (qmp_session_state_changes()), and is put back afterwards.
 * The first half of the input is fed at once, the rest byte by byte, so
 * that message framing across reads is exercised too.
 */
#include "../../src/qmp/qmp.h"

#define FUZZ_NAME "fuzz_qmp"
#include "qmp_lines.h"

#include <memhp/memhp.h>

#include <endian.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct memhp_machine *m;
static struct memhp_vmem_dev *dev;
static struct qmp_device qdev;
static struct qmp_vm vm;

static uint64_t requested(void)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(dev, &c);
	return le64toh(c.requested_size);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = 4 * MEMHP_GiB,
		.region_size = 1 * MEMHP_GiB,
	};

	memhp_config_init(&cfg, 512 * MEMHP_MiB);
	cfg.phys_size = 64 * MEMHP_GiB;
	if (memhp_machine_create(&cfg, &m) || memhp_vmem_dev_create(m, &dc, &dev))
		die("cannot build the VM", "");
	qdev = (struct qmp_device){ "vm0", "mem0", dev };
	vm = (struct qmp_vm){
		.m = m, .base_memory = 512 * MEMHP_MiB, .devices = &qdev, .nr_devices = 1
	};
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp_session *s;
	uint64_t before = requested();

	out_len = 0;
	s = qmp_session_new(&vm, on_write, NULL);
	if (!s)
		return 0;
	if (qmp_session_feed(s, data, size / 2))
		for (size_t i = size / 2; i < size; i++)
			if (!qmp_session_feed(s, data + i, 1))
				break;
	if (requested() != before && !qmp_session_state_changes(s))
		die("requested-size changed without a successful command", "");
	qmp_session_free(s);
	/* The next input starts from the same device. */
	if (requested() != before)
		memhp_vmem_dev_set_requested_size(dev, before);
	memhp_vmem_dev_flush(dev);
	return 0;
}
