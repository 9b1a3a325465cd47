/*
 * Test helper: compiles device-tree source with the real dtc, the oracle the FDT reader and
 * writer and the config parser are checked against. Include after <cmocka.h>.
 */
#ifndef TANDEM_TEST_DTC_H
#define TANDEM_TEST_DTC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Compiles src (extra: more dtc options, "" for none); returns a malloc'd blob and its size. */
static inline void *dtc(const char *src, const char *extra, size_t *size)
{
	char in[] = "/tmp/tandem-dtc-XXXXXX", out[64], cmd[256];
	int fd = mkstemp(in);
	void *blob;
	FILE *f;
	long n;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, strlen(src)), (ssize_t)strlen(src));
	close(fd);
	snprintf(out, sizeof(out), "%s.dtb", in);
	snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb %s -o %s %s", extra, out, in);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	blob = malloc((size_t)n);
	assert_non_null(blob);
	assert_int_equal(fread(blob, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(in);
	unlink(out);
	*size = (size_t)n;
	return blob;
}

#endif
