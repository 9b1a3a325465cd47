/*
 * Stands in for the vPL011's receive side (virt/vpl011.c) as the console drives it: each VM's
 * FIFO fill level and overruns, and the characters delivered, in fake_knobs.uart_rx.
 */
#include <arch/fake.h>
#include <tandem/console.h>
#include <tandem/vm.h>
#include <tandem/vpl011.h>

#include "fake.h"

#define rxs fake_knobs.uart_rx

/* A query, not recorded. */
bool vpl011_rx_room(struct vm *vm, unsigned n)
{
	return VPL011_RX_LEN - rxs.fifo[vm->index] >= n;
}

/* Kept in uart_rx (not the call log: a paste is thousands of them); a full FIFO drops it. */
void vpl011_rx_char(struct vm *vm, char c)
{
	if (rxs.fifo[vm->index] == VPL011_RX_LEN) {
		rxs.overruns[vm->index]++;
		return;
	}
	rxs.fifo[vm->index]++;
	if (rxs.n < FAKE_MAX_RX) {
		rxs.rx[rxs.n].vm = vm;
		rxs.rx[rxs.n].c = c;
		rxs.rx[rxs.n].locks_held = fake_arch.locks_held;
	}
	rxs.n++;
}

unsigned fake_vpl011_read(struct vm *vm, unsigned n)
{
	unsigned done = 0;

	while (done < n && rxs.fifo[vm->index]) {
		rxs.fifo[vm->index]--;
		done++;
		if (rxs.fifo[vm->index] <= VPL011_RX_LEN / 2)
			console_rx_resume(vm);
	}
	return done;
}
