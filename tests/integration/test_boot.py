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


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_guest_costs_no_host_cpu_and_knows_the_date(hover, guest):
    import time

    child = spawn_hover(boot_args(guest))
    child.expect_exact(FIRST_LINE)
    child.expect_exact("# ")
    # The CMOS RTC carries the host's real date.
    child.sendline("date -u +%Y-%m-%d")
    child.expect_exact(time.strftime("%Y-%m-%d", time.gmtime()))
    child.expect_exact("# ")
    time.sleep(2)  # let boot-time work (deferred initcalls, timers) settle
    before = cpu_seconds(child.pid)
    time.sleep(5)
    used = cpu_seconds(child.pid) - before
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    # HLT sleeps until the next interrupt: an idle shell must not spin a host core.
    assert used < 0.5, f"idle guest used {used:.2f} s of host CPU in 5 s"


def test_no_cmdline_still_gives_a_console(hover, guest):
    """Without --cmdline the guest gets the serial console (and panic=-1): a new user sees it boot."""
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"],
                         "--initrd", guest["initrd"], "--memory", "256M"])
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    child.sendline("cat /proc/cmdline")
    child.expect_exact("console=ttyS0 panic=-1")
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
