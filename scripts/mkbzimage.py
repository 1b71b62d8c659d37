#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Wrap a freestanding x86-64 ELF into a minimal Linux bzImage.

The result follows Documentation/x86/boot.rst closely enough for a loader
that, like hover, reads the setup header, decompresses the payload at
payload_offset and loads the ELF's PT_LOAD segments: boot sector + one setup
sector holding the setup header (protocol 2.15, 'HdrS'), then the
protected-mode part with a compressed copy of the ELF at payload_offset,
followed (as the kernel's Makefile does for xz) by its uncompressed size.

It has no real-mode or 32-bit entry code: only 64-bit direct boot works.

usage: mkbzimage.py [--comp gzip|xz] [--cmdline-size N] ELF OUT
"""
import argparse
import gzip
import lzma
import struct
import sys

SECTOR = 512
SETUP_SECTS = 1
HDR_END = 0x26C  # through kernel_info_offset (protocol 2.15)
PT_LOAD = 1


def elf_extent(elf: bytes):
    """Return (lowest p_paddr, highest p_paddr + p_memsz) of the PT_LOAD segments."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        sys.exit("mkbzimage: input is not a little-endian ELF64 file")
    e_machine = struct.unpack_from("<H", elf, 18)[0]
    if e_machine != 62:
        sys.exit("mkbzimage: input is not an x86-64 ELF (e_machine %d)" % e_machine)
    e_phoff = struct.unpack_from("<Q", elf, 32)[0]
    e_phentsize, e_phnum = struct.unpack_from("<HH", elf, 54)
    lo, hi = None, None
    for i in range(e_phnum):
        p_type, _flags, _off, _vaddr, paddr, _filesz, memsz, _align = struct.unpack_from(
            "<IIQQQQQQ", elf, e_phoff + i * e_phentsize)
        if p_type != PT_LOAD or memsz == 0:
            continue
        lo = paddr if lo is None else min(lo, paddr)
        hi = paddr + memsz if hi is None else max(hi, paddr + memsz)
    if lo is None:
        sys.exit("mkbzimage: the ELF has no PT_LOAD segments")
    return lo, hi


def compress(elf: bytes, comp: str) -> bytes:
    if comp == "gzip":
        return gzip.compress(elf, compresslevel=9, mtime=0)  # ISIZE is in gzip's trailer
    data = lzma.compress(elf, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    return data + struct.pack("<I", len(elf))  # size_append, as the kernel's Makefile


def build(elf: bytes, comp: str, cmdline_size: int) -> bytes:
    lo, hi = elf_extent(elf)
    payload = compress(elf, comp)

    # Protected-mode part: a stub (hlt loop where a 32-bit/64-bit entry would be), then
    # the payload. payload_offset counts from the start of this part.
    stub = bytes([0xFA, 0xF4, 0xEB, 0xFD])  # cli; 1: hlt; jmp 1b
    payload_offset = 0x400
    pm = bytearray(stub.ljust(payload_offset, b"\xf4")) + payload
    pm += b"\0" * (-len(pm) % 16)

    init_size = (hi - lo + 0xFFFF) & ~0xFFF
    setup = bytearray(SECTOR * (SETUP_SECTS + 1))

    def put(off, fmt, val):
        struct.pack_into("<" + fmt, setup, off, val)

    put(0x1F1, "B", SETUP_SECTS)           # setup_sects
    put(0x1F2, "H", 0)                     # root_flags
    put(0x1F4, "I", len(pm) // 16)         # syssize
    put(0x1FA, "H", 0xFFFF)                # vid_mode: normal
    put(0x1FE, "H", 0xAA55)                # boot_flag
    put(0x200, "B", 0xEB)                  # jump: short jmp over the header ...
    put(0x201, "B", HDR_END - 0x202)       # ... whose displacement marks its end
    put(0x202, "4s", b"HdrS")              # header
    put(0x206, "H", 0x020F)                # version 2.15
    put(0x211, "B", 0x01)                  # loadflags: LOADED_HIGH
    put(0x214, "I", 0x100000)              # code32_start
    put(0x22C, "I", 0x7FFFFFFF)            # initrd_addr_max
    put(0x230, "I", 0x200000)              # kernel_alignment
    put(0x234, "B", 1)                     # relocatable_kernel
    put(0x235, "B", 21)                    # min_alignment
    put(0x236, "H", 0x3)                   # xloadflags: XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
    put(0x238, "I", cmdline_size)          # cmdline_size
    put(0x248, "I", payload_offset)        # payload_offset
    put(0x24C, "I", len(payload))          # payload_length
    put(0x258, "Q", lo)                    # pref_address
    put(0x260, "I", init_size)             # init_size
    return bytes(setup) + bytes(pm)


def main():
    ap = argparse.ArgumentParser(description="Wrap an x86-64 ELF into a minimal bzImage.")
    ap.add_argument("--comp", choices=("gzip", "xz"), default="gzip")
    ap.add_argument("--cmdline-size", type=int, default=2047)
    ap.add_argument("elf")
    ap.add_argument("out")
    args = ap.parse_args()
    with open(args.elf, "rb") as f:
        elf = f.read()
    image = build(elf, args.comp, args.cmdline_size)
    with open(args.out, "wb") as f:
        f.write(image)


if __name__ == "__main__":
    main()
