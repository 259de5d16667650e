/* SPDX-License-Identifier: MIT */
/*
 * memhp/fs.h - a machine's files as a Linux 6.1 guest shows them: the
 * memory and node trees of sysfs, its buses, virtio-mem devices, modules
 * and firmware memory map, /proc/meminfo, zoneinfo, buddyinfo,
 * pagetypeinfo, vmstat, iomem, kpageflags, kpagecount, slabinfo and
 * cmdline, and the debugfs files of the memory notifier error injector, and /dev/kmsg,
 * the machine's kernel log (memhp/printk.h; /proc/kmsg, syslog(2)'s
 * reader, is there and refuses every open with -EPERM).
 *
 * The tree knows nothing of FUSE. Paths are what a guest sees
 * ("/sys/devices/system/memory/memory32/state", "/proc/meminfo"); file
 * contents, modes and errnos are those of 6.1 (docs/sysfs.md lists every
 * file). Front ends use either the path calls (memhp_fs_read and
 * memhp_fs_write behave like open + read/write + close by root) or the
 * inode calls, which a file system daemon needs: inode numbers are stable
 * for a path as long as what it names exists.
 *
 * All calls are thread-safe. A memhp_fs is destroyed after every call on
 * it has returned, and before its machine.
 */
#ifndef MEMHP_FS_H
#define MEMHP_FS_H

#include <memhp/machine.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct memhp_fs;

/* Create the tree of @m; this also loads the error injector (registers its
 * memory notifier, priority 0). Returns 0 or -ENOMEM. */
MEMHP_API int memhp_fs_create(struct memhp_machine *m, struct memhp_fs **out);
MEMHP_API void memhp_fs_destroy(struct memhp_fs *fs);
/* The machine whose files @fs shows. */
MEMHP_API struct memhp_machine *memhp_fs_machine(struct memhp_fs *fs);

/*
 * Read the whole of the file at @path into @buf, as read(2) at offset 0
 * with a buffer of @size bytes: returns the number of bytes stored (at
 * most @size; no NUL is added), or -ENOENT, -ENOTDIR, -ELOOP (bad path),
 * -EISDIR, -EACCES (a file root may not read, such as a write-only
 * attribute), -EPERM (/proc/kmsg), or the error of the file's show
 * function (-EIO, -ENODEV). /dev/kmsg reads as a fresh open's first read:
 * the oldest record in the log, or -EINVAL when it does not fit @size.
 */
MEMHP_API ssize_t memhp_fs_read(struct memhp_fs *fs, const char *path, char *buf, size_t size);

/*
 * Write @len bytes to the file at @path, as root's open(O_WRONLY) + one
 * write(2) + close would on Linux 6.1: returns the count write(2) returns
 * (@len, or less where the kernel takes less: a sysfs attribute takes at
 * most a page), or -errno: -ENOENT, -ENOTDIR, -ELOOP, -EISDIR, -EACCES
 * (read-only sysfs attribute), -EIO (procfs file), or the attribute's own
 * errno (-EINVAL, -EBUSY, -ENOMEM from a notifier, ...). Blocks while
 * another state change runs, as the kernel's restarted write does. A write
 * to /dev/kmsg is one record (memhp_kmsg_write()).
 */
MEMHP_API ssize_t memhp_fs_write(struct memhp_fs *fs, const char *path, const char *buf,
				 size_t len);

/* ---- Inodes, for file system front ends ---------------------------------- */

#define MEMHP_FS_ROOT_INO 1

struct memhp_fs_attr {
	uint64_t ino;
	mode_t mode; /* S_IFDIR/S_IFREG/S_IFLNK | permissions */
	nlink_t nlink;
	off_t size; /* 4096 for sysfs attributes, as sysfs */
	/* Read at an offset with memhp_fs_pread(), never rendered whole. */
	bool positional;
};

/* The entry @name in directory @parent: 0, -ENOENT, -ENOTDIR. It also
 * finds the names that are gone (/proc/kcore, /proc/kpagecgroup: the
 * machine has neither), so that a front end can bind them over the host's
 * files; for them every other call (getattr, open, readdir, a path) says
 * -ENOENT. */
MEMHP_API int memhp_fs_lookup(struct memhp_fs *fs, uint64_t parent, const char *name,
			      struct memhp_fs_attr *attr);
/* 0, or -ENOENT when @ino names nothing (any more). */
MEMHP_API int memhp_fs_getattr(struct memhp_fs *fs, uint64_t ino, struct memhp_fs_attr *attr);
/* Resolve an absolute @path, following symbolic links (the last one only
 * if @follow): 0, -ENOENT, -ENOTDIR, -ELOOP, -EINVAL (not absolute). */
MEMHP_API int memhp_fs_resolve(struct memhp_fs *fs, const char *path, bool follow,
			       struct memhp_fs_attr *attr);

/*
 * Directory entries of @ino after position @off (0: from the start; ".",
 * ".." included). @fill gets each entry with the position to resume after
 * it and returns nonzero to stop. Returns 0, -ENOENT, -ENOTDIR.
 */
typedef int (*memhp_fs_fill_fn)(void *ctx, const char *name, const struct memhp_fs_attr *attr,
				uint64_t next_off);
MEMHP_API int memhp_fs_readdir(struct memhp_fs *fs, uint64_t ino, uint64_t off,
			       memhp_fs_fill_fn fill, void *ctx);

/* The target of symbolic link @ino (relative, as sysfs has it), NUL
 * terminated: its length, or -ENOENT, -EINVAL (not a link), -ENAMETOOLONG. */
MEMHP_API ssize_t memhp_fs_readlink(struct memhp_fs *fs, uint64_t ino, char *buf, size_t size);

/*
 * May root open @ino with @flags (O_RDONLY, O_WRONLY, O_RDWR; others
 * ignored)? 0, -ENOENT, -EISDIR (directory opened for writing), -EACCES
 * (a sysfs attribute without that kind of access: kernfs refuses even
 * root), -EPERM (/proc/kmsg). Unprivileged callers are the front end's
 * business (mode bits). A daemon serves /dev/kmsg's opens, reads, seeks and
 * polls with memhp_kmsg_* itself: it is a file with a position per open.
 */
MEMHP_API int memhp_fs_open(struct memhp_fs *fs, uint64_t ino, int flags);

/*
 * A read or write in flight that its caller may interrupt, as a signal
 * interrupts a read(2) or write(2): a file system daemon makes one per
 * request and calls memhp_fs_req_interrupt() from another thread when the
 * kernel sends an interrupt for it. The call then returns -EINTR: a
 * writer waiting for the device hotplug lock gives up, a running offline
 * is stopped with the memhp task signal (memhp_task_signal()) and rolls
 * back, a reader waiting for a block's device lock (online, uevent) gives
 * up. A running online cannot be interrupted (nor can it in the kernel).
 */
struct memhp_fs_req;
/* NULL when out of memory. The request is root's until told otherwise. */
MEMHP_API struct memhp_fs_req *memhp_fs_req_new(struct memhp_fs *fs);
MEMHP_API void memhp_fs_req_free(struct memhp_fs_req *req);
/* Async-safe with respect to the call: may come before, during or after. */
MEMHP_API void memhp_fs_req_interrupt(struct memhp_fs_req *req);
/* Who opened the file the request reads: /proc/iomem shows its addresses
 * to root only (CAP_SYS_ADMIN in 6.1; uid 0 here). */
MEMHP_API void memhp_fs_req_set_uid(struct memhp_fs_req *req, uid_t uid);
/* Who writes: what the kernel would log as current->comm and its pid
 * ("sh (95): drop_caches: 3"). Without it the writer is "memhp", pid 0. */
#define MEMHP_TASK_COMM_LEN 16
MEMHP_API void memhp_fs_req_set_task(struct memhp_fs_req *req, pid_t pid, const char *comm);

/*
 * Render the contents of regular file @ino, as one read from offset 0 of
 * a fresh open file would see them: *@out gets a malloc()ed buffer (free()
 * it) and the length is returned; or -ENOENT, -EISDIR, -EINVAL (a link,
 * or a file read by position: memhp_fs_pread()), -EACCES (no show
 * function: a write-only attribute, /proc/kmsg), -ENOMEM, -EINTR (@req
 * was interrupted while the read waited), or the show function's error
 * (-EIO, -ENODEV). Without @req the read is root's and waits
 * uninterruptibly, as memhp_fs_read() does. /dev/kmsg renders its oldest
 * record (-EAGAIN if the log is empty).
 */
MEMHP_API ssize_t memhp_fs_render(struct memhp_fs *fs, uint64_t ino, char **out,
				  struct memhp_fs_req *req);

/*
 * Read @size bytes at @off of a file read by position (attr.positional:
 * /proc/kpageflags, /proc/kpagecount, which are arrays too large to
 * render whole), as pread(2) does: the bytes stored (0 at the end), or
 * -ENOENT, -EISDIR, -EINVAL (not such a file; or what the file refuses,
 * e.g. an offset or size that is not a multiple of 8).
 */
MEMHP_API ssize_t memhp_fs_pread(struct memhp_fs *fs, uint64_t ino, void *buf, size_t size,
				 uint64_t off);

/*
 * Write to regular file @ino as write(2) on an open file does (the file
 * position does not matter; an open check is the caller's, see
 * memhp_fs_open()). With @req, the write can be interrupted (-EINTR).
 * Returns what memhp_fs_write() returns, apart from the path errors.
 */
MEMHP_API ssize_t memhp_fs_write_ino(struct memhp_fs *fs, uint64_t ino, const char *buf, size_t len,
				     struct memhp_fs_req *req);

/*
 * The daemon is going away: interrupt every write that has a request, and
 * fail interruptible writes from now on with -EINTR. Path writes are not
 * affected.
 */
MEMHP_API void memhp_fs_shutdown(struct memhp_fs *fs);

/* ---- uevents (lib/kobject_uevent.c) ----------------------------------------
 *
 * The tree sends the uevents a 6.1 kernel sends for what it shows: "add"
 * and "remove" when a memory block appears or goes, "online" and
 * "offline" when device_online()/device_offline() change one (a write to
 * state or online, auto-online, a driver), and whatever a write to a
 * uevent file synthesises ("udevadm trigger"). There is no netlink: a
 * front end listens instead and plays udev, or runs the program named in
 * /sys/kernel/uevent_helper as the kernel does (CONFIG_UEVENT_HELPER).
 */
enum memhp_kobject_action {
	MEMHP_KOBJ_ADD,
	MEMHP_KOBJ_REMOVE,
	MEMHP_KOBJ_CHANGE,
	MEMHP_KOBJ_MOVE,
	MEMHP_KOBJ_ONLINE,
	MEMHP_KOBJ_OFFLINE,
	MEMHP_KOBJ_BIND,
	MEMHP_KOBJ_UNBIND,
};
/* "add", "remove", ...; NULL for a value out of range. */
MEMHP_API const char *memhp_kobject_action_name(enum memhp_kobject_action action);

/* UEVENT_NUM_ENVP and UEVENT_HELPER_PATH_LEN of the kernel. */
#define MEMHP_UEVENT_NUM_ENVP 64
#define MEMHP_UEVENT_HELPER_PATH_LEN 256

struct memhp_uevent {
	unsigned long long seqnum; /* uevent_seqnum after this event */
	const char *action;	   /* "add", "online", ... */
	const char *devpath;	   /* "/devices/system/memory/memory32" */
	const char *subsystem;	   /* "memory", "node", "bus" */
	/* The environment netlink listeners get, in the kernel's order:
	 * ACTION, DEVPATH, SUBSYSTEM, SYNTH_* of a synthetic event, SEQNUM.
	 * NULL-terminated. */
	const char *const *envp;
	/* /sys/kernel/uevent_helper when the event was sent; "" if unset. */
	const char *helper;
};

/*
 * @fn gets every uevent from now on (NULL: none), in sequence order, on
 * the thread that caused it, possibly with hotplug locks held: it must
 * copy what it needs and return, and must not call into @fs or the
 * machine. The event and its strings live until @fn returns.
 */
typedef void (*memhp_uevent_fn)(const struct memhp_uevent *ev, void *priv);
MEMHP_API void memhp_fs_set_uevent_listener(struct memhp_fs *fs, memhp_uevent_fn fn, void *priv);

#ifdef __cplusplus
}
#endif
#endif /* MEMHP_FS_H */
