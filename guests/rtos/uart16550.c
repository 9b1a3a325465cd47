/* 16550A set-up: divisor latch, line control, FIFO control (PC16550D data sheet, table II). */
#include "uart16550.h"

#define LCR_STOP2   0x04
#define LCR_PARITY  0x08
#define LCR_EVEN    0x10
#define LCR_STICK   0x20
#define FCR_ENABLE  0x01
#define FCR_CLR_RX  0x02
#define FCR_CLR_TX  0x04
#define FCR_TRIG_14 0xc0
#define MCR_DTR	    0x01
#define MCR_RTS	    0x02
#define MCR_OUT2    0x08 /* gates the interrupt output on PC-style boards */

bool u16550_encode(const struct u16550_line *l, uint8_t *lcr, uint16_t *divisor)
{
	uint32_t div;

	if (l->baud < 50 || l->baud > U16550_BAUDBASE || l->data_bits < 5 || l->data_bits > 8 ||
	    (l->stop_bits != 1 && l->stop_bits != 2))
		return false;
	/* The nearest divisor: 115200 / 9600 = 12 exactly; odd rates round. */
	div = (U16550_BAUDBASE + l->baud / 2) / l->baud;
	*divisor = (uint16_t)(div ? div : 1);
	*lcr = (uint8_t)(l->data_bits - 5) | (l->stop_bits == 2 ? LCR_STOP2 : 0);
	switch (l->parity) {
	case 'N':
		break;
	case 'O':
		*lcr |= LCR_PARITY;
		break;
	case 'E':
		*lcr |= LCR_PARITY | LCR_EVEN;
		break;
	case 'M': /* stick parity 1 */
		*lcr |= LCR_PARITY | LCR_STICK;
		break;
	case 'S': /* stick parity 0 */
		*lcr |= LCR_PARITY | LCR_EVEN | LCR_STICK;
		break;
	default:
		return false;
	}
	return true;
}

void u16550_set_line(uintptr_t base, uint8_t lcr, uint16_t divisor)
{
	u16550_write(base, U16550_LCR, LCR_DLAB);
	u16550_write(base, U16550_DLL, (uint8_t)divisor);
	u16550_write(base, U16550_DLM, (uint8_t)(divisor >> 8));
	u16550_write(base, U16550_LCR, lcr & (uint8_t)~LCR_DLAB);
}

void u16550_init(uintptr_t base, uint8_t lcr, uint16_t divisor)
{
	u16550_write(base, U16550_IER, 0);
	u16550_set_line(base, lcr, divisor);
	u16550_write(base, U16550_FCR, FCR_ENABLE | FCR_CLR_RX | FCR_CLR_TX | FCR_TRIG_14);
	u16550_write(base, U16550_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	(void)u16550_read(base, U16550_LSR);
	(void)u16550_read(base, U16550_RBR);
	(void)u16550_read(base, U16550_IIR);
	(void)u16550_read(base, U16550_MSR);
}
