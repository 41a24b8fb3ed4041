"""oacs_bench.py -- one workload on the chunks table under STCS and under OACS.

Driven by bench/oacs/run.sh, which starts a fresh coffer per strategy
(COFFER_CHUNKS_STRATEGY=stcs, or the default OACS) and runs:

    python3 oacs_bench.py STRATEGY URL DATA_DIR PID  -> one JSON line of results

Workload (deterministic, seed 42): PUTs of sizes 4 KiB .. 256 MiB (by count
40% 4 KiB, 20% 64 KiB, 15% 1 MiB, 15% 16 MiB, 7% 64 MiB, 3% 256 MiB) to keys
drawn from a pool of 300, so many are overwrites; after each PUT, with
probability 0.15, a DELETE of a random key. Stops once BENCH_GIB GiB were
sent. Then: coffer's own counters (GET /_coffer/stats), the bytes the server
process made the kernel write (/proc/PID/io write_bytes), the chunks table's
size on disk against the live bytes, a read of every live object, and last
the deletion of every object with the chunks table's size right after and
5 s later.
"""
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from benchlib import ACCESS, SECRET, disk_bytes, send, signed

GIB = float(os.environ.get("BENCH_GIB", "20"))
SIZES = [(4 << 10, 40), (64 << 10, 20), (1 << 20, 15), (16 << 20, 15), (64 << 20, 7), (256 << 20, 3)]


def proc_written(pid):
    with open("/proc/%s/io" % pid) as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


def coffer_stats(url):
    path, headers, body = signed(url, "GET", "/_coffer/stats")
    status, out = send(url, "GET", path, headers, body)
    if status != 200:
        raise RuntimeError("stats: %d %s" % (status, out[:200]))
    return json.loads(out)


def main():
    strategy, url, data, pid = sys.argv[1:5]
    s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET, region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                    max_pool_connections=16, request_checksum_calculation="when_required",
                                    response_checksum_validation="when_required"))
    s3.create_bucket(Bucket="oacs")
    rnd = random.Random(42)
    blob = os.urandom(256 << 20)
    live = {}
    sent = 0
    puts = deletes = 0
    chunks_dir = os.path.join(data, "tables", "chunks")
    io0 = proc_written(pid)
    t0 = time.perf_counter()
    sizes = [s for s, w in SIZES for _ in range(w)]

    def put(key, size, off):
        s3.put_object(Bucket="oacs", Key=key, Body=blob[off:off + size])

    with ThreadPoolExecutor(4) as pool:
        futs = []
        while sent < GIB * (1 << 30):
            size = rnd.choice(sizes)
            key = "k%03d" % rnd.randrange(300)
            off = rnd.randrange(0, (256 << 20) - size + 1)
            futs.append(pool.submit(put, key, size, off))
            if len(futs) >= 8:  # keep a few in flight, keys of one batch may repeat: last wins
                for f in futs:
                    f.result()
                futs = []
            live[key] = size
            sent += size
            puts += 1
            if rnd.random() < 0.15 and live:
                for f in futs:
                    f.result()
                futs = []
                victim = rnd.choice(sorted(live))
                s3.delete_object(Bucket="oacs", Key=victim)
                del live[victim]
                deletes += 1
        for f in futs:
            f.result()
    t_write = time.perf_counter() - t0
    time.sleep(3)  # let background flushes and compactions of the run settle a little
    st = coffer_stats(url)
    io1 = proc_written(pid)
    live_bytes = sum(live.values())
    disk_live = disk_bytes(chunks_dir)
    # read everything back
    t0 = time.perf_counter()

    def get(key):
        return len(s3.get_object(Bucket="oacs", Key=key)["Body"].read())

    with ThreadPoolExecutor(4) as pool:
        got = sum(pool.map(get, sorted(live)))
    t_read = time.perf_counter() - t0
    assert got == live_bytes, (got, live_bytes)
    # delete everything: how much space comes back, and when
    for key in sorted(live):
        s3.delete_object(Bucket="oacs", Key=key)
    disk_after_delete = disk_bytes(chunks_dir)
    time.sleep(5)
    disk_after_5s = disk_bytes(chunks_dir)
    c = st["chunks"]
    print(json.dumps({
        "strategy": strategy, "puts": puts, "deletes": deletes, "sent": sent,
        "accepted": st["bytes_accepted"], "t_write": t_write,
        "logged": c["logged_bytes"], "flush": c["flush_bytes"], "compaction": c["compaction_bytes"],
        "ingest": c["ingest_bytes"], "commitlog_all": st["commitlog_bytes"],
        "wa_engine": st["blob_write_amplification"], "proc_write_bytes": io1 - io0,
        "live_bytes": live_bytes, "disk_live": disk_live, "read_bytes": got, "t_read": t_read,
        "disk_after_delete": disk_after_delete, "disk_after_5s": disk_after_5s,
        "blob_files_dropped": st["blob_files_dropped"]}))


if __name__ == "__main__":
    main()
