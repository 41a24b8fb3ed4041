"""s3_oacs_test.py -- the object-aware layout of blobs, through the real binary.

Each test starts its own server (it kills or restarts it) and looks at the
data directory: a large object's bytes land in SSTables of its own, written
once; a DELETE unlinks them at once and a restart finds them gone with every
other object intact; a PUT killed mid-body (SIGKILL) leaves no visible
object, and its half-written blob file is removed at the next start (the
sweep of orphans committed to the table is proven in tests/unit/store).
"""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import CofferServer  # noqa: E402
from s3_helpers import S3Assertions, data, make_client, run_module, signed_request  # noqa: E402

import json  # noqa: E402


def chunk_files(server):
    d = os.path.join(server.data, "tables", "chunks")
    return sorted(f for f in os.listdir(d) if f.endswith(".sst"))


def chunk_tmp_files(server):
    d = os.path.join(server.data, "tables", "chunks")
    return sorted(f for f in os.listdir(d) if f.endswith(".tmp"))


def stats(server):
    status, body = signed_request(server.endpoint, "GET", "/_coffer/stats")
    assert status == 200, (status, body)
    return json.loads(body)


class OacsTest(unittest.TestCase, S3Assertions):
    def setUp(self):
        self.srv = CofferServer().start()
        self.s3 = make_client(self.srv.endpoint)
        self.s3.create_bucket(Bucket="oacs")

    def tearDown(self):
        self.srv.stop()

    def test_large_objects_written_once_and_deleted_whole(self):
        bodies = {"a": data(9 << 20, 1), "b": data(5 << 20, 2), "c": data(7 << 20, 3)}
        for k, v in bodies.items():
            self.s3.put_object(Bucket="oacs", Key=k, Body=v)
        st = stats(self.srv)
        accepted = st["bytes_accepted"]
        self.assertEqual(accepted, sum(len(v) for v in bodies.values()))
        c = st["chunks"]
        # every chunk but each object's first went straight into its own SSTable
        self.assertGreaterEqual(c["ingest_bytes"], accepted - 3 * (128 << 10))
        self.assertEqual(c["compaction_bytes"], 0)
        self.assertEqual(c["flush_bytes"], 0)
        self.assertLess(st["blob_write_amplification"], 1.05)
        files = chunk_files(self.srv)
        self.assertEqual(len(files), 3)
        # DELETE: b's file is unlinked at once, nothing is rewritten
        self.s3.delete_object(Bucket="oacs", Key="b")
        after = chunk_files(self.srv)
        self.assertEqual(len(after), 2)
        self.assertTrue(set(after) < set(files))
        st = stats(self.srv)
        self.assertEqual(st["blob_files_dropped"], 1)
        self.assertEqual(st["chunks"]["compaction_bytes"], 0)
        # restart: the file stays gone; the other objects are byte-exact
        self.srv.stop()
        self.srv.start()
        s3 = make_client(self.srv.endpoint)
        for f in after:
            self.assertIn(f, chunk_files(self.srv))
        self.assertNotIn(sorted(set(files) - set(after))[0], chunk_files(self.srv))
        for k in ("a", "c"):
            self.assertEqual(s3.get_object(Bucket="oacs", Key=k)["Body"].read(), bodies[k])
        self.assertS3Error("NoSuchKey", 404, s3.get_object, Bucket="oacs", Key="b")
        # an overwrite drops the old blob's file too
        s3.put_object(Bucket="oacs", Key="a", Body=b"small now")
        self.assertEqual(len([f for f in chunk_files(self.srv) if f in after]), 1)

    def test_sigkill_mid_upload_leaves_nothing_visible_and_the_orphan_is_swept(self):
        keep = data(3 << 20, 7)
        self.s3.put_object(Bucket="oacs", Key="keep", Body=keep)
        # a PUT of 32 MiB that sends 12 MiB of its body and stops
        total, sent = 32 << 20, 12 << 20
        body = data(sent, 8)
        sha = "UNSIGNED-PAYLOAD"
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        from server import ACCESS, SECRET
        req = AWSRequest(method="PUT", url=self.srv.endpoint + "/oacs/killed",
                         headers={"x-amz-content-sha256": sha, "Content-Length": str(total)})
        S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", "us-east-1").add_auth(req)
        sock = socket.create_connection(("127.0.0.1", self.srv.port))
        head = "PUT /oacs/killed HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % self.srv.port
        for k, v in req.headers.items():
            if k.lower() != "host":
                head += "%s: %s\r\n" % (k, v)
        sock.sendall(head.encode() + b"\r\n" + body)
        deadline = time.time() + 20
        while time.time() < deadline and stats(self.srv)["bytes_accepted"] < len(keep) + sent - (1 << 20):
            time.sleep(0.05)
        # the blob is being ingested into a file of its own, not yet in the manifest
        self.assertEqual(len(chunk_tmp_files(self.srv)), 1)
        before = chunk_files(self.srv)
        self.srv.kill()
        sock.close()
        self.srv.start()
        s3 = make_client(self.srv.endpoint)
        self.assertS3Error("NoSuchKey", 404, s3.get_object, Bucket="oacs", Key="killed")
        self.assertEqual(s3.get_object(Bucket="oacs", Key="keep")["Body"].read(), keep)
        # the orphan (the unfinished ingest) was removed at start; nothing else changed
        self.assertEqual(chunk_tmp_files(self.srv), [])
        self.assertEqual(chunk_files(self.srv), before)
        names = [o["Key"] for o in s3.list_objects_v2(Bucket="oacs")["Contents"]]
        self.assertEqual(names, ["keep"])
        self.assertEqual(stats(self.srv)["chunks"]["sstables"], len(before))

    def test_stats_endpoint_is_admin_only(self):
        self.srv.stop()
        self.srv = CofferServer()
        self.srv.add_user("CFPLAINUSER000000001", "plainsecret")
        self.srv.start()
        plain = make_client(self.srv.endpoint, access="CFPLAINUSER000000001", secret="plainsecret")
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as cm:
            plain.get_object(Bucket="_coffer", Key="stats")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        st = stats(self.srv)
        self.assertIn("blob_write_amplification", st)
        self.assertIn("chunks", st)


if __name__ == "__main__":
    sys.exit(run_module(__name__))
