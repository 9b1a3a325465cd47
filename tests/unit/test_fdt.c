/* unit-sources: hypervisor/lib/fdt.c */
/*
 * The FDT reader against libfdt and dtc as the oracle: every node and property it finds must
 * match libfdt's view, and truncated or corrupted blobs must give errors, never bad reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dtc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_libfdt.h" /* before tandem/fdt.h */

#include <tandem/errno.h>
#include <tandem/fdt.h>

static const char *rich_dts =
    "/dts-v1/;\n"
    "/ {\n"
    "	#address-cells = <2>; #size-cells = <2>;\n"
    "	compatible = \"tandem,test\", \"tandem,system\";\n"
    "	model = \"Test board\";\n"
    "	chosen { bootargs = \"console=ttyAMA0\"; empty; };\n"
    "	cpus {\n"
    "		#address-cells = <1>; #size-cells = <0>;\n"
    "		cpu@0 { device_type = \"cpu\"; reg = <0>; compatible = \"arm,cortex-a53\"; };\n"
    "		cpu@1 { device_type = \"cpu\"; reg = <1>; compatible = \"arm,cortex-a53\"; };\n"
    "	};\n"
    "	memory@40000000 { device_type = \"memory\";\n"
    "		reg = <0x0 0x40000000 0x0 0x20000000>, <0x1 0x0 0x0 0x40000000>; };\n"
    "	soc {\n"
    "		#address-cells = <1>; #size-cells = <1>;\n"
    "		uart0: uart@9000000 { compatible = \"arm,pl011\", \"arm,primecell\";\n"
    "			reg = <0x9000000 0x1000>; bytes = [01 02 03]; };\n"
    "		uart@9001000 { compatible = \"arm,pl011\"; reg = <0x9001000 0x1000>; };\n"
    "		deep { a { b { c { leaf = <1 2 3>; }; }; }; };\n"
    "	};\n"
    "	aliases { serial0 = &uart0; };\n"
    "	vms { linux { cpus = <2>; memory = <0x0 0x10000000>; kernel = \"Image\"; }; };\n"
    "};\n";

/* Small enough that every truncation and thousands of mutants can be checked exhaustively. */
static const char *small_dts =
    "/dts-v1/;\n"
    "/ { #address-cells = <1>; #size-cells = <1>; compatible = \"tandem,system\";\n"
    "	soc { compatible = \"simple-bus\"; #address-cells = <1>; #size-cells = <1>;\n"
    "		uart@9000000 { compatible = \"arm,pl011\"; reg = <0x9000000 0x1000>; }; };\n"
    "	vms { linux { cpus = <2>; kernel = \"Image\"; }; };\n"
    "};\n";

/* Compares our view of node (and its subtree) with libfdt's. */
static void compare_node(const struct fdt *f, const void *blob, int node)
{
	char ours[256], theirs[256];
	int prop, lprop, child, lchild;

	assert_string_equal(fdt_name(f, node), fdt_get_name(blob, node, NULL));
	assert_int_equal(fdt_get_path(blob, node, theirs, sizeof(theirs)), 0);
	assert_string_equal(fdt_node_path(f, node, ours, sizeof(ours)), theirs);
	assert_int_equal(fdt_path(f, theirs), node);

	/* Properties: same offsets, names, values, in the same order. */
	prop = fdt_first_prop(f, node);
	fdt_for_each_property_offset(lprop, blob, node)
	{
		const void *val, *lval;
		const char *lname;
		int len, llen, plen;

		assert_int_equal(prop, lprop);
		lval = fdt_getprop_by_offset(blob, lprop, &lname, &llen);
		assert_string_equal(fdt_prop_at(f, prop, &val, &len), lname);
		assert_int_equal(len, llen);
		assert_ptr_equal(val, lval);
		assert_ptr_equal(fdt_prop(f, node, lname, &plen),
				 fdt_getprop(blob, node, lname, NULL));
		assert_true(fdt_has_prop(f, node, lname));
		prop = fdt_next_prop(f, prop);
	}
	assert_int_equal(prop, -ERR_NOENT);

	/* Children: same offsets in the same order, found by exact and base name alike. */
	child = fdt_first_child(f, node);
	fdt_for_each_subnode(lchild, blob, node)
	{
		char base[64];
		const char *name = fdt_get_name(blob, lchild, NULL);

		assert_int_equal(child, lchild);
		assert_int_equal(fdt_child(f, node, name), fdt_subnode_offset(blob, node, name));
		snprintf(base, sizeof(base), "%.*s", (int)strcspn(name, "@"), name);
		assert_int_equal(fdt_child(f, node, base), fdt_subnode_offset(blob, node, base));
		compare_node(f, blob, lchild);
		child = fdt_next_sibling(f, child);
	}
	assert_int_equal(child, -ERR_NOENT);
}

static void compare_with_libfdt(const void *blob, size_t size)
{
	struct fdt f;
	const char *compats[] = {"arm,pl011",	  "arm,primecell", "arm,cortex-a53",
				 "tandem,system", "arm,pl01",	   "nope"};

	assert_int_equal(fdt_check_header(blob), 0);
	assert_int_equal(fdt_open(&f, blob, size), 0);
	assert_int_equal(f.size, fdt_totalsize(blob));
	assert_int_equal(fdt_root(&f), fdt_path_offset(blob, "/"));
	assert_int_equal(fdt_next_sibling(&f, fdt_root(&f)), -ERR_NOENT);
	compare_node(&f, blob, fdt_root(&f));

	for (size_t i = 0; i < sizeof(compats) / sizeof(compats[0]); i++) {
		int ours = fdt_find_compatible(&f, -1, compats[i]);
		int theirs = fdt_node_offset_by_compatible(blob, -1, compats[i]);

		for (;;) {
			assert_int_equal(ours < 0, theirs < 0);
			if (theirs < 0)
				break;
			assert_int_equal(ours, theirs);
			assert_true(fdt_is_compatible(&f, ours, compats[i]));
			ours = fdt_find_compatible(&f, ours, compats[i]);
			theirs = fdt_node_offset_by_compatible(blob, theirs, compats[i]);
		}
		assert_int_equal(ours, -ERR_NOENT);
	}
}

static void test_matches_libfdt(void **state)
{
	size_t size;
	void *blob = dtc(rich_dts, "", &size);

	compare_with_libfdt(blob, size);
	free(blob);
}

/* A blob at an odd address: cells are read byte-wise there, aligned ones with one load. */
static void test_unaligned_blob(void **state)
{
	size_t size;
	void *blob = dtc(rich_dts, "", &size);
	uint8_t *odd = malloc(size + 1);
	struct fdt a, u;
	uint64_t aa, as, ua, us;
	uint32_t av, uv;
	int an, un;

	memcpy(odd + 1, blob, size);
	assert_int_equal(fdt_open(&a, blob, size), 0);
	assert_int_equal(fdt_open(&u, odd + 1, size), 0);
	an = fdt_find_compatible(&a, -1, "arm,pl011");
	un = fdt_find_compatible(&u, -1, "arm,pl011");
	assert_true(an >= 0);
	assert_int_equal(un, an);
	assert_int_equal(fdt_read_reg(&a, an, 0, &aa, &as), 0);
	assert_int_equal(fdt_read_reg(&u, un, 0, &ua, &us), 0);
	assert_int_equal(ua, aa);
	assert_int_equal(us, as);
	assert_int_equal(fdt_read_u32(&a, fdt_root(&a), "#address-cells", &av), 0);
	assert_int_equal(fdt_read_u32(&u, fdt_root(&u), "#address-cells", &uv), 0);
	assert_int_equal(uv, av);
	free(odd);
	free(blob);
}

/* What fdt_open found is used only for the blob it opened: another blob is checked afresh. */
static void test_open_cache_follows_the_blob(void **state)
{
	size_t rich_size, small_size;
	void *rich = dtc(rich_dts, "", &rich_size);
	void *small = dtc(small_dts, "", &small_size);
	struct fdt f, s;

	assert_int_equal(fdt_open(&f, rich, rich_size), 0);
	assert_int_equal(fdt_open(&s, small, small_size), 0);
	f.blob = small; /* a caller switching blobs without fdt_open */
	f.size = s.size;
	assert_int_equal(fdt_path(&f, "/vms/linux"), fdt_path(&s, "/vms/linux"));
	assert_int_equal(fdt_find_compatible(&f, -1, "arm,pl011"),
			 fdt_find_compatible(&s, -1, "arm,pl011"));
	f.blob = rich; /* and back: the blocks it opened are good again */
	f.size = (uint32_t)rich_size;
	assert_int_equal(fdt_path(&f, "/vms/linux"), fdt_path_offset(rich, "/vms/linux"));
	free(rich);
	free(small);
}

/* Version 16 blobs have no size_dt_struct; the reader must still walk them. */
static void test_v16_blob(void **state)
{
	size_t size;
	void *blob = dtc(rich_dts, "-V 16", &size);

	assert_int_equal(fdt_version(blob), 16);
	compare_with_libfdt(blob, size);
	free(blob);
}

/* NOP tokens (left by in-place edits) are skipped wherever they appear. */
static void test_nops_skipped(void **state)
{
	size_t size;
	void *blob = dtc(rich_dts, "", &size);

	assert_int_equal(fdt_nop_property(blob, fdt_path_offset(blob, "/"), "model"), 0);
	assert_int_equal(fdt_nop_node(blob, fdt_path_offset(blob, "/cpus/cpu@0")), 0);
	assert_int_equal(fdt_nop_node(blob, fdt_path_offset(blob, "/aliases")), 0);
	compare_with_libfdt(blob, size);

	struct fdt f;
	assert_int_equal(fdt_open(&f, blob, size), 0);
	assert_int_equal(fdt_path(&f, "/cpus/cpu@0"), -ERR_NOENT);
	assert_int_equal(fdt_path(&f, "/cpus/cpu"), fdt_path_offset(blob, "/cpus/cpu@1"));
	free(blob);
}

static void test_paths_and_names(void **state)
{
	size_t size;
	void *blob = dtc(rich_dts, "", &size);
	struct fdt f;
	char buf[8];

	assert_int_equal(fdt_open(&f, blob, size), 0);
	assert_int_equal(fdt_path(&f, "/"), 0);
	assert_string_equal(fdt_name(&f, 0), "");
	assert_int_equal(fdt_path(&f, "//soc//deep/a/"), fdt_path_offset(blob, "/soc/deep/a"));
	assert_int_equal(fdt_path(&f, "/soc/uart"), fdt_path_offset(blob, "/soc/uart@9000000"));
	assert_int_equal(fdt_path(&f, "/soc/uart@9001000"),
			 fdt_path_offset(blob, "/soc/uart@9001000"));
	assert_int_equal(fdt_path(&f, "/soc/uart@9002000"), -ERR_NOENT);
	assert_int_equal(fdt_path(&f, "/so"), -ERR_NOENT);
	assert_int_equal(fdt_path(&f, "soc"), -ERR_INVAL);
	assert_int_equal(fdt_path(&f, NULL), -ERR_INVAL);
	/* A name with '@' matches exactly only; "cpu@" is not a base-name query. */
	assert_int_equal(fdt_child(&f, fdt_path(&f, "/cpus"), "cpu@"), -ERR_NOENT);

	/* Paths are truncated safely into small buffers. */
	fdt_node_path(&f, fdt_path(&f, "/soc/deep/a/b/c"), buf, sizeof(buf));
	assert_string_equal(buf, "/soc/de");
	assert_string_equal(fdt_node_path(&f, 0, buf, sizeof(buf)), "/");
	assert_string_equal(fdt_node_path(&f, 3, buf, sizeof(buf)), "?");
	assert_null(fdt_name(&f, 3));
	assert_null(fdt_name(&f, -1));
	assert_int_equal(fdt_first_child(&f, 1 << 20), -ERR_INVAL);
	assert_int_equal(fdt_first_child(&f, fdt_path(&f, "/chosen")), -ERR_NOENT);
	free(blob);
}

static void test_read_helpers(void **state)
{
	size_t size;
	void *blob = dtc("/dts-v1/;\n/ {\n"
			 "	n { u = <0x12345678>; u64 = /bits/ 64 <0x1122334455667788>;\n"
			 "	    s = \"hello\"; list = \"a\", \"b\"; e; };\n"
			 "	cells { #address-cells = <1>; #size-cells = <0>; };\n"
			 "	nocells { };\n"
			 "};\n",
			 "", &size);
	struct fdt f;
	int n, len;
	uint32_t u;
	const char *s;
	const uint8_t *p;

	assert_int_equal(fdt_open(&f, blob, size), 0);
	n = fdt_path(&f, "/n");
	assert_int_equal(fdt_read_u32(&f, n, "u", &u), 0);
	assert_int_equal(u, 0x12345678);
	assert_int_equal(fdt_read_u32(&f, n, "u64", &u), -ERR_INVAL);
	assert_int_equal(fdt_read_u32(&f, n, "missing", &u), -ERR_NOENT);
	p = fdt_prop(&f, n, "u64", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt_read_cells(p, 2), 0x1122334455667788ULL);
	assert_int_equal(fdt_read_cells(p, 1), 0x11223344);
	assert_int_equal(fdt_read_cells(p, 0), 0);
	assert_int_equal(fdt32_to_cpu(*(const uint32_t *)fdt_getprop(blob, n, "u", NULL)),
			 0x12345678);
	assert_int_equal(fdt_read_string(&f, n, "s", &s), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(fdt_read_string(&f, n, "list", &s), 0);
	assert_string_equal(s, "a");
	assert_int_equal(fdt_read_string(&f, n, "e", &s), -ERR_INVAL);
	assert_int_equal(fdt_read_string(&f, n, "u", &s), -ERR_INVAL); /* 0x12345678: no NUL */
	assert_int_equal(fdt_read_string(&f, n, "missing", &s), -ERR_NOENT);
	assert_true(fdt_has_prop(&f, n, "e"));
	assert_non_null(fdt_prop(&f, n, "e", &len));
	assert_int_equal(len, 0);
	assert_null(fdt_prop(&f, n, "missing", &len));
	assert_int_equal(len, -ERR_NOENT);
	assert_false(fdt_has_prop(&f, n, "missing"));
	assert_false(fdt_is_compatible(&f, n, "a"));

	assert_int_equal(fdt_address_cells(&f, fdt_path(&f, "/cells")), 1);
	assert_int_equal(fdt_size_cells(&f, fdt_path(&f, "/cells")), 0);
	assert_int_equal(fdt_address_cells(&f, fdt_path(&f, "/nocells")), 2);
	assert_int_equal(fdt_size_cells(&f, fdt_path(&f, "/nocells")), 1);
	free(blob);
}

static void test_read_reg(void **state)
{
	size_t size;
	void *blob = dtc(rich_dts, "", &size);
	struct fdt f;
	uint64_t a, s;
	int mem, cpu, uart;

	assert_int_equal(fdt_open(&f, blob, size), 0);
	mem = fdt_path(&f, "/memory@40000000");
	assert_int_equal(fdt_read_reg(&f, mem, 0, &a, &s), 0);
	assert_int_equal(a, 0x40000000);
	assert_int_equal(s, 0x20000000);
	assert_int_equal(fdt_read_reg(&f, mem, 1, &a, &s), 0);
	assert_int_equal(a, 0x100000000ULL);
	assert_int_equal(s, 0x40000000);
	assert_int_equal(fdt_read_reg(&f, mem, 2, &a, &s), -ERR_NOENT);
	assert_int_equal(fdt_read_reg(&f, mem, -1, &a, &s), -ERR_NOENT);

	cpu = fdt_path(&f, "/cpus/cpu@1"); /* parent has 1 address cell, 0 size cells */
	s = 99;
	assert_int_equal(fdt_read_reg(&f, cpu, 0, &a, &s), 0);
	assert_int_equal(a, 1);
	assert_int_equal(s, 0);

	uart = fdt_path(&f, "/soc/uart@9001000"); /* parent 1/1 */
	assert_int_equal(fdt_read_reg(&f, uart, 0, &a, &s), 0);
	assert_int_equal(a, 0x9001000);
	assert_int_equal(s, 0x1000);
	assert_int_equal(fdt_read_reg(&f, fdt_path(&f, "/soc"), 0, &a, &s), -ERR_NOENT);
	free(blob);

	/* A reg whose length is not a whole number of entries, and unsupported cell counts. */
	blob = dtc("/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n"
		   "	odd { reg = <1 2 3>; };\n"
		   "	wide { #address-cells = <3>; x { reg = <1 2 3 4>; }; };\n};\n",
		   "", &size);
	assert_int_equal(fdt_open(&f, blob, size), 0);
	assert_int_equal(fdt_read_reg(&f, fdt_path(&f, "/odd"), 0, &a, &s), -ERR_INVAL);
	assert_int_equal(fdt_read_reg(&f, fdt_path(&f, "/wide/x"), 0, &a, &s), -ERR_INVAL);
	free(blob);
}

/* Calls every reader function at every offset: on a bad blob they may fail, never crash. */
static void poke_everything(const struct fdt *f)
{
	char path[64];
	uint64_t a, s;
	uint32_t u;
	const char *str;
	const void *val;
	int len;

	for (int off = -8; off < (int)f->size + 8; off += 4) {
		fdt_name(f, off);
		fdt_node_path(f, off, path, sizeof(path));
		fdt_first_child(f, off);
		fdt_next_sibling(f, off);
		fdt_child(f, off, "soc");
		fdt_prop(f, off, "compatible", &len);
		fdt_first_prop(f, off);
		fdt_next_prop(f, off);
		fdt_prop_at(f, off, &val, &len);
		fdt_is_compatible(f, off, "arm,pl011");
		fdt_find_compatible(f, off, "arm,pl011");
		fdt_read_u32(f, off, "reg", &u);
		fdt_read_string(f, off, "model", &str);
		fdt_address_cells(f, off);
		fdt_read_reg(f, off, 0, &a, &s);
	}
	fdt_root(f);
	fdt_path(f, "/soc/deep/a/b/c");
}

/* Full walk through the public API (only after a successful fdt_open). */
static void walk(const struct fdt *f, int node, int depth)
{
	const void *val;
	int len;

	assert_true(depth < 100);
	for (int p = fdt_first_prop(f, node); p >= 0; p = fdt_next_prop(f, p))
		fdt_prop_at(f, p, &val, &len);
	for (int c = fdt_first_child(f, node); c >= 0; c = fdt_next_sibling(f, c))
		walk(f, c, depth + 1);
}

static void check_mutant(const uint8_t *src, size_t size)
{
	/* An exact-size heap copy, so ASan flags any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);
	struct fdt f = {.blob = copy, .size = (uint32_t)size};

	memcpy(copy, src, size);
	if (fdt_open(&f, copy, size) == 0) {
		walk(&f, fdt_root(&f), 0);
		poke_everything(&f);
	}
	/* Accessors re-check the header even if a caller skipped fdt_open (nothing cached). */
	f = (struct fdt){.blob = copy, .size = (uint32_t)size};
	poke_everything(&f);
	free(copy);
}

static void set32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void test_truncated(void **state)
{
	size_t size;
	uint8_t *blob = dtc(small_dts, "", &size);
	uint8_t *t = malloc(size);
	struct fdt f;

	for (size_t len = 0; len < size; len++) {
		/* As-is: totalsize exceeds the buffer. */
		assert_int_not_equal(fdt_open(&f, blob, len), 0);
		check_mutant(blob, len);
		/* With the header patched to claim the truncated sizes, so parsing gets further. */
		if (len < 40)
			continue;
		memcpy(t, blob, len);
		set32(t + 4, (uint32_t)len);
		uint32_t off_st = fdt_off_dt_struct(blob), off_str = fdt_off_dt_strings(blob);
		if (off_st <= len)
			set32(t + 36, MIN((uint32_t)len - off_st, fdt_size_dt_struct(blob)));
		if (off_str <= len)
			set32(t + 32, MIN((uint32_t)len - off_str, fdt_size_dt_strings(blob)));
		/* Strings come last, so any cut loses a token or the last string's NUL. */
		assert_int_not_equal(fdt_open(&f, t, len), 0);
		check_mutant(t, len);
	}
	free(t);
	free(blob);
}

static void test_bad_headers(void **state)
{
	size_t size;
	uint8_t *blob = dtc(small_dts, "", &size);
	uint8_t *t = malloc(size);
	struct fdt f;
	static const struct {
		unsigned off;
		uint32_t val;
		int err;
	} cases[] = {
	    {0, 0xd00dfeee, -ERR_INVAL},  /* magic */
	    {4, 0x7ffffff0, -ERR_INVAL},  /* totalsize beyond the buffer */
	    {4, 20, -ERR_INVAL},	  /* totalsize smaller than the header */
	    {8, 0x7fffff00, -ERR_INVAL},  /* structure block outside the blob */
	    {8, 58, -ERR_INVAL},	  /* misaligned structure block */
	    {8, 4, -ERR_INVAL},		  /* structure block inside the header */
	    {12, 0xfffffff0, -ERR_INVAL}, /* strings block outside */
	    {16, 0x7ffffff8, -ERR_INVAL}, /* reservation map outside */
	    {20, 15, -ERR_NOTSUP},	  /* version too old */
	    {24, 18, -ERR_NOTSUP},	  /* incompatible last_comp_version */
	    {32, 0x10000000, -ERR_INVAL}, /* size_dt_strings */
	    {36, 0x10000000, -ERR_INVAL}, /* size_dt_struct */
	    {36, 0xfffffffc, -ERR_INVAL}, /* size_dt_struct overflowing offset + size */
	    {36, 8, -ERR_INVAL},	  /* structure cut short: no FDT_END */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(t, blob, size);
		set32(t + cases[i].off, cases[i].val);
		assert_int_equal(fdt_open(&f, t, size), cases[i].err);
		check_mutant(t, size);
	}
	/* Every single-bit flip of the header: no crash, and the untouched blob still opens. */
	for (unsigned bit = 0; bit < 40 * 8; bit++) {
		memcpy(t, blob, size);
		t[bit / 8] ^= 1 << (bit % 8);
		check_mutant(t, size);
	}
	assert_int_equal(fdt_open(&f, blob, size), 0);
	assert_int_equal(fdt_open(&f, NULL, size), -ERR_INVAL);
	free(t);
	free(blob);
}

/* Random byte corruption all over the blob (deterministic PRNG), including tokens and lengths. */
static void test_corrupt_structure(void **state)
{
	size_t size;
	uint8_t *blob = dtc(small_dts, "", &size);
	uint8_t *t = malloc(size);
	uint32_t rng = 12345;
	unsigned opened = 0;

	for (int iter = 0; iter < 3000; iter++) {
		memcpy(t, blob, size);
		for (int k = 0; k < 1 + iter % 4; k++) {
			rng = rng * 1103515245 + 12345;
			size_t pos = 40 + (rng >> 8) % (size - 40);
			rng = rng * 1103515245 + 12345;
			/* Mostly small token-like values, which hit the interesting branches. */
			t[pos] =
			    (rng >> 16) % 3 ? (uint8_t)((rng >> 20) % 10) : (uint8_t)(rng >> 8);
		}
		struct fdt f;
		if (fdt_open(&f, t, size) == 0)
			opened++;
		check_mutant(t, size);
	}
	assert_true(opened > 0); /* some mutants hit values only: those must still open */
	free(t);
	free(blob);
}

/* Hand-built structure blocks for rules dtc would never break. */
static void test_structure_rules(void **state)
{
	uint8_t b[128];
	struct fdt f;
	/* Header (40) + rsvmap (16) at 40, struct at 56, strings after. */
	static const uint32_t good[] = {1, 0, 3, 4, 0, 0x01020304, 2, 9};
	static const uint32_t two_roots[] = {1, 0, 2, 1, 0, 2, 9};
	static const uint32_t unbalanced[] = {1, 0, 1, 0x61000000, 2, 9};
	static const uint32_t extra_end[] = {1, 0, 2, 2, 9};
	static const uint32_t bad_name[] = {1, 0, 3, 4, 100, 0x01020304, 2, 9};
	static const uint32_t prop_outside[] = {3, 0, 0, 1, 0, 2, 9};
	static const uint32_t bad_token[] = {1, 0, 7, 2, 9};
	static const uint32_t nop_only[] = {4, 9};
	const struct {
		const uint32_t *words;
		size_t n;
		int ok;
	} cases[] = {
	    {good, 8, 1},     {two_roots, 7, 0},    {unbalanced, 6, 0}, {extra_end, 5, 0},
	    {bad_name, 8, 0}, {prop_outside, 7, 0}, {bad_token, 5, 0},	{nop_only, 2, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t st = 4 * (uint32_t)cases[i].n;

		memset(b, 0, sizeof(b));
		set32(b, 0xd00dfeed);
		set32(b + 4, 56 + st + 2);
		set32(b + 8, 56);
		set32(b + 12, 56 + st);
		set32(b + 16, 40);
		set32(b + 20, 17);
		set32(b + 24, 16);
		set32(b + 32, 2);
		set32(b + 36, st);
		for (size_t w = 0; w < cases[i].n; w++)
			set32(b + 56 + 4 * w, cases[i].words[w]);
		memcpy(b + 56 + st, "x", 2);
		if (cases[i].ok) {
			assert_int_equal(fdt_open(&f, b, sizeof(b)), 0);
			assert_int_equal(fdt_check_full(b, sizeof(b)), 0);
		} else {
			assert_true(fdt_open(&f, b, sizeof(b)) < 0);
		}
		check_mutant(b, 56 + st + 2);
	}
}

/* Trees deeper than the reader's fixed ancestor stack are refused, not walked past it. */
static void test_deep_tree(void **state)
{
	char src[4096] = "/dts-v1/;\n/ {";
	size_t size;
	struct fdt f;
	uint8_t *blob;

	for (int levels = 63; levels <= 64; levels++) {
		strcpy(src, "/dts-v1/;\n/ {");
		for (int i = 0; i < levels; i++)
			strcat(src, " n {");
		strcat(src, " x = <1>;");
		for (int i = 0; i < levels; i++)
			strcat(src, " };");
		strcat(src, " };\n");
		blob = dtc(src, "", &size);
		/* The root counts: 63 nested nodes make 64 levels, the most allowed. */
		if (levels == 63) {
			char path[512];
			int node = 0;

			assert_int_equal(fdt_open(&f, blob, size), 0);
			while (fdt_first_child(&f, node) >= 0)
				node = fdt_first_child(&f, node);
			assert_int_equal(strlen(fdt_node_path(&f, node, path, sizeof(path))),
					 63 * 2);
			assert_int_equal(fdt_path(&f, path), node);
		} else {
			assert_int_equal(fdt_open(&f, blob, size), -ERR_RANGE);
		}
		check_mutant(blob, size);
		free(blob);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_libfdt),
	    cmocka_unit_test(test_v16_blob),
	    cmocka_unit_test(test_nops_skipped),
	    cmocka_unit_test(test_paths_and_names),
	    cmocka_unit_test(test_read_helpers),
	    cmocka_unit_test(test_read_reg),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_bad_headers),
	    cmocka_unit_test(test_corrupt_structure),
	    cmocka_unit_test(test_structure_rules),
	    cmocka_unit_test(test_deep_tree),
	    cmocka_unit_test(test_unaligned_blob),
	    cmocka_unit_test(test_open_cache_follows_the_blob),
	};

	return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
