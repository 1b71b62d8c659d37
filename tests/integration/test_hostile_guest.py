# SPDX-License-Identifier: GPL-2.0-or-later
"""A hostile guest against hover (issue 12): what it writes to its disks must
never make hover read a host file, and what it writes to the board's ports
and MMIO ranges must not take hover down.

The disk attack is the one Cloud Hypervisor's GHSA-jmr4-g2hv-mjj6 describes:
the guest writes a qcow2 header whose backing file is a host file into sector
0 of its raw disk and reboots; a hypervisor that probes the format on reopen
then serves the host file as the guest's disk. The secret here is a file of
our own with a marker in it (standing in for /etc/shadow)."""
import os
import shutil
import subprocess

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover

ACCEL = os.environ.get("HOVER_TEST_ACCEL", "emu")
CMDLINE = "console=ttyS0 quiet panic=-1"
MiB = 1024 * 1024
needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                    reason="qemu-img (qemu-utils) not installed")


def sh(child, cmd, timeout=BOOT_TIMEOUT):
    marker = "__done_%d__" % (abs(hash(cmd)) % 100000)
    child.sendline(f"{cmd}; echo {marker}$?")
    child.expect(marker + r"(\d+)", timeout=timeout)
    out = child.before
    status = int(child.match.group(1))
    child.expect_exact("# ")
    return status, out


def to_shell(child):
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    status, out = sh(child, "/sbin/hover-load-virtio")
    assert "failed" not in out, out


def boot(guest, disks, extra=""):
    args = ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", (CMDLINE + " " + extra).strip(), "--memory", "256M"]
    for d in disks:
        args += ["--disk", d]
    child = spawn_hover(args)
    to_shell(child)
    return child


def evil_header(tmp_path):
    """A secret host file, and a qcow2 image (as raw bytes) naming it as backing file."""
    marker = "HOST-SECRET-%d" % os.getpid()
    secret = tmp_path / "secret.txt"
    secret.write_text((marker + "\n") * 64)
    hdr = tmp_path / "hdr.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(secret), "-F", "raw",
                    str(hdr), "1M"], check=True)
    # The guest gets it on a read-only raw disk of its own, padded to whole sectors.
    data = hdr.read_bytes()
    hdr.write_bytes(data + bytes(-len(data) % 512))
    return marker, hdr


@needs_qemu_img
def test_guest_cannot_make_its_raw_disk_a_qcow2_pointing_at_a_host_file(hover, guest, tmp_path):
    marker, hdr = evil_header(tmp_path)
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(8 * MiB))
    # The disk as a careless user gives it: no format=. It is raw, and guarded.
    child = boot(guest, [str(disk), f"{hdr},format=raw,readonly=on"])
    status, out = sh(child, "dd if=/dev/vdb of=/dev/vda bs=64k oflag=direct conv=fsync 2>&1")
    assert status != 0, "the qcow2 header reached sector 0: " + out
    # Everything but the magic is the guest's business: the rest of the header lands.
    status, out = sh(child, "dd if=/dev/vdb of=/dev/vda bs=512 skip=1 seek=1 oflag=direct "
                            "conv=fsync 2>&1")
    assert status == 0, out
    child.sendline("reboot -f")
    to_shell(child)  # the same hover process, the machine rebuilt
    status, out = sh(child, f"grep -c {marker} /dev/vda")
    assert out.strip().splitlines()[-1] == "0", out
    status, out = sh(child, "head -c 4 /dev/vda | od -An -c")
    assert "Q   F   I" not in out
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    assert disk.read_bytes()[:4] != b"QFI\xfb"


@needs_qemu_img
def test_disk_said_raw_stays_raw_across_reboots(hover, guest, tmp_path):
    """format=raw: the guest may write what it likes, and still only reads it back."""
    marker, hdr = evil_header(tmp_path)
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(8 * MiB))
    child = boot(guest, [f"{disk},format=raw", f"{hdr},format=raw,readonly=on"])
    status, out = sh(child, "dd if=/dev/vdb of=/dev/vda bs=64k oflag=direct conv=fsync 2>&1")
    assert status == 0, out
    child.sendline("reboot -f")
    to_shell(child)
    status, out = sh(child, f"grep -c {marker} /dev/vda")
    assert out.strip().splitlines()[-1] == "0", out
    status, out = sh(child, "cmp /dev/vdb /dev/vda && echo SAME")
    assert "SAME" in out  # its own bytes, the header, not the host file
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    assert disk.read_bytes()[:4] == b"QFI\xfb"
    # Now the disk holds a qcow2 header: without format= hover refuses to guess.
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", str(disk)])
    assert rc == 2
    assert "disk.raw" in err and "never guesses" in err and "format=" in err
    # Read-only it is probed as qcow2, and its backing file is not followed unless asked.
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", f"{disk},readonly=on"])
    assert rc == 2
    assert "backing=on" in err and "disk.raw" in err


@needs_qemu_img
def test_backing_file_needs_backing_on(hover, guest, tmp_path):
    base = tmp_path / "base.raw"
    base.write_bytes(b"base!" * 1000 + bytes(MiB))
    top = tmp_path / "top.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                    str(top)], check=True)
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", f"{top},format=qcow2"])
    assert rc == 2
    assert "top.qcow2" in err and "backing=on" in err
    child = boot(guest, [f"{top},format=qcow2,backing=on"])
    status, out = sh(child, "head -c 10 /dev/vda")
    assert "base!base!" in out
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    # A self-backed image: a clear error, not a crash.
    loop = tmp_path / "loop.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "loop.qcow2",
                    "-F", "qcow2", str(loop), "1M"], check=True)
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"],
                              "--disk", f"{loop},readonly=on,backing=on"])
    assert rc == 2
    assert "loops" in err


def test_fifo_as_disk_or_kernel_is_refused_not_waited_on(hover, guest, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", str(fifo)], timeout=20)
    assert rc == 2
    assert "fifo" in err and "not a regular file" in err
