#!/usr/bin/env python3
"""The RTOS's instructions per KiB by function over its TTU window, from pc_profile.c's files.

    tools/bench/ttu_profile.py ELF BYTES_A PROF_A [BYTES_B PROF_B]

PROF_*: files of tools/qemu-plugins/pc_profile.c (tools/bench/ttu.py --rtos-profile DIR writes
DIR/bare.prof, DIR/drop.prof); BYTES_*: the bytes received in that window (the `rx=` of its
`TTU window` line). Prints per function (the ELF's symbols; inline code counts for the function
it was inlined into) the instructions per KiB of each, and with two files their difference:
where one configuration's cost per KiB differs from the other's, exactly (icount, no sampling).

Then the backend's share of each (the TTU's backend: the sink's or the channel's code, by the
inline functions an instruction came from, addr2line -i: ttu.c's backend hooks rx_span,
rx_commit, rx_stamp, tx_look, irq_pass_done, pass_sync, pass_done, backend_report, and whatever
they call: sink_*, vserial.c, vserial_dev.[ch]); with two files, bare then drop, the drop's
backend put into bare's run: what bare would cost per KiB with the channel instead of the sink
at bare's own batching (its services, interrupts and polls per KiB), and bare / that. The
backend's instructions per port service hardly depend on the batching, so that ratio repeats
where the two boots' totals do not.
"""
import bisect
import struct
import subprocess
import sys

SLOTS = (4 << 20) // 4


def symbols(elf):
    out = subprocess.run(["aarch64-linux-gnu-nm", "-n", "--defined-only", elf],
                         capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    return syms


def mark_offset(elf):
    """The ELF address of `hint #0x70` (mark A)."""
    out = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", elf],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if "hint\t#0x70" in line or "hint #0x70" in line:
            return int(line.split(":")[0], 16)
    raise SystemExit("no hint #0x70 in %s" % elf)


BACKEND_INLINE = {"rx_span", "rx_commit", "rx_stamp", "tx_look", "irq_pass_done", "pass_sync",
                  "pass_done", "backend_report", "port_span_backend"}
BACKEND_FILES = ("vserial.c", "vserial_dev.c", "vserial_dev.h")
# ttu.c functions only the backends call (their locks and counters).
BACKEND_FUNCS = {"ttu_lock", "ttu_unlock", "ttu_overruns_total", "ttu_port_overruns",
                 "ttu_set_line_locked"}


def backend_addrs(elf, addrs):
    """The subset of ELF addresses whose code is the backend's (see the module's comment)."""
    out = subprocess.run(["aarch64-linux-gnu-addr2line", "-a", "-i", "-f", "-e", elf]
                         + ["0x%x" % a for a in addrs], capture_output=True, text=True,
                         check=True).stdout
    res, cur, frames = set(), None, []

    def decide():
        if cur is None:
            return
        names = [f for f, _ in frames]
        files = [loc.split(":")[0].split("/")[-1] for _, loc in frames]
        if (any(n in BACKEND_INLINE or n.startswith("sink_") or n.startswith("echo_")
                or n in BACKEND_FUNCS for n in names)
                or any(f in BACKEND_FILES for f in files)):
            res.add(cur)
    lines = out.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("0x"):
            decide()
            cur, frames = int(lines[i], 16), []
            i += 1
        else:
            frames.append((lines[i], lines[i + 1] if i + 1 < len(lines) else ""))
            i += 2
    decide()
    return res


def per_function(elf, prof, nbytes):
    with open(prof, "rb") as f:
        data = f.read()
    base, mark, nb, _ = struct.unpack("<4Q", data[:32])
    a = struct.unpack("<%dQ" % SLOTS, data[32:32 + 8 * SLOTS])
    b = struct.unpack("<%dQ" % SLOTS, data[32 + 8 * SLOTS:32 + 16 * SLOTS])
    load = mark - mark_offset(elf)  # where the ELF's address 0 sits
    syms = symbols(elf)
    addrs = [x for x, _ in syms]
    kib = nbytes / 1024
    funcs, counts = {}, {}
    for s in range(SLOTS):
        n = b[s] - a[s]
        if not n:
            continue
        addr = base + 4 * s - load
        counts[addr] = n
        k = bisect.bisect_right(addrs, addr) - 1
        name = syms[k][1] if k >= 0 else "?"
        funcs[name] = funcs.get(name, 0) + n
    back = backend_addrs(elf, sorted(counts))
    backend = sum(n for x, n in counts.items() if x in back) / kib
    return {k: v / kib for k, v in funcs.items()}, backend


def main():
    elf = sys.argv[1]
    runs = [(int(sys.argv[i]), sys.argv[i + 1]) for i in range(2, len(sys.argv), 2)]
    res = [per_function(elf, p, n) for n, p in runs]
    names = sorted(set().union(*[r[0] for r in res]),
                   key=lambda k: -max(r[0].get(k, 0) for r in res))
    print("%-28s %s%s" % ("function", " ".join("%12s" % p.split("/")[-1] for _, p in runs),
                          "  difference" if len(runs) == 2 else ""))
    for k in names:
        v = [r[0].get(k, 0) for r in res]
        print("%-28s %s%s" % (k, " ".join("%12.0f" % x for x in v),
                              "  %10.0f" % (v[1] - v[0]) if len(v) == 2 else ""))
    print("%-28s %s%s" % ("total", " ".join("%12.0f" % sum(r[0].values()) for r in res),
                          "  %10.0f" % (sum(res[1][0].values()) - sum(res[0][0].values()))
                          if len(res) == 2 else ""))
    print("%-28s %s%s" % ("of which the backend", " ".join("%12.0f" % r[1] for r in res),
                          "  %10.0f" % (res[1][1] - res[0][1]) if len(res) == 2 else ""))
    if len(res) == 2:
        bare = sum(res[0][0].values())
        with_channel = bare - res[0][1] + res[1][1]
        print("bare with the second's backend: %.0f per KiB; bare / that: %.3f" %
              (with_channel, bare / with_channel))


if __name__ == "__main__":
    main()
