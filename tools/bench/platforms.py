"""How each platform boots a scenario's guests: QEMU command lines for bare metal (the RTOS or
Linux at EL1), Tandem (a system description from configs/bench/) and Xen 4.17 dom0less (Debian's
package, downloaded and extracted into build/cache, never installed)."""
import glob
import hashlib
import os
import subprocess

from bao import Bao

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CPU = "max,pauth-impdef=on"
ICOUNT = ["-icount", "shift=4,sleep=off"]
XEN_PKG = "xen-hypervisor-4.17-arm64:arm64"
XEN_ARGS = "console=dtuart dtuart=/pl011@9000000 bootscrub=0 sched=credit2 vwfi=native"
LOAD_BASE = 0x50000000  # QEMU keeps its DTB at 0x48000000: modules above it


class Platform:
    def __init__(self, build, bao_src=None, bao_patches=None):
        self.build = os.path.abspath(build)
        self.images = os.path.join(self.build, "images")
        self.work = os.path.join(self.build, "bench", "run")
        os.makedirs(self.work, exist_ok=True)
        self._xen = None
        self._xen_null = None
        self.bao = Bao(self.build, bao_src, bao_patches)

    # ---- bare metal ----
    def bare_rtos(self, args, smp, mem="1G", icount=True):
        return (["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", CPU, "-smp", str(smp),
                 "-m", mem, "-nographic", "-echr", "0x14", "-kernel",
                 os.path.join(self.images, "rtos.bin"), "-append", args]
                + (ICOUNT if icount else []))

    def bare_linux(self, args, smp, mem="1G", icount=True):
        return (["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", CPU, "-smp", str(smp),
                 "-m", mem, "-nographic", "-echr", "0x14", "-kernel",
                 os.path.join(self.images, "linux-Image"), "-initrd",
                 os.path.join(self.images, "linux-initrd.cpio.gz"), "-append", args]
                + (ICOUNT if icount else []))

    # ---- Tandem ----
    def tandem(self, config, subst, smp, mem="2G", icount=True):
        """config: a file in configs/bench/; subst: @KEY@ -> value in it (bootargs)."""
        text = open(os.path.join(TOP, "configs", "bench", config)).read()
        subst = dict(subst)
        subst.setdefault("IMAGES", self.images)
        if "RTOS_CPUS" in subst:  # rtos.dts: bind pool "rt" on pCPUs 0..RTOS_CPUS-1
            subst.setdefault("RT_CPUS", " ".join(str(i) for i in range(int(subst["RTOS_CPUS"]))))
            subst.setdefault("RT_IRQ", "trapped")
        for k, v in subst.items():
            text = text.replace("@%s@" % k, v)
        # One file per distinct text: a scenario builds all its command lines before it runs
        # any, so two runs of one config with different @KEY@ values (the "Tandem" and "Tandem
        # direct" rows) must not share a file, or both boot whichever was written last.
        name = "%s-%s" % (os.path.splitext(config)[0],
                          hashlib.sha256(text.encode()).hexdigest()[:10])
        path = os.path.join(self.work, name + ".dts")
        with open(path, "w") as f:
            f.write(text)
        return ([os.path.join(TOP, "tools", "run-qemu.sh"), "--build", self.build,
                 "--config", path, "--smp", str(smp), "--mem", mem, "--cpu", CPU, "--"]
                + (ICOUNT if icount else []))

    # ---- Xen ----
    def xen_binary(self):
        """Xen from Debian's package, fetched once into build/cache/xen (apt-get download)."""
        if self._xen:
            return self._xen
        cache = os.path.join(self.build, "cache", "xen")
        found = glob.glob(os.path.join(cache, "root", "boot", "xen-4.17-arm64"))
        if not found:
            os.makedirs(cache, exist_ok=True)
            for deb in glob.glob(os.path.join(cache, "*.deb")):
                os.unlink(deb)
            subprocess.run(["apt-get", "download", "-q", XEN_PKG], cwd=cache, check=True,
                           stdout=subprocess.DEVNULL)
            deb = glob.glob(os.path.join(cache, "xen-hypervisor-4.17-arm64_*.deb"))[0]
            subprocess.run(["dpkg-deb", "-x", deb, os.path.join(cache, "root")], check=True)
            found = glob.glob(os.path.join(cache, "root", "boot", "xen-4.17-arm64"))
        self._xen = found[0]
        return self._xen

    def xen_null_binary(self):
        """(path, None) for Xen 4.17 built from Debian's source with the null scheduler and
        boot-time cpupools (tools/peers/xen-null.sh, cached in build/cache), else (None, why)."""
        if self._xen_null is None:
            r = subprocess.run([os.path.join(TOP, "tools", "peers", "xen-null.sh"), self.build],
                               stdout=subprocess.PIPE, text=True)
            out = (r.stdout.strip().splitlines() or ["not available (xen-null.sh printed nothing)"])
            self._xen_null = (out[-1], None) if r.returncode == 0 else (None, out[-1])
        return self._xen_null

    def _machine(self, smp, mem):
        return ["-M", "virt,virtualization=on,gic-version=3", "-cpu", CPU, "-smp", str(smp),
                "-m", mem]

    def xen(self, name, smp, mem, domains, icount=True, dom0=None, xen_extra="", pools=None):
        """domains: list of dicts {cpus, memory_mb, kernel, ramdisk?, bootargs, pool?}, booted
        dom0less (xen,domain nodes under /chosen); dom0: optional {kernel, ramdisk, bootargs,
        memory}. pools: boot-time cpupools {name: (pCPUs, scheduler)} for the null-scheduler
        build (xen_null_binary); a domain's "pool" names its pool. The pool holding pCPU 0
        becomes Xen's Pool-0."""
        xen = self.xen_null_binary()[0] if pools else self.xen_binary()
        dtb = os.path.join(self.work, "%s.dtb" % name)
        # The DTB must come from the very -M/-cpu/-smp/-m of the run (platform-facts.md).
        subprocess.run(["qemu-system-aarch64"] + self._machine(smp, mem)
                       + ["-machine", "dumpdtb=" + dtb, "-nographic"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def put(*a):
            subprocess.run(["fdtput"] + list(a), check=True)

        loaders = []
        addr = [LOAD_BASE]

        def place(path):
            at = addr[0]
            size = os.path.getsize(path)
            addr[0] = (at + size + 0x1fffff) & ~0x1fffff
            loaders.extend(["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (path, at)])
            return at, size

        args = XEN_ARGS + (" " + xen_extra if xen_extra else "")
        if dom0:
            args += " dom0_mem=%dM" % dom0["memory_mb"]
        put("-t", "s", dtb, "/chosen", "xen,xen-bootargs", args)
        put("-t", "x", dtb, "/chosen", "#address-cells", "2")
        put("-t", "x", dtb, "/chosen", "#size-cells", "2")
        if dom0:
            put("-t", "s", dtb, "/chosen", "xen,dom0-bootargs", dom0["bootargs"])
            for path, kind in ((dom0["ramdisk"], "multiboot,ramdisk"),
                               (dom0["kernel"], "multiboot,kernel")):
                at, size = place(path)
                node = "/chosen/module@%x" % at
                put("-c", dtb, node)
                put("-t", "s", dtb, node, "compatible", kind, "multiboot,module")
                put("-t", "x", dtb, node, "reg", "0", "%x" % at, "0", "%x" % size)
        phandles = {}
        for i, pname in enumerate(sorted(pools or {})):
            cpus, sched = pools[pname]
            node = "/chosen/cpupool_%s" % pname
            phandles[pname] = 0x7000 + i  # QEMU's own phandles start at 0x8000
            cpu_ph = [subprocess.run(["fdtget", "-t", "x", dtb, "/cpus/cpu@%d" % c, "phandle"],
                                     check=True, capture_output=True, text=True).stdout.strip()
                      for c in cpus]
            put("-c", dtb, node)
            put("-t", "s", dtb, node, "compatible", "xen,cpupool")
            put("-t", "x", dtb, node, "cpupool-cpus", *cpu_ph)
            put("-t", "s", dtb, node, "cpupool-sched", sched)
            put("-t", "x", dtb, node, "phandle", "%x" % phandles[pname])
        # fdtput -c inserts first: create in reverse so domain IDs follow the list order.
        for i in reversed(range(len(domains))):
            d = domains[i]
            node = "/chosen/domU%d" % (i + 1)
            put("-c", dtb, node)
            put("-t", "s", dtb, node, "compatible", "xen,domain")
            put("-t", "x", dtb, node, "#address-cells", "2")
            put("-t", "x", dtb, node, "#size-cells", "2")
            put("-t", "x", dtb, node, "cpus", "%x" % d["cpus"])
            put("-t", "x", dtb, node, "memory", "0", "%x" % (d["memory_mb"] * 1024))
            put("-t", "x", dtb, node, "vpl011")
            if d.get("pool"):
                put("-t", "x", dtb, node, "domain-cpupool", "%x" % phandles[d["pool"]])
            mods = [(d["kernel"], "multiboot,kernel")]
            if d.get("ramdisk"):
                mods.insert(0, (d["ramdisk"], "multiboot,ramdisk"))
            for path, kind in mods:
                at, size = place(path)
                mnode = "%s/module@%x" % (node, at)
                put("-c", dtb, mnode)
                put("-t", "s", dtb, mnode, "compatible", kind, "multiboot,module")
                put("-t", "x", dtb, mnode, "reg", "0", "%x" % at, "0", "%x" % size)
                if kind == "multiboot,kernel":
                    put("-t", "s", dtb, mnode, "bootargs", d["bootargs"])
        return (["qemu-system-aarch64"] + self._machine(smp, mem)
                + ["-nographic", "-echr", "0x14", "-dtb", dtb, "-kernel", xen] + loaders
                + (ICOUNT if icount else []))

    # ---- Bao ----
    def bao_rtos(self, name, args, vcpus, smp, mem="1G", icount=True, hogs=None):
        """The RTOS as a Bao VM, its vCPUs bound to pCPUs 0..vcpus-1 (the EL1 virtual and
        physical timers' PPIs 27 and 30 passed through, Bao leaves both timers to the guest);
        with hogs, Linux as a
        second VM on the other pCPUs running that many CPU hogs (raises BaoError). Bao emulates
        no console: the RTOS owns the PL011 (and its interrupt); Linux writes to it too, quietly
        (loglevel=1), to announce its hogs."""
        rtos_mem, linux_mem = 128 << 20, 512 << 20
        img = self.bao.vm_image(name + "-rtos", self.rtos_image(), args, vcpus, rtos_mem)
        vms = [{"name": "rtos", "image": img, "vcpus": vcpus, "pcpus": list(range(vcpus)),
                "mem": rtos_mem, "devices": [(0x9000000, 0x1000, [33]), (0, 0, [27, 30])]}]
        if hogs is not None:
            k, r = self.linux_images()
            n = smp - vcpus
            img = self.bao.vm_image(name + "-linux", k, "console=ttyAMA0 loglevel=1 rdinit=/init "
                                    "tandem.hogs=%d" % hogs, n, linux_mem, initrd=r)
            vms.append({"name": "linux", "image": img, "vcpus": n,
                        "pcpus": list(range(vcpus, smp)), "mem": linux_mem,
                        "devices": [(0x9000000, 0x1000, []), (0, 0, [27])]})
        binary = self.bao.build(name, smp, mem_bytes(mem), vms)
        return Bao.argv(binary, smp, mem, CPU, ICOUNT if icount else [])

    def bao_linux(self, name, args, smp, mem="1G", icount=True):
        """Linux as Bao's only VM (512 MiB, one vCPU per pCPU, the PL011 passed through)."""
        k, r = self.linux_images()
        vm_mem = 512 << 20
        img = self.bao.vm_image(name + "-linux", k, args, smp, vm_mem, initrd=r)
        vm = {"name": "linux", "image": img, "vcpus": smp, "pcpus": list(range(smp)),
              "mem": vm_mem, "devices": [(0x9000000, 0x1000, [33]), (0, 0, [27])]}
        binary = self.bao.build(name, smp, mem_bytes(mem), [vm])
        return Bao.argv(binary, smp, mem, CPU, ICOUNT if icount else [])

    def rtos_image(self):
        return os.path.join(self.images, "rtos.bin")

    def linux_images(self):
        return (os.path.join(self.images, "linux-Image"),
                os.path.join(self.images, "linux-initrd.cpio.gz"))


def mem_bytes(mem):
    """QEMU's -m value (512M, 1G) in bytes."""
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(mem[:-1]) * units[mem[-1]] if mem[-1] in units else int(mem) << 20
