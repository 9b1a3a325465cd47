#!/usr/bin/env bash
# Installs the Debian packages Tandem needs to build, run and test (idempotent, fast when all is
# present). Root on Debian 12; also enables the arm64 architecture used to fetch guest packages.
set -euo pipefail

# ipxe-qemu is only a recommendation of qemu-system-arm, but QEMU's virt machine refuses to start
# without its efi-virtio.rom for the default NIC ("failed to find romfile").
PKGS=(gcc-aarch64-linux-gnu qemu-system-arm ipxe-qemu device-tree-compiler libfdt-dev libcmocka-dev
      cpio python3 clang-format clang-tidy cppcheck make gcc libc6-dev e2fsprogs)
OPTIONAL=(gnuplot-nox)

# One dpkg-query for all: prints the packages that are not fully installed.
missing_of() {
	local installed
	# dpkg-query exits 1 when it has never heard of a package (a fresh machine): that is an
	# answer here, not an error, so set -e must not end the function before it lists them.
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null |
		awk '$2 == "installed" { print $1 }' || true)
	for p in "$@"; do
		grep -qx "$p" <<<"$installed" || echo "$p"
	done
}
mapfile -t missing < <(missing_of "${PKGS[@]}")
need_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arch=1
# The guest images come from arm64 packages: apt must know them.
need_lists=0
compgen -G '/var/lib/apt/lists/*_binary-arm64_Packages*' >/dev/null || need_lists=1

if [ ${#missing[@]} -eq 0 ] && [ $need_arch -eq 0 ] && [ $need_lists -eq 0 ]; then
	exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "setup-deps: missing: ${missing[*]} (and not root): install them first" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive

if [ $need_arch -eq 1 ]; then
	echo "setup-deps: dpkg --add-architecture arm64"
	$SUDO dpkg --add-architecture arm64
	need_lists=1
fi

install_missing() {
	$SUDO apt-get install -y -q --no-install-recommends "$@"
}

if [ ${#missing[@]} -gt 0 ] && [ $need_lists -eq 0 ]; then
	echo "setup-deps: installing ${missing[*]}"
	install_missing "${missing[@]}" || need_lists=1
	mapfile -t missing < <(missing_of "${PKGS[@]}")
fi
if [ $need_lists -eq 1 ]; then
	echo "setup-deps: apt-get update"
	$SUDO apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup-deps: installing ${missing[*]}"
	install_missing "${missing[@]}"
fi
for p in "${OPTIONAL[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || install_missing "$p" ||
		echo "setup-deps: optional $p not installed" >&2
done
exit 0
