# Host unit tests (placeholder until the unit-test framework lands).
.PHONY: unit-build
unit-build:
	@true
