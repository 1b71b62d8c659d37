# SPDX-License-Identifier: GPL-2.0-or-later
"""A small RFB (VNC) client for the tests (RFC 6143): protocol 3.8, security
type None, 32-bit true colour, Raw encoding and the DesktopSize pseudo-
encoding; key and pointer events. It keeps its own copy of the framebuffer
and counts the bytes and updates it receives (bench/display.py uses that)."""
import socket
import struct
import time

RAW = 0
DESKTOP_SIZE = -223


class RFBClient:
    def __init__(self, addr, timeout=30, keep=True):
        """keep=False: count pixels but do not keep them (a cheap viewer, for benchmarks)."""
        self.keep = keep
        self.scratch = bytearray(1 << 20)
        if isinstance(addr, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(addr)
        self.bytes = 0
        self.updates = 0
        self.rects = 0
        self._handshake()

    def _recv(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
        self.bytes += n
        return bytes(buf)

    def _skip(self, n):
        view = memoryview(self.scratch)
        while n:
            got = self.sock.recv_into(view, min(n, len(self.scratch)))
            if not got:
                raise ConnectionError("server closed the connection")
            n -= got
            self.bytes += got

    def _handshake(self):
        version = self._recv(12)
        assert version.startswith(b"RFB 003."), version
        self.sock.sendall(b"RFB 003.008\n")
        n = self._recv(1)[0]
        if n == 0:
            reason = self._recv(struct.unpack(">I", self._recv(4))[0])
            raise ConnectionError(reason.decode())
        types = self._recv(n)
        if 1 not in types:
            raise ConnectionError("server wants authentication: %r" % types)
        self.sock.sendall(b"\x01")
        if struct.unpack(">I", self._recv(4))[0] != 0:
            raise ConnectionError("security handshake failed")
        self.sock.sendall(b"\x01")  # shared: other viewers stay connected
        w, h = struct.unpack(">HH", self._recv(4))
        self._recv(16)  # the server's pixel format: we set ours below
        self.name = self._recv(struct.unpack(">I", self._recv(4))[0]).decode()
        self.width, self.height = w, h
        self.fb = bytearray(w * h * 4)
        # 32 bpp, depth 24, little-endian, true colour, red at 16, green at 8, blue at 0
        self.sock.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255,
                                      16, 8, 0))
        self.sock.sendall(struct.pack(">BxHii", 2, 2, RAW, DESKTOP_SIZE))

    def request(self, incremental=True):
        self.sock.sendall(struct.pack(">BBHHHH", 3, 1 if incremental else 0, 0, 0,
                                      self.width, self.height))

    def read_update(self):
        """Read one server message; apply a framebuffer update. Returns its type."""
        kind = self._recv(1)[0]
        if kind == 0:
            self._recv(1)
            (n,) = struct.unpack(">H", self._recv(2))
            for _ in range(n):
                x, y, w, h, enc = struct.unpack(">HHHHi", self._recv(12))
                if enc == DESKTOP_SIZE:
                    self.width, self.height = w, h
                    self.fb = bytearray(w * h * 4)
                elif enc == RAW and not self.keep:
                    self._skip(w * h * 4)
                elif enc == RAW:
                    data = self._recv(w * h * 4)
                    for row in range(h):
                        o = ((y + row) * self.width + x) * 4
                        self.fb[o:o + w * 4] = data[row * w * 4:(row + 1) * w * 4]
                else:
                    raise ValueError("unexpected encoding %d" % enc)
                self.rects += 1
            self.updates += 1
        elif kind == 1:  # colour map entries
            self._recv(3)
            (n,) = struct.unpack(">H", self._recv(2))
            self._recv(6 * n)
        elif kind == 2:  # bell
            pass
        elif kind == 3:  # server cut text
            self._recv(3)
            self._recv(struct.unpack(">I", self._recv(4))[0])
        else:
            raise ValueError("unknown server message %d" % kind)
        return kind

    def refresh(self, seconds=1.0, incremental=True):
        """Request and apply updates for a while."""
        end = time.time() + seconds
        self.request(incremental)
        self.sock.settimeout(0.2)
        try:
            while time.time() < end:
                try:
                    if self.read_update() == 0:
                        self.request(True)
                except socket.timeout:
                    self.request(True)
        finally:
            self.sock.settimeout(30)

    def key(self, keysym, down):
        self.sock.sendall(struct.pack(">BBxxI", 4, 1 if down else 0, keysym))

    def type(self, text):
        """Press and release the key of each character, as vncdotool does (no shift)."""
        for ch in text:
            sym = 0xFF0D if ch == "\n" else ord(ch)
            self.key(sym, True)
            self.key(sym, False)

    def pointer(self, x, y, buttons=0):
        self.sock.sendall(struct.pack(">BBHH", 5, buttons, x, y))

    def rows_rgb(self):
        """(width, height, rows of packed RGB bytes), the form screen_util reads."""
        rows = []
        for y in range(self.height):
            line = bytearray()
            for x in range(self.width):
                o = (y * self.width + x) * 4
                line += bytes((self.fb[o + 2], self.fb[o + 1], self.fb[o]))
            rows.append(bytes(line))
        return self.width, self.height, rows

    def close(self):
        self.sock.close()
