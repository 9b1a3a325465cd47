# Tandem: build, run and test. `make run` boots the default system, `make test` runs every test.
# Both install what they need (Debian packages, guest images) through tools/setup-deps.sh.

BUILD      ?= build
CROSS      ?= aarch64-linux-gnu-
CONFIG     ?= configs/default.dts
SMP        ?= 4
MEM        ?= 2G
CPU        ?= max,pauth-impdef=on
MACHINE    ?= virt,virtualization=on,gic-version=3
QEMU_ARGS  ?=
V          ?= 0

HOSTCC     ?= gcc
CC         := $(CROSS)gcc
OBJCOPY    := $(CROSS)objcopy

ifeq ($(V),0)
Q := @
endif

# common/: freestanding code the hypervisor and the RTOS both link, each compiling it with its own flags.
COMMON_C   := $(wildcard common/*.c)
COMMON_H   := $(wildcard common/include/common/*.h)

HV_DIRS    := core lib virt virt/vgic drivers sched platform arch/aarch64
HV_C       := $(foreach d,$(HV_DIRS),$(wildcard hypervisor/$(d)/*.c))
HV_C       := $(filter-out hypervisor/arch/aarch64/asm-offsets.c,$(HV_C))
HV_S       := $(wildcard hypervisor/arch/aarch64/*.S)
HV_OBJ     := $(patsubst hypervisor/%,$(BUILD)/hv/%,$(HV_C:.c=.o) $(HV_S:.S=.o)) \
	      $(patsubst common/%.c,$(BUILD)/hv/common/%.o,$(COMMON_C))

HV_CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	      -ffreestanding -fno-builtin -nostdlib -fno-stack-protector -fno-pic -fno-pie \
	      -mgeneral-regs-only -mstrict-align -mno-outline-atomics -fno-common -fno-omit-frame-pointer \
	      -Ihypervisor/include -Ihypervisor/arch/aarch64/include -I$(BUILD)/hv/include \
	      -Icommon/include -MMD -MP
HV_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	      -T hypervisor/arch/aarch64/tandem.ld

.PHONY: all hypervisor images tools deps run run-ttu run-basestation test unit integration lint bench bench-quick clean distclean
all: hypervisor images tools

hypervisor: $(BUILD)/tandem.bin

$(BUILD)/hv/include/asm-offsets.h: hypervisor/arch/aarch64/asm-offsets.c $(wildcard hypervisor/include/tandem/*.h) $(COMMON_H) \
		hypervisor/arch/aarch64/include/arch/vcpu_ctx.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(HV_CFLAGS)) -S -o $@.s $<
	$(Q)sed -n 's/.*@@OFFSET \([A-Z_0-9]*\) #\{0,1\}\([0-9-]*\).*/#define \1 \2/p' $@.s > $@.tmp
	$(Q)mv $@.tmp $@

$(BUILD)/hv/%.o: hypervisor/%.c | $(BUILD)/hv/include/asm-offsets.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(HV_CFLAGS) -c -o $@ $<

$(BUILD)/hv/common/%.o: common/%.c | $(BUILD)/hv/include/asm-offsets.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(HV_CFLAGS) -c -o $@ $<

$(BUILD)/hv/%.o: hypervisor/%.S $(BUILD)/hv/include/asm-offsets.h
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(HV_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

$(BUILD)/tandem.elf: $(HV_OBJ) hypervisor/arch/aarch64/tandem.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(HV_CFLAGS) $(HV_LDFLAGS) -o $@ $(HV_OBJ) -lgcc

$(BUILD)/tandem.bin: $(BUILD)/tandem.elf
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "  BIN     $@ ($$(stat -c %s $@) bytes)"

-include $(HV_OBJ:.o=.d)

# Debian packages and guest images (kernel from the linux-image-arm64 metapackage, busybox initramfs).
deps:
	$(Q)tools/setup-deps.sh

images: deps
	$(Q)tools/build-images.sh $(BUILD)

tools: $(BUILD)/tools/tandem-pack

$(BUILD)/tools/tandem-pack: tools/tandem-pack.c hypervisor/include/tandem/abi/bundle.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $< -lfdt

# Boot a system description: make run CONFIG=configs/x.dts SMP=4 MEM=2G QEMU_ARGS="..."
run: all
	$(Q)tools/run-qemu.sh --build $(BUILD) --config $(CONFIG) --smp $(SMP) --mem $(MEM) \
		--cpu "$(CPU)" --machine "$(MACHINE)" -- $(QEMU_ARGS)

# The power terminal (issue 13): configs/ttu.dts with its 32 serial ports on host sockets in
# $(BUILD)/run/ttu-sockets (tools/ttu-feed.py --dir $(BUILD)/run/ttu-sockets feeds them).
run-ttu: all
	$(Q)tools/run-qemu.sh --build $(BUILD) --config configs/ttu.dts --smp $(SMP) --mem $(MEM) \
		--cpu "$(CPU)" --machine "$(MACHINE)" --ttu $(BUILD)/run/ttu-sockets -- $(QEMU_ARGS)

# The base station (issue 15): configs/basestation.dts, its moving virtio-serial port on the host
# socket $(BUILD)/run/basestation.sock (tools/basestation-qemu-args.sh).
run-basestation: all
	$(Q)mkdir -p $(BUILD)/run
	$(Q)tools/run-qemu.sh --build $(BUILD) --config configs/basestation.dts --smp 4 --mem 2G \
		--cpu "$(CPU)" --machine "$(MACHINE)" -- \
		$$(tools/basestation-qemu-args.sh $(abspath $(BUILD))/run/basestation.sock) $(QEMU_ARGS)

include tests/unit/unit.mk
include guests/rtos/rtos.mk

# On a fresh machine the compilers come from deps: have every compile wait for it (order-only,
# so nothing rebuilds because of it; setup-deps.sh returns at once when all is installed).
$(HV_OBJ) $(BUILD)/hv/include/asm-offsets.h $(BUILD)/tools/tandem-pack $(UNIT_BINS): | deps

test: all
	$(Q)$(MAKE) --no-print-directory unit-build
	$(Q)python3 tools/run-tests.py --build $(BUILD)

# Benchmarks side by side (bare metal, Tandem, Xen 4.17 credit2 and null pool, Bao):
# build/bench/results.{csv,md}, *.png. The bench builds its peers itself: Xen from Debian's source
# (tools/peers/xen-null.sh, cached in build/cache) and Bao from BAO_SRC (a source tarball or
# checkout) with the patches in BAO_PATCHES, both defaulting to ../shared/peers next to the
# repository; a peer that cannot be built gets a "not available (...)" row.
BAO_SRC     ?=
BAO_PATCHES ?=
bench: all
	$(Q)python3 tools/bench/bench.py --build $(BUILD) $(if $(BAO_SRC),--bao-src "$(BAO_SRC)") \
		$(if $(BAO_PATCHES),--bao-patches "$(BAO_PATCHES)")

bench-quick: all
	$(Q)python3 tools/bench/bench.py --build $(BUILD) --quick

LINT_SRC := $(shell find common hypervisor tests/unit tools guests -name '*.[ch]' 2>/dev/null)
lint: $(BUILD)/tandem.elf
	$(Q)tools/lint.sh $(BUILD) $(LINT_SRC)

clean:
	rm -rf $(BUILD)/hv $(BUILD)/tandem.* $(BUILD)/unit $(BUILD)/tools $(BUILD)/test-logs

distclean:
	rm -rf $(BUILD)
