/* The call log every shared fake writes to, and the questions tests ask of it. */
#include <string.h>

#include "fake.h"

struct fake_calls fake_calls;
struct fake_knobs fake_knobs;
void (*fake_on_call)(const struct fake_call *call);

void fake_calls_reset(void)
{
	memset(&fake_calls, 0, sizeof(fake_calls));
	memset(&fake_knobs, 0, sizeof(fake_knobs));
	fake_on_call = NULL;
}

void fake_calls_clear(void)
{
	fake_calls.n = 0;
	fake_calls.lost = 0;
}

void fake_record(const char *fn, const void *obj, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct fake_call c = {fn, obj, {a0, a1, a2}};

	if (fake_calls.n < FAKE_MAX_CALLS)
		fake_calls.call[fake_calls.n++] = c;
	else
		fake_calls.lost++;
	if (fake_on_call)
		fake_on_call(&c);
}

static bool match(const struct fake_call *c, const char *fn, const void *obj, bool any_obj)
{
	return strcmp(c->fn, fn) == 0 && (any_obj || c->obj == obj);
}

unsigned fake_count(const char *fn)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_calls.n; i++)
		n += match(&fake_calls.call[i], fn, NULL, true);
	return n;
}

unsigned fake_count_obj(const char *fn, const void *obj)
{
	unsigned n = 0;

	for (unsigned i = 0; i < fake_calls.n; i++)
		n += match(&fake_calls.call[i], fn, obj, false);
	return n;
}

const struct fake_call *fake_last(const char *fn)
{
	for (unsigned i = fake_calls.n; i-- > 0;)
		if (match(&fake_calls.call[i], fn, NULL, true))
			return &fake_calls.call[i];
	return NULL;
}

const struct fake_call *fake_last_obj(const char *fn, const void *obj)
{
	for (unsigned i = fake_calls.n; i-- > 0;)
		if (match(&fake_calls.call[i], fn, obj, false))
			return &fake_calls.call[i];
	return NULL;
}

int fake_first(const char *fn)
{
	for (unsigned i = 0; i < fake_calls.n; i++)
		if (match(&fake_calls.call[i], fn, NULL, true))
			return (int)i;
	return -1;
}

int fake_first_obj(const char *fn, const void *obj)
{
	for (unsigned i = 0; i < fake_calls.n; i++)
		if (match(&fake_calls.call[i], fn, obj, false))
			return (int)i;
	return -1;
}
