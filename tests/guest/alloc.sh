#!/bin/sh
# Case i: the allocator Linux really has: per-cpu lists (high, batch,
# count per CPU in /proc/zoneinfo), watermarks and min_free_kbytes, hugetlb
# pools (sysfs, meminfo, per node) and what offlining does with huge pages,
# gigantic pages on hot-plugged memory, and the node files.
#
#   scripts/linux-guest --smp 2 --append memhp_default_state=online_movable \
#       tests/guest/alloc.sh -- -m 1G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0
#   scripts/linux-guest --smp 2 tests/guest/alloc.sh -- -m 2G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=r0,size=1G -object memory-backend-ram,id=r1,size=1G \
#       -numa node,nodeid=0,memdev=r0,cpus=0 -numa node,nodeid=1,memdev=r1,cpus=1 \
#       -object memory-backend-ram,id=m0,size=1G -device pc-dimm,id=d0,memdev=m0,node=1
set -u
. "$(dirname "$0")/lib.sh"

header "i allocator"
H=/sys/kernel/mm/hugepages
H2=$H/hugepages-2048kB
H1G=$H/hugepages-1048576kB

result nproc "$(nproc)"
result min_free_kbytes "$(cat /proc/sys/vm/min_free_kbytes)"
result thp_enabled "$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"

zoneinfo() { # TAG: watermarks, managed and every CPU's pageset of each zone
	awk -v t="$1" '
		/^Node/ { z = $2 $4; sub(",", "", z) }
		$1 == "min" || $1 == "low" || $1 == "high" || $1 == "managed" {
			if (!inps) printf "result %s %s %s %s\n", t, z, $1, $2 }
		/pagesets/ { inps = 1 }
		inps && $1 == "cpu:" { cpu = $2 }
		inps && $1 == "count:" { c = $2 }
		inps && $1 == "high:" { h = $2 }
		inps && $1 == "batch:" { printf "result %s %s cpu%s count=%s high=%s batch=%s\n", t, z, cpu, c, h, $2 }
		/^Node/ { inps = 0 }' /proc/zoneinfo
}
zoneinfo boot

echo "info node files"
for f in possible online has_memory has_normal_memory has_cpu has_generic_initiator; do
	[ -e /sys/devices/system/node/$f ] && result node_$f "$(cat /sys/devices/system/node/$f)"
done
for n in /sys/devices/system/node/node*; do
	[ -d "$n" ] || continue
	result "$(basename "$n")_files" "$(ls "$n" | grep -v '^memory[0-9]' | tr '\n' ' ')"
	result "$(basename "$n")_memory_links" "$(ls "$n" | grep -c '^memory[0-9]')"
	result "$(basename "$n")_cpulist" "$(cat "$n/cpulist")"
	result "$(basename "$n")_distance" "$(cat "$n/distance")"
	sed "s|^|raw $(basename "$n")/meminfo |" "$n/meminfo" | head -40
	[ -d "$n/hugepages" ] && result "$(basename "$n")_hugepages" "$(ls "$n/hugepages" | tr '\n' ' ')"
done

echo "info hugetlb"
result hugepages_dirs "$(ls $H | tr '\n' ' ')"
result hugepages_files "$(ls $H2 | tr '\n' ' ')"
grep -E '^(HugePages_|Hugepagesize|Hugetlb)' /proc/meminfo | sed 's|^|raw meminfo |'

hp() { # label: the pool of 2 MiB pages, globally and per node
	result "$1" "total=$(cat $H2/nr_hugepages) free=$(cat $H2/free_hugepages)" \
		"surplus=$(cat $H2/surplus_hugepages) resv=$(cat $H2/resv_hugepages)" \
		"meminfo_total=$(meminfo HugePages_Total) meminfo_free=$(meminfo HugePages_Free)"
	for n in /sys/devices/system/node/node*/hugepages/hugepages-2048kB; do
		[ -d "$n" ] || continue
		result "$1_$(echo "$n" | sed 's|.*/\(node[0-9]*\)/.*|\1|')" \
			"total=$(cat $n/nr_hugepages) free=$(cat $n/free_hugepages) surplus=$(cat $n/surplus_hugepages)"
	done
}

# Huge pages per memory block: KPF_HUGE (17) heads with KPF_COMPOUND_HEAD (15).
huge_heads() { # block
	first=$(block_first_pfn "$1")
	dd if=/proc/kpageflags bs=8 skip="$first" count="$(block_pages)" 2>/dev/null |
		od -An -v -t u4 -w8 | awk '
		BEGIN { p[0] = 1; for (i = 1; i < 32; i++) p[i] = p[i - 1] * 2 }
		function bit(v, b) { return int(v / p[b]) % 2 }
		bit($1, 17) && bit($1, 15) { n++ }
		END { print n + 0 }'
}
where_huge() { # label
	line=
	for b in $(blocks); do
		n=$(huge_heads "$b")
		[ "$n" -gt 0 ] && line="$line memory$b=$n"
	done
	result "$1" "${line# }"
}

# offline_bounded BLOCK: offline with SIGINT after 60 s (6.1 retries for ever)
offline_bounded() {
	dmesg_mark
	_r=$( { timeout -s INT 60 /bin/echo offline > $MEM/memory$1/state; } 2>&1 ) && echo ok || errname "$_r"
	dmesg_since | grep -v 'raw dmesg <7>' | head -8 >&2
}

hp pool0
result nr_hugepages_write_64 "$(write_attr 64 $H2/nr_hugepages)"
hp pool64
where_huge where64
zoneinfo after_pool

# Offline a hot-plugged block that holds free huge pages: 6.1 dissolves them.
victim=
for b in $(blocks); do
	[ "$(cat $MEM/memory$b/state)" = online ] || continue
	[ "$b" -ge 32 ] || continue
	[ "$(huge_heads "$b")" -gt 0 ] && { victim=$b; break; }
done
if [ -n "$victim" ]; then
	result free_huge_in_victim "memory$victim=$(huge_heads "$victim")"
	result offline_block_with_free_huge "$(write_attr offline $MEM/memory$victim/state)"
	hp after_offline_free
	where_huge where_after_offline_free
	write_attr online_movable $MEM/memory$victim/state >/dev/null
fi

# In-use huge pages: a hugetlbfs file holds them.
mkdir -p /mnt/huge
if mount -t hugetlbfs none /mnt/huge 2>/dev/null; then
	result fallocate_8M "$(fallocate -l 8M /mnt/huge/f 2>&1 && echo ok)"
	hp used4
	where_huge where_used
	# with free huge pages in another block
	result nr_hugepages_write_80 "$(write_attr 80 $H2/nr_hugepages)"
	hp pool80
	where_huge where80
	for b in $(blocks); do
		[ "$b" -ge 32 ] || continue
		[ "$(cat $MEM/memory$b/state)" = online ] || continue
		[ "$(huge_heads "$b")" -gt 0 ] || continue
		result offline_used_with_free_elsewhere "memory$b $(offline_bounded $b 2>/tmp/dm)"
		sed 's/^/info /' /tmp/dm
		hp after_offline_used_free_elsewhere
		where_huge where_after_used_free_elsewhere
		write_attr online_movable $MEM/memory$b/state >/dev/null
		break
	done
	# shrink the pool to what is used: no free huge page to migrate to
	result nr_hugepages_write_8 "$(write_attr 8 $H2/nr_hugepages)"
	hp pool_shrunk
	where_huge where_shrunk
	for b in $(blocks); do
		[ "$b" -ge 32 ] || continue
		[ "$(cat $MEM/memory$b/state)" = online ] || continue
		[ "$(huge_heads "$b")" -gt 0 ] || continue
		result offline_block_with_used_huge "memory$b $(offline_bounded $b 2>/tmp/dm)"
		sed 's/^/info /' /tmp/dm
		hp after_offline_used
		where_huge where_after_offline_used
		break
	done
	rm -f /mnt/huge/f
	hp after_rm
	result nr_hugepages_write_0 "$(write_attr 0 $H2/nr_hugepages)"
	hp pool_zero
	umount /mnt/huge
fi

# Gigantic pages: 1 GiB; hot-plugged memory online movable cannot hold one.
if [ -d "$H1G" ]; then
	result gigantic_files "$(ls $H1G | tr '\n' ' ')"
	result gigantic_write_1 "$(write_attr 1 $H1G/nr_hugepages)"
	result gigantic_nr "$(cat $H1G/nr_hugepages)"
	# the same with the DIMM's blocks online_kernel
	for b in $(blocks); do
		[ "$b" -ge 32 ] || continue
		write_attr offline $MEM/memory$b/state >/dev/null
	done
	ok=0
	for b in $(blocks); do
		[ "$b" -ge 32 ] || continue
		[ "$(write_attr online_kernel $MEM/memory$b/state)" = ok ] && ok=$((ok + 1))
	done
	result dimm_online_kernel_blocks "$ok"
	result gigantic_write_1_kernel "$(write_attr 1 $H1G/nr_hugepages)"
	result gigantic_nr_kernel "$(cat $H1G/nr_hugepages)"
	where=
	for b in $(blocks); do
		[ "$b" -ge 32 ] || continue
		[ "$(huge_heads "$b")" -gt 0 ] && where="$where memory$b"
	done
	result gigantic_where "${where# }"
	g=$(echo $where | cut -d' ' -f1)
	[ -n "$g" ] && result offline_block_with_free_gigantic "$g $(offline_bounded ${g#memory} 2>/tmp/dm)" \
		"nr=$(cat $H1G/nr_hugepages)"
	[ -n "$g" ] && sed 's/^/info /' /tmp/dm
	zoneinfo kernel_dimm
fi
grep -E '^(HugePages_|Hugetlb)' /proc/meminfo | sed 's|^|raw meminfo_end |'
