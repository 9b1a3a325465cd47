#!/usr/bin/env python3
"""Tandem's benchmarks side by side: the same RTOS image (build/images/rtos.bin) and Linux image
on bare metal (EL1), under Tandem, under Xen 4.17 dom0less (Debian's binary: credit2,
vwfi=native; and built from Debian's source with the null scheduler, the RTOS alone in a
boot-time null cpupool) and under Bao (built from BAO_SRC), on the same QEMU virt machine.
Writes build/bench/results.csv, results.md and PNG plots; prints a progress line per run and the
final table.

    tools/bench/bench.py [--build build] [--quick] [--reps 5] [--only NAME,...]
                         [--bao-src TARBALL|DIR] [--bao-patches DIR]

Timing: under -icount shift=4,sleep=off (one counter tick is about one instruction; runs repeat
exactly) wherever it works. Debian's Xen hangs under -icount with 2 or more pCPUs on QEMU 7.2
(its wait loops spin without YIELD): its multi-pCPU rows are n/a there, while the peers built
here carry a YIELD patch and run them. The multi-pCPU scenarios (co-run, SGI) also run in plain
TCG, --reps times, reported as min and median and labelled so.
The peers (Xen null, Bao) are set up by the bench itself (tools/peers/xen-null.sh, bao.py) and
left out of --quick; when one cannot be built its rows say why.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parse  # noqa: E402
import report  # noqa: E402
from bao import BaoError  # noqa: E402
from platforms import TOP, Platform  # noqa: E402
from qemu import Qemu  # noqa: E402

ICOUNT = "icount"
XEN = "Xen credit2"  # Debian's xen-hypervisor-4.17-arm64
XEN_NULL = "Xen null"  # Debian's source, null scheduler, boot-time cpupool (tools/peers/xen-null.sh)
BAO = "Bao"
DIRECT = "Tandem direct"  # configs/bench/rtos.dts with irq = "direct"
PT_UART = "Tandem (PL011 passed through)"  # configs/bench/rtos-uart.dts: console = "rtos"
XEN_SMP_NA = "n/a (Debian's Xen hangs under icount with >1 pCPU)"
RESERVATION = (200, 1000)  # the RTOS's budget-us / period-us in the "dynamic resv" rows
LAT_METRICS = ("irq_min", "irq_avg", "irq_max", "task_min", "task_avg", "task_max")


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.plat = Platform(args.build, args.bao_src, args.bao_patches)
        self.out = os.path.abspath(args.out) if args.out else os.path.join(
            os.path.abspath(args.build), "bench", "quick" if args.quick else "")
        self.logs = os.path.join(self.out, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.rows = []
        self.extra_pngs = []  # made by scenario scripts (cpufreq.py), listed in results.md
        self.hists = {}  # (scenario, platform, timing, kind) -> {lo: [width, count]}
        self.started = time.monotonic()
        self.runs = 0

    # ---- bookkeeping ----
    def progress(self, msg):
        print("[bench %5.0fs] %s" % (time.monotonic() - self.started, msg), flush=True)

    def add(self, scenario, metric, platform, timing, values, unit="ticks", note=""):
        """values: one number (icount), a list (one per repetition), or a string (n/a ...)."""
        row = {"scenario": scenario, "metric": metric, "platform": platform, "timing": timing,
               "unit": unit, "note": note, "reps": 0, "value": "", "min": "", "median": ""}
        if isinstance(values, str):
            row["value"] = values
        elif isinstance(values, list):
            vals = [v for v in values if v is not None]
            if vals:
                row.update(reps=len(vals), min=min(vals), median=statistics.median_low(vals))
                row["value"] = row["median"]
            else:
                row["value"] = "failed"
        else:
            row.update(reps=1, value=values, min=values, median=values)
        self.rows.append(row)

    def add_hist(self, scenario, platform, timing, lat):
        """Adds a merged LAT result's histograms (summed over repetitions and lines)."""
        for kind, buckets in ((lat or {}).get("hist") or {}).items():
            into = self.hists.setdefault((scenario, platform, timing, kind), {})
            for lo, (width, count) in buckets.items():
                into.setdefault(lo, [width, 0])[1] += count

    def na(self, scenario, metrics, platform, timing, why):
        for m in metrics:
            self.add(scenario, m, platform, timing, why)

    # ---- running guests ----
    def run(self, tag, argv, want, timeout, xen=False):
        """Boots argv and feeds each console line (Xen's domU lines reassembled) to want(line),
        which returns True when it has seen enough. Returns True if it did within timeout."""
        self.runs += 1
        log = os.path.join(self.logs, "%s.log" % tag)
        joiner = parse.XenJoiner() if xen else None
        deadline = time.monotonic() + timeout
        t0 = time.monotonic()
        ok = False
        with Qemu(argv, log) as q:
            while True:
                line = q.next_line(deadline)
                if line is None:
                    break
                if joiner and line.startswith("(XEN)"):
                    joined = joiner.feed(line)
                    if joined is None:  # Xen's own line, or half of a split guest line
                        if parse.XEN_DOM_RE.match(line) is None and hasattr(want, "xen_line"):
                            want.xen_line(line)
                        continue
                    line = joined
                if want(line):
                    ok = True
                    break
        self.progress("  %-34s %s (%.0f s wall)" % (tag, "ok" if ok else "TIMEOUT/FAILED",
                                                      time.monotonic() - t0))
        return ok

    def lat_lines(self, tag, argv, skip, count, timeout, xen=False, after=None):
        """The LAT lines count after skip (after a line containing `after`, if given), each with
        the LATHIST lines printed just before it (lat_hist=on) as v["hist"]."""
        got, state = [], {"seen": 0, "armed": after is None, "hist": {}}

        def want(line):
            if not state["armed"]:
                state["armed"] = after in line
                return False
            h = parse.lathist(line)
            if h:
                state["hist"][h["kind"]] = h["buckets"]
                return False
            v = parse.lat(line)
            if v:
                state["seen"] += 1
                v["hist"], state["hist"] = state["hist"], {}
                if state["seen"] > skip:
                    got.append(v)
            return len(got) >= count
        self.run(tag, argv, want, timeout, xen)
        return got

    @staticmethod
    def merge_lat(lines):
        if not lines:
            return None
        n = sum(v["n"] for v in lines)
        return {"irq_min": min(v["irq_min"] for v in lines),
                "irq_avg": round(sum(v["irq_avg"] * v["n"] for v in lines) / n),
                "irq_max": max(v["irq_max"] for v in lines),
                "task_min": min(v["task_min"] for v in lines),
                # the LAT line has the task average in ns only: back to ticks (16 ns at 62.5 MHz)
                "task_avg": round(sum(v["task_avg_ns"] * v["n"] for v in lines) / n / 16),
                "task_max": max(v["task_max"] for v in lines), "n": n,
                # lat_el2=on: the EL2 entries over all the lines' windows
                "el2_entries": (sum(v["el2_entries"] for v in lines)
                                if all("el2_entries" in v for v in lines) else None),
                "hist": Bench.merge_hist(v.get("hist") for v in lines)}

    @staticmethod
    def merge_hist(hists):
        out = {}
        for h in hists:
            for kind, buckets in (h or {}).items():
                into = out.setdefault(kind, {})
                for lo, (width, count) in buckets.items():
                    into.setdefault(lo, [width, 0])[1] += count
        return out

    def bench_lines(self, tag, argv, timeout, xen=False):
        """Everything a bench= boot prints, up to BENCH done."""
        res = {}

        def want(line):
            m = parse.BENCH_STATS_RE.search(line)
            if m:
                res[m.group("name")] = {k: int(m.group(k)) for k in ("min", "med", "avg", "max")}
            m = parse.BENCH_COMPUTE_RE.search(line)
            if m:
                res["compute"] = {"ticks": int(m.group("ticks")), "crc": m.group("crc"),
                                  "el2": None if m.group("el2") == "na" else int(m.group("el2"))}
            m = parse.BENCH_SGI_EL2_RE.search(line)
            if m and int(m.group("n")):
                res["sgi_el2"] = round(int(m.group("el2")) / int(m.group("n")), 2)
            m = parse.BENCH_BOOT_RE.search(line)
            if m:
                res["boot"] = int(m.group("cntpct"))
            if parse.BENCH_FAIL_RE.search(line):
                res.setdefault("fail", []).append(parse.BENCH_FAIL_RE.search(line).group(0))
            return "BENCH done" in line
        res["ok"] = self.run(tag, argv, want, timeout, xen)
        return res

    def peer_runs(self, tag, args, vcpus, smp, mem="1G", icount=True, hogs=None):
        """The peers running the RTOS on pCPUs 0..vcpus-1 (and with hogs, Linux with that many
        CPU hogs on the other pCPUs): [(platform, argv or the reason it cannot run, xen)].
        None in --quick: building them takes minutes."""
        if self.quick:
            return []
        out = []
        xen, why = self.plat.xen_null_binary()
        if xen:
            pools = {"rt": (list(range(vcpus)), "null")}
            doms = [dict(self.rtos_xen_domain(args, vcpus), pool="rt")]
            if smp > vcpus:  # the other pCPUs in a credit2 pool of their own (Linux's, if any)
                pools["linux"] = (list(range(vcpus, smp)), "credit2")
            if hogs is not None:
                doms.append(dict(self.linux_xen_domain(smp - vcpus, hogs), pool="linux"))
            out.append((XEN_NULL, self.plat.xen(tag + "-xen-null", smp, mem, doms, icount=icount,
                                                pools=pools), True))
        else:
            out.append((XEN_NULL, why, True))
        why = self.plat.bao.unavailable()
        if why:
            out.append((BAO, why, False))
        else:
            try:
                self.progress("  building Bao for %s" % tag)
                out.append((BAO, self.plat.bao_rtos(tag, args, vcpus, smp, mem, icount, hogs),
                            False))
            except (BaoError, subprocess.CalledProcessError, OSError) as e:
                self.progress("  Bao for %s: %s" % (tag, e))
                out.append((BAO, "failed (Bao build: %s)" % e, False))
        return out

    # ---- the RTOS's argument sets ----
    def rtos_xen_domain(self, args, cpus=1):
        return {"cpus": cpus, "memory_mb": 128, "kernel": self.plat.rtos_image(), "bootargs": args}

    def linux_xen_domain(self, cpus, hogs):
        k, r = self.plat.linux_images()
        return {"cpus": cpus, "memory_mb": 512, "kernel": k, "ramdisk": r,
                "bootargs": "console=ttyAMA0 rdinit=/init tandem.hogs=%d" % hogs}

    # ---- scenarios ----
    def scenario_lat_solo(self):
        """LAT, the RTOS alone on one pCPU, under icount: bare, Tandem (trapped and, but in
        --quick, direct delivery), the peers."""
        sc = "lat-solo"
        lat_n, skip, count = (200, 1, 1) if self.quick else (1000, 1, 3)
        args = "lat_hz=1000 lat_n=%d maxcpus=1 lat_hist=on" % lat_n
        self.progress("%s: RTOS timer-irq / task wake-up latency, 1 pCPU, icount" % sc)
        timeout = 120 if self.quick else 240
        runs = [
            ("bare", self.plat.bare_rtos(args, 1), False),
            ("Tandem", self.plat.tandem("rtos.dts", {"RTOS_CPUS": "1", "RTOS_ARGS": args}, 1,
                                        "1G"), False),
        ]
        if not self.quick:
            # The RTOS writing the machine's PL011 itself, as under Bao (no console emulation).
            runs.append((PT_UART, self.plat.tandem("rtos-uart.dts", {
                "RTOS_CPUS": "1", "RTOS_ARGS": args}, 1, "1G"), False))
            # lat_el2=on: each LAT line also counts the EL2 entries of its window (an HVC at
            # each end of the window, outside the measured path; every second line printed).
            runs.append((DIRECT, self.plat.tandem("rtos.dts", {
                "RTOS_CPUS": "1", "RTOS_ARGS": args + " lat_el2=on", "RT_IRQ": "direct"}, 1,
                "1G"), False))
        runs += [
            (XEN, self.plat.xen("lat-solo", 1, "1G", [self.rtos_xen_domain(args)]), True),
        ] + self.peer_runs(sc, args, 1, 1)
        for name, argv, xen in runs:
            if isinstance(argv, str):
                self.na(sc, LAT_METRICS, name, ICOUNT, argv)
                continue
            v = self.merge_lat(self.lat_lines("%s-%s" % (sc, slug(name)), argv, skip, count,
                                              timeout, xen))
            self.add_hist(sc, name, ICOUNT, v)
            note = ""
            if name == DIRECT:
                note = ("pool irq = \"direct\": the timer PPI reaches the RTOS's EL1 on the "
                        "physical GIC; EL2 entries over its %d LAT windows: %s (lat_el2=on)"
                        % (count, v["el2_entries"] if v else "?"))
            for m in LAT_METRICS:
                self.add(sc, m, name, ICOUNT, v[m] if v else "failed",
                         note=note if m == "irq_min" else "")
        if not self.quick:
            self.dynamic_rows(sc, ICOUNT, args, 0)

    def scenario_lat_phys(self):
        """LAT with the RTOS on the EL1 physical timer (clock=phys), alone on one pCPU, icount:
        bare; Tandem and Xen, which emulate that timer (trapped registers, a software timer);
        Bao, which leaves it to the guest and passes its PPI through."""
        sc = "lat-phys"
        lat_n, skip, count = (200, 1, 1) if self.quick else (1000, 1, 3)
        args = "lat_hz=1000 lat_n=%d maxcpus=1 lat_hist=on clock=phys" % lat_n
        self.progress("%s: RTOS latency on the EL1 physical timer, 1 pCPU, icount" % sc)
        runs = [
            ("bare", self.plat.bare_rtos(args, 1), False),
            ("Tandem", self.plat.tandem("rtos.dts", {"RTOS_CPUS": "1", "RTOS_ARGS": args}, 1,
                                        "1G"), False),
            (XEN, self.plat.xen("lat-phys", 1, "1G", [self.rtos_xen_domain(args)]), True),
        ] + self.peer_runs(sc, args, 1, 1)
        for name, argv, xen in runs:
            if isinstance(argv, str):
                self.na(sc, LAT_METRICS, name, ICOUNT, argv)
                continue
            v = self.merge_lat(self.lat_lines("%s-%s" % (sc, slug(name)), argv, skip, count,
                                              240, xen))
            self.add_hist(sc, name, ICOUNT, v)
            for m in LAT_METRICS:
                self.add(sc, m, name, ICOUNT, v[m] if v else "failed")

    def corun_tandem(self, sc, config, hogs, icount, tag, args, timeout):
        subst = {"RTOS_ARGS": args, "HOGS": str(hogs)}
        argv = self.plat.tandem(config, subst, 4, "2G", icount=icount)
        return self.merge_lat(self.lat_lines(tag, argv, 0, 1, timeout, after="tandem-hogs:"))

    def scenario_lat_corun_icount(self):
        """LAT with Linux running 3 CPU hogs on the other pCPUs, icount: Tandem only."""
        sc = "lat-corun"
        self.progress("%s: RTOS latency with Linux CPU hogs on the other 3 pCPUs, icount" % sc)
        args = "lat_hz=1000 lat_n=1000 maxcpus=1 lat_hist=on"
        v = self.corun_tandem(sc, "rtos-linux.dts", 3, True, "lat-corun-icount-tandem", args, 600)
        note = ("icount runs the pCPUs round robin on one host thread and virtual time advances "
                "with every pCPU's instructions, so busy pCPUs hold back the RTOS's pCPU by "
                "their time slices: a QEMU artifact, compare co-run in the TCG rows")
        self.add_hist(sc, "Tandem", ICOUNT, v)
        for m in LAT_METRICS:
            self.add(sc, m, "Tandem", ICOUNT, v[m] if v else "failed (see logs)",
                     note=note if m == "irq_min" else "")
        self.na(sc, LAT_METRICS, XEN, ICOUNT, XEN_SMP_NA)
        for name, argv, xen in self.peer_runs(sc, args, 1, 4, "2G", hogs=3):
            if isinstance(argv, str):
                self.na(sc, LAT_METRICS, name, ICOUNT, argv)
                continue
            v = self.merge_lat(self.lat_lines("lat-corun-icount-%s" % slug(name), argv, 0, 1,
                                              900, xen, after="tandem-hogs:"))
            self.add_hist(sc, name, ICOUNT, v)
            for m in LAT_METRICS:
                self.add(sc, m, name, ICOUNT, v[m] if v else "failed (see logs)",
                         note=PEER_CORUN_NOTE[name] if m == "irq_min" else "")
        self.dynamic_rows(sc, ICOUNT, args, 1)

    # The dynamic rows: the RTOS and one Linux vCPU on the single pCPU of a dynamic pool (-smp 1,
    # configs/bench/rtos-linux-dynamic.dts). hogs 0: Linux idle (lat-solo); hogs 1: its vCPU
    # always busy (lat-corun), without and with an EDF reservation for the RTOS.
    DYNAMIC = {"Tandem dynamic": "",
               "Tandem dynamic resv": "budget-us = <%d>; period-us = <%d>;" % RESERVATION}

    def dynamic_lat(self, tag, args, hogs, resv, icount):
        subst = {"RTOS_ARGS": args, "HOGS": str(hogs), "RTOS_RESV": resv}
        argv = self.plat.tandem("rtos-linux-dynamic.dts", subst, 1, "1G", icount=icount)
        skip, count = (1, 3) if icount else (0, 1)
        return self.merge_lat(self.lat_lines(tag, argv, skip, count, 300, after="tandem-hogs:"))

    def dynamic_rows(self, sc, timing, args, hogs, reps=1):
        icount = timing == ICOUNT
        for plat, resv in self.DYNAMIC.items():
            if hogs == 0 and resv:
                continue  # the reservation matters only when Linux competes for the pCPU
            vals = {m: [] for m in LAT_METRICS}
            for r in range(reps):
                tag = "%s-%s-%s-%d" % (sc, timing.split()[0].lower(),
                                       plat.lower().replace(" ", "-").replace("tandem-", ""), r)
                v = self.dynamic_lat(tag, args, hogs, resv, icount)
                self.add_hist(sc, plat, timing, v)
                for m in LAT_METRICS:
                    vals[m].append(v[m] if v else None)
            note = ("the RTOS and %s share one pCPU of a dynamic pool (slice-us 1000)%s" % (
                "an idle Linux vCPU" if hogs == 0 else "a Linux vCPU running a CPU hog",
                ", RTOS reservation %d/%d us" % RESERVATION if resv else ""))
            for m in LAT_METRICS:
                if icount:
                    self.add(sc, m, plat, timing, vals[m][0] if vals[m][0] is not None
                             else "failed (see logs)", note=note if m == "irq_min" else "")
                else:
                    self.add(sc, m, plat, timing, vals[m])

    def tcg_lat_rows(self, sc, timing, name, argv, xen, reps, after=None):
        """reps boots of argv in plain TCG, one LAT line each (after a warm-up one when solo)."""
        if isinstance(argv, str):
            self.na(sc, LAT_METRICS, name, timing, argv)
            return
        vals = {m: [] for m in LAT_METRICS}
        for r in range(reps):
            v = self.merge_lat(self.lat_lines("%s-tcg-%s-%d" % (sc, slug(name), r), argv,
                                              0 if after else 1, 1, 240 if after else 120, xen,
                                              after=after))
            self.add_hist(sc, name, timing, v)
            for m in LAT_METRICS:
                vals[m].append(v[m] if v else None)
        for m in LAT_METRICS:
            self.add(sc, m, name, timing, vals[m])

    def scenario_lat_tcg(self):
        """LAT in plain TCG, reps times, -smp 4: solo on every platform, co-run on the
        hypervisors."""
        reps = self.args.reps
        timing = "TCG x%d" % reps
        args = "lat_hz=1000 lat_n=1000 maxcpus=1 lat_hist=on"
        self.progress("lat-solo/lat-corun: the same in plain TCG, %d repetitions, -smp 4" % reps)
        solo = [
            ("bare", self.plat.bare_rtos(args, 4, "2G", icount=False), False),
            ("Tandem", self.plat.tandem("rtos.dts", {"RTOS_CPUS": "1", "RTOS_ARGS": args}, 4,
                                        "2G", icount=False), False),
            (XEN, self.plat.xen("lat-solo-tcg", 4, "2G", [self.rtos_xen_domain(args)],
                                icount=False), True),
        ] + self.peer_runs("lat-solo-tcg", args, 1, 4, "2G", icount=False)
        for name, argv, xen in solo:
            self.tcg_lat_rows("lat-solo", timing, name, argv, xen, reps)
        self.dynamic_rows("lat-solo", timing, args, 0, reps)
        sc = "lat-corun"
        vals = {m: [] for m in LAT_METRICS}
        for r in range(reps):
            v = self.corun_tandem(sc, "rtos-linux.dts", 3, False, "lat-corun-tcg-tandem-%d" % r,
                                  args, 240)
            self.add_hist(sc, "Tandem", timing, v)
            for m in LAT_METRICS:
                vals[m].append(v[m] if v else None)
        for m in LAT_METRICS:
            self.add(sc, m, "Tandem", timing, vals[m])
        corun = [(XEN, self.plat.xen("lat-corun-tcg", 4, "2G", [self.rtos_xen_domain(args),
                                                                self.linux_xen_domain(3, 3)],
                                     icount=False), True)]
        corun += self.peer_runs("lat-corun-tcg", args, 1, 4, "2G", icount=False, hogs=3)
        for name, argv, xen in corun:
            self.tcg_lat_rows(sc, timing, name, argv, xen, reps, after="tandem-hogs:")
        self.dynamic_rows(sc, timing, args, 1, reps)

    def scenario_bench(self):
        """hvc, mmio, compute and the first-instruction stamp: one boot per platform, icount."""
        n, iters = (200, 5) if self.quick else (1000, 20)
        args = "lat=off maxcpus=1 bench=boot,hvc,mmio,compute bench_n=%d bench_iters=%d" % (n, iters)
        self.progress("hvc/mmio/compute/boot: one pCPU, icount")
        runs = [
            ("bare", self.plat.bare_rtos(args, 1), False),
            ("Tandem", self.plat.tandem("rtos.dts", {"RTOS_CPUS": "1", "RTOS_ARGS": args}, 1,
                                        "1G"), False),
            (XEN, self.plat.xen("bench", 1, "1G", [self.rtos_xen_domain(args)]), True),
        ] + self.peer_runs("bench", args, 1, 1)
        for name, argv, xen in runs:
            if isinstance(argv, str):
                for sc, metric in (("hvc", "round trip"), ("mmio", "round trip"),
                                   ("mmio", "write round trip"),
                                   ("compute", "ticks"), ("compute", "EL2 entries"),
                                   ("boot", "reset to RTOS first instruction")):
                    self.add(sc, metric, name, ICOUNT, argv,
                             unit="entries" if metric == "EL2 entries" else "ticks")
                continue
            r = self.bench_lines("bench-%s" % slug(name), argv, 180, xen)
            empty = r.get("empty", {}).get("min", 0)
            for key, sc, metric in (("hvc", "hvc", "round trip"),
                                    ("mmio", "mmio", "round trip"),
                                    ("mmio-w", "mmio", "write round trip")):
                if name == "bare" and key == "hvc":
                    self.add(sc, metric, name, ICOUNT,
                             "n/a (no EL2: QEMU's own PSCI firmware answers HVC)")
                    continue
                if key in r:
                    note = "median of %d, minus the empty counter-read pair (%d)" % (n, empty)
                    if name == BAO and key == "hvc":
                        note += "; Bao answers SMCCC_VERSION as an unknown call (patch 0002: " \
                            "without the console warning it prints for one)"
                    self.add(sc, metric, name, ICOUNT, r[key]["med"] - empty, note=note)
                else:
                    self.add(sc, metric, name, ICOUNT, "failed")
            c = r.get("compute")
            self.add("compute", "ticks", name, ICOUNT, c["ticks"] if c else "failed",
                     note="%d iterations, crc %s" % (iters, c["crc"]) if c else "")
            el2 = ("0 (no EL2)" if name == "bare" else
                   "n/a (not readable in %s)" % name.split()[0] if name != "Tandem" else
                   c["el2"] if c and c["el2"] is not None else "failed")
            self.add("compute", "EL2 entries", name, ICOUNT, el2, unit="entries")
            self.add("boot", "reset to RTOS first instruction", name, ICOUNT,
                     r["boot"] if "boot" in r else "failed", note="CNTPCT")

    def scenario_sgi(self):
        """SGI cpu0 -> cpu1 of the RTOS, 2 pCPUs: icount (all but Debian's Xen, which hangs
        there) and TCG reps (all)."""
        args = "lat=off maxcpus=2 bench=sgi bench_n=%d" % (200 if self.quick else 1000)
        self.progress("sgi: SGI between two RTOS vCPUs, 2 pCPUs")
        metrics = ("sgi-delivery", "sgi-rtt")

        def runs(ic):
            return [
                ("bare", self.plat.bare_rtos(args, 2, "1G", icount=ic), False),
                ("Tandem", self.plat.tandem("rtos.dts", {"RTOS_CPUS": "2", "RTOS_ARGS": args},
                                            2, "1G", icount=ic), False),
                (XEN, XEN_SMP_NA if ic else self.plat.xen(
                    "sgi-tcg", 2, "1G", [self.rtos_xen_domain(args, 2)], icount=False), True),
            ] + self.peer_runs("sgi-%s" % ("icount" if ic else "tcg"), args, 2, 2, "1G", ic)
        for name, argv, xen in runs(True):
            if isinstance(argv, str):
                self.na("sgi", metrics, name, ICOUNT, argv)
                continue
            r = self.bench_lines("sgi-icount-%s" % slug(name), argv, 180, xen)
            for m in metrics:
                self.add("sgi", m, name, ICOUNT, r[m]["med"] if m in r else "failed",
                         note="median of the run's samples" + (
                             "; with the YIELD patch" if name in (XEN_NULL, BAO) else ""))
            if name == "Tandem":
                self.add("sgi", "EL2 entries of cpu0 per round trip", name, ICOUNT,
                         r.get("sgi_el2", "failed"), unit="entries")
        if self.quick:
            return
        reps = self.args.reps
        for name, argv, xen in runs(False):
            if isinstance(argv, str):
                self.na("sgi", metrics, name, "TCG x%d" % reps, argv)
                continue
            vals = {m: [] for m in metrics}
            for i in range(reps):
                r = self.bench_lines("sgi-tcg-%s-%d" % (slug(name), i), argv, 120, xen)
                for m in metrics:
                    vals[m].append(r[m]["med"] if m in r else None)
            for m in metrics:
                self.add("sgi", m, name, "TCG x%d" % reps, vals[m],
                         note="per run: median of its samples")

    def scenario_linux_boot(self):
        """Reset to the Linux shell marker (TANDEM-LINUX-READY), 1 pCPU, icount."""
        self.progress("linux-boot: reset to the Linux shell marker, 1 pCPU, icount")
        sc, metric = "boot", "reset to Linux shell marker"
        names = ["bare", "Tandem", XEN]
        self.add(sc, metric, XEN_NULL, ICOUNT, "n/a (the null pool holds the RTOS; Linux's "
                 "boot as dom0 is Xen credit2's row)")
        bao_why = self.plat.bao.unavailable()
        if bao_why:
            self.add(sc, metric, BAO, ICOUNT, bao_why)
        else:
            names.append(BAO)
        for name in names:
            got = {}

            def want(line, got=got):
                m = parse.LINUX_COUNTER_RE.search(line)
                if m:
                    got["cntvct"] = int(m.group("cntvct"))
                return "TANDEM-LINUX-READY" in line

            def xen_line(line, got=got):
                m = parse.XEN_STAMP_RE.match(line)
                if m and "LOADING DOMAIN 0" in m.group("text"):
                    got["dom0_created"] = float(m.group("secs"))
            want.xen_line = xen_line
            if name == "bare":
                argv = self.plat.bare_linux("console=ttyAMA0 earlycon=pl011,0x9000000", 1)
                ok = self.run("linux-boot-bare", argv, want, 600)
            elif name == "Tandem":
                argv = self.plat.tandem("linux.dts", {}, 1, "1G")
                ok = self.run("linux-boot-tandem", argv, want, 600)
            elif name == BAO:
                try:
                    # As Tandem's configs/bench/linux.dts: 512 MiB, the same command line.
                    argv = self.plat.bao_linux("linux-boot",
                                               "console=ttyAMA0 earlycon=pl011,0x9000000", 1,
                                               "1G")
                except (BaoError, subprocess.CalledProcessError, OSError) as e:
                    self.add(sc, metric, name, ICOUNT, "failed (Bao build: %s)" % e)
                    continue
                ok = self.run("linux-boot-bao", argv, want, 600)
            else:
                k, r = self.plat.linux_images()
                argv = self.plat.xen("linux-boot", 1, "1G", [], dom0={
                    "kernel": k, "ramdisk": r, "memory_mb": 256,
                    "bootargs": "console=hvc0 earlycon=xen rdinit=/init"},
                    xen_extra="console_timestamps=boot")
                ok = self._run_xen_raw("linux-boot-xen", argv, want, xen_line, 600)
            if not ok or "cntvct" not in got:
                self.add(sc, metric, name, ICOUNT, "failed")
            elif name == XEN:
                if "dom0_created" not in got:
                    self.add(sc, metric, name, ICOUNT, "failed (no dom0 creation stamp)")
                else:
                    self.add(sc, metric, name, ICOUNT,
                             got["cntvct"] + round(got["dom0_created"] * 62500000),
                             note="dom0 CNTVCT + Xen's clock at dom0 creation (console_timestamps)"
                             "; misses Xen's instructions before its timer init")
            else:
                self.add(sc, metric, name, ICOUNT, got["cntvct"], note="CNTVCT (CNTVOFF = 0)")

    def scenario_ttu(self):
        """The power terminal (tools/bench/ttu.py): 32 serial ports host -> guest, TCG wall."""
        self.progress("ttu: 32 serial ports host -> RTOS bare / RTOS under Tandem / Linux")
        names = {"rtos_bare": "RTOS bare (ttu=sink)", "rtos_tandem": "RTOS under Tandem (sink)",
                 "chain": "Tandem: RTOS -> channel -> Linux",
                 "chain_drop": "Tandem: RTOS -> channel -> Linux's driver (no reader)"}
        metrics = {"aggregate": ("host->guest, 32 ports, aggregate", "B/s"),
                   "per_port_min": ("host->guest, slowest port", "B/s"),
                   "linux_doorbell_irqs_per_s": ("Linux doorbell interrupts", "irq/s"),
                   "vs_rtos_bare": ("channel path / RTOS bare", "ratio"),
                   "vs_rtos_tandem": ("channel path / RTOS under Tandem", "ratio"),
                   "4ports_aggregate": ("host->guest, 4 ports only, aggregate", "B/s"),
                   "4ports_per_port_min": ("host->guest, 4 ports only, slowest port", "B/s"),
                   "4ports_vs_rtos_bare": ("4 ports: channel path / RTOS bare", "ratio"),
                   "4ports_vs_rtos_tandem": ("4 ports: channel path / RTOS under Tandem",
                                             "ratio"),
                   "feed_aggregate": ("host->QEMU's 16550s, 32 ports, aggregate", "B/s"),
                   "rtos_irqs_per_kib": ("the RTOS's INTx interrupts per KiB", "irq/KiB"),
                   "rtos_polls_per_kib": ("the RTOS's polls per KiB", "1/KiB"),
                   "rtos_bytes_per_service": ("bytes a port service found", "B"),
                   "rtos_idle_share": ("the RTOS's time in WFI during the transfer", "ratio"),
                   "rtos_throttles": ("times the RTOS found a ring full", "count"),
                   "main_loop_iterations_per_kib": ("QEMU main loop iterations per KiB",
                                                    "1/KiB"),
                   "main_loop_socket_reads_per_kib": ("QEMU main loop socket reads per KiB",
                                                      "1/KiB"),
                   "collector_wakeups_per_kib": ("the collector's wake-ups per KiB", "1/KiB"),
                   "collector_reads_per_kib": ("the collector's reads per KiB", "1/KiB")}
        out = subprocess.run([sys.executable, os.path.join(TOP, "tools", "bench", "ttu.py"),
                              "--build", self.args.build, "--out", os.path.join(self.logs, "ttu"),
                              "--only", "bare,tandem,chain,cost,icount", "--icount-bytes",
                              "16384", "--insns"], capture_output=True, text=True,
                             timeout=3600).stdout
        self.runs += 9
        for m in re.finditer(r"^TTU-BENCH (\w+)=(\S+) unit=(\S+)(?: note=(.*))?$", out, re.M):
            key, value, unit, note = m.groups()
            if re.fullmatch(r"\d+", value):
                value = int(value)
            elif re.fullmatch(r"[\d.]+", value):
                value = float(value)
            if key.startswith("cost_"):
                _, via, what = key.split("_", 2)
                what = {"irqs_per_kib": "device interrupts per KiB",
                        "el2_per_kib": "EL2 entries of its pCPUs per KiB",
                        "cpu_ms_per_kib": "CPU ms per KiB", "rate": "aggregate",
                        "per_port_min": "slowest port",
                        "irqs_per_s": "device interrupts per second",
                        "el2_per_s": "EL2 entries of its pCPUs per second",
                        "cpu_pct": "CPU time during the transfer"}.get(what, what)
                self.add("ttu", "Linux's cost, 4 ports host->Linux: %s" % what,
                         "Linux 8250 driver (passthrough)" if via == "8250" else names["chain"],
                         "TCG wall", value, unit, note or "")
                continue
            m2 = re.fullmatch(r"(\w+?)_icount_(\w+)", key)
            # Under icount the chain's first transfer is read by one collector process, the
            # second by a head -c per port (ttu.py --chain-readers).
            inames = dict(names, chain="Tandem: RTOS -> channel -> Linux, one collector "
                          "(tandem-ttycollect)",
                          chain_head="Tandem: RTOS -> channel -> Linux, a head -c per port")
            if m2 and m2.group(1) in inames:
                what = {"aggregate": "host->guest, 32 ports, aggregate (virtual time)",
                        "rtos_busy_per_kib": "the RTOS's busy ticks per KiB",
                        "rtos_irqs_per_kib": "the RTOS's INTx interrupts per KiB",
                        "rtos_polls_per_kib": "the RTOS's polls per KiB",
                        "rtos_rxcalls_per_kib": "the RTOS's ticks per KiB in the backend's RX "
                        "calls (span, commit)",
                        "rtos_rxcalls_n_per_kib": "the RTOS's backend RX calls per KiB",
                        "linux_insns_per_kib": "Linux's own instructions per KiB (plugin)",
                        "linux_rx_passes_per_kib": "Linux's RX passes per KiB",
                        "linux_rx_polls_per_kib": "Linux's RX passes per KiB started by its poll",
                        "rtos_doorbells_per_kib": "the RTOS's doorbells to Linux per KiB",
                        "rtos_suppressed_per_kib": "max-delay doorbells suppressed per KiB",
                        "linux_nonidle_per_kib": "Linux's non-idle ticks per KiB (/proc/stat)",
                        "linux_sampled_per_kib": "Linux's busy ticks per KiB (tick-sampled)",
                        "rtos_passwork_per_kib": "the RTOS's ticks per KiB in per-pass backend work",
                        "rtos_services_per_kib": "the RTOS's port services (with bytes) per KiB",
                        "rtos_insns_per_kib": "the RTOS's own instructions per KiB (plugin marks)",
                        "insns_vs_rtos_bare": "RTOS bare / this, own instructions per KiB",
                        "rtos_throttles": "times the RTOS found a ring full",
                        "rtos_el2_per_kib": "RTOS pCPU EL2 entries per KiB (not its timer)",
                        "linux_busy_per_kib": "Linux's busy ticks per KiB (both vCPUs)",
                        "vs_rtos_bare": "/ RTOS bare (virtual time)",
                        "linux_capacity": "Linux's 2 vCPUs could absorb (from its cost per KiB)",
                        "linux_capacity_vs_rtos_bare": "Linux's capacity / RTOS bare",
                        "linux_ctxt_per_kib": "Linux's context switches per KiB",
                        "collector_polls_per_kib": "the collector's poll calls per KiB",
                        "collector_wakeups_per_kib": "the collector's wake-ups per KiB",
                        "collector_reads_per_kib": "the collector's reads per KiB",
                        "collector_writes_per_kib": "the collector's file writes per KiB"}.get(
                            m2.group(2), m2.group(2))
                self.add("ttu", what, inames[m2.group(1)], "icount", value, unit, note or "")
                continue
            m2 = re.fullmatch(r"(\w+?)_host_cpu_(\w+)", key)
            if m2 and m2.group(1) in names:
                self.add("ttu", "host CPU per KiB moved: QEMU's %s" % m2.group(2).replace("_", " "),
                         names[m2.group(1)], "TCG host CPU", value, unit, note or "")
                continue
            if key.startswith(("oneway_", "channel_")):
                parts = key.split("_")
                timing = "icount" if parts[1] == "icount" else "TCG wall"
                self.add("ttu", "%s 16 B, %s, %s" % (
                    "one-way host write -> Linux read" if parts[0] == "oneway"
                    else "RTOS read -> Linux read (the channel)", parts[-2], parts[-1]),
                    names["chain"], timing, value, unit, note or "")
                continue
            if key.startswith("rtt_"):
                load, stat = key[4:].split("_")
                self.add("ttu", "round trip 16 B host->Linux->host, %s, %s" % (load, stat),
                         names["chain"], "TCG wall", value, unit, note or "")
                continue
            for prefix, platform in names.items():
                if key.startswith(prefix + "_") and key[len(prefix) + 1:] in metrics:
                    metric, unit = metrics[key[len(prefix) + 1:]]
                    self.add("ttu", metric, platform, "TCG wall", value, unit, note or "")

    CPUFREQ_RUNS = {"tandem": "ondemand, Tandem's load", "linux": "ondemand, Linux's own load",
                    "highest": "always highest"}

    def scenario_cpufreq(self):
        """Frequency scaling (tools/bench/cpufreq.py): the scripted load, ondemand on Tandem's
        load and on Linux's own, energy and reaction times; icount and plain TCG."""
        self.progress("cpufreq: scripted RTOS/Linux load, ondemand on Tandem's or Linux's load")
        out = subprocess.run([sys.executable, os.path.join(TOP, "tools", "bench", "cpufreq.py"),
                              "--build", self.args.build, "--out", self.out],
                             capture_output=True, text=True, timeout=1500).stdout
        self.runs += 2
        notes = {("linux", "icount"): "icount runs the pCPUs round robin on one host thread: while "
                 "the RTOS computes, Linux's vCPUs wait up to QEMU's 100 ms slice with an "
                 "interrupt pending and count that as busy, so Linux's own load follows the "
                 "RTOS here: an artefact, compare the TCG row",
                 ("tandem", "plain TCG"): "plain TCG on a shared host: an idle vCPU's wake-ups take "
                 "host time, so idle Linux pCPUs read 20-80 % busy and the governor flaps "
                 "between points while nothing runs (the icount row has no such noise)"}
        for m in re.finditer(r"^CPUFREQ-BENCH timing=(\S+) run=(\S+) metric=(\S+) value=(\S+) "
                             r"unit=(\S+)(?: note=(.*))?$", out, re.M):
            timing, run, metric, value, unit, note = m.groups()
            timing = ICOUNT if timing == "icount" else "plain TCG"
            if metric in ("wall", "png", "error") or run not in self.CPUFREQ_RUNS:
                if metric == "png":
                    self.extra_pngs.append(value)
                if metric == "error":
                    self.add("cpufreq", "-", "-", timing, "failed: %s" % (note or ""))
                continue
            if re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif re.fullmatch(r"-?[\d.]+", value):
                value = float(value)
            metric = metric.replace("_", " ")
            # One note per row (the metric's own notes are in the scenario's title).
            note = notes.get((run, timing)) if metric == "pattern time" else None
            self.add("cpufreq", metric, self.CPUFREQ_RUNS[run], timing, value, unit, note or "")

    def _run_xen_raw(self, tag, argv, want, xen_line, timeout):
        """dom0's console is Xen's own (hvc0): lines come unprefixed, Xen's with (XEN)."""
        def w(line):
            if line.startswith("(XEN)"):
                xen_line(line)
                return False
            return want(line)
        return self.run(tag, argv, w, timeout)

    # ---- driver ----
    def main(self):
        plan = [("lat-solo", self.scenario_lat_solo), ("bench", self.scenario_bench),
                ("sgi", self.scenario_sgi)]
        if not self.quick:
            plan += [("lat-phys", self.scenario_lat_phys),
                     ("lat-corun", self.scenario_lat_corun_icount),
                     ("lat-tcg", self.scenario_lat_tcg), ("linux-boot", self.scenario_linux_boot),
                     ("ttu", self.scenario_ttu), ("cpufreq", self.scenario_cpufreq)]
        only = set(self.args.only.split(",")) if self.args.only else None
        for name, fn in plan:
            if only and name not in only:
                continue
            try:
                fn()
            except (subprocess.CalledProcessError, OSError) as e:
                self.progress("%s: FAILED: %s" % (name, e))
                self.add(name, "-", "-", "-", "failed: %s" % e)
        wall = time.monotonic() - self.started
        meta = {"quick": self.quick, "reps": self.args.reps, "wall_s": round(wall),
                "runs": self.runs, "qemu": qemu_version(), "extra_pngs": self.extra_pngs}
        table = report.write_all(self.rows, self.out, meta, self.hists)
        print(table)
        self.progress("done: %d QEMU runs; %s/results.csv, results.md, *.png" % (self.runs,
                                                                                self.out))
        return 0 if self.rows else 1


def slug(platform):
    """A platform's name in log file names: "Xen null" -> "xen-null"."""
    return re.sub(r"[^a-z0-9]+", "-", platform.lower()).strip("-")


PEER_CORUN_NOTE = {
    XEN_NULL: "the RTOS alone in a boot-time null-scheduler cpupool on pCPU 0, Linux in a "
              "credit2 pool on pCPUs 1-3; YIELD patch (runs under icount with 4 pCPUs)",
    BAO: "Linux as a second Bao VM on pCPUs 1-3 (it shares the PL011's registers to print "
         "its hog line, loglevel=1); YIELD patch (runs under icount with 4 pCPUs)",
}


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-aarch64", "--version"], capture_output=True, text=True)
        return out.stdout.splitlines()[0]
    except (OSError, IndexError):
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="the make bench-quick subset")
    ap.add_argument("--out", help="output folder (default BUILD/bench, BUILD/bench/quick)")
    ap.add_argument("--reps", type=int, default=5, help="repetitions of plain-TCG runs")
    ap.add_argument("--only", help="comma-separated: lat-solo,bench,sgi,lat-phys,lat-corun,"
                    "lat-tcg,linux-boot,ttu,cpufreq")
    ap.add_argument("--bao-src", default=os.environ.get("BAO_SRC") or None,
                    help="Bao's source tarball or checkout (default: ../shared/peers/"
                    "bao-hypervisor* next to the repository)")
    ap.add_argument("--bao-patches", default=os.environ.get("BAO_PATCHES") or None,
                    help="folder of *.patch applied to Bao (default: ../shared/peers/bao-patches)")
    return Bench(ap.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
