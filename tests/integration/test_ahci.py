# SPDX-License-Identifier: GPL-2.0-or-later
"""The AHCI SATA controller (issue 15) end to end under Debian's kernel and its
ahci, sd_mod, sr_mod and isofs modules: a SATA disk read and written with
checksums the host checks, ISO images on the ATAPI CD-ROM mounted and read,
the disc changed through the per-VM API, a snapshot and restore with the
controller in use, and a guest that programs the controller with garbage and
with command lists and PRDTs pointing outside its RAM."""
import hashlib
import os
import shutil
import subprocess

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover, guest_sh as sh
from unixhttp import api

CMDLINE = "console=ttyS0 quiet panic=-1"
MiB = 1024 * 1024
MKISO = shutil.which("xorriso") or shutil.which("genisoimage")
needs_mkiso = pytest.mark.skipif(MKISO is None, reason="xorriso or genisoimage not installed")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def make_iso(tmp_path, name, files):
    """An ISO 9660 image holding files {name: bytes}."""
    d = tmp_path / (name + ".d")
    d.mkdir()
    for fn, data in files.items():
        (d / fn).write_bytes(data)
    iso = tmp_path / (name + ".iso")
    if os.path.basename(MKISO) == "xorriso":
        cmd = [MKISO, "-as", "mkisofs", "-quiet", "-o", str(iso), str(d)]
    else:
        cmd = [MKISO, "-quiet", "-o", str(iso), str(d)]
    subprocess.run(cmd, check=True, capture_output=True)
    return iso


def boot(args, extra=""):
    child = spawn_hover(["run", "--accel", "emu", "--kernel", GUEST["kernel"], "--initrd",
                         GUEST["initrd"], "--cmdline", (CMDLINE + " " + extra).strip(),
                         "--memory", "160M"] + args)
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    return child


def load_ahci(child):
    status, out = sh(child, "hover-load-hw ahci sd_mod sr_mod isofs && sleep 1 && "
                     "ls /sys/block")
    assert status == 0, out
    return out


def poweroff(child):
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0


GUEST = {}


@pytest.fixture(autouse=True)
def _guest(guest):
    GUEST.update(guest)


# A guest that takes the controller away from Linux (it never loads ahci) and
# programs port 0 by hand with devmem: a command list outside RAM, a command
# table outside RAM, PRD entries outside RAM or longer than RAM, a huge PRDT,
# then random writes over every register. Lists live in the first MiB, which
# /dev/mem may map. Then Linux's driver takes the controller (its HBA reset)
# and must find and read the disk.
HOSTILE = r"""
for d in /sys/bus/pci/devices/*; do
  [ "$(cat $d/vendor)" = 0x8086 ] && [ "$(cat $d/device)" = 0x2922 ] && D=$d
done
A=$(( $(sed -n 6p $D/resource | cut -d' ' -f1) ))
printf '\006\000' | dd of=$D/config bs=1 seek=4 count=2 conv=notrunc 2>/dev/null
P=$((A + 0x100))
zero() { a=$(($1)); e=$(($2)); while [ $a -lt $e ]; do devmem $a 32 0; a=$((a + 4)); done; }
start() { devmem $((P+0x18)) 32 0; devmem $((P+0x00)) 32 $1; devmem $((P+0x04)) 32 0
          devmem $((P+0x08)) 32 0x91000; devmem $((P+0x0C)) 32 0; devmem $((P+0x10)) 32 0xffffffff
          devmem $((P+0x14)) 32 0xffffffff; devmem $((A+0x04)) 32 2; devmem $((P+0x18)) 32 0x11; }
hdr() { devmem 0x90000 32 $(( ($1 << 16) | 5 )); devmem 0x90004 32 0
        devmem 0x90008 32 $2; devmem 0x9000C 32 ${3:-0}; }
fis() { devmem 0x92000 32 $((0x27 | 0x80 << 8 | $1 << 16)); devmem 0x92004 32 $((0x40000000 | ${3:-0}))
        devmem 0x92008 32 0; devmem 0x9200C 32 ${2:-8}; }
prd() { b=$((0x92080 + $1 * 16)); devmem $b 32 $2; devmem $((b+4)) 32 ${4:-0}
        devmem $((b+8)) 32 0; devmem $((b+12)) 32 $3; }
go() { devmem $((P+0x38)) 32 1; sleep 0.1
       echo "AHCI $1 is=$(devmem $((P+0x10)) 32) tfd=$(devmem $((P+0x20)) 32) ci=$(devmem $((P+0x38)) 32)"; }
zero 0x90000 0x90100; zero 0x92000 0x92100
start 0xFFFFFC00; go list-outside-ram
start 0x90000; hdr 1 0xFFFFFF80 0xFFFFFFFF; go table-outside-ram
start 0x90000; hdr 1 0x92000; fis 0x25; prd 0 0xFFFFF000 0x3FFFFF; go prd-outside-ram
start 0x90000; hdr 1 0x92000; fis 0x25; prd 0 0x93000 0x3FFFFF 0x10; go prd-above-4g
start 0x90000; hdr 1 0x92000; fis 0x25 16; prd 0 0x93000 0x3FF; go prd-too-short
start 0x90000; hdr 65535 0x92000; fis 0x25 0x4000; go huge-prdtl
start 0x90000; hdr 1 0x92000; fis 0x35 16 0xFFFFF8; prd 0 0x93000 0x1FFF; go write-past-end
start 0x90000; hdr 1 0x92000; devmem 0x92000 32 0x12345678; go bad-fis-type
start 0x90000; hdr 1 0x92000; fis 0xA0; go packet-to-a-disk
start 0x90000; hdr 1 0x92000; fis 0xEC; prd 0 0x93000 511; go identify
echo "AHCI id0=$(devmem 0x93000 16) sectors=$(devmem $((0x93000 + 200)) 32)"
i=0; while [ $i -lt 64 ]; do
  devmem $((A + (RANDOM * 4) % 0x400)) 32 $((RANDOM * 65536 + RANDOM)); i=$((i + 1))
done
devmem $((A+0x04)) 32 0
echo AHCI-DONE
"""



def run_hostile(child):
    """HOSTILE on the console (Linux's ahci not loaded yet); the guest must survive it."""
    body = HOSTILE.encode()
    child.sendline("head -c %d /dev/vda > /tmp/h.sh; sh /tmp/h.sh" % len(body))
    child.expect_exact("AHCI-DONE", timeout=BOOT_TIMEOUT)
    out = child.before
    child.expect_exact("# ")
    lines = {l.split()[1]: l for l in out.splitlines() if l.startswith("AHCI ")}
    # A list or table outside RAM: Host Bus Fatal Error (PxIS bit 29), nothing read.
    for name in ("list-outside-ram", "table-outside-ram"):
        assert "is=0x2" in lines[name], lines[name]
    # Bad PRDs and requests: a task file error (bit 30), status ERR, the slot retired.
    for name in ("prd-outside-ram", "prd-above-4g", "prd-too-short", "huge-prdtl",
                 "write-past-end", "bad-fis-type", "packet-to-a-disk"):
        is_ = int(lines[name].split("is=")[1].split()[0], 16)
        tfd = int(lines[name].split("tfd=")[1].split()[0], 16)
        assert is_ & (1 << 30) and tfd & 1, lines[name]
        assert "ci=0x00000000" in lines[name], lines[name]
    # A well-formed IDENTIFY after all that: served into guest memory (word 0, LBA48 size).
    assert "tfd=0x00000050" in lines["identify"], lines["identify"]
    assert "AHCI id0=0x0040 sectors=0x00010000" in out, out


@needs_mkiso
def test_sata_disk_cdrom_media_change_snapshot_and_a_hostile_guest(hover, tmp_path):
    disk = tmp_path / "sata.img"
    first = os.urandom(2 * MiB)
    disk.write_bytes(first + bytes(30 * MiB))
    iso_a = make_iso(tmp_path, "a", {"hello.txt": b"disc A\n", "rand.bin": os.urandom(700000)})
    iso_b = make_iso(tmp_path, "b", {"other.txt": b"disc B here\n"})
    rand_a = (tmp_path / "a.d" / "rand.bin").read_bytes()
    script = tmp_path / "hostile.sh"
    body = HOSTILE.encode()
    script.write_bytes(body + b"\n" * (-len(body) % 512))
    sock = str(tmp_path / "api.sock")
    snap = tmp_path / "vm.snap"
    child = boot(["--disk", f"{disk},bus=sata", "--cdrom", str(iso_a), "--disk",
                  f"{script},format=raw,readonly=on", "--api-sock", sock, "--snapshot-dir",
                  str(tmp_path)], extra="iomem=relaxed")
    sh(child, "/sbin/hover-load-virtio")
    # First the guest programs the controller itself, with garbage.
    run_hostile(child)
    # Then Linux's driver takes it (an HBA reset) and finds both drives.
    out = load_ahci(child)
    assert "sda" in out and "sr0" in out, out
    # The disk: its size, and what the host wrote.
    status, out = sh(child, "cat /sys/block/sda/size")
    assert out.split()[-1] == str(32 * MiB // 512), out
    status, out = sh(child, "dd if=/dev/sda bs=1M count=2 iflag=direct 2>/dev/null | sha256sum")
    assert sha(first) in out
    # Writes (direct, 64 KiB requests through NCQ) land in the image on the host...
    status, out = sh(child, "dd if=/dev/sda of=/dev/sda bs=64k count=32 seek=80 oflag=direct "
                     "conv=fsync 2>&1")
    assert status == 0, out
    assert disk.read_bytes()[80 * 65536:80 * 65536 + 2 * MiB] == first
    # ... and read back the same, direct and through the page cache once it is dropped.
    status, out = sh(child, "dd if=/dev/sda bs=64k skip=80 count=32 iflag=direct 2>/dev/null "
                     "| sha256sum")
    assert sha(first) in out
    status, out = sh(child, "echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/sda bs=1M skip=5 "
                     "count=2 2>/dev/null | sha256sum")
    assert sha(first) in out
    # The CD-ROM: read-only, mounted, its files whole.
    status, out = sh(child, "cat /sys/block/sr0/ro")
    assert out.split()[-1] == "1", out
    status, out = sh(child, "mkdir -p /mnt; mount -t iso9660 /dev/sr0 /mnt && "
                     "cat /mnt/hello.txt && sha256sum /mnt/rand.bin; umount /mnt")
    assert status == 0 and "disc A" in out and sha(rand_a) in out, out

    # Eject through the API: the guest finds no medium.
    st, rep = api(sock, "POST", "/vm/eject", {"drive": 0})
    assert st == 200, rep
    status, out = sh(child, "mount -t iso9660 /dev/sr0 /mnt 2>&1")
    assert status != 0, out
    # Another disc goes in: the guest sees the media change and reads the new one.
    st, rep = api(sock, "POST", "/vm/cdrom", {"drive": 0, "file": str(iso_b)})
    assert st == 200 and rep["file"] == str(iso_b), rep
    status, out = sh(child, "mount -t iso9660 /dev/sr0 /mnt && cat /mnt/other.txt && ls /mnt")
    assert status == 0 and "disc B here" in out and "hello.txt" not in out, out
    status, out = sh(child, "umount /mnt; cat /sys/block/sr0/size")
    assert int(out.split()[-1]) * 512 == os.path.getsize(iso_b), out
    # Requests the API refuses, with a reason; disc B stays in.
    st, rep = api(sock, "POST", "/vm/cdrom", {"drive": 3, "file": str(iso_a)})
    assert st == 404 and "no CD-ROM drive 3" in rep["error"]["message"], rep
    st, rep = api(sock, "POST", "/vm/cdrom", {"drive": 0, "file": str(tmp_path / "nope.iso")})
    assert st == 400 and "nope.iso" in rep["error"]["message"], rep
    st, rep = api(sock, "POST", "/vm/cdrom", {"drive": "x"})
    assert st == 400, rep
    status, out = sh(child, "mount -t iso9660 /dev/sr0 /mnt && cat /mnt/other.txt; umount /mnt")
    assert "disc B here" in out, out

    # A guest reboot rebuilds the machine: the controller comes back, disc B still in.
    child.sendline("reboot -f")
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    load_ahci(child)
    status, out = sh(child, "mkdir -p /mnt; mount -t iso9660 /dev/sr0 /mnt && cat /mnt/other.txt; "
                     "umount /mnt")
    assert "disc B here" in out, out

    # Snapshot with the controller in use and disc B in, restore, go on using both drives.
    st, rep = api(sock, "POST", "/vm/snapshot", {"file": str(snap), "stop": True}, timeout=120)
    assert st == 200, rep
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    child = spawn_hover(["run", "--accel", "emu", "--restore", str(snap), "--api-sock", sock])
    child.expect_exact("restored from the snapshot")
    status, out = sh(child, "dd if=/dev/sda bs=64k skip=80 count=32 iflag=direct 2>/dev/null "
                     "| sha256sum")
    assert sha(first) in out, out
    status, out = sh(child, "dd if=/dev/sda of=/dev/sda bs=64k count=16 seek=200 oflag=direct "
                     "conv=fsync 2>&1")
    assert status == 0, out
    assert disk.read_bytes()[200 * 65536:200 * 65536 + MiB] == first[:MiB]
    # The restored VM has the disc that was in the drive at the snapshot, not --cdrom's.
    status, out = sh(child, "mount -t iso9660 /dev/sr0 /mnt && cat /mnt/other.txt; umount /mnt")
    assert "disc B here" in out, out

    poweroff(child)


def test_bad_sata_and_cdrom_options(hover, tmp_path, guest):
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(MiB))
    base = ["run", "--accel", "emu", "--kernel", guest["kernel"]]
    st, out, err = run_hover(base + ["--disk", f"{disk},bus=scsi"])
    assert st == 2 and "unknown bus" in err and "bus=sata" in err, err
    st, out, err = run_hover(base + ["--cdrom", str(tmp_path / "missing.iso")])
    assert st != 0 and "missing.iso" in err, err
    st, out, err = run_hover(base + ["--cdrom", str(disk)] * 4 +
                             ["--disk", f"{disk},bus=sata,readonly=on"] * 3)
    assert st == 2 and "more SATA drives than ports" in err, err
    st, out, err = run_hover(base + ["--cdrom", str(tmp_path)])
    assert st == 2 and "not a regular file" in err, err
