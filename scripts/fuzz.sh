#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make fuzz`: build the decoder's libFuzzer target with clang and
# ASan/UBSan, then fuzz for FUZZ_SECONDS (default 120). Any crash or
# sanitizer report fails; the reproducer is left in $OUT.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-build/fuzz}
SECS=${FUZZ_SECONDS:-120}
for p in clang libclang-rt-14-dev libcapstone-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then
	echo "hover: make fuzz needs:$missing (installing from Debian)"
	SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi
mkdir -p "$OUT/corpus"
CPU_SRC=$(ls "$ROOT"/cpu/x86/*.c)
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -std=gnu11 -I"$ROOT" $(pkg-config --cflags capstone) \
	-o "$OUT/fuzz_decode" "$ROOT/tests/fuzz/fuzz_decode.c" $CPU_SRC \
	$(pkg-config --libs capstone) -lpthread -lm
# Seed the corpus with a few encodings.
printf '\x48\x01\xd8' >"$OUT/corpus/add"
printf '\x66\x0f\x58\x04\x25\x00\x10\x00\x00' >"$OUT/corpus/addpd"
printf '\xf3\x48\xa5' >"$OUT/corpus/movsq"
printf '\xc4\xe2\x79\x18\x00' >"$OUT/corpus/vex"
cd "$OUT"
./fuzz_decode -max_total_time="$SECS" -max_len=15 -print_final_stats=1 corpus
