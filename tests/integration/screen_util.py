# SPDX-License-Identifier: GPL-2.0-or-later
"""Reading hover's screen in tests: decode a PNG (zlib and the five PNG
filters, no imaging library) and turn text-mode or fbcon pixels back into
characters by matching each cell against the IBM VGA 8x16 font, read here
from SeaBIOS's VGA BIOS image (the glyphs vgacon and fbcon draw)."""
import http.client
import socket
import struct
import zlib

VGABIOS = "/usr/share/seabios/vgabios-stdvga.bin"


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def api_get(sock, path):
    c = UnixHTTP(sock)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def decode_png(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    w = h = None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(kind + body) & 0xffffffff == crc, "bad CRC in " + kind.decode()
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype == 2, "expected 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * 3
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows


def vga_font():
    rom = open(VGABIOS, "rb").read()
    glyph_a = bytes([0, 0, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE, 0xC6, 0xC6, 0xC6, 0xC6, 0, 0, 0, 0])
    pos = rom.find(glyph_a)
    while pos >= 0:
        base = pos - 0x41 * 16
        if base >= 0 and rom[base:base + 16] == bytes(16):
            return [rom[base + 16 * c:base + 16 * c + 16] for c in range(256)]
        pos = rom.find(glyph_a, pos + 1)
    raise RuntimeError("no font in " + VGABIOS)


def nearest(glyphs, bits):
    """The character whose glyph differs from bits in the fewest pixels: fbcon's
    font (Linux's font_vga_8x16) draws a few letters slightly unlike the BIOS's."""
    exact = glyphs.get(bits)
    if exact:
        return exact
    best, best_d = "?", 20
    for g, ch in glyphs.items():
        d = sum(bin(a ^ b).count("1") for a, b in zip(g, bits))
        if d < best_d:
            best, best_d = ch, d
    return best


def screen_text(png, cell_w):
    """The screen's characters, one string per text row (cells cell_w x 16)."""
    return pixels_text(*decode_png(png), cell_w)


def pixels_text(w, h, rows, cell_w):
    """screen_text for decoded pixels (rows of packed RGB bytes)."""
    font = vga_font()
    glyphs = {}
    for c in range(0x7E, 0x1F, -1):  # ASCII wins over look-alikes
        glyphs[font[c]] = chr(c)
    out = []
    for r in range(h // 16):
        line = []
        for col in range(w // cell_w):
            x0 = col * cell_w
            # The cell's background is its most common colour; anything else is ink.
            counts = {}
            for y in range(16):
                row = rows[r * 16 + y]
                for x in range(8):
                    px = row[(x0 + x) * 3:(x0 + x) * 3 + 3]
                    counts[px] = counts.get(px, 0) + 1
            bg = max(counts, key=counts.get)
            bits = bytearray(16)
            for y in range(16):
                row = rows[r * 16 + y]
                for x in range(8):
                    if row[(x0 + x) * 3:(x0 + x) * 3 + 3] != bg:
                        bits[y] |= 0x80 >> x
            line.append(nearest(glyphs, bytes(bits)))
        out.append("".join(line).rstrip())
    return out
