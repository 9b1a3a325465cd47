/*
 * Message stamps for the TTU's latency benchmark: on one chosen port, whose traffic is 16-byte
 * messages, the counter value at which the RTOS read the first byte of each message. Linux stamps
 * when its reader has the whole message (tandem-ttystamp); both read the same counter (CNTVOFF is
 * 0 in every VM), so the pairs give the channel path's latency, and the host calibrates its clock
 * against these stamps (tools/bench/ttu.py).
 */
#include "console.h"
#include "kstring.h"
#include "port.h"
#include "rtos.h"
#include "ttu.h"

#define STAMP_MAX     512
#define STAMP_MESSAGE 16 /* bytes: what tandem-ttystamp counts too */

static unsigned stamp_port = ~0U;
static uint64_t stamps[STAMP_MAX];
static unsigned nr_stamps;
static uint64_t stamp_bytes; /* read on the port since it was armed */

void ttu_stamp_rx(unsigned port, unsigned n)
{
	uint64_t now, first;

	if (port != stamp_port || !n)
		return;
	now = port_now();
	/* Every message whose first byte is among these n. */
	first = (stamp_bytes + STAMP_MESSAGE - 1) / STAMP_MESSAGE * STAMP_MESSAGE;
	for (uint64_t b = first; b < stamp_bytes + n && nr_stamps < STAMP_MAX; b += STAMP_MESSAGE)
		stamps[nr_stamps++] = now;
	stamp_bytes += n;
}

/* "ttu stamp PORT": start stamping PORT afresh; "ttu stamps": print them (with the TTU lock). */
void ttu_stamp_command(const char *arg)
{
	unsigned long flags;

	if (*arg == 's') {
		flags = ttu_lock();
		unsigned n = nr_stamps;
		ttu_unlock(flags);
		kprintf("TTU stamps port %u n %u\n", stamp_port, n);
		for (unsigned i = 0; i < n; i++)
			kprintf("TTU stamp %u %lu\n", i, (unsigned long)stamps[i]);
		kprintf("TTU stamps end\n");
		return;
	}
	while (*arg == ' ')
		arg++;
	unsigned port = 0;
	while (*arg >= '0' && *arg <= '9')
		port = port * 10 + (unsigned)(*arg++ - '0');
	flags = ttu_lock();
	stamp_port = port;
	nr_stamps = 0;
	stamp_bytes = 0;
	ttu_unlock(flags);
	kprintf("TTU stamping port %u\n", port);
}
