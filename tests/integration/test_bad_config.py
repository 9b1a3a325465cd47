#!/usr/bin/env python3
"""Issues 2, 3, 4 and 13, bad input: each faulty system description stops the boot with one line
`config: <node>: <property>: <rule>` and no VM starts. One boot per case (-smp 4 -m 2G)."""
import re

import harness

CASES = [
    # (description in configs/tests, VM and property the line must name, the rule broken)
    ("bad-memory", "linux", "memory", "issue 2: more memory than is free"),
    ("bad-cpus", "linux", "cpus", "issue 4: a bind pool with fewer pCPUs than its vCPUs"),
    ("bad-missing-image", "linux", "kernel", "issue 2: a missing image file"),
    ("bad-unknown-property", "linux", "colour", "issue 2: an unknown property"),
    ("bad-malformed-property", "linux", "cpus", "issue 2: a malformed property"),
    ("bad-rtos-no-header", "rtos", "kernel", "issue 3: an RTOS image without a valid header"),
    ("bad-rtos-too-large", "rtos", "memory", "issue 3: an RTOS image too large for its VM"),
    ("bad-pool-cpu-twice", "/pools/rt", "cpus", "issue 4: a pCPU in two pools"),
    ("bad-scheduler", "/pools/rt", "scheduler", "issue 4: an unknown scheduler"),
    ("bad-pool-name", "linux", "pool", "issue 4: an unknown pool name"),
    ("bad-channel-unknown-vm", "/channels/link", "vms", "issue 13: a channel naming an unknown VM"),
    ("bad-channel-same-vm", "/channels/link", "vms", "issue 13: the same VM at both ends"),
    ("bad-channel-size", "/channels/link", "size", "issue 13: a size not page-aligned"),
    ("bad-channel-size-zero", "/channels/link", "size", "issue 13: a size of 0"),
    ("bad-channel-overlap", "/channels/b", "ipa", "issue 13: two channels overlapping a fixed IPA"),
]

t = harness.Test(__file__)
for name, node, prop, rule in CASES:
    node = node if node.startswith("/") else "/vms/" + node
    with t.boot(name, config="configs/tests/%s.dts" % name, smp=4, mem="2G") as vm:
        what = "%s: one line 'config: %s: %s: ...' [%s]" % (name, node, prop, rule)
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
                    "Booting Linux" not in vm.text and "RTOS:" not in vm.text
                    and "tandem: vm " not in vm.text, vm.tail())
t.done()
