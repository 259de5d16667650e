#!/bin/sh
# Case d: how fast does the kernel's own memory grow and churn in an idle
# guest, and what does a process cost?
#
# 1. /proc/meminfo's kernel counters once a second for $SECONDS_IDLE
#    seconds (sleep 1 between samples: we measure time, we do not wait
#    for anything), then the first-to-last difference and the largest
#    one-second change of each.
# 2. 100 short-lived processes one after another (/bin/busybox true, so
#    each is a real fork and exec, not an applet run inside the shell):
#    the counters before and after.
# 3. 20 `sleep 3` at once: the counters before, while all 20 are alive,
#    and after they are gone; the per-process cost is (alive-before)/20.
#
# Env: SECONDS_IDLE (30).
#
#   scripts/linux-guest tests/guest/idle-kernel-memory.sh -- -m 1G
#   memhp shell -m 1G -- sh tests/guest/idle-kernel-memory.sh
set -u
. "$(dirname "$0")/lib.sh"

SECONDS_IDLE=${SECONDS_IDLE:-30}
FIELDS="MemFree Slab SReclaimable SUnreclaim KernelStack PageTables Shmem Percpu AnonPages"
header "d idle-kernel-memory SECONDS_IDLE=$SECONDS_IDLE"
# A real fork and exec each time: busybox by its path in the Linux guest
# (ash could run a bare applet name in-process), through env elsewhere.
if in_linux; then bb=/bin/busybox; else bb=env; fi
samples=$(mktemp)

# One line "t=UPTIME F=kB ..." from a single read of /proc/meminfo.
sample() {
	awk -v fields="$FIELDS" -v t="$(cut -d' ' -f1 /proc/uptime)" '
		BEGIN { n = split(fields, f, " "); for (i = 1; i <= n; i++) want[f[i] ":"] = 1 }
		want[$1] { v[$1] = $2 }
		END { printf "t=%s", t; for (i = 1; i <= n; i++) printf " %s=%s", f[i], v[f[i] ":"]; printf "\n" }' /proc/meminfo
}

result meminfo_at_start "$(sample)"
i=0
: > "$samples"
while [ $i -lt "$SECONDS_IDLE" ]; do
	sample >> "$samples"
	sleep 1
	i=$((i + 1))
done
sample >> "$samples"
sed 's/^/raw sample /' "$samples"
# Differences: last - first, per second, and the largest step.
awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); val[NR, kv[1]] = kv[2]; name[i] = kv[1] } nf = NF }
	END {
		dt = val[NR, "t"] - val[1, "t"]
		for (i = 2; i <= nf; i++) {
			k = name[i]; d = val[NR, k] - val[1, k]; maxstep = 0
			for (r = 2; r <= NR; r++) { s = val[r, k] - val[r - 1, k]; if (s < 0) s = -s; if (s > maxstep) maxstep = s }
			printf "result idle_%s first=%d last=%d delta_kB=%d per_s_kB=%.1f max_step_kB=%d over_s=%.1f\n", \
				k, val[1, k], val[NR, k], d, d / dt, maxstep, dt
		}
	}' "$samples"

# 100 processes, one after the other.
before=$(sample)
i=0
while [ $i -lt 100 ]; do $bb true; i=$((i + 1)); done
after=$(sample)
result procs100_before "$before"
result procs100_after "$after"

# 20 at once.
before=$(sample)
i=0
while [ $i -lt 20 ]; do $bb sleep 3 & i=$((i + 1)); done
alive=$(sample)
wait
after=$(sample)
result sleep20_before "$before"
result sleep20_alive "$alive"
result sleep20_after "$after"
printf '%s\n%s\n' "$before" "$alive" | awk '
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2]; name[i] = kv[1] } nf = NF }
	END { printf "result per_process_kB"; for (i = 2; i <= nf; i++) printf " %s=%.1f", name[i], (v[2, name[i]] - v[1, name[i]]) / 20; printf "\n" }'
rm -f "$samples"
