# SPDX-License-Identifier: GPL-2.0-or-later
"""hoverd and the `hover` verbs: a VM's life (create, start, ls, pause,
resume, kill -9 of the daemon and re-adoption, stop through the ACPI power
button, rm), every bad input, and many clients at once. The guest runs busybox
acpid (power button -> poweroff -f) and prints "tick N" every second."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BOOT_TIMEOUT, BUILD, GUEST, HOVER
from unixhttp import api

HOVERD = os.path.join(BUILD, "hoverd")
EXIT_NO_SUCH_VM = 4


def wait_for(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


class Daemon:
    def __init__(self):
        # Short paths: unix socket names must fit in 108 bytes.
        self.dir = tempfile.mkdtemp(prefix="hvd", dir="/tmp")
        self.sock = os.path.join(self.dir, "hoverd.sock")
        self.state = os.path.join(self.dir, "state")
        self.proc = None

    def start(self):
        # The guest's files, and this test's own directory, are what hoverd serves.
        self.proc = subprocess.Popen([HOVERD, "--socket", self.sock, "--state-dir", self.state,
                                      "--allow-dir", GUEST, "--allow-dir", self.dir],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "hoverd.log"), "ab"))
        assert wait_for(lambda: self.proc.poll() is None and os.path.exists(self.sock) and
                        self.ping(), 10), "hoverd did not come up"

    def ping(self):
        try:
            return api(self.sock, "GET", "/version", timeout=2)[0] == 200
        except OSError:
            return False

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def cli(self, *args, timeout=120):
        p = subprocess.run([HOVER, "--connect", self.sock] + list(args), capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    def state_of(self, name):
        st, vm = api(self.sock, "GET", "/vms/" + name)
        return vm.get("state") if st == 200 else None

    def logs(self, name):
        return self.cli("logs", name)[1]

    def stop(self):
        # Leave no VM behind: kill every VM process, then the daemon.
        try:
            st, vms = api(self.sock, "GET", "/vms", timeout=5)
            for v in vms if st == 200 else []:
                if v.get("pid"):
                    try:
                        os.kill(v["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        except OSError:
            pass
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def definition(guest, name, test="ticker", **extra):
    d = {"name": name, "kernel": guest["kernel"], "initrd": guest["initrd"],
         "cmdline": f"console=ttyS0 quiet panic=-1 hover.test={test}", "memory": "128M",
         "accel": "emu"}
    d.update(extra)
    return d


@pytest.fixture(scope="module")
def daemon(hover):
    if not os.access(HOVERD, os.X_OK):
        pytest.fail(f"{HOVERD} is missing: run `make` first")
    d = Daemon()
    d.start()
    yield d
    d.stop()


def write_def(daemon, d):
    path = os.path.join(daemon.dir, d.get("name", "x") + ".json")
    with open(path, "w") as f:
        json.dump(d, f)
    return path


# ---- one VM's life, in order ----

def test_create(daemon, guest):
    rc, out, err = daemon.cli("create", write_def(daemon, definition(guest, "tick")))
    assert rc == 0, err
    assert "created tick" in out
    assert os.path.exists(os.path.join(daemon.state, "vms", "tick.json"))
    rc, out, _ = daemon.cli("ls", "--json")
    assert rc == 0 and {"name": "tick", "state": "stopped"}.items() <= json.loads(out)[0].items()


def test_start_and_ls(daemon):
    rc, out, err = daemon.cli("start", "tick")
    assert rc == 0, err
    rc, out, _ = daemon.cli("ls", "--json")
    vms = {v["name"]: v for v in json.loads(out)}
    assert vms["tick"]["state"] == "running" and vms["tick"]["pid"] > 0
    rc, out, _ = daemon.cli("info", "tick", "--json")
    info = json.loads(out)
    assert info["uptime_s"] >= 0 and info["vcpus"] == 1 and info["memory_bytes"] == 128 << 20
    assert wait_for(lambda: "tick 2" in daemon.logs("tick"), BOOT_TIMEOUT, 1), \
        daemon.logs("tick")[-2000:]


def test_pause_stops_output_resume_continues(daemon):
    rc, out, err = daemon.cli("pause", "tick")
    assert rc == 0, err
    assert daemon.state_of("tick") == "paused"
    time.sleep(1)
    before = daemon.logs("tick").count("tick ")
    time.sleep(3)
    assert daemon.logs("tick").count("tick ") == before, "output went on while paused"
    rc, _, err = daemon.cli("pause", "tick")
    assert rc == 1 and "already paused" in err
    rc, out, err = daemon.cli("resume", "tick")
    assert rc == 0, err
    assert wait_for(lambda: daemon.logs("tick").count("tick ") >= before + 2, 30)


def test_metrics(daemon):
    st, m = api(daemon.sock, "GET", "/vms/tick/metrics")
    assert st == 200 and m["memory"]["guest_bytes"] == 128 << 20 and len(m["vcpu"]) == 1


def test_kill9_daemon_readopts(daemon):
    pid = json.loads(daemon.cli("info", "tick", "--json")[1])["pid"]
    n = daemon.logs("tick").count("tick ")
    daemon.kill9()
    time.sleep(2)                      # the VM runs on without its daemon
    os.kill(pid, 0)
    daemon.start()
    vm = json.loads(daemon.cli("info", "tick", "--json")[1])
    assert vm["state"] == "running" and vm["pid"] == pid and vm["adopted"] is True
    logs = daemon.logs("tick")
    assert logs.count("tick ") >= n + 1, "console output lost over the restart"
    assert wait_for(lambda: daemon.logs("tick").count("tick ") >= logs.count("tick ") + 2, 30)


def test_follow_logs(daemon):
    p = subprocess.Popen([HOVER, "--connect", daemon.sock, "logs", "tick", "--follow",
                          "--tail", "10"], stdout=subprocess.PIPE, text=True)
    lines = []
    t = threading.Thread(target=lambda: [lines.append(l) for l in p.stdout])
    t.start()
    assert wait_for(lambda: sum("tick" in l for l in lines) >= 3, 30)
    p.terminate()
    p.wait(5)
    t.join(5)


def test_console_attach_and_detach_leaves_vm_running(daemon):
    import pexpect

    c = pexpect.spawn(HOVER, ["--connect", daemon.sock, "console", "tick"], encoding="utf-8",
                      timeout=30)
    c.expect(r"tick \d+")  # live output reaches the attached terminal
    c.sendcontrol("]")       # Ctrl-] detaches
    c.expect(pexpect.EOF)
    c.close()
    assert c.exitstatus == 0
    assert daemon.state_of("tick") == "running"


def test_logs_tail_gives_the_last_lines(daemon):
    rc, out, err = daemon.cli("logs", "tick", "--tail", "3")
    assert rc == 0, err
    lines = out.replace("\r\n", "\n").rstrip("\n").split("\n")
    assert len(lines) == 3, out
    assert all(l.startswith("tick ") for l in lines[:2]), out


def test_stop_through_power_button(daemon):
    start = time.time()
    rc, out, err = daemon.cli("stop", "tick", "--timeout", "60")
    assert rc == 0, err
    assert time.time() - start < 30, "power button ignored: waited for the timeout"
    assert daemon.state_of("tick") == "stopped"
    assert "reboot: Power down" in daemon.logs("tick")


def test_rm(daemon):
    rc, out, err = daemon.cli("rm", "tick")
    assert rc == 0, err
    assert not os.path.exists(os.path.join(daemon.state, "vms", "tick.json"))
    rc, _, err = daemon.cli("info", "tick")
    assert rc == EXIT_NO_SUCH_VM and "no such VM: tick" in err


# ---- bad input: a clear message naming the thing; the daemon goes on ----

def test_bad_input(daemon, guest, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "b1", "kernel": ')
    rc, _, err = daemon.cli("create", str(bad))
    assert rc == 2 and "malformed JSON" in err
    st, e = api(daemon.sock, "POST", "/vms", body='{"name": "b1",')
    assert st == 400 and "malformed JSON" in e["error"]["message"]

    rc, _, err = daemon.cli("create", write_def(daemon, definition(guest, "b2", memroy="1G")))
    assert rc == 2 and '"memroy"' in err
    st, e = api(daemon.sock, "POST", "/vms", body=definition(guest, "b2", colour="red"))
    assert st == 400 and '"colour"' in e["error"]["message"]

    rc, _, err = daemon.cli("create", write_def(daemon, definition(guest, "b3",
                                                                   kernel="/nonexistent/vmlinuz")))
    assert rc == 2 and "/nonexistent/vmlinuz" in err

    rc, _, err = daemon.cli("create", write_def(daemon, definition(guest, "b4", memory="64T")))
    assert rc == 2 and "more than this host has" in err

    rc, _, err = daemon.cli("create", write_def(daemon, definition(guest, "dup")))
    assert rc == 0, err
    rc, _, err = daemon.cli("create", write_def(daemon, definition(guest, "dup")))
    assert rc == 1 and "dup already exists" in err
    st, e = api(daemon.sock, "POST", "/vms", body=definition(guest, "dup"))
    assert st == 409 and "dup" in e["error"]["message"]

    # verbs in the wrong state
    for verb in ("pause", "resume", "stop", "kill"):
        rc, _, err = daemon.cli(verb, "dup")
        assert rc == 1 and "dup is stopped" in err, (verb, err)
        st, e = api(daemon.sock, "POST", f"/vms/dup/{verb}")
        assert st == 409 and "error" in e
    rc, _, err = daemon.cli("pause", "ghost")
    assert rc == EXIT_NO_SUCH_VM and "ghost" in err
    st, e = api(daemon.sock, "POST", "/vms/ghost/start")
    assert st == 404 and "ghost" in e["error"]["message"]
    rc, _, err = daemon.cli("frobnicate")
    assert rc == 2
    rc, _, err = daemon.cli("rm", "dup")
    assert rc == 0
    assert daemon.ping()


# ---- a definition without a kernel: the firmware boots its disk ----

@pytest.mark.skipif(not os.path.exists("/usr/share/seabios/bios-256k.bin"),
                    reason="Debian's seabios package is not installed")
def test_firmware_definition(daemon, guest):
    disk = os.path.join(daemon.dir, "blank.raw")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    fw = {"name": "fw", "disk": [disk + ",format=raw"], "firmware": "bios", "boot": "disk",
          "memory": "128M", "accel": "emu"}
    rc, out, err = daemon.cli("create", write_def(daemon, fw))
    assert rc == 0, err
    rc, _, err = daemon.cli("start", "fw")
    assert rc == 0, err
    deadline = time.time() + 60
    while "Booting from Hard Disk" not in daemon.logs("fw") and time.time() < deadline:
        time.sleep(0.5)
    assert "SeaBIOS (version" in daemon.logs("fw")
    assert "Booting from Hard Disk" in daemon.logs("fw")
    assert daemon.cli("kill", "fw")[0] == 0
    assert daemon.cli("rm", "fw")[0] == 0
    st, e = api(daemon.sock, "POST", "/vms", body=definition(guest, "fw2", boot="disk"))
    assert st == 400 and "without" in e["error"]["message"]
    st, e = api(daemon.sock, "POST", "/vms", body={"name": "fw3", "memory": "128M"})
    assert st == 400 and "disk" in e["error"]["message"]


# ---- many clients at once ----

def test_concurrency(daemon, guest):
    """10 VMs running and 100 clients at once: every request answered."""
    names = [f"c{i}" for i in range(10)]
    for n in names:
        st, _ = api(daemon.sock, "POST", "/vms", body=definition(guest, n, test="ticker",
                                                                 memory="128M"))
        assert st == 201
        st, vm = api(daemon.sock, "POST", f"/vms/{n}/start")
        assert st == 200 and vm["state"] == "running", vm
    errors, lat = [], []
    per_client = 20

    def client(i):
        for k in range(per_client):
            t0 = time.time()
            try:
                if k % 2:
                    st, body = api(daemon.sock, "GET", f"/vms/{names[(i + k) % 10]}")
                    ok = st == 200 and body["state"] == "running"
                else:
                    st, body = api(daemon.sock, "GET", "/vms")
                    ok = st == 200 and len(body) >= 10
            except OSError as e:
                ok, body = False, repr(e)
            lat.append(time.time() - t0)
            if not ok:
                errors.append(body if not isinstance(body, dict) else
                              (body.get("name"), body.get("state"), body.get("last_exit")))
    threads = [threading.Thread(target=client, args=(i,)) for i in range(100)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    lat.sort()
    print(f"\n100 clients x {per_client} requests, 10 VMs running: {len(lat)} answered, "
          f"{len(errors)} failed, {len(lat) / wall:.0f} req/s, median "
          f"{lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * .99)] * 1000:.1f} ms")
    assert not errors, errors[:3]
    assert len(lat) == 100 * per_client
    rc, out, _ = daemon.cli("ls", "--json")
    assert sum(v["state"] == "running" for v in json.loads(out)) == 10
    for n in names:
        assert daemon.cli("kill", n)[0] == 0
    assert wait_for(lambda: all(daemon.state_of(n) == "stopped" for n in names), 20)
    for n in names:
        assert daemon.cli("rm", n)[0] == 0


def test_relative_paths_are_the_callers(daemon, guest):
    """hoverd runs in another directory: `hover create` makes relative paths absolute."""
    # inside a directory hoverd serves (--allow-dir), as every file of a definition must be
    tmp_path = pathlib.Path(tempfile.mkdtemp(dir=daemon.dir))
    os.symlink(guest["kernel"], tmp_path / "vmlinuz")
    os.symlink(guest["initrd"], tmp_path / "initrd.gz")
    (tmp_path / "d.img").write_bytes(bytes(1 << 20))
    d = definition(guest, "relpaths", kernel="vmlinuz", initrd="initrd.gz",
                   disk=["d.img,format=raw"])
    (tmp_path / "rel.json").write_text(json.dumps(d))
    p = subprocess.run([HOVER, "--connect", daemon.sock, "create", "rel.json"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rc, out, err = daemon.cli("info", "relpaths", "--json")
    assert rc == 0, err
    cfg = json.loads(out)["config"]
    assert cfg["kernel"] == str(tmp_path / "vmlinuz")
    assert cfg["initrd"] == str(tmp_path / "initrd.gz")
    assert cfg["disk"] == [str(tmp_path / "d.img") + ",format=raw"]
    assert daemon.cli("rm", "relpaths")[0] == 0
