"""s3_access_test.py -- who may do what, proved with real clients against the real binary.

Each test asserts statuses, S3 error codes (and S3's fixed messages) and
bytes, and after every refusal that nothing changed: the object is absent
or its bytes are the old ones, the policy or ACL reads back as before.

- refused headers (src/s3/unsupported.c): one test per header coffer does
  not honour (encryption, SSE-C, object lock, website redirect, MFA, write
  offset, storage classes) and versionId other than "null";
- anonymous access and ACLs: canned x-amz-acl, x-amz-grant-* headers and
  AccessControlPolicy documents on objects and buckets, read back exactly;
- bucket policies: per-user grants with a condition, explicit Deny over
  Allow and over an ACL, the owner never locked out of the policy API,
  aws:SourceIp (a client bound to 127.0.0.2), MalformedPolicy leaving the
  old document in place, GetBucketPolicyStatus;
- public access block, Object Ownership (BucketOwnerEnforced, ObjectWriter,
  BucketOwnerPreferred), --bucket-defaults aws, x-amz-expected-bucket-owner;
- the real CLIs: s3cmd, the AWS CLI v2 (Debian) and v1 (the image), curl.

The bucket owner in these tests is a plain user (OWNER), not the admin: the
admin may do anything a policy does not explicitly deny, which would hide
what ownership and ACLs decide. Run: python3 tests/it/s3_access_test.py
(prints "RESULT: N passed, N failed[, N skipped]").
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer  # noqa: E402
from s3_helpers import (S3Assertions, code_of, data, error_of, make_client, run_module,  # noqa: E402
                        send, sigv4_headers)

OWNER, OWNER_SECRET = "CFACCESSOWNER0000001", "owner-secret-0123456789abcdefghijklmn"
USER2, SECRET2 = "CFACCESSUSER00000002", "user2-secret-0123456789abcdefghijklmn"
USER3, SECRET3 = "CFACCESSUSER00000003", "user3-secret-0123456789abcdefghijklmn"
NOBODY = "CFACCESSNOBODY000009"  # never added: a user that does not exist
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

SERVER = None


def arn(user):
    return "arn:aws:iam::coffer:user/%s" % user


def client(access=OWNER, secret=OWNER_SECRET, srv=None):
    return make_client((srv or SERVER).endpoint, access, secret)


def raw(method, target, body=b"", headers=None, auth="sign", access=OWNER, secret=OWNER_SECRET,
        source=None, srv=None):
    """One request through http.client, target sent byte for byte: (status, headers, body).
    auth "sign" (SigV4 Authorization header) or "none" (anonymous); source: the local
    address the client binds to (aws:SourceIp)."""
    srv = srv or SERVER
    headers = dict(headers or {})
    if auth == "sign":
        headers = sigv4_headers(method, "http://127.0.0.1:%d%s" % (srv.port, target), headers,
                                body, access, secret)
    status, got, resp = send(srv.port, method, target, headers, body, source=source)
    return status, {k.lower(): v for k, v in got}, resp

def anon(method, target, body=b"", headers=None, source=None, srv=None):
    return raw(method, target, body, headers, auth="none", source=source, srv=srv)


def user_grant(user, perm):
    return {"Grantee": {"DisplayName": user, "ID": user, "Type": "CanonicalUser"},
            "Permission": perm}


def group_grant(uri, perm):
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": perm}


def acl_of(resp):
    return resp["Owner"], resp["Grants"]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(effect, principal, action, resource, condition=None, sid=None):
    s = {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    if sid:
        s["Sid"] = sid
    return s


class Base(S3Assertions, unittest.TestCase):
    seq = 0

    def setUp(self):
        self.owner = client()
        self.u2 = client(USER2, SECRET2)
        self.u3 = client(USER3, SECRET3)
        self.admin = client(ACCESS, SECRET)
        Base.seq += 1
        self.bucket = "acc-%s-%d" % (type(self).__name__.lower()[:20], Base.seq)
        self.b = self.bucket
        self.create_bucket()

    def create_bucket(self):
        self.owner.create_bucket(Bucket=self.b)

    # ---- what the tests assert with ----

    def path(self, key=""):
        return "/%s/%s" % (self.b, key) if key else "/%s" % self.b

    def assertAbsent(self, key, bucket=None):
        """the owner's HEAD: 404 (nothing was stored)."""
        with self.assertRaises(ClientError) as cm:
            self.admin.head_object(Bucket=bucket or self.b, Key=key)
        self.assertEqual(code_of(cm.exception), ("404", 404))

    def assertBytes(self, s3, key, want, bucket=None):
        got = s3.get_object(Bucket=bucket or self.b, Key=key)["Body"].read()
        self.assertEqual(got, want)

    def assertAnonGet(self, key, want, source=None):
        """an anonymous GET: want is the body (200) or an int status (then AccessDenied)."""
        st, _, body = anon("GET", self.path(key), source=source)
        if isinstance(want, int):
            self.assertEqual(st, want, body)
            self.assertEqual(error_of(body), ("AccessDenied", "Access Denied"))
        else:
            self.assertEqual((st, body), (200, want))

    def assertDenied(self, fn, *a, **kw):
        return self.assertS3Error("AccessDenied", 403, fn, *a, **kw)

    def put_policy(self, doc, s3=None):
        (s3 or self.owner).put_bucket_policy(Bucket=self.b, Policy=doc)
        return doc

    def get_policy(self, s3=None):
        return (s3 or self.owner).get_bucket_policy(Bucket=self.b)["Policy"]


# ---------------------------------------------------------------------------
# 1. headers coffer does not honour are refused, and nothing is stored


SSE_C_KEY = base64.b64encode(b"k" * 32).decode()
SSE_C_MD5 = base64.b64encode(hashlib.md5(b"k" * 32).digest()).decode()

# (test name, headers of a PUT of a new object, status, code)
REFUSED_PUT = [
    ("sse", {"x-amz-server-side-encryption": "AES256"}, 501, "NotImplemented"),
    ("sse_kms", {"x-amz-server-side-encryption": "aws:kms"}, 501, "NotImplemented"),
    ("sse_kms_key_id", {"x-amz-server-side-encryption-aws-kms-key-id":
                        "arn:aws:kms:us-east-1:111122223333:key/1"}, 501, "NotImplemented"),
    ("sse_context", {"x-amz-server-side-encryption-context":
                     base64.b64encode(b'{"a":"b"}').decode()}, 501, "NotImplemented"),
    ("sse_bucket_key", {"x-amz-server-side-encryption-bucket-key-enabled": "true"}, 501,
     "NotImplemented"),
    ("sse_c_algorithm", {"x-amz-server-side-encryption-customer-algorithm": "AES256"}, 501,
     "NotImplemented"),
    ("sse_c_key", {"x-amz-server-side-encryption-customer-key": SSE_C_KEY}, 501,
     "NotImplemented"),
    ("sse_c_key_md5", {"x-amz-server-side-encryption-customer-key-MD5": SSE_C_MD5}, 501,
     "NotImplemented"),
    ("sse_c_all_three", {"x-amz-server-side-encryption-customer-algorithm": "AES256",
                         "x-amz-server-side-encryption-customer-key": SSE_C_KEY,
                         "x-amz-server-side-encryption-customer-key-MD5": SSE_C_MD5}, 501,
     "NotImplemented"),
    ("object_lock_mode", {"x-amz-object-lock-mode": "GOVERNANCE"}, 501, "NotImplemented"),
    ("object_lock_mode_compliance", {"x-amz-object-lock-mode": "COMPLIANCE",
                                     "x-amz-object-lock-retain-until-date":
                                     "2030-01-01T00:00:00Z"}, 501, "NotImplemented"),
    ("object_lock_retain_until", {"x-amz-object-lock-retain-until-date":
                                  "2030-01-01T00:00:00Z"}, 501, "NotImplemented"),
    ("object_lock_legal_hold", {"x-amz-object-lock-legal-hold": "ON"}, 501, "NotImplemented"),
    ("website_redirect", {"x-amz-website-redirect-location": "/elsewhere"}, 501,
     "NotImplemented"),
    ("mfa", {"x-amz-mfa": "arn:aws:iam::111122223333:mfa/u 123456"}, 501, "NotImplemented"),
    ("write_offset", {"x-amz-write-offset-bytes": "0"}, 501, "NotImplemented"),
    ("header_name_case", {"X-Amz-Server-Side-Encryption": "AES256"}, 501, "NotImplemented"),
] + [("storage_class_" + c.lower(), {"x-amz-storage-class": c}, 501, "NotImplemented")
     for c in ["REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
               "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"]] + [
    ("storage_class_unknown", {"x-amz-storage-class": "FOO"}, 400, "InvalidStorageClass"),
    ("storage_class_lowercase", {"x-amz-storage-class": "standard"}, 400, "InvalidStorageClass"),
]


class RefusedHeaderTest(Base):
    def setUp(self):
        super().setUp()
        self.owner.put_object(Bucket=self.b, Key="src", Body=b"source bytes")

    def check_refused_put(self, headers, status, code):
        resp = raw("PUT", self.path("new"), b"must not be stored", headers)
        self.assertRawError(resp, status, code,
                            "The storage class you specified is not valid"
                            if code == "InvalidStorageClass" else None)
        if code == "NotImplemented" and "x-amz-storage-class" not in headers:
            # the message names the refused header
            message = error_of(resp[2])[1].lower()
            self.assertTrue(any(h.lower() in message for h in headers), message)
        self.assertAbsent("new")
        # an existing object is not overwritten either
        resp = raw("PUT", self.path("src"), b"overwritten", headers)
        self.assertEqual(resp[0], status)
        self.assertBytes(self.owner, "src", b"source bytes")
        # nor is a copy made, nor an upload begun
        h = dict(headers, **{"x-amz-copy-source": "/%s/src" % self.b})
        self.assertEqual(raw("PUT", self.path("copy"), b"", h)[0], status)
        self.assertAbsent("copy")
        self.assertEqual(raw("POST", self.path("mpu") + "?uploads", b"", headers)[0], status)
        self.assertEqual(self.owner.list_multipart_uploads(Bucket=self.b).get("Uploads", []), [])

    def test_standard_storage_class_is_accepted(self):
        st, _, _ = raw("PUT", self.path("std"), b"standard", {"x-amz-storage-class": "STANDARD"})
        self.assertEqual(st, 200)
        self.assertBytes(self.owner, "std", b"standard")

    def test_boto3_parameters_refused(self):
        for kw, code, status in [({"ServerSideEncryption": "AES256"}, "NotImplemented", 501),
                                 ({"StorageClass": "GLACIER"}, "NotImplemented", 501),
                                 ({"StorageClass": "NOPE"}, "InvalidStorageClass", 400),
                                 ({"ObjectLockLegalHoldStatus": "ON"}, "NotImplemented", 501),
                                 ({"WebsiteRedirectLocation": "/x"}, "NotImplemented", 501)]:
            with self.subTest(kw=kw):
                self.assertS3Error(code, status, self.owner.put_object, Bucket=self.b,
                                   Key="boto", Body=b"x", **kw)
                self.assertAbsent("boto")

    def test_copy_source_sse_c_refused(self):
        for name, value in [("algorithm", "AES256"), ("key", SSE_C_KEY), ("key-MD5", SSE_C_MD5)]:
            h = {"x-amz-copy-source": "/%s/src" % self.b,
                 "x-amz-copy-source-server-side-encryption-customer-" + name: value}
            with self.subTest(header=name):
                resp = raw("PUT", self.path("copy"), b"", h)
                self.assertRawError(resp, 501, "NotImplemented")
                self.assertIn("x-amz-copy-source-server-side-encryption-customer-" + name.lower(),
                              error_of(resp[2])[1].lower())
                self.assertAbsent("copy")

    def test_mfa_on_delete_refused(self):
        resp = raw("DELETE", self.path("src"), b"", {"x-amz-mfa": "serial 123456"})
        self.assertRawError(resp, 501, "NotImplemented")
        self.assertBytes(self.owner, "src", b"source bytes")

    def test_bucket_object_lock_enabled_refused(self):
        name = self.b + "-lock"
        for value in ["true", "True", "TRUE"]:
            with self.subTest(value=value):
                resp = raw("PUT", "/" + name, b"", {"x-amz-bucket-object-lock-enabled": value})
                self.assertRawError(resp, 501, "NotImplemented")
                self.assertS3Error("404", 404, self.owner.head_bucket, Bucket=name)
        self.assertS3Error("NotImplemented", 501, self.owner.create_bucket, Bucket=name,
                           ObjectLockEnabledForBucket=True)
        self.assertS3Error("404", 404, self.owner.head_bucket, Bucket=name)
        # "false" asks for nothing coffer lacks
        st, _, _ = raw("PUT", "/" + name, b"", {"x-amz-bucket-object-lock-enabled": "false"})
        self.assertEqual(st, 200)
        self.owner.head_bucket(Bucket=name)

    # ---- versionId ----

    def test_get_head_delete_with_version_id_refused(self):
        for method in ["GET", "HEAD", "DELETE"]:
            with self.subTest(method=method):
                st, _, body = raw(method, self.path("src") + "?versionId=abc")
                self.assertEqual(st, 501)
                if method != "HEAD":
                    self.assertEqual(error_of(body)[0], "NotImplemented")
                else:
                    self.assertEqual(body, b"")
                self.assertBytes(self.owner, "src", b"source bytes")
        self.assertS3Error("NotImplemented", 501, self.owner.get_object, Bucket=self.b,
                           Key="src", VersionId="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
        self.assertS3Error("NotImplemented", 501, self.owner.delete_object, Bucket=self.b,
                           Key="src", VersionId="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
        self.assertBytes(self.owner, "src", b"source bytes")

    def test_version_id_on_subresources_refused(self):
        self.owner.put_object_tagging(Bucket=self.b, Key="src",
                                      Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
        tagging = b"<Tagging><TagSet><Tag><Key>t</Key><Value>2</Value></Tag></TagSet></Tagging>"
        for method, target, body in [("GET", "?acl&versionId=abc", b""),
                                     ("PUT", "?acl&versionId=abc", b""),
                                     ("GET", "?tagging&versionId=abc", b""),
                                     ("PUT", "?tagging&versionId=abc", tagging),
                                     ("DELETE", "?tagging&versionId=abc", b"")]:
            with self.subTest(method=method, target=target):
                h = {"x-amz-acl": "public-read"} if "acl" in target and method == "PUT" else {}
                resp = raw(method, self.path("src") + target, body, h)
                self.assertRawError(resp, 501, "NotImplemented")
        self.assertEqual(self.owner.get_object_tagging(Bucket=self.b, Key="src")["TagSet"],
                         [{"Key": "t", "Value": "1"}])
        self.assertAnonGet("src", 403)
        # a PUT naming a version, and a listing
        self.assertRawError(raw("PUT", self.path("new") + "?versionId=abc", b"x"), 501,
                            "NotImplemented")
        self.assertAbsent("new")
        self.assertRawError(raw("PUT", self.path("src") + "?versionId=abc", b"over"), 501,
                            "NotImplemented")
        self.assertBytes(self.owner, "src", b"source bytes")
        self.assertRawError(raw("GET", self.path() + "?versionId=abc"), 501, "NotImplemented")

    def test_null_version_id_is_the_object(self):
        st, _, body = raw("GET", self.path("src") + "?versionId=null")
        self.assertEqual((st, body), (200, b"source bytes"))
        st, h, body = raw("HEAD", self.path("src") + "?versionId=null")
        self.assertEqual((st, h["content-length"], body), (200, "12", b""))
        self.assertEqual(self.owner.get_object(Bucket=self.b, Key="src",
                                               VersionId="null")["Body"].read(), b"source bytes")
        st, _, _ = raw("DELETE", self.path("src") + "?versionId=null")
        self.assertEqual(st, 204)
        self.assertAbsent("src")

    def test_copy_source_version_id(self):
        h = {"x-amz-copy-source": "/%s/src?versionId=abc" % self.b}
        self.assertRawError(raw("PUT", self.path("copy"), b"", h), 501, "NotImplemented")
        self.assertAbsent("copy")
        self.assertS3Error("NotImplemented", 501, self.owner.copy_object, Bucket=self.b,
                           Key="copy", CopySource={"Bucket": self.b, "Key": "src",
                                                   "VersionId": "abc"})
        self.assertAbsent("copy")
        # and UploadPartCopy
        up = self.owner.create_multipart_upload(Bucket=self.b, Key="mp")["UploadId"]
        self.assertRawError(raw("PUT", self.path("mp") + "?partNumber=1&uploadId=" + up, b"", h),
                            501, "NotImplemented")
        self.assertEqual(self.owner.list_parts(Bucket=self.b, Key="mp", UploadId=up)
                         .get("Parts", []), [])
        # the null version is the object
        h = {"x-amz-copy-source": "/%s/src?versionId=null" % self.b}
        self.assertEqual(raw("PUT", self.path("copy"), b"", h)[0], 200)
        self.assertBytes(self.owner, "copy", b"source bytes")


def _refused_test(headers, status, code):
    def test(self):
        self.check_refused_put(headers, status, code)
    return test


for _name, _headers, _status, _code in REFUSED_PUT:
    setattr(RefusedHeaderTest, "test_put_refused_" + _name, _refused_test(_headers, _status, _code))


# ---------------------------------------------------------------------------
# 2. anonymous access and ACLs


class AclTest(Base):
    def test_private_object_refused_anonymously(self):
        self.owner.put_object(Bucket=self.b, Key="private", Body=b"secret")
        self.assertAnonGet("private", 403)
        st, _, body = anon("HEAD", self.path("private"))
        self.assertEqual((st, body), (403, b""))
        # a key that does not exist: AccessDenied too, as the caller may not list
        self.assertAnonGet("missing", 403)
        self.assertRawError(anon("GET", self.path()), 403, "AccessDenied", "Access Denied")
        self.assertRawError(anon("GET", "/"), 403, "AccessDenied", "Access Denied")
        # anonymous writes are refused and store nothing
        self.assertRawError(anon("PUT", self.path("anon"), b"x"), 403, "AccessDenied")
        self.assertAbsent("anon")
        self.assertRawError(anon("DELETE", self.path("private")), 403, "AccessDenied")
        self.assertRawError(anon("PUT", "/" + self.b + "-anon"), 403, "AccessDenied")
        self.assertS3Error("404", 404, self.owner.head_bucket, Bucket=self.b + "-anon")
        self.assertBytes(self.owner, "private", b"secret")
        # another user is refused too
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="private")
        self.assertDenied(self.u2.list_objects_v2, Bucket=self.b)
        self.assertDenied(self.u2.put_object, Bucket=self.b, Key="u2", Body=b"x")
        self.assertAbsent("u2")

    def test_public_read_object(self):
        body = data(70000, 2)
        self.owner.put_object(Bucket=self.b, Key="pub", Body=body, ACL="public-read")
        self.assertAnonGet("pub", body)
        st, h, b = anon("HEAD", self.path("pub"))
        self.assertEqual((st, h["content-length"], b), (200, "70000", b""))
        st, _, b = anon("GET", self.path("pub"), headers={"Range": "bytes=10-19"})
        self.assertEqual((st, b), (206, body[10:20]))
        # the object is public, not the bucket: listing still refused, writes too
        self.assertRawError(anon("GET", self.path()), 403, "AccessDenied", "Access Denied")
        self.assertRawError(anon("GET", self.path() + "?list-type=2"), 403, "AccessDenied")
        self.assertRawError(anon("PUT", self.path("pub"), b"over"), 403, "AccessDenied")
        self.assertRawError(anon("GET", self.path("pub") + "?acl"), 403, "AccessDenied")
        self.assertRawError(anon("PUT", self.path("pub") + "?acl", b"",
                                 {"x-amz-acl": "public-read-write"}), 403, "AccessDenied")
        self.assertAnonGet("pub", body)
        # any signed user may read it too
        self.assertBytes(self.u3, "pub", body)
        # back to private
        self.owner.put_object_acl(Bucket=self.b, Key="pub", ACL="private")
        self.assertAnonGet("pub", 403)
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="pub")
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="pub")),
                         ({"DisplayName": OWNER, "ID": OWNER}, [user_grant(OWNER, "FULL_CONTROL")]))
        self.assertBytes(self.owner, "pub", body)

    def test_object_acl_round_trip(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k", ACL="public-read")
        got = self.owner.get_object_acl(Bucket=self.b, Key="k")
        self.assertEqual(acl_of(got), ({"DisplayName": OWNER, "ID": OWNER},
                                       [user_grant(OWNER, "FULL_CONTROL"),
                                        group_grant(ALL_USERS, "READ")]))
        self.owner.put_object(Bucket=self.b, Key="a", Body=b"a", ACL="authenticated-read")
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="a")["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL"), group_grant(AUTH_USERS, "READ")])
        self.assertAnonGet("a", 403)
        self.assertBytes(self.u2, "a", b"a")
        # a document granting READ to USER2 by id: USER2 reads, USER3 and anonymous do not
        doc = {"Owner": {"ID": OWNER},
               "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": OWNER},
                           "Permission": "FULL_CONTROL"},
                          {"Grantee": {"Type": "CanonicalUser", "ID": USER2},
                           "Permission": "READ"}]}
        self.owner.put_object_acl(Bucket=self.b, Key="k", AccessControlPolicy=doc)
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="k")),
                         ({"DisplayName": OWNER, "ID": OWNER},
                          [user_grant(OWNER, "FULL_CONTROL"), user_grant(USER2, "READ")]))
        self.assertBytes(self.u2, "k", b"k")
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="k")
        self.assertAnonGet("k", 403)
        # READ is not READ_ACP nor WRITE
        self.assertDenied(self.u2.get_object_acl, Bucket=self.b, Key="k")
        self.assertDenied(self.u2.put_object, Bucket=self.b, Key="k", Body=b"over")
        self.assertBytes(self.owner, "k", b"k")
        # READ_ACP lets USER3 read the ACL (exactly), WRITE_ACP lets USER2 change it
        doc["Grants"] += [{"Grantee": {"Type": "CanonicalUser", "ID": USER3},
                           "Permission": "READ_ACP"},
                          {"Grantee": {"Type": "CanonicalUser", "ID": USER2},
                           "Permission": "WRITE_ACP"}]
        self.owner.put_object_acl(Bucket=self.b, Key="k", AccessControlPolicy=doc)
        want = ({"DisplayName": OWNER, "ID": OWNER},
                [user_grant(OWNER, "FULL_CONTROL"), user_grant(USER2, "READ"),
                 user_grant(USER3, "READ_ACP"), user_grant(USER2, "WRITE_ACP")])
        self.assertEqual(acl_of(self.u3.get_object_acl(Bucket=self.b, Key="k")), want)
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="k")
        self.u2.put_object_acl(Bucket=self.b, Key="k", ACL="public-read")
        self.assertAnonGet("k", b"k")
        # the object's owner stays the bucket owner
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="k")["Owner"]["ID"], OWNER)

    def test_acl_document_errors_change_nothing(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k", ACL="public-read")
        before = acl_of(self.owner.get_object_acl(Bucket=self.b, Key="k"))

        def grants(*g):
            return {"Owner": {"ID": OWNER}, "Grants": list(g)}
        cases = [  # (code, status, document); a document naming another owner is refused too
            ("AccessDenied", 403, {"Owner": {"ID": USER2}, "Grants": []}),
            ("UnresolvableGrantByEmailAddress", 400, grants(
                {"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "a@example.com"},
                 "Permission": "READ"})),
            ("InvalidArgument", 400, grants(
                {"Grantee": {"Type": "CanonicalUser", "ID": NOBODY}, "Permission": "READ"})),
            ("MalformedACLError", 400, grants(
                {"Grantee": {"Type": "Group", "URI": "http://example.com/everyone"},
                 "Permission": "READ"})),
        ]
        for code, status, doc in cases:
            with self.subTest(code=code):
                self.assertS3Error(code, status, self.owner.put_object_acl, Bucket=self.b,
                                   Key="k", AccessControlPolicy=doc)
                self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="k")), before)
        # a permission name S3 does not have (boto3 would not send it)
        bad = ('<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>%s'
               '</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/'
               'XMLSchema-instance" xsi:type="CanonicalUser"><ID>%s</ID></Grantee><Permission>'
               'EVERYTHING</Permission></Grant></AccessControlList></AccessControlPolicy>'
               % (OWNER, USER2)).encode()
        self.assertRawError(raw("PUT", self.path("k") + "?acl", bad), 400, "MalformedACLError")
        self.assertRawError(raw("PUT", self.path("k") + "?acl", b"<AccessControlPolicy"), 400,
                            "MalformedACLError")
        # a document and headers together
        good = bad.replace(b"EVERYTHING", b"READ")
        self.assertRawError(raw("PUT", self.path("k") + "?acl", good, {"x-amz-acl": "private"}),
                            400, "InvalidRequest")
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="k")), before)
        self.assertAnonGet("k", b"k")

    def test_grant_headers(self):
        self.owner.put_object(Bucket=self.b, Key="g2", Body=b"g2", GrantRead='id="%s"' % USER2)
        self.assertBytes(self.u2, "g2", b"g2")
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="g2")
        self.assertAnonGet("g2", 403)
        # grants replace the ACL: the owner is granted nothing it did not name
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="g2")),
                         ({"DisplayName": OWNER, "ID": OWNER}, [user_grant(USER2, "READ")]))
        self.assertBytes(self.owner, "g2", b"g2")  # the bucket owner owns the object
        self.owner.put_object(Bucket=self.b, Key="gall", Body=b"all",
                              GrantRead='uri="%s"' % ALL_USERS)
        self.assertAnonGet("gall", b"all")
        self.owner.put_object(Bucket=self.b, Key="gboth", Body=b"both",
                              GrantRead='id="%s", id="%s"' % (USER2, USER3),
                              GrantFullControl='id="%s"' % OWNER)
        self.assertBytes(self.u2, "gboth", b"both")
        self.assertBytes(self.u3, "gboth", b"both")
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="gboth")["Grants"],
                         [user_grant(USER2, "READ"), user_grant(USER3, "READ"),
                          user_grant(OWNER, "FULL_CONTROL")])
        # on PutObjectAcl too
        self.owner.put_object_acl(Bucket=self.b, Key="g2", GrantRead='id="%s"' % USER3)
        self.assertBytes(self.u3, "g2", b"g2")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="g2")

    def test_grant_header_errors_store_nothing(self):
        for kw, code in [({"GrantRead": 'emailAddress="someone@example.com"'},
                          "UnresolvableGrantByEmailAddress"),
                         ({"GrantRead": 'id="%s"' % NOBODY}, "InvalidArgument"),
                         ({"GrantRead": 'uri="http://example.com/group"'}, "InvalidArgument"),
                         ({"GrantRead": 'nonsense'}, "InvalidArgument"),
                         ({"ACL": "public-read", "GrantRead": 'id="%s"' % USER2},
                          "InvalidRequest")]:
            with self.subTest(kw=kw):
                err = self.assertS3Error(code, 400, self.owner.put_object, Bucket=self.b,
                                         Key="g", Body=b"g", **kw)
                if code == "InvalidRequest":
                    self.assertEqual(err.response["Error"]["Message"],
                                     "Specifying both Canned ACLs and Header Grants is not allowed")
                if code == "UnresolvableGrantByEmailAddress":
                    self.assertEqual(err.response["Error"]["Message"],
                                     "The email address you provided does not match any account "
                                     "on record.")
                self.assertAbsent("g")
        self.assertS3Error("InvalidArgument", 400, self.owner.put_object, Bucket=self.b, Key="g",
                           Body=b"g", ACL="no-such-canned-acl")
        self.assertAbsent("g")
        # and on an existing object's ACL
        self.owner.put_object(Bucket=self.b, Key="g", Body=b"g")
        self.assertS3Error("InvalidRequest", 400, self.owner.put_object_acl, Bucket=self.b,
                           Key="g", ACL="public-read", GrantRead='id="%s"' % USER2)
        self.assertS3Error("InvalidArgument", 400, self.owner.put_object_acl, Bucket=self.b,
                           Key="g", GrantRead='id="%s"' % NOBODY)
        self.assertAnonGet("g", 403)
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="g")["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL")])

    def test_acl_on_copy_and_multipart(self):
        self.owner.put_object(Bucket=self.b, Key="src", Body=b"copied")
        self.owner.copy_object(Bucket=self.b, Key="cp", CopySource={"Bucket": self.b, "Key": "src"},
                               ACL="public-read")
        self.assertAnonGet("cp", b"copied")
        self.assertAnonGet("src", 403)
        # a copy without an ACL is private, whatever the source's ACL
        self.owner.copy_object(Bucket=self.b, Key="cp2", CopySource={"Bucket": self.b, "Key": "cp"})
        self.assertAnonGet("cp2", 403)
        up = self.owner.create_multipart_upload(Bucket=self.b, Key="mp", ACL="public-read")
        part = data(1000, 9)
        etag = self.owner.upload_part(Bucket=self.b, Key="mp", UploadId=up["UploadId"],
                                      PartNumber=1, Body=part)["ETag"]
        self.owner.complete_multipart_upload(
            Bucket=self.b, Key="mp", UploadId=up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertAnonGet("mp", part)
        up = self.owner.create_multipart_upload(Bucket=self.b, Key="mp2",
                                                GrantRead='id="%s"' % USER3)
        etag = self.owner.upload_part(Bucket=self.b, Key="mp2", UploadId=up["UploadId"],
                                      PartNumber=1, Body=part)["ETag"]
        self.owner.complete_multipart_upload(
            Bucket=self.b, Key="mp2", UploadId=up["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertBytes(self.u3, "mp2", part)
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="mp2")
        # errors refuse the copy and the upload
        self.assertS3Error("InvalidRequest", 400, self.owner.copy_object, Bucket=self.b, Key="cp3",
                           CopySource={"Bucket": self.b, "Key": "src"}, ACL="public-read",
                           GrantRead='id="%s"' % USER2)
        self.assertAbsent("cp3")
        self.assertS3Error("InvalidArgument", 400, self.owner.create_multipart_upload,
                           Bucket=self.b, Key="mp3", GrantRead='id="%s"' % NOBODY)
        self.assertEqual([u["Key"] for u in self.owner.list_multipart_uploads(
            Bucket=self.b).get("Uploads", [])], [])

    def test_public_read_bucket_lets_anonymous_list(self):
        self.owner.put_object(Bucket=self.b, Key="listed", Body=b"l")
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read")
        st, _, body = anon("GET", self.path() + "?list-type=2")
        self.assertEqual(st, 200, body)
        keys = [k.text for k in ET.fromstring(body).iter(NS + "Key")]
        self.assertEqual(keys, ["listed"])
        self.assertEqual(anon("GET", self.path())[0], 200)
        self.assertEqual(anon("HEAD", self.path())[0], 200)
        # listing the bucket is not reading its objects
        self.assertAnonGet("listed", 403)
        # a missing key is now NoSuchKey, as the caller may list
        self.assertRawError(anon("GET", self.path("missing")), 404, "NoSuchKey")
        # nor writing
        self.assertRawError(anon("PUT", self.path("anon"), b"x"), 403, "AccessDenied")
        self.assertAbsent("anon")
        self.assertEqual(acl_of(self.owner.get_bucket_acl(Bucket=self.b)),
                         ({"DisplayName": OWNER, "ID": OWNER},
                          [user_grant(OWNER, "FULL_CONTROL"), group_grant(ALL_USERS, "READ")]))
        # and back
        self.owner.put_bucket_acl(Bucket=self.b, ACL="private")
        self.assertRawError(anon("GET", self.path()), 403, "AccessDenied")
        self.assertEqual(self.owner.get_bucket_acl(Bucket=self.b)["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL")])

    def test_public_read_write_bucket_lets_users_write(self):
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read-write")
        self.assertEqual(self.owner.get_bucket_acl(Bucket=self.b)["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL"), group_grant(ALL_USERS, "READ"),
                          group_grant(ALL_USERS, "WRITE")])
        # a signed user writes, and owns what it wrote (no ownership controls: ObjectWriter)
        self.u2.put_object(Bucket=self.b, Key="by-u2", Body=b"u2")
        self.assertEqual(acl_of(self.u2.get_object_acl(Bucket=self.b, Key="by-u2")),
                         ({"DisplayName": USER2, "ID": USER2}, [user_grant(USER2, "FULL_CONTROL")]))
        self.assertBytes(self.u2, "by-u2", b"u2")
        self.assertEqual(anon("GET", self.path())[0], 200)
        self.owner.put_bucket_acl(Bucket=self.b, ACL="private")
        self.assertRawError(anon("PUT", self.path("anon2"), b"x"), 403, "AccessDenied")
        self.assertAbsent("anon2")
        self.assertDenied(self.u3.put_object, Bucket=self.b, Key="u3", Body=b"x")
        self.assertAbsent("u3")

    def test_public_read_write_bucket_lets_anonymous_put(self):
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read-write")
        st, _, body = anon("PUT", self.path("anon"), b"anonymous bytes")
        self.assertEqual(st, 200, body)
        # the object of an anonymous writer belongs to the bucket owner, private
        self.assertBytes(self.owner, "anon", b"anonymous bytes")
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="anon")),
                         ({"DisplayName": OWNER, "ID": OWNER}, [user_grant(OWNER, "FULL_CONTROL")]))
        self.assertAnonGet("anon", 403)
        st, _, body = anon("PUT", self.path("anon-pub"), b"pub", {"x-amz-acl": "public-read"})
        self.assertEqual(st, 200, body)
        self.assertAnonGet("anon-pub", b"pub")
        st, _, body = anon("PUT", self.path("anon-empty"), b"")
        self.assertEqual(st, 200, body)
        self.assertBytes(self.owner, "anon-empty", b"")

    def test_bucket_acl_document_and_grant_headers(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        doc = {"Owner": {"ID": OWNER},
               "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": OWNER},
                           "Permission": "FULL_CONTROL"},
                          {"Grantee": {"Type": "CanonicalUser", "ID": USER2},
                           "Permission": "READ"}]}
        self.owner.put_bucket_acl(Bucket=self.b, AccessControlPolicy=doc)
        self.assertEqual(acl_of(self.owner.get_bucket_acl(Bucket=self.b)),
                         ({"DisplayName": OWNER, "ID": OWNER},
                          [user_grant(OWNER, "FULL_CONTROL"), user_grant(USER2, "READ")]))
        self.assertEqual([o["Key"] for o in self.u2.list_objects_v2(Bucket=self.b)["Contents"]],
                         ["k"])
        self.assertDenied(self.u3.list_objects_v2, Bucket=self.b)
        self.assertDenied(self.u2.get_bucket_acl, Bucket=self.b)
        self.owner.put_bucket_acl(Bucket=self.b, GrantWrite='id="%s"' % USER3,
                                  GrantFullControl='id="%s"' % OWNER)
        self.u3.put_object(Bucket=self.b, Key="by-u3", Body=b"3")
        self.assertDenied(self.u2.list_objects_v2, Bucket=self.b)
        before = acl_of(self.owner.get_bucket_acl(Bucket=self.b))
        self.assertS3Error("UnresolvableGrantByEmailAddress", 400, self.owner.put_bucket_acl,
                           Bucket=self.b, GrantRead='emailAddress="x@example.com"')
        self.assertS3Error("InvalidArgument", 400, self.owner.put_bucket_acl, Bucket=self.b,
                           GrantRead='id="%s"' % NOBODY)
        self.assertS3Error("InvalidRequest", 400, self.owner.put_bucket_acl, Bucket=self.b,
                           ACL="public-read", GrantRead='id="%s"' % USER2)
        self.assertDenied(self.u3.put_bucket_acl, Bucket=self.b, ACL="public-read")
        self.assertEqual(acl_of(self.owner.get_bucket_acl(Bucket=self.b)), before)

    def test_create_bucket_with_acl(self):
        name = self.b + "-pub"
        self.owner.create_bucket(Bucket=name, ACL="public-read")
        self.owner.put_object(Bucket=name, Key="k", Body=b"k")
        st, _, _ = anon("GET", "/%s?list-type=2" % name)
        self.assertEqual(st, 200)
        name2 = self.b + "-g"
        self.owner.create_bucket(Bucket=name2, GrantRead='id="%s"' % USER2)
        self.assertEqual(self.u2.list_objects_v2(Bucket=name2)["KeyCount"], 0)
        self.assertDenied(self.u3.list_objects_v2, Bucket=name2)
        name3 = self.b + "-bad"
        self.assertS3Error("InvalidArgument", 400, self.owner.create_bucket, Bucket=name3,
                           GrantRead='id="%s"' % NOBODY)
        self.assertS3Error("InvalidRequest", 400, self.owner.create_bucket, Bucket=name3,
                           ACL="private", GrantRead='id="%s"' % USER2)
        self.assertS3Error("404", 404, self.owner.head_bucket, Bucket=name3)


# ---------------------------------------------------------------------------
# 3. bucket policies


class PolicyTest(Base):
    def shared_policy(self):
        return policy(
            stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                 "arn:aws:s3:::%s/shared/*" % self.b, sid="ReadShared"),
            stmt("Allow", {"AWS": arn(USER2)}, "s3:ListBucket", "arn:aws:s3:::%s" % self.b,
                 {"StringLike": {"s3:prefix": "shared/*"}}, sid="ListShared"))

    def test_user_grant_with_prefix_condition(self):
        for k in ["shared/a", "shared/deep/b", "other/c", "top"]:
            self.owner.put_object(Bucket=self.b, Key=k, Body=k.encode())
        self.put_policy(self.shared_policy())
        self.assertBytes(self.u2, "shared/a", b"shared/a")
        self.assertBytes(self.u2, "shared/deep/b", b"shared/deep/b")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="other/c")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="top")
        self.assertS3Error("403", 403, self.u2.head_object, Bucket=self.b, Key="other/c")
        got = self.u2.list_objects_v2(Bucket=self.b, Prefix="shared/")
        self.assertEqual([o["Key"] for o in got["Contents"]], ["shared/a", "shared/deep/b"])
        got = self.u2.list_objects(Bucket=self.b, Prefix="shared/d")
        self.assertEqual([o["Key"] for o in got["Contents"]], ["shared/deep/b"])
        self.assertDenied(self.u2.list_objects_v2, Bucket=self.b, Prefix="other/")
        self.assertDenied(self.u2.list_objects_v2, Bucket=self.b)  # no s3:prefix at all
        # the grant is USER2's alone, and only what it names
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="shared/a")
        self.assertDenied(self.u3.list_objects_v2, Bucket=self.b, Prefix="shared/")
        self.assertAnonGet("shared/a", 403)
        self.assertDenied(self.u2.put_object, Bucket=self.b, Key="shared/new", Body=b"x")
        self.assertAbsent("shared/new")
        self.assertDenied(self.u2.delete_object, Bucket=self.b, Key="shared/a")
        self.assertDenied(self.u2.get_object_acl, Bucket=self.b, Key="shared/a")
        self.assertDenied(self.u2.get_bucket_policy, Bucket=self.b)
        self.assertDenied(self.u2.put_bucket_policy, Bucket=self.b, Policy=policy(
            stmt("Allow", {"AWS": arn(USER2)}, "s3:*", "arn:aws:s3:::%s/*" % self.b)))
        self.assertDenied(self.u2.delete_bucket_policy, Bucket=self.b)
        self.assertEqual(self.get_policy(), self.shared_policy())
        self.assertBytes(self.owner, "shared/a", b"shared/a")

    def test_principal_forms(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        for principal, readers in [({"CanonicalUser": USER3}, [USER3]),
                                   ({"AWS": USER2}, [USER2]),
                                   ({"AWS": [arn(USER2), arn(USER3)]}, [USER2, USER3]),
                                   ({"AWS": "arn:aws:iam::coffer:root"}, [USER2, USER3])]:
            with self.subTest(principal=principal):
                self.put_policy(policy(stmt("Allow", principal, "s3:GetObject",
                                            "arn:aws:s3:::%s/*" % self.b)))
                for user, s3 in [(USER2, self.u2), (USER3, self.u3)]:
                    if user in readers:
                        self.assertBytes(s3, "k", b"k")
                    else:
                        self.assertDenied(s3.get_object, Bucket=self.b, Key="k")
                self.assertAnonGet("k", 403)

    def test_root_principal_lets_any_user_write(self):
        self.put_policy(policy(stmt("Allow", {"AWS": "arn:aws:iam::coffer:root"}, "s3:PutObject",
                                    "arn:aws:s3:::%s/*" % self.b)))
        self.u2.put_object(Bucket=self.b, Key="from-u2", Body=b"written by user2")
        self.assertBytes(self.u2, "from-u2", b"written by user2")  # its writer owns it
        self.u3.put_object(Bucket=self.b, Key="from-u3", Body=b"3")
        self.assertRawError(anon("PUT", self.path("anon"), b"x"), 403, "AccessDenied")
        self.assertAbsent("anon")
        self.assertDenied(self.u2.list_objects_v2, Bucket=self.b)
        self.assertEqual(sorted(o["Key"] for o in self.owner.list_objects_v2(
            Bucket=self.b)["Contents"]), ["from-u2", "from-u3"])

    def test_explicit_deny_beats_allow_and_acl(self):
        self.owner.put_object(Bucket=self.b, Key="secret", Body=b"secret", ACL="public-read")
        self.owner.put_object(Bucket=self.b, Key="open", Body=b"open", ACL="public-read")
        doc = policy(
            stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject", "arn:aws:s3:::%s/*" % self.b),
            stmt("Deny", "*", "s3:GetObject", "arn:aws:s3:::%s/secret" % self.b))
        self.put_policy(doc)
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="secret")
        self.assertAnonGet("secret", 403)  # the public-read ACL does not help
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="secret")  # nor owning it
        self.assertDenied(self.admin.get_object, Bucket=self.b, Key="secret")  # nor the admin
        self.assertBytes(self.u2, "open", b"open")
        self.assertAnonGet("open", b"open")
        self.assertBytes(self.owner, "open", b"open")
        self.assertS3Error("403", 403, self.owner.head_object, Bucket=self.b, Key="secret")
        # the Deny is for GetObject only: the owner still manages the object's ACL
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="secret")["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL"), group_grant(ALL_USERS, "READ")])
        self.owner.delete_bucket_policy(Bucket=self.b)
        self.assertAnonGet("secret", b"secret")

    def test_owner_denied_but_never_locked_out_of_the_policy(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        doc = policy(stmt("Deny", "*", "s3:*",
                          ["arn:aws:s3:::%s" % self.b, "arn:aws:s3:::%s/*" % self.b]))
        self.put_policy(doc)
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="k")
        self.assertDenied(self.owner.list_objects_v2, Bucket=self.b)
        self.assertDenied(self.owner.put_object, Bucket=self.b, Key="new", Body=b"x")
        self.assertDenied(self.owner.delete_object, Bucket=self.b, Key="k")
        self.assertDenied(self.owner.get_bucket_acl, Bucket=self.b)
        self.assertDenied(self.owner.put_bucket_acl, Bucket=self.b, ACL="public-read")
        self.assertDenied(self.admin.get_object, Bucket=self.b, Key="k")
        # the owner (and only the owner or an admin) may still read, replace, delete the policy
        self.assertEqual(self.get_policy(), doc)
        self.assertDenied(self.u2.get_bucket_policy, Bucket=self.b)
        self.assertDenied(self.u2.delete_bucket_policy, Bucket=self.b)
        self.assertEqual(self.get_policy(self.admin), doc)
        self.owner.delete_bucket_policy(Bucket=self.b)
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy, Bucket=self.b)
        self.assertBytes(self.owner, "k", b"k")
        self.assertAbsent("new")
        # replacing works too
        self.put_policy(doc)
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                                    "arn:aws:s3:::%s/*" % self.b)))
        self.assertBytes(self.owner, "k", b"k")
        self.assertBytes(self.u2, "k", b"k")

    def test_source_ip_allow(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"from loopback only")
        self.put_policy(policy(stmt("Allow", "*", "s3:GetObject", "arn:aws:s3:::%s/*" % self.b,
                                    {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}})))
        self.assertAnonGet("k", b"from loopback only", source="127.0.0.1")
        self.assertAnonGet("k", 403, source="127.0.0.2")
        # signed users from 127.0.0.2 are refused too (the owner is not: it owns the bucket)
        st, _, _ = raw("GET", self.path("k"), access=USER2, secret=SECRET2, source="127.0.0.2")
        self.assertEqual(st, 403)
        st, _, body = raw("GET", self.path("k"), access=USER2, secret=SECRET2, source="127.0.0.1")
        self.assertEqual((st, body), (200, b"from loopback only"))
        st, _, body = raw("GET", self.path("k"), source="127.0.0.2")
        self.assertEqual((st, body), (200, b"from loopback only"))
        self.assertFalse(self.owner.get_bucket_policy_status(
            Bucket=self.b)["PolicyStatus"]["IsPublic"])

    def test_source_ip_deny_not_ip_address(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"public but pinned", ACL="public-read")
        self.put_policy(policy(stmt("Deny", "*", "s3:GetObject", "arn:aws:s3:::%s/*" % self.b,
                                    {"NotIpAddress": {"aws:SourceIp": ["127.0.0.1/32"]}})))
        self.assertAnonGet("k", b"public but pinned", source="127.0.0.1")
        self.assertAnonGet("k", 403, source="127.0.0.2")
        st, _, body = raw("GET", self.path("k"), source="127.0.0.2")  # the owner too
        self.assertEqual(st, 403)
        self.assertEqual(error_of(body), ("AccessDenied", "Access Denied"))
        st, _, body = raw("GET", self.path("k"), source="127.0.0.1")
        self.assertEqual((st, body), (200, b"public but pinned"))
        # a range that holds both addresses denies neither
        self.put_policy(policy(stmt("Deny", "*", "s3:GetObject", "arn:aws:s3:::%s/*" % self.b,
                                    {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/30"}})))
        self.assertAnonGet("k", b"public but pinned", source="127.0.0.2")
        self.assertAnonGet("k", 403, source="127.0.0.4")

    def test_malformed_policies_leave_the_old_one(self):
        old = self.put_policy(
            '{\n  "Version": "2012-10-17",\n\t"Statement": [{"Sid": "x", "Effect": "Allow",'
            ' "Principal": {"AWS": "%s"}, "Action": "s3:GetObject",'
            ' "Resource": "arn:aws:s3:::%s/*"}]\n}\n' % (arn(USER2), self.b))
        good = json.loads(old)["Statement"][0]

        def with_(**kw):
            s = dict(good, **kw)
            return json.dumps({"Version": "2012-10-17", "Statement": [s]})
        cases = [
            ("not json", "not json at all",
             "Policies must be valid JSON and the first byte must be '{'"),
            ("truncated json", '{"Version": "2012-10-17", "Statement": [', None),
            ("other bucket", with_(Resource="arn:aws:s3:::some-other-bucket/*"),
             "Policy has invalid resource"),
            ("other service", with_(Action="iam:GetUser"), "Policy has invalid action"),
            ("unknown action prefix", with_(Action="s4:GetObject"), "Policy has invalid action"),
            ("unknown s3 action", with_(Action="s3:GetObjectz"), "Policy has invalid action"),
            ("unknown condition operator",
             with_(Condition={"StringFoo": {"aws:UserAgent": "x"}}), None),
            ("unknown user", with_(Principal={"AWS": arn(NOBODY)}), "Invalid principal in policy"),
            ("unknown canonical user", with_(Principal={"CanonicalUser": NOBODY}),
             "Invalid principal in policy"),
            ("another account", with_(Principal={"AWS": "arn:aws:iam::111122223333:root"}),
             "Invalid principal in policy"),
            ("no statement", '{"Version": "2012-10-17"}', None),
        ]
        for name, doc, message in cases:
            with self.subTest(name=name):
                err = self.assertS3Error("MalformedPolicy", 400, self.owner.put_bucket_policy,
                                         Bucket=self.b, Policy=doc)
                if message:
                    self.assertEqual(err.response["Error"]["Message"], message)
                self.assertEqual(self.get_policy(), old)
        # the old one still decides
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        self.assertBytes(self.u2, "k", b"k")

    def test_policy_round_trip_byte_exact(self):
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy, Bucket=self.b)
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy_status,
                           Bucket=self.b)
        doc = ('{"Id":"caf\u00e9 \\u00e9",  "Statement":[ {"Effect":"Allow",\r\n'
               '"Principal":{"CanonicalUser":"%s"},"Action":["s3:GetObject","s3:Get*"],'
               '"Resource":"arn:aws:s3:::%s/*"}]}' % (USER2, self.b))
        st, _, body = raw("PUT", self.path() + "?policy", doc.encode())
        self.assertEqual((st, body), (204, b""))
        st, h, body = raw("GET", self.path() + "?policy")
        self.assertEqual((st, body), (200, doc.encode()))
        self.assertEqual(h["content-type"], "application/json")
        self.assertEqual(self.get_policy(), doc)
        st, _, body = raw("DELETE", self.path() + "?policy")
        self.assertEqual((st, body), (204, b""))
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy, Bucket=self.b)
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy_status,
                           Bucket=self.b)
        st, _, _ = raw("DELETE", self.path() + "?policy")  # none: still 204
        self.assertEqual(st, 204)

    def test_policy_status(self):
        res = "arn:aws:s3:::%s/*" % self.b
        for doc, public in [
                (policy(stmt("Allow", "*", "s3:GetObject", res)), True),
                (policy(stmt("Allow", {"AWS": "*"}, "s3:GetObject", res)), True),
                (policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject", res)), False),
                (policy(stmt("Allow", {"AWS": "arn:aws:iam::coffer:root"}, "s3:GetObject", res)),
                 False),
                (policy(stmt("Allow", "*", "s3:GetObject", res,
                             {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}})), False),
                (policy(stmt("Allow", "*", "s3:GetObject", res,
                             {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})), True),
                (policy(stmt("Deny", "*", "s3:GetObject", res)), False),
                (policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject", res),
                        stmt("Allow", "*", "s3:ListBucket", "arn:aws:s3:::%s" % self.b)), True)]:
            with self.subTest(doc=doc):
                self.put_policy(doc)
                got = self.owner.get_bucket_policy_status(Bucket=self.b)
                self.assertEqual(got["PolicyStatus"], {"IsPublic": public})
        st, _, body = raw("GET", self.path() + "?policyStatus")
        self.assertEqual(st, 200)
        self.assertEqual(ET.fromstring(body).findtext(NS + "IsPublic"), "true")

    def test_public_policy_grants_anonymous(self):
        self.owner.put_object(Bucket=self.b, Key="pub/a", Body=b"a")
        self.owner.put_object(Bucket=self.b, Key="priv/a", Body=b"p")
        self.put_policy(policy(stmt("Allow", "*", "s3:GetObject",
                                    "arn:aws:s3:::%s/pub/*" % self.b)))
        self.assertAnonGet("pub/a", b"a")
        self.assertAnonGet("priv/a", 403)
        self.assertBytes(self.u3, "pub/a", b"a")

    def test_public_policy_lets_anonymous_put(self):
        self.put_policy(policy(stmt("Allow", "*", "s3:PutObject",
                                    "arn:aws:s3:::%s/drop/*" % self.b)))
        st, _, body = anon("PUT", self.path("drop/a"), b"dropped anonymously")
        self.assertEqual(st, 200, body)
        self.assertBytes(self.owner, "drop/a", b"dropped anonymously")

    def test_missing_key_without_list_permission_is_access_denied(self):
        # S3 (GetObject, HeadObject): a missing key is 404 NoSuchKey only to a caller with
        # s3:ListBucket on the bucket; to others 403 AccessDenied, so a grant of GetObject
        # alone does not reveal which keys exist.
        self.owner.put_object(Bucket=self.b, Key="pub/here", Body=b"here")
        self.put_policy(policy(stmt("Allow", "*", "s3:GetObject",
                                    "arn:aws:s3:::%s/pub/*" % self.b),
                               stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                                    "arn:aws:s3:::%s/u2/*" % self.b)))
        self.assertAnonGet("pub/here", b"here")
        self.assertAnonGet("pub/missing", 403)
        self.assertS3Error("AccessDenied", 403, self.u2.get_object, Bucket=self.b, Key="u2/missing")
        # with ListBucket it is NoSuchKey
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                                    "arn:aws:s3:::%s/u2/*" % self.b),
                               stmt("Allow", {"AWS": arn(USER2)}, "s3:ListBucket",
                                    "arn:aws:s3:::%s" % self.b)))
        self.assertS3Error("NoSuchKey", 404, self.u2.get_object, Bucket=self.b, Key="u2/missing")

    def test_acl_condition_requires_bucket_owner_full_control(self):
        # S3's own example: USER2 may write only when it hands the bucket owner full control
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:PutObject",
                                    "arn:aws:s3:::%s/*" % self.b,
                                    {"StringEquals": {"s3:x-amz-acl":
                                                      "bucket-owner-full-control"}})))
        self.assertDenied(self.u2.put_object, Bucket=self.b, Key="no-acl", Body=b"x")
        self.assertAbsent("no-acl")
        self.assertDenied(self.u2.put_object, Bucket=self.b, Key="pub", Body=b"x",
                          ACL="public-read")
        self.assertAbsent("pub")
        self.u2.put_object(Bucket=self.b, Key="ok", Body=b"ok", ACL="bucket-owner-full-control")
        self.assertBytes(self.owner, "ok", b"ok")

    def test_delete_objects_authorized_per_key(self):
        for k in ["shared/a", "other/b"]:
            self.owner.put_object(Bucket=self.b, Key=k, Body=k.encode())
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:DeleteObject",
                                    "arn:aws:s3:::%s/shared/*" % self.b)))
        got = self.u2.delete_objects(Bucket=self.b, Delete={"Objects": [
            {"Key": "shared/a"}, {"Key": "other/b"}]})
        self.assertEqual([d["Key"] for d in got.get("Deleted", [])], ["shared/a"])
        self.assertEqual([(e["Key"], e["Code"]) for e in got.get("Errors", [])],
                         [("other/b", "AccessDenied")])
        self.assertAbsent("shared/a")
        self.assertBytes(self.owner, "other/b", b"other/b")
        # a Deny refuses the owner its keys one by one too
        self.owner.put_object(Bucket=self.b, Key="keep/a", Body=b"keep")
        self.put_policy(policy(stmt("Deny", "*", "s3:DeleteObject",
                                    "arn:aws:s3:::%s/keep/*" % self.b)))
        got = self.owner.delete_objects(Bucket=self.b, Delete={"Objects": [
            {"Key": "keep/a"}, {"Key": "other/b"}]})
        self.assertEqual([d["Key"] for d in got.get("Deleted", [])], ["other/b"])
        self.assertEqual([(e["Key"], e["Code"]) for e in got.get("Errors", [])],
                         [("keep/a", "AccessDenied")])
        self.assertBytes(self.owner, "keep/a", b"keep")
        self.assertAbsent("other/b")

    def test_existing_object_tag_condition(self):
        self.owner.put_object(Bucket=self.b, Key="tagged", Body=b"t", Tagging="class=shared")
        self.owner.put_object(Bucket=self.b, Key="other", Body=b"o", Tagging="class=private")
        self.owner.put_object(Bucket=self.b, Key="untagged", Body=b"u")
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                                    "arn:aws:s3:::%s/*" % self.b,
                                    {"StringEquals": {"s3:ExistingObjectTag/class": "shared"}})))
        self.assertBytes(self.u2, "tagged", b"t")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="other")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="untagged")
        # retagging changes the answer at once
        self.owner.put_object_tagging(Bucket=self.b, Key="other",
                                      Tagging={"TagSet": [{"Key": "class", "Value": "shared"}]})
        self.assertBytes(self.u2, "other", b"o")

    def test_request_tag_condition_in_a_body_fails_closed(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        tags = {"TagSet": [{"Key": "class", "Value": "public"}]}
        self.put_policy(policy(stmt("Deny", "*", ["s3:PutObject", "s3:PutObjectTagging"],
                                    "arn:aws:s3:::%s/*" % self.b,
                                    {"StringEquals": {"s3:RequestObjectTag/class": "public"}})))
        # the tags are in the body, read after the decision: it cannot be judged, so denied
        self.assertDenied(self.owner.put_object_tagging, Bucket=self.b, Key="k", Tagging=tags)
        self.assertEqual(self.owner.get_object_tagging(Bucket=self.b, Key="k")["TagSet"], [])
        # in the x-amz-tagging header it is judged: other tags pass, class=public is denied
        self.owner.put_object(Bucket=self.b, Key="h", Body=b"h", Tagging="class=private")
        self.assertDenied(self.owner.put_object, Bucket=self.b, Key="h2", Body=b"h",
                          Tagging="class=public")
        self.assertAbsent("h2")

    def test_recreated_bucket_forgets_access_settings(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, ["s3:GetObject", "s3:PutObject"],
                                    "arn:aws:s3:::%s/*" % self.b)))
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read-write")
        self.owner.put_public_access_block(Bucket=self.b,
                                           PublicAccessBlockConfiguration=PAB_ALL_FALSE)
        self.owner.put_bucket_ownership_controls(
            Bucket=self.b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        self.assertBytes(self.u2, "k", b"k")
        self.owner.delete_object(Bucket=self.b, Key="k")
        self.owner.delete_bucket(Bucket=self.b)
        # the same name, now USER3's: nothing of the old bucket's settings applies
        self.u3.create_bucket(Bucket=self.b)
        self.u3.put_object(Bucket=self.b, Key="k", Body=b"user3's")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="k")
        self.assertDenied(self.u2.put_object, Bucket=self.b, Key="u2", Body=b"x")
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="k")
        self.assertAnonGet("k", 403)
        self.assertRawError(anon("GET", self.path()), 403, "AccessDenied")
        self.assertS3Error("NoSuchBucketPolicy", 404, self.u3.get_bucket_policy, Bucket=self.b)
        self.assertS3Error("NoSuchPublicAccessBlockConfiguration", 404,
                           self.u3.get_public_access_block, Bucket=self.b)
        self.assertS3Error("OwnershipControlsNotFoundError", 404,
                           self.u3.get_bucket_ownership_controls, Bucket=self.b)
        self.assertEqual(acl_of(self.u3.get_bucket_acl(Bucket=self.b)),
                         ({"DisplayName": USER3, "ID": USER3}, [user_grant(USER3, "FULL_CONTROL")]))

    def test_copy_needs_read_on_the_source(self):
        self.owner.put_object(Bucket=self.b, Key="src/a", Body=b"source")
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:PutObject",
                                    "arn:aws:s3:::%s/dst/*" % self.b)))
        self.assertDenied(self.u2.copy_object, Bucket=self.b, Key="dst/a",
                          CopySource={"Bucket": self.b, "Key": "src/a"})
        self.assertAbsent("dst/a")
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:PutObject",
                                    "arn:aws:s3:::%s/dst/*" % self.b),
                               stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                                    "arn:aws:s3:::%s/src/*" % self.b)))
        self.u2.copy_object(Bucket=self.b, Key="dst/a", CopySource={"Bucket": self.b,
                                                                    "Key": "src/a"})
        self.assertBytes(self.u2, "dst/a", b"source")
        self.assertDenied(self.u2.copy_object, Bucket=self.b, Key="src/b",
                          CopySource={"Bucket": self.b, "Key": "src/a"})
        self.assertAbsent("src/b")


# ---------------------------------------------------------------------------
# 4. public access block


PAB_ALL_FALSE = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                 "RestrictPublicBuckets": False}


class PublicAccessBlockTest(Base):
    def pab(self, **flags):
        cfg = dict(PAB_ALL_FALSE, **flags)
        self.owner.put_public_access_block(Bucket=self.b, PublicAccessBlockConfiguration=cfg)
        return cfg

    def test_round_trip(self):
        err = self.assertS3Error("NoSuchPublicAccessBlockConfiguration", 404,
                                 self.owner.get_public_access_block, Bucket=self.b)
        self.assertEqual(err.response["Error"]["Message"],
                         "The public access block configuration was not found")
        for flags in [{"BlockPublicAcls": True, "BlockPublicPolicy": True},
                      {"IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                      {}, {k: True for k in PAB_ALL_FALSE}]:
            with self.subTest(flags=flags):
                cfg = self.pab(**flags)
                self.assertEqual(self.owner.get_public_access_block(
                    Bucket=self.b)["PublicAccessBlockConfiguration"], cfg)
        self.assertDenied(self.u2.get_public_access_block, Bucket=self.b)
        self.assertDenied(self.u2.delete_public_access_block, Bucket=self.b)
        self.assertDenied(self.u2.put_public_access_block, Bucket=self.b,
                          PublicAccessBlockConfiguration=PAB_ALL_FALSE)
        st, _, body = raw("DELETE", self.path() + "?publicAccessBlock")
        self.assertEqual((st, body), (204, b""))
        self.assertS3Error("NoSuchPublicAccessBlockConfiguration", 404,
                           self.owner.get_public_access_block, Bucket=self.b)

    def test_block_public_policy(self):
        self.pab(BlockPublicPolicy=True)
        public = policy(stmt("Allow", "*", "s3:GetObject", "arn:aws:s3:::%s/*" % self.b))
        self.assertDenied(self.owner.put_bucket_policy, Bucket=self.b, Policy=public)
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy, Bucket=self.b)
        user_only = self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                                                "arn:aws:s3:::%s/*" % self.b)))
        self.assertDenied(self.owner.put_bucket_policy, Bucket=self.b, Policy=public)
        self.assertEqual(self.get_policy(), user_only)
        # a pinned one is not public
        pinned = self.put_policy(policy(stmt("Allow", "*", "s3:GetObject",
                                             "arn:aws:s3:::%s/*" % self.b,
                                             {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}})))
        self.assertEqual(self.get_policy(), pinned)

    def test_block_public_acls(self):
        self.owner.put_object(Bucket=self.b, Key="old-public", Body=b"old", ACL="public-read")
        self.owner.put_object(Bucket=self.b, Key="private", Body=b"private")
        self.pab(BlockPublicAcls=True)
        for acl in ["public-read", "public-read-write", "authenticated-read"]:
            with self.subTest(acl=acl):
                self.assertDenied(self.owner.put_object, Bucket=self.b, Key="new", Body=b"x",
                                  ACL=acl)
                self.assertAbsent("new")
        self.assertDenied(self.owner.put_object, Bucket=self.b, Key="new", Body=b"x",
                          GrantRead='uri="%s"' % ALL_USERS)
        self.assertAbsent("new")
        self.assertDenied(self.owner.copy_object, Bucket=self.b, Key="new", ACL="public-read",
                          CopySource={"Bucket": self.b, "Key": "private"})
        self.assertAbsent("new")
        self.assertDenied(self.owner.create_multipart_upload, Bucket=self.b, Key="new",
                          ACL="public-read")
        self.assertEqual(self.owner.list_multipart_uploads(Bucket=self.b).get("Uploads", []), [])
        self.assertDenied(self.owner.put_object_acl, Bucket=self.b, Key="private",
                          ACL="public-read")
        self.assertAnonGet("private", 403)
        self.assertDenied(self.owner.put_bucket_acl, Bucket=self.b, ACL="public-read")
        self.assertEqual(self.owner.get_bucket_acl(Bucket=self.b)["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL")])
        self.assertRawError(anon("GET", self.path()), 403, "AccessDenied")
        # what was public stays public (BlockPublicAcls only refuses new public ACLs)
        self.assertAnonGet("old-public", b"old")
        # private ACLs and grants to users are fine
        self.owner.put_object(Bucket=self.b, Key="granted", Body=b"g",
                              GrantRead='id="%s"' % USER2)
        self.assertBytes(self.u2, "granted", b"g")
        self.owner.delete_public_access_block(Bucket=self.b)
        self.owner.put_object(Bucket=self.b, Key="new", Body=b"x", ACL="public-read")
        self.assertAnonGet("new", b"x")

    def test_ignore_public_acls(self):
        self.owner.put_object(Bucket=self.b, Key="pub", Body=b"pub", ACL="public-read")
        self.owner.put_object(Bucket=self.b, Key="auth", Body=b"auth", ACL="authenticated-read")
        self.owner.put_object(Bucket=self.b, Key="u2", Body=b"u2", GrantRead='id="%s"' % USER2)
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read")
        self.assertAnonGet("pub", b"pub")
        self.pab(IgnorePublicAcls=True)
        self.assertAnonGet("pub", 403)
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="auth")
        self.assertRawError(anon("GET", self.path()), 403, "AccessDenied")
        self.assertBytes(self.u2, "u2", b"u2")  # a grant to a user is not public
        self.assertBytes(self.owner, "pub", b"pub")
        # a public ACL may still be set (it is ignored, not blocked)
        self.owner.put_object(Bucket=self.b, Key="pub2", Body=b"pub2", ACL="public-read")
        self.assertAnonGet("pub2", 403)
        self.owner.delete_public_access_block(Bucket=self.b)
        self.assertAnonGet("pub", b"pub")
        self.assertAnonGet("pub2", b"pub2")
        self.assertBytes(self.u3, "auth", b"auth")
        self.assertEqual(anon("GET", self.path())[0], 200)

    def test_restrict_public_buckets(self):
        self.owner.put_object(Bucket=self.b, Key="pub/a", Body=b"pub")
        self.owner.put_object(Bucket=self.b, Key="shared/a", Body=b"shared")
        self.put_policy(policy(
            stmt("Allow", "*", "s3:GetObject", "arn:aws:s3:::%s/pub/*" % self.b),
            stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                 "arn:aws:s3:::%s/shared/*" % self.b)))
        self.assertAnonGet("pub/a", b"pub")
        self.pab(RestrictPublicBuckets=True)
        self.assertAnonGet("pub/a", 403)
        self.assertBytes(self.u2, "shared/a", b"shared")
        self.assertDenied(self.u3.get_object, Bucket=self.b, Key="shared/a")
        self.assertBytes(self.owner, "pub/a", b"pub")
        self.owner.delete_public_access_block(Bucket=self.b)
        self.assertAnonGet("pub/a", b"pub")


# ---------------------------------------------------------------------------
# 5. Object Ownership


class OwnershipTest(Base):
    def own(self, value):
        self.owner.put_bucket_ownership_controls(
            Bucket=self.b, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})

    def allow_u2_put(self):
        self.put_policy(policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:PutObject",
                                    "arn:aws:s3:::%s/*" % self.b)))

    def test_round_trip(self):
        err = self.assertS3Error("OwnershipControlsNotFoundError", 404,
                                 self.owner.get_bucket_ownership_controls, Bucket=self.b)
        self.assertEqual(err.response["Error"]["Message"],
                         "The bucket ownership controls were not found")
        for value in ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]:
            with self.subTest(value=value):
                self.own(value)
                self.assertEqual(self.owner.get_bucket_ownership_controls(
                    Bucket=self.b)["OwnershipControls"], {"Rules": [{"ObjectOwnership": value}]})
        self.assertS3Error("MalformedXML", 400, self.owner.put_bucket_ownership_controls,
                           Bucket=self.b,
                           OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]})
        self.assertDenied(self.u2.get_bucket_ownership_controls, Bucket=self.b)
        self.assertDenied(self.u2.put_bucket_ownership_controls, Bucket=self.b,
                          OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        self.assertEqual(self.owner.get_bucket_ownership_controls(Bucket=self.b)
                         ["OwnershipControls"]["Rules"], [{"ObjectOwnership": "ObjectWriter"}])
        st, _, body = raw("DELETE", self.path() + "?ownershipControls")
        self.assertEqual((st, body), (204, b""))
        self.assertS3Error("OwnershipControlsNotFoundError", 404,
                           self.owner.get_bucket_ownership_controls, Bucket=self.b)

    def check_enforced(self, bucket):
        s3 = self.owner
        err = self.assertS3Error("AccessControlListNotSupported", 400, s3.put_object,
                                 Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
        self.assertEqual(err.response["Error"]["Message"], "The bucket does not allow ACLs")
        self.assertAbsent("pub", bucket)
        self.assertS3Error("AccessControlListNotSupported", 400, s3.put_object, Bucket=bucket,
                           Key="pub", Body=b"x", GrantRead='id="%s"' % USER2)
        self.assertAbsent("pub", bucket)
        # only bucket-owner-full-control is taken, not even "private" (S3 refuses it too)
        self.assertS3Error("AccessControlListNotSupported", 400, s3.put_object, Bucket=bucket,
                           Key="pub", Body=b"x", ACL="private")
        self.assertAbsent("pub", bucket)
        s3.put_object(Bucket=bucket, Key="bofc", Body=b"bofc", ACL="bucket-owner-full-control")
        self.assertBytes(s3, "bofc", b"bofc", bucket)
        s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
        self.assertS3Error("AccessControlListNotSupported", 400, s3.put_object_acl, Bucket=bucket,
                           Key="plain", ACL="public-read")
        self.assertS3Error("AccessControlListNotSupported", 400, s3.put_bucket_acl, Bucket=bucket,
                           GrantRead='id="%s"' % USER2)
        self.assertS3Error("AccessControlListNotSupported", 400, s3.put_bucket_acl, Bucket=bucket,
                           ACL="public-read")
        self.assertDenied(self.u2.list_objects_v2, Bucket=bucket)
        st, _, body = anon("GET", "/%s/plain" % bucket)
        self.assertEqual((st, error_of(body)), (403, ("AccessDenied", "Access Denied")))
        # reads of ACLs still work, and show the bucket owner's full control
        self.assertEqual(acl_of(s3.get_bucket_acl(Bucket=bucket)),
                         ({"DisplayName": OWNER, "ID": OWNER}, [user_grant(OWNER, "FULL_CONTROL")]))
        self.assertEqual(acl_of(s3.get_object_acl(Bucket=bucket, Key="bofc")),
                         ({"DisplayName": OWNER, "ID": OWNER}, [user_grant(OWNER, "FULL_CONTROL")]))

    def test_bucket_owner_enforced_by_put_ownership_controls(self):
        self.own("BucketOwnerEnforced")
        self.check_enforced(self.b)

    def test_bucket_owner_enforced_at_create_bucket(self):
        name = self.b + "-enf"
        self.owner.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerEnforced")
        self.assertEqual(self.owner.get_bucket_ownership_controls(Bucket=name)
                         ["OwnershipControls"]["Rules"], [{"ObjectOwnership": "BucketOwnerEnforced"}])
        self.check_enforced(name)
        # a bucket ACL granting others cannot come with it
        bad = self.b + "-bad"
        self.assertS3Error("InvalidBucketAclWithObjectOwnership", 400, self.owner.create_bucket,
                           Bucket=bad, ObjectOwnership="BucketOwnerEnforced", ACL="public-read")
        self.assertS3Error("404", 404, self.owner.head_bucket, Bucket=bad)
        self.assertS3Error("InvalidArgument", 400, self.owner.create_bucket, Bucket=bad,
                           ObjectOwnership="Nobody")
        self.assertS3Error("404", 404, self.owner.head_bucket, Bucket=bad)

    def test_enforced_refused_while_bucket_acl_grants_others(self):
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read")
        self.assertS3Error("InvalidBucketAclWithObjectOwnership", 400,
                           self.owner.put_bucket_ownership_controls, Bucket=self.b,
                           OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        self.assertS3Error("OwnershipControlsNotFoundError", 404,
                           self.owner.get_bucket_ownership_controls, Bucket=self.b)
        self.owner.put_bucket_acl(Bucket=self.b, ACL="private")
        self.own("BucketOwnerEnforced")

    def test_enforced_makes_acls_irrelevant(self):
        # written under ObjectWriter: a public object, and one USER2 owns and keeps private
        self.own("ObjectWriter")
        self.allow_u2_put()
        self.owner.put_object(Bucket=self.b, Key="pub", Body=b"pub", ACL="public-read")
        self.u2.put_object(Bucket=self.b, Key="u2", Body=b"u2 private")
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="u2")
        self.own("BucketOwnerEnforced")
        # the bucket owner owns everything; ACLs grant nothing
        self.assertAnonGet("pub", 403)
        self.assertBytes(self.owner, "u2", b"u2 private")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="u2")
        # a new object from USER2 belongs to the bucket owner
        self.u2.put_object(Bucket=self.b, Key="u2-new", Body=b"new")
        self.assertBytes(self.owner, "u2-new", b"new")
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="u2-new")["Owner"]["ID"],
                         OWNER)
        self.u2.put_object(Bucket=self.b, Key="u2-bofc", Body=b"bofc",
                           ACL="bucket-owner-full-control")
        self.assertBytes(self.owner, "u2-bofc", b"bofc")
        self.owner.delete_bucket_ownership_controls(Bucket=self.b)
        self.assertAnonGet("pub", b"pub")

    def test_enforced_acl_reads_show_bucket_owner(self):
        # S3 (Object Ownership troubleshooting): with BucketOwnerEnforced the bucket owner owns
        # every object, and "requests to read ACLs always return a response that shows full
        # control for the bucket owner".
        self.own("ObjectWriter")
        self.allow_u2_put()
        self.owner.put_object(Bucket=self.b, Key="pub", Body=b"pub", ACL="public-read")
        self.u2.put_object(Bucket=self.b, Key="u2", Body=b"u2 private")
        self.own("BucketOwnerEnforced")
        for key in ["u2", "pub"]:
            with self.subTest(key=key):
                self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key=key)),
                                 ({"DisplayName": OWNER, "ID": OWNER},
                                  [user_grant(OWNER, "FULL_CONTROL")]))

    def test_object_writer(self):
        self.own("ObjectWriter")
        self.allow_u2_put()
        self.u2.put_object(Bucket=self.b, Key="mine", Body=b"user2 keeps this")
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="mine")
        self.assertS3Error("403", 403, self.owner.head_object, Bucket=self.b, Key="mine")
        self.assertDenied(self.owner.get_object_acl, Bucket=self.b, Key="mine")
        self.assertBytes(self.u2, "mine", b"user2 keeps this")
        self.assertEqual(acl_of(self.u2.get_object_acl(Bucket=self.b, Key="mine")),
                         ({"DisplayName": USER2, "ID": USER2}, [user_grant(USER2, "FULL_CONTROL")]))
        # ...unless the writer hands the bucket owner full control (the object stays USER2's)
        self.u2.put_object(Bucket=self.b, Key="shared", Body=b"for the owner",
                           ACL="bucket-owner-full-control")
        self.assertBytes(self.owner, "shared", b"for the owner")
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="shared")),
                         ({"DisplayName": USER2, "ID": USER2},
                          [user_grant(USER2, "FULL_CONTROL"), user_grant(OWNER, "FULL_CONTROL")]))
        # or grants it later
        self.u2.put_object_acl(Bucket=self.b, Key="mine", GrantRead='id="%s"' % OWNER)
        self.assertBytes(self.owner, "mine", b"user2 keeps this")
        # the bucket owner may always delete
        self.owner.delete_object(Bucket=self.b, Key="mine")
        self.assertAbsent("mine")
        # the same without any ownership controls (S3's behaviour for such buckets)
        self.owner.delete_bucket_ownership_controls(Bucket=self.b)
        self.u2.put_object(Bucket=self.b, Key="mine2", Body=b"2")
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="mine2")

    def test_bucket_owner_preferred(self):
        self.own("BucketOwnerPreferred")
        self.allow_u2_put()
        self.u2.put_object(Bucket=self.b, Key="bofc", Body=b"handed over",
                           ACL="bucket-owner-full-control")
        self.assertEqual(acl_of(self.owner.get_object_acl(Bucket=self.b, Key="bofc")),
                         ({"DisplayName": OWNER, "ID": OWNER}, [user_grant(OWNER, "FULL_CONTROL")]))
        self.assertBytes(self.owner, "bofc", b"handed over")
        # without that ACL the writer keeps it
        self.u2.put_object(Bucket=self.b, Key="kept", Body=b"kept")
        self.assertEqual(self.u2.get_object_acl(Bucket=self.b, Key="kept")["Owner"]["ID"], USER2)
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="kept")
        # public ACLs still work under BucketOwnerPreferred
        self.owner.put_object(Bucket=self.b, Key="pub", Body=b"pub", ACL="public-read")
        self.assertAnonGet("pub", b"pub")


# ---------------------------------------------------------------------------
# 6. --bucket-defaults aws


class CrashTest(S3Assertions, unittest.TestCase):
    """Access settings are rows like any other: acknowledged means durable. Each is set,
    the server is SIGKILLed at once, `coffer check` (which judges every bucket's ACL,
    ownership, public access block and policy, and every object's ACL) passes, and after
    the restart every setting is exactly what was acknowledged."""

    def test_settings_survive_sigkill_and_pass_coffer_check(self):
        srv = CofferServer()
        srv.add_user(OWNER, OWNER_SECRET)
        srv.add_user(USER2, SECRET2)
        srv.start()
        try:
            s3 = client(srv=srv)
            s3.create_bucket(Bucket="crash-acc", ObjectOwnership="BucketOwnerPreferred")
            pol = policy(stmt("Allow", {"AWS": arn(USER2)}, "s3:GetObject",
                              "arn:aws:s3:::crash-acc/shared/*"))
            s3.put_bucket_policy(Bucket="crash-acc", Policy=pol)
            s3.put_bucket_acl(Bucket="crash-acc", ACL="public-read")
            s3.put_object(Bucket="crash-acc", Key="shared/a", Body=b"a", ACL="public-read")
            s3.put_object(Bucket="crash-acc", Key="g", Body=b"g", GrantRead='id="%s"' % USER2)
            s3.put_public_access_block(Bucket="crash-acc", PublicAccessBlockConfiguration={
                "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False})
            cors = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["http://a.test"],
                                   "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 60}]}
            s3.put_bucket_cors(Bucket="crash-acc", CORSConfiguration=cors)
            want_acl = s3.get_object_acl(Bucket="crash-acc", Key="g")["Grants"]
            srv.kill()
            rc, out = srv.check()
            self.assertEqual(rc, 0, out)
            self.assertIn("0 buckets with bad settings", out)
            srv.start()
            s3 = client(srv=srv)
            self.assertEqual(s3.get_bucket_policy(Bucket="crash-acc")["Policy"], pol)
            self.assertEqual(s3.get_bucket_ownership_controls(Bucket="crash-acc")
                             ["OwnershipControls"]["Rules"],
                             [{"ObjectOwnership": "BucketOwnerPreferred"}])
            self.assertTrue(s3.get_public_access_block(Bucket="crash-acc")
                            ["PublicAccessBlockConfiguration"]["BlockPublicPolicy"])
            self.assertEqual(s3.get_object_acl(Bucket="crash-acc", Key="g")["Grants"], want_acl)
            self.assertEqual(s3.get_bucket_cors(Bucket="crash-acc")["CORSRules"],
                             cors["CORSRules"])
            self.assertEqual(client(USER2, SECRET2, srv=srv).get_object(
                Bucket="crash-acc", Key="g")["Body"].read(), b"g")
            st, _, body = anon("GET", "/crash-acc/shared/a", srv=srv)
            self.assertEqual((st, body), (200, b"a"))
            st, _, body = anon("GET", "/crash-acc", srv=srv)  # the bucket's public-read ACL
            self.assertEqual(st, 200)
        finally:
            srv.stop()


class AwsDefaultsTest(S3Assertions, unittest.TestCase):
    srv = None

    @classmethod
    def setUpClass(cls):
        cls.srv = CofferServer(env={"COFFER_BUCKET_DEFAULTS": "aws"})
        cls.srv.add_user(OWNER, OWNER_SECRET)
        cls.srv.add_user(USER2, SECRET2)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_new_bucket_is_enforced_and_blocked(self):
        s3 = client(srv=self.srv)
        s3.create_bucket(Bucket="aws-defaults")
        self.assertEqual(s3.get_bucket_ownership_controls(Bucket="aws-defaults")
                         ["OwnershipControls"]["Rules"], [{"ObjectOwnership": "BucketOwnerEnforced"}])
        self.assertEqual(s3.get_public_access_block(Bucket="aws-defaults")
                         ["PublicAccessBlockConfiguration"],
                         {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                          "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        self.assertS3Error("AccessControlListNotSupported", 400, s3.put_object,
                           Bucket="aws-defaults", Key="pub", Body=b"x", ACL="public-read")
        st, _, body = raw("PUT", "/aws-defaults/pub", b"x", {"x-amz-acl": "public-read"},
                          srv=self.srv)
        self.assertEqual((st, error_of(body)[0]), (400, "AccessControlListNotSupported"))
        with self.assertRaises(ClientError) as cm:
            s3.head_object(Bucket="aws-defaults", Key="pub")
        self.assertEqual(code_of(cm.exception), ("404", 404))
        s3.put_object(Bucket="aws-defaults", Key="plain", Body=b"plain")
        self.assertEqual(anon("GET", "/aws-defaults/plain", srv=self.srv)[0], 403)
        self.assertS3Error("AccessDenied", 403, s3.put_bucket_policy, Bucket="aws-defaults",
                           Policy=policy(stmt("Allow", "*", "s3:GetObject",
                                              "arn:aws:s3:::aws-defaults/*")))
        self.assertS3Error("NoSuchBucketPolicy", 404, s3.get_bucket_policy, Bucket="aws-defaults")

    def test_create_bucket_object_ownership_overrides(self):
        s3 = client(srv=self.srv)
        s3.create_bucket(Bucket="aws-writer", ObjectOwnership="ObjectWriter")
        self.assertEqual(s3.get_bucket_ownership_controls(Bucket="aws-writer")
                         ["OwnershipControls"]["Rules"], [{"ObjectOwnership": "ObjectWriter"}])
        # ACLs are enabled, but the public access block still refuses public ones
        self.assertS3Error("AccessDenied", 403, s3.put_object, Bucket="aws-writer", Key="pub",
                           Body=b"x", ACL="public-read")
        with self.assertRaises(ClientError) as cm:
            s3.head_object(Bucket="aws-writer", Key="pub")
        self.assertEqual(code_of(cm.exception), ("404", 404))
        s3.put_object(Bucket="aws-writer", Key="g", Body=b"g", GrantRead='id="%s"' % USER2)
        self.assertEqual(client(USER2, SECRET2, srv=self.srv).get_object(
            Bucket="aws-writer", Key="g")["Body"].read(), b"g")

    def test_open_server_sets_nothing(self):
        s3 = client()
        s3.create_bucket(Bucket="open-defaults")
        self.assertS3Error("OwnershipControlsNotFoundError", 404,
                           s3.get_bucket_ownership_controls, Bucket="open-defaults")
        self.assertS3Error("NoSuchPublicAccessBlockConfiguration", 404,
                           s3.get_public_access_block, Bucket="open-defaults")
        s3.put_object(Bucket="open-defaults", Key="pub", Body=b"p", ACL="public-read")
        st, _, body = anon("GET", "/open-defaults/pub")
        self.assertEqual((st, body), (200, b"p"))


# ---------------------------------------------------------------------------
# 8. x-amz-expected-bucket-owner


class ExpectedOwnerTest(Base):
    def test_expected_bucket_owner(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k", ExpectedBucketOwner=OWNER)
        self.assertEqual(self.owner.get_object(Bucket=self.b, Key="k", ExpectedBucketOwner=OWNER)
                         ["Body"].read(), b"k")
        self.owner.list_objects_v2(Bucket=self.b, ExpectedBucketOwner=OWNER)
        self.assertDenied(self.owner.put_object, Bucket=self.b, Key="k", Body=b"other",
                          ExpectedBucketOwner=USER2)
        self.assertDenied(self.owner.put_object, Bucket=self.b, Key="new", Body=b"new",
                          ExpectedBucketOwner=USER2)
        self.assertAbsent("new")
        self.assertBytes(self.owner, "k", b"k")
        self.assertDenied(self.owner.get_object, Bucket=self.b, Key="k",
                          ExpectedBucketOwner="111122223333")
        self.assertDenied(self.owner.list_objects_v2, Bucket=self.b, ExpectedBucketOwner=USER2)
        self.assertDenied(self.owner.delete_object, Bucket=self.b, Key="k",
                          ExpectedBucketOwner=USER2)
        self.assertDenied(self.owner.put_bucket_policy, Bucket=self.b, ExpectedBucketOwner=USER2,
                          Policy=policy(stmt("Allow", "*", "s3:GetObject",
                                             "arn:aws:s3:::%s/*" % self.b)))
        self.assertS3Error("NoSuchBucketPolicy", 404, self.owner.get_bucket_policy, Bucket=self.b)
        self.assertBytes(self.owner, "k", b"k")
        # another user on a bucket it may read (public-read object): the owner's id is what counts
        self.owner.put_object_acl(Bucket=self.b, Key="k", ACL="public-read")
        self.assertEqual(self.u2.get_object(Bucket=self.b, Key="k", ExpectedBucketOwner=OWNER)
                         ["Body"].read(), b"k")
        self.assertDenied(self.u2.get_object, Bucket=self.b, Key="k", ExpectedBucketOwner=USER2)


    def test_expected_bucket_owner_on_delete_objects(self):
        self.owner.put_object(Bucket=self.b, Key="k", Body=b"k")
        self.assertDenied(self.owner.delete_objects, Bucket=self.b, ExpectedBucketOwner=USER2,
                          Delete={"Objects": [{"Key": "k"}]})
        self.assertBytes(self.owner, "k", b"k")
        got = self.owner.delete_objects(Bucket=self.b, ExpectedBucketOwner=OWNER,
                                        Delete={"Objects": [{"Key": "k"}]})
        self.assertEqual([d["Key"] for d in got["Deleted"]], ["k"])
        self.assertAbsent("k")

    def test_expected_source_bucket_owner_on_copy(self):
        # S3 (CopyObject, UploadPartCopy): x-amz-source-expected-bucket-owner that does not
        # match the source bucket's owner fails with 403 AccessDenied.
        self.owner.put_object(Bucket=self.b, Key="src", Body=b"src")
        self.owner.copy_object(Bucket=self.b, Key="ok", CopySource={"Bucket": self.b, "Key": "src"},
                               ExpectedSourceBucketOwner=OWNER)
        self.assertBytes(self.owner, "ok", b"src")
        self.assertDenied(self.owner.copy_object, Bucket=self.b, Key="dst",
                          CopySource={"Bucket": self.b, "Key": "src"},
                          ExpectedSourceBucketOwner=USER2)
        self.assertAbsent("dst")


# ---------------------------------------------------------------------------
# 7. real command-line clients


BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser")
SKIP_EXIT = 77  # tests/it/browser/launch.mjs: no browser here


def png(width, height):
    """A real PNG of width x height opaque grey pixels."""
    import struct
    import zlib

    def chunk(kind, payload):
        c = struct.pack(">I", len(payload)) + kind + payload
        return c + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class BrowserTest(Base):
    """A public-read image shows in Chromium's <img>; a private one does not."""

    def test_public_read_image_shows_in_chromium_and_a_private_one_does_not(self):
        if not shutil.which("node"):
            self.skipTest("node is not installed")
        if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules")):
            self.skipTest("npm packages are not installed in %s" % BROWSER_DIR)
        image = png(7, 5)
        self.owner.put_object(Bucket=self.b, Key="pub.png", Body=image, ContentType="image/png",
                              ACL="public-read")
        self.owner.put_object(Bucket=self.b, Key="priv.png", Body=image, ContentType="image/png")
        base = "http://127.0.0.1:%d/%s/" % (SERVER.port, self.b)
        p = subprocess.run(["node", os.path.join(BROWSER_DIR, "show_images.mjs"),
                            base + "pub.png", base + "priv.png"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if p.returncode == SKIP_EXIT:
            self.skipTest(p.stdout.decode().strip().removeprefix("SKIP "))
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        got = json.loads(p.stdout.decode().strip().splitlines()[-1])
        self.assertEqual([(g["loaded"], g["width"], g["height"]) for g in got],
                         [(True, 7, 5), (False, 0, 0)])
        self.assertAnonGet("pub.png", image)
        self.assertAnonGet("priv.png", 403)


def find_aws_v1():
    try:
        p = subprocess.run(["pyenv", "which", "aws"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=30)
        path = p.stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        path = ""
    path = path or shutil.which("aws") or ""
    return path if path and os.path.realpath(path) != "/usr/bin/aws" else None


class CliTest(Base):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="coffer-access-cli-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_cli(self, argv, env=None):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                           env=dict(os.environ, **(env or {})))
        self.assertEqual(p.returncode, 0, "%s: %s %s" % (argv, p.stdout[-2000:], p.stderr[-2000:]))
        return p.stdout

    def curl_anon(self, key):
        """an anonymous GET with curl: (status, body bytes)."""
        if not shutil.which("curl"):
            self.skipTest("no curl")
        out = os.path.join(self.tmp, "curl-out")
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.run(["curl", "-s", "-o", out, "-w", "%{http_code}",
                            SERVER.endpoint + self.path(key)], stdout=subprocess.PIPE,
                           timeout=60)
        with open(out, "rb") as f:
            return int(p.stdout), f.read()

    def src_file(self, name, body):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(body)
        return path

    def s3cmd(self, *args):
        if not shutil.which("s3cmd"):
            self.skipTest("no s3cmd")
        cfg = os.path.join(self.tmp, "s3cfg")
        with open(cfg, "w") as f:
            f.write("[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%d\n"
                    "host_bucket = 127.0.0.1:%d\nuse_https = False\nsignature_v2 = False\n"
                    % (OWNER, OWNER_SECRET, SERVER.port, SERVER.port))
        return self.run_cli(["s3cmd", "-c", cfg] + list(args))

    def aws(self, binary, *args):
        cfg = os.path.join(self.tmp, "aws.config")
        with open(cfg, "w") as f:
            f.write("[default]\ns3 =\n  signature_version = s3v4\n")
        env = {"AWS_ACCESS_KEY_ID": OWNER, "AWS_SECRET_ACCESS_KEY": OWNER_SECRET,
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": cfg,
               "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": ""}
        return self.run_cli([binary, "--endpoint-url", SERVER.endpoint] + list(args), env)

    def test_s3cmd_acl_public_then_private(self):
        body = data(50000, 31)
        src = self.src_file("s3cmd-src", body)
        self.s3cmd("put", "--acl-public", src, "s3://%s/by-s3cmd" % self.b)
        self.assertEqual(self.curl_anon("by-s3cmd"), (200, body))
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="by-s3cmd")["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL"), group_grant(ALL_USERS, "READ")])
        self.s3cmd("setacl", "--acl-private", "s3://%s/by-s3cmd" % self.b)
        st, got = self.curl_anon("by-s3cmd")
        self.assertEqual(st, 403)
        self.assertEqual(error_of(got), ("AccessDenied", "Access Denied"))
        self.assertEqual(self.owner.get_object_acl(Bucket=self.b, Key="by-s3cmd")["Grants"],
                         [user_grant(OWNER, "FULL_CONTROL")])
        self.assertBytes(self.owner, "by-s3cmd", body)
        self.s3cmd("setacl", "--acl-public", "s3://%s/by-s3cmd" % self.b)
        self.assertEqual(self.curl_anon("by-s3cmd"), (200, body))

    def check_aws_cli(self, binary, label):
        body = data(30000, len(label))
        src = self.src_file("aws-src-" + label, body)
        key = "by-aws-%s" % label
        self.aws(binary, "s3", "cp", "--only-show-errors", "--acl", "public-read", src,
                 "s3://%s/%s" % (self.b, key))
        self.assertEqual(self.curl_anon(key), (200, body))
        self.aws(binary, "s3", "cp", "--only-show-errors", src, "s3://%s/%s-private" % (self.b, key))
        self.assertEqual(self.curl_anon(key + "-private")[0], 403)
        # a policy through a file, read back equal
        doc = ('{\n  "Version": "2012-10-17",\n  "Statement": [{\n    "Sid": "PublicRead%s",\n'
               '    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",\n'
               '    "Resource": "arn:aws:s3:::%s/pub-%s/*"\n  }]\n}\n' % (label, self.b, label))
        pfile = self.src_file("policy-%s.json" % label, doc.encode())
        self.aws(binary, "s3api", "put-bucket-policy", "--bucket", self.b, "--policy",
                 "file://" + pfile)
        out = self.aws(binary, "s3api", "get-bucket-policy", "--bucket", self.b,
                       "--output", "json")
        self.assertEqual(json.loads(out)["Policy"], doc)
        out = self.aws(binary, "s3api", "get-bucket-policy-status", "--bucket", self.b,
                       "--output", "json")
        self.assertEqual(json.loads(out), {"PolicyStatus": {"IsPublic": True}})
        self.owner.put_object(Bucket=self.b, Key="pub-%s/x" % label, Body=b"via policy")
        self.assertEqual(self.curl_anon("pub-%s/x" % label), (200, b"via policy"))
        self.aws(binary, "s3api", "delete-bucket-policy", "--bucket", self.b)
        self.assertEqual(self.curl_anon("pub-%s/x" % label)[0], 403)

    def test_curl_anonymous_put_to_public_read_write_bucket(self):
        if not shutil.which("curl"):
            self.skipTest("no curl")
        self.owner.put_bucket_acl(Bucket=self.b, ACL="public-read-write")
        body = data(20000, 41)
        src = self.src_file("curl-anon-put", body)
        p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", src,
                            SERVER.endpoint + self.path("by-curl")], stdout=subprocess.PIPE,
                           timeout=60)
        self.assertEqual(p.stdout, b"200")
        self.assertBytes(self.owner, "by-curl", body)

    def test_aws_cli_v2(self):
        if not os.access("/usr/bin/aws", os.X_OK):
            self.skipTest("no /usr/bin/aws (Debian's AWS CLI v2)")
        self.check_aws_cli("/usr/bin/aws", "v2")

    def test_aws_cli_v1(self):
        v1 = find_aws_v1()
        if not v1:
            self.skipTest("no AWS CLI v1 besides /usr/bin/aws")
        self.check_aws_cli(v1, "v1")


def main():
    global SERVER
    SERVER = CofferServer()
    for user, secret in [(OWNER, OWNER_SECRET), (USER2, SECRET2), (USER3, SECRET3)]:
        SERVER.add_user(user, secret)
    SERVER.start()
    return run_module(__name__, lambda: SERVER)


if __name__ == "__main__":
    sys.exit(main())
