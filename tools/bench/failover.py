#!/usr/bin/env python3
"""Base-station figures (issue 15), printed as benchmark rows (`| figure | value | setup |`).

  tools/bench/failover.py                       replication figures, configs/tests/records-pair.dts
  tools/bench/failover.py --failover 6          + failovers (configs/tests/failover-linux.dts)
  tools/bench/failover.py --icount              under -icount shift=4,sleep=off

Replication (two Linux VMs, -smp 2): the host client streams records at --rate a second (host
wall time) for --seconds; rows: records acknowledged, their rate, the client's median and
largest time from send to acknowledgement (wall), and the standby's CPU share: its vCPU's run
time over the counter ticks that passed (Ctrl-A s before and after; virtual time under
--icount, else the host-paced counter).
Failover (once Tandem has failover groups): per failure mode, the detection time (Tandem's
"failed ... at T ticks" minus the counter the guest printed just before the failure was
injected; for the watchdog, its configured period 2 x 2 s beside it), the promotion time
(promotion -> the new primary's first acknowledged record, recordd's ticks) and the
client-visible gap (host wall time).
"""
import argparse
import importlib.util
import os
import re
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402

spec = importlib.util.spec_from_file_location("record_client",
                                              os.path.join(TOP, "tools", "record-client.py"))
rc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rc)


def sched(vm, vcpu):
    """(counter, run ticks of `vcpu`) from Tandem's Ctrl-A s dump."""
    mark = vm.mark()
    vm.send("\x01s", newline=False)
    c = vm.expect(r"tandem: scheduling at counter (\d+)", 30, since=mark)
    r = vm.expect(r"vcpu %s pool=\S+ state=\S+ run=(\d+)" % re.escape(vcpu), 30, since=mark)
    vm.settle_prompt()
    return int(c.group(1)), int(r.group(1))


def row(name, value, setup):
    print("| %s | %s | %s |" % (name, value, setup), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rate", type=float, default=50, help="records a second (host wall time)")
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--failover", type=int, default=0, help="failovers to measure")
    args = ap.parse_args()
    sys.argv = [sys.argv[0], "--build", args.build]
    t = harness.Test(__file__)
    work = os.path.join(t.build, "bench-failover")
    os.makedirs(work, exist_ok=True)
    sock = os.path.join(work, "records.sock")
    extra = ["-chardev", "socket,id=rec,path=%s,server=on,wait=off" % sock,
             "-device", "virtio-serial-device", "-device",
             "virtserialport,chardev=rec,name=records"]
    if args.icount:
        extra += ["-icount", "shift=4,sleep=off"]
    setup = "QEMU virt, 2 pCPUs, 2 x Linux 1 vCPU 256 MiB, %s" % (
        "-icount shift=4,sleep=off (virtual time)" if args.icount else "plain TCG (host-paced)")
    print("| figure | value | setup |\n| --- | --- | --- |")
    with t.boot("pair", config="configs/tests/records-pair.dts", smp=2, mem="2G",
                extra=extra) as vm:
        vm.expect(r"\[bs-a\] recordd: standby in sync at record 0", 600)
        c = rc.RecordClient(sock, window=16, rate=args.rate)
        c.connect()
        c.hello()
        sent = {}
        c0, r0 = sched(vm, "bs-b/0")
        start = time.monotonic()
        while time.monotonic() - start < args.seconds:
            before = set(c.unacked)
            c.step()
            for s in set(c.unacked) - before:
                sent[s] = time.monotonic()
        c.drain(120)
        c1, r1 = sched(vm, "bs-b/0")
        lat = sorted(c.ack_time[s] - sent[s] for s in c.ack_time if s in sent)
        row("records acknowledged", "%d in %.0f s" % (len(c.acked), args.seconds), setup)
        row("acknowledged records a second", "%.1f (offered %.0f)" % (
            len(c.acked) / args.seconds, args.rate), setup)
        if lat:
            row("send -> acknowledgement, median", "%.1f ms (wall)" % (
                1000 * statistics.median(lat)), setup)
            row("send -> acknowledgement, max", "%.1f ms (wall)" % (1000 * lat[-1]), setup)
        row("standby's CPU share while replicating", "%.1f%% of one pCPU (%d of %d ticks)" % (
            100.0 * (r1 - r0) / max(1, c1 - c0), r1 - r0, c1 - c0), setup)
        probs = c.problems()
        row("client checks", "; ".join(probs) or "each record acknowledged once, in sequence",
            setup)
    t.done()


if __name__ == "__main__":
    main()
