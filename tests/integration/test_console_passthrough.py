#!/usr/bin/env python3
"""Issue 16: the machine's PL011 given to a VM (the root's console = "rtos",
configs/tests/rtos-console.dts): Tandem says so once and prints nothing after; the RTOS drives
the physical UART itself (no emulation: no "[rtos]" prefix, no vPL011 trap) and its shell answers
what is typed, through the UART's receive interrupt forwarded to its pCPU (bind pool, pCPU 1)."""
import harness
from rtos_lat import parse_lat

TIMEOUT = 60

t = harness.Test(__file__)
with t.boot("console-rtos", config="configs/tests/rtos-console.dts", smp=2, mem="512M") as vm:
    m = t.expect_check(vm, r"tandem: console UART at 0x9000000 passed through to vm rtos: Tandem "
                       r"prints nothing more", TIMEOUT, "Tandem hands the console UART to vm rtos")
    after = m.end() if m else 0
    t.expect_check(vm, r"RTOS: booted on 1 CPU\(s\), GICv3", TIMEOUT,
                   "the RTOS boots and prints on the passed-through UART", since=after)
    lat = t.expect_check(vm, r"^(LAT [^\n]*)\n", TIMEOUT, "the RTOS prints a LAT line", since=after)
    if lat:
        t.check("the LAT line parses", parse_lat(lat.group(1))[1] is None, lat.group(1))
    mark = vm.mark()
    vm.send("help", newline=False)
    vm.send("\r", newline=False)
    t.expect_check(vm, r"help \| tasks \| reset", TIMEOUT,
                   "the RTOS's shell answers 'help' typed on the UART (its RX interrupt reaches "
                   "the RTOS)", since=mark)
    t.check("Tandem printed nothing after the handover (no 'tandem:' line, no '[rtos]' prefix)",
            "tandem:" not in vm.text[after:] and "[rtos]" not in vm.text[after:],
            vm.tail())
    t.check("QEMU (the hypervisor) is still running", vm.alive())
t.done()
