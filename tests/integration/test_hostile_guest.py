# SPDX-License-Identifier: GPL-2.0-or-later
"""A hostile guest against hover (issue 12): what it writes to its disks must
never make hover read a host file, and what it writes to the board's ports
and MMIO ranges must not take hover down.

The disk attack is the one Cloud Hypervisor's GHSA-jmr4-g2hv-mjj6 describes:
the guest writes a qcow2 header whose backing file is a host file into sector
0 of its raw disk and reboots; a hypervisor that probes the format on reopen
then serves the host file as the guest's disk. The secret here is a file of
our own with a marker in it (standing in for /etc/shadow)."""
import os
import re
import shutil
import subprocess

import pexpect
import pytest

from conftest import BOOT_TIMEOUT, HOVER, run_hover, spawn_hover, guest_sh as sh

ACCEL = os.environ.get("HOVER_TEST_ACCEL", "emu")
CMDLINE = "console=ttyS0 quiet panic=-1"
MiB = 1024 * 1024
needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                    reason="qemu-img (qemu-utils) not installed")


def to_shell(child):
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    status, out = sh(child, "/sbin/hover-load-virtio")
    assert "failed" not in out, out


def boot(guest, disks, extra=""):
    args = ["run", "--accel", ACCEL, "--kernel", guest["kernel"], "--initrd", guest["initrd"],
            "--cmdline", (CMDLINE + " " + extra).strip(), "--memory", "256M"]
    for d in disks:
        args += ["--disk", d]
    child = spawn_hover(args)
    to_shell(child)
    return child


def evil_header(tmp_path):
    """A secret host file, and a qcow2 image (as raw bytes) naming it as backing file."""
    marker = "HOST-SECRET-%d" % os.getpid()
    secret = tmp_path / "secret.txt"
    secret.write_text((marker + "\n") * 64)
    hdr = tmp_path / "hdr.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(secret), "-F", "raw",
                    str(hdr), "1M"], check=True)
    # The guest gets it on a read-only raw disk of its own, padded to whole sectors.
    data = hdr.read_bytes()
    hdr.write_bytes(data + bytes(-len(data) % 512))
    return marker, hdr


@needs_qemu_img
def test_guest_cannot_make_its_raw_disk_a_qcow2_pointing_at_a_host_file(hover, guest, tmp_path):
    marker, hdr = evil_header(tmp_path)
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(8 * MiB))
    # The disk as a careless user gives it: no format=. It is raw, and guarded.
    child = boot(guest, [str(disk), f"{hdr},format=raw,readonly=on"])
    status, out = sh(child, "dd if=/dev/vdb of=/dev/vda bs=64k oflag=direct conv=fsync 2>&1")
    assert status != 0, "the qcow2 header reached sector 0: " + out
    # Everything but the magic is the guest's business: the rest of the header lands.
    status, out = sh(child, "dd if=/dev/vdb of=/dev/vda bs=512 skip=1 seek=1 oflag=direct "
                            "conv=fsync 2>&1")
    assert status == 0, out
    child.sendline("reboot -f")
    to_shell(child)  # the same hover process, the machine rebuilt
    status, out = sh(child, f"grep -c {marker} /dev/vda")
    assert out.strip().splitlines()[-1] == "0", out
    status, out = sh(child, "head -c 4 /dev/vda | od -An -c")
    assert "Q   F   I" not in out
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    assert disk.read_bytes()[:4] != b"QFI\xfb"


@needs_qemu_img
def test_disk_said_raw_stays_raw_across_reboots(hover, guest, tmp_path):
    """format=raw: the guest may write what it likes, and still only reads it back."""
    marker, hdr = evil_header(tmp_path)
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(8 * MiB))
    child = boot(guest, [f"{disk},format=raw", f"{hdr},format=raw,readonly=on"])
    status, out = sh(child, "dd if=/dev/vdb of=/dev/vda bs=64k oflag=direct conv=fsync 2>&1")
    assert status == 0, out
    child.sendline("reboot -f")
    to_shell(child)
    status, out = sh(child, f"grep -c {marker} /dev/vda")
    assert out.strip().splitlines()[-1] == "0", out
    status, out = sh(child, "cmp /dev/vdb /dev/vda && echo SAME")
    assert "SAME" in out  # its own bytes, the header, not the host file
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    assert disk.read_bytes()[:4] == b"QFI\xfb"
    # Now the disk holds a qcow2 header: without format= hover refuses to guess.
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", str(disk)])
    assert rc == 2
    assert "disk.raw" in err and "never guesses" in err and "format=" in err
    # Read-only it is probed as qcow2, and its backing file is not followed unless asked.
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", f"{disk},readonly=on"])
    assert rc == 2
    assert "backing=on" in err and "disk.raw" in err


@needs_qemu_img
def test_backing_file_needs_backing_on(hover, guest, tmp_path):
    base = tmp_path / "base.raw"
    base.write_bytes(b"base!" * 1000 + bytes(MiB))
    top = tmp_path / "top.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw",
                    str(top)], check=True)
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", f"{top},format=qcow2"])
    assert rc == 2
    assert "top.qcow2" in err and "backing=on" in err
    child = boot(guest, [f"{top},format=qcow2,backing=on"])
    status, out = sh(child, "head -c 10 /dev/vda")
    assert "base!base!" in out
    child.sendline("poweroff -f")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0
    # A self-backed image: a clear error, not a crash.
    loop = tmp_path / "loop.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "loop.qcow2",
                    "-F", "qcow2", str(loop), "1M"], check=True)
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"],
                              "--disk", f"{loop},readonly=on,backing=on"])
    assert rc == 2
    assert "loops" in err


def test_fifo_as_disk_or_kernel_is_refused_not_waited_on(hover, guest, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rc, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                              "--initrd", guest["initrd"], "--disk", str(fifo)], timeout=20)
    assert rc == 2
    assert "fifo" in err and "not a regular file" in err


# ---- the board's ports and MMIO ranges, written at random from inside the guest ----

# Ports left alone so the test keeps its console and the guest its power:
# COM1, the i8042 command port (0xFE resets), the ACPI PM block (S5, reset
# register) and 0xCF9. Everything else from 0 to 0xFFFF gets random bytes.
PORT_RANGES = [(0x0, 0x64), (0x65, 0x3F8), (0x400, 0x600), (0x610, 0xCF9), (0xCFA, 0x10000)]
MMIO_RANGES = [(0xFEC00000, 0x1000),   # IOAPIC
               (0xFEE00000, 0x1000),   # local APIC
               (0xE0000000, 0x100000),  # PCI ECAM, bus 0
               (0xC0000000, 0x100000)]  # PCI BARs (virtio devices)


def quit_hover(child):
    """Ctrl-A x is handled by hover itself, whatever state the guest is in."""
    assert child.isalive(), "hover died under the guest's writes"
    child.send("\x01x")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_port_and_mmio_writes_from_the_guest(hover, guest, tmp_path, seed):
    import random
    rnd = random.Random(seed)
    ports = tmp_path / "ports.bin"
    ports.write_bytes(bytes(rnd.getrandbits(8) for _ in range(0x10000)))
    lines = []
    for _ in range(1500):
        base, size = rnd.choice(MMIO_RANGES)
        width = rnd.choice([8, 16, 32])
        addr = base + (rnd.randrange(size) & ~(width // 8 - 1))
        lines.append("devmem 0x%x %d 0x%x 2>/dev/null" % (addr, width, rnd.getrandbits(width)))
    # First a read that shows /dev/mem reaches the devices (iomem=relaxed), then the writes.
    script = ("devmem 0xFEC00000 32 >/dev/null && echo MMIO-OPEN\n" + "\n".join(lines) +
              "\necho MMIO-DONE\nexit\n").encode()
    mmio = tmp_path / "mmio.sh"
    mmio.write_bytes(script + b"\n" * (-len(script) % 512))
    child = boot(guest, [f"{ports},format=raw,readonly=on", f"{mmio},format=raw,readonly=on"],
                 extra="iomem=relaxed")
    # Ports first: one dd per range, a byte per port.
    cmd = "; ".join(f"dd if=/dev/vda of=/dev/port bs=1 skip={lo} seek={lo} count={hi - lo} "
                    f"2>/dev/null" for lo, hi in PORT_RANGES)
    child.sendline(cmd + "; echo PORTS-DONE")
    try:
        child.expect_exact("PORTS-DONE", timeout=BOOT_TIMEOUT)
        # The guest may still be alive: the MMIO ranges too (a script on vdb).
        child.sendline("head -c %d /dev/vdb > /tmp/m.sh; sh /tmp/m.sh" % len(script))
        child.expect_exact("MMIO-OPEN", timeout=BOOT_TIMEOUT)
        child.expect_exact("MMIO-DONE", timeout=BOOT_TIMEOUT)
    except pexpect.TIMEOUT:
        pass  # the guest broke itself (masked its timer, lost its disks): its business
    except pexpect.EOF:
        # hover ended: only as a machine ends (guest reset or fault), never by a signal.
        child.close()
        assert child.signalstatus is None and child.exitstatus in (0, 1), \
            (child.exitstatus, child.signalstatus)
        return
    quit_hover(child)


# ---- malicious virtqueues, programmed by hand from inside the guest ----

# An ash script that programs the virtio-rng device, once the test took it
# from Linux's driver (unbind), enabling it on the PCI bus through sysfs and
# setting up its queue with devmem: rings in the first MiB of guest
# RAM, which Linux 6.1 reserves and /dev/mem may map. Each attack resets the
# device, sets a queue up, writes one bad chain and kicks; the device must
# say NEEDS_RESET (status bit 0x40). At the end a well-formed request must
# still be served, so the device recovered through a reset.
VQ_SCRIPT = r"""
for d in /sys/bus/pci/devices/*; do
  [ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1044 ] && D=$d
done
BAR=$(head -n 1 $D/resource | cut -d' ' -f1)
C=$((BAR)); NOTE=$((BAR + 0x3000))
printf '\006\000' | dd of=$D/config bs=1 seek=4 count=2 conv=notrunc 2>/dev/null
zero() { a=$(($1)); e=$(($2)); while [ $a -lt $e ]; do devmem $a 32 0; a=$((a + 4)); done; }
setup() {
  devmem $((C+0x14)) 8 0; devmem $((C+0x14)) 8 3
  devmem $((C+0x08)) 32 0; devmem $((C+0x0C)) 32 0x10000000
  devmem $((C+0x08)) 32 1; devmem $((C+0x0C)) 32 1
  devmem $((C+0x14)) 8 11
  devmem $((C+0x16)) 16 0; devmem $((C+0x18)) 16 8
  devmem $((C+0x20)) 32 ${1:-0x90000}; devmem $((C+0x24)) 32 0
  devmem $((C+0x28)) 32 0x91000; devmem $((C+0x2C)) 32 0
  devmem $((C+0x30)) 32 0x92000; devmem $((C+0x34)) 32 0
  zero 0x90000 0x90100; zero 0x91000 0x91020; zero 0x92000 0x92080
  devmem $((C+0x1C)) 16 1; devmem $((C+0x14)) 8 15
}
desc() { b=$((0x90000 + $1 * 16)); devmem $b 32 $2; devmem $((b+4)) 32 $3
         devmem $((b+8)) 32 $4; devmem $((b+12)) 16 $5; devmem $((b+14)) 16 $6; }
kick() { devmem 0x91004 16 ${2:-0}; devmem 0x91002 16 $1; devmem $NOTE 16 0; sleep 0.2; }
show() { echo "VQ $1 status=$(devmem $((C+0x14)) 8) used=$(devmem 0x92002 16)"; }
setup; desc 0 0x93000 0 16 3 0; kick 1; show loop
setup; desc 0 0xFFFFF000 0xFFFF 4096 2 0; kick 1; show outside-ram
setup; desc 0 0x93000 0 0xFFFFFFFF 2 0; kick 1; show absurd-length
setup; desc 0 0x93000 0 16 3 100; kick 1; show next-out-of-range
setup; desc 0 0x93000 0 16 2 0; kick 0xFFFF; show avail-runs-ahead
setup; desc 0 0x93000 0 16 2 0; kick 1 9; show head-out-of-range
setup; desc 0 0x90000 0 16 4 0; kick 1; show nested-indirect
setup; desc 0 0x90010 0 32 4 0; desc 1 0x93000 0 16 3 0; kick 1; show indirect-loop
setup 0xFEC00000; echo "VQ mmio-enable=$(devmem $((C+0x1C)) 16)"
setup; zero 0x93000 0x93040; desc 0 0x93000 0 64 2 0; kick 1; show valid
echo "VQ data=$(devmem 0x93000 32)$(devmem 0x93004 32)"
echo VQ-DONE
"""


def test_malicious_descriptor_chains_from_the_guest(hover, guest, tmp_path):
    script = tmp_path / "vq.sh"
    data = VQ_SCRIPT.encode()
    script.write_bytes(data + b"\n" * (-len(data) % 512))
    child = spawn_hover(["run", "--accel", ACCEL, "--kernel", guest["kernel"],
                         "--initrd", guest["initrd"], "--memory", "256M",
                         "--cmdline", CMDLINE + " iomem=relaxed",
                         "--disk", f"{script},format=raw,readonly=on"])
    child.expect_exact("hover-guest: shell on the console")
    child.expect_exact("# ")
    # The virtio drivers for the disk; then the rng device is taken from its driver.
    sh(child, "/sbin/hover-load-virtio")
    status, out = sh(child, "for d in /sys/bus/pci/devices/*; do [ $(cat $d/device) = 0x1044 ] "
                            "&& echo -n ${d##*/} > /sys/bus/pci/drivers/virtio-pci/unbind; "
                            "done; ls /sys/bus/pci/drivers/virtio-pci/")
    assert status == 0, out
    child.sendline("head -c %d /dev/vda > /tmp/vq.sh; sh /tmp/vq.sh" % len(data))
    child.expect_exact("VQ-DONE", timeout=BOOT_TIMEOUT)
    results = dict(re.findall(r"VQ (\S+) status=(0x[0-9A-Fa-f]+)", child.before))
    for attack in ["loop", "outside-ram", "absurd-length", "next-out-of-range",
                   "avail-runs-ahead", "head-out-of-range", "nested-indirect", "indirect-loop"]:
        assert attack in results, child.before
        assert int(results[attack], 16) & 0x40, f"{attack}: device did not ask for a reset"
    # A descriptor table on the IOAPIC's page: queue_enable does not take.
    assert re.search(r"VQ mmio-enable=0x0*0\b", child.before), child.before
    assert not int(results["valid"], 16) & 0x40
    assert re.search(r"VQ valid status=0x[0-9A-Fa-f]+ used=0x0*1\b", child.before), child.before
    data_word = re.search(r"VQ data=(0x[0-9A-Fa-f]+)(0x[0-9A-Fa-f]+)", child.before)
    assert data_word and (int(data_word.group(1), 16) or int(data_word.group(2), 16))
    quit_hover(child)


def test_a_hostile_vm_leaves_its_neighbour_under_hoverd_running(hover, guest):
    """Two VMs under one hoverd: one floods the board's ports from inside; the other keeps
    ticking, hoverd keeps answering, and the hostile one ends only as a machine ends."""
    from test_hoverd import Daemon, definition, write_def

    d = Daemon()
    d.start()
    try:
        for defn in (definition(guest, "victim"),
                     definition(guest, "attacker", cmdline="console=ttyS0 quiet panic=-1")):
            rc, out, err = d.cli("create", write_def(d, defn))
            assert rc == 0, err
            rc, out, err = d.cli("start", defn["name"])
            assert rc == 0, err
        c = pexpect.spawn(HOVER, ["--connect", d.sock, "console", "attacker"], encoding="utf-8",
                          timeout=BOOT_TIMEOUT)
        c.expect_exact("hover-guest: shell on the console")
        c.sendline("")
        c.expect_exact("# ")
        cmd = "; ".join(f"dd if=/dev/urandom of=/dev/port bs=1 seek={lo} count={hi - lo} "
                        f"2>/dev/null" for lo, hi in PORT_RANGES)
        c.sendline(cmd + "; echo FLOOD-DONE")
        try:
            c.expect_exact("FLOOD-DONE", timeout=BOOT_TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass  # the attacker may have broken its own machine
        c.sendcontrol("]")
        c.expect(pexpect.EOF, timeout=30)
        c.close()
        ticks = d.logs("victim").count("tick ")
        assert wait_for_ticks(d, ticks + 2, 60), "the neighbour stopped ticking"
        assert d.state_of("victim") == "running"
        assert d.ping(), "hoverd stopped answering"
        assert d.state_of("attacker") in ("running", "stopped", "failed")
    finally:
        d.stop()


def wait_for_ticks(d, n, timeout):
    import time
    end = time.time() + timeout
    while time.time() < end:
        if d.logs("victim").count("tick ") >= n:
            return True
        time.sleep(1)
    return False
