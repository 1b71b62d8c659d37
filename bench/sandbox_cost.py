#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the sandbox costs: hover --accel emu with its seccomp filters (the
default) beside --no-sandbox, same guest, in one run.

- Boot time: process start to the guest init's first line (as
  bench/boot_time.py), runs alternating between the two, medians; and the
  CPU time (user + system, all threads) the process had used by then, which
  a loaded machine disturbs less than the wall clock.
- VMM memory overhead: with the guest idle at its shell, the process's Rss
  minus the Rss of its guest-RAM memfd (as bench/kvm_memory.py does under
  KVM), from /proc/PID/smaps; also shown without the emu translator's code
  buffer (/memfd:hover-jit), which is guest-dependent.
- Set-up: the time the seccomp(2) calls themselves take, from strace -T.
Goal (issue 12): under 1 MiB and under 10 ms.
"""
import argparse
import os
import re
import select
import statistics
import subprocess
import time

FIRST_LINE = b"hover-guest: init started"
SHELL = b"hover-guest: shell on the console"


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def boot(argv, until, timeout=120):
    """Start hover; return (seconds to `until`, the process) — the caller kills it.
    The process's CPU seconds at that moment are in p.cpu."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    while time.monotonic() - start < timeout:
        r, _, _ = select.select([p.stdout], [], [], 1)
        if not r:
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        if until in buf:
            t = time.monotonic() - start
            p.cpu = cpu_s(p.pid)
            return t, p
        buf = buf[-len(until):]
    p.kill()
    p.wait()
    return None, None


def overhead_kib(pid):
    total = ram = jit = 0
    name = ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
            if m:
                name = m.group(1)
                continue
            if line.startswith("Rss:"):
                kib = int(line.split()[1])
                total += kib
                if name.startswith("/memfd:hover-ram"):
                    ram += kib
                elif name.startswith("/memfd:hover-jit"):
                    jit += kib
    return total - ram, total - ram - jit


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    hover = os.path.join(a.build, "hover")
    base = [hover, "run", "--accel", "emu", "--kernel", os.path.join(a.guest, "vmlinuz"),
            "--initrd", os.path.join(a.guest, "initrd.gz"), "--memory", "256M", "--cmdline",
            "console=ttyS0 quiet panic=-1"]
    modes = {"sandbox": [], "--no-sandbox": ["--no-sandbox"]}
    res = {m: {"boot": [], "cpu": [], "over": [], "over_nojit": []} for m in modes}
    for r in range(a.runs):
        for m, extra in modes.items():
            t, _p = boot(base + extra, FIRST_LINE)
            if _p:
                cpu = _p.cpu
                _p.kill()
                _p.wait()
            t2, p = boot(base + extra, SHELL)
            if t is None or p is None:
                print(f"run {r + 1} {m}: did not boot")
                continue
            time.sleep(2)
            over, nojit = overhead_kib(p.pid)
            p.kill()
            p.wait()
            res[m]["boot"].append(t)
            res[m]["cpu"].append(cpu)
            res[m]["over"].append(over)
            res[m]["over_nojit"].append(nojit)
            print(f"run {r + 1} {m:12s} boot {t * 1000:7.0f} ms (cpu {cpu * 1000:6.0f} ms)  "
                  f"overhead {over} KiB "
                  f"({nojit} KiB without the code buffer)", flush=True)
    print(f"\n{'':14s}{'boot (ms)':>12s}{'cpu (ms)':>10s}{'overhead (KiB)':>16s}"
          f"{'without jit':>14s}   medians of {a.runs}")
    for m in modes:
        d = res[m]
        if d["boot"]:
            print(f"{m:14s}{statistics.median(d['boot']) * 1000:12.0f}"
                  f"{statistics.median(d['cpu']) * 1000:10.0f}"
                  f"{statistics.median(d['over']):16.0f}{statistics.median(d['over_nojit']):14.0f}")
    try:
        out = subprocess.run(["strace", "-f", "-T", "-e", "trace=seccomp", "-o", "/dev/stdout",
                              "timeout", "20"] + base, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=60).stdout
        secs = [float(x) for x in re.findall(r"seccomp\(.*= 0 <([0-9.]+)>", out)]
        print(f"\nseccomp(2) calls: {len(secs)}, {sum(secs) * 1e6:.0f} us in all "
              f"(strace -T; the BPF programs are built in microseconds besides)")
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"strace: {e}")


if __name__ == "__main__":
    main()
