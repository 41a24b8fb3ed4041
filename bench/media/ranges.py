"""bench/media/ranges.py -- the server's share of a seek, without the browser: for each Range a
seek of bench/media/run.sh's Chromium runs asked for first, one GET on a new connection with
that open-ended Range, to each server in turn (ROUNDS times), timing the response head
(time to first byte) and the first MiB of the body, then closing, as Chromium does when it has
what it wanted. Prints one JSON line: {NAME: {"head_ms": [...], "mib_ms": [...]}, ...}.

    python3 bench/media/ranges.py ROUNDS RUN.json NAME=URL...
"""
import http.client
import json
import sys
import time
import urllib.parse


def get(url, start):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t0 = time.perf_counter()
    conn.request("GET", u.path + ("?" + u.query if u.query else ""),
                 headers={"Range": "bytes=%d-" % start})
    resp = conn.getresponse()
    head = time.perf_counter() - t0
    if resp.status != 206:
        raise RuntimeError("%s: %d for bytes=%d-" % (url, resp.status, start))
    left = 1 << 20
    while left > 0:
        chunk = resp.read1(left)
        if not chunk:
            break
        left -= len(chunk)
    mib = time.perf_counter() - t0
    conn.close()
    return head * 1000, mib * 1000


def main():
    rounds, run_json = int(sys.argv[1]), sys.argv[2]
    servers = dict(a.split("=", 1) for a in sys.argv[3:])
    with open(run_json) as f:
        got = json.load(f)
    first = next(iter(got.values()))[0]  # the first server's first round
    starts = [int(s["requests"][0]["range"][6:].rstrip("-")) for s in first if s["requests"]]
    out = {name: {"head_ms": [], "mib_ms": []} for name in servers}
    for r in range(rounds):
        names = list(servers)
        names = names[r % len(names):] + names[:r % len(names)]
        for start in starts:
            for name in names:
                head, mib = get(servers[name], start)
                out[name]["head_ms"].append(head)
                out[name]["mib_ms"].append(mib)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
