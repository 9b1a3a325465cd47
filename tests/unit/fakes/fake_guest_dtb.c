/* Stands in for virt/guest_dtb.c: the "DTB" is fake_guest_dtb_bytes (obj: the VM). */
#include <string.h>

#include <tandem/errno.h>
#include <tandem/guest_dtb.h>

#include "fake.h"

const uint8_t fake_guest_dtb_bytes[FAKE_GUEST_DTB_SIZE] = {0xd0, 0x0d, 0xfe, 0xed, 0x11,
							   0x22, 0x33, 0x44, 0x55};

int guest_dtb_build(struct vm *vm, void *buf, size_t cap, ipa_t initrd_start, uint64_t initrd_size)
{
	fake_record("guest_dtb_build", vm, initrd_start, initrd_size, cap);
	if (fake_knobs.guest_dtb_err < 0)
		return fake_knobs.guest_dtb_err;
	if (cap < sizeof(fake_guest_dtb_bytes))
		return -ERR_RANGE;
	memcpy(buf, fake_guest_dtb_bytes, sizeof(fake_guest_dtb_bytes));
	return (int)sizeof(fake_guest_dtb_bytes);
}
