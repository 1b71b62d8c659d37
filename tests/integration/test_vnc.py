# SPDX-License-Identifier: GPL-2.0-or-later
"""The VNC server (issue 16): a viewer (the small RFB client the tests carry)
types a command at a shell on the guest's VGA console and the file appears
(checked over serial) and the answer shows on the viewer's screen; two
viewers at once; the PS/2 mouse's events reach /dev/input; a viewer that
stops reading does not stop the guest; a unix-socket server."""
import os
import re
import socket
import struct
import tempfile
import time

import pexpect
import pytest

from conftest import guest_sh, spawn_hover
from rfb_client import RFBClient
from screen_util import pixels_text

# `make test` runs the core of these (about a minute); `make test-display` runs all.
slow = pytest.mark.skipif(os.environ.get("HOVER_TEST_DISPLAY") != "all",
                          reason="longer display test: make test-display")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def boot(guest, display):
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"], "--initrd",
                         guest["initrd"], "--cmdline", "console=tty0 console=ttyS0 panic=-1",
                         "--memory", "256M", "--display", display])
    child.expect_exact("# ")
    return child


def quit_hover(child):
    child.sendcontrol("a")
    child.send("x")
    child.expect(pexpect.EOF, timeout=30)


def shell_on_tty1(child):
    # The test guest runs its shell on the serial console only: give the VGA console one.
    st, _ = guest_sh(child, "(setsid sh -c 'exec sh -i </dev/tty1 >/dev/tty1 2>&1' &)")
    assert st == 0
    time.sleep(1)


def connect(addr, timeout=20):
    deadline = time.time() + timeout
    while True:
        try:
            return RFBClient(addr)
        except (ConnectionRefusedError, FileNotFoundError):
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def screen_rows(viewer):
    viewer.refresh(1.5)
    w, h, rows = viewer.rows_rgb()
    return pixels_text(w, h, rows, 9)


def test_vnc_typing_reaches_the_guest(hover, guest):
    port = free_port()
    child = boot(guest, "vnc=127.0.0.1:%d" % port)
    try:
        shell_on_tty1(child)
        v1 = connect(("127.0.0.1", port))
        v2 = connect(("127.0.0.1", port))  # a second viewer at the same time
        assert (v1.width, v1.height) == (720, 400) and v1.name == "hover"
        threads = [open("/proc/%d/task/%s/comm" % (child.pid, t)).read().strip()
                   for t in os.listdir("/proc/%d/task" % child.pid)]
        assert "vnc0" in threads, threads  # its own thread, with its own seccomp filter
        v1.refresh(1.0, incremental=False)
        # '>' and '*' need shift on a US keyboard: the client sends no shift key.
        v1.type("echo hi > /tmp/x; echo $((6*7))\n")
        deadline = time.time() + 60
        while time.time() < deadline:
            st, out = guest_sh(child, "cat /tmp/x 2>/dev/null")
            if "hi" in out:
                break
            time.sleep(1)
        assert "hi" in out, out
        # The answer on both viewers' screens.
        for v in (v1, v2):
            deadline = time.time() + 30
            while time.time() < deadline:
                rows = screen_rows(v)
                if any(r.strip() == "42" for r in rows):
                    break
            assert any(r.strip() == "42" for r in rows), "\n".join(rows)
        # Only changed tiles travel: an idle screen sends (almost) nothing.
        v1.refresh(0.5)
        before = v1.bytes
        v1.refresh(2.0)
        assert v1.bytes - before < 720 * 16 * 4 * 2, "idle screen sent %d bytes" % (v1.bytes - before)
        v1.close()
        v2.close()
    finally:
        quit_hover(child)


@slow
def test_vnc_mouse_reaches_evdev(hover, guest):
    port = free_port()
    child = boot(guest, "vnc=127.0.0.1:%d" % port)
    try:
        st, out = guest_sh(child, "hover-load-hw psmouse evdev; sleep 1; cat /proc/bus/input/devices")
        assert st == 0, out
        m = re.search(r"N: Name=\"[^\"]*(?:PS/2|Mouse)[^\"]*\".*?H: Handlers=[^\n]*?(event\d+)", out, re.S)
        assert m, out
        ev = m.group(1)
        st, _ = guest_sh(child, "(dd if=/dev/input/%s of=/tmp/ev bs=24 count=8 2>/dev/null &)" % ev)
        v = connect(("127.0.0.1", port))
        for i in range(20):
            v.pointer(100 + 10 * i, 100 + 5 * i, 1 if i % 4 == 0 else 0)
            time.sleep(0.05)
        deadline = time.time() + 30
        size = 0
        while time.time() < deadline and size < 24 * 8:
            _, out = guest_sh(child, "wc -c < /tmp/ev")
            size = int(re.findall(r"\d+", out)[-1])
            time.sleep(0.5)
        assert size >= 24 * 8, "only %d bytes of input events" % size
        # struct input_event: relative motion (EV_REL=2) and the left button (EV_KEY=1, BTN_LEFT=0x110)
        _, out = guest_sh(child, "od -An -tx1 -v /tmp/ev | tr -d ' \\n'")
        raw = bytes.fromhex(re.findall(r"[0-9a-f]{64,}", out)[-1])
        types = {struct.unpack_from("<HHi", raw, o + 16)[:2] for o in range(0, len(raw) - 23, 24)}
        assert any(t == 2 for t, _ in types), types
        v.close()
    finally:
        quit_hover(child)


@slow
def test_stalled_viewer_does_not_stall_the_guest(hover, guest):
    port = free_port()
    child = boot(guest, "vnc=127.0.0.1:%d" % port)
    try:
        def guest_loop_s():
            t0 = time.time()
            st, _ = guest_sh(child, "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done")
            assert st == 0
            return time.time() - t0

        # The screen scrolls all the time (the guest shares its vCPU with that loop).
        guest_sh(child, "(while true; do dmesg > /dev/tty1; done) & echo $! > /tmp/scroller")
        base = guest_loop_s()
        # A viewer that asks for full updates and never reads them.
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.recv(12)
        stalled.sendall(b"RFB 003.008\n")
        stalled.recv(2)
        stalled.sendall(b"\x01")
        stalled.recv(4)
        stalled.sendall(b"\x01")
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        for _ in range(200):
            stalled.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, 720, 400))
        stalled_s = guest_loop_s()
        guest_sh(child, "kill $(cat /tmp/scroller)")
        # Another viewer still works.
        v = connect(("127.0.0.1", port))
        v.refresh(1.0, incremental=False)
        assert v.updates >= 1
        v.close()
        stalled.close()
        print("guest loop on a scrolling screen: %.2f s without a viewer, %.2f s with a "
              "stalled one" % (base, stalled_s))
        assert stalled_s < base * 1.5 + 3, (base, stalled_s)
    finally:
        quit_hover(child)


@slow
def test_vnc_unix_socket_with_password(hover, guest):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "vnc.sock")
        pw = os.path.join(d, "pw")
        with open(pw, "w") as f:
            f.write("s3cret\n")
        child = boot(guest, "vnc=unix:%s,password-file=%s" % (path, pw))
        try:
            assert oct(os.stat(path).st_mode & 0o777) == "0o600"
            # The server offers VNC authentication (type 2) and nothing else.
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(path)
            assert s.recv(12).startswith(b"RFB 003.")
            s.sendall(b"RFB 003.008\n")
            n = s.recv(1)[0]
            assert list(s.recv(n)) == [2]
            s.close()
            with pytest.raises(ConnectionError, match="authentication"):
                connect(path)
        finally:
            quit_hover(child)
        assert not os.path.exists(path)


@slow
def test_vnc_framebuffer_mode(hover, guest):
    """bochs DRM: the viewer is told the new size, and fbcon's text arrives through
    the dirty log; an idle framebuffer console sends only its blinking cursor."""
    port = free_port()
    child = boot(guest, "vnc=127.0.0.1:%d" % port)
    try:
        v = connect(("127.0.0.1", port))
        v.refresh(1.0, incremental=False)
        assert (v.width, v.height) == (720, 400)
        st, out = guest_sh(child, "hover-load-hw bochs; sleep 2; cat /sys/class/graphics/fb0/virtual_size")
        assert "1024,768" in out, out
        deadline = time.time() + 30
        while time.time() < deadline and (v.width, v.height) != (1024, 768):
            v.refresh(1.0)
        assert (v.width, v.height) == (1024, 768)
        # fbcon's font differs from the BIOS font in V f m w X 0: the marker avoids them.
        guest_sh(child, 'echo "HERO bcon $((6*7)) OK" > /dev/tty1')
        deadline = time.time() + 30
        rows = []
        while time.time() < deadline:
            v.refresh(1.0)
            rows = pixels_text(*v.rows_rgb(), 8)
            if any("HERO bcon 42 OK" in r for r in rows):
                break
        assert any("HERO bcon 42 OK" in r for r in rows), "\n".join(rows)
        v.refresh(1.0)
        before = v.bytes
        v.refresh(2.0)
        idle = v.bytes - before
        print("idle fbcon: %d bytes in 2 s" % idle)
        assert idle < 1024 * 768 * 4 // 4, idle
        v.close()
    finally:
        quit_hover(child)
