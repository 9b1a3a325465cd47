/* Emits structure sizes and offsets that the assembly needs (parsed into asm-offsets.h). */
#include <tandem/pcpu.h>
#include <tandem/vcpu.h>

#define DEFINE(sym, val) __asm__ volatile("\n@@OFFSET " #sym " %0" : : "i"(val))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(GUEST_REGS_SIZE, sizeof(struct guest_regs));
	DEFINE(GUEST_REGS_PC, offsetof(struct guest_regs, pc));
	DEFINE(GUEST_REGS_PSTATE, offsetof(struct guest_regs, pstate));
	DEFINE(PCPU_SIZE, sizeof(struct pcpu));
	DEFINE(PCPU_STACK_SIZE_ASM, PCPU_STACK_SIZE);
}
