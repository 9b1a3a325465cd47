/* unit-sources: hypervisor/lib/fdt_write.c hypervisor/lib/fdt.c */
/*
 * The FDT writer: its blobs must pass libfdt's full check and describe exactly the tree dtc
 * builds from the same source; misuse and overflow must surface as sticky errors at finish.
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

/* The tree write_guest_tree() builds, as dtc source. */
static const char *guest_dts =
    "/dts-v1/;\n"
    "/ {\n"
    "	compatible = \"linux,dummy-virt\", \"tandem,guest\";\n"
    "	#address-cells = <2>; #size-cells = <2>;\n"
    "	chosen { bootargs = \"console=ttyAMA0 earlycon\";\n"
    "		linux,initrd-start = /bits/ 64 <0x48000000>;\n"
    "		linux,initrd-end = /bits/ 64 <0x48100000>; };\n"
    "	cpus { #address-cells = <1>; #size-cells = <0>;\n"
    "		cpu@0 { device_type = \"cpu\"; compatible = \"arm,armv8\"; reg = <0>;\n"
    "			enable-method = \"psci\"; };\n"
    "		cpu@1 { device_type = \"cpu\"; compatible = \"arm,armv8\"; reg = <1>;\n"
    "			enable-method = \"psci\"; }; };\n"
    "	memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x10000000>; };\n"
    "	psci { compatible = \"arm,psci-1.0\"; method = \"hvc\"; };\n"
    "	empty-node { };\n"
    "	flags { dma-coherent; odd = [01 02 03]; };\n"
    "};\n";

static void write_guest_tree(struct fdt_writer *w)
{
	static const char compat[] = "linux,dummy-virt\0tandem,guest";
	static const uint32_t mem[] = {0, 0x40000000, 0, 0x10000000};
	static const uint8_t odd[] = {1, 2, 3};

	fdt_w_begin_node(w, "");
	fdt_w_prop_strings(w, "compatible", compat, sizeof(compat));
	fdt_w_prop_u32(w, "#address-cells", 2);
	fdt_w_prop_u32(w, "#size-cells", 2);
	fdt_w_begin_node(w, "chosen");
	fdt_w_prop_string(w, "bootargs", "console=ttyAMA0 earlycon");
	fdt_w_prop_u64(w, "linux,initrd-start", 0x48000000);
	fdt_w_prop_u64(w, "linux,initrd-end", 0x48100000);
	fdt_w_end_node(w);
	fdt_w_begin_node(w, "cpus");
	fdt_w_prop_u32(w, "#address-cells", 1);
	fdt_w_prop_u32(w, "#size-cells", 0);
	for (int i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%d", i);
		fdt_w_begin_node(w, name);
		fdt_w_prop_string(w, "device_type", "cpu");
		fdt_w_prop_string(w, "compatible", "arm,armv8");
		fdt_w_prop_u32(w, "reg", (uint32_t)i);
		fdt_w_prop_string(w, "enable-method", "psci");
		fdt_w_end_node(w);
	}
	fdt_w_end_node(w);
	fdt_w_begin_node(w, "memory@40000000");
	fdt_w_prop_string(w, "device_type", "memory");
	fdt_w_prop_cells(w, "reg", mem, 4);
	fdt_w_end_node(w);
	fdt_w_begin_node(w, "psci");
	fdt_w_prop_string(w, "compatible", "arm,psci-1.0");
	fdt_w_prop_string(w, "method", "hvc");
	fdt_w_end_node(w);
	fdt_w_begin_node(w, "empty-node");
	fdt_w_end_node(w);
	fdt_w_begin_node(w, "flags");
	fdt_w_prop_empty(w, "dma-coherent");
	fdt_w_prop(w, "odd", odd, sizeof(odd));
	fdt_w_end_node(w);
	fdt_w_end_node(w);
}

/* Asserts two blobs hold the same tree: node names, property names and values, in order. */
static void same_tree(const void *a, int na, const void *b, int nb)
{
	int pa, pb, ca, cb;

	assert_string_equal(fdt_get_name(a, na, NULL), fdt_get_name(b, nb, NULL));
	pb = fdt_first_property_offset(b, nb);
	fdt_for_each_property_offset(pa, a, na)
	{
		const char *name_a, *name_b;
		int la, lb;
		const void *va = fdt_getprop_by_offset(a, pa, &name_a, &la);
		const void *vb;

		assert_true(pb >= 0);
		vb = fdt_getprop_by_offset(b, pb, &name_b, &lb);
		assert_string_equal(name_a, name_b);
		assert_int_equal(la, lb);
		assert_memory_equal(va, vb, (size_t)la);
		pb = fdt_next_property_offset(b, pb);
	}
	assert_int_equal(pb, -FDT_ERR_NOTFOUND);
	cb = fdt_first_subnode(b, nb);
	fdt_for_each_subnode(ca, a, na)
	{
		assert_true(cb >= 0);
		same_tree(a, ca, b, cb);
		cb = fdt_next_subnode(b, cb);
	}
	assert_int_equal(cb, -FDT_ERR_NOTFOUND);
}

/* Sum of strlen+1 over distinct property names: the size of a de-duplicated strings block. */
static size_t unique_names_size(const void *blob)
{
	const char *seen[64];
	size_t n = 0, total = 0;

	for (int node = 0; node >= 0; node = fdt_next_node(blob, node, NULL)) {
		int p;

		fdt_for_each_property_offset(p, blob, node)
		{
			const char *name;
			size_t i;

			fdt_getprop_by_offset(blob, p, &name, NULL);
			for (i = 0; i < n && strcmp(seen[i], name) != 0; i++)
				;
			if (i == n) {
				assert_true(n < 64);
				seen[n++] = name;
				total += strlen(name) + 1;
			}
		}
	}
	return total;
}

static void test_matches_dtc(void **state)
{
	size_t ref_size;
	void *ref = dtc(guest_dts, "", &ref_size);
	uint8_t *buf = malloc(4096);
	struct fdt_writer w;
	int size;

	fdt_w_init(&w, buf, 4096);
	write_guest_tree(&w);
	size = fdt_w_finish(&w);
	assert_true(size > 0);
	assert_int_equal(fdt_check_full(buf, (size_t)size), 0);
	assert_int_equal(fdt_totalsize(buf), size);
	assert_int_equal(fdt_version(buf), 17);
	assert_int_equal(fdt_last_comp_version(buf), 16);
	assert_int_equal(fdt_num_mem_rsv(buf), 0);
	assert_int_equal(fdt_off_mem_rsvmap(buf) % 8, 0);
	/* Blocks are packed: structure, then strings, then the end of the blob. */
	assert_int_equal(fdt_off_dt_strings(buf), fdt_off_dt_struct(buf) + fdt_size_dt_struct(buf));
	assert_int_equal(fdt_off_dt_strings(buf) + fdt_size_dt_strings(buf), (uint32_t)size);
	assert_int_equal(fdt_size_dt_strings(buf), unique_names_size(buf));
	same_tree(buf, 0, ref, 0);
	/* Same tree, same token stream: the structure blocks differ only in name offsets. */
	assert_int_equal(fdt_size_dt_struct(buf), fdt_size_dt_struct(ref));

	/* Our own reader agrees. */
	struct fdt f;
	uint32_t u;
	uint64_t a, s;
	const char *str;

	assert_int_equal(fdt_open(&f, buf, (size_t)size), 0);
	assert_int_equal(fdt_read_u32(&f, fdt_path(&f, "/cpus/cpu@1"), "reg", &u), 0);
	assert_int_equal(u, 1);
	assert_int_equal(fdt_read_reg(&f, fdt_path(&f, "/memory"), 0, &a, &s), 0);
	assert_int_equal(a, 0x40000000);
	assert_int_equal(s, 0x10000000);
	assert_int_equal(fdt_read_string(&f, fdt_path(&f, "/psci"), "method", &str), 0);
	assert_string_equal(str, "hvc");
	assert_true(fdt_is_compatible(&f, 0, "tandem,guest"));
	assert_true(fdt_has_prop(&f, fdt_path(&f, "/flags"), "dma-coherent"));
	free(buf);
	free(ref);
}

static void test_minimal_tree(void **state)
{
	uint8_t buf[144]; /* the structure half just holds header, map and the 16-byte tree */
	struct fdt_writer w;
	int size;

	fdt_w_init(&w, buf, sizeof(buf));
	fdt_w_begin_node(&w, "");
	fdt_w_end_node(&w);
	size = fdt_w_finish(&w);
	/* 40 header + 16 reservation terminator + BEGIN, "", END_NODE, END. */
	assert_int_equal(size, 40 + 16 + 16);
	assert_int_equal(fdt_check_full(buf, (size_t)size), 0);
	assert_int_equal(fdt_size_dt_strings(buf), 0);
	assert_int_equal(fdt_first_subnode(buf, 0), -FDT_ERR_NOTFOUND);
	/* Finished: the writer refuses further use. */
	fdt_w_begin_node(&w, "late");
	assert_true(fdt_w_finish(&w) < 0);
}

/* Every buffer size from nothing up: either a valid, identical blob or -ERR_NOMEM. */
static void test_every_capacity(void **state)
{
	uint8_t ref[4096];
	struct fdt_writer w;
	int ref_size, first_ok = -1;

	fdt_w_init(&w, ref, sizeof(ref));
	write_guest_tree(&w);
	ref_size = fdt_w_finish(&w);
	assert_true(ref_size > 0);

	for (size_t cap = 0; cap <= 3 * (size_t)ref_size; cap++) {
		/* Exact-size heap buffer: ASan catches any write past cap. */
		uint8_t *buf = malloc(cap ? cap : 1);
		int size;

		fdt_w_init(&w, buf, cap);
		write_guest_tree(&w);
		size = fdt_w_finish(&w);
		if (size < 0) {
			assert_int_equal(size, -ERR_NOMEM);
			assert_int_equal(first_ok, -1); /* more room never makes it fail */
		} else {
			if (first_ok < 0)
				first_ok = (int)cap;
			assert_int_equal(size, ref_size);
			assert_memory_equal(buf, ref, (size_t)size);
		}
		free(buf);
	}
	assert_true(first_ok > ref_size); /* the halves cost some room, but not more than 2x */
	assert_true(first_ok <= 2 * ref_size + 8);
}

/* Each misuse gives its error at finish, and the first error sticks. */
static void test_sticky_errors(void **state)
{
	uint8_t buf[512];
	struct fdt_writer w;

#define EXPECT_ERR(err, ...)                                                                       \
	do {                                                                                       \
		fdt_w_init(&w, buf, sizeof(buf));                                                  \
		__VA_ARGS__;                                                                       \
		assert_int_equal(fdt_w_finish(&w), err);                                           \
	} while (0)

	EXPECT_ERR(-ERR_INVAL, (void)0); /* no root */
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_end_node(&w); fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, "root"); fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_prop_u32(&w, "x", 1));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_end_node(&w);
		   fdt_w_begin_node(&w, ""); fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_begin_node(&w, "");
		   fdt_w_end_node(&w); fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_begin_node(&w, "a/b");
		   fdt_w_end_node(&w); fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_begin_node(&w, NULL));
	/* Properties after a subnode of the same node break the DT spec. */
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_begin_node(&w, "a");
		   fdt_w_end_node(&w); fdt_w_prop_u32(&w, "late", 1); fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_prop(&w, "", "x", 1);
		   fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_prop(&w, "p", NULL, 4);
		   fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_prop_strings(&w, "p", "ab", 2);
		   fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_prop_string(&w, "p", NULL);
		   fdt_w_end_node(&w));
	EXPECT_ERR(-ERR_INVAL, fdt_w_begin_node(&w, ""); fdt_w_prop_cells(&w, "p", NULL, 2);
		   fdt_w_end_node(&w));
	/* Overflow first, then misuse: the overflow is what gets reported. */
	EXPECT_ERR(-ERR_NOMEM, fdt_w_begin_node(&w, ""); fdt_w_prop(&w, "big", buf, 300);
		   fdt_w_end_node(&w); fdt_w_end_node(&w));
	/* A node after a closed subnode is fine, and properties in it too. */
	EXPECT_ERR(40 + 16 + 56 + 2, fdt_w_begin_node(&w, ""); fdt_w_begin_node(&w, "a");
		   fdt_w_end_node(&w); fdt_w_begin_node(&w, "b"); fdt_w_prop_u32(&w, "p", 1);
		   fdt_w_end_node(&w); fdt_w_end_node(&w));
	assert_int_equal(fdt_check_full(buf, sizeof(buf)), 0);

	fdt_w_init(&w, NULL, 4096);
	assert_int_equal(fdt_w_finish(&w), -ERR_INVAL);
	fdt_w_init(&w, buf, 64);
	fdt_w_begin_node(&w, "");
	fdt_w_end_node(&w);
	assert_int_equal(fdt_w_finish(&w), -ERR_NOMEM);
#undef EXPECT_ERR
}

/* Names repeated across nodes are stored once; distinct ones that share a suffix are not merged. */
static void test_strings_deduplicated(void **state)
{
	uint8_t buf[2048];
	struct fdt_writer w;
	int size;

	fdt_w_init(&w, buf, sizeof(buf));
	fdt_w_begin_node(&w, "");
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%d", i);
		fdt_w_begin_node(&w, name);
		fdt_w_prop_u32(&w, "reg", (uint32_t)i);
		fdt_w_prop_u32(&w, "interrupt-reg", (uint32_t)i);
		fdt_w_prop_string(&w, "status", "okay");
		fdt_w_end_node(&w);
	}
	fdt_w_end_node(&w);
	size = fdt_w_finish(&w);
	assert_true(size > 0);
	assert_int_equal(fdt_check_full(buf, (size_t)size), 0);
	assert_int_equal(fdt_size_dt_strings(buf),
			 sizeof("reg") + sizeof("interrupt-reg") + sizeof("status"));
	for (int i = 0; i < 10; i++) {
		char path[16];
		int len;
		const fdt32_t *v;

		snprintf(path, sizeof(path), "/n%d", i);
		v = fdt_getprop(buf, fdt_path_offset(buf, path), "reg", &len);
		assert_non_null(v);
		assert_int_equal(len, 4);
		assert_int_equal(fdt32_ld(v), i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_dtc),		 cmocka_unit_test(test_minimal_tree),
	    cmocka_unit_test(test_every_capacity),	 cmocka_unit_test(test_sticky_errors),
	    cmocka_unit_test(test_strings_deduplicated),
	};

	return cmocka_run_group_tests_name("fdt_write", tests, NULL, NULL);
}
