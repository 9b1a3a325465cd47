#!/usr/bin/env bash
# Builds Xen 4.17 with the null scheduler and boot-time cpupools from Debian's own source package,
# for `make bench` (the paper's configuration: the RTOS alone in a null-scheduler pool).
#
#   tools/peers/xen-null.sh BUILD
#
# Prints the path of the built hypervisor (BUILD/cache/xen-null-KEY/xen) on stdout. When it cannot
# (no network, no deb-src, a failed build) it prints one line "not available (REASON)" on stdout
# and exits 3, so that the bench shows a row saying why instead of failing.
#
# Recipe (KEY changes with any of it, so a changed recipe builds again):
# - source: `apt-get source xen` (Debian's patches applied by dpkg-source); the deb-src lines for
#   bookworm and bookworm-security live in their own file, /etc/apt/sources.list.d/tandem-deb-src.sources;
# - config: Debian's shipped arm64 config (boot/xen-4.17-arm64.config of xen-hypervisor-4.17-arm64,
#   the binary the bench already uses) plus the options in tools/peers/xen-null.kconfig, then
#   `olddefconfig` (the scheduler menu shows only with EXPERT=y);
# - tools/peers/xen-cpu-relax-yield.patch: cpu_relax() executes YIELD. Xen's boot-time wait loops
#   spin on cpu_relax(), and QEMU's -icount round robin switches vCPUs only on WFI/WFE/YIELD, so
#   without it Xen hangs under -icount with 2 or more pCPUs;
# - `make -C xen XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j2`.
# The result goes into the cache shared by the worktrees, renamed into place in one step.
set -uo pipefail

BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
CACHE=$BUILD/cache
HERE=$TOP/tools/peers
PATCH=$HERE/xen-cpu-relax-yield.patch
FRAGMENT=$HERE/xen-null.kconfig
SOURCES=/etc/apt/sources.list.d/tandem-deb-src.sources
WORK=$BUILD/peers/xen-null
LOG=$WORK/build.log

KEY=$(cat "$0" "$PATCH" "$FRAGMENT" | sha256sum | cut -c1-12)
OUT=$CACHE/xen-null-$KEY
if [ -s "$OUT/xen" ]; then
	echo "$OUT/xen"
	exit 0
fi

unavailable() {
	echo "xen-null: $*" >&2
	echo "not available ($*)"
	exit 3
}
log() { echo "  XEN-NULL $*" >&2; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || unavailable "not root and no sudo to add deb-src and flex/bison"
	SUDO=sudo
fi
APT=($SUDO apt-get -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$WORK"
: >"$LOG"

# Build tools: flex and bison for Xen's kconfig, dpkg-dev for apt-get source.
missing=()
for tool in flex:flex bison:bison dpkg-source:dpkg-dev; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	"${APT[@]}" install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 ||
		unavailable "cannot install ${missing[*]}: see $LOG"
fi

# deb-src for bookworm and its security updates (the binary the bench runs comes from either).
if [ ! -f "$SOURCES" ]; then
	log "adding $SOURCES"
	$SUDO tee "$SOURCES.tmp" >/dev/null <<-'EOF'
		# Added by Tandem's tools/peers/xen-null.sh: Debian's Xen source for `make bench`.
		Types: deb-src
		URIs: http://deb.debian.org/debian
		Suites: bookworm bookworm-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb-src
		URIs: http://deb.debian.org/debian-security
		Suites: bookworm-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	$SUDO mv "$SOURCES.tmp" "$SOURCES"
fi
if ! compgen -G '/var/lib/apt/lists/*_source_Sources*' >/dev/null; then
	log "apt-get update (source lists)"
	"${APT[@]}" update >>"$LOG" 2>&1 || unavailable "apt-get update failed: see $LOG"
fi

# Debian's shipped config comes with the binary package: fetch it like the bench does.
BIN=$CACHE/xen
if [ ! -s "$BIN/root/boot/xen-4.17-arm64.config" ]; then
	log "downloading xen-hypervisor-4.17-arm64 for its config"
	tmp=$(mktemp -d "$CACHE/xen.tmp.XXXXXX")
	(cd "$tmp" && apt-get download -q xen-hypervisor-4.17-arm64:arm64 >>"$LOG" 2>&1) &&
		dpkg-deb -x "$tmp"/xen-hypervisor-4.17-arm64_*.deb "$tmp/root" ||
		{ rm -rf "$tmp"; unavailable "cannot download xen-hypervisor-4.17-arm64: see $LOG"; }
	if [ -s "$BIN/root/boot/xen-4.17-arm64.config" ]; then
		rm -rf "$tmp" # another worktree got there first
	else
		rm -rf "$BIN.old"
		[ -d "$BIN" ] && mv "$BIN" "$BIN.old"
		mv "$tmp" "$BIN" && rm -rf "$BIN.old"
	fi
fi
[ -s "$BIN/root/boot/xen-4.17-arm64.config" ] || unavailable "no boot/xen-4.17-arm64.config in Debian's package"

log "apt-get source xen (into $WORK/src)"
rm -rf "$WORK/src"
mkdir -p "$WORK/src"
# Newest first; a mirror may list a version whose files it no longer serves (seen: the
# bookworm-security source answered 404 while bookworm's own was there).
fetched=
for v in $(apt-cache showsrc xen 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -rVu); do
	if (cd "$WORK/src" && apt-get source -q "xen=$v" >>"$LOG" 2>&1); then
		fetched=$v
		break
	fi
	log "xen=$v: not fetched, trying an older one"
	find "$WORK/src" -mindepth 1 -delete
done
[ -n "$fetched" ] || unavailable "apt-get source xen failed: see $LOG"
tree=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'xen-*' | head -n1)
[ -n "$tree" ] && [ -d "$tree/xen" ] || unavailable "no xen-*/xen in $WORK/src"
version=$(cd "$tree" && dpkg-parsechangelog -S Version 2>/dev/null || basename "$tree")

patch -s -d "$tree" -p1 <"$PATCH" >>"$LOG" 2>&1 || unavailable "$PATCH does not apply to $version"
cp "$BIN/root/boot/xen-4.17-arm64.config" "$tree/xen/.config"
cat "$FRAGMENT" >>"$tree/xen/.config"
MAKEXEN=(make -C "$tree/xen" XEN_TARGET_ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
log "building Xen $version with the null scheduler (make -j2, a few minutes)"
"${MAKEXEN[@]}" olddefconfig >>"$LOG" 2>&1 || unavailable "olddefconfig failed: see $LOG"
for opt in CONFIG_SCHED_NULL CONFIG_BOOT_TIME_CPUPOOLS; do
	grep -qx "$opt=y" "$tree/xen/.config" || unavailable "$opt not set after olddefconfig"
done
"${MAKEXEN[@]}" -j2 >>"$LOG" 2>&1 || unavailable "the Xen build failed: see $LOG"
[ -s "$tree/xen/xen" ] || unavailable "no xen/xen after the build"

tmp=$(mktemp -d "$CACHE/xen-null.tmp.XXXXXX")
cp "$tree/xen/xen" "$tree/xen/.config" "$tmp/"
echo "$version" >"$tmp/version"
if ! mv -T "$tmp" "$OUT" 2>/dev/null; then
	rm -rf "$tmp" # another worktree renamed its own build into place first
fi
rm -rf "$WORK/src"
log "Xen $version (null scheduler) cached in $OUT"
echo "$OUT/xen"
