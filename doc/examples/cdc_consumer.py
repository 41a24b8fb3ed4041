#!/usr/bin/env python3
"""cdc_consumer.py -- an example consumer of coffer's change log (doc/cdc.md).

It follows one bucket's log through the read-only view bucket `coffer-cdc`
with nothing but boto3, and keeps, as its example "effect", a mirror of the
bucket's index: key -> (size, etag). Its state file holds the cursor
(window, byte offset) and the mirror together, replaced atomically
(write, fsync, rename) after each batch of records, so a crash at any point
resumes from the last saved cursor with the mirror that matches it: every
record is applied exactly once.

    cdc_consumer.py --endpoint http://127.0.0.1:9000 --bucket photos \\
                    --state photos.cdc.json [--follow] [--max-records N]

Credentials come from the usual AWS variables (AWS_ACCESS_KEY_ID, ...).
Without --follow it stops when it has caught up; --max-records stops it
after N records (used by the tests to interrupt it half-way).

How the cursor moves (doc/cdc.md "Consuming"):
- GET the cursor's window with Range: bytes=OFFSET-. The view only ever
  shows whole, durable records, so the bytes returned are whole lines and
  OFFSET + their length is the next cursor. 416 InvalidRange: nothing new.
- Records only go to the newest window, so once a newer window is listed the
  cursor's window is final: read it to its end once more, then move to the
  next window at offset 0.
"""
import argparse
import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

VIEW = "coffer-cdc"


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"window": None, "offset": 0, "applied": 0, "mirror": {}}


def save(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def apply(state, record):
    """The consumer's effect: the bucket's index as the log tells it."""
    if record["deleted"]:
        state["mirror"].pop(record["key"], None)
    else:
        state["mirror"][record["key"]] = [record["size"], record["etag"]]
    state["applied"] += 1


def windows_after(s3, bucket, after):
    """Window keys of the bucket's log after key `after` (None: all), in time order."""
    kw = {"Bucket": VIEW, "Prefix": bucket + "/"}
    if after:
        kw["StartAfter"] = after
    for page in s3.get_paginator("list_objects_v2").paginate(**kw):
        for obj in page.get("Contents", []):
            yield obj["Key"]


def read_from(s3, window, offset):
    """The whole records of window from offset on (b'' if none yet)."""
    try:
        return s3.get_object(Bucket=VIEW, Key=window, Range="bytes=%d-" % offset)["Body"].read()
    except ClientError as e:
        if e.response["Error"]["Code"] == "InvalidRange":
            return b""
        raise


def consume(s3, bucket, state_path, follow, max_records):
    state = load(state_path)
    done = 0
    while True:
        if state["window"] is None:
            first = next(windows_after(s3, bucket, None), None)
            if first is None:
                if not follow:
                    return done
                time.sleep(1)
                continue
            state["window"], state["offset"] = first, 0
        newer = next(windows_after(s3, bucket, state["window"]), None)
        data = read_from(s3, state["window"], state["offset"])  # after the listing: see above
        for line in data.splitlines(keepends=True):
            apply(state, json.loads(line))
            state["offset"] += len(line)
            done += 1
            if max_records is not None and done >= max_records:
                save(state_path, state)
                return done
        if newer is not None:
            state["window"], state["offset"] = newer, 0
        save(state_path, state)
        if newer is None and not data:
            if not follow:
                return done
            time.sleep(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--follow", action="store_true")
    ap.add_argument("--max-records", type=int)
    a = ap.parse_args()
    s3 = boto3.client("s3", endpoint_url=a.endpoint,
                      config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
    n = consume(s3, a.bucket, a.state, a.follow, a.max_records)
    print("applied %d records" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
