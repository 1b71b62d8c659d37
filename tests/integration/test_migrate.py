# SPDX-License-Identifier: GPL-2.0-or-later
"""Live migration (issue 13): POST /vm/migrate on a running `hover run
--api-sock` to a `hover run --incoming` on this machine. One guest (one boot,
to keep the tier short) counts on its console. A failing destination (nobody
listening, another protocol version, killed mid-stream) leaves it running;
then, while it also rewrites 8 MiB of random bytes in its RAM over and over,
it moves over tcp: within the 4 rounds it is given, and on again over unix:
from the VM that arrived. Each time the count goes on without restarting, the
bytes arrive intact and the source exits 0."""
import hashlib
import os
import re
import socket
import struct
import threading
import time
import zlib

import pexpect

from conftest import BOOT_TIMEOUT, spawn_hover
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


def migrate(sock, to, **opts):
    assert wait_for(lambda: os.path.exists(sock), 30), "no API socket"
    st, rep = api(sock, "POST", "/vm/migrate", dict(to=to, **opts))
    assert st == 202, rep
    return rep


def follow(sock, child, timeout=120):
    """GET /vm/migrate until it is no longer active (or the source exited); the last status."""
    last = None
    end = time.time() + timeout
    while time.time() < end:
        try:
            st, rep = api(sock, "GET", "/vm/migrate", timeout=10)
        except OSError:
            return last  # the source exited (migrated)
        assert st == 200, rep
        last = rep
        if rep["state"] != "active":
            return rep
        time.sleep(0.1)
    raise AssertionError(f"migration still active after {timeout} s: {last}")


def hello(version):
    h = b"HOVERMIG" + struct.pack("<II", version, 0)
    return h + struct.pack("<I", zlib.crc32(h))


def section(name, payload, version=1):
    rec = b"S" + bytes([len(name)]) + name.encode() + struct.pack("<III", 0, version, len(payload))
    rec += payload
    return rec + struct.pack("<I", zlib.crc32(rec))


def state_stream(*sections):
    end = b"E" + struct.pack("<I", len(sections))
    return (b"HOVERVM\0" + struct.pack("<II", 1, 0) + b"".join(sections) + end +
            struct.pack("<I", zlib.crc32(end)))


def machine(*args):
    return section("machine", struct.pack("<I", len(args)) + b"".join(
        struct.pack("<I", len(a)) + a.encode() for a in args))


def test_the_source_shapes_the_machine_and_nothing_else(hover, tmp_path):
    """A source may send machine options only: --no-sandbox from it is refused, and it hears why."""
    dst = incoming("unix:" + str(tmp_path / "m.sock"), tmp_path, "d")
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp_path / "m.sock"))
    c.settimeout(30)
    c.sendall(hello(1))
    assert c.recv(20) == hello(1)
    setup = state_stream(machine("--memory", "64M", "--no-sandbox"),
                         section("ram", struct.pack("<IQQ", 1, 0, 64 << 20)))
    c.sendall(b"S" + struct.pack("<I", len(setup)) + setup)
    dst.expect(pexpect.EOF, timeout=30)
    dst.close()
    reply = c.recv(4096)
    c.close()
    assert dst.exitstatus == 2, dst.before
    assert '"--no-sandbox" among the machine\'s options' in dst.before
    assert reply[:1] == b"N" and b"--no-sandbox" in reply


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def incoming(addr, tmp_path, name):
    dst = spawn_hover(["run", "--accel", "emu", "--incoming", addr,
                       "--api-sock", str(tmp_path / f"{name}.sock")])
    dst.expect_exact("waiting for a migrating VM", timeout=30)
    return dst


def test_failures_leave_the_source_running_then_the_guest_moves_over_tcp_and_unix(
        hover, guest, tmp_path):
    sock = str(tmp_path / "src.sock")
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(16 << 20))
    src = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"],
                       "--initrd", guest["initrd"], "--memory", "256M", "--cmdline", CMDLINE,
                       "--disk", f"{disk},format=raw", "--api-sock", sock])
    src.expect_exact("hover-guest: shell on the console", timeout=BOOT_TIMEOUT)
    src.expect_exact("# ")
    src.sendline("hover-load-virtio; echo moved > /tmp/mark; (i=0; while true; do i=$((i+1)); echo count $i; "
                 "sleep 0.3; done) &")

    def still_counting():
        src.expect(r"count (\d+)\r\n", timeout=30)
        n = int(src.match.group(1))
        src.expect(r"count (\d+)\r\n", timeout=30)
        assert int(src.match.group(1)) == n + 1
        st, vm = api(sock, "GET", "/vm")
        assert vm["state"] == "running", vm

    still_counting()

    # Nobody listening.
    migrate(sock, "unix:" + str(tmp_path / "nobody.sock"))
    rep = follow(sock, src)
    assert rep["state"] == "failed" and "cannot connect" in rep["error"], rep
    still_counting()

    # A destination of another version.
    lst = socket.socket(socket.AF_UNIX)
    lst.bind(str(tmp_path / "v99.sock"))
    lst.listen(1)

    def v99():
        c, _ = lst.accept()
        c.recv(20)
        c.sendall(hello(99))
        time.sleep(2)
        c.close()
    t = threading.Thread(target=v99)
    t.start()
    migrate(sock, "unix:" + str(tmp_path / "v99.sock"))
    rep = follow(sock, src)
    t.join()
    assert rep["state"] == "failed" and "version 99" in rep["error"], rep
    still_counting()

    # A source of another version, at a real destination: it says so and exits 2.
    dst = incoming("unix:" + str(tmp_path / "d1.sock"), tmp_path, "d1")
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp_path / "d1.sock"))
    c.sendall(hello(99))
    dst.expect(pexpect.EOF, timeout=30)
    dst.close()
    c.close()
    assert dst.exitstatus == 2 and "version 99" in dst.before, dst.before

    # The destination dies in the middle of the stream (slowed to 8 MiB/s so it is mid-way).
    addr = "unix:" + str(tmp_path / "d2.sock")
    dst = incoming(addr, tmp_path, "d2")
    migrate(sock, addr, bandwidth="8M")
    assert wait_for(lambda: api(sock, "GET", "/vm/migrate")[1]["bytes_sent"] > (4 << 20), 60)
    dst.kill(9)
    dst.close()
    rep = follow(sock, src)
    assert rep["state"] == "failed", rep
    assert "destination" in rep["error"], rep
    still_counting()

    # Busy: a writer copies 8 MiB of random bytes in the guest's RAM (the initramfs) over and
    # over; at most 4 rounds, then it must finish, and the bytes must arrive intact.
    src.sendline("dd if=/dev/urandom of=/tmp/src bs=1M count=8 2>/dev/null; md5sum /tmp/src; "
                 "(while true; do cp /tmp/src /tmp/x; done) & "
                 "(while true; do dd if=/tmp/src of=/dev/vda bs=1M count=8 conv=fsync "
                 "2>/dev/null || echo DISK-ERROR; done) &")
    src.expect(r"([0-9a-f]{32})  /tmp/src", timeout=120)
    digest = src.match.group(1)
    time.sleep(2)
    port = free_port()
    addr = f"tcp:127.0.0.1:{port}"
    dst = incoming(addr, tmp_path, "d3")
    migrate(sock, addr, max_rounds=4, max_downtime_ms=50)
    follow(sock, src)
    src.expect(pexpect.EOF, timeout=120)
    src.close()
    assert src.exitstatus == 0, src.before
    m = re.search(r"migrated to tcp:127.0.0.1:\d+: [\d.]+ MiB in \d+ ms, (\d+) rounds", src.before)
    assert m and int(m.group(1)) <= 4, src.before
    last = max(int(n) for n in re.findall(r"count (\d+)", src.before))
    dst.expect_exact("the guest continues", timeout=60)
    dst.expect(r"count (\d+)\r\n", timeout=30)
    first = int(dst.match.group(1))
    assert last < first <= last + 10, (last, first)
    # The shell, its files in RAM and the writer all came along.
    dst.sendline("cat /tmp/mark; md5sum /tmp/src; ls /tmp/x")
    dst.expect_exact("moved", timeout=30)
    dst.expect(r"([0-9a-f]{32})  /tmp/src", timeout=60)
    assert dst.match.group(1) == digest
    dst.expect_exact("/tmp/x\r\n", timeout=30)

    # And on again, over unix: this time, from the VM that arrived (its own API).
    dsock = str(tmp_path / "d3.sock")
    st, vm = api(dsock, "GET", "/vm")
    assert st == 200 and vm["state"] == "running", vm
    addr = "unix:" + str(tmp_path / "d4.sock")
    d4 = incoming(addr, tmp_path, "d4")
    migrate(dsock, addr)
    follow(dsock, dst)
    dst.expect(pexpect.EOF, timeout=120)
    dst.close()
    assert dst.exitstatus == 0 and "the VM runs at the destination now" in dst.before
    last = max(int(n) for n in re.findall(r"count (\d+)", dst.before))
    d4.expect_exact("the guest continues", timeout=60)
    d4.expect(r"count (\d+)\r\n", timeout=30)
    first = int(d4.match.group(1))
    assert last < first <= last + 10, (last, first)
    d4.sendline("md5sum /tmp/src")
    d4.expect(r"([0-9a-f]{32})  /tmp/src", timeout=60)
    assert d4.match.group(1) == digest
    # The disk went along, lock and all: the writer kept going, and what it wrote is there.
    d4.sendline("kill %3; sleep 1; dd if=/tmp/src of=/dev/vda bs=1M count=8 conv=fsync "
                "2>/dev/null && echo WROTE-$((40+2))")
    d4.expect_exact("WROTE-42", timeout=60)
    assert "DISK-ERROR" not in src.before + dst.before + d4.before
    with open(disk, "rb") as f:
        assert hashlib.md5(f.read(8 << 20)).hexdigest() == digest
    d4.send("\x01x")
    d4.expect(pexpect.EOF, timeout=30)
    d4.close()
    assert d4.exitstatus == 0
