#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Frame updates over VNC: hover --accel emu beside QEMU TCG (-vga std -vnc).

Both boot the same kernel and initramfs (256 MiB), load the bochs DRM
driver (a 1024x768x32 framebuffer console on the same PCI 1234:1111
adapter), and the guest redraws the whole 1024x768 screen in a loop:
`dd` of a 3 MiB frame of random bytes, then of zeros, into /dev/fb0, FRAMES
times. Measured, per engine:

  guest   seconds for the guest to draw FRAMES frames, with no viewer and
          with one VNC viewer (the RFB client of tests/integration, Raw
          encoding, always asking for the next update) reading throughout;
          the loss is the slowdown the viewer causes
  viewer  bytes and framebuffer updates per second the viewer received (it
          reads and counts the pixels without keeping them, to take as
          little of the shared CPU as it can)

Runs alternate between the two; figures are medians; ratios are hover/QEMU.
"""
import argparse
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from rfb_client import RFBClient  # noqa: E402

CMDLINE = "console=ttyS0 quiet panic=-1"


class Guest:
    """A process with the guest's serial console on its stdin/stdout."""
    def __init__(self, argv):
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
        i = self.buf.index(what) + len(what)
        self.buf = self.buf[i:]

    def sh(self, cmd, timeout=600):
        self.p.stdin.write(cmd.encode() + b"; echo DONE-$?-MARK\n")
        self.p.stdin.flush()
        self.wait_for(b"DONE-0-MARK", timeout)

    def stop(self):
        self.p.kill()
        self.p.wait()


def start(engine, args, port):
    if engine == "hover":
        argv = [os.path.join(args.build, "hover"), "run", "--accel", "emu", "--kernel",
                args.kernel, "--initrd", args.initrd, "--cmdline", CMDLINE, "--memory", "256M",
                "--display", "vnc=127.0.0.1:%d" % port]
    else:
        argv = ["qemu-system-x86_64", "-accel", "tcg", "-m", "256M", "-vga", "std",
                "-vnc", "127.0.0.1:%d" % (port - 5900), "-display", "none", "-serial", "stdio",
                "-monitor", "none", "-nodefaults", "-no-user-config", "-kernel", args.kernel,
                "-initrd", args.initrd, "-append", CMDLINE]
    g = Guest(argv)
    g.wait_for(b"# ", 300)
    g.sh("hover-load-hw bochs >/dev/null 2>&1; sleep 2; test -e /dev/fb0")
    g.sh("dd if=/dev/urandom of=/tmp/a bs=1024 count=3072 2>/dev/null; "
         "dd if=/dev/zero of=/tmp/b bs=1024 count=3072 2>/dev/null")
    return g


def draw(g, frames):
    t0 = time.monotonic()
    g.sh("i=0; while [ $i -lt %d ]; do dd if=/tmp/a of=/dev/fb0 bs=3145728 2>/dev/null; "
         "dd if=/tmp/b of=/dev/fb0 bs=3145728 2>/dev/null; i=$((i+2)); done" % frames)
    return time.monotonic() - t0


def viewer_thread(v, stop):
    v.request(False)
    v.sock.settimeout(0.5)
    while not stop.is_set():
        try:
            if v.read_update() == 0:
                v.request(True)
        except socket.timeout:
            v.request(True)


def one_run(engine, args, port):
    g = start(engine, args, port)
    try:
        draw(g, 2)  # warm up: page cache, the fbdev shadow buffer
        alone = draw(g, args.frames)
        v = RFBClient(("127.0.0.1", port), keep=False)
        stop = threading.Event()
        t = threading.Thread(target=viewer_thread, args=(v, stop))
        t.start()
        time.sleep(1)
        b0, u0 = v.bytes, v.updates  # only what arrives while the guest draws counts
        viewed = draw(g, args.frames)
        b1, u1 = v.bytes, v.updates
        stop.set()
        t.join()
        v.close()
    finally:
        g.stop()
    return {"alone_s": alone, "viewed_s": viewed, "loss": viewed / alone - 1,
            "bytes_per_s": (b1 - b0) / viewed, "updates_per_s": (u1 - u0) / viewed,
            "mb_per_frame": (b1 - b0) / args.frames / 1e6, "frames": args.frames}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "3")))
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--port", type=int, default=5977)
    args = ap.parse_args()
    args.kernel = os.path.join(args.guest, "vmlinuz")
    args.initrd = os.path.join(args.guest, "initrd.gz")
    engines = ["hover"] + (["qemu"] if shutil.which("qemu-system-x86_64") else [])
    if len(engines) == 1:
        print("qemu-system-x86_64 not found (apt-get install qemu-system-x86): hover only")
    res = {e: [] for e in engines}
    for r in range(args.runs):
        for e in engines:
            x = one_run(e, args, args.port + 1 + (r % 2))
            res[e].append(x)
            print("run %d %-5s draw %d frames: %.2f s alone, %.2f s viewed (loss %+.0f%%); "
                  "viewer %.1f MB/s, %.1f updates/s" % (r + 1, e, x["frames"], x["alone_s"],
                  x["viewed_s"], 100 * x["loss"], x["bytes_per_s"] / 1e6, x["updates_per_s"]),
                  flush=True)
    med = {e: {k: statistics.median(x[k] for x in res[e])
               for k in ("alone_s", "viewed_s", "loss", "bytes_per_s", "updates_per_s",
                         "mb_per_frame")}
           for e in engines}
    print("\nmedians of %d runs, %d full-screen 1024x768x32 frames per draw" %
          (args.runs, args.frames))
    print("%-28s %12s %12s %8s" % ("", "hover emu", "QEMU TCG", "ratio"))
    rows = [("guest draw, no viewer (s)", "alone_s", 1), ("guest draw, viewer (s)", "viewed_s", 1),
            ("guest loss with viewer (%)", "loss", 100), ("viewer MB/s", "bytes_per_s", 1e-6),
            ("viewer updates/s", "updates_per_s", 1),
            ("viewer MB per frame drawn", "mb_per_frame", 1)]
    for name, k, scale in rows:
        h = med["hover"][k] * scale
        if "qemu" in med:
            q = med["qemu"][k] * scale
            ratio = "%.2f" % (h / q) if q and k != "loss" else "-"
            print("%-28s %12.2f %12.2f %8s" % (name, h, q, ratio))
        else:
            print("%-28s %12.2f" % (name, h))
    print("(a full 1024x768x32 frame in Raw encoding is 3.15 MB; a viewer asking again only "
          "after each update may see fewer than every frame)")


if __name__ == "__main__":
    main()
