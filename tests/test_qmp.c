// SPDX-License-Identifier: MIT
/*
 * test_qmp.c - the QMP server against a client on its unix socket, with a
 * real machine, virtio-mem device and guest driver behind it.
 *
 * Every expected string is what QEMU 7.2 (Debian 12's qemu-system-x86
 * 1:7.2+dfsg-7+deb12u18+b3) sends for the same input, recorded from
 *
 *	qemu-system-x86_64 -machine q35 -accel tcg -m 512M,maxmem=8G -S
 *	  -object memory-backend-ram,id=mem0,size=4G
 *	  -device virtio-mem-pci,id=vm0,memdev=mem0,requested-size=0
 *	  -qmp unix:PATH,server=on,wait=off
 *
 * which is the VM the rig below builds: 512 MiB of boot RAM, a 4 GiB
 * virtio-mem region of 2 MiB blocks at 4 GiB. Events carry the time:
 * only their digits are left unchecked.
 *
 * The driver runs in sync mode: after a qom-set the test lets the device
 * deliver its config change and runs the driver's work itself. Nothing
 * sleeps: the client waits for bytes on the socket (with a deadline that
 * only turns a hang into a failure).
 */
#include "../src/qmp/qmp.h"
#include "harness.h"

#include <memhp/acpi_memory.h>
#include <memhp/virtio_balloon.h>
#include <memhp/virtio_mem.h>
#include <memhp/virtio_mem_driver.h>

#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DEV_ADDR (4 * MEMHP_GiB)
#define DEV_SIZE (4 * MEMHP_GiB)
#define BASE_MEMORY (512 * MEMHP_MiB)
/* A reply that takes this long is a hang, not a slow machine. */
#define REPLY_DEADLINE_MS 20000
#define LINE_MAX_BYTES 65536

#define GREETING                                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define OK "{\"return\": {}}\r\n"

/* ---- The rig: machine, device, driver, server --------------------------------------- */

struct rig {
	struct memhp_machine *m;
	struct memhp_vmem_dev *dev;
	struct memhp_vmem_drv *drv;
	struct qmp_device qdev;
	struct qmp_vm vm;
	struct qmp_server *server;
	/* rig_up_dimms(): -m 512M,slots=2,maxmem=8G, the ACPI memory hotplug
	 * controller and the guest's side of it (sync mode) */
	struct memhp_acpi_memhp *acpi;
	struct memhp_acpi_memhp_drv *acpi_drv;
	/* rig_up_balloon(): virtio-balloon-pci,id=balloon0 and its driver */
	struct memhp_vballoon_dev *bdev;
	struct memhp_vballoon_drv *bdrv;
	struct qmp_balloon qb;
	char dir[64];
	char path[128];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int quits;
};

static void on_quit(void *priv)
{
	struct rig *r = priv;

	pthread_mutex_lock(&r->lock);
	r->quits++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void rig_down(void *arg)
{
	struct rig *r = arg;

	qmp_server_stop(r->server);
	memhp_acpi_memhp_drv_remove(r->acpi_drv);
	memhp_acpi_memhp_destroy(r->acpi);
	r->acpi_drv = NULL;
	r->acpi = NULL;
	memhp_vballoon_drv_remove(r->bdrv);
	memhp_vballoon_dev_destroy(r->bdev);
	r->bdrv = NULL;
	r->bdev = NULL;
	memhp_vmem_drv_remove(r->drv);
	memhp_vmem_dev_destroy(r->dev);
	r->server = NULL;
	r->drv = NULL;
	r->dev = NULL;
	if (r->dir[0])
		rmdir(r->dir);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
}

/* QEMU's RAM size for the balloon: -m 512M, no DIMMs. */
static uint64_t base_ram_size(void *priv)
{
	(void)priv;
	return BASE_MEMORY;
}

/* @rate_ms: MEMORY_DEVICE_SIZE_CHANGE's rate limit (0: QEMU's); @flavor:
 * the VMM whose device rules the device follows; @balloon: 0 none, 1 a
 * virtio-balloon-pci "balloon0" whose guest has no driver yet, 2 one with
 * its driver (sync mode). */
/* The NUMA nodes of the next rig (0 or 1: none); a test that sets it sets
 * it back. */
static unsigned int rig_nodes;

static bool rig_up_full(struct rig *r, unsigned int rate_ms, enum memhp_vmem_flavor flavor,
			int balloon, bool dimms, enum memhp_online_type auto_online)
{
	struct memhp_config cfg;
	struct memhp_vmem_dev_config dc = {
		.id = "vm0",
		.addr = DEV_ADDR,
		.region_size = DEV_SIZE,
		.flavor = flavor,
	};
	struct memhp_vmem_drv_params p;
	char err[QMP_ERR_MAX];
	int ret;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	tm_config(&cfg);
	cfg.auto_online_blocks = auto_online;
	if (rig_nodes > 1) {
		/* -smp 2 -numa node,cpus=0 -numa node,cpus=1: the boot RAM split. */
		cfg.nr_cpus = cfg.nr_nodes = rig_nodes;
		for (unsigned int n = 0; n < rig_nodes; n++) {
			cfg.nodes[n].mem_size = BASE_MEMORY / rig_nodes;
			cfg.nodes[n].cpus[0] = 1ULL << n;
		}
	}
	r->m = tm_create(&cfg);
	if (!r->m)
		return false;
	tm_defer(rig_down, r);
	/* Removing the driver with memory still added warns, as in 6.1. */
	tm_expect_violations(r->m, MEMHP_RULE_VIRTIO_MEM_MEMORY_LEFT);
	if (memhp_vmem_dev_create(r->m, &dc, &r->dev))
		return false;
	memhp_vmem_drv_params_init(&p);
	p.sync = true;
	if (memhp_vmem_drv_probe(r->m, r->dev, &p, &r->drv))
		return false;
	memhp_vmem_drv_process(r->drv);
	if (balloon) {
		struct memhp_vballoon_dev_config bc;

		memhp_vballoon_dev_config_init(&bc);
		bc.id = "balloon0";
		bc.ram_size = base_ram_size;
		if (memhp_vballoon_dev_create(r->m, &bc, &r->bdev))
			return false;
		r->qb = (struct qmp_balloon){ "balloon0", r->bdev };
	}
	if (balloon > 1) {
		struct memhp_vballoon_drv_params bp;

		memhp_vballoon_drv_params_init(&bp);
		bp.sync = true;
		if (memhp_vballoon_drv_probe(r->m, r->bdev, &bp, &r->bdrv))
			return false;
	}
	if (dimms) {
		struct memhp_acpi_memhp_drv_params ap;

		if (memhp_acpi_memhp_create(r->m, 2, &r->acpi))
			return false;
		memhp_acpi_memhp_drv_params_init(&ap);
		ap.sync = true;
		if (memhp_acpi_memhp_drv_probe(r->m, r->acpi, &ap, &r->acpi_drv))
			return false;
	}
	r->qdev = (struct qmp_device){ "vm0", "mem0", r->dev };
	r->vm = (struct qmp_vm){
		.m = r->m,
		.base_memory = BASE_MEMORY,
		.devices = &r->qdev,
		.nr_devices = 1,
		.balloon = balloon ? &r->qb : NULL,
		.slots = dimms ? 2 : 0,
		.maxmem = dimms ? 8 * MEMHP_GiB : 0,
		.dev_base = DEV_ADDR,
		/* maxmem - RAM, and 1 GiB of alignment room per slot */
		.dev_size = dimms ? 8 * MEMHP_GiB - BASE_MEMORY + 2 * MEMHP_GiB : DEV_SIZE,
		.acpi = r->acpi,
		.quit = on_quit,
		.priv = r,
		.size_change_rate_ms = rate_ms,
	};
	strcpy(r->dir, "/tmp/memhp-qmp-XXXXXX");
	if (!mkdtemp(r->dir)) {
		r->dir[0] = '\0';
		return false;
	}
	snprintf(r->path, sizeof(r->path), "%s/qmp.sock", r->dir);
	{
		char spec[160];

		snprintf(spec, sizeof(spec), "unix:%s", r->path);
		ret = qmp_server_start(spec, &r->vm, &r->server, err, sizeof(err));
	}
	if (ret)
		test_fail(__FILE__, __LINE__, "qmp_server_start: %s: %s", errno_name(ret), err);
	return !ret;
}

static bool rig_up_all(struct rig *r, unsigned int rate_ms, enum memhp_vmem_flavor flavor,
		       int balloon)
{
	return rig_up_full(r, rate_ms, flavor, balloon, false, MEMHP_MMOP_ONLINE_MOVABLE);
}

static bool rig_up_flavor(struct rig *r, unsigned int rate_ms, enum memhp_vmem_flavor flavor)
{
	return rig_up_all(r, rate_ms, flavor, 0);
}

/* The VM of the recording: -m 512M,slots=2,maxmem=8G and virtio-mem vm0. */
static bool rig_up_dimms(struct rig *r, enum memhp_online_type auto_online)
{
	return rig_up_full(r, 0, MEMHP_VMEM_QEMU, 0, true, auto_online);
}

static bool rig_up(struct rig *r, unsigned int rate_ms)
{
	return rig_up_flavor(r, rate_ms, MEMHP_VMEM_QEMU);
}

static uint64_t dev_requested(struct rig *r)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(r->dev, &c);
	return le64toh(c.requested_size);
}

static uint64_t dev_plugged(struct rig *r)
{
	struct memhp_virtio_mem_config c;

	memhp_vmem_dev_read_config(r->dev, &c);
	return le64toh(c.plugged_size);
}

/* ---- A client ---------------------------------------------------------------------- */

struct client {
	int fd;
	char buf[LINE_MAX_BYTES];
	size_t len;
	bool eof;
};

static bool client_open(struct client *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	return !connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void client_send(struct client *c, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void client_sends(struct client *c, const char *s)
{
	client_send(c, s, strlen(s));
}

/* Wait for bytes; false on EOF or when the deadline passes. */
static bool client_fill(struct client *c)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	ssize_t n;

	if (c->eof || c->len == sizeof(c->buf) - 1)
		return false;
	if (poll(&pfd, 1, REPLY_DEADLINE_MS) <= 0)
		return false;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return true;
}

/* The next line, CRLF included, in @out; false if none comes. */
static bool client_line(struct client *c, char *out, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			size_t n = (size_t)(nl - c->buf) + 1;

			if (n >= size)
				return false;
			memcpy(out, c->buf, n);
			out[n] = '\0';
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return true;
		}
		if (!client_fill(c))
			return false;
	}
}

/* True once the server closed the connection and nothing is left. */
static bool client_at_eof(struct client *c)
{
	while (!c->len && client_fill(c))
		;
	return !c->len && c->eof;
}

/* Send @req, expect exactly @want back (one line or several). */
#define XCHG(c, req, want)                                        \
	do {                                                      \
		client_sends((c), (req));                         \
		ASSERT_TRUE(expect_lines((c), (want), __LINE__)); \
	} while (0)

static bool expect_lines(struct client *c, const char *want, int line)
{
	char got[LINE_MAX_BYTES];
	size_t off = 0;

	while (want[off]) {
		const char *end = strstr(want + off, "\r\n");
		size_t n = end ? (size_t)(end - want - off) + 2 : strlen(want + off);

		if (!client_line(c, got, sizeof(got))) {
			test_fail(__FILE__, line, "no reply; expected: %.*s", (int)n, want + off);
			return false;
		}
		if (strlen(got) != n || memcmp(got, want + off, n)) {
			test_fail(__FILE__, line, "got:      %s# expected: %.*s", got, (int)n,
				  want + off);
			return false;
		}
		off += n;
	}
	return true;
}

/* Connect, check the greeting and leave capabilities negotiation. */
static bool client_ready(struct client *c, struct rig *r)
{
	if (!client_open(c, r->path))
		return false;
	return expect_lines(c, GREETING, __LINE__) &&
	       (client_sends(c, "{\"execute\": \"qmp_capabilities\"}"),
		expect_lines(c, OK, __LINE__));
}

/* An event line: everything but the timestamp's digits must match
 * "{"timestamp": {"seconds": N, "microseconds": N}, <rest>". */
static bool event_matches(const char *got, const char *rest)
{
	static const char a[] = "{\"timestamp\": {\"seconds\": ", b[] = ", \"microseconds\": ",
			  c[] = "}, ";
	const char *p = got;

	if (strncmp(p, a, sizeof(a) - 1))
		return false;
	for (p += sizeof(a) - 1; *p >= '0' && *p <= '9'; p++)
		;
	if (strncmp(p, b, sizeof(b) - 1))
		return false;
	for (p += sizeof(b) - 1; *p >= '0' && *p <= '9'; p++)
		;
	if (strncmp(p, c, sizeof(c) - 1))
		return false;
	return !strcmp(p + sizeof(c) - 1, rest);
}

static void client_down(void *arg)
{
	client_close(arg);
}

#define CLIENT(name, r)               \
	static struct client name;    \
	name.fd = -1;                 \
	tm_defer(client_down, &name); \
	ASSERT_TRUE(client_ready(&name, (r)))

/* ---- The greeting and capabilities negotiation ---------------------------------------- */

static void greeting_is_qemu_7_2s(void)
{
	static struct rig r;
	static struct client c;
	char line[LINE_MAX_BYTES];

	c.fd = -1;
	ASSERT_TRUE(rig_up(&r, 0));
	tm_defer(client_down, &c);
	ASSERT_TRUE(client_open(&c, r.path));
	ASSERT_TRUE(client_line(&c, line, sizeof(line)));
	ASSERT_STREQ(line, GREETING);
}

static void commands_before_qmp_capabilities_are_refused(void)
{
	static struct rig r;
	static struct client c;

	c.fd = -1;
	ASSERT_TRUE(rig_up(&r, 0));
	tm_defer(client_down, &c);
	ASSERT_TRUE(client_open(&c, r.path));
	ASSERT_TRUE(expect_lines(&c, GREETING, __LINE__));
	XCHG(&c, "{\"execute\": \"query-status\", \"id\": 7}",
	     "{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting "
	     "capabilities negotiation with 'qmp_capabilities'\"}}\r\n");
	/* Even a command memhp has, and quit. */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"size\"}}",
	     "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities "
	     "negotiation with 'qmp_capabilities'\"}}\r\n");
	XCHG(&c, "{\"execute\": \"quit\"}",
	     "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities "
	     "negotiation with 'qmp_capabilities'\"}}\r\n");
	/* Other errors are not reworded. */
	XCHG(&c, "[1, 2]",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON "
	     "object\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"x\"]}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'null' does not "
	     "accept value 'x'\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": \"oob\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for "
	     "'enable', expected: array\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\", 2]}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for "
	     "'enable[1]', expected: string\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"x\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'x' is "
	     "unexpected\"}}\r\n");
	/* exec-oob means nothing before "oob" is enabled. */
	XCHG(&c, "{\"exec-oob\": \"qmp_capabilities\"}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'exec-oob' "
	     "is unexpected\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qmp_capabilities\"}", OK);
	XCHG(&c, "{\"execute\": \"qmp_capabilities\", \"id\": \"x\"}",
	     "{\"id\": \"x\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities "
	     "negotiation is already complete, command ignored\"}}\r\n");
}

static void oob_capability_allows_exec_oob_which_no_command_supports(void)
{
	static struct rig r;
	static struct client c;

	c.fd = -1;
	ASSERT_TRUE(rig_up(&r, 0));
	tm_defer(client_down, &c);
	ASSERT_TRUE(client_open(&c, r.path));
	ASSERT_TRUE(expect_lines(&c, GREETING, __LINE__));
	XCHG(&c, "{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}", OK);
	XCHG(&c,
	     "{\"exec-oob\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"size\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"The command qom-get does not "
	     "support OOB\"}}\r\n");
	XCHG(&c, "{\"exec-oob\": \"nope\"}",
	     "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not "
	     "been found\"}}\r\n");
	XCHG(&c, "{\"exec-oob\": 1}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'exec-oob' "
	     "must be a string\"}}\r\n");
	/* Which one clashes depends on QDict order, not on the input's. */
	XCHG(&c, "{\"execute\": \"x\", \"exec-oob\": \"y\"}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' "
	     "clashes with 'exec-oob'\"}}\r\n");
	XCHG(&c, "{\"exec-oob\": \"y\", \"execute\": \"x\"}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'execute' "
	     "clashes with 'exec-oob'\"}}\r\n");
}

/* ---- Requests that are not commands ---------------------------------------------------- */

static void unknown_commands_and_request_shape_errors(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	/* The id is echoed as QEMU prints a QDict: keys in hash order,
	 * non-ASCII escaped. */
	XCHG(&c, "{\"execute\": \"nope\", \"id\": {\"b\": 1, \"a\": [1, 2.5, \"\\u00e9\\u007f\"]}}",
	     "{\"id\": {\"a\": [1, 2.5, \"\\u00E9\\u007F\"], \"b\": 1}, \"error\": {\"class\": "
	     "\"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}\r\n");
	XCHG(&c, "\"abc\"",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON "
	     "object\"}}\r\n");
	/* A number ends only when the next byte arrives. */
	XCHG(&c, "42{\"id\": 1}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input must be a JSON "
	     "object\"}}\r\n"
	     "{\"id\": 1, \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input lacks "
	     "member 'execute'\"}}\r\n");
	XCHG(&c, "{\"execute\": 1, \"id\": 2}",
	     "{\"id\": 2, \"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member "
	     "'execute' must be a string\"}}\r\n");
	XCHG(&c, "{\"execute\": \"query-memory-devices\", \"foo\": 1}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'foo' is "
	     "unexpected\"}}\r\n");
	XCHG(&c, "{\"execute\": \"query-memory-devices\", \"arguments\": []}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"QMP input member 'arguments' "
	     "must be an object\"}}\r\n");
	XCHG(&c, "{\"execute\": \"query-memory-devices\", \"arguments\": {\"a\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'a' is "
	     "unexpected\"}}\r\n");
	/* Numbers as QEMU holds them: integers up to UINT64_MAX, doubles
	 * with 17 digits. */
	XCHG(&c, "{\"id\": 18446744073709551615, \"execute\": \"x\"}",
	     "{\"id\": 18446744073709551615, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
	     "\"The command x has not been found\"}}\r\n");
	XCHG(&c, "{\"id\": 1e300, \"execute\": \"x\"}",
	     "{\"id\": 1.0000000000000001e+300, \"error\": {\"class\": \"CommandNotFound\", "
	     "\"desc\": \"The command x has not been found\"}}\r\n");
	XCHG(&c, "{\"id\": -0.0, \"execute\": \"x\"}",
	     "{\"id\": -0, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command x "
	     "has not been found\"}}\r\n");
	/* Two messages in one write, single quotes, \' and \u0000. */
	XCHG(&c, "{\"execute\":\"a\"} {'execute': 'b\\'', 'id': \"\\u0000\"}",
	     "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command a has not been "
	     "found\"}}\r\n"
	     "{\"id\": \"\\u0000\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
	     "command b' has not been found\"}}\r\n");
}

/* ---- Malformed JSON ------------------------------------------------------------------ */

static void malformed_json_is_answered_as_qemu_answers_it(void)
{
	static const struct {
		const char *in, *desc;
	} cases[] = {
		{ "{\"a\":1,}", "expecting value" },
		{ "{,}", "expecting value" },
		{ "{1:2}", "key is not a string in object" },
		{ "{[]:1}", "key is not a string in object" },
		{ "{[1,}:1}", "expecting value" },
		{ "{true:1}", "key is not a string in object" },
		{ "{foo:1}", "invalid keyword 'foo'" },
		{ "[1,]", "expecting value" },
		{ "[1 2]", "expected separator in list" },
		{ "{\"a\" 1}", "missing : in object pair" },
		{ "{\"a\":1 \"b\":2}", "expected separator in dict" },
		{ "{\"a\":1]", "expected separator in dict" },
		{ "{\"a\":}", "expecting value" },
		{ "{\"a\":1,\"a\":2}", "duplicate key" },
		{ "{\"a\":1,\"a\" 2}", "missing : in object pair" },
		{ "{\"a\":1,\"a\":x}", "invalid keyword 'x'" },
		{ "tru\n", "invalid keyword 'tru'" },
		{ "{\"a\":\"\\q\"}", "invalid escape sequence in string" },
		{ "{\"a\":\"\\uD800\"}", "\\\\uD800 is not a valid Unicode character" },
		{ "{\"a\":\"\\uD800\\u0041\"}", "\\\\uD800 is not a valid Unicode character" },
		{ "{\"a\":\"\\u12\"}", "\\\\u12\\\" is not a valid Unicode character" },
		{ "{\"a\":\"\\uFFFF\"}", "\\\\uFFFF is not a valid Unicode character" },
		{ "{\"execute\":\"\xef\xbf\xbf\"}", "invalid UTF-8 sequence in string" },
		{ "{\"execute\":\"\xed\xa0\x80\"}", "invalid UTF-8 sequence in string" },
		{ "{\"execute\":\"\xc3\"}", "invalid UTF-8 sequence in string" },
		{ "]", "expecting value" },
		{ "}", "expecting value" },
		{ "{]", "expecting value" },
		{ "@", "stray '@'" },
		{ "\"ab\x01", "stray '\\\"ab\\u0001'" },
		{ "\xff", "stray '\\uFFFD'" },
		{ "01 ", "stray '01'" },
	};
	static struct rig r;
	char want[1024];

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want),
			 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
			 "%s\"}}\r\n",
			 cases[i].desc);
		client_sends(&c, cases[i].in);
		ASSERT_TRUE(expect_lines(&c, want, __LINE__));
		/* After a stray byte QEMU skips to a structural character
		 * or a control character: end each case with a newline. */
		client_sends(&c, "\n");
	}
	/* One malformed message can be two errors: "[}" ends at "}", then
	 * "]" is a message of its own. */
	XCHG(&c, "[}]",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expecting "
	     "value\"}}\r\n{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, "
	     "expecting value\"}}\r\n");
	/* Recovery: the rest of a bad token is skipped, the next message
	 * after a structural character is served. */
	XCHG(&c, "\xfe{\"execute\": \"x\"}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray "
	     "'\\uFFFD'\"}}\r\n{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
	     "command x has not been found\"}}\r\n");
	{
		/* QEMU's nesting limit is 1024. */
		char deep[1027];

		memset(deep, '[', 1025);
		deep[1025] = '\n';
		deep[1026] = '\0';
		XCHG(&c, deep,
		     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON nesting depth "
		     "limit exceeded\"}}\r\n");
	}
	/* A key holding a NUL (QEMU keeps it as C0 80). */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"size\", "
	     "\"a\\u0000b\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'a\\u0000b' is "
	     "unexpected\"}}\r\n");
}

static void rejected_input_changes_nothing(void)
{
	static const char *const bad[] = {
		/* broken JSON around a valid qom-set */
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152}\n]",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152}, \"x\": 1}",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152, \"x\": 1}}",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152, \"value\": 4194304}}",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": \"2M\"}}",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 3145728}}",
		"{\"exec\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152}}",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152}, \"id\": \xff}",
		"{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
		"\"requested-size\", \"value\": 2097152}", /* never completed... */
		"]",					   /* ...but ended */
	};
	static struct rig r;
	char line[LINE_MAX_BYTES];
	struct memhp_vmem_dev_stats before, after;

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	memhp_vmem_dev_stats(r.dev, &before);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		client_sends(&c, bad[i]);
		client_sends(&c, "\n");
	}
	/* A last, valid request: everything before its reply is an error
	 * (one bad input can be two errors, as in QEMU). */
	client_sends(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", "
			 "\"property\": \"requested-size\"}}");
	for (;;) {
		ASSERT_TRUE(client_line(&c, line, sizeof(line)));
		if (!strcmp(line, "{\"return\": 0}\r\n"))
			break;
		ASSERT_TRUE(strstr(line, "\"error\": {\"class\": ") != NULL);
	}
	ASSERT_OK(memhp_vmem_dev_flush(r.dev));
	memhp_vmem_dev_stats(r.dev, &after);
	ASSERT_EQ(dev_requested(&r), 0);
	ASSERT_EQ(after.config_changes, before.config_changes);
}

/* ---- qom-get ---------------------------------------------------------------------------- */

static void qom_get_reads_the_device_properties(void)
{
	static const struct {
		const char *path, *prop, *ret;
	} cases[] = {
		{ "/machine/peripheral/vm0", "size", "0" },
		{ "vm0", "requested-size", "0" },
		{ "vm0", "block-size", "2097152" },
		{ "vm0", "memaddr", "4294967296" },
		{ "vm0", "node", "0" },
		{ "vm0", "memdev", "\"/objects/mem0\"" },
		{ "vm0", "type", "\"virtio-mem-pci\"" },
		{ "vm0", "prealloc", "false" },
		{ "vm0", "unplugged-inaccessible", "\"off\"" },
		{ "vm0", "realized", "true" },
		{ "peripheral/vm0", "type", "\"virtio-mem-pci\"" },
		{ "//machine/peripheral/vm0/", "size", "0" },
		{ "/machine/peripheral/vm0/virtio-backend", "type", "\"virtio-mem\"" },
		{ "virtio-backend", "size", "0" },
		{ "/machine/peripheral/vm0/memdev", "type", "\"memory-backend-ram\"" },
		{ "mem0", "size", "4294967296" },
		{ "/objects/mem0", "type", "\"memory-backend-ram\"" },
		{ "/machine", "type", "\"pc-q35-7.2-machine\"" },
		{ "/machine/peripheral", "type", "\"container\"" },
		{ "/", "type", "\"container\"" },
	};
	static struct rig r;
	char req[512], want[512];

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"%s\", "
			 "\"property\": "
			 "\"%s\"}}",
			 cases[i].path, cases[i].prop);
		snprintf(want, sizeof(want), "{\"return\": %s}\r\n", cases[i].ret);
		XCHG(&c, req, want);
	}
}

static void qom_get_errors_are_qemus(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm1\", \"property\": "
	     "\"size\"}}",
	     "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'vm1' not "
	     "found\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"nope\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Property "
	     "'virtio-mem-pci.nope' not found\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/objects/mem0\", "
	     "\"property\": \"nope\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Property "
	     "'memory-backend-ram.nope' not found\"}}\r\n");
	/* "memdev" is a link on the device and an alias on its proxy: as a
	 * partial path it is ambiguous, so not found. */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"memdev\", \"property\": "
	     "\"type\"}}",
	     "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'memdev' not "
	     "found\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"\", \"property\": \"type\"}}",
	     "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device '' not found\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'property' is "
	     "missing\"}}\r\n");
	XCHG(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": 1, \"property\": \"size\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter type for "
	     "'path', expected: string\"}}\r\n");
	/* Several unexpected arguments: the first in GLib hash-table order. */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"size\", \"x\": 1, \"y\": 2, \"z\": 3}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'z' is "
	     "unexpected\"}}\r\n");
}

/* ---- qom-set ---------------------------------------------------------------------------- */

static void qom_set_requested_size_errors_are_qemus_and_change_nothing(void)
{
	static const struct {
		const char *value, *desc;
	} cases[] = {
		{ "3145728", "'requested-size' has to be multiples of 'block-size' (0x200000)" },
		{ "8589934592",
		  "'requested-size' cannot exceed the memory backend size(0x100000000)" },
		{ "\"1G\"", "Parameter 'requested-size' expects uint64" },
		{ "1.5", "Parameter 'requested-size' expects uint64" },
		{ "1e19", "Parameter 'requested-size' expects uint64" },
		{ "null", "Parameter 'requested-size' expects uint64" },
		/* QEMU casts negative integers */
		{ "-2097152",
		  "'requested-size' cannot exceed the memory backend size(0x100000000)" },
		{ "18446744073709551615",
		  "'requested-size' has to be multiples of 'block-size' (0x200000)" },
	};
	static struct rig r;
	char req[512], want[512];

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
			 "\"property\": "
			 "\"requested-size\", \"value\": %s}}",
			 cases[i].value);
		snprintf(want, sizeof(want),
			 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"%s\"}}\r\n",
			 cases[i].desc);
		XCHG(&c, req, want);
		ASSERT_EQ(dev_requested(&r), 0);
	}
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"requested-size\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'value' is "
	     "missing\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"nope\", \"property\": "
	     "\"size\", \"value\": 1}}",
	     "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'nope' not "
	     "found\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"nope\", \"value\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Property "
	     "'virtio-mem-pci.nope' not found\"}}\r\n");
	ASSERT_EQ(dev_requested(&r), 0);
}

static void qom_set_read_only_properties_are_refused_as_qemu_refuses_them(void)
{
	static const struct {
		const char *prop, *value, *desc;
	} cases[] = {
		{ "size", "0", "Property 'virtio-mem.size' is not writable" },
		{ "block-size", "4194304", "'block-size' cannot be changed" },
		{ "block-size", "\"x\"", "'block-size' cannot be changed" },
		{ "memaddr", "0",
		  "Attempt to set property 'memaddr' on anonymous device (type 'virtio-mem') after "
		  "it was realized" },
		{ "node", "0",
		  "Attempt to set property 'node' on anonymous device (type 'virtio-mem') after it "
		  "was realized" },
		{ "prealloc", "true",
		  "Attempt to set property 'prealloc' on anonymous device (type 'virtio-mem') "
		  "after "
		  "it was realized" },
		{ "memdev", "\"mem0\"",
		  "Attempt to set link property 'memdev' on device '(null)' (type 'virtio-mem') "
		  "after it was realized" },
		{ "memdev", "\"\"",
		  "Attempt to set link property 'memdev' on device '(null)' (type 'virtio-mem') "
		  "after it was realized" },
		{ "memdev", "5", "Invalid parameter type for 'memdev', expected: string" },
		{ "memdev", "\"/machine\"",
		  "Invalid parameter type for 'memdev', expected: memory-backend" },
		{ "memdev", "\"memdev\"", "Path 'memdev' does not uniquely identify an object" },
		{ "type", "\"x\"", "Property 'virtio-mem-pci.type' is not writable" },
		{ "realized", "\"x\"", "Invalid parameter type for 'realized', expected: boolean" },
	};
	static struct rig r;
	char req[512], want[512];

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", "
			 "\"property\": "
			 "\"%s\", \"value\": %s}}",
			 cases[i].prop, cases[i].value);
		snprintf(want, sizeof(want),
			 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"%s\"}}\r\n",
			 cases[i].desc);
		XCHG(&c, req, want);
	}
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"memdev\", \"value\": \"nothere\"}}",
	     "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'nothere' not "
	     "found\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"mem0\", \"property\": "
	     "\"size\", \"value\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"cannot change property size of "
	     "memory-backend-ram \"}}\r\n");
	/* realized=true on a realized device is a no-op, as in QEMU. */
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"realized\", \"value\": true}}",
	     OK);
}

/* ---- Queries, resizing and events --------------------------------------------------------- */

#define DEVICES_FMT                                                                           \
	"{\"return\": [{\"type\": \"virtio-mem\", \"data\": {\"memdev\": \"/objects/mem0\", " \
	"\"memaddr\": 4294967296, \"block-size\": 2097152, \"size\": %llu, \"node\": 0, "     \
	"\"max-size\": 4294967296, \"requested-size\": %llu, \"id\": \"vm0\"}}]}\r\n"
#define SUMMARY_FMT "{\"return\": {\"base-memory\": 536870912, \"plugged-memory\": %llu}}\r\n"
#define SIZE_CHANGE_FMT                                                                       \
	"\"event\": \"MEMORY_DEVICE_SIZE_CHANGE\", \"data\": {\"size\": %llu, \"qom-path\": " \
	"\"/machine/peripheral/vm0\", \"id\": \"vm0\"}}\r\n"

static void queries_describe_the_device_and_the_memory(void)
{
	static struct rig r;
	char want[1024];

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	snprintf(want, sizeof(want), DEVICES_FMT, 0ULL, 0ULL);
	XCHG(&c, "{\"execute\": \"query-memory-devices\"}", want);
	snprintf(want, sizeof(want), SUMMARY_FMT, 0ULL);
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\"}", want);
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\", \"id\": [1, {\"x\": null}]}",
	     "{\"return\": {\"base-memory\": 536870912, \"plugged-memory\": 0}, \"id\": [1, "
	     "{\"x\": "
	     "null}]}\r\n");
}

/* Read lines until the size-change event for @size; count those before. */
static bool wait_size_event(struct client *c, unsigned long long size, unsigned int *events)
{
	char line[LINE_MAX_BYTES], rest[512];

	snprintf(rest, sizeof(rest), SIZE_CHANGE_FMT, size);
	while (client_line(c, line, sizeof(line))) {
		if (!strstr(line, "MEMORY_DEVICE_SIZE_CHANGE")) {
			test_fail(__FILE__, __LINE__, "not an event: %s", line);
			return false;
		}
		(*events)++;
		if (event_matches(line, rest))
			return true;
	}
	test_fail(__FILE__, __LINE__, "no MEMORY_DEVICE_SIZE_CHANGE for %llu", size);
	return false;
}

static void qom_set_requested_size_makes_the_driver_plug_and_size_change_follows(void)
{
	static struct rig r;
	char want[1024];
	unsigned int events = 0;
	const unsigned long long size = 256 * MEMHP_MiB;

	/* QEMU's rate limit: the first event at once, the last one within
	 * a second. */
	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"requested-size\", \"value\": 268435456}, \"id\": 1}",
	     "{\"return\": {}, \"id\": 1}\r\n");
	/* The reply came before the guest did anything. */
	ASSERT_EQ(dev_plugged(&r), 0);
	ASSERT_EQ(dev_requested(&r), size);
	/* The config change reaches the driver, which plugs. */
	ASSERT_OK(memhp_vmem_dev_flush(r.dev));
	memhp_vmem_drv_process(r.drv);
	ASSERT_EQ(dev_plugged(&r), size);
	ASSERT_TRUE(wait_size_event(&c, size, &events));
	/* 256 MiB is two memory blocks, plugged one at a time: the first
	 * event went out at once, the second was held for the rate limit. */
	ASSERT_EQ(events, 2);
	snprintf(want, sizeof(want), DEVICES_FMT, size, size);
	XCHG(&c, "{\"execute\": \"query-memory-devices\"}", want);
	snprintf(want, sizeof(want), SUMMARY_FMT, size);
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\"}", want);
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"size\"}}",
	     "{\"return\": 268435456}\r\n");

	/* And back to 0: the driver unplugs. */
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"requested-size\", \"value\": 0}}",
	     OK);
	ASSERT_OK(memhp_vmem_dev_flush(r.dev));
	memhp_vmem_drv_process(r.drv);
	ASSERT_EQ(dev_plugged(&r), 0);
	events = 0;
	ASSERT_TRUE(wait_size_event(&c, 0, &events));
}

static void events_wait_for_capabilities_negotiation(void)
{
	static struct rig r;
	static struct client c;
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE] = { 0 }, resp[MEMHP_VIRTIO_MEM_RESP_SIZE];
	uint64_t addr = htole64(DEV_ADDR);
	uint16_t nb = htole16(1);
	unsigned int events = 0;

	c.fd = -1;
	ASSERT_TRUE(rig_up(&r, 10));
	tm_defer(client_down, &c);
	ASSERT_TRUE(client_open(&c, r.path));
	ASSERT_TRUE(expect_lines(&c, GREETING, __LINE__));
	/* A plug while the client negotiates: QEMU sends no event. */
	ASSERT_OK(memhp_vmem_dev_set_requested_size(r.dev, 2 * MEMHP_MiB));
	ASSERT_OK(memhp_vmem_dev_flush(r.dev));
	memcpy(req + 8, &addr, sizeof(addr));
	memcpy(req + 16, &nb, sizeof(nb));
	ASSERT_OK(memhp_vmem_dev_request(r.dev, req, sizeof(req), resp, sizeof(resp)));
	ASSERT_EQ(resp[0], MEMHP_VIRTIO_MEM_RESP_ACK);
	XCHG(&c, "{\"execute\": \"qmp_capabilities\"}", OK);
	/* Now one comes: an UNPLUG_ALL. */
	memset(req, 0, sizeof(req));
	req[0] = MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL;
	ASSERT_OK(memhp_vmem_dev_request(r.dev, req, sizeof(req), resp, sizeof(resp)));
	ASSERT_TRUE(wait_size_event(&c, 0, &events));
	ASSERT_EQ(events, 1);
}

/* ---- quit and the connection ------------------------------------------------------------ */

static void quit_sends_shutdown_then_the_reply_and_hangs_up(void)
{
	static struct rig r;
	char line[LINE_MAX_BYTES];

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	client_sends(&c, "{\"execute\": \"quit\", \"id\": 9}{\"execute\": \"qmp_capabilities\"}");
	ASSERT_TRUE(client_line(&c, line, sizeof(line)));
	ASSERT_TRUE(event_matches(line, "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, "
					"\"reason\": \"host-qmp-quit\"}}\r\n"));
	ASSERT_TRUE(expect_lines(&c, "{\"return\": {}, \"id\": 9}\r\n", __LINE__));
	/* Nothing after quit is looked at. */
	ASSERT_TRUE(client_at_eof(&c));
	pthread_mutex_lock(&r.lock);
	while (!r.quits)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	ASSERT_EQ(r.quits, 1);
}

static void one_client_at_a_time(void)
{
	static struct rig r;
	static struct client second;
	char line[LINE_MAX_BYTES];

	second.fd = -1;
	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(first, &r);
	tm_defer(client_down, &second);
	/* The second connection waits in the backlog, unanswered... */
	ASSERT_TRUE(client_open(&second, r.path));
	XCHG(&first,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"size\"}}",
	     "{\"return\": 0}\r\n");
	client_sends(&second, "{\"execute\": \"qmp_capabilities\"}");
	/* ...until the first one hangs up; then it gets a fresh session and
	 * what it had sent is served. */
	client_close(&first);
	ASSERT_TRUE(client_line(&second, line, sizeof(line)));
	ASSERT_STREQ(line, GREETING);
	ASSERT_TRUE(expect_lines(&second, OK, __LINE__));
}

/* ---- Starting the server ---------------------------------------------------------------- */

static void start_refuses_bad_specs_and_vms(void)
{
	static struct rig r;
	struct qmp_server *s = NULL;
	struct qmp_device bad = { "0bad", "mem0", NULL };
	struct qmp_vm vm;
	char err[QMP_ERR_MAX], spec[256], file[160];
	char longpath[200];
	int fd;

	ASSERT_TRUE(rig_up(&r, 0));
	vm = r.vm;
	ASSERT_ERR(qmp_server_start("tcp:localhost:4444", &vm, &s, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(strstr(err, "unix:PATH") != NULL);
	ASSERT_ERR(qmp_server_start("unix:", &vm, &s, err, sizeof(err)), -EINVAL);
	snprintf(spec, sizeof(spec), "unix:%s/x.sock,wait=on", r.dir);
	ASSERT_ERR(qmp_server_start(spec, &vm, &s, err, sizeof(err)), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(spec, sizeof(spec), "unix:/tmp/%s", longpath);
	ASSERT_ERR(qmp_server_start(spec, &vm, &s, err, sizeof(err)), -ENAMETOOLONG);
	/* Not a socket: left alone. */
	snprintf(file, sizeof(file), "%s/file", r.dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	snprintf(spec, sizeof(spec), "unix:%s", file);
	ASSERT_ERR(qmp_server_start(spec, &vm, &s, err, sizeof(err)), -EEXIST);
	unlink(file);
	/* A device needs a well-formed id, a memdev and a device. */
	vm.devices = &bad;
	snprintf(spec, sizeof(spec), "unix:%s/y.sock", r.dir);
	ASSERT_ERR(qmp_server_start(spec, &vm, &s, err, sizeof(err)), -EINVAL);
	ASSERT_TRUE(s == NULL);
	ASSERT_ERR(qmp_server_start(spec, NULL, &s, NULL, 0), -EINVAL);
	/* The running server's stale socket is replaced by a new server
	 * with QEMU's options. */
	vm = r.vm;
	snprintf(spec, sizeof(spec), "unix:%s/z.sock,server=on,wait=off", r.dir);
	ASSERT_OK(qmp_server_start(spec, &vm, &s, err, sizeof(err)));
	qmp_server_stop(s);
	ASSERT_OK(qmp_server_start(spec, &vm, &s, err, sizeof(err)));
	snprintf(file, sizeof(file), "%s/z.sock", r.dir);
	ASSERT_STREQ(qmp_server_path(s), file);
	qmp_server_stop(s);
	qmp_server_stop(NULL);
}

/* ---- Where memhp differs from QEMU (docs/qmp.md) ---------------------------------------- */

/* ---- The balloon -------------------------------------------------------------------------- */

#define NOT_ACTIVE                                                                             \
	"{\"error\": {\"class\": \"DeviceNotActive\", \"desc\": \"No balloon device has been " \
	"activated\"}}\r\n"

static void balloon_commands_without_a_balloon_are_device_not_active(void)
{
	static struct rig r;

	/* QEMU 7.2 without -device virtio-balloon-pci. */
	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	XCHG(&c, "{\"execute\": \"query-balloon\"}", NOT_ACTIVE);
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 1}}", NOT_ACTIVE);
	/* The arguments are checked first. */
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 1, \"x\": 2}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'x' is "
	     "unexpected\"}}\r\n");
}

static void balloon_argument_errors_are_qemus(void)
{
	static struct rig r;
	static const char *const not_integer[] = { "\"1\"", "1.5", "18446744073709551615", "null",
						   "true" };
	const char *expects_size = "{\"error\": {\"class\": \"GenericError\", \"desc\": "
				   "\"Parameter 'target' expects a size\"}}\r\n";
	char req[256];

	ASSERT_TRUE(rig_up_all(&r, 0, MEMHP_VMEM_QEMU, 1));
	CLIENT(c, &r);
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 0}}", expects_size);
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": -1}}", expects_size);
	for (size_t i = 0; i < sizeof(not_integer) / sizeof(not_integer[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\": \"balloon\", \"arguments\": {\"value\": %s}}",
			 not_integer[i]);
		XCHG(&c, req,
		     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter "
		     "type for 'value', expected: integer\"}}\r\n");
	}
	XCHG(&c, "{\"execute\": \"balloon\"}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'value' is "
	     "missing\"}}\r\n");
	XCHG(&c, "{\"execute\": \"query-balloon\", \"arguments\": {\"x\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'x' is "
	     "unexpected\"}}\r\n");
	/* Nothing changed, and without a driver nothing would. */
	XCHG(&c, "{\"execute\": \"query-balloon\"}", "{\"return\": {\"actual\": 536870912}}\r\n");
	/* A target above the RAM size is an empty balloon; INT64_MAX is fine. */
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 9223372036854775807}}", OK);
}

/* A BALLOON_CHANGE event for @actual, or false after the deadline. */
static bool wait_balloon_event(struct client *c, unsigned long long actual, unsigned int *events)
{
	char line[LINE_MAX_BYTES], rest[256];

	snprintf(rest, sizeof(rest),
		 "\"event\": \"BALLOON_CHANGE\", \"data\": {\"actual\": %llu}}\r\n", actual);
	while (client_line(c, line, sizeof(line))) {
		if (!strstr(line, "BALLOON_CHANGE")) {
			test_fail(__FILE__, __LINE__, "not a BALLOON_CHANGE: %s", line);
			return false;
		}
		(*events)++;
		if (event_matches(line, rest))
			return true;
	}
	test_fail(__FILE__, __LINE__, "no BALLOON_CHANGE for %llu", actual);
	return false;
}

static void balloon_inflates_and_balloon_change_follows_rate_limited(void)
{
	static struct rig r;
	unsigned int events = 0;
	struct memhp_meminfo mi0, mi1;

	ASSERT_TRUE(rig_up_all(&r, 0, MEMHP_VMEM_QEMU, 2));
	CLIENT(c, &r);
	memhp_meminfo(r.m, &mi0);
	XCHG(&c, "{\"execute\": \"query-balloon\"}", "{\"return\": {\"actual\": 536870912}}\r\n");
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 532676608}, \"id\": 3}",
	     "{\"return\": {}, \"id\": 3}\r\n");
	/* The reply comes at once; the guest works on its own time. */
	memhp_vballoon_drv_process(r.bdrv);
	/* QEMU 7.2 + Linux 6.1 (case j): the first event says 1 MiB, at
	 * once; the later ones are held for a second and only the last goes
	 * out. */
	ASSERT_TRUE(wait_balloon_event(&c, 536870912ULL - MEMHP_MiB, &events));
	ASSERT_TRUE(wait_balloon_event(&c, 532676608ULL, &events));
	ASSERT_EQ(events, 2);
	XCHG(&c, "{\"execute\": \"query-balloon\"}", "{\"return\": {\"actual\": 532676608}}\r\n");
	/* Linux: MemTotal falls by the balloon. */
	memhp_meminfo(r.m, &mi1);
	ASSERT_EQ(mi0.total_pages - mi1.total_pages, 1024);
	ASSERT_EQ(memhp_vmstat(r.m, MEMHP_BALLOON_INFLATE), 1024);
	/* And back. */
	XCHG(&c, "{\"execute\": \"balloon\", \"arguments\": {\"value\": 536870912}}", OK);
	memhp_vballoon_drv_process(r.bdrv);
	events = 0;
	ASSERT_TRUE(wait_balloon_event(&c, 536870912ULL, &events));
	memhp_meminfo(r.m, &mi1);
	ASSERT_EQ(mi1.total_pages, mi0.total_pages);
}

#define MAXU64 "18446744073709551615"

static void balloon_guest_stats_and_their_properties_are_qemus(void)
{
	static struct rig r;
	static const char *const interval_errors[][2] = {
		{ "-1", "timer value must be greater than zero" },
		{ "4294967296", "timer value is too big" },
		{ "\"x\"",
		  "Invalid parameter type for 'guest-stats-polling-interval', expected: integer" },
	};
	char req[512], want[512];

	/* No driver yet: what QEMU 7.2 says before the guest sent any. */
	ASSERT_TRUE(rig_up_all(&r, 0, MEMHP_VMEM_QEMU, 1));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"guest-stats\"}}",
	     "{\"return\": {\"stats\": {\"stat-htlb-pgalloc\": " MAXU64
	     ", \"stat-swap-out\": " MAXU64 ", \"stat-available-memory\": " MAXU64
	     ", \"stat-htlb-pgfail\": " MAXU64 ", \"stat-free-memory\": " MAXU64
	     ", \"stat-minor-faults\": " MAXU64 ", \"stat-major-faults\": " MAXU64
	     ", \"stat-total-memory\": " MAXU64 ", \"stat-swap-in\": " MAXU64
	     ", \"stat-disk-caches\": " MAXU64 "}, \"last-update\": 0}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"guest-stats-polling-interval\"}}",
	     "{\"return\": 0}\r\n");
	for (size_t i = 0; i < sizeof(interval_errors) / sizeof(interval_errors[0]); i++) {
		snprintf(req, sizeof(req),
			 "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"balloon0\", "
			 "\"property\": \"guest-stats-polling-interval\", \"value\": %s}}",
			 interval_errors[i][0]);
		snprintf(want, sizeof(want),
			 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"%s\"}}\r\n",
			 interval_errors[i][1]);
		XCHG(&c, req, want);
	}
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"guest-stats-polling-interval\", \"value\": 2}}",
	     OK);
	/* The backend holds the property; the proxy aliases it. */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0/virtio-backend\", "
	     "\"property\": \"guest-stats-polling-interval\"}}",
	     "{\"return\": 2}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"guest-stats\", \"value\": 1}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Property "
	     "'virtio-balloon-device.guest-stats' is not writable\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"type\"}}",
	     "{\"return\": \"virtio-balloon-pci\"}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0/virtio-backend\", "
	     "\"property\": \"type\"}}",
	     "{\"return\": \"virtio-balloon-device\"}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"deflate-on-oom\"}}",
	     "{\"return\": false}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"free-page-reporting\"}}",
	     "{\"return\": false}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"deflate-on-oom\", \"value\": true}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Attempt to set property "
	     "'deflate-on-oom' on anonymous device (type 'virtio-balloon-device') after it was "
	     "realized\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"balloon0\", \"property\": "
	     "\"guest-stats-polling-interval\", \"value\": 0}}",
	     OK);
}

static void balloon_guest_stats_carry_the_guests_meminfo(void)
{
	static struct rig r;
	struct memhp_meminfo mi;
	char want[1024];

	/* The driver primes the stats queue at probe, as init_vqs() does. */
	ASSERT_TRUE(rig_up_all(&r, 0, MEMHP_VMEM_QEMU, 2));
	CLIENT(c, &r);
	memhp_meminfo(r.m, &mi);
	/* Linux 6.1 (case j): stat-total-memory and stat-free-memory are
	 * MemTotal and MemFree in bytes; memhp has no swap, faults or
	 * hugetlb. Only the start of the reply is fixed here (available
	 * memory and last-update depend on the moment). */
	snprintf(want, sizeof(want),
		 "{\"return\": {\"stats\": {\"stat-htlb-pgalloc\": 0, \"stat-swap-out\": 0, "
		 "\"stat-available-memory\": ");
	client_sends(&c, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"balloon0\", "
			 "\"property\": \"guest-stats\"}}");
	{
		char line[LINE_MAX_BYTES], tail[256];

		ASSERT_TRUE(client_line(&c, line, sizeof(line)));
		ASSERT_TRUE(!strncmp(line, want, strlen(want)));
		snprintf(tail, sizeof(tail),
			 "\"stat-free-memory\": %llu, \"stat-minor-faults\": 0, "
			 "\"stat-major-faults\": 0, \"stat-total-memory\": %llu, \"stat-swap-in\": "
			 "0, "
			 "\"stat-disk-caches\": 0}, \"last-update\": ",
			 (unsigned long long)mi.free_pages * 4096,
			 (unsigned long long)mi.total_pages * 4096);
		ASSERT_TRUE(strstr(line, tail) != NULL);
	}
}

/* ---- DIMMs at run time -------------------------------------------------------------- */

#define ERR(desc) "{\"error\": {\"class\": \"GenericError\", \"desc\": \"" desc "\"}}\r\n"
#define NOT_FOUND_ERR(desc) \
	"{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"" desc "\"}}\r\n"

static void object_add_and_del_errors_are_qemus(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up_dimms(&r, MEMHP_MMOP_ONLINE_MOVABLE));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m1\", \"size\": 1073741824}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m1\", \"size\": 1073741824}}",
	     ERR("attempt to add duplicate property 'm1' to object (type 'container')"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m2\"}}",
	     ERR("Parameter 'size' is missing"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m2\", \"size\": 0}}",
	     ERR("property 'size' of memory-backend-ram doesn't take value '0'"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"a b\", \"size\": 1048576}}",
	     ERR("Parameter 'id' expects an identifier"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"../../x\", \"size\": 1048576}}",
	     ERR("Parameter 'id' expects an identifier"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m2\", \"size\": \"1G\"}}",
	     ERR("Parameter 'size' expects uint64"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m3\", \"size\": 1073741824, \"foo\": 1}}",
	     ERR("Parameter 'foo' is unexpected"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-foo\", "
	     "\"id\": \"m3\", \"size\": 1073741824}}",
	     ERR("Parameter 'qom-type' does not accept value 'memory-backend-foo'"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"size\": 1073741824}}",
	     ERR("Parameter 'id' is missing"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"id\": \"m10\", \"size\": 1048576}}",
	     ERR("Parameter 'qom-type' is missing"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m9\", \"size\": 1048576, \"prealloc\": \"yes\"}}",
	     ERR("Invalid parameter type for 'prealloc', expected: boolean"));
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m9\", \"size\": 1048576, \"share\": true, \"merge\": false, \"dump\": "
	     "false, \"prealloc\": false}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/objects/m9\", \"property\": "
	     "\"size\"}}",
	     "{\"return\": 1048576}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/objects/pc.ram\", "
	     "\"property\": \"size\"}}",
	     "{\"return\": 536870912}\r\n");
	XCHG(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m9\"}}", OK);
	XCHG(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m9\"}}",
	     ERR("object 'm9' not found"));
	XCHG(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"mem0\"}}",
	     ERR("object 'mem0' is in use, can not be deleted"));
	XCHG(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"pc.ram\"}}",
	     ERR("object 'pc.ram' is in use, can not be deleted"));
}

static void device_add_errors_are_qemus_in_qemus_order(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up_dimms(&r, MEMHP_MMOP_ONLINE_MOVABLE));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m1\", \"size\": 1073741824}}",
	     OK);
	/* q35's root bus takes no hotplug: neither virtio-mem nor the
	 * balloon can come or go. */
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"virtio-mem-pci\", "
	     "\"id\": "
	     "\"vm1\", \"memdev\": \"m1\"}}",
	     ERR("Bus 'pcie.0' does not support hotplugging"));
	XCHG(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"vm0\"}}",
	     ERR("Bus 'pcie.0' does not support hotplugging"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"virtio-balloon-pci\", "
	     "\"id\": \"b0\"}}",
	     ERR("Bus 'pcie.0' does not support hotplugging"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"nope\", \"id\": \"x\"}}",
	     ERR("'nope' is not a valid device model name"));
	XCHG(&c, "{\"execute\": \"device_add\", \"arguments\": {\"id\": \"x\"}}",
	     ERR("Parameter 'driver' is missing"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": \"a "
	     "b\", "
	     "\"memdev\": \"m1\"}}",
	     ERR("Parameter 'id' expects an identifier"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", "
	     "\"memdev\": \"m1\", \"foo\": 1}}",
	     ERR("Property 'pc-dimm.foo' not found"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", "
	     "\"memdev\": \"m1\", \"slot\": 7}}",
	     ERR("invalid slot number 7, valid range is [0-1]"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", "
	     "\"memdev\": \"m1\", \"addr\": 4294967297}}",
	     ERR("address must be aligned to 0x200000 bytes"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"vm0\", "
	     "\"memdev\": \"m1\"}}",
	     ERR("Duplicate device ID 'vm0'"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", "
	     "\"memdev\": \"nope\"}}",
	     NOT_FOUND_ERR("Device 'nope' not found"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\"}}",
	     ERR("'memdev' property must be set"));
	/* An anonymous DIMM whose realize fails still took device[0]. */
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"memdev\": "
	     "\"mem0\"}}",
	     ERR("not enough space, currently 0x100000000 in use of total space for memory devices "
		 "0x1e0000000"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"memdev\": "
	     "\"m1\"}}",
	     OK);
	XCHG(&c, "{\"execute\": \"query-memory-devices\"}",
	     "{\"return\": [{\"type\": \"virtio-mem\", \"data\": {\"memdev\": \"/objects/mem0\", "
	     "\"memaddr\": 4294967296, \"block-size\": 2097152, \"size\": 0, \"node\": 0, "
	     "\"max-size\": 4294967296, \"requested-size\": 0, \"id\": \"vm0\"}}, {\"type\": "
	     "\"dimm\", \"data\": {\"memdev\": \"/objects/m1\", \"hotplugged\": true, \"addr\": "
	     "8589934592, \"hotpluggable\": true, \"size\": 1073741824, \"slot\": 0, \"node\": "
	     "0}}]}\r\n");
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\"}",
	     "{\"return\": {\"base-memory\": 536870912, \"plugged-memory\": 1073741824}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"device_del\", \"arguments\": {\"id\": "
	     "\"/machine/peripheral-anon/device[0]\"}}",
	     NOT_FOUND_ERR("Device '/machine/peripheral-anon/device[0]' not found"));
	XCHG(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"mem0\"}}",
	     NOT_FOUND_ERR("Device 'mem0' not found"));
	XCHG(&c, "{\"execute\": \"device_del\"}", ERR("Parameter 'id' is missing"));
	XCHG(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m1\"}}",
	     ERR("object 'm1' is in use, can not be deleted"));
	/* The next DIMM finds no free slot... there are two; and then none. */
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m2\", \"size\": 1073741824}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m3\", \"size\": 1073741824}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", "
	     "\"memdev\": \"m1\"}}",
	     ERR("can't use already busy memdev: m1"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", "
	     "\"memdev\": \"m2\", \"slot\": 0}}",
	     ERR("slot 0 is busy"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", "
	     "\"memdev\": \"m2\"}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d3\", "
	     "\"memdev\": \"m3\"}}",
	     ERR("no free slots available"));
}

/* The next line: an event whose data (all after the timestamp) is @rest. */
static bool expect_event(struct client *c, const char *rest, int line)
{
	char got[LINE_MAX_BYTES];

	if (!client_line(c, got, sizeof(got))) {
		test_fail(__FILE__, line, "no event; expected: %s", rest);
		return false;
	}
	if (!event_matches(got, rest)) {
		test_fail(__FILE__, line, "got:      %s# expected: {\"timestamp\": ...}, %s", got,
			  rest);
		return false;
	}
	return true;
}
#define EVENT(c, rest) ASSERT_TRUE(expect_event((c), (rest), __LINE__))

static void dimm_comes_and_goes_with_the_events_qemu_sends(void)
{
	static struct rig r;
	struct memhp_block_info bi;
	unsigned long blk;

	ASSERT_TRUE(rig_up_dimms(&r, MEMHP_MMOP_ONLINE_MOVABLE));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m1\", \"size\": 134217728}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", "
	     "\"memdev\": \"m1\"}}",
	     OK);
	/* The guest's ACPI work adds and onlines it, then _OST. */
	ASSERT_EQ(memhp_acpi_memhp_drv_process(r.acpi_drv), 1);
	EVENT(&c, "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"device\": \"d1\", "
		  "\"source\": 1, \"status\": 0, \"slot\": \"0\", \"slot-type\": \"DIMM\"}}}\r\n");
	blk = memhp_phys_to_block_id(r.m, 8 * MEMHP_GiB);
	ASSERT_OK(memhp_block_info(r.m, blk, &bi));
	ASSERT_TRUE(bi.online);
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"d1\", \"property\": "
	     "\"addr\"}}",
	     "{\"return\": 8589934592}\r\n");
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\"}",
	     "{\"return\": {\"base-memory\": 536870912, \"plugged-memory\": 134217728}}\r\n");

	XCHG(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"d1\"}}", OK);
	ASSERT_EQ(memhp_acpi_memhp_drv_process(r.acpi_drv), 1);
	/* QEMU 7.2 + Linux 6.1: in progress, the DIMM deleted, then done
	 * (the slot empty: no "device"). */
	EVENT(&c,
	      "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"device\": \"d1\", "
	      "\"source\": 3, \"status\": 132, \"slot\": \"0\", \"slot-type\": \"DIMM\"}}}\r\n");
	EVENT(&c, "\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"d1\", \"path\": "
		  "\"/machine/peripheral/d1\"}}\r\n");
	EVENT(&c,
	      "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"source\": 3, \"status\": "
	      "0, \"slot\": \"0\", \"slot-type\": \"DIMM\"}}}\r\n");
	ASSERT_ERR(memhp_block_info(r.m, blk, &bi), -ENODEV);
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\"}",
	     "{\"return\": {\"base-memory\": 536870912, \"plugged-memory\": 0}}\r\n");
	XCHG(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"d1\"}}",
	     NOT_FOUND_ERR("Device 'd1' not found"));
	/* Its backend is free again. */
	XCHG(&c, "{\"execute\": \"object-del\", \"arguments\": {\"id\": \"m1\"}}", OK);
}

/*
 * pc-dimm's node property (QEMU 7.2, recorded from qemu-system-x86_64
 * 7.2.22 with two -numa nodes): a string or a number, read in any base;
 * not a number "expects integer", beyond 32 bits or negative "expects
 * uint32_t"; a node the machine lacks fails in pc_dimm_realize(), after
 * every pre-plug check and before the busy backend. The guest adds the
 * DIMM's memory on that node (its _PXM), and QEMU reports the node.
 */
static void device_add_pc_dimm_puts_its_memory_on_its_node(void)
{
	static struct rig r;
	unsigned long on_node1 = 0;

	rig_nodes = 2;
	ASSERT_TRUE(rig_up_dimms(&r, MEMHP_MMOP_ONLINE_MOVABLE));
	rig_nodes = 0;
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m1\", \"size\": 268435456}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": 2}}",
	     ERR("'DIMM property node has value 2' which exceeds the number of numa nodes: 2"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": -1}}",
	     ERR("Parameter 'node' expects uint32_t"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": 4294967296}}",
	     ERR("Parameter 'node' expects uint32_t"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": \"x\"}}",
	     ERR("Parameter 'node' expects integer"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": 1.5}}",
	     ERR("Parameter 'node' expects integer"));
	/* A virtio-mem-pci never gets as far as its node: q35's root bus
	 * refuses hotplug before any property is looked at. */
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"virtio-mem-pci\", "
	     "\"id\": \"v1\", \"memdev\": \"m1\", \"node\": 5}}",
	     ERR("Bus 'pcie.0' does not support hotplugging"));
	/* Pre-plug checks come first. */
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": 5, \"slot\": 9}}",
	     ERR("invalid slot number 9, valid range is [0-1]"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"node\": 5}}",
	     ERR("'memdev' property must be set"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d1\", \"memdev\": \"m1\", \"node\": \"1\"}}",
	     OK);
	ASSERT_EQ(memhp_acpi_memhp_drv_process(r.acpi_drv), 1);
	EVENT(&c, "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"device\": \"d1\", "
		  "\"source\": 1, \"status\": 0, \"slot\": \"0\", \"slot-type\": \"DIMM\"}}}\r\n");
	for (long id = memhp_next_block(r.m, memhp_phys_to_block_id(r.m, 4 * MEMHP_GiB)); id >= 0;
	     id = memhp_next_block(r.m, (unsigned long)id + 1)) {
		struct memhp_block_info bi;

		ASSERT_OK(memhp_block_info(r.m, (unsigned long)id, &bi));
		on_node1 += bi.nid == 1 && bi.online;
	}
	ASSERT_EQ(on_node1, 2);
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"d1\", \"property\": "
	     "\"node\"}}",
	     "{\"return\": 1}\r\n");
	/* A node too far outranks the busy backend (realize's order). */
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", \"memdev\": \"m1\", \"node\": 5}}",
	     ERR("'DIMM property node has value 5' which exceeds the number of numa nodes: 2"));
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", \"memdev\": \"m1\", \"node\": 0}}",
	     ERR("can't use already busy memdev: m1"));
}

static void dimm_the_guest_cannot_eject_stays_and_ost_says_busy(void)
{
	static struct rig r;
	struct memhp_page *kpage;
	struct memhp_block_info bi;
	unsigned long blk;

	/* auto_online_blocks=online: the DIMM is the guest's first Normal
	 * memory, where the kernel allocates at once. */
	ASSERT_TRUE(rig_up_dimms(&r, MEMHP_MMOP_ONLINE));
	CLIENT(c, &r);
	XCHG(&c,
	     "{\"execute\": \"object-add\", \"arguments\": {\"qom-type\": \"memory-backend-ram\", "
	     "\"id\": \"m2\", \"size\": 134217728}}",
	     OK);
	XCHG(&c,
	     "{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"pc-dimm\", \"id\": "
	     "\"d2\", "
	     "\"memdev\": \"m2\"}}",
	     OK);
	memhp_acpi_memhp_drv_process(r.acpi_drv);
	EVENT(&c, "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"device\": \"d2\", "
		  "\"source\": 1, \"status\": 0, \"slot\": \"0\", \"slot-type\": \"DIMM\"}}}\r\n");
	blk = memhp_phys_to_block_id(r.m, 8 * MEMHP_GiB);
	ASSERT_OK(memhp_block_info(r.m, blk, &bi));
	ASSERT_EQ(bi.zone, MEMHP_ZONE_NORMAL);
	kpage = memhp_alloc_pages(r.m, MEMHP_GFP_KERNEL, 0);
	ASSERT_TRUE(kpage);
	ASSERT_EQ(memhp_phys_to_block_id(r.m, (uint64_t)memhp_page_to_pfn(kpage) << 12), blk);

	/* Linux 6.1 + QEMU 7.2, each time: in progress, busy; the DIMM stays. */
	for (int i = 0; i < 2; i++) {
		XCHG(&c, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"d2\"}}", OK);
		memhp_acpi_memhp_drv_process(r.acpi_drv);
		EVENT(&c, "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"device\": "
			  "\"d2\", \"source\": 3, \"status\": 132, \"slot\": \"0\", \"slot-type\": "
			  "\"DIMM\"}}}\r\n");
		EVENT(&c, "\"event\": \"ACPI_DEVICE_OST\", \"data\": {\"info\": {\"device\": "
			  "\"d2\", \"source\": 3, \"status\": 130, \"slot\": \"0\", \"slot-type\": "
			  "\"DIMM\"}}}\r\n");
	}
	ASSERT_OK(memhp_block_info(r.m, blk, &bi));
	ASSERT_TRUE(bi.online);
	XCHG(&c, "{\"execute\": \"query-memory-size-summary\"}",
	     "{\"return\": {\"base-memory\": 536870912, \"plugged-memory\": 134217728}}\r\n");
	memhp_free_pages(kpage, 0);
}

static void difference_commands_memhp_lacks_are_command_not_found(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	/* QEMU answers query-status; memhp has only the virtio-mem subset. */
	XCHG(&c, "{\"execute\": \"query-status\"}",
	     "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command query-status "
	     "has not been found\"}}\r\n");
}

static void difference_the_qom_tree_holds_only_modelled_objects(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	/* QEMU has /machine/unattached; memhp does not. */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/unattached\", "
	     "\"property\": \"type\"}}",
	     "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device "
	     "'/machine/unattached' not found\"}}\r\n");
	/* QEMU's proxy has ~40 more properties (addr, bus...). */
	XCHG(&c,
	     "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"addr\"}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Property "
	     "'virtio-mem-pci.addr' not found\"}}\r\n");
}

static void difference_unrealizing_the_device_is_refused(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	/* QEMU 7.2 aborts. */
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"realized\", \"value\": false}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"memhp: unrealizing a "
	     "virtio-mem device is not supported\"}}\r\n");
}

static void difference_a_flavored_device_refuses_what_its_vmm_refuses(void)
{
	static struct rig r;

	ASSERT_TRUE(rig_up_flavor(&r, 0, MEMHP_VMEM_CLOUD_HYPERVISOR));
	CLIENT(c, &r);
	/* QEMU takes a requested size equal to the current one; Cloud
	 * Hypervisor's resize() refuses it, and QMP says which rule spoke. */
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"requested-size\", \"value\": 0}}",
	     "{\"error\": {\"class\": \"GenericError\", \"desc\": \"memhp: the "
	     "cloud-hypervisor device refused requested-size: Invalid argument\"}}\r\n");
	XCHG(&c,
	     "{\"execute\": \"qom-set\", \"arguments\": {\"path\": \"vm0\", \"property\": "
	     "\"requested-size\", \"value\": 2097152}}",
	     OK);
	ASSERT_EQ(dev_requested(&r), 2097152);
}

static void difference_a_quit_server_takes_no_new_client(void)
{
	static struct rig r;
	static struct client again;
	char line[LINE_MAX_BYTES];

	again.fd = -1;
	ASSERT_TRUE(rig_up(&r, 0));
	CLIENT(c, &r);
	tm_defer(client_down, &again);
	client_sends(&c, "{\"execute\": \"quit\"}");
	ASSERT_TRUE(client_line(&c, line, sizeof(line)));
	ASSERT_TRUE(expect_lines(&c, OK, __LINE__));
	ASSERT_TRUE(client_at_eof(&c));
	/* QEMU has exited; memhp's listening socket is closed until
	 * qmp_server_stop(). */
	ASSERT_FALSE(client_open(&again, r.path));
}

RUN_TESTS(T(greeting_is_qemu_7_2s), T(commands_before_qmp_capabilities_are_refused),
	  T(oob_capability_allows_exec_oob_which_no_command_supports),
	  T(unknown_commands_and_request_shape_errors),
	  T(malformed_json_is_answered_as_qemu_answers_it), T(rejected_input_changes_nothing),
	  T(qom_get_reads_the_device_properties), T(qom_get_errors_are_qemus),
	  T(qom_set_requested_size_errors_are_qemus_and_change_nothing),
	  T(qom_set_read_only_properties_are_refused_as_qemu_refuses_them),
	  T(queries_describe_the_device_and_the_memory),
	  T(qom_set_requested_size_makes_the_driver_plug_and_size_change_follows),
	  T(events_wait_for_capabilities_negotiation),
	  T(quit_sends_shutdown_then_the_reply_and_hangs_up), T(one_client_at_a_time),
	  T(start_refuses_bad_specs_and_vms),
	  T(balloon_commands_without_a_balloon_are_device_not_active),
	  T(balloon_argument_errors_are_qemus),
	  T(balloon_inflates_and_balloon_change_follows_rate_limited),
	  T(balloon_guest_stats_and_their_properties_are_qemus),
	  T(balloon_guest_stats_carry_the_guests_meminfo), T(object_add_and_del_errors_are_qemus),
	  T(device_add_errors_are_qemus_in_qemus_order),
	  T(device_add_pc_dimm_puts_its_memory_on_its_node),
	  T(dimm_comes_and_goes_with_the_events_qemu_sends),
	  T(dimm_the_guest_cannot_eject_stays_and_ost_says_busy),
	  T(difference_commands_memhp_lacks_are_command_not_found),
	  T(difference_the_qom_tree_holds_only_modelled_objects),
	  T(difference_unrealizing_the_device_is_refused),
	  T(difference_a_flavored_device_refuses_what_its_vmm_refuses),
	  T(difference_a_quit_server_takes_no_new_client))
