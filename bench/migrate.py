#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Live migration: hover --accel emu beside QEMU TCG, on this machine (loopback TCP).

Both boot the same kernel, initramfs and memory size (512 MiB by default),
and the guest runs a loop of shell builtins that prints a line every few
milliseconds. For the "busy" case it also copies 64 MiB of random bytes in
its RAM over and over (cp in the initramfs). Then the guest migrates to a
second process of the same kind listening on 127.0.0.1:

  hover  hover run --incoming tcp:127.0.0.1:P  and  POST /vm/migrate on the source
         (max_downtime_ms 50, no bandwidth limit), followed with GET /vm/migrate
  QEMU   qemu ... -incoming tcp:127.0.0.1:P  and QMP migrate-set-parameters
         (downtime-limit 50, max-bandwidth unlimited) + migrate, followed with
         query-migrate

Figures: total time (from the request until the source reports completion),
bytes sent (hover: its counter; QEMU: ram.transferred), and the downtime the
guest's output shows: the largest gap between consecutive lines of the loop,
source's lines then destination's, timed as they reach the host. (The guest's
own clocks cannot show it: both hypervisors stop guest time while the VM is
paused and in flight, so an in-guest timestamp loop sees no gap at all.) A
migration that has not completed after --give-up seconds counts as not
converged. Runs alternate between the two; medians; ratios are hover/QEMU.
"""
import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
from snapshot import CMDLINE, QMP, Guest  # noqa: E402
from unixhttp import api  # noqa: E402

LOOP = b"while :; do echo MARK; i=0; while [ $i -lt 20 ]; do i=$((i+1)); done; done &\n"
BUSY = (b"dd if=/dev/urandom of=/tmp/src bs=1M count=64 2>/dev/null; echo FILLED; "
        b"(while :; do cp /tmp/src /tmp/x; done) &\n")


class Lines:
    """Arrival times of the loop's lines on one process's console, from a thread."""
    def __init__(self, g):
        self.g, self.times, self.stop = g, [], False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        buf = self.g.buf
        fd = self.g.p.stdout.fileno()
        while not self.stop:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.monotonic()
            buf += chunk
            n = buf.count(b"MARK")
            self.times += [now] * n
            buf = buf[buf.rfind(b"MARK") + 4:] if n else buf[-8:]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def boot(g, busy):
    g.wait_for(b"hover-guest: shell on the console", 120)
    time.sleep(0.5)
    if busy:
        g.send(BUSY)
        g.wait_for(b"FILLED", 300)
    g.send(LOOP)
    g.wait_for(b"MARK", 60)
    g.wait_for(b"MARK", 60)
    time.sleep(1)


def largest_gap(src, dst, t0):
    times = [t for t in src.times if t >= t0] + dst.times
    return max((b - a for a, b in zip(times, times[1:])), default=float("inf"))


def hover_round(a, d, busy):
    sock = os.path.join(d, "src.sock")
    port = free_port()
    src = Guest([a.hover, "run", "--accel", "emu", "--quiet", "--kernel", a.kernel,
                 "--initrd", a.initrd, "--cmdline", CMDLINE, "--memory", a.memory,
                 "--api-sock", sock])
    dst = Guest([a.hover, "run", "--accel", "emu", "--quiet", "--incoming",
                 f"tcp:127.0.0.1:{port}"])
    try:
        boot(src, busy)
        sl, dl = Lines(src), Lines(dst)
        t0 = time.monotonic()
        st, rep = api(sock, "POST", "/vm/migrate", {"to": f"tcp:127.0.0.1:{port}",
                                                     "max_downtime_ms": 50})
        assert st == 202, rep
        last = rep
        while time.monotonic() - t0 < a.give_up:
            try:
                st, rep = api(sock, "GET", "/vm/migrate", timeout=10)
                last = rep
                if rep["state"] != "active":
                    break
            except OSError:
                break  # the source exited: migrated
            time.sleep(0.01)
        src.p.wait(30)
        total = time.monotonic() - t0
        assert src.p.returncode == 0 and last.get("state") != "failed", last
        time.sleep(1.5)
        sl.stop = dl.stop = True
        gap = largest_gap(sl, dl, t0)
        return total, last["bytes_sent"], gap, last["rounds"], 0
    finally:
        src.kill()
        dst.kill()


def qemu_argv(a, qmp, *more):
    return ["qemu-system-x86_64", "-M", a.qemu_machine, "-accel", "tcg", "-m", a.memory,
            "-kernel", a.kernel, "-initrd", a.initrd, "-append", CMDLINE, "-nographic",
            "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-qmp", f"unix:{qmp},server=on,wait=off"] + list(more)


def qemu_round(a, d, busy):
    port = free_port()
    sq, dq = os.path.join(d, "sq.sock"), os.path.join(d, "dq.sock")
    for p in (sq, dq):
        if os.path.exists(p):
            os.unlink(p)
    src = Guest(qemu_argv(a, sq))
    dst = Guest(qemu_argv(a, dq, "-incoming", f"tcp:127.0.0.1:{port}"))
    try:
        boot(src, busy)
        q = QMP(sq)
        r = q.cmd("migrate-set-parameters", **{"downtime-limit": 50,
                                                 "max-bandwidth": 1 << 40})
        assert "return" in r, r
        sl, dl = Lines(src), Lines(dst)
        t0 = time.monotonic()
        r = q.cmd("migrate", uri=f"tcp:127.0.0.1:{port}")
        assert "return" in r, r
        info = {}
        while time.monotonic() - t0 < a.give_up:
            info = q.cmd("query-migrate")["return"]
            if info.get("status") in ("completed", "failed"):
                break
            time.sleep(0.01)
        total = time.monotonic() - t0
        if info.get("status") != "completed":
            q.cmd("migrate_cancel")
            raise AssertionError(f"QEMU: {info.get('status')} after {total:.0f} s (not "
                                 "converged)")
        time.sleep(1.5)
        sl.stop = dl.stop = True
        gap = largest_gap(sl, dl, t0)
        return (total, info["ram"]["transferred"], gap, info["ram"].get("dirty-sync-count", 0),
                info.get("downtime", 0) / 1000)
    finally:
        src.kill()
        dst.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--guest", default="build/guest")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--memory", default="512M")
    ap.add_argument("--give-up", type=float, default=60)
    ap.add_argument("--qemu-machine", default="microvm,rtc=on")
    a = ap.parse_args()
    a.hover = os.path.join(a.build, "hover")
    a.kernel = os.path.join(a.guest, "vmlinuz")
    a.initrd = os.path.join(a.guest, "initrd.gz")
    d = tempfile.mkdtemp(prefix="hover-bench-mig-")
    res = {}
    try:
        for busy in (False, True):
            case = "busy" if busy else "idle"
            for i in range(a.runs):
                for name, fn in (("hover", hover_round), ("qemu", qemu_round)):
                    r = None
                    for attempt in range(2):
                        try:
                            r = fn(a, d, busy)
                            break
                        except (TimeoutError, EOFError, AssertionError) as e:
                            print(f"{case} run {i + 1}/{a.runs} {name:5s}: try {attempt + 1} "
                                  f"failed ({e!r})", flush=True)
                            # QEMU's microvm stalls in its clock calibration on a loaded
                            # host (no PIT/HPET reference): then the PC machine stands in.
                            if name == "qemu" and isinstance(e, TimeoutError):
                                a.qemu_machine = "pc"
                                print("  (QEMU: -M pc from now on)", flush=True)
                    if r is None:
                        continue
                    res.setdefault((case, name), []).append(r)
                    # QEMU reports its pause; hover's source has exited by then (its log has it).
                    own = f" (QEMU's own downtime figure {r[4] * 1000:.0f} ms)" if name == "qemu" else ""
                    print(f"{case} run {i + 1}/{a.runs} {name:5s}: total {r[0] * 1000:7.0f} ms, "
                          f"sent {r[1] / 2**20:6.1f} MiB, largest gap in the guest's output "
                          f"{r[2] * 1000:6.0f} ms{own}, rounds/syncs {r[3]}", flush=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print()
    print(f"live migration of a {a.memory} guest over loopback TCP, medians of {a.runs} "
          f"(hover --accel emu vs QEMU TCG -M {a.qemu_machine}, same kernel and initrd):")
    ok = True
    for case in ("idle", "busy"):
        med = {}
        for name in ("hover", "qemu"):
            rs = res.get((case, name))
            if not rs:
                print(f"  {case} {name:5s}: no completed run")
                ok = False
                continue
            med[name] = [statistics.median(x[k] for x in rs) for k in range(3)]
            print(f"  {case} {name:5s}: total {med[name][0] * 1000:8.0f} ms   sent "
                  f"{med[name][1] / 2**20:7.1f} MiB   downtime seen {med[name][2] * 1000:6.0f} ms")
        if len(med) == 2:
            print(f"  {case} ratio hover/QEMU: total {med['hover'][0] / med['qemu'][0]:.2f}x, "
                  f"bytes {med['hover'][1] / med['qemu'][1]:.2f}x, "
                  f"downtime {med['hover'][2] / med['qemu'][2]:.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
