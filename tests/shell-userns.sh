#!/bin/bash
# SPDX-License-Identifier: MIT
# "memhp shell" for an ordinary user: with no root it goes through an
# unprivileged user namespace (uid 0 inside, mapped to the caller), serves
# the machine over FUSE there and binds it over /sys, /proc and /dev/kmsg
# all the same. Only debugfs stays out of reach (the kernel refuses it in a user
# namespace), which the shell says. The user needs /dev/fuse, which Debian
# gives to root alone: the test hands a world-usable node for the same
# device to one private mount namespace, never to the host.

. "$(dirname "$0")/lib.bash"
tap_init "$0" "$@"
require_tools setpriv unshare mknod lsmem

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${NOBODY[@]}" unshare --user true 2>/dev/null ||
	skip_all "unprivileged user namespaces are disabled on this host"
chmod 755 "$TEST_TMP"
read -r major minor < <(stat -c '%t %T' /dev/fuse) # in hex
mknod -m 666 "$TEST_TMP/fuse" c $((16#$major)) $((16#$minor)) 2>/dev/null ||
	skip_all "cannot make a device node in $TEST_TMP"

# What the user's shell sees, one fact per line.
INSIDE='id -u
cat /proc/self/uid_map | tr -s " " | sed "s/^ //"
stat -f -c %T /sys/devices/system/memory
echo online_movable > /sys/devices/system/memory/memory32/state && echo written
cat /sys/devices/system/memory/memory32/valid_zones
lsmem --summary=only | sed -n "s/^Total online memory: *//p"
dd if=/dev/zero of=/dev/shm/x bs=1M count=1 status=none && grep "^Shmem:" /proc/meminfo | tr -s " "
dmesg -t | head -1
dmesg -S > /dev/null 2>&1; echo "dmesg -S: $?"'

# shellcheck disable=SC2016 # $1 and $@ belong to the inner bash
out=$(unshare -m bash -c 'mount --bind "$1" /dev/fuse && shift && exec "$@"' - \
	"$TEST_TMP/fuse" "${NOBODY[@]}" "$MEMHP" shell -m 1G --device pc-dimm,size=512M \
	-- sh -c "$INSIDE" 2> "$TEST_TMP/stderr")
rc=$?
is "$rc" 0 "an ordinary user with /dev/fuse gets a shell through a user namespace"
is "$(sed -n 1p <<< "$out")" 0 "inside, the user is root of its own namespace"
is "$(sed -n 2p <<< "$out")" "0 65534 1" "... mapped to the caller's uid, and to nothing else"
is "$(sed -n 3p <<< "$out")" fuseblk "/sys/devices/system/memory is the served tree"
is "$(sed -n 4p <<< "$out")" written "the namespace's root may write a block's state"
is "$(sed -n 5p <<< "$out")" Movable "the write onlined the block to ZONE_MOVABLE"
is "$(sed -n 6p <<< "$out")" 1.1G "lsmem counts the hot-added block online (1 GiB boot + 128 MiB)"
is "$(sed -n 7p <<< "$out")" "Shmem: 1024 kB" "/dev/shm is the machine's tmpfs for the user too"
is "$(sed -n 8p <<< "$out")" "Zone ranges:" "dmesg reads the machine's log, as the namespace's root"
is "$(sed -n 9p <<< "$out")" "dmesg -S: 1" "dmesg -S is refused there too: syslog(2) would show the host's"
is "$(grep -c 'cannot mount debugfs.*no notifier error injection' "$TEST_TMP/stderr")" 1 \
	"the shell says error injection is unavailable without debugfs"
is "$(findmnt -n -t fuse,fuseblk -T /sys/devices/system/memory | wc -l)" 0 \
	"the host's /sys/devices/system/memory is untouched"
finish
