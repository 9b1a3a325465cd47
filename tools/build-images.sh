#!/usr/bin/env bash
# Builds the default guest images into BUILD/images/:
#   linux-Image           Debian's current arm64 kernel (from the linux-image-arm64 metapackage)
#   linux-initrd.cpio.gz  a busybox initramfs: guests/linux/initramfs/ + busybox + a few modules
#                         + Tandem's own modules (guests/linux/modules/, tools/build-modules.sh)
# Downloads (apt-get download) and extracts (dpkg-deb -x) into BUILD/cache/, reused across runs;
# rebuilds only when an input changes (package versions, the initramfs recipe, this script).
# Usage: tools/build-images.sh [BUILD]      (BUILD defaults to "build")
set -euo pipefail

BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
CACHE=$BUILD/cache
IMAGES=$BUILD/images
OVERLAY=$TOP/guests/linux/initramfs
# Modules copied into the initramfs (with their dependencies, from modules.dep); `modprobe NAME`
# loads them in the guest. Keep this short: each costs initramfs size and boot time.
MODULES=${TANDEM_GUEST_MODULES:-"virtio_mmio virtio_pci virtio_blk virtio_net virtio_console cpufreq-dt cpufreq_ondemand cpufreq_userspace ext4 crc32c_generic sbsa_gwdt"}

log() { echo "  IMAGES  $*"; }
die() { echo "build-images: $*" >&2; exit 1; }

mkdir -p "$CACHE/debs" "$IMAGES"

# Resolve the packages: the kernel ABI from the metapackage, never hard-coded.
resolve_version() { # PKG -> candidate version of PKG:arm64
	apt-cache show --no-all-versions "$1:arm64" 2>/dev/null | awk '/^Version:/ { print $2; exit }'
}
resolve_packages() { # sets KPKG KVER BVER
	KPKG=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		awk '/Depends: linux-image-/ { sub(/:arm64$/, "", $2); print $2; exit }') || true
	KVER=
	BVER=
	if [ -n "$KPKG" ]; then
		KVER=$(resolve_version "$KPKG")
		BVER=$(resolve_version busybox-static)
	fi
}
# apt-cache takes seconds a call: reuse the last answer while the package lists are unchanged.
LISTS_STAMP=$(stat -c %Y /var/lib/apt/lists/*_binary-arm64_Packages* 2>/dev/null | sort -n | tail -n1)
RESOLVED=$CACHE/resolved
if [ -n "$LISTS_STAMP" ] && [ -s "$RESOLVED" ] && [ "$(head -n1 "$RESOLVED")" = "$LISTS_STAMP" ]; then
	{ read -r _; read -r KPKG KVER BVER; } <"$RESOLVED"
else
	resolve_packages
	if [ -n "$LISTS_STAMP" ] && [ -n "$KVER" ] && [ -n "$BVER" ]; then
		printf '%s\n%s %s %s\n' "$LISTS_STAMP" "$KPKG" "$KVER" "$BVER" >"$RESOLVED"
	fi
fi
if [ -z "$KPKG" ] || [ -z "$KVER" ] || [ -z "$BVER" ]; then
	# No package lists (offline?): keep what was built before rather than fail.
	if [ -s "$IMAGES/linux-Image" ] && [ -s "$IMAGES/linux-initrd.cpio.gz" ]; then
		echo "build-images: cannot resolve linux-image-arm64:arm64 (run tools/setup-deps.sh);" \
			"keeping the existing images" >&2
		exit 0
	fi
	die "cannot resolve linux-image-arm64:arm64 / busybox-static:arm64: run tools/setup-deps.sh"
fi
ABI=${KPKG#linux-image-}

# The inputs' fingerprint: versions + every file of the recipe.
inputs_hash() {
	{
		echo "$KPKG=$KVER busybox-static=$BVER modules=$MODULES"
		(cd "$TOP" && find guests/linux/initramfs guests/linux/tools guests/linux/modules \
			hypervisor/include/tandem/abi tools/build-images.sh tools/build-modules.sh \
			tools/mkcpio.py \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -d' ' -f1
}
HASH=$(inputs_hash)
if [ -s "$IMAGES/linux-Image" ] && [ -s "$IMAGES/linux-initrd.cpio.gz" ] &&
	[ "$(cat "$IMAGES/.inputs" 2>/dev/null)" = "$HASH" ]; then
	exit 0
fi

deb_path() { # PKG VERSION -> where the .deb is cached
	echo "$CACHE/debs/${1}_${2//:/%3a}_arm64.deb"
}
fetch() { # PKG VERSION: download into the cache unless there (not in a subshell: it may re-exec)
	local pkg=$1 ver=$2 deb tmp
	deb=$(deb_path "$pkg" "$ver")
	if [ ! -s "$deb" ]; then
		log "download $pkg:arm64 $ver"
		tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
		if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg:arm64=$ver" >&2); then
			rm -rf "$tmp"
			# Stale package lists name versions the mirror no longer has: refresh once, retry.
			if [ -z "${TANDEM_IMAGES_RETRY:-}" ] && [ "$(id -u)" -eq 0 ]; then
				echo "build-images: download failed; apt-get update and retry" >&2
				apt-get update -q >&2 || true
				rm -f "$RESOLVED"
				TANDEM_IMAGES_RETRY=1 exec "$0" "$BUILD"
			fi
			die "apt-get download $pkg:arm64=$ver failed"
		fi
		mv "$tmp"/*.deb "$deb"
		rm -rf "$tmp"
	fi
}
extract() { # DEB DIR: dpkg-deb -x once, atomically
	local deb=$1 dir=$2
	if [ ! -d "$dir" ]; then
		log "extract $(basename "$deb")"
		rm -rf "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp"
		mv "$dir.tmp" "$dir"
	fi
}

fetch "$KPKG" "$KVER"
fetch busybox-static "$BVER"
KDEB=$(deb_path "$KPKG" "$KVER")
BDEB=$(deb_path busybox-static "$BVER")
KDIR=$CACHE/$KPKG-$KVER
BDIR=$CACHE/busybox-static-$BVER
extract "$KDEB" "$KDIR"
extract "$BDEB" "$BDIR"

# The kernel: boot/vmlinuz-* is an uncompressed arm64 Image.
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$VMLINUZ" ] || die "no boot/vmlinuz-* in $KDEB"
cp "$VMLINUZ" "$IMAGES/linux-Image.tmp"
mv "$IMAGES/linux-Image.tmp" "$IMAGES/linux-Image"
cp "$KDIR/boot/config-$ABI" "$IMAGES/linux-config" 2>/dev/null || true
echo "$ABI $KVER" >"$IMAGES/linux-version"
log "linux-Image ($ABI, $KVER)"

# The initramfs tree (in this build folder: build/cache may be shared with other checkouts).
ROOT=$BUILD/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,mnt,lib/modules}
cp "$BDIR/bin/busybox" "$ROOT/bin/busybox"
# The applet symlinks are made at boot by `busybox --install -s` (the host cannot run the arm64
# binary to list them); only the shell that runs /init is needed up front.
ln -s busybox "$ROOT/bin/sh"
cp -a "$OVERLAY"/. "$ROOT"/
# Small guest tools (static, no libc): guests/linux/tools/NAME.c -> /bin/tandem-NAME.
for src in "$TOP"/guests/linux/tools/*.c; do
	[ -e "$src" ] || continue
	name=tandem-$(basename "$src" .c)
	"${CROSS:-aarch64-linux-gnu-}gcc" -std=c11 -O2 -Wall -Wextra -Werror -static -nostdlib \
		-ffreestanding -fno-stack-protector -o "$ROOT/bin/$name" "$src" ||
		die "cannot build $src"
done

# Modules and their dependencies (read from each module's .modinfo "depends=": the deb ships
# no modules.dep, and depmod may not be on the host), with a modules.dep covering just those.
MODDIR=$KDIR/lib/modules/$ABI
if [ -d "$MODDIR/kernel" ] && [ -n "$MODULES" ]; then
	python3 - "$MODDIR" "$ROOT/lib/modules/$ABI" $MODULES <<'PY'
import os, re, shutil, sys
src, dst, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
norm = lambda n: n.replace("-", "_")
path_of = {}
for dirpath, _, files in os.walk(os.path.join(src, "kernel")):
    for f in files:
        if f.endswith(".ko"):
            path_of[norm(f[:-3])] = os.path.relpath(os.path.join(dirpath, f), src)
def depends(rel):
    m = re.search(rb"\0depends=([^\0]*)\0", open(os.path.join(src, rel), "rb").read())
    return [norm(d) for d in m.group(1).decode().split(",") if d] if m else []
order, seen = [], set()
def visit(name):  # post-order: a module comes after everything it needs
    if name in seen:
        return
    seen.add(name)
    for d in depends(path_of[name]):
        visit(d)
    order.append(name)
for w in wanted:
    if norm(w) in path_of:
        visit(norm(w))
    else:
        print("build-images: module %s not found (built in?), skipped" % w, file=sys.stderr)
def closure(name, acc):
    for d in depends(path_of[name]):
        if d not in acc:
            acc.append(d)
            closure(d, acc)
    return acc
os.makedirs(dst, exist_ok=True)
with open(os.path.join(dst, "modules.dep"), "w") as f:
    for name in order:
        rel = path_of[name]
        os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
        shutil.copyfile(os.path.join(src, rel), os.path.join(dst, rel))
        deps = sorted(closure(name, []), key=order.index, reverse=True)
        f.write("%s: %s\n" % (rel, " ".join(path_of[d] for d in deps)))
for extra in ("modules.builtin", "modules.order"):
    if os.path.exists(os.path.join(src, extra)):
        shutil.copyfile(os.path.join(src, extra), os.path.join(dst, extra))
PY
fi

# Tandem's own modules, built against this kernel's headers: /lib/modules/ABI/extra/NAME.ko,
# loadable with `modprobe NAME` (they need nothing but the kernel itself).
EXTRA=$ROOT/lib/modules/$ABI/extra
"$TOP/tools/build-modules.sh" "$BUILD" "$ABI" "$KVER" "$EXTRA"
for ko in "$EXTRA"/*.ko; do
	[ -e "$ko" ] || continue
	echo "extra/$(basename "$ko"):" >>"$ROOT/lib/modules/$ABI/modules.dep"
done

python3 "$TOP/tools/mkcpio.py" "$ROOT" "$IMAGES/linux-initrd.cpio.gz" \
	--dev dev/console:c:5:1 --dev dev/null:c:1:3 --dev dev/ttyAMA0:c:204:64
log "linux-initrd.cpio.gz ($(stat -c %s "$IMAGES/linux-initrd.cpio.gz") bytes, busybox $BVER)"
echo "$HASH" >"$IMAGES/.inputs"
