#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-guest.sh [OUTDIR]  (default: build/guest)
#
# Builds hover's demo/test guest from Debian packages only:
#   OUTDIR/vmlinuz    Debian's linux-image-amd64 bzImage, byte for byte as shipped
#   OUTDIR/initrd.gz  newc cpio + gzip: busybox-static, /init, virtio modules
#
# /init prints "hover-guest: init started" as its first line, then obeys the
# kernel command line: hover.test=poweroff | reboot | panic, or (default) gives
# an interactive shell on the console.
#
# The result is cached: when OUTDIR holds a guest built from the same kernel
# and busybox versions by the same version of this script, nothing is done.
# Extraction needs no root; installing a missing tool (busybox-static, cpio)
# runs apt-get and therefore does.
set -euo pipefail

out=${1:-build/guest}
script_sum=$(sha256sum "$0" | cut -c1-16)

die() { echo "make-guest: $*" >&2; exit 1; }

need_pkg() { # need_pkg <command-or-file> <package>
	if [ ! -e "$1" ] && ! command -v "$1" >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "$2 is not installed; run: sudo apt-get install -y $2"
		echo "make-guest: installing $2" >&2
		apt-get install -y "$2" >&2 || { apt-get update >&2 && apt-get install -y "$2" >&2; } ||
			die "cannot install $2"
	fi
}

need_pkg /bin/busybox busybox-static
need_pkg cpio cpio
need_pkg gzip gzip
need_pkg xz xz-utils

# Resolve the kernel package linux-image-amd64 currently points at.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
	if [ "$(id -u)" = 0 ]; then apt-get update >&2 || true; fi
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
fi
[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (run apt-get update?)"
kver_pkg=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: *//p')
bbver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)
stamp="kernel=$kpkg $kver_pkg busybox=$bbver script=$script_sum"

if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] &&
	[ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ]; then
	echo "make-guest: cached ($kpkg $kver_pkg)"
	echo "$out/vmlinuz"
	echo "$out/initrd.gz"
	exit 0
fi

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/hover-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "make-guest: downloading $kpkg $kver_pkg" >&2
# As root, apt would hand the download to the _apt user, who cannot write to $work.
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
(cd "$work" && apt-get "${sandbox[@]}" download "$kpkg" >&2) || die "apt-get download $kpkg failed"
dpkg -x "$work"/"$kpkg"_*.deb "$work/pkg"

vmlinuz=$(find "$work/pkg/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[ -n "$vmlinuz" ] || die "$kpkg holds no boot/vmlinuz-*"
kver=${vmlinuz##*/vmlinuz-}
moddir="$work/pkg/lib/modules/$kver/kernel"

# --- the initramfs tree ---
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -sf /bin/busybox "$root/$applet"
done

# Virtio modules, in load order (dependencies first). Stored uncompressed so
# that busybox insmod loads them whatever its decompression support.
order="virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
virtio_blk failover net_failover virtio_net virtio_console virtio-rng"
: >"$root/lib/modules/load-order"
for m in $order; do
	f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n1)
	if [ -z "$f" ]; then
		echo "make-guest: note: no module $m in $kpkg (built in?)" >&2
		continue
	fi
	case "$f" in
	*.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*) cp "$f" "$root/lib/modules/$m.ko" ;;
	esac
	echo "$m.ko" >>"$root/lib/modules/load-order"
done
echo "$kver" >"$root/lib/modules/kernel-version"

cat >"$root/sbin/hover-load-virtio" <<'EOF'
#!/bin/sh
# Load the virtio modules in dependency order.
for m in $(cat /lib/modules/load-order); do
	insmod "/lib/modules/$m" 2>/dev/null || echo "hover-load-virtio: $m failed"
done
EOF
chmod 755 "$root/sbin/hover-load-virtio"

cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "hover-guest: init started"
test=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	hover.test=*) test=${arg#hover.test=} ;;
	esac
done
case "$test" in
poweroff)
	echo "hover-guest: powering off"
	poweroff -f
	;;
reboot)
	echo "hover-guest: rebooting"
	reboot -f
	;;
panic)
	echo "hover-guest: exiting init (expect a kernel panic)"
	exit 1
	;;
esac
export PS1='/ # '
# A serial console reports no window size; without one, busybox's line editor
# asks the terminal with ESC[6n, which would show up in test transcripts.
stty rows 24 cols 80 2>/dev/null
echo "hover-guest: shell on the console (poweroff -f to stop)"
exec setsid cttyhack sh
EOF
chmod 755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9 -n >"$work/initrd.gz"

cp "$vmlinuz" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$work/initrd.gz" "$out/initrd.gz"
echo "$kver" >"$out/kernel-version"
echo "$stamp" >"$out/.stamp"

echo "make-guest: built guest for $kver" >&2
echo "$out/vmlinuz"
echo "$out/initrd.gz"
