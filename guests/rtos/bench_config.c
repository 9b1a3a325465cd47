/* The bench words of the command line: bench=MODE[,MODE...], bench_n=N, bench_iters=N. */
#include "bench.h"
#include "kstring.h"

static const struct {
	const char *name;
	unsigned bit;
} mode_names[] = {
    {"hvc", BENCH_HVC},		{"mmio", BENCH_MMIO}, {"sgi", BENCH_SGI},
    {"compute", BENCH_COMPUTE}, {"boot", BENCH_BOOT},
};

static unsigned parse_number(const char *s, const char *end)
{
	unsigned v = 0;

	for (; s < end && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned)(*s - '0');
	return v;
}

/* "hvc,mmio": the bits of the names between s and end; unknown names count for nothing. */
static unsigned parse_modes(const char *s, const char *end)
{
	unsigned bits = 0;

	while (s < end) {
		const char *name = s;

		while (s < end && *s != ',')
			s++;
		for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
			size_t k = strlen(mode_names[i].name);

			if ((size_t)(s - name) == k && !strncmp(name, mode_names[i].name, k))
				bits |= mode_names[i].bit;
		}
		if (s < end)
			s++; /* the comma */
	}
	return bits;
}

/* If the word [w, end) is "key=value", returns the value's start, else NULL. */
static const char *value_of(const char *w, const char *end, const char *key)
{
	size_t k = strlen(key);

	if ((size_t)(end - w) <= k || strncmp(w, key, k) != 0 || w[k] != '=')
		return NULL;
	return w + k + 1;
}

void bench_parse(const char *args, struct bench_config *c)
{
	*c = (struct bench_config){.n = 1000, .iters = 20, .sgi_cpu = 1};

	while (args && *args) {
		const char *w = args, *v;

		while (*args && *args != ' ')
			args++;
		if ((v = value_of(w, args, "bench")))
			c->modes = parse_modes(v, args);
		else if ((v = value_of(w, args, "bench_n")))
			c->n = parse_number(v, args);
		else if ((v = value_of(w, args, "bench_iters")))
			c->iters = parse_number(v, args);
		else if ((v = value_of(w, args, "bench_sgi_cpu")))
			c->sgi_cpu = parse_number(v, args);
		while (*args == ' ')
			args++;
	}
	if (!c->n)
		c->n = 1;
	if (c->n > BENCH_N_MAX)
		c->n = BENCH_N_MAX;
	if (!c->iters)
		c->iters = 1;
}
