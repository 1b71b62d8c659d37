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

Each run boots the rig afresh (both VMMs start from a cold page cache there);
the figures are medians over --runs runs.
"""
import argparse
import re
import statistics

from kvm_rig import run_rig

GOAL_KIB = 4 * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--memory", default="256M")
    ap.add_argument("--runs", type=int, default=3, help="rig boots; medians are shown")
    a = ap.parse_args()
    runs = {}  # name -> one {"rss", "guest", "anon"} per run that measured it
    for r in range(a.runs):
        lines, _ = run_rig(a.build, a.guest, "bench-mem", "rig.mem=%s" % a.memory)
        for l in lines:
            m = re.match(r"kvm-rig: mem (\w+) rss=(\d+) guest=(\d+) anon=(\d+)", l)
            if m:
                g = {k: int(v) for k, v in zip(("rss", "guest", "anon"), m.groups()[1:])}
                runs.setdefault(m.group(1), []).append(g)
                print(f"run {r + 1}: {m.group(1)} overhead {g['rss'] - g['guest']} KiB")
            elif l.startswith("kvm-rig: mem ") and l.endswith("failed"):
                print(f"run {r + 1}: {l}")
    # Medians per column; the overhead is the median of each run's own overhead.
    got = {name: {k: statistics.median(x[k] for x in rs) for k in ("rss", "guest", "anon")}
           | {"over": statistics.median(x["rss"] - x["guest"] for x in rs), "n": len(rs)}
           for name, rs in runs.items()}
    print(f"VMM memory with the guest idle at its shell (nested rig, {a.memory} guest), KiB, "
          f"medians of {a.runs} run(s):")
    print(f"  {'':28s} {'RSS':>8s} {'guest RAM':>10s} {'overhead':>9s} {'of it anon':>11s}")
    for name, label in (("hover", "hover --accel kvm"), ("qemu", "qemu -accel kvm -M microvm")):
        g = got.get(name)
        if not g:
            print(f"  {label:28s} failed")
            continue
        print(f"  {label:28s} {g['rss']:8.0f} {g['guest']:10.0f} {g['over']:9.0f} "
              f"{g['anon']:11.0f}" + (f"  ({g['n']} of {a.runs} runs)" if g['n'] < a.runs else ""))
    if "hover" in got and "qemu" in got:
        h = got["hover"]["over"]
        q = got["qemu"]["over"]
        print(f"  hover overhead {h / 1024:.1f} MiB vs QEMU {q / 1024:.1f} MiB "
              f"(goal: at most {GOAL_KIB // 1024} MiB: {'met' if h <= GOAL_KIB else 'missed'})")
        return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
