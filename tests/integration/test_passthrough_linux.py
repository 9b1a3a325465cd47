#!/usr/bin/env python3
"""Issue 5: Linux in a direct-mapped VM drives a passed-through virtio-mmio block device.

Three boots, -smp 2 -m 2G, the same disk image (a raw 64 MiB file the test writes):
  1. Tandem, configs/tests/linux-direct-map.dts (static-mem 0x80000000+512 MiB, direct-map,
     passthrough = "/virtio_mmio@a003e00"): RAM at IPA 0x80000000, the stock virtio_mmio and
     virtio_blk modules bind the device, the guest reads the 1 MiB "file" the test put at offset 0
     and checks its hash, writes 1 MiB of new data at offset 2 MiB (the test checks it on the
     host after QEMU exits), its interrupt (INTID 79, hardware-linked) counts up, and a 48 MiB
     sequential read is timed with the guest's counter;
  2. bare Linux on the same QEMU with the same disk: the same timed read (baseline);
  3. configs/tests/bad-passthrough-dma.dts (the same without direct-map): refused at boot with one
     line naming the device.
Throughput figures are printed as TAP comments (wall-clock counter ticks, not icount: a note,
never an assertion).
"""
import hashlib
import os
import re

import harness

DISK_MB = 64
FILE_BYTES = 1 << 20
WRITE_OFFSET = 2 << 20
READ_SKIP_MB, READ_MB = 4, 48
QEMU_DISK = None  # set below: the -drive/-device arguments


def make_disk(path):
    rnd = os.urandom(FILE_BYTES)
    with open(path, "wb") as f:
        f.write(rnd)
        f.truncate(DISK_MB << 20)
    return hashlib.md5(rnd).hexdigest()


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
disk = os.path.join(work, "disk.img")
file_md5 = make_disk(disk)
drive = ["-drive", "file=%s,if=none,format=raw,id=d0" % disk, "-device", "virtio-blk-device,drive=d0"]

written_md5 = None
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
    got = vm.run("dd if=/dev/vda bs=65536 count=%d 2>/dev/null | md5sum" % (FILE_BYTES // 65536),
                 timeout=60).split()
    t.check("the guest reads the file the test put on the disk: same MD5 %s [issue 5: DMA with "
            "IPA == PA]" % file_md5, got[:1] == [file_md5], "guest got %r" % got)
    out = vm.run("dd if=/dev/urandom of=/tmp/new.bin bs=65536 count=%d 2>/dev/null && md5sum "
                 "/tmp/new.bin && dd if=/tmp/new.bin of=/dev/vda bs=65536 seek=%d conv=fsync "
                 "2>/dev/null && sync && echo WRITTEN" % (FILE_BYTES // 65536, WRITE_OFFSET // 65536),
                 timeout=60)
    mm = re.search(r"^([0-9a-f]{32})\s+/tmp/new.bin", out, re.M)
    t.check("the guest writes 1 MiB of new data to the disk", mm and "WRITTEN" in out, "got %r" % out)
    written_md5 = mm.group(1) if mm else None
    _, rows = __import__("linux_checks").interrupts(vm)
    virtio = [v for k, v in rows.items() if "79" in k.split() and "virtio0" in k]
    t.check("the device's interrupt (INTID 79, GICv3 SPI 47) reached the guest: %s [issue 5: "
            "hardware-linked SPI]" % (virtio[0] if virtio else None),
            virtio and sum(virtio[0]) > 0, "rows %r" % rows)
    timed_read(t, vm, "Tandem direct-mapped")
    out = vm.run("dd if=/dev/vda bs=65536 count=%d 2>/dev/null | md5sum" % (FILE_BYTES // 65536))
    t.check("the device still works after the throughput run (same MD5)", out.split()[:1] == [file_md5])

if written_md5:
    with open(disk, "rb") as f:
        f.seek(WRITE_OFFSET)
        host_md5 = hashlib.md5(f.read(FILE_BYTES)).hexdigest()
    t.check("after QEMU exits, the host finds the guest's new data on the disk image (MD5 %s) "
            "[issue 5: write check on the host]" % written_md5, host_md5 == written_md5,
            "host %s" % host_md5)

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
