#!/usr/bin/env python3
"""Issue 14: frequency scaling, Linux's governor deciding for the whole SoC.

One boot of configs/tests/cpufreq.dts on -smp 4: one frequency domain "soc" over all four pCPUs
(400/800/1200/1600 MHz, floor 800 MHz), controlled by the privileged Linux (pool0, pCPUs 0-1);
the RTOS alone on bind pCPU 2 (WFI trapped: the default in a domain), pCPU 3 spare.
  - Linux's SCMI core probes Tandem's platform over SMC ("SCMI Protocol v2.0 'Tandem:cpufreq'")
    and stock cpufreq-dt binds with a clean dmesg; one policy holds both vCPUs; the frequency
    table is the domain's;
  - userspace + scaling_setspeed moves the modelled domain (Ctrl-A f: the requested and the
    running point, the platform hook's call count); below the floor the guest reads back its
    choice while the clock stays at the floor;
  - the RTOS (no channel) cannot change any frequency: its SMC gets NOT_SUPPORTED, Tandem logs
    it, the domain does not move.
"""
import re

import harness

FREQ_RE = re.compile(r"tandem: freq soc: cpus=(\S+) cur_khz=(\d+) req_khz=(\d+) floor_khz=(\d+) "
                     r"rate_sets=(\d+) hook_calls=(\d+) hook_errors=(\d+) elapsed=(\d+) "
                     r"energy_rel=([\d.]+)% energy_mj=(-?\d+)\n")
TICKS_RE = re.compile(r"tandem: freq soc: ticks_at((?: \d+=\d+)+)\n")
POLICY = "/sys/devices/system/cpu/cpufreq/policy0"
SCMI_SMC_ID = "0xc2000010"


def freq(vm):
    """Ctrl-A f; the domain's figures of that dump."""
    start = vm.mark()
    vm.send("\x01f", newline=False)
    m = vm.expect(FREQ_RE.pattern, 30, since=start)
    t = vm.expect(TICKS_RE.pattern, 30)
    d = dict(cpus=m.group(1), cur=int(m.group(2)), req=int(m.group(3)), floor=int(m.group(4)),
             sets=int(m.group(5)), hooks=int(m.group(6)), hook_errors=int(m.group(7)),
             elapsed=int(m.group(8)), rel=float(m.group(9)), mj=int(m.group(10)))
    d["ticks"] = {int(k): int(v) for k, v in re.findall(r"(\d+)=(\d+)", t.group(1))}
    return d


def linux(vm, cmd, timeout=30):
    """A Linux shell command's output (run() keeps only the Linux VM's lines)."""
    return "\n".join(line.replace("tandem-guest:/# ", "")
                     for line in vm.run(cmd, timeout).splitlines()).strip()


def rtos(vm, cmd, pattern, timeout=30):
    """Types cmd at the RTOS shell; returns the match of pattern in what follows."""
    vm.focus("rtos")
    start = vm.mark()
    vm.send(cmd)
    return vm.expect(pattern, timeout, since=start)


t = harness.Test(__file__)
with t.boot("cpufreq", config="configs/tests/cpufreq.dts", smp=4, mem="2G") as vm:
    vm.login()
    m = re.search(r"SCMI Protocol v(\S+) '([^']*)' Firmware version (\S+)",
                  linux(vm, "dmesg | grep 'SCMI Protocol'"))
    t.check("Linux's SCMI core probes Tandem's platform over SMC (base protocol 2.0)",
            m is not None and m.group(1) == "2.0" and m.group(2) == "Tandem:cpufreq",
            m.group(0) if m else "no SCMI line in dmesg")
    bad = linux(vm, "dmesg | grep -i -E 'scmi|opp|cpufreq|clk' | "
                    "grep -i -E 'error|fail|warn|timeout|timed out|-[0-9]+$'")
    t.check("no SCMI, clock or OPP error or warning in dmesg at boot", bad == "", bad)

    before = linux(vm, "dmesg | wc -l")
    linux(vm, "modprobe cpufreq-dt && modprobe cpufreq_ondemand && modprobe cpufreq_userspace")
    new = linux(vm, "dmesg | tail -n +%d" % (int(before) + 1))
    t.check("cpufreq-dt, cpufreq_ondemand and cpufreq_userspace load with a clean dmesg",
            not re.search(r"(?i)error|fail|warn|timeout|call trace", new), new)
    related = linux(vm, "cat %s/related_cpus" % POLICY)
    t.check("one cpufreq policy holds both vCPUs (opp-shared: one domain, one policy)",
            related.split() == ["0", "1"], related)
    table = linux(vm, "cat %s/scaling_available_frequencies" % POLICY)
    t.check("scaling_available_frequencies lists the domain's operating points",
            table.split() == ["400000", "800000", "1200000", "1600000"], table)
    t.check("the modelled domain's dump names its pCPUs and floor",
            (lambda d: d["cpus"] == "0-3" and d["floor"] == 800000)(freq(vm)))

    linux(vm, "echo userspace > %s/scaling_governor" % POLICY)
    d0 = freq(vm)
    linux(vm, "echo 1200000 > %s/scaling_setspeed" % POLICY)
    d1 = freq(vm)
    cur = linux(vm, "cat %s/scaling_cur_freq %s/cpuinfo_cur_freq" % (POLICY, POLICY))
    t.check("userspace: scaling_setspeed 1200000 moves the modelled domain there",
            d1["req"] == 1200000 and d1["cur"] == 1200000 and cur.split() == ["1200000"] * 2,
            "dump %s, Linux reads %s" % (d1, cur))
    t.check("the platform hook ran for the change", d1["hooks"] == d0["hooks"] + 1,
            "hook calls %d -> %d" % (d0["hooks"], d1["hooks"]))
    linux(vm, "echo 400000 > %s/scaling_setspeed" % POLICY)
    d2 = freq(vm)
    cur = linux(vm, "cat %s/cpuinfo_cur_freq" % POLICY)
    t.check("below the floor: Linux reads back 400 MHz, the clock stays at the 800 MHz floor",
            d2["req"] == 400000 and d2["cur"] == 800000 and cur == "400000",
            "dump %s, Linux reads %s" % (d2, cur))
    t.check("time at each point adds up to the elapsed time; energy below always-highest",
            sum(d2["ticks"].values()) == d2["elapsed"] and 0 < d2["rel"] < 100 and d2["mj"] > 0,
            str(d2))

    # The RTOS has no SCMI channel: its SMC is refused and nothing moves.
    m = rtos(vm, "hc raw %s" % SCMI_SMC_ID, r"HC raw status=(-?\d+)")
    d3 = freq(vm)
    t.check("the RTOS's SCMI SMC gets NOT_SUPPORTED and changes no frequency",
            m.group(1) == "-1" and d3["sets"] == d2["sets"] and d3["req"] == d2["req"],
            "status %s, %s" % (m.group(1), d3))
    t.check("Tandem logs the refusal, naming the VM",
            re.search(r"tandem: warning: vm rtos vcpu 0: SCMI call refused", vm.text) is not None)
t.done()
