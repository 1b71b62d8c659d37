# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-blk end to end: Debian's kernel loads the virtio modules from its own
package, reads disks whose contents the host hashed, writes with fsync, and
the host checks the bytes — raw and qcow2, the latter through `qemu-img check`
and `qemu-img convert`. Plus the command-line errors a person can make."""
import fcntl
import hashlib
import os
import shutil
import subprocess

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover, guest_sh as sh

CMDLINE = "console=ttyS0 quiet panic=-1"
ACCEL = os.environ.get("HOVER_TEST_ACCEL", "emu")
MiB = 1024 * 1024
needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                    reason="qemu-img (qemu-utils) not installed")


def boot_args(guest, disks, extra=""):
    args = ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", (CMDLINE + " " + extra).strip(), "--memory", "256M"]
    for d in disks:
        args += ["--disk", d]
    return args


def boot_to_shell(guest, disks, extra=""):
    child = spawn_hover(boot_args(guest, disks, extra))
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    status, out = sh(child, "/sbin/hover-load-virtio")
    assert "failed" not in out, out
    return child


def poweroff(child):
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0


def sha(data):
    return hashlib.sha256(data).hexdigest()


@needs_qemu_img
def test_read_hashed_write_fsync_raw_and_qcow2(hover, guest, tmp_path):
    data = os.urandom(4 * MiB)
    src = tmp_path / "data.raw"
    src.write_bytes(data)
    raw = tmp_path / "scratch.raw"
    raw.write_bytes(bytes(8 * MiB))
    q = tmp_path / "scratch.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(q), "16M"], check=True)

    child = boot_to_shell(guest, [f"{src},format=raw,readonly=on", f"{raw},format=raw",
                                  f"{q},format=qcow2"])
    # vda: what the host hashed, and read-only.
    status, out = sh(child, "sha256sum /dev/vda")
    assert sha(data) in out
    status, out = sh(child, "cat /sys/block/vda/ro")
    assert out.strip().endswith("1")
    # vdb (raw) and vdc (qcow2): the same bytes at 192 KiB, written with fsync.
    for dev in ("vdb", "vdc"):
        status, out = sh(child, f"dd if=/dev/vda of=/dev/{dev} bs=64k seek=3 conv=fsync")
        assert status == 0, out
    # The raw image holds the bytes on the host while the guest still runs.
    got = raw.read_bytes()
    assert got[192 * 1024:192 * 1024 + len(data)] == data
    assert got[:192 * 1024] == bytes(192 * 1024)
    # Direct I/O reads back what was written, through the qcow2 mapping.
    status, out = sh(child, "dd if=/dev/vdc bs=64k skip=3 count=64 iflag=direct | sha256sum")
    assert sha(data) in out
    poweroff(child)

    subprocess.run(["qemu-img", "check", "-q", str(q)], check=True)
    out_raw = tmp_path / "back.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(q), str(out_raw)], check=True)
    back = out_raw.read_bytes()
    assert len(back) == 16 * MiB
    assert back[192 * 1024:192 * 1024 + len(data)] == data
    assert back[:192 * 1024] == bytes(192 * 1024)
    assert back[192 * 1024 + len(data):] == bytes(len(back) - 192 * 1024 - len(data))


@needs_qemu_img
def test_qemu_made_compressed_qcow2_over_intx(hover, guest, tmp_path):
    """An image qemu-img convert made (compressed clusters), with MSI off so
    interrupts come through INTx and the IOAPIC."""
    data = os.urandom(2 * MiB) + bytes(2 * MiB)
    src = tmp_path / "src.raw"
    src.write_bytes(data)
    q = tmp_path / "c.qcow2"
    subprocess.run(["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", str(src), str(q)],
                   check=True)
    child = boot_to_shell(guest, [f"{q},format=qcow2"], extra="pci=nomsi")
    status, out = sh(child, "sha256sum /dev/vda")
    assert sha(data) in out
    status, out = sh(child, "grep virtio /proc/interrupts")
    assert "IO-APIC" in out and "MSI" not in out, out
    poweroff(child)


# ---- bad input: exit status 2 and a message naming the file ----

def run_args(guest, disk):
    return ["run", "--accel", "emu", "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--disk", disk]


def test_missing_image(hover, guest, tmp_path):
    status, out, err = run_hover(run_args(guest, str(tmp_path / "nope.img")))
    assert status == 2
    assert "nope.img" in err and "No such file" in err


def test_unknown_format(hover, guest, tmp_path):
    img = tmp_path / "d.img"
    img.write_bytes(bytes(MiB))
    status, out, err = run_hover(run_args(guest, f"{img},format=vmdk"))
    assert status == 2
    assert "format" in err and "d.img" in err


def test_corrupt_qcow2_header(hover, guest, tmp_path):
    img = tmp_path / "bad.qcow2"
    hdr = bytearray(512)
    hdr[0:4] = b"QFI\xfb"
    hdr[7] = 3          # version 3
    hdr[23] = 40        # cluster_bits 40: nonsense
    img.write_bytes(bytes(hdr) + bytes(MiB))
    status, out, err = run_hover(run_args(guest, f"{img},format=qcow2"))
    assert status == 2
    assert "bad.qcow2" in err and "corrupt qcow2 header" in err
    # Read-only it is probed, as qcow2, and found corrupt just the same.
    status, out, err = run_hover(run_args(guest, f"{img},readonly=on"))
    assert status == 2
    assert "bad.qcow2" in err and "corrupt qcow2 header" in err


def test_locked_image(hover, guest, tmp_path):
    img = tmp_path / "busy.img"
    img.write_bytes(bytes(MiB))
    with open(img, "r+b") as f:
        fcntl.lockf(f, fcntl.LOCK_EX)  # as another hover's write lock would
        status, out, err = run_hover(run_args(guest, str(img)))
    assert status == 2
    assert "busy.img" in err and "locked" in err
