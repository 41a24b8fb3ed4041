"""mp_bench.py -- what completing a multipart upload costs in coffer.

Driven by bench/multipart/run.sh against a running coffer (COFFER_URL,
admin credentials from bench/lib/coffer.sh, data directory in
COFFER_BENCH_DATA, started with COFFER_MIN_PART_SIZE=1 so tiny parts are
legal). Prints a markdown section on stdout.

1. Completion time of N parts, N = 2, 100, 1000, 10000: the parts (16 bytes
   each) are uploaded first, untimed; the timed part is the one
   CompleteMultipartUpload request (XML built and signed before the clock
   starts, so the client's work is not counted), best and median of ROUNDS.
   The reference is N = 2: nothing is copied, so the ratio shows what the
   per-part metadata (one layout row per part) costs.
2. A 100 GiB object from one 64 MiB source by UploadPartCopy without a
   range (coffer shares the source's blob: no byte copied) x 1600, then
   complete. Reported: time of the 1600 copies, of the completion, the
   growth of the data directory (bytes on disk: st_blocks), a ranged GET
   at 99.9 GiB checked byte-exact against the source, a partNumber GET, and
   the delete.
"""
import os
import statistics
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from benchlib import ACCESS, SECRET, disk_bytes, send, signed

URL = os.environ["COFFER_URL"]
DATA = os.environ["COFFER_BENCH_DATA"]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BIG_PARTS = int(os.environ.get("BENCH_BIG_PARTS", "1600"))
SRC_MIB = 64


def client():
    return boto3.client("s3", endpoint_url=URL, aws_access_key_id=ACCESS,
                        aws_secret_access_key=SECRET, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1},
                                      max_pool_connections=32))


def signed_complete(bucket, key, upload_id, etags):
    """A signed CompleteMultipartUpload request, ready to send: (path, headers, body)."""
    body = "<CompleteMultipartUpload>" + "".join(
        "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>" % (i + 1, e)
        for i, e in enumerate(etags)) + "</CompleteMultipartUpload>"
    path = "/%s/%s?uploadId=%s" % (bucket, urllib.parse.quote(key), upload_id)
    return signed(URL, "POST", path, body.encode(), {"Content-Type": "application/xml"})


def timed_complete(bucket, key, upload_id, etags):
    path, headers, body = signed_complete(bucket, key, upload_id, etags)
    t0 = time.perf_counter()
    status, out = send(URL, "POST", path, headers, body)
    dt = time.perf_counter() - t0
    if status != 200 or b"<ETag>" not in out:
        raise RuntimeError("complete failed: %d %s" % (status, out[:300]))
    return dt


def upload_parts(s3s, bucket, key, n):
    upload_id = s3s[0].create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]

    def one(i):
        s3 = s3s[i % len(s3s)]
        return s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i + 1,
                              Body=b"%016d" % i)["ETag"]

    with ThreadPoolExecutor(16) as pool:
        etags = list(pool.map(one, range(n)))
    return upload_id, etags


def completion_table(s3s):
    rows = []
    ref = None
    for n in (2, 100, 1000, 10000):
        times = []
        for r in range(ROUNDS):
            key = "complete-%d-%d" % (n, r)
            upload_id, etags = upload_parts(s3s, "mpbench", key, n)
            times.append(timed_complete("mpbench", key, upload_id, etags))
            head = s3s[0].head_object(Bucket="mpbench", Key=key)
            assert head["ContentLength"] == 16 * n, head
            assert head["ETag"].endswith('-%d"' % n), head["ETag"]
        med = statistics.median(times)
        ref = ref or med
        rows.append((n, min(times), med, med / ref))
        print("complete %5d parts: best %.1f ms, median %.1f ms" % (n, min(times) * 1e3, med * 1e3),
              file=sys.stderr)
    return rows


def big_object(s3s):
    s3 = s3s[0]
    src = os.urandom(SRC_MIB << 20)
    s3.put_object(Bucket="mpbench", Key="src", Body=src)
    before = disk_bytes(DATA)
    upload_id = s3.create_multipart_upload(Bucket="mpbench", Key="big")["UploadId"]

    def one(i):
        return s3s[i % len(s3s)].upload_part_copy(
            Bucket="mpbench", Key="big", UploadId=upload_id, PartNumber=i + 1,
            CopySource={"Bucket": "mpbench", "Key": "src"})["CopyPartResult"]["ETag"]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        etags = list(pool.map(one, range(BIG_PARTS)))
    t_copy = time.perf_counter() - t0
    t_complete = timed_complete("mpbench", "big", upload_id, etags)
    after = disk_bytes(DATA)
    size = s3.head_object(Bucket="mpbench", Key="big")["ContentLength"]
    assert size == BIG_PARTS * (SRC_MIB << 20), size
    off = size - int(0.1 * (1 << 30)) - 12345  # about 99.9 GiB in
    t0 = time.perf_counter()
    got = s3.get_object(Bucket="mpbench", Key="big",
                        Range="bytes=%d-%d" % (off, off + (1 << 20) - 1))["Body"].read()
    t_range = time.perf_counter() - t0
    s_off = off % (SRC_MIB << 20)
    want = (src + src)[s_off:s_off + (1 << 20)]
    assert got == want, "ranged GET of the big object is not byte-exact"
    t0 = time.perf_counter()
    part = s3.get_object(Bucket="mpbench", Key="big", PartNumber=BIG_PARTS)
    body = part["Body"].read()
    t_part = time.perf_counter() - t0
    assert body == src and part["PartsCount"] == BIG_PARTS
    t0 = time.perf_counter()
    s3.delete_object(Bucket="mpbench", Key="big")
    t_delete = time.perf_counter() - t0
    return {"size": size, "t_copy": t_copy, "t_complete": t_complete,
            "disk_growth": after - before, "t_range": t_range, "t_part": t_part,
            "t_delete": t_delete}


def main():
    s3s = [client() for _ in range(16)]
    s3s[0].create_bucket(Bucket="mpbench")
    rows = completion_table(s3s)
    big = big_object(s3s)
    print("Completion (one CompleteMultipartUpload request; parts of 16 bytes uploaded "
          "before the clock starts; %d rounds):\n" % ROUNDS)
    print("| parts | best | median | median / median of 2 parts |")
    print("|---:|---:|---:|---:|")
    for n, best, med, ratio in rows:
        print("| %d | %.1f ms | %.1f ms | %.1fx |" % (n, best * 1e3, med * 1e3, ratio))
    gib = big["size"] / (1 << 30)
    print("\nA %.0f GiB object made of %d UploadPartCopy of one %d MiB object (shared, "
          "not copied), then completed:\n" % (gib, BIG_PARTS, SRC_MIB))
    print("| step | result |")
    print("|---|---|")
    print("| %d UploadPartCopy (16 clients) | %.2f s (%.2f ms each) |"
          % (BIG_PARTS, big["t_copy"], big["t_copy"] * 1e3 / BIG_PARTS))
    print("| CompleteMultipartUpload | %.1f ms |" % (big["t_complete"] * 1e3))
    print("| data directory growth for %.0f GiB | %.2f MiB (metadata + commitlog) |"
          % (gib, big["disk_growth"] / (1 << 20)))
    print("| ranged GET of 1 MiB at %.1f GiB, byte-exact | %.1f ms |"
          % ((big["size"] - 0.1 * (1 << 30)) / (1 << 30), big["t_range"] * 1e3))
    print("| GET partNumber=%d (%d MiB), byte-exact | %.1f ms |"
          % (BIG_PARTS, SRC_MIB, big["t_part"] * 1e3))
    print("| DELETE of the object | %.1f ms |" % (big["t_delete"] * 1e3))


if __name__ == "__main__":
    main()
