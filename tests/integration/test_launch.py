# SPDX-License-Identifier: GPL-2.0-or-later
"""`hover image` + `hover launch` + `hover shell`: from a cached Debian 12 image
(debian-12-minimal, built by `make test-image`; built here if missing) to a
shell in the VM through hoverd (jailed as root, as by default): uname says
Linux, the hostname and the disk size are the ones asked for, a --port
forward reaches the guest, stop, and rm removes the VM's overlay. Bad input:
an unknown image, a bad or too small --disk-size, a name already taken.

The VM boots the image's systemd under the emu engine: a minute or more on an
idle machine, several on a loaded one (HOVER_LAUNCH_TIMEOUT, default 900 s)."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, HOVER, spawn_hover
from unixhttp import api

HOVERD = os.path.join(BUILD, "hoverd")
IMAGE = "debian-12-minimal"
# The image cache `make test-image` fills; kept between runs.
CACHE = os.environ.get("HOVER_TEST_IMAGES", os.path.join(BUILD, "images"))
LAUNCH_TIMEOUT = int(os.environ.get("HOVER_LAUNCH_TIMEOUT", "900"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def banner(port, timeout=5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64)
    except OSError:
        return b""


class Env:
    """A hoverd of our own, and an image store whose base/ is the cache."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hvl", dir="/tmp")
        self.store = os.path.join(self.dir, "images")
        os.makedirs(self.store)
        os.symlink(os.path.join(os.path.abspath(CACHE), "base"), os.path.join(self.store, "base"))
        self.sock = os.path.join(self.dir, "hoverd.sock")
        self.env = dict(os.environ, HOVER_IMAGE_DIR=self.store, HOVER_CONNECT=self.sock)
        self.proc = subprocess.Popen(
            [HOVERD, "--socket", self.sock, "--state-dir", os.path.join(self.dir, "state"),
             "--allow-dir", self.store, "--allow-dir", os.path.abspath(CACHE)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "hoverd.log"), "ab"))
        end = time.time() + 10
        while time.time() < end and not os.path.exists(self.sock):
            time.sleep(0.1)
        assert os.path.exists(self.sock), "hoverd did not come up"

    def cli(self, *args, timeout=120):
        p = subprocess.run([HOVER] + list(args), capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL, env=self.env)
        return p.returncode, p.stdout, p.stderr

    def close(self):
        try:
            st, vms = api(self.sock, "GET", "/vms", timeout=5)
            for v in vms if st == 200 else []:
                if v.get("pid"):
                    try:
                        os.kill(v["pid"], 9)
                    except ProcessLookupError:
                        pass
        except OSError:
            pass
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def env():
    # The base image: cached by `make test-image`; a build takes minutes, not a skip.
    os.makedirs(CACHE, exist_ok=True)
    p = subprocess.run([HOVER, "image", "build", IMAGE], capture_output=True, text=True,
                       timeout=3600, env=dict(os.environ, HOVER_IMAGE_DIR=CACHE))
    assert p.returncode == 0, p.stdout + p.stderr
    e = Env()
    yield e
    e.close()


def test_image_ls(env):
    rc, out, err = env.cli("image", "ls", "--json")
    assert rc == 0, err
    imgs = {i["name"]: i for i in json.loads(out)}
    assert IMAGE in imgs
    assert imgs[IMAGE]["built"].startswith("20")
    d = imgs[IMAGE]["dir"]
    for f in ("disk.qcow2", "vmlinuz", "initrd.img"):
        assert os.path.getsize(os.path.join(d, f)) > 0
    chk = subprocess.run(["qemu-img", "check", os.path.join(d, "disk.qcow2")],
                         capture_output=True, text=True)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    # GRUB's boot.img is in the MBR (its messages, the partition table's 0x55AA) and
    # partition 1 starts at 1 MiB, bootable.
    mbr = os.path.join(env.dir, "mbr")
    subprocess.run(["qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=512", "count=1",
                    "if=" + os.path.join(d, "disk.qcow2"), "of=" + mbr], check=True)
    sec = open(mbr, "rb").read()
    assert b"GRUB" in sec[:440] and sec[510:512] == b"\x55\xaa"
    assert sec[446] == 0x80 and int.from_bytes(sec[454:458], "little") == 2048
    rc, out, err = env.cli("image", "build", IMAGE)
    assert rc == 0 and out.startswith("cached"), out + err


def test_bad_input(env):
    rc, out, err = env.cli("launch", "no-such-image", "--name", "x")
    assert rc == 2 and "unknown image no-such-image" in err and "hover image build" in err
    rc, out, err = env.cli("launch", IMAGE, "--name", "x", "--disk-size", "10Q")
    assert rc == 2 and "--disk-size 10Q: not a size" in err
    rc, out, err = env.cli("launch", IMAGE, "--name", "x", "--disk-size", "1G")
    assert rc == 2 and "smaller than the image" in err
    rc, out, err = env.cli("launch", IMAGE, "--name", "x", "--port", "80")
    assert rc == 2 and "--port 80" in err
    rc, out, err = env.cli("launch", IMAGE)
    assert rc == 2 and "--name" in err
    rc, out, err = env.cli("image", "build", "debian-99")
    assert rc == 2 and "unknown image" in err
    rc, out, err = env.cli("shell", "nothing-here")
    assert rc == 4, out + err
    rc, out, err = env.cli("image", "rm", "debian-99")
    assert rc == 2 and "no such image" in err
    # Nothing was left behind by the refused launches.
    assert not os.path.exists(os.path.join(env.store, "vms", "x"))


def test_launch_shell_stop_rm(env):
    fwd = free_port()
    rc, out, err = env.cli("launch", IMAGE, "--name", "lt1", "--memory", "1G",
                           "--disk-size", "3G", "--port", f"{fwd}:22", "--json")
    assert rc == 0, out + err
    rec = json.loads(out)
    vmdir = rec["dir"]
    assert os.path.exists(os.path.join(vmdir, "disk.qcow2"))
    info = subprocess.run(["qemu-img", "info", "-U", "--output=json",
                           os.path.join(vmdir, "disk.qcow2")], capture_output=True, text=True)
    assert json.loads(info.stdout)["virtual-size"] == 3 << 30
    # The name is taken now, and the image is in use.
    rc2, out2, err2 = env.cli("launch", IMAGE, "--name", "lt1")
    assert rc2 == 2 and "exists already" in err2
    rc2, out2, err2 = env.cli("image", "rm", IMAGE)
    assert rc2 == 1 and "(lt1); hover rm them first" in err2

    rc, out, err = env.cli("shell", "lt1", "--timeout", str(LAUNCH_TIMEOUT), "--",
                           "uname -a; hostname; cat /sys/block/vda/size; id -un",
                           timeout=LAUNCH_TIMEOUT + 60)
    if rc != 0:
        print(env.cli("logs", "lt1")[1][-3000:])
    assert rc == 0, out + err
    lines = out.split("\n")
    assert lines[0].startswith("Linux lt1 "), out
    assert lines[1] == "lt1"
    assert int(lines[2]) * 512 == 3 << 30       # the overlay's size, as the guest sees it
    assert lines[3] == rec["user"]
    assert "waiting for lt1's SSH server" in err
    # --port: the extra forward reaches the guest (its sshd answers there too).
    assert banner(fwd).startswith(b"SSH-")
    # A second shell finds SSH up at once and runs its command.
    rc, out, err = env.cli("shell", "lt1", "--", "echo", "hello-from-guest")
    assert rc == 0 and out.strip() == "hello-from-guest", out + err
    rc, out, err = env.cli("shell", "lt1", "--json")
    assert rc == 0 and json.loads(out)["port"] == rec["ssh_port"]

    rc, out, err = env.cli("stop", "lt1", "--timeout", "60", timeout=200)
    assert rc == 0, out + err
    st, vm = api(env.sock, "GET", "/vms/lt1")
    assert vm["state"] != "running"
    rc, out, err = env.cli("shell", "lt1", "--", "true")
    assert rc == 1 and "hover start lt1" in err
    rc, out, err = env.cli("rm", "lt1")
    assert rc == 0, out + err
    assert not os.path.exists(vmdir)
    assert api(env.sock, "GET", "/vms/lt1")[0] == 404


def test_firmware_boots_the_image_to_its_login_prompt(env, tmp_path):
    """Issue 15's disk boot: no --kernel, so SeaBIOS boots the image's MBR,
    GRUB (on the serial line) boots Debian's kernel, systemd starts a getty
    on ttyS0. An overlay keeps the cached base as built."""
    rc, out, err = env.cli("image", "ls", "--json")
    base = os.path.join({i["name"]: i for i in json.loads(out)}[IMAGE]["dir"], "disk.qcow2")
    ov = str(tmp_path / "ov.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, ov],
                   check=True)
    child = spawn_hover(["run", "--accel", "emu", "--memory", "1G",
                         "--disk", ov + ",format=qcow2,backing=on"], timeout=600)
    child.logfile_read = None  # systemd's boot is long; the expectations say what matters
    try:
        child.expect_exact("SeaBIOS (version")
        child.expect_exact("Booting from Hard Disk")
        child.expect_exact("GNU GRUB")
        child.expect_exact("Booting `Debian GNU/Linux 12")
        child.expect(r"login: ")
    finally:
        child.terminate(force=True)
