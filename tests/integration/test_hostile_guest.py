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


# ---- the board's ports and MMIO ranges, written at random from inside the guest ----

# Ports left alone so the test keeps its console and the guest its power:
# COM1, the i8042 command port (0xFE resets), the ACPI PM block (S5, reset
# register) and 0xCF9. Everything else from 0 to 0xFFFF gets random bytes.
PORT_RANGES = [(0x0, 0x64), (0x65, 0x3F8), (0x400, 0x600), (0x610, 0xCF9), (0xCFA, 0x10000)]
MMIO_RANGES = [(0xFEC00000, 0x1000),   # IOAPIC
               (0xFEE00000, 0x1000),   # local APIC
               (0xE0000000, 0x100000),  # PCI ECAM, bus 0
               (0xC0000000, 0x100000)]  # PCI BARs (virtio devices)


def quit_hover(child):
    """Ctrl-A x is handled by hover itself, whatever state the guest is in."""
    assert child.isalive(), "hover died under the guest's writes"
    child.send("\x01x")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_port_and_mmio_writes_from_the_guest(hover, guest, tmp_path, seed):
    import random
    rnd = random.Random(seed)
    ports = tmp_path / "ports.bin"
    ports.write_bytes(bytes(rnd.getrandbits(8) for _ in range(0x10000)))
    lines = []
    for _ in range(1500):
        base, size = rnd.choice(MMIO_RANGES)
        width = rnd.choice([8, 16, 32])
        addr = base + (rnd.randrange(size) & ~(width // 8 - 1))
        lines.append("devmem 0x%x %d 0x%x 2>/dev/null" % (addr, width, rnd.getrandbits(width)))
    # First a read that shows /dev/mem reaches the devices (iomem=relaxed), then the writes.
    script = ("devmem 0xFEC00000 32 >/dev/null && echo MMIO-OPEN\n" + "\n".join(lines) +
              "\necho MMIO-DONE\nexit\n").encode()
    mmio = tmp_path / "mmio.sh"
    mmio.write_bytes(script + b"\n" * (-len(script) % 512))
    child = boot(guest, [f"{ports},format=raw,readonly=on", f"{mmio},format=raw,readonly=on"],
                 extra="iomem=relaxed")
    # Ports first: one dd per range, a byte per port.
    cmd = "; ".join(f"dd if=/dev/vda of=/dev/port bs=1 skip={lo} seek={lo} count={hi - lo} "
                    f"2>/dev/null" for lo, hi in PORT_RANGES)
    child.sendline(cmd + "; echo PORTS-DONE")
    try:
        child.expect_exact("PORTS-DONE", timeout=BOOT_TIMEOUT)
        # The guest may still be alive: the MMIO ranges too (a script on vdb).
        child.sendline("head -c %d /dev/vdb > /tmp/m.sh; sh /tmp/m.sh" % len(script))
        child.expect_exact("MMIO-OPEN", timeout=BOOT_TIMEOUT)
        child.expect_exact("MMIO-DONE", timeout=BOOT_TIMEOUT)
    except pexpect.TIMEOUT:
        pass  # the guest broke itself (masked its timer, lost its disks): its business
    except pexpect.EOF:
        # hover ended: only as a machine ends (guest reset or fault), never by a signal.
        child.close()
        assert child.signalstatus is None and child.exitstatus in (0, 1), \
            (child.exitstatus, child.signalstatus)
        return
    quit_hover(child)
