#!/usr/bin/env python3
"""Issue 3: the RTOS guest (build/images/rtos.bin), bare on QEMU and as a Tandem VM.

Two boots, each a few seconds (lat_n=200 at 1 kHz: one LAT line every ~0.2 s of guest time):
  1. bare on QEMU virt (GICv3, 2 CPUs, EL1): banner, SGI between the 2 CPUs, a LAT line that parses;
  2. under Tandem, configs/tests/rtos-2vcpu.dts (2 vCPUs, 128 MiB, test_fault=1): banner (2 CPUs,
     GICv3), SGI, LAT lines that parse; and the bad-input case of issue 3: a task writing past the
     VM's RAM faults inside the RTOS (FAULT: line, task stopped), Tandem logs the unmapped IPA, and
     the benchmark keeps printing LAT lines after the fault.
"""
import os
import re

import harness
from rtos_lat import parse_lat

LAT_N = 200
BARE_ARGS = "lat_hz=1000 lat_n=%d" % LAT_N
RTOS_CONFIG = "configs/tests/rtos-2vcpu.dts"  # bootargs there: lat_hz=1000 lat_n=200 test_fault=1
RTOS_RAM = 0x40000000 + 0x08000000  # guest RAM 0x40000000 + 128 MiB: test_fault writes here
TIMEOUT = 60

# One complete line (the trailing \n: never a line still arriving).
LAT_RE = r"^(LAT [^\n]*)\n"
BANNER_RE = r"^RTOS: booted on (\d+) CPU\(s\), (GICv\d), timer=(virt|phys), (EL\d)\n"
SGI_RE = r"^SGI (ok|FAIL) cpu0->cpu(\d+)([^\n]*)\n"


def check_lat(t, vm, where, what, since=None):
    """Waits for the next LAT line and checks that it parses; returns the match or None."""
    m = t.expect_check(vm, LAT_RE, TIMEOUT, "%s: a LAT line is printed %s" % (where, what), since)
    if not m:
        return None
    fields, problem = parse_lat(m.group(1))
    t.check("%s: the LAT line parses (all fields numbers, min <= avg <= max, min <= p99 <= max, "
            "n > 0) [issue 3: parseable latency line]" % where, problem is None,
            "%s in %r" % (problem, m.group(1)))
    if fields and problem is None:
        t.check("%s: LAT n=%d equals lat_n=%d" % (where, fields["n"], LAT_N), fields["n"] == LAT_N,
                "line %r" % m.group(1))
    return m


def check_boot(t, vm, where, cpus):
    m = t.expect_check(vm, BANNER_RE, TIMEOUT, "%s: the RTOS banner is printed" % where)
    if m:
        t.check("%s: banner says %d CPU(s), GICv3, EL1 [issue 3: SMP, GICv3 driver]" % (where, cpus),
                (int(m.group(1)), m.group(2), m.group(4)) == (cpus, "GICv3", "EL1"),
                "got %r" % m.group(0).strip())
    for cpu in range(1, cpus):
        m = t.expect_check(vm, SGI_RE, TIMEOUT, "%s: an SGI line for cpu0->cpu%d" % (where, cpu))
        if m:
            t.check("%s: 'SGI ok cpu0->cpu%d' with numeric delivery/rtt figures [issue 3: SGIs "
                    "between CPUs]" % (where, cpu),
                    m.group(1) == "ok" and int(m.group(2)) == cpu and
                    re.fullmatch(r" delivery=\d+ ticks sgi_rtt=\d+ ticks wake_rtt=\d+ ticks",
                                 m.group(3)) is not None,
                    "got %r" % m.group(0).strip())


t = harness.Test(__file__)

# 1. Bare on QEMU (no hypervisor, entered at EL1).
image = os.path.join(t.build, "images", "rtos.bin")
bare = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", harness.DEFAULT_CPU,
        "-smp", "2", "-m", "256M", "-nographic", "-echr", "0x14", "-kernel", image,
        "-append", BARE_ARGS]
if not t.check("%s exists (make rtos)" % os.path.relpath(image, harness.TOP), os.path.isfile(image)):
    t.done()
with harness.Boot(t, "bare", bare) as vm:
    check_boot(t, vm, "bare", 2)
    check_lat(t, vm, "bare", "(lat_n=%d)" % LAT_N)

# 2 + 3. Under Tandem: 2 vCPUs, with test_fault=1 in the same boot.
with t.boot("tandem", config=RTOS_CONFIG, smp=2, mem="512M") as vm:
    check_boot(t, vm, "tandem", 2)
    start = vm.mark()
    m = t.expect_check(vm, r"^RTOS: test_fault: task (\S+) writes to 0x0*%x\b" % RTOS_RAM, TIMEOUT,
                       "tandem: test_fault=1 starts a task writing to 0x%x (past the VM's RAM)"
                       % RTOS_RAM, since=start)
    task = m.group(1) if m else r"\S+"
    t.expect_check(vm, r"vm rtos vcpu \d+: unmapped IPA 0x0*%x\b" % RTOS_RAM, TIMEOUT,
                   "tandem: Tandem logs 'vm rtos vcpu N: unmapped IPA 0x%x' [issue 3 bad input: "
                   "Tandem logs the stage-2 abort]" % RTOS_RAM, since=start)
    fault = t.expect_check(
        vm, r"^FAULT: task=%s cpu=\d+ sync ESR=0x[0-9a-f]+ \(data abort\) FAR=0x0*%x ELR=0x[0-9a-f]+\n"
        % (re.escape(task) if m else task, RTOS_RAM), TIMEOUT,
        "tandem: the RTOS's fault handler reports 'FAULT: task=%s ... (data abort) FAR=0x%x' "
        "[issue 3 bad input: the fault handler reports it]" % (task if m else "..", RTOS_RAM),
        since=start)
    if fault:
        after = fault.end()
        t.expect_check(vm, r"^RTOS: task %s stopped\n" % (re.escape(task) if m else r"\S+"), TIMEOUT,
                       "tandem: the faulting task is stopped", since=after)
        vm.pos = after
        check_lat(t, vm, "tandem", "after the fault (first)", since=after)
        check_lat(t, vm, "tandem", "after the fault (second) [issue 3 bad input: the RTOS runs on]")
        t.check("tandem: no 'RTOS: FATAL' after the fault", "RTOS: FATAL" not in vm.text[after:],
                vm.tail())
    else:
        check_lat(t, vm, "tandem", "(no fault seen)")
    t.check("tandem: QEMU (the hypervisor) is still running", vm.alive())
t.done()
