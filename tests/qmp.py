#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A QMP client for the test scripts, speaking to "memhp serve --qmp" (or
QEMU) over a unix socket as a VMM's tooling would.

  qmp.py SOCKET set ID SIZE       qom-set requested-size of /machine/peripheral/ID
  qmp.py SOCKET wait-size ID SIZE  read MEMORY_DEVICE_SIZE_CHANGE events of ID
                                   until one reports SIZE (a size reached
                                   earlier counts: qom-get size first)
  qmp.py SOCKET get ID PROPERTY    print qom-get's value
  qmp.py SOCKET quit
  qmp.py SOCKET raw JSON           send JSON as it is; print the reply line as the
                                   server wrote it (events before it are skipped)
  qmp.py SOCKET until JSON EVENT [N]
                                   send JSON, print the reply line, then every
                                   event line as written, timestamp digits as
                                   "T", until the Nth (default 1) EVENT
  qmp.py SOCKET balloon BYTES      balloon to BYTES, then wait until query-balloon
                                   says BYTES; print the BALLOON_CHANGE events'
                                   "actual", one per line

Errors from the server are printed as "error: CLASS: DESC", exit 1.
Every read gives up after TIMEOUT seconds (exit 2), so a server that never
answers fails the test instead of hanging it.
"""
import json
import re
import socket
import sys

TIMEOUT = 60


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self.events = []
        greeting = self.read()
        if "QMP" not in greeting:
            raise SystemExit(f"qmp.py: no greeting: {greeting}")
        self.execute("qmp_capabilities")

    def read(self):
        try:
            line = self.file.readline()
        except socket.timeout:
            print(f"qmp.py: nothing from the server for {TIMEOUT} s", file=sys.stderr)
            sys.exit(2)
        if not line:
            print("qmp.py: the server closed the connection", file=sys.stderr)
            sys.exit(2)
        return json.loads(line)

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.file.write(json.dumps(msg).encode() + b"\r\n")
        self.file.flush()
        while True:
            reply = self.read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                err = reply["error"]
                print(f"error: {err['class']}: {err['desc']}")
                sys.exit(1)
            return reply.get("return")

    def raw_line(self):
        try:
            line = self.file.readline()
        except socket.timeout:
            print(f"qmp.py: nothing from the server for {TIMEOUT} s", file=sys.stderr)
            sys.exit(2)
        if not line:
            print("qmp.py: the server closed the connection", file=sys.stderr)
            sys.exit(2)
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def send_raw(self, text):
        self.file.write(text.encode() + b"\r\n")
        self.file.flush()

    def next_event(self):
        if self.events:
            return self.events.pop(0)
        while True:
            msg = self.read()
            if "event" in msg:
                return msg


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    qmp = Qmp(argv[1])
    op, rest = argv[2], argv[3:]
    if op == "set":
        dev, size = rest
        qmp.execute("qom-set", path=f"/machine/peripheral/{dev}",
                    property="requested-size", value=int(size, 0))
    elif op == "get":
        dev, prop = rest
        print(json.dumps(qmp.execute("qom-get", path=f"/machine/peripheral/{dev}",
                                     property=prop)))
    elif op == "wait-size":
        dev, size = rest[0], int(rest[1], 0)
        cur = qmp.execute("qom-get", path=f"/machine/peripheral/{dev}", property="size")
        while cur != size:
            ev = qmp.next_event()
            if ev["event"] == "MEMORY_DEVICE_SIZE_CHANGE" and ev["data"].get("id") == dev:
                cur = ev["data"]["size"]
        print(cur)
    elif op == "quit":
        qmp.execute("quit")
    elif op == "raw":
        qmp.send_raw(rest[0])
        while True:
            line = qmp.raw_line()
            if '"event"' not in line:
                print(line)
                break
    elif op == "until":
        want, count = rest[1], int(rest[2]) if len(rest) > 2 else 1
        qmp.send_raw(rest[0])
        while count:
            line = qmp.raw_line()
            if '"event"' in line:
                line = re.sub(r'"(seconds|microseconds)": [0-9]+', r'"\1": T', line)
                if json.loads(line.replace(": T", ": 0"))["event"] == want:
                    count -= 1
            print(line)
    elif op == "balloon":
        target = int(rest[0], 0)
        qmp.execute("balloon", value=target)
        while qmp.execute("query-balloon")["actual"] != target:
            ev = qmp.next_event()
            if ev["event"] == "BALLOON_CHANGE":
                print(ev["data"]["actual"])
        for ev in qmp.events:
            if ev["event"] == "BALLOON_CHANGE":
                print(ev["data"]["actual"])
    else:
        print(f"qmp.py: unknown operation {op}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
