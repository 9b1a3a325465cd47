#!/usr/bin/env python3
"""Checks that the hypervisor's folders call each other only as docs/design.md draws it.

    tools/check-layering.py BUILD        (make lint: after the hypervisor is built)

Reads the symbol table of every object under BUILD/hv (the cross nm): a symbol an object uses
(U) and another folder defines is a call (or a data reference) from the first folder to the
second. Each such edge must be allowed by LAYERS below, be one of the PRIMITIVES every layer
may use, or be a listed EXCEPTION; and no listed exception may be stale. Static inline
functions in headers are not seen (they compile into the caller), nor are calls through ops
tables (the irqchip, a device's vdev_ops): those are the ways round the layers on purpose.

Also checks that the host unit tests have no private test doubles: a test_*.c defines no
function or variable with external linkage but main (docs/design.md, "Tests share their fakes").
"""
import glob
import os
import re
import subprocess
import sys

# Which folder may call which (caller: callees). Every folder may also call itself, lib,
# common and the arch primitives (spin_lock, arch_counter_*, arch_phys_to_virt, ...): BELOW.
LAYERS = {
    "arch": {"core"},  # the trap path enters core at its events (vcpu_trap_*, smccc_call, ...)
    "core": {"sched", "virt", "drivers", "platform"},
    "sched": {"core"},  # core's services only: timers, kicks, claims, logging
    "virt": {"core", "drivers"},  # core's services; the irqchip and the SMMU for passthrough
    "drivers": set(),
    "platform": {"drivers"},  # irqchip_probe
    "lib": set(),
    "common": set(),
}
BELOW = {"lib", "common", "arch"}

# Core services any folder may use (defined in core, but primitives in spirit): log lines and
# the panic of a broken invariant (log.h: printk takes only the console lock, a leaf).
PRIMITIVES = {"printk", "panic"}

# Registration with a layer above, allowed where the layers would not be: a driver that owns a
# hypervisor interrupt claims it from core's dispatcher, as every owner does (the SMMU's
# event-queue SPI); nothing else of core is reachable from drivers.
REGISTRATION = {"drivers": {"irq_claim"}}

# Edges none of the above allows, each with why (docs/design.md, "Known exceptions"):
# caller object (relative to BUILD/hv) -> symbols. None today; a stale entry is an error.
EXCEPTIONS = {}

# What arch must not call in core even though arch -> core is allowed: policy (what a fault
# does to the VM, what the guest log says) is core's, arch only decodes and carries out.
ARCH_MUST_NOT = re.compile(r"^(vm_(stop|fail|reset|power_off)|guest_log|mmio_find)$")


def folder(rel):
    top = rel.split("/")[0]
    return top  # arch/aarch64 -> arch, virt/vgic -> virt


def symbols(nm, obj):
    out = subprocess.run([nm, obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRGSVW":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def check_layering(build, nm):
    root = os.path.join(build, "hv")
    objs = sorted(glob.glob(os.path.join(root, "**", "*.o"), recursive=True))
    if not objs:
        sys.exit(f"check-layering: no objects under {root}: build the hypervisor first")
    owner, uses = {}, {}
    for obj in objs:
        rel = os.path.relpath(obj, root)
        defined, used = symbols(nm, obj)
        for s in defined:
            owner[s] = rel
        uses[rel] = used
    errors, seen = [], set()
    for rel, used in sorted(uses.items()):
        src = folder(rel)
        for s in sorted(used):
            if s not in owner:
                continue  # linker-script symbols
            dst = folder(owner[s])
            if src == "arch" and dst == "core" and ARCH_MUST_NOT.match(s):
                errors.append(f"{rel} -> {s} ({owner[s]}): policy in arch; core decides")
                continue
            if dst == src or dst in BELOW or dst in LAYERS[src] or s in PRIMITIVES:
                continue
            if dst == "core" and s in REGISTRATION.get(src, ()):
                continue
            if s in EXCEPTIONS.get(rel, ()):
                seen.add((rel, s))
                continue
            errors.append(f"{rel} -> {s} ({owner[s]}): {src} may not call {dst}")
    for rel, syms in EXCEPTIONS.items():
        for s in sorted(syms - {x for r, x in seen if r == rel}):
            errors.append(f"{rel} -> {s}: a listed exception that no longer exists: drop it")
    return errors


# A top-level definition with external linkage in a test: a line at column 0 that is not
# static/extern/typedef, and is a function definition or a variable (not a prototype, a type
# or a forward declaration).
def private_doubles():
    found = []
    for path in sorted(glob.glob("tests/unit/test_*.c")):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not re.match(r"[A-Za-z_]", line) or re.match(
                    r"(static|extern|typedef|int main\(|(struct|union|enum)\b[^(]*(\{|;))", line
                ):
                    continue
                if "(" in line:
                    if re.search(r"\)\s*;", line) or re.match(r"[a-z_]+\(", line):
                        continue  # a prototype, or a macro call
                elif not re.search(r"[;=\[]", line):
                    continue
                found.append(f"{path}:{n}: {line.rstrip()}")
    return found


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    nm = os.environ.get("NM", "aarch64-linux-gnu-nm")
    status = 0
    errors = check_layering(build, nm)
    for e in errors:
        print(f"layering: {e}", file=sys.stderr)
    if errors:
        print("layering: see docs/design.md, 'Which folder calls which'", file=sys.stderr)
        status = 1
    doubles = private_doubles()
    for d in doubles:
        print(f"test double: {d}", file=sys.stderr)
    if doubles:
        print("test doubles: put it in tests/unit/fakes/ (or make it static)", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
