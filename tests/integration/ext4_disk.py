"""An ext4 disk image for the block passthrough tests, built and read back without root.

The host builds the image with `mke2fs -d DIR` (e2fsprogs) holding one random file; the guest loads
the stock ext4 module (and crc32c for metadata checksums) from the initramfs, mounts the disk,
checks the file's SHA-256, writes a new file, syncs and unmounts; after QEMU exits the host reads
the new file out of the image with `debugfs -R "cat PATH"` and compares.
"""
import hashlib
import os
import re
import shutil
import subprocess

DISK_MB = 64
FILE_BYTES = 1 << 20
READ_PATH = "/data/host-file.bin"  # put there by the host
WRITE_PATH = "/guest-file.bin"  # written by the guest
MOUNT = "/mnt"
# mke2fs and debugfs live in /sbin, which a non-root PATH may lack.
TOOL_ENV = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/sbin:/usr/sbin")


def make(work):
    """Builds WORK/disk.img (ext4, DISK_MB MiB); returns (path, sha256 of READ_PATH)."""
    tree = os.path.join(work, "disk-tree")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(os.path.join(tree, os.path.dirname(READ_PATH).lstrip("/")))
    data = os.urandom(FILE_BYTES)
    with open(os.path.join(tree, READ_PATH.lstrip("/")), "wb") as f:
        f.write(data)
    img = os.path.join(work, "disk.img")
    if os.path.exists(img):
        os.unlink(img)
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", tree, img, "%dM" % DISK_MB],
                   check=True, env=TOOL_ENV, stdout=subprocess.DEVNULL)
    shutil.rmtree(tree)
    return img, hashlib.sha256(data).hexdigest()


def host_read(img, path):
    """The content of PATH inside the ext4 image IMG (debugfs, no mount, no root), or None."""
    r = subprocess.run(["debugfs", "-R", "cat %s" % path, img], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=TOOL_ENV)
    return r.stdout if r.returncode == 0 and r.stdout else None


def guest_mount(t, vm, where):
    """Loads ext4 and mounts /dev/vda on MOUNT; returns True when mounted."""
    out, st = vm.run_status("modprobe crc32c_generic && modprobe ext4 && mount -t ext4 /dev/vda %s "
                            "&& grep ' %s ' /proc/mounts" % (MOUNT, MOUNT), timeout=90)
    return t.check("%s: the stock ext4 module (from the initramfs) mounts the passed-through disk"
                   % where, st == 0 and "ext4" in out, "got %r (status %d)" % (out, st))


def guest_read(t, vm, where, want, what):
    got = vm.run("sha256sum %s%s" % (MOUNT, READ_PATH), timeout=60).split()
    return t.check("%s: the guest reads the file the test put in the filesystem: same SHA-256 %s"
                   % (where, what), got[:1] == [want], "guest got %r, want %s" % (got, want))


def guest_write(t, vm, where):
    """Writes WRITE_PATH (random data), syncs; returns its SHA-256 as the guest sees it, or None."""
    out = vm.run("dd if=/dev/urandom of=%s%s bs=65536 count=%d 2>/dev/null && sync && "
                 "sha256sum %s%s && echo WRITTEN" % (MOUNT, WRITE_PATH, FILE_BYTES // 65536, MOUNT,
                                                     WRITE_PATH), timeout=90)
    m = re.search(r"^([0-9a-f]{64})\s+%s%s" % (MOUNT, WRITE_PATH), out, re.M)
    t.check("%s: the guest writes a new 1 MiB file and syncs" % where, m and "WRITTEN" in out,
            "got %r" % out)
    return m.group(1) if m else None


def guest_reread_and_unmount(t, vm, where, want):
    """After dropping the page cache the file is read from the device again; then unmount."""
    vm.run("sync; echo 3 > /proc/sys/vm/drop_caches")
    guest_read(t, vm, where, want, "(again, page cache dropped)")
    out, st = vm.run_status("umount %s && sync" % MOUNT, timeout=60)
    t.check("%s: the filesystem unmounts cleanly" % where, st == 0, "got %r" % out)


def host_check(t, img, want, what):
    """After QEMU exits: the guest's file, read from the image on the host, has the SHA-256 WANT."""
    data = host_read(img, WRITE_PATH)
    got = hashlib.sha256(data).hexdigest() if data is not None else None
    t.check("after QEMU exits, the host reads the guest's new file out of the ext4 image "
            "(debugfs): same SHA-256 [%s]" % what, got == want,
            "host %s (%s bytes), guest %s" % (got, len(data) if data is not None else None, want))
