# SPDX-License-Identifier: GPL-2.0-or-later
"""Self-checking system payloads (tests/asm/sys_*.S): each boots under
`hover run --accel emu` like a kernel and prints one PASS/FAIL line per
check, then "DONE failures=N", and powers off. The same images run under
`--accel kvm` (HOVER_PAYLOAD_ACCEL=kvm), where the hardware is the oracle."""
import os

import pytest

from conftest import BUILD, run_hover

ACCEL = os.environ.get("HOVER_PAYLOAD_ACCEL", "emu")

# Checks hover's emu engine is known to fail, each with the bug it shows.
# A listed check that passes fails the test, so the list cannot go stale.
KNOWN_EMU_BUGS = {
}

PAYLOADS = ["sys_exceptions", "sys_paging", "sys_privilege", "sys_interrupts", "sys_cpuid"]


@pytest.mark.parametrize("name", PAYLOADS)
def test_cpu_payload(hover, name):
    path = os.path.join(BUILD, "tests", "asm", name + ".bzImage")
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: run `make`")
    status, out, err = run_hover(["run", "--accel", ACCEL, "--kernel", path, "--memory", "64M"],
                                 timeout=60)
    lines = [l.strip() for l in out.splitlines()]
    passed = [l[5:] for l in lines if l.startswith("PASS ")]
    failed = [l[5:] for l in lines if l.startswith("FAIL ")]
    assert any(l.startswith("DONE failures=") for l in lines), f"{name} did not finish:\n{out}\n{err}"
    assert passed or failed, out
    known = KNOWN_EMU_BUGS if ACCEL == "emu" else {}
    unexpected = [f for f in failed if f not in known]
    stale = [k for k in known if k in passed]
    assert not unexpected, f"{name}: FAIL lines:\n" + "\n".join(unexpected)
    assert not stale, f"{name}: fixed, remove from KNOWN_EMU_BUGS: {stale}"
    assert status == 0, err
