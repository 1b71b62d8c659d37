# SPDX-License-Identifier: GPL-2.0-or-later
"""HTTP/1.1 over a unix socket (hover's API), for the tests."""
import http.client
import json
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def api(sock, method, path, body=None, timeout=30):
    """One request; returns (status, parsed JSON or raw bytes)."""
    c = UnixHTTPConnection(sock, timeout)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    c.request(method, path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    ctype = r.getheader("Content-Type", "")
    c.close()
    if ctype.startswith("application/json"):
        return r.status, json.loads(data)
    return r.status, data
