"""s3_s3a_test.py -- Hadoop's S3A connector (hadoop-aws 3.4) against the real binary, its
requests replayed one by one by tests/it/s3a_replay.py (no Hadoop in Debian). Each test
asserts the exact request sequence S3A sends (ops()), the statuses and codes, and the bytes:

- getFileStatus of a file (HEAD), of a directory marker (HEAD 404, LIST: the marker alone =
  empty), of an implicit directory (objects below, no marker), of missing paths, including
  names that are prefixes of existing keys (FileNotFoundException);
- directory markers with retention keep (mkdirs writes the leaf marker application/x-directory,
  files leave it) and delete (DeleteObjects of every parent marker after mkdirs and writes);
- listStatus (delimiter /) and listFiles(recursive) of a Hive-style table (dt=... partitions,
  _SUCCESS, a key with a space) in pages of 2 and 3: every entry once, exact sizes;
- open + read of a 24 MiB multipart object: sequential (GET to EOF, aborted after 8 MiB, a
  reopen past the seek), random (the Parquet footer, 40 seeded ranges), vectored (8 ranges
  merged into 5 GETs), and a GET after the object changed (If-Match: 412);
- create/close: a multipart upload on close (5 MiB parts, 4 at once, the ETag of the parts),
  one aws-chunked PUT for a small file, a directory refused, If-None-Match: * (412);
- rename of a file (CopyObject REPLACE with the metadata, DeleteObject, the source parent's
  marker; a stale x-amz-copy-source-if-match: 412) and of a task directory (copy each,
  DeleteObjects in pages of 3); delete(recursive) in pages, delete of a missing path.

Run: python3 tests/it/s3_s3a_test.py (prints COMPAT lines and "RESULT: N passed, N failed").
"""
import hashlib
import http.client
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import CofferServer  # noqa: E402
from s3_helpers import (S3Assertions, data, make_client, run_module,  # noqa: E402
                        sigv4_headers)
from s3a_replay import (MiB, PART, S3A, FileNotFound, status_of)  # noqa: E402

SERVER = None
BIG_LEN = 24 * MiB + 12345
BIG = None              # data(BIG_LEN, 15), made once


def big():
    global BIG
    if BIG is None:
        BIG = data(BIG_LEN, 15)
    return BIG


class Base(S3Assertions, unittest.TestCase):
    seq = 0

    def setUp(self):
        Base.seq += 1
        self.b = "s3a-%d" % Base.seq
        self.s3 = make_client(SERVER.endpoint)
        self.s3.create_bucket(Bucket=self.b)
        self.fs = S3A(SERVER.port, self.b)

    def put(self, key, body=b"", **kw):
        self.s3.put_object(Bucket=self.b, Key=key, Body=body, **kw)

    def keys(self, prefix=""):
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.b, Prefix=prefix)
        return [o["Key"] for p in pages for o in p.get("Contents", [])]

    def fetch(self, key):
        return self.s3.get_object(Bucket=self.b, Key=key)["Body"].read()


class GetFileStatusTest(Base):
    def test_file(self):
        """getFileStatus of a file: one HEAD"""
        self.put("data/file.csv", b"a,b\n1,2\n")
        st = self.fs.get_file_status("data/file.csv")
        self.assertEqual(st, status_of("file", 8, '"%s"' % hashlib.md5(b"a,b\n1,2\n").hexdigest()))
        self.assertEqual(self.fs.ops(), ["HEAD data/file.csv"])

    def test_directory_marker(self):
        """getFileStatus of an empty directory (marker): HEAD 404, LIST finds only the marker"""
        self.assertTrue(self.fs.mkdirs("warehouse/empty"))
        self.fs.ops()
        self.assertEqual(self.fs.get_file_status("warehouse/empty"), status_of("dir", empty=True))
        self.assertEqual(self.fs.ops(), ["HEAD warehouse/empty", "LIST warehouse/empty/"])
        self.assertEqual(self.fs.list("warehouse/empty/", "/", 2)[:2],
                         ([("warehouse/empty/", 0)], []))
        h = self.s3.head_object(Bucket=self.b, Key="warehouse/empty/")
        self.assertEqual((h["ContentLength"], h["ContentType"]), (0, "application/x-directory"))
        self.put("warehouse/empty/f", b"x")
        self.assertEqual(self.fs.get_file_status("warehouse/empty"), status_of("dir", empty=False))

    def test_implicit_directory(self):
        """getFileStatus of an implicit directory (objects below, no marker): LIST finds them"""
        self.put("implicit/a/b/part-0", b"x" * 10)
        self.assertEqual(self.fs.get_file_status("implicit"), status_of("dir", empty=False))
        self.assertEqual(self.fs.list("implicit/", "/", 2)[:2], ([], ["implicit/a/"]))
        self.assertEqual(self.fs.get_file_status("implicit/a/b"), status_of("dir", empty=False))
        self.assertEqual(self.fs.list("implicit/a/b/", "/", 2)[:2], ([("implicit/a/b/part-0", 10)],
                                                                     []))
        # a one-key probe (max-keys=1, as older connectors send) is truncated with a token
        keys, prefixes, token = self.fs.list("implicit/a/", "/", 1)
        self.assertEqual((keys, prefixes, bool(token)), ([], ["implicit/a/b/"], False))
        self.put("implicit/a/c", b"y")
        keys, prefixes, token = self.fs.list("implicit/a/", "/", 1)
        self.assertEqual((keys, prefixes, bool(token)), ([], ["implicit/a/b/"], True))
        self.assertEqual(self.fs.list("implicit/a/", "/", 1, token)[:2],
                         ([("implicit/a/c", 1)], []))

    def test_missing(self):
        """getFileStatus of a missing path: HEAD 404, empty LIST, FileNotFoundException"""
        self.put("data/file.csv", b"x")
        for key in ("nope", "data/fil", "data/file.cs", "data/file.csv/x"):
            with self.assertRaises(FileNotFound):
                self.fs.get_file_status(key)
            self.assertEqual(self.fs.ops(), ["HEAD " + key, "LIST %s/" % key])


    def test_probes_keep_the_connection(self):
        """getFileStatus probes on one kept-alive connection: a 404 does not close it"""
        # regression: every error answer closed its connection, so each of S3A's probes of a
        # new name (HEAD 404) cost a new connection from its pool
        self.put("data/file.csv", b"x")
        conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=30)
        try:
            conn.connect()
            sock = conn.sock
            for method, target, status in [("HEAD", "/%s/nope" % self.b, 404),
                                           ("GET", "/%s/nope" % self.b, 404),
                                           ("GET", "/%s?list-type=2&prefix=nope%%2F" % self.b, 200),
                                           ("HEAD", "/%s/data/file.csv" % self.b, 200),
                                           ("GET", "/no-such-bucket-s3a/k", 404)]:
                h = sigv4_headers(method, SERVER.endpoint + target, {}, b"")
                conn.request(method, target, headers=h)
                resp = conn.getresponse()
                resp.read()
                self.assertEqual((resp.status, resp.getheader("connection")), (status, None))
                self.assertIs(conn.sock, sock)
            # a refused request whose body is unread still closes its connection
            target = "/no-such-bucket-s3a/k"
            h = sigv4_headers("PUT", SERVER.endpoint + target, {}, b"x" * 1000000)
            conn.request("PUT", target, body=b"x" * 1000000, headers=h)
            resp = conn.getresponse()
            resp.read()
            self.assertEqual((resp.status, resp.getheader("connection")), (404, "close"))
        finally:
            conn.close()


class MarkerPolicyTest(Base):
    def test_keep(self):
        """directory markers, retention keep: mkdirs writes the leaf marker, a file keeps it"""
        self.assertTrue(self.fs.mkdirs("a/b/c"))
        self.assertEqual(self.fs.ops(), ["LIST a/b/c/", "HEAD a/b/c", "LIST a/b/", "HEAD a/b",
                                         "LIST a/", "HEAD a", "PUT a/b/c/"])
        self.assertFalse(self.fs.mkdirs("a/b/c"))
        self.assertFalse(self.fs.mkdirs("a/b"))
        self.fs.ops()
        self.fs.create("a/b/c/f.parquet", b"PAR1")
        self.assertEqual(self.fs.ops(), ["LIST a/b/c/f.parquet/", "PUT a/b/c/f.parquet"])
        self.assertEqual(self.keys(), ["a/b/c/", "a/b/c/f.parquet"])
        self.assertEqual(self.fetch("a/b/c/f.parquet"), b"PAR1")
        self.assertEqual(self.fs.get_file_status("a/b/c"), status_of("dir", empty=False))
        self.put("file", b"x")
        with self.assertRaises(FileExistsError):
            self.fs.mkdirs("file/sub")

    def test_delete(self):
        """directory markers, retention delete: DeleteObjects of the parent markers after a write"""
        fs = S3A(SERVER.port, self.b, markers="delete")
        self.assertTrue(fs.mkdirs("a/b"))
        self.assertEqual(fs.ops(), ["LIST a/b/", "HEAD a/b", "LIST a/", "HEAD a", "PUT a/b/",
                                    "DELETE* "])
        self.assertTrue(fs.mkdirs("a/b/c"))
        self.assertEqual(fs.ops(), ["LIST a/b/c/", "HEAD a/b/c", "LIST a/b/", "PUT a/b/c/",
                                    "DELETE* "])
        self.assertEqual(self.keys(), ["a/b/c/"])
        fs.create("a/b/c/f.parquet", b"PAR1")
        self.assertEqual(fs.ops(), ["LIST a/b/c/f.parquet/", "PUT a/b/c/f.parquet", "DELETE* "])
        self.assertEqual(self.keys(), ["a/b/c/f.parquet"])
        for d in ("a", "a/b", "a/b/c"):
            self.assertEqual(fs.get_file_status(d), status_of("dir", empty=False))


TABLE = {"tbl/_SUCCESS": 0, "tbl/notes with space.txt": 17, "tbl/dt=2026-12-05/": 0}
for _d in range(1, 5):
    for _p in range(3):
        TABLE["tbl/dt=2026-12-%02d/part-%05d-5f1c.c000.snappy.parquet" % (_d, _p)] = 1000 * _d + _p
TABLE["tbl/dt=2026-12-02/"] = 0
TABLE["tbl/"] = 0


class ListingTest(Base):
    def setUp(self):
        super().setUp()
        for k, n in TABLE.items():
            self.put(k, data(n, len(k)))

    def test_list_status_paged(self):
        """listStatus: delimiter /, paged by continuation token, each entry once"""
        self.fs.page = 2
        got = self.fs.list_status("tbl")
        want = sorted([("tbl/_SUCCESS", 0), ("tbl/notes with space.txt", 17)] +
                      [("tbl/dt=2026-12-%02d" % d, "dir") for d in range(1, 6)])
        self.assertEqual(got, want)
        # 8 entries (5 prefixes, 2 files, the marker) in pages of 2
        self.assertEqual(self.fs.ops(), ["LIST tbl/"] * 4)
        self.assertEqual(self.fs.list_status("tbl/dt=2026-12-05"), [])
        self.assertEqual(self.fs.list_status("tbl/_SUCCESS"), [("tbl/_SUCCESS", 0)])
        self.assertEqual(self.fs.ops()[-2:], ["LIST tbl/_SUCCESS/", "HEAD tbl/_SUCCESS"])

    def test_list_url_encoded(self):
        """listStatus and listFiles with encoding-type=url: the same entries once decoded"""
        self.fs.page, self.fs.url_encoding = 2, True
        self.assertIn(("tbl/dt=2026-12-01", "dir"), self.fs.list_status("tbl"))
        self.assertIn(("tbl/notes with space.txt", 17), self.fs.list_files("tbl"))
        self.assertEqual(len(self.fs.list_files("tbl")), 14)

    def test_list_files_recursive_paged(self):
        """listFiles(recursive): no delimiter, paged, files only with their sizes"""
        self.fs.page = 3
        got = self.fs.list_files("tbl")
        want = sorted((k, n) for k, n in TABLE.items() if not k.endswith("/"))
        self.assertEqual(got, want)
        self.assertEqual(len(set(got)), len(got))
        self.assertEqual(self.fs.ops(), ["LIST tbl/"] * 6)  # 17 keys, 3 a page
        self.assertEqual(self.fs.list_files("tbl/dt=2026-12-03"),
                         [("tbl/dt=2026-12-03/part-%05d-5f1c.c000.snappy.parquet" % p, 3000 + p)
                          for p in range(3)])


class ReadTest(Base):
    key = "big/part-00000.parquet"

    @classmethod
    def setUpClass(cls):
        s3 = make_client(SERVER.endpoint)
        s3.create_bucket(Bucket="s3a-read")
        cls.etag = S3A(SERVER.port, "s3a-read").create(cls.key, big())

    def setUp(self):
        self.fs = S3A(SERVER.port, "s3a-read")
        self.stream = self.fs.open(self.key)
        self.assertEqual(self.fs.ops(), ["HEAD " + self.key])
        self.assertEqual((self.stream.len, self.stream.etag), (BIG_LEN, self.etag))

    def test_sequential(self):
        """open + sequential read: GET to EOF, a long forward seek aborts and reopens"""
        self.assertEqual(self.stream.read_sequential(0, 8 * MiB), BIG[:8 * MiB])
        self.assertEqual(self.stream.read_sequential(20 * MiB, BIG_LEN - 20 * MiB),
                         BIG[20 * MiB:])
        self.assertEqual(self.fs.ops(), ["GET " + self.key] * 2)

    def test_random(self):
        """open + random reads (fadvise=random): the Parquet footer, then small ranges"""
        self.assertEqual(self.stream.read_random(BIG_LEN - 8, 8), BIG[-8:])
        self.assertEqual(self.stream.read_random(BIG_LEN - 8 - 50000, 50000), BIG[-50008:-8])
        rnd = random.Random(15)
        for _ in range(40):
            pos, n = rnd.randrange(BIG_LEN), rnd.randrange(1, 200000)
            n = min(n, BIG_LEN - pos)
            self.assertEqual(self.stream.read_random(pos, n), BIG[pos:pos + n], (pos, n))
        self.assertEqual(self.stream.read_random(0, 1), BIG[:1])
        self.assertEqual(self.fs.ops(), ["GET " + self.key] * 43)

    def test_vectored(self):
        """open + vectored read: close ranges merged into one GET, far ones separate"""
        ranges = [(20 * MiB, 1536 * 1024), (700, 1000), (100, 500), (10000, 2000),
                  (5 * MiB, 300 * 1024), (5 * MiB + 300 * 1024 + 1000, 100 * 1024),
                  (BIG_LEN - 4096, 4096), (BIG_LEN - 8000, 3000)]
        merged, got = self.stream.read_vectored(ranges)
        self.assertEqual(merged, [(100, 1700), (10000, 12000),
                                  (5 * MiB, 5 * MiB + 400 * 1024 + 1000),
                                  (20 * MiB, 20 * MiB + 1536 * 1024),
                                  (BIG_LEN - 8000, BIG_LEN)])
        self.assertEqual(got, [BIG[o:o + n] for o, n in ranges])
        self.assertEqual(self.fs.ops(), ["GET " + self.key] * 5)

    def test_changed_object(self):
        """open, then the object is overwritten: the next GET fails If-Match with 412"""
        fs = S3A(SERVER.port, "s3a-read")
        fs.create("changing.csv", b"1" * 100000)
        stream = fs.open("changing.csv")
        self.assertEqual(stream.read_random(0, 10), b"1" * 10)
        fs.create("changing.csv", b"2" * 100000)
        st, body = stream.get(10, 20)
        self.assertRawError((st, [], body), 412, "PreconditionFailed")


class WriteTest(Base):
    def test_multipart_on_close(self):
        """create + close past fs.s3a.multipart.size: Create, 5 MiB parts in parallel, Complete"""
        body = data(3 * PART + 777, 7)
        etag = self.fs.create("out/big.bin", body)
        md5s = b"".join(hashlib.md5(body[i:i + PART]).digest() for i in range(0, len(body), PART))
        self.assertEqual(etag, '"%s-4"' % hashlib.md5(md5s).hexdigest())
        self.assertEqual(self.fs.ops(), ["LIST out/big.bin/", "POST out/big.bin"] +
                         ["PUT out/big.bin"] * 4 + ["POST out/big.bin"])
        self.assertEqual(self.fetch("out/big.bin"), body)
        self.assertEqual(self.s3.head_object(Bucket=self.b, Key="out/big.bin")["ETag"], etag)

    def test_small_file_single_put(self):
        """create + close of a small file: one aws-chunked PUT"""
        body = data(100000, 8)
        self.assertEqual(self.fs.create("out/small.json", body),
                         '"%s"' % hashlib.md5(body).hexdigest())
        self.assertEqual(self.fs.ops(), ["LIST out/small.json/", "PUT out/small.json"])
        self.assertEqual(self.fetch("out/small.json"), body)
        self.fs.mkdirs("out/dir")
        with self.assertRaises(IsADirectoryError):
            self.fs.create("out/dir", b"x")
        self.assertEqual(self.keys("out/dir"), ["out/dir/"])

    def test_conditional_create(self):
        """create with overwrite=false (If-None-Match: *): 412 on an existing file"""
        self.fs.create("once.txt", b"first")
        self.assertIsNone(self.fs.create("once.txt", b"second", conditional=True))
        self.assertIsNone(self.fs.create("once.txt", data(PART + 1), conditional=True))
        self.assertEqual(self.fetch("once.txt"), b"first")
        self.assertIsNotNone(self.fs.create("fresh.txt", b"new", conditional=True))
        self.assertEqual(self.fetch("fresh.txt"), b"new")


class RenameDeleteTest(Base):
    def test_rename_file(self):
        """rename of a file: probes, CopyObject (metadata REPLACE, if-match), DeleteObject"""
        self.fs.create("in/data.csv", b"a,b\n", {"Content-Type": "text/csv",
                                                "x-amz-meta-origin": "spark"})
        self.fs.ops()
        self.fs.rename("in/data.csv", "out/data.csv")
        self.assertEqual(self.fs.ops(), [
            "HEAD in/data.csv", "HEAD out/data.csv", "LIST out/data.csv/", "HEAD out",
            "HEAD in/data.csv", "PUT out/data.csv", "DELETE in/data.csv", "LIST in/", "PUT in/"])
        h = self.s3.head_object(Bucket=self.b, Key="out/data.csv")
        self.assertEqual((h["ContentType"], h["Metadata"]), ("text/csv", {"origin": "spark"}))
        self.assertEqual(self.fetch("out/data.csv"), b"a,b\n")
        self.assertEqual(self.keys(), ["in/", "out/data.csv"])
        with self.assertRaises(FileNotFound):
            self.fs.get_file_status("in/data.csv")
        self.assertEqual(self.fs.get_file_status("in"), status_of("dir", empty=True))
        # the source changed since the HEAD: the copy's if-match refuses
        st = self.fs.req("PUT", "copy.csv", headers={
            "x-amz-copy-source": "%s/out/data.csv" % self.b,
            "x-amz-copy-source-if-match": '"%s"' % hashlib.md5(b"old").hexdigest()})
        self.assertRawError(st, 412, "PreconditionFailed")

    def test_rename_directory(self):
        """rename of a directory (task commit): list, CopyObject each, DeleteObjects in pages"""
        src = "job/_temporary/0/task_01"
        files = {"%s/dt=2026-12-0%d/part-%05d.csv" % (src, i % 2, i): data(100 + i, i)
                 for i in range(7)}
        files[src + "/sub dir/nested.csv"] = b"nested"
        for k, v in files.items():
            self.put(k, v, ContentType="text/csv", Metadata={"n": str(len(v))})
        self.put(src + "/", b"")
        self.put(src + "/empty/", b"")
        fs = S3A(SERVER.port, self.b, page=4, delete_page=3)
        fs.rename(src, "job/out")
        ops = fs.ops()
        self.assertEqual(ops[:5], ["HEAD " + src, "LIST %s/" % src, "HEAD job/out",
                                   "LIST job/out/", "HEAD job"])
        self.assertEqual(ops.count("LIST %s/" % src), 1 + 3)  # the probe, 10 keys in pages of 4
        self.assertEqual(ops.count("DELETE* "), 4)  # 10 keys in pages of 3
        self.assertEqual(ops.count("HEAD " + src + "/dt=2026-12-01/part-00003.csv"), 1)
        self.assertEqual(ops[-1], "PUT job/_temporary/0/")
        moved = {"job/out/" + k[len(src) + 1:]: v for k, v in files.items()}
        self.assertEqual(fs.list_files("job/out"), sorted((k, len(v)) for k, v in moved.items()))
        for k, v in moved.items():
            self.assertEqual(self.fetch(k), v)
            h = self.s3.head_object(Bucket=self.b, Key=k)
            self.assertEqual((h["ContentType"], h["Metadata"]), ("text/csv", {"n": str(len(v))}))
        self.assertEqual(self.keys(), sorted(["job/_temporary/0/", "job/out/empty/"] + list(moved)))
        with self.assertRaises(FileNotFound):
            fs.get_file_status(src)

    def test_delete_recursive(self):
        """delete(recursive) of a directory: probes, list, DeleteObjects in pages, parent marker"""
        for d in range(1, 4):
            self.put("logs/2026/12/%02d/" % d)
            for h in range(3):
                self.put("logs/2026/12/%02d/%02d-00-00.ndjson" % (d, h), b'{"h":%d}\n' % h)
        self.put("logs/keep.txt", b"k")
        fs = S3A(SERVER.port, self.b, page=5, delete_page=4)
        with self.assertRaises(OSError):
            fs.delete("logs/2026", recursive=False)
        self.assertEqual(len(self.keys("logs/2026/")), 12)
        fs.ops()
        self.assertTrue(fs.delete("logs/2026", recursive=True))
        self.assertEqual(fs.ops(), ["HEAD logs/2026", "LIST logs/2026/"] + ["LIST logs/2026/"] * 3 +
                         ["DELETE* "] * 3 + ["LIST logs/"])
        self.assertEqual(self.keys(), ["logs/keep.txt"])
        with self.assertRaises(FileNotFound):
            fs.get_file_status("logs/2026")
        # the last entry goes: the parent keeps existing by a marker
        self.assertTrue(fs.delete("logs/keep.txt", recursive=False))
        self.assertEqual(self.keys(), ["logs/"])
        self.assertEqual(fs.get_file_status("logs"), status_of("dir", empty=True))
        self.assertFalse(fs.delete("missing", recursive=True))


def main():
    global SERVER
    SERVER = CofferServer()
    SERVER.start()
    return run_module(__name__, lambda: SERVER, compat=("s3a-replay", "hadoop-aws 3.4 pattern"))


if __name__ == "__main__":
    sys.exit(main())
