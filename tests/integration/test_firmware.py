# SPDX-License-Identifier: GPL-2.0-or-later
"""Firmware boot (no --kernel): SeaBIOS from Debian's seabios package boots a
grub-mkrescue ISO given as a read-only disk, GRUB (on the serial line) boots
Debian's kernel and the test initramfs to the busybox shell, which sees
hover's ACPI tables (handed over by fw_cfg's table loader) and powers off
through them; memtest86+ starts testing; and the mistakes a person can make
(a missing or corrupt firmware image, an unknown --boot device)."""
import os
import subprocess

import pexpect
import pytest

from conftest import BUILD, GUEST, ROOT, run_hover, spawn_hover, guest_sh as sh

ACCEL = os.environ.get("HOVER_TEST_ACCEL", "emu")
BOOT_GUESTS = os.path.join(BUILD, "boot-guests")
SEABIOS = "/usr/share/seabios/bios-256k.bin"

needs_seabios = pytest.mark.skipif(not os.path.exists(SEABIOS),
                                   reason="Debian's seabios package is not installed")


@pytest.fixture(scope="module")
def boot_guests():
    """The ISOs of scripts/make-boot-guests.sh (cached in build/boot-guests)."""
    script = os.path.join(ROOT, "scripts", "make-boot-guests.sh")
    p = subprocess.run([script, BOOT_GUESTS, GUEST], capture_output=True, text=True)
    if p.returncode:
        pytest.fail("make-boot-guests.sh failed: " + p.stderr)
    return BOOT_GUESTS


def fw_args(*disks, memory="256M"):
    args = ["run", "--accel", ACCEL, "--memory", memory]
    for d in disks:
        args += ["--disk", d]
    return args


@needs_seabios
def test_iso_boots_seabios_grub_linux_shell(hover, boot_guests, tmp_path):
    iso = os.path.join(boot_guests, "rescue.iso")
    blank = tmp_path / "blank.raw"
    blank.write_bytes(bytes(1024 * 1024))
    # A second, blank disk: SeaBIOS boots the first of the --boot disk list.
    child = spawn_hover(fw_args(iso + ",format=raw,readonly=on", str(blank) + ",format=raw")
                        + ["--boot", "disk"])
    child.expect_exact("SeaBIOS (version")
    child.expect_exact("Booting from Hard Disk")
    child.expect_exact("GNU GRUB")
    child.expect_exact("GRUB: loading Linux")
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    # hover's tables, relocated by the firmware: the RSDP in the F segment.
    status, out = sh(child, "dmesg | grep 'ACPI: RSDP'")
    assert status == 0 and "HOVER" in out, out
    assert "0x00000000000F" in out, out
    status, out = sh(child, "dmesg | grep -c 'ACPI: [A-Z]\\{4\\} .*HOVER'")
    assert int(out.split()[-1]) >= 5, out  # RSDT XSDT FACP DSDT APIC MCFG FACS
    # RAM from fw_cfg's etc/e820 (256M less what firmware and kernel keep).
    status, out = sh(child, "grep MemTotal /proc/meminfo")
    kb = int(out.split()[-2])
    assert 200 * 1024 < kb <= 256 * 1024, out
    # The disks SeaBIOS handed over are virtio-blk the guest can drive itself.
    status, out = sh(child, "/sbin/hover-load-virtio && cat /sys/block/vda/size")
    assert status == 0 and int(out.split()[-1]) * 512 == os.path.getsize(iso), out
    # ACPI S5 through our FADT: hover exits 0.
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0


@needs_seabios
@pytest.mark.parametrize("order, first", [("cdrom,disk", "Booting from DVD/CD"),
                                          ("disk,cdrom", "Booting from Hard Disk")])
def test_boot_order_between_sata_cdrom_and_virtio_disk(hover, boot_guests, order, first):
    """Both the SATA CD-ROM and the virtio disk hold GRUB: --boot decides
    which one SeaBIOS starts (fw_cfg's bootorder names each drive's path)."""
    iso = os.path.join(boot_guests, "rescue.iso")
    child = spawn_hover(fw_args(iso + ",format=raw,readonly=on") + ["--cdrom", iso,
                                                                    "--boot", order])
    child.expect_exact("SeaBIOS (version")
    i = child.expect_exact(["Booting from DVD/CD", "Booting from Hard Disk"], timeout=120)
    assert ["Booting from DVD/CD", "Booting from Hard Disk"][i] == first
    child.expect_exact("GRUB: loading Linux")
    child.terminate(force=True)


@needs_seabios
def test_memtest_starts_testing(hover, boot_guests):
    iso = os.path.join(boot_guests, "memtest.iso")
    if not os.path.exists(iso):
        pytest.skip("memtest86+ is not installed")
    child = spawn_hover(fw_args(iso + ",format=raw,readonly=on", memory="128M"))
    child.expect_exact("GRUB: loading memtest86+")
    # Its status line: testing has begun, pass 0, on the one CPU.
    child.expect(r"Status: Testing")
    child.expect(r"Pass:\s+0")
    child.expect(r"#\d+\s+\[[A-Z][a-z]+")  # the test running, e.g. "#0  [Address test"
    child.terminate(force=True)


def test_missing_firmware_file(hover, tmp_path):
    status, out, err = run_hover(["run", "--accel", ACCEL, "--firmware",
                                  str(tmp_path / "nope.bin")])
    assert status == 2, err
    assert "nope.bin" in err and "seabios" in err, err


def test_corrupt_firmware(hover, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(os.urandom(256 * 1024).replace(b"\xea", b"\x00")
                     .replace(b"\xe9", b"\x00").replace(b"\xeb", b"\x00"))
    status, out, err = run_hover(["run", "--accel", ACCEL, "--firmware", str(junk)])
    assert status == 2, err
    assert "junk.bin" in err and "reset vector" in err, err
    short = tmp_path / "short.bin"
    short.write_bytes(b"\xea" * 1000)
    status, out, err = run_hover(["run", "--accel", ACCEL, "--firmware", str(short)])
    assert status == 2, err
    assert "short.bin" in err and "not a firmware image" in err, err


def test_unknown_boot_device(hover):
    status, out, err = run_hover(["run", "--accel", ACCEL, "--boot", "disk,floppy"])
    assert status == 2, err
    assert "floppy" in err and "disk, cdrom, net" in err, err
    status, out, err = run_hover(["run", "--accel", ACCEL, "--boot", "disk,disk"])
    assert status == 2 and "twice" in err, err


def test_nothing_to_boot(hover):
    status, out, err = run_hover(["run", "--accel", ACCEL])
    assert status == 2 and "nothing to boot" in err and "--disk" in err, err


def test_firmware_options_need_no_kernel(hover, guest):
    status, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                                  "--boot", "disk"])
    assert status == 2 and "--boot" in err and "without --kernel" in err, err
