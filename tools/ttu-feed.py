#!/usr/bin/env python3
"""Feeds and reads the power terminal's serial ports from the host (issue 13).

QEMU started with tools/ttu-qemu-args.sh DIR (tools/run-qemu.sh --ttu DIR, make run-ttu,
guests/rtos/run-bare.sh --ttu DIR) listens on DIR/port00.sock .. port31.sock, one per 16550.
This tool connects to the ports, writes a distinct pseudo-random stream to each (port N, seed S:
random.Random("ttu-S-N").randbytes(), reproducible anywhere) and/or reads from each, all ports
at once, and prints per port the bytes moved and their sha256:

    tools/ttu-feed.py --dir build/run/ttu-sockets --send 65536           # host -> guest
    tools/ttu-feed.py --dir build/run/ttu-sockets --recv 65536           # guest -> host
    tools/ttu-feed.py --dir build/run/ttu-sockets --send 65536 --echo    # the RTOS's ttu=echo

Output: one line per port, then a summary line
    port 3 sent=65536 sha256_sent=... recv=65536 sha256_recv=... [echo=ok|echo=MISMATCH]
    TTU-FEED ports=32 sent=2097152 recv=0 seconds=4.21 send_rate=498000 B/s min_port_rate=15500 B/s ok
and exits 0 if every port moved what was asked (and, with --echo, got its own bytes back).
Nothing here needs more than the standard library; tests import it (load_module() below).
"""
import argparse
import array
import fcntl
import hashlib
import os
import random
import selectors
import socket
import sys
import time

NR_PORTS = 32
SIOCOUTQ = 0x5411  # Linux: bytes of an AF_UNIX stream socket the peer has not read yet


def unread(sock):
    """Bytes written to sock that QEMU has not taken yet (they are lost if we close now)."""
    buf = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), SIOCOUTQ, buf, True)
    return buf[0]


def stream(seed, port, n):
    """The pseudo-random bytes written to `port` (distinct per port and seed)."""
    return random.Random("ttu-%s-%d" % (seed, port)).randbytes(n)


def sock_path(directory, port):
    return os.path.join(directory, "port%02d.sock" % port)


def connect(directory, ports, timeout=30.0):
    """Connects to every port's socket, waiting for QEMU to create them; returns {port: sock}."""
    deadline = time.monotonic() + timeout
    socks = {}
    for p in ports:
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sock_path(directory, p))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() > deadline:
                    raise TimeoutError("no QEMU listening on %s" % sock_path(directory, p))
                time.sleep(0.1)
        s.setblocking(False)
        socks[p] = s
    return socks


class Port:
    def __init__(self, port, out, want_in):
        self.port = port
        self.out = out
        self.sent = 0
        self.want_in = want_in
        self.recv = bytearray()
        self.first_byte = None  # monotonic time of the first byte moved (either way)
        self.done_at = None
        self.last_unread = 1 << 62


def transfer(socks, send_bytes, recv_bytes, seed=1, idle_timeout=60.0, chunk=4096, progress=None,
             stop=None):
    """Writes send_bytes of its stream to each port while reading up to recv_bytes from each.
    A port is done when it has read recv_bytes and QEMU has taken in every byte written (the
    socket's unread count is 0: closing earlier would drop the rest). Returns {port: Port}.
    Stops when every port is done, nothing moved for idle_timeout s, or `stop` (a
    threading.Event, for a caller in another thread) is set."""
    sel = selectors.DefaultSelector()
    state = {}
    for p, s in socks.items():
        st = Port(p, stream(seed, p, send_bytes) if send_bytes else b"", recv_bytes)
        state[p] = st
        ev = (selectors.EVENT_WRITE if send_bytes else 0) | (selectors.EVENT_READ if recv_bytes else 0)
        if ev:
            sel.register(s, ev, st)
    last_move = time.monotonic()
    draining = {}  # port -> socket: all written, QEMU still taking it in
    while (sel.get_map() or draining) and not (stop and stop.is_set()):
        events = sel.select(timeout=0.5)
        now = time.monotonic()
        for key, mask in events:
            st, s = key.data, key.fileobj
            if mask & selectors.EVENT_WRITE and st.sent < len(st.out):
                try:
                    n = s.send(st.out[st.sent:st.sent + chunk])
                except BlockingIOError:
                    n = 0
                if n:
                    st.first_byte = st.first_byte or now
                    st.sent += n
                    last_move = now
            if mask & selectors.EVENT_READ and len(st.recv) < st.want_in:
                try:
                    data = s.recv(min(65536, st.want_in - len(st.recv)))
                except BlockingIOError:
                    data = None
                if data == b"":
                    sel.unregister(s)
                    continue
                if data:
                    st.first_byte = st.first_byte or now
                    st.recv += data
                    last_move = now
            want = (selectors.EVENT_WRITE if st.sent < len(st.out) else 0) | \
                   (selectors.EVENT_READ if len(st.recv) < st.want_in else 0)
            if not want:
                sel.unregister(s)
                draining[st.port] = s
            elif want != key.events:
                sel.modify(s, want, st)
        # A port is done once QEMU has read every byte written to it: the guest took them.
        for p, s in list(draining.items()):
            left = unread(s)
            if left < state[p].last_unread:
                last_move = now
            state[p].last_unread = left
            if left == 0:
                state[p].done_at = now
                del draining[p]
        if not sel.get_map() and draining:
            time.sleep(0.02)
        if progress:
            progress(state)
        if now - last_move > idle_timeout:
            break
    sel.close()
    return state


def report(state, echo=False, out=sys.stdout, started=None):
    """Prints the per-port lines and the summary; returns True if all went as asked."""
    ok = True
    now = time.monotonic()
    rates = []
    for p in sorted(state):
        st = state[p]
        line = "port %d sent=%d sha256_sent=%s recv=%d sha256_recv=%s" % (
            p, st.sent, hashlib.sha256(st.out[:st.sent]).hexdigest(), len(st.recv),
            hashlib.sha256(bytes(st.recv)).hexdigest())
        moved = max(st.sent, len(st.recv))
        port_ok = st.sent == len(st.out) and len(st.recv) == st.want_in and st.done_at is not None
        if echo:
            same = bytes(st.recv) == st.out
            line += " echo=%s" % ("ok" if same else "MISMATCH")
            port_ok = port_ok and same
        ok = ok and port_ok
        if st.first_byte and moved:
            rates.append(moved / max(1e-6, (st.done_at or now) - st.first_byte))
        print(line, file=out)
    sent = sum(st.sent for st in state.values())
    recv = sum(len(st.recv) for st in state.values())
    end = max([st.done_at or now for st in state.values()] or [now])
    secs = end - (started or end)
    print("TTU-FEED ports=%d sent=%d recv=%d seconds=%.2f rate=%d B/s min_port_rate=%d B/s %s" % (
        len(state), sent, recv, secs, max(sent, recv) / max(secs, 1e-6),
        min(rates) if rates else 0, "ok" if ok else "FAIL"), file=out)
    return ok


def load_module():
    """This file as a module, for tests and benchmarks (its name has a dash)."""
    return sys.modules[__name__]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="build/run/ttu-sockets", help="the sockets' folder")
    ap.add_argument("--ports", default="0-%d" % (NR_PORTS - 1), help="e.g. 0-31 or 0,5,7")
    ap.add_argument("--send", type=int, default=0, help="bytes to write to each port")
    ap.add_argument("--recv", type=int, default=0, help="bytes to read from each port")
    ap.add_argument("--echo", action="store_true",
                    help="expect each port's bytes back (the RTOS's ttu=echo): --recv = --send")
    ap.add_argument("--seed", default="1", help="stream seed (default 1)")
    ap.add_argument("--timeout", type=float, default=60, help="give up after this many idle s")
    a = ap.parse_args()
    ports = []
    for part in a.ports.split(","):
        lo, _, hi = part.partition("-")
        ports += list(range(int(lo), int(hi or lo) + 1))
    if a.echo:
        a.recv = a.send
    if not a.send and not a.recv:
        ap.error("nothing to do: give --send and/or --recv")
    socks = connect(a.dir, ports)
    started = time.monotonic()
    state = transfer(socks, a.send, a.recv, a.seed, a.timeout)
    ok = report(state, a.echo, started=started)
    for s in socks.values():
        s.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
