# SPDX-License-Identifier: GPL-2.0-or-later
"""The small holes of issue 12: a FIFO (or any non-regular file) given as
--kernel, --initrd or --config is refused at once instead of hanging; API
sockets are never reachable by others, not even for a moment (mode 0600 from
bind on, and the umask is put back); hoverd refuses a /tmp/hover-UID fallback
directory that another user made or opened up; a guest cannot grow a console
log without bound (16 MiB, then FILE.1)."""
import os
import shutil
import stat
import subprocess
import tempfile
import time

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, BUILD, HOVER, run_hover, spawn_hover

HOVERD = os.path.join(BUILD, "hoverd")
CMDLINE = "console=ttyS0 quiet panic=-1"
ACCEL = os.environ.get("HOVER_TEST_ACCEL", "emu")


@pytest.mark.parametrize("opt", ["--kernel", "--initrd", "--config"])
def test_fifo_is_refused_not_waited_for(guest, tmp_path, opt):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    args = {"--kernel": ["run", "--kernel", fifo],
            "--initrd": ["run", "--kernel", guest["kernel"], "--initrd", fifo],
            "--config": ["run", "--config", fifo]}[opt]
    start = time.time()
    rc, _, err = run_hover(args, timeout=20)
    assert time.time() - start < 10
    assert rc == 2, err
    assert fifo in err and "not a regular file" in err, err


def test_directory_as_kernel_is_refused(tmp_path):
    rc, _, err = run_hover(["run", "--kernel", str(tmp_path)], timeout=20)
    assert rc == 2 and "not a regular file" in err, err


def test_api_socket_is_private_from_the_start(guest, tmp_path):
    sock = str(tmp_path / "api.sock")
    con = str(tmp_path / "con.sock")
    agent = str(tmp_path / "agent.sock")
    port = str(tmp_path / "port.log")
    child = spawn_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd",
                         guest["initrd"], "--cmdline", CMDLINE, "--memory", "128M",
                         "--api-sock", sock, "--console-sock", con,
                         "--console-port", f"name=agent,socket={agent}",
                         "--console-port", f"name=log,file={port}"])
    try:
        child.expect_exact("hover-guest: shell on the console")
        for s in (sock, con, agent):
            assert stat.S_IMODE(os.stat(s).st_mode) == 0o600, s
        # the umask was put back: the port file (made later, 0644 asked) is not 0600
        assert stat.S_IMODE(os.stat(port).st_mode) == 0o644 & ~current_umask()
        child.sendcontrol("a")
        child.send("x")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_console_port_file_is_capped_and_rotated(guest, tmp_path):
    log = str(tmp_path / "port.log")
    child = spawn_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd",
                         guest["initrd"], "--cmdline", CMDLINE, "--memory", "128M",
                         "--console-port", f"name=log,file={log}"])
    try:
        child.expect_exact("hover-guest: shell on the console")
        child.expect_exact("# ")
        child.sendline("/sbin/hover-load-virtio >/dev/null 2>&1; for p in "
                       "/sys/class/virtio-ports/*; do [ \"$(cat $p/name)\" = log ] && "
                       "dd if=/dev/zero of=/dev/$(basename $p) bs=1M count=40 2>/dev/null; "
                       "done; echo wrote-$?")
        child.expect(r"wrote-(\d+)", timeout=BOOT_TIMEOUT)
        time.sleep(1)
        size, old = os.path.getsize(log), os.path.getsize(log + ".1")
        assert size <= (16 << 20) + (64 << 10), size
        assert (16 << 20) <= old <= (16 << 20) + (64 << 10), old
        child.sendcontrol("a")
        child.send("x")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)


UID = 4242


def hoverd_as(uid, tmpdir):
    """hoverd as an ordinary user without $HOME or $XDG_RUNTIME_DIR: the /tmp fallback."""
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                           HOVERD], env={"PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=5)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to act as two users")
@pytest.mark.parametrize("owner,mode", [(0, 0o700), (UID, 0o777), (UID, 0o755)])
def test_tmp_fallback_taken_by_someone_else_is_refused(owner, mode):
    d = f"/tmp/hover-{UID}"
    shutil.rmtree(d, ignore_errors=True)
    os.mkdir(d)
    os.chown(d, owner, owner)
    os.chmod(d, mode)
    try:
        p = hoverd_as(UID, d)
        assert p.returncode != 0
        assert f"{d}: not ours alone (owner uid {owner}, mode {mode:04o}" in p.stderr, p.stderr
        assert "remove it, or give --socket and --state-dir elsewhere" in p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to act as two users")
def test_tmp_fallback_symlink_is_refused():
    d = f"/tmp/hover-{UID}"
    shutil.rmtree(d, ignore_errors=True)
    target = tempfile.mkdtemp()
    os.chown(target, UID, UID)
    os.symlink(target, d)
    try:
        p = hoverd_as(UID, d)
        assert p.returncode != 0 and f"{d}: not a directory" in p.stderr, p.stderr
    finally:
        os.unlink(d)
        shutil.rmtree(target, ignore_errors=True)
