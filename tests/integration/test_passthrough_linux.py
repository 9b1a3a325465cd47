#!/usr/bin/env python3
"""Issue 5: Linux in a direct-mapped VM drives a passed-through virtio-mmio block device.

Three boots, -smp 2 -m 2G, the same disk image (a 64 MiB ext4 image the test builds without root,
see ext4_disk.py):
  1. Tandem, configs/tests/linux-direct-map.dts (static-mem 0x80000000+512 MiB, direct-map,
     passthrough = "/virtio_mmio@a003e00"): RAM at IPA 0x80000000, the stock virtio_mmio and
     virtio_blk modules bind the device, the stock ext4 module mounts it, the guest reads the file
     the test put there and checks its SHA-256, writes a new file, syncs and unmounts (the test
     reads that file out of the image on the host after QEMU exits, debugfs), its interrupt
     (INTID 79, hardware-linked) counts up, and a 48 MiB sequential read of /dev/vda is timed
     with the guest's counter;
  2. bare Linux on the same QEMU with the same disk: the same timed read (baseline);
  3. configs/tests/bad-passthrough-dma.dts (the same without direct-map): refused at boot with one
     line naming the device.
Throughput figures are printed as TAP comments (wall-clock counter ticks, not icount: a note,
never an assertion).
"""
import os
import re

import ext4_disk
import harness

READ_SKIP_MB, READ_MB = 4, 48
QEMU_DISK = None  # set below: the -drive/-device arguments


def timed_read(t, vm, where):
    """Reads READ_MB MiB from /dev/vda between two counter reads; returns MiB/s or None."""
    out = vm.run("tandem-counter; dd if=/dev/vda of=/dev/null bs=1M skip=%d count=%d 2>/dev/null;"
                 " tandem-counter" % (READ_SKIP_MB, READ_MB), timeout=180)
    vals = re.findall(r"cntvct=(\d+) cntfrq=(\d+)", out)
    if not t.check("%s: the timed %d MiB read ran (two counter lines)" % (where, READ_MB),
                   len(vals) == 2, "got %r" % out):
        return None
    ticks = int(vals[1][0]) - int(vals[0][0])
    freq = int(vals[0][1])
    mbs = READ_MB / (ticks / freq) if ticks > 0 else 0
    t.note("%s: %d MiB sequential read from /dev/vda in %d counter ticks (%.3f s guest wall "
           "time): %.1f MiB/s" % (where, READ_MB, ticks, ticks / freq, mbs))
    return mbs


t = harness.Test(__file__)
work = os.path.join(t.build, "test-work", t.name)
os.makedirs(work, exist_ok=True)
disk, file_sha = ext4_disk.make(work)
drive = ["-drive", "file=%s,if=none,format=raw,id=d0" % disk, "-device", "virtio-blk-device,drive=d0"]

written_sha = None
with t.boot("direct-map", config="configs/tests/linux-direct-map.dts", smp=2, mem="2G",
            extra=drive) as vm:
    m = t.expect_check(vm, r"vm linux: passthrough /virtio_mmio@a003e00 \(1 MMIO range, 1 SPI, "
                       r"DMA\)", 60, "Tandem gives /virtio_mmio@a003e00 to the VM (1 range, 1 SPI, "
                       "DMA) [issue 5: passthrough by host DTB path]")
    t.expect_check(vm, r"vm linux: starting 2 vCPUs on pCPU \S+, (?:pool \S+ \(\S+\), )?512 MiB at PA 0x80000000 \(direct-mapped: "
                   r"IPA == PA\)", 30, "the VM starts with its RAM at PA 0x80000000, direct-mapped "
                   "[issue 5: static-mem + direct-map]")
    vm.login()
    iomem = vm.run("cat /proc/iomem")
    t.check("the guest's System RAM is 0x80000000-0x9fffffff (IPA == PA) [issue 5: direct-map]",
            re.search(r"^80000000-9fffffff : System RAM", iomem, re.M), "got %r" % iomem)
    t.check("the passed-through node is in the guest DTB at its physical address",
            vm.run("ls /proc/device-tree/ | grep virtio").strip() == "virtio_mmio@a003e00")
    out, st = vm.run_status("modprobe virtio_mmio && modprobe virtio_blk && sleep 1 && "
                            "ls /dev/vda", timeout=60)
    t.check("stock virtio_mmio + virtio_blk bind the passed-through device: /dev/vda appears "
            "[issue 5: stock drivers]", st == 0 and "/dev/vda" in out, "got %r (status %d)" % (out, st))
    where = "direct-mapped"
    mounted = ext4_disk.guest_mount(t, vm, where)
    if mounted:
        ext4_disk.guest_read(t, vm, where, file_sha, "[issue 5: DMA with IPA == PA]")
        written_sha = ext4_disk.guest_write(t, vm, where)
    _, rows = __import__("linux_checks").interrupts(vm)
    virtio = [v for k, v in rows.items() if "79" in k.split() and "virtio0" in k]
    t.check("the device's interrupt (INTID 79, GICv3 SPI 47) reached the guest: %s [issue 5: "
            "hardware-linked SPI]" % (virtio[0] if virtio else None),
            virtio and sum(virtio[0]) > 0, "rows %r" % rows)
    timed_read(t, vm, "Tandem direct-mapped")
    if mounted:
        ext4_disk.guest_reread_and_unmount(t, vm, "after the throughput run", file_sha)

if written_sha:
    ext4_disk.host_check(t, disk, written_sha, "issue 5: write check on the host")


with t.boot("bare", bare=True, smp=2, mem="2G", extra=drive) as vm:
    vm.login()
    vm.run_status("modprobe virtio_mmio && modprobe virtio_blk && sleep 1", timeout=60)
    timed_read(t, vm, "bare")

with t.boot("no-direct-map", config="configs/tests/bad-passthrough-dma.dts", smp=2, mem="2G",
            extra=drive) as vm:
    m = t.expect_check(vm, r"^config: [^\n]*(?=\n)", 60, "no-direct-map: a config: line appears")
    if m:
        t.check("without direct-map the DMA-capable device is refused, naming it [issue 5: DMA "
                "safety]", m.group(0).startswith("config: /vms/linux: passthrough: "
                                                 "/virtio_mmio@a003e00 can do DMA but the VM is "
                                                 "neither direct-mapped nor behind an SMMU"),
                "got %r" % m.group(0))
        vm.drain(2)
        t.check("no-direct-map: no VM boots", "Booting Linux" not in vm.text)
t.done()
