"""benchlib.py -- what the Python benches share: disk usage of a directory
and a SigV4-signed raw HTTP request to coffer (so a timed request costs the
server's work, not the client's XML building or signing)."""
import hashlib
import http.client
import os
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS = os.environ["COFFER_BENCH_ACCESS"]
SECRET = os.environ["COFFER_BENCH_SECRET"]


def disk_bytes(path):
    """Bytes allocated on disk (st_blocks) by every file under path."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def signed(url, method, path, body=b"", headers=None):
    """A signed request ready to send: (path with query, headers, body)."""
    h = {"x-amz-content-sha256": hashlib.sha256(body).hexdigest()}
    h.update(headers or {})
    req = AWSRequest(method=method, url=url + path, data=body, headers=h)
    SigV4Auth(Credentials(ACCESS, SECRET), "s3", "us-east-1").add_auth(req)
    return path, dict(req.headers.items()), body


def send(url, method, path, headers, body, timeout=600):
    """Sends a prepared request on a new connection: (status, body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    out = resp.read()
    conn.close()
    return resp.status, out
