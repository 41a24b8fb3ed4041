#!/usr/bin/env bash
# tests/it/s3a.sh -- Hadoop's S3A connector (hadoop-aws 3.4) replayed request by request
# (tests/it/s3_s3a_test.py) against the real binary: getFileStatus probes, directory markers
# (keep and delete), paged listings, sequential, random and vectored reads of a 24 MiB object,
# multipart writes on close, rename as copy + delete, recursive delete.
exec bash "$(dirname "$0")/lib/python.sh" tests/it/s3_s3a_test.py
