# SPDX-License-Identifier: GPL-2.0-or-later
"""hoverd --http: the web UI and the API under /api/.

Security without a browser: every /api/ and /ws/ request without the token,
or with a wrong one, is refused (401), a cookie from another origin is
refused (403), static pages hold no secret, paths cannot leave the UI's
directory, the token file is 0600, and the listener is loopback unless a
wider address is given (then with a warning). Then the UI itself in Debian's
chromium driven by playwright-core (tests/webui/ui.js): create a VM from the
form, see it run, `echo hi` in the console, logs, pause/resume, the CPU graph
moving, force off, delete, a bad value shown by its field; screenshots go to
build/test-artifacts/webui/."""
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, GUEST, ROOT

HOVERD = os.path.join(BUILD, "hoverd")
NODE_MODULES = os.path.join(ROOT, "webui", "node_modules")
ARTIFACTS = os.path.join(BUILD, "test-artifacts", "webui")


class WebDaemon:
    def __init__(self, http="127.0.0.1:0"):
        self.dir = tempfile.mkdtemp(prefix="hvw", dir="/tmp")
        self.sock = os.path.join(self.dir, "h.sock")
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "hoverd.log")
        args = [HOVERD, "--socket", self.sock, "--state-dir", self.state, "--allow-dir", GUEST,
                "--www", os.path.join(BUILD, "www")]
        if http:
            args += ["--http", http]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, "ab"))
        end = time.time() + 10
        self.url = None
        while time.time() < end and self.proc.poll() is None:
            text = open(self.log).read()
            m = re.search(r"web UI at (http://\S+)", text)
            if m or (not http and "serving" in text):
                self.url = m.group(1) if m else None
                break
            time.sleep(0.05)
        assert self.proc.poll() is None, open(self.log).read()
        if self.url:
            m = re.match(r"http://([^/]+):(\d+)/#token=([0-9a-f]+)$", self.url)
            assert m, self.url
            self.host, self.port, self.token = m.group(1), int(m.group(2)), m.group(3)

    def request(self, method, path, headers=None, body=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=10)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def auth(self, token=None):
        return {"Authorization": "Bearer " + (self.token if token is None else token)}

    def stop(self):
        try:
            st, _, body = self.request("GET", "/api/vms", self.auth())
            for v in json.loads(body) if st == 200 else []:
                if v.get("pid"):
                    os.kill(v["pid"], 9)
        except (OSError, AttributeError):
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def web():
    if not os.access(HOVERD, os.X_OK):
        pytest.fail(f"{HOVERD} is missing: run `make` first")
    d = WebDaemon()
    yield d
    d.stop()


def ws_handshake(d, path, headers):
    """Open a WebSocket by hand; return (status line, socket, leftover bytes)."""
    s = socket.create_connection((d.host, d.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET {path} HTTP/1.1\r\nHost: {d.host}:{d.port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
    for k, v in headers.items():
        req += f"{k}: {v}\r\n"
    s.sendall((req + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    if lines[0].split()[1:2] == ["101"]:
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        assert f"Sec-WebSocket-Accept: {want}" in lines, lines
    return lines[0], s, rest


def ws_frame(s, rest):
    """One server frame: (opcode, payload)."""
    buf = rest
    while len(buf) < 2:
        buf += s.recv(4096)
    n = buf[1] & 0x7f
    off = 2
    if n == 126:
        while len(buf) < 4:
            buf += s.recv(4096)
        n = struct.unpack(">H", buf[2:4])[0]
        off = 4
    elif n == 127:
        while len(buf) < 10:
            buf += s.recv(4096)
        n = struct.unpack(">Q", buf[2:10])[0]
        off = 10
    while len(buf) < off + n:
        buf += s.recv(65536)
    return buf[0] & 0x0f, buf[off:off + n], buf[off + n:]


def client_frame(op, payload, mask=True):
    hdr = bytes([0x80 | op, (0x80 if mask else 0) | len(payload)])
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


# ---- security ----

API_PATHS = [("GET", "/api/vms"), ("GET", "/api/version"), ("GET", "/api/openapi.yaml"),
             ("POST", "/api/vms"), ("GET", "/api/vms/x"), ("DELETE", "/api/vms/x"),
             ("POST", "/api/vms/x/start"), ("POST", "/api/vms/x/kill"),
             ("GET", "/api/vms/x/logs?follow=1"), ("GET", "/api/vms/x/metrics"),
             ("GET", "/api/vms?metrics=1")]


def test_token_file_and_banner(web):
    st = os.stat(os.path.join(web.state, "webui.token"))
    assert st.st_mode & 0o777 == 0o600
    assert open(os.path.join(web.state, "webui.token")).read() == web.token
    assert web.host == "127.0.0.1"


def test_api_refused_without_or_with_a_wrong_token(web):
    body = json.dumps({"name": "intruder", "kernel": os.path.join(GUEST, "vmlinuz")})
    wrong = [{}, web.auth("0" * 64), web.auth(web.token[:-1] + ("0" if web.token[-1] != "0" else "1")),
             web.auth(web.token[:10]), web.auth(web.token + "00"), web.auth(""),
             {"Authorization": "Basic " + web.token}, {"Cookie": "hover_token=" + "f" * 64},
             {"Cookie": "hover_token=" + web.token[:32]}]
    for headers in wrong:
        for method, path in API_PATHS:
            st, _, data = web.request(method, path, headers,
                                      body if method == "POST" else None)
            assert st == 401, (method, path, headers, st, data)
            assert web.token.encode() not in data
    st, _, data = web.request("GET", "/api/vms", web.auth())
    assert st == 200 and json.loads(data) == []  # the intruder was never created
    st, _, _ = web.request("POST", "/login", web.auth("1" * 64))
    assert st == 401


def test_websockets_refused_without_the_token(web):
    for path in ("/ws/metrics", "/ws/console/x"):
        for headers in ({}, {"Cookie": "hover_token=" + "a" * 64}, web.auth("b" * 64)):
            line, s, _ = ws_handshake(web, path, headers)
            s.close()
            assert " 401 " in line + " ", (path, headers, line)
    # the right cookie from another site's page: refused too
    line, s, _ = ws_handshake(web, "/ws/metrics", {"Cookie": "hover_token=" + web.token,
                                                   "Origin": "http://evil.example"})
    s.close()
    assert " 403 " in line, line


def test_login_cookie_and_api_with_the_token(web):
    st, headers, _ = web.request("POST", "/login", web.auth())
    assert st == 200
    cookie = headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    st, _, data = web.request("GET", "/api/version", {"Cookie": cookie.split(";")[0]})
    assert st == 200 and b"hoverd" in data
    # a cookie-borne request from another origin is refused
    st, _, _ = web.request("POST", "/api/vms", {"Cookie": cookie.split(";")[0],
                                                "Origin": "http://evil.example",
                                                "Content-Type": "application/json"}, "{}")
    assert st == 403


def test_static_pages_hold_no_secret_and_stay_in_their_directory(web):
    st, headers, data = web.request("GET", "/")
    assert st == 200 and b"<title>hover</title>" in data
    assert web.token.encode() not in data
    assert "default-src 'self'" in headers.get("Content-Security-Policy", "")
    st, _, data = web.request("GET", "/xterm.js")
    assert st == 200 and len(data) > 10000
    for path in ("/../state/webui.token", "/%2e%2e/state/webui.token", "/.hidden", "/a/b/c",
                 "//etc/passwd", "/..%2fstate%2fwebui.token", "/state/webui.token"):
        st, _, data = web.request("GET", path)
        assert st == 404, (path, st)
        assert web.token.encode() not in data


def test_errors_name_their_field(web):
    cases = [({"name": "bad name!", "kernel": "x"}, "name"),
             ({"name": "f1", "kernel": os.path.join(GUEST, "vmlinuz"), "memory": "12Q"}, "memory"),
             ({"name": "f1", "kernel": "/etc/passwd"}, "kernel"),
             ({"name": "f1", "kernel": os.path.join(GUEST, "vmlinuz"), "initrd": "/nope"}, "initrd"),
             ({"name": "f1", "kernel": os.path.join(GUEST, "vmlinuz"), "cpus": 0}, "cpus"),
             ({"name": "f1", "kernel": os.path.join(GUEST, "vmlinuz"), "disk": ["/etc/x"]}, "disk"),
             ({"name": "f1", "kernel": os.path.join(GUEST, "vmlinuz"), "net": "user"}, "net"),
             ({"name": "f1", "kernel": os.path.join(GUEST, "vmlinuz"), "accel": "fast"}, "accel"),
             ({"name": "f1", "kernal": "x"}, "kernal")]
    for body, field in cases:
        st, _, data = web.request("POST", "/api/vms", web.auth(), json.dumps(body))
        err = json.loads(data)["error"]
        assert st == 400 and err.get("field") == field, (body, st, err)


def test_websocket_metrics_and_framing(web):
    line, s, rest = ws_handshake(web, "/ws/metrics", web.auth())
    assert " 101 " in line, line
    op, payload, rest = ws_frame(s, rest)
    assert op == 1 and "vms" in json.loads(payload)
    t0 = time.time()
    s.sendall(client_frame(0x9, b"hello"))  # ping
    while True:
        op, payload, rest = ws_frame(s, rest)
        if op == 0xa:
            assert payload == b"hello"
            break
    op, payload, rest = ws_frame(s, rest)  # the next push, about a second after the first
    assert op == 1 and time.time() - t0 < 2.5
    s.sendall(client_frame(0x1, b"x", mask=False))  # clients must mask: a protocol error
    op, payload, rest = ws_frame(s, rest)
    while op != 0x8:
        op, payload, rest = ws_frame(s, rest)
    assert struct.unpack(">H", payload[:2])[0] == 1002
    s.close()


def test_listener_is_loopback_unless_asked():
    d = WebDaemon(http=None)
    try:
        assert d.url is None and "web UI" not in open(d.log).read()
        # hoverd listens on no TCP port at all without --http
        inodes = set()
        for fd in os.listdir(f"/proc/{d.proc.pid}/fd"):
            try:
                m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{d.proc.pid}/fd/{fd}"))
            except OSError:
                continue
            if m:
                inodes.add(m.group(1))
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for row in open(table).read().splitlines()[1:]:
                assert row.split()[9] not in inodes, row
    finally:
        d.stop()
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    d = WebDaemon(http=str(port))  # a bare port: loopback
    try:
        assert d.host == "127.0.0.1" and "WARNING" not in open(d.log).read()
    finally:
        d.stop()
    d = WebDaemon(http="0.0.0.0:0")  # wider only when asked, and then with a warning
    try:
        assert "WARNING" in open(d.log).read() and "other machines" in open(d.log).read()
    finally:
        d.stop()


# ---- the UI in a browser ----

def test_ui_in_chromium(web):
    if not os.path.exists("/usr/bin/chromium"):
        pytest.fail("Debian's chromium is not installed (apt-get install chromium, or "
                    "scripts/setup-deps.sh)")
    if not os.path.isdir(os.path.join(NODE_MODULES, "playwright-core")):
        pytest.fail("webui/node_modules lacks playwright-core: run make (npm ci)")
    os.makedirs(ARTIFACTS, exist_ok=True)
    env = dict(os.environ, NODE_PATH=NODE_MODULES, HOVER_UI_URL=web.url,
               HOVER_KERNEL=os.path.join(GUEST, "vmlinuz"),
               HOVER_INITRD=os.path.join(GUEST, "initrd.gz"), HOVER_ARTIFACTS=ARTIFACTS)
    p = subprocess.run(["node", os.path.join(ROOT, "tests", "webui", "ui.js")], env=env,
                       capture_output=True, text=True, timeout=240)
    print(p.stdout, p.stderr)
    assert p.returncode == 0, p.stdout + p.stderr
    for step in ("login", "create from the form", "the CPU graph updates", "console: echo hi",
                 "pause and resume", "force off and delete", "bad form value"):
        assert "s ok " + step in p.stdout
    assert len([f for f in os.listdir(ARTIFACTS) if f.endswith(".png")]) >= 8
