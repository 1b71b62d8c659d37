#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install, from Debian 12's own packages, whatever building and testing hover
# needs and this machine lacks. Safe to run repeatedly: it does nothing when
# everything is present.
set -e
PKGS="build-essential meson ninja-build pkg-config libcmocka-dev liblzma-dev libzstd-dev
zlib1g-dev libcapstone-dev libunicorn-dev python3-pytest python3-pexpect busybox-static cpio
qemu-system-x86 qemu-utils libslirp-dev libglib2.0-dev iproute2
libpng-dev libvncserver-dev seabios
libjansson-dev libmicrohttpd-dev linux-libc-dev util-linux chromium
mmdebstrap fdisk grub-pc-bin dosfstools mtools openssh-client"
# linux-libc-dev: <linux/seccomp.h>, <linux/filter.h> and the syscall numbers the sandbox's
# own BPF filters are built from (no libseccomp: see README "Security"); util-linux: setpriv
# for the tests that act as another user; chromium: the browser tests/integration/test_webui.py
# drives; mmdebstrap ... openssh-client: `hover image build`, `hover launch` and `hover shell`
# (scripts/image-build-debian.sh, mgmt/cmd_launch.c) (nodejs and npm come with scripts/build-webui.sh, when the npm command is missing: a
# machine with NodeSource's nodejs has npm without Debian's package).
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "hover: installing from Debian:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
