/*
 * What the core does with the traps the arch layer decodes but does not decide
 * (tandem/trap_events.h): the guest-log lines of faults and unhandled traps, and when a fault
 * fails the VM instead of giving the guest an abort. None of it is on a hot path.
 */
#include <tandem/errno.h>
#include <tandem/failover.h>
#include <tandem/guest_log.h>
#include <tandem/log.h>
#include <tandem/mmio.h>
#include <tandem/trap_events.h>
#include <tandem/vcpu.h>
#include <tandem/vm.h>
#include <tandem/vtimer.h>

/* What is at an IPA that faulted at stage 2, for the log line. */
static const char *ipa_what(struct vcpu *vcpu, ipa_t ipa)
{
	return mmio_find(vcpu->vm, ipa) ? "an emulated device" : "nothing";
}

/*
 * on-unmapped-access = "fail": an access where the VM has nothing (no RAM, no device) is a fatal
 * fault instead of an external abort for the guest to survive. A VM whose stray pointer lands
 * there is corrupt; a failover member is better failed over at once than left running on.
 * Returns whether the VM failed (its vCPU then neither resumes nor skips the instruction).
 */
static bool unmapped_fails(struct vcpu *vcpu, const struct trap_fault *f, const char *what)
{
	if (vcpu->vm->cfg->on_unmapped != CFG_ON_UNMAPPED_FAIL)
		return false;
	log_error("vm %s vcpu %u: %s IPA 0x%llx, where %s is (pc 0x%llx): a fatal fault "
		  "(on-unmapped-access = \"fail\")",
		  vcpu->vm->name, vcpu->id, what, (unsigned long long)f->ipa,
		  ipa_what(vcpu, f->ipa), (unsigned long long)f->pc);
	vm_fail(vcpu->vm, FAILOVER_FAULT, "unmapped access (a fatal fault)");
	return true;
}

static enum trap_verdict table_walk(struct vcpu *vcpu, const struct trap_fault *f)
{
	/* The guest's own page tables point where there is no RAM. */
	if (unmapped_fails(vcpu, f, "stage-1 table walk reads"))
		return TRAP_VM_FAILED;
	guest_log(vcpu->vm, GLOG_TABLE_WALK,
		  "error: vm %s vcpu %u: stage-1 table walk reads IPA 0x%llx, where %s is "
		  "(pc 0x%llx): external abort injected",
		  vcpu->vm->name, vcpu->id, (unsigned long long)f->ipa, ipa_what(vcpu, f->ipa),
		  (unsigned long long)f->pc);
	return TRAP_INJECT_ABORT;
}

static enum trap_verdict fetch(struct vcpu *vcpu, const struct trap_fault *f)
{
	if (unmapped_fails(vcpu, f, "instruction fetch from"))
		return TRAP_VM_FAILED;
	guest_log(vcpu->vm, GLOG_FETCH,
		  "error: vm %s vcpu %u: instruction fetch %s IPA 0x%llx, where %s is (pc "
		  "0x%llx): external abort injected",
		  vcpu->vm->name, vcpu->id, f->s1ptw ? "whose stage-1 table walk reads" : "from",
		  (unsigned long long)f->ipa, ipa_what(vcpu, f->ipa), (unsigned long long)f->pc);
	return TRAP_INJECT_ABORT;
}

static enum trap_verdict data(struct vcpu *vcpu, const struct trap_fault *f)
{
	int err = f->err;

	if (!f->isv)
		err = mmio_find(vcpu->vm, f->ipa) ? -ERR_INVAL : -ERR_NOENT;
	if (err == -ERR_NOENT && unmapped_fails(vcpu, f, f->write ? "write to" : "read of"))
		return TRAP_VM_FAILED;
	if (err == -ERR_NOENT)
		guest_log(
		    vcpu->vm, GLOG_UNMAPPED,
		    "error: vm %s vcpu %u: unmapped IPA 0x%llx (%s, pc 0x%llx): external abort "
		    "injected",
		    vcpu->vm->name, vcpu->id, (unsigned long long)f->ipa,
		    f->write ? "write" : "read", (unsigned long long)f->pc);
	else if (!f->isv)
		guest_log(
		    vcpu->vm, GLOG_NO_SYNDROME,
		    "error: vm %s vcpu %u: MMIO access at IPA 0x%llx without a valid syndrome "
		    "(pc 0x%llx): external abort injected",
		    vcpu->vm->name, vcpu->id, (unsigned long long)f->ipa,
		    (unsigned long long)f->pc);
	else
		guest_log(
		    vcpu->vm, GLOG_REFUSED,
		    "error: vm %s vcpu %u: emulated %s of %u bytes at IPA 0x%llx refused (%s, "
		    "pc 0x%llx): external abort injected",
		    vcpu->vm->name, vcpu->id, f->write ? "write" : "read", f->size,
		    (unsigned long long)f->ipa, err_name(err), (unsigned long long)f->pc);
	return TRAP_INJECT_ABORT;
}

enum trap_verdict trap_fault(struct vcpu *vcpu, const struct trap_fault *f)
{
	switch (f->kind) {
	case TRAP_FAULT_TABLE_WALK:
		return table_walk(vcpu, f);
	case TRAP_FAULT_FETCH:
		return fetch(vcpu, f);
	case TRAP_FAULT_DATA:
		break;
	}
	return data(vcpu, f);
}

void trap_unknown_class(struct vcpu *vcpu, unsigned ec, uint64_t esr, uint64_t pc)
{
	guest_log(vcpu->vm, GLOG_TRAP,
		  "warning: vm %s vcpu %u: unhandled trap EC 0x%x (ESR 0x%llx) at pc 0x%llx: UNDEF "
		  "injected",
		  vcpu->vm->name, vcpu->id, ec, (unsigned long long)esr, (unsigned long long)pc);
}

void trap_unknown_sysreg(struct vcpu *vcpu, bool read, unsigned op0, unsigned op1, unsigned crn,
			 unsigned crm, unsigned op2)
{
	guest_log(vcpu->vm, GLOG_SYSREG,
		  "warning: vm %s vcpu %u: %s of unsupported system register S%u_%u_C%u_C%u_%u: "
		  "UNDEF",
		  vcpu->vm->name, vcpu->id, read ? "read" : "write", op0, op1, crn, crm, op2);
}

void trap_serror(struct vcpu *vcpu, uint64_t esr, uint64_t pc)
{
	log_error("vm %s vcpu %u: SError (ESR 0x%llx) at pc 0x%llx", vcpu->vm->name, vcpu->id,
		  (unsigned long long)esr, (unsigned long long)pc);
	vm_fail(vcpu->vm, FAILOVER_FAULT, "SError (a fatal fault)");
}

uint64_t trap_ptimer_read(struct vcpu *vcpu, enum vtimer_reg reg)
{
	return vtimer_phys_read(vcpu, reg);
}

void trap_ptimer_write(struct vcpu *vcpu, enum vtimer_reg reg, uint64_t val)
{
	vtimer_phys_write(vcpu, reg, val);
}
