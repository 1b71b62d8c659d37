#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""AHCI (SATA) sequential throughput: hover --accel emu beside QEMU TCG.

Both boot the same kernel and initramfs with the same kind of raw image (a new,
empty one per boot: the first write into a sparse file pays the host's block
allocation) on an AHCI controller, load Linux's ahci and sd_mod modules from
the kernel package, and time `dd` with O_DIRECT inside the guest: sequential
write (1 MiB blocks from /dev/zero) then sequential read. The clock is the
host's, from sending the command to the shell's next prompt. hover runs
`--disk IMG,format=raw,bus=sata`; QEMU `-M pc -accel tcg -device ahci
-device ide-hd` with the default (writeback) cache, as hover uses the page
cache too. Runs alternate between the two; figures are medians in MiB/s,
and beside the ratio of the medians the median of each run's own ratio
(hover's run against the QEMU run right after it), which the load of a
shared machine sways less.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from disk_throughput import run_guest as disk_run_guest

CMDLINE = "console=ttyS0 quiet panic=-1"


def run_guest(argv, size_mib, timeout):
    """The SATA disk's dd run: disk_throughput's, on /dev/sda behind the AHCI driver."""
    return disk_run_guest(argv, timeout, size_mib=size_mib, dev="/dev/sda",
                          load="hover-load-hw ahci sd_mod >/dev/null")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=256, help="MiB written and read")
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()
    kernel = os.path.join(a.guest, "vmlinuz")
    initrd = os.path.join(a.guest, "initrd.gz")
    tmp = tempfile.mkdtemp(prefix="hover-bench-ahci-")
    img = os.path.join(tmp, "disk.raw")
    hover = [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
             "--kernel", kernel, "--initrd", initrd, "--cmdline", CMDLINE,
             "--memory", a.memory, "--disk", f"{img},format=raw,bus=sata"]
    qemu = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg",
            "-m", a.memory, "-kernel", kernel, "-initrd", initrd, "-append", CMDLINE,
            "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-drive", f"file={img},format=raw,if=none,id=d0",
            "-device", "ahci,id=ahci0", "-device", "ide-hd,drive=d0,bus=ahci0.0"]
    results = {}
    try:
        for i in range(a.runs):
            for name, argv in (("hover", hover), ("qemu", qemu)):
                if os.path.exists(img):
                    os.unlink(img)
                with open(img, "wb") as f:
                    f.truncate(a.size * 1024 * 1024)
                r = run_guest(argv, a.size, a.timeout)
                results.setdefault(name, []).append(r)
                print(f"run {i + 1}/{a.runs} {name:5s}: " +
                      (f"write {r['write']:.1f} MiB/s, read {r['read']:.1f} MiB/s" if r
                       else "failed"), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"AHCI sequential O_DIRECT dd, 1 MiB blocks, {a.size} MiB, median of {a.runs} "
          f"(MiB/s; hover --accel emu vs QEMU TCG):")
    ok = True
    med = {}
    for name in ("hover", "qemu"):
        rs = results.get(name, [])
        if not rs or None in rs:
            med[name] = None
            ok = False
            continue
        med[name] = {k: statistics.median(r[k] for r in rs) for k in ("write", "read")}
    for k in ("write", "read"):
        h = med["hover"][k] if med["hover"] else None
        q = med["qemu"][k] if med["qemu"] else None
        line = f"  {k:5s}  hover {h:8.1f}" if h else f"  {k:5s}  hover   failed"
        line += f"   qemu {q:8.1f}" if q else "   qemu   failed"
        if h and q:
            pairs = [hr[k] / qr[k] for hr, qr in zip(results["hover"], results["qemu"])]
            line += (f"   ratio hover/qemu {h / q:.2f}x, per run {statistics.median(pairs):.2f}x "
                     f"(goal: >= 1x)")
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
