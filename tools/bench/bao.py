"""Bao (github.com/bao-project/bao-hypervisor) as a peer in the bench, built from source.

BAO_SRC is a source tarball (bao-hypervisor-*.tar.gz) or a checkout; BAO_PATCHES a folder of
*.patch files applied in name order (the ones the bench needs on QEMU: PARange capped at 48 bits,
no console warning per unknown SMCCC call, PSCI CPU_ON with the affinity bits only, YIELD in the
boot-time wait loops for -icount with 2+ pCPUs). Both default to ../shared/peers next to the
repository; without them the bench shows "not available (BAO_SRC not found)".

Bao's VMs are C compiled into bao.bin, so each scenario gets its own build: a platform copy with
the machine's real CPU count and RAM (Bao powers on every CPU its platform names and hands out RAM
the machine may lack), a config.c written here, VM images made of tools/peers/bao/guest-entry.S +
a DTB from tools/peers/bao/guest.dts.in + the guest's Image. Everything lives in BUILD/peers/bao.
"""
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tarfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ASSETS = os.path.join(TOP, "tools", "peers", "bao")
CROSS = "aarch64-linux-gnu-"
LOAD_ADDR = 0x50000000  # where QEMU's loader puts bao.bin (above QEMU's DTB at 0x48000000)
VM_BASE = 0x40000000  # each VM's RAM starts at IPA 0x40000000
DTB_OFF = 0x10000
IMAGE_OFF = 0x200000
MiB = 1 << 20
CONFIG = "tandem-bench"  # BUILD/peers/bao/configs/tandem-bench/config.c, rewritten per scenario


def default_peers_dir():
    return os.path.normpath(os.path.join(TOP, "..", "shared", "peers"))


def find_src(value):
    """BAO_SRC as given, else the newest bao-hypervisor* next to the repository, else None."""
    if value:
        return os.path.abspath(value) if os.path.exists(value) else None
    found = sorted(glob.glob(os.path.join(default_peers_dir(), "bao-hypervisor*")))
    return found[-1] if found else None


def find_patches(value):
    if value:
        return os.path.abspath(value) if os.path.isdir(value) else None
    d = os.path.join(default_peers_dir(), "bao-patches")
    return d if os.path.isdir(d) else None


class BaoError(Exception):
    pass


class Bao:
    def __init__(self, build, src=None, patches=None, log=print):
        self.root = os.path.join(os.path.abspath(build), "peers", "bao")
        self.src = find_src(src)
        self.patches = sorted(glob.glob(os.path.join(find_patches(patches) or "/nonexistent",
                                                     "*.patch")))
        self.log = log
        self.tree = None

    def unavailable(self):
        """None when Bao can be built, else the reason for the table's row."""
        if not self.src:
            return "not available (BAO_SRC not found)"
        if not self.patches:
            return "not available (BAO_PATCHES not found)"
        return None

    def patch_names(self):
        return ", ".join(os.path.basename(p) for p in self.patches)

    # ---- the source tree ----
    def _key(self):
        h = hashlib.sha256()
        if os.path.isfile(self.src):
            with open(self.src, "rb") as f:
                h.update(f.read())
        else:
            h.update(self.src.encode())
        for p in self.patches:
            with open(p, "rb") as f:
                h.update(f.read())
        return h.hexdigest()[:12]

    def prepare(self):
        """BUILD/peers/bao/src-KEY: the source with the patches applied (made once, atomically)."""
        if self.tree:
            return self.tree
        tree = os.path.join(self.root, "src-%s" % self._key())
        if not os.path.isdir(tree):
            os.makedirs(self.root, exist_ok=True)
            tmp = tree + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            if os.path.isfile(self.src):
                with tarfile.open(self.src) as t:
                    t.extractall(tmp + ".x")
                tops = os.listdir(tmp + ".x")
                inner = os.path.join(tmp + ".x", tops[0]) if len(tops) == 1 else tmp + ".x"
                os.rename(inner, tmp)
                shutil.rmtree(tmp + ".x", ignore_errors=True)
            else:
                shutil.copytree(self.src, tmp, symlinks=True,
                                ignore=shutil.ignore_patterns(".git", "build", "bin"))
            for p in self.patches:
                with open(p) as f:
                    r = subprocess.run(["patch", "-s", "-p1", "-d", tmp], stdin=f,
                                       capture_output=True, text=True)
                if r.returncode:
                    raise BaoError("%s does not apply: %s" % (os.path.basename(p),
                                                             (r.stdout + r.stderr).strip()))
            os.rename(tmp, tree)
            for old in glob.glob(os.path.join(self.root, "src-*")):
                if old != tree:  # an earlier source or patch set
                    shutil.rmtree(old, ignore_errors=True)
        self.tree = tree
        return tree

    def platform(self, ncpus, mem_bytes):
        """A copy of Bao's qemu-aarch64-virt platform with the machine's CPU count and RAM."""
        tree = self.prepare()
        name = "qemu-aarch64-virt-tandem-%dcpu-%dm" % (ncpus, mem_bytes // MiB)
        dst = os.path.join(tree, "src", "platform", name)
        if not os.path.isdir(dst):
            src = os.path.join(tree, "src", "platform", "qemu-aarch64-virt")
            shutil.copytree(src, dst + ".tmp")
            desc = os.path.join(dst + ".tmp", "virt_desc.c")
            text = open(desc).read()
            text, n_cpu = re.subn(r"\.cpu_num\s*=\s*\d+,", ".cpu_num = %d," % ncpus, text)
            text, n_mem = re.subn(r"(\.regions\s*=.*?\.size\s*=\s*)0x[0-9a-fA-F]+,",
                                  lambda m: "%s0x%x," % (m.group(1), mem_bytes), text,
                                  count=1, flags=re.S)
            if n_cpu != 1 or n_mem != 1:
                raise BaoError("unexpected %s: cannot set cpu_num/RAM size" % desc)
            with open(desc, "w") as f:
                f.write(text)
            os.rename(dst + ".tmp", dst)
        return name

    # ---- VM images ----
    def _dtb(self, out, bootargs, vcpus, mem, uart, initrd=None, base=VM_BASE):
        text = open(os.path.join(ASSETS, "guest.dts.in")).read()
        cpus = "\n".join(
            '\t\tcpu@%d {\n\t\t\tdevice_type = "cpu";\n\t\t\tcompatible = "arm,armv8";\n'
            '\t\t\treg = <%d>;\n\t\t\tenable-method = "psci";\n\t\t};' % (i, i)
            for i in range(vcpus))
        rd = ""
        if initrd:
            rd = ("\t\tlinux,initrd-start = <0x0 0x%x>;\n\t\tlinux,initrd-end = <0x0 0x%x>;"
                  % initrd)
        fields = {"BOOTARGS": bootargs.replace('"', '\\"'), "MEM_NODE": "%x" % base,
                  "MEM_BASE": "0x0 0x%x" % base, "MEM_SIZE": "0x0 0x%x" % mem, "CPUS": cpus,
                  "INITRD": rd, "UART": "okay" if uart else "disabled"}
        for k, v in fields.items():
            text = text.replace("@%s@" % k, v)
        dts = out + ".dts"
        with open(dts, "w") as f:
            f.write(text)
        subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, dts], check=True)

    def vm_image(self, name, image, bootargs, vcpus, mem, uart=True, initrd=None, base=VM_BASE):
        """BUILD/peers/bao/vms/NAME.img: entry code, DTB, Image (and initrd after the Image's
        memory footprint, from its header's image_size), for a VM whose RAM starts at base."""
        d = os.path.join(self.root, "vms")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name)
        obj = path + "-entry.o"
        subprocess.run([CROSS + "gcc", "-c", "-o", obj, "-DVM_BASE=0x%x" % base,
                        "-DDTB_OFF=0x%x" % DTB_OFF, "-DIMAGE_OFF=0x%x" % IMAGE_OFF,
                        os.path.join(ASSETS, "guest-entry.S")], check=True)
        subprocess.run([CROSS + "objcopy", "-O", "binary", obj, path + "-entry.bin"], check=True)
        kernel = open(image, "rb").read()
        rd_range, rd = None, b""
        if initrd:
            rd = open(initrd, "rb").read()
            footprint = int.from_bytes(kernel[16:24], "little") or len(kernel)
            rd_off = (IMAGE_OFF + footprint + 2 * MiB - 1) & ~(2 * MiB - 1)
            rd_range = (base + rd_off, base + rd_off + len(rd))
        self._dtb(path + ".dtb", bootargs, vcpus, mem, uart, rd_range, base)
        entry = open(path + "-entry.bin", "rb").read()
        dtb = open(path + ".dtb", "rb").read()
        if len(entry) > DTB_OFF or DTB_OFF + len(dtb) > IMAGE_OFF:
            raise BaoError("VM image %s: entry code or DTB too large" % name)
        img = bytearray(IMAGE_OFF)
        img[0:len(entry)] = entry
        img[DTB_OFF:DTB_OFF + len(dtb)] = dtb
        img += kernel
        if rd_range:
            img += bytes(rd_range[0] - base - len(img))
            img += rd
        if len(img) > mem:
            raise BaoError("VM image %s (%d bytes) larger than its RAM" % (name, len(img)))
        out = path + ".img"
        with open(out, "wb") as f:
            f.write(img)
        return out

    # ---- configuration and build ----
    @staticmethod
    def config_c(vms):
        """Bao's config.c for vms: [{name, image, vcpus, pcpus, mem, devices}], devices as
        (pa, size, [interrupt ids]) with size 0 for an interrupt-only entry."""
        out = ["/* Written by tools/bench/bao.py for Tandem's bench: do not edit. */",
               "#include <config.h>", ""]
        for vm in vms:
            out.append("VM_IMAGE(%s_image, \"%s\")" % (vm["name"], vm["image"]))
        out += ["", "struct config config = {", "    .vmlist_size = %d," % len(vms),
                "    .vmlist = (struct vm_config[]){"]
        for vm in vms:
            mask = sum(1 << c for c in vm["pcpus"])
            out += ["        {",
                    "            .image = VM_IMAGE_BUILTIN(%s_image, 0x%x)," % (vm["name"],
                                                                               VM_BASE),
                    "            .entry = 0x%x," % VM_BASE,
                    "            .cpu_affinity = 0x%x," % mask,
                    "            .platform = {",
                    "                .cpu_num = %d," % vm["vcpus"],
                    "                .region_num = 1,",
                    "                .regions = (struct vm_mem_region[]){",
                    "                    {.base = 0x%x, .size = 0x%x}," % (VM_BASE, vm["mem"]),
                    "                },",
                    "                .dev_num = %d," % len(vm["devices"]),
                    "                .devs = (struct vm_dev_region[]){"]
            for pa, size, irqs in vm["devices"]:
                fields = []
                if size:
                    fields += [".pa = 0x%x" % pa, ".va = 0x%x" % pa, ".size = 0x%x" % size]
                if irqs:
                    fields += [".interrupt_num = %d" % len(irqs),
                               ".interrupts = (irqid_t[]){%s}" % ", ".join(str(i) for i in irqs)]
                out.append("                    {%s}," % ", ".join(fields))
            out += ["                },",
                    "                .arch = {.gic = {.gicd_addr = 0x8000000, "
                    ".gicr_addr = 0x80a0000}},",
                    "            },",
                    "        },"]
        out += ["    },", "};", ""]
        return "\n".join(out)

    def build(self, name, ncpus, mem_bytes, vms):
        """bao.bin for one scenario: BUILD/peers/bao/bin/HASH.bin (NAME names its log)."""
        tree = self.prepare()
        plat = self.platform(ncpus, mem_bytes)
        config = self.config_c(vms)
        # Same source, platform, config and VM images: the same bao.bin (e.g. a scenario's icount
        # and TCG runs, or the next `make bench`).
        h = hashlib.sha256((tree + plat + config).encode())
        for vm in vms:
            with open(vm["image"], "rb") as f:
                h.update(f.read())
        out = os.path.join(self.root, "bin", "%s.bin" % h.hexdigest()[:16])
        if os.path.isfile(out):
            return out
        # One config name for all scenarios: Bao's objects for a platform are built once and
        # only the config (which .incbin's the VM images, a dependency make does not see) again.
        configs = os.path.join(self.root, "configs")
        cfg_dir = os.path.join(configs, CONFIG)
        os.makedirs(cfg_dir, exist_ok=True)
        with open(os.path.join(cfg_dir, "config.c"), "w") as f:
            f.write(config)
        for stale in glob.glob(os.path.join(tree, "build", plat, CONFIG, "config.[od]")):
            os.unlink(stale)
        shutil.rmtree(os.path.join(tree, "bin", plat, CONFIG), ignore_errors=True)
        # Serial: a parallel first build races Bao's generated asm_defs.h.
        # -D_LIBC_LIMITS_H_: gcc's own <limits.h> then stands alone instead of including the C
        # library's, which a cross compiler without an arm64 libc cannot find.
        cmd = ["make", "-C", tree, "PLATFORM=" + plat, "CONFIG_REPO=" + configs,
               "CONFIG=" + CONFIG, "CROSS_COMPILE=" + CROSS, "CPPFLAGS=-D_LIBC_LIMITS_H_"]
        logf = os.path.join(self.root, "build-%s.log" % name)
        with open(logf, "w") as f:
            r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
        if r.returncode:
            raise BaoError("Bao build %s failed: see %s" % (name, logf))
        os.makedirs(os.path.join(self.root, "bin"), exist_ok=True)
        shutil.copyfile(os.path.join(tree, "bin", plat, CONFIG, "bao.bin"), out + ".tmp")
        os.rename(out + ".tmp", out)
        return out

    @staticmethod
    def argv(binary, smp, mem, cpu, icount_args):
        """Bao boots straight from QEMU's reset on CPU 0 (no firmware; QEMU answers PSCI)."""
        return (["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3", "-cpu", cpu,
                 "-smp", str(smp), "-m", mem, "-nographic", "-echr", "0x14", "-device",
                 "loader,file=%s,addr=0x%x,force-raw=on,cpu-num=0" % (binary, LOAD_ADDR)]
                + icount_args)
