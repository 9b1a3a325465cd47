"""Results out: build/bench/results.csv (one row per scenario, metric, platform and timing),
histograms.csv (the RTOS's latency histograms: one row per bucket), results.md (one table per
scenario) and PNG plots drawn with gnuplot: a bar chart per scenario and timing, and a latency
histogram per scenario, timing and kind (irq, task) with one outline per platform."""
import csv
import os
import shutil
import subprocess

FIELDS = ["scenario", "metric", "platform", "timing", "reps", "value", "min", "median", "unit",
          "vs_bare_diff", "vs_bare_ratio", "note"]
PLATFORMS = ["bare", "Tandem", "Tandem (PL011 passed through)", "Tandem direct", "Tandem dynamic",
             "Tandem dynamic resv",
             "Xen credit2", "Xen null", "Bao"]
# Said under every table and plot: which Xen and Bao these are.
PEERS = ("Xen credit2: Debian's binary, credit2, vwfi=native; Xen null: built from Debian's "
         "source, the RTOS alone in a boot-time null-scheduler cpupool, vwfi=native; Bao: built "
         "from source, vCPUs bound to pCPUs")
PEERS_SHORT = "Xen credit2, vwfi=native; Xen null pool; Bao"

TITLES = {
    "lat-solo": "RTOS timer-interrupt (irq) and task wake-up (task) latency, the RTOS alone on "
                "its pCPU (Tandem: bind pool, WFI native; Tandem dynamic: sharing the one pCPU "
                "of a dynamic pool with an idle Linux vCPU)",
    "lat-phys": "The same on the EL1 physical timer (RTOS clock=phys): under Tandem and Xen its "
                "registers trap and a software timer on the EL2 timer raises PPI 30; Bao leaves "
                "the timer to the guest and passes PPI 30 through",
    "lat-corun": "The same with Linux running CPU hogs: Tandem, Xen and Bao, 3 hogs on a 3-vCPU "
                 "Linux on the other 3 pCPUs; Tandem dynamic, 1 hog on the Linux vCPU sharing the "
                 "RTOS's pCPU, without and with (resv) a 200/1000 us reservation for the RTOS "
                 "(QEMU models no caches or memory bus: these show the hypervisor's own effects "
                 "only; bare metal has no co-run, its figures are the solo ones)",
    "hvc": "Null hypercall round trip from the RTOS: SMCCC_VERSION through HVC #0",
    "mmio": "Emulated MMIO round trip from the RTOS: a GIC distributor register read "
            "(GICD_TYPER); write: a GICD_ICENABLER write masking the last SPI, which nothing uses",
    "sgi": "SGI between two vCPUs of the RTOS (cpu0 -> cpu1): delivery = send to the target's "
           "IRQ vector; rtt = send to the answer's IRQ vector on cpu0",
    "boot": "Time from reset, read from the physical counter",
    "compute": "CoreMark-style compute kernel in the RTOS, and the EL2 entries taken during it",
    "cpufreq": "Frequency scaling (configs/bench/cpufreq.dts, tools/bench/cpufreq.py): domain "
               "\"cluster\" over pCPUs 0-2 (Linux 0-1, the RTOS on bind pCPU 2), 400/800/1200/1600 "
               "MHz at 120/300/600/1100 mW, no floor; the RTOS runs `phases i2 b5 i5`, then Linux "
               "idles 2 s, runs 2 hogs 5 s, idles 5 s. Energy is Tandem's model (time at each point "
               "x its power) over the pattern; busy time at 1600 MHz: the share of each guest's busy "
               "phases the domain ran at its highest point; X busy/idle to N MHz: from the load "
               "step to the clock first running at the point that load calls for (0: it already "
               "did; none: not before the next step). Every figure is from counter ticks: "
               "virtual time under icount, host time in plain TCG (one boot each)",
}
ORDER = ["lat-solo", "lat-phys", "lat-corun", "hvc", "mmio", "sgi", "boot", "compute"]
SETTINGS = """\
- QEMU: `{qemu}`, `-M virt,gic-version=3` (`virtualization=on` for the hypervisors),
  `-cpu max,pauth-impdef=on`; bare metal boots the same image at EL1 with `-kernel`.
- Timing **icount**: `-icount shift=4,sleep=off`. Virtual time advances 16 ns per instruction, so
  one tick of the 62.5 MHz counter is about one instruction; runs repeat exactly. Figures are
  counter ticks; `x` is the ratio and `+` the difference to bare metal in the same timing.
- Timing **TCG xN**: plain TCG (no icount), N runs, shown as `min / median` over the runs; wall-
  clock host noise on 2 shared cores, so compare only within a table. Debian's Xen hangs under
  `-icount` with 2 or more pCPUs on QEMU 7.2, so multi-pCPU rows are also measured this way.
- **Xen credit2**: Debian's `xen-hypervisor-4.17-arm64`, dom0less, **credit2, vwfi=native**
  (Debian builds it without the null scheduler and boot-time cpupools); its domUs are not pinned.
- **Xen null**: Xen 4.17 built from Debian's source package with the null scheduler and boot-time
  cpupools (tools/peers/xen-null.sh), the RTOS alone in a null-scheduler cpupool on its pCPUs
  (Linux, if any, in a credit2 pool on the others), vwfi=native; cpu_relax() patched to YIELD so
  that it runs with several pCPUs under icount.
- **Bao**: built from source (BAO_SRC, patches from BAO_PATCHES, among them YIELD in its boot-time
  wait loops for icount), booted straight from reset; one VM per guest, vCPUs bound to pCPUs,
  the PL011 passed through to the RTOS (no console emulation in Bao).
- Tandem: the RTOS in bind pool "rt" (one vCPU per pCPU, `wfi = "native"`), Linux in dynamic
  pool0 on the other pCPUs; "Tandem direct" is the same bind pool with `irq = "direct"` (the
  RTOS's timer PPI on the physical GIC CPU interface, no EL2 entry; lat-solo only); "Tandem (PL011
  passed through)" is "Tandem" with the machine's PL011 given to the RTOS (`console = "rtos"`,
  configs/bench/rtos-uart.dts: Bao's setup, no console emulation; lat-solo only); "Tandem dynamic" is the RTOS and one Linux vCPU on the single pCPU of
  a dynamic pool (`-smp 1`, slice-us 1000, configs/bench/rtos-linux-dynamic.dts), "resv" with an
  EDF reservation for the RTOS (budget-us 200, period-us 1000).
"""


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def reference(rows, row):
    """The bare-metal row this row compares against (the solo one for co-run rows)."""
    for sc in (row["scenario"], "lat-solo" if row["scenario"] == "lat-corun" else None):
        for r in rows:
            if (r["scenario"] == sc and r["metric"] == row["metric"] and r["platform"] == "bare"
                    and r["timing"] == row["timing"] and is_num(r["value"])):
                return r
    return None


def annotate(rows):
    for r in rows:
        ref = reference(rows, r)
        r["vs_bare_diff"] = r["vs_bare_ratio"] = ""
        if ref and r["platform"] != "bare" and is_num(r["value"]):
            r["vs_bare_diff"] = r["value"] - ref["value"]
            if ref["value"]:
                r["vs_bare_ratio"] = round(r["value"] / ref["value"], 2)


def cell(r):
    if not is_num(r["value"]):
        return str(r["value"])
    if r["timing"].startswith("TCG"):
        text = "%s / %s" % (r["min"], r["median"])
    else:
        text = str(r["value"])
    if r["vs_bare_ratio"] != "":
        text += " (x%s, %+d)" % (r["vs_bare_ratio"], r["vs_bare_diff"])
    return text


def markdown(rows, meta):
    out = ["# Tandem benchmarks: bare metal, Tandem, Xen 4.17 (credit2, vwfi=native; null pool), Bao",
           ""]
    out.append(SETTINGS.format(qemu=meta.get("qemu", "?")))
    out.append("Run: %s, %d QEMU boots, %d s wall.%s" % (
        "make bench-quick" if meta.get("quick") else "make bench", meta.get("runs", 0),
        meta.get("wall_s", 0), " Quick: fewer samples, no co-run, TCG or Linux-boot rows."
        if meta.get("quick") else ""))
    out.append("")
    scenarios = [s for s in ORDER if any(r["scenario"] == s for r in rows)]
    scenarios += sorted({r["scenario"] for r in rows} - set(ORDER))
    for sc in scenarios:
        srows = [r for r in rows if r["scenario"] == sc]
        metrics = []
        for r in srows:
            if r["metric"] not in metrics:
                metrics.append(r["metric"])
        units = sorted({r["unit"] for r in srows})
        out.append("## %s" % sc)
        out.append("")
        peers = any(r["platform"].startswith(("Xen", "Bao")) for r in srows)
        out.append("%s. Unit: %s.%s" % (TITLES.get(sc, sc), ", ".join(units),
                                        " %s." % PEERS if peers else ""))
        out.append("")
        out.append("| platform | timing | " + " | ".join(metrics) + " |")
        out.append("| --- | --- | " + " | ".join("---" for _ in metrics) + " |")
        keys = []
        for r in srows:
            k = (r["platform"], r["timing"])
            if k not in keys:
                keys.append(k)
        keys.sort(key=lambda k: (0 if k[1] == "icount" else 1, k[1],
                                 PLATFORMS.index(k[0]) if k[0] in PLATFORMS else 9))
        for plat, timing in keys:
            cells = []
            for m in metrics:
                match = [r for r in srows if r["platform"] == plat and r["timing"] == timing
                         and r["metric"] == m]
                cells.append(cell(match[0]) if match else "")
            out.append("| %s | %s | %s |" % (plat, timing, " | ".join(cells)))
        notes = sorted({"%s: %s" % (r["platform"], r["note"]) for r in srows if r["note"]})
        if notes:
            out.append("")
            out.extend("- " + n for n in notes)
        out.append("")
    return "\n".join(out)


def plot(rows, out_dir):
    """One clustered bar chart per scenario and timing (medians for TCG rows), log scale."""
    if not shutil.which("gnuplot"):
        return []
    made = []
    for sc in ORDER:
        for timing in sorted({r["timing"] for r in rows if r["scenario"] == sc}):
            srows = [r for r in rows if r["scenario"] == sc and r["timing"] == timing
                     and is_num(r["value"]) and r["value"] > 0]
            if not srows:
                continue
            metrics = []
            for r in srows:
                if r["metric"] not in metrics:
                    metrics.append(r["metric"])
            plats = [p for p in PLATFORMS if any(r["platform"] == p for r in srows)]
            name = "%s-%s" % (sc, timing.split()[0].lower())
            dat = os.path.join(out_dir, name + ".dat")
            with open(dat, "w") as f:
                f.write("metric " + " ".join('"%s"' % p for p in plats) + "\n")
                for m in metrics:
                    vals = []
                    for p in plats:
                        match = [r for r in srows if r["platform"] == p and r["metric"] == m]
                        vals.append(str(match[0]["value"]) if match else "NaN")
                    f.write('"%s" %s\n' % (m, " ".join(vals)))
            png = os.path.join(out_dir, name + ".png")
            script = "\n".join([
                "set terminal pngcairo size 820,360 font 'sans,9'",
                "set output '%s'" % png,
                "set title '%s (%s%s; %s)' noenhanced" % (
                    sc, timing, ", medians" if timing.startswith("TCG") else "", PEERS_SHORT),
                "set style data histograms", "set style histogram clustered gap 1",
                "set style fill solid 0.8 border -1", "set logscale y", "set grid ytics",
                "set ylabel '%s (log scale)'" % srows[0]["unit"], "set key outside right",
                "set xtics noenhanced", "set key noenhanced",
                "plot " + ", ".join("'%s' using %d:xtic(1) title columnheader(%d)" % (dat, i + 2,
                                                                                     i + 2)
                                    for i in range(len(plats))),
            ])
            res = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
            if res.returncode == 0:
                made.append(png)
    return made


HIST_FIELDS = ["scenario", "platform", "timing", "kind", "lo", "width", "count", "percent"]


def hist_rows(hists):
    """hists: (scenario, platform, timing, kind) -> {lo: [width, count]}, as CSV rows."""
    out = []
    for (sc, plat, timing, kind), buckets in sorted(hists.items()):
        total = sum(c for _, c in buckets.values()) or 1
        for lo in sorted(buckets):
            width, count = buckets[lo]
            out.append({"scenario": sc, "platform": plat, "timing": timing, "kind": kind,
                        "lo": lo, "width": width, "count": count,
                        "percent": round(100.0 * count / total, 3)})
    return out


def outline(buckets):
    """The step outline of a histogram as (x, percent) points: up and down at each bucket's
    edges, down to the floor across empty stretches (a log axis cannot show 0)."""
    total = sum(c for _, c in buckets.values()) or 1
    floor = 100.0 * 0.5 / total
    pts, edge = [], None
    for lo in sorted(buckets):
        width, count = buckets[lo]
        pct = 100.0 * count / total
        if edge is not None and edge != lo:
            pts.append((edge, floor))
            pts.append((lo, floor))
        elif edge is None:
            pts.append((lo, floor))
        pts.append((lo, pct))
        pts.append((lo + width, pct))
        edge = lo + width
    if edge is not None:
        pts.append((edge, floor))
    return pts


def plot_hists(hists, out_dir):
    """One PNG per scenario, timing and kind: the share of samples per latency bucket (log-log),
    one step outline per platform, so the platforms' distributions and tails sit side by side."""
    if not shutil.which("gnuplot"):
        return []
    made = []
    groups = sorted({(sc, timing, kind) for sc, _, timing, kind in hists})
    for sc, timing, kind in groups:
        plats = [p for p in PLATFORMS if (sc, p, timing, kind) in hists]
        if not plats:
            continue
        name = "hist-%s-%s-%s" % (sc, timing.split()[0].lower(), kind)
        dat = os.path.join(out_dir, name + ".dat")
        with open(dat, "w") as f:
            for p in plats:
                f.write('# "%s"\n' % p)
                f.writelines("%d %.4f\n" % pt for pt in outline(hists[(sc, p, timing, kind)]))
                f.write("\n\n")
        png = os.path.join(out_dir, name + ".png")
        what = "timer interrupt" if kind == "irq" else "task wake-up"
        script = "\n".join([
            "set terminal pngcairo size 720,440 font 'sans,9'",
            "set output '%s'" % png,
            "set title '%s: RTOS %s latency histogram (%s; %s)' "
            "noenhanced" % (
                sc, what, timing + (", all runs pooled" if timing.startswith("TCG") else ""),
                PEERS_SHORT),
            "set logscale xy", "set format x \"%.0f\"", "set grid xtics ytics mxtics",
            "set xlabel 'latency from the programmed deadline (counter ticks, 62.5 MHz%s)' "
            "noenhanced" % ("; about 1 instruction each" if timing == "icount" else ""),
            "set ylabel '% of samples (log scale)' noenhanced", "set key below noenhanced",
            "set yrange [0.01:100]",
            "plot " + ", ".join("'%s' index %d using 1:2 with lines lw 2 title '%s'" % (
                dat, i, p) for i, p in enumerate(plats)),
        ])
        res = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if res.returncode == 0:
            made.append(png)
    return made


def write_all(rows, out_dir, meta, hists=None):
    annotate(rows)
    hists = hists or {}
    with open(os.path.join(out_dir, "histograms.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HIST_FIELDS)
        w.writeheader()
        for r in hist_rows(hists):
            w.writerow(r)
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    md = markdown(rows, meta)
    pngs = plot(rows, out_dir)
    hist_pngs = plot_hists(hists, out_dir)
    if pngs:
        md += "\n## Plots\n\n" + "\n".join("![%s](%s)" % (os.path.basename(p)[:-4],
                                                        os.path.basename(p)) for p in pngs) + "\n"
    if hist_pngs:
        md += ("\n## Latency histograms\n\nShare of samples per bucket (8 buckets per power of "
               "two, from the RTOS's LATHIST lines; histograms.csv has the counts), log-log; "
               "one outline per platform.\n\n" + "\n".join(
                   "![%s](%s)" % (os.path.basename(p)[:-4], os.path.basename(p))
                   for p in hist_pngs) + "\n")
    extra = [p for p in meta.get("extra_pngs", []) if os.path.exists(os.path.join(out_dir, p))]
    if extra:
        md += ("\n## Frequency scaling timelines\n\nPer-pCPU load between Tandem's dumps and the "
               "domain's clock, on the pattern's time axis.\n\n" + "\n".join(
                   "![%s](%s)" % (p[:-4], p) for p in extra) + "\n")
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(md)
    return md
