/* Stands in for the arch's per-CPU pointer: the pCPU a test says is running (fake_knobs). */
#include <tandem/pcpu.h>

#include "fake.h"

struct pcpu *pcpu_this(void)
{
	return fake_knobs.this_pcpu ? fake_knobs.this_pcpu : &pcpus[0];
}
