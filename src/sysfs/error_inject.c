// SPDX-License-Identifier: MIT
/*
 * error_inject.c - the memory notifier error injector
 * (lib/notifier-error-inject.c, lib/memory-notifier-error-inject.c) and
 * its debugfs files.
 *
 * It is a real memory notifier: the kernel's selftest proves that a
 * MEM_GOING_ONLINE or MEM_GOING_OFFLINE veto travels the same path as a
 * driver's, with notifiers of higher priority running before it and
 * MEM_CANCEL_* reaching everybody afterwards.
 *
 * Linux sets the priority once, as a module parameter at load time
 * (permission 0: not in sysfs). memhp keeps the injector loaded for the
 * life of the tree and lets the priority be changed through an extra
 * debugfs file, "priority", which re-registers the notifier: what
 * "modprobe -r; modprobe priority=N" does. The modprobe stub of
 * "memhp shell" writes it.
 */
#include "internal.h"

#include <stdio.h>

#define MAX_ERRNO 4095
/* simple_attr_write(): the kernel copies at most this much of a write
 * (sizeof(set_buf) - 1) and ignores the rest. */
#define SIMPLE_ATTR_SET_BUF 24

bool fs_node_is_online_error(unsigned int idx);

static int inject_call(struct memhp_notifier_block *nb, unsigned long action, void *data)
{
	struct memhp_fs *fs = nb->priv;
	struct memhp_memory_notify *arg = data;
	int err = 0;

	if (action == MEMHP_MEM_GOING_ONLINE)
		err = atomic_load(&fs->inject.going_online);
	else if (action == MEMHP_MEM_GOING_OFFLINE)
		err = atomic_load(&fs->inject.going_offline);
	if (err)
		memhp_event_emit(fs->m, &(const struct memhp_event){
						.type = MEMHP_EV_NOTIFIER_ERROR_INJECTED,
						.inject = { .action = action,
							    .start_pfn = arg->start_pfn,
							    .err = err } });
	return memhp_notifier_from_errno(err);
}

int err_inject_init(struct memhp_fs *fs)
{
	struct err_inject *ei = &fs->inject;
	int ret;

	pthread_mutex_init(&ei->lock, NULL);
	ei->nb.notifier_call = inject_call;
	ei->nb.priv = fs;
	ei->nb.priority = 0;
	ret = memhp_register_memory_notifier(fs->m, &ei->nb);
	if (ret)
		return ret;
	ei->registered = true;
	return 0;
}

void err_inject_exit(struct memhp_fs *fs)
{
	struct err_inject *ei = &fs->inject;

	if (ei->registered)
		memhp_unregister_memory_notifier(fs->m, &ei->nb);
	ei->registered = false;
	pthread_mutex_destroy(&ei->lock);
}

/* ---- debugfs files ------------------------------------------------------------------- */

static _Atomic int *error_of(struct memhp_fs *fs, const struct fs_ref *r)
{
	return fs_node_is_online_error(r->idx) ? &fs->inject.going_online
					       : &fs->inject.going_offline;
}

/* debugfs_errno_get() through DEFINE_SIMPLE_ATTRIBUTE_SIGNED: "%lld\n". */
FS_SHOW(show_inject_error)
{
	buf_printf(b, "%lld\n", (long long)atomic_load(error_of(fs, r)));
	return 0;
}

/*
 * simple_attr_write_signed() + debugfs_errno_set(): the first 23 bytes
 * are parsed with kstrtoll(base 0) (-EINVAL, -ERANGE), the value is cast
 * to int and clamped to [-MAX_ERRNO, 0]; success claims the whole write.
 */
FS_STORE(store_inject_error)
{
	char set_buf[SIMPLE_ATTR_SET_BUF];
	size_t size = MIN(sizeof(set_buf) - 1, len);
	long long val;
	int ret, err;

	memcpy(set_buf, buf, size);
	set_buf[size] = '\0';
	ret = kstrtoll(set_buf, 0, &val);
	if (ret)
		return ret;
	err = (int)val; /* clamp_t(int, ...) casts first */
	err = err < -MAX_ERRNO ? -MAX_ERRNO : err > 0 ? 0 : err;
	atomic_store(error_of(fs, r), err);
	return (ssize_t)len;
}

FS_SHOW(show_inject_priority)
{
	buf_printf(b, "%d\n", atomic_load(&fs->inject.priority));
	return 0;
}

/*
 * The module parameter, as param_set_int() parses it (kstrtoint base 0:
 * -EINVAL, -ERANGE); the notifier is registered again with the new
 * priority, which waits for a notification in progress to finish.
 */
FS_STORE(store_inject_priority)
{
	struct err_inject *ei = &fs->inject;
	char copy[FS_PAGE_SIZE + 1];
	int prio, ret;

	len = MIN(len, (size_t)FS_PAGE_SIZE);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	ret = kstrtoint(copy, 0, &prio);
	if (ret)
		return ret;
	pthread_mutex_lock(&ei->lock);
	if (ei->registered)
		memhp_unregister_memory_notifier(fs->m, &ei->nb);
	ei->nb.priority = prio;
	atomic_store(&ei->priority, prio);
	ret = memhp_register_memory_notifier(fs->m, &ei->nb);
	ei->registered = !ret;
	pthread_mutex_unlock(&ei->lock);
	return ret ? ret : (ssize_t)len;
}
