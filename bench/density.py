#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""VM density: hover --accel emu beside QEMU TCG, same guest, same features.

1. N idle 512 MiB guests (the test guest, virtio-balloon driver loaded) of each,
   with free page reporting and KSM on: hover `--balloon --mem-merge`, QEMU
   `-device virtio-balloon-pci,free-page-reporting=on -machine mem-merge=on`.
   After the guests settle, their host CPU is measured over --idle-seconds, then
   each process's RSS (VmRSS), PSS (smaps_rollup: KSM-shared pages split between
   the sharers) and what KSM merged (ksm_merging_pages). The figures are medians
   per VM; "fit in 8 GiB" is 8 GiB over the median PSS.
2. Memory returned: one 2 GiB guest of each fills 1 GiB of its tmpfs, then frees
   it; the time until the VM's RSS drops by 90% of what the fill added, and how
   much came back after --return-wait seconds (KSM paused meanwhile: it would
   merge the fill's zero pages itself).

KSM is switched on (/sys/kernel/mm/ksm/run = 1, needs root) for the run and
put back as it was; --no-ksm leaves the host alone. The machine is shared:
run it briefly, read ratios, not absolute figures.
"""
import argparse
import os
import statistics
import sys
import time

import pexpect

CMDLINE = "console=ttyS0 quiet panic=-1 no_timer_check"
PROMPT = "/ # "
LOAD = "hover-load-virtio; hover-load-hw virtio_balloon"
MiB = 1 << 20
KSM = "/sys/kernel/mm/ksm/"


def hover_argv(a, memory):
    return [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
            "--kernel", a.kernel, "--initrd", a.initrd, "--cmdline", CMDLINE,
            "--memory", memory, "--balloon", "--mem-merge"]


def qemu_argv(a, memory):
    return ["qemu-system-x86_64", "-M", "pc,mem-merge=on", "-accel", "tcg", "-m", memory,
            "-nographic", "-nodefaults", "-serial", "stdio", "-no-reboot",
            "-kernel", a.kernel, "-initrd", a.initrd, "-append", CMDLINE,
            "-device", "virtio-balloon-pci,free-page-reporting=on"]


def spawn(argv, timeout):
    return pexpect.spawn(argv[0], argv[1:], timeout=timeout, encoding="utf-8",
                         codec_errors="replace")


def shell(c, cmd, timeout=300):
    c.sendline(cmd)
    c.expect_exact(PROMPT, timeout=timeout)
    return c.before


def boot(argvs, timeout):
    kids = [spawn(argv, timeout) for argv in argvs]
    for c in kids:
        c.expect_exact(PROMPT, timeout=timeout)
    for c in kids:
        shell(c, LOAD)
    return kids


def stop(kids):
    for c in kids:
        if c.isalive():
            c.sendline("poweroff -f")
    for c in kids:
        try:
            c.expect(pexpect.EOF, timeout=30)
        except pexpect.TIMEOUT:
            c.terminate(force=True)


def cpu_s(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0]) / 1e9
        except OSError:
            pass
    return total


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pss(pid):
    """Proportional set size: a page KSM shares between N processes counts 1/N in each."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def merged(pid):
    try:
        with open(f"/proc/{pid}/ksm_merging_pages") as f:
            return int(f.read()) * os.sysconf("SC_PAGESIZE")
    except OSError:
        return 0


def idle_group(name, argvs, a):
    kids = boot(argvs, a.timeout)
    try:
        time.sleep(a.settle)
        pids = [c.pid for c in kids]
        before = [cpu_s(p) for p in pids]
        time.sleep(a.idle_seconds)
        cpu = [(cpu_s(p) - b) / a.idle_seconds for p, b in zip(pids, before)]
        r = [rss(p) for p in pids]
        ps = [pss(p) for p in pids]
        m = [merged(p) for p in pids]
    finally:
        stop(kids)
    res = {"rss": statistics.median(r), "rss_sum": sum(r), "pss": statistics.median(ps),
           "pss_sum": sum(ps), "cpu": statistics.median(cpu), "merged": statistics.median(m)}
    print(f"  {name:5s} per VM: RSS {res['rss'] / MiB:6.1f} MiB, PSS {res['pss'] / MiB:6.1f} MiB, "
          f"KSM merged {res['merged'] / MiB:6.1f} MiB; summed RSS {res['rss_sum'] / MiB:.0f} MiB, "
          f"PSS {res['pss_sum'] / MiB:.0f} MiB; idle CPU {res['cpu']:.3%} of a host CPU",
          flush=True)
    return res


def give_back(name, argv, a):
    (c,) = boot([argv], a.timeout)
    try:
        time.sleep(5)
        base = rss(c.pid)
        shell(c, "dd if=/dev/zero of=/tmp/fill bs=1M count=1024 2>/dev/null; sync")
        full = rss(c.pid)
        added = full - base
        t0 = time.monotonic()
        c.sendline("rm /tmp/fill")
        took = None
        while time.monotonic() - t0 < a.return_wait:
            if took is None and full - rss(c.pid) >= 0.9 * added:
                took = time.monotonic() - t0
            time.sleep(0.25)
        back = full - rss(c.pid)
    finally:
        stop([c])
    print(f"  {name:5s} fill added {added / MiB:6.0f} MiB; returned {back / MiB:6.0f} MiB in "
          f"{a.return_wait:.0f} s; 90% back after "
          f"{'%.1f s' % took if took is not None else 'never'}", flush=True)
    return {"added": added, "back": back, "took": took}


def ksm_set(values):
    old = {}
    for k, v in values.items():
        with open(KSM + k) as f:
            old[k] = f.read().strip()
        with open(KSM + k, "w") as f:
            f.write(str(v))
    return old


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--vms", type=int, default=3, help="idle guests of each kind (default 3)")
    ap.add_argument("--settle", type=float, default=30, help="seconds before measuring")
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--return-wait", type=float, default=30)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--no-ksm", action="store_true", help="leave the host's KSM as it is")
    ap.add_argument("--skip-return", action="store_true")
    a = ap.parse_args()
    a.kernel = os.path.join(a.guest, "vmlinuz")
    a.initrd = os.path.join(a.guest, "initrd.gz")
    old = None
    if not a.no_ksm:
        try:
            old = ksm_set({"run": 1, "pages_to_scan": 2000, "sleep_millisecs": 20})
        except OSError as e:
            print(f"cannot switch KSM on ({e}); run as root or pass --no-ksm", file=sys.stderr)
            return 2
    try:
        print(f"{a.vms} idle 512 MiB guests each, balloon + free page reporting + KSM "
              f"(settle {a.settle:.0f} s, CPU over {a.idle_seconds:.0f} s):", flush=True)
        h = idle_group("hover", [hover_argv(a, "512M") for _ in range(a.vms)], a)
        q = idle_group("qemu", [qemu_argv(a, "512M") for _ in range(a.vms)], a)
        fit = lambda r: int(8 * 1024 * MiB // r["pss"])
        print(f"  => fit in 8 GiB (by PSS): hover {fit(h)}, qemu {fit(q)}; PSS per VM hover/qemu "
              f"{h['pss'] / q['pss']:.2f}; idle CPU hover {h['cpu']:.3%} vs qemu {q['cpu']:.3%}")
        if not a.skip_return:
            # KSM paused: it would merge the fill's zero pages and hide what reporting returns.
            if old:
                ksm_set({"run": 0})
            print("a 2 GiB guest fills 1 GiB of tmpfs, then frees it (KSM paused):", flush=True)
            hr = give_back("hover", hover_argv(a, "2G"), a)
            qr = give_back("qemu", qemu_argv(a, "2G"), a)
            print(f"  => returned hover {hr['back'] / MiB:.0f} MiB, qemu {qr['back'] / MiB:.0f} MiB")
    finally:
        if old:
            ksm_set(old)
    return 0


if __name__ == "__main__":
    sys.exit(main())
