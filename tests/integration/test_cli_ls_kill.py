# SPDX-License-Identifier: GPL-2.0-or-later
"""The CLI as a new user meets it (issue 17): `hover ls` shows engine, uptime,
CPU% and RSS; `hover kill` returns once the process has ended, so `hover rm`
works at once, and the VM's sockets are gone; a VM that did not start says
why in `info` and `ls`."""
import json
import os
import re

import pytest

from test_hoverd import Daemon, definition, wait_for, write_def  # noqa: F401 (fixture helpers)
from conftest import GUEST


@pytest.fixture(scope="module")
def d(hover):
    dm = Daemon()
    dm.start()
    yield dm
    dm.stop()


def guest_files():
    return {"kernel": os.path.join(GUEST, "vmlinuz"), "initrd": os.path.join(GUEST, "initrd.gz")}


def test_ls_columns_kill_waits_and_rm_at_once(d):
    path = write_def(d, definition(guest_files(), "lsvm"))
    assert d.cli("create", path)[0] == 0
    assert d.cli("start", "lsvm")[0] == 0
    # not the boot: only until the VM's own API answers (ls shows "-" for what it lacks)
    assert wait_for(lambda: '"metrics"' in d.cli("ls", "--json")[1], 60)
    rc, out, err = d.cli("ls")
    assert rc == 0, err
    head, row = out.splitlines()[0].split(), [l for l in out.splitlines() if l.startswith("lsvm")][0]
    assert head == ["NAME", "STATE", "ENGINE", "VCPUS", "MEMORY", "PID", "UPTIME", "CPU%", "RSS"]
    cols = row.split()
    assert cols[1] == "running" and cols[2] == "emu", row
    assert re.fullmatch(r"\d+s|\d+m\d\ds", cols[6]), row
    assert re.fullmatch(r"\d+", cols[7]) and re.fullmatch(r"[1-9]\d*M", cols[8]), row
    rc, out, _ = d.cli("ls", "--json")
    vm = [v for v in json.loads(out) if v["name"] == "lsvm"][0]
    assert vm["metrics"]["accel"] == "emu" and vm["metrics"]["memory"]["rss_bytes"] > 0
    socks = [os.path.join(d.dir, "vms", "lsvm." + s) for s in ("api", "console")]
    assert all(os.path.exists(s) for s in socks)
    rc, out, err = d.cli("kill", "lsvm")
    assert rc == 0, err
    # no wait between them: kill returned once the process had ended
    rc, out, err = d.cli("rm", "lsvm")
    assert rc == 0, err
    assert not any(os.path.exists(s) for s in socks), os.listdir(os.path.join(d.dir, "vms"))


def test_failed_start_says_why_in_info_and_ls(d):
    junk = os.path.join(d.dir, "notakernel")
    with open(junk, "wb") as f:
        f.write(b"\x7fELF but not really a kernel" + bytes(4096))
    path = write_def(d, {"name": "broken", "kernel": junk, "memory": "64M", "accel": "emu"})
    assert d.cli("create", path)[0] == 0
    # start may see the process end, or return first (it serves its console before it
    # reads the kernel); either way the VM ends up crashed, with hover run's reason kept
    rc, _, err = d.cli("start", "broken")
    assert rc == 0 or "bzImage" in err, err
    assert wait_for(lambda: d.state_of("broken") == "crashed", 30)
    rc, out, _ = d.cli("info", "broken")
    assert re.search(r"last exit: (hover run failed|vm broken did not start).*bzImage", out), out
    rc, out, _ = d.cli("ls")
    lines = out.splitlines()
    i = [n for n, l in enumerate(lines) if l.startswith("broken")][0]
    assert "crashed" in lines[i] and "bzImage" in lines[i + 1], out
    assert d.cli("rm", "broken")[0] == 0
