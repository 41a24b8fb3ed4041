"""sample.py -- bench/cdc_sink/run.sh's client: `setup SRC DST` makes the buckets and
the sink; `sample SRC DST SECS` reads the sink's lag_seconds from /_coffer/stats every
50 ms for SECS seconds, then waits until the source log is all forwarded, and prints
the lag's median, p99 and maximum and how long catching up took."""
import json
import re
import sys
import time

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
    end = time.time() + float(sys.argv[4])
    lags = []
    while time.time() < end:
        lags.append(stats(src)["lag_seconds"])
        time.sleep(0.05)
    t0 = time.time()
    while True:
        s = stats(src)
        status, out = req(src, "GET", "/coffer-cdc?list-type=2&prefix=src/")
        total = sum(int(x) for x in re.findall(rb"<Size>(\d+)</Size>", out))
        if s["forwarded_bytes"] >= total or time.time() - t0 > 60:
            break
        time.sleep(0.05)
    lags.sort()
    print("lag_seconds: median %.3f p99 %.3f max %.3f (%d samples); caught up %.2f s after "
          "the load; forwarded %d objects, %d bytes, errors %d" % (
              lags[len(lags) // 2], lags[int(len(lags) * 0.99)], lags[-1], len(lags),
              time.time() - t0, s["forwarded_objects"], s["forwarded_bytes"], s["errors"]))


if __name__ == "__main__":
    main()
