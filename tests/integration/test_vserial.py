#!/usr/bin/env python3
"""Issue 13 §4: the Linux side of the serial channel, one boot of configs/tests/linux-vserial.dts
(Linux and the RTOS joined by a 256 KiB channel) on -smp 4:

- /init finds the channel node in Linux's device tree and loads tandem_vserial, the out-of-tree
  module built against Debian's headers of the guest kernel (tools/build-modules.sh); it binds
  the channel (Linux is side 1, the window's size, the doorbell) and, while nothing on the RTOS's
  side speaks vserial, stays detached: no /dev/ttyTV*; it unloads and loads again.
- The RTOS of this config does not serve the ring (that is the TTU's RTOS, tested by test_ttu),
  so a *fake dev side* plays it from Linux user space: busybox `devmem` writes the RTOS's words
  into the window through /dev/mem and "rings" Linux's doorbell by setting the doorbell SPI
  pending in the (virtual) distributor. It follows tandem/abi/vserial.h's protocol: layout, the
  epoch handshake (the driver asks for a fresh start, the dev side answers), RX data (with a wrap
  of a 64-byte ring), TX data, line settings, then a hostile index (counted, reported, the ring
  reset, later data still flows), a layout the driver must refuse, and a real restart of the RTOS
  VM: Tandem's link word changes, the driver hangs up the open tty, and after the dev side's new
  epoch the port works again.
(/dev/mem maps the window uncached while the driver's mapping is write-back: fine under QEMU,
which models no caches; this fake is a test device, not a pattern.)
"""
import re
import time

import harness

CONFIG = "configs/tests/linux-vserial.dts"
REGION_SIZE = 0x40000
TIMEOUT = 60
SLOW = 120  # a guest command line of many devmem processes
PROBE_RE = (r"tandem_vserial \S+: channel (\d+) \(side (\d), 0x([0-9a-f]+) bytes, "
            r"doorbell irq (\d+)\)")
STATUS_RE = (r"live (\d) ports (\d+) ring (\d+) epoch (\d+) rtos_epoch (\d+) corrupt (\d+) "
             r"resyncs (\d+)")
STATUS = "cat /sys/bus/platform/drivers/tandem_vserial/*/status"

# tandem/abi/vserial.h, version 1
MAGIC, VERSION, READY = 0x52535654, 1, 0x59444552
HDR = 64                     # the channel's payload_offset
DEV, TTY = HDR + 64, HDR + 128   # the sides' words: state, epoch, peer_epoch, corrupt, resyncs
PORTS = HDR + 192
PORT_SIZE = 128
RX, TX = 0, 32                   # ring: prod, cons, size, data_offset, threshold, max_delay, flags
LINE_REQ, TTY_CTRL = 64, 96
CTRL_OPEN = 1
GICD = 0x08000000


class FakeDev:
    """The RTOS's side of the vserial ring, played through /dev/mem from Linux's shell. Each
    devmem is a busybox process: a long line of them takes a while on a loaded host."""

    def __init__(self, vm, base, intid):
        self.vm, self.base, self.intid = vm, base, intid

    def w32(self, writes):
        """[(offset, value)...] in one shell line, in order."""
        cmd = "; ".join("devmem 0x%x 32 0x%x" % (self.base + o, v & 0xffffffff) for o, v in writes)
        self.vm.run(cmd, timeout=SLOW)

    def r32(self, offsets):
        out = self.vm.run("; ".join("devmem 0x%x 32" % (self.base + o) for o in offsets),
                          timeout=SLOW)
        return [int(x, 16) for x in out.split()]

    def ring_doorbell(self):
        """Sets Linux's doorbell SPI pending (GICD_ISPENDR<n>), as Tandem does for a notify."""
        self.vm.run("devmem 0x%x 32 0x%x" % (GICD + 0x200 + 4 * (self.intid // 32),
                                              1 << (self.intid % 32)), timeout=SLOW)

    def layout(self, nr_ports, ring):
        self.nr, self.ring = nr_ports, ring
        self.data = (PORTS + nr_ports * PORT_SIZE + 63) & ~63

    def ring_off(self, port, d):
        return self.data + (2 * port + (d // TX)) * self.ring

    def init(self, epoch, tty_epoch, bad_data_offset=False):
        """The dev side's (re)initialisation: state 0, layout, per-port words, READY."""
        w = [(DEV, 0)]
        data = self.data + (64 if bad_data_offset else 0)
        w += [(HDR + 0, MAGIC), (HDR + 4, VERSION), (HDR + 8, self.nr), (HDR + 12, self.ring),
              (HDR + 16, REGION_SIZE), (HDR + 20, PORTS), (HDR + 24, data)]
        for p in range(self.nr):
            for d in (RX, TX):
                o = PORTS + p * PORT_SIZE + d
                w += [(o + 0, 0) if d == RX else (o + 4, 0), (o + 8, self.ring),
                      (o + 12, self.ring_off(p, d)), (o + 16, 16), (o + 20, 1000)]
        w += [(DEV + 4, epoch), (DEV + 8, tty_epoch), (DEV, READY)]
        self.w32(w)
        self.rx_prod = [0] * self.nr
        self.ring_doorbell()

    def send(self, port, data):
        """RX bytes (RTOS -> Linux) at the port's producer index, then the index, then ring."""
        base = self.ring_off(port, RX)
        cmds = ["devmem 0x%x 8 0x%x" % (self.base + base + ((self.rx_prod[port] + i) % self.ring), b)
                for i, b in enumerate(data)]
        self.rx_prod[port] += len(data)
        cmds.append("devmem 0x%x 32 0x%x" % (self.base + PORTS + port * PORT_SIZE + RX,
                                             self.rx_prod[port]))
        self.vm.run("; ".join(cmds), timeout=SLOW)
        self.ring_doorbell()

    def port_word(self, port, off):
        return self.r32([PORTS + port * PORT_SIZE + off])[0]

    def tx_bytes(self, port, start, n):
        base = self.base + self.ring_off(port, TX)
        out = self.vm.run("; ".join("devmem 0x%x 8" % (base + (start + i) % self.ring)
                                    for i in range(n)), timeout=SLOW)
        return bytes(int(x, 16) for x in out.split())


def wait_for(vm, what, pred, timeout=TIMEOUT):
    """Polls pred() (which runs guest commands) until true or the deadline."""
    end = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > end:
            return v
        vm.run("sleep 0.2")


def status(vm):
    m = re.search(STATUS_RE, vm.run(STATUS))
    return [int(x) for x in m.groups()] if m else None


def check_module(t, vm):
    out = vm.run("grep -c tandem_vserial /proc/modules")
    t.check("/init loaded tandem_vserial because the device tree has a tandem,channel-v1 node "
            "[issue 13 §4: loaded at boot when a channel node exists]", out.strip() == "1", out)
    out = vm.run("dmesg | grep tandem_vserial")
    m = re.search(PROBE_RE, out)
    t.check("the driver bound the channel: Linux is side 1 of a 0x40000-byte window with a "
            "doorbell interrupt [issue 13 §4: a driver bound to the channel node]",
            m is not None and m.group(2) == "1" and int(m.group(3), 16) == REGION_SIZE, out)
    s = status(vm)
    t.check("nothing speaks vserial on the channel yet: the driver stays detached (live 0, no "
            "ports)", s is not None and s[0] == 0 and s[1] == 0, str(s))
    out = vm.run("ls /dev | grep -c ttyTV")
    t.check("no /dev/ttyTV* while no dev side declares ports", out.strip() == "0", out)
    _, rc = vm.run_status("rmmod tandem_vserial")
    out = vm.run("grep -c tandem_vserial /proc/modules")
    t.check("rmmod tandem_vserial", rc == 0 and out.strip() == "0", out)
    _, rc = vm.run_status("modprobe tandem_vserial")
    out = vm.run("dmesg | grep -c 'tandem_vserial .*: channel .* doorbell irq'")
    t.check("modprobe again: the driver binds the channel again", rc == 0 and out.strip() == "2",
            out)


def wait_request(t, vm, fd, old, what):
    """Waits for the driver to ask for a fresh start: its epoch moves on from `old`, READY."""
    new = wait_for(vm, "request", lambda: (lambda s: s[1] if s[1] != old and s[0] == READY
                                           else None)(fd.r32([TTY, TTY + 4])))
    t.check("%s: the driver asked the dev side for a fresh start (tty epoch %#x -> %s, state "
            "READY)" % (what, old, new and hex(new)), new is not None)
    return new


def attach(t, vm, fd, epoch, tty_epoch, what):
    """The dev side (re)initialises for the driver's epoch; the driver must attach."""
    fd.init(epoch, tty_epoch)
    s = wait_for(vm, "attach", lambda: (lambda s: s if s and s[0] == 1 else None)(status(vm)))
    ack = fd.r32([TTY + 8])[0]
    return t.check("%s: the driver attached to the dev side's epoch %d: live, %d ports of %d "
                   "bytes, its peer_epoch acknowledged in the region"
                   % (what, epoch, fd.nr, fd.ring),
                   s is not None and s[1] == fd.nr and s[2] == fd.ring and s[4] == epoch
                   and ack == epoch, "status %s, peer_epoch %d" % (s, ack))


def start_reader(vm, port, path):
    vm.run("(stty raw -echo; exec cat > %s) < /dev/ttyTV%d & echo $! > %s.pid" %
           (path, port, path))


def check_rx(t, vm, fd, port, path, data, what):
    before = int(vm.run("wc -c < %s" % path))
    fd.send(port, data)
    got = wait_for(vm, "rx", lambda: (lambda s: s if len(s) >= before + len(data) else None)(
        vm.run("od -An -v -tx1 %s" % path)), 30)
    raw = bytes(int(x, 16) for x in (got or vm.run("od -An -v -tx1 %s" % path)).split())
    t.check("%s: %d bytes written into port %d's RX ring reach the reader of /dev/ttyTV%d in "
            "order" % (what, len(data), port, port), raw[before:] == data,
            "got %r" % raw[before:])
    cons = fd.port_word(port, RX + 4)
    t.check("%s: the driver published its consumer index (%d)" % (what, fd.rx_prod[port]),
            cons == fd.rx_prod[port], "cons %d" % cons)


def fake_dev_session(t, vm):
    node = vm.run("ls -d /sys/firmware/devicetree/base/channel@*").strip()
    base = int(node.rsplit("@", 1)[1], 16)
    cells = vm.run("od -An -v -tu1 %s/interrupts" % node).split()
    intid = int(cells[7]) + (int(cells[6]) << 8) + 32
    t.note("channel window at %#x, Linux's doorbell INTID %d" % (base, intid))
    fd = FakeDev(vm, base, intid)
    fd.layout(2, 64)
    # The dev side announces itself for whatever epoch the tty side had; the driver asks for a
    # fresh start (a new epoch of its own); the dev side answers it; the driver attaches.
    old = fd.r32([TTY + 4])[0]
    fd.init(100, old)
    e1 = wait_request(t, vm, fd, old, "first attach")
    if e1 is None or not attach(t, vm, fd, 101, e1, "first attach"):
        return
    out = vm.run("echo $(ls /dev | grep ttyTV)")
    t.check("the ports the dev side declares appear: /dev/ttyTV0 and /dev/ttyTV1 [issue 13 §4: "
            "one tty per logical port]", out.split() == ["ttyTV0", "ttyTV1"], out)

    start_reader(vm, 0, "/tmp/rx0")
    ctrl = wait_for(vm, "open", lambda: fd.port_word(0, TTY_CTRL) & CTRL_OPEN)
    t.check("opening /dev/ttyTV0 sets the port's OPEN control bit for the RTOS",
            ctrl, "tty_ctrl %#x" % fd.port_word(0, TTY_CTRL))
    check_rx(t, vm, fd, 0, "/tmp/rx0", b"hello from the fake RTOS\n", "RX")
    # 50 more bytes in a 64-byte ring that already took 25: the copy wraps at the ring's end.
    check_rx(t, vm, fd, 0, "/tmp/rx0", bytes(range(65, 115)), "RX across the ring's end")

    # The writer's close waits for its output to leave (the port's closing_wait): it asks the
    # RTOS to ring once it has consumed (WANT_SPACE); the fake RTOS consumes and rings.
    vm.run("printf 'tx-data' > /dev/ttyTV1 & echo $! > /tmp/tx.pid")
    prod = wait_for(vm, "tx", lambda: fd.port_word(1, TX) == 7 and 7)
    t.check("a write to /dev/ttyTV1 lands in port 1's TX ring with its producer index "
            "[issue 13 §4: write]", prod == 7 and fd.tx_bytes(1, 0, 7) == b"tx-data",
            "prod %s" % fd.port_word(1, TX))
    flags = wait_for(vm, "want", lambda: fd.port_word(1, TX + 24) & 1)
    t.check("closing with output pending, the writer asks to be told when it drains "
            "(WANT_SPACE in tx.prod_flags)", flags)
    fd.w32([(PORTS + PORT_SIZE + TX + 4, 7)])
    fd.ring_doorbell()
    done = wait_for(vm, "drain", lambda: vm.run_status("kill -0 $(cat /tmp/tx.pid)")[1] != 0, 20)
    t.check("the RTOS consumed and rang: the writer's close completes at once (not after the "
            "30 s closing_wait), and the flag is cleared",
            done and fd.port_word(1, TX + 24) == 0, "prod_flags %#x" % fd.port_word(1, TX + 24))

    seq0 = fd.port_word(1, LINE_REQ)
    vm.run("stty -F /dev/ttyTV1 9600 cs7 parenb parodd cstopb")
    seq, baud, fmt = fd.r32([PORTS + PORT_SIZE + LINE_REQ + o for o in (0, 4, 8)])
    t.check("termios of /dev/ttyTV1 (9600 7O2) become a line-settings request: sequence %d -> %d, "
            "baud 9600, 7 data bits, odd parity, 2 stop bits [issue 13 §4: termios forwarded]"
            % (seq0, seq), seq > seq0 and baud == 9600 and fmt & 0xffffff == 0x020107,
            "baud %d format %#x" % (baud, fmt))

    # A hostile consumer index on port 1's TX ring: the next write finds it, counts it, resets
    # the ring by adopting it, and carries on from there.
    bad = fd.port_word(1, TX) + 0x5000
    fd.w32([(PORTS + PORT_SIZE + TX + 4, bad)])
    vm.run("printf 'zz' > /dev/ttyTV1 & echo $! > /tmp/tx.pid")
    prod = wait_for(vm, "tx-reset", lambda: (lambda p: p if p == bad + 2 else None)(
        fd.port_word(1, TX)))
    s = status(vm)
    t.check("a corrupt TX consumer index is counted (status corrupt 1) and the ring reset to it: "
            "the write goes on at the RTOS's index (prod %#x)" % bad,
            prod == bad + 2 and s is not None and s[5] == 1
            and fd.tx_bytes(1, bad % fd.ring, 2) == b"zz", "status %s, prod %s" % (s, prod))
    fd.w32([(PORTS + PORT_SIZE + TX + 4, bad + 2)])
    fd.ring_doorbell()
    wait_for(vm, "drain", lambda: vm.run_status("kill -0 $(cat /tmp/tx.pid)")[1] != 0, 20)

    # A hostile producer index: 4 KiB past the consumer's in a 64-byte ring.
    cons = fd.port_word(0, RX + 4)
    fd.w32([(PORTS + RX, cons + 0x1000)])
    fd.ring_doorbell()
    s = wait_for(vm, "corrupt", lambda: (lambda s: s if s and s[5] >= 2 else None)(status(vm)))
    words = fd.r32([PORTS + RX, PORTS + RX + 4, TTY + 12])
    t.check("a corrupt RX producer index is counted (status corrupt 2, the tty side's corrupt "
            "word 2) and the ring reset to it (cons = prod) [issue 13: a corrupt ring is "
            "reported and reset]", s is not None and s[5] == 2 and words[1] == words[0]
            and words[2] == 2, "status %s, prod/cons/corrupt %s" % (s, words))
    out = vm.run("dmesg | grep -c -e 'RX prod index .* corrupt, ring reset' "
                 "-e 'TX cons index .* corrupt, ring reset'")
    t.check("the driver reports each (a rate-limited warning naming ring and port)",
            out.strip() == "2", out)
    fd.rx_prod[0] = words[0]
    check_rx(t, vm, fd, 0, "/tmp/rx0", b"after the reset\n", "RX after the corruption")
    t.check("the channel stays attached through the corruption (live 1, same RTOS epoch)",
            status(vm)[0:1] == [1] and status(vm)[4] == 101, str(status(vm)))

    # The RTOS VM restarts for real: Tandem's link word changes and rings Linux.
    vm.focus("rtos")
    mark = vm.mark()
    vm.send("reset")
    t.expect_check(vm, r"^tandem: vm rtos: restarted \(restart 1\)", TIMEOUT,
                   "the RTOS VM restarts (its shell's reset)", since=mark)
    s = wait_for(vm, "detach", lambda: (lambda s: s if s and s[0] == 0 else None)(status(vm)))
    t.check("the RTOS's restart detaches the driver [issue 13 §4: hangup when the RTOS side goes "
            "down]", s is not None, str(status(vm)))
    why = wait_for(vm, "why", lambda: vm.run(
        "dmesg | grep -c 'the RTOS \\(is down\\|restarted\\): ttys hung up'").strip() != "0")
    t.check("the driver says why it hung the ttys up", why)
    gone = wait_for(vm, "reader", lambda: vm.run_status("kill -0 $(cat /tmp/rx0.pid)")[1] != 0)
    t.check("the reader of /dev/ttyTV0 saw the hangup (its cat ended)", gone)

    # The RTOS is back (link up) and the region still holds a vserial header: the driver asks
    # for a fresh start by itself.
    e2 = wait_request(t, vm, fd, e1, "after the RTOS restart")
    if e2 is None:
        return
    # A layout that does not add up is refused, counted, and nothing attaches.
    corrupt = status(vm)[5]
    fd.init(200, e2, bad_data_offset=True)
    out = wait_for(vm, "refuse", lambda: vm.run("dmesg | grep -c 'not a valid layout'").strip()
                   not in ("", "0"))
    s = status(vm)
    t.check("a dev side whose data offset is not the computed one is refused: no attach, counted "
            "as corruption", out and s is not None and s[0] == 0 and s[5] == corrupt + 1, str(s))
    if not attach(t, vm, fd, 300, e2, "after the RTOS restart"):
        return
    start_reader(vm, 0, "/tmp/rx0b")
    wait_for(vm, "open", lambda: fd.port_word(0, TTY_CTRL) & CTRL_OPEN)
    check_rx(t, vm, fd, 0, "/tmp/rx0b", b"back again\n", "after the RTOS restart")
    vm.run("kill $(cat /tmp/rx0b.pid)")


t = harness.Test(__file__)
with t.boot("vserial", config=CONFIG, smp=4, mem="2G") as vm:
    vm.login()
    check_module(t, vm)
    fake_dev_session(t, vm)
    out = vm.run("dmesg | grep -c -e 'WARNING' -e 'BUG' -e 'Oops'")
    t.check("no kernel WARNING, BUG or Oops in Linux's log", out.strip() == "0", out)
t.done()
