# Host unit tests (cmocka). Each tests/unit/test_*.c names the hypervisor sources it
# compiles in a first-line comment:  /* unit-sources: hypervisor/core/mem.c ... */
# They build against arch/fake (hypervisor/arch/fake/*.c is always linked in).
UNIT_TESTS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_TESTS))
FAKE_ARCH_C  := $(wildcard hypervisor/arch/fake/*.c)
UNIT_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-DTANDEM_HOST_TEST -Ihypervisor/include -Ihypervisor/arch/fake/include -Itests/unit \
		-fsanitize=address,undefined -fno-omit-frame-pointer

unit_sources = $(shell sed -n '1s/.*unit-sources:\(.*\)\*\/.*/\1/p' $(1))

.PHONY: unit-build unit
unit-build: $(UNIT_BINS)

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$(call unit_sources,tests/unit/%.c) $(FAKE_ARCH_C) $(wildcard tests/unit/*.h) \
		$(wildcard hypervisor/include/tandem/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -o $@ $< $(call unit_sources,$<) $(FAKE_ARCH_C) -lcmocka -lfdt

unit: unit-build
	$(Q)set -e; for t in $(UNIT_BINS); do $$t; done
