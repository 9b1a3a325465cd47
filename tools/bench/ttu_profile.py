#!/usr/bin/env python3
"""The RTOS's instructions per KiB by function over its TTU window, from pc_profile.c's files.

    tools/bench/ttu_profile.py ELF BYTES_A PROF_A [BYTES_B PROF_B]

PROF_*: files of tools/qemu-plugins/pc_profile.c (tools/bench/ttu.py --rtos-profile DIR writes
DIR/bare.prof, DIR/drop.prof); BYTES_*: the bytes received in that window (the `rx=` of its
`TTU window` line). Prints per function (the ELF's symbols; inline code counts for the function
it was inlined into) the instructions per KiB of each, and with two files their difference:
where one configuration's cost per KiB differs from the other's, exactly (icount, no sampling).
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
    funcs = {}
    for s in range(SLOTS):
        n = b[s] - a[s]
        if not n:
            continue
        addr = base + 4 * s - load
        k = bisect.bisect_right(addrs, addr) - 1
        name = syms[k][1] if k >= 0 else "?"
        funcs[name] = funcs.get(name, 0) + n
    return {k: v / kib for k, v in funcs.items()}, nb


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


if __name__ == "__main__":
    main()
