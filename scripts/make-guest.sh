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
# kernel command line: hover.test=poweroff | reboot | panic | ticker, or (default) gives
# an interactive shell on the console. hover.run=PATH runs a program and powers off.
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
need_pkg modinfo kmod

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
order="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
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

# --- hardware drivers beyond virtio: hover-load-hw MODULE... ---
# SATA/ATAPI (AHCI), the Bochs display and its DRM stack, the balloon, virtio
# input, the PS/2 mouse, ISO 9660. Each wanted module's dependencies come from
# its own modinfo, so /lib/modules/hw-deps/M lists what to load, in order.
mkdir -p "$root/lib/modules/hw" "$root/lib/modules/hw-deps"
hw_file() { find "$moddir" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -n1; }
hw_copy() { # hw_copy NAME FILE: uncompressed into lib/modules/hw
	[ -e "$root/lib/modules/hw/$1.ko" ] && return 0
	case "$2" in
	*.xz) xz -dc "$2" >"$root/lib/modules/hw/$1.ko" ;;
	*.zst) zstd -qdc "$2" >"$root/lib/modules/hw/$1.ko" ;;
	*) cp "$2" "$root/lib/modules/hw/$1.ko" ;;
	esac
}
hw_order() { # hw_order NAME: prints NAME's dependencies (depth first), then NAME
	local f d
	f=$(hw_file "$1")
	[ -n "$f" ] || return 0 # built into the kernel
	hw_copy "$1" "$f"
	for d in $(modinfo -F depends "$root/lib/modules/hw/$1.ko" | tr , ' '); do
		hw_order "$d"
	done
	echo "$1"
}
for m in ahci sd_mod sr_mod isofs bochs virtio_balloon virtio_input psmouse evdev; do
	hw_order "$m" | awk '!seen[$0]++' >"$root/lib/modules/hw-deps/$m"
done
cat >"$root/sbin/hover-load-hw" <<'EOS'
#!/bin/sh
# hover-load-hw MODULE...: load each module and its dependencies (see
# /lib/modules/hw-deps); "hover-load-hw all" loads every one.
[ "$1" = all ] && set -- $(ls /lib/modules/hw-deps)
for want in "$@"; do
	[ -f "/lib/modules/hw-deps/$want" ] || { echo "hover-load-hw: no module $want"; continue; }
	for m in $(cat "/lib/modules/hw-deps/$want"); do
		grep -q "^$(echo "$m" | tr - _) " /proc/modules && continue
		insmod "/lib/modules/hw/$m.ko" 2>/dev/null || echo "hover-load-hw: $m failed"
	done
done
EOS
chmod 755 "$root/sbin/hover-load-hw"
# --- end hardware drivers ---

# --- hover.test=ticker (tests/integration/test_hoverd.py) ---
# The ACPI power button reaches busybox acpid through evdev: button.ko makes
# the input device, evdev.ko the /dev/input/event* node acpid reads.
: >"$root/lib/modules/ticker-order"
for m in evdev button; do
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
	echo "$m.ko" >>"$root/lib/modules/ticker-order"
done
# busybox acpid runs ./PWRF/00000080 (in its config directory) for the power button.
mkdir -p "$root/etc/acpi/PWRF"
printf '#!/bin/sh\necho "hover-guest: power button"\npoweroff -f\n' >"$root/etc/acpi/PWRF/00000080"
chmod 755 "$root/etc/acpi/PWRF/00000080"
# --- end ticker ---

cat >"$root/sbin/hover-load-virtio" <<'EOF'
#!/bin/sh
# Load the virtio modules in dependency order.
for m in $(cat /lib/modules/load-order); do
	insmod "/lib/modules/$m" 2>/dev/null || echo "hover-load-virtio: $m failed"
done
EOF
chmod 755 "$root/sbin/hover-load-virtio"

# --- networking (net/console/rng engineer) ---
# busybox-static ships udhcpc without the event script that configures the
# interface: this one sets the address, default route, DNS and MTU from the
# lease. hover-net-up loads the virtio modules if needed and runs DHCP on eth0.
mkdir -p "$root/usr/share/udhcpc"
cat >"$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc event script: $1 is the event, the lease is in the environment.
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface" 2>/dev/null
	ip link set "$interface" up
	;;
bound|renew)
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	if [ -n "$router" ]; then
		while route del default gw 0.0.0.0 dev "$interface" 2>/dev/null; do :; done
		for r in $router; do
			route add default gw "$r" dev "$interface"
			break
		done
	fi
	: >/etc/resolv.conf
	for d in $dns; do
		echo "nameserver $d" >>/etc/resolv.conf
	done
	echo "udhcpc: $interface is $ip (router ${router:-none}, dns ${dns:-none})"
	;;
esac
exit 0
EOF
chmod 755 "$root/usr/share/udhcpc/default.script"
cat >"$root/sbin/hover-net-up" <<'EOF'
#!/bin/sh
# Bring up eth0 with DHCP (on hover's user-mode network: 10.0.2.15).
[ -d /sys/class/net/eth0 ] || hover-load-virtio
ip link set lo up
udhcpc -i eth0 -q -n -t 10 -T 1 -s /usr/share/udhcpc/default.script
EOF
chmod 755 "$root/sbin/hover-net-up"
# --- end networking ---

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
# --- hover.run hook (bench/cpu_programs.py) ---
# hover.run=PATH [hover.runargs=A,B,...]: run PATH with those arguments, then power off.
run=
runargs=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	hover.run=*) run=${arg#hover.run=} ;;
	hover.runargs=*) runargs=$(echo "${arg#hover.runargs=}" | tr , ' ') ;;
	esac
done
if [ -n "$run" ]; then
	# shellcheck disable=SC2086 # runargs is split on purpose
	"$run" $runargs
	echo "hover-guest: $run exited with status $?"
	poweroff -f
fi
# --- end hover.run hook ---
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
ticker) # --- hover.test=ticker: acpid + a line a second ---
	for m in $(cat /lib/modules/ticker-order); do
		insmod "/lib/modules/$m" 2>/dev/null || echo "hover-guest: insmod $m failed"
	done
	mkdir -p /var/run /var/log
	acpid -c /etc/acpi -l /var/log/acpid.log
	echo "hover-guest: ticker (acpid: power button -> poweroff -f)"
	n=0
	while :; do
		n=$((n + 1))
		echo "tick $n"
		sleep 1
	done
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
