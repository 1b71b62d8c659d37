#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot time to init's first line on KVM: hover --accel kvm beside QEMU
(-accel kvm -M microvm), inside the same outer guest of the nested rig.

Both boot the same kernel, initramfs, command line and memory size on the
same /dev/kvm (QEMU's TCG emulating AMD-V, see scripts/kvm-rig.sh); the clock
runs, inside the outer guest, from starting the VMM to the moment the inner
guest's init prints its first line on the serial console. Runs alternate
between the two; figures are medians, and the ratio hover/QEMU below 1 means
hover is faster. Absolute times are those of a nested, emulated CPU — many
times bare metal's (Firecracker's published target there is 125 ms) — only
the ratio carries over.
"""
import argparse
import statistics

from kvm_rig import run_rig


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--memory", default="256M")
    a = ap.parse_args()
    lines, _ = run_rig(a.build, a.guest, "bench-boot",
                       "rig.runs=%d rig.mem=%s" % (a.runs, a.memory))
    ms = {"hover": [], "qemu": []}
    failed = {"hover": 0, "qemu": 0}
    for l in lines:
        f = l.split()
        if len(f) == 4 and f[1] == "boot" and f[2] in ms:
            if f[3] == "failed":
                failed[f[2]] += 1
            else:
                ms[f[2]].append(int(f[3]))
                print(f"run {len(ms[f[2]])} {f[2]:5s}: {int(f[3])} ms", flush=True)
    print()
    print(f"boot to init's first line on KVM (nested rig), median of {a.runs}, "
          f"same kernel, initrd, cmdline, {a.memory}:")
    med = {}
    for name, label in (("hover", "hover --accel kvm"), ("qemu", "qemu -accel kvm -M microvm")):
        if ms[name] and not failed[name]:
            med[name] = statistics.median(ms[name])
            print(f"  {label:28s} {med[name]:8.0f} ms   (runs: {', '.join(map(str, ms[name]))})")
        else:
            print(f"  {label:28s} failed in {failed[name]} of {a.runs} runs")
    if len(med) == 2:
        r = med["hover"] / med["qemu"]
        print(f"  hover / qemu = {r:.2f}  ({'hover faster' if r < 1 else 'qemu faster'}; "
              f"goal: below 1)")
        return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
