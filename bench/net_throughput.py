#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""TCP throughput through user-mode networking: hover --accel emu beside QEMU TCG.

Both run the same kernel, initramfs and memory with a virtio-net PCI card on
libslirp user networking (hover: --net user,hostfwd=...; QEMU: `-M
microvm,rtc=on,pcie=on -accel tcg -device virtio-net-pci -netdev
user,hostfwd=...`), and the guest takes its address by DHCP.

  guest->host  the host downloads a SIZE-byte file from busybox httpd in the
               guest (from its RAM disk, with sendfile) through the hostfwd
               port; timed on the host, request to last byte.
  host->guest  the guest's busybox wget downloads SIZE bytes from an HTTP
               server on the host's 127.0.0.1 (10.0.2.2 in the guest) to
               /dev/null; timed on the host, command to completion.

(busybox nc is not used: it moves 1 KiB per system call, which measures the
guest's syscall path rather than the network.)

Both VMs stay up for the whole run and the transfers alternate between them,
so the noise of a shared machine hits both alike; figures are medians in
MB/s (10^6 bytes), and the ratio hover/QEMU should be >= 1.
"""
import argparse
import http.server
import os
import re
import socket
import statistics
import sys
import threading
import time
import urllib.request

import pexpect

CMDLINE = "console=ttyS0 quiet panic=-1"
PROMPT = "/ # "
GUEST_PORT = 5001


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Guest:
    def __init__(self, name, argv, hostfwd_port, timeout, boot_timeout, attempts=3):
        self.name = name
        self.hport = hostfwd_port
        for attempt in range(attempts):
            self.child = pexpect.spawn(argv[0], argv[1:], timeout=timeout, encoding="utf-8",
                                       codec_errors="replace", dimensions=(40, 200))
            try:
                self.child.expect_exact(PROMPT, timeout=boot_timeout)
                break
            except pexpect.TIMEOUT:
                # QEMU TCG on this host sometimes stalls before printing anything.
                print(f"{name}: no shell after {boot_timeout:.0f} s (attempt {attempt + 1}), "
                      "restarting it", flush=True)
                self.child.close(force=True)
        else:
            raise RuntimeError(f"{name}: did not boot in {attempts} attempts")
        self.sh("hover-net-up", 120)
        self.sh("cat /sys/class/net/eth0/mtu")

    def sh(self, cmd, timeout=60):
        self.child.sendline(cmd)
        self.child.expect_exact(PROMPT, timeout=timeout)
        return self.child.before

    def close(self):
        self.child.sendline("poweroff -f")
        try:
            self.child.expect(pexpect.EOF, timeout=30)
        except pexpect.TIMEOUT:
            pass
        self.child.close(force=True)


def guest_to_host(g, size, timeout):
    """The host downloads `size` bytes from busybox httpd in the guest (hostfwd); MB/s."""
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{g.hport}/blob", timeout=timeout) as r:
        got = 0
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            got += len(b)
    t = time.monotonic() - t0
    return got / t / 1e6 if got == size else None


def host_to_guest(g, size, timeout, port):
    """The guest downloads `size` bytes from a server on the host's loopback; MB/s."""
    # The marker is computed so that the echoed command line does not match it.
    g.child.sendline(f"wget -q -O /dev/null http://10.0.2.2:{port}/blob && echo WGET-$((6*7))")
    g.child.expect_exact("\n", timeout=timeout)  # the command's echo
    t0 = time.monotonic()
    i = g.child.expect_exact(["WGET-42", PROMPT], timeout=timeout)
    t = time.monotonic() - t0
    if i == 0:
        g.child.expect_exact(PROMPT, timeout=timeout)
    return size / t / 1e6 if i == 0 else None


class BlobHandler(http.server.BaseHTTPRequestHandler):
    size = 0
    chunk = b"\0" * (1 << 20)

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        left = self.size
        while left:
            n = min(left, len(self.chunk))
            self.wfile.write(self.chunk[:n])
            left -= n

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=16, help="MiB per transfer")
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--boot-timeout", type=float, default=120)
    a = ap.parse_args()
    size = a.size << 20
    kernel = os.path.join(a.guest, "vmlinuz")
    initrd = os.path.join(a.guest, "initrd.gz")
    hp_hover, hp_qemu = free_port(), free_port()
    hover = [os.path.join(a.build, "hover"), "run", "--accel", "emu", "--quiet",
             "--kernel", kernel, "--initrd", initrd, "--cmdline", CMDLINE, "--memory", a.memory,
             "--net", f"user,hostfwd=tcp:127.0.0.1:{hp_hover}-:{GUEST_PORT}"]
    qemu = ["qemu-system-x86_64", "-M", "microvm,rtc=on,pcie=on", "-accel", "tcg",
            "-m", a.memory, "-kernel", kernel, "-initrd", initrd, "-append", CMDLINE,
            "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{hp_qemu}-:{GUEST_PORT}",
            "-device", "virtio-net-pci,netdev=n0"]
    BlobHandler.size = size
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BlobHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    guests = {}
    try:
        for name, argv, hp in (("hover", hover, hp_hover), ("qemu", qemu, hp_qemu)):
            guests[name] = Guest(name, argv, hp, a.timeout, a.boot_timeout)
            mtu = re.search(r"\n(\d+)\s", guests[name].sh("cat /sys/class/net/eth0/mtu"))
            guests[name].sh(f"mkdir -p /www && dd if=/dev/zero of=/www/blob bs=1048576 "
                            f"count={a.size} 2>/dev/null && httpd -p {GUEST_PORT} -h /www")
            print(f"{name}: up, guest MTU {mtu.group(1) if mtu else '?'}", flush=True)
        res = {(n, d): [] for n in guests for d in ("up", "down")}
        for i in range(a.runs):
            for d in ("up", "down"):
                for name, g in guests.items():
                    if d == "up":
                        r = guest_to_host(g, size, a.timeout)
                    else:
                        r = host_to_guest(g, size, a.timeout, srv.server_address[1])
                    res[(name, d)].append(r)
                    print(f"run {i + 1}/{a.runs} {name:5s} "
                          f"{'guest->host' if d == 'up' else 'host->guest'}: "
                          + (f"{r:.2f} MB/s" if r else "failed"), flush=True)
    finally:
        for g in guests.values():
            g.close()
        srv.shutdown()
    print()
    print(f"TCP through user-mode networking, {a.size} MiB per transfer, median of {a.runs} "
          f"(same kernel, initrd, {a.memory}):")
    ok = True
    for d, label in (("up", "guest->host"), ("down", "host->guest")):
        med = {}
        for name in ("hover", "qemu"):
            v = res.get((name, d), [])
            med[name] = statistics.median(v) if v and all(v) else None
        line = f"  {label}: hover " + (f"{med['hover']:.2f} MB/s" if med["hover"] else "failed")
        line += "   qemu " + (f"{med['qemu']:.2f} MB/s" if med["qemu"] else "failed")
        if med["hover"] and med["qemu"]:
            line += f"   ratio hover/qemu {med['hover'] / med['qemu']:.2f}x (goal: >= 1x)"
        else:
            ok = False
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
