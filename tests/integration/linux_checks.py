"""Checks run inside a booted Linux guest, shared by the integration tests (not a test itself).

Each check's name says which requirement of issue 2 it covers.
"""
import re

import harness


def interrupts(vm):
    """Parses /proc/interrupts: (number of CPU columns, {row name: [count per CPU]})."""
    text = vm.run("cat /proc/interrupts")
    lines = [l for l in text.splitlines() if l.strip()]
    header = next((l for l in lines if l.strip().startswith("CPU0")), "")
    ncpu = len(header.split())
    rows = {}
    for line in lines:
        fields = line.split()
        if not fields or not fields[0].endswith(":") or fields[0] == "Err:":
            continue
        counts = []
        for f in fields[1:1 + ncpu]:
            if not f.isdigit():
                break
            counts.append(int(f))
        name = " ".join(fields[1 + len(counts):]) or fields[0]
        rows[fields[0] + " " + name] = counts
    return ncpu, rows


def check_vcpus(t, vm, label, cpus):
    out = vm.run("nproc").strip()
    t.check("%s: nproc = %d configured vCPUs [issue 2 tests: nproc equals the configured vCPUs]"
            % (label, cpus), out == str(cpus), "got %r" % out)


def check_memory(t, vm, label, mem_bytes):
    """The kernel's `Memory: AVAILK/TOTALK available` line: TOTAL counts every page of RAM the
    kernel was given (before its own reservations), so it must equal the configured size exactly;
    AVAIL (after kernel image, initrd, CMA, ...) is only sanity-checked."""
    out = vm.run("dmesg | grep 'Memory: '")
    m = re.search(r"Memory: (\d+)K/(\d+)K available", out)
    want = mem_bytes // 1024
    if not m:
        t.check("%s: kernel reports its memory [issue 2 tests: Memory total]" % label, False,
                "no 'Memory: ...K/...K available' line in dmesg: %r" % out)
        return
    avail, total = int(m.group(1)), int(m.group(2))
    t.check("%s: kernel's Memory total %dK = configured %dK [issue 2 tests: Memory total "
            "matches the configured memory]" % (label, total, want), total == want)
    t.check("%s: available memory %dK is positive and below the total" % (label, avail),
            0 < avail < total)


def check_timer(t, vm, label):
    def timer_total():
        _, rows = interrupts(vm)
        counts = [c for name, c in rows.items() if "arch_timer" in name]
        return sum(counts[0]) if counts else None
    before = timer_total()
    vm.run("sleep 1")
    after = timer_total()
    t.check("%s: arch timer interrupts grow (%s -> %s over 1 s) [issue 2 tests: the arch timer "
            "interrupt count grows; virtual timer injection]" % (label, before, after),
            before is not None and after is not None and after > before)


def check_ipis(t, vm, label, cpus):
    # A short sleep pinned to each CPU in turn: waking tasks on other CPUs sends rescheduling
    # IPIs everywhere (bounded work: this check must not depend on preempting busy vCPUs).
    vm.run("for m in %s; do taskset $m sleep 0.1 & done; wait"
           % " ".join("%x" % (1 << i) for i in range(cpus)), timeout=60)
    ncpu, rows = interrupts(vm)
    ipis = {n: c for n, c in rows.items() if n.startswith("IPI")}
    per_cpu = [sum(c[i] for c in ipis.values() if i < len(c)) for i in range(ncpu)]
    t.check("%s: IPIs on every CPU (IPI totals per CPU %s) [issue 2 tests: IPIs appear on every "
            "CPU; vGIC SGIs between vCPUs]" % (label, per_cpu),
            ncpu == cpus and len(ipis) > 0 and all(n > 0 for n in per_cpu))


def check_busy(t, vm, label, cpus):
    """Every vCPU spinning in user space for 2 s: the guest must still preempt them (virtual timer
    interrupts reach a running vCPU) so the shell gets to kill them. Returns False if the guest
    did not come back (later checks on this boot are then meaningless)."""
    try:
        out, status = vm.run_status(
            "i=0; while [ $i -lt %d ]; do yes >/dev/null & i=$((i+1)); done; sleep 2; "
            "killall yes; wait" % cpus, timeout=90)
    except harness.Timeout as e:
        t.fail("%s: with all %d vCPUs busy the shell returns within 90 s [issue 2 §4: virtual "
               "timer injected into running vCPUs]: %s" % (label, cpus, e))
        return False
    t.check("%s: with all %d vCPUs busy the shell returns [issue 2 §4: virtual timer injected "
            "into running vCPUs]" % (label, cpus), True)
    return True


def check_poweroff(t, vm, label, vm_name="linux"):
    """`poweroff -f` ends the VM: Tandem logs it and stays up (QEMU keeps running)."""
    vm.send("poweroff -f")
    t.expect_check(vm, r"vm %s: stopped" % re.escape(vm_name), 60,
                   "%s: poweroff -f: Tandem logs 'vm %s: stopped' [issue 2 §5: poweroff in a guest "
                   "stops that VM, Tandem logs it]" % (label, vm_name))
    vm.drain(3)
    t.check("%s: the hypervisor stays up after the VM stopped (QEMU still running, no panic) "
            "[issue 2 §5: the hypervisor stays up]" % label,
            vm.alive() and not re.search(r"(?i)panic|unexpected exception", vm.text[vm.pos:]))


def counting_process(period_s):
    """A shell command that starts a background process counting in /tmp/count every period_s
    seconds (its PID in /tmp/counter.pid). Each count is renamed into place, so a reader never
    sees the file between truncation and write (an empty read made such checks flaky)."""
    return ("(n=0; while :; do n=$((n+1)); echo $n > /tmp/count.new; mv /tmp/count.new /tmp/count; "
            "sleep %s; done) >/dev/null 2>&1 & echo $! > /tmp/counter.pid" % period_s)
