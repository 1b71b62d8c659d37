# SPDX-License-Identifier: GPL-2.0-or-later
"""Small freestanding guests (tests/asm, wrapped into bzImages by
scripts/mkbzimage.py) booted by `hover run` like any kernel."""
import os

import pytest

from conftest import BUILD, run_hover


def payload(name):
    path = os.path.join(BUILD, "tests", "asm", name + ".bzImage")
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: run `make`")
    return path


def test_hello_payload_sees_boot_params_and_powers_off(hover):
    status, out, err = run_hover(["run", "--accel", "emu", "--kernel", payload("hello"),
                                  "--cmdline", "hello-cmdline-42", "--memory", "64M"])
    assert "hello from payload" in out
    assert "cmdline: hello-cmdline-42" in out
    assert status == 0, err


def test_triple_fault_is_reported_with_registers(hover):
    status, out, err = run_hover(["run", "--accel", "emu", "--kernel", payload("triple_fault"),
                                  "--memory", "64M"])
    assert "triple_fault: loading an empty IDT" in out
    assert status == 1
    lines = [l for l in err.splitlines() if "triple fault" in l]
    assert len(lines) == 1, err
    # One line: the cause and the registers.
    assert "rip=" in lines[0] and "cr3=" in lines[0] and "rsp=" in lines[0]


def test_unimplemented_opcode_raises_ud_in_guest_and_is_logged_once(hover):
    status, out, err = run_hover(["run", "--accel", "emu", "--debug", "--kernel",
                                  payload("unimplemented"), "--memory", "64M"])
    # The guest's own #UD handler ran for both executions...
    assert "ud count=2" in out
    assert status == 0, err
    # ...and --debug named the instruction once, with its bytes and RIP.
    logged = [l for l in err.splitlines() if "unimplemented instruction" in l]
    assert len(logged) == 1, err
    assert "f2 0f 38 f1 c1" in logged[0] and "rip=0x" in logged[0]


def test_unimplemented_opcode_is_silent_without_debug(hover):
    status, out, err = run_hover(["run", "--accel", "emu", "--kernel",
                                  payload("unimplemented"), "--memory", "64M"])
    assert "ud count=2" in out and status == 0
    assert "unimplemented" not in err
