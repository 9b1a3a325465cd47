#!/usr/bin/env python3
"""Issue 3: Linux and the RTOS side by side, one boot of configs/tests/linux-rtos.dts on -smp 4
(configs/default.dts plus a LAT line every 200 ms and test_fault=1). In that boot:

- both consoles show, prefixed [linux] / [rtos]; the RTOS's pCPU and the hypervisor's pCPU;
- at each RTOS boot a task writes past its RAM: the RTOS reports the fault, Tandem logs the
  stage-2 abort, and Linux keeps answering;
- Linux's checks of issue 2 (vCPUs, memory, timer, IPIs, busy vCPUs) while the RTOS prints LAT
  lines that parse: both make progress;
- the RTOS's pCPU belongs to it: the statistics dump (Ctrl-A d) taken before and after typing
  into Linux shows, on that pCPU, EL2 entries == the RTOS vCPU's traps + its waits, and no
  console UART interrupt, no kick, no idle entry; the UART interrupts land on the free pCPU;
- a reset of the RTOS (its shell's `reset`: PSCI SYSTEM_RESET) restarts it from pristine images
  while a counting process in Linux keeps running (same PID, count still increasing);
- Linux's `reboot -f` restarts Linux (a fresh boot) while the RTOS keeps printing LAT lines;
- the RTOS's `off` (SYSTEM_OFF) keeps it off while Linux answers; then Linux's poweroff.
"""
import re

import harness
import linux_checks as lc
from rtos_lat import parse_lat

CONFIG = "configs/tests/linux-rtos.dts"
RTOS_FAULT_IPA = 0x40000000 + 0x04000000  # the first byte past the RTOS's 64 MiB
TIMEOUT = 60
LAT_RE = r"^\[rtos\] (LAT [^\n]*)\n"
PCPU_RE = (r"^tandem: pcpu (\d+): (?:vm (\S+) vcpu (\d+) traps (\d+) waits (\d+)|no vcpu); "
           r"el2 (\d+) = guest (\d+) \+ wait (\d+) \+ idle (\d+)( \(torn\))?; irqs vtimer (\d+) "
           r"maint (\d+) kick (\d+) uart (\d+) timer \d+ other (\d+)\n")


def lat_lines(vm, start, end=None):
    """The RTOS's complete LAT lines printed in vm.text[start:end]."""
    return re.findall(LAT_RE, vm.text[start:end], re.M)


def check_lat_progress(t, vm, since, what, want=2):
    """Waits for `want` LAT lines after `since`; checks that each parses."""
    for i in range(want):
        m = t.expect_check(vm, LAT_RE, TIMEOUT, "%s: RTOS LAT line %d appears" % (what, i + 1),
                           since=since if i == 0 else None)
        if not m:
            return False
        fields, problem = parse_lat(m.group(1))
        t.check("%s: RTOS LAT line %d parses [issue 3 tests: Linux and the RTOS together both "
                "make progress]" % (what, i + 1), problem is None, "%s in %r" % (problem, m.group(1)))
    return True


def stats(t, vm, what):
    """Ctrl-A d; returns {pcpu: dict of counters} from the dump's pCPU lines, or None."""
    start = vm.mark()
    vm.send("\x01d", newline=False)
    end = t.expect_check(vm, r"^tandem: memory: (\d+) free page frames\n", 30,
                         "%s: Ctrl-A d prints the statistics dump" % what, since=start)
    if not end:
        return None
    pcpus = {}
    for m in re.finditer(PCPU_RE, vm.text[start:end.end()], re.M):
        keys = ("vm", "vcpu", "traps", "waits", "el2", "guest", "wait", "idle", "torn", "vtimer",
                "maint", "kick", "uart", "other")
        d = dict(zip(keys, m.groups()[1:]))
        for k in keys:
            if k not in ("vm", "torn") and d[k] is not None:
                d[k] = int(d[k])
        pcpus[int(m.group(1))] = d
    t.check("%s: the dump has a line for each of the 4 pCPUs" % what, sorted(pcpus) == [0, 1, 2, 3],
            "got pCPUs %s" % sorted(pcpus))
    return pcpus


def check_routing(t, vm, rtos_pcpu, hyp_pcpu):
    """Issue 3 §3: the only EL2 entries on the RTOS's pCPU are the RTOS's own."""
    before = stats(t, vm, "routing (before)")
    # Type into Linux: every character is a console UART interrupt.
    for i in range(6):
        vm.run("echo typing-%d-into-linux-while-the-rtos-runs" % i)
    after = stats(t, vm, "routing (after)")
    if not before or not after or rtos_pcpu not in after or hyp_pcpu not in after:
        t.fail("routing: no usable statistics")
        return
    b, a = before[rtos_pcpu], after[rtos_pcpu]
    d = {k: a[k] - b[k] for k in a if isinstance(a[k], int) and isinstance(b.get(k), int)}
    where = "routing: pCPU %d (the RTOS's)" % rtos_pcpu
    t.check("%s runs vm rtos vcpu 0" % where, a["vm"] == "rtos" and a["vcpu"] == 0, "got %r" % a)
    t.check("%s: consistent snapshots (not torn)" % where, not a["torn"] and not b["torn"])
    t.check("%s: EL2 entries while typing into Linux (+%d) == the RTOS vCPU's own traps (+%d) + "
            "its own waits (+%d) [issue 3 tests: per-pCPU EL2 entry counters show only the "
            "RTOS's own traps]" % (where, d["el2"], d["traps"], d["waits"]),
            d["el2"] == d["traps"] + d["waits"] and d["traps"] > 0)
    t.check("%s: no console UART interrupt ever (uart %d), no kick (+%d) and no idle entry (+%d) "
            "while typing into Linux [issue 3 §3: the hypervisor's interrupts go elsewhere]"
            % (where, a["uart"], d["kick"], d["idle"]),
            a["uart"] == 0 and d["kick"] == 0 and d["idle"] == 0)
    t.check("%s: its interrupts while typing are its own timer's (vtimer +%d, other +%d)"
            % (where, d["vtimer"], d["other"]), d["vtimer"] > 0 and d["other"] == 0)
    h = after[hyp_pcpu]["uart"] - before[hyp_pcpu]["uart"]
    t.check("routing: the console UART interrupts land on pCPU %d, which runs no vCPU (+%d)"
            % (hyp_pcpu, h), h > 0 and after[hyp_pcpu]["vm"] is None)
    others = [p for p in after if p not in (hyp_pcpu,) and after[p]["uart"] != 0]
    t.check("routing: no pCPU running a vCPU takes console UART interrupts", not others,
            "pCPUs %s" % others)


def check_fault(t, vm, since, what):
    t.expect_check(vm, r"^\[rtos\] FAULT: task=\S+ cpu=\d+ sync ESR=0x[0-9a-f]+ \(data abort\) "
                   r"FAR=0x0*%x " % RTOS_FAULT_IPA, TIMEOUT,
                   "%s: the RTOS's fault handler reports the write to 0x%x [issue 3 bad input: "
                   "the RTOS faults inside the RTOS]" % (what, RTOS_FAULT_IPA), since=since)
    t.expect_check(vm, r"^tandem: error: vm rtos vcpu 0: unmapped IPA 0x0*%x " % RTOS_FAULT_IPA,
                   TIMEOUT, "%s: Tandem logs the RTOS's stage-2 abort at 0x%x [issue 3 bad input: "
                   "Tandem logs the stage-2 abort]" % (what, RTOS_FAULT_IPA), since=since)


def linux_answers(t, vm, what):
    out = vm.run("echo linux-answers-$((6*7))", timeout=60)
    return t.check("%s: Linux answers a command" % what, out.strip().endswith("linux-answers-42"),
                   "got %r" % out)


def check_vgic_dump(t, vm, rtos_pcpu):
    """Ctrl-A g: per VM, a line for its distributor, one per vCPU (state, pCPU, LRs) and one
    for its UART's interrupt lines: each device of the table dumps its own."""
    start = vm.mark()
    vm.send("\x01g", newline=False)
    m = t.expect_check(vm, r"^tandem: vgic vm rtos vcpu 0: (\w+), on pCPU (-?\d+), [^\n]*\n", 30,
                       "Ctrl-A g prints the interrupt-state dump", since=start)
    text = vm.text[start:m.end()] if m else ""
    want = [r"^tandem: vgic vm linux: ctlr 0x3; spis \(flags>target/owner\)",
            r"^tandem: vgic vm linux vcpu 0: ", r"^tandem: vgic vm linux vcpu 1: ",
            r"^tandem: vpl011 vm linux: imsc 0x[0-9a-f]+ ris 0x[0-9a-f]+ rx \d+",
            r"^tandem: vgic vm rtos: ctlr 0x[0-9a-f]+; "]
    t.check("Ctrl-A g: a line for each VM and each of its vCPUs (Linux's distributor has both "
            "groups enabled)", all(re.search(w, text, re.M) for w in want), text[-600:])
    t.check("Ctrl-A g: the RTOS's vCPU is runnable and loaded on its bind pCPU %d" % rtos_pcpu,
            m is not None and m.group(1) == "runnable" and int(m.group(2)) == rtos_pcpu,
            m.group(0) if m else "")


def check_deaf_guest(t, vm):
    """A guest that reads nothing from its console (the RTOS's `deaf`) cannot hold the shared
    console: once its FIFO has been full for a while Tandem says so, drops its input, and
    Ctrl-A still reaches Tandem; when it reads again, its input flows as before."""
    vm.focus("rtos")
    mark = vm.mark()
    vm.send("deaf 10")
    if not t.expect_check(vm, r"^\[rtos\] RTOS: not reading the console for 10 s\n", TIMEOUT,
                          "the RTOS's 'deaf 10' stops reading its console", since=mark):
        return
    vm.send("x" * 150)  # more than its 64-character FIFO holds
    t.expect_check(vm, r"^tandem: warning: vm rtos: reads no console input \(its receive FIFO "
                   r"full for \d+ ms\): input to it is dropped until it reads again\n", 30,
                   "Tandem notices that the RTOS reads no console input [hostile guests: a VM "
                   "cannot hold the console]", since=mark)
    try:
        vm.focus("linux")
        t.check("Ctrl-A x3 still moves the input to Linux while the RTOS reads nothing", True)
        linux_answers(t, vm, "while the RTOS reads no console input")
    except harness.Timeout as e:
        t.fail("Ctrl-A x3 still moves the input to Linux while the RTOS reads nothing: %s" % e)
        return
    t.expect_check(vm, r"^\[rtos\] RTOS: reading the console again\n", 30,
                   "the RTOS reads its console again after 10 s", since=mark)
    vm.focus("rtos")
    mark = vm.mark()
    vm.send("")  # ends the line of x's that reached it (an unknown command)
    vm.send("help")
    t.expect_check(vm, r"^\[rtos\] help \| tasks \| reset", TIMEOUT,
                   "afterwards the RTOS's shell answers 'help' (its input flows again)", since=mark)


def counter(vm):
    """(pid, count) of the counting process started below."""
    out = vm.run("cat /tmp/counter.pid; cat /tmp/count").split()
    return (int(out[0]), int(out[1])) if len(out) == 2 and all(w.isdigit() for w in out) else None


t = harness.Test(__file__)
with t.boot("linux-rtos", config=CONFIG, smp=4, mem="2G") as vm:
    m = t.expect_check(vm, r"^tandem: vm rtos: starting 1 vCPU on pCPU (\d+),", TIMEOUT,
                       "Tandem starts vm rtos (1 vCPU)")
    rtos_pcpu = int(m.group(1)) if m else 2
    m = t.expect_check(vm, r"^tandem: hypervisor interrupts \(console UART, INTID \d+\) -> pCPU "
                       r"(\d+)\n", TIMEOUT, "Tandem says where its own interrupts go", since=0)
    hyp_pcpu = int(m.group(1)) if m else 3
    t.check("the default placement: Linux on pCPUs 0-1, the RTOS on pCPU 2, the hypervisor's "
            "interrupts on the free pCPU 3", (rtos_pcpu, hyp_pcpu) == (2, 3),
            "rtos on %d, hypervisor on %d" % (rtos_pcpu, hyp_pcpu))
    t.expect_check(vm, r"^\[rtos\] RTOS: booted on 1 CPU\(s\), GICv3", TIMEOUT,
                   "the RTOS's console lines are prefixed [rtos] [issue 3 §3: both consoles "
                   "visible]", since=0)
    check_fault(t, vm, 0, "first boot")

    vm.login()
    t.check("Linux's console lines are prefixed [linux] and the harness talks to its shell",
            vm.shell_vm == "linux", "shell_vm %r" % vm.shell_vm)
    linux_answers(t, vm, "after the RTOS's fault")
    lc.check_vcpus(t, vm, "linux-rtos", 2)
    lc.check_memory(t, vm, "linux-rtos", 512 << 20)
    lc.check_timer(t, vm, "linux-rtos")
    lc.check_ipis(t, vm, "linux-rtos", 2)
    mark = vm.mark()
    if lc.check_busy(t, vm, "linux-rtos", 2):
        check_lat_progress(t, vm, mark, "with Linux's vCPUs busy", want=1)
    mark = vm.mark()
    out = vm.run("uname -s")
    t.check("together: Linux answers 'uname -s' [issue 3 tests: Linux answers a command while the "
            "RTOS prints LAT lines]", out.strip() == "Linux", "got %r" % out)
    check_lat_progress(t, vm, mark, "together")

    # A counting process in Linux, for the restart below.
    vm.run(lc.counting_process(0.05))
    check_routing(t, vm, rtos_pcpu, hyp_pcpu)
    check_vgic_dump(t, vm, rtos_pcpu)

    c1 = counter(vm)
    t.check("a counting process runs in Linux (pid, count) = %s" % (c1,), c1 is not None)
    check_deaf_guest(t, vm)
    vm.focus("rtos")
    mark = vm.mark()
    vm.send("reset")
    t.expect_check(vm, r"^tandem: vm rtos: reset by the guest, restarting\n", TIMEOUT,
                   "the RTOS's 'reset' (PSCI SYSTEM_RESET): Tandem restarts the VM", since=mark)
    m = t.expect_check(vm, r"^tandem: vm rtos: restarted \(restart 1\), (\d+) free page frames\n",
                       TIMEOUT, "Tandem logs 'vm rtos: restarted (restart 1)' [issue 3 §4: a VM "
                       "that resets through PSCI is restarted]", since=mark)
    after_restart = vm.mark()
    t.expect_check(vm, r"^\[rtos\] RTOS: Tandem RTOS at 0x[0-9a-f]+-0x[0-9a-f]+, DTB", TIMEOUT,
                   "the RTOS boots again from the start (banner)", since=mark)
    check_fault(t, vm, mark, "after the restart")
    check_lat_progress(t, vm, after_restart, "after the restart")
    c2 = counter(vm)
    vm.run("sleep 0.5")
    c3 = counter(vm)
    t.check("the counting process in Linux lives on through the RTOS's restart: same pid, count "
            "still increasing (%s -> %s -> %s) [issue 3 tests: a reset of the RTOS VM restarts it "
            "while a counting process in Linux keeps running]" % (c1, c2, c3),
            c1 and c2 and c3 and c1[0] == c2[0] == c3[0] and c1[1] < c2[1] < c3[1])
    out = vm.run("dmesg | grep -ci -e 'rcu.*stall' -e 'soft lockup' -e 'hung task'")
    t.check("Linux noticed nothing (no RCU stall, soft lockup or hung task in dmesg)",
            out.strip() == "0", "got %r" % out)

    # Linux resets (reboot -f: PSCI SYSTEM_RESET): Tandem restarts it; the RTOS runs on.
    mark = vm.mark()
    vm.send("reboot -f")
    t.expect_check(vm, r"^tandem: vm linux: restarted \(restart 1\), \d+ free page frames\n",
                   TIMEOUT, "Linux's 'reboot -f': Tandem restarts vm linux (2 vCPUs, 512 MiB)",
                   since=mark)
    restarted = vm.mark()
    try:
        vm.login()
        t.check("Linux boots again to its shell after the restart", True)
        out = vm.run("nproc; cut -d. -f1 /proc/uptime; ls /tmp")
        t.check("the restarted Linux is a fresh boot: 2 CPUs, uptime < 60 s, an empty /tmp (%r)"
                % out.split(), len(out.split()) == 2 and out.split()[0] == "2" and
                int(out.split()[1]) < 60)
    except (harness.Timeout, harness.Exited) as e:
        t.fail("Linux boots again to its shell after the restart: %s" % e)
    lat = lat_lines(vm, restarted)
    t.check("the RTOS kept printing LAT lines while Linux restarted (%d lines), without being "
            "restarted itself [issue 3 §4: the other VMs don't notice]" % len(lat),
            len(lat) >= 2 and "vm rtos: re" not in vm.text[mark:])

    # SYSTEM_OFF keeps the RTOS off; Linux runs on.
    vm.focus("rtos")
    mark = vm.mark()
    vm.send("off")
    t.expect_check(vm, r"^tandem: vm rtos: stopped \(system off by the guest\)\n", TIMEOUT,
                   "the RTOS's 'off' (PSCI SYSTEM_OFF): Tandem logs 'vm rtos: stopped'", since=mark)
    if t.expect_check(vm, r"^tandem: console input -> vm linux\n", 10,
                      "the input focus leaves the stopped RTOS for Linux by itself", since=mark):
        vm.focused = "linux"
    stopped = vm.mark()
    linux_answers(t, vm, "after the RTOS powered off")
    vm.drain(2)
    t.check("the RTOS stays off (no [rtos] output after it stopped) [issue 3 §4: a VM that powers "
            "off stays off]", "[rtos] " not in vm.text[stopped:], vm.tail())
    lc.check_poweroff(t, vm, "linux-rtos")
    t.expect_check(vm, r"no VM is running; the hypervisor stays up", 30,
                   "with both VMs off the hypervisor stays up", since=stopped)
t.done()
