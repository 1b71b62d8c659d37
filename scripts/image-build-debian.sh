#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# image-build-debian.sh VARIANT OUTDIR
#
# Builds a cloud-ready Debian 12 disk image from Debian's packages only, for
# `hover image build` (mgmt/cmd_image.c runs this script; a shell script because
# every step is a Debian tool — mmdebstrap, mke2fs, sfdisk, grub-mkimage,
# qemu-img — and C would only wrap them). VARIANT is one of
#   debian-12          minbase + systemd, udev, D-Bus, openssh-server, sudo, kernel,
#                      GRUB, iproute2, ping, curl, ca-certificates, less, nano
#   debian-12-minimal  minbase + systemd, udev, openssh-server, sudo, kernel, GRUB;
#                      no D-Bus, so no logind or hostnamed: a faster first boot
# OUTDIR receives (built in OUTDIR.partial, renamed when complete):
#   disk.qcow2   one MBR partition (ext4, the root), GRUB i386-pc in the MBR and
#                the gap before the partition: firmware (SeaBIOS) boots it
#   vmlinuz, initrd.img   the image's own kernel and initramfs, for direct boot
#   image.json   name, build date, kernel command line, sizes
#
# Nothing needs a loop device or a mount: the root tree is a directory that
# mke2fs -d copies into a file system image, which dd places into a partitioned
# raw file; GRUB's boot.img and core.img are written with dd at the offsets
# GRUB's own installer uses (grub-bios-setup refuses plain files without a
# device map). The guest's first boot (hover-firstboot.service, below) reads a
# NoCloud seed (a disk labelled CIDATA holding meta-data and user-data).
set -euo pipefail

variant=${1:?usage: image-build-debian.sh VARIANT OUTDIR}
out=${2:?usage: image-build-debian.sh VARIANT OUTDIR}
disk_size=${HOVER_IMAGE_SIZE:-2G}

die() { echo "image build: $*" >&2; exit 1; }
step_no=0
step() { step_no=$((step_no + 1)); echo "[$step_no/7] $* ($(date +%T))"; }

case "$variant" in
debian-12-minimal) extra="" ;;
debian-12) extra="dbus,iproute2,iputils-ping,curl,ca-certificates,less,nano,bash-completion" ;;
*) die "unknown image $variant (known: debian-12, debian-12-minimal)" ;;
esac
pkgs="systemd-sysv,udev,openssh-server,sudo,linux-image-amd64,initramfs-tools"
pkgs="$pkgs,grub-pc-bin,fdisk,e2fsprogs,dosfstools,kmod,zstd${extra:+,$extra}"

for tool in mmdebstrap:mmdebstrap mke2fs:e2fsprogs sfdisk:fdisk qemu-img:qemu-utils \
	grub-mkimage:grub-pc-bin; do
	command -v "${tool%%:*}" >/dev/null ||
		die "${tool%%:*} is missing; run: sudo apt-get install -y ${tool##*:}"
done
[ "$(id -u)" = 0 ] || command -v newuidmap >/dev/null ||
	die "mmdebstrap needs root or user namespaces (sudo apt-get install -y uidmap)"

tmp="$out.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
root="$tmp/root"
trap 'rm -rf "$root" "$tmp/part.img" "$tmp/disk.raw"' EXIT

# The same mirror apt on this host uses (its deb822 file), else Debian's default.
mirror=http://deb.debian.org/debian
[ -f /etc/apt/sources.list.d/debian.sources ] && mirror=/etc/apt/sources.list.d/debian.sources

# The initramfs carries only the drivers a root disk needs here (virtio, AHCI,
# ext4): MODULES=most would put the whole driver tree in it, which the guest's
# CPU then unpacks on every boot.
hook='mkdir -p "$1/etc/initramfs-tools/hooks" "$1/etc/initramfs-tools/conf.d"
echo MODULES=list > "$1/etc/initramfs-tools/conf.d/hover.conf"
cat > "$1/etc/initramfs-tools/hooks/hover-disk" <<"EOF"
#!/bin/sh
case "$1" in prereqs) exit 0 ;; esac
. /usr/share/initramfs-tools/hook-functions
for m in virtio_pci virtio_blk virtio_scsi ahci sd_mod ata_piix ext4 crc32c_generic; do
	manual_add_modules "$m"
done
EOF
chmod 755 "$1/etc/initramfs-tools/hooks/hover-disk"'

step "mmdebstrap: Debian 12 ($variant) from $( [ -f "$mirror" ] && sed -n 's/^URIs: *//p' "$mirror" | head -n1 || echo "$mirror")"
mmdebstrap --variant=minbase --include="$pkgs" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--essential-hook="$hook" \
	--customize-hook='chroot "$1" apt-get clean' \
	bookworm "$root" "$mirror" 2>&1 | sed -u 's/^/    /' | grep -E --line-buffered 'I: |E: |W: |Setting up linux-image' || true
[ -x "$root/usr/sbin/sshd" ] || die "mmdebstrap did not finish (see the lines above)"

step "configuring: fstab, DHCP on the NIC, serial getty, first-boot service, GRUB"
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" > "$root/etc/fstab"
echo debian > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
: > "$root/etc/machine-id"   # empty: each VM makes its own on first boot
rm -f "$root"/etc/ssh/ssh_host_*   # each VM makes its own on first boot
mkdir -p "$root/etc/systemd/network"
cat > "$root/etc/systemd/network/80-hover-dhcp.network" <<'EOF'
# Any Ethernet card (virtio-net under hover): DHCP from the host's user-mode NAT or LAN.
[Match]
Type=ether

[Network]
DHCP=yes

[DHCPv4]
# The host name is the seed's (hover-firstboot), not the DHCP server's.
UseHostname=no
EOF
# Devices (ttyS0 for the serial getty, the disks) show up once udev has worked through
# its coldplug, which under a software CPU on a busy host can take past systemd's 90 s.
mkdir -p "$root/etc/systemd/system.conf.d"
printf '[Manager]\nDefaultDeviceTimeoutSec=600\n' > "$root/etc/systemd/system.conf.d/hover.conf"
# The journal stays in RAM: flushing it to /var/log costs a slow first boot minutes
# under a software CPU, and `hover logs` keeps the console anyway.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$root/etc/systemd/journald.conf.d/hover.conf"
# The DNS server DHCP offers (user networking: 10.0.2.3), without systemd-resolved.
cat > "$root/etc/resolv.conf" <<'EOF'
nameserver 10.0.2.3
EOF
cat > "$root/usr/local/sbin/hover-firstboot" <<'EOF'
#!/bin/sh
# hover's first-boot service: makes the SSH host key, then applies a NoCloud
# seed (a disk labelled CIDATA with meta-data and user-data, as `hover launch`
# writes it and cloud-init reads it): hostname, one user with SSH keys and
# sudo. A small subset of cloud-config, parsed with sed, instead of cloud-init:
# that is Python, which does not yet finish under the emu engine's JIT.
set -u
log() { echo "hover-firstboot: $*" > /dev/console; echo "hover-firstboot: $*"; }

[ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key

seed=""
for i in $(seq 1 50); do
	seed=$(blkid -t LABEL=CIDATA -o device 2>/dev/null | head -n1)
	[ -n "$seed" ] || seed=$(blkid -t LABEL=cidata -o device 2>/dev/null | head -n1)
	[ -n "$seed" ] && break
	sleep 0.2
done
if [ -z "$seed" ]; then
	log "no NoCloud seed (disk labelled CIDATA); nothing to configure"
	exit 0
fi
mnt=$(mktemp -d)
mount -o ro "$seed" "$mnt" || { log "cannot mount $seed"; exit 0; }
md="$mnt/meta-data"; ud="$mnt/user-data"
val() { sed -n "s/^[[:space:]]*$1:[[:space:]]*//p" "$2" 2>/dev/null | head -n1 | tr -d '"'"'"; }
host=$(val local-hostname "$md")
if [ -n "$host" ]; then
	echo "$host" > /etc/hostname
	hostname "$host"
	sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$host/" /etc/hosts
	log "hostname $host"
fi
user=$(val "- name" "$ud")
[ -n "$user" ] || user=$(val name "$ud")
# "      - ssh-ed25519 AAAA... comment", the key quoted or not
keys=$(sed -n 's/^[[:space:]]*-[[:space:]]*"\{0,1\}\(\(ssh\|ecdsa\)-[a-z0-9-]* [^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$ud")
if [ -n "$user" ]; then
	if [ "$user" = root ]; then home=/root
	else
		id "$user" >/dev/null 2>&1 || useradd -m -s /bin/bash -G sudo "$user"
		echo "$user ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-hover-user
		chmod 440 /etc/sudoers.d/90-hover-user
		home=$(getent passwd "$user" | cut -d: -f6)
	fi
	mkdir -p "$home/.ssh"
	printf '%s\n' "$keys" > "$home/.ssh/authorized_keys"
	chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"
	chown -R "$user:" "$home/.ssh"
	log "user $user with $(printf '%s\n' "$keys" | grep -c .) SSH key(s)"
fi
umount "$mnt"; rmdir "$mnt"
EOF
chmod 755 "$root/usr/local/sbin/hover-firstboot"
cat > "$root/usr/local/sbin/hover-growroot" <<'EOF'
#!/bin/sh
# Grow the root partition and its file system to the disk (hover launch
# --disk-size makes the disk bigger than the image). Runs once, beside sshd.
rootdev=$(findmnt -n -o SOURCE /)
disk=/dev/$(lsblk -n -o PKNAME "$rootdev" 2>/dev/null | head -n1)
[ -b "$disk" ] || exit 0
echo ", +" | sfdisk -q -N 1 --no-reread --no-tell-kernel "$disk" 2>/dev/null || exit 0
partx -u "$disk" 2>/dev/null
resize2fs "$rootdev" >/dev/null 2>&1 &&
	echo "hover-growroot: root file system grown to $(df -h --output=size / | tail -n1 | tr -d ' ')" > /dev/console
EOF
chmod 755 "$root/usr/local/sbin/hover-growroot"
cat > "$root/etc/systemd/system/hover-growroot.service" <<'EOF'
[Unit]
Description=hover first boot: grow the root partition and file system to the disk
ConditionPathExists=!/var/lib/hover-growroot.done
After=local-fs.target hover-firstboot.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hover-growroot
ExecStartPost=/usr/bin/touch /var/lib/hover-growroot.done
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
EOF
cat > "$root/etc/systemd/system/hover-firstboot.service" <<'EOF'
[Unit]
Description=hover first boot: NoCloud seed (hostname, user, SSH key), host key
ConditionPathExists=!/var/lib/hover-firstboot.done
After=local-fs.target systemd-udevd.service
Before=ssh.service systemd-user-sessions.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hover-firstboot
ExecStartPost=/usr/bin/touch /var/lib/hover-firstboot.done
RemainAfterExit=yes

[Install]
WantedBy=multi-user.target
EOF
chroot "$root" systemctl enable -q hover-firstboot.service hover-growroot.service \
	systemd-networkd.service \
	serial-getty@ttyS0.service
# The VM never waits for "network online" to boot, and sshd starts as soon as it can.
chroot "$root" systemctl disable -q systemd-networkd-wait-online.service 2>/dev/null || true
chroot "$root" systemctl mask -q apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
	e2scrub_reap.service fstrim.timer systemd-journal-flush.service 2>/dev/null || true
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin

kver=$(basename "$(ls "$root"/boot/vmlinuz-* | head -n1)")
kver=${kver#vmlinuz-}
[ -f "$root/boot/initrd.img-$kver" ] || die "the kernel package made no initrd"
cmdline="root=UUID=$uuid ro console=ttyS0 quiet panic=-1"
mkdir -p "$root/boot/grub"
cp -r "$root/usr/lib/grub/i386-pc" "$root/boot/grub/"
cat > "$root/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
search --no-floppy --fs-uuid --set=root $uuid
menuentry 'Debian GNU/Linux 12 ($kver)' {
	linux /boot/vmlinuz-$kver $cmdline
	initrd /boot/initrd.img-$kver
}
EOF
cp "$root/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$tmp/initrd.img"

step "mke2fs -d: the root tree into an ext4 file system image ($disk_size disk)"
mib=$(( $(numfmt --from=iec "$disk_size") / 1048576 ))
used=$(du -sm "$root" | cut -f1)
[ "$used" -lt $((mib - 200)) ] || die "the root tree ($used MiB) does not fit a $disk_size disk (set HOVER_IMAGE_SIZE)"
mke2fs -q -F -t ext4 -L debian-root -U "$uuid" -d "$root" "$tmp/part.img" "$((mib - 1))M"

step "sfdisk: MBR partition table, partition 1 from 1 MiB"
truncate -s "${mib}M" "$tmp/disk.raw"
echo 'start=2048, type=83, bootable' | sfdisk -q "$tmp/disk.raw"
dd if="$tmp/part.img" of="$tmp/disk.raw" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$tmp/part.img"

step "GRUB i386-pc: boot.img in the MBR, core.img in the gap before the partition"
grubdir="$root/usr/lib/grub/i386-pc"
grub-mkimage -O i386-pc -d "$grubdir" -o "$tmp/core.img" -p '(hd0,msdos1)/boot/grub' \
	biosdisk part_msdos ext2 search search_fs_uuid
core_sectors=$(( ($(stat -c %s "$tmp/core.img") + 511) / 512 ))
[ "$core_sectors" -lt 2047 ] || die "core.img is $core_sectors sectors; the gap holds 2047"
# boot.img's code, up to the disk signature at byte 440; the partition table stays.
dd if="$grubdir/boot.img" of="$tmp/disk.raw" bs=440 count=1 conv=notrunc status=none
# As grub-bios-setup does for a hard disk: NOP the "is DL a floppy?" check at 0x66 so a
# BIOS that passes a wrong drive number still reads from DL's disk.
printf '\x90\x90' | dd of="$tmp/disk.raw" bs=1 seek=$((0x66)) conv=notrunc status=none
# boot.img loads sector 1 (its default kernel sector, 0x5c); core.img's first sector
# (diskboot.img) then loads the rest from sector 2 on (its default block list).
dd if="$tmp/core.img" of="$tmp/disk.raw" bs=512 seek=1 conv=notrunc status=none
rm -f "$tmp/core.img"

step "qemu-img convert: raw to qcow2"
qemu-img convert -f raw -O qcow2 "$tmp/disk.raw" "$tmp/disk.qcow2"
rm -f "$tmp/disk.raw"

step "image.json, then $out"
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat > "$tmp/image.json" <<EOF
{"name": "$variant", "built": "$built", "kernel_version": "$kver",
 "cmdline": "$cmdline", "root_uuid": "$uuid", "disk_size": "$disk_size",
 "disk": "disk.qcow2", "kernel": "vmlinuz", "initrd": "initrd.img"}
EOF
rm -rf "$root"
rm -rf "$out"
mv "$tmp" "$out"
echo "image build: $variant done: $out ($(du -sh "$out" | cut -f1) on disk)"
