/*
 * The traps arch/aarch64/traps.c decodes but does not decide: a fault, an exception class or a
 * system register Tandem does not handle, an SError, the emulated EL1 physical timer. The arch
 * layer hands each over decoded, as a domain event; core/trap_events.c decides (the log line,
 * failing the VM) and says what the arch layer must do to the guest.
 */
#ifndef TANDEM_TRAP_EVENTS_H
#define TANDEM_TRAP_EVENTS_H

#include <tandem/types.h>
#include <tandem/vtimer.h>

struct vcpu;

/* A stage-2 fault the trap could not emulate, decoded. */
enum trap_fault_kind {
	TRAP_FAULT_TABLE_WALK, /* the guest's stage-1 table walk read an IPA with no RAM */
	TRAP_FAULT_FETCH,      /* an instruction fetch (from IPA, or its stage-1 walk: s1ptw) */
	TRAP_FAULT_DATA,       /* a load or store no region took (err) or without syndrome (!isv) */
};

struct trap_fault {
	enum trap_fault_kind kind;
	ipa_t ipa;
	uint64_t pc;
	bool write; /* data: a store */
	bool isv;   /* data: the syndrome was valid (size is known) */
	bool s1ptw; /* fetch: the fetch's stage-1 walk faulted */
	unsigned size;
	int err; /* data with isv: what the region's handler returned (-ERR_NOENT: no region) */
};

enum trap_verdict {
	TRAP_INJECT_ABORT, /* give the guest an external abort at the faulting address */
	TRAP_VM_FAILED,	   /* the VM failed (vm_fail): neither resume nor skip */
};

/* Logs what the guest did and decides between an abort for it and failing its VM. */
enum trap_verdict trap_fault(struct vcpu *vcpu, const struct trap_fault *f);

/* An exception class (ec, of ESR esr) with no handler: one guest-log line; UNDEF follows. */
void trap_unknown_class(struct vcpu *vcpu, unsigned ec, uint64_t esr, uint64_t pc);

/* A system register Tandem neither emulates nor ignores: one guest-log line; UNDEF follows. */
void trap_unknown_sysreg(struct vcpu *vcpu, bool read, unsigned op0, unsigned op1, unsigned crn,
			 unsigned crm, unsigned op2);

/* An SError taken from the guest: logged, the VM fails (its on-failure policy applies). */
void trap_serror(struct vcpu *vcpu, uint64_t esr, uint64_t pc);

/* CNTP_{TVAL,CTL,CVAL}_EL0, trapped: the emulated EL1 physical timer (virt/vtimer.c). */
uint64_t trap_ptimer_read(struct vcpu *vcpu, enum vtimer_reg reg);
void trap_ptimer_write(struct vcpu *vcpu, enum vtimer_reg reg, uint64_t val);

#endif
