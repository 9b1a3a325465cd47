#!/usr/bin/env python3
"""A hostile guest cannot take down the hypervisor or another VM. configs/tests/fuzz.dts: Linux
next to the RTOS (not privileged, its own dynamic pool, 3 vCPUs of which it uses 2). Once Linux
is up and counting in the background, the RTOS's shell starts its trap fuzzer (guests/rtos/fuzz.c):
rounds of seeded random HVC/SMC calls, MMIO accesses of every size and form to the vGIC, the
vPL011 and unmapped IPAs, trapped system registers and hidden-feature instructions, on both
vCPUs at once. Checked in the same boot: every round ends (FUZZ done, every kind of operation
done, no architectural mismatch, no stall); Tandem names VM rtos in its refusals; its console
dumps still answer; Linux's shell works and its counter kept counting; the RTOS runs on (LAT
lines, its shell); a SYSTEM_RESET halfway through a round restarts the RTOS cleanly; nothing
panicked or oopsed anywhere."""
import re

import harness
import linux_checks as lc

OPS, SEED, ROUNDS = 6000, 1, 3
DONE_RE = (r"^\[rtos\] FUZZ done seed=(\d+) ops=(\d+) hvc=(\d+) smc=(\d+) mmio=(\d+) sysreg=(\d+) "
           r"insn=(\d+) faults=(\d+) dabt=(\d+) iabt=(\d+) undef=(\d+) align=\d+ other=\d+ "
           r"mismatch=(\d+)")
BAD_RE = r"PANIC|[Pp]anic|BUG|FATAL|Oops|RTOS: task \S+ stopped|FAULT:"

t = harness.Test(__file__)


def counter(vm):
    out = vm.run("cat /tmp/count", timeout=60).strip()
    return int(out) if out.isdigit() else -1


with t.boot("fuzz", config="configs/tests/fuzz.dts", smp=4, mem="2G") as vm:
    vm.login()
    vm.run(lc.counting_process(0.1))
    t.expect_check(vm, r"^\[rtos\] LAT ", 60, "the RTOS runs next to Linux (a LAT line)")
    before = counter(vm)
    start = vm.mark()
    vm.focus("rtos")
    vm.send("fuzz %d %d %d" % (OPS, SEED, ROUNDS))
    t.expect_check(vm, r"^\[rtos\] FUZZ start round=0 seed=%d ops=%d cpus=2" % (SEED, OPS), 60,
                   "the RTOS's shell starts the fuzzer on its 2 CPUs")
    vm.focus("linux")  # the RTOS's lines then come whole, not redrawn around Tandem's
    seeds = []
    for r in range(ROUNDS):
        m = t.expect_check(vm, DONE_RE, 240, "fuzz round %d (seed %d) ends with a FUZZ done line"
                           % (r, SEED + r))
        if not m:
            break
        g = [int(x) for x in m.groups()]
        seeds.append(g[0])
        kinds = dict(zip(("ops", "hvc", "smc", "mmio", "sysreg", "insn", "faults", "dabt", "iabt",
                          "undef"), g[1:11]))
        t.check("round %d: %d operations, every kind done (%s)" % (r, OPS, m.group(0)[16:]),
                kinds["ops"] == OPS and all(kinds[k] > 0 for k in kinds), str(kinds))
        t.check("round %d: no result broke an architectural rule (mismatch=0)" % r, g[11] == 0,
                m.group(0))
    t.check("the rounds used seeds %d.." % SEED, seeds == list(range(SEED, SEED + len(seeds))),
            str(seeds))
    t.expect_check(vm, r"^\[rtos\] FUZZ finished rounds=%d" % ROUNDS, 60, "the fuzzer finished")
    fuzz_log = vm.text[start:]
    for stall in re.findall(r"^\[rtos\] FUZZ stall .*$", fuzz_log, re.M):
        t.note("slow, not stuck (the round ended): " + stall)
    for what, rx in (("unmapped IPAs", r"^tandem: error: vm rtos vcpu \d: unmapped IPA 0x"),
                     ("accesses without a syndrome",
                      r"^tandem: error: vm rtos vcpu \d: MMIO access at IPA 0x\w+ without a valid "
                      r"syndrome"),
                     ("instruction fetches", r"^tandem: error: vm rtos vcpu \d: instruction fetch"),
                     ("stage-1 table walks",
                      r"^tandem: error: vm rtos vcpu \d: stage-1 table walk reads IPA"),
                     ("UART accesses", r"^tandem: error: vm rtos vcpu \d: emulated \w+ of \d bytes at "
                      r"IPA 0x9"),
                     ("system registers",
                      r"^tandem: warning: vm rtos vcpu \d: \w+ of unsupported system register"),
                     ("hidden features", r"^tandem: warning: vm rtos vcpu \d: unhandled trap EC"),
                     ("hypercalls", r"^tandem: warning: vm rtos vcpu \d: hypercall \w+ refused"),
                     ("vGIC registers", r"^tandem: warning: vgic: VM rtos: ")):
        # Guest-caused lines are rate-limited per VM (burst 20, 10/s): which kinds get through
        # a round is luck, so a missing kind is a note; the aggregate is checked below.
        if not re.search(rx, fuzz_log, re.M):
            t.note("no %s line got through the rate limit this run" % what)
    t.check("Tandem logs refusals naming VM rtos",
            re.search(r"^tandem: (error|warning): (vgic: VM|vm) rtos", fuzz_log, re.M))
    t.check("Tandem rate-limits them (some 'vm rtos: N messages suppressed' line)",
            re.search(r"^tandem: warning: vm rtos: \d+ messages suppressed", fuzz_log, re.M))
    t.check("no Tandem message names VM linux meanwhile",
            not re.search(r"^tandem: (warning|error): .*vm linux", fuzz_log, re.M | re.I),
            str(re.findall(r"^tandem: (?:warning|error): .*vm linux.*$", fuzz_log, re.M | re.I)[:3]))

    # The hypervisor's own console commands still answer.
    mark = vm.mark()
    vm.send("\x01d", newline=False)
    t.expect_check(vm, r"^tandem: memory: \d+ free page frames", 30,
                   "Ctrl-A d: Tandem's statistics dump answers", since=mark)
    mark = vm.mark()
    vm.send("\x01s", newline=False)
    t.expect_check(vm, r"tandem: scheduling at counter \d+[\s\S]*?^    vcpu rtos/2 ", 30,
                   "Ctrl-A s: Tandem's scheduling dump answers", since=mark)

    # The RTOS itself runs on: its shell answers, its benchmark prints.
    vm.focus("rtos")
    mark = vm.mark()
    vm.send("tasks")
    t.expect_check(vm, r"^\[rtos\] fuzz ", 30, "the RTOS's shell answers (tasks)", since=mark)
    t.expect_check(vm, r"^\[rtos\] LAT ", 60, "the RTOS's benchmark still prints LAT lines",
                   since=mark)

    # SYSTEM_RESET halfway through a round, the other vCPU still fuzzing: Tandem restarts the
    # VM from its images (nothing leaks) and the RTOS boots again.
    frames = re.search(r"^tandem: memory: (\d+) free page frames with every VM created", vm.text,
                       re.M)
    mark = vm.mark()
    vm.send("fuzz 4000 %d 1 reset" % (SEED + ROUNDS))
    t.expect_check(vm, r"^\[rtos\] FUZZ reset: cpu1 calls PSCI SYSTEM_RESET at op", 120,
                   "a fuzzing RTOS resets itself halfway through a round", since=mark)
    m = t.expect_check(vm, r"^tandem: vm rtos: restarted \(restart 1\), (\d+) free page frames",
                       60, "Tandem restarts it in the middle of the other vCPU's traps")
    if m and frames:
        t.check("no page frame leaked by the restart (%s free, as at boot)" % m.group(1),
                m.group(1) == frames.group(1), "boot: %s" % frames.group(1))
    t.expect_check(vm, r"^\[rtos\] RTOS: booted on 2 CPU\(s\)", 60, "the RTOS boots again")
    t.expect_check(vm, r"^\[rtos\] LAT ", 60, "and runs its benchmark again")

    # Linux was not disturbed: its shell works and its counter went on.
    out = vm.run("echo alive-$((40+2))", timeout=60)
    t.check("Linux's shell still works", "alive-42" in out, repr(out))
    mid = counter(vm)
    vm.drain(2)
    after = counter(vm)
    t.check("Linux's background counter counted through the fuzzing (%d -> %d -> %d)"
            % (before, mid, after), 0 <= before < mid < after)
    bad = re.findall(r"^.*(?:%s).*$" % BAD_RE, vm.text, re.M)
    t.check("no panic, BUG, oops, fatal error or stopped task anywhere", not bad, str(bad[:5]))
    t.check("the hypervisor is still running", vm.alive())
t.done()
