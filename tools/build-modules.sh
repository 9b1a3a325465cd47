#!/usr/bin/env bash
# Cross-builds Tandem's out-of-tree Linux modules (guests/linux/modules/<name>/: a Kbuild file and
# its sources) against Debian's arm64 headers of exactly the guest kernel, into OUT/<name>.ko.
#   tools/build-modules.sh BUILD ABI VERSION OUT
#     ABI      the guest kernel's release, e.g. 6.1.0-57-arm64 (tools/build-images.sh resolves it)
#     VERSION  its Debian package version, e.g. 6.1.192-3
# The headers come from linux-headers-<abi>:arm64, linux-headers-<abi minus -arm64>-common and
# linux-kbuild-<series> for the host's architecture, all at VERSION: downloaded (apt-get download)
# into BUILD/cache/debs/ and extracted (dpkg-deb -x) together into BUILD/cache/kheaders-ABI-VERSION/.
# Never `apt-get install` the arm64 headers: they depend on gcc-12:arm64, and apt would remove the
# host compilers to install it.
set -euo pipefail

[ $# -eq 4 ] || {
	echo "usage: $0 BUILD ABI VERSION OUT" >&2
	exit 2
}
BUILD=$(cd "$1" && pwd)
ABI=$2
KVER=$3
OUT=$4
TOP=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$BUILD/cache"
CACHE=$(cd "$BUILD/cache" && pwd -P) # physical: the path goes into a shared Makefile
SRC=$TOP/guests/linux/modules
CROSS=${CROSS:-aarch64-linux-gnu-}

log() { echo "  MODULES $*"; }
die() {
	echo "build-modules: $*" >&2
	exit 1
}

FLAVOUR=${ABI##*-}	      # arm64
BASE=${ABI%-"$FLAVOUR"}	      # 6.1.0-57
SERIES=$(echo "$BASE" | cut -d. -f1-2) # 6.1: linux-kbuild is per series
HOST_ARCH=$(dpkg --print-architecture)
PKGS=("linux-headers-$ABI:arm64" "linux-headers-$BASE-common:all" "linux-kbuild-$SERIES:$HOST_ARCH")

mkdir -p "$CACHE/debs" "$OUT"
deb_of() { # PKG:ARCH -> cached .deb path
	local p=${1%:*} a=${1##*:}
	echo "$CACHE/debs/${p}_${KVER//:/%3a}_$a.deb"
}
for pa in "${PKGS[@]}"; do
	deb=$(deb_of "$pa")
	[ -s "$deb" ] && continue
	log "download $pa $KVER"
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
	# An arch-all package is asked for without a suffix.
	name=${pa%:all}
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$name=$KVER" >&2); then
		rm -rf "$tmp"
		die "apt-get download $name=$KVER failed (stale package lists? run apt-get update)"
	fi
	mv "$tmp"/*.deb "$deb"
	rm -rf "$tmp"
done

# One folder for the three, extracted once and atomically (other worktrees share the cache).
KH=$CACHE/kheaders-$ABI-$KVER
KDIR=$KH/usr/src/linux-headers-$ABI
if [ ! -d "$KH" ]; then
	log "extract headers $ABI $KVER"
	rm -rf "$KH.tmp.$$"
	for pa in "${PKGS[@]}"; do
		dpkg-deb -x "$(deb_of "$pa")" "$KH.tmp.$$"
	done
	# The arm64 Makefile includes the -common one by absolute /usr/src path: point it here.
	sed -i "s|^include /usr/src/|include $KH/usr/src/|" \
		"$KH.tmp.$$/usr/src/linux-headers-$ABI/Makefile"
	# -T: if another build won the race, fail rather than move into its folder.
	mv -T "$KH.tmp.$$" "$KH" 2>/dev/null || rm -rf "$KH.tmp.$$"
fi
grep -q "^include $KH/" "$KDIR/Makefile" || die "$KDIR/Makefile does not include the extracted headers"

# Kbuild writes its objects next to the sources (external modules cannot build elsewhere in 6.1),
# so each module is copied into BUILD/modules/<name>/ and built there.
for dir in "$SRC"/*/; do
	[ -f "$dir/Kbuild" ] || continue
	name=$(basename "$dir")
	work=$BUILD/modules/$name
	mkdir -p "$work"
	cp -a "$dir". "$work/"
	log "$name.ko ($ABI)"
	# TANDEM_INCLUDE: the ABI headers (tandem/abi/*.h) shared with the hypervisor and the RTOS.
	# No BTF for the module: it needs the kernel's vmlinux, which headers packages lack. A make of
	# its own (no MAKEFLAGS): under `make -j2 all` the parent's jobserver is not ours to use.
	MAKEFLAGS='' MFLAGS='' make -s -C "$KDIR" M="$work" ARCH=arm64 CROSS_COMPILE="$CROSS" \
		TANDEM_INCLUDE="$TOP/hypervisor/include" CONFIG_DEBUG_INFO_BTF_MODULES= modules >/dev/null ||
		die "building $name failed"
	# Without its debug information (most of its size), as `make modules_install
	# INSTALL_MOD_STRIP=1` would.
	"${CROSS}strip" --strip-debug -o "$OUT/$name.ko.tmp" "$work/$name.ko"
	mv "$OUT/$name.ko.tmp" "$OUT/$name.ko"
done
