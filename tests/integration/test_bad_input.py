# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input gets one clear line naming the input, a hint, and status 2."""
import os

from conftest import run_hover


def test_missing_kernel(hover, tmp_path):
    missing = str(tmp_path / "no-such-vmlinuz")
    status, _, err = run_hover(["run", "--kernel", missing])
    assert status == 2
    assert missing in err
    assert "No such file" in err


def test_kernel_is_not_a_bzimage(hover, tmp_path):
    bogus = tmp_path / "vmlinuz"
    bogus.write_bytes(b"this is not a kernel\n" * 200)
    status, _, err = run_hover(["run", "--kernel", str(bogus)])
    assert status == 2
    assert str(bogus) in err
    assert "bzImage" in err


def test_empty_kernel(hover, tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    status, _, err = run_hover(["run", "--kernel", str(empty)])
    assert status == 2
    assert str(empty) in err


def test_initrd_larger_than_ram(hover, guest, tmp_path):
    big = tmp_path / "big.img"
    with open(big, "wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    status, _, err = run_hover(["run", "--kernel", guest["kernel"], "--initrd", str(big),
                                "--memory", "160M"])
    assert status == 2
    assert str(big) in err
    assert "memory" in err


def test_missing_initrd(hover, guest, tmp_path):
    missing = str(tmp_path / "no-initrd")
    status, _, err = run_hover(["run", "--kernel", guest["kernel"], "--initrd", missing])
    assert status == 2
    assert missing in err


def test_memory_not_a_size(hover, guest):
    status, _, err = run_hover(["run", "--kernel", guest["kernel"], "--memory", "12Q"])
    assert status == 2
    assert "--memory 12Q: not a size" in err
    assert "512M" in err


def test_memory_more_than_host(hover, guest):
    status, _, err = run_hover(["run", "--kernel", guest["kernel"], "--memory", "64T"])
    assert status == 2
    assert "--memory" in err and "host" in err


def test_unknown_option(hover, guest):
    status, _, err = run_hover(["run", "--kernel", guest["kernel"], "--frobnicate"])
    assert status == 2
    assert "--frobnicate" in err


def test_unknown_accel(hover, guest):
    status, _, err = run_hover(["run", "--kernel", guest["kernel"], "--accel", "warp"])
    assert status == 2
    assert "--accel warp" in err


def test_missing_kernel_option(hover):
    status, _, err = run_hover(["run"])
    assert status == 2
    assert "--kernel" in err


def test_unknown_verb(hover):
    status, _, err = run_hover(["frobnicate"])
    assert status == 2
    assert "frobnicate" in err


def test_help_lists_run(hover):
    status, out, _ = run_hover(["help", "run"])
    assert status == 0
    assert "--kernel" in out and "Ctrl-A x" in out
