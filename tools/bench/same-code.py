#!/usr/bin/env python3
"""Which functions two builds of Tandem compile differently: per function of two tandem.elf files,
the instruction sequences compared with what only the data layout moves masked (adrp/add page
and offset immediates, load/store offsets, literal-pool words' values are kept as .word lines).
Prints the functions that differ, appear or disappear; nothing printed: the same code.

  tools/bench/same-code.py OLD.elf build/tandem.elf [FUNCTION...]

With FUNCTION names, only those are compared and a difference is shown as a diff. Used to show a
change leaves the hot paths (trap_dabt, vcpu_trap_hvc_fast, vcpu_trap_irq_fast, ...) as they were,
before or instead of tools/bench/trace-paths.py.
"""
import difflib
import re
import subprocess
import sys

MEM = re.compile(r"(ldr|str|ldp|stp|ldrb|strb|ldrh|strh|ldrsw|ldur|stur)\b")


def functions(elf):
    out = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", elf],
                         capture_output=True, text=True, check=True).stdout
    fns, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            cur = fns.setdefault(m.group(1), [])
            continue
        if cur is None or not line.strip() or line.startswith("Disassembly"):
            continue
        insn = re.sub(r"^\s*[0-9a-f]+:\s*", "", line).split("//")[0].strip()
        insn = re.sub(r"\b[0-9a-f]+ <", "<", insn)
        insn = re.sub(r"\+0x[0-9a-f]+>", ">", insn)
        if insn.startswith(("add", "adrp")):
            insn = re.sub(r"<.*>", "<>", re.sub(r"#0x[0-9a-f]+", "#imm", insn))
        if MEM.match(insn):
            insn = re.sub(r"#-?\d+\]", "#off]", insn)
        if insn.startswith(".word"):
            insn = ".word"
        cur.append(insn)
    return fns


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    old, new = functions(sys.argv[1]), functions(sys.argv[2])
    only = sys.argv[3:]
    for f in only or sorted(set(old) | set(new)):
        if f not in new:
            print("gone %s (%d instructions)" % (f, len(old.get(f, []))))
        elif f not in old:
            print("new  %s (%d instructions)" % (f, len(new[f])))
        elif old[f] != new[f]:
            print("diff %s (%d -> %d instructions)" % (f, len(old[f]), len(new[f])))
            if only:
                print("\n".join(difflib.unified_diff(old[f], new[f], lineterm="", n=1)))


if __name__ == "__main__":
    main()
