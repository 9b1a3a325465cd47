#!/usr/bin/env python3
"""The frequency-scaling benchmark (issue 14): a scripted load on the domain's pCPUs, the
ondemand governor of the privileged Linux deciding from Tandem's load (tandem_cpufreq) and then
from Linux's own (module unloaded), under -icount shift=4,sleep=off.

    tools/bench/cpufreq.py [--build build] [--out DIR]

configs/bench/cpufreq.dts: one domain "cluster" over pCPUs 0-2 (Linux on 0-1, the RTOS on bind
pCPU 2), points 400/800/1200/1600 MHz at 120/300/600/1100 mW, no floor; pCPU 3 outside it takes
the console, so the dumps this script asks for (Ctrl-A f, about 4 a second) load no pCPU of the
domain. The load pattern, timed by the guests in virtual time:

    RTOS:  phases i2 b5 i5        (idle 2 s, compute loop 5 s, idle 5 s: the RTOS shell)
    Linux: idle 2 s, 2 CPU hogs 5 s, idle 5 s   (a shell line, steps stamped with tandem-counter)

Every figure comes from counter ticks (62.5 MHz): the guests' step stamps (CNTVCT, CNTVOFF = 0)
and Tandem's dumps (the clock changes with their tick, each pCPU's busy ticks at one tick), so
all of them are virtual time. Energy is Tandem's model: the time at each point (from the change
log) times the point's power-mw, over the pattern's window, against the same window at the
highest point. Prints one `CPUFREQ-BENCH key=value unit=U [note=...]` line per figure (read by
bench.py), and writes cpufreq-timeline.csv and cpufreq-<run>.png (gnuplot) to --out.
"""
import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402
from platforms import ICOUNT, Platform  # noqa: E402

POLICY = "/sys/devices/system/cpu/cpufreq/policy0"
DOMAIN = "cluster"
PCPUS = (0, 1, 2)
HZ = 62500000
RTOS_PATTERN = "phases i2 b5 i5"
# Stamped before the hogs start and after they are gone (the kill reaped by wait): the steps
# in the load itself, not in the shell's bookkeeping.
LINUX_PATTERN = ("echo LOADSTEP idle $(tandem-counter); sleep 2; echo LOADSTEP busy $(tandem-counter); "
                 "for i in 1 2; do (while :; do :; done) & done; sleep 5; "
                 "kill $(jobs -p); wait 2>/dev/null; echo LOADSTEP idle $(tandem-counter); "
                 "sleep 5; echo LOADSTEP done $(tandem-counter)")
SUMMARY_RE = re.compile(r"tandem: freq %s: cpus=\S+ cur_khz=(\d+) req_khz=(\d+)" % DOMAIN)
BUSY_RE = re.compile(r"tandem: freq %s: busy now=(\d+)((?: \d+=(?:\d+|-))+)" % DOMAIN)
CHANGES_RE = re.compile(r"tandem: freq %s: changes((?: \d+=\d+)+)" % DOMAIN)
LOST_RE = re.compile(r"tandem: freq %s: changes lost=(\d+)" % DOMAIN)
RTOS_STEP_RE = re.compile(r"RTOS: phase (busy|idle) \d+ s at cntvct=(\d+)")
RTOS_DONE_RE = re.compile(r"RTOS: phases (done) at cntvct=(\d+)")
LINUX_STEP_RE = re.compile(r"LOADSTEP (idle|busy|done) tandem-counter: cntvct=(\d+)")
POWER = {400000: 120, 800000: 300, 1200000: 600, 1600000: 1100}  # configs/bench/cpufreq.dts
RUNS = (("tandem", "Tandem's load", "ondemand deciding from Tandem's load (tandem_cpufreq)"),
        ("linux", "Linux's own load", "ondemand deciding from Linux's own load (module unloaded)"))


def emit(timing, run, metric, value, unit, note=""):
    print("CPUFREQ-BENCH timing=%s run=%s metric=%s value=%s unit=%s%s" % (
        timing, run, metric.replace(" ", "_"), value, unit, (" note=" + note) if note else ""),
        flush=True)


def progress(msg):
    print("# cpufreq: %s" % msg, flush=True)


class Run:
    """One boot; the pattern run twice: Tandem's load, then Linux's own."""

    def __init__(self, vm):
        self.vm = vm

    def dump(self):
        self.vm.send("\x01f", newline=False)

    def pump(self, pattern, timeout, since, every=0.25):
        """Dumps every `every` s (wall) until pattern shows after since; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            self.dump()
            self.vm.drain(every)
            m = rx.search(self.vm.text, since)
            if m:
                return m
            if time.monotonic() > deadline or not self.vm.alive():
                raise harness.Timeout("no /%s/ within %d s" % (pattern, timeout))

    def settle_low(self, timeout=120):
        """Waits (dumping) until the domain runs at its lowest point."""
        start = self.vm.mark()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.dump()
            self.vm.drain(0.5)
            got = SUMMARY_RE.findall(self.vm.text, start)
            if got and got[-1][0] == "400000":
                return True
        return False

    def pattern(self):
        """Runs the RTOS's, then Linux's load pattern; the console span it printed."""
        start = self.vm.mark()
        self.vm.focus("rtos")
        self.vm.send(RTOS_PATTERN)
        self.pump(RTOS_DONE_RE.pattern, 300, start)
        self.vm.focus(self.vm.shell_vm)
        self.vm.settle_prompt()
        mid = self.vm.mark()
        self.vm.send(LINUX_PATTERN)
        self.pump(r"LOADSTEP done tandem-counter: cntvct=\d+", 300, mid)
        self.vm.drain(0.5)
        self.dump()  # one more: the changes and busy figures up to the end
        self.vm.drain(1)
        return start, self.vm.mark()


def parse_span(text):
    """What one pattern printed: its segments (one per guest: [first step, done), the steps
    (tick, guest, busy|idle) in it), the dumps' busy figures and the clock changes."""
    segments = []
    for who, rxs in (("rtos", (RTOS_STEP_RE, RTOS_DONE_RE)), ("linux", (LINUX_STEP_RE,))):
        steps = sorted((int(t), who, k) for rx in rxs for k, t in rx.findall(text))
        done = [t for t, _, k in steps if k == "done"]
        steps = [s for s in steps if s[2] != "done"]
        if steps and done:
            segments.append({"who": who, "start": steps[0][0], "end": done[-1], "steps": steps})
    busy = []
    for now, rest in BUSY_RE.findall(text):
        per = {int(c): (None if v == "-" else int(v))
               for c, v in re.findall(r"(\d+)=(\d+|-)", rest)}
        busy.append((int(now), per))
    busy.sort()
    changes = sorted({(int(at), int(khz)) for line in CHANGES_RE.findall(text)
                      for at, khz in re.findall(r"(\d+)=(\d+)", line)})
    lost = sum(int(n) for n in LOST_RE.findall(text))
    return {"segments": segments, "busy": busy, "changes": changes, "lost": lost}


def point_at(changes, tick, before):
    """The domain's kHz at tick, given the changes (before: the point before the first)."""
    khz = before
    for at, k in changes:
        if at > tick:
            break
        khz = k
    return khz


def time_at_points(changes, start, end, before):
    """{kHz: ticks} spent at each point over [start, end)."""
    out = {}
    khz, at = point_at(changes, start, before), start
    for t, k in changes:
        if t <= start:
            continue
        if t >= end:
            break
        out[khz] = out.get(khz, 0) + t - at
        khz, at = k, t
    out[khz] = out.get(khz, 0) + end - at
    return out


def reactions(seg, changes, before, lo, hi):
    """Per load step of a segment: ticks from the step until the clock first runs at the point
    its load calls for (the highest after busy, the lowest after idle that follows busy; 0 if it
    already did), None if it never did before the next step."""
    out = []
    steps = seg["steps"]
    for i, (at, who, kind) in enumerate(steps):
        if i == 0 or kind == steps[i - 1][2]:
            continue  # the opening idle step, or no change of load
        nxt = steps[i + 1][0] if i + 1 < len(steps) else seg["end"]
        want = hi if kind == "busy" else lo
        if point_at(changes, at, before) == want:
            out.append((who, kind, 0))
            continue
        hit = [t for t, k in changes if at <= t < nxt and k == want]
        out.append((who, kind, hit[0] - at if hit else None))
    return out


class Timeline:
    """Maps the segments onto one axis: segment k's ticks to seconds after the previous
    segments (the host's gaps between them, idle, are left out)."""

    def __init__(self, segments):
        self.segs, off = [], 0.0
        for seg in segments:
            self.segs.append((seg["start"], seg["end"], off))
            off += (seg["end"] - seg["start"]) / HZ
        self.length = off

    def sec(self, tick):
        for start, end, off in self.segs:
            if start <= tick <= end:
                return off + (tick - start) / HZ
        return None

    def clip(self, a, b):
        """The parts of [a, b) inside segments, as (from s, to s)."""
        out = []
        for start, end, off in self.segs:
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                out.append((off + (lo - start) / HZ, off + (hi - start) / HZ))
        return out


def loads(span, tl):
    """Per pCPU, (from s, to s, load %) between successive dumps, clipped to the segments."""
    b = span["busy"]
    out = {c: [] for c in PCPUS}
    for (t0, p0), (t1, p1) in zip(b, b[1:]):
        if t1 <= t0:
            continue
        for c in PCPUS:
            if p0.get(c) is None or p1.get(c) is None:
                continue
            pct = min(100.0, 100.0 * (p1[c] - p0[c]) / (t1 - t0))
            out[c].extend((a, z, pct) for a, z in tl.clip(t0, t1))
    return out


def clock_steps(span, tl, before):
    """(s, MHz) corners of the clock's step line over the segments."""
    pts = []
    for start, end, off in tl.segs:
        khz = point_at(span["changes"], start, before)
        pts.append((off, khz // 1000))
        for at, k in span["changes"]:
            if start < at < end:
                pts.append((tl.sec(at), khz // 1000))
                pts.append((tl.sec(at), k // 1000))
                khz = k
        pts.append((off + (end - start) / HZ, khz // 1000))
    return pts


def plot(tag, title, span, before, out_dir):
    if not shutil.which("gnuplot"):
        return None
    tl = Timeline(span["segments"])
    dat = os.path.join(out_dir, "cpufreq-%s.dat" % tag)
    with open(dat, "w") as f:
        for c, rows in loads(span, tl).items():
            f.write("# pCPU %d load\n" % c)
            for a, z, pct in rows:
                f.write("%.4f %.2f\n%.4f %.2f\n" % (a, pct, z, pct))
            f.write("\n\n")
        f.write("# clock\n")
        f.writelines("%.4f %d\n" % p for p in clock_steps(span, tl, before))
    png = os.path.join(out_dir, "cpufreq-%s.png" % tag)
    marks = []
    for seg in span["segments"]:
        for at, who, kind in seg["steps"]:
            x = tl.sec(at)
            marks.append("set arrow from %.4f, graph 0 to %.4f, graph 1 nohead dt 2 "
                         "lc rgb '#888888'" % (x, x))
            marks.append("set label \"%s %s\" at %.4f, graph 0.6 rotate by 90 center "
                         "font ',7' noenhanced" % ("RTOS" if who == "rtos" else "Linux",
                                                   "busy" if kind == "busy" else "idle",
                                                   x + 0.12))
    script = "\n".join([
        "set terminal pngcairo size 900,560 font 'sans,9'",
        "set output '%s'" % png,
        "set multiplot layout 2,1 title \"%s\" noenhanced" % title.replace('"', "'"),
        "set xrange [0:%.2f]" % tl.length, "set grid", "set key outside right noenhanced",
    ] + marks + [
        "set ylabel 'pCPU load (%)'", "set yrange [-5:105]",
        "plot '%s' index 0 using 1:2 with lines lw 2 title 'pCPU 0 (Linux)', "
        "'' index 1 using 1:2 with lines lw 2 title 'pCPU 1 (Linux)', "
        "'' index 2 using 1:2 with lines lw 2 title 'pCPU 2 (RTOS)'" % dat,
        "unset label",
        "set ylabel 'domain clock (MHz)'", "set yrange [300:1700]",
        "set xlabel 'pattern time (s, guest counter; the host gap between the RTOS and the "
        "Linux part left out)'",
        "plot '%s' index 3 using 1:2 with lines lw 2 lc rgb '#c00000' title 'operating point'"
        % dat,
        "unset multiplot",
    ])
    res = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if res.returncode != 0:
        progress("gnuplot: %s" % res.stderr.strip())
        return None
    return png


def figures(timing, run, span, before, rows):
    khzs = sorted(POWER)
    lo, hi = khzs[0], khzs[-1]
    at, length = {}, 0
    for seg in span["segments"]:
        length += seg["end"] - seg["start"]
        for k, t in time_at_points(span["changes"], seg["start"], seg["end"], before).items():
            at[k] = at.get(k, 0) + t
    energy = sum(t * POWER[k] for k, t in at.items()) / HZ  # mW * s = mJ
    highest = length * POWER[hi] / HZ
    emit(timing, run, "pattern time", round(length / HZ, 2), "s")
    emit(timing, run, "energy", round(energy), "mJ")
    emit(timing, run, "energy vs always-highest", round(100.0 * energy / highest, 1), "%",
         "always at 1600 MHz: %d mJ" % round(highest))
    emit(timing, "highest", "pattern time", round(length / HZ, 2), "s")
    emit(timing, "highest", "energy", round(highest), "mJ")
    emit(timing, "highest", "energy vs always-highest", 100.0, "%")
    for seg in span["segments"]:
        # The performance side of the energy figure: how much of the guest's busy time the
        # domain ran at its highest point.
        steps = seg["steps"] + [(seg["end"], None, None)]
        busy_t = high_t = 0
        for (t, _, kind), (nxt, _, _) in zip(steps, steps[1:]):
            if kind == "busy":
                busy_t += nxt - t
                high_t += time_at_points(span["changes"], t, nxt, before).get(hi, 0)
        who = "RTOS" if seg["who"] == "rtos" else "Linux"
        if busy_t:
            emit(timing, run, "%s busy time at 1600 MHz" % who,
                 round(100.0 * high_t / busy_t, 1), "%")
        for _, kind, dt in reactions(seg, span["changes"], before, lo, hi):
            emit(timing, run, "%s %s to %d MHz" % (who, kind, (hi if kind == "busy" else lo)
                                                   // 1000),
                 round(dt / HZ * 1000, 1) if dt is not None else "none", "ms",
                 "" if dt is not None else "no change before the next step")
    emit(timing, run, "clock changes", sum(1 for t, _ in span["changes"] for seg in
                                           span["segments"] if seg["start"] <= t < seg["end"]),
         "changes", "lost from the log: %d" % span["lost"] if span["lost"] else "")
    tl = Timeline(span["segments"])
    for c, rows_c in loads(span, tl).items():
        rows.extend({"timing": timing, "run": run, "what": "load_pcpu%d" % c, "from_s": round(a, 4),
                     "to_s": round(z, 4), "value": round(pct, 2)} for a, z, pct in rows_c)
    rows.extend({"timing": timing, "run": run, "what": "clock_mhz", "from_s": round(s, 4),
                 "to_s": "", "value": mhz} for s, mhz in clock_steps(span, tl, before))
    for seg in span["segments"]:
        rows.extend({"timing": timing, "run": run, "what": "step_%s_%s" % (who, kind),
                     "from_s": round(tl.sec(t), 4), "to_s": "", "value": ""}
                    for t, who, kind in seg["steps"])


def scenario(plat, timing, out, rows):
    """One boot in the given timing ("icount" or "tcg"): both runs."""
    argv = plat.tandem("cpufreq.dts", {}, 4, "2G", icount=timing == "icount")
    log = os.path.join(out, "logs", "cpufreq-%s.log" % timing)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    vm = harness.Console(argv, log)
    try:
        vm.login(600)
        progress("%s: Linux up after %.0f s wall" % (timing, vm.elapsed()))
        vm.run("modprobe cpufreq-dt && modprobe cpufreq_ondemand && echo ondemand > "
               "%s/scaling_governor && modprobe tandem_cpufreq" % POLICY, 60)
        driver = Run(vm)
        for run, _, title in RUNS:
            if run == "linux":
                vm.run("rmmod tandem_cpufreq", 60)
            if not driver.settle_low():
                progress("%s %s: the domain did not settle at its lowest point" % (timing, run))
            start, end = driver.pattern()
            span = parse_span(vm.text[start:end])
            # The clock before the span: the last change logged before it.
            before = point_at(parse_span(vm.text[:end])["changes"],
                              span["segments"][0]["start"], 400000)
            progress("%s %s: %d segments, %d changes, %.0f s wall so far" % (
                timing, run, len(span["segments"]), len(span["changes"]), vm.elapsed()))
            figures(timing, run, span, before, rows)
            png = plot("%s-%s" % (run, timing), "Domain %s (pCPUs 0-2), %s: %s" % (
                DOMAIN, "icount" if timing == "icount" else "plain TCG", title), span, before,
                out)
            if png:
                emit(timing, run, "png", os.path.basename(png), "file")
    finally:
        vm.close()
    return vm.elapsed()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default=None)
    ap.add_argument("--timing", default="icount,tcg", help="icount, tcg or both (comma)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    out = os.path.abspath(args.out or os.path.join(build, "bench"))
    os.makedirs(out, exist_ok=True)
    plat = Platform(build)
    rows, status = [], 0
    for timing in args.timing.split(","):
        try:
            wall = scenario(plat, timing, out, rows)
            emit(timing, "-", "wall", round(wall), "s")
        except (harness.Timeout, harness.Exited, IndexError) as e:
            emit(timing, "-", "error", "failed", "-", str(e).splitlines()[0] if str(e) else
                 type(e).__name__)
            status = 1
    with open(os.path.join(out, "cpufreq-timeline.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["timing", "run", "what", "from_s", "to_s", "value"])
        w.writeheader()
        w.writerows(rows)
    return status


if __name__ == "__main__":
    sys.exit(main())
