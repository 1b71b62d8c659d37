#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The driver of bench/real_programs.py, run by the bench guest's /init (dash,
# Debian's /bin/sh; scripts/make-bench-guest.sh installs it as /bench/run.sh).
# Each program runs on the same inputs (/bench/data) under hover and QEMU; per
# program it prints
#   BEGIN name                     just before the clock starts
#   END name                       just after it stops (the host timestamps both)
#   BENCH name seconds checksum    the guest clock's time; checksum = md5 of the output
#   RATE name value unit           a figure the program measured itself (7-Zip, openssl)
# The checksums must match between engines: the outputs are the programs'
# results (compressed streams, digests, query results, object files).
# bench.only=a,b,... on the kernel command line runs a subset.
export PATH=/usr/bin:/usr/sbin
export LC_ALL=C
D=/bench/data
W=/tmp/w
mkdir -p $W
cd $W || exit 1

only=
limit=120
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	bench.only=*) only=",${arg#bench.only=}," ;;
	bench.limit=*) limit=${arg#bench.limit=} ;;
	esac
done

ns_to_s() { # nanoseconds -> seconds with 3 decimals
	printf '%d.%03d' $(($1 / 1000000000)) $(($1 / 1000000 % 1000))
}

# timed NAME FUNCTION: run FUNCTION (stdout is the result), time it, checksum it.
timed() {
	name=$1
	shift
	case "$only" in
	"" | *",$name,"*) ;;
	*) return 0 ;;
	esac
	sync
	echo "BEGIN $name"
	t0=$(date +%s%N)
	# A program that hangs (an emulator bug) must not stop the others: each
	# runs in its own shell under timeout (bench.limit=SECONDS, default 120).
	timeout $limit /bench/run.sh --call "$@" >$W/out.$name 2>$W/err.$name
	st=$?
	t1=$(date +%s%N)
	echo "END $name"
	if [ $st -ne 0 ]; then
		echo "FAIL $name exit status $st: $(head -c 400 $W/err.$name | tr '\n' ' ')"
		return 0
	fi
	grep '^RATE ' $W/err.$name
	# Short outputs are shown too, so that a difference can be read on the host.
	[ "$(wc -c <$W/out.$name)" -le 300 ] && echo "OUT $name $(tr '\n' '|' <$W/out.$name)"
	sum=$(md5sum <$W/out.$name | cut -c1-16)
	echo "BENCH $name $(ns_to_s $((t1 - t0))) $sum"
	rm -f $W/out.$name $W/err.$name
}

# --- compression: compress the 4 MiB corpus, then decompress it (each timed) ---
gzip_c() { gzip -6 -c $D/corpus >$W/c.gz && md5sum <$W/c.gz; }
gzip_d() { gzip -dc $W/c.gz >$W/d && md5sum <$W/d; }
bzip2_c() { bzip2 -9 -c $D/corpus >$W/c.bz2 && md5sum <$W/c.bz2; }
bzip2_d() { bzip2 -dc $W/c.bz2 >$W/d && md5sum <$W/d; }
xz_c() { xz -6 -T1 -c $D/corpus >$W/c.xz && md5sum <$W/c.xz; }
xz_d() { xz -dc $W/c.xz >$W/d && md5sum <$W/d; }
# 7-Zip's own LZMA2 encoder on the same input (7z archive, fixed mtimes), then a test.
sevenz_a() {
	rm -f $W/c.7z
	7zz a -t7z -m0=lzma2 -mx5 -md4m -mmt1 -bd -bso0 -bsp0 $W/c.7z $D/corpus &&
		7zz t -bd -bso0 -bsp0 $W/c.7z && md5sum <$W/c.7z
}
# 7-Zip's built-in benchmark: one pass, one thread, 256 KiB dictionary. Its
# rating (MIPS, from the guest clock) is the figure; the run also self-checks.
sevenz_b() {
	7zz b -mmt1 -md18 1 >$W/7zb.txt || return 1
	awk '/^Tot:/ { print "RATE 7z-bench " $NF " MIPS" }' $W/7zb.txt >&2
	grep -q '^Tot:' $W/7zb.txt && echo ok
}

# --- digests over 8 copies of the corpus (32 MiB) ---
sha256() { sha256sum $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus; }
md5() { md5sum $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus $D/corpus; }

# --- openssl: deterministic cipher and digest runs, and `openssl speed` ---
KEY=000102030405060708090a0b0c0d0e0f
IV=f0e0d0c0b0a090807060504030201000
openssl_enc() {
	openssl enc -aes-128-cbc -K $KEY -iv $IV -in $D/corpus -out $W/enc && md5sum <$W/enc &&
		openssl dgst -sha256 -r $D/corpus && openssl dgst -sha512 -r $D/corpus
}
openssl_enc_nosimd() { export OPENSSL_ia32cap=0; openssl_enc; }
# speed NAME ALG...: throughput in bytes/s of 8 KiB blocks over one second.
speed() {
	n=$1
	shift
	openssl speed -mr -seconds 1 -bytes 8192 "$@" >$W/speed.txt 2>/dev/null || return 1
	awk -F: -v n="$n" '/^\+F:/ { printf "RATE %s %.0f B/s\n", n, $4 }' $W/speed.txt >&2
	grep -q '^+F:' $W/speed.txt && echo ok
}
speed_sha256() { speed openssl-speed-sha256 sha256; }
speed_aes() { speed openssl-speed-aes -evp aes-128-cbc; }
speed_sha256_nosimd() { export OPENSSL_ia32cap=0; speed openssl-speed-sha256-nosimd sha256; }
speed_aes_nosimd() { export OPENSSL_ia32cap=0; speed openssl-speed-aes-nosimd -evp aes-128-cbc; }

# --- sqlite3: 20,000 INSERTs in a transaction, indexes, queries (on tmpfs) ---
sqlite() { rm -f $W/t.db && sqlite3 $W/t.db <$D/bench.sql; }

# --- tcc compiles stb's libraries (about 25,000 lines) to an object file ---
tcc_stb() {
	tcc -c -I/usr/include/stb -o $W/stb.o $D/stb.c && md5sum <$W/stb.o
}

# --- python3: a pure-Python loop ---
# -B: writing __pycache__ into /usr would change what `find` sees later.
python() { python3 -B $D/loop.py; }

# --- text tools ---
sort_text() { sort $D/text | md5sum && sort -n -k2 -t' ' $D/text | md5sum; }
awk_words() {
	awk '{ for (i = 1; i <= NF; i++) c[$i]++ } END { for (w in c) print c[w], w }' $D/text |
		sort -k1,1nr -k2 | head -n 100
}
find_tree() {
	find /usr -type f -printf '%s %p\n' | sort -k2 | awk '{ s += $1 } END { print NR, s }' &&
		find /usr -name '*.py' -size +8k | wc -l &&
		find /usr/include -type f | xargs grep -l 'struct' | wc -l
}

# --- kernel-heavy work: fork+exec, pipes, many small files on tmpfs ---
fork_exec() {
	i=0
	while [ $i -lt 500 ]; do
		/usr/bin/true
		i=$((i + 1))
	done
	echo $i
}
pipes() {
	head -c 33554432 /dev/zero | cat | cat | cat | wc -c &&
		yes hover | head -n 200000 | cat | wc -l
}
small_files() {
	mkdir -p $W/files
	i=0
	while [ $i -lt 3000 ]; do
		echo "file $i" >$W/files/f$i
		i=$((i + 1))
	done
	cat $W/files/f* | md5sum
	ls $W/files | wc -l
	rm -r $W/files
}

if [ "$1" = --call ]; then
	shift
	"$@"
	exit
fi

echo "BENCH-START $(uname -r) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "BENCH-FLAGS $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2)"
echo "BENCH-CLOCK $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
timed gzip-c gzip_c
timed gzip-d gzip_d
timed bzip2-c bzip2_c
timed bzip2-d bzip2_d
timed xz-c xz_c
timed xz-d xz_d
timed 7z-a sevenz_a
timed 7z-bench sevenz_b
timed sha256sum sha256
timed md5sum md5
timed openssl-enc openssl_enc
timed openssl-enc-nosimd openssl_enc_nosimd
timed openssl-speed-sha256 speed_sha256
timed openssl-speed-aes speed_aes
timed openssl-speed-sha256-nosimd speed_sha256_nosimd
timed openssl-speed-aes-nosimd speed_aes_nosimd
timed sqlite3 sqlite
timed tcc tcc_stb
timed python3 python
timed sort sort_text
timed awk awk_words
timed find find_tree
timed fork-exec fork_exec
timed pipes pipes
timed small-files small_files
echo "BENCH-DONE"
