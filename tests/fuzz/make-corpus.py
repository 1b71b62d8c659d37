#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Make the seed corpora of the fuzz targets that need real files.

  boot:  a tiny x86-64 ELF, bare and wrapped by scripts/mkbzimage.py with
         gzip, xz and zstd payloads
  qcow2: images made by qemu-img with 512-byte clusters (so each is a few
         KiB), written with qemu-io (data, zeroes, compressed), v2 and v3,
         with and without a backing file named "base"; each framed as
         fuzz_qcow2.c reads its input
  board, virtio: a few hand-written op sequences (see those targets)

usage: make-corpus.py [TARGET...]   (writes tests/fuzz/corpus/TARGET/)
The other targets' seeds are small hand-written files, committed as they are.
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


def main():
    targets = sys.argv[1:] or ["boot", "qcow2"]
    for t in targets:
        globals()[t]()


if __name__ == "__main__":
    main()
