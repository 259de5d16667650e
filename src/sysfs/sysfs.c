// SPDX-License-Identifier: MIT
/*
 * sysfs.c - the sysfs files: /sys/devices/system/memory (through the core's
 * show and store functions of drivers/base/memory.c), the generic device
 * files (uevent, power/), /sys/devices/system/node, /sys/bus/memory and
 * the memory_hotplug module parameters.
 */
#include "internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A core show function writes at most a page into the buffer. */
static int core_show(struct fs_buf *b, ssize_t n)
{
	if (n < 0)
		return (int)n;
	b->s.len = (size_t)n;
	return 0;
}

/* ---- soft_offline_page, hard_offline_page (CONFIG_MEMORY_FAILURE) ------------------- */

/*
 * Both take a physical address (kstrtoull base 0; any parse error, -ERANGE
 * too, is -EINVAL) and act on its pfn. The kernel wants CAP_SYS_ADMIN
 * (-EPERM); the tree is root's. Neither takes the device hotplug lock.
 */
static int parse_phys_pfn(const char *buf, unsigned long *pfn)
{
	unsigned long long addr;

	if (kstrtoull(buf, 0, &addr) < 0)
		return -EINVAL;
	*pfn = (unsigned long)(addr >> MEMHP_PAGE_SHIFT);
	return 0;
}

/* soft_offline_page_store(): the count, or soft_offline_page()'s errno. */
FS_STORE(store_soft_offline_page)
{
	unsigned long pfn;
	int ret = parse_phys_pfn(buf, &pfn);

	if (ret)
		return ret;
	ret = memhp_soft_offline_page(fs->m, pfn);
	return ret ? ret : (ssize_t)len;
}

/* hard_offline_page_store(): memory_failure(MF_SW_SIMULATED); a page the
 * hwpoison filter passed over (-EOPNOTSUPP) counts as done, though memhp
 * has no filter to pass over it. */
FS_STORE(store_hard_offline_page)
{
	unsigned long pfn;
	int ret = parse_phys_pfn(buf, &pfn);

	if (ret)
		return ret;
	ret = memhp_memory_failure(fs->m, pfn);
	if (ret == -EOPNOTSUPP)
		ret = 0;
	return ret ? ret : (ssize_t)len;
}

FS_SHOW(show_block_size_bytes)
{
	return core_show(b, memhp_show_block_size_bytes(fs->m, b->s.p));
}

FS_SHOW(show_auto_online_blocks)
{
	return core_show(b, memhp_show_auto_online_blocks(fs->m, b->s.p));
}

FS_STORE(store_auto_online_blocks)
{
	return memhp_store_auto_online_blocks(fs->m, buf, len);
}

FS_SHOW(show_empty)
{
	return 0;
}

/* uevent_show() takes the device lock: a block's read waits for a state
 * change of that block. */
FS_SHOW(show_blk_uevent)
{
	return core_show(b, memhp_show_uevent(fs->m, r->id, b->s.p, b->nonblock));
}

/* ---- uevent (drivers/base/core.c uevent_store, lib/kobject_uevent.c) ---------------- */

#define UUID_STRING_LEN 36

static const char *const kobject_actions[] = {
	[MEMHP_KOBJ_ADD] = "add",	[MEMHP_KOBJ_REMOVE] = "remove",
	[MEMHP_KOBJ_CHANGE] = "change", [MEMHP_KOBJ_MOVE] = "move",
	[MEMHP_KOBJ_ONLINE] = "online", [MEMHP_KOBJ_OFFLINE] = "offline",
	[MEMHP_KOBJ_BIND] = "bind",	[MEMHP_KOBJ_UNBIND] = "unbind",
};

const char *memhp_kobject_action_name(enum memhp_kobject_action action)
{
	if ((unsigned int)action >= ARRAY_SIZE(kobject_actions))
		return NULL;
	return kobject_actions[action];
}

/* add_uevent_var(): false when the event has no room for another key. */
static bool env_add(struct fs_uevent_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool env_add(struct fs_uevent_env *env, const char *fmt, ...)
{
	size_t room = sizeof(env->buf) - env->buflen;
	va_list ap;
	int len;

	if (env->keys >= MEMHP_UEVENT_NUM_ENVP)
		return false;
	va_start(ap, fmt);
	len = vsnprintf(&env->buf[env->buflen], room, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= room)
		return false;
	env->envp[env->keys++] = &env->buf[env->buflen];
	env->envp[env->keys] = NULL;
	env->buflen += (size_t)len + 1;
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
 * kobject_action_args(): "UUID [KEY=VALUE ...]" into SYNTH_UUID= and
 * SYNTH_ARG_KEY=VALUE; -EINVAL for anything else, including arguments
 * that do not fit an event.
 */
static int uevent_args(const char *buf, size_t count, struct fs_uevent_env *args)
{
	const char *next, *buf_end, *key;
	size_t key_len;

	if (count && (buf[count - 1] == '\n' || buf[count - 1] == '\0'))
		count--;
	if (!count)
		return -EINVAL;
	if (count < UUID_STRING_LEN || !uuid_is_valid(buf) ||
	    !env_add(args, "SYNTH_UUID=%.*s", UUID_STRING_LEN, buf))
		return -EINVAL;
	next = buf + UUID_STRING_LEN;
	buf_end = buf + count - 1;
	while (next <= buf_end) {
		const char *value;

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
		value = next;
		next = arg_word_end(value, buf_end, ' ');
		if (!next)
			return -EINVAL;
		if (!env_add(args, "SYNTH_ARG_%.*s=%.*s", (int)key_len, key, (int)(next - value),
			     value))
			return -EINVAL;
	}
	return 0;
}

/*
 * kobject_uevent_env(): ACTION, DEVPATH, SUBSYSTEM, the caller's keys,
 * then SEQNUM, taken and delivered under the uevent lock so listeners see
 * events in sequence order (uevent_sock_mutex). Returns 0 or -ENOMEM
 * (the event does not fit; no sequence number is used).
 */
int fs_uevent(struct memhp_fs *fs, enum memhp_kobject_action action, const char *devpath,
	      const char *subsystem, const struct fs_uevent_env *extra)
{
	struct fs_uevent_env *env = malloc(sizeof(*env));
	struct memhp_uevent ev;
	int ret = -ENOMEM;

	if (!env)
		return -ENOMEM;
	env->keys = 0;
	env->buflen = 0;
	env->envp[0] = NULL;
	if (!env_add(env, "ACTION=%s", kobject_actions[action]) ||
	    !env_add(env, "DEVPATH=%s", devpath) || !env_add(env, "SUBSYSTEM=%s", subsystem))
		goto out;
	for (unsigned int i = 0; extra && i < extra->keys; i++)
		if (!env_add(env, "%s", extra->envp[i]))
			goto out;
	pthread_mutex_lock(&fs->uevent_lock);
	/* Room for SEQNUM is checked with the number it will carry. */
	if (!env_add(env, "SEQNUM=%llu", fs->uevent_seqnum + 1)) {
		pthread_mutex_unlock(&fs->uevent_lock);
		goto out;
	}
	ev = (struct memhp_uevent){
		.seqnum = ++fs->uevent_seqnum,
		.action = kobject_actions[action],
		.devpath = devpath,
		.subsystem = subsystem,
		.envp = env->envp,
		.helper = fs->uevent_helper,
	};
	if (fs->uevent_fn)
		fs->uevent_fn(&ev, fs->uevent_priv);
	pthread_mutex_unlock(&fs->uevent_lock);
	ret = 0;
out:
	free(env);
	return ret;
}

/*
 * kobject_synth_uevent(): parse the action and its arguments, then send
 * the event, as "udevadm trigger" has the kernel do. @devpath NULL: a
 * device with neither bus nor class (the root of a subsystem), whose
 * events the uevent filter drops: success.
 */
ssize_t fs_synth_uevent(struct memhp_fs *fs, const char *devpath, const char *subsystem,
			const char *buf, size_t count)
{
	struct fs_uevent_env *args;
	const char *action_args = NULL, *space;
	size_t n = count, first, action = ARRAY_SIZE(kobject_actions);
	ssize_t ret;

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
	/* The kernel's test, strncmp() then kobject_actions[i][first] == '\0',
	 * reads past a name shorter than @first when @buf holds a NUL ("bind\0x"):
	 * only a name exactly @first long can match. */
	for (size_t i = 0; i < ARRAY_SIZE(kobject_actions); i++) {
		if (strlen(kobject_actions[i]) == first &&
		    !memcmp(kobject_actions[i], buf, first)) {
			action = i;
			break;
		}
	}
	if (action == ARRAY_SIZE(kobject_actions))
		return -EINVAL;
	args = malloc(sizeof(*args));
	if (!args)
		return -ENOMEM;
	args->keys = 0;
	args->buflen = 0;
	args->envp[0] = NULL;
	if (action_args) {
		ret = uevent_args(action_args, count - (size_t)(action_args - buf), args);
		if (ret)
			goto out;
	} else if (!env_add(args, "SYNTH_UUID=0")) {
		ret = -ENOMEM;
		goto out;
	}
	ret = (ssize_t)count;
	if (devpath) {
		int err =
			fs_uevent(fs, (enum memhp_kobject_action)action, devpath, subsystem, args);

		if (err)
			ret = err;
		else /* the core traces its own events; a synthetic one is news */
			memhp_event_emit(fs->m, &(const struct memhp_event){
							.type = MEMHP_EV_UEVENT_WRITTEN,
							.uevent = { .devpath = devpath,
								    .action = (int)action } });
	}
out:
	free(args);
	return ret;
}

FS_STORE(store_dev_uevent)
{
	const struct fs_node *dir = &fs_nodes[fs_nodes[r->idx].parent];
	char dev[FS_DEVPATH_MAX];

	if (dir->pattern == PAT_BLOCK) {
		snprintf(dev, sizeof(dev), "/devices/system/memory/memory%lu", r->id);
		return fs_synth_uevent(fs, dev, "memory", buf, len);
	}
	if (dir->pattern == PAT_NODE) {
		snprintf(dev, sizeof(dev), "/devices/system/node/node%d", r->nid);
		return fs_synth_uevent(fs, dev, "node", buf, len);
	}
	/* /sys/devices/system/{memory,node}: subsystem roots. */
	return fs_synth_uevent(fs, NULL, NULL, buf, len);
}

/* bus_uevent_store(): the event is the bus's own. */
FS_STORE(store_bus_uevent)
{
	return fs_synth_uevent(fs, "/bus/memory", "bus", buf, len);
}

/* ---- /sys/kernel/uevent_helper, uevent_seqnum (kernel/ksysfs.c) ---------------------- */

FS_SHOW(show_uevent_helper)
{
	pthread_mutex_lock(&fs->uevent_lock);
	buf_printf(b, "%s\n", fs->uevent_helper);
	pthread_mutex_unlock(&fs->uevent_lock);
	return 0;
}

/* uevent_helper_store(): one trailing newline is dropped; a path that does
 * not fit UEVENT_HELPER_PATH_LEN is -ENOENT, as in the kernel. */
FS_STORE(store_uevent_helper)
{
	size_t n = len;

	if (len + 1 > MEMHP_UEVENT_HELPER_PATH_LEN)
		return -ENOENT;
	if (n && buf[n - 1] == '\n')
		n--;
	pthread_mutex_lock(&fs->uevent_lock);
	memcpy(fs->uevent_helper, buf, n);
	fs->uevent_helper[n] = '\0';
	pthread_mutex_unlock(&fs->uevent_lock);
	return (ssize_t)len;
}

FS_SHOW(show_uevent_seqnum)
{
	pthread_mutex_lock(&fs->uevent_lock);
	buf_printf(b, "%llu\n", fs->uevent_seqnum);
	pthread_mutex_unlock(&fs->uevent_lock);
	return 0;
}

void memhp_fs_set_uevent_listener(struct memhp_fs *fs, memhp_uevent_fn fn, void *priv)
{
	pthread_mutex_lock(&fs->uevent_lock);
	fs->uevent_fn = fn;
	fs->uevent_priv = priv;
	pthread_mutex_unlock(&fs->uevent_lock);
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
		struct fs_ref dir = { .idx = (unsigned int)(fs->pm_forbidden[i] & 0xffff) };

		if (fs_nodes[dir.idx].parent &&
		    fs_nodes[fs_nodes[dir.idx].parent].pattern == PAT_BLOCK &&
		    fs->pm_forbidden[i] >> 24 == id)
			fs->pm_forbidden[i] = fs->pm_forbidden[--fs->nr_pm_forbidden];
		else
			i++;
	}
	pthread_mutex_unlock(&fs->pm_lock);
}

FS_SHOW(show_pm_autosuspend)
{
	return -EIO; /* !dev->power.use_autosuspend */
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
	return core_show(b, memhp_show_online(fs->m, r->id, b->s.p, b->nonblock));
}

FS_STORE(store_blk_online)
{
	return memhp_store_online(fs->m, r->id, buf, len, nonblock);
}

FS_SHOW(show_blk_phys_device)
{
	return core_show(b, memhp_show_phys_device(fs->m, r->id, b->s.p));
}

FS_SHOW(show_blk_phys_index)
{
	return core_show(b, memhp_show_phys_index(fs->m, r->id, b->s.p));
}

FS_SHOW(show_blk_removable)
{
	return core_show(b, memhp_show_removable(fs->m, r->id, b->s.p));
}

FS_SHOW(show_blk_state)
{
	return core_show(b, memhp_show_state(fs->m, r->id, b->s.p));
}

FS_STORE(store_blk_state)
{
	return memhp_store_state(fs->m, r->id, buf, len, nonblock);
}

FS_SHOW(show_blk_valid_zones)
{
	return core_show(b, memhp_show_valid_zones(fs->m, r->id, b->s.p));
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

/* A bitmap as a list ("%*pbl": "0-2,5"), then a newline. */
static void bitmap_list(struct fs_buf *b, const uint64_t *bits, unsigned int nbits)
{
	const char *sep = "";

	for (unsigned int i = 0; i < nbits; i++) {
		unsigned int j = i;

		if (!(bits[i / 64] & (1ULL << (i % 64))))
			continue;
		while (j + 1 < nbits && (bits[(j + 1) / 64] & (1ULL << ((j + 1) % 64))))
			j++;
		if (j > i)
			buf_printf(b, "%s%u-%u", sep, i, j);
		else
			buf_printf(b, "%s%u", sep, i);
		sep = ",";
		i = j;
	}
	buf_puts(b, "\n");
}

enum node_state_kind { NS_POSSIBLE, NS_ONLINE, NS_MEMORY, NS_NORMAL, NS_CPU, NS_GI };

/* node_states[]: which nodes have the state, as a list. */
static void node_mask(struct memhp_fs *fs, struct fs_buf *b, enum node_state_kind k)
{
	uint64_t bits[1] = { 0 };

	for (int nid = 0; nid < memhp_nr_node_ids(fs->m); nid++) {
		struct memhp_node_info ni;
		bool set;

		if (memhp_node_info(fs->m, nid, &ni))
			continue;
		switch (k) {
		case NS_POSSIBLE:
			set = true;
			break;
		case NS_ONLINE:
			set = ni.online;
			break;
		case NS_MEMORY:
			set = ni.has_memory;
			break;
		case NS_NORMAL:
			set = ni.has_normal_memory;
			break;
		case NS_CPU:
			set = ni.has_cpu;
			break;
		default:
			set = false;
		}
		if (set)
			bits[0] |= 1ULL << nid;
	}
	bitmap_list(b, bits, MEMHP_MAX_NUMNODES);
}

FS_SHOW(show_nodes_cpu)
{
	node_mask(fs, b, NS_CPU);
	return 0;
}

FS_SHOW(show_nodes_generic_initiator)
{
	node_mask(fs, b, NS_GI);
	return 0;
}

/* N_MEMORY: any present memory; N_NORMAL_MEMORY: in a kernel zone (no
 * HIGHMEM on x86_64, so ZONE_NORMAL and below). */
FS_SHOW(show_nodes_memory)
{
	node_mask(fs, b, NS_MEMORY);
	return 0;
}

FS_SHOW(show_nodes_normal_memory)
{
	node_mask(fs, b, NS_NORMAL);
	return 0;
}

FS_SHOW(show_nodes_online)
{
	node_mask(fs, b, NS_ONLINE);
	return 0;
}

FS_SHOW(show_nodes_possible)
{
	node_mask(fs, b, NS_POSSIBLE);
	return 0;
}

/* compact_store(): compacts the node and claims the write, whatever it
 * says. memhp has no compaction: the write is accepted and does nothing. */
FS_STORE(store_node_compact)
{
	return (ssize_t)len;
}

/* The node's CPUs, as a list and as a mask of 32-bit words. */
FS_SHOW(show_node_cpulist)
{
	struct memhp_node_info ni;

	if (memhp_node_info(fs->m, r->nid, &ni))
		return -ENOENT;
	bitmap_list(b, ni.cpus, MEMHP_MAX_CPUS);
	return 0;
}

/* "%*pb" of nr_cpu_ids bits: hex, 32-bit words from the highest,
 * comma-separated. */
FS_SHOW(show_node_cpumap)
{
	struct memhp_node_info ni;
	unsigned int nbits = memhp_machine_config(fs->m)->nr_cpus;
	unsigned int words;

	if (memhp_node_info(fs->m, r->nid, &ni))
		return -ENOENT;
	if (!nbits)
		nbits = 1;
	words = (nbits + 31) / 32;
	for (unsigned int w = words; w-- > 0;) {
		uint32_t v = (uint32_t)(ni.cpus[w / 2] >> (32 * (w % 2)));
		unsigned int bits = w == words - 1 ? nbits - 32 * w : 32;

		if (w == words - 1)
			buf_printf(b, "%0*x", (int)((bits + 3) / 4), v);
		else
			buf_printf(b, ",%08x", v);
	}
	buf_puts(b, "\n");
	return 0;
}

/* node_read_distance(): the SLIT row, to every possible node. */
FS_SHOW(show_node_distance)
{
	for (int to = 0; to < memhp_nr_node_ids(fs->m); to++)
		buf_printf(b, "%s%d", to ? " " : "", memhp_node_distance(fs->m, r->nid, to));
	buf_puts(b, "\n");
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
/* /sys/kernel/mm/hugepages/hugepages-2048kB and each node's hugepages:
 * the 2 MiB hstate's pool (memhp/hugetlb.h). A node's files are the
 * node's, the global ones every node's. */
static struct memhp_hugetlb_info hp_info(struct memhp_fs *fs, const struct fs_ref *r, bool node)
{
	struct memhp_hugetlb_info hi = { 0 };

	memhp_hugetlb_info(fs->m, 0, node ? r->nid : MEMHP_NUMA_NO_NODE, &hi);
	return hi;
}

FS_SHOW(show_hugepages_zero)
{
	buf_puts(b, "0\n");
	return 0;
}

FS_SHOW(show_node_hp_nr)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, true).nr_hugepages);
	return 0;
}

FS_SHOW(show_node_hp_free)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, true).free_hugepages);
	return 0;
}

FS_SHOW(show_node_hp_surplus)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, true).surplus_hugepages);
	return 0;
}

FS_SHOW(show_hp_nr)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, false).nr_hugepages);
	return 0;
}

FS_SHOW(show_hp_free)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, false).free_hugepages);
	return 0;
}

FS_SHOW(show_hp_surplus)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, false).surplus_hugepages);
	return 0;
}

FS_SHOW(show_hp_resv)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, false).resv_hugepages);
	return 0;
}

FS_SHOW(show_hp_overcommit)
{
	buf_printf(b, "%lu\n", hp_info(fs, r, false).nr_overcommit_hugepages);
	return 0;
}

/* nr_hugepages_store_common(): kstrtoul base 10, then the pool is resized
 * as far as memory allows (set_max_huge_pages()): the write succeeds
 * whatever it got. A node's file resizes that node's share. */
static ssize_t store_nr_common(struct memhp_fs *fs, const struct fs_ref *r, const char *buf,
			       size_t len, bool node)
{
	unsigned long count;
	int ret = kstrtoul(buf, 10, &count);

	if (ret)
		return ret;
	ret = memhp_hugetlb_set_nr(fs->m, 0, node ? r->nid : MEMHP_NUMA_NO_NODE, count);
	return ret ? ret : (ssize_t)len;
}

FS_STORE(store_nr_hugepages)
{
	return store_nr_common(fs, r, buf, len, true);
}

FS_STORE(store_hp_nr)
{
	return store_nr_common(fs, r, buf, len, false);
}

/* nr_overcommit_hugepages_store(): kstrtoul base 10. */
FS_STORE(store_hp_overcommit)
{
	unsigned long count;
	int ret = kstrtoul(buf, 10, &count);

	if (!ret)
		ret = memhp_hugetlb_set_overcommit(fs->m, 0, count);
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
	char name[FS_DEVPATH_MAX];

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
	return core_show(b, memhp_show_param(fs->m, fs_nodes[r->idx].name, b->s.p));
}

FS_STORE(store_param)
{
	return memhp_store_param(fs->m, fs_nodes[r->idx].name, buf, len);
}
