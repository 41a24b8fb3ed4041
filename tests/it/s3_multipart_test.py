"""s3_multipart_test.py -- multipart upload driven by boto3 against the real binary.

One server with COFFER_MIN_PART_SIZE=1024 serves most tests; the 10,000-part
upload (minimum 1 byte) and expiry (COFFER_UPLOAD_EXPIRY=2) start their own.
Each test asserts bytes, HTTP statuses and S3 error codes. Run directly:
python3 tests/it/s3_multipart_test.py (prints "RESULT: N passed, N failed").
"""
import base64
import hashlib
import io
import os
import re
import sys
import time
import unittest
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import boto3.s3.transfer
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import CofferServer  # noqa: E402
from s3_helpers import (S3Assertions, code_of, crc_b64, crc_digest, data,  # noqa: E402
                        make_client, run_module, signed_request)

SERVER = None
MIN_PART = 1024
CHUNK = 128 * 1024  # the store's chunk size


def client(server=None, **cfg):
    return make_client((server or SERVER).endpoint, **cfg)


def md5_etag(body):
    return '"%s"' % hashlib.md5(body).hexdigest()


def multipart_etag(bodies):
    """S3's multipart ETag: MD5 of the concatenated binary part MD5s, then -N."""
    joined = b"".join(hashlib.md5(b).digest() for b in bodies)
    return '"%s-%d"' % (hashlib.md5(joined).hexdigest(), len(bodies))


def complete_xml(parts):
    """A CompleteMultipartUpload body listing (number, etag) pairs, in the order given."""
    return ("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
            "".join("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % p for p in parts) +
            "</CompleteMultipartUpload>").encode()


def error_code(body):
    m = re.search(rb"<Code>([^<]*)</Code>", body)
    return m.group(1).decode() if m else None


class MultipartBase(S3Assertions, unittest.TestCase):
    bucket_seq = 0

    def setUp(self):
        self.s3 = client()
        MultipartBase.bucket_seq += 1
        self.bucket = "mp-bucket-%d" % MultipartBase.bucket_seq
        self.s3.create_bucket(Bucket=self.bucket)

    def create(self, key, bucket=None, **kw):
        r = self.s3.create_multipart_upload(Bucket=bucket or self.bucket, Key=key, **kw)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual((r["Bucket"], r["Key"]), (bucket or self.bucket, key))
        self.assertRegex(r["UploadId"], "^[0-9a-f]{32}$")
        return r["UploadId"]

    def part(self, key, uid, n, body, bucket=None, **kw):
        r = self.s3.upload_part(Bucket=bucket or self.bucket, Key=key, UploadId=uid, PartNumber=n,
                                Body=body, **kw)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(r["ETag"], md5_etag(body))
        return r

    def complete(self, key, uid, parts, bucket=None, **kw):
        """parts: (number, body) pairs; returns the response after checking its ETag."""
        r = self.s3.complete_multipart_upload(
            Bucket=bucket or self.bucket, Key=key, UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": md5_etag(b)} for n, b in parts]},
            **kw)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(r["ETag"], multipart_etag([b for _, b in parts]))
        self.assertEqual((r["Bucket"], r["Key"]), (bucket or self.bucket, key))
        return r

    def raw_complete(self, key, uid, body, bucket=None):
        """CompleteMultipartUpload with exactly these body bytes: (S3 code, status)."""
        path = "/%s/%s?uploadId=%s" % (bucket or self.bucket, urllib.parse.quote(key), uid)
        status, resp = signed_request(SERVER.endpoint, "POST", path, body)
        return error_code(resp), status

    def assertNoObject(self, key, bucket=None):
        self.assertS3Error("404", 404, self.s3.head_object, Bucket=bucket or self.bucket, Key=key)

    def assertBody(self, key, want, **kw):
        g = self.s3.get_object(Bucket=self.bucket, Key=key, **kw)
        got = g["Body"].read()
        self.assertEqual(len(got), len(want))
        self.assertTrue(got == want, "bytes of %s differ" % key)
        return g

    def part_numbers(self, key, uid):
        r = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=uid)
        return [p["PartNumber"] for p in r.get("Parts", [])]


class MultipartTest(MultipartBase):

    # 1
    def test_parts_out_of_order_ranges_part_reads_copy_delete(self):
        p1, p2_old, p2, p3 = data(300000, 1), data(2000, 2), data(131073, 3), data(77, 4)
        parts = [p1, p2, p3]
        uid = self.create("obj")
        self.part("obj", uid, 3, p3)
        self.part("obj", uid, 1, p1)
        self.part("obj", uid, 2, p2_old)
        self.part("obj", uid, 2, p2)  # replaces the first part 2

        r = self.s3.list_parts(Bucket=self.bucket, Key="obj", UploadId=uid)
        self.assertEqual([p["PartNumber"] for p in r["Parts"]], [1, 2, 3])
        self.assertEqual([p["Size"] for p in r["Parts"]], [len(b) for b in parts])
        self.assertEqual([p["ETag"] for p in r["Parts"]], [md5_etag(b) for b in parts])
        self.assertFalse(r["IsTruncated"])
        self.assertEqual(r["UploadId"], uid)
        seen, marker, pages = [], 0, 0
        while True:
            r = self.s3.list_parts(Bucket=self.bucket, Key="obj", UploadId=uid, MaxParts=1,
                                   PartNumberMarker=marker)
            pages += 1
            self.assertEqual(r["MaxParts"], 1)
            self.assertEqual(len(r["Parts"]), 1)
            p = r["Parts"][0]
            seen.append((p["PartNumber"], p["Size"], p["ETag"]))
            self.assertEqual(r["NextPartNumberMarker"], p["PartNumber"])
            self.assertEqual(r["IsTruncated"], p["PartNumber"] < 3)
            if not r["IsTruncated"]:
                break
            marker = r["NextPartNumberMarker"]
        self.assertEqual(pages, 3)
        self.assertEqual(seen, [(i + 1, len(b), md5_etag(b)) for i, b in enumerate(parts)])
        r = self.s3.list_parts(Bucket=self.bucket, Key="obj", UploadId=uid, PartNumberMarker=3)
        self.assertEqual(r.get("Parts", []), [])
        self.assertFalse(r["IsTruncated"])

        r = self.complete("obj", uid, [(1, p1), (2, p2), (3, p3)])
        etag = r["ETag"]
        whole = p1 + p2 + p3
        n = len(whole)
        h = self.s3.head_object(Bucket=self.bucket, Key="obj")
        self.assertEqual((h["ContentLength"], h["ETag"]), (n, etag))
        g = self.assertBody("obj", whole)
        self.assertEqual(g["ETag"], etag)

        # ranges across every part boundary and every chunk boundary
        bounds = {len(p1), len(p1) + len(p2)}  # part boundaries
        bounds |= {k * CHUNK for k in range(1, n // CHUNK + 1)}  # object-offset multiples
        bounds |= {len(p1) + k * CHUNK for k in range(1, len(p2) // CHUNK + 1)}  # inside part 2
        bounds |= {k * CHUNK for k in range(1, len(p1) // CHUNK + 1)}  # inside part 1
        ranges = [(0, n - 1), (len(p1) - 1, len(p1) + len(p2)), (n - 80, n - 1), (n - 1, n - 1)]
        for b in sorted(bounds):
            ranges += [(b - 1, b), (b - 2, b + 1), (b, b), (b - 1, b - 1), (b - 3000, b + 3000)]
        for a, b in ranges:
            b = min(b, n - 1)
            g = self.s3.get_object(Bucket=self.bucket, Key="obj", Range="bytes=%d-%d" % (a, b))
            self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
            self.assertEqual(g["ContentRange"], "bytes %d-%d/%d" % (a, b, n))
            self.assertEqual(g["Body"].read(), whole[a:b + 1], "range %d-%d" % (a, b))

        # partNumber reads
        off = 0
        for i, body in enumerate(parts, 1):
            want_range = "bytes %d-%d/%d" % (off, off + len(body) - 1, n)
            g = self.s3.get_object(Bucket=self.bucket, Key="obj", PartNumber=i)
            self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
            self.assertEqual(g["Body"].read(), body, "part %d" % i)
            self.assertEqual((g["ContentLength"], g["ContentRange"], g["PartsCount"]),
                             (len(body), want_range, 3))
            self.assertEqual(g["ETag"], etag)
            h = self.s3.head_object(Bucket=self.bucket, Key="obj", PartNumber=i)
            self.assertEqual(h["ResponseMetadata"]["HTTPStatusCode"], 206)
            self.assertEqual((h["ContentLength"], h["ContentRange"], h["PartsCount"]),
                             (len(body), want_range, 3))
            off += len(body)
        self.assertS3Error("InvalidPartNumber", 416, self.s3.get_object, Bucket=self.bucket,
                           Key="obj", PartNumber=4)
        self.assertS3Error("416", 416, self.s3.head_object, Bucket=self.bucket, Key="obj",
                           PartNumber=4)

        # copy, delete
        r = self.s3.copy_object(Bucket=self.bucket, Key="copy",
                                CopySource={"Bucket": self.bucket, "Key": "obj"})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertBody("copy", whole)
        r = self.s3.delete_object(Bucket=self.bucket, Key="obj")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertS3Error("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="obj")
        self.assertBody("copy", whole)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=self.bucket))

    # 2
    def test_transfer_manager_48mib(self):
        mib = 1 << 20
        body = os.urandom(48 * mib)
        cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * mib,
                                               multipart_chunksize=5 * mib, max_concurrency=8)
        self.s3.upload_fileobj(io.BytesIO(body), self.bucket, "big", Config=cfg)
        h = self.s3.head_object(Bucket=self.bucket, Key="big")
        self.assertEqual(h["ContentLength"], len(body))
        self.assertTrue(h["ETag"].endswith('-10"'), h["ETag"])
        pieces = [body[i:i + 5 * mib] for i in range(0, len(body), 5 * mib)]
        self.assertEqual(h["ETag"], multipart_etag(pieces))
        out = io.BytesIO()
        self.s3.download_fileobj(self.bucket, "big", out, Config=cfg)
        self.assertEqual(len(out.getvalue()), len(body))
        self.assertTrue(out.getvalue() == body, "download differs")
        a, b = 5 * mib - 100, 15 * mib + 100  # spans parts 1..4
        g = self.s3.get_object(Bucket=self.bucket, Key="big", Range="bytes=%d-%d" % (a, b))
        self.assertEqual(g["ContentRange"], "bytes %d-%d/%d" % (a, b, len(body)))
        self.assertTrue(g["Body"].read() == body[a:b + 1], "range differs")
        g = self.s3.get_object(Bucket=self.bucket, Key="big", PartNumber=10)
        self.assertTrue(g["Body"].read() == pieces[9], "part 10 differs")
        self.assertEqual(g["PartsCount"], 10)

    # 4
    def test_checksums_composite_and_full_object(self):
        parts = [data(2000, 41), data(1500, 42), data(700, 43)]
        whole = b"".join(parts)

        def raw(body, alg):
            return hashlib.sha256(body).digest() if alg == "SHA256" else crc_digest(body, alg)

        def b64(d):
            return base64.b64encode(d).decode()

        cases = [("CRC32", "COMPOSITE"), ("CRC32C", "COMPOSITE"), ("SHA256", "COMPOSITE"),
                 ("CRC32", "FULL_OBJECT"), ("CRC32C", "FULL_OBJECT"), ("CRC64NVME", "FULL_OBJECT")]
        for alg, ctype in cases:
            with self.subTest(alg=alg, type=ctype):
                key = "ck-%s-%s" % (alg, ctype)
                field = "Checksum" + alg
                kw = {"ChecksumType": ctype} if ctype == "FULL_OBJECT" else {}
                r = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                    ChecksumAlgorithm=alg, **kw)
                self.assertEqual((r["ChecksumAlgorithm"], r["ChecksumType"]), (alg, ctype))
                uid = r["UploadId"]
                for i, body in enumerate(parts, 1):
                    if alg in ("CRC32C", "CRC64NVME"):  # no CRT: the value is computed here
                        pr = self.part(key, uid, i, body, **{field: crc_b64(body, alg)})
                    else:  # botocore computes it (a trailer)
                        pr = self.part(key, uid, i, body, ChecksumAlgorithm=alg)
                    self.assertEqual(pr[field], b64(raw(body, alg)))
                # a part whose checksum does not match its bytes is refused and changes nothing
                self.assertS3Error("BadDigest", 400, self.s3.upload_part, Bucket=self.bucket,
                                   Key=key, UploadId=uid, PartNumber=2, Body=data(1500, 99),
                                   **{field: b64(raw(parts[1], alg))})
                lp = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=uid)
                self.assertEqual((lp["ChecksumAlgorithm"], lp["ChecksumType"]), (alg, ctype))
                self.assertEqual([(p["ETag"], p[field]) for p in lp["Parts"]],
                                 [(md5_etag(b), b64(raw(b, alg))) for b in parts])

                listed = [{"PartNumber": i, "ETag": md5_etag(b), field: b64(raw(b, alg))}
                          for i, b in enumerate(parts, 1)]
                wrong = [dict(p) for p in listed]
                wrong[1][field] = b64(raw(b"not this part", alg))
                self.assertS3Error("InvalidPart", 400, self.s3.complete_multipart_upload,
                                   Bucket=self.bucket, Key=key, UploadId=uid,
                                   MultipartUpload={"Parts": wrong})
                self.assertNoObject(key)

                if ctype == "COMPOSITE":
                    joined = b"".join(raw(b, alg) for b in parts)
                    want = b64(raw(joined, alg)) + "-3"
                else:
                    want = crc_b64(whole, alg)
                r = self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=uid,
                                                      MultipartUpload={"Parts": listed})
                self.assertEqual(r["ETag"], multipart_etag(parts))
                self.assertEqual((r[field], r["ChecksumType"]), (want, ctype))
                g = self.s3.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(g["Body"].read(), whole)
                self.assertEqual(g[field], want)
                h = self.s3.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                self.assertEqual(h[field], want)

    def test_full_object_checksum_sent_with_complete_is_verified(self):
        parts = [data(1100, 51), data(300, 52)]
        whole = b"".join(parts)
        uid = self.s3.create_multipart_upload(Bucket=self.bucket, Key="f", ChecksumAlgorithm="CRC32C",
                                              ChecksumType="FULL_OBJECT")["UploadId"]
        listed = []
        for i, body in enumerate(parts, 1):
            self.part("f", uid, i, body, ChecksumCRC32C=crc_b64(body, "CRC32C"))
            listed.append({"PartNumber": i, "ETag": md5_etag(body)})
        self.assertS3Error("BadDigest", 400, self.s3.complete_multipart_upload, Bucket=self.bucket,
                           Key="f", UploadId=uid, MultipartUpload={"Parts": listed},
                           ChecksumCRC32C=crc_b64(whole + b"x", "CRC32C"), ChecksumType="FULL_OBJECT")
        self.assertNoObject("f")
        r = self.s3.complete_multipart_upload(Bucket=self.bucket, Key="f", UploadId=uid,
                                              MultipartUpload={"Parts": listed},
                                              ChecksumCRC32C=crc_b64(whole, "CRC32C"),
                                              ChecksumType="FULL_OBJECT")
        self.assertEqual(r["ChecksumCRC32C"], crc_b64(whole, "CRC32C"))
        self.assertBody("f", whole)

    # 5
    def test_bad_complete_requests_are_clean_errors(self):
        p1, p2 = data(1500, 61), data(100, 62)
        uid = self.create("k")
        self.part("k", uid, 1, p1)
        self.part("k", uid, 2, p2)
        good = [(1, md5_etag(p1)), (2, md5_etag(p2))]
        for body in [b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
                     b"this is not xml", b"",
                     complete_xml(good).replace(b"</CompleteMultipartUpload>", b""),
                     complete_xml(good).replace(b"<PartNumber>2", b"<PartNumber>two"),
                     b"<CompleteMultipartUpload></CompleteMultipartUpload>",
                     b"<CompleteMultipartUpload/>"]:
            self.assertEqual(self.raw_complete("k", uid, body), ("MalformedXML", 400), body)
            self.assertNoObject("k")
        self.assertEqual(self.raw_complete("k", uid, complete_xml(good[::-1])),
                         ("InvalidPartOrder", 400))
        self.assertEqual(self.raw_complete("k", uid, complete_xml([good[0], good[0], good[1]])),
                         ("InvalidPartOrder", 400))
        self.assertEqual(self.raw_complete("k", uid, complete_xml([(10001, md5_etag(p2))])),
                         ("InvalidArgument", 400))
        self.assertEqual(self.raw_complete("k", uid, complete_xml([(0, md5_etag(p2))])),
                         ("InvalidArgument", 400))
        self.assertNoObject("k")

        def complete(parts):
            return self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key="k", UploadId=uid,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})

        self.assertS3Error("InvalidPartOrder", 400, complete, good[::-1])
        self.assertS3Error("InvalidPart", 400, complete, [good[0], (3, md5_etag(p2))])  # missing
        self.assertS3Error("InvalidPart", 400, complete, [(3, md5_etag(p2))])
        self.assertS3Error("InvalidPart", 400, complete, [(1, md5_etag(p2)), good[1]])  # wrong ETag
        self.assertS3Error("InvalidPart", 400, complete, [(1, '"%s"' % ("0" * 32)), good[1]])
        self.assertNoObject("k")
        self.assertEqual(self.part_numbers("k", uid), [1, 2])

        # every part but the last must be at least the minimum (1024 here)
        small = data(MIN_PART - 1, 63)
        self.part("k", uid, 1, small)
        self.assertS3Error("EntityTooSmall", 400, complete, [(1, md5_etag(small)), good[1]])
        self.assertNoObject("k")
        exact = data(MIN_PART, 64)
        self.part("k", uid, 1, exact)
        self.complete("k", uid, [(1, exact), (2, p2)])  # the same upload, after all those failures
        self.assertBody("k", exact + p2)
        self.assertS3Error("NoSuchUpload", 404, self.s3.list_parts, Bucket=self.bucket, Key="k",
                           UploadId=uid)

        # a small part alone (the last) is fine
        uid = self.create("single")
        self.part("single", uid, 1, small)
        self.complete("single", uid, [(1, small)])
        self.assertBody("single", small)

    def test_upload_ids_are_bound_to_bucket_and_key(self):
        other = self.bucket + "-b"
        self.s3.create_bucket(Bucket=other)
        body = data(2000, 71)
        uid = self.create("k")
        self.part("k", uid, 1, body)
        for bucket, key in [(other, "k"), (self.bucket, "other-key")]:
            kw = {"Bucket": bucket, "Key": key, "UploadId": uid}
            self.assertS3Error("NoSuchUpload", 404, self.s3.upload_part, PartNumber=2, Body=b"x", **kw)
            self.assertS3Error("NoSuchUpload", 404, self.s3.list_parts, **kw)
            self.assertS3Error("NoSuchUpload", 404, self.s3.complete_multipart_upload,
                               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(body)}]},
                               **kw)
            self.assertS3Error("NoSuchUpload", 404, self.s3.abort_multipart_upload, **kw)
            self.assertNoObject(key, bucket)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=other))
        self.assertEqual(self.part_numbers("k", uid), [1])
        for bad in ["garbage", "0" * 32, uid[:-1], uid + "0", uid.upper()[:-1] + "g"]:
            kw = {"Bucket": self.bucket, "Key": "k", "UploadId": bad}
            self.assertS3Error("NoSuchUpload", 404, self.s3.upload_part, PartNumber=1, Body=b"x", **kw)
            self.assertS3Error("NoSuchUpload", 404, self.s3.list_parts, **kw)
            self.assertS3Error("NoSuchUpload", 404, self.s3.complete_multipart_upload,
                               MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(body)}]},
                               **kw)
            self.assertS3Error("NoSuchUpload", 404, self.s3.abort_multipart_upload, **kw)
        for n in [0, 10001, -1]:
            self.assertS3Error("InvalidArgument", 400, self.s3.upload_part, Bucket=self.bucket,
                               Key="k", UploadId=uid, PartNumber=n, Body=b"x")
        self.assertEqual(self.part_numbers("k", uid), [1])
        self.complete("k", uid, [(1, body)])
        self.assertBody("k", body)

    # 6
    def test_abort(self):
        p1, p2 = data(1500, 81), data(10, 82)
        uid = self.create("ab")
        keep = self.create("keep")
        self.part("ab", uid, 1, p1)
        self.part("ab", uid, 2, p2)
        r = self.s3.abort_multipart_upload(Bucket=self.bucket, Key="ab", UploadId=uid)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertS3Error("NoSuchUpload", 404, self.s3.list_parts, Bucket=self.bucket, Key="ab",
                           UploadId=uid)
        self.assertS3Error("NoSuchUpload", 404, self.s3.upload_part, Bucket=self.bucket, Key="ab",
                           UploadId=uid, PartNumber=3, Body=b"late")
        self.assertS3Error("NoSuchUpload", 404, self.s3.complete_multipart_upload,
                           Bucket=self.bucket, Key="ab", UploadId=uid,
                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(p1)},
                                                      {"PartNumber": 2, "ETag": md5_etag(p2)}]})
        self.assertS3Error("NoSuchUpload", 404, self.s3.abort_multipart_upload, Bucket=self.bucket,
                           Key="ab", UploadId=uid)
        self.assertNoObject("ab")
        r = self.s3.list_multipart_uploads(Bucket=self.bucket)
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], [("keep", keep)])

    # 7
    def test_list_multipart_uploads(self):
        ids = {}
        for key in ["b", "a", "d/y", "b", "d/x"]:  # created out of key order
            ids.setdefault(key, []).append(self.create(key))
            time.sleep(0.002)
        want = [("a", ids["a"][0]), ("b", ids["b"][0]), ("b", ids["b"][1]),
                ("d/x", ids["d/x"][0]), ("d/y", ids["d/y"][0])]
        r = self.s3.list_multipart_uploads(Bucket=self.bucket)
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], want)
        self.assertFalse(r["IsTruncated"])
        b = [u for u in r["Uploads"] if u["Key"] == "b"]
        self.assertLessEqual(b[0]["Initiated"], b[1]["Initiated"])

        seen, kw, pages = [], {}, 0
        while True:
            r = self.s3.list_multipart_uploads(Bucket=self.bucket, MaxUploads=1, **kw)
            pages += 1
            self.assertEqual(len(r["Uploads"]), 1)
            u = r["Uploads"][0]
            seen.append((u["Key"], u["UploadId"]))
            if not r["IsTruncated"]:
                break
            self.assertEqual((r["NextKeyMarker"], r["NextUploadIdMarker"]), seen[-1])
            kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r["NextUploadIdMarker"]}
            self.assertLess(pages, 10)
        self.assertEqual(seen, want)
        self.assertEqual(pages, 5)

        r = self.s3.list_multipart_uploads(Bucket=self.bucket, KeyMarker="b")  # after every "b"
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], want[3:])
        r = self.s3.list_multipart_uploads(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], want[:3])
        self.assertEqual([c["Prefix"] for c in r["CommonPrefixes"]], ["d/"])
        r = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix="d/")
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], want[3:])
        self.assertNotIn("CommonPrefixes", r)
        r = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix="d/", Delimiter="/")
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], want[3:])
        r = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix="zz")
        self.assertNotIn("Uploads", r)

    # 8
    def test_upload_part_copy(self):
        src = data(400 * 1024, 91)
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=src)
        uid = self.create("dst")
        r = self.s3.upload_part_copy(Bucket=self.bucket, Key="dst", UploadId=uid, PartNumber=1,
                                     CopySource={"Bucket": self.bucket, "Key": "src"})
        self.assertEqual(r["CopyPartResult"]["ETag"], md5_etag(src))
        r = self.s3.upload_part_copy(Bucket=self.bucket, Key="dst", UploadId=uid, PartNumber=2,
                                     CopySource={"Bucket": self.bucket, "Key": "src"},
                                     CopySourceRange="bytes=1000-200999")
        piece = src[1000:201000]
        self.assertEqual(r["CopyPartResult"]["ETag"], md5_etag(piece))
        r = self.s3.upload_part_copy(Bucket=self.bucket, Key="dst", UploadId=uid, PartNumber=3,
                                     CopySource="%s/src" % self.bucket,
                                     CopySourceRange="bytes=409599-409599")
        self.assertEqual(r["CopyPartResult"]["ETag"], md5_etag(src[-1:]))
        lp = self.s3.list_parts(Bucket=self.bucket, Key="dst", UploadId=uid)
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in lp["Parts"]],
                         [(1, len(src)), (2, 200000), (3, 1)])

        for rng in ["bytes=0-409600", "bytes=409600-409700"]:  # past the source's end
            with self.assertRaises(ClientError) as cm:
                self.s3.upload_part_copy(Bucket=self.bucket, Key="dst", UploadId=uid, PartNumber=4,
                                         CopySource={"Bucket": self.bucket, "Key": "src"},
                                         CopySourceRange=rng)
            got = code_of(cm.exception)
            self.assertIn(got, [("InvalidRange", 416), ("InvalidArgument", 400)])
            self.assertEqual(got, ("InvalidRange", 416))  # what coffer sends
        for rng in ["bytes=10-5", "bytes=5-", "bytes=-5", "5-10", "bytes=a-b"]:
            self.assertS3Error("InvalidArgument", 400, self.s3.upload_part_copy, Bucket=self.bucket,
                               Key="dst", UploadId=uid, PartNumber=4,
                               CopySource={"Bucket": self.bucket, "Key": "src"}, CopySourceRange=rng)
        self.assertS3Error("NoSuchKey", 404, self.s3.upload_part_copy, Bucket=self.bucket, Key="dst",
                           UploadId=uid, PartNumber=4,
                           CopySource={"Bucket": self.bucket, "Key": "missing"})
        self.assertEqual(self.part_numbers("dst", uid), [1, 2, 3])

        # the source changes and goes: the parts keep the bytes they were copied from
        self.s3.put_object(Bucket=self.bucket, Key="src", Body=b"replaced")
        self.complete("dst", uid, [(1, src), (2, piece), (3, src[-1:])])
        self.s3.delete_object(Bucket=self.bucket, Key="src")
        self.assertBody("dst", src + piece + src[-1:])
        g = self.s3.get_object(Bucket=self.bucket, Key="dst", PartNumber=2)
        self.assertEqual(g["Body"].read(), piece)

    # 9
    def test_conditional_complete(self):
        old = self.s3.put_object(Bucket=self.bucket, Key="c", Body=b"old")
        p1, p2 = data(1500, 101), data(5, 102)
        uid = self.create("c")
        self.part("c", uid, 1, p1)
        self.part("c", uid, 2, p2)
        parts = [(1, p1), (2, p2)]
        listed = {"Parts": [{"PartNumber": n, "ETag": md5_etag(b)} for n, b in parts]}
        self.assertS3Error("PreconditionFailed", 412, self.s3.complete_multipart_upload,
                           Bucket=self.bucket, Key="c", UploadId=uid, MultipartUpload=listed,
                           IfNoneMatch="*")
        self.assertS3Error("PreconditionFailed", 412, self.s3.complete_multipart_upload,
                           Bucket=self.bucket, Key="c", UploadId=uid, MultipartUpload=listed,
                           IfMatch='"%s"' % ("0" * 32))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="c")["Body"].read(), b"old")
        self.assertEqual(self.part_numbers("c", uid), [1, 2])  # the upload stays
        r = self.complete("c", uid, parts, IfMatch=old["ETag"])
        self.assertBody("c", p1 + p2)

        uid = self.create("c")
        self.part("c", uid, 1, p1)
        self.assertS3Error("PreconditionFailed", 412, self.s3.complete_multipart_upload,
                           Bucket=self.bucket, Key="c", UploadId=uid,
                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(p1)}]},
                           IfNoneMatch="*")
        r = self.s3.abort_multipart_upload(Bucket=self.bucket, Key="c", UploadId=uid)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertBody("c", p1 + p2)

        uid = self.create("fresh")
        self.part("fresh", uid, 1, p2)
        self.assertS3Error("NoSuchKey", 404, self.s3.complete_multipart_upload,
                           Bucket=self.bucket, Key="fresh", UploadId=uid,
                           MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(p2)}]},
                           IfMatch=old["ETag"])
        self.complete("fresh", uid, [(1, p2)], IfNoneMatch="*")
        self.assertBody("fresh", p2)

    # 10
    def test_retried_complete_returns_the_same_etag(self):
        p1, p2 = data(3000, 111), data(30, 112)
        uid = self.create("r")
        self.part("r", uid, 1, p1)
        self.part("r", uid, 2, p2)
        first = self.complete("r", uid, [(1, p1), (2, p2)])
        again = self.complete("r", uid, [(1, p1), (2, p2)])
        self.assertEqual(first["ETag"], again["ETag"])
        self.assertBody("r", p1 + p2)
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="r")["ETag"], first["ETag"])


    def test_create_headers_special_keys_and_part_subsets(self):
        key = "dir/a b+c%d\u00e9"
        uid = self.create(key, ContentType="text/x-mp", Metadata={"color": "red"},
                          CacheControl="max-age=5", Tagging="t=1&u=2")
        p1, p2, p3 = data(1100, 121), data(1200, 122), data(5, 123)
        for n, b in [(1, p1), (2, p2), (3, p3)]:
            self.part(key, uid, n, b)
        r = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix="dir/")
        self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], [(key, uid)])
        self.assertEqual(self.raw_complete(key, uid, complete_xml([(1, md5_etag(p1))]) + b"<"),
                         ("MalformedXML", 400))
        self.complete(key, uid, [(1, p1), (3, p3)])  # part 2 left out
        h = self.s3.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual((h["ContentType"], h["Metadata"], h["CacheControl"]),
                         ("text/x-mp", {"color": "red"}, "max-age=5"))
        self.assertEqual(h["ContentLength"], len(p1) + len(p3))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key=key)["TagCount"], 2)
        self.assertBody(key, p1 + p3)
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket)["Contents"][0]["Key"], key)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=self.bucket))

    def test_upload_part_copy_checksums_and_multipart_source(self):
        mp = [data(1500, 131), data(700, 132)]
        uid = self.create("mp-src")
        for n, b in enumerate(mp, 1):
            self.part("mp-src", uid, n, b)
        self.complete("mp-src", uid, list(enumerate(mp, 1)))
        with_crc, with_sha = data(5000, 133), data(6000, 134)
        self.s3.put_object(Bucket=self.bucket, Key="crc", Body=with_crc, ChecksumAlgorithm="CRC32")
        self.s3.put_object(Bucket=self.bucket, Key="sha", Body=with_sha, ChecksumAlgorithm="SHA256")
        r = self.s3.create_multipart_upload(Bucket=self.bucket, Key="dst", ChecksumAlgorithm="CRC32")
        uid = r["UploadId"]
        sources = [("mp-src", b"".join(mp)), ("crc", with_crc), ("sha", with_sha)]
        for n, (src, body) in enumerate(sources, 1):
            cp = self.s3.upload_part_copy(Bucket=self.bucket, Key="dst", UploadId=uid, PartNumber=n,
                                          CopySource={"Bucket": self.bucket, "Key": src})
            self.assertEqual(cp["CopyPartResult"]["ETag"], md5_etag(body), src)
            self.assertEqual(cp["CopyPartResult"]["ChecksumCRC32"], crc_b64(body, "CRC32"), src)
        bodies = [b for _, b in sources]
        r = self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key="dst", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": md5_etag(b),
                                        "ChecksumCRC32": crc_b64(b, "CRC32")}
                                       for n, b in enumerate(bodies, 1)]})
        self.assertEqual(r["ETag"], multipart_etag(bodies))
        joined = b"".join(crc_digest(b, "CRC32") for b in bodies)
        self.assertEqual(r["ChecksumCRC32"], crc_b64(joined, "CRC32") + "-3")
        self.assertBody("dst", b"".join(bodies))


class ManyPartsTest(S3Assertions, unittest.TestCase):
    # 3
    def test_10000_parts(self):
        srv = CofferServer(env={"COFFER_MIN_PART_SIZE": "1"}).start()
        try:
            s3 = client(srv)
            s3.create_bucket(Bucket="many")
            uid = s3.create_multipart_upload(Bucket="many", Key="k")["UploadId"]
            bodies = [b"%d" % n for n in range(1, 10001)]  # 1..5 bytes each, all distinct
            threads = 8
            clients = [client(srv, request_checksum_calculation="when_required")
                       for _ in range(threads)]

            def upload(t):
                for n in range(t + 1, 10001, threads):
                    r = clients[t].upload_part(Bucket="many", Key="k", UploadId=uid, PartNumber=n,
                                               Body=bodies[n - 1])
                    if r["ETag"] != md5_etag(bodies[n - 1]):
                        return "part %d: ETag %s" % (n, r["ETag"])
                return None

            with ThreadPoolExecutor(threads) as ex:
                self.assertEqual(list(ex.map(upload, range(threads))), [None] * threads)

            lp = s3.list_parts(Bucket="many", Key="k", UploadId=uid, PartNumberMarker=9990)
            self.assertEqual([p["PartNumber"] for p in lp["Parts"]], list(range(9991, 10001)))
            listed = [(n, md5_etag(bodies[n - 1])) for n in range(1, 10001)]
            path = "/many/k?uploadId=%s" % uid
            status, resp = signed_request(srv.endpoint, "POST", path,
                                          complete_xml(listed + [(10001, md5_etag(b"x"))]))
            self.assertEqual(status, 400)
            self.assertIn(error_code(resp), ["InvalidArgument", "MalformedXML"])
            status, resp = signed_request(srv.endpoint, "POST", path,
                                          complete_xml(listed[:1] + [(10001, md5_etag(b"x"))]))
            self.assertEqual((error_code(resp), status), ("InvalidArgument", 400))
            self.assertS3Error("404", 404, s3.head_object, Bucket="many", Key="k")

            r = s3.complete_multipart_upload(
                Bucket="many", Key="k", UploadId=uid,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in listed]})
            whole = b"".join(bodies)
            self.assertEqual(r["ETag"], multipart_etag(bodies))
            self.assertTrue(r["ETag"].endswith('-10000"'))
            h = s3.head_object(Bucket="many", Key="k")
            self.assertEqual((h["ContentLength"], h["ETag"]), (len(whole), r["ETag"]))
            g = s3.get_object(Bucket="many", Key="k")
            self.assertEqual(g["Body"].read(), whole)
            for n in [1, 5000, 10000]:
                off = sum(len(b) for b in bodies[:n - 1])
                g = s3.get_object(Bucket="many", Key="k", PartNumber=n)
                self.assertEqual(g["Body"].read(), bodies[n - 1])
                self.assertEqual((g["PartsCount"], g["ContentRange"]),
                                 (10000, "bytes %d-%d/%d" % (off, off + len(bodies[n - 1]) - 1,
                                                             len(whole))))
            self.assertS3Error("InvalidArgument", 400, s3.get_object, Bucket="many", Key="k",
                               PartNumber=10001)
        finally:
            srv.stop()


class ExpiryTest(S3Assertions, unittest.TestCase):
    # 11
    def test_uploads_expire(self):
        srv = CofferServer(env={"COFFER_UPLOAD_EXPIRY": "2", "COFFER_MIN_PART_SIZE": "1024"}).start()
        try:
            s3 = client(srv)
            s3.create_bucket(Bucket="exp")
            start = time.time()
            uid = s3.create_multipart_upload(Bucket="exp", Key="k")["UploadId"]
            s3.upload_part(Bucket="exp", Key="k", UploadId=uid, PartNumber=1, Body=b"part one")
            self.assertEqual([u["UploadId"] for u in s3.list_multipart_uploads(Bucket="exp")["Uploads"]],
                             [uid])
            self.assertLess(time.time() - start, 1.5)
            gone = None
            while time.time() - start < 15:
                if "Uploads" not in s3.list_multipart_uploads(Bucket="exp"):
                    gone = time.time() - start
                    break
                time.sleep(0.2)
            self.assertIsNotNone(gone, "the upload did not expire within 15 s")
            self.assertGreaterEqual(gone, 1.9)
            self.assertS3Error("NoSuchUpload", 404, s3.upload_part, Bucket="exp", Key="k",
                               UploadId=uid, PartNumber=2, Body=b"late")
            self.assertS3Error("NoSuchUpload", 404, s3.list_parts, Bucket="exp", Key="k", UploadId=uid)
            self.assertS3Error("404", 404, s3.head_object, Bucket="exp", Key="k")
        finally:
            srv.stop()


class RestartTest(S3Assertions, unittest.TestCase):
    def test_uploads_survive_sigkill(self):
        srv = CofferServer(env={"COFFER_MIN_PART_SIZE": "1024"}).start()
        try:
            s3 = client(srv)
            s3.create_bucket(Bucket="restart")
            p1, p2 = data(300000, 141), data(10, 142)
            uid = s3.create_multipart_upload(Bucket="restart", Key="k", Metadata={"m": "1"})["UploadId"]
            done = s3.create_multipart_upload(Bucket="restart", Key="done")["UploadId"]
            for key, u in [("k", uid), ("done", done)]:
                s3.upload_part(Bucket="restart", Key=key, UploadId=u, PartNumber=1, Body=p1)
                s3.upload_part(Bucket="restart", Key=key, UploadId=u, PartNumber=2, Body=p2)
            listed = {"Parts": [{"PartNumber": 1, "ETag": md5_etag(p1)},
                                {"PartNumber": 2, "ETag": md5_etag(p2)}]}
            etag = s3.complete_multipart_upload(Bucket="restart", Key="done", UploadId=done,
                                                MultipartUpload=listed)["ETag"]
            srv.kill()  # SIGKILL: what was acknowledged must be there
            srv = CofferServer(srv.data, env={"COFFER_MIN_PART_SIZE": "1024"}).start()
            s3 = client(srv)
            r = s3.list_multipart_uploads(Bucket="restart")
            self.assertEqual([(u["Key"], u["UploadId"]) for u in r["Uploads"]], [("k", uid)])
            r = s3.list_parts(Bucket="restart", Key="k", UploadId=uid)
            self.assertEqual([(p["PartNumber"], p["Size"], p["ETag"]) for p in r["Parts"]],
                             [(1, len(p1), md5_etag(p1)), (2, len(p2), md5_etag(p2))])
            g = s3.get_object(Bucket="restart", Key="done")
            self.assertEqual((g["Body"].read() == p1 + p2, g["ETag"]), (True, etag))
            r = s3.complete_multipart_upload(Bucket="restart", Key="k", UploadId=uid,
                                             MultipartUpload=listed)
            self.assertEqual(r["ETag"], multipart_etag([p1, p2]))
            g = s3.get_object(Bucket="restart", Key="k")
            self.assertEqual((g["Body"].read() == p1 + p2, g["Metadata"]), (True, {"m": "1"}))
        finally:
            srv.stop()


def main():
    global SERVER
    SERVER = CofferServer(env={"COFFER_MIN_PART_SIZE": str(MIN_PART)}).start()
    return run_module(__name__, lambda: SERVER, compat=("boto3", boto3.__version__))


if __name__ == "__main__":
    sys.exit(main())
