# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-net with user-mode networking (libslirp) and TAP.

Only loopback and network namespaces this test makes are used: the NAT test
serves a file from 127.0.0.1 on the host, which the guest reaches as
10.0.2.2; the hostfwd test fetches a file the guest serves through
127.0.0.1:HPORT; the TAP test runs hover inside a fresh network namespace.
HOVER_ACCEL picks the engine (default emu)."""
import functools
import hashlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import urllib.request

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, HOVER, run_hover, spawn_hover

ACCEL = os.environ.get("HOVER_ACCEL", "emu")
CMDLINE = "console=ttyS0 quiet panic=-1"
PROMPT = "/ # "


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_args(guest, *more):
    return ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", CMDLINE, "--memory", "512M"] + list(more)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(tmp_path):
    """A tiny HTTP server on the host's loopback, serving a random file."""
    data = os.urandom(1 << 20)
    (tmp_path / "file.bin").write_bytes(data)
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1], hashlib.sha256(data).hexdigest()
    srv.shutdown()
    srv.server_close()


def shell(child, cmd, timeout=120):
    child.sendline(cmd)
    child.expect_exact(PROMPT, timeout=timeout)
    return child.before


def test_nat_download_and_hostfwd(hover, guest, http_server):
    port, digest = http_server
    hport = free_port()
    child = spawn_hover(run_args(guest, "--net", f"user,hostfwd=tcp:127.0.0.1:{hport}-:80"))
    child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
    out = shell(child, "hover-net-up")
    assert "lease of 10.0.2.15" in out

    # Guest -> host loopback through the NAT: download and check the hash.
    out = shell(child, f"wget -q -O /tmp/f http://10.0.2.2:{port}/file.bin && sha256sum /tmp/f",
                timeout=300)
    assert digest in out

    # DNS is served at 10.0.2.3 (whatever the host's resolver says, slirp answers).
    out = shell(child, "cat /etc/resolv.conf")
    assert "nameserver 10.0.2.3" in out

    # Host -> guest through hostfwd: the guest serves a file, the host fetches it.
    out = shell(child, "mkdir -p /www && head -c 500000 /tmp/f > /www/g && sha256sum /www/g "
                       "&& httpd -p 80 -h /www")
    guest_digest = re.search(r"([0-9a-f]{64}) +/www/g", out).group(1)
    data = urllib.request.urlopen(f"http://127.0.0.1:{hport}/g", timeout=120).read()
    assert len(data) == 500000
    assert hashlib.sha256(data).hexdigest() == guest_digest

    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0


class ZeroBlobHandler(http.server.BaseHTTPRequestHandler):
    """Serves BLOB_SIZE zero bytes at any path, written as fast as the socket takes them."""
    chunk = b"\0" * (1 << 20)

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(BLOB_SIZE))
        self.end_headers()
        for _ in range(BLOB_SIZE // len(self.chunk)):
            self.wfile.write(self.chunk)

    def log_message(self, *args):
        pass


BLOB_SIZE = 16 << 20
BULK_TRANSFERS = 40
STALL_SECONDS = 5.0


def test_nat_bulk_downloads_do_not_stall(hover, guest):
    """Back-to-back 16 MiB downloads from the host through the NAT each finish promptly.

    With a 65520-byte MTU about one in twenty sat 10-20 s in slirp's persist
    timer (libslirp has no TCP window scaling: a 64 KiB window held one
    segment and the guest advertised zero windows); 40 in a row caught it
    nearly every time."""
    import time

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ZeroBlobHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    child = spawn_hover(run_args(guest, "--net", "user"))
    try:
        child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
        assert "lease of 10.0.2.15" in shell(child, "hover-net-up")
        url = f"http://10.0.2.2:{srv.server_address[1]}/blob"
        times = []
        for i in range(BULK_TRANSFERS):
            t0 = time.monotonic()
            out = shell(child, f"wget -q -O /dev/null {url} && echo got-$((6*7))", timeout=120)
            times.append(time.monotonic() - t0)
            assert "got-42" in out, f"transfer {i} failed: {out!r}"
        slow = [(i, round(t, 2)) for i, t in enumerate(times) if t > STALL_SECONDS]
        assert not slow, f"transfers that stalled (index, seconds): {slow}; all: {times}"
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("net, needle", [
    ("bridge", "unknown network type 'bridge'"),
    ("user,hostfwd=tcp:127.0.0.1:2222", "hostfwd=tcp:127.0.0.1:2222"),
    ("user,hostfwd=tcp:127.0.0.1:99999-:22", "host port '99999'"),
    ("user,hostfwd=tcp:1.2.3:22-:22", "'1.2.3' is not an IPv4 address"),
    ("user,frobnicate=1", "unknown option 'frobnicate'"),
    ("tap", "tap needs ifname="),
    # lo exists and is not a tap: opening it fails, and the error names it.
    ("tap,ifname=lo", "tap,ifname=lo: cannot attach"),
])
def test_bad_net_option(hover, guest, net, needle):
    status, out, err = run_hover(run_args(guest, "--net", net))
    assert status == 2, err
    assert "--net" in err and needle in err, err


def test_hostfwd_port_in_use(hover, guest):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        status, out, err = run_hover(run_args(guest, "--net",
                                              f"user,hostfwd=tcp:127.0.0.1:{port}-:22"))
    assert status == 2, err
    assert f"hostfwd=tcp:127.0.0.1:{port}-10.0.2.15:22: cannot listen" in err, err


@pytest.fixture
def netns():
    """A network namespace of our own (root and iproute2 needed)."""
    if not shutil.which("ip"):
        pytest.skip("iproute2 is not installed")
    name = f"hvtest{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode:
        pytest.skip("cannot create a network namespace (needs root)")
    yield name
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_tap_in_netns(hover, guest, netns):
    ns = ["ip", "netns", "exec", netns]
    child = pexpect.spawn(ns[0], ns[1:] + [HOVER] + run_args(guest, "--net", "tap,ifname=hvtap0"),
                          timeout=BOOT_TIMEOUT, encoding="utf-8", codec_errors="replace",
                          dimensions=(40, 200))
    child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
    # hover made hvtap0 in the namespace; give its host side an address.
    subprocess.run(ns + ["ip", "addr", "add", "192.168.77.1/24", "dev", "hvtap0"], check=True)
    subprocess.run(ns + ["ip", "link", "set", "hvtap0", "up"], check=True)
    shell(child, "hover-load-virtio; ip link set lo up; "
                 "ifconfig eth0 192.168.77.2 netmask 255.255.255.0 up")
    out = shell(child, "ping -c 3 -W 5 192.168.77.1", timeout=60)
    assert " 0% packet loss" in out, out
    # And the other way: the namespace reaches the guest.
    ping = ["ping"] if shutil.which("ping") else ["busybox", "ping"]
    r = subprocess.run(ns + ping + ["-c", "2", "-W", "5", "192.168.77.2"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
