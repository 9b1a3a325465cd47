/* unit-sources: */
/*
 * common/format.c (linked into every unit test), the formatter of the hypervisor and the RTOS:
 * numbers with every flag and width against the host libc's snprintf as the oracle, then what
 * libc does differently or leaves undefined: truncation, %p, %s of NULL, unknown conversions.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <common/format.h>

static char out[128];

/* No format attribute: the edge cases below are formats the compiler would rightly warn about. */
static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf_td(buf, len, f, ap);
	va_end(ap);
	return n;
}

#define expect_fmt(want, ...)                                                                      \
	do {                                                                                       \
		int n_ = fmt(out, sizeof(out), __VA_ARGS__);                                       \
		assert_string_equal(out, want);                                                    \
		assert_int_equal(n_, strlen(want));                                                \
	} while (0)

/* --- numbers, against libc --- */

static const char *const int_formats[] = {"%d", "%i", "%1d", "%6d", "%-6d|", "%06d", "%-06d|"};
static const int ints[] = {0, 1, -1, 42, -42, 99999, -99999, INT_MAX, INT_MIN};

static const char *const uint_formats[] = {"%u", "%x", "%X", "%8u", "%08x", "%-8X|", "%02x", "%4u"};
static const unsigned uints[] = {0, 1, 9, 10, 0xabc, 0x7fffffff, UINT_MAX};

static const char *const ll_formats[] = {"%lld", "%ld", "%20lld", "%020lld", "%-21lld|"};
static const long long lls[] = {0, -1, 1LL << 40, -(1LL << 40), LLONG_MAX, LLONG_MIN};

static const char *const ull_formats[] = {"%llu",   "%llx",  "%lx", "%016llx",
					  "%07llx", "%08lx", "%lu", "%-18llX|"};
static const unsigned long long ulls[] = {0, 1, 0xdeadbeefULL, 1ULL << 63, ULLONG_MAX};

static void check_against_libc(const char *f, int ours, const char *want, int want_n)
{
	if (strcmp(out, want) != 0 || ours != want_n)
		fail_msg("format \"%s\": got \"%s\" (%d), libc gives \"%s\" (%d)", f, out, ours,
			 want, want_n);
}

static void test_int_matches_libc(void **state)
{
	char want[sizeof(out)];

	for (size_t f = 0; f < sizeof(int_formats) / sizeof(int_formats[0]); f++)
		for (size_t v = 0; v < sizeof(ints) / sizeof(ints[0]); v++) {
			int n = fmt(out, sizeof(out), int_formats[f], ints[v]);
			int want_n = snprintf(want, sizeof(want), int_formats[f], ints[v]);

			check_against_libc(int_formats[f], n, want, want_n);
		}
}

static void test_unsigned_matches_libc(void **state)
{
	char want[sizeof(out)];

	for (size_t f = 0; f < sizeof(uint_formats) / sizeof(uint_formats[0]); f++)
		for (size_t v = 0; v < sizeof(uints) / sizeof(uints[0]); v++) {
			int n = fmt(out, sizeof(out), uint_formats[f], uints[v]);
			int want_n = snprintf(want, sizeof(want), uint_formats[f], uints[v]);

			check_against_libc(uint_formats[f], n, want, want_n);
		}
}

static void test_64bit_matches_libc(void **state)
{
	char want[sizeof(out)];

	for (size_t f = 0; f < sizeof(ll_formats) / sizeof(ll_formats[0]); f++)
		for (size_t v = 0; v < sizeof(lls) / sizeof(lls[0]); v++) {
			int n = fmt(out, sizeof(out), ll_formats[f], lls[v]);
			int want_n = snprintf(want, sizeof(want), ll_formats[f], lls[v]);

			check_against_libc(ll_formats[f], n, want, want_n);
		}
	for (size_t f = 0; f < sizeof(ull_formats) / sizeof(ull_formats[0]); f++)
		for (size_t v = 0; v < sizeof(ulls) / sizeof(ulls[0]); v++) {
			int n = fmt(out, sizeof(out), ull_formats[f], ulls[v]);
			int want_n = snprintf(want, sizeof(want), ull_formats[f], ulls[v]);

			check_against_libc(ull_formats[f], n, want, want_n);
		}
}

static void test_size_t_and_long(void **state)
{
	expect_fmt("18446744073709551615", "%zu", SIZE_MAX);
	expect_fmt("     0", "%6zu", (size_t)0);
	expect_fmt("-9223372036854775808", "%ld", LONG_MIN);
	expect_fmt("ffffffffffffffff", "%lx", ULONG_MAX);
	/* Without a length modifier only 32 bits are read. */
	expect_fmt("4294967295 -1", "%u %d", UINT_MAX, -1);
}

static void test_negative_zero_padding(void **state)
{
	/* The '-' goes before the zeros and counts in the width, as in C's printf. */
	expect_fmt("-0042", "%05d", -42);
	expect_fmt("-42", "%02d", -42);
	expect_fmt("  -42", "%5d", -42);
	expect_fmt("-42  |", "%-5d|", -42);
	expect_fmt("-42  |", "%-05d|", -42); /* '-' wins over '0' */
	expect_fmt("-000000000000001", "%016lld", -1LL);
}

/* --- strings, characters, pointers --- */

static void test_strings_and_chars(void **state)
{
	expect_fmt("vm rtos: ok", "vm %s: %s", "rtos", "ok");
	expect_fmt("   ab|ab   |", "%5s|%-5s|", "ab", "ab");
	expect_fmt("toolong", "%3s", "toolong");
	expect_fmt("(null)", "%s", (const char *)NULL);
	expect_fmt("  (null)", "%8s", (const char *)NULL);
	expect_fmt("x=A%", "x=%c%%", 'A');
	expect_fmt("", "%s", "");
}

static void test_pointer(void **state)
{
	expect_fmt("0x1234abcd", "%p", (void *)0x1234abcdUL);
	expect_fmt("0xffff000040000000", "%p", (void *)0xffff000040000000UL);
	expect_fmt("0x0", "%p", NULL); /* libc prints "(nil)" */
}

static void test_unknown_and_trailing_percent(void **state)
{
	/* An unknown conversion is printed as written and consumes no argument. */
	expect_fmt("%q 7", "%q %d", 7);
	expect_fmt("%h", "%h");
	/* A '%' at the very end prints nothing and does not read past the terminator. */
	expect_fmt("50", "50%");
	expect_fmt("ab", "ab%-0");
}

/* --- buffer bounds and the return value --- */

static void test_truncation(void **state)
{
	char buf[16];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(fmt(buf, 5, "hello world"), 11);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], '#'); /* nothing past len */

	memset(buf, '#', sizeof(buf));
	assert_int_equal(fmt(buf, 4, "%d|%s", -12345, "abc"), 10);
	assert_string_equal(buf, "-12");
	assert_int_equal(buf[4], '#');

	/* Exactly fits, and one short of fitting. */
	assert_int_equal(fmt(buf, 6, "%05u", 7), 5);
	assert_string_equal(buf, "00007");
	assert_int_equal(fmt(buf, 5, "%05u", 7), 5);
	assert_string_equal(buf, "0000");

	/* len 1: just the terminator; len 0: the buffer is not touched at all. */
	memset(buf, '#', sizeof(buf));
	assert_int_equal(fmt(buf, 1, "%s", "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], '#');
	memset(buf, '#', sizeof(buf));
	assert_int_equal(fmt(buf, 0, "%x", 0xabcu), 3);
	assert_int_equal(buf[0], '#');
	assert_int_equal(fmt(NULL, 0, "%llu", 123ULL), 3); /* sizing call */
}

static void test_appending_in_pieces(void **state)
{
	/* The RTOS builds its LATHIST lines this way: each call appends at the returned length. */
	char line[32];
	size_t len = (size_t)snprintf_td(line, sizeof(line), "LAT n=%u", 3u);

	for (unsigned i = 0; i < 3; i++)
		len += (size_t)snprintf_td(line + len, sizeof(line) - len, " %u:%u", i, i * 10);
	assert_string_equal(line, "LAT n=3 0:0 1:10 2:20");
	assert_int_equal(len, strlen(line));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int_matches_libc),
	    cmocka_unit_test(test_unsigned_matches_libc),
	    cmocka_unit_test(test_64bit_matches_libc),
	    cmocka_unit_test(test_size_t_and_long),
	    cmocka_unit_test(test_negative_zero_padding),
	    cmocka_unit_test(test_strings_and_chars),
	    cmocka_unit_test(test_pointer),
	    cmocka_unit_test(test_unknown_and_trailing_percent),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_appending_in_pieces),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
