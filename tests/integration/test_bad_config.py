#!/usr/bin/env python3
"""Issues 2 and 4, bad input: each faulty system description stops the boot with one line
`config: <node>: <property>: <rule>` and no VM starts. One boot per case (-smp 4 -m 2G)."""
import re

import harness

CASES = [
    # (description in configs/tests, node and property the line must name, the rule broken)
    ("bad-memory", "/vms/linux", "memory", "issue 2: more memory than is free"),
    ("bad-cpus", "/vms/linux", "cpus", "issue 4: a bind pool with fewer pCPUs than its vCPUs"),
    ("bad-missing-image", "/vms/linux", "kernel", "issue 2: a missing image file"),
    ("bad-unknown-property", "/vms/linux", "colour", "issue 2: an unknown property"),
    ("bad-malformed-property", "/vms/linux", "cpus", "issue 2: a malformed property"),
    ("bad-pool-cpu-twice", "/pools/rt", "cpus", "issue 4: a pCPU in two pools"),
    ("bad-scheduler", "/pools/rt", "scheduler", "issue 4: an unknown scheduler"),
    ("bad-pool-name", "/vms/linux", "pool", "issue 4: an unknown pool name"),
]

t = harness.Test(__file__)
for name, node, prop, rule in CASES:
    with t.boot(name, config="configs/tests/%s.dts" % name, smp=4, mem="2G") as vm:
        what = "%s: one line 'config: %s: %s: ...' [bad input, %s]" % (name, node, prop, rule)
        m = t.expect_check(vm, r"^config: [^\r\n]*(?=\r?\n)", 60, what + " (a config: line appears)")
        if m:
            line = m.group(0)
            t.check(what, re.match(r"^config: %s: %s: \S" % (re.escape(node), re.escape(prop)), line),
                    "got %r" % line)
            vm.drain(3)
            rest = vm.text[m.end():]
            t.check("%s: exactly one config: line" % name, not re.search(r"^config: ", rest, re.M),
                    "more: %r" % re.findall(r"^config: .*$", rest, re.M))
            t.check("%s: no VM boots [issue 2 bad input: stops the boot]" % name,
                    "Booting Linux" not in vm.text)
t.done()
