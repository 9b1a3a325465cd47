/* AArch64 system-register accessors and the bit fields EL2 uses (Arm ARM DDI 0487). */
#ifndef ARCH_SYSREGS_H
#define ARCH_SYSREGS_H

#include <stdint.h>

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " #r : "=r"(__v));                                       \
		__v;                                                                               \
	})
#define write_sysreg(r, v)                                                                         \
	do {                                                                                       \
		uint64_t __v = (uint64_t)(v);                                                      \
		__asm__ volatile("msr " #r ", %0" : : "r"(__v));                                   \
	} while (0)

/* Registers without a name the assembler knows for every CPU model. */
#define ICH_HCR_EL2	S3_4_C12_C11_0
#define ICH_VTR_EL2	S3_4_C12_C11_1
#define ICH_MISR_EL2	S3_4_C12_C11_2
#define ICH_EISR_EL2	S3_4_C12_C11_3
#define ICH_ELRSR_EL2	S3_4_C12_C11_5
#define ICH_VMCR_EL2	S3_4_C12_C11_7
#define ICH_AP0R0_EL2	S3_4_C12_C8_0
#define ICH_AP1R0_EL2	S3_4_C12_C9_0
#define ICC_SRE_EL2	S3_4_C12_C9_5
#define ICC_SRE_EL1	S3_0_C12_C12_5
#define ICC_IAR1_EL1	S3_0_C12_C12_0
#define ICC_EOIR1_EL1	S3_0_C12_C12_1
#define ICC_DIR_EL1	S3_0_C12_C11_1
#define ICC_PMR_EL1	S3_0_C4_C6_0
#define ICC_CTLR_EL1	S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1	S3_0_C12_C11_5
#define ICC_SGI0R_EL1	S3_0_C12_C11_7
#define ICC_BPR1_EL1	S3_0_C12_C12_3
#define ICC_IAR0_EL1	S3_0_C12_C8_0
#define ICC_EOIR0_EL1	S3_0_C12_C8_1
#define ICC_BPR0_EL1	S3_0_C12_C8_3
#define ICC_IGRPEN0_EL1 S3_0_C12_C12_6
#define ICC_AP1R0_EL1	S3_0_C12_C9_0
#define ICC_AP1R1_EL1	S3_0_C12_C9_1
#define ICC_AP1R2_EL1	S3_0_C12_C9_2
#define ICC_AP1R3_EL1	S3_0_C12_C9_3

#define sync_barrier() __asm__ volatile("dsb sy; isb" ::: "memory")
#define isb()	       __asm__ volatile("isb" ::: "memory")
#define dsb(opt)       __asm__ volatile("dsb " #opt ::: "memory")

/* HCR_EL2 */
#define HCR_VM	   (1UL << 0)
#define HCR_SWIO   (1UL << 1)
#define HCR_FMO	   (1UL << 3)
#define HCR_IMO	   (1UL << 4)
#define HCR_AMO	   (1UL << 5)
#define HCR_VSE	   (1UL << 8)
#define HCR_FB	   (1UL << 9)
#define HCR_BSU_IS (1UL << 10)
#define HCR_TWI	   (1UL << 13)
#define HCR_TWE	   (1UL << 14)
#define HCR_TID3   (1UL << 18)
#define HCR_TSC	   (1UL << 19)
#define HCR_TACR   (1UL << 21)
#define HCR_RW	   (1UL << 31)
/* No guest loaded: physical IRQs, FIQs and SErrors still route to EL2 (else an idle
 * pCPU's WFI wakes for an interrupt that is never taken there). */
#define HCR_HOST (HCR_RW | HCR_IMO | HCR_FMO | HCR_AMO)
#define HCR_APK	 (1UL << 40)
#define HCR_API	 (1UL << 41)

/* SCTLR_EL2 (non-VHE) */
#define SCTLR_M	  (1UL << 0)
#define SCTLR_A	  (1UL << 1)
#define SCTLR_C	  (1UL << 2)
#define SCTLR_SA  (1UL << 3)
#define SCTLR_I	  (1UL << 12)
#define SCTLR_WXN (1UL << 19)
#define SCTLR_EL2_RES1                                                                             \
	((3UL << 28) | (3UL << 22) | (1UL << 18) | (1UL << 16) | (1UL << 11) | (3UL << 4))

/* ESR_EL2: see trap_decode.h (its layout and decoders, host-tested). */

/* PSTATE / SPSR */
#define PSR_MODE_EL0t 0x0
#define PSR_MODE_EL1t 0x4
#define PSR_MODE_EL1h 0x5
#define PSR_MODE_MASK 0xf
#define PSR_DAIF      (0xfUL << 6)
#define PSR_I	      (1UL << 7)  /* IRQs masked */
#define PSR_SS	      (1UL << 21) /* software step (SPSR_ELx.SS) */

#endif
