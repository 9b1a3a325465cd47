# The real-time guest (guests/rtos): build/images/rtos.bin, a raw arm64 Image, and build/rtos.elf.
# Included from the top-level Makefile; `make rtos` builds just this.
RTOS_DIR     := guests/rtos
RTOS_C       := $(filter-out $(RTOS_DIR)/port_fake.c,$(wildcard $(RTOS_DIR)/*.c))
RTOS_S       := $(wildcard $(RTOS_DIR)/*.S)
RTOS_OBJ     := $(patsubst $(RTOS_DIR)/%,$(BUILD)/rtos/%.o,$(RTOS_C) $(RTOS_S)) \
		$(patsubst common/%,$(BUILD)/rtos/common/%.o,$(COMMON_C))
READELF      := $(CROSS)readelf

# Position-independent (-fpie, linked as a static PIE at 0, self-relocating in boot.S) so the
# same image runs at any 2 MiB-aligned load address: QEMU, Tandem and Xen all differ.
RTOS_CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror \
		-ffreestanding -fno-builtin -nostdlib -fno-stack-protector -fpie -fvisibility=hidden \
		-fno-plt -mgeneral-regs-only -mstrict-align -mno-outline-atomics -fno-common \
		-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables \
		-Icommon/include -include $(RTOS_DIR)/hidden.h -MMD -MP
RTOS_LDFLAGS := -nostdlib -static-pie -Wl,--no-dynamic-linker -Wl,-z,text -Wl,--build-id=none \
		-Wl,-z,max-page-size=4096 -Wl,-z,norelro -Wl,--no-warn-rwx-segments -Wl,--hash-style=sysv -T $(RTOS_DIR)/rtos.ld

.PHONY: rtos
rtos: $(BUILD)/images/rtos.bin
all: rtos

$(BUILD)/rtos/%.c.o: $(RTOS_DIR)/%.c $(RTOS_DIR)/rtos.mk $(RTOS_DIR)/hidden.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(RTOS_CFLAGS) -c -o $@ $<

# The code shared with the hypervisor (common/), compiled with the RTOS's flags.
$(BUILD)/rtos/common/%.c.o: common/%.c $(RTOS_DIR)/rtos.mk $(RTOS_DIR)/hidden.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(RTOS_CFLAGS) -c -o $@ $<

$(BUILD)/rtos/%.S.o: $(RTOS_DIR)/%.S $(RTOS_DIR)/rtos.mk
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(RTOS_CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

# Any dynamic relocation other than R_AARCH64_RELATIVE would be silently skipped at boot: refuse.
$(BUILD)/rtos.elf: $(RTOS_OBJ) $(RTOS_DIR)/rtos.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(RTOS_CFLAGS) $(RTOS_LDFLAGS) -o $@ $(RTOS_OBJ) -lgcc
	$(Q)if $(READELF) -rW $@ | grep -E '^[0-9a-f]+ ' | grep -qv R_AARCH64_RELATIVE; then \
		echo "rtos: relocations other than R_AARCH64_RELATIVE in $@:" >&2; \
		$(READELF) -rW $@ | grep -v R_AARCH64_RELATIVE >&2; rm -f $@; exit 1; fi

$(BUILD)/images/rtos.bin: $(BUILD)/rtos.elf
	@mkdir -p $(dir $@)
	$(Q)$(OBJCOPY) -O binary $< $@
	@echo "  BIN     $@ ($$(stat -c %s $@) bytes)"

$(RTOS_OBJ): | deps

-include $(RTOS_OBJ:.o=.d)

.PHONY: rtos-clean
clean: rtos-clean
rtos-clean:
	rm -rf $(BUILD)/rtos $(BUILD)/rtos.elf $(BUILD)/images/rtos.bin
