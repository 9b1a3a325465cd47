#!/usr/bin/env python3
"""Issue 16 item 3: direct interrupt delivery on bind pCPUs (pool irq = "direct").

One boot of configs/tests/rtos-direct.dts on -smp 6: the privileged RTOS (2 vCPUs, lat_el2=on)
in the direct bind pool rt (pCPUs 1-2), a second RTOS "other" (not privileged, 3 vCPUs of which
it uses 2) in the direct bind pool rt2 (pCPUs 3-5), pool0 (pCPU 0) empty. Functional checks only
(no timing):
  - the RTOS boots on 2 CPUs, its SGI between them works (guest SGIs go through the vGIC, which
    delivers them in an excursion through the list registers);
  - LAT lines parse and their windows had no EL2 entry at all (el2_entries=0: the timer
    interrupts reached EL1 on the physical GIC);
  - the console reaches it (emulated UART interrupt, an excursion) and Ctrl-A d shows the
    excursions;
  - SGIs it aims at every affinity, including the other VM's pCPU, never reach that pCPU
    (nothing unexpected there, no kick, no "unexpected interrupt");
  - it moves itself into pool0 (trapped delivery: its LAT windows now have EL2 entries) and
    back (none again): the hand-over is clean both ways;
  - SYSTEM_RESET restarts it with direct delivery again (zero-entry windows);
  - the other VM printed LAT lines throughout;
  - the fuzz scenario of test_fuzz.py (rtos_fuzz.py) against "other", a hostile guest with
    direct delivery: every round ends, Tandem's dumps answer, the fuzzed RTOS runs on, a
    SYSTEM_RESET halfway through a round restarts it cleanly, and the privileged RTOS next to
    it is untouched (no Tandem message names it, its LAT windows still have no EL2 entry);
  - nothing panicked.
"""
import re

import harness
import rtos_fuzz
from rtos_lat import parse_lat

CONFIG = "configs/tests/rtos-direct.dts"
# Whole lines only: with both RTOSes printing, the console breaks the focused VM's line off for
# another's and redraws it in full after; the piece broken off must not count. A LAT line of
# lat_el2=on always ends with el2_entries (a piece broken inside that number still reads 0 as 0
# and a positive count as positive).
LAT_RE = r"^\[rtos\] (LAT [^\n]* el2_entries=-?\d+)\n"
PCPU_RE = (r"^tandem: pcpu %d: [^\n]*; el2 (\d+) = [^\n]*irqs vtimer (\d+) maint (\d+) kick (\d+) "
           r"uart (\d+) \S+ (\d+) \S+ (\d+)\n")
BAD_RE = r"PANIC|[Pp]anic|BUG|FATAL|Oops|unexpected interrupt|RTOS: task \S+ stopped|FAULT:"

t = harness.Test(__file__)


def lat_el2(vm, what, since=None):
    """Waits for the next LAT line of the RTOS; returns its el2_entries (None if absent)."""
    m = t.expect_check(vm, LAT_RE, 60, "%s: a LAT line" % what, since)
    if not m:
        return None
    fields, problem = parse_lat(m.group(1))
    t.check("%s: the LAT line parses" % what, problem is None, "%s in %r" % (problem, m.group(1)))
    e = re.search(r" el2_entries=(-?\d+)$", m.group(1))
    t.check("%s: the LAT line carries el2_entries (lat_el2=on)" % what, e is not None,
            m.group(1))
    return int(e.group(1)) if e else None


def zero_window(vm, what):
    """A LAT window of the RTOS without any EL2 entry (the second line: the first may still
    hold an excursion that started before it)."""
    lat_el2(vm, what)
    e = lat_el2(vm, what)
    t.check("%s: a whole LAT window (200 timer interrupts) without a single EL2 entry on the "
            "RTOS's vCPU 0 [issue 16: zero EL2 entries during a direct LAT run]" % what, e == 0,
            "el2_entries=%s" % e)


def pcpu_dump(vm, cpu):
    start = vm.mark()
    vm.send("\x01d", newline=False)
    m = vm.expect(PCPU_RE % cpu, 30, since=start)
    vm.drain(1)
    return [int(x) for x in m.groups()]


def hc(vm, cmd, what):
    start = vm.mark()
    vm.send(cmd)
    m = t.expect_check(vm, r"^\[rtos\] HC (\S+ status=[^\n]*)\n", 30, what, since=start)
    return m.group(1) if m else ""


with t.boot("direct", config=CONFIG, smp=6, mem="512M") as vm:
    m = t.expect_check(vm, r"^\[rtos\] RTOS: booted on (\d+) CPU\(s\), GICv3, timer=virt, EL1\n",
                       60, "the RTOS boots in the direct pool")
    t.check("it runs on its 2 CPUs", m and m.group(1) == "2", m.group(0) if m else "")
    m = t.expect_check(vm, r"^\[rtos\] SGI (ok|FAIL) cpu0->cpu1([^\n]*)\n", 60,
                       "an SGI line for cpu0->cpu1", since=0)
    t.check("SGIs between its vCPUs arrive in direct mode ('SGI ok')", m and m.group(1) == "ok",
            m.group(0) if m else "")
    zero_window(vm, "direct")

    # The console: the emulated UART's interrupt needs the list registers (an excursion).
    vm.focus("rtos")
    start = vm.mark()
    vm.send("help")
    t.expect_check(vm, r"^\[rtos\] help \| tasks \| reset", 30,
                   "the RTOS's shell answers typed input (UART interrupt through an excursion)",
                   since=start)
    start = vm.mark()
    vm.send("\x01d", newline=False)
    m = t.expect_check(vm, r"^tandem:   vcpu 0 \S+: pcpu 1 [^\n]* excursions (\d+)\n", 30,
                       "Ctrl-A d shows the RTOS's vCPU 0 with its excursions", since=start)
    t.check("typing took the RTOS's vCPU 0 through the list registers at least once",
            m and int(m.group(1)) >= 1, m.group(0) if m else "")
    vm.drain(1)

    # SGIs aimed at every affinity: Aff0 = 3 (the other VM's pCPU number), other clusters,
    # a range selector, and IRM. None may reach pCPU 3 (or pCPU 0).
    before3 = pcpu_dump(vm, 3)
    before0 = pcpu_dump(vm, 0)
    for v in ("0x1000008", "0x1000009", "0x10100ff", "0x101000000ff", "0x1000100000000ff",
              "0x1001000000000ff", "0x10000000000", "0x300000f"):
        start = vm.mark()
        vm.send("sgiraw %s" % v)
        t.expect_check(vm, r"^\[rtos\] RTOS: sgiraw 0x[0-9a-f]+ written\n", 30,
                       "the RTOS writes ICC_SGI1R_EL1 = %s" % v, since=start)
    vm.drain(2)
    after3 = pcpu_dump(vm, 3)
    after0 = pcpu_dump(vm, 0)
    t.check("no SGI of the direct RTOS reached the other VM's pCPU 3: no kick, no other "
            "interrupt there [issue 16: a direct guest's SGI never arrives at another VM's pCPU]",
            after3[3] == before3[3] and after3[6] == before3[6],
            "before %s after %s (el2 vtimer maint kick uart smmu other)" % (before3, after3))
    t.check("... nor at pCPU 0 (no kick, no other interrupt)",
            after0[3] == before0[3] and after0[6] == before0[6],
            "before %s after %s" % (before0, after0))
    zero_window(vm, "after the SGIs")

    # Out of the direct pool and back: trapped there, direct again here.
    start = vm.mark()
    r = hc(vm, "hc vmpool 0 0", "the RTOS moves itself into pool0 (answered)")
    t.check("... admitted (status 0)", " status=0 " in r, r)
    t.expect_check(vm, r"tandem: vm rtos: moved from pool rt to pool pool0\n", 30,
                   "the move to pool0 completed", since=start)
    lat_el2(vm, "in pool0")
    e = lat_el2(vm, "in pool0")
    t.check("in pool0 (trapped delivery) its LAT windows have EL2 entries again", e and e > 0,
            "el2_entries=%s" % e)
    start = vm.mark()
    hc(vm, "hc vmpool 0 1", "the RTOS moves itself back into pool rt (answered)")
    t.expect_check(vm, r"tandem: vm rtos: moved from pool pool0 to pool rt\n", 30,
                   "the move back to rt completed", since=start)
    zero_window(vm, "back in rt")

    # SYSTEM_RESET: restarted from its images, direct again.
    start = vm.mark()
    vm.send("reset")
    t.expect_check(vm, r"^\[rtos\] RTOS: booted on 2 CPU\(s\)", 60,
                   "the RTOS restarts after SYSTEM_RESET", since=start)
    zero_window(vm, "after the restart")

    t.expect_check(vm, r"^\[other\] LAT irq ", 60, "the other VM prints LAT lines throughout",
                   since=start)

    # The hostile guest with direct delivery: the fuzz scenario of test_fuzz.py against "other".
    what = "fuzzing the direct VM"
    start = rtos_fuzz.rounds(t, vm, "other", "rtos", what)
    rtos_fuzz.others_untouched(t, vm, start, ("rtos",), what)
    rtos_fuzz.dumps_answer(t, vm, "other", what)
    rtos_fuzz.runs_on(t, vm, "other", what)
    rtos_fuzz.reset_midround(t, vm, "other", 1, what)
    # On a loaded host the fuzzing vCPUs can starve the RTOS's QEMU threads so that the rounds
    # end within one of its LAT windows: wait for a second whole line rather than count on it.
    t.expect_check(vm, r"^\[rtos\] LAT [^\n]* el2_entries=\d+\n[\s\S]*?"
                   r"^\[rtos\] LAT [^\n]* el2_entries=\d+\n", 120,
                   "%s: the privileged RTOS prints LAT lines" % what, since=start)
    els = [int(x) for x in re.findall(r"^\[rtos\] LAT [^\n]* el2_entries=(\d+)\n",
                                       vm.text[start:], re.M)]
    t.check("%s: none of the privileged RTOS's LAT lines after its first had an EL2 entry "
            "(its pCPUs untouched)" % what, len(els) >= 2 and not any(els[1:]),
            "el2_entries %s" % els)
    vm.focus("rtos")
    zero_window(vm, "%s: afterwards, the privileged RTOS" % what)

    bad = re.search(BAD_RE, vm.text)
    t.check("nothing panicked, no unexpected interrupt, no task stopped", not bad,
            bad.group(0) if bad else "")
    t.check("the hypervisor is still running", vm.alive())
t.done()
