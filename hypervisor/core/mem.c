/*
 * The page-frame allocator: one bit per 4 KiB frame of each RAM region, set when
 * the frame is in use. First fit with alignment; contiguous runs for guest RAM.
 * Lock: mem_lock only (leaf lock).
 */
#include <tandem/arch.h>
#include <tandem/errno.h>
#include <tandem/log.h>
#include <tandem/mem.h>
#include <tandem/spinlock.h>
#include <tandem/string.h>

struct mem_region {
	paddr_t base;
	uint64_t nr_frames;
	uint64_t *bitmap; /* bit set = frame used */
};

static struct mem_region regions[MEM_MAX_REGIONS];
static unsigned nr_regions;
static uint64_t frames_free;
static spinlock_t mem_lock = SPINLOCK_INIT;

static bool test_bit(const uint64_t *bm, uint64_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static void set_bits(uint64_t *bm, uint64_t start, uint64_t n, bool used)
{
	for (uint64_t i = start; i < start + n; i++) {
		if (used)
			bm[i / 64] |= 1ULL << (i % 64);
		else
			bm[i / 64] &= ~(1ULL << (i % 64));
	}
}

static bool overlaps(paddr_t a, uint64_t as, paddr_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* Marks [base, base+size) used in whichever regions it touches. */
static void reserve_range(paddr_t base, uint64_t size)
{
	paddr_t start = ALIGN_DOWN(base, PAGE_SIZE);
	paddr_t end = ALIGN_UP(base + size, PAGE_SIZE);

	for (unsigned r = 0; r < nr_regions; r++) {
		struct mem_region *reg = &regions[r];
		paddr_t rend = reg->base + reg->nr_frames * PAGE_SIZE;
		paddr_t s = MAX(start, reg->base), e = MIN(end, rend);

		if (s >= e)
			continue;
		for (uint64_t i = (s - reg->base) / PAGE_SIZE; i < (e - reg->base) / PAGE_SIZE;
		     i++) {
			if (!test_bit(reg->bitmap, i)) {
				set_bits(reg->bitmap, i, 1, true);
				frames_free--;
			}
		}
	}
}

int mem_init(const paddr_t *bases, const uint64_t *sizes, unsigned nr, const paddr_t *rsv_bases,
	     const uint64_t *rsv_sizes, unsigned nr_rsv)
{
	uint64_t bitmap_bytes = 0;

	if (nr == 0 || nr > MEM_MAX_REGIONS)
		return -ERR_INVAL;
	nr_regions = 0;
	frames_free = 0;
	for (unsigned i = 0; i < nr; i++) {
		paddr_t b = ALIGN_UP(bases[i], PAGE_SIZE);
		paddr_t e = ALIGN_DOWN(bases[i] + sizes[i], PAGE_SIZE);

		if (e <= b)
			continue;
		regions[nr_regions].base = b;
		regions[nr_regions].nr_frames = (e - b) / PAGE_SIZE;
		bitmap_bytes += ALIGN_UP(regions[nr_regions].nr_frames, 64) / 8;
		nr_regions++;
	}
	bitmap_bytes = ALIGN_UP(bitmap_bytes, PAGE_SIZE);

	/* Place the bitmaps in the first page-aligned hole that no reserved range touches. */
	paddr_t bm_pa = 0;

	for (unsigned r = 0; r < nr_regions && !bm_pa; r++) {
		paddr_t cand = regions[r].base;
		paddr_t rend = regions[r].base + regions[r].nr_frames * PAGE_SIZE;

		while (cand + bitmap_bytes <= rend) {
			bool clash = false;

			for (unsigned k = 0; k < nr_rsv; k++) {
				if (overlaps(cand, bitmap_bytes, rsv_bases[k], rsv_sizes[k])) {
					cand = ALIGN_UP(rsv_bases[k] + rsv_sizes[k], PAGE_SIZE);
					clash = true;
					break;
				}
			}
			if (!clash) {
				bm_pa = cand;
				break;
			}
		}
	}
	if (!bm_pa)
		return -ERR_NOMEM;

	uint64_t *bm = arch_phys_to_virt(bm_pa);

	memset(bm, 0, bitmap_bytes);
	for (unsigned r = 0; r < nr_regions; r++) {
		regions[r].bitmap = bm;
		bm += ALIGN_UP(regions[r].nr_frames, 64) / 64;
		frames_free += regions[r].nr_frames;
		/* Bits past the end of the region stay "used" so searches never return them. */
		uint64_t tail = ALIGN_UP(regions[r].nr_frames, 64);

		set_bits(regions[r].bitmap, regions[r].nr_frames, tail - regions[r].nr_frames,
			 true);
	}
	reserve_range(bm_pa, bitmap_bytes);
	for (unsigned k = 0; k < nr_rsv; k++)
		reserve_range(rsv_bases[k], rsv_sizes[k]);
	return 0;
}

/* Finds a free run in one region; returns its first frame index or -1. */
static int64_t find_run(const struct mem_region *reg, uint64_t n, uint64_t align)
{
	uint64_t step = align / PAGE_SIZE;
	/* Index of the first frame whose address is aligned. */
	uint64_t first = (ALIGN_UP(reg->base, align) - reg->base) / PAGE_SIZE;

	for (uint64_t i = first; i + n <= reg->nr_frames; i += step) {
		uint64_t j;

		for (j = 0; j < n; j++) {
			if (test_bit(reg->bitmap, i + j))
				break;
		}
		if (j == n)
			return (int64_t)i;
		/* Skip past the used frame, rounded up to the alignment. */
		i = first + ALIGN_UP(i + j + 1 - first, step) - step;
	}
	return -1;
}

paddr_t mem_alloc(uint64_t nr_frames, uint64_t align)
{
	paddr_t pa = 0;

	if (nr_frames == 0 || align < PAGE_SIZE || (align & (align - 1)))
		return 0;
	spin_lock(&mem_lock);
	for (unsigned r = 0; r < nr_regions; r++) {
		int64_t i = find_run(&regions[r], nr_frames, align);

		if (i >= 0) {
			set_bits(regions[r].bitmap, (uint64_t)i, nr_frames, true);
			frames_free -= nr_frames;
			pa = regions[r].base + (uint64_t)i * PAGE_SIZE;
			break;
		}
	}
	spin_unlock(&mem_lock);
	return pa;
}

paddr_t mem_alloc_zeroed_page(void)
{
	paddr_t pa = mem_alloc(1, PAGE_SIZE);

	if (pa)
		memset(arch_phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

void mem_free(paddr_t pa, uint64_t nr_frames)
{
	spin_lock(&mem_lock);
	for (unsigned r = 0; r < nr_regions; r++) {
		struct mem_region *reg = &regions[r];

		if (pa < reg->base || pa >= reg->base + reg->nr_frames * PAGE_SIZE)
			continue;
		uint64_t first = (pa - reg->base) / PAGE_SIZE;

		BUG_ON(first + nr_frames > reg->nr_frames);
		for (uint64_t i = first; i < first + nr_frames; i++) {
			BUG_ON(!test_bit(reg->bitmap, i)); /* double free */
			set_bits(reg->bitmap, i, 1, false);
			frames_free++;
		}
		break;
	}
	spin_unlock(&mem_lock);
}

uint64_t mem_free_bytes(void)
{
	return frames_free * PAGE_SIZE;
}

uint64_t mem_largest_free(uint64_t align)
{
	uint64_t best = 0;

	spin_lock(&mem_lock);
	for (unsigned r = 0; r < nr_regions; r++) {
		const struct mem_region *reg = &regions[r];
		uint64_t run = 0;

		for (uint64_t i = 0; i < reg->nr_frames; i++) {
			paddr_t pa = reg->base + i * PAGE_SIZE;

			if (test_bit(reg->bitmap, i)) {
				run = 0;
				continue;
			}
			if (run == 0 && !IS_ALIGNED(pa, align))
				continue;
			run++;
			best = MAX(best, run);
		}
	}
	spin_unlock(&mem_lock);
	return best * PAGE_SIZE;
}
