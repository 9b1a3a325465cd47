#!/usr/bin/env python3
"""Issue 2, bad input: each faulty system description stops the boot with one line
`config: <node>: <property>: <rule>` and no VM starts. One boot per case (-smp 4 -m 2G)."""
import re

import harness

CASES = [
    # (description in configs/tests, property the line must name, the rule of issue 2)
    ("bad-memory", "memory", "more memory than is free"),
    ("bad-cpus", "cpus", "more vCPUs than there are pCPUs"),
    ("bad-missing-image", "kernel", "a missing image file"),
    ("bad-unknown-property", "colour", "an unknown property"),
    ("bad-malformed-property", "cpus", "a malformed property"),
]

t = harness.Test(__file__)
for name, prop, rule in CASES:
    with t.boot(name, config="configs/tests/%s.dts" % name, smp=4, mem="2G") as vm:
        what = "%s: one line 'config: /vms/linux: %s: ...' [issue 2 bad input: %s]" % (name, prop, rule)
        m = t.expect_check(vm, r"^config: [^\r\n]*(?=\r?\n)", 60, what + " (a config: line appears)")
        if m:
            line = m.group(0)
            t.check(what, re.match(r"^config: /vms/linux: %s: \S" % re.escape(prop), line),
                    "got %r" % line)
            vm.drain(3)
            rest = vm.text[m.end():]
            t.check("%s: exactly one config: line" % name, not re.search(r"^config: ", rest, re.M),
                    "more: %r" % re.findall(r"^config: .*$", rest, re.M))
            t.check("%s: no VM boots [issue 2 bad input: stops the boot]" % name,
                    "Booting Linux" not in vm.text)
t.done()
