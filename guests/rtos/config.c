/* The command-line parser: space-separated key=value words, numbers in decimal or 0x hex. */
#include "config.h"
#include "kstring.h"

static bool word_is(const char *w, size_t len, const char *key, const char **val)
{
	size_t k = strlen(key);

	if (len <= k || strncmp(w, key, k) != 0 || w[k] != '=')
		return false;
	*val = w + k + 1;
	return true;
}

static uint64_t number(const char *s, const char *end)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; s < end; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			break;
		v = v * base + d;
	}
	return v;
}

/* enum ttu_mode (ttu.h): 0 = default, then off, echo, sink, channel. */
static unsigned ttu_mode_parse(const char *v, const char *end)
{
	static const char *const names[] = {"off", "echo", "sink", "channel"};

	for (unsigned i = 0; i < 4; i++) {
		size_t n = strlen(names[i]);

		if ((size_t)(end - v) == n && !strncmp(v, names[i], n))
			return i + 1;
	}
	return 0;
}

void config_parse(const char *args, struct rtos_config *c)
{
	*c = (struct rtos_config){
	    .lat_hz = 1000, .lat_n = 1000, .maxcpus = 4, .rr_ms = 10, .fuzz_seed = 1};

	while (args && *args) {
		const char *w = args, *v;
		size_t len;

		while (*args && *args != ' ')
			args++;
		len = (size_t)(args - w);
		while (*args == ' ')
			args++;
		if (word_is(w, len, "lat_hz", &v))
			c->lat_hz = (unsigned)number(v, w + len);
		else if (word_is(w, len, "lat_n", &v))
			c->lat_n = (unsigned)number(v, w + len);
		else if (word_is(w, len, "lat_cpu", &v))
			c->lat_cpu = (unsigned)number(v, w + len);
		else if (word_is(w, len, "lat_hist", &v))
			c->lat_hist = !strncmp(v, "on", 2);
		else if (word_is(w, len, "lat_el2", &v))
			c->lat_el2 = !strncmp(v, "on", 2);
		else if (word_is(w, len, "lat", &v))
			c->lat_off = !strncmp(v, "off", 3);
		else if (word_is(w, len, "conform", &v))
			c->conform = number(v, w + len) != 0;
		else if (word_is(w, len, "clock", &v))
			c->clock_phys = !strncmp(v, "phys", 4);
		else if (word_is(w, len, "maxcpus", &v))
			c->maxcpus = (unsigned)number(v, w + len);
		else if (word_is(w, len, "rr_ms", &v))
			c->rr_ms = (unsigned)number(v, w + len);
		else if (word_is(w, len, "test_reset_after", &v))
			c->test_reset_after = (unsigned)number(v, w + len);
		else if (word_is(w, len, "test_fault", &v))
			c->test_fault = number(v, w + len) != 0;
		else if (word_is(w, len, "test_fault_addr", &v))
			c->test_fault_addr = number(v, w + len);
		else if (word_is(w, len, "virtio_rng", &v))
			c->virtio_rng = (unsigned)number(v, w + len);
		else if (word_is(w, len, "fuzz", &v))
			c->fuzz = number(v, w + len);
		else if (word_is(w, len, "fuzz_seed", &v))
			c->fuzz_seed = number(v, w + len);
		else if (word_is(w, len, "fuzz_rounds", &v))
			c->fuzz_rounds = (unsigned)number(v, w + len);
		else if (word_is(w, len, "fuzz_cpus", &v))
			c->fuzz_cpus = (unsigned)number(v, w + len);
		else if (word_is(w, len, "fuzz_reset", &v))
			c->fuzz_reset = number(v, w + len) != 0;
		else if (word_is(w, len, "ttu_poll_us", &v))
			c->ttu_poll_us = (unsigned)number(v, w + len);
		else if (word_is(w, len, "vserial_ring", &v))
			c->vserial_ring = (unsigned)number(v, w + len);
		else if (word_is(w, len, "vserial_threshold", &v))
			c->vserial_threshold = (unsigned)number(v, w + len);
		else if (word_is(w, len, "vserial_delay_us", &v))
			c->vserial_delay_us = (unsigned)number(v, w + len);
		else if (word_is(w, len, "ttu", &v))
			c->ttu_mode = ttu_mode_parse(v, w + len);
	}
	if (!c->lat_hz)
		c->lat_hz = 1000;
	if (!c->lat_n)
		c->lat_n = 1000;
	if (!c->maxcpus)
		c->maxcpus = 1;
}
