#!/usr/bin/env python3
"""Writes a gzip'd newc cpio archive (a Linux initramfs) from a folder, reproducibly.

Every entry is owned by root with mtime 0, so the same inputs give the same bytes, and device
nodes (which an unprivileged build cannot mknod) are added from the command line:
    mkcpio.py ROOT OUT.cpio.gz --dev dev/console:c:5:1 --dev dev/null:c:1:3
"""
import argparse
import gzip
import os
import stat
import sys


def header(ino, mode, nlink, size, rmaj, rmin, namesize):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rmaj, rmin, namesize, 0]
    return ("070701" + "".join("%08x" % f for f in fields)).encode()


def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


def entry(out, ino, name, mode, data=b"", rdev=(0, 0), nlink=1):
    name_b = name.encode() + b"\0"
    out.write(header(ino, mode, nlink, len(data), rdev[0], rdev[1], len(name_b)))
    out.write(name_b)
    out.write(pad4(110 + len(name_b)))
    out.write(data)
    out.write(pad4(len(data)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("out")
    ap.add_argument("--dev", action="append", default=[], help="PATH:c|b:MAJOR:MINOR")
    args = ap.parse_args()

    items = []
    for dirpath, dirnames, filenames in os.walk(args.root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, args.root)
        if rel != ".":
            items.append(rel)
        for f in sorted(filenames):
            items.append(os.path.normpath(os.path.join(rel, f)))
    devs = {}
    for d in args.dev:
        path, kind, major, minor = d.split(":")
        devs[path.strip("/")] = (stat.S_IFCHR if kind == "c" else stat.S_IFBLK, int(major), int(minor))

    tmp = args.out + ".tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as out:
        ino = 1
        for rel in sorted(items):
            full = os.path.join(args.root, rel)
            st = os.lstat(full)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                entry(out, ino, rel, stat.S_IFLNK | 0o777, os.readlink(full).encode())
            elif stat.S_ISDIR(st.st_mode):
                entry(out, ino, rel, stat.S_IFDIR | perm, nlink=2)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    entry(out, ino, rel, stat.S_IFREG | perm, f.read())
            else:
                print("mkcpio: skipping special file %s" % rel, file=sys.stderr)
                continue
            ino += 1
        for rel, (kind, major, minor) in sorted(devs.items()):
            entry(out, ino, rel, kind | 0o600, rdev=(major, minor))
            ino += 1
        entry(out, 0, "TRAILER!!!", 0)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
