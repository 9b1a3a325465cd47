/*
 * What a guest trap's syndrome says: the ESR_EL2 layout (Arm ARM D17.2.40) and pure decoders
 * from syndrome and fault-address values to what the guest did. traps.c reads the registers,
 * decodes, and acts; vcpu_ctx.c builds the guest's own syndromes with the same names.
 *
 * The decoders are static inline: the trap path is hot (a null HVC is ~240 instructions) and a
 * call per trap would show. They touch no register, so the host tests compile them as they are
 * (tests/unit/test_trap_decode.c).
 */
#ifndef ARCH_AARCH64_TRAP_DECODE_H
#define ARCH_AARCH64_TRAP_DECODE_H

#include <tandem/types.h>

/* ESR_EL2: exception class, instruction length, syndrome. */
#define ESR_EC_SHIFT 26
#define ESR_EC(esr)  (((esr) >> ESR_EC_SHIFT) & 0x3f)
#define ESR_IL	     (1UL << 25)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

#define EC_UNKNOWN  0x00
#define EC_WFX	    0x01
#define EC_FP_ASIMD 0x07
#define EC_PAUTH    0x09
#define EC_ILLEGAL  0x0e
#define EC_SVC64    0x15
#define EC_HVC64    0x16
#define EC_SMC64    0x17
#define EC_SYSREG   0x18
#define EC_SVE	    0x19
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR   0x2f
#define EC_BRK64    0x3c

/* Data abort ISS (ESR_EL2 for a data abort from a lower EL); S1PTW is also an instruction
 * abort's. */
#define DABT_ISV       (1UL << 24)
#define DABT_SAS_SHIFT 22
#define DABT_SSE       (1UL << 21)
#define DABT_SRT_SHIFT 16
#define DABT_SF	       (1UL << 15)
#define DABT_CM	       (1UL << 8)
#define DABT_S1PTW     (1UL << 7)
#define DABT_WNR       (1UL << 6)

/* MSR/MRS ISS (EC 0x18): the encoding fields in place, as SYSREG() builds them. */
#define SYSREG(op0, op1, crn, crm, op2)                                                            \
	(((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
#define SYSREG_MASK SYSREG(3, 7, 15, 15, 7)

/* Bytes the trapped instruction takes (ESR.IL): a 16-bit one only from T32, which Tandem's
 * AArch64-only guests never run, but the architecture says so. */
static inline unsigned trap_insn_len(uint64_t esr)
{
	return 2 + (unsigned)((esr & ESR_IL) >> 24); /* 4 with IL (bit 25), else 2: no branch */
}

/* WFx (EC 0x01), ISS.TI: 0 WFI, 1 WFE, 2 WFIT, 3 WFET. Whether it waits for an interrupt
 * (WFI, WFIT: the vCPU idles) rather than for an event (WFE, WFET: it spins). */
static inline bool trap_wfx_is_wfi(uint64_t esr)
{
	return (esr & 1) == 0;
}

/* HVC and SMC (EC 0x16, 0x17): ELR_EL2 is past an HVC but at a trapped SMC (D1.11.2), so only
 * an SMC is skipped before returning. */
static inline bool trap_call_needs_skip(uint64_t esr)
{
	return ESR_EC(esr) == EC_SMC64;
}

/* An MSR or MRS that trapped. */
struct trap_sysreg {
	uint32_t enc; /* op0..op2 in place (SYSREG()), to switch on */
	unsigned op0, op1, crn, crm, op2;
	unsigned rt; /* 31: XZR */
	bool read;   /* MRS */
};

static inline struct trap_sysreg trap_decode_sysreg(uint64_t esr)
{
	uint32_t iss = (uint32_t)ESR_ISS(esr);

	return (struct trap_sysreg){
	    .enc = iss & SYSREG_MASK,
	    .op0 = (iss >> 20) & 3,
	    .op1 = (iss >> 14) & 7,
	    .crn = (iss >> 10) & 0xf,
	    .crm = (iss >> 1) & 0xf,
	    .op2 = (iss >> 17) & 7,
	    .rt = (iss >> 5) & 0x1f,
	    .read = iss & 1,
	};
}

/* Whether it reads an ID register (op0 3, op1 0, CRn 0, CRm 1-7: HCR_EL2.TID3 traps these). */
static inline bool trap_sysreg_is_id_read(const struct trap_sysreg *s)
{
	return s->op0 == 3 && s->op1 == 0 && s->crn == 0 && s->crm >= 1 && s->read;
}

/* A data abort taken to EL2 from the guest. */
struct trap_dabt {
	bool isv;      /* the syndrome describes the access (size, register): it can be emulated */
	bool write;    /* WnR */
	bool cm;       /* a cache maintenance instruction (DC ...), not a load or store */
	bool s1ptw;    /* the guest's stage-1 table walk faulted, not the access itself */
	bool sse;      /* a load sign-extends */
	bool sf;       /* the register is 64 bits wide (else a W register) */
	unsigned size; /* bytes: 1, 2, 4, 8 (with isv) */
	unsigned rt;   /* the register loaded or stored (with isv); 31: XZR */
};

static inline struct trap_dabt trap_decode_dabt(uint64_t esr)
{
	return (struct trap_dabt){
	    .isv = esr & DABT_ISV,
	    .write = esr & DABT_WNR,
	    .cm = esr & DABT_CM,
	    .s1ptw = esr & DABT_S1PTW,
	    .sse = esr & DABT_SSE,
	    .sf = esr & DABT_SF,
	    .size = 1U << ((esr >> DABT_SAS_SHIFT) & 3),
	    .rt = (esr >> DABT_SRT_SHIFT) & 0x1f,
	};
}

/* A store's value as the device sees it: the register's low `size` bytes. */
static inline uint64_t trap_store_value(const struct trap_dabt *d, uint64_t reg)
{
	return d->size == 8 ? reg : reg & ((1UL << (8 * d->size)) - 1);
}

/* A load's value as the destination register gets it: the access size, then SSE and SF.
 * The value is moved to the top and back (the MMIO read path is hot); only a sign-extending
 * load takes a branch. */
static inline uint64_t trap_load_value(const struct trap_dabt *d, uint64_t v)
{
	unsigned shift = 64 - 8 * d->size; /* 0 for a 64-bit access */

	v <<= shift;
	v = __builtin_expect(d->sse, 0) ? (uint64_t)((int64_t)v >> shift) : v >> shift;
	return d->sf ? v : (uint32_t)v;
}

/*
 * trap_load_value() from the syndrome alone, for a load that does not sign-extend (SSE clear:
 * the caller checks): the low `size` bytes, zero-extended. SF changes nothing then: an 8-byte
 * load is always to an X register (LDR Xt), and a narrower one fits in a W register either
 * way. One shift each way, by 64 - 8 * size taken mod 64 (as the shift instructions take it).
 */
static inline uint64_t trap_load_value_zx(uint64_t esr, uint64_t v)
{
	unsigned shift = (0U - (8U << ((esr >> DABT_SAS_SHIFT) & 3))) & 63;

	return v << shift >> shift;
}

/* The faulting IPA: the page from HPFAR_EL2.FIPA (from bit 4 up), the offset from FAR_EL2. */
static inline ipa_t trap_fault_ipa(uint64_t hpfar, uint64_t far)
{
	return ((hpfar >> 4) << 12) | (far & 0xfff);
}

#endif
