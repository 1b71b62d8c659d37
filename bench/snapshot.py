#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Snapshot save and restore-to-running: hover --accel emu beside QEMU TCG.

Both boot the same kernel, initramfs and memory size (512 MiB by default);
the guest runs a shell loop that prints a line every 20 ms. Then:

  save     hover: POST /vm/snapshot {"file": F, "stop": true} on the VM's API
           socket, timed by the client until the answer (the file is fsync'ed);
           QEMU:  QMP migrate "exec:cat > F" while running, timed until
           query-migrate says completed (QEMU's own save-to-file).
  restore  from process start until the guest's loop prints its next line:
           hover run --restore F  /  qemu ... -incoming "exec:cat F".

Runs alternate between the two; figures are medians; ratios are hover/QEMU
(below 1: hover is faster). The snapshot files go to a temporary directory
on the same filesystem for both (override with --dir).
"""
import argparse
import json
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from unixhttp import api  # noqa: E402

CMDLINE = "console=ttyS0 quiet panic=-1"
# Shell builtins only (no fork+exec per line): the next line comes within a few ms of the
# guest running again, whatever the engine's speed at exec.
LOOP = b"while :; do echo MARK; i=0; while [ $i -lt 100 ]; do i=$((i+1)); done; done\n"


class Guest:
    """A process with the guest's serial console on its stdin/stdout."""
    def __init__(self, argv):
        self.start = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.buf = b""

    def wait_for(self, what, timeout):
        end = time.monotonic() + timeout
        while what not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(what)
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError(what)
                self.buf += chunk
        t = time.monotonic()
        self.buf = self.buf[self.buf.index(what) + len(what):]
        return t

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def start_loop(g):
    g.wait_for(b"hover-guest: shell on the console", 90)
    time.sleep(0.5)
    g.send(LOOP)
    g.wait_for(b"MARK", 60)
    g.wait_for(b"MARK", 60)


class QMP:
    def __init__(self, path, timeout=60):
        end = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self.f = self.s.makefile("rwb")
        self.f.readline()
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r or "error" in r:
                return r


def hover_round(a, d):
    snap = os.path.join(d, "hover.snap")
    sock = os.path.join(d, "api.sock")
    g = Guest([a.hover, "run", "--accel", "emu", "--quiet", "--kernel", a.kernel,
               "--initrd", a.initrd, "--cmdline", CMDLINE, "--memory", a.memory,
               "--api-sock", sock, "--snapshot-dir", d])
    try:
        start_loop(g)
        t0 = time.monotonic()
        st, rep = api(sock, "POST", "/vm/snapshot", {"file": snap, "stop": True}, timeout=300)
        save = time.monotonic() - t0
        assert st == 200, rep
        g.p.wait(60)
    finally:
        g.kill()
    size = os.stat(snap).st_blocks * 512
    g = Guest([a.hover, "run", "--accel", "emu", "--quiet", "--restore", snap])
    try:
        t = g.wait_for(b"MARK", 120)
        restore = t - g.start
    finally:
        g.kill()
    os.unlink(snap)
    return save, restore, size


def qemu_argv(a, qmp, *more):
    return ["qemu-system-x86_64", "-M", "microvm,rtc=on", "-accel", "tcg", "-m", a.memory,
            "-kernel", a.kernel, "-initrd", a.initrd, "-append", CMDLINE, "-nographic",
            "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-qmp", f"unix:{qmp},server=on,wait=off"] + list(more)


def qemu_round(a, d):
    snap = os.path.join(d, "qemu.snap")
    qmp = os.path.join(d, "qmp.sock")
    g = Guest(qemu_argv(a, qmp))
    try:
        start_loop(g)
        q = QMP(qmp)
        t0 = time.monotonic()
        r = q.cmd("migrate", uri=f"exec:cat > {snap}")
        assert "return" in r, r
        while q.cmd("query-migrate")["return"].get("status") not in ("completed", "failed"):
            time.sleep(0.002)
        save = time.monotonic() - t0
    finally:
        g.kill()
    size = os.stat(snap).st_blocks * 512
    os.unlink(qmp) if os.path.exists(qmp) else None
    g = Guest(qemu_argv(a, qmp, "-incoming", f"exec:cat {snap}"))
    try:
        t = g.wait_for(b"MARK", 120)
        restore = t - g.start
    finally:
        g.kill()
    os.unlink(snap)
    return save, restore, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    a.hover = os.path.join(a.build, "hover")
    a.kernel = os.path.join(a.guest, "vmlinuz")
    a.initrd = os.path.join(a.guest, "initrd.gz")
    d = tempfile.mkdtemp(prefix="hover-bench-snap-", dir=a.dir)
    res = {"hover": [], "qemu": []}
    try:
        for i in range(a.runs):
            for name, fn in (("hover", hover_round), ("qemu", qemu_round)):
                # QEMU microvm sometimes never boots on a loaded machine (its clock
                # calibration stalls): a run gets three tries before it counts as failed.
                for attempt in range(3):
                    try:
                        r = fn(a, d)
                        break
                    except (TimeoutError, EOFError, AssertionError) as e:
                        print(f"run {i + 1}/{a.runs} {name:5s}: try {attempt + 1} failed "
                              f"({e!r})", flush=True)
                        r = None
                if r is None:
                    continue
                res[name].append(r)
                print(f"run {i + 1}/{a.runs} {name:5s}: save {r[0] * 1000:7.1f} ms, "
                      f"restore to running {r[1] * 1000:7.1f} ms, file {r[2] / 2**20:.1f} MiB",
                      flush=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print()
    print(f"snapshot of an idle-ish {a.memory} guest, medians of {a.runs} "
          "(hover --accel emu vs QEMU TCG, same kernel and initrd):")
    med = {}
    for name in ("hover", "qemu"):
        if res[name]:
            med[name] = [statistics.median(x[k] for x in res[name]) for k in range(3)]
            print(f"  {name:5s}: save {med[name][0] * 1000:8.1f} ms   restore to running "
                  f"{med[name][1] * 1000:8.1f} ms   file on disk {med[name][2] / 2**20:6.1f} MiB")
    if len(med) == 2:
        print(f"  ratio hover/QEMU: save {med['hover'][0] / med['qemu'][0]:.2f}x, "
              f"restore {med['hover'][1] / med['qemu'][1]:.2f}x, "
              f"file {med['hover'][2] / med['qemu'][2]:.2f}x")
    return 0 if len(med) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
