/* unit-sources: hypervisor/drivers/pl011.c */
/* The physical PL011 driver, over a register block in fake RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arch/fake.h>
#include <tandem/console.h>

#define DR	0x000
#define FR	0x018
#define IMSC	0x038
#define ICR	0x044
#define FR_RXFE 0x10
#define INT_RX	0x10
#define INT_RT	0x40

const struct uart_ops *pl011_probe(paddr_t pa); /* drivers/pl011.c, declared by main.c */

static volatile uint32_t *regs;

static const struct uart_ops *probe(void)
{
	fake_reset();
	regs = fake_ram();
	memset((void *)regs, 0, 0x1000);
	return pl011_probe(FAKE_RAM_BASE);
}

/*
 * A character typed before boot sits in the UART with its RX interrupt raised: enabling the
 * interrupt must not clear it (QEMU raises RX again only when its FIFO goes from empty to one
 * character, and with FEN clear that FIFO is one deep and full: no interrupt, ever).
 */
static void test_enabling_keeps_a_pending_receive_interrupt(void **state)
{
	const struct uart_ops *ops = probe();

	ops->enable_rx_irq();
	assert_int_equal(regs[ICR / 4] & (INT_RX | INT_RT), 0);
	assert_int_not_equal(regs[ICR / 4], 0); /* the latched error interrupts are cleared */
	assert_int_equal(regs[IMSC / 4], INT_RX | INT_RT);
}

static void test_getc_reads_while_data_waits(void **state)
{
	const struct uart_ops *ops = probe();

	regs[FR / 4] = 0;
	regs[DR / 4] = 'k';
	assert_int_equal(ops->getc(), 'k');
	regs[FR / 4] = FR_RXFE;
	assert_int_equal(ops->getc(), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enabling_keeps_a_pending_receive_interrupt),
	    cmocka_unit_test(test_getc_reads_while_data_waits),
	};

	return cmocka_run_group_tests_name("pl011", tests, NULL, NULL);
}
