#!/usr/bin/env python3
"""Issue 15: the base station. Two Linux VMs run tandem-recordd (guests/linux/tools/recordd.c);
the host client (tools/record-client.py) streams sequence-numbered records into the active one
over a virtio console port on the virtio-mmio device the group owns (QEMU: -device
virtio-serial-device + virtserialport "records" on a Unix socket); the active VM replicates
each record to the standby over the group's channel (/dev/tandem-chan0, tandem_failover) and
acknowledges it only once the standby holds it.

Boot 1, configs/tests/records-pair.dts (no failover group; roles from the command line), -smp 2:
  - both VMs' tandem_failover binds the channel (its `protocol`), tandem_vserial does not;
  - 300 records: every one acknowledged once, in sequence; the standby's log holds exactly the
    client's records (digest of 1..N recomputed by the client);
  - acknowledgements wait for the standby: with the standby's recordd frozen (SIGSTOP) the
    primary logs what arrives but acknowledges nothing; thawed, everything is acknowledged
    (each once) and the standby holds it.
Boot 2, configs/tests/failover-linux.dts (a failover group, the RTOS in a bind pool), -smp 3:
the client streams records; the active VM fails at a random record by kernel panic (sysrq c,
panic=-1: PSCI SYSTEM_RESET), by hanging (its watchdog feeder frozen: WS1 4 s after its last
refresh), by SYSTEM_OFF (poweroff -f) and by a fatal fault (a read where it has nothing, with
on-unmapped-access = "fail"); each time Tandem logs the failure and the promotion, the backup
binds the moved device and the client carries on; every record acknowledged before the failure
is in the new primary's log (digest), none acknowledged twice, the sequence goes on; the failed
VM restarts as the standby and is caught up. Those four and 16 more (the modes in turn) make 20
failovers back and forth in the boot: roles swap each time, Tandem's free page frames are the
same after as before, no Tandem error but the injected faults, the RTOS keeps printing LAT lines.
No timing is asserted: figures are TAP comments (tools/bench/failover.py prints bench rows).
"""
# Boot 1 and boot 2 (20 Linux restarts) took 12 minutes together on a loaded host (load ~20 on 2
# cores), two of them running side by side.
# run-tests: timeout 3600
import importlib.util
import os
import random
import re
import threading
import time

import harness

spec = importlib.util.spec_from_file_location(
    "record_client", os.path.join(harness.TOP, "tools", "record-client.py"))
record_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(record_client)

t = harness.Test(__file__)
work = os.path.join(t.build, "test-work", t.name)
os.makedirs(work, exist_ok=True)
SOCK = os.path.join(work, "records.sock")
QEMU_PORT = ["-chardev", "socket,id=rec,path=%s,server=on,wait=off" % SOCK,
             "-device", "virtio-serial-device", "-device", "virtserialport,chardev=rec,name=records"]
RNG = random.Random(int(os.environ.get("TANDEM_FAILOVER_SEED", "15")))


def line_of(name, rest):
    """A regex for a line of VM `name` starting with `rest`: the line may begin after the
    shell's prompt, which the console redraws whenever another VM printed."""
    return r"\[%s\] (?:tandem-guest:/# )*" % name + rest


def use_shell(vm, name, fresh=False):
    """Points run() at VM `name`'s shell; `fresh`: it just booted, quieten it first."""
    if vm.shell_vm != name or fresh:
        vm.shell_vm = name
        vm.focused = None  # after a failover the input may have moved: find out by switching
        vm.focus(name)
        if fresh:
            vm.run(harness.QUIET_SHELL)


class Streamer:
    """The record client in a thread, streaming until stopped."""

    def __init__(self, rate=40):
        self.client = record_client.RecordClient(SOCK, window=16, rate=rate)
        self.client.connect()
        self.first = self.client.hello()
        self.paused = threading.Event()
        self.stopping = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stopping.is_set():
                self.client.step(sending=not self.paused.is_set())
        except Exception as e:  # reported by the test
            self.error = e

    def acked(self):
        return len(self.client.acked)

    def wait_acked(self, n, timeout):
        deadline = time.monotonic() + timeout
        while self.acked() < n and time.monotonic() < deadline and self.error is None:
            time.sleep(0.2)
        return self.acked() >= n

    def stop(self):
        self.stopping.set()
        self.thread.join(10)


def verify(vm, name, upto):
    """tandem-recordd verify in VM `name`: (records, bad, digest of 1..upto)."""
    use_shell(vm, name)
    out = vm.run("tandem-recordd verify upto=%d" % upto, timeout=60)
    m = re.search(r"verify: records=(\d+) last=\d+ bad=(\d+) upto=(\d+) digest=([0-9a-f]+)", out)
    if not m:
        return None, None, None, out
    return int(m.group(1)), int(m.group(2)), (int(m.group(3)), m.group(4)), out


def status(vm, name):
    use_shell(vm, name)
    out = vm.run("cat /run/recordd.status")
    return dict(re.findall(r"(\w+)=(\S+)", out))


def check_log(vm, name, upto, what):
    n, bad, dig, out = verify(vm, name, upto)
    want = record_client.digest_upto(upto)
    t.check("%s: %s's log holds records 1..%d exactly as the client sent them (digest %s) "
            "[issue 15: replication]" % (what, name, upto, want),
            n is not None and n >= upto and bad == 0 and dig == (upto, want),
            "verify said %r" % out)


# ---------------------------------------------------------------- boot 1: replication alone
with t.boot("pair", config="configs/tests/records-pair.dts", smp=2, mem="2G",
            extra=QEMU_PORT) as vm:
    vm.focused = "bs-a"  # Tandem's first VM has the console input at boot
    for side, name in ((0, "bs-a"), (1, "bs-b")):
        t.expect_check(vm, r"\[%s\] .*tandem_chan \S+: channel 0 \"bs-sync\" \(protocol records, "
                       r"side %d" % (name, side), harness.BOOT_TIMEOUT,
                       "%s: tandem_failover binds the channel that names a protocol: "
                       "/dev/tandem-chan0 [issue 15: raw channel]" % name, since=0)
    t.expect_check(vm, r"\[bs-a\] recordd: standby in sync at record 0", harness.BOOT_TIMEOUT,
                   "the primary's recordd sees the standby's (its area, its link word)", since=0)
    vm.pos = 0  # login() looks for the first shell marker
    vm.login()
    use_shell(vm, "bs-b" if vm.shell_vm == "bs-a" else "bs-a", fresh=True)
    out = vm.run("ls /dev/ttyTV* 2>&1; cat /sys/bus/platform/drivers/tandem_chan/*/info")
    t.check("tandem_vserial leaves the channel alone (no /dev/ttyTV*), tandem_chan has it",
            "No such file" in out and "protocol records" in out, "got %r" % out)

    s = Streamer(rate=0)
    t.check("the primary greets the client: next record 1", s.first == 1, "H said %r" % s.first)
    ok = s.wait_acked(300, 300)
    s.paused.set()
    t.check("300 records acknowledged (%d)" % s.acked(), ok)
    time.sleep(2)
    probs = s.client.problems()
    t.check("each acknowledged once, in sequence: %s" % (probs or "no problem"), not probs)
    n_acked = s.client.highest_contiguous()
    check_log(vm, "bs-b", n_acked, "replication")
    check_log(vm, "bs-a", n_acked, "replication")

    # Acknowledgements wait for the standby: freeze its recordd.
    use_shell(vm, "bs-b")
    vm.run("kill -STOP $(pidof tandem-recordd)")
    before = s.acked()
    s.paused.clear()
    time.sleep(8)
    s.paused.set()
    frozen_acks = s.acked() - before
    st_a = status(vm, "bs-a")
    t.check("with the standby's recordd frozen the primary logs records (last %s > %d "
            "acknowledged) but acknowledges none (%d) [issue 15: ack only after the backup "
            "confirmed]" % (st_a.get("last"), s.acked(), frozen_acks),
            frozen_acks == 0 and int(st_a.get("last", 0)) > before, "status %r" % st_a)
    use_shell(vm, "bs-b")
    vm.run("kill -CONT $(pidof tandem-recordd)")
    deadline = time.monotonic() + 120
    while s.client.unacked and time.monotonic() < deadline:
        time.sleep(0.5)
    s.stop()
    probs = s.client.problems()
    t.check("thawed, the standby catches up and every record is acknowledged once (%d): %s"
            % (s.acked(), probs or "no problem"), not s.client.unacked and not probs)
    check_log(vm, "bs-b", s.client.highest_contiguous(), "after the freeze")

    # A standby that starts empty (as after its VM restarts) gets the whole log replayed.
    use_shell(vm, "bs-b")
    mark = vm.mark()  # before: the catch-up can be over before run() has read its prompt
    vm.run("kill $(pidof tandem-recordd); sleep 1; "
           "(tandem-recordd standby >/dev/console 2>&1 &)")
    t.expect_check(vm, line_of("bs-a", r"recordd: standby in sync at record %d")
                   % s.client.highest_contiguous(), 120,
                   "a restarted, empty standby is caught up from the primary's log (%d records) "
                   "[issue 15: the standby holds every record]" % s.client.highest_contiguous(),
                   since=mark)
    check_log(vm, "bs-b", s.client.highest_contiguous(), "after the standby's restart")
    t.note("replication: %d records, longest client-visible gap %.3f s (wall, plain TCG, "
           "includes the 8 s freeze)" % (s.acked(), s.client.gaps()))

# ---------------------------------------------------------------- boot 2: failover
FAILOVER = (r"tandem: warning: failover bs: (\S+) failed \((.*?)\) at (\d+) ticks \(\d+ us\); "
            r"(\S+) promoted in (\d+) ticks \(\d+ us\), generation (\d+), (\d+) devices? moved; "
            r"restarting it as the standby")
CAUSE = {"panic": "PSCI SYSTEM_RESET", "off": "PSCI SYSTEM_OFF",
         "fault": "unmapped access (a fatal fault)",
         "hang": "watchdog WS1: not refreshed within two timeouts"}
INJECT = {
    # kernel panic: panic=-1 reboots at once through PSCI SYSTEM_RESET
    "panic": "echo c > /proc/sysrq-trigger",
    # a hang: the watchdog's feeder frozen; WS1 two timeouts (2 x 2 s) after its last refresh
    "hang": "kill -STOP $(pidof watchdog)",
    # PSCI SYSTEM_OFF
    "off": "poweroff -f",
    # a fatal fault: a read where the VM has nothing (on-unmapped-access = "fail")
    "fault": "devmem 0x0b000000 32",
}
FIGURES = []  # one dict per failover


def expect_or_none(vm, pattern, timeout, since):
    try:
        return vm.expect(pattern, timeout, since)
    except harness.Timeout:
        return None


def free_frames(vm):
    """Tandem's free page frames (Ctrl-A d)."""
    mark = vm.mark()
    vm.send("\x01d", newline=False)
    m = vm.expect(r"tandem: memory: (\d+) free page frames", 30, since=mark)
    vm.settle_prompt()
    return int(m.group(1))


class Checks:
    """Per-failover checks: each one a TAP line (`loud`), or collected into one line per kind
    (the 20 swaps: 20 x 10 TAP lines would bury the rest)."""

    def __init__(self, loud):
        self.loud = loud
        self.failed = {}  # kind -> [what]
        self.kinds = []

    def __call__(self, kind, what, ok, detail=""):
        if kind not in self.kinds:
            self.kinds.append(kind)
        if self.loud:
            return t.check(what, ok, detail)
        if not ok:
            self.failed.setdefault(kind, []).append("%s (%s)" % (what, detail[-300:]))
            t.note("FAILED: %s: %s" % (what, detail[-300:]))
        return ok

    def report(self, n):
        for kind in self.kinds:
            bad = self.failed.get(kind, [])
            t.check("%d failovers: %s" % (n, kind), not bad, "; ".join(bad[:3]))


def failover(vm, s, mode, active, standby, what, chk):
    """Fails `active` by `mode` at a random record while the client streams; checks the
    promotion, the records and the swap. Returns True if `standby` took over and the restarted
    `active` caught up as the new standby."""
    target = s.acked() + RNG.randint(5, 60)
    if not chk("flow", "%s: records flow before the failure (%d)" % (what, target),
               s.wait_acked(target, 300)):
        return False
    use_shell(vm, active)
    mark = vm.mark()
    # The guest's counter (== Tandem's: CNTVOFF is 0) just before the failure, for the figures.
    vm.send("tandem-counter; " + INJECT[mode])
    t_fail = time.monotonic()
    acked_at_failure = s.client.highest_contiguous()
    m = expect_or_none(vm, FAILOVER, 180, since=mark)
    ok = m is not None and (m.group(1), m.group(2), m.group(4)) == (active, CAUSE[mode], standby)
    if not chk("detect", "%s: Tandem fails %s over (%s: %s), promotes %s, 1 device moved "
               "[issue 15: failure detection]" % (what, active, mode, CAUSE[mode], standby),
               ok and m.group(7) == "1", m.group(0) if m else "no failover line: " +
               vm.text[mark:][-600:]):
        return False
    line, detected, promo_ticks = m.group(0), int(m.group(3)), int(m.group(5))
    inj = re.search(r"tandem-counter: cntvct=(\d+)", vm.vm_output(active, mark))
    ma = expect_or_none(vm, line_of(standby, r"recordd: first acknowledgement after promotion: "
                                   r"record (\d+), ticks since promotion (\d+) \(cntvct=(\d+)\)"),
                           180, since=mark)
    chk("ack", "%s: %s learns its promotion, binds the moved device and acknowledges records "
        "[issue 15: device moves, service continues]" % (what, standby), ma is not None,
        vm.text[mark:][-600:])
    mp = re.search(line_of(standby, r"recordd: port open after promotion: ticks since "
                                     r"promotion (\d+)"), vm.text[mark:])
    mr = re.search(line_of(standby, r"recordd: promoted: generation \d+, log up to \d+ "
                                     r"\(cntvct=(\d+)\)"), vm.text[mark:])
    t_ack = time.monotonic()
    ok = s.wait_acked(s.acked() + 40, 300)
    chk("carry", "%s: the client carries on through the moved device (%d acknowledged)"
        % (what, s.acked()), ok)
    probs = s.client.problems()
    chk("once", "%s: none acknowledged twice, the sequence continues: %s"
        % (what, probs or "no problem"), not probs and s.error is None, "%r" % (s.error,))
    gap = s.client.longest_gap(t_fail, t_ack)
    fig = {"mode": mode, "from": active, "to": standby, "detected": detected,
           "promotion_ticks": promo_ticks, "gap_wall": gap,
           "inject": int(inj.group(1)) if inj else None,
           "seen": int(mr.group(1)) if mr else None,
           "port_open": int(mp.group(1)) if mp else None,
           # The acknowledgement's own time: the promotion's counter plus the ticks since it
           # (the line itself is printed later, after the takeover's held-back lines).
           "first_ack": int(mr.group(1)) + int(ma.group(2)) if ma and mr else None}
    FIGURES.append(fig)
    t.note("%s: %s | inject -> detected %s ticks, detected -> first ack %s ticks, port open %s "
           "ticks after the guest saw it | client gap %s s (wall)"
           % (what, line, detected - fig["inject"] if fig["inject"] else "?",
              fig["first_ack"] - detected if fig["first_ack"] else "?",
              fig["port_open"], "%.3f" % gap if gap is not None else "?"))
    s.paused.set()
    upto = s.client.highest_contiguous()
    chk("acked", "%s: every record acknowledged before the failure (%d) is acknowledged (%d)"
        % (what, acked_at_failure, upto), upto >= acked_at_failure)
    n, bad, dig, out = verify(vm, standby, upto)
    want = record_client.digest_upto(upto)
    chk("log", "%s: %s's log holds records 1..%d exactly as the client sent them (digest %s) "
        "[issue 15: replication]" % (what, standby, upto, want),
        n is not None and n >= upto and bad == 0 and dig == (upto, want), "verify said %r" % out)
    s.paused.clear()
    # The failed VM restarts as the new standby and is caught up.
    ok = expect_or_none(vm, line_of(standby, r"recordd: standby in sync at record \d+"), 300,
                        since=mark) is not None
    chk("swap", "%s: %s restarts as the standby and catches up [issue 15: roles swap]"
        % (what, active), ok, vm.text[mark:][-600:])
    if ok:
        ok = expect_or_none(vm, r"\[%s\] .*TANDEM-LINUX-READY" % active, 120,
                               since=mark) is not None
        if ok:
            use_shell(vm, active, fresh=True)
            st = status(vm, active)
            ok = st.get("role") == "standby"
        chk("swap", "%s: %s's recordd is the standby now" % (what, active), ok)
    return ok


with t.boot("failover", config="configs/tests/failover-linux.dts", smp=3, mem="2G",
            extra=QEMU_PORT) as vm:
    vm.focused = "bs-a"
    t.expect_check(vm, line_of("bs-a", r"recordd: standby in sync at record 0"),
                   harness.BOOT_TIMEOUT, "bs-a's recordd serves, bs-b's stands by", since=0)
    vm.pos = 0
    vm.login()
    other = "bs-b" if vm.shell_vm == "bs-a" else "bs-a"
    use_shell(vm, other, fresh=True)
    out = vm.run("cat /dev/tandem-failover")
    t.check("bs-b's role is standby, generation 0 [issue 15: role hypercall]",
            other != "bs-b" or "role=standby generation=0" in out, "got %r" % out)
    frames_before = free_frames(vm)
    lat_before = len(re.findall(r"^\[rtos\] LAT irq", vm.text, re.M))
    s = Streamer(rate=40)
    active, standby = "bs-a", "bs-b"
    # The four failure modes, each checked on its own.
    modes = ["panic", "hang", "off", "fault"]
    loud = Checks(True)
    for mode in modes:
        if not failover(vm, s, mode, active, standby, "failover by %s" % mode, loud):
            break
        active, standby = standby, active
    # Then on to 20 failovers in this boot (the modes in turn), roles swapping each time.
    lat_mark = vm.mark()
    quiet_chk = Checks(False)
    if len(FIGURES) == len(modes):
        for i in range(len(modes), 20):
            mode = modes[i % len(modes)]
            if not failover(vm, s, mode, active, standby, "failover %d/20 (%s)" % (i + 1, mode),
                            quiet_chk):
                break
            active, standby = standby, active
        quiet_chk.report(len(FIGURES) - len(modes))
    swaps = len(FIGURES)
    t.check("20 failovers back and forth in one boot, roles swapping each time (%d)" % swaps,
            swaps == 20)
    lat = re.findall(r"^\[rtos\] LAT irq min=(\d+) avg=(\d+) max=(\d+)", vm.text[lat_mark:], re.M)
    t.check("the RTOS kept printing LAT lines through the failovers (%d, %d before them)"
            % (len(lat), lat_before), len(lat) >= swaps and len(lat) > 0)
    frames_after = free_frames(vm)
    t.check("no page frames leaked: %d free before, %d after %d failovers and restarts "
            "[issue 15]" % (frames_before, frames_after, len(FIGURES)),
            frames_after == frames_before)
    s.stop()
    t.check("no error from Tandem but the injected fatal faults",
            not [ln for ln in re.findall(r"^tandem: (?:error|PANIC)[^\n]*", vm.text, re.M)
                 if "a fatal fault (on-unmapped-access" not in ln],
            str(re.findall(r"^tandem: (?:error|PANIC)[^\n]*", vm.text, re.M)[:3]))
    for mode in modes:
        rows = [f for f in FIGURES if f["mode"] == mode]
        det = [f["detected"] - f["inject"] for f in rows if f["inject"]]
        pro = [f["first_ack"] - f["detected"] for f in rows if f["first_ack"]]
        gap = [f["gap_wall"] for f in rows if f["gap_wall"] is not None]
        if rows:
            t.note("figures %s (%d failovers, ticks of 16 ns, plain TCG): inject -> detected "
                   "min %s max %s; detected -> promotion interrupt min %d max %d; detected -> "
                   "first ack min %s max %s; client gap (wall) min %s max %s s"
                   % (mode, len(rows), min(det, default="?"), max(det, default="?"),
                      min(f["promotion_ticks"] for f in rows),
                      max(f["promotion_ticks"] for f in rows),
                      min(pro, default="?"), max(pro, default="?"),
                      "%.2f" % min(gap) if gap else "?", "%.2f" % max(gap) if gap else "?"))

t.done()
