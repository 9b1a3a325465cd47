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
"""
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile

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


t = harness.Test(__file__)
feed = load_feed()
sock_dir = tempfile.mkdtemp(prefix="ttu-")
try:
    with t.boot("rtos-echo", config="configs/tests/ttu-rtos.dts", smp=2, mem="1G",
                machine=harness.DEFAULT_MACHINE + ",highmem=off", extra=ttu_args(sock_dir)) as vm:
        check_enumeration(t, vm)
        vm.expect(r"RTOS: shell on the console", TIMEOUT)
        check_echo(t, vm, feed, sock_dir)
        check_line(t, vm, feed, sock_dir)
        vm.drain(1)
        t.check("tandem: no warning or error", not re.search(r"tandem: (warning|error)", vm.text),
                vm.tail())
finally:
    shutil.rmtree(sock_dir, ignore_errors=True)
t.done()
