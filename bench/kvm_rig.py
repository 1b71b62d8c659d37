# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by bench/kvm_boot.py and bench/kvm_memory.py: pack the nested rig's
outer initramfs with QEMU beside hover (scripts/kvm-rig.sh pack --qemu), boot
it in a benchmark mode, and return the "kvm-rig: ..." lines it printed."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RIG = os.path.join(ROOT, "scripts", "kvm-rig.sh")


def run_rig(build, guest, mode, append="", timeout=1800):
    """Returns (lines starting with 'kvm-rig: ', the whole console log)."""
    cpio = os.path.join(build, "kvm-rig", "outer-bench.cpio")
    os.makedirs(os.path.dirname(cpio), exist_ok=True)
    subprocess.run([RIG, "pack", "--qemu", build, guest, cpio], check=True)
    env = dict(os.environ, RIG_APPEND=append)
    # The console goes to a file as it comes, so a slow run can be watched.
    path = os.path.join(build, "kvm-rig", "outer-%s.log" % mode)
    with open(path, "wb") as f:
        subprocess.run([RIG, "run", cpio, mode, str(timeout), guest], env=env,
                       stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                       timeout=timeout + 30)
    with open(path, "rb") as f:
        log = f.read().decode("utf-8", "replace").replace("\r", "")
    lines = [l for l in log.splitlines() if l.startswith("kvm-rig: ")]
    if "kvm-rig: /dev/kvm ready" not in lines or "kvm-rig: done" not in lines:
        sys.exit("kvm rig failed (log in %s):\n%s" % (os.path.join(build, "kvm-rig"),
                                                       log[-3000:]))
    return lines, log
