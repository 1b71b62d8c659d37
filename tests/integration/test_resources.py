# SPDX-License-Identifier: GPL-2.0-or-later
"""A VM's share of the host: CPU weight and cap through its cgroup, vCPU
pinning and real-time vCPUs (set at start and live through POST /vm/set),
what an idle guest costs, and bad input refused by name. CPU time is read
from /proc/PID/task/TID/schedstat. HOVER_ACCEL picks the
engine (default emu)."""
import os
import re
import time

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover
from test_balloon import ram_mapping
from unixhttp import api

ACCEL = os.environ.get("HOVER_ACCEL", "emu")
# no_timer_check: on a loaded host two guests booting at once can miss the
# kernel's IO-APIC timer check (a panic that says nothing about hover).
CMDLINE = "console=ttyS0 quiet panic=-1 no_timer_check"
PROMPT = "/ # "
BUSY = "sh -c 'while :; do :; done' &"


def run_args(guest, *more):
    return ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", CMDLINE, "--memory", "256M"] + list(more)


def shell(child, cmd, timeout=120):
    child.sendline(cmd)
    child.expect_exact(PROMPT, timeout=timeout)
    return child.before


def thread_seconds(pid, only=None):
    """CPU time of the process's threads (those whose name starts with `only`), in
    seconds, from schedstat: exact, where utime/stime are sampled at each tick."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        if only:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith(only):
                    continue
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            total += int(f.read().split()[0]) / 1e9
    return total


def vcpu_seconds(pid):
    return thread_seconds(pid, "vcpu")


def process_seconds(pid):
    return thread_seconds(pid)


def measure(fn, pids, seconds):
    before = [fn(p) for p in pids]
    time.sleep(seconds)
    return [fn(p) - b for p, b in zip(pids, before)]


def cgroup_usable():
    return (os.path.exists("/sys/fs/cgroup/cpu/cpu.shares") or
            os.path.exists("/sys/fs/cgroup/cgroup.controllers")) and os.geteuid() == 0


def poweroff(*children):
    for c in children:
        if c.isalive():
            c.sendline("poweroff -f")
    for c in children:
        c.expect(pexpect.EOF, timeout=60)


def policies(pid):
    """(thread name, scheduling policy) of every thread: 0 SCHED_OTHER, 1 SCHED_FIFO."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/task/{tid}/sched") as f:
            out.append((name, int(re.search(r"policy\s*:\s*(\d+)", f.read()).group(1))))
    return out


@pytest.mark.skipif(not cgroup_usable(), reason="needs root and a cgroup cpu controller")
def test_idle_rt_weight_split_and_cap(hover, guest, tmp_path):
    socks = [str(tmp_path / "a.sock"), str(tmp_path / "b.sock")]
    a = spawn_hover(run_args(guest, "--name", "wa", "--cpu-weight", "100", "--api-sock", socks[0]))
    b = spawn_hover(run_args(guest, "--name", "wb", "--cpu-weight", "300", "--api-sock", socks[1]))
    cg = None
    try:
        for c in (a, b):
            c.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
        # Idle guests: host CPU over 10 s (the boot's deferred work settles first).
        time.sleep(3)
        idle = measure(process_seconds, [a.pid, b.pid], 10)
        print(f"idle guests: {idle[0] / 10:.2%} and {idle[1] / 10:.2%} of a host CPU")
        assert max(idle) / 10 < 0.015, f"idle guests cost {idle} s of CPU in 10 s"

        # Real-time vCPUs, live: where the VM's cgroup is v1, the kernel gives it no
        # real-time runtime, which is said; under v2 the vCPU becomes SCHED_FIFO.
        st, info = api(socks[0], "GET", "/vm")
        st, body = api(socks[0], "POST", "/vm/set", {"rt": 5})
        if info["resources"]["cgroup_version"] == 1:
            assert st == 409 and "cpu.rt_runtime_us" in body["error"]["message"], body
        else:
            assert st == 200 and ("vcpu0", 1) in policies(a.pid), body
            st, body = api(socks[0], "POST", "/vm/set", {"rt": 0})
            assert st == 200 and ("vcpu0", 0) in policies(a.pid), body

        # Weights 100:300 on one core. Pinned live, once booted: two guests booting
        # on one core can miss the kernel's timer check.
        for s in socks:
            st, body = api(s, "POST", "/vm/set", {"cpu-pin": "0"})
            assert st == 200 and body["resources"]["cpu_pin"] == "0", body
        for c in (a, b):
            shell(c, BUSY)
        time.sleep(1)
        da, db = measure(vcpu_seconds, [a.pid, b.pid], 10)
        assert da > 0.2, (da, db)
        ratio = db / da
        print(f"weights 100:300 gave {da:.2f}s : {db:.2f}s ({ratio:.2f})")
        # 1:3 is what cpu.weight/cpu.shares promise; on a loaded 2-core host (load ~13)
        # runs measured 3.4 to 3.8, so the bound is loose but still fails if weights
        # are ignored (1:1).
        assert 2.4 <= ratio <= 4.2, f"weights 100:300 gave {da:.2f}s : {db:.2f}s ({ratio:.2f})"

        # A 25% cap on a core of its own: first what a takes there uncapped.
        st, body = api(socks[0], "POST", "/vm/set", {"cpu-pin": "1"})
        assert st == 200, body
        time.sleep(0.5)
        (free,) = measure(process_seconds, [a.pid], 3)
        st, body = api(socks[0], "POST", "/vm/set", {"cpu-cap": "25%"})
        assert st == 200 and body["resources"]["cpu_cap_percent"] == 25, body
        time.sleep(1)
        (da,) = measure(process_seconds, [a.pid], 8)
        print(f"a 25% cap gave {da / 8:.1%} (uncapped on that core: {free / 3:.0%})")
        assert da / 8 <= 0.30, f"a 25% cap gave {da / 8:.0%}"
        if free / 3 >= 0.40:  # a core busy with other work leaves less than the cap
            assert da / 8 >= 0.20, f"a 25% cap gave {da / 8:.0%} (uncapped {free / 3:.0%})"

        # Live values land in the cgroup's files.
        st, info = api(socks[0], "GET", "/vm")
        cg = info["resources"]["cgroup"]
        if info["resources"]["cgroup_version"] == 1:
            with open(f"{cg}/cpu.cfs_quota_us") as f:
                assert f.read().strip() == "25000"
        else:
            with open(f"{cg}/cpu.max") as f:
                assert f.read().split()[0] == "25000"
        st, body = api(socks[0], "POST", "/vm/set", {"cpu-weight": 0})
        assert st == 400 and "1 to 10000" in body["error"]["message"], body
    finally:
        for s in socks:  # busy guests answer their console slowly: off through the API
            try:
                api(s, "POST", "/vm/off")
            except OSError:
                pass
        for c in (a, b):
            c.expect(pexpect.EOF, timeout=60)
    assert cg is None or not os.path.exists(cg), f"{cg} left behind"


def test_rt_vcpu(hover, guest):
    """--rt=5: the vCPU thread runs SCHED_FIFO, the VMM's other threads do not (seen as
    soon as the threads exist; the guest need not finish booting)."""
    child = spawn_hover(run_args(guest, "--rt=5"))
    try:
        pol = []
        deadline = time.time() + 30
        while time.time() < deadline and not any(n == "loop" for n, _ in pol):
            time.sleep(0.2)
            pol = policies(child.pid)
        assert ("vcpu0", 1) in pol, pol
        assert all(p == 0 for n, p in pol if n != "vcpu0"), pol
    finally:
        child.terminate(force=True)


def test_bad_cpu_options(hover, guest):
    ncpu = os.sysconf("SC_NPROCESSORS_CONF")
    cases = [
        (["--cpu-pin", "99"], f"CPU 99: this host has CPUs 0-{ncpu - 1}"),
        (["--cpu-pin", "1-0"], "not a CPU list"),
        (["--cpu-cap", "0%"], "a cap must be 1% to"),
        (["--cpu-cap", "lots"], "not a percentage"),
        (["--cpu-weight", "0"], "1 to 10000"),
        (["--rt=99"], "1 to 49"),
    ]
    for args, msg in cases:
        st, _, err = run_hover(run_args(guest, *args))
        assert st == 2 and msg in err, (args, err)
