# tests/guest/lib.sh: what the guest scripts share. POSIX sh, sourced.
#
# The scripts in tests/guest/ run unchanged in two places: in Debian's real
# Linux 6.1 under QEMU (scripts/linux-guest; busybox sh, $LINUX_GUEST=1)
# and inside `memhp shell` (dash, $MEMHP_ROOT set), where every file that
# describes memory (/sys/devices/system/memory, /proc/meminfo, kpageflags,
# iomem, /dev/kmsg ...) is the simulated machine's or absent.
#
# Output convention, one fact per line, so that runs can be compared:
#   result KEY VALUE [NAME=VALUE ...]   a measured answer
#   raw KEY TEXT                        a line of a file, verbatim
#   info TEXT                           context

MEM=/sys/devices/system/memory

in_memhp() { [ -n "${MEMHP_ROOT:-}" ]; }
in_linux() { [ -n "${LINUX_GUEST:-}" ]; }

header() { # CASE
	if in_linux; then
		echo "info case $1 on linux $(uname -r) ($(sed 's/.* Debian \([^ ]*\) .*/\1/' /proc/version))"
		echo "info cmdline $(cat /proc/cmdline)"
	else
		echo "info case $1 on memhp"
	fi
}

result() { echo "result $*"; }

# Seconds since boot with 10 ms resolution (busybox date has no %N).
now() { cut -d' ' -f1 /proc/uptime; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 + 0.5 }'; }

# The errno name for a strerror text.
errname() {
	case $1 in
	*"Device or resource busy"*) echo EBUSY ;;
	*"Invalid argument"*) echo EINVAL ;;
	*"Interrupted system call"*) echo EINTR ;;
	*"Cannot allocate memory"*) echo ENOMEM ;;
	*"Permission denied"*) echo EACCES ;;
	*"Operation not permitted"*) echo EPERM ;;
	*"No such file"*) echo ENOENT ;;
	*"No such device"*) echo ENODEV ;;
	*"Resource temporarily unavailable"*) echo EAGAIN ;;
	*) echo "E?($1)" ;;
	esac
}

# write_attr VALUE FILE: one write(2) of "VALUE\n", as `echo VALUE > FILE`
# does; prints "ok" or the errno name. /bin/echo, not the shell's builtin:
# dash reports every write error as "I/O error".
write_attr() {
	_err=$( { /bin/echo "$1" > "$2"; } 2>&1 ) && echo ok || errname "$_err"
}

block_size() { echo $((0x$(cat $MEM/block_size_bytes))); }
block_pages() { echo $(($(block_size) / 4096)); }
block_first_pfn() { echo $(($1 * $(block_pages))); }
blocks() { # the block numbers, ascending
	for d in $MEM/memory*; do echo "${d##*memory}"; done | sort -n
}

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; } # kB

# zone_field ZONE FIELD: "free" (pages free), spanned, present, managed,
# start_pfn, nr_free_pages ... of node 0's ZONE in /proc/zoneinfo.
zone_field() {
	awk -v z="$1" -v f="$2" '
		/^Node/ { inz = ($4 == z) }
		inz && f == "free" && $1 == "pages" && $2 == "free" { print $3; exit }
		inz && ($1 == f || $1 == f ":") { print $2; exit }' /proc/zoneinfo
}

# The "Number of blocks type" line of ZONE in /proc/pagetypeinfo, and the
# header naming its columns.
pageblocks_of_zone() {
	awk -v z="$1" '
		/^Number of blocks type/ { hdr = $0 }
		hdr != "" && $4 == z "" && /^Node/ { n = $0 }
		END { print hdr; print n }' /proc/pagetypeinfo 2>/dev/null
}

# kpf_histogram FIRST_PFN NR_PAGES: counts of /proc/kpageflags bits over
# a range. A free buddy chunk shows KPF_BUDDY on its first page only; its
# other pages have no flags, like pages the kernel took for itself without
# any flag (vmalloc, kernel stacks, raw alloc_pages). Prints one line:
#   pages= buddy_heads= zero= slab= pgtable= lru= anon= reserved= offline=
#   compound_tail= other= (other: any flag set but none of the above)
kpf_histogram() {
	if [ ! -r /proc/kpageflags ]; then echo "n/a"; return; fi
	dd if=/proc/kpageflags bs=8 skip="$1" count="$2" 2>/dev/null |
		od -An -v -t u4 -w8 | awk '
		# busybox awk may lack pow(): a table of powers of two.
		BEGIN { p[0] = 1; for (i = 1; i < 32; i++) p[i] = p[i - 1] * 2 }
		function bit(v, b) { return int(v / p[b]) % 2 }
		{
			lo = $1; hi = $2; n++
			if (lo == 0 && hi == 0) { zero++; next }
			if (bit(lo, 10)) { buddy++; next }
			if (bit(lo, 7)) { slab++; next }
			if (bit(lo, 26)) { pgtable++; next }
			if (bit(lo, 23)) { offline++; next }
			if (bit(lo, 5)) { lru++; if (bit(lo, 12)) anon++; next }
			if (bit(hi, 0)) { reserved++; next }
			if (bit(lo, 16)) { tail++; next }
			other++
			if (!(lo in seen)) { seen[lo] = 1; kinds = kinds sprintf(" 0x%x:%x", hi, lo) }
		}
		END {
			printf "pages=%d buddy_heads=%d zero=%d slab=%d pgtable=%d lru=%d anon=%d reserved=%d offline=%d compound_tail=%d other=%d", \
				n, buddy, zero, slab, pgtable, lru, anon, reserved, offline, tail, other
			if (kinds != "") printf " other_flags=%s", substr(kinds, 2)
			printf "\n"
		}'
}

# Kernel log: dmesg_mark remembers where the log ends, dmesg_since prints
# what came after, raw (<prio>[time] text), each line prefixed "raw dmesg".
dmesg_mark() {
	_dmesg_mark=$(dmesg -r | wc -l)
}
dmesg_since() {
	dmesg -r | awk -v m="$_dmesg_mark" 'NR > m { print "raw dmesg " $0 }'
}

# QMP: in the Linux guest through scripts/linux-guest on the host; in
# memhp shell through the monitor at $MEMHP_QMP (memhp shell --qmp unix:PATH).
qmp() { # JSON: prints the answer
	if in_linux; then
		linux-guest-host qmp "$1"
	elif [ -n "${MEMHP_QMP:-}" ]; then
		printf '{"execute":"qmp_capabilities"}\n%s\n' "$1" |
			socat -t 2 - "UNIX-CONNECT:$MEMHP_QMP" |
			tr -d '\r' | grep -v '"QMP"' | grep -v '"event"' | sed -n 2p
	else
		echo '{"error": "no QMP monitor: set MEMHP_QMP"}'
		return 1
	fi
}
qom_get() { # PATH PROPERTY: the value
	qmp "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"$1\",\"property\":\"$2\"}}" |
		sed -n 's/^{"return": *\([^}]*\)}.*/\1/p'
}
qom_set() { # PATH PROPERTY VALUE
	qmp "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"$1\",\"property\":\"$2\",\"value\":$3}}"
}
