#!/usr/bin/env python3
"""Issue 5: Linux in a VM that is not direct-mapped owns the PCIe root complex behind the SMMU.

QEMU -M virt,iommu=smmuv3,highmem=off (highmem off keeps the ECAM and every PCI window inside
the 39-bit guest-physical space), -smp 3 -m 2G, -nic none, a 64 MiB ext4 disk image the test
builds without root (ext4_disk.py):
  1. Tandem, configs/tests/linux-smmu.dts (memory = 512 MiB placed by Tandem, so IPA != PA;
     passthrough = "/pcie@10000000"; plus an RTOS VM at static-mem 0x70000000, the "other VM"),
     with virtio-blk-pci iommu_platform=on,disable-legacy=on
     and QEMU's edu device: Tandem enables the SMMU and gives bus 0's streams a stage-1 context
     mirroring the VM (IOVA == IPA); the stock virtio_pci + virtio_blk bind the disk (INTx,
     hardware-linked); the stock ext4 module mounts the disk, the guest reads the test's file
     (SHA-256), writes a new file, syncs and unmounts (the host reads it out of the image with
     debugfs after QEMU exits), a 48 MiB read of /dev/vda is timed; then the edu device's DMA
     engine is programmed through its BAR (busybox devmem) to write to IOVA 0x70000000, the RTOS VM's
     host-physical memory: Tandem reports the SMMU event (stream, address, VM) and keeps running,
     so do Linux and the RTOS, and the RTOS's first word (read with QEMU's monitor) is unchanged;
  2. bare Linux with the same QEMU settings and devices: the same timed read (baseline).
Throughput figures are notes (wall-clock counter ticks), never assertions.
"""
import os
import re

import ext4_disk
import harness
import linux_checks

MACHINE = "virt,virtualization=on,gic-version=3,iommu=smmuv3,highmem=off"
READ_SKIP_MB, READ_MB = 4, 48
RTOS_PA = 0x70000000  # the other VM's static-mem: its image starts there
EDU_FAULT_IOVA = RTOS_PA  # the edu DMA aims at it: outside the Linux VM's IOVA == IPA map


def timed_read(t, vm, where):
    out = vm.run("tandem-counter; dd if=/dev/vda of=/dev/null bs=1M skip=%d count=%d 2>/dev/null;"
                 " tandem-counter" % (READ_SKIP_MB, READ_MB), timeout=180)
    vals = re.findall(r"cntvct=(\d+) cntfrq=(\d+)", out)
    if not t.check("%s: the timed %d MiB read ran (two counter lines)" % (where, READ_MB),
                   len(vals) == 2, "got %r" % out):
        return
    ticks = int(vals[1][0]) - int(vals[0][0])
    freq = int(vals[0][1])
    t.note("%s: %d MiB sequential read from /dev/vda in %d counter ticks (%.3f s guest wall "
           "time): %.1f MiB/s" % (where, READ_MB, ticks, ticks / freq,
                                  READ_MB / (ticks / freq) if ticks > 0 else 0))


t = harness.Test(__file__)
work = os.path.join(t.build, "test-work", t.name)
os.makedirs(work, exist_ok=True)
disk, file_sha = ext4_disk.make(work)
devices = ["-nic", "none", "-drive", "file=%s,if=none,format=raw,id=d0" % disk,
           "-device", "virtio-blk-pci,drive=d0,iommu_platform=on,disable-legacy=on",
           "-device", "edu,dma_mask=0xffffffffff"]  # default: 28 bits, too few to reach RAM


def canary(t, vm, what):
    """The first word of the RTOS VM's memory, read through QEMU's monitor (Ctrl-T c)."""
    vm.send("\x14c", newline=False)
    vm.send("xp /1wx 0x%x" % RTOS_PA)
    try:
        m = vm.expect(r"%016x: (0x[0-9a-f]+)\s" % RTOS_PA, 20)  # whole: not a half-read line
    except harness.Timeout:
        m = None
    vm.send("\x14c", newline=False)
    t.check("the monitor reads the other VM's first word %s" % what, m is not None)
    return m.group(1) if m else None

written_sha = None
with open(os.path.join(t.build, "images", "rtos.bin"), "rb") as f:
    rtos_word = "0x%08x" % int.from_bytes(f.read(4), "little")

with t.boot("smmu", config="configs/tests/linux-smmu.dts", smp=3, mem="2G", machine=MACHINE,
            extra=devices) as vm:
    t.expect_check(vm, r"smmu: SMMUv3 at 0x9050000 enabled", 60,
                   "Tandem takes the SMMU over [issue 5: Tandem owns the SMMU]")
    t.expect_check(vm, r"smmu: streams 0x0-0xff -> vm linux \(stage 1, IOVA == IPA", 30,
                   "bus 0's streams get the VM's stage-1 context [issue 5: IOVA == IPA]")
    m = t.expect_check(vm, r"vm linux: starting 2 vCPUs on pCPU \S+, (?:pool \S+ \(\S+\), )?512 MiB at PA (0x[0-9a-f]+),",
                       30, "the VM starts")
    t.check("the VM is not direct-mapped (its RAM is not at PA 0x40000000)",
            m and int(m.group(1), 16) != 0x40000000, m.group(0) if m else "")
    vm.login()
    out, st = vm.run_status("modprobe virtio_pci && modprobe virtio_blk && sleep 2 && ls /dev/vda",
                            timeout=60)
    t.check("stock virtio_pci + virtio_blk bind virtio-blk-pci behind the SMMU: /dev/vda "
            "[issue 5: the guest enumerates the host bridge itself]",
            st == 0 and "/dev/vda" in out, "got %r (status %d)" % (out, st))
    where = "behind the SMMU"
    mounted = ext4_disk.guest_mount(t, vm, where)
    if mounted:
        ext4_disk.guest_read(t, vm, where, file_sha, "[issue 5: DMA through the SMMU, IOVA == IPA]")
        written_sha = ext4_disk.guest_write(t, vm, where)
    _, rows = linux_checks.interrupts(vm)
    virtio = [v for k, v in rows.items() if "virtio0" in k]
    t.check("the disk's INTx interrupt reached the guest: %s" % (virtio[0] if virtio else None),
            virtio and sum(virtio[0]) > 0, "rows %r" % rows)
    timed_read(t, vm, "Tandem behind the SMMU")
    if mounted:
        ext4_disk.guest_reread_and_unmount(t, vm, "behind the SMMU, after the throughput run",
                                           file_sha)

    # QEMU's edu (1234:11e8): BAR0 registers 0x80 DMA source, 0x88 destination, 0x90 count,
    # 0x98 command (1 = start, 2 = device buffer -> RAM). Its buffer is at device address 0x40000.
    edu = vm.run("for d in /sys/bus/pci/devices/*; do [ \"$(cat $d/vendor):$(cat $d/device)\" = "
                 "0x1234:0x11e8 ] && echo $d; done").strip()
    if t.check("the edu device is on the guest's PCI bus", edu.startswith("/sys/bus/pci/devices/"),
               "got %r" % edu):
        bar0 = vm.run("head -1 %s/resource" % edu).split()
        before_word = canary(t, vm, "before the stray DMA")
        t.check("the canary is the RTOS image's first word %s" % rtos_word, before_word == rtos_word,
                "got %r" % before_word)
        vm.send("")
        vm.expect(harness.PROMPT, 10)
        before = vm.mark()  # Tandem's report may come while the command still runs
        out, st = vm.run_status(
            "echo 1 > %s/enable; printf '\\006' | dd of=%s/config bs=1 seek=4 conv=notrunc "
            "2>/dev/null; B=%s; devmem $((B + 0x80)) 32 0x40000; devmem $((B + 0x88)) 32 %d; "
            "devmem $((B + 0x90)) 32 4; devmem $((B + 0x98)) 32 3; sleep 1; devmem $((B + 0x98)) 32"
            % (edu, edu, bar0[0] if bar0 else "0", EDU_FAULT_IOVA))
        t.check("the guest programmed the edu DMA engine (devmem)", st == 0, "got %r" % out)
        m = t.expect_check(vm, r"smmu: F_TRANSLATION \(0x10\) stream (0x[0-9a-f]+) \(vm linux\): "
                           r"write at address 0x%x" % EDU_FAULT_IOVA, 30,
                           "the edu device's DMA to IOVA 0x%x, outside the VM, faults and Tandem "
                           "reports stream, address and VM [issue 5: SMMU fault report]"
                           % EDU_FAULT_IOVA, since=before)
        out, st = vm.run_status("echo still-alive")
        t.check("Linux keeps running after the fault", st == 0 and "still-alive" in out)
        after_word = canary(t, vm, "after the stray DMA")
        t.check("the canary in the other VM's memory is unchanged (%s) [issue 5: a DMA outside "
                "the VM does not land]" % rtos_word, after_word == rtos_word, "got %r" % after_word)
        t.expect_check(vm, r"^\[rtos\] LAT ", 30, "the RTOS VM keeps running (a LAT line)",
                       since=vm.mark())
        t.check("Tandem keeps running (no panic, no halt)",
                not re.search(r"tandem: (panic|EL2 exception)|PANIC", vm.text), vm.tail())

if written_sha:
    ext4_disk.host_check(t, disk, written_sha, "issue 5: write check behind the SMMU")

with t.boot("bare", bare=True, smp=3, mem="2G", machine=MACHINE,
            extra=devices) as vm:
    vm.login()
    vm.run_status("modprobe virtio_pci && modprobe virtio_blk && sleep 2", timeout=60)
    timed_read(t, vm, "bare (same QEMU devices, no Tandem)")
t.done()
