#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make fuzz`: build every tests/fuzz target with clang, libFuzzer and
# ASan/UBSan (a meson build dir of its own, -Dfuzzing=libfuzzer), then fuzz
# each for FUZZ_SECONDS (default 30) starting from its committed seed corpus
# (tests/fuzz/corpus/NAME) plus what earlier runs found ($OUT/corpus/NAME).
# FUZZ_TARGETS="qcow2 boot" picks targets; tests/fuzz/NAME.dict, if there, is
# the target's libFuzzer dictionary. Prints, per target, executions,
# coverage (libFuzzer's cov: and ft:), corpus size and crashes; any crash,
# sanitizer report or leak fails, its reproducer left in $OUT/crashes/NAME/.
# A reproducer goes into tests/fuzz/corpus/NAME once fixed, so the ASan tier
# of `make test` replays it from then on.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-build/fuzz}
SECS=${FUZZ_SECONDS:-30}
for p in clang libclang-rt-14-dev libcapstone-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
	echo "hover: make fuzz needs:$missing (installing from Debian)"
	SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
if [ ! -f "$OUT/build.ninja" ]; then
	# werror off: clang warns where gcc (the CI compiler) does not
	CC=clang meson setup "$OUT" "$ROOT" -Dfuzzing=libfuzzer -Db_sanitize=address,undefined \
		-Db_lundef=false -Dwerror=false -Dbuildtype=debugoptimized >"$OUT.setup.log" 2>&1 ||
		{ cat "$OUT.setup.log"; exit 1; }
fi
TARGETS=${FUZZ_TARGETS:-$(cd "$ROOT/tests/fuzz/corpus" && ls)}
for t in $TARGETS; do
	ninja -C "$OUT" "tests/fuzz/fuzz_$t" >/dev/null
done
# Every UB check is fatal, so it leaves a reproducer like a crash does (set
# UBSAN_OPTIONS=halt_on_error=0 to see past a known one).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
summary=""
for t in $TARGETS; do
	mkdir -p "$OUT/corpus/$t" "$OUT/crashes/$t"
	log="$OUT/fuzz-$t.log"
	# max_len: the largest seed or 64 KiB, whichever is larger (qcow2 images
	# need room); an instruction is at most 15 bytes
	maxlen=65536
	for f in "$ROOT/tests/fuzz/corpus/$t"/*; do
		n=$(stat -c %s "$f")
		[ "$n" -gt "$maxlen" ] && maxlen=$n
	done
	[ "$t" = decode ] && maxlen=15
	dict=""
	[ -f "$ROOT/tests/fuzz/$t.dict" ] && dict="-dict=$ROOT/tests/fuzz/$t.dict"
	echo "fuzz_$t: ${SECS}s"
	touch "$OUT/crashes/$t.stamp"
	rc=0
	"$OUT/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=3072 \
		-max_len="$maxlen" $dict -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t/" \
		"$OUT/corpus/$t" "$ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	crashes=$(find "$OUT/crashes/$t" -type f -newer "$OUT/crashes/$t.stamp" | wc -l)
	line=$(printf '%-8s execs %-9s cov %-6s ft %-6s corpus %-5s crashes %s' "$t" \
		"${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes")
	summary="$summary$line\n"
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
		status=1
		grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|^SUMMARY' \
			"$log" | head -n 5 || true
		echo "fuzz_$t: failed (exit $rc); see $log and $OUT/crashes/$t/"
	fi
done
printf "\n$summary"
exit $status
