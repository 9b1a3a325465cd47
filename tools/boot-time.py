#!/usr/bin/env python3
"""Measures the wall-clock time from QEMU's start to the Linux shell marker (TANDEM-LINUX-READY),
booted bare and under Tandem, N times each; prints every run and the median.

  tools/boot-time.py [--build DIR] [-n 5] [--config configs/tests/linux-2vcpu.dts] [--smp 4]
                     [--mem 2G] [--bare-smp 2] [--bare-mem 512M] [--cpu ...] [--only bare|tandem]
                     [-- extra QEMU args, e.g. -icount shift=4,sleep=off]

The bare run uses the VM's shape (--bare-smp/--bare-mem, default 2 CPUs and 512 MiB as in
configs/tests/linux-2vcpu.dts: Linux alone, without the RTOS of configs/default.dts). Wall time on
a loaded 2-core host is noisy: compare medians.
Virtual time is the guest's CNTVCT_EL0 when /init prints the marker: the time since QEMU started
as long as CNTVOFF_EL2 is 0 (bare: no EL2; Tandem: never written). Under
`-- -icount shift=4,sleep=off` it counts instructions (1 tick = 16 ns = 1 instruction) and is
repeatable.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
import harness  # noqa: E402

# Printed by /init just before the marker (guests/linux/tools/counter.c).
COUNTER_RE = r"tandem-counter: cntvct=(\d+) cntfrq=(\d+) ms=\d+\n"  # whole line: a read may end mid-number


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--config", default="configs/tests/linux-2vcpu.dts")
    ap.add_argument("--smp", default="4")
    ap.add_argument("--mem", default="2G")
    ap.add_argument("--bare-smp", default="2")
    ap.add_argument("--bare-mem", default="512M")
    ap.add_argument("--cpu", default=harness.DEFAULT_CPU)
    ap.add_argument("--only", choices=["bare", "tandem"])
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    sys.argv = [sys.argv[0], "--build", args.build]
    t = harness.Test("boot-time")
    results = {}
    vtimes = {}
    for kind in ("bare", "tandem"):
        if args.only and args.only != kind:
            continue
        times = []
        for i in range(args.n):
            if kind == "bare":
                boot = t.boot("bare-%d" % i, bare=True, smp=args.bare_smp, mem=args.bare_mem,
                              cpu=args.cpu, extra=args.extra)
            else:
                boot = t.boot("tandem-%d" % i, config=args.config, smp=args.smp, mem=args.mem,
                              cpu=args.cpu, extra=args.extra)
            with boot as vm:
                m = vm.expect(COUNTER_RE, harness.BOOT_TIMEOUT)
                vm.expect(harness.LINUX_READY, 30)
                wall = vm.elapsed()
                virt = int(m.group(1)) / int(m.group(2))
                times.append(wall)
                vtimes.setdefault(kind, []).append(virt)
                print("%-6s run %d: %.2f s wall, %.3f s virtual (guest CNTVCT at the marker)"
                      % (kind, i + 1, wall, virt))
                sys.stdout.flush()
        if times:
            results[kind] = statistics.median(times)
    for kind, med in results.items():
        print("%-6s median of %d: %.2f s wall, %.3f s virtual to the shell marker"
              % (kind, args.n, med, statistics.median(vtimes[kind])))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
