# SPDX-License-Identifier: GPL-2.0-or-later
"""The engine's vCPU state and the VM clock on a live emu guest: the --debug
state self-check (pause, get/encode/decode/set/get every vCPU, dirty log,
resume) while the guest boots, and a pause the guest does not see in its
own clock."""
import os
import re
import tempfile
import time

import pexpect

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover
from unixhttp import api

FIRST_LINE = "hover-guest: init started"


def test_state_selfcheck_while_booting(hover, guest):
    env_before = os.environ.get("HOVER_STATE_SELFCHECK")
    os.environ["HOVER_STATE_SELFCHECK"] = "300"
    try:
        status, out, err = run_hover(
            ["run", "--accel", "emu", "--debug", "--kernel", guest["kernel"], "--initrd",
             guest["initrd"], "--memory", "256M", "--cmdline",
             "console=ttyS0 quiet panic=-1 hover.test=poweroff"], timeout=BOOT_TIMEOUT)
    finally:
        if env_before is None:
            del os.environ["HOVER_STATE_SELFCHECK"]
        else:
            os.environ["HOVER_STATE_SELFCHECK"] = env_before
    text = out + err
    assert status == 0, text[-3000:]
    assert FIRST_LINE in out
    assert len(re.findall(r"state self-check \d of 5: ok", text)) == 5, text[-3000:]
    assert "FAILED" not in text and "differs" not in text
    # The dirty log, on from the first pause to the last, caught the guest's writes each time.
    assert len(re.findall(r"dirty log: [1-9]\d* pages written since the last round", text)) == 4


def guest_uptime(child):
    child.sendline("cat /proc/uptime")
    child.expect(r"\r\n(\d+\.\d+) \d+\.\d+\r\n")
    return float(child.match.group(1))


def test_guest_clock_stands_still_while_paused(hover, guest):
    d = tempfile.mkdtemp(prefix="hvstate", dir="/tmp")
    sock = os.path.join(d, "api.sock")
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"], "--initrd",
                         guest["initrd"], "--memory", "256M", "--cmdline",
                         "console=ttyS0 quiet panic=-1", "--api-sock", sock])
    child.expect_exact(FIRST_LINE)
    child.expect_exact("# ")
    up0 = guest_uptime(child)
    t0 = time.monotonic()
    st, vm = api(sock, "POST", "/vm/pause")
    assert st == 200 and vm["state"] == "paused"
    time.sleep(4)
    st, vm = api(sock, "POST", "/vm/resume")
    assert st == 200 and vm["state"] == "running"
    up1 = guest_uptime(child)
    host = time.monotonic() - t0
    # The host saw over 4 s go by; the guest saw only the time it ran.
    assert host >= 4
    assert up1 - up0 < host - 3, (up0, up1, host)
    # And its clock runs again: timers fire, sleep returns.
    child.sendline("sleep 1; echo slept-$((6*7))")
    child.expect_exact("slept-42", timeout=30)
    up2 = guest_uptime(child)
    assert up2 - up1 >= 1
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
