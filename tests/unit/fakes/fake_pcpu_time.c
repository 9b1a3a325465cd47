/* Stands in for core/pcpu_time.c: a pCPU's time is what the test put in its pcpus[i].time. */
#include <tandem/pcpu.h>

#include "fake.h"

void pcpu_time_snapshot(const struct pcpu *p, struct pcpu_time *out)
{
	*out = p->time;
}
