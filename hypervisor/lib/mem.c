/*
 * The page-frame allocator: one bit per 4 KiB frame of each RAM region, set when
 * the frame is in use. First fit with alignment; contiguous runs for guest RAM.
 * A second bitmap remembers which frames may hold data written since boot (handed out
 * at least once), so a VM's RAM is zeroed only where there is something to hide
 * (docs/design.md, "VM memory: what a new VM can see").
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
	uint64_t *dirty;  /* bit set = frame may hold data from since boot */
};

static struct mem_region regions[MEM_MAX_REGIONS];
static unsigned nr_regions;
static uint64_t frames_free;
static spinlock_t mem_lock = SPINLOCK_INIT;

static bool test_bit(const uint64_t *bm, uint64_t i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

/* Bits [first, first + n) of the word they share: n <= 64 - first % 64. */
static uint64_t word_mask(uint64_t first, uint64_t n)
{
	uint64_t lo = first % 64;

	return (n >= 64 ? ~0ULL : ((1ULL << n) - 1)) << lo;
}

/* Sets or clears bits [start, start + n), a word at a time. */
static void set_bits(uint64_t *bm, uint64_t start, uint64_t n, bool used)
{
	while (n) {
		uint64_t chunk = MIN(n, 64 - start % 64), m = word_mask(start, chunk);

		if (used)
			bm[start / 64] |= m;
		else
			bm[start / 64] &= ~m;
		start += chunk;
		n -= chunk;
	}
}

/* Index of the first set bit in [start, end), or end if none: a word at a time. */
static uint64_t first_set(const uint64_t *bm, uint64_t start, uint64_t end)
{
	while (start < end) {
		uint64_t chunk = MIN(end - start, 64 - start % 64);
		uint64_t w = bm[start / 64] & word_mask(start, chunk);

		if (w)
			return start - start % 64 + (uint64_t)__builtin_ctzll(w);
		start += chunk;
	}
	return end;
}

/* Index of the first clear bit in [start, end), or end if none. */
static uint64_t first_clear(const uint64_t *bm, uint64_t start, uint64_t end)
{
	while (start < end) {
		uint64_t chunk = MIN(end - start, 64 - start % 64);
		uint64_t w = ~bm[start / 64] & word_mask(start, chunk);

		if (w)
			return start - start % 64 + (uint64_t)__builtin_ctzll(w);
		start += chunk;
	}
	return end;
}

static bool overlaps(paddr_t a, uint64_t as, paddr_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* Marks bits [start, start + n) used; returns how many were free before. */
static uint64_t take_bits(uint64_t *bm, uint64_t start, uint64_t n)
{
	uint64_t newly = 0;

	while (n) {
		uint64_t chunk = MIN(n, 64 - start % 64), m = word_mask(start, chunk);

		newly += (uint64_t)__builtin_popcountll(m & ~bm[start / 64]);
		bm[start / 64] |= m;
		start += chunk;
		n -= chunk;
	}
	return newly;
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
		frames_free -=
		    take_bits(reg->bitmap, (s - reg->base) / PAGE_SIZE, (e - s) / PAGE_SIZE);
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
	/* Two bitmaps per region: in use, and may hold data. */
	bitmap_bytes = ALIGN_UP(2 * bitmap_bytes, PAGE_SIZE);

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

	/* Whole pages (64 KiB for 1 GiB of RAM): a cache-line zeroing loop, not a word one. */
	arch_zero_range(bm, bitmap_bytes);
	for (unsigned r = 0; r < nr_regions; r++) {
		uint64_t words = ALIGN_UP(regions[r].nr_frames, 64) / 64;

		regions[r].bitmap = bm;
		regions[r].dirty = bm + words;
		bm += 2 * words;
		frames_free += regions[r].nr_frames;
		/* Bits past the end of the region stay "used" so searches never return them. */
		set_bits(regions[r].bitmap, regions[r].nr_frames, words * 64 - regions[r].nr_frames,
			 true);
	}
	/*
	 * Reserved ranges (Tandem, the DTB, the bundle, static-mem) are in use but hold no VM's
	 * data: a static-mem region is as fresh as a frame never handed out.
	 */
	reserve_range(bm_pa, bitmap_bytes);
	for (unsigned k = 0; k < nr_rsv; k++)
		reserve_range(rsv_bases[k], rsv_sizes[k]);
	return 0;
}

void mem_assume_boot_ram_dirty(void)
{
	spin_lock(&mem_lock);
	for (unsigned r = 0; r < nr_regions; r++)
		set_bits(regions[r].dirty, 0, regions[r].nr_frames, true);
	spin_unlock(&mem_lock);
}

/* Finds a free run in one region; returns its first frame index or -1. */
static int64_t find_run(const struct mem_region *reg, uint64_t n, uint64_t align)
{
	uint64_t step = align / PAGE_SIZE;
	/* Index of the first frame whose address is aligned. */
	uint64_t first = (ALIGN_UP(reg->base, align) - reg->base) / PAGE_SIZE;

	for (uint64_t i = first; i + n <= reg->nr_frames;) {
		uint64_t used = first_set(reg->bitmap, i, i + n);

		if (used == i + n)
			return (int64_t)i;
		/* Past the used frames, rounded up to the alignment. */
		used = first_clear(reg->bitmap, used, reg->nr_frames);
		i = first + ALIGN_UP(used - first, step);
	}
	return -1;
}

/*
 * Zeroes the frames of [first, first + n) that may hold data from since boot, cleaned to the
 * point of coherency (a guest starts with its MMU and caches off and reads memory), and marks
 * all of them as holding data from now on. Frames never handed out are left as RAM was at
 * boot. Under mem_lock: the dirty bits of neighbouring frames share words.
 */
static void scrub_dirty(struct mem_region *reg, uint64_t first, uint64_t n)
{
	uint64_t end = first + n, i = first;

	while ((i = first_set(reg->dirty, i, end)) < end) {
		uint64_t run_end = first_clear(reg->dirty, i, end);
		void *va = arch_phys_to_virt(reg->base + i * PAGE_SIZE);
		size_t len = (size_t)((run_end - i) * PAGE_SIZE);

		arch_zero_range(va, len);
		arch_dcache_clean_range(va, len);
		i = run_end;
	}
	set_bits(reg->dirty, first, n, true);
}

static paddr_t alloc(uint64_t nr_frames, uint64_t align, bool for_guest)
{
	paddr_t pa = 0;

	if (nr_frames == 0 || align < PAGE_SIZE || (align & (align - 1)))
		return 0;
	spin_lock(&mem_lock);
	for (unsigned r = 0; r < nr_regions; r++) {
		int64_t i = find_run(&regions[r], nr_frames, align);

		if (i >= 0) {
			set_bits(regions[r].bitmap, (uint64_t)i, nr_frames, true);
			if (for_guest)
				scrub_dirty(&regions[r], (uint64_t)i, nr_frames);
			else
				set_bits(regions[r].dirty, (uint64_t)i, nr_frames, true);
			frames_free -= nr_frames;
			pa = regions[r].base + (uint64_t)i * PAGE_SIZE;
			break;
		}
	}
	spin_unlock(&mem_lock);
	return pa;
}

paddr_t mem_alloc(uint64_t nr_frames, uint64_t align)
{
	return alloc(nr_frames, align, false);
}

paddr_t mem_alloc_guest(uint64_t nr_frames, uint64_t align)
{
	return alloc(nr_frames, align, true);
}

void mem_take_static(paddr_t pa, uint64_t size)
{
	spin_lock(&mem_lock);
	for (unsigned r = 0; r < nr_regions; r++) {
		struct mem_region *reg = &regions[r];

		if (pa < reg->base || pa + size > reg->base + reg->nr_frames * PAGE_SIZE)
			continue;
		scrub_dirty(reg, (pa - reg->base) / PAGE_SIZE, size / PAGE_SIZE);
		spin_unlock(&mem_lock);
		return;
	}
	spin_unlock(&mem_lock);
	/* Not RAM the allocator knows (cfg_check_static_mem forbids it): take no chances. */
	arch_zero_range(arch_phys_to_virt(pa), size);
	arch_dcache_clean_range(arch_phys_to_virt(pa), size);
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
		/* double free */
		BUG_ON(first_clear(reg->bitmap, first, first + nr_frames) != first + nr_frames);
		set_bits(reg->bitmap, first, nr_frames, false);
		frames_free += nr_frames;
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
