#!/bin/bash
# SPDX-License-Identifier: MIT
# An interactive "memhp shell" on a terminal says that one is inside the
# machine, and its prompt shows it: a pseudo-terminal runs the shell with
# no command (so $SHELL, here sh), waits for its prompt, and types exit.
# Without a terminal, or with a command, nothing extra is printed.

. "$(dirname "$0")/lib.bash"
tap_init "$0" "$@"
require_tools python3

# The terminal: python3's pty module. Prints what the terminal showed,
# then "EXIT status".
python3 - "$MEMHP" >"$TEST_TMP/tty" 2>&1 <<'PY'
import os, pty, select, sys

memhp = sys.argv[1]
# A bound on a silent shell: far longer than starting one takes.
SILENCE_S = 120
pid, fd = pty.fork()
if pid == 0:
    os.environ['SHELL'] = '/bin/sh'
    os.environ.pop('PS1', None)
    os.execv(memhp, [memhp, 'shell', '-m', '256M'])
out, typed = b'', False
while True:
    if not select.select([fd], [], [], SILENCE_S)[0]:
        os.kill(pid, 9)
        print('SILENT FOR %d s' % SILENCE_S)
        break
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the shell has exited and closed the terminal
        break
    if not data:
        break
    out += data
    if not typed and b'(memhp) ' in out:
        os.write(fd, b'exit 3\n')
        typed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace').replace('\r\n', '\n'))
print('\nEXIT %d' % os.waitstatus_to_exitcode(status))
PY

check "on a terminal, the shell starts with a banner saying where it is" \
	grep -q '^memhp shell: you are inside a memhp machine, a Linux 6.1 guest: MemTotal .* in [0-9]* memory blocks' "$TEST_TMP/tty"
check "... what sees the machine, and how to leave" \
	grep -q '^exit leaves (the machine goes with the shell)\.$' "$TEST_TMP/tty"
check "... and the prompt says (memhp)" grep -q '(memhp) # ' "$TEST_TMP/tty"
check "... and exit leaves with the shell's status" grep -q '^EXIT 3$' "$TEST_TMP/tty"
[ "$(grep -c '^EXIT' "$TEST_TMP/tty")" = 1 ] || diag "$(tail -20 "$TEST_TMP/tty")"

out=$(SHELL=/bin/sh "$MEMHP" shell -m 256M </dev/null 2>&1)
is "$?:$out" "0:" "without a terminal the shell prints nothing of its own"
out=$("$MEMHP" shell -m 256M -- sh -c 'printf "%s" "$PS1"' 2>&1)
is "$out" "(memhp) # " "a command gets PS1, so an interactive shell it starts shows it too"
finish
