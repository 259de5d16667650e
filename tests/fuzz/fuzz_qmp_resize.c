// SPDX-License-Identifier: MIT
/*
 * fuzz_qmp_resize.c - libFuzzer harness for the QMP server while the
 * guest's virtio-mem driver is resizing.
 *
 *	clang -fsanitize=fuzzer,address,undefined ... (tests/fuzz_cli.sh builds it)
 *
 * A 512 MiB machine with a 1 GiB virtio-mem device whose Linux driver runs
 * on its own worker thread, served by a real QMP server on a unix socket
 * (its own thread, MEMORY_DEVICE_SIZE_CHANGE events at most 1 ms apart).
 * Each input: its first byte sets a new requested size (0 to 1 GiB in
 * 128 MiB steps), so the driver starts plugging or unplugging; the rest is
 * one client's byte stream, written over a fresh connection in two parts
 * while the driver works, and the reply read to the end. Checked:
 * - no crash, no leak, no sanitizer report (TSan is not part of this
 *   build: the data races are test_qmp's and the TSan CI build's);
 * - every line the server writes is a reply, an error or an event
 *   (qmp_lines.h), however the driver's progress interleaves;
 * - every CHECK_EVERY inputs, once the driver is idle: memhp_check() and
 *   the driver's own check find nothing.
 */
#include "../../src/qmp/qmp.h"

#define FUZZ_NAME "fuzz_qmp_resize"
#include "qmp_lines.h"

#include <memhp/memhp.h>
#include <memhp/virtio_mem_driver.h>

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The machine's boot RAM, and the device's region: big enough for the
 * driver to take milliseconds over a resize, small enough for thousands
 * of inputs a minute. */
#define BOOT_RAM (512 * MEMHP_MiB)
#define REGION (1 * MEMHP_GiB)
#define SIZE_STEP (128 * MEMHP_MiB)
#define CHECK_EVERY 64
/* What a reply to one input may amount to, at most. */
#define REPLY_MAX (1 << 20)

static struct memhp_machine *m;
static struct memhp_vmem_dev *dev;
static struct memhp_vmem_drv *drv;
static struct qmp_device qdev;
static struct qmp_vm vm;
static struct qmp_server *srv;
static char sock_path[108];
static unsigned long runs;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void stop(void)
{
	qmp_server_stop(srv);
	memhp_vmem_drv_remove(drv);
	memhp_vmem_dev_destroy(dev);
	memhp_machine_destroy(m);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct memhp_config cfg;
	struct memhp_vmem_drv_params p;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = 4 * MEMHP_GiB,
		.region_size = REGION,
	};
	char spec[sizeof(sock_path) + 8], err[QMP_ERR_MAX];

	(void)argc;
	(void)argv;
	/* A client that goes away must not kill the fuzzer. */
	signal(SIGPIPE, SIG_IGN);
	memhp_config_init(&cfg, BOOT_RAM);
	cfg.phys_size = 64 * MEMHP_GiB;
	cfg.auto_online_blocks = MEMHP_MMOP_ONLINE_MOVABLE;
	if (memhp_machine_create(&cfg, &m) || memhp_vmem_dev_create(m, &dc, &dev))
		die("cannot build the VM", "");
	memhp_vmem_drv_params_init(&p);
	if (memhp_vmem_drv_probe(m, dev, &p, &drv))
		die("cannot probe the driver", "");
	qdev = (struct qmp_device){ "vm0", "mem0", dev };
	vm = (struct qmp_vm){ .m = m,
			      .base_memory = BOOT_RAM,
			      .devices = &qdev,
			      .nr_devices = 1,
			      .size_change_rate_ms = 1 };
	snprintf(sock_path, sizeof(sock_path), "/tmp/memhp-fuzz-qmp.%d.sock", (int)getpid());
	snprintf(spec, sizeof(spec), "unix:%s", sock_path);
	if (qmp_server_start(spec, &vm, &srv, err, sizeof(err)))
		die("cannot start the QMP server", err);
	atexit(stop);
	return 0;
}

static int connect_client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket", strerror(errno));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect", strerror(errno));
	return fd;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		/* The server closes on "quit", or on input it gives up on. */
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[REPLY_MAX];
	size_t total = 0;
	ssize_t n;
	int fd;

	if (!size)
		return 0;
	/* The driver gets to work before the client says anything. */
	memhp_vmem_dev_set_requested_size(dev, (uint64_t)(data[0] % (REGION / SIZE_STEP + 1)) *
						       SIZE_STEP);
	data++;
	size--;
	out_len = 0;
	fd = connect_client();
	write_all(fd, data, size / 2);
	write_all(fd, data + size / 2, size - size / 2);
	shutdown(fd, SHUT_WR);
	/* To the end: the server closes once the input is done with. */
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		total += (size_t)n;
		if (total > REPLY_MAX)
			die("too much output", "");
		on_write(NULL, buf, (size_t)n);
	}
	close(fd);
	if (out_len)
		die("output ends inside a line", out);
	if (++runs % CHECK_EVERY == 0) {
		memhp_vmem_drv_wait_idle(drv);
		if (memhp_check(m, NULL) || memhp_vmem_drv_check(drv))
			die("the machine or the driver is inconsistent after a resize", "");
	}
	return 0;
}
