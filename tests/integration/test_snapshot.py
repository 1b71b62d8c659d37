# SPDX-License-Identifier: GPL-2.0-or-later
"""Snapshots (issue 13): POST /vm/snapshot on `hover run --api-sock`, and
`hover run --restore FILE`. A guest program counts into a tmpfs file and onto
the console; the VM is saved, stopped and restored three times in a row, and
the count must go on with nothing lost or repeated. Damaged snapshot files and
a disk that changed since the snapshot are refused with a clear message."""
import os
import re
import sys
import time

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, HOVER, run_hover, spawn_hover
from unixhttp import api

CMDLINE = "console=ttyS0 quiet panic=-1"


def wait_for(pred, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def snapshot(sock, path, stop=True):
    assert wait_for(lambda: os.path.exists(sock), 30), "no API socket"
    st, rep = api(sock, "POST", "/vm/snapshot", {"file": str(path), "stop": stop}, timeout=120)
    assert st == 200, rep
    return rep


def counts(text):
    return [int(n) for n in re.findall(r"count (\d+)", text)]


class Tee:
    """Everything hover prints, kept for the test and shown as the test runs."""
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s
        sys.stdout.write(s)

    def flush(self):
        sys.stdout.flush()


def test_three_snapshots_in_a_row_lose_nothing(hover, guest, tmp_path):
    sock = str(tmp_path / "api.sock")
    snap = tmp_path / "vm.snap"
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(1 << 20))
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"],
                         "--initrd", guest["initrd"], "--memory", "256M", "--cmdline", CMDLINE,
                         "--disk", f"{disk},format=raw,readonly=on", "--api-sock", sock,
                         "--snapshot-dir", str(tmp_path)])
    out = Tee()
    child.logfile_read = out
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    # A counter in tmpfs (guest RAM), printed as it goes.
    child.sendline("(i=0; while true; do i=$((i+1)); echo $i >> /tmp/seen; echo count $i; "
                   "sleep 0.3; done) &")
    for rnd in range(3):
        child.expect(r"count (\d+)\r\n", timeout=BOOT_TIMEOUT)
        child.expect(r"count (\d+)\r\n", timeout=60)
        rep = snapshot(sock, snap)
        assert rep["stopped"] and rep["ram_bytes"] > 0
        assert rep["file_bytes"] >= 256 << 20 and os.stat(snap).st_blocks * 512 < 200 << 20
        assert oct(os.stat(snap).st_mode & 0o777) == "0o600"
        child.expect(pexpect.EOF, timeout=60)
        child.close()
        assert child.exitstatus == 0
        last = counts(out.text)[-1]
        child = spawn_hover(["run", "--accel", "emu", "--restore", str(snap),
                             "--api-sock", sock, "--snapshot-dir", str(tmp_path)])
        out = Tee()
        child.logfile_read = out
        child.expect_exact("restored from the snapshot")
        # The guest goes on from the next number: its RAM, CPU and timers came back.
        child.expect(r"count (\d+)\r\n", timeout=60)
        assert int(child.match.group(1)) == last + 1, (last, child.match.group(1))
    # The guest's own record in tmpfs: every number once, in order, across all restores.
    child.sendline("echo SEEN $(cat /tmp/seen | tr '\\n' ' ') END")
    child.expect(r"SEEN ([\d ]+) END", timeout=60)
    nums = [int(n) for n in child.match.group(1).split()]
    assert nums == list(range(1, len(nums) + 1)), nums
    assert len(nums) >= 7
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0


@pytest.fixture(scope="module")
def saved(hover, guest, tmp_path_factory):
    """One snapshot of a booted guest, for the refusals below."""
    d = tmp_path_factory.mktemp("snap")
    sock = str(d / "api.sock")
    disk = d / "d.img"
    disk.write_bytes(bytes(1 << 20))
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"],
                         "--initrd", guest["initrd"], "--memory", "128M", "--cmdline", CMDLINE,
                         "--disk", f"{disk},format=raw", "--api-sock", sock,
                         "--snapshot-dir", str(d)])
    child.expect_exact("hover-guest: shell on the console")
    snapshot(sock, d / "vm.snap")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    return {"dir": d, "snap": d / "vm.snap", "disk": disk}


def restore(path, *more):
    return run_hover(["run", "--accel", "emu", "--restore", str(path)] + list(more), timeout=60)


def test_damaged_snapshots_are_refused(saved, tmp_path):
    good = saved["snap"].read_bytes()
    cases = {
        "truncated.snap": (good[:len(good) // 2], "cut short"),
        "tiny.snap": (good[:40], "not a hover snapshot"),
        "foreign.snap": (b"\x7fELF" + good[4:8192], "not a hover snapshot"),
        "version.snap": (good[:8] + b"\x09" + good[9:], "version 9"),
        "header.snap": (good[:20] + bytes([good[20] ^ 1]) + good[21:], "header is damaged"),
        "meta.snap": (good[:4096 + 40] + bytes([good[4096 + 40] ^ 0x10]) + good[4096 + 41:],
                      "checksum"),
    }
    for name, (data, why) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        rc, out, err = restore(p)
        assert rc == 2, (name, rc, err)
        assert name in err and why in err, (name, err)
    rc, out, err = restore(tmp_path / "missing.snap")
    assert rc == 2 and "missing.snap" in err


def test_a_disk_changed_since_the_snapshot_is_refused(saved):
    with open(saved["disk"], "r+b") as f:
        f.write(b"changed")
    rc, out, err = restore(saved["snap"])
    assert rc == 2
    assert "d.img" in err and "changed since the snapshot" in err


def test_snapshot_without_stop_keeps_the_vm_running(hover, guest, tmp_path):
    sock = str(tmp_path / "api.sock")
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"],
                         "--initrd", guest["initrd"], "--memory", "128M",
                         "--cmdline", CMDLINE + " hover.test=ticker", "--api-sock", sock,
                         "--snapshot-dir", str(tmp_path)])
    child.expect(r"tick (\d+)", timeout=BOOT_TIMEOUT)
    rep = snapshot(sock, tmp_path / "live.snap", stop=False)
    assert not rep["stopped"]
    st, vm = api(sock, "GET", "/vm")
    assert st == 200 and vm["state"] == "running"
    child.expect(r"tick (\d+)", timeout=60)
    # Bad requests: no file; a file outside the snapshot directory (the loop may write
    # nowhere else, its seccomp filter says so).
    st, e = api(sock, "POST", "/vm/snapshot", {"stop": True})
    assert st == 400
    st, e = api(sock, "POST", "/vm/snapshot", {"file": "/etc/evil.snap"})
    assert st == 400 and str(tmp_path) in e["error"]["message"], e
    assert not os.path.exists("/etc/evil.snap")
    child.sendcontrol("a")
    child.send("x")
    child.expect(pexpect.EOF, timeout=30)
