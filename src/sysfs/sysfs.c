// SPDX-License-Identifier: MIT
/*
 * sysfs.c - the sysfs files: /sys/devices/system/memory (through the core's
 * show and store functions of drivers/base/memory.c), the generic device
 * files (uevent, power/), /sys/devices/system/node, /sys/bus/memory and
 * the memory_hotplug module parameters.
 */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>

/* A core show function writes at most a page into the buffer. */
static int core_show(struct fs_buf *b, ssize_t n)
{
	if (n < 0)
		return (int)n;
	b->len = (size_t)n;
	return 0;
}

FS_SHOW(show_block_size_bytes)
{
	return core_show(b, memhp_show_block_size_bytes(fs->m, b->p));
}

FS_SHOW(show_auto_online_blocks)
{
	return core_show(b, memhp_show_auto_online_blocks(fs->m, b->p));
}

FS_STORE(store_auto_online_blocks)
{
	return memhp_store_auto_online_blocks(fs->m, buf, len);
}

FS_SHOW(show_empty)
{
	return 0;
}

/* ---- uevent (drivers/base/core.c uevent_store, lib/kobject_uevent.c) ---------------- */

#define UEVENT_NUM_ENVP 64		/* keys in a uevent */
#define UEVENT_BUFFER_SIZE 2048		/* bytes of "KEY=value\0" */
#define UUID_STRING_LEN 36

static const char *const kobject_actions[] = {
	"add", "remove", "change", "move", "online", "offline", "bind", "unbind",
};

/* The environment of a uevent being built: only its size matters here. */
struct uevent_env {
	unsigned int keys;
	size_t buflen;
};

/* add_uevent_var(): false when the event has no room for @len more bytes. */
static bool env_add(struct uevent_env *env, size_t len)
{
	if (env->keys >= UEVENT_NUM_ENVP || len >= UEVENT_BUFFER_SIZE - env->buflen)
		return false;
	env->keys++;
	env->buflen += len + 1;
	return true;
}

static bool uuid_is_valid(const char *s)
{
	for (int i = 0; i < UUID_STRING_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static const char *arg_word_end(const char *buf, const char *buf_end, char delim)
{
	const char *next = buf;

	while (next <= buf_end && *next != delim)
		if (!isalnum((unsigned char)*next++))
			return NULL;
	return next == buf ? NULL : next;
}

/*
 * kobject_action_args(): "UUID [KEY=VALUE ...]" into @args; -EINVAL for
 * anything else, including arguments that do not fit an event.
 */
static int uevent_args(const char *buf, size_t count, struct uevent_env *args)
{
	const char *next, *buf_end, *key;
	size_t key_len;

	if (count && (buf[count - 1] == '\n' || buf[count - 1] == '\0'))
		count--;
	if (!count)
		return -EINVAL;
	if (count < UUID_STRING_LEN || !uuid_is_valid(buf) ||
	    !env_add(args, strlen("SYNTH_UUID=") + UUID_STRING_LEN))
		return -EINVAL;
	next = buf + UUID_STRING_LEN;
	buf_end = buf + count - 1;
	while (next <= buf_end) {
		if (*next != ' ')
			return -EINVAL;
		key = ++next;
		if (key > buf_end)
			return -EINVAL;
		buf = next;
		next = arg_word_end(buf, buf_end, '=');
		if (!next || next > buf_end || *next != '=')
			return -EINVAL;
		key_len = (size_t)(next - buf);
		if (++next > buf_end)
			return -EINVAL;
		buf = next;
		next = arg_word_end(buf, buf_end, ' ');
		if (!next)
			return -EINVAL;
		if (!env_add(args, strlen("SYNTH_ARG_=") + key_len + (size_t)(next - buf)))
			return -EINVAL;
	}
	return 0;
}

static size_t ull_digits(unsigned long long v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * kobject_synth_uevent(): parse the action and its arguments, then send
 * the event. Nobody listens to memhp's events (there is no netlink), but
 * whether the kernel could build it decides between success and -ENOMEM.
 * @devpath NULL: a device with neither bus nor class (the root of a
 * subsystem), whose events the uevent filter drops: success.
 */
static ssize_t synth_uevent(struct memhp_fs *fs, const char *devpath, const char *subsystem,
			    const char *buf, size_t count)
{
	struct uevent_env args = {0}, env = {0};
	const char *action_args = NULL, *space;
	size_t n = count, first, action = ARRAY_SIZE(kobject_actions);
	unsigned long long seq;
	int ret;

	/* kobject_action_type() */
	if (n && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	if (!n)
		return -EINVAL;
	space = memchr(buf, ' ', strnlen(buf, n));
	if (space) {
		first = (size_t)(space - buf);
		action_args = space + 1;
	} else {
		first = n;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kobject_actions); i++) {
		if (!strncmp(kobject_actions[i], buf, first) && !kobject_actions[i][first]) {
			action = i;
			break;
		}
	}
	if (action == ARRAY_SIZE(kobject_actions))
		return -EINVAL;
	if (action_args) {
		ret = uevent_args(action_args, count - (size_t)(action_args - buf), &args);
		if (ret)
			return ret;
	} else {
		args.keys = 1;
		args.buflen = strlen("SYNTH_UUID=0") + 1;
	}
	if (!devpath)
		return (ssize_t)count;
	/* kobject_uevent_env(): ACTION, DEVPATH, SUBSYSTEM, the arguments,
	 * SEQNUM, each with its terminator. */
	seq = atomic_load(&fs->uevent_seqnum) + 1;
	if (!env_add(&env, strlen("ACTION=") + strlen(kobject_actions[action])) ||
	    !env_add(&env, strlen("DEVPATH=") + strlen(devpath)) ||
	    !env_add(&env, strlen("SUBSYSTEM=") + strlen(subsystem)))
		return -ENOMEM;
	if (env.keys + args.keys > UEVENT_NUM_ENVP ||
	    env.buflen + args.buflen > UEVENT_BUFFER_SIZE)
		return -ENOMEM;
	env.keys += args.keys;
	env.buflen += args.buflen;
	if (!env_add(&env, strlen("SEQNUM=") + ull_digits(seq)))
		return -ENOMEM;
	atomic_fetch_add(&fs->uevent_seqnum, 1);
	memhp_trace_instant(fs->m, devpath, 0, (long)action);
	return (ssize_t)count;
}

FS_STORE(store_dev_uevent)
{
	const struct fs_node *dir = &fs_nodes[fs_nodes[r->idx].parent];
	char dev[64];

	if (dir->pattern == PAT_BLOCK) {
		snprintf(dev, sizeof(dev), "/devices/system/memory/memory%lu", r->id);
		return synth_uevent(fs, dev, "memory", buf, len);
	}
	if (dir->pattern == PAT_NODE) {
		snprintf(dev, sizeof(dev), "/devices/system/node/node%d", r->nid);
		return synth_uevent(fs, dev, "node", buf, len);
	}
	/* /sys/devices/system/{memory,node}: subsystem roots. */
	return synth_uevent(fs, NULL, NULL, buf, len);
}

/* bus_uevent_store(): the event is the bus's own. */
FS_STORE(store_bus_uevent)
{
	return synth_uevent(fs, "/bus/memory", "bus", buf, len);
}

/* ---- power/ (drivers/base/power/sysfs.c), runtime PM never enabled ------------------ */

/* Devices are told apart by the inode of their power directory. */
static uint64_t pm_key(const struct fs_ref *r)
{
	struct fs_ref dir = *r;

	dir.idx = fs_nodes[r->idx].parent;
	return fs_ref_ino(&dir);
}

static bool pm_forbidden(struct memhp_fs *fs, uint64_t key, int set)
{
	bool found = false;

	pthread_mutex_lock(&fs->pm_lock);
	for (unsigned int i = 0; i < fs->nr_pm_forbidden; i++) {
		if (fs->pm_forbidden[i] != key)
			continue;
		found = true;
		if (set == 0)
			fs->pm_forbidden[i] = fs->pm_forbidden[--fs->nr_pm_forbidden];
		break;
	}
	if (!found && set == 1 && fs->nr_pm_forbidden < FS_MAX_PM_FORBIDDEN)
		fs->pm_forbidden[fs->nr_pm_forbidden++] = key;
	pthread_mutex_unlock(&fs->pm_lock);
	return found;
}

/* A removed block's device is gone; a new one starts with "auto". */
void pm_forget_block(struct memhp_fs *fs, unsigned long id)
{
	pthread_mutex_lock(&fs->pm_lock);
	for (unsigned int i = 0; i < fs->nr_pm_forbidden;) {
		struct fs_ref dir = {.idx = (unsigned int)(fs->pm_forbidden[i] & 0xffff)};

		if (fs_nodes[dir.idx].parent && fs_nodes[fs_nodes[dir.idx].parent].pattern ==
							PAT_BLOCK &&
		    fs->pm_forbidden[i] >> 24 == id)
			fs->pm_forbidden[i] = fs->pm_forbidden[--fs->nr_pm_forbidden];
		else
			i++;
	}
	pthread_mutex_unlock(&fs->pm_lock);
}

FS_SHOW(show_pm_autosuspend)
{
	return -EIO;		/* !dev->power.use_autosuspend */
}

FS_STORE(store_pm_autosuspend)
{
	return -EIO;
}

FS_SHOW(show_pm_control)
{
	buf_puts(b, pm_forbidden(fs, pm_key(r), -1) ? "on\n" : "auto\n");
	return 0;
}

/* control_store(): "auto" allows runtime PM, "on" forbids it; the device
 * stays "unsupported" either way, since runtime PM is disabled. */
FS_STORE(store_pm_control)
{
	if (sysfs_streq(buf, "auto"))
		pm_forbidden(fs, pm_key(r), 0);
	else if (sysfs_streq(buf, "on"))
		pm_forbidden(fs, pm_key(r), 1);
	else
		return -EINVAL;
	return (ssize_t)len;
}

FS_SHOW(show_pm_zero)
{
	buf_puts(b, "0\n");
	return 0;
}

FS_SHOW(show_pm_status)
{
	buf_puts(b, "unsupported\n");
	return 0;
}

/* ---- memoryN/ ----------------------------------------------------------------------- */

FS_SHOW(show_blk_online)
{
	return core_show(b, memhp_show_online(fs->m, r->id, b->p));
}

FS_STORE(store_blk_online)
{
	return memhp_store_online(fs->m, r->id, buf, len, nonblock);
}

FS_SHOW(show_blk_phys_device)
{
	return core_show(b, memhp_show_phys_device(fs->m, r->id, b->p));
}

FS_SHOW(show_blk_phys_index)
{
	return core_show(b, memhp_show_phys_index(fs->m, r->id, b->p));
}

FS_SHOW(show_blk_removable)
{
	return core_show(b, memhp_show_removable(fs->m, r->id, b->p));
}

FS_SHOW(show_blk_state)
{
	return core_show(b, memhp_show_state(fs->m, r->id, b->p));
}

FS_STORE(store_blk_state)
{
	return memhp_store_state(fs->m, r->id, buf, len, nonblock);
}

FS_SHOW(show_blk_valid_zones)
{
	return core_show(b, memhp_show_valid_zones(fs->m, r->id, b->p));
}

FS_LINK(link_blk_node)
{
	buf_printf(b, "../../node/node%d", r->nid);
}

FS_LINK(link_blk_subsystem)
{
	buf_puts(b, "../../../../bus/memory");
}

/* ---- /sys/devices/system/node ------------------------------------------------------ */

/* Node masks print as a list ("%*pbl"); there is one node, node 0. */
static void node_mask(struct fs_buf *b, bool set)
{
	buf_puts(b, set ? "0\n" : "\n");
}

static bool node_has_zones(struct memhp_fs *fs, int upto)
{
	for (int z = 0; z <= upto; z++) {
		struct memhp_zone_info zi;

		if (!memhp_zone_info(fs->m, 0, (enum memhp_zone_type)z, &zi) && zi.present_pages)
			return true;
	}
	return false;
}

FS_SHOW(show_nodes_cpu)
{
	node_mask(b, true);
	return 0;
}

FS_SHOW(show_nodes_generic_initiator)
{
	node_mask(b, false);
	return 0;
}

/* N_MEMORY: any present memory; N_NORMAL_MEMORY: in a kernel zone (no
 * HIGHMEM on x86_64, so ZONE_NORMAL and below). */
FS_SHOW(show_nodes_memory)
{
	node_mask(b, node_has_zones(fs, MEMHP_NR_ZONES - 1));
	return 0;
}

FS_SHOW(show_nodes_normal_memory)
{
	node_mask(b, node_has_zones(fs, MEMHP_ZONE_NORMAL));
	return 0;
}

FS_SHOW(show_nodes_online)
{
	node_mask(b, true);
	return 0;
}

FS_SHOW(show_nodes_possible)
{
	node_mask(b, true);
	return 0;
}

/* compact_store(): compacts the node and claims the write, whatever it
 * says. memhp has no compaction: the write is accepted and does nothing. */
FS_STORE(store_node_compact)
{
	return (ssize_t)len;
}

/* The guest has one CPU (QEMU's default -smp 1). */
FS_SHOW(show_node_cpulist)
{
	buf_puts(b, "0\n");
	return 0;
}

FS_SHOW(show_node_cpumap)
{
	buf_puts(b, "1\n");
	return 0;
}

FS_SHOW(show_node_distance)
{
	buf_puts(b, "10\n");	/* LOCAL_DISTANCE */
	return 0;
}

FS_LINK(link_node_cpu)
{
	buf_puts(b, "../../cpu/cpu0");
}

FS_LINK(link_node_subsystem)
{
	buf_puts(b, "../../../../bus/node");
}

FS_LINK(link_node_memory)
{
	buf_printf(b, "../../memory/memory%lu", r->id);
}

/* hugetlb is not modelled: no huge pages, none can be had. */
FS_SHOW(show_hugepages_zero)
{
	buf_puts(b, "0\n");
	return 0;
}

/* nr_hugepages_store_common(): kstrtoul base 10, then the pool is resized
 * as far as memory allows; here nothing can be allocated, as in a guest
 * without free 2 MiB blocks, so the count stays 0. */
FS_STORE(store_nr_hugepages)
{
	unsigned long count;
	int ret = kstrtoul(buf, 10, &count);

	return ret ? ret : (ssize_t)len;
}

/* ---- /sys/bus/memory ---------------------------------------------------------------- */

FS_SHOW(show_bus_autoprobe)
{
	buf_printf(b, "%d\n", !atomic_load(&fs->bus_noautoprobe));
	return 0;
}

/* store_drivers_autoprobe(): "0..." turns it off, anything else on. */
FS_STORE(store_bus_autoprobe)
{
	atomic_store(&fs->bus_noautoprobe, buf[0] == '0');
	return (ssize_t)len;
}

/* store_drivers_probe(): the device by name (sysfs_streq), which has no
 * driver to bind: success; no such device: -ENODEV. */
FS_STORE(store_bus_probe)
{
	char name[32];

	for (long id = memhp_next_block(fs->m, 0); id >= 0;
	     id = memhp_next_block(fs->m, (unsigned long)id + 1)) {
		snprintf(name, sizeof(name), "memory%ld", id);
		if (sysfs_streq(name, buf))
			return (ssize_t)len;
	}
	return -ENODEV;
}

FS_LINK(link_bus_device)
{
	buf_printf(b, "../../../devices/system/memory/memory%lu", r->id);
}

/* ---- /sys/module/memory_hotplug/parameters ------------------------------------------ */

FS_SHOW(show_param)
{
	return core_show(b, memhp_show_param(fs->m, fs_nodes[r->idx].name, b->p));
}

FS_STORE(store_param)
{
	return memhp_store_param(fs->m, fs_nodes[r->idx].name, buf, len);
}
