"""sample.py -- bench/cdc_sink/run.sh's client: `setup SRC DST` makes the buckets and
the sink; `sample SRC DST SECS` reads the sink's lag_seconds from /_coffer/stats every
50 ms for SECS seconds, then waits until the source log is all forwarded, and prints
the lag's median, p99 and maximum and how long catching up took."""
import calendar
import json
import re
import sys
import time
import urllib.parse

from benchlib import ACCESS, SECRET, send, signed


def req(url, method, path, body=b""):
    return send(url, method, *signed(url, method, path, body), timeout=30)


def stats(src):
    status, out = req(src, "GET", "/_coffer/stats")
    assert status == 200, out
    return json.loads(out)["cdc_sinks"][0]


def main():
    mode, src, dst = sys.argv[1:4]
    if mode == "setup":
        for url, bucket in ((src, "src"), (dst, "dst")):
            status, out = req(url, "PUT", "/" + bucket)
            assert status == 200, out
        doc = {"enabled": True, "window_seconds": 60,
               "sink": {"endpoint": dst, "bucket": "dst", "access_key": ACCESS,
                        "secret_key": SECRET}}
        status, out = req(src, "PUT", "/src?cdc", json.dumps(doc).encode())
        assert status == 200, out
        return
    # sample: every ~50 ms read the sink's lag_seconds, and fetch the objects that arrived at
    # the target since the last look: each record's end-to-end lag is the time it was seen
    # there minus its commit time (an upper bound: the look's own period and GETs add to it)
    end = time.time() + float(sys.argv[4])
    lags, e2e, after, records = [], [], "", 0

    def look():
        nonlocal after, records
        q = "/dst?list-type=2" + ("&start-after=" + urllib.parse.quote(after, safe="") if after else "")
        status, out = req(dst, "GET", q)
        assert status == 200, out
        for key in re.findall(rb"<Key>([^<]+)</Key>", out):
            key = key.decode()
            status, body = req(dst, "GET", "/dst/" + key)
            assert status == 200, body
            now = time.time()
            for line in body.splitlines():
                t = json.loads(line)["time"]
                commit = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) + float(t[19:-1])
                e2e.append(now - commit)
                records += 1
            after = key

    while time.time() < end:
        lags.append(stats(src)["lag_seconds"])
        look()
        time.sleep(0.05)
    t0 = time.time()
    while True:
        s = stats(src)
        status, out = req(src, "GET", "/coffer-cdc?list-type=2&prefix=src/")
        total = sum(int(x) for x in re.findall(rb"<Size>(\d+)</Size>", out))
        if s["forwarded_bytes"] >= total or time.time() - t0 > 60:
            break
        time.sleep(0.05)
    caught_up = time.time() - t0
    look()
    lags.sort()
    e2e.sort()

    def pct(v, q):
        return v[min(len(v) - 1, int(len(v) * q))]

    print("records=%d e2e_median=%.3f e2e_p99=%.3f e2e_max=%.3f lag_median=%.3f lag_p99=%.3f "
          "lag_max=%.3f samples=%d caught_up_s=%.2f objects=%d bytes=%d errors=%d" % (
              records, pct(e2e, 0.5), pct(e2e, 0.99), e2e[-1], pct(lags, 0.5), pct(lags, 0.99),
              lags[-1], len(lags), caught_up, s["forwarded_objects"], s["forwarded_bytes"],
              s["errors"]))


if __name__ == "__main__":
    main()
