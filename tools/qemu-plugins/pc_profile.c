/*
 * A QEMU TCG plugin: how many times one vCPU executed each instruction of a 4 MiB code range,
 * over the window between two marks (the same `hint #0x70` / `hint #0x71` as vcpu_insns.c: the
 * TTU executes A at the end of its window's first pass, B at the end of every later pass that
 * received bytes).
 *
 *   cc -shared -fPIC -O2 -o pc_profile.so tools/qemu-plugins/pc_profile.c
 *   qemu-system-aarch64 ... -plugin pc_profile.so,out=/tmp/prof,vcpu=2
 *
 * The range is the 4 MiB-aligned block holding mark A (the RTOS's image). The file (mapped
 * shared, read by the host at any time): a header of 4 u64 (the range's base, mark A's address,
 * the number of B marks, 0), then per 4-byte slot of the range the count at mark A, and the
 * count at the latest mark B. tools/bench/ttu_profile.py turns two of them (bare, drop) into
 * instructions per KiB by function.
 *
 * Counting as vcpu_insns.c: a callback per instruction, before it (exact, also for device
 * accesses under -icount).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qemu-plugin-api.h"

#define RANGE	  (4ULL << 20)
#define SLOTS	  (RANGE / 4)
#define MARK_A	  0xd5032e1fU /* hint #0x70 */
#define MARK_B	  0xd5032e3fU /* hint #0x71 */
#define HDR_WORDS 4

EXPORT int qemu_plugin_version = 1;

static volatile uint64_t *hdr, *at_a, *at_b; /* in the file */
static uint64_t *count, *gen, *touched;	     /* private */
static uint64_t generation = 1, nr_touched, base;
static unsigned want_vcpu;

/*
 * One instruction run. at_b is kept lazily (no copy of the whole range at every pass): a slot
 * run for the first time since the latest mark is put on the touched list, and the next mark B
 * publishes the touched slots' counts; a slot not run since the latest B already holds its count
 * at that B.
 */
static void slot_exec(unsigned int vcpu, void *udata)
{
	uint64_t pc = (uintptr_t)udata, s;

	if (vcpu != want_vcpu || !base || pc - base >= RANGE)
		return;
	s = (pc - base) / 4;
	if (gen[s] != generation) {
		gen[s] = generation;
		touched[nr_touched++] = s;
	}
	count[s]++;
}

/* Mark A: the range found (the first time), every count published as at A and at B. */
static void mark_a(unsigned int vcpu, void *udata)
{
	uint64_t pc = (uintptr_t)udata;

	if (vcpu != want_vcpu)
		return;
	if (!base) {
		base = pc & ~(RANGE - 1);
		hdr[0] = base;
		hdr[1] = pc;
		count[(pc - base) / 4]++; /* this instruction: its slot callback saw no range yet */
	}
	for (uint64_t s = 0; s < SLOTS; s++)
		at_a[s] = at_b[s] = count[s];
	nr_touched = 0;
	generation++;
	hdr[2] = 0;
}

/* Mark B: the slots run since the previous mark published. */
static void mark_b(unsigned int vcpu, void *udata)
{
	(void)udata;
	if (vcpu != want_vcpu || !base)
		return;
	for (uint64_t k = 0; k < nr_touched; k++)
		at_b[touched[k]] = count[touched[k]];
	nr_touched = 0;
	generation++;
	hdr[2]++;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t pc = qemu_plugin_insn_vaddr(insn);
		uint32_t w = 0;

		if (qemu_plugin_insn_size(insn) == 4)
			memcpy(&w, qemu_plugin_insn_data(insn), 4);
		qemu_plugin_register_vcpu_insn_exec_cb(insn, slot_exec, QEMU_PLUGIN_CB_NO_REGS,
						       (void *)(uintptr_t)pc);
		if (w == MARK_A)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_a, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)pc);
		else if (w == MARK_B)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_b, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)pc);
	}
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *out = NULL;
	size_t bytes = (HDR_WORDS + 2 * SLOTS) * sizeof(uint64_t);
	void *m;
	int fd;

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
		else if (!strncmp(argv[i], "vcpu=", 5))
			want_vcpu = (unsigned)atoi(argv[i] + 5);
	}
	if (!out) {
		fprintf(stderr, "pc_profile: needs out=FILE\n");
		return -1;
	}
	count = calloc(SLOTS, sizeof(uint64_t));
	gen = calloc(SLOTS, sizeof(uint64_t));
	touched = calloc(SLOTS, sizeof(uint64_t));
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!count || !gen || !touched || fd < 0 || ftruncate(fd, bytes) != 0) {
		perror(out);
		return -1;
	}
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		perror("pc_profile: mmap");
		return -1;
	}
	hdr = m;
	at_a = hdr + HDR_WORDS;
	at_b = at_a + SLOTS;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
