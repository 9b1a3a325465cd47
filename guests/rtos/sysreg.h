/* AArch64 system-register access and barriers (EL1). Only the arch files include this. */
#ifndef RTOS_SYSREG_H
#define RTOS_SYSREG_H

#include <stdint.h>

#define read_sysreg(reg)                                                                           \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " #reg : "=r"(__v));                                     \
		__v;                                                                               \
	})
#define write_sysreg(val, reg) __asm__ volatile("msr " #reg ", %x0" ::"rZ"((uint64_t)(val)))

#define isb()	    __asm__ volatile("isb" ::: "memory")
#define dsb(opt)    __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt)    __asm__ volatile("dmb " #opt ::: "memory")
#define wfi()	    __asm__ volatile("dsb sy; wfi" ::: "memory")
#define cpu_relax() __asm__ volatile("yield" ::: "memory")

/* GICv3 CPU-interface registers by encoding: assemblers without GICv3 names still take these. */
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1	S3_0_C12_C11_5

#define read_sysreg_s(enc)	 read_sysreg(enc)
#define write_sysreg_s(val, enc) write_sysreg(val, enc)

#define MPIDR_AFF_MASK 0xff00ffffffULL /* Aff3 [39:32], Aff2-Aff0 [23:0] */

/* ESR_EL1 fields (Arm ARM D17.2.40). */
#define ESR_EC(esr)  (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

#endif
