#!/usr/bin/env python3
"""A hostile guest cannot take down the hypervisor or another VM. configs/tests/fuzz.dts: Linux
next to the RTOS (not privileged, its own dynamic pool, 3 vCPUs of which it uses 2). Once Linux
is up and counting in the background, the RTOS's shell starts its trap fuzzer (guests/rtos/fuzz.c):
rounds of seeded random HVC/SMC calls, MMIO accesses of every size and form to the vGIC, the
vPL011 and unmapped IPAs, trapped system registers and hidden-feature instructions, on both
vCPUs at once. Checked in the same boot: every round ends (FUZZ done, every kind of operation
done, no architectural mismatch, no stall); Tandem names VM rtos in its refusals; its console
dumps still answer; Linux's shell works and its counter kept counting; the RTOS runs on (LAT
lines, its shell); a SYSTEM_RESET halfway through a round restarts the RTOS cleanly; nothing
panicked or oopsed anywhere. The fuzz scenario is rtos_fuzz.py's; test_direct.py runs it against
an RTOS with direct interrupt delivery."""
import re

import harness
import linux_checks as lc
import rtos_fuzz

BAD_RE = r"PANIC|[Pp]anic|BUG|FATAL|Oops|RTOS: task \S+ stopped|FAULT:"

t = harness.Test(__file__)


def counter(vm):
    out = vm.run("cat /tmp/count", timeout=60).strip()
    return int(out) if out.isdigit() else -1


with t.boot("fuzz", config="configs/tests/fuzz.dts", smp=4, mem="2G") as vm:
    vm.login()
    vm.run(lc.counting_process(0.1))
    t.expect_check(vm, r"^\[rtos\] LAT ", 60, "the RTOS runs next to Linux (a LAT line)")
    before = counter(vm)
    start = rtos_fuzz.rounds(t, vm, "rtos", "linux")
    rtos_fuzz.others_untouched(t, vm, start, ("linux",))
    rtos_fuzz.dumps_answer(t, vm, "rtos")
    rtos_fuzz.runs_on(t, vm, "rtos")
    rtos_fuzz.reset_midround(t, vm, "rtos", 1)

    # Linux was not disturbed: its shell works and its counter went on.
    out = vm.run("echo alive-$((40+2))", timeout=60)
    t.check("Linux's shell still works", "alive-42" in out, repr(out))
    mid = counter(vm)
    vm.drain(2)
    after = counter(vm)
    t.check("Linux's background counter counted through the fuzzing (%d -> %d -> %d)"
            % (before, mid, after), 0 <= before < mid < after)
    bad = re.findall(r"^.*(?:%s).*$" % BAD_RE, vm.text, re.M)
    t.check("no panic, BUG, oops, fatal error or stopped task anywhere", not bad, str(bad[:5]))
    t.check("the hypervisor is still running", vm.alive())
t.done()
