# SPDX-License-Identifier: GPL-2.0-or-later
"""The VM process's sandbox (README "Security"): every thread runs under a
seccomp filter (Seccomp: 2 in /proc/PID/task/*/status), a refused call stops
the VM with a line naming the thread and the call, the guest still boots, does
disk I/O, uses console ports and the user network and reboots with the
filters on; --no-sandbox turns them off. The other features run sandboxed in
their own tests (test_disk, test_net, test_api, test_virtio_console_rng), the
sandbox being on by default."""
import os
import socket
import subprocess
import time

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, HOVER, run_hover, spawn_hover, guest_sh as sh

CMDLINE = "console=ttyS0 quiet panic=-1"
ACCEL = os.environ.get("HOVER_TEST_ACCEL", "emu")


def base_args(guest, extra=()):
    return ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", CMDLINE, "--memory", "256M"] + list(extra)


def threads_of(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            st = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        out[tid] = (st["Name"], int(st["Seccomp"]), st.get("NoNewPrivs", "?").strip())
    return out


@pytest.fixture
def disk(tmp_path):
    p = tmp_path / "disk.raw"
    with open(p, "wb") as f:
        f.truncate(16 << 20)
    return str(p)


def test_every_thread_filtered_and_guest_works(hover, guest, disk, tmp_path):
    """Boot with a disk, the user network and two console ports; every thread
    shows Seccomp: 2; the guest writes the disk, talks on the ports, gets a
    DHCP lease, reboots and reads its data back, all under the filters."""
    port_sock = str(tmp_path / "agent.sock")
    port_file = str(tmp_path / "port.log")
    child = spawn_hover(base_args(guest, ["--disk", disk + ",format=raw", "--net", "user",
                                          "--console-port", f"name=agent,socket={port_sock}",
                                          "--console-port", f"name=log,file={port_file}"]))
    try:
        child.expect_exact("hover-guest: shell on the console")
        child.expect_exact("# ")
        threads = threads_of(child.pid)
        names = sorted(n for n, _, _ in threads.values())
        assert {"loop", "vcpu0", "io-disk0"} <= set(names), names
        for tid, (name, mode, nnp) in threads.items():
            assert mode == 2, f"thread {name} ({tid}) has Seccomp: {mode}"
            assert nnp == "1", f"thread {name} ({tid}) has NoNewPrivs: {nnp}"
        status, out = sh(child, "/sbin/hover-load-virtio")
        assert "failed" not in out, out
        # disk I/O: write a pattern with a flush
        status, _ = sh(child, "echo sandboxed-data > /tmp/p && dd if=/tmp/p of=/dev/vda "
                              "bs=512 count=1 conv=fsync 2>/dev/null")
        assert status == 0
        # console ports: the socket one both ways, the file one outwards
        agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        agent.connect(port_sock)
        status, out = sh(child, "for p in /sys/class/virtio-ports/*; do "
                                "echo $(cat $p/name) /dev/$(basename $p); done")
        dev = {l.split()[0]: l.split()[1] for l in out.splitlines() if l.startswith(("agent", "log"))}
        status, _ = sh(child, f"echo to-the-log > {dev['log']}")
        assert status == 0
        status, _ = sh(child, f"echo hello-agent > {dev['agent']}")
        agent.settimeout(30)
        assert b"hello-agent" in agent.recv(100)
        agent.close()
        # the user network: DHCP through libslirp
        status, out = sh(child, "hover-net-up")
        assert "lease of 10.0.2.15" in out, out
        # UDP through libslirp (its DNS forwarder): the process must survive the lookup
        sh(child, "nslookup localhost 10.0.2.3 >/dev/null 2>&1", timeout=60)
        # reboot: the machine is rebuilt in the same, still filtered, process
        child.sendline("reboot -f")
        child.expect_exact("hover-guest: shell on the console")
        child.expect_exact("# ")
        for tid, (name, mode, _) in threads_of(child.pid).items():
            assert mode == 2, f"after reboot: thread {name} ({tid}) has Seccomp: {mode}"
        status, out = sh(child, "/sbin/hover-load-virtio && dd if=/dev/vda bs=512 count=1 "
                                "2>/dev/null | head -c 14")
        assert "sandboxed-data" in out
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF, timeout=60)
        child.close()
        assert child.exitstatus == 0
        assert "seccomp" not in (child.before or "")
        with open(port_file) as f:
            assert "to-the-log" in f.read()
    finally:
        if child.isalive():
            child.terminate(force=True)


@pytest.mark.parametrize("thread", ["main", "loop", "vcpu0", "io-disk0"])
def test_refused_call_stops_vm_naming_it(hover, guest, disk, thread):
    env = dict(os.environ, HOVER_SANDBOX_SELFTEST=thread)
    p = subprocess.run([HOVER] + base_args(guest, ["--disk", disk + ",format=raw"]),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                       env=env)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert (f"hover: seccomp: thread {thread} made syscall getppid (110), not allowed; "
            "the VM is stopped") in p.stderr


def test_no_sandbox_turns_filters_off(hover, guest):
    rc, out, _ = run_hover(["help", "run"])
    assert "--no-sandbox" in out
    env = dict(os.environ, HOVER_SANDBOX_SELFTEST="vcpu0")
    child = pexpect.spawn(HOVER, base_args(guest, ["--no-sandbox"]), env=env,
                          timeout=BOOT_TIMEOUT, encoding="utf-8", codec_errors="replace")
    try:
        child.expect_exact("hover-guest: shell on the console")
        for tid, (name, mode, _) in threads_of(child.pid).items():
            assert mode == 0, f"--no-sandbox: thread {name} has Seccomp: {mode}"
        child.sendcontrol("a")
        child.send("x")
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
