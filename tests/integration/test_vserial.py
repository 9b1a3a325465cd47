#!/usr/bin/env python3
"""Issue 13 §4: the Linux side of the serial channel, one boot of configs/tests/linux-vserial.dts
(Linux and the RTOS joined by a 256 KiB channel) on -smp 4:

- /init finds the channel node in Linux's device tree and loads tandem_vserial, the out-of-tree
  module built against Debian's headers of the guest kernel (tools/build-modules.sh);
- the module binds the channel: the window's size, Linux's side (1), the doorbell interrupt,
  from the node Tandem generated; its status file in sysfs;
- with an RTOS that does not serve vserial on the channel (no "TVSR" magic in the region), the
  driver stays detached: no /dev/ttyTV*;
- the module unloads and loads again cleanly.
"""
import re

import harness

CONFIG = "configs/tests/linux-vserial.dts"
REGION_SIZE = 0x40000
PROBE_RE = (r"tandem_vserial \S+: channel (\d+) \(side (\d), 0x([0-9a-f]+) bytes, "
            r"doorbell irq (\d+)\)")
STATUS_RE = (r"live (\d) ports (\d+) ring (\d+) epoch (\d+) rtos_epoch (\d+) corrupt (\d+) "
             r"resyncs (\d+)")
STATUS = "cat /sys/bus/platform/drivers/tandem_vserial/*/status"

t = harness.Test(__file__)
with t.boot("vserial", config=CONFIG, smp=4, mem="2G") as vm:
    vm.login()
    out = vm.run("grep -c tandem_vserial /proc/modules")
    t.check("/init loaded tandem_vserial because the device tree has a tandem,channel-v1 node "
            "[issue 13 §4: loaded at boot when a channel node exists]", out.strip() == "1", out)
    out = vm.run("dmesg | grep tandem_vserial")
    m = re.search(PROBE_RE, out)
    t.check("the driver bound the channel: Linux is side 1 of a 0x40000-byte window with a "
            "doorbell interrupt [issue 13 §4: a driver bound to the channel node]",
            m is not None and m.group(2) == "1" and int(m.group(3), 16) == REGION_SIZE, out)
    t.check("no kernel WARNING or BUG in dmesg after the module loaded",
            not re.search(r"WARNING|BUG", vm.run("dmesg")), "")
    out = vm.run(STATUS)
    s = re.search(STATUS_RE, out)
    t.check("the RTOS does not serve vserial on this channel: the driver stays detached "
            "(status: live 0, no ports)", s is not None and s.group(1) == "0"
            and s.group(2) == "0", out)
    out = vm.run("ls /dev | grep -c ttyTV")
    t.check("no /dev/ttyTV* while the RTOS declares no ports", out.strip() == "0", out)
    _, rc = vm.run_status("rmmod tandem_vserial")
    out = vm.run("grep -c tandem_vserial /proc/modules; dmesg | tail -n 5")
    t.check("rmmod tandem_vserial", rc == 0 and out.startswith("0"), out)
    _, rc = vm.run_status("modprobe tandem_vserial")
    out = vm.run("dmesg | grep -c 'tandem_vserial .*: channel .* doorbell irq'")
    t.check("modprobe again: the driver binds the channel again", rc == 0 and out.strip() == "2",
            out)
t.done()
