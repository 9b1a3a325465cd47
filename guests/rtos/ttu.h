/*
 * The power terminal's serial ports (issue 13): every 16550 of QEMU's PCI serial cards
 * (pci-serial, -2x, -4x: 1b36:0002/3/4) found on the PCIe bus, served by interrupt and by a
 * periodic poll, each port's bytes handed to a backend: echoed back (ttu=echo), counted and
 * dropped (ttu=sink: the bare-RTOS benchmark), or carried to Linux through a channel
 * (ttu=channel, vserial.c).
 *
 * Nothing is ever dropped on the receive side: when the backend has no room for a port's
 * bytes the port's receive interrupt is masked and its FIFO left full, so QEMU stops reading
 * the host side (back-pressure); the poll unmasks it once the backend has room again.
 */
#ifndef RTOS_TTU_H
#define RTOS_TTU_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "platform.h"
#include "uart16550.h"

#define TTU_MAX_PORTS 32
/* Bytes a port's service reads at most (one 16550 FIFO's worth): bounded per-port service
 * time, so that a port fed without pause cannot hold the others on its line back. */
#define TTU_SERVICE_MAX U16550_FIFO

enum ttu_mode { TTU_MODE_DEFAULT, TTU_MODE_OFF, TTU_MODE_ECHO, TTU_MODE_SINK, TTU_MODE_CHANNEL };

/* Where a port's bytes go and come from. Called with the TTU lock held, interrupts masked. */
struct vs_dev;

struct ttu_backend {
	const char *name;
	/*
	 * The channel's ring (vserial_dev.h), or NULL: if set, the port service uses its inline
	 * RX fast path (vs_rx_span/vs_rx_commit: no calls through rx_span/rx_commit) and looks at
	 * a port's TX ring with one inline load before calling tx_span.
	 */
	struct vs_dev *ring;
	/*
	 * Where port's next received bytes go: *room contiguous bytes at the result, which the
	 * port service fills straight from the UART's receive register (no copy through a
	 * buffer); *room 0 = stop reading the UART (back-pressure). rx_commit() then hands over
	 * the n <= *room bytes written there (one publication per port service).
	 */
	uint8_t *(*rx_span)(unsigned port, unsigned *room);
	void (*rx_commit)(unsigned port, unsigned n);
	/*
	 * Bytes to transmit on port: *len contiguous at the result (0: none), written to the
	 * UART in place; tx_consume() takes back the n it wrote.
	 */
	const uint8_t *(*tx_span)(unsigned port, unsigned *len);
	void (*tx_consume)(unsigned port, unsigned n);
	/* New TX bytes come with a ttu_kick() (the channel: Linux's doorbell) or the poll, not
	 * from RX (as echo's): an interrupt's service then looks at TX only while some is in
	 * flight (the port's "transmitter empty" interrupt on). */
	bool tx_kicked;
	/* After a pass over ports (an interrupt or the poll): e.g. coalesced doorbells. */
	void (*pass_done)(uint64_t now, bool poll);
	/* Before a pass of the poll or of ttu_kick() (e.g. the peer's state and requests). */
	void (*sync)(uint64_t now, bool poll);
	/* After the poll's pass, without the lock: print what needs printing. */
	void (*report)(void);
};

/* Finds the cards (after pci_init), sets up every port and starts serving them. */
void ttu_start(const struct rtos_config *cfg, const struct platform *p);
/* The console's "ttu ..." commands; false if line is not one. */
bool ttu_command(char *line);
/* ttu_stamp.c: message stamps on one port for the latency benchmark (with the TTU lock held). */
void ttu_stamp_rx(unsigned port, unsigned n);
void ttu_stamp_command(const char *arg); /* "stamp PORT" arms, "stamps" prints */

/* For backends. */
unsigned ttu_nr_ports(void);
/* Applies line settings to a port; false if out of range. Takes the TTU lock. */
bool ttu_set_line(unsigned port, const struct u16550_line *l);
/* The same with the lock already held (from a backend's sync). */
bool ttu_set_line_locked(unsigned port, const struct u16550_line *l);
/* A pass over every port now, as the poll does (e.g. from a doorbell interrupt). */
void ttu_kick(void);
/* The TTU lock, for a backend's own commands: returns the interrupt mask to restore. */
unsigned long ttu_lock(void);
void ttu_unlock(unsigned long flags);
uint64_t ttu_port_overruns(unsigned port);
/* Every port's UART overruns since boot: a backend publishing the per-port counts looks at
 * them only when this moved. */
uint64_t ttu_overruns_total(void);
/* The channel backend (vserial.c): NULL (and a message) unless a channel can carry the ports. */
const struct ttu_backend *vserial_backend(const struct rtos_config *cfg, const struct platform *p,
					  unsigned nr_ports);

#endif
