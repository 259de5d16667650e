// SPDX-License-Identifier: MIT
/*
 * test_virtio_mem_device.c - the virtio-mem device (hypervisor side).
 *
 * One test per rule of the virtio 1.2 "Memory Device" section and of QEMU's
 * hw/virtio/virtio-mem.c, then one per documented divergence of the Cloud
 * Hypervisor and Firecracker flavors, then memhp's own deliberate
 * differences (docs/device.md). Requests are built as raw little-endian
 * bytes, the way a guest driver fills its virtqueue buffers.
 *
 * The device region is 1 GiB of 2 MiB blocks at 4 GiB, above the test
 * machine's 512 MiB of boot RAM. Nothing sleeps: asynchronous requests are
 * joined, notifications are counted after memhp_vmem_dev_flush(), stalls
 * are observed with memhp_vmem_dev_wait_stalled().
 */
#include "harness.h"

#include <memhp/virtio_mem.h>

#include <endian.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define REGION_ADDR (4 * MEMHP_GiB)
#define REGION_SIZE (1 * MEMHP_GiB)
#define BLOCK (2 * MEMHP_MiB)
#define NR_BLOCKS (REGION_SIZE / BLOCK)
#define MAX_DEVS 4

#define PLUG MEMHP_VIRTIO_MEM_REQ_PLUG
#define UNPLUG MEMHP_VIRTIO_MEM_REQ_UNPLUG
#define UNPLUG_ALL MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL
#define STATE MEMHP_VIRTIO_MEM_REQ_STATE
#define ACK MEMHP_VIRTIO_MEM_RESP_ACK
#define NACK MEMHP_VIRTIO_MEM_RESP_NACK
#define BUSY MEMHP_VIRTIO_MEM_RESP_BUSY
#define ERROR MEMHP_VIRTIO_MEM_RESP_ERROR

#define F_VERSION_1 (1ULL << MEMHP_VIRTIO_F_VERSION_1)
#define F_ACPI_PXM (1ULL << MEMHP_VIRTIO_MEM_F_ACPI_PXM)
#define F_INACCESSIBLE (1ULL << MEMHP_VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)

/* ---- Fixture: devices are destroyed even when an ASSERT returns early ---- */

static struct {
	struct memhp_machine *m;
	struct memhp_vmem_dev *devs[MAX_DEVS];
} fx;

static void fixture_teardown(void)
{
	for (int i = MAX_DEVS - 1; i >= 0; i--)
		memhp_vmem_dev_destroy(fx.devs[i]);
	memset(&fx, 0, sizeof(fx));
}

#define DEVICE_TEST(name)                   \
	static void name##_body(void);      \
	static void name(void)              \
	{                                   \
		memset(&fx, 0, sizeof(fx)); \
		fx.m = tm_create(NULL);     \
		if (fx.m)                   \
			name##_body();      \
		fixture_teardown();         \
	}                                   \
	static void name##_body(void)

static void base_config(struct memhp_vmem_dev_config *c, enum memhp_vmem_flavor flavor,
			uint64_t requested)
{
	memset(c, 0, sizeof(*c));
	c->id = "vm0";
	c->addr = REGION_ADDR;
	c->region_size = REGION_SIZE;
	c->requested_size = requested;
	c->flavor = flavor;
}

/* Create a device the fixture destroys; NULL (and a failure) if it can't. */
static struct memhp_vmem_dev *dev_new(const struct memhp_vmem_dev_config *c)
{
	struct memhp_vmem_dev *d;
	int ret = memhp_vmem_dev_create(fx.m, c, &d);

	if (ret) {
		test_fail(__FILE__, __LINE__, "memhp_vmem_dev_create: %s", errno_name(ret));
		return NULL;
	}
	for (int i = 0; i < MAX_DEVS; i++) {
		if (!fx.devs[i]) {
			fx.devs[i] = d;
			return d;
		}
	}
	test_fail(__FILE__, __LINE__, "too many devices");
	memhp_vmem_dev_destroy(d);
	return NULL;
}

static void dev_destroy(struct memhp_vmem_dev *d)
{
	for (int i = 0; i < MAX_DEVS; i++)
		if (fx.devs[i] == d)
			fx.devs[i] = NULL;
	memhp_vmem_dev_destroy(d);
}

static struct memhp_vmem_dev *flavor_dev(enum memhp_vmem_flavor flavor, uint64_t requested)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, flavor, requested);
	return dev_new(&c);
}

static struct memhp_vmem_dev *qemu_dev(uint64_t requested)
{
	return flavor_dev(MEMHP_VMEM_QEMU, requested);
}

/* Only create's errno: nothing is kept. */
static int try_create(const struct memhp_vmem_dev_config *c)
{
	struct memhp_vmem_dev *d = NULL;
	int ret = memhp_vmem_dev_create(fx.m, c, &d);

	if (!ret)
		memhp_vmem_dev_destroy(d);
	return ret;
}

/* ---- The wire, byte by byte -------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* struct virtio_mem_req: le16 type, 3 x le16 padding, le64 addr, le16
 * nb_blocks, 3 x le16 padding. */
static void build_req(uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE], uint16_t type, uint64_t addr,
		      uint16_t nb_blocks)
{
	memset(req, 0, MEMHP_VIRTIO_MEM_REQ_SIZE);
	put16(req, type);
	put64(req + 8, addr);
	put16(req + 16, nb_blocks);
}

/* The response type, or a negative errno when there is no answer; @state
 * gets the STATE field (le16 at byte 8). */
static int send_req(struct memhp_vmem_dev *d, uint16_t type, uint64_t addr, uint16_t nb_blocks,
		    uint16_t *state)
{
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE], resp[MEMHP_VIRTIO_MEM_RESP_SIZE];
	int ret;

	build_req(req, type, addr, nb_blocks);
	memset(resp, 0xee, sizeof(resp));
	ret = memhp_vmem_dev_request(d, req, sizeof(req), resp, sizeof(resp));
	if (ret)
		return ret;
	if (state)
		*state = get16(resp + 8);
	return get16(resp);
}

static uint64_t gpa(uint64_t block)
{
	return REGION_ADDR + block * BLOCK;
}

static int plug(struct memhp_vmem_dev *d, uint64_t block, uint16_t nb)
{
	return send_req(d, PLUG, gpa(block), nb, NULL);
}

static int unplug(struct memhp_vmem_dev *d, uint64_t block, uint16_t nb)
{
	return send_req(d, UNPLUG, gpa(block), nb, NULL);
}

static int unplug_all(struct memhp_vmem_dev *d)
{
	return send_req(d, UNPLUG_ALL, 0, 0, NULL);
}

/* STATE's answer, or -1 if it was not an ACK. */
static int state_of(struct memhp_vmem_dev *d, uint64_t block, uint16_t nb)
{
	uint16_t st = 0xffff;
	int ret = send_req(d, STATE, gpa(block), nb, &st);

	return ret == ACK ? st : -1;
}

/* The config space, decoded from its raw little-endian bytes. */
struct cfg {
	uint64_t block_size, addr, region_size, usable, plugged, requested;
	uint16_t node_id;
};

static struct cfg config_of(struct memhp_vmem_dev *d)
{
	struct memhp_virtio_mem_config raw;
	uint8_t b[MEMHP_VIRTIO_MEM_CONFIG_SIZE];
	struct cfg c;

	memhp_vmem_dev_read_config(d, &raw);
	memcpy(b, &raw, sizeof(b));
	c.block_size = get64(b);
	c.node_id = get16(b + 8);
	c.addr = get64(b + 16);
	c.region_size = get64(b + 24);
	c.usable = get64(b + 32);
	c.plugged = get64(b + 40);
	c.requested = get64(b + 48);
	return c;
}

/* ---- Host memory -------------------------------------------------------------- */

static uint8_t *host(uint64_t block)
{
	return (uint8_t *)memhp_phys_base(fx.m) + gpa(block);
}

static unsigned long resident(uint64_t block, uint64_t nr)
{
	return memhp_host_resident(fx.m, gpa(block), nr * BLOCK);
}

static unsigned long host_pages(uint64_t nr_blocks)
{
	return (unsigned long)(nr_blocks * BLOCK / (uint64_t)sysconf(_SC_PAGESIZE));
}

/* Whether the CPU may read @p, asked without faulting: write(2) from an
 * inaccessible buffer fails with EFAULT instead of raising SIGSEGV. */
static bool readable(const void *p)
{
	int fds[2];
	bool ok;
	char c;

	if (pipe(fds))
		return false;
	ok = write(fds[1], p, 1) == 1;
	if (ok && read(fds[0], &c, 1) != 1)
		ok = false;
	close(fds[0]);
	close(fds[1]);
	return ok;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- Notifications ------------------------------------------------------------ */

struct notes {
	int calls;
	int request_ret;
	bool send_request; /* try a request from the callback */
};

static void count_note(struct memhp_vmem_dev *d, void *priv)
{
	struct notes *n = priv;

	n->calls++;
	if (n->send_request)
		n->request_ret = send_req(d, STATE, gpa(0), 1, NULL);
}

static unsigned long config_changes(struct memhp_vmem_dev *d)
{
	struct memhp_vmem_dev_stats st;

	memhp_vmem_dev_flush(d);
	memhp_vmem_dev_stats(d, &st);
	return st.config_changes;
}

/* ---- A request from another thread --------------------------------------------- */

struct async_req {
	pthread_t thread;
	struct memhp_vmem_dev *d;
	uint16_t type;
	uint64_t block;
	uint16_t nb;
	int ret;
};

static void *async_fn(void *arg)
{
	struct async_req *a = arg;

	a->ret = send_req(a->d, a->type, gpa(a->block), a->nb, NULL);
	return NULL;
}

static bool async_start(struct async_req *a, struct memhp_vmem_dev *d, uint16_t type,
			uint64_t block, uint16_t nb)
{
	*a = (struct async_req){ .d = d, .type = type, .block = block, .nb = nb, .ret = 1 };
	return !pthread_create(&a->thread, NULL, async_fn, a);
}

static int async_join(struct async_req *a)
{
	pthread_join(a->thread, NULL);
	return a->ret;
}

/* ==== Layout and creation ======================================================= */

DEVICE_TEST(config_space_is_56_little_endian_bytes_in_uapi_order)
{
	struct memhp_vmem_dev *d = qemu_dev(64 * MEMHP_MiB);
	struct cfg c;

	ASSERT_TRUE(d);
	ASSERT_EQ(sizeof(struct memhp_virtio_mem_config), 56);
	ASSERT_EQ(sizeof(struct memhp_virtio_mem_req), 24);
	ASSERT_EQ(sizeof(struct memhp_virtio_mem_resp), 10);
	ASSERT_EQ(plug(d, 0, 3), ACK);
	c = config_of(d);
	ASSERT_EQ(c.block_size, BLOCK);
	ASSERT_EQ(c.node_id, 0);
	ASSERT_EQ(c.addr, REGION_ADDR);
	ASSERT_EQ(c.region_size, REGION_SIZE);
	ASSERT_EQ(c.usable, 64 * MEMHP_MiB + MEMHP_VIRTIO_MEM_USABLE_EXTENT);
	ASSERT_EQ(c.plugged, 3 * BLOCK);
	ASSERT_EQ(c.requested, 64 * MEMHP_MiB);
}

DEVICE_TEST(default_block_size_is_2mib)
{
	struct memhp_vmem_dev *d = qemu_dev(0);

	ASSERT_TRUE(d);
	ASSERT_EQ(memhp_vmem_dev_get_config(d)->block_size, 2 * MEMHP_MiB);
	ASSERT_EQ(config_of(d).block_size, 2 * MEMHP_MiB);
	ASSERT_EQ(memhp_vmem_dev_nr_blocks(d), NR_BLOCKS);
	ASSERT_STREQ(memhp_vmem_dev_get_config(d)->id, "vm0");
}

DEVICE_TEST(create_rejects_block_size_below_1mib_or_not_a_power_of_two)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_QEMU, 0);
	c.block_size = 512 * MEMHP_KiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.block_size = 3 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.block_size = 1 * MEMHP_MiB;
	ASSERT_OK(try_create(&c));
	c.block_size = 1 * MEMHP_GiB;
	ASSERT_OK(try_create(&c));
}

DEVICE_TEST(create_rejects_addr_region_or_requested_size_not_multiple_of_block_size)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_QEMU, 0);
	c.block_size = 4 * MEMHP_MiB;
	c.addr = REGION_ADDR + 2 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.addr = REGION_ADDR;
	c.region_size = REGION_SIZE + 2 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.region_size = REGION_SIZE;
	c.requested_size = 2 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.requested_size = 8 * MEMHP_MiB;
	ASSERT_OK(try_create(&c));
}

DEVICE_TEST(create_rejects_a_region_outside_the_machine_or_empty)
{
	const uint64_t phys = (uint64_t)memhp_max_pfn(fx.m) << MEMHP_PAGE_SHIFT;
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_QEMU, 0);
	c.addr = phys - REGION_SIZE / 2;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.addr = UINT64_MAX - BLOCK + 1;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.addr = REGION_ADDR;
	c.region_size = 0;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.region_size = REGION_SIZE;
	c.addr = phys - REGION_SIZE;
	ASSERT_OK(try_create(&c));
}

DEVICE_TEST(create_rejects_a_node_the_machine_does_not_have)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_QEMU, 0);
	c.node_id = MEMHP_MAX_NUMNODES;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.flavor = (enum memhp_vmem_flavor)42;
	c.node_id = 0;
	ASSERT_ERR(try_create(&c), -EINVAL);
	ASSERT_ERR(memhp_vmem_dev_create(fx.m, NULL, NULL), -EINVAL);
}

DEVICE_TEST(create_rejects_overlap_with_present_memory_or_another_device)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_QEMU, 0);
	c.addr = 0; /* boot RAM */
	ASSERT_ERR(try_create(&c), -EBUSY);
	c.addr = REGION_ADDR;
	ASSERT_TRUE(dev_new(&c));
	c.addr = REGION_ADDR + REGION_SIZE - 128 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EBUSY);
	c.addr = REGION_ADDR + REGION_SIZE;
	ASSERT_TRUE(dev_new(&c));
}

/* ==== The usable region ========================================================== */

DEVICE_TEST(usable_region_is_requested_plus_extent_aligned_up_and_capped)
{
	static const struct {
		uint64_t block, requested, usable;
	} cases[] = {
		{ 2 * MEMHP_MiB, 0, 0 },
		{ 2 * MEMHP_MiB, 2 * MEMHP_MiB, 258 * MEMHP_MiB },
		{ 2 * MEMHP_MiB, 900 * MEMHP_MiB, REGION_SIZE },
		{ 64 * MEMHP_MiB, 64 * MEMHP_MiB, 320 * MEMHP_MiB },
		/* 768 MiB aligned up to the 512 MiB block */
		{ 512 * MEMHP_MiB, 512 * MEMHP_MiB, REGION_SIZE },
	};
	struct memhp_vmem_dev_config c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct memhp_vmem_dev *d;

		base_config(&c, MEMHP_VMEM_QEMU, cases[i].requested);
		c.block_size = cases[i].block;
		d = dev_new(&c);
		ASSERT_TRUE(d);
		EXPECT_EQ(config_of(d).usable, cases[i].usable);
		dev_destroy(d);
	}
}

DEVICE_TEST(usable_region_grows_on_resize_but_never_shrinks)
{
	struct memhp_vmem_dev *d = qemu_dev(512 * MEMHP_MiB);

	ASSERT_TRUE(d);
	ASSERT_EQ(config_of(d).usable, 768 * MEMHP_MiB);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 256 * MEMHP_MiB));
	ASSERT_EQ(config_of(d).usable, 768 * MEMHP_MiB);
	ASSERT_EQ(config_of(d).requested, 256 * MEMHP_MiB);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 900 * MEMHP_MiB));
	ASSERT_EQ(config_of(d).usable, REGION_SIZE);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 0));
	ASSERT_EQ(config_of(d).usable, REGION_SIZE);
	/* get_config() is the configuration as created, not the live value. */
	ASSERT_EQ(memhp_vmem_dev_get_config(d)->requested_size, 512 * MEMHP_MiB);
}

DEVICE_TEST(unplug_all_shrinks_usable_region)
{
	struct memhp_vmem_dev *d = qemu_dev(512 * MEMHP_MiB);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 300, 2), ACK);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 128 * MEMHP_MiB));
	ASSERT_EQ(config_of(d).usable, 768 * MEMHP_MiB);
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(config_of(d).usable, 384 * MEMHP_MiB);
	ASSERT_EQ(config_of(d).plugged, 0);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 0));
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(config_of(d).usable, 0);
	/* Shrinking is the device's business: no notification for it. */
	ASSERT_EQ(config_changes(d), 2);
}

/* ==== PLUG, UNPLUG, STATE: QEMU's order of checks ================================== */

DEVICE_TEST(plug_within_requested_size_is_ack_and_updates_bitmap_and_plugged_size)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct memhp_vmem_dev_stats st;

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 5, 3), ACK);
	ASSERT_EQ(config_of(d).plugged, 3 * BLOCK);
	for (uint64_t i = 0; i < 10; i++)
		ASSERT_EQ(memhp_vmem_dev_block_plugged(d, i), i >= 5 && i < 8);
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, NR_BLOCKS));
	memhp_vmem_dev_stats(d, &st);
	ASSERT_EQ(st.requests[PLUG], 1);
	ASSERT_EQ(st.responses[ACK], 1);
}

DEVICE_TEST(plug_beyond_requested_size_is_nack)
{
	struct memhp_vmem_dev *d = qemu_dev(4 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 5), NACK);
	ASSERT_EQ(plug(d, 0, 3), ACK);
	ASSERT_EQ(plug(d, 3, 2), NACK);
	ASSERT_EQ(config_of(d).plugged, 3 * BLOCK);
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, 3));
	ASSERT_EQ(plug(d, 3, 1), ACK);
}

DEVICE_TEST(plug_outside_usable_region_is_error)
{
	/* usable: 768 MiB = 384 blocks of a 512-block region */
	struct memhp_vmem_dev *d = qemu_dev(512 * MEMHP_MiB);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 384, 1), ERROR);
	ASSERT_EQ(plug(d, 383, 2), ERROR);
	ASSERT_EQ(send_req(d, PLUG, REGION_ADDR - BLOCK, 1, NULL), ERROR);
	ASSERT_EQ(send_req(d, PLUG, UINT64_MAX - BLOCK + 1, 2, NULL), ERROR);
	ASSERT_EQ(config_of(d).plugged, 0);
	ASSERT_EQ(plug(d, 383, 1), ACK);
}

DEVICE_TEST(misaligned_or_empty_range_is_error)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(send_req(d, PLUG, gpa(1) + MEMHP_PAGE_SIZE, 1, NULL), ERROR);
	ASSERT_EQ(plug(d, 1, 0), ERROR);
	ASSERT_EQ(send_req(d, STATE, gpa(1), 0, NULL), ERROR);
	ASSERT_EQ(plug(d, 1, 1), ACK);
	ASSERT_EQ(unplug(d, 1, 0), ERROR);
	ASSERT_EQ(send_req(d, UNPLUG, gpa(1) + MEMHP_PAGE_SIZE, 1, NULL), ERROR);
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(d, 1));
}

DEVICE_TEST(range_check_comes_before_requested_size_check)
{
	struct memhp_vmem_dev *d = qemu_dev(BLOCK); /* usable: 258 MiB = 129 blocks */

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 200, 2), ERROR); /* both wrong: the range wins */
	ASSERT_EQ(plug(d, 0, 2), NACK);
}

DEVICE_TEST(requested_size_check_comes_before_state_check)
{
	struct memhp_vmem_dev *d = qemu_dev(BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_EQ(plug(d, 0, 1), NACK); /* plugged already and beyond requested */
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 2 * BLOCK));
	ASSERT_EQ(plug(d, 0, 1), ERROR);
}

DEVICE_TEST(plug_of_plugged_block_is_error)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 2, 1), ACK);
	ASSERT_EQ(plug(d, 2, 1), ERROR);
	ASSERT_EQ(config_of(d).plugged, BLOCK);
}

DEVICE_TEST(unplug_of_unplugged_block_is_error)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(unplug(d, 2, 1), ERROR);
	ASSERT_EQ(plug(d, 2, 1), ACK);
	ASSERT_EQ(unplug(d, 2, 1), ACK);
	ASSERT_EQ(unplug(d, 2, 1), ERROR);
	ASSERT_EQ(config_of(d).plugged, 0);
}

DEVICE_TEST(non_uniform_range_is_error_for_plug_and_unplug)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 1, 1), ACK);
	ASSERT_EQ(plug(d, 0, 3), ERROR);
	ASSERT_EQ(unplug(d, 0, 3), ERROR);
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(d, 1));
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, 2));
	ASSERT_EQ(config_of(d).plugged, BLOCK);
}

DEVICE_TEST(unplug_below_requested_size_is_ack)
{
	/* The posted QEMU patch that NACKs such unplugs was never merged, and
	 * neither Cloud Hypervisor nor Firecracker NACKs an unplug. */
	static const enum memhp_vmem_flavor flavors[] = { MEMHP_VMEM_QEMU,
							  MEMHP_VMEM_CLOUD_HYPERVISOR,
							  MEMHP_VMEM_FIRECRACKER };

	for (size_t i = 0; i < sizeof(flavors) / sizeof(flavors[0]); i++) {
		struct memhp_vmem_dev *d = flavor_dev(flavors[i], 8 * BLOCK);

		ASSERT_TRUE(d);
		ASSERT_EQ(plug(d, 0, 2), ACK);
		ASSERT_EQ(unplug(d, 1, 1), ACK);
		ASSERT_EQ(config_of(d).plugged, BLOCK);
		dev_destroy(d);
	}
}

DEVICE_TEST(state_of_mixed_range_is_mixed)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 4, 2), ACK);
	ASSERT_EQ(state_of(d, 3, 2), MEMHP_VIRTIO_MEM_STATE_MIXED);
	ASSERT_EQ(state_of(d, 4, 2), MEMHP_VIRTIO_MEM_STATE_PLUGGED);
	ASSERT_EQ(state_of(d, 6, 10), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED);
	ASSERT_EQ(state_of(d, 0, 128), MEMHP_VIRTIO_MEM_STATE_MIXED);
}

DEVICE_TEST(state_of_invalid_range_is_error)
{
	struct memhp_vmem_dev *d = qemu_dev(BLOCK); /* 129 usable blocks */

	ASSERT_TRUE(d);
	ASSERT_EQ(send_req(d, STATE, gpa(129), 1, NULL), ERROR);
	ASSERT_EQ(send_req(d, STATE, gpa(128), 2, NULL), ERROR);
	ASSERT_EQ(send_req(d, STATE, gpa(0) + 4096, 1, NULL), ERROR);
	ASSERT_EQ(state_of(d, 0, 129), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED);
}

DEVICE_TEST(unplug_all_unplugs_every_block_and_acks_when_nothing_is_plugged)
{
	struct memhp_vmem_dev *d = qemu_dev(16 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(plug(d, 0, 4), ACK);
	ASSERT_EQ(plug(d, 100, 4), ACK);
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(config_of(d).plugged, 0);
	ASSERT_EQ(state_of(d, 0, 129), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED);
}

/* ==== Notifications ================================================================= */

DEVICE_TEST(requested_size_change_notifies_even_if_unchanged)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct notes n = { 0 };

	ASSERT_TRUE(d);
	memhp_vmem_dev_set_config_changed(d, count_note, &n);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK));
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK));
	ASSERT_EQ(config_changes(d), 2);
	ASSERT_EQ(n.calls, 2);
}

DEVICE_TEST(invalid_requested_size_is_einval_without_notification)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_ERR(memhp_vmem_dev_set_requested_size(d, 8 * BLOCK + MEMHP_MiB), -EINVAL);
	ASSERT_ERR(memhp_vmem_dev_set_requested_size(d, REGION_SIZE + BLOCK), -EINVAL);
	ASSERT_EQ(config_of(d).requested, 8 * BLOCK);
	ASSERT_EQ(config_changes(d), 0);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, REGION_SIZE));
	ASSERT_EQ(config_changes(d), 1);
}

DEVICE_TEST(plugged_size_changes_send_no_notification)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 4), ACK);
	ASSERT_EQ(unplug(d, 0, 2), ACK);
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(config_changes(d), 0);
}

DEVICE_TEST(request_from_the_config_callback_is_edeadlk)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct notes n = { .send_request = true, .request_ret = 1 };

	ASSERT_TRUE(d);
	memhp_vmem_dev_set_config_changed(d, count_note, &n);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK));
	ASSERT_OK(memhp_vmem_dev_flush(d));
	ASSERT_EQ(n.calls, 1);
	ASSERT_ERR(n.request_ret, -EDEADLK);
}

/* ==== Host memory ==================================================================== */

DEVICE_TEST(unplug_discards_host_memory)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(resident(0, 8), 0);
	ASSERT_EQ(plug(d, 0, 4), ACK);
	memset(host(0), 0x5a, 4 * BLOCK);
	ASSERT_EQ(resident(0, 4), host_pages(4));
	ASSERT_EQ(unplug(d, 0, 2), ACK);
	ASSERT_EQ(resident(0, 2), 0);
	ASSERT_EQ(resident(2, 2), host_pages(2));
	ASSERT_EQ(unplug(d, 2, 2), ACK);
	ASSERT_EQ(resident(0, 8), 0);
}

DEVICE_TEST(unplug_all_discards_host_memory)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 10, 3), ACK);
	memset(host(10), 0x5a, 3 * BLOCK);
	ASSERT_GT(resident(10, 3), 0);
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(resident(10, 3), 0);
}

DEVICE_TEST(unplugged_inaccessible_blocks_fault_until_plugged)
{
	struct memhp_vmem_dev_config c;
	struct memhp_vmem_dev *d;

	base_config(&c, MEMHP_VMEM_QEMU, 8 * BLOCK);
	c.unplugged_inaccessible = true;
	d = dev_new(&c);
	ASSERT_TRUE(d);
	ASSERT_FALSE(readable(host(0)));
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_TRUE(readable(host(0)));
	ASSERT_FALSE(readable(host(1)));
	memset(host(0), 0x5a, BLOCK);
	ASSERT_EQ(unplug(d, 0, 1), ACK);
	ASSERT_FALSE(readable(host(0)));
	ASSERT_EQ(resident(0, 1), 0);
}

DEVICE_TEST(without_unplugged_inaccessible_unplugged_memory_reads_as_zero)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_TRUE(readable(host(7)));
	ASSERT_TRUE(all_zero(host(7), BLOCK));
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memset(host(0), 0x5a, BLOCK);
	ASSERT_EQ(unplug(d, 0, 1), ACK);
	ASSERT_TRUE(readable(host(0)));
	ASSERT_TRUE(all_zero(host(0), BLOCK));
}

/* ==== Resets ========================================================================== */

DEVICE_TEST(device_reset_keeps_block_states)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 2, 3), ACK);
	memset(host(2), 0x5a, 3 * BLOCK);
	memhp_vmem_dev_reset(d);
	ASSERT_EQ(config_of(d).plugged, 3 * BLOCK);
	ASSERT_EQ(state_of(d, 2, 3), MEMHP_VIRTIO_MEM_STATE_PLUGGED);
	ASSERT_EQ(host(4)[BLOCK - 1], 0x5a);
	ASSERT_EQ(resident(2, 3), host_pages(3));
}

DEVICE_TEST(system_reset_unplugs_everything)
{
	struct memhp_vmem_dev *d = qemu_dev(512 * MEMHP_MiB);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 8), ACK);
	memset(host(0), 0x5a, 8 * BLOCK);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 128 * MEMHP_MiB));
	memhp_vmem_dev_system_reset(d);
	ASSERT_EQ(config_of(d).plugged, 0);
	ASSERT_EQ(state_of(d, 0, 8), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED);
	ASSERT_EQ(resident(0, 8), 0);
	ASSERT_EQ(config_of(d).usable, 384 * MEMHP_MiB);
	ASSERT_EQ(config_of(d).requested, 128 * MEMHP_MiB);
}

DEVICE_TEST(system_reset_that_cannot_discard_leaves_blocks_plugged)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 2), ACK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_DISCARD, 1);
	memhp_vmem_dev_system_reset(d);
	ASSERT_EQ(config_of(d).plugged, 2 * BLOCK);
	/* The driver finds plugged_size > 0 at probe and sends UNPLUG_ALL. */
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(config_of(d).plugged, 0);
}

/* ==== Protocol violations ============================================================== */

DEVICE_TEST(malformed_request_breaks_the_device)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE], resp[MEMHP_VIRTIO_MEM_RESP_SIZE];
	struct memhp_vmem_dev_stats st;
	struct notes n = { 0 };

	ASSERT_TRUE(d);
	memhp_vmem_dev_set_config_changed(d, count_note, &n);
	build_req(req, PLUG, gpa(0), 1);
	ASSERT_ERR(memhp_vmem_dev_request(d, req, sizeof(req) - 1, resp, sizeof(resp)), -EIO);
	ASSERT_TRUE(memhp_vmem_dev_broken(d));
	/* From now on nothing is answered, not even a valid request. */
	ASSERT_ERR(plug(d, 0, 1), -EIO);
	ASSERT_EQ(config_of(d).plugged, 0);
	memhp_vmem_dev_stats(d, &st);
	ASSERT_EQ(st.malformed, 1);
	ASSERT_EQ(st.requests[PLUG], 0);
	/* virtio_error() raises NEEDS_RESET with a config interrupt. */
	ASSERT_EQ(config_changes(d), 1);
	ASSERT_EQ(n.calls, 1);
}

DEVICE_TEST(unknown_request_type_breaks_the_device)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_ERR(send_req(d, STATE + 1, gpa(0), 1, NULL), -EIO);
	ASSERT_TRUE(memhp_vmem_dev_broken(d));
	ASSERT_EQ(state_of(d, 0, 1), -1);
}

DEVICE_TEST(short_response_buffer_breaks_the_device)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE], resp[MEMHP_VIRTIO_MEM_RESP_SIZE];

	ASSERT_TRUE(d);
	build_req(req, STATE, gpa(0), 1);
	ASSERT_ERR(memhp_vmem_dev_request(d, req, sizeof(req), resp, sizeof(resp) - 1), -EIO);
	ASSERT_TRUE(memhp_vmem_dev_broken(d));
}

DEVICE_TEST(longer_buffers_are_accepted_and_only_10_bytes_are_written)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE + 8], resp[MEMHP_VIRTIO_MEM_RESP_SIZE + 6];

	ASSERT_TRUE(d);
	build_req(req, PLUG, gpa(0), 1);
	memset(req + MEMHP_VIRTIO_MEM_REQ_SIZE, 0xff, 8);
	memset(resp, 0xaa, sizeof(resp));
	ASSERT_OK(memhp_vmem_dev_request(d, req, sizeof(req), resp, sizeof(resp)));
	ASSERT_EQ(get16(resp), ACK);
	ASSERT_TRUE(all_zero(resp + 2, 8)); /* padding and state */
	for (size_t i = MEMHP_VIRTIO_MEM_RESP_SIZE; i < sizeof(resp); i++)
		ASSERT_EQ(resp[i], 0xaa);
	ASSERT_FALSE(memhp_vmem_dev_broken(d));
}

DEVICE_TEST(bad_arguments_are_einval_not_a_crash)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	uint8_t resp[MEMHP_VIRTIO_MEM_RESP_SIZE];

	ASSERT_TRUE(d);
	ASSERT_ERR(memhp_vmem_dev_request(NULL, resp, 1, resp, 1), -EINVAL);
	ASSERT_ERR(memhp_vmem_dev_request(d, NULL, 24, resp, sizeof(resp)), -EINVAL);
	ASSERT_ERR(memhp_vmem_dev_request(d, resp, sizeof(resp), NULL, 10), -EINVAL);
	ASSERT_FALSE(memhp_vmem_dev_broken(d));
	ASSERT_ERR(memhp_vmem_dev_set_requested_size(NULL, 0), -EINVAL);
}

DEVICE_TEST(broken_device_sends_no_config_notifications)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_ERR(send_req(d, 77, 0, 0, NULL), -EIO);
	ASSERT_EQ(config_changes(d), 1);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK));
	ASSERT_EQ(config_of(d).requested, 16 * BLOCK);
	ASSERT_EQ(config_changes(d), 1);
}

DEVICE_TEST(device_reset_repairs_a_broken_device)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_ERR(send_req(d, 77, 0, 0, NULL), -EIO);
	memhp_vmem_dev_reset(d);
	ASSERT_FALSE(memhp_vmem_dev_broken(d));
	ASSERT_EQ(plug(d, 1, 1), ACK);
	ASSERT_EQ(config_of(d).plugged, 2 * BLOCK);
}

/* ==== Features ========================================================================= */

DEVICE_TEST(features_offer_acpi_pxm_and_unplugged_inaccessible_when_configured)
{
	struct memhp_vmem_dev_config c;
	struct memhp_vmem_dev *d;

	base_config(&c, MEMHP_VMEM_QEMU, 0);
	d = dev_new(&c);
	ASSERT_TRUE(d);
	ASSERT_EQ(memhp_vmem_dev_features(d), F_VERSION_1 | F_ACPI_PXM);
	dev_destroy(d);
	c.unplugged_inaccessible = true;
	d = dev_new(&c);
	ASSERT_TRUE(d);
	ASSERT_EQ(memhp_vmem_dev_features(d), F_VERSION_1 | F_ACPI_PXM | F_INACCESSIBLE);
}

DEVICE_TEST(refusing_offered_unplugged_inaccessible_is_efault)
{
	struct memhp_vmem_dev_config c;
	struct memhp_vmem_dev *d;

	base_config(&c, MEMHP_VMEM_QEMU, 8 * BLOCK);
	c.unplugged_inaccessible = true;
	d = dev_new(&c);
	ASSERT_TRUE(d);
	ASSERT_ERR(memhp_vmem_dev_ack_features(d, F_VERSION_1), -EFAULT);
	ASSERT_ERR(memhp_vmem_dev_ack_features(d, F_VERSION_1 | F_INACCESSIBLE | 1ULL << 40),
		   -EINVAL);
	ASSERT_OK(memhp_vmem_dev_ack_features(d, F_VERSION_1 | F_INACCESSIBLE));
	ASSERT_EQ(plug(d, 0, 1), ACK);
}

/* ==== Fault injection and the request queue ============================================= */

DEVICE_TEST(injected_busy_then_ack)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_BUSY, 1);
	ASSERT_EQ(plug(d, 0, 1), BUSY);
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(d, 0));
}

DEVICE_TEST(injected_error_and_nack_apply_to_every_state_change_until_cleared)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_ERROR, 2);
	ASSERT_EQ(unplug(d, 0, 1), ERROR);
	ASSERT_EQ(unplug_all(d), ERROR);
	ASSERT_EQ(unplug(d, 0, 1), ACK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_NACK, -1);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(plug(d, 0, 1), NACK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_NACK, 0);
	ASSERT_EQ(plug(d, 0, 1), ACK);
}

DEVICE_TEST(stats_count_the_injected_faults_that_struck)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct memhp_vmem_dev_stats st;

	ASSERT_TRUE(d);
	/* Armed for three, struck twice: the third is still pending. */
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_BUSY, 3);
	ASSERT_EQ(plug(d, 0, 1), BUSY);
	ASSERT_EQ(plug(d, 0, 1), BUSY);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_ERROR, 1);
	ASSERT_EQ(state_of(d, 0, 1), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED); /* never forced */
	memhp_vmem_dev_stats(d, &st);
	EXPECT_EQ(st.injected[MEMHP_VMEM_FAULT_BUSY], 2);
	EXPECT_EQ(st.injected[MEMHP_VMEM_FAULT_ERROR], 0);
	EXPECT_EQ(st.injected[MEMHP_VMEM_FAULT_NACK], 0);
}

DEVICE_TEST(state_requests_ignore_injected_answers)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_BUSY, -1);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_STALL, -1);
	ASSERT_EQ(state_of(d, 0, 1), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED);
}

DEVICE_TEST(injected_stall_holds_the_answer_until_released)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct memhp_vmem_dev_stats st;
	struct async_req a;

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_STALL, 1);
	ASSERT_TRUE(async_start(&a, d, PLUG, 0, 1));
	ASSERT_OK(memhp_vmem_dev_wait_stalled(d));
	/* Held: received, not answered, nothing changed yet. */
	memhp_vmem_dev_stats(d, &st);
	EXPECT_EQ(st.requests[PLUG], 1);
	EXPECT_EQ(st.responses[ACK], 0);
	EXPECT_TRUE(!memhp_vmem_dev_block_plugged(d, 0));
	memhp_vmem_dev_release_stall(d);
	ASSERT_EQ(async_join(&a), ACK);
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_EQ(plug(d, 1, 1), ACK); /* the stall was used up */
}

DEVICE_TEST(requested_size_change_during_a_stall_applies_to_the_held_request)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct async_req a;

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_STALL, 1);
	ASSERT_TRUE(async_start(&a, d, PLUG, 0, 4));
	ASSERT_OK(memhp_vmem_dev_wait_stalled(d));
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 2 * BLOCK));
	memhp_vmem_dev_release_stall(d);
	ASSERT_EQ(async_join(&a), NACK);
}

DEVICE_TEST(device_reset_drops_a_stalled_request)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct async_req a;

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_STALL, 1);
	ASSERT_TRUE(async_start(&a, d, PLUG, 0, 1));
	ASSERT_OK(memhp_vmem_dev_wait_stalled(d));
	memhp_vmem_dev_reset(d);
	ASSERT_ERR(async_join(&a), -EIO);
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_EQ(plug(d, 0, 1), ACK);
}

DEVICE_TEST(destroy_fails_a_stalled_request_with_enodev)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct async_req a;

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_STALL, 1);
	ASSERT_TRUE(async_start(&a, d, PLUG, 0, 1));
	ASSERT_OK(memhp_vmem_dev_wait_stalled(d));
	dev_destroy(d);
	ASSERT_ERR(async_join(&a), -ENODEV);
}

/* A stall armed for a request that never comes: ^C (the memhp task
 * signal) must end the wait, or a scenario hangs where it waits
 * (fuzz_lua, tests/fuzz/regress_fuzz_lua/wait-stalled-without-a-request). */
DEVICE_TEST(wait_stalled_with_no_request_ends_eintr_on_the_task_signal)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_STALL, 1);
	memhp_task_signal(memhp_current_task());
	EXPECT_EQ(memhp_vmem_dev_wait_stalled(d), -EINTR);
	memhp_task_clear_signal(memhp_current_task());
}

DEVICE_TEST(discard_failure_is_busy_and_keeps_the_block_plugged)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct memhp_vmem_dev_stats st;

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 2), ACK);
	memset(host(0), 0x5a, 2 * BLOCK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_DISCARD, 2);
	ASSERT_EQ(unplug(d, 0, 1), BUSY);
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_EQ(resident(0, 1), host_pages(1));
	ASSERT_EQ(unplug_all(d), BUSY);
	ASSERT_EQ(config_of(d).plugged, 2 * BLOCK);
	memhp_vmem_dev_stats(d, &st);
	ASSERT_EQ(st.discard_failures, 2);
	ASSERT_EQ(unplug(d, 0, 1), ACK);
}

#define NR_GUESTS 4
#define ROUNDS 64

struct guest {
	pthread_t thread;
	struct memhp_vmem_dev *d;
	uint64_t block;
	int failures;
};

static void *guest_fn(void *arg)
{
	struct guest *g = arg;

	for (int i = 0; i < ROUNDS; i++) {
		g->failures += plug(g->d, g->block, 2) != ACK;
		g->failures += state_of(g->d, g->block, 2) != MEMHP_VIRTIO_MEM_STATE_PLUGGED;
		g->failures += unplug(g->d, g->block, 2) != ACK;
	}
	return NULL;
}

DEVICE_TEST(concurrent_guests_each_get_their_own_answers)
{
	struct memhp_vmem_dev *d = qemu_dev(2 * NR_GUESTS * BLOCK);
	struct guest g[NR_GUESTS];
	struct memhp_vmem_dev_stats st;
	int started = 0;

	ASSERT_TRUE(d);
	for (int i = 0; i < NR_GUESTS; i++) {
		g[i] = (struct guest){ .d = d, .block = 2 * (uint64_t)i };
		started += !pthread_create(&g[i].thread, NULL, guest_fn, &g[i]);
	}
	ASSERT_EQ(started, NR_GUESTS);
	/* Host-side changes race with the guests on purpose. */
	for (int i = 0; i < ROUNDS; i++)
		EXPECT_EQ(memhp_vmem_dev_set_requested_size(d, 2 * NR_GUESTS * BLOCK), 0);
	for (int i = 0; i < NR_GUESTS; i++) {
		pthread_join(g[i].thread, NULL);
		EXPECT_EQ(g[i].failures, 0);
	}
	memhp_vmem_dev_stats(d, &st);
	ASSERT_EQ(st.requests[PLUG] + st.requests[UNPLUG] + st.requests[STATE],
		  3 * NR_GUESTS * ROUNDS);
	ASSERT_EQ(config_of(d).plugged, 0);
	ASSERT_EQ(config_changes(d), ROUNDS);
}

struct trace_log {
	int plugs;
	long last_resp;
	uint64_t last_addr;
};

static void trace_fn(struct memhp_machine *m, const struct memhp_event *ev, void *priv)
{
	struct trace_log *log = priv;

	(void)m;
	if (ev->vmem_request.type == MEMHP_VIRTIO_MEM_REQ_PLUG) {
		log->plugs++;
		log->last_resp = ev->vmem_request.resp;
		log->last_addr = ev->vmem_request.addr;
	}
}

DEVICE_TEST(requests_are_traced_with_their_answer)
{
	struct memhp_vmem_dev *d = qemu_dev(BLOCK);
	struct trace_log log = { 0 };
	AUTO_REG sub = { 0 };

	ASSERT_TRUE(d);
	ASSERT_OK(tm_event_subscribe(&sub, fx.m, MEMHP_EVENT_BIT(MEMHP_EV_VMEM_DEVICE_ANSWER),
				     trace_fn, &log));
	ASSERT_EQ(plug(d, 3, 2), NACK);
	tm_unregister(&sub);
	ASSERT_EQ(log.plugs, 1);
	ASSERT_EQ(log.last_resp, NACK);
	ASSERT_EQ(log.last_addr, gpa(3));
}

/* ==== Cloud Hypervisor ================================================================== */

DEVICE_TEST(cloud_hypervisor_usable_region_is_the_whole_region_always)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_CLOUD_HYPERVISOR, 0);

	ASSERT_TRUE(d);
	ASSERT_EQ(config_of(d).usable, REGION_SIZE);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 4 * BLOCK));
	ASSERT_EQ(plug(d, NR_BLOCKS - 1, 1), ACK); /* QEMU: outside usable */
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(config_of(d).usable, REGION_SIZE);
	memhp_vmem_dev_system_reset(d);
	ASSERT_EQ(config_of(d).usable, REGION_SIZE);
}

DEVICE_TEST(cloud_hypervisor_checks_requested_size_before_range)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_CLOUD_HYPERVISOR, BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, NR_BLOCKS, 2), NACK); /* QEMU: ERROR */
	ASSERT_EQ(plug(d, NR_BLOCKS, 1), ERROR);
}

DEVICE_TEST(cloud_hypervisor_discard_failure_is_error)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_CLOUD_HYPERVISOR, 8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_DISCARD, 2);
	ASSERT_EQ(unplug(d, 0, 1), ERROR); /* QEMU: BUSY */
	ASSERT_TRUE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_EQ(unplug_all(d), ERROR);
	ASSERT_EQ(config_of(d).plugged, BLOCK);
}

DEVICE_TEST(cloud_hypervisor_refuses_resize_to_the_same_size)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_CLOUD_HYPERVISOR, 8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_ERR(memhp_vmem_dev_set_requested_size(d, 8 * BLOCK), -EINVAL);
	ASSERT_EQ(config_changes(d), 0); /* QEMU: notifies anyway */
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK));
	ASSERT_EQ(config_changes(d), 1);
}

DEVICE_TEST(cloud_hypervisor_requires_2mib_blocks_and_128mib_regions)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_CLOUD_HYPERVISOR, 0);
	c.block_size = 4 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.block_size = 0;
	c.region_size = 192 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.region_size = 256 * MEMHP_MiB;
	c.block_size = 2 * MEMHP_MiB;
	ASSERT_OK(try_create(&c));
}

DEVICE_TEST(cloud_hypervisor_request_must_be_exactly_24_bytes)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_CLOUD_HYPERVISOR, 8 * BLOCK);
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE + 1] = { 0 }, resp[MEMHP_VIRTIO_MEM_RESP_SIZE];

	ASSERT_TRUE(d);
	build_req(req, STATE, gpa(0), 1);
	ASSERT_ERR(memhp_vmem_dev_request(d, req, sizeof(req), resp, sizeof(resp)), -EIO);
	ASSERT_TRUE(memhp_vmem_dev_broken(d));
	/* Unlike QEMU, a broken CH device still interrupts on resize. */
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK));
	ASSERT_EQ(config_changes(d), 2);
}

DEVICE_TEST(cloud_hypervisor_offers_neither_acpi_pxm_nor_unplugged_inaccessible)
{
	struct memhp_vmem_dev_config c;
	struct memhp_vmem_dev *d;

	base_config(&c, MEMHP_VMEM_CLOUD_HYPERVISOR, 8 * BLOCK);
	c.unplugged_inaccessible = true;
	d = dev_new(&c);
	ASSERT_TRUE(d);
	ASSERT_EQ(memhp_vmem_dev_features(d), F_VERSION_1);
	ASSERT_FALSE(memhp_vmem_dev_get_config(d)->unplugged_inaccessible);
	ASSERT_TRUE(readable(host(0)));
	ASSERT_OK(memhp_vmem_dev_ack_features(d, F_VERSION_1));
}

/* ==== Firecracker ========================================================================= */

DEVICE_TEST(firecracker_plug_beyond_requested_size_is_error)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 2), ERROR); /* QEMU and CH: NACK */
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_EQ(plug(d, 1, 1), ERROR);
}

DEVICE_TEST(firecracker_usable_region_grows_by_slots_and_unplug_all_zeroes_it)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, 0);

	ASSERT_TRUE(d);
	ASSERT_EQ(config_of(d).usable, 0);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, BLOCK));
	ASSERT_EQ(config_of(d).usable, MEMHP_VIRTIO_MEM_FC_SLOT_SIZE);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 130 * MEMHP_MiB));
	ASSERT_EQ(config_of(d).usable, 2 * MEMHP_VIRTIO_MEM_FC_SLOT_SIZE);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, BLOCK));
	ASSERT_EQ(config_of(d).usable, 2 * MEMHP_VIRTIO_MEM_FC_SLOT_SIZE);
	ASSERT_EQ(unplug_all(d), ACK);
	/* QEMU would keep requested + 256 MiB usable. */
	ASSERT_EQ(config_of(d).usable, 0);
	ASSERT_EQ(plug(d, 0, 1), ERROR);
	/* A system reset (memhp's choice: Firecracker has none) is an
	 * UNPLUG_ALL, so it leaves nothing usable either. */
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, BLOCK));
	ASSERT_EQ(config_of(d).usable, MEMHP_VIRTIO_MEM_FC_SLOT_SIZE);
	memhp_vmem_dev_system_reset(d);
	ASSERT_EQ(config_of(d).usable, 0);
}

DEVICE_TEST(firecracker_discard_failure_is_still_ack)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, 8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 2), ACK);
	memset(host(0), 0x5a, 2 * BLOCK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_DISCARD, 1);
	ASSERT_EQ(unplug(d, 0, 1), ACK); /* QEMU: BUSY; CH: ERROR */
	ASSERT_FALSE(memhp_vmem_dev_block_plugged(d, 0));
	ASSERT_EQ(config_of(d).plugged, BLOCK);
	/* Its slot still has block 1 plugged: the memory stays with the host. */
	ASSERT_EQ(resident(0, 1), host_pages(1));
}

DEVICE_TEST(firecracker_malformed_request_is_dropped_not_fatal)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, 8 * BLOCK);
	uint8_t req[MEMHP_VIRTIO_MEM_REQ_SIZE], resp[MEMHP_VIRTIO_MEM_RESP_SIZE];
	struct memhp_vmem_dev_stats st;

	ASSERT_TRUE(d);
	build_req(req, PLUG, gpa(0), 1);
	ASSERT_ERR(memhp_vmem_dev_request(d, req, sizeof(req) - 1, resp, sizeof(resp)), -EIO);
	ASSERT_ERR(send_req(d, 9, gpa(0), 1, NULL), -EIO);
	ASSERT_FALSE(memhp_vmem_dev_broken(d));
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memhp_vmem_dev_stats(d, &st);
	ASSERT_EQ(st.malformed, 2);
	ASSERT_EQ(config_changes(d), 0);
}

DEVICE_TEST(firecracker_requires_unplugged_inaccessible)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, 8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(memhp_vmem_dev_features(d), F_VERSION_1 | F_INACCESSIBLE);
	ASSERT_TRUE(memhp_vmem_dev_get_config(d)->unplugged_inaccessible);
	/* FEATURES_OK goes through; activation fails at DRIVER_OK. */
	ASSERT_OK(memhp_vmem_dev_ack_features(d, F_VERSION_1));
	ASSERT_TRUE(memhp_vmem_dev_broken(d));
	ASSERT_EQ(config_changes(d), 1);
	ASSERT_ERR(plug(d, 0, 1), -EIO);
	ASSERT_ERR(memhp_vmem_dev_set_requested_size(d, 16 * BLOCK), -EIO);
	ASSERT_ERR(memhp_vmem_dev_set_requested_size(d, 3 * MEMHP_MiB), -EIO);
	memhp_vmem_dev_reset(d);
	ASSERT_OK(memhp_vmem_dev_ack_features(d, F_VERSION_1 | F_INACCESSIBLE));
	ASSERT_EQ(plug(d, 0, 1), ACK);
}

DEVICE_TEST(firecracker_block_size_at_least_2mib_and_regions_of_whole_slots)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_FIRECRACKER, 0);
	c.block_size = 1 * MEMHP_MiB; /* QEMU accepts it */
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.block_size = 256 * MEMHP_MiB; /* larger than a slot */
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.block_size = 4 * MEMHP_MiB;
	c.region_size = 192 * MEMHP_MiB;
	ASSERT_ERR(try_create(&c), -EINVAL);
	c.region_size = 256 * MEMHP_MiB;
	ASSERT_OK(try_create(&c));
}

DEVICE_TEST(firecracker_unplugged_blocks_stay_accessible_while_their_slot_has_plugged_ones)
{
	const uint64_t per_slot = MEMHP_VIRTIO_MEM_FC_SLOT_SIZE / BLOCK;
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, 8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_FALSE(readable(host(0)));
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_TRUE(readable(host(1))); /* unplugged, same slot */
	ASSERT_FALSE(readable(host(per_slot)));
	ASSERT_EQ(unplug(d, 0, 1), ACK);
	ASSERT_FALSE(readable(host(0)));
	ASSERT_FALSE(readable(host(1)));
}

DEVICE_TEST(firecracker_disabling_an_empty_slot_discards_even_when_discard_fails)
{
	struct memhp_vmem_dev *d = flavor_dev(MEMHP_VMEM_FIRECRACKER, 8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memset(host(0), 0x5a, BLOCK);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_DISCARD, 1);
	ASSERT_EQ(unplug(d, 0, 1), ACK);
	/* Firecracker would keep the memory (removing a KVM slot frees
	 * nothing); memhp's slot removal is a discard. */
	ASSERT_EQ(resident(0, 1), 0);
}

/* ==== memhp's deliberate differences from QEMU (docs/device.md) ============================ */

DEVICE_TEST(create_rejects_requested_size_above_region)
{
	struct memhp_vmem_dev_config c;

	base_config(&c, MEMHP_VMEM_QEMU, REGION_SIZE + BLOCK);
	ASSERT_ERR(try_create(&c), -EINVAL);
}

DEVICE_TEST(no_persistent_suspend_feature_is_offered)
{
	struct memhp_vmem_dev *d = qemu_dev(0);

	ASSERT_TRUE(d);
	ASSERT_EQ(memhp_vmem_dev_features(d) & (1ULL << 2), 0);
}

DEVICE_TEST(destroy_leaves_plugged_memory_to_the_machine)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);

	ASSERT_TRUE(d);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memset(host(0), 0x5a, BLOCK);
	dev_destroy(d);
	ASSERT_EQ(host(0)[0], 0x5a);
	ASSERT_EQ(resident(0, 1), host_pages(1));
	ASSERT_FALSE(readable(host(1)));
}

/* ---- Size listeners (QEMU's size-change notifiers) ------------------------------------ */

struct size_log {
	unsigned long calls;
	uint64_t sizes[16];
	uint64_t seen_plugged; /* what the config space said inside the listener */
	struct memhp_vmem_dev *dev;
};

static void log_size(struct memhp_vmem_dev *d, uint64_t size, void *priv)
{
	struct size_log *l = priv;
	struct memhp_virtio_mem_config c;

	/* The device's lock is not held: reading the config works. */
	memhp_vmem_dev_read_config(d, &c);
	l->seen_plugged = le64toh(c.plugged_size);
	if (l->calls < 16)
		l->sizes[l->calls] = size;
	l->calls++;
}

DEVICE_TEST(size_listeners_hear_every_plugged_size_change_before_the_answer)
{
	struct memhp_vmem_dev *d = qemu_dev(8 * BLOCK);
	struct size_log a = { 0 }, b = { 0 };
	struct memhp_vmem_size_listener la = { log_size, &a, NULL }, lb = { log_size, &b, NULL };

	ASSERT_TRUE(d);
	ASSERT_OK(memhp_vmem_dev_add_size_listener(d, &la));
	ASSERT_OK(memhp_vmem_dev_add_size_listener(d, &lb));
	ASSERT_EQ(plug(d, 0, 2), ACK);
	/* The listener ran before the guest got its answer. */
	ASSERT_EQ(a.calls, 1);
	ASSERT_EQ(a.sizes[0], 2 * BLOCK);
	ASSERT_EQ(a.seen_plugged, 2 * BLOCK);
	ASSERT_EQ(unplug(d, 1, 1), ACK);
	ASSERT_EQ(unplug_all(d), ACK);
	ASSERT_EQ(a.calls, 3);
	ASSERT_EQ(a.sizes[1], BLOCK);
	ASSERT_EQ(a.sizes[2], 0);
	ASSERT_EQ(b.calls, 3);
	ASSERT_EQ(plug(d, 0, 1), ACK);
	memhp_vmem_dev_system_reset(d);
	ASSERT_EQ(a.calls, 5);
	ASSERT_EQ(a.sizes[4], 0);
	memhp_vmem_dev_remove_size_listener(d, &la);
	memhp_vmem_dev_remove_size_listener(d, &la); /* not added: nothing */
	ASSERT_EQ(plug(d, 0, 1), ACK);
	ASSERT_EQ(a.calls, 5);
	ASSERT_EQ(b.calls, 6);
	memhp_vmem_dev_remove_size_listener(d, &lb);
}

DEVICE_TEST(size_listeners_hear_nothing_when_the_size_stays)
{
	struct memhp_vmem_dev *d = qemu_dev(2 * BLOCK);
	struct size_log a = { 0 };
	struct memhp_vmem_size_listener la = { log_size, &a, NULL };

	ASSERT_TRUE(d);
	ASSERT_OK(memhp_vmem_dev_add_size_listener(d, &la));
	ASSERT_EQ(plug(d, 0, 4), NACK);
	ASSERT_EQ(unplug(d, 0, 1), ERROR);
	ASSERT_EQ(unplug_all(d), ACK); /* nothing plugged */
	ASSERT_EQ(state_of(d, 0, 1), MEMHP_VIRTIO_MEM_STATE_UNPLUGGED);
	memhp_vmem_dev_inject(d, MEMHP_VMEM_FAULT_BUSY, 1);
	ASSERT_EQ(plug(d, 0, 1), BUSY);
	ASSERT_OK(memhp_vmem_dev_set_requested_size(d, 4 * BLOCK));
	ASSERT_OK(memhp_vmem_dev_flush(d));
	memhp_vmem_dev_system_reset(d); /* nothing plugged */
	ASSERT_EQ(a.calls, 0);
	ASSERT_ERR(memhp_vmem_dev_add_size_listener(d, NULL), -EINVAL);
	ASSERT_ERR(memhp_vmem_dev_add_size_listener(NULL, &la), -EINVAL);
	memhp_vmem_dev_remove_size_listener(d, &la);
}

RUN_TESTS(T(config_space_is_56_little_endian_bytes_in_uapi_order), T(default_block_size_is_2mib),
	  T(wait_stalled_with_no_request_ends_eintr_on_the_task_signal),
	  T(create_rejects_block_size_below_1mib_or_not_a_power_of_two),
	  T(create_rejects_addr_region_or_requested_size_not_multiple_of_block_size),
	  T(create_rejects_a_region_outside_the_machine_or_empty),
	  T(create_rejects_a_node_the_machine_does_not_have),
	  T(create_rejects_overlap_with_present_memory_or_another_device),
	  T(usable_region_is_requested_plus_extent_aligned_up_and_capped),
	  T(usable_region_grows_on_resize_but_never_shrinks), T(unplug_all_shrinks_usable_region),
	  T(plug_within_requested_size_is_ack_and_updates_bitmap_and_plugged_size),
	  T(plug_beyond_requested_size_is_nack), T(plug_outside_usable_region_is_error),
	  T(misaligned_or_empty_range_is_error), T(range_check_comes_before_requested_size_check),
	  T(requested_size_check_comes_before_state_check), T(plug_of_plugged_block_is_error),
	  T(unplug_of_unplugged_block_is_error), T(non_uniform_range_is_error_for_plug_and_unplug),
	  T(unplug_below_requested_size_is_ack), T(state_of_mixed_range_is_mixed),
	  T(state_of_invalid_range_is_error),
	  T(unplug_all_unplugs_every_block_and_acks_when_nothing_is_plugged),
	  T(requested_size_change_notifies_even_if_unchanged),
	  T(invalid_requested_size_is_einval_without_notification),
	  T(plugged_size_changes_send_no_notification),
	  T(request_from_the_config_callback_is_edeadlk), T(unplug_discards_host_memory),
	  T(unplug_all_discards_host_memory), T(unplugged_inaccessible_blocks_fault_until_plugged),
	  T(without_unplugged_inaccessible_unplugged_memory_reads_as_zero),
	  T(device_reset_keeps_block_states), T(system_reset_unplugs_everything),
	  T(system_reset_that_cannot_discard_leaves_blocks_plugged),
	  T(malformed_request_breaks_the_device), T(unknown_request_type_breaks_the_device),
	  T(short_response_buffer_breaks_the_device),
	  T(longer_buffers_are_accepted_and_only_10_bytes_are_written),
	  T(bad_arguments_are_einval_not_a_crash), T(broken_device_sends_no_config_notifications),
	  T(device_reset_repairs_a_broken_device),
	  T(features_offer_acpi_pxm_and_unplugged_inaccessible_when_configured),
	  T(refusing_offered_unplugged_inaccessible_is_efault), T(injected_busy_then_ack),
	  T(stats_count_the_injected_faults_that_struck),
	  T(injected_error_and_nack_apply_to_every_state_change_until_cleared),
	  T(state_requests_ignore_injected_answers),
	  T(injected_stall_holds_the_answer_until_released),
	  T(requested_size_change_during_a_stall_applies_to_the_held_request),
	  T(device_reset_drops_a_stalled_request), T(destroy_fails_a_stalled_request_with_enodev),
	  T(discard_failure_is_busy_and_keeps_the_block_plugged),
	  T(concurrent_guests_each_get_their_own_answers), T(requests_are_traced_with_their_answer),
	  T(cloud_hypervisor_usable_region_is_the_whole_region_always),
	  T(cloud_hypervisor_checks_requested_size_before_range),
	  T(cloud_hypervisor_discard_failure_is_error),
	  T(cloud_hypervisor_refuses_resize_to_the_same_size),
	  T(cloud_hypervisor_requires_2mib_blocks_and_128mib_regions),
	  T(cloud_hypervisor_request_must_be_exactly_24_bytes),
	  T(cloud_hypervisor_offers_neither_acpi_pxm_nor_unplugged_inaccessible),
	  T(firecracker_plug_beyond_requested_size_is_error),
	  T(firecracker_usable_region_grows_by_slots_and_unplug_all_zeroes_it),
	  T(firecracker_discard_failure_is_still_ack),
	  T(firecracker_malformed_request_is_dropped_not_fatal),
	  T(firecracker_requires_unplugged_inaccessible),
	  T(firecracker_block_size_at_least_2mib_and_regions_of_whole_slots),
	  T(firecracker_unplugged_blocks_stay_accessible_while_their_slot_has_plugged_ones),
	  T(firecracker_disabling_an_empty_slot_discards_even_when_discard_fails),
	  T(create_rejects_requested_size_above_region),
	  T(no_persistent_suspend_feature_is_offered),
	  T(destroy_leaves_plugged_memory_to_the_machine),
	  T(size_listeners_hear_every_plugged_size_change_before_the_answer),
	  T(size_listeners_hear_nothing_when_the_size_stays))
