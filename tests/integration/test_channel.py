#!/usr/bin/env python3
"""Issue 13 item 1, channels: configs/tests/channel-rtos.dts, RTOS VMs "left" and "right" joined
by channel "link" (64 KiB), and "outsider" in no channel (-smp 4, -m 2G). Driven with the RTOS's
`chan` command (guests/rtos/chan.c):
  1. both ends see the node (compatible tandem,channel-v1: window, doorbell, id, side, peer) and the
     header Tandem wrote (magic, size, both links up in generation 1); outsider has no node, and
     its write to the window's IPA faults (test_fault=1): Tandem logs the unmapped IPA;
  2. the same memory: a pattern written by one end reads back whole at the other, both ways;
  3. doorbells arrive both ways; a doorbell for a channel the caller is not in, or that does not
     exist, is refused (-3) with a log line naming the VM;
  4. right restarts (PSCI SYSTEM_RESET): left's doorbell handler sees right's link word go down
     (generation 1) then up in generation 2; the payload survives the peer's restart;
  5. a doorbell storm from left: rate-limited (a warning if it went faster than the limit),
     nothing lost (right still gets doorbells), and outsider and right keep running and
     answering (LAT lines go on, commands answer: no timing assertions);
  6. right powers off: left sees its link down; ringing a stopped peer is dropped, not an error.
"""
import re
import time

import harness

CONFIG = "configs/tests/channel-rtos.dts"
TIMEOUT = 60
WINDOW = 0x800000000  # Tandem's choice for the first window: 32 GiB in both VMs
SIZE = 0x10000
RATE = 20000  # doorbells a second per VM (hypervisor/virt/channel.c)
LINK_UP = 1

t = harness.Test(__file__)


def cmd(vm, name, line, pattern, timeout=TIMEOUT):
    """Sends `line` to VM `name`'s shell, waits for `pattern` in what that VM prints after it
    (lines the console broke off and redrew are whole there); returns the match or None."""
    vm.focus(name)
    start = vm.mark()
    vm.send(line)
    rx = re.compile(pattern, re.M)
    deadline = time.monotonic() + timeout
    while True:
        m = rx.search(vm.vm_output(name, start))
        if m or time.monotonic() > deadline or not vm.alive():
            if not m:
                t.fail("%s: '%s' printed no /%s/ within %ss; last output:\n%s"
                       % (name, line, pattern, timeout, vm.tail()))
            return m
        vm.drain(0.5)


CHAN_RE = (r"^CHAN 0 id=(\d+) side=(\d) peer=(\S+) label=(\S+) base=0x([0-9a-f]+) size=0x([0-9a-f]+) "
           r"irq=(\d+) magic=(\S+) version=(\d+) link=([0-9a-f]+)/([0-9a-f]+) rx=(\d+)\n")


def chan(vm, name):
    """`chan` in VM name: a dict of channel 0's fields, or None."""
    m = cmd(vm, name, "chan", CHAN_RE)
    if not m:
        return None
    keys = ["id", "side", "peer", "label", "base", "size", "irq", "magic", "version", "own",
            "peer_link", "rx"]
    d = dict(zip(keys, m.groups()))
    for k, base in (("id", 10), ("side", 10), ("base", 16), ("size", 16), ("irq", 10),
                    ("version", 10), ("own", 16), ("peer_link", 16), ("rx", 10)):
        d[k] = int(d[k], base)
    return d


def wait_rx(vm, name, more_than, what):
    """Polls `chan` in VM name until its doorbell count passes more_than."""
    deadline = time.monotonic() + TIMEOUT
    c = None
    while time.monotonic() < deadline:
        c = chan(vm, name)
        if c is None or c["rx"] > more_than:
            break
        vm.drain(1)
    t.check(what, c is not None and c["rx"] > more_than,
            "rx stayed %s" % (c["rx"] if c else None))
    return c


def events(vm, name):
    m = cmd(vm, name, "chan events 0", r"^CHAN events i=0 peer=([0-9a-f,]*)\n")
    return [int(w, 16) for w in m.group(1).split(",") if w] if m else []


with t.boot("channel", config=CONFIG, smp=4, mem="2G") as vm:
    for name in ("left", "right", "outsider"):
        t.expect_check(vm, r"^\[%s\] RTOS: shell on the console" % name, TIMEOUT,
                       "%s: the RTOS boots" % name, since=0)
    logs = vm.text
    for name, peer in (("left", "right"), ("right", "left")):
        t.check("Tandem maps channel link into %s at Tandem's choice of IPA, 0x%x, doorbell INTID 127"
                % (name, WINDOW),
                re.search(r"^tandem: vm %s: channel link \(id 0\) with %s: 0x%x bytes at IPA 0x%x, "
                          r"doorbell INTID 127\n" % (name, peer, SIZE, WINDOW), logs, re.M), logs[-3000:])
    t.check("Tandem maps no channel into outsider",
            not re.search(r"^tandem: vm outsider: channel", logs, re.M))

    # 1. The node and the header, at both ends; nothing at the outsider's.
    ends = {}
    for name, side, peer in (("left", 0, "right"), ("right", 1, "left")):
        c = chan(vm, name)
        ends[name] = c
        if c:
            t.check("%s: its DTB node names channel 'link' id 0, side %d, peer %s, window 0x%x+0x%x, "
                    "doorbell INTID 127 [item 1: a node per channel in each endpoint's DTB]"
                    % (name, side, peer, WINDOW, SIZE),
                    (c["id"], c["side"], c["peer"], c["label"], c["base"], c["size"], c["irq"])
                    == (0, side, peer, "link", WINDOW, SIZE, 127), str(c))
            t.check("%s: the region's header is Tandem's (magic TCHL, version 1, size, payload at 64)"
                    % name, c["magic"] == "ok" and c["version"] == 1, str(c))
    m = cmd(vm, "outsider", "chan", r"^CHAN (none|0 [^\n]*)\n")
    t.check("outsider: no channel node in its DTB [item 1: only the two named VMs]",
            m and m.group(1) == "none", m.group(0) if m else "")
    t.check("outsider: its write to 0x%x (the others' window) faults: Tandem logs the unmapped IPA "
            "and the RTOS its data abort [only the two named VMs map the region]" % WINDOW,
            re.search(r"^tandem: error: vm outsider vcpu 0: unmapped IPA 0x%x \(write" % WINDOW,
                      vm.text, re.M)
            and re.search(r"^\[outsider\] FAULT: task=faulter .*\(data abort\) FAR=0x%x " % WINDOW,
                          vm.text, re.M), vm.tail())

    # 2. The same memory at both ends.
    for writer, reader, seed in (("left", "right", 1234), ("right", "left", 987654)):
        cmd(vm, writer, "chan write 0 %d" % seed, r"^CHAN write i=0 seed=%d bytes=\d+\n" % seed)
        m = cmd(vm, reader, "chan read 0", r"^CHAN read i=0 seed=(\d+) ok=(\d) bad=(\d+)\n")
        t.check("a pattern %s writes over the whole payload reads back intact at %s (seed %d)"
                % (writer, reader, seed),
                m and int(m.group(1)) == seed and m.group(2) == "1", m.group(0) if m else "")

    # 3. Doorbells both ways, and the refusals.
    for sender, receiver in (("left", "right"), ("right", "left")):
        before = chan(vm, receiver)
        m = cmd(vm, sender, "chan ring 0 3", r"^CHAN ring i=0 n=3 ok=(\d+) status=(-?\d+)\n")
        t.check("%s rings channel link 3 times: CHANNEL_NOTIFY returns 0" % sender,
                m and m.group(1) == "3", m.group(0) if m else "")
        if before:
            wait_rx(vm, receiver, before["rx"], "%s takes the doorbell %s rang (its SPI 127)"
                    % (receiver, sender))
    m = cmd(vm, "outsider", "hc raw 0xc6000006 0", r"^HC raw status=(-?\d+) ")
    t.check("outsider rings channel 0, which it is not in: -3 (INVALID_PARAMETER)",
            m and m.group(1) == "-3", m.group(0) if m else "")
    t.check("... and Tandem says why, naming the VM",
            re.search(r"^tandem: warning: vm outsider vcpu 0: hypercall CHANNEL_NOTIFY refused \(-3\): "
                      r"the VM is not one of its two ends\n", vm.text, re.M))
    m = cmd(vm, "left", "hc raw 0xc6000006 9", r"^HC raw status=(-?\d+) ")
    t.check("left rings channel 9, which does not exist: -3", m and m.group(1) == "-3",
            m.group(0) if m else "")
    t.check("... and Tandem says 'no such channel'",
            re.search(r"^tandem: warning: vm left vcpu 0: hypercall CHANNEL_NOTIFY refused \(-3\): "
                      r"no such channel\n", vm.text, re.M))

    # 4. right restarts: left sees its link go down, then up in the next generation.
    gen1_up = 1 << 1 | LINK_UP
    t.check("both links are up in generation 1 before the restart",
            ends.get("left") and ends["left"]["own"] == gen1_up and ends["left"]["peer_link"] == gen1_up,
            str(ends.get("left")))
    # left polls right's link word (`chan watch`: a down shorter than a doorbell's latency on a
    # loaded host is still seen) while right resets itself.
    vm.focus("left")
    watch_start = vm.mark()
    vm.send("chan watch 0 %d" % (TIMEOUT * 1000))
    vm.expect(r"^\[left\] chan watch 0", TIMEOUT, since=watch_start)  # its shell has it
    mark = vm.mark()
    vm.focus("right")
    vm.send("reset")
    t.expect_check(vm, r"^tandem: vm right: restarted \(restart 1\)", TIMEOUT,
                   "right restarts (PSCI SYSTEM_RESET)", since=mark)
    t.expect_check(vm, r"^\[right\] RTOS: shell on the console", TIMEOUT, "right boots again")
    deadline = time.monotonic() + TIMEOUT
    m = None
    while time.monotonic() < deadline and not m:
        m = re.search(r"^CHAN watch i=0 peer=([0-9a-f,]*) ms=\d+\n",
                      vm.vm_output("left", watch_start), re.M)
        vm.drain(0.5)
    seen = [int(w, 16) for w in m.group(1).split(",")] if m else []
    t.check("left sees right's link word go 3 (up, generation 1) -> 2 (down, generation 1) -> 5 "
            "(up, generation 2) [item 1: the peer sees the link go down and come back up]",
            seen == [gen1_up, 1 << 1, 2 << 1 | LINK_UP], "seen %s" % seen)
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        seen = events(vm, "left")
        if seen and seen[-1] == (2 << 1 | LINK_UP):
            break
        vm.drain(1)
    t.check("left's doorbell handler was rung for the change: it last saw right's link up in "
            "generation 2 (5)", seen and seen[-1] == 2 << 1 | LINK_UP, "seen %s" % seen)
    c = chan(vm, "right")
    t.check("right, restarted, finds its own link up in generation 2 and left's still in 1",
            c and c["own"] == (2 << 1 | LINK_UP) and c["peer_link"] == gen1_up, str(c))
    m = cmd(vm, "right", "chan read 0", r"^CHAN read i=0 seed=(\d+) ok=(\d) bad=(\d+)\n")
    t.check("the payload survives the peer's restart (Tandem resets only the header's link word)",
            m and m.group(1) == "987654" and m.group(2) == "1", m.group(0) if m else "")

    # 5. A doorbell storm from left.
    before = chan(vm, "right")
    storm_start = vm.mark()
    m = cmd(vm, "left", "chan storm 0 3000", r"^CHAN storm i=0 n=(\d+) ok=(\d+) ms=(\d+)\n",
            timeout=120)
    if m:
        n, ok, ms = int(m.group(1)), int(m.group(2)), int(m.group(3))
        t.note("storm: %d doorbells in %d ms of guest time (%d/s)" % (n, ms, n * 1000 // max(ms, 1)))
        t.check("every storm doorbell is accepted (0): over the rate they are deferred, not refused",
                n > 0 and ok == n, m.group(0))
        limited = re.search(r"^tandem: warning: vm left: channel link: doorbells rate-limited \(more "
                            r"than %d a second\); \d+ deferred so far\n" % RATE,
                            vm.text[storm_start:], re.M)
        if n * 1000 > 2 * RATE * max(ms, 1):
            t.check("the storm went faster than %d/s: Tandem says it is rate-limited" % RATE, limited)
        else:
            t.note("the storm was too slow to reach the rate limit on this host")
    # Its LAT lines go on (one per 1000 samples: seconds apart on a loaded host).
    t.expect_check(vm, r"^\[outsider\] LAT irq ", 120,
                   "outsider keeps running: a LAT line after the storm began", since=storm_start)
    if before:
        wait_rx(vm, "right", before["rx"], "right took doorbells from the storm (none were lost)")
    for name in ("outsider", "right"):
        m = cmd(vm, name, "chan", r"^CHAN (none|0 [^\n]*)\n")
        t.check("%s answers its console after the storm" % name, m)

    # 6. right powers off: left sees its link down, and ringing it is dropped.
    mark = vm.mark()
    vm.focus("right")
    vm.send("off")
    t.expect_check(vm, r"^tandem: vm right: stopped", TIMEOUT, "right powers off (SYSTEM_OFF)",
                   since=mark)
    # Tandem moves the console input off a VM that stops: follow it.
    m = vm.expect(r"tandem: console input -> vm (\S+)\n", TIMEOUT, since=mark)
    vm.focused = m.group(1)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        seen = events(vm, "left")
        if seen and seen[-1] == 2 << 1:
            break
        vm.drain(1)
    t.check("left sees right's link down in generation 2 (4)", seen and seen[-1] == 2 << 1,
            "seen %s" % seen)
    m = cmd(vm, "left", "chan ring 0 2", r"^CHAN ring i=0 n=2 ok=(\d+) status=(-?\d+)\n")
    t.check("ringing a stopped peer returns 0 (the doorbell is dropped)", m and m.group(1) == "2",
            m.group(0) if m else "")
    t.check("no error from Tandem but the outsider's fault",
            not re.search(r"^tandem: (error: (?!vm outsider vcpu 0: unmapped IPA)|PANIC)", vm.text, re.M),
            vm.tail())
    t.check("the hypervisor is still running", vm.alive())
t.done()
