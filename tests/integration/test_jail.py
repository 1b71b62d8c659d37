# SPDX-License-Identifier: GPL-2.0-or-later
"""hoverd's path rules and, as root, each VM's jail (README "Security"):
files outside --allow-dir are refused naming the rule, symlinks out of an
allowed directory too; a VM runs as its own uid in its own mount, PID, IPC and
network namespaces, with only its files in its root, no core dumps, every
thread under seccomp; console, pause, resume, stop and kill still work."""
import json
import os
import shutil
import subprocess

import pexpect
import pytest

from conftest import GUEST, HOVER
from test_hoverd import HOVERD, Daemon, definition, wait_for, write_def
from unixhttp import api

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="jails are made by hoverd as root")


class ServedDaemon(Daemon):
    """A hoverd serving only a directory of its own, where the guest's files are copied."""

    def __init__(self, extra=()):
        super().__init__()
        self.images = os.path.join(self.dir, "images")
        os.mkdir(self.images)
        for f in ("vmlinuz", "initrd.gz"):
            shutil.copy(os.path.join(GUEST, f), self.images)
        self.extra = list(extra)

    def start(self, allow=True):
        args = [HOVERD, "--socket", self.sock, "--state-dir", self.state] + self.extra
        if allow:
            args += ["--allow-dir", self.images]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "hoverd.log"), "ab"))
        assert wait_for(lambda: self.proc.poll() is None and os.path.exists(self.sock) and
                        self.ping(), 10), "hoverd did not come up"

    def guest(self):
        return {"kernel": os.path.join(self.images, "vmlinuz"),
                "initrd": os.path.join(self.images, "initrd.gz")}


@pytest.fixture
def served():
    d = ServedDaemon()
    d.start()
    yield d
    d.stop()


def test_disk_outside_allowed_dirs_is_refused_naming_the_rule(served):
    g = served.guest()
    rc, _, err = served.cli("create", write_def(served, definition(
        g, "shadow", disk=["/etc/shadow,format=raw"])))
    assert rc == 2, err
    assert (f"disk /etc/shadow: outside the directories hoverd serves (--allow-dir "
            f"{os.path.realpath(served.images)}); move the image there or start hoverd with "
            "--allow-dir DIR") in err
    st, e = api(served.sock, "POST", "/vms", body=definition(g, "shadow2",
                                                            kernel="/etc/shadow"))
    assert st == 400 and "kernel /etc/shadow: outside the directories hoverd serves" in \
        e["error"]["message"]
    # A link inside the allowed directory that leads out of it is no way around the rule.
    link = os.path.join(served.images, "innocent.raw")
    os.symlink("/etc/shadow", link)
    rc, _, err = served.cli("create", write_def(served, definition(g, "link", disk=[link])))
    assert rc == 2 and f"disk {link}: outside the directories hoverd serves" in err, err
    dotdot = os.path.join(served.images, "..", "hoverd.log")
    rc, _, err = served.cli("create", write_def(served, definition(g, "dd", initrd=dotdot)))
    assert rc == 2 and "initrd" in err and "outside the directories hoverd serves" in err, err
    # The guest's own files, inside, are fine.
    rc, _, err = served.cli("create", write_def(served, definition(g, "fine")))
    assert rc == 0, err


def test_default_allow_dir_is_state_images():
    d = ServedDaemon()
    d.start(allow=False)
    try:
        images = os.path.join(d.state, "images")
        assert os.path.isdir(images)
        rc, _, err = d.cli("create", write_def(d, definition(d.guest(), "x")))
        assert rc == 2 and f"(--allow-dir {os.path.realpath(images)})" in err, err
        for f in ("vmlinuz", "initrd.gz"):
            shutil.copy(os.path.join(d.images, f), images)
        rc, _, err = d.cli("create", write_def(d, definition(
            {"kernel": os.path.join(images, "vmlinuz"),
             "initrd": os.path.join(images, "initrd.gz")}, "x")))
        assert rc == 0, err
    finally:
        d.stop()


def test_hover_run_confine_dir(guest, tmp_path):
    p = subprocess.run([HOVER, "run", "--kernel", guest["kernel"], "--confine-dir",
                        str(tmp_path)], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 2
    assert (f"--kernel {guest['kernel']}: outside the directories this VM may use "
            f"(--confine-dir {tmp_path})") in p.stderr


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


@root_only
def test_jailed_vm(served):
    disk = os.path.join(served.images, "disk.raw")
    with open(disk, "wb") as f:
        f.truncate(8 << 20)
    rc, _, err = served.cli("create", write_def(served, definition(
        served.guest(), "jailed", disk=[disk + ",format=raw"])))
    assert rc == 0, err
    rc, _, err = served.cli("start", "jailed")
    assert rc == 0, err
    assert wait_for(lambda: "tick 2" in served.logs("jailed"), 240, 1), served.logs("jailed")
    pid = json.loads(served.cli("info", "jailed", "--json")[1])["pid"]

    st = proc_status(pid)
    uid = int(st["Uid"].split()[0])
    assert uid != 0 and all(int(u) == uid for u in st["Uid"].split()), st["Uid"]
    assert all(int(g) == uid for g in st["Gid"].split()), st["Gid"]
    assert st["NSpid"].split()[-1] == "1"  # PID 1 in a PID namespace of its own
    assert st["NoNewPrivs"].strip() == "1"
    for ns in ("mnt", "pid", "ipc", "net"):
        assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}"), ns
    for tid in os.listdir(f"/proc/{pid}/task"):
        assert proc_status(f"{pid}/task/{tid}")["Seccomp"].strip() == "2", tid
    assert sorted(os.listdir(f"/proc/{pid}/root")) == ["dev", "disk0", "initrd", "kernel"]
    assert os.stat(disk).st_uid == uid  # the writable image was handed to the VM's uid
    with open(f"/proc/{pid}/limits") as f:
        limits = f.read()
    assert [l for l in limits.splitlines() if l.startswith("Max core file size")][0].split()[4] \
        == "0"

    c = pexpect.spawn(HOVER, ["--connect", served.sock, "console", "jailed"], encoding="utf-8",
                      timeout=30)
    c.expect(r"tick \d+")
    c.sendcontrol("]")
    c.expect(pexpect.EOF)
    c.close()
    assert c.exitstatus == 0
    for verb, state in (("pause", "paused"), ("resume", "running")):
        rc, _, err = served.cli(verb, "jailed")
        assert rc == 0, err
        assert served.state_of("jailed") == state
    rc, _, err = served.cli("stop", "jailed", "--timeout", "60")
    assert rc == 0, err
    assert served.state_of("jailed") == "stopped"
    rc, _, err = served.cli("start", "jailed")
    assert rc == 0, err
    rc, _, err = served.cli("kill", "jailed")
    assert rc == 0, err
    assert wait_for(lambda: served.state_of("jailed") == "stopped", 10)


@root_only
def test_no_jail_runs_as_root():
    d = ServedDaemon(extra=["--no-jail"])
    d.start()
    try:
        rc, _, err = d.cli("create", write_def(d, definition(d.guest(), "free")))
        assert rc == 0, err
        rc, _, err = d.cli("start", "free")
        assert rc == 0, err
        pid = json.loads(d.cli("info", "free", "--json")[1])["pid"]
        assert proc_status(pid)["Uid"].split()[0] == "0"
        assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink("/proc/self/ns/mnt")
        rc, _, err = d.cli("kill", "free")
        assert rc == 0, err
    finally:
        d.stop()


@root_only
def test_jailed_vm_with_user_network(served):
    """libslirp is loaded before the jail hides its file, and /etc/resolv.conf is in the
    jail: the guest gets its lease and resolves through 10.0.2.3."""
    rc, _, err = served.cli("create", write_def(served, definition(
        served.guest(), "netjail", test="shell", net=["user"])))
    assert rc == 0, err
    rc, _, err = served.cli("start", "netjail")
    assert rc == 0, err
    c = pexpect.spawn(HOVER, ["--connect", served.sock, "console", "netjail"], encoding="utf-8",
                      timeout=240)
    try:
        c.sendline("")
        c.expect_exact("# ")
        c.sendline("hover-net-up; echo net-$?")
        c.expect(r"net-(\d+)")
        assert "lease of 10.0.2.15" in c.before, c.before
        # UDP through libslirp's DNS forwarder (ioctl FIONREAD on its socket)
        c.sendline("nslookup localhost 10.0.2.3 >/dev/null 2>&1; echo dns-$?")
        c.expect(r"dns-(\d+)", timeout=60)
        c.expect_exact("# ")
        c.sendcontrol("]")
        c.expect(pexpect.EOF)
    finally:
        c.close(force=True)
    pid = json.loads(served.cli("info", "netjail", "--json")[1])["pid"]
    assert os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net")
    assert sorted(os.listdir(f"/proc/{pid}/root")) == ["dev", "etc", "initrd", "kernel"]
    assert "seccomp" not in served.logs("netjail")
    rc, _, err = served.cli("kill", "netjail")
    assert rc == 0, err
