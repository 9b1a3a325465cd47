#!/usr/bin/env python3
"""Issue 6: `make bench-quick` as a smoke test of the benchmark harness (tools/bench): it runs,
prints a progress line per run and the final table, and writes a well-formed CSV and Markdown
table (and plots when gnuplot is there) for bare metal, Tandem and Xen, and latency histograms
consistent with the LAT lines. No timing assertions:
only that each measurement produced a number."""
import csv
import os
import re
import shutil
import subprocess
import sys

import harness

t = harness.Test(__file__)
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
out = os.path.join(t.build, "bench", "quick")
if os.path.isdir(out):
    shutil.rmtree(out)
proc = subprocess.run(["make", "--no-print-directory", "-C", top, "BUILD=" + t.build, "bench-quick"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
text = proc.stdout
os.makedirs(t.log_dir, exist_ok=True)
with open(os.path.join(t.log_dir, "test_bench_quick.log"), "w") as f:
    f.write(text)
t.check("make bench-quick exits 0", proc.returncode == 0, "status %d, tail: %s" % (
    proc.returncode, text[-800:]))
t.check("a progress line per run", len(re.findall(r"^\[bench +\d+s\]   \S+ +ok ", text, re.M)) >= 5,
        "got %r" % re.findall(r"^\[bench.*$", text, re.M))
t.check("prints the final table", "| platform | timing |" in text)

csv_path = os.path.join(out, "results.csv")
rows = []
if t.check("results.csv written", os.path.isfile(csv_path)):
    with open(csv_path) as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        t.check("CSV header", reader.fieldnames[:4] == ["scenario", "metric", "platform", "timing"],
                "got %r" % reader.fieldnames)


def value(scenario, metric, platform):
    for r in rows:
        if (r["scenario"], r["metric"], r["platform"]) == (scenario, metric, platform):
            return r["value"]
    return None


for plat in ("bare", "Tandem", "Xen credit2"):
    for metric in ("irq_avg", "task_avg"):
        v = value("lat-solo", metric, plat)
        t.check("lat-solo %s %s is a number of ticks" % (plat, metric), v is not None and v.isdigit(),
                "got %r" % v)
    v = value("compute", "ticks", plat)
    t.check("compute ticks on %s" % plat, v is not None and v.isdigit(), "got %r" % v)
for plat in ("Tandem", "Xen credit2"):
    for sc in ("hvc", "mmio"):
        v = value(sc, "round trip", plat)
        t.check("%s round trip on %s" % (sc, plat), v is not None and v.isdigit(), "got %r" % v)
v = value("compute", "EL2 entries", "Tandem")
t.check("EL2 entries during compute read from Tandem", v is not None and v.isdigit(), "got %r" % v)
for plat in ("bare", "Tandem"):
    v = value("sgi", "sgi-rtt", plat)
    t.check("sgi rtt on %s" % plat, v is not None and v.isdigit(), "got %r" % v)

# The latency histograms (the RTOS's LATHIST lines, summed by the harness) must agree with the
# LAT lines' own statistics: every sample counted once, the lowest and highest non-empty buckets
# holding the min and the max.
hist_path = os.path.join(out, "histograms.csv")
hists = {}
if t.check("histograms.csv written", os.path.isfile(hist_path)):
    with open(hist_path) as f:
        for r in csv.DictReader(f):
            if r["scenario"] == "lat-solo":
                hists.setdefault((r["platform"], r["kind"]), []).append(
                    (int(r["lo"]), int(r["width"]), int(r["count"])))
for plat in ("bare", "Tandem", "Xen credit2"):
    for kind in ("irq", "task"):
        b = sorted(hists.get((plat, kind), []))
        total = sum(c for _, _, c in b)
        t.check("lat-solo %s %s histogram holds the 200 samples of its LAT line" % (plat, kind),
                total == 200, "got %d in %r" % (total, b))
        lo_v, hi_v = value("lat-solo", kind + "_min", plat), value("lat-solo", kind + "_max", plat)
        if b and lo_v and hi_v and lo_v.isdigit() and hi_v.isdigit():
            first, last = b[0], b[-1]
            t.check("lat-solo %s %s: min %s in the first bucket, max %s in the last" % (
                plat, kind, lo_v, hi_v),
                first[0] <= int(lo_v) < first[0] + first[1] and
                last[0] <= int(hi_v) < last[0] + last[1], "buckets %r" % b)

md_path = os.path.join(out, "results.md")
if t.check("results.md written", os.path.isfile(md_path)):
    md = open(md_path).read()
    t.check("every table says credit2, vwfi=native",
            md.count("## ") >= 5 and all("credit2, vwfi=native" in sec
                                         for sec in md.split("\n## ")[1:] if "| platform" in sec))
    t.check("the timing method is stated", "-icount shift=4,sleep=off" in md)
    rows_md = [line for line in md.splitlines()
               if line.startswith("| ") and "---" not in line and "platform" not in line]
    bad = [line for line in rows_md if len(line.strip("|").split("|")) < 3]
    t.check("%d table rows, all well formed" % len(rows_md), rows_md and not bad, "bad: %r" % bad)
if shutil.which("gnuplot"):
    pngs = [p for p in os.listdir(out) if p.endswith(".png")] if os.path.isdir(out) else []
    t.check("PNG plots written", len(pngs) >= 3, "got %r" % pngs)
    t.check("latency histogram plots written (irq and task)",
            {"hist-lat-solo-icount-irq.png", "hist-lat-solo-icount-task.png"} <= set(pngs),
            "got %r" % pngs)
sys.stdout.flush()
t.done()
