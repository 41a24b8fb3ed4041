"""s3_cdc_test.py -- the change log (doc/cdc.md) against the real binary.

- settings: GET/PUT /BUCKET?cdc, defaults, every refusal with S3's code
  (MalformedJSON, InvalidArgument, AccessDenied for another user, NoSuchBucket);
- a scripted sequence of PUT, overwrite, POST (browser form), CopyObject,
  multipart completion, tagging, ACL, DELETE, DeleteObjects (one record per
  deleted key, none for a missing key), a refused conditional PUT and a
  delete of a missing key appears in the log exactly, in order, with nothing
  extra, each record naming its operation, signer and request id;
- the view bucket coffer-cdc with boto3: listing in time order (paged),
  HEAD/GET, ranged GETs from a consumer's offset returning only the new whole
  lines, 416 at the end, conditionals; read-only (AccessDenied, and
  BucketAlreadyExists for CreateBucket); authorized by s3:ListBucket on the
  logged bucket (another user sees nothing until a policy grants it);
- a bucket deleted and created again shows nothing of the old log;
- retention drops whole windows (--sweep-interval 1);
- the log survives a restart and continues; `coffer check` verifies it;
- stock clients read it with no special settings: AWS CLI (v1, v2), rclone;
- the example consumer doc/examples/cdc_consumer.py, interrupted half-way and
  resumed, applies every record exactly once and mirrors the bucket.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, BINARY, ROOT, SECRET, CofferServer  # noqa: E402
from s3_helpers import code_of, error_of, make_client, run_module, signed_request  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

VIEW = "coffer-cdc"
OTHER, OTHER_SECRET = "CFOTHERUSER000000001", "othersecret0123456789abcdefghijklmnopqr"
CONSUMER = os.path.join(ROOT, "doc", "examples", "cdc_consumer.py")
SRV = None


def server():
    return SRV


def setUpModule():
    global SRV
    SRV = CofferServer(args=["--sweep-interval", "1"])
    SRV.add_user(OTHER, OTHER_SECRET)
    SRV.start()


def settings(bucket, body=None, access=ACCESS, secret=SECRET):
    if body is None:
        return signed_request(SRV.endpoint, "GET", "/%s?cdc" % bucket, access=access, secret=secret)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return signed_request(SRV.endpoint, "PUT", "/%s?cdc" % bucket, raw, access=access, secret=secret)


def enable(bucket, window=3600, retention=86400):
    st, body = settings(bucket, {"enabled": True, "window_seconds": window,
                                 "retention_seconds": retention})
    assert st == 200, (st, body)


def windows(s3, bucket):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=VIEW, Prefix=bucket + "/",
                                                            PaginationConfig={"PageSize": 2}):
        out += page.get("Contents", [])
    return out


def log_records(s3, bucket):
    recs = []
    for w in windows(s3, bucket):
        body = s3.get_object(Bucket=VIEW, Key=w["Key"])["Body"].read()
        assert len(body) == w["Size"], (len(body), w["Size"])
        recs += [json.loads(line) for line in body.splitlines()]
    return recs


class CdcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.clients()

    @classmethod
    def clients(cls):
        cls.s3 = make_client(SRV.endpoint)
        cls.other = make_client(SRV.endpoint, access=OTHER, secret=OTHER_SECRET)

    def restart(self, between=None):
        """Stops the server, runs between() while it is down, starts it again (a new port)."""
        SRV.stop()
        if between:
            between()
        SRV.start()
        self.clients()

    def bucket(self, name):
        self.s3.create_bucket(Bucket=name)
        return name

    def test_settings_defaults_and_refusals(self):
        """GET|PUT ?cdc settings"""
        b = self.bucket("cdc-settings")
        st, body = settings(b)
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), {"enabled": False, "window_seconds": 60,
                                            "retention_seconds": 604800,
                                            "view": "s3://coffer-cdc/cdc-settings/"})
        st, body = settings(b, {"enabled": True})
        self.assertEqual((st, json.loads(body)["enabled"]), (200, True))
        self.assertEqual(json.loads(settings(b)[1])["window_seconds"], 60)
        for bad, code in [(b"{not json", "MalformedJSON"), ({"window_seconds": 5}, "MalformedJSON"),
                          ({"enabled": True, "bogus": 1}, "MalformedJSON"),
                          ({"enabled": "yes"}, "MalformedJSON"),
                          ({"enabled": True, "window_seconds": 0}, "InvalidArgument"),
                          ({"enabled": True, "window_seconds": 86401}, "InvalidArgument"),
                          ({"enabled": True, "window_seconds": 60, "retention_seconds": 59},
                           "InvalidArgument")]:
            st, body = settings(b, bad)
            self.assertEqual((st, error_of(body)[0]), (400, code), bad)
        self.assertEqual(json.loads(settings(b)[1])["enabled"], True)  # nothing changed
        st, body = settings(b, {"enabled": False}, access=OTHER, secret=OTHER_SECRET)
        self.assertEqual((st, error_of(body)[0]), (403, "AccessDenied"))
        st, body = settings(b, access=OTHER, secret=OTHER_SECRET)
        self.assertEqual((st, error_of(body)[0]), (403, "AccessDenied"))
        st, body = settings("no-such-bucket-here")
        self.assertEqual((st, error_of(body)[0]), (404, "NoSuchBucket"))

    def test_every_change_exactly_once_in_order(self):
        """a scripted sequence appears in the log exactly"""
        b = self.bucket("cdc-sequence")
        s3 = self.s3
        s3.put_object(Bucket=b, Key="before", Body=b"not logged")  # the log is off
        enable(b)
        s3.put_object(Bucket=b, Key="a.txt", Body=b"one", Metadata={"m": "1"},
                      ContentType="text/plain")
        s3.put_object(Bucket=b, Key="a.txt", Body=b"second")
        post = s3.generate_presigned_post(b, "form.txt")
        r = requests.post(post["url"], data=post["fields"], files={"file": ("f", b"from a form")})
        self.assertEqual(r.status_code, 204, r.text)
        s3.copy_object(Bucket=b, Key="copy.txt", CopySource={"Bucket": b, "Key": "a.txt"})
        up = s3.create_multipart_upload(Bucket=b, Key="big.bin")
        parts = []
        for n, body in enumerate([b"x" * (5 << 20), b"tail"], 1):
            e = s3.upload_part(Bucket=b, Key="big.bin", UploadId=up["UploadId"], PartNumber=n,
                               Body=body)["ETag"]
            parts.append({"PartNumber": n, "ETag": e})
        s3.complete_multipart_upload(Bucket=b, Key="big.bin", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": parts})
        s3.put_object_tagging(Bucket=b, Key="copy.txt",
                              Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        s3.put_object_acl(Bucket=b, Key="copy.txt", ACL="public-read")
        with self.assertRaises(ClientError) as cm:  # refused: no record
            s3.put_object(Bucket=b, Key="a.txt", Body=b"x", IfNoneMatch="*")
        self.assertEqual(code_of(cm.exception), ("PreconditionFailed", 412))
        s3.delete_object(Bucket=b, Key="a.txt")
        s3.delete_object(Bucket=b, Key="a.txt")  # missing: 204, no record
        s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "form.txt"}, {"Key": "nope"},
                                                        {"Key": "before"}]})
        recs = log_records(s3, b)
        got = [(r["event"], r["op"], r["key"], r["size"]) for r in recs]
        self.assertEqual(got, [
            ("put", "PutObject", "a.txt", 3),
            ("put", "PutObject", "a.txt", 6),
            ("put", "PostObject", "form.txt", 11),
            ("put", "CopyObject", "copy.txt", 6),
            ("put", "CompleteMultipartUpload", "big.bin", (5 << 20) + 4),
            ("update", "PutObjectTagging", "copy.txt", 6),
            ("update", "PutObjectAcl", "copy.txt", 6),
            ("delete", "DeleteObject", "a.txt", None),
            ("delete", "DeleteObjects", "form.txt", None),
            ("delete", "DeleteObjects", "before", None),
        ])
        self.assertEqual([r["seq"] for r in recs], list(range(1, 11)))
        self.assertEqual(sorted(r["time"] for r in recs), [r["time"] for r in recs])
        self.assertEqual(len({r["time"] for r in recs}), 10)
        first = recs[0]
        head = s3.head_object(Bucket=b, Key="copy.txt")
        self.assertEqual(first["meta"], {"m": "1"})
        self.assertEqual(first["content_type"], "text/plain")
        self.assertEqual(first["access_key"], ACCESS)
        self.assertRegex(first["request_id"], "^[0-9A-F]{16}$")
        self.assertEqual(recs[3]["etag"], head["ETag"])
        self.assertEqual(recs[5]["tags"], "t=v")
        self.assertTrue(all(r["v"] == 1 and r["bucket"] == b and r["version_id"] is None
                            for r in recs))
        self.assertEqual([r["deleted"] for r in recs], [False] * 7 + [True] * 3)

    def test_view_listing_get_range_and_tail(self):
        """coffer-cdc view: list, GET, ranges, tail"""
        b = self.bucket("cdc-tail")
        enable(b)
        s3 = self.s3
        s3.put_object(Bucket=b, Key="k1", Body=b"1")
        ws = windows(s3, b)
        self.assertEqual(len(ws), 1)
        key = ws[0]["Key"]
        self.assertRegex(key, r"^cdc-tail/\d{4}/\d\d/\d\d/\d\d-\d\d-\d\d\.ndjson$")
        head = s3.head_object(Bucket=VIEW, Key=key)
        self.assertEqual(head["ContentType"], "application/x-ndjson")
        self.assertEqual(head["ContentLength"], ws[0]["Size"])
        self.assertEqual(head["ETag"], ws[0]["ETag"])
        offset = head["ContentLength"]
        with self.assertRaises(ClientError) as cm:  # a consumer at the end: nothing new yet
            s3.get_object(Bucket=VIEW, Key=key, Range="bytes=%d-" % offset)
        self.assertEqual(code_of(cm.exception), ("InvalidRange", 416))
        s3.put_object(Bucket=b, Key="k2", Body=b"22")
        s3.delete_object(Bucket=b, Key="k1")
        g = s3.get_object(Bucket=VIEW, Key=key, Range="bytes=%d-" % offset)
        new = g["Body"].read()
        self.assertTrue(g["ContentRange"].startswith("bytes %d-" % offset))
        lines = new.splitlines(keepends=True)
        self.assertEqual([json.loads(x)["key"] for x in lines], ["k2", "k1"])
        self.assertTrue(all(x.endswith(b"\n") for x in lines))
        whole = s3.get_object(Bucket=VIEW, Key=key)["Body"].read()
        self.assertEqual(whole[offset:], new)
        h2 = s3.head_object(Bucket=VIEW, Key=key)
        self.assertNotEqual(h2["ETag"], head["ETag"])  # it grew
        with self.assertRaises(ClientError) as cm:
            s3.get_object(Bucket=VIEW, Key=key, IfNoneMatch=h2["ETag"])
        self.assertEqual(code_of(cm.exception)[1], 304)
        for missing in [key.replace(".ndjson", ".json"), "cdc-tail/2020/01/01/00-00-00.ndjson",
                        "nobucket-x/2020/01/01/00-00-00.ndjson", "cdc-tail/2020/13/01/00-00-00.ndjson"]:
            with self.assertRaises(ClientError) as cm:
                s3.get_object(Bucket=VIEW, Key=missing)
            self.assertEqual(code_of(cm.exception), ("NoSuchKey", 404), missing)
        top = s3.list_objects_v2(Bucket=VIEW, Delimiter="/")
        self.assertIn({"Prefix": "cdc-tail/"}, top.get("CommonPrefixes", []))
        self.assertNotIn("Contents", top)
        v1 = s3.list_objects(Bucket=VIEW, Prefix=b + "/")
        self.assertEqual([o["Key"] for o in v1["Contents"]], [key])
        self.assertEqual(s3.head_bucket(Bucket=VIEW)["ResponseMetadata"]["HTTPStatusCode"], 200)

    def test_windows_in_time_order_and_paging(self):
        """windows list in time order, paged"""
        b = self.bucket("cdc-windows")
        enable(b, window=1, retention=3600)
        for i in range(4):
            self.s3.put_object(Bucket=b, Key="k%d" % i, Body=b"x")
            time.sleep(1.1)
        ws = windows(self.s3, b)  # pages of 2
        self.assertEqual(len(ws), 4)
        keys = [w["Key"] for w in ws]
        self.assertEqual(keys, sorted(keys))
        recs = log_records(self.s3, b)
        self.assertEqual([r["key"] for r in recs], ["k0", "k1", "k2", "k3"])
        self.assertEqual([r["seq"] for r in recs], [1, 1, 1, 1])  # numbered per window
        day = keys[0][:len("cdc-windows/2026/12/08/")]
        folded = self.s3.list_objects_v2(Bucket=VIEW, Prefix="cdc-windows/", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in folded["CommonPrefixes"]],
                         sorted({k[:len("cdc-windows/2026/")] for k in keys}))
        after = self.s3.list_objects_v2(Bucket=VIEW, Prefix=day, StartAfter=keys[1])
        self.assertEqual([o["Key"] for o in after.get("Contents", [])],
                         [k for k in keys[2:] if k.startswith(day)])

    def test_view_is_read_only(self):
        """writes to the view are refused"""
        b = self.bucket("cdc-readonly")
        enable(b)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        key = windows(self.s3, b)[0]["Key"]
        for call in [lambda: self.s3.put_object(Bucket=VIEW, Key=key, Body=b"forged\n"),
                     lambda: self.s3.delete_object(Bucket=VIEW, Key=key),
                     lambda: self.s3.delete_objects(Bucket=VIEW, Delete={"Objects": [{"Key": key}]}),
                     lambda: self.s3.create_multipart_upload(Bucket=VIEW, Key="x"),
                     lambda: self.s3.delete_bucket(Bucket=VIEW)]:
            with self.assertRaises(ClientError) as cm:
                call()
            self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        with self.assertRaises(ClientError) as cm:
            self.s3.create_bucket(Bucket=VIEW)
        self.assertEqual(code_of(cm.exception), ("BucketAlreadyExists", 409))
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object_tagging(Bucket=VIEW, Key=key)
        self.assertEqual(code_of(cm.exception), ("NotImplemented", 501))
        self.assertEqual(len(log_records(self.s3, b)), 1)  # untouched

    def test_view_authorized_like_its_bucket(self):
        """another user reads a log only with s3:ListBucket"""
        b = self.bucket("cdc-private")
        enable(b)
        self.s3.put_object(Bucket=b, Key="secret-name", Body=b"x")
        key = windows(self.s3, b)[0]["Key"]
        listed = self.other.list_objects_v2(Bucket=VIEW, Prefix=b + "/")
        self.assertEqual(listed.get("Contents", []), [])
        with self.assertRaises(ClientError) as cm:
            self.other.get_object(Bucket=VIEW, Key=key)
        self.assertEqual(code_of(cm.exception), ("AccessDenied", 403))
        anon = requests.get("%s/%s/%s" % (SRV.endpoint, VIEW, key))
        self.assertEqual((anon.status_code, error_of(anon.content)[0]), (403, "AccessDenied"))
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": [OTHER]}, "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::" + b}]}
        self.s3.put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
        body = self.other.get_object(Bucket=VIEW, Key=key)["Body"].read()
        self.assertEqual(json.loads(body)["key"], "secret-name")
        self.assertEqual([o["Key"] for o in
                          self.other.list_objects_v2(Bucket=VIEW, Prefix=b + "/")["Contents"]], [key])

    def test_recreated_bucket_shows_nothing_of_the_old_log(self):
        """a bucket deleted and created again starts a new log"""
        b = self.bucket("cdc-again")
        enable(b)
        self.s3.put_object(Bucket=b, Key="old", Body=b"x")
        self.s3.delete_object(Bucket=b, Key="old")
        self.assertEqual(len(log_records(self.s3, b)), 2)
        self.s3.delete_bucket(Bucket=b)
        self.s3.create_bucket(Bucket=b)
        self.assertEqual(windows(self.s3, b), [])
        self.assertFalse(json.loads(settings(b)[1])["enabled"])
        enable(b)
        self.s3.put_object(Bucket=b, Key="new", Body=b"y")
        self.assertEqual([r["key"] for r in log_records(self.s3, b)], ["new"])

    def test_retention_drops_whole_windows(self):
        """windows past retention are dropped"""
        b = self.bucket("cdc-retention")
        enable(b, window=1, retention=2)
        self.s3.put_object(Bucket=b, Key="k", Body=b"x")
        self.assertEqual(len(windows(self.s3, b)), 1)
        deadline = time.time() + 20
        while windows(self.s3, b) and time.time() < deadline:
            time.sleep(0.5)
        self.assertEqual(windows(self.s3, b), [])
        self.s3.put_object(Bucket=b, Key="k2", Body=b"x")
        self.assertEqual([r["key"] for r in log_records(self.s3, b)], ["k2"])

    def test_stock_clients_read_the_view(self):
        """AWS CLI and rclone read the view"""
        b = self.bucket("cdc-tools")
        enable(b)
        self.s3.put_object(Bucket=b, Key="tool.txt", Body=b"x")
        key = windows(self.s3, b)[0]["Key"]
        want = self.s3.get_object(Bucket=VIEW, Key=key)["Body"].read()
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        ran = []
        clis = [("aws-cli-v1", [sys.executable, "-m", "awscli"]), ("aws-cli-v2", ["/usr/bin/aws"])]
        for name, cmd in clis:
            if name == "aws-cli-v2" and not os.path.exists(cmd[0]):
                continue
            if name == "aws-cli-v1" and subprocess.run(cmd + ["--version"], env=env,
                                                       capture_output=True).returncode:
                continue
            ls = subprocess.run(cmd + ["--endpoint-url", SRV.endpoint, "s3", "ls", "--recursive",
                                       "s3://%s/%s/" % (VIEW, b)], env=env, capture_output=True)
            self.assertEqual(ls.returncode, 0, ls.stderr)
            self.assertIn(key.encode(), ls.stdout)
            cp = subprocess.run(cmd + ["--endpoint-url", SRV.endpoint, "s3", "cp",
                                       "s3://%s/%s" % (VIEW, key), "-"], env=env, capture_output=True)
            self.assertEqual((cp.returncode, cp.stdout), (0, want), cp.stderr)
            ran.append(name)
        if shutil.which("rclone"):
            remote = ":s3,provider=Other,endpoint='%s',access_key_id=%s,secret_access_key='%s':" % (
                SRV.endpoint, ACCESS, SECRET)
            plain = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}  # as tools.sh
            cat = subprocess.run(["rclone", "--config", "/dev/null", "cat", remote + VIEW + "/" + key],
                                 capture_output=True, env=plain)
            self.assertEqual((cat.returncode, cat.stdout), (0, want), cat.stderr)
            ran.append("rclone")
        if not ran:
            self.skipTest("no AWS CLI or rclone here")

    def test_example_consumer_exactly_once_across_restarts(self):
        """doc/examples/cdc_consumer.py resumes exactly once"""
        b = self.bucket("cdc-consumer")
        enable(b, window=1, retention=3600)
        state = os.path.join(tempfile.mkdtemp(prefix="cdc-consumer-"), "state.json")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="us-east-1")

        def run(*extra):
            p = subprocess.run([sys.executable, CONSUMER, "--endpoint", SRV.endpoint, "--bucket", b,
                                "--state", state] + list(extra), env=env, capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
            return int(p.stdout.split()[1])

        for i in range(6):
            self.s3.put_object(Bucket=b, Key="k%d" % (i % 4), Body=b"x" * i)
        self.assertEqual(run("--max-records", "4"), 4)  # interrupted half-way
        time.sleep(1.1)
        for i in range(6, 9):
            self.s3.put_object(Bucket=b, Key="k%d" % (i % 4), Body=b"y" * i)
        self.s3.delete_object(Bucket=b, Key="k1")
        self.restart()
        self.assertEqual(run(), 6)
        self.assertEqual(run(), 0)  # caught up: nothing applied twice
        with open(state) as f:
            st = json.load(f)
        self.assertEqual(st["applied"], 10)
        live = {o["Key"]: [o["Size"], o["ETag"]] for o in
                self.s3.list_objects_v2(Bucket=b).get("Contents", [])}
        self.assertEqual(st["mirror"], live)

    def test_restart_keeps_the_log_and_check_verifies_it(self):
        """the log survives a restart; coffer check reads it"""
        b = self.bucket("cdc-restart")
        enable(b)
        self.s3.put_object(Bucket=b, Key="r1", Body=b"x")
        before = windows(self.s3, b)
        out = []

        def check():
            chk = subprocess.run([BINARY, "check"], env=dict(os.environ, COFFER_DATA=SRV.data),
                                 capture_output=True, text=True)
            out.append((chk.returncode, chk.stdout + chk.stderr))

        self.restart(check)
        self.assertEqual(out[0][0], 0, out[0][1])
        self.assertRegex(out[0][1], r"change log: [1-9]\d* windows, [1-9]\d* records; 0 windows damaged")
        after = windows(self.s3, b)
        self.assertEqual([(w["Key"], w["Size"]) for w in after], [(w["Key"], w["Size"]) for w in before])
        self.s3.put_object(Bucket=b, Key="r2", Body=b"x")
        recs = log_records(self.s3, b)
        self.assertEqual([(r["key"], r["seq"]) for r in recs], [("r1", 1), ("r2", 2)])


if __name__ == "__main__":
    sys.exit(run_module(__name__, server=server))
