"""s3_kill_test.py -- SIGKILL under load: nothing acknowledged is lost, nothing torn appears.

Each round starts the real server on one data directory kept across rounds,
runs 4 client threads that PUT (0 B to 3 MiB), overwrite, DELETE and
multipart-complete objects of known contents on their own keys, kills the
server with SIGKILL at a random moment, restarts it, and checks every key:
it must read back exactly the last acknowledged version (or show its
acknowledged deletion), unless an operation on it was in flight at the
kill, in which case that operation's outcome is also allowed. Contents
embed their key and version, so a torn or mixed object cannot pass.
Between the kill and the restart, `coffer check` (the engine's and the
store's consistency checks: every SSTable block, key order, every object
read whole against its CRCs and ETag, every change log window) must pass on
the data directory.

The bucket's change log is on (1-second windows), and after each restart it
must agree with the objects exactly: replaying it gives every key's current
ETag and size (or its absence), each record's ETag is one of a version the
clients sent for that key, and a key's versions appear in the order they
were written: the log neither missed nor invented a change.

    CRASH_ROUNDS=N (default 6) rounds; CRASH_SEED=S (default 1).
    CRASH_ROUNDS=500 bash tests/it/kill.sh    # the long version, about an hour

Prints a summary line "KILL rounds=... objects_checked=... bytes_verified=..."
and "RESULT: N passed, N failed".
"""
import hashlib
import json
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from botocore.exceptions import ClientError  # noqa: E402
from server import CofferServer  # noqa: E402
from s3_helpers import make_client, run_module, signed_request  # noqa: E402

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "6"))
SEED = int(os.environ.get("CRASH_SEED", "1"))
THREADS = 4
KEYS_PER_THREAD = 8
SIZES = [0, 1, 1000, 131072, 200000, 3 << 20]
PART = 64 << 10  # the server's minimum part size in this test


def content(key, version, size):
    """The bytes of one version: its identity repeated, so a mix of two cannot pass."""
    block = hashlib.sha256(("%s/%d" % (key, version)).encode()).digest() * 128  # 4 KiB
    reps = size // len(block) + 1
    return (block * reps)[:size]


def etag_of(body, multipart):
    """The ETag S3 gives body: its MD5, or for a multipart upload in PART-sized parts the MD5
    of the parts' MD5s with "-N"."""
    if not multipart:
        return '"%s"' % hashlib.md5(body).hexdigest()
    sums = [hashlib.md5(body[o:o + PART]).digest() for o in range(0, len(body), PART)]
    return '"%s-%d"' % (hashlib.md5(b"".join(sums)).hexdigest(), len(sums))


def change_log(s3):
    """Every record of bucket kill's change log, in order."""
    recs = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="coffer-cdc", Prefix="kill/"):
        for w in page.get("Contents", []):
            body = s3.get_object(Bucket="coffer-cdc", Key=w["Key"])["Body"].read()
            recs += [json.loads(line) for line in body.splitlines()]
    return recs


class Worker(threading.Thread):
    def __init__(self, endpoint, tid, state, rnd, stop):
        super().__init__(daemon=True)
        self.s3 = make_client(endpoint, connect_timeout=2, read_timeout=10)
        self.tid, self.state, self.rnd, self.stop = tid, state, rnd, stop
        self.ops = 0

    def run(self):
        keys = ["w%d-k%d" % (self.tid, i) for i in range(KEYS_PER_THREAD)]
        while not self.stop.is_set():
            key = self.rnd.choice(keys)
            st = self.state[key]
            op = self.rnd.random()
            version = st["next"]
            st["next"] += 1
            try:
                if op < 0.15:
                    st["inflight"] = ("deleted", None)
                    self.s3.delete_object(Bucket="kill", Key=key)
                    st["acked"] = ("deleted", None)
                elif op < 0.3:
                    size = self.rnd.choice([2 * PART + 5, 3 * PART])
                    st["inflight"] = ("version", (version, size))
                    body = content(key, version, size)
                    st["etags"].setdefault(etag_of(body, True), []).append(version)
                    up = self.s3.create_multipart_upload(Bucket="kill", Key=key)["UploadId"]
                    parts = []
                    for n, off in enumerate(range(0, size, PART), 1):
                        r = self.s3.upload_part(Bucket="kill", Key=key, UploadId=up, PartNumber=n,
                                                Body=body[off:off + PART])
                        parts.append({"PartNumber": n, "ETag": r["ETag"]})
                    self.s3.complete_multipart_upload(Bucket="kill", Key=key, UploadId=up,
                                                      MultipartUpload={"Parts": parts})
                    st["acked"] = ("version", (version, size))
                else:
                    size = self.rnd.choice(SIZES)
                    st["inflight"] = ("version", (version, size))
                    st["etags"].setdefault(etag_of(content(key, version, size), False), []).append(version)
                    self.s3.put_object(Bucket="kill", Key=key, Body=content(key, version, size))
                    st["acked"] = ("version", (version, size))
                st["inflight"] = None
                self.ops += 1
            except Exception:
                return  # the server died: the op stays in flight


class KillTest(unittest.TestCase):
    def test_sigkill_under_load_loses_nothing_acknowledged(self):
        rnd = random.Random(SEED)
        srv = CofferServer(env={"COFFER_MIN_PART_SIZE": str(PART)})
        srv.start()
        make_client(srv.endpoint).create_bucket(Bucket="kill")
        st, body = signed_request(srv.endpoint, "PUT", "/kill?cdc", json.dumps(
            {"enabled": True, "window_seconds": 1, "retention_seconds": 86400}).encode())
        self.assertEqual(st, 200, body)
        state = {"w%d-k%d" % (t, i): {"acked": ("deleted", None), "inflight": None, "next": 1,
                                      "etags": {}}
                 for t in range(THREADS) for i in range(KEYS_PER_THREAD)}
        records = 0
        checked = verified = ops = checks = 0
        try:
            for rnd_no in range(ROUNDS):
                stop = threading.Event()
                workers = [Worker(srv.endpoint, t, state, random.Random(rnd.random()), stop)
                           for t in range(THREADS)]
                for w in workers:
                    w.start()
                time.sleep(rnd.uniform(0.5, 2.5))
                srv.kill()  # SIGKILL, mid-load
                stop.set()
                for w in workers:
                    w.join(30)
                    ops += w.ops
                rc, out = srv.check()
                self.assertEqual(rc, 0, "round %d: coffer check failed:\n%s" % (rnd_no, out))
                checks += 1
                srv.start()
                s3 = make_client(srv.endpoint)
                listed, current = set(), {}
                for page in s3.get_paginator("list_objects_v2").paginate(Bucket="kill"):
                    listed.update(o["Key"] for o in page.get("Contents", []))
                    current.update((o["Key"], (o["ETag"], o["Size"]))
                                   for o in page.get("Contents", []))
                recs = change_log(s3)
                replayed, last_version = {}, {}
                for r in recs:
                    if r["deleted"]:
                        replayed.pop(r["key"], None)
                        continue
                    replayed[r["key"]] = (r["etag"], r["size"])
                    sent = state[r["key"]]["etags"].get(r["etag"], [])
                    self.assertTrue(sent, "round %d: the log invented %r" % (rnd_no, r))
                    # the earliest version with these bytes after the last one logged (an
                    # empty object's ETag is every empty version's)
                    later = [v for v in sent if v > last_version.get(r["key"], 0)]
                    self.assertTrue(later, "round %d: %s out of order in the log" % (rnd_no, r["key"]))
                    last_version[r["key"]] = min(later)
                self.assertEqual(replayed, current, "round %d: the log and the objects disagree"
                                 % rnd_no)
                records = len(recs)
                for key, st in sorted(state.items()):
                    allowed = [st["acked"]] + ([st["inflight"]] if st["inflight"] else [])
                    try:
                        body = s3.get_object(Bucket="kill", Key=key)["Body"].read()
                        seen = None
                        for kind, v in allowed:
                            if kind == "version" and body == content(key, v[0], v[1]):
                                seen = (kind, v)
                        self.assertIsNotNone(seen, "round %d key %s: %d bytes match no allowed "
                                             "version %r" % (rnd_no, key, len(body), allowed))
                        self.assertIn(key, listed)
                        verified += len(body)
                    except ClientError as e:
                        self.assertEqual(e.response["Error"]["Code"], "NoSuchKey")
                        seen = ("deleted", None)
                        self.assertIn(seen, allowed, "round %d key %s: gone, but %r was "
                                      "acknowledged" % (rnd_no, key, st["acked"]))
                        self.assertNotIn(key, listed)
                    st["acked"], st["inflight"] = seen, None  # what survived is the new truth
                    checked += 1
        finally:
            srv.stop()
        print("KILL rounds=%d operations=%d objects_checked=%d bytes_verified=%d "
              "consistency_checks_passed=%d change_log_records=%d seed=%d"
              % (ROUNDS, ops, checked, verified, checks, records, SEED))


if __name__ == "__main__":
    sys.exit(run_module(__name__))
