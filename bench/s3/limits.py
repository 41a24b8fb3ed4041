"""limits.py -- bench/s3/limits.sh's client: issue 16's figures that bench/s3/run.sh does
not take, each against its reference in the same run.

    python3 limits.py ttfb URL BUCKET      time to first byte of 4 KiB ranged GETs at
                                           random offsets: a 100 GiB multipart object of
                                           1600 parts against a 1 MiB object
    python3 limits.py rss PID STOPFILE     samples /proc/PID/status every 0.1 s until
                                           STOPFILE exists or PID ends; prints the peaks

ttfb builds the 100 GiB object without 100 GiB of disk: one 64 MiB object, then 1600
UploadPartCopy requests of all of it (a whole-object part copy shares the source's blob,
copying no byte: doc/formats.md "Store rows"), then CompleteMultipartUpload. A ranged GET
of it finds its part by one ordered lookup in the object's layout (1600 rows), then the
chunk by arithmetic. Each timed GET goes on one kept-alive connection; its time runs from
sending the request to receiving the first body byte. Prints key=value figures.
"""
import http.client
import os
import random
import statistics
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

from benchlib import send, signed

PART = 64 << 20
PARTS = 1600
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def req(url, method, path, body=b"", headers=None):
    status, out = send(url, method, *signed(url, method, path, body, headers), timeout=600)
    assert 200 <= status < 300, (method, path, status, out[:300])
    return out


def build(url, bucket):
    """The 1 MiB object and the 100 GiB one; returns their keys and sizes."""
    rnd = random.Random(16)
    small = rnd.randbytes(1 << 20)
    req(url, "PUT", "/%s/small" % bucket, small)
    req(url, "PUT", "/%s/part" % bucket, rnd.randbytes(PART))
    out = req(url, "POST", "/%s/big?uploads" % bucket)
    upload = ET.fromstring(out).find(NS + "UploadId").text
    etags = []
    t0 = time.time()
    for n in range(1, PARTS + 1):
        out = req(url, "PUT", "/%s/big?partNumber=%d&uploadId=%s" % (bucket, n, upload),
                  headers={"x-amz-copy-source": "/%s/part" % bucket})
        etags.append(ET.fromstring(out).find(NS + "ETag").text)
    copy_s = time.time() - t0
    body = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
        "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (n + 1, e)
        for n, e in enumerate(etags))
    t0 = time.time()
    req(url, "POST", "/%s/big?uploadId=%s" % (bucket, upload), body.encode())
    return copy_s, time.time() - t0


def ttfb(url, path, size, n, seed):
    """n ranged GETs of 4 KiB at random offsets on one connection: their first-byte times (ms)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    rnd = random.Random(seed)
    times = []
    for _ in range(n):
        off = rnd.randrange(0, size - 4096)
        p, h, _ = signed(url, "GET", path, b"", {"Range": "bytes=%d-%d" % (off, off + 4095)})
        t0 = time.perf_counter()
        conn.request("GET", p, headers=h)
        resp = conn.getresponse()
        first = resp.read(1)
        t1 = time.perf_counter()
        rest = resp.read()
        assert resp.status == 206 and len(first) + len(rest) == 4096, (resp.status, len(rest))
        times.append((t1 - t0) * 1000)
    conn.close()
    return times


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * q))]


def main_ttfb(url, bucket):
    copy_s, complete_s = build(url, bucket)
    n = 400
    ttfb(url, "/%s/small" % bucket, 1 << 20, 50, 1)  # warm both: caches and the connection
    ttfb(url, "/%s/big" % bucket, PART * PARTS, 50, 2)
    small, big = [], []
    for r in range(4):  # interleaved rounds: the same conditions for both
        small += ttfb(url, "/%s/small" % bucket, 1 << 20, n // 4, 10 + r)
        big += ttfb(url, "/%s/big" % bucket, PART * PARTS, n // 4, 20 + r)
    print("parts=%d part_mib=%d object_gib=%d copy_s=%.1f complete_s=%.2f "
          "small_median_ms=%.3f small_p99_ms=%.3f big_median_ms=%.3f big_p99_ms=%.3f "
          "ratio_median=%.2f ratio_p99=%.2f" % (
              PARTS, PART >> 20, PART * PARTS >> 30, copy_s, complete_s,
              statistics.median(small), pct(small, 0.99), statistics.median(big), pct(big, 0.99),
              statistics.median(big) / statistics.median(small), pct(big, 0.99) / pct(small, 0.99)))


def main_rss(pid, stopfile):
    peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    while not os.path.exists(stopfile):
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in peak:
                        peak[k] = max(peak[k], int(v.split()[0]))
        except FileNotFoundError:
            break
        time.sleep(0.1)
    print(" ".join("%s_mib=%.1f" % (k, v / 1024) for k, v in peak.items()))


if __name__ == "__main__":
    if sys.argv[1] == "ttfb":
        main_ttfb(sys.argv[2], sys.argv[3])
    else:
        main_rss(int(sys.argv[2]), sys.argv[3])
