#!/bin/bash
# SPDX-License-Identifier: MIT
# lsmem (util-linux) against a memhp machine inside "memhp shell": every
# column set, -a, -J, -b, --summary, --split, and --sysroot on the served
# tree, checked against exact 6.1 output and against the model's own
# state read back through the served files.
#
# The machine: -m 512M (memory0-3: memory0 DMA+DMA32, the rest DMA32), a
# 512M pc-dimm at 4G (memory32-35) and a 256M one after it (memory36-37),
# all offline at boot; the part onlines 33 movable, 34 kernel, 36 with the
# default policy and 37 movable.

. "$(dirname "$0")/lib.bash"

MACHINE=(-m 512M --device pc-dimm,id=d0,size=512M --device pc-dimm,id=d1,size=256M)

setup() {
	echo online_movable > $MEM/memory33/state &&
	echo online_kernel > $MEM/memory34/state &&
	echo online > $MEM/memory36/state &&
	echo online_movable > $MEM/memory37/state
}

part_columns() {
	check "the part's state changes go through" setup

	is "$(lsmem)" "\
RANGE                                  SIZE   STATE REMOVABLE BLOCK
0x0000000000000000-0x000000001fffffff  512M  online       yes   0-3
0x0000000100000000-0x0000000107ffffff  128M offline              32
0x0000000108000000-0x0000000117ffffff  256M  online       yes 33-34
0x0000000118000000-0x000000011fffffff  128M offline              35
0x0000000120000000-0x000000012fffffff  256M  online       yes 36-37

Memory block size:       128M
Total online memory:       1G
Total offline memory:    256M" "lsmem: default columns, merged ranges, summary"

	is "$(lsmem -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES --summary=never)" "\
RANGE                                  SIZE   STATE REMOVABLE BLOCK NODE          ZONES
0x0000000000000000-0x0000000007ffffff  128M  online       yes     0    0           None
0x0000000008000000-0x000000001fffffff  384M  online       yes   1-3    0          DMA32
0x0000000100000000-0x0000000107ffffff  128M offline              32    0 Normal/Movable
0x0000000108000000-0x000000010fffffff  128M  online       yes    33    0        Movable
0x0000000110000000-0x0000000117ffffff  128M  online       yes    34    0         Normal
0x0000000118000000-0x000000011fffffff  128M offline              35    0 Normal/Movable
0x0000000120000000-0x0000000127ffffff  128M  online       yes    36    0         Normal
0x0000000128000000-0x000000012fffffff  128M  online       yes    37    0        Movable" \
		"lsmem -o every column: ZONES and NODE split ranges"

	is "$(lsmem --summary=only)" "\
Memory block size:       128M
Total online memory:       1G
Total offline memory:    256M" "lsmem --summary=only"

	is "$(lsmem -b --summary=only)" "\
Memory block size:            134217728
Total online memory:         1073741824
Total offline memory:         268435456" "lsmem -b --summary=only"

	is "$(lsmem -J -o BLOCK,STATE,ZONES,NODE --summary=never | tr -d ' \n')" \
		'{"memory":[{"block":"0","state":"online","zones":"None","node":0},{"block":"1-3","state":"online","zones":"DMA32","node":0},{"block":"32","state":"offline","zones":"Normal/Movable","node":0},{"block":"33","state":"online","zones":"Movable","node":0},{"block":"34","state":"online","zones":"Normal","node":0},{"block":"35","state":"offline","zones":"Normal/Movable","node":0},{"block":"36","state":"online","zones":"Normal","node":0},{"block":"37","state":"online","zones":"Movable","node":0}]}' \
		"lsmem -J"

	is "$(lsmem --split=STATE -o RANGE,STATE,ZONES --summary=never)" "\
RANGE                                   STATE          ZONES
0x0000000000000000-0x000000001fffffff  online           None
0x0000000100000000-0x0000000107ffffff offline Normal/Movable
0x0000000108000000-0x0000000117ffffff  online        Movable
0x0000000118000000-0x000000011fffffff offline Normal/Movable
0x0000000120000000-0x000000012fffffff  online         Normal" "lsmem --split=STATE"

	# The model's word for every block against lsmem's, one per line.
	local want got
	want=$(model_blocks | awk '{z = $3; for (i = 4; i < NF; i++) z = z "/" $i;
		sub(/^none$/, "None", z); print $1, $2, z, $NF}')
	got=$(lsmem -a -r -n -o BLOCK,STATE,ZONES,NODE)
	is "$got" "$want" "lsmem -a: one line per block, as the served files say"

	is "$(lsmem --sysroot "$MEMHP_ROOT" -o +ZONES,NODE)" "$(lsmem -o +ZONES,NODE)" \
		"lsmem --sysroot on the served tree gives what the namespace gives"

	# Changes are seen at once: no caching anywhere.
	echo offline > $MEM/memory33/state
	is "$(lsmem -r -n -o BLOCK,STATE -a | grep '^33 ')" "33 offline" \
		"a state change shows in the next lsmem"
}

part_geometry() {
	is "$(cat $MEM/block_size_bytes)" 10000000 "--block-size 256M: block_size_bytes"
	is "$(lsmem -o RANGE,SIZE,STATE,BLOCK,ZONES)" "\
RANGE                                  SIZE  STATE BLOCK  ZONES
0x0000000000000000-0x000000000fffffff  256M online     0   None
0x0000000010000000-0x000000001fffffff  256M online     1  DMA32
0x0000000100000000-0x000000010fffffff  256M online    16 Normal

Memory block size:       256M
Total online memory:     768M
Total offline memory:      0B" "lsmem with 256M blocks and an auto-onlined dimm"
}

tap_init "$0" "$@"
require_tools lsmem
in_shell "${MACHINE[@]}" -- part_columns
in_shell -m 512M --block-size 256M --device pc-dimm,size=256M --auto-online online \
	-- part_geometry
finish
