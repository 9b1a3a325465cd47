#!/usr/bin/env python3
"""Issue 16: the pieces of the bench's Bao peer that need no Bao source (make bench builds Bao
itself; make test never does). A VM image as tools/bench/bao.py lays it out (our entry code
setting x0 to the DTB, the DTB from tools/peers/bao/guest.dts.in, the RTOS's Image) boots the
RTOS when started at its first byte, as Bao starts a VM: the RTOS must find the DTB, its command
line and both vCPUs there. And without BAO_SRC the bench says so instead of failing."""
import os
import re
import subprocess
import sys
import time

import harness

t = harness.Test(__file__)
sys.path.insert(0, os.path.join(harness.TOP, "tools", "bench"))
from bao import DTB_OFF, Bao  # noqa: E402

t.check("no BAO_SRC: a 'not available' row, no failure",
        Bao(t.build, src="/nonexistent").unavailable() == "not available (BAO_SRC not found)")

bao = Bao(t.build, src="/nonexistent")
bao.root = os.path.join(t.build, "test-peers")
args = "lat=off maxcpus=2 peers-test=%d" % os.getpid()
# QEMU puts its own DTB at the bottom of RAM (0x40000000): this VM image goes above it.
base = 0x50000000
img = bao.vm_image("entry-test", os.path.join(t.build, "images", "rtos.bin"), args, 2, 128 << 20,
                   base=base)
# No hypervisor: the image at the VM's base in RAM, CPU 0 started at its first instruction with
# every register zero, as Bao enters a VM; the RTOS runs at EL1 (PSCI through QEMU's HVC).
cmd = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on", "-smp",
       "2", "-m", "1G", "-nographic", "-echr", "0x14",
       "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (img, base),
       "-device", "loader,addr=0x%x,cpu-num=0" % base]
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, start_new_session=True)
out = ""
deadline = time.monotonic() + 120
try:
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and "booted on" not in out:
        chunk = proc.stdout.read()
        if chunk:
            out += chunk.decode("utf-8", "replace")
        elif proc.poll() is not None:
            break
        else:
            time.sleep(0.2)
    time.sleep(0.5)
    out += (proc.stdout.read() or b"").decode("utf-8", "replace")
finally:
    proc.kill()
    proc.wait()
os.makedirs(t.log_dir, exist_ok=True)
with open(os.path.join(t.log_dir, "test_bench_peers.log"), "w") as f:
    f.write(" ".join(cmd) + "\n" + out)
m = re.search(r"RTOS: .*DTB (0x[0-9a-f]+)", out)
t.check("the RTOS found a DTB in x0, the one after the entry code",
        m is not None and int(m.group(1), 16) == base + DTB_OFF, "console: %r" % out[-600:])
t.check("the RTOS read its command line from that DTB", "RTOS: bootargs: %s" % args in out,
        "console: %r" % out[-600:])
t.check("the DTB's RAM region, GICv3 and PL011 were understood",
        re.search(r"RAM 0x50000000\+0x8000000, 2 CPU\(s\) in DTB, GICv3 at 0x8000000, "
                  r"UART pl011@9000000", out) is not None, "console: %r" % out[-600:])
t.check("both vCPUs came up (the DTB's cpu nodes and PSCI)", "booted on 2 CPU(s)" in out,
        "console: %r" % out[-600:])
t.done()
