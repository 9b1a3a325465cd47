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

/*
 * snprintf_td without its format checks (the attribute belongs to the declaration, not to the
 * pointer's type; volatile keeps the compiler from seeing through it): for formats from tables,
 * and for formats the compiler would rightly warn about.
 */
static int (*volatile const unchecked_snprintf_td)(char *, size_t, const char *, ...) = snprintf_td;

#define expect_fmt_with(print, want, ...)                                                          \
	do {                                                                                       \
		int n_ = print(out, sizeof(out), __VA_ARGS__);                                     \
		assert_string_equal(out, want);                                                    \
		assert_int_equal(n_, strlen(want));                                                \
	} while (0)
#define expect_fmt(want, ...)		expect_fmt_with(snprintf_td, want, __VA_ARGS__)
#define expect_fmt_unchecked(want, ...) expect_fmt_with(unchecked_snprintf_td, want, __VA_ARGS__)

/* --- numbers, against libc --- */

enum arg_type { ARG_INT, ARG_UNSIGNED, ARG_LLONG, ARG_ULLONG };

static const struct {
	const char *format;
	enum arg_type type;
} number_formats[] = {
    {"%d", ARG_INT},	      {"%i", ARG_INT},	       {"%1d", ARG_INT},
    {"%6d", ARG_INT},	      {"%-6d|", ARG_INT},      {"%06d", ARG_INT},
    {"%-06d|", ARG_INT},      {"%u", ARG_UNSIGNED},    {"%x", ARG_UNSIGNED},
    {"%X", ARG_UNSIGNED},     {"%8u", ARG_UNSIGNED},   {"%08x", ARG_UNSIGNED},
    {"%-8X|", ARG_UNSIGNED},  {"%02x", ARG_UNSIGNED},  {"%4u", ARG_UNSIGNED},
    {"%lld", ARG_LLONG},      {"%ld", ARG_LLONG},      {"%20lld", ARG_LLONG},
    {"%020lld", ARG_LLONG},   {"%-21lld|", ARG_LLONG}, {"%llu", ARG_ULLONG},
    {"%llx", ARG_ULLONG},     {"%lx", ARG_ULLONG},     {"%016llx", ARG_ULLONG},
    {"%07llx", ARG_ULLONG},   {"%08lx", ARG_ULLONG},   {"%lu", ARG_ULLONG},
    {"%-18llX|", ARG_ULLONG},
};

/* Each is passed to every format above, converted to that format's argument type. */
static const unsigned long long number_values[] = {
    0,	       1,	  -1ULL,      9,       10,	 42,	     -42ULL,	    99999,
    -99999ULL, 0xabc,	  INT_MAX,    INT_MIN, UINT_MAX, 1ULL << 40, -(1ULL << 40), 0xdeadbeefULL,
    LLONG_MAX, LLONG_MIN, ULLONG_MAX,
};

static void expect_like_libc(const char *f, enum arg_type type, unsigned long long v)
{
	char want[sizeof(out)];
	int n = 0, want_n = 0;

	switch (type) {
	case ARG_INT:
		n = unchecked_snprintf_td(out, sizeof(out), f, (int)v);
		want_n = snprintf(want, sizeof(want), f, (int)v);
		break;
	case ARG_UNSIGNED:
		n = unchecked_snprintf_td(out, sizeof(out), f, (unsigned)v);
		want_n = snprintf(want, sizeof(want), f, (unsigned)v);
		break;
	case ARG_LLONG:
		n = unchecked_snprintf_td(out, sizeof(out), f, (long long)v);
		want_n = snprintf(want, sizeof(want), f, (long long)v);
		break;
	case ARG_ULLONG:
		n = unchecked_snprintf_td(out, sizeof(out), f, v);
		want_n = snprintf(want, sizeof(want), f, v);
		break;
	}
	if (strcmp(out, want) != 0 || n != want_n)
		fail_msg("format \"%s\" of 0x%llx: got \"%s\" (%d), libc gives \"%s\" (%d)", f, v,
			 out, n, want, want_n);
}

static void test_numbers_match_libc(void **state)
{
	for (size_t f = 0; f < sizeof(number_formats) / sizeof(number_formats[0]); f++)
		for (size_t v = 0; v < sizeof(number_values) / sizeof(number_values[0]); v++)
			expect_like_libc(number_formats[f].format, number_formats[f].type,
					 number_values[v]);
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
	expect_fmt_unchecked("-42  |", "%-05d|", -42); /* '-' wins over '0' */
	expect_fmt("-000000000000001", "%016lld", -1LL);
}

/* --- strings, characters, pointers --- */

static void test_strings_and_chars(void **state)
{
	expect_fmt("vm rtos: ok", "vm %s: %s", "rtos", "ok");
	expect_fmt("   ab|ab   |", "%5s|%-5s|", "ab", "ab");
	expect_fmt("toolong", "%3s", "toolong");
	expect_fmt_unchecked("(null)", "%s", (const char *)NULL); /* C leaves it undefined */
	expect_fmt_unchecked("  (null)", "%8s", (const char *)NULL);
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
	expect_fmt_unchecked("%q 7", "%q %d", 7);
	expect_fmt_unchecked("%h", "%h");
	/* A '%' at the very end prints nothing and does not read past the terminator. */
	expect_fmt_unchecked("50", "50%");
	expect_fmt_unchecked("ab", "ab%-0");
}

/* --- buffer bounds and the return value --- */

static void test_truncation(void **state)
{
	char buf[16];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(snprintf_td(buf, 5, "hello world"), 11);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], '#'); /* nothing past len */

	memset(buf, '#', sizeof(buf));
	assert_int_equal(snprintf_td(buf, 4, "%d|%s", -12345, "abc"), 10);
	assert_string_equal(buf, "-12");
	assert_int_equal(buf[4], '#');

	/* Exactly fits, and one short of fitting. */
	assert_int_equal(snprintf_td(buf, 6, "%05u", 7), 5);
	assert_string_equal(buf, "00007");
	assert_int_equal(snprintf_td(buf, 5, "%05u", 7), 5);
	assert_string_equal(buf, "0000");

	/* len 1: just the terminator; len 0: the buffer is not touched at all. */
	memset(buf, '#', sizeof(buf));
	assert_int_equal(snprintf_td(buf, 1, "%s", "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], '#');
	memset(buf, '#', sizeof(buf));
	assert_int_equal(snprintf_td(buf, 0, "%x", 0xabcu), 3);
	assert_int_equal(buf[0], '#');
	assert_int_equal(snprintf_td(NULL, 0, "%llu", 123ULL), 3); /* sizing call */
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
	    cmocka_unit_test(test_numbers_match_libc),
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
