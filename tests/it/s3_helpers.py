"""s3_helpers.py -- what the boto3 integration tests share: clients, test
data, checksums computed here (botocore needs the CRT for CRC32C and
CRC64NVME), raw signed requests, S3 error assertions, the parser of access
log lines and the runner that prints the RESULT line.
"""
import base64
import datetime
import hashlib
import json
import hmac
import http.client
import re
import sys
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zlib

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from server import ACCESS, SECRET


def make_client(endpoint, access=ACCESS, secret=SECRET, **cfg):
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=access,
        aws_secret_access_key=secret, region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      signature_version="s3v4", **cfg))


def data(n, seed=1):
    out = bytearray()
    block = hashlib.sha256(b"%d" % seed).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def _crc_table(poly):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_T32C, _T64 = _crc_table(0x82F63B78), _crc_table(0x9A6C9329AC4BC9B5)


def crc_digest(body, alg):
    """The raw (big-endian) CRC32, CRC32C or CRC64NVME of body."""
    if alg == "CRC32":
        return zlib.crc32(body).to_bytes(4, "big")
    table, mask, n = (_T32C, 0xFFFFFFFF, 4) if alg == "CRC32C" else (_T64, (1 << 64) - 1, 8)
    c = mask
    for b in body:
        c = (c >> 8) ^ table[(c ^ b) & 0xFF]
    return (c ^ mask).to_bytes(n, "big")


def crc_b64(body, alg):
    """base64 of CRC32, CRC32C or CRC64NVME of body."""
    return base64.b64encode(crc_digest(body, alg)).decode()


def code_of(exc):
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def signed_request(endpoint, method, path, body=b"", headers=None, access=ACCESS, secret=SECRET):
    """A SigV4-signed request with exactly these bytes as its body: (status, body)."""
    req = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers or {})
    S3SigV4Auth(Credentials(access, secret), "s3", "us-east-1").add_auth(req)
    prepared = req.prepare()
    raw = urllib.request.Request(prepared.url, data=body, method=method,
                                 headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(raw, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def _hmac(key, msg):
    return hmac.new(key, msg.encode() if isinstance(msg, str) else msg, hashlib.sha256).digest()


def signed_chunked_put(port, bucket, key, body, chunk=65536, tamper=False, sigs=None,
                       encoding="aws-chunked"):
    """PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, signed here chunk by chunk: (status, body).
    sigs: a list that collects the seed signature and every chunk signature; encoding: the
    Content-Encoding sent (aws-chunked, maybe with the object's own coding)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = "%s/us-east-1/s3/aws4_request" % day
    host = "127.0.0.1:%d" % port
    chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] + [b""]
    framed_len = sum(len("%x;chunk-signature=" % len(c)) + 64 + 2 + len(c) + 2 for c in chunks)
    headers = {"host": host, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
               "x-amz-date": amz_date, "x-amz-decoded-content-length": str(len(body)),
               "content-encoding": encoding, "content-length": str(framed_len)}
    signed = sorted(headers)
    canon = "\n".join(["PUT", "/%s/%s" % (bucket, key), "",
                       "".join("%s:%s\n" % (h, headers[h]) for h in signed), ";".join(signed),
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    k = _hmac(_hmac(_hmac(_hmac(("AWS4" + SECRET).encode(), day), "us-east-1"), "s3"), "aws4_request")
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, hashlib.sha256(canon.encode()).hexdigest())
    prev = _hmac(k, sts).hex()
    headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                                % (ACCESS, scope, ";".join(signed), prev))
    out = b""
    empty = hashlib.sha256(b"").hexdigest()
    for i, c in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, empty,
                         hashlib.sha256(c).hexdigest()])
        prev = _hmac(k, sts).hex()
        data = c
        if tamper and i == 1:
            data = bytes([c[0] ^ 1]) + c[1:]
        out += b"%x;chunk-signature=%s\r\n" % (len(c), prev.encode()) + data + b"\r\n"
    if sigs is not None:
        sigs += [headers["authorization"].split("Signature=")[1]] + re.findall(
            r"chunk-signature=([0-9a-f]{64})", out.decode("latin-1"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("PUT", "/%s/%s" % (bucket, key), body=out, headers=headers)
    resp = conn.getresponse()
    result = resp.status, resp.read()
    conn.close()
    return result


def send(port, method, target, headers, body=b"", host=None, source=None):
    """One request through http.client, target and headers sent byte for byte, plus Host
    (host, default 127.0.0.1:port) and, with a body or for PUT and POST, Content-Length:
    (status, [(name, value), ...], body). source: the local address to bind (aws:SourceIp)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                      source_address=(source, 0) if source else None)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or "127.0.0.1:%d" % port)
        for k, v in headers.items():
            if k.lower() != "host":
                conn.putheader(k, v)
        if body or method in ("PUT", "POST"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def sigv4_headers(method, url, headers, body, access=ACCESS, secret=SECRET):
    """headers with SigV4's (Authorization, x-amz-date, x-amz-content-sha256) added by botocore."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    S3SigV4Auth(Credentials(access, secret), "s3", "us-east-1").add_auth(req)
    return dict(req.headers.items())


# One line of coffer's access log (doc/formats.md "Access log"), field by field; the same
# expression parses the two worked examples of that section (tests/it/access_log.sh).
ACCESS_LOG_LINE = re.compile(
    r'^(?P<owner>-) (?P<bucket>\S+) \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
    r'(?P<remote>\S+) (?P<requester>\S+) (?P<request_id>[0-9A-F]{16}) '
    r'(?P<operation>REST\.[A-Z]+\.[A-Z_]+) (?P<key>\S+) "(?P<request_uri>[^"]*)" '
    r'(?P<status>\d{3}|-) (?P<error_code>\S+) (?P<bytes_sent>\d+|-) (?P<object_size>\d+|-) '
    r'(?P<total_ms>\d+) (?P<turnaround>-) "(?P<referer>[^"]*)" "(?P<user_agent>[^"]*)" '
    r'(?P<version_id>-) (?P<host_id>-) (?P<sig_version>SigV4|SigV2|-) (?P<cipher>-) '
    r'(?P<auth_type>AuthHeader|QueryString|-) (?P<host>\S+) (?P<tls>-)$')


def access_log_lines(path):
    """The lines of an access log file as dicts of ACCESS_LOG_LINE's fields; a line that does not
    parse raises ValueError."""
    out = []
    with open(path, encoding="ascii") as f:
        for line in f:
            m = ACCESS_LOG_LINE.match(line.rstrip("\n"))
            if not m:
                raise ValueError("access log line does not parse: %r" % line)
            out.append(m.groupdict())
    return out


def error_of(body):
    """(Code, Message) of an S3 error body, or of the admin API's JSON one (doc/admin.md)."""
    if body[:1] == b"{":
        e = json.loads(body)["error"]
        return e["code"], e["message"]
    root = ET.fromstring(body)
    return root.findtext("Code"), root.findtext("Message")


class S3Assertions:
    """Mixed into a unittest.TestCase."""

    def assertRawError(self, resp, status, code, message=None):
        """resp = (status, headers, body) of a raw request: that status, S3 error code and
        (if given) message."""
        st, _, body = resp
        self.assertEqual(st, status, body)
        got_code, got_message = error_of(body)
        self.assertEqual(got_code, code)
        if message is not None:
            self.assertEqual(got_message, message)

    def assertS3Error(self, code, status, fn, *a, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*a, **kw)
        self.assertEqual(code_of(cm.exception), (code, status))
        return cm.exception


def run_module(name, server=None, compat=None):
    """Runs the module's tests (against server(), stopped at the end, if given); prints the
    RESULT line. A skipped test (self.skipTest: the machine cannot run it) counts as neither
    passed nor failed: the line ends with ", N skipped" (tests/run.sh sums those).
    compat=(client, version): each test also prints its verdict as a COMPAT line for the
    compatibility matrix (tests/it/lib/compat.py), the operation being the first line of
    its docstring, else its name."""
    try:
        suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[name])
        tests = list(_tests(suite))  # a suite lets go of its tests as they run
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    finally:
        if server:
            server().stop()
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    for test, why in result.skipped:
        print("SKIP %s: %s" % (test.id(), why))
    if compat:
        print_compat(compat, tests, result)
    print("RESULT: %d passed, %d failed%s" % (result.testsRun - failed - skipped, failed,
                                             ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


def _tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _tests(t)
        else:
            yield t


def print_compat(compat, tests, result):
    bad = {t.id() for t, _ in result.failures + result.errors}
    skipped = {t.id() for t, _ in result.skipped}
    for t in tests:
        doc = t.shortDescription() or t.id().rsplit(".", 1)[-1][5:].replace("_", " ")
        verdict = "FAIL" if t.id() in bad else "SKIP" if t.id() in skipped else "PASS"
        print("COMPAT\t%s\t%s\t%s\t%s" % (compat[0], compat[1], doc.replace("\t", " "), verdict))
