/*
 * A QEMU TCG plugin: where chosen vCPUs' instructions go, by guest virtual address of the
 * translation block that ran them (a profile with no sampling: every block's instructions
 * counted at its start address).
 *
 *   cc -shared -fPIC -O2 -o vcpu_prof.so tools/qemu-plugins/vcpu_prof.c
 *   qemu-system-aarch64 ... -plugin vcpu_prof.so,out=/tmp/prof,vcpus=0x3
 *
 * The host asks for a snapshot by writing a new number into the 8-byte file out.ctl (created by
 * the plugin); at its next check (every 2^16 blocks executed) the plugin writes out.N, one line
 * "<address hex> <instructions>" per block start counted so far, then "end". Diffing two
 * snapshots gives a window's profile; tools/bench/ttu.py --profile resolves the addresses
 * against the guest's /proc/kallsyms (user space and EL2 stay as ranges). Counts are the
 * blocks' instruction counts at each execution: a block left early (an exception, an I/O
 * access under -icount) is counted whole, so this is a profile, not an exact count
 * (tools/qemu-plugins/vcpu_insns.c counts per instruction). Plugin API version 1 (QEMU 7.2),
 * from qemu-plugin-api.h.
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

EXPORT int qemu_plugin_version = 1;

#define HASH_BITS 18

struct block {
	uint64_t vaddr;
	uint64_t count;
	struct block *next;
};

/* One per translation (a block may be translated again with another length). */
struct trans {
	struct block *b;
	uint64_t n;
};

static struct block *table[1u << HASH_BITS];
static uint64_t vcpu_mask = ~0ull;
static volatile uint64_t *ctl;
static uint64_t ctl_seen, ticks;
static char out_path[4000];

static struct block *block_of(uint64_t vaddr)
{
	uint64_t h = (vaddr >> 2) * 0x9E3779B97F4A7C15ull >> (64 - HASH_BITS);
	struct block *b;

	for (b = table[h]; b; b = b->next)
		if (b->vaddr == vaddr)
			return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		abort();
	b->vaddr = vaddr;
	b->next = table[h];
	table[h] = b;
	return b;
}

static void dump(uint64_t seq)
{
	char path[4100], tmp[4110];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%llu", out_path, (unsigned long long)seq);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	for (size_t i = 0; i < (1u << HASH_BITS); i++)
		for (struct block *b = table[i]; b; b = b->next)
			if (b->count)
				fprintf(f, "%llx %llu\n", (unsigned long long)b->vaddr,
					(unsigned long long)b->count);
	fprintf(f, "end\n");
	fclose(f);
	rename(tmp, path);
}

static void tb_exec(unsigned int vcpu, void *udata)
{
	struct trans *t = udata;

	if (vcpu < 64 && (vcpu_mask >> vcpu & 1))
		t->b->count += t->n;
	if ((++ticks & 0xffff) == 0 && *ctl != ctl_seen) {
		ctl_seen = *ctl;
		dump(ctl_seen);
	}
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct trans *t = malloc(sizeof(*t));

	(void)id;
	if (!t)
		abort();
	t->b = block_of(qemu_plugin_tb_vaddr(tb));
	t->n = qemu_plugin_tb_n_insns(tb);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, t);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	char path[4100];
	void *m;
	int fd;

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
		else if (!strncmp(argv[i], "vcpus=", 6))
			vcpu_mask = strtoull(argv[i] + 6, NULL, 0);
	}
	if (!out_path[0]) {
		fprintf(stderr, "vcpu_prof: needs out=FILE\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s.ctl", out_path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, sizeof(uint64_t)) != 0) {
		perror(path);
		return -1;
	}
	m = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		perror("vcpu_prof: mmap");
		return -1;
	}
	ctl = m;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
