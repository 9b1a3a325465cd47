#!/usr/bin/env python3
"""Issue 3 §4, VM lifecycle, with the RTOS alone resetting itself (test_reset_after=1, lat_n=1: a
PSCI SYSTEM_RESET right after its first LAT line, a few ms of guest time after boot).

Boot 1: configs/tests/rtos-restart.dts (on-reset = "restart", 2 vCPUs, the reset called on the
second while the first runs; -smp 3): the 100-restart leak check. Each
restart logs `vm rtos: restarted (restart N), F free page frames`; F must equal the free frames
logged once every VM was created, for N = 1..100, and the RTOS must boot afresh every time.
Boot 2: configs/tests/rtos-reset-stop.dts (on-reset = "stop"): the first reset stops the VM for
good and the hypervisor stays up.
"""
import re

import harness

RESTARTS = 100
TIMEOUT = 60
BANNER = r"^RTOS: booted on (\d) CPU\(s\), GICv3, timer=virt, EL1\n"

t = harness.Test(__file__)
with t.boot("restart", config="configs/tests/rtos-restart.dts", smp=3, mem="512M") as vm:
    m = t.expect_check(vm, r"^tandem: memory: (\d+) free page frames with every VM created\n",
                       TIMEOUT, "Tandem logs the free page frames once the VM is created")
    before = int(m.group(1)) if m else None
    start = vm.mark()
    last = t.expect_check(vm, r"^tandem: vm rtos: restarted \(restart %d\), (\d+) free page "
                          r"frames\n" % RESTARTS, 120,
                          "the RTOS VM restarts %d times (test_reset_after=1)" % RESTARTS)
    if last:
        text = vm.text[start:last.end()]
        frames = [(int(n), int(f)) for n, f in re.findall(
            r"^tandem: vm rtos: restarted \(restart (\d+)\), (\d+) free page frames\n", text, re.M)]
        t.check("restarts 1..%d are each logged once, in order" % RESTARTS,
                [n for n, _ in frames] == list(range(1, RESTARTS + 1)),
                "got %s" % [n for n, _ in frames][:10])
        leaks = [(n, f) for n, f in frames if f != before]
        t.check("free page frames after each of %d restarts == before the first (%s) [issue 3 "
                "tests: the 100-restart leak check]" % (RESTARTS, before),
                before is not None and frames and not leaks, "differing: %s" % leaks[:5])
        resets = len(re.findall(r"^RTOS: test_reset_after=1 reached: PSCI SYSTEM_RESET\n", text,
                                re.M))
        banners = re.findall(BANNER, text, re.M).count("2")
        t.check("every restart boots the RTOS afresh on both vCPUs: %d SYSTEM_RESET calls, %d "
                "banners 'booted on 2 CPU(s)' in %d restarts" % (resets, banners, RESTARTS),
                resets >= RESTARTS - 1 and banners >= RESTARTS - 1)
        lat = len(re.findall(r"^LAT irq [^\n]* n=1 unit=ns ", text, re.M))
        t.check("each run of the RTOS measured before resetting (%d LAT lines)" % lat,
                lat >= RESTARTS - 1)
        t.check("no error from Tandem during the restarts",
                not re.search(r"^tandem: (error|PANIC)|unexpected", text, re.M))
    t.check("the hypervisor is still running", vm.alive())

with t.boot("stop", config="configs/tests/rtos-reset-stop.dts", smp=2, mem="512M") as vm:
    m = t.expect_check(vm, r'^tandem: vm rtos: stopped \(reset by the guest, on-reset = "stop"\)\n',
                       TIMEOUT, "on-reset = \"stop\": the guest's SYSTEM_RESET stops the VM "
                       "[issue 3 §4: per-VM on-reset policy]")
    if m:
        vm.expect(r"no VM is running; the hypervisor stays up\n", 10)
        stopped = vm.mark()
        vm.drain(3)
        t.check("the VM stays off: no RTOS output, no restart after it stopped",
                not re.search(r"^(RTOS|LAT|tandem: vm rtos: restarted)", vm.text[stopped:], re.M),
                vm.text[stopped:][-500:])
        t.check("the RTOS booted exactly once", len(re.findall(BANNER, vm.text, re.M)) == 1)
        vm.send("\x01d", newline=False)
        t.expect_check(vm, r"^tandem: vm rtos: stopped, restarts 0\n", 30,
                       "the statistics dump shows vm rtos stopped, 0 restarts", since=stopped)
    t.check("the hypervisor is still running", vm.alive())
t.done()
