#!/usr/bin/env python3
"""Issue 13: the power terminal (TTU): 32 serial ports on QEMU's PCIe bus, served by the RTOS.

Boot 1, configs/tests/ttu-rtos.dts: the RTOS alone under Tandem owns /pcie@10000000 (whole-bridge
passthrough, passthrough-no-dma: the 16550s do no DMA, so neither direct-map nor the SMMU is
needed) with 8 pci-serial-4x cards whose 32 UARTs sit on host Unix sockets
(tools/ttu-qemu-args.sh). With ttu=echo it sends every byte a port receives back out of the same
port. Checked:
  - its ECAM enumeration: 8 cards 1b36:0004 on slots 1-8, one I/O BAR of 32 bytes each, all
    distinct, inside the bridge's I/O space; INTA of slot s reaches INTID 35 + s % 4 (QEMU virt's
    swizzle through the bridge's interrupt-map);
  - all 32 ports at once: a distinct pseudo-random stream per port (tools/ttu-feed.py) comes back
    intact (sha256 per port), with the RTOS's counters agreeing (rx = tx = what was sent, no UART
    overrun, interrupts taken);
  - line settings: `ttu line 3 9600 7E2` programs divisor 12 and LCR 0x1e, and the port still
    carries data;
  - Tandem logs no warning or error.

Boot 2, configs/ttu.dts: the whole chain, Linux + the RTOS + one 32-port channel:
  - host -> Linux on all 32 ports at once, 64 KiB of a distinct stream each, while Linux runs a
    CPU hog per vCPU: every /dev/ttyTV* file's sha256 is the stream's; then Linux -> host on all
    32, checked on the host;
  - the RTOS restarted mid-stream: Linux's readers see the hangup and end, Linux and Tandem run
    on, Linux re-attaches, a fresh stream reaches every port;
  - the RTOS as a hostile peer (`vserial scribble 32`): Linux counts and reports the corruption,
    resets the rings, and data flows again; no Tandem warning or error.
(The channel config errors are in test_bad_config.)
TTU_RESTARTS=N repeats the restart N times in the chain boot; TTU_CHAIN_ONLY=1 skips boot 1.
"""
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import harness

TIMEOUT = 90
ECHO_BYTES = 32768


def load_feed():
    path = os.path.join(harness.TOP, "tools", "ttu-feed.py")
    spec = importlib.util.spec_from_file_location("ttu_feed", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ttu_args(sock_dir):
    out = subprocess.run([os.path.join(harness.TOP, "tools", "ttu-qemu-args.sh"), sock_dir],
                         check=True, capture_output=True, text=True).stdout
    return out.split("\n")[:-1]


def check_enumeration(t, vm):
    m = t.expect_check(vm, r"PCI: ECAM 0x3f000000 buses 0-15, (\d+) device\(s\)[^\n]*\n", TIMEOUT,
                       "the RTOS enumerates the host bridge's ECAM at 0x3f000000")
    if not m:
        return
    cards = re.findall(r"^PCI 00:(\w\w)\.0 1b36:0004 class 070002 INTA -> (\d+) BAR0 io "
                       r"0x(\w+)\+0x20\n", vm.text, re.M)
    t.check("8 pci-serial-4x cards (1b36:0004, serial class 0x0700, 16550 prog-if 02) on slots "
            "1-8 [issue 13 item 3: PCIe enumeration]",
            [int(s, 16) for s, _, _ in cards] == list(range(1, 9)), str(cards))
    t.check("INTA of slot s reaches INTID 35 + s % 4 (the interrupt-map's swizzle) [issue 13 "
            "item 3: one shared INTx per card]",
            all(int(i) == 35 + int(s, 16) % 4 for s, i, _ in cards), str(cards))
    bars = sorted(int(b, 16) for _, _, b in cards)
    t.check("each card's 32-byte I/O BAR is assigned, aligned, inside the 64 KiB I/O space and "
            "distinct [issue 13 item 3: BAR assignment]",
            len(bars) == 8 and all(b % 32 == 0 and 0 < b < 0x10000 for b in bars)
            and all(b2 - b1 >= 32 for b1, b2 in zip(bars, bars[1:])), str(bars))
    t.expect_check(vm, r"TTU: 32 port\(s\) on 4 interrupt line\(s\), mode echo", TIMEOUT,
                   "the RTOS serves 32 ports on the 4 shared INTx lines in echo mode")


def ttu_stats(t, vm, what):
    vm.send("ttu")
    m = t.expect_check(vm, r"^TTU stats ([^\n]*)\n", 30, "%s: `ttu` prints the counters" % what)
    return dict(re.findall(r"(\w+)=(\S+)", m.group(1))) if m else {}


def check_echo(t, vm, feed, sock_dir):
    socks = feed.connect(sock_dir, range(32))
    try:
        state = feed.transfer(socks, ECHO_BYTES, ECHO_BYTES, seed="echo", idle_timeout=60)
    finally:
        for s in socks.values():
            s.close()
    bad = [p for p, st in sorted(state.items()) if bytes(st.recv) != st.out]
    t.check("all 32 ports at once: %d bytes of a distinct pseudo-random stream each come back "
            "intact through the RTOS (sha256 per port) [issue 13 item 3: 16550 driver, "
            "interrupt + poll]" % ECHO_BYTES, not bad,
            "ports %s: got %s bytes" % (bad, [len(state[p].recv) for p in bad]))
    f = ttu_stats(t, vm, "echo")
    total = 32 * ECHO_BYTES
    t.check("the RTOS counted rx = tx = %d, no UART overrun, interrupts taken" % total,
            f.get("rx") == str(total) and f.get("tx") == str(total)
            and f.get("overruns") == "0" and int(f.get("irqs", "0")) > 0, str(f))
    t.note("echo: %s irqs, %s bytes read in interrupts, %s by the poll (%s polls), %s throttles"
           % (f.get("irqs"), f.get("irq_rx"), f.get("poll_rx"), f.get("polls"),
              f.get("throttles")))


def check_line(t, vm, feed, sock_dir):
    vm.send("ttu line 3 9600 7E2")
    t.expect_check(vm, r"TTU port 3 line 9600 7E2 lcr=0x1e divisor=12\n", 30,
                   "`ttu line 3 9600 7E2`: divisor latch 12, LCR 0x1e (7 bits, even parity, 2 "
                   "stop bits) [issue 13 item 3: line settings]")
    socks = feed.connect(sock_dir, [3])
    try:
        state = feed.transfer(socks, 4096, 4096, seed="line", idle_timeout=60)
    finally:
        socks[3].close()
    t.check("port 3 still carries data after the change", bytes(state[3].recv) == state[3].out,
            "%d of 4096 bytes back" % len(state[3].recv))


# ---- Boot 2: the whole chain, configs/ttu.dts (Linux + the RTOS + one 32-port channel) ----

PORT_BYTES = 65536
STATUS = "cat /sys/bus/platform/drivers/tandem_vserial/*/status"
LINUX_PORTS_RE = r"tandem_vserial \S+: channel \d+: 32 ports \(ttyTV0\.\.ttyTV31\)"


OPEN_SEQ = [0]


def spawn_all(cmd):
    """A shell line running cmd (with $n the port) on every /dev/ttyTVn at once and waiting for
    all of them, and the marker it prints once they have all had 2 s to open their tty (a port
    nobody has open drops what arrives, like a UART). The shell waits for them: a background
    job that ends while ash idles at its prompt would print job notices there (and, before the
    harness set ignoreeof, made ash exit: any job, nothing to do with these ttys)."""
    OPEN_SEQ[0] += 1
    # The shell computes the marker's end, so that an echo of the command line never matches.
    line = ('p=""; for n in $(seq 0 31); do %s & p="$p $!"; done; sleep 2; '
            'echo ALL-OPEN-%d-$((1+1)); wait $p' % (cmd, OPEN_SEQ[0]))
    return line, "ALL-OPEN-%d-2" % OPEN_SEQ[0]


def reader(nbytes=None, secs=None):
    """A raw reader of /dev/ttyTVn into a file ($n the port): head -c, or cat under timeout."""
    prog = "head -c %d" % nbytes if nbytes else "timeout %d cat" % secs
    return "(stty raw -echo; exec %s) < /dev/ttyTV$n" % prog


def linux_sha(vm, prefix, tail=None):
    """{port: sha256 of Linux's file prefixN} (of its last `tail` bytes if given)."""
    src = "tail -c %d %s$n" % (tail, prefix) if tail else "cat %s$n" % prefix
    out = vm.run("for n in $(seq 0 31); do echo \"$n $(%s | sha256sum)\"; done" % src,
                 timeout=120)
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^(\d+) ([0-9a-f]{64})", out, re.M)}


def in_thread(fn, *args, vm=None, marker=None, delay=0.0, **kw):
    """Runs fn in a thread (the host side while Linux runs a command): after `delay` s, or once
    `marker` shows in vm's console (the main thread reads it)."""
    result = {}

    def body():
        deadline = time.monotonic() + 120
        while marker and marker not in vm.text[-20000:] and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(delay)
        result["value"] = fn(*args, **kw)

    th = threading.Thread(target=body)
    th.start()
    return th, result


def rtos_stats(vm):
    """The RTOS's `ttu` counters (the console focus moves to it and back)."""
    mark = vm.mark()
    vm.focus("rtos")
    vm.send("ttu")
    m = vm.expect(r"\[rtos\] TTU stats ([^\n]*)\n", 30, since=mark)
    return dict(re.findall(r"(\w+)=(\S+)", m.group(1)))


def host_to_linux(t, vm, feed, socks):
    """All 32 ports at once, PORT_BYTES each, Linux busy on every vCPU."""
    vm.run('rm -f /tmp/rx*; hogs=""; for i in 1 2; do (while :; do :; done) & hogs="$hogs $!"; '
           'done; echo hogs')
    cmd, marker = spawn_all(reader(PORT_BYTES) + " > /tmp/rx$n")
    th, res = in_thread(feed.transfer, socks, PORT_BYTES, 0, seed="h2l", idle_timeout=90, vm=vm,
                        marker=marker)
    _, rc = vm.run_status(cmd, timeout=900)  # generous: the host is shared
    th.join()
    moved = res.get("value", {}).values()
    secs = max(st.done_at or 0 for st in moved) - min(st.first_byte or 1e18 for st in moved) \
        if moved else 0
    vm.run("kill $hogs; wait $hogs 2>/dev/null; echo hogs-stopped")
    got = linux_sha(vm, "/tmp/rx")
    want = {p: hashlib.sha256(feed.stream("h2l", p, PORT_BYTES)).hexdigest() for p in range(32)}
    bad = [p for p in range(32) if got.get(p) != want[p]]
    t.check("host -> Linux, all 32 ports at once, %d bytes of a distinct pseudo-random stream "
            "each while Linux runs a CPU hog on every vCPU: every /dev/ttyTV* file's sha256 "
            "is the stream's (bytes in order, none lost) [issue 13 tests]" % PORT_BYTES,
            rc == 0 and not bad, "readers' status %d; ports %s differ: %s%s" % (
                rc, bad, vm.run("wc -c /tmp/rx* | tail -n 33"),
                first_difference(vm, feed, bad[0]) if bad else ""))
    t.note("host -> Linux: %d KiB in %.1f s wall (%.0f KB/s aggregate, QEMU TCG, loaded host)"
           % (32 * PORT_BYTES // 1024, secs, 32 * PORT_BYTES / max(secs, 0.1) / 1000))


def collector(t, vm, feed, socks, nbytes=16384, epoll=False):
    """tandem-ttycollect (guests/linux/tools/ttycollect.c, the benchmark's chain reader): one
    process polling all 32 ports (poll(), or epoll with -e) into a file each gets every stream
    intact."""
    vm.run("rm -f /tmp/col* /tmp/collect.out; echo cleared")
    line = ("tandem-ttycollect%s -n %d /tmp/col $(for n in $(seq 0 31); do echo /dev/ttyTV$n; "
            "done) > /tmp/collect.out & p=$!; sleep 2; echo COLLECT-%d-$((1+1)); wait $p"
            % (" -e" if epoll else "", nbytes, epoll))
    seed = "collect-e" if epoll else "collect"
    th, res = in_thread(feed.transfer, socks, nbytes, 0, seed=seed, idle_timeout=90, vm=vm,
                        marker="COLLECT-%d-2" % epoll)
    _, rc = vm.run_status(line, timeout=900)
    th.join()
    got = linux_sha(vm, "/tmp/col")
    stats = vm.run("cat /tmp/collect.out")
    want = {p: hashlib.sha256(feed.stream(seed, p, nbytes)).hexdigest() for p in range(32)}
    bad = [p for p in range(32) if got.get(p) != want[p]]
    t.check("tandem-ttycollect%s: one process waiting for all 32 ports with %s (raw, a buffer "
            "per port) writes each port's %d-byte stream to its own file intact (sha256), "
            "counts them all and exits 0" % (" -e" if epoll else "",
                                            "epoll" if epoll else "poll()", nbytes),
            rc == 0 and not bad and "ports=32 bytes=%d " % (32 * nbytes) in stats,
            "status %d; ports %s differ; %s; %s" % (rc, bad, stats,
                                                   vm.run("wc -c /tmp/col* | tail -n 33")))


def first_difference(vm, feed, port):
    """Where Linux's file of `port` first differs from the stream, and the bytes around it:
    md5 per KiB first (a few lines of console), then an od of the first block that differs."""
    exp = feed.stream("h2l", port, PORT_BYTES)
    out = vm.run("for k in $(seq 0 %d); do dd if=/tmp/rx%d bs=1024 skip=$k count=1 2>/dev/null "
                 "| md5sum; done" % (PORT_BYTES // 1024 - 1, port), timeout=120)
    sums = re.findall(r"^([0-9a-f]{32})", out, re.M)
    bad = [k for k in range(PORT_BYTES // 1024)
           if k >= len(sums) or sums[k] != hashlib.md5(exp[k * 1024:(k + 1) * 1024]).hexdigest()]
    if not bad:
        return "; port %d: every KiB block as sent" % port
    k = bad[0]
    out = vm.run("dd if=/tmp/rx%d bs=1024 skip=%d count=1 2>/dev/null | od -An -v -tx1 | "
                 "tr -s ' \\n' ' '" % (port, k), timeout=60)
    got = bytes(int(x, 16) for x in out.split() if re.fullmatch(r"[0-9a-f]{2}", x))
    blk = exp[k * 1024:(k + 1) * 1024]
    i = next((j for j in range(min(len(got), len(blk))) if got[j] != blk[j]), None)
    if i is None:
        return "; port %d: blocks %s differ, block %d read back as %d bytes" % (
            port, bad[:16], k, len(got))
    at = k * 1024 + i
    # Where the bytes that came instead are in the stream, if they are (a repeat, a skip).
    frag = got[i:i + 16]
    where = exp.find(frag) if len(frag) == 16 else -1
    return "; port %d: %d KiB blocks differ (%s...); first at byte %d: got %s, sent %s; " \
        "the bytes got there are at stream offset %d" % (
            port, len(bad), bad[:8], at, got[max(0, i - 8):i + 24].hex(),
            blk[max(0, i - 8):i + 24].hex(), where)


def linux_to_host(t, vm, feed, socks):
    vm.run("for n in $(seq 0 31); do head -c %d /dev/urandom > /tmp/tx$n; done; echo made"
           % PORT_BYTES, timeout=120)
    want = linux_sha(vm, "/tmp/tx")
    th, res = in_thread(feed.transfer, socks, 0, PORT_BYTES, idle_timeout=90)
    _, rc = vm.run_status(spawn_all("(stty raw -echo; cat /tmp/tx$n >&0) <> /dev/ttyTV$n")[0],
                          timeout=900)  # generous: the host is shared
    th.join()
    state = res.get("value", {})
    got = {p: hashlib.sha256(bytes(st.recv)).hexdigest() for p, st in state.items()}
    bad = [p for p in range(32) if got.get(p) != want.get(p)]
    t.check("Linux -> host, all 32 ports at once, %d bytes of random data each: the host "
            "receives every port's file intact (sha256) [issue 13 tests]" % PORT_BYTES,
            rc == 0 and not bad and len(want) == 32,
            "writers' status %d; ports %s: host got %s bytes" % (
                rc, bad, [len(state[p].recv) for p in bad if p in state]))


def rtos_restart(t, vm, feed, sock_dir, nth=1):
    """The RTOS restarted in the middle of a stream (the nth time in this boot): Linux's readers
    see a hangup, both keep running, and new data flows on every port afterwards."""
    socks = feed.connect(sock_dir, range(32))
    vm.focus("linux")
    mark = vm.mark()
    # Readers that only a hangup ends (cat, no timeout), started without waiting for the prompt.
    cmd, marker = spawn_all("(stty raw -echo; exec cat) < /dev/ttyTV$n > /tmp/mid$n")
    vm.send(cmd + "; echo READERS-ENDED")
    stop = threading.Event()
    th, _ = in_thread(feed.transfer, socks, PORT_BYTES, 0, seed="mid", idle_timeout=20, vm=vm,
                      marker=marker, stop=stop)
    deadline = time.monotonic() + 90
    flowing = 0
    while time.monotonic() < deadline and flowing <= 32 * 4096:
        time.sleep(2)
        flowing = int(rtos_stats(vm).get("rx", "0"))
    t.check("restart: data flows host -> Linux on the 32 ports before the restart",
            flowing > 32 * 4096, "the RTOS read %d bytes" % flowing)
    vm.send("reset")  # the focus is on the RTOS (rtos_stats)
    t.expect_check(vm, r"tandem: vm rtos: restarted", 60,
                   "restart: the RTOS's `reset` restarts its VM mid-stream", since=mark)
    if not t.expect_check(vm, r"\[linux\] READERS-ENDED", 90,
                          "restart: every Linux reader of /dev/ttyTV* saw a hangup and ended "
                          "[issue 13 tests: RTOS restarted mid-stream]", since=mark):
        vm.hang_report()  # Tandem's interrupt, scheduling and counter state, into the log
    stop.set()
    th.join()
    for s in socks.values():
        s.close()  # what QEMU has not taken yet is dropped with the connection
    t.expect_check(vm, r"\[rtos\] TTU: 32 port\(s\)[^\n]*mode channel", 60,
                   "restart: the RTOS serves the 32 ports again", since=mark)
    out = vm.run("dmesg | grep tandem_vserial | tail -n 3")
    t.check("restart: Linux says why it hung up, and re-attached to the restarted RTOS",
            "hung up" in out and wait_attached(vm, 1 + nth), out)
    check_flows(t, vm, feed, sock_dir, "restart", "after%d" % nth)
    out = vm.run("echo alive")
    t.check("restart: Linux kept running (same shell answers)", "alive" in out, out)


def wait_attached(vm, times, timeout=60):
    """Until Linux's driver has attached `times` times (dmesg)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = vm.run("dmesg | grep -c '32 ports (ttyTV0'")
        if out.strip().isdigit() and int(out.strip()) >= times:
            return True
        time.sleep(2)
    return False


def check_flows(t, vm, feed, sock_dir, what, seed):
    """A fresh 4 KiB stream per port reaches Linux (the last 4 KiB of each file: bytes of
    the old stream that were already in a UART may come first)."""
    socks = feed.connect(sock_dir, range(32))
    vm.run("rm -f /tmp/new*")
    cmd, marker = spawn_all(reader(secs=20) + " > /tmp/new$n")
    th, _ = in_thread(feed.transfer, socks, 4096, 0, seed=seed, idle_timeout=60, vm=vm,
                      marker=marker)
    vm.run_status(cmd, timeout=120)
    th.join()
    got = linux_sha(vm, "/tmp/new", tail=4096)
    for s in socks.values():
        s.close()
    want = {p: hashlib.sha256(feed.stream(seed, p, 4096)).hexdigest() for p in range(32)}
    bad = [p for p in range(32) if got.get(p) != want[p]]
    t.check("%s: new data flows again on every port (a fresh 4 KiB stream each, sha256)" % what,
            not bad, "ports %s: %s" % (bad, vm.run("wc -c /tmp/new* | tail -n 33")))


def hostile(t, vm, feed, sock_dir):
    """`vserial scribble 32` in the RTOS: garbage over ring indices and lengths."""
    before = re.search(r"corrupt (\d+)", vm.run(STATUS))
    mark = vm.mark()
    vm.focus("rtos")
    vm.send("vserial scribble 32")
    t.expect_check(vm, r"VSERIAL scribbled over 32 port", 30,
                   "hostile: the RTOS scribbles over 32 ports' indices and ring lengths")
    check_flows(t, vm, feed, sock_dir, "hostile", "after-scribble")
    after = re.search(r"corrupt (\d+)", vm.run(STATUS))
    out = vm.run("dmesg | grep -c 'corrupt, ring reset'")
    t.check("hostile: Linux counted and reported the corruption and reset the rings "
            "[issue 13 bad input: hostile peer]",
            before and after and int(after.group(1)) > int(before.group(1))
            and int(out.strip() or 0) > 0, "before %s after %s, %s dmesg lines" % (
                before and before.group(1), after and after.group(1), out))
    t.check("hostile: no kernel BUG/Oops in Linux, no Tandem error",
            not re.search(r"BUG|Oops|Unable to handle", vm.run("dmesg"))
            and not re.search(r"tandem: error", vm.text[mark:]), "")


def chain(t, feed, sock_dir):
    with t.boot("chain", config="configs/ttu.dts", smp=4, mem="2G",
                machine=harness.DEFAULT_MACHINE + ",highmem=off", extra=ttu_args(sock_dir)) as vm:
        vm.login()
        t.expect_check(vm, r"\[rtos\] VSERIAL: channel 'ttu' id \d+ side 0 \(peer linux\)[^\n]*"
                       r"32 ports, 8192-byte rings", TIMEOUT,
                       "the RTOS lays out 32 ports with 8 KiB rings in the channel", since=0)
        ok = wait_attached(vm, 1)
        out = vm.run("ls /dev | grep -c '^ttyTV'")
        t.check("Linux attached: /dev/ttyTV0 .. /dev/ttyTV31 [issue 13 item 4]",
                ok and out.strip() == "32", vm.run("dmesg | grep tandem_vserial"))
        socks = feed.connect(sock_dir, range(32))
        host_to_linux(t, vm, feed, socks)
        collector(t, vm, feed, socks)
        collector(t, vm, feed, socks, 4096, epoll=True)
        linux_to_host(t, vm, feed, socks)
        for s in socks.values():
            s.close()
        # TTU_RESTARTS=N repeats the restart N times in the same boot (hunting a lost
        # doorbell after a restart, seen once); `make test` runs it once.
        for nth in range(1, int(os.environ.get("TTU_RESTARTS", "1")) + 1):
            rtos_restart(t, vm, feed, sock_dir, nth)
        hostile(t, vm, feed, sock_dir)
        vm.drain(1)
        t.check("chain: no Tandem warning or error",
                not re.search(r"tandem: (warning|error)", vm.text), vm.tail())


t = harness.Test(__file__)
feed = load_feed()
sock_dir = tempfile.mkdtemp(prefix="ttu-")
try:
    if os.environ.get("TTU_CHAIN_ONLY") != "1":  # TTU_CHAIN_ONLY=1: the chain boot alone
        with t.boot("rtos-echo", config="configs/tests/ttu-rtos.dts", smp=2, mem="1G",
                    machine=harness.DEFAULT_MACHINE + ",highmem=off",
                    extra=ttu_args(sock_dir)) as vm:
            check_enumeration(t, vm)
            vm.expect(r"RTOS: shell on the console", TIMEOUT)
            check_echo(t, vm, feed, sock_dir)
            check_line(t, vm, feed, sock_dir)
            vm.drain(1)
            t.check("tandem: no warning or error",
                    not re.search(r"tandem: (warning|error)", vm.text), vm.tail())
    # The chain boot was quarantined (TTU_CHAIN=1) for "port 0's stream altered": that was
    # the harness (a job notice's prompt glued to the sha256 line of port 0, see run()).
    chain(t, feed, sock_dir)
finally:
    shutil.rmtree(sock_dir, ignore_errors=True)
t.done()
