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
  tools/bench/trace-paths.py --scenario lat-solo --samples --lat-n 1000 --lines 3
                                                        # each slow timer sample, explained

--samples (lat-solo): every timer tick's latency rebuilt from the trace, and for each one above
--over ticks the EL2 episodes between the tick's expiry and the RTOS's stamp (where in which
episode the tick fell). Time in the trace: one retired instruction is one counter tick (icount
shift=4: 16 ns an instruction, the counter at 62.5 MHz); a guest instruction that traps
synchronously (but HVC) did not retire; a WFI ends at the next expiry, so time is anchored
again at each wake-up by the RTOS's tick (release k is k periods after the first).

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
    if args.scenario == "lat-solo":
        subst = dict(subst, RTOS_ARGS="lat_hz=%d lat_n=%d maxcpus=1" % (args.lat_hz, args.lat_n))
        stop_count = args.lines
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


RTOS_BASE = 0x40000000  # the RTOS VM's RAM (IPA, and VA: its MMU maps one to one); rtos.elf at 0
P_VECTOR_IRQ, P_VECTOR_FIQ = 0x480, 0x500  # EL2 vectors: IRQ, FIQ from a lower EL (AArch64)
EXCEPTIONS_RETIRED = ("trap_hvc", "vcpu_trap_hvc_fast")  # an HVC retires before its trap


class Rtos:
    """Where the RTOS (build/rtos.elf) stamps a timer interrupt, and its WFIs."""

    def __init__(self, elf):
        nm = subprocess.run(["aarch64-linux-gnu-nm", "-n", elf], check=True, capture_output=True,
                            text=True).stdout
        sym = {p[2]: int(p[0], 16) for p in (line.split() for line in nm.splitlines())
               if len(p) == 3}
        dis = subprocess.run(["aarch64-linux-gnu-objdump", "-d", elf], check=True,
                             capture_output=True, text=True).stdout
        # el1_irq's counter read: "the IRQ entry" the latency benchmark stamps (exceptions.S)
        irq = re.search(r"^\s*([0-9a-f]+) <el1_irq>:\n((?:\s+[0-9a-f]+:.*\n)+)", dis, re.M)
        stamp = re.search(r"^\s*([0-9a-f]+):\s+\S+\s+mrs\s+x0, cntvct_el0", irq.group(2), re.M)
        self.stamp = RTOS_BASE + int(stamp.group(1), 16)
        self.wfi = {RTOS_BASE + int(m.group(1), 16)
                    for m in re.finditer(r"^\s*([0-9a-f]+):\s+d503207f\s+wfi", dis, re.M)}
        assert sym.get("el1_irq") is not None


def instructions(trace):
    """cpu 0's executed PCs, in order (a TB logged again after an icount exit counted once)."""
    pcs, last = [], None
    with open(trace, errors="replace") as f:
        for line in f:
            m = TRACE_RE.match(line)
            if not m or m.group(1) != "0":
                continue
            pc = int(m.group(2), 16)
            if pc != last:
                pcs.append(pc)
            last = pc
    return pcs


def samples(pcs, syms, rtos, period):
    """Each tick: (k, latency or None, stamp index, expiry index), and the EL2 episodes."""
    eps, cur = [], None
    vec_lo = syms.el2_vectors
    for i, pc in enumerate(pcs):
        el2 = syms.is_el2(pc)
        if el2 and vec_lo <= pc < vec_lo + 0x800 and (pc - vec_lo) % 0x80 == 0:
            if cur is not None:
                eps.append((cur, i))
            cur = i
        elif not el2 and cur is not None:
            eps.append((cur, i))
            cur = None
    # retired instructions up to each index: a synchronous trap's guest instruction (but HVC) not
    skip = set()
    for s_, e_ in eps:
        if pcs[s_] - vec_lo == 0x400 and s_ and not syms.is_el2(pcs[s_ - 1]):
            names = {syms.name(pc) for pc in pcs[s_:e_]}
            if not names & set(EXCEPTIONS_RETIRED):
                skip.add(s_ - 1)
    t, acc = [], 0
    for i in range(len(pcs)):
        t.append(acc)
        acc += i not in skip
    out, k, offset, woke = [], -1, None, False
    for i, pc in enumerate(pcs):
        if woke:  # the first instruction after a WFI: time is the expiry that woke it
            woke = False
            offset = (k + 1) * period - t[i] if pc - vec_lo == P_VECTOR_IRQ else None
        if pc in rtos.wfi:
            woke, offset = True, None
        elif pc == rtos.stamp:
            k += 1
            # the stamp's mrs reads the counter as of its own retirement: + 1
            lat = t[i] + 1 + offset - k * period if offset is not None else None
            fire = bisect.bisect_left(t, t[i] + 1 - lat) if lat is not None else None
            out.append((k, lat, i, fire))
    return out, eps


def explain(pcs, syms, rtos, period, over):
    ticks, eps = samples(pcs, syms, rtos, period)
    starts = [s_ for s_, _ in eps]
    known = [lat for _, lat, _, _ in ticks if lat is not None]
    lines = ["%d ticks, %d with a known expiry" % (len(ticks), len(known))]
    hist = collections.Counter(known)
    lines.append("latency histogram (ticks: count): " + ", ".join(
        "%d: %d" % kv for kv in sorted(hist.items())))
    for k, lat, stamp, fire in ticks:
        if lat is None or lat <= over:
            continue
        lines.append("")
        lines.append("tick %d: %d ticks from expiry to the RTOS's stamp" % (k, lat))
        j = max(bisect.bisect_right(starts, fire) - 1, 0)
        while j < len(eps) and eps[j][0] < stamp:
            s_, e_ = eps[j]
            if e_ > fire:
                where = ("  <- expired %d in, %d left" % (fire - s_, e_ - fire)
                         if s_ <= fire else "")
                lines.append("  EL2 %+d..%+d  %s, %d instructions%s" % (
                    s_ - fire, e_ - fire, classify(pcs[s_:e_], syms), e_ - s_, where))
            j += 1
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
    ap.add_argument("--samples", action="store_true",
                    help="lat-solo: explain each timer sample above --over ticks")
    ap.add_argument("--over", type=int, default=192, help="--samples: ticks")
    ap.add_argument("--lat-hz", type=int, default=1000, help="lat-solo: the RTOS's lat_hz")
    ap.add_argument("--lat-n", type=int, default=200, help="lat-solo: the RTOS's lat_n")
    ap.add_argument("--lines", type=int, default=1, help="lat-solo: LAT lines traced")
    args = ap.parse_args()
    if args.samples and args.scenario != "lat-solo":
        sys.exit("trace-paths: --samples is for --scenario lat-solo")
    syms = Symbols(os.path.join(args.build, "tandem.elf"))
    trace = args.trace
    if not trace:
        d = os.path.join(os.path.abspath(args.build), "trace")
        os.makedirs(d, exist_ok=True)
        trace = os.path.join(d, "%s.trace" % args.scenario)
        run(args, trace)
    if args.samples:
        period = 62500000 // args.lat_hz  # the RTOS's period in counter ticks (62.5 MHz)
        print(explain(instructions(trace), syms, Rtos(os.path.join(args.build, "rtos.elf")),
                      period, args.over))
    else:
        print(report(episodes(trace, syms), syms, args.min_count, args.top))
    if not args.trace and not args.keep:
        os.unlink(trace)


if __name__ == "__main__":
    main()
