/*
 * A QEMU TCG plugin: guest instructions executed per vCPU, kept in a file the host reads at any
 * time (an array of 64 little-endian u64 counters, vCPU n at offset 8n, mapped shared).
 *
 *   cc -shared -fPIC -O2 -o vcpu_insns.so tools/qemu-plugins/vcpu_insns.c
 *   qemu-system-aarch64 ... -plugin vcpu_insns.so,out=/tmp/insns
 *
 * Why: under -icount every vCPU's instructions advance one virtual clock and QEMU runs the
 * vCPUs round-robin on one thread, so a guest's "busy ticks" also hold the other vCPUs' turns
 * that fell inside them. These counts are each vCPU's own (for a Tandem pCPU: its guest's and
 * Tandem's EL2 instructions on it). tools/bench/ttu.py --insns uses Linux's: the most of the
 * RTOS's busy ticks that can be Linux's turns.
 *
 * Counting: a callback per executed instruction. Exact for code without device accesses (the
 * RTOS's `burn 1` under -icount shift=4: 62,507,712 instructions for 62,500,000 ticks). Not for
 * code full of them: under -icount an I/O access in the middle of a block makes QEMU leave
 * and re-run part of it, which this count sees again (the RTOS's UART service counted 2-3x its
 * ticks), so the RTOS's own counts are not used. QEMU's plugin API (version 1, as QEMU 7.2
 * loads it) is declared below: Debian ships no qemu-plugin.h.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPORT	  __attribute__((visibility("default")))
#define MAX_VCPUS 64

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
struct qemu_plugin_insn;

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);

EXPORT int qemu_plugin_version = 1;

static volatile uint64_t *counts;

static void tb_exec(unsigned int vcpu, void *n)
{
	if (vcpu < MAX_VCPUS)
		counts[vcpu] += (uintptr_t)n;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++)
		qemu_plugin_register_vcpu_insn_exec_cb(qemu_plugin_tb_get_insn(tb, i), tb_exec,
						       QEMU_PLUGIN_CB_NO_REGS, (void *)1);
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
	if (fd < 0 || ftruncate(fd, MAX_VCPUS * sizeof(uint64_t)) != 0) {
		perror(out);
		return -1;
	}
	m = mmap(NULL, MAX_VCPUS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		perror("vcpu_insns: mmap");
		return -1;
	}
	counts = m;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
