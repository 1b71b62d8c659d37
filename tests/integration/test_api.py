# SPDX-License-Identifier: GPL-2.0-or-later
"""The per-VM JSON API of `hover run --api-sock`, and `hover run --config`."""
import json
import os
import subprocess
import tempfile
import time

import pytest

from conftest import BOOT_TIMEOUT, HOVER, run_hover
from unixhttp import api


def wait_for(pred, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


@pytest.fixture(scope="module")
def ticker_vm(hover, guest):
    d = tempfile.mkdtemp(prefix="hvapi", dir="/tmp")
    sock = os.path.join(d, "api.sock")
    log = open(os.path.join(d, "console.log"), "wb")
    img = os.path.join(d, "d.img")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    p = subprocess.Popen([HOVER, "run", "--accel", "emu", "--kernel", guest["kernel"],
                          "--initrd", guest["initrd"], "--memory", "256M", "--name", "apivm",
                          "--disk", img + ",format=raw,readonly=on",
                          "--cmdline", "console=ttyS0 quiet panic=-1 hover.test=ticker",
                          "--api-sock", sock], stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT)
    logpath = os.path.join(d, "console.log")

    def ticks():
        with open(logpath, "rb") as f:
            return f.read().count(b"tick ")
    assert wait_for(lambda: os.path.exists(sock), 10), "the API socket never appeared"
    yield {"sock": sock, "proc": p, "ticks": ticks, "log": logpath, "disk": img}
    if p.poll() is None:
        p.kill()
        p.wait()


def test_vm_object(ticker_vm):
    st, vm = api(ticker_vm["sock"], "GET", "/vm")
    assert st == 200
    assert vm["name"] == "apivm" and vm["state"] == "running"
    assert vm["vcpus"] == 1 and vm["memory_bytes"] == 256 << 20
    assert vm["uptime_s"] >= 0 and vm["pid"] == ticker_vm["proc"].pid
    assert vm["config"]["memory"] == "256M"
    assert vm["config"]["disk"] == [ticker_vm["disk"] + ",format=raw,readonly=on"]
    # the same object at hoverd's path
    st, same = api(ticker_vm["sock"], "GET", "/vms/apivm")
    assert st == 200 and same["name"] == "apivm"
    st, lst = api(ticker_vm["sock"], "GET", "/vms")
    assert st == 200 and [v["name"] for v in lst] == ["apivm"]


def test_openapi_served(ticker_vm):
    st, doc = api(ticker_vm["sock"], "GET", "/openapi.yaml")
    assert st == 200 and b"openapi: 3" in doc and b"/vms/{name}/pause" in doc


def test_bad_requests(ticker_vm):
    s = ticker_vm["sock"]
    st, e = api(s, "POST", "/vm/pause", body="{not json")
    assert st == 400 and "malformed JSON" in e["error"]["message"]
    st, e = api(s, "GET", "/nowhere")
    assert st == 404 and "no such path" in e["error"]["message"]
    st, e = api(s, "GET", "/vms/other")
    assert st == 404 and "other" in e["error"]["message"]
    st, e = api(s, "POST", "/vm/resume")
    assert st == 409 and "not paused" in e["error"]["message"]
    st, e = api(s, "POST", "/vm/frobnicate")
    assert st == 404 and "frobnicate" in e["error"]["message"]


def test_pause_resume_metrics(ticker_vm):
    assert wait_for(lambda: ticker_vm["ticks"]() >= 2, BOOT_TIMEOUT, 1), "no ticks"
    st, vm = api(ticker_vm["sock"], "POST", "/vm/pause")
    assert st == 200 and vm["state"] == "paused"
    st, e = api(ticker_vm["sock"], "POST", "/vm/pause")
    assert st == 409
    time.sleep(1)
    st, m = api(ticker_vm["sock"], "GET", "/vm/metrics")
    assert st == 200 and m["vcpus_parked"] == 1 and m["state"] == "paused"
    before = ticker_vm["ticks"]()
    time.sleep(3)
    assert ticker_vm["ticks"]() == before, "console output went on while paused"
    cpu0 = m["vcpu"][0]["cpu_time_s"]
    st, m = api(ticker_vm["sock"], "GET", "/vm/metrics")
    assert m["vcpu"][0]["cpu_time_s"] - cpu0 < 0.05, "a paused vCPU used CPU"
    st, vm = api(ticker_vm["sock"], "POST", "/vm/resume")
    assert st == 200 and vm["state"] == "running"
    assert wait_for(lambda: ticker_vm["ticks"]() >= before + 2, 30), "no ticks after resume"
    assert m["memory"]["guest_bytes"] == 256 << 20 and m["memory"]["rss_bytes"] > 0


def test_power_button_shutdown(ticker_vm):
    st, r = api(ticker_vm["sock"], "POST", "/vm/shutdown")
    assert st == 202 and r["power_button_enabled"] is True
    assert ticker_vm["proc"].wait(60) == 0
    with open(ticker_vm["log"], "rb") as f:
        assert b"guest powered off" in f.read()


def test_config_file(hover, guest, tmp_path):
    good = tmp_path / "vm.json"
    good.write_text(json.dumps({"name": "cfg", "kernel": guest["kernel"], "initrd": guest["initrd"],
                                "cmdline": "console=ttyS0 quiet panic=-1 hover.test=poweroff",
                                "memory": "128M", "accel": "emu"}))
    rc, out, err = run_hover(["run", "--config", str(good), "--no-reboot"], timeout=BOOT_TIMEOUT)
    assert rc == 0, err
    assert "hover-guest: powering off" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "kernel": "k", "memroy": "1G"}')
    rc, out, err = run_hover(["run", "--config", str(bad)])
    assert rc == 2 and '"memroy"' in err
    bad.write_text('{"name": "x", "kernel": ')
    rc, out, err = run_hover(["run", "--config", str(bad)])
    assert rc == 2 and "malformed JSON" in err and "line 1" in err
