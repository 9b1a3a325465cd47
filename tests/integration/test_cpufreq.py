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
import time

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


def high_share(d0, d1):
    """The share of the time between two dumps that the domain's clock ran at 1600 MHz."""
    elapsed = d1["elapsed"] - d0["elapsed"]
    return (d1["ticks"][1600000] - d0["ticks"][1600000]) / elapsed if elapsed else 0.0


def wait_freq(vm, pred, timeout):
    """Dumps (Ctrl-A f) about once a second until pred(dump) holds; the last dump and whether
    it held. Generous timeouts: the governor's 10 ms periods stretch on a loaded host."""
    deadline = time.monotonic() + timeout
    while True:
        d = freq(vm)
        if pred(d) or time.monotonic() > deadline:
            return d, pred(d)
        vm.drain(1)


def linux(vm, cmd, timeout=30):
    """A Linux shell command's output (run() keeps only the Linux VM's lines)."""
    return "\n".join(line.replace("tandem-guest:/# ", "")
                     for line in vm.run(cmd, timeout).splitlines()).strip()


def rtos(vm, cmd, pattern, timeout=30):
    """Types cmd at the RTOS shell; returns the match of pattern in what follows."""
    vm.focus("rtos")
    start = vm.mark()
    vm.send(cmd)
    # After the echo of this very command: the console may redraw an earlier answer first.
    vm.expect(re.escape(cmd) + r"\n", timeout, since=start)
    return vm.expect(pattern, timeout)


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
    # Start from another point: the governor switch may leave the clock at 1200 MHz already,
    # and setting the point it runs at calls no hook.
    linux(vm, "echo 1600000 > %s/scaling_setspeed" % POLICY)
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
    m = rtos(vm, "hc raw 0xc6000007 0xffffffff", r"HC raw status=(-?\d+)")
    t.check("the RTOS (not privileged) cannot sample a domain's load: TANDEM_E_PERM",
            m.group(1) == "-4", m.group(0))

    # ondemand, deciding from Tandem's load (tandem_cpufreq) or from Linux's own.
    linux(vm, "echo ondemand > %s/scaling_governor" % POLICY)
    out = linux(vm, "modprobe tandem_cpufreq && dmesg | grep tandem_cpufreq | tail -1")
    t.check("tandem_cpufreq loads (kretprobe on dbs_update, the domain's CPUs found)",
            "decides from its frequency domain's load" in out, out)
    d, ok = wait_freq(vm, lambda d: d["req"] == 400000, 60)
    t.check("everything idle: the domain goes to its lowest point (the clock at the floor)",
            ok and d["cur"] == 800000, str(d))
    linux(vm, "rmmod tandem_cpufreq")

    # The paper's Figure 3: the RTOS computes on its own pCPU while Linux idles.
    rtos(vm, "burn 120", r"RTOS: burning the CPU for 120 s")
    # Linux's own governor blips on its own activity (and reuses its last load after an idle
    # period; on a loaded host an idle vCPU's wake-ups take host time and read as load), but it
    # does not follow the RTOS: first a dump below the highest point (the state Linux's own
    # load leads to), then over 8 dumps little time at the highest point.
    d, low = wait_freq(vm, lambda d: d["req"] < 1600000, 60)
    dumps = [d]
    for _ in range(8):
        vm.drain(1)
        dumps.append(freq(vm))
    own = high_share(dumps[0], dumps[-1])
    t.check("module unloaded (Linux's own load): the busy RTOS leaves the domain low (under 50% "
            "of the time at the highest point)",
            low and own < 0.5, "%.0f%% at 1600 MHz; requests %s" % (
                100 * own, [d["req"] for d in dumps]))
    t.check("the floor holds while the RTOS runs (the clock at max(request, 800 MHz))",
            all(d["cur"] == max(d["req"], 800000) for d in dumps),
            str([(d["req"], d["cur"]) for d in dumps]))
    linux(vm, "modprobe tandem_cpufreq")
    d, ok = wait_freq(vm, lambda d: d["req"] == 1600000, 60)
    params = re.findall(r"^(\d+)$", linux(vm, "(cd /sys/module/tandem_cpufreq/parameters && "
                                            "cat tandem_load linux_load samples)"), re.M)
    vm.drain(5)
    held = high_share(d, freq(vm))
    t.check("with Tandem's load the busy RTOS takes the domain to its highest point and holds it "
            "(over 80% of the time)", ok and held > 0.8,
            "%.0f%% at 1600 MHz; %s; tandem_load linux_load samples = %s" % (100 * held, d, params))
    t.check("the governor's last sample took Tandem's load (tandem_load >= 80%)",
            len(params) == 3 and int(params[0]) >= 80 and int(params[2]) > 0,
            "tandem_load linux_load samples = %s" % params)
    # The pitfall: ondemand samples only when this Linux runs something. The module's kicker
    # wakes a vCPU every 10 ms, so samples go on while the shell sleeps.
    before = int(linux(vm, "cat /sys/module/tandem_cpufreq/parameters/samples"))
    after = int(linux(vm, "sleep 3; cat /sys/module/tandem_cpufreq/parameters/samples"))
    t.check("while Linux idles the governor keeps sampling (the module's kicker)",
            after - before >= 10, "samples %d -> %d over 3 s of sleep" % (before, after))
    vm.expect(r"RTOS: burn done", 240)
    d, ok = wait_freq(vm, lambda d: d["req"] == 400000, 60)
    t.check("the RTOS idles again: back to the lowest point within a few sampling periods", ok,
            str(d))

    # Linux's own work: hogs on both vCPUs.
    linux(vm, "for i in 1 2; do (while :; do :; done) & done")
    d, ok = wait_freq(vm, lambda d: d["req"] == 1600000, 60)
    t.check("Linux hogs: the domain goes to its highest point", ok, str(d))
    linux(vm, "kill $(jobs -p); wait 2>/dev/null; echo stopped")
    d, ok = wait_freq(vm, lambda d: d["req"] == 400000, 60)
    t.check("hogs stopped: back to the lowest point", ok, str(d))
t.done()
