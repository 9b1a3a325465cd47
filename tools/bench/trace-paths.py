#!/usr/bin/env python3
"""Where Tandem's instructions go on each trapped path: boots one benchmark scenario under icount
with QEMU's per-instruction execution trace (-one-insn-per-tb via -singlestep, -d exec,nochain,
switched on through the monitor only once the RTOS runs), cuts the trace into EL2 episodes (from
a vector entry to the eret that leaves EL2, or to the next vector entry), names each episode by
the path it took (the vector and the first handler it reached), and prints per path: episodes,
instructions min/avg/max, and the average instructions per function (tandem.elf's symbols).

  tools/bench/trace-paths.py --scenario lat-solo        # PPI 27 -> guest, bind pool
  tools/bench/trace-paths.py --scenario bench           # null HVC and GICD read
  tools/bench/trace-paths.py --scenario sgi             # SGI between two vCPUs on two pCPUs
  tools/bench/trace-paths.py --scenario dynamic         # RTOS + idle Linux on one dynamic pCPU

Needs a built tree (make all). Writes the raw trace under BUILD/trace/ (deleted unless --keep).
Counts are QEMU-executed AArch64 instructions, exactly what -icount counts.
"""
import argparse
import bisect
import collections
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platforms  # noqa: E402
from qemu import Qemu  # noqa: E402

TRACE_RE = re.compile(r"^Trace (\d+): \S+ \[[0-9a-f]+/([0-9a-f]+)/")

# Scenario: (config, subst, smp, mem, start line, stop line, stop count).
LAT_ARGS = "lat_hz=1000 lat_n=200 maxcpus=1"
SCENARIOS = {
    "lat-solo": ("rtos.dts", {"RTOS_CPUS": "1", "RTOS_ARGS": LAT_ARGS}, 1, "1G", "LAT irq",
                 "LAT irq", 1),
    "bench": ("rtos.dts", {"RTOS_CPUS": "1",
                           "RTOS_ARGS": "lat=off maxcpus=1 bench=hvc,mmio bench_n=200"},
              1, "1G", "RTOS: booted", "BENCH done", 1),
    "sgi": ("rtos.dts", {"RTOS_CPUS": "2", "RTOS_ARGS": "lat=off maxcpus=2 bench=sgi bench_n=200"},
            2, "1G", "RTOS: booted", "BENCH done", 1),
    "dynamic": ("rtos-linux-dynamic.dts", {"RTOS_ARGS": LAT_ARGS, "HOGS": "0", "RTOS_RESV": ""},
                1, "1G", "tandem-hogs:", "LAT irq", 2),
}

# Where an episode's path is named: the first of these it reaches (else its vector).
HANDLERS = [
    "vtimer_irq", "vgic_timer_fast", "maintenance_irq", "timer_irq", "trap_hvc", "trap_dabt", "trap_sysreg",
    "trap_wfx", "trap_iabt", "trap_undef", "console_irq", "passthrough_irq", "vcpu_trap_hvc_fast",
    "vcpu_trap_mmio_fast",
]

# An MMIO episode is named by the device it reached too: the first of these it reached, in this
# order (every access tries vgic_mmio_fast first; the locked halves before the short paths).
MMIO_TARGETS = ["vpl011_fast", "vpl011_mmio", "dist_locked", "vgic_redist_locked", "dist_fast",
                "vgic_redist_fast", "vgic_dist_mmio", "vgic_redist_mmio", "vgic_mmio_fast"]


class Symbols:
    def __init__(self, elf):
        out = subprocess.run(["aarch64-linux-gnu-nm", "-n", elf], check=True,
                             capture_output=True, text=True).stdout
        self.addrs, self.names = [], []
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW":
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2])
            if len(parts) == 3 and parts[2] in ("_etext", "el2_vectors"):
                setattr(self, parts[2].lstrip("_"), int(parts[0], 16))
        self.start = self.addrs[0]

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.names[i] if i >= 0 else "?"

    def is_el2(self, pc):
        return self.start <= pc < self.etext


VECTOR_NAMES = {0x200: "hyp sync", 0x280: "hyp irq", 0x400: "guest sync", 0x480: "guest irq",
                0x500: "guest fiq", 0x580: "guest serror"}


def monitor(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(5)
    s.sendall((cmd + "\n").encode())
    time.sleep(0.3)
    s.close()


def run(args, trace):
    config, subst, smp, mem, start, stop, stop_count = SCENARIOS[args.scenario]
    plat = platforms.Platform(args.build)
    plat.work = os.path.dirname(trace)  # its own .dts copies: a bench may run meanwhile
    mon = os.path.join(os.path.dirname(trace), "monitor.sock")
    if os.path.exists(mon):
        os.unlink(mon)
    argv = plat.tandem(config, dict(subst), smp, mem) + [
        "-singlestep", "-d", "nochain", "-D", trace, "-monitor", "unix:%s,server,nowait" % mon]
    log = trace + ".console"
    on = False
    seen = 0
    with Qemu(argv, log) as q:
        deadline = time.monotonic() + args.timeout
        while True:
            line = q.next_line(deadline)
            if line is None:
                sys.exit("trace-paths: no '%s' before the timeout (console: %s)" % (
                    stop if on else start, log))
            if not on and start in line:
                monitor(mon, "log exec,nochain")
                on = True
                continue
            if on and stop in line:
                seen += 1
                if seen >= stop_count:
                    monitor(mon, "log nochain")
                    break


def episodes(trace, syms):
    """Per CPU, the EL2 instruction runs, cut at vector entries: (cpu, [pc, ...])."""
    cur, last = {}, {}
    out = []
    vec_lo, vec_hi = syms.el2_vectors, syms.el2_vectors + 0x800
    with open(trace, errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line)
            if not m:
                continue
            cpu, pc = int(m.group(1)), int(m.group(2), 16)
            if last.get(cpu) == pc:
                continue  # logged again: an icount exit before it ran (no instruction loops)
            last[cpu] = pc
            el2 = syms.is_el2(pc)
            run_ = cur.get(cpu)
            if el2 and vec_lo <= pc < vec_hi and (pc - vec_lo) % 0x80 == 0:
                if run_:
                    out.append((cpu, run_))
                cur[cpu] = [pc]
            elif el2:
                if run_ is not None:
                    run_.append(pc)
            elif run_:
                out.append((cpu, run_))
                cur[cpu] = None
    return out


def classify(run_, syms):
    vec = VECTOR_NAMES.get(run_[0] - syms.el2_vectors, "vector 0x%x" % (run_[0] - syms.el2_vectors))
    names = set()
    for pc in run_:
        names.add(syms.name(pc))
    found = [h for h in HANDLERS if h in names]
    key = vec + (": " + found[0] if found else "")
    target = [t for t in MMIO_TARGETS if t in names]
    if target:
        key += " -> " + target[0]
    if "pcpu_maybe_switch" in names and "vcpu_enter" in names:
        key += " + switch"
    return key


def report(eps, syms, min_count, top):
    paths = collections.OrderedDict()
    for cpu, run_ in eps:
        key = "cpu%d %s" % (cpu, classify(run_, syms))
        paths.setdefault(key, []).append(run_)
    lines = []
    for key, runs in sorted(paths.items(), key=lambda kv: -len(kv[1])):
        if len(runs) < min_count:
            continue
        lens = [len(r) for r in runs]
        lines.append("### %s: %d episodes, EL2 instructions min %d / avg %.1f / max %d" % (
            key, len(runs), min(lens), sum(lens) / len(lens), max(lens)))
        per = collections.Counter()
        for r in runs:
            for pc in r:
                per[syms.name(pc)] += 1
        lines.append("")
        lines.append("| function | instructions per episode |")
        lines.append("| --- | --- |")
        for name, n in per.most_common(top):
            lines.append("| %s | %.1f |" % (name, n / len(runs)))
        lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--min-count", type=int, default=20,
                    help="paths taken fewer times are not shown")
    ap.add_argument("--top", type=int, default=40, help="functions shown per path")
    ap.add_argument("--trace", help="analyse this existing trace instead of running QEMU")
    ap.add_argument("--keep", action="store_true", help="keep the raw trace")
    args = ap.parse_args()
    syms = Symbols(os.path.join(args.build, "tandem.elf"))
    trace = args.trace
    if not trace:
        d = os.path.join(os.path.abspath(args.build), "trace")
        os.makedirs(d, exist_ok=True)
        trace = os.path.join(d, "%s.trace" % args.scenario)
        run(args, trace)
    print(report(episodes(trace, syms), syms, args.min_count, args.top))
    if not args.trace and not args.keep:
        os.unlink(trace)


if __name__ == "__main__":
    main()
