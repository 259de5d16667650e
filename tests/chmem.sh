#!/bin/bash
# SPDX-License-Identifier: MIT
# chmem (util-linux) against a memhp machine inside "memhp shell": enable
# and disable by size, by address range and by block, with -z and -v,
# including the reports for blocks that cannot go; each result is checked
# against the model's state read back through the served files.
#
# The machine: -m 4G (q35: memory0-15 below 2G, memory32-47 from 4G) and a
# 1G pc-dimm at 6G (memory48-55, offline). Blocks that cannot go, as on a
# real guest: memory0 spans DMA and DMA32 (EINVAL), memory15 ends in the
# firmware hole below 2G (EINVAL), memory47 holds the boot memmap and
# memory32 the dimm's memmap, both unmovable kernel memory in ZONE_NORMAL
# (EBUSY).

. "$(dirname "$0")/lib.bash"

R() { # the range chmem prints for block $1
	printf '0x%016x-0x%016x' $(($1 << 27)) $(((($1 + 1) << 27) - 1))
}

# run_chmem ARGS... : sets OUT, ERR and RC
run_chmem() {
	OUT=$(chmem "$@" 2>"$TEST_TMP/err")
	RC=$?
	ERR=$(cat "$TEST_TMP/err")
}

states() { # "N:state" for the blocks given
	local n
	for n in "$@"; do printf '%s:%s ' "$n" "$(state_of "$n")"; done
}

part_chmem() {
	run_chmem -e 256M
	is "$RC:$OUT$ERR" "0:" "chmem -e 256M: quiet success"
	is "$(states 48 49 50)" "48:online 49:online 50:offline " "... onlined the lowest two"
	is "$(cat $MEM/memory48/valid_zones)" Movable "... movable, since Movable was allowed"

	run_chmem -v -e "$(R 50 | cut -d- -f1)-$(R 51 | cut -d- -f2)"
	is "$RC:$OUT" "0:Memory Block 50 ($(R 50)) enabled
Memory Block 51 ($(R 51)) enabled" "chmem -v -e START-END"
	run_chmem -v -e -b 50-51
	is "$RC:$OUT" "0:Memory Block 50 ($(R 50)) already enabled
Memory Block 51 ($(R 51)) already enabled" "chmem -v -e -b: already enabled"

	run_chmem -e -b 52-53 -z Normal
	is "$RC:$(cat $MEM/memory52/valid_zones) $(cat $MEM/memory53/valid_zones)" \
		"0:Normal Normal" "chmem -e -b 52-53 -z Normal: online_kernel"

	run_chmem -e -b 54 -z DMA
	is "$RC:$ERR" "1:chmem: Memory Block 54 ($(R 54)) enable failed: Zone mismatch" \
		"chmem -z DMA on a block that cannot be DMA: zone mismatch"
	is "$(state_of 54)" offline "... and the block stays offline"

	run_chmem -d -b 47
	is "$RC:$ERR" "1:chmem: Memory Block 47 ($(R 47)) disable failed: Device or resource busy" \
		"chmem -d on the block with the boot memmap: EBUSY"
	run_chmem -d -b 32
	is "$RC:$ERR" "1:chmem: Memory Block 32 ($(R 32)) disable failed: Device or resource busy" \
		"chmem -d on the block with the dimm's memmap: EBUSY"
	run_chmem -d -b 0
	is "$RC:$ERR" "1:chmem: Memory Block 0 ($(R 0)) disable failed: Invalid argument" \
		"chmem -d memory0 (DMA and DMA32): EINVAL"
	run_chmem -d -b 15
	is "$RC:$ERR" "1:chmem: Memory Block 15 ($(R 15)) disable failed: Invalid argument" \
		"chmem -d on a block with a hole: EINVAL"
	run_chmem -d -b 46-47
	is "$RC:$ERR" "64:chmem: Memory Block 47 ($(R 47)) disable failed: Device or resource busy" \
		"chmem -d -b 46-47: partly done, exit 64"
	is "$(states 0 15 32 46 47)" "0:online 15:online 32:online 46:offline 47:online " \
		"... the model agrees block by block"

	run_chmem -v -d 1G
	is "$RC:$OUT" "0:Memory Block 53 ($(R 53)) disabled
Memory Block 52 ($(R 52)) disabled
Memory Block 51 ($(R 51)) disabled
Memory Block 50 ($(R 50)) disabled
Memory Block 49 ($(R 49)) disabled
Memory Block 48 ($(R 48)) disabled
Memory Block 47 ($(R 47)) disable failed
Memory Block 45 ($(R 45)) disabled
Memory Block 44 ($(R 44)) disabled" "chmem -v -d 1G: top down, stepping over what fails"

	local before after
	before=$(model_blocks | grep -c ' offline ')
	run_chmem -v -d 4G
	after=$(model_blocks | grep -c ' offline ')
	is "$RC" 64 "chmem -d more than can go: exit 64"
	is "$(echo "$OUT" | grep -c ' disabled$')" $((after - before)) \
		"... reports each block it disabled, as the model counts them"
	case $ERR in
	"chmem: Could only disable "*" of memory") ok "... and says it could not do it all" ;;
	*) not_ok "... and says it could not do it all"; diag "$ERR" ;;
	esac

	run_chmem -e 100M
	is "$RC:$ERR" "1:chmem: Size must be aligned to memory block size (128M)" \
		"chmem -e 100M: misaligned size"

	run_chmem -v -e -b 54 -z Movable
	is "$RC:$(cat $MEM/memory54/valid_zones)" 0:Movable "chmem -z Movable: online_movable"

	# Whatever happened, lsmem and the served files tell the same story.
	is "$(lsmem -a -r -n -o BLOCK,STATE)" "$(model_blocks | cut -d' ' -f1,2)" \
		"lsmem agrees with the model after all of it"
}

tap_init "$0" "$@"
require_tools chmem lsmem
in_shell -m 4G --device pc-dimm,id=d0,size=1G -- part_chmem
finish
