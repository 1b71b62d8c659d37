#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The ASan/UBSan tier (`make test-asan`, and a step of `make test`): the unit
# tests and a replay of every fuzz target's committed corpus (tests/fuzz,
# with the replay driver: no libFuzzer needed), built with
# -fsanitize=address,undefined by the usual compiler in a build dir of its
# own (default build-asan). Only those executables are built, not hover, the
# differential harness or the integration tier. Any sanitizer report fails
# its test. Ends with "asan: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-build-asan}
start=$(date +%s)
if [ ! -f "$OUT/build.ninja" ]; then
	log=$(mktemp)
	if ! meson setup "$OUT" "$ROOT" -Db_sanitize=address,undefined -Db_lundef=false \
		-Dfuzzing=replay >"$log" 2>&1; then
		cat "$log"; rm -f "$log"
		echo "asan: 0 passed, 1 failed"
		exit 1
	fi
	rm -f "$log"
fi
# A build dir configured before tests were added must learn of them first:
# regenerate build.ninja (a no-op when current), then ask for the test list.
ninja -C "$OUT" build.ninja >/dev/null 2>&1
# The executables of the unit and fuzz suites, relative to the build dir.
targets=$(meson introspect "$OUT" --tests | /usr/bin/python3 -c '
import json, os, sys
root = os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin):
    if set(t["suite"]) & {"hover:unit", "hover:fuzz", "unit", "fuzz"}:
        print(os.path.relpath(os.path.realpath(t["cmd"][0]), root))' "$OUT" | sort -u)
if ! ninja -C "$OUT" $targets >"$OUT/asan-build.log" 2>&1; then
	tail -n 30 "$OUT/asan-build.log"
	echo "asan: 0 passed, 1 failed"
	exit 1
fi
# Every UB report is fatal; leaks count as failures (ASan's default on exit).
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
meson test -C "$OUT" --no-rebuild --suite unit --suite fuzz --print-errorlogs \
	--timeout-multiplier 3 >"$OUT/asan-tests.log" 2>&1
rc=$?
tail -n 12 "$OUT/asan-tests.log"
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$OUT/asan-tests.log" | tail -n1)
fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$OUT/asan-tests.log" | tail -n1)
to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$OUT/asan-tests.log" | tail -n1)
ok=${ok:-0}; fail=$(( ${fail:-0} + ${to:-0} ))
[ $rc -ne 0 ] && [ $fail -eq 0 ] && fail=1
echo "asan tier: $(( $(date +%s) - start )) s"
echo "asan: $ok passed, $fail failed"
[ $fail -eq 0 ]
