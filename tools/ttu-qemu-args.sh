#!/bin/sh
# Prints, one per line, the QEMU arguments of the power terminal's 32 serial ports (issue 13):
# 8 x QEMU's pci-serial-4x card (1b36:0004, four 16550s each) on the PCIe bus, each UART's
# chardev a Unix socket that QEMU listens on without waiting for a client:
#   DIR/port00.sock ... DIR/port31.sock   (port N = UART N % 4 of card N / 4, in PCI order)
# and -nic none, so that QEMU's default network card does not take a PCI slot.
#
#   tools/ttu-qemu-args.sh DIR [CARDS]     (CARDS: 1-8, default 8)
# Used by tools/run-qemu.sh --ttu, guests/rtos/run-bare.sh --ttu and the tests; connect with
# tools/ttu-feed.py --dir DIR.
set -eu
DIR=${1:?usage: ttu-qemu-args.sh DIR [CARDS]}
CARDS=${2:-8}
echo -nic
echo none
c=0
while [ "$c" -lt "$CARDS" ]; do
	dev=pci-serial-4x
	for k in 0 1 2 3; do
		p=$((4 * c + k))
		n=$(printf '%02d' "$p")
		echo -chardev
		echo "socket,id=ttu$p,path=$DIR/port$n.sock,server=on,wait=off"
		dev="$dev,chardev$((k + 1))=ttu$p"
	done
	echo -device
	echo "$dev"
	c=$((c + 1))
done
