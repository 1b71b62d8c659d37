#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`hover launch` to a working `hover shell`, emu beside QEMU TCG doing the same.

The base image (debian-12-minimal unless --image) is cached (built first if
missing). hover's flow: `hover launch IMAGE --name N` through a hoverd of its
own, then `hover shell N -- true` until it succeeds; the clock runs from the
launch to the command's success. QEMU's flow, as Multipass-like tooling would
drive it: a qcow2 overlay on the same base (qemu-img create -b), an SSH key,
the same NoCloud seed (mkfs.vfat + mcopy), then qemu-system-x86_64 -accel tcg
-M pc booting the image's kernel and initramfs with the overlay and seed as
virtio disks and user networking forwarding a port to SSH; the clock runs
until `ssh ... true` succeeds. Same memory, one vCPU each. Runs alternate;
medians; the ratio is hover / QEMU (below 1: hover is faster).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-o", "BatchMode=yes"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hover_run(hover, hoverd_env, image, name, memory, timeout):
    t0 = time.monotonic()
    p = subprocess.run([hover, "launch", image, "--name", name, "--memory", memory,
                        "--accel", "emu", "--json"],
                       capture_output=True, text=True, env=hoverd_env, timeout=120)
    if p.returncode:
        sys.exit(f"hover launch failed: {p.stderr}")
    p = subprocess.run([hover, "shell", name, "--timeout", str(timeout), "--", "true"],
                       capture_output=True, text=True, env=hoverd_env, timeout=timeout + 60)
    took = time.monotonic() - t0
    subprocess.run([hover, "kill", name], capture_output=True, env=hoverd_env)
    for _ in range(50):
        if subprocess.run([hover, "rm", name], capture_output=True, env=hoverd_env).returncode == 0:
            break
        time.sleep(0.2)
    return took if p.returncode == 0 else None


def qemu_run(img_dir, meta, work, memory, timeout):
    t0 = time.monotonic()
    ov = os.path.join(work, "ov.qcow2")
    key = os.path.join(work, "key")
    seed = os.path.join(work, "seed.img")
    for f in (ov, key, key + ".pub", seed):
        if os.path.exists(f):
            os.unlink(f)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    os.path.join(img_dir, "disk.qcow2"), ov, "10G"], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(os.path.join(work, "meta-data"), "w") as f:
        f.write(f"instance-id: q-{time.time()}\nlocal-hostname: qvm\n")
    with open(os.path.join(work, "user-data"), "w") as f:
        f.write("#cloud-config\nusers:\n  - name: root\n    ssh_authorized_keys:\n"
                f"      - \"{open(key + '.pub').read().strip()}\"\n")
    subprocess.run(["mkfs.vfat", "-C", "-n", "CIDATA", seed, "1024"], check=True,
                   capture_output=True)
    subprocess.run(["mcopy", "-i", seed, os.path.join(work, "meta-data"),
                    os.path.join(work, "user-data"), "::"], check=True)
    port = free_port()
    q = subprocess.Popen(
        ["qemu-system-x86_64", "-accel", "tcg", "-M", "pc", "-m", memory, "-smp", "1",
         "-nographic", "-no-reboot", "-monitor", "none", "-serial",
         "file:" + os.path.join(work, "console.log"),
         "-kernel", os.path.join(img_dir, meta["kernel"]),
         "-initrd", os.path.join(img_dir, meta["initrd"]), "-append", meta["cmdline"],
         "-drive", f"file={ov},format=qcow2,if=virtio",
         "-drive", f"file={seed},format=raw,if=virtio,readonly=on",
         "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{port}-:22",
         "-device", "virtio-net-pci,netdev=n0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = None
    try:
        while time.monotonic() - t0 < timeout and q.poll() is None:
            r = subprocess.run(["ssh", "-i", key, "-p", str(port)] + SSH_OPTS +
                               ["root@127.0.0.1", "true"], capture_output=True, timeout=60)
            if r.returncode == 0:
                took = time.monotonic() - t0
                break
            time.sleep(0.5)
    finally:
        q.kill()
        q.wait()
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--image", default="debian-12-minimal")
    ap.add_argument("--images", default=None, help="image cache (default BUILD/images)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--timeout", type=float, default=1200)
    a = ap.parse_args()
    hover = os.path.abspath(os.path.join(a.build, "hover"))
    hoverd = os.path.abspath(os.path.join(a.build, "hoverd"))
    cache = os.path.abspath(a.images or os.path.join(a.build, "images"))
    os.makedirs(cache, exist_ok=True)
    subprocess.run([hover, "image", "build", a.image], check=True,
                   env=dict(os.environ, HOVER_IMAGE_DIR=cache))
    ls = subprocess.run([hover, "image", "ls", "--json"], capture_output=True, text=True,
                        env=dict(os.environ, HOVER_IMAGE_DIR=cache), check=True)
    img_dir = [i for i in json.loads(ls.stdout) if i["name"] == a.image][0]["dir"]
    meta = json.load(open(os.path.join(img_dir, "image.json")))

    work = tempfile.mkdtemp(prefix="hvb", dir="/tmp")
    store = os.path.join(work, "images")
    os.makedirs(store)
    os.symlink(os.path.join(cache, "base"), os.path.join(store, "base"))
    sock = os.path.join(work, "hoverd.sock")
    env = dict(os.environ, HOVER_IMAGE_DIR=store, HOVER_CONNECT=sock)
    d = subprocess.Popen([hoverd, "--socket", sock, "--state-dir", os.path.join(work, "state"),
                          "--allow-dir", store, "--allow-dir", cache],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(work, "hoverd.log"), "ab"))
    hv, qm = [], []
    try:
        for _ in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        for i in range(a.runs):
            h = hover_run(hover, env, a.image, f"bench{i}", a.memory, a.timeout)
            q = qemu_run(img_dir, meta, work, a.memory, a.timeout)
            print(f"run {i + 1}: hover emu {h and round(h, 1)} s, qemu tcg {q and round(q, 1)} s",
                  flush=True)
            if h:
                hv.append(h)
            if q:
                qm.append(q)
    finally:
        d.terminate()
        d.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    if not hv or not qm:
        sys.exit("no complete run on one side")
    mh, mq = statistics.median(hv), statistics.median(qm)
    print(f"launch to a working shell ({a.image}, {a.memory}, 1 vCPU), median of "
          f"{len(hv)}/{len(qm)}: hover emu {mh:.1f} s, qemu tcg {mq:.1f} s, "
          f"ratio hover/qemu {mh / mq:.2f}")


if __name__ == "__main__":
    main()
