"""s3_sigv2_test.py -- SigV2, the region hint and CreateBucket's LocationConstraint,
driven by the real clients against the real binary (tests/it/sigv2.sh runs it).

Two servers: A in us-east-1 (virtual-host domain s3.test, as server.py starts
every server), B in eu-central-1. Each check asserts bytes, or a status with
its S3 error code (and message or extra element where S3 has one):

- SigV2 presigned URLs made by the AWS CLI v1 (`python3 -m awscli s3
  presign`, whose default is SigV2), boto3's default generate_presigned_url
  (get_object, put_object; path-style and virtual-host) and `s3cmd signurl`,
  then fetched (or uploaded) with plain curl;
- SigV2 header requests by boto3 with Config(signature_version='s3'): put
  with x-amz-meta, get, head, list, ?acl, ?tagging, ?delete (Content-MD5
  signed), a multipart upload (?uploads, ?partNumber&uploadId), delete,
  and a get by virtual-host addressing;
- refusals: an expired V2 URL (403 AccessDenied "Request has expired" with
  <Expires>), a tampered one (403 SignatureDoesNotMatch), an unknown key
  (403 InvalidAccessKeyId), a malformed header (400 InvalidArgument);
- the region hint: curl --aws-sigv4 for the wrong region gets 400
  AuthorizationHeaderMalformed with S3's message and <Region>; a SigV4 URL
  for the wrong region 400 AuthorizationQueryParametersError with <Region>;
  s3cmd with a default configuration (bucket_location US, SigV4) does mb,
  ls, put, get, del, rb on B, re-signing for the region it is told;
- CreateBucket: the server's region, "US" on us-east-1, an empty
  constraint are accepted; another region is 400
  IllegalLocationConstraintException with S3's message; a body that is not
  XML is 400 MalformedXML.

Prints PASS/FAIL/SKIP per check and "RESULT: N passed, N failed[, N skipped]".
A client the machine lacks is a SKIP, never a PASS.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET

import boto3
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer  # noqa: E402
from s3_helpers import data  # noqa: E402

RESULTS = {"passed": 0, "failed": 0, "skipped": 0}
TMP = tempfile.mkdtemp(prefix="coffer-sigv2-")


def check(name, fn):
    """Runs fn; PASS when it returns without raising."""
    try:
        fn()
    except Exception:  # noqa: BLE001 -- every failure is reported, then the next check runs
        RESULTS["failed"] += 1
        print("FAIL %s" % name)
        for line in traceback.format_exc().strip().splitlines()[-6:]:
            print("    " + line)
        return
    RESULTS["passed"] += 1
    print("PASS %s" % name)


def skip(name, why):
    RESULTS["skipped"] += 1
    print("SKIP %s: %s" % (name, why))


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def run(args, env=None, **kw):
    p = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120, **kw)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (args[0], p.returncode, out[-2000:]))
    return out


def curl(url, *args, resolve=None):
    """curl a URL: (status, body bytes)."""
    cmd = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", url] + list(args)
    if resolve:
        cmd += ["--resolve", resolve]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=60)
    body, _, status = p.stdout.rpartition(b"\n")
    return int(status), body


def error_is(status_body, status, code, message=None, **elements):
    """An S3 error body with this status, code, message and extra elements."""
    got_status, body = status_body
    eq(got_status, status, "status (body %r)" % body)
    root = ET.fromstring(body)
    eq(root.tag, "Error", "root")
    eq(root.findtext("Code"), code, "code")
    if message is not None:
        eq(root.findtext("Message"), message, "message")
    for name, value in elements.items():
        got = root.findtext(name)
        if value is None:
            if not got:
                raise AssertionError("no <%s> in %r" % (name, body))
        else:
            eq(got, value, "<%s>" % name)


def client(endpoint, region="us-east-1", sig=None, style="path", access=ACCESS, secret=SECRET):
    cfg = {"s3": {"addressing_style": style}, "retries": {"max_attempts": 1}}
    if sig:
        cfg["signature_version"] = sig
    return boto3.client("s3", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=Config(**cfg))


def client_error(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"],
                e.response["Error"].get("Message"))
    raise AssertionError("no error")


def signed_v4(endpoint, method, path, region, body=b"", presign=False):
    """A SigV4 request signed for region, sent with curl: (status, body)."""
    req = AWSRequest(method=method, url=endpoint + path, data=body)
    creds = Credentials(ACCESS, SECRET)
    if presign:
        S3SigV4QueryAuth(creds, "s3", region, expires=60).add_auth(req)
        return curl(req.url, "-X", method)
    req.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    S3SigV4Auth(creds, "s3", region).add_auth(req)
    args = ["-X", method]
    for k, v in req.headers.items():
        args += ["-H", "%s: %s" % (k, v)]
    if body:
        args += ["--data-binary", body]
    return curl(req.url, *args)


# ---- virtual-host names resolve to the loopback address (the servers' domain is s3.test) ----

_getaddrinfo = socket.getaddrinfo


def _resolve_test_domain(host, *args, **kw):
    if isinstance(host, str) and (host == "s3.test" or host.endswith(".s3.test")):
        host = "127.0.0.1"
    return _getaddrinfo(host, *args, **kw)


socket.getaddrinfo = _resolve_test_domain


# ---- the checks ----

BODY = data(70000, seed=7)
KEY = "dir/hello world+1~.txt"


def awscli_v1():
    """argv prefix of the AWS CLI v1 in this python, or None."""
    try:
        import awscli  # noqa: F401
    except ImportError:
        return None
    cmd = [sys.executable, "-m", "awscli"]
    out = subprocess.run(cmd + ["--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return cmd if out.stdout.startswith(b"aws-cli/1.") else None


def presigned_checks(a):
    ep = a.endpoint
    v4 = client(ep, sig="s3v4")
    v4.create_bucket(Bucket="v2bkt")
    v4.put_object(Bucket="v2bkt", Key=KEY, Body=BODY)

    cli = awscli_v1()
    if cli is None:
        skip("aws cli v1 presign + curl", "the AWS CLI v1 (python3 -m awscli) is not installed")
    else:
        def aws_presign():
            cfg = os.path.join(TMP, "aws-empty.config")
            open(cfg, "w").close()
            env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET,
                       AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=cfg,
                       AWS_SHARED_CREDENTIALS_FILE=os.devnull)
            url = run(cli + ["--endpoint-url", ep, "s3", "presign", "s3://v2bkt/" + KEY,
                             "--expires-in", "300"], env=env).strip()
            if "AWSAccessKeyId=" not in url or "X-Amz-" in url:
                raise AssertionError("not a SigV2 URL: " + url)
            eq(curl(url), (200, BODY), "bytes")
        check("aws cli v1 s3 presign (SigV2) + curl GET bytes", aws_presign)

    def boto3_get():
        url = client(ep).generate_presigned_url("get_object",
                                                Params={"Bucket": "v2bkt", "Key": KEY})
        if "AWSAccessKeyId=" not in url:
            raise AssertionError("not a SigV2 URL: " + url)
        eq(curl(url), (200, BODY), "bytes")
    check("boto3 default generate_presigned_url get_object (SigV2) + curl bytes", boto3_get)

    def boto3_get_override():
        url = client(ep).generate_presigned_url(
            "get_object", Params={"Bucket": "v2bkt", "Key": KEY,
                                  "ResponseContentType": "text/x-test; a=b"})
        if "response-content-type=" not in url:
            raise AssertionError(url)
        st, body = curl(url, "-D", os.path.join(TMP, "h"))
        eq((st, body), (200, BODY), "bytes")
        heads = open(os.path.join(TMP, "h")).read().lower()
        if "content-type: text/x-test; a=b" not in heads:
            raise AssertionError(heads)
    check("boto3 presigned get_object with a signed response-content-type", boto3_get_override)

    def boto3_vhost():
        c = client("http://s3.test:%d" % a.port, style="virtual")
        url = c.generate_presigned_url("get_object", Params={"Bucket": "v2bkt", "Key": KEY})
        if not url.startswith("http://v2bkt.s3.test:%d/" % a.port):
            raise AssertionError(url)
        eq(curl(url, resolve="v2bkt.s3.test:%d:127.0.0.1" % a.port), (200, BODY), "bytes")
    check("boto3 presigned get_object, virtual-host (bucket in the resource) + curl", boto3_vhost)

    def boto3_put():
        new = data(1000, seed=8)
        url = client(ep).generate_presigned_url("put_object",
                                                Params={"Bucket": "v2bkt", "Key": "up/put"})
        if "AWSAccessKeyId=" not in url:
            raise AssertionError(url)
        path = os.path.join(TMP, "put-body")
        with open(path, "wb") as f:
            f.write(new)
        st, _ = curl(url, "-T", path)
        eq(st, 200, "PUT status")
        eq(v4.get_object(Bucket="v2bkt", Key="up/put")["Body"].read(), new, "bytes stored")
    check("boto3 default generate_presigned_url put_object (SigV2) + curl -T, bytes stored",
          boto3_put)

    def boto3_put_typed():
        new = b"typed\n"
        url = client(ep).generate_presigned_url(
            "put_object", Params={"Bucket": "v2bkt", "Key": "up/typed",
                                  "ContentType": "text/plain"})
        st, _ = curl(url, "-X", "PUT", "-H", "Content-Type: text/plain", "--data-binary", new)
        eq(st, 200, "PUT with the signed Content-Type")
        h = v4.head_object(Bucket="v2bkt", Key="up/typed")
        eq((h["ContentType"], h["ContentLength"]), ("text/plain", len(new)), "stored")
        error_is(curl(url, "-X", "PUT", "-H", "Content-Type: text/html", "--data-binary", new),
                 403, "SignatureDoesNotMatch")
    check("boto3 presigned put_object with ContentType: PUT with that type; another refused",
          boto3_put_typed)

    if shutil.which("s3cmd") is None:
        skip("s3cmd signurl + curl", "s3cmd is not installed")
    else:
        def s3cmd_signurl():
            cfg = os.path.join(TMP, "s3cfg-a")
            with open(cfg, "w") as f:
                f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%d\n"
                        "host_bucket = 127.0.0.1:%d\nuse_https = False\n"
                        % (ACCESS, SECRET, a.port, a.port))
            url = run(["s3cmd", "-c", cfg, "signurl", "s3://v2bkt/" + KEY, "+300"]).strip()
            if "AWSAccessKeyId=" not in url:
                raise AssertionError(url)
            eq(curl(url), (200, BODY), "bytes")
        check("s3cmd signurl + curl GET bytes", s3cmd_signurl)

    def expired():
        url = client(ep).generate_presigned_url("get_object",
                                                Params={"Bucket": "v2bkt", "Key": KEY},
                                                ExpiresIn=-5)
        error_is(curl(url), 403, "AccessDenied", "Request has expired", Expires=None,
                 ServerTime=None)
    check("an expired SigV2 URL: 403 AccessDenied Request has expired, <Expires>", expired)

    def tampered():
        url = client(ep).generate_presigned_url("get_object",
                                                Params={"Bucket": "v2bkt", "Key": KEY})
        exp = int(re.search(r"Expires=(\d+)", url).group(1))
        error_is(curl(url.replace("Expires=%d" % exp, "Expires=%d" % (exp + 1))), 403,
                 "SignatureDoesNotMatch")
        error_is(curl(url.replace("hello", "hellO")), 403, "SignatureDoesNotMatch")
        error_is(curl(url + "&versionId=x"), 403, "SignatureDoesNotMatch")
    check("a tampered SigV2 URL (Expires, key, an added sub-resource): SignatureDoesNotMatch",
          tampered)

    def unknown_key():
        c = client(ep, sig="s3", access="CFUNKNOWNKEY00000001")
        eq(client_error(c.get_object, Bucket="v2bkt", Key=KEY)[:2],
           (403, "InvalidAccessKeyId"), "unknown key")
        c = client(ep, sig="s3", secret="wrong/secret+0123456789abcdefghijklmnopq")
        eq(client_error(c.get_object, Bucket="v2bkt", Key=KEY)[:2],
           (403, "SignatureDoesNotMatch"), "wrong secret")
    check("SigV2 header with an unknown key / a wrong secret: 403 InvalidAccessKeyId / "
          "SignatureDoesNotMatch", unknown_key)

    def malformed():
        error_is(curl(ep + "/v2bkt/x", "-H", "Authorization: AWS nocolon",
                      "-H", "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
                 400, "InvalidArgument",
                 "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
        error_is(curl(ep + "/v2bkt/x?AWSAccessKeyId=%s&Expires=1" % ACCESS), 403, "AccessDenied",
                 "Query-string authentication requires the Signature, Expires and "
                 "AWSAccessKeyId parameters")
    check("a malformed SigV2 header / query: 400 InvalidArgument / 403 AccessDenied", malformed)


def header_checks(a):
    ep = a.endpoint
    c = client(ep, sig="s3")
    v4 = client(ep, sig="s3v4")
    body = data(3000, seed=9)

    def put_get():
        c.put_object(Bucket="v2bkt", Key="h/one two", Body=body, Metadata={"k1": " v1 "},
                     ContentType="application/x-thing")
        got = c.get_object(Bucket="v2bkt", Key="h/one two")
        eq(got["Body"].read(), body, "bytes")
        eq(got["Metadata"], {"k1": "v1"}, "metadata")
        eq(got["ContentType"], "application/x-thing", "type")
        h = c.head_object(Bucket="v2bkt", Key="h/one two")
        eq(h["ContentLength"], len(body), "head")
    check("boto3 s3 (SigV2 header): put with x-amz-meta, get bytes + meta, head", put_get)

    def listing():
        keys = [o["Key"] for o in c.list_objects(Bucket="v2bkt", Prefix="h/")["Contents"]]
        eq(keys, ["h/one two"], "list v1")
        keys = [o["Key"] for o in c.list_objects_v2(Bucket="v2bkt", Prefix="h/")["Contents"]]
        eq(keys, ["h/one two"], "list v2")
        names = [b["Name"] for b in c.list_buckets()["Buckets"]]
        if "v2bkt" not in names:
            raise AssertionError(names)
    check("boto3 s3 (SigV2 header): ListObjects, ListObjectsV2, ListBuckets", listing)

    def subresources():
        acl = c.get_object_acl(Bucket="v2bkt", Key="h/one two")
        eq(acl["Grants"][0]["Permission"], "FULL_CONTROL", "?acl")
        eq(c.get_bucket_acl(Bucket="v2bkt")["Owner"]["ID"], ACCESS, "bucket ?acl")
        c.put_object_tagging(Bucket="v2bkt", Key="h/one two",
                             Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
        eq(c.get_object_tagging(Bucket="v2bkt", Key="h/one two")["TagSet"],
           [{"Key": "t", "Value": "v"}], "?tagging")
        eq(c.get_bucket_location(Bucket="v2bkt")["LocationConstraint"], None, "?location")
    check("boto3 s3 (SigV2 header): ?acl, ?tagging, ?location", subresources)

    def multipart():
        part = data(5 << 20, seed=10)
        up = c.create_multipart_upload(Bucket="v2bkt", Key="h/mp")["UploadId"]
        e1 = c.upload_part(Bucket="v2bkt", Key="h/mp", UploadId=up, PartNumber=1,
                           Body=part)["ETag"]
        e2 = c.upload_part(Bucket="v2bkt", Key="h/mp", UploadId=up, PartNumber=2,
                           Body=b"tail")["ETag"]
        eq([p["PartNumber"] for p in c.list_parts(Bucket="v2bkt", Key="h/mp",
                                                   UploadId=up)["Parts"]], [1, 2], "?uploadId")
        c.complete_multipart_upload(Bucket="v2bkt", Key="h/mp", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        eq(v4.get_object(Bucket="v2bkt", Key="h/mp")["Body"].read(), part + b"tail", "bytes")
    check("boto3 s3 (SigV2 header): multipart (?uploads, ?partNumber&uploadId, complete)",
          multipart)

    def vhost():
        cv = client("http://s3.test:%d" % a.port, sig="s3", style="virtual")
        eq(cv.get_object(Bucket="v2bkt", Key="h/one two")["Body"].read(), body, "bytes")
        cv.put_object(Bucket="v2bkt", Key="h/vhost", Body=b"v")
        eq(v4.get_object(Bucket="v2bkt", Key="h/vhost")["Body"].read(), b"v", "stored")
    check("boto3 s3 (SigV2 header): get and put by virtual-host addressing", vhost)

    def deletes():
        c.put_object(Bucket="v2bkt", Key="h/d1", Body=b"1")
        c.put_object(Bucket="v2bkt", Key="h/d2", Body=b"2")
        r = c.delete_objects(Bucket="v2bkt", Delete={"Objects": [{"Key": "h/d1"},
                                                                  {"Key": "h/d2"}]})
        eq(sorted(d["Key"] for d in r["Deleted"]), ["h/d1", "h/d2"], "?delete")
        c.delete_object(Bucket="v2bkt", Key="h/vhost")
        eq(client_error(v4.head_object, Bucket="v2bkt", Key="h/vhost")[0], 404, "gone")
    check("boto3 s3 (SigV2 header): DeleteObjects (?delete, Content-MD5), DeleteObject", deletes)


def region_checks(b):
    ep = b.endpoint

    def curl_wrong_region():
        st_body = curl(ep + "/", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                       "%s:%s" % (ACCESS, SECRET), "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD")
        error_is(st_body, 400, "AuthorizationHeaderMalformed",
                 "The authorization header is malformed; the region 'us-east-1' is wrong; "
                 "expecting 'eu-central-1'", Region="eu-central-1")
        st, _ = curl(ep + "/", "--aws-sigv4", "aws:amz:eu-central-1:s3", "--user",
                     "%s:%s" % (ACCESS, SECRET), "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD")
        eq(st, 200, "the right region")
    check("curl --aws-sigv4 for the wrong region: 400 AuthorizationHeaderMalformed + <Region>",
          curl_wrong_region)

    def presigned_wrong_region():
        error_is(signed_v4(ep, "GET", "/", "us-west-2", presign=True), 400,
                 "AuthorizationQueryParametersError",
                 "Error parsing the X-Amz-Credential parameter; the region 'us-west-2' is wrong; "
                 "expecting 'eu-central-1'", Region="eu-central-1")
    check("a SigV4 URL for the wrong region: 400 AuthorizationQueryParametersError + <Region>",
          presigned_wrong_region)

    if shutil.which("s3cmd") is None:
        skip("s3cmd default config against eu-central-1", "s3cmd is not installed")
        return
    cfg = os.path.join(TMP, "s3cfg-b")
    with open(cfg, "w") as f:
        f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%d\n"
                "host_bucket = 127.0.0.1:%d\nuse_https = False\n" % (ACCESS, SECRET, b.port, b.port))
    s3cmd = ["s3cmd", "-c", cfg]
    src = os.path.join(TMP, "s3cmd-src")
    with open(src, "wb") as f:
        f.write(BODY)

    def mb():
        out = run(s3cmd + ["-v", "mb", "s3://hinted"])
        if "Forwarding request to eu-central-1" not in out:
            raise AssertionError("s3cmd did not follow the region hint:\n" + out)
        eq(client(ep, region="eu-central-1").head_bucket(Bucket="hinted")[
            "ResponseMetadata"]["HTTPStatusCode"], 200, "bucket exists")
    check("s3cmd default config (US, SigV4) mb on eu-central-1: follows <Region>", mb)
    check("s3cmd default config put", lambda: run(s3cmd + ["put", src, "s3://hinted/a/obj"]))

    def ls():
        if "s3://hinted/a/obj" not in run(s3cmd + ["ls", "s3://hinted/a/"]):
            raise AssertionError("object not listed")
        if "s3://hinted" not in run(s3cmd + ["ls"]):
            raise AssertionError("bucket not listed")
    check("s3cmd default config ls (bucket and service)", ls)

    def get():
        dst = os.path.join(TMP, "s3cmd-dst")
        run(s3cmd + ["get", "--force", "s3://hinted/a/obj", dst])
        eq(open(dst, "rb").read(), BODY, "bytes")
    check("s3cmd default config get bytes", get)
    check("s3cmd default config del", lambda: run(s3cmd + ["del", "s3://hinted/a/obj"]))

    def rb():
        run(s3cmd + ["rb", "s3://hinted"])
        eq(client_error(client(ep, region="eu-central-1").head_bucket, Bucket="hinted")[0], 404,
           "bucket gone")
    check("s3cmd default config rb", rb)


def location_checks(a, b):
    def body(region):
        return ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>"
                % region).encode()

    def accepted():
        cb = client(b.endpoint, region="eu-central-1", sig="s3v4")
        cb.create_bucket(Bucket="loc-ok", CreateBucketConfiguration={
            "LocationConstraint": "eu-central-1"})
        eq(cb.get_bucket_location(Bucket="loc-ok")["LocationConstraint"], "eu-central-1", "b")
        eq(signed_v4(a.endpoint, "PUT", "/loc-us", "us-east-1", body("US"))[0], 200, "US on A")
        eq(signed_v4(a.endpoint, "PUT", "/loc-empty", "us-east-1", body(""))[0], 200, "empty")
        eq(signed_v4(a.endpoint, "PUT", "/loc-east", "us-east-1", body("us-east-1"))[0], 200,
           "us-east-1 on A")
        eq(signed_v4(b.endpoint, "PUT", "/loc-none", "eu-central-1")[0], 200, "no body on B")
    check("CreateBucket: the server's region, US on us-east-1, empty, absent: 200", accepted)

    def refused():
        error_is(signed_v4(b.endpoint, "PUT", "/loc-bad", "eu-central-1", body("us-west-2")), 400,
                 "IllegalLocationConstraintException",
                 "The us-west-2 location constraint is incompatible for the region specific "
                 "endpoint this request was sent to.")
        error_is(signed_v4(b.endpoint, "PUT", "/loc-bad", "eu-central-1", body("US")), 400,
                 "IllegalLocationConstraintException")
        error_is(signed_v4(a.endpoint, "PUT", "/loc-bad", "us-east-1", body("EU")), 400,
                 "IllegalLocationConstraintException")
        error_is(signed_v4(a.endpoint, "PUT", "/loc-bad", "us-east-1", b"<Create"), 400,
                 "MalformedXML")
        error_is(signed_v4(a.endpoint, "PUT", "/loc-bad", "us-east-1", b"<Other/>"), 400,
                 "MalformedXML")
        cb = client(b.endpoint, region="eu-central-1", sig="s3v4")
        eq(client_error(cb.head_bucket, Bucket="loc-bad")[0], 404, "not created")
    check("CreateBucket: another region 400 IllegalLocationConstraintException, not XML "
          "400 MalformedXML, nothing created", refused)

    cli = awscli_v1()
    if cli is None:
        skip("aws cli v1 mb on eu-central-1", "the AWS CLI v1 is not installed")
        return

    def cli_mb():
        cfg = os.path.join(TMP, "aws-empty.config")
        open(cfg, "w").close()
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_DEFAULT_REGION="eu-central-1", AWS_CONFIG_FILE=cfg,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        run(cli + ["--endpoint-url", b.endpoint, "s3", "mb", "s3://cli-eu"], env=env)
        eq(client(b.endpoint, region="eu-central-1").get_bucket_location(Bucket="cli-eu")[
            "LocationConstraint"], "eu-central-1", "location")
    check("aws cli v1 s3 mb with region eu-central-1 (LocationConstraint sent)", cli_mb)


def main():
    a = CofferServer()
    b = CofferServer(env={"COFFER_REGION": "eu-central-1"})
    try:
        a.start()
        b.start()
        presigned_checks(a)
        header_checks(a)
        region_checks(b)
        location_checks(a, b)
    finally:
        for s in (a, b):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 -- a sanitizer report fails the run
                RESULTS["failed"] += 1
                print("FAIL server stop: %s" % e)
        shutil.rmtree(TMP, ignore_errors=True)
    print("RESULT: %d passed, %d failed%s" % (
        RESULTS["passed"], RESULTS["failed"],
        ", %d skipped" % RESULTS["skipped"] if RESULTS["skipped"] else ""))
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
