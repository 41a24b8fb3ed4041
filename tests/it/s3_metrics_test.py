"""s3_metrics_test.py -- GET /_coffer/metrics against the real binary.

- every scrape parses with a strict parser of the Prometheus text format
  0.0.4 as doc/formats.md ("Metrics") states it: HELP then TYPE once per
  family, samples of the family right after, names and labels by the
  grammar, no duplicate series, histograms with increasing bounds ending at
  +Inf, cumulative and monotone buckets and _count equal to the +Inf bucket;
- counters move by exactly the requests made: 3 PutObject answered 200 add
  3, a GetObject of a missing key adds 1 under status 404, a CopyObject is
  CopyObject (not PutObject), a GetObject with a bad signature is
  GetObject 403, the scrape before counts as CofferAdmin 200; the duration
  histogram's _count moves as the counter does;
- bytes received and sent grow by at least the bodies sent and received;
- connections: open >= 1 while a keep-alive connection is open, accepted
  grows with new connections;
- the store and engine figures are there and parse (the commitlog synced,
  the chunks table's figures);
- access: an admin's signed scrape 200 with the exact Content-Type, HEAD
  the same head and no body, a non-admin's 403, an unsigned one 403; with
  --metrics-public and with COFFER_METRICS_PUBLIC=1, unsigned 200;
- GET /_coffer/stats carries the server figures (uptime_seconds,
  connections_open, requests_total, bytes_in, bytes_out, rss_bytes).

Run: python3 tests/it/s3_metrics_test.py (prints "RESULT: N passed, N failed").
"""
import http.client
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import ACCESS, SECRET, CofferServer  # noqa: E402
from s3_helpers import data, make_client, run_module, send, sigv4_headers  # noqa: E402

SERVER = None
USER, USER_SECRET = "CFMETRICSUSER0000001", "metricsUserSecret0123456789abcdefghijkl"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LNAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL = r'%s="[^"\\\n]*"' % LNAME
HELP_RE = re.compile(r"# HELP (%s) ([^\\\n]+)" % NAME)
TYPE_RE = re.compile(r"# TYPE (%s) (counter|gauge|histogram)" % NAME)
SAMPLE_RE = re.compile(r"(%s)(?:\{(%s(?:,%s)*)\})? ([0-9]+(?:\.[0-9]+)?)" % (NAME, LABEL, LABEL))


class ParseError(AssertionError):
    pass


def parse(text):
    """Strictly parses an exposition: {(name, ((label, value), ...)): float}, and
    {family: type}. Raises ParseError naming the first line that breaks a rule."""
    if not text.endswith("\n"):
        raise ParseError("the exposition does not end with a newline")
    samples, types, helped = {}, {}, set()
    family = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        def fail(why):
            raise ParseError("line %d %r: %s" % (n, line, why))
        if line.startswith("#"):
            m = HELP_RE.fullmatch(line)
            if m:
                if m.group(1) in helped:
                    fail("a second HELP")
                helped.add(m.group(1))
                family = None
                continue
            m = TYPE_RE.fullmatch(line)
            if not m:
                fail("neither HELP nor TYPE")
            name = m.group(1)
            if name in types or name not in helped:
                fail("TYPE twice, or not right after its HELP")
            types[name], family = m.group(2), name
            if m.group(2) == "counter" and not name.endswith("_total"):
                fail("a counter's name does not end in _total")
            if not name.startswith("coffer_"):
                fail("not a coffer_ name")
            continue
        m = SAMPLE_RE.fullmatch(line)
        if not m:
            fail("not a sample")
        if family is None:
            fail("a sample before its family's TYPE")
        name = m.group(1)
        allowed = [family]
        if types[family] == "histogram":
            allowed = [family + "_bucket", family + "_sum", family + "_count"]
        if name not in allowed:
            fail("a sample of another family than %s" % family)
        labels = tuple(re.findall(r'(%s)="([^"]*)"' % LNAME, m.group(2) or ""))
        if len({k for k, _ in labels}) != len(labels):
            fail("a label twice")
        if any(k == "le" for k, _ in labels) != (name == family + "_bucket"):
            fail("le on a sample that is not a bucket, or a bucket without it")
        if (name, labels) in samples:
            fail("a duplicate series")
        samples[(name, labels)] = float(m.group(3))
    check_histograms(samples, types)
    return samples, types


def check_histograms(samples, types):
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                rest = tuple(kv for kv in labels if kv[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(rest, []).append((le, v))
        for rest, buckets in series.items():
            bounds = [float(le) for le, _ in buckets]
            if buckets[-1][0] != "+Inf" or bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
                raise ParseError("%s %s: bounds not increasing to +Inf: %s" % (fam, rest, buckets))
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise ParseError("%s %s: buckets not cumulative: %s" % (fam, rest, counts))
            if samples.get((fam + "_count", rest)) != counts[-1] or (fam + "_sum", rest) not in samples:
                raise ParseError("%s %s: _count is not the +Inf bucket, or no _sum" % (fam, rest))


def value(samples, name, **labels):
    """A sample's value; 0 when the series is not written (it counted nothing yet)."""
    return samples.get((name, tuple(labels.items())), 0)  # labels in the order written


def req(server, method, target, sign=True, access=ACCESS, secret=SECRET, headers=None, conn=None):
    """(status, lowercased headers, body); signed by access unless sign is False. conn: an open
    http.client connection to send it on (kept open), else a new one."""
    headers = dict(headers or {})
    if sign:
        headers = sigv4_headers(method, "http://127.0.0.1:%d%s" % (server.port, target), headers,
                                b"", access, secret)
    if conn is None:
        status, got, body = send(server.port, method, target, headers)
        return status, {k.lower(): v for k, v in got}, body
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", "127.0.0.1:%d" % server.port)
    for k, v in headers.items():
        if k.lower() != "host":
            conn.putheader(k, v)
    conn.endheaders()
    resp = conn.getresponse()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def scrape(server=None, **kw):
    status, h, body = req(server or SERVER, "GET", "/_coffer/metrics", **kw)
    if status != 200:
        raise AssertionError("scrape answered %d: %r" % (status, body[:300]))
    samples, types = parse(body.decode("ascii"))
    return samples, types, body


def scrape_when(done, server=None, **kw):
    """A request is counted when its handler ends, just after its response went out,
    so a scrape on another connection may come first: scrape until done(samples)
    holds (at most 5 s; then the last scrape, for the assertions to report)."""
    deadline = time.time() + 5
    while True:
        got = scrape(server, **kw)
        if done(got[0]) or time.time() > deadline:
            return got
        time.sleep(0.02)


class Exposition(unittest.TestCase):
    def setUp(self):
        self.s3 = make_client(SERVER.endpoint)

    def test_admin_scrape_is_the_text_format(self):
        status, h, body = req(SERVER, "GET", "/_coffer/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], CONTENT_TYPE)
        self.assertEqual(int(h["content-length"]), len(body))
        samples, types = parse(body.decode("ascii"))
        self.assertEqual(types["coffer_requests_total"], "counter")
        self.assertEqual(types["coffer_request_duration_seconds"], "histogram")
        self.assertEqual(types["coffer_connections_open"], "gauge")

    def test_head_is_the_head_alone(self):
        status, h, body = req(SERVER, "HEAD", "/_coffer/metrics")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(h["content-type"], CONTENT_TYPE)
        self.assertGreater(int(h["content-length"]), 1000)

    def test_the_parser_refuses_what_the_format_forbids(self):
        good = "# HELP coffer_x_total x\n# TYPE coffer_x_total counter\ncoffer_x_total 1\n"
        parse(good)
        for bad in [good[:-1],                                   # no final newline
                    good.replace("# HELP coffer_x_total x\n", ""),  # TYPE without HELP
                    good + "coffer_x_total 2\n",                 # duplicate series
                    good.replace("coffer_x_total 1", "coffer_y_total 1"),  # another family
                    good.replace(" 1\n", " one\n"),              # not a number
                    good.replace("coffer_x_total 1", 'coffer_x_total{a="b} 1'),
                    "# HELP coffer_h x\n# TYPE coffer_h histogram\n"
                    'coffer_h_bucket{le="1"} 2\ncoffer_h_bucket{le="+Inf"} 1\n'
                    "coffer_h_sum 1\ncoffer_h_count 1\n"]:       # not cumulative
            with self.assertRaises(ParseError, msg=bad):
                parse(bad)

    def test_counters_move_by_exactly_the_requests_made(self):
        self.s3.create_bucket(Bucket="counted")
        body = data(10000)
        before, _, first = scrape()
        for i in range(3):
            self.s3.put_object(Bucket="counted", Key="k%d" % i, Body=body)
        with self.assertRaises(Exception):
            self.s3.get_object(Bucket="counted", Key="missing")
        rt = "coffer_requests_total"
        after, _, _ = scrape_when(lambda s: value(s, rt, op="GetObject", status="404") >
                                  value(before, rt, op="GetObject", status="404"))

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)
        self.assertEqual(delta(rt, op="PutObject", status="200"), 3)
        self.assertEqual(delta(rt, op="GetObject", status="404"), 1)
        scrapes = delta(rt, op="CofferAdmin", status="200")  # the first, and any retried one
        self.assertGreaterEqual(scrapes, 1)
        total = sum(v for (n, _), v in after.items() if n == rt) - \
            sum(v for (n, _), v in before.items() if n == rt)
        self.assertEqual(total - scrapes, 4)
        hist = "coffer_request_duration_seconds"
        self.assertEqual(delta(hist + "_count", op="PutObject"), 3)
        self.assertEqual(delta(hist + "_count", op="GetObject"), 1)
        self.assertEqual(delta(hist + "_bucket", op="PutObject", le="+Inf"), 3)
        self.assertGreater(delta(hist + "_sum", op="PutObject"), 0)
        self.assertGreaterEqual(delta("coffer_received_bytes_total"), 3 * len(body))
        self.assertGreaterEqual(delta("coffer_sent_bytes_total"), len(first))

    def test_operations_are_named_by_route_before_authentication(self):
        self.s3.create_bucket(Bucket="named")
        self.s3.put_object(Bucket="named", Key="src", Body=b"x" * 5000)
        before, _, _ = scrape()
        self.s3.copy_object(Bucket="named", Key="dst", CopySource={"Bucket": "named", "Key": "src"})
        got = self.s3.get_object(Bucket="named", Key="dst")["Body"].read()
        self.assertEqual(len(got), 5000)
        self.s3.head_object(Bucket="named", Key="dst")
        status, _, _ = req(SERVER, "GET", "/named/dst", secret="not-the-secret")
        self.assertEqual(status, 403)
        rt = "coffer_requests_total"
        after, _, _ = scrape_when(lambda s: value(s, rt, op="GetObject", status="403") >
                                  value(before, rt, op="GetObject", status="403"))
        for op, st, n in [("CopyObject", "200", 1), ("PutObject", "200", 0), ("GetObject", "200", 1),
                          ("HeadObject", "200", 1), ("GetObject", "403", 1)]:
            self.assertEqual(value(after, rt, op=op, status=st) - value(before, rt, op=op, status=st),
                             n, (op, st))
        self.assertGreaterEqual(value(after, "coffer_sent_bytes_total") -
                                value(before, "coffer_sent_bytes_total"), 5000)

    def test_connections(self):
        conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=30)
        try:
            status, _, body = req(SERVER, "GET", "/_coffer/metrics", conn=conn)
            self.assertEqual(status, 200)
            first, _ = parse(body.decode("ascii"))
            self.assertGreaterEqual(first[("coffer_connections_open", ())], 1)
            # the same connection again: kept alive, so nothing new was accepted by it
            status, _, body = req(SERVER, "GET", "/_coffer/metrics", conn=conn)
            self.assertEqual(status, 200)
            second, _ = parse(body.decode("ascii"))
            self.assertGreaterEqual(second[("coffer_connections_open", ())], 1)
            later, _, _ = scrape()  # a new connection while conn is open
            self.assertGreaterEqual(later[("coffer_connections_open", ())], 2)
            self.assertGreaterEqual(later[("coffer_connections_accepted_total", ())],
                                    second[("coffer_connections_accepted_total", ())] + 1)
            self.assertGreaterEqual(later[("coffer_worker_threads", ())], 1)
        finally:
            conn.close()

    def test_store_engine_and_process_figures(self):
        self.s3.create_bucket(Bucket="figures")
        self.s3.put_object(Bucket="figures", Key="k", Body=data(300000))
        samples, types, _ = scrape()
        for name in ["coffer_blob_accepted_bytes_total", "coffer_blob_written_bytes_total",
                     "coffer_chunks_written_total", "coffer_commitlog_syncs_total",
                     "coffer_commitlog_written_bytes_total", "coffer_engine_writes_total",
                     "coffer_process_resident_memory_bytes", "coffer_process_open_fds",
                     "coffer_uptime_seconds", "coffer_process_start_time_seconds"]:
            self.assertGreater(samples[(name, ())], 0, name)
        self.assertGreaterEqual(samples[("coffer_blob_accepted_bytes_total", ())], 300000)
        self.assertGreaterEqual(samples[("coffer_process_resident_memory_peak_bytes", ())],
                                samples[("coffer_process_resident_memory_bytes", ())])
        self.assertGreater(samples[("coffer_blob_write_amplification", ())], 0)
        for fam in ["coffer_table_sstables", "coffer_table_memtable_bytes",
                    "coffer_table_flushes_total", "coffer_table_compactions_total",
                    "coffer_table_ingests_total", "coffer_table_ingested_bytes_total"]:
            for table in ["chunks", "metadata"]:
                self.assertIn((fam, (("table", table),)), samples)
        # 300000 bytes: more than one 128 KiB chunk, so OACS ingested the blob's own SSTable
        self.assertGreaterEqual(samples[("coffer_table_ingests_total", (("table", "chunks"),))], 1)

    def test_stats_carry_the_server_figures(self):
        status, h, body = req(SERVER, "GET", "/_coffer/stats")
        self.assertEqual(status, 200)
        stats = json.loads(body)
        for k in ["uptime_seconds", "connections_open", "requests_total", "bytes_in",
                  "bytes_out", "rss_bytes"]:
            self.assertIsInstance(stats[k], int, k)
        self.assertGreaterEqual(stats["connections_open"], 1)
        self.assertGreater(stats["requests_total"], 0)
        self.assertGreater(stats["rss_bytes"], 0)
        samples, _, _ = scrape()
        # the scrape came after: it counted the stats request too
        total = sum(v for (n, _), v in samples.items() if n == "coffer_requests_total")
        self.assertEqual(total, stats["requests_total"] + 1)


class Access(unittest.TestCase):
    def test_non_admin_is_denied(self):
        status, _, body = req(SERVER, "GET", "/_coffer/metrics", access=USER, secret=USER_SECRET)
        self.assertEqual(status, 403)
        self.assertIn(b"AccessDenied", body)

    def test_unsigned_is_denied_without_the_setting(self):
        status, _, body = req(SERVER, "GET", "/_coffer/metrics", sign=False)
        self.assertEqual(status, 403)
        self.assertIn(b"AccessDenied", body)
        self.assertNotIn(b"coffer_requests_total", body)

    def public(self, server):
        try:
            server.start()
            scrape(server, sign=False)
            key = ("coffer_requests_total", (("op", "CofferAdmin"), ("status", "200")))
            self.assertIn(key, scrape_when(lambda s: key in s, server, sign=False)[0])
            status, _, _ = req(server, "GET", "/_coffer/metrics", access=USER, secret=USER_SECRET)
            self.assertEqual(status, 403)  # no such user there: a bad key is still refused
            status, _, body = req(server, "GET", "/_coffer/stats", sign=False)
            self.assertEqual(status, 403)  # only the metrics are public
            self.assertIn(b"AccessDenied", body)
        finally:
            server.stop()

    def test_unsigned_scrape_with_the_flag(self):
        self.public(CofferServer(args=["--metrics-public"]))

    def test_unsigned_scrape_with_the_environment(self):
        self.public(CofferServer(env={"COFFER_METRICS_PUBLIC": "1"}))


def main():
    global SERVER
    SERVER = CofferServer()
    SERVER.add_user(USER, USER_SECRET)
    SERVER.start()
    return run_module(__name__, lambda: SERVER)


if __name__ == "__main__":
    sys.exit(main())
