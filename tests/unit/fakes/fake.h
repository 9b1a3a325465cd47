/*
 * The shared test doubles of the core, for host unit tests (as arch/fake is for the arch).
 * Each fakes/fake_<module>.c stands in for one hypervisor module: a test lists the ones it
 * needs after the real sources it compiles (unit-sources: line). Every fake records its call
 * (name, first object, arguments) in one log, so a test asserts on what the code under test
 * asked for, how often and in which order; fake_on_call lets a test act at the moment of a
 * call (snapshot state, change what the fake will return).
 */
#ifndef TESTS_FAKE_H
#define TESTS_FAKE_H

#include <setjmp.h>

#include <tandem/config.h>
#include <tandem/types.h>

struct pcpu;
struct pool;
struct timer;
struct vcpu;
struct vm;

#define FAKE_MAX_CALLS	512
#define FAKE_NR_INTIDS	1024
#define FAKE_MAX_TIMERS 16
#define FAKE_NR_PRIVATE 32 /* SGIs and PPIs */
#define FAKE_LINE_LOW	1
#define FAKE_LINE_HIGH	2

struct fake_call {
	const char *fn;	 /* the faked function's name */
	const void *obj; /* its first pointer argument (vm, vcpu, pcpu, timer, ...) or NULL */
	uint64_t arg[3]; /* its other scalar arguments, in order */
};

struct fake_calls {
	unsigned n; /* calls recorded (at most FAKE_MAX_CALLS; later ones are counted in lost) */
	unsigned lost;
	struct fake_call call[FAKE_MAX_CALLS];
};

extern struct fake_calls fake_calls;
/* Called after each call is recorded, when set; reset to NULL by fake_calls_reset(). */
extern void (*fake_on_call)(const struct fake_call *call);

/*
 * fake_vpl011.c: each VM's receive FIFO as the console sees it (VPL011_RX_LEN deep: its fill
 * level, characters lost to a full one) and every character delivered, in order, with the
 * number of locks its deliverer held. A test empties a FIFO with fake_vpl011_read().
 */
#define FAKE_MAX_RX 8192
struct fake_uart_rx {
	unsigned fifo[CFG_MAX_VMS];
	unsigned overruns[CFG_MAX_VMS];
	unsigned n; /* characters delivered (at most FAKE_MAX_RX are kept) */
	struct {
		struct vm *vm;
		char c;
		unsigned locks_held;
	} rx[FAKE_MAX_RX];
};

/* What the fakes return or do, where a test needs to choose; fake_calls_reset() zeroes it. */
struct fake_knobs {
	int pool_join_err; /* pool_join_vm(): returned (0: places every vCPU on pcpus[0]) */
	int pool_set_err;  /* pool_set_params(): returned (0: applies them) */
	int pool_move_err; /* pool_move_vm(), pool_move_pcpu(): returned (0: moves) */
	struct pool *moving_to[CFG_MAX_VMS];	 /* pool_of_vm(): the move in flight, by VM index */
	uint64_t nr_channels;			 /* channel_notify(): channels 0 .. n-1 exist */
	int guest_dtb_err;			 /* guest_dtb_build(): returned if negative */
	struct vcpu *current_vcpu;		 /* vcpu_current() */
	struct pcpu *this_pcpu;			 /* pcpu_this() (NULL: &pcpus[0]) */
	struct vcpu *spi_target[FAKE_NR_INTIDS]; /* vgic_spi_target(): the guest's SPI routing */
	bool spi_guest_enabled[FAKE_NR_INTIDS];	 /* vgic_spi_guest_config(): the guest's enable */
	uint8_t spi_guest_prio[FAKE_NR_INTIDS];	 /* ... and priority */
	int s2_map_err;				 /* s2_map(): returned */
	struct vcpu *pick;			 /* pool_pick_next() */
	jmp_buf *enter_jmp;	/* arch_enter_guest(), arch_reset_stack_and_call(): longjmp here */
	bool reset_stack_calls; /* arch_reset_stack_and_call() runs its function (else longjmp) */
	int vdev_fail_create;	/* fake device table: 1 + index of the device whose create fails */
	int clock_err;		/* platform_set_domain_rate(): returned */
	bool vgic_pending;	/* vgic_vcpu_pending() */
	bool vgic_parkable;	/* vgic_vcpu_parkable() */
	bool vgic_timer_fast;	/* vgic_timer_fast(): the fast path took the timer */
	int vgic_mmio_fast;	/* vgic_mmio_fast(): returned (enum vgic_mmio_fast) */
	uint64_t vgic_mmio_value; /* vgic_mmio_fast() (DONE), vgic_mmio_state(): a load's value */
	uint8_t vtimer_line[FAKE_NR_PRIVATE]; /* vtimer_line(): 0 not sampled, FAKE_LINE_LOW/HIGH */
	bool vgic_timer_due; /* vgic_timer_due(): the guest can take the timer made pending */
	bool vtimer_armed;   /* arch_vcpu_timer_armed(): returned, with vtimer_cval */
	uint64_t vtimer_cval;
	uint64_t mem_free;			     /* mem_free_bytes() */
	struct timer *timers_armed[FAKE_MAX_TIMERS]; /* fake_timer.c's armed timers */
	char console_out[4096]; /* console_write()/console_putc() text, truncated when full */
	size_t console_len;
	struct fake_uart_rx uart_rx; /* fake_vpl011.c: the VMs' receive FIFOs */
};
extern struct fake_knobs fake_knobs;

/* Forgets every recorded call and restores every knob (call at each test's setup). */
void fake_calls_reset(void);
/* Forgets the recorded calls only (the knobs stay): after a test's set-up calls. */
void fake_calls_clear(void);
/* For the fakes: records one call. */
void fake_record(const char *fn, const void *obj, uint64_t a0, uint64_t a1, uint64_t a2);
/* Number of recorded calls of fn (with obj, for fake_count_obj). */
unsigned fake_count(const char *fn);
unsigned fake_count_obj(const char *fn, const void *obj);
/* The last recorded call of fn (with obj, for fake_last_obj), or NULL. */
const struct fake_call *fake_last(const char *fn);
const struct fake_call *fake_last_obj(const char *fn, const void *obj);
/* Position in the log of the first call of fn (with obj), or -1: compare to assert on order. */
int fake_first(const char *fn);
int fake_first_obj(const char *fn, const void *obj);

/* fake_timer.c: whether timer is armed; the armed timer that expires first (or NULL); fire
 * that one (disarmed, then its callback run) and return it, or NULL if none is armed. */
bool fake_timer_armed(const struct timer *timer);
struct timer *fake_timer_next(void);
struct timer *fake_timer_fire(void);
/* fake_timer.c: if timer is armed, run it at its expiry (the fake counter set to it, the timer
 * disarmed, its callback run) and return true; else false. */
bool fake_timer_expire(struct timer *timer);

/* fake_vpl011.c: the guest reads up to n characters from vm's FIFO, as vpl011.c's data
 * register does: each read that leaves it at most half full lets the console refill it
 * (console_rx_resume). Returns how many it read. */
unsigned fake_vpl011_read(struct vm *vm, unsigned n);

/* fake_guest_dtb.c: what guest_dtb_build() writes as the guest's DTB. */
#define FAKE_GUEST_DTB_SIZE 9
extern const uint8_t fake_guest_dtb_bytes[FAKE_GUEST_DTB_SIZE];

/* fake_vpsci.c: what vpsci_call() answers in x0, to any function. */
#define FAKE_PSCI_ANSWER 0x5c1

/* The fake device table (fake_vdev_table.c): two recording devices, "irqchip" then "uart". */
#define FAKE_VDEVS 2
extern const char *const fake_vdev_names[FAKE_VDEVS];

#endif
