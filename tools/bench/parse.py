"""Parsers for what the guests print: the RTOS's LAT and BENCH lines, Linux's boot marker, and
Xen's console (each domU line prefixed "(XEN) DOMn: ", long lines split into several)."""
import re

LAT_RE = re.compile(
    r"LAT irq min=(?P<irq_min_ns>\d+) avg=(?P<irq_avg_ns>\d+) max=(?P<irq_max_ns>\d+) "
    r"p99=(?P<irq_p99_ns>\d+) task min=(?P<task_min_ns>\d+) avg=(?P<task_avg_ns>\d+) "
    r"max=(?P<task_max_ns>\d+) p99=(?P<task_p99_ns>\d+) n=(?P<n>\d+) unit=ns ticks "
    r"irq_min=(?P<irq_min>\d+) irq_avg=(?P<irq_avg>\d+) irq_max=(?P<irq_max>\d+) "
    r"task_min=(?P<task_min>\d+) task_max=(?P<task_max>\d+)\b"
    r"(?:.* el2_entries=(?P<el2_entries>-?\d+))?")
LATHIST_RE = re.compile(r"LATHIST (?P<kind>irq|task) unit=ticks n=(?P<n>\d+)(?P<buckets>(?: \d+\+\d+:\d+)*)"
                        r"(?: dropped=\d+)? end\b")
BENCH_STATS_RE = re.compile(
    r"BENCH (?P<name>[a-z-]+) n=(?P<n>\d+) min=(?P<min>\d+) med=(?P<med>\d+) avg=(?P<avg>\d+) "
    r"max=(?P<max>\d+) unit=ticks")
BENCH_COMPUTE_RE = re.compile(
    r"BENCH compute iters=(?P<iters>\d+) ticks=(?P<ticks>\d+) el2_entries=(?P<el2>\d+|na) "
    r"crc=(?P<crc>0x[0-9a-f]+)")
BENCH_BOOT_RE = re.compile(r"BENCH boot first_insn_cntpct=(?P<cntpct>\d+) cntfrq=(?P<freq>\d+)")
BENCH_SGI_EL2_RE = re.compile(r"BENCH sgi el2_entries_cpu0=(?P<el2>\d+) round_trips=(?P<n>\d+)")
BENCH_FAIL_RE = re.compile(r"BENCH \S+ (FAIL|skipped).*")
LINUX_COUNTER_RE = re.compile(r"tandem-counter: cntvct=(?P<cntvct>\d+) cntfrq=(?P<freq>\d+)")
XEN_DOM_RE = re.compile(r"^\(XEN\) (?:\[[ 0-9.]+\] )?DOM(?P<dom>\d+): (?P<text>.*)$")
XEN_STAMP_RE = re.compile(r"^\(XEN\) \[ *(?P<secs>\d+\.\d+)\] (?P<text>.*)$")


def lat(line):
    m = LAT_RE.search(line)
    return {k: int(v) for k, v in m.groupdict().items() if v is not None} if m else None


def lathist(line):
    """A LATHIST line: {"kind", "n", "buckets": {lo: [width, count]}}, or None."""
    m = LATHIST_RE.search(line)
    if not m:
        return None
    buckets = {}
    for b in m.group("buckets").split():
        lo_width, count = b.split(":")
        lo, width = lo_width.split("+")
        buckets[int(lo)] = [int(width), int(count)]
    return {"kind": m.group("kind"), "n": int(m.group("n")), "buckets": buckets}


def incomplete(text):
    """A guest line that a console split and the next fragment continues."""
    if "LATHIST" in text:
        return not text.rstrip().endswith(" end") and len(text) < 8000
    return "LAT irq" in text and not LAT_RE.search(text) and len(text) < 400


class XenJoiner:
    """Reassembles a domU's lines that Xen's console split: a LAT fragment without its last field
    or a LATHIST fragment without its " end" is continued by the next line of the same domain."""

    def __init__(self):
        self.pending = {}

    def feed(self, line):
        """Returns the logical guest line this console line completes, or None."""
        m = XEN_DOM_RE.match(line)
        if not m:
            return None
        dom, text = m.group("dom"), m.group("text")
        if dom in self.pending:
            text = self.pending.pop(dom) + text
        if incomplete(text):
            self.pending[dom] = text
            return None
        return "DOM%s: %s" % (dom, text)
