#!/usr/bin/env python3
"""Pool moves never wait in EL2: two privileged RTOS VMs move each other, themselves and a pCPU
between pools as fast as they can, from every vCPU at once (configs/tests/pool-storm.dts, -smp 4;
the RTOS's `hc storm vm|cpu N POOL_A POOL_B MS` runs VM_SET_POOL or PCPU_SET_POOL back to back
on each of its CPUs and prints one `HC storm status=S x1=OK x2=BUSY x3=OTHER x4=CALLS` line).

Before VM moves became asynchronous, a VM_SET_POOL of another VM held, kicked and then waited
in EL2 for that VM's vCPUs to leave their pCPUs: the two VMs moving each other at the same
instant both waited for good, and both consoles went silent. Here:
  1. rtos-a (2 vCPUs) moves itself between pool1 and pool0 from both vCPUs at once;
  2. rtos-a moves rtos-b between pool0 and pool1 while rtos-b moves rtos-a between pool1 and
     pool0, then moves pCPU 3 between pool0 and pool2 (which no VM enters, so it may always
     leave);
every storm ends with status 0 (every answer OK or BUSY), many moves completed ("moved from"
lines), POOL_OF then reports each VM settled (no move in flight, x2 = 0) in the pool the Ctrl-A s
dump lists its vCPUs in, both RTOSes keep printing LAT lines, and the core's liveness net never
fired.
"""
import re

import harness

BOOT = 180
SWITCH = "\x01\x01\x01"
VCPU_RE = re.compile(r"^    vcpu (rtos-[ab])/(\d) pool=(\S+) state=(\S+)", re.M)
POOLS = ["pool0", "pool1", "pool2"]
HC_LINE = r"\w+ status=-?\d+ x1=-?\d+ x2=-?\d+ x3=-?\d+ x4=-?\d+(?: cpus=\d+)?"

t = harness.Test(__file__)


def hc(vm, name, cmd, what, timeout=60):
    """Types a command into VM `name`'s console (it has the input); returns its HC line."""
    vm.focus(name)
    start = vm.mark()
    vm.send(cmd)
    # Only a whole line: the console breaks a VM's line off when another source prints.
    m = t.expect_check(vm, r"^\[%s\] HC (%s)\n" % (name, HC_LINE), timeout, what, since=start)
    return m.group(1) if m else ""


def fields(line):
    return {k: int(v) for k, v in re.findall(r"(status|x\d|cpus)=(-?\d+)", line)}


def storm_ok(label, line, cpus):
    f = fields(line)
    t.check("%s: every call answered OK or BUSY (status 0, no other status) on all %d CPUs; "
            "%s OK, %s BUSY of %s calls" % (label, cpus, f.get("x1"), f.get("x2"), f.get("x4")),
            f.get("status") == 0 and f.get("x3") == 0 and f.get("cpus") == cpus
            and f.get("x1", 0) > 0, "got %r" % line)


def settled(vm, name, index, label):
    """POOL_OF VM index: settled (x2 = 0, x1 == x3); returns its pool index or None."""
    f = fields(hc(vm, name, "hc poolof 0 %d" % index, "%s: POOL_OF answers" % label))
    ok = f.get("status") == 0 and f.get("x2") == 0 and f.get("x1") == f.get("x3")
    t.check("%s: POOL_OF VM %d reports no move in flight (x2 = 0, x1 == x3)" % (label, index),
            ok, "got %s" % f)
    return f.get("x1") if ok else None


with t.boot("storm", config="configs/tests/pool-storm.dts", smp=4, mem="1G") as vm:
    for name in ("rtos-a", "rtos-b"):
        t.expect_check(vm, r"^\[%s\] LAT irq " % name, BOOT, "%s boots and measures" % name,
                       since=0)
        t.expect_check(vm, r"^\[%s\] RTOS: shell on the console" % name, 30,
                       "%s's shell is up" % name, since=0)
    vm.focused = "rtos-a"  # Tandem's first VM has the console input at boot
    f = fields(hc(vm, "rtos-a", "hc poolof 0 0", "POOL_OF rtos-a at boot"))
    t.check("at boot rtos-a is in pool0 with no move in flight (x1=0 x2=0 x3=0)",
            (f.get("x1"), f.get("x2"), f.get("x3")) == (0, 0, 0), "got %s" % f)

    # 1. rtos-a moves itself from both of its vCPUs at the same time.
    start = vm.mark()
    line = hc(vm, "rtos-a", "hc storm vm 0 1 0 3000", "self storm: rtos-a's storm ends", 120)
    storm_ok("self storm (rtos-a moves itself from both vCPUs)", line, 2)
    moves = len(re.findall(r"^tandem: vm rtos-a: moved from pool", vm.text[start:], re.M))
    t.check("self storm: rtos-a's moves completed (%d 'moved from' lines)" % moves, moves > 0)
    settled(vm, "rtos-a", 0, "self storm")

    # 2. rtos-a moves rtos-b while rtos-b moves rtos-a, then moves pCPU 3, at the same time.
    start = vm.mark()
    vm.focus("rtos-a")
    vm.send("hc storm vm 1 0 1 20000")  # rtos-a: rtos-b between pool0 and pool1 for 20 s
    b_vm = hc(vm, "rtos-b", "hc storm vm 0 1 0 5000", "cross storm: rtos-b's VM storm ends", 120)
    b_cpu = hc(vm, "rtos-b", "hc storm cpu 3 0 2 5000", "cross storm: rtos-b's pCPU storm ends",
               120)
    a_vm = t.expect_check(vm, r"^\[rtos-a\] HC (storm %s)\n" % HC_LINE[4:], 120,
                          "cross storm: rtos-a's VM storm ends", since=start)
    storm_ok("cross storm: rtos-b moving rtos-a (while rtos-a moves rtos-b)", b_vm, 1)
    storm_ok("cross storm: rtos-b moving pCPU 3 (while rtos-a moves rtos-b)", b_cpu, 1)
    storm_ok("cross storm: rtos-a moving rtos-b from both vCPUs", a_vm.group(1) if a_vm else "",
             2)
    text = vm.text[start:]
    counts = {n: len(re.findall(r"^tandem: %s: moved from pool" % n, text, re.M))
              for n in ("vm rtos-a", "vm rtos-b", "pCPU 3")}
    t.check("cross storm: moves of rtos-a, rtos-b and pCPU 3 all completed (%s)" % counts,
            all(counts.values()))
    where = {"rtos-a": settled(vm, "rtos-b", 0, "after the storms"),
             "rtos-b": settled(vm, "rtos-b", 1, "after the storms")}

    # The dump lists each VM's vCPUs in the pool POOL_OF names; no liveness net fired.
    vm.focus("rtos-b")
    start = vm.mark()
    vm.send("\x01s", newline=False)
    m = t.expect_check(vm, r"tandem: scheduling at counter \d+ ", 30,
                       "Ctrl-A s dump after the storms", since=start)
    vm.drain(3)  # the whole dump: its last line depends on which pool holds what
    listed = {(g[0], int(g[1])): g[2] for g in VCPU_RE.findall(vm.text[m.start():])} if m else {}
    t.note("dump: %s; POOL_OF: %s" % (listed, where))
    t.check("the dump lists rtos-a/0, rtos-a/1 and rtos-b/0 in the pools POOL_OF reports",
            len(listed) == 3 and all(
                where[n] is not None and p == POOLS[where[n]] for (n, _), p in listed.items()),
            "dump %s, POOL_OF %s" % (listed, where))
    for name in ("rtos-a", "rtos-b"):
        start = vm.mark()
        t.expect_check(vm, r"^\[%s\] LAT irq [^\n]*\n[\s\S]*?^\[%s\] LAT irq " % (name, name),
                       60, "%s keeps printing LAT lines after the storms" % name, since=start)
    warned = re.search(r"^tandem: (warning: pool \S+: pCPU \d+ had no decision due|error|PANIC)"
                       r"[^\n]*", vm.text, re.M)
    t.check("no liveness-net warning, error or panic from Tandem over the storms",
            not warned, warned.group(0) if warned else "")
t.done()
