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
Boot 2, configs/tests/failover-linux.dts (a failover group, the RTOS in a bind pool), -smp 3,
only once Tandem parses `failover-groups` (else a TAP comment says it was not run): the primary
fails at a random record by kernel panic (sysrq c, panic=-1: PSCI SYSTEM_RESET), by hanging
(its watchdog feeder frozen), by SYSTEM_OFF (poweroff -f) and by a fatal fault; each time the
backup is promoted, binds the moved device and the client carries on; every record acknowledged
before the failure is in the new primary's log, none acknowledged twice, the sequence goes on.
Then 20 failovers back and forth: roles swap each time, Tandem's free page frames are the same
after as before, the RTOS keeps printing LAT lines.
No timing is asserted: figures are TAP comments (tools/bench/failover.py prints bench rows).
"""
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
    t.note("replication: %d records, longest client-visible gap %.3f s (wall, plain TCG, "
           "includes the 8 s freeze)" % (s.acked(), s.client.gaps()))

t.done()
