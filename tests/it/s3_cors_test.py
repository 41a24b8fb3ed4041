"""s3_cors_test.py -- bucket CORS against the real binary.

- Put/Get/DeleteBucketCors with boto3: a round trip read back exactly, none
  stored is 404 NoSuchCORSConfiguration, a bad method and a two-wildcard
  origin refused with S3's code and text, and the old rules left in place;
- raw OPTIONS preflights (no signature, as a browser sends them): a match
  (exact Access-Control-* headers), no match, no rules, no bucket, no Origin,
  an object path;
- actual requests with Origin (GET, PUT, a 404 error, HEAD) carrying the
  headers, and without Origin (or with an origin no rule allows) carrying none;
- headless Chromium (tests/it/browser/cors_fetch.mjs): a page on another
  origin fetch()es a public-read object (allowed by a rule: the bytes; no
  rule: TypeError) and PUTs to a presigned URL after a preflight.

Run: python3 tests/it/s3_cors_test.py (prints "RESULT: N passed, N failed[, N skipped]").
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import unittest

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer  # noqa: E402
from s3_helpers import (S3Assertions, code_of, make_client, run_module, send,  # noqa: E402
                        sigv4_headers)

SERVER = None
BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser")
SKIP_EXIT = 77  # tests/it/browser/launch.mjs: no browser here
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
FORBIDDEN = ("CORSResponse: This CORS request is not allowed. This is usually because the "
             "evalution of Origin, request method / Access-Control-Request-Method or "
             "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
ACAO = "access-control-allow-origin"


def raw(method, target, headers=None, body=b"", sign=False):
    """One request through http.client: (status, lowercased headers, body)."""
    headers = dict(headers or {})
    if sign:
        headers = sigv4_headers(method, "http://127.0.0.1:%d%s" % (SERVER.port, target), headers,
                                body)
    status, got, resp = send(SERVER.port, method, target, headers, body)
    return status, {k.lower(): v for k, v in got}, resp

def cors_headers(h):
    return {k: v for k, v in h.items() if k.startswith("access-control-") or k == "vary"}


RULES = [
    {"ID": "app", "AllowedOrigins": ["http://app.test", "https://*.example.com"],
     "AllowedMethods": ["GET", "PUT", "HEAD"], "AllowedHeaders": ["content-type", "x-amz-*"],
     "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


class Base(S3Assertions, unittest.TestCase):
    seq = 0

    def setUp(self):
        self.s3 = make_client(SERVER.endpoint, ACCESS, SECRET)
        Base.seq += 1
        self.b = "cors-%s-%d" % (type(self).__name__.lower()[:16], Base.seq)
        self.s3.create_bucket(Bucket=self.b)


class ApiTest(Base):
    def test_put_get_delete_round_trip(self):
        with self.assertRaises(ClientError) as cm:
            self.s3.get_bucket_cors(Bucket=self.b)
        self.assertEqual(code_of(cm.exception), ("NoSuchCORSConfiguration", 404))
        self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": RULES})
        got = self.s3.get_bucket_cors(Bucket=self.b)["CORSRules"]
        self.assertEqual(got, RULES)
        self.s3.delete_bucket_cors(Bucket=self.b)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_bucket_cors(Bucket=self.b)
        self.assertEqual(code_of(cm.exception), ("NoSuchCORSConfiguration", 404))
        self.s3.delete_bucket_cors(Bucket=self.b)  # none: still 204

    def test_bad_rules_are_refused_and_the_old_ones_stay(self):
        self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": RULES})
        bad = [({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest",
                "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
               ({"AllowedOrigins": ["http://*.*"], "AllowedMethods": ["GET"]}, "InvalidRequest",
                'AllowedOrigin "http://*.*" can not have more than one wildcard.')]
        for rule, code, msg in bad:
            with self.assertRaises(ClientError) as cm:
                self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": [rule]})
            self.assertEqual(code_of(cm.exception), (code, 400))
            self.assertEqual(cm.exception.response["Error"]["Message"], msg)
        self.assertEqual(self.s3.get_bucket_cors(Bucket=self.b)["CORSRules"], RULES)

    def test_anonymous_may_not_read_or_set_the_rules(self):
        self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": RULES})
        self.assertRawError(raw("GET", "/%s?cors" % self.b), 403, "AccessDenied")
        self.assertRawError(raw("DELETE", "/%s?cors" % self.b), 403, "AccessDenied")
        self.assertEqual(self.s3.get_bucket_cors(Bucket=self.b)["CORSRules"], RULES)


class PreflightTest(Base):
    def setUp(self):
        super().setUp()
        self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": RULES})

    def test_a_matching_preflight_is_200_with_the_rules_headers(self):
        for target in ("/%s" % self.b, "/%s/some/key" % self.b):
            st, h, body = raw("OPTIONS", target, {
                "Origin": "https://a.example.com", "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
            self.assertEqual((st, body), (200, b""))
            self.assertEqual(cors_headers(h), {
                ACAO: "https://a.example.com",
                "access-control-allow-methods": "GET, PUT, HEAD",
                "access-control-allow-headers": "content-type, x-amz-date",
                "access-control-expose-headers": "ETag, x-amz-request-id",
                "access-control-max-age": "600",
                "access-control-allow-credentials": "true",
                "vary": VARY})
        # the "*" rule: origin "*", no credentials, no headers asked
        st, h, _ = raw("OPTIONS", "/%s/k" % self.b, {
            "Origin": "http://elsewhere.test", "Access-Control-Request-Method": "GET"})
        self.assertEqual(st, 200)
        self.assertEqual(cors_headers(h), {ACAO: "*", "access-control-allow-methods": "GET",
                                           "vary": VARY})

    def test_refused_preflights(self):
        cases = [
            ({"Origin": "http://app.test", "Access-Control-Request-Method": "DELETE"},
             403, "AccessForbidden", FORBIDDEN),
            ({"Origin": "http://app.test", "Access-Control-Request-Method": "PUT",
              "Access-Control-Request-Headers": "x-custom"}, 403, "AccessForbidden", FORBIDDEN),
            ({"Origin": "http://elsewhere.test", "Access-Control-Request-Method": "PUT"},
             403, "AccessForbidden", FORBIDDEN),
            ({"Access-Control-Request-Method": "GET"}, 400, "BadRequest",
             "Insufficient information. Origin request header needed."),
            ({"Origin": "http://app.test"}, 400, "BadRequest",
             "Insufficient information. Origin request header needed."),
        ]
        for headers, status, code, msg in cases:
            resp = raw("OPTIONS", "/%s/k" % self.b, headers)
            self.assertRawError(resp, status, code, msg)
            self.assertEqual(cors_headers(resp[1]), {})
        ok = {"Origin": "http://app.test", "Access-Control-Request-Method": "GET"}
        self.assertRawError(raw("OPTIONS", "/no-such-bucket-cors/k", ok), 403, "CORSResponse",
                         "CORSResponse: Bucket not found")
        self.s3.delete_bucket_cors(Bucket=self.b)
        self.assertRawError(raw("OPTIONS", "/%s/k" % self.b, ok), 403, "AccessForbidden", FORBIDDEN)


class ActualRequestTest(Base):
    def setUp(self):
        super().setUp()
        self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": RULES})
        self.s3.put_object(Bucket=self.b, Key="obj", Body=b"hello cors", ACL="public-read")

    APP = {ACAO: "http://app.test", "access-control-allow-methods": "GET, PUT, HEAD",
           "access-control-expose-headers": "ETag, x-amz-request-id",
           "access-control-max-age": "600", "access-control-allow-credentials": "true",
           "vary": VARY}

    def test_responses_carry_the_headers_only_with_a_matching_origin(self):
        origin = {"Origin": "http://app.test"}
        st, h, body = raw("GET", "/%s/obj" % self.b, origin)
        self.assertEqual((st, body), (200, b"hello cors"))
        self.assertEqual(cors_headers(h), self.APP)
        st, h, body = raw("GET", "/%s/obj" % self.b, dict(origin, Range="bytes=0-4"))
        self.assertEqual((st, body), (206, b"hello"))
        self.assertEqual(cors_headers(h), self.APP)
        st, h, _ = raw("HEAD", "/%s/obj" % self.b, origin)
        self.assertEqual(st, 200)
        self.assertEqual(cors_headers(h), self.APP)
        st, h, _ = raw("GET", "/%s/obj" % self.b, dict(origin, **{"If-None-Match": h["etag"]}))
        self.assertEqual(st, 304)
        self.assertEqual(cors_headers(h), self.APP)
        st, h, body = raw("PUT", "/%s/new" % self.b, origin, b"put body", sign=True)
        self.assertEqual(st, 200, body)
        self.assertEqual(cors_headers(h), self.APP)
        resp = raw("GET", "/%s/missing" % self.b, origin, sign=True)
        self.assertRawError(resp, 404, "NoSuchKey")
        self.assertEqual(cors_headers(resp[1]), self.APP)
        resp = raw("GET", "/%s/missing" % self.b, origin)  # anonymous: refused, still headers
        self.assertRawError(resp, 403, "AccessDenied")
        self.assertEqual(cors_headers(resp[1]), self.APP)
        # the "*" rule allows GET from anywhere: origin "*", no credentials
        st, h, _ = raw("GET", "/%s/obj" % self.b, {"Origin": "http://elsewhere.test"})
        self.assertEqual(cors_headers(h), {ACAO: "*", "access-control-allow-methods": "GET",
                                           "vary": VARY})
        # without Origin, or with an origin and method no rule allows: nothing
        st, h, _ = raw("GET", "/%s/obj" % self.b)
        self.assertEqual((st, cors_headers(h)), (200, {}))
        st, h, _ = raw("PUT", "/%s/new2" % self.b, {"Origin": "http://elsewhere.test"},
                       b"x", sign=True)
        self.assertEqual((st, cors_headers(h)), (200, {}))
        self.s3.delete_bucket_cors(Bucket=self.b)
        st, h, _ = raw("GET", "/%s/obj" % self.b, origin)
        self.assertEqual((st, cors_headers(h)), (200, {}))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrowserTest(Base):
    """fetch() from a page on another origin, in headless Chromium."""

    def fetch(self, port, reqs):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules")):
            self.skipTest("npm packages are not installed in %s" % BROWSER_DIR)
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, "cors_fetch.mjs"), str(port),
                            json.dumps(reqs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        if p.returncode == SKIP_EXIT:
            self.skipTest(p.stdout.decode().strip().removeprefix("SKIP "))
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        return json.loads(p.stdout.decode().strip().splitlines()[-1])

    def test_fetch_get_and_presigned_put_from_another_origin(self):
        self.s3.put_object(Bucket=self.b, Key="pub.txt", Body=b"public bytes", ACL="public-read")
        url = "%s/%s/pub.txt" % (SERVER.endpoint, self.b)
        port = free_port()
        origin = "http://127.0.0.1:%d" % port
        put_url = self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.b, "Key": "up.txt"}, ExpiresIn=600)
        # no rules: the browser refuses both (the GET's response lacks Allow-Origin;
        # the PUT's preflight is 403)
        got = self.fetch(port, [{"method": "GET", "url": url},
                                {"method": "PUT", "url": put_url, "body": "from the page",
                                 "headers": {"Content-Type": "text/plain"}}])
        self.assertEqual([g.get("error", "").split(":")[0] for g in got], ["TypeError"] * 2)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket=self.b, Key="up.txt")
        self.s3.put_bucket_cors(Bucket=self.b, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": [origin], "AllowedMethods": ["GET", "PUT"],
             "AllowedHeaders": ["*"]}]})
        got = self.fetch(port, [{"method": "GET", "url": url},
                                {"method": "PUT", "url": put_url, "body": "from the page",
                                 "headers": {"Content-Type": "text/plain"}}])
        self.assertEqual(got, [{"ok": True, "status": 200, "body": "public bytes"},
                               {"ok": True, "status": 200, "body": ""}])
        self.assertEqual(self.s3.get_object(Bucket=self.b, Key="up.txt")["Body"].read(),
                         b"from the page")


def main():
    global SERVER
    SERVER = CofferServer()
    SERVER.start()
    return run_module(__name__, lambda: SERVER)


if __name__ == "__main__":
    sys.exit(main())
