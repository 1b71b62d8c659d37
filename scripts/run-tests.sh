#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make test`: unit tests (meson/cmocka) and the differential CPU run
# (tests/diff, 100,000 cases against Unicorn), the ASan/UBSan tier (unit
# tests and fuzz corpus replays, scripts/test-asan.sh, in ASAN_BUILD), then
# integration tests (pytest), ending with one summary line "N passed, N failed".
BUILD=${1:-build}
GUEST=${2:-build/guest}
ASAN_BUILD=${3:-build-asan}
set -u
meson test -C "$BUILD" --suite unit --suite diff --print-errorlogs >"$BUILD/unit-tests.log" 2>&1
unit_rc=$?
tail -n 20 "$BUILD/unit-tests.log"
unit_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$BUILD/unit-tests.log" | tail -n1)
unit_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$BUILD/unit-tests.log" | tail -n1)
unit_to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$BUILD/unit-tests.log" | tail -n1)
unit_ok=${unit_ok:-0}; unit_fail=$(( ${unit_fail:-0} + ${unit_to:-0} ))
[ $unit_rc -ne 0 ] && [ $unit_fail -eq 0 ] && unit_fail=1

"$(dirname "$0")/test-asan.sh" "$ASAN_BUILD" >"$BUILD/asan.log" 2>&1
asan_rc=$?
grep -E '^asan' "$BUILD/asan.log" || tail -n 20 "$BUILD/asan.log"
asan_ok=$(sed -n 's/^asan: \([0-9]*\) passed.*/\1/p' "$BUILD/asan.log")
asan_fail=$(sed -n 's/^asan: .* \([0-9]*\) failed.*/\1/p' "$BUILD/asan.log")
asan_ok=${asan_ok:-0}; asan_fail=${asan_fail:-0}
[ $asan_rc -ne 0 ] && [ $asan_fail -eq 0 ] && asan_fail=1
[ $asan_fail -ne 0 ] && sed -n '/^Summary of Failures/,/^Ok:/p' "$ASAN_BUILD/asan-tests.log"

HOVER_BUILD="$BUILD" HOVER_GUEST="$GUEST" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	--junitxml="$BUILD/integration.xml" tests/integration 2>&1 | tee "$BUILD/integration.log"
int_rc=$?
int_ok=$(sed -n 's/.*tests="\([0-9]*\)".*/\1/p' "$BUILD/integration.xml" | head -n1)
int_fail=$(sed -n 's/.*failures="\([0-9]*\)".*/\1/p' "$BUILD/integration.xml" | head -n1)
int_err=$(sed -n 's/.*errors="\([0-9]*\)".*/\1/p' "$BUILD/integration.xml" | head -n1)
int_skip=$(sed -n 's/.*skipped="\([0-9]*\)".*/\1/p' "$BUILD/integration.xml" | head -n1)
int_fail=$(( ${int_fail:-0} + ${int_err:-0} ))
int_ok=$(( ${int_ok:-0} - int_fail - ${int_skip:-0} ))
[ $int_rc -ne 0 ] && [ $int_rc -ne 5 ] && [ $int_fail -eq 0 ] && int_fail=1

passed=$((unit_ok + asan_ok + int_ok))
failed=$((unit_fail + asan_fail + int_fail))
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
