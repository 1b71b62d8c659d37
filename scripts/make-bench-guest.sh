#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-bench-guest.sh [OUTDIR]  (default: build/bench-guest)
#
# Builds the initramfs for bench/real_programs.py: real, unmodified programs
# from Debian 12's packages, their shared libraries, deterministic inputs and
# a driver that times each program and powers off.
#
#   OUTDIR/debs/         the .deb files, downloaded once (apt-get download)
#   OUTDIR/initrd.cpio   newc cpio, uncompressed (no in-guest gunzip to wait for)
#
# Packages (and their Depends/Pre-Depends, resolved with apt-cache, less the
# ones in EXCLUDE that only matter to dpkg or to linking): 7zip, xz-utils,
# gzip, bzip2, coreutils, findutils, mawk, dash, sqlite3, openssl, tcc with
# libc6-dev's headers, libstb-dev (the C file tcc compiles), python3.11-minimal
# and busybox-static (init, mount, poweroff). Nothing comes from anywhere but
# Debian's repositories; once OUTDIR/debs holds the set, the build needs no
# network (delete OUTDIR/debs to fetch the current versions again).
#
# The inputs are made here, deterministically, from the extracted packages:
#   data/text     3 MiB: Python's standard library and C headers, in name order
#   data/corpus   4 MiB: data/text + 1 MiB of the ELF binaries (compressors, hashes)
#   data/stb.c    a translation unit of stb's single-file libraries (~25k lines)
#   data/bench.sql 20,000 INSERTs in a transaction, an index, joins and aggregates
#   data/loop.py  a pure-Python workload (dicts, strings, calls, a sieve)
# Every file's mtime is fixed, so archives made in the guest are identical too.
#
# The guest's /init mounts proc, sys, devtmpfs and a tmpfs on /tmp, prints
# "bench-guest: init started", runs /bench/run.sh and powers off. run.sh prints,
# per program, "BEGIN name", "END name" (the host timestamps these) and
#   BENCH name seconds checksum        (timed by the guest clock, date +%s%N)
#   RATE name value unit               (a figure the program measured itself)
# and finally "BENCH-DONE". The kernel command line can pick programs:
# bench.only=gzip-c,sqlite (default: all). The kernel is not part of this
# image: the benchmark boots the demo guest's (scripts/make-guest.sh).
set -euo pipefail

out=${1:-build/bench-guest}
here=$(cd "$(dirname "$0")" && pwd)
script_sum=$(cat "$0" "$here/../bench/guest/real_run.sh" | sha256sum | cut -c1-16)

die() { echo "make-bench-guest: $*" >&2; exit 1; }

PKGS="busybox-static dash coreutils findutils mawk gzip bzip2 xz-utils 7zip sqlite3 openssl
tcc libc6-dev libstb-dev python3.11-minimal"
# Needed by dpkg's maintainer scripts or by a linker, never by these programs
# in this guest (libc6-dev's static-library and RPC companions).
EXCLUDE="dpkg install-info debianutils tar readline-common libc-dev-bin libcrypt-dev
libnsl-dev libtirpc-dev rpcsvc-proto libstb0"

for t in apt-cache apt-get dpkg-deb cpio python3 readelf; do
	command -v "$t" >/dev/null || die "$t is missing (apt-get install -y apt dpkg cpio python3 binutils)"
done

debs="$out/debs"
mkdir -p "$debs"
want_sum=$(echo "$PKGS|$EXCLUDE" | sha256sum | cut -c1-16)

# --- 1. the package set (cached in debs/PACKAGES, so no apt needed later) ---
if [ -f "$debs/PACKAGES" ] && [ "$(head -n1 "$debs/PACKAGES")" = "# $want_sum" ]; then
	pkgs=$(tail -n +2 "$debs/PACKAGES")
else
	# Breadth-first over Depends and Pre-Depends (first of each alternative,
	# first provider of a virtual package), stopping at EXCLUDE.
	pkgs=$(python3 - "$PKGS" "$EXCLUDE" <<'EOF'
import subprocess, sys
want, excl = sys.argv[1].split(), set(sys.argv[2].split())
seen, queue = [], list(want)
while queue:
    p = queue.pop(0)
    if p in seen or p in excl:
        continue
    out = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
                          "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", p],
                         capture_output=True, text=True).stdout.splitlines()
    if not out:
        sys.exit(f"make-bench-guest: apt-cache knows no package {p} (run apt-get update?)")
    seen.append(p)
    i, skip_alt = 1, False
    while i < len(out):
        line = out[i]
        s = line.strip()
        i += 1
        if not (s.startswith("Depends:") or s.startswith("PreDepends:") or
                s.startswith("|Depends:") or s.startswith("|PreDepends:")):
            continue
        alt_next = s.startswith("|")
        dep = s.split(":", 1)[1].strip()
        providers = []
        while i < len(out) and out[i].startswith("    "):
            providers.append(out[i].strip())
            i += 1
        if not skip_alt:
            if dep.startswith("<"):
                dep = providers[0] if providers else None
            if dep and dep not in excl:
                queue.append(dep)
        skip_alt = alt_next
print("\n".join(sorted(seen)))
EOF
)
	[ -n "$pkgs" ] || die "could not resolve the package set"
fi

# --- 2. the .debs (download only what is missing) ---
deb_of() { # the cached .deb of package $1, if any
	local f
	for f in "$debs/$1"_*.deb; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
missing=()
for p in $pkgs; do
	deb_of "$p" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "make-bench-guest: downloading ${#missing[@]} packages: ${missing[*]}" >&2
	sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	(cd "$debs" && apt-get "${sandbox[@]}" download "${missing[@]}" >&2) ||
		die "apt-get download failed (network, or run apt-get update)"
fi
{ echo "# $want_sum"; echo "$pkgs"; } >"$debs/PACKAGES"

deblist=$(for p in $pkgs; do basename "$(deb_of "$p")"; done)
stamp="debs=$(echo "$deblist" | sha256sum | cut -c1-16) script=$script_sum"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] && [ -s "$out/initrd.cpio" ]; then
	echo "make-bench-guest: cached" >&2
	echo "$out/initrd.cpio"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hover-bench-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"

# --- 3. extract, merge /bin /sbin /lib /lib64 into /usr (as Debian 12 does) ---
for p in $pkgs; do
	dpkg-deb -x "$(deb_of "$p")" "$root"
done
mkdir -p "$root/usr"
for d in bin sbin lib lib64; do
	if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
		mkdir -p "$root/usr/$d"
		cp -a "$root/$d/." "$root/usr/$d/"
		rm -rf "${root:?}/$d"
	fi
	mkdir -p "$root/usr/$d"
	ln -s "usr/$d" "$root/$d"
done
# What dpkg -x leaves out: maintainer scripts' and alternatives' symlinks.
ln -sf dash "$root/usr/bin/sh"
ln -sf mawk "$root/usr/bin/awk"
ln -sf python3.11 "$root/usr/bin/python3"
ln -sf 7zz "$root/usr/bin/7z"
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,doc-base,menu,gdb} \
	"$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/usr/bin/i386-tcc
find "$root/usr/lib/x86_64-linux-gnu" -maxdepth 1 -name '*.a' -delete

# busybox applets where Debian's packages left the name free.
bb="$root/usr/bin/busybox"
[ -x "$bb" ] || die "busybox-static did not provide /bin/busybox"
for applet in $("$bb" --list-full); do
	name=${applet##*/}
	[ -e "$root/usr/bin/$name" ] || [ -L "$root/usr/bin/$name" ] ||
		[ -e "$root/usr/sbin/$name" ] || [ -L "$root/usr/sbin/$name" ] ||
		ln -s /usr/bin/busybox "$root/usr/${applet#usr/}"
done 2>/dev/null
mkdir -p "$root"/{proc,sys,dev,tmp,root,etc,bench/data}

# --- 4. every ELF's libraries must be in the image (fail loudly, not in the guest) ---
python3 - "$root" <<'EOF' || die "shared libraries missing from the image (see above)"
import os, subprocess, sys
root = sys.argv[1]
libdirs = ["usr/lib/x86_64-linux-gnu", "usr/lib", "usr/lib64"]
have = set()
for d in libdirs:
    p = os.path.join(root, d)
    if os.path.isdir(p):
        have.update(os.listdir(p))
bad = 0
for top in ("usr/bin", "usr/sbin", "usr/lib/x86_64-linux-gnu"):
    for dp, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            path = os.path.join(dp, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                if fh.read(4) != b"\x7fELF":
                    continue
            out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if "(NEEDED)" in line:
                    lib = line.split("[", 1)[1].split("]", 1)[0]
                    if lib not in have:
                        print(f"make-bench-guest: {path[len(root):]} needs {lib}", file=sys.stderr)
                        bad += 1
sys.exit(1 if bad else 0)
EOF

# --- 5. deterministic inputs ---
data="$root/bench/data"
# Text: Python's standard library and the C headers, in byte order of their names.
# (head stops reading early: the cat's SIGPIPE is expected.)
{ (cd "$root" && find usr/lib/python3.11 usr/include -type f \( -name '*.py' -o -name '*.h' \) |
	LC_ALL=C sort | xargs cat 2>/dev/null) || true; } | head -c 3145728 >"$data/text"
[ "$(stat -c %s "$data/text")" = 3145728 ] || die "not enough text for data/text"
# Binary: the ELF programs, in name order.
{ (cd "$root" && find usr/bin -type f | LC_ALL=C sort | xargs cat 2>/dev/null) || true; } | head -c 1048576 >"$work/bin"
cat "$data/text" "$work/bin" >"$data/corpus"

# stb's libraries as one C file: real, widely used code tcc has to chew through.
cat >"$data/stb.c" <<'EOF'
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_SIMD
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_TRUETYPE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_SPRINTF_IMPLEMENTATION
#define STB_DS_IMPLEMENTATION
#define STB_RECT_PACK_IMPLEMENTATION
#define STB_PERLIN_IMPLEMENTATION
#include "stb_image.h"
#include "stb_image_write.h"
#include "stb_rect_pack.h"
#include "stb_truetype.h"
#include "stb_image_resize.h"
#include "stb_sprintf.h"
#include "stb_ds.h"
#include "stb_perlin.h"
#include "stb_vorbis.c"
EOF
# stb_vorbis ships as a header; include it as the implementation.
[ -f "$root/usr/include/stb/stb_vorbis.h" ] || die "libstb-dev has no stb_vorbis.h"
ln -s /usr/include/stb/stb_vorbis.h "$data/stb_vorbis.c"

# SQL: a table filled by 20,000 INSERT statements in one transaction, an index,
# a second table, then queries (aggregates, a join, LIKE, ORDER BY ... LIMIT).
python3 - "$data/bench.sql" <<'EOF'
import sys
out = ["CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, v REAL);",
       "CREATE TABLE g(k INTEGER PRIMARY KEY, label TEXT);", "BEGIN;"]
x = 12345
for i in range(1, 20001):
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out.append(f"INSERT INTO t(id,k,name,v) VALUES({i},{x % 997},'item-{x:08x}',{(x % 100000) / 7.0!r});")
for k in range(997):
    out.append(f"INSERT INTO g VALUES({k},'group-{k * 7919 % 1009}');")
out += ["COMMIT;",
        "CREATE INDEX t_k ON t(k);",
        "CREATE INDEX t_name ON t(name);",
        "SELECT count(*), sum(k), printf('%.3f', avg(v)) FROM t;",
        "SELECT k, count(*), printf('%.3f', sum(v)) FROM t GROUP BY k ORDER BY 2 DESC, 1 LIMIT 20;",
        "SELECT g.label, count(*) FROM t JOIN g ON t.k = g.k WHERE t.v > 5000 "
        "GROUP BY g.label ORDER BY 2 DESC, 1 LIMIT 20;",
        "SELECT count(*) FROM t WHERE name LIKE 'item-1%';",
        "SELECT id, name FROM t WHERE k BETWEEN 100 AND 110 ORDER BY name LIMIT 30;",
        "UPDATE t SET v = v * 2 WHERE k % 3 = 0;",
        "DELETE FROM t WHERE k % 5 = 1;",
        "SELECT count(*), printf('%.3f', sum(v)) FROM t;",
        "SELECT a.id, b.id FROM t a JOIN t b ON a.k = b.k AND a.id < b.id WHERE a.id < 300 "
        "ORDER BY 1, 2 LIMIT 40;"]
with open(sys.argv[1], "w") as f:
    f.write("\n".join(out) + "\n")
EOF

cat >"$data/loop.py" <<'EOF'
# A pure-Python workload: integer arithmetic, dicts, strings, calls, a class.
class Acc:
    def __init__(self):
        self.h = 0

    def add(self, v):
        self.h = (self.h * 31 + v) & 0xFFFFFFFF


def sieve(n):
    flags = [True] * (n + 1)
    flags[0] = flags[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if flags[i]:
            for j in range(i * i, n + 1, i):
                flags[j] = False
    return [i for i, f in enumerate(flags) if f]


def main():
    acc = Acc()
    d = {}
    for i in range(120000):
        k = (i * 2654435761) & 0xFFFF
        d[k] = d.get(k, 0) + i
        acc.add(i ^ k)
    words = ["w%d" % (i % 5003) for i in range(60000)]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    s = "-".join(sorted(counts)[:1000])
    primes = sieve(200000)
    print(acc.h, len(d), sum(d.values()) & 0xFFFFFFFF, len(s), len(primes), primes[-1])


main()
EOF

# --- 6. the driver and /init ---
cp "$here/../bench/guest/real_run.sh" "$root/bench/run.sh"
chmod 755 "$root/bench/run.sh"
cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "bench-guest: init started"
/bench/run.sh
echo "bench-guest: run.sh exited with status $?"
poweroff -f
EOF
chmod 755 "$root/init"

# Fixed mtimes (archives made in the guest store them), then pack.
find "$root" -exec touch -h -d @946684800 {} +
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) >"$work/initrd.cpio"
mv "$work/initrd.cpio" "$out/initrd.cpio"
echo "$stamp" >"$out/.stamp"
echo "make-bench-guest: built $(du -h "$out/initrd.cpio" | cut -f1) initramfs from $(echo "$pkgs" | wc -w) packages" >&2
echo "$out/initrd.cpio"
