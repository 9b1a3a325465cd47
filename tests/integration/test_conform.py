#!/usr/bin/env python3
"""A guest cannot tell Tandem from the machine (issue 12 items 1-3). The RTOS's conformance checks
(boot option conform=1, guests/rtos/conform.c: the timers' level lines, the EL1 physical timer,
self-hosted debug) run bare on QEMU at EL1, the reference, then under Tandem in a bind pool and in a
dynamic pool whose pCPU a busy RTOS shares (configs/tests/conform.dts). Every check must give the
same result in both, and every check of a feature Tandem offers must pass bare (else the check is
wrong)."""
import os
import re

import harness

CHECK_RE = re.compile(r"^(?:\[(\w+)\] )?CONFORM: ([\w-]+) (PASS|FAIL)", re.M)
DONE_RE = r"CONFORM: done: \d+ passed, \d+ failed"
# Every check is compared (the prefixes of the checks' names).
COMPARED = ("vtimer-", "ptimer-", "debug-")

t = harness.Test(__file__)


def results(text, vm=None):
    return {m.group(2): m.group(3) == "PASS" for m in CHECK_RE.finditer(text) if m.group(1) == vm}


bare_cmd = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", harness.DEFAULT_CPU,
            "-smp", "1", "-m", "1G", "-nographic", "-kernel",
            os.path.join(t.build, "images", "rtos.bin"), "-append", "conform=1 lat=off"]
bare = {}
with harness.Boot(t, "bare", bare_cmd) as c:
    if t.expect_check(c, DONE_RE, 120, "bare: the conformance checks run to the end"):
        bare = results(c.text)
for name, ok in sorted(bare.items()):
    if name.startswith(COMPARED):
        t.check("bare: %s passes (the reference)" % name, ok)

with t.boot("tandem", config="configs/tests/conform.dts", smp=2, mem="1G") as c:
    for vm in ("bind", "dyn"):
        # Either VM may finish first (they run on different pCPUs): each is looked for from the
        # start of the output, not after the other's last line.
        t.expect_check(c, r"\[%s\] %s" % (vm, DONE_RE), 180,
                       "%s: the conformance checks run to the end" % vm, since=0)
    for vm in ("bind", "dyn"):
        got = results(c.text, vm)
        for name, ref in sorted(bare.items()):
            if not name.startswith(COMPARED):
                t.note("%s: %s: %s (bare: %s)" % (vm, name, got.get(name), ref))
                continue
            t.check("%s pool: %s %s as bare" % (vm, name, "PASS" if ref else "FAIL"),
                    got.get(name) == ref, "got %s" % got.get(name))
    t.check("nothing panicked", not re.search(r"PANIC|FATAL|FAULT:", c.text))
t.done()
