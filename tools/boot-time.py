#!/usr/bin/env python3
"""Measures the wall-clock time from QEMU's start to the Linux shell marker (TANDEM-LINUX-READY),
booted bare and under Tandem, N times each; prints every run and the median.

  tools/boot-time.py [--build DIR] [-n 5] [--config configs/default.dts] [--smp 4] [--mem 2G]
                     [--bare-smp 2] [--bare-mem 512M] [--cpu ...] [--only bare|tandem]
                     [-- extra QEMU args, e.g. -icount shift=4,sleep=off]

The bare run uses the VM's shape (--bare-smp/--bare-mem, default 2 CPUs and 512 MiB as in
configs/default.dts). Wall time on a loaded 2-core host is noisy: compare medians.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--config", default="configs/default.dts")
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
                vm.expect(harness.LINUX_READY, harness.BOOT_TIMEOUT)
                times.append(vm.elapsed())
                print("%-6s run %d: %.2f s" % (kind, i + 1, times[-1]))
                sys.stdout.flush()
        if times:
            results[kind] = statistics.median(times)
    for kind, med in results.items():
        print("%-6s median of %d: %.2f s to the shell marker" % (kind, args.n, med))
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
