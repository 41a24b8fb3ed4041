"""s3_post_object_test.py -- POST Object (browser-form uploads) against the real binary.

Every upload is made by a real client and every stored object is read back
with boto3 and compared byte for byte:

- boto3 generate_presigned_post (SigV4, and SigV2 with signature_version
  's3'), posted with requests: Fields and Conditions (Content-Type
  starts-with, content-length-range, x-amz-meta-*), ${filename}, tagging,
  checksums, success_action_status 200/201/204, success_action_redirect 303;
  field names in any case (X-Amz-Signature, Policy), virtual-host style;
- refusals with S3's exact code and message: a policy condition that fails,
  a field the policy does not name, an expired policy, a tampered signature
  or policy, an unknown key, another region, missing fields, no file, two
  files, an anonymous form, sizes outside content-length-range, fields this
  server does not implement (501), a body that is not multipart/form-data,
  fields over 20 KiB; nothing is stored by any of them;
- curl -F with fields signed by the small signer below;
- minio-js presignedPostPolicy posted with node's fetch and FormData
  (tests/it/node/minio_post.mjs);
- a 20 MiB file, whose upload must not raise the server's peak memory by
  more than a third of it (the file streams into the store);
- a real HTML form in headless Chromium (tests/it/browser/submit_form.mjs):
  the page, served by a local http.server, holds the presigned fields and a
  file input; the browser submits it and follows the 303 to the page's
  /done URL, which must carry bucket, key and etag.

Node or Chromium missing: those checks print SKIP, never PASS. Prints
PASS/FAIL per check and "RESULT: N passed, N failed[, N skipped]".
"""
import base64
import datetime
import hashlib
import hmac
import html
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

import boto3
import requests
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, ROOT, SECRET, CofferServer  # noqa: E402
from s3_helpers import data, make_client  # noqa: E402

NODE_DIR = os.path.join(ROOT, "tests", "it", "node")
BROWSER_DIR = os.path.join(ROOT, "tests", "it", "browser")
SKIP_EXIT = 77  # tests/it/browser/launch.mjs: no browser here
BUCKET = "forms"


def error_of(resp):
    """(status, Code, Message, {other child: text}) of an S3 error response."""
    root = ET.fromstring(resp.content)
    kids = {c.tag: c.text or "" for c in root}
    return (resp.status_code, kids.pop("Code", None), kids.pop("Message", None), kids)


def signing_key(secret, day, region):
    k = ("AWS4" + secret).encode()
    for part in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def sign_post(conditions, access=ACCESS, secret=SECRET, region="us-east-1", expires_in=300):
    """The SigV4 fields of a form: a policy of these conditions plus the signature's own."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    cred = "%s/%s/%s/s3/aws4_request" % (access, amz_date[:8], region)
    exp = (now + datetime.timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    doc = {"expiration": exp, "conditions": list(conditions) + [
        {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": cred},
        {"x-amz-date": amz_date}]}
    policy = base64.b64encode(json.dumps(doc).encode()).decode()
    sig = hmac.new(signing_key(secret, amz_date[:8], region), policy.encode(),
                   hashlib.sha256).hexdigest()
    return {"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred,
            "x-amz-date": amz_date, "policy": policy, "x-amz-signature": sig}


def peak_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class PostObjectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = CofferServer().start()
        cls.s3 = make_client(cls.srv.endpoint)
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.url = "%s/%s" % (cls.srv.endpoint, BUCKET)
        cls.tmp = tempfile.mkdtemp(prefix="coffer-post-")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def presign(self, key, fields=None, conditions=None, expires=300, s3=None):
        return (s3 or self.s3).generate_presigned_post(BUCKET, key, Fields=fields,
                                                       Conditions=conditions, ExpiresIn=expires)

    def post(self, fields, body=b"hello, form", filename="hello.txt"):
        """A multipart/form-data POST of the fields, then (unless body is None) the file."""
        parts = [(k, (None, v)) for k, v in fields.items()]
        if body is not None:
            parts.append(("file", (filename, body)))
        return requests.post(self.url, files=parts, allow_redirects=False, timeout=120)

    def get(self, key):
        return self.s3.get_object(Bucket=BUCKET, Key=key)

    def assertAbsent(self, key):
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        self.assertNotIn(key, keys)

    def assertError(self, resp, status, code, message, **extra):
        got = error_of(resp)
        self.assertEqual(got[:3], (status, code, message))
        for k, v in extra.items():
            self.assertEqual(got[3].get(k), v, k)

    # ---- boto3 generate_presigned_post, posted with requests ----

    def test_boto3_presigned_post_round_trip(self):
        body = data(5000, 7)
        p = self.presign("docs/${filename}",
                         fields={"Content-Type": "text/plain", "x-amz-meta-color": "blue",
                                 "Cache-Control": "max-age=60"},
                         conditions=[["starts-with", "$Content-Type", "text/"],
                                     ["content-length-range", 1, 1 << 20],
                                     {"x-amz-meta-color": "blue"},
                                     ["starts-with", "$Cache-Control", "max-age="]])
        r = self.post(p["fields"], body, filename="report.txt")
        self.assertEqual((r.status_code, r.content), (204, b""))
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        self.assertEqual(r.headers["ETag"], etag)
        self.assertEqual(r.headers["Location"], "%s/docs%%2Freport.txt" % self.url)
        o = self.get("docs/report.txt")
        self.assertEqual(o["Body"].read(), body)
        self.assertEqual((o["ContentType"], o["Metadata"], o["CacheControl"], o["ETag"]),
                         ("text/plain", {"color": "blue"}, "max-age=60", etag))

    def test_filename_is_the_last_path_component(self):
        p = self.presign("up/${filename}")
        r = self.post(p["fields"], b"windows", filename="C:\\Users\\me\\notes.txt")
        self.assertEqual(r.status_code, 204)
        self.assertEqual(self.get("up/notes.txt")["Body"].read(), b"windows")

    def test_capitalised_names_and_virtual_host(self):
        # aws-sdk-js-v3 and the AWS example send X-Amz-Credential, Policy, ...: names are
        # matched in any case, against lower-case conditions; here posted virtual-host style
        signed = sign_post([{"bucket": BUCKET}, {"key": "vhost/a.txt"}])
        fields = {"Key": "vhost/a.txt", "Bucket": BUCKET}
        fields.update({"Policy" if k == "policy" else "-".join(w.capitalize() for w in
                                                               k.split("-")): v
                       for k, v in signed.items()})
        self.assertIn("X-Amz-Signature", fields)
        host = "%s.s3.test:%d" % (BUCKET, self.srv.port)
        parts = [(k, (None, v)) for k, v in fields.items()] + [("file", ("a.txt", b"vh"))]
        r = requests.post(self.srv.endpoint + "/", files=parts, headers={"Host": host},
                          allow_redirects=False, timeout=60)
        self.assertEqual((r.status_code, r.headers["Location"]),
                         (204, "http://%s/vhost%%2Fa.txt" % host))
        self.assertEqual(self.get("vhost/a.txt")["Body"].read(), b"vh")

    def test_success_action_status_201_returns_post_response(self):
        p = self.presign("status/201.bin", fields={"success_action_status": "201"},
                         conditions=[{"success_action_status": "201"}])
        body = data(100, 3)
        r = self.post(p["fields"], body)
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        loc = "%s/status%%2F201.bin" % self.url
        self.assertEqual((r.status_code, r.headers["Content-Type"]), (201, "application/xml"))
        self.assertEqual(r.text, '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
                                 "<Location>%s</Location><Bucket>%s</Bucket><Key>status/201.bin"
                                 "</Key><ETag>&quot;%s&quot;</ETag></PostResponse>"
                         % (loc, BUCKET, etag[1:-1]))
        self.assertEqual((r.headers["ETag"], r.headers["Location"]), (etag, loc))
        self.assertEqual(self.get("status/201.bin")["Body"].read(), body)

    def test_success_action_status_200_and_others(self):
        for status, want in (("200", 200), ("204", 204), ("404", 204), ("", 204)):
            with self.subTest(status=status):
                p = self.presign("status/%s" % status, fields={"success_action_status": status},
                                 conditions=[{"success_action_status": status}])
                r = self.post(p["fields"])
                self.assertEqual((r.status_code, r.content), (want, b""))

    def test_success_action_redirect_303(self):
        target = "http://127.0.0.1:9/done?from=form"
        p = self.presign("redirect/a b.txt", fields={"success_action_redirect": target},
                         conditions=[["starts-with", "$success_action_redirect", "http://"]])
        body = b"redirected"
        r = self.post(p["fields"], body)
        etag = hashlib.md5(body).hexdigest()
        self.assertEqual((r.status_code, r.content), (303, b""))
        self.assertEqual(r.headers["Location"],
                         "%s&bucket=%s&key=redirect%%2Fa+b.txt&etag=%%22%s%%22"
                         % (target, BUCKET, etag))
        self.assertEqual(self.get("redirect/a b.txt")["Body"].read(), body)
        # a relative URL is not followed (S3 then answers as if there were none)
        p = self.presign("redirect/rel", fields={"redirect": "/relative"},
                         conditions=[{"redirect": "/relative"}])
        self.assertEqual(self.post(p["fields"]).status_code, 204)

    def test_tagging_checksum_and_content_md5(self):
        tagging = ("<Tagging><TagSet><Tag><Key>team</Key><Value>a b</Value></Tag>"
                   "<Tag><Key>n</Key><Value>1</Value></Tag></TagSet></Tagging>")
        body = data(3000, 9)
        sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        fields = {"tagging": tagging, "x-amz-checksum-sha256": sha,
                  "x-amz-checksum-algorithm": "SHA256", "Content-MD5": md5}
        conds = [{k: v} for k, v in fields.items()]
        r = self.post(self.presign("tags/t", fields=fields, conditions=conds)["fields"], body)
        self.assertEqual((r.status_code, r.headers["x-amz-checksum-sha256"]), (204, sha))
        tags = self.s3.get_object_tagging(Bucket=BUCKET, Key="tags/t")["TagSet"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("n", "1"),
                                                                         ("team", "a b")])
        h = self.s3.head_object(Bucket=BUCKET, Key="tags/t", ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumSHA256"], sha)
        # a wrong checksum or MD5 stores nothing
        for name, value, code, msg in (
                ("x-amz-checksum-sha256", base64.b64encode(b"x" * 32).decode(), "BadDigest",
                 "The Content-MD5 or checksum you specified did not match what we received."),
                ("Content-MD5", base64.b64encode(b"y" * 16).decode(), "BadDigest",
                 "The Content-MD5 or checksum you specified did not match what we received.")):
            with self.subTest(field=name):
                f = {name: value}
                r = self.post(self.presign("tags/bad", fields=f,
                                           conditions=[{name: value}])["fields"], body)
                self.assertError(r, 400, code, msg)
                self.assertAbsent("tags/bad")
        f = {"x-amz-checksum-algorithm": "CRC32"}
        r = self.post(self.presign("tags/bad", fields=f, conditions=[f])["fields"], body)
        self.assertError(r, 400, "InvalidRequest",
                         "x-amz-checksum-algorithm CRC32 requires the field x-amz-checksum-crc32.")

    def test_sigv2_presigned_post(self):
        v2 = boto3.client("s3", endpoint_url=self.srv.endpoint, aws_access_key_id=ACCESS,
                          aws_secret_access_key=SECRET, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, signature_version="s3"))
        p = self.presign("v2/${filename}", fields={"Content-Type": "text/csv"},
                         conditions=[{"Content-Type": "text/csv"}], s3=v2)
        self.assertIn("AWSAccessKeyId", p["fields"])
        self.assertEqual(len(p["fields"]["signature"]), 28)
        r = self.post(p["fields"], b"a,b\n1,2\n", filename="t.csv")
        self.assertEqual(r.status_code, 204)
        o = self.get("v2/t.csv")
        self.assertEqual((o["Body"].read(), o["ContentType"]), (b"a,b\n1,2\n", "text/csv"))
        bad = dict(p["fields"], signature=base64.b64encode(b"z" * 20).decode())
        self.assertError(self.post(bad, filename="u.csv"), 403, "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you "
                         "provided. Check your key and signing method.")
        self.assertAbsent("v2/u.csv")

    # ---- refusals: S3's code and message, nothing stored ----

    def test_policy_condition_fails(self):
        p = self.presign("deny/cond", fields={"Content-Type": "image/png"},
                         conditions=[["starts-with", "$Content-Type", "text/"]])
        self.assertError(self.post(p["fields"]), 403, "AccessDenied",
                         'Invalid according to Policy: Policy Condition failed: ["starts-with", '
                         '"$Content-Type", "text/"]')
        self.assertAbsent("deny/cond")

    def test_field_the_policy_does_not_name(self):
        p = self.presign("deny/extra")
        fields = dict(p["fields"], **{"x-amz-meta-sneaky": "1"})
        self.assertError(self.post(fields), 403, "AccessDenied",
                         "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky")
        # x-ignore-* fields need no condition
        fields = dict(p["fields"], **{"x-ignore-flash": "1"})
        self.assertEqual(self.post(fields).status_code, 204)

    def test_expired_policy(self):
        p = self.presign("deny/expired", expires=1)
        time.sleep(2.1)
        self.assertError(self.post(p["fields"]), 403, "AccessDenied",
                         "Invalid according to Policy: Policy expired.")
        self.assertAbsent("deny/expired")

    def test_tampered_signature_policy_and_keys(self):
        p = self.presign("deny/tamper")
        f = p["fields"]
        sig = f["x-amz-signature"]
        flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        msg = ("The request signature we calculated does not match the signature you provided. "
               "Check your key and signing method.")
        self.assertError(self.post(dict(f, **{"x-amz-signature": flipped})), 403,
                         "SignatureDoesNotMatch", msg)
        other = base64.b64encode(base64.b64decode(f["policy"]).replace(b"deny/tamper",
                                                                       b"deny/tampeX")).decode()
        self.assertError(self.post(dict(f, policy=other, key="deny/tampeX")), 403,
                         "SignatureDoesNotMatch", msg)
        wrong = make_client(self.srv.endpoint, secret="wrong/secret+0123456789abcdefghijklmnop")
        p2 = wrong.generate_presigned_post(BUCKET, "deny/tamper")
        self.assertError(self.post(p2["fields"]), 403, "SignatureDoesNotMatch", msg)
        unknown = make_client(self.srv.endpoint, access="CFUNKNOWNKEY00000001")
        p3 = unknown.generate_presigned_post(BUCKET, "deny/tamper")
        self.assertError(self.post(p3["fields"]), 403, "InvalidAccessKeyId",
                         "The AWS Access Key Id you provided does not exist in our records.",
                         AWSAccessKeyId="CFUNKNOWNKEY00000001")
        self.assertAbsent("deny/tamper")
        self.assertAbsent("deny/tampeX")

    def test_wrong_region_and_token(self):
        f = dict(sign_post([{"bucket": BUCKET}, {"key": "deny/region"}], region="eu-west-1"),
                 key="deny/region")
        self.assertError(self.post(f), 400, "InvalidArgument",
                         "the region 'eu-west-1' is wrong; expecting 'us-east-1'",
                         ArgumentName="X-Amz-Credential", ArgumentValue=f["x-amz-credential"],
                         Region="us-east-1")
        f = dict(sign_post([{"key": "deny/region"}, {"x-amz-security-token": "t"}]),
                 key="deny/region", **{"x-amz-security-token": "t"})
        self.assertEqual(error_of(self.post(f))[:2], (400, "InvalidToken"))
        self.assertAbsent("deny/region")

    def test_missing_fields_and_files(self):
        p = self.presign("deny/missing")
        f = p["fields"]
        for drop, name in (("x-amz-signature", "X-Amz-Signature"),
                           ("x-amz-algorithm", "X-Amz-Algorithm"), ("policy", "Policy"),
                           ("key", "key")):
            with self.subTest(drop=drop):
                r = self.post({k: v for k, v in f.items() if k != drop})
                self.assertError(r, 400, "InvalidArgument",
                                 "Bucket POST must contain a field named '%s'.  If it is "
                                 "specified, please check the order of the fields." % name,
                                 ArgumentName=name, ArgumentValue="")
        self.assertError(self.post(f, body=None), 400, "InvalidArgument",
                         "POST requires exactly one file upload per request.",
                         ArgumentName="file", ArgumentValue="0")
        two = [(k, (None, v)) for k, v in f.items()] + [("file", ("a", b"1")), ("file", ("b", b"2"))]
        r = requests.post(self.url, files=two, allow_redirects=False, timeout=60)
        self.assertError(r, 400, "IncorrectNumberOfFilesInPostRequest",
                         "POST requires exactly one file upload per request.")
        # fields after the file are ignored: a key sent there is missing
        late = [(k, (None, v)) for k, v in f.items() if k != "key"] + [
            ("file", ("a", b"1")), ("key", (None, "deny/missing"))]
        r = requests.post(self.url, files=late, allow_redirects=False, timeout=60)
        self.assertEqual(error_of(r)[:3], (400, "InvalidArgument", "Bucket POST must contain a "
                                           "field named 'key'.  If it is specified, please check "
                                           "the order of the fields."))
        self.assertAbsent("deny/missing")

    def test_anonymous_form_is_refused_unless_a_policy_allows_it(self):
        r = self.post({"key": "deny/anon", "Content-Type": "text/plain"})
        self.assertError(r, 403, "AccessDenied", "Access Denied")
        self.assertAbsent("deny/anon")
        # to a bucket that does not exist: NoSuchBucket, as S3 answers anyone
        parts = [("key", (None, "k")), ("file", ("a", b"1"))]
        r = requests.post(self.srv.endpoint + "/no-such-bucket", files=parts, timeout=60)
        self.assertError(r, 404, "NoSuchBucket", "The specified bucket does not exist")
        # a bucket policy that lets anyone put under drop/: an unsigned form uploads there only
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::%s/drop/*" % BUCKET}]}
        self.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
        try:
            r = self.post({"key": "drop/anon.txt", "Content-Type": "text/plain"}, b"anon")
            self.assertEqual(r.status_code, 204)
            self.assertEqual(self.get("drop/anon.txt")["Body"].read(), b"anon")
            r = self.post({"key": "deny/anon", "Content-Type": "text/plain"})
            self.assertError(r, 403, "AccessDenied", "Access Denied")
            self.assertAbsent("deny/anon")
        finally:
            self.s3.delete_bucket_policy(Bucket=BUCKET)

    def test_content_length_range(self):
        p = self.presign("deny/size", conditions=[["content-length-range", 5, 10]])
        r = self.post(p["fields"], b"x" * 11)
        self.assertError(r, 400, "EntityTooLarge",
                         "Your proposed upload exceeds the maximum allowed size",
                         MaxSizeAllowed="10")
        r = self.post(p["fields"], b"x" * 4)
        self.assertError(r, 400, "EntityTooSmall",
                         "Your proposed upload is smaller than the minimum allowed size",
                         ProposedSize="4", MinSizeAllowed="5")
        self.assertAbsent("deny/size")
        for n in (5, 10):  # the bounds are inclusive
            self.assertEqual(self.post(p["fields"], b"y" * n).status_code, 204)
        self.assertEqual(self.get("deny/size")["Body"].read(), b"y" * 10)

    def test_not_implemented_fields(self):
        for name, value in (("x-amz-server-side-encryption", "AES256"),
                            ("x-amz-storage-class", "GLACIER"),
                            ("x-amz-object-lock-mode", "GOVERNANCE"),
                            ("x-amz-grant-read", "id=x")):
            with self.subTest(field=name):
                p = self.presign("deny/ni", fields={name: value}, conditions=[{name: value}])
                r = self.post(p["fields"])
                self.assertEqual(error_of(r)[:2], (501, "NotImplemented"))
                self.assertIn(name, error_of(r)[2])
        self.assertAbsent("deny/ni")
        p = self.presign("ok/private", fields={"acl": "private", "x-amz-storage-class": "STANDARD"},
                         conditions=[{"acl": "private"}, {"x-amz-storage-class": "STANDARD"}])
        self.assertEqual(self.post(p["fields"]).status_code, 204)
        self.assertEqual(requests.get(self.url + "/ok/private", timeout=30).status_code, 403)

    def test_a_policy_condition_on_x_amz_acl_sees_the_acl_field(self):
        deny = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::%s/*" % BUCKET,
            "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}}}]}
        self.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(deny))
        try:
            p = self.presign("deny/acl", fields={"acl": "public-read"},
                             conditions=[{"acl": "public-read"}])
            self.assertError(self.post(p["fields"]), 403, "AccessDenied", "Access Denied")
            self.assertAbsent("deny/acl")
            p = self.presign("ok/acl-private", fields={"acl": "private"},
                             conditions=[{"acl": "private"}])
            self.assertEqual(self.post(p["fields"]).status_code, 204)
        finally:
            self.s3.delete_bucket_policy(Bucket=BUCKET)

    def test_acl_field_makes_the_object_public(self):
        p = self.presign("ok/public", fields={"acl": "public-read"},
                         conditions=[{"acl": "public-read"}])
        self.assertEqual(self.post(p["fields"], b"seen by all").status_code, 204)
        r = requests.get(self.url + "/ok/public", timeout=30)  # anonymous
        self.assertEqual((r.status_code, r.content), (200, b"seen by all"))

    def test_malformed_bodies(self):
        p = self.presign("deny/malformed")
        msg = "The body of your POST request is not well-formed multipart/form-data."
        r = requests.post(self.url, data=b"--x\r\n", timeout=30,
                          headers={"Content-Type": "multipart/form-data"})
        self.assertError(r, 400, "MalformedPOSTRequest", msg)
        req = requests.Request("POST", self.url, data=p["fields"],
                               files={"file": ("a", b"1")}).prepare()
        cut = req.body[:-30]  # no close delimiter: the body ends inside the file
        r = requests.post(self.url, data=cut, timeout=30,
                          headers={"Content-Type": req.headers["Content-Type"]})
        self.assertError(r, 400, "MalformedPOSTRequest", msg)
        self.assertAbsent("deny/malformed")

    def test_fields_over_20_kib(self):
        p = self.presign("deny/big", fields={"x-amz-meta-pad": "p" * 21000},
                         conditions=[["starts-with", "$x-amz-meta-pad", ""]])
        r = self.post(p["fields"])
        self.assertError(r, 400, "MaxPostPreDataLengthExceeded",
                         "Your POST request fields preceeding the upload file was too large.")
        self.assertAbsent("deny/big")

    # ---- other clients ----

    def test_curl_form_with_own_signer(self):
        if not shutil.which("curl"):
            self.skipTest("curl is not installed")
        body = data(70000, 11)
        path = os.path.join(self.tmp, "curl.bin")
        with open(path, "wb") as f:
            f.write(body)
        fields = dict(sign_post([{"bucket": BUCKET}, ["starts-with", "$key", "curl/"],
                                 {"Content-Type": "application/x-curl"},
                                 ["content-length-range", 1, 100000]]),
                      key="curl/${filename}", **{"Content-Type": "application/x-curl"})
        cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"]
        for k, v in fields.items():
            cmd += ["--form-string", "%s=%s" % (k, v)]
        cmd += ["-F", "file=@%s;filename=from-curl.bin" % path, self.url]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, timeout=60).stdout
        self.assertEqual(out, b"204")
        o = self.get("curl/from-curl.bin")
        self.assertEqual((o["Body"].read(), o["ContentType"]), (body, "application/x-curl"))

    def node(self, script, *args):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        d = os.path.dirname(script)
        if not os.path.isdir(os.path.join(d, "node_modules")):
            self.skipTest("npm packages are not installed in %s" % d)
        p = subprocess.run(["node", script] + [str(a) for a in args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if p.returncode == SKIP_EXIT:
            self.skipTest(p.stdout.decode().strip().removeprefix("SKIP "))
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        return json.loads(p.stdout.decode().strip().splitlines()[-1])

    def test_minio_js_presigned_post_policy(self):
        body = data(40000, 13)
        path = os.path.join(self.tmp, "minio.bin")
        with open(path, "wb") as f:
            f.write(body)
        out = self.node(os.path.join(NODE_DIR, "minio_post.mjs"), self.srv.port, ACCESS, SECRET,
                        BUCKET, "minio/object.bin", path)
        self.assertEqual((out["status"], out["body"]), (204, ""), out)
        self.assertEqual(out["fields"]["bucket"], BUCKET)
        o = self.get("minio/object.bin")
        self.assertEqual((o["Body"].read(), o["ContentType"], o["Metadata"]),
                         (body, "application/x-minio-test", {"origin": "minio-js"}))
        # its content-length-range holds: one byte over is refused
        out = self.node(os.path.join(NODE_DIR, "minio_post.mjs"), self.srv.port, ACCESS, SECRET,
                        BUCKET, "minio/too-big.bin", path, len(body) - 1)
        self.assertEqual(out["status"], 400)
        self.assertIn("<Code>EntityTooLarge</Code>", out["body"])
        self.assertAbsent("minio/too-big.bin")

    def test_20_mib_file_streams(self):
        big = data(20 << 20, 17)
        # a PutObject of the same size first: the server's peak with a streamed body
        self.s3.put_object(Bucket=BUCKET, Key="big/put", Body=big)
        before = peak_rss(self.srv.proc.pid)
        p = self.presign("big/${filename}", conditions=[["content-length-range", 0, 25 << 20]])
        r = self.post(p["fields"], big, filename="twenty.bin")
        self.assertEqual(r.status_code, 204)
        self.assertEqual(r.headers["ETag"], '"%s"' % hashlib.md5(big).hexdigest())
        grew = peak_rss(self.srv.proc.pid) - before
        self.assertLess(grew, (20 << 20) // 3, "peak RSS grew by %d bytes" % grew)
        self.assertEqual(self.get("big/twenty.bin")["Body"].read(), big)

    def test_html_form_in_chromium(self):
        done = []

        class Pages(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                if u.path == "/form":
                    body = form_page.encode()
                elif u.path == "/done":
                    done.append(urllib.parse.parse_qs(u.query))
                    body = b"<html><body>uploaded</body></html>"
                else:  # the browser's /favicon.ico
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
        threading.Thread(target=pages.serve_forever, daemon=True).start()
        try:
            base = "http://127.0.0.1:%d" % pages.server_address[1]
            p = self.presign("browser/${filename}",
                             fields={"success_action_redirect": base + "/done",
                                     "Content-Type": "text/plain"},
                             conditions=[{"success_action_redirect": base + "/done"},
                                         ["starts-with", "$Content-Type", "text/"],
                                         ["content-length-range", 1, 1 << 20]])
            inputs = "\n".join('<input type="hidden" name="%s" value="%s">'
                               % (html.escape(k), html.escape(v)) for k, v in p["fields"].items())
            form_page = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>upload</title>'
                         '</head><body><form action="%s" method="post" '
                         'enctype="multipart/form-data">%s\n<input type="file" name="file">\n'
                         '<input type="submit" name="submit" value="Upload"></form></body></html>'
                         % (html.escape(p["url"]), inputs))
            body = data(100000, 19)
            path = os.path.join(self.tmp, "from-browser.txt")
            with open(path, "wb") as f:
                f.write(body)
            shot = os.environ.get("COFFER_POST_SCREENSHOT", "")
            out = self.node(os.path.join(BROWSER_DIR, "submit_form.mjs"), base + "/form", path,
                            base + "/done", *([shot] if shot else []))
            etag = hashlib.md5(body).hexdigest()
            self.assertEqual(out["text"], "uploaded")
            self.assertEqual(done, [{"bucket": [BUCKET], "key": ["browser/from-browser.txt"],
                                     "etag": ['"%s"' % etag]}])
            o = self.get("browser/from-browser.txt")
            self.assertEqual((o["Body"].read(), o["ContentType"]), (body, "text/plain"))
        finally:
            pages.shutdown()
            pages.server_close()


class Result(unittest.TextTestResult):
    """PASS/FAIL/SKIP lines, one per check."""

    def addSuccess(self, test):
        super().addSuccess(test)
        print("PASS %s" % test.id().split(".")[-1], flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        print("FAIL %s" % test.id().split(".")[-1], flush=True)

    def addError(self, test, err):
        super().addError(test, err)
        print("FAIL %s (error)" % test.id().split(".")[-1], flush=True)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print("SKIP %s: %s" % (test.id().split(".")[-1], reason), flush=True)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            print("FAIL %s" % subtest.id().split(".")[-1], flush=True)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(PostObjectTest)
    runner = unittest.TextTestRunner(stream=open(os.devnull, "w"), resultclass=Result)
    result = runner.run(suite)
    for test, tb in result.failures + result.errors:
        print("---- %s\n%s" % (test.id(), tb))
    failed = len({t.id() for t, _ in result.failures + result.errors})
    skipped = len(result.skipped)
    print("RESULT: %d passed, %d failed%s" % (result.testsRun - failed - skipped, failed,
                                             ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
