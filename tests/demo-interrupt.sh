#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/demo-interrupt.sh - ^C on "memhp demo" at a terminal, as a user
# presses it: a pseudo-terminal runs the demo, and once the walkers start
# (the unplug is next; the rest of the demo takes seconds) the terminal
# gets the ^C character, so that its line discipline sends SIGINT to the
# demo's process group. The demo must stop after that step, check and
# report what ran, and exit 130. No sleeps: the demo's own output says
# when. TAP output; $MEMHP is the program.
set -u
. "$(dirname "$0")/expect_run.bash"

# The terminal: python3's pty module (scripts/deps installs python3).
python3 - "$MEMHP" "PFN walkers start" demo --seed 1 >"$tmp/out" 2>&1 <<'PY'
import os, pty, select, sys

memhp, trigger, args = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
# A bound on a silent demo: far longer than any step takes.
SILENCE_S = 300
pid, fd = pty.fork()
if pid == 0:
    os.execv(memhp, [memhp] + args)
out, sent = b'', False
while True:
    if not select.select([fd], [], [], SILENCE_S)[0]:
        os.kill(pid, 9)
        print('SILENT FOR %d s' % SILENCE_S)
        break
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the demo has exited and closed the terminal
        break
    if not data:
        break
    out += data
    if not sent and trigger in out:
        os.write(fd, b'\x03')
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace').replace('\r\n', '\n'))
print('EXIT %d %s' % (os.waitstatus_to_exitcode(status), 'SENT' if sent else 'NOT SENT'))
PY

grep -q '^EXIT 130 SENT$' "$tmp/out"
if [ $? -eq 0 ]; then ok "^C during the demo: exit status 130"; else not_ok "^C during the demo: exit status 130"; fi
if grep -q '^== 2025 proposal: not run (^C) ==$' "$tmp/out" && ! grep -q '^== 2025 proposal: PageOffline' "$tmp/out"; then
	ok "... the protocol it landed in finishes its step, the other does not run"
else
	not_ok "... the protocol it landed in finishes its step, the other does not run"
fi
if grep -Eq '^ +Linux 6\.1 *$' "$tmp/out" && grep -Eq '^plugged size \(device\) +4 GiB -> ' "$tmp/out" &&
	grep -Eq '^checksummed data +65536 pages verified, 0 lost *$' "$tmp/out" &&
	grep -q '^In short:$' "$tmp/out"; then
	ok "... and prints the summary of what ran: the report, the checks, no data lost"
else
	not_ok "... and prints the summary of what ran: the report, the checks, no data lost"
fi
if grep -q '^INTERRUPTED: the demo stopped after the step ^C landed in' "$tmp/out"; then
	ok "... and says it was interrupted"
else
	not_ok "... and says it was interrupted"
fi

echo "1..$n"
