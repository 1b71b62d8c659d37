# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-console ports (a unix socket and a file on the host) and virtio-rng,
seen from a booted guest. HOVER_ACCEL picks the engine (default emu)."""
import os
import socket
import time

import pexpect

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover

ACCEL = os.environ.get("HOVER_ACCEL", "emu")
CMDLINE = "console=ttyS0 quiet panic=-1"
PROMPT = "/ # "
# The device node of the port named $1 (busybox has no udev to make /dev/virtio-ports/).
FIND_PORT = ('port() { for p in /sys/class/virtio-ports/*; do '
             '[ "$(cat $p/name 2>/dev/null)" = "$1" ] && echo /dev/${p##*/}; done; }')


def run_args(guest, *more):
    return ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", CMDLINE, "--memory", "512M"] + list(more)


def shell(child, cmd, timeout=60):
    child.sendline(cmd)
    child.expect_exact(PROMPT, timeout=timeout)
    return child.before


def connect(path, timeout=30):
    deadline = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_console_ports_and_rng(hover, guest, tmp_path):
    sock = str(tmp_path / "port.sock")
    log = tmp_path / "port.log"
    child = spawn_hover(run_args(guest, "--console-port", f"name=hvport,socket={sock}",
                                 "--console-port", f"name=logport,file={log}"))
    child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
    shell(child, "hover-load-virtio; " + FIND_PORT)
    out = shell(child, "port hvport; port logport")
    assert "/dev/vport" in out, out

    # Guest -> host over the socket (connected first: the guest's writes wait for a host side).
    s = connect(sock)
    s.settimeout(60)
    shell(child, 'echo hello-from-guest > $(port hvport)')
    got = b""
    while b"hello-from-guest\n" not in got:
        chunk = s.recv(4096)
        assert chunk, "socket closed"
        got += chunk

    # Host -> guest.
    child.sendline("head -n 1 $(port hvport)")
    time.sleep(1)
    s.sendall(b"hello-from-host\n")
    child.expect_exact("hello-from-host")
    child.expect_exact(PROMPT)
    s.close()

    # The file port collects what the guest writes.
    shell(child, "echo line-for-the-log > $(port logport)")
    assert "line-for-the-log" in log.read_text()

    # virtio-rng is the guest's hardware RNG and gives bytes.
    out = shell(child, "cat /sys/class/misc/hw_random/rng_current; "
                       "head -c 4096 /dev/hwrng | wc -c")
    assert "virtio_rng" in out
    assert "4096" in out

    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    assert not os.path.exists(sock)  # hover removes its socket


def test_no_rng(hover, guest):
    child = spawn_hover(run_args(guest, "--no-rng"))
    child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
    out = shell(child, "hover-load-virtio; cat /sys/class/misc/hw_random/rng_available")
    assert "virtio_rng" not in out
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()


def test_bad_console_port(hover, guest, tmp_path):
    status, out, err = run_hover(run_args(guest, "--console-port", "name=x"))
    assert status == 2 and "--console-port name=x: needs a name and a socket or file" in err, err
    status, out, err = run_hover(run_args(guest, "--console-port", f"name=x,socket={tmp_path}"))
    assert status == 2 and "exists and is not a socket" in err, err
