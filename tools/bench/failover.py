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
Failover (--failover N, configs/tests/failover-linux.dts, -smp 3: the two Linux VMs in pool0,
the RTOS in its bind pool): N failures of the active VM while the client streams, the modes in
turn (kernel panic, hang, SYSTEM_OFF, fatal fault); per mode the minimum and maximum of
  detection    the guest's counter just before the injection (tandem-counter) -> Tandem's
               "failed ... at T ticks" (for the hang: the watchdog's configured 2 x WOR beside it)
  Tandem       failure seen -> the backup's promotion interrupt injected (Tandem's own line)
  promotion    failure seen -> the backup's first acknowledged record (recordd's counter)
  guest        the backup's recordd sees the promotion -> its port open (bind + probe + node)
  gap          injection -> first acknowledgement after promotion (counter), and the client's
               longest silence around the failure (host wall time)
Counter ticks are 16 ns; under --icount (shift=4: a tick is about an instruction) they are
virtual time and the host's load does not enter; without it they follow the loaded host.
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
    # Whole numbers only: a line still arriving must not match with half its digits.
    c = vm.expect(r"tandem: scheduling at counter (\d+) \(", 30, since=mark)
    r = vm.expect(r"vcpu %s pool=\S+ state=\S+ run=(\d+)\s" % re.escape(vcpu), 30, since=mark)
    vm.settle_prompt()
    return int(c.group(1)), int(r.group(1))


FAILOVER = (r"tandem: warning: failover bs: (\S+) failed \((.*?)\) at (\d+) ticks \(\d+ us\); "
            r"(\S+) promoted in (\d+) ticks")
INJECT = {"panic": "echo c > /proc/sysrq-trigger", "hang": "kill -STOP $(pidof watchdog)",
          "off": "poweroff -f", "fault": "devmem 0x0b000000 32"}


def line_of(name, rest):
    """VM `name`'s line starting with `rest`, perhaps after its redrawn prompt."""
    return r"\[%s\] (?:tandem-guest:/# )*" % name + rest


def ms(ticks):
    return "%.2f ms" % (ticks / 62500.0)


def focus_shell(vm, name):
    vm.shell_vm = name
    vm.focused = None
    vm.focus(name)


def failovers(t, vm, sock, n, setup, seconds):
    """n failovers while the client streams; prints the rows. Returns the client."""
    c = rc.RecordClient(sock, window=16, rate=40)
    c.connect()
    c.hello()
    stop = [False]

    def pump():
        while not stop[0]:
            c.step()
    import threading
    th = threading.Thread(target=pump, daemon=True)
    th.start()
    modes = ["panic", "hang", "off", "fault"]
    active, standby = "bs-a", "bs-b"
    rows = []
    share = None
    for i in range(n):
        mode = modes[i % len(modes)]
        target = len(c.acked) + 20
        deadline = time.monotonic() + 600
        while len(c.acked) < target and time.monotonic() < deadline:
            time.sleep(0.2)
        if share is None:  # the standby's share while it replicates a steady stream
            c0, r0 = sched(vm, "%s/0" % standby)
            time.sleep(seconds)
            c1, r1 = sched(vm, "%s/0" % standby)
            share = (r1 - r0, c1 - c0, len(c.acked))
        focus_shell(vm, active)
        mark = vm.mark()
        vm.send("tandem-counter; " + INJECT[mode])
        t_fail = time.monotonic()
        m = vm.expect(FAILOVER, 300, since=mark)
        ma = vm.expect(line_of(standby, r"recordd: first acknowledgement after promotion: record "
                                   r"\d+, ticks since promotion (\d+) \(cntvct=\d+\)"), 300,
                       since=mark)
        text = vm.text[mark:]
        inj = re.search(r"tandem-counter: cntvct=(\d+)", vm.vm_output(active, mark))
        seen = re.search(line_of(standby, r"recordd: promoted: generation \d+, log up to \d+ "
                                       r"\(cntvct=(\d+)\)"), text)
        port = re.search(line_of(standby, r"recordd: port open after promotion: ticks since "
                                       r"promotion (\d+)"), text)
        # The acknowledgement's time: the promotion's counter (recordd's "promoted" line, a few
        # hundred ticks after it took it) plus the ticks since; the line itself comes later,
        # after the takeover's held-back log lines have gone through the emulated UART.
        detected, first = int(m.group(3)), int(seen.group(1)) + int(ma.group(1))
        t_ack = time.monotonic()
        target = len(c.acked) + 10
        deadline = time.monotonic() + 120
        while len(c.acked) < target and time.monotonic() < deadline:
            time.sleep(0.2)
        bind = re.search(line_of(standby, r"recordd: port search: bind written after (\d+) "
                                       r"ticks"), text)
        po = int(port.group(1)) if port else None
        rows.append({"mode": mode, "detect": detected - int(inj.group(1)) if inj else None,
                     "tandem": int(m.group(5)), "promotion": first - detected,
                     "seen": int(seen.group(1)) - detected,
                     "bind": int(bind.group(1)) if bind else None, "guest": po,
                     "client": int(ma.group(1)) - po if po is not None else None,
                     "gap": first - int(inj.group(1)) if inj else None,
                     "wall": c.longest_gap(t_fail, t_ack)})
        # The failed VM restarts as the standby: wait until it is caught up.
        vm.expect(line_of(standby, r"recordd: standby in sync at record \d+"), 600, since=mark)
        vm.expect(r"\[%s\] .*TANDEM-LINUX-READY" % active, 300, since=mark)
        focus_shell(vm, active)
        vm.run(harness.QUIET_SHELL)
        active, standby = standby, active
    stop[0] = True
    th.join(10)
    for mode in modes:
        rs = [r for r in rows if r["mode"] == mode]
        if not rs:
            continue

        def span(key, fmt=ms):
            v = [r[key] for r in rs if r[key] is not None]
            if not v:
                return "?"
            return fmt(min(v)) if min(v) == max(v) else "%s - %s" % (fmt(min(v)), fmt(max(v)))
        what = "%s (%d)" % (mode, len(rs))
        row("%s: detection%s" % (what, ", watchdog configured 4000 ms (2 x WOR 2 s), last "
                                 "refresh up to 1 s before the hang" if mode == "hang" else ""),
            span("detect"), setup)
        row("%s: failure seen -> promotion interrupt (Tandem)" % what, span("tandem"), setup)
        row("%s: failure seen -> first acknowledged record" % what, span("promotion"), setup)
        row("%s: of which failure seen -> recordd sees its promotion" % what, span("seen"),
            setup)
        row("%s: of which promotion seen by recordd -> port open" % what, span("guest"), setup)
        row("%s: of which the bind's write (virtio_mmio + the port driver's probe)" % what,
            span("bind"), setup)
        row("%s: of which port open -> first acknowledged record (H to the host client, its "
            "resend back; idle guest time runs ahead under sleep=off)" % what, span("client"),
            setup)
        row("%s: injection -> first acknowledged record" % what, span("gap"), setup)
        row("%s: client's longest silence around the failure" % what,
            span("wall", lambda x: "%.0f ms (host wall)" % (1000 * x)), setup)
    if share:
        row("standby's CPU share while replicating (40 records/s offered, host time)",
            "%.2f%% of one pCPU (%d of %d ticks)" % (100.0 * share[0] / max(1, share[1]),
                                                      share[0], share[1]), setup)
    probs = c.problems()
    row("client checks after %d failovers" % n,
        "; ".join(probs) or "%d records, each acknowledged once, in sequence" % len(c.acked),
        setup)
    return c


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
    if args.failover:
        setup = "QEMU virt, 3 pCPUs (2 x Linux 1 vCPU 256 MiB in pool0, RTOS bind), %s" % (
            "-icount shift=4,sleep=off (virtual time)" if args.icount else
            "plain TCG (host-paced)")
        with t.boot("failover", config="configs/tests/failover-linux.dts", smp=3, mem="2G",
                    extra=extra) as vm:
            vm.focused = "bs-a"
            vm.expect(r"\[bs-a\] recordd: standby in sync at record 0", 900)
            vm.pos = 0
            vm.login(900)
            failovers(t, vm, sock, args.failover, setup, args.seconds)
        t.done()
        return
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
