# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures: where the hover binary and the test guest are, and a
helper that starts `hover run` under pexpect the way a user would."""
import os
import subprocess
import sys

import pexpect
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("HOVER_BUILD", "build"))
GUEST = os.path.join(ROOT, os.environ.get("HOVER_GUEST", "build/guest"))
HOVER = os.path.join(BUILD, "hover")

# The software CPU is slower than hardware; boots get generous limits.
BOOT_TIMEOUT = int(os.environ.get("HOVER_BOOT_TIMEOUT", "240"))


@pytest.fixture(scope="session")
def hover():
    if not os.access(HOVER, os.X_OK):
        pytest.fail(f"{HOVER} is missing: run `make` first")
    return HOVER


@pytest.fixture(scope="session")
def guest():
    kernel = os.path.join(GUEST, "vmlinuz")
    initrd = os.path.join(GUEST, "initrd.gz")
    if not (os.path.exists(kernel) and os.path.exists(initrd)):
        pytest.fail(f"test guest missing in {GUEST}: run scripts/make-guest.sh")
    return {"kernel": kernel, "initrd": initrd}


def run_hover(args, timeout=30, stdin=subprocess.DEVNULL):
    """Run hover to completion; return (status, stdout, stderr)."""
    p = subprocess.run([HOVER] + args, stdin=stdin, capture_output=True,
                       timeout=timeout, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


def spawn_hover(args, timeout=BOOT_TIMEOUT):
    """Start hover on a pseudo-terminal, as a person at a terminal would."""
    child = pexpect.spawn(HOVER, args, timeout=timeout, encoding="utf-8",
                          codec_errors="replace", dimensions=(40, 200))
    child.logfile_read = sys.stdout
    return child


def guest_sh(child, cmd, timeout=BOOT_TIMEOUT):
    """Run one shell command in the guest's console shell; return (status, output)."""
    marker = "__done_%d__" % (abs(hash(cmd)) % 100000)
    child.sendline(f"{cmd}; echo {marker}$?")
    child.expect(marker + r"(\d+)", timeout=timeout)
    out = child.before
    status = int(child.match.group(1))
    child.expect_exact("# ")
    return status, out
