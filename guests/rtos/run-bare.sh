#!/bin/sh
# Boots the RTOS alone on QEMU virt (no hypervisor) and shows its console.
#
#   guests/rtos/run-bare.sh [--gic 2|3] [--cpu MODEL] [--smp N] [--mem SIZE] [--el2]
#                           [--icount] [--append "lat_hz=1000 lat_n=1000"] [--timeout SECONDS]
#                           [--image FILE] [--ttu DIR] [-- more qemu arguments]
#
# --icount runs with -icount shift=4,sleep=off: virtual time advances 16 ns per instruction (one
# tick of QEMU's 62.5 MHz counter), so LAT figures are deterministic instead of host noise, and
# idle periods are skipped rather than slept. --el2 enters at EL2 (virtualization=on) to exercise
# the drop to EL1. --timeout stops QEMU after that many seconds of wall time (default: none).
# --ttu DIR adds the power terminal's 8 pci-serial-4x cards (32 16550s) with their UARTs on Unix
# sockets DIR/port00.sock .. port31.sock (tools/ttu-qemu-args.sh; feed them with
# tools/ttu-feed.py --dir DIR) and highmem=off (the PCIe ECAM below 4 GiB).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=$TOP/build/images/rtos.bin
GIC=3
CPU=max,pauth-impdef=on
SMP=2
MEM=256M
EL2=
ICOUNT=
APPEND=
TIMEOUT=
TTU=

while [ $# -gt 0 ]; do
	case $1 in
	--gic) GIC=$2; shift 2 ;;
	--cpu) CPU=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--el2) EL2=,virtualization=on; shift ;;
	--icount) ICOUNT=1; shift ;;
	--append) APPEND=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--image) IMAGE=$2; shift 2 ;;
	--ttu) TTU=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "run-bare.sh: unknown option $1 (--help)" >&2; exit 2 ;;
	esac
done

[ -f "$IMAGE" ] || { echo "run-bare.sh: $IMAGE missing (make rtos)" >&2; exit 1; }

if [ -n "$TTU" ]; then
	mkdir -p "$TTU"
	EL2=$EL2,highmem=off
	# One argument per line, none with spaces: word splitting on newlines only.
	OLDIFS=$IFS
	IFS='
'
	set -- $("$TOP/tools/ttu-qemu-args.sh" "$TTU") "$@"
	IFS=$OLDIFS
fi
set -- -M "virt,gic-version=$GIC$EL2" -cpu "$CPU" -smp "$SMP" -m "$MEM" -nographic \
	-kernel "$IMAGE" "$@"
[ -n "$ICOUNT" ] && set -- -icount shift=4,sleep=off "$@"
[ -n "$APPEND" ] && set -- -append "$APPEND" "$@"

if [ -n "$TIMEOUT" ]; then
	exec timeout --foreground -k 5 "$TIMEOUT" qemu-system-aarch64 "$@"
fi
exec qemu-system-aarch64 "$@"
