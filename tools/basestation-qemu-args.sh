#!/bin/sh
# Prints, one per line, the QEMU arguments of the base station's moving device (issue 15,
# configs/basestation.dts): a virtio-serial device on QEMU virt's first virtio-mmio slot
# (0xa003e00) with one port named "records" (/dev/vport0p1 in the guest that owns it), its
# chardev a Unix socket QEMU listens on without waiting for a client:
#   tools/basestation-qemu-args.sh SOCKET
# Used by `make run-basestation` and the failover tests; tools/record-client.py connects to it.
set -eu
SOCK=${1:?usage: basestation-qemu-args.sh SOCKET}
echo -device
echo virtio-serial-device
echo -chardev
echo "socket,id=records,path=$SOCK,server=on,wait=off"
echo -device
echo virtserialport,chardev=records,name=records
