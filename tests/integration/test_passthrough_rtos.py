#!/usr/bin/env python3
"""Issue 5: the RTOS drives a passed-through virtio-rng (DMA + hardware-linked interrupt).

Two boots of the same build/images/rtos.bin with `-device virtio-rng-device` (QEMU virt's last
virtio-mmio slot, 0xa003e00, SPI 47 = INTID 79), bootargs "lat=off virtio_rng=100":
  1. bare on QEMU virt (EL1, its own DTB), with the virtio-mmio transport version 2
     (-global virtio-mmio.force-legacy=false) so the driver's modern path runs too;
  2. under Tandem, configs/tests/rtos-virtio-rng.dts: a direct-mapped VM (static-mem
     0x60000000+128 MiB, IPA == PA) owning /virtio_mmio@a003e00 through `passthrough`.
  3. under Tandem, configs/tests/rtos-virtio-rng-direct.dts: the same VM in a bind pool with
     direct interrupt delivery (irq = "direct"): the completion interrupts reach the RTOS from
     the physical GIC, not through EL2 (Ctrl-A d: none injected into its vCPU; boot 2's figure
     is printed as a note; Tandem's own timer on that pCPU, which flushes queued console output,
     still enters EL2 and injects nothing).
Each prints `VIRTIO-RNG ok dev=.. vN irq=.. n=.. bytes=.. zero_bufs=.. ... masked=ok rtt min=..
avg=.. max=.. ticks`: the device DMAed random bytes into the RTOS's buffer (at its physical
address) and raised its interrupt for every request; then, with the interrupt disabled in the
distributor, one more request completed without an interrupt, which arrived once enabled again
(masked=ok). The round-trip figures are printed as notes, never asserted
(without -icount they are host noise; docs/design.md gives icount figures).
"""
import os
import re

import harness

N = 100
RNG_RE = (r"^VIRTIO-RNG (ok|FAIL)([^\n]*)\n")
TIMEOUT = 60


def check_rng(t, vm, where):
    m = t.expect_check(vm, RNG_RE, TIMEOUT, "%s: a VIRTIO-RNG line is printed" % where)
    if not m:
        return
    line = m.group(0).strip()
    t.check("%s: the RTOS got random bytes from the device by DMA and its interrupt, %d times "
            "[issue 5: DMA with IPA == PA, hardware-linked interrupt in the RTOS]" % (where, N),
            m.group(1) == "ok", line)
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    t.check("%s: device 0xa003e00, INTID 79, n=%d, %d bytes, no buffer left all zero" % (where, N, 64 * N),
            f.get("dev") == "0xa003e00" and f.get("irq") == "79" and f.get("n") == str(N)
            and f.get("bytes") == str(64 * N) and f.get("zero_bufs") == "0", line)
    t.check("%s: disabled in the distributor, the completed request's interrupt did not arrive; "
            "enabled again, it did (masked=ok)" % where, f.get("masked") == "ok", line)
    rtt = re.search(r"rtt min=(\d+) avg=(\d+) max=(\d+) ticks", line)
    if t.check("%s: the line parses (rtt min <= avg <= max)" % where,
               rtt and int(rtt.group(1)) <= int(rtt.group(2)) <= int(rtt.group(3)), line):
        t.note("%s: kick -> completion interrupt: min %s avg %s max %s counter ticks (wall clock, "
               "62.5 MHz)" % (where, rtt.group(1), rtt.group(2), rtt.group(3)))


def injected(vm):
    """Ctrl-A d: how many interrupts Tandem injected into the RTOS's vCPU 0 (every interrupt
    delivered through EL2 and the list registers; Tandem's own, its timer, are not)."""
    start = vm.mark()
    vm.send("\x01d", newline=False)
    try:
        m = vm.expect(r"^tandem:   vcpu 0 \S+: [^\n]* injected (\d+)", 30, since=start)
    except harness.Timeout:
        return None
    return int(m.group(1))


t = harness.Test(__file__)
image = os.path.join(t.build, "images", "rtos.bin")
if not t.check("%s exists (make rtos)" % os.path.relpath(image, harness.TOP), os.path.isfile(image)):
    t.done()
bare = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", harness.DEFAULT_CPU,
        "-smp", "1", "-m", "2G", "-nographic", "-echr", "0x14", "-kernel", image,
        "-append", "lat=off virtio_rng=%d" % N, "-global", "virtio-mmio.force-legacy=false",
        "-device", "virtio-rng-device"]
with harness.Boot(t, "bare", bare) as vm:
    check_rng(t, vm, "bare")
    t.check("bare: the modern (version 2) virtio-mmio transport was used", " v2 " in vm.text)

with t.boot("tandem", config="configs/tests/rtos-virtio-rng.dts", smp=2, mem="2G",
            extra=["-device", "virtio-rng-device"]) as vm:
    t.expect_check(vm, r"vm rtos: passthrough /virtio_mmio@a003e00 \(1 MMIO range, 1 SPI, DMA\)",
                   TIMEOUT, "tandem: /virtio_mmio@a003e00 is passed through to the RTOS VM")
    t.expect_check(vm, r"RTOS: RAM 0x60000000\+0x8000000", TIMEOUT,
                   "tandem: the RTOS sees its RAM at 0x60000000, the host-physical base "
                   "[issue 5: direct-map]")
    check_rng(t, vm, "tandem")
    t.note("tandem (trapped): Ctrl-A d: %s interrupts injected into the RTOS's vCPU" % injected(vm))
    vm.drain(1)
    t.check("tandem: no vGIC or stage-2 complaint from Tandem",
            not re.search(r"tandem: (warning|error)", vm.text), vm.tail())

with t.boot("direct", config="configs/tests/rtos-virtio-rng-direct.dts", smp=2, mem="2G",
            extra=["-device", "virtio-rng-device"]) as vm:
    t.expect_check(vm, r"vm rtos: passthrough /virtio_mmio@a003e00 \(1 MMIO range, 1 SPI, DMA\)",
                   TIMEOUT, "direct: /virtio_mmio@a003e00 is passed through to the RTOS VM")
    check_rng(t, vm, "direct")
    vm.drain(1)  # the RTOS's last output first: Ctrl-A d's lines alone on the console
    n = injected(vm)
    t.check("direct: the %d completion interrupts of the passed-through device reached the RTOS "
            "without going through EL2 (Ctrl-A d: injected 0) [issue 16 item 3: passthrough SPIs "
            "delivered directly]" % (N + 1), n == 0, "injected %s" % n)
    vm.drain(1)
    t.check("direct: no vGIC or stage-2 complaint from Tandem",
            not re.search(r"tandem: (warning|error)", vm.text), vm.tail())
t.done()
