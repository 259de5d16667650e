#!/bin/bash
# SPDX-License-Identifier: MIT
# The cases compared with real Linux: each part runs a script of
# tests/guest/ unchanged inside "memhp shell", as it ran in Debian's 6.1
# under QEMU (scripts/linux-guest), and checks memhp gives the answer
# Linux gave. The Linux results, with their spreads and the commands that
# produced them, are in docs/linux-comparison.md; each check names its
# case there.

. "$(dirname "$0")/lib.bash"

# result KEY: the value field of "result KEY VALUE ..." in $OUT.
result() {
	awk -v k="$1" '$1 == "result" && $2 == k {print $3; exit}' "$OUT"
}

# field KEY NAME: NAME=... of "result KEY ..." in $OUT.
field() {
	awk -v k="$1" -v n="$2=" '$1 == "result" && $2 == k {
		for (i = 3; i <= NF; i++) if (index($i, n) == 1) {print substr($i, length(n) + 1); exit}
	}' "$OUT"
}

run_guest() { # SCRIPT [ENV=VALUE...]
	local s=$1
	shift
	OUT=$TEST_TMP/$(basename "$s" .sh).$$.out
	env "$@" sh "$(dirname "$SCRIPT")/guest/$s" > "$OUT" 2>&1
}

# Case a: a DIMM block onlined to ZONE_NORMAL, the guest's only Normal
# memory, then offlined by another program at once. Linux: EBUSY in 25 of
# 25 runs for the first block; the next one onlined goes offline (63 of
# 63); the first unmovable allocation claimed the first two pageblocks.
part_dimm_normal() {
	run_guest dimm-normal-offline.sh BLOCKS="32 33" SLEEP=0
	is "$(result offline_memory32)" EBUSY \
		"a: the first block onlined Normal cannot go offline (Linux: EBUSY 25/25)"
	is "$(result offline_memory33)" ok "a: the next one can (Linux: ok 63/63)"
	is "$(awk '$2 == "pagetypeinfo_after_failed_offline_memory32" && $4 == "0," {print $7, $8}' "$OUT")" \
		"2 62" "a: two Unmovable pageblocks, 62 Movable (Linux: 2 and 62)"
}

# Case b: every boot block, offlined and onlined again in turn, without
# KASLR (with it, the image lands in a random block in Linux and in memhp).
part_boot_1g() {
	run_guest boot-blocks-offline.sh
	is "$(result MemTotal_kB)" 983744 "b: MemTotal of a 1 GiB guest (Linux: 983744 kB)"
	is "$(field summary_ok blocks)" 1,2,3,4,5,6 "b: 1 GiB, nokaslr: memory1-6 go (Linux: 1-6)"
	is "$(field summary_EINVAL blocks)" 0,7 \
		"b: memory0 (two zones) and memory7 (firmware hole) are EINVAL (Linux: 0, 7)"
}

part_boot_4g() {
	run_guest boot-blocks-offline.sh ALL=1
	is "$(result MemTotal_kB)" 4009400 "b: MemTotal of a 4 GiB guest (Linux: 4009400-4009408 kB)"
	is "$(field summary_EBUSY blocks)" 32,47 \
		"b: 4 GiB, nokaslr: the first Normal block and the memmap's are EBUSY (Linux: 32, 47)"
	is "$(field summary_EINVAL blocks)" 0,15 "b: and 0 and 15 are EINVAL (Linux: 0, 15)"
}

# Case c: virtio-mem plugs 2 GiB, onlined Normal (or Movable), then the
# host asks for all of it back. Linux: 4 MiB stay plugged in Normal (two
# subblocks of memory32, 7 of 7 runs), nothing in Movable (3 of 3).
part_vmem_normal() {
	run_guest virtio-mem-unplug.sh MEMHP_QMP="$TEST_TMP/qmp" STABLE_S=2 MAX_S=30
	local after
	after=$(result plugged_after)
	check "c: Normal: memory stays plugged, a few subblocks of memory32 (Linux: 4 MiB; memhp: $after B)" \
		[ "$after" -gt 0 ] && [ "$after" -le $((4 * 1024 * 1024)) ]
	check "c: ... every one of them in memory32 (Linux: sb0 and sb16)" \
		[ -z "$(awk '$2 == "plugged_subblock" && $3 != "memory32"' "$OUT")" ]
	is "$(field zone_Normal_after present)" 32768 "c: memory32 stays online, Normal (Linux: present 32768)"
}

part_vmem_movable() {
	run_guest virtio-mem-unplug.sh MEMHP_QMP="$TEST_TMP/qmp" STABLE_S=2 MAX_S=30
	is "$(result plugged_after)" 0 "c: Movable: everything goes (Linux: 0, 3 of 3)"
}

# Case e: a file in /dev/shm on movable blocks (512 MiB in Linux); every block offlined,
# fullest last. Linux: every offline ok, the file intact; MemFree falls
# by the file (and a little slab), Shmem rises by it; rm gives it back.
part_tmpfs() {
	# 128 MiB rather than Linux's 512: the same blocks, a quarter of the copying.
	run_guest tmpfs-offline.sh MIB=128
	local bad
	bad=$(awk '$1 == "result" && $2 ~ /^offline_memory/ && $3 != "ok"' "$OUT")
	check "e: every movable block holding the file goes offline (Linux: all ok)" [ -z "$bad" ]
	is "$(field file_after_offline nonzero_bytes)" 0 "e: the file reads back whole, all zeros"
	is "$(field file_after_offline bytes)" $((128 << 20)) "e: ... every byte of it"
}

# Case f: the files that describe the machine's devices.
part_files() {
	run_guest files.sh
	check "f: iomem: virtio0 holds System RAM (virtio_mem) (Linux: the same nesting)" \
		grep -A1 -q 'raw /proc/iomem [0-9a-f]*-[0-9a-f]* : virtio0$' "$OUT"
	is "$(awk '$2 ~ "^/sys/module/virtio_mem/parameters/" {sub(".*/", "", $2); printf "%s=%s ", $2, $3}' "$OUT")" \
		"bbm_block_size=0 bbm_safe_unplug=Y force_bbm=N unplug_online=Y " \
		"f: virtio_mem's parameters and their values (Linux: the same four)"
	check "f: the firmware map's first RAM entry starts at 0 (Linux: 0x0 0x9fbff System RAM)" \
		grep -q 'raw /sys/firmware/memmap [0-9]* 0x0 0x9fbff System RAM' "$OUT"
}

# Case i: the watermarks and the vm sysctls, at boot and once a 1 GiB DIMM
# is onlined movable. Linux: min_free_kbytes 44896 at boot (computed before
# the init memory and the initramfs are freed: memhp says 45056, see
# docs/semantics.md), 45056 after; ZONE_MOVABLE min/low/high 6007/7508/9009.
part_sysctl_1g() {
	run_guest vm-sysctl.sh
	is "$(result min_free_kbytes_movable)" 45056 \
		"i: min_free_kbytes after onlining (Linux: 45056, khugepaged's 11264 pages)"
	local min low high
	min=$(field zone_Movable_movable min)
	low=$(field zone_Movable_movable low)
	high=$(field zone_Movable_movable high)
	check "i: ZONE_MOVABLE's marks within 2 pages of Linux's 6007/7508/9009 (memhp: $min/$low/$high)" \
		[ $((min - 6007)) -ge -2 ] && [ $((min - 6007)) -le 2 ] &&
		[ $((low - 7508)) -ge -2 ] && [ $((low - 7508)) -le 2 ] &&
		[ $((high - 9009)) -ge -2 ] && [ $((high - 9009)) -le 2 ]
	is "$(result vm.lowmem_reserve_ratio)" 256 "i: lowmem_reserve_ratio starts 256 (Linux: 256 256 32 0 0)"
	is "$(field vm.drop_caches mode)" 200 "i: drop_caches is write-only (Linux: mode 200)"
	is "$(result vm.swappiness)" 60 "i: swappiness 60 (Linux: 60)"
	is "$(result swaps)" Filename "i: /proc/swaps has its header and no swap (Linux: the same)"
}

part_sysctl_4g() {
	run_guest vm-sysctl.sh
	is "$(result min_free_kbytes_boot)" 67584 \
		"i: 4 GiB: min_free_kbytes with DMA, DMA32 and Normal (Linux: 67584)"
}

# raw KEY: the rest of the first "raw KEY ..." line in $OUT.
raw() {
	awk -v k="$1" '$1 == "raw" && $2 == k {sub(/^raw [^ ]* /, ""); print; exit}' "$OUT"
}

# Case j: the balloon and DIMMs through QMP, from a QEMU command line.
# Every QMP reply below is the one QEMU 7.2 gave with Linux 6.1 inside.
part_balloon_dimm() {
	local boot inflated
	run_guest balloon-dimm-qmp.sh MEMHP_QMP="$TEST_TMP/qmp"
	boot=$(field boot MemTotal)
	inflated=$(field inflated MemTotal)
	is "$((boot - inflated))" 262144 "j: the balloon takes 256 MiB off MemTotal (Linux: 262144 kB)"
	is "$(field inflated balloon_inflate)" 65536 "j: balloon_inflate 65536 (Linux: 65536)"
	is "$(awk '$2 == "query-balloon" {n++} n == 3 {sub(/^raw [^ ]* /, ""); print; exit}' "$OUT")" \
		'{"return": {"actual": 1342177280}}' "j: query-balloon after the inflation, as QEMU's"
	is "$(result offline_memory32)/$(result offline_memory33)" ok/ok \
		"j: DIMM blocks full of balloon pages go offline (Linux: ok, ok)"
	check "j: ... their balloon pages migrate (Linux: 30724-31280 and 32761-32764)" \
		[ "$(field offline_memory33 balloon_migrate_delta)" -gt 30000 ]
	is "$(field deflated balloon_deflate)" 65536 "j: balloon_deflate 65536 after the deflation"
	is "$(awk '$2 == "query-memory-devices" {n++} n == 2 {sub(/^raw [^ ]* /, ""); print; exit}' "$OUT")" \
		'{"return": [{"type": "dimm", "data": {"memdev": "/objects/m0", "hotplugged": false, "addr": 4294967296, "hotpluggable": true, "size": 536870912, "slot": 0, "node": 0, "id": "d0"}}, {"type": "dimm", "data": {"memdev": "/objects/m1", "hotplugged": true, "addr": 4831838208, "hotpluggable": true, "size": 134217728, "slot": 1, "node": 0, "id": "d1"}}]}' \
		"j: device_add: the DIMM in slot 1 after d0, as QEMU lists it"
	is "$(($(field dimm_added MemTotal) - boot))" 131072 "j: ... the guest onlined it (Linux: +131072 kB)"
	is "$(field dimm_removed MemTotal)" "$boot" "j: device_del: the guest removed it again"
	is "$(awk '$2 == "query-memory-devices" {n++} n == 5 {print $NF; exit}' "$OUT")" \
		'"d2"}}]}' "j: a DIMM in ZONE_NORMAL the kernel uses stays after device_del (Linux: stays)"
	check "j: ... and 'Offline failed.' is in the kernel log, as in Linux" \
		grep -q 'memory memory36: Offline failed.' "$OUT"
}

# Case n: a 16 GiB DIMM in a 256 MiB guest, whose memmap (256 MiB) the
# guest cannot hold. Linux: add_memory fails, no memory block, MemFree
# 113280 -> 4780 kB: the sections added before the failure keep theirs.
part_hot_add_enomem() {
	run_guest hot-add-enomem.sh MEMHP_QMP="$TEST_TMP/qmp"
	is "$(result blocks_after)" "$(result blocks_before)" \
		"n: the DIMM gets no memory block (Linux: none)"
	check "n: the memmap of the sections added stays allocated (Linux: MemFree -108500 kB)" \
		[ "$(($(result memfree_before) - $(result memfree_after)))" -gt 65536 ]
	check "n: ACPI's driver says add_memory failed, as in Linux" \
		grep -q 'acpi PNP0C80:00: add_memory failed' "$OUT"
}

tap_init "$0" "$@"
require_tools awk dd od socat
in_shell -m 1G,slots=4,maxmem=16G --device pc-dimm,id=d0,size=1G -- part_dimm_normal
in_shell -m 1G -append nokaslr -- part_boot_1g
in_shell -m 4G -append nokaslr -- part_boot_4g
in_shell -m 1G,maxmem=16G --auto-online online --qmp "unix:$TEST_TMP/qmp" \
	--device virtio-mem,id=vm0,size=4G,requested-size=2G -- part_vmem_normal
in_shell -m 1G,maxmem=16G --auto-online online_movable --qmp "unix:$TEST_TMP/qmp" \
	--device virtio-mem,id=vm0,size=4G,requested-size=2G -- part_vmem_movable
in_shell -m 1G,slots=4,maxmem=16G --device pc-dimm,id=d0,size=1G --auto-online online_movable \
	-- part_tmpfs
in_shell -m 1G,slots=4,maxmem=16G --auto-online online_movable --device pc-dimm,id=d0,size=1G \
	--device virtio-mem,id=vm0,size=4G,requested-size=1G -- part_files
in_shell -m 1G,slots=4,maxmem=16G --device pc-dimm,id=d0,size=1G -- part_sysctl_1g
in_shell -m 4G -append nokaslr -- part_sysctl_4g
in_shell -qmp "unix:$TEST_TMP/qmp" -M q35 -m 1G,slots=2,maxmem=4G \
	-object memory-backend-ram,id=m0,size=512M -device pc-dimm,id=d0,memdev=m0 \
	-device virtio-balloon-pci,id=balloon0 -append memhp_default_state=online_movable \
	-- part_balloon_dimm
in_shell -qmp "unix:$TEST_TMP/qmp" -M q35 -m 256M,slots=2,maxmem=20G -- part_hot_add_enomem
finish
