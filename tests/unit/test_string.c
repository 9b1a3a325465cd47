/* unit-sources: */
/*
 * common/string.c (linked into every unit test), the memory and string functions of the
 * hypervisor and the RTOS: every alignment and length around the word-copy paths, overlapping
 * moves both ways, byte signedness in comparisons, strlcpy's truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <common/string.h>

/*
 * Called through pointers so the compiler cannot expand them as its builtins: the test must
 * run common/string.c's code.
 */
static void *(*volatile memcpy_f)(void *, const void *, size_t) = memcpy;
static void *(*volatile memmove_f)(void *, const void *, size_t) = memmove;
static void *(*volatile memset_f)(void *, int, size_t) = memset;
static int (*volatile memcmp_f)(const void *, const void *, size_t) = memcmp;
static size_t (*volatile strlen_f)(const char *) = strlen;
static size_t (*volatile strnlen_f)(const char *, size_t) = strnlen;
static int (*volatile strcmp_f)(const char *, const char *) = strcmp;
static int (*volatile strncmp_f)(const char *, const char *, size_t) = strncmp;
static char *(*volatile strchr_f)(const char *, int) = strchr;
static size_t (*volatile strlcpy_f)(char *, const char *, size_t) = strlcpy;

#define BUF  64
#define FILL 0xa5

static uint8_t src[BUF], dst[BUF];

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* Bytes [off, off+n) of dst must equal want[0..n), and every other byte must still be FILL. */
static void check_span(size_t off, size_t n, const uint8_t *want)
{
	for (size_t i = 0; i < BUF; i++) {
		uint8_t expect = i >= off && i < off + n ? want[i - off] : FILL;

		if (dst[i] != expect)
			fail_msg("off %zu len %zu: byte %zu is 0x%02x, want 0x%02x", off, n, i,
				 dst[i], expect);
	}
}

static void test_memcpy_every_alignment(void **state)
{
	fill_pattern(src, BUF, 1);
	for (size_t soff = 0; soff < 8; soff++)
		for (size_t doff = 0; doff < 8; doff++)
			for (size_t n = 0; n <= 40; n++) {
				memset(dst, FILL, BUF);
				assert_ptr_equal(memcpy_f(dst + doff, src + soff, n), dst + doff);
				check_span(doff, n, src + soff);
			}
}

static void test_memset_every_alignment(void **state)
{
	uint8_t want[BUF];

	memset(want, 0x3c, sizeof(want));
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n <= 40; n++) {
			memset(dst, FILL, BUF);
			/* Only the low byte of c counts. */
			assert_ptr_equal(memset_f(dst + off, 0x13c, n), dst + off);
			check_span(off, n, want);
		}
}

static void test_memmove_overlaps(void **state)
{
	uint8_t want[BUF];

	for (size_t from = 0; from < 16; from++)
		for (size_t to = 0; to < 16; to++)
			for (size_t n = 0; n <= 40; n++) {
				fill_pattern(dst, BUF, 3);
				memcpy(want, dst + from, n);
				assert_ptr_equal(memmove_f(dst + to, dst + from, n), dst + to);
				if (memcmp(dst + to, want, n) != 0)
					fail_msg("memmove %zu -> %zu, %zu bytes", from, to, n);
			}
}

static void test_memcmp(void **state)
{
	assert_int_equal(memcmp_f("abc", "abd", 0), 0);
	assert_int_equal(memcmp_f("abc", "abc", 3), 0);
	assert_true(memcmp_f("abc", "abd", 3) < 0);
	assert_true(memcmp_f("abd", "abc", 3) > 0);
	/* Bytes compare as unsigned. */
	assert_true(memcmp_f("\x80", "\x7f", 1) > 0);
	assert_int_equal(memcmp_f("ab\0x", "ab\0y", 3), 0); /* NUL is just a byte: stops at n */
}

static void test_lengths(void **state)
{
	assert_int_equal(strlen_f(""), 0);
	assert_int_equal(strlen_f("hypervisor"), 10);
	assert_int_equal(strnlen_f("hypervisor", 4), 4);
	assert_int_equal(strnlen_f("hyp", 10), 3);
	assert_int_equal(strnlen_f("hyp", 0), 0);
	/* strnlen must not read past max: the byte after the first 4 is not a string. */
	char no_nul[4] = {'a', 'b', 'c', 'd'};

	assert_int_equal(strnlen_f(no_nul, sizeof(no_nul)), 4);
}

/* strnlen reads a word at a time once aligned: every start alignment, NUL place and max. */
static void test_strnlen_every_alignment(void **state)
{
	_Alignas(8) char buf[64];

	for (size_t start = 0; start < 8; start++) {
		for (size_t nul = start; nul < 40; nul++) {
			memset(buf, 'x', sizeof(buf));
			buf[nul] = '\0';
			buf[nul + 9] = '\0'; /* a second NUL a word later must not count */
			for (size_t max = 0; max + start <= 48; max++) {
				size_t want = nul - start < max ? nul - start : max;

				if (strnlen_f(buf + start, max) != want)
					fail_msg("start %zu nul %zu max %zu: %zu, want %zu", start,
						 nul, max, strnlen_f(buf + start, max), want);
			}
		}
	}
	/* High bytes (0x80..0xff) are not NULs. */
	memset(buf, 0xff, sizeof(buf));
	buf[20] = '\0';
	assert_int_equal(strnlen_f(buf, sizeof(buf)), 20);
	memset(buf, 0x80, sizeof(buf));
	buf[33] = '\0';
	assert_int_equal(strnlen_f(buf + 1, sizeof(buf) - 1), 32);
}

static void test_compare_strings(void **state)
{
	assert_int_equal(strcmp_f("", ""), 0);
	assert_int_equal(strcmp_f("rtos", "rtos"), 0);
	assert_true(strcmp_f("rtos", "rtos2") < 0);
	assert_true(strcmp_f("rtos2", "rtos") > 0);
	assert_true(strcmp_f("a", "b") < 0);
	assert_true(strcmp_f("\xff", "a") > 0); /* as unsigned char */

	assert_int_equal(strncmp_f("linux0", "linux1", 5), 0);
	assert_true(strncmp_f("linux0", "linux1", 6) < 0);
	assert_int_equal(strncmp_f("ab", "ab", 10), 0); /* stops at the common NUL */
	assert_true(strncmp_f("ab", "abc", 10) < 0);
	assert_true(strncmp_f("\x80", "\x01", 1) > 0);
	assert_int_equal(strncmp_f("x", "y", 0), 0);
}

static void test_strchr(void **state)
{
	const char *s = "vm@40000000";

	assert_ptr_equal(strchr_f(s, '@'), s + 2);
	assert_ptr_equal(strchr_f(s, '0'), s + 4); /* the first */
	assert_null(strchr_f(s, 'x'));
	assert_ptr_equal(strchr_f(s, '\0'), s + strlen(s)); /* the terminator is found */
	assert_ptr_equal(strchr_f(s, 0x100 + '@'), s + 2);  /* c converts to char */
}

static void test_strlcpy(void **state)
{
	char buf[8];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(strlcpy_f(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(buf[4], '#');

	/* Truncates to len - 1 and terminates; returns the length it wanted. */
	assert_int_equal(strlcpy_f(buf, "0123456789", sizeof(buf)), 10);
	assert_string_equal(buf, "0123456");

	assert_int_equal(strlcpy_f(buf, "", sizeof(buf)), 0);
	assert_string_equal(buf, "");

	memset(buf, '#', sizeof(buf));
	assert_int_equal(strlcpy_f(buf, "abc", 1), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], '#');
	memset(buf, '#', sizeof(buf));
	assert_int_equal(strlcpy_f(buf, "abc", 0), 3); /* len 0: nothing written */
	assert_int_equal(buf[0], '#');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memcpy_every_alignment),
	    cmocka_unit_test(test_memset_every_alignment),
	    cmocka_unit_test(test_memmove_overlaps),
	    cmocka_unit_test(test_memcmp),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_strnlen_every_alignment),
	    cmocka_unit_test(test_compare_strings),
	    cmocka_unit_test(test_strchr),
	    cmocka_unit_test(test_strlcpy),
	};

	return cmocka_run_group_tests_name("string", tests, NULL, NULL);
}
