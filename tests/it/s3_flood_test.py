"""s3_flood_test.py -- a flood of slow and malformed connections does not stop
a well-behaved client (issue 7, "Limits").

The real binary runs with small limits (2 workers at start, 128 connections,
3 s io timeout, 4 s idle timeout, a 1 KiB/s rate floor). First 30
authenticated (presigned) PUTs start, whose body trickles at 20 bytes/s,
each holding a worker inside its handler; then, while they run:
  - 300 "slowloris" connections that trickle a request head a byte at a
    time (more than the connection limit: the oldest idle ones are evicted),
  - 100 connections that send garbage,
a boto3 client with a 10 s read timeout and no retries PUTs, GETs and lists
objects; every one of its operations must succeed byte-exact. Each trickled
PUT must be answered 400 RequestTimeout (the rate floor) and leave no
object; each garbage connection 400 and closed (or closed unanswered when
the connection limit evicts it first: at most a fifth). The server then still works
and its log holds no crash.
"""
import os
import socket
import sys
import threading
import time
import unittest
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import CofferServer  # noqa: E402
from s3_helpers import data, make_client, run_module  # noqa: E402

LIMITS = {"COFFER_WORKERS": "2", "COFFER_MAX_WORKERS": "64", "COFFER_MAX_CONNS": "128",
          "COFFER_IO_TIMEOUT_MS": "3000", "COFFER_IDLE_TIMEOUT_MS": "4000",
          "COFFER_MIN_RATE": "1024"}


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    return s


def read_reply(s):
    """What the server sent until it closed (or 10 s passed)."""
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    return out


class FloodTest(unittest.TestCase):
    def setUp(self):
        self.srv = CofferServer(env=LIMITS).start()
        self.port = self.srv.port
        self.s3 = make_client(self.srv.endpoint, connect_timeout=5, read_timeout=10)
        self.s3.create_bucket(Bucket="flood")
        self.stop = threading.Event()
        self.errors = []

    def tearDown(self):
        self.stop.set()
        self.srv.stop()
        self.srv.sanitizer_check()

    def slowloris(self, n):
        socks = []
        for _ in range(n):
            try:
                socks.append(connect(self.port))
            except OSError:
                pass  # refused or reset while the server was evicting: fine
        head = b"PUT /flood/loris HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 4000
        i = 0
        while not self.stop.is_set() and i < len(head):
            for s in socks:
                try:
                    s.send(head[i:i + 1])
                except OSError:
                    pass
            i += 1
            time.sleep(0.2)
        for s in socks:
            s.close()

    def trickle_put(self, key, results):
        url = self.s3.generate_presigned_url("put_object", Params={"Bucket": "flood", "Key": key})
        u = urlsplit(url)
        s = connect(self.port)
        s.sendall(b"PUT %s?%s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n"
                  % (u.path.encode(), u.query.encode(), u.netloc.encode()))
        t0 = time.monotonic()
        try:
            while not self.stop.is_set() and time.monotonic() - t0 < 30:
                s.send(b"x" * 10)  # 20 bytes/s: below the 1 KiB/s floor
                s.settimeout(0.5)
                try:
                    reply = s.recv(65536)
                    s.settimeout(10)
                    results[key] = reply + read_reply(s)
                    return
                except socket.timeout:
                    s.settimeout(10)
        except OSError:
            results[key] = read_reply(s)
        finally:
            s.close()

    def garbage(self, n, results):
        for i in range(n):
            try:
                s = connect(self.port)
                s.sendall(b"\x16\x03\x01\x02\x00garbage %d \xff\xfe\r\n\r\n" % i)
                results.append(read_reply(s))
                s.close()
            except OSError as e:
                results.append(repr(e).encode())

    def test_well_behaved_client_served_through_a_flood(self):
        trickled, garbage = {}, []
        threads = [threading.Thread(target=self.slowloris, args=(300,))]
        threads += [threading.Thread(target=self.trickle_put, args=("slow%02d" % i, trickled))
                    for i in range(30)]
        threads.append(threading.Thread(target=self.garbage, args=(100, garbage)))
        tasks = lambda: len(os.listdir("/proc/%d/task" % self.srv.proc.pid))  # noqa: E731
        base = tasks()
        for t in threads[1:-1]:
            t.start()
        # the trickled PUTs are inside their handlers, each holding a worker (the pool grows
        # for them from its 2): not evictable. On a slow (sanitized, loaded) host this takes
        # longer than a fixed pause could promise.
        deadline = time.monotonic() + 20
        while tasks() < base + 28 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        threads[0].start()
        threads[-1].start()
        time.sleep(0.5)  # let the flood take hold
        worst, i, threads_seen = 0.0, 0, 0
        try:
            # at least 40 rounds, and on until every trickled PUT was answered
            while i < 40 or any(t.is_alive() for t in threads[1:-1]):
                threads_seen = max(threads_seen, len(os.listdir("/proc/%d/task" % self.srv.proc.pid)))
                body = data((64 << 10) if i % 2 else (1 << 20), 700 + i)
                t0 = time.monotonic()
                self.s3.put_object(Bucket="flood", Key="good%03d" % i, Body=body)
                got = self.s3.get_object(Bucket="flood", Key="good%03d" % i)["Body"].read()
                self.assertEqual(got, body)
                keys = self.s3.list_objects_v2(Bucket="flood", Prefix="good")["KeyCount"]
                self.assertEqual(keys, i + 1)
                worst = max(worst, time.monotonic() - t0)
                i += 1
        finally:
            for t in threads[1:]:
                t.join(60)
            self.stop.set()
            threads[0].join(10)
        print("flood: %d rounds; worst PUT+GET+LIST of the good client %.2f s; %d server threads"
              % (i, worst, threads_seen))
        # the pool grew from 2 workers past the trickled PUTs, and stayed under --max-workers
        self.assertGreater(threads_seen, 20)
        self.assertLess(threads_seen, 64 + 10)
        self.assertEqual(len(trickled), 30)
        for key, reply in trickled.items():
            self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), (key, reply[:200]))
            self.assertIn(b"<Code>RequestTimeout</Code>", reply, key)
        self.assertEqual(len(garbage), 100)
        # a garbage connection is answered 400 and closed -- or, when the connection limit
        # evicts it (the least recently active) before its bytes were read, closed unanswered;
        # never anything else, and eviction takes few of them
        print("garbage connections: %d answered 400, %d closed unanswered"
              % (sum(r.startswith(b"HTTP/1.1 400 ") for r in garbage), garbage.count(b"")))
        for reply in garbage:
            self.assertTrue(reply.startswith(b"HTTP/1.1 400 ") or reply == b"", reply[:200])
        self.assertGreaterEqual(sum(r.startswith(b"HTTP/1.1 400 ") for r in garbage), 80,
                                [r[:40] for r in garbage])
        listed = self.s3.list_objects_v2(Bucket="flood")
        self.assertEqual(sorted(o["Key"] for o in listed["Contents"]),
                         ["good%03d" % k for k in range(i)])
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket="flood", Key="slow00")


if __name__ == "__main__":
    sys.exit(run_module(__name__))
