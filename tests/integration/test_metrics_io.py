# SPDX-License-Identifier: GPL-2.0-or-later
"""The per-VM API's metrics count virtio disk and network bytes (what the web
UI graphs): a guest reads 4 MiB from its disk and writes 1 MiB, and gets a
DHCP lease through user networking; GET /vm/metrics shows at least those
bytes, and nothing before."""
import os

import pexpect

from conftest import BOOT_TIMEOUT, spawn_hover, guest_sh as sh
from unixhttp import api

MiB = 1024 * 1024


def test_disk_and_net_bytes_in_metrics(hover, guest, tmp_path):
    img = tmp_path / "d.raw"
    img.write_bytes(os.urandom(8 * MiB))
    sock = str(tmp_path / "api.sock")
    child = spawn_hover(["run", "--accel", "emu", "--kernel", guest["kernel"], "--initrd",
                         guest["initrd"], "--cmdline", "console=ttyS0 quiet panic=-1",
                         "--memory", "192M", "--disk", f"{img},format=raw", "--net", "user",
                         "--api-sock", sock])
    try:
        child.expect_exact("hover-guest: shell on the console", timeout=BOOT_TIMEOUT)
        child.expect_exact("# ")
        st, m0 = api(sock, "GET", "/vm/metrics")
        assert st == 200
        assert m0["net"] == {"rx_bytes": 0, "tx_bytes": 0}, m0
        sh(child, "/sbin/hover-load-virtio")
        sh(child, "dd if=/dev/vda of=/dev/null bs=65536 count=64")
        sh(child, "dd if=/dev/zero of=/dev/vda bs=65536 count=16 seek=64 conv=fsync")
        _, out = sh(child, "hover-net-up")
        assert "lease of 10.0.2.15" in out, out
        st, m = api(sock, "GET", "/vm/metrics")
        assert st == 200
        assert m["disk"]["read_bytes"] - m0["disk"]["read_bytes"] >= 4 * MiB, m
        assert m["disk"]["written_bytes"] - m0["disk"]["written_bytes"] >= 1 * MiB, m
        # a DHCP exchange: at least a discover and a request out, an offer and an ack in
        assert m["net"]["tx_bytes"] >= 2 * 300 and m["net"]["rx_bytes"] >= 2 * 300, m
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close(force=True)
