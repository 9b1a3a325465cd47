#!/usr/bin/env python3
"""Issue 12 item 4: typing while a guest boots must not kill the console.

A new user types a command every second from the moment QEMU starts, long before Linux's PL011
driver reads its receive FIFO (it reads it only once the tty opens). Seen before the fix: the
shell came up and never answered, Ctrl-A d printed nothing, no warning ever came (the physical
UART's receive interrupt was lost at boot and input stopped for good). Required: the shell
answers what is typed once it runs, and Ctrl-A d dumps (and the shell answers after it).

Boots: configs/tests/linux-2vcpu.dts (Linux alone, -smp 2 -m 1G) and configs/default.dts (Linux
next to the RTOS, -smp 4 -m 2G), both -cpu max,pauth-impdef=on.
"""
import re

import harness

TYPE_EVERY = 1.0  # seconds between typed commands: more than the FIFO holds before the tty opens
AFTER_PROMPT = 3  # commands typed once the shell's prompt is up


def type_through_boot(t, vm, label, prefix):
    """Types `echo typed-N` every TYPE_EVERY s from the start until AFTER_PROMPT commands went out
    after the shell's prompt showed; returns the numbers typed after the prompt, or None."""
    prompt = re.compile(r"^%s.*# " % re.escape(prefix), re.M)
    ready = re.compile(r"^%s" % re.escape(prefix) + harness.LINUX_READY, re.M)
    n, after, seen_ready = 0, [], None
    while len(after) < AFTER_PROMPT:
        if vm.elapsed() > harness.BOOT_TIMEOUT:
            t.fail("%s: Linux's shell prompt within %d s while typing: last output:\n%s"
                   % (label, harness.BOOT_TIMEOUT, vm.tail()))
            return None
        n += 1
        vm.send("echo typed-%d" % n)
        if seen_ready is not None and prompt.search(vm.text, seen_ready):
            after.append(n)
        vm.drain(TYPE_EVERY)
        if seen_ready is None:
            m = ready.search(vm.text)
            seen_ready = m.end() if m else None
    t.note("%s: %d commands typed from power-on, %d of them after the shell's prompt"
           % (label, n, len(after)))
    return after


def check(t, vm, label, prefix):
    after = type_through_boot(t, vm, label, prefix)
    if after is None:
        return
    answer = r"^%styped-(%s)$" % (re.escape(prefix), "|".join(str(k) for k in after))
    t.expect_check(vm, answer, 60, "%s: the shell answers a command typed after its prompt "
                   "when typing began at power-on [issue 12 item 4]" % label, since=0)
    mark = vm.mark()
    vm.send("\x01d", newline=False)
    t.expect_check(vm, r"^tandem: memory: \d+ free page frames$", 30,
                   "%s: Ctrl-A d prints Tandem's statistics after typing through the boot "
                   "[issue 12 item 4: Ctrl-A always reaches Tandem]" % label, since=mark)
    # The command line's echo shows "$((6*7))": only the shell's answer reads 42.
    mark = vm.mark()
    vm.send("echo answer-$((6*7))")
    t.expect_check(vm, r"^%sanswer-42$" % re.escape(prefix), 60,
                   "%s: the shell still answers after Ctrl-A d" % label, since=mark)

t = harness.Test(__file__)
with t.boot("linux", config="configs/tests/linux-2vcpu.dts", smp=2, mem="1G") as vm:
    check(t, vm, "linux alone", "")
with t.boot("default", config="configs/default.dts", smp=4, mem="2G") as vm:
    check(t, vm, "linux + rtos", "[linux] ")
t.done()
