# SPDX-License-Identifier: GPL-2.0-or-later
"""One action table (mgmt/vm_actions.c) serves hoverd's API, the CLI, the web
UI and the documents: GET /actions lists it; every action has its path in the
OpenAPI file, every CLI action is a `hover` verb with help and in the bash
completion, and hoverd answers each one (404 for a VM that does not exist, the
table's names for an action that does not)."""
import os
import re
import subprocess

from test_hoverd import Daemon  # noqa: F401
from conftest import HOVER, ROOT
from unixhttp import api

import pytest


@pytest.fixture(scope="module")
def d(hover):
    dm = Daemon()
    dm.start()
    yield dm
    dm.stop()


def test_one_table_everywhere(d):
    st, actions = api(d.sock, "GET", "/actions")
    assert st == 200 and len(actions) >= 8
    names = [a["name"] for a in actions]
    assert {"start", "pause", "resume", "stop", "off", "reset", "kill"} <= set(names)
    openapi = open(os.path.join(ROOT, "mgmt", "openapi.yaml")).read()
    completion = open(os.path.join(ROOT, "contrib", "bash-completion", "hover")).read()
    verbs = re.search(r'local verbs="([^"]*)"', completion).group(1).split()
    top_help = subprocess.run([HOVER, "help"], capture_output=True, text=True).stdout
    for a in actions:
        assert f"  /vms/{{name}}/{a['name']}:" in openapi, a["name"]
        assert a["states"] and a["summary"], a
        if a["cli"]:
            assert a["name"] in verbs, a["name"]
            assert re.search(rf"^  {a['name']}\s", top_help, re.M), a["name"]
            h = subprocess.run([HOVER, "help", a["name"]], capture_output=True, text=True)
            assert h.returncode == 0 and f"hover {a['name']}" in h.stdout, a["name"]
        st, e = api(d.sock, "POST", f"/vms/nosuchvm/{a['name']}")
        assert st == 404 and "no such VM" in e["error"]["message"], (a["name"], st, e)
    st, e = api(d.sock, "POST", "/vms/nosuchvm/explode")
    assert st == 404 and all(n in e["error"]["message"] for n in names), e
