/* SPDX-License-Identifier: MIT */
/*
 * src/qmp/qmp.h - a QMP server for memhp's virtio-mem devices, speaking
 * the subset of the QEMU Machine Protocol a VMM developer uses with
 * virtio-mem, byte for byte as QEMU 7.2 (Debian 12's 1:7.2+dfsg-7+deb12u18+b3)
 * answers it. docs/qmp.md lists the commands, the greeting, the errors
 * and every difference from QEMU.
 *
 * The server runs in its own thread on a unix socket and serves one
 * client at a time, as QEMU's "-qmp unix:PATH,server=on,wait=off" does:
 * a second client is accepted only once the first has gone.
 *
 *	struct qmp_device devs[] = { { "vm0", "mem0", dev } };
 *	struct qmp_vm vm = {
 *		.m = m, .base_memory = 4 * MEMHP_GiB,
 *		.devices = devs, .nr_devices = 1,
 *		.quit = on_quit, .priv = &state,
 *	};
 *	struct qmp_server *s;
 *	char err[QMP_ERR_MAX];
 *
 *	if (qmp_server_start("unix:/tmp/memhp.qmp", &vm, &s, err, sizeof(err)))
 *		fprintf(stderr, "memhp: %s\n", err);
 *	...
 *	qmp_server_stop(s);
 */
#ifndef MEMHP_QMP_H
#define MEMHP_QMP_H

#include <memhp/acpi_memory.h>
#include <memhp/virtio_balloon.h>
#include <memhp/virtio_mem.h>

#include <stddef.h>
#include <stdint.h>

/* Room for qmp_server_start()'s error message. */
#define QMP_ERR_MAX 256

/* A virtio-mem-pci device as QMP sees it: /machine/peripheral/<id>, its
 * memory backend /objects/<memdev>. */
struct qmp_device {
	const char *id;	    /* QOM id, e.g. "vm0" (required) */
	const char *memdev; /* the memory backend's id, e.g. "mem0" (required) */
	struct memhp_vmem_dev *dev;
};

/* The virtio-balloon-pci device: /machine/peripheral/<id>, or
 * /machine/peripheral-anon/device[0] without an id. */
struct qmp_balloon {
	const char *id; /* QOM id, or NULL */
	struct memhp_vballoon_dev *dev;
};

/* A pc-dimm there from the start (-device pc-dimm,memdev=...). */
struct qmp_dimm {
	const char *id;	    /* QOM id, or NULL: anonymous */
	const char *memdev; /* its backend's id (required) */
	uint64_t addr, size;
	unsigned int slot;
	unsigned int node; /* node= */
};

/* A memory backend no device uses at the start (-object ...). */
struct qmp_backend {
	const char *id;
	uint64_t size;
};

struct qmp_model;

struct qmp_vm {
	struct memhp_machine *m;
	/* query-memory-size-summary's base-memory: the boot RAM ("-m"). */
	uint64_t base_memory;
	struct qmp_device *devices; /* read while the server runs */
	size_t nr_devices;
	/* The balloon ("balloon", "query-balloon", BALLOON_CHANGE), or NULL:
	 * then those answer DeviceNotActive, as in QEMU. */
	struct qmp_balloon *balloon;
	/*
	 * Memory hotplug: the DIMMs and spare backends at the start, QEMU's
	 * -m slots and maxmem (0: not given), where device memory lies
	 * ([dev_base, dev_base + dev_size), the 1 GiB per slot of alignment
	 * room included), and the ACPI memory hotplug controller the guest
	 * listens to (NULL: no slots; device_add of a DIMM then fails as
	 * QEMU's does).
	 */
	const struct qmp_dimm *dimms;
	size_t nr_dimms;
	const struct qmp_backend *backends;
	size_t nr_backends;
	unsigned int slots;
	uint64_t maxmem;
	uint64_t dev_base, dev_size;
	struct memhp_acpi_memhp *acpi;
	/* The DIMMs plugged add up to @bytes now (a device_add, an eject):
	 * QEMU's RAM size for the balloon is -m plus that. May be NULL. */
	void (*dimms_changed)(void *priv, uint64_t bytes);
	/* The monitor's own state (backends, devices added since): set by
	 * qmp_server_start() or qmp_session_new(), not by the caller. */
	struct qmp_model *model;
	/*
	 * "quit" was executed: the reply and the SHUTDOWN event are out and
	 * the client is disconnected. Called from the server's thread; it
	 * must not call qmp_server_stop() (tell the thread that owns the
	 * server instead). NULL: nothing to tell.
	 */
	void (*quit)(void *priv);
	void *priv;
	/* Minimum time between two MEMORY_DEVICE_SIZE_CHANGE events of one
	 * device, and between two BALLOON_CHANGE events; 0 selects QEMU's
	 * 1000 ms. */
	unsigned int size_change_rate_ms;
};

struct qmp_server;

/*
 * Listen on @spec ("unix:PATH", optionally followed by QEMU's ",server=on",
 * ",wait=off", ",server" or ",nowait") and serve @vm from a new thread.
 * @vm and its devices must outlive the server. A stale socket at PATH is
 * replaced; any other file there is left alone. When @errbuf is not NULL
 * it receives a one-line reason on failure.
 *
 * Returns 0, -EINVAL (bad @spec, a device without id or memdev, NULL
 * arguments), -ENAMETOOLONG (PATH does not fit a unix socket address),
 * -EEXIST (PATH exists and is not a socket), -ENOMEM, or the errno of
 * socket(), bind() or listen() (e.g. -EACCES, -EADDRINUSE).
 */
int qmp_server_start(const char *spec, struct qmp_vm *vm, struct qmp_server **out, char *errbuf,
		     size_t errlen);
/* Disconnect the client, stop the thread, remove the socket file, free.
 * No callback runs once it returns. NULL is allowed. */
void qmp_server_stop(struct qmp_server *s);
/* The socket's path (as given in @spec). */
const char *qmp_server_path(const struct qmp_server *s);

/* ---- One conversation, without a socket (tests, the fuzzer) ------------- */

struct qmp_session;
/* Receives every byte the server would write to the client. */
typedef void (*qmp_write_fn)(void *priv, const char *buf, size_t len);

/* Returns NULL on -ENOMEM. The greeting is written at once. */
struct qmp_session *qmp_session_new(struct qmp_vm *vm, qmp_write_fn write, void *priv);
/* Feed bytes from the client; replies are written before it returns.
 * Returns false once "quit" was executed (the rest is ignored). */
bool qmp_session_feed(struct qmp_session *s, const void *buf, size_t len);
/* Commands that changed the VM (a qom-set that took effect). */
unsigned long qmp_session_state_changes(const struct qmp_session *s);
void qmp_session_free(struct qmp_session *s);

#endif
