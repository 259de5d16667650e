#!/bin/bash
# SPDX-License-Identifier: MIT
# "memhp shell" on a machine without kmod: there is no /sbin/modprobe to
# bind the stand-in over, so the shell lays its own sbin/ over /sbin in a
# read-only overlay. The test makes such a machine in a private mount
# namespace (an empty tmpfs over /sbin, or what it links to)
# and runs the stand-in there as the kernel selftest does.

. "$(dirname "$0")/lib.bash"

part_inside() {
	check "without kmod, the shell has a /sbin/modprobe all the same" test -x /sbin/modprobe
	check "... the stand-in" grep -q 'memhp shell: modprobe stand-in' /sbin/modprobe
	/sbin/modprobe -q memory-notifier-error-inject priority=7
	is "$?" 0 "... which loads the notifier error injector"
	is "$(cat $NEI/priority)" 7 "... and sets its priority"
	/sbin/modprobe -q some-module
	is "$?" 1 "... and knows no other module"
	check "... and /sbin stays read-only" bash -c '! touch /sbin/x 2>/dev/null'
}

# In a namespace of its own: hide kmod, run the shell, look at /sbin after.
part_no_kmod() {
	local dir
	# /sbin itself, resolved (usr/sbin): modprobe is a link to kmod,
	# which lives elsewhere.
	dir=$(readlink -f /sbin)
	mount -t tmpfs -o size=1m,mode=0755 memhp-no-kmod "$dir" || {
		not_ok "cannot hide $dir"
		return
	}
	check "the machine has no /sbin/modprobe now" test ! -e /sbin/modprobe
	in_shell -m 512M -- part_inside
	check "after the shell, /sbin is as it was: no modprobe" test ! -e /sbin/modprobe
}

tap_init "$0" "$@"
require_tools unshare mount readlink
unshare -m --propagation private bash "$SCRIPT" --part part_no_kmod
finish
