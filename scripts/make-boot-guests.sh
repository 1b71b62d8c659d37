#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guests for the firmware boot (tests/integration/test_firmware.py, bench/firmware_boot.py),
# made from Debian's packages and cached in OUT (default build/boot-guests):
#
#   rescue.iso   grub-mkrescue (grub-pc-bin, xorriso, mtools) of the test guest's kernel
#                and initramfs (GUEST, default build/guest); GRUB on the serial line,
#                a 1 s menu, then Linux to the busybox shell. The ISO is hybrid: it boots
#                as a disk (--disk rescue.iso,format=raw,readonly=on) and as a CD.
#   memtest.iso  the same with memtest86+ (package memtest86+), started by GRUB with
#                console=ttyS0 so that it reports on the serial line. (Debian's own
#                memtest86+x64.iso boots a floppy image by El Torito and prints only on
#                the screen: it needs the CD-ROM and the display.)
#
# Rebuilt only when an input is newer than the ISO.
set -eu

OUT=${1:-build/boot-guests}
GUEST=${2:-build/guest}
MEMTEST=/boot/memtest86+x64.bin

need() {
	command -v "$1" >/dev/null 2>&1 || {
		echo "make-boot-guests: $1 is missing (apt-get install $2)" >&2
		exit 1
	}
}
need grub-mkrescue grub-pc-bin
need xorriso xorriso
need mformat mtools
[ -d /usr/lib/grub/i386-pc ] || { echo "make-boot-guests: install grub-pc-bin" >&2; exit 1; }
for f in "$GUEST/vmlinuz" "$GUEST/initrd.gz"; do
	[ -f "$f" ] || { echo "make-boot-guests: $f is missing (make guest)" >&2; exit 1; }
done
mkdir -p "$OUT"

# fresh ISO INPUTS...: true if the ISO exists and is newer than every input
fresh() {
	iso=$1
	shift
	[ -f "$iso" ] || return 1
	for i in "$@"; do
		[ "$i" -nt "$iso" ] && return 1
	done
	return 0
}

# mkiso ISO GRUBCFG FILE...: an ISO with the files in /boot and the config in /boot/grub
mkiso() {
	iso=$1 cfg=$2
	shift 2
	tree=$(mktemp -d)
	mkdir -p "$tree/boot/grub"
	for f in "$@"; do cp "$f" "$tree/boot/"; done
	printf '%s\n' "$cfg" >"$tree/boot/grub/grub.cfg"
	grub-mkrescue -o "$iso.tmp" "$tree" >/dev/null 2>&1 || {
		rm -rf "$tree" "$iso.tmp"
		echo "make-boot-guests: grub-mkrescue failed for $iso" >&2
		exit 1
	}
	mv "$iso.tmp" "$iso"
	rm -rf "$tree"
	echo "make-boot-guests: $iso"
}

SERIAL='serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=1'

if ! fresh "$OUT/rescue.iso" "$GUEST/vmlinuz" "$GUEST/initrd.gz" "$0"; then
	mkiso "$OUT/rescue.iso" "$SERIAL
menuentry 'hover test guest' {
	echo 'GRUB: loading Linux'
	linux /boot/vmlinuz console=ttyS0 quiet panic=-1
	initrd /boot/initrd.gz
}" "$GUEST/vmlinuz" "$GUEST/initrd.gz"
fi

if [ -f "$MEMTEST" ]; then
	if ! fresh "$OUT/memtest.iso" "$MEMTEST" "$0"; then
		mkiso "$OUT/memtest.iso" "$SERIAL
menuentry 'memtest86+' {
	echo 'GRUB: loading memtest86+'
	linux16 /boot/memtest86+x64.bin console=ttyS0,115200
}" "$MEMTEST"
	fi
else
	echo "make-boot-guests: $MEMTEST missing (apt-get install memtest86+): no memtest.iso" >&2
fi
