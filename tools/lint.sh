#!/usr/bin/env bash
# `make lint`: clang-format (check only), cppcheck and clang-tidy over Tandem's C sources, and
# the layering (tools/check-layering.py: which folder calls which, no private test doubles).
#   tools/lint.sh BUILD FILE...      (the Makefile passes every .c/.h under common, hypervisor,
#                                     tests/unit, tools and guests)
# LINT_TOOLS="format cppcheck tidy layering" picks the tools. Exit status non-zero if any tool complains.
set -uo pipefail

BUILD=${1:-build}
shift || true
TOOLS=${LINT_TOOLS:-format cppcheck tidy layering}
cd "$(dirname "$0")/.."
FILES=("$@")
if [ ${#FILES[@]} -eq 0 ]; then
	mapfile -t FILES < <(find common hypervisor tests/unit tools guests -name '*.[ch]' 2>/dev/null | sort)
fi
C_FILES=()
for f in "${FILES[@]}"; do
	# Kernel modules build only inside kbuild (its flags, its headers), which checks them with
	# -Werror (tools/build-modules.sh); clang-format still applies, in the kernel's style.
	case $f in guests/linux/modules/*) ;; *.c) C_FILES+=("$f") ;; esac
done
JOBS=$(nproc 2>/dev/null || echo 2)
status=0

# Compiler flags per folder, as the Makefile builds them (clang-tidy needs them to parse).
HV_FLAGS="--target=aarch64-linux-gnu -std=c11 -ffreestanding -Ihypervisor/include -Ihypervisor/arch/aarch64/include -I$BUILD/hv/include -Icommon/include"
HOST_FLAGS="-std=c11 -D_GNU_SOURCE -DTANDEM_HOST_TEST -Ihypervisor/include -Ihypervisor/arch/fake/include -Itests/unit -Icommon/include"
flags_for() {
	case $1 in
	hypervisor/arch/fake/* | tests/*) echo "$HOST_FLAGS" ;;
	hypervisor/* | common/*) echo "$HV_FLAGS" ;;
	tools/*) echo "-std=c11" ;;
	guests/*)
		local g
		g=$(echo "$1" | cut -d/ -f1-2)
		echo "--target=aarch64-linux-gnu -std=c11 -ffreestanding -I$g -I$g/include -Ihypervisor/include -Icommon/include"
		;;
	*) echo "-std=c11" ;;
	esac
}

# clang-tidy: bugprone-* and the analyzer's core/unix/deadcode checks, minus:
#   easily-swappable-parameters  flags every (addr, size) pair: hypervisor APIs are full of them
#   reserved-identifier          include guards and linker symbols (_start, __bss_start) are ours
#   narrowing-conversions        register fields and u64 -> u32 truncations are deliberate
#   branch-clone                 ESR/register dispatch tables legitimately repeat bodies
#   implicit-widening-of-multiplication-result  page arithmetic with 32-bit indices is in range
#   suspicious-include           (tests only) unit tests include a .c to reach its static functions
TIDY_CHECKS='-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-branch-clone,-bugprone-implicit-widening-of-multiplication-result,clang-analyzer-core.*,clang-analyzer-unix.*,clang-analyzer-deadcode.*'

for tool in $TOOLS; do
	case $tool in
	format)
		echo "  LINT    clang-format (${#FILES[@]} files)"
		if ! clang-format --dry-run --Werror "${FILES[@]}"; then
			echo "lint: clang-format: fix with clang-format -i FILE" >&2
			status=1
		fi
		;;
	cppcheck)
		HV_C=()
		for f in "${C_FILES[@]}"; do
			case $f in hypervisor/arch/fake/*) ;; hypervisor/* | common/*) HV_C+=("$f") ;; esac
		done
		echo "  LINT    cppcheck (${#HV_C[@]} hypervisor and common files)"
		# Suppressed:
		#   missingIncludeSystem  freestanding: there are no system headers to find
		#   comparePointers       linker-script symbols (_start/_end) are distinct C objects that
		#                         bound one image: subtracting them is the point
		#   unusedFunction        needs the whole program incl. assembly callers; not run
		if [ ${#HV_C[@]} -gt 0 ] &&
			! cppcheck --quiet --error-exitcode=1 --enable=warning,portability --std=c11 \
				--inline-suppr -j "$JOBS" -D__aarch64__ -DTANDEM_LINT \
				-Ihypervisor/include -Ihypervisor/arch/aarch64/include -I"$BUILD/hv/include" -Icommon/include \
				--suppress=missingIncludeSystem --suppress=comparePointers "${HV_C[@]}"; then
			status=1
		fi
		;;
	tidy)
		echo "  LINT    clang-tidy (${#C_FILES[@]} files)"
		tidy_one() {
			local f=$1 checks=$TIDY_CHECKS
			case $f in tests/*) checks="$checks,-bugprone-suspicious-include" ;; esac
			# shellcheck disable=SC2046
			clang-tidy --quiet --warnings-as-errors='*' -checks="$checks" "$f" -- $(flags_for "$f") 2>/dev/null
		}
		export -f tidy_one flags_for
		export TIDY_CHECKS HV_FLAGS HOST_FLAGS
		if [ ${#C_FILES[@]} -gt 0 ] &&
			! printf '%s\0' "${C_FILES[@]}" | xargs -0 -n1 -P "$JOBS" bash -c 'tidy_one "$0"'; then
			status=1
		fi
		;;
	layering)
		echo "  LINT    layering (the objects under $BUILD/hv) and test doubles"
		if ! python3 tools/check-layering.py "$BUILD"; then
			status=1
		fi
		;;
	*)
		echo "lint: unknown tool $tool" >&2
		status=1
		;;
	esac
done
[ $status -eq 0 ] && echo "  LINT    clean"
exit $status
