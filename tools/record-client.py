#!/usr/bin/env python3
"""The base station's client: streams sequence-numbered records to tandem-recordd over QEMU's
virtio console port (a Unix socket QEMU listens on: -chardev socket,id=rec,path=SOCK,server=on,
wait=off -device virtio-serial-device -device virtserialport,chardev=rec,name=records) and checks
what the service acknowledges (protocol: guests/linux/tools/recordd.h; docs/design.md "Base
station").

  tools/record-client.py --socket build/run/records.sock --count 1000

Reconnect semantics: the socket stays connected through a failover (QEMU holds it; the device
moves between VMs underneath). The server sends "H <next> <generation> active" whenever it opens
the port (at start and after a promotion) and on "Q"; the client then resends, in order, every
record it holds unacknowledged. It also sends "Q" when acknowledgements stall for --stall
seconds. Duplicates are the server's to detect (by sequence number): each record must be
acknowledged exactly once.

Checks (exit status 1 if any fails): no record acknowledged twice, none acknowledged that was
never sent, and every record sent acknowledged by the end. Reports the client-visible gap (the
longest time without an acknowledgement while records were outstanding, host wall time).
Importable: tests/integration/test_failover.py drives RecordClient from a thread.
"""
import argparse
import os
import socket
import sys
import threading
import time
import zlib

PAYLOAD_MAX = 100


def payload_of(seq):
    """A deterministic payload of 8..100 bytes for record `seq` (printable, no newline)."""
    h = zlib.crc32(b"tandem-record-%d" % seq)
    body = ("%d-%08x-" % (seq, h)).encode()
    n = 8 + h % 60
    return (body * (n // len(body) + 1))[:n]


def rec_check(seq, payload):
    """recordd.h's rec_check: FNV-1a 32 over the seq (8 bytes LE) and the payload."""
    h = 2166136261
    for b in seq.to_bytes(8, "little") + payload:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def digest_upto(n):
    """recordd.h's rec_digest chained over records 1..n: what `tandem-recordd verify upto=n`
    prints for a log holding exactly the client's records."""
    h = 14695981039346656037
    for seq in range(1, n + 1):
        c = rec_check(seq, payload_of(seq))
        for i in range(4):
            h = ((h ^ ((c >> (8 * i)) & 0xFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%x" % h


class RecordClient:
    def __init__(self, path, window=16, stall=3.0, log=None, rate=0):
        self.path = path
        self.window = window
        self.rate = rate  # records a second at most (0: as fast as acknowledged)
        self.sent_new = 0
        self.rate_start = None
        self.stall = stall
        self.log = log or (lambda s: None)
        self.sock = None
        self.lock = threading.Lock()
        self.next_seq = None  # learnt from the first H
        self.unacked = {}  # seq -> time first sent
        self.acked = set()
        self.ack_time = {}  # seq -> host monotonic time of its acknowledgement
        self.double_acks = []
        self.unknown_acks = []
        self.errors = []
        self.hellos = []  # (time, next, generation)
        self.resends = 0
        self.last_progress = time.monotonic()
        self.last_query = 0.0
        self.buf = b""
        self.stop = False

    # --- connection ---
    def connect(self, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.path)
                s.setblocking(False)
                self.sock = s
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _send(self, data):
        view = memoryview(data)
        while view:
            try:
                n = self.sock.send(view)
                view = view[n:]
            except BlockingIOError:
                self._pump(0.05)

    def _send_record(self, seq):
        self._send(b"R %d %s\n" % (seq, payload_of(seq)))

    # --- receiving ---
    def _pump(self, timeout):
        import select
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        if not data:
            raise ConnectionError("the record socket closed")
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self._line(line.decode(errors="replace").strip())

    def _line(self, line):
        now = time.monotonic()
        parts = line.split()
        if not parts:
            return
        if parts[0] == "A" and len(parts) == 2 and parts[1].isdigit():
            seq = int(parts[1])
            with self.lock:
                if seq in self.acked:
                    self.double_acks.append(seq)
                elif seq not in self.unacked:
                    self.unknown_acks.append(seq)
                else:
                    del self.unacked[seq]
                    self.acked.add(seq)
                    self.ack_time[seq] = now
                    self.last_progress = now
        elif parts[0] == "H" and len(parts) >= 3 and parts[1].isdigit():
            nxt, gen = int(parts[1]), int(parts[2]) if parts[2].isdigit() else -1
            self.log("H next=%d generation=%d" % (nxt, gen))
            with self.lock:
                self.hellos.append((now, nxt, gen))
                if self.next_seq is None:
                    self.next_seq = nxt
                pending = sorted(self.unacked)
            # Resend, in order, everything not acknowledged: the server logs what it lacks and
            # acknowledges (once) what it already had.
            for seq in pending:
                self._send_record(seq)
            self.resends += len(pending)
            self.last_progress = now
        elif parts[0] == "E":
            self.errors.append(line)
        else:
            self.errors.append("unexpected line %r" % line)

    # --- streaming ---
    def hello(self, timeout=60):
        """Asks the server where it is; returns the next sequence number it expects."""
        deadline = time.monotonic() + timeout
        n = len(self.hellos)
        self._send(b"Q\n")
        while len(self.hellos) == n:
            if time.monotonic() > deadline:
                raise TimeoutError("no H from the record service within %ss" % timeout)
            self._pump(0.2)
        return self.hellos[-1][1]

    def step(self, sending=True):
        """One round: fill the window (if sending), read acknowledgements, ask on a stall."""
        if sending and self.next_seq is not None:
            if self.rate_start is None:
                self.rate_start = time.monotonic()
            while len(self.unacked) < self.window and (
                    not self.rate or self.sent_new < (time.monotonic() - self.rate_start) * self.rate):
                self.sent_new += 1
                seq = self.next_seq
                self.next_seq += 1
                with self.lock:
                    self.unacked[seq] = time.monotonic()
                self._send_record(seq)
        self._pump(0.05)
        now = time.monotonic()
        if self.unacked and now - self.last_progress > self.stall and now - self.last_query > self.stall:
            self.last_query = now
            self._send(b"Q\n")

    def run(self, until):
        """Streams until until(self) is true."""
        while not self.stop and not until(self):
            self.step()

    def drain(self, timeout):
        """Stops sending; waits for every outstanding record's acknowledgement."""
        deadline = time.monotonic() + timeout
        while self.unacked and time.monotonic() < deadline:
            self.step(sending=False)
        return not self.unacked

    # --- results ---
    def highest_contiguous(self):
        """The largest n such that every record from the first acknowledged one to n is."""
        with self.lock:
            if not self.acked:
                return 0
            lo = min(self.acked)
            n = lo
            while n + 1 in self.acked:
                n += 1
            return n

    def gaps(self, since=None):
        """The acknowledgement times in order and the longest gap between two (seconds)."""
        with self.lock:
            times = sorted(t for s, t in self.ack_time.items() if since is None or t >= since)
        longest = max((b - a for a, b in zip(times, times[1:])), default=0.0)
        return longest

    def gap_around(self, t):
        """The client-visible gap around time t: from the last acknowledgement before t to the
        first one after it (seconds), or None if there is none after."""
        with self.lock:
            before = [x for x in self.ack_time.values() if x <= t]
            after = [x for x in self.ack_time.values() if x > t]
        if not before or not after:
            return None
        return min(after) - max(before)

    def longest_gap(self, t0, t1):
        """The client's longest silence between two consecutive acknowledgements that spans
        part of [t0, t1] (seconds): a failure injected at t0 and the promoted service seen
        acknowledging by t1 (a hang is detected seconds after t0, the old primary serving on
        meanwhile). None if no acknowledgement came after t0."""
        with self.lock:
            times = sorted(self.ack_time.values())
        pairs = [(a, b) for a, b in zip(times, times[1:]) if b > t0 and a < t1]
        return max((b - a for a, b in pairs), default=None)

    def problems(self):
        out = []
        if self.double_acks:
            out.append("acknowledged twice: %s" % self.double_acks[:10])
        if self.unknown_acks:
            out.append("acknowledged but never sent: %s" % self.unknown_acks[:10])
        if self.errors:
            out.append("server errors: %s" % self.errors[:5])
        with self.lock:
            if self.acked:
                lo, hi = min(self.acked), max(self.acked)
                missing = [s for s in range(lo, hi + 1) if s not in self.acked]
                if missing:
                    out.append("not acknowledged inside %d..%d: %s" % (lo, hi, missing[:10]))
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", required=True, help="QEMU's Unix socket of the port")
    ap.add_argument("--count", type=int, default=1000, help="records to send")
    ap.add_argument("--window", type=int, default=16, help="records in flight")
    ap.add_argument("--timeout", type=float, default=600, help="seconds for the whole run")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    c = RecordClient(args.socket, args.window,
                     log=(lambda s: print("# " + s, flush=True)) if args.verbose else None)
    c.connect()
    first = c.hello()
    last = first + args.count - 1
    deadline = time.monotonic() + args.timeout
    start = time.monotonic()
    c.run(lambda cl: cl.next_seq > last or time.monotonic() > deadline)
    c.drain(max(1.0, deadline - time.monotonic()))
    took = time.monotonic() - start
    probs = c.problems()
    print("records %d..%d: acknowledged %d, resent %d, hellos %d, longest gap %.3f s, "
          "%.0f records/s" % (first, last, len(c.acked), c.resends, len(c.hellos), c.gaps(),
                               len(c.acked) / took if took else 0))
    if c.unacked:
        probs.append("%d records never acknowledged" % len(c.unacked))
    for p in probs:
        print("error: " + p)
    print("digest up to %d: %s" % (last, digest_upto(last)))
    sys.exit(1 if probs else 0)


if __name__ == "__main__":
    main()
