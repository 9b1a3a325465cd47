#!/usr/bin/env python3
"""Issue 2, bad input: a guest touching a guest-physical address with nothing behind it gets an
external abort (Linux kills the process or oopses), Tandem logs VM, vCPU and address, and both
the hypervisor and the guest keep working. Uses configs/default.dts (Linux with 2 vCPUs and
512 MiB, next to the RTOS, which must not notice: it keeps printing LAT lines)."""
import harness
from rtos_lat import parse_lat

# Nothing is mapped here in a Tandem VM (RAM, vGIC and vPL011 live elsewhere); /dev/mem lets
# root map it because no guest driver claims it.
ADDR = 0x20000000
GUEST_FAULT = r"Bus error|Internal error|Unhandled fault|external abort"

t = harness.Test(__file__)
with t.boot("default", config="configs/default.dts", smp=4, mem="2G") as vm:
    vm.login()
    for vcpu in (0, 1):
        mark = vm.mark()
        out, status = vm.run_status("taskset %d devmem 0x%x" % (1 << vcpu, ADDR), timeout=60)
        t.expect_check(vm, GUEST_FAULT, 10,
                       "vcpu %d: guest reading unmapped IPA 0x%x gets an external abort (Bus error / "
                       "oops) [issue 2 bad input: external abort injected]" % (vcpu, ADDR), since=mark)
        t.expect_check(vm, r"vm linux vcpu %d: .*unmapped IPA 0x0*%x\b" % (vcpu, ADDR), 10,
                       "vcpu %d: Tandem logs 'vm linux vcpu %d: ... unmapped IPA 0x%x' [issue 2 bad "
                       "input: the hypervisor logs VM, vCPU and address]" % (vcpu, vcpu, ADDR),
                       since=mark)
        out = vm.run("echo alive-$((40+2))", timeout=30)
        t.check("vcpu %d: the guest shell keeps working [issue 2 bad input: stays up]" % vcpu,
                "alive-42" in out, "got %r" % out)
    m = t.expect_check(vm, r"^\[rtos\] (LAT [^\n]*)\n", 60,
                       "the RTOS in the same system keeps printing LAT lines after Linux's faults",
                       since=vm.mark())
    if m:
        t.check("that LAT line parses", parse_lat(m.group(1))[1] is None, m.group(1))
    t.check("the hypervisor is still running", vm.alive())
t.done()
