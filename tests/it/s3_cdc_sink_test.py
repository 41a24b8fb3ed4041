"""s3_cdc_sink_test.py -- the change-log sink (doc/cdc_sink.md) against the real binary:
two coffer servers, the source's bucket log forwarded into the target's bucket.

- settings: https:// refused by name (400 InvalidArgument), other faults named, GET shows
  the sink without its secret (no member when there is none), null removes it;
- forwarding: writes over several one-second windows arrive in order, each object named
  <prefix><bucket>/YYYY/MM/DD/HH-MM-SS.<offset>.ndjson, and the target's objects in
  listing order concatenate to exactly the source's view windows; stats show the cursor;
- target outage: the target stopped while writes go on, then started again on the same
  port and data directory -> everything arrives, in order; stats count the errors and keep
  the last one, the access log has a COFFER.CDC.SINK line per attempt (failed ones too);
- source restart (SIGTERM while the target is down, then SIGKILL mid-stream) -> resumes
  from its stored cursor (the first PUT after the restart starts there): after dropping
  duplicate records by (window, seq) the target equals the source log exactly;
- retention: a window dropped before it was forwarded is skipped and counted as a loss;
- Ceph RGW as the target (/work/shared/peers/peers-up.sh): SKIP with the reason when
  it cannot be started.

Run: python3 tests/it/s3_cdc_sink_test.py (prints "RESULT: N passed, N failed[, N skipped]").
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, ROOT, SECRET, CofferServer  # noqa: E402
from s3_helpers import (S3Assertions, access_log_lines, error_of, make_client,  # noqa: E402
                        run_module, signed_request)

LOG = os.path.join(tempfile.mkdtemp(prefix="coffer-sink-log-"), "access.log")
SRC = None  # the source server (access log on, sweeper every second)
DST = None  # the target server
# the peer servers' scripts: ../shared/peers beside the repository, else the workplace's copy
PEERS = next((d for d in (os.path.join(ROOT, "..", "shared", "peers"), "/work/shared/peers")
              if os.path.exists(os.path.join(d, "peers-up.sh"))), "/work/shared/peers")
PEERS_UP = os.path.join(PEERS, "peers-up.sh")
PEERS_DIR = tempfile.mkdtemp(prefix="coffer-sink-peers-")  # its own Ceph, stopped at the end
NAME = re.compile(r"^(?P<prefix>.*?)(?P<bucket>[a-z0-9.-]+)/(?P<y>\d{4})/(?P<mo>\d\d)/(?P<d>\d\d)/"
                  r"(?P<hms>\d\d-\d\d-\d\d)\.(?P<off>\d{12})\.ndjson$")


def servers():
    global SRC, DST
    if SRC is None:
        SRC = CofferServer(args=["--access-log", LOG, "--sweep-interval", "1"]).start()
        DST = CofferServer().start()
    return SRC, DST


def stop_all():
    class Both:
        def stop(self):
            for s in (SRC, DST):
                if s and s.proc and s.proc.poll() is None:
                    s.stop()
    return Both()


def put_cdc(bucket, doc):
    return signed_request(SRC.endpoint, "PUT", "/%s?cdc" % bucket, json.dumps(doc).encode())


def sink_doc(endpoint, bucket, prefix, access=ACCESS, secret=SECRET, **cfg):
    doc = {"enabled": True, "window_seconds": 1,
           "sink": {"endpoint": endpoint, "bucket": bucket, "prefix": prefix,
                    "access_key": access, "secret_key": secret}}
    doc.update(cfg)
    return doc


def source_log(bucket):
    """The source's log of bucket: [(window key, bytes)] in order, from the view bucket."""
    c = make_client(SRC.endpoint)
    keys = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket="coffer-cdc",
                                                            Prefix=bucket + "/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return [(k, c.get_object(Bucket="coffer-cdc", Key=k)["Body"].read()) for k in keys]


def target_objects(client, bucket, prefix):
    """The target's sink objects under prefix: [(key, bytes)] in listing order."""
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return [(k, client.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]


def sink_stats(bucket):
    st, body = signed_request(SRC.endpoint, "GET", "/_coffer/stats")
    assert st == 200, body
    for s in json.loads(body)["cdc_sinks"]:
        if s["bucket"] == bucket:
            return s
    return None


def wait_caught_up(test, src_bucket, client, dst_bucket, prefix, timeout=40):
    """Waits until the target's objects concatenate to the source log; returns both."""
    deadline = time.time() + timeout
    while True:
        log = source_log(src_bucket)
        got = target_objects(client, dst_bucket, prefix)
        if b"".join(b for _, b in got) == b"".join(b for _, b in log) or time.time() > deadline:
            return log, got
        time.sleep(0.3)


def records(blob):
    return [json.loads(line) for line in blob.decode().splitlines()]


class SinkTest(unittest.TestCase, S3Assertions):
    @classmethod
    def setUpClass(cls):
        servers()
        cls.src, cls.dst = make_client(SRC.endpoint), make_client(DST.endpoint)

    def assertSameLog(self, log, got, src_bucket, prefix):
        """got (target objects) is log (source windows) cut into named pieces, in order."""
        self.assertTrue(log, "the source has no log")
        self.assertEqual(b"".join(b for _, b in got), b"".join(b for _, b in log))
        windows = {k[len(src_bucket) + 1:-len(".ndjson")]: b for k, b in log}
        expect_off = {}
        for key, body in got:
            m = NAME.match(key)
            self.assertIsNotNone(m, key)
            self.assertEqual(m["prefix"], prefix)
            self.assertEqual(m["bucket"], src_bucket)
            w = "%s/%s/%s/%s" % (m["y"], m["mo"], m["d"], m["hms"])
            self.assertIn(w, windows)
            off = int(m["off"])
            self.assertEqual(off, expect_off.get(w, 0), key)  # no gap, no overlap
            self.assertEqual(windows[w][off:off + len(body)], body)
            self.assertTrue(body.endswith(b"\n"))  # whole records only
            self.assertLessEqual(len(body), 8 << 20)
            expect_off[w] = off + len(body)
        self.assertEqual(expect_off, {w: len(b) for w, b in windows.items()})

    def test_1_settings_validated_and_secret_hidden(self):
        self.src.create_bucket(Bucket="cfg")
        doc = sink_doc("https://127.0.0.1:443", "dst", "")
        st, body = put_cdc("cfg", doc)
        self.assertEqual(st, 400, body)
        self.assertEqual(error_of(body), (
            "InvalidArgument",
            "The sink endpoint is https://: coffer's sink speaks http:// only (no TLS yet)."))
        for bad, msg in [
                ({"endpoint": "http://127.0.0.1"}, "The sink endpoint must be http://HOST:PORT."),
                ({"bucket": "Not_A_Bucket"}, "The sink bucket must be a valid bucket name."),
                ({"prefix": "p" * 513}, "The sink prefix must be a string of at most 512 bytes, "
                                         "no control characters."),
                ({"secret_key": ""}, "The sink access_key and secret_key must be non-empty "
                                     "strings of at most 128 bytes.")]:
            d = sink_doc(DST.endpoint, "dst", "")
            d["sink"].update(bad)
            st, body = put_cdc("cfg", d)
            self.assertEqual((st, error_of(body)), (400, ("InvalidArgument", msg)))
        st, body = signed_request(SRC.endpoint, "GET", "/cfg?cdc")
        self.assertEqual(st, 200)
        self.assertNotIn("sink", json.loads(body))  # nothing was stored
        st, body = put_cdc("cfg", sink_doc(DST.endpoint, "dst", "p" * 512))
        self.assertEqual(st, 200, body)
        st, body = signed_request(SRC.endpoint, "GET", "/cfg?cdc")
        self.assertEqual(json.loads(body)["sink"], {
            "endpoint": DST.endpoint, "region": "us-east-1", "bucket": "dst",
            "prefix": "p" * 512, "access_key": ACCESS})
        self.assertNotIn(SECRET.encode(), body)
        self.assertNotIn(b"secret", body)
        st, body = put_cdc("cfg", {"enabled": True})  # no "sink": left as it is
        self.assertEqual(json.loads(body)["sink"]["bucket"], "dst")
        st, body = put_cdc("cfg", {"enabled": True, "sink": None})
        self.assertEqual(st, 200)
        self.assertNotIn("sink", json.loads(body))
        self.assertNotIn("sink", json.loads(signed_request(SRC.endpoint, "GET", "/cfg?cdc")[1]))

    def test_2_forwarded_in_order_byte_exact(self):
        self.src.create_bucket(Bucket="orders")
        self.dst.create_bucket(Bucket="sink2")
        st, body = put_cdc("orders", sink_doc(DST.endpoint, "sink2", "cdc/"))
        self.assertEqual(st, 200, body)
        for i in range(60):
            self.src.put_object(Bucket="orders", Key="k%03d" % i, Body=b"v%d" % i)
            if i % 20 == 19:
                time.sleep(1.1)  # a new window
        self.src.delete_object(Bucket="orders", Key="k000")
        log, got = wait_caught_up(self, "orders", self.dst, "sink2", "cdc/")
        self.assertGreaterEqual(len(log), 3)
        self.assertSameLog(log, got, "orders", "cdc/")
        recs = records(b"".join(b for _, b in got))
        self.assertEqual(len(recs), 61)
        self.assertEqual([r["key"] for r in recs[:60]], ["k%03d" % i for i in range(60)])
        self.assertEqual(recs[-1]["event"], "delete")
        s = sink_stats("orders")
        self.assertEqual(s["target"], DST.endpoint + "/sink2/cdc/")
        self.assertEqual(s["forwarded_bytes"], sum(len(b) for _, b in log))
        self.assertEqual(s["forwarded_objects"], len(got))
        self.assertEqual((s["errors"], s["last_error"], s["lag_seconds"]), (0, None, 0.0))
        last = log[-1][0]
        self.assertEqual(s["cursor"]["offset"], len(log[-1][1]))
        self.assertEqual(s["cursor"]["window"].replace("-", "/", 2).replace("T", "/")
                         .replace(":", "-").rstrip("Z"), last[len("orders/"):-len(".ndjson")])

    def test_3_target_outage_then_everything_arrives(self):
        self.src.create_bucket(Bucket="outage")
        self.dst.create_bucket(Bucket="sink3")
        st, body = put_cdc("outage", sink_doc(DST.endpoint, "sink3", ""))
        self.assertEqual(st, 200, body)
        for i in range(10):
            self.src.put_object(Bucket="outage", Key="before%d" % i, Body=b"x")
        wait_caught_up(self, "outage", self.dst, "sink3", "")
        port = DST.port
        DST.stop()
        try:
            for i in range(30):
                self.src.put_object(Bucket="outage", Key="during%02d" % i, Body=b"y")
                time.sleep(0.05)
            deadline = time.time() + 10
            while sink_stats("outage")["errors"] < 2 and time.time() < deadline:
                time.sleep(0.2)
            s = sink_stats("outage")
            self.assertGreaterEqual(s["errors"], 2)
            self.assertIn("connection failed", s["last_error"])
            self.assertGreater(s["lag_seconds"], 0)
        finally:
            DST.start(port=port)
        for i in range(10):
            self.src.put_object(Bucket="outage", Key="after%d" % i, Body=b"z")
        log, got = wait_caught_up(self, "outage", self.dst, "sink3", "")
        self.assertSameLog(log, got, "outage", "")
        keys = [r["key"] for r in records(b"".join(b for _, b in got))]
        self.assertEqual(keys, ["before%d" % i for i in range(10)] +
                         ["during%02d" % i for i in range(30)] + ["after%d" % i for i in range(10)])
        lines = [line for line in access_log_lines_any(LOG)
                 if " COFFER.CDC.SINK " in line and " outage " in line]
        failed = [line for line in lines if '.ndjson HTTP/1.1" - ' in line]
        ok = [line for line in lines if '.ndjson HTTP/1.1" 200 ' in line]
        self.assertGreaterEqual(len(failed), 2)
        self.assertEqual(len(ok), sink_stats("outage")["forwarded_objects"])
        self.assertTrue(all(("127.0.0.1:%d -" % port) in line for line in lines))

    def test_4_source_restart_resumes_from_cursor(self):
        global SRC
        self.src.create_bucket(Bucket="restart")
        self.dst.create_bucket(Bucket="sink4")
        st, body = put_cdc("restart", sink_doc(DST.endpoint, "sink4", "r/"))
        self.assertEqual(st, 200, body)
        # (a) the source stops while the sink is behind (the target is down): after the
        # restart the first PUT starts exactly at the cursor stored before it
        for i in range(30):
            self.src.put_object(Bucket="restart", Key="a%02d" % i, Body=b"x")
        wait_caught_up(self, "restart", self.dst, "sink4", "r/")
        port = DST.port
        DST.stop()
        for i in range(30):
            self.src.put_object(Bucket="restart", Key="b%02d" % i, Body=b"x")
        deadline = time.time() + 10
        while sink_stats("restart")["errors"] < 1 and time.time() < deadline:
            time.sleep(0.1)
        cursor = sink_stats("restart")["cursor"]  # stuck: every attempt fails
        SRC.stop()
        log_lines = len(access_log_lines_any(LOG))
        rc, out = SRC.check()  # the sink's cells are judged too (s3/check.c)
        self.assertEqual(rc, 0, out)
        SRC.start()
        self.__class__.src = make_client(SRC.endpoint)
        DST.start(port=port)
        log, got = wait_caught_up(self, "restart", self.dst, "sink4", "r/")
        self.assertSameLog(log, got, "restart", "r/")
        first = [line for line in access_log_lines_any(LOG)[log_lines:]
                 if " COFFER.CDC.SINK " in line and " restart " in line][0]
        window = cursor["window"].replace("-", "/", 2).replace("T", "/").replace(":", "-")
        self.assertIn(" r/restart/%s.%012d.ndjson " % (window.rstrip("Z"), cursor["offset"]),
                      first)
        # (b) the source is killed while writes go on and the sink keeps up with them
        stop = threading.Event()

        def writer():
            c = make_client(SRC.endpoint)
            for i in range(400):
                if stop.is_set():
                    return
                c.put_object(Bucket="restart", Key="w%04d" % i, Body=b"x")

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.8)
        stop.set()
        t.join()
        SRC.kill()  # SIGKILL mid-stream: the sink may be between a 2xx and its cursor
        SRC.start()
        self.__class__.src = make_client(SRC.endpoint)
        for i in range(20):
            self.src.put_object(Bucket="restart", Key="post%02d" % i, Body=b"x")
        log, got = wait_caught_up(self, "restart", self.dst, "sink4", "r/")
        self.assertSameLog(log, got, "restart", "r/")
        seen, dedup = set(), []
        for key, body in got:
            w = NAME.match(key)["hms"]
            for r in records(body):
                if (w, r["seq"]) not in seen:
                    seen.add((w, r["seq"]))
                    dedup.append(r)
        self.assertEqual(dedup, records(b"".join(b for _, b in log)))
        self.assertEqual(dedup[-1]["key"], "post19")

    def test_5_window_dropped_by_retention_counts_a_loss(self):
        self.src.create_bucket(Bucket="lossy")
        self.dst.create_bucket(Bucket="sink5")
        port = DST.port
        DST.stop()
        try:
            st, body = put_cdc("lossy", sink_doc(DST.endpoint, "sink5", "", retention_seconds=1))
            self.assertEqual(st, 200, body)
            self.src.put_object(Bucket="lossy", Key="gone", Body=b"x")
            deadline = time.time() + 15  # retention 1 s, sweeper every second
            while source_log("lossy") and time.time() < deadline:
                time.sleep(0.3)
            self.assertEqual(source_log("lossy"), [])
        finally:
            DST.start(port=port)
        time.sleep(2.5)  # an older window is gone: the next write lands in a new one
        self.src.put_object(Bucket="lossy", Key="kept", Body=b"y")
        log, got = wait_caught_up(self, "lossy", self.dst, "sink5", "")
        self.assertSameLog(log, got, "lossy", "")
        self.assertEqual([r["key"] for r in records(b"".join(b for _, b in got))], ["kept"])
        s = sink_stats("lossy")
        self.assertEqual(s["lost_windows"], 1)
        self.assertIn("records lost", s["last_error"])
        with open(os.path.join(SRC.data, "server.log"), errors="replace") as f:
            self.assertIn("cdc sink of bucket lossy: records lost", f.read())

    def test_6_ceph_rgw_target(self):
        """The same forwarding into Ceph's RADOS Gateway."""
        if not os.path.exists(PEERS_UP):
            self.skipTest("%s is absent" % PEERS_UP)
        self.addCleanup(subprocess.run, ["bash", os.path.join(PEERS, "peers-down.sh"), PEERS_DIR,
                                         "--wipe"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        p = subprocess.run(["bash", PEERS_UP, PEERS_DIR], env=dict(os.environ, PEERS_NO_S3RVER="1"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        env = dict(line.split("=", 1) for line in p.stdout.decode().splitlines() if "=" in line)
        endpoint = env.get("RGW_ENDPOINT")
        if p.returncode != 0 or not endpoint:
            self.skipTest("peers-up.sh could not start Ceph RGW (exit %d): %s" % (
                p.returncode, p.stderr.decode(errors="replace").strip().splitlines()[-1:]))
        access, secret = env["RGW_ACCESS_KEY"], env["RGW_SECRET_KEY"]
        rgw = make_client(endpoint, access, secret)
        target = "coffer-sink-%d" % int(time.time())
        rgw.create_bucket(Bucket=target)
        self.src.create_bucket(Bucket="torgw")
        st, body = put_cdc("torgw", sink_doc(endpoint, target, "cdc/", access, secret))
        self.assertEqual(st, 200, body)
        for i in range(50):
            self.src.put_object(Bucket="torgw", Key="g%02d" % i, Body=b"x")
            if i == 24:
                time.sleep(1.1)
        log, got = wait_caught_up(self, "torgw", rgw, target, "cdc/")
        self.assertSameLog(log, got, "torgw", "cdc/")
        s = sink_stats("torgw")
        self.assertEqual((s["errors"], s["last_error"]), (0, None))


def access_log_lines_any(path):
    """Raw lines of the access log (the sink's lines carry no request id, so
    ACCESS_LOG_LINE, which wants one, does not parse them)."""
    with open(path, encoding="ascii") as f:
        return [line.rstrip("\n") for line in f]


if __name__ == "__main__":
    run_module(__name__, server=stop_all)
