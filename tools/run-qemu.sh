#!/usr/bin/env bash
# Boots Tandem with a system description under QEMU (or, with --bare, the Linux guest image alone).
#
#   tools/run-qemu.sh [options] [-- extra QEMU arguments]
#     --build DIR       build folder (default: build)
#     --config FILE     system description .dts (default: configs/default.dts)
#     --smp N           pCPUs (default: 4)
#     --mem SIZE        RAM, QEMU syntax (default: 2G)
#     --cpu MODEL       QEMU -cpu (default: max,pauth-impdef=on)
#     --machine OPTS    QEMU -M (default: virt,virtualization=on,gic-version=3)
#     --bare            boot BUILD/images/linux-Image + linux-initrd.cpio.gz directly, no hypervisor
#                       (at EL1: ",virtualization=on" is dropped from --machine)
#     --append ARGS     kernel command line for --bare (default: console=ttyAMA0 earlycon=pl011,0x9000000)
#     --ttu DIR         the power terminal's 32 serial ports (issue 13): 8 pci-serial-4x cards on
#                       the PCIe bus, each UART on a Unix socket DIR/port00.sock .. port31.sock that
#                       QEMU listens on (tools/ttu-qemu-args.sh; feed with tools/ttu-feed.py --dir
#                       DIR), -nic none and highmem=off (ECAM and windows below 4 GiB)
#     --dry-run         print the QEMU command line instead of running it
#
# The description is compiled with dtc into BUILD/run/<name>.dtb and packed with the images it names
# into BUILD/run/<name>-bundle.bin (tools/tandem-pack), which QEMU loads as the initrd.
# QEMU's own escape key is Ctrl-T (Ctrl-T x quits, Ctrl-T c monitor), so that Ctrl-A reaches Tandem.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build
CONFIG=$TOP/configs/default.dts
SMP=4
MEM=2G
CPU=max,pauth-impdef=on
MACHINE=virt,virtualization=on,gic-version=3
BARE=0
APPEND="console=ttyAMA0 earlycon=pl011,0x9000000"
DRY=0
TTU=
EXTRA=()

die() { echo "run-qemu: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--config) CONFIG=$2; shift 2 ;;
	--smp) SMP=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--cpu) CPU=$2; shift 2 ;;
	--machine) MACHINE=$2; shift 2 ;;
	--append) APPEND=$2; shift 2 ;;
	--bare) BARE=1; shift ;;
	--dry-run) DRY=1; shift ;;
	--ttu) TTU=$2; shift 2 ;;
	--) shift; EXTRA=("$@"); break ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

if [ -n "$TTU" ]; then
	mkdir -p "$TTU"
	rm -f "$TTU"/port*.sock
	case $MACHINE in *highmem=*) ;; *) MACHINE=$MACHINE,highmem=off ;; esac
fi
QEMU=(qemu-system-aarch64 -M "$MACHINE" -cpu "$CPU" -smp "$SMP" -m "$MEM" -nographic -echr 0x14)

if [ $BARE -eq 1 ]; then
	M=$(sed -E 's/,virtualization=(on|true)//' <<<"$MACHINE")
	QEMU=(qemu-system-aarch64 -M "$M" -cpu "$CPU" -smp "$SMP" -m "$MEM" -nographic -echr 0x14
		-kernel "$BUILD/images/linux-Image" -initrd "$BUILD/images/linux-initrd.cpio.gz"
		-append "$APPEND")
	for f in "$BUILD/images/linux-Image" "$BUILD/images/linux-initrd.cpio.gz"; do
		[ -f "$f" ] || die "$f missing: run 'make images'"
	done
else
	[ -f "$CONFIG" ] || die "no such description: $CONFIG"
	[ -f "$BUILD/tandem.bin" ] || die "$BUILD/tandem.bin missing: run 'make'"
	[ -x "$BUILD/tools/tandem-pack" ] || die "$BUILD/tools/tandem-pack missing: run 'make tools'"
	NAME=$(basename "$CONFIG" .dts)
	mkdir -p "$BUILD/run"
	DTB=$BUILD/run/$NAME.dtb
	BUNDLE=$BUILD/run/$NAME-bundle.bin
	dtc -q -I dts -O dtb -i "$(dirname "$CONFIG")" -o "$DTB" "$CONFIG" || die "dtc failed on $CONFIG"
	"$BUILD/tools/tandem-pack" --base-dir "$(dirname "$CONFIG")" -o "$BUNDLE" "$DTB" ||
		die "tandem-pack failed on $DTB"
	QEMU+=(-kernel "$BUILD/tandem.bin" -initrd "$BUNDLE")
fi
if [ -n "$TTU" ]; then
	mapfile -t TTU_ARGS < <("$TOP/tools/ttu-qemu-args.sh" "$TTU")
	QEMU+=("${TTU_ARGS[@]}")
fi
QEMU+=("${EXTRA[@]}")

if [ $DRY -eq 1 ]; then
	printf '%q ' "${QEMU[@]}"
	echo
	exit 0
fi
exec "${QEMU[@]}"
