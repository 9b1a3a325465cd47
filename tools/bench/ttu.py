#!/usr/bin/env python3
"""The power terminal's benchmark (issue 13): 32 serial ports host -> guest, TCG wall and icount.

    tools/bench/ttu.py [--build build] [--bytes 65536] [--out DIR]

Three boots, each fed by tools/ttu-feed.py (all 32 ports at once, a distinct pseudo-random stream
each; a port is done when QEMU has taken every byte from its socket, which it only does as fast
as the guest reads):
  1. "RTOS bare": the RTOS alone on QEMU (no hypervisor, -smp 1), ttu=sink: reads and drops;
  2. "RTOS under Tandem": the same RTOS VM in configs/ttu.dts (Linux booted and idle beside it,
     same pCPUs and pools as in 3) with ttu=sink;
  3. "channel to Linux": configs/ttu.dts, Linux reading every /dev/ttyTV* (raw) into a file
     (the first --chain-readers kind: by default tandem-ttycollect, one process for all 32),
     whole files checked afterwards by sha256 (zero loss); the rate runs from the feed's first
     byte to the last reader's end; plus Linux's doorbell interrupts per second during the
     transfer (/proc/interrupts), and the round trip of a 16-byte message
     host -> RTOS -> Linux (cat echoes it) -> RTOS -> host on port 0, idle and while the other
     31 ports stream (p50/p99 of 50, wall clock: the max-delay path idle).
  4. Linux's cost of the same traffic on 4 ports (host -> Linux, 64 KiB each): through the
     channel (configs/ttu.dts, /dev/ttyTV0-3) against Linux driving card 1's 4 UARTs itself with
     its stock 8250 driver (configs/bench/ttu-linux-8250.dts, /dev/ttyS0-3): the device
     interrupts Linux takes, the EL2 entries of its pCPUs and its non-idle CPU time, per KiB.
  5. `--only icount`: 1-3 again under -icount shift=4,sleep=off (bare RTOS, RTOS under Tandem
     sinking, the chain; --icount-bytes per port), plus "drop": the chain with no reader on
     Linux (its driver consumes each ring and drops the bytes, as for a port nobody has open:
     the channel path without Linux's tty layer and readers): the rate in virtual time, and
     what a KiB costs in guest time, which the host's load hardly moves: the RTOS's non-idle
     ticks from
     its first to its last byte (`ttu clear` / `ttu window`), its interrupts, polls and EL2
     entries per KiB, and Linux's non-idle ticks per KiB (/proc/stat), hence how much Linux's
     two vCPUs could absorb if they ran beside the RTOS instead of taking turns with it on
     icount's one clock. For "drop" also Linux's RX passes, the RTOS's doorbells and Linux's
     non-idle time per KiB; --drop-poll-us runs one drop transfer per rx_poll_us value in the
     same boot; --insns counts Linux's own instructions (a QEMU plugin,
     tools/qemu-plugins/vcpu_insns.c): the most of the RTOS's busy ticks that are Linux's.
     The chain boot runs one transfer per --chain-readers kind: "collect" (the first, the
     chain_* rows: tandem-ttycollect, one process polling all 32 ports), "head" (a `head -c`
     per port, chain_head_* rows), with "-p<us>" another rx_poll_us for that transfer; for each
     Linux's instructions, busy ticks, context switches, RX passes and the collector's polls and
     reads per KiB. --profile adds where Linux's instructions go (TTU-PROF lines by kernel
     function: tools/qemu-plugins/vcpu_prof.c, resolved with the guest's /proc/kallsyms).
In 1-3 the RTOS's `ttu window` gives how its work came in batches (interrupts, polls, bytes a
port service found, its share of time in WFI) and, with TTU_MAIN_LOOP=1, `perf stat` counts
QEMU's main-loop iterations and socket reads per KiB: what sets the wall rates (docs/benchmarks.md,
"ttu", session 11).
Prints one `TTU-BENCH name=value unit=...` line per figure; bench.py turns them into rows.
Wall-clock figures on a shared 2-core host are noisy: compare rows of the same run only.
"""
import argparse
import hashlib
import importlib.util
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402

MACHINE = harness.DEFAULT_MACHINE + ",highmem=off"
MAIN_LOOP = ["qemu-system-aar"]  # QEMU's main thread (its name, cut to 15 characters)
BARE_THREADS = {"rtos_vcpu": ["CPU 0/TCG"], "main_loop": MAIN_LOOP}
# configs/ttu.dts: Linux on pCPUs 0-1, the RTOS on pCPU 2, pCPU 3 spare.
TANDEM_THREADS = {"rtos_vcpu": ["CPU 2/TCG"], "linux_vcpus": ["CPU 0/TCG", "CPU 1/TCG"],
                  "spare_pcpu": ["CPU 3/TCG"], "main_loop": MAIN_LOOP}


def load_feed():
    spec = importlib.util.spec_from_file_location("ttu_feed", os.path.join(TOP, "tools",
                                                                           "ttu-feed.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FEED = load_feed()


def ttu_args(sock_dir):
    """The 32 ports on sockets in sock_dir, and QEMU's threads named (for thread_cpu())."""
    out = subprocess.run([os.path.join(TOP, "tools", "ttu-qemu-args.sh"), sock_dir], check=True,
                         capture_output=True, text=True).stdout
    return out.split("\n")[:-1] + ["-name", "debug-threads=on"]


RESULTS = {}  # name -> value, for the plot


def emit(name, value, unit, note=""):
    RESULTS[name] = value
    print("TTU-BENCH %s=%s unit=%s%s" % (name, value, unit, (" note=" + note) if note else ""),
          flush=True)


def thread_cpu(pid):
    """Host CPU seconds (user + system) of each of QEMU's threads, summed by thread name
    ("qemu-system-aar" is the main loop: chardevs, timers; "CPU n/TCG" a vCPU)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def emit_host_cpu(label, before, after, nbytes, groups):
    """Host CPU ms per KiB moved, per group of QEMU threads ({row: [thread names]})."""
    kib = nbytes / 1024
    for row, names in groups.items():
        secs = sum(after.get(n, 0) - before.get(n, 0) for n in names)
        emit("%s_host_cpu_%s" % (label, row), "%.2f" % (secs * 1000 / kib), "ms/KiB",
             "host CPU of QEMU's %s" % "+".join(names))


MAIN_LOOP_EVENTS = ("syscalls:sys_enter_ppoll", "syscalls:sys_enter_recvmsg")


class MainLoopCount:
    """`perf stat` of QEMU's main thread over a transfer (TTU_MAIN_LOOP=1): its ppoll() calls
    (main loop iterations) and recvmsg() calls (a chardev socket read each, one per FIFO
    refill). Tracepoints, not hardware counters: they work under this host's perf."""

    def __init__(self, pid):
        self.proc = None
        if os.environ.get("TTU_MAIN_LOOP") != "1" or not shutil.which("perf"):
            return
        self.proc = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-e", ",".join(MAIN_LOOP_EVENTS), "-t", str(pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def emit(self, label, nbytes):
        if not self.proc:
            return
        self.proc.send_signal(2)
        err = self.proc.communicate(timeout=30)[1]
        kib = nbytes / 1024
        for line in err.splitlines():
            f = line.split(",")
            if len(f) > 2 and f[2] in MAIN_LOOP_EVENTS and f[0].isdigit():
                what = {"syscalls:sys_enter_ppoll": "iterations",
                        "syscalls:sys_enter_recvmsg": "socket_reads"}[f[2]]
                emit("%s_main_loop_%s_per_kib" % (label, what), "%.1f" % (int(f[0]) / kib),
                     "1/KiB", "QEMU's main thread, perf stat -e %s" % f[2])


def throughput(state):
    """(aggregate B/s, slowest port B/s) of a finished transfer."""
    first = min(st.first_byte for st in state.values() if st.first_byte)
    last = max(st.done_at for st in state.values() if st.done_at)
    total = sum(st.sent for st in state.values())
    ports = [st.sent / max(1e-6, st.done_at - st.first_byte) for st in state.values()
             if st.done_at and st.first_byte]
    return total / max(1e-6, last - first), min(ports) if ports else 0


def feed_all(sock_dir, nbytes, seed, ports=range(32)):
    socks = FEED.connect(sock_dir, ports)
    try:
        state = FEED.transfer(socks, nbytes, 0, seed=seed, idle_timeout=60)
    finally:
        for s in socks.values():
            s.close()
    ok = all(st.done_at and st.sent == nbytes for st in state.values())
    return state, ok


def rtos_alone(build, label, cmd, nbytes, log_dir, groups):
    with tempfile.TemporaryDirectory(prefix="ttu-") as sock_dir:
        vm = harness.Console(cmd(sock_dir), os.path.join(log_dir, "ttu-%s.log" % label))
        try:
            vm.expect(r"TTU: 32 port\(s\)[^\n]*mode sink", 120)
            under_tandem = "linux_vcpus" in groups
            if under_tandem:  # Linux boots beside it: let it settle first
                vm.login()
                time.sleep(5)
            else:
                vm.expect(r"RTOS: shell on the console", 120)
            rtos_window(vm, True, focus=under_tandem)
            before = thread_cpu(vm.proc.pid)
            loop = MainLoopCount(vm.proc.pid)
            state, ok = feed_all(sock_dir, nbytes, label)
            emit_host_cpu(label, before, thread_cpu(vm.proc.pid), 32 * nbytes, groups)
            loop.emit(label, 32 * nbytes)
            agg, slow = throughput(state)
            emit("%s_aggregate" % label, round(agg), "B/s", "" if ok else "INCOMPLETE")
            emit("%s_per_port_min" % label, round(slow), "B/s")
            emit_batching(label, rtos_window(vm, False, focus=under_tandem))
            # The same with only COST_PORTS ports busy (the host's 2 cores then have room to
            # spare): what linux_cost() moves through the channel, for the per-port ratio.
            state, ok = feed_all(sock_dir, nbytes, label + "-4", range(COST_PORTS))
            agg4, slow4 = throughput(state)
            emit("%s_4ports_aggregate" % label, round(agg4), "B/s", "" if ok else "INCOMPLETE")
            emit("%s_4ports_per_port_min" % label, round(slow4), "B/s")
            return agg, agg4
        finally:
            vm.close()


VCPU_RE = re.compile(r"^tandem:   vcpu \d+ \w+: pcpu -?\d+ traps (\d+) waits \d+ wfi (\d+) "
                     r"hvc \d+ mmio \d+ irqs (\d+) injected (\d+)", re.M)


def vm_vcpu_counters(vm, name):
    """Sums over VM name's vCPUs from Tandem's Ctrl-A d: (EL2 entries, WFI traps, physical
    interrupts taken while it ran, virtual interrupts injected)."""
    mark = vm.mark()
    vm.send("\x01d", newline=False)
    end = vm.expect(r"^tandem: memory: \d+ free page frames\n", 30, since=mark)
    text = vm.text[mark:end.end()]
    start = text.find("tandem: vm %s:" % name)
    stop = text.find("tandem: vm ", start + 1)
    block = text[start:stop if stop > 0 else len(text)]
    sums = [0, 0, 0, 0]
    for m in VCPU_RE.finditer(block):
        sums = [a + int(b) for a, b in zip(sums, m.groups())]
    return sums


def two_counts(out):
    """The last "N M" line of a command's output (job notices may come before it), or []."""
    lines = re.findall(r"^(\d+) (\d+)$", out, re.M)
    return [int(x) for x in lines[-1]] if lines else []


def vserial_counts(vm):
    """(Linux's RX passes, of them polls; the RTOS's doorbells to Linux, max-delay doorbells
    suppressed because Linux was polling)."""
    m = re.search(r"passes (\d+) polls (\d+)", vm.run(
        "cat /sys/bus/platform/drivers/tandem_vserial/*/status"))
    out = rtos_cmd(vm, "vserial", r"VSERIAL live=[^\n]*\n")
    vm.focus(vm.shell_vm)
    d = re.search(r"doorbells_out=(\d+)", out)
    sup = re.search(r"suppressed=(\d+)", out)
    return [int(m.group(1)) if m else 0, int(m.group(2)) if m else 0,
            int(d.group(1)) if d else 0, int(sup.group(1)) if sup else 0]


def chain_transfer(vm, sock_dir, nbytes, label, irq_cmd, poll, kind="collect", ifile=None):
    """One transfer of nbytes per port host -> Linux on all 32 ports, Linux's readers into files
    checked by sha256; the figures under `label`. Returns the aggregate rate."""
    before = two_counts(vm.run(irq_cmd))
    counts0 = vserial_counts(vm)
    # Readers into files in RAM, hashed afterwards (zero loss, in order).
    vm.send('rm -f /tmp/b* /tmp/collect.out; %s; sleep 2; echo READY-$((1+1)); wait $p; '
            'echo DONE-$((2+1))' % chain_readers_cmd(kind, nbytes))
    vm.expect(r"READY-2", 120)
    vc0 = vm_vcpu_counters(vm, "linux")
    thr0 = rtos_throttles(vm)
    rtos_window(vm, True)
    vm.focus(vm.shell_vm)
    mark = vm.mark()
    t0 = time.monotonic()
    cpu0 = thread_cpu(vm.proc.pid)
    loop = MainLoopCount(vm.proc.pid)
    i0 = insns_read(ifile)
    state, ok = feed_all(sock_dir, nbytes, label)
    vm.expect(r"DONE-3", 300, since=mark)
    secs = time.monotonic() - t0  # to the last reader's end: every byte in Linux's files
    i1 = insns_read(ifile)
    loop.emit(label, 32 * nbytes)
    if ifile:
        for who, vcpus in (("linux", (0, 1)), ("rtos_pcpu", (2,))):
            emit("%s_%s_insns_per_kib" % (label, who), round(
                sum(i1[v] - i0[v] for v in vcpus) / (32 * nbytes / 1024)), "insns/KiB",
                "guest and EL2 instructions of pCPUs %s over the transfer (TTU_WALL_INSNS=1: "
                "the plugin slows TCG, so its wall rows are not comparable)"
                % ",".join(map(str, vcpus)))
    win = rtos_window(vm, False)
    emit(label + "_rtos_throttles", rtos_throttles(vm) - thr0, "count",
         "times the RTOS found a port's ring full (its bytes then wait in the UART)")
    vm.focus(vm.shell_vm)
    vc1 = vm_vcpu_counters(vm, "linux")
    kib = 32 * nbytes / 1024
    for i, (what, unit) in enumerate((("el2", "entries/KiB"), ("wfi", "traps/KiB"),
                                      ("irqs", "irq/KiB"), ("injected", "virq/KiB"))):
        emit(label + "_linux_%s_per_kib" % what, "%.2f" % ((vc1[i] - vc0[i]) / kib), unit,
             "Linux's vCPUs, Tandem's Ctrl-A d, over the transfer")
    emit_host_cpu(label, cpu0, thread_cpu(vm.proc.pid), 32 * nbytes, TANDEM_THREADS)
    after = two_counts(vm.run(irq_cmd))
    sums = vm.run("sha256sum /tmp/b*", timeout=120)
    if kind != "head":
        emit_collector(label, vm.run("cat /tmp/collect.out 2>/dev/null; echo END"),
                       32 * nbytes / 1024)
    want = [hashlib.sha256(FEED.stream(label, p, nbytes)).hexdigest() for p in range(32)]
    lossless = ok and all(w in sums for w in want)
    agg, slow = throughput(state)
    # The chain's aggregate is host -> Linux's files: the feed's first byte to the readers' end
    # (the feed's own end, QEMU's last byte taken from a socket, can be a ring's worth early).
    first = min(st.first_byte for st in state.values() if st.first_byte)
    e2e = 32 * nbytes / max(1e-6, t0 + secs - first)
    emit(label + "_aggregate", round(e2e), "B/s", "host -> Linux's files, zero loss (sha256 "
         "of all 32)" if lossless else "LOSS or INCOMPLETE")
    emit(label + "_feed_aggregate", round(agg), "B/s", "host -> QEMU's 16550s (the feed's end)")
    emit(label + "_per_port_min", round(slow), "B/s", "host -> QEMU's 16550s")
    emit_batching(label, win)
    if len(before) == 2 and len(after) == 2:
        bells, ticks = after[0] - before[0], after[1] - before[1]
        emit(label + "_linux_doorbell_irqs_per_s", round(bells / max(secs, 1e-3)),
             "irq/s", "tandem_vserial doorbell, both vCPUs")
        emit(label + "_linux_doorbells_per_kib", "%.2f" % (bells / kib), "irq/KiB")
        emit(label + "_linux_timer_irqs_per_kib", "%.2f" % (ticks / kib), "irq/KiB",
             "arch_timer (virtual timer PPI 27), both vCPUs")
    counts1 = vserial_counts(vm)
    kib = 32 * nbytes / 1024
    note = "rx_poll_us %s" % ("default" if poll is None else poll)
    for i, what in enumerate(("linux_rx_passes", "linux_rx_polls", "rtos_doorbells",
                              "rtos_suppressed")):
        emit("%s_%s_per_kib" % (label, what), "%.2f" % ((counts1[i] - counts0[i]) / kib),
             "1/KiB", note)
    return e2e


def chain(build, nbytes, log_dir, rtos_args="", rx_poll_us=None, kind="collect"):
    with tempfile.TemporaryDirectory(prefix="ttu-") as sock_dir:
        config = os.path.join(TOP, "configs/ttu.dts")
        if rtos_args:  # a variant of the shipped system: its RTOS's bootargs extended
            text = open(config).read().replace("ttu=channel", "ttu=channel " + rtos_args)
            config = os.path.join(build, "bench", "ttu-chain-variant.dts")
            with open(config, "w") as f:
                f.write(text.replace("../build/", build + "/"))
        cmd = [os.path.join(TOP, "tools/run-qemu.sh"), "--build", build, "--smp", "4", "--mem",
               "2G", "--cpu", harness.DEFAULT_CPU, "--machine", MACHINE, "--config",
               config, "--"] + ttu_args(sock_dir)
        ifile = None
        if os.environ.get("TTU_WALL_INSNS") == "1":  # each pCPU's instructions (slows TCG)
            ifile = os.path.join(sock_dir, "insns")
            cmd += insns_plugin(build, ifile)
        vm = harness.Console(cmd, os.path.join(log_dir, "ttu-chain.log"))
        try:
            vm.login()
            vm.expect(r"32 ports \(ttyTV0\.\.ttyTV31\)", 60, since=0)
            # The doorbell's line in /proc/interrupts (its hardware INTID, as the RTOS printed
            # it: the same SPI in both VMs), both vCPUs' counts.
            intid = re.search(r"doorbell INTID (\d+)", vm.text).group(1)
            irq_cmd = ("awk '/ %s Edge/ {d = $2 + $3} / 27 Level .*arch_timer/ {t = $2 + $3} "
                       "END {print d, t}' /proc/interrupts" % intid)
            first = None
            for poll in rx_poll_us or [None]:
                label = "chain" if first is None else "chain_poll%d" % poll
                if poll is not None:
                    vm.run("echo %d > /sys/module/tandem_vserial/parameters/rx_poll_us; "
                           "echo set" % poll)
                agg = chain_transfer(vm, sock_dir, nbytes, label, irq_cmd, poll, kind, ifile)
                first = agg if first is None else first
            if rx_poll_us and len(rx_poll_us) > 1:  # the latency rows with the first value
                vm.run("echo %d > /sys/module/tandem_vserial/parameters/rx_poll_us; echo set"
                       % rx_poll_us[0])
            if os.environ.get("TTU_NO_RTT") != "1":  # the round trips take a few minutes
                latency(vm, sock_dir)
            return first
        finally:
            vm.close()


def rtt(sock, n, payload=16):
    """n round trips of a payload-byte message through an echo; list of seconds."""
    out = []
    for i in range(n):
        msg = bytes((i + k) % 251 for k in range(payload))
        t0 = time.monotonic()
        sock.sendall(msg)
        got = b""
        deadline = t0 + 10
        while len(got) < payload and time.monotonic() < deadline:
            try:
                got += sock.recv(payload - len(got))
            except BlockingIOError:
                time.sleep(0.0002)
        if got == msg:
            out.append(time.monotonic() - t0)
        time.sleep(0.02)
    return out


def rtos_cmd(vm, line, until):
    """Types a line into the RTOS's shell; returns its output up to the regex `until`."""
    mark = vm.mark()
    vm.focus("rtos")
    vm.send(line)
    m = vm.expect(until, 180, since=mark)
    return vm.vm_output("rtos", mark, m.end())


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def one_way(vm, socks, label, n=60, gap=0.05, icount=False):
    """n 16-byte messages host -> /dev/ttyTV0, each stamped three times: host CLOCK_MONOTONIC
    when written, the RTOS's counter when it read the message's first byte (ttu stamp), Linux's
    counter when its reader had all 16 bytes (tandem-ttystamp). The counter (62.5 MHz, CNTVOFF 0
    in both VMs) is QEMU's virtual clock, which without -icount is the host's CLOCK_MONOTONIC
    minus a constant C; C is calibrated as max(host write - RTOS stamp) over the messages (the
    RTOS can only read a byte after it was written), which underestimates it by the fastest
    write -> RTOS read. So: end-to-end = Linux stamp + C - host write; channel = Linux stamp -
    RTOS stamp (both inside the guests)."""
    vm.run("(stty raw -echo; exec timeout %d tandem-ttystamp) < /dev/ttyTV0 > /tmp/stamps & "
           "echo $! > /tmp/stamps.pid; sleep 1; echo stamping" % int(n * gap + 60), timeout=180)
    rtos_cmd(vm, "ttu stamp 0", r"TTU stamping port 0\n")
    vm.focus(vm.shell_vm)
    sent = []
    for i in range(n):
        sent.append(time.monotonic_ns())
        socks[0].sendall(bytes((i + k) % 251 for k in range(16)))
        time.sleep(gap + (i % 7) * 0.003)  # a little jitter: no beat against the 1 ms poll
    time.sleep(2)
    out = rtos_cmd(vm, "ttu stamps", r"TTU stamps end\n")
    rtos = [int(t) for t in re.findall(r"^TTU stamp \d+ (\d+)$", out, re.M)]
    # Generous timeouts: under icount on a loaded host a shell line can take a minute.
    vm.run("kill $(cat /tmp/stamps.pid) 2>/dev/null; sleep 1; echo stopped", timeout=180)
    linux = [int(t) for t in re.findall(r"^S (\d+)$", vm.run("cat /tmp/stamps", timeout=180),
                                        re.M)]
    if len(rtos) != n or len(linux) != n:
        emit("oneway_%s_p50" % label, "failed", "us",
             "%d RTOS and %d Linux stamps for %d messages" % (len(rtos), len(linux), n))
        return
    tick_ns = 16  # 62.5 MHz
    chan = [(l - r) * tick_ns / 1000 for r, l in zip(rtos, linux)]
    note = "16 B messages %s, n=%d, virtual counter (%s)" % (
        "with 31 ports streaming" if "loaded" in label else "one at a time", n,
        "-icount shift=4,sleep=off" if icount else "= host monotonic under plain TCG")
    if not icount:  # under icount the virtual clock has no relation to the host's
        c = max(h - r * tick_ns for h, r in zip(sent, rtos))
        e2e = [(l * tick_ns + c - h) / 1000 for h, l in zip(sent, linux)]
        emit("oneway_%s_p50" % label, round(statistics.median(e2e)), "us",
             "host write -> Linux read, " + note)
        emit("oneway_%s_p99" % label, round(percentile(e2e, 0.99)), "us")
    emit("channel_%s_p50" % label, round(statistics.median(chan)), "us",
         "RTOS reads 1st byte -> Linux has all 16, " + note)
    emit("channel_%s_p99" % label, round(percentile(chan, 0.99)), "us")


def latency_icount(build, log_dir):
    """The channel path's latency in virtual time: configs/ttu.dts under -icount
    shift=4,sleep=off (a counter tick is about one instruction; idle waits end at the next
    timer deadline), RTOS read -> Linux read of single 16-byte messages, idle and while the
    other 31 ports stream."""
    with tempfile.TemporaryDirectory(prefix="ttu-") as sock_dir:
        cmd = [os.path.join(TOP, "tools/run-qemu.sh"), "--build", build, "--smp", "4", "--mem",
               "2G", "--cpu", harness.DEFAULT_CPU, "--machine", MACHINE, "--config",
               os.path.join(TOP, "configs/ttu.dts"), "--"] + ttu_args(sock_dir) + [
               "-icount", "shift=4,sleep=off"]
        vm = harness.Console(cmd, os.path.join(log_dir, "ttu-latency-icount.log"))
        try:
            vm.login(timeout=300)
            vm.expect(r"32 ports \(ttyTV0\.\.ttyTV31\)", 120, since=0)
            socks = FEED.connect(sock_dir, range(32))
            one_way(vm, socks, "icount_idle", n=40, icount=True)
            stop = threading.Event()
            vm.run('for n in $(seq 1 31); do (stty raw -echo; exec cat > /dev/null) '
                   '< /dev/ttyTV$n & done; echo readers', timeout=180)

            def stream():
                while not stop.is_set():
                    FEED.transfer({p: socks[p] for p in range(1, 32)}, 8192, 0, seed="load",
                                  idle_timeout=10, stop=stop)
            th = threading.Thread(target=stream)
            th.start()
            time.sleep(2)
            one_way(vm, socks, "icount_loaded", n=40, icount=True)
            stop.set()
            th.join()
            for s in socks.values():
                s.close()
        finally:
            vm.close()


ICOUNT = ["-icount", "shift=4,sleep=off"]
WINDOW_RE = (r"TTU window start=(\d+) ticks=(\d+) rx=(\d+) first=(\d+) last=(\d+) "
             r"busy=(\d+) idle=(\d+) irqs=(\d+) polls=(\d+) services=(\d+) freq=(\d+) end\n")


def rtos_window(vm, clear, focus=True):
    """`ttu clear` (returns None) or `ttu window` (a dict of its fields) in the RTOS's shell."""
    mark = vm.mark()
    if focus:
        vm.focus("rtos")
    vm.send("ttu clear" if clear else "ttu window")
    m = vm.expect(r"TTU window cleared\n" if clear else WINDOW_RE, 300, since=mark)
    if clear:
        return None
    return dict(zip(("start", "ticks", "rx", "first", "last", "busy", "idle", "irqs", "polls",
                     "services", "freq"),
                    (int(x) for x in m.groups())))


def emit_window(label, w, end=None, note=""):
    """A window's figures under icount: the rate in virtual time (first byte read by the RTOS
    -> last byte read by it, or `end`, an absolute count), and the RTOS's non-idle ticks per
    KiB (at shift=4 with the 62.5 MHz counter a tick is one instruction's worth of time)."""
    kib = w["rx"] / 1024
    first = w["start"] + w["first"]
    last = end if end is not None else w["start"] + w["last"]
    secs = max(1, last - first) / w["freq"]
    emit("%s_icount_aggregate" % label, round(w["rx"] / secs), "B/s",
         "virtual time, -icount shift=4,sleep=off, %d bytes%s" % (w["rx"], note))
    emit("%s_icount_rtos_busy_per_kib" % label, round(w["busy"] / max(kib, 1e-3)), "ticks/KiB",
         "the RTOS not in WFI from its first to its last byte (%.3f s virtual), counter ticks "
         "per KiB" % ((w["last"] - w["first"]) / w["freq"]))
    emit("%s_icount_rtos_irqs_per_kib" % label, "%.2f" % (w["irqs"] / max(kib, 1e-3)),
         "irq/KiB", "the RTOS's INTx interrupts from its first to its last byte")
    emit("%s_icount_rtos_polls_per_kib" % label, "%.2f" % (w["polls"] / max(kib, 1e-3)),
         "1/KiB", "the RTOS's 1 ms polls from its first to its last byte")
    emit("%s_icount_rtos_services_per_kib" % label, "%.1f" % (w["services"] / max(kib, 1e-3)),
         "1/KiB", "port services that received bytes (at most %d bytes each: one FIFO's worth; "
         "%.2f bytes per service)" % (16, w["rx"] / max(1, w["services"])))
    return w["rx"] / secs


def emit_batching(label, w):
    """How the RTOS's work came in batches over a wall-time transfer (its `ttu window`): QEMU's
    16550 costs host CPU per register access and its main loop per socket read, so a port
    service that finds more bytes moves them for less host CPU; this is what sets the wall
    rates on a host with no core to spare."""
    kib = max(w["rx"] / 1024, 1e-3)
    emit("%s_rtos_irqs_per_kib" % label, "%.2f" % (w["irqs"] / kib), "irq/KiB",
         "the RTOS's INTx interrupts, first to last byte (wall time)")
    emit("%s_rtos_polls_per_kib" % label, "%.2f" % (w["polls"] / kib), "1/KiB",
         "the RTOS's 1 ms polls, first to last byte")
    emit("%s_rtos_bytes_per_service" % label, "%.2f" % (w["rx"] / max(1, w["services"])),
         "B", "bytes a port service found (at most 16: one FIFO's worth)")
    emit("%s_rtos_idle_share" % label, "%.2f" % (w["idle"] / max(1, w["busy"] + w["idle"])),
         "ratio", "the RTOS's time in WFI, first to last byte")


PLUGIN_SRC = os.path.join(TOP, "tools", "qemu-plugins", "vcpu_insns.c")


def build_plugin(so, src):
    """Builds the QEMU plugin src into so unless so is newer than src and the API header."""
    hdr = os.path.join(os.path.dirname(src), "qemu-plugin-api.h")
    if not os.path.exists(so) or os.path.getmtime(so) < max(os.path.getmtime(src),
                                                           os.path.getmtime(hdr)):
        os.makedirs(os.path.dirname(so), exist_ok=True)
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", so, src], check=True)


def insns_plugin(build, path):
    """QEMU arguments loading tools/qemu-plugins/vcpu_insns.c (built into BUILD/tools) with its
    per-vCPU instruction counts in `path`, or [] if it cannot be built."""
    so = os.path.join(build, "tools", "vcpu_insns.so")
    build_plugin(so, PLUGIN_SRC)
    return ["-plugin", "%s,out=%s" % (so, path)]


PROFILE_SRC = os.path.join(TOP, "tools", "qemu-plugins", "pc_profile.c")


def profile_plugin(build, path, vcpu):
    """QEMU arguments loading tools/qemu-plugins/pc_profile.c: vCPU vcpu's instructions by
    address over the RTOS's window, in `path` (tools/bench/ttu_profile.py reads it)."""
    so = os.path.join(build, "tools", "pc_profile.so")
    build_plugin(so, PROFILE_SRC)
    return ["-plugin", "%s,out=%s,vcpu=%d" % (so, path, vcpu)]


def insns_read(path):
    """The plugin's 64 per-vCPU instruction counters, then the 64 counts at each vCPU's last
    mark A (the RTOS's window's first pass) and the 64 at its last mark B (the window's last
    pass so far): 192 values, zeros if there is no file."""
    if not path or not os.path.exists(path):
        return [0] * 192
    with open(path, "rb") as f:
        return list(struct.unpack("<192Q", f.read(192 * 8)))


def emit_insns(label, i0, i1, rx, linux_vcpus, rtos_vcpu=None):
    """Linux's vCPUs' own instructions over a transfer, per KiB (the plugin's counts): what
    QEMU's round robin can have run inside the RTOS's busy ticks, at most; and the RTOS's own
    instructions over its window (between its marks, read after the window closed: exact, and
    without the other vCPUs' turns). Returns the RTOS's per KiB (None without marks)."""
    kib = max(rx / 1024, 1e-3)
    if linux_vcpus:
        emit("%s_icount_linux_insns_per_kib" % label,
             round(sum(i1[v] - i0[v] for v in linux_vcpus) / kib), "insns/KiB",
             "Linux's vCPUs' own instructions (with Tandem's EL2 ones on their pCPUs) from the "
             "feed's start to its end, per KiB (tools/qemu-plugins/vcpu_insns.c): the most of "
             "the RTOS's busy ticks that can be Linux's turns")
    if rtos_vcpu is None:
        return None
    a, b = i1[64 + rtos_vcpu], i1[128 + rtos_vcpu]
    if not a or b <= a or a == i0[64 + rtos_vcpu]:
        return None  # no marks in this window
    emit("%s_icount_rtos_insns_per_kib" % label, round((b - a) / kib), "insns/KiB",
         "the RTOS's own instructions (its vCPU's, with Tandem's EL2 ones on its pCPU) from the "
         "end of its window's first pass to its last (plugin marks): its cost per KiB without "
         "other vCPUs' turns")
    return (b - a) / kib


def linux_stat(vm):
    """(counter, /proc/stat "cpu" line's non-idle jiffies (tick-sampled, HZ 250 shown in
    USER_HZ 100), its idle + iowait (NO_HZ: measured at idle entry and exit)) in Linux."""
    out = vm.run("tandem-counter; head -n 1 /proc/stat", timeout=120)
    cnt = int(re.findall(r"cntvct=(\d+) ", out)[-1])
    line = re.findall(r"^cpu .*$", out, re.M)[-1]
    f = [int(x) for x in line.split()[1:8]]
    return cnt, linux_busy(line), f[3] + f[4]


def drop_transfer(vm, sock_dir, nbytes, label, poll, idle_rate, insns=None):
    """One "drop" transfer (Linux's driver consumes every ring, no reader): the RTOS's window,
    and what Linux did meanwhile: its RX passes (doorbell or poll), the RTOS's doorbells, and
    Linux's non-idle ticks, the vCPU turns that QEMU's round robin may run inside the RTOS's
    busy stretches (under -icount all vCPUs advance one clock)."""
    if poll is not None:
        vm.run("echo %d > /sys/module/tandem_vserial/parameters/rx_poll_us; echo set" % poll,
               timeout=120)
    c0 = vserial_counts(vm)
    s0 = linux_stat(vm)
    rtos_window(vm, True)
    i0 = insns_read(insns)
    _, ok = feed_all(sock_dir, nbytes, "idrop")
    i1 = insns_read(insns)
    w = rtos_window(vm, False)
    i2 = insns_read(insns)  # the RTOS's marks, final once its window is read
    vm.focus(vm.shell_vm)
    s1 = linux_stat(vm)
    c1 = vserial_counts(vm)
    kib = max(w["rx"] / 1024, 1e-3)
    freq = w["freq"]
    note = "rx_poll_us %s" % ("default" if poll is None else poll)
    for i, what in enumerate(("linux_rx_passes", "linux_rx_polls", "rtos_doorbells",
                              "rtos_suppressed")):
        emit("%s_icount_%s_per_kib" % (label, what), "%.2f" % ((c1[i] - c0[i]) / kib),
             "1/KiB", note)
    span = s1[0] - s0[0]
    # Non-idle = 2 vCPUs x elapsed - idle (NO_HZ idle time is measured, not sampled), its idle
    # background (the same measure over 10 s of nothing) taken out.
    nonidle = 2 * span - (s1[2] - s0[2]) * freq / 100 - idle_rate * span
    sampled = (s1[1] - s0[1]) * freq / 100
    emit("%s_icount_linux_nonidle_per_kib" % label, round(nonidle / kib), "ticks/KiB",
         "Linux's 2 vCPUs not idle (/proc/stat idle+iowait, 10 ms units) over the transfer "
         "(%.3f s virtual, longer than the RTOS's window), idle background out; %s" %
         (span / freq, note))
    emit("%s_icount_linux_sampled_per_kib" % label, round(sampled / kib), "ticks/KiB",
         "the same from /proc/stat's tick-sampled busy fields (coarse)")
    w["insns"] = None
    if insns:
        emit_insns(label, i0, i1, w["rx"], (0, 1))
        w["insns"] = emit_insns(label, i0, i2, w["rx"], (), 2)  # the RTOS: pCPU 2
    return w, ok


PROF_SRC = os.path.join(TOP, "tools", "qemu-plugins", "vcpu_prof.c")


def prof_plugin(build, path):
    """QEMU arguments loading tools/qemu-plugins/vcpu_prof.c for Linux's vCPUs 0-1 (snapshots
    asked for through path.ctl, written to path.N)."""
    so = os.path.join(build, "tools", "vcpu_prof.so")
    build_plugin(so, PROF_SRC)
    return ["-plugin", "%s,out=%s,vcpus=0x3" % (so, path)]


def prof_snapshot(path, seq):
    """The plugin's counts so far ({block address: instructions}), snapshot number seq."""
    with open(path + ".ctl", "r+b") as f:
        f.write(struct.pack("<Q", seq))
    for _ in range(600):
        if os.path.exists("%s.%d" % (path, seq)):
            break
        time.sleep(0.1)
    out = {}
    with open("%s.%d" % (path, seq)) as f:
        for line in f:
            a = line.split()
            if len(a) == 2:
                out[int(a[0], 16)] = int(a[1])
    return out


def prof_symbols(vm, counts, top=3000):
    """Sorted (address, name) for the kernel blocks that ran most in `counts` (the guest's
    /proc/kallsyms, merged in the guest against the sorted list of addresses: Debian ships no
    System.map) and every tandem_vserial symbol."""
    blocks = sorted(a for a, n in sorted(counts.items(), key=lambda x: -x[1])[:top]
                    if a >= 0xffff000000000000)
    syms = []
    for i in range(0, len(blocks), 100):  # a shell line of ~1.7 KiB each
        q = " ".join("%016x" % a for a in blocks[i:i + 100])
        out = vm.run("awk -v q='%s' 'BEGIN {n = split(q, a, \" \"); j = 1} "
                     "$2 ~ /^[tT]$/ && NF == 3 {while (j <= n && a[j] < $1) "
                     "{if (s != \"\") print \"SYM\", a[j], s; j++} s = $3}' /proc/kallsyms"
                     % q, timeout=300)
        syms += [(int(m.group(1), 16), m.group(2)) for m in
                 re.finditer(r"SYM ([0-9a-f]{16}) (\S+)$", out, re.M)]
    out = vm.run("grep '\\[tandem_vserial\\]' /proc/kallsyms; echo END", timeout=120)
    for m in re.finditer(r"^([0-9a-f]{16}) [tT] (\S+)\s+\[tandem_vserial\]", out, re.M):
        syms.append((int(m.group(1), 16), m.group(2) + " [tandem_vserial]"))
    return sorted(syms)


def prof_emit(label, p0, p1, syms, kib, top=45):
    """The window's profile by function (kernel and module symbols; other addresses by MiB:
    user space, Tandem's EL2 code), instructions per KiB, the top entries. A kernel block whose
    address was not resolved (not among the most run) counts as "kernel, rest"."""
    exact = {a: n for a, n in syms}
    mods = [(a, n) for a, n in syms if n.endswith("[tandem_vserial]")]
    by = {}
    for a, n in p1.items():
        d = n - p0.get(a, 0)
        if d <= 0:
            continue
        if a in exact:
            name = exact[a]
        elif a >= 0xffff000000000000:
            name = "kernel, rest"
            for ma, mn in mods:
                if ma <= a < ma + 0x1000 and mn:
                    name = mn
        else:
            name = "other %#x MiB" % (a >> 20)
        by[name] = by.get(name, 0) + d
    total = sum(by.values())
    print("TTU-PROF %s: %d block instructions per KiB (vCPUs 0-1)" % (label, total / kib))
    for name, n in sorted(by.items(), key=lambda x: -x[1])[:top]:
        print("TTU-PROF %s: %8d %5.1f%% %s" % (label, n / kib, 100 * n / max(total, 1), name))

# The chain's readers on Linux, each writing /dev/ttyTV<n>'s bytes to /tmp/b<n>: "collect" is one
# process for all 32 ports (tandem-ttycollect: poll(), a buffer per port; "-m<N>": VMIN N;
# "-e": epoll instead of poll()),
# "head" a `head -c` per port (32 processes, each woken by its own port); "-p<us>": the transfer
# with tandem_vserial's rx_poll_us at <us> (set back to what it was after it).
KIND_RE = re.compile(r"(collect|head)(?:-m(\d+))?(?:-p(\d+))?(-e)?")


def emit_collector(prefix, stats, kib):
    """tandem-ttycollect's own counts (its last line) per KiB, under `prefix`."""
    m = re.search(r"ttycollect ports=\d+ bytes=\d+ polls=(\d+) wakeups=(\d+) "
                  r"reads=(\d+) writes=(\d+)", stats)
    if m:
        for what, v in zip(("polls", "wakeups", "reads", "writes"), m.groups()):
            emit("%s_collector_%s_per_kib" % (prefix, what), "%.2f" % (int(v) / kib), "1/KiB",
                 "tandem-ttycollect's own count")


def chain_readers_cmd(kind, nbytes):
    ports = "$(for n in $(seq 0 31); do echo /dev/ttyTV$n; done)"
    m = KIND_RE.fullmatch(kind)
    if not m or (m.group(1) == "head" and (m.group(2) or m.group(4))):
        raise SystemExit("ttu.py: unknown chain reader %r (head[-p<us>], collect[-m<VMIN>]"
                         "[-p<us>][-e])" % kind)
    if m.group(1) == "head":
        return ('p=""; for n in $(seq 0 31); do (stty raw -echo; exec head -c %d) '
                '< /dev/ttyTV$n > /tmp/b$n & p="$p $!"; done' % nbytes)
    return ("tandem-ttycollect%s -n %d%s /tmp/b %s > /tmp/collect.out & p=$!"
            % (" -e" if m.group(4) else "", nbytes, " -m " + m.group(2) if m.group(2) else "",
               ports))


def icount_transfer(vm, sock_dir, nbytes, part, label, kind, ifile, idle_rate, el0, thr0,
                    rates, insns, prof=None):
    """One transfer of the icount part's Tandem boots (tandem: the RTOS sinking; chain: to
    Linux's readers of `kind`, whose files are checked by sha256): the RTOS's window and, for
    the chain, Linux's cost over it. Returns the rate in virtual time."""
    rtos_window(vm, True)
    i0 = insns_read(ifile)
    vm.focus(vm.shell_vm)
    seed = "i" + (part if label in (part, "rtos_tandem") else label)
    poll = KIND_RE.fullmatch(kind).group(3) if part == "chain" else None
    if poll:
        old_poll = re.findall(r"OLD=(\d+)", vm.run(
            "echo OLD=$(cat /sys/module/tandem_vserial/parameters/rx_poll_us); echo %s > "
            "/sys/module/tandem_vserial/parameters/rx_poll_us" % poll))[-1]
    if part == "chain":
        counts0 = vserial_counts(vm)
        # /proc/stat and the counter before and after: Linux's busy time and context
        # switches over the transfer (the feed starts at READY).
        mark = vm.mark()
        vm.send('rm -f /tmp/b* /tmp/collect.out; %s; sleep 2; tandem-counter; '
                'grep -E "^(cpu|ctxt) " /proc/stat; echo READY-$((1+1)); wait $p; '
                'tandem-counter; grep -E "^(cpu|ctxt) " /proc/stat; echo DONE-$((2+1))'
                % chain_readers_cmd(kind, nbytes))
        vm.expect(r"READY-2", 300)
        i0 = insns_read(ifile)  # after the readers' start
        if prof:
            p0 = prof_snapshot(prof, len(rates) * 2 + 1)
    _, ok = feed_all(sock_dir, nbytes, seed)
    i1 = insns_read(ifile)
    end = None
    if part == "chain":
        vm.expect(r"DONE-3", 900, since=mark)
        i1 = insns_read(ifile)  # the readers end after the feed; not the sha256 check below
        if prof:
            p1 = prof_snapshot(prof, len(rates) * 2 + 2)
        out = vm.vm_output("linux", mark)
        cnt = [int(x) for x in re.findall(r"tandem-counter: cntvct=(\d+) ", out)]
        end = cnt[-1]
        busy = [linux_busy(x) for x in re.findall(r"^cpu .*$", out, re.M)]
        ctxt = [int(x) for x in re.findall(r"^ctxt (\d+)$", out, re.M)]
        linux_jiffies = (busy[-1] - busy[0]) - idle_rate * (cnt[-1] - cnt[0])
        sums = vm.run("sha256sum /tmp/b*", timeout=300)
        want = [hashlib.sha256(FEED.stream(seed, p, nbytes)).hexdigest() for p in range(32)]
        ok = ok and all(x in sums for x in want)
        stats = vm.run("cat /tmp/collect.out 2>/dev/null; echo END") if kind != "head" else ""
        counts1 = vserial_counts(vm)
        if poll:
            vm.run("echo %s > /sys/module/tandem_vserial/parameters/rx_poll_us"
                   % old_poll)
    w = rtos_window(vm, False)
    thr1 = rtos_throttles(vm)
    el1 = pcpu_el2(vm, 2)
    kib = max(w["rx"] / 1024, 1e-3)
    rate = emit_window(label, w, end, "" if ok else " LOSS or INCOMPLETE")
    if insns:
        emit_insns(label, i0, i1, w["rx"], (0, 1))
    if prof and part == "chain":
        prof_emit(label, p0, p1, prof_symbols(
            vm, {a: n - p0.get(a, 0) for a, n in p1.items()}), kib)
    emit("%s_icount_rtos_el2_per_kib" % label, "%.2f" % (
        ((el1[0] - el0[0]) - (el1[1] - el0[1])) / kib),
        "entries/KiB", "EL2 entries of the RTOS's pCPU 2 but its virtual timer's "
        "(the 1 ms poll's, which also tick while idle), Tandem's Ctrl-A d")
    emit("%s_icount_rtos_throttles" % label, thr1 - thr0, "count",
         "times a port's ring (sink: never) had no room for the UART's bytes")
    if part == "chain":
        busy_kib = linux_jiffies * (w["freq"] // 250) / kib
        if label == "chain":
            rates["freq"] = w["freq"]
            rates["linux_busy"] = busy_kib
        emit("%s_icount_linux_busy_per_kib" % label, round(busy_kib),
             "ticks/KiB", "Linux's non-idle time (/proc/stat, HZ 250), both vCPUs, "
             "its idle background (%.1f%% of a CPU) taken out; readers: %s" %
             (idle_rate * w["freq"] / 250 * 100, kind))
        if len(ctxt) == 2:
            emit("%s_icount_linux_ctxt_per_kib" % label, "%.1f" % ((ctxt[1] - ctxt[0]) / kib),
                 "1/KiB", "Linux's context switches (/proc/stat ctxt), both vCPUs")
        for i, what in enumerate(("linux_rx_passes", "linux_rx_polls")):
            emit("%s_icount_%s_per_kib" % (label, what),
                 "%.2f" % ((counts1[i] - counts0[i]) / kib), "1/KiB")
        emit_collector(label + "_icount", stats, kib)
    return rate


def icount_rates(build, nbytes, log_dir, parts=("bare", "tandem", "chain"),
                 config="configs/ttu.dts", rx_poll_us=None, drop_polls=(None,), insns=False,
                 chain_readers=("collect", "head"), profile=False, rtos_profile=None):
    """Throughput and the RTOS's cost per KiB in virtual time (-icount shift=4,sleep=off): the
    host feeds in wall time, but what a figure counts is guest instructions (1 tick = 16 ns =
    one instruction), so host load moves it much less than the wall rows. Bare RTOS, the RTOS
    under Tandem sinking (Linux idle), and the chain to Linux's readers."""
    rates = {}
    with tempfile.TemporaryDirectory(prefix="ttu-") as sock_dir:
        ifile = os.path.join(sock_dir, "insns") if insns else None
        plugin = insns_plugin(build, ifile) if insns else []
        pfile = os.path.join(sock_dir, "prof") if profile else None
        plugin += prof_plugin(build, pfile) if profile else []
        if "bare" in parts:
            vm = harness.Console([
                "qemu-system-aarch64", "-M", "virt,gic-version=3,highmem=off", "-cpu",
                harness.DEFAULT_CPU, "-smp", "1", "-m", "256M", "-nographic", "-kernel",
                os.path.join(build, "images", "rtos.bin"), "-append", "lat=off ttu=sink"]
                + ttu_args(sock_dir) + ICOUNT + plugin + (profile_plugin(
                    build, os.path.join(rtos_profile, "bare.prof"), 0) if rtos_profile else []),
                os.path.join(log_dir, "ttu-bare-icount.log"))
            try:
                vm.expect(r"TTU: 32 port\(s\)[^\n]*mode sink", 300)
                vm.expect(r"RTOS: shell on the console", 120)
                rtos_window(vm, True, focus=False)
                i0 = insns_read(ifile)
                _, ok = feed_all(sock_dir, nbytes, "ib")
                w = rtos_window(vm, False, focus=False)
                i1 = insns_read(ifile)
                rates["bare"] = emit_window("rtos_bare", w, note="" if ok else " INCOMPLETE")
                if insns:
                    rates["bare_insns"] = emit_insns("rtos_bare", i0, i1, w["rx"], (), 0)
            finally:
                vm.close()
        for part in [p for p in ("tandem", "drop", "chain") if p in parts]:
            text = open(os.path.join(TOP, config)).read().replace("../build/", build + "/")
            if part == "tandem":
                text = text.replace("ttu=channel", "ttu=sink")
            dts = os.path.join(build, "bench", "ttu-icount-%s.dts" % part)
            with open(dts, "w") as f:
                f.write(text)
            cmd = [os.path.join(TOP, "tools/run-qemu.sh"), "--build", build, "--smp", "4",
                   "--mem", "2G", "--cpu", harness.DEFAULT_CPU, "--machine", MACHINE,
                   "--config", dts, "--"] + ttu_args(sock_dir) + ICOUNT + plugin + (
                       profile_plugin(build, os.path.join(rtos_profile, part + ".prof"), 2)
                       if rtos_profile else [])
            vm = harness.Console(cmd, os.path.join(log_dir, "ttu-%s-icount.log" % part))
            try:
                vm.login(timeout=600)
                if part in ("chain", "drop"):
                    vm.expect(r"32 ports \(ttyTV0\.\.ttyTV31\)", 300, since=0)
                    # Linux's background load (ticks, cpufreq) while idle, per virtual second:
                    # idle time passes fast under sleep=off, so it is taken out of the transfer's.
                    out = vm.run("tandem-counter; head -n 1 /proc/stat; sleep 10; "
                                 "tandem-counter; head -n 1 /proc/stat", timeout=300)
                    cnt = [int(x) for x in re.findall(r"cntvct=(\d+) ", out)]
                    busy = [linux_busy(x) for x in re.findall(r"^cpu .*$", out, re.M)]
                    idle_rate = (busy[-1] - busy[0]) / max(1, cnt[-1] - cnt[0])  # jiffies/tick
                    if part == "chain" and rx_poll_us is not None:
                        vm.run("echo %d > /sys/module/tandem_vserial/parameters/rx_poll_us; "
                               "echo set" % rx_poll_us, timeout=120)
                else:
                    vm.expect(r"TTU: 32 port\(s\)[^\n]*mode sink", 300, since=0)
                    time.sleep(5)
                el0 = pcpu_el2(vm, 2)
                thr0 = rtos_throttles(vm)
                if part == "drop":
                    # One transfer per rx_poll_us value in this boot; the first gives the
                    # chain_drop rows, the others chain_drop_p<us>.
                    for k, poll in enumerate(drop_polls):
                        label = "chain_drop" if k == 0 else "chain_drop_p%d" % poll
                        w, ok = drop_transfer(vm, sock_dir, nbytes, label, poll, idle_rate,
                                              ifile)
                        r = emit_window(label, w, None, "" if ok else " INCOMPLETE")
                        rates["drop" if k == 0 else label] = r
                        if w["insns"]:
                            rates[("drop" if k == 0 else label) + "_insns"] = w["insns"]
                    thr1 = rtos_throttles(vm)
                    el1 = pcpu_el2(vm, 2)
                    rx = sum(int(x) for x in re.findall(r"TTU window [^\n]* rx=(\d+) ",
                                                         vm.text))
                    emit("chain_drop_icount_rtos_el2_per_kib", "%.2f" % (
                        ((el1[0] - el0[0]) - (el1[1] - el0[1])) / max(rx / 1024, 1e-3)),
                        "entries/KiB", "as for the others, over all drop transfers")
                    emit("chain_drop_icount_rtos_throttles", thr1 - thr0, "count",
                         "times a port's ring had no room for the UART's bytes (all drop "
                         "transfers)")
                    continue
                # The chain: one transfer per kind of reader (--chain-readers) in this boot,
                # the first giving the chain_* rows, the others chain_<kind>_*.
                kinds = chain_readers if part == "chain" else [None]
                for k, kind in enumerate(kinds):
                    label = {"tandem": "rtos_tandem", "drop": "chain_drop"}.get(part, part)
                    if part == "chain" and k:
                        label = "chain_" + kind.replace("-", "_")
                    el0 = pcpu_el2(vm, 2) if k else el0
                    thr0 = rtos_throttles(vm) if k else thr0
                    rates[part if k == 0 else label] = icount_transfer(
                        vm, sock_dir, nbytes, part, label, kind, ifile,
                        idle_rate if part == "chain" else 0, el0, thr0, rates, insns,
                        pfile if part == "chain" else None)
            finally:
                vm.close()
    for label in [k for k in rates if k.startswith("chain_drop_p") or k.startswith("chain_")]:
        if "bare" in rates:
            emit("%s_icount_vs_rtos_bare" % label, "%.2f" % (rates[label] / rates["bare"]),
                 "ratio", "virtual time")
    for part in ("drop",):
        if part + "_insns" in rates and "bare_insns" in rates:
            emit("chain_%s_icount_insns_vs_rtos_bare" % part, "%.3f" % (
                rates["bare_insns"] / rates[part + "_insns"]), "ratio",
                 "the bare RTOS's own instructions per KiB / the RTOS's under Tandem through the "
                 "channel (plugin marks): the channel path's cost as a rate ratio, host-independent")
    for part in ("tandem", "drop", "chain"):
        if part in rates and "bare" in rates:
            emit("%s_icount_vs_rtos_bare" % {"tandem": "rtos_tandem", "drop": "chain_drop"}.get(
                part, part),
                 "%.2f" % (rates[part] / rates["bare"]), "ratio",
                 "virtual time: under -icount every vCPU's instructions share one clock, so the "
                 "chain's rate also pays for Linux's reading" if part == "chain" else
                 "virtual time")
    if "linux_busy" in rates:
        # What Linux's two vCPUs could absorb if they ran beside the RTOS (as on hardware)
        # rather than taking turns with it on icount's single clock, at the cost per KiB just
        # measured (a lower bound: a faster stream gives bigger batches per wake-up).
        cap = 2 * 1024 * rates["freq"] / max(1, rates["linux_busy"])
        emit("chain_icount_linux_capacity", round(cap), "B/s",
             "2 vCPUs / Linux's busy ticks per KiB")
        if "bare" in rates:
            emit("chain_icount_linux_capacity_vs_rtos_bare", "%.2f" % (cap / rates["bare"]),
                 "ratio", "Linux's capacity / the bare RTOS's rate")
    return rates


def rtos_throttles(vm):
    """The RTOS's `ttu` throttles counter (ports found without room in their ring)."""
    out = rtos_cmd(vm, "ttu", r"TTU stats [^\n]*\n")
    m = re.search(r"throttles=(\d+)", out)
    return int(m.group(1)) if m else 0


def pcpu_el2(vm, pcpu):
    """(EL2 entries, virtual timer interrupts taken at EL2) of a pCPU, from Ctrl-A d."""
    mark = vm.mark()
    vm.send("\x01d", newline=False)
    end = vm.expect(r"^tandem: memory: \d+ free page frames\n", 60, since=mark)
    m = re.search(r"^tandem: pcpu %d: [^\n]*?el2 (\d+) = [^\n]*irqs vtimer (\d+)" % pcpu,
                  vm.text[mark:end.end()], re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def linux_busy(line):
    """Non-idle jiffies in a /proc/stat "cpu ..." line (not idle, not iowait)."""
    return sum(int(x) for i, x in enumerate(line.split()[1:8]) if i not in (3, 4))


def latency(vm, sock_dir):
    """Port 0: one-way host -> Linux stamps, then round trips echoed by Linux (cat), idle and
    while the other 31 ports stream into readers that drop it."""
    socks = FEED.connect(sock_dir, range(32))
    for label, load in (("idle", False), ("loaded", True)):
        stop = threading.Event()
        if load:
            vm.run('for n in $(seq 1 31); do (stty raw -echo; exec cat > /dev/null) '
                   '< /dev/ttyTV$n & done; echo readers')
            time.sleep(2)

            def stream():
                while not stop.is_set():
                    FEED.transfer({p: socks[p] for p in range(1, 32)}, 8192, 0, seed="load",
                                  idle_timeout=10, stop=stop)
            th = threading.Thread(target=stream)
            th.start()
            time.sleep(1)
        one_way(vm, socks, label)
        vm.run("(stty raw -echo; exec cat >&0) <> /dev/ttyTV0 & echo $! > /tmp/echo.pid; "
               "sleep 1; echo echo-on")
        samples = rtt(socks[0], 50)
        vm.run("kill $(cat /tmp/echo.pid) 2>/dev/null; sleep 1; echo echo-off")
        if load:
            stop.set()
            th.join()
        if samples:
            emit("rtt_%s_p50" % label, round(statistics.median(samples) * 1e6), "us",
                 "16 bytes host->RTOS->Linux->RTOS->host, wall, n=%d" % len(samples))
            emit("rtt_%s_p99" % label, round(percentile(samples, 0.99) * 1e6), "us")
        else:
            emit("rtt_%s_p50" % label, "failed", "us")
    for s in socks.values():
        s.close()


PCPU_EL2_RE = re.compile(r"^tandem: pcpu (\d+): [^\n]*?el2 (\d+) =", re.M)
COST_PORTS = 4  # the stock kernel's 8250 driver registers at most 4 UARTs


def linux_counters(vm, intid):
    """(device interrupts, non-idle jiffies of /proc/stat, EL2 entries of pCPUs 0-1)."""
    irq = re.findall(r"^(\d+)$", vm.run("awk '/ %s (Edge|Level)/ {print $2 + $3}' "
                                        "/proc/interrupts" % intid), re.M)[-1:]
    cpu = (re.findall(r"^cpu .*$", vm.run("head -n 1 /proc/stat"), re.M) or [""])[-1].split()
    mark = vm.mark()
    vm.send("\x01d", newline=False)  # Tandem's statistics dump
    end = vm.expect(r"^tandem: memory: \d+ free page frames\n", 30, since=mark)
    el2 = {int(p): int(n) for p, n in PCPU_EL2_RE.findall(vm.text[mark:end.end()])}
    busy = sum(int(x) for i, x in enumerate(cpu[1:8]) if i not in (3, 4))  # not idle, iowait
    return (int(irq[0]) if irq else 0, busy, el2.get(0, 0) + el2.get(1, 0))


def linux_cost(build, label, config, tty, nbytes, log_dir):
    """Linux's cost of COST_PORTS ports' traffic (host -> Linux), per KiB moved."""
    with tempfile.TemporaryDirectory(prefix="ttu-") as sock_dir:
        text = open(os.path.join(TOP, config)).read().replace("@IMAGES@", build + "/images")
        text = text.replace("../build/", build + "/")
        dts = os.path.join(build, "bench", "ttu-cost-%s.dts" % label)
        with open(dts, "w") as f:
            f.write(text)
        cmd = [os.path.join(TOP, "tools/run-qemu.sh"), "--build", build, "--smp", "4", "--mem",
               "2G", "--cpu", harness.DEFAULT_CPU, "--machine", MACHINE, "--config", dts,
               "--"] + ttu_args(sock_dir)
        vm = harness.Console(cmd, os.path.join(log_dir, "ttu-cost-%s.log" % label))
        try:
            vm.login()
            if tty == "ttyTV":
                vm.expect(r"32 ports \(ttyTV0\.\.ttyTV31\)", 60, since=0)
                intid = re.search(r"doorbell INTID (\d+)", vm.text).group(1)
            else:
                intid = "36"  # card 1's INTA (slot 1): ttyS0..3
            time.sleep(2)
            before = linux_counters(vm, intid)
            vm.send('p=""; for n in $(seq 0 %d); do (stty raw -echo; exec head -c %d) '
                    '< /dev/%s$n > /dev/null & p="$p $!"; done; sleep 1; echo READY-$((1+1)); '
                    'wait $p; echo DONE-$((2+1))' % (COST_PORTS - 1, nbytes, tty))
            vm.expect(r"READY-2", 120)
            t0 = time.monotonic()
            socks = FEED.connect(sock_dir, range(COST_PORTS))
            state = FEED.transfer(socks, nbytes, 0, seed="cost", idle_timeout=60)
            vm.expect(r"DONE-3", 300)
            secs = time.monotonic() - t0
            for s in socks.values():
                s.close()
            after = linux_counters(vm, intid)
            kib = COST_PORTS * nbytes / 1024
            irqs, jiffies, el2 = (a - b for a, b in zip(after, before))
            note = "%d ports x %d KiB host->Linux in %.1f s" % (COST_PORTS, nbytes // 1024, secs)
            emit("cost_%s_irqs_per_kib" % label, "%.2f" % (irqs / kib), "irq/KiB", note)
            emit("cost_%s_el2_per_kib" % label, "%.1f" % (el2 / kib), "entries/KiB",
                 "EL2 entries of Linux's pCPUs 0-1 (all causes)")
            emit("cost_%s_cpu_ms_per_kib" % label, "%.2f" % (jiffies * 4 / kib), "ms/KiB",
                 "Linux non-idle CPU time, HZ=250")
            rate, slow = throughput(state)
            emit("cost_%s_rate" % label, round(rate), "B/s")
            emit("cost_%s_per_port_min" % label, round(slow), "B/s")
            emit("cost_%s_irqs_per_s" % label, round(irqs / secs), "irq/s", note)
            emit("cost_%s_el2_per_s" % label, round(el2 / secs), "entries/s",
                 "EL2 entries of Linux's pCPUs 0-1 (all causes)")
            emit("cost_%s_cpu_pct" % label, "%.1f" % (jiffies * 0.4 / secs), "%",
                 "Linux non-idle CPU time / wall time of the transfer, of one CPU")
            return rate
        finally:
            vm.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--bytes", type=int, default=65536, help="per port")
    ap.add_argument("--out", help="logs folder (default BUILD/bench/ttu)")
    ap.add_argument("--rtos-args", default="",
                    help="extra RTOS bootargs for the chain, e.g. vserial_delay_us=4000")
    ap.add_argument("--rx-poll-us", default="",
                    help="comma-separated values of tandem_vserial's rx_poll_us: one chain "
                    "transfer each in the same boot (the first gives the chain_* rows)")
    ap.add_argument("--only", default="bare,tandem,chain,cost",
                    help="comma-separated subset of bare,tandem,chain,latency,cost,icount")
    ap.add_argument("--config", default="configs/ttu.dts",
                    help="the Tandem system of the icount part (a variant of configs/ttu.dts)")
    ap.add_argument("--icount-bytes", type=int, default=0,
                    help="per port in the icount part (default --bytes)")
    ap.add_argument("--icount-parts", default="bare,tandem,drop,chain",
                    help="the icount part's boots: a subset of bare,tandem,drop,chain")
    ap.add_argument("--insns", action="store_true",
                    help="icount part: count each vCPU's own instructions (a QEMU plugin, "
                    "tools/qemu-plugins/vcpu_insns.c, built with the host's cc)")
    ap.add_argument("--chain-readers", default="collect,head",
                    help="the chain's readers: in the icount part one transfer each in the "
                    "chain's boot (the first gives the chain_* rows, the others chain_<kind>_*), "
                    "in the wall part (chain) the first kind only: "
                    "collect (tandem-ttycollect, one process polling all 32 ports), "
                    "collect-m<VMIN>, head (a head -c per port)")
    ap.add_argument("--profile", action="store_true",
                    help="icount part: where Linux's instructions go in each chain transfer (a "
                    "QEMU plugin, tools/qemu-plugins/vcpu_prof.c; TTU-PROF lines by kernel "
                    "function, from the kernel package's System.map)")
    ap.add_argument("--rtos-profile", metavar="DIR",
                    help="icount part: the RTOS's instructions by address over its window, one "
                    "file per boot in DIR (tools/qemu-plugins/pc_profile.c; "
                    "tools/bench/ttu_profile.py compares two)")
    ap.add_argument("--drop-poll-us", default="",
                    help="comma-separated rx_poll_us values for the icount part's drop boot: "
                    "one transfer each in the same boot (default: the module's own)")
    a = ap.parse_args()
    only = a.only.split(",")
    bare = tandem = linux = (None, None)
    build = os.path.abspath(a.build)
    log_dir = a.out or os.path.join(build, "bench", "ttu")
    os.makedirs(log_dir, exist_ok=True)
    if "bare" in only:
        bare = rtos_alone(build, "rtos_bare", lambda d: [
            "qemu-system-aarch64", "-M", "virt,gic-version=3,highmem=off", "-cpu",
            harness.DEFAULT_CPU, "-smp", "1", "-m", "256M", "-nographic", "-kernel",
            os.path.join(build, "images", "rtos.bin"), "-append", "lat=off ttu=sink"]
            + ttu_args(d), a.bytes, log_dir, BARE_THREADS)
    os.makedirs(os.path.join(build, "bench"), exist_ok=True)  # the variant's folder
    with tempfile.NamedTemporaryFile("w", suffix=".dts", dir=os.path.join(build, "bench"),
                                     delete=False) as f:
        f.write(open(os.path.join(TOP, "configs/ttu.dts")).read()
                .replace("ttu=channel", "ttu=sink").replace("../build/", build + "/"))
    if "tandem" in only:
        tandem = rtos_alone(build, "rtos_tandem", lambda d: [
            os.path.join(TOP, "tools/run-qemu.sh"), "--build", build, "--smp", "4", "--mem",
            "2G", "--cpu", harness.DEFAULT_CPU, "--machine", MACHINE, "--config", f.name, "--"]
            + ttu_args(d), a.bytes, log_dir, TANDEM_THREADS)
    os.unlink(f.name)
    if "chain" in only:
        linux = (chain(build, a.bytes, log_dir, a.rtos_args,
                       [int(x) for x in a.rx_poll_us.split(",")] if a.rx_poll_us else None,
                       a.chain_readers.split(",")[0]),
                 None)
    if "latency" in only:
        latency_icount(build, log_dir)
    if "icount" in only:
        icount_rates(build, a.icount_bytes or a.bytes, log_dir, a.icount_parts.split(","),
                     a.config, int(a.rx_poll_us.split(",")[0]) if a.rx_poll_us else None,
                     [int(x) for x in a.drop_poll_us.split(",")] if a.drop_poll_us else [None],
                     a.insns, a.chain_readers.split(","), a.profile,
                     os.path.abspath(a.rtos_profile) if a.rtos_profile else None)
    if "cost" in only:
        linux_cost(build, "8250", "configs/bench/ttu-linux-8250.dts", "ttyS", a.bytes, log_dir)
        linux = (linux[0], linux_cost(build, "channel", "configs/ttu.dts", "ttyTV", a.bytes,
                                      log_dir))
    plot_host_cpu(log_dir)
    for k, what in ((0, ""), (1, "_4ports")):
        if linux[k] and bare[k]:
            emit("chain%s_vs_rtos_bare" % what, "%.2f" % (linux[k] / bare[k]), "ratio")
        if linux[k] and tandem[k]:
            emit("chain%s_vs_rtos_tandem" % what, "%.2f" % (linux[k] / tandem[k]), "ratio")


def plot_host_cpu(log_dir):
    """A stacked bar per configuration: host CPU per KiB moved, by QEMU thread (gnuplot, if
    there): where a 2-core host's time goes, hence what bounds the wall-clock throughput."""
    confs = [("rtos_bare", "bare RTOS, sink"), ("rtos_tandem", "Tandem, RTOS sink"),
             ("chain", "Tandem, to Linux")]
    parts = ["rtos_vcpu", "linux_vcpus", "main_loop"]
    rows = [(label, [float(RESULTS.get("%s_host_cpu_%s" % (c, p), 0)) for p in parts])
            for c, label in confs if "%s_host_cpu_rtos_vcpu" % c in RESULTS]
    if not rows or not shutil.which("gnuplot"):
        return
    data = os.path.join(log_dir, "ttu-host-cpu.dat")
    with open(data, "w") as f:
        f.write("# conf " + " ".join(parts) + "\n")
        for label, vals in rows:
            f.write('"%s" %s\n' % (label, " ".join("%.2f" % v for v in vals)))
    png = os.path.join(log_dir, "ttu-host-cpu.png")
    script = "\n".join([
        "set terminal pngcairo size 720,360 font 'sans,9'", "set output '%s'" % png,
        "set title 'TTU, 32 ports host -> guest: host CPU per KiB moved, by QEMU thread'",
        "set style data histograms", "set style histogram rowstacked", "set boxwidth 0.6",
        "set style fill solid 0.8 border -1", "set ylabel 'host CPU ms per KiB'",
        "set key top left", "set yrange [0:*]", "set xtics nomirror",
        "plot '%s' using 2:xtic(1) title 'RTOS vCPU thread', '' using 3 title "
        "'Linux vCPU threads', '' using 4 title 'main loop (16550 input, chardevs)'" % data])
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    if os.path.exists(png):
        print("TTU-PLOT %s" % png)


if __name__ == "__main__":
    main()
