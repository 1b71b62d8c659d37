#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# kvm-rig.sh — real KVM on machines without VT-x: the nested test rig.
#
#   scripts/kvm-rig.sh pack [--qemu] BUILD GUEST OUT.cpio
#   scripts/kvm-rig.sh run OUT.cpio MODE [TIMEOUT]
#
# QEMU under TCG emulates AMD SVM (-cpu qemu64,+svm,+npt). The outer guest is
# Debian's own kernel (GUEST/vmlinuz) with an initramfs made here:
#   busybox-static, /init (scripts/kvm-rig/init), the modules irqbypass, kvm,
#   ccp and kvm-amd from the same kernel package, BUILD/hover with the shared
#   libraries it links (ldd), the inner guest GUEST/{vmlinuz,initrd.gz}, the
#   self-checking payloads BUILD/tests/asm/*.bzImage, and with --qemu also
#   qemu-system-x86_64 with its libraries and firmware (for bench/kvm_*.py).
# Inside, /dev/kvm works (API version 12) and /init runs `hover run --accel
# kvm` as MODE (rig.mode=, see scripts/kvm-rig/init) asks, printing
# "kvm-rig: ..." result lines on the serial console.
#
# RIG_FILES=DIR at pack time copies DIR's contents to /data in the outer
# initramfs (the disk images and files of rig.mode=devices).
#
# `run` boots the outer VM and copies its serial console to stdout; RIG_APPEND
# adds to the outer kernel's command line (rig.runs=N, rig.mem=SIZE). The
# initramfs is an uncompressed cpio: under TCG the kernel unpacks it faster
# than it would decompress it.
#
# The kernel modules are cached in BUILD/kvm-rig/modules-KVER (downloaded once
# with apt-get download, like scripts/make-guest.sh does).
set -euo pipefail

die() { echo "kvm-rig: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

modules_for() { # modules_for KVER CACHEDIR -> prints the directory holding the .ko files
	local kver=$1 dir=$2/modules-$1 work pkg
	if [ -s "$dir/kvm-amd.ko" ]; then
		echo "$dir"
		return
	fi
	pkg=linux-image-$kver
	work=$(mktemp -d "${TMPDIR:-/tmp}/kvm-rig.XXXXXX")
	local sandbox=()
	[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
	echo "kvm-rig: downloading $pkg for its KVM modules" >&2
	(cd "$work" && apt-get "${sandbox[@]}" download "$pkg" >&2) ||
		{ rm -rf "$work"; die "apt-get download $pkg failed"; }
	dpkg -x "$work/${pkg}"_*.deb "$work/pkg"
	mkdir -p "$dir.tmp"
	for m in irqbypass kvm ccp kvm-amd; do
		f=$(find "$work/pkg/lib/modules/$kver/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" \
			-o -name "$m.ko.zst" \) | head -n1)
		[ -n "$f" ] || { rm -rf "$work"; die "$pkg has no module $m"; }
		case "$f" in
		*.xz) xz -dc "$f" >"$dir.tmp/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$dir.tmp/$m.ko" ;;
		*) cp "$f" "$dir.tmp/$m.ko" ;;
		esac
	done
	rm -rf "$work" "$dir"
	mv "$dir.tmp" "$dir"
	echo "$dir"
}

copy_linked_libs() { # copy_linked_libs ROOT FILE: what FILE links (ldd), at the host's paths
	local root=$1 file=$2
	ldd "$file" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}

copy_with_libs() { # copy_with_libs ROOT BINARY [DEST]: the binary and every library it loads
	local root=$1 bin=$2 dest=${3:-$2} so dir
	mkdir -p "$root/$(dirname "$dest")"
	cp -L "$bin" "$root/$dest"
	copy_linked_libs "$root" "$bin"
	# What it dlopen()s by soname (hover: libslirp.so.0 for --net user,
	# libmicrohttpd.so.12 for --api-sock) is not in ldd's list: take the
	# sonames named in the binary, and pack each one found beside the
	# libraries it links, with what that one links.
	for so in $(grep -aoE 'lib[A-Za-z0-9_+.-]*\.so\.[0-9]+' "$bin" | sort -u || true); do
		for dir in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | xargs -r dirname | sort -u); do
			[ -e "$dir/$so" ] || continue
			if [ ! -e "$root/$dir/$so" ]; then
				mkdir -p "$root/$dir"
				cp -L "$dir/$so" "$root/$dir/$so"
			fi
			copy_linked_libs "$root" "$dir/$so"
			break
		done
	done
}

pack() {
	local with_qemu=0
	if [ "${1:-}" = --qemu ]; then with_qemu=1; shift; fi
	[ $# -eq 3 ] || die "usage: kvm-rig.sh pack [--qemu] BUILD GUEST OUT.cpio"
	local build=$1 guest=$2 out=$3 kver mods root
	[ -x "$build/hover" ] || die "$build/hover is missing: run make"
	[ -s "$guest/vmlinuz" ] && [ -s "$guest/initrd.gz" ] || die "no guest in $guest: make guest"
	kver=$(cat "$guest/kernel-version" 2>/dev/null) || die "$guest/kernel-version missing"
	mkdir -p "$build/kvm-rig"
	mods=$(modules_for "$kver" "$build/kvm-rig")

	root=$(mktemp -d "${TMPDIR:-/tmp}/kvm-rig-root.XXXXXX")
	trap 'rm -rf "$root"' RETURN
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lib/modules,guest,payloads,hover}
	cp /bin/busybox "$root/bin/busybox"
	for applet in $("$root/bin/busybox" --list-full); do
		[ "$applet" = bin/busybox ] && continue
		mkdir -p "$root/$(dirname "$applet")"
		ln -sf /bin/busybox "$root/$applet"
	done
	cp "$mods"/*.ko "$root/lib/modules/"
	cp "$here/kvm-rig/init" "$root/init"
	chmod 755 "$root/init"
	copy_with_libs "$root" "$build/hover" /hover/hover
	cp "$guest/vmlinuz" "$guest/initrd.gz" "$root/guest/"
	for p in "$build"/tests/asm/*.bzImage; do
		[ -e "$p" ] && cp "$p" "$root/payloads/"
	done
	if [ -n "${RIG_FILES:-}" ]; then
		[ -d "$RIG_FILES" ] || die "RIG_FILES=$RIG_FILES is not a directory"
		mkdir -p "$root/data"
		cp -R "$RIG_FILES/." "$root/data/"
	fi
	if [ $with_qemu = 1 ]; then
		local q
		q=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 is not installed"
		copy_with_libs "$root" "$q" /usr/bin/qemu-system-x86_64
		# Firmware for -M microvm (qboot) and the option ROMs it may ask for.
		mkdir -p "$root/usr/share/qemu"
		for f in bios-microvm.bin qboot.rom linuxboot_dma.bin linuxboot.bin pvh.bin \
			bios-256k.bin kvmvapic.bin; do
			[ -e "/usr/share/qemu/$f" ] && cp -L "/usr/share/qemu/$f" "$root/usr/share/qemu/"
		done
		[ -e /usr/share/seabios/bios-256k.bin ] && mkdir -p "$root/usr/share/seabios" &&
			cp -L /usr/share/seabios/bios-256k.bin "$root/usr/share/seabios/"
		# QEMU's modules directory (accelerators are built in; nothing else is needed).
	fi
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "kvm-rig: packed $out ($(du -m "$out" | cut -f1) MiB)" >&2
}

run() {
	[ $# -ge 2 ] || die "usage: kvm-rig.sh run OUT.cpio MODE [TIMEOUT_SECONDS] [GUEST]"
	local cpio=$1 mode=$2 timeout=${3:-900} guest=${4:-build/guest}
	[ -s "$cpio" ] || die "$cpio missing: run kvm-rig.sh pack first"
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed"
	# -cpu qemu64,+svm,+npt: TCG emulates AMD-V with nested paging, so kvm-amd loads.
	# RIG_HEARTBEAT=FILE: the outer guest's second serial port, where /init
	# writes a line every few seconds, so that a caller can tell a stalled
	# outer guest from a slow one; RIG_MONITOR=SOCKET: QEMU's monitor there.
	local extra=()
	[ -n "${RIG_HEARTBEAT:-}" ] && extra+=(-serial "file:$RIG_HEARTBEAT")
	[ -n "${RIG_MONITOR:-}" ] && extra+=(-monitor "unix:$RIG_MONITOR,server=on,wait=off")
	exec timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-accel tcg -cpu qemu64,+svm,+npt -m 2G -smp 1 \
		-nographic -no-reboot -nodefaults -serial stdio "${extra[@]}" \
		-kernel "$guest/vmlinuz" -initrd "$cpio" \
		-append "console=ttyS0 panic=-1 quiet rig.mode=$mode ${RIG_APPEND:-}"
}

cmd=${1:-}
shift || true
case "$cmd" in
pack) pack "$@" ;;
run) run "$@" ;;
*) die "usage: kvm-rig.sh pack [--qemu] BUILD GUEST OUT.cpio | run OUT.cpio MODE [TIMEOUT] [GUEST]" ;;
esac
