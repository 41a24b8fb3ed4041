"""bench/media/report.py -- the "Media seek" section of bench/RESULTS.md from bench/media/run.sh's
runs: per run, browser cache mode and server, the median and p90 of the seek times, their ratio
to nginx's, the requests the page made per seek and (cache off, where each page request is one
request on the wire) the bytes the server sent for them, found by request id in coffer's access
log (doc/formats.md "Access log") and in nginx's ("$request_id $status "$http_range"
$body_bytes_sent $request_time").

The server's share (bench/media/ranges.py's RANGES_JSON): time to the response head and to the
first MiB of each seek's first Range, per server, and the ratio to nginx.

    python3 bench/media/report.py RUNS_DIR RANGES_JSON COFFER_LOG NGINX_LOG VIDEO SEEKS ROUNDS \
        REV CORES LOAD
"""
import datetime
import glob
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "it"))
from s3_helpers import access_log_lines  # noqa: E402

NGINX_LINE = re.compile(r'^(\S+) (\d{3}) "([^"]*)" (\d+) ([\d.]+)$')


def pct(xs, p):
    """The p-th percentile, nearest rank."""
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1))]


def main():
    (runs_dir, ranges_json, coffer_log, nginx_log, video, seeks, rounds, rev, cores,
     load) = sys.argv[1:11]
    sent = {}
    revalidated = {"-": 0, "QueryString": 0, "nginx": 0}  # 304s by coffer (by auth) and nginx
    for ln in access_log_lines(coffer_log):
        sent[ln["request_id"]] = int(ln["bytes_sent"].replace("-", "0"))
        if ln["status"] == "304":
            revalidated[ln["auth_type"]] += 1
    with open(nginx_log) as f:
        for line in f:
            m = NGINX_LINE.match(line.strip())
            if m:
                sent[m.group(1)] = int(m.group(4))
                revalidated["nginx"] += m.group(2) == "304"
    rows = []
    ratios = {}
    med_all = []
    nginx_med_by = {}  # (run, cache) -> nginx's median
    for path in sorted(glob.glob(os.path.join(runs_dir, "*.json"))):
        run, _, cache = os.path.basename(path)[:-5].split("-")
        with open(path) as f:
            got = json.load(f)
        ms = {name: [s["ms"] for rnd in rounds_ for s in rnd] for name, rounds_ in got.items()}
        base_med, base_p90 = statistics.median(ms["nginx"]), pct(ms["nginx"], 90)
        nginx_med_by[(run, cache)] = base_med
        for name, rounds_ in got.items():
            all_seeks = [s for rnd in rounds_ for s in rnd]
            med, p90 = statistics.median(ms[name]), pct(ms[name], 90)
            reqs = statistics.mean(len(s["requests"]) for s in all_seeks)
            if cache == "false":
                per_seek = [sum(sent.get(r["id"], 0) for r in s["requests"]) for s in all_seeks]
                mib = "%.1f" % (statistics.median(per_seek) / 2**20)
            else:
                mib = "n/a"
            rows.append("| %s | %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %s |" % (
                run, "on" if cache == "true" else "off", name, med, p90, med / base_med,
                p90 / base_p90, reqs, mib))
            ratios.setdefault((name, cache), []).append(med / base_med)
            med_all.append(med)
    size_mib = os.path.getsize(video) / 2**20
    nginx_version = subprocess.run(["nginx", "-v"], stderr=subprocess.PIPE).stderr.decode()
    nginx_version = nginx_version.strip().split("/")[-1]
    print("## Media seek (bench/media/run.sh)\n")
    print("`bash bench/media/run.sh` (coffer %s, %s, %s cores, load %s at the end; the machine "
          "was shared with other engineers building and testing, so it was not quiet)."
          % (rev, datetime.date.today().isoformat(), cores, load))
    print("A %.0f MiB MP4 (H.264 720p at 14 Mbit/s with a keyframe every 2 s, AAC, faststart; "
          "`%s`) played by a `<video>` in headless Chromium on a page from another origin: "
          "loadedmetadata, then %s seeks to the same pseudo-random positions for every server, "
          "paused, each timed from setting `currentTime` to `seeked` on the page's clock; %s "
          "rounds per run, the servers' order turned each round, a fresh browser context for "
          "each. coffer serves the object from a public bucket (anonymous GETs, as nginx's) and "
          "through a presigned URL; nginx %s serves the same file from a directory "
          "(bench/lib/nginx.sh: sendfile, 2 workers) with coffer's Last-Modified. Browser "
          "cache off: DevTools' \"disable cache\", every request the page makes goes to the "
          "server; on: as a person's browser, which revalidates what it holds (a conditional "
          "ranged GET, 304) and fetches the rest with If-Range. Bytes per seek: what the server "
          "sent for the requests made during the seek (its access log), until Chromium had "
          "enough and closed them.\n" % (size_mib, os.path.basename(video), seeks, rounds,
                                           nginx_version))
    print("| run | browser cache | server | seek median ms | p90 ms | median / nginx | "
          "p90 / nginx | requests per seek | MiB sent per seek (median) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    for (name, cache), rs in sorted(ratios.items()):
        if name != "nginx":
            print("- %s, browser cache %s: median / nginx's median per run %s." % (
                name, "on" if cache == "true" else "off", ", ".join("%.2f" % r for r in rs)))
    with open(ranges_json) as f:
        ranges = json.load(f)
    n = len(ranges["nginx"]["head_ms"])
    print("\nThe server's share: the first Range of each seek above asked again with Python's "
          "http.client (a new connection each, the servers alternated), %d GETs per server: "
          "time to the response head, and to the first MiB of the body.\n" % n)
    print("| server | head median ms | head p90 ms | 1 MiB median ms | 1 MiB p90 ms | "
          "1 MiB median / nginx |")
    print("|---|---:|---:|---:|---:|---:|")
    base = statistics.median(ranges["nginx"]["mib_ms"])
    for name, r in ranges.items():
        print("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
            name, statistics.median(r["head_ms"]), pct(r["head_ms"], 90),
            statistics.median(r["mib_ms"]), pct(r["mib_ms"], 90),
            statistics.median(r["mib_ms"]) / base))
    off = [r for (name, cache), rs in ratios.items() if name == "coffer" and cache == "false"
           for r in rs]
    on = [r for (name, cache), rs in ratios.items() if name == "coffer" and cache == "true"
          for r in rs]
    seek_ms = statistics.median(med_all)
    share = {name: statistics.median(r["mib_ms"]) for name, r in ranges.items()}
    nginx_meds = [m for (name, _), m in nginx_med_by.items()]
    print("\nReading: coffer's median seek was %.2f-%.2f× nginx's with the browser cache off "
          "and %.2f-%.2f× with it on, run by run, while nginx's own median ranged %.0f-%.0f ms "
          "over the runs. The server's share of a seek, the time to the first MiB of its first "
          "Range, is %.1f ms for coffer and %.1f ms for nginx, of a %.0f ms median seek: the "
          "rest is Chromium's (demuxing, decoding from the keyframe before the target, and its "
          "several requests per seek, each closed after a few hundred KiB; both servers had "
          "written a few MiB into the socket by then, as their logs say). Revalidations "
          "answered 304 over all runs (browser cache on): coffer %d, coffer-presigned %d, "
          "nginx %d (the same Last-Modified, so the same heuristic freshness)."
          % (min(off), max(off), min(on), max(on), min(nginx_meds), max(nginx_meds),
             share["coffer"], share["nginx"], seek_ms, revalidated["-"],
             revalidated["QueryString"], revalidated["nginx"]))
    print("\nGoal: coffer / nginx ≤ 1.2.")


if __name__ == "__main__":
    main()
