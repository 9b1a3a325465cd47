#!/usr/bin/env python3
"""Issue 2 §2: Tandem boots on other CPU models and pCPU counts.

Boot 1: configs/tests/linux-2vcpu.dts (Linux alone, 2 vCPUs) on -cpu cortex-a53 -smp 2.
Boot 2: configs/tests/linux-8vcpu.dts (8 vCPUs, 1 GiB) on -smp 8: every CPU up through PSCI CPU_ON.
"""
import harness
import linux_checks as lc

t = harness.Test(__file__)
with t.boot("a53-smp2", config="configs/tests/linux-2vcpu.dts", smp=2, mem="2G", cpu="cortex-a53") as vm:
    vm.login(timeout=180)
    t.check("a53-smp2: Linux reaches its shell under Tandem on cortex-a53 with -smp 2 in %.1f s "
            "[issue 2 §2: boots on -cpu cortex-a53 and -smp 2]" % vm.elapsed(), True)
    lc.check_vcpus(t, vm, "a53-smp2", 2)
    lc.check_ipis(t, vm, "a53-smp2", 2)
with t.boot("smp8", config="configs/tests/linux-8vcpu.dts", smp=8, mem="2G") as vm:
    vm.login(timeout=240)
    t.check("smp8: Linux reaches its shell under Tandem with -smp 8 in %.1f s "
            "[issue 2 §2: boots with -smp 8]" % vm.elapsed(), True)
    lc.check_vcpus(t, vm, "smp8", 8)
    lc.check_ipis(t, vm, "smp8", 8)
t.done()
