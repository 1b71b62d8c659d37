#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""VMM memory overhead on KVM: hover --accel kvm beside QEMU (-accel kvm
-M microvm), the same guest idle at its shell, inside the nested rig.

Overhead is the VMM process's resident memory minus the guest RAM it has
touched. Both keep guest RAM in a memfd (hover always; QEMU through
-object memory-backend-memfd), so /proc/PID/smaps separates the two: the Rss
of the /memfd: mappings is guest RAM, everything else (heap, stacks, and the
pages of the binary and its libraries in use) is the VMM's.
Goal: at most 4 MiB (Firecracker promises 5 MiB; Cloud Hypervisor reports
about 4 MiB).
"""
import argparse
import re

from kvm_rig import run_rig

GOAL_KIB = 4 * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--memory", default="256M")
    a = ap.parse_args()
    lines, _ = run_rig(a.build, a.guest, "bench-mem", "rig.mem=%s" % a.memory)
    got = {}
    for l in lines:
        m = re.match(r"kvm-rig: mem (\w+) rss=(\d+) guest=(\d+) anon=(\d+)", l)
        if m:
            got[m.group(1)] = {k: int(v) for k, v in
                               zip(("rss", "guest", "anon"), m.groups()[1:])}
        elif l.startswith("kvm-rig: mem ") and l.endswith("failed"):
            print(l)
    print(f"VMM memory with the guest idle at its shell (nested rig, {a.memory} guest), KiB:")
    print(f"  {'':28s} {'RSS':>8s} {'guest RAM':>10s} {'overhead':>9s} {'of it anon':>11s}")
    for name, label in (("hover", "hover --accel kvm"), ("qemu", "qemu -accel kvm -M microvm")):
        g = got.get(name)
        if not g:
            print(f"  {label:28s} failed")
            continue
        print(f"  {label:28s} {g['rss']:8d} {g['guest']:10d} {g['rss'] - g['guest']:9d} "
              f"{g['anon']:11d}")
    if "hover" in got and "qemu" in got:
        h = got["hover"]["rss"] - got["hover"]["guest"]
        q = got["qemu"]["rss"] - got["qemu"]["guest"]
        print(f"  hover overhead {h / 1024:.1f} MiB vs QEMU {q / 1024:.1f} MiB "
              f"(goal: at most {GOAL_KIB // 1024} MiB: {'met' if h <= GOAL_KIB else 'missed'})")
        return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
