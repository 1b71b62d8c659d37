#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Make the seed corpora of the fuzz targets that need real files.

  boot:  a tiny x86-64 ELF, bare and wrapped by scripts/mkbzimage.py with
         gzip, xz and zstd payloads
  qcow2: images made by qemu-img with 512-byte clusters (so each is a few
         KiB), written with qemu-io (data, zeroes, compressed), v2 and v3,
         with and without a backing file named "base"; each framed as
         fuzz_qcow2.c reads its input
  virtio: a driver's requests to virtio-blk, -net, -console and -rng, as
         fuzz_virtio.c's ops
  board: the legacy devices programmed as firmware and Linux do, PCI config
         space, virtio-pci set up and kicked, as fuzz_board.c's ops

usage: make-corpus.py [TARGET...]   (writes tests/fuzz/corpus/TARGET/)
The config and decode seeds are small hand-written files, committed as they are.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import mkbzimage  # noqa: E402


def tiny_elf(paddr=0x1000000, code=b"\xfa\xf4\xeb\xfd", bss=0x2000):
    """One PT_LOAD at paddr: code, then bss zero bytes."""
    ehsize, phsize = 64, 56
    off = ehsize + phsize
    eh = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7,
                     2, 62, 1, paddr, ehsize, 0, 0, ehsize, phsize, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, off, 0xffffffff80000000 + paddr, paddr, len(code),
                     len(code) + bss, 0x1000)
    return eh + ph + code


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def boot():
    elf = tiny_elf()
    write("boot", "elf", elf)
    write("boot", "elf-two-segments", tiny_elf(0x200000, b"\x90" * 64, 0))
    write("boot", "bzimage-gzip", mkbzimage.build(elf, "gzip", 2047))
    write("boot", "bzimage-xz", mkbzimage.build(elf, "xz", 255))
    # mkbzimage knows gzip and xz; the kernel's zstd payloads carry no size trailer
    real = mkbzimage.compress
    mkbzimage.compress = lambda e, c: subprocess.run(
        ["zstd", "-19", "-q", "-c"], input=e, stdout=subprocess.PIPE, check=True).stdout
    write("boot", "bzimage-zstd", mkbzimage.build(elf, "zstd", 2047))
    mkbzimage.compress = real


def qcow2():
    def frame(top, base=b"", reqs=None):
        if reqs is None:
            # read 8K at 0, write 4K+3 at 1/4, discard at 1/2, flush, reads, write at the end
            reqs = bytes([0x10, 0, 0, 0, 0x09, 0, 0x40, 3, 0x0a, 0, 0x80, 0, 0x03, 0, 0, 0,
                          0x14, 0x10, 0x20, 7, 0x11, 0xff, 0xff, 0xff, 0x00, 0, 0xc0, 9,
                          0x0d, 0x33, 0x33, 1])
        return struct.pack("<I", len(top)) + reqs + top + base

    with tempfile.TemporaryDirectory() as d:
        def img(name, *opts, size="64K"):
            p = os.path.join(d, name)
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-o",
                            "cluster_size=512" + "".join("," + o for o in opts), p, size],
                           check=True, cwd=d)
            return p

        def io(p, *cmds):
            args = ["qemu-io", "-f", "qcow2"]
            for c in cmds:
                args += ["-c", c]
            subprocess.run(args + [p], check=True, cwd=d, stdout=subprocess.DEVNULL)

        def read(p):
            with open(p, "rb") as f:
                return f.read()

        p = img("plain")
        io(p, "write -P 0x5a 0 4k", "write -P 0xa5 32k 1k", "write -z 8k 2k")
        write("qcow2", "v3-data-zero", frame(read(p)))
        p = img("v2", "compat=0.10")
        io(p, "write -P 0x11 1k 3k")
        write("qcow2", "v2", frame(read(p)))
        p = img("compressed")
        io(p, "write -c -P 0x22 0 4k", "write -P 0x33 16k 512")
        write("qcow2", "compressed", frame(read(p)))
        p = img("empty", size="1M")
        write("qcow2", "empty-1M", frame(read(p)))

        with open(os.path.join(d, "base"), "wb") as f:
            f.write(bytes(range(256)) * 16)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512",
                        "-b", "base", "-F", "raw", "top"], check=True, cwd=d)
        io(os.path.join(d, "top"), "write -P 0x77 1k 1k")
        write("qcow2", "backing-raw", frame(read(os.path.join(d, "top")),
                                            read(os.path.join(d, "base"))))

        os.rename(os.path.join(d, "plain"), os.path.join(d, "base"))
        os.unlink(os.path.join(d, "top"))
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512",
                        "-b", "base", "-F", "qcow2", "top"], check=True, cwd=d)
        io(os.path.join(d, "top"), "write -P 0x66 2k 1k")
        write("qcow2", "backing-qcow2", frame(read(os.path.join(d, "top")),
                                              read(os.path.join(d, "base"))))


class Ops:
    """fuzz_virtio.c's input: device and queue size, features, then 8-byte ops."""

    def __init__(self, dev, qshift=3, features=0xFFFFFFFFFFFFFFFF):
        self.b = bytes([dev | qshift << 2]) + struct.pack("<Q", features)

    def op(self, code, a=0, b=0, c=0, d=0, rest=b""):
        self.b += struct.pack("<BBBBI", code, a, b, c, d) + rest
        return self

    def desc(self, q, i, off, length, flags):
        return self.op(0, q, i, flags | (length >> 12) & 0x70, (length & 0xFFFF) << 16 | off)

    def data(self, off, payload):
        head, rest = payload[:4].ljust(4, b"\0"), payload[4:]
        return self.op(3, len(rest), off & 0xFF, off >> 8, struct.unpack("<I", head)[0], rest)

    def publish(self, q, head):
        return self.op(1, q, head)

    def kick(self, q):
        return self.op(2, q)


NEXT, WRITE, INDIRECT = 1, 2, 4


def virtio():
    # virtio-blk: read sector 1, write sector 2, flush, get id, discard, bad type
    o = Ops(0, qshift=5)
    for n, (typ, sector, wr) in enumerate([(0, 1, True), (1, 2, False), (4, 0, True),
                                           (8, 0, True), (11, 0, False), (99, 0, True)]):
        base = n * 0x1000
        o.data(base, struct.pack("<IIQ", typ, 0, sector))
        if typ == 11:
            o.data(base + 0x100, struct.pack("<QII", 4, 8, 0))
        o.desc(0, 3 * n, base, 16, NEXT)
        o.desc(0, 3 * n + 1, base + 0x100, 512 if typ != 11 else 16, NEXT | (WRITE if wr else 0))
        o.desc(0, 3 * n + 2, base + 0x800, 1, WRITE)
        o.publish(0, 3 * n).kick(0)
    write("virtio", "blk-requests", o.b)
    # the same read through an indirect table
    o = Ops(0)
    o.data(0, struct.pack("<IIQ", 0, 0, 3))
    table = struct.pack("<QIHH", 0x100000, 16, NEXT, 1) + struct.pack("<QIHH", 0x100200, 512, NEXT | WRITE, 2) + \
        struct.pack("<QIHH", 0x100600, 1, WRITE, 0)
    o.data(0x1000, table)
    o.desc(0, 0, 0x1000, 48, INDIRECT).publish(0, 0).kick(0)
    write("virtio", "blk-indirect", o.b)
    # virtio-net: two receive buffers, a frame sent (comes back through the loopback)
    o = Ops(1)
    o.desc(0, 0, 0x4000, 2048, WRITE).desc(0, 1, 0x5000, 2048, WRITE)
    o.publish(0, 0).publish(0, 1).kick(0)
    hdr = struct.pack("<BBHHHHH", 1, 0, 0, 0, 14, 16, 1)  # NEEDS_CSUM at 14+16
    frame = b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x56" + b"\x08\x00" + bytes(range(64))
    o.data(0, hdr + frame)
    o.desc(1, 0, 0, 12, NEXT).desc(1, 1, 12, len(frame), 0).publish(1, 0).kick(1)
    o.op(4, 0, 16, 0xab)
    write("virtio", "net-loopback", o.b)
    # virtio-console: DEVICE_READY, control receive buffers, PORT_READY, port output
    o = Ops(2)
    for i in range(4):
        o.desc(2, i, 0x2000 + i * 0x100, 0x100, WRITE).publish(2, i)
    o.kick(2)
    o.data(0, struct.pack("<IHH", 0, 0, 1))
    o.desc(3, 0, 0, 8, 0).publish(3, 0).kick(3)
    o.data(0x10, struct.pack("<IHH", 0, 3, 1))
    o.desc(3, 1, 0x10, 8, 0).publish(3, 1).kick(3)
    o.data(0x20, struct.pack("<IHH", 1, 3, 1))
    o.desc(3, 2, 0x20, 8, 0).publish(3, 2).kick(3)
    o.data(0x30, struct.pack("<IHH", 1, 6, 1))
    o.desc(3, 3, 0x30, 8, 0).publish(3, 3).kick(3)
    o.data(0x40, b"hello port 0\n")
    o.desc(1, 0, 0x40, 13, 0).publish(1, 0).kick(1)
    o.desc(5, 0, 0x40, 13, 0).publish(5, 0).kick(5)
    o.op(5, 1, 0, 2).op(5, 1, 4, 2)
    write("virtio", "console-handshake", o.b)
    # virtio-rng: one 64-byte buffer, then a chain of two
    o = Ops(3)
    o.desc(0, 0, 0, 64, WRITE).publish(0, 0).kick(0)
    o.desc(0, 1, 0x100, 16, WRITE | NEXT).desc(0, 2, 0x200, 16, WRITE).publish(0, 1).kick(0)
    o.op(6, 0, 0, 0, 0).desc(0, 0, 0, 8, WRITE).publish(0, 0).kick(0)
    write("virtio", "rng", o.b)


def board():
    def op(code, a=0, b=0, c=0, off=0, val=0):
        return struct.pack("<BBBBII", code, a, b, c, off, val)

    def pio_w(port, size, val):
        return op(1, 0, 0, {1: 0, 2: 1, 4: 2}[size], port, val)

    def pio_r(port, size=1):
        return op(0, 0, 0, {1: 0, 2: 1, 4: 2}[size], port)

    def mmio_w(target, off, size, val):
        return op(3, target, 0, {1: 0, 2: 1, 4: 2, 8: 3}[size], off, val)

    def mmio_r(target, off, size=4):
        return op(2, target, 0, {1: 0, 2: 1, 4: 2, 8: 3}[size], off)

    # legacy devices: PIC ICW1-4 and masks, PIT channel 0 rate generator, RTC
    # registers, i8042 self-test and command byte, UART init and output, ACPI
    # PM timer and SCI enable, IOAPIC redirection entry, LAPIC enable and timer
    b = b"".join([
        pio_w(0x20, 1, 0x11), pio_w(0x21, 1, 0x20), pio_w(0x21, 1, 4), pio_w(0x21, 1, 1),
        pio_w(0xa0, 1, 0x11), pio_w(0xa1, 1, 0x28), pio_w(0xa1, 1, 2), pio_w(0xa1, 1, 1),
        pio_w(0x21, 1, 0xf8), pio_w(0x4d0, 1, 0x20),
        pio_w(0x43, 1, 0x34), pio_w(0x40, 1, 0x9c), pio_w(0x40, 1, 0x2e), pio_w(0x61, 1, 3),
        pio_w(0x70, 1, 0x0b), pio_w(0x71, 1, 0x42), pio_w(0x70, 1, 0x0a), pio_r(0x71),
        pio_w(0x70, 1, 0x0c), pio_r(0x71), pio_w(0x70, 1, 0x00), pio_r(0x71),
        pio_w(0x64, 1, 0xaa), pio_r(0x60), pio_w(0x64, 1, 0x60), pio_w(0x60, 1, 0x47),
        pio_w(0x60, 1, 0xff), pio_r(0x64), pio_r(0x60), pio_w(0x64, 1, 0xd4), pio_w(0x60, 1, 0xf4),
        pio_w(0x3fb, 1, 0x83), pio_w(0x3f8, 1, 1), pio_w(0x3fb, 1, 3), pio_w(0x3f9, 1, 0x0f),
        pio_w(0x3fa, 1, 0xc7), pio_w(0x3f8, 1, ord("x")), pio_r(0x3fa), pio_r(0x3fd),
        op(8, 3) + b"abc",
        pio_r(0x608, 4), pio_w(0x602, 2, 0x121), pio_w(0x604, 2, 1), pio_r(0x600, 2),
        mmio_w(0, 0, 4, 0x10), mmio_w(0, 0x10, 4, 0x31), mmio_w(0, 0, 4, 0x11),
        mmio_w(0, 0x10, 4, 0), mmio_w(0, 0, 4, 0x01), mmio_r(0, 0x10),
        mmio_w(1, 0xf0, 4, 0x1ff), mmio_w(1, 0x320, 4, 0x20030), mmio_w(1, 0x3e0, 4, 0xb),
        mmio_w(1, 0x380, 4, 1000), mmio_r(1, 0x390), op(5, 0, 0, 0, 50000000),
        mmio_w(1, 0xb0, 4, 0), mmio_w(1, 0x300, 4, 0x4030), mmio_r(1, 0x20),
    ])
    write("board", "legacy", b)
    # PCI: every slot's IDs through 0xCF8/0xCFC and ECAM, BAR sizing, the host bridge
    b = b""
    for slot in range(6):
        b += op(6, 1, 0, 2, 0x80000000 | slot << 11)
        b += op(2, 2, 0, 2, slot << 15 | 8)
    b += op(6, 0, 0, 2, 0x80000000 | 1 << 11 | 0x10, 0xffffffff)
    b += op(6, 1, 0, 2, 0x80000000 | 1 << 11 | 0x10)
    b += op(6, 0, 0, 1, 0x80000000 | 1 << 11 | 0x04, 0x0007)
    b += op(6, 1, 2, 0, 0x80000000 | 1 << 11 | 0x34)
    b += op(11, 1, 0, 8 | 2, 0x40) + op(11, 0, 0, 8 | 1, 0x04, 0)
    b += op(10, 2, 3, 0, 0x0800 - 2)
    write("board", "pci-config", b)
    # virtio-pci: each device set up through its registers (MSI-X for two of
    # them), a receive buffer for virtio-rng and a kick, device config reads,
    # the ISR, the MSI-X table
    b = op(7, 0, 3, 0, 0xffffffff, 0) + op(7, 1, 3 | 8, 0, 0xffffffff, 0)
    b += op(7, 2, 3, 0, 0xffffffff, 0) + op(7, 3, 2 | 8, 0, 0, 0)
    # virtio-rng's queue 0 (QBASE(3, 0) = 0xd0000): a 64-byte writable buffer, published
    desc = struct.pack("<QIHH", 0x100000, 64, 2, 0)
    b += op(4, 12, 0, 0, 0xd0000, struct.unpack_from("<I", desc)[0]) + desc[4:]
    b += op(4, 2, 0, 0, 0xd1000, 1 << 16) + struct.pack("<H", 0)
    write("board", "virtio-setup", b + op(9, 3, 0) + op(2, 9, 0, 0, 0x1000, 0) +
          op(2, 9, 0, 2, 0x2000) + op(2, 4, 0, 2, 0x2000) + op(2, 10, 0, 2, 0) +
          op(3, 10, 0, 2, 12, 1) + op(2, 10, 0, 2, 0x800))


def main():
    targets = sys.argv[1:] or ["boot", "qcow2", "virtio", "board"]
    for t in targets:
        globals()[t]()


if __name__ == "__main__":
    main()
