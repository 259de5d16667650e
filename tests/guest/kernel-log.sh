#!/bin/sh
# Case g: the exact kernel log records of each hotplug event, as
# /dev/kmsg gives them ("prio,seq,usec,flags;text"; prio includes the
# facility, 0 for the kernel, so it is the log level).
#
# Events, each followed by the records it produced:
#   probe      the virtio-mem driver's probe at module load (boot)
#   hot-add    a 1 GiB pc-dimm added over QMP (object-add + device_add)
#   online     its first block onlined movable
#   offline-ok the same block offlined
#   offline-ebusy  a boot block that cannot be offlined (highest first)
#   offline-einval memory0 (spans two zones)
#   plug       virtio-mem requested-size 0 -> 256M (auto_online_blocks
#              set to online_movable first)
#   unplug     256M -> 0
# Run it twice: as Debian boots (pr_debug lines such as "memory offlining
# [mem ...] failed due to ..." are compiled in but off), and with
# dyndbg="file memory_hotplug.c +p" on the kernel command line.
#
#   scripts/linux-guest [--append 'dyndbg="file memory_hotplug.c +p"'] \
#       tests/guest/kernel-log.sh -- -m 1G,slots=4,maxmem=16G \
#       -object memory-backend-ram,id=mem0,size=4G \
#       -device virtio-mem-pci,id=vm0,memdev=mem0
set -u
. "$(dirname "$0")/lib.sh"

header "g kernel-log"
DEV=/machine/peripheral/vm0

# Every record after sequence number $seq, with its dictionary lines
# (" SUBSYSTEM=...", " DEVICE=..."); $seq becomes the last one's number.
# /dev/kmsg never ends: cat reads what there is, then waits; 1 s bounds it.
seq=-1
records() { # EVENT
	timeout 1 cat /dev/kmsg > /tmp/kmsg 2>/dev/null
	awk -v after="$seq" -v ev="$1" '
		/^[0-9]+,[0-9]+,/ { split($0, h, ","); cur = h[2] + 0; last = cur }
		cur > after + 0 { print "raw kmsg " ev " " $0 }
		END { print last > "/tmp/kmsg.last" }' /tmp/kmsg
	seq=$(cat /tmp/kmsg.last)
}
wait_for() { # CONDITION-COMMAND...: poll up to 60 s
	_i=0
	while ! "$@"; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || return 1
		sleep 0.1
	done
}

timeout 1 cat /dev/kmsg > /tmp/kmsg 2>/dev/null
grep -i 'virtio_mem\|virtio-mem\|hotplug\|memory' /tmp/kmsg | sed 's/^/raw kmsg boot /'
records probe-and-boot > /dev/null

result qmp_object_add "$(qmp '{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m1","size":1073741824}}')"
result qmp_device_add "$(qmp '{"execute":"device_add","arguments":{"driver":"pc-dimm","id":"d1","memdev":"m1"}}')"
# The DIMM goes after whatever device memory is there already (the
# virtio-mem region comes first): find its blocks as the new ones.
before=$(ls -d $MEM/memory* | wc -l)
grown() { [ "$(ls -d $MEM/memory* | wc -l)" -ge $((before + 8)) ]; }
wait_for grown
first=$(blocks | tail -n 8 | head -n 1)
result hot_add "$(ls -d $MEM/memory* | wc -l) blocks" "first=memory$first" \
	"state=$(cat $MEM/memory$first/state)"
records hot-add

result "online_movable_memory$first" "$(write_attr online_movable $MEM/memory$first/state)"
records online
result "offline_memory$first" "$(write_attr offline $MEM/memory$first/state)"
records offline-ok

for b in $(blocks | sort -rn); do
	[ "$b" -lt 32 ] && [ "$b" -gt 0 ] || continue
	[ "$(cat $MEM/memory$b/state)" = online ] || continue
	r=$(write_attr offline $MEM/memory$b/state)
	if [ "$r" = EBUSY ]; then
		result "offline_memory$b" "$r"
		records offline-ebusy
		break
	fi
	result "offline_memory$b" "$r"
	[ "$r" = ok ] && write_attr online $MEM/memory$b/state > /dev/null
	records offline-ok-boot-block
done
result offline_memory0 "$(write_attr offline $MEM/memory0/state)"
records offline-einval

size_is() { [ "$(qom_get $DEV size)" = "$1" ]; }
# So that the plugged memory comes online (movable) as a distribution's
# udev rule would put it.
result auto_online_blocks_online_movable "$(write_attr online_movable $MEM/auto_online_blocks)"
result qom_set_256M "$(qom_set $DEV requested-size 268435456)"
wait_for size_is 268435456
result plugged "$(qom_get $DEV size)"
records plug
result qom_set_0 "$(qom_set $DEV requested-size 0)"
wait_for size_is 0
result plugged "$(qom_get $DEV size)"
records unplug
result qmp_events "$(linux-guest-host events | tr '\n' ' ')"
