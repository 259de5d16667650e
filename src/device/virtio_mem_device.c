// SPDX-License-Identifier: MIT
/*
 * virtio_mem_device.c - the virtio-mem device, the hypervisor's side.
 *
 * The reference is QEMU's hw/virtio/virtio-mem.c and the virtio 1.2
 * "Memory Device" section; Cloud Hypervisor (virtio-devices/src/mem.rs)
 * and Firecracker (src/vmm/src/devices/virtio/mem/device.rs) are flavors
 * that differ where their sources differ. docs/device.md lists every rule
 * and every divergence with its source.
 *
 * One thread per device plays the VMM's I/O thread: guests put requests
 * on a queue and sleep on a condition variable until the thread answers,
 * as the Linux driver sleeps in wait_event() until the used ring moves.
 * Config-change notifications are delivered from the same thread, so a
 * driver's callback runs in "interrupt" context, never in the host thread
 * that changed requested_size.
 *
 * dev->lock protects all mutable state. The thread holds it while it
 * handles a request (QEMU holds the BQL likewise) and drops it only to
 * wait for a stall to be released, to run the config-change callback and
 * to emit trace events, so neither can deadlock against the device.
 */
#include "../lib/lockdep.h"

#include <memhp/alloc.h>
#include <memhp/events.h>
#include <memhp/hotplug.h>
#include <memhp/virtio_mem.h>

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(sizeof(struct memhp_virtio_mem_req) == MEMHP_VIRTIO_MEM_REQ_SIZE, "req size");
_Static_assert(sizeof(struct memhp_virtio_mem_resp) == MEMHP_VIRTIO_MEM_RESP_SIZE, "resp size");
_Static_assert(sizeof(struct memhp_virtio_mem_config) == MEMHP_VIRTIO_MEM_CONFIG_SIZE,
	       "config size");

#define BITS_PER_LONG (8 * sizeof(unsigned long))
#define NR_REQ_TYPES (MEMHP_VIRTIO_MEM_REQ_STATE + 1)
#define NR_RESP_TYPES (MEMHP_VIRTIO_MEM_RESP_ERROR + 1)
/* A fault count that never runs out. */
#define FAULT_FOREVER (-1L)

static inline uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

static inline bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* A guest's request while it waits for the answer: on the guest's stack. */
struct vmem_req {
	struct vmem_req *next;
	uint8_t bytes[MEMHP_VIRTIO_MEM_REQ_SIZE];
	size_t req_len;
	void *resp;
	size_t resp_len;
	unsigned long gen; /* dev->gen when queued: a reset drops it */
	bool done;
	int ret;
	/* What the device did, for the event emitted before the answer. */
	bool answered;
	struct memhp_ev_vmem_request answer;
	/* The plugged size changed: listeners hear of it before the answer. */
	bool size_changed;
	uint64_t new_size;
};

struct memhp_vmem_dev {
	struct memhp_machine *m;
	struct memhp_vmem_dev_config cfg; /* effective; immutable */
	char *id;
	uint64_t nr_blocks;
	uint64_t offered;			/* feature bits; immutable */
	struct memhp_vmem_dev *next_registered; /* under registry_lock */

	pthread_t thread;
	struct mutex lock;
	pthread_cond_t wake; /* the device thread: work, release, reset, stop */
	pthread_cond_t idle; /* everybody else: answers, stalls, callbacks */

	struct vmem_req *head, *tail;
	unsigned long config_pending; /* notifications not delivered yet */
	bool busy;		      /* the thread is handling something */
	bool stopping;
	unsigned int nr_waiters; /* threads sleeping on @idle in an API call */
	/* Bumped by every (device or system) reset: requests from an older
	 * generation were on a virtqueue that no longer exists. */
	unsigned long gen;

	bool stalled;
	bool release;
	long faults[MEMHP_VMEM_NR_FAULTS];

	memhp_vmem_config_changed_fn callback;
	void *callback_priv;
	bool in_callback;
	struct memhp_vmem_size_listener *size_listeners;
	unsigned int size_notifying; /* threads running the listeners */

	/* The device proper. */
	unsigned long *bitmap; /* set: plugged */
	uint64_t plugged_size;
	uint64_t requested_size;
	uint64_t usable_region_size;
	bool broken;
	struct memhp_vmem_dev_stats stats;
};

/* A machine's devices, to refuse overlapping regions like QEMU's memory
 * device address space does. The list head lives with the machine (an
 * attachment), so a machine destroyed with devices left on it leaves no
 * stale entry behind. */
static DEFINE_MUTEX(registry_lock, VMEM_REGISTRY);
static const char registry_key;

/* Returns NULL only when @create fails. */
static struct memhp_vmem_dev **machine_registry(struct memhp_machine *m, bool create)
{
	struct memhp_vmem_dev **head = memhp_machine_attached(m, &registry_key);

	lockdep_assert_held(&registry_lock);
	if (!head && create) {
		head = calloc(1, sizeof(*head));
		if (head && memhp_machine_attach(m, &registry_key, head, free)) {
			free(head);
			head = NULL;
		}
	}
	return head;
}

const char *memhp_vmem_flavor_name(enum memhp_vmem_flavor flavor)
{
	switch (flavor) {
	case MEMHP_VMEM_QEMU:
		return "qemu";
	case MEMHP_VMEM_CLOUD_HYPERVISOR:
		return "cloud-hypervisor";
	case MEMHP_VMEM_FIRECRACKER:
		return "firecracker";
	}
	return NULL;
}

/* ---- The block bitmap ------------------------------------------------------ */

static bool test_block(const struct memhp_vmem_dev *dev, uint64_t i)
{
	return dev->bitmap[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG));
}

static void set_blocks(struct memhp_vmem_dev *dev, uint64_t first, uint64_t nr, bool plugged)
{
	for (uint64_t i = first; i < first + nr; i++) {
		if (plugged)
			dev->bitmap[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
		else
			dev->bitmap[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
	}
}

/* Plugged blocks among [first, first + nr). */
static uint64_t count_plugged(const struct memhp_vmem_dev *dev, uint64_t first, uint64_t nr)
{
	uint64_t n = 0;

	for (uint64_t i = first; i < first + nr; i++)
		n += test_block(dev, i);
	return n;
}

static uint64_t block_of(const struct memhp_vmem_dev *dev, uint64_t gpa)
{
	return (gpa - dev->cfg.addr) / dev->cfg.block_size;
}

/* ---- Host memory ------------------------------------------------------------ */

static bool take_fault(struct memhp_vmem_dev *dev, enum memhp_vmem_fault fault)
{
	if (!dev->faults[fault])
		return false;
	if (dev->faults[fault] > 0)
		dev->faults[fault]--;
	dev->stats.injected[fault]++;
	return true;
}

/*
 * Give [gpa, gpa + size) back to the host, as ram_block_discard_range()
 * does on unplug. Returns 0, or -EIO when the host "fails" (injected: the
 * madvise/fallocate failure every VMM has to handle).
 */
static int host_discard(struct memhp_vmem_dev *dev, uint64_t gpa, uint64_t size, bool inaccessible)
{
	if (take_fault(dev, MEMHP_VMEM_FAULT_DISCARD)) {
		dev->stats.discard_failures++;
		return -EIO;
	}
	return memhp_host_discard(dev->m, gpa, size, inaccessible);
}

/*
 * Firecracker maps device memory through KVM slots of FC_SLOT_SIZE and only
 * maps a slot while at least one of its blocks is plugged
 * (update_kvm_slots()): unplugged blocks that share a slot with a plugged
 * one stay accessible ("weak unplugged memory protection", issue #5348).
 * Disable every slot of [gpa, gpa + size) that has nothing plugged.
 */
static void fc_disable_empty_slots(struct memhp_vmem_dev *dev, uint64_t gpa, uint64_t size)
{
	const uint64_t slot = MEMHP_VIRTIO_MEM_FC_SLOT_SIZE, per_slot = slot / dev->cfg.block_size;
	uint64_t off = (gpa - dev->cfg.addr) / slot * slot;

	for (; off < gpa + size - dev->cfg.addr; off += slot)
		if (!count_plugged(dev, off / dev->cfg.block_size, per_slot))
			memhp_host_discard(dev->m, dev->cfg.addr + off, slot, true);
}

/*
 * Make [gpa, gpa + size) usable before its blocks count as plugged (QEMU
 * preallocates here with prealloc=on; Firecracker maps the KVM slots).
 * Returns 0 or -ENOMEM.
 */
static int host_populate(struct memhp_vmem_dev *dev, uint64_t gpa, uint64_t size)
{
	if (dev->cfg.flavor == MEMHP_VMEM_FIRECRACKER) {
		const uint64_t slot = MEMHP_VIRTIO_MEM_FC_SLOT_SIZE;
		uint64_t start = dev->cfg.addr + (gpa - dev->cfg.addr) / slot * slot;
		uint64_t end = dev->cfg.addr + align_up(gpa + size - dev->cfg.addr, slot);

		return memhp_host_populate(dev->m, start, end - start);
	}
	return memhp_host_populate(dev->m, gpa, size);
}

/* ---- The usable region ------------------------------------------------------- */

/*
 * QEMU's virtio_mem_resize_usable_region(): requested_size plus the extent,
 * capped at the region and aligned up to the block size; 0 when nothing is
 * requested. It only shrinks when @can_shrink (UNPLUG_ALL, system reset).
 */
static void qemu_resize_usable_region(struct memhp_vmem_dev *dev, uint64_t requested,
				      bool can_shrink)
{
	uint64_t size = requested + MEMHP_VIRTIO_MEM_USABLE_EXTENT;

	if (size > dev->cfg.region_size)
		size = dev->cfg.region_size;
	size = align_up(size, dev->cfg.block_size);
	if (!requested)
		size = 0;
	if (size < dev->usable_region_size && !can_shrink)
		return;
	dev->usable_region_size = size;
}

/* Firecracker's update_requested_size(): grow to whole KVM slots when the
 * requested size no longer fits, never shrink. */
static void fc_grow_usable_region(struct memhp_vmem_dev *dev, uint64_t requested)
{
	if (dev->usable_region_size < requested)
		dev->usable_region_size = align_up(requested, MEMHP_VIRTIO_MEM_FC_SLOT_SIZE);
}

/* ---- Requests ------------------------------------------------------------------ */

/* virtio_mem_valid_range(): block aligned, not empty, no wrap, and every
 * block inside the usable region. */
static bool valid_range(const struct memhp_vmem_dev *dev, uint64_t gpa, uint64_t size)
{
	const uint64_t addr = dev->cfg.addr, usable_end = addr + dev->usable_region_size;

	if (gpa % dev->cfg.block_size)
		return false;
	if (gpa + size < gpa || !size)
		return false;
	if (gpa < addr || gpa >= usable_end)
		return false;
	return gpa + size <= usable_end;
}

/*
 * PLUG. QEMU's order: range -> ERROR, beyond requested -> NACK, not all
 * unplugged -> ERROR, host failure -> BUSY, ACK. Cloud Hypervisor checks
 * the requested size before the range and never answers BUSY; Firecracker
 * answers ERROR for everything, including a plug beyond requested_size.
 */
static uint16_t handle_plug(struct memhp_vmem_dev *dev, uint64_t gpa, uint16_t nb_blocks)
{
	const uint64_t size = (uint64_t)nb_blocks * dev->cfg.block_size;
	const bool valid = valid_range(dev, gpa, size);
	const bool too_big = dev->plugged_size + size > dev->requested_size;

	switch (dev->cfg.flavor) {
	case MEMHP_VMEM_CLOUD_HYPERVISOR:
		if (too_big)
			return MEMHP_VIRTIO_MEM_RESP_NACK;
		if (!valid)
			return MEMHP_VIRTIO_MEM_RESP_ERROR;
		break;
	case MEMHP_VMEM_FIRECRACKER:
		if (!valid || too_big)
			return MEMHP_VIRTIO_MEM_RESP_ERROR;
		break;
	default:
		if (!valid)
			return MEMHP_VIRTIO_MEM_RESP_ERROR;
		if (too_big)
			return MEMHP_VIRTIO_MEM_RESP_NACK;
		break;
	}
	if (count_plugged(dev, block_of(dev, gpa), nb_blocks))
		return MEMHP_VIRTIO_MEM_RESP_ERROR;
	if (host_populate(dev, gpa, size))
		return dev->cfg.flavor == MEMHP_VMEM_QEMU ? MEMHP_VIRTIO_MEM_RESP_BUSY
							  : MEMHP_VIRTIO_MEM_RESP_ERROR;
	set_blocks(dev, block_of(dev, gpa), nb_blocks, true);
	dev->plugged_size += size;
	return MEMHP_VIRTIO_MEM_RESP_ACK;
}

/*
 * UNPLUG: range -> ERROR, not all plugged -> ERROR, discard failure ->
 * BUSY (QEMU) / ERROR (Cloud Hypervisor) / logged and ACKed anyway
 * (Firecracker), ACK. No flavor NACKs an unplug below requested_size.
 */
static uint16_t handle_unplug(struct memhp_vmem_dev *dev, uint64_t gpa, uint16_t nb_blocks)
{
	const uint64_t size = (uint64_t)nb_blocks * dev->cfg.block_size;
	const bool fc = dev->cfg.flavor == MEMHP_VMEM_FIRECRACKER;

	if (!valid_range(dev, gpa, size))
		return MEMHP_VIRTIO_MEM_RESP_ERROR;
	if (count_plugged(dev, block_of(dev, gpa), nb_blocks) != nb_blocks)
		return MEMHP_VIRTIO_MEM_RESP_ERROR;
	/* Firecracker's protection is per slot (fc_disable_empty_slots()). */
	if (host_discard(dev, gpa, size, dev->cfg.unplugged_inaccessible && !fc) && !fc)
		return dev->cfg.flavor == MEMHP_VMEM_QEMU ? MEMHP_VIRTIO_MEM_RESP_BUSY
							  : MEMHP_VIRTIO_MEM_RESP_ERROR;
	set_blocks(dev, block_of(dev, gpa), nb_blocks, false);
	dev->plugged_size -= size;
	if (fc)
		fc_disable_empty_slots(dev, gpa, size);
	return MEMHP_VIRTIO_MEM_RESP_ACK;
}

/*
 * UNPLUG_ALL, also the first half of a system reset. QEMU discards only if
 * something is plugged (failure -> BUSY) and then shrinks the usable region
 * to what requested_size needs. Cloud Hypervisor always discards (failure
 * -> ERROR) and keeps the usable region; Firecracker ignores discard
 * failures and shrinks the usable region to 0.
 */
static uint16_t handle_unplug_all(struct memhp_vmem_dev *dev)
{
	const uint64_t addr = dev->cfg.addr, region = dev->cfg.region_size;

	switch (dev->cfg.flavor) {
	case MEMHP_VMEM_CLOUD_HYPERVISOR:
		if (host_discard(dev, addr, region, dev->cfg.unplugged_inaccessible))
			return MEMHP_VIRTIO_MEM_RESP_ERROR;
		break;
	case MEMHP_VMEM_FIRECRACKER:
		host_discard(dev, addr, region, false);
		set_blocks(dev, 0, dev->nr_blocks, false);
		dev->plugged_size = 0;
		fc_disable_empty_slots(dev, addr, region);
		dev->usable_region_size = 0;
		return MEMHP_VIRTIO_MEM_RESP_ACK;
	default:
		if (dev->plugged_size &&
		    host_discard(dev, addr, region, dev->cfg.unplugged_inaccessible))
			return MEMHP_VIRTIO_MEM_RESP_BUSY;
		qemu_resize_usable_region(dev, dev->requested_size, true);
		break;
	}
	set_blocks(dev, 0, dev->nr_blocks, false);
	dev->plugged_size = 0;
	return MEMHP_VIRTIO_MEM_RESP_ACK;
}

/* STATE: ERROR on an invalid range (same rules as PLUG), else ACK with the
 * state of the whole range. */
static uint16_t handle_state(struct memhp_vmem_dev *dev, uint64_t gpa, uint16_t nb_blocks,
			     uint16_t *state)
{
	uint64_t plugged;

	if (!valid_range(dev, gpa, (uint64_t)nb_blocks * dev->cfg.block_size))
		return MEMHP_VIRTIO_MEM_RESP_ERROR;
	plugged = count_plugged(dev, block_of(dev, gpa), nb_blocks);
	if (plugged == nb_blocks)
		*state = MEMHP_VIRTIO_MEM_STATE_PLUGGED;
	else if (!plugged)
		*state = MEMHP_VIRTIO_MEM_STATE_UNPLUGGED;
	else
		*state = MEMHP_VIRTIO_MEM_STATE_MIXED;
	return MEMHP_VIRTIO_MEM_RESP_ACK;
}

/* A notification to the driver, from the device thread with dev->lock held
 * (dropped while the callback and tracers run). */
static void notify_config(struct memhp_vmem_dev *dev)
{
	memhp_vmem_config_changed_fn fn = dev->callback;
	void *priv = dev->callback_priv;

	lockdep_assert_held(&dev->lock);
	dev->stats.config_changes++;
	dev->in_callback = true;
	pthread_mutex_unlock(&dev->lock);
	memhp_event_emit(dev->m,
			 &(const struct memhp_event){ .type = MEMHP_EV_VMEM_CONFIG_CHANGED });
	if (fn)
		fn(dev, priv);
	pthread_mutex_lock(&dev->lock);
	dev->in_callback = false;
	pthread_cond_broadcast(&dev->idle);
}

/*
 * Tell the size listeners about @size, with dev->lock held (dropped while
 * they run). The list is read under the lock and only unlinked while no
 * thread walks it, so walking it unlocked is safe.
 */
static void notify_size(struct memhp_vmem_dev *dev, uint64_t size)
{
	struct memhp_vmem_size_listener *l = dev->size_listeners;

	lockdep_assert_held(&dev->lock);
	if (!l)
		return;
	dev->size_notifying++;
	pthread_mutex_unlock(&dev->lock);
	for (; l; l = l->next)
		l->fn(dev, size, l->priv);
	pthread_mutex_lock(&dev->lock);
	dev->size_notifying--;
	pthread_cond_broadcast(&dev->idle);
}

/*
 * Check the buffers as the flavor does. Returns true with the type if the
 * request can be handled. QEMU and Cloud Hypervisor then mark the device
 * broken (virtio_error(); CH's worker exits and the device needs a reset),
 * which also sends a config-change notification; Firecracker logs the
 * error and drops the request.
 */
static bool parse_request(struct memhp_vmem_dev *dev, const struct vmem_req *r, uint16_t *type)
{
	bool ok;

	if (dev->cfg.flavor == MEMHP_VMEM_CLOUD_HYPERVISOR)
		ok = r->req_len == MEMHP_VIRTIO_MEM_REQ_SIZE;
	else
		ok = r->req_len >= MEMHP_VIRTIO_MEM_REQ_SIZE;
	ok = ok && r->resp_len >= MEMHP_VIRTIO_MEM_RESP_SIZE;
	if (ok) {
		uint16_t le;

		memcpy(&le, r->bytes, sizeof(le));
		*type = le16toh(le);
		ok = *type < NR_REQ_TYPES;
	}
	if (ok)
		return true;
	dev->stats.malformed++;
	if (dev->cfg.flavor != MEMHP_VMEM_FIRECRACKER) {
		dev->broken = true;
		notify_config(dev);
	}
	return false;
}

/* Hold a stalled request until it is released. Returns 0, -EIO (a reset
 * dropped it first) or -ENODEV (the device is being destroyed). */
static int stall(struct memhp_vmem_dev *dev, const struct vmem_req *r)
{
	dev->stalled = true;
	dev->release = false;
	pthread_cond_broadcast(&dev->idle);
	while (!dev->release && !dev->stopping && dev->gen == r->gen)
		pthread_cond_wait(&dev->wake, &dev->lock);
	dev->stalled = false;
	dev->release = false;
	if (dev->stopping)
		return -ENODEV;
	return dev->gen == r->gen ? 0 : -EIO;
}

/* An injected answer (a response type), or -1 when none is due. */
static int forced_answer(struct memhp_vmem_dev *dev)
{
	/* The device's own faults, then the machine's numbered points
	 * (memhp sweep and memhp torture arm those). */
	if (take_fault(dev, MEMHP_VMEM_FAULT_BUSY) ||
	    memhp_should_fail(dev->m, MEMHP_FAULT_VMEM_REPLY_BUSY))
		return MEMHP_VIRTIO_MEM_RESP_BUSY;
	if (take_fault(dev, MEMHP_VMEM_FAULT_ERROR) ||
	    memhp_should_fail(dev->m, MEMHP_FAULT_VMEM_REPLY_ERROR))
		return MEMHP_VIRTIO_MEM_RESP_ERROR;
	if (take_fault(dev, MEMHP_VMEM_FAULT_NACK) ||
	    memhp_should_fail(dev->m, MEMHP_FAULT_VMEM_REPLY_NACK))
		return MEMHP_VIRTIO_MEM_RESP_NACK;
	return -1;
}

/* Answer @r or set r->ret to why there is no answer. */
static void handle_request(struct memhp_vmem_dev *dev, struct vmem_req *r)
{
	struct memhp_virtio_mem_resp resp = { 0 };
	uint16_t type, nb_blocks, state = 0, answer;
	const uint64_t before = dev->plugged_size;
	uint64_t addr;
	int forced;

	if (r->gen != dev->gen || dev->broken) {
		r->ret = -EIO;
		return;
	}
	if (!parse_request(dev, r, &type)) {
		r->ret = -EIO;
		return;
	}
	memcpy(&addr, r->bytes + 8, sizeof(addr));
	memcpy(&nb_blocks, r->bytes + 16, sizeof(nb_blocks));
	addr = le64toh(addr);
	nb_blocks = le16toh(nb_blocks);
	dev->stats.requests[type]++;

	if (type != MEMHP_VIRTIO_MEM_REQ_STATE) {
		if (take_fault(dev, MEMHP_VMEM_FAULT_STALL)) {
			r->ret = stall(dev, r);
			if (!r->ret && dev->broken)
				r->ret = -EIO;
			if (r->ret)
				return;
		}
		forced = forced_answer(dev);
		if (forced >= 0) {
			answer = (uint16_t)forced;
			goto respond;
		}
	}
	switch (type) {
	case MEMHP_VIRTIO_MEM_REQ_PLUG:
		answer = handle_plug(dev, addr, nb_blocks);
		break;
	case MEMHP_VIRTIO_MEM_REQ_UNPLUG:
		answer = handle_unplug(dev, addr, nb_blocks);
		break;
	case MEMHP_VIRTIO_MEM_REQ_UNPLUG_ALL:
		answer = handle_unplug_all(dev);
		break;
	default:
		answer = handle_state(dev, addr, nb_blocks, &state);
		break;
	}
respond:
	resp.type = htole16(answer);
	resp.state = htole16(state);
	memcpy(r->resp, &resp, sizeof(resp));
	dev->stats.responses[answer]++;
	r->answered = true;
	r->answer = (struct memhp_ev_vmem_request){
		.type = type, .resp = answer, .addr = addr, .nr_blocks = nb_blocks
	};
	r->size_changed = dev->plugged_size != before;
	r->new_size = dev->plugged_size;
	r->ret = 0;
}

static void *device_thread(void *arg)
{
	struct memhp_vmem_dev *dev = arg;
	char name[MEMHP_THREAD_NAME_LEN];

	/* The VMM's thread: named for top, gdb and traces. */
	snprintf(name, sizeof(name), "vmem-dev %s", dev->id ? dev->id : "");
	pthread_setname_np(pthread_self(), name);

	pthread_mutex_lock(&dev->lock);
	for (;;) {
		struct vmem_req *r;

		while (!dev->stopping && !dev->head && !dev->config_pending)
			pthread_cond_wait(&dev->wake, &dev->lock);
		if (dev->stopping)
			break;
		dev->busy = true;
		if (dev->config_pending) {
			dev->config_pending--;
			notify_config(dev);
		} else {
			r = dev->head;
			dev->head = r->next;
			if (!dev->head)
				dev->tail = NULL;
			r->answered = false;
			r->size_changed = false;
			handle_request(dev, r);
			if (r->answered) {
				/* @r stays valid: its guest waits for done. */
				pthread_mutex_unlock(&dev->lock);
				memhp_event_emit(dev->m,
						 &(const struct memhp_event){
							 .type = MEMHP_EV_VMEM_DEVICE_ANSWER,
							 .vmem_request = r->answer });
				pthread_mutex_lock(&dev->lock);
			}
			/* QEMU notifies its size-change listeners before it
			 * pushes the answer: so does memhp. */
			if (r->size_changed)
				notify_size(dev, r->new_size);
			r->done = true;
		}
		dev->busy = false;
		pthread_cond_broadcast(&dev->idle);
	}
	for (struct vmem_req *r = dev->head; r; r = r->next) {
		r->ret = -ENODEV;
		r->done = true;
	}
	dev->head = dev->tail = NULL;
	pthread_cond_broadcast(&dev->idle);
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

/* How often a wait for a stall looks at its caller's memhp task signal:
 * a signal wakes no condition variable. */
#define STALL_WAIT_SLICE_NS (10 * 1000 * 1000L)
#define NS_PER_S 1000000000L

static bool on_device_thread(const struct memhp_vmem_dev *dev)
{
	return pthread_equal(pthread_self(), dev->thread);
}

/* Sleep on dev->idle inside an API call; destroy waits for such sleepers
 * to leave before it frees the device. */
static void wait_idle(struct memhp_vmem_dev *dev)
{
	dev->nr_waiters++;
	pthread_cond_wait(&dev->idle, &dev->lock);
	dev->nr_waiters--;
	if (dev->stopping && !dev->nr_waiters)
		pthread_cond_broadcast(&dev->idle);
}

/*
 * May @r be answered on the caller's thread? Handing a request to the
 * device thread and the answer back costs two wake-ups, which on a busy
 * host is most of an unplug (hundreds of microseconds each, against tens
 * for the work). Nobody can tell which thread answered when the device has
 * nothing else to do (no request queued or being handled, no notification
 * pending, no stall), nothing of the answer runs anyone's code (a
 * well-formed request: a malformed one notifies the driver; no stall
 * armed; no size listener), and nobody subscribes to the device's
 * answers, which would show the thread they come from.
 */
static bool can_answer_inline(const struct memhp_vmem_dev *dev, const struct vmem_req *r)
{
	uint16_t le;

	lockdep_assert_held(&dev->lock);
	if (dev->head || dev->busy || dev->config_pending || dev->stalled || dev->in_callback ||
	    dev->broken || dev->size_listeners || dev->faults[MEMHP_VMEM_FAULT_STALL] ||
	    memhp_event_enabled(dev->m, MEMHP_EV_VMEM_DEVICE_ANSWER))
		return false;
	if (r->req_len < MEMHP_VIRTIO_MEM_REQ_SIZE || r->resp_len < MEMHP_VIRTIO_MEM_RESP_SIZE ||
	    (dev->cfg.flavor == MEMHP_VMEM_CLOUD_HYPERVISOR &&
	     r->req_len != MEMHP_VIRTIO_MEM_REQ_SIZE))
		return false;
	memcpy(&le, r->bytes, sizeof(le));
	return le16toh(le) < NR_REQ_TYPES;
}

int memhp_vmem_dev_request(struct memhp_vmem_dev *dev, const void *req, size_t req_len, void *resp,
			   size_t resp_len)
{
	struct vmem_req r = { .req_len = req_len, .resp = resp, .resp_len = resp_len };

	if (!dev || (!req && req_len) || (!resp && resp_len))
		return -EINVAL;
	if (on_device_thread(dev))
		return -EDEADLK;
	if (req_len)
		memcpy(r.bytes, req, req_len < sizeof(r.bytes) ? req_len : sizeof(r.bytes));

	pthread_mutex_lock(&dev->lock);
	if (dev->stopping) {
		pthread_mutex_unlock(&dev->lock);
		return -ENODEV;
	}
	r.gen = dev->gen;
	if (can_answer_inline(dev, &r)) {
		/* What device_thread() does for one request, here. */
		dev->busy = true;
		handle_request(dev, &r);
		dev->busy = false;
		pthread_cond_broadcast(&dev->idle);
		pthread_mutex_unlock(&dev->lock);
		return r.ret;
	}
	if (dev->tail)
		dev->tail->next = &r;
	else
		dev->head = &r;
	dev->tail = &r;
	pthread_cond_signal(&dev->wake);
	while (!r.done)
		wait_idle(dev);
	pthread_mutex_unlock(&dev->lock);
	return r.ret;
}

int memhp_vmem_dev_flush(struct memhp_vmem_dev *dev)
{
	if (!dev)
		return -EINVAL;
	if (on_device_thread(dev))
		return -EDEADLK;
	pthread_mutex_lock(&dev->lock);
	while (!dev->stopping && (dev->head || dev->config_pending || dev->busy))
		wait_idle(dev);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int memhp_vmem_dev_wait_stalled(struct memhp_vmem_dev *dev)
{
	int ret = 0;

	if (!dev)
		return -EINVAL;
	if (on_device_thread(dev))
		return -EDEADLK;
	pthread_mutex_lock(&dev->lock);
	/* A stall armed for a request that never comes would be waited for
	 * for ever: the caller's signal ends the wait. */
	while (!dev->stalled && !dev->stopping && !memhp_signal_pending()) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += STALL_WAIT_SLICE_NS;
		if (ts.tv_nsec >= NS_PER_S) {
			ts.tv_sec++;
			ts.tv_nsec -= NS_PER_S;
		}
		dev->nr_waiters++;
		pthread_cond_timedwait(&dev->idle, &dev->lock, &ts);
		dev->nr_waiters--;
		if (dev->stopping && !dev->nr_waiters)
			pthread_cond_broadcast(&dev->idle);
	}
	if (!dev->stalled)
		ret = dev->stopping ? -ENODEV : -EINTR;
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void memhp_vmem_dev_release_stall(struct memhp_vmem_dev *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	if (dev->stalled) {
		dev->release = true;
		pthread_cond_signal(&dev->wake);
	}
	pthread_mutex_unlock(&dev->lock);
}

void memhp_vmem_dev_inject(struct memhp_vmem_dev *dev, enum memhp_vmem_fault fault, long times)
{
	if (!dev || (unsigned int)fault >= MEMHP_VMEM_NR_FAULTS)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->faults[fault] = times < 0 ? FAULT_FOREVER : times;
	pthread_mutex_unlock(&dev->lock);
}

/* ---- Config space, features, notifications ------------------------------------ */

void memhp_vmem_dev_read_config(struct memhp_vmem_dev *dev, struct memhp_virtio_mem_config *cfg)
{
	if (!dev || !cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->block_size = htole64(dev->cfg.block_size);
	cfg->node_id = htole16(dev->cfg.node_id);
	cfg->addr = htole64(dev->cfg.addr);
	cfg->region_size = htole64(dev->cfg.region_size);
	pthread_mutex_lock(&dev->lock);
	cfg->usable_region_size = htole64(dev->usable_region_size);
	cfg->plugged_size = htole64(dev->plugged_size);
	cfg->requested_size = htole64(dev->requested_size);
	pthread_mutex_unlock(&dev->lock);
}

uint64_t memhp_vmem_dev_features(struct memhp_vmem_dev *dev)
{
	return dev ? dev->offered : 0;
}

int memhp_vmem_dev_ack_features(struct memhp_vmem_dev *dev, uint64_t features)
{
	const uint64_t inaccessible = 1ULL << MEMHP_VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE;
	int ret = 0;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	if (features & ~dev->offered) {
		ret = -EINVAL;
	} else if (dev->cfg.flavor == MEMHP_VMEM_QEMU && (dev->offered & inaccessible) &&
		   !(features & inaccessible)) {
		/* virtio_mem_validate_features() */
		ret = -EFAULT;
	} else if (dev->cfg.flavor == MEMHP_VMEM_FIRECRACKER && !(features & inaccessible)) {
		/* activate() fails with RequiredFeatureNotAcked; the MMIO
		 * transport sets DEVICE_NEEDS_RESET and interrupts. */
		dev->broken = true;
		dev->config_pending++;
		pthread_cond_signal(&dev->wake);
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

bool memhp_vmem_dev_broken(struct memhp_vmem_dev *dev)
{
	bool broken;

	if (!dev)
		return false;
	pthread_mutex_lock(&dev->lock);
	broken = dev->broken;
	pthread_mutex_unlock(&dev->lock);
	return broken;
}

void memhp_vmem_dev_set_config_changed(struct memhp_vmem_dev *dev, memhp_vmem_config_changed_fn fn,
				       void *priv)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	while (dev->in_callback && !on_device_thread(dev))
		wait_idle(dev);
	dev->callback = fn;
	dev->callback_priv = priv;
	pthread_mutex_unlock(&dev->lock);
}

int memhp_vmem_dev_add_size_listener(struct memhp_vmem_dev *dev, struct memhp_vmem_size_listener *l)
{
	if (!dev || !l || !l->fn)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	l->next = dev->size_listeners;
	dev->size_listeners = l;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

void memhp_vmem_dev_remove_size_listener(struct memhp_vmem_dev *dev,
					 struct memhp_vmem_size_listener *l)
{
	if (!dev || !l)
		return;
	pthread_mutex_lock(&dev->lock);
	/* Walkers read ->next unlocked: wait until none is walking. The
	 * device's own thread cannot wait for itself (a listener removing
	 * itself is documented as not allowed; this only avoids a hang). */
	while (dev->size_notifying && !on_device_thread(dev))
		wait_idle(dev);
	for (struct memhp_vmem_size_listener **p = &dev->size_listeners; *p; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
}

int memhp_vmem_dev_set_requested_size(struct memhp_vmem_dev *dev, uint64_t size)
{
	int ret = 0;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	/* Cloud Hypervisor's VirtioMemConfig::resize() refuses the size it
	 * already has, before anything else. */
	if (dev->cfg.flavor == MEMHP_VMEM_CLOUD_HYPERVISOR && size == dev->requested_size) {
		ret = -EINVAL;
		goto out;
	}
	/* Firecracker's update_requested_size() fails with DeviceNotActive
	 * before it looks at the size. */
	if (dev->cfg.flavor == MEMHP_VMEM_FIRECRACKER && dev->broken) {
		ret = -EIO;
		goto out;
	}
	if (size % dev->cfg.block_size || size > dev->cfg.region_size) {
		ret = -EINVAL;
		goto out;
	}
	switch (dev->cfg.flavor) {
	case MEMHP_VMEM_QEMU:
		if (size != dev->requested_size)
			qemu_resize_usable_region(dev, size, false);
		dev->requested_size = size;
		/* virtio_notify_config() goes nowhere while the device is
		 * broken (virtio_notify_vector() checks vdev->broken). */
		if (dev->broken)
			goto out;
		break;
	case MEMHP_VMEM_FIRECRACKER:
		fc_grow_usable_region(dev, size);
		dev->requested_size = size;
		break;
	case MEMHP_VMEM_CLOUD_HYPERVISOR:
		/* Mem::resize() interrupts whether or not the worker died. */
		dev->requested_size = size;
		break;
	}
	dev->config_pending++;
	pthread_cond_signal(&dev->wake);
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

const struct memhp_vmem_dev_config *memhp_vmem_dev_get_config(struct memhp_vmem_dev *dev)
{
	return dev ? &dev->cfg : NULL;
}

bool memhp_vmem_dev_block_plugged(struct memhp_vmem_dev *dev, uint64_t block_index)
{
	bool plugged = false;

	if (!dev)
		return false;
	pthread_mutex_lock(&dev->lock);
	if (block_index < dev->nr_blocks)
		plugged = test_block(dev, block_index);
	pthread_mutex_unlock(&dev->lock);
	return plugged;
}

uint64_t memhp_vmem_dev_nr_blocks(struct memhp_vmem_dev *dev)
{
	return dev ? dev->nr_blocks : 0;
}

void memhp_vmem_dev_stats(struct memhp_vmem_dev *dev, struct memhp_vmem_dev_stats *st)
{
	if (!dev || !st)
		return;
	pthread_mutex_lock(&dev->lock);
	*st = dev->stats;
	pthread_mutex_unlock(&dev->lock);
}

/* ---- Resets -------------------------------------------------------------------- */

/* The virtio part of a reset (virtio_reset()): the queue is gone, so are
 * the requests on it; a broken device works again. Block state stays. */
static void virtio_reset(struct memhp_vmem_dev *dev)
{
	struct vmem_req *r = dev->head;

	dev->broken = false;
	dev->gen++;
	for (; r; r = r->next) {
		r->ret = -EIO;
		r->done = true;
	}
	dev->head = dev->tail = NULL;
	pthread_cond_broadcast(&dev->wake);
	pthread_cond_broadcast(&dev->idle);
}

void memhp_vmem_dev_reset(struct memhp_vmem_dev *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	virtio_reset(dev);
	pthread_mutex_unlock(&dev->lock);
}

void memhp_vmem_dev_system_reset(struct memhp_vmem_dev *dev)
{
	uint64_t before;

	if (!dev)
		return;
	pthread_mutex_lock(&dev->lock);
	before = dev->plugged_size;
	/* virtio_mem_system_reset_hold() -> virtio_mem_unplug_all(); the
	 * other flavors get their own UNPLUG_ALL semantics. */
	handle_unplug_all(dev);
	virtio_reset(dev);
	if (dev->plugged_size != before)
		notify_size(dev, dev->plugged_size);
	pthread_mutex_unlock(&dev->lock);
}

/* ---- Creation ------------------------------------------------------------------ */

/*
 * The flavor's rules on @cfg, with defaults filled in. QEMU: block size a
 * power of two >= 1 MiB (default 2 MiB), requested size, address and region
 * multiples of it. Cloud Hypervisor: 2 MiB blocks only, regions in 128 MiB
 * units. Firecracker: power-of-two blocks >= 2 MiB that divide the 128 MiB
 * slot, regions of whole slots. Returns 0 or -EINVAL.
 */
static int check_config(struct memhp_machine *m, struct memhp_vmem_dev_config *cfg)
{
	const uint64_t phys_size = (uint64_t)memhp_max_pfn(m) << MEMHP_PAGE_SHIFT;

	if (cfg->node_id >= memhp_nr_node_ids(m))
		return -EINVAL;
	switch (cfg->flavor) {
	case MEMHP_VMEM_QEMU:
		if (!cfg->block_size)
			cfg->block_size = MEMHP_VIRTIO_MEM_DEFAULT_BLOCK_SIZE;
		if (cfg->block_size < MEMHP_VIRTIO_MEM_MIN_BLOCK_SIZE)
			return -EINVAL;
		break;
	case MEMHP_VMEM_CLOUD_HYPERVISOR:
		if (!cfg->block_size)
			cfg->block_size = MEMHP_VIRTIO_MEM_CH_BLOCK_SIZE;
		if (cfg->block_size != MEMHP_VIRTIO_MEM_CH_BLOCK_SIZE ||
		    cfg->region_size % MEMHP_VIRTIO_MEM_CH_REGION_ALIGN)
			return -EINVAL;
		cfg->unplugged_inaccessible = false;
		break;
	case MEMHP_VMEM_FIRECRACKER:
		if (!cfg->block_size)
			cfg->block_size = MEMHP_VIRTIO_MEM_FC_MIN_BLOCK_SIZE;
		if (cfg->block_size < MEMHP_VIRTIO_MEM_FC_MIN_BLOCK_SIZE ||
		    MEMHP_VIRTIO_MEM_FC_SLOT_SIZE % cfg->block_size ||
		    cfg->region_size % MEMHP_VIRTIO_MEM_FC_SLOT_SIZE)
			return -EINVAL;
		cfg->unplugged_inaccessible = true;
		break;
	default:
		return -EINVAL;
	}
	if (!is_pow2(cfg->block_size))
		return -EINVAL;
	if (cfg->requested_size % cfg->block_size || cfg->addr % cfg->block_size ||
	    cfg->region_size % cfg->block_size)
		return -EINVAL;
	/* QEMU checks this only when requested-size is set at run time; an
	 * oversized value at realize would just be unreachable. */
	if (!cfg->region_size || cfg->requested_size > cfg->region_size)
		return -EINVAL;
	if (cfg->addr + cfg->region_size < cfg->addr || cfg->addr + cfg->region_size > phys_size)
		return -EINVAL;
	return 0;
}

/* Returns 0 or -EBUSY if [addr, addr + size) meets present memory or
 * another device of @m. */
static int check_overlap(struct memhp_machine *m, uint64_t addr, uint64_t size)
{
	const unsigned long first = memhp_phys_to_block_id(m, addr);
	const unsigned long last = memhp_phys_to_block_id(m, addr + size - 1);
	long present = memhp_next_block(m, first);
	struct memhp_vmem_dev **registry = machine_registry(m, false);

	lockdep_assert_held(&registry_lock);
	if (present >= 0 && (unsigned long)present <= last)
		return -EBUSY;
	for (struct memhp_vmem_dev *d = registry ? *registry : NULL; d; d = d->next_registered)
		if (d->m == m && addr < d->cfg.addr + d->cfg.region_size &&
		    d->cfg.addr < addr + size)
			return -EBUSY;
	return 0;
}

static uint64_t offered_features(const struct memhp_vmem_dev_config *cfg)
{
	uint64_t f = 1ULL << MEMHP_VIRTIO_F_VERSION_1;

	/* QEMU offers ACPI_PXM on machines with NUMA state and ACPI, which
	 * every x86 q35 machine has; Cloud Hypervisor only with a --numa
	 * node for the zone and Firecracker never: memhp's guests have a
	 * single node and no NUMA configuration. */
	if (cfg->flavor == MEMHP_VMEM_QEMU)
		f |= 1ULL << MEMHP_VIRTIO_MEM_F_ACPI_PXM;
	if (cfg->unplugged_inaccessible)
		f |= 1ULL << MEMHP_VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE;
	return f;
}

/* The host side of realize: a clean slate. Returns 0 or -ENOMEM. */
static int prepare_host_memory(struct memhp_vmem_dev *dev)
{
	const uint64_t addr = dev->cfg.addr, size = dev->cfg.region_size;
	int ret;

	if (dev->cfg.unplugged_inaccessible)
		return memhp_host_discard(dev->m, addr, size, true) ? -ENOMEM : 0;
	/* QEMU maps the whole backend: unplugged memory reads as zeroes. */
	ret = memhp_host_populate(dev->m, addr, size);
	if (!ret)
		ret = memhp_host_discard(dev->m, addr, size, false);
	return ret ? -ENOMEM : 0;
}

int memhp_vmem_dev_create(struct memhp_machine *m, const struct memhp_vmem_dev_config *cfg,
			  struct memhp_vmem_dev **out)
{
	struct memhp_vmem_dev *dev, **registry;
	int ret;

	if (!m || !cfg || !out)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->m = m;
	dev->cfg = *cfg;
	ret = check_config(m, &dev->cfg);
	if (ret)
		goto free_dev;
	ret = -ENOMEM;
	if (cfg->id) {
		dev->id = strdup(cfg->id);
		if (!dev->id)
			goto free_dev;
	}
	dev->cfg.id = dev->id;
	dev->nr_blocks = dev->cfg.region_size / dev->cfg.block_size;
	dev->bitmap =
		calloc((dev->nr_blocks + BITS_PER_LONG - 1) / BITS_PER_LONG, sizeof(unsigned long));
	if (!dev->bitmap)
		goto free_dev;
	dev->offered = offered_features(&dev->cfg);
	dev->requested_size = dev->cfg.requested_size;
	switch (dev->cfg.flavor) {
	case MEMHP_VMEM_CLOUD_HYPERVISOR:
		dev->usable_region_size = dev->cfg.region_size;
		break;
	case MEMHP_VMEM_FIRECRACKER:
		fc_grow_usable_region(dev, dev->requested_size);
		break;
	default:
		qemu_resize_usable_region(dev, dev->requested_size, true);
		break;
	}

	pthread_mutex_lock(&registry_lock);
	ret = check_overlap(m, dev->cfg.addr, dev->cfg.region_size);
	/* The backend is the device's: the guest adding or removing memory
	 * in it must not change its host mapping. */
	if (!ret)
		ret = memhp_host_claim(m, dev->cfg.addr, dev->cfg.region_size);
	if (!ret) {
		ret = prepare_host_memory(dev);
		if (ret)
			memhp_host_unclaim(m, dev->cfg.addr, dev->cfg.region_size);
	}
	if (ret) {
		pthread_mutex_unlock(&registry_lock);
		goto free_dev;
	}
	mutex_init(&dev->lock, LOCK_RANK_VMEM_DEV);
	pthread_cond_init(&dev->wake, NULL);
	pthread_cond_init(&dev->idle, NULL);
	ret = -pthread_create(&dev->thread, NULL, device_thread, dev);
	if (ret) {
		pthread_mutex_unlock(&registry_lock);
		pthread_cond_destroy(&dev->idle);
		pthread_cond_destroy(&dev->wake);
		pthread_mutex_destroy(&dev->lock);
		ret = -ENOMEM;
		goto free_dev;
	}
	registry = machine_registry(m, true);
	if (!registry) {
		pthread_mutex_unlock(&registry_lock);
		memhp_vmem_dev_destroy(dev);
		return -ENOMEM;
	}
	dev->next_registered = *registry;
	*registry = dev;
	pthread_mutex_unlock(&registry_lock);
	*out = dev;
	return 0;

free_dev:
	free(dev->bitmap);
	free(dev->id);
	free(dev);
	return ret;
}

unsigned int memhp_vmem_devices(struct memhp_machine *m, struct memhp_vmem_dev **devs,
				unsigned int max)
{
	struct memhp_vmem_dev **registry;
	unsigned int n = 0;

	pthread_mutex_lock(&registry_lock);
	registry = machine_registry(m, false);
	for (struct memhp_vmem_dev *d = registry ? *registry : NULL; d; d = d->next_registered) {
		if (n < max)
			devs[n] = d;
		n++;
	}
	pthread_mutex_unlock(&registry_lock);
	return n;
}

void memhp_vmem_dev_destroy(struct memhp_vmem_dev *dev)
{
	struct memhp_vmem_dev **registry;
	uint64_t i = 0;

	if (!dev)
		return;
	pthread_mutex_lock(&registry_lock);
	registry = machine_registry(dev->m, false);
	for (struct memhp_vmem_dev **p = registry; p && *p; p = &(*p)->next_registered) {
		if (*p == dev) {
			*p = dev->next_registered;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);

	pthread_mutex_lock(&dev->lock);
	dev->stopping = true;
	pthread_cond_broadcast(&dev->wake);
	pthread_cond_broadcast(&dev->idle);
	pthread_mutex_unlock(&dev->lock);
	pthread_join(dev->thread, NULL);

	pthread_mutex_lock(&dev->lock);
	while (dev->nr_waiters)
		pthread_cond_wait(&dev->idle, &dev->lock);
	pthread_mutex_unlock(&dev->lock);

	/* Unplugged blocks go back to the host for good. */
	while (i < dev->nr_blocks) {
		uint64_t j = i;

		while (j < dev->nr_blocks && !test_block(dev, j))
			j++;
		if (j > i)
			memhp_host_discard(dev->m, dev->cfg.addr + i * dev->cfg.block_size,
					   (j - i) * dev->cfg.block_size, true);
		i = j + 1;
	}
	/* Plugged memory stays with the machine, as ordinary RAM now. */
	memhp_host_unclaim(dev->m, dev->cfg.addr, dev->cfg.region_size);
	pthread_cond_destroy(&dev->idle);
	pthread_cond_destroy(&dev->wake);
	pthread_mutex_destroy(&dev->lock);
	free(dev->bitmap);
	free(dev->id);
	free(dev);
}
