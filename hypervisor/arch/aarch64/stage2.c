/*
 * Stage-2 translation tables: VMSAv8-64, 4 KiB granule, 39-bit IPA, lookup
 * starting at level 1 (VTCR_EL2.T0SZ = 25, SL0 = 1). Pure C over tables from
 * the frame allocator, so the host unit tests run this very file.
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/mem.h>
#include <tandem/stage2.h>
#include <tandem/string.h>

/* Descriptor bits (Arm ARM D8.3, stage 2 attributes). */
#define DESC_VALID     (1ULL << 0)
#define DESC_TABLE     (1ULL << 1) /* at levels 1-2: table; at level 3: page */
#define S2_MEMATTR(x)  ((uint64_t)(x) << 2)
#define S2_MEM_NORMAL  S2_MEMATTR(0xf) /* Normal, Inner/Outer Write-Back Cacheable */
#define S2_MEM_DEVICE  S2_MEMATTR(0x1) /* Device-nGnRE */
#define S2_AP_RW       (3ULL << 6)
#define S2_SH_INNER    (3ULL << 8)
#define DESC_AF	       (1ULL << 10)
#define S2_XN	       (1ULL << 54)
#define DESC_ADDR_MASK 0x0000fffffffff000ULL

#define ENTRIES		  512
#define LEVEL_SHIFT(l)	  (12 + 9 * (3 - (l)))
#define LEVEL_SIZE(l)	  (1ULL << LEVEL_SHIFT(l))
#define LEVEL_INDEX(a, l) (((a) >> LEVEL_SHIFT(l)) & (ENTRIES - 1))

static uint64_t *table_va(paddr_t pa)
{
	return arch_phys_to_virt(pa);
}

static uint64_t leaf_attrs(enum s2_attr attr, int level)
{
	uint64_t d = DESC_VALID | DESC_AF | S2_AP_RW;

	d |= level == 3 ? DESC_TABLE : 0; /* level-3 pages use 0b11, blocks 0b01 */
	if (attr == S2_DEVICE_RW)
		d |= S2_MEM_DEVICE | S2_XN;
	else
		d |= S2_MEM_NORMAL | S2_SH_INNER | (attr == S2_NORMAL_RW ? S2_XN : 0);
	return d;
}

static bool is_table(uint64_t d, int level)
{
	return level < 3 && (d & (DESC_VALID | DESC_TABLE)) == (DESC_VALID | DESC_TABLE);
}

int s2_init(struct s2_table *t, vmid_t vmid)
{
	t->root = mem_alloc_zeroed_page();
	if (!t->root)
		return -ERR_NOMEM;
	t->vmid = vmid;
	t->nr_tables = 1;
	return 0;
}

/* Replaces a block descriptor at level with a table of equivalent smaller mappings. */
static int split_block(struct s2_table *t, uint64_t *entry, int level)
{
	paddr_t next = mem_alloc_zeroed_page();
	uint64_t block = *entry;
	uint64_t attrs = block & ~DESC_ADDR_MASK & ~(DESC_VALID | DESC_TABLE);
	paddr_t base = block & DESC_ADDR_MASK;
	uint64_t *tbl;

	if (!next)
		return -ERR_NOMEM;
	tbl = table_va(next);
	for (unsigned i = 0; i < ENTRIES; i++) {
		tbl[i] = (base + i * LEVEL_SIZE(level + 1)) | attrs | DESC_VALID |
			 (level + 1 == 3 ? DESC_TABLE : 0);
	}
	t->nr_tables++;
	*entry = next | DESC_VALID | DESC_TABLE;
	return 0;
}

/* Returns the table at level+1 under entry, creating (or splitting into) one. */
static uint64_t *next_table(struct s2_table *t, uint64_t *entry, int level)
{
	if (!(*entry & DESC_VALID)) {
		paddr_t next = mem_alloc_zeroed_page();

		if (!next)
			return NULL;
		t->nr_tables++;
		*entry = next | DESC_VALID | DESC_TABLE;
	} else if (!is_table(*entry, level)) {
		if (split_block(t, entry, level))
			return NULL;
	}
	return table_va(*entry & DESC_ADDR_MASK);
}

int s2_map(struct s2_table *t, ipa_t ipa, paddr_t pa, uint64_t size, enum s2_attr attr)
{
	if (!IS_ALIGNED(ipa | pa | size, PAGE_SIZE) || size == 0 ||
	    ipa + size > (1ULL << S2_IPA_BITS) || ipa + size < ipa)
		return -ERR_INVAL;

	while (size) {
		uint64_t *tbl = table_va(t->root);
		int level = 1;

		/* Descend until a block of this level fits (aligned and within size). */
		for (;;) {
			uint64_t bs = LEVEL_SIZE(level);
			uint64_t *entry = &tbl[LEVEL_INDEX(ipa, level)];

			if (level == 3 ||
			    (IS_ALIGNED(ipa | pa, bs) && size >= bs && !is_table(*entry, level))) {
				if (is_table(*entry, level))
					return -ERR_EXIST;
				*entry = (pa & DESC_ADDR_MASK) | leaf_attrs(attr, level);
				ipa += bs;
				pa += bs;
				size -= bs;
				break;
			}
			tbl = next_table(t, entry, level);
			if (!tbl)
				return -ERR_NOMEM;
			level++;
		}
	}
	return 0;
}

int s2_unmap(struct s2_table *t, ipa_t ipa, uint64_t size)
{
	/* Indices are taken modulo the table size: past the IPA space they would wrap to 0. */
	if (!IS_ALIGNED(ipa | size, PAGE_SIZE) || ipa + size < ipa ||
	    ipa + size > (1ULL << S2_IPA_BITS))
		return -ERR_INVAL;

	while (size) {
		uint64_t *tbl = table_va(t->root);
		int level = 1;

		for (;;) {
			uint64_t bs = LEVEL_SIZE(level);
			uint64_t *entry = &tbl[LEVEL_INDEX(ipa, level)];

			if (!(*entry & DESC_VALID)) {
				/* Nothing mapped here: skip to the end of this level's span. */
				uint64_t skip = MIN(size, ALIGN_UP(ipa + 1, bs) - ipa);

				ipa += skip;
				size -= skip;
				break;
			}
			if (level == 3 ||
			    (!is_table(*entry, level) && IS_ALIGNED(ipa, bs) && size >= bs)) {
				*entry = 0;
				ipa += bs;
				size -= bs;
				break;
			}
			tbl = next_table(t, entry, level);
			if (!tbl)
				return -ERR_NOMEM;
			level++;
		}
	}
	arch_tlb_flush_vmid(t->vmid);
	return 0;
}

int s2_translate(const struct s2_table *t, ipa_t ipa, paddr_t *pa)
{
	const uint64_t *tbl = table_va(t->root);

	if (ipa >= (1ULL << S2_IPA_BITS))
		return -ERR_NOENT;
	for (int level = 1; level <= 3; level++) {
		uint64_t d = tbl[LEVEL_INDEX(ipa, level)];

		if (!(d & DESC_VALID))
			return -ERR_NOENT;
		if (!is_table(d, level)) {
			uint64_t bs = LEVEL_SIZE(level);

			*pa = (d & DESC_ADDR_MASK & ~(bs - 1)) | (ipa & (bs - 1));
			return 0;
		}
		tbl = table_va(d & DESC_ADDR_MASK);
	}
	return -ERR_NOENT;
}

static void free_level(struct s2_table *t, paddr_t table, int level)
{
	uint64_t *tbl = table_va(table);

	for (unsigned i = 0; level < 3 && i < ENTRIES; i++) {
		if (is_table(tbl[i], level))
			free_level(t, tbl[i] & DESC_ADDR_MASK, level + 1);
	}
	mem_free(table, 1);
	t->nr_tables--;
}

void s2_destroy(struct s2_table *t)
{
	if (!t->root)
		return;
	free_level(t, t->root, 1);
	t->root = 0;
}

uint64_t s2_vttbr(const struct s2_table *t)
{
	return ((uint64_t)t->vmid << 48) | t->root;
}
