# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot Debian's own kernel with a busybox initramfs on the emu engine, the
way a user does from the README, and check what the user sees."""
import os

import pexpect

from conftest import BOOT_TIMEOUT, ROOT, run_hover, spawn_hover

CMDLINE = "console=ttyS0 quiet panic=-1"
FIRST_LINE = "hover-guest: init started"


def boot_args(guest, extra_cmdline="", *more):
    return ["run", "--accel", "emu", "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", (CMDLINE + " " + extra_cmdline).strip(), "--memory", "512M"] + list(more)


def test_boot_to_init_and_quit(hover, guest):
    child = spawn_hover(boot_args(guest))
    child.expect_exact(FIRST_LINE)
    child.sendcontrol("a")
    child.send("x")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus == 0


def test_console_command_and_answer(hover, guest):
    child = spawn_hover(boot_args(guest))
    child.expect_exact(FIRST_LINE)
    child.expect_exact("# ")
    child.sendline("echo answer-$((6*7))")
    child.expect_exact("answer-42")
    child.sendline("uname -r")
    child.expect(r"6\.1\.\d+")
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0


def test_poweroff_exits_zero(hover, guest):
    status, out, err = run_hover(boot_args(guest, "hover.test=poweroff"), timeout=BOOT_TIMEOUT)
    assert FIRST_LINE in out
    assert status == 0, err


def test_reboot_restarts_guest(hover, guest):
    child = spawn_hover(boot_args(guest, "hover.test=reboot"))
    child.expect_exact(FIRST_LINE)
    # The guest reboots by itself and comes up a second time.
    child.expect_exact(FIRST_LINE)
    child.sendcontrol("a")
    child.send("x")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus == 0


def test_reboot_with_no_reboot_exits_zero(hover, guest):
    status, out, err = run_hover(boot_args(guest, "hover.test=reboot", "--no-reboot"),
                                 timeout=BOOT_TIMEOUT)
    assert FIRST_LINE in out
    assert status == 0, err
    assert "reboot" in err


def test_kernel_panic_is_reported(hover, guest):
    status, out, err = run_hover(boot_args(guest, "hover.test=panic"), timeout=BOOT_TIMEOUT)
    assert status == 1
    assert "kernel panic" in err
    assert "Attempted to kill init" in err
