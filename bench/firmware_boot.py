#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Firmware boot time: hover --accel emu beside QEMU TCG (-M pc), same SeaBIOS.

Both boot the grub-mkrescue ISO of scripts/make-boot-guests.sh as a read-only
virtio disk through Debian's SeaBIOS (bios-256k.bin), GRUB on the serial line
(1 s menu timeout, included in both), then Debian's kernel and the test
initramfs. Two marks, from process start: GRUB's menu ("GNU GRUB" on the
serial line) and the guest's shell. Runs alternate between the two so the
noise of a shared machine hits both alike; medians, and ratios hover/QEMU
(below 1 means hover is faster).
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time

MARKS = ((b"GNU GRUB", "GRUB menu"), (b"hover-guest: shell on the console", "guest shell"))
SEABIOS = "/usr/share/seabios/bios-256k.bin"


def time_marks(argv, timeout):
    """Seconds from start to each mark (None where it never came)."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf, got = b"", [None] * len(MARKS)
    try:
        while got[-1] is None:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                break
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            for i, (text, _) in enumerate(MARKS):
                if got[i] is None and text in buf:
                    got[i] = time.monotonic() - start
            buf = buf[-64:]
    finally:
        p.kill()
        p.wait()
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--timeout", type=float, default=240)
    a = ap.parse_args()
    out = os.path.join(a.build, "boot-guests")
    subprocess.run([os.path.join(os.path.dirname(__file__), "..", "scripts",
                                 "make-boot-guests.sh"), out, a.guest], check=True)
    iso = os.path.join(out, "rescue.iso")
    hover = [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
             "--memory", a.memory, "--firmware", SEABIOS,
             "--disk", iso + ",format=raw,readonly=on"]
    qemu = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", a.memory,
            "-bios", SEABIOS, "-nodefaults", "-vga", "none", "-display", "none",
            "-serial", "stdio", "-no-reboot",
            "-drive", f"file={iso},format=raw,if=virtio,readonly=on"]
    results = {"hover": [], "qemu": []}
    for i in range(a.runs):
        for name, argv in (("hover", hover), ("qemu", qemu)):
            got = time_marks(argv, a.timeout)
            results[name].append(got)
            print(f"run {i + 1}/{a.runs} {name:5s}: " + ", ".join(
                f"{label} {t:.2f} s" if t is not None else f"{label} never"
                for (_, label), t in zip(MARKS, got)), flush=True)
    print()
    print(f"firmware boot (SeaBIOS, grub-mkrescue ISO on virtio-blk, {a.memory}), "
          f"median of {a.runs}:")
    ok = True
    for m, (_, label) in enumerate(MARKS):
        med = {}
        for name, runs in results.items():
            ts = [r[m] for r in runs if r[m] is not None]
            med[name] = statistics.median(ts) if ts else None
            ok &= len(ts) == len(runs)
        line = f"  {label:11s} " + "  ".join(
            f"{n} {med[n]:.2f} s" if med[n] is not None else f"{n} never" for n in med)
        if med["hover"] and med["qemu"]:
            line += f"  ratio hover/qemu {med['hover'] / med['qemu']:.2f}x (goal <= 1.0x)"
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
