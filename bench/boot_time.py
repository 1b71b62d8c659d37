#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot time to the first line of init: hover --accel emu beside QEMU TCG.

Both boot the same kernel, initramfs, command line and memory size; the clock
runs from process start to the moment the guest's init prints its first line
on the serial console. Runs alternate between the two so that the noise of a
shared machine hits both alike; the figures are medians, and the result is
printed as a ratio (hover / QEMU: below 1 means hover is faster).
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time

FIRST_LINE = b"hover-guest: init started"
CMDLINE = "console=ttyS0 quiet panic=-1 hover.test=poweroff"


def time_to_line(argv, timeout):
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                return None
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                return None
            buf += chunk
            if FIRST_LINE in buf:
                return time.monotonic() - start
            buf = buf[-len(FIRST_LINE):]
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=120,
                    help="seconds before a run counts as failed (QEMU microvm sometimes hangs\n"
                         "calibrating its clocks on a loaded machine)")
    a = ap.parse_args()
    kernel = os.path.join(a.guest, "vmlinuz")
    initrd = os.path.join(a.guest, "initrd.gz")
    hover = [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
             "--kernel", kernel, "--initrd", initrd, "--cmdline", CMDLINE, "--memory", a.memory]
    qemu = ["qemu-system-x86_64", "-M", "microvm,rtc=on", "-accel", "tcg", "-m", a.memory,
            "-kernel", kernel, "-initrd", initrd, "-append", CMDLINE, "-nographic",
            "-no-reboot", "-nodefaults", "-serial", "stdio"]
    results = {"hover": [], "qemu": []}
    for i in range(a.runs):
        for name, argv in (("hover", hover), ("qemu", qemu)):
            t = time_to_line(argv, a.timeout)
            results[name].append(t)
            print(f"run {i + 1}/{a.runs} {name:5s}: "
                  + (f"{t:.2f} s" if t is not None else "did not reach init"), flush=True)
    med, failed = {}, {}
    for name, ts in results.items():
        ok = [t for t in ts if t is not None]
        failed[name] = len(ts) - len(ok)
        med[name] = statistics.median(ok) if ok else None
    print()
    print("boot to init's first line, median of %d (same kernel, initrd, cmdline, %s):"
          % (a.runs, a.memory))
    for name in ("hover", "qemu"):
        note = f" ({failed[name]} of {a.runs} runs did not reach init)" if failed[name] else ""
        print(f"  {name:5s} {med[name]:.2f} s{note}" if med[name] is not None
              else f"  {name:5s} never reached init")
    if med["hover"] and med["qemu"]:
        print(f"  ratio hover/qemu: {med['hover'] / med['qemu']:.2f}x (goal: <= 0.5x)")
    return 0 if all(med.values()) and not failed["hover"] else 1


if __name__ == "__main__":
    sys.exit(main())
