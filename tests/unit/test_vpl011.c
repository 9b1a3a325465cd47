/* clang-format off */ /* unit-sources: hypervisor/virt/vpl011.c hypervisor/virt/vdev_dump.c tests/unit/fakes/fake_calls.c tests/unit/fakes/fake_console.c tests/unit/fakes/fake_vm.c tests/unit/fakes/fake_vdev_table.c tests/unit/fakes/fake_vgic.c hypervisor/core/mmio.c */
/* clang-format on */
/* The emulated PL011: ID registers, flags, RX FIFO, interrupt line, output path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/console.h>
#include <tandem/vdev.h>
#include <tandem/errno.h>
#include <tandem/mmio.h>
#include <tandem/vgic.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

#include "fakes/fake.h"

#define DR    0x000
#define RSR   0x004
#define FR    0x018
#define IBRD  0x024
#define FBRD  0x028
#define LCR_H 0x02c
#define CR    0x030
#define IFLS  0x034
#define IMSC  0x038
#define RIS   0x03c
#define MIS   0x040
#define ICR   0x044
#define DMACR 0x048

#define FR_RXFE 0x10
#define FR_TXFF 0x20
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define INT_RX	0x10
#define INT_TX	0x20
#define INT_RT	0x40
#define INT_OE	0x400

/* --- What the vpl011's neighbours saw (the shared fakes; the real core/mmio.c) --- */

static struct vm vm;

/* The interrupt line as the vGIC's fake was last told, and how often. */
static struct {
	bool level;
	unsigned calls;
	bool lock_held; /* the vpl011 lock was held when the line was driven */
} line;

static char out[256];
static size_t out_len;
static bool out_lock_held;

/* The console (the shared fake) gets the guest's output: kept here, with the lock state. */
static void on_call(const struct fake_call *c)
{
	if (strcmp(c->fn, "vgic_set_level") == 0) {
		assert_ptr_equal(c->obj, &vm);
		assert_int_equal(c->arg[0], VPL011_SPI);
		line.level = c->arg[1];
		line.calls++;
		line.lock_held = c->arg[2] > 0;
		return;
	}
	if (strcmp(c->fn, "console_guest_putc") != 0)
		return;
	assert_ptr_equal(c->obj, &vm);
	/* The console lock is a leaf: the UART must not call it with its own lock held. */
	out_lock_held |= vm.uart.lock.next != vm.uart.lock.owner;
	if (out_len + 1 < sizeof(out))
		out[out_len++] = (char)c->arg[0];
}

static const struct mmio_region *region(void)
{
	const struct mmio_region *r = mmio_find(&vm, VPL011_BASE);

	assert_non_null(r);
	return r;
}

/* --- Helpers --- */

static int mmio(uint64_t off, unsigned size, bool write, uint64_t *val)
{
	struct mmio_access acc = {
	    .addr = VPL011_BASE + off,
	    .offset = off,
	    .size = size,
	    .write = write,
	    .value = write ? *val : 0xdeadbeef,
	};
	int ret = region()->handler(NULL, &acc, region()->opaque);

	if (!write)
		*val = acc.value;
	return ret;
}

static uint32_t rd(uint64_t off)
{
	uint64_t v;

	assert_int_equal(mmio(off, 4, false, &v), 0);
	return (uint32_t)v;
}

static uint32_t rd_n(uint64_t off, unsigned size)
{
	uint64_t v;

	assert_int_equal(mmio(off, size, false, &v), 0);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t val)
{
	uint64_t v = val;

	assert_int_equal(mmio(off, 4, true, &v), 0);
}

static void wr_n(uint64_t off, unsigned size, uint32_t val)
{
	uint64_t v = val;

	assert_int_equal(mmio(off, size, true, &v), 0);
}

static int setup(void **state)
{
	fake_reset();
	fake_arch.printk_quiet = true;
	fake_calls_reset();
	fake_on_call = on_call;
	memset(&vm, 0, sizeof(vm));
	memset(&line, 0, sizeof(line));
	memset(out, 0, sizeof(out));
	out_len = 0;
	out_lock_held = false;
	vm.name = "t";
	assert_int_equal(vpl011_init(&vm), 0);
	return 0;
}

/* --- Tests --- */

static void test_registers_region(void **state)
{
	assert_int_equal(vm.nr_mmio, 1);
	assert_int_equal(region()->base, 0x09000000);
	assert_int_equal(region()->size, 0x1000);
	assert_ptr_equal(region()->opaque, &vm);
}

static void test_init_failure_is_reported(void **state)
{
	/* A second UART where the first one is: its region overlaps (a real refusal). */
	assert_int_equal(vpl011_init(&vm), -ERR_EXIST);
	assert_int_equal(vm.nr_mmio, 1);
	assert_true(fake_printk_contains("vpl011"));
}

static void test_id_registers(void **state)
{
	static const uint32_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	uint32_t periph = 0, cell = 0;

	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(0xfe0 + 4 * i), id[i]);
	/* Linux's AMBA bus assembles the IDs from the low byte of each register. */
	for (unsigned i = 0; i < 4; i++) {
		periph |= (rd(0xfe0 + 4 * i) & 0xff) << (8 * i);
		cell |= (rd(0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	assert_int_equal(periph, 0x00141011);
	assert_int_equal(cell, 0xb105f00d);
	/* amba-pl011's id table entry: 0x00041011 under mask 0x000fffff. */
	assert_int_equal(periph & 0x000fffff, 0x00041011);
}

static void test_reset_values(void **state)
{
	assert_int_equal(rd(CR), 0x300);
	assert_int_equal(rd(IFLS), 0x12);
	assert_int_equal(rd(IMSC), 0);
	assert_int_equal(rd(LCR_H), 0);
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFE);
	assert_int_equal(rd(RIS), INT_TX);
	assert_int_equal(rd(MIS), 0);
	assert_int_equal(rd(RSR), 0);
	assert_false(line.level);
}

static void test_register_storage(void **state)
{
	wr(IBRD, 0x10027); /* 16-bit register */
	assert_int_equal(rd(IBRD), 0x27);
	wr(FBRD, 0xff);
	assert_int_equal(rd(FBRD), 0x3f);
	wr(LCR_H, 0x70);
	assert_int_equal(rd(LCR_H), 0x70);
	wr(CR, 0x301);
	assert_int_equal(rd(CR), 0x301);
	wr(IFLS, 0x3f);
	assert_int_equal(rd(IFLS), 0x3f);
	wr(DMACR, 0xff);
	assert_int_equal(rd(DMACR), 0x7);
	/* Read-only registers ignore writes. */
	wr(FR, 0);
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFE);
	wr(0xfe0, 0);
	assert_int_equal(rd(0xfe0), 0x11);
}

static void test_sub_word_accesses(void **state)
{
	assert_int_equal(rd_n(CR, 2), 0x300);
	assert_int_equal(rd_n(CR + 1, 1), 0x03);
	assert_int_equal(rd_n(CR, 1), 0x00);
	wr_n(CR + 1, 1, 0x01);
	assert_int_equal(rd(CR), 0x100);
	wr_n(CR, 1, 0x81);
	assert_int_equal(rd(CR), 0x181);
	assert_int_equal(rd_n(0xff0, 1), 0x0d);
}

static void test_bad_accesses_fault(void **state)
{
	uint64_t v = 0;

	assert_true(mmio(CR + 2, 4, false, &v) < 0); /* misaligned */
	assert_true(mmio(CR + 1, 2, true, &v) < 0);
	assert_true(mmio(CR, 8, false, &v) < 0); /* a 32-bit device */
}

static void test_unknown_offsets_raz_wi(void **state)
{
	wr(0x100, 0xffffffff);
	assert_int_equal(rd(0x100), 0);
	assert_int_equal(rd(0x04c), 0);
	assert_int_equal(rd(0xffc + 0), 0xb1);
	assert_int_equal(rd(ICR), 0); /* write-only */
}

static void test_output_reaches_console(void **state)
{
	wr(DR, 'h');
	wr_n(DR, 1, 'i');
	wr(DR, 0x100 | '\n'); /* bits above the data byte are not data */
	assert_int_equal(out_len, 3);
	assert_memory_equal(out, "hi\n", 3);
	assert_false(out_lock_held);
	/* Writing byte 1 of DR is not a character. */
	wr_n(DR + 1, 1, 'x');
	assert_int_equal(out_len, 3);
	/* Output is immediate: the TX FIFO never fills. */
	assert_int_equal(rd(FR) & (FR_TXFE | FR_TXFF), FR_TXFE);
}

/* Console output (DR byte 0 writes, FR reads) changes no state: the line is not driven, the
 * UART lock not taken, with TX unmasked (line high) or not. */
static void test_output_leaves_the_line(void **state)
{
	unsigned calls;

	wr(IMSC, INT_TX);
	assert_true(line.level);
	calls = line.calls;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rd(FR) & FR_TXFF, 0);
		wr(DR, 'a' + i);
	}
	assert_int_equal(line.calls, calls);
	assert_true(line.level);
	assert_int_equal(vm.uart.lock.next, vm.uart.lock.owner);
	assert_int_equal(out_len, 3);
	/* A receive FIFO filling shows in FR read that way too. */
	vpl011_rx_char(&vm, 'z');
	calls = line.calls;
	assert_int_equal(rd(FR) & (FR_RXFE | FR_TXFE), FR_TXFE);
	assert_int_equal(line.calls, calls);
}

/* The data-abort fast path's share: console output only, anything else left to the handler
 * untouched (false, no state changed). */
static void test_fast_path(void **state)
{
	const struct mmio_region *r = region();
	struct mmio_access acc = {
	    .addr = VPL011_BASE + DR, .offset = DR, .size = 4, .write = true, .value = 'q'};
	unsigned calls;

	assert_non_null(r->fast);
	assert_true(r->fast(NULL, &acc, r->opaque));
	assert_int_equal(out_len, 1);
	assert_int_equal(out[0], 'q');
	acc = (struct mmio_access){.addr = VPL011_BASE + FR, .offset = FR, .size = 4};
	assert_true(r->fast(NULL, &acc, r->opaque));
	assert_int_equal(acc.value, FR_TXFE | FR_RXFE);
	/* DR byte 1, a DR read (pops the FIFO), IMSC, a misaligned FR: the handler's. */
	vpl011_rx_char(&vm, 'z');
	calls = line.calls;
	acc = (struct mmio_access){
	    .addr = VPL011_BASE + DR + 1, .offset = DR + 1, .size = 1, .write = true, .value = 'x'};
	assert_false(r->fast(NULL, &acc, r->opaque));
	acc = (struct mmio_access){.addr = VPL011_BASE + DR, .offset = DR, .size = 4};
	assert_false(r->fast(NULL, &acc, r->opaque));
	acc = (struct mmio_access){
	    .addr = VPL011_BASE + IMSC, .offset = IMSC, .size = 4, .write = true, .value = INT_RX};
	assert_false(r->fast(NULL, &acc, r->opaque));
	acc = (struct mmio_access){.addr = VPL011_BASE + FR + 1, .offset = FR + 1, .size = 2};
	assert_false(r->fast(NULL, &acc, r->opaque));
	assert_int_equal(out_len, 1);
	assert_int_equal(line.calls, calls);
	assert_int_equal(vm.uart.rx_count, 1);
	assert_int_equal(vm.uart.imsc, 0);
}

static void test_rx_fifo(void **state)
{
	vpl011_rx_char(&vm, 'a');
	vpl011_rx_char(&vm, 'b');
	assert_int_equal(rd(FR), FR_TXFE);
	assert_int_equal(rd(RIS), INT_TX | INT_RX | INT_RT);
	/* A byte read of anything but byte 0 does not consume a character. */
	assert_int_equal(rd_n(DR + 1, 1), 0);
	assert_int_equal(rd(DR), 'a');
	assert_int_equal(rd_n(DR, 1), 'b');
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFE);
	assert_int_equal(rd(RIS), INT_TX);
	assert_int_equal(rd(DR), 0); /* empty */
}

static void test_rx_full_and_overrun(void **state)
{
	for (unsigned i = 0; i < VPL011_RX_LEN; i++)
		vpl011_rx_char(&vm, (char)('0' + i % 10));
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFF);
	vpl011_rx_char(&vm, 'X'); /* lost */
	assert_int_equal(rd(RIS) & INT_OE, INT_OE);
	wr(ICR, INT_OE);
	assert_int_equal(rd(RIS) & INT_OE, 0);
	for (unsigned i = 0; i < VPL011_RX_LEN; i++)
		assert_int_equal(rd(DR), '0' + i % 10);
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFE);
	/* The ring wraps cleanly. */
	vpl011_rx_char(&vm, 'y');
	assert_int_equal(rd(DR), 'y');
}

static void test_rx_interrupt_level(void **state)
{
	wr(IMSC, INT_RX | INT_RT);
	assert_false(line.level);
	assert_true(line.calls > 0);

	vpl011_rx_char(&vm, 'a');
	assert_true(line.level);
	assert_true(line.lock_held);
	assert_int_equal(rd(MIS), INT_RX | INT_RT);

	/* ICR cannot clear RX/RT while data waits: only draining lowers the line. */
	wr(ICR, INT_RX | INT_RT);
	assert_true(line.level);
	assert_int_equal(rd(DR), 'a');
	assert_false(line.level);
	assert_int_equal(rd(MIS), 0);

	/* Masking lowers the line with data still present. */
	vpl011_rx_char(&vm, 'b');
	assert_true(line.level);
	wr(IMSC, 0);
	assert_false(line.level);
	wr(IMSC, INT_RX);
	assert_true(line.level);
}

static void test_tx_interrupt_level(void **state)
{
	/* TX is always "FIFO empty", so unmasking TX raises the line until the guest masks it. */
	wr(IMSC, INT_TX);
	assert_true(line.level);
	assert_int_equal(rd(MIS), INT_TX);
	wr(ICR, 0x7ff);
	assert_true(line.level);
	wr(DR, 'x');
	assert_true(line.level);
	wr(IMSC, 0);
	assert_false(line.level);
}

static void test_overrun_interrupt_level(void **state)
{
	wr(IMSC, INT_OE);
	for (unsigned i = 0; i <= VPL011_RX_LEN; i++)
		vpl011_rx_char(&vm, 'z');
	assert_true(line.level);
	wr(ICR, INT_OE);
	assert_false(line.level);
}

static void test_reset_lowers_line(void **state)
{
	wr(IMSC, INT_RX);
	vpl011_rx_char(&vm, 'q');
	wr(CR, 0);
	assert_true(line.level);
	vpl011_reset(&vm);
	assert_false(line.level);
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFE);
	assert_int_equal(rd(CR), 0x300);
	assert_int_equal(rd(IMSC), 0);
}

/* The device record vm.c walks: reset and stop give the console its input back; Ctrl-A g. */
static void test_device_record(void **state)
{
	static struct vdev_dump_buf dump;

	assert_string_equal(vpl011_vdev.name, "vpl011");
	wr(IMSC, INT_RX);
	vpl011_rx_char(&vm, 'q');
	fake_calls.n = 0;
	vpl011_vdev.reset(&vm); /* VM restart */
	assert_false(line.level);
	assert_int_equal(rd(FR), FR_TXFE | FR_RXFE);
	/* Its FIFO is empty again: the console may feed it (flow control resumes). */
	assert_int_equal(fake_count_obj("console_rx_resume", &vm), 1);
	vpl011_vdev.destroy(&vm); /* VM stopped: it no longer drains its FIFO */
	assert_int_equal(fake_count_obj("console_rx_resume", &vm), 2);

	/* Its dump line: interrupt mask, latched status, receive FIFO fill. */
	wr(IMSC, INT_RX | INT_OE);
	for (unsigned i = 0; i <= VPL011_RX_LEN; i++)
		vpl011_rx_char(&vm, 'z');
	vpl011_vdev.dump(&vm, &dump);
	assert_string_equal(dump.text, "tandem: vpl011 vm t: imsc 0x410 ris 0x400 rx 64\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_registers_region, setup),
	    cmocka_unit_test_setup(test_init_failure_is_reported, setup),
	    cmocka_unit_test_setup(test_id_registers, setup),
	    cmocka_unit_test_setup(test_reset_values, setup),
	    cmocka_unit_test_setup(test_register_storage, setup),
	    cmocka_unit_test_setup(test_sub_word_accesses, setup),
	    cmocka_unit_test_setup(test_bad_accesses_fault, setup),
	    cmocka_unit_test_setup(test_unknown_offsets_raz_wi, setup),
	    cmocka_unit_test_setup(test_output_reaches_console, setup),
	    cmocka_unit_test_setup(test_fast_path, setup),
	    cmocka_unit_test_setup(test_rx_fifo, setup),
	    cmocka_unit_test_setup(test_rx_full_and_overrun, setup),
	    cmocka_unit_test_setup(test_rx_interrupt_level, setup),
	    cmocka_unit_test_setup(test_tx_interrupt_level, setup),
	    cmocka_unit_test_setup(test_output_leaves_the_line, setup),
	    cmocka_unit_test_setup(test_overrun_interrupt_level, setup),
	    cmocka_unit_test_setup(test_reset_lowers_line, setup),
	    cmocka_unit_test_setup(test_device_record, setup),
	};

	return cmocka_run_group_tests_name("vpl011", tests, NULL, NULL);
}
