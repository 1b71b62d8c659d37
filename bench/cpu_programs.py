#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""CPU-bound guest programs: hover --accel emu beside QEMU TCG, timed inside the guest.

Builds bench/guest/cpubench.c statically, appends it to the demo guest's
initramfs as a second gzip'd newc archive (the kernel unpacks concatenated
archives in order), and boots the guest with hover.run=/bin/cpubench under
hover and under QEMU TCG (-M microvm,rtc=on), alternately so that the noise
of a shared machine hits both alike. Each phase reports its own time from
CLOCK_MONOTONIC inside the guest ("cpubench NAME MS"); the table shows the
medians and the ratio hover / QEMU (below 1 means hover is faster).
"""
import argparse
import gzip
import os
import select
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "guest", "cpubench.c")
DONE = b"cpubench done"

# Used only when the base initramfs predates the hover.run hook in scripts/make-guest.sh.
FALLBACK_INIT = b"""#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "hover-guest: init started"
run=
runargs=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	hover.run=*) run=${arg#hover.run=} ;;
	hover.runargs=*) runargs=$(echo "${arg#hover.runargs=}" | tr , ' ') ;;
	esac
done
[ -n "$run" ] && "$run" $runargs
poweroff -f
"""


def cpio_entry(name, mode, data=b"", ino=1):
    name_b = name.encode() + b"\0"
    hdr = b"070701" + b"".join(b"%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def make_initrd(base, binary, out):
    with open(binary, "rb") as f:
        prog = f.read()
    with open(base, "rb") as f:
        base_gz = f.read()
    has_hook = b"hover.run=" in gzip.decompress(base_gz)
    arch = cpio_entry("bin", 0o040755, ino=1) + cpio_entry("bin/cpubench", 0o100755, prog, ino=2)
    if not has_hook:
        arch += cpio_entry("init", 0o100755, FALLBACK_INIT, ino=3)
    arch += cpio_entry("TRAILER!!!", 0, ino=0)
    with open(out, "wb") as f:
        f.write(base_gz)
        f.write(gzip.compress(arch, 6))
    return has_hook


def run_guest(argv, timeout):
    """Boot, collect the console until cpubench says done; return {phase: ms} or None."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    try:
        while DONE not in buf:
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
    finally:
        p.kill()
        p.wait()
    res = {}
    for line in buf.replace(b"\r", b"").decode(errors="replace").splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "cpubench":
            try:
                res[f[1]] = float(f[2])
            except ValueError:
                pass
    return res if DONE in buf else (res or None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--only", choices=("both", "hover", "qemu"), default="both")
    ap.add_argument("phases", nargs="*", help="phases to run (default: all)")
    a = ap.parse_args()

    work = os.path.join(a.build, "bench-cpu")
    os.makedirs(work, exist_ok=True)
    binary = os.path.join(work, "cpubench")
    subprocess.run(["gcc", "-O2", "-static", "-o", binary, SRC], check=True)
    initrd = os.path.join(work, "initrd-cpubench.gz")
    if not make_initrd(os.path.join(a.guest, "initrd.gz"), binary, initrd):
        print("note: base initramfs has no hover.run hook (rebuild with make guest); "
              "using a minimal /init", file=sys.stderr)
    kernel = os.path.join(a.guest, "vmlinuz")
    cmdline = "console=ttyS0 quiet panic=-1 hover.run=/bin/cpubench"
    args = ["--scale", str(a.scale)] + a.phases
    cmdline += " hover.runargs=" + ",".join(args)
    engines = []
    if a.only in ("both", "hover"):
        engines.append(("hover", [os.path.join(a.build, "hover"), "run", "--accel", "emu",
                                  "--quiet", "--kernel", kernel, "--initrd", initrd,
                                  "--cmdline", cmdline, "--memory", a.memory]))
    if a.only in ("both", "qemu"):
        engines.append(("qemu", ["qemu-system-x86_64", "-M", "microvm,rtc=on", "-accel", "tcg",
                                 "-m", a.memory, "-kernel", kernel, "-initrd", initrd,
                                 "-append", cmdline, "-nographic", "-no-reboot", "-nodefaults",
                                 "-serial", "stdio"]))
    results = {name: [] for name, _ in engines}
    order = []
    for i in range(a.runs):
        for name, argv in engines:
            res = run_guest(argv, a.timeout)
            results[name].append(res or {})
            for k in res or {}:
                if k not in order:
                    order.append(k)
            shown = " ".join(f"{k}={v:.0f}" for k, v in (res or {}).items())
            print(f"run {i + 1}/{a.runs} {name:5s}: {shown or 'no result'}", flush=True)

    def med(name, phase):
        vals = [r[phase] for r in results.get(name, []) if phase in r]
        return statistics.median(vals) if vals else None

    print()
    print(f"cpubench phases, ms, median of {a.runs} (hover --accel emu vs QEMU TCG, "
          f"scale {a.scale}):")
    print(f"  {'phase':10s} {'hover':>10s} {'qemu':>10s} {'ratio':>7s}")
    ratios = []
    for ph in order:
        h, q = med("hover", ph), med("qemu", ph)
        hs = f"{h:10.0f}" if h is not None else f"{'-':>10s}"
        qs = f"{q:10.0f}" if q is not None else f"{'-':>10s}"
        r = f"{h / q:7.2f}" if h and q else f"{'-':>7s}"
        if h and q:
            ratios.append(h / q)
        print(f"  {ph:10s} {hs} {qs} {r}")
    if ratios:
        gm = statistics.geometric_mean(ratios)
        print(f"  {'geomean':10s} {'':10s} {'':10s} {gm:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
