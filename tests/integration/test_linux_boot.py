#!/usr/bin/env python3
"""Issue 2: boot the stock Debian kernel as a VM under Tandem and check it through its console.

Boot: configs/tests/linux-4vcpu.dts (4 vCPUs, 1 GiB) on -smp 4 -m 2G, -cpu max,pauth-impdef=on.
(The default system, Linux with 2 vCPUs and 512 MiB next to the RTOS, gets the same checks in
test_linux_rtos.py.) The boot checks: nproc, the kernel's memory total, the arch timer, IPIs on every CPU, that a
guest with every vCPU busy still preempts, and that `poweroff -f` stops the VM while the hypervisor
stays up.
"""
import harness
import linux_checks as lc

t = harness.Test(__file__)
for label, config, cpus, mem in [
        ("4vcpu", "configs/tests/linux-4vcpu.dts", 4, 1 << 30)]:
    with t.boot(label, config=config, smp=4, mem="2G") as vm:
        vm.login()  # issue 2 §3: a VM from a system description reaches the shell
        t.check("%s: Linux reaches its shell under Tandem in %.1f s [issue 2 §3/§4: stock kernel "
                "boots unmodified in a VM]" % (label, vm.elapsed()), True)
        lc.check_vcpus(t, vm, label, cpus)
        lc.check_memory(t, vm, label, mem)
        lc.check_timer(t, vm, label)
        lc.check_ipis(t, vm, label, cpus)
        if lc.check_busy(t, vm, label, cpus):
            lc.check_poweroff(t, vm, label)
t.done()
