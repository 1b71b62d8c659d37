#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-blk sequential throughput: hover --accel emu beside QEMU TCG.

Both boot the same kernel and initramfs with the same 256 MiB raw image (and
the same image as qcow2) on a virtio-blk PCI device, load the virtio modules
from the kernel package, and time `dd` with O_DIRECT inside the guest:
sequential write (1 MiB blocks from /dev/zero) then sequential read. The
clock is the host's, from sending the command to the shell's next prompt.
QEMU runs `-M q35 -accel tcg` with `-device virtio-blk-pci` and the default
(writeback) cache, as hover uses the page cache too. (microvm, the peer of
the boot benchmark, stalls calibrating the TSC once PCIe is on, and without
PCIe offers only virtio-mmio, which the test guest does not load.) Runs alternate between the two; figures are medians in MiB/s.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pexpect

CMDLINE = "console=ttyS0 quiet panic=-1"
SIZE_MIB = 256


def run_guest(argv, timeout, size_mib=SIZE_MIB, dev="/dev/vda", load="/sbin/hover-load-virtio"):
    """Boot, load the disk's driver (`load`), run the two dd commands on `dev`,
    return {'write': MiB/s, 'read': MiB/s}; None if a step failed.
    bench/ahci_throughput.py uses it for the SATA disk too."""
    child = pexpect.spawn(argv[0], argv[1:], timeout=timeout, encoding="utf-8",
                          codec_errors="replace", dimensions=(40, 200))
    try:
        child.expect_exact("hover-guest: shell on the console")
        child.expect_exact("# ")
        child.sendline(f"{load}; while [ ! -b {dev} ]; do sleep 0.1; done")
        child.expect_exact("# ")
        out = {}
        for name, cmd in (
                ("write", f"dd if=/dev/zero of={dev} bs=1M count={size_mib} oflag=direct"),
                ("read", f"dd if={dev} of=/dev/null bs=1M count={size_mib} iflag=direct")):
            start = time.monotonic()
            child.sendline(cmd + "; echo dd-status=$?")
            child.expect(r"dd-status=(\d+)")
            secs = time.monotonic() - start
            status = int(child.match.group(1))
            child.expect_exact("# ")
            if status != 0:
                return None
            out[name] = size_mib / secs
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF, timeout=60)
        return out
    except (pexpect.TIMEOUT, pexpect.EOF):
        return None
    finally:
        child.close(force=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--formats", default="raw,qcow2")
    a = ap.parse_args()
    kernel = os.path.join(a.guest, "vmlinuz")
    initrd = os.path.join(a.guest, "initrd.gz")
    tmp = tempfile.mkdtemp(prefix="hover-bench-disk-")
    results = {}
    try:
        for fmt in a.formats.split(","):
            # Every boot gets a new, empty image: the first write into a sparse
            # file pays the host's block allocation, so a shared image would
            # favour whichever VM writes it second.
            img = os.path.join(tmp, "disk." + fmt)
            hover = [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
                     "--kernel", kernel, "--initrd", initrd, "--cmdline", CMDLINE,
                     "--memory", a.memory, "--disk", f"{img},format={fmt}"]
            qemu = ["qemu-system-x86_64", "-M", "q35", "-accel", "tcg",
                    "-m", a.memory, "-kernel", kernel, "-initrd", initrd, "-append", CMDLINE,
                    "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
                    "-drive", f"file={img},format={fmt},if=none,id=d0",
                    "-device", "virtio-blk-pci,drive=d0"]
            for i in range(a.runs):
                for name, argv in (("hover", hover), ("qemu", qemu)):
                    if os.path.exists(img):
                        os.unlink(img)
                    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, img, f"{SIZE_MIB}M"],
                                   check=True)
                    r = run_guest(argv, a.timeout)
                    results.setdefault((fmt, name), []).append(r)
                    print(f"{fmt} run {i + 1}/{a.runs} {name:5s}: " +
                          (f"write {r['write']:.1f} MiB/s, read {r['read']:.1f} MiB/s" if r
                           else "failed"), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(f"virtio-blk sequential O_DIRECT dd, 1 MiB blocks, {SIZE_MIB} MiB image, "
          f"median of {a.runs} (MiB/s; hover --accel emu vs QEMU TCG):")
    ok = True
    for fmt in a.formats.split(","):
        med = {}
        for name in ("hover", "qemu"):
            rs = results.get((fmt, name), [])
            if not rs or None in rs:
                med[name] = None
                ok = False
                continue
            med[name] = {k: statistics.median(r[k] for r in rs) for k in ("write", "read")}
        for k in ("write", "read"):
            h = med["hover"][k] if med["hover"] else None
            q = med["qemu"][k] if med["qemu"] else None
            line = f"  {fmt:5s} {k:5s}  hover {h:8.1f}" if h else f"  {fmt:5s} {k:5s}  hover   failed"
            line += f"   qemu {q:8.1f}" if q else "   qemu   failed"
            if h and q:
                line += f"   ratio hover/qemu {h / q:.2f}x (goal: >= 1x)"
            print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
