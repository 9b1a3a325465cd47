/*
 * A minimal virtio-mmio driver for an entropy device (virtio-rng, device ID 4): one queue of
 * device-writable buffers. It proves DMA into the RTOS's own RAM (the buffer address the RTOS
 * writes into the descriptor is its physical address only when IPA == PA, i.e. bare or
 * direct-mapped) and the interrupt path, and times kick -> completion interrupt in counter
 * ticks. Transport versions 1 (legacy, QEMU's default) and 2 are both handled.
 * Register layout: virtio 1.1 spec, section 4.2.2 (and 4.2.4 for the legacy one).
 */
#include "app.h"
#include "arch.h"
#include "console.h"
#include "gic.h"
#include "mmio.h"
#include "rtos.h"
#include "sysreg.h"

#define VIRTIO_MAGIC	  0x74726976U /* "virt" */
#define VIRTIO_ID_ENTROPY 4

#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_DEVICE_FEATURES	0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES	0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_GUEST_PAGE_SIZE	0x028 /* legacy */
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_ALIGN		0x03c /* legacy */
#define REG_QUEUE_PFN		0x040 /* legacy */
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INTERRUPT_STATUS	0x060
#define REG_INTERRUPT_ACK	0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC_LOW	0x080
#define REG_QUEUE_DESC_HIGH	0x084
#define REG_QUEUE_DRIVER_LOW	0x090
#define REG_QUEUE_DRIVER_HIGH	0x094
#define REG_QUEUE_DEVICE_LOW	0x0a0
#define REG_QUEUE_DEVICE_HIGH	0x0a4

#define STATUS_ACK	   1
#define STATUS_DRIVER	   2
#define STATUS_DRIVER_OK   4
#define STATUS_FEATURES_OK 8
#define F_VERSION_1_HI	   1 /* feature bit 32: bit 0 of the high word */
#define DESC_F_WRITE	   2 /* the device writes the buffer */

#define QSIZE	  8
#define BUF_BYTES 64
#define PAGE	  4096
/* How long a completion whose interrupt is disabled is watched for a wrong delivery. */
#define MASKED_WAIT_US 20000

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Split ring, legacy layout (used ring on the next page): valid for version 2 as well. */
static struct {
	struct vring_desc desc[QSIZE];
	struct {
		uint16_t flags, idx, ring[QSIZE], used_event;
	} avail;
	uint8_t pad[PAGE - sizeof(struct vring_desc) * QSIZE - 2 * (3 + QSIZE)];
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[QSIZE];
		uint16_t avail_event;
	} used;
} ring __attribute__((aligned(PAGE)));

static uint8_t buf[BUF_BYTES] __attribute__((aligned(64)));

static struct {
	uintptr_t base;
	unsigned irq, version, n;
	struct semaphore done;
	volatile uint64_t irq_stamp;
	volatile unsigned irqs;
} rng;

static struct task rng_task;
static uint64_t rng_stack[1024];

static uint32_t rd(unsigned off)
{
	return mmio_read32(rng.base + off);
}

static void wr(unsigned off, uint32_t v)
{
	mmio_write32(rng.base + off, v);
}

static void rng_irq(unsigned intid, uint64_t stamp, void *arg)
{
	uint32_t st = rd(REG_INTERRUPT_STATUS);

	(void)intid;
	(void)arg;
	wr(REG_INTERRUPT_ACK, st); /* drops the (level) line before the EOI */
	if (st & 1) {
		rng.irq_stamp = stamp;
		rng.irqs++;
		sem_give(&rng.done);
	}
}

/* The first virtio-rng among the DTB's virtio-mmio slots; 0 if none. */
static int find_device(const struct platform *p)
{
	for (unsigned i = 0; i < p->nr_virtio; i++) {
		const struct plat_virtio *v = &p->virtio[i];

		if (mmu_map_device(v->base, v->size))
			continue;
		if (mmio_read32(v->base + REG_MAGIC) != VIRTIO_MAGIC ||
		    mmio_read32(v->base + REG_DEVICE_ID) != VIRTIO_ID_ENTROPY)
			continue;
		rng.base = v->base;
		rng.irq = v->irq;
		rng.version = mmio_read32(v->base + REG_VERSION);
		return 1;
	}
	return 0;
}

/* Device initialisation, virtio 1.1 section 3.1.1. Returns NULL or what failed. */
static const char *init_device(void)
{
	uint64_t pa = (uint64_t)(uintptr_t)&ring; /* identity-mapped: VA == this guest's PA */

	wr(REG_STATUS, 0);
	wr(REG_STATUS, STATUS_ACK);
	wr(REG_STATUS, STATUS_ACK | STATUS_DRIVER);
	if (rng.version >= 2) {
		wr(REG_DEVICE_FEATURES_SEL, 1);
		if (!(rd(REG_DEVICE_FEATURES) & F_VERSION_1_HI))
			return "no VIRTIO_F_VERSION_1";
		wr(REG_DRIVER_FEATURES_SEL, 1);
		wr(REG_DRIVER_FEATURES, F_VERSION_1_HI);
		wr(REG_DRIVER_FEATURES_SEL, 0);
		wr(REG_DRIVER_FEATURES, 0);
		wr(REG_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
		if (!(rd(REG_STATUS) & STATUS_FEATURES_OK))
			return "FEATURES_OK refused";
	} else {
		wr(REG_DRIVER_FEATURES, 0);
		wr(REG_GUEST_PAGE_SIZE, PAGE);
	}
	wr(REG_QUEUE_SEL, 0);
	if (rd(REG_QUEUE_NUM_MAX) < QSIZE)
		return "queue 0 too small";
	wr(REG_QUEUE_NUM, QSIZE);
	if (rng.version >= 2) {
		uint64_t avail = pa + __builtin_offsetof(__typeof__(ring), avail);
		uint64_t used = pa + __builtin_offsetof(__typeof__(ring), used);

		wr(REG_QUEUE_DESC_LOW, (uint32_t)pa);
		wr(REG_QUEUE_DESC_HIGH, (uint32_t)(pa >> 32));
		wr(REG_QUEUE_DRIVER_LOW, (uint32_t)avail);
		wr(REG_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
		wr(REG_QUEUE_DEVICE_LOW, (uint32_t)used);
		wr(REG_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
		wr(REG_QUEUE_READY, 1);
	} else {
		wr(REG_QUEUE_ALIGN, PAGE);
		wr(REG_QUEUE_PFN, (uint32_t)(pa / PAGE));
	}
	wr(REG_STATUS, STATUS_ACK | STATUS_DRIVER | (rng.version >= 2 ? STATUS_FEATURES_OK : 0) |
			   STATUS_DRIVER_OK);
	return NULL;
}

/* Offers buf for request i and notifies the device; returns the time just before the kick. */
static uint64_t queue_request(unsigned i)
{
	uint16_t slot = (uint16_t)(i % QSIZE);
	uint64_t t0;

	for (unsigned k = 0; k < BUF_BYTES; k++)
		buf[k] = 0;
	ring.desc[slot].addr = (uint64_t)(uintptr_t)buf;
	ring.desc[slot].len = BUF_BYTES;
	ring.desc[slot].flags = DESC_F_WRITE;
	ring.desc[slot].next = 0;
	ring.avail.ring[ring.avail.idx % QSIZE] = slot;
	__asm__ volatile("dmb ishst" ::: "memory"); /* descriptor before the index */
	ring.avail.idx++;
	__asm__ volatile("dsb st" ::: "memory"); /* the ring before the kick */
	t0 = rtos_now(); /* the device may complete inside the kick itself */
	wr(REG_QUEUE_NOTIFY, 0);
	return t0;
}

/*
 * The interrupt disabled in the distributor (GICD_ICENABLER): the device completes request i
 * and raises its (level) line, and no interrupt may arrive; enabled again, the line still high
 * is delivered. Returns NULL or what went wrong; *used_seen moves past the request.
 */
static const char *check_masked(unsigned i, uint16_t *used_seen)
{
	unsigned irqs = rng.irqs;
	uint64_t deadline;

	gic->disable(rng.irq);
	deadline = queue_request(i) + rtos_us_to_ticks(1000000);
	while (*(volatile uint16_t *)&ring.used.idx == *used_seen) {
		if (rtos_now() > deadline)
			return "no completion while its interrupt was disabled";
		cpu_relax();
	}
	if (sem_take(&rng.done, rtos_us_to_ticks(MASKED_WAIT_US)) != RTOS_ETIMEDOUT ||
	    rng.irqs != irqs)
		return "its interrupt arrived while disabled in the distributor";
	gic->enable(rng.irq, 0);
	if (sem_take(&rng.done, rtos_us_to_ticks(1000000)) != RTOS_OK)
		return "the interrupt pending while disabled was not delivered after the enable";
	(*used_seen)++;
	return NULL;
}

static void rng_main(void *arg)
{
	uint64_t min = UINT64_MAX, max = 0, sum = 0, bytes = 0, avg;
	unsigned ok = 0, zero_bufs = 0;
	uint16_t used_seen = 0;
	const char *err;

	(void)arg;
	err = init_device();
	if (err) {
		kprintf("VIRTIO-RNG FAIL dev=0x%lx: %s\n", (unsigned long)rng.base, err);
		task_exit();
	}
	irq_register(rng.irq, rng_irq, NULL);
	gic->enable(rng.irq, 0);
	for (unsigned i = 0; i < rng.n; i++) {
		uint64_t t0;
		bool nonzero = false;

		t0 = queue_request(i);
		if (sem_take(&rng.done, rtos_us_to_ticks(1000000)) != RTOS_OK) {
			kprintf(
			    "VIRTIO-RNG FAIL dev=0x%lx irq=%u: no completion interrupt for request "
			    "%u (used idx %u)\n",
			    (unsigned long)rng.base, rng.irq, i,
			    *(volatile uint16_t *)&ring.used.idx);
			task_exit();
		}
		__asm__ volatile("dmb ishld" ::: "memory");
		if (*(volatile uint16_t *)&ring.used.idx == used_seen) {
			kprintf("VIRTIO-RNG FAIL: interrupt without a used buffer\n");
			task_exit();
		}
		bytes += ring.used.ring[used_seen % QSIZE].len;
		used_seen++;
		for (unsigned k = 0; k < BUF_BYTES; k++)
			nonzero |= buf[k] != 0;
		zero_bufs += !nonzero;
		uint64_t rtt = rng.irq_stamp - t0;

		min = rtt < min ? rtt : min;
		max = rtt > max ? rtt : max;
		sum += rtt;
		ok++;
	}
	avg = ok ? sum / ok : 0;
	err = check_masked(rng.n, &used_seen);
	if (err) {
		kprintf("VIRTIO-RNG FAIL dev=0x%lx irq=%u: %s\n", (unsigned long)rng.base, rng.irq,
			err);
		task_exit();
	}
	kprintf(
	    "VIRTIO-RNG ok dev=0x%lx v%u irq=%u n=%u bytes=%lu zero_bufs=%u first=%02x%02x%02x%02x "
	    "masked=ok rtt min=%lu avg=%lu max=%lu ticks (avg %lu ns)\n",
	    (unsigned long)rng.base, rng.version, rng.irq, ok, (unsigned long)bytes, zero_bufs,
	    buf[0], buf[1], buf[2], buf[3], (unsigned long)min, (unsigned long)avg,
	    (unsigned long)max, (unsigned long)rtos_ticks_to_ns(avg));
	task_exit();
}

void virtio_rng_start(const struct rtos_config *cfg, const struct platform *p)
{
	if (!find_device(p)) {
		kprintf("VIRTIO-RNG FAIL: no virtio-rng device among %u virtio,mmio node(s)\n",
			p->nr_virtio);
		return;
	}
	rng.n = cfg->virtio_rng;
	sem_init(&rng.done, 0, 1);
	kprintf("RTOS: virtio-rng at 0x%lx (virtio-mmio v%u), irq %u, buffer at 0x%lx\n",
		(unsigned long)rng.base, rng.version, rng.irq, (unsigned long)(uintptr_t)buf);
	task_create(&rng_task, "virtio-rng", rng_main, NULL, 20, 0, rng_stack, sizeof(rng_stack));
}
