/*
 * A QEMU TCG plugin: guest instructions executed per vCPU, kept in a file the host reads at any
 * time (little-endian u64 counters, mapped shared): [0..63] vCPU n's instructions since boot,
 * [64..127] vCPU n's count when it last executed `hint #0x70` (mark A), [128..191] the same for
 * `hint #0x71` (mark B). Both hints are unallocated NOPs to the CPU.
 *
 *   cc -shared -fPIC -O2 -o vcpu_insns.so tools/qemu-plugins/vcpu_insns.c
 *   qemu-system-aarch64 ... -plugin vcpu_insns.so,out=/tmp/insns
 *
 * Why: under -icount every vCPU's instructions advance one virtual clock and QEMU runs the
 * vCPUs round-robin on one thread, so a guest's "busy ticks" also hold the other vCPUs' turns
 * that fell inside them. These counts are each vCPU's own (for a Tandem pCPU: its guest's and
 * Tandem's EL2 instructions on it). tools/bench/ttu.py --insns uses Linux's (the most of the
 * RTOS's busy ticks that can be Linux's turns) and the RTOS's between its marks: the TTU
 * executes mark A at the end of the pass that received the window's first bytes and mark B at
 * the end of every later pass that received some, so B - A is exactly the RTOS's own
 * instructions over its busy window (the host cannot read the counters at those points: the
 * RTOS keeps polling, 1 ms of virtual time apart, through the wall-time gaps before and after
 * a transfer, which made whole-feed counts 2-3x the window's).
 *
 * Counting: a callback per executed instruction, before it. Exact, also for device accesses:
 * QEMU 7.2 under -icount restarts an I/O access that is not the last instruction of its block
 * as a new one-instruction block instrumented for memory only (CF_MEMI_ONLY), so the access is
 * counted once (by the first block's callback) and nothing before it runs again. Checked on the
 * bare RTOS: its marks' difference equals its busy ticks within 0.1 % (docs/benchmarks.md,
 * session 10). QEMU's plugin API (version 1, as QEMU 7.2 loads it) is declared in
 * qemu-plugin-api.h: Debian ships no qemu-plugin.h.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qemu-plugin-api.h"

#define MAX_VCPUS 64

EXPORT int qemu_plugin_version = 1;

#define NR_SLOTS 3	     /* counts, mark A, mark B */
#define MARK_A	 0xd5032e1fU /* hint #0x70 */
#define MARK_B	 0xd5032e3fU /* hint #0x71 */

static volatile uint64_t *counts;

static void tb_exec(unsigned int vcpu, void *n)
{
	if (vcpu < MAX_VCPUS)
		counts[vcpu] += (uintptr_t)n;
}

/* A mark: the vCPU's count (this instruction included: its count callback runs first). */
static void mark(unsigned int vcpu, void *slot)
{
	if (vcpu < MAX_VCPUS)
		counts[(uintptr_t)slot * MAX_VCPUS + vcpu] = counts[vcpu];
}

static uintptr_t mark_slot(const struct qemu_plugin_insn *insn)
{
	uint32_t w;

	if (qemu_plugin_insn_size(insn) != 4)
		return 0;
	memcpy(&w, qemu_plugin_insn_data(insn), 4);
	return w == MARK_A ? 1 : w == MARK_B ? 2 : 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uintptr_t slot = mark_slot(insn);

		qemu_plugin_register_vcpu_insn_exec_cb(insn, tb_exec, QEMU_PLUGIN_CB_NO_REGS,
						       (void *)1);
		if (slot)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)slot);
	}
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *out = NULL;
	int fd;
	void *m;

	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	if (!out) {
		fprintf(stderr, "vcpu_insns: needs out=FILE\n");
		return -1;
	}
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, NR_SLOTS * MAX_VCPUS * sizeof(uint64_t)) != 0) {
		perror(out);
		return -1;
	}
	m = mmap(NULL, NR_SLOTS * MAX_VCPUS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		perror("vcpu_insns: mmap");
		return -1;
	}
	counts = m;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
