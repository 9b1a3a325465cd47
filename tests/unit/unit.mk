# Host unit tests (cmocka). Each tests/unit/test_*.c names the hypervisor sources it
# compiles in a first-line comment:  /* unit-sources: hypervisor/lib/mem.c ... */
# Always linked in: arch/fake (hypervisor/arch/fake/*.c), the shared common/*.c (format,
# string functions: the real ones, not the host libc's) and err_name.
UNIT_TESTS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_TESTS))
FAKE_ARCH_C  := $(wildcard hypervisor/arch/fake/*.c)
UNIT_ALWAYS_C := $(FAKE_ARCH_C) $(COMMON_C) hypervisor/lib/err_name.c
UNIT_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
		-DTANDEM_HOST_TEST -Ihypervisor/include -Ihypervisor/arch/fake/include -Itests/unit \
		-Icommon/include -fsanitize=address,undefined -fno-omit-frame-pointer

unit_sources = $(shell sed -n '1s/.*unit-sources:\(.*\)\*\/.*/\1/p' $(1))

.PHONY: unit-build unit
unit-build: $(UNIT_BINS)

.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$(call unit_sources,tests/unit/%.c) $(UNIT_ALWAYS_C) $(wildcard tests/unit/*.h tests/unit/fakes/*.h) \
		$(wildcard hypervisor/include/tandem/*.h) $(COMMON_H)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -MM -MP -MT $@ -MF $@.d $<
	$(Q)$(HOSTCC) $(UNIT_CFLAGS) -o $@ $< $(call unit_sources,$<) $(UNIT_ALWAYS_C) -lcmocka -lfdt

# What each test #includes besides its unit-sources (test_console.c compiles console.c in).
-include $(UNIT_BINS:=.d)

unit: unit-build
	$(Q)set -e; for t in $(UNIT_BINS); do $$t; done
