# SPDX-License-Identifier: GPL-2.0-or-later
"""hoverd's snapshot, restore and migrate verbs (issue 13): a ticking VM run by
hoverd (jailed when the tests run as root) is saved with `hover snapshot NAME
FILE --stop`, brought back with `hover restore`, and then moved with `hover
migrate NAME --to tcp:localhost:PORT` to a `hover run --incoming` — each time
the ticks go on from where they were, never from "tick 1"."""
import os
import re
import socket
import subprocess
import time

import pexpect

from conftest import HOVER, spawn_hover
from test_hoverd import Daemon, definition, wait_for, write_def


def ticks(text):
    return [int(n) for n in re.findall(r"tick (\d+)", text)]


def test_snapshot_restore_migrate_through_hoverd(hover, guest):
    daemon = Daemon()
    daemon.start()
    dst = None
    try:
        # --net user: a jailed VM then shares the host's network, so it can reach the destination.
        d = definition(guest, "t", memory="256M", net=["user"])
        rc, _, err = daemon.cli("create", write_def(daemon, d))
        assert rc == 0, err
        rc, _, err = daemon.cli("start", "t")
        assert rc == 0, err
        assert wait_for(lambda: 3 in ticks(daemon.logs("t")), 120), daemon.logs("t")

        rc, out, err = daemon.cli("snapshot", "t", "one.snap", "--stop")
        assert rc == 0, err
        path = os.path.join(daemon.state, "snapshots", "t", "one.snap")
        assert f"saved t to {path}" in out
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
        assert wait_for(lambda: daemon.state_of("t") == "stopped", 30)
        before = max(ticks(daemon.logs("t")))
        # A name only: no paths out of the VM's snapshot directory.
        rc, _, err = daemon.cli("snapshot", "t", "../escape.snap")
        assert rc != 0

        rc, out, err = daemon.cli("restore", path)
        assert rc == 0, err
        assert wait_for(lambda: max(ticks(daemon.logs("t"))) >= before + 2, 60)
        log = daemon.logs("t")
        after = ticks(log[log.rindex("tick %d" % before):])
        assert after[:3] == [before, before + 1, before + 2], after

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        dst = spawn_hover(["run", "--accel", "emu", "--incoming", f"tcp:127.0.0.1:{port}"])
        dst.expect_exact("waiting for a migrating VM", timeout=30)
        rc, out, err = daemon.cli("migrate", "t", "--to", f"tcp:localhost:{port}")
        assert rc == 0, err
        assert f"migrated t to tcp:127.0.0.1:{port}" in out
        last = max(ticks(daemon.logs("t")))
        dst.expect_exact("the guest continues", timeout=60)
        dst.expect(r"tick (\d+)\r\n", timeout=30)
        assert last < int(dst.match.group(1)) <= last + 3
        assert wait_for(lambda: daemon.state_of("t") == "stopped", 30)
    finally:
        if dst:
            dst.kill(9)
            dst.close()
        daemon.stop()
