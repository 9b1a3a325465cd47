"""The RTOS's trap fuzzer as a scenario, shared by the integration tests (not a test itself).

test_fuzz.py runs it against an RTOS in a dynamic pool (trapped delivery), test_direct.py
against one in a bind pool with irq = "direct": the same rounds, the same checks. The RTOS must
have 3 vCPUs of which it uses 2 (maxcpus=2: the third is for the fuzzer's CPU_ON calls) and
must not be privileged (its random vendor hypercalls are then refused, not obeyed).
"""
import re

OPS, SEED, ROUNDS = 6000, 1, 3
DONE_RE = (r"^\[%s\] FUZZ done seed=(\d+) ops=(\d+) hvc=(\d+) smc=(\d+) mmio=(\d+) sysreg=(\d+) "
           r"insn=(\d+) faults=(\d+) dabt=(\d+) iabt=(\d+) undef=(\d+) align=\d+ other=\d+ "
           r"mismatch=(\d+)")


def rounds(t, vm, name, away, what=""):
    """Starts ROUNDS fuzz rounds in VM `name` from its shell, with the console input then moved
    to VM `away` (its lines come whole, not redrawn around Tandem's); checks that every round
    ends with every kind of operation done and no architectural mismatch, and that Tandem
    refused the hostile operations naming `name`, rate-limited. Returns the mark before it."""
    pre = "%s: " % what if what else ""
    start = vm.mark()
    vm.focus(name)
    vm.send("fuzz %d %d %d" % (OPS, SEED, ROUNDS))
    m = t.expect_check(vm, r"^\[%s\] FUZZ start round=0 seed=%d ops=%d cpus=2"
                       % (name, SEED, OPS), 60,
                       "%sthe RTOS's shell starts the fuzzer on its 2 CPUs" % pre)
    at = m.end() if m else start
    vm.focus(away)  # meanwhile a short round may end: each wait looks from the last match on
    seeds = []
    for r in range(ROUNDS):
        m = t.expect_check(vm, DONE_RE % name, 240, "%sfuzz round %d (seed %d) ends with a FUZZ "
                           "done line" % (pre, r, SEED + r), since=at)
        if not m:
            break
        at = m.end()
        g = [int(x) for x in m.groups()]
        seeds.append(g[0])
        kinds = dict(zip(("ops", "hvc", "smc", "mmio", "sysreg", "insn", "faults", "dabt", "iabt",
                          "undef"), g[1:11]))
        t.check("%sround %d: %d operations, every kind done (%s)"
                % (pre, r, OPS, m.group(0)[len(name) + 13:]),
                kinds["ops"] == OPS and all(kinds[k] > 0 for k in kinds), str(kinds))
        t.check("%sround %d: no result broke an architectural rule (mismatch=0)" % (pre, r),
                g[11] == 0, m.group(0))
    t.check("%sthe rounds used seeds %d.." % (pre, SEED),
            seeds == list(range(SEED, SEED + len(seeds))), str(seeds))
    t.expect_check(vm, r"^\[%s\] FUZZ finished rounds=%d" % (name, ROUNDS), 60,
                   "%sthe fuzzer finished" % pre, since=at)
    log = vm.text[start:]
    for stall in re.findall(r"^\[%s\] FUZZ stall .*$" % name, log, re.M):
        t.note("slow, not stuck (the round ended): " + stall)
    vmre = r"vm %s vcpu \d" % name
    for kind, rx in (("unmapped IPAs", r"^tandem: error: %s: unmapped IPA 0x" % vmre),
                     ("accesses without a syndrome",
                      r"^tandem: error: %s: MMIO access at IPA 0x\w+ without a valid syndrome"
                      % vmre),
                     ("instruction fetches", r"^tandem: error: %s: instruction fetch" % vmre),
                     ("stage-1 table walks",
                      r"^tandem: error: %s: stage-1 table walk reads IPA" % vmre),
                     ("UART accesses", r"^tandem: error: %s: emulated \w+ of \d bytes at IPA 0x9"
                      % vmre),
                     ("system registers",
                      r"^tandem: warning: %s: \w+ of unsupported system register" % vmre),
                     ("hidden features", r"^tandem: warning: %s: unhandled trap EC" % vmre),
                     ("hypercalls", r"^tandem: warning: %s: hypercall \w+ refused" % vmre),
                     ("vGIC registers", r"^tandem: warning: vgic: VM %s: " % name)):
        # Guest-caused lines are rate-limited per VM (burst 20, 10/s): which kinds get through
        # a round is luck, so a missing kind is a note; the aggregate is checked below.
        if not re.search(rx, log, re.M):
            t.note("%sno %s line got through the rate limit this run" % (pre, kind))
    t.check("%sTandem logs refusals naming VM %s" % (pre, name),
            re.search(r"^tandem: (error|warning): (vgic: VM|vm) %s\b" % name, log, re.M))
    t.check("%sTandem rate-limits them (some 'vm %s: N messages suppressed' line)" % (pre, name),
            re.search(r"^tandem: warning: vm %s: \d+ messages suppressed" % name, log, re.M))
    return start


def others_untouched(t, vm, since, bystanders, what=""):
    """No Tandem warning or error names any of the VMs `bystanders` since `since`."""
    pre = "%s: " % what if what else ""
    log = vm.text[since:]
    for other in bystanders:
        rx = r"^tandem: (?:warning|error): .*vm %s\b.*$" % other
        hits = re.findall(rx, log, re.M | re.I)
        t.check("%sno Tandem message names VM %s meanwhile" % (pre, other), not hits,
                str(hits[:3]))


def dumps_answer(t, vm, name, what=""):
    """Tandem's own console commands still answer (Ctrl-A d and s, the latter down to the
    fuzzed VM's third vCPU)."""
    pre = "%s: " % what if what else ""
    mark = vm.mark()
    vm.send("\x01d", newline=False)
    t.expect_check(vm, r"^tandem: memory: \d+ free page frames", 30,
                   "%sCtrl-A d: Tandem's statistics dump answers" % pre, since=mark)
    mark = vm.mark()
    vm.send("\x01s", newline=False)
    t.expect_check(vm, r"tandem: scheduling at counter \d+[\s\S]*?^    vcpu %s/2 " % name, 30,
                   "%sCtrl-A s: Tandem's scheduling dump answers" % pre, since=mark)


def runs_on(t, vm, name, what=""):
    """The fuzzed RTOS itself runs on: its shell answers, its benchmark prints."""
    pre = "%s: " % what if what else ""
    vm.focus(name)
    mark = vm.mark()
    vm.send("tasks")
    t.expect_check(vm, r"^\[%s\] fuzz " % name, 30, "%sthe RTOS's shell answers (tasks)" % pre,
                   since=mark)
    t.expect_check(vm, r"^\[%s\] LAT " % name, 60, "%sthe RTOS's benchmark still prints LAT "
                   "lines" % pre, since=mark)


def reset_midround(t, vm, name, restart, what=""):
    """SYSTEM_RESET halfway through a round, the other vCPU still fuzzing: Tandem restarts the
    VM from its images (nothing leaks: as many free page frames as at boot) and the RTOS boots
    and runs again. `restart` is the VM's restart count after this one."""
    pre = "%s: " % what if what else ""
    frames = re.search(r"^tandem: memory: (\d+) free page frames with every VM created", vm.text,
                       re.M)
    vm.focus(name)
    mark = vm.mark()
    vm.send("fuzz 4000 %d 1 reset" % (SEED + ROUNDS))
    t.expect_check(vm, r"^\[%s\] FUZZ reset: cpu1 calls PSCI SYSTEM_RESET at op" % name, 120,
                   "%sa fuzzing RTOS resets itself halfway through a round" % pre, since=mark)
    m = t.expect_check(vm, r"^tandem: vm %s: restarted \(restart %d\), (\d+) free page frames"
                       % (name, restart), 60,
                       "%sTandem restarts it in the middle of the other vCPU's traps" % pre,
                       since=mark)
    if m and frames:
        t.check("%sno page frame leaked by the restart (%s free, as at boot)" % (pre, m.group(1)),
                m.group(1) == frames.group(1), "boot: %s" % frames.group(1))
    t.expect_check(vm, r"^\[%s\] RTOS: booted on 2 CPU\(s\)" % name, 60,
                   "%sthe RTOS boots again" % pre, since=mark)
    t.expect_check(vm, r"^\[%s\] LAT " % name, 60, "%sand runs its benchmark again" % pre,
                   since=mark)
