"""s3_security_test.py -- authentication, keys that look like paths, and secrets in logs.

Against the real binary (doc/security.md says what each part proves):

- every route of the router (src/s3/router.c), the admin endpoint and a few
  subresources no route serves, in both addressing styles, answers 403 with
  the exact S3 code when it carries no signature (AccessDenied), a signature
  made with a wrong secret (SignatureDoesNotMatch), an unknown access key
  (InvalidAccessKeyId), or is an expired presigned URL (AccessDenied
  "Request has expired"); afterwards every bucket, object, tag set, upload
  and part is exactly as before;
- keys that read like paths round-trip as plain keys, a NUL in a key is 400
  InvalidURI, a 1,025-byte key is 400 KeyTooLongError, bucket names with
  ".." and the like are 400 InvalidBucketName; the data directory then
  holds only the engine's own file names, each private to the server's user,
  and no canary file appears anywhere the keys point at;
- with COFFER_LOG=debug, header-signed, presigned, aws-chunked (unsigned
  trailer and signed chunks), multipart and refused requests leave neither
  the secret nor any Signature, X-Amz-Signature or chunk-signature value in
  the server's stdout or stderr.
"""
import os
import re
import sys
import time
import unittest
import urllib.parse

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer  # noqa: E402
from s3_helpers import (code_of, data, error_of, make_client, run_module, send,  # noqa: E402
                        signed_chunked_put)

WRONG_SECRET = "wrong/secret+0123456789abcdefghijklmnopq"
UNKNOWN_KEY = "CFUNKNOWNKEY00000001"


def raw(srv, method, target, body=b"", headers=None, auth="sign", access=ACCESS, secret=SECRET,
        host=None, sign_target=None, sigs=None):
    """One request through http.client, target sent byte for byte: (status, headers, body).

    auth: "sign" (Authorization header), "none", or "presign" (query auth,
    valid 60 s). sign_target: the target to sign when it differs from the
    one sent (percent-encoded dots). sigs: a list that collects the signature.
    """
    host = host or "127.0.0.1:%d" % srv.port
    headers = dict(headers or {})
    target_sent = target
    if auth != "none":
        # a presigned URL covers no body (UNSIGNED-PAYLOAD): sign it without one
        req = AWSRequest(method=method, url="http://%s%s" % (host, sign_target or target),
                         data=body if auth == "sign" else b"", headers=headers)
        creds = Credentials(access, secret)
        if auth == "presign":
            S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=60).add_auth(req)
            split = urllib.parse.urlsplit(req.url)
            target_sent = split.path + "?" + split.query
            if sigs is not None:
                sigs.append(urllib.parse.parse_qs(split.query)["X-Amz-Signature"][0])
        else:
            S3SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
            if sigs is not None:
                sigs.append(req.headers["Authorization"].split("Signature=")[1])
        headers = {k: v for k, v in req.headers.items()}
    status, got, resp = send(srv.port, method, target_sent, headers, body, host=host)
    return status, dict(got), resp

def state(s3):
    """Everything a request could have created or changed, as comparable values."""
    out = {"buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"])}
    for b in out["buckets"]:
        out[b] = {
            "objects": [(o["Key"], o["Size"], o["ETag"])
                        for o in s3.list_objects_v2(Bucket=b).get("Contents", [])],
            "uploads": [(u["Key"], u["UploadId"])
                        for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", [])],
        }
        for key, upload in out[b]["uploads"]:
            parts = s3.list_parts(Bucket=b, Key=key, UploadId=upload).get("Parts", [])
            out[b]["parts " + upload] = [(p["PartNumber"], p["Size"], p["ETag"]) for p in parts]
        for key, _, _ in out[b]["objects"]:
            out[b]["body " + key] = s3.get_object(Bucket=b, Key=key)["Body"].read()
            out[b]["tags " + key] = s3.get_object_tagging(Bucket=b, Key=key)["TagSet"]
    return out


class AuthTest(unittest.TestCase):
    def setUp(self):
        self.srv = CofferServer().start()
        self.s3 = make_client(self.srv.endpoint)
        s3 = self.s3
        s3.create_bucket(Bucket="sec")
        s3.create_bucket(Bucket="sec-empty")
        s3.put_object(Bucket="sec", Key="k", Body=b"original bytes")
        s3.put_object_tagging(Bucket="sec", Key="k",
                              Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
        self.upload = s3.create_multipart_upload(Bucket="sec", Key="mp")["UploadId"]
        s3.upload_part(Bucket="sec", Key="mp", UploadId=self.upload, PartNumber=1,
                       Body=data(1000, 5))

    def tearDown(self):
        self.srv.stop()

    def requests(self):
        """(method, target, body, headers, host, status) for every route and then some."""
        u = self.upload
        vhost = "sec.s3.test:%d" % self.srv.port
        delete = b"<Delete><Object><Key>k</Key></Object></Delete>"
        complete = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                    "<ETag>x</ETag></Part></CompleteMultipartUpload>").encode()
        tagging = b"<Tagging><TagSet><Tag><Key>t</Key><Value>2</Value></Tag></TagSet></Tagging>"
        copy = {"x-amz-copy-source": "/sec/k"}
        return [  # and the status each gets when signed properly, in this order
            ("GET", "/", b"", {}, None, 200),                                 # ListBuckets
            ("PUT", "/sec-new", b"", {}, None, 200),                          # CreateBucket
            ("HEAD", "/sec", b"", {}, None, 200),                             # HeadBucket
            ("GET", "/sec?location", b"", {}, None, 200),
            ("GET", "/sec?versioning", b"", {}, None, 200),
            ("GET", "/sec?acl", b"", {}, None, 200),
            ("GET", "/sec?versions", b"", {}, None, 200),
            ("GET", "/sec?list-type=2", b"", {}, None, 200),                  # ListObjectsV2
            ("GET", "/sec", b"", {}, None, 200),                              # ListObjects
            ("GET", "/sec?uploads", b"", {}, None, 200),                      # ListMultipartUploads
            ("GET", "/sec/k?tagging", b"", {}, None, 200),
            ("PUT", "/sec/k?tagging", tagging, {}, None, 200),
            ("DELETE", "/sec/k?tagging", b"", {}, None, 204),
            ("GET", "/sec/k?acl", b"", {}, None, 200),
            ("POST", "/sec/new?uploads", b"", {}, None, 200),  # CreateMultipartUpload
            ("PUT", "/sec/mp?partNumber=2&uploadId=" + u, b"part", {}, None, 200),
            ("PUT", "/sec/mp?partNumber=3&uploadId=" + u, b"", copy, None, 200),  # UploadPartCopy
            ("GET", "/sec/mp?uploadId=" + u, b"", {}, None, 200),             # ListParts
            ("POST", "/sec/mp?uploadId=" + u, complete, {}, None, 400),       # Complete (bad ETag)
            ("PUT", "/sec/k", b"overwritten", {}, None, 200),                 # PutObject
            ("PUT", "/sec/copied", b"", copy, None, 200),                     # CopyObject
            ("GET", "/sec/k", b"", {}, None, 200),                            # GetObject
            ("GET", "/sec/k", b"", {"Range": "bytes=0-3"}, None, 206),
            ("HEAD", "/sec/k", b"", {}, None, 200),                           # HeadObject
            ("PUT", "/sec?policy", b"{}", {}, None, 400),  # MalformedPolicy: stores nothing
            ("GET", "/sec/k?retention", b"", {}, None, 501),
            # OPTIONS is a CORS preflight, answered before authentication as S3 does:
            # test_preflight_is_answered_from_cors_rules_not_signatures below
            ("GET", "/_coffer/stats", b"", {}, None, 200),                    # admin
            ("GET", "/", b"", {}, vhost, 200),                                # virtual-host list
            ("PUT", "/k2", b"overwritten", {}, vhost, 200),
            ("DELETE", "/k2", b"", {}, vhost, 204),
            ("DELETE", "/sec/mp?uploadId=" + u, b"", {}, None, 204),          # Abort
            ("POST", "/sec?delete", delete, {}, None, 200),                   # DeleteObjects
            ("DELETE", "/sec/copied", b"", {}, None, 204),                    # DeleteObject
            ("DELETE", "/sec-empty", b"", {}, None, 204),                     # DeleteBucket
        ]

    def check_refused(self, auth, code, message, **kw):
        for method, target, body, headers, host, _ in self.requests():
            with self.subTest(method=method, target=target, host=host):
                status, _, resp = raw(self.srv, method, target, body, headers, auth=auth,
                                      host=host, **kw)
                self.assertEqual(status, 403)
                if method == "HEAD":
                    self.assertEqual(resp, b"")
                else:
                    self.assertEqual(error_of(resp), (code, message))

    def test_every_route_needs_a_valid_signature(self):
        before = state(self.s3)
        self.assertEqual(before["buckets"], ["sec", "sec-empty"])
        self.check_refused("none", "AccessDenied", "Access Denied")
        self.check_refused("sign", "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature "
                           "you provided. Check your key and signing method.",
                           secret=WRONG_SECRET)
        self.check_refused("sign", "InvalidAccessKeyId",
                           "The AWS Access Key Id you provided does not exist in our records.",
                           access=UNKNOWN_KEY)
        self.assertEqual(state(self.s3), before)
        # and signed properly each one reaches its handler (or NotImplemented)
        for method, target, body, headers, host, want in self.requests():
            with self.subTest(method=method, target=target, host=host, auth="valid"):
                status, _, _ = raw(self.srv, method, target, body, headers, host=host)
                self.assertEqual(status, want)

    def test_preflight_is_answered_from_cors_rules_not_signatures(self):
        """OPTIONS was refused here like any route (403 AccessDenied unsigned, 501 signed);
        it is now a CORS preflight (src/s3/cors.c), which browsers send without credentials:
        with no CORS rules on the bucket it is 403 AccessForbidden whatever it is signed
        with, and without Origin 400 BadRequest; it never changes anything."""
        before = state(self.s3)
        pre = {"Origin": "http://page.test", "Access-Control-Request-Method": "PUT"}
        forbidden = ("AccessForbidden",
                     "CORSResponse: This CORS request is not allowed. This is usually because "
                     "the evalution of Origin, request method / Access-Control-Request-Method or "
                     "Access-Control-Request-Headers are not whitelisted by the resource's CORS "
                     "spec.")
        for kw in ({"auth": "none"}, {}, {"secret": WRONG_SECRET}, {"access": UNKNOWN_KEY}):
            with self.subTest(**kw):
                status, h, resp = raw(self.srv, "OPTIONS", "/sec/k", b"", pre, **kw)
                self.assertEqual((status, error_of(resp)), (403, forbidden))
                self.assertNotIn("access-control-allow-origin", {k.lower() for k in h})
                status, _, resp = raw(self.srv, "OPTIONS", "/sec/k", b"", {}, **kw)
                self.assertEqual((status, error_of(resp)[0]), (400, "BadRequest"))
        self.assertEqual(state(self.s3), before)

    def test_expired_presigned_url_is_refused(self):
        before = state(self.s3)
        srv = self.srv
        prepared = []
        for method, target, body, headers, host, _ in self.requests():
            h = host or "127.0.0.1:%d" % srv.port
            req = AWSRequest(method=method, url="http://%s%s" % (h, target), data=b"",
                             headers=headers)
            S3SigV4QueryAuth(Credentials(ACCESS, SECRET), "s3", "us-east-1",
                             expires=1).add_auth(req)
            prepared.append((method, req, body, h))
        time.sleep(2.2)
        for method, req, body, h in prepared:
            split = urllib.parse.urlsplit(req.url)
            with self.subTest(method=method, url=req.url):
                status, _, resp = raw(srv, method, split.path + "?" + split.query, body,
                                      dict(req.headers.items()), auth="none", host=h)
                self.assertEqual(status, 403)
                if method != "HEAD":
                    self.assertEqual(error_of(resp), ("AccessDenied", "Request has expired"))
        self.assertEqual(state(self.s3), before)

    def test_admin_endpoint_needs_an_admin(self):
        self.srv.stop()
        self.srv.add_user("CFPLAINUSER000000001", "plain-user-secret-0123456789abcdefghij")
        self.srv.start()
        status, _, body = raw(self.srv, "GET", "/_coffer/stats", access="CFPLAINUSER000000001",
                              secret="plain-user-secret-0123456789abcdefghij")
        self.assertEqual((status, error_of(body)), (403, ("AccessDenied", "Access Denied")))
        status, headers, body = raw(self.srv, "GET", "/_coffer/stats")
        self.assertEqual((status, headers["Content-Type"]), (200, "application/json"))


ENGINE_FILE = re.compile(
    r"^(LOCK|credentials|server\.log|MANIFEST-[0-9a-f]{16}(\.tmp)?"
    r"|commitlog/CL-[0-9a-f]{16}\.log"
    r"|tables/(buckets|users|objects|blob_refs|chunks|uploads|parts|object_parts)"
    r"/[0-9a-f]{16}\.sst(\.tmp)?)$")


def data_dir_files(d):
    out = set()
    for root, dirs, files in os.walk(d):
        rel = os.path.relpath(root, d).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        out.update(prefix + f for f in files)
        out.update(prefix + x + "/" for x in dirs)
    return out


class KeysAreNotPathsTest(unittest.TestCase):
    def test_path_like_keys_are_plain_keys(self):
        srv = CofferServer().start()
        canary = "coffer-escape-canary-%d" % os.getpid()
        try:
            s3 = make_client(srv.endpoint)
            s3.create_bucket(Bucket="keys")
            keys = ["../../etc/passwd", "/abs", "//double/slash", "a/../../b", "%2e%2e/x", "./x",
                    "a/./b", "..\\..\\windows", "\u00fcn\u00efcode/../x", "k" * 1024,
                    "credentials", "LOCK", "MANIFEST-0000000000000001",
                    "commitlog/CL-0000000000000001.log", "../commitlog/CL-00000000000000ff.log",
                    "tables/objects/0000000000000001.sst", "/tmp/" + canary]
            keys += ["../" * n + canary for n in range(1, 8)]
            for i, k in enumerate(keys):
                s3.put_object(Bucket="keys", Key=k, Body=data(100 + i, i))
            # the same through raw targets the client does not touch: literal dot
            # segments, dots percent-encoded (the canonical form decodes them) and
            # slashes percent-encoded (the canonical form keeps them encoded)
            raw_keys = {"/keys/../../" + canary + "-raw": "../../" + canary + "-raw",
                        "/keys/%2E%2E/%2e%2e/" + canary + "-pct": "../../" + canary + "-pct",
                        "/keys/..%2F..%2F" + canary + "-slash": "../../" + canary + "-slash"}
            for target, k in raw_keys.items():
                sign = target if "%2F" in target else "/keys/" + k
                status, _, _ = raw(srv, "PUT", target, k.encode(), sign_target=sign)
                self.assertEqual(status, 200, target)
            listed = [o["Key"] for o in s3.list_objects_v2(Bucket="keys")["Contents"]]
            self.assertEqual(listed, sorted(keys + list(raw_keys.values())))
            for i, k in enumerate(keys):
                got = s3.get_object(Bucket="keys", Key=k)["Body"].read()
                self.assertEqual(got, data(100 + i, i))
            for k in raw_keys.values():
                self.assertEqual(s3.get_object(Bucket="keys", Key=k)["Body"].read(), k.encode())

            # a NUL in a key names nothing, for every method
            for method in ("PUT", "GET", "HEAD", "DELETE"):
                status, _, body = raw(srv, method, "/keys/a%00b", b"x" if method == "PUT" else b"")
                self.assertEqual(status, 400, method)
                if method != "HEAD":
                    self.assertEqual(error_of(body),
                                     ("InvalidURI", "Object keys cannot contain a NUL byte."))
            with self.assertRaises(ClientError) as cm:
                s3.put_object(Bucket="keys", Key="a\x00b", Body=b"x")
            self.assertEqual(code_of(cm.exception), ("InvalidURI", 400))
            with self.assertRaises(ClientError) as cm:
                s3.put_object(Bucket="keys", Key="k" * 1025, Body=b"x")
            self.assertEqual(code_of(cm.exception), ("KeyTooLongError", 400))

            # bucket names that are not names
            for target in ("/..", "/%2e%2e", "/a..b", "/.ab", "/ab.", "/a%00bc", "/ABC", "/ab",
                           "/" + "a" * 64, "/192.168.1.1", "/a_b"):
                sign = target.replace("%2e", ".")  # the canonical form decodes a dot
                status, _, body = raw(srv, "PUT", target, sign_target=sign)
                self.assertEqual((status, error_of(body)[0]), (400, "InvalidBucketName"), target)
            status, _, body = raw(srv, "PUT", "/", host="x..y.s3.test:%d" % srv.port)
            self.assertEqual((status, error_of(body)[0]), (400, "InvalidBucketName"))
            status, _, body = raw(srv, "PUT", "/../x", b"x")  # bucket "..": none can exist
            self.assertEqual((status, error_of(body)[0]), (404, "NoSuchBucket"))
            self.assertEqual([b["Name"] for b in s3.list_buckets()["Buckets"]], ["keys"])

            # flushed to SSTables too: then the data dir holds only engine files
            srv.stop()
            srv.start()
            s3 = make_client(srv.endpoint)
            self.assertEqual(s3.get_object(Bucket="keys", Key=keys[0])["Body"].read(), data(100, 0))
        finally:
            srv.stop()
        files = data_dir_files(srv.data)
        odd = [f for f in files if not f.endswith("/") and not ENGINE_FILE.match(f)]
        self.assertEqual(odd, [])
        dirs = sorted(f for f in files if f.endswith("/"))
        self.assertTrue(set(dirs) <= {"commitlog/", "tables/"} | {
            "tables/%s/" % t for t in ("buckets", "users", "objects", "blob_refs", "chunks",
                                       "uploads", "parts", "object_parts", "cdc_log",
                                       "cdc_windows")}, dirs)
        self.assertTrue(any(f.startswith("tables/objects/") and f.endswith(".sst") for f in files))
        # and every one of them is private to the server's user (umask 077, main.c)
        for f in files - {"server.log"}:
            mode = os.stat(os.path.join(srv.data, f)).st_mode
            self.assertEqual(mode & 0o077, 0, "%s is mode %o" % (f, mode & 0o777))
        for n in range(0, 8):
            for suffix in ("", "-raw", "-pct", "-slash"):
                p = os.path.join(srv.data, *([".."] * n), canary + suffix)
                self.assertFalse(os.path.lexists(p), p)
        self.assertFalse(os.path.lexists("/tmp/" + canary))


class SecretsNotLoggedTest(unittest.TestCase):
    def test_no_secret_or_signature_in_the_output(self):
        srv = CofferServer(env={"COFFER_LOG": "debug"}).start()
        sigs = []
        try:
            s3 = make_client(srv.endpoint)

            def grab(request, **kw):
                authz = request.headers["Authorization"]
                authz = authz.decode() if isinstance(authz, bytes) else authz
                sigs.append(authz.split("Signature=")[1])
            s3.meta.events.register("before-send.s3", grab)
            s3.create_bucket(Bucket="logs")
            body = data(300000, 9)
            s3.put_object(Bucket="logs", Key="plain", Body=body)  # aws-chunked, CRC trailer
            self.assertEqual(s3.get_object(Bucket="logs", Key="plain")["Body"].read(), body)
            up = s3.create_multipart_upload(Bucket="logs", Key="mp")["UploadId"]
            etag = s3.upload_part(Bucket="logs", Key="mp", UploadId=up, PartNumber=1,
                                  Body=b"part")["ETag"]
            s3.complete_multipart_upload(Bucket="logs", Key="mp", UploadId=up, MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": etag}]})
            s3.list_objects_v2(Bucket="logs")
            url = s3.generate_presigned_url("get_object", Params={"Bucket": "logs", "Key": "mp"})
            sigs.append(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
                        ["X-Amz-Signature"][0])
            split = urllib.parse.urlsplit(url)
            status, _, got = raw(srv, "GET", split.path + "?" + split.query, auth="none")
            self.assertEqual((status, got), (200, b"part"))
            status, _, _ = raw(srv, "GET", "/logs/mp", auth="presign", sigs=sigs)
            self.assertEqual(status, 200)
            chunk_sigs = []
            status, _ = signed_chunked_put(srv.port, "logs", "signed", body, sigs=chunk_sigs)
            self.assertEqual(status, 200)
            status, _ = signed_chunked_put(srv.port, "logs", "tampered", body, tamper=True,
                                           sigs=chunk_sigs)
            self.assertEqual(status, 403)
            sigs += chunk_sigs
            status, _, _ = raw(srv, "PUT", "/logs/wrong", b"x", secret=WRONG_SECRET, sigs=sigs)
            self.assertEqual(status, 403)
            status, _, _ = raw(srv, "GET", "/logs/mp", access=UNKNOWN_KEY, sigs=sigs)
            self.assertEqual(status, 403)
            # a crash and a replay, which logs at debug level, with the secret in the log
            srv.kill()
            srv.start()
            self.assertEqual(make_client(srv.endpoint).get_object(
                Bucket="logs", Key="signed")["Body"].read(), body)
        finally:
            srv.stop()
        with open(os.path.join(srv.data, "server.log"), "rb") as f:
            log = f.read().decode(errors="replace")
        self.assertIn("DEBUG commitlog: ", log)  # the most verbose level was on
        self.assertIn("coffer: access key %s\n" % ACCESS, log)
        self.assertIn("coffer: secret key from COFFER_SECRET_KEY (not printed)\n", log)
        self.assertGreater(len(sigs), 20)
        for secret in [SECRET, WRONG_SECRET] + sigs:
            self.assertGreaterEqual(len(secret), 39)
            self.assertNotIn(secret, log)
        self.assertNotIn("Signature=", log)
        self.assertNotIn("chunk-signature", log)


if __name__ == "__main__":
    sys.exit(run_module(__name__))
