# SPDX-License-Identifier: GPL-2.0-or-later
"""virtio-balloon and guest RAM backings, seen from the host and the guest:
free page reporting gives freed guest memory back (the VM's RSS follows the
guest down), the balloon inflates to a target and deflates, the guest's own
figures reach the API, KSM and THP flags land on the RAM mapping, and bad
input is refused by name. HOVER_ACCEL picks the engine (default emu)."""
import os
import re
import time

import pexpect

from conftest import BOOT_TIMEOUT, run_hover, spawn_hover
from unixhttp import api

ACCEL = os.environ.get("HOVER_ACCEL", "emu")
# no_timer_check: on a loaded host two guests booting at once can miss the
# kernel's IO-APIC timer check (a panic that says nothing about hover).
CMDLINE = "console=ttyS0 quiet panic=-1 no_timer_check"
PROMPT = "/ # "
MiB = 1 << 20


def run_args(guest, *more, memory="512M"):
    return ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", CMDLINE, "--memory", memory] + list(more)


def shell(child, cmd, timeout=120):
    child.sendline(cmd)
    child.expect_exact(PROMPT, timeout=timeout)
    return child.before


def ram_mapping(pid):
    """Rss (bytes) and VmFlags of the guest RAM mapping(s) in /proc/PID/smaps."""
    rss, flags, cur = 0, set(), False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                cur = "hover-ram" in line
            elif cur and line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif cur and line.startswith("VmFlags:"):
                flags |= set(line.split()[1:])
    return rss, flags


def mem_free(child):
    out = shell(child, "grep MemFree /proc/meminfo")
    return int(re.search(r"MemFree:\s+(\d+) kB", out).group(1)) * 1024


def wait_for(pred, timeout, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def boot_with_balloon(guest, sock, *more):
    child = spawn_hover(run_args(guest, "--balloon", "--api-sock", sock, *more))
    child.expect_exact(PROMPT, timeout=BOOT_TIMEOUT)
    shell(child, "hover-load-virtio; hover-load-hw virtio_balloon")
    st, mem = api(sock, "GET", "/vm/memory")
    assert st == 200 and mem["balloon"]["driver_ready"], mem
    return child


def test_page_reporting_and_balloon(hover, guest, tmp_path):
    """Also with --mem-merge and --mem-hugepages=thp (RAM then private anonymous memory,
    as the density benchmark runs it): the flags land on the mapping."""
    sock = str(tmp_path / "api.sock")
    child = boot_with_balloon(guest, sock, "--mem-merge", "--mem-hugepages=thp")
    try:
        _, flags = ram_mapping(child.pid)
        st, mem = api(sock, "GET", "/vm/memory")
        assert "mg" in flags and mem["mergeable"] and "ksm_merged_bytes" in mem, (flags, mem)
        with open("/sys/kernel/mm/ksm/run") as f:
            ksm_on = f.read().strip() == "1"
        assert ksm_on == mem["host_ksm_running"]
        if not ksm_on:
            assert "KSM is off" in mem["backing"], mem
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp_possible = "[never]" not in f.read()
        assert mem["thp"] == thp_possible and ("hg" in flags) == thp_possible, (mem, flags)

        # Free page reporting: 200 MiB held in the guest's tmpfs, then freed.
        base, _ = ram_mapping(child.pid)
        shell(child, "dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null; sync")
        held, _ = ram_mapping(child.pid)
        assert held - base > 150 * MiB, (base, held)
        t0 = time.time()
        shell(child, "rm /tmp/fill")
        back = wait_for(lambda: ram_mapping(child.pid)[0] < base + 48 * MiB or None, 30)
        took = time.time() - t0
        rss_after, _ = ram_mapping(child.pid)
        assert back, f"RSS stayed at {rss_after // MiB} MiB (was {base // MiB} before the fill)"
        assert took < 20, took
        _, mem = api(sock, "GET", "/vm/memory")
        assert mem["balloon"]["reported_free_bytes"] >= 150 * MiB, mem

        # Inflate to a 384 MiB target: the guest has 128 MiB less free memory.
        free0 = mem_free(child)
        st, body = api(sock, "POST", "/vm/set", {"memory": "384M"})
        assert st == 200 and body["memory"]["balloon"]["target_bytes"] == 384 * MiB, body
        ok = wait_for(lambda: api(sock, "GET", "/vm/memory")[1]["balloon"]["actual_bytes"]
                      <= 384 * MiB, 90)
        assert ok, api(sock, "GET", "/vm/memory")
        free1 = mem_free(child)
        assert free0 - free1 > 120 * MiB, (free0, free1)
        rss_inflated, _ = ram_mapping(child.pid)
        assert rss_inflated < base + 48 * MiB, (base, rss_inflated)

        # Deflate: the memory is the guest's again.
        st, body = api(sock, "PUT", "/vm/memory", {"target": "512M"})
        assert st == 200, body
        ok = wait_for(lambda: api(sock, "GET", "/vm/memory")[1]["balloon"]["actual_bytes"]
                      == 512 * MiB, 60)
        assert ok, api(sock, "GET", "/vm/memory")
        assert mem_free(child) > free1 + 120 * MiB

        # The guest's own figures (the second read sees the refill the first asked for).
        api(sock, "GET", "/vm/memory")
        g = wait_for(lambda: api(sock, "GET", "/vm/memory")[1]["balloon"].get("guest"), 10)
        memtotal = int(re.search(r"MemTotal:\s+(\d+)", shell(child, "grep MemTotal /proc/meminfo"))
                       .group(1)) * 1024
        assert g and abs(g["total"] - memtotal) < 8 * MiB and 0 < g["free"] <= g["total"], g
        st, m = api(sock, "GET", "/vm/metrics")
        assert st == 200 and m["memory"]["balloon"]["target_bytes"] == 512 * MiB, m
        st, info = api(sock, "GET", "/vm")
        assert info["balloon"]["actual_bytes"] == 512 * MiB, info

        # Targets outside the VM's RAM are refused by name.
        st, body = api(sock, "POST", "/vm/set", {"memory": "2G"})
        assert st == 400 and "512M" in body["error"]["message"], body
        st, body = api(sock, "POST", "/vm/set", {"memory": "lots"})
        assert st == 400 and "not a size" in body["error"]["message"], body
    finally:
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF, timeout=60)


def test_bad_memory_options(hover, guest):
    st, _, err = run_hover(run_args(guest, "--balloon=1G"))
    assert st == 2 and "--balloon=1024M is more than --memory 512M" in err, err
    st, _, err = run_hover(run_args(guest, "--balloon=lots"))
    assert st == 2 and "not a size" in err, err
    st, _, err = run_hover(run_args(guest, "--mem-hugepages=giant"))
    assert st == 2 and "auto, hugetlb or thp" in err, err
    with open("/proc/meminfo") as f:
        free_huge = int(re.search(r"HugePages_Free:\s+(\d+)", f.read()).group(1))
    if free_huge < 256:
        st, _, err = run_hover(run_args(guest, "--mem-hugepages=hugetlb"))
        assert st == 2 and "nr_hugepages" in err and f"has {free_huge} free" in err, err
